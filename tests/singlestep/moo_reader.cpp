#include "tests/singlestep/moo_reader.h"

#include <zlib.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace tx86::singlestep {

namespace {

constexpr const char* kReg16Names[kMooReg16Count] = {"ax", "bx", "cx", "dx", "cs", "ss", "ds",
                                                      "es", "sp", "bp", "si", "di", "ip", "flags"};
constexpr const char* kReg32Names[kMooReg32Count] = {
    "cr0", "cr3", "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp",
    "cs",  "ds",  "es",  "fs",  "gs",  "ss",  "eip", "eflags", "dr6", "dr7"};

std::string id_text(const uint8_t* id) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    uint8_t c = id[i];
    if (c >= 0x20 && c < 0x7F) {
      s += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  return "'" + s + "'";
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// A bounds-checked view of [begin, end) of the stream; offsets are absolute
// so that errors can name them.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> data, uint64_t begin, uint64_t end, std::string where)
      : data_(data), pos_(begin), end_(end), where_(std::move(where)) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return end_ - pos_; }
  bool done() const { return pos_ >= end_; }

  void need(uint64_t n, const char* what) const {
    if (n > remaining())
      throw MooError(where_ + ": " + what + " needs " + std::to_string(n) + " bytes at offset " + hex(pos_) +
                         " but only " + std::to_string(remaining()) + " remain",
                     pos_);
  }
  uint8_t u8(const char* what) {
    need(1, what);
    return data_[pos_++];
  }
  uint16_t u16(const char* what) {
    need(2, what);
    uint16_t v = static_cast<uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  uint32_t u32(const char* what) {
    need(4, what);
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | data_[pos_ + i];
    pos_ += 4;
    return v;
  }
  uint64_t u64(const char* what) {
    uint64_t lo = u32(what);
    uint64_t hi = u32(what);
    return lo | (hi << 32);
  }
  const uint8_t* bytes(uint64_t n, const char* what) {
    need(n, what);
    const uint8_t* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }

  // The next chunk header: id and a payload cursor. Advances past the chunk.
  struct Chunk chunk();

  [[noreturn]] void fail(const std::string& msg) const { throw MooError(where_ + ": " + msg, pos_); }

 private:
  std::span<const uint8_t> data_;
  uint64_t pos_;
  uint64_t end_;
  std::string where_;
};

struct Chunk {
  std::array<uint8_t, 4> id;
  uint64_t offset;  // of the chunk header
  Cursor payload;
  bool is(const char* name) const { return std::memcmp(id.data(), name, 4) == 0; }
};

Chunk Cursor::chunk() {
  uint64_t at = pos_;
  need(8, "chunk header");
  std::array<uint8_t, 4> id;
  std::memcpy(id.data(), bytes(4, "chunk id"), 4);
  uint32_t len = u32("chunk length");
  if (len > remaining())
    throw MooError(where_ + ": chunk " + id_text(id.data()) + " at offset " + hex(at) + " has length " +
                       std::to_string(len) + " but only " + std::to_string(remaining()) +
                       " bytes remain in its parent (truncated or corrupt)",
                   at);
  Cursor payload(data_, pos_, pos_ + len, where_ + " > " + id_text(id.data()) + "@" + hex(at));
  pos_ += len;
  return Chunk{id, at, payload};
}

template <typename Regs, typename Read>
Regs read_regs(Cursor& c, uint32_t mask, unsigned count, Read read) {
  Regs r;
  if ((mask >> count) != 0)
    c.fail("register mask " + hex(mask) + " has bits beyond the " + std::to_string(count) + " registers");
  r.present = mask;
  unsigned n = static_cast<unsigned>(std::popcount(mask));
  c.need(uint64_t{n} * sizeof(typename decltype(r.value)::value_type), "register values");
  for (unsigned i = 0; i < count; ++i)
    if (mask & (1u << i)) r.value[i] = read(c);
  return r;
}

MooRegs16 read_regs16(Cursor c) {
  uint16_t mask = c.u16("REGS mask");
  return read_regs<MooRegs16>(c, mask, kMooReg16Count, [](Cursor& cc) { return cc.u16("register"); });
}

MooRegs32 read_regs32(Cursor c) {
  uint32_t mask = c.u32("RG32 mask");
  return read_regs<MooRegs32>(c, mask, kMooReg32Count, [](Cursor& cc) { return cc.u32("register"); });
}

// NAME and BYTS: u32 n + n bytes, inside the chunk.
std::vector<uint8_t> read_counted(Cursor c, const char* what) {
  uint32_t n = c.u32(what);
  const uint8_t* p = c.bytes(n, what);
  return std::vector<uint8_t>(p, p + n);
}

MooState read_state(Cursor c) {
  MooState st;
  while (!c.done()) {
    auto ch = c.chunk();
    Cursor& p = ch.payload;
    if (ch.is("REGS")) {
      st.regs = read_regs16(p);
    } else if (ch.is("RMSK")) {
      st.masks = read_regs16(p);
    } else if (ch.is("RG32")) {
      st.regs32 = read_regs32(p);
    } else if (ch.is("RM32")) {
      st.masks32 = read_regs32(p);
    } else if (ch.is("RAM ")) {
      uint32_t n = p.u32("RAM count");
      p.need(uint64_t{n} * 5, "RAM entries");
      st.ram.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        MooRamEntry e;
        e.address = p.u32("RAM address");
        e.value = p.u8("RAM value");
        st.ram.push_back(e);
      }
    } else if (ch.is("QUEU")) {
      st.queue = read_counted(p, "QUEU");
    } else if (ch.is("EA32")) {
      MooEffectiveAddress ea;
      ea.segment = p.u8("EA32 segment");
      ea.selector = p.u16("EA32 selector");
      ea.base = p.u32("EA32 base");
      ea.limit = p.u32("EA32 limit");
      ea.offset = p.u32("EA32 offset");
      ea.linear = p.u32("EA32 linear");
      ea.physical = p.u32("EA32 physical");
      st.ea = ea;
    }
  }
  return st;
}

MooTest read_test(Chunk& ch) {
  MooTest t;
  Cursor& c = ch.payload;
  t.offset = ch.offset;
  t.index = c.u32("TEST index");
  bool has_init = false, has_fina = false, has_bytes = false;
  while (!c.done()) {
    auto sub = c.chunk();
    Cursor& p = sub.payload;
    if (sub.is("NAME")) {
      auto b = read_counted(p, "NAME");
      t.name.assign(b.begin(), b.end());
    } else if (sub.is("BYTS")) {
      t.bytes = read_counted(p, "BYTS");
      has_bytes = true;
    } else if (sub.is("INIT")) {
      t.init = read_state(p);
      has_init = true;
    } else if (sub.is("FINA")) {
      t.fina = read_state(p);
      has_fina = true;
    } else if (sub.is("CYCL")) {
      t.cycle_count = p.u32("CYCL count");
      p.need(uint64_t{t.cycle_count} * 15, "CYCL records");
    } else if (sub.is("EXCP")) {
      MooException e;
      e.vector = p.u8("EXCP vector");
      e.flags_address = p.u32("EXCP flags address");
      t.exception = e;
    } else if (sub.is("HASH")) {
      std::array<uint8_t, 20> h;
      std::memcpy(h.data(), p.bytes(20, "HASH"), 20);
      t.hash = h;
    }
  }
  std::string where = "TEST index " + std::to_string(t.index) + " at offset " + hex(ch.offset);
  if (!has_init || !has_fina) throw MooError(where + ": missing INIT or FINA chunk", ch.offset);
  if (!has_bytes) throw MooError(where + ": missing BYTS chunk", ch.offset);
  bool full16 = t.init.regs && t.init.regs->present == (1u << kMooReg16Count) - 1;
  bool has32 = t.init.regs32.has_value();
  if (!full16 && !has32)
    throw MooError(where + ": INIT has neither all 14 REGS registers nor an RG32 chunk", ch.offset);
  return t;
}

}  // namespace

const char* moo_reg16_name(unsigned reg) { return reg < kMooReg16Count ? kReg16Names[reg] : "?"; }
const char* moo_reg32_name(unsigned reg) { return reg < kMooReg32Count ? kReg32Names[reg] : "?"; }

std::string MooTest::hash_hex() const {
  if (!hash) return {};
  std::string s;
  char buf[4];
  for (uint8_t b : *hash) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    s += buf;
  }
  return s;
}

std::optional<uint32_t> peek_moo_test_count(std::span<const uint8_t> data) {
  if (data.size() < 20 || std::memcmp(data.data(), "MOO ", 4) != 0) return std::nullopt;
  uint32_t len = data[4] | (data[5] << 8) | (data[6] << 16) | (uint32_t{data[7]} << 24);
  if (len < 12 || len > data.size() - 8) return std::nullopt;
  return data[12] | (data[13] << 8) | (data[14] << 16) | (uint32_t{data[15]} << 24);
}

MooFile parse_moo(std::span<const uint8_t> data) {
  MooFile f;
  Cursor top(data, 0, data.size(), "MOO stream");
  if (data.size() < 8 || std::memcmp(data.data(), "MOO ", 4) != 0)
    throw MooError("not a MOO stream: it does not start with a 'MOO ' chunk", 0);
  {
    auto ch = top.chunk();
    Cursor& p = ch.payload;
    f.major = p.u8("MOO major version");
    f.minor = p.u8("MOO minor version");
    p.u16("MOO reserved");
    f.test_count = p.u32("MOO test count");
    const uint8_t* cpu = p.bytes(4, "MOO cpu id");
    f.cpu.assign(cpu, cpu + 4);
    if (f.major != 1) throw MooError("unsupported MOO major version " + std::to_string(f.major), 0);
  }
  // A test needs at least its header, index, INIT/FINA/BYTS headers: never
  // reserve for a count the stream cannot hold.
  f.tests.reserve(std::min<uint64_t>(f.test_count, data.size() / 40));
  while (!top.done()) {
    auto ch = top.chunk();
    Cursor& p = ch.payload;
    if (ch.is("META")) {
      MooMeta m;
      m.major = p.u8("META major");
      m.minor = p.u8("META minor");
      m.cpu_type = p.u8("META cpu type");
      m.opcode = p.u32("META opcode");
      const uint8_t* mn = p.bytes(8, "META mnemonic");
      m.mnemonic.assign(mn, mn + 8);
      while (!m.mnemonic.empty() && (m.mnemonic.back() == ' ' || m.mnemonic.back() == '\0'))
        m.mnemonic.pop_back();
      p.u32("META test count");  // a running counter upstream: ignored
      m.seed = p.u64("META seed");
      m.cpu_mode = p.u8("META cpu mode");
      f.meta = m;
    } else if (ch.is("RMSK")) {
      f.masks = read_regs16(p);
    } else if (ch.is("RM32")) {
      f.masks32 = read_regs32(p);
    } else if (ch.is("TEST")) {
      f.tests.push_back(read_test(ch));
    }
  }
  if (f.tests.size() != f.test_count)
    throw MooError("the MOO header announces " + std::to_string(f.test_count) + " tests but the stream holds " +
                       std::to_string(f.tests.size()) + " (truncated after offset " + hex(data.size()) + "?)",
                   data.size());
  return f;
}

std::vector<uint8_t> gunzip(std::span<const uint8_t> gz, size_t max_output_bytes) {
  std::vector<uint8_t> out;
  if (gz.empty()) throw MooError("empty file (no gzip header)", 0);
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw MooError("zlib inflateInit2 failed", 0);
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&zs};

  zs.next_in = const_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  out.resize(std::min<size_t>(std::max<size_t>(gz.size() * 4, 1 << 16), max_output_bytes));
  size_t produced = 0;
  bool member_done = false;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= max_output_bytes)
        throw MooError("decompressed data exceeds " + std::to_string(max_output_bytes) + " bytes (not a MOO file?)",
                       zs.total_in);
      out.resize(std::min(out.size() * 2, max_output_bytes));
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    uInt before = zs.avail_out;
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced += before - zs.avail_out;
    uint64_t in_offset = gz.size() - zs.avail_in;
    if (rc == Z_STREAM_END) {
      member_done = true;
      // Concatenated gzip members are one stream (RFC 1952, 2.2).
      if (zs.avail_in == 0) break;
      if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        inflateReset(&zs);
        member_done = false;
        continue;
      }
      throw MooError("trailing garbage after the gzip stream at compressed byte offset " + hex(in_offset),
                     in_offset);
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      throw MooError("truncated gzip stream: input ended at compressed byte " + hex(in_offset) + " after " +
                         std::to_string(produced) + " decompressed bytes",
                     in_offset);
    }
    if (rc == Z_BUF_ERROR && zs.avail_out != 0 && zs.avail_out == before)
      throw MooError("gzip stream makes no progress at compressed byte offset " + hex(in_offset), in_offset);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw MooError(std::string("gzip data error at compressed byte offset ") + hex(in_offset) + ": " +
                         (zs.msg != nullptr ? zs.msg : "inflate failed") + " (after " +
                         std::to_string(produced) + " decompressed bytes)",
                     in_offset);
    }
  }
  if (!member_done) throw MooError("truncated gzip stream", gz.size());
  out.resize(produced);
  return out;
}

std::vector<uint8_t> gunzip_prefix(std::span<const uint8_t> gz, size_t n) {
  std::vector<uint8_t> out(n);
  z_stream zs{};
  if (gz.empty() || n == 0 || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return {};
  zs.next_in = const_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(std::min<size_t>(gz.size(), 1u << 30));
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(n);
  while (zs.avail_out != 0) {
    int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK) break;
  }
  out.resize(n - zs.avail_out);
  inflateEnd(&zs);
  return out;
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MooError("cannot open file", 0);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw MooError("read error", data.size());
  return data;
}

}  // namespace tx86::singlestep
