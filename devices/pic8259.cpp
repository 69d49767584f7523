#include "devices/pic8259.h"

#include <cassert>

namespace tx86::devices {

namespace {

constexpr int kMaster = 0;
constexpr int kSlave = 1;
constexpr unsigned kCascadeIr = 2;  // the slave's INT goes to the master's IR2 on the AT

// Position of the first set bit of `mask` in the rotated priority order that
// starts at IR `priority_add` (0 = highest priority); 8 if none.
int priority_of(uint8_t mask, uint8_t priority_add) {
  for (int p = 0; p < 8; ++p)
    if (mask & (1u << ((p + priority_add) & 7))) return p;
  return 8;
}

}  // namespace

Pic8259::Pic8259(core::Machine& machine) : machine_(machine) {
  chips_[kMaster].elcr_mask = 0xF8;  // IRQ0-2 are always edge
  chips_[kSlave].elcr_mask = 0xDE;   // IRQ8 and IRQ13 are always edge
  reset();
  master_ports_ = machine.ports().claim(0x20, 2, *this);
  slave_ports_ = machine.ports().claim(0xA0, 2, *this);
  elcr_ports_ = machine.ports().claim(0x4D0, 2, *this);
  machine.set_interrupt_controller(this);
}

Pic8259::~Pic8259() {
  if (machine_.interrupt_controller() == this) machine_.set_interrupt_controller(nullptr);
}

void Pic8259::reset() {
  // The state an AT BIOS leaves behind (the chip's own power-on state is
  // undefined): vectors 08h and 70h, the slave on IR2, 8086 mode, nothing
  // masked, everything edge-triggered. Input lines keep their levels.
  for (int c = 0; c < 2; ++c) {
    Chip& ch = chips_[c];
    const uint8_t lines = ch.lines;
    const uint8_t elcr_mask = ch.elcr_mask;
    ch = Chip{};
    ch.lines = lines;
    ch.elcr_mask = elcr_mask;
    ch.vector_base = c == kMaster ? 0x08 : 0x70;
    ch.icw3 = c == kMaster ? 0x04 : 0x02;
    ch.need_icw4 = true;
  }
  update_cascade();
}

// ---------------------------------------------------------------------------
// Interrupt lines and INTA

void Pic8259::set_irq(unsigned line, bool level) {
  assert(line < 16);
  // The ISA bus's IRQ2 pin is wired to the slave's IR1 (IRQ9) on the AT.
  if (line == 2) line = 9;
  set_chip_input(line < 8 ? kMaster : kSlave, line & 7, level);
  update_cascade();
}

void Pic8259::set_chip_input(int c, unsigned ir, bool level) {
  Chip& ch = chips_[c];
  const uint8_t mask = static_cast<uint8_t>(1u << ir);
  const bool was = (ch.lines & mask) != 0;
  ch.lines = level ? (ch.lines | mask) : (ch.lines & ~mask);
  if (is_level(ch, ir)) {
    ch.irr = level ? (ch.irr | mask) : (ch.irr & ~mask);
  } else if (level && !was) {
    ch.irr |= mask;  // rising edge
  } else if (!level) {
    ch.irr &= ~mask;  // withdrawn before INTA: the request is gone
  }
}

// The slave's INT output drives the master's IR2.
void Pic8259::update_cascade() { set_chip_input(kMaster, kCascadeIr, pending_ir(kSlave) >= 0); }

int Pic8259::pending_ir(int c) const {
  const Chip& ch = chips_[c];
  const uint8_t requests = ch.irr & ~ch.imr;
  const int p_req = priority_of(requests, ch.priority_add);
  if (p_req == 8) return -1;
  // In special mask mode a masked level does not block the others (OCW3).
  const uint8_t blocking = ch.special_mask ? (ch.isr & ~ch.imr) : ch.isr;
  const int p_cur = priority_of(blocking, ch.priority_add);
  const int ir = (p_req + ch.priority_add) & 7;
  if (p_req < p_cur) return ir;
  // Special fully nested mode (ICW4.SFNM): a slave in service does not lock
  // out further, higher-priority requests from the same slave.
  if (c == kMaster && ch.special_nested && p_req == p_cur && ir == static_cast<int>(kCascadeIr)) return ir;
  return -1;
}

int Pic8259::highest_in_service(const Chip& ch) const {
  const int p = priority_of(ch.isr, ch.priority_add);
  return p == 8 ? -1 : (p + ch.priority_add) & 7;
}

void Pic8259::take(int c, int ir) {
  Chip& ch = chips_[c];
  const uint8_t mask = static_cast<uint8_t>(1u << ir);
  // An edge request is consumed; a level request stays while the line is high.
  if (!is_level(ch, static_cast<unsigned>(ir))) ch.irr &= ~mask;
  if (ch.auto_eoi) {
    if (ch.rotate_on_aeoi) ch.priority_add = static_cast<uint8_t>((ir + 1) & 7);
  } else {
    ch.isr |= mask;
  }
}

bool Pic8259::interrupt_pending() const { return pending_ir(kMaster) >= 0; }

uint8_t Pic8259::acknowledge() {
  Chip& master = chips_[kMaster];
  const int ir = pending_ir(kMaster);
  if (ir < 0) return static_cast<uint8_t>(master.vector_base | 7);  // spurious IRQ7, no ISR bit
  take(kMaster, ir);
  uint8_t vector;
  if (static_cast<unsigned>(ir) == kCascadeIr && !master.single && (master.icw3 & (1u << kCascadeIr))) {
    const int sir = pending_ir(kSlave);
    if (sir < 0) {
      // Spurious IRQ15: the master's ISR2 is set, the slave's is not.
      vector = static_cast<uint8_t>(chips_[kSlave].vector_base | 7);
    } else {
      take(kSlave, sir);
      vector = static_cast<uint8_t>(chips_[kSlave].vector_base | sir);
    }
  } else {
    vector = static_cast<uint8_t>(master.vector_base | ir);
  }
  update_cascade();
  return vector;
}

// ---------------------------------------------------------------------------
// Ports

uint32_t Pic8259::port_read(uint16_t port, unsigned size) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = static_cast<uint16_t>(port + i);
    uint8_t byte = 0xFF;
    if (p == 0x20 || p == 0x21) byte = read_chip(kMaster, p & 1);
    else if (p == 0xA0 || p == 0xA1) byte = read_chip(kSlave, p & 1);
    else if (p == 0x4D0 || p == 0x4D1) byte = chips_[p & 1].elcr;
    value |= uint32_t{byte} << (8 * i);
  }
  return value;
}

void Pic8259::port_write(uint16_t port, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = static_cast<uint16_t>(port + i);
    const uint8_t byte = static_cast<uint8_t>(value >> (8 * i));
    if (p == 0x20 || p == 0x21) {
      write_chip(kMaster, p & 1, byte);
    } else if (p == 0xA0 || p == 0xA1) {
      write_chip(kSlave, p & 1, byte);
    } else if (p == 0x4D0 || p == 0x4D1) {
      Chip& ch = chips_[p & 1];
      ch.elcr = byte & ch.elcr_mask;
      // A line that became level-triggered requests as long as it is high.
      for (unsigned ir = 0; ir < 8; ++ir)
        if (is_level(ch, ir)) ch.irr = (ch.irr & ~(1u << ir)) | (ch.lines & (1u << ir));
    }
    update_cascade();
  }
}

uint8_t Pic8259::read_chip(int c, bool port_b) {
  Chip& ch = chips_[c];
  if (port_b) return ch.imr;
  if (ch.poll) return poll_command(c);
  return ch.read_isr ? ch.isr : ch.irr;
}

// OCW3 poll: the read is an INTA without the vector (datasheet, "The Poll
// Command"): bit 7 says whether a request is there, bits 2-0 which.
uint8_t Pic8259::poll_command(int c) {
  chips_[c].poll = false;
  const int ir = pending_ir(c);
  if (ir < 0) return 0x00;
  take(c, ir);
  update_cascade();
  return static_cast<uint8_t>(0x80 | ir);
}

void Pic8259::write_chip(int c, bool port_b, uint8_t value) {
  Chip& ch = chips_[c];
  if (!port_b) {
    if (value & 0x10) {
      write_icw1(ch, value);
    } else if (value & 0x08) {  // OCW3
      if (value & 0x04) ch.poll = true;
      if (value & 0x02) ch.read_isr = (value & 0x01) != 0;
      if (value & 0x40) ch.special_mask = (value & 0x20) != 0;
    } else {
      write_ocw2(ch, value);
    }
    return;
  }
  switch (ch.init_step) {
    case 2:  // ICW2: vector base (T7-T3 in 8086 mode)
      ch.vector_base = value & 0xF8;
      ch.init_step = ch.single ? (ch.need_icw4 ? 4 : 0) : 3;
      break;
    case 3:  // ICW3: slave bitmap (master) or slave ID
      ch.icw3 = value;
      ch.init_step = ch.need_icw4 ? 4 : 0;
      break;
    case 4:  // ICW4
      ch.x86_mode = (value & 0x01) != 0;
      ch.auto_eoi = (value & 0x02) != 0;
      ch.special_nested = (value & 0x10) != 0;
      ch.init_step = 0;
      break;
    default:  // OCW1
      ch.imr = value;
      return;
  }
  if (ch.init_step == 0 && !ch.x86_mode)
    machine_.log_once("pic8259-mcs80", "8259: MCS-80/85 mode (ICW4 missing or uPM=0) is not supported; "
                                       "delivering 8086 vectors");
}

// ICW1 starts the initialization sequence (datasheet, "Initialization
// Command Words"): IMR and ISR cleared, IR7 lowest priority, special mask
// mode off, IRR selected for reading, and the edge-sense latches reset, so
// an edge-triggered input must go low and high again to request.
void Pic8259::write_icw1(Chip& ch, uint8_t value) {
  ch.level_mode = (value & 0x08) != 0;
  ch.single = (value & 0x02) != 0;
  ch.need_icw4 = (value & 0x01) != 0;
  ch.init_step = 2;
  ch.imr = 0;
  ch.isr = 0;
  uint8_t level_lines = 0;
  for (unsigned ir = 0; ir < 8; ++ir)
    if (is_level(ch, ir)) level_lines |= static_cast<uint8_t>(1u << ir);
  ch.irr = ch.lines & level_lines;
  ch.priority_add = 0;
  ch.special_mask = false;
  ch.read_isr = false;
  ch.poll = false;
  // Without ICW4 its functions are all zero.
  ch.x86_mode = false;
  ch.auto_eoi = false;
  ch.rotate_on_aeoi = false;
  ch.special_nested = false;
}

// OCW2: R, SL, EOI in bits 7-5, the level in bits 2-0.
void Pic8259::write_ocw2(Chip& ch, uint8_t value) {
  const unsigned level = value & 7;
  switch (value >> 5) {
    case 0: ch.rotate_on_aeoi = false; break;
    case 4: ch.rotate_on_aeoi = true; break;
    case 1:    // non-specific EOI
    case 5: {  // rotate on non-specific EOI
      const int ir = highest_in_service(ch);
      if (ir < 0) break;
      ch.isr &= static_cast<uint8_t>(~(1u << ir));
      if ((value >> 5) == 5) ch.priority_add = static_cast<uint8_t>((ir + 1) & 7);
      break;
    }
    case 3: ch.isr &= static_cast<uint8_t>(~(1u << level)); break;  // specific EOI
    case 7:                                                          // rotate on specific EOI
      ch.isr &= static_cast<uint8_t>(~(1u << level));
      ch.priority_add = static_cast<uint8_t>((level + 1) & 7);
      break;
    case 6: ch.priority_add = static_cast<uint8_t>((level + 1) & 7); break;  // set priority
    case 2: break;                                                         // no operation
  }
}

// ---------------------------------------------------------------------------
// Save / load

void Pic8259::save(core::StateNode& out) const {
  for (int c = 0; c < 2; ++c) {
    const Chip& ch = chips_[c];
    core::StateNode& n = out.child(c == kMaster ? "master" : "slave");
    n.put("irr", ch.irr);
    n.put("isr", ch.isr);
    n.put("imr", ch.imr);
    n.put("lines", ch.lines);
    n.put("elcr", ch.elcr);
    n.put("vector_base", ch.vector_base);
    n.put("icw3", ch.icw3);
    n.put("priority_add", ch.priority_add);
    n.put("init_step", ch.init_step);
    n.put("level_mode", ch.level_mode);
    n.put("single", ch.single);
    n.put("need_icw4", ch.need_icw4);
    n.put("x86_mode", ch.x86_mode);
    n.put("auto_eoi", ch.auto_eoi);
    n.put("rotate_on_aeoi", ch.rotate_on_aeoi);
    n.put("special_nested", ch.special_nested);
    n.put("special_mask", ch.special_mask);
    n.put("read_isr", ch.read_isr);
    n.put("poll", ch.poll);
  }
}

void Pic8259::load(const core::StateNode& in) {
  std::array<Chip, 2> loaded = chips_;
  for (int c = 0; c < 2; ++c) {
    const core::StateNode& n = in.get_child(c == kMaster ? "master" : "slave");
    Chip& ch = loaded[c];
    auto byte = [&n](const char* field) {
      uint64_t v = n.get(field);
      if (v > 0xFF) throw core::StateError(std::string("pic8259: field '") + field + "' out of range");
      return static_cast<uint8_t>(v);
    };
    ch.irr = byte("irr");
    ch.isr = byte("isr");
    ch.imr = byte("imr");
    ch.lines = byte("lines");
    ch.elcr = byte("elcr") & ch.elcr_mask;
    ch.vector_base = byte("vector_base") & 0xF8;
    ch.icw3 = byte("icw3");
    ch.priority_add = byte("priority_add") & 7;
    ch.init_step = byte("init_step");
    if (ch.init_step != 0 && (ch.init_step < 2 || ch.init_step > 4))
      throw core::StateError("pic8259: init_step " + std::to_string(ch.init_step) + " is not 0, 2, 3 or 4");
    ch.level_mode = n.get("level_mode") != 0;
    ch.single = n.get("single") != 0;
    ch.need_icw4 = n.get("need_icw4") != 0;
    ch.x86_mode = n.get("x86_mode") != 0;
    ch.auto_eoi = n.get("auto_eoi") != 0;
    ch.rotate_on_aeoi = n.get("rotate_on_aeoi") != 0;
    ch.special_nested = n.get("special_nested") != 0;
    ch.special_mask = n.get("special_mask") != 0;
    ch.read_isr = n.get("read_isr") != 0;
    ch.poll = n.get("poll") != 0;
  }
  chips_ = loaded;
}

}  // namespace tx86::devices
