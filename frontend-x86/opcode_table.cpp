// The opcode table (opcodes.def) compiled into rows and into the decoder's
// lookup index. Everything here is built at compile time: a malformed spec
// or two rows claiming one encoding stop the build.
#include "frontend-x86/opcode_table.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "frontend-x86/opcode_lookup.h"

namespace tx86::x86 {
namespace {

// Short names used by the rows of opcodes.def.
namespace rowdef {
inline constexpr uint8_t kAny = kAnyField;
inline constexpr ModClass kAnyMod = ModClass::kAny;
inline constexpr ModClass kMem = ModClass::kMem;
inline constexpr ModClass kReg = ModClass::kReg;
inline constexpr ModClass kNoModrm = ModClass::kNone;

inline constexpr uint32_t kArith = kArithFlags;
// Flags read by each condition (SDM Vol. 1, table B-1).
inline constexpr uint32_t kCcO = kOF, kCcB = kCF, kCcZ = kZF, kCcBe = kCF | kZF, kCcS = kSF,
                          kCcP = kPF, kCcL = kSF | kOF, kCcLe = kZF | kSF | kOF;

inline constexpr uint16_t kLock = kAttrLockable;
inline constexpr uint16_t kStr = kAttrStringOp;
inline constexpr uint16_t kCc = kAttrCond;
inline constexpr uint16_t kFpu = kAttrX87;
// Sensitive rows are trapped and emulated, so they end a block too (DESIGN.md, data flow).
inline constexpr uint16_t kSens = kAttrSensitive | kAttrEndsBlock;
inline constexpr uint16_t kEnd = kAttrEndsBlock;
inline constexpr uint16_t kBr = kAttrBranch | kAttrEndsBlock;
inline constexpr uint16_t kPriv = kAttrPrivileged | kAttrEndsBlock;
inline constexpr uint16_t kIo = kAttrIoSensitive | kAttrEndsBlock;

inline constexpr ModelMask k286 = model_bit(CpuModel::k286), k386 = model_bit(CpuModel::k386),
                           k486 = model_bit(CpuModel::k486), k586 = model_bit(CpuModel::kPentium),
                           k686 = model_bit(CpuModel::kP6);
inline constexpr ModelMask k686Up = k686;
inline constexpr ModelMask k586Up = k586 | k686Up;
inline constexpr ModelMask k486Up = k486 | k586Up;
inline constexpr ModelMask k386Up = k386 | k486Up;
inline constexpr ModelMask k286Up = k286 | k386Up;
inline constexpr ModelMask k286Only = k286;
inline constexpr ModelMask k386To486 = k386 | k486;
inline constexpr ModelMask k486Only = k486;
}  // namespace rowdef

struct TokenName {
  std::string_view text;
  OperandSpec spec;
  char width;  // width class this operand gives the row when it comes first
};

constexpr TokenName kTokens[] = {
    {"Eb", OperandSpec::kEb, 'b'},   {"Ew", OperandSpec::kEw, 'w'},   {"Ed", OperandSpec::kEd, 'd'},
    {"Ev", OperandSpec::kEv, 'v'},   {"Evw", OperandSpec::kEvw, 'v'}, {"Ep", OperandSpec::kEp, 'v'},
    {"M", OperandSpec::kM, 0},       {"Mb", OperandSpec::kMb, 'b'},   {"Mw", OperandSpec::kMw, 'w'},
    {"Md", OperandSpec::kMd, 'd'},   {"Mq", OperandSpec::kMq, 0},     {"Mt", OperandSpec::kMt, 0},
    {"Mp", OperandSpec::kMp, 0},     {"Ma", OperandSpec::kMa, 0},     {"Ms", OperandSpec::kMs, 0},
    {"Me", OperandSpec::kMe, 0},     {"Mst", OperandSpec::kMst, 0},   {"Rd", OperandSpec::kRd, 'd'},
    {"Gb", OperandSpec::kGb, 'b'},   {"Gw", OperandSpec::kGw, 'w'},   {"Gd", OperandSpec::kGd, 'd'},
    {"Gv", OperandSpec::kGv, 'v'},   {"Sw", OperandSpec::kSw, 'w'},   {"Cd", OperandSpec::kCd, 'd'},
    {"Dd", OperandSpec::kDd, 'd'},   {"Td", OperandSpec::kTd, 'd'},   {"Ib", OperandSpec::kIb, 'b'},
    {"Ibs", OperandSpec::kIbs, 'v'}, {"Iw", OperandSpec::kIw, 'w'},   {"Iz", OperandSpec::kIz, 'v'},
    {"Jb", OperandSpec::kJb, 'v'},   {"Jz", OperandSpec::kJz, 'v'},   {"Ap", OperandSpec::kAp, 'v'},
    {"Ob", OperandSpec::kOb, 'b'},   {"Ov", OperandSpec::kOv, 'v'},   {"Zb", OperandSpec::kZb, 'b'},
    {"Zv", OperandSpec::kZv, 'v'},   {"Zd", OperandSpec::kZd, 'd'},   {"1", OperandSpec::kOne, 'b'},
    {"AL", OperandSpec::kAL, 'b'},   {"CL", OperandSpec::kCL, 'b'},   {"DX", OperandSpec::kDX, 'w'},
    {"AX", OperandSpec::kAX, 'w'},   {"eAX", OperandSpec::kEAX, 'v'}, {"ES", OperandSpec::kES, 'w'},
    {"CS", OperandSpec::kCS, 'w'},   {"SS", OperandSpec::kSS, 'w'},   {"DS", OperandSpec::kDS, 'w'},
    {"FS", OperandSpec::kFS, 'w'},   {"GS", OperandSpec::kGS, 'w'},   {"ST", OperandSpec::kST0, 0},
    {"STi", OperandSpec::kSTi, 0},
};

constexpr bool spec_uses_modrm(OperandSpec s) {
  switch (s) {
    case OperandSpec::kEb: case OperandSpec::kEw: case OperandSpec::kEd: case OperandSpec::kEv:
    case OperandSpec::kEvw: case OperandSpec::kEp: case OperandSpec::kM: case OperandSpec::kMb:
    case OperandSpec::kMw: case OperandSpec::kMd: case OperandSpec::kMq: case OperandSpec::kMt:
    case OperandSpec::kMp: case OperandSpec::kMa: case OperandSpec::kMs: case OperandSpec::kMe:
    case OperandSpec::kMst: case OperandSpec::kRd: case OperandSpec::kGb: case OperandSpec::kGw:
    case OperandSpec::kGd: case OperandSpec::kGv: case OperandSpec::kSw: case OperandSpec::kCd:
    case OperandSpec::kDd: case OperandSpec::kTd: case OperandSpec::kSTi:
      return true;
    default:
      return false;
  }
}

constexpr bool spec_is_opcode_reg(OperandSpec s) {
  return s == OperandSpec::kZb || s == OperandSpec::kZv || s == OperandSpec::kZd;
}

// Condition code of a kAttrCond row (SDM Vol. 1, B.1; FCMOVcc: Vol. 2, FCMOVcc).
constexpr uint8_t cond_of(uint8_t map, uint8_t opcode, uint8_t reg) {
  if (map == 0 && (opcode == 0xDA || opcode == 0xDB)) {
    constexpr uint8_t kFcmov[4] = {0x2, 0x4, 0x6, 0xA};  // b, e, be, p(u)
    return static_cast<uint8_t>(kFcmov[reg & 3] | (opcode == 0xDB ? 1 : 0));
  }
  return opcode & 0x0F;
}

constexpr OpcodeRow make_row(uint8_t map, uint8_t opcode, uint8_t reg, ModClass mod, uint8_t rm,
                             Mnemonic m, std::string_view spec, uint32_t fr, uint32_t fw, uint16_t attrs,
                             ModelMask models) {
  OpcodeRow r{map, opcode, reg, mod, rm, m, spec, fr, fw, attrs, models, false, 0, 0, 0, {}};
  bool any_modrm = false;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view tok = spec.substr(pos, end - pos);
    pos = end + 1;
    if (tok.size() == 3 && tok[0] == '{' && tok[2] == '}') {
      r.width_class = tok[1];
      continue;
    }
    bool found = false;
    for (const auto& t : kTokens) {
      if (t.text != tok) continue;
      found = true;
      if (r.num_operands == 3) throw "opcodes.def: more than three operands";
      if (r.num_operands == 0 && r.width_class == 0) r.width_class = t.width;
      r.ops[r.num_operands++] = t.spec;
      any_modrm = any_modrm || spec_uses_modrm(t.spec);
    }
    if (!found) throw "opcodes.def: unknown operand token";
  }
  r.has_modrm = mod != ModClass::kNone;
  if (mod == ModClass::kReg) r.attrs |= kAttrNoModrmMemory;
  if (any_modrm && !r.has_modrm) throw "opcodes.def: ModRM operand in a row without ModRM";
  // String instructions name no operands (their memory operands are implicit).
  if (attrs & kAttrStringOp) r.num_operands = 0;
  if (attrs & kAttrCond) r.cond = cond_of(map, opcode, reg);
  return r;
}

}  // namespace

namespace detail {
using namespace rowdef;  // the rows below use rowdef's short names

constexpr OpcodeRow kOpcodeRows[] = {
    make_row(0, 0, kAnyField, ModClass::kNone, kAnyField, Mnemonic::kInvalid, "", 0, 0, 0, 0),
#define TX86_OPCODE(map, opcode, reg, mod, rm, mnemonic, spec, fr, fw, attrs, models) \
  make_row(map, opcode, reg, mod, rm, Mnemonic::mnemonic, spec, fr, fw, attrs, models),
#include "frontend-x86/opcodes.def"
#undef TX86_OPCODE
};
}  // namespace detail

namespace {
constexpr const OpcodeRow* kRowsArray = detail::kOpcodeRows;
constexpr size_t kRowCount = sizeof(detail::kOpcodeRows) / sizeof(detail::kOpcodeRows[0]);
static_assert(kRowCount < detail::kByRm, "row numbers must fit below the kByRm marker");

constexpr void claim(uint16_t& slot, uint16_t row) {
  if (slot != 0) throw "opcodes.def: two rows claim one encoding";
  slot = row;
}

constexpr detail::OpcodeLookup build_lookup() {
  detail::OpcodeLookup l{};
  for (uint16_t i = 1; i < kRowCount; ++i) {
    const OpcodeRow& r = kRowsArray[i];
    const bool by_low_bits = r.num_operands > 0 && spec_is_opcode_reg(r.ops[0] == OperandSpec::kEAX ? r.ops[1] : r.ops[0]);
    const unsigned last = by_low_bits ? (r.opcode | 7u) : r.opcode;
    for (unsigned op = r.opcode; op <= last; ++op) {
      const unsigned key = r.map * 256u + op;
      if (!r.has_modrm) {
        if (l.has_modrm[key]) throw "opcodes.def: opcode both with and without ModRM";
        claim(l.no_modrm[key], i);
        continue;
      }
      if (l.no_modrm[key]) throw "opcodes.def: opcode both with and without ModRM";
      l.has_modrm[key] = true;
      for (unsigned reg = 0; reg < 8; ++reg) {
        if (r.reg != kAnyField && r.reg != reg) continue;
        for (unsigned is_reg = 0; is_reg < 2; ++is_reg) {
          if ((r.mod == ModClass::kMem && is_reg) || (r.mod == ModClass::kReg && !is_reg)) continue;
          uint16_t& slot = l.by_modrm[key][is_reg * 8 + reg];
          if (r.rm == kAnyField) {
            claim(slot, i);
            continue;
          }
          if (r.map != 0 || op < 0xD8 || !is_reg) throw "opcodes.def: rm column outside x87 register forms";
          if (slot != 0 && slot != detail::kByRm) throw "opcodes.def: two rows claim one encoding";
          slot = detail::kByRm;
        }
      }
      if (r.map == 0 && op >= 0xD8 && r.mod == ModClass::kReg) {
        for (unsigned reg = 0; reg < 8; ++reg) {
          if (r.reg != kAnyField && r.reg != reg) continue;
          for (unsigned rm = 0; rm < 8; ++rm)
            if (r.rm == kAnyField || r.rm == rm) claim(l.x87_reg[op - 0xD8][reg * 8 + rm], i);
        }
      }
    }
  }
  return l;
}

}  // namespace

namespace detail {
constexpr OpcodeLookup kOpcodeLookup = build_lookup();
}  // namespace detail

size_t opcode_row_count() { return kRowCount; }

const OpcodeRow& opcode_row(uint16_t form) { return kRowsArray[form < kRowCount ? form : 0]; }

std::string_view opcode_row_name(uint16_t form) {
  // Built once; immutable afterwards.
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    v.reserve(kRowCount);
    for (size_t i = 0; i < kRowCount; ++i) {
      const OpcodeRow& r = kRowsArray[i];
      std::string n(mnemonic_name(r.mnemonic));
      for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string spec;
      for (size_t p = 0; p < r.spec.size();) {
        size_t e = r.spec.find(',', p);
        if (e == std::string_view::npos) e = r.spec.size();
        std::string_view tok = r.spec.substr(p, e - p);
        p = e + 1;
        if (!tok.empty() && tok[0] == '{') continue;  // width hint, not an operand
        if (!spec.empty()) spec += ',';
        spec += tok;
      }
      if (!spec.empty()) n += ' ' + spec;
      v.push_back(std::move(n));
    }
    return v;
  }();
  return names[form < kRowCount ? form : 0];
}

}  // namespace tx86::x86
