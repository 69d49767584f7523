// Port 0xE9 debug console: output to a file backend, readback, flushing.
#include "devices/debugcon.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/machine.h"
#include "device_test_util.h"

using namespace tx86;
using devices::DebugCon;
using devices::testing::advance_ns;
using devices::testing::slurp;
using devices::testing::temp_path;
using devices::testing::Script;
using devices::testing::ScriptBackend;

namespace {

core::MachineConfig small_config() {
  core::MachineConfig c;
  c.ram_bytes = 1u << 20;
  return c;
}

void put(core::Machine& m, const std::string& s, uint16_t port = 0xE9) {
  for (char c : s) m.ports().write(port, static_cast<uint8_t>(c), 1);
}

}  // namespace

TEST_CASE("debugcon: bytes reach a file backend; reads return 0xE9", "[debugcon]") {
  const std::string path = temp_path("debugcon_file");
  {
    core::Machine m(small_config());
    auto& con = m.add_device<DebugCon>(devices::make_serial_backend("file:" + path));
    CHECK(con.name() == "debugcon@0xe9");
    put(m, "hello, ");
    put(m, "world\n");
    CHECK(m.ports().read(0xE9, 1) == 0xE9);
    CHECK(m.ports().read(0xE9, 2) == 0xFFE9);  // 0xEA is nobody's
    CHECK(con.bytes_written() == 13);
    CHECK(slurp(path) == "hello, world\n");  // a full line is flushed at once
    put(m, "tail");
  }
  CHECK(slurp(path) == "hello, world\ntail");  // the rest when the device goes
  std::remove(path.c_str());
}

TEST_CASE("debugcon: a partial line is flushed after a virtual millisecond", "[debugcon]") {
  core::Machine m(small_config());
  auto script = std::make_shared<Script>();
  m.add_device<DebugCon>(std::make_unique<ScriptBackend>(script, false));
  put(m, "prompt> ");
  CHECK(script->output == "prompt> ");
  CHECK(script->flushes == 0);
  advance_ns(m, DebugCon::kFlushDelayNs - 10);
  CHECK(script->flushes == 0);
  advance_ns(m, 10);
  CHECK(script->flushes == 1);
  advance_ns(m, 10 * DebugCon::kFlushDelayNs);
  CHECK(script->flushes == 1);  // nothing new, no new flush
}

TEST_CASE("debugcon: wide writes send the low byte; other port", "[debugcon]") {
  core::Machine m(small_config());
  auto script = std::make_shared<Script>();
  auto& con = m.add_device<DebugCon>(std::make_unique<ScriptBackend>(script, false), uint16_t{0x402});
  CHECK(con.name() == "debugcon@0x402");
  m.ports().write(0x402, 0x4241, 2);  // 0x403 unclaimed: only 'A' arrives
  CHECK(script->output == "A");
  CHECK(m.ports().read(0xE9, 1) == 0xFF);
  core::StateNode s;
  con.save(s);
  CHECK(s.get("bytes_written") == 1);
}
