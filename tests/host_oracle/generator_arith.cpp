// Arithmetic, logic, shift, multiply/divide, bit and BCD families. Flag rules
// are the "Flags Affected" sections of the SDM Vol. 2 for each instruction.
#include <cstdint>

#include "tests/host_oracle/families.h"

namespace tx86::oracle {

namespace {

constexpr FlagEffect kArith{0, kStatusFlags, 0};
constexpr FlagEffect kLogic{0, kFlagCf | kFlagPf | kFlagZf | kFlagSf | kFlagOf, kFlagAf};
// An effect that makes exactly `after` undefined.
FlagEffect becomes(uint32_t after, uint32_t reads = 0) { return {reads, kStatusFlags & ~after, after}; }

uint8_t wbit(unsigned width) { return width == 1 ? 0 : 1; }
uint32_t width_mask(unsigned width) { return width == 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1; }

// SDM Vol. 2, RCL/RCR/ROL/ROR and SAL/SAR/SHL/SHR: flags after a shift of a
// `bits`-wide operand by `count` (already masked to 5 bits).
uint32_t shift_undefined_after(unsigned op, unsigned bits, unsigned count, uint32_t before) {
  if (count == 0) return before;
  uint32_t after = before;
  if (op <= 3) {  // ROL ROR RCL RCR: only CF and OF
    after &= ~kFlagCf;
  } else {
    after &= ~(kFlagSf | kFlagZf | kFlagPf | kFlagCf);
    after |= kFlagAf;
    if ((op == 4 || op == 5) && count >= bits) after |= kFlagCf;
  }
  if (count == 1) after &= ~kFlagOf;
  else after |= kFlagOf;
  return after;
}

uint32_t shift_count(Rng& rng, unsigned bits) {
  switch (rng.below(8)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return bits - 1;
    case 3: return bits;
    case 4: return bits + 1;
    case 5: return 31 + rng.below(3);
    case 6: return rng.below(256);
    default: return rng.below(bits + 2);
  }
}

}  // namespace

bool Families::alu() {
  static constexpr const char* kNames[9] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test"};
  const unsigned op = rng_.below(9);
  const unsigned w = pick_width();
  const bool logic = op == 1 || op == 4 || op == 6 || op == 8;
  FlagEffect fx = logic ? kLogic : kArith;
  if (op == 2 || op == 3) fx.reads = kFlagCf;
  if (!b_.defined(fx.reads)) return false;
  const bool writes = op != 7 && op != 8;
  unsigned form = rng_.below(4);
  if (op == 8 && form == 1) form = 0;  // TEST has no r, r/m form
  switch (form) {
    case 0: {  // r/m, reg
      RmOperand rm = b_.rm_operand(w, writes);
      uint8_t reg = b_.pick_reg(w, false);
      bool lock = SequenceBuilder::lockable(rm, w) && writes && rng_.chance(30);
      b_.begin();
      put_prefixes(lock, &rm, w);
      b_.put(static_cast<uint8_t>((op == 8 ? 0x84 : op * 8) + wbit(w)));
      b_.put_modrm(reg, rm);
      b_.finish(kNames[op], fx, writes ? rm_mask(w, rm) : 0);
      return true;
    }
    case 1: {  // reg, r/m
      uint8_t reg = b_.pick_reg(w, writes);
      RmOperand rm = b_.rm_operand(w, false);
      b_.begin();
      put_prefixes(false, &rm, w);
      b_.put(static_cast<uint8_t>(op * 8 + 2 + wbit(w)));
      b_.put_modrm(reg, rm);
      b_.finish(kNames[op], fx, writes ? reg_mask(w, reg) : 0);
      return true;
    }
    case 2: {  // AL/AX/EAX, imm
      b_.begin();
      put_prefixes(false, nullptr, w);
      b_.put(static_cast<uint8_t>((op == 8 ? 0xA8 : op * 8 + 4) + wbit(w)));
      b_.put_imm(w, rng_.interesting(w));
      b_.finish(kNames[op], fx, writes ? bit(kEax) : 0);
      return true;
    }
    default: {  // group 1 (80/81/82/83) or F6/F7 /0 for TEST
      RmOperand rm = b_.rm_operand(w, writes);
      bool lock = SequenceBuilder::lockable(rm, w) && writes && rng_.chance(30);
      b_.begin();
      put_prefixes(lock, &rm, w);
      unsigned imm_bytes = w;
      if (op == 8) {
        b_.put(static_cast<uint8_t>(0xF6 + wbit(w)));
      } else if (w == 1) {
        b_.put(rng_.chance(5) ? 0x82 : 0x80);  // 82 is the 32-bit-mode alias of 80
      } else if (rng_.chance(50)) {
        b_.put(0x83);
        imm_bytes = 1;
      } else {
        b_.put(0x81);
      }
      b_.put_modrm(static_cast<uint8_t>(op == 8 ? 0 : op), rm);
      b_.put_imm(imm_bytes, rng_.interesting(imm_bytes));
      b_.finish(kNames[op], fx, writes ? rm_mask(w, rm) : 0);
      return true;
    }
  }
}

bool Families::inc_dec_neg_not() {
  static constexpr const char* kNames[4] = {"inc", "dec", "not", "neg"};
  const unsigned kind = rng_.below(4);
  const unsigned w = pick_width();
  FlagEffect fx;
  if (kind < 2) fx.defines = kFlagOf | kFlagSf | kFlagZf | kFlagAf | kFlagPf;  // CF unchanged
  if (kind == 3) fx = kArith;
  if (kind < 2 && w != 1 && rng_.chance(40)) {  // 40+r / 48+r
    uint8_t r = b_.pick_reg(w, true);
    b_.begin();
    b_.put_opsize(w);
    b_.put(static_cast<uint8_t>(0x40 + 8 * kind + r));
    b_.finish(kNames[kind], fx, bit(r));
    return true;
  }
  RmOperand rm = b_.rm_operand(w, true);
  bool lock = SequenceBuilder::lockable(rm, w) && rng_.chance(30);
  b_.begin();
  put_prefixes(lock, &rm, w);
  b_.put(static_cast<uint8_t>((kind < 2 ? 0xFE : 0xF6) + wbit(w)));
  b_.put_modrm(static_cast<uint8_t>(kind < 2 ? kind : kind), rm);
  b_.finish(kNames[kind], fx, rm_mask(w, rm));
  return true;
}

bool Families::shift_rotate() {
  static constexpr unsigned kOps[7] = {0, 1, 2, 3, 4, 5, 7};
  static constexpr const char* kNames[8] = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"};
  const unsigned op = kOps[rng_.below(7)];
  const unsigned w = pick_width();
  const unsigned bits = 8 * w;
  const unsigned form = rng_.below(4);  // 0: by 1, 1: imm8, 2: CL set here, 3: CL as it is
  uint32_t count = form == 0 ? 1 : shift_count(rng_, bits);
  uint32_t after = 0, reads = 0;
  const uint32_t before = b_.undefined();
  if (form == 3) {  // unknown count: every outcome is possible
    for (unsigned c = 0; c < 32; ++c) {
      after |= shift_undefined_after(op, bits, c, before);
      if (c != 0 && (op == 2 || op == 3)) reads |= kFlagCf;
    }
  } else {
    after = shift_undefined_after(op, bits, count & 31, before);
    if ((count & 31) != 0 && (op == 2 || op == 3)) reads = kFlagCf;
  }
  if (!b_.defined(reads)) return false;
  RmOperand rm = b_.rm_operand(w, true, form == 2 ? bit(kEcx) : 0);
  if (form == 2) b_.mov_reg8_imm(1, static_cast<uint8_t>(count));
  b_.begin();
  put_prefixes(false, &rm, w);
  b_.put(static_cast<uint8_t>((form == 0 ? 0xD0 : form == 1 ? 0xC0 : 0xD2) + wbit(w)));
  // /6 is an undocumented alias of /4 (SHL) that every IA-32 CPU accepts.
  const unsigned field = op == 4 && rng_.chance(5) ? 6 : op;
  b_.put_modrm(static_cast<uint8_t>(field), rm);
  if (form == 1) b_.put(static_cast<uint8_t>(count));
  b_.finish(kNames[field], becomes(after, reads), rm_mask(w, rm));
  return true;
}

bool Families::double_shift() {
  const bool left = rng_.chance(50);
  const unsigned w = pick_width_wide();
  // 0: imm8, 1: CL set here, 2: CL as it is (32-bit only: a 16-bit shift by
  // more than 16 leaves the destination undefined, SDM Vol. 2, SHLD).
  const unsigned form = rng_.below(w == 4 ? 3 : 2);
  uint32_t count = 0;
  if (form != 2) {
    count = rng_.chance(30) ? rng_.below(256) : (rng_.below(8) << 5) | rng_.below(w == 4 ? 32 : 17);
    if (w == 2 && (count & 31) > 16) count &= ~16u;
  }
  const uint32_t before = b_.undefined();
  auto after_for = [&](unsigned c) {
    if (c == 0) return before;
    uint32_t a = (before & ~(kFlagCf | kFlagSf | kFlagZf | kFlagPf)) | kFlagAf;
    return c == 1 ? (a & ~kFlagOf) : (a | kFlagOf);
  };
  uint32_t after = 0;
  if (form == 2) {
    for (unsigned c = 0; c < 32; ++c) after |= after_for(c);
  } else {
    after = after_for(count & 31);
  }
  RmOperand rm = b_.rm_operand(w, true, form == 1 ? bit(kEcx) : 0);
  uint8_t reg = b_.pick_reg(w, false, form == 1 ? bit(kEcx) : 0);
  if (form == 1) b_.mov_reg8_imm(1, static_cast<uint8_t>(count));
  b_.begin();
  put_prefixes(false, &rm, w);
  b_.put(0x0F);
  b_.put(static_cast<uint8_t>((left ? 0xA4 : 0xAC) + (form == 0 ? 0 : 1)));
  b_.put_modrm(reg, rm);
  if (form == 0) b_.put(static_cast<uint8_t>(count));
  b_.finish(left ? "shld" : "shrd", becomes(after), rm_mask(w, rm));
  return true;
}

bool Families::multiply() {
  // CF and OF are defined; SF ZF AF PF are undefined (SDM Vol. 2, MUL/IMUL).
  const FlagEffect fx{0, kFlagCf | kFlagOf, kFlagSf | kFlagZf | kFlagAf | kFlagPf};
  const unsigned form = rng_.below(4);
  if (form == 0) {  // F6/F7 /4 MUL, /5 IMUL: (E)DX:(E)AX or AX
    const unsigned w = pick_width();
    const bool is_signed = rng_.chance(50);
    RmOperand rm = b_.rm_operand(w, false);
    b_.begin();
    put_prefixes(false, &rm, w);
    b_.put(static_cast<uint8_t>(0xF6 + wbit(w)));
    b_.put_modrm(is_signed ? 5 : 4, rm);
    b_.finish(is_signed ? "imul" : "mul", fx, static_cast<RegMask>(bit(kEax) | (w == 1 ? 0 : bit(kEdx))));
    return true;
  }
  const unsigned w = pick_width_wide();
  uint8_t reg = b_.pick_reg(w, true);
  RmOperand rm = b_.rm_operand(w, false);
  b_.begin();
  put_prefixes(false, &rm, w);
  if (form == 1) {  // 0F AF: IMUL r, r/m
    b_.put(0x0F);
    b_.put(0xAF);
    b_.put_modrm(reg, rm);
  } else if (form == 2) {  // 69: IMUL r, r/m, imm16/32
    b_.put(0x69);
    b_.put_modrm(reg, rm);
    b_.put_imm(w, rng_.interesting(w));
  } else {  // 6B: IMUL r, r/m, imm8 (sign-extended)
    b_.put(0x6B);
    b_.put_modrm(reg, rm);
    b_.put(static_cast<uint8_t>(rng_.interesting(1)));
  }
  b_.finish("imul", fx, bit(reg));
  return true;
}

bool Families::divide() {
  // Operands are set up so that the quotient fits: DIV and IDIV never raise
  // #DE here (SDM Vol. 2, DIV/IDIV). All status flags become undefined.
  const unsigned w = pick_width();
  const uint32_t mask = width_mask(w);
  const bool is_signed = rng_.chance(50);
  const bool set_dividend = is_signed ? rng_.chance(50) : rng_.chance(25);
  const RegMask avoid = static_cast<RegMask>(bit(kEax) | bit(kEdx));
  auto sext = [&](uint32_t v) -> int64_t {
    v &= mask;
    return (v & (1u << (8 * w - 1))) ? static_cast<int64_t>(v) - (int64_t{mask} + 1) : v;
  };

  uint32_t divisor = 0;
  int64_t dividend = 0;
  if (!is_signed) {
    do divisor = rng_.interesting(w); while (divisor == 0);
  } else if (!set_dividend) {  // sign-extended dividend: any divisor but 0 and -1
    do divisor = rng_.interesting(w); while (divisor == 0 || divisor == mask);
  } else {  // dividend = q * d + r with the quotient in range
    const int64_t lo = -(int64_t{1} << (8 * w - 1)), hi = (int64_t{1} << (8 * w - 1)) - 1;
    do divisor = rng_.interesting(w); while (divisor == 0);
    const int64_t d = sext(divisor);
    const int64_t q = sext(rng_.interesting(w));
    const int64_t ad = d < 0 ? -d : d;
    int64_t r = ad > 1 ? static_cast<int64_t>(rng_.next() % static_cast<uint64_t>(2 * ad - 1)) - (ad - 1) : 0;
    dividend = q * d + r;
    const int64_t quotient = dividend / d;
    if (quotient < lo || quotient > hi || (dividend != 0 && r != 0 && ((dividend < 0) != (r < 0)))) dividend = q * d;
  }

  RmOperand rm;
  if (rng_.chance(50)) {
    rm.reg = b_.pick_reg(w, true, avoid);
    if (w == 1) b_.mov_reg8_imm(rm.reg, static_cast<uint8_t>(divisor));
    else if (w == 2) b_.mov_reg16_imm(rm.reg, static_cast<uint16_t>(divisor));
    else b_.mov_reg32_imm(rm.reg, divisor);
  } else {
    rm = b_.memory_operand(w, true, avoid);
    b_.mov_mem_imm(w, rm, divisor);
  }
  if (!is_signed) {
    uint32_t high = b_.rng().below(divisor);  // high half < divisor: quotient fits
    if (set_dividend) {
      if (w == 4) b_.mov_reg32_imm(kEax, rng_.interesting(4));
      else if (w == 2) b_.mov_reg16_imm(kEax, static_cast<uint16_t>(rng_.interesting(2)));
      else b_.mov_reg8_imm(0, static_cast<uint8_t>(rng_.interesting(1)));
    }
    if (w == 4) b_.mov_reg32_imm(kEdx, high);
    else if (w == 2) b_.mov_reg16_imm(kEdx, static_cast<uint16_t>(high));
    else b_.mov_reg8_imm(4, static_cast<uint8_t>(high));  // AH
  } else if (!set_dividend) {
    b_.begin();  // CBW / CWD / CDQ
    if (w != 4) b_.put(0x66);
    b_.put(w == 1 ? 0x98 : 0x99);
    b_.finish(w == 1 ? "cbw" : w == 2 ? "cwd" : "cdq", {}, static_cast<RegMask>(bit(kEax) | (w == 1 ? 0 : bit(kEdx))));
  } else {
    const uint64_t u = static_cast<uint64_t>(dividend);
    if (w == 1) {
      b_.mov_reg16_imm(kEax, static_cast<uint16_t>(u));
    } else if (w == 2) {
      b_.mov_reg16_imm(kEax, static_cast<uint16_t>(u));
      b_.mov_reg16_imm(kEdx, static_cast<uint16_t>(u >> 16));
    } else {
      b_.mov_reg32_imm(kEax, static_cast<uint32_t>(u));
      b_.mov_reg32_imm(kEdx, static_cast<uint32_t>(u >> 32));
    }
  }
  b_.begin();
  put_prefixes(false, &rm, w);
  b_.put(static_cast<uint8_t>(0xF6 + wbit(w)));
  b_.put_modrm(is_signed ? 7 : 6, rm);
  b_.finish(is_signed ? "idiv" : "div", becomes(kStatusFlags), static_cast<RegMask>(bit(kEax) | (w == 1 ? 0 : bit(kEdx))));
  return true;
}

bool Families::bit_test() {
  // CF is the selected bit; OF SF AF PF undefined; ZF unaffected (SDM Vol. 2, BT).
  static constexpr const char* kNames[4] = {"bt", "bts", "btr", "btc"};
  static constexpr uint8_t kRegOpcode[4] = {0xA3, 0xAB, 0xB3, 0xBB};
  const FlagEffect fx{0, kFlagCf, kFlagOf | kFlagSf | kFlagAf | kFlagPf};
  const unsigned op = rng_.below(4);
  const bool writes = op != 0;
  const unsigned w = pick_width_wide();
  if (rng_.chance(50)) {  // 0F BA /4../7 ib: the offset is masked to the operand size
    RmOperand rm = b_.rm_operand(w, writes);
    bool lock = SequenceBuilder::lockable(rm, w) && writes && rng_.chance(30);
    b_.begin();
    put_prefixes(lock, &rm, w);
    b_.put(0x0F);
    b_.put(0xBA);
    b_.put_modrm(static_cast<uint8_t>(4 + op), rm);
    b_.put(static_cast<uint8_t>(rng_.below(256)));
    b_.finish(kNames[op], fx, writes ? rm_mask(w, rm) : 0);
    return true;
  }
  RmOperand rm;
  uint8_t offset_reg;
  if (rng_.chance(50)) {  // register destination: offset taken modulo the width
    rm.reg = b_.pick_reg(w, writes);
    offset_reg = b_.pick_reg(w, false);
  } else {
    // Memory: the bit string extends both ways from the address, so the
    // accessed word is ea + w * floor(offset / (8 * w)); keep it in scratch.
    offset_reg = b_.pick_reg(4, true);
    const uint32_t target = b_.pick_scratch(4, true);
    const int32_t k = rng_.range(-20, 20);
    const uint32_t ea = target - static_cast<uint32_t>(k * static_cast<int32_t>(w));
    const int32_t offset = k * static_cast<int32_t>(8 * w) + static_cast<int32_t>(rng_.below(8 * w));
    rm.is_mem = true;
    rm.ea = target;  // the word actually accessed (what LOCK applies to)
    rm.mem = b_.mem_at(ea, bit(offset_reg), !writes);
    rm.mem.segment_prefix = b_.pick_segment_prefix(writes);
    b_.mov_reg32_imm(offset_reg, static_cast<uint32_t>(offset));
  }
  bool lock = SequenceBuilder::lockable(rm, w) && writes && rng_.chance(30);
  b_.begin();
  put_prefixes(lock, &rm, w);
  b_.put(0x0F);
  b_.put(kRegOpcode[op]);
  b_.put_modrm(offset_reg, rm);
  b_.finish(kNames[op], fx, writes ? rm_mask(w, rm) : 0);
  return true;
}

bool Families::bit_scan() {
  // The destination is undefined for a zero source, so the source is made
  // nonzero first. ZF defined; CF OF SF AF PF undefined (SDM Vol. 2, BSF).
  const FlagEffect fx{0, kFlagZf, kFlagCf | kFlagOf | kFlagSf | kFlagAf | kFlagPf};
  const bool forward = rng_.chance(50);
  const unsigned w = pick_width_wide();
  const uint32_t mask = width_mask(w);
  uint32_t nonzero;
  do nonzero = rng_.interesting(w) & mask; while (nonzero == 0);
  RmOperand rm;
  if (rng_.chance(60)) {
    rm.reg = b_.pick_reg(w, false);
    if (!b_.can_write(rm.reg)) {
      // ESP and the reserved base point into the data area: nonzero.
      if ((b_.seq().gpr[rm.reg] & mask) == 0 || rm.reg == kEsp) rm.reg = b_.pick_reg(w, true);
    }
    if (b_.can_write(rm.reg)) {
      if (rng_.chance(50)) {
        if (w == 2) b_.mov_reg16_imm(rm.reg, static_cast<uint16_t>(nonzero));
        else b_.mov_reg32_imm(rm.reg, nonzero);
      } else {  // OR r, imm8 (sign-extended, nonzero): keeps the old bits
        b_.begin();
        b_.put_opsize(w);
        b_.put(0x83);
        b_.put(static_cast<uint8_t>(0xC8 | rm.reg));
        b_.put(static_cast<uint8_t>(1u << rng_.below(8)));
        b_.finish("or", kLogic, bit(rm.reg));
      }
    }
  } else {
    rm = b_.memory_operand(w, true);
    b_.mov_mem_imm(w, rm, nonzero);
  }
  uint8_t dest = b_.pick_reg(w, true);
  b_.begin();
  put_prefixes(false, &rm, w);
  b_.put(0x0F);
  b_.put(forward ? 0xBC : 0xBD);
  b_.put_modrm(dest, rm);
  b_.finish(forward ? "bsf" : "bsr", fx, bit(dest));
  return true;
}

bool Families::bcd() {
  static constexpr const char* kNames[6] = {"daa", "das", "aaa", "aas", "aam", "aad"};
  const unsigned kind = rng_.below(6);
  FlagEffect fx;
  switch (kind) {
    case 0:
    case 1:  // DAA/DAS: OF undefined
      fx = {kFlagCf | kFlagAf, kFlagCf | kFlagAf | kFlagSf | kFlagZf | kFlagPf, kFlagOf};
      break;
    case 2:
    case 3:  // AAA/AAS: OF SF ZF PF undefined
      fx = {kFlagAf, kFlagAf | kFlagCf, kFlagOf | kFlagSf | kFlagZf | kFlagPf};
      break;
    default:  // AAM/AAD: OF AF CF undefined
      fx = {0, kFlagSf | kFlagZf | kFlagPf, kFlagOf | kFlagAf | kFlagCf};
      break;
  }
  if (!b_.defined(fx.reads)) return false;
  if (rng_.chance(50)) {
    if (kind == 5 || rng_.chance(50)) b_.mov_reg16_imm(kEax, static_cast<uint16_t>(rng_.interesting(2)));
    else b_.mov_reg8_imm(0, static_cast<uint8_t>(rng_.interesting(1)));
  }
  b_.begin();
  static constexpr uint8_t kOpcodes[6] = {0x27, 0x2F, 0x37, 0x3F, 0xD4, 0xD5};
  b_.put(kOpcodes[kind]);
  if (kind >= 4) {
    uint8_t base = rng_.chance(60) ? 10 : static_cast<uint8_t>(rng_.below(256));
    if (kind == 4 && base == 0) base = 1 + static_cast<uint8_t>(rng_.below(255));  // AAM 0 is #DE
    b_.put(base);
  }
  b_.finish(kNames[kind], fx, bit(kEax));
  return true;
}

}  // namespace tx86::oracle
