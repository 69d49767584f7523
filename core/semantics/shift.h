// Shift and rotate semantics (ROL ROR RCL RCR SHL SHR SAR SHLD SHRD) as
// templates over operand width, shared by the interpreter and the JIT.
//
// SDM Vol. 2, "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD": the count
// is masked to 5 bits (the 80286 does the same; the 8086 did not). A masked
// count of 0 changes nothing, flags included. OF is defined for a count of 1
// only; for larger counts we apply the 1-bit rule to the last 1-bit step,
// which is what the 286 vectors show (and what P6-class parts do for SHL/SHR). AF is undefined: cleared.
// CF for SHL/SHR of 8/16-bit operands by more than the width is the last bit
// shifted out of an infinitely wide register (0), as the 286/386 produce.
#pragma once

#include <cstdint>

#include "core/semantics/alu.h"

namespace tx86::core::sem {

enum class ShiftOp : uint8_t { kRol, kRor, kRcl, kRcr, kShl, kShr, kSal, kSar };

// Returns the result and updates eflags. `count` is the raw count operand.
template <typename T>
inline T shift(ShiftOp op, T a, uint32_t count, uint32_t& eflags) {
  constexpr unsigned bits = kBits<T>;
  count &= 0x1F;
  if (count == 0) return a;
  uint32_t f = eflags;
  T r = a;
  switch (op) {
    case ShiftOp::kRol: {
      const unsigned n = count % bits;
      r = n ? T((a << n) | (a >> (bits - n))) : a;
      const bool cf = r & 1;
      f = (f & ~(kCF | kOF)) | (cf ? kCF : 0) | ((((r & kMsb<T>) != 0) != cf) ? kOF : 0);
      eflags = f;
      return r;
    }
    case ShiftOp::kRor: {
      const unsigned n = count % bits;
      r = n ? T((a >> n) | (a << (bits - n))) : a;
      const bool msb = (r & kMsb<T>) != 0;
      const bool msb1 = (r & (kMsb<T> >> 1)) != 0;
      f = (f & ~(kCF | kOF)) | (msb ? kCF : 0) | ((msb != msb1) ? kOF : 0);
      eflags = f;
      return r;
    }
    case ShiftOp::kRcl: {
      const unsigned n = bits == 32 ? count : count % (bits + 1);
      if (n == 0) {
        // A count that is a multiple of 9 (17) rotates nothing, but the
        // 286 still recomputes OF = MSB ^ CF (SingleStepTests C0.2).
        const bool cf0 = f & kCF;
        eflags = (f & ~kOF) | ((((a & kMsb<T>) != 0) != cf0) ? kOF : 0);
        return a;
      }
      uint64_t cf = (f & kCF) ? 1 : 0;
      // Rotate through a (bits + 1)-bit register CF:a.
      uint64_t v = (cf << bits) | a;
      const uint64_t mask = (uint64_t{1} << (bits + 1)) - 1;
      v = ((v << n) | (v >> (bits + 1 - n))) & mask;
      r = T(v);
      cf = (v >> bits) & 1;
      f = (f & ~(kCF | kOF)) | (cf ? kCF : 0) | ((((r & kMsb<T>) != 0) != (cf != 0)) ? kOF : 0);
      eflags = f;
      return r;
    }
    case ShiftOp::kRcr: {
      const unsigned n = bits == 32 ? count : count % (bits + 1);
      if (n == 0) {
        const bool msb = (a & kMsb<T>) != 0, msb1 = (a & (kMsb<T> >> 1)) != 0;
        eflags = (f & ~kOF) | ((msb != msb1) ? kOF : 0);
        return a;
      }
      uint64_t cf = (f & kCF) ? 1 : 0;
      uint64_t v = (cf << bits) | a;
      const uint64_t mask = (uint64_t{1} << (bits + 1)) - 1;
      v = ((v >> n) | (v << (bits + 1 - n))) & mask;
      r = T(v);
      cf = (v >> bits) & 1;
      const bool msb = (r & kMsb<T>) != 0;
      const bool msb1 = (r & (kMsb<T> >> 1)) != 0;
      f = (f & ~(kCF | kOF)) | (cf ? kCF : 0) | ((msb != msb1) ? kOF : 0);
      eflags = f;
      return r;
    }
    case ShiftOp::kShl:
    case ShiftOp::kSal: {
      const uint64_t wide = uint64_t{a} << count;
      r = T(wide);
      const bool cf = (wide >> bits) & 1;
      f = szp(r) | (cf ? kCF : 0) | ((((r & kMsb<T>) != 0) != cf) ? kOF : 0);
      set_arith(eflags, f);
      return r;
    }
    case ShiftOp::kShr: {
      r = count >= bits ? T(0) : T(a >> count);
      const bool cf = count - 1 < bits ? ((a >> (count - 1)) & 1) : false;
      // OF is the sign of the value before the last 1-bit step: the
      // original sign for a count of 1, 0 for larger counts (286 vectors).
      const uint64_t before_last = count - 1 < 64 ? (uint64_t{a} >> (count - 1)) : 0;
      f = szp(r) | (cf ? kCF : 0) | ((before_last & kMsb<T>) ? kOF : 0);
      set_arith(eflags, f);
      return r;
    }
    case ShiftOp::kSar: {
      const int64_t sa = static_cast<Signed<T>>(a);
      r = T(sa >> count);
      const bool cf = (sa >> (count - 1)) & 1;
      f = szp(r) | (cf ? kCF : 0);
      set_arith(eflags, f);
      return r;
    }
  }
  return r;
}

// SHLD dest, src, count / SHRD (386+). For 16-bit operands and counts above
// 16 the result is undefined (SDM); we shift through src:dest:src as the
// P6 does.
template <typename T>
inline T shift_double(bool left, T dest, T src, uint32_t count, uint32_t& eflags) {
  constexpr unsigned bits = kBits<T>;
  count &= 0x1F;
  if (count == 0) return dest;
  T r;
  bool cf;
  if (bits == 32) {
    if (left) {
      const uint64_t v = (uint64_t{dest} << 32) | src;
      r = T((v << count) >> 32);
      cf = (dest >> (32 - count)) & 1;
    } else {
      const uint64_t v = (uint64_t{src} << 32) | dest;
      r = T(v >> count);
      cf = (dest >> (count - 1)) & 1;
    }
  } else {
    // 16-bit: a 48-bit pattern makes counts 17..31 behave like hardware.
    if (left) {
      const uint64_t v = (uint64_t{dest} << 32) | (uint64_t{src} << 16) | dest;
      r = T((v << count) >> 32);
      cf = ((v << (count - 1)) >> 47) & 1;
    } else {
      const uint64_t v = (uint64_t{dest} << 32) | (uint64_t{src} << 16) | dest;
      r = T(v >> count);
      cf = (v >> (count - 1)) & 1;
    }
  }
  const uint32_t f = szp(r) | (cf ? kCF : 0) | ((((r ^ dest) & kMsb<T>) != 0) ? kOF : 0);
  set_arith(eflags, f);
  return r;
}

}  // namespace tx86::core::sem
