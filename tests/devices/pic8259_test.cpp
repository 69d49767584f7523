// The 8259A pair through its ports and the InterruptController interface.
#include "devices/pic8259.h"

#include <catch2/catch.hpp>

#include "core/machine.h"
#include "devices/uart16550.h"

using namespace tx86;
using devices::Pic8259;

namespace {

core::MachineConfig small_config() {
  core::MachineConfig c;
  c.ram_bytes = 1u << 20;
  return c;
}

struct Rig {
  explicit Rig(uint8_t master_icw4 = 0x01, uint8_t icw1 = 0x11) : machine(small_config()) {
    pic = &machine.add_device<Pic8259>();
    // What an AT BIOS writes.
    out(0x20, icw1);
    out(0x21, 0x08);
    out(0x21, 0x04);
    out(0x21, master_icw4);
    out(0xA0, icw1);
    out(0xA1, 0x70);
    out(0xA1, 0x02);
    out(0xA1, 0x01);
  }
  void out(uint16_t port, uint8_t v) { machine.ports().write(port, v, 1); }
  unsigned in(uint16_t port) { return machine.ports().read(port, 1); }
  void irq(unsigned line, bool level) { machine.irq_line(line).set(level); }
  // A pulse: what an edge-triggered ISA device gives.
  void pulse(unsigned line) {
    pic->set_irq(line, true);
    pic->set_irq(line, false);
    pic->set_irq(line, true);
  }
  void eoi_master() { out(0x20, 0x20); }
  void eoi_slave() { out(0xA0, 0x20); }
  bool pending() const { return pic->interrupt_pending(); }
  unsigned ack() { return pic->acknowledge(); }

  core::Machine machine;
  Pic8259* pic = nullptr;
};

}  // namespace

TEST_CASE("pic: installs itself as the interrupt controller", "[pic8259]") {
  core::Machine m(small_config());
  {
    auto& pic = m.add_device<Pic8259>();
    CHECK(m.interrupt_controller() == &pic);
  }
}

TEST_CASE("pic: request, acknowledge, EOI", "[pic8259]") {
  Rig r;
  CHECK_FALSE(r.pending());
  r.pic->set_irq(0, true);
  CHECK(r.pending());
  CHECK(r.ack() == 0x08);
  CHECK(r.pic->isr(0) == 0x01);
  CHECK(r.pic->irr(0) == 0x00);
  CHECK_FALSE(r.pending());  // line still high, but an edge is needed
  r.pic->set_irq(1, true);   // lower priority than IR0 in service
  CHECK_FALSE(r.pending());
  r.eoi_master();
  CHECK(r.pic->isr(0) == 0x00);
  CHECK(r.pending());
  CHECK(r.ack() == 0x09);
}

TEST_CASE("pic: fixed priority and nesting", "[pic8259]") {
  Rig r;
  r.pic->set_irq(3, true);
  r.pic->set_irq(1, true);
  CHECK(r.ack() == 0x09);  // IR1 before IR3
  CHECK_FALSE(r.pending());  // IR3 is lower than IR1 in service: it waits
  r.eoi_master();
  CHECK(r.ack() == 0x0B);
}

TEST_CASE("pic: a lower request waits, a higher one nests", "[pic8259]") {
  Rig r;
  r.pic->set_irq(3, true);
  CHECK(r.ack() == 0x0B);
  r.pic->set_irq(5, true);
  CHECK_FALSE(r.pending());
  r.pic->set_irq(1, true);
  CHECK(r.pending());
  CHECK(r.ack() == 0x09);
  CHECK(r.pic->isr(0) == 0x0A);
  r.eoi_master();  // non-specific: clears the highest, IR1
  CHECK(r.pic->isr(0) == 0x08);
  CHECK_FALSE(r.pending());
  r.eoi_master();
  CHECK(r.ack() == 0x0D);
}

TEST_CASE("pic: masks (OCW1)", "[pic8259]") {
  Rig r;
  r.out(0x21, 0x02);
  CHECK(r.in(0x21) == 0x02);
  r.pic->set_irq(1, true);
  CHECK_FALSE(r.pending());
  CHECK(r.pic->irr(0) == 0x02);  // requested, just masked
  r.out(0x21, 0x00);
  CHECK(r.ack() == 0x09);
}

TEST_CASE("pic: slave cascade on IR2", "[pic8259]") {
  Rig r;
  r.pic->set_irq(12, true);
  CHECK(r.pic->irr(1) == 0x10);
  CHECK(r.pending());
  CHECK(r.ack() == 0x74);
  CHECK(r.pic->isr(0) == 0x04);
  CHECK(r.pic->isr(1) == 0x10);
  r.pic->set_irq(9, true);  // higher than IR4 on the slave, but master IR2 is in service
  CHECK_FALSE(r.pending());
  r.eoi_slave();
  r.eoi_master();
  CHECK(r.pending());
  CHECK(r.ack() == 0x71);
  r.pic->set_irq(2, true);  // the ISA IRQ2 pin is IRQ9 on the AT: already high
  CHECK(r.pic->irr(1) == 0x00);
}

TEST_CASE("pic: special fully nested mode lets a higher slave request through", "[pic8259]") {
  Rig r(0x11);  // master ICW4: SFNM | 8086
  r.pic->set_irq(12, true);
  CHECK(r.ack() == 0x74);
  r.pic->set_irq(14, true);  // lower on the slave: still blocked there
  CHECK_FALSE(r.pending());
  r.pic->set_irq(9, true);
  CHECK(r.pending());
  CHECK(r.ack() == 0x71);
  CHECK(r.pic->isr(1) == 0x12);
  r.pic->set_irq(3, true);  // a lower master IR is still blocked by IR2
  CHECK_FALSE(r.pending());
}

TEST_CASE("pic: a request withdrawn before INTA gives spurious IRQ7", "[pic8259]") {
  Rig r;
  r.pic->set_irq(3, true);
  CHECK(r.pending());
  r.pic->set_irq(3, false);
  CHECK_FALSE(r.pending());
  CHECK(r.ack() == 0x0F);
  CHECK(r.pic->isr(0) == 0x00);  // no ISR bit for a spurious interrupt
}

TEST_CASE("pic: level-triggered lines through the ELCR", "[pic8259]") {
  Rig r;
  r.out(0x4D0, 0xFF);
  r.out(0x4D1, 0xFF);
  CHECK(r.in(0x4D0) == 0xF8);  // IRQ0-2 cannot be level
  CHECK(r.in(0x4D1) == 0xDE);  // nor IRQ8, IRQ13
  r.out(0x4D1, 0x04);          // IRQ10 level
  r.pic->set_irq(10, true);
  CHECK(r.ack() == 0x72);
  r.eoi_slave();
  r.eoi_master();
  CHECK(r.pending());  // still high: requests again
  CHECK(r.ack() == 0x72);
  r.eoi_slave();
  r.eoi_master();
  r.pic->set_irq(10, false);
  CHECK_FALSE(r.pending());
  // The same on an edge line: one interrupt per rising edge.
  r.pic->set_irq(11, true);
  CHECK(r.ack() == 0x73);
  r.eoi_slave();
  r.eoi_master();
  CHECK_FALSE(r.pending());
}

TEST_CASE("pic: ICW1.LTIM makes the whole chip level-triggered", "[pic8259]") {
  Rig r(0x01, 0x19);
  r.pic->set_irq(4, true);
  CHECK(r.ack() == 0x0C);
  r.eoi_master();
  CHECK(r.ack() == 0x0C);
}

TEST_CASE("pic: automatic EOI and rotation in AEOI mode", "[pic8259]") {
  Rig r(0x03);  // AEOI
  r.pic->set_irq(3, true);
  CHECK(r.ack() == 0x0B);
  CHECK(r.pic->isr(0) == 0);
  r.pic->set_irq(5, true);
  CHECK(r.ack() == 0x0D);  // nothing in service blocks it
  r.out(0x20, 0x80);       // rotate in AEOI mode
  r.pulse(5);
  CHECK(r.ack() == 0x0D);  // IR5 is now the lowest
  r.pulse(5);
  r.pic->set_irq(7, true);
  CHECK(r.ack() == 0x0F);  // IR7 (priority 1) before IR5 (priority 7)
  r.out(0x20, 0x00);       // rotation off
}

TEST_CASE("pic: rotation on EOI and set priority (OCW2)", "[pic8259]") {
  Rig r;
  r.pic->set_irq(0, true);
  CHECK(r.ack() == 0x08);
  r.out(0x20, 0xA0);  // rotate on non-specific EOI: IR0 becomes lowest
  CHECK(r.pic->isr(0) == 0);
  r.pic->set_irq(0, false);
  r.pic->set_irq(0, true);
  r.pic->set_irq(5, true);
  CHECK(r.ack() == 0x0D);
  r.out(0x20, 0xE5);  // rotate on specific EOI 5: IR6 highest now
  r.pic->set_irq(6, true);
  CHECK(r.ack() == 0x0E);
  r.out(0x20, 0x66);  // specific EOI 6
  CHECK(r.pic->isr(0) == 0);
  r.out(0x20, 0xC3);  // set priority: IR3 lowest, IR4 highest
  r.pic->set_irq(3, true);
  r.pic->set_irq(4, true);
  CHECK(r.ack() == 0x0C);  // IR4
  r.out(0x20, 0x64);
  CHECK(r.ack() == 0x08);  // IR0 (priority 4) before IR3 (priority 7)
}

TEST_CASE("pic: special mask mode", "[pic8259]") {
  Rig r;
  r.pic->set_irq(3, true);
  CHECK(r.ack() == 0x0B);
  r.out(0x21, 0x08);  // mask IR3 (in service)
  r.pic->set_irq(5, true);
  CHECK_FALSE(r.pending());  // normal mode: ISR3 still blocks lower levels
  r.out(0x20, 0x68);         // OCW3: set special mask
  CHECK(r.pending());
  CHECK(r.ack() == 0x0D);
  r.out(0x20, 0x48);  // reset special mask
  r.out(0x20, 0x65);  // specific EOI 5
  CHECK(r.pic->isr(0) == 0x08);
}

TEST_CASE("pic: IRR/ISR reads and the poll command (OCW3)", "[pic8259]") {
  Rig r;
  r.pic->set_irq(6, true);
  CHECK(r.in(0x20) == 0x40);  // IRR selected after init
  r.out(0x20, 0x0B);
  CHECK(r.in(0x20) == 0x00);  // ISR
  r.out(0x20, 0x0C);          // poll
  CHECK(r.in(0x20) == 0x86);
  CHECK(r.in(0x20) == 0x40);  // back to ISR reads; the poll took IR6
  r.out(0x20, 0x0A);
  CHECK(r.in(0x20) == 0x00);  // IRR
  r.out(0x20, 0x0C);
  CHECK(r.in(0x20) == 0x00);  // nothing pending: bit 7 clear
}

TEST_CASE("pic: ICW1 clears masks and the edge-sense latches", "[pic8259]") {
  Rig r;
  r.out(0x21, 0xFF);
  r.pic->set_irq(1, true);
  r.out(0x20, 0x11);
  r.out(0x21, 0x20);
  r.out(0x21, 0x04);
  r.out(0x21, 0x01);
  CHECK(r.in(0x21) == 0x00);
  CHECK_FALSE(r.pending());  // IR1 is high but needs a new edge
  r.pulse(1);
  CHECK(r.ack() == 0x21);  // new vector base
}

TEST_CASE("pic: a missing ICW4 is logged once", "[pic8259]") {
  core::Machine m(small_config());
  m.set_log_quiet(true);
  m.add_device<Pic8259>();
  m.ports().write(0x20, 0x10, 1);  // no IC4
  m.ports().write(0x21, 0x08, 1);
  m.ports().write(0x21, 0x04, 1);
  REQUIRE(m.logged().size() == 1);
  CHECK(m.logged()[0] == "pic8259-mcs80");
}

TEST_CASE("pic: save/load round trip", "[pic8259]") {
  Rig a(0x11);
  a.out(0x4D1, 0x08);  // IRQ11 level
  a.pic->set_irq(12, true);
  a.ack();
  a.pic->set_irq(11, true);
  a.pic->set_irq(5, true);
  a.out(0x21, 0x40);
  a.out(0x20, 0xC2);
  a.out(0xA0, 0x0B);
  core::StateNode s;
  a.pic->save(s);
  Rig b;
  b.pic->load(core::StateNode::parse(s.serialize()));
  core::StateNode again;
  b.pic->save(again);
  CHECK(again == s);
  for (int i = 0; i < 6; ++i) {
    CHECK(a.pending() == b.pending());
    CHECK(a.in(0xA0) == b.in(0xA0));
    CHECK(a.in(0x20) == b.in(0x20));
    if (a.pending()) CHECK(a.ack() == b.ack());
    a.eoi_slave();
    b.eoi_slave();
    a.eoi_master();
    b.eoi_master();
  }
  s.child("master").put("init_step", 1);
  CHECK_THROWS_AS(b.pic->load(s), core::StateError);
}

TEST_CASE("pic: a UART interrupt arrives as vector 0Ch", "[pic8259]") {
  Rig r;
  auto& uart = r.machine.add_device<devices::Uart16550>(uint16_t{0x3F8}, 4u, devices::make_serial_backend("none"));
  r.out(0x3FC, 0x08);  // OUT2
  r.out(0x3F9, 0x02);  // THRE interrupt: THR is empty, so at once
  CHECK(uart.irq_level());
  CHECK(r.pending());
  CHECK(r.ack() == 0x0C);
  r.in(0x3FA);  // IIR read clears THRE
  CHECK_FALSE(uart.irq_level());
  r.eoi_master();
  CHECK_FALSE(r.pending());
}
