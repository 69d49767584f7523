// SequenceBuilder: encoding, operand choice and the generator's bookkeeping.
#include "tests/host_oracle/builder.h"

#include <cassert>
#include <cstdlib>
#include <cstdio>

namespace tx86::oracle {

namespace {

// The generator's own invariants; violated means a generator bug, so stop
// loudly even in release builds (assert would vanish there).
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "host_oracle generator: broken invariant: %s\n", what);
    std::abort();
  }
}

bool fits_int8(int32_t v) { return v >= -128 && v <= 127; }

bool in_data(uint32_t ea, uint32_t size) {
  return ea >= kDataAddr && ea + size <= kDataAddr + kDataBytes && ea + size >= ea;
}

}  // namespace

uint32_t Rng::interesting(unsigned width) {
  const uint32_t mask = width == 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1;
  const uint32_t sign = 1u << (8 * width - 1);
  switch (below(12)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return mask;               // -1
    case 3: return sign;               // most negative
    case 4: return sign - 1;           // most positive
    case 5: return below(16);          // small
    case 6: return (mask - below(16)) & mask;  // small negative
    case 7: return (sign + below(4) - 2) & mask;  // around the sign boundary
    case 8: return u32() & 0x0F0F0F0Fu & mask;    // BCD-ish nibbles
    default: return u32() & mask;
  }
}

SequenceBuilder::SequenceBuilder(Rng& rng, Sequence& seq) : rng_(rng), seq_(seq) {
  df_ = (seq.eflags & kFlagDf) != 0;
  stack_bytes_ = kStackTop - seq.gpr[kEsp];
}

RegMask SequenceBuilder::writable() const {
  RegMask m = static_cast<RegMask>(0xFF & ~bit(kEsp) & ~pinned_);
  if (seq_.reserved_base >= 0) m &= static_cast<RegMask>(~bit(static_cast<uint8_t>(seq_.reserved_base)));
  return m;
}

void SequenceBuilder::begin() { cur_.clear(); }

void SequenceBuilder::put_imm(unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width; ++i) put(static_cast<uint8_t>(value >> (8 * i)));
}

void SequenceBuilder::patch32(size_t offset, uint32_t value) {
  for (unsigned i = 0; i < 4; ++i) seq_.code[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

void SequenceBuilder::put_modrm(uint8_t reg_field, const RmOperand& rm) {
  const uint8_t r = static_cast<uint8_t>((reg_field & 7) << 3);
  if (!rm.is_mem) {
    put(static_cast<uint8_t>(0xC0 | r | rm.reg));
    return;
  }
  const MemOperand& m = rm.mem;
  if (m.base == kNoReg && m.index == kNoReg) {  // [disp32]
    put(static_cast<uint8_t>(0x05 | r));
    put_imm(4, static_cast<uint32_t>(m.disp));
    return;
  }
  const bool sib = m.index != kNoReg || m.base == kEsp || m.force_sib || m.base == kNoReg;
  uint8_t mod;
  unsigned disp_bytes;
  if (m.base == kNoReg) {  // SIB with no base: mod 00, base 101, disp32
    mod = 0;
    disp_bytes = 4;
  } else if (m.disp == 0 && !m.force_disp32 && m.base != kEbp) {
    mod = 0;
    disp_bytes = 0;
  } else if (fits_int8(m.disp) && !m.force_disp32) {
    mod = 1;
    disp_bytes = 1;
  } else {
    mod = 2;
    disp_bytes = 4;
  }
  if (sib) {
    check(m.index != kEsp, "ESP as index");
    put(static_cast<uint8_t>((mod << 6) | r | 4));
    const uint8_t index = m.index == kNoReg ? 4 : m.index;
    const uint8_t base = m.base == kNoReg ? 5 : m.base;
    put(static_cast<uint8_t>((m.scale_log2 << 6) | (index << 3) | base));
  } else {
    put(static_cast<uint8_t>((mod << 6) | r | m.base));
  }
  put_imm(disp_bytes, static_cast<uint32_t>(m.disp));
}

void SequenceBuilder::finish(const std::string& mnemonic, const FlagEffect& effect, RegMask writes) {
  check((effect.reads & undefined_) == 0, "instruction reads an undefined flag");
  check((writes & ~writable()) == 0, "instruction writes ESP or the reserved base");
  GeneratedInsn insn;
  insn.offset = static_cast<uint32_t>(seq_.code.size());
  insn.length = static_cast<uint32_t>(cur_.size());
  insn.mnemonic = mnemonic;
  check(insn.length >= 1 && insn.length <= 15, "instruction length");
  seq_.code.insert(seq_.code.end(), cur_.begin(), cur_.end());
  undefined_ = ((undefined_ & ~effect.defines) | effect.undefines) & kStatusFlags;
  insn.undefined_after = undefined_;
  seq_.insns.push_back(std::move(insn));
  cur_.clear();
}

void SequenceBuilder::mov_reg32_imm(uint8_t reg, uint32_t value) {
  begin();
  put(static_cast<uint8_t>(0xB8 + reg));
  put_imm(4, value);
  finish("mov", {}, bit(reg));
}

void SequenceBuilder::mov_reg16_imm(uint8_t reg, uint16_t value) {
  begin();
  put(0x66);
  put(static_cast<uint8_t>(0xB8 + reg));
  put_imm(2, value);
  finish("mov", {}, bit(reg));
}

void SequenceBuilder::mov_reg8_imm(uint8_t reg8, uint8_t value) {
  begin();
  put(static_cast<uint8_t>(0xB0 + reg8));
  put(value);
  finish("mov", {}, bit(reg8_owner(reg8)));
}

void SequenceBuilder::mov_mem_imm(unsigned width, const RmOperand& rm, uint32_t value) {
  begin();
  put_segment(rm);
  put_opsize(width);
  put(width == 1 ? 0xC6 : 0xC7);
  put_modrm(0, rm);
  put_imm(width, value);
  finish("mov", {}, 0);
}

uint32_t SequenceBuilder::pick_scratch(uint32_t size, bool atomic) {
  for (;;) {
    uint32_t ea = kDataAddr + rng_.below(kScratchBytes - size + 1);
    if (!atomic || !splits_line(ea, size)) return ea;
  }
}

uint8_t SequenceBuilder::pick_segment_prefix(bool write) {
  if (!rng_.chance(15)) return 0;
  // CS is readable but not writable (flat code segment); FS/GS are not flat
  // in the host process (GS holds the TLS base).
  static constexpr uint8_t kAny[] = {0x26, 0x36, 0x3E, 0x2E};
  return kAny[rng_.below(write ? 3 : 4)];
}

MemOperand SequenceBuilder::mem_at(uint32_t ea, RegMask avoid, bool read_only) {
  MemOperand m;
  const RegMask fresh = static_cast<RegMask>(writable() & ~avoid);
  auto pick_fresh = [&](RegMask exclude) -> uint8_t {
    RegMask cand = static_cast<RegMask>(fresh & ~exclude);
    if (cand == 0) return kNoReg;
    for (;;) {
      uint8_t r = static_cast<uint8_t>(rng_.below(8));
      if (cand & bit(r)) return r;
    }
  };
  const int base = seq_.reserved_base;
  for (;;) {
    switch (rng_.below(8)) {
      case 0:  // [disp32]
        m.disp = static_cast<int32_t>(ea);
        return m;
      case 1:
      case 2:  // [reserved + disp]
        if (base < 0) continue;
        m.base = static_cast<uint8_t>(base);
        m.disp = static_cast<int32_t>(ea - seq_.gpr[base]);
        m.force_disp32 = rng_.chance(10);
        m.force_sib = rng_.chance(10);
        return m;
      case 3: {  // [reserved + index*scale + disp]
        if (base < 0) continue;
        uint8_t idx = pick_fresh(bit(kEsp));
        if (idx == kNoReg) continue;
        m.base = static_cast<uint8_t>(base);
        m.index = idx;
        m.scale_log2 = static_cast<uint8_t>(rng_.below(4));
        int32_t iv = rng_.range(-40, 40);
        m.disp = static_cast<int32_t>(ea - seq_.gpr[base] - (static_cast<uint32_t>(iv) << m.scale_log2));
        mov_reg32_imm(idx, static_cast<uint32_t>(iv));
        return m;
      }
      case 4: {  // [index*scale + disp32], any index value (address arithmetic wraps)
        uint8_t idx = pick_fresh(bit(kEsp));
        if (idx == kNoReg) continue;
        m.index = idx;
        m.scale_log2 = static_cast<uint8_t>(rng_.below(4));
        uint32_t iv = rng_.chance(50) ? rng_.u32() : static_cast<uint32_t>(rng_.range(-100, 100));
        m.disp = static_cast<int32_t>(ea - (iv << m.scale_log2));
        mov_reg32_imm(idx, iv);
        return m;
      }
      case 5: {  // [fresh base + disp]
        uint8_t b = pick_fresh(0);
        if (b == kNoReg) continue;
        m.base = b;
        m.disp = rng_.chance(50) ? rng_.range(-128, 127) : static_cast<int32_t>(rng_.u32());
        m.force_sib = rng_.chance(10);
        mov_reg32_imm(b, ea - static_cast<uint32_t>(m.disp));
        return m;
      }
      case 6: {  // [fresh base + fresh index*scale + disp]
        uint8_t b = pick_fresh(0);
        if (b == kNoReg) continue;
        uint8_t idx = pick_fresh(bit(b) | bit(kEsp));
        if (idx == kNoReg) continue;
        m.base = b;
        m.index = idx;
        m.scale_log2 = static_cast<uint8_t>(rng_.below(4));
        uint32_t iv = rng_.u32();
        m.disp = rng_.range(-128, 127);
        mov_reg32_imm(idx, iv);
        mov_reg32_imm(b, ea - static_cast<uint32_t>(m.disp) - (iv << m.scale_log2));
        return m;
      }
      default:  // [esp + disp]: reads only (writes could hit a pushed EFLAGS image)
        if (!read_only) continue;
        m.base = kEsp;
        m.disp = static_cast<int32_t>(ea - esp());
        return m;
    }
  }
}

RmOperand SequenceBuilder::memory_operand(unsigned width, bool write, RegMask avoid, bool atomic) {
  RmOperand rm;
  rm.is_mem = true;
  uint32_t ea = pick_scratch(width, atomic);
  rm.ea = ea;
  check(in_data(ea, width), "memory operand out of bounds");
  rm.mem = mem_at(ea, avoid, !write);
  rm.mem.segment_prefix = pick_segment_prefix(write);
  return rm;
}

uint8_t SequenceBuilder::pick_reg(unsigned width, bool write, RegMask avoid) {
  for (;;) {
    uint8_t r = static_cast<uint8_t>(rng_.below(8));
    uint8_t owner = width == 1 ? reg8_owner(r) : r;
    if (avoid & bit(owner)) continue;
    if (write && !can_write(owner)) continue;
    return r;
  }
}

RmOperand SequenceBuilder::rm_operand(unsigned width, bool write, RegMask avoid, bool atomic) {
  if (rng_.chance(40)) return memory_operand(width, write, avoid, atomic);
  RmOperand rm;
  rm.reg = pick_reg(width, write, avoid);
  return rm;
}

const char* condition_name(unsigned cc) {
  static constexpr const char* kNames[16] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
                                             "s", "ns", "p", "np", "l", "ge", "le", "g"};
  return kNames[cc & 15];
}

uint32_t condition_reads(unsigned cc) {
  switch ((cc & 15) >> 1) {
    case 0: return kFlagOf;
    case 1: return kFlagCf;
    case 2: return kFlagZf;
    case 3: return kFlagCf | kFlagZf;
    case 4: return kFlagSf;
    case 5: return kFlagPf;
    case 6: return kFlagSf | kFlagOf;
    default: return kFlagZf | kFlagSf | kFlagOf;
  }
}

}  // namespace tx86::oracle
