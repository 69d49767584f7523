// Interrupt and exception delivery (SDM Vol. 3A, chapter 6 and 20.1.4).
// Real mode: through the interrupt vector table (push FLAGS, CS, IP; clear
// IF, TF, AC and RF; load CS:IP from the IVT entry). Protected mode: through
// the IDT's interrupt, trap and task gates (6.11-6.12), with the inner-ring
// stack switch from the TSS, error codes with the EXT and IDT bits (6.13),
// and from V86 mode to ring 0 (20.3.1). Exception classes, #DF and the
// triple fault (6.15, table 6-5) are in deliver_exception. Used by INT n /
// INT3 / INTO / INT1, by the engine for exceptions and external interrupts,
// and by the JIT.
#pragma once

#include <cstdint>

#include "core/machine.h"

namespace tx86::core::interp {

// What raised the event: it decides the gate-DPL check (software only), the
// V86 IOPL check (INT n only) and the EXT bit of error codes (exceptions and
// external interrupts).
enum class EventKind : uint8_t {
  kSoftwareInt,   // INT n (CD ib)
  kSoftwareTrap,  // INT3, INTO
  kIcebp,         // INT1 (F1): no DPL check (SDM "INT n", note on INT1)
  kException,     // a fault or trap the CPU detected
  kExternal,      // a hardware interrupt
};

// Delivers `vector` with `return_eip` as the pushed return address (and
// `error` when has_error). Returns false with cpu.fault set if the delivery
// itself faulted; nothing changed then (except after a task switch has been
// committed: the fault then belongs to the new task, SDM 7.3).
bool deliver_interrupt(Machine& m, uint8_t vector, uint32_t return_eip, EventKind kind = EventKind::kSoftwareInt,
                       bool has_error = false, uint32_t error = 0);

// After a task switch into a TSS whose T flag is set (cpu.task_switch_trap,
// SDM Vol. 3A, 17.3.1.5): sets DR6.BT and, unless `merged` (the engine
// reports a #DB trap after this instruction anyway, for single-step or a
// data breakpoint, and BT goes with it), delivers the #DB trap now, before
// the new task's first instruction (its EIP is the return address). Clears
// cpu.task_switch_trap. Returns false with cpu.fault set if delivering the
// #DB faulted (the engine then delivers that fault in the new task).
// deliver_interrupt and deliver_exception call it for task gates; far
// JMP/CALL and IRET call it after their task switches.
bool task_switch_trap(Cpu& cpu, bool merged);

// Delivers the exception `f` raised at the current EIP, turning a second
// fault during delivery into #DF or a serial delivery as SDM Vol. 3A table
// 6-5 says. Returns false when the CPU shuts down (triple fault).
bool deliver_exception(Machine& m, const Fault& f);

}  // namespace tx86::core::interp
