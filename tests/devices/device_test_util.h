// Helpers shared by the device tests: a scripted serial backend and an
// interrupt controller that records the level of every IRQ line.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "core/machine.h"
#include "devices/serial_backend.h"

namespace tx86::devices::testing {

// Output and input live in a shared Script so a test can look at them after
// handing the backend to a device.
struct Script {
  std::string output;
  std::deque<uint8_t> input;
  int flushes = 0;
  int polls = 0;
};

class ScriptBackend final : public SerialBackend {
 public:
  explicit ScriptBackend(std::shared_ptr<Script> script, bool has_input = true)
      : script_(std::move(script)), has_input_(has_input) {}
  void write(uint8_t byte) override { script_->output.push_back(static_cast<char>(byte)); }
  void flush() override { ++script_->flushes; }
  bool has_input() const override { return has_input_; }
  std::optional<uint8_t> poll_input() override {
    ++script_->polls;
    if (script_->input.empty()) return std::nullopt;
    uint8_t b = script_->input.front();
    script_->input.pop_front();
    return b;
  }

 private:
  std::shared_ptr<Script> script_;
  bool has_input_;
};

class RecordingIntc final : public core::InterruptController {
 public:
  void set_irq(unsigned line, bool level) override {
    if (line < lines.size()) lines[line] = level;
    ++changes;
  }
  bool interrupt_pending() const override {
    for (bool l : lines)
      if (l) return true;
    return false;
  }
  uint8_t acknowledge() override {
    for (unsigned i = 0; i < lines.size(); ++i)
      if (lines[i]) return static_cast<uint8_t>(0x08 + i);
    return 0x0F;
  }
  std::array<bool, 16> lines{};
  int changes = 0;
};

// Advances virtual time by `ns` (rounded up to whole instructions) and runs
// the events that came due.
// A per-process scratch file name (under TX86_TEST_TMP if set).
inline std::string temp_path(const char* name) {
  const char* dir = std::getenv("TX86_TEST_TMP");
  return std::string(dir ? dir : "/tmp") + "/" + name + "." + std::to_string(::getpid());
}

// A whole file as bytes in a string.
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void advance_ns(core::Machine& m, uint64_t ns) {
  uint64_t target = m.clock().now_ns() + ns;
  m.clock().retire(m.clock().instructions_for_ns(target) - m.clock().retired());
  m.scheduler().run_due();
}

}  // namespace tx86::devices::testing
