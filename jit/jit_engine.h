// The JIT engine (issue #4): runs guest code as translated blocks from the
// translation cache, with the interpreter as the reference and the fallback.
//
// The run loop is the interpreter's (interpreter.cpp) with blocks in place of
// its instruction chain, so that both engines stop, take events and
// interrupts at the same instruction boundaries (DESIGN.md §7): a block runs
// only if all its instructions fit before the next scheduler deadline and
// the budget; it ends early after any instruction that asks for attention
// (port I/O, IF/TF changes, interrupt shadow, HLT, REP restarts) exactly
// where the interpreter's chain ends. Everything a block cannot do — a
// pending interrupt, HLT waiting, TF single-stepping, debug registers or RF
// in use, an interrupt shadow,
// the last few instructions before a deadline, code that cannot be
// translated (MMIO, page- or limit-crossing instructions) — is handed to an
// embedded Interpreter on the same Machine for just that stretch.
//
// Blocks go to their successors in host code (emit_chain.h): direct exits
// through patched links, RET and indirect jumps through a lookup table; a
// chained block runs only if it fits before the same deadline.
//
// A fault inside a block returns kExitFault with the state as before the
// faulting instruction (or as its handler left it, exactly as in the
// interpreter), and the exception is delivered as the interpreter does
// (core/interp/engine_support.h).
#pragma once

#include <bitset>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "core/engine.h"
#include "core/interp/interpreter.h"
#include "core/machine.h"
#include "jit/jit_context.h"
#include "jit/translation_cache.h"

namespace tx86::jit {

class JitDump;
class PerfMap;
class Lockstep;

struct JitOptions {
  size_t cache_bytes = size_t{32} << 20;  // host code before a flush
  bool lockstep = false;                  // compare every block with the interpreter
  std::string dump_path;                  // --jit-dump: listing of every translated block
  bool perf_map = false;                  // --jit-perf-map: /tmp/perf-PID.map for Linux perf
  size_t max_block_insns = 0;             // 0: kMaxBlockInsns
};

struct JitStats {
  CacheStats cache;
  uint64_t blocks_run = 0;
  uint64_t linked_runs = 0;          // blocks the dispatcher went on to without the boundary check
  uint64_t direct_runs = 0;          // blocks entered through a patched link (host code)
  uint64_t indirect_runs = 0;        // blocks entered through the lookup table (host code)
  uint64_t lookup_fills = 0;         // lookup-table entries written (by the dispatcher's lookups)
  uint64_t table_hits = 0;           // dispatcher lookups answered by the lookup table
  uint64_t bulk_runs = 0;            // REP string executions done in bulk (emit_string.h)
  uint64_t tlb_hint_misses = 0;      // inline accesses whose TLB hint missed or that were misaligned
  uint64_t port_io_kept = 0;         // IN/OUT inside a block after which it went on
  uint64_t transfer_links = 0;       // INT/IRET after which the block went on through the lookup table
  uint64_t link_epochs = 0;          // times every link died (mapping, CS, cache, memory map)
  uint64_t signature_changes = 0;    // of those, because the mapping or CS changed (LinkSignature)
  uint64_t invlpg_kept = 0;          // INVLPGs of regions no link led into (links kept)
  bool chaining = false;             // links in host code on (off under lockstep)
  uint64_t block_instructions = 0;   // retired inside blocks
  uint64_t fallback_runs = 0;        // stretches handed to the interpreter
  uint64_t exceptions = 0;           // faults inside blocks
  uint64_t lockstep_blocks = 0;      // blocks compared with the interpreter
  uint64_t lockstep_skipped = 0;     // blocks with port I/O (not compared)
};

class JitEngine : public core::Engine {
 public:
  // Throws std::runtime_error if the dump or perf map file cannot be created.
  explicit JitEngine(core::Machine& machine, const JitOptions& options = {});
  ~JitEngine() override;

  std::string_view name() const override { return "jit"; }
  core::StopReason run(uint64_t max_instructions) override;

  void set_exit_on_halt(bool on) { interp_.set_exit_on_halt(on); }
  // The file --jit-perf-map writes ("" without it).
  std::string perf_map_path() const;
  const core::Interpreter& fallback() const { return interp_; }
  JitStats stats() const;
  // Empty unless lockstep found a difference (the run then stopped with
  // kExitRequested and exit status kLockstepExitStatus).
  const std::string& lockstep_report() const { return lockstep_report_; }
  static constexpr int kLockstepExitStatus = 8;

 private:
  Block* lookup_or_translate();
  // Runs `b` and, while nothing needs the boundary check, the blocks after
  // it. Returns false if run() must return `reason`.
  bool run_chain(Block* b, uint64_t deadline, core::StopReason& reason);
  // The block at the current EIP after a block's exit; patches the direct
  // exit the stub reported (ChainState::missed), or fills the lookup table.
  // Null if none can run.
  Block* successor();
  // Runs the interpreter for up to `n` instructions; false if run() must
  // return `reason`.
  bool fall_back(uint64_t n, core::StopReason& reason);

  // What every link was made under: LinkSignature (jit_context.h), kept in
  // ctx_.links_under.
  // Kills every link (bumps the epoch) if the signature, the memory map or
  // the cache changed since links were last known valid.
  void check_links();

  core::Machine& machine_;
  JitOptions options_;
  core::Interpreter interp_;
  TranslationCache cache_;
  JitContext ctx_;
  JitStats stats_;
  std::unique_ptr<JitDump> dump_;
  std::unique_ptr<PerfMap> perf_map_;
  uint64_t blocks_translated_ = 0;        // numbers blocks in the dump and the perf map
  std::unique_ptr<Lockstep> lockstep_;
  std::string lockstep_report_;
  // Links (ctx_.chain.epoch) die whenever something may have changed what a
  // link assumed (CS, mode, mapping, memory map, cache contents).
  uint64_t* retired_counter_ = nullptr;
  uint64_t cache_changes_ = 0;
  // The 4 MiB linear regions that links made since the last check_links
  // bump lead into (a superset): an INVLPG elsewhere keeps every link. By
  // 4 MiB so that a large page (4 MiB, or 2 MiB with PAE) is one region.
  std::bitset<1024> linked_regions_;
  bool chaining_ = true;  // false under lockstep (blocks are compared one at a time)
};

// --stats: the JIT's figures (jit_stats.cpp).
void print_jit_stats(std::FILE* out, const JitEngine& engine, double host_seconds);

}  // namespace tx86::jit
