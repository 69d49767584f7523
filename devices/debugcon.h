// The debug console port (0xE9 by default), compatible with Bochs' "port E9
// hack" and QEMU's isa-debugcon device: every byte the guest writes goes to a
// SerialBackend; a read returns 0xE9, which is how guests detect the port
// (QEMU's `readback` default; Bochs, iodev/unmapped.cc, the same).
//
// There is no transmitter timing: the port takes bytes as fast as the guest
// writes them. Output is flushed when a line ends and, for a partial line
// (a prompt), one virtual millisecond after the first unflushed byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/device.h"
#include "core/io_bus.h"
#include "devices/serial_backend.h"

namespace tx86::core {
class Machine;
}

namespace tx86::devices {

class DebugCon final : public core::Device, public core::PortHandler {
 public:
  static constexpr uint8_t kReadback = 0xE9;
  static constexpr uint64_t kFlushDelayNs = 1'000'000;

  DebugCon(core::Machine& machine, std::unique_ptr<SerialBackend> backend, uint16_t port = 0xE9);
  ~DebugCon() override;
  DebugCon(const DebugCon&) = delete;
  DebugCon& operator=(const DebugCon&) = delete;

  std::string_view name() const override { return name_; }
  void reset() override {}
  void save(core::StateNode& out) const override;
  void load(const core::StateNode& in) override;
  void drain() override { flush(); }

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, uint32_t value, unsigned size) override;

  uint64_t bytes_written() const { return bytes_written_; }

 private:
  void flush();

  core::Scheduler& scheduler_;
  std::string name_;
  std::unique_ptr<SerialBackend> backend_;
  core::PortRegistration ports_;
  uint64_t bytes_written_ = 0;
  bool flush_pending_ = false;
  core::Scheduler::EventId flush_event_ = 0;
};

}  // namespace tx86::devices
