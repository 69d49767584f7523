// tx86: the command-line front end. Builds a Machine from the options, runs
// it with the chosen engine and turns the way it stopped into an exit code
// (see cli/options.h). Every user mistake ends in one line on stderr and exit
// code 2; nothing here aborts.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/options.h"
#include "cli/stats.h"
#include "cli/trace.h"
#include "core/boot/multiboot.h"
#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "devices/debug_exit.h"
#include "devices/debugcon.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/post_code.h"
#include "devices/serial_backend.h"
#include "devices/uart16550.h"
#include "guests/demo_rom.h"
#include "jit/jit_engine.h"

namespace tx86::cli {
namespace {

// A user-facing error: printed as one line, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<uint8_t> read_rom(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw UsageError("--bios '" + path + "': no such file");
  if (!std::filesystem::is_regular_file(path, ec)) throw UsageError("--bios '" + path + "': not a regular file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw UsageError("--bios '" + path + "': cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[65536];
  size_t n = 0;
  // Read at most one byte more than the largest valid image, so that a huge
  // file is refused without reading it all.
  while (bytes.size() <= (256u << 10) && (n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  const bool error = std::ferror(f) != 0;
  std::fclose(f);
  if (error) throw UsageError("--bios '" + path + "': read error");
  const size_t size = bytes.size();
  if (size != (64u << 10) && size != (128u << 10) && size != (256u << 10))
    throw UsageError("--bios '" + path + "': " + (size > (256u << 10) ? std::string("larger than 256 KiB") : std::to_string(size) + " bytes") +
                     "; a firmware image must be 64, 128 or 256 KiB");
  return bytes;
}

std::unique_ptr<devices::SerialBackend> backend(const std::string& option, const std::string& spec) {
  try {
    return devices::make_serial_backend(spec);
  } catch (const std::runtime_error& e) {
    throw UsageError("--" + option + ": " + e.what());
  }
}

int run(const Options& o) {
  // Firmware: the given ROM; else the built-in demo, unless a kernel is
  // booted directly (it needs no firmware: tx86 is its Multiboot loader).
  std::vector<uint8_t> rom;
  if (!o.bios_path.empty()) rom = read_rom(o.bios_path);
  else if (o.kernel_path.empty()) rom.assign(guests::kDemoRom, guests::kDemoRom + guests::kDemoRomSize);

  core::MachineConfig config;
  config.ram_bytes = o.memory_bytes;
  config.instructions_per_second = o.instructions_per_second;
  core::Machine machine(config);
  if (!rom.empty()) machine.load_firmware(rom);

  // The interrupt controller first: devices wire their IRQ lines to it.
  machine.add_device<devices::Pic8259>();
  machine.add_device<devices::Pit8254>();
  machine.add_device<devices::Uart16550>(uint16_t{0x3F8}, 4u, backend("serial", o.serial));
  machine.add_device<devices::DebugCon>(backend("debugcon", o.debugcon));
  auto& post = machine.add_device<devices::PostCode>();
  if (o.debug_exit) machine.add_device<devices::DebugExit>();

  std::unique_ptr<TraceWriter> trace;
  if (!o.trace_path.empty()) {
    try {
      trace = std::make_unique<TraceWriter>(o.trace_path);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }

  machine.reset();
  if (!o.kernel_path.empty()) {
    try {
      core::load_multiboot(machine, o.kernel_path, o.append, o.initrd_path);
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string("--kernel: ") + e.what());
    }
  }
  std::unique_ptr<core::Interpreter> interp;
  std::unique_ptr<jit::JitEngine> jit_engine;
  core::Engine* engine = nullptr;
  if (o.engine == EngineKind::kJit) {
    jit::JitOptions jo;
    jo.cache_bytes = o.jit_cache_bytes;
    jo.dump_path = o.jit_dump_path;
    jo.perf_map = o.jit_perf_map;
    jo.lockstep = o.lockstep;
    try {
      jit_engine = std::make_unique<jit::JitEngine>(machine, jo);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
    jit_engine->set_exit_on_halt(o.exit_on_halt);
    engine = jit_engine.get();
  } else {
    interp = std::make_unique<core::Interpreter>(machine);
    interp->set_exit_on_halt(o.exit_on_halt);
    interp->set_trace(trace.get());
    engine = interp.get();
  }

  const auto start = std::chrono::steady_clock::now();
  const uint64_t budget = o.max_instructions.value_or(UINT64_MAX);
  core::StopReason reason = engine->run(budget);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (jit_engine && !jit_engine->lockstep_report().empty()) {
    std::fprintf(stderr, "tx86: %s\n", jit_engine->lockstep_report().c_str());
    machine.drain_devices();
    return kExitInternal;
  }
  int status = kExitOk;
  switch (reason) {
    case core::StopReason::kHalted: status = kExitOk; break;
    case core::StopReason::kExitRequested: status = machine.exit_status(); break;
    case core::StopReason::kShutdown:
      std::fprintf(stderr, "tx86: the guest triple-faulted at %04x:%08x; machine shut down\n",
                   machine.cpu().s.seg[x86::kCs].selector, machine.cpu().s.eip);
      status = kExitShutdown;
      break;
    case core::StopReason::kInstructionLimit:
      std::fprintf(stderr, "tx86: stopped after %llu instructions (--max-instructions)\n",
                   static_cast<unsigned long long>(budget));
      status = kExitInstructionLimit;
      break;
  }
  machine.drain_devices();  // the last bytes a halted guest sent still reach the host
  trace.reset();             // flush before the statistics are printed
  if (o.stats) {
    // For the JIT, the interpreter's figures cover the stretches it ran.
    print_stats(stderr, machine, interp ? interp->name() : jit_engine->name(),
                interp ? *interp : jit_engine->fallback(), post, seconds);
    if (jit_engine) jit::print_jit_stats(stderr, *jit_engine, seconds);
  }
  return status;
}

}  // namespace
}  // namespace tx86::cli

int main(int argc, char** argv) {
  using namespace tx86::cli;
  ParseResult parsed = parse_options(argc, argv);
  switch (parsed.action) {
    case ParseResult::Action::kHelp:
    case ParseResult::Action::kVersion:
      std::fputs(parsed.text.c_str(), stdout);
      return kExitOk;
    case ParseResult::Action::kError:
      std::fprintf(stderr, "tx86: %s\n", parsed.text.c_str());
      return kExitUsage;
    case ParseResult::Action::kRun:
      break;
  }
  try {
    return run(parsed.options);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "tx86: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tx86: internal error: %s\n", e.what());
    return kExitInternal;
  }
}
