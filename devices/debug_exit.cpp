#include "devices/debug_exit.h"

#include <cstdio>
#include <stdexcept>

#include "core/machine.h"

namespace tx86::devices {

DebugExit::DebugExit(core::Machine& machine, uint16_t port, unsigned size) : machine_(machine) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "debug_exit@0x%x", port);
  name_ = buf;
  if (size < 1 || size > 4) throw std::invalid_argument(name_ + ": size must be 1 to 4 ports");
  ports_ = machine.ports().claim(port, size, *this);
}

uint32_t DebugExit::port_read(uint16_t, unsigned) { return 0; }

void DebugExit::port_write(uint16_t, uint32_t value, unsigned) {
  machine_.request_exit(exit_status_for(value));
}

}  // namespace tx86::devices
