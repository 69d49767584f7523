// Chain stubs: how a block hands over to the next one without going back
// through the dispatcher's checks (issue #4, item 4).
//
// A direct exit (branch target or fall-through known at translation) has a
// ChainSlot in its block (block.h). Its stub goes on to the slot's block if
// the slot was linked in the current epoch and the target fits before the
// deadline (retired + count <= ChainState::deadline), exactly the test the
// dispatcher makes before running a block, so interrupts and events still
// come at the interpreter's instruction boundaries. Otherwise it records the
// slot in ChainState::missed and returns kExitEnd; the dispatcher finds the
// target and patches the slot. An exit known only at run time (RET, JMP/CALL
// r/m) asks chain_lookup() (jit_engine.cpp) for the target through a
// direct-mapped table keyed by linear EIP and checked against the mode, the
// CS limit, the epoch and the deadline.
//
// Going on is a jump from block to block: every block has the same frame
// (block_builder.cpp: the prologue at `entry` pushes the callee-saved
// registers and sets rbx and r12, the body starts at `Block::body`), so a
// stub sets JitContext::current and jumps to the next block's body; the
// block that finally returns to the dispatcher pops the frame. Before every
// exit the cached guest registers are written back (reg_cache.h), so a
// block's body always starts from the CpuState.
#pragma once

#include <cstdint>

#include "jit/jit_table.h"

namespace tx86::jit {

// Leaves the block through direct exit `slot` to `target` (an EIP). EIP and
// the clock must be up to date (emit_retire) and no handler may have asked
// for attention.
void emit_direct_exit(EmitEnv& env, ChainSlot& slot, uint32_t target);
// Leaves the block after an exit whose target is in EIP (clock up to date);
// `eip_in_eax`: eax holds it too, so the lookup need not read it back.
void emit_indirect_exit(EmitEnv& env, bool eip_in_eax = false);
// Calls the instruction's handler through exec_branch_thunk: afterwards
// the block has returned on a fault or when it must stop, else EIP is the
// branch's outcome and the clock is up to date.
void emit_branch_handler(EmitEnv& env, const BlockInsn& bi);

}  // namespace tx86::jit
