// The 16550A UART (National Semiconductor PC16550D, "UART with FIFOs",
// datasheet of June 1995), as found at COM1..COM4 of a PC.
//
// Eight registers at base..base+7 (Table II, "Summary of Registers"):
// RBR/THR and IER (or the divisor latch DLL/DLM when LCR.DLAB is set),
// IIR/FCR, LCR, MCR, LSR, MSR, SCR. Modelled:
//  - 16-byte receive and transmit FIFOs (FCR: enable, resets, RX trigger level
//    1/4/8/14) and the 16450 mode with one holding register each way;
//  - the transmitter on the machine's virtual clock: a byte moves from THR
//    (or the TX FIFO) into the shift register at once and leaves the line one
//    frame time later (start + data + parity + stop bits at the divisor's
//    baud rate, 115200 / divisor from the 1.8432 MHz crystal), so LSR.THRE
//    and LSR.TEMT behave as a polling guest expects, deterministically;
//  - the receiver pulls host bytes from the SerialBackend on a scheduled poll
//    once per frame time, only when it has room for them (the host side
//    never overruns the guest; a looped-back transmitter can);
//  - interrupt identification with the priorities of Table IV ("Interrupt
//    Control Functions"): line status > received data / character timeout >
//    THR empty > modem status, and its clearing rules (reading IIR clears a
//    reported THRE); the character timeout after four frame times without
//    FIFO activity;
//  - LSR: DR, OE, PE/FE/BI (per character in FIFO mode, shown when the
//    character reaches the top), THRE, TEMT, error-in-FIFO;
//  - MSR with delta bits; loopback (MCR.LOOP): the transmitter feeds the
//    receiver, DTR/RTS/OUT1/OUT2 drive DSR/CTS/RI/DCD, the line and the
//    modem outputs go inactive. A break (LCR bit 6) held in loopback for a
//    frame time is received as one break character (0 with BI);
//  - the PC wiring of the interrupt: the INTRPT output reaches the IRQ line
//    only through the OUT2 output (an active-low gate on the board), so the
//    line is raised only when MCR.OUT2 is set and loopback is off (loopback
//    forces the OUT2 pin inactive: Modem Control Register, bit 4).
// Not modelled: the THR-to-shift-register transfer takes no time (the chip
// needs up to a bit time), and the FIFO-mode delay of the THRE indication
// described under "FIFO Interrupt Mode Operation" is left out.
// Outside loopback the modem inputs read as a ready null-modem peer: CTS,
// DSR and DCD asserted, RI not. Parity and framing errors cannot arise on
// the emulated wire (both ends share one frame format); break can.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/device.h"
#include "core/io_bus.h"
#include "devices/serial_backend.h"

namespace tx86::core {
class Machine;
}

namespace tx86::devices {

class Uart16550 final : public core::Device, public core::PortHandler {
 public:
  // Divisor of the 1.8432 MHz clock / 16: baud = kBaudBase / divisor.
  static constexpr uint32_t kBaudBase = 115200;
  static constexpr size_t kFifoBytes = 16;

  Uart16550(core::Machine& machine, uint16_t base_port, unsigned irq, std::unique_ptr<SerialBackend> backend);
  ~Uart16550() override;
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  std::string_view name() const override { return name_; }
  // Master reset (Table III, "UART Reset Configuration"): the divisor latch
  // and the scratch register keep their values, everything else is reset.
  void reset() override;
  void save(core::StateNode& out) const override;
  void load(const core::StateNode& in) override;
  // Sends the shift register and the transmit FIFO to the backend at once.
  void drain() override;

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, uint32_t value, unsigned size) override;

  // Time one character takes on the line with the current LCR and divisor.
  uint64_t frame_time_ns() const;
  bool irq_level() const { return irq_.level(); }
  uint64_t bytes_transmitted() const { return tx_count_; }
  // Characters that reached the receiver (ones lost to overrun included).
  uint64_t bytes_received() const { return rx_count_; }

 private:
  // A scheduler event that knows its due time (so it can be saved).
  struct Timer {
    core::Scheduler::EventId id = 0;
    uint64_t when_ns = 0;
    bool armed = false;
  };
  enum class TimerKind { kTx, kPoll, kTimeout, kBreak };

  uint8_t read_register(unsigned offset);
  void write_register(unsigned offset, uint8_t value);

  uint8_t line_status() const;
  uint8_t interrupt_id() const;
  uint8_t rx_trigger_level() const;
  uint8_t word_mask() const { return static_cast<uint8_t>(0xFF >> (3 - (lcr_ & 3))); }
  bool loopback() const { return (mcr_ & 0x10) != 0; }
  bool fifo_enabled() const { return (fcr_ & 0x01) != 0; }
  bool rx_has_room() const;

  void write_fcr(uint8_t value);
  void write_lcr(uint8_t value);
  void write_mcr(uint8_t value);
  uint8_t read_rbr();

  void receive(uint8_t byte, uint8_t error_bits);
  void reveal_top_errors();
  void restart_rx_timeout();
  void start_transmit();
  void transmit_done();
  void poll_backend();
  void retime_poll();
  void break_detected();
  void update_break_detector();
  void update_modem_inputs();
  uint8_t modem_inputs() const;
  void update_irq();

  void arm(Timer& timer, TimerKind kind, uint64_t when_ns);
  void disarm(Timer& timer);
  void fire(TimerKind kind);
  void run_timer(TimerKind kind);
  uint64_t now_ns() const;
  Timer& timer(TimerKind kind);

  core::Scheduler& scheduler_;
  core::Clock& clock_;
  uint16_t base_;
  std::string name_;
  std::unique_ptr<SerialBackend> backend_;
  core::IrqLine irq_;
  core::PortRegistration ports_;

  // Registers.
  uint8_t dll_ = 12;  // 9600 baud until the guest programs the latch
  uint8_t dlm_ = 0;
  uint8_t ier_ = 0;
  uint8_t fcr_ = 0;   // bits 0 (enable), 3 (DMA mode), 6-7 (trigger)
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0;
  uint8_t scr_ = 0;
  uint8_t msr_ = 0;
  uint8_t lsr_errors_ = 0;  // latched OE/PE/FE/BI (LSR bits 1-4)
  uint8_t rbr_ = 0;         // last byte read (what an empty RBR returns)

  // Receiver: each entry is data | (PE/FE/BI bits << 8).
  std::deque<uint16_t> rx_fifo_;
  bool timeout_pending_ = false;
  bool break_received_ = false;  // loopback break seen; waits for mark

  // Transmitter.
  std::deque<uint8_t> tx_fifo_;  // THR in 16450 mode (at most one byte)
  bool tsr_busy_ = false;
  uint8_t tsr_ = 0;
  bool thre_pending_ = false;  // THR-empty interrupt source

  uint64_t tx_count_ = 0;
  uint64_t rx_count_ = 0;

  Timer tx_timer_;
  Timer poll_timer_;
  Timer timeout_timer_;
  Timer break_timer_;
  bool in_event_ = false;
  uint64_t event_ns_ = 0;
};

}  // namespace tx86::devices
