// Segment classes (jit/block.h): a block translated while a data segment
// was flat or plain must not run while that segment is limited, read-only
// or expand-down, and the other way round. tests/jit/segclass.asm calls one
// subroutine under five ES descriptors in turn; every access and every #GP
// must be the interpreter's, bit for bit.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/segclass.asm, assembled by meson.
const std::vector<uint8_t>& segclass_program() { return test::program(TX86_SEGCLASS_BIN); }

void check_results(Rig& r) {
  CHECK(r.s().gpr[x86::kEbx] == 6);            // two #GP each under 20h, 28h and 30h
  CHECK(r.s().gpr[x86::kEsi] == 0x1111110eu);  // 6x 11111111h + 4x 22222222h + 8x 33333333h + 2x 44444444h
  CHECK(r.m.memory().read(0x1000, 4) == 1);     // the last store (ECX = 1, read-only ES, then flat)
  CHECK(r.m.memory().read(0x31000, 4) == 4);    // the last store through 18h (base 30000h)
}

}  // namespace

TEST_CASE("one block under flat, plain and checked data segments", "[jit][memory][segclass]") {
  Rig ref(EngineKind::kInterp);
  Rig jit(EngineKind::kJit);
  for (Rig* r : {&ref, &jit}) r->load(test::kCodeBase, segclass_program());
  CHECK(ref.run(100000) == core::StopReason::kHalted);
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  check_results(ref);
  check_results(jit);
  CHECK(test::machine_difference(jit, ref) == "");
}

TEST_CASE("the segment class program passes lockstep", "[jit][memory][segclass][lockstep]") {
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, segclass_program());
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
  check_results(jit);
}
