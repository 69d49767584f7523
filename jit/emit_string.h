// REP MOVS, REP STOS, REPE/REPNE CMPS and SCAS as bulk operations (issue
// #4, item 2).
//
// One execution of a REP string instruction is what the interpreter's
// handler does in one go (core/interp/string.cpp): up to kRepChunk (1024)
// iterations, retired as one instruction, then a restart with EIP unchanged
// so that interrupts come between chunks. The bulk path does exactly that
// chunk, in host memory, when nothing in it can differ from the handler:
// both segment checks pass at the first and the last element (so at every
// one), no offset wraps the address size and no linear address wraps 4 GiB,
// the elements are aligned (none crosses a page), and every page the chunk
// touches is already in the TLB for the access (read tag for the source,
// write tag for the destination: RAM, not holding code, no data breakpoint,
// A/D bits already set by the walk that filled it) in the current memory
// generation. Then the handler's accesses would all be TLB hits with no side
// effect but the bytes; the copy goes element by element in the handler's
// order wherever source and destination overlap in host memory (aliases
// included); CMPS and SCAS go element by element with the handler's flag
// computation (sem::sub) and stop tests. Anything else (a fault, a page not cached yet, MMIO, stores over
// code, misalignment) runs the handler for the whole chunk, so faults at page
// boundaries, SMC invalidation and the 286's fault quirks stay the
// interpreter's own.
#pragma once

#include "core/interp/exec_context.h"
#include "jit/jit_table.h"

namespace tx86::jit {

// Tries one execution of the REP string instruction in bulk; false (nothing
// changed) if the handler must run it.
using BulkFn = bool (*)(core::interp::ExecContext& c, const x86::Insn& i);

// The bulk function for an instruction, or null (not REP MOVS/STOS/CMPS/SCAS).
BulkFn bulk_for(const x86::Insn& i);

// Registers the string emitters (called from register_control_transfer
// until jit_table.cpp calls it itself).
void register_string(JitTable& t);

}  // namespace tx86::jit
