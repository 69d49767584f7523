// QEMU-compatible isa-debug-exit.
#include "devices/debug_exit.h"

#include <catch2/catch.hpp>

#include "core/machine.h"

using namespace tx86;
using devices::DebugExit;

namespace {
core::MachineConfig small_config() {
  core::MachineConfig c;
  c.ram_bytes = 1u << 20;
  return c;
}
}  // namespace

TEST_CASE("debug exit: a byte V exits with (V << 1) | 1", "[debug_exit]") {
  core::Machine m(small_config());
  auto& dev = m.add_device<DebugExit>();
  CHECK(dev.name() == "debug_exit@0xf4");
  CHECK_FALSE(m.stop_requested());
  CHECK(m.ports().read(0xF4, 1) == 0);  // QEMU's reads return 0
  CHECK_FALSE(m.stop_requested());
  m.ports().write(0xF4, 0x10, 1);
  CHECK(m.stop_requested());
  CHECK(m.exit_status() == 0x21);
  m.clear_stop();
  m.ports().write(0xF4, 0, 1);
  CHECK(m.exit_status() == 1);  // the guest cannot produce status 0
  m.clear_stop();
  m.ports().write(0xF4, 0x0201, 2);  // 1-port range: the bus delivers the low byte
  CHECK(m.exit_status() == 3);
  m.clear_stop();
  m.ports().write(0xF5, 0x55, 1);  // outside the range
  CHECK_FALSE(m.stop_requested());
}

TEST_CASE("debug exit: a 4-port range takes the whole value", "[debug_exit]") {
  core::Machine m(small_config());
  m.add_device<DebugExit>(uint16_t{0x501}, 4u);
  m.ports().write(0x501, 0x12345678, 4);
  CHECK(m.stop_requested());
  CHECK(m.exit_status() == static_cast<int>(0x2468ACF1u));
  CHECK((m.exit_status() & 0xFF) == 0xF1);  // what the host process would see
  m.clear_stop();
  m.ports().write(0x503, 0x07, 1);  // any offset in the range
  CHECK(m.exit_status() == 0x0F);
  CHECK(m.ports().read(0x501, 4) == 0);
}

TEST_CASE("debug exit: range size is checked", "[debug_exit]") {
  core::Machine m(small_config());
  CHECK_THROWS_AS(m.add_device<DebugExit>(uint16_t{0xF4}, 0u), std::invalid_argument);
  CHECK_THROWS_AS(m.add_device<DebugExit>(uint16_t{0xF4}, 5u), std::invalid_argument);
}
