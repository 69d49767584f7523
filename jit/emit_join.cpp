// See emit_join.h.
#include "jit/emit_join.h"

#include <cstddef>
#include <stdexcept>

#include "jit/emit_chain.h"
#include "jit/jit_context.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;

namespace {

ax::Mem chain_field(size_t off) { return ax::qword_ptr(ax::rbx, static_cast<int32_t>(off)); }

// Back to loop head `head` at `target`: the pending instructions retire
// into r8, which counts down the budget left before the deadline
// (reg_cache.h: no load or store of the clock's counter, so iterations do
// not chain through memory); below 0, the deadline test (the counter +
// what retired + the block's length <= the deadline) failed: EIP is set
// and the block returns to the dispatcher through `slot` as a missed link
// would, out of line. No epoch test: the loop stays in this block, whose
// code is valid while it runs (an invalidation of it stops it at once,
// emit_stop_check), under the mode, mapping and CS it was entered with
// (whatever could change those ends its block), and anything else that
// kills links (a memory map change seen after a call out) drops the
// deadline to 0 as well (ChainState::kill_links), which the budget taken
// after that call sees. The registers stay in host registers; the flags
// are brought to the loop head's form (RegCache::full_pending_flags:
// nothing to do after a CMP, or where the head takes the flags as a
// recipe and emit_loop_jcc zeroed r13). Loop iterations are not counted
// as block runs.
void emit_loop_back(EmitEnv& env, ChainSlot& slot, uint32_t target, asmjit::Label head) {
  ax::Assembler& a = env.a;
  RegCache at = env.rc;  // this path's copy: the other side of a branch keeps its state
  const EmitEnv::JoinPoint* j = env.join_at(target);
  at.full_pending_flags(a, j != nullptr && j->has_recipe ? &j->recipe : nullptr);
  if (!env.rc.back_edges_in_r8()) throw std::logic_error("jit: a loop in a block that does not count in r8");
  if (env.pending == 0) throw std::logic_error("jit: a back edge that retires nothing");
  asmjit::Label miss = a.newLabel();
  a.sub(ax::r8, static_cast<int32_t>(env.pending));
  env.pending = 0;
  a.jl(miss);
  a.jmp(head);
  EmitEnv* e = &env;
  ChainSlot* s = &slot;
  env.cold->push_back([e, s, target, at, miss] {
    ax::Assembler& a = e->a;
    a.bind(miss);
    a.mov(ax::dword_ptr(ax::r12, static_cast<int32_t>(offsetof(core::CpuState, eip))), target);
    at.emit_flush(a);  // the counter += what r8 counted
    a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(s)));
    a.mov(chain_field(offsetof(ChainState, missed)), ax::rax);
    a.mov(ax::eax, kExitEnd);
    a.jmp(e->exit);
  });
}

}  // namespace

namespace {
// ZF and PF set (and the reserved bit 1), the others clear.
FlagsRecipe const_recipe() {
  FlagsRecipe r;
  r.op = FlagsRecipe::Op::kConst;
  r.value = x86::kZF | x86::kPF | 0x2;
  return r;
}
}  // namespace

std::optional<FlagsRecipe> flags_recipe(const x86::Insn& i) {
  using M = x86::Mnemonic;
  using Op = FlagsRecipe::Op;
  FlagsRecipe r;
  switch (i.mnemonic) {
    case M::kCmp: r.op = Op::kCmp; break;
    case M::kTest: r.op = Op::kTest; break;
    case M::kSub: r.op = Op::kSub; break;
    case M::kAdd: r.op = Op::kAdd; break;
    case M::kXor:
      if (i.num_operands == 2 && i.ops[0].kind == x86::OperandKind::kReg && i.ops[1].kind == x86::OperandKind::kReg &&
          i.ops[0].reg == i.ops[1].reg && i.ops[0].size == i.ops[1].size)
        return const_recipe();
      return std::nullopt;
    default: return std::nullopt;
  }
  if (i.num_operands != 2 || i.ops[0].kind != x86::OperandKind::kReg) return std::nullopt;
  const x86::Operand& d = i.ops[0];
  const x86::Operand& s = i.ops[1];
  if (d.reg >= 8 || (d.size != 1 && d.size != 2 && d.size != 4)) return std::nullopt;
  r.w = d.size;
  r.dst = d.reg;
  if (s.kind == x86::OperandKind::kImm) {
    r.imm = true;
    r.value = static_cast<uint32_t>(s.imm);
  } else if (s.kind == x86::OperandKind::kReg && s.reg < 8 && s.size == d.size) {
    r.src = s.reg;
    // SUB/ADD of a register with itself: its original value is lost. SUB
    // leaves the same flags whatever it was (ZF, PF), as does XOR.
    if (r.op == Op::kSub && r.src == r.dst) return const_recipe();
    const auto base = [&r](unsigned reg) { return r.w == 1 && reg >= 4 ? reg - 4 : reg; };
    if ((r.op == Op::kSub || r.op == Op::kAdd) && base(r.src) == base(r.dst)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return r;
}

bool target_in_block(const EmitEnv& env, uint32_t target) {
  return insn_index(env.block, target) != env.block.count;
}

void emit_join_edge(EmitEnv& env, EmitEnv::JoinPoint& j, uint32_t pending) {
  if (!j.bound) throw std::logic_error("jit: a branch to a join point the block never reached");
  ax::Assembler& a = env.a;
  // A loop head's form is the full one whatever the straight line brought
  // (reach_join); a forward join's is the straight line's: taken here if
  // all its flags come from the host, else no flags pending.
  const bool same = env.rc.same_flags_form(j.state);
  if (j.loop) env.rc.full_pending_flags(a);
  else if (!same && j.state.takeable_form()) env.rc.pending_in_form_of(a, j.state);
  else if (!same) env.rc.materialize_flags(a);
  // The join counts j.pending instructions as run but not yet retired;
  // this side ran `pending` of them.
  const int64_t diff = int64_t{pending} - int64_t{j.pending};
  if (diff != 0 && env.rc.back_edges_in_r8()) {
    a.sub(ax::r8, static_cast<int32_t>(diff));  // the block goes on: the counter stays (reg_cache.h)
  } else if (diff != 0) {
    a.add(retired_mem(env), static_cast<int32_t>(diff));
  }
  a.jmp(j.label);
}

void emit_branch_exit(EmitEnv& env, ChainSlot& slot, uint32_t target) {
  const asmjit::Label head = env.loop_head_for(target);
  if (head.isValid()) {
    emit_loop_back(env, slot, target, head);
    return;
  }
  emit_retire(env, target);
  emit_direct_exit(env, slot, target);
}

}  // namespace tx86::jit
