// Inline PUSH (register, immediate, memory) and POP register (SDM Vol. 2,
// PUSH and POP), see emit_stack.h. PUSH eSP pushes the value before the
// push and POP eSP loads the popped value, as on the 286 and later (the
// interpreter's core/interp/stack.cpp). POP to memory is inline when its
// address does not use ESP (SDM Vol. 2, POP: the address is computed with
// ESP already incremented) and the CPU is not the 286: then the popped
// value is read, stored and only then is ESP incremented, so a faulting
// store leaves ESP as the 386 and later do (stack.cpp; the 286 leaves it
// incremented: the handler). The segment register forms call the
// interpreter handler.
#include "jit/emit_stack.h"

#include "jit/emit_memory.h"
#include "jit/emit_util.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool stack32(const EmitEnv& env) { return (env.block.key.mode >> 1) & 1; }

bool push_inlines(const x86::Insn& i) {
  const x86::Operand& o = i.ops[0];
  return i.num_operands == 1 && (o.size == 2 || o.size == 4) && o.size == i.opsize &&
         (o.kind == OperandKind::kReg || o.kind == OperandKind::kImm || o.kind == OperandKind::kMem) &&
         !(i.prefixes & x86::kPrefixLock);
}

void emit_push_insn(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!push_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& o = i.ops[0];
  const unsigned w = o.size;
  if (o.kind == OperandKind::kReg) {
    emit_get(env, scratch2(w), o.reg, w);
  } else if (o.kind == OperandKind::kImm) {
    a.mov(ax::ecx, o.imm & width_mask(w));
  } else {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w);
    a.mov(ax::ecx, ax::eax);
  }
  emit_push(env, bi, w);
  ++env.pending;
  emit_stop_check(env, bi);
}

bool pop_inlines(const x86::Insn& i) {
  const x86::Operand& o = i.ops[0];
  return i.num_operands == 1 && (o.size == 2 || o.size == 4) && o.size == i.opsize &&
         (o.kind == OperandKind::kReg || (o.kind == OperandKind::kMem && i.mem.base != x86::kEsp &&
                                          i.mem.index != x86::kEsp)) &&
         !(i.prefixes & x86::kPrefixLock);
}

// POP m (pop_inlines): read, store, then ESP += w.
void emit_pop_memory(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const unsigned w = i.ops[0].size;
  if (stack32(env)) emit_get(env, ax::edx, x86::kEsp, 4);
  else a.emit(ax::Inst::kIdMovzx, ax::edx, guest(env, x86::kEsp, 2));
  emit_load(env, bi, x86::kSs, w);
  a.mov(ax::ecx, ax::eax);
  emit_effective_address(env, i, ax::edx);
  emit_store(env, bi, i.mem.seg, w);
  emit_guest_op(env, ax::Inst::kIdAdd, x86::kEsp, stack32(env) ? 4 : 2, asmjit::imm(w));
  ++env.pending;
  emit_stop_check(env, bi);
}

void emit_pop_insn(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!pop_inlines(i) || (i.ops[0].kind == OperandKind::kMem && env.cpu->model() == x86::CpuModel::k286)) {
    emit_call_handler(env, bi);
    return;
  }
  if (i.ops[0].kind == OperandKind::kMem) {
    emit_pop_memory(env, bi);
    return;
  }
  const unsigned w = i.ops[0].size;
  emit_pop(env, bi, w);
  emit_put(env, i.ops[0].reg, w, scratch(w));
  ++env.pending;
}

}  // namespace

void emit_push(EmitEnv& env, const BlockInsn& bi, unsigned w) {
  ax::Assembler& a = env.a;
  emit_get(env, ax::edx, x86::kEsp, 4);
  a.sub(ax::edx, w);
  if (!stack32(env)) a.movzx(ax::edx, ax::dx);
  emit_store(env, bi, x86::kSs, w);
  emit_guest_op(env, ax::Inst::kIdSub, x86::kEsp, stack32(env) ? 4 : 2, asmjit::imm(w));
}

void emit_pop(EmitEnv& env, const BlockInsn& bi, unsigned w) {
  ax::Assembler& a = env.a;
  if (stack32(env)) emit_get(env, ax::edx, x86::kEsp, 4);
  else a.emit(ax::Inst::kIdMovzx, ax::edx, guest(env, x86::kEsp, 2));
  emit_load(env, bi, x86::kSs, w);
  emit_guest_op(env, ax::Inst::kIdAdd, x86::kEsp, stack32(env) ? 4 : 2, asmjit::imm(w));
}

void register_stack(JitTable& t) {
  t.set(Mnemonic::kPush, emit_push_insn, push_inlines);
  t.set(Mnemonic::kPop, emit_pop_insn, pop_inlines);
}

}  // namespace tx86::jit
