// core/semantics: flag rules checked against values worked out from the SDM
// (and, for the 286 quirks, from the SingleStepTests vectors).
#include <catch2/catch.hpp>

#include "core/semantics/alu.h"
#include "core/semantics/bcd.h"
#include "core/semantics/bits.h"
#include "core/semantics/muldiv.h"
#include "core/semantics/shift.h"

using namespace tx86::core::sem;

namespace {
constexpr uint32_t kBase = 0x2;  // EFLAGS with no arithmetic flag set
}

TEST_CASE("add and adc set CF OF AF SF ZF PF", "[semantics]") {
  uint32_t f = kBase;
  CHECK(add<uint8_t>(0x7F, 1, 0, f) == 0x80);
  CHECK(f == (kBase | kOF | kSF | kAF));
  f = kBase;
  CHECK(add<uint8_t>(0xFF, 1, 0, f) == 0);
  CHECK(f == (kBase | kCF | kZF | kAF | kPF));
  f = kBase;
  CHECK(add<uint16_t>(0xFFFF, 0, 1, f) == 0);  // carry-in wraps: CF
  CHECK((f & kCF) != 0);
  f = kBase;
  CHECK(add<uint32_t>(0x80000000u, 0x80000000u, 0, f) == 0);
  CHECK(f == (kBase | kCF | kOF | kZF | kPF));
}

TEST_CASE("sub and sbb borrow rules", "[semantics]") {
  uint32_t f = kBase;
  CHECK(sub<uint8_t>(0, 1, 0, f) == 0xFF);
  CHECK(f == (kBase | kCF | kSF | kAF | kPF));
  f = kBase;
  CHECK(sub<uint8_t>(0x80, 1, 0, f) == 0x7F);
  CHECK(f == (kBase | kOF | kAF));
  f = kBase;
  CHECK(sub<uint16_t>(5, 5, 1, f) == 0xFFFF);  // borrow-in with equal operands
  CHECK((f & kCF) != 0);
}

TEST_CASE("inc and dec keep CF; neg sets CF unless zero", "[semantics]") {
  uint32_t f = kBase | kCF;
  CHECK(inc<uint8_t>(0xFF, f) == 0);
  CHECK(f == (kBase | kCF | kZF | kAF | kPF));
  f = kBase;
  CHECK(dec<uint16_t>(0x8000, f) == 0x7FFF);
  CHECK(f == (kBase | kOF | kAF | kPF));
  f = kBase;
  CHECK(neg<uint8_t>(0, f) == 0);
  CHECK((f & kCF) == 0);
  CHECK(neg<uint8_t>(0x80, f) == 0x80);
  CHECK((f & (kCF | kOF)) == (kCF | kOF));
}

TEST_CASE("conditions follow SDM table B-1", "[semantics]") {
  CHECK(condition(0x4, kZF));           // E
  CHECK_FALSE(condition(0x5, kZF));     // NE
  CHECK(condition(0x7, 0));             // A: CF=0 and ZF=0
  CHECK(condition(0xC, kSF));           // L: SF != OF
  CHECK_FALSE(condition(0xC, kSF | kOF));
  CHECK(condition(0xE, kZF));           // LE
  CHECK(condition(0xF, kSF | kOF));     // G
  CHECK(condition(0xA, kPF));           // P
}

TEST_CASE("shift counts are masked to 5 bits; count 0 changes nothing", "[semantics]") {
  uint32_t f = kBase | kCF | kOF;
  CHECK(shift<uint8_t>(ShiftOp::kShl, 0x81, 32, f) == 0x81);
  CHECK(f == (kBase | kCF | kOF));
  f = kBase;
  CHECK(shift<uint8_t>(ShiftOp::kShl, 0x81, 1, f) == 0x02);
  CHECK((f & (kCF | kOF)) == (kCF | kOF));
  f = kBase;
  // 8-bit SHL by 9: everything shifted out, CF is the (zero) bit after it.
  CHECK(shift<uint8_t>(ShiftOp::kShl, 0xFF, 9, f) == 0);
  CHECK((f & kCF) == 0);
  f = kBase;
  CHECK(shift<uint8_t>(ShiftOp::kShl, 0xFF, 8, f) == 0);
  CHECK((f & kCF) != 0);
  f = kBase;
  CHECK(shift<uint16_t>(ShiftOp::kSar, 0x8000, 31, f) == 0xFFFF);
  CHECK((f & kCF) != 0);
}

TEST_CASE("SHR OF is the sign before the last step (286 vectors)", "[semantics]") {
  uint32_t f = kBase;
  shift<uint8_t>(ShiftOp::kShr, 0x80, 1, f);
  CHECK((f & kOF) != 0);
  f = kBase;
  shift<uint8_t>(ShiftOp::kShr, 0x80, 6, f);
  CHECK((f & kOF) == 0);
}

TEST_CASE("rotates through carry", "[semantics]") {
  uint32_t f = kBase | kCF;
  CHECK(shift<uint8_t>(ShiftOp::kRcl, 0x80, 1, f) == 0x01);
  CHECK((f & kCF) != 0);
  f = kBase;
  CHECK(shift<uint8_t>(ShiftOp::kRcr, 0x01, 1, f) == 0x00);
  CHECK((f & kCF) != 0);
  // A count of 9 on a byte rotates nothing; the 286 still recomputes OF.
  f = kBase | kCF | kOF;
  CHECK(shift<uint8_t>(ShiftOp::kRcl, 0xFE, 18, f) == 0xFE);
  CHECK((f & (kCF | kOF)) == kCF);
  f = kBase;
  CHECK(shift<uint32_t>(ShiftOp::kRol, 0x80000001u, 4, f) == 0x18u);
  CHECK(shift<uint16_t>(ShiftOp::kRor, 0x0001, 1, f) == 0x8000);
  CHECK((f & (kCF | kOF)) == (kCF | kOF));
}

TEST_CASE("shld and shrd", "[semantics]") {
  uint32_t f = kBase;
  CHECK(shift_double<uint32_t>(true, 0x12345678u, 0x9ABCDEF0u, 8, f) == 0x3456789Au);
  CHECK(shift_double<uint32_t>(false, 0x12345678u, 0x9ABCDEF0u, 8, f) == 0xF0123456u);
  CHECK(shift_double<uint16_t>(true, 0x1234, 0xABCD, 4, f) == 0x234A);
  CHECK((f & kCF) != 0);  // last bit out of 0x1234 << 4 is bit 12 = 1
  CHECK(shift_double<uint16_t>(false, 0x1234, 0xABCD, 16, f) == 0xABCD);
}

TEST_CASE("mul, imul, div, idiv", "[semantics]") {
  uint32_t f = kBase;
  auto m = mul<uint8_t>(0x80, 2, f);
  CHECK(m.low == 0);
  CHECK(m.high == 1);
  CHECK((f & (kCF | kOF)) == (kCF | kOF));
  auto im = imul<uint16_t>(0xFFFF, 0xFFFF, f);  // -1 * -1 = 1 fits
  CHECK(im.low == 1);
  CHECK(im.high == 0);
  CHECK((f & (kCF | kOF)) == 0);
  uint8_t q, r;
  CHECK(div<uint8_t>(0x01, 0x00, 2, q, r));  // 256 / 2 = 128
  CHECK(q == 0x80);
  CHECK_FALSE(div<uint8_t>(0x02, 0x00, 2, q, r));  // 512 / 2 overflows
  CHECK_FALSE(div<uint8_t>(0, 5, 0, q, r));        // by zero
  CHECK(idiv<uint8_t>(0xFF, 0x80, 1, q, r));       // -128 / 1 = -128 fits
  CHECK(q == 0x80);
  CHECK_FALSE(idiv<uint8_t>(0x00, 0x80, 1, q, r));  // +128 does not
  uint32_t q32, r32;
  CHECK(idiv<uint32_t>(0xFFFFFFFFu, 0xFFFFFFF9u, 2, q32, r32));  // -7 / 2
  CHECK(q32 == 0xFFFFFFFDu);
  CHECK(r32 == 0xFFFFFFFFu);
  CHECK_FALSE(idiv<uint32_t>(0x80000000u, 0, 0xFFFFFFFFu, q32, r32));
}

TEST_CASE("decimal adjust", "[semantics]") {
  uint32_t f = kBase;
  CHECK(daa(0x9A, f) == 0x00);  // 0x9A + 0x66
  CHECK((f & (kCF | kAF | kZF)) == (kCF | kAF | kZF));
  f = kBase;
  CHECK(das(0x0F, f) == 0x09);
  CHECK((f & kAF) != 0);
  f = kBase;
  CHECK(aaa(0x00FA, f) == 0x0200);  // AX + 0x106, AL & 0F: carry reaches AH
  CHECK((f & (kCF | kAF)) == (kCF | kAF));
  f = kBase;
  CHECK(aas(0x0100 | 0x0F, f) == 0x0009);
  uint16_t ax = 0;
  CHECK(aam(0x0063, 10, ax, f));
  CHECK(ax == 0x0909);
  CHECK_FALSE(aam(0x0063, 0, ax, f));
  CHECK(aad(0x0909, 10, f) == 0x63);
}

TEST_CASE("bit tests and scans", "[semantics]") {
  uint32_t f = kBase;
  CHECK(bit_op<uint16_t>(BitOp::kSet, 0, 17, f) == 0x0002);  // offset modulo 16
  CHECK((f & kCF) == 0);
  CHECK(bit_op<uint32_t>(BitOp::kComplement, 0x80000000u, 31, f) == 0);
  CHECK((f & kCF) != 0);
  uint32_t idx = 77;
  CHECK_FALSE(bit_scan<uint32_t>(false, 0, idx, f));
  CHECK(idx == 77);
  CHECK((f & kZF) != 0);
  CHECK(bit_scan<uint32_t>(true, 0x00F0, idx, f));
  CHECK(idx == 7);
  CHECK(bswap(0x11223344u) == 0x44332211u);
}

TEST_CASE("IDIV r/m8 on the 286/386 completes an overflowing division when AX^4000h gives -128") {
  uint8_t q = 0, r = 0;
  // The two hardware cases of SingleStepTests 80286 F6.7 (indexes 952, 2653).
  REQUIRE(idiv8_286(0x81, 0xC1, 0x7C, q, r));
  CHECK(q == 0x80);
  CHECK(r == 0xC1);
  REQUIRE(idiv8_286(0xB0, 0xE3, 0x1E, q, r));
  CHECK(q == 0x80);
  CHECK(r == 0xE3);
  // Ordinary overflow still raises #DE (hardware: F6.7 index with AX=16FA, 0D5h).
  CHECK_FALSE(idiv8_286(0x16, 0xFA, 0xD5, q, r));
  CHECK_FALSE(idiv8_286(0x12, 0x34, 0x00, q, r));
  // In-range divisions are plain IDIV; later CPUs raise #DE for the quirk cases.
  REQUIRE(idiv8_286(0xFF, 0x9C, 0x0A, q, r));  // -100 / 10
  CHECK(q == 0xF6);
  CHECK(r == 0x00);
  CHECK_FALSE(idiv<uint8_t>(0x81, 0xC1, 0x7C, q, r));
}
