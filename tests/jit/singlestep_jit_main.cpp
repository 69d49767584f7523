// jit-singlestep: the SingleStepTests 80286 real-mode vectors run under the
// JIT and under the interpreter (tests/singlestep checks the interpreter
// against the hardware; this checks that the JIT does exactly what the
// interpreter does on every one of them): same INIT state on two machines,
// run to the HLT, then the full CPU state, the clock and every INIT/FINA
// byte must be equal. With --lockstep the JIT side also runs in lockstep.
// Every test writes its instruction bytes over the previous test's code, so
// this also exercises self-modifying-code invalidation hard.
//
// Usage: jit-singlestep DIR [--lockstep] [--limit N] [--skip-if-missing]
// Exit: 0 all equal, 1 a difference, 2 usage/IO error, 77 skipped.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "jit/jit_engine.h"
#include "jit/lockstep.h"
#include "tests/singlestep/moo_reader.h"

using namespace tx86;
namespace ss = tx86::singlestep;

namespace {

struct Side {
  Side(bool jit, bool lockstep) {
    core::MachineConfig c;
    c.model = x86::CpuModel::k286;
    m = std::make_unique<core::Machine>(c);
    m->set_log_quiet(true);
    // RAM in the 640 KiB..1 MiB hole too, as tests/singlestep's runner does
    // (the vectors use the whole first megabyte).
    m->memory().map_ram(0xA0000, 0x60000);
    if (jit) {
      jit::JitOptions o;
      o.lockstep = lockstep;
      auto e = std::make_unique<jit::JitEngine>(*m, o);
      e->set_exit_on_halt(true);
      jit_engine = e.get();
      engine = std::move(e);
    } else {
      auto e = std::make_unique<core::Interpreter>(*m);
      e->set_exit_on_halt(true);
      engine = std::move(e);
    }
  }
  void load(const ss::MooTest& t) {
    core::Cpu& cpu = m->cpu();
    for (const ss::MooRamEntry& e : t.init.ram) m->memory().write(e.address, e.value, 1);
    cpu.reset();
    cpu.set_a20(true);
    core::CpuState& s = cpu.s;
    const ss::MooRegs16& r = *t.init.regs;
    static const uint8_t kGpr[] = {x86::kEax, x86::kEbx, x86::kEcx, x86::kEdx};
    static const uint8_t kSeg[] = {x86::kCs, x86::kSs, x86::kDs, x86::kEs};
    static const uint8_t kGprHi[] = {x86::kEsp, x86::kEbp, x86::kEsi, x86::kEdi};
    for (unsigned i = 0; i < 4; ++i) s.gpr[kGpr[i]] = r.value[ss::kMooAx + i];
    for (unsigned i = 0; i < 4; ++i) s.load_segment_real(kSeg[i], r.value[ss::kMooCs + i]);
    for (unsigned i = 0; i < 4; ++i) s.gpr[kGprHi[i]] = r.value[ss::kMooSp + i];
    s.eip = r.value[ss::kMooIp];
    s.eflags = (r.value[ss::kMooFlags] & 0x0FFF) | 0x2;
  }
  void clear(const ss::MooTest& t) {
    for (const auto* list : {&t.init.ram, &t.fina.ram})
      for (const ss::MooRamEntry& e : *list) m->memory().write(e.address, 0, 1);
  }
  std::unique_ptr<core::Machine> m;
  std::unique_ptr<core::Engine> engine;
  jit::JitEngine* jit_engine = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  bool lockstep = false, skip_if_missing = false;
  size_t limit = SIZE_MAX;
  std::string only_file;
  long only_index = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--lockstep") lockstep = true;
    else if (a == "--skip-if-missing") skip_if_missing = true;
    else if (a == "--limit" && i + 1 < argc) limit = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--only" && i + 2 < argc) {  // --only 01.MOO.gz 214: one test (debugging)
      only_file = argv[++i];
      only_index = std::strtol(argv[++i], nullptr, 10);
    }
    else if (dir.empty() && !a.starts_with("--")) dir = a;
    else {
      std::fprintf(stderr, "usage: jit-singlestep DIR [--lockstep] [--limit N] [--skip-if-missing]\n");
      return 2;
    }
  }
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!dir.empty() && std::filesystem::is_directory(dir, ec))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().filename().string().ends_with(".MOO.gz") &&
          (only_file.empty() || e.path().filename() == only_file))
        files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    const char* ci = std::getenv("CI");
    if (skip_if_missing && !(ci && std::string(ci) == "true")) {
      std::printf("jit-singlestep: no vectors in '%s': skipped\n", dir.c_str());
      return 77;
    }
    std::fprintf(stderr, "jit-singlestep: no .MOO.gz files in '%s'\n", dir.c_str());
    return 2;
  }

  Side ref(false, false), jit(true, lockstep);
  uint64_t total = 0, differ = 0;
  for (const auto& path : files) {
    ss::MooFile f;
    try {
      f = ss::parse_moo(ss::gunzip(ss::read_file_bytes(path.string())));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "jit-singlestep: %s: %s\n", path.c_str(), e.what());
      return 2;
    }
    size_t n = 0;
    for (const ss::MooTest& t : f.tests) {
      if (n++ >= limit) break;
      if (!t.init.regs || (only_index >= 0 && t.index != uint32_t(only_index))) continue;
      ++total;
      ref.load(t);
      jit.load(t);
      const core::StopReason r1 = ref.engine->run(200000);
      const core::StopReason r2 = jit.engine->run(200000);
      std::string diff = jit.jit_engine->lockstep_report();
      if (diff.empty() && r1 != r2) diff = "stop reason differs";
      if (diff.empty()) diff = jit::first_difference(jit.m->cpu().s, ref.m->cpu().s);
      if (diff.empty() && jit.m->clock().retired() != ref.m->clock().retired()) diff = "retired count differs";
      for (const auto* list : {&t.init.ram, &t.fina.ram})
        for (const ss::MooRamEntry& e : *list)
          if (diff.empty() && jit.m->memory().read(e.address, 1) != ref.m->memory().read(e.address, 1))
            diff = "memory byte " + std::to_string(e.address);
      if (!diff.empty()) {
        if (++differ <= 20)
          std::printf("%s #%u (%s): %s\n", path.filename().c_str(), t.index, t.name.c_str(), diff.c_str());
        if (!jit.jit_engine->lockstep_report().empty()) {
          std::printf("jit-singlestep: lockstep stopped; no further tests\n");
          return 1;
        }
        jit.m->clear_stop();
      }
      ref.clear(t);
      jit.clear(t);
    }
  }
  const jit::JitStats st = jit.jit_engine->stats();
  std::printf("jit-singlestep: %llu tests, %llu differ; %llu blocks translated, %llu invalidations, %llu faults in blocks%s\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(differ),
              static_cast<unsigned long long>(st.cache.blocks_translated),
              static_cast<unsigned long long>(st.cache.invalidations), static_cast<unsigned long long>(st.exceptions),
              lockstep ? (", " + std::to_string(st.lockstep_blocks) + " blocks in lockstep").c_str() : "");
  return differ == 0 ? 0 : 1;
}
