// MSR/CPUID family: CPUID, RDTSC, RDMSR, WRMSR (SDM Vol. 2 per instruction;
// MSR numbers: Vol. 4, table 2-2 for the P6 family).
//
// CPUID describes a family-6 CPU with exactly the features tx86 implements:
// DE, PSE, TSC, MSR (RDMSR/WRMSR for the MSRs below), PAE, CX8, SEP, PGE
// and CMOV. No FPU bit: the x87 is a later issue; no VME, MCE, MCA, MTRR,
// APIC, PAT. Extended leaf 80000008h reports 32 physical address bits, which
// makes bits 63:32 of PAE entries reserved (SDM Vol. 3A, 4.1.4). The
// time-stamp counter is the deterministic clock (retired instructions) plus
// CpuState::tsc_offset, so runs repeat exactly.
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
constexpr uint32_t kFeatDe = 1u << 2, kFeatPse = 1u << 3, kFeatTsc = 1u << 4, kFeatMsr = 1u << 5,
                   kFeatPae = 1u << 6, kFeatCx8 = 1u << 8, kFeatSep = 1u << 11, kFeatPge = 1u << 13,
                   kFeatCmov = 1u << 15;
constexpr uint32_t kFeatures = kFeatDe | kFeatPse | kFeatTsc | kFeatMsr | kFeatPae | kFeatCx8 | kFeatSep |
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

void register_msr_cpuid(HandlerTable& t) {
  t.set(M::kCpuid, cpuid);
  t.set(M::kRdtsc, rdtsc);
  t.set(M::kRdmsr, rdmsr);
  t.set(M::kWrmsr, wrmsr);
  register_sysenter(t);
}

}  // namespace tx86::core::priv
