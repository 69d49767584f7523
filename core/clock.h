// Deterministic virtual time (DESIGN.md §7) and the event scheduler.
//
// The clock counts retired guest instructions; virtual nanoseconds are
// derived from that count at a fixed rate (`instructions_per_second`), so the
// same inputs give the same timeline in every engine. Devices schedule
// callbacks at virtual times; the CPU loop asks how many instructions it may
// run before the next event is due and fires due events between instructions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/state.h"

namespace tx86::core {

class Clock {
 public:
  // Default rate: 100 million instructions per virtual second (10 ns each).
  static constexpr uint64_t kDefaultInstructionsPerSecond = 100'000'000;

  explicit Clock(uint64_t instructions_per_second = kDefaultInstructionsPerSecond);

  uint64_t instructions_per_second() const { return ips_; }
  uint64_t retired() const { return retired_; }
  void retire(uint64_t n) { retired_ += n; }
  // The counter itself, for generated code (the JIT) that retires
  // instructions without calling retire().
  uint64_t* retired_counter() { return &retired_; }

  // Virtual time now, and conversions (exact integer arithmetic, no drift).
  uint64_t now_ns() const { return ns_for_instructions(retired_); }
  uint64_t ns_for_instructions(uint64_t n) const;
  // Smallest instruction count whose time is >= ns.
  uint64_t instructions_for_ns(uint64_t ns) const;

  void save(StateNode& out) const;
  void load(const StateNode& in);

 private:
  uint64_t ips_;
  uint64_t retired_ = 0;
};

// Events at virtual times. Handles are small integers; cancelling an unknown
// or already-fired handle is harmless. Events due at the same time fire in
// the order they were scheduled (deterministic).
class Scheduler {
 public:
  using EventId = uint64_t;
  using Callback = std::function<void()>;

  explicit Scheduler(Clock& clock) : clock_(clock) {}

  EventId schedule_at(uint64_t when_ns, Callback cb);
  EventId schedule_in(uint64_t delay_ns, Callback cb) { return schedule_at(clock_.now_ns() + delay_ns, std::move(cb)); }
  void cancel(EventId id);
  bool pending(EventId id) const;

  // Retired-instruction count at which the earliest event is due
  // (UINT64_MAX if none).
  uint64_t next_due_instruction() const { return next_due_; }
  // Runs every event whose time has come (callbacks may schedule more).
  void run_due();

 private:
  struct Event {
    uint64_t when_ns;
    uint64_t seq;
    EventId id;
    Callback cb;
  };
  void recompute_next();
  Clock& clock_;
  std::vector<Event> events_;  // small: a handful of devices
  uint64_t next_seq_ = 0;
  EventId next_id_ = 1;
  uint64_t next_due_ = UINT64_MAX;
};

}  // namespace tx86::core
