// The chaining state generated code reads and writes (emit_chain.h,
// emit_join.h) and the one way links die. Its own header so that the
// translation cache, which kills links, needs nothing else of the engine.
#pragma once

#include <cstdint>

#include "jit/block.h"

namespace tx86::jit {

// What chain stubs read and write (jit/emit_chain.h). First member of
// JitContext, so that generated code addresses it at rbx + offsetof(ChainState, x)
// (JitContext itself is not standard-layout; JitEngine checks the offset).
struct ChainState {
  // Links are valid while made in this epoch. Bumped (every link and
  // lookup entry dies at once) by kill_links().
  uint64_t epoch = 1;
  // A block may be entered through a link only if retired + its count <=
  // deadline (the next scheduler event or the budget: the interpreter's
  // boundaries). 0 while chaining is off (lockstep compares single blocks)
  // and from a kill_links() until the dispatcher runs the next block.
  // Never above kMaxDeadline, so that a loop's budget (deadline - retired,
  // reg_cache.h) is a signed 64-bit number; no clock reaches 2^62
  // instructions, so the cap changes no test.
  uint64_t deadline = 0;
  static constexpr uint64_t kMaxDeadline = uint64_t{1} << 62;
  // Set by a direct exit's stub when its link was missing or stale, for the
  // dispatcher to patch.
  ChainSlot* missed = nullptr;
  // The block to run next after an exit with kExitChain.
  BlockFn next = nullptr;
  uint64_t direct_runs = 0;    // blocks entered through a patched link
  uint64_t indirect_runs = 0;  // blocks entered through the lookup table

  // Every link and lookup entry dies: called by the translation cache on
  // invalidation and flush and by the engine whenever the mapping, CS, the
  // mode or the memory map may have changed. The deadline drops to 0 as
  // well, so that a loop inside a block (emit_join.h), which tests only the
  // deadline, also returns to the dispatcher; JitEngine::run_chain sets it
  // again before the next block.
  void kill_links() {
    ++epoch;
    deadline = 0;
  }
};

}  // namespace tx86::jit
