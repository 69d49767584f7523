// The tx86 side of the oracle's ring-3 mode: boots the Multiboot kernel
// guests/tests/oracle_ring3.elf in a Machine (in-process, through the
// Multiboot loader), waits for it to set up its GDT, TSS, IDT and paging,
// then hands it batches of sequences through its mailbox
// (guests/tests/oracle_ring3.h). The kernel runs each at CPL 3 and records
// how it ended (INT 0x41 after the last instruction, or an exception).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/machine.h"
#include "guests/tests/oracle_ring3.h"
#include "tests/host_oracle/generator.h"

namespace tx86::oracle {

class Ring3Runner {
 public:
  // Makes the engine that runs the guest (the interpreter, or the JIT).
  using EngineFactory = std::function<std::unique_ptr<core::Engine>(core::Machine&)>;

  // Boots the kernel until it reports ready. Throws std::runtime_error if
  // the kernel cannot be loaded or does not get ready.
  Ring3Runner(const std::string& kernel_path, const EngineFactory& make_engine);
  ~Ring3Runner();

  // Runs a batch (at most R3_MAX_BATCH sequences). Throws std::runtime_error
  // naming the problem if the kernel stops before finishing it.
  std::vector<R3Result> run(const std::vector<Sequence>& batch);

  core::Machine& machine() { return *machine_; }
  core::Engine& engine() { return *engine_; }
  // What the kernel printed on port 0xE9 (its FAIL line if it stopped on an
  // exception of its own).
  const std::string& kernel_output() const { return output_; }

 private:
  // Runs the guest until it halts; false if it stopped for another reason.
  bool run_until_halt(std::string& why);

  std::unique_ptr<core::Machine> machine_;
  std::unique_ptr<core::Engine> engine_;
  std::string output_;
};

// Empty if the ring-3 run agrees with the native one: the registers, the
// compared flags and the data area, and how the sequence ended — INT 0x41
// right after its last instruction, or the same exception (vector, error
// code, EIP, CR2 for #PF) as the signal context the native run reported.
std::vector<std::string> ring3_differences(const Sequence& seq, const OracleOutput& native, const R3Result& r3);

}  // namespace tx86::oracle
