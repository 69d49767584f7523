// Helpers shared by the inline emitters: where a guest register lives in the
// CpuState (addressed from r12) and the host scratch register of a width.
#pragma once

#include <asmjit/x86.h>

#include <cstddef>
#include <cstdint>

#include "core/cpu_state.h"

namespace tx86::jit {

// The CpuState bytes of general register `r` at width `w` (the 8-bit
// encoding's AH..BH are byte 1 of EAX..EBX).
inline asmjit::x86::Mem reg_mem(unsigned r, unsigned w) {
  namespace ax = asmjit::x86;
  const int32_t gpr = static_cast<int32_t>(offsetof(core::CpuState, gpr));
  if (w == 1) {
    const int32_t off = r < 4 ? gpr + 4 * int32_t(r) : gpr + 4 * int32_t(r - 4) + 1;
    return ax::byte_ptr(ax::r12, off);
  }
  const int32_t off = gpr + 4 * int32_t(r);
  return w == 2 ? ax::word_ptr(ax::r12, off) : ax::dword_ptr(ax::r12, off);
}

inline asmjit::x86::Mem eflags_mem() {
  return asmjit::x86::dword_ptr(asmjit::x86::r12, static_cast<int32_t>(offsetof(core::CpuState, eflags)));
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
// of them that equal the guest's (the rest of `written` become 0).
inline void emit_merge_flags(asmjit::x86::Assembler& a, uint32_t written, uint32_t from_host) {
  namespace ax = asmjit::x86;
  a.and_(ax::r13d, from_host);
  a.and_(eflags_mem(), ~written);
  a.or_(eflags_mem(), ax::r13d);
}

// Host flags := the guest's condition `cc` (SDM Vol. 1, B.1) from the guest
// EFLAGS, so that the host Jcc/SETcc/CMOVcc of the same code tests it: OF
// through ADD AL,7Fh (0x7F + 1 overflows), then SF ZF AF PF CF through SAHF
// (which keeps OF). Clobbers eax and ecx.
inline void emit_guest_condition(asmjit::x86::Assembler& a, unsigned cc) {
  namespace ax = asmjit::x86;
  const unsigned group = (cc & 0xF) >> 1;
  const bool needs_of = group == 0 || group == 6 || group == 7;
  const bool needs_low = group != 0;
  a.mov(ax::ecx, eflags_mem());
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
