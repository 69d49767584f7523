// See capstone_oracle.h. The classifiers below are the erratum classes; each
// one is listed with an example and its SDM reference in capstone_errata.txt.
#include "tests/frontend-x86/capstone_oracle.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <initializer_list>
#include <cstdio>

#include "frontend-x86/format.h"

namespace tx86::x86::test {
namespace {

// Capstone spellings that name the same instruction as tx86's (not errata:
// two names for one thing).
constexpr std::pair<std::string_view, std::string_view> kSynonyms[] = {
    {"lcall", "callf"},        {"ljmp", "jmpf"},          {"feni8087_nop", "fneni"},
    {"fdisi8087_nop", "fndisi"}, {"fsetpm", "fnsetpm"},  {"popal", "popad"},
    {"pushal", "pushad"},      {"popaw", "popa"},         {"pushaw", "pusha"},
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
    "popcnt",  "syscall", "sysret",  "swapgs", "rdtscp", "xgetbv", "xsetbv",   "movnti",
    "lzcnt",   "getsec",  "xsave",   "xrstor", "xsaveopt", "fisttp", "prefetchw", "prefetch",
    "clflush", "lfence",  "mfence",  "sfence", "fxsave",   "fxrstor", "ldmxcsr",  "stmxcsr",
    "rdrand",  "rdseed",  "xsaves",  "xsavec", "xrstors",  "clflushopt", "clwb", "rdpid",
    "clac",    "stac",    "movbe",   "encls",  "enclu",    "vmfunc",  "xend",     "xtest",
    "rdpkru",  "wrpkru",  "monitor", "mwait",  "invpcid",  "endbr32", "endbr64",  "rdsspd",
    "incsspd", "ptwrite", "rdfsbase", "rdgsbase", "wrfsbase", "wrgsbase", "vmcall", "vmlaunch",
    "vmresume", "vmxoff", "vmrun",   "vmmcall", "vmload",   "vmsave",  "stgi",     "clgi",
    "skinit",  "invlpga", "rdtscp",  "crc32",
};

std::string last_word(const std::string& mnemonic) {
  const size_t sp = mnemonic.rfind(' ');
  return sp == std::string::npos ? mnemonic : mnemonic.substr(sp + 1);
}

// tx86's text for `bytes` with every prefix byte `drop` before the opcode
// removed, printed at address `removed` so that branch targets line up with
// the original string's. "" when tx86 does not decode it.
std::string ours_without_prefix(const Observation& o, CodeSize mode, std::initializer_list<uint8_t> drop,
                                bool same_length = true) {
  uint8_t b[kMaxInsnLength] = {};
  size_t n = 0, removed = 0;
  for (size_t i = 0; i < kMaxInsnLength; ++i) {
    if (i < o.prefix_count && std::find(drop.begin(), drop.end(), o.bytes[i]) != drop.end()) {
      ++removed;
      continue;
    }
    b[n++] = o.bytes[i];
  }
  Insn insn;
  DecodeOptions opts;
  opts.code_size = mode;
  if (decode(b, kMaxInsnLength, opts, insn) != DecodeStatus::kOk) return "";
  if (same_length && insn.length + removed != o.cs.length) return "";
  return format_insn(insn, removed);
}

bool prefix_before(const Observation& o, uint8_t first, std::initializer_list<uint8_t> later) {
  bool seen = false;
  for (size_t i = 0; i < o.prefix_count; ++i) {
    if (o.bytes[i] == first) seen = true;
    for (uint8_t l : later)
      if (seen && o.bytes[i] == l) return true;
  }
  return false;
}

bool has_prefix(const Observation& o, uint8_t p) {
  for (size_t i = 0; i < o.prefix_count; ++i)
    if (o.bytes[i] == p) return true;
  return false;
}

std::string erase_word(std::string s, std::string_view w) {
  if (size_t p = s.find(w); p != std::string::npos) s.erase(p, w.size());
  return s;
}

// The text up to the first operand that is a number (a branch target).
std::string without_target(const std::string& s) {
  const size_t sp = s.rfind(' ');
  return sp == std::string::npos ? s : s.substr(0, sp);
}

// Operand sizes erased: 32-bit register names and "dword" become 16-bit ones.
std::string blur_sizes(std::string s) {
  for (size_t p = 0; (p = s.find("dword ptr", p)) != std::string::npos;) s.erase(p, 1);
  static constexpr std::string_view kRegs[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  for (std::string_view r : kRegs)
    for (size_t p = 0; (p = s.find(r, p)) != std::string::npos;) s.erase(p, 1);
  return s;
}

// Capstone's prefix defects, which combine: a disagreement they explain gets
// the ids of the smallest set of them that makes the two texts equal, joined
// by '+'.
std::string prefix_errata(const Observation& o, CodeSize mode) {
  const bool size66 = prefix_before(o, 0x66, {0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x67, 0xF0});
  const bool size67 = prefix_before(o, 0x67, {0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0xF0});
  const bool lock_hidden = (o.insn.prefixes & kPrefixLock) && prefix_before(o, 0xF0, {0xF2, 0xF3});
  const bool bnd = starts_with(o.cs.mnemonic, "bnd ");
  const bool hle = starts_with(o.cs.mnemonic, "xacquire ") || starts_with(o.cs.mnemonic, "xrelease ");
  const bool rel = o.insn.num_operands == 1 && o.insn.ops[0].kind == OperandKind::kRel;
  const bool rel_addr = rel && has_prefix(o, 0x67);
  const bool rel_trunc = rel && has_prefix(o, 0x66);
  // Capstone sometimes drops a 66 that precedes F2/F3 for one operand only
  // ("test dword ptr [ebx], di"): compared with operand sizes blurred.
  const bool half66 = prefix_before(o, 0x66, {0xF2, 0xF3});
  // An absolute [disp] written at the mode's width instead of the address size's.
  const bool abs_addr = o.insn.has_memory_operand() && o.insn.mem.base == kNoReg && o.insn.mem.index == kNoReg &&
                        o.insn.addrsize != (mode == CodeSize::k32 ? 4 : 2);
  const bool repne_movsd = o.insn.mnemonic == Mnemonic::kMovs && (o.insn.prefixes & kPrefixRepne) &&
                           o.cs.mnemonic == "movsd";
  // Operand-size defects of single rows.
  const Mnemonic m = o.insn.mnemonic;
  const bool lar_lsl = m == Mnemonic::kLar || m == Mnemonic::kLsl;
  const bool fnstsw = m == Mnemonic::kFnstsw;
  const bool fnsave = m == Mnemonic::kFnsave || m == Mnemonic::kFrstor;
  const bool mov_sreg = m == Mnemonic::kMov && o.insn.ops[0].kind == OperandKind::kSreg;
  enum {
    kDrop66, kDrop67, kHalf66, kLockHidden, kBnd, kHle, kRelAddr, kRelTrunc, kRepneMovsd, kAbsAddr,
    kLarLsl, kFnstsw, kFnsave, kMovSreg, kCount
  };
  const bool possible[kCount] = {size66, size67, half66,      lock_hidden, bnd,     hle,    rel_addr,
                                 rel_trunc, repne_movsd, abs_addr, lar_lsl, fnstsw, fnsave, mov_sreg};
  static constexpr const char* kNames[kCount] = {"size-prefix-dropped", "size-prefix-dropped", "size-prefix-dropped",
                                                 "lock-hidden-by-rep", "bnd-prefix", "hle-prefix",
                                                 "branch-target-addrsize", "branch-target-mode-width",
                                                 "repne-movsd-dropped", "absolute-address-mode-width",
                                                 "lar-lsl-memory-size", "fnstsw-memory-size", "fnsave-memory-size",
                                                 "mov-sreg-r32"};
  std::string best;
  unsigned best_bits = 99;
  for (unsigned set = 1; set < (1u << kCount); ++set) {
    bool usable = true;
    for (unsigned k = 0; k < kCount; ++k)
      if ((set >> k & 1) && !possible[k]) usable = false;
    const unsigned bits = static_cast<unsigned>(__builtin_popcount(set));
    if (!usable || bits >= best_bits) continue;
    std::string ours = o.ours;
    if (set & (1u << kDrop66 | 1u << kDrop67)) {
      if ((set & 1u << kDrop66) && (set & 1u << kDrop67))
        ours = ours_without_prefix(o, mode, {0x66, 0x67});
      else
        ours = ours_without_prefix(o, mode, {static_cast<uint8_t>(set & 1u << kDrop66 ? 0x66 : 0x67)});
      if (ours.empty()) continue;
    } else if (o.status != DecodeStatus::kOk || o.insn.length != o.cs.length) {
      continue;
    }
    if (set & 1u << kLockHidden) ours = erase_word(ours, "lock ");
    if (set & 1u << kRepneMovsd) ours = erase_word(ours, "repne ");
    if (set & 1u << kAbsAddr) {
      const uint32_t disp = static_cast<uint32_t>(o.insn.mem.disp);
      const uint32_t as_addr = o.insn.addrsize == 2 ? (disp & 0xFFFF) : disp;
      const uint32_t as_mode = mode == CodeSize::k16 ? (disp & 0xFFFF) : static_cast<uint32_t>(static_cast<int16_t>(disp));
      auto hex = [](uint32_t v) {
        char buf[16];
        std::snprintf(buf, sizeof buf, v > 9 ? "[0x%x]" : "[%u]", v);
        return std::string(buf);
      };
      if (size_t p = ours.find(hex(as_addr)); p != std::string::npos) ours.replace(p, hex(as_addr).size(), hex(as_mode));
    }
    std::string theirs = o.theirs;
    if (set & 1u << kBnd) theirs = erase_word(theirs, "bnd ");
    if (set & 1u << kHle) theirs = erase_word(erase_word(theirs, "xacquire "), "xrelease ");
    if (set & (1u << kLarLsl | 1u << kFnstsw))  // "dword ptr" -> "word ptr"
      if (size_t p = theirs.find("dword ptr"); p != std::string::npos) theirs.erase(p, 1);
    if (set & 1u << kFnsave) theirs = erase_word(theirs, "dword ptr ");
    if (set & 1u << kMovSreg) theirs = blur_sizes(theirs), ours = blur_sizes(ours);
    if (set & (1u << kRelAddr | 1u << kRelTrunc)) {
      ours = without_target(ours);
      theirs = without_target(theirs);
    }
    if (set & 1u << kHalf66) {
      ours = blur_sizes(ours);
      theirs = blur_sizes(theirs);
    }
    if (ours != theirs) continue;
    best.clear();
    for (unsigned k = 0; k < kCount; ++k) {
      if (!(set >> k & 1)) continue;
      if (best.find(kNames[k]) != std::string::npos) continue;
      if (!best.empty()) best += '+';
      best += kNames[k];
    }
    best_bits = bits;
  }
  return best;
}

// The erratum class of a disagreement, or "" when none explains it.
std::string classify(const Observation& o, CodeSize mode) {
  const bool ok = o.status == DecodeStatus::kOk;
  const std::string cs_name = o.cs.valid ? last_word(o.cs.mnemonic) : "";
  const uint8_t op0 = o.opcode[0];
  const uint8_t op1 = o.opcode[1];
  const bool map0f = op0 == 0x0F;
  const bool same_length = ok && o.cs.valid && o.insn.length == o.cs.length;

  if (!ok && o.cs.valid) {
    for (unsigned g : kLaterGroups)
      if (has_group(o.cs, g)) return "later-extension";
    for (std::string_view m : kLaterMnemonics)
      if (cs_name == m) return "later-extension";
    // VEX (C4/C5), EVEX (62) and XOP (8F) prefixes: in 32-bit mode they are
    // told from LES/LDS/BOUND/POP Ev by a register-form ModRM.
    if (!map0f && (op0 == 0xC4 || op0 == 0xC5 || op0 == 0x62 || op0 == 0x8F) && o.opcode[1] >= 0xC0)
      return "later-extension";
    if (map0f && op1 == 0x18) return "later-extension";
    if (map0f && op1 == 0xAE) return "later-extension";  // group 15: FXSAVE (Pentium II) and later  // PREFETCHh and its hint space (SSE)
    if (map0f && (op1 == 0x38 || op1 == 0x3A)) return "later-extension";  // three-byte maps (SSSE3+)
    for (std::string_view p : {"xcrypt", "xstore", "xsha", "montmul"})  // VIA PadLock
      if (starts_with(cs_name, p)) return "later-extension";
  }
  if (ok && map0f && op1 == 0x1F && !o.cs.valid && o.insn.ops[0].kind == OperandKind::kReg) return "nop-register";
  if (ok && map0f && op1 == 0xFF && !o.cs.valid) return "ud0-not-decoded";
  if (ok && !o.cs.valid && prefix_before(o, 0x66, {0xF2, 0xF3})) return "opsize-rep-rejected";
  if (ok && map0f && (op1 == 0xBC || op1 == 0xBD) && (o.insn.prefixes & kPrefixRep) && o.cs.valid &&
      (last_word(o.cs.mnemonic) == "tzcnt" || last_word(o.cs.mnemonic) == "lzcnt"))
    return "tzcnt-lzcnt";
  if (!o.cs.valid) return "";

  // LOCK on an instruction or operand that does not allow it: Capstone decodes it.
  // (When Capstone itself writes "lock" on a memory-destination form, tx86
  // missing the row's kLock would be our bug: not an erratum.)
  if (!ok && has_prefix(o, 0xF0) && !ours_without_prefix(o, mode, {0xF0}, false).empty()) {
    const bool capstone_locks = o.cs.mnemonic.find("lock") != std::string::npos;
    const bool memory_destination = o.theirs.find(" ptr ") != std::string::npos &&
                                    o.theirs.find(" ptr ") < o.theirs.find(',');
    if (!(capstone_locks && memory_destination)) return "lock-not-checked";
  }
  if (same_length || ok) {
    if (std::string c = prefix_errata(o, mode); !c.empty()) return c;
  }
  if (!ok && !map0f && op0 == 0x8E && ((o.opcode[1] >> 3) & 7) == 1) return "mov-to-cs";
  if (!ok && map0f && (op1 == 0x20 || op1 == 0x22) && cs_name == "mov") return "reserved-cr";
  // (whatever else tx86 objects to: the bytes raise #UD either way)
  if (map0f && op1 == 0xB9 && o.cs.mnemonic == "ud2b") return "ud1-modrm";
  if (!ok && map0f && op1 >= 0x19 && op1 <= 0x1F && cs_name == "nop") return "hint-nop";
  if (same_length && o.insn.mnemonic == Mnemonic::kEnter) return "enter-signed";
  if (same_length && mode == CodeSize::k16 && o.insn.opsize == 2 &&
      ((o.insn.mnemonic == Mnemonic::kCbw && cs_name == "cwde") || (o.insn.mnemonic == Mnemonic::kCwd && cs_name == "cdq")))
    return "cbw-cwd-16bit-name";

  if (same_length && !map0f && op0 == 0xD9 && o.opcode[1] >= 0xD8 && o.opcode[1] <= 0xDF && cs_name == "fstpnce")
    return "fstp1-alias-name";
  if (same_length && !map0f && op0 == 0xF3 && o.opcode[1] == 0x90) return "pause";
  if (ok && !map0f && op0 == 0x90 && has_prefix(o, 0xF3) && cs_name == "pause") return "pause";
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
    if (insn.has(kAttrX87) && (drop_st0(c.ours) == c.theirs || c.ours == drop_st0(c.theirs))) {
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
  // The classifiers look a few bytes past the opcode: give them zero padding.
  uint8_t padded[kMaxInsnLength + 4] = {};
  std::copy(bytes, bytes + kMaxInsnLength, padded);
  const Observation o{padded, prefix_count, padded + prefix_count, st, insn, cs, c.ours, c.theirs};
  c.erratum = classify(o, mode_);
  return c;
}

}  // namespace tx86::x86::test
