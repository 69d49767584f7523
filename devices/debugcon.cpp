#include "devices/debugcon.h"

#include <cstdio>
#include <stdexcept>

#include "core/machine.h"

namespace tx86::devices {

DebugCon::DebugCon(core::Machine& machine, std::unique_ptr<SerialBackend> backend, uint16_t port)
    : scheduler_(machine.scheduler()), backend_(std::move(backend)) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "debugcon@0x%x", port);
  name_ = buf;
  if (!backend_) throw std::invalid_argument(name_ + ": no backend");
  ports_ = machine.ports().claim(port, 1, *this);
}

DebugCon::~DebugCon() {
  if (flush_pending_) scheduler_.cancel(flush_event_);
  backend_->flush();
}

uint32_t DebugCon::port_read(uint16_t, unsigned size) {
  // One port is claimed, so the bus splits wider accesses into bytes.
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) value |= uint32_t{kReadback} << (8 * i);
  return value;
}

void DebugCon::port_write(uint16_t, uint32_t value, unsigned) {
  const uint8_t byte = static_cast<uint8_t>(value);
  backend_->write(byte);
  ++bytes_written_;
  if (byte == '\n') {
    flush();
  } else if (!flush_pending_) {
    flush_pending_ = true;
    flush_event_ = scheduler_.schedule_in(kFlushDelayNs, [this] {
      flush_pending_ = false;
      backend_->flush();
    });
  }
}

void DebugCon::flush() {
  if (flush_pending_) scheduler_.cancel(flush_event_);
  flush_pending_ = false;
  backend_->flush();
}

void DebugCon::save(core::StateNode& out) const { out.put("bytes_written", bytes_written_); }

void DebugCon::load(const core::StateNode& in) {
  // Pending host output is not guest state: push it out now.
  flush();
  bytes_written_ = in.get("bytes_written");
}

}  // namespace tx86::devices
