// The last instruction of a sequence that may raise an exception, for the
// ring-3 kernel mode (GeneratorOptions::faults). Natively the helper sees the
// exception as a signal whose context names it (trapno, error code, CR2);
// the ring-3 kernel sees it in its handler's frame. Both must agree on the
// vector, the error code, EIP (the instruction for a fault, the next one for
// a trap: SDM Vol. 3A, 6.5 and table 6-1), CR2 and every register.
//
// Only exceptions whose delivery both sides define the same way: the host
// (Linux) IDT gives DPL 3 to vectors 3, 4 and 0x80 only, the ring-3 kernel to
// 3, 4 and its own 0x41 (the sequence end), so INT n avoids those four.
#include <cstdint>

#include "tests/host_oracle/families.h"

namespace tx86::oracle {

namespace {

// Privileged or IOPL-sensitive at CPL 3 with IOPL 0: #GP(0) (SDM Vol. 3A,
// 5.9 and 20.2; each instruction's "Protected Mode Exceptions").
struct Privileged {
  uint8_t bytes[3];
  uint8_t length;
  const char* mnemonic;
};
constexpr Privileged kPrivileged[] = {
    {{0xF4}, 1, "hlt"},          {{0xFA}, 1, "cli"},          {{0xFB}, 1, "sti"},
    {{0xEC}, 1, "in"},           {{0xEF}, 1, "out"},          {{0xE4, 0x80}, 2, "in"},
    {{0xE7, 0x70}, 2, "out"},    {{0x0F, 0x22, 0xC0}, 3, "mov"}, {{0x0F, 0x20, 0xC3}, 3, "mov"},
    {{0x0F, 0x21, 0xC1}, 3, "mov"}, {{0x0F, 0x09}, 2, "wbinvd"}, {{0x0F, 0x08}, 2, "invd"},
    {{0x0F, 0x06}, 2, "clts"},   {{0x0F, 0x32}, 2, "rdmsr"},  {{0x0F, 0x30}, 2, "wrmsr"},
};

}  // namespace

void Families::last_fault() {
  const unsigned kind = rng_.below(12);
  switch (kind) {
    case 0: {  // DIV/IDIV by zero, or by 1 with a high half of 1 (quotient overflow): #DE
      const unsigned w = pick_width();
      const uint32_t divisor = rng_.chance(50) ? 0 : 1;
      RmOperand rm;
      const RegMask avoid = divisor ? static_cast<RegMask>(bit(kEax) | bit(kEdx)) : RegMask{0};
      if (rng_.chance(40)) {
        rm = b_.memory_operand(w, true, avoid);
        b_.mov_mem_imm(w, rm, divisor);
      } else {
        rm.reg = b_.pick_reg(w, true, avoid);
        if (w == 1) b_.mov_reg8_imm(rm.reg, static_cast<uint8_t>(divisor));
        else if (w == 2) b_.mov_reg16_imm(rm.reg, static_cast<uint16_t>(divisor));
        else b_.mov_reg32_imm(rm.reg, divisor);
      }
      if (divisor != 0) {  // AH, DX or EDX := 1: the quotient does not fit (SDM Vol. 2, DIV/IDIV)
        if (w == 1) b_.mov_reg8_imm(4, 1);
        else if (w == 2) b_.mov_reg16_imm(kEdx, 1);
        else b_.mov_reg32_imm(kEdx, 1);
      }
      const bool signed_div = rng_.chance(50);
      b_.begin();
      put_prefixes(false, &rm, w);
      b_.put(w == 1 ? 0xF6 : 0xF7);
      b_.put_modrm(signed_div ? 7 : 6, rm);
      b_.finish(signed_div ? "idiv" : "div", {}, 0);
      return;
    }
    case 1:  // UD2: #UD
      b_.begin();
      b_.put(0x0F);
      b_.put(0x0B);
      b_.finish("ud2", {}, 0);
      return;
    case 2: {  // privileged: #GP(0)
      const Privileged& p = kPrivileged[rng_.below(sizeof kPrivileged / sizeof kPrivileged[0])];
      b_.begin();
      for (unsigned i = 0; i < p.length; ++i) b_.put(p.bytes[i]);
      b_.finish(p.mnemonic, {}, 0);
      return;
    }
    case 3: {  // INT n through a DPL-0 gate: #GP(n*8+2) (SDM Vol. 2, INT n)
      uint8_t n;
      do n = static_cast<uint8_t>(rng_.u32()); while (n == 3 || n == 4 || n == 0x41 || n == 0x80);
      b_.begin();
      b_.put(0xCD);
      b_.put(n);
      b_.finish("int", {}, 0);
      return;
    }
    case 4:  // INT3 / INT 3: #BP, a trap (EIP after the instruction)
      b_.begin();
      if (rng_.chance(70)) {
        b_.put(0xCC);
        b_.finish("int3", {}, 0);
      } else {
        b_.put(0xCD);
        b_.put(3);
        b_.finish("int", {}, 0);
      }
      return;
    case 5:  // INTO: #OF (a trap) if OF=1, else nothing
      if (!b_.defined(kFlagOf)) break;
      b_.begin();
      b_.put(0xCE);
      b_.finish("into", {kFlagOf, 0, 0}, 0);
      return;
    case 6: {  // BOUND r32, m32&32: #BR (a fault) if the index is out of bounds
      const uint8_t r = b_.pick_reg(4, true);
      RmOperand m = b_.memory_operand(8, true, bit(r));  // the address must not use r
      const uint32_t lower = rng_.interesting(4);
      const uint32_t upper = rng_.chance(70) ? lower + rng_.below(64) : rng_.interesting(4);
      RmOperand hi = m;
      hi.mem.disp += 4;
      b_.mov_mem_imm(4, m, lower);
      b_.mov_mem_imm(4, hi, upper);
      b_.mov_reg32_imm(r, lower + static_cast<uint32_t>(rng_.range(-3, 70)));
      b_.begin();
      put_prefixes(false, &m, 4);
      b_.put(0x62);
      b_.put_modrm(r, m);
      b_.finish("bound", {}, 0);
      return;
    }
    case 7:    // a read or write of page 0, never mapped: #PF(U [| W])
    case 8:    // a write to the read-only page: #PF(P | W | U)
    case 9: {  // a read of the read-only page: no exception
      const bool page0 = kind == 7;
      const bool store = kind == 8 || (page0 && rng_.chance(50));
      const uint32_t ea = page0 ? rng_.below(0x1000 - 4) : ORACLE_RO_PAGE + rng_.below(0x1000 - 4);
      RmOperand rm;
      rm.is_mem = true;
      rm.ea = ea;
      rm.mem = b_.mem_at(ea, 0, !store);
      rm.mem.segment_prefix = b_.pick_segment_prefix(store);
      const uint8_t r = b_.pick_reg(4, true);
      b_.begin();
      put_prefixes(false, &rm, 4);
      // A read-modify-write: its read is done with write intent, so on a
      // not-present page the #PF error code has W=1 (SDM Vol. 3A 4.7). It
      // faults, so no register or flag changes.
      if (store && rng_.chance(30)) {
        switch (rng_.below(6)) {
          case 0: b_.put(0x01); b_.put_modrm(r, rm); b_.finish("add", {}, 0); break;
          case 1: b_.put(0xFF); b_.put_modrm(0, rm); b_.finish("inc", {}, 0); break;
          case 2: b_.put(0x87); b_.put_modrm(r, rm); b_.finish("xchg", {}, 0); break;
          case 3: b_.put(0xF7); b_.put_modrm(2, rm); b_.finish("not", {}, 0); break;
          case 4:
            b_.put(0xC1); b_.put_modrm(4, rm); b_.put(uint8_t(1 + rng_.below(31)));
            b_.finish("shl", {}, 0);
            break;
          default:
            b_.put(0x0F); b_.put(0xBA); b_.put_modrm(5, rm); b_.put(uint8_t(rng_.below(32)));
            b_.finish("bts", {}, 0);
            break;
        }
      } else {
        b_.put(store ? 0x89 : 0x8B);
        b_.put_modrm(r, rm);
        b_.finish("mov", {}, store ? 0 : bit(r));
      }
      return;
    }
    case 10: {  // LOCK on a register destination: #UD (SDM Vol. 2, LOCK)
      b_.begin();
      b_.put(0xF0);
      b_.put(0x01);
      b_.put(static_cast<uint8_t>(0xC0 | (rng_.below(8) << 3) | b_.pick_reg(4, true)));
      b_.finish("add", {}, 0);
      return;
    }
    default: {  // MOV SS, a null selector: #GP(0) (SDM Vol. 2, MOV)
      const uint8_t r = b_.pick_reg(4, true);
      b_.mov_reg32_imm(r, rng_.below(4));  // null selector with any RPL
      b_.begin();
      b_.put(0x8E);
      b_.put(static_cast<uint8_t>(0xD0 | r));
      b_.finish("mov", {}, 0);
      return;
    }
  }
  // Fallback when the chosen case does not apply: UD2.
  b_.begin();
  b_.put(0x0F);
  b_.put(0x0B);
  b_.finish("ud2", {}, 0);
}

}  // namespace tx86::oracle
