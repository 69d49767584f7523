// Decimal-adjust semantics: DAA DAS AAA AAS AAM AAD (SDM Vol. 2, one page
// each). They work on AL/AH only and take the whole EFLAGS word because they
// read AF and CF. OF is undefined for DAA/DAS (cleared), and SF/ZF/PF are
// undefined for AAA/AAS (set from the final AL, as the 286 and later do).
#pragma once

#include <cstdint>

#include "core/semantics/alu.h"

namespace tx86::core::sem {

inline uint8_t daa(uint8_t al, uint32_t& eflags) {
  const uint8_t old_al = al;
  const bool old_cf = eflags & kCF;
  bool cf = false, af = false;
  if ((al & 0x0F) > 9 || (eflags & kAF)) {
    cf = old_cf || al > 0xF9;
    al = uint8_t(al + 6);
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    al = uint8_t(al + 0x60);
    cf = true;
  }
  set_arith(eflags, szp(al) | (cf ? kCF : 0) | (af ? kAF : 0));
  return al;
}

inline uint8_t das(uint8_t al, uint32_t& eflags) {
  const uint8_t old_al = al;
  const bool old_cf = eflags & kCF;
  bool cf = false, af = false;
  if ((al & 0x0F) > 9 || (eflags & kAF)) {
    cf = old_cf || al < 6;
    al = uint8_t(al - 6);
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    al = uint8_t(al - 0x60);
    cf = true;
  }
  set_arith(eflags, szp(al) | (cf ? kCF : 0) | (af ? kAF : 0));
  return al;
}

// AAA / AAS on AX. The 286 and later add/subtract 6 on the whole AX for the
// low digit (so the carry out of AL reaches AH) and then adjust AH by one.
inline uint16_t aaa(uint16_t ax, uint32_t& eflags) {
  bool adjust = (ax & 0x0F) > 9 || (eflags & kAF);
  if (adjust) ax = uint16_t(ax + 0x106);
  ax &= 0xFF0F;
  set_arith(eflags, szp(uint8_t(ax)) | (adjust ? kCF | kAF : 0));
  return ax;
}

inline uint16_t aas(uint16_t ax, uint32_t& eflags) {
  bool adjust = (ax & 0x0F) > 9 || (eflags & kAF);
  if (adjust) ax = uint16_t(ax - 6 - 0x100);
  ax &= 0xFF0F;
  set_arith(eflags, szp(uint8_t(ax)) | (adjust ? kCF | kAF : 0));
  return ax;
}

// AAM imm8: false means #DE (imm8 == 0).
inline bool aam(uint16_t ax, uint8_t base, uint16_t& out, uint32_t& eflags) {
  if (base == 0) return false;
  const uint8_t al = uint8_t(ax);
  const uint8_t hi = al / base, lo = al % base;
  out = uint16_t(hi << 8 | lo);
  set_arith(eflags, szp(lo));
  return true;
}

// AAD imm8: AL = AL + AH * imm8, AH = 0; flags as the 8-bit ADD that the
// hardware performs (AF, CF and OF are "undefined" but come from that add).
inline uint16_t aad(uint16_t ax, uint8_t base, uint32_t& eflags) {
  const uint8_t prod = uint8_t((ax >> 8) * base);
  const uint8_t al = add<uint8_t>(uint8_t(ax), prod, 0, eflags);
  return al;
}

}  // namespace tx86::core::sem
