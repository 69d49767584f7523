// A slow path to the interpreter's handler for an inline emitter whose fast
// path covers only the common cases (DIV/IDIV without #DE, shifts by CL with
// a count below the width, CALL/JMP r/m within the CS limit): the rare cases
// jump out of line, where the handler runs the instruction on the guest
// state of that point and the block ends after it (or exits on its fault,
// EIP at the instruction and the state before it, as the interpreter
// leaves it). So every case the inline code does not do is the
// interpreter's by construction.
#pragma once

#include <asmjit/x86.h>

#include "jit/jit_table.h"

namespace tx86::jit {

// A label to jump to for the handler path of `bi`. The guest state at the
// jump must be the one at this call: no guest register written, no flags
// captured in between (the out-of-line code writes back the registers the
// register cache holds as of this call, with env.pending inline
// instructions retired before the handler's).
asmjit::Label emit_handler_fallback(EmitEnv& env, const BlockInsn& bi);

}  // namespace tx86::jit
