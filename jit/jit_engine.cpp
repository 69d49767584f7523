// See jit_engine.h.
#include "jit/jit_engine.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/interp/debug.h"
#include "core/interp/engine_support.h"
#include "jit/block_builder.h"
#include "jit/jit_dump.h"
#include "jit/lockstep.h"

namespace tx86::jit {

using core::StopReason;

namespace {
// What the interpreter's loop does around one handler call, for the thunks
// below: before it, the `pending` inline instructions retire and EIP is the
// instruction's; after a handler that succeeded, EIP and the clock move on,
// links die if the memory map changed, and the block stops if the
// instruction asked for attention, set an interrupt shadow or rewrote the
// running block. `branch`: a control transfer, whose emitter chains itself;
// any other instruction that leaves next_eip changed (a REP iteration that
// restarts itself) ends the block.
inline void enter_insn(JitContext* c, const BlockInsn* bi, uint32_t pending) {
  if (pending != 0) c->clock->retire(pending);
  c->s->eip = bi->eip;
  c->exec.next_eip = bi->next_eip;
}
// After IN or OUT (which ask for attention, and which block_builder.cpp
// lets go on inside a block): whether the block may go on, i.e. whether
// JitEngine::run's boundary check would find nothing to do before the next
// instruction. A port write may raise an interrupt (PIC), move the next
// event earlier (PIT), request a stop (debug exit), change the A20 gate
// (a mode bit) or the memory map; a breakpoint hit holds a trap.
bool port_io_goes_on(JitContext* c, const BlockInsn* bi) {
  const x86::Mnemonic m = bi->insn.mnemonic;
  if (m != x86::Mnemonic::kIn && m != x86::Mnemonic::kOut) return false;
  core::Machine& machine = c->exec.machine;
  if (machine.stop_requested() || machine.scheduler().next_due_instruction() < c->run_deadline) return false;
  const core::CpuState& s = *c->s;
  if (s.held_debug_traps != 0 || (s.eflags & x86::kTF) != 0) return false;
  const core::InterruptController* intc = machine.interrupt_controller();
  if ((s.eflags & x86::kIF) && intc != nullptr && intc->interrupt_pending()) return false;
  if (mode_bits(c->exec.cpu) != c->current->key.mode) return false;
  ++c->port_io_kept;
  return true;
}

// RF set, and nothing else that needs the interpreter's debug checks
// (see JitEngine::run).
bool rf_alone(const core::Cpu& cpu) {
  const core::CpuState& s = cpu.s;
  return (s.eflags & x86::kRF) != 0 && (s.dr[7] & 0xFF) == 0 && s.held_debug_traps == 0 &&
         cpu.model() != x86::CpuModel::k286;
}
// As Interpreter::run before an instruction with RF set and no breakpoint
// enabled (core/interp/debug.h).
void clear_rf(core::Cpu& cpu) {
  core::interp::begin_debug_instruction(cpu);
  cpu.s.eflags &= ~x86::kRF;
}

uint32_t lookup_in_mode(JitContext* c, uint32_t mode);

// After INT n or IRET (the last instruction of their block): the block
// goes on to the block at the new CS:EIP through the lookup table (its
// entry must be of the new mode and fit before the deadline) if
// JitEngine::run's boundary check would find nothing to do and what links
// were made under still holds. INT and IRET may change CS
// (base, limit), the mapping (a task gate), IF, TF, RF, CPL; the mode
// may change (the lookup compares it), the link signature may not.
uint32_t transfer_exit(JitContext* c, const BlockInsn* bi) {
  const x86::Mnemonic m = bi->insn.mnemonic;
  if (m != x86::Mnemonic::kInt && m != x86::Mnemonic::kIret) return kExitEnd;
  core::Machine& machine = c->exec.machine;
  if (machine.stop_requested() || machine.scheduler().next_due_instruction() < c->run_deadline) return kExitEnd;
  core::Cpu& cpu = c->exec.cpu;
  core::CpuState& s = cpu.s;
  if ((s.eflags & x86::kTF) || s.halted) return kExitEnd;
  // RF alone is the one debug state a block may start under (see run()).
  const bool rf = core::interp::debug_active(s) && rf_alone(cpu);
  if (core::interp::debug_active(s) && !rf) return kExitEnd;
  const core::InterruptController* intc = machine.interrupt_controller();
  if ((s.eflags & x86::kIF) && intc != nullptr && intc->interrupt_pending()) return kExitEnd;
  if (!(link_signature(cpu) == c->links_under)) return kExitEnd;
  // INT and IRET may change the mode (CPL, CS.D, segment classes): the
  // entry must be of the mode now, not the running block's.
  if (lookup_in_mode(c, mode_bits(cpu)) != kExitChain) return kExitEnd;
  if (rf) clear_rf(cpu);
  c->exec.attention = false;
  ++c->transfer_links;
  return kExitChain;
}

inline uint32_t leave_insn(JitContext* c, const BlockInsn* bi, bool branch) {
  core::interp::ExecContext& x = c->exec;
  c->s->eip = x.next_eip;
  c->clock->retire(1);
  const bool map_changed = check_memory_map(c);
  if (x.attention | x.shadow | c->stop) [[unlikely]] {
    if (x.shadow || c->stop || map_changed) return kExitEnd;
    if (!port_io_goes_on(c, bi)) return transfer_exit(c, bi);
    x.attention = false;
  }
  if (!branch && x.next_eip != bi->next_eip) return kExitEnd;
  return kExitContinue;
}
}  // namespace

uint32_t exec_insn_thunk(JitContext* c, const BlockInsn* bi, uint32_t pending) {
  enter_insn(c, bi, pending);
  if (!bi->handler(c->exec, bi->insn)) [[unlikely]]
    return kExitFault;
  return leave_insn(c, bi, false);
}

uint32_t exec_string_thunk(JitContext* c, const BlockInsn* bi, uint32_t pending, StringBulkFn bulk) {
  enter_insn(c, bi, pending);
  if (bulk(c->exec, bi->insn)) {
    ++c->bulk_runs;
  } else if (!bi->handler(c->exec, bi->insn)) [[unlikely]] {
    return kExitFault;
  }
  return leave_insn(c, bi, false);
}

uint32_t exec_branch_thunk(JitContext* c, const BlockInsn* bi, uint32_t pending) {
  enter_insn(c, bi, pending);
  if (!bi->handler(c->exec, bi->insn)) [[unlikely]]
    return kExitFault;
  return leave_insn(c, bi, true);
}

namespace {
// The lookup table's entry for CS:EIP in `mode`: kExitChain with
// chain.next and `current` set, or kExitEnd.
uint32_t lookup_in_mode(JitContext* c, uint32_t mode) {
  const core::CpuState& s = *c->s;
  const core::SegmentCache& cs = s.seg[x86::kCs];
  const uint32_t linear = cs.base + s.eip;
  const IndirectEntry& e = c->indirect[indirect_index(linear)];
  if (e.epoch != c->chain.epoch || e.linear != linear) return kExitEnd;
  const Block* b = e.block;
  if (b->key.eip != s.eip || b->last_eip > cs.limit || e.mode != mode) return kExitEnd;
  if (c->clock->retired() + b->count > c->chain.deadline) return kExitEnd;
  ++c->chain.indirect_runs;
  c->current = b;
  c->chain.next = b->entry;
  return kExitChain;
}
}  // namespace

uint32_t chain_lookup(JitContext* c) {
  // Only near jumps, calls and returns leave through here: the mode is the
  // running block's (mode-changing instructions end blocks without a link).
  return lookup_in_mode(c, c->current->key.mode);
}

namespace {
core::priv::PrivStats& priv_stats_of(core::Interpreter& interp) {
  // Handlers count traps into the interpreter's counters, so that --stats
  // shows them for both engines together.
  return const_cast<core::priv::PrivStats&>(interp.priv_stats());
}
}  // namespace

JitEngine::JitEngine(core::Machine& machine, const JitOptions& options)
    : machine_(machine),
      options_(options),
      interp_(machine),
      cache_(machine.memory(), options.cache_bytes),
      ctx_{ChainState{}, core::interp::ExecContext{machine, machine.cpu(), machine.cpu().s, priv_stats_of(interp_)}} {
  ctx_.s = &machine.cpu().s;
  ctx_.clock = &machine.clock();
  ctx_.memory_generation = machine.memory().generation();
  retired_counter_ = retired_counter(machine.clock());
  // Generated code addresses ChainState at rbx + 0 (emit_chain.cpp).
  if (reinterpret_cast<const char*>(&ctx_.chain) != reinterpret_cast<const char*>(&ctx_))
    throw std::logic_error("jit: ChainState is not at the start of JitContext");
  cache_.watch(&ctx_.current, &ctx_.stop, &ctx_.chain);
  cache_.count_with(retired_counter_);
  chaining_ = !options_.lockstep;
  if (options_.max_block_insns == 0) options_.max_block_insns = kMaxBlockInsns;
  if (!options_.dump_path.empty()) dump_ = std::make_unique<JitDump>(options_.dump_path);
  if (options_.perf_map) perf_map_ = std::make_unique<PerfMap>();
  if (options_.lockstep) lockstep_ = std::make_unique<Lockstep>(machine);
}

JitEngine::~JitEngine() = default;

std::string JitEngine::perf_map_path() const { return perf_map_ ? perf_map_->path() : std::string(); }

JitStats JitEngine::stats() const {
  JitStats s = stats_;
  s.cache = const_cast<TranslationCache&>(cache_).stats();
  s.direct_runs = ctx_.chain.direct_runs;
  s.indirect_runs = ctx_.chain.indirect_runs;
  s.blocks_run += s.direct_runs + s.indirect_runs;
  s.cache.cache_hits += s.table_hits;  // found without a translation either way
  s.chaining = chaining_;
  s.link_epochs = ctx_.chain.epoch - 1;
  s.bulk_runs = ctx_.bulk_runs;
  s.tlb_hint_misses = ctx_.tlb_hint_misses;
  s.port_io_kept = ctx_.port_io_kept;
  s.transfer_links = ctx_.transfer_links;
  if (lockstep_) {
    s.lockstep_blocks = lockstep_->blocks_checked();
    s.lockstep_skipped = lockstep_->blocks_skipped();
  }
  return s;
}

void JitEngine::check_links() {
  const LinkSignature now = link_signature(machine_.cpu());
  const uint64_t generation = machine_.memory().generation();
  const uint64_t changes = cache_.stats().invalidations + cache_.stats().flushes;
  if (now == ctx_.links_under && generation == ctx_.memory_generation && changes == cache_changes_) [[likely]]
    return;
  bool kill = generation != ctx_.memory_generation || changes != cache_changes_;
  if (!(now == ctx_.links_under)) {
    // One INVLPG and nothing else: links die only if one may lead into the
    // invalidated page's region (the mapping elsewhere is unchanged).
    LinkSignature only_flush = ctx_.links_under;
    only_flush.tlb_flushes = now.tlb_flushes;
    const core::Cpu& cpu = machine_.cpu();
    const bool one_invlpg = only_flush == now && now.tlb_flushes == ctx_.links_under.tlb_flushes + 1 &&
                            cpu.last_invlpg_count() == now.tlb_flushes;
    if (one_invlpg && !linked_regions_.test(cpu.last_invlpg_linear() >> 22)) {
      ++stats_.invlpg_kept;
    } else {
      ++stats_.signature_changes;
      kill = true;
    }
    ctx_.links_under = now;
  }
  ctx_.memory_generation = generation;
  cache_changes_ = changes;
  if (kill) {
    linked_regions_.reset();
    ctx_.chain.kill_links();
  }
}

bool JitEngine::fall_back(uint64_t n, StopReason& reason) {
  ++stats_.fallback_runs;
  // The interpreter may change anything; links die only if what they were
  // made under changed (check_links, before the next block runs).
  reason = interp_.run(n);
  return reason == StopReason::kInstructionLimit;
}

Block* JitEngine::lookup_or_translate() {
  core::Cpu& cpu = machine_.cpu();
  core::CpuState& s = cpu.s;
  const core::SegmentCache& cs = s.seg[x86::kCs];
  if (s.eip > cs.limit) return nullptr;
  // The lookup table first (the one RET and indirect jumps use): an entry
  // of the current epoch maps its linear EIP to the block of that linear
  // address in its mode, for as long as the mapping holds (check_links ran
  // since the last change; every caller makes sure of that).
  const uint32_t linear = cs.base + s.eip;
  const uint32_t mode = mode_bits(cpu);
  IndirectEntry& e = ctx_.indirect[indirect_index(linear)];
  const uint64_t epoch = ctx_.chain.epoch;
  if (e.epoch == epoch && e.linear == linear && e.mode == mode && e.block->key.eip == s.eip) [[likely]] {
    ++stats_.table_hits;
    return e.block->last_eip <= cs.limit ? const_cast<Block*>(e.block) : nullptr;
  }
  uint32_t paddr = 0;
  const uint8_t* code = cpu.code_pointer(linear, paddr);
  if (code == nullptr) return nullptr;  // a fetch fault or MMIO: the interpreter knows
  const BlockKey key{paddr, s.eip, mode};
  Block* b = cache_.find(key);
  if (b != nullptr) {
    ++cache_.stats().cache_hits;
  } else {
    // Hot self-modifying code: the interpreter runs it (fall_back keeps links).
    if (cache_.translation_paused(paddr)) return nullptr;
    if (cache_.full()) cache_.flush();
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<Block> built =
        build_block(cpu, code, paddr, cache_.runtime(), retired_counter_, options_.max_block_insns);
    cache_.stats().translate_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (built == nullptr) return nullptr;
    // Marking the page as holding code bumps the memory generation; that
    // change alone does not touch any mapping, so links stay.
    core::PhysicalMemory& mem = machine_.memory();
    const bool in_step = mem.generation() == ctx_.memory_generation;
    b = cache_.insert(std::move(built));
    if (in_step) ctx_.memory_generation = mem.generation();
    ++blocks_translated_;
    if (dump_) dump_->write(*b, blocks_translated_);
    if (perf_map_) perf_map_->write(*b, blocks_translated_);
  }
  // A flush above bumped the epoch: the caller sorts that out first. Only
  // blocks within the CS limit get an entry: generated code trusts that
  // (emit_indirect_exit).
  if (epoch == ctx_.chain.epoch && b->last_eip <= cs.limit) {
    e = IndirectEntry{linear, mode, epoch, b};
    ++stats_.lookup_fills;
    linked_regions_.set(linear >> 22);
  }
  return b->last_eip <= cs.limit ? b : nullptr;
}

Block* JitEngine::successor() {
  ChainSlot* slot = ctx_.chain.missed;
  ctx_.chain.missed = nullptr;
  const uint32_t linear = machine_.cpu().s.seg[x86::kCs].base + machine_.cpu().s.eip;
  const uint64_t epoch = ctx_.chain.epoch;
  Block* n = lookup_or_translate();
  if (n == nullptr) return nullptr;
  // A translation may have flushed the cache (the slot's block is then gone).
  const uint64_t changes = cache_.stats().invalidations + cache_.stats().flushes;
  if (changes != cache_changes_ || epoch != ctx_.chain.epoch) {
    cache_changes_ = changes;
    ctx_.chain.kill_links();
    return n;
  }
  if (!chaining_ || slot == nullptr) return n;  // lookup_or_translate filled the lookup table
  // The stub's target EIP is a constant and CS, the mode and the mapping
  // are as when n was looked up for as long as the epoch holds.
  slot->entry = n->entry;
  slot->block = n;
  slot->count = n->count;
  slot->epoch = ctx_.chain.epoch;
  ++cache_.stats().chain_links;
  linked_regions_.set(linear >> 22);
  return n;
}

bool JitEngine::run_chain(Block* b, uint64_t deadline, StopReason& reason) {
  core::CpuState& s = machine_.cpu().s;
  core::Clock& clock = machine_.clock();
  core::PhysicalMemory& mem = machine_.memory();
  ctx_.run_deadline = deadline;
  for (;;) {
    // Chained entries (emit_chain.h) and loops inside a block (emit_join.h)
    // check the same deadline; kill_links() since the last block dropped it.
    ctx_.chain.deadline = chaining_ ? std::min(deadline, ChainState::kMaxDeadline) : 0;
    const uint64_t now = clock.retired();
    if (lockstep_) lockstep_->before_block();
    s.interrupt_shadow = false;
    ctx_.exec.attention = false;
    ctx_.exec.shadow = false;
    ctx_.stop = false;
    ctx_.chain.missed = nullptr;
    ctx_.current = b;
    // Chained blocks (emit_chain.h) return kExitChain with the next one.
    uint32_t exit = b->entry(&ctx_);
    while (exit == kExitChain) exit = ctx_.chain.next(&ctx_);
    // The block that returned (the last of a chain).
    b = const_cast<Block*>(ctx_.current);
    ctx_.current = nullptr;
    const uint64_t retired = clock.retired() - now;
    ++stats_.blocks_run;
    stats_.block_instructions += retired;
    if (ctx_.exec.shadow) s.interrupt_shadow = true;
    bool shutdown = false;
    if (exit == kExitFault) {
      ++stats_.exceptions;
      shutdown = !core::interp::deliver_pending_exception(machine_, nullptr);
    }
    const bool same = !lockstep_ || lockstep_->after_block(*b, retired, exit == kExitFault, shutdown);
    // A block that is not linkable (its last instruction may change the
    // mode, CS or the mapping) goes on all the same when it left through a
    // chain slot before that instruction (a taken branch whose link was
    // missing: `missed` is set only by those stubs).
    const bool go_on = exit == kExitEnd && !ctx_.exec.attention && !ctx_.exec.shadow && !ctx_.stop &&
                       (b->linkable || ctx_.chain.missed != nullptr);
    cache_.collect();  // b may be gone from here on (only if ctx_.stop)
    if (!same) {
      lockstep_report_ = lockstep_->report();
      machine_.request_exit(kLockstepExitStatus);
      reason = StopReason::kExitRequested;
      return false;
    }
    if (shutdown) {
      reason = StopReason::kShutdown;
      return false;
    }
    const bool cache_changed = cache_.stats().invalidations + cache_.stats().flushes != cache_changes_;
    const bool map_changed = mem.generation() != ctx_.memory_generation;
    // Back to the boundary check; run() checks the links before its next
    // lookup.
    if (!go_on || map_changed || cache_changed) return true;
    // Links die if what they were made under changed. Only the last
    // instruction of a block that is not linkable (MOV CR0/CR3/CR4, LMSW,
    // INVLPG, far JMP/CALL/RET, IRET, a task switch) or an exception
    // delivery (a task gate) can change the mapping or CS, and those
    // return above, but the test is cheap next to a wrong link.
    check_links();
    // Like the interpreter's chain: on to the next block without the
    // boundary check while the next block fits before the deadline.
    const uint64_t at = clock.retired();
    if (at >= deadline) return true;
    Block* n = successor();
    if (n == nullptr || n->count > deadline - at) return true;
    ++stats_.linked_runs;
    b = n;
  }
}

StopReason JitEngine::run(uint64_t max_instructions) {
  core::CpuState& s = machine_.cpu().s;
  core::Clock& clock = machine_.clock();
  core::Scheduler& sched = machine_.scheduler();
  const uint64_t start = clock.retired();
  const uint64_t end = max_instructions > UINT64_MAX - start ? UINT64_MAX : start + max_instructions;
  StopReason reason = StopReason::kInstructionLimit;
  for (;;) {
    // ---- the boundary check (as Interpreter::run) ----
    if (machine_.stop_requested()) return StopReason::kExitRequested;
    if (clock.retired() >= sched.next_due_instruction()) {
      sched.run_due();
      continue;
    }
    const uint64_t now = clock.retired();
    if (now >= end) return StopReason::kInstructionLimit;
    const uint64_t deadline = std::min(end, sched.next_due_instruction());
    core::InterruptController* intc = machine_.interrupt_controller();
    const bool irq = (s.eflags & x86::kIF) && !s.interrupt_shadow && intc != nullptr && intc->interrupt_pending();
    // Debug registers in use (DR7 L0-L3/G0-G3), RF set or traps held by a
    // MOV SS: the interpreter checks breakpoints at every boundary, so it
    // runs those stretches. RF alone (as an IRET after a fault's handler
    // leaves it: 17.3.1.1) only suppresses breakpoints that are not there:
    // the interpreter would clear it before the next instruction and check
    // nothing, so the engine does that and the instruction runs in a block
    // (the restart of a faulting instruction, e.g. after a #PF).
    const bool rf_only = rf_alone(machine_.cpu());
    const bool debug = core::interp::debug_active(s) && !rf_only;
    if (irq || s.interrupt_shadow || (s.eflags & x86::kTF) || debug) {
      // One instruction (after the interrupt, if any) in the interpreter.
      if (!fall_back(1, reason)) return reason;
      continue;
    }
    if (s.halted) {
      // Waiting: the interpreter jumps the clock to the next event (or stops).
      if (!fall_back(deadline - now, reason)) return reason;
      continue;
    }
    if (rf_only) clear_rf(machine_.cpu());
    // ---- a block ----
    // Interpreter stretches, scheduler events and the last block may have
    // changed what links and lookup entries were made under.
    check_links();
    Block* b = lookup_or_translate();
    if (b == nullptr || b->count > deadline - now) {
      if (!fall_back(b == nullptr ? 1 : deadline - now, reason)) return reason;
      continue;
    }
    if (!run_chain(b, deadline, reason)) return reason;
  }
}

}  // namespace tx86::jit
