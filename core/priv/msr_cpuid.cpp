// MSR/CPUID family: CPUID, RDTSC, RDMSR, WRMSR (SDM Vol. 2 per instruction;
// MSR numbers: Vol. 4, table 2-2 for the P6 family).
//
// CPUID describes a family-6 CPU with exactly the features tx86 implements:
// TSC, MSR (RDMSR/WRMSR for the MSRs below), CX8 and CMOV. No FPU bit: the
// x87 is a later issue. The time-stamp counter is the deterministic clock
// (retired instructions) plus CpuState::tsc_offset, so runs repeat exactly.
#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;

constexpr uint32_t kMsrTsc = 0x10;
constexpr uint32_t kMsrSysenterCs = 0x174;
constexpr uint32_t kMsrSysenterEsp = 0x175;
constexpr uint32_t kMsrSysenterEip = 0x176;

// CPUID.1:EDX bits (SDM Vol. 2 "CPUID", table 3-11).
constexpr uint32_t kFeatTsc = 1u << 4, kFeatMsr = 1u << 5, kFeatCx8 = 1u << 8, kFeatCmov = 1u << 15;
// Family 6, model 1, stepping 1: the Pentium Pro signature, matching EDX at reset.
constexpr uint32_t kSignature = 0x00000611;

bool cpuid(ExecContext& c, const x86::Insn&) {
  c.priv.count(Family::kMsrCpuid, c.s.cpl);
  uint32_t* r = c.s.gpr;
  uint32_t leaf = r[x86::kEax];
  // Leaves above the maximum return the highest basic leaf (Intel behaviour).
  if (leaf > 1) leaf = 1;
  if (leaf == 0) {
    r[x86::kEax] = 1;
    r[x86::kEbx] = 0x756E6547;  // "Genu"
    r[x86::kEdx] = 0x49656E69;  // "ineI"
    r[x86::kEcx] = 0x6C65746E;  // "ntel"
  } else {
    r[x86::kEax] = kSignature;
    r[x86::kEbx] = 0;
    r[x86::kEcx] = 0;
    r[x86::kEdx] = kFeatTsc | kFeatMsr | kFeatCx8 | kFeatCmov;
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
}

}  // namespace tx86::core::priv
