// Jumps that stay inside their block (issue #4: loops and if/else inside a
// block run without a chain stub or a register write-back).
//
// The block builder marks every instruction a near branch of the block
// reaches as a join point (EmitEnv::JoinPoint, jit_table.h):
//   - a forward join, reached by a conditional branch earlier in the block:
//     the taken side jumps there out of line (emit_join_edge);
//   - a loop head, reached by a branch from itself or further on: the
//     branch jumps back (emit_branch_exit) after the clock is brought up to
//     date and if the deadline allows, as for any chain link (emit_chain.h),
//     so that interrupts and events still come at the interpreter's
//     boundaries. The deadline test charges the whole block, which covers
//     any path through it. Whatever kills links also drops the deadline
//     (ChainState::kill_links), so the loop needs no epoch test.
// The straight-line code reaching a join point puts the state in the form
// every jump to it brings: the clock's count of instructions not yet
// retired as at the join; at a forward join, flags pending only where every
// branch to it has them pending in the same form, at a loop head pending in
// the full form of RegCache::full_pending_flags (reg_cache.h); every cached
// register dirty.
#pragma once

#include <cstdint>
#include <optional>

#include "jit/jit_table.h"

namespace tx86::jit {

// CMP, TEST, SUB or ADD r, r / r, imm, XOR r, r: the recipe of its flags
// (RegCache::set_remat), which the code after it or a loop head reached
// by a back edge right after it may take instead of their capture.
std::optional<FlagsRecipe> flags_recipe(const x86::Insn& i);

// Whether `target` is the EIP of an instruction of the block: then it lies
// within the CS limit the block was entered under (its last byte was
// checked, jit_engine.cpp), so a branch there cannot fault.
bool target_in_block(const EmitEnv& env, uint32_t target);

// From a conditional branch or a JMP inside the block (with env.rc and
// `pending` as on its taken side) on to the join point `j` further on: the
// clock's count and the flags brought to the form the join has, then a
// jump. `j` may be a loop head too: a forward edge needs no deadline test,
// since every cycle goes through a back edge, which tests. Emitted out of
// line, so after the straight-line code reached (bound) the join.
void emit_join_edge(EmitEnv& env, EmitEnv::JoinPoint& j, uint32_t pending);

// A branch to `target` was taken (its limit checked if needed; env.pending
// counts it): back to a loop head of this block if `target` is one, else
// out through direct exit `slot` (EIP and the clock brought up to date).
void emit_branch_exit(EmitEnv& env, ChainSlot& slot, uint32_t target);

}  // namespace tx86::jit
