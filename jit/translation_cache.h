// The translation cache: blocks by key, an index by guest physical page for
// self-modifying-code invalidation, and the host code memory (AsmJit's
// JitRuntime). Bounded: when the host code reaches the capacity, everything
// is flushed at the next translation (never while a block runs).
//
// Invalidation is by byte range: a write to a page that holds translated code
// (PhysicalMemory tells every CodeWriteListener) drops exactly the blocks
// whose bytes overlap it. A dropped block is unlinked at once but freed only
// between blocks, because it may be the one running (an instruction that
// rewrites its own block): then the running block is told to stop after the
// current instruction (stop flag), and the dispatcher translates afresh.
// Every invalidation and flush bumps the engine's link epoch, which unlinks
// every chain link and lookup entry at once (safe while a block runs: the
// stubs compare the epoch before every jump).
//
// Hot self-modifying code: a page whose blocks are invalidated
// kHotInvalidations times within kHotWindow retired instructions (code that
// patches itself in a loop) is not translated for a while (kPauseBase
// instructions, doubling at each new pause up to kMaxBackoff doublings,
// back to the base once the page stayed cool for kCoolAfter instructions):
// translation_paused() says so and the engine runs that code in the
// interpreter, whose own SMC cost (dropping decoded instructions) is far
// below a retranslation. Blocks already on the page keep running.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/memory.h"
#include "jit/block.h"
#include "jit/chain_state.h"

namespace tx86::jit {

struct CacheStats {
  uint64_t blocks_translated = 0;
  uint64_t cache_hits = 0;
  uint64_t invalidations = 0;  // blocks dropped by self-modifying code
  uint64_t flushes = 0;
  uint64_t chain_links = 0;
  uint64_t hot_pauses = 0;       // times translation on a page was paused (hot SMC)
  uint64_t paused_lookups = 0;   // translations refused because their page was paused
  double translate_seconds = 0;
};

class TranslationCache : public core::CodeWriteListener {
 public:
  TranslationCache(core::PhysicalMemory& memory, size_t capacity_bytes);
  ~TranslationCache() override;
  TranslationCache(const TranslationCache&) = delete;
  TranslationCache& operator=(const TranslationCache&) = delete;

  Block* find(const BlockKey& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }
  // Takes ownership; marks the block's page as holding code.
  Block* insert(std::unique_ptr<Block> block);
  bool full() const { return code_bytes_ >= capacity_; }
  void flush();

  // Whether blocks at physical address `paddr` must not be translated now
  // (hot self-modifying code, see above). Counts the refusal.
  bool translation_paused(uint32_t paddr) {
    if (hot_.empty()) [[likely]]
      return false;
    auto it = hot_.find(paddr >> core::kPageShift);
    if (it == hot_.end() || retired_ == nullptr || *retired_ >= it->second.paused_until) return false;
    ++stats_.paused_lookups;
    return true;
  }
  static constexpr uint32_t kHotInvalidations = 64;
  static constexpr uint64_t kHotWindow = uint64_t{1} << 20;
  static constexpr uint64_t kPauseBase = uint64_t{1} << 16;
  static constexpr uint32_t kMaxBackoff = 8;
  static constexpr uint64_t kCoolAfter = uint64_t{1} << 26;

  asmjit::JitRuntime& runtime() { return runtime_; }
  CacheStats& stats() { return stats_; }
  size_t code_bytes() const { return code_bytes_; }
  size_t capacity() const { return capacity_; }

  // Where the engine keeps the block now running (chained blocks change it
  // without the engine; its invalidation sets *stop_flag) and the chaining
  // state, whose links every invalidation and flush kills so that no link
  // or lookup entry can lead to a dropped block.
  void watch(const Block* const* running, bool* stop_flag, ChainState* chain) {
    running_ = running;
    stop_flag_ = stop_flag;
    chain_ = chain;
  }
  // The retired-instruction counter that times hot pages (none: never hot).
  void count_with(const uint64_t* retired) { retired_ = retired; }
  // Frees the blocks invalidated while they might have been running.
  void collect() { graveyard_.clear(); }

  void code_written(uint32_t paddr, unsigned size) override;

 private:
  struct BlockDeleter {
    TranslationCache* cache;
    void operator()(Block* b) const;
  };
  using Owned = std::unique_ptr<Block, BlockDeleter>;
  void invalidate_range(uint32_t first, uint32_t last);
  // Blocks on `page` were invalidated: counts towards pausing it.
  void note_invalidation(uint32_t page);

  struct HotPage {
    uint64_t window_start = 0;  // retired count when the current window began
    uint32_t count = 0;         // invalidations in the window
    uint32_t backoff = 0;       // doublings of the next pause
    uint64_t paused_until = 0;  // no translation before this retired count
  };

  core::PhysicalMemory& memory_;
  size_t capacity_;
  asmjit::JitRuntime runtime_;
  std::unordered_map<BlockKey, Block*, BlockKeyHash> map_;
  std::unordered_map<uint32_t, std::vector<Owned>> by_page_;
  std::vector<Owned> graveyard_;
  size_t code_bytes_ = 0;
  const Block* const* running_ = nullptr;
  bool* stop_flag_ = nullptr;
  ChainState* chain_ = nullptr;
  const uint64_t* retired_ = nullptr;
  std::unordered_map<uint32_t, HotPage> hot_;  // pages with invalidations (kept across flushes)
  CacheStats stats_;
};

}  // namespace tx86::jit
