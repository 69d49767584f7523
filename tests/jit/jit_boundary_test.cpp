// The boundary check after port I/O, INT and IRET: an OUT that unmasks a pending
// interrupt gets it before the next instruction, and one that moves the
// next timer event earlier moves the deadline of the blocks after it (and
// of the loops and links they run). Guards any shortcut past the run
// loop's boundary check after blocks that end with IN/OUT, INT/IRET or a
// fault (jit/README.md). The program on two machines, interpreter and JIT,
// must end bit for bit the same (CPU, clock, RAM).
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/boundary.asm (assembled by meson; org 0 at 1000:0000): 150 rounds of (a) an
// IRQ0 raised while masked and unmasked by an OUT, (b) the PIT reloaded
// with a long then a short count while a loop spins; the ISR logs BX, DX,
// SI, DI at DS:0810 (index at DS:0800, count at DS:0802) and masks IRQ0.
const std::vector<uint8_t>& boundary_program() { return test::program(TX86_BOUNDARY_BIN); }
constexpr uint32_t kData = 0x30000;
constexpr uint16_t kRounds = 150;

// The log holds the last 64 rounds (16 bytes a round); round r's (a)
// entry: BX = 800 (r + 1), DX = 2r (the interrupt came right after the
// unmasking OUT, before this round's INC DX); its (b) entry: DX = 2r + 2.
void check_log(Rig& r) {
  CHECK(r.peek16(kData + 0x802) == 2 * kRounds);
  for (uint32_t round = kRounds - 64; round < kRounds; ++round) {
    INFO("round " << round);
    const uint32_t a = kData + 0x810 + 16u * (round % 64);
    CHECK(r.peek16(a) == uint16_t(800u * (round + 1)));  // BX
    CHECK(r.peek16(a + 2) == uint16_t(2u * round));      // DX
    CHECK(r.peek16(a + 10) == uint16_t(2u * round + 2));
  }
}

// tests/jit/int_iret.asm (assembled by meson; org 0 at 1000:0000): 100 rounds of two
// INT 30h/IRET, (a) an IRET setting IF with IRQ0 pending (the interrupt
// before after_a = 9Bh), (b) in odd rounds an IRET setting TF (the trap
// after the first instruction at after_b = AEh; even rounds give after_b a
// lookup entry). Counts and sums of the interrupted IPs at
// DS:0800..0808.
const std::vector<uint8_t>& int_iret_program() { return test::program(TX86_INT_IRET_BIN); }

void check_int_iret(Rig& r) {
  CHECK(r.peek16(kData + 0x800) == 200);          // INT 30h
  CHECK(r.peek16(kData + 0x804) == 100);          // IRQ0
  CHECK(r.peek16(kData + 0x802) == 100 * 0x9B);   // ... before after_a
  CHECK(r.peek16(kData + 0x808) == 50);           // single-step traps
  CHECK(r.peek16(kData + 0x806) == 50 * 0xAF);    // ... after after_b's first instruction
}

}  // namespace

TEST_CASE("interrupts unmasked and timer events moved by an OUT come at the interpreter's instruction", "[jit][chain][boundary]") {
  for (uint64_t budget : {uint64_t{3000000}, uint64_t{77777}, uint64_t{4099}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    ref.load(test::kCodeBase, boundary_program());
    jit.load(test::kCodeBase, boundary_program());
    core::StopReason r1 = core::StopReason::kInstructionLimit, r2 = r1;
    for (int k = 0; k < 1000 && r1 == core::StopReason::kInstructionLimit; ++k) r1 = ref.run(budget);
    for (int k = 0; k < 1000 && r2 == core::StopReason::kInstructionLimit; ++k) r2 = jit.run(budget);
    CHECK(r1 == core::StopReason::kHalted);
    CHECK(r2 == core::StopReason::kHalted);
    check_log(ref);
    CHECK(test::machine_difference(jit, ref) == "");
    check_log(jit);
  }
}

TEST_CASE("the boundary program passes lockstep", "[jit][chain][boundary][lockstep]") {
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, boundary_program());
  CHECK(jit.run(3000000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
  check_log(jit);
}

TEST_CASE("after INT and IRET blocks go on only as the boundary check allows", "[jit][chain][boundary]") {
  for (uint64_t budget : {uint64_t{1000000}, uint64_t{4099}, uint64_t{101}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    ref.load(test::kCodeBase, int_iret_program());
    jit.load(test::kCodeBase, int_iret_program());
    core::StopReason r1 = core::StopReason::kInstructionLimit, r2 = r1;
    for (int k = 0; k < 5000 && r1 == core::StopReason::kInstructionLimit; ++k) r1 = ref.run(budget);
    for (int k = 0; k < 5000 && r2 == core::StopReason::kInstructionLimit; ++k) r2 = jit.run(budget);
    CHECK(r1 == core::StopReason::kHalted);
    CHECK(r2 == core::StopReason::kHalted);
    check_int_iret(ref);
    check_int_iret(jit);
    CHECK(test::machine_difference(jit, ref) == "");
    // The rule under test was used (INT 30h and its IRET).
    if (budget > 4000) CHECK(jit.jit_engine->stats().transfer_links >= 200);
  }
}

TEST_CASE("the INT/IRET program passes lockstep", "[jit][chain][boundary][lockstep]") {
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, int_iret_program());
  CHECK(jit.run(1000000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
  check_int_iret(jit);
}
