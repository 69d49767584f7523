// Interrupt and exception delivery (SDM Vol. 3A, 6.4 and 20.1.4): the real-
// mode path through the interrupt vector table (push FLAGS, CS, IP; clear IF,
// TF, AC and RF; load CS:IP from the IVT entry). Used by INT n / INT3 / INTO /
// INT1, by the engine for exceptions and external interrupts, and by the JIT.
#pragma once

#include <cstdint>

#include "core/machine.h"

namespace tx86::core::interp {

// Delivers `vector` with `return_eip` as the pushed return address. Returns
// false with cpu.fault set if the delivery itself faulted (IVT entry beyond
// the IDTR limit: #GP; stack push out of limits: #SS); nothing changed then.
bool deliver_interrupt(Machine& m, uint8_t vector, uint32_t return_eip);

}  // namespace tx86::core::interp
