#include "core/interp/interrupts.h"

#include "frontend-x86/insn.h"

namespace tx86::core::interp {

namespace {

// Real-address-mode delivery (SDM Vol. 3A, 20.1.4). The IVT entry is a
// 4-byte offset:segment pair at IDTR.base + 4 * vector; an entry beyond the
// IDTR limit raises #GP(vector * 8 + 2) on the 386+ (the 286 behaves alike).
bool deliver_real(Cpu& cpu, uint8_t vector, uint32_t return_eip) {
  CpuState& s = cpu.s;
  const uint32_t entry = uint32_t{vector} * 4;
  if (entry + 3 > s.idtr.limit) return cpu.raise(kGP, entry * 2 + 2);
  uint16_t offset, selector;
  if (!cpu.read_linear<uint16_t>(s.idtr.base + entry, offset) ||
      !cpu.read_linear<uint16_t>(s.idtr.base + entry + 2, selector))
    return false;
  // Three 16-bit pushes with SP wrapping inside the 64 KiB stack (or ESP in
  // a big stack segment, "unreal" stacks).
  const bool big = s.stack32();
  uint32_t sp = s.gpr[x86::kEsp];
  const uint16_t words[3] = {uint16_t(s.eflags), s.seg[x86::kCs].selector, uint16_t(return_eip)};
  for (uint16_t w : words) {
    sp = big ? sp - 2 : ((sp & 0xFFFF0000u) | ((sp - 2) & 0xFFFF));
    if (!cpu.write<uint16_t>(x86::kSs, big ? sp : (sp & 0xFFFF), w)) return false;
  }
  s.gpr[x86::kEsp] = sp;
  s.load_segment_real(x86::kCs, selector);
  s.eip = offset;
  s.eflags &= ~(x86::kIF | x86::kTF | x86::kAC | x86::kRF);
  return true;
}

}  // namespace

bool deliver_interrupt(Machine& m, uint8_t vector, uint32_t return_eip) {
  Cpu& cpu = m.cpu();
  if (!cpu.s.protected_mode()) return deliver_real(cpu, vector, return_eip);
  // Gates, privilege changes and task switches through the IDT arrive with
  // the protected-mode issue; until then the machine cannot continue.
  m.log_once("pm-interrupts", "protected-mode interrupt delivery is not implemented yet (shutting down)");
  return cpu.raise(kDF, 0);
}

}  // namespace tx86::core::interp
