// Stack instructions: PUSH POP (register, memory, immediate, segment
// register), PUSHA/PUSHAD, POPA/POPAD, ENTER, LEAVE (SDM Vol. 2). PUSHF and
// POPF are sensitive and live in core/priv/interrupt_flag.cpp.
#include "core/interp/handler_table.h"
#include "core/priv/priv.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;

template <typename T>
bool push_op(ExecContext& c, const Insn& i) {
  const Operand& o = i.ops[0];
  T v;
  if (o.kind == OperandKind::kSreg) {
    v = c.s.seg[o.reg].selector;  // zero-extended for a 32-bit push
  } else if (!read_op(c, i, o, v)) {  // PUSH SP pushes the value before the push (286+)
    return false;
  }
  return push<T>(c, v);
}

template <typename T>
bool pop_op(ExecContext& c, const Insn& i) {
  const Operand& o = i.ops[0];
  StackCursor st(c);
  T v;
  if (!st.pop(v)) return false;
  if (o.kind == OperandKind::kSreg) {
    if (o.reg == x86::kCs) return c.cpu.raise(kUD);
    if (!priv::load_segment(c, o.reg, uint16_t(v))) return false;
    st.commit();
    if (o.reg == x86::kSs) ss_loaded(c);
    return true;
  }
  if (o.kind == OperandKind::kReg) {
    st.commit();
    set_reg<T>(c.s, o.reg, v);  // POP SP loads the popped value
    return true;
  }
  // POP m: the address is computed with ESP already incremented (SDM "POP").
  // If the store faults, the 386+ restores ESP; the 286 leaves it
  // incremented (SingleStepTests 8F vectors).
  const uint32_t old_sp = c.s.gpr[x86::kEsp];
  st.commit();
  if (!write_op(c, i, o, v)) {
    if (c.cpu.model() != x86::CpuModel::k286) c.s.gpr[x86::kEsp] = old_sp;
    return false;
  }
  return true;
}

// PUSHA/POPA on a 32-bit stack whose eight slots all pass the segment
// checks and lie in one page the TLB holds go straight to the page (the
// same stores or loads the eight pushes or pops make, none of which can
// fault then: within one page, the first slot's cached access means every
// slot's is); anything else goes slot by slot.
template <typename T>
bool pusha(ExecContext& c, const Insn&) {
  StackCursor st(c);
  const T sp = T(c.s.gpr[x86::kEsp]);
  if (st.big) {
    const uint32_t start = st.sp - 8 * uint32_t{sizeof(T)};
    const uint32_t linear = c.s.seg[x86::kSs].base + start;
    // Slot k (lowest address first) holds register 7 - k: EDI ... EAX.
    const auto slot = [&](unsigned k) {
      const unsigned r = 7 - k;
      const T v = r == x86::kEsp ? sp : get_reg<T>(c.s, r);
      return c.cpu.write_linear_if_cached(linear + k * uint32_t{sizeof(T)}, &v, sizeof v);
    };
    if (start < st.sp && (linear & kPageMask) <= kPageSize - 8 * sizeof(T) &&
        c.cpu.check_segment_run(x86::kSs, start, 8, sizeof(T), Access::kWrite) && slot(0)) {
      for (unsigned k = 1; k < 8; ++k) slot(k);
      c.s.gpr[x86::kEsp] = start;
      return true;
    }
  }
  for (unsigned r = 0; r < 8; ++r)
    if (!st.push<T>(r == x86::kEsp ? sp : get_reg<T>(c.s, r))) return false;
  st.commit();
  return true;
}

template <typename T>
bool popa(ExecContext& c, const Insn&) {
  StackCursor st(c);
  if (st.big) {
    T frame[8];  // lowest address first: EDI ... EAX
    if (c.cpu.check_segment_run(x86::kSs, st.sp, 8, sizeof(T), Access::kRead) &&
        c.cpu.read_linear_if_cached(c.s.seg[x86::kSs].base + st.sp, frame, sizeof frame)) {
      for (unsigned r = 0; r < 8; ++r)
        if (r != x86::kEsp) set_reg<T>(c.s, r, frame[7 - r]);
      c.s.gpr[x86::kEsp] = st.sp + uint32_t{sizeof frame};
      return true;
    }
  }
  T v[8];
  for (int r = 7; r >= 0; --r)
    if (!st.pop<T>(v[r])) return false;
  for (unsigned r = 0; r < 8; ++r)
    if (r != x86::kEsp) set_reg<T>(c.s, r, v[r]);
  st.commit();
  return true;
}

// ENTER imm16, imm8 (SDM "ENTER", nesting level taken modulo 32).
template <typename T>
bool enter(ExecContext& c, const Insn& i) {
  const uint32_t size = i.ops[0].imm & 0xFFFF;
  const unsigned level = i.enter_level & 31;
  StackCursor st(c);
  if (!st.push<T>(get_reg<T>(c.s, x86::kEbp))) return false;
  const uint32_t frame = st.sp;
  uint32_t bp = c.s.gpr[x86::kEbp];
  if (level > 0) {
    for (unsigned n = 1; n < level; ++n) {
      bp = st.big ? bp - sizeof(T) : ((bp & 0xFFFF0000u) | ((bp - sizeof(T)) & 0xFFFF));
      T v;
      if (!c.cpu.read<T>(x86::kSs, st.big ? bp : (bp & 0xFFFF), v)) return false;
      if (!st.push<T>(v)) return false;
    }
    if (!st.push<T>(T(frame))) return false;
  }
  const uint32_t new_sp = st.big ? st.sp - size : ((st.sp & 0xFFFF0000u) | ((st.sp - size) & 0xFFFF));
  // The 386+ checks that the whole frame is writable (SDM: #SS if the new
  // ESP is outside the stack segment).
  if (size != 0 && !c.cpu.check_segment(x86::kSs, st.big ? new_sp : (new_sp & 0xFFFF), 1, Access::kWrite))
    return false;
  set_reg<T>(c.s, x86::kEbp, T(frame));
  c.s.gpr[x86::kEsp] = new_sp;
  return true;
}

template <typename T>
bool leave(ExecContext& c, const Insn&) {
  StackCursor st(c);
  st.sp = st.big ? c.s.gpr[x86::kEbp] : ((c.s.gpr[x86::kEsp] & 0xFFFF0000u) | (c.s.gpr[x86::kEbp] & 0xFFFF));
  T bp;
  if (!st.pop<T>(bp)) return false;
  st.commit();
  set_reg<T>(c.s, x86::kEbp, bp);
  return true;
}

}  // namespace

void register_stack(HandlerTable& t) {
  t.set(M::kPush, push_op<uint16_t>, push_op<uint16_t>, push_op<uint32_t>);
  t.set(M::kPop, pop_op<uint16_t>, pop_op<uint16_t>, pop_op<uint32_t>);
  t.set(M::kPusha, pusha<uint16_t>, pusha<uint16_t>, pusha<uint32_t>);
  t.set(M::kPopa, popa<uint16_t>, popa<uint16_t>, popa<uint32_t>);
  t.set(M::kEnter, enter<uint16_t>, enter<uint16_t>, enter<uint32_t>);
  t.set(M::kLeave, leave<uint16_t>, leave<uint16_t>, leave<uint32_t>);
}

}  // namespace tx86::core::interp
