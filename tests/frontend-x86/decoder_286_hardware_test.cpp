// The decoder's 80286 model against a real 80286: every SingleStepTests
// 80286 real-mode vector (shared/testdata/singlestep, captured on a Harris
// N80C286-12) holds one instruction followed by HLT. Where the hardware raised
// #UD (vector 6) the decoder must say kInvalid; where the decoder finds the
// instruction longer than 10 bytes the hardware must have raised #GP (vector
// 13); everywhere else it must decode exactly the bytes before the HLT.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "frontend-x86/decoder.h"
#include "frontend-x86/format.h"
#include "tests/singlestep/moo_reader.h"

namespace tx86::x86 {

TEST_CASE("80286 decoder agrees with the hardware vectors on length and validity", "[decoder][286]") {
  const char* dir = std::getenv("TX86_SINGLESTEP_286_DIR");
  REQUIRE(dir != nullptr);
  if (!std::filesystem::is_directory(dir)) {
    WARN("no 80286 vectors at " << dir << ": skipped");
    return;
  }
  size_t files = 0, tests = 0, undefined = 0, too_long = 0, failures = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".gz") continue;
    const auto file = singlestep::parse_moo(singlestep::gunzip(singlestep::read_file_bytes(entry.path().string())));
    ++files;
    for (const auto& t : file.tests) {
      ++tests;
      REQUIRE(!t.bytes.empty());
      Insn insn;
      const DecodeStatus st = decode(t.bytes.data(), t.bytes.size(), DecodeOptions{CodeSize::k16, CpuModel::k286}, insn);
      // INT 6 reaches vector 6 without being undefined.
      const bool int6 = st == DecodeStatus::kOk && insn.mnemonic == Mnemonic::kInt && insn.ops[0].imm == 6;
      const bool hw_ud = t.exception && t.exception->vector == 6 && !int6;
      const bool hw_gp = t.exception && t.exception->vector == 13;
      undefined += hw_ud;
      too_long += st == DecodeStatus::kTooLong;
      bool ok;
      if (hw_ud)
        ok = st == DecodeStatus::kInvalid;
      else if (st == DecodeStatus::kTooLong)  // more than 10 bytes: #GP(0) on the 80286
        ok = hw_gp && t.bytes.size() - 1 > k286MaxInsnLength;
      else
        ok = st == DecodeStatus::kOk && insn.length + size_t{1} == t.bytes.size() && t.bytes.back() == 0xF4;
      if (!ok && ++failures <= 20) {
        std::string hex;
        char b[4];
        for (uint8_t x : t.bytes) std::snprintf(b, sizeof b, "%02x", x), hex += b;
        std::printf("  %s #%u \"%s\" %s: hardware %s, tx86 %s (length %u)\n", entry.path().filename().c_str(),
                    t.index, t.name.c_str(), hex.c_str(), hw_ud ? "#UD" : "ok",
                    st == DecodeStatus::kOk ? format_insn(insn, 0).c_str() : "invalid", insn.length);
      }
    }
  }
  std::printf("80286 hardware vectors: %zu files, %zu tests (%zu #UD, %zu too long), %zu decoder mismatches\n", files,
              tests, undefined, too_long, failures);
  CHECK(files > 300);
  CHECK(failures == 0);
}

}  // namespace tx86::x86
