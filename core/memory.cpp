#include "core/memory.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace tx86::core {

MmioRegistration& MmioRegistration::operator=(MmioRegistration&& other) noexcept {
  if (this != &other) {
    release();
    mem_ = other.mem_;
    slot_ = other.slot_;
    other.mem_ = nullptr;
  }
  return *this;
}

void MmioRegistration::release() {
  if (mem_ != nullptr) mem_->unmap_mmio(slot_);
  mem_ = nullptr;
}

PhysicalMemory::PhysicalMemory(size_t ram_bytes) : ram_size_(ram_bytes), pages_(kPhysPages) {
  if (ram_bytes == 0 || ram_bytes % kPageSize != 0 || ram_bytes > (size_t{3} << 30))
    throw std::invalid_argument("RAM size must be a positive multiple of 4 KiB, at most 3 GiB");
  ram_.reset(new uint8_t[ram_bytes]());
  for (uint32_t page = 0; page < ram_bytes / kPageSize; ++page) {
    uint32_t addr = page << kPageShift;
    if (addr >= 0xA0000 && addr < 0x100000) continue;  // legacy hole
    pages_[page].host = ram_.get() + addr;
    pages_[page].kind = Kind::kRam;
  }
  mmio_.emplace_back();  // slot 0 is "none"
}

void PhysicalMemory::map_rom(uint32_t base, std::span<const uint8_t> image) {
  if ((base & kPageMask) != 0 || image.size() % kPageSize != 0 || image.empty() ||
      uint64_t{base} + image.size() > (uint64_t{1} << 32))
    throw std::invalid_argument("ROM must be page-aligned and a whole number of pages");
  auto copy = std::make_unique<uint8_t[]>(image.size());
  std::copy(image.begin(), image.end(), copy.get());
  for (size_t off = 0; off < image.size(); off += kPageSize) {
    Page& p = pages_[(base + off) >> kPageShift];
    p.host = copy.get() + off;
    p.kind = Kind::kRom;
    p.mmio_slot = 0;
  }
  rom_images_.push_back(std::move(copy));
  ++generation_;
}

void PhysicalMemory::map_ram(uint32_t base, uint32_t size) {
  if ((base & kPageMask) != 0 || size % kPageSize != 0 || uint64_t{base} + size > ram_size_)
    throw std::invalid_argument("map_ram: range is not page-aligned RAM");
  for (uint32_t off = 0; off < size; off += kPageSize) {
    Page& p = pages_[(base + off) >> kPageShift];
    p.host = ram_.get() + base + off;
    p.kind = Kind::kRam;
    p.mmio_slot = 0;
  }
  ++generation_;
}

MmioRegistration PhysicalMemory::map_mmio(uint32_t base, uint32_t size, MmioHandler& handler) {
  if ((base & kPageMask) != 0 || size == 0 || size % kPageSize != 0 ||
      uint64_t{base} + size > (uint64_t{1} << 32))
    throw std::invalid_argument("MMIO regions must be page-aligned");
  uint32_t slot = 1;
  while (slot < mmio_.size() && mmio_[slot].handler != nullptr) ++slot;
  if (slot == mmio_.size()) mmio_.emplace_back();
  if (slot > 0xFFFF) throw std::logic_error("too many MMIO regions");
  mmio_[slot] = MmioRegion{base, size, &handler};
  for (uint32_t off = 0; off < size; off += kPageSize) {
    Page& p = pages_[(base + off) >> kPageShift];
    if (p.kind == Kind::kMmio) throw std::logic_error("MMIO regions overlap");
    p.host = nullptr;
    p.kind = Kind::kMmio;
    p.mmio_slot = static_cast<uint16_t>(slot);
  }
  ++generation_;
  return MmioRegistration(this, slot);
}

void PhysicalMemory::unmap_mmio(uint32_t slot) {
  MmioRegion& r = mmio_[slot];
  for (uint32_t off = 0; off < r.size; off += kPageSize) {
    uint32_t addr = r.base + off;
    Page& p = pages_[addr >> kPageShift];
    p.mmio_slot = 0;
    // What lay under the region comes back: RAM if the address is RAM
    // outside the legacy hole, otherwise nothing.
    if (addr < ram_size_ && !(addr >= 0xA0000 && addr < 0x100000)) {
      p.host = ram_.get() + addr;
      p.kind = Kind::kRam;
    } else {
      p.host = nullptr;
      p.kind = Kind::kUnmapped;
    }
  }
  r = MmioRegion{};
  ++generation_;
}

void PhysicalMemory::set_page_has_code(uint32_t page, bool has_code) {
  if (pages_[page].code == has_code) return;
  pages_[page].code = has_code;
  ++generation_;
}

void PhysicalMemory::remove_code_listener(CodeWriteListener* listener) {
  std::erase(listeners_, listener);
}

uint8_t PhysicalMemory::read_byte(uint32_t paddr) {
  const Page& p = pages_[paddr >> kPageShift];
  if (p.host != nullptr) return p.host[paddr & kPageMask];
  if (p.kind == Kind::kMmio) {
    const MmioRegion& r = mmio_[p.mmio_slot];
    return static_cast<uint8_t>(r.handler->mmio_read(paddr - r.base, 1));
  }
  return 0xFF;
}

void PhysicalMemory::write_byte(uint32_t paddr, uint8_t value) {
  Page& p = pages_[paddr >> kPageShift];
  if (p.kind == Kind::kRam) {
    p.host[paddr & kPageMask] = value;
  } else if (p.kind == Kind::kMmio) {
    const MmioRegion& r = mmio_[p.mmio_slot];
    r.handler->mmio_write(paddr - r.base, value, 1);
  }
}

uint32_t PhysicalMemory::read(uint32_t paddr, unsigned size) {
  const Page& p = pages_[paddr >> kPageShift];
  bool one_page = (paddr & kPageMask) + size <= kPageSize;
  if (one_page && p.kind == Kind::kMmio) {
    const MmioRegion& r = mmio_[p.mmio_slot];
    return r.handler->mmio_read(paddr - r.base, size);
  }
  if (one_page && p.host != nullptr) {
    uint32_t v = 0;
    std::memcpy(&v, p.host + (paddr & kPageMask), size);
    return v;
  }
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint32_t{read_byte(paddr + i)} << (8 * i);
  return v;
}

void PhysicalMemory::write(uint32_t paddr, uint32_t value, unsigned size) {
  const Page& p = pages_[paddr >> kPageShift];
  bool one_page = (paddr & kPageMask) + size <= kPageSize;
  if (one_page && p.kind == Kind::kMmio) {
    const MmioRegion& r = mmio_[p.mmio_slot];
    r.handler->mmio_write(paddr - r.base, value, size);
    return;
  }
  if (one_page && p.kind == Kind::kRam) {
    std::memcpy(p.host + (paddr & kPageMask), &value, size);
  } else {
    for (unsigned i = 0; i < size; ++i) write_byte(paddr + i, static_cast<uint8_t>(value >> (8 * i)));
  }
  // Code listeners run after the store, so they see the new bytes.
  bool code = p.code || (!one_page && pages_[(paddr + size - 1) >> kPageShift].code);
  if (code)
    for (CodeWriteListener* l : listeners_) l->code_written(paddr, size);
}

void PhysicalMemory::load(uint32_t paddr, std::span<const uint8_t> bytes) {
  const uint64_t end = std::min<uint64_t>(uint64_t{paddr} + bytes.size(), uint64_t{1} << 32);
  for (uint64_t addr = paddr; addr < end;) {
    // One page at a time: copy what is RAM or ROM, then tell the code
    // listeners exactly which bytes of a code page changed.
    const uint64_t page_end = std::min<uint64_t>((addr | kPageMask) + 1, end);
    Page& p = pages_[addr >> kPageShift];
    if (p.host != nullptr) {
      std::copy(bytes.begin() + static_cast<long>(addr - paddr), bytes.begin() + static_cast<long>(page_end - paddr),
                p.host + (addr & kPageMask));
      if (p.code)
        for (CodeWriteListener* l : listeners_)
          l->code_written(static_cast<uint32_t>(addr), static_cast<unsigned>(page_end - addr));
    }
    addr = page_end;
  }
}

void PhysicalMemory::peek(uint32_t paddr, std::span<uint8_t> out) const {
  for (size_t i = 0; i < out.size(); ++i) {
    const uint32_t a = paddr + static_cast<uint32_t>(i);  // wraps at 4 GiB like the bus
    const Page& p = pages_[a >> kPageShift];
    out[i] = p.host != nullptr ? p.host[a & kPageMask] : 0xFF;
  }
}

}  // namespace tx86::core
