// SYSENTER and SYSEXIT: the fast system-call pair (SDM Vol. 2 "SYSENTER",
// "SYSEXIT"; Vol. 3A, 5.8.7). They load flat ring-0 / ring-3 code and stack
// segments computed from IA32_SYSENTER_CS without reading any descriptor,
// so they belong to the trap-and-emulate module beside the MSRs that drive
// them (msr_cpuid.cpp registers them).
#pragma once

#include "core/interp/handler_table.h"

namespace tx86::core::priv {

void register_sysenter(interp::HandlerTable& t);

}  // namespace tx86::core::priv
