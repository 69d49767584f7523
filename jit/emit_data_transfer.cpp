// Inline emitters for data transfer (SDM Vol. 2: MOV, MOVZX, MOVSX, LEA,
// XCHG, CBW/CWDE, CWD/CDQ, BSWAP, NOP) between general registers, immediates
// and memory (emit_memory.h, including the moffs forms of MOV). None touches the flags. Segment,
// control and debug register forms call the interpreter handler. XCHG with
// memory stores first and writes the register after, as the interpreter
// does, so that a faulting store changes nothing.
#include <cstddef>

#include "core/cpu_state.h"
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool width_ok(unsigned w) { return w == 1 || w == 2 || w == 4; }

// Whether guest register `r` at width `w` is a host register (not the
// CpuState: uncached, or AH..BH).
bool in_host(const EmitEnv& env, unsigned r, unsigned w) { return guest(env, r, w).isReg(); }
bool gpr_or_mem(const x86::Operand& o) { return o.kind == OperandKind::kReg || o.kind == OperandKind::kMem; }

bool mov_inlines(const x86::Insn& i) {
  if (i.num_operands != 2 || (i.prefixes & x86::kPrefixLock)) return false;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const unsigned w = d.size;
  if (!width_ok(w) || s.size != w || !gpr_or_mem(d)) return false;
  if (s.kind == OperandKind::kImm) return true;
  return gpr_or_mem(s) && !(d.kind == OperandKind::kMem && s.kind == OperandKind::kMem);
}

void emit_mov(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!mov_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const unsigned w = d.size;
  if (d.kind == OperandKind::kReg) {
    if (s.kind == OperandKind::kImm) {
      emit_put(env, d.reg, w, asmjit::imm(s.imm & width_mask(w)));
    } else if (s.kind == OperandKind::kReg) {
      if (in_host(env, d.reg, w) || in_host(env, s.reg, w)) {
        emit_put(env, d.reg, w, guest(env, s.reg, w));  // one MOV
      } else {
        emit_get(env, scratch(w), s.reg, w);
        emit_put(env, d.reg, w, scratch(w));
      }
    } else if (w == 4 && in_host(env, d.reg, w)) {
      emit_effective_address(env, i, ax::edx);
      emit_load_into(env, bi, i.mem.seg, w, guest(env, d.reg, w).as<ax::Gp>());
      env.rc.written(d.reg);
    } else {
      emit_effective_address(env, i, ax::edx);
      emit_load(env, bi, i.mem.seg, w);
      emit_put(env, d.reg, w, scratch(w));
    }
    ++env.pending;
    return;
  }
  if (s.kind == OperandKind::kImm) {
    emit_effective_address(env, i, ax::edx);
    emit_store_imm(env, bi, i.mem.seg, w, static_cast<uint32_t>(s.imm));
  } else {
    emit_get(env, scratch2(w), s.reg, w);
    emit_effective_address(env, i, ax::edx);
    emit_store(env, bi, i.mem.seg, w);
  }
  ++env.pending;
  emit_stop_check(env, bi);
}

// MOVZX / MOVSX r16/r32, r/m8 / r/m16.
bool extend_inlines(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  return i.num_operands == 2 && d.kind == OperandKind::kReg && (d.size == 2 || d.size == 4) && gpr_or_mem(s) &&
         (s.size == 1 || s.size == 2) && !(i.prefixes & x86::kPrefixLock);
}

void emit_extend(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!extend_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const bool sign = i.mnemonic == Mnemonic::kMovsx;
  if (s.kind == OperandKind::kMem && d.size == 4 && in_host(env, d.reg, 4)) {
    // Straight into the destination's host register.
    emit_effective_address(env, i, ax::edx);
    emit_load_into(env, bi, i.mem.seg, s.size, guest(env, d.reg, 4).as<ax::Gp>(), sign);
    env.rc.written(d.reg);
    ++env.pending;
    return;
  } else if (s.kind == OperandKind::kMem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, s.size);
    if (sign) a.movsx(ax::eax, scratch(s.size));
  } else if (in_host(env, d.reg, d.size)) {
    // Straight into the destination's host register.
    a.emit(sign ? ax::Inst::kIdMovsx : ax::Inst::kIdMovzx, guest(env, d.reg, d.size), guest(env, s.reg, s.size));
    env.rc.written(d.reg);
    ++env.pending;
    return;
  } else {
    a.emit(sign ? ax::Inst::kIdMovsx : ax::Inst::kIdMovzx, ax::eax, guest(env, s.reg, s.size));
  }
  emit_put(env, d.reg, d.size, scratch(d.size));
  ++env.pending;
}

bool lea_inlines(const x86::Insn& i) {
  return i.num_operands == 2 && i.ops[0].kind == OperandKind::kReg && (i.ops[0].size == 2 || i.ops[0].size == 4) &&
         i.ops[1].kind == OperandKind::kMem && !(i.prefixes & x86::kPrefixLock);
}

void emit_lea(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!lea_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  const unsigned d = i.ops[0].reg, w = i.ops[0].size;
  // A 32-bit destination in a host register takes the address itself,
  // unless an uncached base would be loaded into it before the index (the
  // destination's guest register) is read.
  const unsigned base = i.mem.base;
  if (w == 4 && env.rc.cached(d) && (base == x86::kNoReg || env.rc.cached(base))) {
    emit_effective_address(env, i, env.rc.host(d, 4));
    env.rc.written(d);
  } else {
    emit_effective_address(env, i, ax::eax);
    emit_put(env, d, w, scratch(w));
  }
  ++env.pending;
}

// XCHG r/m, r (and the 90+r forms). LOCK (implicit with memory anyway)
// changes nothing for one CPU.
bool xchg_inlines(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  return i.num_operands == 2 && width_ok(d.size) && s.size == d.size && gpr_or_mem(d) &&
         s.kind == OperandKind::kReg && !(i.prefixes & x86::kPrefixLock);
}

void emit_xchg(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!xchg_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  const unsigned w = d.size;
  if (d.kind == OperandKind::kReg) {
    emit_get(env, scratch(w), d.reg, w);
    emit_get(env, scratch2(w), s.reg, w);
    emit_put(env, s.reg, w, scratch(w));
    emit_put(env, d.reg, w, scratch2(w));
    ++env.pending;
    return;
  }
  emit_effective_address(env, i, ax::edx);
  emit_load(env, bi, i.mem.seg, w, /*for_write=*/true);
  a.mov(ax::dword_ptr(ax::rsp), ax::eax);  // the spill slot survives the store's slow path
  emit_get(env, scratch2(w), s.reg, w);
  emit_effective_address(env, i, ax::edx);
  emit_store(env, bi, i.mem.seg, w);
  a.mov(ax::eax, ax::dword_ptr(ax::rsp));
  emit_put(env, s.reg, w, scratch(w));
  ++env.pending;
  emit_stop_check(env, bi);
}

// CBW/CWDE (AX := AL or EAX := AX sign-extended) and CWD/CDQ (DX or EDX :=
// the sign of AX or EAX), by operand size, as core/interp/data_transfer.cpp.
bool convert_inlines(const x86::Insn& i) { return i.opsize == 2 || i.opsize == 4; }

void emit_convert(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!convert_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const unsigned w = i.opsize;
  if (i.mnemonic == Mnemonic::kCbw) {
    a.emit(ax::Inst::kIdMovsx, ax::eax, guest(env, x86::kEax, w / 2));
    emit_put(env, x86::kEax, w, scratch(w));
  } else {
    if (w == 2) a.emit(ax::Inst::kIdMovsx, ax::eax, guest(env, x86::kEax, 2));
    else emit_get(env, ax::eax, x86::kEax, 4);
    a.sar(ax::eax, 31);
    emit_put(env, x86::kEdx, w, scratch(w));
  }
  ++env.pending;
}

// BSWAP r32 (486+); of a 16-bit register it writes 0, as the interpreter's
// core/interp/bit.cpp does (undefined in the SDM).
bool bswap_inlines(const x86::Insn& i) {
  return i.num_operands == 1 && i.ops[0].kind == OperandKind::kReg && (i.opsize == 2 || i.opsize == 4);
}

void emit_bswap(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!bswap_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  const unsigned r = i.ops[0].reg;
  if (i.opsize == 2) {
    emit_put(env, r, 2, asmjit::imm(0));
  } else {
    emit_get(env, ax::eax, r, 4);
    env.a.bswap(ax::eax);
    emit_put(env, r, 4, ax::eax);
  }
  ++env.pending;
}

// NOP (90, and 0F 1F /0 whose operand is never accessed): nothing but the
// count, as core/interp/misc.cpp.
bool nop_inlines(const x86::Insn&) { return true; }
void emit_nop(EmitEnv& env, const BlockInsn&) { ++env.pending; }

}  // namespace

void register_data_transfer(JitTable& t) {
  t.set(Mnemonic::kMov, emit_mov, mov_inlines);
  t.set(Mnemonic::kMovzx, emit_extend, extend_inlines);
  t.set(Mnemonic::kMovsx, emit_extend, extend_inlines);
  t.set(Mnemonic::kLea, emit_lea, lea_inlines);
  t.set(Mnemonic::kXchg, emit_xchg, xchg_inlines);
  t.set(Mnemonic::kCbw, emit_convert, convert_inlines);
  t.set(Mnemonic::kCwd, emit_convert, convert_inlines);
  t.set(Mnemonic::kBswap, emit_bswap, bswap_inlines);
  t.set(Mnemonic::kNop, emit_nop, nop_inlines);
}

}  // namespace tx86::jit
