// Far JMP/CALL/RET and IRET in protected mode (see gates.h). Every check
// runs before any state changes, so a fault leaves the registers as they
// were before the instruction (DESIGN.md §6); task switches are the one
// exception the SDM makes (faults after the commit point, 7.3).
#include "core/priv/gates.h"

#include <cstring>
#include <utility>

#include "core/interp/interrupts.h"
#include "core/priv/descriptors.h"
#include "core/priv/perf_counters.h"

namespace tx86::core::priv {

namespace {

using interp::StackCursor;

bool check_code_target(ExecContext& c, uint16_t sel, const Descriptor& d) {
  const uint32_t err = sel & 0xFFFC;
  const unsigned cpl = c.s.cpl;
  if (!d.code()) return c.cpu.raise(kGP, err);
  if (d.conforming() ? d.dpl() > cpl : ((sel & 3u) > cpl || d.dpl() != cpl)) return c.cpu.raise(kGP, err);
  if (!d.present()) return c.cpu.raise(kNP, err);
  return true;
}

void load_cs(ExecContext& c, uint16_t sel, Descriptor& d, unsigned cpl) {
  set_accessed(c.cpu, d);
  load_cache(c.s.seg[x86::kCs], uint16_t((sel & 0xFFFC) | cpl), d);
  c.s.cpl = uint8_t(cpl);
  c.attention = true;
}

// After a task switch by JMP, CALL or IRET: the new EIP must lie within
// the new CS (#GP(0) in the new task), then the T-flag #DB (17.3.1.5). If
// TF was set when the instruction began (`tf`) or a data breakpoint hit,
// the engine's #DB trap after the instruction carries DR6.BT as well.
bool finish_task_switch(ExecContext& c, bool tf) {
  const bool t = std::exchange(c.cpu.task_switch_trap, false);
  if (c.s.eip > c.s.seg[x86::kCs].limit) return c.cpu.raise(kGP, 0);
  c.next_eip = c.s.eip;
  if (!t) return true;
  c.cpu.task_switch_trap = true;
  if (!interp::task_switch_trap(c.cpu, tf || c.cpu.data_breakpoint_hits != 0)) return false;
  c.next_eip = c.s.eip;
  return true;
}

// JMP/CALL to a TSS or through a task gate (SDM "JMP"/"CALL" TASK-GATE and
// TASK-STATE-SEGMENT).
bool far_task(ExecContext& c, uint16_t sel, const Descriptor& d, TaskSwitchReason why) {
  const uint32_t err = sel & 0xFFFC;
  const unsigned rpl = sel & 3;
  if (d.dpl() < c.s.cpl || d.dpl() < rpl) return c.cpu.raise(kGP, err);
  uint16_t tss_sel = sel;
  Descriptor tss = d;
  if (d.type() == kTaskGate) {
    if (!d.present()) return c.cpu.raise(kNP, err);
    tss_sel = d.gate_selector();
    if (tss_sel & 4) return c.cpu.raise(kGP, tss_sel & 0xFFFC);
    if (!fetch_descriptor(c.cpu, tss_sel, tss)) return false;
    if (!tss.tss() || tss.tss_busy()) return c.cpu.raise(kGP, tss_sel & 0xFFFC);
  } else if (tss.tss_busy()) {
    return c.cpu.raise(kGP, err);
  }
  c.attention = true;
  const bool tf = (c.s.eflags & x86::kTF) != 0;
  if (!task_switch(c.cpu, tss_sel, tss, why, c.next_eip, 0)) return false;
  return finish_task_switch(c, tf);
}

// Data segment registers that the new (outer) CPL may not use are nulled
// (SDM "RET", "IRET": RETURN-TO-OUTER-PRIVILEGE-LEVEL).
void null_outer_segments(CpuState& s) {
  for (unsigned seg : {x86::kEs, x86::kDs, x86::kFs, x86::kGs}) {
    SegmentCache& sc = s.seg[seg];
    const bool code = (sc.attrs & 8) != 0;
    const bool conforming = code && (sc.attrs & 4);
    const unsigned dpl = (sc.attrs >> 5) & 3;
    if ((sc.attrs & SegmentCache::kSegS) && !conforming && dpl < s.cpl) load_null(sc, 0);
  }
}

// Checks the SS popped by a return to ring `rpl` (SDM "RET", "IRET").
bool check_outer_ss(ExecContext& c, uint16_t ss, unsigned rpl, Descriptor& d) {
  if ((ss & 0xFFFC) == 0) return c.cpu.raise(kGP, 0);
  if (!fetch_descriptor(c.cpu, ss, d)) return false;
  const uint32_t err = ss & 0xFFFC;
  if ((ss & 3u) != rpl || !d.writable_data() || d.dpl() != rpl) return c.cpu.raise(kGP, err);
  if (!d.present()) return c.cpu.raise(kSS, err);
  return true;
}

// Checks the CS popped by RET/IRET (same checks for both).
bool check_return_cs(ExecContext& c, uint16_t sel, Descriptor& d) {
  if ((sel & 0xFFFC) == 0) return c.cpu.raise(kGP, 0);
  if (!fetch_descriptor(c.cpu, sel, d)) return false;
  const uint32_t err = sel & 0xFFFC;
  const unsigned rpl = sel & 3;
  if (!d.code() || rpl < c.s.cpl) return c.cpu.raise(kGP, err);
  if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) return c.cpu.raise(kGP, err);
  if (!d.present()) return c.cpu.raise(kNP, err);
  return true;
}

// Pops an operand-size word, zero-extended.
bool pop_word(StackCursor& st, bool op32, uint32_t& v) {
  if (op32) return st.pop(v);
  uint16_t w;
  if (!st.pop(w)) return false;
  v = w;
  return true;
}

// Reads the N operand-size words (N <= 5) at the top of the stack into
// v[] without moving, when that cannot fault and needs no general path: a
// 32-bit stack, every word passing the segment checks, the frame in one
// page the TLB holds. False otherwise (nothing read, no fault to report).
// N is a constant so that the copy is a few moves.
template <unsigned N>
bool peek_frame_cached(const StackCursor& st, bool op32, uint32_t* v) {
  static_assert(N <= 5);
  Cpu& cpu = st.c.cpu;
  const unsigned w = op32 ? 4 : 2;
  if (!st.big) return false;
  // What check_segment_run would decide, inline for the usual stack: a
  // present, writable, expand-up data segment (readable in any mode) holding
  // the whole frame, and no alignment check in force (SDM Vol. 3A, 5.3 and
  // 6.15 interrupt 17). Anything else asks check_segment_run.
  const CpuState& s = cpu.s;
  const SegmentCache& ss = s.seg[x86::kSs];
  const bool usual = (ss.attrs & 0x8E) == 0x82 && st.sp <= ss.limit && N * w - 1 <= ss.limit - st.sp &&
                     !(s.cpl == 3 && (s.cr0 & kCr0AM) && (s.eflags & x86::kAC));
  if (!usual && !cpu.check_segment_run(x86::kSs, st.sp, N, w, Access::kRead)) return false;
  const uint32_t linear = ss.base + st.sp;
  const uint8_t* host = cpu.read_pointer_if_cached(linear, N * w);
  if (host == nullptr) return false;
  // Word by word: the frame was usually just written word by word (an
  // interrupt's push), and one wide load over several recent stores would
  // miss store forwarding.
  for (unsigned k = 0; k < N; ++k) {
    if (op32) {
      std::memcpy(&v[k], host + 4 * k, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, host + 2 * k, 2);
      v[k] = h;
    }
  }
  return true;
}

// Pops N operand-size words (N <= 5) into v[], as N pop_word calls would:
// one copy when peek_frame_cached can, else word by word.
template <unsigned N>
bool pop_words(StackCursor& st, bool op32, uint32_t* v) {
  if (peek_frame_cached<N>(st, op32, v)) {
    st.skip(N * (op32 ? 4 : 2));
    return true;
  }
  for (unsigned k = 0; k < N; ++k)
    if (!pop_word(st, op32, v[k])) return false;
  return true;
}

// CALL through a call gate to a more privileged, non-conforming segment:
// the stack switch and parameter copy (SDM Vol. 3A, 5.8.5 and figure 5-13).
bool call_gate_inner(ExecContext& c, const Descriptor& gate, uint16_t csel, Descriptor& code, uint32_t offset) {
  CpuState& s = c.s;
  const bool gate32 = gate.type() == kCallGate32;
  const unsigned dpl = code.dpl();
  uint16_t new_ss;
  uint32_t new_esp;
  Descriptor ssd;
  if (!tss_stack(c.cpu, dpl, new_ss, new_esp, 0)) return false;
  if (!check_inner_ss(c.cpu, new_ss, dpl, ssd, 0)) return false;
  NewStack st;
  load_cache(st.cache, new_ss, ssd);
  st.esp = new_esp;
  st.fault_sel = new_ss;
  st.push(s.seg[x86::kSs].selector, gate32);
  st.push(s.gpr[x86::kEsp], gate32);
  // Parameters, deepest first, so that they keep their order.
  const unsigned n = gate.gate_params();
  const unsigned w = gate32 ? 4 : 2;
  StackCursor old(c);
  for (unsigned k = n; k-- > 0;) {
    if (gate32) {
      uint32_t v;
      if (!old.peek(k * w, v)) return false;
      st.push32(v);
    } else {
      uint16_t v;
      if (!old.peek(k * w, v)) return false;
      st.push16(v);
    }
  }
  st.push(s.seg[x86::kCs].selector, gate32);
  st.push(c.next_eip, gate32);
  if (offset > code.limit) return c.cpu.raise(kGP, 0);
  if (!st.commit(c.cpu, dpl)) return false;
  set_accessed(c.cpu, ssd);
  load_cache(s.seg[x86::kSs], new_ss, ssd);
  s.gpr[x86::kEsp] = st.esp;
  load_cs(c, csel, code, dpl);
  c.next_eip = offset;
  return true;
}

// JMP/CALL through a call gate (SDM "CALL" CALL-GATE, "JMP" CALL-GATE).
bool through_call_gate(ExecContext& c, uint16_t sel, const Descriptor& gate, bool call) {
  CpuState& s = c.s;
  const uint32_t err = sel & 0xFFFC;
  if (gate.dpl() < s.cpl || gate.dpl() < (sel & 3u)) return c.cpu.raise(kGP, err);
  if (!gate.present()) return c.cpu.raise(kNP, err);
  const uint16_t csel = gate.gate_selector();
  if ((csel & 0xFFFC) == 0) return c.cpu.raise(kGP, 0);
  Descriptor code;
  if (!fetch_descriptor(c.cpu, csel, code)) return false;
  const uint32_t cerr = csel & 0xFFFC;
  if (!code.code() || code.dpl() > s.cpl) return c.cpu.raise(kGP, cerr);
  if (!call && !code.conforming() && code.dpl() != s.cpl) return c.cpu.raise(kGP, cerr);
  if (!code.present()) return c.cpu.raise(kNP, cerr);
  const bool gate32 = gate.type() == kCallGate32;
  const uint32_t offset = gate32 ? gate.gate_offset() : (gate.gate_offset() & 0xFFFF);
  if (call && !code.conforming() && code.dpl() < s.cpl) return call_gate_inner(c, gate, csel, code, offset);
  if (offset > code.limit) return c.cpu.raise(kGP, 0);
  StackCursor st(c);
  if (call) {
    const bool ok = gate32 ? st.push<uint32_t>(s.seg[x86::kCs].selector) && st.push<uint32_t>(c.next_eip)
                           : st.push<uint16_t>(s.seg[x86::kCs].selector) && st.push<uint16_t>(uint16_t(c.next_eip));
    if (!ok) return false;
  }
  st.commit();
  load_cs(c, csel, code, s.cpl);
  c.next_eip = offset;
  return true;
}

bool far_transfer(ExecContext& c, const x86::Insn& i, uint16_t sel, uint32_t offset, bool call) {
  CpuState& s = c.s;
  PmcScope pmc(c);
  c.priv.count(Family::kGatesTaskSwitch, s.cpl);
  c.attention = true;
  if ((sel & 0xFFFC) == 0) return c.cpu.raise(kGP, 0);
  Descriptor d;
  if (!fetch_descriptor(c.cpu, sel, d)) return false;
  const uint32_t err = sel & 0xFFFC;
  if (d.system()) {
    switch (d.type()) {
      case kCallGate16:
      case kCallGate32: return through_call_gate(c, sel, d, call);
      case kTaskGate:
      case kTss16Avail:
      case kTss32Avail:
      case kTss16Busy:
      case kTss32Busy:
        return far_task(c, sel, d, call ? TaskSwitchReason::kCall : TaskSwitchReason::kJmp);
      default: return c.cpu.raise(kGP, err);
    }
  }
  if (!check_code_target(c, sel, d)) return false;
  if (offset > d.limit) return c.cpu.raise(kGP, 0);
  StackCursor st(c);
  if (call) {
    const bool ok = i.opsize == 4 ? st.push<uint32_t>(s.seg[x86::kCs].selector) && st.push<uint32_t>(c.next_eip)
                                  : st.push<uint16_t>(s.seg[x86::kCs].selector) &&
                                        st.push<uint16_t>(uint16_t(c.next_eip));
    if (!ok) return false;
  }
  st.commit();
  load_cs(c, sel, d, s.cpl);
  c.next_eip = offset;
  return true;
}

// IRET with NT set: return to the task in the back link (SDM "IRET"
// TASK-RETURN, 7.3).
bool iret_task(ExecContext& c) {
  CpuState& s = c.s;
  uint16_t link;
  {
    SupervisorAccess sup(c.cpu);
    if (!c.cpu.read_linear<uint16_t>(s.tr.base, link)) return false;
  }
  if (link & 4) return c.cpu.raise(kTS, link & 0xFFFC);
  Descriptor tss;
  if (!fetch_descriptor(c.cpu, link, tss, kTS)) return false;
  if (!tss.tss() || !tss.tss_busy()) return c.cpu.raise(kTS, link & 0xFFFC);
  c.attention = true;
  const bool tf = (s.eflags & x86::kTF) != 0;
  if (!task_switch(c.cpu, link, tss, TaskSwitchReason::kIret, c.next_eip, 0)) return false;
  return finish_task_switch(c, tf);
}

// EFLAGS from an IRET frame within protected mode: the POPF rules
// (write_flags, at the CPL before the return), plus RF for the 32-bit form
// (SDM 17.3.1.1) and VIF/VIP when the IRET runs at CPL 0 (SDM "IRET":
// "IF CPL = 0 ... VIF, VIP ← tempEFLAGS").
void load_iret_flags(ExecContext& c, uint32_t flags, unsigned size) {
  CpuState& s = c.s;
  const unsigned cpl = s.cpl;
  write_flags(c, flags, size);
  if (size != 4) return;
  uint32_t bits = x86::kRF;
  if (cpl == 0) bits |= x86::kVIF | x86::kVIP;
  s.eflags = (s.eflags & ~bits) | (flags & bits);
}

// IRET from ring 0 to V86 mode (SDM "IRET" RETURN-TO-VIRTUAL-8086-MODE).
bool iret_to_v86(ExecContext& c, StackCursor& st, uint32_t eip, uint16_t cs, uint32_t flags) {
  CpuState& s = c.s;
  uint32_t esp, ss, es, ds, fs, gs;
  if (!st.pop(esp) || !st.pop(ss) || !st.pop(es) || !st.pop(ds) || !st.pop(fs) || !st.pop(gs)) return false;
  s.eflags = (flags & 0x003F7FD5u) | 0x2;
  const uint16_t sels[6] = {uint16_t(es), cs, uint16_t(ss), uint16_t(ds), uint16_t(fs), uint16_t(gs)};
  for (unsigned seg = 0; seg < 6; ++seg) {
    SegmentCache& sc = s.seg[seg];
    sc.limit = 0xFFFF;
    sc.attrs = SegmentCache::kSegPresent | SegmentCache::kSegS | (3 << 5) |
               (seg == x86::kCs ? SegmentCache::kSegCodeReadable : SegmentCache::kSegWritableData);
    s.load_segment_real(seg, sels[seg]);
  }
  s.gpr[x86::kEsp] = esp;
  s.cpl = 3;
  c.next_eip = eip & 0xFFFF;
  c.attention = true;
  return true;
}

}  // namespace

bool far_jmp_protected(ExecContext& c, const x86::Insn& i, uint16_t sel, uint32_t offset) {
  return far_transfer(c, i, sel, offset, false);
}

bool far_call_protected(ExecContext& c, const x86::Insn& i, uint16_t sel, uint32_t offset) {
  return far_transfer(c, i, sel, offset, true);
}

bool far_ret_protected(ExecContext& c, const x86::Insn& i) {
  CpuState& s = c.s;
  PmcScope pmc(c);
  c.priv.count(Family::kGatesTaskSwitch, s.cpl);
  c.attention = true;
  const bool op32 = i.opsize == 4;
  StackCursor st(c);
  uint32_t off, sel32;
  if (!pop_word(st, op32, off) || !pop_word(st, op32, sel32)) return false;
  const uint16_t sel = uint16_t(sel32);
  Descriptor code;
  if (!check_return_cs(c, sel, code)) return false;
  const unsigned rpl = sel & 3;
  const uint32_t imm = i.num_operands > 0 ? (i.ops[0].imm & 0xFFFF) : 0;
  if (rpl == s.cpl) {
    if (off > code.limit) return c.cpu.raise(kGP, 0);
    st.skip(imm);
    st.commit();
    load_cs(c, sel, code, s.cpl);
    c.next_eip = off;
    return true;
  }
  // Return to an outer ring: SS:ESP follow the parameters.
  st.skip(imm);
  uint32_t esp, ss32;
  if (!pop_word(st, op32, esp) || !pop_word(st, op32, ss32)) return false;
  Descriptor ssd;
  if (!check_outer_ss(c, uint16_t(ss32), rpl, ssd)) return false;
  if (off > code.limit) return c.cpu.raise(kGP, 0);
  load_cs(c, sel, code, rpl);
  set_accessed(c.cpu, ssd);
  load_cache(s.seg[x86::kSs], uint16_t(ss32), ssd);
  const uint32_t new_esp = op32 ? esp : ((s.gpr[x86::kEsp] & 0xFFFF0000u) | (esp & 0xFFFF));
  s.gpr[x86::kEsp] = ssd.attrs & SegmentCache::kSegDefaultBig ? new_esp + imm
                                                                : ((new_esp & 0xFFFF0000u) | ((new_esp + imm) & 0xFFFF));
  null_outer_segments(s);
  c.next_eip = off;
  return true;
}

bool iret_protected(ExecContext& c, const x86::Insn& i) {
  CpuState& s = c.s;
  PmcScope pmc(c);
  c.attention = true;
  if (s.eflags & x86::kNT) {
    c.priv.count(Family::kGatesTaskSwitch, s.cpl);
    return iret_task(c);
  }
  c.priv.count(Family::kHaltInterruptFlag, s.cpl);
  const bool op32 = i.opsize == 4;
  StackCursor st(c);
  // EIP, CS, EFLAGS, and for a return to an outer ring ESP and SS: when all
  // five can be read at once they are (the two extra reads of a same-ring
  // return are then invisible: RAM, no fault), else popped as needed.
  uint32_t frame[5];
  const bool all_five = peek_frame_cached<5>(st, op32, frame);
  if (all_five) {
    st.skip(3 * (op32 ? 4 : 2));
  } else if (!pop_words<3>(st, op32, frame)) {
    return false;
  }
  const uint32_t off = frame[0], flags = frame[2];
  const uint16_t sel = uint16_t(frame[1]);
  if (op32 && (flags & x86::kVM) && s.cpl == 0) {
    // ESP comes from the frame: the cursor is not committed.
    return iret_to_v86(c, st, off, sel, flags);
  }
  Descriptor code;
  if (!check_return_cs(c, sel, code)) return false;
  const unsigned rpl = sel & 3;
  if (rpl == s.cpl) {
    if (off > code.limit) return c.cpu.raise(kGP, 0);
    st.commit();
    load_iret_flags(c, flags, i.opsize);
    load_cs(c, sel, code, s.cpl);
    c.next_eip = off;
    return true;
  }
  if (all_five) {
    st.skip(2 * (op32 ? 4 : 2));
  } else if (!pop_words<2>(st, op32, frame + 3)) {
    return false;
  }
  const uint32_t esp = frame[3], ss32 = frame[4];
  Descriptor ssd;
  if (!check_outer_ss(c, uint16_t(ss32), rpl, ssd)) return false;
  if (off > code.limit) return c.cpu.raise(kGP, 0);
  load_iret_flags(c, flags, i.opsize);  // at the old CPL (IOPL and IF rules)
  load_cs(c, sel, code, rpl);
  set_accessed(c.cpu, ssd);
  load_cache(s.seg[x86::kSs], uint16_t(ss32), ssd);
  s.gpr[x86::kEsp] = op32 ? esp : ((s.gpr[x86::kEsp] & 0xFFFF0000u) | (esp & 0xFFFF));
  null_outer_segments(s);
  c.next_eip = off;
  return true;
}

}  // namespace tx86::core::priv
