// Trap counters of the trap-and-emulate handlers (DESIGN.md §3): one counter
// per handler family and guest CPL, printed by the CLI's --stats and used in
// teaching material ("how often did the guest touch CR0?").
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace tx86::core::priv {

enum class Family : uint8_t {
  kControlRegisters,   // MOV CRn/DRn/TRn, LMSW, SMSW, CLTS, INVD, WBINVD, INVLPG
  kDescriptorTables,   // LGDT LIDT SGDT SIDT LLDT SLDT LTR STR, segment loads
  kGatesTaskSwitch,    // protected-mode far JMP/CALL/RET (call gates, task gates, TSSs),
                       // IRET to another task (NT), SYSENTER/SYSEXIT
  kPortIo,             // IN OUT INS OUTS
  kMsrCpuid,           // CPUID RDTSC RDPMC RDMSR WRMSR
  kHaltInterruptFlag,  // HLT CLI STI PUSHF POPF IRET
  kCount
};

inline std::string_view family_name(Family f) {
  switch (f) {
    case Family::kControlRegisters: return "control-registers";
    case Family::kDescriptorTables: return "descriptor-tables";
    case Family::kGatesTaskSwitch: return "gates-task-switch";
    case Family::kPortIo: return "port-io";
    case Family::kMsrCpuid: return "msr-cpuid";
    case Family::kHaltInterruptFlag: return "halt-interrupt-flag";
    case Family::kCount: break;
  }
  return "?";
}

struct PrivStats {
  // traps[family][cpl]
  std::array<std::array<uint64_t, 4>, static_cast<size_t>(Family::kCount)> traps{};

  void count(Family f, unsigned cpl) { ++traps[static_cast<size_t>(f)][cpl & 3]; }
  uint64_t total(Family f) const {
    const auto& a = traps[static_cast<size_t>(f)];
    return a[0] + a[1] + a[2] + a[3];
  }
};

}  // namespace tx86::core::priv
