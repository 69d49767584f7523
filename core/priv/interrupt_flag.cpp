// HLT and interrupt-flag family: CLI STI HLT PUSHF POPF, and the FLAGS-write
// rule shared with IRET (SDM Vol. 2 "CLI", "STI", "HLT", "PUSHF", "POPF";
// IOPL sensitivity: Vol. 1, 18.5; 80286 PRM: FLAGS bits 12-15 are 0 in real
// mode). V86 with IOPL < 3 faults here until VME arrives.
#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;

inline unsigned iopl(const CpuState& s) { return (s.eflags >> 12) & 3; }

// CLI/STI/PUSHF/POPF: in protected mode CLI/STI need CPL <= IOPL; in V86
// mode all four need IOPL = 3 (no VME yet).
inline bool iopl_ok(ExecContext& c, bool pm_check) {
  if (c.s.v86()) return iopl(c.s) == 3 || c.cpu.raise(kGP, 0);
  if (pm_check && c.s.protected_mode() && c.s.cpl > iopl(c.s)) return c.cpu.raise(kGP, 0);
  return true;
}

bool cli(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  if (!iopl_ok(c, true)) return false;
  c.s.eflags &= ~x86::kIF;
  return true;
}

bool sti(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  if (!iopl_ok(c, true)) return false;
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
  if (!iopl_ok(c, false)) return false;
  if (i.opsize == 2) return interp::push<uint16_t>(c, uint16_t(c.s.eflags));
  // The image has VM and RF cleared (SDM "PUSHF").
  return interp::push<uint32_t>(c, c.s.eflags & ~(x86::kVM | x86::kRF));
}

bool popf(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  if (!iopl_ok(c, false)) return false;
  interp::StackCursor st(c);
  uint32_t v;
  if (i.opsize == 2) {
    uint16_t w;
    if (!st.pop(w)) return false;
    v = w;
  } else if (!st.pop(v)) {
    return false;
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
