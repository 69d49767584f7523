// The JIT's dispatch table (DESIGN.md §2, Dolphin's style): one emitter per
// mnemonic. Every entry starts as emit_call_handler, which emits a call to
// the interpreter's handler for the instruction, so every instruction the
// interpreter runs also runs under the JIT; emitters that produce inline code
// are registered over it by group (register_*). Registering a mnemonic twice
// is a start-up error (std::logic_error).
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/cpu.h"
#include "jit/block.h"
#include "jit/reg_cache.h"

namespace tx86::jit {

// Registers of the emitted code: rbx = JitContext*, r12 = the CpuState
// (both callee-saved, so they survive the calls); r13 is the flags scratch
// (PUSHFQ; POP r13); r15 and rbp, r14, rsi, rdi hold the guest EFLAGS and
// registers the block caches (reg_cache.h: never touch them directly, use
// emit_get/emit_put/guest() of emit_util.h); r8 counts down a loop's
// budget before the deadline (reg_cache.h), so emitters must not use it as
// scratch. [rsp] is an 8-byte spill slot that survives calls
// ([rsp + kBudgetSlot] is the loop budget's). The stack is 16-byte aligned at every call; every
// block has the same frame, so chain stubs jump from block to block.
//
// Inline instructions do not touch EIP or the clock: they count themselves
// in `pending`, and the next handler call (exec_insn_thunk) or the block's
// end (emit_retire) brings both up to date. So inline code must not fault
// and must not do anything a device or the clock could observe.
struct EmitEnv {
  asmjit::x86::Assembler& a;
  asmjit::Label exit;  // returns eax to the dispatcher
  const Block& block;
  size_t index;        // of the instruction being emitted
  uint32_t pending;    // inline instructions not yet retired
  // Arithmetic flags some later instruction or exit may read (backward
  // liveness over the block, block_builder.cpp): an inline emitter computes
  // only these of the flags it writes.
  uint32_t flags_live_after;
  uint64_t* retired;  // the clock's counter (retired_counter())
  // Out-of-line code (slow paths, early exits): emitted after the block's
  // epilogue, in order, by the block builder.
  std::vector<std::function<void()>>* cold = nullptr;
  core::Cpu* cpu = nullptr;                   // the CPU the block runs on
  const uint64_t* memory_generation = nullptr;  // PhysicalMemory's map generation
  RegCache rc;  // where guest registers and EFLAGS live (reg_cache.h)
  // Set by the block builder for the instruction being emitted when its
  // flags may stay a kSaved recipe (RegCache::use_static_recipe): its
  // emitter, if it emits that instruction inline on a register, copies the
  // 32-bit dst into r13 right before it and sets saved_recipe_used.
  std::optional<FlagsRecipe> saved_recipe;
  bool saved_recipe_used = false;
  // Instructions that branches of the block reach inside it (join points,
  // emit_join.h), one entry per instruction, no label if none:
  //   a loop head, where a branch from itself or further on jumps back
  //     (nothing left to retire, flags in one pending form, after the tests
  //     of a link);
  //   a forward join, where a conditional branch earlier in the block jumps
  //     instead of leaving the block.
  // Every cached register counts as dirty from a join point on.
  struct JoinPoint {
    asmjit::Label label{};
    bool loop = false;
    bool bound = false;       // the fall-through reached it (state below known)
    uint32_t pending = 0;     // inline instructions not yet retired there
    RegCache state;           // the register cache there
    std::vector<RegCache> incoming;  // forward branches' states (for the flags form)
    // A loop head whose back edge leaves the flags as a recipe
    // (RegCache::set_remat): the instruction's before that back edge.
    bool has_recipe = false;
    FlagsRecipe recipe;
  };
  std::vector<JoinPoint>* joins = nullptr;
  // The stop test of the instruction's store, if it can go on its slow
  // path (emit_memory.cpp: an inline store never writes a page holding
  // code, so only the slow path can stop the block).
  struct StoreStop;
  std::shared_ptr<StoreStop> last_store;
  size_t side_exits = 0;  // exits of branches inside the block used so far
  // Arithmetic flags live before each instruction of the block (backward
  // liveness along the straight line; block_builder.cpp).
  const std::vector<uint32_t>* flags_live_before = nullptr;
  // Whether no flag is live before the instruction at index `k`.
  bool flags_dead_before(size_t k) const {
    return flags_live_before != nullptr && k < flags_live_before->size() && (*flags_live_before)[k] == 0;
  }

  // The join point at guest EIP `eip`, if an instruction of the block starts
  // there and a branch of the block reaches it; else null.
  JoinPoint* join_at(uint32_t eip) const;
  // The loop head at `eip` (an invalid label if none): where a direct exit
  // to `eip` may go on inside the block.
  asmjit::Label loop_head_for(uint32_t eip) const {
    const JoinPoint* j = join_at(eip);
    return j != nullptr && j->loop ? j->label : asmjit::Label{};
  }
};


// The clock's counter, addressed from r12 (counter_mem, reg_cache.h).
inline asmjit::x86::Mem retired_mem(const EmitEnv& env) { return counter_mem(env.retired, &env.cpu->s); }

// Brings the clock and EIP up to date after inline instructions: retires
// env.pending and sets EIP to `eip` (inline code, no call).
void emit_retire(EmitEnv& env, uint32_t eip);

// Emits the code of one instruction. Must leave EIP exact for the next one
// and jump to `exit` with eax = kExitFault (state untouched, EIP at the
// instruction) or kExitEnd (stop after this instruction).
using Emitter = void (*)(EmitEnv& env, const BlockInsn& bi);
// Whether the emitter produces inline code for this instruction (the flag
// liveness analysis relies on that: an inline instruction reads and writes
// only its own flags; if it has a memory operand or uses the stack it may
// still fault, and then every flag is live before it).
using InlineTest = bool (*)(const x86::Insn& insn);

// The default entry: a call to the interpreter handler through
// exec_insn_thunk (jit_engine.cpp), then a check of the exit code.
void emit_call_handler(EmitEnv& env, const BlockInsn& bi);

// Inline emitters, by instruction group (emit_<group>.cpp).
void register_data_transfer(class JitTable& t);
void register_alu(class JitTable& t);
void register_control_transfer(class JitTable& t);
void register_stack(class JitTable& t);
void register_shift(class JitTable& t);
void register_mul(class JitTable& t);
void register_cond(class JitTable& t);

class JitTable {
 public:
  JitTable();
  void set(x86::Mnemonic m, Emitter e, InlineTest inlines);
  Emitter lookup(x86::Mnemonic m) const { return table_[static_cast<size_t>(m)]; }
  bool inlined(x86::Mnemonic m) const { return set_[static_cast<size_t>(m)]; }
  bool inlines(const x86::Insn& i) const {
    const InlineTest t = tests_[static_cast<size_t>(i.mnemonic)];
    return t != nullptr && t(i);
  }

 private:
  Emitter table_[static_cast<size_t>(x86::Mnemonic::kCount)];
  InlineTest tests_[static_cast<size_t>(x86::Mnemonic::kCount)] = {};
  bool set_[static_cast<size_t>(x86::Mnemonic::kCount)] = {};
};

// The table, built on first use and immutable afterwards.
const JitTable& jit_table();

}  // namespace tx86::jit
