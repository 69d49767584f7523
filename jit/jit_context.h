// What emitted code works with at run time: the interpreter's ExecContext
// (handlers take it), the CPU state and clock, the block running and its stop
// flag, and the chaining state. One per JitEngine; rbx points at it inside
// generated code.
#pragma once

#include <array>
#include <cstdint>

#include "core/clock.h"
#include "core/interp/exec_context.h"
#include "jit/block.h"
#include "jit/chain_state.h"

namespace tx86::jit {

// The lookup table for exits whose target is known only at run time (RET,
// JMP/CALL r/m, handler-ended blocks): direct-mapped by linear EIP.
struct IndirectEntry {
  uint32_t linear = 0;
  uint32_t mode = 0;
  uint64_t epoch = 0;
  const Block* block = nullptr;
};
inline constexpr size_t kIndirectEntries = 4096;
inline size_t indirect_index(uint32_t linear) { return (linear ^ (linear >> 12)) & (kIndirectEntries - 1); }

// What every link (chain slot, lookup entry) was made under, besides the
// mode (the linking block's key fixes it) and the memory map (checked on
// its own): the linear-to-physical mapping (CR0.PG/WP/PE, CR3, the CR4
// paging bits, the PDPTEs, which only a CR3 load or a CR0/CR4 write
// reloads, and no TLB flush or INVLPG since) and CS base and limit (a
// slot's target is CS.base + a constant EIP, checked against the limit
// when linked). A20 is in the mode bits, and here too for clarity.
struct LinkSignature {
  uint64_t tlb_flushes = 0;
  uint32_t cr0 = 0, cr3 = 0, cr4 = 0;
  uint32_t cs_base = 0, cs_limit = 0;
  bool a20 = false;
  bool operator==(const LinkSignature&) const = default;
};
inline LinkSignature link_signature(const core::Cpu& cpu) {
  const core::CpuState& s = cpu.s;
  const core::SegmentCache& cs = s.seg[x86::kCs];
  return LinkSignature{cpu.tlb_flushes(),
                       s.cr0 & (core::kCr0PE | core::kCr0PG | core::kCr0WP),
                       s.cr3,
                       s.cr4 & (core::kCr4PSE | core::kCr4PAE | core::kCr4PGE),
                       cs.base,
                       cs.limit,
                       cpu.a20()};
}

// Which TLB entry an inline access site (emit_memory.cpp) used last: the
// entry's byte offset in its TLB set, always a valid one (0 at first). The
// site tests that entry's tag for its address; only when it does not match
// does it compute the address's own entry and note it here. A hint is never
// trusted, only tested: an entry whose tag matches is the page's
// translation wherever the hint came from (the TLB is direct-mapped, so it
// can only sit at its own index). The tag tested is the first byte's page,
// and the inline test passes aligned accesses only, so that one that
// crosses into the next page never uses the entry of either page
// (emit_memory.cpp); a misaligned one tests both ends out of line. It takes the index computation off the
// path from the address to the data. Sites share slots by a hash of their
// EIP; sharing costs only misses.
inline constexpr size_t kTlbHints = 4096;
inline size_t tlb_hint_index(uint32_t eip, bool store) {
  return ((eip * 0x9E3779B1u) >> 20 ^ (store ? 1u : 0u)) & (kTlbHints - 1);
}

struct JitContext {
  ChainState chain;
  core::interp::ExecContext exec;
  core::CpuState* s = nullptr;
  core::Clock* clock = nullptr;
  const Block* current = nullptr;
  // Set by the translation cache when the running block was invalidated
  // (self-modifying code): the block stops after the current instruction.
  bool stop = false;
  uint64_t memory_generation = 0;  // PhysicalMemory::generation() when links were last valid
  // The dispatcher's deadline for the blocks now running (ChainState's
  // is 0 under lockstep): a block that did port I/O goes on only while the
  // next event is not before it (port_io_goes_on).
  uint64_t run_deadline = 0;
  uint64_t port_io_kept = 0;       // IN/OUT after which the block went on
  uint64_t transfer_links = 0;     // INT/IRET after which the block went on to the next one
  // What the links of the current epoch were made under (JitEngine::check_links).
  LinkSignature links_under;
  uint64_t bulk_runs = 0;          // REP string executions done in bulk
  uint64_t tlb_hint_misses = 0;    // inline accesses whose hint named another entry, or misaligned
  std::array<IndirectEntry, kIndirectEntries> indirect{};
  std::array<uint32_t, kTlbHints> tlb_hints{};
};

// The clock's retired-instruction counter, for generated code that retires
// inline instructions itself.
inline uint64_t* retired_counter(core::Clock& clock) { return clock.retired_counter(); }

// Runs one instruction through its interpreter handler exactly as the
// interpreter's loop does (EIP, clock, attention and shadow), and says
// whether the block goes on. `pending` inline instructions ran before it
// since the clock was last brought up to date: they are retired first, so
// that the handler sees the exact clock. Called from generated code.
uint32_t exec_insn_thunk(JitContext* c, const BlockInsn* bi, uint32_t pending);

// After anything that ran interpreter code from inside a block (a handler,
// an inline access's slow path): an MMIO access may have changed the memory
// map, and then every link dies (a chained stub must not follow a stale one)
// and the TLB is refilled: inline accesses trust the TLB without comparing
// its generation (emit_memory.h), because every block entry from the
// dispatcher (sync_tlb) and every call out of a block (here) brings it up to
// date.
// Returns whether it changed.
inline bool check_memory_map(JitContext* c) {
  const uint64_t g = c->exec.machine.memory().generation();
  if (g != c->memory_generation) [[unlikely]] {
    c->memory_generation = g;
    c->chain.kill_links();
    c->exec.cpu.flush_tlb();
    return true;
  }
  return false;
}

// The TLB was filled before the memory map last changed (block_builder.cpp
// calls this from a block's prologue): flush it, as Cpu does on its own
// accesses.
inline void sync_tlb(JitContext* c) { c->exec.cpu.flush_tlb(); }

// As exec_insn_thunk for a block's last instruction when it is a branch
// whose exit may chain: kExitFault on a fault; kExitEnd if the block must
// return to the dispatcher (attention, shadow, stop); kExitContinue when the
// branch completed (EIP at its target or fall-through) and the exit may
// chain.
uint32_t exec_branch_thunk(JitContext* c, const BlockInsn* bi, uint32_t pending);

// As exec_insn_thunk for a REP string instruction: `bulk` (emit_string.h)
// does the execution if it can, else the handler.
using StringBulkFn = bool (*)(core::interp::ExecContext&, const x86::Insn&);
uint32_t exec_string_thunk(JitContext* c, const BlockInsn* bi, uint32_t pending, StringBulkFn bulk);

// After an exit whose target is known only at run time (EIP set, clock up
// to date): kExitChain with chain.next and `current` set from the lookup
// table, or kExitEnd to return to the dispatcher. Called from generated code.
uint32_t chain_lookup(JitContext* c);

}  // namespace tx86::jit
