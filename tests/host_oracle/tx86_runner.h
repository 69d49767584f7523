// The tx86 side of the oracle: runs a Sequence in a Machine with the
// Interpreter, from flat 32-bit protected mode at CPL 0, or CPL 3 for
// Sequence::cpl3 (CR0.PE, every segment base 0, limit 4 GiB, D/B=1, DPL =
// CPL), with the sequence followed by HLT.
// One Machine is reused for every sequence; loading the code through
// PhysicalMemory::load() tells the interpreter's decode cache.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "tests/host_oracle/generator.h"

namespace tx86::oracle {

struct Tx86Result {
  std::string problem;  // empty: reached the HLT; else what went wrong
  std::array<uint32_t, 8> gpr{};
  uint32_t eflags = 0;
  uint32_t eip = 0;
  uint64_t steps = 0;
  std::array<uint8_t, kDataBytes> data{};
};

// How the interpreter is driven: Interpreter::run() (its chained hot loop,
// what guests use) or Interpreter::step() one instruction at a time (its
// other entry, and the one that reports exception vectors and traces).
enum class DriveMode { kRun, kStep };

// The Machine the flat setup needs (ORACLE_RAM_BYTES, a P6).
core::MachineConfig flat_machine_config();
// Resets `machine` and loads `seq` in the flat setup (CPL 0, or 3 for
// Sequence::cpl3) with `terminator` after its code (HLT here; the JIT's
// random-program test uses JMP $).
void load_flat_state(core::Machine& machine, const Sequence& seq, std::span<const uint8_t> terminator);

class Tx86Runner {
 public:
  Tx86Runner();
  Tx86Result run(const Sequence& seq, DriveMode mode, core::TraceSink* trace = nullptr);

 private:
  void load_state(const Sequence& seq);

  core::Machine machine_;
  core::Interpreter interp_;
};

}  // namespace tx86::oracle
