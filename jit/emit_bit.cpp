// Inline BT, BTS, BTR and BTC (SDM Vol. 2, BT/BTS/BTR/BTC) with a register
// destination (bit offset in a register or an immediate, taken modulo the
// operand width, as the host instruction does) or a memory destination.
// CF is the selected bit; OF, SF, AF and PF are left unchanged
// (core/semantics/bits.h), so only CF is taken from the host. With memory,
// an immediate offset is taken modulo the width; a register offset
// addresses a bit string (SDM Vol. 2, BT, "Bit String" operand): it is
// signed, and offset >> 4 (16-bit) or >> 5 (32-bit), arithmetic, selects
// the word or dword relative to the effective address (wrapping at 64K
// with 16-bit addressing, as core/interp/bit.cpp does), the low bits the
// bit in it.
// BSF and BSR (SDM Vol. 2): ZF := (source == 0), the destination is written
// only when the source is not 0 (bits.h: what every Intel part does), the
// other flags unchanged: the host BSF/BSR gives the index and ZF, and a
// CMOVNZ writes the destination (the host's own destination on a zero
// source is not relied on).
// LOCK changes nothing in the interpreter (the decoder refuses it where it
// is not allowed: LOCK with a memory destination only, 386+), so locked
// forms are inline too.
// The decoder's rows count the unchanged flags as written (undefined), so
// the table's liveness test does not count these as inline: every flag is
// live before them.
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool bit_inlines(const x86::Insn& i) {
  if (i.num_operands != 2) return false;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& b = i.ops[1];
  if (d.size != 2 && d.size != 4) return false;
  if (d.kind != OperandKind::kReg && d.kind != OperandKind::kMem) return false;
  return b.kind == OperandKind::kImm || (b.kind == OperandKind::kReg && b.size == d.size);
}

// A register bit offset into memory: edx := the effective address plus the
// signed word offset (bit >> 4) * 2 or dword offset (bit >> 5) * 4, wrapped
// to 16 bits with 16-bit addressing. Uses r10 (after the effective address,
// which uses it too).
void emit_bit_string_address(EmitEnv& env, const x86::Insn& i) {
  ax::Assembler& a = env.a;
  const unsigned w = i.ops[0].size;
  emit_effective_address(env, i, ax::edx);
  if (w == 2) a.emit(ax::Inst::kIdMovsx, ax::r10d, guest(env, i.ops[1].reg, 2));
  else emit_get(env, ax::r10d, i.ops[1].reg, 4);
  a.sar(ax::r10d, w == 2 ? 4 : 5);
  a.lea(ax::edx, ax::ptr(ax::rdx, ax::r10, w == 2 ? 1 : 2));
  if (i.addrsize == 2) a.movzx(ax::edx, ax::dx);
}

void emit_bit(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!bit_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& b = i.ops[1];
  const unsigned w = d.size;
  const bool mem = d.kind == OperandKind::kMem;
  const bool writes = i.mnemonic != Mnemonic::kBt;
  const bool cf = (env.flags_live_after & x86::kCF) != 0;
  if (cf) {
    // A store's slow path would come between the capture and the merge.
    if (mem && writes) env.rc.materialize_flags(a);
    else env.rc.prepare_flags(a, x86::kCF);
  }
  const ax::Gp r = scratch(w);
  const bool string = mem && b.kind == OperandKind::kReg;
  if (string) {
    emit_bit_string_address(env, i);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/writes);
  } else if (mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/writes);
  } else {
    emit_get(env, r, d.reg, w);
  }
  asmjit::Operand bit;
  if (b.kind == OperandKind::kImm) {
    bit = asmjit::imm(b.imm & (w * 8 - 1));
  } else {
    emit_get(env, scratch2(w), b.reg, w);
    bit = scratch2(w);
  }
  ax::Inst::Id id = ax::Inst::kIdBt;
  switch (i.mnemonic) {
    case Mnemonic::kBts: id = ax::Inst::kIdBts; break;
    case Mnemonic::kBtr: id = ax::Inst::kIdBtr; break;
    case Mnemonic::kBtc: id = ax::Inst::kIdBtc; break;
    default: break;
  }
  a.emit(id, r, bit);
  if (cf) {
    a.pushfq();
    a.pop(ax::r13);
  }
  if (writes && string) {
    a.mov(ax::ecx, ax::eax);
    emit_bit_string_address(env, i);
    emit_store(env, bi, i.mem.seg, w);
  } else if (writes) {
    emit_write_dest(env, bi, r);
  }
  if (cf) emit_merge_flags(env, x86::kCF, x86::kCF);
  ++env.pending;
  if (mem && writes) emit_stop_check(env, bi);
}

bool scan_inlines(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  return i.num_operands == 2 && d.kind == OperandKind::kReg && (d.size == 2 || d.size == 4) && s.size == d.size &&
         (s.kind == OperandKind::kReg || s.kind == OperandKind::kMem);
}

void emit_scan(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!scan_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const unsigned w = i.ops[0].size;
  const x86::Operand& s = i.ops[1];
  const bool zf = (env.flags_live_after & x86::kZF) != 0;
  if (zf) env.rc.prepare_flags(a, x86::kZF);
  const asmjit::Operand src = emit_rm_source(env, bi, s, w);
  a.emit(i.mnemonic == Mnemonic::kBsr ? ax::Inst::kIdBsr : ax::Inst::kIdBsf, scratch2(w), src);
  // Only MOVs and the CMOV from here: ZF stays the scan's.
  const ax::Gp d = w == 2 ? ax::Gp(ax::dx) : ax::Gp(ax::edx);
  emit_get(env, d, i.ops[0].reg, w);
  a.cmovnz(ax::edx, ax::ecx);
  emit_put(env, i.ops[0].reg, w, d);
  if (zf) {
    emit_capture_flags(env);
    emit_merge_flags(env, x86::kZF, x86::kZF);
  }
  ++env.pending;
}

}  // namespace

void register_bit(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kBt, Mnemonic::kBts, Mnemonic::kBtr, Mnemonic::kBtc})
    t.set(m, emit_bit, nullptr);  // nullptr: flags not counted as written (see above)
  for (Mnemonic m : {Mnemonic::kBsf, Mnemonic::kBsr}) t.set(m, emit_scan, nullptr);
}

}  // namespace tx86::jit
