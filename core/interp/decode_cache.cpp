#include "core/interp/decode_cache.h"

#include <cstring>

namespace tx86::core::interp {

DecodeCache::DecodeCache(PhysicalMemory& memory) : memory_(memory) { memory_.add_code_listener(this); }

// The code marks stay: another engine (the JIT) may rely on them too, and a
// stale mark only sends that page's stores through the slow path.
DecodeCache::~DecodeCache() { memory_.remove_code_listener(this); }

CachedInsn* DecodeCache::insert(uint32_t paddr, const CachedInsn& entry) {
  const uint32_t n = paddr >> kPageShift;
  Page* p = page(n);
  if (p == nullptr) {
    auto& leaf = dir_[n >> kDirBits];
    if (!leaf) leaf = std::make_unique<std::unique_ptr<Page>[]>(size_t{1} << kDirBits);
    leaf[n & ((1u << kDirBits) - 1)] = std::make_unique<Page>();
    p = page(n);
    // Marking bumps the memory generation (TLBs drop write tags), so it is
    // done once per page, not once per decode.
    memory_.set_page_has_code(n, true);
  }
  if (p->used >= kMaxEntriesPerPage) {
    // Many re-decodes (self-modifying code): start the page afresh. Safe
    // here because insert() runs between instructions; links into the
    // reused storage die with the epoch.
    std::memset(p->slot, 0, sizeof(p->slot));
    p->used = 0;
    ++epoch_;
  }
  if (p->used == p->chunks.size() * kChunk) p->chunks.push_back(std::make_unique<CachedInsn[]>(kChunk));
  CachedInsn* e = p->entry(p->used);
  *e = entry;
  e->linkable = true;
  e->link_epoch = 0;
  e->next = e->jump = nullptr;
  // A page can hold at most 2 * 4096 entries before a reset, so indices fit.
  p->slot[paddr & kPageMask] = uint16_t(++p->used);
  return e;
}

void DecodeCache::invalidate(uint32_t first, uint32_t last) {
  // An instruction starting up to 14 bytes before the write may cover it.
  const uint32_t from = first >= x86::kMaxInsnLength - 1 ? first - (x86::kMaxInsnLength - 1) : 0;
  for (uint32_t a = from;; ++a) {
    Page* p = page(a >> kPageShift);
    if (p == nullptr) {
      a |= kPageMask;  // skip the rest of an uncached page
    } else {
      uint16_t& slot = p->slot[a & kPageMask];
      if (slot != 0 && a + p->entry(slot - 1)->insn.length > first) {
        slot = 0;
        ++invalidations_;
        ++epoch_;
      }
    }
    if (a >= last) break;
  }
}

void DecodeCache::code_written(uint32_t paddr, unsigned size) {
  if (size == 0) return;
  invalidate(paddr, paddr + size - 1);
}

}  // namespace tx86::core::interp
