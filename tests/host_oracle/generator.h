// Random instruction sequences for the host-CPU oracle test: integer
// instructions of 32-bit protected mode, encoded by our own small encoder, that
// run without faulting at the fixed addresses of oracle_abi.h and whose defined
// results (SDM Vol. 2, "Flags Affected" of every instruction) do not depend on
// any undefined flag. The same Sequence runs natively (native_helper.c) and in
// tx86 (tx86_runner.h); the test compares what both leave behind.
//
// Rules the generator keeps (and asserts):
// - memory operands stay inside the data area (locked ones within a cache
//   line); the reserved base register (EBX or EBP, or none) and ESP are never
//   written except by balanced PUSH/POP, PUSHAD/POPAD and ENTER/LEAVE;
// - no instruction reads a flag that an earlier one left undefined;
//   `undefined_flags` masks what is still undefined at the end;
// - no register ends up undefined (BSF/BSR never see a zero source, SHLD/SHRD
//   never shift by more than the operand size, DIV/IDIV never fault).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/host_oracle/oracle_abi.h"

namespace tx86::oracle {

inline constexpr uint32_t kCodeAddr = ORACLE_CODE_ADDR;
inline constexpr uint32_t kDataAddr = ORACLE_DATA_ADDR;
inline constexpr uint32_t kDataBytes = ORACLE_DATA_BYTES;
inline constexpr uint32_t kScratchBytes = ORACLE_SCRATCH_BYTES;
inline constexpr uint32_t kStackTop = ORACLE_STACK_TOP;
inline constexpr uint32_t kMaxSequenceBytes = ORACLE_MAX_SEQUENCE_BYTES;

// EFLAGS bits the oracle cares about (SDM Vol. 1, 3.4.3).
inline constexpr uint32_t kFlagCf = 1u << 0, kFlagPf = 1u << 2, kFlagAf = 1u << 4, kFlagZf = 1u << 6,
                          kFlagSf = 1u << 7, kFlagDf = 1u << 10, kFlagOf = 1u << 11;
inline constexpr uint32_t kStatusFlags = kFlagCf | kFlagPf | kFlagAf | kFlagZf | kFlagSf | kFlagOf;
// The system bits POPF may load (SDM Vol. 2, POPF): at CPL 3 with IOPL 0
// (the host process, and tx86 for cpl3 sequences) IF and IOPL keep their
// values, NT and ID take the image's. TF, AC and the V86 bits are never set.
inline constexpr uint32_t kFlagIf = 1u << 9, kFlagIopl = 3u << 12, kFlagNt = 1u << 14, kFlagId = 1u << 21;
inline constexpr uint32_t kSystemFlags = kFlagIf | kFlagIopl | kFlagNt | kFlagId;
inline constexpr uint32_t kComparedFlags = kStatusFlags | kFlagDf | kSystemFlags | (1u << 8) | (1u << 18);

// One generated instruction, for listings and the Capstone check.
struct GeneratedInsn {
  uint32_t offset = 0;       // from the start of the sequence
  uint32_t length = 0;
  std::string mnemonic;      // as Capstone spells it, without prefixes (rep, lock)
  uint32_t undefined_after = 0;  // status flags undefined after it (on the path taken)
};

struct Sequence {
  uint64_t seed = 0;
  std::vector<uint8_t> code;  // without the terminator (HLT in tx86, a jump natively)
  std::vector<GeneratedInsn> insns;
  std::array<uint32_t, 8> gpr{};  // EAX ECX EDX EBX ESP EBP ESI EDI
  uint32_t eflags = 0x202;
  std::array<uint8_t, kDataBytes> data{};
  uint32_t undefined_flags = 0;  // status flags undefined at the end
  int reserved_base = -1;        // register that holds a fixed data pointer, or -1
  // Run tx86 at CPL 3 (DPL-3 flat segments) like the host process; then POPF
  // images may try to change IF and IOPL. Otherwise CPL 0 and images keep
  // IF=1, IOPL=0 (which a CPL-0 POPF would load).
  bool cpl3 = false;
  // The last instruction may fault on purpose (GeneratorOptions::faults).
  bool may_fault = false;

  // EFLAGS bits whose final values must agree.
  uint32_t compared_flags() const { return kComparedFlags & ~undefined_flags; }
};

struct GeneratorOptions {
  unsigned min_insns = 4;   // main instructions (setup MOVs come on top)
  unsigned max_insns = 24;
  // ARPL (core/priv/descriptor_tables.cpp): on by default since tx86
  // implements it; --with-arpl stays accepted.
  bool arpl = true;
  // Every sequence at CPL 3 (the ring-3 kernel mode runs nothing else).
  bool all_cpl3 = false;
  // Some sequences end in an instruction that may raise an exception (or,
  // now and then, reads the read-only page): #DE, #UD, #GP from privileged
  // instructions and INT n, #BP, #OF, #BR, #PF (not present, write to
  // read-only). For runs that compare exceptions (the ring-3 kernel mode).
  bool faults = false;
};

// The sequence for `seed` (a pure function of seed and options).
Sequence generate(uint64_t seed, const GeneratorOptions& options = {});

// The seed of sequence `index` in a run with `run_seed`.
uint64_t sequence_seed(uint64_t run_seed, uint64_t index);

}  // namespace tx86::oracle
