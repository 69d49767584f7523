// Human-readable pieces of the oracle's failure reports: a Capstone listing
// of a sequence, its initial state, and the differences between the native
// and the tx86 results.
#pragma once

#include <string>
#include <vector>

#include "tests/host_oracle/generator.h"
#include "tests/host_oracle/oracle_abi.h"
#include "tests/host_oracle/tx86_runner.h"

namespace tx86::oracle {

// One line per instruction: offset, bytes, Capstone's disassembly and the
// status flags the generator considers undefined after it.
std::string listing(const Sequence& seq);
std::string initial_state(const Sequence& seq);
std::string flag_names(uint32_t flags);
// Empty if the defined results agree.
std::vector<std::string> differences(const Sequence& seq, const OracleOutput& native, const Tx86Result& tx86);

// Collects the state after every instruction tx86 retires.
class CollectingTrace : public core::TraceSink {
 public:
  explicit CollectingTrace(const Sequence& seq);
  std::vector<OracleStep> steps;
  void on_instruction(const core::CpuState& before, const x86::Insn& insn, const uint8_t* bytes,
                      const core::CpuState& after) override;
  void on_exception(const core::CpuState&, uint8_t, bool, uint32_t) override {}
  void on_interrupt(const core::CpuState&, uint8_t) override {}

 private:
  uint32_t hlt_eip_;  // the HLT tx86 appends: not part of the sequence
};

// Walks the native single-step trace and tx86's side by side and describes
// the first instruction after which they differ (registers, EIP, or flags
// defined at that point); empty if they agree all the way.
std::string first_divergence(const Sequence& seq, std::vector<OracleStep> native, std::vector<OracleStep> tx86);

// Prints every instruction tx86 retires (for the report of one sequence).
class PrintingTrace : public core::TraceSink {
 public:
  void on_instruction(const core::CpuState& before, const x86::Insn& insn, const uint8_t* bytes,
                      const core::CpuState& after) override;
  void on_exception(const core::CpuState& at, uint8_t vector, bool has_error_code, uint32_t error_code) override;
  void on_interrupt(const core::CpuState& at, uint8_t vector) override;
};

}  // namespace tx86::oracle
