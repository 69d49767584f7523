// The guest physical address space: RAM, ROM and MMIO regions, page by page.
//
// Physical memory is host memory (DESIGN.md §5): a RAM or ROM page maps to a
// host pointer that the TLB turns into an addend. MMIO pages and unmapped
// pages have no host pointer and always take the slow path. Every page also
// carries a "holds code" mark: the engines set it when they decode or
// translate code from the page; writes to a marked page go through the slow
// path and notify the code listeners, which is how self-modifying code is seen.
//
// Layout of a PC (what Machine sets up): RAM from 0, the 640 KiB..1 MiB hole
// for VGA and ROMs, the firmware ROM at the top of the first megabyte and
// aliased just below 4 GiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/device.h"

namespace tx86::core {

inline constexpr uint32_t kPageShift = 12;
inline constexpr uint32_t kPageSize = 1u << kPageShift;
inline constexpr uint32_t kPageMask = kPageSize - 1;
inline constexpr uint32_t kPhysPages = 1u << (32 - kPageShift);  // 4 GiB / 4 KiB

class PhysicalMemory;

class MmioRegistration {
 public:
  MmioRegistration() = default;
  MmioRegistration(MmioRegistration&& other) noexcept { *this = std::move(other); }
  MmioRegistration& operator=(MmioRegistration&& other) noexcept;
  MmioRegistration(const MmioRegistration&) = delete;
  MmioRegistration& operator=(const MmioRegistration&) = delete;
  ~MmioRegistration() { release(); }
  void release();

 private:
  friend class PhysicalMemory;
  MmioRegistration(PhysicalMemory* mem, uint32_t slot) : mem_(mem), slot_(slot) {}
  PhysicalMemory* mem_ = nullptr;
  uint32_t slot_ = 0;
};

// Told about writes that hit pages holding code (decoded or translated).
class CodeWriteListener {
 public:
  virtual ~CodeWriteListener() = default;
  // [paddr, paddr + size) was just written, on a page marked as holding code.
  virtual void code_written(uint32_t paddr, unsigned size) = 0;
};

class PhysicalMemory {
 public:
  // `ram_bytes` must be a multiple of 4 KiB. RAM is mapped from address 0
  // except for the legacy hole [0xA0000, 0x100000), which stays unmapped
  // until a device or ROM claims it.
  explicit PhysicalMemory(size_t ram_bytes);

  size_t ram_size() const { return ram_size_; }
  uint8_t* ram() { return ram_.get(); }
  const uint8_t* ram() const { return ram_.get(); }

  // Maps a ROM image read-only at [base, base + size). The bytes are copied;
  // several mappings may share one image (aliases) by mapping it twice.
  void map_rom(uint32_t base, std::span<const uint8_t> image);
  // Maps RAM pages at `base` back (e.g. to fill part of the legacy hole).
  void map_ram(uint32_t base, uint32_t size);
  [[nodiscard]] MmioRegistration map_mmio(uint32_t base, uint32_t size, MmioHandler& handler);

  // --- fast-path support for TLBs --------------------------------------
  // Host pointer to the start of a physical page if it is RAM or ROM, else null.
  uint8_t* host_page(uint32_t page) const { return pages_[page].host; }
  bool page_writable(uint32_t page) const { return pages_[page].kind == Kind::kRam; }
  bool page_has_code(uint32_t page) const { return pages_[page].code; }
  void set_page_has_code(uint32_t page, bool has_code);
  // Bumped whenever a page's mapping, writability or code mark changes; TLBs
  // compare it to know their cached entries are stale.
  uint64_t generation() const { return generation_; }
  // For generated code (the JIT's inline TLB path compares it with the TLB's).
  const uint64_t* generation_address() const { return &generation_; }

  // --- slow path -------------------------------------------------------
  // Accesses of 1, 2 or 4 bytes that may straddle pages or hit MMIO. Reads
  // of unmapped memory return all ones; writes to ROM or unmapped memory are
  // dropped, as on a PC.
  uint32_t read(uint32_t paddr, unsigned size);
  void write(uint32_t paddr, uint32_t value, unsigned size);
  // Bulk copies for loaders and tests (no MMIO side effects; ROM is writable
  // here so that firmware can be placed).
  void load(uint32_t paddr, std::span<const uint8_t> bytes);
  void peek(uint32_t paddr, std::span<uint8_t> out) const;

  void add_code_listener(CodeWriteListener* listener) { listeners_.push_back(listener); }
  void remove_code_listener(CodeWriteListener* listener);

 private:
  friend class MmioRegistration;
  enum class Kind : uint8_t { kUnmapped, kRam, kRom, kMmio };
  struct Page {
    uint8_t* host = nullptr;
    Kind kind = Kind::kUnmapped;
    bool code = false;
    uint16_t mmio_slot = 0;
  };
  struct MmioRegion {
    uint32_t base = 0;
    uint32_t size = 0;
    MmioHandler* handler = nullptr;
  };
  uint8_t read_byte(uint32_t paddr);
  void write_byte(uint32_t paddr, uint8_t value);
  void unmap_mmio(uint32_t slot);

  size_t ram_size_;
  std::unique_ptr<uint8_t[]> ram_;
  std::vector<std::unique_ptr<uint8_t[]>> rom_images_;
  std::vector<Page> pages_;
  std::vector<MmioRegion> mmio_;
  std::vector<CodeWriteListener*> listeners_;
  uint64_t generation_ = 0;
};

}  // namespace tx86::core
