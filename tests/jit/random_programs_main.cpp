// Random programs under the JIT (issue #4, item 6b): the host-CPU oracle's
// generated sequences (tests/host_oracle) run by jit::JitEngine with lockstep
// on (every block re-run by the interpreter and compared), and the JIT's end
// state compared with the host CPU's (the native helper) and with the
// interpreter's.
//
//   jit-random-programs --helper PATH [--count N] [--seed S] [--index I] [--no-lockstep] [--max-reports N]
//       flat 32-bit setup, CPL 0 and 3 (tests/host_oracle/tx86_runner.h)
//   jit-random-programs --ring3 --helper PATH --kernel oracle_ring3.elf [...]
//       the ring-3 kernel mode (tests/host_oracle/ring3_oracle.h), engine
//       jit-lockstep (default) or jit
//
// In the flat mode each sequence ends in JMP $ instead of HLT (which faults
// at CPL 3): the interpreter first runs it one instruction at a time to
// count the n instructions before the end, then the JIT runs n + 1 (the last
// block then includes the JMP $ and stops on it), so that the whole
// sequence, its last block included, runs translated.
//
// The seed is fixed unless TX86_ORACLE_SEED or --seed says otherwise.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "core/interp/interpreter.h"
#include "jit/jit_engine.h"
#include "jit/lockstep.h"
#include "tests/host_oracle/generator.h"
#include "tests/host_oracle/native_client.h"
#include "tests/host_oracle/report.h"
#include "tests/host_oracle/ring3_oracle.h"
#include "tests/host_oracle/tx86_runner.h"

namespace {

using namespace tx86;
using namespace tx86::oracle;

constexpr uint64_t kDefaultSeed = 0x74783836A17C0DE5ull;
constexpr uint8_t kJmpSelf[] = {0xEB, 0xFE};
constexpr uint64_t kMaxInstructions = 20000;

struct Options {
  std::string helper;
  uint64_t count = 10000;
  uint64_t seed = kDefaultSeed;
  int64_t index = -1;
  uint64_t batch = 2000;
  uint64_t max_reports = 5;
  bool lockstep = true;
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "jit-random-programs: %s\nusage: jit-random-programs --helper PATH [--count N] [--seed S] [--index I] "
               "[--no-lockstep] [--max-reports N]\n       jit-random-programs --ring3 --helper PATH --kernel ELF [...]\n",
               msg.c_str());
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
  if (const char* env = std::getenv("TX86_ORACLE_SEED"); env != nullptr && *env != '\0')
    o.seed = parse_number(env, "TX86_ORACLE_SEED");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value after " + a);
      return argv[++i];
    };
    if (a == "--helper") o.helper = value();
    else if (a == "--count") o.count = parse_number(value(), "count");
    else if (a == "--seed") o.seed = parse_number(value(), "seed");
    else if (a == "--index") o.index = static_cast<int64_t>(parse_number(value(), "index"));
    else if (a == "--max-reports") o.max_reports = parse_number(value(), "max-reports");
    else if (a == "--no-lockstep") o.lockstep = false;
    else usage("unknown argument " + a);
  }
  if (o.helper.empty()) usage("--helper is required");
  return o;
}

std::string jit_summary(const jit::JitEngine& j) {
  const jit::JitStats st = j.stats();
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "JIT: %" PRIu64 " blocks run, %" PRIu64 " instructions in blocks, %" PRIu64
                " fallback stretches, %" PRIu64 " blocks compared in lockstep\n",
                st.blocks_run, st.block_instructions, st.fallback_runs, st.lockstep_blocks);
  return buf;
}

// The interpreter and the JIT on their own Machines, each sequence run on both.
class FlatPair {
 public:
  explicit FlatPair(bool lockstep) : ref_(flat_machine_config()), jit_machine_(flat_machine_config()), interp_(ref_) {
    ref_.set_log_quiet(true);
    jit_machine_.set_log_quiet(true);
    jit::JitOptions o;
    o.lockstep = lockstep;
    jit_ = std::make_unique<jit::JitEngine>(jit_machine_, o);
  }

  // Runs `seq` on both; fills `out` with the JIT's end state and returns the
  // problems found between the engines (empty if none).
  std::vector<std::string> run(const Sequence& seq, Tx86Result& out) {
    std::vector<std::string> problems;
    const uint32_t end = kCodeAddr + static_cast<uint32_t>(seq.code.size());
    load_flat_state(ref_, seq, kJmpSelf);
    const uint64_t ref_start = ref_.clock().retired();
    for (uint64_t k = 0; ref_.cpu().s.eip != end; ++k) {
      if (k == kMaxInstructions || interp_.run(1) != core::StopReason::kInstructionLimit) {
        problems.push_back("interpreter: the end not reached");
        return problems;
      }
    }
    const uint64_t n = ref_.clock().retired() - ref_start;
    load_flat_state(jit_machine_, seq, kJmpSelf);
    const uint64_t jit_start = jit_machine_.clock().retired();
    const core::StopReason stop = jit_->run(n + 1);
    const uint64_t retired = jit_machine_.clock().retired() - jit_start;
    const core::CpuState& s = jit_machine_.cpu().s;
    if (!jit_->lockstep_report().empty()) problems.push_back("lockstep: " + jit_->lockstep_report());
    if (stop != core::StopReason::kInstructionLimit)
      problems.push_back("JIT stopped early (reason " + std::to_string(static_cast<int>(stop)) + ")");
    if (retired != n + 1 || s.eip != end)
      problems.push_back("JIT retired " + std::to_string(retired) + " instructions (interpreter " +
                         std::to_string(n) + " + the JMP $), ending at EIP " + std::to_string(s.eip));
    // The interpreter after the same JMP $.
    if (interp_.run(1) != core::StopReason::kInstructionLimit) problems.push_back("interpreter: JMP $ did not run");
    if (std::string d = jit::first_difference(s, ref_.cpu().s); !d.empty()) problems.push_back("JIT vs interpreter: " + d);
    out = Tx86Result{};
    for (int r = 0; r < 8; ++r) out.gpr[r] = s.gpr[r];
    out.eflags = s.eflags;
    out.eip = s.eip;
    out.steps = retired;
    jit_machine_.memory().peek(kDataAddr, out.data);
    std::array<uint8_t, kDataBytes> ref_data{};
    ref_.memory().peek(kDataAddr, ref_data);
    if (ref_data != out.data) problems.push_back("JIT vs interpreter: the data areas differ");
    return problems;
  }

  const jit::JitEngine& jit() const { return *jit_; }

 private:
  core::Machine ref_;
  core::Machine jit_machine_;
  core::Interpreter interp_;
  std::unique_ptr<jit::JitEngine> jit_;
};

int flat_main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const uint64_t first = o.index >= 0 ? static_cast<uint64_t>(o.index) : 0;
  const uint64_t count = o.index >= 0 ? 1 : o.count;
  std::printf("jit-random-programs: seed %#" PRIx64 " (set TX86_ORACLE_SEED to change), %" PRIu64
              " sequences, flat setup at CPL 0 and 3, lockstep %s\n",
              o.seed, count, o.lockstep ? "on" : "off");
  std::fflush(stdout);
  try {
    NativeHelper helper(o.helper);
    FlatPair pair(o.lockstep);
    const GeneratorOptions gen;
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t mismatches = 0, done = 0;
    for (uint64_t start = first; start < first + count; start += o.batch) {
      std::vector<Sequence> batch;
      for (uint64_t i = start; i < std::min(first + count, start + o.batch); ++i)
        batch.push_back(generate(sequence_seed(o.seed, i), gen));
      helper.send(batch);
      std::vector<Tx86Result> results(batch.size());
      std::vector<std::vector<std::string>> problems(batch.size());
      for (size_t k = 0; k < batch.size(); ++k) problems[k] = pair.run(batch[k], results[k]);
      const std::vector<OracleOutput> native = helper.receive();
      for (size_t k = 0; k < batch.size(); ++k) {
        std::vector<std::string> diffs = problems[k];
        for (const std::string& d : differences(batch[k], native[k], results[k])) diffs.push_back("vs native: " + d);
        if (!diffs.empty()) ++mismatches;
        if ((diffs.empty() && o.index < 0) || (!diffs.empty() && mismatches > o.max_reports)) continue;
        std::printf("%s seed=%#" PRIx64 " index=%" PRIu64 " (replay: --seed %#" PRIx64 " --index %" PRIu64 ") CPL %d\n",
                    diffs.empty() ? "MATCH" : "MISMATCH", o.seed, start + k, o.seed, start + k, batch[k].cpl3 ? 3 : 0);
        std::printf("%s%s", initial_state(batch[k]).c_str(), listing(batch[k]).c_str());
        for (const std::string& d : diffs) std::printf("  %s\n", d.c_str());
        if (!pair.jit().lockstep_report().empty()) break;  // the engine stopped: the rest would repeat it
      }
      done += batch.size();
      if (!pair.jit().lockstep_report().empty()) break;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("jit-random-programs: %" PRIu64 " sequences, %" PRIu64 " mismatches, %.1f s, seed %#" PRIx64 "\n", done,
                mismatches, seconds, o.seed);
    std::printf("%s", jit_summary(pair.jit()).c_str());
    return mismatches == 0 && done == count ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jit-random-programs: %s\n", e.what());
    return 2;
  }
}

int ring3_main(int argc, char** argv) {
  jit::JitEngine* current = nullptr;
  auto engine = [&](bool lockstep) {
    return Ring3Engine{lockstep ? "jit-lockstep" : "jit",
                       [&current, lockstep](core::Machine& m) -> std::unique_ptr<core::Engine> {
                         jit::JitOptions o;
                         o.lockstep = lockstep;
                         auto j = std::make_unique<jit::JitEngine>(m, o);
                         j->set_exit_on_halt(true);
                         current = j.get();
                         return j;
                       },
                       [&current]() -> std::string {
                         if (current == nullptr) return {};
                         std::string s = jit_summary(*current);
                         if (!current->lockstep_report().empty()) s += "JIT lockstep: " + current->lockstep_report() + "\n";
                         return s;
                       }};
  };
  return ring3_oracle_main(argc, argv, "jit-random-programs-ring3", {engine(true), engine(false)});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--ring3") == 0) {
    argv[1] = argv[0];
    return ring3_main(argc - 1, argv + 1);
  }
  return flat_main(argc, argv);
}
