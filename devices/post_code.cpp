#include "devices/post_code.h"

#include <cstdio>

#include "core/machine.h"

namespace tx86::devices {

PostCode::PostCode(core::Machine& machine, uint16_t port) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "post_code@0x%x", port);
  name_ = buf;
  ports_ = machine.ports().claim(port, 1, *this);
}

void PostCode::reset() {}

uint32_t PostCode::port_read(uint16_t, unsigned size) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) value |= uint32_t{last_} << (8 * i);
  return value;
}

void PostCode::port_write(uint16_t, uint32_t value, unsigned) {
  last_ = static_cast<uint8_t>(value);
  ++writes_;
}

void PostCode::save(core::StateNode& out) const {
  out.put("last", last_);
  out.put("writes", writes_);
}

void PostCode::load(const core::StateNode& in) {
  uint64_t last = in.get("last");
  if (last > 0xFF) throw core::StateError(name_ + ": field 'last' out of range");
  last_ = static_cast<uint8_t>(last);
  writes_ = in.get("writes");
}

}  // namespace tx86::devices
