// Link policy (jit/jit_engine.h, LinkSignature): chain links and lookup
// entries stay across what leaves the mapping and CS alone (INT/IRET between
// code of one CS base) and die when either changes (a far JMP to a CS with
// another base, a task switch loading CR3). The program on two machines,
// interpreter and JIT, must end bit for bit the same (CPU, clock, RAM).
#include <catch2/catch.hpp>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/links.asm: 1000 INT 30h/IRET in a loop of three blocks (EBX),
// a CALL 80000h under CS bases 0 and 400000h alternately (EDI), the same in
// two tasks with their own CR3 ([9404h]).
const std::vector<uint8_t>& links_program() { return test::program(TX86_LINKS_BIN); }

// What linear 80000h may map to: mov eax,n ; ret.
void load_targets(Rig& r) {
  r.load(0x80000, {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3});
  r.load(0x81000, {0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3});
}

void check_results(Rig& r) {
  CHECK(r.s().gpr[x86::kEbx] == 1000);                 // the INT handler ran every time
  CHECK(r.s().gpr[x86::kEdi] == 15);                   // CS bases 0, 400000h, 0, ...
  CHECK(r.m.memory().read(0x9404, 4) == 16);           // tasks A, B, A, ..., A
  CHECK(r.s().tr.selector == 0x20);                    // back in task A
}

}  // namespace

TEST_CASE("links survive INT/IRET and die on a CS base change and a task switch", "[jit][chain][links]") {
  for (uint64_t budget : {uint64_t{200000}, uint64_t{7919}}) {
    INFO("budget " << budget);
    Rig ref(EngineKind::kInterp);
    Rig jit(EngineKind::kJit);
    for (Rig* r : {&ref, &jit}) {
      r->load(test::kCodeBase, links_program());
      load_targets(*r);
    }
    // A budget below the program's length: run() returns and is called
    // again (links made in one call are checked at the next).
    core::StopReason r1 = core::StopReason::kInstructionLimit, r2 = r1;
    for (int k = 0; k < 100 && r1 == core::StopReason::kInstructionLimit; ++k) r1 = ref.run(budget);
    for (int k = 0; k < 100 && r2 == core::StopReason::kInstructionLimit; ++k) r2 = jit.run(budget);
    CHECK(r1 == core::StopReason::kHalted);
    CHECK(r2 == core::StopReason::kHalted);
    check_results(ref);
    check_results(jit);
    CHECK(test::machine_difference(jit, ref) == "");
    const jit::JitStats st = jit.jit_engine->stats();
    // Loop 1: the JMPs after the IRET and the JNZ back to the INT go
    // through their links in every pass but the first (3 of 5 blocks);
    // links dying at every INT and IRET would leave about none.
    CHECK(st.direct_runs >= 2 * 1000);
    // Loops 2 and 3 changed CS or CR3 19 times; the mode switches too.
    CHECK(st.signature_changes >= 19);
  }
}

TEST_CASE("the links program passes lockstep", "[jit][chain][links][lockstep]") {
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, links_program());
  load_targets(jit);
  CHECK(jit.run(200000) == core::StopReason::kHalted);
  CHECK(jit.jit_engine->lockstep_report() == "");
  check_results(jit);
}

TEST_CASE("a page rewritten in a loop runs in the interpreter for a while, links kept", "[jit][chain][smc]") {
  // 0000: xor bx,bx ; mov cx,300 ; l: mov [cs:1001h],cx ; call 1000h ;
  //       add bx,ax ; loop l ; hlt      1000: mov ax,0 (patched) ; ret
  std::vector<uint8_t> p(0x1004, 0x90);
  const std::vector<uint8_t> loop = {0x31, 0xdb, 0xb9, 0x2c, 0x01, 0x2e, 0x89, 0x0e, 0x01,
                                     0x10, 0xe8, 0xf3, 0x0f, 0x01, 0xc3, 0xe2, 0xf4, 0xf4};
  const std::vector<uint8_t> f = {0xb8, 0x00, 0x00, 0xc3};
  std::copy(loop.begin(), loop.end(), p.begin());
  std::copy(f.begin(), f.end(), p.begin() + 0x1000);
  Rig ref(EngineKind::kInterp);
  Rig jit(EngineKind::kJit);
  ref.load(test::kCodeBase, p);
  jit.load(test::kCodeBase, p);
  CHECK(ref.run(100000) == core::StopReason::kHalted);
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  CHECK(jit.s().gpr[x86::kEbx] == 300 * 301 / 2);
  CHECK(test::machine_difference(jit, ref) == "");
  const jit::JitStats st = jit.jit_engine->stats();
  // Translated and dropped until the page was found hot, then left to the
  // interpreter for the rest of the run.
  CHECK(st.cache.hot_pauses == 1);
  CHECK(st.cache.invalidations == jit::TranslationCache::kHotInvalidations);
  CHECK(st.cache.paused_lookups >= 300 - jit::TranslationCache::kHotInvalidations);
  // The LOOP's link to the patching block survives the interpreter's
  // stretches (one per pass).
  CHECK(st.direct_runs >= 200);
}

// tests/jit/pf_restart.asm: 200 reads of a not-present page whose #PF
// handler maps it and IRETs (RF set in the frame), then clears the PTE and
// INVLPGs it; EBX = 200 * 7.
const std::vector<uint8_t>& pf_restart_program() { return test::program(TX86_PF_RESTART_BIN); }

TEST_CASE("the instruction restarted after a #PF handler runs in a block", "[jit][chain][paging]") {
  Rig ref(EngineKind::kInterp);
  Rig jit(EngineKind::kJit);
  for (Rig* r : {&ref, &jit}) {
    r->load(test::kCodeBase, pf_restart_program());
    r->load(0x81000, {0x07, 0x00, 0x00, 0x00});
  }
  CHECK(ref.run(100000) == core::StopReason::kHalted);
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  CHECK(jit.s().gpr[x86::kEbx] == 200 * 7);
  CHECK(test::machine_difference(jit, ref) == "");
  const jit::JitStats st = jit.jit_engine->stats();
  CHECK(st.exceptions == 200);
  // RF alone (no breakpoint enabled) does not send the restarted MOV to
  // the interpreter (it used to: one stretch per fault).
  CHECK(st.fallback_runs < 10);
  // The INVLPGs hit a 4 MiB region no link leads into: links stay, and the
  // handler's IRET goes on to the restarted instruction through the
  // lookup table entry made in the first round.
  CHECK(st.invlpg_kept >= 199);
  CHECK(st.transfer_links >= 199);
  Rig lock(EngineKind::kJitLockstep);
  lock.load(test::kCodeBase, pf_restart_program());
  lock.load(0x81000, {0x07, 0x00, 0x00, 0x00});
  CHECK(lock.run(100000) == core::StopReason::kHalted);
  CHECK(lock.jit_engine->lockstep_report() == "");
  CHECK(lock.s().gpr[x86::kEbx] == 200 * 7);
}
