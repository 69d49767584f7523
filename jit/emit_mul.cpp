// Inline MUL and IMUL; IMUL with two and three operands (SDM Vol. 2, IMUL: r16/r32 :=
// r/m * r or r/m * imm), on a register or memory source. The host IMUL of
// the same width gives the product and CF = OF = "the product did not fit";
// SF, ZF and PF are undefined on the host, and core/semantics/muldiv.h sets
// them from the low half (a TEST of the result gives exactly that) and
// clears AF. One-operand MUL and IMUL (AX := AL * r/m8, DX:AX, EDX:EAX) are
// the host instruction on the same registers, flags likewise.
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

// CF/OF from the multiply (r13), SF/ZF/PF from TEST of the low half `low`.
void capture_mul_flags(ax::Assembler& a, const ax::Gp& low) {
  a.pushfq();
  a.pop(ax::r13);
  a.and_(ax::r13d, x86::kCF | x86::kOF);
  a.test(low, low);
  a.pushfq();
  a.pop(ax::r10);
  a.and_(ax::r10d, x86::kSF | x86::kZF | x86::kPF);
  a.or_(ax::r13d, ax::r10d);
}

bool one_operand(const x86::Insn& i) {
  const x86::Operand& s = i.ops[0];
  return i.num_operands == 1 && (s.kind == OperandKind::kReg || s.kind == OperandKind::kMem) &&
         (s.size == 1 || s.size == 2 || s.size == 4);
}

bool mul_inlines(const x86::Insn& i) { return !(i.prefixes & x86::kPrefixLock) && one_operand(i); }

void emit_mul1(EmitEnv& env, const BlockInsn& bi, bool sign) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const x86::Operand& s = i.ops[0];
  const unsigned w = s.size;
  const uint32_t written = begin_flags(env, i, false);
  const bool live = written != 0;
  if (s.kind == OperandKind::kMem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w);
    a.mov(ax::ecx, ax::eax);
  } else {
    emit_get(env, scratch2(w), s.reg, w);
  }
  emit_get(env, scratch(w), x86::kEax, w);
  if (sign) a.imul(scratch2(w));
  else a.mul(scratch2(w));
  if (live) capture_mul_flags(a, scratch(w));
  if (w == 1) {
    emit_put(env, x86::kEax, 2, ax::ax);
  } else {
    emit_put(env, x86::kEax, w, scratch(w));
    emit_put(env, x86::kEdx, w, w == 2 ? ax::Gp(ax::dx) : ax::Gp(ax::edx));
  }
  if (live) emit_merge_flags(env, written, x86::kCF | x86::kOF | x86::kSF | x86::kZF | x86::kPF);
  ++env.pending;
}

void emit_mul(EmitEnv& env, const BlockInsn& bi) {
  if (!mul_inlines(bi.insn)) {
    emit_call_handler(env, bi);
    return;
  }
  emit_mul1(env, bi, false);
}

bool imul_inlines(const x86::Insn& i) {
  if (i.prefixes & x86::kPrefixLock) return false;
  if (one_operand(i)) return true;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  if (i.num_operands < 2 || d.kind != OperandKind::kReg || (d.size != 2 && d.size != 4) || s.size != d.size) return false;
  if (s.kind != OperandKind::kReg && s.kind != OperandKind::kMem) return false;
  return i.num_operands == 2 || i.ops[2].kind == OperandKind::kImm;
}

void emit_imul(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!imul_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  if (i.num_operands == 1) {
    emit_mul1(env, bi, true);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const unsigned w = d.size;
  const ax::Gp r = scratch(w), src = scratch2(w);
  const uint32_t written = begin_flags(env, i, false);
  const bool live = written != 0;
  // Factors in eax and ecx.
  if (s.kind == OperandKind::kMem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w);
  } else {
    emit_get(env, r, s.reg, w);
  }
  if (i.num_operands == 3) a.mov(ax::ecx, i.ops[2].imm & width_mask(w));
  else emit_get(env, src, d.reg, w);
  a.imul(r, src);
  if (live) capture_mul_flags(a, r);
  emit_put(env, d.reg, w, r);
  if (live) emit_merge_flags(env, written, x86::kCF | x86::kOF | x86::kSF | x86::kZF | x86::kPF);
  ++env.pending;
}

}  // namespace

void register_mul(JitTable& t) {
  t.set(Mnemonic::kImul, emit_imul, imul_inlines);
  t.set(Mnemonic::kMul, emit_mul, mul_inlines);
}

}  // namespace tx86::jit
