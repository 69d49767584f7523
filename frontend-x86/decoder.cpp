// decode(): prefixes, opcode lookup in the table index, ModRM/SIB/displacement
// and immediates (SDM Vol. 2, chapter 2 and appendix A). Table lookups and a
// switch over the row's operand specs; no allocation.
#include "frontend-x86/decoder.h"

#include <array>

#include "frontend-x86/opcode_lookup.h"

namespace tx86::x86 {
namespace {

enum PrefixKind : uint8_t { kNotPrefix, kSeg, kOpsize, kAddrsize, kLock, kRepne, kRep };

constexpr auto kPrefixKinds = [] {
  std::array<uint8_t, 256> t{};
  t[0x26] = t[0x2E] = t[0x36] = t[0x3E] = t[0x64] = t[0x65] = kSeg;
  t[0x66] = kOpsize;
  t[0x67] = kAddrsize;
  t[0xF0] = kLock;
  t[0xF2] = kRepne;
  t[0xF3] = kRep;
  return t;
}();

// Segment register named by a segment-override prefix byte.
constexpr uint8_t segment_of_prefix(uint8_t b) {
  switch (b) {
    case 0x26: return kEs;
    case 0x2E: return kCs;
    case 0x36: return kSs;
    case 0x64: return kFs;
    case 0x65: return kGs;
    default: return kDs;
  }
}

// 16-bit ModRM addressing (SDM Vol. 2, table 2-1): base and index by rm.
constexpr uint8_t kBase16[8] = {kEbx, kEbx, kEbp, kEbp, kEsi, kEdi, kEbp, kEbx};
constexpr uint8_t kIndex16[8] = {kEsi, kEdi, kEsi, kEdi, kNoReg, kNoReg, kNoReg, kNoReg};

constexpr uint32_t size_mask(unsigned bytes) { return bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * bytes)) - 1; }

// Reads the instruction bytes with the two limits decode() must tell apart:
// the architectural length limit (kTooLong) and the end of the caller's buffer.
class ByteReader {
 public:
  ByteReader(const uint8_t* bytes, size_t size, size_t limit) : bytes_(bytes), size_(size), limit_(limit) {}

  // Reads an n-byte little-endian value (n = 1, 2 or 4).
  DecodeStatus read(unsigned n, uint32_t& v) {
    if (pos_ + n > limit_) return fail(DecodeStatus::kTooLong);
    if (pos_ + n > size_) return fail(DecodeStatus::kNeedMoreBytes);
    v = 0;
    for (unsigned i = 0; i < n; ++i) v |= static_cast<uint32_t>(bytes_[pos_ + i]) << (8 * i);
    pos_ += n;
    return DecodeStatus::kOk;
  }
  size_t pos() const { return pos_; }

 private:
  DecodeStatus fail(DecodeStatus s) {
    // The bytes that do exist up to the limit count as consumed (for the trace).
    const size_t end = limit_ < size_ ? limit_ : size_;
    if (pos_ < end) pos_ = end;
    return s;
  }
  const uint8_t* bytes_;
  size_t size_;
  size_t limit_;
  size_t pos_ = 0;
};

#define TX86_TRY(expr)                                  \
  do {                                                  \
    if (DecodeStatus s_ = (expr); s_ != DecodeStatus::kOk) \
      return s_;                                        \
  } while (0)

// Decodes ModRM's memory form (mod != 3) into mem.
DecodeStatus decode_memory(ByteReader& r, uint8_t modrm, bool addr32, MemRef& mem, bool& default_ss) {
  const uint8_t mod = modrm >> 6, rm = modrm & 7;
  uint32_t v = 0;
  if (!addr32) {
    if (mod == 0 && rm == 6) {
      TX86_TRY(r.read(2, v));
      mem.disp = static_cast<int32_t>(v);  // an offset: zero-extended
      return DecodeStatus::kOk;
    }
    mem.base = kBase16[rm];
    mem.index = kIndex16[rm];
    default_ss = mem.base == kEbp;
    if (mod == 1) {
      TX86_TRY(r.read(1, v));
      mem.disp = static_cast<int8_t>(v);
    } else if (mod == 2) {
      TX86_TRY(r.read(2, v));
      mem.disp = static_cast<int16_t>(v);
    }
    return DecodeStatus::kOk;
  }
  uint8_t base = rm;
  if (rm == 4) {
    TX86_TRY(r.read(1, v));
    const uint8_t sib = static_cast<uint8_t>(v);
    const uint8_t index = (sib >> 3) & 7;
    base = sib & 7;
    if (index != kEsp) {
      mem.index = index;
      mem.scale = sib >> 6;
    }
    if (base == kEbp && mod == 0) base = kNoReg;  // [index*scale + disp32]
  } else if (rm == 5 && mod == 0) {
    base = kNoReg;  // [disp32]
  }
  mem.base = base;
  default_ss = base == kEsp || base == kEbp;
  if (mod == 1) {
    TX86_TRY(r.read(1, v));
    mem.disp = static_cast<int8_t>(v);
  } else if (mod == 2 || base == kNoReg) {
    TX86_TRY(r.read(4, v));
    mem.disp = static_cast<int32_t>(v);
  }
  return DecodeStatus::kOk;
}

Operand reg_op(OperandKind kind, uint8_t reg, uint8_t size) {
  Operand o;
  o.kind = kind;
  o.reg = reg;
  o.size = size;
  return o;
}

Operand imm_op(OperandKind kind, uint32_t value, uint8_t size) {
  Operand o;
  o.kind = kind;
  o.imm = value;
  o.size = size;
  return o;
}

}  // namespace

DecodeStatus decode(const uint8_t* bytes, size_t size, const DecodeOptions& opts, Insn& out) {
  out = Insn{};
  const bool is286 = opts.model == CpuModel::k286;
  ByteReader r(bytes, size, is286 ? k286MaxInsnLength : kMaxInsnLength);
  auto fail = [&](DecodeStatus s) {
    out.length = static_cast<uint8_t>(r.pos());
    out.mnemonic = Mnemonic::kInvalid;
    out.form = 0;
    return s;
  };
#define TX86_FETCH(n, v)                                              \
  do {                                                                \
    if (DecodeStatus s_ = r.read((n), (v)); s_ != DecodeStatus::kOk) \
      return fail(s_);                                                \
  } while (0)

  bool op32 = opts.code_size == CodeSize::k32;
  bool addr32 = op32;
  uint8_t prefixes = 0;
  uint8_t seg_override = kNoReg;
  uint32_t b = 0;
  for (;;) {
    TX86_FETCH(1, b);
    const uint8_t kind = kPrefixKinds[b];
    if (kind == kNotPrefix) break;
    // The 80286 has no FS/GS or size prefixes: those bytes are invalid opcodes.
    if (is286 && (b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67)) return fail(DecodeStatus::kInvalid);
    switch (kind) {
      case kSeg: seg_override = segment_of_prefix(static_cast<uint8_t>(b)); break;  // last one wins
      case kOpsize: prefixes |= kPrefixOpsize; break;
      case kAddrsize: prefixes |= kPrefixAddrsize; break;
      case kLock: prefixes |= kPrefixLock; break;
      // F2 and F3: the last one seen decides (SDM Vol. 2, 2.1.1, group 1).
      case kRepne: prefixes = static_cast<uint8_t>((prefixes & ~kPrefixRep) | kPrefixRepne); break;
      case kRep: prefixes = static_cast<uint8_t>((prefixes & ~kPrefixRepne) | kPrefixRep); break;
      default: break;
    }
  }
  if (prefixes & kPrefixOpsize) op32 = !op32;
  if (prefixes & kPrefixAddrsize) addr32 = !addr32;
  if (seg_override != kNoReg) prefixes |= kPrefixSegment;

  unsigned map = 0;
  if (b == 0x0F) {
    map = 1;
    TX86_FETCH(1, b);
  }
  const uint8_t opcode = static_cast<uint8_t>(b);
  const unsigned key = map * 256 + opcode;
  const detail::OpcodeLookup& lookup = detail::kOpcodeLookup;
  uint8_t modrm = 0;
  uint16_t form;
  if (lookup.has_modrm[key]) {
    TX86_FETCH(1, b);
    modrm = static_cast<uint8_t>(b);
    form = lookup.by_modrm[key][(modrm >= 0xC0 ? 8 : 0) + ((modrm >> 3) & 7)];
    if (form == detail::kByRm) form = lookup.x87_reg[opcode - 0xD8][modrm & 0x3F];
  } else {
    form = lookup.no_modrm[key];
  }
  const OpcodeRow& row = detail::kOpcodeRows[form];
  if (form == 0 || !(row.models & model_bit(opts.model))) return fail(DecodeStatus::kInvalid);

  const uint8_t opsize = op32 ? 4 : 2;
  out.opsize = opsize;
  out.addrsize = addr32 ? 4 : 2;
  out.map = static_cast<uint8_t>(map);
  out.opcode = opcode;
  out.modrm = modrm;
  out.form = form;
  out.mnemonic = row.mnemonic;
  out.attrs = row.attrs;
  out.cond = row.cond;
  out.flags_read = row.flags_read;
  out.flags_written = row.flags_written;
  switch (row.width_class) {
    case 'b': out.width = 1; break;
    case 'w': out.width = 2; break;
    case 'd': out.width = 4; break;
    case 'v': out.width = opsize; break;
    default: out.width = 0; break;
  }

  // The memory operand, when ModRM names one. MOV CRn/DRn/TRn ignore mod and
  // always name a register (SDM Vol. 2, MOV—Move to/from Control Registers).
  const bool forced_reg = row.ops[0] == OperandSpec::kRd || row.ops[1] == OperandSpec::kRd;
  const bool is_mem = row.has_modrm && modrm < 0xC0 && !forced_reg;
  bool default_ss = false;
  if (is_mem) {
    if (DecodeStatus s = decode_memory(r, modrm, addr32, out.mem, default_ss); s != DecodeStatus::kOk)
      return fail(s);
  }
  out.mem.seg = seg_override != kNoReg ? seg_override : static_cast<uint8_t>(default_ss ? kSs : kDs);

  const uint8_t reg = (modrm >> 3) & 7, rm = modrm & 7;
  auto mem_op = [&](uint8_t mem_size) { return reg_op(OperandKind::kMem, 0, mem_size); };
  auto rm_op = [&](uint8_t reg_size, uint8_t mem_size) {
    return is_mem ? mem_op(mem_size) : reg_op(OperandKind::kReg, rm, reg_size);
  };
  uint32_t v = 0;
  for (unsigned i = 0; i < row.num_operands; ++i) {
    Operand& o = out.ops[i];
    switch (row.ops[i]) {
      case OperandSpec::kNone: break;
      case OperandSpec::kEb: o = rm_op(1, 1); break;
      case OperandSpec::kEw: o = rm_op(2, 2); break;
      case OperandSpec::kEd: o = rm_op(4, 4); break;
      case OperandSpec::kEv: o = rm_op(opsize, opsize); break;
      case OperandSpec::kEvw: o = rm_op(opsize, 2); break;
      case OperandSpec::kEp: o = mem_op(static_cast<uint8_t>(2 + opsize)); break;
      case OperandSpec::kM: o = mem_op(0); break;
      case OperandSpec::kMb: o = mem_op(1); break;
      case OperandSpec::kMw: o = mem_op(2); break;
      case OperandSpec::kMd: o = mem_op(4); break;
      case OperandSpec::kMq: o = mem_op(8); break;
      case OperandSpec::kMt: o = mem_op(10); break;
      case OperandSpec::kMp: o = mem_op(static_cast<uint8_t>(2 + opsize)); break;
      case OperandSpec::kMa: o = mem_op(static_cast<uint8_t>(2 * opsize)); break;
      case OperandSpec::kMs: o = mem_op(6); break;
      case OperandSpec::kMe: o = mem_op(op32 ? 28 : 14); break;
      case OperandSpec::kMst: o = mem_op(op32 ? 108 : 94); break;
      case OperandSpec::kRd: o = reg_op(OperandKind::kReg, rm, 4); break;
      case OperandSpec::kGb: o = reg_op(OperandKind::kReg, reg, 1); break;
      case OperandSpec::kGw: o = reg_op(OperandKind::kReg, reg, 2); break;
      case OperandSpec::kGd: o = reg_op(OperandKind::kReg, reg, 4); break;
      case OperandSpec::kGv: o = reg_op(OperandKind::kReg, reg, opsize); break;
      case OperandSpec::kSw: o = reg_op(OperandKind::kSreg, reg, 2); break;
      case OperandSpec::kCd: o = reg_op(OperandKind::kCr, reg, 4); break;
      case OperandSpec::kDd: o = reg_op(OperandKind::kDr, reg, 4); break;
      case OperandSpec::kTd: o = reg_op(OperandKind::kTr, reg, 4); break;
      case OperandSpec::kIb:
        TX86_FETCH(1, v);
        o = imm_op(OperandKind::kImm, v, 1);
        break;
      case OperandSpec::kIbs:
        TX86_FETCH(1, v);
        o = imm_op(OperandKind::kImm, static_cast<uint32_t>(static_cast<int8_t>(v)) & size_mask(opsize), opsize);
        break;
      case OperandSpec::kIw:
        TX86_FETCH(2, v);
        o = imm_op(OperandKind::kImm, v, 2);
        break;
      case OperandSpec::kIz:
        TX86_FETCH(opsize, v);
        o = imm_op(OperandKind::kImm, v, opsize);
        break;
      case OperandSpec::kJb:
        TX86_FETCH(1, v);
        o = imm_op(OperandKind::kRel, static_cast<uint32_t>(static_cast<int8_t>(v)), opsize);
        break;
      case OperandSpec::kJz:
        TX86_FETCH(opsize, v);
        if (!op32) v = static_cast<uint32_t>(static_cast<int16_t>(v));
        o = imm_op(OperandKind::kRel, v, opsize);
        break;
      case OperandSpec::kAp: {
        TX86_FETCH(opsize, v);
        uint32_t sel = 0;
        TX86_FETCH(2, sel);
        o = imm_op(OperandKind::kFar, v, static_cast<uint8_t>(2 + opsize));
        out.far_selector = static_cast<uint16_t>(sel);
        break;
      }
      case OperandSpec::kOb:
      case OperandSpec::kOv:
        TX86_FETCH(out.addrsize, v);
        out.mem.base = out.mem.index = kNoReg;
        out.mem.disp = static_cast<int32_t>(v);
        o = mem_op(row.ops[i] == OperandSpec::kOb ? 1 : opsize);
        break;
      case OperandSpec::kZb: o = reg_op(OperandKind::kReg, opcode & 7, 1); break;
      case OperandSpec::kZv: o = reg_op(OperandKind::kReg, opcode & 7, opsize); break;
      case OperandSpec::kZd: o = reg_op(OperandKind::kReg, opcode & 7, 4); break;
      case OperandSpec::kOne: o = imm_op(OperandKind::kImm, 1, 1); break;
      case OperandSpec::kAL: o = reg_op(OperandKind::kReg, kEax, 1); break;
      case OperandSpec::kCL: o = reg_op(OperandKind::kReg, kEcx, 1); break;
      case OperandSpec::kDX: o = reg_op(OperandKind::kReg, kEdx, 2); break;
      case OperandSpec::kAX: o = reg_op(OperandKind::kReg, kEax, 2); break;
      case OperandSpec::kEAX: o = reg_op(OperandKind::kReg, kEax, opsize); break;
      case OperandSpec::kES: o = reg_op(OperandKind::kSreg, kEs, 2); break;
      case OperandSpec::kCS: o = reg_op(OperandKind::kSreg, kCs, 2); break;
      case OperandSpec::kSS: o = reg_op(OperandKind::kSreg, kSs, 2); break;
      case OperandSpec::kDS: o = reg_op(OperandKind::kSreg, kDs, 2); break;
      case OperandSpec::kFS: o = reg_op(OperandKind::kSreg, kFs, 2); break;
      case OperandSpec::kGS: o = reg_op(OperandKind::kSreg, kGs, 2); break;
      case OperandSpec::kST0: o = reg_op(OperandKind::kSt, 0, 10); break;
      case OperandSpec::kSTi: o = reg_op(OperandKind::kSt, rm, 10); break;
    }
  }
  out.num_operands = row.num_operands;
  if (out.mnemonic == Mnemonic::kEnter) out.enter_level = static_cast<uint8_t>(out.ops[1].imm);

  // LOCK is legal only on a lockable row whose destination is memory (SDM Vol. 2, LOCK).
  // The 80286 does not check: it asserts LOCK# for any instruction (the
  // SingleStepTests 80286 vectors run "lock push di" and "lock dec bh").
  if (!is286 && (prefixes & kPrefixLock) && !((row.attrs & kAttrLockable) && out.ops[0].kind == OperandKind::kMem))
    return fail(DecodeStatus::kInvalid);
  out.prefixes = prefixes;
  out.length = static_cast<uint8_t>(r.pos());
  return DecodeStatus::kOk;
#undef TX86_FETCH
}

}  // namespace tx86::x86
