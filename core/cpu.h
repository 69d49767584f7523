// One x86 CPU as the engines see it: the architectural state (CpuState), the
// software TLB and the memory and port accessors every instruction goes
// through, and the pending-fault slot.
//
// Faults never unwind (DESIGN.md §6): an accessor that faults records the
// exception in `fault` and returns false; the caller returns false up to the
// engine, which delivers the exception with EIP still at the faulting
// instruction. Instruction handlers therefore write architectural state only
// after every access that can fault has succeeded.
//
// The TLB (DESIGN.md §5) maps linear pages to host pointers in addend form
// (host = addend + linear), with separate read, write and execute tags and
// one set per privilege class (supervisor / user). A RAM page that holds
// decoded or translated code never gets a write tag, so stores to it take the
// slow path, which tells the code caches. MMIO pages never get any tag.
// Segmentation: SDM Vol. 3A, 3.4 and 5.3; paging: SDM Vol. 3A, 4.3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/cpu_state.h"
#include "core/io_bus.h"
#include "core/memory.h"

namespace tx86::core {

// Exception vectors (SDM Vol. 3A, 6.3.1, table 6-1).
enum Vector : uint8_t {
  kDE = 0, kDB = 1, kNMI = 2, kBP = 3, kOFv = 4, kBR = 5, kUD = 6, kNM = 7,
  kDF = 8, kTS = 10, kNP = 11, kSS = 12, kGP = 13, kPF = 14, kMF = 16,
  kAC = 17, kMC = 18,
};

struct Fault {
  uint8_t vector = 0;
  bool has_error_code = false;
  uint32_t error_code = 0;
};

enum class Access : uint8_t { kRead, kWrite, kExecute };

struct CpuConfig {
  x86::CpuModel model = x86::CpuModel::kP6;
};

class Cpu {
 public:
  Cpu(PhysicalMemory& memory, PortBus& ports, CpuConfig config = {});
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  CpuState s;
  Fault fault;

  const CpuConfig& config() const { return config_; }
  x86::CpuModel model() const { return config_.model; }
  PhysicalMemory& memory() { return memory_; }
  PortBus& ports() { return ports_; }

  // Power-on reset (SDM Vol. 3A, 9.1.1, table 9-1): CS:IP = F000:FFF0 with
  // CS.base = 0xFFFF0000, real mode, A20 enabled.
  void reset();

  // --- faults ----------------------------------------------------------
  // Record an exception; always returns false so that `return raise(...)`
  // reads naturally in handlers.
  bool raise(uint8_t vector) {
    fault = Fault{vector, false, 0};
    return false;
  }
  bool raise(uint8_t vector, uint32_t error_code) {
    fault = Fault{vector, true, error_code};
    return false;
  }

  // --- A20 gate ----------------------------------------------------------
  // Bit 20 of the mask (the 286 bus mask has bits 24-31 clear either way).
  bool a20() const { return (a20_mask_ & (1u << 20)) != 0; }
  void set_a20(bool enabled);

  // --- TLB -----------------------------------------------------------------
  // Everything, global entries included (CR4.PGE/PSE/PAE changes, CR0.PG/WP).
  void flush_tlb();
  // Non-global entries only: what MOV to CR3 does (SDM Vol. 3A, 4.10.4.1).
  void flush_tlb_nonglobal();
  // The entries for the page holding `linear`, global or not (INVLPG). A
  // 4 MiB / 2 MiB page is cached as 4 KiB pieces; when any large page is
  // cached the whole TLB goes (over-invalidation is always allowed).
  void flush_tlb_page(uint32_t linear);
  // Guest-visible TLB invalidations so far: every flush_tlb,
  // flush_tlb_nonglobal and flush_tlb_page call (CR0/CR3/CR4 writes, INVLPG,
  // task switches, A20, reset), not the refills after a memory-map change.
  // The JIT's links compare it (jit/jit_engine.cpp: a link made before a
  // flush may name a page the mapping no longer has there).
  uint64_t tlb_flushes() const { return tlb_flushes_; }
  // The linear address of the last flush_tlb_page (INVLPG) and the
  // tlb_flushes() count it made: when the count is still that, the last
  // flush was that INVLPG.
  uint32_t last_invlpg_linear() const { return last_invlpg_linear_; }
  uint64_t last_invlpg_count() const { return last_invlpg_count_; }

  // --- PAE -------------------------------------------------------------------
  // Loads the four PDPTEs from the table CR3 points to into s.pdpte, as MOV
  // to CR3 (and to CR0/CR4 entering PAE paging) does (SDM Vol. 3A, 4.4.1). A
  // present PDPTE with a reserved bit set raises #GP(0), nothing loaded.
  bool load_pdptes(uint32_t cr3);
  // CR3 load as MOV to CR3 and task switches do it: the PDPTEs first with
  // PAE paging (#GP(0) and nothing changed on a reserved bit), then CR3,
  // then the non-global TLB entries go (SDM Vol. 3A, 4.4.1 and 4.10.4.1).
  bool load_cr3(uint32_t value);

  // --- debug registers (data breakpoints) -------------------------------------
  // Re-reads DR0-DR3/DR7 after a write to them. Pages overlapping an enabled
  // data breakpoint get no TLB entry, so every access to them takes the slow
  // path, which records hits in `data_breakpoint_hits` (DR6 B0-B3 bits;
  // SDM Vol. 3A, 17.2.5 and 17.3.1.2). The engine reports them as a #DB trap
  // after the instruction.
  void update_breakpoints();
  uint32_t data_breakpoint_hits = 0;

  // Debug-trap conditions of the instruction running (core/interp/debug.h;
  // the last two are read by the engine's #DB trap check after it and
  // cleared before each instruction run with debug checks):
  // - task_switch_trap: a task switch loaded a TSS whose T flag is set
  //   (SDM Vol. 3A, 17.3.1.5): #DB with DR6.BT before the new task's first
  //   instruction. Set by priv::task_switch, consumed by its caller.
  // - hold_debug_traps: MOV SS / POP SS: this instruction's single-step and
  //   data-breakpoint traps wait until after the next instruction (6.8.3).
  // - suppress_single_step: INT n / INT3 / INTO / INT1 delivered and cleared
  //   TF: no single-step trap for the INT instruction itself (17.3.1.4).
  bool task_switch_trap = false;
  bool hold_debug_traps = false;
  bool suppress_single_step = false;

  // --- segmented accesses (segment checks, then linear) ------------------
  template <typename T>
  bool read(unsigned seg, uint32_t offset, T& out) {
    if (!check_segment(seg, offset, sizeof(T), Access::kRead)) return false;
    return read_linear(s.seg[seg].base + offset, out);
  }
  template <typename T>
  bool write(unsigned seg, uint32_t offset, T value) {
    if (!check_segment(seg, offset, sizeof(T), Access::kWrite)) return false;
    return write_linear(s.seg[seg].base + offset, value);
  }
  // The read of a read-modify-write instruction (ADD m,r; INC m; XCHG m;
  // shifts, BTS...): the processor reads with write intent, so the segment
  // is checked for writing and paging checks the access as a write (a #PF
  // on it has W=1 in the error code, SDM Vol. 3A 4.7), before anything is
  // written.
  template <typename T>
  bool read_for_write(unsigned seg, uint32_t offset, T& out) {
    if (!check_segment(seg, offset, sizeof(T), Access::kWrite)) return false;
    return read_linear(s.seg[seg].base + offset, out, Access::kWrite);
  }
  // Checks that [offset, offset + size) of `seg` may be accessed
  // (limit, expand-down, rights); raises #GP(0) or #SS(0) if not.
  bool check_segment(unsigned seg, uint32_t offset, uint32_t size, Access access);
  // Whether `count` accesses of `size` bytes at offset, offset + size, ...
  // (a stack frame) would all pass check_segment. Every one needs the same
  // rights and alignment and lies between the first and the last, so those
  // two decide; a run that wraps past 4 GiB is refused without a fault. On
  // false, `fault` holds nothing callers may rely on: they redo the accesses
  // one by one to raise the first access's fault.
  bool check_segment_run(unsigned seg, uint32_t offset, uint32_t count, uint32_t size, Access access);

  // --- linear accesses (paging, TLB) ---------------------------------------
  template <typename T>
  bool read_linear(uint32_t linear, T& out, Access access = Access::kRead) {
    const TlbEntry& e = tlb_entry(linear);
    // kWrite: a read with write intent (read_for_write) needs the write tag.
    uint32_t tag = access == Access::kExecute ? e.exec_tag : access == Access::kWrite ? e.write_tag : e.read_tag;
    if (tag == (linear & ~kPageMask) && (linear & kPageMask) <= kPageSize - sizeof(T)) {
      std::memcpy(&out, reinterpret_cast<const void*>(e.addend + linear), sizeof(T));
      return true;
    }
    return read_linear_slow(linear, &out, sizeof(T), access);
  }
  template <typename T>
  bool write_linear(uint32_t linear, T value) {
    const TlbEntry& e = tlb_entry(linear);
    if (e.write_tag == (linear & ~kPageMask) && (linear & kPageMask) <= kPageSize - sizeof(T)) {
      std::memcpy(reinterpret_cast<void*>(e.addend + linear), &value, sizeof(T));
      return true;
    }
    return write_linear_slow(linear, &value, sizeof(T));
  }
  // Checks that a write of `size` bytes at `linear` would succeed (paging
  // permissions), without writing. For instructions that must not write
  // anything unless every write succeeds. A page whose TLB entry has a
  // write tag needs no walk: write_linear would take its fast path there.
  bool probe_write_linear(uint32_t linear, uint32_t size);

  // The TLB hit path of read_linear (Access::kRead) for a block: when
  // [linear, linear + size) lies in one page whose entry has a read tag,
  // copies the bytes out and returns true (the same as `size` byte reads
  // that all hit the TLB: no fault, no watched page). Otherwise reads
  // nothing and returns false. 0 < size <= 4096.
  bool read_linear_if_cached(uint32_t linear, void* out, uint32_t size) {
    const TlbEntry& e = tlb_entry(linear);
    if (e.read_tag != (linear & ~kPageMask) || (linear & kPageMask) > kPageSize - size) return false;
    std::memcpy(out, reinterpret_cast<const void*>(e.addend + linear), size);
    return true;
  }
  // The TLB hit path of write_linear for a block: when [linear, linear +
  // size) lies in one page whose entry has a write tag, copies the bytes
  // there and returns true (no fault is possible: the same as `size` byte
  // writes that all hit the TLB). Otherwise writes nothing and returns
  // false; the caller then takes its general path. 0 < size <= 4096.
  bool write_linear_if_cached(uint32_t linear, const void* bytes, uint32_t size) {
    const TlbEntry& e = tlb_entry(linear);
    if (e.write_tag != (linear & ~kPageMask) || (linear & kPageMask) > kPageSize - size) return false;
    std::memcpy(reinterpret_cast<void*>(e.addend + linear), bytes, size);
    return true;
  }

  // read_linear_if_cached as an implicit supervisor access (what it does
  // inside a SupervisorAccess scope: the supervisor TLB set, SDM Vol. 3A,
  // 4.6), without entering the scope. For descriptor and gate reads.
  bool read_supervisor_if_cached(uint32_t linear, void* out, uint32_t size) {
    if (memory_.generation() != tlb_generation_) clear_tlb();
    const TlbEntry& e = tlb_[0][(linear >> kPageShift) & (kTlbEntries - 1)];
    if (e.read_tag != (linear & ~kPageMask) || (linear & kPageMask) > kPageSize - size) return false;
    std::memcpy(out, reinterpret_cast<const void*>(e.addend + linear), size);
    return true;
  }
  // The host address of [linear, linear + size) when read_linear_if_cached
  // would copy from there, else null. Same rules as write_pointer_if_cached.
  const uint8_t* read_pointer_if_cached(uint32_t linear, uint32_t size) {
    const TlbEntry& e = tlb_entry(linear);
    if (e.read_tag != (linear & ~kPageMask) || (linear & kPageMask) > kPageSize - size) return nullptr;
    return reinterpret_cast<const uint8_t*>(e.addend + linear);
  }
  // The host address of [linear, linear + size) when write_linear_if_cached
  // would copy there (one page, its entry has a write tag), else null. For
  // a frame written in several pieces after one TLB lookup; nothing may
  // touch the TLB or memory map between the lookup and the writes.
  uint8_t* write_pointer_if_cached(uint32_t linear, uint32_t size) {
    const TlbEntry& e = tlb_entry(linear);
    if (e.write_tag != (linear & ~kPageMask) || (linear & kPageMask) > kPageSize - size) return nullptr;
    return reinterpret_cast<uint8_t*>(e.addend + linear);
  }

  // Translates a linear address for `access` at the current privilege,
  // filling the TLB; raises #PF on failure.
  bool translate(uint32_t linear, Access access, uint32_t& paddr);

  // Host pointer to the code at `linear` (for the decoder and decode caches)
  // and its physical address; null with `fault` set if the page cannot be
  // executed, null without a fault if it is MMIO or unmapped (the caller then
  // reads byte by byte with read_linear).
  const uint8_t* code_pointer(uint32_t linear, uint32_t& paddr);

  // Implicit supervisor-mode accesses (SDM Vol. 3A, 4.6): the CPU's own
  // accesses to the GDT, LDT, IDT and TSS (descriptor loads, interrupt
  // delivery, task switches, accessed/busy-bit updates) are checked by
  // paging as supervisor accesses whatever the CPL. Hold one of these
  // around them; the scopes nest.
  class SupervisorAccess {
   public:
    explicit SupervisorAccess(Cpu& cpu) : cpu_(cpu), saved_(cpu.implicit_supervisor_) {
      cpu.implicit_supervisor_ = true;
    }
    ~SupervisorAccess() { cpu_.implicit_supervisor_ = saved_; }
    SupervisorAccess(const SupervisorAccess&) = delete;
    SupervisorAccess& operator=(const SupervisorAccess&) = delete;

   private:
    Cpu& cpu_;
    bool saved_;
  };
  // Whether paging checks the current access as a user-mode one.
  bool user_access() const { return s.cpl == 3 && !implicit_supervisor_; }

  // --- port I/O (no permission checks: those are core/priv's) ----------------
  uint32_t port_in(uint16_t port, unsigned size) { return ports_.read(port, size); }
  void port_out(uint16_t port, uint32_t value, unsigned size) { ports_.write(port, value, size); }

  // Counters.
  uint64_t tlb_misses() const { return tlb_misses_; }

  // Where the JIT's inline TLB hit path (jit/emit_memory.cpp) finds the
  // TLB: byte offsets from &s of the set a privilege class uses and of the
  // memory generation the TLB was filled at, and the entry layout. Read-only.
  struct TlbLayout {
    int32_t set_offset = 0;
    int32_t generation_offset = 0;
    uint32_t entry_size = 0, entries = 0;
    uint32_t read_tag = 0, write_tag = 0, addend = 0;
  };
  TlbLayout tlb_layout(bool user) const {
    const auto from_s = [this](const void* p) {
      return static_cast<int32_t>(static_cast<const char*>(p) - reinterpret_cast<const char*>(&s));
    };
    return TlbLayout{from_s(&tlb_[user ? 1 : 0][0]), from_s(&tlb_generation_), sizeof(TlbEntry), kTlbEntries,
                     offsetof(TlbEntry, read_tag), offsetof(TlbEntry, write_tag), offsetof(TlbEntry, addend)};
  }

 private:
  struct TlbEntry {
    uint32_t read_tag = kInvalidTag;
    uint32_t write_tag = kInvalidTag;
    uint32_t exec_tag = kInvalidTag;
    uint32_t phys = 0;  // physical page address of the mapping
    uintptr_t addend = 0;
    bool global = false;  // G bit with CR4.PGE: survives MOV to CR3
  };
  // A data breakpoint: linear bytes [first, last], on writes or on both.
  struct DataWatch {
    uint32_t first = 0, last = 0;
    bool on_read = false;
    uint32_t bit = 0;
  };
  // Never a page address, nor one with the alignment bits of a 2- or 4-byte
  // access kept (the JIT's inline tag test, jit/emit_memory.cpp).
  static constexpr uint32_t kInvalidTag = 0xFFF;
  static constexpr unsigned kTlbEntries = 512;

  // Drops every entry (flush_tlb without counting: the memory map changed).
  void clear_tlb();
  TlbEntry& tlb_entry(uint32_t linear) {
    if (memory_.generation() != tlb_generation_) clear_tlb();
    return tlb_[user_access() ? 1 : 0][(linear >> kPageShift) & (kTlbEntries - 1)];
  }
  bool read_linear_slow(uint32_t linear, void* out, unsigned size, Access access);
  bool write_linear_slow(uint32_t linear, const void* in, unsigned size);
  // Page walk result: the physical address, whether a write may use the TLB
  // from now on, and whether the mapping is global / part of a large page.
  struct Walk {
    uint32_t paddr = 0;
    bool writable = true;
    bool global = false;
    bool large = false;
  };
  bool page_fault(uint32_t linear, uint32_t code) {
    s.cr2 = linear;
    return raise(kPF, code);
  }
  bool walk32(uint32_t linear, Access access, bool user, Walk& w);
  bool walk_pae(uint32_t linear, Access access, bool user, Walk& w);
  uint64_t read_entry64(uint32_t paddr) {
    paddr &= a20_mask_;
    return memory_.read(paddr, 4) | (uint64_t{memory_.read((paddr + 4) & a20_mask_, 4)} << 32);
  }
  bool page_watched(uint32_t linear) const;
  void check_watches(uint32_t linear, unsigned size, Access access);
  bool fill(uint32_t linear, Access access, uint32_t& paddr);

  PhysicalMemory& memory_;
  PortBus& ports_;
  CpuConfig config_;
  uint32_t a20_mask_ = 0xFFFFFFFFu;
  TlbEntry tlb_[2][kTlbEntries];
  uint64_t tlb_generation_ = 0;
  uint64_t tlb_misses_ = 0;
  uint64_t tlb_flushes_ = 0;
  uint64_t last_invlpg_count_ = 0;
  uint32_t last_invlpg_linear_ = 0;
  bool tlb_has_large_ = false;
  bool implicit_supervisor_ = false;
  DataWatch watches_[4];
  unsigned watch_count_ = 0;
};

}  // namespace tx86::core
