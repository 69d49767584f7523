// Shifts and rotates: ROL ROR RCL RCR SHL SHR SAR (C0/C1/D0-D3 groups) and
// SHLD/SHRD (0F A4/A5/AC/AD). Semantics in core/semantics/shift.h.
#include "core/interp/handler_table.h"
#include "core/semantics/shift.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;
using sem::ShiftOp;

// The count operand: Ib, CL, or the implicit 1 of D0/D1 (absent operand or
// an immediate 1 depending on how the table spells it).
inline bool count_operand(ExecContext& c, const Insn& i, const Operand& o, uint32_t& n) {
  if (o.kind == OperandKind::kNone) {
    n = 1;
    return true;
  }
  return read_any(c, i, o, n);
}

template <ShiftOp op, typename T>
bool shift(ExecContext& c, const Insn& i) {
  T a;
  uint32_t n;
  // A count that masks to 0 writes nothing; the read is then a plain read
  // (what hardware does there is not captured by our references).
  if (!count_operand(c, i, i.ops[1], n)) return false;
  if (!((n & 0x1F) != 0 ? read_op_rmw(c, i, i.ops[0], a) : read_op(c, i, i.ops[0], a))) return false;
  uint32_t f = c.s.eflags;
  const T r = sem::shift<T>(op, a, n, f);
  if ((n & 0x1F) != 0 && !write_op(c, i, i.ops[0], r)) return false;
  c.s.eflags = f;
  return true;
}

template <bool left, typename T>
bool shift_double(ExecContext& c, const Insn& i) {
  T a, b;
  uint32_t n;
  if (!count_operand(c, i, i.ops[2], n)) return false;
  if (!((n & 0x1F) != 0 ? read_op_rmw(c, i, i.ops[0], a) : read_op(c, i, i.ops[0], a)) ||
      !read_op(c, i, i.ops[1], b))
    return false;
  uint32_t f = c.s.eflags;
  const T r = sem::shift_double<T>(left, a, b, n, f);
  if ((n & 0x1F) != 0 && !write_op(c, i, i.ops[0], r)) return false;
  c.s.eflags = f;
  return true;
}

template <ShiftOp op>
void set_group(HandlerTable& t, M m) {
  t.set(m, shift<op, uint8_t>, shift<op, uint16_t>, shift<op, uint32_t>);
}

}  // namespace

void register_shift_rotate(HandlerTable& t) {
  set_group<ShiftOp::kRol>(t, M::kRol);
  set_group<ShiftOp::kRor>(t, M::kRor);
  set_group<ShiftOp::kRcl>(t, M::kRcl);
  set_group<ShiftOp::kRcr>(t, M::kRcr);
  set_group<ShiftOp::kShl>(t, M::kShl);
  set_group<ShiftOp::kSal>(t, M::kSal);  // the /6 alias of SHL
  set_group<ShiftOp::kShr>(t, M::kShr);
  set_group<ShiftOp::kSar>(t, M::kSar);
  t.set(M::kShld, shift_double<true, uint16_t>, shift_double<true, uint16_t>, shift_double<true, uint32_t>);
  t.set(M::kShrd, shift_double<false, uint16_t>, shift_double<false, uint16_t>, shift_double<false, uint32_t>);
}

}  // namespace tx86::core::interp
