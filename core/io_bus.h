// The port I/O address space (64 KiB of 8-bit ports). Devices claim port
// ranges through RAII registrations; dropping the handle releases them.
// Unclaimed ports read as all ones and ignore writes, as on the ISA bus.
// Wider accesses to a port that a handler covers go to that handler whole;
// otherwise they are split into byte accesses (what a 16-bit ISA bus does).
#pragma once

#include <cstdint>
#include <vector>

#include "core/device.h"

namespace tx86::core {

class PortBus;

class PortRegistration {
 public:
  PortRegistration() = default;
  PortRegistration(PortRegistration&& other) noexcept { *this = std::move(other); }
  PortRegistration& operator=(PortRegistration&& other) noexcept;
  PortRegistration(const PortRegistration&) = delete;
  PortRegistration& operator=(const PortRegistration&) = delete;
  ~PortRegistration() { release(); }
  void release();

 private:
  friend class PortBus;
  PortRegistration(PortBus* bus, uint16_t first, uint32_t count)
      : bus_(bus), first_(first), count_(count) {}
  PortBus* bus_ = nullptr;
  uint16_t first_ = 0;
  uint32_t count_ = 0;
};

class PortBus {
 public:
  PortBus();
  // Claims ports [first, first + count). Throws std::logic_error if any of
  // them is already claimed (two devices on one port is a wiring bug).
  [[nodiscard]] PortRegistration claim(uint16_t first, uint32_t count, PortHandler& handler);

  uint32_t read(uint16_t port, unsigned size);
  void write(uint16_t port, uint32_t value, unsigned size);

  // Optional observer of every access (tracing); null to disable.
  using Observer = void (*)(void* ctx, uint16_t port, uint32_t value, unsigned size, bool write);
  void set_observer(Observer fn, void* ctx) { observer_ = fn; observer_ctx_ = ctx; }

 private:
  friend class PortRegistration;
  void unclaim(uint16_t first, uint32_t count);
  std::vector<PortHandler*> handlers_;  // one slot per port
  Observer observer_ = nullptr;
  void* observer_ctx_ = nullptr;
};

}  // namespace tx86::core
