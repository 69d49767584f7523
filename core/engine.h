// What runs guest code: the interpreter (core/interp) or the JIT (jit/).
// Both execute on the same Machine and must end in the same state for the
// same inputs (DESIGN.md §7).
#pragma once

#include <cstdint>
#include <string_view>

namespace tx86::core {

enum class StopReason : uint8_t {
  kInstructionLimit,  // the budget given to run() was used up
  kHalted,            // HLT with interrupts disabled and nothing that can wake it
  kExitRequested,     // a device asked the machine to stop (debug-exit port, ...)
  kShutdown,          // triple fault or a shutdown cycle
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;
  // Runs until `max_instructions` more have retired or a stop condition.
  virtual StopReason run(uint64_t max_instructions) = 0;
};

}  // namespace tx86::core
