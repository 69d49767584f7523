// Integer ALU semantics shared by the interpreter and the JIT (DESIGN.md §2):
// the arithmetic, logic and flag rules of ADD ADC SUB SBB CMP AND OR XOR TEST
// INC DEC NEG NOT, and the 16 condition codes, as templates over operand
// width (uint8_t, uint16_t, uint32_t).
//
// Flags are computed eagerly into an EFLAGS word. Rules: Intel SDM Vol. 1,
// 3.4.3.1 and appendix A (EFLAGS cross-reference); Vol. 2 per instruction.
// Where the SDM calls a flag undefined (AF after logic ops) we write what
// P6-class hardware produces (AF cleared).
#pragma once

#include <cstdint>
#include <type_traits>

#include "frontend-x86/insn.h"

namespace tx86::core::sem {

// Plain uint32_t copies of the EFLAGS bits, so that `cond ? kCF : 0` is
// not a mixed enum/int expression.
inline constexpr uint32_t kCF = x86::kCF, kPF = x86::kPF, kAF = x86::kAF, kZF = x86::kZF;
inline constexpr uint32_t kSF = x86::kSF, kOF = x86::kOF, kArithFlags = x86::kArithFlags;

template <typename T>
inline constexpr unsigned kBits = sizeof(T) * 8;
template <typename T>
inline constexpr T kMsb = T(T(1) << (kBits<T> - 1));

// Signed counterpart of an operand type.
template <typename T>
using Signed = std::conditional_t<sizeof(T) == 1, int8_t, std::conditional_t<sizeof(T) == 2, int16_t, int32_t>>;

inline uint32_t parity_flag(uint32_t v) { return __builtin_parity(v & 0xFF) ? 0 : kPF; }

// SF, ZF and PF of a result.
template <typename T>
inline uint32_t szp(T r) {
  uint32_t f = parity_flag(r);
  if (r == 0) f |= kZF;
  if (r & kMsb<T>) f |= kSF;
  return f;
}

inline void set_arith(uint32_t& eflags, uint32_t f) { eflags = (eflags & ~kArithFlags) | f; }

// ADD / ADC: carry_in is 0 or 1.
template <typename T>
inline T add(T a, T b, uint32_t carry_in, uint32_t& eflags) {
  const T r = T(a + b + carry_in);
  uint32_t f = szp(r);
  if (carry_in ? r <= a : r < a) f |= kCF;
  if ((a ^ r) & (b ^ r) & kMsb<T>) f |= kOF;
  if ((a ^ b ^ r) & 0x10) f |= kAF;
  set_arith(eflags, f);
  return r;
}

// SUB / SBB / CMP: borrow_in is 0 or 1.
template <typename T>
inline T sub(T a, T b, uint32_t borrow_in, uint32_t& eflags) {
  const T r = T(a - b - borrow_in);
  uint32_t f = szp(r);
  if (borrow_in ? a <= b : a < b) f |= kCF;
  if ((a ^ b) & (a ^ r) & kMsb<T>) f |= kOF;
  if ((a ^ b ^ r) & 0x10) f |= kAF;
  set_arith(eflags, f);
  return r;
}

// AND / OR / XOR / TEST: CF = OF = 0, AF undefined (cleared).
template <typename T>
inline T logic_result(T r, uint32_t& eflags) {
  set_arith(eflags, szp(r));
  return r;
}

// INC / DEC keep CF (SDM Vol. 2, INC/DEC).
template <typename T>
inline T inc(T a, uint32_t& eflags) {
  const uint32_t cf = eflags & kCF;
  const T r = add<T>(a, 1, 0, eflags);
  eflags = (eflags & ~kCF) | cf;
  return r;
}
template <typename T>
inline T dec(T a, uint32_t& eflags) {
  const uint32_t cf = eflags & kCF;
  const T r = sub<T>(a, 1, 0, eflags);
  eflags = (eflags & ~kCF) | cf;
  return r;
}

// NEG: 0 - a, CF = (a != 0).
template <typename T>
inline T neg(T a, uint32_t& eflags) {
  return sub<T>(0, a, 0, eflags);
}

// Condition codes (SDM Vol. 1, B.1): 0 O, 1 NO, 2 B, 3 AE, 4 E, 5 NE, 6 BE,
// 7 A, 8 S, 9 NS, A P, B NP, C L, D GE, E LE, F G.
inline bool condition(unsigned cc, uint32_t f) {
  bool r;
  switch (cc >> 1) {
    case 0: r = f & kOF; break;
    case 1: r = f & kCF; break;
    case 2: r = f & kZF; break;
    case 3: r = f & (kCF | kZF); break;
    case 4: r = f & kSF; break;
    case 5: r = f & kPF; break;
    case 6: r = ((f & kSF) != 0) != ((f & kOF) != 0); break;
    default: r = (f & kZF) || (((f & kSF) != 0) != ((f & kOF) != 0)); break;
  }
  return (cc & 1) ? !r : r;
}

}  // namespace tx86::core::sem
