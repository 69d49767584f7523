// QEMU's isa-debug-exit device (hw/misc/debugexit.c): a guest ends the run
// by writing a value V to the port range; the emulator exits with status
// (V << 1) | 1, so a guest can never produce status 0 and a test harness can
// tell "the guest said V" from the emulator's own failures. As in QEMU:
//  - any access width of 1, 2 or 4 bytes is accepted; V is the whole value
//    written (an access wider than the range is split by the bus and the
//    range sees only its own bytes);
//  - reads return 0;
//  - the status handed to Machine::request_exit is the low 32 bits of
//    (V << 1) | 1 as an int; the host keeps its low 8 bits as the process
//    exit status, as it does for QEMU's exit().
// QEMU's defaults are iobase=0x501, iosize=2; tx86 uses the 0xF4 port most
// test kernels are built for (QEMU's `-device isa-debug-exit,iobase=0xf4`)
// and a 1-byte range unless told otherwise.
#pragma once

#include <cstdint>
#include <string>

#include "core/device.h"
#include "core/io_bus.h"

namespace tx86::core {
class Machine;
}

namespace tx86::devices {

class DebugExit final : public core::Device, public core::PortHandler {
 public:
  // `size` is the width of the port range, 1 to 4 ports.
  explicit DebugExit(core::Machine& machine, uint16_t port = 0xF4, unsigned size = 1);

  std::string_view name() const override { return name_; }
  void reset() override {}
  void save(core::StateNode&) const override {}
  void load(const core::StateNode&) override {}

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, uint32_t value, unsigned size) override;

  // Status that writing `value` requests.
  static int exit_status_for(uint32_t value) { return static_cast<int>((value << 1) | 1u); }

 private:
  core::Machine& machine_;
  std::string name_;
  core::PortRegistration ports_;
};

}  // namespace tx86::devices
