// The interpreter's cache of decoded instructions, per guest physical page
// (DESIGN.md §5): decode once, keep the Insn and its handler, run it many
// times. Pages that hold cached code are marked in PhysicalMemory
// (set_page_has_code), so every store to them takes the slow path and reaches
// code_written(), which drops the page's entries. The page stays marked: the
// next fetch re-decodes, which is what makes self-modifying code (even an
// instruction rewriting the very next one) behave. Only the entries whose
// bytes overlap the written range are dropped, so data stored next to code
// costs a few slot checks, not a re-decode of the page.
//
// Entries are never freed or moved while a handler may be running: an
// invalidation only clears slot indices; storage is reused by later decodes,
// which happen between instructions.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/interp/exec_context.h"
#include "core/memory.h"
#include "frontend-x86/decoder.h"

namespace tx86::core::interp {

struct CachedInsn {
  x86::Insn insn;
  Handler handler = nullptr;
  bool code32 = false;  // decoded with CS.D = 1
};

class DecodeCache : public CodeWriteListener {
 public:
  explicit DecodeCache(PhysicalMemory& memory);
  ~DecodeCache() override;
  DecodeCache(const DecodeCache&) = delete;
  DecodeCache& operator=(const DecodeCache&) = delete;

  // The cached instruction at physical address `paddr` decoded for `code32`,
  // or null.
  const CachedInsn* find(uint32_t paddr, bool code32) {
    Page* p = page(paddr >> kPageShift);
    if (p == nullptr) return nullptr;
    const uint16_t slot = p->slot[paddr & kPageMask];
    if (slot == 0) return nullptr;
    const CachedInsn* e = &p->entries[slot - 1];
    return e->code32 == code32 ? e : nullptr;
  }
  // Stores a decoded instruction (which lies entirely within its page).
  const CachedInsn* insert(uint32_t paddr, const CachedInsn& entry);

  void code_written(uint32_t paddr, unsigned size) override;
  uint64_t invalidations() const { return invalidations_; }

 private:
  struct Page {
    uint16_t slot[kPageSize] = {};  // entry index + 1, 0 = none
    std::vector<CachedInsn> entries;
    size_t used = 0;
  };
  Page* page(uint32_t n) {
    if (n == last_page_ && last_ != nullptr) return last_;
    auto it = pages_.find(n);
    if (it == pages_.end()) return nullptr;
    last_page_ = n;
    last_ = it->second.get();
    return last_;
  }
  // Drops the entries whose bytes overlap [first, last].
  void invalidate(uint32_t first, uint32_t last);
  static constexpr size_t kMaxEntriesPerPage = 2 * kPageSize;

  PhysicalMemory& memory_;
  std::unordered_map<uint32_t, std::unique_ptr<Page>> pages_;
  uint32_t last_page_ = 0;
  Page* last_ = nullptr;
  uint64_t invalidations_ = 0;
};

}  // namespace tx86::core::interp
