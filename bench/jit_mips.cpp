// tx86-bench-jit: the JIT against the interpreter on the real-mode integer
// workload (bench/realmode_int.asm), measured in the same invocation:
// repetitions alternate between the engines, each on a fresh Machine, and
// the medians and their ratio are printed. Refuses to report a number if the
// ROM's self-checks failed or the engines retired different instruction
// counts (they must be equal, DESIGN.md §7). Not a test: timings never
// assert. With --lockstep, runs once under the JIT in lockstep instead and
// reports the first difference (correctness, not speed).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_rom.h"
#include "core/machine.h"
#include "jit/jit_engine.h"

namespace {

using namespace tx86;

using bench::read_ram32;
using bench::thread_cpu_seconds;

struct JitRun {
  uint64_t retired = 0;
  double seconds = 0, cpu_seconds = 0;
  bench::RomResult result;
  jit::JitStats stats;
  std::string lockstep_report;
};

JitRun run_under_jit(std::span<const uint8_t> image, uint64_t max_instructions, bool lockstep) {
  core::Machine machine;
  machine.load_firmware(image);
  jit::JitOptions o;
  o.lockstep = lockstep;
  jit::JitEngine engine(machine, o);
  engine.set_exit_on_halt(true);
  JitRun run;
  const double cpu0 = thread_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  engine.run(max_instructions);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.cpu_seconds = thread_cpu_seconds() - cpu0;
  run.retired = machine.clock().retired();
  run.stats = engine.stats();
  run.lockstep_report = engine.lockstep_report();
  run.result.done = read_ram32(machine.memory(), bench::kResultMagicAddr) == bench::kDoneMagic;
  run.result.status = read_ram32(machine.memory(), bench::kResultStatusAddr);
  run.result.passes = read_ram32(machine.memory(), bench::kResultPassesAddr);
  return run;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const char kUsage[] =
    "usage: tx86-bench-jit [--passes N] [--repeat R] [--lockstep]\n"
    "  --passes N   passes of the workload per run (default 100, ~283k instructions each)\n"
    "  --repeat R   runs per engine to take the median of (default 3)\n"
    "  --lockstep   one run under the JIT in lockstep with the interpreter (exit 1 on a difference)\n";

}  // namespace

int main(int argc, char** argv) {
  uint32_t passes = 100;
  unsigned repeat = 3;
  bool lockstep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--passes" || a == "--repeat") && i + 1 < argc) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || v == 0 || v > 100'000'000) {
        std::fprintf(stderr, "tx86-bench-jit: %s: '%s' is not a positive number\n", a.c_str(), argv[i]);
        return 2;
      }
      (a == "--passes" ? passes : repeat) = static_cast<uint32_t>(v);
    } else if (a == "--lockstep") {
      lockstep = true;
    } else {
      std::fputs(kUsage, a == "--help" || a == "-h" ? stdout : stderr);
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  const std::vector<uint8_t> image = bench::with_passes(bench::realmode_int_rom(), passes);
  const uint64_t budget = bench::instruction_budget(passes);

  if (lockstep) {
    const JitRun j = run_under_jit(image, budget, true);
    if (!j.lockstep_report.empty()) {
      std::printf("tx86-bench-jit: %s\n", j.lockstep_report.c_str());
      return 1;
    }
    std::printf("lockstep: %u passes, %llu instructions, %llu blocks compared, ROM checks %s\n", passes,
                static_cast<unsigned long long>(j.retired), static_cast<unsigned long long>(j.stats.lockstep_blocks),
                j.result.ok(passes) ? "passed" : "FAILED");
    return j.result.ok(passes) ? 0 : 1;
  }

  std::vector<double> iw, ic, jw, jc;
  uint64_t retired = 0;
  JitRun last;
  for (unsigned r = 0; r < repeat; ++r) {
    const bench::InterpRun i = bench::run_under_interpreter(image, budget);
    const JitRun j = run_under_jit(image, budget, false);
    if (!i.result.ok(passes) || !j.result.ok(passes)) {
      std::fprintf(stderr, "tx86-bench-jit: the ROM's checks failed (interp status %u, jit status %u)\n",
                   i.result.status, j.result.status);
      return 1;
    }
    if (i.retired != j.retired || (retired != 0 && retired != i.retired)) {
      std::fprintf(stderr, "tx86-bench-jit: instruction counts differ (interp %llu, jit %llu)\n",
                   static_cast<unsigned long long>(i.retired), static_cast<unsigned long long>(j.retired));
      return 1;
    }
    retired = i.retired;
    iw.push_back(i.seconds);
    ic.push_back(i.cpu_seconds);
    jw.push_back(j.seconds);
    jc.push_back(j.cpu_seconds);
    last = j;
  }
  const double mi = retired / median(ic) / 1e6, mj = retired / median(jc) / 1e6;
  std::printf("workload: %u passes, %llu instructions, median of %u runs each\n", passes,
              static_cast<unsigned long long>(retired), repeat);
  std::printf("interp  %.3f s wall  %.3f s cpu  %.1f MIPS (cpu)\n", median(iw), median(ic), mi);
  std::printf("jit     %.3f s wall  %.3f s cpu  %.1f MIPS (cpu)\n", median(jw), median(jc), mj);
  std::printf("jit/interp speed ratio: %.2f\n", mj / mi);
  std::printf("jit: %llu blocks translated (%.2f ms), %llu blocks run, %llu instructions in blocks, "
              "%llu in the interpreter\n",
              static_cast<unsigned long long>(last.stats.cache.blocks_translated),
              last.stats.cache.translate_seconds * 1e3, static_cast<unsigned long long>(last.stats.blocks_run),
              static_cast<unsigned long long>(last.stats.block_instructions),
              static_cast<unsigned long long>(retired - last.stats.block_instructions));
  return 0;
}
