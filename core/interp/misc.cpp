// Everything that fits no other group: NOP, SALC, WAIT, the UD0/UD1/UD2
// invalid opcodes, and the x87 escapes while no FPU is modelled.
//
// x87 escapes (D8..DF, SDM Vol. 3A, 2.5 CR0.EM/TS and 80286 PRM, 11.4):
// CR0.EM=1 raises #NM on every model. With EM=0 an 80286 without an 80287
// treats the escape as a no-operation (the SingleStepTests D8 vectors show no
// bus activity and no fault); on the 386+ models the FPU is a later issue, so
// the escape raises #UD and says so once.
#include <string>

#include "core/interp/handler_table.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;

bool nop(ExecContext&, const Insn&) { return true; }

// SALC (D6, undocumented): AL = CF ? FF : 00.
bool salc(ExecContext& c, const Insn&) {
  c.s.set_reg8(0, (c.s.eflags & x86::kCF) ? 0xFF : 0x00);
  return true;
}

bool undefined(ExecContext& c, const Insn&) { return c.cpu.raise(kUD); }

// WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; otherwise there is
// no FPU exception to wait for.
bool wait(ExecContext& c, const Insn&) {
  if ((c.s.cr0 & (kCr0MP | kCr0TS)) == (kCr0MP | kCr0TS)) return c.cpu.raise(kNM);
  return true;
}

bool x87_escape(ExecContext& c, const Insn& i) {
  if (c.s.cr0 & (kCr0EM | kCr0TS)) return c.cpu.raise(kNM);
  if (c.cpu.model() == x86::CpuModel::k286) {
    // The 286 still checks a memory operand against its segment limit
    // before handing the escape to the (absent) coprocessor, one word at
    // a time: only a word at offset FFFF faults (SingleStepTests D8).
    for (int k = 0; k < i.num_operands; ++k)
      if (i.ops[k].kind == OperandKind::kMem && i.ops[k].size != 0 &&
          !c.cpu.check_segment(i.mem.seg, effective_address(c.s, i), i.ops[k].size >= 2 ? 2 : 1,
                               Access::kRead))
        return false;
    return true;
  }
  c.machine.log_once("x87", "x87 not implemented (" + std::string(x86::mnemonic_name(i.mnemonic)) +
                                ": raising #UD)");
  return c.cpu.raise(kUD);
}

}  // namespace

void register_misc(HandlerTable& t) {
  t.set(M::kNop, nop);
  t.set(M::kSalc, salc);
  t.set(M::kUd0, undefined);
  t.set(M::kUd1, undefined);
  t.set(M::kUd2, undefined);
  t.set(M::kWait, wait);
  // Every x87 mnemonic starts with 'f' in mnemonics.def.
  for (size_t k = 0; k < static_cast<size_t>(M::kCount); ++k) {
    const auto m = static_cast<M>(k);
    if (x86::mnemonic_name(m).starts_with('f')) t.set(m, x87_escape);
  }
}

}  // namespace tx86::core::interp
