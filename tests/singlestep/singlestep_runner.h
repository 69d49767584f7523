// Runs SingleStepTests vectors (one MooTest at a time) on a tx86 Machine with
// the reference interpreter and compares the result with what the hardware
// did. The procedure is the one in shared/testdata/singlestep/README.md
// ("Running one test"): flat 16 MiB, A20 on, registers and segment caches
// from INIT (real mode: base = selector << 4, limit FFFF; the 286's FLAGS
// loaded as flags & 0FFF), run until the HLT after the instruction has
// executed, compare every register (FINA value, or INIT value if absent)
// under the undefined-flag mask and every FINA byte of RAM. Two checks the
// README implies are added: INIT bytes absent from FINA must be unchanged
// (FINA lists every byte written with a new value), and each real-mode
// segment base must equal selector << 4.
//
// A FileRunner owns one Machine and reuses it for every test (a fresh 16 MiB
// Machine per test is far too slow): it clears only the bytes the previous
// test touched (INIT and FINA addresses), after a failing test also the
// 64 KiB windows of every segment the test used (a wrong CPU may have written
// anywhere there), and all of RAM when a new file begins.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "tests/singlestep/moo_reader.h"

namespace tx86::singlestep {

// What a file gives every test: the flag masks that apply to all of it.
struct FileContext {
  std::optional<uint32_t> flags_mask;    // metadata.json / 80386.csv
  std::optional<MooRegs16> masks16;      // file-wide RMSK
  std::optional<MooRegs32> masks32;      // file-wide RM32
};

struct TestOutcome {
  bool passed = false;
  // Short failure reasons for the per-file summary ("ax", "flags", "mem",
  // "no-halt", ...), one per differing thing.
  std::vector<std::string> reasons;
  // Multi-line human-readable detail (only filled when asked for).
  std::string detail;
};

class FileRunner {
 public:
  explicit FileRunner(x86::CpuModel model);
  ~FileRunner();
  FileRunner(const FileRunner&) = delete;
  FileRunner& operator=(const FileRunner&) = delete;

  x86::CpuModel model() const { return model_; }

  // Zeroes all of RAM, so that no file sees what an earlier one left (a
  // Machine per file would cost 16 MiB of fresh pages each time).
  void begin_file();

  // Runs one test. With `want_detail`, TestOutcome::detail explains a failure.
  TestOutcome run(const MooTest& test, const FileContext& ctx, bool want_detail);

  // Upper bounds that keep a broken CPU from hanging the tool.
  static constexpr unsigned kMaxInstructions = 8;  // steps other than REP iterations
  static constexpr uint64_t kMaxSteps = 200000;    // all steps

 private:
  class Recorder;
  void clear_previous();
  void zero_range(uint64_t lo, uint64_t hi);
  void clear_windows_of(const MooTest& test);
  void load_state(const MooTest& test);
  static constexpr size_t kRamBytes = size_t{16} << 20;

  x86::CpuModel model_;
  std::unique_ptr<core::Machine> machine_;
  std::unique_ptr<core::Interpreter> interp_;
  std::unique_ptr<Recorder> recorder_;
  std::vector<uint32_t> touched_;  // addresses to zero before the next test
};

// "odItszaPc"-style rendering: upper case = set.
std::string flags_letters(uint32_t flags);

}  // namespace tx86::singlestep
