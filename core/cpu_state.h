// The architectural state of one x86 CPU: registers, segment descriptor
// caches, control and system registers. Plain data, no behaviour: the
// interpreter, the JIT (which addresses fields by offset) and snapshots all
// work on this one struct.
//
// SDM Vol. 3A, 2.1 (system-level registers) and 3.4.3 (segment registers and
// their hidden descriptor caches).
#pragma once

#include <cstdint>

#include "frontend-x86/insn.h"

namespace tx86::core {

using x86::Gpr;
using x86::Sreg;

// Hidden part of a segment register (SDM Vol. 3A, 3.4.3). In real mode a
// selector load sets base = selector << 4 and keeps limit and attributes
// (which is what makes "unreal mode" possible).
struct SegmentCache {
  uint16_t selector = 0;
  uint32_t base = 0;
  uint32_t limit = 0xFFFF;  // byte-granular, already scaled by G
  // Descriptor bytes 5 and 6 as one word, limit bits masked out: bits 0..7
  // the access byte (type, S, DPL, P), bit 12 AVL, 13 L, 14 D/B, 15 G.
  uint16_t attrs = kSegPresent | kSegWritableData;

  static constexpr uint16_t kSegAccessed = 1 << 0;
  static constexpr uint16_t kSegWritableData = 0x3;  // type 3: data, read/write, accessed
  static constexpr uint16_t kSegCodeReadable = 0xB;  // type 11: code, exec/read, accessed
  static constexpr uint16_t kSegS = 1 << 4;          // code/data (not system)
  static constexpr uint16_t kSegDplShift = 5;
  static constexpr uint16_t kSegPresent = 1 << 7;
  static constexpr uint16_t kSegDefaultBig = 1 << 14;  // D/B
  static constexpr uint16_t kSegGranularity = 1 << 15;

  bool big() const { return (attrs & kSegDefaultBig) != 0; }
};

// A descriptor-table register (GDTR, IDTR) or system segment (LDTR, TR).
struct TableRegister {
  uint32_t base = 0;
  uint16_t limit = 0xFFFF;
};

// CR0 bits (SDM Vol. 3A, 2.5).
enum Cr0 : uint32_t {
  kCr0PE = 1u << 0, kCr0MP = 1u << 1, kCr0EM = 1u << 2, kCr0TS = 1u << 3,
  kCr0ET = 1u << 4, kCr0NE = 1u << 5, kCr0WP = 1u << 16, kCr0AM = 1u << 18,
  kCr0NW = 1u << 29, kCr0CD = 1u << 30, kCr0PG = 1u << 31,
};
// CR4 bits (SDM Vol. 3A, 2.5).
enum Cr4 : uint32_t {
  kCr4VME = 1u << 0, kCr4PVI = 1u << 1, kCr4TSD = 1u << 2, kCr4DE = 1u << 3,
  kCr4PSE = 1u << 4, kCr4PAE = 1u << 5, kCr4MCE = 1u << 6, kCr4PGE = 1u << 7,
  kCr4PCE = 1u << 8,
};

struct CpuState {
  uint32_t gpr[8] = {};  // EAX ECX EDX EBX ESP EBP ESI EDI (x86::Gpr order)
  uint32_t eip = 0;
  uint32_t eflags = 0x2;  // bit 1 is always set
  SegmentCache seg[6];    // ES CS SS DS FS GS (x86::Sreg order)

  uint32_t cr0 = kCr0ET;  // reset value 0x00000010 (SDM Vol. 3A, 9.1.1, table 9-1)
  uint32_t cr2 = 0;
  uint32_t cr3 = 0;
  uint32_t cr4 = 0;
  uint32_t dr[8] = {0, 0, 0, 0, 0, 0, 0xFFFF0FF0u, 0x00000400u};
  // PAE: the four PDPTEs as loaded by the last MOV to CR3/CR0/CR4 (SDM Vol.
  // 3A, 4.4.1: the walk uses these registers, not the table in memory).
  uint64_t pdpte[4] = {};

  TableRegister gdtr;
  TableRegister idtr{0, 0x3FF};  // real-mode IVT at 0, 256 vectors
  SegmentCache ldtr;
  SegmentCache tr;

  uint8_t cpl = 0;
  bool halted = false;            // HLT executed, waiting for an interrupt
  bool interrupt_shadow = false;  // after STI / MOV SS / POP SS: no interrupt
                                  // before the next instruction (SDM Vol. 3A, 6.8.3)
  // DR6 bits (BS, B0-B3) of debug traps raised by a MOV SS / POP SS, held
  // until after the next instruction (SDM Vol. 3A, 6.8.3).
  uint32_t held_debug_traps = 0;

  // MSR-backed state kept with the registers so that snapshots see it.
  uint64_t tsc_offset = 0;
  uint32_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  // P6 performance monitoring (core/priv/perf_counters.h): PerfEvtSel0/1
  // and the 40-bit PerfCtr0/1, brought up to date lazily from the clock
  // (pmc_clock: retired count at the last update, pmc_cpl: CPL since then).
  uint32_t perfevtsel[2] = {};
  uint64_t perfctr[2] = {};
  uint64_t pmc_clock = 0;
  uint8_t pmc_cpl = 0;

  // --- convenient views -------------------------------------------------
  uint16_t ip() const { return static_cast<uint16_t>(eip); }
  uint8_t reg8(unsigned r) const {  // AL CL DL BL AH CH DH BH
    return r < 4 ? static_cast<uint8_t>(gpr[r]) : static_cast<uint8_t>(gpr[r - 4] >> 8);
  }
  void set_reg8(unsigned r, uint8_t v) {
    if (r < 4) gpr[r] = (gpr[r] & ~0xFFu) | v;
    else gpr[r - 4] = (gpr[r - 4] & ~0xFF00u) | (uint32_t{v} << 8);
  }
  uint16_t reg16(unsigned r) const { return static_cast<uint16_t>(gpr[r]); }
  void set_reg16(unsigned r, uint16_t v) { gpr[r] = (gpr[r] & 0xFFFF0000u) | v; }

  bool protected_mode() const { return (cr0 & kCr0PE) != 0; }
  bool paging() const { return (cr0 & kCr0PG) != 0; }
  bool v86() const { return (eflags & x86::kVM) != 0; }
  bool code32() const { return seg[x86::kCs].big(); }
  bool stack32() const { return seg[x86::kSs].big(); }

  // Loads a segment register the real-mode / V86 way (SDM Vol. 3A, 20.1.1):
  // only selector and base change; limit and attributes stay as cached.
  void load_segment_real(unsigned s, uint16_t selector) {
    seg[s].selector = selector;
    seg[s].base = uint32_t{selector} << 4;
  }
};

}  // namespace tx86::core
