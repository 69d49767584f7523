// SYSENTER / SYSEXIT (see sysenter.h). The segment caches they set are the
// fixed ones of the SDM's Operation sections: base 0, limit 4 GiB, 32-bit,
// code type 11 (execute/read, accessed) and data type 3 (read/write,
// accessed), DPL 0 for SYSENTER and 3 for SYSEXIT.
#include "core/priv/sysenter.h"

#include "core/priv/perf_counters.h"
#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;

SegmentCache flat_segment(uint16_t selector, uint16_t type, unsigned dpl) {
  SegmentCache sc;
  sc.selector = selector;
  sc.base = 0;
  sc.limit = 0xFFFFFFFFu;
  sc.attrs = uint16_t(type | SegmentCache::kSegS | (dpl << SegmentCache::kSegDplShift) |
                      SegmentCache::kSegPresent | SegmentCache::kSegDefaultBig | SegmentCache::kSegGranularity);
  return sc;
}

bool sysenter(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kGatesTaskSwitch, c.s.cpl);
  PmcScope pmc(c);
  // #GP(0) in real-address mode or with a null IA32_SYSENTER_CS (bits 15:2).
  if (!c.s.protected_mode() || (c.s.sysenter_cs & 0xFFFC) == 0) return c.cpu.raise(kGP, 0);
  const uint16_t cs = uint16_t(c.s.sysenter_cs & 0xFFFC);
  c.s.eflags &= ~(x86::kVM | x86::kIF | x86::kRF);
  c.s.seg[x86::kCs] = flat_segment(cs, SegmentCache::kSegCodeReadable, 0);
  c.s.seg[x86::kSs] = flat_segment(uint16_t(cs + 8), SegmentCache::kSegWritableData, 0);
  c.s.cpl = 0;
  c.s.gpr[x86::kEsp] = c.s.sysenter_esp;
  c.next_eip = c.s.sysenter_eip;
  c.attention = true;  // CS, CPL and the TLB set changed
  return true;
}

bool sysexit(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kGatesTaskSwitch, c.s.cpl);
  PmcScope pmc(c);
  // #GP(0) with a null IA32_SYSENTER_CS, at CPL != 0 (V86 mode runs at 3)
  // or in real-address mode.
  if (!c.s.protected_mode() || c.s.v86() || c.s.cpl != 0 || (c.s.sysenter_cs & 0xFFFC) == 0)
    return c.cpu.raise(kGP, 0);
  const uint16_t cs = uint16_t(c.s.sysenter_cs);
  c.s.seg[x86::kCs] = flat_segment(uint16_t((cs + 16) | 3), SegmentCache::kSegCodeReadable, 3);
  c.s.seg[x86::kSs] = flat_segment(uint16_t((cs + 24) | 3), SegmentCache::kSegWritableData, 3);
  c.s.cpl = 3;
  c.s.gpr[x86::kEsp] = c.s.gpr[x86::kEcx];
  c.next_eip = c.s.gpr[x86::kEdx];
  c.attention = true;
  return true;
}

}  // namespace

void register_sysenter(interp::HandlerTable& t) {
  t.set(M::kSysenter, sysenter);
  t.set(M::kSysexit, sysexit);
}

}  // namespace tx86::core::priv
