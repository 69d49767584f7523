// Inline MUL and IMUL; IMUL with two and three operands (SDM Vol. 2, IMUL: r16/r32 :=
// r/m * r or r/m * imm), on a register or memory source. The host IMUL of
// the same width gives the product and CF = OF = "the product did not fit";
// SF, ZF and PF are undefined on the host, and core/semantics/muldiv.h sets
// them from the low half (a TEST of the result gives exactly that) and
// clears AF. Two- and three-operand IMUL work in the destination's host
// register when the block caches it. One-operand MUL and IMUL (AX := AL * r/m8, DX:AX, EDX:EAX) are
// the host instruction on the same registers, flags likewise.
//
// DIV and IDIV (SDM Vol. 2: AL,AH := AX / r/m8; AX,DX := DX:AX / r/m16;
// EAX,EDX := EDX:EAX / r/m32) leave the flags alone (muldiv.h). Inline
// code tests for #DE before dividing and takes the handler's path out of
// line for it (emit_fallback.h), so the exception is the interpreter's
// (and so is the 286/386 IDIV r/m8 quirk of muldiv.h, which only concerns
// overflowing quotients), and the host's own divide can never trap:
// - DIV: the high half of the dividend must be below the divisor (this
//   also excludes 0); the host DIV of the next width up cannot overflow.
// - IDIV: a divisor of 0 (or -1 at 32 bits, where the host's 128/64 divide
//   could overflow on -2^63) goes out of line; otherwise the host divides
//   the sign-extended dividend at 32 (r/m8) or 64 bits, where no quotient
//   overflows, and a quotient outside the operand's range goes out of line.
// The table does not count them as inline (a #DE pushes every flag), so
// the liveness pass keeps all flags live before them.
#include "jit/emit_fallback.h"
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
  const uint32_t written = begin_flags(env, i, false);
  const bool live = written != 0;
  // The product goes straight into the destination's host register if the
  // block caches it, else into ecx (then stored).
  const asmjit::Operand home = guest(env, d.reg, w);
  const bool cached = home.isReg();
  const ax::Gp r = cached ? home.as<ax::Gp>() : scratch2(w);
  if (s.kind == OperandKind::kMem && i.num_operands == 2 && cached) {
    // IMUL r, m with r in a host register: the IMUL reads memory itself.
    emit_effective_address(env, i, ax::edx);
    emit_load_op(env, bi, i.mem.seg, w, ax::Inst::kIdImul, r, asmjit::Operand());
  } else {
    // The other factor: a register (host or CpuState) or memory (in eax).
    const asmjit::Operand src = emit_rm_source(env, bi, s, w);
    if (i.num_operands == 3) {
      const int32_t k = w == 2 ? int32_t(int16_t(i.ops[2].imm)) : int32_t(i.ops[2].imm);
      a.emit(ax::Inst::kIdImul, r, src, asmjit::imm(k));
    } else {
      if (!cached) emit_get(env, r, d.reg, w);
      a.emit(ax::Inst::kIdImul, r, src);
    }
  }
  if (live) capture_mul_flags(a, r);
  if (cached) env.rc.written(d.reg);
  else emit_put(env, d.reg, w, r);
  if (live) emit_merge_flags(env, written, x86::kCF | x86::kOF | x86::kSF | x86::kZF | x86::kPF);
  ++env.pending;
}

// ecx := the divisor (r/m), zero- or sign-extended to 32 bits.
void emit_divisor(EmitEnv& env, const BlockInsn& bi, bool sign) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const x86::Operand& s = i.ops[0];
  const unsigned w = s.size;
  const ax::Inst::Id extend = sign ? ax::Inst::kIdMovsx : ax::Inst::kIdMovzx;
  if (s.kind == OperandKind::kMem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w);
    if (w == 4) a.mov(ax::ecx, ax::eax);
    else a.emit(extend, ax::ecx, w == 1 ? ax::Gp(ax::al) : ax::Gp(ax::ax));
  } else if (w == 4) {
    emit_get(env, ax::ecx, s.reg, 4);
  } else {
    a.emit(extend, ax::ecx, guest(env, s.reg, w));
  }
}

void emit_divide(EmitEnv& env, const BlockInsn& bi, bool sign) {
  ax::Assembler& a = env.a;
  const unsigned w = bi.insn.ops[0].size;
  const asmjit::Label slow = emit_handler_fallback(env, bi);
  emit_divisor(env, bi, sign);
  if (!sign) {
    // edx := the high half, eax := the dividend (32-bit: the low half).
    if (w == 1) {
      // AH, taken from AX: EAX may live in a host register (reg_cache.h
      // only keeps out registers whose AH..BH an instruction names).
      a.emit(ax::Inst::kIdMovzx, ax::edx, guest(env, x86::kEax, 2));
      a.shr(ax::edx, 8);
    } else if (w == 2) {
      a.emit(ax::Inst::kIdMovzx, ax::edx, guest(env, x86::kEdx, 2));
    } else {
      emit_get(env, ax::edx, x86::kEdx, 4);
    }
    a.cmp(ax::edx, ax::ecx);
    a.jae(slow);
    if (w == 1) {
      a.emit(ax::Inst::kIdMovzx, ax::eax, guest(env, x86::kEax, 2));
      a.xor_(ax::edx, ax::edx);
    } else if (w == 2) {
      a.emit(ax::Inst::kIdMovzx, ax::eax, guest(env, x86::kEax, 2));
      a.shl(ax::edx, 16);
      a.or_(ax::eax, ax::edx);
      a.xor_(ax::edx, ax::edx);
    } else {
      emit_get(env, ax::eax, x86::kEax, 4);
    }
    a.div(ax::ecx);
  } else {
    a.test(ax::ecx, ax::ecx);
    a.jz(slow);
    if (w == 1) {
      a.emit(ax::Inst::kIdMovsx, ax::eax, guest(env, x86::kEax, 2));
      a.cdq();
      a.idiv(ax::ecx);
      a.movsx(ax::r10d, ax::al);
      a.cmp(ax::r10d, ax::eax);
    } else {
      if (w == 4) {
        a.cmp(ax::ecx, -1);
        a.je(slow);
      }
      // rax := the dividend, sign-extended to 64 bits.
      if (w == 2) {
        a.emit(ax::Inst::kIdMovzx, ax::eax, guest(env, x86::kEax, 2));
        a.emit(ax::Inst::kIdMovzx, ax::edx, guest(env, x86::kEdx, 2));
        a.shl(ax::edx, 16);
        a.or_(ax::eax, ax::edx);
        a.movsxd(ax::rax, ax::eax);
      } else {
        emit_get(env, ax::eax, x86::kEax, 4);
        emit_get(env, ax::edx, x86::kEdx, 4);
        a.shl(ax::rdx, 32);
        a.or_(ax::rax, ax::rdx);
      }
      a.cqo();
      a.movsxd(ax::rcx, ax::ecx);
      a.idiv(ax::rcx);
      if (w == 2) a.movsx(ax::r10, ax::ax);
      else a.movsxd(ax::r10, ax::eax);
      a.cmp(ax::r10, ax::rax);
    }
    a.jne(slow);  // the quotient does not fit: #DE (or the r/m8 quirk)
  }
  // Quotient in eax, remainder in edx.
  if (w == 1) {
    a.mov(ax::ah, ax::dl);
    emit_put(env, x86::kEax, 2, ax::ax);
  } else {
    emit_put(env, x86::kEax, w, scratch(w));
    emit_put(env, x86::kEdx, w, w == 2 ? ax::Gp(ax::dx) : ax::Gp(ax::edx));
  }
  ++env.pending;
}

template <bool sign>
void emit_div(EmitEnv& env, const BlockInsn& bi) {
  if (!mul_inlines(bi.insn)) {
    emit_call_handler(env, bi);
    return;
  }
  emit_divide(env, bi, sign);
}

}  // namespace

void register_mul(JitTable& t) {
  t.set(Mnemonic::kImul, emit_imul, imul_inlines);
  t.set(Mnemonic::kMul, emit_mul, mul_inlines);
  t.set(Mnemonic::kDiv, emit_div<false>, nullptr);  // nullptr: may fault (#DE), every flag live before it
  t.set(Mnemonic::kIdiv, emit_div<true>, nullptr);
}

}  // namespace tx86::jit
