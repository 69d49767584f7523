// See capstone_oracle.h. The classifiers below are the erratum classes; each
// one is listed with an example and its SDM reference in capstone_errata.txt.
#include "tests/frontend-x86/capstone_oracle.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cstdio>

#include "frontend-x86/format.h"

namespace tx86::x86::test {
namespace {

// Capstone spellings that name the same instruction as tx86's (not errata:
// two names for one thing).
constexpr std::pair<std::string_view, std::string_view> kSynonyms[] = {
    {"lcall", "callf"},        {"ljmp", "jmpf"},          {"feni8087_nop", "fneni"},
    {"fdisi8087_nop", "fndisi"}, {"fsetpm", "fnsetpm"},  {"popal", "popad"},
    {"pushal", "pushad"},
};

std::string normalize_capstone(std::string mnemonic, std::string op_str) {
  // The mnemonic's last word is the instruction; earlier words are prefixes.
  const size_t sp = mnemonic.rfind(' ');
  std::string head = sp == std::string::npos ? "" : mnemonic.substr(0, sp + 1);
  std::string name = sp == std::string::npos ? mnemonic : mnemonic.substr(sp + 1);
  for (const auto& [theirs, ours] : kSynonyms)
    if (name == theirs) name = ours;
  // Capstone writes far-pointer memory operands as "ptr [..]" with no size.
  for (size_t p = 0; (p = op_str.find("ptr ", p)) != std::string::npos;) {
    if (p == 0 || op_str.compare(p - 2, 2, ", ") == 0)
      op_str.erase(p, 4);
    else
      p += 4;
  }
  std::string s = head + name;
  if (!op_str.empty()) s += ' ' + op_str;
  return s;
}

std::string drop_st0(std::string s) {
  for (std::string_view cut : {"st(0), ", ", st(0)"})
    if (size_t p = s.find(cut); p != std::string::npos) s.erase(p, cut.size());
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool has_group(const Disassembler::Detail& d, unsigned g) {
  return std::find(d.groups.begin(), d.groups.end(), g) != d.groups.end();
}

struct Observation {
  const uint8_t* bytes;
  size_t prefix_count;  // legacy prefix bytes before the opcode
  const uint8_t* opcode;  // first opcode byte (0F for the two-byte map)
  DecodeStatus status;
  const Insn& insn;
  const Disassembler::Detail& cs;
  const std::string& ours;
  const std::string& theirs;
};

// Capstone groups of ISA extensions newer than the Pentium Pro (MMX, SSE,
// 3DNow!, VMX, AVX, ...): tx86's P6 model has none of them.
constexpr unsigned kLaterGroups[] = {
    X86_GRP_VM,   X86_GRP_3DNOW, X86_GRP_AES,    X86_GRP_ADX,   X86_GRP_AVX,   X86_GRP_AVX2,   X86_GRP_AVX512,
    X86_GRP_BMI,  X86_GRP_BMI2,  X86_GRP_F16C,   X86_GRP_FMA,   X86_GRP_FMA4,  X86_GRP_FSGSBASE, X86_GRP_HLE,
    X86_GRP_MMX,  X86_GRP_RTM,   X86_GRP_SHA,    X86_GRP_SSE1,  X86_GRP_SSE2,  X86_GRP_SSE3,   X86_GRP_SSE41,
    X86_GRP_SSE42, X86_GRP_SSE4A, X86_GRP_SSSE3, X86_GRP_PCLMUL, X86_GRP_XOP,  X86_GRP_CDI,    X86_GRP_ERI,
    X86_GRP_TBM,  X86_GRP_SGX,   X86_GRP_DQI,    X86_GRP_BWI,   X86_GRP_PFI,   X86_GRP_VLX,    X86_GRP_SMAP,
};
// Instructions newer than the Pentium Pro that Capstone tags with no extension group.
constexpr std::string_view kLaterMnemonics[] = {
    "popcnt", "syscall", "sysret", "swapgs", "rdtscp", "xgetbv", "xsetbv", "movnti", "lzcnt",
};

std::string last_word(const std::string& mnemonic) {
  const size_t sp = mnemonic.rfind(' ');
  return sp == std::string::npos ? mnemonic : mnemonic.substr(sp + 1);
}

// The erratum class of a disagreement, or "" when none explains it.
std::string classify(const Observation& o, CodeSize mode) {
  const bool ok = o.status == DecodeStatus::kOk;
  const std::string cs_name = o.cs.valid ? last_word(o.cs.mnemonic) : "";
  const uint8_t op0 = o.opcode[0];
  const uint8_t op1 = o.opcode[1];
  const bool map0f = op0 == 0x0F;

  if (!ok && o.cs.valid) {
    for (unsigned g : kLaterGroups)
      if (has_group(o.cs, g)) return "later-extension";
    for (std::string_view m : kLaterMnemonics)
      if (cs_name == m) return "later-extension";
  }
  return "";
}

}  // namespace

std::string hex_string(const uint8_t* bytes, size_t n) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    s += buf;
  }
  return s;
}

CapstoneOracle::CapstoneOracle(CodeSize mode)
    : mode_(mode), cs_(mode == CodeSize::k16 ? Disassembler::Mode::k16 : Disassembler::Mode::k32) {}

Comparison CapstoneOracle::compare(const uint8_t* bytes) {
  Comparison c;
  Insn insn;
  DecodeOptions opts;
  opts.code_size = mode_;
  opts.model = CpuModel::kP6;
  const DecodeStatus st = decode(bytes, kMaxInsnLength, opts, insn);
  const Disassembler::Detail cs = cs_.detail(bytes, kMaxInsnLength, 0);
  if (st == DecodeStatus::kOk) {
    c.ours = format_insn(insn, 0);
    c.our_length = insn.length;
  } else {
    c.ours = st == DecodeStatus::kTooLong ? "(too long)" : "(invalid)";
  }
  c.theirs = cs.valid ? normalize_capstone(cs.mnemonic, cs.op_str) : "(invalid)";
  c.their_length = cs.valid ? cs.length : 0;
  if (st != DecodeStatus::kOk && !cs.valid) {
    c.agree = true;
    return c;
  }
  if (st == DecodeStatus::kOk && cs.valid && c.our_length == c.their_length) {
    if (c.ours == c.theirs) {
      c.agree = true;
      return c;
    }
    // Capstone writes the ST(0) operand of x87 forms by its own rule (it drops
    // it from "fadd st(0), st(1)" and adds it to "fcomp st(5)"): a spelling,
    // not a decoding difference.
    if (insn.has(kAttrX87) && drop_st0(c.ours) == drop_st0(c.theirs)) {
      c.agree = true;
      return c;
    }
  }
  size_t prefix_count = 0;
  while (prefix_count < kMaxInsnLength) {
    const uint8_t b = bytes[prefix_count];
    if (b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65 || b == 0x66 ||
        b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3)
      ++prefix_count;
    else
      break;
  }
  const Observation o{bytes, prefix_count, bytes + std::min(prefix_count, kMaxInsnLength - 1), st, insn, cs,
                      c.ours, c.theirs};
  c.erratum = classify(o, mode_);
  return c;
}

}  // namespace tx86::x86::test
