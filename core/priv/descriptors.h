// Protected-mode descriptors as the segment, gate and task-switch code sees
// them: fetching a descriptor from the GDT/LDT (SDM Vol. 3A, 3.4.5 and 3.5),
// the accessed and busy bits written back, loading a segment cache, and the
// task switch (SDM Vol. 3A, 7.3) shared by far JMP/CALL, IRET and delivery
// through task gates.
//
// Descriptor-table and TSS accesses are implicit supervisor accesses (SDM
// Vol. 3A, 4.6.1): SupervisorAccess runs them with the supervisor TLB and
// page rights even when CPL is 3.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/cpu.h"

namespace tx86::core::priv {

// System descriptor types (SDM Vol. 3A, 3.5, table 3-2).
enum SystemType : unsigned {
  kTss16Avail = 1, kLdt = 2, kTss16Busy = 3, kCallGate16 = 4, kTaskGate = 5, kIntGate16 = 6,
  kTrapGate16 = 7, kTss32Avail = 9, kTss32Busy = 11, kCallGate32 = 12, kIntGate32 = 14, kTrapGate32 = 15,
};

struct Descriptor {
  uint32_t lo = 0, hi = 0;
  uint32_t base = 0;
  uint32_t limit = 0;    // scaled by G
  uint16_t attrs = 0;    // SegmentCache::attrs layout
  uint32_t address = 0;  // linear address of the descriptor (accessed/busy bits)

  unsigned type() const { return attrs & 0xF; }
  unsigned dpl() const { return (attrs >> 5) & 3; }
  bool present() const { return attrs & SegmentCache::kSegPresent; }
  bool system() const { return !(attrs & SegmentCache::kSegS); }
  bool code() const { return !system() && (attrs & 8); }
  bool data() const { return !system() && !(attrs & 8); }
  bool conforming() const { return code() && (attrs & 4); }
  bool readable_code() const { return code() && (attrs & 2); }
  bool writable_data() const { return data() && (attrs & 2); }
  bool tss() const {
    const unsigned t = type();
    return system() && (t == kTss16Avail || t == kTss16Busy || t == kTss32Avail || t == kTss32Busy);
  }
  bool tss_busy() const { return attrs & 2; }
  bool tss32() const { return attrs & 8; }
  // Gate fields (SDM Vol. 3A, 5.8.3 figure 5-8 and 6.11 figure 6-2).
  uint16_t gate_selector() const { return uint16_t(lo >> 16); }
  uint32_t gate_offset() const { return (lo & 0xFFFF) | (hi & 0xFFFF0000u); }
  unsigned gate_params() const { return hi & 0x1F; }
};

// Runs descriptor-table and TSS accesses as supervisor accesses (the CPU's
// own scope: paging checks them as supervisor accesses whatever the CPL,
// without touching CPL itself).
using SupervisorAccess = Cpu::SupervisorAccess;

// True when `sel` (not null) indexes inside its table (GDT, or a valid LDT).
bool selector_in_table(const CpuState& s, uint16_t sel);

// Reads the 8 bytes of a descriptor or gate at `linear` (low doubleword,
// then high), with the caller's SupervisorAccess: one copy when the TLB
// holds the page, else two doubleword reads (the second may #PF).
inline bool read_descriptor_words(Cpu& cpu, uint32_t linear, uint32_t& lo, uint32_t& hi) {
  uint32_t words[2];
  if (cpu.read_linear_if_cached(linear, words, 8)) {
    lo = words[0];
    hi = words[1];
    return true;
  }
  return cpu.read_linear<uint32_t>(linear, lo) && cpu.read_linear<uint32_t>(linear + 4, hi);
}

// Fills base, limit (scaled by G) and attrs from the raw words d.lo, d.hi
// (SDM Vol. 3A, 3.4.5, figure 3-8).
inline void decode_descriptor(Descriptor& d) {
  d.base = (d.lo >> 16) | ((d.hi & 0xFF) << 16) | (d.hi & 0xFF000000u);
  const uint32_t limit = (d.lo & 0xFFFF) | (d.hi & 0x000F0000u);
  d.attrs = uint16_t((d.hi >> 8) & 0xF0FF);
  d.limit = (d.attrs & SegmentCache::kSegGranularity) ? (limit << 12) | 0xFFF : limit;
}

// fetch_descriptor's general path: any selector, LDT references, reads
// that miss the TLB or fault.
bool fetch_descriptor_slow(Cpu& cpu, uint16_t sel, Descriptor& d, uint8_t vector, uint32_t ext);

// Reads the descriptor of `sel`. A selector outside its table raises
// `vector`((sel & ~3) | ext); memory faults (#PF) pass through. Inline for
// the usual case (every INT, IRET and far transfer fetches one or two): a
// GDT selector inside the limit whose descriptor the supervisor TLB holds.
inline bool fetch_descriptor(Cpu& cpu, uint16_t sel, Descriptor& d, uint8_t vector = kGP, uint32_t ext = 0) {
  const CpuState& s = cpu.s;
  if ((sel & 4) == 0 && (sel | 7u) <= s.gdtr.limit) {
    d.address = s.gdtr.base + (sel & ~7u);
    uint32_t words[2];
    if (cpu.read_supervisor_if_cached(d.address, words, 8)) {
      d.lo = words[0];
      d.hi = words[1];
      decode_descriptor(d);
      return true;
    }
  }
  return fetch_descriptor_slow(cpu, sel, d, vector, ext);
}

// Sets the accessed bit of a code/data descriptor in memory (SDM Vol. 3A,
// 3.4.5: the processor sets it on a segment-register load). Inline: the bit
// is almost always set already.
bool set_accessed_slow(Cpu& cpu, Descriptor& d);
inline bool set_accessed(Cpu& cpu, Descriptor& d) {
  return (d.attrs & SegmentCache::kSegAccessed) != 0 || set_accessed_slow(cpu, d);
}

// Sets (busy = true) or clears the busy bit of a TSS descriptor in memory.
bool set_tss_busy(Cpu& cpu, uint32_t descriptor_address, bool busy);

// Fills a segment cache from a descriptor.
inline void load_cache(SegmentCache& sc, uint16_t sel, const Descriptor& d) {
  sc.selector = sel;
  sc.base = d.base;
  sc.limit = d.limit;
  sc.attrs = d.attrs;
}

// A null segment cache (null selector in DS/ES/FS/GS: faults on use).
inline void load_null(SegmentCache& sc, uint16_t sel) {
  sc.selector = sel;
  sc.base = 0;
  sc.limit = 0;
  sc.attrs = 0;
}

// Why a task switch happens (SDM Vol. 3A, 7.3: busy bits, NT and the link
// depend on it).
enum class TaskSwitchReason : uint8_t { kJmp, kCall, kIret, kInterrupt };

// Switches to the task of TSS selector `sel` with descriptor `tss`
// (SDM Vol. 3A, 7.3). `return_eip` is the EIP saved in the old TSS; `ext`
// the EXT bit for error codes. Faults found before the old state is saved
// leave everything unchanged; faults found while loading the new task's
// segments are raised in the new task's context (EIP already the new one),
// as the SDM specifies (table 7-1). On success CS:EIP, CPL and everything
// else belong to the new task, and cpu.task_switch_trap tells whether the
// new TSS has its T flag set: the caller then calls interp::task_switch_trap.
bool task_switch(Cpu& cpu, uint16_t sel, Descriptor tss, TaskSwitchReason reason, uint32_t return_eip,
                 uint32_t ext);

// Reads the inner-level stack pointer for privilege level `dpl` from the
// current TSS (SDM Vol. 3A, 6.12.1 and 5.8.5), raising #TS(TR | ext) when
// the TSS is too short.
bool tss_stack(Cpu& cpu, unsigned dpl, uint16_t& ss, uint32_t& esp, uint32_t ext);

// Checks and fetches the new SS for an inner-level stack switch (SDM Vol.
// 3A, 5.8.5 and 6.12.1): #TS for a null/bad selector, #SS if not present.
bool check_inner_ss(Cpu& cpu, uint16_t ss, unsigned dpl, Descriptor& d, uint32_t ext);

// A stack under construction for pushes that must all succeed before any
// state changes: limit and expand-down checks against `cache`, then the
// linear writes, done as one probe-then-write unit by commit().
struct NewStack {
  // A call gate copies up to 31 doublewords above SS, ESP, CS, EIP.
  static constexpr unsigned kMaxBytes = 160;
  SegmentCache cache;
  uint32_t esp;
  uint16_t fault_sel;  // error-code selector for #SS (0 for the current stack)
  uint32_t ext = 0;
  uint8_t bytes[kMaxBytes];  // only the last `size` are ever read
  unsigned size = 0;         // bytes pushed so far (stored top-down)
  unsigned unit = 4;         // 2 once anything 16-bit was pushed

  [[gnu::always_inline]] void push16(uint16_t v) {
    unit = 2;
    put(&v, 2);
  }
  [[gnu::always_inline]] void push32(uint32_t v) { put(&v, 4); }
  [[gnu::always_inline]] void push(uint32_t v, bool big) { big ? push32(v) : push16(uint16_t(v)); }
  // Checks the room and writes everything; on success `esp` is the new top.
  // `cpl` is the privilege the writes are made at (the new CPL).
  bool commit(Cpu& cpu, unsigned cpl);

 private:
  [[gnu::always_inline]] void put(const void* p, unsigned n) {
    if (size + n > kMaxBytes) return;  // bounded by the callers (assert-free: frames are small)
    size += n;
    std::memcpy(bytes + kMaxBytes - size, p, n);
  }
};

}  // namespace tx86::core::priv
