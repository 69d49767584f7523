// The opcode table's accessor API and its invariants (DESIGN.md §1), and the
// Capstone wrapper used by --trace and the JIT listings.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "frontend-x86/decoder.h"
#include "frontend-x86/disasm.h"
#include "frontend-x86/opcode_table.h"

namespace tx86::x86 {

TEST_CASE("rows have names, models and consistent attributes", "[opcode_table]") {
  const size_t n = opcode_row_count();
  REQUIRE(n > 500);
  CHECK(opcode_row(0).mnemonic == Mnemonic::kInvalid);
  std::set<std::string> names;
  for (uint16_t f = 1; f < n; ++f) {
    const OpcodeRow& r = opcode_row(f);
    INFO("row " << f << " " << opcode_row_name(f));
    CHECK(r.mnemonic != Mnemonic::kInvalid);
    CHECK(r.models != 0);
    // Branches, privileged, I/O-sensitive and sensitive rows all end a block.
    if (r.attrs & (kAttrBranch | kAttrPrivileged | kAttrIoSensitive | kAttrSensitive))
      CHECK((r.attrs & kAttrEndsBlock) != 0);
    if (r.attrs & kAttrLockable) CHECK(r.has_modrm);
    if (r.map == 0 && r.opcode >= 0xD8 && r.opcode <= 0xDF) CHECK((r.attrs & kAttrX87) != 0);
    names.insert(std::string(opcode_row_name(f)));
  }
  CHECK(names.count("ADD Ev,Gv") == 1);
  CHECK(names.count("MOV Sw,Ew") == 1);
  CHECK(names.count("FADD ST,STi") == 1);
  CHECK(names.count("MOVS") == 1);  // width hints are not operands
}

TEST_CASE("decode() reports the row it used", "[opcode_table]") {
  const uint8_t add[] = {0x01, 0xC0};
  Insn i;
  REQUIRE(decode(add, sizeof add, {}, i) == DecodeStatus::kOk);
  CHECK(opcode_row_name(i.form) == "ADD Ev,Gv");
  CHECK(opcode_row(i.form).opcode == 0x01);
  const uint8_t group[] = {0x83, 0x38, 0x05};  // CMP Ev, Ibs: group 1 by ModRM.reg
  REQUIRE(decode(group, sizeof group, {}, i) == DecodeStatus::kOk);
  CHECK(opcode_row_name(i.form) == "CMP Ev,Ibs");
  CHECK(opcode_row(i.form).reg == 7);
}

TEST_CASE("the Capstone wrapper disassembles in every mode", "[disasm]") {
  const uint8_t mov[] = {0xB8, 0x01, 0x00, 0x00, 0x00};
  size_t len = 0;
  Disassembler d32(Disassembler::Mode::k32);
  CHECK(d32.disassemble(mov, sizeof mov, 0x1000, &len) == "mov eax, 1");
  CHECK(len == 5);
  Disassembler d16(Disassembler::Mode::k16);
  CHECK(d16.disassemble(mov, sizeof mov, 0, &len) == "mov ax, 1");
  CHECK(len == 3);
  const uint8_t jmp[] = {0xEB, 0xFE};
  CHECK(d16.disassemble(jmp, sizeof jmp, 0x100, &len) == "jmp 0x100");
  Disassembler d64(Disassembler::Mode::k64);
  const uint8_t movq[] = {0x48, 0x89, 0xC0};
  CHECK(d64.disassemble(movq, sizeof movq, 0, &len) == "mov rax, rax");
  const uint8_t bad[] = {0x0F, 0xFF};
  CHECK(d32.disassemble(bad, 1, 0, &len) == "(bad)");
  CHECK(len == 0);
}

}  // namespace tx86::x86
