#include "core/interp/interrupts.h"

#include "core/interp/debug.h"
#include "core/priv/descriptors.h"
#include "core/priv/perf_counters.h"
#include "frontend-x86/insn.h"

namespace tx86::core::interp {

namespace {

using priv::Descriptor;
using priv::NewStack;

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

// Delivery through a task gate (SDM Vol. 3A, 6.12.2 and "INT n" TASK-GATE):
// the TSS must be in the GDT and available; the error code goes on the new
// task's stack.
bool deliver_task_gate(Cpu& cpu, const Descriptor& gate, uint32_t return_eip, bool has_error, uint32_t error,
                       uint32_t ext) {
  CpuState& s = cpu.s;
  const uint16_t sel = gate.gate_selector();
  const uint32_t err = (sel & 0xFFFC) | ext;
  if (sel & 4) return cpu.raise(kGP, err);
  Descriptor tss;
  if (!priv::fetch_descriptor(cpu, sel, tss, kGP, ext)) return false;
  if (!tss.tss() || tss.tss_busy()) return cpu.raise(kGP, err);
  if (!priv::task_switch(cpu, sel, tss, priv::TaskSwitchReason::kInterrupt, return_eip, ext)) return false;
  if (has_error) {
    NewStack st{s.seg[x86::kSs], s.gpr[x86::kEsp], 0, ext};
    st.push(error, tss.tss32());
    if (!st.commit(cpu, s.cpl)) return false;
    s.gpr[x86::kEsp] = st.esp;
  }
  if (s.eip > s.seg[x86::kCs].limit) return cpu.raise(kGP, ext);
  return true;
}

// INT n in V86 mode (SDM Vol. 3A, 20.3.3, table 20-2): without CR4.VME,
// IOPL < 3 is #GP(0) (method 2) and IOPL 3 goes through the IDT (method 1).
// With VME the bit for the vector in the interrupt redirection bitmap (the
// 32 bytes below the I/O map base of the TSS) decides: set, IOPL < 3 is
// #GP(0) (method 3) and IOPL 3 the IDT (method 4); clear, the interrupt is
// redirected to the 8086 program's own vector table at linear 0 (method 5
// at IOPL 3, method 6 at IOPL < 3 on the virtual interrupt flag). Sets
// `to_idt` when the IDT delivers it.
bool v86_int_n(Cpu& cpu, uint8_t vector, uint32_t return_eip, bool& to_idt) {
  CpuState& s = cpu.s;
  const bool iopl3 = ((s.eflags >> 12) & 3) == 3;
  to_idt = false;
  if (!(s.cr4 & kCr4VME)) {
    if (!iopl3) return cpu.raise(kGP, 0);
    to_idt = true;
    return true;
  }
  const SegmentCache& tr = s.tr;
  if ((tr.attrs & 8) == 0 || tr.limit < 0x67) return cpu.raise(kGP, 0);
  uint8_t bits;
  {
    priv::SupervisorAccess sup(cpu);
    uint16_t map_base;
    if (!cpu.read_linear<uint16_t>(tr.base + 0x66, map_base)) return false;
    const uint32_t byte = uint32_t{map_base} - 32 + vector / 8u;
    if (byte > tr.limit) return cpu.raise(kGP, 0);
    if (!cpu.read_linear<uint8_t>(tr.base + byte, bits)) return false;
  }
  if (bits & (1u << (vector & 7))) {
    if (!iopl3) return cpu.raise(kGP, 0);
    to_idt = true;
    return true;
  }
  // Methods 5 and 6: as real mode, through the 8086 program's vector table
  // at linear 0 (user accesses: CPL 3); the FLAGS image of method 6 shows
  // VIF as IF and IOPL as 3, and VIF is cleared instead of IF.
  uint16_t ip, cs;
  if (!cpu.read_linear<uint16_t>(uint32_t{vector} * 4, ip) || !cpu.read_linear<uint16_t>(uint32_t{vector} * 4 + 2, cs))
    return false;
  uint16_t image = uint16_t(s.eflags);
  if (!iopl3) image = uint16_t((image & ~x86::kIF) | x86::kIOPL | ((s.eflags & x86::kVIF) ? x86::kIF : 0));
  const uint16_t words[3] = {image, s.seg[x86::kCs].selector, uint16_t(return_eip)};
  uint32_t sp = s.gpr[x86::kEsp];
  for (uint16_t w : words) {
    sp = (sp & 0xFFFF0000u) | ((sp - 2) & 0xFFFF);
    if (!cpu.write<uint16_t>(x86::kSs, sp & 0xFFFF, w)) return false;
  }
  s.gpr[x86::kEsp] = sp;
  s.load_segment_real(x86::kCs, cs);
  s.eip = ip;
  s.eflags &= ~(x86::kTF | (iopl3 ? x86::kIF : x86::kVIF));
  return true;
}

// Protected-mode and V86 delivery through the IDT (SDM Vol. 3A, 6.12 and
// the "INT n/INTO/INT3/INT1" pseudo-code).
bool deliver_protected(Cpu& cpu, uint8_t vector, uint32_t return_eip, EventKind kind, bool has_error,
                       uint32_t error, uint32_t extra_flags) {
  CpuState& s = cpu.s;
  const bool software = kind == EventKind::kSoftwareInt || kind == EventKind::kSoftwareTrap;
  const uint32_t ext = (kind == EventKind::kException || kind == EventKind::kExternal) ? 1 : 0;
  // INT n is IOPL-sensitive in V86 mode (SDM Vol. 3A, 20.2.7), and VME
  // may redirect it to the 8086 program's vector table.
  if (s.v86() && kind == EventKind::kSoftwareInt) {
    bool to_idt;
    if (!v86_int_n(cpu, vector, return_eip, to_idt)) return false;
    if (!to_idt) return true;
  }
  const uint32_t idt_err = uint32_t{vector} * 8 + 2 + ext;
  if (uint32_t{vector} * 8 + 7 > s.idtr.limit) return cpu.raise(kGP, idt_err);
  Descriptor gate;
  const uint32_t gate_at = s.idtr.base + uint32_t{vector} * 8;
  uint32_t gate_words[2];
  if (cpu.read_supervisor_if_cached(gate_at, gate_words, 8)) {
    gate.lo = gate_words[0];
    gate.hi = gate_words[1];
  } else {
    priv::SupervisorAccess sup(cpu);
    if (!priv::read_descriptor_words(cpu, gate_at, gate.lo, gate.hi)) return false;
  }
  gate.attrs = uint16_t((gate.hi >> 8) & 0xFF);
  const unsigned type = gate.type();
  const bool gate_type_ok = gate.system() && (type == priv::kTaskGate || type == priv::kIntGate16 ||
                                              type == priv::kTrapGate16 || type == priv::kIntGate32 ||
                                              type == priv::kTrapGate32);
  if (!gate_type_ok) return cpu.raise(kGP, idt_err);
  if (software && gate.dpl() < s.cpl) return cpu.raise(kGP, idt_err);
  if (!gate.present()) return cpu.raise(kNP, idt_err);
  if (type == priv::kTaskGate) return deliver_task_gate(cpu, gate, return_eip, has_error, error, ext);

  const uint16_t sel = gate.gate_selector();
  const uint32_t sel_err = (sel & 0xFFFC) | ext;
  if ((sel & 0xFFFC) == 0) return cpu.raise(kGP, ext);
  Descriptor code;
  if (!priv::fetch_descriptor(cpu, sel, code, kGP, ext)) return false;
  if (!code.code() || code.dpl() > s.cpl) return cpu.raise(kGP, sel_err);
  if (!code.present()) return cpu.raise(kNP, sel_err);
  const bool gate32 = (type & 8) != 0;
  const uint32_t offset = gate32 ? gate.gate_offset() : (gate.gate_offset() & 0xFFFF);
  const bool inner = !code.conforming() && code.dpl() < s.cpl;
  const unsigned new_cpl = inner ? code.dpl() : s.cpl;
  const uint32_t flags_image = s.eflags | extra_flags;
  NewStack st;
  Descriptor ss_desc;
  uint16_t new_ss = 0;
  if (inner) {
    // Inner-level stack from the TSS (6.12.1); from V86 only to ring 0.
    if (s.v86() && code.dpl() != 0) return cpu.raise(kGP, sel_err);
    uint32_t new_esp;
    if (!priv::tss_stack(cpu, code.dpl(), new_ss, new_esp, ext)) return false;
    if (!priv::check_inner_ss(cpu, new_ss, code.dpl(), ss_desc, ext)) return false;
    priv::load_cache(st.cache, new_ss, ss_desc);
    st.esp = new_esp;
    st.fault_sel = new_ss;
    st.ext = ext;
    if (s.v86()) {
      for (unsigned seg : {x86::kGs, x86::kFs, x86::kDs, x86::kEs}) st.push(s.seg[seg].selector, gate32);
    }
    st.push(s.seg[x86::kSs].selector, gate32);
    st.push(s.gpr[x86::kEsp], gate32);
  } else {
    if (s.v86()) return cpu.raise(kGP, sel_err);
    st.cache = s.seg[x86::kSs];
    st.esp = s.gpr[x86::kEsp];
    st.fault_sel = 0;
    st.ext = ext;
  }
  st.push(flags_image, gate32);
  st.push(s.seg[x86::kCs].selector, gate32);
  st.push(return_eip, gate32);
  if (has_error) st.push(error, gate32);
  if (offset > code.limit) return cpu.raise(kGP, ext);
  if (!st.commit(cpu, new_cpl)) return false;
  if (!priv::set_accessed(cpu, code)) return false;
  // ---- state changes ----
  if (inner) {
    if (s.v86()) {
      for (unsigned seg : {x86::kEs, x86::kDs, x86::kFs, x86::kGs}) priv::load_null(s.seg[seg], 0);
    }
    priv::set_accessed(cpu, ss_desc);
    priv::load_cache(s.seg[x86::kSs], new_ss, ss_desc);
  }
  s.gpr[x86::kEsp] = st.esp;
  s.cpl = uint8_t(new_cpl);
  priv::load_cache(s.seg[x86::kCs], uint16_t((sel & 0xFFFC) | new_cpl), code);
  s.eflags &= ~(x86::kTF | x86::kNT | x86::kVM | x86::kRF);
  if (type == priv::kIntGate16 || type == priv::kIntGate32) s.eflags &= ~x86::kIF;
  s.eip = offset;
  return true;
}

// Exception classes for the double-fault rule (SDM Vol. 3A, table 6-4).
bool contributory(uint8_t v) { return v == kDE || v == kTS || v == kNP || v == kSS || v == kGP; }

// Fault-class exceptions push EFLAGS with RF = 1, so that the restarted
// instruction does not hit its own instruction breakpoint again (SDM Vol.
// 3A, 17.3.1.1). #DB is left out: its instruction-breakpoint form is the
// one fault whose handler sets RF itself.
bool fault_class(uint8_t v) {
  return v == kDE || v == kBR || v == kUD || v == kNM || v == kTS || v == kNP || v == kSS || v == kGP ||
         v == kPF || v == kMF || v == kAC;
}

}  // namespace

bool task_switch_trap(Cpu& cpu, bool merged) {
  cpu.task_switch_trap = false;
  cpu.s.dr[6] |= kDr6Bt;
  if (merged) return true;
  cpu.s.dr[7] &= ~kDr7Gd;  // as for every #DB (17.2.4)
  return deliver_protected(cpu, kDB, cpu.s.eip, EventKind::kException, false, 0, 0);
}

namespace {

// Performance counters see the CPL change of a delivery (perf_counters.h).
struct PmcDelivery {
  Machine& m;
  explicit PmcDelivery(Machine& mm) : m(mm) { priv::pmc_sync(m.cpu().s, m.clock().retired()); }
  ~PmcDelivery() { priv::pmc_sync(m.cpu().s, m.clock().retired()); }
};

}  // namespace

bool deliver_interrupt(Machine& m, uint8_t vector, uint32_t return_eip, EventKind kind, bool has_error,
                       uint32_t error) {
  Cpu& cpu = m.cpu();
  if (!cpu.s.protected_mode()) return deliver_real(cpu, vector, return_eip);
  PmcDelivery pmc(m);
  cpu.task_switch_trap = false;
  if (!deliver_protected(cpu, vector, return_eip, kind, has_error, error, 0)) {
    cpu.task_switch_trap = false;
    return false;
  }
  // Through a task gate into a TSS with T = 1: the #DB comes before the
  // handler task's first instruction.
  return !cpu.task_switch_trap || task_switch_trap(cpu, false);
}

bool deliver_exception(Machine& m, const Fault& f) {
  Cpu& cpu = m.cpu();
  if (!cpu.s.protected_mode()) {
    // Real mode: any fault while delivering becomes #DF, then shutdown.
    if (deliver_real(cpu, f.vector, cpu.s.eip)) return true;
    return f.vector != kDF && deliver_real(cpu, kDF, cpu.s.eip);
  }
  PmcDelivery pmc(m);
  Fault cur = f;
  // At most: the exception, a serial benign one or #DF, and #DF.
  for (unsigned round = 0; round < 4; ++round) {
    const uint32_t rf = fault_class(cur.vector) ? x86::kRF : 0;
    cpu.task_switch_trap = false;
    if (deliver_protected(cpu, cur.vector, cpu.s.eip, EventKind::kException, cur.has_error_code, cur.error_code, rf)) {
      if (!cpu.task_switch_trap) return true;
      // Delivered through a task gate into a TSS with T = 1: the #DB trap
      // is the next event, delivered like an exception (benign class).
      cpu.task_switch_trap = false;
      cpu.s.dr[6] |= kDr6Bt;
      cpu.s.dr[7] &= ~kDr7Gd;
      cur = Fault{kDB, false, 0};
      continue;
    }
    cpu.task_switch_trap = false;
    const Fault next = cpu.fault;
    if (cur.vector == kDF) return false;  // triple fault
    const bool to_df = (contributory(cur.vector) && contributory(next.vector)) ||
                       (cur.vector == kPF && (contributory(next.vector) || next.vector == kPF));
    cur = to_df ? Fault{kDF, true, 0} : next;
  }
  return false;
}

}  // namespace tx86::core::interp
