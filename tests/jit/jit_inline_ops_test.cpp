// The inline forms with run-time tests (shifts and rotates by CL, DIV and
// IDIV with their #DE cases, CALL and JMP r/m with targets beyond the CS
// limit: emit_shift.cpp, emit_mul.cpp, emit_control_transfer.cpp; also
// CBW/CWD/CWDE/CDQ and BSWAP, emit_data_transfer.cpp) against
// the interpreter: tests/jit/inline_ops.asm stores every result and EFLAGS
// image, so the two machines must end with the same CPU state, clock and
// RAM; also in lockstep (block by block) and on the 386 (whose IDIV r/m8
// completes some overflowing divisions, core/semantics/muldiv.h).
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/inline_ops.asm, assembled by meson.
const std::vector<uint8_t>& program() { return test::program(TX86_INLINE_OPS_BIN); }

constexpr uint32_t kData = 0x30000;  // DS
constexpr uint64_t kBudget = 20000000;

void same_run(EngineKind kind, x86::CpuModel model) {
  Rig ref(EngineKind::kInterp, model);
  Rig jit(kind, model);
  ref.load(test::kCodeBase, program());
  jit.load(test::kCodeBase, program());
  const core::StopReason r1 = ref.run(kBudget);
  const core::StopReason r2 = jit.run(kBudget);
  // The program ran to its end, through both fault handlers.
  CHECK(ref.s().halted);
  CHECK(ref.s().seg[x86::kCs].selector == 0x1000);
  CHECK(ref.peek16(kData + 0x820) == 0);  // passes left
  const uint16_t de = ref.peek16(kData + 0x802), gp = ref.peek16(kData + 0x804), calls = ref.peek16(kData + 0x818);
  CHECK(de > 1000);
  CHECK(gp == 4 * 50 * 4);
  CHECK(calls == 4 * 50 * (3 + 2 * 3));
  CHECK(ref.peek16(kData + 0x828) == (model < x86::CpuModel::k486 ? 4 * 48 : 0));  // #UD of BSWAP
  INFO("lockstep: " << jit.jit_engine->lockstep_report());
  CHECK(r1 == r2);
  CHECK(test::machine_difference(jit, ref) == "");
}

}  // namespace

TEST_CASE("shifts by CL, DIV/IDIV and CALL/JMP r/m inline end as in the interpreter", "[jit][inline]") {
  same_run(EngineKind::kJit, x86::CpuModel::kP6);
}

TEST_CASE("shifts by CL, DIV/IDIV and CALL/JMP r/m inline pass lockstep", "[jit][inline]") {
  same_run(EngineKind::kJitLockstep, x86::CpuModel::kP6);
}

TEST_CASE("DIV/IDIV inline on the 386 end as in the interpreter", "[jit][inline]") {
  same_run(EngineKind::kJit, x86::CpuModel::k386);
}
