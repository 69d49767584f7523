// The boundary check after port I/O: an OUT that unmasks a pending
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

// tests/jit/boundary.asm (NASM, org 0 at 1000:0000): 150 rounds of (a) an
// IRQ0 raised while masked and unmasked by an OUT, (b) the PIT reloaded
// with a long then a short count while a loop spins; the ISR logs BX, DX,
// SI, DI at DS:0810 (index at DS:0800, count at DS:0802) and masks IRQ0.
const std::vector<uint8_t> kBoundaryProgram = {
    0xfa, 0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21, 0xb0,
    0xff, 0xe6, 0x21, 0x31, 0xc0, 0x8e, 0xc0, 0x26, 0xc7, 0x06, 0x20, 0x00, 0x8a, 0x00, 0x26, 0xc7, 0x06, 0x22,
    0x00, 0x00, 0x10, 0xb8, 0x00, 0x30, 0x8e, 0xd8, 0x31, 0xf6, 0x31, 0xdb, 0x31, 0xd2, 0xc7, 0x06, 0x00, 0x08,
    0x00, 0x00, 0xc7, 0x06, 0x02, 0x08, 0x00, 0x00, 0xb9, 0x96, 0x00, 0xfb, 0xb0, 0x30, 0xe6, 0x43, 0xb0, 0x14,
    0xe6, 0x40, 0x30, 0xc0, 0xe6, 0x40, 0xbf, 0x20, 0x03, 0x43, 0x4f, 0x75, 0xfc, 0xb0, 0xfe, 0xe6, 0x21, 0x42,
    0x42, 0xb0, 0x30, 0xe6, 0x43, 0xb0, 0x60, 0xe6, 0x40, 0xb0, 0xea, 0xe6, 0x40, 0xb0, 0xfe, 0xe6, 0x21, 0xbf,
    0x1e, 0x00, 0x46, 0x4f, 0x75, 0xfc, 0xb0, 0x30, 0xe6, 0x43, 0xb0, 0x03, 0xe6, 0x40, 0x30, 0xc0, 0xe6, 0x40,
    0xbf, 0x90, 0x01, 0x46, 0x4f, 0x75, 0xfc, 0x49, 0x75, 0xba, 0xfa, 0xf4, 0x50, 0x57, 0x89, 0xf8, 0x8b, 0x3e,
    0x00, 0x08, 0x89, 0x9d, 0x10, 0x08, 0x89, 0x95, 0x12, 0x08, 0x89, 0xb5, 0x14, 0x08, 0x89, 0x85, 0x16, 0x08,
    0x83, 0xc7, 0x08, 0x81, 0xe7, 0xff, 0x03, 0x89, 0x3e, 0x00, 0x08, 0xff, 0x06, 0x02, 0x08, 0xb0, 0xff, 0xe6,
    0x21, 0xb0, 0x20, 0xe6, 0x20, 0x5f, 0x58, 0xcf,
};
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

}  // namespace

TEST_CASE("interrupts unmasked and timer events moved by an OUT come at the interpreter's instruction", "[jit][chain][boundary]") {
  for (uint64_t budget : {uint64_t{3000000}, uint64_t{77777}, uint64_t{4099}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    ref.load(test::kCodeBase, kBoundaryProgram);
    jit.load(test::kCodeBase, kBoundaryProgram);
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
  jit.load(test::kCodeBase, kBoundaryProgram);
  CHECK(jit.run(3000000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
  check_log(jit);
}
