#include "core/interp/debug.h"

namespace tx86::core::interp {

bool instruction_breakpoint(Cpu& cpu) {
  CpuState& s = cpu.s;
  cpu.data_breakpoint_hits = 0;
  if (cpu.model() == x86::CpuModel::k286) return false;
  if (s.eflags & x86::kRF) {
    s.eflags &= ~x86::kRF;
    return false;
  }
  const uint32_t dr7 = s.dr[7];
  const uint32_t linear = s.seg[x86::kCs].base + s.eip;
  uint32_t hits = 0;
  for (unsigned n = 0; n < 4; ++n) {
    if (((dr7 >> (2 * n)) & 3) == 0) continue;
    // R/W = 00 (execute); LEN must be 00 for instruction breakpoints
    // (17.2.5), so the match is on the exact first byte.
    if (((dr7 >> (16 + 4 * n)) & 3) != 0) continue;
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
  const uint32_t hits = cpu.data_breakpoint_hits;
  cpu.data_breakpoint_hits = 0;
  if (!single_step && hits == 0) return false;
  if (cpu.model() == x86::CpuModel::k286) return true;  // no debug registers
  s.dr[6] |= hits | (single_step ? kDr6Bs : 0);
  s.dr[7] &= ~kDr7Gd;
  return true;
}

}  // namespace tx86::core::interp
