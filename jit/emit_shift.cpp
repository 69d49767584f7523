// Inline shifts and rotates by an immediate, by 1 or by CL (SDM Vol. 2,
// SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR), on a register or memory. The flags
// follow core/semantics/shift.h, which defines the host's undefined cases
// by the 1-bit rule applied to the last 1-bit step:
// - SHL: OF = MSB(result) ^ CF; SHR: OF = the sign before the last step
//   (the original MSB for a count of 1, else 0); SAR: OF = 0;
// - ROL: CF = LSB(result), OF = MSB(result) ^ CF; ROR: CF = MSB(result),
//   OF = MSB ^ MSB-1 of the result; AF is cleared.
// So for a count n > 1 whose flags are live the host shifts by n-1 and
// then by 1: the last step is a 1-bit one, whose OF the SDM defines, and
// it is the rule above (SHR by 1 after a shift of at least 1 sees MSB 0;
// SAR by 1 gives OF 0). Every flag but AF is then the host's, left
// pending and still in the host flags (emit_capture_flags), so a SETcc,
// CMOVcc or Jcc right after needs no conversion.
// The host instruction of the same width does the shift for a masked count
// of 1..width-1 (SHL/SHR/SAR: past the width the host's CF is undefined)
// or 1..31 (rotates: the host rotates by the count modulo the width, as
// shift.h does; CF and the 1-bit OF of the last step are defined whenever
// the masked count is not 0). A masked count of 0 changes nothing, flags
// included:
// - by an immediate, the other counts call the handler (decided at
//   translation);
// - by CL, the count is tested at run time: 0 on a register skips the
//   instruction; 0 on memory (a plain read, shift_rotate.cpp) and, for 8-
//   and 16-bit SHL/SHR/SAR, a count of at least the width take the
//   handler's path out of line (emit_fallback.h). The table's liveness
//   test does not count the CL forms as inline, so every flag is live
//   before them (a count of 0 keeps them all).
// A register destination is shifted where the guest register lives (its
// host register, or the CpuState), with no copy.
// RCL/RCR: the guest CF goes into the host's (BT of its bit) right before
// the host RCL/RCR, whose CF is then shift.h's, and so is the OF of its
// last 1-bit step (OF = MSB ^ CF of the result for RCL, the two top bits
// of the result for RCR). 8- and 16-bit operands rotate through 9 and 17
// bits, the host's count modulo 9/17 as shift.h's; a count that is a
// multiple of 9/17 rotates nothing, and shift.h then recomputes OF as the
// 1-bit rule on the unchanged value, which is what the last 1-bit step
// of the split gives (by n-1, then 1: together a whole turn).
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
  return is_rotate(i.mnemonic) || through_carry(i.mnemonic) || count < i.ops[0].size * 8u;
}

// By CL: inline with the run-time tests above.
bool by_cl(const x86::Insn& i) {
  return destination_ok(i) && i.ops[1].kind == OperandKind::kReg && i.ops[1].size == 1 &&
         i.ops[1].reg == x86::kEcx;
}

// The host shift or rotate of `r` (a register or memory) by `count` (an
// immediate, or cl).
void emit_host_shift(ax::Assembler& a, Mnemonic m, const asmjit::Operand& r, const asmjit::Operand& count) {
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

// The flags of `written` that the host's shift gives as shift.h does (the
// rest become 0), when the last host step was a 1-bit one (or the only
// step, by `count`, for SHR/SAR).
uint32_t host_shift_flags(Mnemonic m, uint32_t written, unsigned count) {
  switch (m) {
    case Mnemonic::kShr: return written & ~uint32_t(x86::kAF) & (count == 1 ? ~0u : ~uint32_t(x86::kOF));
    case Mnemonic::kSar: return written & ~uint32_t(x86::kAF | x86::kOF);
    default: return written & ~uint32_t(x86::kAF);  // SHL ROL ROR RCL RCR (rotates write no AF)
  }
}

// Whether a count above 1 is done as count-1 then 1 (for the 1-bit OF).
bool split_for_of(Mnemonic m) { return m != Mnemonic::kShr && m != Mnemonic::kSar; }

void emit_shift_imm(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size;
  const unsigned count = i.ops[1].imm & 0x1F;
  const bool mem = d.kind == OperandKind::kMem;
  const uint32_t written = begin_flags(env, i, mem);
  asmjit::Operand dst;
  if (mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/true);  // count != 0: it writes
    dst = scratch(w);
  } else {
    dst = guest(env, d.reg, w);
  }
  if (through_carry(i.mnemonic)) {
    // Host CF := the guest's (pending host flags or EFLAGS; the load above
    // keeps r13 and r15).
    a.emit(ax::Inst::kIdBt, env.rc.condition_flags(a, x86::kCF), asmjit::imm(0));
  }
  // The block builder chose to keep these flags as a recipe on a copy of
  // the destination (EmitEnv::saved_recipe: SHR and SAR, one host shift).
  const bool saved = env.saved_recipe && written != 0 && !mem && w == 4 && !split_for_of(i.mnemonic) &&
                     !through_carry(i.mnemonic);
  if (saved) {
    a.emit(ax::Inst::kIdMov, ax::r13d, dst);
    env.saved_recipe_used = true;
  }
  if (written != 0 && count > 1 && split_for_of(i.mnemonic)) {
    emit_host_shift(a, i.mnemonic, dst, asmjit::imm(count - 1));
    emit_host_shift(a, i.mnemonic, dst, asmjit::imm(1));
  } else {
    emit_host_shift(a, i.mnemonic, dst, asmjit::imm(count));
  }
  if (written != 0) emit_capture_flags(env, /*last=*/saved);
  if (mem) emit_write_dest(env, bi, scratch(w));
  else if (w != 1 || d.reg < 4) env.rc.written(d.reg);
  if (written != 0) {
    const unsigned last_step = split_for_of(i.mnemonic) ? 1 : count;
    emit_merge_flags(env, written, host_shift_flags(i.mnemonic, written, last_step));
  }
  if (saved) env.rc.use_static_recipe(*env.saved_recipe);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

// ecx := CL & 1Fh (the masked count), host ZF set if it is 0.
void emit_count(EmitEnv& env) {
  env.a.emit(ax::Inst::kIdMovzx, ax::ecx, guest(env, x86::kEcx, 1));
  env.a.and_(ax::ecx, 0x1F);
}

// By CL. The flags are merged into the guest EFLAGS on the path that shifts
// (not left pending: the path that skips must see them unchanged). With
// flags live, the shift is by CL-1 (which may be 0: then it changes
// nothing) and then by 1, as for the immediate counts.
void emit_shift_cl(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size, bits = w * 8;
  const bool mem = d.kind == OperandKind::kMem;
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
  asmjit::Operand dst;
  if (mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/true);
    emit_count(env);  // the slow path clobbers ecx; CL is where it was
    dst = scratch(w);
  } else {
    dst = guest(env, d.reg, w);
  }
  if (through_carry(i.mnemonic)) {  // host CF := the guest's (EFLAGS: materialized above)
    a.emit(ax::Inst::kIdBt, env.rc.condition_flags(a, x86::kCF), asmjit::imm(0));
  }
  if (written != 0) {
    a.dec(ax::ecx);
    emit_host_shift(a, i.mnemonic, dst, ax::cl);
    emit_host_shift(a, i.mnemonic, dst, asmjit::imm(1));
    emit_capture_flags(env);
  } else {
    emit_host_shift(a, i.mnemonic, dst, ax::cl);
  }
  if (mem) emit_write_dest(env, bi, scratch(w));
  else if (w != 1 || d.reg < 4) env.rc.written(d.reg);
  if (written != 0) {
    emit_merge_flags(env, written, host_shift_flags(i.mnemonic, written, 1));
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
