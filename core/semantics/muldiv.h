// MUL, IMUL, DIV and IDIV semantics over operand width, shared by the
// interpreter and the JIT. SDM Vol. 2, "MUL", "IMUL", "DIV", "IDIV".
//
// The double-width value is passed as (high, low) halves the way the
// instructions use AH:AL, DX:AX and EDX:EAX. SF, ZF, PF and AF are undefined
// after MUL/IMUL; we set SF/ZF/PF from the low half and clear AF. Division
// leaves all six flags undefined: we leave them unchanged.
#pragma once

#include <cstdint>

#include "core/semantics/alu.h"

namespace tx86::core::sem {

template <typename T>
struct WideResult {
  T low;
  T high;
};

template <typename T>
inline WideResult<T> mul(T a, T b, uint32_t& eflags) {
  const uint64_t p = uint64_t{a} * uint64_t{b};
  WideResult<T> r{T(p), T(p >> kBits<T>)};
  uint32_t f = szp(r.low);
  if (r.high != 0) f |= kCF | kOF;
  set_arith(eflags, f);
  return r;
}

template <typename T>
inline WideResult<T> imul(T a, T b, uint32_t& eflags) {
  const int64_t p = int64_t{static_cast<Signed<T>>(a)} * int64_t{static_cast<Signed<T>>(b)};
  WideResult<T> r{T(p), T(uint64_t(p) >> kBits<T>)};
  uint32_t f = szp(r.low);
  if (p != int64_t{static_cast<Signed<T>>(r.low)}) f |= kCF | kOF;
  set_arith(eflags, f);
  return r;
}

// Returns false for #DE (divide by zero or quotient overflow).
template <typename T>
inline bool div(T high, T low, T divisor, T& quotient, T& remainder) {
  if (divisor == 0) return false;
  const uint64_t n = (uint64_t{high} << kBits<T>) | low;
  const uint64_t q = n / divisor;
  if (q >> kBits<T>) return false;
  quotient = T(q);
  remainder = T(n % divisor);
  return true;
}

template <typename T>
inline bool idiv(T high, T low, T divisor, T& quotient, T& remainder) {
  if (divisor == 0) return false;
  const int64_t n = static_cast<int64_t>((uint64_t{high} << kBits<T>) | low) << (64 - 2 * kBits<T>) >>
                    (64 - 2 * kBits<T>);
  const int64_t d = static_cast<Signed<T>>(divisor);
  // INT64_MIN / -1 cannot occur: n has at most 64 significant bits only for
  // 32-bit operands, and then |d| >= 1 keeps the quotient in range below.
  if (n == INT64_MIN && d == -1) return false;
  const int64_t q = n / d;
  constexpr int64_t lo = -(int64_t{1} << (kBits<T> - 1));
  constexpr int64_t hi = (int64_t{1} << (kBits<T> - 1)) - 1;
  if (q < lo || q > hi) return false;
  quotient = T(q);
  remainder = T(n % d);
  return true;
}

// IDIV r/m8 as the 80286 and 80386 execute it. Where the true quotient
// overflows, these CPUs still complete (no #DE) in one case: when the
// dividend with bit 14 inverted gives a quotient of exactly -128; they then
// return that division's quotient (80h) and remainder. Derived from the
// hardware vectors (SingleStepTests 80286 F6.7: the rule separates all 498
// overflowing cases, 2 completing and 496 raising #DE, with no exception) and
// reported for the 386EX vectors as well (SingleStepTests/80386 issue 3).
// Otherwise exactly idiv<uint8_t>.
inline bool idiv8_286(uint8_t high, uint8_t low, uint8_t divisor, uint8_t& quotient, uint8_t& remainder) {
  if (idiv<uint8_t>(high, low, divisor, quotient, remainder)) return true;
  if (divisor == 0) return false;
  const int32_t n = static_cast<int16_t>(((high << 8) | low) ^ 0x4000);
  const int32_t d = static_cast<int8_t>(divisor);
  if (n / d != -128) return false;
  quotient = 0x80;
  remainder = static_cast<uint8_t>(n % d);
  return true;
}

}  // namespace tx86::core::sem
