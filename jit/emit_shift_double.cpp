// Inline SHLD and SHRD (SDM Vol. 2; 386+) by an immediate or by CL, on a
// register or memory destination, flags as core/semantics/shift.h's
// shift_double: the host SHLD/SHRD of the same width gives the result, CF
// (the last bit shifted out of dest) and SF, ZF, PF for a count of
// 1..width-1; OF is "the sign changed" for every count (the host defines
// it for a count of 1 only, so it is computed from the old and new value
// for larger counts); AF is cleared. Counts the host leaves undefined or
// that change nothing go to the handler: a masked count of 0 (nothing
// changes, the read is a plain one) and, at 16 bits, 16..31 (shift.h's
// 48-bit pattern) -- by an immediate decided at translation, by CL on the
// handler's path out of line (emit_fallback.h). The table does not count
// the CL form as inline (a count of 0 keeps every flag), so the liveness
// pass keeps all flags live before it.
#include "jit/emit_fallback.h"
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool operands_ok(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  return i.num_operands == 3 && (d.kind == OperandKind::kReg || d.kind == OperandKind::kMem) &&
         (d.size == 2 || d.size == 4) && s.kind == OperandKind::kReg && s.size == d.size;
}

// By an immediate: the table's test.
bool shift_double_inlines(const x86::Insn& i) {
  if (!operands_ok(i) || i.ops[2].kind != OperandKind::kImm) return false;
  const unsigned count = i.ops[2].imm & 0x1F;
  return count != 0 && count < i.ops[0].size * 8u;
}

bool by_cl(const x86::Insn& i) {
  const x86::Operand& c = i.ops[2];
  return operands_ok(i) && c.kind == OperandKind::kReg && c.size == 1 && c.reg == x86::kEcx;
}

// ecx := CL & 1Fh, host ZF set if it is 0.
void emit_count(EmitEnv& env) {
  env.a.emit(ax::Inst::kIdMovzx, ax::ecx, guest(env, x86::kEcx, 1));
  env.a.and_(ax::ecx, 0x1F);
}

// eax := dest (loaded as for a write if memory), edx := src, r9d := eax.
void emit_operands(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  const unsigned w = i.ops[0].size;
  emit_read_dest(env, bi, w);
  emit_get(env, w == 2 ? ax::Gp(ax::dx) : ax::Gp(ax::edx), i.ops[1].reg, w);
  env.a.mov(ax::r9d, ax::eax);
}

// The host SHLD/SHRD of eax by `count` (an immediate or cl), then r13 :=
// the guest flags if `written` (OF from the old value in r9d unless the
// count is known to be 1). Returns the flags of r13 that are the guest's.
uint32_t emit_host_shift_double(EmitEnv& env, const x86::Insn& i, const asmjit::Operand& count, bool count_one,
                                uint32_t written) {
  ax::Assembler& a = env.a;
  const unsigned w = i.ops[0].size;
  const ax::Inst::Id id = i.mnemonic == Mnemonic::kShld ? ax::Inst::kIdShld : ax::Inst::kIdShrd;
  a.emit(id, scratch(w), w == 2 ? ax::Gp(ax::dx) : ax::Gp(ax::edx), count);
  if (written == 0) return 0;
  emit_capture_flags(env);
  if (!count_one) {  // OF := MSB(new ^ old)
    a.mov(ax::r10d, ax::eax);
    a.xor_(ax::r10d, ax::r9d);
    a.shr(ax::r10d, w * 8 - 1);
    a.and_(ax::r10d, 1);
    a.shl(ax::r10d, 11);
    a.and_(ax::r13d, ~uint32_t(x86::kOF));
    a.or_(ax::r13d, ax::r10d);
  }
  return written & ~uint32_t(x86::kAF);
}

void emit_shift_double_imm(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  const unsigned w = i.ops[0].size, count = i.ops[2].imm & 0x1F;
  const bool mem = i.ops[0].kind == OperandKind::kMem;
  const uint32_t written = begin_flags(env, i, mem);
  emit_operands(env, bi);
  const uint32_t from_host = emit_host_shift_double(env, i, asmjit::imm(count), count == 1, written);
  emit_write_dest(env, bi, scratch(w));
  if (written != 0) emit_merge_flags(env, written, from_host);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

// By CL: flags merged on the path that shifts (the path that skips keeps
// them), as emit_shift.cpp's CL forms.
void emit_shift_double_cl(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const unsigned w = i.ops[0].size;
  const bool mem = i.ops[0].kind == OperandKind::kMem;
  uint32_t written = i.flags_written & x86::kArithFlags;
  if ((written & env.flags_live_after) == 0) written = 0;
  env.rc.materialize_flags(a);
  const bool narrow = w == 2;
  const asmjit::Label slow = (mem || narrow) ? emit_handler_fallback(env, bi) : asmjit::Label();
  const asmjit::Label done = a.newLabel();
  emit_count(env);
  a.jz(mem ? slow : done);
  if (narrow) {
    a.cmp(ax::ecx, 16);
    a.jae(slow);
  }
  emit_operands(env, bi);
  if (mem) emit_count(env);  // the load's slow path clobbers ecx
  const uint32_t from_host = emit_host_shift_double(env, i, ax::cl, false, written);
  emit_write_dest(env, bi, scratch(w));
  if (written != 0) {
    emit_merge_flags(env, written, from_host);
    env.rc.materialize_flags(a);
  }
  a.bind(done);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

void emit_shift_double(EmitEnv& env, const BlockInsn& bi) {
  if (shift_double_inlines(bi.insn)) emit_shift_double_imm(env, bi);
  else if (by_cl(bi.insn)) emit_shift_double_cl(env, bi);
  else emit_call_handler(env, bi);
}

}  // namespace

void register_shift_double(JitTable& t) {
  t.set(Mnemonic::kShld, emit_shift_double, shift_double_inlines);
  t.set(Mnemonic::kShrd, emit_shift_double, shift_double_inlines);
}

}  // namespace tx86::jit
