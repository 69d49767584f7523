// MSR/CPUID family: CPUID, RDTSC, RDPMC, RDMSR, WRMSR (SDM Vol. 2 per
// instruction; MSR numbers: Vol. 4, table 2-2 for the P6 family), and the
// P6 performance-monitoring counters declared in perf_counters.h.
//
// CPUID describes a family-6 CPU with exactly the features tx86 implements:
// VME (CR4.VME and CR4.PVI), DE, PSE, TSC, MSR (RDMSR/WRMSR for the MSRs
// below), PAE, CX8, SEP, PGE and CMOV. No FPU bit: the x87 is a later
// issue; no MCE, MCA, MTRR,
// APIC, PAT. RDPMC and the two P6 counters have no CPUID bit: family 6
// implies them (no architectural-perfmon leaf 0Ah: the maximum leaf is 1). Extended leaf 80000008h reports 32 physical address bits, which
// makes bits 63:32 of PAE entries reserved (SDM Vol. 3A, 4.1.4). The
// time-stamp counter is the deterministic clock (retired instructions) plus
// CpuState::tsc_offset, so runs repeat exactly.
#include "core/priv/perf_counters.h"
#include "core/priv/priv.h"
#include "core/priv/sysenter.h"

#include <cstring>

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;

constexpr uint32_t kMsrTsc = 0x10;
constexpr uint32_t kMsrSysenterCs = 0x174;
constexpr uint32_t kMsrSysenterEsp = 0x175;
constexpr uint32_t kMsrSysenterEip = 0x176;
// MSRs Linux reads on a family-6 CPU (SDM Vol. 4, table 2-2/2-3):
// IA32_PLATFORM_ID (microcode update matching), IA32_BIOS_SIGN_ID (the
// microcode revision: WRMSR 0 then CPUID then RDMSR), EBL_CR_POWERON
// (bus configuration, read-only here).
constexpr uint32_t kMsrPlatformId = 0x17;
constexpr uint32_t kMsrEblCrPoweron = 0x2A;
constexpr uint32_t kMsrBiosSignId = 0x8B;

// CPUID.1:EDX bits (SDM Vol. 2 "CPUID", table 3-11).
constexpr uint32_t kFeatVme = 1u << 1, kFeatDe = 1u << 2, kFeatPse = 1u << 3, kFeatTsc = 1u << 4, kFeatMsr = 1u << 5,
                   kFeatPae = 1u << 6, kFeatCx8 = 1u << 8, kFeatSep = 1u << 11, kFeatPge = 1u << 13,
                   kFeatCmov = 1u << 15;
constexpr uint32_t kFeatures = kFeatVme | kFeatDe | kFeatPse | kFeatTsc | kFeatMsr | kFeatPae | kFeatCx8 | kFeatSep |
                               kFeatPge | kFeatCmov;
// Family 6, model 3, stepping 3 (matching EDX at reset, core/cpu.cpp).
// Not model 1: SDM Vol. 2 "SYSENTER" says family 6 with model < 3 and
// stepping < 3 reports SEP without supporting it, and kernels ignore SEP there.
constexpr uint32_t kSignature = 0x00000633;
constexpr uint32_t kMaxBasicLeaf = 1;
constexpr uint32_t kMaxExtendedLeaf = 0x80000008;

// Brand string for leaves 80000002h-80000004h, 48 bytes NUL padded.
constexpr char kBrand[49] = "tx86 virtual P6-class CPU";

void brand_leaf(uint32_t* r, unsigned part) {
  uint32_t words[4];
  std::memcpy(words, kBrand + 16 * part, 16);
  r[x86::kEax] = words[0];
  r[x86::kEbx] = words[1];
  r[x86::kEcx] = words[2];
  r[x86::kEdx] = words[3];
}

bool cpuid(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kMsrCpuid, c.s.cpl);
  uint32_t* r = c.s.gpr;
  uint32_t leaf = r[x86::kEax];
  // Leaves above the maximum return the highest basic leaf (Intel behaviour).
  if (leaf >= 0x80000000u ? leaf > kMaxExtendedLeaf : leaf > kMaxBasicLeaf) leaf = kMaxBasicLeaf;
  r[x86::kEax] = r[x86::kEbx] = r[x86::kEcx] = r[x86::kEdx] = 0;
  switch (leaf) {
    case 0:
      r[x86::kEax] = kMaxBasicLeaf;
      r[x86::kEbx] = 0x756E6547;  // "Genu"
      r[x86::kEdx] = 0x49656E69;  // "ineI"
      r[x86::kEcx] = 0x6C65746E;  // "ntel"
      break;
    case 1:
      r[x86::kEax] = kSignature;
      r[x86::kEdx] = kFeatures;
      break;
    case 0x80000000u: r[x86::kEax] = kMaxExtendedLeaf; break;
    case 0x80000002u: brand_leaf(r, 0); break;
    case 0x80000003u: brand_leaf(r, 1); break;
    case 0x80000004u: brand_leaf(r, 2); break;
    case 0x80000008u: r[x86::kEax] = 0x00002020; break;  // 32 physical, 32 linear address bits
    default: break;  // 80000001h (no NX, no LM), 80000005h-7h: all zero
  }
  return true;
}

bool rdtsc(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kMsrCpuid, c.s.cpl);
  if ((c.s.cr4 & kCr4TSD) && c.s.protected_mode() && c.s.cpl != 0) return c.cpu.raise(kGP, 0);
  const uint64_t t = tsc(c);
  c.s.gpr[x86::kEax] = uint32_t(t);
  c.s.gpr[x86::kEdx] = uint32_t(t >> 32);
  return true;
}

bool rdmsr(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kMsrCpuid, c.s.cpl);
  if ((c.s.protected_mode() && c.s.cpl != 0) || c.s.v86()) return c.cpu.raise(kGP, 0);
  uint64_t v;
  bool pmc = false;
  if (!pmc_read_msr(c, c.s.gpr[x86::kEcx], v, pmc)) return false;
  if (pmc) {
    c.s.gpr[x86::kEax] = uint32_t(v);
    c.s.gpr[x86::kEdx] = uint32_t(v >> 32);
    return true;
  }
  switch (c.s.gpr[x86::kEcx]) {
    case kMsrTsc: v = tsc(c); break;
    case kMsrSysenterCs: v = c.s.sysenter_cs; break;
    case kMsrSysenterEsp: v = c.s.sysenter_esp; break;
    case kMsrSysenterEip: v = c.s.sysenter_eip; break;
    case kMsrPlatformId: v = 0; break;  // platform 0 (bits 52:50)
    case kMsrEblCrPoweron: v = 0; break;
    case kMsrBiosSignId: v = 0; break;  // no microcode loaded: revision 0
    default: return c.cpu.raise(kGP, 0);
  }
  c.s.gpr[x86::kEax] = uint32_t(v);
  c.s.gpr[x86::kEdx] = uint32_t(v >> 32);
  return true;
}

bool wrmsr(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kMsrCpuid, c.s.cpl);
  if ((c.s.protected_mode() && c.s.cpl != 0) || c.s.v86()) return c.cpu.raise(kGP, 0);
  const uint64_t v = (uint64_t{c.s.gpr[x86::kEdx]} << 32) | c.s.gpr[x86::kEax];
  bool pmc = false;
  if (!pmc_write_msr(c, c.s.gpr[x86::kEcx], v, pmc)) return false;
  if (pmc) return true;
  switch (c.s.gpr[x86::kEcx]) {
    // Writing the TSC sets the offset so that RDTSC now reads `v`.
    case kMsrTsc: c.s.tsc_offset = v - c.machine.clock().retired(); break;
    case kMsrSysenterCs: c.s.sysenter_cs = uint32_t(v); break;
    case kMsrSysenterEsp: c.s.sysenter_esp = uint32_t(v); break;
    case kMsrSysenterEip: c.s.sysenter_eip = uint32_t(v); break;
    // Writing BIOS_SIGN_ID is how software asks for the revision: accepted,
    // the revision stays 0. EBL_CR_POWERON is read-only here.
    case kMsrBiosSignId: break;
    default: return c.cpu.raise(kGP, 0);
  }
  return true;
}

}  // namespace

// ---- P6 performance-monitoring counters (perf_counters.h) ----
namespace {

constexpr uint64_t kCounterMask = (uint64_t{1} << 40) - 1;
constexpr uint32_t kUsr = 1u << 16, kOs = 1u << 17, kEn = kPerfEvtSelEn;
// PerfEvtSel bit 21 is reserved; EN (bit 22) exists in PerfEvtSel0 only.
constexpr uint32_t kSelReserved0 = 1u << 21;
constexpr uint32_t kSelReserved1 = (1u << 21) | kEn;
constexpr uint8_t kEventInstRetired = 0xC0, kEventCycles = 0x79;

}  // namespace

void pmc_count(CpuState& s, uint64_t delta, unsigned cpl) {
  for (unsigned n = 0; n < 2; ++n) {
    const uint32_t sel = s.perfevtsel[n];
    const uint8_t event = uint8_t(sel);
    if (event != kEventInstRetired && event != kEventCycles) continue;
    if (!(sel & (cpl == 0 ? kOs : kUsr))) continue;
    s.perfctr[n] = (s.perfctr[n] + delta) & kCounterMask;
  }
}

bool pmc_read_msr(ExecContext& c, uint32_t msr, uint64_t& value, bool& handled) {
  handled = true;
  pmc_sync(c);
  switch (msr) {
    case kMsrPerfCtr0: value = c.s.perfctr[0]; return true;
    case kMsrPerfCtr1: value = c.s.perfctr[1]; return true;
    case kMsrPerfEvtSel0: value = c.s.perfevtsel[0]; return true;
    case kMsrPerfEvtSel1: value = c.s.perfevtsel[1]; return true;
    default: handled = false; return true;
  }
}

bool pmc_write_msr(ExecContext& c, uint32_t msr, uint64_t value, bool& handled) {
  handled = true;
  pmc_sync(c);
  const uint32_t lo = uint32_t(value);
  switch (msr) {
    // P6: only the low 32 bits are written; bits 39:32 are a sign
    // extension of bit 31 (SDM Vol. 3B, P6 family "WRMSR ... counters").
    case kMsrPerfCtr0:
    case kMsrPerfCtr1:
      c.s.perfctr[msr - kMsrPerfCtr0] = uint64_t(int64_t(int32_t(lo))) & kCounterMask;
      return true;
    case kMsrPerfEvtSel0:
    case kMsrPerfEvtSel1: {
      const unsigned n = msr - kMsrPerfEvtSel0;
      if ((value >> 32) != 0 || (lo & (n == 0 ? kSelReserved0 : kSelReserved1))) return c.cpu.raise(kGP, 0);
      c.s.perfevtsel[n] = lo;
      return true;
    }
    default: handled = false; return true;
  }
}

bool rdpmc(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kMsrCpuid, c.s.cpl);
  // CPL 0 (real mode included) or CR4.PCE; V86 mode runs at CPL 3.
  const bool allowed = c.s.v86() ? (c.s.cr4 & kCr4PCE) != 0
                                 : (!c.s.protected_mode() || c.s.cpl == 0 || (c.s.cr4 & kCr4PCE) != 0);
  if (!allowed) return c.cpu.raise(kGP, 0);
  const uint32_t n = c.s.gpr[x86::kEcx];
  if (n > 1) return c.cpu.raise(kGP, 0);  // the P6 has counters 0 and 1
  pmc_sync(c);
  c.s.gpr[x86::kEax] = uint32_t(c.s.perfctr[n]);
  c.s.gpr[x86::kEdx] = uint32_t(c.s.perfctr[n] >> 32);
  return true;
}

void register_msr_cpuid(HandlerTable& t) {
  t.set(M::kCpuid, cpuid);
  t.set(M::kRdtsc, rdtsc);
  t.set(M::kRdmsr, rdmsr);
  t.set(M::kWrmsr, wrmsr);
  t.set(M::kRdpmc, rdpmc);
  register_sysenter(t);
}

}  // namespace tx86::core::priv
