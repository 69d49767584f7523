#include "devices/pit8254.h"

#include "core/machine.h"

namespace tx86::devices {

namespace {

constexpr uint64_t kNever = UINT64_MAX;
// DRAM refresh request period programmed into counter 1 by every AT BIOS
// (count 18): what port 0x61 bit 4 toggles with.
constexpr uint64_t kRefreshNs = 15'085;

uint16_t to_bcd(uint32_t v) {
  return static_cast<uint16_t>((v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000 % 10) << 12));
}

struct SegmentView {
  uint8_t mode;
  uint32_t value;
  bool phase_low;
  bool done;
};

// OUT of a counting element `e` ticks after it was loaded.
bool segment_out(const SegmentView& s, uint64_t e) {
  const uint64_t n = s.value;
  switch (s.mode) {
    case 0:
    case 1: return s.done || e >= n;
    case 4:
    case 5: return s.done || e != n;
    case 2: return (e % n) != n - 1;  // low for the one CLK with count 1
    default: {                        // 3: high for ceil(N/2), low for floor(N/2)
      const uint64_t high = (n + 1) / 2;
      const uint64_t phase = (e + (s.phase_low ? high : 0)) % n;
      return phase < high;
    }
  }
}

// First offset after `e` at which OUT changes; kNever if it never does.
uint64_t segment_next(const SegmentView& s, uint64_t e) {
  const uint64_t n = s.value;
  switch (s.mode) {
    case 0:
    case 1: return (!s.done && e < n) ? n : kNever;
    case 4:
    case 5:
      if (s.done || e > n) return kNever;
      return e < n ? n : n + 1;
    case 2: {
      if (n <= 1) return kNever;  // count 1 is illegal in mode 2: OUT stays low
      const uint64_t r = e % n;
      return e - r + (r < n - 1 ? n - 1 : n);
    }
    default: {
      const uint64_t high = (n + 1) / 2;
      if (n / 2 == 0) return kNever;  // count 1: OUT stays high
      const uint64_t phase = (e + (s.phase_low ? high : 0)) % n;
      return e + (phase < high ? high - phase : n - phase);
    }
  }
}

// The counting element's binary value `e` ticks after loading.
uint32_t segment_element(const SegmentView& s, uint64_t e, uint32_t modulus) {
  const uint64_t n = s.value;
  uint64_t v;
  switch (s.mode) {
    case 2: v = n - e % n; break;
    case 3: {
      // Counts down by two; an odd count loses its low bit (datasheet, mode 3).
      const uint64_t high = (n + 1) / 2;
      const uint64_t phase = (e + (s.phase_low ? high : 0)) % n;
      v = (n & ~uint64_t{1}) - 2 * (phase < high ? phase : phase - high);
      break;
    }
    default: v = (n + modulus - e % modulus) % modulus; break;
  }
  return static_cast<uint32_t>(v % modulus);
}

}  // namespace

uint64_t Pit8254::tick_at(uint64_t ns) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * kClockHz / 1'000'000'000u);
}

uint64_t Pit8254::ns_of_tick(uint64_t tick) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(tick) * 1'000'000'000u + kClockHz - 1) / kClockHz);
}

Pit8254::Pit8254(core::Machine& machine)
    : scheduler_(machine.scheduler()), clock_(machine.clock()), irq0_(machine.irq_line(0)) {
  pit_ports_ = machine.ports().claim(0x40, 4, *this);
  port61_reg_ = machine.ports().claim(0x61, 1, *this);
  reset();
}

Pit8254::~Pit8254() {
  if (event_armed_) scheduler_.cancel(event_id_);
}

void Pit8254::reset() {
  // The chip's power-on state is undefined; tx86 starts every counter as if
  // control word "LSB then MSB, mode 0, binary" had just been written: idle,
  // waiting for a count. Gates 0 and 1 are tied high; gate 2 follows port
  // 0x61, which resets to 0.
  port61_ = 0;
  for (int c = 0; c < 3; ++c) {
    counters_[c] = Counter{};
    counters_[c].gate = c != 2;
    write_control(static_cast<uint8_t>((c << 6) | 0x30));
  }
  update_irq0();
}

uint64_t Pit8254::now_tick() const { return in_event_ ? event_tick_ : tick_at(clock_.now_ns()); }

uint32_t Pit8254::count_value(const Counter& k) const {
  uint32_t n = k.cr;
  if (k.bcd) {
    n = (k.cr & 0xF) + ((k.cr >> 4) & 0xF) * 10 + ((k.cr >> 8) & 0xF) * 100 + ((k.cr >> 12) & 0xF) * 1000;
    n %= 10000;
  }
  return n == 0 ? modulus(k) : n;
}

// Promotes a pending count (modes 2, 3) once its period has begun.
void Pit8254::sync(int c, uint64_t tick) {
  Counter& k = counters_[c];
  if (k.run == Run::kCounting && k.has_next && tick >= k.next.start) {
    k.seg = k.next;
    k.has_next = false;
  }
  if (k.run == Run::kCounting && !k.has_next && tick >= k.seg.start) k.null_count = false;
}

uint32_t Pit8254::element(int c, uint64_t tick) {
  sync(c, tick);
  const Counter& k = counters_[c];
  if (k.run != Run::kCounting || tick < k.seg.start) return k.frozen % modulus(k);
  const SegmentView s{k.mode, k.seg.value, k.seg.phase_low, k.seg.done};
  return segment_element(s, tick - k.seg.start, modulus(k));
}

bool Pit8254::out_at(int c, uint64_t tick) {
  sync(c, tick);
  const Counter& k = counters_[c];
  if (k.run != Run::kCounting || tick < k.seg.start) return k.idle_out;
  const SegmentView s{k.mode, k.seg.value, k.seg.phase_low, k.seg.done};
  return segment_out(s, tick - k.seg.start);
}

bool Pit8254::out(int c) { return out_at(c, now_tick()); }

uint64_t Pit8254::next_change(int c, uint64_t tick) {
  sync(c, tick);
  const Counter& k = counters_[c];
  if (k.run != Run::kCounting) return kNever;
  const bool current = out_at(c, tick);
  const SegmentView seg{k.mode, k.seg.value, k.seg.phase_low, k.seg.done};
  uint64_t candidate;
  if (tick < k.seg.start) {
    if (segment_out(seg, 0) != current) return k.seg.start;
    const uint64_t off = segment_next(seg, 0);
    candidate = off == kNever ? kNever : k.seg.start + off;
  } else {
    const uint64_t off = segment_next(seg, tick - k.seg.start);
    candidate = off == kNever ? kNever : k.seg.start + off;
  }
  if (k.has_next && candidate >= k.next.start) {
    const SegmentView next{k.mode, k.next.value, k.next.phase_low, k.next.done};
    if (segment_out(next, 0) != current) return k.next.start;
    const uint64_t off = segment_next(next, 0);
    return off == kNever ? kNever : k.next.start + off;
  }
  return candidate;
}

// ---------------------------------------------------------------------------
// Programming

void Pit8254::write_control(uint8_t value) {
  const int sc = value >> 6;
  if (sc == 3) {
    // Read-back command: bit 5 = 0 latches counts, bit 4 = 0 latches status.
    for (int c = 0; c < 3; ++c) {
      if (!(value & (2 << c))) continue;
      if (!(value & 0x20)) latch_count(c);
      Counter& k = counters_[c];
      if (!(value & 0x10) && !k.status_latched) {
        const uint64_t t = now_tick();
        const bool out_now = out_at(c, t);  // also syncs the null-count flag
        k.status = static_cast<uint8_t>((out_now ? 0x80 : 0) | (k.null_count ? 0x40 : 0) | k.control);
        k.status_latched = true;
      }
    }
    return;
  }
  const uint8_t rw = (value >> 4) & 3;
  if (rw == 0) {
    latch_count(sc);
    return;
  }
  Counter& k = counters_[sc];
  const uint64_t t = now_tick();
  k.frozen = element(sc, t);  // the element keeps its (now meaningless) value
  k.control = value & 0x3F;
  k.rw = rw;
  k.mode = (value >> 1) & 7;
  if (k.mode > 5) k.mode -= 4;  // 6 and 7 are aliases of 2 and 3
  k.bcd = (value & 1) != 0;
  k.write_msb_next = false;
  k.read_msb_next = false;
  k.count_latched = false;
  k.null_count = true;
  k.count_written = false;
  k.has_next = false;
  k.run = Run::kIdle;
  // A control word sets OUT: low in mode 0, high in the others.
  k.idle_out = k.mode != 0;
  if (sc == 0) update_irq0();
}

void Pit8254::latch_count(int c) {
  Counter& k = counters_[c];
  if (k.count_latched) return;  // a second latch before the read is ignored
  const uint32_t v = element(c, now_tick());
  k.latch = k.bcd ? to_bcd(v) : static_cast<uint16_t>(v);
  k.count_latched = true;
}

void Pit8254::write_counter(int c, uint8_t value) {
  Counter& k = counters_[c];
  switch (k.rw) {
    case 1: k.cr = value; break;
    case 2: k.cr = static_cast<uint16_t>(value << 8); break;
    default:
      if (!k.write_msb_next) {
        k.write_lsb = value;
        k.write_msb_next = true;
        // Mode 0: writing the first byte stops the count and drops OUT.
        if (k.mode == 0 && k.run != Run::kIdle) {
          k.frozen = element(c, now_tick());
          k.run = Run::kIdle;
          k.idle_out = false;
          if (c == 0) update_irq0();
        }
        return;
      }
      k.cr = static_cast<uint16_t>(k.write_lsb | (value << 8));
      k.write_msb_next = false;
      break;
  }
  load_count(c);
}

void Pit8254::load_count(int c) {
  Counter& k = counters_[c];
  const uint64_t t = now_tick();
  sync(c, t);
  const uint32_t n = count_value(k);
  k.null_count = true;
  k.count_written = true;
  switch (k.mode) {
    case 0:
    case 4:
      // Loaded on the next CLK; counting needs the gate high.
      k.idle_out = k.mode == 4;
      k.seg = Segment{t + 1, n, false, false};
      k.has_next = false;
      if (k.gate) {
        k.run = Run::kCounting;
      } else {
        k.run = Run::kFrozen;
        k.frozen = n % modulus(k);
        k.null_count = false;
      }
      break;
    case 1:
    case 5:
      break;  // used at the next gate trigger
    default:  // 2, 3
      if (k.run == Run::kCounting && t >= k.seg.start) {
        // The running period (mode 2) or half period (mode 3) finishes first.
        const uint64_t e = t - k.seg.start;
        const uint64_t old = k.seg.value;
        Segment next{0, n, false, false};
        if (k.mode == 2) {
          next.start = k.seg.start + e - e % old + old;
        } else {
          const uint64_t high = (old + 1) / 2;
          const uint64_t phase = (e + (k.seg.phase_low ? high : 0)) % old;
          next.start = t + (phase < high ? high - phase : old - phase);
          next.phase_low = phase < high;
        }
        k.next = next;
        k.has_next = true;
      } else if (k.gate) {
        k.seg = Segment{t + 1, n, false, false};
        k.has_next = false;
        k.run = Run::kCounting;
        k.idle_out = true;
      }
      break;
  }
  if (c == 0) update_irq0();
}

void Pit8254::set_gate(int c, bool level) {
  Counter& k = counters_[c];
  if (level == k.gate) return;
  const uint64_t t = now_tick();
  sync(c, t);
  k.gate = level;
  if (!level) {
    if (k.run == Run::kCounting && (k.mode == 0 || k.mode == 4 || k.mode == 2 || k.mode == 3)) {
      const bool out_now = out_at(c, t);
      k.frozen = element(c, t);
      if (k.mode == 0) k.seg.done = out_now;
      if (k.mode == 4) k.seg.done = k.seg.done || (t >= k.seg.start && t - k.seg.start >= k.seg.value);
      // Gate low forces OUT high in modes 2 and 3 and freezes it otherwise.
      k.idle_out = (k.mode == 2 || k.mode == 3) ? true : out_now;
      k.run = Run::kFrozen;
      k.has_next = false;
    }
  } else {
    switch (k.mode) {
      case 0:
      case 4:
        if (k.run == Run::kFrozen) {
          const uint32_t v = k.frozen == 0 ? modulus(k) : k.frozen;
          k.seg = Segment{t, v, false, k.seg.done};
          k.run = Run::kCounting;
        }
        break;
      default:  // 1, 2, 3, 5: the rising edge (re)loads the count on the next CLK
        if (k.count_written) {
          k.seg = Segment{t + 1, count_value(k), false, false};
          k.has_next = false;
          k.run = Run::kCounting;
          k.idle_out = true;
        }
        break;
    }
  }
  if (c == 0) update_irq0();
}

uint8_t Pit8254::read_counter(int c) {
  Counter& k = counters_[c];
  if (k.status_latched) {
    k.status_latched = false;
    return k.status;
  }
  uint16_t v;
  if (k.count_latched) {
    v = k.latch;
  } else {
    const uint32_t e = element(c, now_tick());
    v = k.bcd ? to_bcd(e) : static_cast<uint16_t>(e);
  }
  uint8_t byte;
  bool finished = true;
  switch (k.rw) {
    case 1: byte = static_cast<uint8_t>(v); break;
    case 2: byte = static_cast<uint8_t>(v >> 8); break;
    default:
      byte = k.read_msb_next ? static_cast<uint8_t>(v >> 8) : static_cast<uint8_t>(v);
      k.read_msb_next = !k.read_msb_next;
      finished = !k.read_msb_next;
      break;
  }
  if (finished) k.count_latched = false;
  return byte;
}

// ---------------------------------------------------------------------------
// Ports and IRQ0

uint32_t Pit8254::port_read(uint16_t port, unsigned size) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = static_cast<uint16_t>(port + i);
    uint8_t byte = 0xFF;  // 0x43 is write-only: the bus floats
    if (p >= 0x40 && p <= 0x42) {
      byte = read_counter(p - 0x40);
    } else if (p == 0x61) {
      byte = port61_ & 0x0F;
      if ((clock_.now_ns() / kRefreshNs) & 1) byte |= 0x10;
      if (out(2)) byte |= 0x20;
    }
    value |= uint32_t{byte} << (8 * i);
  }
  return value;
}

void Pit8254::port_write(uint16_t port, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = static_cast<uint16_t>(port + i);
    const uint8_t byte = static_cast<uint8_t>(value >> (8 * i));
    if (p >= 0x40 && p <= 0x42) {
      write_counter(p - 0x40, byte);
    } else if (p == 0x43) {
      write_control(byte);
    } else if (p == 0x61) {
      port61_ = byte & 0x0F;
      set_gate(2, (byte & 1) != 0);
    }
  }
}

void Pit8254::update_irq0() {
  const uint64_t t = now_tick();
  irq0_.set(out_at(0, t));
  if (event_armed_) scheduler_.cancel(event_id_);
  event_armed_ = false;
  const uint64_t next = next_change(0, t);
  if (next == kNever) return;
  event_armed_ = true;
  event_tick_ = next;
  event_id_ = scheduler_.schedule_at(ns_of_tick(next), [this] { on_irq0_event(); });
}

// Runs at the tick OUT0 changes, however late the scheduler got to it, so
// the IRQ0 edges stay on the 1.193182 MHz grid.
void Pit8254::on_irq0_event() {
  event_armed_ = false;
  in_event_ = true;
  update_irq0();
  in_event_ = false;
}

// ---------------------------------------------------------------------------
// Save / load

void Pit8254::save(core::StateNode& out) const {
  out.put("port61", port61_);
  static constexpr const char* kNames[3] = {"counter0", "counter1", "counter2"};
  for (int c = 0; c < 3; ++c) {
    const Counter& k = counters_[c];
    core::StateNode& n = out.child(kNames[c]);
    n.put("control", k.control);
    n.put("cr", k.cr);
    n.put("write_msb_next", k.write_msb_next);
    n.put("write_lsb", k.write_lsb);
    n.put("read_msb_next", k.read_msb_next);
    n.put("count_latched", k.count_latched);
    n.put("latch", k.latch);
    n.put("status_latched", k.status_latched);
    n.put("status", k.status);
    n.put("null_count", k.null_count);
    n.put("count_written", k.count_written);
    n.put("gate", k.gate);
    n.put("run", static_cast<uint64_t>(k.run));
    n.put("idle_out", k.idle_out);
    n.put("frozen", k.frozen);
    n.put("has_next", k.has_next);
    for (const auto& [name, s] : {std::pair{"seg", &k.seg}, std::pair{"next", &k.next}}) {
      core::StateNode& sn = n.child(name);
      sn.put("start", s->start);
      sn.put("value", s->value);
      sn.put("phase_low", s->phase_low);
      sn.put("done", s->done);
    }
  }
}

void Pit8254::load(const core::StateNode& in) {
  static constexpr const char* kNames[3] = {"counter0", "counter1", "counter2"};
  std::array<Counter, 3> loaded;
  for (int c = 0; c < 3; ++c) {
    const core::StateNode& n = in.get_child(kNames[c]);
    Counter& k = loaded[c];
    auto bounded = [&n, c](const char* field, uint64_t max) {
      const uint64_t v = n.get(field);
      if (v > max)
        throw core::StateError("pit8254: counter" + std::to_string(c) + " field '" + field + "' out of range");
      return v;
    };
    k.control = static_cast<uint8_t>(bounded("control", 0x3F));
    k.rw = (k.control >> 4) & 3;
    if (k.rw == 0) throw core::StateError("pit8254: counter" + std::to_string(c) + " has no access mode");
    k.mode = (k.control >> 1) & 7;
    if (k.mode > 5) k.mode -= 4;
    k.bcd = (k.control & 1) != 0;
    k.cr = static_cast<uint16_t>(bounded("cr", 0xFFFF));
    k.write_msb_next = n.get("write_msb_next") != 0;
    k.write_lsb = static_cast<uint8_t>(bounded("write_lsb", 0xFF));
    k.read_msb_next = n.get("read_msb_next") != 0;
    k.count_latched = n.get("count_latched") != 0;
    k.latch = static_cast<uint16_t>(bounded("latch", 0xFFFF));
    k.status_latched = n.get("status_latched") != 0;
    k.status = static_cast<uint8_t>(bounded("status", 0xFF));
    k.null_count = n.get("null_count") != 0;
    k.count_written = n.get("count_written") != 0;
    k.gate = n.get("gate") != 0;
    k.run = static_cast<Run>(bounded("run", 2));
    k.idle_out = n.get("idle_out") != 0;
    k.frozen = static_cast<uint32_t>(bounded("frozen", 0x10000));
    k.has_next = n.get("has_next") != 0;
    for (const auto& [name, s] : {std::pair{"seg", &k.seg}, std::pair{"next", &k.next}}) {
      const core::StateNode& sn = n.get_child(name);
      s->start = sn.get("start");
      s->value = static_cast<uint32_t>(sn.get("value"));
      if (s->value == 0 || s->value > 0x10000)
        throw core::StateError("pit8254: counter" + std::to_string(c) + " " + name + " count out of range");
      s->phase_low = sn.get("phase_low") != 0;
      s->done = sn.get("done") != 0;
    }
  }
  const uint64_t port61 = in.get("port61");
  if (port61 > 0x0F) throw core::StateError("pit8254: field 'port61' out of range");
  counters_ = loaded;
  port61_ = static_cast<uint8_t>(port61);
  update_irq0();
}

}  // namespace tx86::devices
