#include "cli/trace.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tx86::cli {

namespace {

constexpr const char* kGprNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
constexpr const char* kSregNames[6] = {"es", "cs", "ss", "ds", "fs", "gs"};

// EFLAGS letters in the conventional odiszapc order; upper case = set.
std::string flag_letters(uint32_t eflags) {
  struct Bit { uint32_t mask; char letter; };
  constexpr Bit kBits[] = {{x86::kOF, 'o'}, {x86::kDF, 'd'}, {x86::kIF, 'i'}, {x86::kTF, 't'},
                           {x86::kSF, 's'}, {x86::kZF, 'z'}, {x86::kAF, 'a'}, {x86::kPF, 'p'},
                           {x86::kCF, 'c'}};
  std::string s;
  for (const Bit& b : kBits) s += (eflags & b.mask) ? static_cast<char>(b.letter - 'a' + 'A') : b.letter;
  return s;
}

const char* vector_name(uint8_t v) {
  static const char* const kNames[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                       "#DF", "#MF9", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                       "#MF", "#AC", "#MC", "#XM"};
  return v < sizeof(kNames) / sizeof(kNames[0]) ? kNames[v] : "INT";
}

}  // namespace

TraceWriter::TraceWriter(const std::string& path)
    : file_(std::fopen(path.c_str(), "w")),
      disasm16_(x86::Disassembler::Mode::k16),
      disasm32_(x86::Disassembler::Mode::k32) {
  if (file_ == nullptr)
    throw std::runtime_error("--trace '" + path + "': cannot create: " + std::strerror(errno));
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

TraceWriter::~TraceWriter() { std::fclose(file_); }

std::string TraceWriter::format_changes(const core::CpuState& before, const core::CpuState& after) {
  std::string out;
  char buf[48];
  for (int r = 0; r < 8; ++r) {
    if (before.gpr[r] != after.gpr[r]) {
      std::snprintf(buf, sizeof buf, " %s=%08x", kGprNames[r], after.gpr[r]);
      out += buf;
    }
  }
  for (int s = 0; s < 6; ++s) {
    if (before.seg[s].selector != after.seg[s].selector || before.seg[s].base != after.seg[s].base) {
      std::snprintf(buf, sizeof buf, " %s=%04x", kSregNames[s], after.seg[s].selector);
      out += buf;
    }
  }
  if (before.eflags != after.eflags) {
    std::snprintf(buf, sizeof buf, " fl=%08x[%s]", after.eflags, flag_letters(after.eflags).c_str());
    out += buf;
  }
  for (int c : {0, 2, 3, 4}) {
    uint32_t b = c == 0 ? before.cr0 : c == 2 ? before.cr2 : c == 3 ? before.cr3 : before.cr4;
    uint32_t a = c == 0 ? after.cr0 : c == 2 ? after.cr2 : c == 3 ? after.cr3 : after.cr4;
    if (a != b) {
      std::snprintf(buf, sizeof buf, " cr%d=%08x", c, a);
      out += buf;
    }
  }
  return out;
}

void TraceWriter::on_instruction(const core::CpuState& before, const x86::Insn& insn, const uint8_t* bytes,
                                 const core::CpuState& after) {
  char hex[3 * 16 + 1] = {};
  for (unsigned i = 0; i < insn.length && i < 15; ++i)
    std::snprintf(hex + 3 * i, 4, "%02x ", bytes[i]);
  x86::Disassembler& d = before.code32() ? disasm32_ : disasm16_;
  std::string text = d.disassemble(bytes, insn.length, before.eip);
  std::fprintf(file_, "%04x:%08x  %-30s %-32s%s\n", before.seg[x86::kCs].selector, before.eip, hex,
               text.c_str(), format_changes(before, after).c_str());
}

void TraceWriter::on_exception(const core::CpuState& at, uint8_t vector, bool has_error_code,
                               uint32_t error_code) {
  if (has_error_code)
    std::fprintf(file_, "%04x:%08x  exception %s (vector %u) error code %04x\n", at.seg[x86::kCs].selector,
                 at.eip, vector_name(vector), vector, error_code);
  else
    std::fprintf(file_, "%04x:%08x  exception %s (vector %u)\n", at.seg[x86::kCs].selector, at.eip,
                 vector_name(vector), vector);
}

void TraceWriter::on_interrupt(const core::CpuState& at, uint8_t vector) {
  std::fprintf(file_, "%04x:%08x  interrupt vector %u\n", at.seg[x86::kCs].selector, at.eip, vector);
}

}  // namespace tx86::cli
