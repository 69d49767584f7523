// Unit tests of decode() on tricky encodings: prefix rules, ModRM/SIB forms in
// 16- and 32-bit addressing, moffs, LOCK legality, the length limits,
// kNeedMoreBytes and the 80286 model (SDM Vol. 2, chapter 2).
#include <catch2/catch.hpp>

#include <vector>

#include "frontend-x86/decoder.h"
#include "frontend-x86/format.h"

namespace tx86::x86 {
namespace {

struct Decoded {
  DecodeStatus status;
  Insn insn;
};

Decoded dec(std::vector<uint8_t> bytes, CodeSize cs = CodeSize::k32, CpuModel model = CpuModel::kP6,
            size_t size = 0) {
  const size_t n = size ? size : bytes.size();
  bytes.resize(32, 0xCC);  // readable bytes past `n` must not be used
  Decoded d{};
  d.status = decode(bytes.data(), n, DecodeOptions{cs, model}, d.insn);
  return d;
}

std::string text(std::vector<uint8_t> bytes, CodeSize cs = CodeSize::k32) {
  const Decoded d = dec(std::move(bytes), cs);
  return d.status == DecodeStatus::kOk ? format_insn(d.insn, 0) : "(invalid)";
}

}  // namespace

TEST_CASE("implicit register operands are spelled out as the SDM row does", "[decoder]") {
  auto d = dec({0x04, 0x7F});  // ADD AL, Ib
  REQUIRE(d.status == DecodeStatus::kOk);
  CHECK(d.insn.mnemonic == Mnemonic::kAdd);
  CHECK(d.insn.num_operands == 2);
  CHECK(d.insn.ops[0].kind == OperandKind::kReg);
  CHECK(d.insn.ops[0].reg == kEax);
  CHECK(d.insn.ops[0].size == 1);
  CHECK(d.insn.ops[1].kind == OperandKind::kImm);
  CHECK(d.insn.ops[1].imm == 0x7F);
  CHECK(d.insn.width == 1);

  d = dec({0xD1, 0xE0});  // SHL eAX, 1
  CHECK(d.insn.mnemonic == Mnemonic::kShl);
  CHECK(d.insn.ops[1].kind == OperandKind::kImm);
  CHECK(d.insn.ops[1].imm == 1);
  CHECK(d.insn.flags_read == 0);

  d = dec({0xD3, 0xE0});  // SHL eAX, CL: a zero count leaves the flags, so they are read too
  CHECK(d.insn.ops[1].kind == OperandKind::kReg);
  CHECK(d.insn.ops[1].reg == kEcx);
  CHECK(d.insn.ops[1].size == 1);
  CHECK(d.insn.flags_read == kArithFlags);

  d = dec({0xEC});  // IN AL, DX
  CHECK(d.insn.ops[1].kind == OperandKind::kReg);
  CHECK(d.insn.ops[1].reg == kEdx);
  CHECK(d.insn.ops[1].size == 2);
  CHECK(d.insn.has(kAttrIoSensitive));
  CHECK(d.insn.has(kAttrEndsBlock));

  d = dec({0x06}, CodeSize::k16);  // PUSH ES
  CHECK(d.insn.ops[0].kind == OperandKind::kSreg);
  CHECK(d.insn.ops[0].reg == kEs);
  CHECK(d.insn.width == 2);
}

TEST_CASE("immediates are sign- or zero-extended per encoding", "[decoder]") {
  auto d = dec({0x83, 0xC0, 0xFF}, CodeSize::k16);  // ADD AX, -1 (Ib sign-extended)
  CHECK(d.insn.ops[1].size == 2);
  CHECK(d.insn.ops[1].imm == 0xFFFF);
  d = dec({0x6A, 0x80});  // PUSH Ib
  CHECK(d.insn.ops[0].imm == 0xFFFFFF80u);
  CHECK(d.insn.ops[0].size == 4);
  d = dec({0xC1, 0xE0, 0xFF});  // SHL eAX, Ib: a count, not extended
  CHECK(d.insn.ops[1].imm == 0xFF);
  CHECK(d.insn.ops[1].size == 1);
  d = dec({0x74, 0xFE});  // JE rel8
  CHECK(d.insn.ops[0].kind == OperandKind::kRel);
  CHECK(d.insn.ops[0].imm == 0xFFFFFFFEu);
  CHECK(d.insn.cond == 4);
  CHECK(d.insn.flags_read == kZF);
  d = dec({0xE9, 0x00, 0x80}, CodeSize::k16);  // JMP rel16
  CHECK(d.insn.ops[0].imm == 0xFFFF8000u);
  CHECK(d.insn.length == 3);
  d = dec({0xC8, 0x10, 0x00, 0x03});  // ENTER 16, 3
  CHECK(d.insn.enter_level == 3);
  CHECK(d.insn.ops[0].imm == 16);
}

TEST_CASE("far pointers, moffs and the memory-operand sizes of system rows", "[decoder]") {
  auto d = dec({0x9A, 0x34, 0x12, 0x00, 0xF0}, CodeSize::k16);  // CALLF F000:1234
  REQUIRE(d.status == DecodeStatus::kOk);
  CHECK(d.insn.mnemonic == Mnemonic::kCallf);
  CHECK(d.insn.ops[0].kind == OperandKind::kFar);
  CHECK(d.insn.ops[0].imm == 0x1234);
  CHECK(d.insn.far_selector == 0xF000);
  CHECK(d.insn.length == 5);
  d = dec({0xEA, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00});  // JMPF 0008:12345678
  CHECK(d.insn.ops[0].imm == 0x12345678u);
  CHECK(d.insn.far_selector == 8);
  CHECK(d.insn.mnemonic == Mnemonic::kJmpf);

  d = dec({0xA1, 0x34, 0x12}, CodeSize::k16);  // MOV AX, [1234]
  CHECK(d.insn.ops[1].kind == OperandKind::kMem);
  CHECK(d.insn.mem.base == kNoReg);
  CHECK(d.insn.mem.index == kNoReg);
  CHECK(d.insn.mem.disp == 0x1234);
  CHECK(d.insn.mem.seg == kDs);
  d = dec({0x67, 0x64, 0xA0, 0x78, 0x56, 0x34, 0x12}, CodeSize::k16);  // 32-bit moffs, FS:
  CHECK(d.insn.length == 7);
  CHECK(d.insn.mem.disp == 0x12345678);
  CHECK(d.insn.mem.seg == kFs);

  CHECK(dec({0xC4, 0x00}).insn.ops[1].size == 6);                 // LES Gv, Mp
  CHECK(dec({0xC4, 0x00}, CodeSize::k16).insn.ops[1].size == 4);
  CHECK(dec({0x62, 0x00}).insn.ops[1].size == 8);                 // BOUND Gv, Ma
  CHECK(dec({0xFF, 0x18}).insn.mnemonic == Mnemonic::kCallf);      // CALLF Ep
  CHECK(dec({0xFF, 0x18}).insn.ops[0].size == 6);
  CHECK(dec({0xFF, 0xD8}).status == DecodeStatus::kInvalid);       // no register form
  CHECK(dec({0x0F, 0x01, 0x10}).insn.ops[0].size == 6);            // LGDT Ms
  CHECK(dec({0x8D, 0xC0}).status == DecodeStatus::kInvalid);       // LEA needs memory
  CHECK(dec({0x8C, 0xC0}).insn.ops[0].size == 4);                  // MOV r32, Sreg
  CHECK(dec({0x8C, 0x00}).insn.ops[0].size == 2);                  // MOV m16, Sreg
  CHECK(dec({0x8E, 0xC8}).status == DecodeStatus::kInvalid);       // MOV CS, r
  CHECK(dec({0x8E, 0xD0}).insn.has(kAttrEndsBlock));               // MOV SS: interrupt shadow
}

TEST_CASE("32-bit ModRM and SIB forms", "[decoder]") {
  auto d = dec({0x8B, 0x04, 0x8D, 0x10, 0x00, 0x00, 0x00});  // [ecx*4 + 0x10]: SIB without base
  REQUIRE(d.status == DecodeStatus::kOk);
  CHECK(d.insn.length == 7);
  CHECK(d.insn.mem.base == kNoReg);
  CHECK(d.insn.mem.index == kEcx);
  CHECK(d.insn.mem.scale == 2);
  CHECK(d.insn.mem.disp == 0x10);
  CHECK(d.insn.mem.seg == kDs);
  d = dec({0x8B, 0x04, 0x24});  // [esp]: index 100 is none, default SS
  CHECK(d.insn.mem.base == kEsp);
  CHECK(d.insn.mem.index == kNoReg);
  CHECK(d.insn.mem.seg == kSs);
  d = dec({0x8B, 0x45, 0xF0});  // [ebp - 16]
  CHECK(d.insn.mem.base == kEbp);
  CHECK(d.insn.mem.disp == -16);
  CHECK(d.insn.mem.seg == kSs);
  d = dec({0x8B, 0x05, 0x78, 0x56, 0x34, 0x12});  // [disp32]
  CHECK(d.insn.mem.base == kNoReg);
  CHECK(d.insn.mem.disp == 0x12345678);
  CHECK(d.insn.mem.seg == kDs);
  d = dec({0x8B, 0x44, 0x2D, 0x01});  // [ebp + ebp + 1]
  CHECK(d.insn.mem.index == kEbp);
  CHECK(d.insn.mem.seg == kSs);
  d = dec({0x26, 0x8B, 0x04, 0x24});  // override beats the SS default
  CHECK(d.insn.mem.seg == kEs);
  CHECK((d.insn.prefixes & kPrefixSegment) != 0);
  CHECK(text({0x8B, 0x84, 0x88, 0xF0, 0xFF, 0xFF, 0xFF}) == "mov eax, dword ptr [eax + ecx*4 - 0x10]");
}

TEST_CASE("16-bit ModRM forms", "[decoder]") {
  auto d = dec({0x8B, 0x02}, CodeSize::k16);  // [bp + si]
  CHECK(d.insn.mem.base == kEbp);
  CHECK(d.insn.mem.index == kEsi);
  CHECK(d.insn.mem.seg == kSs);
  CHECK(d.insn.addrsize == 2);
  d = dec({0x8B, 0x01}, CodeSize::k16);  // [bx + di]
  CHECK(d.insn.mem.base == kEbx);
  CHECK(d.insn.mem.index == kEdi);
  CHECK(d.insn.mem.seg == kDs);
  d = dec({0x8B, 0x06, 0x00, 0xFF}, CodeSize::k16);  // [0xff00]: mod 0 rm 6 is disp16
  CHECK(d.insn.mem.base == kNoReg);
  CHECK(d.insn.length == 4);
  CHECK(text({0x8B, 0x06, 0x00, 0xFF}, CodeSize::k16) == "mov ax, word ptr [0xff00]");
  d = dec({0x8B, 0x46, 0x80}, CodeSize::k16);  // [bp - 128]
  CHECK(d.insn.mem.base == kEbp);
  CHECK(d.insn.mem.disp == -128);
  CHECK(d.insn.mem.seg == kSs);
  d = dec({0x3E, 0x8B, 0x46, 0x00}, CodeSize::k16);
  CHECK(d.insn.mem.seg == kDs);
  d = dec({0x67, 0x8B, 0x04, 0x24}, CodeSize::k16);  // 67: 32-bit addressing in 16-bit code
  CHECK(d.insn.addrsize == 4);
  CHECK(d.insn.mem.base == kEsp);
  CHECK(d.insn.length == 4);
}

TEST_CASE("prefix rules: repeats, conflicts and the last of a group wins", "[decoder]") {
  auto d = dec({0x26, 0x2E, 0x36, 0x8B, 0x00});
  CHECK(d.insn.mem.seg == kSs);
  d = dec({0xF2, 0xF3, 0xA4});
  CHECK((d.insn.prefixes & kPrefixRep) != 0);
  CHECK((d.insn.prefixes & kPrefixRepne) == 0);
  d = dec({0xF3, 0xF2, 0xA6});
  CHECK((d.insn.prefixes & kPrefixRepne) != 0);
  CHECK((d.insn.prefixes & kPrefixRep) == 0);
  d = dec({0x66, 0x66, 0xB8, 0x34, 0x12});  // a repeated 66 is one 66
  CHECK(d.insn.opsize == 2);
  CHECK(d.insn.length == 5);
  d = dec({0x66, 0xB8, 0x78, 0x56, 0x34, 0x12}, CodeSize::k16);
  CHECK(d.insn.opsize == 4);
  CHECK(d.insn.ops[1].imm == 0x12345678u);
  d = dec({0x66, 0x98});
  CHECK(display_name(d.insn) == "cbw");
  CHECK(display_name(dec({0x98}).insn) == "cwde");
  CHECK(display_name(dec({0xE3, 0x00}).insn) == "jecxz");
  CHECK(display_name(dec({0x67, 0xE3, 0x00}).insn) == "jcxz");
  CHECK(display_name(dec({0xCF}, CodeSize::k16).insn) == "iret");
  CHECK(display_name(dec({0x66, 0x60}, CodeSize::k16).insn) == "pushad");
}

TEST_CASE("string instructions have implicit operands", "[decoder]") {
  auto d = dec({0xF3, 0xA5});
  REQUIRE(d.status == DecodeStatus::kOk);
  CHECK(d.insn.num_operands == 0);
  CHECK(d.insn.width == 4);
  CHECK(d.insn.has(kAttrStringOp));
  CHECK(d.insn.mem.seg == kDs);
  CHECK(display_name(d.insn) == "movsd");
  d = dec({0x26, 0x66, 0xA5});
  CHECK(d.insn.width == 2);
  CHECK(d.insn.mem.seg == kEs);
  CHECK(text({0x26, 0x66, 0xA5}) == "movsw word ptr es:[edi], word ptr es:[esi]");
  CHECK(text({0xF3, 0xA6}, CodeSize::k16) == "repe cmpsb byte ptr [si], byte ptr es:[di]");
  CHECK(dec({0xD7}).insn.width == 1);  // XLAT
}

TEST_CASE("LOCK is legal only on lockable rows with a memory destination", "[decoder]") {
  CHECK(dec({0xF0, 0x01, 0x00}).status == DecodeStatus::kOk);
  CHECK((dec({0xF0, 0x01, 0x00}).insn.prefixes & kPrefixLock) != 0);
  CHECK(dec({0xF0, 0x01, 0xC0}).status == DecodeStatus::kInvalid);        // register destination
  CHECK(dec({0xF0, 0x03, 0x00}).status == DecodeStatus::kInvalid);        // ADD Gv, Ev: destination register
  CHECK(dec({0xF0, 0x40}).status == DecodeStatus::kInvalid);              // INC r32
  CHECK(dec({0xF0, 0x80, 0x38, 0x01}).status == DecodeStatus::kInvalid);  // CMP
  CHECK(dec({0xF0, 0x80, 0x30, 0x01}).status == DecodeStatus::kOk);       // XOR
  CHECK(dec({0xF0, 0x0F, 0xA3, 0x00}).status == DecodeStatus::kInvalid);  // BT
  CHECK(dec({0xF0, 0x0F, 0xBB, 0x00}).status == DecodeStatus::kOk);       // BTC
  CHECK(dec({0xF0, 0x0F, 0xBA, 0x38, 0x01}).status == DecodeStatus::kOk);  // BTC Ev, Ib
  CHECK(dec({0xF0, 0x86, 0x00}).status == DecodeStatus::kOk);             // XCHG
  CHECK(dec({0xF0, 0x0F, 0xC7, 0x08}).status == DecodeStatus::kOk);       // CMPXCHG8B
  CHECK(dec({0xF0, 0x8B, 0x00}).status == DecodeStatus::kInvalid);        // MOV
  CHECK(dec({0xF0, 0xF7, 0x18}).status == DecodeStatus::kOk);             // NEG
  CHECK(dec({0xF0, 0xF7, 0x00, 1, 0, 0, 0}).status == DecodeStatus::kInvalid);  // TEST
}

TEST_CASE("length limit and running out of bytes", "[decoder]") {
  std::vector<uint8_t> b(14, 0x3E);
  b.push_back(0x90);
  auto d = dec(b);
  CHECK(d.status == DecodeStatus::kOk);
  CHECK(d.insn.length == 15);
  b.insert(b.begin(), 0x3E);
  d = dec(b);
  CHECK(d.status == DecodeStatus::kTooLong);
  CHECK(d.insn.mnemonic == Mnemonic::kInvalid);
  CHECK(d.insn.length == 15);
  // 11 bytes with a 32-bit displacement and immediate: too long only when the last byte is needed.
  std::vector<uint8_t> mov = {0x26, 0x66, 0x67, 0xC7, 0x80, 0, 0, 0, 0, 1, 2, 3, 4};
  CHECK(dec(mov, CodeSize::k16).status == DecodeStatus::kOk);
  std::vector<uint8_t> longer(3, 0x2E);
  longer.insert(longer.end(), mov.begin(), mov.end());
  CHECK(dec(longer, CodeSize::k16).status == DecodeStatus::kTooLong);  // 16 bytes

  CHECK(dec({0xB8, 0x12, 0x34}, CodeSize::k32, CpuModel::kP6, 3).status == DecodeStatus::kNeedMoreBytes);
  CHECK(dec({0x0F}, CodeSize::k32, CpuModel::kP6, 1).status == DecodeStatus::kNeedMoreBytes);
  CHECK(dec({0x8B, 0x04}, CodeSize::k32, CpuModel::kP6, 2).status == DecodeStatus::kNeedMoreBytes);  // SIB
  CHECK(dec({0x66}, CodeSize::k32, CpuModel::kP6, 1).status == DecodeStatus::kNeedMoreBytes);
  CHECK(dec({}, CodeSize::k32, CpuModel::kP6, 0).status == DecodeStatus::kNeedMoreBytes);
}

TEST_CASE("80286 model", "[decoder]") {
  const auto k16 = CodeSize::k16;
  const auto k286 = CpuModel::k286;
  CHECK(dec({0x66, 0x90}, k16, k286).status == DecodeStatus::kInvalid);
  CHECK(dec({0x67, 0x90}, k16, k286).status == DecodeStatus::kInvalid);
  CHECK(dec({0x64, 0x8B, 0x00}, k16, k286).status == DecodeStatus::kInvalid);
  CHECK(dec({0x0F, 0x05}, k16, k286).insn.mnemonic == Mnemonic::kLoadall);
  CHECK(dec({0x0F, 0x05}, k16).status == DecodeStatus::kInvalid);  // not on the P6
  CHECK(dec({0x0F, 0xB6, 0xC0}, k16, k286).status == DecodeStatus::kInvalid);  // MOVZX: 386
  CHECK(dec({0x0F, 0x20, 0xC0}, k16, k286).status == DecodeStatus::kInvalid);  // MOV CR: 386
  CHECK(dec({0x0F, 0x84, 0, 0}, k16, k286).status == DecodeStatus::kInvalid);  // Jcc rel16: 386
  CHECK(dec({0x0F, 0x01, 0xE0}, k16, k286).insn.mnemonic == Mnemonic::kSmsw);
  CHECK(dec({0x0F, 0x00, 0x18}, k16, k286).insn.mnemonic == Mnemonic::kLtr);
  CHECK(dec({0x63, 0xC0}, k16, k286).insn.mnemonic == Mnemonic::kArpl);
  CHECK(dec({0xC8, 0, 0, 0}, k16, k286).insn.mnemonic == Mnemonic::kEnter);
  // The 80286 asserts LOCK# for any instruction (hardware vectors: "lock push di").
  CHECK(dec({0xF0, 0x57}, k16, k286).status == DecodeStatus::kOk);
  CHECK(dec({0xF0, 0x57}, k16).status == DecodeStatus::kInvalid);
  std::vector<uint8_t> b(9, 0x2E);
  b.push_back(0x90);
  CHECK(dec(b, k16, k286).status == DecodeStatus::kOk);  // 10 bytes
  b.insert(b.begin(), 0x2E);
  CHECK(dec(b, k16, k286).status == DecodeStatus::kTooLong);  // 11 bytes: #GP on the 286
  CHECK(dec(b, k16).status == DecodeStatus::kOk);
}

TEST_CASE("CPU models gate the rows", "[decoder]") {
  CHECK(dec({0x0F, 0x44, 0xC0}, CodeSize::k32, CpuModel::kPentium).status == DecodeStatus::kInvalid);  // CMOVE
  CHECK(dec({0x0F, 0x44, 0xC0}).insn.mnemonic == Mnemonic::kCmove);
  CHECK(dec({0x0F, 0xC8}, CodeSize::k32, CpuModel::k386).status == DecodeStatus::kInvalid);  // BSWAP
  CHECK(dec({0x0F, 0xC8}, CodeSize::k32, CpuModel::k486).insn.mnemonic == Mnemonic::kBswap);
  CHECK(dec({0x0F, 0x31}, CodeSize::k32, CpuModel::k486).status == DecodeStatus::kInvalid);  // RDTSC
  CHECK(dec({0x0F, 0x22, 0xE0}, CodeSize::k32, CpuModel::k486).status == DecodeStatus::kInvalid);  // CR4
  CHECK(dec({0x0F, 0x22, 0xE0}, CodeSize::k32, CpuModel::kPentium).status == DecodeStatus::kOk);
  CHECK(dec({0x0F, 0x26, 0xF0}, CodeSize::k32, CpuModel::k386).insn.ops[0].kind == OperandKind::kTr);
  CHECK(dec({0x0F, 0x26, 0xF0}).status == DecodeStatus::kInvalid);  // no TRn on the P6
  CHECK(dec({0x0F, 0x22, 0xC8}).status == DecodeStatus::kInvalid);  // CR1 is reserved
}

TEST_CASE("MOV CRn/DRn ignore mod; x87 forms; condition codes", "[decoder]") {
  auto d = dec({0x0F, 0x20, 0x01});  // mod 00 still names a register
  REQUIRE(d.status == DecodeStatus::kOk);
  CHECK(d.insn.length == 3);
  CHECK(d.insn.ops[0].kind == OperandKind::kReg);
  CHECK(d.insn.ops[0].reg == kEcx);
  CHECK(d.insn.ops[1].kind == OperandKind::kCr);
  CHECK(d.insn.has(kAttrPrivileged));
  d = dec({0x0F, 0x23, 0x3D});
  CHECK(d.insn.ops[0].kind == OperandKind::kDr);
  CHECK(d.insn.ops[0].reg == 7);

  d = dec({0xD9, 0x38});  // FNSTCW m2byte
  CHECK(d.insn.mnemonic == Mnemonic::kFnstcw);
  CHECK(d.insn.ops[0].size == 2);
  CHECK(d.insn.has(kAttrX87));
  CHECK(dec({0xDD, 0x30}).insn.ops[0].size == 108);
  CHECK(dec({0xDD, 0x30}, CodeSize::k16).insn.ops[0].size == 94);
  CHECK(dec({0xD9, 0x20}).insn.ops[0].size == 28);
  CHECK(dec({0xDB, 0x28}).insn.ops[0].size == 10);
  d = dec({0xD8, 0xC3});  // FADD ST(0), ST(3)
  CHECK(d.insn.ops[0].kind == OperandKind::kSt);
  CHECK(d.insn.ops[1].kind == OperandKind::kSt);
  CHECK(d.insn.ops[1].reg == 3);
  CHECK(dec({0xD9, 0xE8}).insn.mnemonic == Mnemonic::kFld1);
  CHECK(dec({0xD9, 0xEF}).status == DecodeStatus::kInvalid);
  CHECK(dec({0xDF, 0xE0}).insn.ops[0].size == 2);  // FNSTSW AX
  d = dec({0xDB, 0xD1});  // FCMOVNBE
  CHECK(d.insn.mnemonic == Mnemonic::kFcmovnbe);
  CHECK(d.insn.cond == 7);
  CHECK(dec({0xDA, 0xD9}).insn.cond == 10);  // FCMOVU: parity
  CHECK(dec({0x0F, 0x4F, 0xC0}).insn.cond == 15);
  CHECK(dec({0x0F, 0x9C, 0xC0}).insn.flags_read == (kSF | kOF));
}

}  // namespace tx86::x86
