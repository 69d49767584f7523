// The interface every emulated device implements (DESIGN.md §8), and the
// handler interfaces through which the buses reach devices.
//
// A device owns its registrations (core/io_bus.h, core/memory.h): they are RAII
// handles, so destroying a device removes its ports and MMIO ranges. It raises
// interrupts through IrqLine and schedules future work on the machine's
// Scheduler (core/clock.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/state.h"

namespace tx86::core {

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string_view name() const = 0;
  // Power-on / hardware reset state.
  virtual void reset() = 0;
  virtual void save(StateNode& out) const = 0;
  virtual void load(const StateNode& in) = 0;
  // The machine is being switched off (tx86 is exiting): hand everything the
  // host should still see (bytes in a UART's transmit FIFO, a partial console
  // line) to its backend now. Guest-visible state need not stay consistent.
  virtual void drain() {}
};

// Port I/O. `size` is 1, 2 or 4 bytes; `port` is the port actually accessed
// (a handler registered for a range sees which one). Reads of a port no device
// claims return all ones, as on a PC's ISA bus.
class PortHandler {
 public:
  virtual ~PortHandler() = default;
  virtual uint32_t port_read(uint16_t port, unsigned size) = 0;
  virtual void port_write(uint16_t port, uint32_t value, unsigned size) = 0;
};

// Memory-mapped I/O. `offset` is relative to the start of the registered
// region; `size` is 1, 2 or 4 bytes (wider accesses are split by the bus).
class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  virtual uint32_t mmio_read(uint32_t offset, unsigned size) = 0;
  virtual void mmio_write(uint32_t offset, uint32_t value, unsigned size) = 0;
};

// Where interrupt requests go (the PIC, later the APIC). Lines are numbered
// as ISA IRQs.
class IrqSink {
 public:
  virtual ~IrqSink() = default;
  virtual void set_irq(unsigned line, bool level) = 0;
};

// One interrupt request line from a device to the machine's IrqSink.
class IrqLine {
 public:
  IrqLine() = default;
  IrqLine(IrqSink* sink, unsigned line) : sink_(sink), line_(line) {}
  void set(bool level) {
    if (level == level_) return;
    level_ = level;
    if (sink_ != nullptr) sink_->set_irq(line_, level);
  }
  void raise() { set(true); }
  void lower() { set(false); }
  bool level() const { return level_; }
  unsigned line() const { return line_; }

 private:
  IrqSink* sink_ = nullptr;
  unsigned line_ = 0;
  bool level_ = false;
};

}  // namespace tx86::core
