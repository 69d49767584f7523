#include "tests/host_oracle/report.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cstdio>

namespace tx86::oracle {

namespace {

constexpr const char* kRegNames[8] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

}  // namespace

std::string flag_names(uint32_t flags) {
  static constexpr struct {
    uint32_t bit;
    const char* name;
  } kFlags[] = {{kFlagCf, "CF"}, {kFlagPf, "PF"}, {kFlagAf, "AF"}, {kFlagZf, "ZF"},
                {kFlagSf, "SF"}, {1u << 8, "TF"}, {kFlagIf, "IF"}, {kFlagDf, "DF"}, {kFlagOf, "OF"},
                {kFlagIopl, "IOPL"}, {kFlagNt, "NT"}, {1u << 18, "AC"}, {kFlagId, "ID"}};
  std::string out;
  for (const auto& f : kFlags)
    if (flags & f.bit) {
      if (!out.empty()) out += ' ';
      out += f.name;
    }
  return out.empty() ? "-" : out;
}

std::string listing(const Sequence& seq) {
  csh handle;
  const bool have_cs = cs_open(CS_ARCH_X86, CS_MODE_32, &handle) == CS_ERR_OK;
  std::string out;
  for (const GeneratedInsn& g : seq.insns) {
    std::string bytes;
    for (uint32_t i = 0; i < g.length; ++i) bytes += format("%02x ", seq.code[g.offset + i]);
    std::string text = "(capstone unavailable)";
    if (have_cs) {
      cs_insn* insn = nullptr;
      size_t n = cs_disasm(handle, seq.code.data() + g.offset, g.length, kCodeAddr + g.offset, 1, &insn);
      text = n == 1 ? std::string(insn[0].mnemonic) + " " + insn[0].op_str : "(capstone: invalid)";
      if (n > 0) cs_free(insn, n);
    }
    out += format("  %08x  %-36s %-40s undefined after: %s\n", kCodeAddr + g.offset, bytes.c_str(), text.c_str(),
                  flag_names(g.undefined_after).c_str());
  }
  if (have_cs) cs_close(&handle);
  return out;
}

std::string initial_state(const Sequence& seq) {
  std::string out = "  initial:";
  for (int r = 0; r < 8; ++r) out += format(" %s=%08x", kRegNames[r], seq.gpr[r]);
  out += format(" EFLAGS=%08x (reserved base %s)\n", seq.eflags,
                seq.reserved_base < 0 ? "none" : kRegNames[seq.reserved_base]);
  return out;
}

std::vector<std::string> differences(const Sequence& seq, const OracleOutput& native, const Tx86Result& tx86) {
  std::vector<std::string> out;
  if (native.signal != 0) {
    out.push_back(format("native run faulted (signal %u at EIP %08x): generator bug", native.signal, native.fault_eip));
    return out;
  }
  if (!tx86.problem.empty()) out.push_back("tx86: " + tx86.problem);
  for (int r = 0; r < 8; ++r)
    if (native.gpr[r] != tx86.gpr[r])
      out.push_back(format("%s native=%08x tx86=%08x", kRegNames[r], native.gpr[r], tx86.gpr[r]));
  const uint32_t mask = seq.compared_flags();
  const uint32_t diff = (native.eflags ^ tx86.eflags) & mask;
  if (diff != 0)
    out.push_back(format("EFLAGS native=%08x tx86=%08x differ in %s (compared: %s)", native.eflags, tx86.eflags,
                         flag_names(diff).c_str(), flag_names(mask).c_str()));
  unsigned shown = 0, total = 0;
  for (uint32_t i = 0; i < kDataBytes; ++i) {
    if (native.data[i] == tx86.data[i]) continue;
    ++total;
    if (shown++ < 8)
      out.push_back(format("mem[%08x] native=%02x tx86=%02x", kDataAddr + i, native.data[i], tx86.data[i]));
  }
  if (total > shown) out.push_back(format("... %u data bytes differ in all", total));
  return out;
}

CollectingTrace::CollectingTrace(const Sequence& seq)
    : hlt_eip_(kCodeAddr + static_cast<uint32_t>(seq.code.size())) {
  OracleStep first{};
  first.eip = kCodeAddr;
  for (int r = 0; r < 8; ++r) first.gpr[r] = seq.gpr[r];
  first.eflags = seq.eflags;
  steps.push_back(first);
}

void CollectingTrace::on_instruction(const core::CpuState& before, const x86::Insn&, const uint8_t*,
                                     const core::CpuState& after) {
  if (before.eip == hlt_eip_) return;
  OracleStep st{};
  st.eip = after.eip;
  for (int r = 0; r < 8; ++r) st.gpr[r] = after.gpr[r];
  st.eflags = after.eflags;
  steps.push_back(st);
}

namespace {

// REP iterations leave EIP on the instruction: keep the first state of every
// run of equal EIPs (the state before the instruction) and drop the rest.
std::vector<OracleStep> boundaries(const std::vector<OracleStep>& in) {
  std::vector<OracleStep> out;
  for (const OracleStep& s : in)
    if (out.empty() || out.back().eip != s.eip) out.push_back(s);
  return out;
}

std::string regs(const OracleStep& s) {
  std::string out = format("EIP=%08x", s.eip);
  for (int r = 0; r < 8; ++r) out += format(" %s=%08x", kRegNames[r], s.gpr[r]);
  return out + format(" EFLAGS=%08x", s.eflags);
}

}  // namespace

std::string first_divergence(const Sequence& seq, std::vector<OracleStep> native, std::vector<OracleStep> tx86) {
  native = boundaries(native);
  tx86 = boundaries(tx86);
  const size_t n = std::min(native.size(), tx86.size());
  for (size_t j = 1; j < n; ++j) {
    const uint32_t executed = native[j - 1].eip;
    uint32_t undefined = kStatusFlags;  // unknown instruction: compare no status flag
    std::string line = "?";
    for (const GeneratedInsn& g : seq.insns)
      if (kCodeAddr + g.offset == executed) {
        undefined = g.undefined_after;
        line = g.mnemonic;
      }
    const uint32_t mask = kComparedFlags & ~undefined;
    bool same = native[j].eip == tx86[j].eip && ((native[j].eflags ^ tx86[j].eflags) & mask) == 0;
    for (int r = 0; r < 8; ++r) same = same && native[j].gpr[r] == tx86[j].gpr[r];
    if (same) continue;
    return format("first divergence after the instruction at %08x (%s); flags compared: %s\n", executed, line.c_str(),
                  flag_names(mask).c_str()) +
           "    native " + regs(native[j]) + "\n    tx86   " + regs(tx86[j]) + "\n";
  }
  if (native.size() != tx86.size()) {
    const bool tx86_short = tx86.size() < native.size();
    const uint32_t at = (tx86_short ? tx86 : native).back().eip;
    std::string name = "?";
    for (const GeneratedInsn& g : seq.insns)
      if (kCodeAddr + g.offset == at) name = g.mnemonic;
    return format("the traces agree for %zu states; then %s stops at %08x (%s)\n", n, tx86_short ? "tx86" : "native",
                  at, name.c_str());
  }
  return "";
}

void PrintingTrace::on_instruction(const core::CpuState& before, const x86::Insn& insn, const uint8_t*,
                                   const core::CpuState& after) {
  std::printf("    tx86 %08x %-8s ->", before.eip, std::string(x86::mnemonic_name(insn.mnemonic)).c_str());
  for (int r = 0; r < 8; ++r) std::printf(" %08x", after.gpr[r]);
  std::printf(" fl=%08x\n", after.eflags);
}

void PrintingTrace::on_exception(const core::CpuState& at, uint8_t vector, bool, uint32_t) {
  std::printf("    tx86 %08x exception %u\n", at.eip, vector);
}

void PrintingTrace::on_interrupt(const core::CpuState& at, uint8_t vector) {
  std::printf("    tx86 %08x interrupt %u\n", at.eip, vector);
}

}  // namespace tx86::oracle
