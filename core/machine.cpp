#include "core/machine.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace tx86::core {

Machine::Machine(const MachineConfig& config)
    : config_(config),
      clock_(config.instructions_per_second),
      scheduler_(clock_),
      memory_(config.ram_bytes),
      cpu_(memory_, ports_, CpuConfig{config.model}) {}

Machine::~Machine() {
  // Devices go first: their registrations point into the buses.
  devices_.clear();
}

void Machine::load_firmware(std::span<const uint8_t> image) {
  const size_t size = image.size();
  if (size != (64u << 10) && size != (128u << 10) && size != (256u << 10))
    throw std::invalid_argument("firmware image must be 64, 128 or 256 KiB, not " + std::to_string(size) +
                                " bytes");
  // Top of the first megabyte: the last `size` bytes below 1 MiB (a 256 KiB
  // image covers 0xC0000..0xFFFFF, as on real boards).
  memory_.map_rom(static_cast<uint32_t>(0x100000 - size), image);
  // Alias below 4 GiB, where the reset vector points (and 16 MiB for the 286).
  memory_.map_rom(static_cast<uint32_t>((uint64_t{1} << 32) - size), image);
  if (config_.model == x86::CpuModel::k286) memory_.map_rom(static_cast<uint32_t>(0x1000000 - size), image);
}

Device* Machine::find_device(std::string_view name) const {
  for (const auto& d : devices_)
    if (d->name() == name) return d.get();
  return nullptr;
}

void Machine::reset() {
  cpu_.reset();
  for (auto& d : devices_) d->reset();
  stop_requested_ = false;
}

void Machine::drain_devices() {
  for (auto& d : devices_) d->drain();
}

void Machine::request_exit(int exit_status) {
  stop_requested_ = true;
  exit_status_ = exit_status;
}

void Machine::log_once(const std::string& key, const std::string& message) {
  if (std::find(logged_.begin(), logged_.end(), key) != logged_.end()) return;
  logged_.push_back(key);
  if (!log_quiet_) std::fprintf(stderr, "tx86: %s\n", message.c_str());
}

}  // namespace tx86::core
