// Guest state in host registers inside a block (issue #4 item 2: "guest
// registers may live in host registers inside a block").
//
// At a block's start the guest registers it uses most (at least twice, up to
// five of them) are loaded into host registers, and the guest EFLAGS into
// r15d; inline code then works on those, and the CpuState copy is brought up
// to date ("flushed") wherever anything else may look at it:
//   - before every call out of generated code (an interpreter handler, a
//     memory slow path, the lookup table): the callee reads the CpuState;
//   - before every exit from the block (the next block, the dispatcher, the
//     exception delivery and lockstep read the CpuState).
// After a handler the registers are loaded again (it may have changed any of
// them); after a memory slow path only the caller-saved host registers are.
//
// Which registers changed since they were loaded ("dirty") is tracked while
// emitting. It is conservative: a flush writes the dirty ones but does not
// forget them (the flush may sit on one path of a branch only), so only a
// reload clears it. A register not chosen for a block is read and written in
// the CpuState as before.
//
// Guest registers whose high byte (AH, CH, DH, BH) any instruction of the
// block names are never chosen (host registers other than rax-rdx have no
// such byte), so every access to AH..BH goes to the CpuState.
//
// In a block with a loop inside it, r8 counts down the instructions its
// back edges may still retire before the deadline (emit_join.cpp). The
// frame slot [rsp + kBudgetSlot] holds the budget B = deadline - counter -
// the block's length, taken when r8 was loaded; r8 is B minus what retired
// since then (what the clock's counter does not hold yet), so a back edge
// is one SUB and a JL (r8 < 0: the deadline test failed), with no load or
// store of the counter. A store and a load of the counter on every back
// edge would chain the iterations through memory (store-to-load
// forwarding, several cycles). The flush adds B - r8 to the counter and
// takes r8 as the new B, so every call out and every exit sees the exact
// clock; a load computes B again (the deadline changes only in calls out).
// Inline code of such a block that goes on in it never changes the
// counter itself: it retires by subtracting from r8 (emit_join_edge,
// reach_join, the memory slow paths), else B would be stale. The deadline
// is below 2^62 (ChainState), so B and r8 never overflow.
#pragma once

#include <asmjit/x86.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "jit/block.h"

namespace tx86::core {
struct CpuState;
}

namespace tx86::jit {

class JitTable;

// The frame slot of the budget B (block_builder.cpp lays out the frame).
constexpr int32_t kBudgetSlot = 8;

// The clock's counter `retired` as a memory operand from r12, the CpuState
// `state`: both are members of the Machine, so the offset is fixed by its
// layout (golden listings show it as <clock.retired>) and fits in a
// displacement (std::logic_error if it did not).
asmjit::x86::Mem counter_mem(const uint64_t* retired, const core::CpuState* state);

// The flags of an instruction that code can compute again while neither
// of its registers changed (RegCache's remat state): CMP or TEST dst, src,
// or SUB or ADD dst, src after it ran (dst holds the result: the original
// is the result plus or minus src, and SUB and ADD flags depend on the
// operands only). `w` bytes; dst a guest register (with w == 1, 4..7 are
// AH..BH); src a guest register (for SUB and ADD another one) or an
// immediate.
struct FlagsRecipe {
  // kSaved: a 32-bit instruction `inst` (an AsmJit id: AND, OR, XOR, INC,
  // DEC, SHR, SAR) whose emitter copied dst into r13 before it ran
  // (EmitEnv::saved_recipe): done again on that copy. Its dst may change
  // after it; only a source register must not.
  // kConst: XOR or SUB of a register with itself, whose flags are
  // `value` whatever the register held.
  enum class Op : uint8_t { kCmp, kTest, kSub, kAdd, kSaved, kConst };
  Op op = Op::kCmp;
  uint8_t w = 4;
  uint8_t dst = 0;
  bool imm = false;  // src is `value`, else guest register `src`
  uint8_t src = 0;
  uint32_t value = 0;
  uint32_t inst = 0;   // kSaved
  bool unary = false;  // kSaved: no source (INC, DEC)
  bool operator==(const FlagsRecipe&) const = default;
  // Whether writing guest register `gpr` (0..7, whole or in part) changes
  // an operand.
  bool reads(unsigned gpr) const {
    const auto base = [this](unsigned r) { return w == 1 && r >= 4 ? r - 4 : r; };
    if (op == Op::kConst) return false;
    if (op == Op::kSaved) return !unary && !imm && base(src) == gpr;
    return base(dst) == gpr || (!imm && base(src) == gpr);
  }
};

class RegCache {
 public:
  // Chooses the cached registers for block `b` (its instructions and what
  // the table inlines of them).
  static RegCache plan(const Block& b, const JitTable& table);

  bool cached(unsigned r) const { return host_[r] >= 0; }
  // The host register holding guest register `r` at width `w` (1: low byte).
  asmjit::x86::Gp host(unsigned r, unsigned w) const;
  // The guest EFLAGS: r15d while `flags_cached()`, else the CpuState.
  bool flags_cached() const { return flags_; }

  // Guest register `r` at width `w` (1..4; with w == 1, r >= 4 is AH..BH):
  // a host register or the CpuState bytes. Reading it needs nothing more;
  // after writing through it, call written(r).
  asmjit::Operand operand(unsigned r, unsigned w) const;
  void written(unsigned r) {
    if (w_ok(r) && cached(r)) dirty_ |= uint8_t(1u << r);
  }
  // The guest EFLAGS (no flags pending: materialize_flags first).
  asmjit::Operand eflags() const;

  // Flags are left pending: after an inline instruction computed them, r13d
  // holds the host flags (PUSHFQ; POP r13) and the guest EFLAGS is
  // (EFLAGS & ~written) | (r13d & from_host), merged into r15d only where
  // something needs EFLAGS itself (a flush, materialize_flags). A later
  // instruction that overwrites all of `written` makes the merge unneeded.
  //
  // Before an instruction that will leave its flags pending, with `written`
  // the flags it writes (it may clobber r13 and the host flags after this):
  // merges the older pending flags if they are not all overwritten.
  void prepare_flags(asmjit::x86::Assembler& a, uint32_t written);
  // After it: r13d holds its flags (emit_merge_flags, emit_util.h).
  void set_pending(uint32_t written, uint32_t from_host);
  // Merges pending flags into r15d now.
  void materialize_flags(asmjit::x86::Assembler& a);
  // Leaves the flags pending in the form of an instruction whose host flags
  // are all six arithmetic flags (CMP, SUB, ADD): a state in another form
  // is merged, then r13d := r15d (merging that changes nothing). Paths
  // meeting at a loop head agree this way without a merge on a back edge
  // after a CMP. Nothing if the block does not cache EFLAGS.
  // At a back edge to a loop head whose flags may be recipe `head`'s, a
  // state with that same recipe on is already in that form.
  void full_pending_flags(asmjit::x86::Assembler& a, const FlagsRecipe* head = nullptr) {
    if (head != nullptr && remat_on_ && remat_ == *head && pending_in_full_form() && !deferred_) return;
    pending_in_form_of(a, x86::kArithFlags);
  }
  // Flags that only a fault or a call out could read before they are all
  // overwritten need not be captured (PUSHFQ; POP r13) if they can be
  // computed again: where an instruction's capture waits and the code that
  // follows keeps its registers (block_builder.cpp), and at loop heads
  // whose back edge follows such an instruction (emit_join.h), r13 is
  // zeroed instead (XOR: no PUSHFQ) and the state is "r13 holds the flags,
  // or is 0 and they are the recipe's". Captured flags are never 0 (RFLAGS
  // bit 1 is always set, and a merge masks r13 keeping that bit);
  // whatever needs r13 (emit_capture, a flush on a slow path) tests it and
  // computes the recipe's if it is 0 (emit_remat). The state ends when an
  // instruction overwrites every arithmetic flag (set_pending,
  // forget_remat) and must be ended (end_remat) before one that would
  // change a register of the recipe or read the flags otherwise.
  void set_remat(const FlagsRecipe& r) { remat_ = r; remat_on_ = true; }
  bool remat_on() const { return remat_on_; }
  const FlagsRecipe& remat() const { return remat_; }
  // Where the capture of recipe `r`'s flags waits: r13 := 0 instead, and
  // the state on. At a back edge (`full`), the flags are then in the full
  // form the loop head has (TEST's AF, 0 in the guest, comes out of the
  // recipe as 0: emit_remat).
  void zero_for_recipe(asmjit::x86::Assembler& a, const FlagsRecipe& r, bool full);
  // Recipes that need nothing in r13 (kSaved, kConst): no sentinel test.
  bool static_recipe() const {
    return remat_on_ && (remat_.op == FlagsRecipe::Op::kSaved || remat_.op == FlagsRecipe::Op::kConst);
  }
  // Where the instruction of a kConst recipe, or of a kSaved one whose
  // emitter copied its dst into r13, left its capture waiting: the flags
  // are the recipe's from now on (no sentinel: r13 is unused, or the copy
  // until the state ends; a flush computes them in rax, end_remat in r13).
  void use_static_recipe(const FlagsRecipe& r);
  // Whether the flags pending, with their capture waiting, are in the form
  // recipe `r`'s instruction leaves (zero_for_recipe's condition).
  bool recipe_fits(const FlagsRecipe& r) const {
    const uint32_t from_host =
        r.op == FlagsRecipe::Op::kTest ? x86::kArithFlags & ~uint32_t(x86::kAF) : x86::kArithFlags;
    return deferred_ && pending_ && pending_written_ == x86::kArithFlags && pending_from_host_ == from_host;
  }
  // r13 := the recipe's flags if it is 0, here; the state ends.
  void end_remat(asmjit::x86::Assembler& a) {
    if (!remat_on_) return;
    emit_remat(a, asmjit::x86::r13);
    remat_on_ = false;
  }
  // The state ends with no code: the flags were all overwritten, or the
  // code that follows ends it itself.
  void forget_remat() { remat_on_ = false; }
  // Whether the flags are pending in the full form (all six from the host).
  bool pending_in_full_form() const {
    return pending_ && pending_written_ == x86::kArithFlags && pending_from_host_ == x86::kArithFlags;
  }
  // Whether the flags are pending in a form every other path can take
  // (pending_in_form_of): all the flags written come from the host.
  bool takeable_form() const { return pending_ && pending_written_ == pending_from_host_; }
  // Leaves the flags pending in the form of an instruction that writes
  // `written`, all from the host: a state in another form is merged, then
  // r13d := r15d (the merge then changes nothing). Nothing if the block
  // does not cache EFLAGS.
  void pending_in_form_of(asmjit::x86::Assembler& a, uint32_t written);
  // The same, in the form `o` has (o.takeable_form()).
  void pending_in_form_of(asmjit::x86::Assembler& a, const RegCache& o) {
    pending_in_form_of(a, o.pending_written_);
  }
  // Where condition flags `needed` can be read: r13d if they are pending
  // from the host, else the guest EFLAGS (materialized first).
  asmjit::Operand condition_flags(asmjit::x86::Assembler& a, uint32_t needed);

  // CpuState := the dirty cached registers and EFLAGS (they stay cached);
  // the clock's counter += B - r8, B := r8 if back edges count there.
  // Clobbers rax only.
  void emit_flush(asmjit::x86::Assembler& a) const;
  // Back edges of this block count down in r8: `retired` is the clock's
  // counter, `state` the CpuState r12 points at (the counter is addressed
  // from it: both are members of the Machine), `length` the block's
  // instruction count. Before the block's first emit_load.
  void count_back_edges_in_r8(const uint64_t* retired, const core::CpuState* state, uint32_t length);
  bool back_edges_in_r8() const { return counts_down_; }
  // Cached registers and EFLAGS := the CpuState; nothing dirty; r8 := B :=
  // the budget if back edges count there. `callee_saved` false reloads only
  // those a call clobbers (rsi, rdi, r11). Clobbers nothing else.
  void emit_load(asmjit::x86::Assembler& a, bool callee_saved = true);

  // Whether the guest EFLAGS is in the same form here as in `o` (both with
  // no flags pending, or both pending from the same kind of instruction),
  // so that code reached from both needs no merge on either side.
  bool same_flags_form(const RegCache& o) const {
    return pending_ == o.pending_ && remat_on_ == o.remat_on_ && (!remat_on_ || remat_ == o.remat_) &&
           (!pending_ || (pending_written_ == o.pending_written_ && pending_from_host_ == o.pending_from_host_));
  }

  // The pending flags are also still in the host's flags register while
  // nothing was emitted since the instruction captured them
  // (emit_capture_flags, emit_util.h, notes the code offset right after
  // its PUSHFQ; POP r13): then a Jcc of the same condition code tests the
  // host flags directly. Any code emitted since (a store, its slow path)
  // moves the offset, so the test fails safe.
  void note_host_flags(size_t offset) { host_flags_at_ = offset; }
  // Forgets that (a join point: other paths arrive with other host flags).
  void forget_host_flags() { host_flags_at_ = kNoOffset; }

  // The capture may wait (emit_capture_flags with `last`): the pending
  // flags are then only in the host's flags register, r13 does not hold
  // them yet. The block builder decides at the next instruction: it
  // captures them (emit_capture) unless that instruction keeps the host
  // flags (an inline Jcc inside the block, SETcc or CMOVcc of registers)
  // or no one reads them before they are written again (drop_dead_flags).
  // A Jcc's taken side captures first thing out of line. Everything that
  // reads r13 as the flags captures first; a flush with the capture still
  // waiting is a bug in an emitter (std::logic_error).
  void defer_capture(size_t offset) {
    deferred_ = true;
    host_flags_at_ = offset;
  }
  bool capture_deferred() const { return deferred_; }
  // PUSHFQ; POP r13, if the capture waits: the host flags must still be
  // the pending ones (nothing emitted since; std::logic_error if not).
  void emit_capture(asmjit::x86::Assembler& a);
  // The capture waits on an out-of-line path entered by a jump from where
  // the host flags held them (a Jcc's taken side): they hold here too.
  void enter_out_of_line(asmjit::x86::Assembler& a) {
    if (deferred_) host_flags_at_ = a.offset();
  }
  // The waiting flags are written again before anything reads them
  // (backward liveness): forgotten, with no code. EFLAGS keeps their old
  // values in r15d, which nothing reads before they are overwritten.
  void drop_dead_flags() {
    deferred_ = false;
    pending_ = false;
    remat_on_ = false;
  }
  // Whether the host flags hold guest flags `needed` at code offset `offset`.
  bool host_flags_hold(size_t offset, uint32_t needed) const {
    return pending_ && offset == host_flags_at_ && (needed & ~pending_from_host_) == 0;
  }

  // Every cached register and EFLAGS counts as changed (at a loop head
  // reached from later in the block with registers changed).
  void all_dirty() {
    for (unsigned r = 0; r < 8; ++r)
      if (cached(r)) dirty_ |= uint8_t(1u << r);
    flags_dirty_ = flags_;
  }
  // After a call that ran on the CpuState and left it as the guest's (a
  // branch's handler): the host registers are stale, only an exit follows.
  void handed_over() {
    counts_down_ = false;  // flushed before the call, clobbered by it
    deferred_ = false;
    remat_on_ = false;
    dirty_ = 0;
    flags_dirty_ = false;
    pending_ = false;
  }

 private:
  static bool w_ok(unsigned r) { return r < 8; }
  std::array<int8_t, 8> host_{-1, -1, -1, -1, -1, -1, -1, -1};  // index into kPool
  uint8_t dirty_ = 0;
  void emit_merge(asmjit::x86::Assembler& a, const asmjit::x86::Gp& flags) const;
  void emit_merge(asmjit::x86::Assembler& a) const { emit_merge(a, asmjit::x86::r13); }
  bool flags_ = false;
  bool flags_dirty_ = false;
  bool pending_ = false;
  uint32_t pending_written_ = 0, pending_from_host_ = 0;
  static constexpr size_t kNoOffset = ~size_t{0};
  size_t host_flags_at_ = kNoOffset;
  // Whether back edges count down in r8; the counter and the block's
  // length, for B.
  bool counts_down_ = false;
  asmjit::x86::Mem counter_;
  uint32_t length_ = 0;
  bool deferred_ = false;  // the pending flags are not in r13 yet
  // The remat state (set_remat): r13 == 0 means the recipe's flags.
  bool remat_on_ = false;
  FlagsRecipe remat_;
  // The recipe's flags into `to` (r13, or rax in a flush: a kSaved recipe's
  // copy in r13 must stay for later slow paths); clobbers rax.
  void emit_remat(asmjit::x86::Assembler& a, const asmjit::x86::Gp& to) const;
};

}  // namespace tx86::jit
