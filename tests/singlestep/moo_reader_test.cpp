// Tests of the MOO reader and the suite metadata on synthetic streams built
// here (gzip'd in memory with zlib), including truncated and corrupt input.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "tests/singlestep/moo_reader.h"
#include "tests/singlestep/suite_metadata.h"

namespace ss = tx86::singlestep;

namespace {

using Bytes = std::vector<uint8_t>;

void put32(Bytes& b, uint32_t v) {
  size_t at = b.size();
  b.resize(at + 4);
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
Bytes chunk(const char* id, const Bytes& payload) {
  Bytes b(id, id + 4);
  put32(b, static_cast<uint32_t>(payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes counted(const Bytes& data) {
  Bytes b(4 + data.size());
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(data.size() >> (8 * i));
  for (size_t i = 0; i < data.size(); ++i) b[4 + i] = data[i];
  return b;
}
Bytes regs16(uint16_t mask, std::initializer_list<uint16_t> values) {
  Bytes b;
  put16(b, mask);
  for (uint16_t v : values) put16(b, v);
  return chunk("REGS", b);
}
Bytes ram(std::initializer_list<std::pair<uint32_t, uint8_t>> entries) {
  Bytes b;
  put32(b, static_cast<uint32_t>(entries.size()));
  for (auto [a, v] : entries) {
    put32(b, a);
    b.push_back(v);
  }
  return chunk("RAM ", b);
}

// One 286-style test: `inc ax` at 1000:0100 (physical 0x10100).
Bytes test_chunk(uint32_t index, bool with_excp) {
  Bytes init = cat({regs16(0x3FFF, {1, 2, 3, 4, 0x1000, 0x2000, 0x3000, 0x4000, 0x100, 6, 7, 8, 0x100, 0xF002}),
                    ram({{0x10100, 0x40}, {0x10101, 0xF4}})});
  Bytes fina = cat({regs16((1 << 0) | (1 << 12) | (1 << 13), {2, 0x102, 0x0002}), ram({{0x20100, 0x99}})});
  Bytes body;
  put32(body, index);
  body = cat({body, chunk("GMET", Bytes(10, 0)), chunk("NAME", counted(Bytes{'i', 'n', 'c', ' ', 'a', 'x'})),
              chunk("BYTS", counted(Bytes{0x40, 0xF4})), chunk("INIT", init), chunk("FINA", fina),
              chunk("CYCL", cat({Bytes{1, 0, 0, 0}, Bytes(15, 0)})), chunk("ZZZZ", Bytes{1, 2, 3})});
  if (with_excp) {
    Bytes e{0x06};
    put32(e, 0x201FE);
    body = cat({body, chunk("EXCP", e)});
  }
  Bytes hash(20);
  for (int i = 0; i < 20; ++i) hash[i] = static_cast<uint8_t>(0xA0 + i);
  body = cat({body, chunk("HASH", hash)});
  return chunk("TEST", body);
}

Bytes moo_stream(uint32_t announced, unsigned tests) {
  Bytes hdr{1, 0, 0, 0};
  put32(hdr, announced);
  hdr.insert(hdr.end(), {'C', '2', '8', '6'});
  Bytes meta{1, 0, 6};
  put32(meta, 0x40);
  for (char c : std::string("inc     ")) meta.push_back(static_cast<uint8_t>(c));
  put32(meta, 12345);  // running counter upstream: ignored
  put32(meta, 0xDEADBEEF);
  put32(meta, 0);
  meta.insert(meta.end(), {0, 0, 0, 0});
  Bytes out = cat({chunk("MOO ", hdr), chunk("META", meta)});
  for (unsigned i = 0; i < tests; ++i) out = cat({out, test_chunk(10 * i + 7, i == 1)});
  return out;
}

Bytes gzip(const Bytes& in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

TEST_CASE("a synthetic MOO stream parses into its tests", "[singlestep]") {
  ss::MooFile f = ss::parse_moo(ss::gunzip(gzip(moo_stream(2, 2))));
  CHECK(f.major == 1);
  CHECK(f.cpu == "C286");
  CHECK(f.test_count == 2);
  REQUIRE(f.meta);
  CHECK(f.meta->mnemonic == "inc");
  CHECK(f.meta->opcode == 0x40);
  CHECK(f.meta->seed == 0xDEADBEEF);
  REQUIRE(f.tests.size() == 2);

  const ss::MooTest& t = f.tests[0];
  CHECK(t.index == 7);
  CHECK(t.name == "inc ax");
  CHECK(t.bytes == Bytes{0x40, 0xF4});
  REQUIRE(t.init.regs);
  CHECK(t.init.regs->present == 0x3FFF);
  CHECK(t.init.regs->value[ss::kMooCs] == 0x1000);
  CHECK(t.init.regs->value[ss::kMooFlags] == 0xF002);
  REQUIRE(t.fina.regs);
  CHECK(t.fina.regs->has(ss::kMooAx));
  CHECK_FALSE(t.fina.regs->has(ss::kMooBx));
  CHECK(t.fina.regs->value[ss::kMooIp] == 0x102);
  REQUIRE(t.init.ram.size() == 2);
  CHECK(t.init.ram[1].address == 0x10101);
  CHECK(t.init.ram[1].value == 0xF4);
  CHECK(t.fina.ram.at(0).value == 0x99);
  CHECK(t.cycle_count == 1);
  CHECK_FALSE(t.exception);
  CHECK(t.hash_hex() == "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");

  REQUIRE(f.tests[1].exception);
  CHECK(f.tests[1].exception->vector == 6);
  CHECK(f.tests[1].exception->flags_address == 0x201FE);
  CHECK(f.tests[1].index == 17);
}

TEST_CASE("concatenated gzip members form one stream", "[singlestep]") {
  Bytes s = moo_stream(2, 2);
  Bytes a(s.begin(), s.begin() + 50), b(s.begin() + 50, s.end());
  Bytes two = cat({gzip(a), gzip(b)});
  CHECK(ss::parse_moo(ss::gunzip(two)).tests.size() == 2);
}

TEST_CASE("every truncation of the gzip file is a clean MooError", "[singlestep]") {
  Bytes gz = gzip(moo_stream(3, 3));
  for (size_t n = 0; n < gz.size(); ++n) {
    Bytes cut(gz.begin(), gz.begin() + n);
    CHECK_THROWS_AS(ss::parse_moo(ss::gunzip(cut)), ss::MooError);
  }
}

TEST_CASE("every truncation of the MOO stream is a clean MooError", "[singlestep]") {
  Bytes s = moo_stream(3, 3);
  for (size_t n = 0; n < s.size(); ++n) {
    Bytes cut(s.begin(), s.begin() + n);
    CHECK_THROWS_AS(ss::parse_moo(cut), ss::MooError);
  }
}

TEST_CASE("corrupt bytes never crash the reader", "[singlestep]") {
  Bytes s = moo_stream(3, 3);
  // Flip every byte in turn: the parse either succeeds (payload bytes) or
  // throws MooError; any other exception fails the test, and a memory error
  // fails it under the sanitizers. Both outcomes are counted, so the test
  // also fails if a corruption stops being examined.
  size_t parsed = 0, refused = 0, tried = 0;
  for (size_t i = 0; i < s.size(); ++i, ++tried) {
    Bytes bad = s;
    bad[i] ^= 0xFF;
    try {
      ss::parse_moo(bad);
      ++parsed;
    } catch (const ss::MooError&) {
      ++refused;
    }
  }
  Bytes gz = gzip(s);
  for (size_t i = 0; i < gz.size(); i += 3, ++tried) {
    Bytes bad = gz;
    bad[i] ^= 0x5A;
    try {
      ss::parse_moo(ss::gunzip(bad));
      ++parsed;
    } catch (const ss::MooError&) {
      ++refused;
    }
  }
  CHECK(parsed + refused == tried);
  CHECK(refused > 0);  // corrupting chunk headers must be detected
}

TEST_CASE("specific corruptions are reported with their chunk and offset", "[singlestep]") {
  SECTION("a test count the stream does not hold") {
    try {
      ss::parse_moo(moo_stream(5, 2));
      FAIL("no error");
    } catch (const ss::MooError& e) {
      CHECK(std::string(e.what()).find("announces 5 tests") != std::string::npos);
    }
  }
  SECTION("a chunk longer than its parent") {
    Bytes s = moo_stream(1, 1);
    // The TEST chunk's length field follows the MOO (20) and META (39) chunks.
    size_t len_at = 20 + 39 + 4;
    REQUIRE(std::memcmp(&s[len_at - 4], "TEST", 4) == 0);
    s[len_at + 2] = 0x7F;
    try {
      ss::parse_moo(s);
      FAIL("no error");
    } catch (const ss::MooError& e) {
      CHECK(std::string(e.what()).find("'TEST'") != std::string::npos);
      CHECK(e.offset() == 59);
    }
  }
  SECTION("not a MOO stream") {
    CHECK_THROWS_AS(ss::parse_moo(Bytes{'N', 'O', 'P', 'E', 0, 0, 0, 0}), ss::MooError);
    CHECK_THROWS_AS(ss::gunzip(Bytes{'M', 'O', 'O', ' '}), ss::MooError);
    CHECK_THROWS_AS(ss::gunzip(Bytes{}), ss::MooError);
  }
  SECTION("trailing garbage after the gzip data") {
    Bytes gz = gzip(moo_stream(1, 1));
    gz.push_back(0x42);
    CHECK_THROWS_AS(ss::gunzip(gz), ss::MooError);
  }
  SECTION("a decompression bomb is cut off") {
    Bytes big(1 << 20, 0);
    CHECK_THROWS_AS(ss::gunzip(gzip(big), 4096), ss::MooError);
  }
}

TEST_CASE("a register chunk whose mask and length disagree is rejected", "[singlestep]") {
  Bytes s = moo_stream(1, 1);
  // Find the INIT REGS mask (0x3FFF) and add a bit beyond the 14 registers.
  for (size_t i = 0; i + 6 < s.size(); ++i) {
    if (std::memcmp(&s[i], "REGS", 4) == 0 && s[i + 8] == 0xFF && s[i + 9] == 0x3F) {
      s[i + 9] = 0x7F;
      break;
    }
  }
  CHECK_THROWS_AS(ss::parse_moo(s), ss::MooError);
}

TEST_CASE("peek_moo_test_count reads only the header", "[singlestep]") {
  Bytes s = moo_stream(42, 1);
  CHECK(ss::peek_moo_test_count(s) == 42u);
  CHECK_FALSE(ss::peek_moo_test_count(Bytes(s.begin(), s.begin() + 10)));
}

TEST_CASE("flag masks come from metadata.json and 80386.csv", "[singlestep]") {
  ss::SuiteMetadata md;
  md.add_metadata_json(R"({"opcodes": {
      "D4": {"status": "normal", "flags": "o....a.c", "flags-mask": 63470},
      "F6": {"reg": {"0": {"status": "normal"}, "6": {"flags-mask": 63274}}},
      "40": {"status": "normal"}}})",
                       "metadata.json");
  CHECK(md.flags_mask("D4") == 63470u);
  CHECK(md.flags_mask("d4") == 63470u);
  CHECK(md.flags_mask("F6.6") == 63274u);
  CHECK_FALSE(md.flags_mask("F6.0"));
  CHECK_FALSE(md.flags_mask("40"));
  CHECK_THROWS(md.add_metadata_json("{not json", "bad.json"));
  CHECK_THROWS(md.add_metadata_json(R"({"opcodes": {"00": {"flags-mask": "x"}}})", "bad.json"));

  ss::SuiteMetadata m386;
  m386.add_80386_csv("op,re,g,ex,mnemonic,f_umask,desc\n"
                     "C1,,2,4,SHL,0xF7EF,\"shift, left\"\n"
                     "0FBC,,,,BSF,F72B,bit scan\n"
                     "0FBC,,,,BSF,FFFE,second row\n",
                     "80386.csv");
  CHECK(m386.flags_mask("C1.4") == 0xF7EFu);
  CHECK(m386.flags_mask("6766C1.4") == 0xF7EFu);
  CHECK(m386.flags_mask("660FBC") == (0xF72Bu & 0xFFFEu));
  CHECK_THROWS(m386.add_80386_csv("op,f_umask\nC1,zz\n", "bad.csv"));
  CHECK_THROWS(m386.add_80386_csv("a,b\n", "bad.csv"));

  md.add_revocation_list("# comment\n\nA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3\n");
  CHECK(md.revoked("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"));
  CHECK(md.revoked_count() == 1);
}

TEST_CASE("the shipped 80286 files parse (if present)", "[singlestep]") {
  const char* path = TX86_SINGLESTEP_SAMPLE;
  Bytes gz;
  try {
    gz = ss::read_file_bytes(path);
  } catch (const ss::MooError&) {
    WARN("no sample file at " << path << ": skipped");
    return;
  }
  ss::MooFile f = ss::parse_moo(ss::gunzip(gz));
  CHECK(f.cpu == "C286");
  CHECK(f.tests.size() == f.test_count);
  CHECK(f.tests.size() > 100);
  for (const ss::MooTest& t : f.tests) {
    REQUIRE(t.init.regs);
    CHECK(t.init.regs->present == 0x3FFF);
    CHECK_FALSE(t.bytes.empty());
    CHECK(t.bytes.back() == 0xF4);
    CHECK(t.hash);
  }
}
