// Inline SETcc and CMOVcc (SDM Vol. 2): the guest condition is loaded into
// the host flags (emit_guest_condition, emit_util.h) and the host SETcc /
// CMOVcc of the same condition code does the rest. Right after an inline
// instruction whose pending flags are still in the host's flags register
// (RegCache::host_flags_hold: nothing emitted since its capture), the host
// SETcc/CMOVcc tests them directly; SETcc to a register and CMOVcc from a
// register emit only MOVs besides, so the host flags still hold after them
// for the next SETcc/CMOVcc/Jcc (e.g. CMP; SETL; JE). SETcc writes a byte
// register or memory. CMOVcc reads its source even when the condition is
// false (a memory source faults either way) and writes the destination
// only when it is true, as the interpreter does.
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

asmjit::x86::CondCode host_cc(const x86::Insn& i) { return static_cast<ax::CondCode>(i.cond & 0xF); }

bool setcc_inlines(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  return i.num_operands == 1 && d.size == 1 && (d.kind == OperandKind::kReg || d.kind == OperandKind::kMem) &&
         !(i.prefixes & x86::kPrefixLock);
}

void emit_setcc(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!setcc_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const bool host = env.rc.host_flags_hold(a.offset(), condition_reads(i.cond));
  if (i.ops[0].kind == OperandKind::kReg) {
    if (!host) emit_guest_condition(env, i.cond);
    const unsigned r = i.ops[0].reg;
    a.emit(ax::Inst::setccFromCond(host_cc(i)), guest(env, r, 1));
    if (r < 4) env.rc.written(r);
    if (host) env.rc.note_host_flags(a.offset());
    ++env.pending;
    return;
  }
  if (!host) emit_guest_condition(env, i.cond);
  a.set(host_cc(i), ax::dl);
  a.movzx(ax::ecx, ax::dl);
  emit_effective_address(env, i, ax::edx);
  emit_store(env, bi, i.mem.seg, 1);
  ++env.pending;
  emit_stop_check(env, bi);
}

bool cmov_inlines(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  return i.num_operands == 2 && d.kind == OperandKind::kReg && (d.size == 2 || d.size == 4) && s.size == d.size &&
         (s.kind == OperandKind::kReg || s.kind == OperandKind::kMem) && !(i.prefixes & x86::kPrefixLock);
}

void emit_cmov(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!cmov_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const unsigned w = i.ops[0].size;
  const x86::Operand& s = i.ops[1];
  const ax::Gp dst = scratch(w);
  if (s.kind == OperandKind::kReg && env.rc.host_flags_hold(a.offset(), condition_reads(i.cond))) {
    // Only MOVs besides the CMOV: the host flags stay.
    emit_get(env, dst, i.ops[0].reg, w);
    a.emit(ax::Inst::cmovccFromCond(host_cc(i)), dst, guest(env, s.reg, w));
    emit_put(env, i.ops[0].reg, w, dst);
    env.rc.note_host_flags(a.offset());
    ++env.pending;
    return;
  }
  // Flags whose capture waits (the block builder leaves them for a CMOVcc
  // of registers) are captured before any code moves the offset: the
  // condition may need one not from the host (CMOVBE after INC: CF).
  env.rc.emit_capture(a);
  if (s.kind == OperandKind::kMem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w);
    a.mov(ax::edx, ax::eax);
  } else {
    emit_get(env, ax::edx, s.reg, 4);
  }
  emit_guest_condition(env, i.cond);
  emit_get(env, dst, i.ops[0].reg, w);
  const ax::Gp src = w == 2 ? ax::Gp(ax::dx) : ax::Gp(ax::edx);
  a.cmov(host_cc(i), dst, src);
  emit_put(env, i.ops[0].reg, w, dst);
  ++env.pending;
}

}  // namespace

void register_cond(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kSeto, Mnemonic::kSetno, Mnemonic::kSetb, Mnemonic::kSetae, Mnemonic::kSete,
                     Mnemonic::kSetne, Mnemonic::kSetbe, Mnemonic::kSeta, Mnemonic::kSets, Mnemonic::kSetns,
                     Mnemonic::kSetp, Mnemonic::kSetnp, Mnemonic::kSetl, Mnemonic::kSetge, Mnemonic::kSetle,
                     Mnemonic::kSetg})
    t.set(m, emit_setcc, setcc_inlines);
  for (Mnemonic m : {Mnemonic::kCmovo, Mnemonic::kCmovno, Mnemonic::kCmovb, Mnemonic::kCmovae, Mnemonic::kCmove,
                     Mnemonic::kCmovne, Mnemonic::kCmovbe, Mnemonic::kCmova, Mnemonic::kCmovs, Mnemonic::kCmovns,
                     Mnemonic::kCmovp, Mnemonic::kCmovnp, Mnemonic::kCmovl, Mnemonic::kCmovge, Mnemonic::kCmovle,
                     Mnemonic::kCmovg})
    t.set(m, emit_cmov, cmov_inlines);
}

}  // namespace tx86::jit
