// Names and Intel-syntax text of a decoded instruction (no Capstone here).
//
// display_name() spells the operand-size variant that the SDM gives its own
// name (MOVSB/MOVSW/MOVSD, CBW/CWDE, IRET/IRETD, JCXZ/JECXZ, ...).
// format_insn() writes "mnemonic operands" in Intel syntax with the
// conventions of Capstone's Intel printer (hex immediates above 9, "dword ptr",
// branch targets as absolute addresses), so that the decoder-vs-Capstone test
// can compare text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "frontend-x86/insn.h"

namespace tx86::x86 {

std::string_view display_name(const Insn& insn);

// `address` is the linear address of the instruction's first byte (for
// relative branch targets).
std::string format_insn(const Insn& insn, uint64_t address);

// Register names as Intel syntax spells them.
std::string_view gpr_name(uint8_t reg, unsigned size_bytes);
std::string_view sreg_name(uint8_t reg);

}  // namespace tx86::x86
