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
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/memory.h"
#include "jit/block.h"

namespace tx86::jit {

struct CacheStats {
  uint64_t blocks_translated = 0;
  uint64_t cache_hits = 0;
  uint64_t invalidations = 0;  // blocks dropped by self-modifying code
  uint64_t flushes = 0;
  uint64_t chain_links = 0;
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

  asmjit::JitRuntime& runtime() { return runtime_; }
  CacheStats& stats() { return stats_; }
  size_t code_bytes() const { return code_bytes_; }
  size_t capacity() const { return capacity_; }

  // Where the engine keeps the block now running (chained blocks change it
  // without the engine; its invalidation sets *stop_flag) and the link
  // epoch, bumped by every invalidation and flush so that no link or lookup
  // entry can lead to a dropped block.
  void watch(const Block* const* running, bool* stop_flag, uint64_t* link_epoch) {
    running_ = running;
    stop_flag_ = stop_flag;
    link_epoch_ = link_epoch;
  }
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

  core::PhysicalMemory& memory_;
  size_t capacity_;
  asmjit::JitRuntime runtime_;
  std::unordered_map<BlockKey, Block*, BlockKeyHash> map_;
  std::unordered_map<uint32_t, std::vector<Owned>> by_page_;
  std::vector<Owned> graveyard_;
  size_t code_bytes_ = 0;
  const Block* const* running_ = nullptr;
  bool* stop_flag_ = nullptr;
  uint64_t* link_epoch_ = nullptr;
  CacheStats stats_;
};

}  // namespace tx86::jit
