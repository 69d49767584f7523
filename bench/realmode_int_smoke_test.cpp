// Correctness (not timing) of the benchmark ROM under the interpreter: with a
// tiny pass count it must run to its end with every self-check passing. The
// ROM checks its own kernels' results against constants (bench/model.py),
// so this also exercises 16/32-bit arithmetic, DIV/IDIV, shifts, string
// instructions with REP prefixes and segment overrides in real mode.
#include <catch2/catch.hpp>

#include "bench/bench_rom.h"

namespace tx86::bench {
namespace {

TEST_CASE("realmode_int ROM completes with every check passing", "[bench][rom]") {
  const uint32_t passes = GENERATE(0u, 1u, 2u);
  const auto image = with_passes(realmode_int_rom(), passes);
  const InterpRun run = run_under_interpreter(image, instruction_budget(passes));
  INFO("passes " << passes << ", retired " << run.retired << ", failed check " << run.result.status);
  CHECK(run.reason != core::StopReason::kInstructionLimit);
  CHECK(run.reason != core::StopReason::kShutdown);
  CHECK(run.result.done);
  CHECK(run.result.status == 0);
  CHECK(run.result.passes == passes);
}

TEST_CASE("realmode_int ROM: every pass retires the same instructions", "[bench][rom]") {
  // A pass does identical work (fresh inputs each time), so the counts must
  // grow linearly; a mismatch points at nondeterminism in the engine.
  const auto r1 = run_under_interpreter(with_passes(realmode_int_rom(), 1), instruction_budget(1));
  const auto r2 = run_under_interpreter(with_passes(realmode_int_rom(), 2), instruction_budget(2));
  const auto r3 = run_under_interpreter(with_passes(realmode_int_rom(), 3), instruction_budget(3));
  REQUIRE(r1.result.ok(1));
  REQUIRE(r2.result.ok(2));
  REQUIRE(r3.result.ok(3));
  CHECK(r2.retired - r1.retired == r3.retired - r2.retired);
  CHECK(r2.retired > r1.retired);
}

TEST_CASE("with_passes patches the parameter block and rejects other images", "[bench][rom]") {
  const auto image = with_passes(realmode_int_rom(), 0x01020304);
  CHECK(image[kPassesOffset] == 0x04);
  CHECK(image[kPassesOffset + 3] == 0x01);
  std::vector<uint8_t> bad(realmode_int_rom().begin(), realmode_int_rom().end());
  bad[kSignatureOffset] = 'X';
  CHECK_THROWS_AS(with_passes(bad, 1), std::invalid_argument);
  CHECK_THROWS_AS(with_passes(std::span<const uint8_t>(bad).first(4096), 1), std::invalid_argument);
}

}  // namespace
}  // namespace tx86::bench
