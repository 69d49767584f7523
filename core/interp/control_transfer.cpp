// Control transfer: JMP Jcc JCXZ LOOP LOOPE LOOPNE CALL RET (near), JMPF
// CALLF RETF (far: real and V86 mode here; protected mode in
// core/priv/gates.cpp), INT n, INT3, INT1, INTO, IRET, BOUND (SDM Vol. 2). A branch writes next_eip after
// checking the target against the CS limit (#GP(0), SDM "JMP").
#include "core/interp/handler_table.h"
#include "core/interp/interrupts.h"
#include "core/priv/gates.h"
#include "core/priv/priv.h"
#include "core/semantics/alu.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;

inline bool branch_to(ExecContext& c, uint32_t target) {
  if (target > c.s.seg[x86::kCs].limit) return c.cpu.raise(kGP, 0);
  c.next_eip = target;
  return true;
}

inline uint32_t relative_target(ExecContext& c, const Insn& i, const Operand& o) {
  return truncate_ip(i, c.next_eip + o.imm);
}

// Target of a near branch: rel, or r/m (operand size).
inline bool near_target(ExecContext& c, const Insn& i, uint32_t& target) {
  const Operand& o = i.ops[0];
  if (o.kind == OperandKind::kRel) {
    target = relative_target(c, i, o);
    return true;
  }
  if (i.opsize == 2) {
    uint16_t t;
    if (!read_op(c, i, o, t)) return false;
    target = t;
    return true;
  }
  return read_op(c, i, o, target);
}

bool jmp(ExecContext& c, const Insn& i) {
  uint32_t target;
  return near_target(c, i, target) && branch_to(c, target);
}

// One instantiation per condition, so that the flag test is a constant
// expression instead of a switch on Insn::cond.
template <unsigned cc>
bool jcc(ExecContext& c, const Insn& i) {
  if (!sem::condition(cc, c.s.eflags)) return true;
  return branch_to(c, relative_target(c, i, i.ops[0]));
}

inline uint32_t count_reg(const ExecContext& c, const Insn& i) {
  return i.addrsize == 2 ? (c.s.gpr[x86::kEcx] & 0xFFFF) : c.s.gpr[x86::kEcx];
}

bool jcxz(ExecContext& c, const Insn& i) {
  if (count_reg(c, i) != 0) return true;
  return branch_to(c, relative_target(c, i, i.ops[0]));
}

// LOOP/LOOPE/LOOPNE: the count register (CX or ECX by address size) is
// decremented; a branch that faults (target beyond the CS limit) leaves
// ECX unchanged, so the decrement is committed after the branch check.
template <int kind>  // 0 LOOP, 1 LOOPE, 2 LOOPNE
bool loop(ExecContext& c, const Insn& i) {
  const uint32_t n = count_reg(c, i) - 1;
  const uint32_t masked = i.addrsize == 2 ? (n & 0xFFFF) : n;
  bool take = masked != 0;
  if (kind == 1) take = take && (c.s.eflags & x86::kZF);
  if (kind == 2) take = take && !(c.s.eflags & x86::kZF);
  if (take && !branch_to(c, relative_target(c, i, i.ops[0]))) return false;
  if (i.addrsize == 2) c.s.set_reg16(x86::kEcx, uint16_t(masked));
  else c.s.gpr[x86::kEcx] = masked;
  return true;
}

bool call(ExecContext& c, const Insn& i) {
  uint32_t target;
  if (!near_target(c, i, target)) return false;
  if (target > c.s.seg[x86::kCs].limit) return c.cpu.raise(kGP, 0);
  StackCursor st(c);
  if (i.opsize == 2 ? !st.push<uint16_t>(uint16_t(c.next_eip)) : !st.push<uint32_t>(c.next_eip)) return false;
  st.commit();
  c.next_eip = target;
  return true;
}

bool ret(ExecContext& c, const Insn& i) {
  StackCursor st(c);
  uint32_t target;
  if (i.opsize == 2) {
    uint16_t t;
    if (!st.pop(t)) return false;
    target = t;
  } else if (!st.pop(target)) {
    return false;
  }
  if (target > c.s.seg[x86::kCs].limit) return c.cpu.raise(kGP, 0);
  if (i.num_operands > 0) st.skip(i.ops[0].imm & 0xFFFF);
  st.commit();
  c.next_eip = target;
  return true;
}

// The far pointer of JMPF/CALLF: Ap immediate or m16:16 / m16:32.
bool far_pointer(ExecContext& c, const Insn& i, uint16_t& sel, uint32_t& off) {
  const Operand& o = i.ops[0];
  if (o.kind == OperandKind::kFar) {
    sel = i.far_selector;
    off = o.imm;
    return true;
  }
  if (o.kind != OperandKind::kMem) return c.cpu.raise(kUD);
  const uint32_t ea = effective_address(c.s, i);
  if (i.opsize == 4) {
    if (!c.cpu.read<uint32_t>(i.mem.seg, ea, off)) return false;
  } else {
    uint16_t o16;
    if (!c.cpu.read<uint16_t>(i.mem.seg, ea, o16)) return false;
    off = o16;
  }
  return c.cpu.read<uint16_t>(i.mem.seg, offset_add(i, ea, i.opsize), sel);
}

bool jmpf(ExecContext& c, const Insn& i) {
  uint16_t sel;
  uint32_t off;
  if (!far_pointer(c, i, sel, off)) return false;
  if (c.s.protected_mode() && !c.s.v86()) return priv::far_jmp_protected(c, i, sel, off);
  if (!priv::load_code_segment(c, sel, off)) return false;
  c.next_eip = off;
  return true;
}

bool callf(ExecContext& c, const Insn& i) {
  uint16_t sel;
  uint32_t off;
  if (!far_pointer(c, i, sel, off)) return false;
  if (c.s.protected_mode() && !c.s.v86()) return priv::far_call_protected(c, i, sel, off);
  StackCursor st(c);
  const uint16_t cs = c.s.seg[x86::kCs].selector;
  if (i.opsize == 2) {
    if (!st.push<uint16_t>(cs) || !st.push<uint16_t>(uint16_t(c.next_eip))) return false;
  } else if (!st.push<uint32_t>(cs) || !st.push<uint32_t>(c.next_eip)) {
    return false;
  }
  if (!priv::load_code_segment(c, sel, off)) return false;
  st.commit();
  c.next_eip = off;
  return true;
}

bool retf(ExecContext& c, const Insn& i) {
  if (c.s.protected_mode() && !c.s.v86()) return priv::far_ret_protected(c, i);
  StackCursor st(c);
  uint32_t off;
  uint16_t sel;
  if (i.opsize == 2) {
    uint16_t o16;
    if (!st.pop(o16) || !st.pop(sel)) return false;
    off = o16;
  } else {
    uint32_t s32;
    if (!st.pop(off) || !st.pop(s32)) return false;
    sel = uint16_t(s32);
  }
  if (!priv::load_code_segment(c, sel, off)) return false;
  if (i.num_operands > 0) st.skip(i.ops[0].imm & 0xFFFF);
  st.commit();
  c.next_eip = off;
  return true;
}

// INT n, INT3, INTO, INT1. Once delivered, TF is clear (a gate or the IVT
// cleared it, or the new task's EFLAGS came from its TSS) and the
// instruction takes no single-step trap of its own (SDM Vol. 3A, 17.3.1.4:
// "the INT n and INTO instructions ... clear this flag"); the handler runs
// unstepped. Traps held by a MOV SS just before still come (6.8.3).
bool software_interrupt(ExecContext& c, uint8_t vector, EventKind kind = EventKind::kSoftwareInt) {
  c.attention = true;  // CS may change even when the delivery faults
  if (!deliver_interrupt(c.machine, vector, c.next_eip, kind)) return false;
  c.next_eip = c.s.eip;
  c.cpu.suppress_single_step = true;
  c.attention = true;  // IF and TF were cleared: let the engine re-evaluate
  return true;
}

bool int_n(ExecContext& c, const Insn& i) { return software_interrupt(c, uint8_t(i.ops[0].imm)); }
bool int3(ExecContext& c, const Insn&) { return software_interrupt(c, kBP, EventKind::kSoftwareTrap); }
bool int1(ExecContext& c, const Insn&) { return software_interrupt(c, kDB, EventKind::kIcebp); }
bool into(ExecContext& c, const Insn&) {
  if (!(c.s.eflags & x86::kOF)) return true;
  return software_interrupt(c, kOFv, EventKind::kSoftwareTrap);
}

// IRET in real mode: pop IP, CS, FLAGS (operand size); the FLAGS bits that
// may change follow priv::write_flags (286: bits 12-15 stay 0).
// V86 mode: IOPL-sensitive (SDM Vol. 3A, 20.2.7): at IOPL < 3 only the
// 16-bit form with CR4.VME runs, on the virtual interrupt flag (20.3,
// "IRET" Operation: #GP(0) if the image sets TF, or IF while VIP is set).
bool iret(ExecContext& c, const Insn& i) {
  if (c.s.protected_mode() && !c.s.v86()) return priv::iret_protected(c, i);
  bool virt = false;
  if (c.s.v86() && ((c.s.eflags >> 12) & 3) != 3) {
    if (!(c.s.cr4 & kCr4VME) || i.opsize != 2) return c.cpu.raise(kGP, 0);
    virt = true;
  }
  StackCursor st(c);
  uint32_t off, flags;
  uint16_t sel;
  if (i.opsize == 2) {
    uint16_t o16, f16;
    if (!st.pop(o16) || !st.pop(sel) || !st.pop(f16)) return false;
    off = o16;
    flags = f16;
  } else {
    uint32_t s32;
    if (!st.pop(off) || !st.pop(s32) || !st.pop(flags)) return false;
    sel = uint16_t(s32);
  }
  if (off > c.s.seg[x86::kCs].limit) return c.cpu.raise(kGP, 0);
  if (virt && !priv::write_flags_virtual(c, flags)) return false;
  st.commit();
  c.s.load_segment_real(x86::kCs, sel);
  c.attention = true;  // new CS
  if (!virt) priv::write_flags(c, flags, i.opsize);
  c.next_eip = off;
  c.priv.count(priv::Family::kHaltInterruptFlag, c.s.cpl);
  return true;
}

template <typename T>
bool bound(ExecContext& c, const Insn& i) {
  if (i.ops[1].kind != OperandKind::kMem) return c.cpu.raise(kUD);
  const uint32_t ea = effective_address(c.s, i);
  T lo, hi;
  if (!c.cpu.read<T>(i.mem.seg, ea, lo) || !c.cpu.read<T>(i.mem.seg, offset_add(i, ea, sizeof(T)), hi))
    return false;
  using S = sem::Signed<T>;
  const S v = S(get_reg<T>(c.s, i.ops[0].reg));
  if (v < S(lo) || v > S(hi)) return c.cpu.raise(kBR);  // a fault: EIP stays at BOUND
  return true;
}

}  // namespace

void register_control_transfer(HandlerTable& t) {
  t.set(M::kJmp, jmp);
  // Condition codes 0..15 in SDM order (Vol. 1, B.1).
  t.set(M::kJo, jcc<0x0>);
  t.set(M::kJno, jcc<0x1>);
  t.set(M::kJb, jcc<0x2>);
  t.set(M::kJae, jcc<0x3>);
  t.set(M::kJe, jcc<0x4>);
  t.set(M::kJne, jcc<0x5>);
  t.set(M::kJbe, jcc<0x6>);
  t.set(M::kJa, jcc<0x7>);
  t.set(M::kJs, jcc<0x8>);
  t.set(M::kJns, jcc<0x9>);
  t.set(M::kJp, jcc<0xA>);
  t.set(M::kJnp, jcc<0xB>);
  t.set(M::kJl, jcc<0xC>);
  t.set(M::kJge, jcc<0xD>);
  t.set(M::kJle, jcc<0xE>);
  t.set(M::kJg, jcc<0xF>);
  t.set(M::kJcxz, jcxz);
  t.set(M::kLoop, loop<0>);
  t.set(M::kLoope, loop<1>);
  t.set(M::kLoopne, loop<2>);
  t.set(M::kCall, call);
  t.set(M::kRet, ret);
  t.set(M::kJmpf, jmpf);
  t.set(M::kCallf, callf);
  t.set(M::kRetf, retf);
  t.set(M::kInt, int_n);
  t.set(M::kInt3, int3);
  t.set(M::kInt1, int1);
  t.set(M::kInto, into);
  t.set(M::kIret, iret);
  t.set(M::kBound, bound<uint16_t>, bound<uint16_t>, bound<uint32_t>);
}

}  // namespace tx86::core::interp
