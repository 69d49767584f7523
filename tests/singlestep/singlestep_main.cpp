// tx86-singlestep: checks the interpreter against the SingleStepTests
// hardware-captured vectors of a directory of *.MOO.gz files.
//
//   tx86-singlestep DIR [--cpu 286|386] [--verbose|-v] [--filter GLOB]
//                   [--max-failures-shown N] [--stop-on-first] [--skip-if-missing]
//
// One line per file, then `N passed, M failed` (test counts). Exit status: 0
// if nothing failed and at least one test ran, 1 if a test failed, 2 for a
// bad argument, a missing directory or a corrupt file (whose tests count as
// failed; the other files still run), 77 (meson's SKIP) with
// --skip-if-missing when DIR holds no vectors, unless CI=true.
#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/singlestep/capture_errata.h"
#include "tests/singlestep/moo_reader.h"
#include "tests/singlestep/singlestep_runner.h"
#include "tests/singlestep/suite_metadata.h"

namespace {

namespace fs = std::filesystem;
using tx86::x86::CpuModel;
namespace ss = tx86::singlestep;

constexpr int kExitOk = 0, kExitFailed = 1, kExitError = 2, kExitSkip = 77;

struct Options {
  std::string dir;
  std::optional<CpuModel> cpu;
  bool verbose = false;
  std::string filter;
  unsigned max_shown = 3;
  bool stop_on_first = false;
  bool skip_if_missing = false;
  bool include_errata = false;
};

constexpr const char* kUsage =
    "usage: tx86-singlestep DIR [--cpu 286|386] [--verbose|-v] [--filter GLOB]\n"
    "                       [--max-failures-shown N] [--stop-on-first] [--skip-if-missing]\n"
    "                       [--include-errata]\n"
    "Runs every *.MOO.gz SingleStepTests file in DIR on the tx86 interpreter.\n"
    "  --cpu 286|386            CPU model (default: the cpu field of each file's MOO header)\n"
    "  -v, --verbose            explain every failing test\n"
    "  --filter GLOB            only files whose name or stem matches (e.g. 'F6.*', '0?')\n"
    "  --max-failures-shown N   failures explained per file (default 3)\n"
    "  --stop-on-first          stop at the first failing test\n"
    "  --skip-if-missing        exit 77 (skip) if DIR has no vectors, unless CI=true\n"
    "  --include-errata         also run the vectors listed as capture errors (capture_errata.h)\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "tx86-singlestep: error: %s (try --help)\n", msg.c_str());
  std::exit(kExitError);
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool have_dir = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* opt) -> std::string {
      if (i + 1 >= argc) usage_error(std::string(opt) + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(kExitOk);
    } else if (a == "--cpu") {
      std::string v = value("--cpu");
      if (v == "286") o.cpu = CpuModel::k286;
      else if (v == "386") o.cpu = CpuModel::k386;
      else usage_error("--cpu takes 286 or 386, not '" + v + "'");
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--filter") {
      o.filter = value("--filter");
    } else if (a == "--max-failures-shown") {
      std::string v = value("--max-failures-shown");
      char* end = nullptr;
      unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-' || n > 1000000)
        usage_error("--max-failures-shown takes a count, not '" + v + "'");
      o.max_shown = static_cast<unsigned>(n);
    } else if (a == "--stop-on-first") {
      o.stop_on_first = true;
    } else if (a == "--skip-if-missing") {
      o.skip_if_missing = true;
    } else if (a == "--include-errata") {
      o.include_errata = true;
    } else if (a.starts_with("-") && a != "-") {
      usage_error("unknown option '" + a + "'");
    } else if (have_dir) {
      usage_error("more than one directory given ('" + o.dir + "', '" + a + "')");
    } else {
      o.dir = a;
      have_dir = true;
    }
  }
  if (!have_dir) usage_error("no directory given");
  return o;
}

// DIR has no vectors: a skip for meson unless CI insists on the data.
[[noreturn]] void missing_data(const Options& o, const std::string& why) {
  const char* ci = std::getenv("CI");
  if (o.skip_if_missing && !(ci != nullptr && std::string(ci) == "true")) {
    std::printf("SKIP: %s: %s (the SingleStepTests data is not installed)\n", o.dir.c_str(), why.c_str());
    std::exit(kExitSkip);
  }
  std::fprintf(stderr, "tx86-singlestep: error: %s: %s%s\n", o.dir.c_str(), why.c_str(),
               o.skip_if_missing ? " (CI=true: the test data is required)" : "");
  std::exit(kExitError);
}

std::optional<CpuModel> model_from_header(const std::string& cpu) {
  if (cpu == "C286" || cpu == "286 ") return CpuModel::k286;
  if (cpu == "C386" || cpu == "386E" || cpu == "386 ") return CpuModel::k386;
  return std::nullopt;
}

std::string stem_of(const std::string& name) {
  static constexpr std::string_view kSuffix = ".MOO.gz";
  return name.ends_with(kSuffix) ? name.substr(0, name.size() - kSuffix.size()) : name;
}

std::string bytes_hex(const std::vector<uint8_t>& b) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02x" : "%02x", b[i]);
    s += buf;
  }
  return s;
}

struct Totals {
  uint64_t passed = 0, failed = 0, skipped = 0, errata = 0;
  bool error = false;
  bool stop = false;
};

// Runs one file; prints its line and the failure details.
void run_file(const Options& o, const fs::path& path, const ss::SuiteMetadata& md,
              std::unique_ptr<ss::FileRunner>& runner_slot, Totals& totals) {
  const std::string name = path.filename().string();
  std::vector<uint8_t> gz;
  ss::MooFile file;
  try {
    gz = ss::read_file_bytes(path.string());
    file = ss::parse_moo(ss::gunzip(gz));
  } catch (const ss::MooError& e) {
    // The tests the header announces (at least one) count as failed.
    uint64_t count = std::max<uint64_t>(ss::peek_moo_test_count(ss::gunzip_prefix(gz, 64)).value_or(1), 1);
    std::printf("%s: error: %s; its %llu test%s count as failed\n", name.c_str(), e.what(),
                static_cast<unsigned long long>(count), count == 1 ? "" : "s");
    totals.failed += count;
    totals.error = true;
    return;
  }
  std::optional<CpuModel> model = o.cpu ? o.cpu : model_from_header(file.cpu);
  if (!model) {
    std::printf("%s: error: unknown cpu id '%s' in the MOO header (give --cpu 286|386); its %u tests count as "
                "failed\n",
                name.c_str(), file.cpu.c_str(), file.test_count);
    totals.failed += std::max<uint32_t>(file.test_count, 1);
    totals.error = true;
    return;
  }

  ss::FileContext ctx;
  ctx.flags_mask = md.flags_mask(stem_of(name));
  ctx.masks16 = file.masks;
  ctx.masks32 = file.masks32;
  if (!runner_slot || runner_slot->model() != *model) runner_slot = std::make_unique<ss::FileRunner>(*model);
  ss::FileRunner& runner = *runner_slot;
  runner.begin_file();

  uint64_t passed = 0, failed = 0, skipped = 0, errata = 0;
  std::map<std::string, uint64_t> reasons;
  std::string details;
  unsigned shown = 0;
  for (size_t i = 0; i < file.tests.size(); ++i) {
    const ss::MooTest& t = file.tests[i];
    if (md.revoked_count() != 0 && md.revoked(t.hash_hex())) {
      ++skipped;
      continue;
    }
    if (!o.include_errata) {
      if (const ss::CaptureErratum* e = ss::find_capture_erratum(t.hash_hex())) {
        ++errata;
        std::printf("  excluded %s (index %u) as a capture error: %.*s\n", name.c_str(), t.index,
                    static_cast<int>(e->reason.size()), e->reason.data());
        continue;
      }
    }
    bool want = o.verbose || shown < o.max_shown || (o.stop_on_first && failed == 0);
    ss::TestOutcome r = runner.run(t, ctx, want);
    if (r.passed) {
      ++passed;
      continue;
    }
    ++failed;
    for (const std::string& reason : r.reasons) ++reasons[reason];
    if (want) {
      ++shown;
      char head[160];
      std::snprintf(head, sizeof head, "  FAIL %s #%zu (index %u): ", name.c_str(), i, t.index);
      details += head + t.name + "   bytes: " + bytes_hex(t.bytes);
      if (t.hash) details += "   hash " + t.hash_hex();
      details += "\n" + r.detail;
    }
    if (o.stop_on_first) {
      totals.stop = true;
      break;
    }
  }

  std::string line = name + ": " + std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
  if (skipped) line += ", " + std::to_string(skipped) + " skipped (revoked)";
  if (errata) line += ", " + std::to_string(errata) + " excluded (capture errors)";
  if (!reasons.empty()) {
    std::vector<std::pair<std::string, uint64_t>> sorted(reasons.begin(), reasons.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second > b.second; });
    line += "  [";
    for (size_t k = 0; k < sorted.size() && k < 8; ++k)
      line += (k ? ", " : "") + sorted[k].first + " " + std::to_string(sorted[k].second);
    if (sorted.size() > 8) line += ", +" + std::to_string(sorted.size() - 8) + " more kinds";
    line += "]";
  }
  std::printf("%s\n%s", line.c_str(), details.c_str());
  if (failed > shown && shown > 0) std::printf("  ... %llu more failures not shown (-v shows all)\n",
                                               static_cast<unsigned long long>(failed - shown));
  std::fflush(stdout);
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  totals.errata += errata;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);

  std::error_code ec;
  if (!fs::exists(o.dir, ec)) missing_data(o, "no such directory");
  if (!fs::is_directory(o.dir, ec)) missing_data(o, "not a directory");
  std::vector<fs::path> files;
  bool any_vectors = false;
  for (fs::directory_iterator it(o.dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.ends_with(".MOO.gz")) continue;
    any_vectors = true;
    std::string stem = stem_of(name);
    if (!o.filter.empty() && fnmatch(o.filter.c_str(), name.c_str(), 0) != 0 &&
        fnmatch(o.filter.c_str(), stem.c_str(), 0) != 0)
      continue;
    files.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "tx86-singlestep: error: %s: cannot list the directory: %s\n", o.dir.c_str(),
                 ec.message().c_str());
    return kExitError;
  }
  if (!any_vectors) missing_data(o, "no *.MOO.gz files");
  if (files.empty()) {
    std::fprintf(stderr, "tx86-singlestep: error: no file in %s matches --filter '%s'\n", o.dir.c_str(),
                 o.filter.c_str());
    return kExitError;
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });

  ss::SuiteMetadata md;
  try {
    md = ss::SuiteMetadata::load(o.dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tx86-singlestep: error: %s\n", e.what());
    return kExitError;
  }
  for (const std::string& n : md.notes()) std::printf("note: %s\n", n.c_str());
  if (!md.has_flag_masks())
    std::printf("note: no metadata.json or 80386.csv with flag masks: every flag is compared\n");

  auto start = std::chrono::steady_clock::now();
  Totals totals;
  std::unique_ptr<ss::FileRunner> runner;
  size_t files_run = 0;
  for (const fs::path& p : files) {
    ++files_run;
    run_file(o, p, md, runner, totals);
    if (totals.stop) {
      std::printf("stopped at the first failure (--stop-on-first)\n");
      break;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("time: %.1f s for %zu files\n", seconds, files_run);
  if (totals.skipped) std::printf("skipped: %llu revoked tests\n", static_cast<unsigned long long>(totals.skipped));
  if (totals.errata)
    std::printf("excluded: %llu tests listed as capture errors (see capture_errata.h; --include-errata runs them)\n",
                static_cast<unsigned long long>(totals.errata));
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(totals.passed),
              static_cast<unsigned long long>(totals.failed));
  if (totals.error) return kExitError;
  return totals.failed == 0 && totals.passed > 0 ? kExitOk : kExitFailed;
}
