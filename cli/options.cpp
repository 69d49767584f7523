#include "cli/options.h"

#include <boost/program_options.hpp>
#include <cctype>
#include <sstream>

namespace tx86::cli {

namespace po = boost::program_options;

namespace {

constexpr uint64_t kMinMemory = 1u << 20;
constexpr uint64_t kMaxMemory = uint64_t{3} << 30;

const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0            the guest halted (HLT with interrupts off), or --help/--version\n"
    "  2            bad option, or a file that is missing, unreadable or of the wrong size\n"
    "  4            the guest triple-faulted (machine shutdown)\n"
    "  6            --max-instructions was reached before the guest stopped\n"
    "  8            internal error in tx86 (please report it)\n"
    "  (V<<1)|1     the guest wrote V to the --debug-exit port (QEMU isa-debug-exit)\n";

// A plain decimal count (Boost's lexical_cast would accept "-1" for an
// unsigned and wrap it, so counts are parsed here).
std::optional<uint64_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

std::optional<uint64_t> parse_size(const std::string& text) {
  // QEMU's convention for -m: a number with an optional K/M/G suffix; a bare
  // number means mebibytes.
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return std::nullopt;
  uint64_t unit = uint64_t{1} << 20;
  if (i < text.size()) {
    switch (std::toupper(static_cast<unsigned char>(text[i]))) {
      case 'K': unit = uint64_t{1} << 10; break;
      case 'M': unit = uint64_t{1} << 20; break;
      case 'G': unit = uint64_t{1} << 30; break;
      default: return std::nullopt;
    }
    ++i;
    if (i < text.size() && (text[i] == 'B' || text[i] == 'b')) ++i;
    if (i != text.size()) return std::nullopt;
  }
  if (value > UINT64_MAX / unit) return std::nullopt;
  return value * unit;
}

ParseResult parse_options(int argc, const char* const* argv) {
  ParseResult result;
  Options& o = result.options;
  std::string memory = "16M";
  std::string engine = "interp";
  std::string max_instructions;
  std::string ips;
  std::string jit_cache = "32M";

  po::options_description desc("Usage: tx86 [options]\n\nRuns a PC guest. With no --bios, runs the built-in demo ROM.\n\nOptions");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("version", "show the version and exit")
      ("memory,m", po::value<std::string>(&memory)->value_name("SIZE"),
       "guest RAM, e.g. 16M, 512K, 1G (a bare number means MiB); 1M..3G, default 16M")
      ("bios", po::value<std::string>(&o.bios_path)->value_name("FILE"),
       "firmware ROM image (64, 128 or 256 KiB), mapped below 1 MiB and below 4 GiB")
      ("kernel", po::value<std::string>(&o.kernel_path)->value_name("FILE"),
       "boot a Multiboot v1 kernel (ELF) directly, as qemu-system-i386 -kernel does")
      ("append", po::value<std::string>(&o.append)->value_name("CMDLINE"),
       "command line for the --kernel")
      ("initrd", po::value<std::string>(&o.initrd_path)->value_name("FILE"),
       "first Multiboot module for the --kernel")
      ("serial", po::value<std::string>(&o.serial)->value_name("DEV"),
       "COM1 backend: stdio, file:PATH or none (default stdio)")
      ("debugcon", po::value<std::string>(&o.debugcon)->value_name("DEV"),
       "port 0xE9 debug console: stdio, file:PATH or none (default none)")
      ("engine", po::value<std::string>(&engine)->value_name("NAME"),
       "execution engine: interp or jit (default interp)")
      ("trace", po::value<std::string>(&o.trace_path)->value_name("FILE"),
       "write one line per executed instruction to FILE")
      ("max-instructions", po::value<std::string>(&max_instructions)->value_name("N"),
       "stop after N instructions (exit code 6)")
      ("exit-on-halt", po::bool_switch(&o.exit_on_halt),
       "exit when the CPU halts with interrupts disabled")
      ("debug-exit", po::bool_switch(&o.debug_exit),
       "enable the QEMU-compatible isa-debug-exit port at 0xF4")
      ("stats", po::bool_switch(&o.stats),
       "print instructions retired, MIPS and per-group counts at exit")
      ("ips", po::value<std::string>(&ips)->value_name("N"),
       "virtual clock: guest instructions per virtual second (default 100000000)")
      ("jit-cache-size", po::value<std::string>(&jit_cache)->value_name("SIZE"),
       "JIT: host code kept before the translation cache is flushed (64K..1G, default 32M)")
      ("jit-dump", po::value<std::string>(&o.jit_dump_path)->value_name("FILE"),
       "JIT: write every translated block (guest and host code, key, exits) to FILE")
      ("jit-perf-map", po::bool_switch(&o.jit_perf_map),
       "JIT: name every translated block for Linux perf in /tmp/perf-PID.map")
      ("lockstep", po::bool_switch(&o.lockstep),
       "JIT: check every block against the interpreter; stop at the first difference (exit code 8)");

  std::ostringstream help;
  help << desc << "\n" << kExitCodesHelp;

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    result.action = ParseResult::Action::kError;
    result.text = std::string(e.what()) + " (see tx86 --help)";
    return result;
  }
  auto fail = [&](std::string message) {
    result.action = ParseResult::Action::kError;
    result.text = std::move(message);
    return result;
  };
  if (vm.count("help")) {
    result.action = ParseResult::Action::kHelp;
    result.text = help.str();
    return result;
  }
  if (vm.count("version")) {
    result.action = ParseResult::Action::kVersion;
    result.text = "tx86 " TX86_VERSION "\n";
    return result;
  }

  auto size = parse_size(memory);
  if (!size) return fail("--memory '" + memory + "': not a size (examples: 16M, 512K, 1G)");
  if (*size < kMinMemory || *size > kMaxMemory)
    return fail("--memory '" + memory + "': must be between 1M and 3G");
  if (*size % 4096 != 0) return fail("--memory '" + memory + "': must be a multiple of 4K");
  o.memory_bytes = *size;

  if (engine == "interp") o.engine = EngineKind::kInterp;
  else if (engine == "jit") o.engine = EngineKind::kJit;
  else return fail("--engine '" + engine + "': unknown engine (expected interp or jit)");

  if (o.engine != EngineKind::kJit && (vm.count("jit-cache-size") || vm.count("jit-dump") || o.jit_perf_map || o.lockstep))
    return fail("--jit-cache-size, --jit-dump, --jit-perf-map and --lockstep need --engine jit");
  if (o.engine == EngineKind::kJit && vm.count("trace"))
    return fail("--trace needs --engine interp (the JIT does not trace instructions)");
  {
    auto n = parse_size(jit_cache);
    if (!n || *n < (64u << 10) || *n > (uint64_t{1} << 30))
      return fail("--jit-cache-size '" + jit_cache + "': must be a size between 64K and 1G");
    o.jit_cache_bytes = *n;
  }

  if (vm.count("max-instructions")) {
    auto n = parse_count(max_instructions);
    if (!n || *n == 0) return fail("--max-instructions '" + max_instructions + "': expected a positive integer");
    o.max_instructions = *n;
  }
  if (o.kernel_path.empty() && (vm.count("append") || vm.count("initrd")))
    return fail("--append and --initrd need a --kernel");
  if (vm.count("ips")) {
    auto n = parse_count(ips);
    if (!n || *n == 0) return fail("--ips '" + ips + "': expected a positive integer");
    o.instructions_per_second = *n;
  }
  return result;
}

}  // namespace tx86::cli
