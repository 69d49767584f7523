#include "core/cpu.h"

namespace tx86::core {

namespace {

// Page-table entry bits (SDM Vol. 3A, 4.3, tables 4-4 to 4-6).
constexpr uint32_t kPteP = 1u << 0, kPteRW = 1u << 1, kPteUS = 1u << 2;
constexpr uint32_t kPteA = 1u << 5, kPteD = 1u << 6, kPtePS = 1u << 7, kPteG = 1u << 8;
// #PF error code bits (SDM Vol. 3A, 4.7).
constexpr uint32_t kPfPresent = 1u << 0, kPfWrite = 1u << 1, kPfUser = 1u << 2, kPfRsvd = 1u << 3;

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
  s.gpr[x86::kEdx] = config_.model == x86::CpuModel::k286 ? 0 : 0x00000633;  // family 6, model 3, stepping 3 (CPUID.1:EAX)
  if (config_.model == x86::CpuModel::k286) s.cr0 = 0xFFF0;  // MSW reserved bits read as 1
  a20_mask_ = bus_mask(config_.model);
  watch_count_ = 0;
  data_breakpoint_hits = 0;
  implicit_supervisor_ = false;
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
  ++tlb_flushes_;
  clear_tlb();
}

void Cpu::clear_tlb() {
  for (auto& set : tlb_)
    for (TlbEntry& e : set) e = TlbEntry{};
  tlb_generation_ = memory_.generation();
  tlb_has_large_ = false;
}

void Cpu::flush_tlb_nonglobal() {
  ++tlb_flushes_;
  if (memory_.generation() != tlb_generation_) return clear_tlb();
  for (auto& set : tlb_)
    for (TlbEntry& e : set)
      if (!e.global) e = TlbEntry{};
}

void Cpu::flush_tlb_page(uint32_t linear) {
  ++tlb_flushes_;
  last_invlpg_count_ = tlb_flushes_;
  last_invlpg_linear_ = linear;
  if (tlb_has_large_) return clear_tlb();
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

bool Cpu::check_segment_run(unsigned seg, uint32_t offset, uint32_t count, uint32_t size, Access access) {
  const uint32_t last = offset + (count - 1) * size;
  if (count == 0 || last < offset) return false;
  return check_segment(seg, offset, size, access) && (count == 1 || check_segment(seg, last, size, access));
}

// 32-bit paging (SDM Vol. 3A, 4.3): a PDE, then a PTE unless CR4.PSE and
// PDE.PS make it a 4 MiB page (whose bits 21:13 are reserved: no PSE-36).
bool Cpu::walk32(uint32_t linear, Access access, bool user, Walk& w) {
  const bool write = access == Access::kWrite;
  const uint32_t pf_code = (write ? kPfWrite : 0) | (user ? kPfUser : 0);
  const uint32_t pde_addr = ((s.cr3 & ~kPageMask) | ((linear >> 20) & 0xFFC)) & a20_mask_;
  uint32_t pde = memory_.read(pde_addr, 4);
  if ((pde & kPteP) == 0) return page_fault(linear, pf_code);
  const bool large = (pde & kPtePS) != 0 && (s.cr4 & kCr4PSE) != 0;
  // Reserved bits are checked before rights; RSVD implies P (4.7).
  if (large && (pde & 0x003FE000u) != 0) return page_fault(linear, pf_code | kPfPresent | kPfRsvd);
  uint32_t pte = pde;
  uint32_t pte_addr = pde_addr;
  if (!large) {
    pte_addr = ((pde & ~kPageMask) | ((linear >> 10) & 0xFFC)) & a20_mask_;
    pte = memory_.read(pte_addr, 4);
    if ((pte & kPteP) == 0) return page_fault(linear, pf_code);
  }
  // Effective rights: both levels must allow (SDM Vol. 3A, 4.6.1).
  const bool user_ok = (pde & kPteUS) != 0 && (pte & kPteUS) != 0;
  const bool rw = (pde & kPteRW) != 0 && (pte & kPteRW) != 0;
  const bool wp = (s.cr0 & kCr0WP) != 0;
  if ((user && !user_ok) || (write && !rw && (user || wp))) return page_fault(linear, pf_code | kPfPresent);
  // Accessed and dirty bits (SDM Vol. 3A, 4.8): A in every entry used, D in
  // the entry that maps the page, only for an access that succeeds.
  if ((pde & kPteA) == 0 || (large && write && (pde & kPteD) == 0)) {
    pde |= kPteA | (large && write ? kPteD : 0);
    memory_.write(pde_addr, pde, 4);
  }
  if (!large && ((pte & kPteA) == 0 || (write && (pte & kPteD) == 0))) {
    pte |= kPteA | (write ? kPteD : 0);
    memory_.write(pte_addr, pte, 4);
  }
  w.paddr = large ? (pte & 0xFFC00000u) | (linear & 0x003FFFFFu) : (pte & ~kPageMask) | (linear & kPageMask);
  // A write may use the TLB only once the entry is dirty and writable here,
  // so that the first write through a clean entry walks and sets D.
  w.writable = (pte & kPteD) != 0 && (rw || (!user && !wp));
  w.global = (pte & kPteG) != 0 && (s.cr4 & kCr4PGE) != 0;
  w.large = large;
  return true;
}

// PAE paging (SDM Vol. 3A, 4.4): PDPTE from the registers loaded at MOV to
// CR3, then 64-bit PDE and PTE. MAXPHYADDR is 32 (CPUID 80000008h), so bits
// 63:32 of every entry are reserved (bit 63 is XD, reserved with EFER.NXE =
// 0, and there is no EFER); a 2 MiB PDE also reserves bits 20:13.
bool Cpu::walk_pae(uint32_t linear, Access access, bool user, Walk& w) {
  const bool write = access == Access::kWrite;
  const uint32_t pf_code = (write ? kPfWrite : 0) | (user ? kPfUser : 0);
  const uint64_t pdpte = s.pdpte[linear >> 30];
  if ((pdpte & kPteP) == 0) return page_fault(linear, pf_code);
  const uint32_t pde_addr = (uint32_t(pdpte) & ~kPageMask) | ((linear >> 18) & 0xFF8);
  const uint64_t pde = read_entry64(pde_addr);
  if ((pde & kPteP) == 0) return page_fault(linear, pf_code);
  const bool large = (pde & kPtePS) != 0;
  if ((pde >> 32) != 0 || (large && (pde & 0x001FE000u) != 0))
    return page_fault(linear, pf_code | kPfPresent | kPfRsvd);
  uint64_t pte = pde;
  uint32_t pte_addr = pde_addr;
  if (!large) {
    pte_addr = (uint32_t(pde) & ~kPageMask) | ((linear >> 9) & 0xFF8);
    pte = read_entry64(pte_addr);
    if ((pte & kPteP) == 0) return page_fault(linear, pf_code);
    if ((pte >> 32) != 0) return page_fault(linear, pf_code | kPfPresent | kPfRsvd);
  }
  const bool user_ok = (pde & kPteUS) != 0 && (pte & kPteUS) != 0;
  const bool rw = (pde & kPteRW) != 0 && (pte & kPteRW) != 0;
  const bool wp = (s.cr0 & kCr0WP) != 0;
  if ((user && !user_ok) || (write && !rw && (user || wp))) return page_fault(linear, pf_code | kPfPresent);
  // A/D updates write the low dword only: the high half is never touched.
  uint32_t lo_pde = uint32_t(pde), lo_pte = uint32_t(pte);
  if ((lo_pde & kPteA) == 0 || (large && write && (lo_pde & kPteD) == 0)) {
    lo_pde |= kPteA | (large && write ? kPteD : 0);
    memory_.write(pde_addr & a20_mask_, lo_pde, 4);
  }
  if (!large && ((lo_pte & kPteA) == 0 || (write && (lo_pte & kPteD) == 0))) {
    lo_pte |= kPteA | (write ? kPteD : 0);
    memory_.write(pte_addr & a20_mask_, lo_pte, 4);
  }
  if (large) lo_pte = lo_pde;
  w.paddr = large ? (lo_pte & 0xFFE00000u) | (linear & 0x001FFFFFu) : (lo_pte & ~kPageMask) | (linear & kPageMask);
  w.writable = (lo_pte & kPteD) != 0 && (rw || (!user && !wp));
  w.global = (lo_pte & kPteG) != 0 && (s.cr4 & kCr4PGE) != 0;
  w.large = large;
  return true;
}

bool Cpu::load_pdptes(uint32_t cr3) {
  uint64_t e[4];
  const uint32_t base = cr3 & 0xFFFFFFE0u;
  for (unsigned i = 0; i < 4; ++i) {
    e[i] = read_entry64(base + 8 * i);
    // Table 4-8: bits 2:1, 8:5 and 63:MAXPHYADDR are reserved.
    if ((e[i] & kPteP) != 0 && ((e[i] & 0x1E6u) != 0 || (e[i] >> 32) != 0)) return raise(kGP, 0);
  }
  for (unsigned i = 0; i < 4; ++i) s.pdpte[i] = e[i];
  return true;
}

bool Cpu::load_cr3(uint32_t value) {
  if (s.paging() && (s.cr4 & kCr4PAE) != 0 && !load_pdptes(value)) return false;
  // In 32-bit mode the ignored bits of CR3 read back as written.
  s.cr3 = value;
  flush_tlb_nonglobal();
  return true;
}

bool Cpu::fill(uint32_t linear, Access access, uint32_t& paddr) {
  const bool user = user_access();
  Walk w;
  if (s.paging()) {
    const bool ok = (s.cr4 & kCr4PAE) != 0 ? walk_pae(linear, access, user, w) : walk32(linear, access, user, w);
    if (!ok) return false;
    paddr = w.paddr;
  } else {
    paddr = linear;
  }
  paddr &= a20_mask_;
  const uint32_t page = paddr >> kPageShift;
  uint8_t* host = memory_.host_page(page);
  if (host == nullptr) return true;  // MMIO or unmapped: slow path every time
  if (watch_count_ != 0 && page_watched(linear)) return true;  // data breakpoint: slow path
  TlbEntry& e = tlb_entry(linear);
  const uint32_t tag = linear & ~kPageMask;
  const uintptr_t addend = reinterpret_cast<uintptr_t>(host) - tag;
  if (e.addend != addend || e.global != w.global) e = TlbEntry{};
  e.addend = addend;
  e.phys = paddr & ~kPageMask;
  e.global = w.global;
  tlb_has_large_ |= w.large;
  e.read_tag = tag;
  e.exec_tag = tag;
  if (access == Access::kWrite && w.writable && memory_.page_writable(page) && !memory_.page_has_code(page))
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
    if (watch_count_ != 0) check_watches(linear, size, access);
    return true;
  }
  uint32_t paddr = 0;
  if (!translate(linear, access, paddr)) return false;
  uint32_t v = memory_.read(paddr, size);
  std::memcpy(out, &v, size);
  if (watch_count_ != 0) check_watches(linear, size, access);
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
    if (watch_count_ != 0) check_watches(linear, size, Access::kWrite);
    return true;
  }
  uint32_t paddr = 0;
  if (!translate(linear, Access::kWrite, paddr)) return false;
  uint32_t v = 0;
  std::memcpy(&v, in, size);
  memory_.write(paddr, v, size);
  if (watch_count_ != 0) check_watches(linear, size, Access::kWrite);
  return true;
}

bool Cpu::probe_write_linear(uint32_t linear, uint32_t size) {
  if (!s.paging() || size == 0) return true;
  uint32_t paddr = 0;
  const uint32_t last = linear + size - 1;
  for (uint32_t page = linear & ~kPageMask;; page += kPageSize) {
    const uint32_t at = page < linear ? linear : page;
    if (tlb_entry(at).write_tag != page && !translate(at, Access::kWrite, paddr)) return false;
    if (page == (last & ~kPageMask)) break;
  }
  return true;
}

void Cpu::update_breakpoints() {
  watch_count_ = 0;
  const uint32_t dr7 = s.dr[7];
  for (unsigned n = 0; n < 4; ++n) {
    if (((dr7 >> (2 * n)) & 3) == 0) continue;
    const uint32_t rw = (dr7 >> (16 + 4 * n)) & 3, len = (dr7 >> (18 + 4 * n)) & 3;
    // R/W 00 is an instruction breakpoint (the engine's), 10 is I/O
    // (only with CR4.DE, which tx86 does not implement for I/O: undefined).
    if (rw != 1 && rw != 3) continue;
    // LEN 00/01/11 = 1/2/4 bytes; 10 is 8 bytes on later CPUs, undefined
    // on the P6: taken as 8. The address is aligned down to the length
    // (17.2.5: the low bits are ignored).
    const uint32_t size = len == 0 ? 1 : len == 1 ? 2 : len == 3 ? 4 : 8;
    const uint32_t first = s.dr[n] & ~(size - 1);
    watches_[watch_count_++] = DataWatch{first, first + size - 1, rw == 3, 1u << n};
  }
  flush_tlb();  // pages now watched must lose their fast-path entries
}

bool Cpu::page_watched(uint32_t linear) const {
  const uint32_t page = linear & ~kPageMask;
  for (unsigned i = 0; i < watch_count_; ++i)
    if ((watches_[i].first & ~kPageMask) == page || (watches_[i].last & ~kPageMask) == page) return true;
  return false;
}

void Cpu::check_watches(uint32_t linear, unsigned size, Access access) {
  if (access == Access::kExecute) return;  // fetches never hit data breakpoints
  const uint32_t last = linear + size - 1;
  for (unsigned i = 0; i < watch_count_; ++i) {
    const DataWatch& w = watches_[i];
    if (access == Access::kRead && !w.on_read) continue;
    if (linear <= w.last && last >= w.first) data_breakpoint_hits |= w.bit;
  }
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
