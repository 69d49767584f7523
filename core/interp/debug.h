// Debug-register semantics the engine applies at instruction boundaries
// (SDM Vol. 3A, chapter 17): instruction breakpoints (DR0-DR3 with R/W =
// 00, a fault before the instruction, suppressed for one instruction by
// EFLAGS.RF), the #DB trap after an instruction for single-step (TF, DR6.BS)
// and data breakpoints (R/W = 01 / 11, DR6.B0-B3; the accesses themselves
// are caught by Cpu's slow path, see Cpu::update_breakpoints), and RF being
// cleared once an instruction has started. DR7.GD is handled by MOV DRn
// (core/priv/control_registers.cpp).
#pragma once

#include <cstdint>

#include "core/cpu.h"

namespace tx86::core::interp {

constexpr uint32_t kDr6Bs = 1u << 14;
constexpr uint32_t kDr7Gd = 1u << 13;

// Whether the next boundary needs the (slow) debug checks: a breakpoint
// enabled in DR7 (L0-L3, G0-G3) or RF set.
inline bool debug_active(const CpuState& s) { return (s.dr[7] & 0xFF) != 0 || (s.eflags & x86::kRF) != 0; }

// Before the instruction at CS:EIP. With RF set, clears RF and checks
// nothing (17.3.1.1: RF lets the instruction run once). Otherwise, if an
// enabled instruction breakpoint matches CS.base + EIP, sets its DR6 bits,
// clears DR7.GD and records #DB in cpu.fault (a fault: returns true; the
// engine delivers it with EIP at the instruction). Also clears the data
// breakpoint hits of the previous instruction.
bool instruction_breakpoint(Cpu& cpu);

// After an instruction retired: whether a #DB trap is due for single-step
// (`single_step`: TF was set when it began) or data breakpoints hit by it.
// Sets DR6.BS / B0-B3 and clears DR7.GD (17.2.4) when it is.
bool debug_trap_due(Cpu& cpu, bool single_step);

}  // namespace tx86::core::interp
