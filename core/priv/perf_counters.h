// P6-family performance-monitoring counters (defined in msr_cpuid.cpp) (SDM Vol. 3B, "Performance
// Monitoring", P6 family; MSRs: Vol. 4, table 2-3): PerfEvtSel0/1 (MSR
// 186h/187h) and PerfCtr0/1 (MSR C1h/C2h, 40 bits), read by RDMSR and
// RDPMC (Vol. 2 "RDPMC": #GP(0) unless CPL 0 or CR4.PCE = 1, ECX 0 or 1).
//
// What counts: with EN (PerfEvtSel0 bit 22, which enables both counters)
// set, a counter whose event is C0h (INST_RETIRED) or 79h (CPU_CLK_UNHALTED:
// under tx86's deterministic clock one cycle per retired instruction) counts
// the clock's units (retired instructions, plus the one unit each exception
// delivery costs) while the CPL matches its USR (CPL 1-3) / OS (CPL 0) bits.
// Unit mask, edge detect, CMASK and INV are stored but not applied; every
// other event is stored and never counts; the INT bit raises nothing (no
// local APIC). Counters are updated lazily: pmc_sync() before and after
// every operation that changes CPL (far transfers, IRET, SYSENTER/SYSEXIT,
// interrupt and exception delivery) and at each counter access, so an
// instruction that changes CPL counts at its new CPL.
#pragma once

#include <cstdint>

#include "core/interp/exec_context.h"

namespace tx86::core::priv {

using interp::ExecContext;

constexpr uint32_t kMsrPerfCtr0 = 0xC1, kMsrPerfCtr1 = 0xC2;
constexpr uint32_t kMsrPerfEvtSel0 = 0x186, kMsrPerfEvtSel1 = 0x187;

// PerfEvtSel0.EN: enables both counters.
constexpr uint32_t kPerfEvtSelEn = 1u << 22;

// Adds `delta` clock units, run at `cpl`, to the counters that count them.
void pmc_count(CpuState& s, uint64_t delta, unsigned cpl);

// Adds the clock units since the last update to the counters that counted
// them, and notes the current CPL. Inline: every interrupt delivery and
// far transfer syncs twice, and the counters are almost always disabled.
inline void pmc_sync(CpuState& s, uint64_t retired_now) {
  const uint64_t delta = retired_now - s.pmc_clock;
  s.pmc_clock = retired_now;
  const unsigned cpl = s.pmc_cpl;
  s.pmc_cpl = s.cpl;
  if (delta != 0 && (s.perfevtsel[0] & kPerfEvtSelEn)) pmc_count(s, delta, cpl);
}
inline void pmc_sync(ExecContext& c) { pmc_sync(c.s, c.machine.clock().retired()); }

// Syncs on construction and destruction: wraps a handler that may change CPL.
class PmcScope {
 public:
  explicit PmcScope(ExecContext& c) : c_(c) { pmc_sync(c_); }
  ~PmcScope() { pmc_sync(c_); }
  PmcScope(const PmcScope&) = delete;
  PmcScope& operator=(const PmcScope&) = delete;

 private:
  ExecContext& c_;
};

// RDMSR / WRMSR of the four MSRs above. `handled` is false for any other
// MSR. A write with reserved bits set raises #GP(0) (returns false).
bool pmc_read_msr(ExecContext& c, uint32_t msr, uint64_t& value, bool& handled);
bool pmc_write_msr(ExecContext& c, uint32_t msr, uint64_t value, bool& handled);

// RDPMC (0F 33).
bool rdpmc(ExecContext& c, const x86::Insn& i);

}  // namespace tx86::core::priv
