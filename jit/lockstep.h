// Lockstep checking (issue #4, tests 6a): every block the JIT runs is run
// again, from the same state, by the reference interpreter on a second
// Machine, and the full CPU state and every byte either side wrote are
// compared. The first difference stops the run with a report naming the
// block (key and linear address) and the first differing register or byte.
//
// The reference machine has the primary's RAM and firmware but no devices,
// so blocks that do port I/O are not compared (their effect is copied over
// instead); neither are MMIO reads. Memory writes are seen on both sides by
// marking every RAM page as holding code, which sends each store through
// PhysicalMemory's code listeners (slow, which lockstep may be). Before each
// block the reference is brought up to date: the primary's CPU state, and the
// bytes the primary wrote since the last block (interrupt deliveries,
// interpreter stretches, the block itself).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "jit/block.h"

namespace tx86::jit {

// "eax: 00000001 vs 00000002" for the first field that differs, or empty.
std::string first_difference(const core::CpuState& jit, const core::CpuState& ref);

class Lockstep {
 public:
  explicit Lockstep(core::Machine& primary);
  ~Lockstep();

  // Before a block runs on the primary.
  void before_block();
  // After the block (and the delivery of its fault, if it faulted): runs the
  // same instructions on the reference and compares. False on a difference.
  bool after_block(const Block& block, uint64_t retired, bool faulted, bool shutdown);

  const std::string& report() const { return report_; }
  uint64_t blocks_checked() const { return checked_; }
  uint64_t blocks_skipped() const { return skipped_; }

 private:
  class Recorder;
  void copy_ranges_to_reference();

  core::Machine& primary_;
  std::unique_ptr<core::Machine> ref_;
  std::unique_ptr<core::Interpreter> ref_interp_;
  std::unique_ptr<Recorder> primary_writes_;
  std::unique_ptr<Recorder> ref_writes_;
  core::CpuState start_;
  std::string report_;
  uint64_t checked_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace tx86::jit
