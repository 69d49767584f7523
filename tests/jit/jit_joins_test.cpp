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

// tests/jit/joins.asm, assembled by meson.
const std::vector<uint8_t>& joins_program() { return test::program(TX86_JOINS_BIN); }

}  // namespace

TEST_CASE("loops and joins inside one block end as in the interpreter", "[jit][joins]") {
  for (uint64_t budget : {uint64_t{1000000}, uint64_t{7919}, uint64_t{101}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    for (Rig* r : {&ref, &jit}) r->load(test::kCodeBase, joins_program());
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
  jit.load(test::kCodeBase, joins_program());
  CHECK(jit.run(1000000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
}
