// Decoder-side index of the opcode table (internal to frontend-x86): which
// row an opcode byte, ModRM.mod/reg and (for x87 register forms) ModRM.rm
// select. Built at compile time from opcodes.def by opcode_table.cpp.
#pragma once

#include <cstdint>

#include "frontend-x86/opcode_table.h"

namespace tx86::x86::detail {

// Marks a ModRM slot whose row depends on ModRM.rm too (x87 register forms).
inline constexpr uint16_t kByRm = 0xFFFF;

struct OpcodeLookup {
  // [map * 256 + opcode]: the row of an opcode without ModRM, else 0.
  uint16_t no_modrm[512];
  // [map * 256 + opcode]: the opcode takes a ModRM byte.
  bool has_modrm[512];
  // [map * 256 + opcode][(mod == 3) * 8 + reg]: row, 0 (invalid) or kByRm.
  uint16_t by_modrm[512][16];
  // [opcode - 0xD8][modrm - 0xC0]: x87 register forms.
  uint16_t x87_reg[8][64];
};

extern const OpcodeLookup kOpcodeLookup;
// The rows themselves (kOpcodeRows[form]).
extern const OpcodeRow kOpcodeRows[];

}  // namespace tx86::x86::detail
