// The decoded form of one x86 instruction: what frontend-x86 hands to the
// interpreter, the JIT, the tracer and the tests.
//
// An Insn is a plain value (no pointers into the byte stream), cheap to copy
// and to keep in a per-page decode cache. Everything an engine needs to run
// the instruction is here: the mnemonic and the opcode-table row it came from,
// operand and address sizes, explicit operands, the one memory reference an
// x86 instruction can have, prefixes and the row's attributes.
//
// Encodings follow the Intel SDM, Vol. 2, chapter 2 (instruction format) and
// appendix A (opcode map).
#pragma once

#include <cstdint>
#include <string_view>

namespace tx86::x86 {

enum class Mnemonic : uint16_t {
#define TX86_MNEMONIC(enumerator, name) enumerator,
#include "frontend-x86/mnemonics.def"
#undef TX86_MNEMONIC
  kCount
};

// The SDM spelling of a mnemonic ("add", "jne", "cmovge", "movs").
std::string_view mnemonic_name(Mnemonic m);

// General-register numbers as encoded in ModRM.reg / ModRM.rm / opcode low bits.
// For 8-bit operands 0..7 are AL CL DL BL AH CH DH BH.
enum Gpr : uint8_t { kEax, kEcx, kEdx, kEbx, kEsp, kEbp, kEsi, kEdi };
// Segment-register numbers as encoded in ModRM.reg (SDM Vol. 2, 3.1.1.3, "Sreg").
enum Sreg : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs };
inline constexpr uint8_t kNoReg = 0xFF;

enum class OperandKind : uint8_t {
  kNone,
  kReg,   // general register `reg`, `size` bytes (1: AL..BH encoding, 2, 4)
  kSreg,  // segment register `reg` (Sreg)
  kCr,    // control register CR`reg`
  kDr,    // debug register DR`reg`
  kTr,    // test register TR`reg` (386/486 MOV TRn)
  kMem,   // memory at Insn::mem, `size` bytes (0 where no access is made: LEA)
  kImm,   // immediate `imm`, already sign- or zero-extended to `size` as the
          // encoding prescribes (Ib of 83 /r is sign-extended, of C0 /r is not)
  kRel,   // relative branch: `imm` is the sign-extended displacement; the target
          // is (address of next instruction + imm) truncated to the operand size
  kFar,   // far pointer immediate (Ap): `imm` = offset, Insn::far_selector
  kSt,    // x87 register ST(`reg`)
};

struct Operand {
  OperandKind kind = OperandKind::kNone;
  uint8_t size = 0;  // bytes: 1, 2, 4, 6 (far pointer / descriptor), 8, 10, ...
  uint8_t reg = 0;
  uint32_t imm = 0;
};

// The memory reference of an instruction (at most one per instruction;
// string instructions use their implicit DS:eSI / ES:eDI and leave this
// with base == index == kNoReg and seg set to the effective source segment).
struct MemRef {
  uint8_t seg = kDs;       // effective segment after defaults and override
  uint8_t base = kNoReg;   // Gpr, or kNoReg
  uint8_t index = kNoReg;  // Gpr, or kNoReg (never ESP)
  uint8_t scale = 0;       // log2 of the scale factor: 0..3
  int32_t disp = 0;        // sign-extended displacement
};

// Prefix bits (Insn::prefixes).
enum Prefix : uint8_t {
  kPrefixLock = 1 << 0,      // F0
  kPrefixRep = 1 << 1,       // F3 (REP / REPE / REPZ), the last of F2/F3 seen
  kPrefixRepne = 1 << 2,     // F2 (REPNE / REPNZ), the last of F2/F3 seen
  kPrefixOpsize = 1 << 3,    // 66 present
  kPrefixAddrsize = 1 << 4,  // 67 present
  kPrefixSegment = 1 << 5,   // a segment override is present (MemRef::seg holds it)
};

// Attributes of an opcode-table row (Insn::attrs). DESIGN.md §1.
enum Attr : uint16_t {
  kAttrBranch = 1 << 0,       // changes EIP other than by falling through
  kAttrEndsBlock = 1 << 1,    // a translated block must end after this instruction
  kAttrPrivileged = 1 << 2,   // CPL 0 only (or touches CRx/DRx/descriptor tables)
  kAttrIoSensitive = 1 << 3,  // IOPL- or I/O-bitmap-sensitive (IN/OUT/INS/OUTS/CLI/STI/...)
  kAttrLockable = 1 << 4,     // LOCK is legal when the destination is memory
  kAttrX87 = 1 << 5,          // x87 escape (D8..DF)
  kAttrStringOp = 1 << 6,     // MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS (REP applies)
  kAttrCond = 1 << 7,         // Jcc/SETcc/CMOVcc/FCMOVcc: Insn::cond is meaningful
  kAttrSensitive = 1 << 8,    // behaves differently by mode/CPL without trapping
                              // (PUSHF/POPF, SGDT, SMSW, ...): trap-and-emulate
  kAttrNoModrmMemory = 1 << 9 // row requires ModRM.mod == 3 (register form only)
};

// EFLAGS bits, as used in Insn::flags_read / flags_written (SDM Vol. 1, 3.4.3).
enum Eflag : uint32_t {
  kCF = 1u << 0, kPF = 1u << 2, kAF = 1u << 4, kZF = 1u << 6, kSF = 1u << 7,
  kTF = 1u << 8, kIF = 1u << 9, kDF = 1u << 10, kOF = 1u << 11,
  kIOPL = 3u << 12, kNT = 1u << 14, kRF = 1u << 16, kVM = 1u << 17,
  kAC = 1u << 18, kVIF = 1u << 19, kVIP = 1u << 20, kID = 1u << 21,
};
inline constexpr uint32_t kArithFlags = kCF | kPF | kAF | kZF | kSF | kOF;

struct Insn {
  Mnemonic mnemonic = Mnemonic::kInvalid;
  uint16_t form = 0;      // row index in the opcode table (frontend-x86/opcode_table)
  uint8_t length = 0;     // bytes, prefixes included
  uint8_t width = 0;      // main operand width in bytes: 1, 2 or 4 (0 if none)
  uint8_t opsize = 2;     // operand-size attribute: 2 or 4
  uint8_t addrsize = 2;   // address-size attribute: 2 or 4
  uint8_t prefixes = 0;   // Prefix bits
  uint8_t cond = 0;       // condition code 0..15 (SDM Vol. 1, B.1) when kAttrCond
  uint8_t map = 0;        // 0: one-byte map, 1: 0F map
  uint8_t opcode = 0;     // opcode byte within its map
  uint8_t modrm = 0;      // ModRM byte, if the form has one
  uint8_t num_operands = 0;
  uint16_t attrs = 0;     // Attr bits
  uint16_t far_selector = 0;  // selector of a far pointer immediate (Ap)
  uint8_t enter_level = 0;    // second immediate of ENTER (Ib)
  uint32_t flags_read = 0;    // EFLAGS bits the instruction reads
  uint32_t flags_written = 0; // EFLAGS bits it writes or leaves undefined
  MemRef mem;
  Operand ops[3];

  bool has(Attr a) const { return (attrs & a) != 0; }
  bool has_memory_operand() const {
    for (int i = 0; i < num_operands; ++i)
      if (ops[i].kind == OperandKind::kMem) return true;
    return false;
  }
};

// Default operand and address size of the code segment (CS.D), and the CPU
// model (which opcodes exist, how long an instruction may be).
enum class CodeSize : uint8_t { k16, k32 };
enum class CpuModel : uint8_t {
  k286,  // 80286: no 386 opcodes or 66/67/64/65 prefixes, 10-byte limit (#GP),
         // LOCK allowed on any instruction
  k386,  // 80386: + 32-bit operands/addressing, FS/GS, 0F 80..BF, MOV CRn/DRn/TRn
         // (each model has the table rows marked for it: opcode_table.h, ModelMask)
  k486,      // 80486: + BSWAP, XADD, CMPXCHG, INVLPG, INVD/WBINVD, CPUID
  kPentium,  // + CMPXCHG8B, RDTSC, RDMSR/WRMSR, RSM, MOV CR4
  kP6,   // Pentium Pro: everything the table has (CMOVcc, CMPXCHG8B, RDTSC, ...)
};

struct DecodeOptions {
  CodeSize code_size = CodeSize::k16;
  CpuModel model = CpuModel::kP6;
};

enum class DecodeStatus : uint8_t {
  kOk,
  kInvalid,        // no such instruction (or LOCK where not allowed): #UD
  kTooLong,        // past the length limit: #GP(0) (the 80286 too: its hardware
                   // vectors raise vector 13 for 11-byte instructions)
  kNeedMoreBytes,  // `size` bytes did not hold the whole instruction
};

}  // namespace tx86::x86
