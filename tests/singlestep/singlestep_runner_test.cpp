// Tests of the single-step runner itself, on hand-made 286 tests whose
// results are known: that it passes what matches, fails what does not, and
// applies exactly the masks the SingleStepTests README prescribes.
#include <catch2/catch.hpp>
#include <algorithm>
#include <initializer_list>

#include "tests/singlestep/singlestep_runner.h"

namespace ss = tx86::singlestep;

namespace {

constexpr uint16_t kCs = 0x1000, kIp = 0x0100;  // code at physical 0x10100
constexpr uint32_t kCode = (uint32_t{kCs} << 4) + kIp;

// A test of `code` (followed by nothing: the caller includes the F4) with
// DS = 0x2000, SS = 0x4000, SP = 0x0100 and AX = 0x1122, BX = 0x0200.
ss::MooTest make_test(std::initializer_list<uint8_t> code) {
  ss::MooTest t;
  t.name = "synthetic";
  t.bytes = code;
  ss::MooRegs16 r;
  r.present = 0x3FFF;
  r.value = {0x1122, 0x0200, 0, 0, kCs, 0x4000, 0x2000, 0x3000, 0x0100, 0, 0, 0, kIp, 0x0002};
  t.init.regs = r;
  uint32_t a = kCode;
  for (uint8_t b : t.bytes) t.init.ram.push_back({a++, b});
  t.fina.regs = ss::MooRegs16{};
  return t;
}

void expect_reg(ss::MooTest& t, unsigned reg, uint16_t value) {
  t.fina.regs->present |= 1u << reg;
  t.fina.regs->value[reg] = value;
}

bool has_reason(const ss::TestOutcome& o, const std::string& r) {
  return std::find(o.reasons.begin(), o.reasons.end(), r) != o.reasons.end();
}

}  // namespace

TEST_CASE("runner: a matching test passes and a wrong expectation fails", "[singlestep]") {
  ss::FileRunner runner(tx86::x86::CpuModel::k286);
  ss::FileContext ctx;
  ss::MooTest nop = make_test({0x90, 0xF4});
  expect_reg(nop, ss::kMooIp, kIp + 2);  // past the HLT
  ss::TestOutcome ok = runner.run(nop, ctx, true);
  INFO(ok.detail);
  CHECK(ok.passed);

  ss::MooTest wrong = nop;
  expect_reg(wrong, ss::kMooAx, 0x1123);
  ss::TestOutcome bad = runner.run(wrong, ctx, true);
  CHECK_FALSE(bad.passed);
  CHECK(has_reason(bad, "ax"));
  CHECK(bad.detail.find("ax: expected 0x1123, got 0x1122") != std::string::npos);
}

TEST_CASE("runner: FLAGS are loaded as flags & 0FFF and compared under the mask", "[singlestep]") {
  ss::FileRunner runner(tx86::x86::CpuModel::k286);
  ss::MooTest stc = make_test({0xF9, 0xF4});
  stc.init.regs->value[ss::kMooFlags] = 0xF002;  // LOADALL image: bits 12-15 set
  expect_reg(stc, ss::kMooIp, kIp + 2);
  expect_reg(stc, ss::kMooFlags, 0x0003);
  ss::FileContext ctx;
  CHECK(runner.run(stc, ctx, false).passed);

  // The hardware's AF differs: a failure unless AF is masked as undefined.
  expect_reg(stc, ss::kMooFlags, 0x0013);
  ss::TestOutcome o = runner.run(stc, ctx, true);
  CHECK_FALSE(o.passed);
  CHECK(has_reason(o, "flags"));
  CHECK(o.detail.find("differ: A") != std::string::npos);
  ctx.flags_mask = 0xFFEF;  // metadata.json "flags": ".....a.."
  CHECK(runner.run(stc, ctx, false).passed);
}

TEST_CASE("runner: memory results, unchanged INIT bytes and isolation", "[singlestep]") {
  ss::FileRunner runner(tx86::x86::CpuModel::k286);
  ss::FileContext ctx;
  constexpr uint32_t kTarget = 0x20200;  // DS:BX

  ss::MooTest store = make_test({0x88, 0x07, 0xF4});  // mov [bx], al
  expect_reg(store, ss::kMooIp, kIp + 3);
  store.fina.ram.push_back({kTarget, 0x22});
  CHECK(runner.run(store, ctx, false).passed);

  ss::MooTest wrong = store;
  wrong.fina.ram[0].value = 0x23;
  ss::TestOutcome o = runner.run(wrong, ctx, true);
  CHECK(has_reason(o, "mem"));
  CHECK(o.detail.find("mem[0x020200]: expected 0x23, got 0x22") != std::string::npos);

  // INIT lists the byte and FINA does not: the hardware left it unchanged.
  ss::MooTest claims_unchanged = make_test({0x88, 0x07, 0xF4});
  expect_reg(claims_unchanged, ss::kMooIp, kIp + 3);
  claims_unchanged.init.ram.push_back({kTarget, 0x11});
  CHECK(has_reason(runner.run(claims_unchanged, ctx, false), "mem-unchanged"));

  // What an earlier test wrote is gone: a load of the byte reads 0.
  CHECK(runner.run(store, ctx, false).passed);
  ss::MooTest load = make_test({0x8A, 0x07, 0xF4});  // mov al, [bx]
  expect_reg(load, ss::kMooIp, kIp + 3);
  expect_reg(load, ss::kMooAx, 0x1100);
  ss::TestOutcome lo = runner.run(load, ctx, true);
  INFO(lo.detail);
  CHECK(lo.passed);
}

TEST_CASE("runner: the FLAGS an interrupt pushes are compared under the mask", "[singlestep]") {
  ss::FileRunner runner(tx86::x86::CpuModel::k286);
  ss::MooTest int3 = make_test({0xCC, 0xF4});
  // IVT entry 3 -> 3000:0000, where a HLT waits.
  for (auto [a, v] : {std::pair<uint32_t, uint8_t>{0x0C, 0x00}, {0x0D, 0x00}, {0x0E, 0x00}, {0x0F, 0x30},
                      {0x30000, 0xF4}})
    int3.init.ram.push_back({a, v});
  expect_reg(int3, ss::kMooCs, 0x3000);
  expect_reg(int3, ss::kMooIp, 0x0001);
  expect_reg(int3, ss::kMooSp, 0x00FA);
  // Stack at 4000:00FA: IP 0101, CS 1000, FLAGS 0002 (hardware: AF set).
  for (auto [a, v] : {std::pair<uint32_t, uint8_t>{0x400FA, 0x01}, {0x400FB, 0x01}, {0x400FC, 0x00},
                      {0x400FD, 0x10}, {0x400FE, 0x12}, {0x400FF, 0x00}})
    int3.fina.ram.push_back({a, v});
  int3.exception = ss::MooException{3, 0x400FE};
  ss::FileContext ctx;
  ss::TestOutcome o = runner.run(int3, ctx, true);
  CHECK(has_reason(o, "mem"));
  CHECK(o.detail.find("pushed FLAGS byte") == std::string::npos);  // no mask: plain compare
  ctx.flags_mask = 0xFFEF;
  ss::TestOutcome masked = runner.run(int3, ctx, true);
  INFO(masked.detail);
  CHECK(masked.passed);
}

TEST_CASE("runner: with an odd SP the pushed FLAGS are one above EXCP's address", "[singlestep]") {
  // The 286 suite's flags_addr is the even bus address below the word.
  ss::FileRunner runner(tx86::x86::CpuModel::k286);
  ss::MooTest int3 = make_test({0xCC, 0xF4});
  int3.init.regs->value[ss::kMooSp] = 0x0101;
  for (auto [a, v] : {std::pair<uint32_t, uint8_t>{0x0C, 0x00}, {0x0D, 0x00}, {0x0E, 0x00}, {0x0F, 0x30},
                      {0x30000, 0xF4}})
    int3.init.ram.push_back({a, v});
  expect_reg(int3, ss::kMooCs, 0x3000);
  expect_reg(int3, ss::kMooIp, 0x0001);
  expect_reg(int3, ss::kMooSp, 0x00FB);
  // Frame at 4000:00FB: IP 0101, CS 1000, FLAGS 0012 (AF undefined here).
  for (auto [a, v] : {std::pair<uint32_t, uint8_t>{0x400FB, 0x01}, {0x400FC, 0x01}, {0x400FD, 0x00},
                      {0x400FE, 0x10}, {0x400FF, 0x12}, {0x40100, 0x00}})
    int3.fina.ram.push_back({a, v});
  int3.exception = ss::MooException{3, 0x400FE};
  ss::FileContext ctx;
  ctx.flags_mask = 0xFFEF;
  ss::TestOutcome o = runner.run(int3, ctx, true);
  INFO(o.detail);
  CHECK(o.passed);
  // The CS byte at 0x400FE is not masked.
  int3.fina.ram[3].value = 0x00;
  CHECK(has_reason(runner.run(int3, ctx, false), "mem"));
}

TEST_CASE("runner: a CPU that never reaches HLT is stopped", "[singlestep]") {
  ss::FileRunner runner(tx86::x86::CpuModel::k286);
  ss::MooTest loop = make_test({0xEB, 0xFE, 0xF4});  // jmp $
  expect_reg(loop, ss::kMooIp, kIp + 3);
  ss::TestOutcome o = runner.run(loop, ss::FileContext{}, true);
  CHECK_FALSE(o.passed);
  CHECK(has_reason(o, "no-halt"));
  CHECK(o.detail.find("trace: 1000:0100 jmp") != std::string::npos);
}

TEST_CASE("runner: flags_letters names set flags in upper case", "[singlestep]") {
  CHECK(ss::flags_letters(0x0002) == "oditszapc");
  CHECK(ss::flags_letters(0x08C1) == "OditSZapC");
}
