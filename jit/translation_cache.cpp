// See translation_cache.h.
#include "jit/translation_cache.h"

#include <algorithm>

namespace tx86::jit {

TranslationCache::TranslationCache(core::PhysicalMemory& memory, size_t capacity_bytes)
    : memory_(memory), capacity_(capacity_bytes) {
  memory_.add_code_listener(this);
}

TranslationCache::~TranslationCache() {
  memory_.remove_code_listener(this);
  graveyard_.clear();
  by_page_.clear();
}

void TranslationCache::BlockDeleter::operator()(Block* b) const {
  if (b->entry != nullptr) cache->runtime_.release(b->entry);
  cache->code_bytes_ -= std::min(cache->code_bytes_, b->code_size);
  delete b;
}

Block* TranslationCache::insert(std::unique_ptr<Block> block) {
  Block* b = block.release();
  code_bytes_ += b->code_size;
  map_[b->key] = b;
  const uint32_t page = b->key.paddr >> core::kPageShift;
  by_page_[page].push_back(Owned(b, BlockDeleter{this}));
  // Stores to the page now take the slow path and reach code_written().
  memory_.set_page_has_code(page, true);
  ++stats_.blocks_translated;
  return b;
}

void TranslationCache::flush() {
  ++stats_.flushes;
  map_.clear();
  // The running block (if any) is kept alive until collect().
  for (auto& [page, blocks] : by_page_)
    for (Owned& o : blocks) {
      o->valid = false;
      graveyard_.push_back(std::move(o));
    }
  by_page_.clear();
  if (chain_ != nullptr) chain_->kill_links();
  if (running_ != nullptr && *running_ != nullptr && stop_flag_ != nullptr) *stop_flag_ = true;
}

void TranslationCache::code_written(uint32_t paddr, unsigned size) {
  if (size == 0) return;
  const uint64_t last = std::min<uint64_t>(uint64_t{paddr} + size - 1, 0xFFFFFFFFu);
  // A write may straddle two pages.
  for (uint64_t p = paddr >> core::kPageShift; p <= (last >> core::kPageShift); ++p) {
    const uint32_t first = std::max<uint32_t>(paddr, static_cast<uint32_t>(p << core::kPageShift));
    const uint32_t end = static_cast<uint32_t>(std::min<uint64_t>(last, (p << core::kPageShift) | core::kPageMask));
    invalidate_range(first, end);
  }
}

void TranslationCache::invalidate_range(uint32_t first, uint32_t last) {
  auto it = by_page_.find(first >> core::kPageShift);
  if (it == by_page_.end()) return;
  std::vector<Owned>& blocks = it->second;
  const uint64_t before = stats_.invalidations;
  for (size_t k = 0; k < blocks.size();) {
    Block* b = blocks[k].get();
    if (b->key.paddr <= last && first < b->paddr_end) {
      b->valid = false;
      ++stats_.invalidations;
      auto m = map_.find(b->key);
      if (m != map_.end() && m->second == b) map_.erase(m);
      if (chain_ != nullptr) chain_->kill_links();
      if (running_ != nullptr && b == *running_ && stop_flag_ != nullptr) *stop_flag_ = true;
      graveyard_.push_back(std::move(blocks[k]));
      blocks[k] = std::move(blocks.back());
      blocks.pop_back();
    } else {
      ++k;
    }
  }
  if (blocks.empty()) by_page_.erase(it);
  if (stats_.invalidations != before) note_invalidation(first >> core::kPageShift);
}

void TranslationCache::note_invalidation(uint32_t page) {
  if (retired_ == nullptr) return;
  const uint64_t now = *retired_;
  HotPage& h = hot_[page];
  if (now - h.window_start > kHotWindow) {
    h.window_start = now;
    h.count = 0;
  }
  if (++h.count < kHotInvalidations) return;
  // Hot: the next translations would most likely be dropped again soon.
  if (now > h.paused_until && now - h.paused_until > kCoolAfter) h.backoff = 0;
  h.paused_until = now + (kPauseBase << h.backoff);
  h.backoff = std::min(h.backoff + 1, kMaxBackoff);
  h.window_start = now;
  h.count = 0;
  ++stats_.hot_pauses;
}

}  // namespace tx86::jit
