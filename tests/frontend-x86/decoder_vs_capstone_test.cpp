// Decoder vs Capstone 4 on random byte strings, in 16- and 32-bit mode
// (DESIGN.md, "Tests that the design needs").
//
// TX86_DECODER_TEST_CASES  cases per mode (meson option decoder_test_cases)
// TX86_DECODER_TEST_SEED   seed (printed; random when unset)
// TX86_CAPSTONE_ERRATA     path of capstone_errata.txt
//
// The strings are biased toward valid instructions: a few random prefixes,
// then a random opcode byte (one in five in the 0F map), then random bytes.
// Both sides saying "invalid" is agreement. Every disagreement must fall into
// an erratum class listed in capstone_errata.txt; any other fails the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/frontend-x86/capstone_oracle.h"

namespace tx86::x86::test {
namespace {

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

struct ErratumEntry {
  std::string id;
  CodeSize mode;
  std::vector<uint8_t> example;
  std::string reference;
};

// Lines: "id | 16 or 32 | example hex | SDM reference"; '#' starts a comment.
std::vector<ErratumEntry> load_errata() {
  const char* path = std::getenv("TX86_CAPSTONE_ERRATA");
  REQUIRE(path != nullptr);
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<ErratumEntry> out;
  std::string line;
  auto trim = [](std::string s) {
    const size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string part; std::getline(ss, part, '|');) f.push_back(trim(part));
    INFO("errata line: " << line);
    REQUIRE(f.size() == 4);
    ErratumEntry e{f[0], f[1] == "16" ? CodeSize::k16 : CodeSize::k32, {}, f[3]};
    REQUIRE((f[1] == "16" || f[1] == "32"));
    REQUIRE(f[2].size() % 2 == 0);
    for (size_t i = 0; i < f[2].size(); i += 2)
      e.example.push_back(static_cast<uint8_t>(std::stoul(f[2].substr(i, 2), nullptr, 16)));
    REQUIRE(!e.reference.empty());
    out.push_back(std::move(e));
  }
  return out;
}

void random_case(std::mt19937_64& rng, uint8_t* b) {
  static constexpr uint8_t kPrefixes[] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3};
  uint64_t r = rng();
  const unsigned roll = r % 100;
  r >>= 8;
  size_t n = roll < 50 ? 0 : roll < 80 ? 1 : roll < 94 ? 2 : roll < 99 ? 3 : 4 + (r % 12);
  r >>= 8;
  size_t pos = 0;
  for (; pos < n && pos < kMaxInsnLength; ++pos) b[pos] = kPrefixes[rng() % sizeof kPrefixes];
  if (pos < kMaxInsnLength && (r % 5) == 0) b[pos++] = 0x0F;
  for (; pos < kMaxInsnLength; pos += 8) {
    uint64_t x = rng();
    for (size_t k = 0; k < 8 && pos + k < kMaxInsnLength; ++k) b[pos + k] = static_cast<uint8_t>(x >> (8 * k));
  }
}

void run_mode(CodeSize mode) {
  const char* mode_name = mode == CodeSize::k16 ? "16-bit" : "32-bit";
  const uint64_t cases = env_u64("TX86_DECODER_TEST_CASES", 1000000);
  const uint64_t seed = env_u64("TX86_DECODER_TEST_SEED", std::random_device{}() * 0x100000001ull);
  std::printf("decoder vs Capstone, %s: %llu cases, seed %llu (TX86_DECODER_TEST_SEED)\n", mode_name,
              static_cast<unsigned long long>(cases), static_cast<unsigned long long>(seed));
  const std::vector<ErratumEntry> errata = load_errata();
  std::set<std::string> listed;
  for (const auto& e : errata) listed.insert(e.id);

  CapstoneOracle oracle(mode);
  std::mt19937_64 rng(seed);
  uint8_t bytes[kMaxInsnLength];
  uint64_t agree = 0, valid_agree = 0, unexplained = 0;
  std::map<std::string, uint64_t> hits;
  std::map<std::string, uint64_t> unlisted;
  std::vector<std::string> samples;
  for (uint64_t i = 0; i < cases; ++i) {
    random_case(rng, bytes);
    const Comparison c = oracle.compare(bytes);
    if (c.agree) {
      ++agree;
      if (c.our_length) ++valid_agree;
      continue;
    }
    const std::string line = hex_string(bytes, kMaxInsnLength) + "  tx86: " + c.ours + " (" +
                             std::to_string(c.our_length) + ")  capstone: " + c.theirs + " (" +
                             std::to_string(c.their_length) + ")";
    std::vector<std::string> parts;
    for (size_t p = 0; !c.erratum.empty() && p <= c.erratum.size();) {
      const size_t e = std::min(c.erratum.find('+', p), c.erratum.size());
      parts.push_back(c.erratum.substr(p, e - p));
      p = e + 1;
    }
    bool all_listed = !parts.empty();
    for (const auto& part : parts) all_listed = all_listed && listed.count(part) > 0;
    if (all_listed) {
      for (const auto& part : parts) ++hits[part];
      continue;
    }
    if (!c.erratum.empty()) {
      if (unlisted[c.erratum]++ == 0) samples.push_back("[class " + c.erratum + " unlisted] " + line);
    } else if (samples.size() < 60) {
      samples.push_back(line);
    }
    ++unexplained;
  }
  std::printf("  %llu agreements (%llu valid instructions), %llu errata hits, %llu unexplained\n",
              static_cast<unsigned long long>(agree), static_cast<unsigned long long>(valid_agree),
              static_cast<unsigned long long>(cases - agree - unexplained),
              static_cast<unsigned long long>(unexplained));
  for (const auto& [id, n] : hits) std::printf("  erratum %-28s %llu\n", id.c_str(), static_cast<unsigned long long>(n));
  for (const auto& [id, n] : unlisted)
    std::printf("  class %s is not listed in capstone_errata.txt (%llu)\n", id.c_str(),
                static_cast<unsigned long long>(n));
  for (const auto& s : samples) std::printf("  DISAGREE %s\n", s.c_str());
  CHECK(agree + unexplained <= cases);
  CHECK(unexplained == 0);
  // Most cases must be valid instructions, or the bias is not doing its job.
  CHECK(valid_agree * 2 > cases);
}

}  // namespace

TEST_CASE("every listed Capstone erratum class is reproduced by its example", "[decoder][capstone]") {
  for (const auto& e : load_errata()) {
    std::vector<uint8_t> b = e.example;
    b.resize(kMaxInsnLength, 0);
    CapstoneOracle oracle(e.mode);
    const Comparison c = oracle.compare(b.data());
    INFO("class " << e.id << " example " << hex_string(e.example.data(), e.example.size()) << ": tx86 "
                  << c.ours << ", capstone " << c.theirs);
    CHECK_FALSE(c.agree);
    CHECK(c.erratum == e.id);
  }
}

TEST_CASE("decoder agrees with Capstone on random 16-bit code", "[decoder][capstone]") { run_mode(CodeSize::k16); }

TEST_CASE("decoder agrees with Capstone on random 32-bit code", "[decoder][capstone]") { run_mode(CodeSize::k32); }

}  // namespace tx86::x86::test
