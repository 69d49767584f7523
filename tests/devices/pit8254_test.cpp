// The 8254 timer through its ports, on the virtual clock.
#include "devices/pit8254.h"

#include <catch2/catch.hpp>

#include "core/machine.h"
#include "device_test_util.h"
#include "devices/pic8259.h"

using namespace tx86;
using devices::Pit8254;

namespace {

core::MachineConfig small_config() {
  core::MachineConfig c;
  c.ram_bytes = 1u << 20;
  c.instructions_per_second = 1'000'000'000;  // 1 ns per instruction: tick-exact steps
  return c;
}

// Counts IRQ0 rising edges.
class EdgeCounter final : public core::InterruptController {
 public:
  void set_irq(unsigned line, bool level) override {
    if (line == 0 && level && !level_) ++rising;
    if (line == 0) level_ = level;
  }
  bool interrupt_pending() const override { return false; }
  uint8_t acknowledge() override { return 0; }
  bool level() const { return level_; }
  int rising = 0;

 private:
  bool level_ = false;
};

struct Rig {
  Rig() : machine(small_config()) {
    machine.set_interrupt_controller(&edges);
    pit = &machine.add_device<Pit8254>();
  }
  void out(uint16_t port, uint8_t v) { machine.ports().write(port, v, 1); }
  unsigned in(uint16_t port) { return machine.ports().read(port, 1); }
  // Moves virtual time to the given 1.193182 MHz tick and runs due events.
  void to_tick(uint64_t tick) {
    const uint64_t ns = Pit8254::ns_of_tick(tick);
    REQUIRE(ns >= machine.clock().now_ns());
    machine.clock().retire(ns - machine.clock().now_ns());
    machine.scheduler().run_due();
  }
  uint64_t tick() { return Pit8254::tick_at(machine.clock().now_ns()); }
  void program(int c, uint8_t mode, uint16_t count, bool bcd = false) {
    out(0x43, static_cast<uint8_t>((c << 6) | 0x30 | (mode << 1) | (bcd ? 1 : 0)));
    out(static_cast<uint16_t>(0x40 + c), count & 0xFF);
    out(static_cast<uint16_t>(0x40 + c), count >> 8);
  }
  unsigned read_count(int c) {
    out(0x43, static_cast<uint8_t>(c << 6));  // counter latch
    unsigned lo = in(static_cast<uint16_t>(0x40 + c));
    return lo | (in(static_cast<uint16_t>(0x40 + c)) << 8);
  }
  bool out2() { return (in(0x61) & 0x20) != 0; }

  EdgeCounter edges;
  core::Machine machine;
  Pit8254* pit = nullptr;
};

}  // namespace

TEST_CASE("pit: tick conversions are exact inverses", "[pit8254]") {
  for (uint64_t t : {0ull, 1ull, 2ull, 1193ull, 1193181ull, 1193182ull, 123456789ull}) {
    CHECK(Pit8254::tick_at(Pit8254::ns_of_tick(t)) == t);
    CHECK(Pit8254::tick_at(Pit8254::ns_of_tick(t) - (t ? 1 : 0)) == (t ? t - 1 : 0));
  }
}

TEST_CASE("pit: mode 2 on counter 0 gives a 1 kHz IRQ0", "[pit8254]") {
  Rig r;
  r.program(0, 2, 1193);
  CHECK(r.edges.level());  // the control word sets OUT high in mode 2
  const int before = r.edges.rising;
  r.to_tick(Pit8254::kClockHz);
  // Rising edges at tick 1 + 1193k: 1000 of them in the first second.
  CHECK(r.edges.rising - before == 1000);
  // OUT is low for exactly the one tick with count 1.
  const uint64_t period_start = 1 + 1193 * 1001;
  r.to_tick(period_start - 2);
  CHECK(r.pit->out(0));
  r.to_tick(period_start - 1);
  CHECK_FALSE(r.pit->out(0));
  CHECK(r.read_count(0) == 1);
  r.to_tick(period_start);
  CHECK(r.pit->out(0));
  CHECK(r.read_count(0) == 1193);
}

TEST_CASE("pit: mode 3 square wave, even and odd counts", "[pit8254]") {
  Rig r;
  r.out(0x61, 0x01);  // gate 2 on
  r.program(2, 3, 4);
  const uint64_t start = r.tick() + 1;
  std::string wave;
  for (uint64_t t = start; t < start + 8; ++t) {
    r.to_tick(t);
    wave += r.out2() ? 'H' : 'L';
  }
  CHECK(wave == "HHLLHHLL");
  r.program(2, 3, 5);
  r.out(0x61, 0x00);  // restart on a known tick: gate low, then high
  r.out(0x61, 0x01);
  const uint64_t start5 = r.tick() + 1;
  wave.clear();
  for (uint64_t t = start5; t < start5 + 10; ++t) {
    r.to_tick(t);
    wave += r.out2() ? 'H' : 'L';
  }
  CHECK(wave == "HHHLLHHHLL");
}

TEST_CASE("pit: mode 3 counts down by two", "[pit8254]") {
  Rig r;
  r.program(0, 3, 10);
  const uint64_t start = r.tick() + 1;
  r.to_tick(start);
  CHECK(r.read_count(0) == 10);
  r.to_tick(start + 1);
  CHECK(r.read_count(0) == 8);
  r.to_tick(start + 4);
  CHECK(r.read_count(0) == 2);
  r.to_tick(start + 5);  // low half: reloaded
  CHECK(r.read_count(0) == 10);
  CHECK_FALSE(r.pit->out(0));
}

TEST_CASE("pit: mode 0 interrupts once on terminal count", "[pit8254]") {
  Rig r;
  r.program(0, 0, 100);
  CHECK_FALSE(r.edges.level());
  const uint64_t load = r.tick() + 1;
  r.to_tick(load + 50);
  CHECK(r.read_count(0) == 50);
  CHECK_FALSE(r.edges.level());
  r.to_tick(load + 99);
  CHECK_FALSE(r.edges.level());
  r.to_tick(load + 100);
  CHECK(r.edges.level());
  CHECK(r.edges.rising == 1);
  r.to_tick(load + 100 + 70000);  // wraps, OUT stays high
  CHECK(r.edges.rising == 1);
  CHECK(r.read_count(0) == (100 + 65536 - 70100 % 65536) % 65536);
  // The first byte of a new count drops OUT and stops the counter.
  r.out(0x40, 0x10);
  CHECK_FALSE(r.edges.level());
  r.out(0x40, 0x00);
  const uint64_t load2 = r.tick() + 1;
  r.to_tick(load2 + 16);
  CHECK(r.edges.level());
  CHECK(r.edges.rising == 2);
}

TEST_CASE("pit: counter latch holds the value until read", "[pit8254]") {
  Rig r;
  r.program(1, 2, 1000);
  const uint64_t load = r.tick() + 1;
  r.to_tick(load + 100);
  r.out(0x43, 0x40);  // latch counter 1
  r.to_tick(load + 300);
  r.out(0x43, 0x40);  // ignored: already latched
  CHECK(r.in(0x41) == (900 & 0xFF));
  CHECK(r.in(0x41) == (900 >> 8));
  CHECK(r.read_count(1) == 700);  // live again
}

TEST_CASE("pit: LSB-only and MSB-only access", "[pit8254]") {
  Rig r;
  r.out(0x43, 0x54);  // counter 1, LSB only, mode 2
  r.out(0x41, 20);
  const uint64_t load = r.tick() + 1;
  r.to_tick(load + 5);
  CHECK(r.in(0x41) == 15);
  CHECK(r.in(0x41) == 15);
  r.out(0x43, 0x64);  // counter 1, MSB only, mode 2
  r.out(0x41, 0x02);  // count 0x200
  const uint64_t load2 = r.tick() + 1;
  r.to_tick(load2 + 0x100);
  CHECK(r.in(0x41) == 0x01);
}

TEST_CASE("pit: BCD counting", "[pit8254]") {
  Rig r;
  r.program(1, 2, 0x0100, true);  // 100 decimal
  const uint64_t load = r.tick() + 1;
  r.to_tick(load + 1);
  CHECK(r.read_count(1) == 0x0099);
  r.to_tick(load + 100);
  CHECK(r.read_count(1) == 0x0100);
  r.program(1, 0, 0x0000, true);  // 0 = 10000 in BCD
  const uint64_t load2 = r.tick() + 1;
  r.to_tick(load2 + 1);
  CHECK(r.read_count(1) == 0x9999);
}

TEST_CASE("pit: read-back status and null count", "[pit8254]") {
  Rig r;
  r.out(0x43, 0xB4);  // counter 2, LSB/MSB, mode 2, binary
  r.out(0x42, 0x00);
  r.out(0x42, 0x01);
  r.out(0x43, 0xE8);  // read-back status of counter 2
  unsigned status = r.in(0x42);
  CHECK((status & 0x3F) == 0x34);
  CHECK((status & 0x40) == 0x40);  // gate 2 is low: not loaded yet
  r.out(0x61, 0x01);
  r.to_tick(r.tick() + 2);
  r.out(0x43, 0xC8);  // read-back count and status of counter 2
  status = r.in(0x42);
  CHECK((status & 0x40) == 0);     // loaded
  CHECK((status & 0x80) == 0x80);  // OUT high
  unsigned lo = r.in(0x42);
  unsigned hi = r.in(0x42);
  CHECK((lo | (hi << 8)) == 0x100 - 1);
}

TEST_CASE("pit: gate 2 from port 0x61", "[pit8254]") {
  Rig r;
  CHECK((r.in(0x61) & 0x0F) == 0);
  r.out(0x61, 0x03);
  CHECK((r.in(0x61) & 0x0F) == 0x03);

  SECTION("mode 1: a rising gate fires a one-shot") {
    r.out(0x61, 0x00);
    r.program(2, 1, 10);
    CHECK(r.out2());  // waiting for the trigger
    r.to_tick(r.tick() + 50);
    CHECK(r.out2());
    r.out(0x61, 0x01);
    const uint64_t trigger = r.tick();
    r.to_tick(trigger + 1);
    CHECK_FALSE(r.out2());
    r.to_tick(trigger + 10);
    CHECK_FALSE(r.out2());
    r.to_tick(trigger + 11);
    CHECK(r.out2());
    r.out(0x61, 0x00);  // retrigger
    r.out(0x61, 0x01);
    r.to_tick(r.tick() + 1);
    CHECK_FALSE(r.out2());
  }
  SECTION("mode 2: gate low stops the count and holds OUT high") {
    r.program(2, 2, 3);
    const uint64_t load = r.tick() + 1;
    r.to_tick(load + 2);
    CHECK_FALSE(r.out2());
    r.out(0x61, 0x00);
    CHECK(r.out2());
    r.to_tick(load + 100);
    CHECK(r.out2());
    CHECK(r.read_count(2) == 1);
    r.out(0x61, 0x01);  // reload on the next CLK
    const uint64_t reload = r.tick() + 1;
    r.to_tick(reload);
    CHECK(r.read_count(2) == 3);
  }
  SECTION("mode 0: gate low pauses the count") {
    r.program(2, 0, 50);
    const uint64_t load = r.tick() + 1;
    r.to_tick(load + 10);
    r.out(0x61, 0x00);
    r.to_tick(load + 500);
    CHECK(r.read_count(2) == 40);
    CHECK_FALSE(r.out2());
    r.out(0x61, 0x01);
    const uint64_t resume = r.tick();
    r.to_tick(resume + 39);
    CHECK_FALSE(r.out2());
    r.to_tick(resume + 40);
    CHECK(r.out2());
  }
}

TEST_CASE("pit: mode 4 and mode 5 strobes", "[pit8254]") {
  Rig r;
  r.program(0, 4, 20);
  const int before = r.edges.rising;
  const uint64_t load = r.tick() + 1;
  r.to_tick(load + 19);
  CHECK(r.edges.level());
  r.to_tick(load + 20);
  CHECK_FALSE(r.edges.level());
  r.to_tick(load + 21);
  CHECK(r.edges.level());
  r.to_tick(load + 20 + 3 * 65536);
  CHECK(r.edges.rising - before == 1);  // one strobe only

  r.out(0x61, 0x00);
  r.program(2, 5, 5);
  r.to_tick(r.tick() + 20);
  CHECK(r.out2());  // no trigger yet
  r.out(0x61, 0x01);
  const uint64_t trigger = r.tick();
  r.to_tick(trigger + 5);
  CHECK(r.out2());
  r.to_tick(trigger + 6);
  CHECK_FALSE(r.out2());
  r.to_tick(trigger + 7);
  CHECK(r.out2());
}

TEST_CASE("pit: a new mode 2 count waits for the end of the period", "[pit8254]") {
  Rig r;
  r.program(0, 2, 100);
  const uint64_t load = r.tick() + 1;
  r.to_tick(load + 30);
  r.out(0x40, 10);
  r.out(0x40, 0);
  r.out(0x43, 0xE2);  // status of counter 0: the new count is not loaded yet
  CHECK((r.in(0x40) & 0x40) == 0x40);
  r.to_tick(load + 99);
  CHECK_FALSE(r.pit->out(0));  // the old period ends as before
  r.to_tick(load + 100);
  CHECK(r.read_count(0) == 10);
  r.to_tick(load + 109);
  CHECK_FALSE(r.pit->out(0));
  r.to_tick(load + 110);
  CHECK(r.edges.rising == 3);  // control word, end of the old period, first new one
}

TEST_CASE("pit: refresh toggle on port 0x61 bit 4", "[pit8254]") {
  Rig r;
  const unsigned a = r.in(0x61) & 0x10;
  r.machine.clock().retire(15'085);
  const unsigned b = r.in(0x61) & 0x10;
  CHECK(a != b);
}

TEST_CASE("pit: save/load keeps counting identically", "[pit8254]") {
  Rig a;
  a.program(0, 2, 777);
  a.out(0x61, 0x01);
  a.program(2, 3, 31);
  a.program(1, 0, 5000);
  a.to_tick(a.tick() + 1234);
  a.out(0x40, 0x55);  // a pending new count for counter 0
  a.out(0x40, 0x01);
  a.out(0x43, 0x80);  // latch counter 2
  core::StateNode s;
  a.pit->save(s);
  core::StateNode clock;
  a.machine.clock().save(clock);

  Rig b;
  b.machine.clock().load(clock);
  b.pit->load(core::StateNode::parse(s.serialize()));
  core::StateNode again;
  b.pit->save(again);
  CHECK(again == s);
  const int rising_a = a.edges.rising;
  const int rising_b = b.edges.rising;  // loading may itself raise the line
  for (int i = 0; i < 50; ++i) {
    const uint64_t t = a.tick() + 97;
    a.to_tick(t);
    b.to_tick(t);
    CHECK(a.read_count(0) == b.read_count(0));
    CHECK(a.in(0x42) == b.in(0x42));
    CHECK(a.out2() == b.out2());
    CHECK(a.read_count(1) == b.read_count(1));
  }
  CHECK(a.edges.rising - rising_a == b.edges.rising - rising_b);
  CHECK(a.edges.rising - rising_a > 5);
}

TEST_CASE("pit: IRQ0 through the PIC", "[pit8254]") {
  core::Machine m(small_config());
  auto& pic = m.add_device<devices::Pic8259>();
  m.add_device<Pit8254>();
  for (auto [port, v] : {std::pair{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}})
    m.ports().write(static_cast<uint16_t>(port), static_cast<uint8_t>(v), 1);
  m.ports().write(0x43, 0x34, 1);
  m.ports().write(0x40, 0x00, 1);
  m.ports().write(0x40, 0x00, 1);  // 65536: the BIOS's 18.2 Hz
  int interrupts = 0;
  for (int step = 0; step < 2000; ++step) {
    m.clock().retire(1'000'000);  // 1 ms
    m.scheduler().run_due();
    if (pic.interrupt_pending()) {
      CHECK(pic.acknowledge() == 0x08);
      m.ports().write(0x20, 0x20, 1);
      ++interrupts;
    }
  }
  // The control word raises OUT0 at once (one interrupt), then 36 periods of
  // 65536 ticks fit in 2 s.
  CHECK(interrupts == 37);
}
