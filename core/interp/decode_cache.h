// The interpreter's cache of decoded instructions, per guest physical page
// (DESIGN.md §5): decode once, keep the Insn and its handler, run it many
// times. Pages that hold cached code are marked in PhysicalMemory
// (set_page_has_code), so every store to them takes the slow path and reaches
// code_written(), which drops the entries whose bytes were written. The page
// stays marked: the next fetch re-decodes, which is what makes self-modifying
// code (even an instruction rewriting the very next one) behave. Data stored
// next to code costs a few slot checks, not a re-decode of the page.
//
// Successor links: each entry remembers the entry that followed it
// (fall-through and the last taken branch target). A link is valid only in
// the epoch it was made in; the epoch advances whenever a link could have
// become wrong: any invalidation or slot reuse here, and, from the engine,
// anything that may change CS, the linear-to-physical mapping or the memory
// map (it calls bump_epoch()). Following a valid link skips the TLB and the
// page lookup.
//
// Entries live in chunks that never move, so a handler may keep using its
// Insn even if it overwrites its own bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/interp/exec_context.h"
#include "core/memory.h"
#include "frontend-x86/decoder.h"

namespace tx86::core::interp {

struct CachedInsn {
  x86::Insn insn;
  Handler handler = nullptr;
  bool code32 = false;    // decoded with CS.D = 1
  bool linkable = false;  // a cache entry (not the slow-path scratch)
  // Successor links (see above), valid while link_epoch == the cache epoch.
  uint64_t link_epoch = 0;
  uint32_t fall_eip = 0;
  uint32_t jump_eip = 0;
  CachedInsn* next = nullptr;
  CachedInsn* jump = nullptr;
};

class DecodeCache : public CodeWriteListener {
 public:
  explicit DecodeCache(PhysicalMemory& memory);
  ~DecodeCache() override;
  DecodeCache(const DecodeCache&) = delete;
  DecodeCache& operator=(const DecodeCache&) = delete;

  // The cached instruction at physical address `paddr` decoded for `code32`,
  // or null.
  CachedInsn* find(uint32_t paddr, bool code32) {
    Page* p = page(paddr >> kPageShift);
    if (p == nullptr) return nullptr;
    const uint16_t slot = p->slot[paddr & kPageMask];
    if (slot == 0) return nullptr;
    CachedInsn* e = p->entry(slot - 1);
    return e->code32 == code32 ? e : nullptr;
  }
  // Stores a decoded instruction (which lies entirely within its page).
  CachedInsn* insert(uint32_t paddr, const CachedInsn& entry);

  uint64_t epoch() const { return epoch_; }
  void bump_epoch() { ++epoch_; }

  void code_written(uint32_t paddr, unsigned size) override;
  uint64_t invalidations() const { return invalidations_; }

 private:
  static constexpr size_t kChunk = 256;
  static constexpr size_t kMaxEntriesPerPage = 2 * kPageSize;
  struct Page {
    uint16_t slot[kPageSize] = {};  // entry index + 1, 0 = none
    std::vector<std::unique_ptr<CachedInsn[]>> chunks;
    size_t used = 0;
    CachedInsn* entry(size_t k) { return &chunks[k / kChunk][k % kChunk]; }
  };
  // Two-level directory over the 2^20 physical pages.
  static constexpr unsigned kDirBits = 10;
  Page* page(uint32_t n) {
    const auto& leaf = dir_[n >> kDirBits];
    return leaf ? leaf[n & ((1u << kDirBits) - 1)].get() : nullptr;
  }
  // Drops the entries whose bytes overlap [first, last].
  void invalidate(uint32_t first, uint32_t last);

  PhysicalMemory& memory_;
  std::unique_ptr<std::unique_ptr<Page>[]> dir_[1u << (32 - kPageShift - kDirBits)];
  uint64_t epoch_ = 1;
  uint64_t invalidations_ = 0;
};

}  // namespace tx86::core::interp
