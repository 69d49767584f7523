// The PC/AT pair of 8259A programmable interrupt controllers (Intel 8259A
// datasheet, order number 231468): the master at 0x20/0x21 takes IRQ0-7,
// the slave at 0xA0/0xA1 takes IRQ8-15 and is cascaded into the master's
// IR2. Per-line edge/level selection comes from the ELCR at 0x4D0/0x4D1
// (Intel 82371 PIIX "Edge/Level Control Registers"; IRQ0-2, 8 and 13 are
// always edge), or for a whole chip from ICW1.LTIM.
//
// Modelled: the initialization sequence ICW1-ICW4 (x86 mode; MCS-80 mode is
// logged as unsupported), OCW1 (mask), OCW2 (specific and non-specific EOI,
// rotation on EOI and in automatic-EOI mode, set priority), OCW3 (IRR/ISR
// read select, poll command, special mask mode), automatic EOI, special
// fully nested mode, and the spurious IRQ7/IRQ15 an INTA sees when the
// request went away. An edge-triggered request is latched on the rising
// edge and withdrawn if the line falls before INTA (datasheet, "Edge and
// Level Triggered Modes"); a level-triggered one follows the line.
//
// This is the machine's core::InterruptController: devices drive lines
// through IrqLine, the CPU asks interrupt_pending() and runs the INTA cycle
// with acknowledge().
#pragma once

#include <array>
#include <cstdint>

#include "core/io_bus.h"
#include "core/machine.h"

namespace tx86::devices {

class Pic8259 final : public core::Device, public core::PortHandler, public core::InterruptController {
 public:
  // Installs itself as the machine's interrupt controller (and removes
  // itself when destroyed).
  explicit Pic8259(core::Machine& machine);
  ~Pic8259() override;
  Pic8259(const Pic8259&) = delete;
  Pic8259& operator=(const Pic8259&) = delete;

  std::string_view name() const override { return "pic8259"; }
  void reset() override;
  void save(core::StateNode& out) const override;
  void load(const core::StateNode& in) override;

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, uint32_t value, unsigned size) override;

  void set_irq(unsigned line, bool level) override;
  bool interrupt_pending() const override;
  uint8_t acknowledge() override;

  // Register views for tests and the debugger (0 = master, 1 = slave).
  uint8_t irr(int chip) const { return chips_[chip].irr; }
  uint8_t isr(int chip) const { return chips_[chip].isr; }
  uint8_t imr(int chip) const { return chips_[chip].imr; }

 private:
  struct Chip {
    uint8_t irr = 0;
    uint8_t isr = 0;
    uint8_t imr = 0;
    uint8_t lines = 0;          // input levels as last driven
    uint8_t elcr = 0;           // 1 = level-triggered
    uint8_t elcr_mask = 0;      // which ELCR bits exist
    uint8_t vector_base = 0;    // ICW2 & 0xF8
    uint8_t icw3 = 0;
    uint8_t priority_add = 0;   // the IR with the highest priority
    uint8_t init_step = 0;      // 0 = operating; 2, 3, 4 = expecting ICWn
    bool level_mode = false;    // ICW1.LTIM
    bool single = false;        // ICW1.SNGL
    bool need_icw4 = false;     // ICW1.IC4
    bool x86_mode = true;       // ICW4.uPM
    bool auto_eoi = false;
    bool rotate_on_aeoi = false;
    bool special_nested = false;
    bool special_mask = false;
    bool read_isr = false;
    bool poll = false;
  };

  uint8_t read_chip(int c, bool port_b);
  void write_chip(int c, bool port_b, uint8_t value);
  void write_icw1(Chip& chip, uint8_t value);
  void write_ocw2(Chip& chip, uint8_t value);
  void set_chip_input(int c, unsigned ir, bool level);
  // The IR the chip would present to INTA now, or -1.
  int pending_ir(int c) const;
  int highest_in_service(const Chip& chip) const;
  // Clears the chip's IRR bit for a taken request and sets ISR (unless AEOI).
  void take(int c, int ir);
  uint8_t poll_command(int c);
  void update_cascade();
  bool is_level(const Chip& chip, unsigned ir) const {
    return chip.level_mode || ((chip.elcr >> ir) & 1);
  }

  core::Machine& machine_;
  std::array<Chip, 2> chips_;
  core::PortRegistration master_ports_;
  core::PortRegistration slave_ports_;
  core::PortRegistration elcr_ports_;
};

}  // namespace tx86::devices
