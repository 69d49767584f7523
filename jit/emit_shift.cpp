// Inline shifts and rotates by an immediate or by 1 (SDM Vol. 2, SAL/SAR/
// SHL/SHR and RCL/RCR/ROL/ROR), on a register or memory. The flags follow
// core/semantics/shift.h, which defines the host's undefined cases:
// - SHL: CF and SF/ZF/PF from the host; OF = MSB(result) ^ CF for every
//   count (the 1-bit rule on the last step); AF cleared.
// - SHR: OF = the original MSB for a count of 1, else 0; AF cleared.
// - SAR: OF and AF cleared.
// - ROL: CF = LSB(result), OF = MSB(result) ^ CF; ROR: CF = MSB(result),
//   OF = MSB ^ MSB-1 of the result (computed from the result, any count).
// Inline only for a masked count of 1..width-1 (SHL/SHR/SAR: past the width
// the host's CF is undefined) or 1..31 (rotates): a count of 0 changes
// nothing, flags included, and RCL/RCR and counts in CL call the handler.
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool shift_inlines(const x86::Insn& i) {
  if (i.num_operands != 2 || (i.prefixes & x86::kPrefixLock)) return false;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& c = i.ops[1];
  if ((d.kind != OperandKind::kReg && d.kind != OperandKind::kMem) || c.kind != OperandKind::kImm) return false;
  const unsigned bits = d.size * 8u;
  if (d.size != 1 && d.size != 2 && d.size != 4) return false;
  const unsigned count = c.imm & 0x1F;
  if (count == 0) return false;
  switch (i.mnemonic) {
    case Mnemonic::kRol:
    case Mnemonic::kRor: return true;
    case Mnemonic::kShl:
    case Mnemonic::kSal:
    case Mnemonic::kShr:
    case Mnemonic::kSar: return count < bits;
    default: return false;
  }
}

void emit_shift(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!shift_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size, bits = w * 8;
  const unsigned count = i.ops[1].imm & 0x1F;
  const bool mem = d.kind == OperandKind::kMem;
  const ax::Gp r = scratch(w);
  const uint32_t written = begin_flags(env, i, mem);
  const bool live = written != 0;
  if (mem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/true);  // count != 0: it writes
  } else {
    emit_get(env, r, d.reg, w);
  }
  uint32_t from_host = written;
  switch (i.mnemonic) {
    case Mnemonic::kRol: a.rol(r, count); break;
    case Mnemonic::kRor: a.ror(r, count); break;
    case Mnemonic::kShl:
    case Mnemonic::kSal: a.shl(r, count); break;
    case Mnemonic::kShr: a.shr(r, count); break;
    default: a.sar(r, count); break;
  }
  if (live) {
    switch (i.mnemonic) {
      case Mnemonic::kRol:  // r13 := CF | OF from the result
        a.mov(ax::r13d, ax::eax);
        a.and_(ax::r13d, 1);
        a.mov(ax::r10d, ax::eax);
        a.shr(ax::r10d, bits - 1);
        a.and_(ax::r10d, 1);
        a.xor_(ax::r10d, ax::r13d);
        a.shl(ax::r10d, 11);
        a.or_(ax::r13d, ax::r10d);
        break;
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
        break;
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
        from_host = written & ~uint32_t(x86::kAF);
        break;
      case Mnemonic::kShr:
        a.pushfq();
        a.pop(ax::r13);
        from_host = written & ~uint32_t(x86::kAF) & (count == 1 ? ~0u : ~uint32_t(x86::kOF));
        break;
      default:
        a.pushfq();
        a.pop(ax::r13);
        from_host = written & ~uint32_t(x86::kAF | x86::kOF);
        break;
    }
  }
  if (mem) {
    a.mov(ax::ecx, ax::eax);
    emit_effective_address(env, i, ax::edx);
    emit_store(env, bi, i.mem.seg, w);
  } else {
    emit_put(env, d.reg, w, r);
  }
  if (live) emit_merge_flags(env, written, from_host);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

}  // namespace

void register_shift(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kRol, Mnemonic::kRor, Mnemonic::kShl, Mnemonic::kSal, Mnemonic::kShr, Mnemonic::kSar})
    t.set(m, emit_shift, shift_inlines);
}

}  // namespace tx86::jit
