// Control-register family: MOV to/from CR0 CR2 CR3 CR4, DR0-DR7, TRn, LMSW,
// SMSW, CLTS, INVD, WBINVD, INVLPG (SDM Vol. 2 per instruction; CR bits:
// Vol. 3A, 2.5; debug registers: Vol. 3A, 17.2). All of them are CPL-0 only
// in protected mode (#GP(0)); SMSW is not privileged, only sensitive.
#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;
using x86::OperandKind;

// CPL 0 check for protected and V86 mode (real mode runs at CPL 0).
inline bool require_cpl0(ExecContext& c) {
  if ((c.s.protected_mode() && c.s.cpl != 0) || c.s.v86()) return c.cpu.raise(kGP, 0);
  return true;
}

// The CR0 bits a P6 implements; ET is hardwired to 1 on the 486 and later.
// Other bits of CR0[31:0] are ignored on write (only CR0[63:32] #GP).
constexpr uint32_t kCr0Writable = kCr0PE | kCr0MP | kCr0EM | kCr0TS | kCr0NE | kCr0WP | kCr0AM | kCr0NW |
                                  kCr0CD | kCr0PG;
// CR4 bits tx86 implements (and CPUID reports); any other bit set is #GP(0)
// (SDM Vol. 2 "MOV—Move to/from Control Registers"). MCE is reserved (no
// machine-check architecture, CPUID.1:EDX.MCE clear).
constexpr uint32_t kCr4Writable =
    kCr4VME | kCr4PVI | kCr4TSD | kCr4DE | kCr4PSE | kCr4PAE | kCr4PGE | kCr4PCE;

bool pae_paging(uint32_t cr0, uint32_t cr4) { return (cr0 & kCr0PG) && (cr4 & kCr4PAE); }

bool write_cr0(ExecContext& c, uint32_t v) {
  // SDM Vol. 2 "MOV—Move to/from Control Registers": PG without PE and NW
  // without CD raise #GP(0).
  if ((v & kCr0PG) && !(v & kCr0PE)) return c.cpu.raise(kGP, 0);
  if ((v & kCr0NW) && !(v & kCr0CD)) return c.cpu.raise(kGP, 0);
  const uint32_t old = c.s.cr0;
  const uint32_t now = (v & kCr0Writable) | kCr0ET;
  // Entering PAE paging loads the PDPTEs (SDM Vol. 3A, 4.4.1); a reserved
  // bit in a present one makes the MOV #GP(0) with CR0 unchanged.
  if (pae_paging(now, c.s.cr4) && !(old & kCr0PG) && !c.cpu.load_pdptes(c.s.cr3)) return false;
  c.s.cr0 = now;
  if ((old ^ now) & (kCr0PE | kCr0PG | kCr0WP)) c.cpu.flush_tlb();
  // Entering protected mode keeps the segment caches as they are (the next
  // far jump loads CS); CPL stays 0 (SDM Vol. 3A, 9.9.1).
  c.attention = true;
  return true;
}

bool write_cr4(ExecContext& c, uint32_t v) {
  if (v & ~kCr4Writable) return c.cpu.raise(kGP, 0);
  const uint32_t old = c.s.cr4;
  // 4.4.1: with CR0.PG = 1, a MOV to CR4 that changes PAE, PGE or PSE and
  // leaves PAE = 1 loads the PDPTEs.
  if (pae_paging(c.s.cr0, v) && ((old ^ v) & (kCr4PAE | kCr4PGE | kCr4PSE)) && !c.cpu.load_pdptes(c.s.cr3))
    return false;
  c.s.cr4 = v;
  // 4.10.4.1: changing PGE, PSE or PAE invalidates every TLB entry,
  // global ones included.
  if ((old ^ v) & (kCr4PSE | kCr4PGE | kCr4PAE)) c.cpu.flush_tlb();
  c.attention = true;
  return true;
}

bool write_cr3(ExecContext& c, uint32_t v) {
  if (!c.cpu.load_cr3(v)) return false;
  c.attention = true;  // the linear-to-physical mapping changed
  return true;
}

bool write_cr(ExecContext& c, unsigned n, uint32_t v) {
  switch (n) {
    case 0: return write_cr0(c, v);
    case 2: c.s.cr2 = v; return true;
    case 3: return write_cr3(c, v);
    case 4: return write_cr4(c, v);
    default: return c.cpu.raise(kUD);
  }
}

bool read_cr(ExecContext& c, unsigned n, uint32_t& v) {
  switch (n) {
    case 0: v = c.s.cr0; return true;
    case 2: v = c.s.cr2; return true;
    case 3: v = c.s.cr3; return true;
    case 4: v = c.s.cr4; return true;
    default: return c.cpu.raise(kUD);
  }
}

constexpr uint32_t kDr6Bd = 1u << 13;
constexpr uint32_t kDr7Gd = 1u << 13;

// DR4/DR5 alias DR6/DR7 unless CR4.DE is set, which makes them #UD.
bool dr_index(ExecContext& c, unsigned& n) {
  if (n == 4 || n == 5) {
    if (c.s.cr4 & kCr4DE) return c.cpu.raise(kUD);
    n += 2;
  }
  return true;
}

bool lmsw(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kControlRegisters, c.s.cpl);
  uint16_t v;
  if (!interp::read_op(c, i, i.ops[0], v)) return false;
  if (!require_cpl0(c)) return false;
  // Only PE MP EM TS are loaded, and PE cannot be cleared (SDM "LMSW").
  const uint32_t old = c.s.cr0;
  c.s.cr0 = (old & ~0xEu) | (v & 0xFu) | (old & kCr0PE);
  if ((old ^ c.s.cr0) & kCr0PE) c.cpu.flush_tlb();
  c.attention = true;
  return true;
}

bool smsw(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kControlRegisters, c.s.cpl);
  // A 32-bit register destination receives all of CR0 on the 386+.
  if (i.ops[0].kind == OperandKind::kReg && i.ops[0].size == 4) {
    c.s.gpr[i.ops[0].reg] = c.s.cr0;
    return true;
  }
  return interp::write_op<uint16_t>(c, i, i.ops[0], uint16_t(c.s.cr0));
}

bool clts(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kControlRegisters, c.s.cpl);
  if (!require_cpl0(c)) return false;
  c.s.cr0 &= ~kCr0TS;
  return true;
}

// INVD/WBINVD: tx86 models no caches, so only the privilege check remains.
bool cache_control(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kControlRegisters, c.s.cpl);
  return require_cpl0(c);
}

bool invlpg(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kControlRegisters, c.s.cpl);
  if (i.ops[0].kind != OperandKind::kMem) return c.cpu.raise(kUD);
  if (!require_cpl0(c)) return false;
  c.cpu.flush_tlb_page(c.s.seg[i.mem.seg].base + interp::effective_address(c.s, i));
  c.attention = true;
  return true;
}

}  // namespace

bool mov_special(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kControlRegisters, c.s.cpl);
  if (!require_cpl0(c)) return false;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  if (d.kind == OperandKind::kTr || s.kind == OperandKind::kTr) {
    // Test registers exist on the 386/486 only; the P6 has none (#UD).
    c.machine.log_once("mov-tr", "MOV to/from test registers is not supported (raising #UD)");
    return c.cpu.raise(kUD);
  }
  if (d.kind == OperandKind::kCr) return write_cr(c, d.reg, c.s.gpr[s.reg]);
  if (s.kind == OperandKind::kCr) {
    uint32_t v;
    if (!read_cr(c, s.reg, v)) return false;
    c.s.gpr[d.reg] = v;
    return true;
  }
  // DR4/DR5 #UD (CR4.DE) comes before general detect; general detect
  // (DR7.GD) makes any debug-register access a #DB fault with DR6.BD set,
  // and clears GD so that the handler can use the registers (SDM Vol. 3A,
  // 17.2.4 and 17.3.1.3).
  unsigned n = d.kind == OperandKind::kDr ? d.reg : s.reg;
  if (!dr_index(c, n)) return false;
  if (c.s.dr[7] & kDr7Gd) {
    c.s.dr[6] |= kDr6Bd;
    c.s.dr[7] &= ~kDr7Gd;
    c.cpu.update_breakpoints();
    return c.cpu.raise(kDB);
  }
  if (d.kind == OperandKind::kDr) {
    uint32_t v = c.s.gpr[s.reg];
    if (n == 6) v = (v & 0x0000E00Fu) | 0xFFFF0FF0u;  // reserved bits read as 1 (P6)
    if (n == 7) v = (v & 0xFFFF2BFFu) | 0x400u;
    c.s.dr[n] = v;
    if (n < 4 || n == 7) {
      c.cpu.update_breakpoints();
      c.attention = true;  // instruction breakpoints are checked at boundaries
    }
    return true;
  }
  c.s.gpr[d.reg] = c.s.dr[n];
  return true;
}

void register_control_registers(HandlerTable& t) {
  t.set(M::kLmsw, lmsw);
  t.set(M::kSmsw, smsw);
  t.set(M::kClts, clts);
  t.set(M::kInvd, cache_control);
  t.set(M::kWbinvd, cache_control);
  t.set(M::kInvlpg, invlpg);
}

}  // namespace tx86::core::priv
