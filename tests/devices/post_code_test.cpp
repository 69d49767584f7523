// Port 0x80 POST-code latch.
#include "devices/post_code.h"

#include <catch2/catch.hpp>

#include "core/machine.h"

using namespace tx86;
using devices::PostCode;

TEST_CASE("post code: latches the last byte and counts writes", "[post_code]") {
  core::MachineConfig c;
  c.ram_bytes = 1u << 20;
  core::Machine m(c);
  auto& post = m.add_device<PostCode>();
  CHECK(post.name() == "post_code@0x80");
  CHECK(post.writes() == 0);
  m.ports().write(0x80, 0x12, 1);
  m.ports().write(0x80, 0xAA, 1);
  CHECK(post.last() == 0xAA);
  CHECK(post.writes() == 2);
  CHECK(m.ports().read(0x80, 1) == 0xAA);
  m.ports().write(0x80, 0x3355, 2);  // 0x81 is nobody's: only the low byte lands
  CHECK(post.last() == 0x55);
  CHECK(post.writes() == 3);
  CHECK(m.ports().read(0x80, 2) == 0xFF55);

  m.reset();  // no reset input on the latch
  CHECK(post.last() == 0x55);
  CHECK(post.writes() == 3);

  core::StateNode s;
  post.save(s);
  core::Machine m2(c);
  auto& post2 = m2.add_device<PostCode>();
  post2.load(core::StateNode::parse(s.serialize()));
  CHECK(post2.last() == 0x55);
  CHECK(post2.writes() == 3);
  CHECK(m2.ports().read(0x80, 1) == 0x55);

  s.put("last", 0x155);
  CHECK_THROWS_AS(post2.load(s), core::StateError);
}
