// The 8254 programmable interval timer (Intel 8254 datasheet, order number
// 231164) as wired on the PC/AT: three counters clocked at 1.193182 MHz,
// counter 0's OUT on IRQ0, counter 1 (DRAM refresh, gate tied high),
// counter 2 gated by bit 0 of system control port B (0x61) whose bit 5 reads
// counter 2's OUT (IBM PC/AT Technical Reference, "System Timer" and "Port
// 61"). Ports 0x40-0x42 are the counters, 0x43 the control word.
//
// Modelled: modes 0-5, binary and BCD counting, the LSB / MSB / LSB-then-MSB
// access modes, the counter latch command, the read-back command (count
// and status, with the null-count flag), the gate (level-sensitive for modes
// 0, 2, 3, 4; rising edge triggers modes 1, 5 and restarts 2, 3), a new
// count taking effect at once (modes 0, 4), at the next period or half
// period (modes 2, 3) or at the next trigger (modes 1, 5). A written count
// is loaded into the counting element on the CLK pulse after the write.
//
// Counters are not stepped tick by tick: each one keeps the tick at which
// its counting element was last loaded, and its count and OUT are computed
// from the virtual clock when asked. Only counter 0 schedules events: one
// per change of its OUT, which is the IRQ0 line.
//
// Port 0x61 also lives here since it exists to gate and read timer 2:
// bit 0 gate 2, bit 1 speaker data enable, bits 2-3 stored (parity and
// channel check enables; no NMI source is modelled), bit 4 the refresh
// toggle (flips every 15.085 us of virtual time), bit 5 OUT2.
#pragma once

#include <array>
#include <cstdint>

#include "core/clock.h"
#include "core/device.h"
#include "core/io_bus.h"

namespace tx86::core {
class Machine;
}

namespace tx86::devices {

class Pit8254 final : public core::Device, public core::PortHandler {
 public:
  static constexpr uint64_t kClockHz = 1'193'182;

  explicit Pit8254(core::Machine& machine);
  ~Pit8254() override;
  Pit8254(const Pit8254&) = delete;
  Pit8254& operator=(const Pit8254&) = delete;

  std::string_view name() const override { return "pit8254"; }
  void reset() override;
  void save(core::StateNode& out) const override;
  void load(const core::StateNode& in) override;

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, uint32_t value, unsigned size) override;

  // OUT of counter `c` now (tests, the speaker later).
  bool out(int c);
  // Tick count of the 1.193182 MHz clock at a virtual time, and back.
  static uint64_t tick_at(uint64_t ns);
  static uint64_t ns_of_tick(uint64_t tick);

 private:
  enum class Run : uint8_t { kIdle, kCounting, kFrozen };
  // The counting element from `start` on: it holds `value` at tick `start`
  // and counts from there.
  struct Segment {
    uint64_t start = 0;
    uint32_t value = 1;      // 1..65536 (or 1..10000 in BCD)
    bool phase_low = false;  // mode 3: the segment begins with the low half
    bool done = false;       // modes 0, 1, 4, 5: terminal count already reached
  };
  struct Counter {
    uint8_t control = 0;  // RW, mode, BCD bits of the control word (status bits 5-0)
    uint8_t mode = 0;
    bool bcd = false;
    uint8_t rw = 3;
    uint16_t cr = 0;  // count register as written
    bool write_msb_next = false;
    uint8_t write_lsb = 0;
    bool read_msb_next = false;
    bool count_latched = false;
    uint16_t latch = 0;
    bool latch_msb_next = false;
    bool status_latched = false;
    uint8_t status = 0;
    bool null_count = true;
    bool count_written = false;
    bool gate = true;
    Run run = Run::kIdle;
    bool idle_out = true;  // OUT while idle
    Segment seg;
    bool has_next = false;
    Segment next;          // modes 2, 3: a new count waiting for the period end
    uint32_t frozen = 0;   // CE while frozen (gate low)
  };

  uint8_t read_counter(int c);
  void write_counter(int c, uint8_t value);
  void write_control(uint8_t value);
  void latch_count(int c);
  void load_count(int c);
  void set_gate(int c, bool level);
  void sync(int c, uint64_t tick);
  uint32_t modulus(const Counter& k) const { return k.bcd ? 10000 : 65536; }
  uint32_t count_value(const Counter& k) const;
  uint32_t element(int c, uint64_t tick);  // CE (0..65535 as read)
  bool out_at(int c, uint64_t tick);
  uint64_t next_change(int c, uint64_t tick);  // UINT64_MAX if none
  uint64_t now_tick() const;
  void update_irq0();
  void on_irq0_event();

  core::Scheduler& scheduler_;
  core::Clock& clock_;
  core::IrqLine irq0_;
  std::array<Counter, 3> counters_;
  uint8_t port61_ = 0;  // bits 0-3 as written
  bool event_armed_ = false;
  uint64_t event_tick_ = 0;
  core::Scheduler::EventId event_id_ = 0;
  bool in_event_ = false;
  core::PortRegistration pit_ports_;
  core::PortRegistration port61_reg_;
};

}  // namespace tx86::devices
