// The real-mode integer benchmark ROM (bench/realmode_int.asm), embedded at
// build time, and what harnesses need around it: patching the number of
// passes into its parameter block, running it on a fresh Machine under the
// interpreter, and reading the results the ROM leaves in RAM. Shared by
// tx86-bench-interp (timing) and the smoke test (correctness only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/engine.h"
#include "core/interp/interpreter.h"

namespace tx86::bench {

extern const unsigned char kRealmodeIntRom[];
extern const size_t kRealmodeIntRomSize;

inline std::span<const uint8_t> realmode_int_rom() { return {kRealmodeIntRom, kRealmodeIntRomSize}; }

// Parameter block at the end of the ROM (see the .asm header).
inline constexpr size_t kSignatureOffset = 0xFFE0;  // "TX86ITER"
inline constexpr size_t kPassesOffset = 0xFFE8;     // dword, little-endian

// Results in guest RAM once the ROM has stopped.
inline constexpr uint32_t kResultMagicAddr = 0x0500;   // "DONE" when finished
inline constexpr uint32_t kResultStatusAddr = 0x0504;  // 0 = every check passed
inline constexpr uint32_t kResultPassesAddr = 0x0508;  // passes completed
inline constexpr uint32_t kDoneMagic = 0x454E4F44;

// A copy of `rom` (a 64 KiB image with the parameter block) that runs
// `passes` passes. Throws std::invalid_argument if the image is not 64 KiB
// or has no "TX86ITER" signature at kSignatureOffset.
std::vector<uint8_t> with_passes(std::span<const uint8_t> rom, uint32_t passes);

struct RomResult {
  bool done = false;     // the ROM reached its end and wrote "DONE"
  uint32_t status = 0;   // id of the first failed check (realmode_int.asm: E_*), 0 if none
  uint32_t passes = 0;   // passes completed
  bool ok(uint32_t expected_passes) const { return done && status == 0 && passes == expected_passes; }
};

struct InterpRun {
  core::StopReason reason = core::StopReason::kInstructionLimit;
  uint64_t retired = 0;   // instructions retired (interpreter stats)
  core::InterpreterStats stats;  // all of them: instruction mix, decode cache
  double seconds = 0;     // host wall time of the run loop only (steady_clock)
  double cpu_seconds = 0; // CPU time of this thread over the same span
  RomResult result;
};

// Runs `image` on a fresh Machine (default configuration) under the
// interpreter until it halts, asks to exit, shuts down or has retired
// `max_instructions`. The time covers execution, not machine construction.
InterpRun run_under_interpreter(std::span<const uint8_t> image, uint64_t max_instructions);

// CPU time of the calling thread (steadier than wall time on a shared machine).
double thread_cpu_seconds();
// A little-endian dword of guest RAM (the ROM's result block).
uint32_t read_ram32(const core::PhysicalMemory& memory, uint32_t addr);

// A generous instruction budget for `passes` passes (about 3x what a pass
// takes), so that a looping engine fails instead of hanging.
inline uint64_t instruction_budget(uint32_t passes) { return 2'000'000 + uint64_t{passes} * 1'000'000; }

}  // namespace tx86::bench
