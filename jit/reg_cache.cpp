// See reg_cache.h.
#include "jit/reg_cache.h"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "core/cpu_state.h"
#include "jit/chain_state.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;
using x86::OperandKind;

namespace {

// The host registers guest registers may live in: not rax-rdx and r8-r10
// (the emitters' scratch), rbx and r12 (context and CpuState), r13 (flags
// scratch) or r15 (EFLAGS). rbp and r14 survive calls; rsi, rdi and r11 are
// reloaded after a slow path.
constexpr ax::Gp::Id kPool[] = {ax::Gp::kIdBp, ax::Gp::kIdR14, ax::Gp::kIdSi, ax::Gp::kIdDi, ax::Gp::kIdR11};
constexpr size_t kPoolSize = sizeof kPool / sizeof kPool[0];

bool caller_saved(ax::Gp::Id id) {
  return id == ax::Gp::kIdSi || id == ax::Gp::kIdDi || id == ax::Gp::kIdR11;
}

int32_t gpr_offset(unsigned r) { return static_cast<int32_t>(offsetof(core::CpuState, gpr) + 4 * r); }

ax::Mem state_mem(unsigned r, unsigned w) {
  if (w == 1) {
    const int32_t off = r < 4 ? gpr_offset(r) : gpr_offset(r - 4) + 1;
    return ax::byte_ptr(ax::r12, off);
  }
  return w == 2 ? ax::word_ptr(ax::r12, gpr_offset(r)) : ax::dword_ptr(ax::r12, gpr_offset(r));
}

ax::Mem eflags_state() { return ax::dword_ptr(ax::r12, static_cast<int32_t>(offsetof(core::CpuState, eflags))); }

}  // namespace

namespace {

// How much a use of a register at each instruction counts: 8 times more
// inside each loop of the block (a branch back to an instruction of the
// block: the instructions from its target to it), so that a block holding
// a loop caches what the loop uses.
std::vector<int> use_weights(const Block& b) {
  std::vector<int> weight(b.count, 1);
  for (size_t k = 0; k < b.count; ++k) {
    if (!rel_branch(b.insns[k].insn)) continue;
    const size_t t = insn_index(b, rel_target(b.insns[k]));
    if (t > k) continue;  // forward, or not in the block
    for (size_t j = t; j <= k; ++j) weight[j] = std::min(weight[j] * 8, 512);
  }
  return weight;
}

}  // namespace

RegCache RegCache::plan(const Block& b, const JitTable& table) {
  std::array<int, 8> uses{};
  const std::vector<int> weight = use_weights(b);
  uint8_t high_byte = 0;  // registers whose AH..BH byte some instruction names
  bool flags = false;
  for (size_t k = 0; k < b.count; ++k) {
    const x86::Insn& i = b.insns[k].insn;
    for (int n = 0; n < i.num_operands; ++n) {
      const x86::Operand& o = i.ops[n];
      if (o.kind == OperandKind::kReg && o.size == 1 && o.reg >= 4 && o.reg < 8) high_byte |= uint8_t(1u << (o.reg - 4));
    }
    if ((i.flags_read | i.flags_written) & x86::kArithFlags) flags = true;
    // Instructions with an emitter (some forms may still call the handler,
    // which writes back and reloads around the call) and branches.
    const bool inline_insn = table.inlined(i.mnemonic) || (i.attrs & x86::kAttrBranch);
    if (!inline_insn) continue;
    const int w = weight[k];
    for (int n = 0; n < i.num_operands; ++n) {
      const x86::Operand& o = i.ops[n];
      if (o.kind == OperandKind::kReg && o.reg < 8 && (o.size != 1 || o.reg < 4)) uses[o.reg] += w;
    }
    if (i.ops[0].kind == OperandKind::kMem || (i.num_operands > 1 && i.ops[1].kind == OperandKind::kMem)) {
      if (i.mem.base < 8) uses[i.mem.base] += w;
      if (i.mem.index < 8) uses[i.mem.index] += w;
    }
    switch (i.mnemonic) {
      case Mnemonic::kPush:
      case Mnemonic::kPop:
      case Mnemonic::kCall:
      case Mnemonic::kRet: uses[x86::kEsp] += 2 * w; break;
      case Mnemonic::kLoop:
      case Mnemonic::kLoope:
      case Mnemonic::kLoopne:
      case Mnemonic::kJcxz: uses[x86::kEcx] += w; break;
      case Mnemonic::kMul:
      case Mnemonic::kDiv:
      case Mnemonic::kIdiv: uses[x86::kEax] += 2 * w; uses[x86::kEdx] += w; break;
      default: break;
    }
  }
  RegCache rc;
  rc.flags_ = flags;
  std::array<unsigned, 8> order{0, 1, 2, 3, 4, 5, 6, 7};
  std::stable_sort(order.begin(), order.end(), [&](unsigned x, unsigned y) { return uses[x] > uses[y]; });
  size_t next = 0;
  for (unsigned r : order) {
    if (next == kPoolSize || uses[r] < 2) break;
    if (r < 4 && (high_byte & (1u << r))) continue;
    rc.host_[r] = static_cast<int8_t>(next++);
  }
  return rc;
}

ax::Gp RegCache::host(unsigned r, unsigned w) const {
  const ax::Gp::Id id = kPool[host_[r]];
  if (w == 1) return ax::gpb(id);
  if (w == 2) return ax::gpw(id);
  return ax::gpd(id);
}

asmjit::Operand RegCache::operand(unsigned r, unsigned w) const {
  // AH..BH (w == 1, r >= 4) live in the CpuState: plan() never caches their
  // register.
  if (w == 1 && r >= 4) return state_mem(r, w);
  if (cached(r)) return host(r, w);
  return state_mem(r, w);
}

asmjit::Operand RegCache::eflags() const {
  if (pending_) throw std::logic_error("jit: guest EFLAGS read while flags are pending");
  if (flags_) return ax::r15d;
  return eflags_state();
}

void RegCache::emit_capture(ax::Assembler& a) {
  if (!deferred_) {
    end_remat(a);  // r13 must hold them
    return;
  }
  if (a.offset() != host_flags_at_) throw std::logic_error("jit: deferred flags capture after the host flags changed");
  a.pushfq();
  a.pop(ax::r13);
  deferred_ = false;
  remat_on_ = false;
  host_flags_at_ = a.offset();
}

void RegCache::zero_for_recipe(ax::Assembler& a, const FlagsRecipe& r, bool full) {
  if (!recipe_fits(r))
    throw std::logic_error("jit: a recipe for flags that are not its instruction's");
  a.xor_(ax::r13d, ax::r13d);
  deferred_ = false;
  host_flags_at_ = kNoOffset;
  if (full) pending_from_host_ = x86::kArithFlags;
  set_remat(r);
}

void RegCache::use_static_recipe(const FlagsRecipe& r) {
  if (!deferred_ || !pending_ || (r.op != FlagsRecipe::Op::kSaved && r.op != FlagsRecipe::Op::kConst))
    throw std::logic_error("jit: a static recipe without its instruction's flags waiting");
  deferred_ = false;
  host_flags_at_ = kNoOffset;
  set_remat(r);
}

void RegCache::emit_remat(ax::Assembler& a, const ax::Gp& to) const {
  // Clobbers rax and the host flags only (emit_flush's contract).
  using Op = FlagsRecipe::Op;
  const FlagsRecipe& r = remat_;
  if (r.op == Op::kConst) {
    a.mov(to.r32(), r.value);
    return;
  }
  if (r.op == Op::kSaved) {
    // The instruction again, on the copy of its dst (in place if into r13).
    const ax::Gp v = to.id() == ax::Gp::kIdR13 ? ax::r13d : ax::eax;
    if (v.id() != ax::Gp::kIdR13) a.mov(v, ax::r13d);
    if (r.unary) a.emit(r.inst, v);
    else if (r.imm) a.emit(r.inst, v, asmjit::imm(int32_t(r.value)));
    else a.emit(r.inst, v, operand(r.src, 4));
    a.pushfq();
    a.pop(to.r64());
    return;
  }
  if (to.id() != ax::Gp::kIdR13) throw std::logic_error("jit: a sentinel recipe computed outside r13");
  asmjit::Label have = a.newLabel();
  a.test(ax::r13d, ax::r13d);
  a.jnz(have);
  const ax::Gp tmp = r.w == 1 ? ax::Gp(ax::al) : r.w == 2 ? ax::Gp(ax::ax) : ax::Gp(ax::eax);
  const asmjit::Operand dst = operand(r.dst, r.w);
  const asmjit::Operand src =
      r.imm ? asmjit::Operand(asmjit::imm(r.w == 4   ? int64_t(int32_t(r.value))
                                          : r.w == 2 ? int64_t(int16_t(r.value))
                                                     : int64_t(int8_t(r.value))))
            : asmjit::Operand(operand(r.src, r.w));
  if (r.op == Op::kSub || r.op == Op::kAdd) {
    // The original dst, then the instruction again.
    a.emit(ax::Inst::kIdMov, tmp, dst);
    a.emit(r.op == Op::kSub ? ax::Inst::kIdAdd : ax::Inst::kIdSub, tmp, src);
    a.emit(r.op == Op::kSub ? ax::Inst::kIdSub : ax::Inst::kIdAdd, tmp, src);
  } else {
    asmjit::Operand s = src;
    if (dst.isMem() && s.isMem()) {
      a.mov(tmp, s.as<ax::Mem>());
      s = tmp;
    }
    a.emit(r.op == Op::kCmp ? ax::Inst::kIdCmp : ax::Inst::kIdTest, dst, s);
  }
  a.pushfq();
  a.pop(ax::r13);
  if (r.op == Op::kTest) a.and_(ax::r13d, ~uint32_t(x86::kAF));  // the guest's AF after TEST
  a.bind(have);
}

void RegCache::emit_merge(ax::Assembler& a, const ax::Gp& flags) const {
  if (deferred_) throw std::logic_error("jit: flags merged while their capture waits");
  // Idempotent (r13d stays masked), so a copy of this state may run it on
  // an out-of-line path and the straight-line code again later. Bit 1
  // (always set in EFLAGS and in what PUSHFQ gives) stays too: masked
  // flags are never 0, which a loop head taking a recipe reads as "the
  // recipe's flags" (set_remat).
  const ax::Gp f = flags.r32();
  a.and_(f, pending_from_host_ | 0x2);
  a.and_(ax::r15d, ~pending_written_);
  a.or_(ax::r15d, f);
}

void RegCache::prepare_flags(ax::Assembler& a, uint32_t written) {
  if (pending_ && (pending_written_ & ~written) != 0) materialize_flags(a);
}

void RegCache::set_pending(uint32_t written, uint32_t from_host) {
  if (!flags_) throw std::logic_error("jit: flags written in a block planned without them");
  if (pending_ && (pending_written_ & ~written) != 0)
    throw std::logic_error("jit: pending flags overwritten without prepare_flags");
  pending_ = true;
  pending_written_ = written;
  pending_from_host_ = from_host;
  flags_dirty_ = true;
  // Written over whatever r13 held (prepare_flags merged first if needed,
  // with the recipe's flags if they were due).
  if (written == x86::kArithFlags) remat_on_ = false;
}

void RegCache::materialize_flags(ax::Assembler& a) {
  if (!pending_) return;
  emit_capture(a);
  emit_merge(a);
  pending_ = false;
}

void RegCache::pending_in_form_of(ax::Assembler& a, uint32_t written) {
  if (!flags_) return;
  emit_capture(a);
  if (pending_ && pending_written_ == written && pending_from_host_ == written) return;
  materialize_flags(a);
  a.mov(ax::r13d, ax::r15d);
  pending_ = true;
  pending_written_ = written;
  pending_from_host_ = written;
}

asmjit::Operand RegCache::condition_flags(ax::Assembler& a, uint32_t needed) {
  emit_capture(a);
  if (pending_ && (needed & ~pending_from_host_) == 0) return ax::r13d;
  materialize_flags(a);
  return eflags();
}

ax::Mem counter_mem(const uint64_t* retired, const core::CpuState* state) {
  const int64_t offset = reinterpret_cast<const char*>(retired) - reinterpret_cast<const char*>(state);
  if (offset != static_cast<int32_t>(offset))
    throw std::logic_error("jit: the clock's counter is out of reach of the CpuState");
  return ax::qword_ptr(ax::r12, static_cast<int32_t>(offset));
}

void RegCache::count_back_edges_in_r8(const uint64_t* retired, const core::CpuState* state, uint32_t length) {
  counts_down_ = true;
  counter_ = counter_mem(retired, state);
  length_ = length;
}

namespace {
ax::Mem budget_slot() { return ax::qword_ptr(ax::rsp, kBudgetSlot); }
}  // namespace

void RegCache::emit_flush(ax::Assembler& a) const {
  for (unsigned r = 0; r < 8; ++r)
    if (dirty_ & (1u << r)) a.mov(state_mem(r, 4), host(r, 4));
  // A saved-operand recipe's flags go to rax: r13 keeps the copy for the
  // code after (this flush may be on a slow path that returns); a
  // constant's too (r13 holds nothing of use).
  const bool saved = static_recipe();
  if (pending_ && remat_on_) emit_remat(a, saved ? ax::rax : ax::r13);
  if (pending_) emit_merge(a, saved ? ax::rax : ax::r13);
  if (flags_dirty_) a.mov(eflags_state(), ax::r15d);
  if (counts_down_) {
    a.mov(ax::rax, budget_slot());
    a.sub(ax::rax, ax::r8);
    a.add(counter_, ax::rax);
    a.mov(budget_slot(), ax::r8);
  }
}

void RegCache::emit_load(ax::Assembler& a, bool callee_saved) {
  if (counts_down_) {
    a.mov(ax::r8, ax::qword_ptr(ax::rbx, static_cast<int32_t>(offsetof(ChainState, deadline))));
    a.sub(ax::r8, counter_);
    a.sub(ax::r8, static_cast<int32_t>(length_));
    a.mov(budget_slot(), ax::r8);
  }
  for (unsigned r = 0; r < 8; ++r) {
    if (!cached(r) || (!callee_saved && !caller_saved(kPool[host_[r]]))) continue;
    a.mov(host(r, 4), state_mem(r, 4));
  }
  if (callee_saved) {
    if (flags_) a.mov(ax::r15d, eflags_state());
    dirty_ = 0;
    flags_dirty_ = false;
    pending_ = false;
    deferred_ = false;
    remat_on_ = false;
  }
}

}  // namespace tx86::jit
