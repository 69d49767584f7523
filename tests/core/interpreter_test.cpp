// Interpreter tests on small real-mode guests: 32-bit operand and address
// sizes, 0F opcodes, CMPXCHG8B, CPUID/RDTSC/MSRs, REP restarts after a
// fault, self-modifying code, the 286 model, two machines side by side.
#include <catch2/catch.hpp>

#include "core/priv/priv_stats.h"
#include "tests/core/guest.h"

using tx86::core::StopReason;
using tx86::test::Guest;
using tx86::test::kCodeBase;
using tx86::test::kDataBase;
using namespace tx86;

TEST_CASE("32-bit operands and addresses via 66/67 prefixes", "[interp]") {
  Guest g;
  g.poke32(kDataBase + 0x20, 0xCAFEBABEu);
  g.code({
      0x66, 0xBB, 0x20, 0x00, 0x00, 0x00,  // mov ebx, 0x20
      0x66, 0x67, 0x8B, 0x03,              // mov eax, [ebx]
      0x66, 0xB9, 0x01, 0x00, 0x01, 0x00,  // mov ecx, 0x00010001
      0x66, 0x01, 0xC8,                    // add eax, ecx
      0x66, 0x67, 0x89, 0x43, 0x04,        // mov [ebx+4], eax
      0xF4,
  });
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK(g.s().gpr[x86::kEax] == 0xCAFFBABFu);
  CHECK(g.peek32(kDataBase + 0x24) == 0xCAFFBABFu);
}

TEST_CASE("0F opcodes: MOVZX BSF SHLD CMOVcc BSWAP XADD CMPXCHG SETcc", "[interp]") {
  Guest g;
  g.code({
      0x66, 0xB8, 0x00, 0x01, 0x00, 0x00,  // mov eax, 0x100
      0x66, 0xBB, 0xF0, 0xFF, 0xFF, 0xFF,  // mov ebx, 0xFFFFFFF0
      0x66, 0x0F, 0xB6, 0xF3,              // movzx esi, bl       -> F0
      0x66, 0x0F, 0xBC, 0xC8,              // bsf ecx, eax        -> 8
      0x66, 0x0F, 0xA4, 0xD8, 0x04,        // shld eax, ebx, 4    -> 0x100F
      0x66, 0x39, 0xC0,                    // cmp eax, eax (ZF=1)
      0x66, 0x0F, 0x44, 0xD3,              // cmovz edx, ebx
      0x66, 0x0F, 0xCB,                    // bswap ebx           -> F0FFFFFF
      0x66, 0x0F, 0xC1, 0xC1,              // xadd ecx, eax: ecx = 8+0x100F, eax = 8
      0x66, 0x0F, 0xB1, 0xCE,              // cmpxchg esi, ecx: eax(8) != esi -> eax = esi
      0x0F, 0x92, 0xC7,                    // setc bh
      0xF4,
  });
  REQUIRE(g.run() == StopReason::kHalted);
  const auto& r = g.s().gpr;
  CHECK(r[x86::kEsi] == 0xF0u);
  CHECK(r[x86::kEdx] == 0xFFFFFFF0u);
  CHECK(r[x86::kEcx] == 0x1017u);
  CHECK(r[x86::kEax] == 0xF0u);        // cmpxchg failed: accumulator loaded
  // BSWAP gave F0FFFFFF; SETC wrote BH = 1 (8 - F0 borrows: CF = 1).
  CHECK(r[x86::kEbx] == 0xF0FF01FFu);
}

TEST_CASE("CMPXCHG8B compares EDX:EAX and stores ECX:EBX", "[interp]") {
  Guest g;
  g.poke32(kDataBase + 0x40, 0x11111111u);
  g.poke32(kDataBase + 0x44, 0x22222222u);
  g.code({
      0xBF, 0x40, 0x00,                    // mov di, 0x40
      0x66, 0xB8, 0x11, 0x11, 0x11, 0x11,  // mov eax, 0x11111111
      0x66, 0xBA, 0x22, 0x22, 0x22, 0x22,  // mov edx, 0x22222222
      0x66, 0xBB, 0x33, 0x33, 0x33, 0x33,  // mov ebx
      0x66, 0xB9, 0x44, 0x44, 0x44, 0x44,  // mov ecx
      0x0F, 0xC7, 0x0D,                    // cmpxchg8b [di]   (equal: store)
      0x9F,                                // lahf: AH bit 6 = ZF
      0x88, 0xE5,                          // mov ch, ah
      0x0F, 0xC7, 0x0D,                    // cmpxchg8b [di]   (not equal: load)
      0xF4,
  });
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK(g.peek32(kDataBase + 0x40) == 0x33333333u);
  CHECK(g.peek32(kDataBase + 0x44) == 0x44444444u);
  CHECK((g.s().gpr[x86::kEcx] & 0x4000) != 0);  // ZF was set by the first one
  CHECK(g.s().gpr[x86::kEax] == 0x33333333u);
  CHECK(g.s().gpr[x86::kEdx] == 0x44444444u);
  CHECK((g.s().eflags & x86::kZF) == 0);
}

TEST_CASE("CPUID describes a family-6 CPU with VME, DE, PSE, TSC, MSR, PAE, CX8, SEP, PGE, CMOV and no FPU",
          "[interp][priv]") {
  Guest g;
  g.code({0x66, 0x31, 0xC0, 0x0F, 0xA2,        // xor eax,eax; cpuid
          0x66, 0x89, 0xDE,                    // mov esi, ebx
          0x66, 0xB8, 0x01, 0x00, 0x00, 0x00,  // mov eax, 1
          0x0F, 0xA2, 0xF4});
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK(g.s().gpr[x86::kEsi] == 0x756E6547u);  // "Genu"
  CHECK(((g.s().gpr[x86::kEax] >> 8) & 0xF) == 6);
  const uint32_t edx = g.s().gpr[x86::kEdx];
  CHECK((edx & 1) == 0);  // no FPU
  CHECK(edx == ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 11) | (1u << 13) |
                (1u << 15)));
  CHECK(g.interp.priv_stats().total(core::priv::Family::kMsrCpuid) == 2);
}

TEST_CASE("RDTSC follows retired instructions and is deterministic", "[interp][priv]") {
  auto run_once = [] {
    Guest g;
    g.code({0x0F, 0x31, 0x66, 0x89, 0xC6,  // rdtsc; mov esi, eax
            0x90, 0x90, 0x90,              // three NOPs
            0x0F, 0x31, 0xF4});            // rdtsc; hlt
    REQUIRE(g.run() == StopReason::kHalted);
    return std::pair<uint32_t, uint32_t>(g.s().gpr[x86::kEsi], g.s().gpr[x86::kEax]);
  };
  const auto a = run_once();
  const auto b = run_once();
  CHECK(a == b);
  CHECK(a.second - a.first == 5);  // mov + 3 nops + the first rdtsc itself
}

TEST_CASE("WRMSR to the TSC sets the offset; unknown MSRs raise #GP", "[interp][priv]") {
  Guest g;
  g.code({0x66, 0xB9, 0x10, 0x00, 0x00, 0x00,  // mov ecx, 0x10
          0x66, 0x31, 0xD2,                    // xor edx, edx
          0x66, 0xB8, 0x00, 0x10, 0x00, 0x00,  // mov eax, 0x1000
          0x0F, 0x30,                          // wrmsr
          0x0F, 0x31,                          // rdtsc -> 0x1001
          0x66, 0x89, 0xC6,                    // mov esi, eax
          0x66, 0xB9, 0x34, 0x12, 0x00, 0x00,  // mov ecx, 0x1234
          0x0F, 0x32,                          // rdmsr: #GP
          0xF4});
  g.run();
  CHECK(g.s().gpr[x86::kEsi] == 0x1001u);
  CHECK(g.stopped_in_handler(core::kGP));
}

TEST_CASE("REP MOVSW faulting mid-way resumes where it stopped", "[interp]") {
  // 32-bit addressing: ESI runs past the 64 KiB DS limit after 4 words.
  // The #GP handler rewinds ESI to 0 and returns to the REP instruction,
  // which finishes the remaining 4 words from there.
  Guest g;
  for (unsigned k = 0; k < 8; ++k) g.poke16(kDataBase + 0xFFF8 + 2 * k, uint16_t(0xA000 + k));
  for (unsigned k = 0; k < 4; ++k) g.poke16(kDataBase + 2 * k, uint16_t(0xB000 + k));
  g.set_vector(core::kGP, 0x0000, 0x0600);
  g.load(0x600, {0x66, 0x31, 0xF6,  // xor esi, esi
                 0xCF});            // iret
  g.code({0x66, 0xBE, 0xF8, 0xFF, 0x00, 0x00,  // mov esi, 0xFFF8
          0x66, 0xBF, 0x00, 0x80, 0x00, 0x00,  // mov edi, 0x8000
          0x66, 0xB9, 0x08, 0x00, 0x00, 0x00,  // mov ecx, 8
          0xF3, 0x67, 0xA5,                    // rep movsw (a32)
          0xF4});
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK(g.s().gpr[x86::kEcx] == 0);
  CHECK(g.s().gpr[x86::kEsi] == 8);
  CHECK(g.s().gpr[x86::kEdi] == 0x8010);
  for (unsigned k = 0; k < 4; ++k) CHECK(g.peek16(kDataBase + 0x8000 + 2 * k) == 0xA000 + k);
  for (unsigned k = 0; k < 4; ++k) CHECK(g.peek16(kDataBase + 0x8008 + 2 * k) == 0xB000 + k);
  CHECK(g.interp.stats().exceptions == 1);
}

TEST_CASE("self-modifying code: a store rewrites the very next instruction", "[interp][smc]") {
  Guest g;
  // mov byte [cs:next+1], 0x42 ; next: mov al, 0x00 ; loop back once so
  // that the modified instruction is also seen from a warm decode cache.
  g.code({
      0xB9, 0x02, 0x00,                    // 0: mov cx, 2
      0x2E, 0xC6, 0x06, 0x0C, 0x00, 0x42,  // 3: mov byte [cs:0x0C], 0x42 (imm at 8)
      0xFE, 0xC3,                          // 9: inc bl
      0xB0, 0x00,                          // B: mov al, 0x00  (immediate at 0x0C)
      0x00, 0xC4,                          // D: add ah, al
      0x2E, 0xFE, 0x06, 0x08, 0x00,        // F: inc byte [cs:0x08] (0x42 -> 0x43)
      0xE2, 0xED,                          // 14: loop 3
      0xF4,                                // 16
  });
  REQUIRE(g.run() == StopReason::kHalted);
  // Pass 1 stores 0x42 into the immediate right before running it; then the
  // store itself is rewritten, so pass 2 stores 0x43.
  CHECK(g.s().reg8(4) == 0x85);
  CHECK(g.interp.stats().decode_cache_invalidations >= 2);
}

TEST_CASE("self-modifying code: each pass of a hot loop rewrites the next instruction", "[interp][smc]") {
  // The loop runs 50 times, so the store and the instruction after it are
  // long decoded and linked when later passes change it.
  Guest g;
  g.code({
      0xB9, 0x32, 0x00,              // 0: mov cx, 50
      0x2E, 0x88, 0x1E, 0x09, 0x00,  // 3: mov [cs:0x09], bl   (imm of the next insn)
      0xB0, 0x00,                    // 8: mov al, imm8
      0x00, 0xC4,                    // A: add ah, al
      0xFE, 0xC3,                    // C: inc bl
      0xE2, 0xF3,                    // E: loop 3
      0xF4,                          // 10
  });
  REQUIRE(g.run() == StopReason::kHalted);
  // AH = 0 + 1 + ... + 49 = 1225 = 0x4C9 -> low byte 0xC9.
  CHECK(g.s().reg8(4) == 0xC9);
  CHECK(g.interp.stats().decode_cache_invalidations >= 49);
}

TEST_CASE("the 286 model keeps FLAGS bits 12-15 clear in real mode", "[interp][286]") {
  Guest g(x86::CpuModel::k286);
  g.code({0xB8, 0xFF, 0xFE,  // mov ax, 0xFEFF (TF clear)
          0x50, 0x9D,        // push ax; popf
          0x9C, 0x5B,        // pushf; pop bx
          0xFA, 0xF4});      // cli; hlt
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK((g.s().gpr[x86::kEbx] & 0xF000) == 0);
  CHECK((g.s().gpr[x86::kEbx] & 0x0FD5) == 0x0ED5);
}

TEST_CASE("the 386+ model lets POPF set IOPL and NT in real mode", "[interp]") {
  Guest g;
  g.code({0xB8, 0xFF, 0x7E, 0x50, 0x9D, 0x9C, 0x5B, 0xFA, 0xF4});  // 0x7EFF: TF clear
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK((g.s().gpr[x86::kEbx] & 0x7000) == 0x7000);
}

TEST_CASE("x87 escapes: #NM with CR0.EM, #UD logged once without an FPU", "[interp]") {
  Guest g;
  g.code({0xD9, 0xC0, 0xF4});  // fld st0
  g.run();
  CHECK(g.stopped_in_handler(core::kUD));
  CHECK(g.m.logged().size() == 1);
  Guest h;
  h.s().cr0 |= core::kCr0EM;
  h.code({0xD9, 0xC0, 0xF4});
  h.run();
  CHECK(h.stopped_in_handler(core::kNM));
}

TEST_CASE("MOV CR0 can set PE as on hardware", "[interp][priv]") {
  Guest g;
  g.code({0x0F, 0x20, 0xC0,              // mov eax, cr0
          0x66, 0x83, 0xC8, 0x01,        // or eax, 1
          0x0F, 0x22, 0xC0,              // mov cr0, eax
          0xF4});
  REQUIRE(g.run() == StopReason::kHalted);
  CHECK(g.s().protected_mode());
  CHECK(g.interp.priv_stats().total(core::priv::Family::kControlRegisters) == 2);
}

TEST_CASE("two machines in one process run independently", "[interp]") {
  Guest a, b;
  const std::vector<uint8_t> prog = {0xB9, 0x00, 0x00,  // mov cx, N (patched)
                                     0x40,              // inc ax
                                     0xE2, 0xFD,        // loop
                                     0xF4};
  a.code(prog);
  b.code(prog);
  a.poke16(kCodeBase + 1, 100);
  b.poke16(kCodeBase + 1, 7);
  // Interleave the two: small budgets, alternating.
  for (int k = 0; k < 100; ++k) {
    a.run(3);
    b.run(5);
  }
  CHECK(a.s().reg16(x86::kEax) == 100);
  CHECK(b.s().reg16(x86::kEax) == 7);
  CHECK(a.m.clock().retired() != b.m.clock().retired());
}

TEST_CASE("an instruction past the 286's 10-byte limit raises #GP", "[interp][286]") {
  Guest g(x86::CpuModel::k286);
  g.code({0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x81, 0x06, 0x00, 0x01, 0x34, 0x12, 0xF4});
  g.run();
  CHECK(g.stopped_in_handler(core::kGP));
}

TEST_CASE("A20 state reads back on the 286 model too (its bus has 24 address lines)") {
  tx86::core::MachineConfig config;
  config.model = tx86::x86::CpuModel::k286;
  tx86::core::Machine m(config);
  m.cpu().set_a20(true);
  CHECK(m.cpu().a20());
  m.cpu().set_a20(false);
  CHECK_FALSE(m.cpu().a20());
}
