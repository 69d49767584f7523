// The 16550A driven through the port bus: register semantics, FIFOs,
// interrupt identification, loopback, timing on the virtual clock, save/load.
#include "devices/uart16550.h"

#include <catch2/catch.hpp>

#include "core/machine.h"
#include "device_test_util.h"

using namespace tx86;
using devices::Uart16550;
using devices::testing::advance_ns;
using devices::testing::RecordingIntc;
using devices::testing::Script;
using devices::testing::ScriptBackend;

namespace {

constexpr uint16_t kBase = 0x3F8;
constexpr unsigned kIrq = 4;
enum : unsigned { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

core::MachineConfig small_config() {
  core::MachineConfig c;
  c.ram_bytes = 1u << 20;
  return c;
}

struct Rig {
  explicit Rig(bool backend_has_input = true) : machine(small_config()) {
    machine.set_interrupt_controller(&intc);
    uart = &machine.add_device<Uart16550>(kBase, kIrq, std::make_unique<ScriptBackend>(script, backend_has_input));
  }
  unsigned in(unsigned reg) { return machine.ports().read(kBase + reg, 1); }
  void out(unsigned reg, uint8_t v) { machine.ports().write(kBase + reg, v, 1); }
  void set_divisor(uint16_t d) {
    uint8_t lcr = in(LCR);
    out(LCR, lcr | 0x80);
    out(DLL, d & 0xFF);
    out(DLM, d >> 8);
    out(LCR, lcr);
  }
  // 115200 baud, 8N1: the fastest frame, 86806 ns.
  void fast_8n1() {
    out(LCR, 0x03);
    set_divisor(1);
  }
  void frames(uint64_t n) { advance_ns(machine, n * uart->frame_time_ns()); }
  bool irq() const { return intc.lines[kIrq]; }

  std::shared_ptr<Script> script = std::make_shared<Script>();
  RecordingIntc intc;
  core::Machine machine;
  Uart16550* uart = nullptr;
};

}  // namespace

TEST_CASE("uart: power-on register values and name", "[uart16550]") {
  Rig r;
  CHECK(r.uart->name() == "uart16550@0x3f8");
  CHECK(r.in(IER) == 0x00);
  CHECK(r.in(IIR) == 0x01);
  CHECK(r.in(LCR) == 0x00);
  CHECK(r.in(MCR) == 0x00);
  CHECK(r.in(LSR) == 0x60);  // THRE | TEMT
  CHECK(r.in(MSR) == 0xB0);  // null-modem peer: DCD, DSR, CTS
  CHECK_FALSE(r.irq());
}

TEST_CASE("uart: scratch register and divisor latch", "[uart16550]") {
  Rig r;
  r.out(SCR, 0x5A);
  CHECK(r.in(SCR) == 0x5A);
  r.out(LCR, 0x83);  // DLAB
  r.out(DLL, 0x34);
  r.out(DLM, 0x12);
  CHECK(r.in(DLL) == 0x34);
  CHECK(r.in(DLM) == 0x12);
  r.out(LCR, 0x03);
  r.out(IER, 0x0F);
  CHECK(r.in(IER) == 0x0F);  // DLAB off: offset 1 is IER again
  r.out(IER, 0xFF);
  CHECK(r.in(IER) == 0x0F);  // bits 4-7 are always 0
  r.out(LCR, 0x83);
  CHECK(r.in(DLL) == 0x34);  // writes to IER did not touch the latch
  CHECK(r.in(DLM) == 0x12);
}

TEST_CASE("uart: frame time follows divisor and frame format", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  CHECK(r.uart->frame_time_ns() == 86806);  // 10 bits at 115200
  r.set_divisor(12);
  CHECK(r.uart->frame_time_ns() == 1041667);  // 10 bits at 9600
  r.out(LCR, 0x1A);                          // 7 data, even parity, 1 stop
  CHECK(r.uart->frame_time_ns() == 1041667);  // still 10 bits
  r.out(LCR, 0x0F);                          // 8 data, parity, 2 stop: 12 bits
  CHECK(r.uart->frame_time_ns() == 1250000);
  r.out(LCR, 0x04);  // 5 data, 1.5 stop: 7.5 bits
  CHECK(r.uart->frame_time_ns() == 781250);
}

TEST_CASE("uart: THRE and TEMT follow the transmitter on the virtual clock", "[uart16550]") {
  Rig r(false);
  r.fast_8n1();
  const uint64_t frame = r.uart->frame_time_ns();
  r.out(THR, 'A');
  // Moved to the shift register at once: THR empty, transmitter busy.
  CHECK(r.in(LSR) == 0x20);
  r.out(THR, 'B');
  CHECK(r.in(LSR) == 0x00);
  advance_ns(r.machine, frame - 10);
  CHECK(r.script->output.empty());
  CHECK(r.in(LSR) == 0x00);
  advance_ns(r.machine, 10);
  CHECK(r.script->output == "A");
  CHECK(r.in(LSR) == 0x20);  // 'B' now shifting
  advance_ns(r.machine, frame);
  CHECK(r.script->output == "AB");
  CHECK(r.in(LSR) == 0x60);
  CHECK(r.uart->bytes_transmitted() == 2);
  CHECK(r.script->flushes >= 1);  // idle transmitter flushes the backend
}

TEST_CASE("uart: a polling guest sees deterministic timing", "[uart16550]") {
  // Count LSR polls (one instruction each) needed to send a string: the same
  // every time, and matching the frame time.
  auto run = [] {
    Rig r(false);
    r.fast_8n1();
    uint64_t polls = 0;
    for (char c : std::string("hello")) {
      while (!(r.in(LSR) & 0x20)) {
        r.machine.clock().retire(1);
        r.machine.scheduler().run_due();
        ++polls;
      }
      r.out(THR, static_cast<uint8_t>(c));
    }
    while (!(r.in(LSR) & 0x40)) {
      r.machine.clock().retire(1);
      r.machine.scheduler().run_due();
      ++polls;
    }
    CHECK(r.script->output == "hello");
    return polls;
  };
  uint64_t first = run();
  CHECK(first == run());
  // Five frames of 86806 ns on an exact grid, at 10 ns per instruction.
  CHECK(first == (5 * 86806 + 9) / 10);
}

TEST_CASE("uart: transmit FIFO holds 16 bytes", "[uart16550]") {
  Rig r(false);
  r.fast_8n1();
  r.out(FCR, 0x07);  // enable, reset both
  CHECK((r.in(IIR) & 0xC0) == 0xC0);
  for (int i = 0; i < 18; ++i) r.out(THR, static_cast<uint8_t>('a' + i));
  // One went straight to the shift register, 16 fill the FIFO, one is lost.
  r.frames(20);
  CHECK(r.script->output == "abcdefghijklmnopq");
  CHECK(r.in(LSR) == 0x60);
}

TEST_CASE("uart: FCR bits need FCR0; resets clear the FIFOs", "[uart16550]") {
  Rig r(false);
  r.fast_8n1();
  r.out(FCR, 0xC6);  // no enable bit: nothing is programmed
  CHECK((r.in(IIR) & 0xC0) == 0);
  r.out(MCR, 0x10);
  r.out(FCR, 0x01);
  r.out(THR, 1);
  r.out(THR, 2);
  r.out(THR, 3);
  CHECK((r.in(LSR) & 0x20) == 0);
  r.out(FCR, 0x05);  // TX FIFO reset: 2 and 3 are dropped, 1 is in the shift register
  CHECK((r.in(LSR) & 0x60) == 0x20);
  r.frames(1);
  CHECK((r.in(LSR) & 0x01) == 0x01);
  r.out(FCR, 0x03);  // RX FIFO reset
  CHECK((r.in(LSR) & 0x01) == 0x00);
  r.frames(3);
  CHECK((r.in(LSR) & 0x01) == 0x00);
}

TEST_CASE("uart: receiving from the backend, with back-pressure", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.script->input = {'x', 'y', 'z'};
  r.frames(5);
  // 16450 mode: one holding register; the backend is not read while it is full.
  CHECK(r.in(LSR) == 0x61);
  CHECK(r.script->input.size() == 2);
  CHECK(r.in(RBR) == 'x');
  CHECK((r.in(LSR) & 0x01) == 0);
  r.frames(2);
  CHECK(r.in(RBR) == 'y');
  r.frames(2);
  CHECK(r.in(RBR) == 'z');
  CHECK((r.in(LSR) & 0x03) == 0);  // no overrun
  CHECK(r.in(RBR) == 'z');         // an empty RBR keeps the last byte
  CHECK(r.uart->bytes_received() == 3);
}

TEST_CASE("uart: no input polls without an input source", "[uart16550]") {
  Rig r(false);
  r.fast_8n1();
  r.frames(10);
  CHECK(r.script->polls == 0);
  CHECK(r.machine.scheduler().next_due_instruction() == UINT64_MAX);
}

TEST_CASE("uart: loopback sends TX to RX and nothing to the line", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.script->input = {'!'};
  r.out(MCR, 0x10);
  r.out(THR, 'Q');
  r.frames(1);
  CHECK(r.in(LSR) == 0x61);
  CHECK(r.in(RBR) == 'Q');
  CHECK(r.script->output.empty());
  CHECK(r.script->input.size() == 1);  // the line input is disconnected
  r.out(MCR, 0x00);
  r.frames(2);
  CHECK(r.in(RBR) == '!');
}

TEST_CASE("uart: short words are masked", "[uart16550]") {
  Rig r;
  r.out(LCR, 0x02);  // 7 bits
  r.set_divisor(1);
  r.out(MCR, 0x10);
  r.out(THR, 0xFF);
  r.frames(1);
  CHECK(r.in(RBR) == 0x7F);
  r.out(MCR, 0x00);
  r.out(THR, 0xC1);
  r.frames(1);
  CHECK(r.script->output == "\x41");
}

TEST_CASE("uart: overrun in 16450 mode destroys the held character", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(MCR, 0x10);
  r.out(THR, 'a');
  r.frames(1);
  r.out(THR, 'b');
  r.frames(1);
  uint8_t lsr = r.in(LSR);
  CHECK((lsr & 0x03) == 0x03);  // DR | OE
  CHECK((r.in(LSR) & 0x02) == 0);  // OE clears on read
  CHECK(r.in(RBR) == 'b');
}

TEST_CASE("uart: overrun in FIFO mode keeps the FIFO and drops the new byte", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(FCR, 0x07);
  r.out(MCR, 0x10);
  for (int i = 0; i < 16; ++i) r.out(THR, static_cast<uint8_t>('A' + i));
  r.frames(17);
  CHECK((r.in(LSR) & 0x02) == 0);
  r.out(THR, '#');
  r.frames(1);
  CHECK((r.in(LSR) & 0x03) == 0x03);
  std::string got;
  while (r.in(LSR) & 0x01) got.push_back(static_cast<char>(r.in(RBR)));
  CHECK(got == "ABCDEFGHIJKLMNOP");
}

TEST_CASE("uart: RX trigger levels", "[uart16550]") {
  const uint8_t fcr_bits[] = {0x00, 0x40, 0x80, 0xC0};
  const size_t levels[] = {1, 4, 8, 14};
  for (int t = 0; t < 4; ++t) {
    Rig r;
    r.fast_8n1();
    r.out(FCR, static_cast<uint8_t>(0x07 | fcr_bits[t]));
    r.out(MCR, 0x10);
    r.out(IER, 0x01);
    for (size_t i = 0; i + 1 < levels[t]; ++i) r.out(THR, 'x');
    r.frames(levels[t]);  // all delivered, well inside the 4-frame timeout
    CHECK(r.in(IIR) == 0xC1);
    r.out(THR, 'y');
    r.frames(1);
    CHECK(r.in(IIR) == 0xC4);
    r.in(RBR);  // back below the trigger
    CHECK(r.in(IIR) != 0xC4);
  }
}

TEST_CASE("uart: character timeout after four frame times", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(FCR, 0xC7);  // trigger 14
  r.out(MCR, 0x10);
  r.out(IER, 0x01);
  r.out(THR, '1');
  r.out(THR, '2');
  r.frames(2);  // second byte lands at the end of frame 2
  CHECK(r.in(IIR) == 0xC1);
  r.frames(4);
  advance_ns(r.machine, 10);
  CHECK(r.in(IIR) == 0xCC);
  CHECK(r.in(RBR) == '1');  // a read clears it and restarts the timer
  CHECK(r.in(IIR) == 0xC1);
  r.frames(4);
  advance_ns(r.machine, 10);
  CHECK(r.in(IIR) == 0xCC);
  CHECK(r.in(RBR) == '2');
  r.frames(8);
  CHECK(r.in(IIR) == 0xC1);  // empty FIFO: no timeout
}

TEST_CASE("uart: IIR priorities and clearing rules", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(MCR, 0x10);  // loopback; also makes MSR deltas
  r.out(THR, 'a');
  r.frames(1);
  r.out(THR, 'b');
  r.frames(1);  // overrun: OE + data ready
  r.out(IER, 0x0F);  // THRE source set by enabling while empty
  CHECK(r.in(IIR) == 0x06);  // line status first
  r.in(LSR);
  CHECK(r.in(IIR) == 0x04);  // then received data
  r.in(RBR);
  CHECK(r.in(IIR) == 0x02);  // then THR empty; this read clears it
  CHECK(r.in(IIR) == 0x00);  // then modem status
  r.in(MSR);
  CHECK(r.in(IIR) == 0x01);
}

TEST_CASE("uart: THRE interrupt sources", "[uart16550]") {
  Rig r(false);
  r.fast_8n1();
  r.out(IER, 0x02);
  CHECK(r.in(IIR) == 0x02);  // enabling with THR empty
  CHECK(r.in(IIR) == 0x01);  // cleared by the IIR read
  r.out(IER, 0x02);          // already enabled: no new edge
  CHECK(r.in(IIR) == 0x01);
  r.out(THR, 'a');  // into the shift register at once: THR empty again
  CHECK(r.in(IIR) == 0x02);
  r.out(THR, 'b');  // held: writing THR cleared it
  CHECK(r.in(IIR) == 0x01);
  r.frames(1);  // 'b' moves to the shift register
  CHECK(r.in(IIR) == 0x02);
  r.out(IER, 0x00);
  r.out(IER, 0x02);
  r.out(THR, 'c');
  r.out(THR, 'd');
  r.in(IIR);
  CHECK(r.in(IIR) == 0x01);
}

TEST_CASE("uart: loopback modem lines and MSR deltas", "[uart16550]") {
  Rig r;
  CHECK(r.in(MSR) == 0xB0);
  r.out(MCR, 0x10);  // all looped outputs off: CTS, DSR, DCD drop
  CHECK(r.in(MSR) == 0x0B);
  CHECK(r.in(MSR) == 0x00);  // deltas clear on read
  r.out(MCR, 0x11);          // DTR -> DSR
  CHECK(r.in(MSR) == 0x22);
  r.out(MCR, 0x13);  // RTS -> CTS
  CHECK(r.in(MSR) == 0x31);
  r.out(MCR, 0x17);  // OUT1 -> RI: leading edge, no TERI
  CHECK(r.in(MSR) == 0x70);
  r.out(MCR, 0x1F);  // OUT2 -> DCD
  CHECK(r.in(MSR) == 0xF8);
  r.out(MCR, 0x1B);  // RI falls: TERI
  CHECK(r.in(MSR) == 0xB4);
  r.out(MCR, 0x00);  // back to the line: CTS, DSR, DCD asserted
  CHECK(r.in(MSR) == 0xB0);  // no change on those three lines
  CHECK(r.in(MCR) == 0x00);
  r.out(MCR, 0xFF);
  CHECK(r.in(MCR) == 0x1F);
}

TEST_CASE("uart: modem status interrupt", "[uart16550]") {
  Rig r;
  r.out(IER, 0x08);
  CHECK(r.in(IIR) == 0x01);
  r.out(MCR, 0x10);
  CHECK(r.in(IIR) == 0x00);
  r.in(MSR);
  CHECK(r.in(IIR) == 0x01);
}

TEST_CASE("uart: OUT2 gates the IRQ line; loopback disconnects it", "[uart16550]") {
  Rig r(false);
  r.fast_8n1();
  r.out(IER, 0x02);      // THRE pending...
  CHECK_FALSE(r.irq());  // ...but OUT2 is off
  r.out(MCR, 0x08);
  CHECK(r.irq());
  CHECK(r.in(IIR) == 0x02);  // clears THRE
  CHECK_FALSE(r.irq());
  r.out(THR, 'z');  // THR empty again at once
  CHECK(r.irq());
  r.out(MCR, 0x18);  // loopback: OUT2 pin forced inactive
  CHECK_FALSE(r.irq());
  r.out(MCR, 0x08);
  CHECK(r.irq());
  r.out(IER, 0x00);
  CHECK_FALSE(r.irq());
}

TEST_CASE("uart: received-data interrupt reaches the controller", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(MCR, 0x08);
  r.out(IER, 0x01);
  r.script->input = {'k'};
  CHECK_FALSE(r.irq());
  r.frames(2);
  CHECK(r.irq());
  CHECK(r.intc.acknowledge() == 0x08 + kIrq);
  CHECK(r.in(RBR) == 'k');
  CHECK_FALSE(r.irq());
}

TEST_CASE("uart: break in loopback gives one break character", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(FCR, 0x01);
  r.out(MCR, 0x10);
  r.out(LCR, 0x43);  // set break
  r.frames(5);
  uint8_t lsr = r.in(LSR);
  CHECK((lsr & 0x01) == 0x01);
  CHECK((lsr & 0x10) == 0x10);  // BI
  CHECK((lsr & 0x80) == 0x80);  // error in FIFO
  CHECK((r.in(LSR) & 0x10) == 0);  // BI clears on read
  CHECK(r.in(RBR) == 0x00);
  CHECK((r.in(LSR) & 0x81) == 0);  // only one character, no error left
  r.out(THR, 'm');  // sent while the line is held spacing: lost
  r.frames(2);
  CHECK((r.in(LSR) & 0x01) == 0);
  r.out(LCR, 0x03);  // release: the next character arrives normally
  r.out(THR, 'n');
  r.frames(1);
  CHECK(r.in(LSR) == 0x61);
  CHECK(r.in(RBR) == 'n');
}

TEST_CASE("uart: errors show when their character reaches the FIFO top", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(FCR, 0x01);
  r.out(MCR, 0x10);
  r.out(THR, 'a');
  r.frames(1);
  r.out(LCR, 0x43);
  r.frames(2);  // break character behind 'a'
  r.out(LCR, 0x03);
  uint8_t lsr = r.in(LSR);
  CHECK((lsr & 0x10) == 0);     // 'a' is on top, no BI yet
  CHECK((lsr & 0x80) == 0x80);  // but the FIFO holds an error
  CHECK(r.in(RBR) == 'a');
  CHECK((r.in(LSR) & 0x10) == 0x10);
}

TEST_CASE("uart: reset keeps the divisor latch and scratch register", "[uart16550]") {
  Rig r;
  r.fast_8n1();
  r.out(SCR, 0x77);
  r.out(IER, 0x0F);
  r.out(MCR, 0x0F);
  r.out(FCR, 0x01);
  r.out(THR, 'q');
  r.machine.reset();
  CHECK(r.in(IER) == 0);
  CHECK(r.in(IIR) == 0x01);
  CHECK(r.in(LCR) == 0);
  CHECK(r.in(MCR) == 0);
  CHECK(r.in(LSR) == 0x60);
  CHECK(r.in(MSR) == 0xB0);
  CHECK(r.in(SCR) == 0x77);
  r.out(LCR, 0x80);
  CHECK(r.in(DLL) == 1);
  CHECK(r.in(DLM) == 0);
  r.out(LCR, 0x03);
  r.frames(3);
  CHECK(r.script->output.empty());  // the byte in flight died with the reset
}

TEST_CASE("uart: wide port accesses reach consecutive registers", "[uart16550]") {
  Rig r;
  r.out(SCR, 0xAB);
  r.out(MCR, 0x03);
  CHECK(r.machine.ports().read(kBase + MCR, 2) == 0x6003);  // MCR, LSR
  CHECK(r.machine.ports().read(kBase + SCR, 2) == 0xFFAB);  // SCR, unclaimed 0x400
  r.machine.ports().write(kBase + LCR, 0x0A83, 2);          // LCR = 83, MCR = 0A
  CHECK(r.in(MCR) == 0x0A);
  CHECK(r.in(LCR) == 0x83);
}

TEST_CASE("uart: save/load restores identical behaviour", "[uart16550]") {
  Rig a;
  a.fast_8n1();
  a.out(FCR, 0x81);  // trigger 8
  a.out(IER, 0x07);
  a.out(MCR, 0x1B);  // loopback, OUT1 off
  a.out(SCR, 0x42);
  for (char c : std::string("snapshot")) a.out(THR, static_cast<uint8_t>(c));
  a.frames(3);
  advance_ns(a.machine, 12345);  // mid-frame
  core::StateNode state;
  a.uart->save(state);
  core::StateNode clock_state;
  a.machine.clock().save(clock_state);

  // Through the byte stream, as a snapshot file would carry it.
  core::StateNode parsed = core::StateNode::parse(state.serialize());
  Rig b;
  b.machine.clock().load(clock_state);
  b.uart->load(parsed);
  core::StateNode again;
  b.uart->save(again);
  CHECK(again == state);

  // Now run both and read everything back in lockstep.
  for (int step = 0; step < 40; ++step) {
    advance_ns(a.machine, 20000);
    advance_ns(b.machine, 20000);
    for (unsigned reg : {unsigned(IIR), unsigned(LSR), unsigned(MSR), unsigned(LCR), unsigned(MCR), unsigned(SCR)}) {
      INFO("step " << step << " reg " << reg);
      CHECK(a.in(reg) == b.in(reg));
    }
    CHECK(a.irq() == b.irq());
    if (step % 3 == 0) CHECK(a.in(RBR) == b.in(RBR));
  }
  CHECK(a.uart->bytes_received() == b.uart->bytes_received());
}

TEST_CASE("uart: corrupt state is rejected", "[uart16550]") {
  Rig a;
  core::StateNode state;
  a.uart->save(state);
  state.put_bytes("rx_fifo", std::vector<uint8_t>(40, 0));
  Rig b;
  CHECK_THROWS_AS(b.uart->load(state), core::StateError);
}

TEST_CASE("uart: a second UART cannot claim the same ports", "[uart16550]") {
  Rig r;
  CHECK_THROWS_AS(r.machine.add_device<Uart16550>(uint16_t{0x3FC}, 3u, devices::make_serial_backend("none")),
                  std::logic_error);
}
