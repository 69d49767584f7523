// Data movement: MOV (general, immediate, segment-register forms), MOVSX,
// MOVZX, XCHG, LEA, LDS LES LFS LGS LSS, XLAT, CBW/CWDE, CWD/CDQ, CMOVcc
// (SDM Vol. 2). MOV to/from CRn/DRn/TRn goes to core/priv.
#include "core/interp/handler_table.h"
#include "core/priv/priv.h"
#include "core/semantics/alu.h"

namespace tx86::core::interp {

bool mov_sreg(ExecContext& c, const Insn& i) {
  if (i.ops[0].kind == OperandKind::kSreg) {
    // MOV Sreg, r/m16. Loading CS this way is #UD (80286 and later).
    uint16_t sel;
    if (i.ops[0].reg == x86::kCs || i.ops[0].reg > x86::kGs) return c.cpu.raise(kUD);
    if (!read_op(c, i, i.ops[1], sel)) return false;
    if (!priv::load_segment(c, i.ops[0].reg, sel)) return false;
    if (i.ops[0].reg == x86::kSs) ss_loaded(c);
    return true;
  }
  // MOV r/m16, Sreg: a 32-bit register destination gets the selector
  // zero-extended (P6; the 386 left the upper half undefined); memory is
  // always written as a word.
  if (i.ops[1].reg > x86::kGs) return c.cpu.raise(kUD);
  const uint16_t sel = c.s.seg[i.ops[1].reg].selector;
  if (i.ops[0].kind == OperandKind::kReg && i.ops[0].size == 4) {
    c.s.gpr[i.ops[0].reg] = sel;
    return true;
  }
  return write_op<uint16_t>(c, i, i.ops[0], sel);
}

namespace {

using M = x86::Mnemonic;

struct Mov {
  // Segment/control-register forms were routed elsewhere by resolve_handler.
  template <Form F, typename T>
  static bool run(ExecContext& c, const Insn& i) {
    T v;
    if (!read_src<F>(c, i, v)) return false;
    return write_dst<F>(c, i, v);
  }
};

// MOVSX / MOVZX: the source size is the second operand's.
template <typename T, bool sign>
bool extend(ExecContext& c, const Insn& i) {
  uint32_t v;
  if (!read_any(c, i, i.ops[1], v)) return false;
  if (sign) v = i.ops[1].size == 1 ? uint32_t(int32_t(int8_t(v))) : uint32_t(int32_t(int16_t(v)));
  set_reg<T>(c.s, i.ops[0].reg, T(v));
  return true;
}

template <typename T>
bool xchg(ExecContext& c, const Insn& i) {
  T a, b;
  if (!read_op_rmw(c, i, i.ops[0], a) || !read_op(c, i, i.ops[1], b)) return false;
  // Memory (if any) is written first so that a fault changes nothing.
  if (i.ops[0].kind == OperandKind::kMem) {
    if (!write_op(c, i, i.ops[0], b)) return false;
    return write_op(c, i, i.ops[1], a);
  }
  if (!write_op(c, i, i.ops[1], a)) return false;
  return write_op(c, i, i.ops[0], b);
}

template <typename T>
bool lea(ExecContext& c, const Insn& i) {
  if (i.ops[1].kind != OperandKind::kMem) return c.cpu.raise(kUD);
  set_reg<T>(c.s, i.ops[0].reg, T(effective_address(c.s, i)));
  return true;
}

// LDS/LES/LFS/LGS/LSS r, m16:16 / m16:32.
template <unsigned seg>
bool load_far_pointer(ExecContext& c, const Insn& i) {
  if (i.ops[1].kind != OperandKind::kMem) return c.cpu.raise(kUD);
  const uint32_t ea = effective_address(c.s, i);
  uint32_t off;
  uint16_t sel;
  if (i.opsize == 4) {
    if (!c.cpu.read<uint32_t>(i.mem.seg, ea, off)) return false;
  } else {
    uint16_t o16;
    if (!c.cpu.read<uint16_t>(i.mem.seg, ea, o16)) return false;
    off = o16;
  }
  if (!c.cpu.read<uint16_t>(i.mem.seg, offset_add(i, ea, i.opsize), sel)) return false;
  if (!priv::load_segment(c, seg, sel)) return false;
  if (i.opsize == 4) c.s.gpr[i.ops[0].reg] = off;
  else c.s.set_reg16(i.ops[0].reg, uint16_t(off));
  // LSS loads SS and ESP together: no shadow (SDM Vol. 3A, 6.8.3: "If the
  // LSS instruction is used ... this problem does not occur").
  return true;
}

bool xlat(ExecContext& c, const Insn& i) {
  uint32_t off = c.s.gpr[x86::kEbx] + c.s.reg8(0);
  if (i.addrsize == 2) off &= 0xFFFF;
  uint8_t v;
  if (!c.cpu.read<uint8_t>(i.mem.seg, off, v)) return false;
  c.s.set_reg8(0, v);
  return true;
}

bool cbw(ExecContext& c, const Insn& i) {
  if (i.opsize == 2) c.s.set_reg16(x86::kEax, uint16_t(int16_t(int8_t(c.s.gpr[x86::kEax]))));
  else c.s.gpr[x86::kEax] = uint32_t(int32_t(int16_t(c.s.gpr[x86::kEax])));
  return true;
}

bool cwd(ExecContext& c, const Insn& i) {
  if (i.opsize == 2) c.s.set_reg16(x86::kEdx, (c.s.gpr[x86::kEax] & 0x8000) ? 0xFFFF : 0);
  else c.s.gpr[x86::kEdx] = (c.s.gpr[x86::kEax] & 0x80000000u) ? 0xFFFFFFFFu : 0;
  return true;
}

// CMOVcc reads its source even when the condition is false (a memory source
// faults either way); a 32-bit destination is written only when true.
template <typename T>
bool cmov(ExecContext& c, const Insn& i) {
  T v;
  if (!read_op(c, i, i.ops[1], v)) return false;
  if (sem::condition(i.cond, c.s.eflags)) set_reg<T>(c.s, i.ops[0].reg, v);
  return true;
}

}  // namespace

void register_data_transfer(HandlerTable& t) {
  set_formed<Mov>(t, M::kMov);
  t.set(M::kMovsx, extend<uint16_t, true>, extend<uint16_t, true>, extend<uint32_t, true>);
  t.set(M::kMovzx, extend<uint16_t, false>, extend<uint16_t, false>, extend<uint32_t, false>);
  t.set(M::kXchg, xchg<uint8_t>, xchg<uint16_t>, xchg<uint32_t>);
  t.set(M::kLea, lea<uint16_t>, lea<uint16_t>, lea<uint32_t>);
  t.set(M::kLds, load_far_pointer<x86::kDs>);
  t.set(M::kLes, load_far_pointer<x86::kEs>);
  t.set(M::kLfs, load_far_pointer<x86::kFs>);
  t.set(M::kLgs, load_far_pointer<x86::kGs>);
  t.set(M::kLss, load_far_pointer<x86::kSs>);
  t.set(M::kXlat, xlat);
  t.set(M::kCbw, cbw);
  t.set(M::kCwd, cwd);
  for (M m : {M::kCmovo, M::kCmovno, M::kCmovb, M::kCmovae, M::kCmove, M::kCmovne, M::kCmovbe, M::kCmova,
              M::kCmovs, M::kCmovns, M::kCmovp, M::kCmovnp, M::kCmovl, M::kCmovge, M::kCmovle, M::kCmovg})
    t.set(m, cmov<uint16_t>, cmov<uint16_t>, cmov<uint32_t>);
}

}  // namespace tx86::core::interp
