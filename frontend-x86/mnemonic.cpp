#include <array>

#include "frontend-x86/insn.h"

namespace tx86::x86 {

namespace {
constexpr std::array<std::string_view, static_cast<size_t>(Mnemonic::kCount)> kNames = {
#define TX86_MNEMONIC(enumerator, name) name,
#include "frontend-x86/mnemonics.def"
#undef TX86_MNEMONIC
};
}  // namespace

std::string_view mnemonic_name(Mnemonic m) {
  auto i = static_cast<size_t>(m);
  return i < kNames.size() ? kNames[i] : "(bad)";
}

}  // namespace tx86::x86
