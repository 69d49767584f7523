// decode(): guest bytes -> Insn. A pure function of the bytes and the mode;
// no allocation, no global state, safe to call from any thread.
//
// Prefix rules, ModRM/SIB/displacement and the length limit follow the Intel
// SDM Vol. 2, chapter 2; the opcode rows come from frontend-x86/opcode_table.
#pragma once

#include <cstddef>
#include <cstdint>

#include "frontend-x86/insn.h"

namespace tx86::x86 {

// The longest instruction any model accepts (SDM Vol. 2, 2.3.11).
inline constexpr size_t kMaxInsnLength = 15;
// The 80286 limit: longer instructions raise #GP(0) (the SingleStepTests
// 80286 vectors: every 11-byte instruction ends in vector 13).
inline constexpr size_t k286MaxInsnLength = 10;

// Decodes the instruction starting at bytes[0]. `size` is how many bytes are
// readable; pass at least kMaxInsnLength where they exist. On kOk `out` holds
// the instruction; on kInvalid/kTooLong, out.length is the number of bytes
// consumed before the problem was seen (for the trace) and out.mnemonic is
// kInvalid.
DecodeStatus decode(const uint8_t* bytes, size_t size, const DecodeOptions& opts, Insn& out);

}  // namespace tx86::x86
