// The decoder-vs-Capstone comparison shared by the random test and the
// errata self-check: decode one byte string with tx86 and with Capstone 4,
// compare length, mnemonic and operand text, and put a disagreement into a
// named erratum class (capstone_errata.txt lists the classes with an example
// and the SDM reference showing why tx86 is right).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "frontend-x86/decoder.h"
#include "frontend-x86/disasm.h"

namespace tx86::x86::test {

struct Comparison {
  bool agree = false;
  std::string erratum;  // class id when !agree and the disagreement is a known erratum
  std::string ours;     // tx86's text ("(invalid)" / "(too long)")
  std::string theirs;   // Capstone's text ("(invalid)")
  size_t our_length = 0;
  size_t their_length = 0;
};

class CapstoneOracle {
 public:
  explicit CapstoneOracle(CodeSize mode);
  // `bytes` must hold at least kMaxInsnLength bytes.
  Comparison compare(const uint8_t* bytes);

 private:
  CodeSize mode_;
  Disassembler cs_;
};

// Lower-case hex text of n bytes ("0f1f00").
std::string hex_string(const uint8_t* bytes, size_t n);

}  // namespace tx86::x86::test
