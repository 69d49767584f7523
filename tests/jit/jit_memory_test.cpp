// The inline memory path (jit/emit_memory.*, emit_stack.cpp and the
// emitters that use them) against the interpreter: every inline form in a
// loop (lockstep and end state), and faults in the middle of inline
// accesses: #GP and #SS at segment limits, #PF with its error code and CR2
// under paging (not present, read-only, a page-crossing access whose second
// page is missing), page-crossing accesses that succeed, the unmapped legacy
// hole (no TLB entry: the slow path, as MMIO), and stores that rewrite the
// running block. Each run ends in the same state as the interpreter's, bit
// for bit (CPU, clock, RAM).
#include <catch2/catch.hpp>
#include <functional>

#include <vector>

#include "tests/jit/jit_guest.h"

using namespace tx86;
using tx86::test::EngineKind;
using tx86::test::Rig;

namespace {

// tests/jit/memory_forms.asm: 300 rounds of MOV/ALU/INC/DEC/NEG/NOT/MOVZX/
// MOVSX/LEA/XCHG/PUSH/POP/shifts/IMUL/SETcc/CMOVcc on memory and registers.
const std::vector<uint8_t>& memory_forms_program() { return test::program(TX86_MEMORY_FORMS_BIN); }

// Real mode (16-bit code at 1000:0000, DS = 3000, SS = 2000, SP = FFFE).
// 1: add bx,7 ; mov ax,[FFFF] (#GP: the word crosses the DS limit)
const std::vector<uint8_t> kLoadPastLimit = {
    0xbb, 0x05, 0x00, 0x83, 0xc3, 0x07, 0xa1, 0xff, 0xff, 0xf4};
// 2: mov sp,1 ; add ax,3 ; push ax (the word at SS:FFFF crosses the limit:
// #SS, #GP on the 286; its delivery faults again on the same stack)
const std::vector<uint8_t> kPushPastLimit = {
    0xbc, 0x01, 0x00, 0x83, 0xc0, 0x03, 0x50, 0xf4};
// 3: add cx,1 ; mov [FFFF],cx (#GP)
const std::vector<uint8_t> kStorePastLimit = {
    0x83, 0xc1, 0x01, 0x89, 0x0e, 0xff, 0xff, 0xf4};
// 4: sub dx,9 ; add word [FFFF],1 (#GP on the read of the read-modify-write)
const std::vector<uint8_t> kRmwPastLimit = {
    0x83, 0xea, 0x09, 0x83, 0x06, 0xff, 0xff, 0x01, 0xf4};
// 5: page-crossing loads, stores and XCHG at DS:0FFF / 1FFF, then loads,
// a store and an ADD in the unmapped hole at A000:0000 (all ones, dropped).
const std::vector<uint8_t> kCrossingAndHole = {
    0x66, 0xb8, 0x44, 0x33, 0x22, 0x11, 0x66, 0xa3, 0xff, 0x0f, 0x03, 0x06, 0xfe, 0x0f, 0x8b, 0x1e, 0xff, 0x0f,
    0x87, 0x06, 0xff, 0x1f, 0x1e, 0xba, 0x00, 0xa0, 0x8e, 0xda, 0x8b, 0x0e, 0x10, 0x00, 0xa3, 0x20, 0x00, 0x00,
    0x0e, 0x30, 0x00, 0x1f, 0xf4};
// 6: ADD byte [cs:imm] rewrites the immediate of the next instruction of the
// same block, 5 times (BL = 3 + 6 + ... + 15).
const std::vector<uint8_t> kRmwSmc = {
    0xb9, 0x05, 0x00, 0x2e, 0x80, 0x06, 0x0a, 0x00, 0x03, 0xb0, 0x00, 0x00, 0xc3, 0x49, 0x75, 0xf3, 0xf4};
// 7: mov sp,FFFB ; POP AX in a loop until the word at FFFF faults (#SS).
const std::vector<uint8_t> kPopPastLimit = {
    0xbc, 0xfb, 0xff, 0xb9, 0x06, 0x00, 0x58, 0x49, 0x75, 0xfc, 0xf4};

// Protected mode with paging (32-bit code at linear 0x10000, CPL 0, WP):
// page 0x40000 not present, page 0x41000 read-only, pages 0x42000 and
// 0x43000 at 0x46000 and 0x44000, FS = base 0x30000 limit 0xFFF.
// 1: add ebx,1 ; mov eax,[40010] (#PF 0, CR2 40010)
const std::vector<uint8_t> kPmNotPresent = {
    0xbb, 0x07, 0x00, 0x00, 0x00, 0x83, 0xc3, 0x01, 0xa1, 0x10, 0x00, 0x04, 0x00, 0xf4};
// 2: mov dword [41004],5 (#PF 3: present, write)
const std::vector<uint8_t> kPmReadOnly = {
    0xb9, 0x03, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x04, 0x10, 0x04, 0x00, 0x05, 0x00, 0x00, 0x00, 0xf4};
// 3: mov eax,[3FFFE] (crosses into the missing page: #PF 0, CR2 40000)
const std::vector<uint8_t> kPmCrossing = {
    0xa1, 0xfe, 0xff, 0x03, 0x00, 0xf4};
// 4: mov eax,[fs:FFE] (#GP(0): past the FS limit)
const std::vector<uint8_t> kPmFsLimit = {
    0x64, 0xa1, 0xfe, 0x0f, 0x00, 0x00, 0xf4};
// 5: mov ebx,2 ; push dword [40010] (#PF 0 on the load of the pushed value)
const std::vector<uint8_t> kPmPushFault = {
    0xbb, 0x02, 0x00, 0x00, 0x00, 0xff, 0x35, 0x10, 0x00, 0x04, 0x00, 0xf4};
// 6: loads from the read-only page, ALU/PUSH/POP memory forms, then ADD
// dword [41FFE],1: read succeeds across the pages, the write faults (#PF 3).
const std::vector<uint8_t> kPmMixed = {
    0xa1, 0x04, 0x10, 0x04, 0x00, 0x01, 0x05, 0x00, 0x20, 0x04, 0x00, 0x64, 0x8b, 0x0d, 0xfc, 0x0f, 0x00, 0x00,
    0xff, 0x35, 0x00, 0x10, 0x04, 0x00, 0x8f, 0x05, 0x10, 0x20, 0x04, 0x00, 0x83, 0x05, 0xfe, 0x1f, 0x04, 0x00,
    0x01, 0xf4};

// 7: one load site reads [43000], then [42FFE] across into the page before
// it (elsewhere in RAM): mov ebx,43000 ; mov ecx,2 ; xor esi,esi ;
// top: mov eax,[ebx] ; add esi,eax ; sub ebx,2 ; dec ecx ; jnz top ; hlt
const std::vector<uint8_t> kPmCrossingBack = {
    0xbb, 0x00, 0x30, 0x04, 0x00, 0xb9, 0x02, 0x00, 0x00, 0x00, 0x31, 0xf6, 0x8b, 0x03,
    0x01, 0xc6, 0x83, 0xeb, 0x02, 0x49, 0x75, 0xf6, 0xf4};
// 8: the same with a store: mov [ebx],esi (ESI = 11223344h).
const std::vector<uint8_t> kPmCrossingBackStore = {
    0xbb, 0x00, 0x30, 0x04, 0x00, 0xb9, 0x02, 0x00, 0x00, 0x00, 0xbe, 0x44, 0x33, 0x22, 0x11,
    0x89, 0x33, 0x83, 0xeb, 0x02, 0x49, 0x75, 0xf8, 0xf4};

// 9: a loop whose back edge leaves its CMP's flags for the head to compute
// again (RegCache::set_remat); the head's first access faults (#PF 0, CR2
// 40000) after the head rewrote the CMP's operand: EFLAGS on the stack
// must be those of CMP 1, 55h all the same.
//   mov edi,3F800 ; mov ebx,55 ; top: mov edx,55 ; mov eax,[edi] ;
//   add edi,800 ; mov edx,1 ; cmp edx,ebx ; jne top ; hlt
const std::vector<uint8_t> kPmLoopRecipe = {
    0xbf, 0x00, 0xf8, 0x03, 0x00, 0xbb, 0x55, 0x00, 0x00, 0x00, 0xba, 0x55, 0x00, 0x00, 0x00, 0x8b, 0x07,
    0x81, 0xc7, 0x00, 0x08, 0x00, 0x00, 0xba, 0x01, 0x00, 0x00, 0x00, 0x39, 0xda, 0x75, 0xea, 0xf4};
// 10: the same with the operands left alone until the access faults (the
// flags come from the recipe on the access's slow path):
//   top: mov eax,[edi] ; add edi,800 ; mov edx,1 ; cmp edx,ebx ; jne top
const std::vector<uint8_t> kPmLoopRecipeKept = {
    0xbf, 0x00, 0xf8, 0x03, 0x00, 0xbb, 0x55, 0x00, 0x00, 0x00, 0x8b, 0x07, 0x81, 0xc7,
    0x00, 0x08, 0x00, 0x00, 0xba, 0x01, 0x00, 0x00, 0x00, 0x39, 0xda, 0x75, 0xef, 0xf4};

// 11: the straight line reaches such a loop head with flags that are all
// clear (CMP 5, 3) after a slow path (the first access to 20000 misses
// the TLB) merged them; the head's access faults at once (#PF, CR2 40000):
// EFLAGS on the stack must be CMP 5, 3's, not the back edge's CMP's.
//   mov edi,40000 ; mov ebx,55 ; mov edx,1 ; mov eax,5 ; cmp eax,3 ;
//   mov ecx,[20000] ; top: mov eax,[edi] ; add edi,800 ; cmp edx,ebx ;
//   jne top ; hlt
const std::vector<uint8_t> kPmLoopRecipeEntry = {
    0xbf, 0x00, 0x00, 0x04, 0x00, 0xbb, 0x55, 0x00, 0x00, 0x00, 0xba, 0x01, 0x00, 0x00, 0x00,
    0xb8, 0x05, 0x00, 0x00, 0x00, 0x83, 0xf8, 0x03, 0x8b, 0x0d, 0x00, 0x00, 0x02, 0x00,
    0x8b, 0x07, 0x81, 0xc7, 0x00, 0x08, 0x00, 0x00, 0x39, 0xda, 0x75, 0xf4, 0xf4};

// 12: an instruction whose flags only the access after it could read
// before ADD overwrites them (they stay a recipe, RegCache::set_remat);
// the access faults (#PF 0, CR2 40000), so EFLAGS on the stack are its:
//   mov edi,40000 ; mov edx,80000000 ; mov ebx,1 ; OP ; mov eax,[edi] ;
//   add ecx,1 ; hlt
std::vector<uint8_t> recipe_program(const std::vector<uint8_t>& op) {
  std::vector<uint8_t> p = {0xbf, 0x00, 0x00, 0x04, 0x00, 0xba, 0x00, 0x00, 0x00, 0x80, 0xbb, 0x01, 0x00, 0x00, 0x00};
  p.insert(p.end(), op.begin(), op.end());
  p.insert(p.end(), {0x8b, 0x07, 0x83, 0xc1, 0x01, 0xf4});
  return p;
}

void same_run(const std::vector<uint8_t>& program, uint64_t budget, EngineKind kind, void (*setup)(Rig&) = nullptr,
              x86::CpuModel model = x86::CpuModel::kP6) {
  Rig ref(EngineKind::kInterp, model);
  Rig jit(kind, model);
  for (Rig* r : {&ref, &jit}) {
    if (setup != nullptr) setup(*r);
    r->load(setup != nullptr ? 0x10000 : test::kCodeBase, program);
  }
  const core::StopReason r1 = ref.run(budget);
  const core::StopReason r2 = jit.run(budget);
  INFO("lockstep: " << jit.jit_engine->lockstep_report());
  CHECK(r1 == r2);
  CHECK(test::machine_difference(jit, ref) == "");
  CHECK(jit.jit_engine->stats().block_instructions > 0);
}

// Flat protected mode with 4 KiB paging, built in RAM and loaded straight
// into the CPU state (both rigs alike): GDT at 0x1000, IDT at 0x2000 with
// 32-bit interrupt gates to the HLTs at 0x500 + vector, page directory at
// 0x80000, one page table at 0x81000 mapping 0..4 MiB one to one.
void protected_paging(Rig& r) {
  core::CpuState& s = r.s();
  auto put32 = [&r](uint32_t a, uint32_t v) {
    r.load(a, {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
  };
  put32(0x1008, 0x0000FFFF);  // 0x08: code, base 0, 4 GiB, 32-bit
  put32(0x100C, 0x00CF9B00);
  put32(0x1010, 0x0000FFFF);  // 0x10: data, base 0, 4 GiB
  put32(0x1014, 0x00CF9300);
  for (uint32_t v = 0; v < 32; ++v) {
    const uint32_t h = test::kHandlerBase + v;
    put32(0x2000 + 8 * v, 0x00080000 | (h & 0xFFFF));
    put32(0x2004 + 8 * v, (h & 0xFFFF0000u) | 0x8E00);
  }
  put32(0x80000, 0x81000 | 3);
  for (uint32_t p = 0; p < 1024; ++p) {
    uint32_t pte = (p << 12) | 3;
    if (p == 0x40) pte = 0;                 // not present
    if (p == 0x41) pte = (p << 12) | 1;     // read-only
    if (p == 0x42) pte = 0x46000 | 3;       // 0x42000 and 0x43000 are not
    if (p == 0x43) pte = 0x44000 | 3;       // next to each other in RAM
    put32(0x81000 + 4 * p, pte);
  }
  s.gdtr = {0x1000, 0x17};
  s.idtr = {0x2000, 32 * 8 - 1};
  s.cr3 = 0x80000;
  s.cr0 |= core::kCr0PE | core::kCr0PG | core::kCr0WP;
  auto seg = [&s](unsigned n, uint16_t sel, uint32_t base, uint32_t limit, uint16_t attrs) {
    s.seg[n] = core::SegmentCache{sel, base, limit, attrs};
  };
  seg(x86::kCs, 0x08, 0, 0xFFFFFFFF, 0xC09B);
  for (unsigned n : {x86::kSs, x86::kDs, x86::kEs, x86::kGs}) seg(n, 0x10, 0, 0xFFFFFFFF, 0xC093);
  seg(x86::kFs, 0x10, 0x30000, 0xFFF, 0x4093);
  s.eip = 0x10000;
  s.gpr[x86::kEsp] = 0x70000;
  r.m.cpu().flush_tlb();
}

// Halted in the handler of `vector` (protected mode: CS = 0x08).
bool in_handler(Rig& r, uint8_t vector) {
  return r.s().halted && r.s().eip == test::kHandlerBase + vector + 1u;
}
uint32_t stack32(Rig& r, uint32_t k) { return r.m.memory().read(r.s().gpr[x86::kEsp] + 4 * k, 4); }

// Program `p` under protected_paging, whose run ends in the #PF handler:
// the same as the interpreter's (plain and in lockstep), then `check` on
// the JIT's machine.
void same_page_fault(const std::vector<uint8_t>& p, const std::function<void(Rig&)>& check = nullptr) {
  same_run(p, 1000, EngineKind::kJit, protected_paging);
  same_run(p, 1000, EngineKind::kJitLockstep, protected_paging);
  Rig jit(EngineKind::kJit);
  protected_paging(jit);
  jit.load(0x10000, p);
  jit.run(1000);
  CHECK(in_handler(jit, core::kPF));
  if (check) check(jit);
}

}  // namespace

TEST_CASE("every inline memory form gives the interpreter's results", "[jit][memory]") {
  same_run(memory_forms_program(), 100000, EngineKind::kJit);
  same_run(memory_forms_program(), 100000, EngineKind::kJitLockstep);
  same_run(memory_forms_program(), 100000, EngineKind::kJit, nullptr, x86::CpuModel::k386);
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, memory_forms_program());
  CHECK(jit.run(100000) == core::StopReason::kHalted);
  CHECK(jit.s().gpr[x86::kEcx] == 0);  // all 300 rounds ran
}

TEST_CASE("faults at segment limits in the middle of inline accesses", "[jit][memory]") {
  for (x86::CpuModel model : {x86::CpuModel::kP6, x86::CpuModel::k386}) {
    INFO("model " << int(model));
    for (const auto* p : {&kLoadPastLimit, &kPushPastLimit, &kStorePastLimit, &kRmwPastLimit, &kPopPastLimit}) {
      same_run(*p, 1000, EngineKind::kJit, nullptr, model);
      same_run(*p, 1000, EngineKind::kJitLockstep, nullptr, model);
    }
  }
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, kLoadPastLimit);
  jit.run(1000);
  CHECK(jit.stopped_in_handler(core::kGP));
  CHECK(jit.s().gpr[x86::kEbx] == 12);
  CHECK(jit.peek16(0x20000 + 0xFFFE - 6) == 6);  // the return IP: the faulting MOV
  Rig pop(EngineKind::kJit);
  pop.load(test::kCodeBase, kPopPastLimit);
  pop.run(1000);
  CHECK(pop.stopped_in_handler(core::kSS));
}

TEST_CASE("page-crossing accesses, the unmapped hole and self-modifying stores", "[jit][memory][smc]") {
  same_run(kCrossingAndHole, 1000, EngineKind::kJit);
  same_run(kCrossingAndHole, 1000, EngineKind::kJitLockstep);
  same_run(kRmwSmc, 1000, EngineKind::kJit);
  same_run(kRmwSmc, 1000, EngineKind::kJitLockstep);
  Rig jit(EngineKind::kJit);
  jit.load(test::kCodeBase, kCrossingAndHole);
  CHECK(jit.run(1000) == core::StopReason::kHalted);
  CHECK(jit.m.memory().read(0x31000, 2) == 0x2233);  // the crossing dword's last 2 bytes
  CHECK((jit.s().gpr[x86::kEcx] & 0xFFFF) == 0xFFFF);  // the hole reads as all ones
  Rig smc(EngineKind::kJit);
  smc.load(test::kCodeBase, kRmwSmc);
  CHECK(smc.run(1000) == core::StopReason::kHalted);
  CHECK((smc.s().gpr[x86::kEbx] & 0xFF) == 3 + 6 + 9 + 12 + 15);
  CHECK(smc.jit_engine->stats().cache.invalidations >= 5);
}

// Every byte of RAM 0x42000..0x48000 different from its neighbours.
void pattern_pages(Rig& r) {
  protected_paging(r);
  std::vector<uint8_t> bytes(0x6000);
  for (size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<uint8_t>(k * 7 + (k >> 8));
  r.load(0x42000, bytes);
}

TEST_CASE("an access site that crossed into the page before its last one reads and writes both pages",
          "[jit][memory][paging]") {
  // The site's TLB hint names the entry of 0x43000 from the first access;
  // the second one's last byte is in that page too, its first is not.
  for (const auto* p : {&kPmCrossingBack, &kPmCrossingBackStore}) {
    same_run(*p, 1000, EngineKind::kJit, pattern_pages);
    same_run(*p, 1000, EngineKind::kJitLockstep, pattern_pages);
  }
  Rig jit(EngineKind::kJit);
  pattern_pages(jit);
  jit.load(0x10000, kPmCrossingBackStore);
  jit.run(1000);
  core::PhysicalMemory& m = jit.m.memory();
  CHECK(m.read(0x46FFE, 2) == 0x3344u);      // [42FFE]: 44 33 at the end of page 0x42000,
  CHECK(m.read(0x44000, 4) == 0x11221122u);  // 22 11 over the start of [43000] (44 33 22 11)
}

TEST_CASE("a fault at a loop head after a back edge that left its CMP's flags as a recipe", "[jit][memory][paging]") {
  for (const auto* p : {&kPmLoopRecipe, &kPmLoopRecipeKept}) {
    same_page_fault(*p, [](Rig& jit) {
      CHECK(jit.s().cr2 == 0x40000u);
      // Error code, EIP, CS, EFLAGS: CMP 1, 55h sets CF, SF, AF and PF (ACh).
      CHECK((stack32(jit, 3) & (x86::kCF | x86::kZF | x86::kSF | x86::kAF | x86::kOF | x86::kPF)) ==
            (x86::kCF | x86::kSF | x86::kAF | x86::kPF));
    });
  }
  same_page_fault(kPmLoopRecipeEntry, [](Rig& jit) {
    CHECK((stack32(jit, 3) & (x86::kCF | x86::kZF | x86::kSF | x86::kAF | x86::kOF | x86::kPF)) == 0);
  });
}

TEST_CASE("a fault while the flags of an instruction before are a recipe", "[jit][memory][paging]") {
  const std::vector<std::vector<uint8_t>> ops = {
      {0x29, 0xda},              // sub edx, ebx
      {0x01, 0xda},              // add edx, ebx
      {0x83, 0xea, 0x01},        // sub edx, 1
      {0x83, 0xc2, 0xff},        // add edx, -1
      {0x85, 0xda},              // test edx, ebx
      {0x39, 0xda},              // cmp edx, ebx
      {0x38, 0xde},              // cmp dh, bl
      {0x66, 0x01, 0xda},        // add dx, bx
      {0x80, 0xee, 0x81},        // sub dh, 81h
      // Recipes on a copy of the destination (EmitEnv::saved_recipe).
      {0xd1, 0xea},              // shr edx, 1
      {0xc1, 0xfa, 0x03},        // sar edx, 3
      {0x21, 0xda},              // and edx, ebx
      {0x83, 0xca, 0x10},        // or edx, 10h
      {0x31, 0xda},              // xor edx, ebx
      {0x42},                    // inc edx
      {0x4a},                    // dec edx
      {0xc1, 0xea, 0x1f, 0xba, 0x05, 0x00, 0x00, 0x00},  // shr edx, 31 ; mov edx, 5 (the copy stands)
      {0x31, 0xda, 0xbb, 0x07, 0x00, 0x00, 0x00},        // xor edx, ebx ; mov ebx, 7 (ends it first)
      {0x01, 0x1d, 0x00, 0x00, 0x02, 0x00},              // add [20000], ebx
      {0x29, 0x1d, 0x00, 0x00, 0x02, 0x00},              // sub [20000], ebx
      {0x83, 0x35, 0x00, 0x00, 0x02, 0x00, 0x55},        // xor dword [20000], 55h
      {0xff, 0x05, 0x00, 0x00, 0x02, 0x00},              // inc dword [20000]
      {0x01, 0x1d, 0x00, 0x00, 0x02, 0x00, 0x89, 0x15, 0x00, 0x00, 0x02, 0x00},  // add [20000], ebx ; mov [20000], edx
      // Flags that are constants.
      {0x31, 0xd2},              // xor edx, edx
      {0x29, 0xd2},              // sub edx, edx
      {0x30, 0xf6},              // xor dh, dh
      {0x31, 0xd2, 0xba, 0x09, 0x00, 0x00, 0x00},        // xor edx, edx ; mov edx, 9
  };
  for (const std::vector<uint8_t>& op : ops) same_page_fault(recipe_program(op));
}

TEST_CASE("a fault at a forward join reached with a recipe and from a branch with other flags", "[jit][memory][paging]") {
  // mov edi,40000 ; mov ebx,55 ; mov edx,X ; cmp edx,1 ; je L ; sub ebx,56 ;
  // L: mov eax,[edi] (#PF) ; add ecx,1 ; hlt. X = 1: the branch is taken
  // (CMP's flags, ZF PF); X = 2: SUB's (CF SF AF PF) reach L as a recipe.
  for (const uint8_t x : {uint8_t{1}, uint8_t{2}}) {
    const std::vector<uint8_t> p = {0xbf, 0x00, 0x00, 0x04, 0x00, 0xbb, 0x55, 0x00, 0x00, 0x00, 0xba, x,
                                    0x00, 0x00, 0x00, 0x83, 0xfa, 0x01, 0x74, 0x03, 0x83, 0xeb, 0x56,
                                    0x8b, 0x07, 0x83, 0xc1, 0x01, 0xf4};
    same_page_fault(p, [x](Rig& jit) {
      const uint32_t arith = stack32(jit, 3) & (x86::kCF | x86::kZF | x86::kSF | x86::kAF | x86::kOF | x86::kPF);
      CHECK(arith == (x == 1 ? (x86::kZF | x86::kPF) : (x86::kCF | x86::kSF | x86::kAF | x86::kPF)));
    });
  }
}

TEST_CASE("page faults and #GP under paging in the middle of inline accesses", "[jit][memory][paging]") {
  for (const auto* p : {&kPmNotPresent, &kPmReadOnly, &kPmCrossing, &kPmFsLimit, &kPmPushFault, &kPmMixed}) {
    same_run(*p, 1000, EngineKind::kJit, protected_paging);
    same_run(*p, 1000, EngineKind::kJitLockstep, protected_paging);
  }
  struct Expect {
    const std::vector<uint8_t>* program;
    uint8_t vector;
    uint32_t error_code;
    uint32_t cr2;
  };
  for (const Expect& e : {Expect{&kPmNotPresent, core::kPF, 0, 0x40010}, Expect{&kPmReadOnly, core::kPF, 3, 0x41004},
                          Expect{&kPmCrossing, core::kPF, 0, 0x40000}, Expect{&kPmFsLimit, core::kGP, 0, 0},
                          Expect{&kPmPushFault, core::kPF, 0, 0x40010}, Expect{&kPmMixed, core::kPF, 3, 0x41FFE}}) {
    Rig jit(EngineKind::kJit);
    protected_paging(jit);
    jit.load(0x10000, *e.program);
    jit.run(1000);
    CHECK(in_handler(jit, e.vector));
    CHECK(stack32(jit, 0) == e.error_code);
    if (e.vector == core::kPF) CHECK(jit.s().cr2 == e.cr2);
  }
}

TEST_CASE("CMOVcc of registers reading a flag its flag writer did not leave in the host flags", "[jit]") {
  // INC writes no CF: CMOVBE takes the guest condition path, which must
  // capture INC's waiting flags before it emits anything (it threw
  // "deferred flags capture after the host flags changed" before).
  for (const std::vector<uint8_t>& p : {std::vector<uint8_t>{0x66, 0x40, 0x66, 0x0f, 0x46, 0xe9, 0xf4},  // inc ax ; cmovbe bp, cx
                                        std::vector<uint8_t>{0x40, 0x0f, 0x46, 0xe9, 0xf4}}) {        // inc eax ; cmovbe ebp, ecx
    same_run(p, 100, EngineKind::kJit, protected_paging);
    same_run(p, 100, EngineKind::kJitLockstep, protected_paging);
  }
}
