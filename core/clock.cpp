#include "core/clock.h"

#include <algorithm>
#include <stdexcept>

namespace tx86::core {

Clock::Clock(uint64_t instructions_per_second) : ips_(instructions_per_second) {
  if (ips_ == 0) throw std::invalid_argument("instructions per second must be positive");
}

uint64_t Clock::ns_for_instructions(uint64_t n) const {
  // n * 1e9 / ips without overflow for any realistic n (128-bit intermediate).
  return static_cast<uint64_t>((static_cast<unsigned __int128>(n) * 1'000'000'000u) / ips_);
}

uint64_t Clock::instructions_for_ns(uint64_t ns) const {
  unsigned __int128 num = static_cast<unsigned __int128>(ns) * ips_;
  return static_cast<uint64_t>((num + 999'999'999u) / 1'000'000'000u);
}

void Clock::save(StateNode& out) const {
  out.put("instructions_per_second", ips_);
  out.put("retired", retired_);
}

void Clock::load(const StateNode& in) {
  uint64_t ips = in.get("instructions_per_second");
  if (ips == 0) throw StateError("clock: instructions_per_second is 0");
  ips_ = ips;
  retired_ = in.get("retired");
}

Scheduler::EventId Scheduler::schedule_at(uint64_t when_ns, Callback cb) {
  EventId id = next_id_++;
  events_.push_back(Event{when_ns, next_seq_++, id, std::move(cb)});
  recompute_next();
  return id;
}

void Scheduler::cancel(EventId id) {
  std::erase_if(events_, [id](const Event& e) { return e.id == id; });
  recompute_next();
}

bool Scheduler::pending(EventId id) const {
  return std::any_of(events_.begin(), events_.end(), [id](const Event& e) { return e.id == id; });
}

void Scheduler::run_due() {
  for (;;) {
    uint64_t now = clock_.now_ns();
    auto it = std::min_element(events_.begin(), events_.end(), [](const Event& a, const Event& b) {
      return a.when_ns != b.when_ns ? a.when_ns < b.when_ns : a.seq < b.seq;
    });
    if (it == events_.end() || it->when_ns > now) break;
    Callback cb = std::move(it->cb);
    events_.erase(it);
    recompute_next();
    cb();
  }
  recompute_next();
}

void Scheduler::recompute_next() {
  uint64_t best = UINT64_MAX;
  for (const Event& e : events_) best = std::min(best, e.when_ns);
  next_due_ = best == UINT64_MAX ? UINT64_MAX : clock_.instructions_for_ns(best);
}

}  // namespace tx86::core
