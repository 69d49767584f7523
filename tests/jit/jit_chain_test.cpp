// Chaining (jit/emit_chain.h) and the inline branches of
// emit_control_transfer.cpp against the interpreter: the same program on two
// machines must end in the same state (CPU, clock, every RAM byte) with
// timer interrupts landing at the same instruction while blocks go to one
// another through patched links and the lookup table, links dying when
// their target is rewritten, and LOOP/JCXZ faults leaving the state alone.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/chain.asm: every kind of block exit in a loop, PIT interrupts
// every 37 ticks; the ISR counts in DS:0800, the loop its passes in DS:0900.
const std::vector<uint8_t>& chain_program() { return test::program(TX86_CHAIN_BIN); }

// tests/jit/smc_chain.asm: block b rewrites block a, its LOOP target.
const std::vector<uint8_t>& smc_chain_program() { return test::program(TX86_SMC_CHAIN_BIN); }

// tests/jit/paging_chain.asm: CALLs to linear 80000h while its mapping
// changes (PTE + INVLPG, CR3, CR0.PG); EBX = 15 + 15 + 25.
const std::vector<uint8_t>& paging_chain_program() { return test::program(TX86_PAGING_CHAIN_BIN); }

// What linear 80000h may map to: mov eax,n ; ret.
void load_paging_targets(Rig& r) {
  r.load(0x30000, {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3});
  r.load(0x31000, {0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3});
  r.load(0x80000, {0xb8, 0x04, 0x00, 0x00, 0x00, 0xc3});
}

void same_run(const std::vector<uint8_t>& program, uint64_t budget, EngineKind kind = EngineKind::kJit,
              size_t cache = size_t{32} << 20, x86::CpuModel model = x86::CpuModel::kP6) {
  Rig ref(EngineKind::kInterp, model);
  Rig jit(kind, model, cache);
  ref.load(test::kCodeBase, program);
  jit.load(test::kCodeBase, program);
  const core::StopReason r1 = ref.run(budget);
  const core::StopReason r2 = jit.run(budget);
  INFO("lockstep: " << jit.jit_engine->lockstep_report());
  CHECK(r1 == r2);
  CHECK(test::machine_difference(jit, ref) == "");
}

}  // namespace

TEST_CASE("chained blocks take timer interrupts at the interpreter's instruction", "[jit][chain]") {
  for (uint64_t budget : {uint64_t{400000}, uint64_t{123457}, uint64_t{99991}, uint64_t{7777}}) {
    INFO("budget " << budget);
    same_run(chain_program(), budget);
  }
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, chain_program());
  jit.run(400000);
  CHECK(jit.peek16(0x30800) >= 100);  // the ISR ran many times
  CHECK(jit.peek16(0x30900) >= 1000);  // so did the loop
  const jit::JitStats st = jit.jit_engine->stats();
  CHECK(st.chaining);
  CHECK(st.cache.chain_links > 5);
  CHECK(st.direct_runs > 10000);
  CHECK(st.indirect_runs > 1000);
  // Chained blocks are counted as run.
  CHECK(st.blocks_run > st.direct_runs + st.indirect_runs);
}

TEST_CASE("the chaining program passes lockstep (chaining off)", "[jit][chain][lockstep]") {
  same_run(chain_program(), 60000, EngineKind::kJitLockstep);
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, chain_program());
  jit.run(30000);
  CHECK(!jit.jit_engine->stats().chaining);
  CHECK(jit.jit_engine->stats().direct_runs == 0);
}

TEST_CASE("a tiny cache flushes under chained blocks", "[jit][chain]") {
  Rig jit(EngineKind::kJit, x86::CpuModel::kP6, 512);
  jit.load(test::kCodeBase, chain_program());
  jit.run(100000);
  CHECK(jit.jit_engine->stats().cache.flushes > 10);
  same_run(chain_program(), 100000, EngineKind::kJit, 512);
}

TEST_CASE("a link dies when its target block is rewritten", "[jit][chain][smc]") {
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, smc_chain_program());
  CHECK(jit.run(10000) == core::StopReason::kHalted);
  CHECK((jit.s().gpr[x86::kEbx] & 0xFF) == (50 * 51 / 2 - 1) % 256);
  CHECK(jit.jit_engine->stats().cache.invalidations >= 49);
  same_run(smc_chain_program(), 10000);
  same_run(smc_chain_program(), 10000, EngineKind::kJitLockstep);
}

TEST_CASE("LOOP, LOOPE, LOOPNE and JCXZ with 16- and 32-bit counts", "[jit][chain]") {
  // mov ecx,10003h ; l: inc ax ; loop l (CX only) ; mov ecx,10000h ;
  // jcxz z (taken) ; hlt ; z: a32 jcxz y (not taken) ; inc si ;
  // y: mov ecx,2 ; cmp ax,ax ; k: a32 loope k ; mov cx,5 ; cmp ax,bx ;
  // m: a32 loopne m ; hlt
  const std::vector<uint8_t> p = {0x66, 0xb9, 0x03, 0x00, 0x01, 0x00, 0x40, 0xe2, 0xfd, 0x66, 0xb9, 0x00, 0x00, 0x01,
                                  0x00, 0xe3, 0x01, 0xf4, 0x67, 0xe3, 0x01, 0x46, 0x66, 0xb9, 0x02, 0x00, 0x00, 0x00,
                                  0x39, 0xc0, 0x67, 0xe1, 0xfd, 0xb9, 0x05, 0x00, 0x39, 0xd8, 0x67, 0xe0, 0xfd, 0xf4};
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, p);
  CHECK(jit.run(1000) == core::StopReason::kHalted);
  CHECK(jit.s().gpr[x86::kEax] == 3);       // LOOP ran on CX only
  CHECK(jit.s().gpr[x86::kEsi] == 1);       // a32 JECXZ not taken on ECX = 10000h
  CHECK(jit.s().gpr[x86::kEcx] == 0);       // a32 LOOPE and LOOPNE ran ECX down
  same_run(p, 1000);
  same_run(p, 1000, EngineKind::kJitLockstep);
}

TEST_CASE("a LOOP beyond the CS limit raises #GP with the count unchanged", "[jit][chain]") {
  // mov cx,2 ; o32 loop -7: the target wraps to FFFFFFFF, past the limit.
  const std::vector<uint8_t> p = {0xb9, 0x02, 0x00, 0x66, 0xe2, 0xf9, 0xf4};
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, p);
  CHECK(jit.run(1000) == core::StopReason::kHalted);
  CHECK(jit.stopped_in_handler(13));
  CHECK(jit.s().gpr[x86::kEcx] == 2);
  same_run(p, 1000);
  same_run(p, 1000, EngineKind::kJitLockstep);
}

TEST_CASE("CALL faults leave the state alone", "[jit][chain]") {
  // mov sp,100h ; o32 call 20000h: beyond the CS limit, #GP(0), nothing pushed.
  const std::vector<uint8_t> p = {0xbc, 0x00, 0x01, 0x66, 0xe8, 0xf7, 0xff, 0x01, 0x00, 0xf4};
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, p);
  CHECK(jit.run(1000) == core::StopReason::kHalted);
  CHECK(jit.stopped_in_handler(13));
  CHECK(jit.s().gpr[x86::kEsp] == 0x100 - 6);  // only the #GP frame
  CHECK(jit.peek16(0x20000 + 0x100 - 6) == 3);  // the return IP: the CALL
  same_run(p, 1000);
  // mov sp,1 ; call x: the push faults (#SS) and so does its delivery: shutdown.
  same_run({0xbc, 0x01, 0x00, 0xe8, 0x00, 0x00, 0xf4}, 1000);
}

TEST_CASE("links die when the mapping changes (INVLPG, CR3, CR0.PG)", "[jit][chain][paging]") {
  Rig ref(EngineKind::kInterp);
  Rig jit(EngineKind::kJit);
  for (Rig* r : {&ref, &jit}) {
    r->load(test::kCodeBase, paging_chain_program());
    load_paging_targets(*r);
  }
  CHECK(ref.run(100000) == core::StopReason::kHalted);
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  CHECK(ref.s().gpr[x86::kEbx] == 55);
  CHECK(jit.s().gpr[x86::kEbx] == 55);
  CHECK(test::machine_difference(jit, ref) == "");
  const jit::JitStats st = jit.jit_engine->stats();
  CHECK(st.link_epochs >= 30);
  // Links were made (and died with their epoch).
  CHECK(st.cache.chain_links > 0);
  Rig lock(EngineKind::kJitLockstep);
  lock.load(test::kCodeBase, paging_chain_program());
  load_paging_targets(lock);
  CHECK(lock.run(100000) == core::StopReason::kHalted);
  CHECK(lock.jit_engine->lockstep_report() == "");
  CHECK(lock.s().gpr[x86::kEbx] == 55);
}
