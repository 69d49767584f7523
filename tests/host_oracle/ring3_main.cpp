// host_oracle_ring3 (meson test `host-oracle-ring3`): the oracle's ring-3
// mode (ring3_oracle.h) with tx86's interpreter. tests/jit runs the same
// mode with the JIT in lockstep.
#include <memory>

#include "core/interp/interpreter.h"
#include "tests/host_oracle/ring3_oracle.h"

int main(int argc, char** argv) {
  using namespace tx86;
  oracle::Ring3Engine interp{"interp",
                             [](core::Machine& m) -> std::unique_ptr<core::Engine> {
                               auto i = std::make_unique<core::Interpreter>(m);
                               i->set_exit_on_halt(true);
                               return i;
                             },
                             {}};
  return oracle::ring3_oracle_main(argc, argv, "host-oracle-ring3", {interp});
}
