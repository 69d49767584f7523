#include "core/boot/multiboot.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace tx86::core {
namespace {

// ELF32 constants (System V gABI; Intel386 psABI).
constexpr uint32_t kElfHeaderBytes = 52;
constexpr uint32_t kElfPhdrBytes = 32;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEm386 = 3;
constexpr uint32_t kPtLoad = 1;

// Guest physical ranges the loader must not use: the legacy hole
// (VGA memory and ROMs) and the first page (real-mode IVT and BDA).
constexpr uint32_t kLowMemEnd = 0xA0000;
constexpr uint32_t kHighMemStart = 0x100000;
constexpr uint32_t kFirstFreeLow = 0x1000;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

uint16_t get16(std::span<const uint8_t> b, size_t off) { return static_cast<uint16_t>(b[off] | b[off + 1] << 8); }
uint32_t get32(std::span<const uint8_t> b, size_t off) {
  return uint32_t{b[off]} | uint32_t{b[off + 1]} << 8 | uint32_t{b[off + 2]} << 16 | uint32_t{b[off + 3]} << 24;
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  put32(b, off, static_cast<uint32_t>(v));
  put32(b, off + 4, static_cast<uint32_t>(v >> 32));
}

// One loaded piece of the image: `file_bytes` from the file at `paddr`,
// followed by zeroes up to `mem_bytes` (bss).
struct Segment {
  uint32_t paddr = 0;
  uint32_t vaddr = 0;
  uint64_t file_offset = 0;
  uint32_t file_bytes = 0;
  uint32_t mem_bytes = 0;
};

struct Image {
  bool address_fields = false;
  uint32_t entry = 0;
  std::vector<Segment> segments;
};

class Loader {
 public:
  Loader(Machine& m, std::span<const uint8_t> kernel, std::string_view name)
      : machine_(m), file_(kernel), name_(name), ram_bytes_(m.memory().ram_size()) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("kernel '" + name_ + "': " + what);
  }

  // Finds the header (spec 3.1.1: 32-bit aligned, within the first 8192
  // bytes, magic + flags + checksum == 0 mod 2^32). Returns its offset.
  size_t find_header() const {
    const size_t limit = std::min<size_t>(file_.size(), kMultibootSearchBytes);
    for (size_t off = 0; off + 12 <= limit; off += 4) {
      if (get32(file_, off) != kMultibootHeaderMagic) continue;
      if (static_cast<uint32_t>(get32(file_, off) + get32(file_, off + 4) + get32(file_, off + 8)) != 0) continue;
      return off;
    }
    fail("no Multiboot header (magic 0x1BADB002 with a valid checksum) in the first 8 KiB");
  }

  Image parse() {
    header_offset_ = find_header();
    flags_ = get32(file_, header_offset_ + 4);
    // Spec 3.1.2: bits 0-15 are requirements; refuse any we do not meet.
    const uint32_t unknown = flags_ & 0xFFFFu & ~(kMbhPageAlignModules | kMbhMemoryInfo | kMbhVideoMode);
    if (unknown != 0) fail("Multiboot header requires unsupported features (flags " + hex(unknown) + ")");
    if (flags_ & kMbhVideoMode)
      machine_.log_once("multiboot-video",
                        "kernel '" + name_ + "' asks for a video mode (Multiboot flag 2): ignored, text mode kept");
    Image img = (flags_ & kMbhAddressFields) ? parse_address_fields() : parse_elf();
    check_fits(img);
    return img;
  }

  uint32_t flags() const { return flags_; }

 private:
  // Spec 3.1.3: the a.out kludge. The header gives the physical address it
  // is loaded at, from which the file offset of load_addr follows.
  Image parse_address_fields() const {
    if (header_offset_ + 32 > file_.size()) fail("Multiboot header with address fields (flag 16) is truncated");
    const uint32_t header_addr = get32(file_, header_offset_ + 12);
    const uint32_t load_addr = get32(file_, header_offset_ + 16);
    const uint32_t load_end_addr = get32(file_, header_offset_ + 20);
    const uint32_t bss_end_addr = get32(file_, header_offset_ + 24);
    const uint32_t entry_addr = get32(file_, header_offset_ + 28);
    if (load_addr > header_addr)
      fail("Multiboot load_addr " + hex(load_addr) + " is above header_addr " + hex(header_addr));
    if (header_addr - load_addr > header_offset_)
      fail("Multiboot header_addr - load_addr (" + hex(header_addr - load_addr) +
           ") is larger than the header's file offset " + hex(header_offset_));
    Segment seg;
    seg.paddr = seg.vaddr = load_addr;
    seg.file_offset = header_offset_ - (header_addr - load_addr);
    const uint64_t available = file_.size() - seg.file_offset;
    uint64_t load_bytes = available;
    if (load_end_addr != 0) {
      if (load_end_addr <= load_addr)
        fail("Multiboot load_end_addr " + hex(load_end_addr) + " is not above load_addr " + hex(load_addr));
      load_bytes = load_end_addr - load_addr;
      if (load_bytes > available)
        fail("file is truncated: load_end_addr asks for " + hex(load_bytes) + " bytes from offset " +
             hex(seg.file_offset) + ", the file has " + hex(available));
    }
    uint64_t mem_bytes = load_bytes;
    if (bss_end_addr != 0) {
      if (bss_end_addr < load_addr + load_bytes)
        fail("Multiboot bss_end_addr " + hex(bss_end_addr) + " is below the end of the loaded image " +
             hex(load_addr + load_bytes));
      mem_bytes = bss_end_addr - load_addr;
    }
    if (uint64_t{load_addr} + mem_bytes > (uint64_t{1} << 32)) fail("image extends past 4 GiB");
    seg.file_bytes = static_cast<uint32_t>(load_bytes);
    seg.mem_bytes = static_cast<uint32_t>(mem_bytes);
    if (entry_addr < load_addr || entry_addr >= load_addr + mem_bytes)
      fail("Multiboot entry_addr " + hex(entry_addr) + " is outside the loaded image");
    return Image{true, entry_addr, {seg}};
  }

  Image parse_elf() const {
    if (file_.size() < 4 || std::memcmp(file_.data(), "\x7f" "ELF", 4) != 0)
      fail("not an ELF file and the Multiboot header has no address fields (flag 16)");
    if (file_.size() < kElfHeaderBytes) fail("ELF header is truncated (" + std::to_string(file_.size()) + " bytes)");
    if (file_[4] != 1) fail("not a 32-bit ELF file (EI_CLASS " + std::to_string(file_[4]) + ")");
    if (file_[5] != 1) fail("not a little-endian ELF file (EI_DATA " + std::to_string(file_[5]) + ")");
    if (file_[6] != 1) fail("unknown ELF version " + std::to_string(file_[6]));
    const uint16_t type = get16(file_, 16);
    const uint16_t machine = get16(file_, 18);
    if (machine != kEm386) fail("not an i386 ELF file (e_machine " + std::to_string(machine) + ")");
    if (type != kEtExec) fail("not an executable ELF file (e_type " + std::to_string(type) + ")");
    const uint32_t entry = get32(file_, 24);
    const uint32_t phoff = get32(file_, 28);
    const uint16_t phentsize = get16(file_, 42);
    const uint16_t phnum = get16(file_, 44);
    if (phnum == 0) fail("ELF file has no program headers");
    if (phentsize < kElfPhdrBytes) fail("ELF program header size " + std::to_string(phentsize) + " is too small");
    if (uint64_t{phoff} + uint64_t{phnum} * phentsize > file_.size())
      fail("program header table (offset " + hex(phoff) + ", " + std::to_string(phnum) +
           " entries) extends past the end of the file (" + hex(file_.size()) + " bytes): truncated?");
    Image img;
    for (unsigned i = 0; i < phnum; ++i) {
      const size_t ph = phoff + size_t{i} * phentsize;
      if (get32(file_, ph) != kPtLoad) continue;
      Segment seg;
      seg.file_offset = get32(file_, ph + 4);
      seg.vaddr = get32(file_, ph + 8);
      seg.paddr = get32(file_, ph + 12);
      seg.file_bytes = get32(file_, ph + 16);
      seg.mem_bytes = get32(file_, ph + 20);
      const std::string which = "segment " + std::to_string(i);
      if (seg.file_bytes > seg.mem_bytes)
        fail(which + " has p_filesz " + hex(seg.file_bytes) + " larger than p_memsz " + hex(seg.mem_bytes));
      if (seg.file_offset + seg.file_bytes > file_.size())
        fail(which + " (offset " + hex(seg.file_offset) + ", " + hex(seg.file_bytes) +
             " bytes) extends past the end of the file (" + hex(file_.size()) + " bytes): truncated?");
      if (uint64_t{seg.paddr} + seg.mem_bytes > (uint64_t{1} << 32)) fail(which + " extends past 4 GiB");
      if (seg.mem_bytes == 0) continue;
      img.segments.push_back(seg);
    }
    if (img.segments.empty()) fail("ELF file has no loadable (PT_LOAD) segment");
    // e_entry is a virtual address; kernels linked higher-half have
    // p_vaddr != p_paddr, and paging is off at entry, so translate.
    img.entry = entry;
    bool inside = false;
    for (const Segment& s : img.segments) {
      if (entry - s.vaddr < s.mem_bytes) {
        img.entry = s.paddr + (entry - s.vaddr);
        inside = true;
        break;
      }
    }
    if (!inside) fail("ELF entry point " + hex(entry) + " is outside every loadable segment");
    return img;
  }

  // Every byte must land in RAM: below the legacy hole or from 1 MiB up to
  // the end of RAM, the only places PhysicalMemory backs with RAM.
  void check_fits(const Image& img) const {
    for (const Segment& s : img.segments) {
      const uint64_t start = s.paddr;
      const uint64_t end = start + s.mem_bytes;
      const bool low = end <= kLowMemEnd;
      const bool high = start >= kHighMemStart && end <= ram_bytes_;
      if (!low && !high)
        fail("segment at physical " + hex(start) + ".." + hex(end) + " does not fit in guest RAM (" +
             std::to_string(ram_bytes_ >> 10) + " KiB, with the hole at 0xa0000..0x100000)");
    }
  }

  Machine& machine_;
  std::span<const uint8_t> file_;
  std::string name_;
  size_t ram_bytes_;
  size_t header_offset_ = 0;
  uint32_t flags_ = 0;
};

// First-fit placement of the boot data in RAM around the kernel.
class Placer {
 public:
  Placer(size_t ram_bytes, std::string_view kernel_name) : ram_bytes_(ram_bytes), name_(kernel_name) {}
  void reserve(uint32_t start, uint32_t end) { used_.push_back({start, end}); }

  // Low memory first (keeps small structures out of the kernel's way), then
  // above 1 MiB; `what` names the object in the error message.
  uint32_t place(uint64_t size, uint32_t align, const std::string& what, bool prefer_high) {
    const MultibootLayout::Range low{kFirstFreeLow, kLowMemEnd};
    const MultibootLayout::Range high{kHighMemStart, static_cast<uint32_t>(std::min<size_t>(ram_bytes_, 0xFFFFF000u))};
    const std::array<MultibootLayout::Range, 2> order = prefer_high ? std::array{high, low} : std::array{low, high};
    for (const MultibootLayout::Range& region : order) {
      uint64_t at = align_up(region.start, align);
      bool moved = true;
      while (moved && at + size <= region.end) {
        moved = false;
        for (const auto& u : used_) {
          if (at < u.end && u.start < at + size) {
            at = align_up(u.end, align);
            moved = true;
          }
        }
      }
      if (at + size <= region.end && size > 0) {
        used_.push_back({static_cast<uint32_t>(at), static_cast<uint32_t>(at + size)});
        return static_cast<uint32_t>(at);
      }
    }
    throw std::runtime_error("kernel '" + std::string(name_) + "': no room in guest RAM (" +
                             std::to_string(ram_bytes_ >> 10) + " KiB) for the " + what + " (" +
                             std::to_string(size) + " bytes)");
  }

 private:
  static uint64_t align_up(uint64_t v, uint32_t align) { return (v + align - 1) / align * align; }
  size_t ram_bytes_;
  std::string_view name_;
  std::vector<MultibootLayout::Range> used_;
};

std::vector<uint8_t> c_string(std::string_view s) {
  std::vector<uint8_t> out(s.begin(), s.end());
  out.push_back(0);
  return out;
}

// A flat GDT: null, 32-bit code 0x08 (base 0, limit 4 GiB, DPL 0, execute/
// read, accessed) and 32-bit data 0x10 (read/write, accessed), as the
// descriptor caches the spec requires (3.2) would have been loaded from.
constexpr uint8_t kGdt[24] = {
    0, 0, 0, 0, 0, 0, 0, 0,
    0xFF, 0xFF, 0, 0, 0, 0x9B, 0xCF, 0,
    0xFF, 0xFF, 0, 0, 0, 0x93, 0xCF, 0,
};

void set_flat(SegmentCache& s, uint16_t selector, uint8_t access) {
  s.selector = selector;
  s.base = 0;
  s.limit = 0xFFFFFFFFu;
  s.attrs = static_cast<uint16_t>(access | SegmentCache::kSegDefaultBig | SegmentCache::kSegGranularity);
}

}  // namespace

MultibootLayout load_multiboot_image(Machine& machine, std::span<const uint8_t> kernel,
                                     std::string_view kernel_name, std::string_view kernel_cmdline,
                                     std::span<const uint8_t> module, std::string_view module_name) {
  Loader loader(machine, kernel, kernel_name);
  const Image img = loader.parse();
  PhysicalMemory& mem = machine.memory();
  const size_t ram = mem.ram_size();

  MultibootLayout layout;
  layout.address_fields = img.address_fields;
  layout.entry = img.entry;
  Placer placer(ram, kernel_name);
  for (const Segment& s : img.segments) {
    mem.load(s.paddr, kernel.subspan(static_cast<size_t>(s.file_offset), s.file_bytes));
    const std::vector<uint8_t> zeroes(s.mem_bytes - s.file_bytes, 0);
    mem.load(s.paddr + s.file_bytes, zeroes);
    layout.kernel.push_back({s.paddr, s.paddr + s.mem_bytes});
    placer.reserve(s.paddr, s.paddr + s.mem_bytes);
  }

  // Module first: it is the big one and goes above the kernel, page-aligned
  // (which satisfies header flag 0 whether or not it is set).
  const bool has_module = !module_name.empty();
  if (has_module) {
    // An empty file is a valid (empty) module: mod_start == mod_end.
    const uint32_t at = placer.place(std::max<size_t>(module.size(), 1), kPageSize, "initrd '" + std::string(module_name) + "'", true);
    mem.load(at, module);
    layout.module = {at, static_cast<uint32_t>(at + module.size())};
  }

  layout.gdt_addr = placer.place(sizeof kGdt, 8, "GDT", false);
  mem.load(layout.gdt_addr, kGdt);

  const std::vector<uint8_t> cmdline = c_string(kernel_cmdline);
  layout.cmdline_addr = placer.place(cmdline.size(), 4, "command line", false);
  mem.load(layout.cmdline_addr, cmdline);
  const std::vector<uint8_t> loader_name = c_string("tx86");
  const uint32_t loader_name_addr = placer.place(loader_name.size(), 4, "boot loader name", false);
  mem.load(loader_name_addr, loader_name);

  uint32_t mods_addr = 0;
  if (has_module) {
    const std::vector<uint8_t> mod_string = c_string(module_name);
    const uint32_t string_addr = placer.place(mod_string.size(), 4, "module string", false);
    mem.load(string_addr, mod_string);
    // Module structure (spec 3.3): mod_start, mod_end, string, reserved.
    std::vector<uint8_t> mod(16, 0);
    put32(mod, 0, layout.module.start);
    put32(mod, 4, layout.module.end);
    put32(mod, 8, string_addr);
    mods_addr = placer.place(mod.size(), 4, "module list", false);
    mem.load(mods_addr, mod);
  }

  // Memory map (spec 3.3): entries of size(4) base(8) length(8) type(4);
  // `size` counts the 20 bytes after it and mmap_addr points at it.
  struct MapEntry {
    uint64_t base, length;
    uint32_t type;
  };
  std::vector<MapEntry> map = {{0, std::min<uint64_t>(ram, kLowMemEnd), kMmapAvailable}};
  if (ram > kLowMemEnd) map.push_back({kLowMemEnd, kHighMemStart - kLowMemEnd, kMmapReserved});
  if (ram > kHighMemStart) map.push_back({kHighMemStart, ram - kHighMemStart, kMmapAvailable});
  std::vector<uint8_t> mmap(map.size() * 24, 0);
  for (size_t i = 0; i < map.size(); ++i) {
    put32(mmap, i * 24, 20);
    put64(mmap, i * 24 + 4, map[i].base);
    put64(mmap, i * 24 + 12, map[i].length);
    put32(mmap, i * 24 + 20, map[i].type);
  }
  layout.mmap_length = static_cast<uint32_t>(mmap.size());
  layout.mmap_addr = placer.place(mmap.size(), 4, "memory map", false);
  mem.load(layout.mmap_addr, mmap);

  std::vector<uint8_t> info(kMbiSizeBytes, 0);
  put32(info, kMbiFlagsOffset, kMbiMemory | kMbiCmdline | kMbiMods | kMbiMmap | kMbiBootLoaderName);
  // mem_lower: KiB from 0 (at most 640); mem_upper: KiB from 1 MiB to the
  // first hole, which here is the end of RAM.
  put32(info, kMbiMemLowerOffset, static_cast<uint32_t>(std::min<size_t>(ram, kLowMemEnd) >> 10));
  put32(info, kMbiMemUpperOffset, static_cast<uint32_t>(ram > kHighMemStart ? (ram - kHighMemStart) >> 10 : 0));
  put32(info, kMbiCmdlineOffset, layout.cmdline_addr);
  put32(info, kMbiModsCountOffset, has_module ? 1 : 0);
  put32(info, kMbiModsAddrOffset, mods_addr);
  put32(info, kMbiMmapLengthOffset, layout.mmap_length);
  put32(info, kMbiMmapAddrOffset, layout.mmap_addr);
  put32(info, kMbiBootLoaderNameOffset, loader_name_addr);
  layout.info_addr = placer.place(info.size(), 4, "Multiboot information", false);
  mem.load(layout.info_addr, info);

  // Machine state (spec 3.2).
  Cpu& cpu = machine.cpu();
  CpuState& s = cpu.s;
  s = CpuState{};
  s.gpr[x86::kEax] = kMultibootBootloaderMagic;
  s.gpr[x86::kEbx] = layout.info_addr;
  s.eip = img.entry;
  s.eflags = 0x2;  // IF = 0, VM = 0
  s.cr0 = kCr0PE | kCr0ET;
  s.gdtr = TableRegister{layout.gdt_addr, sizeof kGdt - 1};
  set_flat(s.seg[x86::kCs], kMultibootCodeSelector, 0x9B);
  for (unsigned r : {x86::kEs, x86::kSs, x86::kDs, x86::kFs, x86::kGs})
    set_flat(s.seg[r], kMultibootDataSelector, 0x93);
  s.cpl = 0;
  cpu.set_a20(true);
  cpu.flush_tlb();
  return layout;
}

namespace {
std::vector<uint8_t> read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string(what) + " '" + path + "': cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(std::string(what) + " '" + path + "': read error");
  return bytes;
}
}  // namespace

MultibootLayout load_multiboot(Machine& machine, const std::string& kernel_path, const std::string& cmdline,
                               const std::string& initrd_path) {
  const std::vector<uint8_t> kernel = read_file(kernel_path, "kernel");
  std::vector<uint8_t> module;
  if (!initrd_path.empty()) module = read_file(initrd_path, "initrd");
  const std::string full_cmdline = cmdline.empty() ? kernel_path : kernel_path + " " + cmdline;
  return load_multiboot_image(machine, kernel, kernel_path, full_cmdline, module, initrd_path);
}

}  // namespace tx86::core
