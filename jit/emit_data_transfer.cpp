// Inline emitters for data transfer (SDM Vol. 2, MOV): MOV between general
// registers and MOV of an immediate into one. They cannot fault and touch no
// flags, so they are plain loads and stores on the CpuState (r12). Every
// other MOV form calls the interpreter handler.
#include <cstddef>

#include "core/cpu_state.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;

namespace {

bool mov_inlines(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const unsigned w = d.size;
  return i.num_operands == 2 && d.kind == x86::OperandKind::kReg && (w == 1 || w == 2 || w == 4) && s.size == w &&
         (s.kind == x86::OperandKind::kReg || s.kind == x86::OperandKind::kImm);
}

void emit_mov(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!mov_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const unsigned w = d.size;
  ax::Assembler& a = env.a;
  if (s.kind == x86::OperandKind::kImm) {
    const uint32_t v = w == 1 ? (s.imm & 0xFF) : w == 2 ? (s.imm & 0xFFFF) : s.imm;
    a.mov(reg_mem(d.reg, w), asmjit::imm(v));
  } else {
    a.mov(scratch(w), reg_mem(s.reg, w));
    a.mov(reg_mem(d.reg, w), scratch(w));
  }
  ++env.pending;
}

}  // namespace

void register_data_transfer(JitTable& t) { t.set(x86::Mnemonic::kMov, emit_mov, mov_inlines); }

}  // namespace tx86::jit
