// Command-line options of the `tx86` executable: parsing and validation.
// The vocabulary follows QEMU's where a QEMU option exists (`--memory 16M`,
// `--bios FILE`, `--serial stdio|file:PATH|none`, `--debugcon ...`), so users
// feel at home. Parsing never exits the process: it returns a result the
// caller turns into output and an exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tx86::cli {

// Process exit codes (also printed by --help).
enum ExitCode : int {
  kExitOk = 0,               // guest halted, or --help / --version
  kExitUsage = 2,            // bad option, missing/unreadable/wrong-size file
  kExitShutdown = 4,         // guest triple-faulted (shutdown)
  kExitInstructionLimit = 6, // --max-instructions reached before the guest stopped
  kExitInternal = 8,         // a tx86 bug (reported with its message)
  // Odd codes (V << 1) | 1 come from the guest through --debug-exit.
};

enum class EngineKind { kInterp, kJit };

struct Options {
  uint64_t memory_bytes = 16u << 20;
  std::string bios_path;  // empty: the built-in demo ROM (unless --kernel)
  std::string kernel_path;  // Multiboot v1 kernel, started as a Multiboot loader does
  std::string append;       // its command line
  std::string initrd_path;  // its first module
  std::string serial = "stdio";
  std::string debugcon = "none";
  EngineKind engine = EngineKind::kInterp;
  std::string trace_path;
  std::optional<uint64_t> max_instructions;
  bool exit_on_halt = false;
  bool debug_exit = false;
  bool stats = false;
  uint64_t instructions_per_second = 100'000'000;
  // --engine jit only.
  uint64_t jit_cache_bytes = 32u << 20;  // --jit-cache-size
  std::string jit_dump_path;             // --jit-dump
  bool jit_perf_map = false;             // --jit-perf-map
  bool lockstep = false;                 // --lockstep
};

struct ParseResult {
  enum class Action { kRun, kHelp, kVersion, kError } action = Action::kRun;
  Options options;
  std::string text;  // help text, version text, or the one-line error
};

ParseResult parse_options(int argc, const char* const* argv);

// "16M", "512K", "1G", "65536" (bytes if no suffix is... see .cpp). Returns
// nullopt for a malformed or overflowing size.
std::optional<uint64_t> parse_size(const std::string& text);

}  // namespace tx86::cli
