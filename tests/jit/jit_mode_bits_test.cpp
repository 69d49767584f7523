// mode_bits (jit/block.h) computes the block key's mode without branches;
// this checks it bit for bit against the rule written out plainly (the
// field list in block.h, segment classes from SDM Vol. 3A, 5.3-5.4 as
// SegClass describes them) on random CPU states.
#include <catch2/catch.hpp>

#include <random>

#include "core/machine.h"
#include "jit/block.h"

using namespace tx86;
using core::SegmentCache;
using jit::SegClass;

namespace {

// The class as SegClass's comment states it.
SegClass reference_class(const SegmentCache& sc, bool protected_not_v86) {
  const bool present = (sc.attrs & SegmentCache::kSegPresent) != 0;
  const bool code = (sc.attrs & 0x8) != 0;
  const bool expand_down = !code && (sc.attrs & 0x4) != 0;
  const bool writable = !code && (sc.attrs & 0x2) != 0;
  const bool usable = protected_not_v86 ? present && !code && writable && !expand_down : (sc.attrs & 0x4) == 0;
  if (!usable) return SegClass::kChecked;
  return sc.base == 0 && sc.limit == 0xFFFFFFFFu ? SegClass::kFlat : SegClass::kPlain;
}

uint32_t reference_mode(const core::Cpu& cpu) {
  const core::CpuState& s = cpu.s;
  uint32_t m = 0;
  if (s.seg[x86::kCs].attrs & SegmentCache::kSegDefaultBig) m |= 1u << 0;
  if (s.seg[x86::kSs].attrs & SegmentCache::kSegDefaultBig) m |= 1u << 1;
  if (s.cr0 & core::kCr0PE) m |= 1u << 2;
  if (s.eflags & x86::kVM) m |= 1u << 3;
  if (s.cr0 & core::kCr0PG) m |= 1u << 4;
  if (cpu.a20()) m |= 1u << 5;
  m |= uint32_t{s.cpl & 3u} << 6;
  m |= uint32_t(cpu.model()) << 8;
  const bool rights = (s.cr0 & core::kCr0PE) && !(s.eflags & x86::kVM);
  for (unsigned seg : {x86::kEs, x86::kSs, x86::kDs, x86::kFs, x86::kGs})
    m |= static_cast<uint32_t>(reference_class(s.seg[seg], rights)) << (jit::kSegClassShift + 2 * seg);
  return m;
}

}  // namespace

TEST_CASE("mode_bits equals the plainly written rule on random states", "[jit][segclass]") {
  core::MachineConfig config;
  config.ram_bytes = 1u << 20;
  core::Machine m(config);
  core::Cpu& cpu = m.cpu();
  std::mt19937 rng(20261121);
  const uint32_t kBases[] = {0, 0, 0x10, 0x30000, 0xFFFFF000u};
  const uint32_t kLimits[] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFF, 0, 0xFFFFFFFEu};
  unsigned seen[3] = {};
  for (unsigned n = 0; n < 100000; ++n) {
    core::CpuState& s = cpu.s;
    s.cr0 = (rng() & 1 ? uint32_t{core::kCr0PE} : 0u) | (rng() & 1 ? uint32_t{core::kCr0PG} : 0u) | core::kCr0ET;
    s.eflags = 2 | (rng() % 4 == 0 ? uint32_t{x86::kVM} : 0u) | (rng() & 1 ? uint32_t{x86::kIF} : 0u);
    s.cpl = uint8_t(rng() & 3);
    cpu.set_a20(rng() & 1);
    for (unsigned seg = 0; seg < 6; ++seg) {
      SegmentCache& sc = s.seg[seg];
      sc.base = kBases[rng() % 5];
      sc.limit = kLimits[rng() % 5];
      sc.attrs = uint16_t(rng() & 0xF0FF);
      if (rng() & 1) sc.attrs = uint16_t((sc.attrs & ~0xFF) | 0x93);  // often a present writable data segment
    }
    const uint32_t got = jit::mode_bits(cpu);
    REQUIRE(got == reference_mode(cpu));
    for (unsigned seg : {x86::kEs, x86::kSs, x86::kDs, x86::kFs, x86::kGs})
      ++seen[static_cast<unsigned>(jit::mode_segment_class(got, seg))];
  }
  // Every class came up often.
  for (unsigned c = 0; c < 3; ++c) CHECK(seen[c] > 10000);
}
