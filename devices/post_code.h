// The POST-code latch at port 0x80. BIOSes write their progress codes there
// (a "POST card" on the ISA bus shows them); on the PC/AT the port is the
// unused DMA page register 0x80 of the 74LS612 page-register file (IBM PC/AT
// Technical Reference, "DMA page registers"), which reads back what was
// written. Operating systems also write it as an I/O delay, hence the count.
#pragma once

#include <cstdint>
#include <string>

#include "core/device.h"
#include "core/io_bus.h"

namespace tx86::core {
class Machine;
}

namespace tx86::devices {

class PostCode final : public core::Device, public core::PortHandler {
 public:
  explicit PostCode(core::Machine& machine, uint16_t port = 0x80);

  std::string_view name() const override { return name_; }
  // The 74LS612 has no reset input, so a reset leaves the latch alone; the
  // write count is a statistic for the whole run.
  void reset() override;
  void save(core::StateNode& out) const override;
  void load(const core::StateNode& in) override;

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, uint32_t value, unsigned size) override;

  uint8_t last() const { return last_; }
  uint64_t writes() const { return writes_; }

 private:
  std::string name_;
  core::PortRegistration ports_;
  uint8_t last_ = 0;
  uint64_t writes_ = 0;
};

}  // namespace tx86::devices
