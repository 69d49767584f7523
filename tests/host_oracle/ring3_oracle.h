// The driver of the oracle's ring-3 mode, shared by the interpreter's test
// (ring3_main.cpp, `host-oracle-ring3`) and the JIT's (tests/jit,
// `jit/random-programs-ring3`): command line, batches, the native helper,
// comparison and reports. The caller names the engines it offers.
//
//   PROGRAM --helper PATH --kernel oracle_ring3.elf [--count N] [--seed S]
//       [--index I] [--batch N] [--engine NAME] [--max-reports N]
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/host_oracle/ring3_runner.h"

namespace tx86::oracle {

struct Ring3Engine {
  std::string name;
  Ring3Runner::EngineFactory make;
  // Extra lines for a failure report and the summary (e.g. JIT lockstep
  // findings and statistics); may be empty.
  std::function<std::string()> describe;
};

// Runs the ring-3 oracle; `engines` must not be empty (the first is the
// default). Returns the process exit status: 0 all agree, 1 mismatch, 2 error.
int ring3_oracle_main(int argc, char** argv, const char* program, const std::vector<Ring3Engine>& engines);

}  // namespace tx86::oracle
