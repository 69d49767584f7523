// Flag instructions that are not sensitive: CLC STC CMC CLD STD LAHF SAHF
// (SDM Vol. 2). CLI/STI/PUSHF/POPF are in core/priv/interrupt_flag.cpp.
#include "core/interp/handler_table.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;

template <uint32_t clear, uint32_t set, uint32_t toggle>
bool flag_op(ExecContext& c, const Insn&) {
  c.s.eflags = ((c.s.eflags & ~clear) | set) ^ toggle;
  return true;
}

// LAHF: AH = SF ZF 0 AF 0 PF 1 CF.
bool lahf(ExecContext& c, const Insn&) {
  c.s.set_reg8(4, uint8_t((c.s.eflags & 0xD5) | 0x02));
  return true;
}

// SAHF: SF ZF AF PF CF from AH.
bool sahf(ExecContext& c, const Insn&) {
  c.s.eflags = (c.s.eflags & ~0xD5u) | (c.s.reg8(4) & 0xD5u);
  return true;
}

}  // namespace

void register_flags(HandlerTable& t) {
  t.set(M::kClc, flag_op<x86::kCF, 0, 0>);
  t.set(M::kStc, flag_op<0, x86::kCF, 0>);
  t.set(M::kCmc, flag_op<0, 0, x86::kCF>);
  t.set(M::kCld, flag_op<x86::kDF, 0, 0>);
  t.set(M::kStd, flag_op<0, x86::kDF, 0>);
  t.set(M::kLahf, lahf);
  t.set(M::kSahf, sahf);
}

}  // namespace tx86::core::interp
