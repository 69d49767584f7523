// The ring-3 mode of the host-CPU oracle (see ring3_oracle.h): the oracle's
// random sequences, every one at CPL 3 and some ending in an instruction that
// raises an exception, run natively (a Linux process: CPL 3, IOPL 0, flat
// segments, paging) and in tx86 inside the test kernel
// guests/tests/oracle_ring3.elf, which gives them the same setting built the
// way an OS builds it (GDT, TSS, IDT, 4 KiB and 4 MiB pages). Registers,
// compared flags, the data area, and how each sequence ended (the vector,
// error code, EIP and CR2 of its exception) must agree.
//
// The seed is fixed unless TX86_ORACLE_SEED or --seed says otherwise;
// `--seed S --index I` replays one sequence with its listing.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "tests/host_oracle/ring3_oracle.h"

#include "tests/host_oracle/generator.h"
#include "tests/host_oracle/native_client.h"
#include "tests/host_oracle/report.h"
#include "tests/host_oracle/ring3_runner.h"

namespace tx86::oracle {

namespace {

constexpr uint64_t kDefaultSeed = 0x7478383652334F4Bull;

struct Options {
  std::string helper, kernel, engine;
  uint64_t count = 20000;
  uint64_t seed = kDefaultSeed;
  int64_t index = -1;
  uint64_t batch = 1000;
  uint64_t max_reports = 5;
  GeneratorOptions generator;
};

const char* g_program = "";  // for usage(): set once by ring3_oracle_main

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "%s: %s\nusage: %s --helper PATH --kernel ELF [--count N] [--seed S] [--index I] [--batch N] "
               "[--engine NAME] [--max-reports N]\n",
               g_program, msg.c_str(), g_program);
  std::exit(2);
}

uint64_t parse_number(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  const uint64_t v = std::strtoull(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0') usage(std::string("bad ") + what + ": " + s);
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  o.generator.all_cpl3 = true;
  o.generator.faults = true;
  if (const char* env = std::getenv("TX86_ORACLE_SEED"); env != nullptr && *env != '\0')
    o.seed = parse_number(env, "TX86_ORACLE_SEED");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value after " + a);
      return argv[++i];
    };
    if (a == "--helper") o.helper = value();
    else if (a == "--kernel") o.kernel = value();
    else if (a == "--engine") o.engine = value();
    else if (a == "--count") o.count = parse_number(value(), "count");
    else if (a == "--seed") o.seed = parse_number(value(), "seed");
    else if (a == "--index") o.index = static_cast<int64_t>(parse_number(value(), "index"));
    else if (a == "--batch") o.batch = parse_number(value(), "batch");
    else if (a == "--max-reports") o.max_reports = parse_number(value(), "max-reports");
    else usage("unknown argument " + a);
  }
  if (o.helper.empty() || o.kernel.empty()) usage("--helper and --kernel are required");
  o.batch = std::clamp<uint64_t>(o.batch, 1, R3_MAX_BATCH);
  return o;
}


}  // namespace

int ring3_oracle_main(int argc, char** argv, const char* program, const std::vector<Ring3Engine>& engines) {
  g_program = program;
  Options o = parse(argc, argv);
  if (o.engine.empty()) o.engine = engines.front().name;
  const Ring3Engine* engine = nullptr;
  for (const Ring3Engine& e : engines)
    if (e.name == o.engine) engine = &e;
  if (engine == nullptr) usage("unknown --engine " + o.engine);
  const uint64_t first = o.index >= 0 ? static_cast<uint64_t>(o.index) : 0;
  const uint64_t count = o.index >= 0 ? 1 : o.count;
  std::printf("%s: seed %#" PRIx64 " (set TX86_ORACLE_SEED to change), %" PRIu64
              " sequences at CPL 3 in guests/tests/oracle_ring3, engine %s\n",
              program, o.seed, count, o.engine.c_str());
  std::fflush(stdout);
  auto describe = [&] { return engine->describe ? engine->describe() : std::string(); };
  try {
    NativeHelper helper(o.helper);
    Ring3Runner runner(o.kernel, engine->make);
    const GeneratorOptions& gen = o.generator;
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t mismatches = 0, faults = 0, done = 0;
    for (uint64_t start = first; start < first + count; start += o.batch) {
      std::vector<Sequence> batch;
      for (uint64_t i = start; i < std::min(first + count, start + o.batch); ++i)
        batch.push_back(generate(sequence_seed(o.seed, i), gen));
      helper.send(batch);  // runs natively while tx86 runs the same batch
      std::vector<R3Result> r3;
      try {
        r3 = runner.run(batch);
      } catch (const std::exception& e) {
        helper.receive();
        std::printf("FAILED in the batch of sequences %" PRIu64 "..%" PRIu64 ": %s\n", start,
                    start + batch.size() - 1, e.what());
        std::printf("%s", describe().c_str());
        return 1;
      }
      const std::vector<OracleOutput> native = helper.receive();
      for (size_t k = 0; k < batch.size(); ++k) {
        if (native[k].signal != 0) ++faults;
        const std::vector<std::string> diffs = ring3_differences(batch[k], native[k], r3[k]);
        if (!diffs.empty()) ++mismatches;
        if ((diffs.empty() && o.index < 0) || (!diffs.empty() && mismatches > o.max_reports)) continue;
        std::printf("%s seed=%#" PRIx64 " index=%" PRIu64 " (replay: --seed %#" PRIx64 " --index %" PRIu64 ")\n",
                    diffs.empty() ? "MATCH" : "MISMATCH", o.seed, start + k, o.seed, start + k);
        std::printf("%s%s", initial_state(batch[k]).c_str(), listing(batch[k]).c_str());
        std::printf("  tx86 ended by vector %u error %#x at EIP %08x; native signal %u (vector %u error %#x at %08x)\n",
                    r3[k].vector, r3[k].error_code, r3[k].eip, native[k].signal, native[k].trapno,
                    native[k].error_code, native[k].fault_eip);
        for (const std::string& d : diffs) std::printf("  %s\n", d.c_str());
      }
      done += batch.size();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %" PRIu64 " sequences (%" PRIu64 " ended by an exception natively), %" PRIu64
                " mismatches, %.1f s, engine %s, seed %#" PRIx64 "\n",
                program, done, faults, mismatches, seconds, o.engine.c_str(), o.seed);
    std::printf("%s", describe().c_str());
    return mismatches == 0 && done == count ? 0 : 1;
  } catch (const std::exception& e) {
    // No describe(): the runner, and the engine it describes, are gone.
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 2;
  }
}

}  // namespace tx86::oracle
