// The interpreter loop (see interpreter.h): fetch through the decode cache,
// dispatch through the handler table, deliver exceptions and interrupts at
// instruction boundaries, keep the deterministic clock.
//
// The hot loop runs up to a deadline computed once (the instruction budget
// and the scheduler's next event); it leaves early only when a handler sets
// ExecContext::attention (port I/O, IF/TF changes, HLT, interrupt shadow,
// REP restarts) or an exception occurs. Everything slow — events, interrupt
// acknowledgement, stop requests, halted waiting, single-step traps — is in
// the boundary check that runs then.
#include "core/interp/interpreter.h"

#include <algorithm>

#include "core/interp/debug.h"
#include "core/interp/decode_cache.h"
#include "core/interp/engine_support.h"
#include "core/interp/handler_table.h"
#include "core/interp/interrupts.h"
#include "frontend-x86/decoder.h"

namespace tx86::core {

using interp::CachedInsn;
using interp::ExecContext;

namespace {

// How many events a halted CPU with IF=0 lets run before run() reports
// kHalted (so that devices drain; a periodic timer must not spin forever).
constexpr unsigned kMaxDrainEvents = 10000;

enum class Exec : uint8_t { kRetired, kFault };

// The 80286 never raises #UD for a LOCK prefix: it asserts LOCK# for any
// instruction (80286 PRM, "LOCK"; the SingleStepTests 286 vectors run
// `lock add ax,cx` and friends normally). The decoder applies the 386 rule
// (LOCK only on lockable memory forms) to every model, so for the 286 an
// instruction the decoder refused is decoded again with its F0 prefixes
// taken out, and the length and LOCK bit put back.
x86::DecodeStatus decode_insn(const uint8_t* p, size_t n, const x86::DecodeOptions& opts, x86::Insn& out) {
  const x86::DecodeStatus st = x86::decode(p, n, opts, out);
  if (st != x86::DecodeStatus::kInvalid || opts.model != x86::CpuModel::k286) return st;
  uint8_t stripped[x86::kMaxInsnLength];
  size_t k = 0, removed = 0, i = 0;
  for (; i < n && i < x86::kMaxInsnLength; ++i) {
    const uint8_t b = p[i];
    if (b == 0xF0) {
      ++removed;
      continue;
    }
    if (b != 0x26 && b != 0x2E && b != 0x36 && b != 0x3E && b != 0xF2 && b != 0xF3) break;
    stripped[k++] = b;
  }
  if (removed == 0) return st;
  for (; i < n && k < x86::kMaxInsnLength; ++i) stripped[k++] = p[i];
  x86::Insn retry;
  const x86::DecodeStatus st2 = x86::decode(stripped, k, opts, retry);
  if (st2 != x86::DecodeStatus::kOk) return st2 == x86::DecodeStatus::kNeedMoreBytes ? st2 : st;
  if (retry.length + removed > x86::k286MaxInsnLength) return x86::DecodeStatus::kTooLong;
  retry.length = uint8_t(retry.length + removed);
  retry.prefixes |= x86::kPrefixLock;
  out = retry;
  return x86::DecodeStatus::kOk;
}

}  // namespace

struct Interpreter::Impl {
  Impl(Interpreter& self_, Machine& m_)
      : self(self_), m(m_), cpu(m_.cpu()), cache(m_.memory()), table(interp::handler_table()) {}

  Interpreter& self;
  Machine& m;
  Cpu& cpu;
  interp::DecodeCache cache;
  const interp::HandlerTable& table;
  priv::PrivStats priv;
  // The slow-path instruction (not cached: it crosses a page or the segment
  // limit, or lies in MMIO).
  CachedInsn scratch;
  uint8_t bytes[x86::kMaxInsnLength] = {};
  CpuState before_;  // trace only
  uint64_t memory_generation_ = 0;

  CachedInsn* fetch(const uint8_t*& code);
  CachedInsn* fetch_slow(const uint8_t*& code);
  bool decode_status_fault(x86::DecodeStatus st);
  Exec execute(CachedInsn* e, const uint8_t* code, bool& attention);
  Exec run_chain(uint64_t deadline);
  Exec run_chain_traced(uint64_t deadline);
  void link(CachedInsn* e, CachedInsn* n, uint32_t eip, uint32_t next_eip);
  bool deliver_exception();
  bool deliver_external(uint8_t vector);
  bool deliver_trap(uint8_t vector);
  bool deliver_held_traps();
};

Interpreter::Interpreter(Machine& machine) : machine_(machine), impl_(new Impl(*this, machine)) {}

Interpreter::~Interpreter() { delete impl_; }

const priv::PrivStats& Interpreter::priv_stats() const { return impl_->priv; }

// kInvalid -> #UD; kTooLong -> #GP(0) (SDM Vol. 2, 2.3.11). The 80286 too
// raises #GP(0) past its 10-byte limit: the SingleStepTests 286 vectors show
// INT 13 for every valid 11-byte instruction (their README says INT 6; the
// INT 6 cases there are invalid opcodes, e.g. BOUND with a register).
bool Interpreter::Impl::decode_status_fault(x86::DecodeStatus st) {
  if (st == x86::DecodeStatus::kTooLong) return cpu.raise(kGP, 0);
  return cpu.raise(kUD);
}

CachedInsn* Interpreter::Impl::fetch(const uint8_t*& code) {
  CpuState& s = cpu.s;
  const SegmentCache& cs = s.seg[x86::kCs];
  const bool code32 = cs.big();
  const uint32_t eip = s.eip;
  uint32_t paddr = 0;
  const uint8_t* p = cpu.code_pointer(cs.base + eip, paddr);
  if (p == nullptr) return fetch_slow(code);
  if (CachedInsn* e = cache.find(paddr, code32)) {
    ++self.stats_.decode_cache_hits;
    if (uint64_t{eip} + e->insn.length - 1 > cs.limit) return fetch_slow(code);
    code = p;
    return e;
  }
  const size_t in_page = kPageSize - (paddr & kPageMask);
  CachedInsn entry;
  const x86::DecodeOptions opts{code32 ? x86::CodeSize::k32 : x86::CodeSize::k16, cpu.model()};
  const x86::DecodeStatus st = decode_insn(p, std::min<size_t>(in_page, x86::kMaxInsnLength), opts, entry.insn);
  if (st == x86::DecodeStatus::kNeedMoreBytes) return fetch_slow(code);
  if (uint64_t{eip} + entry.insn.length - 1 > cs.limit) return fetch_slow(code);
  ++self.stats_.decode_cache_misses;
  if (st != x86::DecodeStatus::kOk) {
    decode_status_fault(st);
    return nullptr;
  }
  entry.handler = interp::resolve_handler(table, entry.insn);
  entry.code32 = code32;
  code = p;
  return cache.insert(paddr, entry);
}

// Byte-by-byte fetch: instructions that cross a page or the 64 KiB wrap of
// a 16-bit IP, or that are fetched from MMIO. Bytes past the first one that
// cannot be fetched are only a fault if the decoder needs them.
CachedInsn* Interpreter::Impl::fetch_slow(const uint8_t*& code) {
  CpuState& s = cpu.s;
  const SegmentCache& cs = s.seg[x86::kCs];
  const bool code32 = cs.big();
  size_t n = 0;
  Fault first_fault;
  bool faulted = false;
  for (; n < x86::kMaxInsnLength; ++n) {
    uint32_t off = s.eip + uint32_t(n);
    if (!code32) off &= 0xFFFF;
    if (off > cs.limit) {
      first_fault = Fault{kGP, true, 0};
      faulted = true;
      break;
    }
    if (!cpu.read_linear<uint8_t>(cs.base + off, bytes[n], Access::kExecute)) {
      first_fault = cpu.fault;
      faulted = true;
      break;
    }
  }
  const x86::DecodeOptions opts{code32 ? x86::CodeSize::k32 : x86::CodeSize::k16, cpu.model()};
  const x86::DecodeStatus st = decode_insn(bytes, n, opts, scratch.insn);
  if (st == x86::DecodeStatus::kNeedMoreBytes) {
    cpu.fault = faulted ? first_fault : Fault{kGP, true, 0};
    return nullptr;
  }
  if (st != x86::DecodeStatus::kOk) {
    decode_status_fault(st);
    return nullptr;
  }
  scratch.handler = interp::resolve_handler(table, scratch.insn);
  scratch.code32 = code32;
  scratch.linkable = false;
  code = bytes;
  return &scratch;
}

Exec Interpreter::Impl::execute(CachedInsn* e, const uint8_t* code, bool& attention) {
  CpuState& s = cpu.s;
  const x86::Insn& insn = e->insn;
  ExecContext ctx{m, cpu, s, priv};
  ctx.next_eip = e->code32 ? s.eip + insn.length : ((s.eip + insn.length) & 0xFFFF);
  TraceSink* trace = self.trace_;
  if (trace != nullptr) [[unlikely]] {
    before_ = s;  // only when tracing: a CpuState copy is not free
  }
  // The shadow of the previous instruction covered the boundary just passed.
  s.interrupt_shadow = false;
  if (!e->handler(ctx, insn)) [[unlikely]]
    return Exec::kFault;
  s.eip = ctx.next_eip;
  m.clock().retire(1);
  ++self.stats_.retired;
  ++self.stats_.by_mnemonic[static_cast<size_t>(insn.mnemonic)];
  if (ctx.shadow) [[unlikely]] {
    s.interrupt_shadow = true;
    ctx.attention = true;
  }
  attention = ctx.attention;
  if (trace != nullptr) [[unlikely]]
    trace->on_instruction(before_, insn, code, s);
  return Exec::kRetired;
}

// Runs instructions until the clock reaches `deadline`, a handler asks for
// attention, or an exception (returned as kFault with cpu.fault set; the
// epoch has been advanced). Successive instructions are found through the
// entries' successor links when they are valid, else through fetch(). This
// is the hot loop: one ExecContext for the whole chain, no trace checks.
Exec Interpreter::Impl::run_chain(uint64_t deadline) {
  if (self.trace_ != nullptr) return run_chain_traced(deadline);
  CpuState& s = cpu.s;
  Clock& clock = m.clock();
  PhysicalMemory& mem = m.memory();
  InterpreterStats& stats = self.stats_;
  if (mem.generation() != memory_generation_) {
    memory_generation_ = mem.generation();
    cache.bump_epoch();
  }
  const uint8_t* code = nullptr;
  CachedInsn* e = fetch(code);
  if (e == nullptr) {
    cache.bump_epoch();
    return Exec::kFault;
  }
  // The shadow of the previous instruction covered the boundary just passed
  // (a shadow ends the chain, so only the first instruction can be under one).
  s.interrupt_shadow = false;
  ExecContext ctx{m, cpu, s, priv};
  // Retired instructions are counted locally and added on every way out.
  uint64_t retired = 0;
  struct Flush {
    InterpreterStats& stats;
    uint64_t& n;
    const interp::DecodeCache& cache;
    ~Flush() {
      stats.retired += n;
      stats.decode_cache_invalidations = cache.invalidations();
    }
  } flush{stats, retired, cache};
  for (;;) {
    const uint32_t eip = s.eip;
    ctx.next_eip = e->code32 ? eip + e->insn.length : ((eip + e->insn.length) & 0xFFFF);
    if (!e->handler(ctx, e->insn)) [[unlikely]] {
      cache.bump_epoch();
      return Exec::kFault;
    }
    const uint32_t next_eip = ctx.next_eip;
    s.eip = next_eip;
    clock.retire(1);
    ++retired;
    ++stats.by_mnemonic[static_cast<size_t>(e->insn.mnemonic)];
    if (ctx.attention | ctx.shadow) [[unlikely]] {
      s.interrupt_shadow = ctx.shadow;
      // Whatever asked for attention may have changed CS or the mapping.
      cache.bump_epoch();
      return Exec::kRetired;
    }
    if (clock.retired() >= deadline) [[unlikely]]
      return Exec::kRetired;
    // Find the successor: a valid link, else a full fetch (then link it).
    CachedInsn* n = nullptr;
    if (e->link_epoch == cache.epoch() && mem.generation() == memory_generation_) [[likely]] {
      if (next_eip == e->fall_eip) n = e->next;
      else if (next_eip == e->jump_eip) n = e->jump;
    }
    if (n == nullptr) [[unlikely]] {
      n = fetch(code);
      if (n == nullptr) {
        cache.bump_epoch();
        return Exec::kFault;
      }
      // fetch() may have marked a page (memory generation) or invalidated.
      if (mem.generation() != memory_generation_) {
        memory_generation_ = mem.generation();
        cache.bump_epoch();
      }
      link(e, n, eip, next_eip);
    }
    e = n;
  }
}

void Interpreter::Impl::link(CachedInsn* e, CachedInsn* n, uint32_t eip, uint32_t next_eip) {
  if (!e->linkable || !n->linkable) return;
  const uint64_t now = cache.epoch();
  if (e->link_epoch != now) {
    e->link_epoch = now;
    e->next = e->jump = nullptr;
    e->fall_eip = e->jump_eip = 0xFFFFFFFFu;
  }
  const uint32_t fall = e->code32 ? eip + e->insn.length : ((eip + e->insn.length) & 0xFFFF);
  if (next_eip == fall) {
    e->fall_eip = fall;
    e->next = n;
  } else {
    e->jump_eip = next_eip;
    e->jump = n;
  }
}

// run_chain() with a trace sink: every instruction goes through execute()
// (which reports to the sink) and through a full fetch.
Exec Interpreter::Impl::run_chain_traced(uint64_t deadline) {
  struct Flush {
    InterpreterStats& stats;
    const interp::DecodeCache& cache;
    ~Flush() { stats.decode_cache_invalidations = cache.invalidations(); }
  } flush{self.stats_, cache};
  for (;;) {
    const uint8_t* code = nullptr;
    CachedInsn* e = fetch(code);
    bool attention = false;
    if (e == nullptr || execute(e, code, attention) != Exec::kRetired) {
      cache.bump_epoch();
      return Exec::kFault;
    }
    if (attention) cache.bump_epoch();
    if (attention || m.clock().retired() >= deadline) return Exec::kRetired;
  }
}

// Delivers cpu.fault with EIP at the faulting instruction through
// interp::deliver_pending_exception (engine_support.h), the one copy the
// JIT uses too: trace report, one clock unit, HLT cleared, #DF and triple
// fault (SDM Vol. 3A, 6.15). Returns false on shutdown.
bool Interpreter::Impl::deliver_exception() {
  ++self.stats_.exceptions;
  cache.bump_epoch();  // CS changes: no successor link survives
  return interp::deliver_pending_exception(m, self.trace_);
}

bool Interpreter::Impl::deliver_external(uint8_t vector) {
  CpuState& s = cpu.s;
  ++self.stats_.interrupts;
  if (self.trace_ != nullptr) self.trace_->on_interrupt(s, vector);
  s.halted = false;
  cache.bump_epoch();
  if (interp::deliver_interrupt(m, vector, s.eip, interp::EventKind::kExternal)) return true;
  return deliver_exception();
}

// Single-step #DB after an instruction that began with TF set (a trap: the
// return address is the next instruction).
bool Interpreter::Impl::deliver_trap(uint8_t vector) {
  cache.bump_epoch();
  cpu.s.halted = false;  // a trap after HLT runs its handler
  if (interp::deliver_interrupt(m, vector, cpu.s.eip, interp::EventKind::kException)) return true;
  return deliver_exception();
}

// After a fault was delivered: traps held by a MOV SS / POP SS come at the
// boundary after the next instruction even when that one faulted, i.e.
// right after the fault's delivery (SDM Vol. 3A, 6.8.3). The faulting
// instruction's own breakpoint hits are dropped. False on shutdown.
bool Interpreter::Impl::deliver_held_traps() {
  if (cpu.s.held_debug_traps == 0) return true;
  cpu.data_breakpoint_hits = 0;
  cpu.hold_debug_traps = false;
  return !interp::debug_trap_due(cpu, false) || deliver_trap(kDB);
}

StopReason Interpreter::run(uint64_t max_instructions) {
  Impl& x = *impl_;
  CpuState& s = x.cpu.s;
  Clock& clock = machine_.clock();
  Scheduler& sched = machine_.scheduler();
  const uint64_t start = clock.retired();
  const uint64_t end = max_instructions > UINT64_MAX - start ? UINT64_MAX : start + max_instructions;
  for (;;) {
    // ---- the boundary check ----
    if (machine_.stop_requested()) return StopReason::kExitRequested;
    if (clock.retired() >= sched.next_due_instruction()) {
      sched.run_due();
      continue;
    }
    if (clock.retired() >= end) return StopReason::kInstructionLimit;
    InterruptController* intc = machine_.interrupt_controller();
    if ((s.eflags & x86::kIF) && !s.interrupt_shadow && intc != nullptr && intc->interrupt_pending()) {
      if (!x.deliver_external(intc->acknowledge())) return StopReason::kShutdown;
      continue;
    }
    if (s.halted) {
      if (!(s.eflags & x86::kIF)) {
        if (!exit_on_halt_) {
          // Nothing can wake the CPU; let scheduled device work finish.
          for (unsigned n = 0; n < kMaxDrainEvents && sched.next_due_instruction() != UINT64_MAX; ++n) {
            clock.retire(sched.next_due_instruction() - std::min(clock.retired(), sched.next_due_instruction()));
            sched.run_due();
            if (machine_.stop_requested()) return StopReason::kExitRequested;
          }
        }
        return StopReason::kHalted;
      }
      if (intc == nullptr || sched.next_due_instruction() == UINT64_MAX) return StopReason::kHalted;
      // Waiting for an interrupt: jump the clock to the next event.
      const uint64_t target = std::min(sched.next_due_instruction(), end);
      clock.retire(target - clock.retired());
      continue;
    }
    // ---- the hot loop ----
    uint64_t deadline = std::min(end, sched.next_due_instruction());
    const bool single_step = (s.eflags & x86::kTF) != 0;
    // Debug registers or RF in use: one instruction at a time, with the
    // instruction-breakpoint fault before it (core/interp/debug.h).
    const bool debug = interp::debug_active(s);
    if (s.interrupt_shadow || single_step || debug) deadline = std::min(deadline, clock.retired() + 1);
    if (single_step || debug) interp::begin_debug_instruction(x.cpu);
    if (debug && interp::instruction_breakpoint(x.cpu)) {
      if (!x.deliver_exception()) return StopReason::kShutdown;
      continue;
    }
    if (x.run_chain(deadline) != Exec::kRetired) {
      if (!x.deliver_exception() || !x.deliver_held_traps()) return StopReason::kShutdown;
      continue;
    }
    if ((single_step || debug) && interp::debug_trap_due(x.cpu, single_step) && !x.deliver_trap(kDB))
      return StopReason::kShutdown;
  }
}

StepResult Interpreter::step() {
  Impl& x = *impl_;
  CpuState& s = x.cpu.s;
  Clock& clock = machine_.clock();
  Scheduler& sched = machine_.scheduler();
  if (clock.retired() >= sched.next_due_instruction()) sched.run_due();
  InterruptController* intc = machine_.interrupt_controller();
  if ((s.eflags & x86::kIF) && !s.interrupt_shadow && intc != nullptr && intc->interrupt_pending())
    return x.deliver_external(intc->acknowledge()) ? StepResult::kInterrupt : StepResult::kShutdown;
  if (s.halted) {
    if ((s.eflags & x86::kIF) && intc != nullptr && sched.next_due_instruction() != UINT64_MAX) {
      clock.retire(sched.next_due_instruction() - std::min(clock.retired(), sched.next_due_instruction()));
      sched.run_due();
    }
    return StepResult::kHalted;
  }
  const bool single_step = (s.eflags & x86::kTF) != 0;
  interp::begin_debug_instruction(x.cpu);
  if (interp::debug_active(s) && interp::instruction_breakpoint(x.cpu))
    return x.deliver_exception() ? StepResult::kException : StepResult::kShutdown;
  bool attention = false;
  const uint8_t* code = nullptr;
  CachedInsn* e = x.fetch(code);
  // step() follows no links, but may change CS: links made before die.
  x.cache.bump_epoch();
  if (e == nullptr || x.execute(e, code, attention) != Exec::kRetired)
    return x.deliver_exception() && x.deliver_held_traps() ? StepResult::kException : StepResult::kShutdown;
  stats_.decode_cache_invalidations = x.cache.invalidations();
  if (interp::debug_trap_due(x.cpu, single_step) && !x.deliver_trap(kDB)) return StepResult::kShutdown;
  if (clock.retired() >= sched.next_due_instruction()) sched.run_due();
  return StepResult::kRetired;
}

}  // namespace tx86::core
