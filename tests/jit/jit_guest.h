// A small real-mode PC for JIT tests: one Machine with the PIC and the PIT,
// code at 1000:0000 (physical 0x10000), stack at 2000:FFFE, DS = ES = 3000,
// every interrupt vector pointing at a HLT at 0000:0500 + vector, and either
// engine. Two rigs with the same program must end bit for bit the same.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "jit/jit_engine.h"
#include "jit/lockstep.h"

namespace tx86::test {

inline constexpr uint32_t kCodeBase = 0x10000;
inline constexpr uint32_t kHandlerBase = 0x500;

enum class EngineKind { kInterp, kJit, kJitLockstep };

// A test program that meson assembled from tests/jit/*.asm (nasm -f bin)
// into the build tree; its path comes in as a compile definition. Throws
// (the test fails naming the file) if it cannot be read.
inline std::vector<uint8_t> read_program(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!f.good() && !f.eof()) throw std::runtime_error("cannot read test program " + path);
  if (bytes.empty()) throw std::runtime_error("test program missing or empty: " + path);
  return bytes;
}

// read_program's bytes, read once per path for the whole test run.
inline const std::vector<uint8_t>& program(const std::string& path) {
  static std::map<std::string, std::vector<uint8_t>> cache;
  auto it = cache.find(path);
  if (it == cache.end()) it = cache.emplace(path, read_program(path)).first;
  return it->second;
}

struct Rig {
  explicit Rig(EngineKind kind, x86::CpuModel model = x86::CpuModel::kP6, size_t jit_cache = size_t{32} << 20)
      : m(config(model)) {
    m.set_log_quiet(true);
    m.add_device<devices::Pic8259>();
    m.add_device<devices::Pit8254>();
    m.reset();
    core::CpuState& s = m.cpu().s;
    s.load_segment_real(x86::kCs, kCodeBase >> 4);
    s.load_segment_real(x86::kSs, 0x2000);
    s.load_segment_real(x86::kDs, 0x3000);
    s.load_segment_real(x86::kEs, 0x3000);
    s.eip = 0;
    s.gpr[x86::kEsp] = 0xFFFE;
    for (unsigned v = 0; v < 256; ++v) {
      poke16(v * 4, uint16_t(kHandlerBase + v));
      poke16(v * 4 + 2, 0);
      load(kHandlerBase + v, {0xF4});
    }
    if (kind == EngineKind::kInterp) {
      auto i = std::make_unique<core::Interpreter>(m);
      i->set_exit_on_halt(true);
      engine = std::move(i);
    } else {
      jit::JitOptions o;
      o.lockstep = kind == EngineKind::kJitLockstep;
      o.cache_bytes = jit_cache;
      auto j = std::make_unique<jit::JitEngine>(m, o);
      j->set_exit_on_halt(true);
      jit_engine = j.get();
      engine = std::move(j);
    }
  }
  static core::MachineConfig config(x86::CpuModel model) {
    core::MachineConfig c;
    c.model = model;
    return c;
  }
  void load(uint32_t paddr, const std::vector<uint8_t>& bytes) { m.memory().load(paddr, bytes); }
  void poke16(uint32_t paddr, uint16_t v) { load(paddr, {uint8_t(v), uint8_t(v >> 8)}); }
  uint16_t peek16(uint32_t paddr) { return uint16_t(m.memory().read(paddr, 2)); }
  core::CpuState& s() { return m.cpu().s; }
  core::StopReason run(uint64_t max) { return engine->run(max); }
  bool stopped_in_handler(uint8_t vector) {
    return s().halted && s().seg[x86::kCs].selector == 0 && s().eip == kHandlerBase + vector + 1u;
  }

  core::Machine m;
  std::unique_ptr<core::Engine> engine;
  jit::JitEngine* jit_engine = nullptr;
};

// Empty if the two machines have the same CPU state, clock and RAM.
inline std::string machine_difference(Rig& a, Rig& b) {
  std::string d = jit::first_difference(a.s(), b.s());
  if (!d.empty()) return d;
  if (a.m.clock().retired() != b.m.clock().retired())
    return "clock: " + std::to_string(a.m.clock().retired()) + " vs " + std::to_string(b.m.clock().retired());
  const uint8_t* ra = a.m.memory().ram();
  const uint8_t* rb = b.m.memory().ram();
  for (size_t k = 0; k < a.m.memory().ram_size(); ++k)
    if (ra[k] != rb[k]) return "ram byte " + std::to_string(k);
  return {};
}

}  // namespace tx86::test
