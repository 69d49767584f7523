// Hardware task switching (SDM Vol. 3A, 7.3 and table 7-1), for 32-bit
// (type 9/11) and 16-bit (type 1/3) TSSs: save the current state in the old
// TSS, update busy bits, link and NT by the reason of the switch, load TR,
// CR3 (32-bit TSS, when paging), LDTR, EFLAGS, the general registers, EIP
// and the segment registers, then check the new segments; set CR0.TS.
//
// Precision: every check and read that can fail before the old state is
// saved leaves the CPU unchanged. Checks on the new task's LDT and segments
// happen after the switch has been committed; their faults are raised in
// the new task's context (table 7-1, "faults ... after the commit point").
#include "core/priv/descriptors.h"

namespace tx86::core::priv {

namespace {

// Field offsets. 32-bit TSS (figure 7-2) and 16-bit TSS (figure 7-11).
struct TssLayout {
  uint32_t eip, eflags, gpr, seg, ldt;
  unsigned word;  // size of a register field
  uint32_t min_limit;
};
constexpr TssLayout kTss32{0x20, 0x24, 0x28, 0x48, 0x60, 4, 0x67};
constexpr TssLayout kTss16{0x0E, 0x10, 0x12, 0x22, 0x2A, 2, 0x2B};

// The new task's registers as read from its TSS.
struct TaskImage {
  uint32_t cr3 = 0, eip = 0, eflags = 0, gpr[8] = {};
  uint16_t seg[6] = {};  // ES CS SS DS FS GS
  uint16_t ldt = 0;
  uint16_t link_field = 0;
  bool trap = false;  // T flag (32-bit TSS offset 64h bit 0): #DB after the switch
};

bool read_image(Cpu& cpu, const Descriptor& tss, const TssLayout& l, TaskImage& t) {
  SupervisorAccess sup(cpu);
  const uint32_t b = tss.base;
  auto rd = [&](uint32_t off, uint32_t& v) {
    if (l.word == 4) return cpu.read_linear<uint32_t>(b + off, v);
    uint16_t w;
    if (!cpu.read_linear<uint16_t>(b + off, w)) return false;
    v = w;
    return true;
  };
  if (l.word == 4 && !cpu.read_linear<uint32_t>(b + 0x1C, t.cr3)) return false;
  if (!rd(l.eip, t.eip) || !rd(l.eflags, t.eflags)) return false;
  for (unsigned r = 0; r < 8; ++r)
    if (!rd(l.gpr + r * l.word, t.gpr[r])) return false;
  const unsigned nseg = l.word == 4 ? 6 : 4;
  for (unsigned i = 0; i < nseg; ++i)
    if (!cpu.read_linear<uint16_t>(b + l.seg + i * l.word, t.seg[i])) return false;
  if (!cpu.read_linear<uint16_t>(b + l.ldt, t.ldt)) return false;
  if (l.word == 4) {
    uint16_t w;
    if (!cpu.read_linear<uint16_t>(b + 0x64, w)) return false;
    t.trap = (w & 1) != 0;
  }
  return true;
}

// Stores the outgoing task's state into its TSS (only the dynamic fields).
bool save_state(Cpu& cpu, const TssLayout& l, uint32_t eip, uint32_t eflags) {
  CpuState& s = cpu.s;
  SupervisorAccess sup(cpu);
  const uint32_t b = s.tr.base;
  const uint32_t span = l.ldt - l.eip;
  if (!cpu.probe_write_linear(b + l.eip, span)) return false;
  auto wr = [&](uint32_t off, uint32_t v) {
    return l.word == 4 ? cpu.write_linear<uint32_t>(b + off, v) : cpu.write_linear<uint16_t>(b + off, uint16_t(v));
  };
  bool ok = wr(l.eip, eip) && wr(l.eflags, eflags);
  for (unsigned r = 0; ok && r < 8; ++r) ok = wr(l.gpr + r * l.word, s.gpr[r]);
  const unsigned nseg = l.word == 4 ? 6 : 4;
  for (unsigned i = 0; ok && i < nseg; ++i) ok = cpu.write_linear<uint16_t>(b + l.seg + i * l.word, s.seg[i].selector);
  return ok;
}

// Loads a data segment register of the new task (table 7-1, DS/ES/FS/GS).
bool load_data_segment(Cpu& cpu, unsigned seg, uint16_t sel, uint32_t ext) {
  CpuState& s = cpu.s;
  if ((sel & 0xFFFC) == 0) {
    load_null(s.seg[seg], sel);
    return true;
  }
  const uint32_t err = (sel & 0xFFFC) | ext;
  Descriptor d;
  if (!fetch_descriptor(cpu, sel, d, kTS, ext)) return false;
  if (!(d.data() || d.readable_code())) return cpu.raise(kTS, err);
  if (!d.conforming() && (d.dpl() < s.cpl || d.dpl() < (sel & 3u))) return cpu.raise(kTS, err);
  if (!d.present()) return cpu.raise(kNP, err);
  if (!set_accessed(cpu, d)) return false;
  load_cache(s.seg[seg], sel, d);
  return true;
}

// The checks after the commit point: LDT, CS, SS, data segments.
bool load_new_segments(Cpu& cpu, const TaskImage& t, uint32_t ext) {
  CpuState& s = cpu.s;
  // LDT first: the segment selectors may refer to it.
  if ((t.ldt & 0xFFFC) == 0) {
    load_null(s.ldtr, t.ldt);
  } else {
    Descriptor d;
    const uint32_t err = (t.ldt & 0xFFFC) | ext;
    if ((t.ldt & 4) || !fetch_descriptor(cpu, t.ldt, d, kTS, ext)) {
      if (t.ldt & 4) cpu.raise(kTS, err);
      return false;
    }
    if (!d.system() || d.type() != kLdt) return cpu.raise(kTS, err);
    if (!d.present()) return cpu.raise(kTS, err);
    load_cache(s.ldtr, t.ldt, d);
  }
  if (s.v86()) {
    for (unsigned i = 0; i < 6; ++i) {
      s.seg[i].attrs = SegmentCache::kSegPresent | SegmentCache::kSegS | (3 << 5) | SegmentCache::kSegWritableData;
      s.seg[i].limit = 0xFFFF;
      s.load_segment_real(i, t.seg[i]);
    }
    s.seg[x86::kCs].attrs |= 8;  // code
    s.cpl = 3;
    return true;
  }
  // CS decides the new CPL.
  const uint16_t cs = t.seg[x86::kCs];
  const unsigned cpl = cs & 3;
  s.cpl = uint8_t(cpl);
  Descriptor c;
  const uint32_t cs_err = (cs & 0xFFFC) | ext;
  if ((cs & 0xFFFC) == 0) return cpu.raise(kTS, ext);
  if (!fetch_descriptor(cpu, cs, c, kTS, ext)) return false;
  if (!c.code()) return cpu.raise(kTS, cs_err);
  if (c.conforming() ? c.dpl() > cpl : c.dpl() != cpl) return cpu.raise(kTS, cs_err);
  // SS.
  const uint16_t ss = t.seg[x86::kSs];
  Descriptor sd;
  if ((ss & 0xFFFC) == 0) return cpu.raise(kTS, ext);
  if (!fetch_descriptor(cpu, ss, sd, kTS, ext)) return false;
  const uint32_t ss_err = (ss & 0xFFFC) | ext;
  if (!sd.writable_data() || (ss & 3u) != cpl || sd.dpl() != cpl) return cpu.raise(kTS, ss_err);
  if (!sd.present()) return cpu.raise(kSS, ss_err);
  if (!c.present()) return cpu.raise(kNP, cs_err);
  if (!set_accessed(cpu, c) || !set_accessed(cpu, sd)) return false;
  load_cache(s.seg[x86::kCs], cs, c);
  load_cache(s.seg[x86::kSs], ss, sd);
  for (unsigned seg : {x86::kEs, x86::kDs, x86::kFs, x86::kGs})
    if (!load_data_segment(cpu, seg, t.seg[seg], ext)) return false;
  return true;
}

}  // namespace

bool task_switch(Cpu& cpu, uint16_t sel, Descriptor tss, TaskSwitchReason reason, uint32_t return_eip,
                 uint32_t ext) {
  CpuState& s = cpu.s;
  const uint32_t err = (sel & 0xFFFC) | ext;
  // Table 7-1, before the commit point.
  if (!tss.present()) return cpu.raise(kNP, err);
  if (reason == TaskSwitchReason::kIret ? !tss.tss_busy() : tss.tss_busy())
    return cpu.raise(reason == TaskSwitchReason::kIret ? kTS : kGP, err);
  const TssLayout& nl = tss.tss32() ? kTss32 : kTss16;
  if (tss.limit < nl.min_limit) return cpu.raise(kTS, err);
  const TssLayout& ol = (s.tr.attrs & 8) ? kTss32 : kTss16;
  if (s.tr.limit < ol.min_limit) return cpu.raise(kTS, (s.tr.selector & 0xFFFC) | ext);
  TaskImage t;
  if (!read_image(cpu, tss, nl, t)) return false;
  // The old task's EFLAGS image: NT cleared when leaving by IRET.
  uint32_t old_flags = s.eflags;
  if (reason == TaskSwitchReason::kIret) old_flags &= ~x86::kNT;
  if (!save_state(cpu, ol, return_eip, old_flags)) return false;
  // Old busy bit: cleared by JMP and IRET (its descriptor is in the GDT).
  if (reason == TaskSwitchReason::kJmp || reason == TaskSwitchReason::kIret) {
    if (!set_tss_busy(cpu, s.gdtr.base + (s.tr.selector & ~7u), false)) return false;
  }
  // The link and NT for nested switches (CALL, interrupts).
  if (reason == TaskSwitchReason::kCall || reason == TaskSwitchReason::kInterrupt) {
    SupervisorAccess sup(cpu);
    if (!cpu.write_linear<uint16_t>(tss.base, s.tr.selector)) return false;
    t.eflags |= x86::kNT;
  }
  if (reason != TaskSwitchReason::kIret) {
    if (!set_tss_busy(cpu, tss.address, true)) return false;
  }
  // ---- commit point: the new task's state is loaded ----
  const uint32_t tss_attrs = tss.attrs | 2;  // busy
  s.tr.selector = sel;
  s.tr.base = tss.base;
  s.tr.limit = tss.limit;
  s.tr.attrs = uint16_t(tss_attrs);
  if (!tss.tss32()) {
    // A 16-bit TSS has no FS/GS: they keep their selectors (checked again).
    t.seg[x86::kFs] = s.seg[x86::kFs].selector;
    t.seg[x86::kGs] = s.seg[x86::kGs].selector;
  }
  const uint32_t keep = tss.tss32() ? 0 : (s.eflags & 0xFFFF0000u);
  s.eflags = (keep | (tss.tss32() ? t.eflags : (t.eflags & 0xFFFF))) | 0x2;
  for (unsigned r = 0; r < 8; ++r) s.gpr[r] = tss.tss32() ? t.gpr[r] : ((s.gpr[r] & 0xFFFF0000u) | t.gpr[r]);
  s.eip = t.eip;
  s.cr0 |= kCr0TS;
  // Selectors are loaded with unusable caches first, so that a fault in the
  // checks below leaves no stale descriptor of the old task behind.
  for (unsigned i = 0; i < 6; ++i) {
    if (i == x86::kCs) continue;
    load_null(s.seg[i], t.seg[i]);
  }
  s.seg[x86::kCs].selector = t.seg[x86::kCs];
  // CR3 is loaded (PDPTEs with PAE, non-global TLB entries flushed) only
  // from a 32-bit TSS and with paging on (SDM 7.3 step 9); the new task's
  // descriptor reads below already go through it.
  if (tss.tss32() && s.paging() && !cpu.load_cr3(t.cr3)) return false;
  if (!load_new_segments(cpu, t, ext)) return false;
  // The T flag: a #DB trap before the new task's first instruction
  // (SDM Vol. 3A, 17.3.1.5); the caller delivers it (interp::task_switch_trap).
  cpu.task_switch_trap = t.trap;
  return true;
}

}  // namespace tx86::core::priv
