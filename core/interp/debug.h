// Debug-register semantics the engine applies at instruction boundaries
// (SDM Vol. 3A, chapter 17): instruction breakpoints (DR0-DR3 with R/W =
// 00, a fault before the instruction, suppressed for one instruction by
// EFLAGS.RF), the #DB trap after an instruction for single-step (TF, DR6.BS),
// data breakpoints (R/W = 01 / 11, DR6.B0-B3; the accesses themselves are
// caught by Cpu's slow path, see Cpu::update_breakpoints) and I/O
// breakpoints (R/W = 10 with CR4.DE, matched by the port handlers through
// io_breakpoints()), and RF being cleared once an instruction has started.
// Three refinements (the transient flags in Cpu, set by handlers):
//   - INT n / INT3 / INTO / INT1 that delivered clear TF and take no
//     single-step trap themselves (17.3.1.4);
//   - MOV SS / POP SS hold their single-step and data-breakpoint traps
//     until after the next instruction (6.8.3, CpuState::held_debug_traps);
//   - a task switch into a TSS with T = 1 raises #DB with DR6.BT before the
//     new task's first instruction (17.3.1.5; interp::task_switch_trap).
// DR7.GD is handled by MOV DRn (core/priv/control_registers.cpp).
#pragma once

#include <cstdint>

#include "core/cpu.h"

namespace tx86::core::interp {

constexpr uint32_t kDr6Bt = 1u << 15;
constexpr uint32_t kDr6Bs = 1u << 14;
constexpr uint32_t kDr7Gd = 1u << 13;

// Whether the next boundary needs the (slow) debug checks: a breakpoint
// enabled in DR7 (L0-L3, G0-G3), RF set, or traps held by a MOV SS.
inline bool debug_active(const CpuState& s) {
  return (s.dr[7] & 0xFF) != 0 || (s.eflags & x86::kRF) != 0 || s.held_debug_traps != 0;
}

// Before an instruction that runs with debug checks (single-step or
// debug_active): forgets the transient debug-trap flags and data-breakpoint
// hits left by instructions that ran without them.
inline void begin_debug_instruction(Cpu& cpu) {
  cpu.data_breakpoint_hits = 0;
  cpu.hold_debug_traps = false;
  cpu.suppress_single_step = false;
}

// Before the instruction at CS:EIP. With RF set, clears RF and checks
// nothing (17.3.1.1: RF lets the instruction run once). Otherwise, if an
// enabled instruction breakpoint matches CS.base + EIP, sets its DR6 bits,
// clears DR7.GD and records #DB in cpu.fault (a fault: returns true; the
// engine delivers it with EIP at the instruction).
bool instruction_breakpoint(Cpu& cpu);

// After an instruction retired: whether a #DB trap is due for single-step
// (`single_step`: TF was set when it began, unless the instruction was a
// software interrupt that delivered), data or I/O breakpoints hit by it, or
// traps held from a MOV SS / POP SS just before it. Sets DR6.BS / B0-B3 and
// clears DR7.GD (17.2.4) when it is. After a MOV SS / POP SS the traps are
// held instead (returns false).
bool debug_trap_due(Cpu& cpu, bool single_step);

// I/O breakpoints (17.2.4, 17.2.5): with CR4.DE = 1, every enabled
// breakpoint with R/W = 10 whose port range (DRn aligned down to LEN: 1, 2
// or 4 bytes; LEN 10 is undefined on the P6 and taken as 8) overlaps
// [port, port + size) is recorded as hit (DR6.Bn in the trap after the
// instruction). With CR4.DE = 0, R/W = 10 is undefined (386/486
// compatibility) and never matches here.
void io_breakpoints(Cpu& cpu, uint16_t port, unsigned size);

}  // namespace tx86::core::interp
