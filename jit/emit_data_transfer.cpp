// Inline emitters for data transfer (SDM Vol. 2, MOV): MOV between general
// registers and MOV of an immediate into one. They cannot fault and touch no
// flags, so they are plain loads and stores on the CpuState (r12). Every
// other MOV form calls the interpreter handler.
#include <cstddef>

#include "core/cpu_state.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;

namespace {

// The CpuState bytes of general register `r` at width `w` (the 8-bit
// encoding's AH..BH are byte 1 of EAX..EBX).
ax::Mem reg_mem(unsigned r, unsigned w) {
  const int32_t gpr = static_cast<int32_t>(offsetof(core::CpuState, gpr));
  if (w == 1) {
    const int32_t off = r < 4 ? gpr + 4 * int32_t(r) : gpr + 4 * int32_t(r - 4) + 1;
    return ax::byte_ptr(ax::r12, off);
  }
  const int32_t off = gpr + 4 * int32_t(r);
  return w == 2 ? ax::word_ptr(ax::r12, off) : ax::dword_ptr(ax::r12, off);
}

ax::Gp scratch(unsigned w) { return w == 1 ? ax::Gp(ax::al) : w == 2 ? ax::Gp(ax::ax) : ax::Gp(ax::eax); }

void emit_mov(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const unsigned w = d.size;
  const bool ok_width = w == 1 || w == 2 || w == 4;
  if (i.num_operands != 2 || d.kind != x86::OperandKind::kReg || !ok_width || s.size != w ||
      (s.kind != x86::OperandKind::kReg && s.kind != x86::OperandKind::kImm)) {
    emit_call_handler(env, bi);
    return;
  }
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

void register_data_transfer(JitTable& t) { t.set(x86::Mnemonic::kMov, emit_mov); }

}  // namespace tx86::jit
