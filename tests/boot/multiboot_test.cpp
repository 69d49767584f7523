// Multiboot v1 loader (core/boot/multiboot.h): a real test kernel loads with
// the machine state and information structure of the Multiboot
// Specification 0.6.96 (3.2, 3.3); broken images (truncated, corrupt,
// foreign, too big) give a std::runtime_error naming the file, never a crash.
#include "core/boot/multiboot.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using tx86::core::Machine;
using tx86::core::MachineConfig;
using tx86::core::SegmentCache;
namespace core = tx86::core;

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}
std::string tmp_path(const std::string& leaf) { return env_or("TX86_TEST_TMP", "/tmp") + "/" + leaf; }

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_all(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

uint32_t get32(const std::vector<uint8_t>& b, size_t off) {
  return uint32_t{b[off]} | uint32_t{b[off + 1]} << 8 | uint32_t{b[off + 2]} << 16 | uint32_t{b[off + 3]} << 24;
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}

uint32_t guest32(Machine& m, uint32_t addr) {
  uint8_t b[4];
  m.memory().peek(addr, b);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}
uint64_t guest64(Machine& m, uint32_t addr) { return guest32(m, addr) | uint64_t{guest32(m, addr + 4)} << 32; }
std::string guest_string(Machine& m, uint32_t addr) {
  std::string s;
  for (uint8_t c = 0;; ++addr) {
    m.memory().peek(addr, {&c, 1});
    if (c == 0 || s.size() > 4096) break;
    s.push_back(static_cast<char>(c));
  }
  return s;
}

// A minimal Multiboot ELF: ELF header, one program header, and at offset
// 0x80 the Multiboot header followed by `cli; hlt`, loaded at 1 MiB with a
// 4 KiB bss. Offsets of interest are named for the corruption tests.
constexpr size_t kPhdr = 52, kPayload = 0x80;
constexpr uint32_t kLoadAddr = 0x100000, kEntry = kLoadAddr + 12;
std::vector<uint8_t> make_elf(uint32_t mb_flags = 0x3) {
  std::vector<uint8_t> f(kPayload + 16, 0);
  const uint8_t ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
  std::memcpy(f.data(), ident, sizeof ident);
  put16(f, 16, 2);     // ET_EXEC
  put16(f, 18, 3);     // EM_386
  put32(f, 20, 1);     // EV_CURRENT
  put32(f, 24, kEntry);
  put32(f, 28, kPhdr); // e_phoff
  put16(f, 40, 52);    // e_ehsize
  put16(f, 42, 32);    // e_phentsize
  put16(f, 44, 1);     // e_phnum
  put32(f, kPhdr + 0, 1);  // PT_LOAD
  put32(f, kPhdr + 4, kPayload);
  put32(f, kPhdr + 8, kLoadAddr);
  put32(f, kPhdr + 12, kLoadAddr);
  put32(f, kPhdr + 16, 16);
  put32(f, kPhdr + 20, 0x1000);
  put32(f, kPayload, core::kMultibootHeaderMagic);
  put32(f, kPayload + 4, mb_flags);
  put32(f, kPayload + 8, static_cast<uint32_t>(-(core::kMultibootHeaderMagic + mb_flags)));
  f[kPayload + 12] = 0xFA;  // cli
  f[kPayload + 13] = 0xF4;  // hlt
  return f;
}

// Loads `image` from a file and returns the error message ("" if it loaded).
std::string load_error(const std::vector<uint8_t>& image, size_t ram_bytes = 16u << 20) {
  const std::string path = tmp_path("multiboot_test_image.elf");
  write_all(path, image);
  Machine m(MachineConfig{ram_bytes});
  try {
    core::load_multiboot(m, path, "", "");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK(msg.find(path) != std::string::npos);  // names the file
    return msg;
  }
  return "";
}

}  // namespace

TEST_CASE("multiboot: the test kernel loads with the state of spec 3.2", "[boot]") {
  const std::string kernel_path = env_or("TX86_TEST_KERNEL", "");
  REQUIRE(!kernel_path.empty());
  const std::vector<uint8_t> file = read_all(kernel_path);
  const std::string initrd_path = tmp_path("multiboot_test_initrd.bin");
  std::vector<uint8_t> initrd(5000);
  for (size_t i = 0; i < initrd.size(); ++i) initrd[i] = static_cast<uint8_t>(i * 7 + 1);
  write_all(initrd_path, initrd);

  Machine m(MachineConfig{16u << 20});
  // Garbage everywhere first, so that zeroing of the bss is visible.
  std::vector<uint8_t> junk(16u << 20, 0xCC);
  m.memory().load(0, junk);
  m.cpu().s.eflags = 0x202;
  const core::MultibootLayout layout = core::load_multiboot(m, kernel_path, "alpha=1 beta", initrd_path);
  const core::CpuState& s = m.cpu().s;

  SECTION("registers") {
    CHECK(s.gpr[tx86::x86::kEax] == 0x2BADB002u);
    CHECK(s.gpr[tx86::x86::kEbx] == layout.info_addr);
    CHECK(s.eip == get32(file, 24));  // e_entry; the kernel is linked with vaddr == paddr
    CHECK(s.eip == layout.entry);
    CHECK((s.cr0 & core::kCr0PE) != 0);
    CHECK((s.cr0 & core::kCr0PG) == 0);
    CHECK((s.eflags & tx86::x86::kIF) == 0);
    CHECK((s.eflags & tx86::x86::kVM) == 0);
    CHECK(s.cpl == 0);
    CHECK(m.cpu().a20());
    const SegmentCache& cs = s.seg[tx86::x86::kCs];
    CHECK(cs.selector == 0x08);
    CHECK(cs.base == 0);
    CHECK(cs.limit == 0xFFFFFFFFu);
    CHECK(cs.attrs == 0xC09B);  // present, DPL 0, code execute/read accessed, D, G
    for (unsigned r : {tx86::x86::kDs, tx86::x86::kEs, tx86::x86::kFs, tx86::x86::kGs, tx86::x86::kSs}) {
      CHECK(s.seg[r].selector == 0x10);
      CHECK(s.seg[r].base == 0);
      CHECK(s.seg[r].limit == 0xFFFFFFFFu);
      CHECK(s.seg[r].attrs == 0xC093);
    }
    // The GDT in guest memory matches the caches.
    REQUIRE(s.gdtr.limit >= 0x17);
    CHECK(guest64(m, s.gdtr.base + 0) == 0);
    CHECK(guest64(m, s.gdtr.base + 8) == 0x00CF9B000000FFFFull);
    CHECK(guest64(m, s.gdtr.base + 16) == 0x00CF93000000FFFFull);
  }

  SECTION("segments and bss") {
    const uint32_t phoff = get32(file, 28);
    const unsigned phnum = file[44] | file[45] << 8;
    unsigned loads = 0;
    for (unsigned i = 0; i < phnum; ++i) {
      const size_t ph = phoff + 32 * i;
      if (get32(file, ph) != 1) continue;
      const uint32_t off = get32(file, ph + 4), paddr = get32(file, ph + 12);
      const uint32_t filesz = get32(file, ph + 16), memsz = get32(file, ph + 20);
      std::vector<uint8_t> got(memsz);
      m.memory().peek(paddr, got);
      CHECK(std::equal(got.begin(), got.begin() + filesz, file.begin() + off));
      CHECK(std::all_of(got.begin() + filesz, got.end(), [](uint8_t b) { return b == 0; }));
      ++loads;
    }
    CHECK(loads >= 1);
    CHECK(layout.kernel.size() == loads);
  }

  SECTION("information structure (spec 3.3)") {
    const uint32_t mbi = layout.info_addr;
    const uint32_t flags = guest32(m, mbi);
    CHECK((flags & core::kMbiMemory) != 0);
    CHECK((flags & core::kMbiCmdline) != 0);
    CHECK((flags & core::kMbiMods) != 0);
    CHECK((flags & core::kMbiMmap) != 0);
    CHECK(guest32(m, mbi + 4) == 640);
    CHECK(guest32(m, mbi + 8) == (16u << 10) - 1024);
    CHECK(guest_string(m, guest32(m, mbi + 16)) == kernel_path + " alpha=1 beta");
    CHECK(guest_string(m, guest32(m, mbi + 64)) == "tx86");
    REQUIRE(guest32(m, mbi + 20) == 1);
    const uint32_t mod = guest32(m, mbi + 24);
    const uint32_t mod_start = guest32(m, mod), mod_end = guest32(m, mod + 4);
    CHECK(mod_start % 4096 == 0);
    CHECK(mod_end - mod_start == initrd.size());
    std::vector<uint8_t> got(initrd.size());
    m.memory().peek(mod_start, got);
    CHECK(got == initrd);
    CHECK(guest_string(m, guest32(m, mod + 8)) == initrd_path);
    // Memory map: low RAM, the hole, RAM from 1 MiB.
    const uint32_t len = guest32(m, mbi + 44), addr = guest32(m, mbi + 48);
    REQUIRE(len == 3 * 24);
    const uint64_t expect[3][3] = {{0, 0xA0000, 1}, {0xA0000, 0x60000, 2}, {0x100000, (16u << 20) - 0x100000, 1}};
    for (int i = 0; i < 3; ++i) {
      const uint32_t e = addr + 24 * i;
      CHECK(guest32(m, e) == 20);
      CHECK(guest64(m, e + 4) == expect[i][0]);
      CHECK(guest64(m, e + 12) == expect[i][1]);
      CHECK(guest32(m, e + 20) == expect[i][2]);
    }
    // Nothing the loader placed overlaps the kernel.
    for (uint32_t a : {layout.info_addr, layout.cmdline_addr, layout.mmap_addr, layout.gdt_addr, mod_start, mod_end - 1})
      for (const auto& k : layout.kernel) CHECK((a < k.start || a >= k.end));
  }
}

TEST_CASE("multiboot: a synthesized ELF and the a.out kludge load", "[boot]") {
  SECTION("ELF") {
    CHECK(load_error(make_elf()) == "");
    Machine m(MachineConfig{4u << 20});
    const auto elf = make_elf();
    const auto layout = core::load_multiboot_image(m, elf, "mini", "mini", {}, "");
    CHECK(m.cpu().s.eip == kEntry);
    CHECK(guest32(m, kLoadAddr) == core::kMultibootHeaderMagic);
    CHECK(guest32(m, guest32(m, layout.info_addr) & core::kMbiMods ? layout.info_addr + 20 : 0) == 0);
    CHECK(guest32(m, layout.info_addr + 8) == 3072);
  }
  SECTION("higher-half ELF: entry translated to its physical address") {
    auto elf = make_elf();
    put32(elf, kPhdr + 8, 0xC0100000);  // p_vaddr
    put32(elf, 24, 0xC010000C);         // e_entry
    Machine m;
    core::load_multiboot_image(m, elf, "hh", "", {}, "");
    CHECK(m.cpu().s.eip == kEntry);
  }
  SECTION("a.out kludge (header flag 16)") {
    // Flat binary: header at file offset 0, loaded at 2 MiB, 0x800 bytes of
    // bss after it, entry right after the 32-byte header.
    std::vector<uint8_t> bin(64, 0x90);
    const uint32_t flags = 0x10003, base = 0x200000;
    put32(bin, 0, core::kMultibootHeaderMagic);
    put32(bin, 4, flags);
    put32(bin, 8, static_cast<uint32_t>(-(core::kMultibootHeaderMagic + flags)));
    put32(bin, 12, base);          // header_addr
    put32(bin, 16, base);          // load_addr
    put32(bin, 20, base + 64);     // load_end_addr
    put32(bin, 24, base + 0x840);  // bss_end_addr
    put32(bin, 28, base + 32);     // entry_addr
    Machine m;
    std::vector<uint8_t> junk(0x1000, 0xCC);
    m.memory().load(base, junk);
    const auto layout = core::load_multiboot_image(m, bin, "flat", "", {}, "");
    CHECK(layout.address_fields);
    CHECK(m.cpu().s.eip == base + 32);
    CHECK(guest32(m, base + 32) == 0x90909090u);
    CHECK(guest32(m, base + 64) == 0);
    CHECK(guest32(m, base + 0x83C) == 0);
    CHECK(guest32(m, base + 0x840) == 0xCCCCCCCCu);
  }
}

TEST_CASE("multiboot: broken images give a clear error naming the file", "[boot]") {
  using Catch::Matchers::Contains;
  CHECK_THAT(load_error({}), Contains("no Multiboot header"));
  {
    Machine m;
    CHECK_THROWS_WITH(core::load_multiboot(m, tmp_path("does-not-exist.elf"), "", ""),
                      Contains("does-not-exist.elf") && Contains("cannot open"));
    CHECK_THROWS_WITH(core::load_multiboot(m, "", "", ""), Contains("cannot open"));
  }
  auto elf = make_elf();
  auto bad = elf;
  put32(bad, kPayload + 8, 0);
  CHECK_THAT(load_error(bad), Contains("no Multiboot header"));
  bad = elf;
  put16(bad, 18, 62);  // EM_X86_64
  CHECK_THAT(load_error(bad), Contains("not an i386"));
  bad = elf;
  bad[4] = 2;  // ELFCLASS64
  CHECK_THAT(load_error(bad), Contains("not a 32-bit ELF"));
  bad = elf;
  bad[5] = 2;  // big-endian
  CHECK_THAT(load_error(bad), Contains("little-endian"));
  bad = elf;
  put16(bad, 16, 3);  // ET_DYN
  CHECK_THAT(load_error(bad), Contains("not an executable"));
  bad = elf;
  bad[1] = 'X';
  CHECK_THAT(load_error(bad), Contains("not an ELF file"));
  bad = elf;
  put32(bad, 28, 0x7FFFFFF0);  // e_phoff far past the end
  CHECK_THAT(load_error(bad), Contains("program header table"));
  bad = elf;
  put16(bad, 44, 0xFFFF);  // e_phnum
  CHECK_THAT(load_error(bad), Contains("program header table"));
  bad = elf;
  put16(bad, 44, 0);
  CHECK_THAT(load_error(bad), Contains("no program headers"));
  bad = elf;
  put32(bad, kPhdr, 4);  // PT_NOTE: nothing to load
  CHECK_THAT(load_error(bad), Contains("no loadable"));
  bad = elf;
  put32(bad, kPhdr + 16, 0x100);  // p_filesz past the end of the file
  CHECK_THAT(load_error(bad), Contains("past the end of the file"));
  bad = elf;
  put32(bad, kPhdr + 4, 0xFFFFFFF0);  // p_offset that would wrap in 32 bits
  CHECK_THAT(load_error(bad), Contains("past the end of the file"));
  bad = elf;
  put32(bad, kPhdr + 20, 8);  // p_memsz < p_filesz
  CHECK_THAT(load_error(bad), Contains("p_filesz"));
  bad = elf;
  put32(bad, kPhdr + 12, 0x1000000);  // at 16 MiB: beyond a 16 MiB guest
  CHECK_THAT(load_error(bad), Contains("does not fit in guest RAM"));
  CHECK(load_error(bad, 32u << 20) == "");
  bad = elf;
  put32(bad, kPhdr + 12, 0xFFFFF800);  // wraps past 4 GiB
  CHECK_THAT(load_error(bad), Contains("past 4 GiB"));
  bad = elf;
  put32(bad, kPhdr + 12, 0xB8000);  // in the VGA / ROM hole
  CHECK_THAT(load_error(bad), Contains("does not fit in guest RAM"));
  bad = elf;
  put32(bad, 24, 0x500000);
  CHECK_THAT(load_error(bad), Contains("entry point"));
  // Requirement bits the loader does not know (spec 3.1.2) are refused.
  CHECK_THAT(load_error(make_elf(0x3 | 0x8)), Contains("unsupported"));
  // Address fields that do not add up.
  std::vector<uint8_t> bin(64, 0);
  const uint32_t flags = 0x10000;
  put32(bin, 0, core::kMultibootHeaderMagic);
  put32(bin, 4, flags);
  put32(bin, 8, static_cast<uint32_t>(-(core::kMultibootHeaderMagic + flags)));
  auto kludge = [&](uint32_t header, uint32_t load, uint32_t load_end, uint32_t bss_end, uint32_t entry) {
    auto b = bin;
    put32(b, 12, header);
    put32(b, 16, load);
    put32(b, 20, load_end);
    put32(b, 24, bss_end);
    put32(b, 28, entry);
    return load_error(b);
  };
  CHECK(kludge(0x200000, 0x200000, 0, 0, 0x200020) == "");
  CHECK_THAT(kludge(0x200000, 0x200010, 0, 0, 0x200020), Contains("load_addr"));
  CHECK_THAT(kludge(0x200010, 0x200000, 0, 0, 0x200020), Contains("header_addr"));
  CHECK_THAT(kludge(0x200000, 0x200000, 0x200100, 0, 0x200020), Contains("truncated"));
  CHECK_THAT(kludge(0x200000, 0x200000, 0x200040, 0x200020, 0x200020), Contains("bss_end_addr"));
  CHECK_THAT(kludge(0x200000, 0x200000, 0, 0, 0x300000), Contains("entry_addr"));
  CHECK_THAT(kludge(0x200000, 0x200000, 0, 0x2000000, 0x200020), Contains("does not fit"));
  bin.resize(20);
  CHECK_THAT(load_error(bin), Contains("truncated"));
}

TEST_CASE("multiboot: every truncation and random corruption of a real kernel fails cleanly", "[boot]") {
  const std::string kernel_path = env_or("TX86_TEST_KERNEL", "");
  REQUIRE(!kernel_path.empty());
  const std::vector<uint8_t> file = read_all(kernel_path);
  // The end of the last PT_LOAD's file data: any cut before it must fail.
  const uint32_t phoff = get32(file, 28);
  const unsigned phnum = file[44] | file[45] << 8;
  size_t needed = phoff + size_t{phnum} * 32;
  for (unsigned i = 0; i < phnum; ++i)
    if (get32(file, phoff + 32 * i) == 1)
      needed = std::max<size_t>(needed, get32(file, phoff + 32 * i + 4) + get32(file, phoff + 32 * i + 16));
  Machine m;
  for (size_t len = 0; len < file.size(); len += 61) {
    const std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<long>(len));
    bool threw = false;
    try {
      core::load_multiboot_image(m, cut, "cut", "", {}, "");
    } catch (const std::runtime_error& e) {
      threw = true;
      CHECK(std::string(e.what()).find("'cut'") != std::string::npos);
    }
    if (len < needed) CHECK(threw);
  }
  // Random corruption of the headers: loads or throws runtime_error, never
  // anything else (the sanitizer build catches out-of-bounds reads).
  std::mt19937 rng(12345);
  const size_t header_bytes = std::min<size_t>(file.size(), phoff + size_t{phnum} * 32);
  Machine small(MachineConfig{4u << 20});
  for (int round = 0; round < 2000; ++round) {
    auto bad = file;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bad[rng() % header_bytes] ^= static_cast<uint8_t>(1u << (rng() % 8));
    try {
      core::load_multiboot_image(small, bad, "fuzz", "", {}, "");
    } catch (const std::runtime_error&) {
    }
  }
}
