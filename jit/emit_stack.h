// Inline stack accesses (SDM Vol. 1, 6.2 and Vol. 2 PUSH/POP): SS:eSP with
// a 16- or 32-bit stack pointer as SS.B was when the block was translated
// (part of the block key), through the inline memory path (emit_memory.h),
// so the segment, TLB and fault behaviour are the interpreter's.
//
// For other emitters (CALL/RET near: emit_control_transfer.cpp):
//   emit_push(env, bi, w): pushes the low w (2 or 4) bytes of ecx; ESP is
//     written only after the store succeeded.
//   emit_pop(env, bi, w): eax := the w bytes at SS:eSP, then ESP += w.
// Both clobber every caller-saved host register and the host flags; a
// fault exits the block with kExitFault (EIP at `bi`, ESP unchanged).
// After a push, emit_stop_check (emit_memory.h) stops the block if the store
// rewrote its own code.
#pragma once

#include "jit/jit_table.h"

namespace tx86::jit {

void emit_push(EmitEnv& env, const BlockInsn& bi, unsigned w);
void emit_pop(EmitEnv& env, const BlockInsn& bi, unsigned w);

}  // namespace tx86::jit
