// A small real-mode guest for interpreter tests: one Machine and its
// Interpreter, code loaded at 1000:0000 (physical 0x10000), stack at
// 2000:FFFE, DS = ES = 3000, and every interrupt vector pointing at a HLT
// (at 0000:0500 + vector) so that an exception ends the run with the CPU
// halted and IF = 0 (run() returns kHalted).
#pragma once

#include <cstdint>
#include <vector>

#include "core/interp/interpreter.h"
#include "core/machine.h"

namespace tx86::test {

inline constexpr uint32_t kCodeBase = 0x10000;
inline constexpr uint32_t kDataBase = 0x30000;
inline constexpr uint32_t kStackBase = 0x20000;
inline constexpr uint32_t kHandlerBase = 0x500;

struct Guest {
  explicit Guest(x86::CpuModel model = x86::CpuModel::kP6) : m(config(model)), interp(m) {
    m.set_log_quiet(true);
    interp.set_exit_on_halt(true);
    core::CpuState& s = m.cpu().s;
    s.load_segment_real(x86::kCs, kCodeBase >> 4);
    s.load_segment_real(x86::kSs, kStackBase >> 4);
    s.load_segment_real(x86::kDs, kDataBase >> 4);
    s.load_segment_real(x86::kEs, kDataBase >> 4);
    s.eip = 0;
    s.gpr[x86::kEsp] = 0xFFFE;
    if (model == x86::CpuModel::k286) s.eflags = 0x0002;
    for (unsigned v = 0; v < 256; ++v) {
      set_vector(uint8_t(v), 0, uint16_t(kHandlerBase + v));
      poke8(kHandlerBase + v, 0xF4);  // HLT
    }
  }

  static core::MachineConfig config(x86::CpuModel model) {
    core::MachineConfig c;
    c.ram_bytes = 16u << 20;
    c.model = model;
    return c;
  }

  core::CpuState& s() { return m.cpu().s; }
  void load(uint32_t paddr, const std::vector<uint8_t>& bytes) { m.memory().load(paddr, bytes); }
  void code(const std::vector<uint8_t>& bytes) { load(kCodeBase, bytes); }
  void poke8(uint32_t paddr, uint8_t v) { m.memory().load(paddr, std::vector<uint8_t>{v}); }
  void poke16(uint32_t paddr, uint16_t v) { load(paddr, {uint8_t(v), uint8_t(v >> 8)}); }
  void poke32(uint32_t paddr, uint32_t v) {
    load(paddr, {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
  }
  uint8_t peek8(uint32_t paddr) { return uint8_t(m.memory().read(paddr, 1)); }
  uint16_t peek16(uint32_t paddr) { return uint16_t(m.memory().read(paddr, 2)); }
  uint32_t peek32(uint32_t paddr) { return m.memory().read(paddr, 4); }
  void set_vector(uint8_t v, uint16_t seg, uint16_t off) {
    poke16(uint32_t{v} * 4, off);
    poke16(uint32_t{v} * 4 + 2, seg);
  }
  // True if the CPU stopped in the HLT of `vector`'s default handler.
  bool stopped_in_handler(uint8_t vector) {
    return s().halted && s().seg[x86::kCs].selector == 0 && s().eip == kHandlerBase + vector + 1u;
  }
  core::StopReason run(uint64_t max = 100000) { return interp.run(max); }

  core::Machine m;
  core::Interpreter interp;
};

}  // namespace tx86::test
