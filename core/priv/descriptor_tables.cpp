// Descriptor-table family: LGDT LIDT SGDT SIDT, SLDT STR LLDT LTR LAR LSL
// VERR VERW ARPL, and segment-register loads (MOV/POP/LxS to a segment
// register, far transfers). SDM Vol. 2 per instruction; descriptor formats
// and load checks: Vol. 3A, 3.4.5 and 5.4-5.8.
//
// Real mode (and V86 for the segment loads) is complete. Protected mode has
// data/stack segment loads and same-privilege code transfers; gates, task
// switches, LLDT/LTR and the access-rights instructions arrive with the
// protected-mode issue and say so once when used.
#include <string>

#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;
using x86::OperandKind;

struct Descriptor {
  uint32_t base = 0;
  uint32_t limit = 0;   // scaled by G
  uint16_t attrs = 0;   // SegmentCache::attrs layout
  uint32_t address = 0; // linear address of the descriptor (for the accessed bit)
  unsigned dpl() const { return (attrs >> 5) & 3; }
  bool present() const { return attrs & SegmentCache::kSegPresent; }
  bool system() const { return !(attrs & SegmentCache::kSegS); }
  bool code() const { return attrs & 8; }
};

bool fetch_descriptor(ExecContext& c, uint16_t sel, Descriptor& d) {
  const bool ldt = sel & 4;
  const uint32_t base = ldt ? c.s.ldtr.base : c.s.gdtr.base;
  const uint32_t limit = ldt ? c.s.ldtr.limit : c.s.gdtr.limit;
  if ((sel | 7u) > limit) return c.cpu.raise(kGP, sel & 0xFFFC);
  uint32_t lo, hi;
  d.address = base + (sel & ~7u);
  if (!c.cpu.read_linear<uint32_t>(d.address, lo) || !c.cpu.read_linear<uint32_t>(d.address + 4, hi)) return false;
  d.base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
  d.limit = (lo & 0xFFFF) | (hi & 0x000F0000u);
  d.attrs = uint16_t((hi >> 8) & 0xF0FF);
  if (d.attrs & SegmentCache::kSegGranularity) d.limit = (d.limit << 12) | 0xFFF;
  return true;
}

void set_accessed(ExecContext& c, Descriptor& d) {
  if (d.attrs & SegmentCache::kSegAccessed) return;
  d.attrs |= SegmentCache::kSegAccessed;
  uint8_t b;
  if (c.cpu.read_linear<uint8_t>(d.address + 5, b)) c.cpu.write_linear<uint8_t>(d.address + 5, uint8_t(b | 1));
}

void load_cache(SegmentCache& sc, uint16_t sel, const Descriptor& d) {
  sc.selector = sel;
  sc.base = d.base;
  sc.limit = d.limit;
  sc.attrs = d.attrs;
}

bool unsupported(ExecContext& c, const char* what) {
  c.machine.log_once(std::string("pm:") + what,
                     std::string(what) + " in protected mode is not implemented yet (raising #GP(0))");
  return c.cpu.raise(kGP, 0);
}

// LGDT/LIDT m16&32: with a 16-bit operand size only 24 bits of base load.
template <bool idt>
bool load_table(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kDescriptorTables, c.s.cpl);
  if (i.ops[0].kind != OperandKind::kMem) return c.cpu.raise(kUD);
  if ((c.s.protected_mode() && c.s.cpl != 0) || c.s.v86()) return c.cpu.raise(kGP, 0);
  const uint32_t ea = interp::effective_address(c.s, i);
  uint16_t limit;
  uint32_t base;
  if (!c.cpu.read<uint16_t>(i.mem.seg, ea, limit) ||
      !c.cpu.read<uint32_t>(i.mem.seg, interp::offset_add(i, ea, 2), base))
    return false;
  if (i.opsize == 2) base &= 0x00FFFFFFu;
  TableRegister& r = idt ? c.s.idtr : c.s.gdtr;
  r.limit = limit;
  r.base = base;
  return true;
}

// SGDT/SIDT m: the 286 stores 0xFF as the sixth byte, the 386+ with a
// 16-bit operand stores the 24-bit base and 0 (SDM "SGDT", 80286 PRM).
template <bool idt>
bool store_table(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kDescriptorTables, c.s.cpl);
  if (i.ops[0].kind != OperandKind::kMem) return c.cpu.raise(kUD);
  const TableRegister& r = idt ? c.s.idtr : c.s.gdtr;
  uint32_t base = r.base;
  if (c.cpu.model() == x86::CpuModel::k286) base = (base & 0x00FFFFFFu) | 0xFF000000u;
  else if (i.opsize == 2) base &= 0x00FFFFFFu;
  const uint32_t ea = interp::effective_address(c.s, i);
  if (!c.cpu.check_segment(i.mem.seg, ea, 6, Access::kWrite)) return false;
  return c.cpu.write<uint16_t>(i.mem.seg, ea, r.limit) &&
         c.cpu.write<uint32_t>(i.mem.seg, interp::offset_add(i, ea, 2), base);
}

// Instructions that do not exist in real and V86 mode (#UD there).
template <int which>  // 0 SLDT, 1 STR, 2 LLDT, 3 LTR, 4 LAR, 5 LSL, 6 VERR, 7 VERW, 8 ARPL
bool pm_only(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kDescriptorTables, c.s.cpl);
  if (!c.s.protected_mode() || c.s.v86()) return c.cpu.raise(kUD);
  if (which == 0 || which == 1) {
    const uint16_t sel = which == 0 ? c.s.ldtr.selector : c.s.tr.selector;
    if (i.ops[0].kind == OperandKind::kReg && i.ops[0].size == 4) {
      c.s.gpr[i.ops[0].reg] = sel;
      return true;
    }
    return interp::write_op<uint16_t>(c, i, i.ops[0], sel);
  }
  static constexpr const char* kNames[] = {"sldt", "str", "lldt", "ltr", "lar", "lsl", "verr", "verw", "arpl"};
  return unsupported(c, kNames[which]);
}

}  // namespace

bool load_segment(ExecContext& c, unsigned seg, uint16_t sel) {
  CpuState& s = c.s;
  if (!s.protected_mode() || s.v86()) {
    s.load_segment_real(seg, sel);
    return true;
  }
  c.priv.count(Family::kDescriptorTables, s.cpl);
  const unsigned rpl = sel & 3;
  if ((sel & 0xFFFC) == 0) {
    // A null selector: legal for DS ES FS GS (faults on use), #GP(0) for SS.
    if (seg == x86::kSs) return c.cpu.raise(kGP, 0);
    s.seg[seg].selector = sel;
    s.seg[seg].attrs = 0;
    return true;
  }
  Descriptor d;
  if (!fetch_descriptor(c, sel, d)) return false;
  const uint16_t err = sel & 0xFFFC;
  if (seg == x86::kSs) {
    // Writable data segment with RPL = DPL = CPL (SDM Vol. 2 "MOV", "POP").
    if (d.system() || d.code() || !(d.attrs & 2) || rpl != s.cpl || d.dpl() != s.cpl)
      return c.cpu.raise(kGP, err);
    if (!d.present()) return c.cpu.raise(kSS, err);
  } else {
    // Data or readable code; DPL >= max(CPL, RPL) unless conforming code.
    if (d.system() || (d.code() && !(d.attrs & 2))) return c.cpu.raise(kGP, err);
    const bool conforming = d.code() && (d.attrs & 4);
    if (!conforming && d.dpl() < (rpl > s.cpl ? rpl : s.cpl)) return c.cpu.raise(kGP, err);
    if (!d.present()) return c.cpu.raise(kNP, err);
  }
  set_accessed(c, d);
  load_cache(s.seg[seg], sel, d);
  return true;
}

bool load_code_segment(ExecContext& c, uint16_t sel, uint32_t offset) {
  CpuState& s = c.s;
  // A new CS (base, limit, D bit) ends the engine's chain of decoded
  // successors, even when the load then faults.
  c.attention = true;
  if (!s.protected_mode() || s.v86()) {
    // Real mode: the new IP must lie within the (cached) CS limit.
    if (offset > s.seg[x86::kCs].limit) return c.cpu.raise(kGP, 0);
    s.load_segment_real(x86::kCs, sel);
    return true;
  }
  c.priv.count(Family::kDescriptorTables, s.cpl);
  if ((sel & 0xFFFC) == 0) return c.cpu.raise(kGP, 0);
  Descriptor d;
  if (!fetch_descriptor(c, sel, d)) return false;
  const uint16_t err = sel & 0xFFFC;
  if (d.system()) return unsupported(c, "far transfer through a gate or TSS");
  if (!d.code()) return c.cpu.raise(kGP, err);
  const bool conforming = d.attrs & 4;
  if (conforming ? d.dpl() > s.cpl : ((sel & 3) > s.cpl || d.dpl() != s.cpl)) return c.cpu.raise(kGP, err);
  if (!d.present()) return c.cpu.raise(kNP, err);
  if (offset > d.limit) return c.cpu.raise(kGP, 0);
  set_accessed(c, d);
  load_cache(s.seg[x86::kCs], uint16_t((sel & 0xFFFC) | s.cpl), d);
  return true;
}

bool iret_protected(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kHaltInterruptFlag, c.s.cpl);
  if (c.s.eflags & x86::kNT) return unsupported(c, "iret to a nested task");
  interp::StackCursor st(c);
  uint32_t off, sel32, flags;
  if (i.opsize == 2) {
    uint16_t o, s16, f;
    if (!st.pop(o) || !st.pop(s16) || !st.pop(f)) return false;
    off = o;
    sel32 = s16;
    flags = f;
  } else if (!st.pop(off) || !st.pop(sel32) || !st.pop(flags)) {
    return false;
  }
  const uint16_t sel = uint16_t(sel32);
  if ((sel & 3) != c.s.cpl) return unsupported(c, "iret to another privilege level");
  if (!load_code_segment(c, sel, off)) return false;
  st.commit();
  write_flags(c, flags, i.opsize);
  c.next_eip = off;
  return true;
}

void register_descriptor_tables(HandlerTable& t) {
  t.set(M::kLgdt, load_table<false>);
  t.set(M::kLidt, load_table<true>);
  t.set(M::kSgdt, store_table<false>);
  t.set(M::kSidt, store_table<true>);
  t.set(M::kSldt, pm_only<0>);
  t.set(M::kStr, pm_only<1>);
  t.set(M::kLldt, pm_only<2>);
  t.set(M::kLtr, pm_only<3>);
  t.set(M::kLar, pm_only<4>);
  t.set(M::kLsl, pm_only<5>);
  t.set(M::kVerr, pm_only<6>);
  t.set(M::kVerw, pm_only<7>);
  t.set(M::kArpl, pm_only<8>);
}

}  // namespace tx86::core::priv
