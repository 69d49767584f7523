// Decimal adjust: DAA DAS AAA AAS AAM AAD (SDM Vol. 2); semantics in
// core/semantics/bcd.h. AAM with a zero base raises #DE (a fault).
#include "core/interp/handler_table.h"
#include "core/semantics/bcd.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;

bool daa(ExecContext& c, const Insn&) {
  c.s.set_reg8(0, sem::daa(c.s.reg8(0), c.s.eflags));
  return true;
}
bool das(ExecContext& c, const Insn&) {
  c.s.set_reg8(0, sem::das(c.s.reg8(0), c.s.eflags));
  return true;
}
bool aaa(ExecContext& c, const Insn&) {
  c.s.set_reg16(x86::kEax, sem::aaa(c.s.reg16(x86::kEax), c.s.eflags));
  return true;
}
bool aas(ExecContext& c, const Insn&) {
  c.s.set_reg16(x86::kEax, sem::aas(c.s.reg16(x86::kEax), c.s.eflags));
  return true;
}
// The base is the immediate (D4 0A is the documented AAM).
inline uint8_t base_of(const Insn& i) { return i.num_operands > 0 ? uint8_t(i.ops[0].imm) : 10; }

bool aam(ExecContext& c, const Insn& i) {
  uint16_t ax;
  if (!sem::aam(c.s.reg16(x86::kEax), base_of(i), ax, c.s.eflags)) {
    // AAM 0 on the 80286 sets SF, ZF and PF before raising #DE, as from
    // AL >> 1 (the two AAM 0 vectors of the SingleStepTests 80286 set both
    // agree with that; AF, CF and OF are undefined there).
    if (c.cpu.model() == x86::CpuModel::k286)
      sem::set_arith(c.s.eflags, (c.s.eflags & (x86::kAF | x86::kCF | x86::kOF)) |
                                     sem::szp(uint8_t(c.s.reg8(x86::kEax) >> 1)));
    return c.cpu.raise(kDE);
  }
  c.s.set_reg16(x86::kEax, ax);
  return true;
}
bool aad(ExecContext& c, const Insn& i) {
  c.s.set_reg16(x86::kEax, sem::aad(c.s.reg16(x86::kEax), base_of(i), c.s.eflags));
  return true;
}

}  // namespace

void register_bcd(HandlerTable& t) {
  t.set(M::kDaa, daa);
  t.set(M::kDas, das);
  t.set(M::kAaa, aaa);
  t.set(M::kAas, aas);
  t.set(M::kAam, aam);
  t.set(M::kAad, aad);
}

}  // namespace tx86::core::interp
