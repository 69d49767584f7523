// Vectors whose recorded result no CPU can produce from the recorded initial
// state: capture errors of the test rig, kept here (not in the CPU) with the
// evidence. They are excluded from the pass/fail count and reported on their
// own line, so the exclusion is always visible; --include-errata runs them.
//
// Add an entry only with evidence that the data, not tx86, is wrong.
#pragma once

#include <string_view>

namespace tx86::singlestep {

struct CaptureErratum {
  std::string_view hash_hex;  // the test's HASH chunk (SHA-1, lower-case hex)
  std::string_view file;      // where it was seen
  std::string_view reason;
};

inline constexpr CaptureErratum kCaptureErrata[] = {
    {"7df1d2a948c416f5a4416e2f747d2d357d497570", "80286/v1_real_mode/CE.MOO.gz index 1193",
     "INTO: the CS word pushed on the stack is F050, the SS value, while CS is F238 and execution "
     "continues at F238's base. The 286 set is loaded with LOADALL and carries no descriptor-cache "
     "data, so a selector/base mismatch in the set-up cannot be represented; the other 925 INTO "
     "vectors push CS."},
};

inline const CaptureErratum* find_capture_erratum(std::string_view hash_hex) {
  for (const CaptureErratum& e : kCaptureErrata)
    if (e.hash_hex == hash_hex) return &e;
  return nullptr;
}

}  // namespace tx86::singlestep
