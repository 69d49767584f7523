// Helpers shared by the inline emitters: guest registers and EFLAGS wherever
// they live in the block (reg_cache.h), and the host scratch registers.
#pragma once

#include <asmjit/x86.h>

#include <cstddef>
#include <cstdint>

#include "core/cpu_state.h"
#include "jit/jit_table.h"

namespace tx86::jit {

// Guest general register `r` at width `w` (the 8-bit encoding's AH..BH are
// byte 1 of EAX..EBX), wherever it lives in this block (reg_cache.h): a host
// register or the CpuState. Reads need nothing more.
inline asmjit::Operand guest(const EmitEnv& env, unsigned r, unsigned w) { return env.rc.operand(r, w); }

// dst := guest register `r` (dst has width `w`).
inline void emit_get(EmitEnv& env, const asmjit::x86::Gp& dst, unsigned r, unsigned w) {
  env.a.emit(asmjit::x86::Inst::kIdMov, dst, guest(env, r, w));
}
// Guest register `r` at width `w` := src (a host register of width `w` or an
// immediate).
inline void emit_put(EmitEnv& env, unsigned r, unsigned w, const asmjit::Operand& src) {
  env.a.emit(asmjit::x86::Inst::kIdMov, guest(env, r, w), src);
  if (w != 1 || r < 4) env.rc.written(r);
}
// Guest register `r` at width `w` op= src (ADD, SUB, ...), as the host
// instruction `id` does it.
inline void emit_guest_op(EmitEnv& env, asmjit::x86::Inst::Id id, unsigned r, unsigned w, const asmjit::Operand& src) {
  env.a.emit(id, guest(env, r, w), src);
  if (w != 1 || r < 4) env.rc.written(r);
}

// eax / ax / al.
inline asmjit::x86::Gp scratch(unsigned w) {
  namespace ax = asmjit::x86;
  return w == 1 ? ax::Gp(ax::al) : w == 2 ? ax::Gp(ax::ax) : ax::Gp(ax::eax);
}

// ecx / cx / cl.
inline asmjit::x86::Gp scratch2(unsigned w) {
  namespace ax = asmjit::x86;
  return w == 1 ? ax::Gp(ax::cl) : w == 2 ? ax::Gp(ax::cx) : ax::Gp(ax::ecx);
}

inline uint32_t width_mask(unsigned w) { return w == 1 ? 0xFFu : w == 2 ? 0xFFFFu : 0xFFFFFFFFu; }

// Guest EFLAGS := (EFLAGS & ~written) | (r13d & from_host): r13 holds the
// host flags an instruction produced (PUSHFQ; POP r13), `from_host` the ones
// of them that equal the guest's (the rest of `written` become 0). The merge
// is left pending (reg_cache.h): the emitter called rc.prepare_flags(written)
// before it computed them.
inline void emit_merge_flags(EmitEnv& env, uint32_t written, uint32_t from_host) {
  env.rc.set_pending(written, from_host);
}
// r13 := the host flags (PUSHFQ; POP r13) right after the host instruction
// that computed them; they also stay in the host's flags register until the
// next code that changes them (RegCache::note_host_flags). `last`: the
// emitter emits no more code for the instruction, so the capture may wait
// for the block builder's decision at the next one (RegCache::defer_capture).
inline void emit_capture_flags(EmitEnv& env, bool last = false) {
  if (last) {
    env.rc.defer_capture(env.a.offset());
    return;
  }
  env.a.pushfq();
  env.a.pop(asmjit::x86::r13);
  env.rc.note_host_flags(env.a.offset());
}

// The arithmetic flags instruction `i` writes, if something may still read
// them (EmitEnv::flags_live_after), else 0: then it need not compute them.
// If it must, the register cache gets ready (reg_cache.h): older pending
// flags are merged now if these do not overwrite them all.
//
// `store_after`: a read-modify-write of memory, which stores after its
// PUSHFQ, so that r13 already holds the new flags while the register cache
// still has the older ones pending, and the store's slow path flushes in
// the older form (masking r13 with their `from_host`). The store cannot
// fault (its read for write passed every check the store needs: segment
// rights, the write translation of every page it touches, #AC), so no
// exit ever needs the older flags there, and the interpreter's accessor
// reads no arithmetic flag. What must hold is that the flush's merge in
// the older form leaves r13 whole: older flags pending in the full form
// (all six from the host, as after CMP, SUB, ADD and at loop heads) need
// nothing; any other form is merged first.
inline uint32_t begin_flags(EmitEnv& env, const x86::Insn& i, bool store_after) {
  const uint32_t written = i.flags_written & x86::kArithFlags;
  if ((written & env.flags_live_after) == 0) return 0;
  if (store_after && !env.rc.pending_in_full_form()) env.rc.materialize_flags(env.a);
  else env.rc.prepare_flags(env.a, written);
  return written;
}

// The flags condition code `cc` (SDM Vol. 1, B.1) reads.
inline uint32_t condition_reads(unsigned cc) {
  switch ((cc & 0xF) >> 1) {
    case 0: return x86::kOF;
    case 1: return x86::kCF;
    case 2: return x86::kZF;
    case 3: return x86::kCF | x86::kZF;
    case 4: return x86::kSF;
    case 5: return x86::kPF;
    case 6: return x86::kSF | x86::kOF;
    default: return x86::kZF | x86::kSF | x86::kOF;
  }
}

// Host flags := the guest's condition `cc` (SDM Vol. 1, B.1) from the guest
// EFLAGS, so that the host Jcc/SETcc/CMOVcc of the same code tests it: OF
// through ADD AL,7Fh (0x7F + 1 overflows), then SF ZF AF PF CF through SAHF
// (which keeps OF). Clobbers eax and ecx.
inline void emit_guest_condition(EmitEnv& env, unsigned cc) {
  namespace ax = asmjit::x86;
  ax::Assembler& a = env.a;
  const unsigned group = (cc & 0xF) >> 1;
  const bool needs_of = group == 0 || group == 6 || group == 7;
  const bool needs_low = group != 0;
  a.emit(ax::Inst::kIdMov, ax::ecx, env.rc.condition_flags(a, condition_reads(cc)));
  if (needs_of) {
    a.mov(ax::eax, ax::ecx);
    a.shr(ax::eax, 11);
    a.and_(ax::eax, 1);
    a.add(ax::al, 0x7F);
  }
  if (needs_low) {
    a.mov(ax::ah, ax::cl);
    a.sahf();
  }
}

}  // namespace tx86::jit
