// What an engine other than the Interpreter (the JIT, jit/) needs from the
// interpreter to behave exactly like it: exception delivery after a faulting
// instruction, done the way Interpreter::run/step do it (through
// interp::deliver_exception, which applies SDM Vol. 3A 6.15: #DF classes and
// the triple fault).
//
// The JIT cannot instead re-run a faulting instruction in the interpreter:
// a few handlers leave part of their work done when they fault, as the
// hardware does (the 80286's string instructions advance SI/DI before a
// word access at offset FFFF faults), so a second run would do it twice.
//
// Keep this in step with Interpreter::Impl::deliver_exception (interpreter.cpp);
// the plan is for the interpreter to call this function so there is one copy.
#pragma once

#include "core/interp/interpreter.h"
#include "core/machine.h"

namespace tx86::core::interp {

// Delivers m.cpu().fault with EIP at the faulting instruction: reports it to
// `trace` (may be null), counts one clock unit for the delivery (as the
// interpreter does, so that a fault loop still reaches its budget), clears
// HLT. Returns false on shutdown (triple fault).
bool deliver_pending_exception(Machine& m, TraceSink* trace);

}  // namespace tx86::core::interp
