// Logic: AND OR XOR TEST NOT (SDM Vol. 2). CF = OF = 0; NOT changes no flag.
#include "core/interp/handler_table.h"
#include "core/semantics/alu.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;
enum class Op : uint8_t { kAnd, kOr, kXor, kTest };

template <Op op, typename T>
bool logic(ExecContext& c, const Insn& i) {
  T a, b;
  if (!read_op(c, i, i.ops[0], a) || !read_op(c, i, i.ops[1], b)) return false;
  uint32_t f = c.s.eflags;
  T r;
  switch (op) {
    case Op::kAnd: case Op::kTest: r = T(a & b); break;
    case Op::kOr: r = T(a | b); break;
    case Op::kXor: r = T(a ^ b); break;
  }
  sem::logic_result<T>(r, f);
  if (op != Op::kTest && !write_op(c, i, i.ops[0], r)) return false;
  c.s.eflags = f;
  return true;
}

template <typename T>
bool not_op(ExecContext& c, const Insn& i) {
  T a;
  if (!read_op(c, i, i.ops[0], a)) return false;
  return write_op(c, i, i.ops[0], T(~a));
}

}  // namespace

void register_logic(HandlerTable& t) {
  t.set(M::kAnd, logic<Op::kAnd, uint8_t>, logic<Op::kAnd, uint16_t>, logic<Op::kAnd, uint32_t>);
  t.set(M::kOr, logic<Op::kOr, uint8_t>, logic<Op::kOr, uint16_t>, logic<Op::kOr, uint32_t>);
  t.set(M::kXor, logic<Op::kXor, uint8_t>, logic<Op::kXor, uint16_t>, logic<Op::kXor, uint32_t>);
  t.set(M::kTest, logic<Op::kTest, uint8_t>, logic<Op::kTest, uint16_t>, logic<Op::kTest, uint32_t>);
  t.set(M::kNot, not_op<uint8_t>, not_op<uint16_t>, not_op<uint32_t>);
}

}  // namespace tx86::core::interp
