// Inline BT, BTS, BTR and BTC (SDM Vol. 2, BT/BTS/BTR/BTC) with a register
// destination (bit offset in a register or an immediate, taken modulo the
// operand width, as the host instruction does) or a memory destination
// with an immediate offset. CF is the selected bit; OF, SF, AF and PF are
// left unchanged (core/semantics/bits.h), so only CF is taken from the
// host. A register offset with a memory operand addresses a bit string
// (the offset selects the word) and calls the handler, as do LOCK forms.
// The decoder's rows count the unchanged flags as written (undefined), so
// the table's liveness test does not count these as inline: every flag is
// live before them.
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool bit_inlines(const x86::Insn& i) {
  if (i.num_operands != 2 || (i.prefixes & x86::kPrefixLock)) return false;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& b = i.ops[1];
  if (d.size != 2 && d.size != 4) return false;
  if (d.kind == OperandKind::kReg) return b.kind == OperandKind::kImm || (b.kind == OperandKind::kReg && b.size == d.size);
  return d.kind == OperandKind::kMem && b.kind == OperandKind::kImm;
}

void emit_bit(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!bit_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& b = i.ops[1];
  const unsigned w = d.size;
  const bool mem = d.kind == OperandKind::kMem;
  const bool writes = i.mnemonic != Mnemonic::kBt;
  const bool cf = (env.flags_live_after & x86::kCF) != 0;
  if (cf) {
    // A store's slow path would come between the capture and the merge.
    if (mem && writes) env.rc.materialize_flags(a);
    else env.rc.prepare_flags(a, x86::kCF);
  }
  const ax::Gp r = scratch(w);
  if (mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/writes);
  } else {
    emit_get(env, r, d.reg, w);
  }
  asmjit::Operand bit;
  if (b.kind == OperandKind::kImm) {
    bit = asmjit::imm(b.imm & (w * 8 - 1));
  } else {
    emit_get(env, scratch2(w), b.reg, w);
    bit = scratch2(w);
  }
  ax::Inst::Id id = ax::Inst::kIdBt;
  switch (i.mnemonic) {
    case Mnemonic::kBts: id = ax::Inst::kIdBts; break;
    case Mnemonic::kBtr: id = ax::Inst::kIdBtr; break;
    case Mnemonic::kBtc: id = ax::Inst::kIdBtc; break;
    default: break;
  }
  a.emit(id, r, bit);
  if (cf) {
    a.pushfq();
    a.pop(ax::r13);
  }
  if (writes) {
    emit_write_dest(env, bi, r);
  }
  if (cf) emit_merge_flags(env, x86::kCF, x86::kCF);
  ++env.pending;
  if (mem && writes) emit_stop_check(env, bi);
}

}  // namespace

void register_bit(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kBt, Mnemonic::kBts, Mnemonic::kBtr, Mnemonic::kBtc})
    t.set(m, emit_bit, nullptr);  // nullptr: flags not counted as written (see above)
}

}  // namespace tx86::jit
