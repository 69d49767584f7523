// Integer arithmetic: ADD ADC SUB SBB CMP INC DEC NEG MUL IMUL DIV IDIV XADD
// CMPXCHG CMPXCHG8B (SDM Vol. 2, one page each). Flag rules live in
// core/semantics/; this file moves operands.
#include "core/interp/handler_table.h"
#include "core/semantics/alu.h"
#include "core/semantics/muldiv.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;
enum class Op : uint8_t { kAdd, kAdc, kSub, kSbb, kCmp };

template <Op op>
struct Binary {
  template <Form F, typename T>
  static bool run(ExecContext& c, const Insn& i);
};

template <Op op>
template <Form F, typename T>
bool Binary<op>::run(ExecContext& c, const Insn& i) {
  T a, b;
  const bool read_ok = op == Op::kCmp ? read_dst<F>(c, i, a) : read_dst_rmw<F>(c, i, a);
  if (!read_ok || !read_src<F>(c, i, b)) return false;
  uint32_t f = c.s.eflags;
  T r;
  switch (op) {
    case Op::kAdd: r = sem::add<T>(a, b, 0, f); break;
    case Op::kAdc: r = sem::add<T>(a, b, (f & x86::kCF) ? 1 : 0, f); break;
    case Op::kSub: r = sem::sub<T>(a, b, 0, f); break;
    case Op::kSbb: r = sem::sub<T>(a, b, (f & x86::kCF) ? 1 : 0, f); break;
    case Op::kCmp: r = sem::sub<T>(a, b, 0, f); break;
  }
  if (op != Op::kCmp && !write_dst<F>(c, i, r)) return false;
  c.s.eflags = f;
  return true;
}

template <typename T>
bool inc(ExecContext& c, const Insn& i) {
  if (i.ops[0].kind == OperandKind::kReg) {  // the common form, without the operand switch
    set_reg<T>(c.s, i.ops[0].reg, sem::inc<T>(get_reg<T>(c.s, i.ops[0].reg), c.s.eflags));
    return true;
  }
  T a;
  if (!read_op_rmw(c, i, i.ops[0], a)) return false;
  uint32_t f = c.s.eflags;
  const T r = sem::inc<T>(a, f);
  if (!write_op(c, i, i.ops[0], r)) return false;
  c.s.eflags = f;
  return true;
}

template <typename T>
bool dec(ExecContext& c, const Insn& i) {
  if (i.ops[0].kind == OperandKind::kReg) {  // the common form, without the operand switch
    set_reg<T>(c.s, i.ops[0].reg, sem::dec<T>(get_reg<T>(c.s, i.ops[0].reg), c.s.eflags));
    return true;
  }
  T a;
  if (!read_op_rmw(c, i, i.ops[0], a)) return false;
  uint32_t f = c.s.eflags;
  const T r = sem::dec<T>(a, f);
  if (!write_op(c, i, i.ops[0], r)) return false;
  c.s.eflags = f;
  return true;
}

template <typename T>
bool neg(ExecContext& c, const Insn& i) {
  T a;
  if (!read_op_rmw(c, i, i.ops[0], a)) return false;
  uint32_t f = c.s.eflags;
  const T r = sem::neg<T>(a, f);
  if (!write_op(c, i, i.ops[0], r)) return false;
  c.s.eflags = f;
  return true;
}

// The accumulator pair of the one-operand MUL/IMUL/DIV/IDIV forms:
// AH:AL (reading AX), DX:AX or EDX:EAX.
template <typename T>
T acc_low(const CpuState& s) { return get_reg<T>(s, x86::kEax); }
template <typename T>
T acc_high(const CpuState& s) {
  if constexpr (sizeof(T) == 1) return s.reg8(4);  // AH
  else return get_reg<T>(s, x86::kEdx);
}
template <typename T>
void set_acc(CpuState& s, T low, T high) {
  if constexpr (sizeof(T) == 1) {
    s.set_reg16(x86::kEax, uint16_t(high << 8 | low));
  } else {
    set_reg<T>(s, x86::kEax, low);
    set_reg<T>(s, x86::kEdx, high);
  }
}

template <typename T>
bool mul(ExecContext& c, const Insn& i) {
  T b;
  if (!read_op(c, i, i.ops[0], b)) return false;
  const auto r = sem::mul<T>(acc_low<T>(c.s), b, c.s.eflags);
  set_acc<T>(c.s, r.low, r.high);
  return true;
}

template <typename T>
bool imul(ExecContext& c, const Insn& i) {
  if (i.num_operands <= 1) {
    T b;
    if (!read_op(c, i, i.ops[0], b)) return false;
    const auto r = sem::imul<T>(acc_low<T>(c.s), b, c.s.eflags);
    set_acc<T>(c.s, r.low, r.high);
    return true;
  }
  // IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69, 6B): truncated product.
  T a, b;
  if (i.num_operands == 2) {
    if (!read_op(c, i, i.ops[0], a) || !read_op(c, i, i.ops[1], b)) return false;
  } else {
    if (!read_op(c, i, i.ops[1], a) || !read_op(c, i, i.ops[2], b)) return false;
  }
  uint32_t f = c.s.eflags;
  const auto r = sem::imul<T>(a, b, f);
  if (!write_op(c, i, i.ops[0], r.low)) return false;
  c.s.eflags = f;
  return true;
}

template <typename T, bool is_signed>
bool divide(ExecContext& c, const Insn& i) {
  T d;
  if (!read_op(c, i, i.ops[0], d)) return false;
  T q, r;
  bool ok;
  if constexpr (is_signed && sizeof(T) == 1) {
    ok = c.cpu.model() <= x86::CpuModel::k386 ? sem::idiv8_286(acc_high<T>(c.s), acc_low<T>(c.s), d, q, r)
                                              : sem::idiv<T>(acc_high<T>(c.s), acc_low<T>(c.s), d, q, r);
  } else {
    ok = is_signed ? sem::idiv<T>(acc_high<T>(c.s), acc_low<T>(c.s), d, q, r)
                   : sem::div<T>(acc_high<T>(c.s), acc_low<T>(c.s), d, q, r);
  }
  // #DE is a fault: the pushed return address is the DIV itself (286+).
  if (!ok) return c.cpu.raise(kDE);
  set_acc<T>(c.s, q, r);
  return true;
}

template <typename T>
bool xadd(ExecContext& c, const Insn& i) {
  T a, b;
  if (!read_op_rmw(c, i, i.ops[0], a) || !read_op(c, i, i.ops[1], b)) return false;
  uint32_t f = c.s.eflags;
  const T sum = sem::add<T>(a, b, 0, f);
  if (!write_op(c, i, i.ops[0], sum)) return false;
  // The source register gets the old destination (written after the sum
  // when both are the same register: SDM "XADD", TEMP <- SRC + DEST order).
  if (!(i.ops[0].kind == OperandKind::kReg && i.ops[0].reg == i.ops[1].reg)) set_reg<T>(c.s, i.ops[1].reg, a);
  c.s.eflags = f;
  return true;
}

template <typename T>
bool cmpxchg(ExecContext& c, const Insn& i) {
  T dest, src;
  if (!read_op_rmw(c, i, i.ops[0], dest) || !read_op(c, i, i.ops[1], src)) return false;
  uint32_t f = c.s.eflags;
  const T acc = get_reg<T>(c.s, x86::kEax);
  sem::sub<T>(acc, dest, 0, f);
  if (acc == dest) {
    if (!write_op(c, i, i.ops[0], src)) return false;
  } else {
    // The processor always writes the destination (the old value back), so a
    // read-only page faults either way (SDM "CMPXCHG").
    if (!write_op(c, i, i.ops[0], dest)) return false;
    set_reg<T>(c.s, x86::kEax, dest);
  }
  c.s.eflags = f;
  return true;
}

bool cmpxchg8b(ExecContext& c, const Insn& i) {
  if (i.ops[0].kind != OperandKind::kMem) return c.cpu.raise(kUD);
  const uint32_t ea = effective_address(c.s, i);
  uint32_t lo, hi;
  if (!c.cpu.read<uint32_t>(i.mem.seg, ea, lo) || !c.cpu.read<uint32_t>(i.mem.seg, offset_add(i, ea, 4), hi))
    return false;
  const bool equal = lo == c.s.gpr[x86::kEax] && hi == c.s.gpr[x86::kEdx];
  const uint32_t new_lo = equal ? c.s.gpr[x86::kEbx] : lo;
  const uint32_t new_hi = equal ? c.s.gpr[x86::kEcx] : hi;
  // Both halves are checked before either is stored.
  if (!c.cpu.check_segment(i.mem.seg, ea, 8, Access::kWrite) ||
      !c.cpu.probe_write_linear(c.s.seg[i.mem.seg].base + ea, 8))
    return false;
  if (!c.cpu.write<uint32_t>(i.mem.seg, ea, new_lo) ||
      !c.cpu.write<uint32_t>(i.mem.seg, offset_add(i, ea, 4), new_hi))
    return false;
  if (equal) {
    c.s.eflags |= x86::kZF;
  } else {
    c.s.eflags &= ~x86::kZF;
    c.s.gpr[x86::kEax] = lo;
    c.s.gpr[x86::kEdx] = hi;
  }
  return true;
}

}  // namespace

void register_arithmetic(HandlerTable& t) {
  set_formed<Binary<Op::kAdd>>(t, M::kAdd);
  set_formed<Binary<Op::kAdc>>(t, M::kAdc);
  set_formed<Binary<Op::kSub>>(t, M::kSub);
  set_formed<Binary<Op::kSbb>>(t, M::kSbb);
  set_formed<Binary<Op::kCmp>>(t, M::kCmp);
  t.set(M::kInc, inc<uint8_t>, inc<uint16_t>, inc<uint32_t>);
  t.set(M::kDec, dec<uint8_t>, dec<uint16_t>, dec<uint32_t>);
  t.set(M::kNeg, neg<uint8_t>, neg<uint16_t>, neg<uint32_t>);
  t.set(M::kMul, mul<uint8_t>, mul<uint16_t>, mul<uint32_t>);
  t.set(M::kImul, imul<uint8_t>, imul<uint16_t>, imul<uint32_t>);
  t.set(M::kDiv, divide<uint8_t, false>, divide<uint16_t, false>, divide<uint32_t, false>);
  t.set(M::kIdiv, divide<uint8_t, true>, divide<uint16_t, true>, divide<uint32_t, true>);
  t.set(M::kXadd, xadd<uint8_t>, xadd<uint16_t>, xadd<uint32_t>);
  t.set(M::kCmpxchg, cmpxchg<uint8_t>, cmpxchg<uint16_t>, cmpxchg<uint32_t>);
  t.set(M::kCmpxchg8b, cmpxchg8b);
}

}  // namespace tx86::core::interp
