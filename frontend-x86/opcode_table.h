// The opcode table: one row per instruction form of the 8086..Pentium Pro
// integer and x87 instruction set, defined once in frontend-x86/opcodes.def.
// The decoder, the names, and the interpreter/JIT per-row tables all come
// from these rows (DESIGN.md §1).
//
// A row is selected by (map, opcode byte, ModRM.reg, ModRM.mod class,
// ModRM.rm) following the Intel SDM Vol. 2, appendix A (opcode map, group
// tables A-6 and the x87 escape tables A-7..A-22). Operand specs use the SDM
// appendix A.2 notation ("Ev,Gv", "AL,Ib", "Jz", "Ap"); the few additions
// are listed at OperandSpec below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontend-x86/insn.h"

namespace tx86::x86 {

// How one operand of a row is encoded (parsed from the row's spec string).
enum class OperandSpec : uint8_t {
  kNone,
  // ModRM r/m: register or memory. b/w/d/v = 1/2/4/opsize bytes.
  kEb, kEw, kEd, kEv,
  kEvw,   // register form opsize, memory form 2 bytes (MOV Ev,Sw; SLDT; STR; SMSW;
          // source of LAR/LSL): SDM "r16/r32/m16"
  kEp,    // far pointer in memory, 2+opsize bytes (CALLF/JMPF Ep)
  // ModRM r/m, memory only (mod != 3 enforced by the row's mod class).
  kM,     // address only, no access (LEA): size 0
  kMb, kMw, kMd, kMq,
  kMt,    // 10 bytes (m80 real, m80 packed BCD)
  kMp,    // far pointer 2+opsize (LES/LDS/LSS/LFS/LGS)
  kMa,    // two opsize words (BOUND)
  kMs,    // pseudo-descriptor, 6 bytes (LGDT/SGDT/...)
  kMe,    // x87 environment: 14 bytes (16-bit) or 28 (32-bit)
  kMst,   // x87 state: 94 or 108 bytes
  // ModRM r/m, register only, 32 bits whatever mod says (MOV CRn/DRn/TRn).
  kRd,
  // ModRM reg.
  kGb, kGw, kGd, kGv, kSw, kCd, kDd, kTd,
  // Immediates and branches.
  kIb,    // 1 byte
  kIbs,   // 1 byte sign-extended to opsize (83 /r, 6A, 6B): tx86 notation
  kIw, kIz,
  kJb, kJz, kAp,
  kOb, kOv,  // moffs: a memory operand with no base/index, disp = offset
  // Register in the opcode's low three bits.
  kZb, kZv, kZd,
  // Fixed operands written out as the SDM row does.
  kOne,          // the constant 1 of D0/D1 shifts
  kAL, kCL, kDX, kAX, kEAX,  // kEAX = eAX, sized by opsize
  kES, kCS, kSS, kDS, kFS, kGS,
  kST0, kSTi,    // x87 ST(0), ST(rm)
};

// Which CPU models have a row: one bit per CpuModel value.
using ModelMask = uint8_t;
inline constexpr ModelMask model_bit(CpuModel m) { return static_cast<ModelMask>(1u << static_cast<unsigned>(m)); }

enum class ModClass : uint8_t { kNone, kAny, kMem, kReg };  // kNone: no ModRM byte
inline constexpr uint8_t kAnyField = 0xFF;  // reg / rm column: any value

struct OpcodeRow {
  uint8_t map;        // 0: one-byte map, 1: 0F map
  uint8_t opcode;
  uint8_t reg;        // ModRM.reg, or kAnyField
  ModClass mod;
  uint8_t rm;         // ModRM.rm (x87 register forms), or kAnyField
  Mnemonic mnemonic;
  std::string_view spec;  // operand spec as written in opcodes.def
  uint32_t flags_read;
  uint32_t flags_written;
  uint16_t attrs;     // Attr bits
  ModelMask models;
  // Derived from spec at compile time:
  bool has_modrm;
  uint8_t num_operands;   // explicit operands (0 for string instructions)
  char width_class;       // 'b','w','d','v' or 0: Insn::width
  uint8_t cond;           // condition code for kAttrCond rows
  OperandSpec ops[3];
};

// Number of rows; row 0 is the "invalid" row (form 0 of an undecodable Insn).
size_t opcode_row_count();
// The row of Insn::form; `form` must be < opcode_row_count().
const OpcodeRow& opcode_row(uint16_t form);
// "ADD Ev,Gv": the SDM-style name of a row (upper-case mnemonic and spec).
// Returns a view into a table built at start-up; valid for the program's life.
std::string_view opcode_row_name(uint16_t form);

// All EFLAGS bits an instruction can read or write (PUSHF/POPF/IRET/task switch).
inline constexpr uint32_t kAllFlags = kArithFlags | kTF | kIF | kDF | kIOPL | kNT | kRF | kVM | kAC |
                                      kVIF | kVIP | kID;

}  // namespace tx86::x86
