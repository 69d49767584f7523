// REP MOVS/STOS and REPE/REPNE CMPS/SCAS in bulk (jit/emit_string.h) against the interpreter: the
// same program on two machines must end in the same state (CPU, clock, every
// RAM byte), with PIT interrupts landing between the same chunks of a REP
// instruction, overlapping and backward copies, stores over code, and a
// REP MOVSD running into a not-present page (#PF with ECX/ESI/EDI/CR2 as the
// interpreter leaves them).
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/string.asm, assembled by meson.
const std::vector<uint8_t>& string_program() { return test::program(TX86_STRING_BIN); }

// tests/jit/string_paging.asm, assembled by meson.
const std::vector<uint8_t>& string_paging_program() { return test::program(TX86_STRING_PAGING_BIN); }

void same_run(const std::vector<uint8_t>& program, uint64_t budget, x86::CpuModel model = x86::CpuModel::kP6) {
  Rig ref(EngineKind::kInterp, model);
  Rig jit(EngineKind::kJit, model);
  ref.load(test::kCodeBase, program);
  jit.load(test::kCodeBase, program);
  const core::StopReason r1 = ref.run(budget);
  const core::StopReason r2 = jit.run(budget);
  CHECK(r1 == r2);
  CHECK(test::machine_difference(jit, ref) == "");
}

}  // namespace

TEST_CASE("REP MOVS/STOS/CMPS/SCAS in bulk end as in the interpreter, interrupts between the same chunks", "[jit][string]") {
  for (uint64_t budget : {uint64_t{3000}, uint64_t{4321}, uint64_t{20011}, uint64_t{200000}}) {
    INFO("budget " << budget);
    same_run(string_program(), budget);
  }
  same_run(string_program(), 200000, x86::CpuModel::k386);
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, string_program());
  CHECK(jit.run(200000) == core::StopReason::kHalted);
  CHECK(jit.peek16(0x3F900) == 200);  // every pass ran
  CHECK(jit.peek16(0x3F800) >= 20);   // interrupts came, many between chunks
  CHECK(jit.s().gpr[x86::kEbx] == 0);  // the REP STOSB over code replaced "mov bx,1"
  CHECK(jit.peek16(0x3D000 + 2000) == 0x7878);  // the overlapping REP MOVSB replicated a byte
  const jit::JitStats st = jit.jit_engine->stats();
  CHECK(st.bulk_runs > 100);
  CHECK(st.cache.invalidations >= 1);
}

TEST_CASE("a bulk REP MOVSD running into a not-present page faults as the interpreter", "[jit][string][paging]") {
  Rig ref(EngineKind::kInterp);
  Rig jit(EngineKind::kJit);
  ref.load(test::kCodeBase, string_paging_program());
  jit.load(test::kCodeBase, string_paging_program());
  CHECK(ref.run(200000) == core::StopReason::kHalted);
  CHECK(jit.run(200000) == core::StopReason::kHalted);
  CHECK(test::machine_difference(jit, ref) == "");
  // The fault: CR2 = 50000h, 2000h bytes copied, 800h dwords left.
  CHECK(jit.m.memory().read(0x700C, 4) == 0x50000);
  CHECK(jit.m.memory().read(0x7000, 4) == 0x200);
  CHECK(jit.m.memory().read(0x7004, 4) == 0x40000 + 0x2000 - 0x2000 + 0x800 * 4);
  CHECK(jit.m.memory().read(0x7008, 4) == 0x50000);
  CHECK(jit.m.memory().read(0x7010, 4) == 2);  // write, supervisor, not present
  CHECK(jit.jit_engine->stats().bulk_runs > 0);
}
