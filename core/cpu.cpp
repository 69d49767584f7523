#include "core/cpu.h"

namespace tx86::core {

namespace {

// Page-table entry bits (SDM Vol. 3A, 4.3, tables 4-4 to 4-6).
constexpr uint32_t kPteP = 1u << 0, kPteRW = 1u << 1, kPteUS = 1u << 2;
constexpr uint32_t kPteA = 1u << 5, kPteD = 1u << 6, kPtePS = 1u << 7;
// #PF error code bits (SDM Vol. 3A, 4.7).
constexpr uint32_t kPfPresent = 1u << 0, kPfWrite = 1u << 1, kPfUser = 1u << 2;

// The physical address bus: 24 lines on the 80286, 32 on later models.
uint32_t bus_mask(x86::CpuModel model) {
  return model == x86::CpuModel::k286 ? 0x00FFFFFFu : 0xFFFFFFFFu;
}

}  // namespace

Cpu::Cpu(PhysicalMemory& memory, PortBus& ports, CpuConfig config)
    : memory_(memory), ports_(ports), config_(config) {
  reset();
}

void Cpu::reset() {
  s = CpuState{};
  fault = Fault{};
  // SDM Vol. 3A, table 9-1: CS selector F000, base FFFF0000, limit FFFF;
  // EIP 0000FFF0; EDX holds the processor signature.
  s.seg[x86::kCs].selector = 0xF000;
  s.seg[x86::kCs].base = config_.model == x86::CpuModel::k286 ? 0x00FF0000u : 0xFFFF0000u;
  s.eip = 0xFFF0;
  s.gpr[x86::kEdx] = config_.model == x86::CpuModel::k286 ? 0 : 0x00000611;  // family 6, model 1
  if (config_.model == x86::CpuModel::k286) s.cr0 = 0xFFF0;  // MSW reserved bits read as 1
  a20_mask_ = bus_mask(config_.model);
  flush_tlb();
}

void Cpu::set_a20(bool enabled) {
  uint32_t mask = bus_mask(config_.model) & (enabled ? 0xFFFFFFFFu : ~(1u << 20));
  if (mask != a20_mask_) {
    a20_mask_ = mask;
    flush_tlb();
  }
}

void Cpu::flush_tlb() {
  for (auto& set : tlb_)
    for (TlbEntry& e : set) e = TlbEntry{};
  tlb_generation_ = memory_.generation();
}

void Cpu::flush_tlb_page(uint32_t linear) {
  for (auto& set : tlb_) {
    TlbEntry& e = set[(linear >> kPageShift) & (kTlbEntries - 1)];
    if (e.read_tag == (linear & ~kPageMask) || e.write_tag == (linear & ~kPageMask) ||
        e.exec_tag == (linear & ~kPageMask))
      e = TlbEntry{};
  }
}

bool Cpu::check_segment(unsigned seg, uint32_t offset, uint32_t size, Access access) {
  const SegmentCache& sc = s.seg[seg];
  // The 80286 in real mode reports a segment-limit (wrap) fault through SS
  // as #GP too (SingleStepTests 286 vectors, README "differences").
  const bool real286 = config_.model == x86::CpuModel::k286 && !s.protected_mode();
  const uint8_t vector = seg == x86::kSs && !real286 ? kSS : kGP;
  const unsigned type = sc.attrs & 0xF;
  const bool code = (type & 8) != 0;
  if (s.protected_mode() && !s.v86()) {
    // A null or not-present cached descriptor (a null selector loaded into
    // DS/ES/FS/GS) faults on use (SDM Vol. 3A, 3.4.2 and 5.4.1).
    if ((sc.attrs & SegmentCache::kSegPresent) == 0) return raise(vector, 0);
    if (access == Access::kWrite && (code || (type & 2) == 0)) return raise(vector, 0);
    if (access == Access::kRead && code && (type & 2) == 0) return raise(vector, 0);
  }
  const uint32_t last = size - 1;
  if (!code && (type & 4) != 0) {
    // Expand-down: valid offsets are (limit, upper] (SDM Vol. 3A, 5.3).
    const uint32_t upper = sc.big() ? 0xFFFFFFFFu : 0xFFFFu;
    if (offset <= sc.limit || offset > upper || last > upper - offset) return raise(vector, 0);
  } else if (offset > sc.limit || last > sc.limit - offset) {
    return raise(vector, 0);
  }
  // Alignment check (SDM Vol. 3A, 6.15 interrupt 17): CR0.AM, EFLAGS.AC and
  // CPL 3 make a misaligned data access #AC(0).
  if (size > 1 && ((sc.base + offset) & (size - 1)) != 0 && s.cpl == 3 && (s.cr0 & kCr0AM) &&
      (s.eflags & x86::kAC))
    return raise(kAC, 0);
  return true;
}

bool Cpu::walk(uint32_t linear, Access access, bool user, uint32_t& paddr, bool& writable_out) {
  const bool write = access == Access::kWrite;
  const uint32_t pf_code = (write ? kPfWrite : 0) | (user ? kPfUser : 0);
  const uint32_t pde_addr = ((s.cr3 & ~kPageMask) | ((linear >> 20) & 0xFFC)) & a20_mask_;
  uint32_t pde = memory_.read(pde_addr, 4);
  if ((pde & kPteP) == 0) {
    s.cr2 = linear;
    return raise(kPF, pf_code);
  }
  const bool large = (pde & kPtePS) != 0 && (s.cr4 & kCr4PSE) != 0;
  uint32_t pte = pde;
  uint32_t pte_addr = pde_addr;
  if (!large) {
    pte_addr = ((pde & ~kPageMask) | ((linear >> 10) & 0xFFC)) & a20_mask_;
    pte = memory_.read(pte_addr, 4);
    if ((pte & kPteP) == 0) {
      s.cr2 = linear;
      return raise(kPF, pf_code);
    }
  }
  // Effective rights: both levels must allow (SDM Vol. 3A, 4.6.1).
  const bool user_ok = (pde & kPteUS) != 0 && (pte & kPteUS) != 0;
  const bool rw = (pde & kPteRW) != 0 && (pte & kPteRW) != 0;
  const bool wp = (s.cr0 & kCr0WP) != 0;
  if ((user && !user_ok) || (write && !rw && (user || wp))) {
    s.cr2 = linear;
    return raise(kPF, pf_code | kPfPresent);
  }
  // Accessed and dirty bits (SDM Vol. 3A, 4.8).
  if ((pde & kPteA) == 0 || (large && write && (pde & kPteD) == 0)) {
    pde |= kPteA | (large && write ? kPteD : 0);
    memory_.write(pde_addr, pde, 4);
  }
  if (!large && ((pte & kPteA) == 0 || (write && (pte & kPteD) == 0))) {
    pte |= kPteA | (write ? kPteD : 0);
    memory_.write(pte_addr, pte, 4);
  }
  paddr = large ? (pte & 0xFFC00000u) | (linear & 0x003FFFFFu) : (pte & ~kPageMask) | (linear & kPageMask);
  // A write may use the TLB only once the entry is dirty and writable here.
  writable_out = (pte & kPteD) != 0 && (rw || (!user && !wp));
  return true;
}

bool Cpu::fill(uint32_t linear, Access access, uint32_t& paddr) {
  const bool user = s.cpl == 3;
  bool writable = true;
  if (s.paging()) {
    if (!walk(linear, access, user, paddr, writable)) return false;
  } else {
    paddr = linear;
  }
  paddr &= a20_mask_;
  const uint32_t page = paddr >> kPageShift;
  uint8_t* host = memory_.host_page(page);
  if (host == nullptr) return true;  // MMIO or unmapped: slow path every time
  TlbEntry& e = tlb_entry(linear);
  const uint32_t tag = linear & ~kPageMask;
  const uintptr_t addend = reinterpret_cast<uintptr_t>(host) - tag;
  if (e.addend != addend) e = TlbEntry{};
  e.addend = addend;
  e.phys = paddr & ~kPageMask;
  e.read_tag = tag;
  e.exec_tag = tag;
  if (access == Access::kWrite && writable && memory_.page_writable(page) && !memory_.page_has_code(page))
    e.write_tag = tag;
  return true;
}

bool Cpu::translate(uint32_t linear, Access access, uint32_t& paddr) {
  ++tlb_misses_;
  return fill(linear, access, paddr);
}

bool Cpu::read_linear_slow(uint32_t linear, void* out, unsigned size, Access access) {
  auto* bytes = static_cast<uint8_t*>(out);
  if ((linear & kPageMask) + size > kPageSize) {
    // Page-crossing: both pages must be readable; assemble byte by byte.
    uint32_t first = 0, second = 0;
    const uint32_t split = kPageSize - (linear & kPageMask);
    if (!translate(linear, access, first) || !translate(linear + split, access, second)) return false;
    for (unsigned i = 0; i < size; ++i)
      bytes[i] = static_cast<uint8_t>(memory_.read(i < split ? first + i : second + (i - split), 1));
    return true;
  }
  uint32_t paddr = 0;
  if (!translate(linear, access, paddr)) return false;
  uint32_t v = memory_.read(paddr, size);
  std::memcpy(out, &v, size);
  return true;
}

bool Cpu::write_linear_slow(uint32_t linear, const void* in, unsigned size) {
  const auto* bytes = static_cast<const uint8_t*>(in);
  if ((linear & kPageMask) + size > kPageSize) {
    // Both pages are checked before either is written (no partial stores).
    uint32_t first = 0, second = 0;
    const uint32_t split = kPageSize - (linear & kPageMask);
    if (!translate(linear, Access::kWrite, first) || !translate(linear + split, Access::kWrite, second))
      return false;
    for (unsigned i = 0; i < size; ++i)
      memory_.write(i < split ? first + i : second + (i - split), bytes[i], 1);
    return true;
  }
  uint32_t paddr = 0;
  if (!translate(linear, Access::kWrite, paddr)) return false;
  uint32_t v = 0;
  std::memcpy(&v, in, size);
  memory_.write(paddr, v, size);
  return true;
}

bool Cpu::probe_write_linear(uint32_t linear, uint32_t size) {
  if (!s.paging() || size == 0) return true;
  uint32_t paddr = 0;
  const uint32_t last = linear + size - 1;
  for (uint32_t page = linear & ~kPageMask;; page += kPageSize) {
    if (!translate(page < linear ? linear : page, Access::kWrite, paddr)) return false;
    if (page == (last & ~kPageMask)) break;
  }
  return true;
}

const uint8_t* Cpu::code_pointer(uint32_t linear, uint32_t& paddr) {
  const TlbEntry& e = tlb_entry(linear);
  if (e.exec_tag == (linear & ~kPageMask)) {
    paddr = e.phys | (linear & kPageMask);
    return reinterpret_cast<const uint8_t*>(e.addend + linear);
  }
  if (!translate(linear, Access::kExecute, paddr)) return nullptr;
  uint8_t* host = memory_.host_page(paddr >> kPageShift);
  return host == nullptr ? nullptr : host + (paddr & kPageMask);
}

}  // namespace tx86::core
