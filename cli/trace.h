// --trace FILE: one line per executed instruction (CS:EIP, bytes, Capstone
// disassembly, then the registers and flags the instruction changed), plus a
// line for every exception and interrupt delivered.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "core/interp/interpreter.h"
#include "frontend-x86/disasm.h"

namespace tx86::cli {

class TraceWriter : public core::TraceSink {
 public:
  // Throws std::runtime_error naming the file if it cannot be created.
  explicit TraceWriter(const std::string& path);
  ~TraceWriter() override;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void on_instruction(const core::CpuState& before, const x86::Insn& insn, const uint8_t* bytes,
                      const core::CpuState& after) override;
  void on_exception(const core::CpuState& at, uint8_t vector, bool has_error_code,
                    uint32_t error_code) override;
  void on_interrupt(const core::CpuState& at, uint8_t vector) override;

  // Formats the "changed registers and flags" part (exposed for tests).
  static std::string format_changes(const core::CpuState& before, const core::CpuState& after);

 private:
  std::FILE* file_;
  x86::Disassembler disasm16_;
  x86::Disassembler disasm32_;
};

}  // namespace tx86::cli
