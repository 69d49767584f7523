// Bit-scan and bit-test semantics (BT BTS BTR BTC BSF BSR BSWAP) over operand
// width. SDM Vol. 2, "BT" and friends: CF receives the selected bit; OF, SF,
// AF, PF are undefined (left unchanged). BSF/BSR set ZF when the source is 0
// and then leave the destination unchanged (what every Intel part does).
#pragma once

#include <cstdint>

#include "core/semantics/alu.h"

namespace tx86::core::sem {

enum class BitOp : uint8_t { kTest, kSet, kReset, kComplement };

template <typename T>
inline T bit_op(BitOp op, T value, unsigned bit, uint32_t& eflags) {
  bit &= kBits<T> - 1;
  const T mask = T(T(1) << bit);
  eflags = (eflags & ~kCF) | ((value & mask) ? kCF : 0);
  switch (op) {
    case BitOp::kTest: return value;
    case BitOp::kSet: return T(value | mask);
    case BitOp::kReset: return T(value & ~mask);
    case BitOp::kComplement: return T(value ^ mask);
  }
  return value;
}

// Returns true when `dest` is to be written with `index`.
template <typename T>
inline bool bit_scan(bool reverse, T src, T& index, uint32_t& eflags) {
  if (src == 0) {
    eflags |= kZF;
    return false;
  }
  eflags &= ~kZF;
  index = T(reverse ? 31 - __builtin_clz(uint32_t{src}) : __builtin_ctz(uint32_t{src}));
  return true;
}

inline uint32_t bswap(uint32_t v) { return __builtin_bswap32(v); }

}  // namespace tx86::core::sem
