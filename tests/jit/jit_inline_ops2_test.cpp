// The host-flag consumers (SETcc, CMOVcc and Jcc right after the
// instruction that computed the flags: emit_cond.cpp, emit_shift.cpp) and
// the inline SHLD/SHRD, BSF/BSR, XADD, CMPXCHG and BT* into bit strings
// (emit_shift_double.cpp, emit_bit.cpp, emit_xadd_cmpxchg.cpp) and POP to
// memory (emit_stack.cpp) against the
// interpreter: tests/jit/inline_ops2.asm stores every result and EFLAGS
// image, so the two machines must end with the same CPU state, clock and
// RAM; also in lockstep (block by block) and on the 386 (no CMOVcc, XADD,
// CMPXCHG there: #UD, resumed).
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/inline_ops2.asm, assembled by meson.
const std::vector<uint8_t>& program() { return test::program(TX86_INLINE_OPS2_BIN); }

constexpr uint32_t kData = 0x30000;  // DS
constexpr uint64_t kBudget = 40000000;

void same_run(EngineKind kind, x86::CpuModel model) {
  Rig ref(EngineKind::kInterp, model);
  Rig jit(kind, model);
  ref.load(test::kCodeBase, program());
  jit.load(test::kCodeBase, program());
  const core::StopReason r1 = ref.run(kBudget);
  const core::StopReason r2 = jit.run(kBudget);
  // The program ran to its end.
  CHECK(ref.s().halted);
  CHECK(ref.peek16(kData + 0x802) == 0);  // passes left
  // #UD: CMOVcc (one per producer), XADD and CMPXCHG (16 producers) on the 386.
  const uint16_t ud = ref.peek16(kData + 0x810);
  if (model < x86::CpuModel::k486) CHECK(ud > 0);
  else CHECK(ud == 0);
  CHECK(ref.peek16(kData + 0x812) == 100 * 4);  // #GP of POP m beyond the DS limit
  INFO("lockstep: " << jit.jit_engine->lockstep_report());
  CHECK(r1 == r2);
  CHECK(test::machine_difference(jit, ref) == "");
}

}  // namespace

TEST_CASE("host flags and SHLD/SHRD, BSF/BSR, XADD, CMPXCHG, BT strings, POP m inline end as in the interpreter",
          "[jit][inline]") {
  same_run(EngineKind::kJit, x86::CpuModel::kP6);
}

TEST_CASE("host flags and SHLD/SHRD, BSF/BSR, XADD, CMPXCHG, BT strings, POP m inline pass lockstep", "[jit][inline]") {
  same_run(EngineKind::kJitLockstep, x86::CpuModel::kP6);
}

TEST_CASE("host flags and SHLD/SHRD, BSF/BSR, BT strings, POP m inline on the 386 end as in the interpreter",
          "[jit][inline]") {
  same_run(EngineKind::kJit, x86::CpuModel::k386);
}
