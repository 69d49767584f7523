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

// tests/jit/lookup_modes.asm (assembled by meson; org 0 at 1000:0000): protected mode with
// a 16-bit and a 32-bit code segment of the same base and limit; 50 rounds
// of a 16-bit and a 32-bit RET to the same linear address, whose bytes add
// 2 to BX in 16-bit code and 90400001h to EBX in 32-bit code.
const std::vector<uint8_t>& lookup_modes_program() { return test::program(TX86_LOOKUP_MODES_BIN); }

// tests/jit/lookup_limit.asm (assembled by meson; org 0 at 1000:0000): 32-bit protected
// mode; a call to 7F0Ch under a CS of limit FFFFh translates a block that
// runs to 7F13h; then, under a CS of the same base and mode but limit
// 7F0Fh, five rounds of PUSH 7F0Ch / RET (7F10h: #GP, whose handler loops).
// EBX = 20 at the HLT.
const std::vector<uint8_t>& lookup_limit_program() { return test::program(TX86_LOOKUP_LIMIT_BIN); }
// At CS:7F0C: four INC EBX within the smaller limit, three and a RET beyond.
const std::vector<uint8_t> kLimitEdge = {0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0xc3};

// 50 times: BX += 2 (16-bit, no carry out), then EBX += 90400001h.
constexpr uint32_t kExpectedEbx = 0x2c800096;

}  // namespace

TEST_CASE("a lookup entry made in one mode is not taken in another", "[jit][chain][lookup]") {
  for (uint64_t budget : {uint64_t{100000}, uint64_t{97}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    ref.load(test::kCodeBase, lookup_modes_program());
    jit.load(test::kCodeBase, lookup_modes_program());
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
  jit.load(test::kCodeBase, lookup_modes_program());
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
  CHECK(jit.s().gpr[x86::kEbx] == kExpectedEbx);
}

TEST_CASE("a RET to a block that runs past the CS limit faults where the interpreter does", "[jit][chain][lookup]") {
  // Under the smaller limit the dispatcher finds the block at 7F0Ch in the
  // cache and leaves it to the interpreter; no lookup entry may let RET's
  // inline test enter it in a later round.
  for (EngineKind kind : {EngineKind::kJit, EngineKind::kJitLockstep}) {
    Rig ref(EngineKind::kInterp);
    Rig jit(kind);
    for (Rig* r : {&ref, &jit}) {
      r->load(test::kCodeBase, lookup_limit_program());
      r->load(test::kCodeBase + 0x7F0C, kLimitEdge);
    }
    CHECK(ref.run(10000) == core::StopReason::kHalted);
    CHECK(jit.run(10000) == core::StopReason::kHalted);
    CHECK(ref.s().gpr[x86::kEbx] == 5 * 4);
    CHECK(jit.s().gpr[x86::kEbx] == 5 * 4);
    CHECK(test::machine_difference(jit, ref) == "");
  }
}
