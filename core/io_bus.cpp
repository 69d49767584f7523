#include "core/io_bus.h"

#include <stdexcept>
#include <string>

namespace tx86::core {

PortRegistration& PortRegistration::operator=(PortRegistration&& other) noexcept {
  if (this != &other) {
    release();
    bus_ = other.bus_;
    first_ = other.first_;
    count_ = other.count_;
    other.bus_ = nullptr;
  }
  return *this;
}

void PortRegistration::release() {
  if (bus_ != nullptr) bus_->unclaim(first_, count_);
  bus_ = nullptr;
}

PortBus::PortBus() : handlers_(0x10000, nullptr) {}

PortRegistration PortBus::claim(uint16_t first, uint32_t count, PortHandler& handler) {
  if (count == 0 || first + count > 0x10000u) throw std::logic_error("port range out of bounds");
  for (uint32_t p = first; p < first + count; ++p) {
    if (handlers_[p] != nullptr)
      throw std::logic_error("port 0x" + std::to_string(p) + " claimed twice");
  }
  for (uint32_t p = first; p < first + count; ++p) handlers_[p] = &handler;
  return PortRegistration(this, first, count);
}

void PortBus::unclaim(uint16_t first, uint32_t count) {
  for (uint32_t p = first; p < first + count; ++p) handlers_[p] = nullptr;
}

uint32_t PortBus::read(uint16_t port, unsigned size) {
  uint32_t value;
  PortHandler* h = handlers_[port];
  bool whole = h != nullptr;
  for (unsigned i = 1; whole && i < size; ++i)
    whole = handlers_[static_cast<uint16_t>(port + i)] == h;
  if (whole) {
    value = h->port_read(port, size);
  } else {
    value = 0;
    for (unsigned i = 0; i < size; ++i) {
      uint16_t p = static_cast<uint16_t>(port + i);
      uint32_t b = handlers_[p] ? handlers_[p]->port_read(p, 1) & 0xFF : 0xFF;
      value |= b << (8 * i);
    }
  }
  if (size < 4) value &= (1u << (8 * size)) - 1;
  if (observer_) observer_(observer_ctx_, port, value, size, false);
  return value;
}

void PortBus::write(uint16_t port, uint32_t value, unsigned size) {
  if (observer_) observer_(observer_ctx_, port, value, size, true);
  PortHandler* h = handlers_[port];
  bool whole = h != nullptr;
  for (unsigned i = 1; whole && i < size; ++i)
    whole = handlers_[static_cast<uint16_t>(port + i)] == h;
  if (whole) {
    h->port_write(port, value, size);
    return;
  }
  for (unsigned i = 0; i < size; ++i) {
    uint16_t p = static_cast<uint16_t>(port + i);
    if (handlers_[p]) handlers_[p]->port_write(p, (value >> (8 * i)) & 0xFF, 1);
  }
}

}  // namespace tx86::core
