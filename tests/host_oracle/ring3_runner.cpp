#include "tests/host_oracle/ring3_runner.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "core/boot/multiboot.h"
#include "tests/host_oracle/report.h"

namespace tx86::oracle {

namespace {

// Boot (the runtime's START line, table and page set-up) and one batch
// (R3_MAX_BATCH sequences of up to 20000 instructions each, plus copying)
// take far less; the limits only turn a runaway guest into an error.
constexpr uint64_t kBootInstructions = 50'000'000;
constexpr uint64_t kBatchInstructions = 2'000'000'000;

core::MachineConfig config() {
  core::MachineConfig c;
  c.ram_bytes = R3_RAM_BYTES;
  c.model = x86::CpuModel::kP6;
  return c;
}

void capture_port_e9(void* ctx, uint16_t port, uint32_t value, unsigned, bool write) {
  auto* out = static_cast<std::string*>(ctx);
  if (write && port == 0xE9 && out->size() < 4096) out->push_back(static_cast<char>(value));
}

std::string format(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

}  // namespace

Ring3Runner::Ring3Runner(const std::string& kernel_path, const EngineFactory& make_engine)
    : machine_(std::make_unique<core::Machine>(config())) {
  machine_->set_log_quiet(true);
  machine_->ports().set_observer(&capture_port_e9, &output_);
  machine_->reset();
  core::load_multiboot(*machine_, kernel_path, "", "");
  engine_ = make_engine(*machine_);
  std::string why;
  R3Header h{};
  if (run_until_halt(why)) machine_->memory().peek(R3_MAILBOX, {reinterpret_cast<uint8_t*>(&h), sizeof h});
  if (h.magic != R3_MAGIC_READY)
    throw std::runtime_error("oracle_ring3 kernel did not get ready (" + (why.empty() ? "no ready mark" : why) +
                             "); it printed: " + output_);
}

Ring3Runner::~Ring3Runner() = default;

bool Ring3Runner::run_until_halt(std::string& why) {
  core::CpuState& s = machine_->cpu().s;
  const uint64_t limit = s.halted ? kBatchInstructions : kBootInstructions;
  s.halted = false;
  const core::StopReason stop = engine_->run(limit);
  if (stop == core::StopReason::kHalted) return true;
  why = stop == core::StopReason::kInstructionLimit ? "instruction limit"
        : stop == core::StopReason::kShutdown      ? "shutdown (triple fault)"
                                                    : "stop requested";
  return false;
}

std::vector<R3Result> Ring3Runner::run(const std::vector<Sequence>& batch) {
  if (batch.size() > R3_MAX_BATCH) throw std::logic_error("oracle_ring3: batch too large");
  core::PhysicalMemory& mem = machine_->memory();
  std::vector<uint8_t> inputs(batch.size() * sizeof(R3Input));
  for (size_t i = 0; i < batch.size(); ++i) {
    R3Input in{};
    const Sequence& s = batch[i];
    in.code_bytes = static_cast<uint32_t>(s.code.size());
    for (int r = 0; r < 8; ++r) in.gpr[r] = s.gpr[r];
    in.eflags = s.eflags;
    std::memcpy(in.data, s.data.data(), kDataBytes);
    std::memcpy(in.code, s.code.data(), s.code.size());
    std::memcpy(inputs.data() + i * sizeof in, &in, sizeof in);
  }
  mem.load(R3_INPUTS, inputs);
  R3Header h{};
  h.magic = R3_MAGIC_READY;
  h.count = static_cast<uint32_t>(batch.size());
  mem.load(R3_MAILBOX, {reinterpret_cast<const uint8_t*>(&h), sizeof h});
  std::string why;
  const bool halted = run_until_halt(why);
  mem.peek(R3_MAILBOX, {reinterpret_cast<uint8_t*>(&h), sizeof h});
  if (!halted || h.completed != batch.size())
    throw std::runtime_error(format("oracle_ring3 kernel stopped after %u of %zu sequences (%s); it printed: ",
                                    h.completed, batch.size(), halted ? "halted" : why.c_str()) +
                             output_);
  std::vector<R3Result> results(batch.size());
  mem.peek(R3_RESULTS, {reinterpret_cast<uint8_t*>(results.data()), results.size() * sizeof(R3Result)});
  return results;
}

namespace {

constexpr const char* kRegNames[8] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};
constexpr uint32_t kUserCs = 0x18 | 3;  // the runtime's SEL_UCODE (guests/tests/lib/runtime.h)

}  // namespace

std::vector<std::string> ring3_differences(const Sequence& seq, const OracleOutput& native, const R3Result& r3) {
  std::vector<std::string> out;
  if (native.signal != 0 && !seq.may_fault) {
    out.push_back(format("native run faulted (signal %u, vector %u at EIP %08x): generator bug", native.signal,
                         native.trapno, native.fault_eip));
    return out;
  }
  const uint32_t end = kCodeAddr + static_cast<uint32_t>(seq.code.size());
  if (native.signal == 0) {
    if (r3.vector != R3_END_VECTOR || r3.eip != end + 2)
      out.push_back(format("native ran to the end; tx86 ring 3 stopped by vector %u (error %#x) at EIP %08x (CR2 %08x)",
                           r3.vector, r3.error_code, r3.eip, r3.cr2));
  } else {
    if (r3.vector != native.trapno || r3.error_code != native.error_code || r3.eip != native.fault_eip)
      out.push_back(format("exception: native vector %u error %#x at EIP %08x; tx86 vector %u error %#x at EIP %08x",
                           native.trapno, native.error_code, native.fault_eip, r3.vector, r3.error_code, r3.eip));
    if (native.trapno == 14 && r3.vector == 14 && r3.cr2 != native.cr2)
      out.push_back(format("#PF CR2 native=%08x tx86=%08x", native.cr2, r3.cr2));
  }
  if (r3.cs != kUserCs) out.push_back(format("tx86 frame CS %04x: not the ring-3 code segment", r3.cs));
  for (int r = 0; r < 8; ++r)
    if (native.gpr[r] != r3.gpr[r])
      out.push_back(format("%s native=%08x tx86=%08x", kRegNames[r], native.gpr[r], r3.gpr[r]));
  const uint32_t mask = seq.compared_flags();
  if (const uint32_t diff = (native.eflags ^ r3.eflags) & mask; diff != 0)
    out.push_back(format("EFLAGS native=%08x tx86=%08x differ in %s", native.eflags, r3.eflags, flag_names(diff).c_str()));
  unsigned shown = 0, total = 0;
  for (uint32_t i = 0; i < kDataBytes; ++i) {
    if (native.data[i] == r3.data[i]) continue;
    ++total;
    if (shown++ < 8) out.push_back(format("mem[%08x] native=%02x tx86=%02x", kDataAddr + i, native.data[i], r3.data[i]));
  }
  if (total > shown) out.push_back(format("... %u data bytes differ in all", total));
  return out;
}

}  // namespace tx86::oracle
