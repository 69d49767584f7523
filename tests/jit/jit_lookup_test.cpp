// The lookup table (RET, JMP/CALL r/m, the dispatcher's lookups): an entry
// is keyed by linear EIP and taken only in the mode it was made in. RET's
// inline test compares the entry with the running block's key mode
// (emit_chain.cpp), the dispatcher's with mode_bits(). The program on two
// machines, interpreter and JIT, must end bit for bit the same.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/lookup_modes.asm (NASM, org 0 at 1000:0000): protected mode with
// a 16-bit and a 32-bit code segment of the same base and limit; 50 rounds
// of a 16-bit and a 32-bit RET to the same linear address, whose bytes add
// 2 to BX in 16-bit code and 90400001h to EBX in 32-bit code.
const std::vector<uint8_t> kLookupModesProgram = {
    0xfa, 0x2e, 0x0f, 0x01, 0x16, 0x70, 0x00, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0, 0xea, 0x14, 0x00,
    0x18, 0x00, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0xf0, 0xff, 0x66, 0x31, 0xdb, 0xb9, 0x32, 0x00,
    0x68, 0x2d, 0x00, 0xc3, 0xea, 0x3d, 0x00, 0x08, 0x00, 0xb8, 0x01, 0x00, 0x40, 0x90, 0x01, 0xc3, 0x8c, 0xca,
    0x83, 0xfa, 0x18, 0x74, 0xed, 0xeb, 0x06, 0x68, 0x2d, 0x00, 0x00, 0x00, 0xc3, 0x66, 0x49, 0x74, 0x07, 0xea,
    0x24, 0x00, 0x00, 0x00, 0x18, 0x00, 0xf4, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
    0x00, 0x00, 0x01, 0x9a, 0x40, 0x00, 0xff, 0xff, 0x00, 0x00, 0x02, 0x92, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
    0x01, 0x9a, 0x00, 0x00, 0x1f, 0x00, 0x50, 0x00, 0x01, 0x00,
};

// 50 times: BX += 2 (16-bit, no carry out), then EBX += 90400001h.
constexpr uint32_t kExpectedEbx = 0x2c800096;

}  // namespace

TEST_CASE("a lookup entry made in one mode is not taken in another", "[jit][chain][lookup]") {
  for (uint64_t budget : {uint64_t{100000}, uint64_t{97}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    ref.load(test::kCodeBase, kLookupModesProgram);
    jit.load(test::kCodeBase, kLookupModesProgram);
    core::StopReason r1 = core::StopReason::kInstructionLimit, r2 = r1;
    for (int k = 0; k < 2000 && r1 == core::StopReason::kInstructionLimit; ++k) r1 = ref.run(budget);
    for (int k = 0; k < 2000 && r2 == core::StopReason::kInstructionLimit; ++k) r2 = jit.run(budget);
    CHECK(r1 == core::StopReason::kHalted);
    CHECK(r2 == core::StopReason::kHalted);
    CHECK(ref.s().gpr[x86::kEbx] == kExpectedEbx);
    CHECK(jit.s().gpr[x86::kEbx] == kExpectedEbx);
    CHECK(test::machine_difference(jit, ref) == "");
  }
}

TEST_CASE("the lookup-mode program passes lockstep", "[jit][chain][lookup][lockstep]") {
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, kLookupModesProgram);
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
  CHECK(jit.s().gpr[x86::kEbx] == kExpectedEbx);
}
