// Paging and TLB rules of core/cpu.cpp, driven through Cpu's linear
// accessors with hand-built page tables (SDM Vol. 3A, 4.3-4.10), plus the
// debug-register data breakpoints and a few instruction-level rules
// (SYSENTER/SYSEXIT #GP, CPUID extended leaves).
#include <catch2/catch.hpp>

#include "tests/core/guest.h"

namespace tx86::test {
namespace {

using core::Access;
using core::Cpu;

constexpr uint32_t kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
constexpr uint32_t kPd = 0x100000;     // page directory (or PAE page directory 0)
constexpr uint32_t kPt = 0x101000;     // page table for linear 4..8 MiB (or PAE: 0..2 MiB)
constexpr uint32_t kPdpt = 0x102000;   // PAE PDPT
constexpr uint32_t kFrame0 = 0x200000, kFrame1 = 0x201000;
constexpr uint32_t kLin = 0x400000;

// Flat protected mode at CPL 0 with 32-bit paging: linear 4 MiB -> kFrame0.
struct PagedGuest : Guest {
  PagedGuest() {
    poke32(kPd + 4, kPt | kP | kRW | kUS);
    poke32(kPt, kFrame0 | kP | kRW | kUS);
    poke32(kFrame0, 0xAAAA0000);
    poke32(kFrame1, 0xBBBB0000);
    s().cr3 = kPd;
    s().cr0 |= core::kCr0PE | core::kCr0PG;
    cpu().flush_tlb();
  }
  Cpu& cpu() { return m.cpu(); }
  uint32_t read(uint32_t lin) {
    uint32_t v = 0;
    REQUIRE(cpu().read_linear<uint32_t>(lin, v));
    return v;
  }
};

TEST_CASE("paging: a read sets A only; the first write through a cached clean entry sets D", "[paging]") {
  PagedGuest g;
  CHECK(g.read(kLin) == 0xAAAA0000u);
  CHECK((g.peek32(kPd + 4) & kA) != 0);
  CHECK((g.peek32(kPt) & (kA | kD)) == kA);
  // The entry is in the TLB now (read/exec tags); the write must still walk.
  REQUIRE(g.cpu().write_linear<uint32_t>(kLin + 4, 7));
  CHECK((g.peek32(kPt) & kD) != 0);
  CHECK(g.peek32(kFrame0 + 4) == 7u);
}

TEST_CASE("paging: rights, WP and #PF error codes with CR2", "[paging]") {
  PagedGuest g;
  g.poke32(kPt, kFrame0 | kP | kUS);  // read-only user page
  REQUIRE(g.cpu().write_linear<uint32_t>(kLin, 1));  // CPL 0, WP = 0: allowed
  g.s().cr0 |= core::kCr0WP;
  g.cpu().flush_tlb();
  CHECK_FALSE(g.cpu().write_linear<uint32_t>(kLin + 8, 1));
  CHECK(g.cpu().fault.vector == core::kPF);
  CHECK(g.cpu().fault.error_code == 3u);
  CHECK(g.s().cr2 == kLin + 8);
  g.s().cpl = 3;
  g.poke32(kPt, kFrame0 | kP | kRW);  // supervisor page
  g.cpu().flush_tlb();
  uint32_t v;
  CHECK_FALSE(g.cpu().read_linear<uint32_t>(kLin + 12, v));
  CHECK(g.cpu().fault.error_code == 5u);
  g.poke32(kPt, 0);
  g.cpu().flush_tlb();
  CHECK_FALSE(g.cpu().write_linear<uint32_t>(kLin, 1));
  CHECK(g.cpu().fault.error_code == 6u);  // not present: P = 0, W, U
}

TEST_CASE("paging: implicit supervisor accesses ignore CPL 3", "[paging]") {
  PagedGuest g;
  g.poke32(kPt, kFrame0 | kP | kRW);  // supervisor page (a GDT, say)
  g.s().cpl = 3;
  uint32_t v;
  CHECK_FALSE(g.cpu().read_linear<uint32_t>(kLin, v));
  CHECK(g.cpu().fault.error_code == 5u);
  {
    Cpu::SupervisorAccess sup(g.cpu());
    CHECK(g.read(kLin) == 0xAAAA0000u);
    REQUIRE(g.cpu().write_linear<uint32_t>(kLin + 4, 3));
  }
  // The supervisor translation cached inside the scope is not used by CPL 3.
  CHECK_FALSE(g.cpu().read_linear<uint32_t>(kLin, v));
  CHECK(g.cpu().fault.error_code == 5u);
}

TEST_CASE("paging: 4 MiB pages and the reserved bits of a 4 MiB PDE", "[paging]") {
  PagedGuest g;
  g.s().cr4 |= core::kCr4PSE;
  g.poke32(kPd + 8, 0 | kP | kRW | kPS);  // linear 8 MiB -> physical 0
  g.poke32(0x1234, 0x600DF00D);
  CHECK(g.read(0x800000 + 0x1234) == 0x600DF00Du);
  REQUIRE(g.cpu().write_linear<uint32_t>(0x800000 + 0x1238, 9));
  CHECK((g.peek32(kPd + 8) & (kA | kD)) == (kA | kD));
  g.poke32(kPd + 8, 0 | kP | kRW | kPS | (1u << 21));
  g.cpu().flush_tlb();
  uint32_t v;
  CHECK_FALSE(g.cpu().read_linear<uint32_t>(0x800000, v));
  CHECK(g.cpu().fault.error_code == 9u);  // P | RSVD (4.7: RSVD implies P)
  // Without CR4.PSE the PS bit is ignored: the PDE points to a page table.
  g.s().cr4 &= ~core::kCr4PSE;
  g.poke32(kPd + 8, kPt | kP | kRW);
  g.cpu().flush_tlb();
  CHECK(g.read(0x800000) == 0xAAAA0000u);
}

TEST_CASE("TLB: global entries survive a CR3 load, INVLPG drops them", "[paging][tlb]") {
  PagedGuest g;
  g.s().cr4 |= core::kCr4PGE;
  g.poke32(kPt, kFrame0 | kP | kRW | kG);
  g.poke32(kPt + 4, kFrame0 | kP | kRW);  // linear 4 MiB + 4 KiB, not global
  CHECK(g.read(kLin) == 0xAAAA0000u);
  CHECK(g.read(kLin + 0x1000) == 0xAAAA0000u);
  g.poke32(kPt, kFrame1 | kP | kRW | kG);
  g.poke32(kPt + 4, kFrame1 | kP | kRW);
  REQUIRE(g.cpu().load_cr3(kPd));  // MOV to CR3
  CHECK(g.read(kLin) == 0xAAAA0000u);           // the global translation is still cached
  CHECK(g.read(kLin + 0x1000) == 0xBBBB0000u);  // the non-global one was walked again
  g.cpu().flush_tlb_page(kLin);
  CHECK(g.read(kLin) == 0xBBBB0000u);
}

TEST_CASE("TLB: INVLPG of any address in a cached 4 MiB page drops all of it", "[paging][tlb]") {
  PagedGuest g;
  g.s().cr4 |= core::kCr4PSE;
  g.poke32(kPd + 8, 0x400000 | kP | kRW | kPS);  // linear 8 MiB -> physical 4 MiB
  g.poke32(0x400000 + 0x5000, 0x11111111);
  g.poke32(0x000000 + 0x5000, 0x22222222);
  CHECK(g.read(0x800000 + 0x5000) == 0x11111111u);
  g.poke32(kPd + 8, 0x000000 | kP | kRW | kPS);
  g.cpu().flush_tlb_page(0x800000);  // another 4 KiB piece of the same large page
  CHECK(g.read(0x800000 + 0x5000) == 0x22222222u);
}

// PAE: PDPT at kPdpt; PDPTE 0 -> page directory kPd; PDE 0 -> table kPt
// (linear 0..2 MiB), PDE 2 a 2 MiB page at linear 4 MiB -> physical 0.
struct PaeGuest : PagedGuest {
  PaeGuest() {
    for (uint32_t a = kPd; a < kPd + 0x3000; a += 4) poke32(a, 0);
    poke32(kPdpt, kPd | kP);
    poke32(kPd, kPt | kP | kRW | kUS);
    poke32(kPd + 16, 0 | kP | kRW | kPS);
    poke32(kPt + 8 * 0x10, kFrame1 | kP | kRW);  // linear 0x10000 -> kFrame1
    s().cr4 |= core::kCr4PAE;
    s().cr3 = kPdpt;
    REQUIRE(cpu().load_pdptes(kPdpt));
    cpu().flush_tlb();
  }
};

TEST_CASE("PAE: 4 KiB and 2 MiB pages, A/D in the low dword, reserved bits", "[paging][pae]") {
  PaeGuest g;
  CHECK(g.read(0x10000) == 0xBBBB0000u);
  g.poke32(0x3000, 0x5EED);
  CHECK(g.read(0x400000 + 0x3000) == 0x5EEDu);
  REQUIRE(g.cpu().write_linear<uint32_t>(0x10004, 1));
  CHECK((g.peek32(kPt + 8 * 0x10) & (kA | kD)) == (kA | kD));
  CHECK(g.peek32(kPt + 8 * 0x10 + 4) == 0u);
  // Bit 63 (XD without EFER.NXE) and bits above MAXPHYADDR = 32: RSVD.
  g.poke32(kPt + 8 * 0x11, kFrame1 | kP | kRW);
  g.poke32(kPt + 8 * 0x11 + 4, 0x80000000u);
  uint32_t v;
  CHECK_FALSE(g.cpu().read_linear<uint32_t>(0x11000, v));
  CHECK(g.cpu().fault.error_code == 9u);
  CHECK(g.s().cr2 == 0x11000u);
  // 2 MiB PDE bits 20:13 are reserved.
  g.poke32(kPd + 24, 0x600000 | kP | kRW | kPS | (1u << 13));
  CHECK_FALSE(g.cpu().write_linear<uint32_t>(0x600000, 1));
  CHECK(g.cpu().fault.error_code == 0xBu);  // P | W | RSVD
  // A not-present PDPTE register: #PF with P = 0.
  CHECK_FALSE(g.cpu().read_linear<uint32_t>(0x40000000, v));
  CHECK(g.cpu().fault.error_code == 0u);
}

TEST_CASE("PAE: PDPTEs are registers: loaded whole or not at all", "[paging][pae]") {
  PaeGuest g;
  g.poke32(kPdpt + 8, kPd | kP | 0x2);  // PDPTE 1 with reserved bit 1
  CHECK_FALSE(g.cpu().load_pdptes(kPdpt));
  CHECK(g.cpu().fault.vector == core::kGP);
  CHECK(g.s().pdpte[1] == 0u);
  g.poke32(0x104008, kPd | kP | 0x100);  // another table, PDPTE 1 with reserved bit 8
  CHECK_FALSE(g.cpu().load_cr3(0x104000));
  CHECK(g.s().cr3 == kPdpt);  // MOV to CR3 faulted: CR3 unchanged
  g.poke32(kPdpt + 8, kPd | kP);
  g.poke32(kPdpt + 12, 1);  // bit 32: above MAXPHYADDR
  CHECK_FALSE(g.cpu().load_pdptes(kPdpt));
  g.poke32(kPdpt + 8, kPd);  // not present: reserved bits do not matter
  CHECK(g.cpu().load_pdptes(kPdpt));
  // The walk uses the loaded registers, not the table in memory.
  g.poke32(kPdpt, 0);
  g.cpu().flush_tlb();
  CHECK(g.read(0x10000) == 0xBBBB0000u);
}

TEST_CASE("data breakpoints: hits by length and direction, never on fetches", "[debug]") {
  PagedGuest g;
  core::CpuState& s = g.s();
  CHECK(g.read(kLin) == 0xAAAA0000u);  // a TLB entry the breakpoint must take away
  s.dr[1] = kLin + 2;
  s.dr[7] = 0x400 | (1u << 2) | (((1u << 2) | 1u) << 20);  // L1, write, 2 bytes
  g.cpu().update_breakpoints();
  uint32_t v;
  REQUIRE(g.cpu().read_linear<uint32_t>(kLin, v));
  CHECK(g.cpu().data_breakpoint_hits == 0u);
  REQUIRE(g.cpu().write_linear<uint8_t>(kLin + 1, 1));
  CHECK(g.cpu().data_breakpoint_hits == 0u);
  REQUIRE(g.cpu().write_linear<uint8_t>(kLin + 4, 1));
  CHECK(g.cpu().data_breakpoint_hits == 0u);
  REQUIRE(g.cpu().write_linear<uint32_t>(kLin, 5));
  CHECK(g.cpu().data_breakpoint_hits == 2u);
  g.cpu().data_breakpoint_hits = 0;
  s.dr[7] = 0x400 | (1u << 2) | (((1u << 2) | 3u) << 20);  // read/write
  g.cpu().update_breakpoints();
  uint8_t b;
  REQUIRE(g.cpu().read_linear<uint8_t>(kLin + 3, b));
  CHECK(g.cpu().data_breakpoint_hits == 2u);
  g.cpu().data_breakpoint_hits = 0;
  REQUIRE(g.cpu().read_linear<uint32_t>(kLin, v, Access::kExecute));
  CHECK(g.cpu().data_breakpoint_hits == 0u);
}

TEST_CASE("SYSENTER and SYSEXIT raise #GP(0) in real mode", "[priv][sysenter]") {
  Guest g;
  g.s().sysenter_cs = 0x8;
  g.code({0x0F, 0x34});
  REQUIRE(g.run() == core::StopReason::kHalted);
  CHECK(g.stopped_in_handler(core::kGP));
  Guest h;
  h.s().sysenter_cs = 0x8;
  h.code({0x0F, 0x35});
  REQUIRE(h.run() == core::StopReason::kHalted);
  CHECK(h.stopped_in_handler(core::kGP));
}

TEST_CASE("CPUID: extended leaves report 32 physical address bits", "[priv]") {
  Guest g;
  g.code({0x66, 0xB8, 0x00, 0x00, 0x00, 0x80,  // mov eax, 80000000h
          0x0F, 0xA2, 0x66, 0x89, 0xC6,        // cpuid; mov esi, eax
          0x66, 0xB8, 0x08, 0x00, 0x00, 0x80,  // mov eax, 80000008h
          0x0F, 0xA2, 0xF4});
  REQUIRE(g.run() == core::StopReason::kHalted);
  CHECK(g.s().gpr[x86::kEsi] == 0x80000008u);
  CHECK((g.s().gpr[x86::kEax] & 0xFF) == 32u);
}

}  // namespace
}  // namespace tx86::test
