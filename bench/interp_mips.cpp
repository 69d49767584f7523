// tx86-bench-interp: interpreter speed on the real-mode integer workload
// (bench/realmode_int.asm), in guest instructions retired per host second.
//
// Each repetition runs the ROM on a fresh Machine and times the run loop with
// steady_clock; the median of the repetitions is reported. With --qemu, the
// same ROM (same passes) also runs under qemu-system-i386's TCG in the same
// invocation, and the ratio is printed: QEMU's time is the whole process with
// the debug-exit device, minus the median time of a 0-pass run (start-up and
// shut-down), and its speed is expressed with tx86's instruction count so the
// two numbers compare like for like. Wall and CPU time are both reported:
// CPU time is steadier when other processes share the cores. Not a test:
// timings never assert.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_rom.h"

extern char** environ;

namespace {

using tx86::bench::InterpRun;

struct Options {
  uint32_t passes = 200;
  unsigned repeat = 3;
  bool qemu = false;
  bool mix = false;
  std::string rom_path;  // empty: the embedded ROM
};

const char kUsage[] =
    "usage: tx86-bench-interp [--passes N] [--repeat R] [--qemu] [--mix] [--rom FILE]\n"
    "  --passes N   passes of the workload per run (default 200, ~300k instructions each)\n"
    "  --repeat R   runs to take the median of (default 3)\n"
    "  --qemu       also time qemu-system-i386 (TCG) on the same ROM and print the ratio\n"
    "  --mix        also print the instruction mix and decode-cache hit rate of a run\n"
    "  --rom FILE   use this build of realmode_int.rom instead of the embedded one\n";

// Returns nullopt after printing one line to stderr on a bad command line.
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  auto number = [&](int& i, const char* name, unsigned long max) -> std::optional<unsigned long> {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "tx86-bench-interp: %s needs a value\n", name);
      return std::nullopt;
    }
    const std::string text = argv[++i];
    char* end = nullptr;
    const unsigned long v = std::strtoul(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || text[0] == '-' || v > max) {
      std::fprintf(stderr, "tx86-bench-interp: %s: '%s' is not a number up to %lu\n", name, text.c_str(), max);
      return std::nullopt;
    }
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--passes") {
      auto v = number(i, "--passes", 100'000'000);
      if (!v) return std::nullopt;
      o.passes = static_cast<uint32_t>(*v);
    } else if (arg == "--repeat") {
      auto v = number(i, "--repeat", 100);
      if (!v || *v == 0) {
        if (v) std::fprintf(stderr, "tx86-bench-interp: --repeat must be at least 1\n");
        return std::nullopt;
      }
      o.repeat = static_cast<unsigned>(*v);
    } else if (arg == "--qemu") {
      o.qemu = true;
    } else if (arg == "--mix") {
      o.mix = true;
    } else if (arg == "--rom") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tx86-bench-interp: --rom needs a file\n");
        return std::nullopt;
      }
      o.rom_path = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "tx86-bench-interp: unknown option '%s' (see --help)\n", arg.c_str());
      return std::nullopt;
    }
  }
  return o;
}

// Host time of one run: wall clock (what a user waits) and CPU time (what the
// engine used; less disturbed when other processes share the cores).
struct Timing {
  double wall_s = 0;
  double cpu_s = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The first executable called `name` on $PATH, or empty.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::string p = path;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::filesystem::path dir = p.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::filesystem::path candidate = dir / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return {};
}

// Runs QEMU on `rom_file` and returns its wall time and CPU time (user +
// system, all threads, from wait4's rusage), or nullopt (with a message) if
// it could not run or did not exit through debug-exit with status 0, which
// QEMU reports as exit code 1.
std::optional<Timing> time_qemu(const std::string& qemu, const std::string& rom_file) {
  std::vector<std::string> args = {qemu,      "-M",       "isapc", "-nodefaults", "-bios",  rom_file, "-display",
                                   "none",    "-serial",  "none",  "-monitor",    "none",   "-accel", "tcg",
                                   "-device", "isa-debug-exit,iobase=0xf4,iosize=1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, qemu.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    std::fprintf(stderr, "tx86-bench-interp: cannot start %s\n", qemu.c_str());
    return std::nullopt;
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) return std::nullopt;
  const auto stop = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
    std::fprintf(stderr, "tx86-bench-interp: qemu did not finish the ROM cleanly (wait status 0x%x; "
                 "exit code 1 means every check passed)\n", status);
    return std::nullopt;
  }
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return Timing{std::chrono::duration<double>(stop - start).count(), secs(usage.ru_utime) + secs(usage.ru_stime)};
}

// Times QEMU on `passes` and on 0 passes; returns the net time of the
// workload (median minus median, for wall and CPU time each), or nullopt.
std::optional<Timing> qemu_net(const std::string& qemu, std::span<const uint8_t> rom, uint32_t passes,
                               unsigned repeat) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path();
  const std::string stem = "tx86-bench-" + std::to_string(::getpid());
  std::vector<double> full_wall, full_cpu, empty_wall, empty_cpu;
  for (uint32_t p : {passes, 0u}) {
    const fs::path file = dir / (stem + "-" + std::to_string(p) + ".rom");
    const std::vector<uint8_t> image = tx86::bench::with_passes(rom, p);
    {
      std::ofstream out(file, std::ios::binary);
      out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
      if (!out) {
        std::fprintf(stderr, "tx86-bench-interp: cannot write %s\n", file.c_str());
        return std::nullopt;
      }
    }
    for (unsigned r = 0; r < repeat; ++r) {
      auto t = time_qemu(qemu, file.string());
      if (!t) {
        fs::remove(file);
        return std::nullopt;
      }
      (p == 0 ? empty_wall : full_wall).push_back(t->wall_s);
      (p == 0 ? empty_cpu : full_cpu).push_back(t->cpu_s);
    }
    fs::remove(file);
  }
  const Timing full{median(full_wall), median(full_cpu)};
  const Timing empty{median(empty_wall), median(empty_cpu)};
  std::printf("qemu   %s: %u passes %.3f s wall (%.3f s cpu); 0 passes (start-up) %.3f s wall (%.3f s cpu)\n",
              qemu.c_str(), passes, full.wall_s, full.cpu_s, empty.wall_s, empty.cpu_s);
  return Timing{full.wall_s - empty.wall_s, full.cpu_s - empty.cpu_s};
}

// The most frequent mnemonics of a run, and how often the decode cache hit:
// where an interpreter's time goes, for whoever optimises it.
void print_mix(const tx86::core::InterpreterStats& stats) {
  std::vector<std::pair<uint64_t, size_t>> counts;
  for (size_t i = 0; i < stats.by_mnemonic.size(); ++i)
    if (stats.by_mnemonic[i] != 0) counts.emplace_back(stats.by_mnemonic[i], i);
  std::sort(counts.rbegin(), counts.rend());
  std::printf("instruction mix (top 16 of %zu mnemonics):\n", counts.size());
  for (size_t k = 0; k < counts.size() && k < 16; ++k) {
    const auto name = tx86::x86::mnemonic_name(static_cast<tx86::x86::Mnemonic>(counts[k].second));
    std::printf("  %-10.*s %12llu  %5.1f %%\n", static_cast<int>(name.size()), name.data(),
                static_cast<unsigned long long>(counts[k].first), 100.0 * counts[k].first / stats.retired);
  }
  const uint64_t lookups = stats.decode_cache_hits + stats.decode_cache_misses;
  if (lookups != 0)
    std::printf("decode cache: %.4f %% hits (%llu misses, %llu invalidations)\n",
                100.0 * stats.decode_cache_hits / lookups, static_cast<unsigned long long>(stats.decode_cache_misses),
                static_cast<unsigned long long>(stats.decode_cache_invalidations));
}

std::optional<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "tx86-bench-interp: cannot open %s\n", path.c_str());
    return std::nullopt;
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

double mips(uint64_t instructions, double seconds) { return instructions / seconds / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  const auto opts = parse(argc, argv);
  if (!opts) return 2;

  std::vector<uint8_t> rom_bytes;
  if (!opts->rom_path.empty()) {
    auto bytes = read_file(opts->rom_path);
    if (!bytes) return 2;
    rom_bytes = std::move(*bytes);
  } else {
    auto embedded = tx86::bench::realmode_int_rom();
    rom_bytes.assign(embedded.begin(), embedded.end());
  }
  std::vector<uint8_t> image;
  try {
    image = tx86::bench::with_passes(rom_bytes, opts->passes);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tx86-bench-interp: %s: %s\n",
                 opts->rom_path.empty() ? "embedded ROM" : opts->rom_path.c_str(), e.what());
    return 2;
  }

  std::printf("workload: realmode_int.rom, %u passes, median of %u runs\n", opts->passes, opts->repeat);
  std::vector<double> wall, cpu;
  uint64_t retired = 0;
  tx86::core::InterpreterStats last_stats;
  for (unsigned r = 0; r < opts->repeat; ++r) {
    const InterpRun run = tx86::bench::run_under_interpreter(image, tx86::bench::instruction_budget(opts->passes));
    if (!run.result.ok(opts->passes)) {
      std::fprintf(stderr,
                   "tx86-bench-interp: the ROM did not complete correctly under the interpreter "
                   "(done=%d, failed check=%u, passes=%u of %u, %llu instructions)\n",
                   run.result.done, run.result.status, run.result.passes, opts->passes,
                   static_cast<unsigned long long>(run.retired));
      return 1;
    }
    if (r > 0 && run.retired != retired) {
      std::fprintf(stderr, "tx86-bench-interp: instruction count differs between runs (%llu vs %llu)\n",
                   static_cast<unsigned long long>(run.retired), static_cast<unsigned long long>(retired));
      return 1;
    }
    retired = run.retired;
    last_stats = run.stats;
    wall.push_back(run.seconds);
    cpu.push_back(run.cpu_seconds);
    std::printf("interp run %u: %llu instructions in %.3f s = %.1f MIPS (cpu %.3f s = %.1f MIPS)\n", r + 1,
                static_cast<unsigned long long>(run.retired), run.seconds, mips(run.retired, run.seconds),
                run.cpu_seconds, mips(run.retired, run.cpu_seconds));
  }
  const Timing interp{median(wall), median(cpu)};
  std::printf("interp median: %.3f s = %.1f MIPS wall, %.3f s = %.1f MIPS cpu (%llu instructions, %.0f per pass)\n",
              interp.wall_s, mips(retired, interp.wall_s), interp.cpu_s, mips(retired, interp.cpu_s),
              static_cast<unsigned long long>(retired), opts->passes ? double(retired) / opts->passes : 0.0);
  if (opts->mix) print_mix(last_stats);

  if (opts->qemu) {
    const std::string qemu = find_on_path("qemu-system-i386");
    if (qemu.empty()) {
      std::printf("qemu: qemu-system-i386 not found on PATH, no comparison\n");
      return 0;
    }
    const auto net = qemu_net(qemu, rom_bytes, opts->passes, opts->repeat);
    if (!net) return 1;
    if (net->wall_s <= 0 || net->cpu_s <= 0) {
      std::printf("qemu: the workload took no measurable time over start-up; use more --passes\n");
      return 0;
    }
    std::printf("qemu   net: %.3f s = %.1f MIPS wall, %.3f s = %.1f MIPS cpu (tx86's instruction count / "
                "qemu's time)\n", net->wall_s, mips(retired, net->wall_s), net->cpu_s, mips(retired, net->cpu_s));
    std::printf("ratio: qemu TCG / tx86 interpreter = %.2fx wall, %.2fx cpu\n", interp.wall_s / net->wall_s,
                interp.cpu_s / net->cpu_s);
  }
  return 0;
}
