// The oracle's tx86 side and comparison on hand-made sequences: the flat
// protected-mode setup runs code to the HLT, and differences() reports what
// it must (registers, defined flags, DF, memory) and nothing it must not
// (flags the sequence left undefined).
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/host_oracle/report.h"
#include "tests/host_oracle/tx86_runner.h"

using namespace tx86::oracle;

namespace {

Sequence hand_made(std::vector<uint8_t> code, uint32_t undefined = 0) {
  Sequence s;
  s.code = std::move(code);
  s.gpr = {1, 2, 3, 4, kStackTop, 6, 7, 8};
  s.eflags = 0x202;
  s.undefined_flags = undefined;
  for (size_t i = 0; i < s.data.size(); ++i) s.data[i] = static_cast<uint8_t>(i);
  return s;
}

OracleOutput native_from(const Tx86Result& r) {
  OracleOutput o{};
  for (int i = 0; i < 8; ++i) o.gpr[i] = r.gpr[i];
  o.eflags = r.eflags;
  std::copy(r.data.begin(), r.data.end(), o.data);
  return o;
}

}  // namespace

TEST_CASE("oracle runs a sequence to its HLT in flat 32-bit mode", "[host_oracle]") {
  Tx86Runner runner;
  // mov eax, 0x12345678; add eax, [0x0020FE00]; mov [0x0020FE04], eax
  Sequence s = hand_made({0xB8, 0x78, 0x56, 0x34, 0x12, 0x03, 0x05, 0x00, 0xFE, 0x20, 0x00,
                          0xA3, 0x04, 0xFE, 0x20, 0x00});
  for (DriveMode mode : {DriveMode::kRun, DriveMode::kStep}) {
    const Tx86Result r = runner.run(s, mode);
    INFO(r.problem);
    REQUIRE(r.problem.empty());
    const uint32_t expected = 0x12345678u + 0x03020100u;
    CHECK(r.gpr[0] == expected);
    CHECK(r.data[4] == (expected & 0xFF));
    CHECK(r.eip == kCodeAddr + s.code.size() + 1);
    CHECK(differences(s, native_from(r), r).empty());
  }
}

TEST_CASE("oracle comparison masks undefined flags only", "[host_oracle]") {
  Tx86Runner runner;
  Sequence s = hand_made({0x90}, kFlagAf | kFlagOf);
  const Tx86Result r = runner.run(s, DriveMode::kRun);
  REQUIRE(r.problem.empty());
  OracleOutput n = native_from(r);
  CHECK(differences(s, n, r).empty());
  n.eflags ^= kFlagAf | kFlagOf;  // undefined: ignored
  CHECK(differences(s, n, r).empty());
  n.eflags ^= kFlagDf;  // DF is always compared
  CHECK(differences(s, n, r).size() == 1);
  n.eflags ^= kFlagDf | kFlagCf;
  CHECK(differences(s, n, r).size() == 1);
  n = native_from(r);
  n.gpr[3] ^= 1;
  n.data[kDataBytes - 1] ^= 0x80;
  CHECK(differences(s, n, r).size() == 2);
  n = native_from(r);
  n.signal = 11;
  CHECK(differences(s, n, r).size() == 1);
}

TEST_CASE("oracle reports a sequence that faults in tx86", "[host_oracle]") {
  Tx86Runner runner;
  Sequence s = hand_made({0x31, 0xC9, 0xF7, 0xF1});  // xor ecx, ecx; div ecx -> #DE
  for (DriveMode mode : {DriveMode::kRun, DriveMode::kStep}) {
    const Tx86Result r = runner.run(s, mode);
    CHECK_FALSE(r.problem.empty());
  }
}

TEST_CASE("oracle locates the first divergence of two traces", "[host_oracle]") {
  Sequence s = hand_made({0x40, 0x41, 0x42});  // inc eax; inc ecx; inc edx
  s.insns = {{0, 1, "inc", 0}, {1, 1, "inc", kFlagAf}, {2, 1, "inc", 0}};
  std::vector<OracleStep> native(4);
  for (uint32_t j = 0; j < 4; ++j) native[j].eip = kCodeAddr + j;
  std::vector<OracleStep> tx86 = native;
  CHECK(first_divergence(s, native, tx86).empty());
  tx86[2].eflags ^= kFlagAf;  // undefined after the second inc: ignored
  CHECK(first_divergence(s, native, tx86).empty());
  tx86[2].gpr[1] = 5;
  const std::string where = first_divergence(s, native, tx86);
  CHECK(where.find("00200fc1") != std::string::npos);
  tx86 = native;
  tx86.pop_back();
  CHECK(first_divergence(s, native, tx86).find("tx86 stops") != std::string::npos);
  // REP iterations (repeated EIPs) collapse.
  native.insert(native.begin() + 2, native[1]);
  CHECK(first_divergence(s, native, native).empty());
}
