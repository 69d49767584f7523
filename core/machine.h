// A Machine is one emulated PC: it owns the CPU, physical memory, the port
// bus, the clock and scheduler, the interrupt controller hook and every
// device. There is no global state (DESIGN.md §4): several machines can live
// in one process, which tests and cloning rely on.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/cpu.h"
#include "core/device.h"
#include "core/io_bus.h"
#include "core/memory.h"

namespace tx86::core {

struct MachineConfig {
  size_t ram_bytes = 16u << 20;
  x86::CpuModel model = x86::CpuModel::kP6;
  uint64_t instructions_per_second = Clock::kDefaultInstructionsPerSecond;
};

// The interrupt controller as the CPU sees it (the 8259 PIC later, the APIC
// after that). Devices drive it through IrqLine (it is their IrqSink).
class InterruptController : public IrqSink {
 public:
  // True if an unmasked request is waiting for the CPU.
  virtual bool interrupt_pending() const = 0;
  // The INTA cycle: returns the vector and moves the request in service.
  virtual uint8_t acknowledge() = 0;
};

class Machine {
 public:
  explicit Machine(const MachineConfig& config = {});
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
  ~Machine();

  const MachineConfig& config() const { return config_; }
  Cpu& cpu() { return cpu_; }
  PhysicalMemory& memory() { return memory_; }
  PortBus& ports() { return ports_; }
  Clock& clock() { return clock_; }
  Scheduler& scheduler() { return scheduler_; }

  // Maps PC firmware: a 64, 128 or 256 KiB image ending at 1 MiB and aliased
  // so that it also ends at 4 GiB (the reset vector FFFFFFF0 is in it).
  // Throws std::invalid_argument for any other size.
  void load_firmware(std::span<const uint8_t> image);

  // Devices are owned by the machine and reset with it.
  template <typename D, typename... Args>
  D& add_device(Args&&... args) {
    auto dev = std::make_unique<D>(*this, std::forward<Args>(args)...);
    D& ref = *dev;
    devices_.push_back(std::move(dev));
    return ref;
  }
  const std::vector<std::unique_ptr<Device>>& devices() const { return devices_; }
  Device* find_device(std::string_view name) const;

  // The interrupt controller, or null (no device raises interrupts then).
  InterruptController* interrupt_controller() const { return intc_; }
  void set_interrupt_controller(InterruptController* intc) { intc_ = intc; }
  // IrqSink for devices: the interrupt controller if there is one.
  IrqLine irq_line(unsigned line) { return IrqLine(&irq_router_, line); }

  // Hardware reset of CPU and devices (memory contents are kept).
  void reset();
  // Switch-off: every device drains host-visible output (Device::drain).
  void drain_devices();

  // Stop requests from devices (debug-exit port, shutdown); engines check
  // stop_requested() at instruction boundaries.
  void request_exit(int exit_status);
  bool stop_requested() const { return stop_requested_; }
  int exit_status() const { return exit_status_; }
  void clear_stop() { stop_requested_ = false; }

  // A once-per-message log of what the guest did that tx86 does not
  // support (unimplemented instruction, ...). Goes to stderr unless silenced.
  void log_once(const std::string& key, const std::string& message);
  void set_log_quiet(bool quiet) { log_quiet_ = quiet; }
  const std::vector<std::string>& logged() const { return logged_; }

 private:
  // Forwards IRQ lines to whichever interrupt controller is installed.
  class IrqRouter : public IrqSink {
   public:
    explicit IrqRouter(Machine& m) : machine_(m) {}
    void set_irq(unsigned line, bool level) override {
      if (machine_.intc_ != nullptr) machine_.intc_->set_irq(line, level);
    }
   private:
    Machine& machine_;
  };

  MachineConfig config_;
  Clock clock_;
  Scheduler scheduler_;
  PhysicalMemory memory_;
  PortBus ports_;
  Cpu cpu_;
  IrqRouter irq_router_{*this};
  InterruptController* intc_ = nullptr;
  std::vector<std::unique_ptr<Device>> devices_;
  bool stop_requested_ = false;
  int exit_status_ = 0;
  bool log_quiet_ = false;
  std::vector<std::string> logged_;
};

}  // namespace tx86::core
