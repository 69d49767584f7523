// The host-CPU oracle test (meson test `host-oracle`): random integer
// instruction sequences run natively in a 32-bit helper process and in tx86's
// interpreter (twice: through Interpreter::run() and through step()); every
// register, the defined status flags, DF and the data area must agree.
//
//   host_oracle --helper PATH [--count N] [--seed S] [--index I] [--batch N] [--with-arpl] [--single-step]
//
// --single-step compares every sequence instruction by instruction (the
// helper runs it with TF set; tx86 through step()): slower, and it checks the
// intermediate states that the end state may hide.
//
// The run seed is fixed (kDefaultSeed) so that the test is deterministic; set
// TX86_ORACLE_SEED (or --seed) to explore other sequences. Sequence i of a
// run is generated from sequence_seed(seed, i), so `--seed S --index I`
// replays one sequence and prints tx86's instruction trace.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "tests/host_oracle/generator.h"
#include "tests/host_oracle/native_client.h"
#include "tests/host_oracle/report.h"
#include "tests/host_oracle/tx86_runner.h"

namespace {

using namespace tx86::oracle;

constexpr uint64_t kDefaultSeed = 0x7478383620C0FFEEull;

struct Options {
  std::string helper;
  uint64_t count = 100000;
  uint64_t seed = kDefaultSeed;
  int64_t index = -1;
  uint64_t batch = 2000;
  uint64_t max_reports = 5;
  GeneratorOptions generator;
  bool single_step = false;  // compare instruction by instruction (slow)
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "host_oracle: %s\nusage: host_oracle --helper PATH [--count N] [--seed S] [--index I] [--batch N] [--max-reports N] [--with-arpl] [--single-step]\n", msg);
  std::exit(2);
}

uint64_t parse_number(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  uint64_t v = std::strtoull(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0') usage((std::string("bad ") + what + ": " + s).c_str());
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("TX86_ORACLE_SEED"); env != nullptr && *env != '\0')
    o.seed = parse_number(env, "TX86_ORACLE_SEED");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--helper") o.helper = value();
    else if (a == "--count") o.count = parse_number(value(), "count");
    else if (a == "--seed") o.seed = parse_number(value(), "seed");
    else if (a == "--index") o.index = static_cast<int64_t>(parse_number(value(), "index"));
    else if (a == "--batch") o.batch = parse_number(value(), "batch");
    else if (a == "--max-reports") o.max_reports = parse_number(value(), "max-reports");
    else if (a == "--with-arpl") o.generator.arpl = true;
    else if (a == "--single-step") o.single_step = true;
    else usage(("unknown argument " + a).c_str());
  }
  if (o.helper.empty()) usage("--helper is required");
  if (o.batch == 0) o.batch = 1;
  return o;
}

void report(const Options& o, uint64_t index, const Sequence& seq, const std::vector<std::string>& diffs,
            Tx86Runner& runner, bool with_trace) {
  std::printf("%s seed=%#" PRIx64 " index=%" PRIu64 " (replay: --seed %#" PRIx64 " --index %" PRIu64 ")\n",
              diffs.empty() ? "MATCH" : "MISMATCH", o.seed, index, o.seed, index);
  std::printf("%s", initial_state(seq).c_str());
  std::printf("%s", listing(seq).c_str());
  for (const std::string& d : diffs) std::printf("  %s\n", d.c_str());
  if (with_trace) {
    PrintingTrace trace;
    std::printf("  tx86 trace (EIP, mnemonic, EAX..EDI and EFLAGS after):\n");
    runner.run(seq, DriveMode::kStep, &trace);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const uint64_t first = o.index >= 0 ? static_cast<uint64_t>(o.index) : 0;
  const uint64_t count = o.index >= 0 ? 1 : o.count;
  std::printf("host-oracle: seed %#" PRIx64 " (set TX86_ORACLE_SEED to change), %" PRIu64 " sequences\n", o.seed,
              count);
  std::fflush(stdout);
  try {
    NativeHelper helper(o.helper);
    Tx86Runner runner;
    auto make_batch = [&](uint64_t start) {
      std::vector<Sequence> batch;
      const uint64_t end = std::min(first + count, start + o.batch);
      for (uint64_t i = start; i < end; ++i) batch.push_back(generate(sequence_seed(o.seed, i), o.generator));
      return batch;
    };
    const auto t0 = std::chrono::steady_clock::now();
    if (o.single_step) {
      uint64_t divergent = 0;
      for (uint64_t i = first; i < first + count; ++i) {
        const Sequence seq = generate(sequence_seed(o.seed, i), o.generator);
        std::vector<OracleStep> native_steps;
        const OracleOutput traced = helper.trace(seq, native_steps);
        CollectingTrace tx86_trace(seq);
        runner.run(seq, DriveMode::kStep, &tx86_trace);
        std::string where = traced.signal != 0 ? "native run faulted (generator bug)\n"
                                               : first_divergence(seq, native_steps, tx86_trace.steps);
        if (where.empty()) continue;
        if (++divergent <= o.max_reports) {
          std::printf("DIVERGENCE seed=%#" PRIx64 " index=%" PRIu64 ": %s", o.seed, i, where.c_str());
          std::printf("%s%s", initial_state(seq).c_str(), listing(seq).c_str());
        }
      }
      std::printf("host-oracle: %" PRIu64 " sequences single-stepped, %" PRIu64 " divergent, seed %#" PRIx64 "\n",
                  count, divergent, o.seed);
      return divergent == 0 ? 0 : 1;
    }
    double tx86_seconds = 0;
    uint64_t mismatches = 0, native_faults = 0, tx86_steps = 0, done = 0;
    uint64_t start = first;
    // The first mismatch gets a single-step comparison once no batch is in
    // flight (the helper runs one thing at a time).
    bool have_first = false;
    uint64_t first_index = 0;
    Sequence first_bad;
    std::vector<Sequence> current = make_batch(start);
    helper.send(current);
    while (!current.empty()) {
      std::vector<OracleOutput> native = helper.receive();
      const uint64_t next_start = start + current.size();
      std::vector<Sequence> next = next_start < first + count ? make_batch(next_start) : std::vector<Sequence>{};
      if (!next.empty()) helper.send(next);  // the helper runs it while tx86 runs `current`
      const auto t1 = std::chrono::steady_clock::now();
      for (size_t k = 0; k < current.size(); ++k) {
        // Both entries of the interpreter: run() (chained hot loop) and step().
        const Tx86Result by_run = runner.run(current[k], DriveMode::kRun);
        const Tx86Result by_step = runner.run(current[k], DriveMode::kStep);
        tx86_steps += by_run.steps + by_step.steps;
        std::vector<std::string> diffs = differences(current[k], native[k], by_run);
        for (std::string& d : diffs) d = "[run]  " + d;
        if (native[k].signal == 0)
          for (const std::string& d : differences(current[k], native[k], by_step)) diffs.push_back("[step] " + d);
        if (o.index >= 0) report(o, start + k, current[k], diffs, runner, true);  // replay: always show
        if (diffs.empty()) continue;
        ++mismatches;
        if (native[k].signal != 0) ++native_faults;
        if (!have_first && native[k].signal == 0) {
          have_first = true;
          first_index = start + k;
          first_bad = current[k];
        }
        // The first report carries tx86's instruction trace; the rest only
        // their listings (replay them with --index for a trace).
        if (mismatches <= o.max_reports && o.index < 0) report(o, start + k, current[k], diffs, runner, mismatches == 1);
      }
      tx86_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      done += current.size();
      start = next_start;
      current = std::move(next);
    }
    if (have_first) {
      std::vector<OracleStep> native_steps;
      const OracleOutput traced = helper.trace(first_bad, native_steps);
      CollectingTrace tx86_steps_trace(first_bad);
      runner.run(first_bad, DriveMode::kStep, &tx86_steps_trace);
      std::printf("single-stepped index %" PRIu64 " (natively with TF, tx86 with step()): ", first_index);
      const std::string where = first_divergence(first_bad, native_steps, tx86_steps_trace.steps);
      if (traced.signal != 0) std::printf("native single-step run failed (signal %u)\n", traced.signal);
      else std::printf("%s", where.empty() ? "no difference in registers or defined flags (memory only?)\n" : where.c_str());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("host-oracle: %" PRIu64 " sequences, %" PRIu64 " mismatches (%" PRIu64
                " native faults = generator bugs), %.1f s, %.0f sequences/s, tx86 %.0f runs/s (each sequence runs twice: run() and step(); %.2f M instructions/s), seed %#" PRIx64 "\n",
                done, mismatches, native_faults, seconds, seconds > 0 ? done / seconds : 0.0,
                tx86_seconds > 0 ? 2 * done / tx86_seconds : 0.0, tx86_seconds > 0 ? tx86_steps / tx86_seconds / 1e6 : 0.0,
                o.seed);
    return mismatches == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "host-oracle: %s\n", e.what());
    return 2;
  }
}
