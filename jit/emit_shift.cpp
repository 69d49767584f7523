// Inline shifts and rotates by an immediate, by 1 or by CL (SDM Vol. 2,
// SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR), on a register or memory. The flags
// follow core/semantics/shift.h, which defines the host's undefined cases:
// - SHL: CF and SF/ZF/PF from the host; OF = MSB(result) ^ CF for every
//   count (the 1-bit rule on the last step); AF cleared.
// - SHR: OF = the original MSB for a count of 1, else 0; AF cleared.
// - SAR: OF and AF cleared.
// - ROL: CF = LSB(result), OF = MSB(result) ^ CF; ROR: CF = MSB(result),
//   OF = MSB ^ MSB-1 of the result (computed from the result, any count).
// The host instruction of the same width does the shift for a masked count
// of 1..width-1 (SHL/SHR/SAR: past the width the host's CF is undefined)
// or 1..31 (rotates: the host rotates by the count modulo the width, as
// shift.h does). A masked count of 0 changes nothing, flags included:
// - by an immediate, the other counts call the handler (decided at
//   translation);
// - by CL, the count is tested at run time: 0 on a register skips the
//   instruction; 0 on memory (a plain read, shift_rotate.cpp) and, for 8-
//   and 16-bit SHL/SHR/SAR, a count of at least the width take the
//   handler's path out of line (emit_fallback.h). The table's liveness
//   test does not count the CL forms as inline, so every flag is live
//   before them (a count of 0 keeps them all).
// RCL/RCR are inline by 1 only (the usual multi-word shift step): the guest
// CF goes into the host's (BT of its bit) right before the host RCL/RCR,
// whose CF and OF are then defined and equal shift.h's (OF = MSB ^ CF of
// the result for RCL, the two top bits of the result for RCR); other
// counts call the handler.
#include "jit/emit_fallback.h"
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool is_shift(Mnemonic m) {
  return m == Mnemonic::kShl || m == Mnemonic::kSal || m == Mnemonic::kShr || m == Mnemonic::kSar;
}
bool is_rotate(Mnemonic m) { return m == Mnemonic::kRol || m == Mnemonic::kRor; }
bool through_carry(Mnemonic m) { return m == Mnemonic::kRcl || m == Mnemonic::kRcr; }

bool destination_ok(const x86::Insn& i) {
  if (i.num_operands != 2 || (i.prefixes & x86::kPrefixLock)) return false;
  const x86::Operand& d = i.ops[0];
  return (d.kind == OperandKind::kReg || d.kind == OperandKind::kMem) && (d.size == 1 || d.size == 2 || d.size == 4) &&
         (is_shift(i.mnemonic) || is_rotate(i.mnemonic) || through_carry(i.mnemonic));
}

// By an immediate (or 1): inline for the counts above. The table's test.
bool shift_inlines(const x86::Insn& i) {
  if (!destination_ok(i) || i.ops[1].kind != OperandKind::kImm) return false;
  const unsigned count = i.ops[1].imm & 0x1F;
  if (count == 0) return false;
  if (through_carry(i.mnemonic)) return count == 1;
  return is_rotate(i.mnemonic) || count < i.ops[0].size * 8u;
}

// By CL: inline with the run-time tests above.
bool by_cl(const x86::Insn& i) {
  return destination_ok(i) && !through_carry(i.mnemonic) && i.ops[1].kind == OperandKind::kReg &&
         i.ops[1].size == 1 && i.ops[1].reg == x86::kEcx;
}

// The host shift or rotate of `r` by `count` (an immediate, or cl).
void emit_host_shift(ax::Assembler& a, Mnemonic m, const ax::Gp& r, const asmjit::Operand& count) {
  ax::Inst::Id id;
  switch (m) {
    case Mnemonic::kRol: id = ax::Inst::kIdRol; break;
    case Mnemonic::kRor: id = ax::Inst::kIdRor; break;
    case Mnemonic::kShl:
    case Mnemonic::kSal: id = ax::Inst::kIdShl; break;
    case Mnemonic::kShr: id = ax::Inst::kIdShr; break;
    case Mnemonic::kRcl: id = ax::Inst::kIdRcl; break;
    case Mnemonic::kRcr: id = ax::Inst::kIdRcr; break;
    default: id = ax::Inst::kIdSar; break;
  }
  a.emit(id, r, count);
}

// Right after the host instruction: r13d := the guest's flags of it, from
// the host flags and the result in eax. `count` is the immediate, or 0 if
// it is in ecx (SHR's OF then depends on it at run time). Returns the
// flags of r13d that are the guest's (the rest of `written` become 0).
uint32_t capture_shift_flags(ax::Assembler& a, Mnemonic m, unsigned bits, uint32_t written, unsigned count) {
  switch (m) {
    case Mnemonic::kRol:  // r13 := CF | OF from the result
      a.mov(ax::r13d, ax::eax);
      a.and_(ax::r13d, 1);
      a.mov(ax::r10d, ax::eax);
      a.shr(ax::r10d, bits - 1);
      a.and_(ax::r10d, 1);
      a.xor_(ax::r10d, ax::r13d);
      a.shl(ax::r10d, 11);
      a.or_(ax::r13d, ax::r10d);
      return written;
    case Mnemonic::kRor:
      a.mov(ax::r13d, ax::eax);
      a.shr(ax::r13d, bits - 2);
      a.and_(ax::r13d, 3);  // bit 1: MSB, bit 0: MSB-1
      a.mov(ax::r10d, ax::r13d);
      a.shr(ax::r10d, 1);   // CF
      a.xor_(ax::r13d, ax::r10d);
      a.and_(ax::r13d, 1);
      a.shl(ax::r13d, 11);  // OF
      a.or_(ax::r13d, ax::r10d);
      return written;
    case Mnemonic::kShl:
    case Mnemonic::kSal:
      a.pushfq();
      a.pop(ax::r13);
      a.mov(ax::r10d, ax::r13d);  // OF := SF ^ CF
      a.shr(ax::r10d, 7);
      a.xor_(ax::r10d, ax::r13d);
      a.and_(ax::r10d, 1);
      a.shl(ax::r10d, 11);
      a.and_(ax::r13d, ~uint32_t(x86::kOF));
      a.or_(ax::r13d, ax::r10d);
      return written & ~uint32_t(x86::kAF);
    case Mnemonic::kShr:
      a.pushfq();
      a.pop(ax::r13);
      if (count == 0) {  // the host's OF (the original MSB) for a count of 1, else 0
        a.xor_(ax::r10d, ax::r10d);
        a.cmp(ax::ecx, 1);
        a.sete(ax::r10b);
        a.shl(ax::r10d, 11);
        a.or_(ax::r10d, ~uint32_t(x86::kOF));
        a.and_(ax::r13d, ax::r10d);
        return written & ~uint32_t(x86::kAF);
      }
      return written & ~uint32_t(x86::kAF) & (count == 1 ? ~0u : ~uint32_t(x86::kOF));
    case Mnemonic::kRcl:
    case Mnemonic::kRcr:  // by 1: the host's CF and OF
      a.pushfq();
      a.pop(ax::r13);
      return written;
    default:
      a.pushfq();
      a.pop(ax::r13);
      return written & ~uint32_t(x86::kAF | x86::kOF);
  }
}

void emit_shift_imm(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size, bits = w * 8;
  const unsigned count = i.ops[1].imm & 0x1F;
  const bool mem = d.kind == OperandKind::kMem;
  const ax::Gp r = scratch(w);
  const uint32_t written = begin_flags(env, i, mem);
  if (mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/true);  // count != 0: it writes
  } else {
    emit_get(env, r, d.reg, w);
  }
  if (through_carry(i.mnemonic)) {
    // Host CF := the guest's (pending host flags or EFLAGS; the load above
    // keeps r13 and r15).
    a.emit(ax::Inst::kIdBt, env.rc.condition_flags(a, x86::kCF), asmjit::imm(0));
  }
  emit_host_shift(a, i.mnemonic, r, asmjit::imm(count));
  const uint32_t from_host = written != 0 ? capture_shift_flags(a, i.mnemonic, bits, written, count) : 0;
  emit_write_dest(env, bi, r);
  if (written != 0) emit_merge_flags(env, written, from_host);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

// ecx := CL & 1Fh (the masked count), host ZF set if it is 0.
void emit_count(EmitEnv& env) {
  env.a.emit(ax::Inst::kIdMovzx, ax::ecx, guest(env, x86::kEcx, 1));
  env.a.and_(ax::ecx, 0x1F);
}

// By CL. The flags are merged into the guest EFLAGS on the path that shifts
// (not left pending: the path that skips must see them unchanged).
void emit_shift_cl(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size, bits = w * 8;
  const bool mem = d.kind == OperandKind::kMem;
  const ax::Gp r = scratch(w);
  uint32_t written = i.flags_written & x86::kArithFlags;
  if ((written & env.flags_live_after) == 0) written = 0;
  env.rc.materialize_flags(a);
  const bool narrow_shift = is_shift(i.mnemonic) && bits < 32;
  asmjit::Label slow = (mem || narrow_shift) ? emit_handler_fallback(env, bi) : asmjit::Label();
  asmjit::Label done = a.newLabel();
  emit_count(env);
  a.jz(mem ? slow : done);
  if (narrow_shift) {
    a.cmp(ax::ecx, bits);
    a.jae(slow);
  }
  if (mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/true);
    emit_count(env);  // the slow path clobbers ecx; CL is where it was
  } else {
    emit_get(env, r, d.reg, w);
  }
  emit_host_shift(a, i.mnemonic, r, ax::cl);
  const uint32_t from_host = written != 0 ? capture_shift_flags(a, i.mnemonic, bits, written, 0) : 0;
  emit_write_dest(env, bi, r);
  if (written != 0) {
    emit_merge_flags(env, written, from_host);
    env.rc.materialize_flags(a);
  }
  a.bind(done);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

void emit_shift(EmitEnv& env, const BlockInsn& bi) {
  if (shift_inlines(bi.insn)) emit_shift_imm(env, bi);
  else if (by_cl(bi.insn)) emit_shift_cl(env, bi);
  else emit_call_handler(env, bi);
}

}  // namespace

void register_shift(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kRol, Mnemonic::kRor, Mnemonic::kRcl, Mnemonic::kRcr, Mnemonic::kShl, Mnemonic::kSal,
                     Mnemonic::kShr, Mnemonic::kSar})
    t.set(m, emit_shift, shift_inlines);
}

}  // namespace tx86::jit
