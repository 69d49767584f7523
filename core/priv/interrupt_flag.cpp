// HLT and interrupt-flag family: CLI STI HLT PUSHF POPF, and the FLAGS-write
// rule shared with IRET (SDM Vol. 2 "CLI", "STI", "HLT", "PUSHF", "POPF";
// IOPL sensitivity: Vol. 1, 18.5; 80286 PRM: FLAGS bits 12-15 are 0 in real
// mode). With CR4.VME, V86 code at IOPL < 3 works on the virtual interrupt
// flag: CLI/STI clear/set VIF (STI with VIP set is #GP(0)), 16-bit PUSHF
// shows VIF as IF and IOPL as 3, 16-bit POPF loads VIF from the image's IF
// (#GP(0) if the image sets TF, or sets IF while VIP is set); the 32-bit
// forms stay #GP(0) (SDM Vol. 3A, 20.3 "Interrupt and exception handling in
// virtual-8086 mode", VME). With CR4.PVI, CLI/STI at CPL 3 in protected
// mode with IOPL < 3 do the same to VIF (20.4 "Protected-mode virtual
// interrupts"); PUSHF/POPF are not affected by PVI.
#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;

inline unsigned iopl(const CpuState& s) { return (s.eflags >> 12) & 3; }

// Which flag CLI/STI act on (SDM "CLI"/"STI" Operation): `virt` = VIF.
// Raises #GP(0) when neither is allowed.
inline bool cli_sti_target(ExecContext& c, bool& virt) {
  const CpuState& s = c.s;
  virt = false;
  if (!s.protected_mode()) return true;
  if (s.v86()) {
    if (iopl(s) == 3) return true;
    if (s.cr4 & kCr4VME) return virt = true;
    return c.cpu.raise(kGP, 0);
  }
  if (s.cpl <= iopl(s)) return true;
  if (s.cpl == 3 && (s.cr4 & kCr4PVI)) return virt = true;
  return c.cpu.raise(kGP, 0);
}

// PUSHF/POPF in V86 mode at IOPL < 3: allowed only for the 16-bit forms
// with CR4.VME (then virtual); #GP(0) otherwise. `virt` is false outside
// that case (the ordinary forms).
inline bool pushf_popf_target(ExecContext& c, const x86::Insn& i, bool& virt) {
  virt = false;
  if (!c.s.v86() || iopl(c.s) == 3) return true;
  if (!(c.s.cr4 & kCr4VME) || i.opsize != 2) return c.cpu.raise(kGP, 0);
  return virt = true;
}

bool cli(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  bool virt;
  if (!cli_sti_target(c, virt)) return false;
  c.s.eflags &= ~(virt ? x86::kVIF : x86::kIF);
  return true;
}

bool sti(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  bool virt;
  if (!cli_sti_target(c, virt)) return false;
  if (virt) {
    // A pending virtual interrupt: let the monitor deliver it.
    if (c.s.eflags & x86::kVIP) return c.cpu.raise(kGP, 0);
    c.s.eflags |= x86::kVIF;
    return true;
  }
  // The shadow: an interrupt is recognised only after the next instruction
  // (SDM Vol. 3A, 6.8.3), and only if IF was clear before.
  if (!(c.s.eflags & x86::kIF)) c.shadow = true;
  c.s.eflags |= x86::kIF;
  c.attention = true;
  return true;
}

bool hlt(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  if ((c.s.protected_mode() && c.s.cpl != 0) || c.s.v86()) return c.cpu.raise(kGP, 0);
  c.s.halted = true;
  c.attention = true;
  return true;
}

bool pushf(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  bool virt;
  if (!pushf_popf_target(c, i, virt)) return false;
  if (virt) {
    // VIF shown as IF, IOPL shown as 3 (SDM "PUSHF", VME).
    uint16_t image = uint16_t((c.s.eflags & ~x86::kIF) | x86::kIOPL);
    if (c.s.eflags & x86::kVIF) image |= x86::kIF;
    return interp::push<uint16_t>(c, image);
  }
  if (i.opsize == 2) return interp::push<uint16_t>(c, uint16_t(c.s.eflags));
  // The image has VM and RF cleared (SDM "PUSHF").
  return interp::push<uint32_t>(c, c.s.eflags & ~(x86::kVM | x86::kRF));
}

bool popf(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  bool virt;
  if (!pushf_popf_target(c, i, virt)) return false;
  interp::StackCursor st(c);
  uint32_t v;
  if (i.opsize == 2) {
    uint16_t w;
    if (!st.pop(w)) return false;
    v = w;
  } else if (!st.pop(v)) {
    return false;
  }
  if (virt) {
    if (!write_flags_virtual(c, v)) return false;
    st.commit();
    return true;
  }
  st.commit();
  write_flags(c, v, i.opsize);
  return true;
}

}  // namespace

void write_flags(ExecContext& c, uint32_t value, unsigned size) {
  CpuState& s = c.s;
  uint32_t mask = interp::writable_flags_mask(c.cpu, size);
  // The 286 keeps bits 12-15 at 0 in real mode only: in protected mode IOPL
  // and NT are ordinary flags (80286 PRM, 3.5 and 9.2).
  if (c.cpu.model() == x86::CpuModel::k286 && s.protected_mode()) mask |= x86::kIOPL | x86::kNT;
  if (s.protected_mode() && !s.v86()) {
    if (s.cpl > 0) mask &= ~x86::kIOPL;
    if (s.cpl > iopl(s)) mask &= ~x86::kIF;
  } else if (s.v86()) {
    // V86 (IOPL 3 to get here): IOPL is not changed by POPF/IRET (SDM "POPF").
    mask &= ~x86::kIOPL;
  }
  if (size == 2) mask &= 0xFFFF;
  const uint32_t old = s.eflags;
  s.eflags = (old & ~mask) | (value & mask) | 0x2;
  if ((old ^ s.eflags) & (x86::kIF | x86::kTF)) c.attention = true;
}

bool write_flags_virtual(ExecContext& c, uint32_t image) {
  CpuState& s = c.s;
  if ((image & x86::kTF) || ((s.eflags & x86::kVIP) && (image & x86::kIF))) return c.cpu.raise(kGP, 0);
  const uint32_t mask = interp::writable_flags_mask(c.cpu, 2) & ~(x86::kIF | x86::kIOPL);
  s.eflags = (s.eflags & ~(mask | x86::kVIF)) | (image & mask) | ((image & x86::kIF) ? x86::kVIF : 0) | 0x2;
  return true;
}

void register_interrupt_flag(HandlerTable& t) {
  t.set(M::kCli, cli);
  t.set(M::kSti, sti);
  t.set(M::kHlt, hlt);
  t.set(M::kPushf, pushf);
  t.set(M::kPopf, popf);
}

}  // namespace tx86::core::priv

namespace tx86::core::interp {

void register_privileged(HandlerTable& t) {
  priv::register_control_registers(t);
  priv::register_descriptor_tables(t);
  priv::register_port_io(t);
  priv::register_msr_cpuid(t);
  priv::register_interrupt_flag(t);
}

}  // namespace tx86::core::interp
