// Branches inside a block (jit/emit_join.h): loop heads in the middle of a
// block, forward branches to a later instruction of the block with the
// flags in the same or in different forms on the two paths, a JC after INC
// (whose CF the host's flags do not hold). tests/jit/joins.asm; the JIT must
// end bit for bit as the interpreter, whatever the budget cuts.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

const std::vector<uint8_t> kJoinsProgram = {
    0x31, 0xc0, 0x31, 0xdb, 0x31, 0xd2, 0x31, 0xf6, 0xb9, 0x2c, 0x01, 0xbf, 0x05, 0x00, 0x01, 0xf8, 0x3d,
    0x00, 0x40, 0x72, 0x04, 0x2d, 0xff, 0x3f, 0x43, 0x83, 0xd2, 0x00, 0x39, 0xd8, 0x74, 0x03, 0x83, 0xc2,
    0x01, 0xf9, 0x46, 0x72, 0x03, 0x83, 0xc2, 0x07, 0xf9, 0x46, 0x7a, 0x03, 0x3d, 0x00, 0x20, 0x83, 0xd2,
    0x00, 0x0f, 0xbc, 0xe8, 0x01, 0xea, 0x4f, 0x75, 0xd2, 0x89, 0x80, 0x00, 0x02, 0xe2, 0xc9, 0xb9, 0x32,
    0x00, 0xf9, 0x11, 0xca, 0x49, 0x75, 0xfb, 0xb9, 0x28, 0x00, 0x83, 0xd2, 0x03, 0x49, 0x83, 0xf9, 0x07,
    0x75, 0xf7, 0x9c, 0x5d, 0xf4,
};

}  // namespace

TEST_CASE("loops and joins inside one block end as in the interpreter", "[jit][joins]") {
  for (uint64_t budget : {uint64_t{1000000}, uint64_t{7919}, uint64_t{101}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    for (Rig* r : {&ref, &jit}) r->load(test::kCodeBase, kJoinsProgram);
    core::StopReason r1 = core::StopReason::kInstructionLimit, r2 = r1;
    for (int k = 0; k < 1000 && r1 == core::StopReason::kInstructionLimit; ++k) r1 = ref.run(budget);
    for (int k = 0; k < 1000 && r2 == core::StopReason::kInstructionLimit; ++k) r2 = jit.run(budget);
    CHECK(r1 == core::StopReason::kHalted);
    CHECK(r2 == core::StopReason::kHalted);
    CHECK(jit.s().gpr[x86::kEcx] == 7);  // the last loop stops at CX = 7
    CHECK(test::machine_difference(jit, ref) == "");
  }
}

TEST_CASE("the joins program passes lockstep", "[jit][joins][lockstep]") {
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, kJoinsProgram);
  CHECK(jit.run(1000000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
}
