// Descriptor-table family: LGDT LIDT SGDT SIDT, SLDT STR LLDT LTR LAR LSL
// VERR VERW ARPL, and segment-register loads (MOV/POP/LxS to a segment
// register, far transfers). SDM Vol. 2 per instruction; descriptor formats
// and load checks: Vol. 3A, 3.4.5 and 5.4-5.8.
//
// Descriptor fetch and the task switch: descriptors.h; far transfers
// through gates: gates.cpp.
#include <string>

#include "core/priv/descriptors.h"
#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;
using x86::OperandKind;

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

// SLDT/STR r/m16 (a 32-bit register gets the zero-extended selector).
template <bool tr>
bool store_selector(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kDescriptorTables, c.s.cpl);
  if (!c.s.protected_mode() || c.s.v86()) return c.cpu.raise(kUD);
  const uint16_t sel = tr ? c.s.tr.selector : c.s.ldtr.selector;
  if (i.ops[0].kind == OperandKind::kReg && i.ops[0].size == 4) {
    c.s.gpr[i.ops[0].reg] = sel;
    return true;
  }
  return interp::write_op<uint16_t>(c, i, i.ops[0], sel);
}

bool read_selector(ExecContext& c, const x86::Insn& i, const x86::Operand& o, uint16_t& sel) {
  if (o.kind == OperandKind::kReg) {
    sel = uint16_t(c.s.gpr[o.reg]);
    return true;
  }
  return interp::read_op<uint16_t>(c, i, o, sel);
}

void set_zf(CpuState& s, bool on) {
  if (on) s.eflags |= x86::kZF;
  else s.eflags &= ~x86::kZF;
}

// LLDT r/m16 (SDM Vol. 2 "LLDT"): CPL 0; a GDT selector of an LDT
// descriptor; a null selector leaves LDTR unusable.
bool lldt(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kDescriptorTables, c.s.cpl);
  if (!c.s.protected_mode() || c.s.v86()) return c.cpu.raise(kUD);
  if (c.s.cpl != 0) return c.cpu.raise(kGP, 0);
  uint16_t sel;
  if (!read_selector(c, i, i.ops[0], sel)) return false;
  if ((sel & 0xFFFC) == 0) {
    load_null(c.s.ldtr, sel);
    return true;
  }
  const uint32_t err = sel & 0xFFFC;
  if (sel & 4) return c.cpu.raise(kGP, err);
  Descriptor d;
  if (!fetch_descriptor(c.cpu, sel, d)) return false;
  if (!d.system() || d.type() != kLdt) return c.cpu.raise(kGP, err);
  if (!d.present()) return c.cpu.raise(kNP, err);
  load_cache(c.s.ldtr, sel, d);
  return true;
}

// LTR r/m16 (SDM Vol. 2 "LTR"): CPL 0; an available TSS in the GDT, which
// becomes busy.
bool ltr(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kDescriptorTables, c.s.cpl);
  if (!c.s.protected_mode() || c.s.v86()) return c.cpu.raise(kUD);
  if (c.s.cpl != 0) return c.cpu.raise(kGP, 0);
  uint16_t sel;
  if (!read_selector(c, i, i.ops[0], sel)) return false;
  if ((sel & 0xFFFC) == 0) return c.cpu.raise(kGP, 0);
  const uint32_t err = sel & 0xFFFC;
  if (sel & 4) return c.cpu.raise(kGP, err);
  Descriptor d;
  if (!fetch_descriptor(c.cpu, sel, d)) return false;
  if (!d.tss() || d.tss_busy()) return c.cpu.raise(kGP, err);
  if (!d.present()) return c.cpu.raise(kNP, err);
  if (!set_tss_busy(c.cpu, d.address, true)) return false;
  d.attrs |= 2;
  load_cache(c.s.tr, sel, d);
  return true;
}

// LAR/LSL/VERR/VERW (SDM Vol. 2): an invalid selector, a type the
// instruction does not accept or a privilege mismatch clear ZF; only memory
// faults while reading the descriptor are exceptions.
enum class Probe : uint8_t { kLar, kLsl, kVerr, kVerw };

template <Probe P>
bool probe_descriptor(ExecContext& c, const x86::Insn& i) {
  CpuState& s = c.s;
  c.priv.count(Family::kDescriptorTables, s.cpl);
  if (!s.protected_mode() || s.v86()) return c.cpu.raise(kUD);
  const x86::Operand& src = (P == Probe::kLar || P == Probe::kLsl) ? i.ops[1] : i.ops[0];
  uint16_t sel;
  if (!read_selector(c, i, src, sel)) return false;
  bool ok = (sel & 0xFFFC) != 0 && selector_in_table(s, sel);
  Descriptor d;
  if (ok && !fetch_descriptor(c.cpu, sel, d)) return false;
  if (ok) {
    if (d.system()) {
      // Table 3-2 types each instruction accepts.
      static constexpr uint16_t kLarTypes = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) |
                                            (1 << 11) | (1 << 12);
      static constexpr uint16_t kLslTypes = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 11);
      if (P == Probe::kLar) ok = (kLarTypes >> d.type()) & 1;
      else if (P == Probe::kLsl) ok = (kLslTypes >> d.type()) & 1;
      else ok = false;
    } else if (P == Probe::kVerr) {
      ok = d.data() || d.readable_code();
    } else if (P == Probe::kVerw) {
      ok = d.writable_data();
    }
    // Privilege: DPL >= CPL and DPL >= RPL, except for conforming code.
    if (ok && !d.conforming() && (d.dpl() < s.cpl || d.dpl() < (sel & 3u))) ok = false;
  }
  set_zf(s, ok);
  if (!ok || P == Probe::kVerr || P == Probe::kVerw) return true;
  const x86::Operand& dst = i.ops[0];
  if (P == Probe::kLar) {
    if (dst.size == 2) s.set_reg16(dst.reg, uint16_t(d.hi & 0xFF00));
    // The SDM masks with 00FxFF00H (bits 16-19 undefined); Intel CPUs
    // return the limit bits there, as Bochs does.
    else s.gpr[dst.reg] = d.hi & 0x00FFFF00u;
  } else {
    if (dst.size == 2) s.set_reg16(dst.reg, uint16_t(d.limit));
    else s.gpr[dst.reg] = d.limit;
  }
  return true;
}

// ARPL r/m16, r16 (SDM Vol. 2 "ARPL"): raises the RPL of the destination
// to the source's; #UD in real and V86 mode.
bool arpl(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kDescriptorTables, c.s.cpl);
  if (!c.s.protected_mode() || c.s.v86()) return c.cpu.raise(kUD);
  uint16_t dst;
  if (!interp::read_op<uint16_t>(c, i, i.ops[0], dst)) return false;
  const uint16_t src = uint16_t(c.s.gpr[i.ops[1].reg]);
  if ((dst & 3) < (src & 3)) {
    if (!interp::write_op<uint16_t>(c, i, i.ops[0], uint16_t((dst & ~3) | (src & 3)))) return false;
    set_zf(c.s, true);
  } else {
    set_zf(c.s, false);
  }
  return true;
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
    load_null(s.seg[seg], sel);
    return true;
  }
  Descriptor d;
  if (!fetch_descriptor(c.cpu, sel, d)) return false;
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
  if (!set_accessed(c.cpu, d)) return false;
  load_cache(s.seg[seg], sel, d);
  return true;
}

bool load_code_segment(ExecContext& c, uint16_t sel, uint32_t offset) {
  CpuState& s = c.s;
  // A new CS (base, limit, D bit) ends the engine's chain of decoded
  // successors, even when the load then faults.
  c.attention = true;
  if (s.protected_mode() && !s.v86()) {
    // Protected-mode far transfers go through core/priv/gates.cpp.
    c.priv.count(Family::kDescriptorTables, s.cpl);
    return c.cpu.raise(kGP, sel & 0xFFFC);
  }
  // Real mode: the new IP must lie within the (cached) CS limit.
  if (offset > s.seg[x86::kCs].limit) return c.cpu.raise(kGP, 0);
  s.load_segment_real(x86::kCs, sel);
  return true;
}

void register_descriptor_tables(HandlerTable& t) {
  t.set(M::kLgdt, load_table<false>);
  t.set(M::kLidt, load_table<true>);
  t.set(M::kSgdt, store_table<false>);
  t.set(M::kSidt, store_table<true>);
  t.set(M::kSldt, store_selector<false>);
  t.set(M::kStr, store_selector<true>);
  t.set(M::kLldt, lldt);
  t.set(M::kLtr, ltr);
  t.set(M::kLar, probe_descriptor<Probe::kLar>);
  t.set(M::kLsl, probe_descriptor<Probe::kLsl>);
  t.set(M::kVerr, probe_descriptor<Probe::kVerr>);
  t.set(M::kVerw, probe_descriptor<Probe::kVerw>);
  t.set(M::kArpl, arpl);
}

}  // namespace tx86::core::priv
