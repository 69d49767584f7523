// Intel-syntax text of an Insn. Conventions follow Capstone 4's Intel printer
// (which tools and the decoder test compare against): immediates above 9 in
// hex, negative values of sign-extended imm8 forms with a minus sign, memory
// as "dword ptr es:[ebx + esi*4 - 0x10]", string instructions with their
// implicit operands written out.
#include "frontend-x86/format.h"

#include <cstdio>

#include "frontend-x86/opcode_table.h"

namespace tx86::x86 {
namespace {

constexpr std::string_view kGpr8[8] = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
constexpr std::string_view kGpr16[8] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
constexpr std::string_view kGpr32[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
constexpr std::string_view kSreg[8] = {"es", "cs", "ss", "ds", "fs", "gs", "?6", "?7"};

uint32_t mask_of(unsigned size_bytes) { return size_bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1; }

void append_unsigned(std::string& s, uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, v > 9 ? "0x%llx" : "%llu", static_cast<unsigned long long>(v));
  s += buf;
}

void append_signed(std::string& s, int64_t v) {
  if (v < 0) {
    s += '-';
    append_unsigned(s, static_cast<uint64_t>(-v));
  } else {
    append_unsigned(s, static_cast<uint64_t>(v));
  }
}

std::string_view size_keyword(unsigned size, Mnemonic m) {
  switch (size) {
    case 1: return "byte ptr ";
    case 2: return "word ptr ";
    case 4: return "dword ptr ";
    case 8: return "qword ptr ";
    case 10: return (m == Mnemonic::kFbld || m == Mnemonic::kFbstp) ? "tbyte ptr " : "xword ptr ";
    default: return "";  // LEA, pseudo-descriptors, x87 environment/state
  }
}

void append_address(std::string& s, const Insn& i, bool show_seg) {
  if (show_seg) {
    s += sreg_name(i.mem.seg);
    s += ':';
  }
  s += '[';
  const unsigned asz = i.addrsize;
  bool any = false;
  if (i.mem.base != kNoReg) {
    s += gpr_name(i.mem.base, asz);
    any = true;
  }
  if (i.mem.index != kNoReg) {
    if (any) s += " + ";
    s += gpr_name(i.mem.index, asz);
    if (i.mem.scale) {
      s += '*';
      s += static_cast<char>('0' + (1 << i.mem.scale));
    }
    any = true;
  }
  if (!any) {
    append_unsigned(s, static_cast<uint32_t>(i.mem.disp) & mask_of(asz));
  } else if (i.mem.disp != 0) {
    s += i.mem.disp < 0 ? " - " : " + ";
    append_unsigned(s, i.mem.disp < 0 ? -static_cast<int64_t>(i.mem.disp) : i.mem.disp);
  }
  s += ']';
}

// The implicit operands of a string instruction, as Intel syntax writes them.
void append_string_operands(std::string& s, const Insn& i) {
  const unsigned asz = i.addrsize;
  const std::string_view size = size_keyword(i.width, i.mnemonic);
  const bool seg = (i.prefixes & kPrefixSegment) != 0;
  auto dst = [&] {
    s += size;
    s += "es:[";
    s += gpr_name(kEdi, asz);
    s += ']';
  };
  auto src = [&] {
    s += size;
    if (seg) {
      s += sreg_name(i.mem.seg);
      s += ':';
    }
    s += '[';
    s += gpr_name(kEsi, asz);
    s += ']';
  };
  const std::string_view acc = gpr_name(kEax, i.width);
  switch (i.mnemonic) {
    case Mnemonic::kMovs: dst(); s += ", "; src(); break;
    case Mnemonic::kCmps: src(); s += ", "; dst(); break;
    case Mnemonic::kStos: dst(); s += ", "; s += acc; break;
    case Mnemonic::kLods: s += acc; s += ", "; src(); break;
    case Mnemonic::kScas: s += acc; s += ", "; dst(); break;
    case Mnemonic::kIns: dst(); s += ", dx"; break;
    case Mnemonic::kOuts: s += "dx, "; src(); break;
    default: break;
  }
}

void append_operand(std::string& s, const Insn& i, unsigned n, uint64_t address) {
  const Operand& o = i.ops[n];
  const OpcodeRow& row = opcode_row(i.form);
  switch (o.kind) {
    case OperandKind::kNone: break;
    case OperandKind::kReg: s += gpr_name(o.reg, o.size); break;
    case OperandKind::kSreg: s += sreg_name(o.reg); break;
    case OperandKind::kCr: s += "cr"; s += static_cast<char>('0' + o.reg); break;
    case OperandKind::kDr: s += "dr"; s += static_cast<char>('0' + o.reg); break;
    case OperandKind::kTr: s += "tr"; s += static_cast<char>('0' + o.reg); break;
    case OperandKind::kSt: s += "st("; s += static_cast<char>('0' + o.reg); s += ')'; break;
    case OperandKind::kMem: {
      const OperandSpec spec = row.ops[n];
      const bool far_ptr = spec == OperandSpec::kMp || spec == OperandSpec::kEp;
      if (!far_ptr) s += size_keyword(o.size, i.mnemonic);
      append_address(s, i, (i.prefixes & kPrefixSegment) != 0);
      break;
    }
    case OperandKind::kImm:
      // A sign-extended imm8 reads as a signed number, except as the bit mask
      // of AND/OR/XOR.
      if (row.ops[n] == OperandSpec::kIbs && i.mnemonic != Mnemonic::kAnd && i.mnemonic != Mnemonic::kOr &&
          i.mnemonic != Mnemonic::kXor) {
        const uint32_t m = mask_of(o.size);
        const uint32_t sign = (m >> 1) + 1;
        const int64_t v = (o.imm & sign) ? static_cast<int64_t>(o.imm) - static_cast<int64_t>(m) - 1 : o.imm;
        append_signed(s, v);
      } else {
        append_unsigned(s, o.imm & mask_of(o.size));
      }
      break;
    case OperandKind::kRel:
      append_unsigned(s, (address + i.length + o.imm) & mask_of(o.size));
      break;
    case OperandKind::kFar:
      append_unsigned(s, i.far_selector);
      s += ':';
      append_unsigned(s, o.imm);
      break;
  }
}

}  // namespace

std::string_view gpr_name(uint8_t reg, unsigned size_bytes) {
  reg &= 7;
  return size_bytes == 1 ? kGpr8[reg] : size_bytes == 2 ? kGpr16[reg] : kGpr32[reg];
}

std::string_view sreg_name(uint8_t reg) { return kSreg[reg & 7]; }

std::string_view display_name(const Insn& i) {
  const bool d = i.width == 4 || (i.width == 0 && i.opsize == 4);
  auto by_width = [&](std::string_view b, std::string_view w, std::string_view dw) {
    return i.width == 1 ? b : (i.width == 2 ? w : dw);
  };
  switch (i.mnemonic) {
    case Mnemonic::kMovs: return by_width("movsb", "movsw", "movsd");
    case Mnemonic::kCmps: return by_width("cmpsb", "cmpsw", "cmpsd");
    case Mnemonic::kStos: return by_width("stosb", "stosw", "stosd");
    case Mnemonic::kLods: return by_width("lodsb", "lodsw", "lodsd");
    case Mnemonic::kScas: return by_width("scasb", "scasw", "scasd");
    case Mnemonic::kIns: return by_width("insb", "insw", "insd");
    case Mnemonic::kOuts: return by_width("outsb", "outsw", "outsd");
    case Mnemonic::kCbw: return d ? "cwde" : "cbw";
    case Mnemonic::kCwd: return d ? "cdq" : "cwd";
    case Mnemonic::kIret: return d ? "iretd" : "iret";
    case Mnemonic::kPusha: return d ? "pushad" : "pusha";
    case Mnemonic::kPopa: return d ? "popad" : "popa";
    case Mnemonic::kPushf: return d ? "pushfd" : "pushf";
    case Mnemonic::kPopf: return d ? "popfd" : "popf";
    case Mnemonic::kJcxz: return i.addrsize == 4 ? "jecxz" : "jcxz";
    case Mnemonic::kXlat: return "xlatb";
    default: return mnemonic_name(i.mnemonic);
  }
}

std::string format_insn(const Insn& i, uint64_t address) {
  std::string s;
  s.reserve(48);
  if (i.prefixes & kPrefixLock) s += "lock ";
  if (i.has(kAttrStringOp)) {
    // REPE/REPNE apply to CMPS/SCAS; the others know only REP (SDM Vol. 2, REP/REPE/REPZ/...).
    const bool compares = i.mnemonic == Mnemonic::kCmps || i.mnemonic == Mnemonic::kScas;
    if (i.prefixes & kPrefixRep) s += compares ? "repe " : "rep ";
    if (i.prefixes & kPrefixRepne) s += "repne ";
  }
  s += display_name(i);
  if (i.has(kAttrStringOp)) {
    s += ' ';
    append_string_operands(s, i);
    return s;
  }
  // AAM/AAD with the default base 10 are written without it.
  const bool base10 = (i.mnemonic == Mnemonic::kAam || i.mnemonic == Mnemonic::kAad) && i.ops[0].imm == 10;
  for (unsigned n = 0; n < i.num_operands && !base10; ++n) {
    s += n == 0 ? " " : ", ";
    append_operand(s, i, n, address);
  }
  return s;
}

}  // namespace tx86::x86
