// Inline emitters for the integer ALU on registers (SDM Vol. 2: ADD, SUB,
// AND, OR, XOR, CMP, TEST, INC, DEC, NOT, NEG), register or immediate source. The host
// instruction of the same name and width computes the same result and the
// same CF, PF, ZF, SF and OF (PF from the low byte on both); AF too for the
// arithmetic ones. For the logic ops AF is undefined on the host, and the
// interpreter clears it (core/semantics/alu.h), so it is cleared here. INC
// and DEC keep CF. Flags are captured with PUSHFQ only when some of them are
// live after the instruction (EmitEnv::flags_live_after).
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;

namespace {

bool width_ok(unsigned w) { return w == 1 || w == 2 || w == 4; }

bool alu_inlines(const x86::Insn& i) {
  if (i.prefixes & x86::kPrefixLock) return false;
  const x86::Operand& d = i.ops[0];
  if (d.kind != x86::OperandKind::kReg || !width_ok(d.size)) return false;
  if (i.mnemonic == Mnemonic::kInc || i.mnemonic == Mnemonic::kDec || i.mnemonic == Mnemonic::kNot ||
      i.mnemonic == Mnemonic::kNeg)
    return i.num_operands == 1;
  const x86::Operand& s = i.ops[1];
  return i.num_operands == 2 &&
         ((s.kind == x86::OperandKind::kReg && s.size == d.size) || s.kind == x86::OperandKind::kImm);
}

void emit_alu(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!alu_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const unsigned w = i.ops[0].size;
  const ax::Gp r = scratch(w);
  const asmjit::Operand_ dst = reg_mem(i.ops[0].reg, w);
  a.mov(r, reg_mem(i.ops[0].reg, w));
  bool writes_back = true;
  bool logic = false;
  if (i.mnemonic == Mnemonic::kInc) {
    a.inc(r);
  } else if (i.mnemonic == Mnemonic::kDec) {
    a.dec(r);
  } else if (i.mnemonic == Mnemonic::kNot) {
    a.not_(r);  // no flags (flags_written is 0)
  } else if (i.mnemonic == Mnemonic::kNeg) {
    a.neg(r);  // 0 - r: CF = (r != 0), the rest as SUB
  } else {
    const x86::Operand& s = i.ops[1];
    const uint32_t mask = w == 1 ? 0xFFu : w == 2 ? 0xFFFFu : 0xFFFFFFFFu;
    // The source in ecx/cx/cl, or an immediate of the destination's width.
    const ax::Gp src = w == 1 ? ax::Gp(ax::cl) : w == 2 ? ax::Gp(ax::cx) : ax::Gp(ax::ecx);
    if (s.kind == x86::OperandKind::kReg) a.mov(src, reg_mem(s.reg, w));
    else a.mov(src, asmjit::imm(s.imm & mask));
    switch (i.mnemonic) {
      case Mnemonic::kAdd: a.add(r, src); break;
      case Mnemonic::kSub: a.sub(r, src); break;
      case Mnemonic::kCmp: a.cmp(r, src); writes_back = false; break;
      case Mnemonic::kAnd: a.and_(r, src); logic = true; break;
      case Mnemonic::kOr: a.or_(r, src); logic = true; break;
      case Mnemonic::kXor: a.xor_(r, src); logic = true; break;
      case Mnemonic::kTest: a.test(r, src); logic = true; writes_back = false; break;
      default: break;
    }
  }
  // Flags this instruction writes that something may still read.
  const uint32_t written = i.flags_written & x86::kArithFlags;
  const uint32_t live = written & env.flags_live_after;
  if (live != 0) {
    const uint32_t from_host = logic ? (written & ~uint32_t(x86::kAF)) : written;
    a.pushfq();
    a.pop(ax::rcx);
    a.and_(ax::ecx, from_host);
    a.mov(ax::edx, eflags_mem());
    a.and_(ax::edx, ~written);
    a.or_(ax::edx, ax::ecx);
    a.mov(eflags_mem(), ax::edx);
  }
  if (writes_back) a.mov(reg_mem(i.ops[0].reg, w), r);
  (void)dst;
  ++env.pending;
}

}  // namespace

void register_alu(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kAdd, Mnemonic::kSub, Mnemonic::kCmp, Mnemonic::kAnd, Mnemonic::kOr, Mnemonic::kXor,
                     Mnemonic::kTest, Mnemonic::kInc, Mnemonic::kDec, Mnemonic::kNot, Mnemonic::kNeg})
    t.set(m, emit_alu, alu_inlines);
}

}  // namespace tx86::jit
