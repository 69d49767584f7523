#include "bench/bench_rom.h"

#include <time.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/machine.h"

namespace tx86::bench {

std::vector<uint8_t> with_passes(std::span<const uint8_t> rom, uint32_t passes) {
  static constexpr char kSignature[] = "TX86ITER";
  if (rom.size() != 0x10000)
    throw std::invalid_argument("benchmark ROM must be 65536 bytes, not " + std::to_string(rom.size()));
  if (std::memcmp(rom.data() + kSignatureOffset, kSignature, 8) != 0)
    throw std::invalid_argument("benchmark ROM has no TX86ITER parameter block at offset 0xFFE0");
  std::vector<uint8_t> out(rom.begin(), rom.end());
  for (unsigned i = 0; i < 4; ++i) out[kPassesOffset + i] = static_cast<uint8_t>(passes >> (8 * i));
  return out;
}

namespace {

}  // namespace

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint32_t read_ram32(const core::PhysicalMemory& memory, uint32_t addr) {
  const uint8_t* p = memory.ram() + addr;
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

InterpRun run_under_interpreter(std::span<const uint8_t> image, uint64_t max_instructions) {
  core::Machine machine;
  machine.load_firmware(image);
  core::Interpreter interp(machine);
  interp.set_exit_on_halt(true);

  InterpRun run;
  const double cpu_start = thread_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  // run() may return early with kInstructionLimit only when the budget is
  // used up; any other reason is the end of the ROM (or of the machine).
  run.reason = interp.run(max_instructions);
  const auto stop = std::chrono::steady_clock::now();
  run.cpu_seconds = thread_cpu_seconds() - cpu_start;
  run.seconds = std::chrono::duration<double>(stop - start).count();
  run.stats = interp.stats();
  run.retired = run.stats.retired;

  const core::PhysicalMemory& memory = machine.memory();
  run.result.done = read_ram32(memory, kResultMagicAddr) == kDoneMagic;
  run.result.status = read_ram32(memory, kResultStatusAddr);
  run.result.passes = read_ram32(memory, kResultPassesAddr);
  return run;
}

}  // namespace tx86::bench
