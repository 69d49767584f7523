// Data movement, string, stack, flag, conditional and branch families.
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "tests/host_oracle/families.h"

namespace tx86::oracle {

namespace {

constexpr FlagEffect kArith{0, kStatusFlags, 0};
uint8_t wbit(unsigned width) { return width == 1 ? 0 : 1; }
const char* size_suffix(unsigned width) { return width == 1 ? "b" : width == 2 ? "w" : "d"; }

}  // namespace

bool Families::set_cmov() {
  const int cc = pick_condition();
  if (cc < 0) return false;
  const FlagEffect fx{condition_reads(static_cast<unsigned>(cc)), 0, 0};
  if (rng_.chance(50)) {  // 0F 90+cc: SETcc r/m8
    RmOperand rm = b_.rm_operand(1, true);
    b_.begin();
    put_prefixes(false, &rm, 1);
    b_.put(0x0F);
    b_.put(static_cast<uint8_t>(0x90 + cc));
    b_.put_modrm(0, rm);
    b_.finish(std::string("set") + condition_name(static_cast<unsigned>(cc)), fx, rm_mask(1, rm));
  } else {  // 0F 40+cc: CMOVcc r, r/m (the source is read whatever the condition)
    const unsigned w = pick_width_wide();
    uint8_t reg = b_.pick_reg(w, true);
    RmOperand rm = b_.rm_operand(w, false);
    b_.begin();
    put_prefixes(false, &rm, w);
    b_.put(0x0F);
    b_.put(static_cast<uint8_t>(0x40 + cc));
    b_.put_modrm(reg, rm);
    b_.finish(std::string("cmov") + condition_name(static_cast<unsigned>(cc)), fx, bit(reg));
  }
  return true;
}

bool Families::string_op() {
  static constexpr const char* kNames[5] = {"movs", "cmps", "stos", "lods", "scas"};
  static constexpr uint8_t kOpcodes[5] = {0xA4, 0xA6, 0xAA, 0xAC, 0xAE};
  const unsigned kind = rng_.below(5);
  const unsigned w = pick_width();
  const bool compares = kind == 1 || kind == 4;
  const bool uses_si = kind == 0 || kind == 1 || kind == 3;
  const bool uses_di = kind != 3;
  uint8_t rep = 0;
  if (rng_.chance(60)) rep = compares && rng_.chance(50) ? 0xF2 : 0xF3;
  if (!in_skip_ && rng_.chance(40)) {  // CLD / STD
    const bool df = rng_.chance(50);
    b_.begin();
    b_.put(df ? 0xFD : 0xFC);
    b_.finish(df ? "std" : "cld", {}, 0);
    b_.set_df(df);
  }
  const uint32_t n = rep ? (rng_.chance(20) ? rng_.below(48) : rng_.below(9)) : 1;
  auto pointer = [&]() {
    // Every element [p - (n-1)w, p + w) (DF=1) or [p, p + nw) (DF=0) in scratch.
    const uint32_t span = n == 0 ? w : n * w;
    uint32_t p = kDataAddr + rng_.below(kScratchBytes - span + 1);
    return b_.df() ? p + span - w : p;
  };
  if (rep) b_.mov_reg32_imm(kEcx, n);
  if (uses_si) b_.mov_reg32_imm(kEsi, pointer());
  if (uses_di) b_.mov_reg32_imm(kEdi, pointer());
  // Only the DS:ESI source takes a segment override (SDM Vol. 2, MOVS).
  RmOperand src;
  src.is_mem = true;
  if (uses_si) src.mem.segment_prefix = b_.pick_segment_prefix(false);
  b_.begin();
  put_prefixes(false, &src, w, rep);
  b_.put(static_cast<uint8_t>(kOpcodes[kind] + wbit(w)));
  RegMask writes = 0;
  if (uses_si) writes |= bit(kEsi);
  if (uses_di) writes |= bit(kEdi);
  if (rep) writes |= bit(kEcx);
  if (kind == 3) writes |= bit(kEax);
  b_.finish(std::string(kNames[kind]) + size_suffix(w), compares && n > 0 ? kArith : FlagEffect{}, writes);
  return true;
}

bool Families::exchange() {
  const unsigned kind = rng_.below(3);  // XCHG, XADD, CMPXCHG
  const unsigned w = pick_width();
  if (kind == 0 && w != 1 && rng_.chance(25)) {  // 90+r: XCHG eAX, r
    uint8_t r = b_.pick_reg(w, true, bit(kEax));
    b_.begin();
    b_.put_opsize(w);
    b_.put(static_cast<uint8_t>(0x90 + r));
    b_.finish("xchg", {}, static_cast<RegMask>(bit(kEax) | bit(r)));
    return true;
  }
  // CMPXCHG may load the accumulator first, so its address must not use EAX.
  RmOperand rm = b_.rm_operand(w, true, kind == 2 ? bit(kEax) : 0, /*atomic=*/kind == 0);
  uint8_t reg = b_.pick_reg(w, kind != 2);
  if (kind == 2 && rng_.chance(50)) {  // MOV acc, r/m: makes the compare succeed
    b_.begin();
    put_prefixes(false, &rm, w);
    b_.put(static_cast<uint8_t>(0x8A + wbit(w)));
    b_.put_modrm(0, rm);
    b_.finish("mov", {}, bit(kEax));
  }
  const bool lock = SequenceBuilder::lockable(rm, w) && rng_.chance(30);
  b_.begin();
  put_prefixes(lock, &rm, w);
  if (kind == 0) {
    b_.put(static_cast<uint8_t>(0x86 + wbit(w)));
  } else {
    b_.put(0x0F);
    b_.put(static_cast<uint8_t>((kind == 1 ? 0xC0 : 0xB0) + wbit(w)));
  }
  b_.put_modrm(reg, rm);
  RegMask writes = rm_mask(w, rm);
  if (kind != 2) writes |= reg_mask(w, reg);
  else writes |= bit(kEax);
  static constexpr const char* kNames[3] = {"xchg", "xadd", "cmpxchg"};
  b_.finish(kNames[kind], kind == 0 ? FlagEffect{} : kArith, writes);
  return true;
}

bool Families::convert() {
  const unsigned kind = rng_.below(4);  // CBW CWDE CWD CDQ
  static constexpr const char* kNames[4] = {"cbw", "cwde", "cwd", "cdq"};
  b_.begin();
  if (kind == 0 || kind == 2) b_.put(0x66);
  b_.put(kind < 2 ? 0x98 : 0x99);
  b_.finish(kNames[kind], {}, kind < 2 ? bit(kEax) : bit(kEdx));
  return true;
}

bool Families::extend_move() {
  const bool sign = rng_.chance(50);
  const unsigned src_w = rng_.chance(50) ? 1 : 2;
  const unsigned dst_w = src_w == 2 ? 4 : pick_width_wide();
  uint8_t reg = b_.pick_reg(dst_w, true);
  RmOperand rm = b_.rm_operand(src_w, false);
  b_.begin();
  put_prefixes(false, &rm, dst_w);
  b_.put(0x0F);
  b_.put(static_cast<uint8_t>((sign ? 0xBE : 0xB6) + (src_w == 2 ? 1 : 0)));
  b_.put_modrm(reg, rm);
  b_.finish(sign ? "movsx" : "movzx", {}, bit(reg));
  return true;
}

bool Families::lea() {
  // No memory access: any base, index and displacement will do.
  const unsigned w = pick_width_wide();
  uint8_t reg = b_.pick_reg(w, true);
  b_.begin();
  if (rng_.chance(15)) {  // 16-bit addressing (67): [BX+SI] ... (SDM Vol. 2, table 2-1)
    b_.put_opsize(w);
    b_.put(0x67);
    b_.put(0x8D);
    const uint8_t mod = static_cast<uint8_t>(rng_.below(3)), rm = static_cast<uint8_t>(rng_.below(8));
    b_.put(static_cast<uint8_t>((mod << 6) | (reg << 3) | rm));
    if (mod == 1) b_.put(static_cast<uint8_t>(rng_.u32()));
    if (mod == 2 || (mod == 0 && rm == 6)) b_.put_imm(2, rng_.u32());
    b_.finish("lea", {}, bit(reg));
    return true;
  }
  RmOperand m;
  m.is_mem = true;
  if (rng_.chance(80)) m.mem.base = static_cast<uint8_t>(rng_.below(8));
  if (rng_.chance(50)) {
    do m.mem.index = static_cast<uint8_t>(rng_.below(8)); while (m.mem.index == kEsp);
    m.mem.scale_log2 = static_cast<uint8_t>(rng_.below(4));
  }
  m.mem.disp = rng_.chance(50) ? rng_.range(-128, 127) : static_cast<int32_t>(rng_.interesting(4));
  m.mem.force_sib = rng_.chance(10);
  m.mem.force_disp32 = rng_.chance(10);
  b_.put_opsize(w);
  b_.put(0x8D);
  b_.put_modrm(reg, m);
  b_.finish("lea", {}, bit(reg));
  return true;
}

bool Families::bswap() {
  uint8_t r = b_.pick_reg(4, true);
  b_.begin();
  b_.put(0x0F);
  b_.put(static_cast<uint8_t>(0xC8 + r));
  b_.finish("bswap", {}, bit(r));
  return true;
}

bool Families::lahf_sahf() {
  constexpr uint32_t kLow = kFlagSf | kFlagZf | kFlagAf | kFlagPf | kFlagCf;
  if (rng_.chance(50)) {
    if (!b_.defined(kLow)) return false;
    b_.begin();
    b_.put(0x9F);
    b_.finish("lahf", {kLow, 0, 0}, bit(kEax));
    return true;
  }
  if (rng_.chance(50)) b_.mov_reg8_imm(4, static_cast<uint8_t>(rng_.u32()));  // AH
  b_.begin();
  b_.put(0x9E);
  b_.finish("sahf", {0, kLow, 0}, 0);
  return true;
}

bool Families::flag_op() {
  const unsigned kind = rng_.below(in_skip_ ? 3 : 5);  // CLC STC CMC CLD STD
  static constexpr const char* kNames[5] = {"clc", "stc", "cmc", "cld", "std"};
  static constexpr uint8_t kOpcodes[5] = {0xF8, 0xF9, 0xF5, 0xFC, 0xFD};
  FlagEffect fx;
  if (kind < 3) fx.defines = kFlagCf;
  if (kind == 2) fx.reads = kFlagCf;
  if (!b_.defined(fx.reads)) return false;
  b_.begin();
  b_.put(kOpcodes[kind]);
  b_.finish(kNames[kind], fx, 0);
  if (kind >= 3) b_.set_df(kind == 4);
  return true;
}

bool Families::mov() {
  const unsigned w = pick_width();
  const unsigned form = rng_.below(5);
  b_.begin();
  switch (form) {
    case 0: {  // 88/89: r/m <- reg
      b_.begin();
      RmOperand rm = b_.rm_operand(w, true);
      uint8_t reg = b_.pick_reg(w, false);
      b_.begin();
      put_prefixes(false, &rm, w);
      b_.put(static_cast<uint8_t>(0x88 + wbit(w)));
      b_.put_modrm(reg, rm);
      b_.finish("mov", {}, rm_mask(w, rm));
      return true;
    }
    case 1: {  // 8A/8B: reg <- r/m
      RmOperand rm = b_.rm_operand(w, false);
      uint8_t reg = b_.pick_reg(w, true);
      b_.begin();
      put_prefixes(false, &rm, w);
      b_.put(static_cast<uint8_t>(0x8A + wbit(w)));
      b_.put_modrm(reg, rm);
      b_.finish("mov", {}, reg_mask(w, reg));
      return true;
    }
    case 2: {  // B0+r / B8+r
      uint8_t reg = b_.pick_reg(w, true);
      b_.put_opsize(w);
      b_.put(static_cast<uint8_t>((w == 1 ? 0xB0 : 0xB8) + reg));
      b_.put_imm(w, rng_.interesting(w));
      b_.finish("mov", {}, reg_mask(w, reg));
      return true;
    }
    case 3: {  // C6/C7 /0
      RmOperand rm = b_.rm_operand(w, true);
      b_.begin();
      put_prefixes(false, &rm, w);
      b_.put(static_cast<uint8_t>(0xC6 + wbit(w)));
      b_.put_modrm(0, rm);
      b_.put_imm(w, rng_.interesting(w));
      b_.finish("mov", {}, rm_mask(w, rm));
      return true;
    }
    default: {  // A0..A3: accumulator <-> moffs32
      const bool store = rng_.chance(50);
      RmOperand rm;
      rm.is_mem = true;
      rm.mem.segment_prefix = b_.pick_segment_prefix(store);
      put_prefixes(false, &rm, w);
      b_.put(static_cast<uint8_t>((store ? 0xA2 : 0xA0) + wbit(w)));
      b_.put_imm(4, b_.pick_scratch(w));
      b_.finish("mov", {}, store ? 0 : bit(kEax));
      return true;
    }
  }
}

bool Families::push_pop() {
  if (in_skip_ || in_frame_) return false;
  auto& stack = b_.stack();
  const bool push = stack.size() <= stack_floor_ || (b_.stack_bytes() < 64 && rng_.chance(55));
  if (push) {
    const unsigned w = pick_width_wide();
    SequenceBuilder::StackEntry e;
    e.bytes = static_cast<uint8_t>(w);
    const unsigned form = rng_.below(6);
    b_.begin();
    std::string name = "push";
    if (form == 0) {  // 50+r, including PUSH ESP (pushes the old value)
      b_.put_opsize(w);
      b_.put(static_cast<uint8_t>(0x50 + rng_.below(8)));
    } else if (form == 1) {  // 68 / 6A
      b_.put_opsize(w);
      if (rng_.chance(50)) {
        b_.put(0x68);
        b_.put_imm(w, rng_.interesting(w));
      } else {
        b_.put(0x6A);
        b_.put(static_cast<uint8_t>(rng_.interesting(1)));
      }
    } else if (form == 2) {  // FF /6 m
      RmOperand rm = b_.memory_operand(w, false);
      b_.begin();
      put_prefixes(false, &rm, w);
      b_.put(0xFF);
      b_.put_modrm(6, rm);
    } else if (form == 3) {  // PUSHF: all status flags must be defined
      if (!b_.defined(kStatusFlags)) return false;
      b_.put_opsize(w);
      b_.put(0x9C);
      name = w == 4 ? "pushfd" : "pushf";
      e.flags_image = true;
      e.df = b_.df();
    } else {  // PUSH imm of an EFLAGS image for POPF: never TF or AC; at CPL 0
              // IF=1, IOPL=0, NT=0, ID=0 (what the host's CPL-3 POPF keeps)
      const uint32_t loadable = kStatusFlags | kFlagDf | (b_.seq().cpl3 ? kSystemFlags : 0);
      uint32_t image = 0x2 | (rng_.u32() & loadable);
      if (!b_.seq().cpl3) image |= kFlagIf;
      b_.put_opsize(w);
      b_.put(0x68);
      b_.put_imm(w, image);
      e.flags_image = true;
      e.df = (image & kFlagDf) != 0;
    }
    b_.finish(name, form == 3 ? FlagEffect{kStatusFlags, 0, 0} : FlagEffect{}, 0);
    b_.adjust_stack(static_cast<int32_t>(w));
    stack.push_back(e);
    return true;
  }
  const SequenceBuilder::StackEntry top = stack.back();
  const unsigned w = top.bytes;
  const unsigned form = rng_.below(top.flags_image ? 4 : 3);
  b_.begin();
  if (form == 3) {  // POPF of an image we built: defines every status flag and DF
    b_.put_opsize(w);
    b_.put(0x9D);
    b_.finish(w == 4 ? "popfd" : "popf", {0, kStatusFlags, 0}, 0);
    b_.set_df(top.df);
  } else if (form == 2) {  // 8F /0 m
    RmOperand rm = rng_.chance(30) ? esp_relative_pop_target(w) : b_.memory_operand(w, true);
    b_.begin();
    put_prefixes(false, &rm, w);
    b_.put(0x8F);
    b_.put_modrm(0, rm);
    b_.finish("pop", {}, 0);
  } else {
    uint8_t r = b_.pick_reg(w, true);
    b_.put_opsize(w);
    b_.put(static_cast<uint8_t>(0x58 + r));
    b_.finish("pop", {}, bit(r));
  }
  b_.adjust_stack(-static_cast<int32_t>(w));
  stack.pop_back();
  return true;
}

bool Families::skip_branch() {
  // A forward branch over a short block of ordinary instructions. If the
  // branch may or may not be taken, a flag is undefined after the block when
  // it is undefined on either path.
  if (in_skip_) return false;
  const unsigned kind = rng_.below(8);
  // 0: Jcc rel8, 1: Jcc rel32, 2: LOOP, 3: LOOPE, 4: LOOPNE, 5: JECXZ, 6: JMP rel8, 7: JMP rel32
  FlagEffect fx;
  int cc = 0;
  if (kind <= 1) {
    cc = pick_condition();
    if (cc < 0) return false;
    fx.reads = condition_reads(static_cast<unsigned>(cc));
  } else if (kind == 3 || kind == 4) {
    if (!b_.defined(kFlagZf)) return false;
    fx.reads = kFlagZf;
  }
  const bool rel32 = kind == 1 || kind == 7;
  b_.begin();
  std::string name;
  switch (kind) {
    case 0: b_.put(static_cast<uint8_t>(0x70 + cc)); name = std::string("j") + condition_name(static_cast<unsigned>(cc)); break;
    case 1: b_.put(0x0F); b_.put(static_cast<uint8_t>(0x80 + cc)); name = std::string("j") + condition_name(static_cast<unsigned>(cc)); break;
    case 2: b_.put(0xE2); name = "loop"; break;
    case 3: b_.put(0xE1); name = "loope"; break;
    case 4: b_.put(0xE0); name = "loopne"; break;
    case 5: b_.put(0xE3); name = "jecxz"; break;
    case 6: b_.put(0xEB); name = "jmp"; break;
    default: b_.put(0xE9); name = "jmp"; break;
  }
  b_.put_imm(rel32 ? 4 : 1, 0);  // patched below
  b_.finish(name, fx, kind >= 2 && kind <= 4 ? bit(kEcx) : 0);
  const size_t disp_at = b_.code_size() - (rel32 ? 4 : 1);
  const size_t block_start = b_.code_size();
  const uint32_t undefined_if_taken = b_.undefined();
  const bool df_before = b_.df();
  in_skip_ = true;
  const unsigned count = 1 + rng_.below(2);
  for (unsigned i = 0; i < count; ++i)
    while (!one()) {
    }
  in_skip_ = false;
  const size_t length = b_.code_size() - block_start;
  if (rel32) {
    b_.patch32(disp_at, static_cast<uint32_t>(length));
  } else {
    if (length > 127) std::abort();  // a block is at most ~80 bytes
    b_.patch(disp_at, static_cast<uint8_t>(length));
  }
  if (kind >= 6) b_.set_undefined(undefined_if_taken);  // the block never runs
  else b_.set_undefined(b_.undefined() | undefined_if_taken);
  if (b_.df() != df_before) std::abort();  // blocks never change DF
  return true;
}

bool Families::cmpxchg8b() {
  // 0F C7 /1: compares EDX:EAX with m64; ZF is the only flag it writes
  // (SDM Vol. 2, CMPXCHG8B). Half the time EDX:EAX is loaded from m64 first
  // so that the exchange happens.
  RmOperand lo = b_.memory_operand(8, true, static_cast<RegMask>(bit(kEax) | bit(kEdx)), /*atomic=*/true);
  if (rng_.chance(50)) {
    RmOperand hi = lo;
    hi.mem.disp += 4;
    for (const auto& [reg, half] : {std::pair<uint8_t, const RmOperand*>{kEax, &lo}, {kEdx, &hi}}) {
      b_.begin();
      put_prefixes(false, half, 4);
      b_.put(0x8B);
      b_.put_modrm(reg, *half);
      b_.finish("mov", {}, bit(reg));
    }
  }
  b_.begin();
  put_prefixes(rng_.chance(30), &lo, 4);
  b_.put(0x0F);
  b_.put(0xC7);
  b_.put_modrm(1, lo);
  b_.finish("cmpxchg8b", {0, kFlagZf, 0}, static_cast<RegMask>(bit(kEax) | bit(kEdx)));
  return true;
}

bool Families::pushad_popad() {
  // PUSHAD pushes eight dwords; POPAD takes them back (restoring the reserved
  // base to the value it already has, and skipping the ESP slot).
  if (in_skip_ || in_frame_) return false;
  auto& stack = b_.stack();
  if (stack.size() > stack_floor_ && stack.back().pushad_slot == 7 && rng_.chance(60)) {
    b_.begin();
    b_.put(0x61);
    b_.finish("popal", {}, b_.writable());
    for (int i = 0; i < 8; ++i) stack.pop_back();
    b_.adjust_stack(-32);
    return true;
  }
  if (b_.stack_bytes() + 32 > 96) return false;
  b_.begin();
  b_.put(0x60);
  b_.finish("pushal", {}, 0);
  for (int i = 0; i < 8; ++i) {
    SequenceBuilder::StackEntry e;
    e.pushad_slot = static_cast<int8_t>(i);
    stack.push_back(e);
  }
  b_.adjust_stack(32);
  return true;
}

bool Families::self_modify() {
  // A store into a later MOV r32, imm32 of the sequence: either its immediate
  // (a dword) or its opcode byte (turning it into a MOV to another register).
  // The CPU must execute the modified instruction (SDM Vol. 3A, 11.6,
  // self-modifying code); tx86 must drop what it decoded from those bytes.
  const bool opcode = rng_.chance(40);
  const uint8_t r = b_.pick_reg(4, true), r2 = b_.pick_reg(4, true);
  const size_t store_at = b_.code_size();
  b_.begin();
  b_.put(opcode ? 0xC6 : 0xC7);
  b_.put(0x05);  // [disp32], patched below
  b_.put_imm(4, 0);
  if (opcode) b_.put(static_cast<uint8_t>(0xB8 + r2));
  else b_.put_imm(4, rng_.interesting(4));
  b_.finish("mov", {}, 0);
  if (!in_skip_) {  // a few instructions between the store and its target
    const unsigned between = rng_.below(3);
    for (unsigned i = 0; i < between; ++i)
      while (!one()) {
      }
  }
  const size_t target = b_.code_size();
  b_.mov_reg32_imm(r, rng_.interesting(4));
  // The generator's bookkeeping sees MOV r; the CPU may run MOV r2: both
  // count as written (mov_reg32_imm checked r, r2 is writable too).
  b_.patch32(store_at + 2, kCodeAddr + static_cast<uint32_t>(target) + (opcode ? 0 : 1));
  return true;
}

bool Families::enter_leave() {
  // ENTER size, level ... LEAVE (SDM Vol. 2, ENTER: with level L > 1 it
  // copies L-1 frame pointers from [EBP-4], [EBP-8] ... of the old EBP, so
  // EBP is first pointed into the data area). Between the two, EBP keeps its
  // value and nothing pushes; LEAVE discards the whole frame.
  if (in_skip_ || in_frame_ || !b_.can_write(kEbp)) return false;
  const uint32_t level = rng_.below(4);
  const uint32_t size = rng_.chance(70) ? 4 * rng_.below(9) : rng_.below(40);
  const uint32_t frame = 4 + (level > 0 ? 4 * level : 0) + size;
  if (b_.stack_bytes() + frame > 200) return false;
  if (level > 1) b_.mov_reg32_imm(kEbp, b_.pick_scratch(4 * level) + 4 * level);
  b_.begin();
  b_.put(0xC8);
  b_.put_imm(2, size);
  b_.put(static_cast<uint8_t>(level | (rng_.chance(10) ? 0x20 : 0)));  // level is taken mod 32
  b_.finish("enter", {}, bit(kEbp));
  b_.adjust_stack(static_cast<int32_t>(frame));
  b_.set_pinned(bit(kEbp));
  in_frame_ = true;
  const unsigned body = rng_.below(4);
  for (unsigned i = 0; i < body; ++i)
    while (!one()) {
    }
  in_frame_ = false;
  b_.set_pinned(0);
  b_.begin();
  b_.put(0xC9);
  b_.finish("leave", {}, bit(kEbp));
  b_.adjust_stack(-static_cast<int32_t>(frame));
  return true;
}

bool Families::arpl() {
  // 63 /r ARPL r/m16, r16: raises the RPL field of the destination; ZF says
  // whether it did (SDM Vol. 2, ARPL). A protected-mode instruction that user
  // code may run.
  if (!options_.arpl) return false;
  RmOperand rm = b_.rm_operand(2, true);
  const uint8_t reg = b_.pick_reg(2, false);
  b_.begin();
  put_prefixes(false, &rm, 4);
  b_.put(0x63);
  b_.put_modrm(reg, rm);
  b_.finish("arpl", {0, kFlagZf, 0}, rm_mask(2, rm));
  return true;
}

bool Families::long_nop() {
  // 0F 1F /0: the multi-byte NOP of P6 and later; its memory operand is never
  // accessed. (Memory forms only: Capstone 4 rejects the register form.)
  const unsigned w = pick_width_wide();
  RmOperand rm = b_.memory_operand(w, false);
  b_.begin();
  put_prefixes(false, &rm, w);
  b_.put(0x0F);
  b_.put(0x1F);
  b_.put_modrm(0, rm);
  b_.finish("nop", {}, 0);
  return true;
}

bool Families::xlat() {
  // AL <- [EBX + AL]: EBX must point at 256 bytes inside the data area.
  const int base = b_.reserved_base();
  if (base != kEbx) {
    if (!b_.can_write(kEbx)) return false;
    b_.mov_reg32_imm(kEbx, kDataAddr + rng_.below(kDataBytes - 256 + 1));
  }
  RmOperand src;
  src.is_mem = true;
  src.mem.segment_prefix = b_.pick_segment_prefix(false);
  b_.begin();
  put_prefixes(false, &src, 4);
  b_.put(0xD7);
  b_.finish("xlatb", {}, bit(kEax));
  return true;
}

}  // namespace tx86::oracle
