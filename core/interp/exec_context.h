// What an instruction handler works with: the per-instruction context, the
// handler signature, and small inline helpers to read and write Insn operands
// (registers, memory through Cpu::read/write, immediates) and the stack.
//
// Handlers return false when they recorded a fault in cpu.fault and left the
// architectural registers as they were (DESIGN.md §6). A branch writes
// `next_eip`; everything else falls through to EIP + length, set by the engine.
// Effective addresses: SDM Vol. 2, 2.1.5 (16- and 32-bit addressing forms).
#pragma once

#include <cstdint>

#include "core/cpu.h"
#include "core/machine.h"
#include "core/priv/priv_stats.h"
#include "frontend-x86/insn.h"

namespace tx86::core::interp {

using x86::Insn;
using x86::Operand;
using x86::OperandKind;

struct ExecContext {
  Machine& machine;
  Cpu& cpu;
  CpuState& s;
  priv::PrivStats& priv;
  uint32_t next_eip = 0;
  // Set by handlers after which the engine must look at the world again
  // (port I/O, IF changed, interrupt shadow, HLT): interrupts, events, stop.
  bool attention = false;
  // Set by STI / MOV SS / POP SS: no interrupt before the next instruction.
  bool shadow = false;
};

using Handler = bool (*)(ExecContext&, const Insn&);

// --- registers -----------------------------------------------------------------
template <typename T>
inline T get_reg(const CpuState& s, unsigned r) {
  if constexpr (sizeof(T) == 1) return s.reg8(r);
  else if constexpr (sizeof(T) == 2) return s.reg16(r);
  else return s.gpr[r];
}
template <typename T>
inline void set_reg(CpuState& s, unsigned r, T v) {
  if constexpr (sizeof(T) == 1) s.set_reg8(r, v);
  else if constexpr (sizeof(T) == 2) s.set_reg16(r, v);
  else s.gpr[r] = v;
}

// --- memory operands -----------------------------------------------------------
inline uint32_t effective_address(const CpuState& s, const Insn& i) {
  uint32_t a = static_cast<uint32_t>(i.mem.disp);
  if (i.mem.base != x86::kNoReg) a += s.gpr[i.mem.base];
  if (i.mem.index != x86::kNoReg) a += s.gpr[i.mem.index] << i.mem.scale;
  return i.addrsize == 2 ? (a & 0xFFFF) : a;
}
// Offset `delta` bytes further into a memory operand (far pointers, BOUND,
// descriptor-table images), wrapping as the address size does.
inline uint32_t offset_add(const Insn& i, uint32_t ea, uint32_t delta) {
  return i.addrsize == 2 ? ((ea + delta) & 0xFFFF) : ea + delta;
}

inline bool bad_operand(ExecContext& c) { return c.cpu.raise(kUD); }

// Segmented memory access with an inline real-mode fast path: outside
// protected mode, an expand-up segment and an access inside its limit pass
// every test Cpu::check_segment makes, so the linear access can go straight
// to the TLB. Everything else takes Cpu::read/write (same result, slower).
inline bool fast_segment_ok(const CpuState& s, unsigned seg, uint32_t off, uint32_t size) {
  const SegmentCache& sc = s.seg[seg];
  const bool expand_down = (sc.attrs & 0xC) == 0x4;
  return !s.protected_mode() && !expand_down && off <= sc.limit && size - 1 <= sc.limit - off;
}
template <typename T>
inline bool mem_read(ExecContext& c, unsigned seg, uint32_t off, T& v) {
  if (fast_segment_ok(c.s, seg, off, sizeof(T))) [[likely]]
    return c.cpu.read_linear<T>(c.s.seg[seg].base + off, v);
  return c.cpu.read<T>(seg, off, v);
}
template <typename T>
inline bool mem_write(ExecContext& c, unsigned seg, uint32_t off, T v) {
  if (fast_segment_ok(c.s, seg, off, sizeof(T))) [[likely]]
    return c.cpu.write_linear<T>(c.s.seg[seg].base + off, v);
  return c.cpu.write<T>(seg, off, v);
}

template <typename T>
inline bool read_op(ExecContext& c, const Insn& i, const Operand& o, T& v) {
  switch (o.kind) {
    case OperandKind::kReg: v = get_reg<T>(c.s, o.reg); return true;
    case OperandKind::kMem: return mem_read<T>(c, i.mem.seg, effective_address(c.s, i), v);
    case OperandKind::kImm: v = static_cast<T>(o.imm); return true;
    default: return bad_operand(c);
  }
}
// The destination read of a read-modify-write instruction: memory is read
// with write intent (Cpu::read_for_write), so a fault on it is the one the
// write would raise (#PF error code with W=1, #GP for a read-only segment).
template <typename T>
inline bool mem_read_for_write(ExecContext& c, unsigned seg, uint32_t off, T& v) {
  if (fast_segment_ok(c.s, seg, off, sizeof(T))) [[likely]]
    return c.cpu.read_linear<T>(c.s.seg[seg].base + off, v, Access::kWrite);
  return c.cpu.read_for_write<T>(seg, off, v);
}
template <typename T>
inline bool read_op_rmw(ExecContext& c, const Insn& i, const Operand& o, T& v) {
  if (o.kind == OperandKind::kMem) return mem_read_for_write<T>(c, i.mem.seg, effective_address(c.s, i), v);
  return read_op(c, i, o, v);
}

template <typename T>
inline bool write_op(ExecContext& c, const Insn& i, const Operand& o, T v) {
  switch (o.kind) {
    case OperandKind::kReg: set_reg<T>(c.s, o.reg, v); return true;
    case OperandKind::kMem: return mem_write<T>(c, i.mem.seg, effective_address(c.s, i), v);
    default: return bad_operand(c);
  }
}
// Operand as an unsigned 32-bit value of its own size (counts, ports, Iw).
inline bool read_any(ExecContext& c, const Insn& i, const Operand& o, uint32_t& v) {
  if (o.kind == OperandKind::kImm) {
    v = o.imm;
    return true;
  }
  switch (o.size) {
    case 1: { uint8_t b; if (!read_op(c, i, o, b)) return false; v = b; return true; }
    case 2: { uint16_t w; if (!read_op(c, i, o, w)) return false; v = w; return true; }
    default: return read_op(c, i, o, v);
  }
}

// --- operand forms ----------------------------------------------------------
// The hottest handlers are instantiated per operand form, picked once at
// decode time (resolve_handler), so that they need not switch on the operand
// kinds every time they run. kAny is the general form.
enum class Form : uint8_t { kAny, kRegReg, kRegImm, kCount };

inline Form form_of(const Insn& i) {
  if (i.num_operands < 2 || i.ops[0].kind != OperandKind::kReg) return Form::kAny;
  if (i.ops[1].kind == OperandKind::kReg) return Form::kRegReg;
  if (i.ops[1].kind == OperandKind::kImm) return Form::kRegImm;
  return Form::kAny;
}

template <Form F, typename T>
inline bool read_dst(ExecContext& c, const Insn& i, T& v) {
  if constexpr (F == Form::kAny) {
    return read_op(c, i, i.ops[0], v);
  } else {
    v = get_reg<T>(c.s, i.ops[0].reg);
    return true;
  }
}
// read_dst for an instruction that writes the destination back.
template <Form F, typename T>
inline bool read_dst_rmw(ExecContext& c, const Insn& i, T& v) {
  if constexpr (F == Form::kAny) {
    return read_op_rmw(c, i, i.ops[0], v);
  } else {
    v = get_reg<T>(c.s, i.ops[0].reg);
    return true;
  }
}
template <Form F, typename T>
inline bool read_src(ExecContext& c, const Insn& i, T& v) {
  if constexpr (F == Form::kRegReg) {
    v = get_reg<T>(c.s, i.ops[1].reg);
    return true;
  } else if constexpr (F == Form::kRegImm) {
    v = static_cast<T>(i.ops[1].imm);
    return true;
  } else {
    return read_op(c, i, i.ops[1], v);
  }
}
template <Form F, typename T>
inline bool write_dst(ExecContext& c, const Insn& i, T v) {
  if constexpr (F == Form::kAny) {
    return write_op(c, i, i.ops[0], v);
  } else {
    set_reg<T>(c.s, i.ops[0].reg, v);
    return true;
  }
}

// --- stack ---------------------------------------------------------------------
// Pushes and pops go through a StackCursor so that instructions with several
// stack accesses commit ESP only when all of them succeeded.
struct StackCursor {
  ExecContext& c;
  uint32_t sp;
  bool big;
  explicit StackCursor(ExecContext& ctx) : c(ctx), sp(ctx.s.gpr[x86::kEsp]), big(ctx.s.stack32()) {}

  template <typename T>
  bool push(T v) {
    const uint32_t nsp = big ? sp - sizeof(T) : ((sp - sizeof(T)) & 0xFFFF);
    if (!mem_write<T>(c, x86::kSs, nsp, v)) return false;
    sp = big ? nsp : ((sp & 0xFFFF0000u) | nsp);
    return true;
  }
  template <typename T>
  bool pop(T& v) {
    const uint32_t off = big ? sp : (sp & 0xFFFF);
    if (!mem_read<T>(c, x86::kSs, off, v)) return false;
    sp = big ? sp + sizeof(T) : ((sp & 0xFFFF0000u) | ((sp + sizeof(T)) & 0xFFFF));
    return true;
  }
  // Reads at ESP + `delta` without moving.
  template <typename T>
  bool peek(uint32_t delta, T& v) {
    const uint32_t off = big ? sp + delta : ((sp + delta) & 0xFFFF);
    return c.cpu.read<T>(x86::kSs, off, v);
  }
  void skip(uint32_t bytes) { sp = big ? sp + bytes : ((sp & 0xFFFF0000u) | ((sp + bytes) & 0xFFFF)); }
  void commit() { c.s.gpr[x86::kEsp] = sp; }
};

template <typename T>
inline bool push(ExecContext& c, T v) {
  StackCursor st(c);
  if (!st.push(v)) return false;
  st.commit();
  return true;
}

// After MOV SS / POP SS (SDM Vol. 3A, 6.8.3): no interrupt before the next
// instruction, and this instruction's debug traps (single-step, data
// breakpoints) are held until after the next one (core/interp/debug.h).
inline void ss_loaded(ExecContext& c) {
  c.shadow = true;
  c.cpu.hold_debug_traps = true;
}

// Operand-size-sized register value truncation for branch targets.
inline uint32_t truncate_ip(const Insn& i, uint32_t eip) { return i.opsize == 2 ? (eip & 0xFFFF) : eip; }

// The FLAGS bits a POPF/IRET may write in real mode, by model: the 286 keeps
// bits 12..15 at 0 in real mode (80286 PRM, 3.5); the 386+ has IOPL and NT
// (and AC on the 486+, ID on the P5+, in the 32-bit forms).
inline uint32_t writable_flags_mask(const Cpu& cpu, unsigned size) {
  if (cpu.model() == x86::CpuModel::k286) return 0x0FD5;
  uint32_t m = 0x7FD5;
  if (size == 4) m |= x86::kAC | x86::kID;
  return m;
}

}  // namespace tx86::core::interp
