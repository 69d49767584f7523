// Logic: AND OR XOR TEST NOT (SDM Vol. 2). CF = OF = 0; NOT changes no flag.
#include "core/interp/handler_table.h"
#include "core/semantics/alu.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;
enum class Op : uint8_t { kAnd, kOr, kXor, kTest };

template <Op op>
struct Logic {
  template <Form F, typename T>
  static bool run(ExecContext& c, const Insn& i);
};

template <Op op>
template <Form F, typename T>
bool Logic<op>::run(ExecContext& c, const Insn& i) {
  T a, b;
  const bool read_ok = op == Op::kTest ? read_dst<F>(c, i, a) : read_dst_rmw<F>(c, i, a);
  if (!read_ok || !read_src<F>(c, i, b)) return false;
  uint32_t f = c.s.eflags;
  T r;
  switch (op) {
    case Op::kAnd: case Op::kTest: r = T(a & b); break;
    case Op::kOr: r = T(a | b); break;
    case Op::kXor: r = T(a ^ b); break;
  }
  sem::logic_result<T>(r, f);
  if (op != Op::kTest && !write_dst<F>(c, i, r)) return false;
  c.s.eflags = f;
  return true;
}

template <typename T>
bool not_op(ExecContext& c, const Insn& i) {
  T a;
  if (!read_op_rmw(c, i, i.ops[0], a)) return false;
  return write_op(c, i, i.ops[0], T(~a));
}

}  // namespace

void register_logic(HandlerTable& t) {
  set_formed<Logic<Op::kAnd>>(t, M::kAnd);
  set_formed<Logic<Op::kOr>>(t, M::kOr);
  set_formed<Logic<Op::kXor>>(t, M::kXor);
  set_formed<Logic<Op::kTest>>(t, M::kTest);
  t.set(M::kNot, not_op<uint8_t>, not_op<uint16_t>, not_op<uint32_t>);
}

}  // namespace tx86::core::interp
