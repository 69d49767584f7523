// The reference engine: fetches, decodes (with a per-page cache of decoded
// instructions), and executes one instruction at a time through the handler
// table derived from the opcode table. Delivers exceptions and interrupts at
// instruction boundaries. The JIT falls back to the same handlers.
#pragma once

#include <array>
#include <cstdint>

#include "core/engine.h"
#include "core/machine.h"
#include "core/priv/priv_stats.h"
#include "frontend-x86/insn.h"

namespace tx86::core {

// Called around every executed instruction when tracing (--trace) or in
// lockstep. `before` is the state before the instruction; the machine's CPU
// holds the state after it. `bytes` has insn.length bytes (or fewer if the
// instruction could not be fetched). Not called for instructions that faulted;
// on_exception is called instead.
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void on_instruction(const CpuState& before, const x86::Insn& insn, const uint8_t* bytes,
                              const CpuState& after) = 0;
  virtual void on_exception(const CpuState& at, uint8_t vector, bool has_error_code,
                            uint32_t error_code) = 0;
  virtual void on_interrupt(const CpuState& at, uint8_t vector) = 0;
};

struct InterpreterStats {
  uint64_t retired = 0;
  uint64_t exceptions = 0;
  uint64_t interrupts = 0;
  uint64_t decode_cache_hits = 0;
  uint64_t decode_cache_misses = 0;
  uint64_t decode_cache_invalidations = 0;
  std::array<uint64_t, static_cast<size_t>(x86::Mnemonic::kCount)> by_mnemonic{};
};

enum class StepResult : uint8_t {
  kRetired,    // one instruction completed
  kException,  // an exception was delivered (the faulting instruction did not retire)
  kInterrupt,  // an external interrupt was delivered
  kHalted,     // the CPU is halted and nothing woke it
  kShutdown,   // triple fault
};

class Interpreter : public Engine {
 public:
  explicit Interpreter(Machine& machine);
  ~Interpreter() override;

  std::string_view name() const override { return "interp"; }
  StopReason run(uint64_t max_instructions) override;

  // Executes exactly one instruction, or delivers one pending exception or
  // interrupt. Advances the clock and runs due events.
  StepResult step();

  void set_trace(TraceSink* sink) { trace_ = sink; }
  // With exit_on_halt, HLT with IF=0 stops run() with StopReason::kHalted.
  // Without it, a halted CPU with IF=0 and no pending NMI also stops run()
  // with kHalted (nothing can ever wake it), after time has been advanced to
  // the last scheduled event so that devices drain (e.g. the UART's FIFO).
  void set_exit_on_halt(bool on) { exit_on_halt_ = on; }
  const InterpreterStats& stats() const { return stats_; }
  // Trap counters of the privileged/sensitive handlers, by family and CPL.
  const priv::PrivStats& priv_stats() const;

 private:
  Machine& machine_;
  TraceSink* trace_ = nullptr;
  bool exit_on_halt_ = false;
  InterpreterStats stats_;
  struct Impl;
  Impl* impl_ = nullptr;  // decode cache and friends (interp/ owns the layout)
};

}  // namespace tx86::core
