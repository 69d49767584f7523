#include "devices/uart16550.h"

#include <cstdio>
#include <stdexcept>

#include "core/machine.h"

namespace tx86::devices {

namespace {

// Register offsets (datasheet Table II).
constexpr unsigned kRbrThr = 0;  // DLL when DLAB
constexpr unsigned kIer = 1;     // DLM when DLAB
constexpr unsigned kIirFcr = 2;
constexpr unsigned kLcr = 3;
constexpr unsigned kMcr = 4;
constexpr unsigned kLsr = 5;
constexpr unsigned kMsr = 6;
constexpr unsigned kScr = 7;

constexpr uint8_t kIerRxData = 0x01;
constexpr uint8_t kIerThre = 0x02;
constexpr uint8_t kIerLineStatus = 0x04;
constexpr uint8_t kIerModemStatus = 0x08;

constexpr uint8_t kIirNone = 0x01;
constexpr uint8_t kIirLineStatus = 0x06;
constexpr uint8_t kIirRxData = 0x04;
constexpr uint8_t kIirTimeout = 0x0C;
constexpr uint8_t kIirThre = 0x02;
constexpr uint8_t kIirModemStatus = 0x00;
constexpr uint8_t kIirFifosEnabled = 0xC0;

constexpr uint8_t kLcrBreak = 0x40;
constexpr uint8_t kLcrDlab = 0x80;

constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kMcrOut1 = 0x04;
constexpr uint8_t kMcrOut2 = 0x08;

constexpr uint8_t kLsrDr = 0x01;
constexpr uint8_t kLsrOe = 0x02;
constexpr uint8_t kLsrBi = 0x10;
constexpr uint8_t kLsrErrors = 0x1E;      // OE, PE, FE, BI
constexpr uint8_t kLsrCharErrors = 0x1C;  // PE, FE, BI: travel with a character
constexpr uint8_t kLsrThre = 0x20;
constexpr uint8_t kLsrTemt = 0x40;
constexpr uint8_t kLsrFifoError = 0x80;

constexpr uint8_t kMsrCts = 0x10;
constexpr uint8_t kMsrDsr = 0x20;
constexpr uint8_t kMsrRi = 0x40;
constexpr uint8_t kMsrDcd = 0x80;

// The character timeout fires after four character times (datasheet, FIFO
// Interrupt Mode Operation).
constexpr uint64_t kTimeoutFrames = 4;

std::string hex_name(uint16_t base) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "uart16550@0x%x", base);
  return buf;
}

}  // namespace

Uart16550::Uart16550(core::Machine& machine, uint16_t base_port, unsigned irq,
                     std::unique_ptr<SerialBackend> backend)
    : scheduler_(machine.scheduler()),
      clock_(machine.clock()),
      base_(base_port),
      name_(hex_name(base_port)),
      backend_(std::move(backend)),
      irq_(machine.irq_line(irq)) {
  if (!backend_) throw std::invalid_argument(name_ + ": no serial backend");
  ports_ = machine.ports().claim(base_port, 8, *this);
  reset();
}

Uart16550::~Uart16550() {
  disarm(tx_timer_);
  disarm(poll_timer_);
  disarm(timeout_timer_);
  disarm(break_timer_);
  backend_->flush();
}

void Uart16550::reset() {
  disarm(tx_timer_);
  disarm(timeout_timer_);
  disarm(break_timer_);
  ier_ = 0;
  fcr_ = 0;
  lcr_ = 0;
  mcr_ = 0;
  lsr_errors_ = 0;
  rx_fifo_.clear();
  tx_fifo_.clear();
  tsr_busy_ = false;
  thre_pending_ = false;
  timeout_pending_ = false;
  break_received_ = false;
  msr_ = modem_inputs();  // delta bits cleared, lines as they are
  if (backend_->has_input() && !poll_timer_.armed) arm(poll_timer_, TimerKind::kPoll, now_ns() + frame_time_ns());
  update_irq();
}

// ---------------------------------------------------------------------------
// Register access

uint32_t Uart16550::port_read(uint16_t port, unsigned size) {
  // An 8-bit device: a wider access reads consecutive registers.
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    unsigned offset = static_cast<unsigned>(port - base_) + i;
    uint32_t byte = offset < 8 ? read_register(offset) : 0xFF;
    value |= byte << (8 * i);
  }
  return value;
}

void Uart16550::port_write(uint16_t port, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    unsigned offset = static_cast<unsigned>(port - base_) + i;
    if (offset < 8) write_register(offset, static_cast<uint8_t>(value >> (8 * i)));
  }
}

uint8_t Uart16550::read_register(unsigned offset) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kRbrThr: return dlab ? dll_ : read_rbr();
    case kIer: return dlab ? dlm_ : ier_;
    case kIirFcr: {
      uint8_t iir = interrupt_id();
      // Reading IIR while it reports THRE clears that interrupt (Table IV).
      if ((iir & 0x0F) == kIirThre) {
        thre_pending_ = false;
        update_irq();
      }
      return iir;
    }
    case kLcr: return lcr_;
    case kMcr: return mcr_;
    case kLsr: {
      uint8_t lsr = line_status();
      lsr_errors_ = 0;  // OE, PE, FE, BI clear on read (and so does the RLS interrupt)
      update_irq();
      return lsr;
    }
    case kMsr: {
      uint8_t msr = msr_;
      msr_ &= 0xF0;  // delta bits clear on read (and so does the MS interrupt)
      update_irq();
      return msr;
    }
    case kScr: return scr_;
  }
  return 0xFF;
}

void Uart16550::write_register(unsigned offset, uint8_t value) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kRbrThr:
      if (dlab) {
        dll_ = value;
        retime_poll();
        return;
      }
      if (fifo_enabled()) {
        // A write to a full TX FIFO is lost (the datasheet leaves it undefined).
        if (tx_fifo_.size() < kFifoBytes) tx_fifo_.push_back(value);
      } else if (tx_fifo_.empty()) {
        tx_fifo_.push_back(value);
      } else {
        tx_fifo_.front() = value;  // 16450 mode: overwrites the holding register
      }
      thre_pending_ = false;  // writing THR clears the THRE interrupt
      start_transmit();
      update_irq();
      return;
    case kIer:
      if (dlab) {
        dlm_ = value;
        retime_poll();
        return;
      }
      // Enabling the THRE interrupt while THR is empty raises it at once.
      if ((value & kIerThre) && !(ier_ & kIerThre) && tx_fifo_.empty()) thre_pending_ = true;
      ier_ = value & 0x0F;
      update_irq();
      return;
    case kIirFcr: write_fcr(value); return;
    case kLcr: write_lcr(value); return;
    case kMcr: write_mcr(value); return;
    case kLsr:
    case kMsr:
      // Factory-test writes on the real chip; ignored here.
      return;
    case kScr: scr_ = value; return;
  }
}

uint8_t Uart16550::read_rbr() {
  if (rx_fifo_.empty()) return rbr_;
  rbr_ = static_cast<uint8_t>(rx_fifo_.front());
  rx_fifo_.pop_front();
  reveal_top_errors();
  // A read clears a pending timeout and restarts the timer.
  timeout_pending_ = false;
  restart_rx_timeout();
  update_irq();
  return rbr_;
}

void Uart16550::write_fcr(uint8_t value) {
  const bool enable = (value & 0x01) != 0;
  const bool tx_had_data = !tx_fifo_.empty();
  if (enable != fifo_enabled()) {
    // Changing FCR0 clears both FIFOs (datasheet, FCR bit 0).
    rx_fifo_.clear();
    tx_fifo_.clear();
  }
  if (!enable) {
    // The other bits are only programmed while FCR0 is (being) set.
    fcr_ = 0;
  } else {
    fcr_ = value & 0xC9;
    if (value & 0x02) rx_fifo_.clear();  // the shift registers are not touched
    if (value & 0x04) tx_fifo_.clear();
  }
  if (tx_had_data && tx_fifo_.empty()) thre_pending_ = true;
  if (rx_fifo_.empty()) timeout_pending_ = false;
  if (!fifo_enabled()) timeout_pending_ = false;
  restart_rx_timeout();
  update_irq();
}

void Uart16550::write_lcr(uint8_t value) {
  lcr_ = value;
  retime_poll();
  update_break_detector();
}

void Uart16550::write_mcr(uint8_t value) {
  mcr_ = value & 0x1F;
  update_modem_inputs();
  update_break_detector();
  update_irq();
}

// ---------------------------------------------------------------------------
// Status

uint8_t Uart16550::line_status() const {
  uint8_t lsr = lsr_errors_;
  if (!rx_fifo_.empty()) lsr |= kLsrDr;
  if (tx_fifo_.empty()) lsr |= kLsrThre;
  if (tx_fifo_.empty() && !tsr_busy_) lsr |= kLsrTemt;
  if (fifo_enabled()) {
    for (uint16_t entry : rx_fifo_) {
      if ((entry >> 8) & kLsrCharErrors) {
        lsr |= kLsrFifoError;
        break;
      }
    }
  }
  return lsr;
}

uint8_t Uart16550::rx_trigger_level() const {
  static constexpr uint8_t kLevels[4] = {1, 4, 8, 14};
  return kLevels[fcr_ >> 6];
}

uint8_t Uart16550::interrupt_id() const {
  uint8_t id = kIirNone;
  const bool rx_ready = fifo_enabled() ? rx_fifo_.size() >= rx_trigger_level() : !rx_fifo_.empty();
  if ((ier_ & kIerLineStatus) && (lsr_errors_ & kLsrErrors)) {
    id = kIirLineStatus;
  } else if ((ier_ & kIerRxData) && rx_ready) {
    id = kIirRxData;
  } else if ((ier_ & kIerRxData) && timeout_pending_) {
    id = kIirTimeout;
  } else if ((ier_ & kIerThre) && thre_pending_) {
    id = kIirThre;
  } else if ((ier_ & kIerModemStatus) && (msr_ & 0x0F)) {
    id = kIirModemStatus;
  }
  return static_cast<uint8_t>(id | (fifo_enabled() ? kIirFifosEnabled : 0));
}

void Uart16550::update_irq() {
  const bool intr = (interrupt_id() & 0x01) == 0;
  irq_.set(intr && (mcr_ & kMcrOut2) && !loopback());
}

uint8_t Uart16550::modem_inputs() const {
  if (!loopback()) return kMsrCts | kMsrDsr | kMsrDcd;
  uint8_t lines = 0;
  if (mcr_ & kMcrRts) lines |= kMsrCts;
  if (mcr_ & kMcrDtr) lines |= kMsrDsr;
  if (mcr_ & kMcrOut1) lines |= kMsrRi;
  if (mcr_ & kMcrOut2) lines |= kMsrDcd;
  return lines;
}

void Uart16550::update_modem_inputs() {
  const uint8_t now = modem_inputs();
  const uint8_t before = msr_ & 0xF0;
  const uint8_t changed = now ^ before;
  uint8_t deltas = msr_ & 0x0F;
  if (changed & kMsrCts) deltas |= 0x01;
  if (changed & kMsrDsr) deltas |= 0x02;
  if ((before & kMsrRi) && !(now & kMsrRi)) deltas |= 0x04;  // TERI: trailing edge only
  if (changed & kMsrDcd) deltas |= 0x08;
  msr_ = static_cast<uint8_t>(now | deltas);
}

// ---------------------------------------------------------------------------
// Receiver

bool Uart16550::rx_has_room() const {
  return fifo_enabled() ? rx_fifo_.size() < kFifoBytes : rx_fifo_.empty();
}

void Uart16550::receive(uint8_t byte, uint8_t error_bits) {
  const uint16_t entry = static_cast<uint16_t>((byte & word_mask()) | (error_bits << 8));
  ++rx_count_;
  if (fifo_enabled()) {
    if (rx_fifo_.size() >= kFifoBytes) {
      // The new character stays in the shift register and is overwritten;
      // the FIFO keeps its contents (datasheet, LSR bit 1).
      lsr_errors_ |= kLsrOe;
    } else {
      rx_fifo_.push_back(entry);
      if (rx_fifo_.size() == 1) reveal_top_errors();
    }
  } else if (!rx_fifo_.empty()) {
    // 16450 mode: the unread character in RBR is destroyed.
    rx_fifo_.front() = entry;
    lsr_errors_ |= kLsrOe;
    reveal_top_errors();
  } else {
    rx_fifo_.push_back(entry);
    reveal_top_errors();
  }
  restart_rx_timeout();
  update_irq();
}

// PE, FE and BI describe the character at the top of the FIFO; they are
// latched into LSR when it gets there.
void Uart16550::reveal_top_errors() {
  if (!rx_fifo_.empty()) lsr_errors_ |= static_cast<uint8_t>((rx_fifo_.front() >> 8) & kLsrCharErrors);
}

// The timeout timer runs while the FIFO holds data and restarts whenever a
// character enters or leaves it.
void Uart16550::restart_rx_timeout() {
  disarm(timeout_timer_);
  if (fifo_enabled() && !rx_fifo_.empty())
    arm(timeout_timer_, TimerKind::kTimeout, now_ns() + kTimeoutFrames * frame_time_ns());
}

void Uart16550::poll_backend() {
  // In loopback the receiver is cut off from the line (SIN); host bytes wait.
  if (!loopback() && rx_has_room()) {
    if (auto byte = backend_->poll_input()) receive(*byte, 0);
  }
  if (backend_->has_input()) arm(poll_timer_, TimerKind::kPoll, now_ns() + frame_time_ns());
}

// A new baud rate or frame format takes effect for the next poll: a poll
// that the old (slower) rate placed further out is brought forward.
void Uart16550::retime_poll() {
  const uint64_t next = now_ns() + frame_time_ns();
  if (poll_timer_.armed && poll_timer_.when_ns > next) arm(poll_timer_, TimerKind::kPoll, next);
}

// In loopback, the transmitter's break reaches the receiver; once the line
// has been spacing for a whole character the receiver loads one zero
// character with BI, then waits for the line to return to mark.
void Uart16550::update_break_detector() {
  const bool spacing = loopback() && (lcr_ & kLcrBreak);
  if (!spacing) {
    disarm(break_timer_);
    break_received_ = false;
  } else if (!break_timer_.armed && !break_received_) {
    arm(break_timer_, TimerKind::kBreak, now_ns() + frame_time_ns());
  }
}

void Uart16550::break_detected() {
  break_received_ = true;
  receive(0, kLsrBi);
}

// ---------------------------------------------------------------------------
// Transmitter

uint64_t Uart16550::frame_time_ns() const {
  uint64_t divisor = dll_ | (uint64_t{dlm_} << 8);
  // The datasheet leaves divisor 0 undefined; a divide-by-N counter loaded
  // with 0 counts 65536.
  if (divisor == 0) divisor = 65536;
  const uint64_t data_bits = 5 + (lcr_ & 3);
  const uint64_t parity_bits = (lcr_ >> 3) & 1;
  // Stop bits in halves: 1, or 1.5 with 5-bit words, or 2 (LCR bit 2).
  const uint64_t stop_halves = (lcr_ & 0x04) ? (data_bits == 5 ? 3 : 4) : 2;
  const uint64_t halves = 2 * (1 + data_bits + parity_bits) + stop_halves;
  const uint64_t denominator = 2ull * kBaudBase;
  return (halves * divisor * 1'000'000'000ull + denominator - 1) / denominator;
}

void Uart16550::start_transmit() {
  if (tsr_busy_ || tx_fifo_.empty()) return;
  tsr_ = tx_fifo_.front();
  tx_fifo_.pop_front();
  tsr_busy_ = true;
  if (tx_fifo_.empty()) thre_pending_ = true;
  arm(tx_timer_, TimerKind::kTx, now_ns() + frame_time_ns());
}

void Uart16550::transmit_done() {
  tsr_busy_ = false;
  const uint8_t byte = tsr_ & word_mask();
  ++tx_count_;
  // A break holds the line spacing: the character never reaches the peer.
  if (!(lcr_ & kLcrBreak)) {
    if (loopback()) {
      receive(byte, 0);
    } else {
      backend_->write(byte);
    }
  }
  start_transmit();
  if (!tsr_busy_) backend_->flush();  // transmitter idle: show what was sent
  update_irq();
}

void Uart16550::drain() {
  // What a real PC would still put on the wire after the CPU stopped.
  if (!(lcr_ & kLcrBreak) && !loopback()) {
    if (tsr_busy_) backend_->write(tsr_ & word_mask());
    for (uint8_t byte : tx_fifo_) backend_->write(byte & word_mask());
  }
  backend_->flush();
}

// ---------------------------------------------------------------------------
// Timers

Uart16550::Timer& Uart16550::timer(TimerKind kind) {
  switch (kind) {
    case TimerKind::kTx: return tx_timer_;
    case TimerKind::kPoll: return poll_timer_;
    case TimerKind::kTimeout: return timeout_timer_;
    case TimerKind::kBreak: return break_timer_;
  }
  return tx_timer_;
}

void Uart16550::arm(Timer& t, TimerKind kind, uint64_t when_ns) {
  disarm(t);
  t.when_ns = when_ns;
  t.armed = true;
  t.id = scheduler_.schedule_at(when_ns, [this, kind] { fire(kind); });
}

void Uart16550::disarm(Timer& t) {
  if (t.armed) scheduler_.cancel(t.id);
  t.armed = false;
}

// Inside an event the device's time is the event's due time, however late
// the scheduler ran it: chained events (the next frame, the next poll) stay
// on the exact baud-rate grid, so the timeline does not depend on how often
// the CPU loop stops to run events.
uint64_t Uart16550::now_ns() const { return in_event_ ? event_ns_ : clock_.now_ns(); }

void Uart16550::fire(TimerKind kind) {
  Timer& t = timer(kind);
  t.armed = false;
  in_event_ = true;
  event_ns_ = t.when_ns;
  run_timer(kind);
  in_event_ = false;
}

void Uart16550::run_timer(TimerKind kind) {
  switch (kind) {
    case TimerKind::kTx: transmit_done(); break;
    case TimerKind::kPoll: poll_backend(); break;
    case TimerKind::kTimeout:
      if (fifo_enabled() && !rx_fifo_.empty()) {
        timeout_pending_ = true;
        update_irq();
      }
      break;
    case TimerKind::kBreak: break_detected(); break;
  }
}

// ---------------------------------------------------------------------------
// Save / load

void Uart16550::save(core::StateNode& out) const {
  out.put("dll", dll_);
  out.put("dlm", dlm_);
  out.put("ier", ier_);
  out.put("fcr", fcr_);
  out.put("lcr", lcr_);
  out.put("mcr", mcr_);
  out.put("scr", scr_);
  out.put("msr", msr_);
  out.put("lsr_errors", lsr_errors_);
  out.put("rbr", rbr_);
  std::vector<uint8_t> rx;
  for (uint16_t entry : rx_fifo_) {
    rx.push_back(static_cast<uint8_t>(entry));
    rx.push_back(static_cast<uint8_t>(entry >> 8));
  }
  out.put_bytes("rx_fifo", rx);  // pairs: data, error bits
  out.put("timeout_pending", timeout_pending_);
  out.put("break_received", break_received_);
  out.put_bytes("tx_fifo", std::vector<uint8_t>(tx_fifo_.begin(), tx_fifo_.end()));
  out.put("tsr_busy", tsr_busy_);
  out.put("tsr", tsr_);
  out.put("thre_pending", thre_pending_);
  out.put("tx_count", tx_count_);
  out.put("rx_count", rx_count_);
  auto put_timer = [&out](const char* name, const Timer& t) {
    core::StateNode& node = out.child(name);
    node.put("armed", t.armed);
    node.put("when_ns", t.when_ns);
  };
  put_timer("tx_timer", tx_timer_);
  put_timer("poll_timer", poll_timer_);
  put_timer("timeout_timer", timeout_timer_);
  put_timer("break_timer", break_timer_);
}

void Uart16550::load(const core::StateNode& in) {
  auto byte = [&in, this](const char* field) {
    uint64_t v = in.get(field);
    if (v > 0xFF) throw core::StateError(name_ + ": field '" + field + "' out of range");
    return static_cast<uint8_t>(v);
  };
  dll_ = byte("dll");
  dlm_ = byte("dlm");
  ier_ = byte("ier") & 0x0F;
  fcr_ = byte("fcr") & 0xC9;
  lcr_ = byte("lcr");
  mcr_ = byte("mcr") & 0x1F;
  scr_ = byte("scr");
  msr_ = byte("msr");
  lsr_errors_ = byte("lsr_errors") & kLsrErrors;
  rbr_ = byte("rbr");
  const size_t capacity = fifo_enabled() ? kFifoBytes : 1;
  std::vector<uint8_t> rx = in.get_bytes("rx_fifo");
  if (rx.size() % 2 != 0 || rx.size() / 2 > capacity)
    throw core::StateError(name_ + ": rx_fifo holds " + std::to_string(rx.size()) + " bytes");
  rx_fifo_.clear();
  for (size_t i = 0; i < rx.size(); i += 2)
    rx_fifo_.push_back(static_cast<uint16_t>(rx[i] | ((rx[i + 1] & kLsrCharErrors) << 8)));
  timeout_pending_ = in.get("timeout_pending") != 0;
  break_received_ = in.get("break_received") != 0;
  std::vector<uint8_t> tx = in.get_bytes("tx_fifo");
  if (tx.size() > capacity)
    throw core::StateError(name_ + ": tx_fifo holds " + std::to_string(tx.size()) + " bytes");
  tx_fifo_.assign(tx.begin(), tx.end());
  tsr_busy_ = in.get("tsr_busy") != 0;
  tsr_ = byte("tsr");
  thre_pending_ = in.get("thre_pending") != 0;
  tx_count_ = in.get("tx_count");
  rx_count_ = in.get("rx_count");
  auto load_timer = [&in, this](const char* name, Timer& t, TimerKind kind) {
    const core::StateNode& node = in.get_child(name);
    disarm(t);
    if (node.get("armed") != 0) arm(t, kind, node.get("when_ns"));
  };
  load_timer("tx_timer", tx_timer_, TimerKind::kTx);
  load_timer("poll_timer", poll_timer_, TimerKind::kPoll);
  load_timer("timeout_timer", timeout_timer_, TimerKind::kTimeout);
  load_timer("break_timer", break_timer_, TimerKind::kBreak);
  if (tsr_busy_ != tx_timer_.armed)
    throw core::StateError(name_ + ": tsr_busy and tx_timer disagree");
  // The host side is not part of the snapshot: poll it if it can give input.
  if (backend_->has_input() && !poll_timer_.armed)
    arm(poll_timer_, TimerKind::kPoll, now_ns() + frame_time_ns());
  if (!backend_->has_input()) disarm(poll_timer_);
  update_irq();
}

}  // namespace tx86::devices
