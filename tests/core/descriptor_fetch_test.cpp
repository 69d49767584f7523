// priv::fetch_descriptor reads GDT descriptors inline through the
// supervisor TLB set (Cpu::read_supervisor_if_cached) and leaves everything
// else to fetch_descriptor_slow. Both must give the same descriptor or the
// same fault, with the TLB cold or warm, at CPL 0 and 3, with paging on
// (the GDT page supervisor-only: descriptor reads are implicit supervisor
// accesses, SDM Vol. 3A, 4.6) and off.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "core/machine.h"
#include "core/priv/descriptors.h"

using namespace tx86;
using core::Access;
using core::priv::Descriptor;

namespace {

constexpr uint32_t kGdt = 0x1000, kLdt = 0x3000, kPageDir = 0x20000, kPageTable = 0x21000;

struct Outcome {
  bool ok = false;
  Descriptor d;
  core::Fault fault;
  uint32_t cr2 = 0;
};

bool same(const Outcome& a, const Outcome& b) {
  if (a.ok != b.ok) return false;
  if (!a.ok)
    return a.fault.vector == b.fault.vector && a.fault.has_error_code == b.fault.has_error_code &&
           a.fault.error_code == b.fault.error_code && a.cr2 == b.cr2;
  return a.d.lo == b.d.lo && a.d.hi == b.d.hi && a.d.base == b.d.base && a.d.limit == b.d.limit &&
         a.d.attrs == b.d.attrs && a.d.address == b.d.address;
}

}  // namespace

TEST_CASE("fetch_descriptor's inline path equals the general one", "[priv][descriptors]") {
  core::MachineConfig config;
  config.ram_bytes = 2u << 20;
  core::Machine m(config);
  m.set_log_quiet(true);
  core::Cpu& cpu = m.cpu();
  core::CpuState& s = cpu.s;
  std::mt19937 rng(4242);
  // Random descriptor bytes in the GDT and LDT (two pages each, so that a
  // table limit can reach past the first page).
  std::vector<uint8_t> bytes(0x2000);
  for (auto& b : bytes) b = uint8_t(rng());
  m.memory().load(kGdt, bytes);
  for (auto& b : bytes) b = uint8_t(rng());
  m.memory().load(kLdt, bytes);
  // Identity-mapped first 4 MiB, user pages except the GDT's first page;
  // the LDT's second page is not present.
  for (uint32_t p = 0; p < 1024; ++p) {
    uint32_t pte = (p << 12) | 0x7;  // P, RW, US
    if (p == kGdt >> 12) pte &= ~0x4u;
    if (p == (kLdt >> 12) + 1) pte = 0;
    m.memory().write(kPageTable + 4 * p, pte, 4);
  }
  m.memory().write(kPageDir, kPageTable | 0x7, 4);
  s.cr3 = kPageDir;
  s.cr0 |= core::kCr0PE;
  unsigned fast_ok = 0, faults = 0;
  for (unsigned n = 0; n < 20000; ++n) {
    const bool paging = rng() & 1;
    s.cr0 = paging ? (s.cr0 | core::kCr0PG) : (s.cr0 & ~core::kCr0PG);
    s.cpl = uint8_t((rng() & 1) ? 3 : 0);
    s.gdtr = {kGdt, uint16_t((rng() & 1) ? 0x1FFF : rng() & 0x1FFF)};
    s.ldtr = {0x18, kLdt, uint32_t((rng() & 1) ? 0x1FFF : rng() & 0x1FFF),
              uint16_t((rng() % 4) ? core::SegmentCache::kSegPresent | 0x2 : 0)};
    const uint16_t sel = uint16_t((rng() % 4) ? rng() & 0x1FFF : rng());  // mostly inside the tables
    const uint8_t vector = (rng() & 1) ? core::kGP : core::kTS;
    const uint32_t ext = rng() & 1;
    const auto fetch = [&](bool slow) {
      Outcome o;
      cpu.fault = {};
      s.cr2 = 0;
      o.ok = slow ? core::priv::fetch_descriptor_slow(cpu, sel, o.d, vector, ext)
                  : core::priv::fetch_descriptor(cpu, sel, o.d, vector, ext);
      o.fault = cpu.fault;
      o.cr2 = s.cr2;
      return o;
    };
    cpu.flush_tlb();
    const Outcome cold_slow = fetch(true);
    cpu.flush_tlb();
    const Outcome cold_fast = fetch(false);
    // Warm: the supervisor entries for both tables' pages filled (those
    // that can be), and user entries where the page allows them.
    for (uint32_t page : {kGdt, kGdt + 0x1000, kLdt, kLdt + 0x1000}) {
      uint32_t paddr;
      {
        core::Cpu::SupervisorAccess sup(cpu);
        cpu.translate(page, Access::kRead, paddr);
      }
      cpu.translate(page, Access::kRead, paddr);
    }
    const Outcome warm_fast = fetch(false);
    const Outcome warm_slow = fetch(true);
    REQUIRE(same(cold_slow, cold_fast));
    REQUIRE(same(cold_slow, warm_fast));
    REQUIRE(same(cold_slow, warm_slow));
    fast_ok += warm_fast.ok && !(sel & 4);
    faults += !cold_slow.ok;
  }
  CHECK(fast_ok > 2000);
  CHECK(faults > 3000);
}
