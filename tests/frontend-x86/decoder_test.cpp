#include <catch2/catch.hpp>

#include "frontend-x86/decoder.h"

TEST_CASE("placeholder decode", "[decoder]") {
  const uint8_t b[] = {0x90};
  tx86::x86::Insn i;
  CHECK(tx86::x86::decode(b, 1, {}, i) == tx86::x86::DecodeStatus::kOk);
}
