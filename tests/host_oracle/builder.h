// Internals of the oracle's generator: a deterministic RNG, an x86 encoder
// for the ModRM/SIB forms of 32-bit addressing (SDM Vol. 2, 2.1.5, tables
// 2-2 and 2-3), and the SequenceBuilder that appends instructions while
// keeping the generator's rules (generator.h): register reservations, the
// stack model, the tracked DF value and which status flags are undefined.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/host_oracle/generator.h"

namespace tx86::oracle {

enum Reg : uint8_t { kEax, kEcx, kEdx, kEbx, kEsp, kEbp, kEsi, kEdi };
inline constexpr uint8_t kNoReg = 0xFF;
using RegMask = uint8_t;  // bit n: 32-bit register n
inline constexpr RegMask bit(uint8_t r) { return static_cast<RegMask>(1u << r); }
// The 32-bit register an 8-bit register number (AL CL DL BL AH CH DH BH) lives in.
inline constexpr uint8_t reg8_owner(uint8_t r8) { return r8 & 3; }

// splitmix64: tiny, fast and identical everywhere (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t u32() { return static_cast<uint32_t>(next() >> 32); }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((uint64_t{u32()} * n) >> 32); }
  int32_t range(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(below(static_cast<uint32_t>(hi - lo + 1))); }
  bool chance(uint32_t percent) { return below(100) < percent; }
  // A value of `width` bytes, biased towards the edges arithmetic gets wrong.
  uint32_t interesting(unsigned width);

 private:
  uint64_t state_;
};

struct MemOperand {
  uint8_t base = kNoReg;
  uint8_t index = kNoReg;
  uint8_t scale_log2 = 0;
  int32_t disp = 0;
  bool force_disp32 = false;  // use disp32 even if disp8 would do
  bool force_sib = false;     // SIB byte without an index (a valid longer form)
  uint8_t segment_prefix = 0; // 0x26 / 0x2E / 0x36 / 0x3E, or 0
};

struct RmOperand {
  bool is_mem = false;
  uint8_t reg = 0;  // register number when !is_mem (8-bit numbering for width 1)
  MemOperand mem;
  uint32_t ea = 0;  // address of a memory operand (0 when not known here)
};

// True if [ea, ea + size) crosses a 64-byte cache line. A locked access that
// does is a "split lock": correct, but Linux traps and throttles it (and logs
// it), so the generator keeps locked accesses within one line.
inline bool splits_line(uint32_t ea, uint32_t size) { return (ea & 63) + size > 64; }

struct FlagEffect {
  uint32_t reads = 0;      // status flags whose values the result depends on
  uint32_t defines = 0;    // status flags set to defined values
  uint32_t undefines = 0;  // status flags left undefined
};

// Appends instructions to a Sequence. Each instruction: begin(), bytes via
// the put_* helpers, then finish(mnemonic, effect, written registers).
class SequenceBuilder {
 public:
  SequenceBuilder(Rng& rng, Sequence& seq);

  Rng& rng() { return rng_; }
  Sequence& seq() { return seq_; }

  // --- state ---------------------------------------------------------------
  uint32_t undefined() const { return undefined_; }
  void set_undefined(uint32_t u) { undefined_ = u; }
  bool defined(uint32_t flags) const { return (undefined_ & flags) == 0; }
  bool df() const { return df_; }
  void set_df(bool df) { df_ = df; }
  int reserved_base() const { return seq_.reserved_base; }
  uint32_t esp() const { return kStackTop - stack_bytes_; }
  uint32_t stack_bytes() const { return stack_bytes_; }
  // Registers an instruction may write (not ESP, not the reserved base, not
  // a pinned register).
  RegMask writable() const;
  // Registers that must keep their value for a while (EBP inside ENTER..LEAVE).
  void set_pinned(RegMask m) { pinned_ = m; }
  bool can_write(uint8_t reg32) const { return (writable() & bit(reg32)) != 0; }
  bool can_write8(uint8_t reg8) const { return can_write(reg8_owner(reg8)); }

  // Stack model for PUSH/POP/PUSHF/POPF.
  struct StackEntry {
    uint8_t bytes = 4;
    bool flags_image = false;  // a valid EFLAGS image (POPF may take it)
    bool df = false;           // its DF bit, if flags_image
    int8_t pushad_slot = -1;   // 0 (EAX) .. 7 (EDI) if pushed by PUSHAD
  };
  std::vector<StackEntry>& stack() { return stack_; }
  void adjust_stack(int32_t delta_bytes) { stack_bytes_ = static_cast<uint32_t>(static_cast<int32_t>(stack_bytes_) + delta_bytes); }

  // --- emitting --------------------------------------------------------------
  void begin();
  void put(uint8_t b) { cur_.push_back(b); }
  void put_imm(unsigned width, uint32_t value);
  void put_opsize(unsigned width) { if (width == 2) put(0x66); }
  // ModRM (+ SIB + displacement) for `reg_field` and `rm`.
  void put_modrm(uint8_t reg_field, const RmOperand& rm);
  // Segment prefix of a memory operand, if any.
  void put_segment(const RmOperand& rm) { if (rm.is_mem && rm.mem.segment_prefix) put(rm.mem.segment_prefix); }
  void finish(const std::string& mnemonic, const FlagEffect& effect, RegMask writes);
  size_t code_size() const { return seq_.code.size(); }
  // Patches a byte already in the code (branch displacements).
  void patch(size_t offset, uint8_t value) { seq_.code[offset] = value; }
  void patch32(size_t offset, uint32_t value);

  // --- setup instructions (flags untouched) ------------------------------------
  void mov_reg32_imm(uint8_t reg, uint32_t value);
  void mov_reg16_imm(uint8_t reg, uint16_t value);
  void mov_reg8_imm(uint8_t reg8, uint8_t value);
  // MOV of `width` bytes of `value` into memory operand `rm`.
  void mov_mem_imm(unsigned width, const RmOperand& rm, uint32_t value);

  // --- operands --------------------------------------------------------------
  // A random address for an access of `size` bytes inside the scratch area.
  // `atomic`: the access is locked, so it must not split a cache line.
  uint32_t pick_scratch(uint32_t size, bool atomic = false);
  // A memory operand that addresses `ea`, for an access of `size` bytes that
  // the caller has checked. May emit MOVs that set base/index registers,
  // choosing them outside `avoid`. `read_only` allows ESP-relative forms.
  MemOperand mem_at(uint32_t ea, RegMask avoid, bool read_only);
  // A random register or memory operand of `width` bytes. `write`: the
  // instruction writes it. Memory operands address the scratch area.
  // `atomic`: see pick_scratch (XCHG with memory always locks).
  RmOperand rm_operand(unsigned width, bool write, RegMask avoid = 0, bool atomic = false);
  RmOperand memory_operand(unsigned width, bool write, RegMask avoid = 0, bool atomic = false);
  // LOCK may be added to an instruction on `rm` (its access does not split).
  static bool lockable(const RmOperand& rm, unsigned width) { return rm.is_mem && rm.ea != 0 && !splits_line(rm.ea, width); }
  // A random register number of `width` (8-bit numbering for 1) that may be
  // written (`write`) and whose 32-bit owner is outside `avoid`.
  uint8_t pick_reg(unsigned width, bool write, RegMask avoid = 0);
  // A random segment override prefix (or 0) that is legal for the access.
  uint8_t pick_segment_prefix(bool write);

 private:
  Rng& rng_;
  Sequence& seq_;
  std::vector<uint8_t> cur_;
  uint32_t undefined_ = 0;
  bool df_ = false;
  uint32_t stack_bytes_ = 0;  // below kStackTop
  RegMask pinned_ = 0;
  std::vector<StackEntry> stack_;
};

// Names of the condition codes as Capstone spells them (SDM Vol. 1, B.1).
const char* condition_name(unsigned cc);
// Status flags condition `cc` reads.
uint32_t condition_reads(unsigned cc);

}  // namespace tx86::oracle
