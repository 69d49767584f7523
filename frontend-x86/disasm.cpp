// Capstone 4 wrapper (see disasm.h).
#include "frontend-x86/disasm.h"

#include <capstone/capstone.h>

#include <stdexcept>

namespace tx86::x86 {

Disassembler::Disassembler(Mode mode) {
  const cs_mode m = mode == Mode::k16 ? CS_MODE_16 : (mode == Mode::k32 ? CS_MODE_32 : CS_MODE_64);
  csh h = 0;
  if (cs_open(CS_ARCH_X86, m, &h) != CS_ERR_OK) throw std::runtime_error("capstone: cs_open failed");
  cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
  cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  handle_ = h;
  insn_ = cs_malloc(h);
  if (!insn_) {
    cs_close(&h);
    throw std::runtime_error("capstone: cs_malloc failed");
  }
}

Disassembler::~Disassembler() {
  csh h = handle_;
  cs_free(static_cast<cs_insn*>(insn_), 1);
  cs_close(&h);
}

Disassembler::Detail Disassembler::detail(const uint8_t* bytes, size_t size, uint64_t address) {
  Detail d;
  const uint8_t* code = bytes;
  size_t left = size;
  uint64_t addr = address;
  auto* insn = static_cast<cs_insn*>(insn_);
  if (!cs_disasm_iter(handle_, &code, &left, &addr, insn)) return d;
  d.valid = true;
  d.length = insn->size;
  d.mnemonic = insn->mnemonic;
  d.op_str = insn->op_str;
  if (insn->detail)
    d.groups.assign(insn->detail->groups, insn->detail->groups + insn->detail->groups_count);
  return d;
}

std::string Disassembler::disassemble(const uint8_t* bytes, size_t size, uint64_t address, size_t* length) {
  const uint8_t* code = bytes;
  size_t left = size;
  uint64_t addr = address;
  auto* insn = static_cast<cs_insn*>(insn_);
  if (!cs_disasm_iter(handle_, &code, &left, &addr, insn)) {
    if (length) *length = 0;
    return "(bad)";
  }
  if (length) *length = insn->size;
  std::string s = insn->mnemonic;
  if (insn->op_str[0]) {
    s += ' ';
    s += insn->op_str;
  }
  return s;
}

}  // namespace tx86::x86
