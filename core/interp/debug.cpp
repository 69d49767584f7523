#include "core/interp/debug.h"

namespace tx86::core::interp {

namespace {

// Enabled breakpoint n (L or G) with its R/W and LEN fields.
inline bool enabled(uint32_t dr7, unsigned n) { return ((dr7 >> (2 * n)) & 3) != 0; }
inline unsigned rw_field(uint32_t dr7, unsigned n) { return (dr7 >> (16 + 4 * n)) & 3; }
inline uint32_t len_bytes(uint32_t dr7, unsigned n) {
  const unsigned len = (dr7 >> (18 + 4 * n)) & 3;
  return len == 0 ? 1 : len == 1 ? 2 : len == 3 ? 4 : 8;
}

}  // namespace

bool instruction_breakpoint(Cpu& cpu) {
  CpuState& s = cpu.s;
  if (cpu.model() == x86::CpuModel::k286) return false;
  if (s.eflags & x86::kRF) {
    s.eflags &= ~x86::kRF;
    return false;
  }
  const uint32_t dr7 = s.dr[7];
  const uint32_t linear = s.seg[x86::kCs].base + s.eip;
  uint32_t hits = 0;
  for (unsigned n = 0; n < 4; ++n) {
    if (!enabled(dr7, n)) continue;
    // R/W = 00 (execute); LEN must be 00 for instruction breakpoints
    // (17.2.5), so the match is on the exact first byte.
    if (rw_field(dr7, n) != 0 || ((dr7 >> (18 + 4 * n)) & 3) != 0) continue;
    if (s.dr[n] == linear) hits |= 1u << n;
  }
  if (hits == 0) return false;
  s.dr[6] |= hits;
  s.dr[7] &= ~kDr7Gd;
  cpu.raise(kDB);
  return true;
}

bool debug_trap_due(Cpu& cpu, bool single_step) {
  CpuState& s = cpu.s;
  uint32_t bits = cpu.data_breakpoint_hits | s.held_debug_traps;
  if (single_step && !cpu.suppress_single_step) bits |= kDr6Bs;
  s.held_debug_traps = 0;
  const bool hold = cpu.hold_debug_traps;
  begin_debug_instruction(cpu);
  if (hold) {
    // MOV SS / POP SS: the traps wait for the next instruction (6.8.3).
    s.held_debug_traps = bits;
    return false;
  }
  if (bits == 0) return false;
  if (cpu.model() == x86::CpuModel::k286) return true;  // no debug registers
  s.dr[6] |= bits;
  s.dr[7] &= ~kDr7Gd;
  return true;
}

void io_breakpoints(Cpu& cpu, uint16_t port, unsigned size) {
  const CpuState& s = cpu.s;
  const uint32_t dr7 = s.dr[7];
  if (!(s.cr4 & kCr4DE) || (dr7 & 0xFF) == 0 || cpu.model() == x86::CpuModel::k286) return;
  for (unsigned n = 0; n < 4; ++n) {
    if (!enabled(dr7, n) || rw_field(dr7, n) != 2) continue;
    const uint32_t bytes = len_bytes(dr7, n);
    const uint32_t first = (s.dr[n] & 0xFFFF) & ~(bytes - 1);
    if (port <= first + bytes - 1 && first <= uint32_t{port} + size - 1) cpu.data_breakpoint_hits |= 1u << n;
  }
}

}  // namespace tx86::core::interp
