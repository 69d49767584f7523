#include "core/interp/decode_cache.h"

#include <cstring>

namespace tx86::core::interp {

DecodeCache::DecodeCache(PhysicalMemory& memory) : memory_(memory) { memory_.add_code_listener(this); }

DecodeCache::~DecodeCache() {
  memory_.remove_code_listener(this);
  for (const auto& [n, p] : pages_) memory_.set_page_has_code(n, false);
}

const CachedInsn* DecodeCache::insert(uint32_t paddr, const CachedInsn& entry) {
  const uint32_t n = paddr >> kPageShift;
  Page* p = page(n);
  if (p == nullptr) {
    auto fresh = std::make_unique<Page>();
    p = fresh.get();
    pages_.emplace(n, std::move(fresh));
    last_page_ = n;
    last_ = p;
    // Marking bumps the memory generation (TLBs drop write tags), so it is
    // done once per page, not once per decode.
    memory_.set_page_has_code(n, true);
  }
  if (p->used >= kMaxEntriesPerPage) {
    // Many re-decodes (self-modifying code): start the page afresh. Safe
    // here because insert() runs between instructions.
    std::memset(p->slot, 0, sizeof(p->slot));
    p->used = 0;
  }
  if (p->used == p->entries.size()) p->entries.push_back(entry);
  else p->entries[p->used] = entry;
  // A page can hold at most 4096 instruction starts, so indices fit.
  p->slot[paddr & kPageMask] = uint16_t(++p->used);
  return &p->entries[p->used - 1];
}

void DecodeCache::invalidate(uint32_t first, uint32_t last) {
  // An instruction starting up to 14 bytes before the write may cover it.
  const uint32_t from = first >= x86::kMaxInsnLength - 1 ? first - (x86::kMaxInsnLength - 1) : 0;
  for (uint32_t a = from; a <= last; ++a) {
    Page* p = page(a >> kPageShift);
    if (p == nullptr) {
      a |= kPageMask;  // skip the rest of an uncached page
      if (a == 0xFFFFFFFFu) break;
      continue;
    }
    uint16_t& slot = p->slot[a & kPageMask];
    if (slot != 0 && a + p->entries[slot - 1].insn.length > first) {
      slot = 0;
      ++invalidations_;
    }
    if (a == 0xFFFFFFFFu) break;
  }
}

void DecodeCache::code_written(uint32_t paddr, unsigned size) {
  if (size == 0) return;
  invalidate(paddr, paddr + size - 1);
}

}  // namespace tx86::core::interp
