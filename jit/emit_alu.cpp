// Inline emitters for the integer ALU (SDM Vol. 2: ADD, SUB, AND, OR, XOR,
// CMP, TEST, INC, DEC, NOT, NEG) on registers and memory (emit_memory.h),
// with a register, immediate or memory source. The host instruction of the
// same name and width computes the same result and the same CF, PF, ZF, SF
// and OF (PF from the low byte on both); AF too for the arithmetic ones. For
// the logic ops AF is undefined on the host, and the interpreter clears it
// (core/semantics/alu.h), so it is cleared here. INC and DEC keep CF. Flags
// are captured with PUSHFQ only when some of them are live after the
// instruction (EmitEnv::flags_live_after), and written to the guest EFLAGS
// only after the store, so that a faulting store changes nothing.
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool width_ok(unsigned w) { return w == 1 || w == 2 || w == 4; }

bool unary(Mnemonic m) {
  return m == Mnemonic::kInc || m == Mnemonic::kDec || m == Mnemonic::kNot || m == Mnemonic::kNeg;
}

bool alu_inlines(const x86::Insn& i) {
  if (i.prefixes & x86::kPrefixLock) return false;
  const x86::Operand& d = i.ops[0];
  if ((d.kind != OperandKind::kReg && d.kind != OperandKind::kMem) || !width_ok(d.size)) return false;
  if (unary(i.mnemonic)) return i.num_operands == 1;
  const x86::Operand& s = i.ops[1];
  if (i.num_operands != 2) return false;
  if (s.kind == OperandKind::kImm) return true;
  if (s.kind == OperandKind::kReg) return s.size == d.size;
  return s.kind == OperandKind::kMem && d.kind == OperandKind::kReg && s.size == d.size;
}

void emit_alu(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!alu_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size;
  const ax::Gp r = scratch(w);
  const ax::Gp src = scratch2(w);
  const bool dst_mem = d.kind == OperandKind::kMem;
  // The operands: destination in eax, source in ecx.
  if (!unary(i.mnemonic) && i.ops[1].kind == OperandKind::kMem) {
    emit_effective_address(a, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w);
    a.mov(ax::ecx, ax::eax);
    a.mov(r, reg_mem(d.reg, w));
  } else {
    if (dst_mem) {
      const bool rmw = i.mnemonic != Mnemonic::kCmp && i.mnemonic != Mnemonic::kTest;
      emit_effective_address(a, i, ax::edx);
      emit_load(env, bi, i.mem.seg, w, rmw);
    } else {
      a.mov(r, reg_mem(d.reg, w));
    }
    if (!unary(i.mnemonic)) {
      const x86::Operand& s = i.ops[1];
      if (s.kind == OperandKind::kReg) a.mov(src, reg_mem(s.reg, w));
      else a.mov(src, asmjit::imm(s.imm & width_mask(w)));
    }
  }
  bool writes_back = true;
  bool logic = false;
  switch (i.mnemonic) {
    case Mnemonic::kInc: a.inc(r); break;
    case Mnemonic::kDec: a.dec(r); break;
    case Mnemonic::kNot: a.not_(r); break;  // no flags (flags_written is 0)
    case Mnemonic::kNeg: a.neg(r); break;   // 0 - r: CF = (r != 0), the rest as SUB
    case Mnemonic::kAdd: a.add(r, src); break;
    case Mnemonic::kSub: a.sub(r, src); break;
    case Mnemonic::kCmp: a.cmp(r, src); writes_back = false; break;
    case Mnemonic::kAnd: a.and_(r, src); logic = true; break;
    case Mnemonic::kOr: a.or_(r, src); logic = true; break;
    case Mnemonic::kXor: a.xor_(r, src); logic = true; break;
    case Mnemonic::kTest: a.test(r, src); logic = true; writes_back = false; break;
    default: break;
  }
  // Flags this instruction writes that something may still read.
  const uint32_t written = i.flags_written & x86::kArithFlags;
  const uint32_t live = written & env.flags_live_after;
  if (live != 0) {
    a.pushfq();
    a.pop(ax::r13);
  }
  if (writes_back) {
    if (dst_mem) {
      a.mov(ax::ecx, ax::eax);
      emit_effective_address(a, i, ax::edx);
      emit_store(env, bi, i.mem.seg, w);
    } else {
      a.mov(reg_mem(d.reg, w), r);
    }
  }
  if (live != 0) emit_merge_flags(a, written, logic ? (written & ~uint32_t(x86::kAF)) : written);
  ++env.pending;
  if (writes_back && dst_mem) emit_stop_check(env, bi);
}

}  // namespace

void register_alu(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kAdd, Mnemonic::kSub, Mnemonic::kCmp, Mnemonic::kAnd, Mnemonic::kOr, Mnemonic::kXor,
                     Mnemonic::kTest, Mnemonic::kInc, Mnemonic::kDec, Mnemonic::kNot, Mnemonic::kNeg})
    t.set(m, emit_alu, alu_inlines);
}

}  // namespace tx86::jit
