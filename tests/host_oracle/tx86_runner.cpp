#include "tests/host_oracle/tx86_runner.h"

#include <cstdio>
#include <vector>

namespace tx86::oracle {

namespace {

constexpr uint8_t kHlt = 0xF4;
// Enough for 24 instructions, their setup and REP iterations many times over.
constexpr uint64_t kMaxSteps = 20000;

}  // namespace

core::MachineConfig flat_machine_config() {
  core::MachineConfig c;
  c.ram_bytes = ORACLE_RAM_BYTES;
  c.model = x86::CpuModel::kP6;
  return c;
}

Tx86Runner::Tx86Runner() : machine_(flat_machine_config()), interp_(machine_) { machine_.set_log_quiet(true); }

void Tx86Runner::load_state(const Sequence& seq) {
  const uint8_t hlt[] = {kHlt};
  load_flat_state(machine_, seq, hlt);
}

void load_flat_state(core::Machine& machine, const Sequence& seq, std::span<const uint8_t> terminator) {
  machine.reset();
  std::vector<uint8_t> code(seq.code);
  code.insert(code.end(), terminator.begin(), terminator.end());
  machine.memory().load(kCodeAddr, code);
  machine.memory().load(kDataAddr, seq.data);

  using core::SegmentCache;
  core::CpuState& s = machine.cpu().s;
  for (int r = 0; r < 8; ++r) s.gpr[r] = seq.gpr[r];
  s.eip = kCodeAddr;
  s.eflags = seq.eflags;
  s.cr0 = core::kCr0PE | core::kCr0ET;
  s.cpl = seq.cpl3 ? 3 : 0;
  const uint16_t dpl = static_cast<uint16_t>(s.cpl << SegmentCache::kSegDplShift);
  s.halted = false;
  s.interrupt_shadow = false;
  constexpr uint16_t kFlat = SegmentCache::kSegS | SegmentCache::kSegPresent | SegmentCache::kSegDefaultBig |
                             SegmentCache::kSegGranularity;
  for (int i = 0; i < 6; ++i) {
    SegmentCache& c = s.seg[i];
    const bool code_seg = i == x86::kCs;
    c.selector = static_cast<uint16_t>((code_seg ? 0x08 : 0x10) | s.cpl);
    c.base = 0;
    c.limit = 0xFFFFFFFFu;
    c.attrs = static_cast<uint16_t>(kFlat | dpl | (code_seg ? SegmentCache::kSegCodeReadable : SegmentCache::kSegWritableData));
  }
  machine.cpu().flush_tlb();
}

Tx86Result Tx86Runner::run(const Sequence& seq, DriveMode mode, core::TraceSink* trace) {
  load_state(seq);
  interp_.set_trace(trace);
  Tx86Result result;
  core::CpuState& s = machine_.cpu().s;
  // HLT is privileged: at CPL 3 the run ends when EIP reaches it instead.
  const uint32_t end = kCodeAddr + static_cast<uint32_t>(seq.code.size());
  const uint32_t expected_eip = seq.cpl3 ? end : end + 1;
  auto finished = [&] { return seq.cpl3 ? s.eip == end : s.halted; };
  if (mode == DriveMode::kRun && !seq.cpl3) {
    // IF=1 and no interrupt controller: run() returns kHalted at the HLT.
    const uint64_t before = machine_.clock().retired();
    const core::StopReason stop = interp_.run(kMaxSteps);
    result.steps = machine_.clock().retired() - before;
    if (stop == core::StopReason::kInstructionLimit)
      result.problem = "run(): no HLT after " + std::to_string(kMaxSteps) + " instructions";
    else if (stop == core::StopReason::kShutdown)
      result.problem = "run(): shutdown (an exception was raised; the flat setup has no IDT)";
    else if (stop == core::StopReason::kExitRequested)
      result.problem = "run(): stop requested";
  }
  while (mode == DriveMode::kRun && seq.cpl3 && !finished()) {  // run() one instruction at a time
    if (result.steps++ == kMaxSteps) {
      result.problem = "run(1): the end not reached after " + std::to_string(kMaxSteps) + " calls";
      break;
    }
    const core::StopReason stop = interp_.run(1);
    if (stop != core::StopReason::kInstructionLimit) {
      result.problem = "run(1): stopped early (reason " + std::to_string(static_cast<int>(stop)) + ")";
      break;
    }
  }
  while (mode == DriveMode::kStep && !finished()) {
    if (result.steps == kMaxSteps) {
      result.problem = "no HLT after " + std::to_string(kMaxSteps) + " steps";
      break;
    }
    ++result.steps;
    const core::StepResult r = interp_.step();
    if (r == core::StepResult::kException) {
      result.problem = "exception, vector " + std::to_string(machine_.cpu().fault.vector);
      break;
    }
    if (r == core::StepResult::kShutdown) {
      result.problem = "shutdown (triple fault)";
      break;
    }
    if (r == core::StepResult::kInterrupt) {
      result.problem = "unexpected interrupt";
      break;
    }
    if (r == core::StepResult::kHalted) break;
  }
  interp_.set_trace(nullptr);
  if (result.problem.empty() && s.eip != expected_eip) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "ended at EIP %#010x, expected %#010x", s.eip, expected_eip);
    result.problem = buf;
  }
  for (int r = 0; r < 8; ++r) result.gpr[r] = s.gpr[r];
  result.eflags = s.eflags;
  result.eip = s.eip;
  machine_.memory().peek(kDataAddr, result.data);
  return result;
}

}  // namespace tx86::oracle
