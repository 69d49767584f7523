// Bit instructions: BT BTS BTR BTC (register and immediate bit offsets), BSF,
// BSR, BSWAP, SETcc (SDM Vol. 2). With a register bit offset and a memory
// operand the offset is signed and selects a word/dword relative to the
// effective address (SDM "BT", table 3-2).
#include "core/interp/handler_table.h"
#include "core/semantics/alu.h"
#include "core/semantics/bits.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;
using sem::BitOp;

template <BitOp op, typename T>
bool bit_test(ExecContext& c, const Insn& i) {
  uint32_t bit;
  if (!read_any(c, i, i.ops[1], bit)) return false;
  uint32_t f = c.s.eflags;
  if (i.ops[0].kind == OperandKind::kMem && i.ops[1].kind == OperandKind::kReg) {
    const int32_t sbit = sizeof(T) == 2 ? int32_t(int16_t(bit)) : int32_t(bit);
    const int32_t unit = sbit >> (sizeof(T) == 2 ? 4 : 5);  // arithmetic: floor division
    const uint32_t ea = offset_add(i, effective_address(c.s, i), uint32_t(unit * int32_t(sizeof(T))));
    T v;
    if (!(op == BitOp::kTest ? c.cpu.read<T>(i.mem.seg, ea, v) : c.cpu.read_for_write<T>(i.mem.seg, ea, v)))
      return false;
    const T r = sem::bit_op<T>(op, v, bit, f);
    if (op != BitOp::kTest && !c.cpu.write<T>(i.mem.seg, ea, r)) return false;
    c.s.eflags = f;
    return true;
  }
  T v;
  if (!(op == BitOp::kTest ? read_op(c, i, i.ops[0], v) : read_op_rmw(c, i, i.ops[0], v))) return false;
  const T r = sem::bit_op<T>(op, v, bit, f);
  if (op != BitOp::kTest && !write_op(c, i, i.ops[0], r)) return false;
  c.s.eflags = f;
  return true;
}

template <bool reverse, typename T>
bool bit_scan(ExecContext& c, const Insn& i) {
  T src, idx = 0;
  if (!read_op(c, i, i.ops[1], src)) return false;
  if (sem::bit_scan<T>(reverse, src, idx, c.s.eflags)) set_reg<T>(c.s, i.ops[0].reg, idx);
  return true;
}

bool bswap(ExecContext& c, const Insn& i) {
  // BSWAP of a 16-bit register is undefined; the P6 writes 0 to it.
  if (i.opsize == 2) c.s.set_reg16(i.ops[0].reg, 0);
  else c.s.gpr[i.ops[0].reg] = sem::bswap(c.s.gpr[i.ops[0].reg]);
  return true;
}

bool setcc(ExecContext& c, const Insn& i) {
  return write_op<uint8_t>(c, i, i.ops[0], sem::condition(i.cond, c.s.eflags) ? 1 : 0);
}

}  // namespace

void register_bit(HandlerTable& t) {
  t.set(M::kBt, bit_test<BitOp::kTest, uint16_t>, bit_test<BitOp::kTest, uint16_t>, bit_test<BitOp::kTest, uint32_t>);
  t.set(M::kBts, bit_test<BitOp::kSet, uint16_t>, bit_test<BitOp::kSet, uint16_t>, bit_test<BitOp::kSet, uint32_t>);
  t.set(M::kBtr, bit_test<BitOp::kReset, uint16_t>, bit_test<BitOp::kReset, uint16_t>,
        bit_test<BitOp::kReset, uint32_t>);
  t.set(M::kBtc, bit_test<BitOp::kComplement, uint16_t>, bit_test<BitOp::kComplement, uint16_t>,
        bit_test<BitOp::kComplement, uint32_t>);
  t.set(M::kBsf, bit_scan<false, uint16_t>, bit_scan<false, uint16_t>, bit_scan<false, uint32_t>);
  t.set(M::kBsr, bit_scan<true, uint16_t>, bit_scan<true, uint16_t>, bit_scan<true, uint32_t>);
  t.set(M::kBswap, bswap);
  for (M m : {M::kSeto, M::kSetno, M::kSetb, M::kSetae, M::kSete, M::kSetne, M::kSetbe, M::kSeta, M::kSets,
              M::kSetns, M::kSetp, M::kSetnp, M::kSetl, M::kSetge, M::kSetle, M::kSetg})
    t.set(m, setcc);
}

}  // namespace tx86::core::interp
