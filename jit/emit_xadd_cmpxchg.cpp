// Inline XADD and CMPXCHG (SDM Vol. 2; 486+) on a register or memory
// destination with a register source, as core/interp/arithmetic.cpp does
// them:
// - XADD: dest := dest + src with ADD's six flags, then src := the old dest
//   (when both are one register it ends with the sum). The host ADD gives
//   the flags.
// - CMPXCHG: the flags of CMP accumulator, dest; if equal dest := src, else
//   accumulator := dest and dest is written with its own value (a memory
//   destination is always written: a read-only page faults either way).
//   The host CMP gives the flags, CMOVs pick the values.
// With memory the destination is read as for a write (emit_load), stored,
// and only then are the source register, the accumulator and the flags
// written, so a fault changes nothing; the old value waits in the spill
// slot [rsp] across the store's slow path. LOCK changes nothing in the
// interpreter (the decoder refuses it where it is not allowed), so locked
// forms are inline too.
#include "jit/emit_memory.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

bool exchange_inlines(const x86::Insn& i) {
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  return i.num_operands == 2 && (d.kind == OperandKind::kReg || d.kind == OperandKind::kMem) &&
         (d.size == 1 || d.size == 2 || d.size == 4) && s.kind == OperandKind::kReg && s.size == d.size;
}

// edx / dx / dl.
ax::Gp scratch3(unsigned w) { return w == 1 ? ax::Gp(ax::dl) : w == 2 ? ax::Gp(ax::dx) : ax::Gp(ax::edx); }

void emit_xadd(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!exchange_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size, src = i.ops[1].reg;
  const bool mem = d.kind == OperandKind::kMem;
  const uint32_t written = begin_flags(env, i, mem);
  emit_read_dest(env, bi, w);
  emit_get(env, scratch2(w), src, w);
  a.add(scratch2(w), scratch(w));  // ecx := the sum (ADD's flags either way round)
  if (mem) {
    if (written != 0) emit_capture_flags(env);
    a.mov(ax::dword_ptr(ax::rsp), ax::eax);  // the old value survives the store's slow path
    emit_effective_address(env, i, ax::edx);
    emit_store(env, bi, i.mem.seg, w);
    a.mov(ax::eax, ax::dword_ptr(ax::rsp));
    emit_put(env, src, w, scratch(w));
  } else {
    emit_put(env, d.reg, w, scratch2(w));
    if (d.reg != src) emit_put(env, src, w, scratch(w));
    if (written != 0) emit_capture_flags(env);  // after the MOVs: the host flags stay the guest's
  }
  if (written != 0) emit_merge_flags(env, written, written);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

void emit_cmpxchg(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (!exchange_inlines(i)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const x86::Operand& d = i.ops[0];
  const unsigned w = d.size, src = i.ops[1].reg;
  const bool mem = d.kind == OperandKind::kMem;
  const uint32_t written = begin_flags(env, i, mem);
  emit_read_dest(env, bi, w);  // eax := dest
  emit_get(env, scratch3(w), src, w);             // edx := src
  a.emit(ax::Inst::kIdCmp, guest(env, x86::kEax, w), scratch(w));
  // Only MOVs and CMOVs from here to the capture (register form).
  a.mov(ax::ecx, ax::eax);
  a.cmovz(ax::ecx, ax::edx);                       // ecx := the new dest
  if (mem) {
    if (written != 0) emit_capture_flags(env);
    a.mov(ax::dword_ptr(ax::rsp), ax::eax);
    emit_effective_address(env, i, ax::edx);
    emit_store(env, bi, i.mem.seg, w);
    // The accumulator := the old dest if they differed (compared again:
    // the store clobbered the host flags; the accumulator is unchanged).
    a.mov(ax::eax, ax::dword_ptr(ax::rsp));
    emit_get(env, scratch3(w), x86::kEax, w);
    a.cmp(scratch3(w), scratch(w));
    a.cmovnz(ax::edx, ax::eax);
    emit_put(env, x86::kEax, w, scratch3(w));
  } else {
    // r10 := the new accumulator; written before dest (CMPXCHG EAX, r:
    // equal, dest := src last).
    const ax::Gp acc = w == 1 ? ax::Gp(ax::r10b) : w == 2 ? ax::Gp(ax::r10w) : ax::Gp(ax::r10d);
    emit_get(env, acc, x86::kEax, w);
    a.cmovnz(ax::r10d, ax::eax);
    emit_put(env, x86::kEax, w, acc);
    emit_put(env, d.reg, w, scratch2(w));
    if (written != 0) emit_capture_flags(env);
  }
  if (written != 0) emit_merge_flags(env, written, written);
  ++env.pending;
  if (mem) emit_stop_check(env, bi);
}

}  // namespace

void register_xadd_cmpxchg(JitTable& t) {
  t.set(Mnemonic::kXadd, emit_xadd, exchange_inlines);
  t.set(Mnemonic::kCmpxchg, emit_cmpxchg, exchange_inlines);
}

}  // namespace tx86::jit
