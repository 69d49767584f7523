// The JIT against the interpreter: the same programs on two machines must end
// in the same state (CPU, clock, every RAM byte), including timer interrupts
// (same instruction boundaries), faults inside a block, self-modifying code,
// instructions crossing a page, cache flushes and the 286's LOCK forms.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "jit/jit_table.h"
#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/timer.asm (assembled by meson; org 0 at 1000:0000): programs the PIC (IRQ0 at
// vector 8, only IRQ0 unmasked) and PIT channel 0 (mode 2, count 100), then
// loops on register arithmetic and stores to DS:SI while the ISR counts
// interrupts in DS:0800 and sends EOI.
const std::vector<uint8_t>& timer_program() { return test::program(TX86_TIMER_BIN); }

// tests/jit/smc.asm: a loop that rewrites the immediate of the very next
// instruction (same block) with CL each time: BL = 50 + 49 + ... + 1 mod 256.
const std::vector<uint8_t>& smc_program() { return test::program(TX86_SMC_BIN); }

void same_run(const std::vector<uint8_t>& program, uint64_t budget, EngineKind kind,
              x86::CpuModel model = x86::CpuModel::kP6, size_t cache = size_t{32} << 20) {
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

TEST_CASE("timer interrupts arrive at the same instruction under the JIT", "[jit]") {
  for (uint64_t budget : {uint64_t{300000}, uint64_t{123457}, uint64_t{99991}}) {
    INFO("budget " << budget);
    same_run(timer_program(), budget, EngineKind::kJit);
  }
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, timer_program());
  jit.run(300000);
  CHECK(jit.peek16(0x30800) >= 20);  // the ISR ran many times
  CHECK(jit.jit_engine->stats().block_instructions > 250000);
}

TEST_CASE("the timer program passes lockstep", "[jit][lockstep]") {
  same_run(timer_program(), 200000, EngineKind::kJitLockstep);
  Rig jit(EngineKind::kJitLockstep);
  jit.load(test::kCodeBase, timer_program());
  jit.run(100000);
  CHECK(jit.jit_engine->lockstep_report() == "");
  CHECK(jit.jit_engine->stats().lockstep_blocks > 1000);
}

TEST_CASE("code that rewrites the next instruction of its own block", "[jit][smc]") {
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, smc_program());
  CHECK(jit.run(10000) == core::StopReason::kHalted);
  CHECK((jit.s().gpr[x86::kEbx] & 0xFF) == (50 * 51 / 2) % 256);
  CHECK(jit.jit_engine->stats().cache.invalidations >= 50);
  same_run(smc_program(), 10000, EngineKind::kJit);
  same_run(smc_program(), 10000, EngineKind::kJitLockstep);
}

TEST_CASE("data written next to code leaves other blocks of the page alone", "[jit][smc]") {
  // Block A at 0 stores to offset 0x200 of the code page (not code); the
  // block at 0x100 must survive: only exact byte ranges are invalidated.
  // 0000: mov ax,1 ; jmp 0100      0100: mov [cs:0200],ax ; inc bx ; cmp bx,10 ; jne 0100 ; hlt
  std::vector<uint8_t> p(0x210, 0x90);
  const std::vector<uint8_t> a = {0xb8, 0x01, 0x00, 0xe9, 0xfa, 0x00};
  const std::vector<uint8_t> b = {0x2e, 0xa3, 0x00, 0x02, 0x43, 0x83, 0xfb, 0x0a, 0x75, 0xf6, 0xf4};
  std::copy(a.begin(), a.end(), p.begin());
  std::copy(b.begin(), b.end(), p.begin() + 0x100);
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, p);
  CHECK(jit.run(10000) == core::StopReason::kHalted);
  CHECK(jit.s().gpr[x86::kEbx] == 10);
  CHECK(jit.jit_engine->stats().cache.invalidations == 0);
  same_run(p, 10000, EngineKind::kJitLockstep);
}

TEST_CASE("a fault inside a block leaves the state of the faulting instruction", "[jit]") {
  // mov ax,5 ; mov bx,7 ; xor cl,cl ; div cl (#DE) ; hlt
  const std::vector<uint8_t> p = {0xb8, 0x05, 0x00, 0xbb, 0x07, 0x00, 0x30, 0xc9, 0xf6, 0xf1, 0xf4};
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, p);
  CHECK(jit.run(1000) == core::StopReason::kHalted);
  CHECK(jit.stopped_in_handler(0));
  CHECK(jit.s().gpr[x86::kEax] == 5);
  CHECK(jit.s().gpr[x86::kEbx] == 7);
  CHECK(jit.peek16(0x20000 + 0xFFFE - 6) == 8);  // the return IP: the DIV
  CHECK(jit.jit_engine->stats().exceptions == 1);
  same_run(p, 1000, EngineKind::kJit);
  same_run(p, 1000, EngineKind::kJitLockstep);
}

TEST_CASE("reads of control and debug registers do not end a block", "[jit]") {
  // mov eax,12345678h ; mov cr2,eax ; mov cx,50 ;
  // l: mov ebx,cr2 ; add esi,ebx ; mov edx,cr0 ; add esi,edx ; mov edi,dr7 ; add esi,edi ; loop l ; hlt
  const std::vector<uint8_t> p = {0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, 0x0f, 0x22, 0xd0, 0xb9, 0x32, 0x00,
                                  0x0f, 0x20, 0xd3, 0x66, 0x01, 0xde, 0x0f, 0x20, 0xc2, 0x66, 0x01, 0xd6,
                                  0x0f, 0x21, 0xff, 0x66, 0x01, 0xfe, 0xe2, 0xec, 0xf4};
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, p);
  CHECK(jit.run(10000) == core::StopReason::kHalted);
  const core::CpuState& s = jit.s();
  CHECK(s.gpr[x86::kEsi] == 50 * (0x12345678u + s.cr0 + s.dr[7]));
  // The loop runs inside its block: not one block (or more) per read.
  CHECK(jit.jit_engine->stats().blocks_run < 20);
  same_run(p, 10000, EngineKind::kJit);
  same_run(p, 10000, EngineKind::kJitLockstep);
}

TEST_CASE("an instruction crossing a page runs in the interpreter", "[jit]") {
  // 0000: jmp 0FFE ; 0FFE: mov ax,1234h (crosses 0x11000) ; mov bx,5678h ; hlt
  std::vector<uint8_t> p(0x1010, 0x90);
  const std::vector<uint8_t> head = {0xe9, 0xfb, 0x0f};
  const std::vector<uint8_t> tail = {0xb8, 0x34, 0x12, 0xbb, 0x78, 0x56, 0xf4};
  std::copy(head.begin(), head.end(), p.begin());
  std::copy(tail.begin(), tail.end(), p.begin() + 0xFFE);
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, p);
  CHECK(jit.run(1000) == core::StopReason::kHalted);
  CHECK(jit.s().gpr[x86::kEax] == 0x1234);
  CHECK(jit.s().gpr[x86::kEbx] == 0x5678);
  same_run(p, 1000, EngineKind::kJitLockstep);
}

TEST_CASE("a tiny translation cache flushes and still runs correctly", "[jit]") {
  Rig jit(EngineKind::kJit, x86::CpuModel::kP6, 256);
  jit.load(test::kCodeBase, timer_program());
  jit.run(50000);
  CHECK(jit.jit_engine->stats().cache.flushes > 10);
  same_run(timer_program(), 50000, EngineKind::kJit, x86::CpuModel::kP6, 256);
}

TEST_CASE("the 80286's LOCK forms the decoder refuses run under the JIT", "[jit]") {
  // mov ax,1 ; mov cx,2 ; lock add ax,cx ; hlt
  const std::vector<uint8_t> p = {0xb8, 0x01, 0x00, 0xb9, 0x02, 0x00, 0xf0, 0x01, 0xc8, 0xf4};
  Rig jit(EngineKind::kJit, x86::CpuModel::k286);
  jit.load(test::kCodeBase, p);
  jit.s().eflags = 0x0002;
  CHECK(jit.run(1000) == core::StopReason::kHalted);
  CHECK(jit.s().gpr[x86::kEax] == 3);
}

TEST_CASE("lockstep names the first differing register", "[jit][lockstep]") {
  core::CpuState a, b;
  CHECK(jit::first_difference(a, b) == "");
  b.gpr[x86::kEbx] = 1;
  b.eflags |= x86::kCF;
  CHECK(jit::first_difference(a, b) == "ebx: jit 00000000 vs interp 00000001");
  b.gpr[x86::kEbx] = 0;
  CHECK(jit::first_difference(a, b) == "eflags: jit 00000002 vs interp 00000003");
}

TEST_CASE("registering a JIT emitter twice is a start-up error", "[jit]") {
  jit::JitTable t;
  t.set(x86::Mnemonic::kNop, jit::emit_call_handler, nullptr);
  CHECK(t.inlined(x86::Mnemonic::kNop));
  CHECK_THROWS_AS(t.set(x86::Mnemonic::kNop, jit::emit_call_handler, nullptr), std::logic_error);
}

TEST_CASE("--jit-dump lists guest and host code of every block", "[jit]") {
  const std::string path = "jit_dump_test.txt";
  {
    core::Machine m;
    m.set_log_quiet(true);
    core::CpuState& s = m.cpu().s;
    s.load_segment_real(x86::kCs, test::kCodeBase >> 4);
    s.eip = 0;
    m.memory().load(test::kCodeBase, std::vector<uint8_t>{0xb8, 0x05, 0x00, 0x43, 0xfa, 0xf4});
    jit::JitOptions o;
    o.dump_path = path;
    jit::JitEngine e(m, o);
    e.set_exit_on_halt(true);
    CHECK(e.run(100) == core::StopReason::kHalted);
  }
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  const std::string dump = text.str();
  std::remove(path.c_str());
  CHECK(dump.find("block paddr=00010000 eip=00000000") != std::string::npos);
  CHECK(dump.find("mov ax, 5") != std::string::npos);
  CHECK(dump.find("inc bx") != std::string::npos);
  CHECK(dump.find("cli") != std::string::npos);  // ends the first block
  CHECK(dump.find("call rax") != std::string::npos);
  CHECK(dump.find("exec_insn_thunk") != std::string::npos);
  CHECK(dump.find("falls through to eip 00000005") != std::string::npos);
}

TEST_CASE("--jit-perf-map names every block as --jit-dump numbers it", "[jit]") {
  const std::string dump_path = "jit_perf_map_test.txt";
  std::string map_path;
  {
    core::Machine m;
    m.set_log_quiet(true);
    core::CpuState& s = m.cpu().s;
    s.load_segment_real(x86::kCs, test::kCodeBase >> 4);
    s.eip = 0;
    // mov ax, 5; jmp +0; inc bx; cli (ends the first block); hlt
    m.memory().load(test::kCodeBase, std::vector<uint8_t>{0xb8, 0x05, 0x00, 0xeb, 0x00, 0x43, 0xfa, 0xf4});
    jit::JitOptions o;
    o.dump_path = dump_path;
    o.perf_map = true;
    jit::JitEngine e(m, o);
    map_path = e.perf_map_path();
    e.set_exit_on_halt(true);
    CHECK(e.run(100) == core::StopReason::kHalted);
  }
  std::ifstream map(map_path), dump(dump_path);
  std::stringstream dump_text;
  dump_text << dump.rdbuf();
  std::vector<std::string> lines;
  for (std::string line; std::getline(map, line);) lines.push_back(line);
  std::remove(map_path.c_str());
  std::remove(dump_path.c_str());
  REQUIRE(lines.size() >= 2);
  unsigned long long start = 0, size = 0;
  char name[64] = {};
  REQUIRE(std::sscanf(lines[0].c_str(), "%llx %llx %63s", &start, &size, name) == 3);
  CHECK(start != 0);
  CHECK(size > 0);
  CHECK(std::string(name) == "tx86_b1_00000000");
  REQUIRE(std::sscanf(lines[1].c_str(), "%llx %llx %63s", &start, &size, name) == 3);
  CHECK(std::string(name) == "tx86_b2_00000007");
  CHECK(dump_text.str().find("#2 block paddr=00010007 eip=00000007") != std::string::npos);
}
