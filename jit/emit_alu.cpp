// Inline emitters for the integer ALU (SDM Vol. 2: ADD, ADC, SUB, SBB, AND,
// OR, XOR, CMP, TEST, INC, DEC, NOT, NEG) on registers and memory (emit_memory.h),
// with a register, immediate or memory source. The host instruction of the
// same name and width computes the same result and the same CF, PF, ZF, SF
// and OF (PF from the low byte on both); AF too for the arithmetic ones. For
// the logic ops AF is undefined on the host, and the interpreter clears it
// (core/semantics/alu.h), so it is cleared here. INC and DEC keep CF. Flags
// are captured with PUSHFQ only when some of them are live after the
// instruction (EmitEnv::flags_live_after), and written to the guest EFLAGS
// only after the store, so that a faulting store changes nothing. ADC and
// SBB take the guest CF into the host's (BT of its bit) right before the
// host instruction. LOCK changes nothing in the interpreter (the decoder
// refuses it where it is not allowed; the 286 ignores it), so locked forms
// are inline too.
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
  const x86::Operand& d = i.ops[0];
  if ((d.kind != OperandKind::kReg && d.kind != OperandKind::kMem) || !width_ok(d.size)) return false;
  if (unary(i.mnemonic)) return i.num_operands == 1;
  const x86::Operand& s = i.ops[1];
  if (i.num_operands != 2) return false;
  if (s.kind == OperandKind::kImm) return true;
  if (s.kind == OperandKind::kReg) return s.size == d.size;
  return s.kind == OperandKind::kMem && d.kind == OperandKind::kReg && s.size == d.size;
}

asmjit::x86::Inst::Id host_inst(Mnemonic m) {
  switch (m) {
    case Mnemonic::kInc: return ax::Inst::kIdInc;
    case Mnemonic::kDec: return ax::Inst::kIdDec;
    case Mnemonic::kNot: return ax::Inst::kIdNot;  // no flags (flags_written is 0)
    case Mnemonic::kNeg: return ax::Inst::kIdNeg;  // 0 - r: CF = (r != 0), the rest as SUB
    case Mnemonic::kAdd: return ax::Inst::kIdAdd;
    case Mnemonic::kAdc: return ax::Inst::kIdAdc;
    case Mnemonic::kSbb: return ax::Inst::kIdSbb;
    case Mnemonic::kSub: return ax::Inst::kIdSub;
    case Mnemonic::kCmp: return ax::Inst::kIdCmp;
    case Mnemonic::kAnd: return ax::Inst::kIdAnd;
    case Mnemonic::kOr: return ax::Inst::kIdOr;
    case Mnemonic::kXor: return ax::Inst::kIdXor;
    default: return ax::Inst::kIdTest;
  }
}

bool logic(Mnemonic m) {
  return m == Mnemonic::kAnd || m == Mnemonic::kOr || m == Mnemonic::kXor || m == Mnemonic::kTest;
}

// An immediate of width w as the host instruction takes it (sign-extended
// from the operand width).
asmjit::Imm width_imm(uint32_t v, unsigned w) {
  if (w == 1) return asmjit::imm(int8_t(v));
  if (w == 2) return asmjit::imm(int16_t(v));
  return asmjit::imm(int32_t(v));
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
  const bool dst_mem = d.kind == OperandKind::kMem;
  const bool writes_back = i.mnemonic != Mnemonic::kCmp && i.mnemonic != Mnemonic::kTest;
  const uint32_t written = begin_flags(env, i, dst_mem && writes_back);
  const bool live = written != 0;
  const bool carry_in = i.mnemonic == Mnemonic::kAdc || i.mnemonic == Mnemonic::kSbb;
  // Where the guest CF is (pending host flags or EFLAGS): the loads below
  // keep r13 and r15 (callee-saved).
  const asmjit::Operand cf = carry_in ? env.rc.condition_flags(a, x86::kCF) : asmjit::Operand();
  // The destination: the guest register where it lives, or a memory operand
  // loaded into eax (and stored back after the flags are taken).
  asmjit::Operand dst;
  if (dst_mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/writes_back);
    dst = scratch(w);
  } else {
    dst = guest(env, d.reg, w);
  }
  // The source: an immediate, a cached register, or ecx; memory with the
  // destination in a host register: the operation reads it itself.
  asmjit::Operand src;
  bool done = false;
  if (!unary(i.mnemonic)) {
    const x86::Operand& s = i.ops[1];
    if (s.kind == OperandKind::kMem && dst.isReg()) {
      emit_effective_address(env, i, ax::edx);
      emit_load_op(env, bi, i.mem.seg, w, host_inst(i.mnemonic), dst, cf);
      done = true;
    } else if (s.kind == OperandKind::kImm) {
      src = width_imm(uint32_t(s.imm), w);
    } else if (s.kind == OperandKind::kMem) {
      emit_effective_address(env, i, ax::edx);
      emit_load(env, bi, i.mem.seg, w);
      src = scratch(w);  // the destination is a register then
    } else if (guest(env, s.reg, w).isReg()) {
      src = guest(env, s.reg, w);
    } else {
      emit_get(env, scratch2(w), s.reg, w);
      src = scratch2(w);
    }
  }
  if (!done) {
    if (carry_in) a.emit(ax::Inst::kIdBt, cf, asmjit::imm(0));  // host CF := guest CF
    // The block builder chose to keep these flags as a recipe on a copy of
    // the destination (EmitEnv::saved_recipe).
    if (env.saved_recipe && live && w == 4 && (!dst_mem || writes_back)) {
      a.emit(ax::Inst::kIdMov, ax::r13d, dst);
      env.saved_recipe_used = true;
    }
    if (unary(i.mnemonic)) a.emit(host_inst(i.mnemonic), dst);
    else a.emit(host_inst(i.mnemonic), dst, src);
  }
  // With no store to follow, nothing else is emitted for the instruction.
  // The logic ops leave AF undefined on the host; the interpreter clears it.
  const uint32_t from_host = logic(i.mnemonic) ? (written & ~uint32_t(x86::kAF)) : written;
  const bool saved = env.saved_recipe_used;
  if (live) emit_capture_flags(env, /*last=*/!(writes_back && dst_mem) || saved);
  if (saved && dst_mem) {
    // A recipe on the copy before the store (which cannot fault: its read
    // for write passed every check): its slow path's flush computes the
    // new flags from the copy.
    emit_merge_flags(env, written, from_host);
    env.rc.use_static_recipe(*env.saved_recipe);
  }
  if (writes_back) {
    if (dst_mem) {
      a.mov(ax::ecx, ax::eax);
      emit_effective_address(env, i, ax::edx);  // r9 stays: the read's host address
      emit_store(env, bi, i.mem.seg, w, /*reuse=*/true);
    } else if (w != 1 || d.reg < 4) {
      env.rc.written(d.reg);
    }
  }
  if (live && !(saved && dst_mem)) emit_merge_flags(env, written, from_host);
  if (saved && !dst_mem) env.rc.use_static_recipe(*env.saved_recipe);
  ++env.pending;
  if (writes_back && dst_mem) emit_stop_check(env, bi);
}

}  // namespace

void register_alu(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kAdd, Mnemonic::kAdc, Mnemonic::kSub, Mnemonic::kSbb, Mnemonic::kCmp, Mnemonic::kAnd,
                     Mnemonic::kOr, Mnemonic::kXor, Mnemonic::kTest, Mnemonic::kInc, Mnemonic::kDec, Mnemonic::kNot,
                     Mnemonic::kNeg})
    t.set(m, emit_alu, alu_inlines);
}

}  // namespace tx86::jit
