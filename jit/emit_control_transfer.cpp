// Inline emitters for near branches (SDM Vol. 2: Jcc, JMP, JCXZ/JECXZ,
// LOOP/LOOPE/LOOPNE, CALL, RET). They end their block, except a Jcc with a
// relative target, after which the block goes on (block_builder.cpp). Jcc,
// JMP rel, JCXZ and LOOPcc are inline: the condition is computed from the
// guest EFLAGS with integer tests (POPFQ would be slower) or, right after
// the ALU instruction that set them, is the host's own Jcc; EIP, ECX and
// the clock are set inline, and each outcome leaves through a direct chain
// exit (emit_chain.h: slot 0 the target, slot 1 the fall-through, then one
// per Jcc inside the block) or jumps to an instruction of the same block
// (emit_join.h: forward joins and loops). A target beyond the CS limit
// raises #GP(0) exactly as the interpreter does, by calling its handler on
// that path (state untouched: LOOP's count is written only on the other
// paths). CALL rel and RET are inline too (stack accesses through
// emit_stack.h: exact #SS/#GP/#PF); CALL rel leaves through a direct exit,
// RET, CALL r/m and JMP r/m through the lookup table.
#include <cstddef>
#include <stdexcept>

#include "jit/emit_chain.h"
#include "jit/emit_fallback.h"
#include "jit/emit_join.h"
#include "jit/emit_memory.h"
#include "jit/emit_stack.h"
#include "jit/emit_string.h"
#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;

namespace {

bool stack32(const EmitEnv& env) { return (env.block.key.mode >> 1) & 1; }

constexpr int32_t kEip = static_cast<int32_t>(offsetof(core::CpuState, eip));

// The forms without inline code: the handler, then the lookup table.
void emit_call_handler_and_exit(EmitEnv& env, const BlockInsn& bi) {
  emit_branch_handler(env, bi);
  emit_indirect_exit(env);
}

bool branch_inlines(const x86::Insn& i) {
  return i.num_operands == 1 && i.ops[0].kind == x86::OperandKind::kRel;
}

constexpr int32_t kCsLimit = static_cast<int32_t>(offsetof(core::CpuState, seg) +
                                                  x86::kCs * sizeof(core::SegmentCache) +
                                                  offsetof(core::SegmentCache, limit));

// EIP := target (checked against the CS limit unless it lies in the
// block), retire, leave the block through `slot` or loop inside it
// (emit_join.h).
void emit_taken(EmitEnv& env, const BlockInsn& bi, uint32_t pending, ChainSlot& slot) {
  ax::Assembler& a = env.a;
  const uint32_t target = rel_target(bi);
  const bool checked = !target_in_block(env, target);
  asmjit::Label fault = a.newLabel();
  if (checked) {
    a.cmp(ax::dword_ptr(ax::r12, kCsLimit), target);
    a.jb(fault);
  }
  env.pending = pending + 1;
  emit_branch_exit(env, slot, target);
  if (!checked) return;
  // Beyond the limit: the handler raises #GP(0) with the state untouched.
  a.bind(fault);
  env.pending = pending;
  emit_call_handler(env, bi);
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
}

// ecx := the guest EFLAGS bits of condition `cc` (SDM Vol. 1, B.1), zero
// if the even code (`cc` & ~1) is false.
void emit_condition_test(EmitEnv& env, unsigned cc) {
  ax::Assembler& a = env.a;
  a.emit(ax::Inst::kIdMov, ax::ecx, env.rc.condition_flags(a, condition_reads(cc)));
  switch (cc >> 1) {
    case 0: a.and_(ax::ecx, x86::kOF); break;
    case 1: a.and_(ax::ecx, x86::kCF); break;
    case 2: a.and_(ax::ecx, x86::kZF); break;
    case 3: a.and_(ax::ecx, x86::kCF | x86::kZF); break;
    case 4: a.and_(ax::ecx, x86::kSF); break;
    case 5: a.and_(ax::ecx, x86::kPF); break;
    case 6:  // SF != OF: bit 7 of (flags >> 4) ^ flags
    case 7:  // ZF | (SF != OF)
      a.mov(ax::edx, ax::ecx);
      a.shr(ax::edx, 4);
      a.xor_(ax::edx, ax::ecx);
      a.and_(ax::edx, x86::kSF);
      if ((cc >> 1) == 7) {
        a.and_(ax::ecx, x86::kZF);
        a.or_(ax::ecx, ax::edx);
      } else {
        a.mov(ax::ecx, ax::edx);
      }
      break;
  }
}


// The taken side of a branch at `taken` on to join point `j` at `target`
// further on in the block, out of line, with the registers and flags as
// they are here and `pending` counting the branch.
void emit_forward_edge(EmitEnv& env, EmitEnv::JoinPoint& j, uint32_t target, uint32_t pending, asmjit::Label taken) {
  j.incoming.push_back(env.rc);
  j.incoming.back().forget_remat();  // the edge ends it (emit_capture below)
  EmitEnv* e = &env;
  EmitEnv::JoinPoint* jp = &j;
  const RegCache rc = env.rc;
  const bool dead = env.flags_dead_before(insn_index(env.block, target));
  if (dead) j.incoming.back().drop_dead_flags();
  env.cold->push_back([e, jp, taken, pending, rc, dead] {
    e->a.bind(taken);
    const RegCache saved_rc = e->rc;
    e->rc = rc;
    e->rc.enter_out_of_line(e->a);
    // No one reads the flags at the join: forgotten on both sides
    // (reach_join), else captured here.
    if (dead) e->rc.drop_dead_flags();
    e->rc.emit_capture(e->a);
    emit_join_edge(*e, *jp, pending);
    e->rc = saved_rc;
  });
}

// After a Jcc's test (host flags: to `taken` if the branch is taken): the
// fall-through and the taken side.
void emit_jcc_sides(EmitEnv& env, const BlockInsn& bi, uint32_t pending, asmjit::Label taken) {
  ax::Assembler& a = env.a;
  if (env.index + 1 < env.block.count) {
    // A branch inside the block (block_builder.cpp): the block goes on at
    // the fall-through. A taken side that lands further on in the block
    // jumps there (a join point); any other leaves through its own exit. Both
    // out of line, with the registers and flags as they are here.
    const uint32_t target = rel_target(bi);
    if (EmitEnv::JoinPoint* j = env.join_at(target); j != nullptr && target > bi.eip) {
      emit_forward_edge(env, *j, target, pending + 1, taken);
      env.pending = pending + 1;
      return;
    }
    ChainSlot& slot = env.block.exits[Block::kEndExits + env.side_exits++];
    EmitEnv* e = &env;
    const BlockInsn* b = &bi;
    const RegCache rc = env.rc;
    env.cold->push_back([e, b, taken, pending, rc, &slot] {
      e->a.bind(taken);
      const RegCache saved_rc = e->rc;
      const uint32_t saved = e->pending;
      e->rc = rc;
      e->rc.enter_out_of_line(e->a);
      e->rc.emit_capture(e->a);
      emit_taken(*e, *b, pending, slot);
      e->rc = saved_rc;
      e->pending = saved;
    });
    env.pending = pending + 1;
    return;
  }
  env.pending = pending + 1;
  emit_retire(env, bi.next_eip);
  emit_direct_exit(env, env.block.exits[1], bi.next_eip);
  a.bind(taken);
  emit_taken(env, bi, pending, env.block.exits[0]);
}

// A Jcc back to a loop head of its block (a forward one into a loop head
// is a join edge, emit_jcc_sides): the taken side is the straight
// line, after a jump over it on the negated condition (`stay`), so that an
// iteration takes one branch (the JMP back to the head) rather than two;
// only the deadline's miss is out of line (emit_join.cpp). The fall-through
// goes on as emit_jcc_sides's does, with the flags as at the Jcc.
void emit_loop_jcc(EmitEnv& env, const BlockInsn& bi, uint32_t pending, unsigned cc) {
  ax::Assembler& a = env.a;
  asmjit::Label stay = a.newLabel();
  const bool host = env.rc.host_flags_hold(a.offset(), condition_reads(cc));
  if (host) {
    a.j(static_cast<ax::CondCode>(cc ^ 1), stay);
  } else {
    emit_condition_test(env, cc);
    if (cc & 1) a.jnz(stay);
    else a.jz(stay);
  }
  const bool inside = env.index + 1 < env.block.count;
  ChainSlot& slot = inside ? env.block.exits[Block::kEndExits + env.side_exits++] : env.block.exits[0];
  const RegCache saved = env.rc;
  env.rc.enter_out_of_line(a);  // the host flags hold here as at the jump
  // Right after the instruction whose flags the loop head takes as a
  // recipe: r13 := 0 instead of their capture (RegCache::set_remat).
  const EmitEnv::JoinPoint* head = env.join_at(rel_target(bi));
  const x86::Insn* before = env.index > 0 ? &env.block.insns[env.index - 1].insn : nullptr;
  if (host && head != nullptr && head->has_recipe && before != nullptr && env.rc.recipe_fits(head->recipe) &&
      flags_recipe(*before) == head->recipe) {
    env.rc.zero_for_recipe(a, head->recipe, /*full=*/true);
  } else {
    env.rc.emit_capture(a);
  }
  emit_taken(env, bi, pending, slot);  // ends with the jump back
  env.rc = saved;
  a.bind(stay);
  if (host) env.rc.note_host_flags(a.offset());  // only the jump reaches `stay`
  env.pending = pending + 1;
  if (inside) return;
  emit_retire(env, bi.next_eip);
  emit_direct_exit(env, env.block.exits[1], bi.next_eip);
}

void emit_jcc(EmitEnv& env, const BlockInsn& bi) {
  if (!branch_inlines(bi.insn)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const uint32_t pending = env.pending;
  // The condition from the guest EFLAGS in ecx (SDM Vol. 1, B.1): the odd
  // codes are the negations of the even ones.
  const unsigned cc = bi.insn.cond & 0xF;
  if (const uint32_t target = rel_target(bi); target <= bi.eip && env.loop_head_for(target).isValid()) {
    emit_loop_jcc(env, bi, pending, cc);
    return;
  }
  asmjit::Label taken = a.newLabel();
  if (env.rc.host_flags_hold(a.offset(), condition_reads(cc))) {
    // The instruction just before left the flags in the host's register
    // (reg_cache.h): the host's own Jcc of the same code tests them.
    a.j(static_cast<ax::CondCode>(cc), taken);
    env.rc.note_host_flags(a.offset());  // the jump keeps them
  } else {
    emit_condition_test(env, cc);
    if (cc & 1) a.jz(taken);
    else a.jnz(taken);
  }
  emit_jcc_sides(env, bi, pending, taken);
}

// JMP r/m and CALL r/m inline, in the interpreter's order
// (core/interp/control_transfer.cpp): the target is read at the operand
// size (a register, or memory through emit_load: a fault leaves everything
// unchanged), checked against the CS limit (beyond it the handler raises
// #GP(0), out of line, nothing changed), then CALL pushes the return
// address (a fault leaves ESP as it was), EIP is set and the lookup table
// finds the next block. A push that rewrote translated code bumps the link
// epoch, so the lookup misses and the dispatcher sees the stop.
bool indirect_inlines(const x86::Insn& i) {
  const x86::Operand& o = i.ops[0];
  return i.num_operands == 1 && (i.opsize == 2 || i.opsize == 4) && o.size == i.opsize &&
         (o.kind == x86::OperandKind::kReg || o.kind == x86::OperandKind::kMem) && !(i.prefixes & x86::kPrefixLock);
}

void emit_indirect(EmitEnv& env, const BlockInsn& bi, bool call) {
  ax::Assembler& a = env.a;
  const x86::Insn& i = bi.insn;
  const x86::Operand& o = i.ops[0];
  const unsigned w = i.opsize;
  const uint32_t pending = env.pending;
  if (o.kind == x86::OperandKind::kReg) {
    if (w == 2) a.emit(ax::Inst::kIdMovzx, ax::eax, guest(env, o.reg, 2));
    else emit_get(env, ax::eax, o.reg, 4);
  } else {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w);  // eax: the target, zero-extended
  }
  a.cmp(ax::eax, ax::dword_ptr(ax::r12, kCsLimit));
  a.ja(emit_handler_fallback(env, bi));  // raises #GP(0)
  if (call) {
    a.mov(ax::dword_ptr(ax::rsp), ax::eax);  // the spill slot survives the push's slow path
    a.mov(ax::ecx, w == 2 ? (bi.next_eip & 0xFFFF) : bi.next_eip);
    emit_push(env, bi, w);  // a fault exits with `pending` retired, EIP at the CALL
    a.mov(ax::eax, ax::dword_ptr(ax::rsp));
  }
  a.mov(ax::dword_ptr(ax::r12, kEip), ax::eax);
  env.pending = pending + 1;
  a.add(retired_mem(env), env.pending);
  env.pending = 0;
  emit_indirect_exit(env, /*eip_in_eax=*/true);
}

void emit_jmp(EmitEnv& env, const BlockInsn& bi) {
  if (branch_inlines(bi.insn) && env.index + 1 < env.block.count) {
    // A JMP over code to an instruction further on, inside the block
    // (block_builder.cpp): a join edge. The code after the JMP runs only
    // where a branch of the block reaches it; nothing is pending there.
    const uint32_t target = rel_target(bi);
    EmitEnv::JoinPoint* j = env.join_at(target);
    if (j == nullptr || target <= bi.eip)
      throw std::logic_error("jit: a JMP inside its block whose target is not further on in it");
    asmjit::Label taken = env.a.newLabel();
    env.a.jmp(taken);
    emit_forward_edge(env, *j, target, env.pending + 1, taken);
    env.pending = 0;
    return;
  }
  if (branch_inlines(bi.insn)) emit_taken(env, bi, env.pending, env.block.exits[0]);
  else if (indirect_inlines(bi.insn)) emit_indirect(env, bi, false);
  else emit_call_handler_and_exit(env, bi);
}

// JCXZ/JECXZ (count register by address size) and LOOP/LOOPE/LOOPNE: the
// count is decremented in ecx and written back only on the paths that do
// not fault.
template <int kind>  // 0 LOOP, 1 LOOPE, 2 LOOPNE, 3 JCXZ
void emit_loop(EmitEnv& env, const BlockInsn& bi) {
  if (!branch_inlines(bi.insn)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const uint32_t pending = env.pending;
  const bool a16 = bi.insn.addrsize == 2;
  asmjit::Label not_taken = a.newLabel();
  // LOOPE/LOOPNE: ZF's place, found before any branch (it may merge
  // pending flags, which every path must see).
  const asmjit::Operand zf = kind == 1 || kind == 2 ? env.rc.condition_flags(a, x86::kZF) : asmjit::Operand();
  if (a16) a.emit(ax::Inst::kIdMovzx, ax::ecx, guest(env, x86::kEcx, 2));
  else emit_get(env, ax::ecx, x86::kEcx, 4);
  if (kind == 3) {
    a.test(ax::ecx, ax::ecx);
    a.jnz(not_taken);
  } else {
    a.sub(ax::ecx, 1);
    if (a16) a.and_(ax::ecx, 0xFFFF);
    a.jz(not_taken);
    if (kind != 0) {
      a.emit(ax::Inst::kIdTest, zf, asmjit::imm(x86::kZF));
      if (kind == 1) a.jz(not_taken);
      else a.jnz(not_taken);
    }
  }
  auto store_count = [&] {
    if (kind == 3) return;
    if (a16) emit_put(env, x86::kEcx, 2, ax::cx);
    else emit_put(env, x86::kEcx, 4, ax::ecx);
  };
  // Taken: the CS limit first (a fault leaves the count as it was), unless
  // the target lies in the block.
  const uint32_t target = rel_target(bi);
  const bool checked = !target_in_block(env, target);
  asmjit::Label fault = a.newLabel();
  if (checked) {
    a.cmp(ax::dword_ptr(ax::r12, kCsLimit), target);
    a.jb(fault);
  }
  store_count();
  env.pending = pending + 1;
  emit_branch_exit(env, env.block.exits[0], target);
  a.bind(not_taken);
  store_count();
  env.pending = pending + 1;
  emit_retire(env, bi.next_eip);
  emit_direct_exit(env, env.block.exits[1], bi.next_eip);
  if (!checked) return;
  a.bind(fault);
  env.pending = pending;
  emit_call_handler(env, bi);  // raises #GP(0)
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
}

// CALL rel inline, in the interpreter's order (core/interp/control_transfer.cpp):
// the target against the CS limit (#GP(0) through the handler, nothing
// changed), then the push of the return address (a fault leaves ESP as it
// was), then EIP. A push that rewrote translated code bumps the link epoch,
// so the direct exit does not chain and the dispatcher sees the stop.
// CALL r/m: emit_indirect above.
void emit_call(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (indirect_inlines(i)) {
    emit_indirect(env, bi, true);
    return;
  }
  if (!branch_inlines(i) || (i.opsize != 2 && i.opsize != 4)) {
    emit_call_handler_and_exit(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const uint32_t pending = env.pending;
  const uint32_t raw = bi.next_eip + i.ops[0].imm;
  const uint32_t target = i.opsize == 2 ? (raw & 0xFFFF) : raw;
  asmjit::Label fault = a.newLabel();
  a.cmp(ax::dword_ptr(ax::r12, kCsLimit), target);
  a.jb(fault);
  a.mov(ax::ecx, i.opsize == 2 ? (bi.next_eip & 0xFFFF) : bi.next_eip);
  emit_push(env, bi, i.opsize);  // a fault exits with `pending` retired, EIP at the CALL
  env.pending = pending + 1;
  emit_retire(env, target);
  emit_direct_exit(env, env.block.exits[0], target);
  a.bind(fault);
  env.pending = pending;
  emit_call_handler(env, bi);  // raises #GP(0)
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
}

// RET / RET imm16 inline: the return address is read at SS:eSP (a fault
// leaves everything unchanged), checked against the CS limit (#GP(0)
// through the handler, ESP unchanged), then eSP moves past it and the
// immediate, wrapping as the stack size does, and the lookup table finds
// the block at the new EIP.
void emit_ret(EmitEnv& env, const BlockInsn& bi) {
  const x86::Insn& i = bi.insn;
  if (i.opsize != 2 && i.opsize != 4) {
    emit_branch_handler(env, bi);
    emit_indirect_exit(env);
    return;
  }
  ax::Assembler& a = env.a;
  const uint32_t pending = env.pending;
  const unsigned w = i.opsize;
  const uint32_t skip = w + (i.num_operands > 0 ? (i.ops[0].imm & 0xFFFF) : 0);
  if (stack32(env)) emit_get(env, ax::edx, x86::kEsp, 4);
  else a.emit(ax::Inst::kIdMovzx, ax::edx, guest(env, x86::kEsp, 2));
  emit_load(env, bi, x86::kSs, w);  // eax: the target, zero-extended
  asmjit::Label fault = a.newLabel();
  a.cmp(ax::eax, ax::dword_ptr(ax::r12, kCsLimit));
  a.ja(fault);
  if (stack32(env)) emit_guest_op(env, ax::Inst::kIdAdd, x86::kEsp, 4, asmjit::imm(skip));
  else emit_guest_op(env, ax::Inst::kIdAdd, x86::kEsp, 2, asmjit::imm(skip & 0xFFFF));
  a.mov(ax::dword_ptr(ax::r12, kEip), ax::eax);
  env.pending = pending + 1;
  if (env.pending != 0) a.add(retired_mem(env), env.pending);
  env.pending = 0;
  emit_indirect_exit(env, /*eip_in_eax=*/true);
  a.bind(fault);
  env.pending = pending;
  emit_call_handler(env, bi);  // raises #GP(0)
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
}

}  // namespace

void register_control_transfer(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kJo, Mnemonic::kJno, Mnemonic::kJb, Mnemonic::kJae, Mnemonic::kJe, Mnemonic::kJne,
                     Mnemonic::kJbe, Mnemonic::kJa, Mnemonic::kJs, Mnemonic::kJns, Mnemonic::kJp, Mnemonic::kJnp,
                     Mnemonic::kJl, Mnemonic::kJge, Mnemonic::kJle, Mnemonic::kJg})
    t.set(m, emit_jcc, nullptr);  // nullptr: may fault (#GP), so flags stay live before it
  t.set(Mnemonic::kJmp, emit_jmp, nullptr);
  t.set(Mnemonic::kLoop, emit_loop<0>, nullptr);
  t.set(Mnemonic::kLoope, emit_loop<1>, nullptr);
  t.set(Mnemonic::kLoopne, emit_loop<2>, nullptr);
  t.set(Mnemonic::kJcxz, emit_loop<3>, nullptr);
  t.set(Mnemonic::kCall, emit_call, nullptr);
  t.set(Mnemonic::kRet, emit_ret, nullptr);
  register_string(t);  // until jit_table.cpp calls it with the other groups
}

}  // namespace tx86::jit
