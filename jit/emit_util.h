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

}  // namespace tx86::jit
