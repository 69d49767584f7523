// Protected-mode rules that are easy to get wrong (SDM Vol. 3A chapters 5-7
// and 20): exception classes and #DF, EXT bits, gate DPL checks, the
// inner-ring stack switch, call gates with parameter copy, RETF nulling data
// segments, the I/O permission bitmap, task switches by CALL/IRET with their
// busy bits and links, precise faults in far calls and task switches, and
// LAR/LSL/VERR/VERW/ARPL. Each test builds a flat 32-bit protected-mode
// machine by hand (no paging).
#include <catch2/catch.hpp>

#include <vector>

#include "core/interp/interpreter.h"
#include "core/machine.h"

using namespace tx86;
using core::StepResult;
using core::StopReason;

namespace {

constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kTss1 = 0x3000, kTss2 = 0x3400;
constexpr uint32_t kHandlers = 0x500;  // HLT at 0x500 + vector
constexpr uint32_t kCode = 0x10000, kRing0Stack = 0x9000, kRing3Stack = 0x7000;
constexpr uint16_t kKCode = 0x08, kKData = 0x10, kUCode = 0x1B, kUData = 0x23, kTssSel = 0x28, kTss2Sel = 0x30;

uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  const uint32_t lo = (limit & 0xFFFF) | (base << 16);
  const uint32_t hi = ((base >> 16) & 0xFF) | (uint32_t{access} << 8) | (limit & 0xF0000) |
                      (uint32_t(flags & 0xF) << 20) | (base & 0xFF000000u);
  return (uint64_t{hi} << 32) | lo;
}
uint64_t gate(uint16_t sel, uint32_t off, uint8_t access, uint8_t params = 0) {
  const uint32_t lo = (off & 0xFFFF) | (uint32_t{sel} << 16);
  const uint32_t hi = (off & 0xFFFF0000u) | (uint32_t{access} << 8) | (params & 0x1F);
  return (uint64_t{hi} << 32) | lo;
}

struct PmGuest {
  explicit PmGuest(x86::CpuModel model = x86::CpuModel::kP6) : m(config(model)), interp(m) {
    m.set_log_quiet(true);
    interp.set_exit_on_halt(true);
    set_gdt(1, desc(0, 0xFFFFF, 0x9A, 0xC));
    set_gdt(2, desc(0, 0xFFFFF, 0x92, 0xC));
    set_gdt(3, desc(0, 0xFFFFF, 0xFA, 0xC));
    set_gdt(4, desc(0, 0xFFFFF, 0xF2, 0xC));
    set_gdt(5, desc(kTss1, 0x67, 0x8B, 0));  // busy: the current task
    set_gdt(6, desc(kTss2, 0x67, 0x89, 0));
    poke32(kTss1 + 4, kRing0Stack);
    poke32(kTss1 + 8, kKData);
    poke16(kTss1 + 0x66, 0x68);  // I/O map base: right after the TSS (beyond the limit)
    for (unsigned v = 0; v < 256; ++v) {
      set_idt(v, gate(kKCode, kHandlers + v, 0x8E));
      poke8(kHandlers + v, 0xF4);
    }
    core::CpuState& st = s();
    st.cr0 |= core::kCr0PE;
    st.gdtr = {kGdt, 16 * 8 - 1};
    st.idtr = {kIdt, 256 * 8 - 1};
    load(x86::kCs, kKCode);
    for (unsigned seg : {x86::kSs, x86::kDs, x86::kEs, x86::kFs, x86::kGs}) load(seg, kKData);
    st.tr = {kTssSel, kTss1, 0x67, 0x8B};
    st.cpl = 0;
    st.eip = kCode;
    st.gpr[x86::kEsp] = kRing0Stack - 0x100;
  }
  static core::MachineConfig config(x86::CpuModel model) {
    core::MachineConfig c;
    c.ram_bytes = 16u << 20;
    c.model = model;
    return c;
  }
  core::CpuState& s() { return m.cpu().s; }
  void poke8(uint32_t a, uint8_t v) { m.memory().load(a, std::vector<uint8_t>{v}); }
  void poke16(uint32_t a, uint16_t v) { m.memory().load(a, std::vector<uint8_t>{uint8_t(v), uint8_t(v >> 8)}); }
  void poke32(uint32_t a, uint32_t v) { poke16(a, uint16_t(v)), poke16(a + 2, uint16_t(v >> 16)); }
  uint32_t peek32(uint32_t a) { return m.memory().read(a, 4); }
  uint8_t peek8(uint32_t a) { return uint8_t(m.memory().read(a, 1)); }
  void set_gdt(unsigned i, uint64_t d) { poke32(kGdt + i * 8, uint32_t(d)), poke32(kGdt + i * 8 + 4, uint32_t(d >> 32)); }
  void set_idt(unsigned v, uint64_t d) { poke32(kIdt + v * 8, uint32_t(d)), poke32(kIdt + v * 8 + 4, uint32_t(d >> 32)); }
  void code(const std::vector<uint8_t>& b, uint32_t at = kCode) { m.memory().load(at, b); }
  // Loads a segment cache straight from the GDT image (test set-up only).
  void load(unsigned seg, uint16_t sel) {
    const uint32_t lo = peek32(kGdt + (sel & ~7u)), hi = peek32(kGdt + (sel & ~7u) + 4);
    core::SegmentCache& c = s().seg[seg];
    c.selector = sel;
    c.base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
    c.limit = (lo & 0xFFFF) | (hi & 0xF0000);
    c.attrs = uint16_t((hi >> 8) & 0xF0FF);
    if (c.attrs & 0x8000) c.limit = (c.limit << 12) | 0xFFF;
  }
  void enter_ring3() {
    load(x86::kCs, kUCode);
    load(x86::kSs, kUData);
    s().cpl = 3;
    s().gpr[x86::kEsp] = kRing3Stack;
  }
  bool in_handler(unsigned v) { return s().halted && s().eip == kHandlers + v + 1 && s().cpl == 0; }
  StopReason run() { return interp.run(10000); }

  core::Machine m;
  core::Interpreter interp;
};

}  // namespace

TEST_CASE("a benign exception whose gate is missing: #NP with IDT and EXT bits, delivered serially", "[pm]") {
  PmGuest g;
  g.set_idt(6, gate(kKCode, kHandlers + 6, 0x0E));  // not present
  g.code({0x0F, 0x0B});                             // ud2
  g.run();
  REQUIRE(g.in_handler(core::kNP));
  CHECK(g.peek32(g.s().gpr[x86::kEsp]) == 6 * 8 + 2 + 1);  // error code: IDT | EXT
  CHECK(g.peek32(g.s().gpr[x86::kEsp] + 4) == kCode);      // the faulting UD2
}

TEST_CASE("#NP while delivering #GP is a double fault; a fault delivering #DF shuts down", "[pm]") {
  PmGuest g;
  g.set_idt(13, gate(kKCode, kHandlers + 13, 0x0E));      // not present
  g.code({0x66, 0xB8, 0x00, 0x01, 0x8E, 0xD8});            // mov ax, 0x100; mov ds, ax (beyond GDT limit)
  g.run();
  REQUIRE(g.in_handler(core::kDF));
  CHECK(g.peek32(g.s().gpr[x86::kEsp]) == 0);
  CHECK(g.peek32(g.s().gpr[x86::kEsp] + 4) == kCode + 4);  // the MOV DS

  PmGuest t;
  t.set_idt(13, gate(kKCode, kHandlers + 13, 0x0E));
  t.set_idt(8, gate(kKCode, kHandlers + 8, 0x0E));
  t.code({0x66, 0xB8, 0x00, 0x01, 0x8E, 0xD8});
  CHECK(t.run() == StopReason::kShutdown);
}

TEST_CASE("INT n through a DPL-0 gate from ring 3: #GP(n*8+2) on the ring-0 stack from the TSS", "[pm]") {
  PmGuest g;
  g.enter_ring3();
  g.code({0xCD, 0x40});  // int 0x40
  g.run();
  REQUIRE(g.in_handler(core::kGP));
  const uint32_t esp = g.s().gpr[x86::kEsp];
  CHECK(esp == kRing0Stack - 24);
  CHECK(g.peek32(esp) == 0x40 * 8 + 2);  // no EXT: a software interrupt
  CHECK(g.peek32(esp + 4) == kCode);
  CHECK(g.peek32(esp + 8) == kUCode);
  CHECK(g.peek32(esp + 16) == kRing3Stack);
  CHECK(g.peek32(esp + 20) == kUData);
  CHECK(g.s().seg[x86::kSs].selector == kKData);
}

TEST_CASE("call gate to ring 0 copies parameters; RETF imm back to ring 3 nulls a DPL-0 DS", "[pm]") {
  PmGuest g;
  g.set_gdt(7, gate(kKCode, 0x11000, 0xEC, 2));  // 32-bit call gate, DPL 3, 2 parameters
  g.code({0xCA, 0x08, 0x00}, 0x11000);           // retf 8
  g.enter_ring3();
  g.code({0x68, 0x11, 0x11, 0x11, 0x11,         // push 0x11111111
          0x68, 0x22, 0x22, 0x22, 0x22,         // push 0x22222222
          0x9A, 0x00, 0x00, 0x00, 0x00, 0x3B, 0x00,  // call far 0x3B:0
          0x89, 0xE0,                           // mov eax, esp
          0x8C, 0xDB,                           // mov ebx, ds
          0xF4});                               // hlt (#GP at CPL 3)
  for (int k = 0; k < 3; ++k) REQUIRE(g.interp.step() == StepResult::kRetired);
  // In the gate's target: CPL 0, the new stack holds SS ESP p1 p0 CS EIP.
  const uint32_t esp = g.s().gpr[x86::kEsp];
  CHECK(g.s().cpl == 0);
  CHECK(esp == kRing0Stack - 24);
  CHECK(g.peek32(esp) == kCode + 17);
  CHECK(g.peek32(esp + 4) == kUCode);
  CHECK(g.peek32(esp + 8) == 0x22222222u);
  CHECK(g.peek32(esp + 12) == 0x11111111u);
  CHECK(g.peek32(esp + 16) == kRing3Stack - 8);
  CHECK(g.peek32(esp + 20) == kUData);
  g.load(x86::kDs, kKData);  // a segment ring 3 may not keep
  g.run();
  REQUIRE(g.in_handler(core::kGP));
  CHECK(g.s().gpr[x86::kEax] == kRing3Stack);  // RETF 8 dropped the parameters
  CHECK(g.s().gpr[x86::kEbx] == 0);            // DS nulled
}

TEST_CASE("I/O permission bitmap at CPL 3 with IOPL 0: every byte accessed must be allowed", "[pm]") {
  PmGuest g;
  g.set_gdt(5, desc(kTss1, 0x68 + 0x20, 0x8B, 0));
  g.s().tr.limit = 0x68 + 0x20;
  g.poke8(kTss1 + 0x68 + 0x10, 0x02);  // port 0x80 allowed, 0x81 denied
  g.poke8(kTss1 + 0x68 + 0x11, 0x00);
  g.enter_ring3();
  g.code({0xE4, 0x80,         // in al, 0x80
          0x66, 0xE5, 0x80});  // in ax, 0x80 (ports 0x80-0x81)
  g.run();
  REQUIRE(g.in_handler(core::kGP));
  CHECK(g.peek32(g.s().gpr[x86::kEsp]) == 0);
  CHECK(g.peek32(g.s().gpr[x86::kEsp] + 4) == kCode + 2);
}

TEST_CASE("CALL to a TSS nests (link, NT, busy bits) and IRET returns", "[pm]") {
  PmGuest g;
  g.poke32(kTss2 + 0x20, 0x12000);  // EIP
  g.poke32(kTss2 + 0x24, 0x2);      // EFLAGS
  g.poke32(kTss2 + 0x38, 0x6000);   // ESP
  for (unsigned i = 0; i < 6; ++i) g.poke16(kTss2 + 0x48 + 4 * i, i == 1 ? kKCode : kKData);
  g.code({0xCF}, 0x12000);  // iret
  g.code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00,  // call far 0x30:0
          0xF4});
  REQUIRE(g.interp.step() == StepResult::kRetired);
  CHECK(g.s().tr.selector == kTss2Sel);
  CHECK(g.s().eip == 0x12000);
  CHECK((g.s().eflags & x86::kNT) != 0);
  CHECK((g.s().cr0 & core::kCr0TS) != 0);
  CHECK(g.peek32(kTss2) == kTssSel);                // back link
  CHECK((g.peek8(kGdt + 6 * 8 + 5) & 2) != 0);      // new TSS busy
  CHECK((g.peek8(kGdt + 5 * 8 + 5) & 2) != 0);      // old one stays busy
  CHECK(g.peek32(kTss1 + 0x20) == kCode + 7);       // saved EIP: after the CALL
  REQUIRE(g.interp.step() == StepResult::kRetired);  // iret
  CHECK(g.s().tr.selector == kTssSel);
  CHECK(g.s().eip == kCode + 7);
  CHECK((g.s().eflags & x86::kNT) == 0);
  CHECK((g.peek8(kGdt + 6 * 8 + 5) & 2) == 0);  // IRET cleared the busy bit it left
}

TEST_CASE("faults in far transfers are precise", "[pm]") {
  SECTION("call gate whose inner SS is bad: #TS(SS) with CPL, CS and ESP unchanged") {
    PmGuest g;
    g.set_gdt(7, gate(kKCode, 0x11000, 0xEC, 0));
    g.poke32(kTss1 + 8, kUData);  // SS0 with RPL/DPL 3: #TS
    // #TS goes to a conforming ring-0 handler, which runs at CPL 3 on the
    // interrupted stack: the frame shows what the CPU kept.
    g.set_gdt(8, desc(0, 0xFFFFF, 0x9E, 0xC));
    g.set_idt(10, gate(0x40, 0x13000, 0x8E));
    g.code({0x90}, 0x13000);
    g.enter_ring3();
    g.code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x3B, 0x00});
    REQUIRE(g.interp.step() == StepResult::kException);
    CHECK(g.s().cpl == 3);
    CHECK(g.s().eip == 0x13000);
    const uint32_t esp = g.s().gpr[x86::kEsp];
    CHECK(esp == kRing3Stack - 16);
    CHECK(g.peek32(esp) == (kUData & 0xFFFC));  // #TS(SS), EXT 0: the CALL's own fault
    CHECK(g.peek32(esp + 4) == kCode);
  }
  SECTION("task switch to a TSS with a short limit: #TS(TSS) before anything is saved") {
    PmGuest g;
    g.set_gdt(6, desc(kTss2, 0x50, 0x89, 0));
    g.code({0xEA, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00});  // jmp far 0x30:0
    g.s().gpr[x86::kEax] = 0x1234;
    g.run();
    REQUIRE(g.in_handler(core::kTS));
    CHECK(g.peek32(g.s().gpr[x86::kEsp]) == kTss2Sel);
    CHECK(g.s().tr.selector == kTssSel);
    CHECK(g.peek32(kTss1 + 0x28) == 0);  // EAX not saved
    CHECK((g.peek8(kGdt + 5 * 8 + 5) & 2) != 0);
  }
}

TEST_CASE("LAR, LSL, VERR, VERW and ARPL", "[pm]") {
  PmGuest g;
  g.set_gdt(7, gate(kKCode, 0, 0xEC, 0));
  g.code({0x0F, 0x02, 0xC1,  // lar eax, ecx   (code segment)
          0x0F, 0x94, 0xC2,  // setz dl
          0x0F, 0x03, 0xDE,  // lsl ebx, esi   (TSS)
          0x0F, 0x94, 0xC6,  // setz dh
          0x0F, 0x03, 0xEF,  // lsl ebp, edi   (call gate: not for LSL)
          0x0F, 0x94, 0xC0,  // setz al
          0x0F, 0x00, 0xE9,  // verw cx        (code: never writable)
          0x0F, 0x94, 0xC5,  // setz ch
          0x0F, 0x00, 0xE1,  // verr cx        (readable code)
          0x0F, 0x94, 0xC1,  // setz cl
          0xF4});
  g.s().gpr[x86::kEcx] = kKCode;
  g.s().gpr[x86::kEsi] = kTssSel;
  g.s().gpr[x86::kEdi] = 0x38;
  g.run();
  CHECK((g.s().gpr[x86::kEax] & 0xFFFFFF00u) == 0x00CF9A00u);  // LAR: dword 2 & 00FFFF00
  CHECK(g.s().reg8(2) == 1);                     // DL
  CHECK(g.s().gpr[x86::kEbx] == 0x67);
  CHECK(g.s().reg8(6) == 1);                     // DH
  CHECK(g.s().reg8(0) == 0);                     // AL: LSL on a gate fails
  CHECK(g.s().reg8(5) == 0);                     // CH: VERW on code fails
  CHECK(g.s().reg8(1) == 1);                     // CL: VERR on readable code

  PmGuest a;
  a.code({0x63, 0xD8, 0x0F, 0x94, 0xC1, 0x63, 0xD8, 0x0F, 0x94, 0xC5, 0xF4});  // arpl ax,bx; setz cl; twice
  a.s().gpr[x86::kEax] = 0x10;
  a.s().gpr[x86::kEbx] = 0x3;
  a.run();
  CHECK(a.s().reg16(x86::kEax) == 0x13);
  CHECK(a.s().reg8(1) == 1);
  CHECK(a.s().reg8(5) == 0);
}

TEST_CASE("80286 protected mode: POPF at CPL 0 writes IOPL and NT (real mode keeps them 0)", "[pm]") {
  PmGuest g(x86::CpuModel::k286);
  g.set_gdt(9, desc(0, 0xFFFF, 0x9A, 0));   // 16-bit code
  g.set_gdt(10, desc(0, 0xFFFF, 0x92, 0));  // 16-bit stack
  g.load(x86::kCs, 0x48);
  g.load(x86::kSs, 0x50);
  g.s().eip = 0x1000;
  g.s().gpr[x86::kEsp] = 0x8000;
  g.code({0x68, 0x02, 0x70,  // push 0x7002 (NT, IOPL 3)
          0x9D,              // popf
          0x9C, 0x58,        // pushf; pop ax
          0xF4},
         0x1000);
  g.run();
  CHECK(g.s().reg16(x86::kEax) == 0x7002);
}

TEST_CASE("16-bit interrupt gate from 16-bit ring-3 code pushes 16-bit SS SP FLAGS CS IP", "[pm]") {
  PmGuest g;
  g.set_gdt(9, desc(0x20000, 0xFFFF, 0xFA, 0));   // 16-bit ring-3 code at 0x20000
  g.set_gdt(10, desc(0x30000, 0xFFFF, 0xF2, 0));  // 16-bit ring-3 stack at 0x30000
  g.set_idt(0x40, gate(kKCode, kHandlers + 0x40, 0xE6));  // 16-bit interrupt gate, DPL 3
  g.load(x86::kCs, 0x4B);
  g.load(x86::kSs, 0x53);
  g.s().cpl = 3;
  g.s().eip = 0x100;
  g.s().gpr[x86::kEsp] = 0x1234FFF0;  // SP 0xFFF0 (upper half ignored by a 16-bit stack)
  g.code({0xCD, 0x40}, 0x20100);
  g.run();
  REQUIRE(g.s().halted);
  CHECK(g.s().eip == kHandlers + 0x41);
  const uint32_t esp = g.s().gpr[x86::kEsp];
  CHECK(esp == kRing0Stack - 10);
  CHECK(uint16_t(g.peek32(esp)) == 0x102);       // IP after INT
  CHECK(uint16_t(g.peek32(esp + 2)) == 0x4B);    // CS
  CHECK(uint16_t(g.peek32(esp + 6)) == 0xFFF0);  // SP
  CHECK(uint16_t(g.peek32(esp + 8)) == 0x53);    // SS
}

TEST_CASE("JMP to a 16-bit TSS: 16-bit image loaded, old busy bit cleared, new one set", "[pm]") {
  PmGuest g;
  g.set_gdt(9, desc(0, 0xFFFF, 0x9A, 0));           // 16-bit ring-0 code
  g.set_gdt(11, desc(0x3800, 0x2B, 0x81, 0));        // 16-bit TSS, available
  g.poke16(0x3800 + 0x0E, 0x4000);                   // IP
  g.poke16(0x3800 + 0x10, 0x0002);                   // FLAGS
  g.poke16(0x3800 + 0x12, 0xBEEF);                   // AX
  g.poke16(0x3800 + 0x1A, 0x8000);                   // SP
  g.poke16(0x3800 + 0x22, kKData);                   // ES
  g.poke16(0x3800 + 0x24, 0x48);                     // CS
  g.poke16(0x3800 + 0x26, kKData);                   // SS
  g.poke16(0x3800 + 0x28, kKData);                   // DS
  g.s().gpr[x86::kEax] = 0x12345678;
  g.code({0xEA, 0x00, 0x00, 0x00, 0x00, 0x58, 0x00});  // jmp far 0x58:0
  REQUIRE(g.interp.step() == StepResult::kRetired);
  CHECK(g.s().tr.selector == 0x58);
  CHECK(g.s().eip == 0x4000);
  CHECK(g.s().gpr[x86::kEax] == 0x1234BEEF);  // a 16-bit TSS loads the low halves
  CHECK(!g.s().code32());
  CHECK((g.peek8(kGdt + 11 * 8 + 5) & 2) != 0);
  CHECK((g.peek8(kGdt + 5 * 8 + 5) & 2) == 0);  // JMP: the old task is no longer busy
  CHECK((g.s().eflags & x86::kNT) == 0);
  CHECK(g.peek32(kTss1 + 0x28) == 0x12345678);  // old EAX saved in the 32-bit TSS
}

TEST_CASE("unreal mode: limits cached in protected mode survive the return to real mode", "[pm]") {
  PmGuest g;
  g.code({0x0F, 0x20, 0xC0,                    // mov eax, cr0
          0x24, 0xFE,                          // and al, 0xFE
          0x0F, 0x22, 0xC0,                    // mov cr0, eax (real mode; CS keeps D=1)
          0x31, 0xC0,                          // xor eax, eax
          0x8E, 0xD8,                          // mov ds, ax (real-mode load: base 0)
          0xC7, 0x05, 0x00, 0x00, 0x20, 0x00,  // mov dword [0x200000], 0x12345678
          0x78, 0x56, 0x34, 0x12,
          0xF4});
  g.run();
  CHECK(!g.s().protected_mode());
  CHECK(g.s().seg[x86::kDs].base == 0);
  CHECK(g.s().seg[x86::kDs].limit == 0xFFFFFFFFu);
  CHECK(g.peek32(0x200000) == 0x12345678u);
}
