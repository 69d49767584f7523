// What emitted code works with at run time: the interpreter's ExecContext
// (handlers take it), the CPU state and clock, the block running and its stop
// flag. One per JitEngine; rbx points at it inside generated code.
#pragma once

#include <cstdint>

#include "core/clock.h"
#include "core/interp/exec_context.h"
#include "jit/block.h"

namespace tx86::jit {

struct JitContext {
  core::interp::ExecContext exec;
  core::CpuState* s = nullptr;
  core::Clock* clock = nullptr;
  const Block* current = nullptr;
  // Set by the translation cache when the running block was invalidated
  // (self-modifying code): the block stops after the current instruction.
  bool stop = false;
};

// The clock's retired-instruction counter, for generated code that retires
// inline instructions itself. Clock keeps it private; its offset is found
// once by retiring a marker on a scratch Clock (same type, same layout).
uint64_t* retired_counter(core::Clock& clock);

// Runs one instruction through its interpreter handler exactly as the
// interpreter's loop does (EIP, clock, attention and shadow), and says
// whether the block goes on. `pending` inline instructions ran before it
// since the clock was last brought up to date: they are retired first, so
// that the handler sees the exact clock. Called from generated code.
uint32_t exec_insn_thunk(JitContext* c, const BlockInsn* bi, uint32_t pending);

}  // namespace tx86::jit
