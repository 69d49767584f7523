// See block_builder.h.
#include "jit/block_builder.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/interp/handler_table.h"
#include "frontend-x86/decoder.h"
#include "jit/emit_chain.h"
#include "jit/emit_join.h"
#include "jit/emit_memory.h"
#include "jit/jit_context.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;
using asmjit::Label;

namespace {

// Instructions after which a block ends: anything that branches, traps to
// core/priv, or may change the mode, the interrupt flag or the mapping.
constexpr uint16_t kEndAttrs = x86::kAttrBranch | x86::kAttrEndsBlock | x86::kAttrPrivileged |
                               x86::kAttrIoSensitive | x86::kAttrSensitive;

// An unconditional JMP rel a short way forward (over alignment padding, or
// over the body of a loop whose entry jumps to its test, as compilers lay
// out `for` and `while` loops) does not end its block: decoding goes on
// after it, so that the block reaches the target, a join point
// (emit_jmp). The bytes jumped over are decoded and translated too; they
// run only where a branch of the block reaches them. If the block ends
// before the target, or the target is not the start of one of its
// instructions, the block ends at the JMP after all (build_block).
constexpr uint32_t kMaxJumpOver = 64;
bool jumps_over(const BlockInsn& bi) {
  if (bi.insn.mnemonic != x86::Mnemonic::kJmp || !rel_branch(bi.insn)) return false;
  const uint32_t target = rel_target(bi);
  return target >= bi.next_eip && target - bi.next_eip <= kMaxJumpOver;
}
// Whether instruction k is such a JMP inside block b (not its last).
bool jumps_inside(const Block& b, size_t k) {
  if (k + 1 >= b.count || !jumps_over(b.insns[k])) return false;
  return insn_index(b, rel_target(b.insns[k])) != b.count;
}

// Whether an inline instruction may still fault (a memory operand or the
// stack): every flag is then live before it (the exception pushes FLAGS).
bool may_fault(const x86::Insn& i) {
  return accesses_memory(i) || i.mnemonic == x86::Mnemonic::kPush || i.mnemonic == x86::Mnemonic::kPop;
}

// Whether an inline instruction may store to memory (and so stop the block
// after it, emit_stop_check).
bool may_store(const x86::Insn& i) {
  if (i.mnemonic == x86::Mnemonic::kPush) return true;
  if (i.mnemonic == x86::Mnemonic::kCmp || i.mnemonic == x86::Mnemonic::kTest) return false;
  return i.num_operands >= 1 && i.ops[0].kind == x86::OperandKind::kMem;
}

// The frame every block shares (chain stubs jump from one body to another,
// emit_chain.h): rbx, r12-r15 and rbp saved, a spill slot at [rsp], the
// loop budget at [rsp + kBudgetSlot] (reg_cache.h) and 8 bytes of padding
// (after the return address and six pushes the stack is 16-byte aligned).
constexpr int kSpill = 24;
static_assert(kBudgetSlot + 8 <= kSpill && (kSpill + 8) % 16 == 0);

// The join points of a block (EmitEnv::JoinPoint, emit_join.h): every
// instruction a relative jump of the block (not CALL) reaches, a loop head
// if some jump reaches it from itself or further on.
bool inside_branch(const x86::Insn& i);

// What instruction `i` does to a recipe that is on: keeps it (writes no
// flag and neither operand), overwrites every arithmetic flag (an inline
// ALU instruction, which may write an operand too: the state then ends
// with no code, RegCache::set_pending), or ends it first (anything else:
// it reads the flags, writes only some, writes an operand, calls out or
// branches).
enum class RematStep { kKeeps, kOverwrites, kEnds };
RematStep remat_step(const x86::Insn& i, const FlagsRecipe& r, const JitTable& table) {
  using M = x86::Mnemonic;
  if (!table.inlines(i) || (i.attrs & x86::kAttrBranch) || (i.flags_read & x86::kArithFlags) != 0)
    return RematStep::kEnds;
  const uint32_t written = i.flags_written & x86::kArithFlags;
  switch (i.mnemonic) {
    case M::kAdd: case M::kSub: case M::kAnd: case M::kOr: case M::kXor: case M::kCmp: case M::kTest: case M::kNeg:
      return written == x86::kArithFlags ? RematStep::kOverwrites : RematStep::kEnds;
    case M::kMov: case M::kMovzx: case M::kMovsx: case M::kLea: {
      if (written != 0) return RematStep::kEnds;
      const x86::Operand& d = i.ops[0];
      if (d.kind == x86::OperandKind::kMem) return RematStep::kKeeps;
      if (d.kind != x86::OperandKind::kReg || d.reg >= 8) return RematStep::kEnds;
      return r.reads(d.size == 1 && d.reg >= 4 ? d.reg - 4 : d.reg) ? RematStep::kEnds : RematStep::kKeeps;
    }
    case M::kNop: return written == 0 ? RematStep::kKeeps : RematStep::kEnds;
    default: return RematStep::kEnds;
  }
}

// Whether recipe `r`, on before instruction `from`, lasts until an
// instruction overwrites every flag: nothing ends it first, and no branch
// lands in between (the flags there would come from elsewhere too).
bool recipe_lasts(const Block& b, size_t from, const FlagsRecipe& r, const std::vector<EmitEnv::JoinPoint>& joins,
                  const JitTable& table) {
  for (size_t m = from; m < b.count; ++m) {
    if (m > from && joins[m].label.isValid()) return false;
    const RematStep step = remat_step(b.insns[m].insn, r, table);
    if (step == RematStep::kEnds) return false;
    if (step == RematStep::kOverwrites) return true;
  }
  return false;
}

// AND, OR, XOR r32, r32/imm, INC, DEC r32, SHR, SAR r32, imm, and ADD,
// SUB, AND, OR, XOR m32, r32/imm, INC, DEC m32: the kSaved recipe of its
// flags (its emitter copies the destination's value into r13 first).
std::optional<FlagsRecipe> saved_recipe(const x86::Insn& i) {
  using M = x86::Mnemonic;
  FlagsRecipe r;
  r.op = FlagsRecipe::Op::kSaved;
  const bool mem = i.ops[0].kind == x86::OperandKind::kMem;
  switch (i.mnemonic) {
    case M::kAdd: if (!mem) return std::nullopt; r.inst = ax::Inst::kIdAdd; break;
    case M::kSub: if (!mem) return std::nullopt; r.inst = ax::Inst::kIdSub; break;
    case M::kAnd: r.inst = ax::Inst::kIdAnd; break;
    case M::kOr: r.inst = ax::Inst::kIdOr; break;
    case M::kXor: r.inst = ax::Inst::kIdXor; break;
    case M::kInc: r.inst = ax::Inst::kIdInc; r.unary = true; break;
    case M::kDec: r.inst = ax::Inst::kIdDec; r.unary = true; break;
    case M::kShr: r.inst = ax::Inst::kIdShr; break;
    case M::kSar: r.inst = ax::Inst::kIdSar; break;
    default: return std::nullopt;
  }
  const x86::Operand& d = i.ops[0];
  if (d.size != 4 || (!mem && (d.kind != x86::OperandKind::kReg || d.reg >= 8))) return std::nullopt;
  r.dst = mem ? 0 : d.reg;  // not read (the copy is)
  if (r.unary) return i.num_operands == 1 ? std::optional<FlagsRecipe>(r) : std::nullopt;
  if (i.num_operands != 2) return std::nullopt;
  const x86::Operand& s = i.ops[1];
  const bool shift = r.inst == ax::Inst::kIdShr || r.inst == ax::Inst::kIdSar;
  if (s.kind == x86::OperandKind::kImm) {
    r.imm = true;
    r.value = shift ? (s.imm & 0x1F) : static_cast<uint32_t>(s.imm);
    if (shift && r.value == 0) return std::nullopt;  // writes no flag
  } else if (!shift && s.kind == x86::OperandKind::kReg && s.reg < 8 && s.size == 4 && (mem || s.reg != d.reg)) {
    r.src = s.reg;
  } else {
    return std::nullopt;
  }
  return r;
}

std::vector<EmitEnv::JoinPoint> find_joins(const Block& b, ax::Assembler& a, const JitTable& table) {
  std::vector<EmitEnv::JoinPoint> joins(b.count);
  for (size_t k = 0; k < b.count; ++k) {
    const x86::Insn& i = b.insns[k].insn;
    if (!rel_branch(i) || i.mnemonic == x86::Mnemonic::kCall) continue;
    const size_t t = insn_index(b, rel_target(b.insns[k]));
    if (t == b.count) continue;
    if (!joins[t].label.isValid()) joins[t].label = a.newLabel();
    if (t <= k) joins[t].loop = true;
  }
  // Loop heads whose flags may come as a recipe (RegCache::set_remat):
  // a back edge Jcc right after a CMP, TEST, SUB or ADD of registers or an
  // immediate (no branch lands on the Jcc), whose recipe lasts from the
  // head on until the flags are all overwritten.
  for (size_t k = 1; k < b.count; ++k) {
    const x86::Insn& i = b.insns[k].insn;
    if (!inside_branch(i) || joins[k].label.isValid()) continue;
    const size_t t = insn_index(b, rel_target(b.insns[k]));
    if (t >= k || joins[t].has_recipe) continue;
    // (Not a constant: the head's other paths bring r13 with their flags.)
    const std::optional<FlagsRecipe> r = flags_recipe(b.insns[k - 1].insn);
    if (r && r->op != FlagsRecipe::Op::kConst && recipe_lasts(b, t, *r, joins, table)) {
      joins[t].has_recipe = true;
      joins[t].recipe = *r;
    }
  }
  return joins;
}
// Whether the conditional branch at index k goes to a join point further on
// in its block (emit_join_edge) rather than through an exit of its own.
bool joins_forward(const Block& b, size_t k) {
  const size_t t = insn_index(b, rel_target(b.insns[k]));
  return t != b.count && t > k;
}
// The straight-line code reaches join point `j`: the clock and the flags
// put in the form every branch to it will bring (a loop head: nothing
// pending to retire, flags pending in the full form of
// RegCache::full_pending_flags; a forward join: flags left pending if
// every branch to it has them pending in the same form, or in a form the
// branches can take, RegCache::takeable_form), every cached register dirty.
void reach_join(EmitEnv& env, EmitEnv::JoinPoint& j) {
  if (j.loop) {
    // Retired into r8, not the counter (reg_cache.h); every exit and call
    // out sets EIP itself.
    if (env.pending != 0) env.a.sub(ax::r8, static_cast<int32_t>(env.pending));
    env.pending = 0;
    env.rc.full_pending_flags(env.a);
  } else if (env.flags_dead_before(env.index)) {
    env.rc.drop_dead_flags();  // every branch here drops them too (emit_jcc_sides)
  } else {
    // A recipe with r13 zeroed may stay on (set at this very join by the
    // capture decision above): every branch here brings r13 with its
    // flags, never 0 (emit_join_edge takes the join's form), or the same
    // recipe. A static one cannot (the branches could not take it).
    if (env.rc.static_recipe()) env.rc.end_remat(env.a);
    // Flags pending in a form the other sides can take stay so (they
    // bring theirs to it, emit_join_edge), else merged if any side's form
    // differs.
    if (!env.rc.takeable_form())
      for (const RegCache& from : j.incoming)
        if (!from.same_flags_form(env.rc)) env.rc.materialize_flags(env.a);
  }
  env.a.bind(j.label);
  env.rc.all_dirty();
  env.rc.forget_host_flags();
  if (j.loop && j.has_recipe) env.rc.set_remat(j.recipe);  // r13 may be 0 from a back edge
  j.pending = env.pending;
  j.state = env.rc;
  j.bound = true;
}

// A conditional branch with a relative target does not end its block: the
// block goes on at its fall-through, and the taken side leaves through an
// exit of its own (emit_jcc). Up to kMaxSideExits of them per block.
constexpr size_t kMaxSideExits = 8;
bool inside_branch(const x86::Insn& i) {
  using M = x86::Mnemonic;
  switch (i.mnemonic) {
    case M::kJo: case M::kJno: case M::kJb: case M::kJae: case M::kJe: case M::kJne: case M::kJbe: case M::kJa:
    case M::kJs: case M::kJns: case M::kJp: case M::kJnp: case M::kJl: case M::kJge: case M::kJle: case M::kJg:
      return i.num_operands == 1 && i.ops[0].kind == x86::OperandKind::kRel &&
             (i.attrs & kEndAttrs) == (x86::kAttrBranch | x86::kAttrEndsBlock);
    default: return false;
  }
}

// Whether instruction k emits no code that changes the host flags when
// they hold its condition (emit_jcc, emit_setcc, emit_cmovcc): a Jcc that
// is not the block's last (the last one's exits retire first), SETcc or
// CMOVcc of registers.
bool keeps_host_flags(const Block& b, size_t k, const JitTable& table) {
  const x86::Insn& i = b.insns[k].insn;
  // A Jcc's table entry has no inline test (a taken side beyond the CS
  // limit faults), but a branch inside the block is always emitted inline.
  if (inside_branch(i)) return k + 1 < b.count;
  if (!table.inlines(i)) return false;
  if (i.has(x86::kAttrCond) && !i.has(x86::kAttrBranch) && !i.has(x86::kAttrX87)) {
    // SETcc r/m8, CMOVcc r, r/m.
    const x86::Operand& rm = i.ops[i.num_operands - 1];
    return rm.kind == x86::OperandKind::kReg;
  }
  return false;
}

// The flags an inline instruction reads. The decoder's rows say a shift or
// rotate by an immediate reads every flag (a count of 0 leaves them all);
// the inline ones have a count that is not 0 (emit_shift.cpp), so they read
// none.
uint32_t inline_flags_read(const x86::Insn& i) {
  switch (i.mnemonic) {
    case x86::Mnemonic::kRol:
    case x86::Mnemonic::kRor:
    case x86::Mnemonic::kShl:
    case x86::Mnemonic::kSal:
    case x86::Mnemonic::kShr:
    case x86::Mnemonic::kSar: return 0;
    default: return i.flags_read & x86::kArithFlags;
  }
}

void emit(Block& b, asmjit::JitRuntime& rt, core::Cpu& cpu, uint64_t* retired) {
  asmjit::CodeHolder code;
  code.init(rt.environment());
  ax::Assembler a(&code);
  Label exit = a.newLabel(), body = a.newLabel(), stale_tlb = a.newLabel();
  a.push(ax::rbx);
  a.push(ax::r12);
  a.push(ax::r13);
  a.push(ax::r14);
  a.push(ax::r15);
  a.push(ax::rbp);
  a.sub(ax::rsp, kSpill);
  a.mov(ax::rbx, ax::rdi);
  a.movabs(ax::r12, imm(reinterpret_cast<uint64_t>(&cpu.s)));
  // Entered from the dispatcher: the TLB must be of the current memory map
  // (jit_context.h, check_memory_map).
  const uint64_t* generation = memory_generation_address(cpu.memory());
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(generation)));
  a.mov(ax::rax, ax::qword_ptr(ax::rax));
  a.cmp(ax::rax, ax::qword_ptr(ax::r12, cpu.tlb_layout(false).generation_offset));
  a.jne(stale_tlb);
  a.bind(body);
  const JitTable& table = jit_table();
  // Backward liveness of the arithmetic flags: everything is live at the
  // block's end (the next block, an interrupt or an exception may read
  // them) and before any instruction that calls a handler (it may read any
  // flag, or fault and push FLAGS).
  std::vector<uint32_t> live_after(b.count), live_before(b.count);
  uint32_t live = x86::kArithFlags;
  for (size_t k = b.count; k-- > 0;) {
    const x86::Insn& i = b.insns[k].insn;
    // A store may rewrite this block's code: the block then stops right
    // after the instruction, and every flag is visible.
    if (may_store(i)) live = x86::kArithFlags;
    if (jumps_inside(b, k)) live = live_before[insn_index(b, rel_target(b.insns[k]))];  // where it goes on
    live_after[k] = live;
    if (jumps_inside(b, k)) {
      // reads and writes no flag, cannot fault (its target is in the block)
    } else if (table.inlines(i) && !may_fault(i)) {
      live = (live & ~i.flags_written) | inline_flags_read(i);
    } else {
      live = x86::kArithFlags;
    }
    live_before[k] = live;
  }
  std::vector<std::function<void()>> cold;
  EmitEnv env{a, exit, b, 0, 0, 0, retired, &cold, &cpu, generation, RegCache::plan(b, table)};
  std::vector<EmitEnv::JoinPoint> joins = find_joins(b, a, table);
  env.joins = &joins;
  env.flags_live_before = &live_before;
  if (std::any_of(joins.begin(), joins.end(), [](const EmitEnv::JoinPoint& j) { return j.loop; }))
    env.rc.count_back_edges_in_r8(retired, &cpu.s, static_cast<uint32_t>(b.count));
  env.rc.emit_load(a);  // and the budget in r8, if back edges count there
  for (size_t k = 0; k < b.count; ++k) {
    env.index = k;
    // Flags whose capture waits (RegCache::defer_capture): forgotten if no
    // one reads them, left in the host's flags register for an instruction
    // that keeps it, else captured now.
    if (env.rc.capture_deferred()) {
      // A forward join's liveness is the straight line's; a taken side
      // that needs more brings its own (emit_join_edge merges).
      if ((live_before[k] & x86::kArithFlags) == 0) {
        env.rc.drop_dead_flags();
      } else if (joins[k].label.isValid() || !keeps_host_flags(b, k, table)) {
        // Read by nothing but faults and calls out before they are all
        // overwritten, and computable again: r13 := 0 (RegCache::set_remat).
        // The flags come from the instruction before any inline Jcc that
        // kept them (their taken sides capture their own).
        // At a forward join only a recipe with r13 zeroed (reach_join).
        size_t p = k;
        while (p > 0 && inside_branch(b.insns[p - 1].insn) && !joins[p - 1].label.isValid()) --p;
        const bool join = joins[k].label.isValid();
        const std::optional<FlagsRecipe> r =
            p > 0 && !joins[k].loop ? flags_recipe(b.insns[p - 1].insn) : std::nullopt;
        if (r && !join && r->op == FlagsRecipe::Op::kConst && recipe_lasts(b, k, *r, joins, table))
          env.rc.use_static_recipe(*r);
        else if (r && r->op != FlagsRecipe::Op::kConst && recipe_lasts(b, k, *r, joins, table) && env.rc.recipe_fits(*r))
          env.rc.zero_for_recipe(a, *r, false);
        else
          env.rc.emit_capture(a);
      }
    }
    if (joins[k].label.isValid()) reach_join(env, joins[k]);
    env.flags_live_after = live_after[k];
    const RematStep step =
        env.rc.remat_on() ? remat_step(b.insns[k].insn, env.rc.remat(), table) : RematStep::kKeeps;
    if (step == RematStep::kEnds) env.rc.end_remat(a);
    // Flags that only faults and calls out could read before they are all
    // overwritten, of an instruction that can run again on a copy of its
    // operand: the emitter makes the copy instead of capturing them.
    env.saved_recipe.reset();
    env.saved_recipe_used = false;
    if (k + 1 < b.count && (live_after[k] & x86::kArithFlags) != 0 && !joins[k + 1].label.isValid() &&
        !keeps_host_flags(b, k + 1, table)) {
      if (std::optional<FlagsRecipe> r = saved_recipe(b.insns[k].insn); r && recipe_lasts(b, k + 1, *r, joins, table))
        env.saved_recipe = r;
    }
    table.lookup(b.insns[k].insn.mnemonic)(env, b.insns[k]);
    // Overwritten, even where no one read them (then the emitter computed
    // none and set nothing pending), unless by the new recipe's own.
    if (step == RematStep::kOverwrites && !env.saved_recipe_used) env.rc.forget_remat();
    env.saved_recipe.reset();
  }
  env.rc.emit_capture(a);
  if (env.pending != 0) emit_retire(env, b.insns[b.count - 1].next_eip);
  // A block cut by its size or the page end falls through to the next one:
  // chain there as a branch's not-taken path does (the branch emitters
  // leave through their own exits and never reach this code).
  const bool branch = b.insns[b.count - 1].insn.attrs & x86::kAttrBranch;
  if (b.linkable && !branch) emit_direct_exit(env, b.exits[1], b.insns[b.count - 1].next_eip);
  env.rc.emit_flush(a);
  a.mov(ax::eax, kExitEnd);
  a.bind(exit);
  a.add(ax::rsp, kSpill);
  a.pop(ax::rbp);
  a.pop(ax::r15);
  a.pop(ax::r14);
  a.pop(ax::r13);
  a.pop(ax::r12);
  a.pop(ax::rbx);
  a.ret();
  a.bind(stale_tlb);
  a.mov(ax::rdi, ax::rbx);
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&sync_tlb)));
  a.call(ax::rax);
  a.jmp(body);
  // Slow paths and early exits, out of the straight-line code. They may
  // add more (none do today); run them in order.
  for (size_t k = 0; k < cold.size(); ++k) {
    const std::function<void()> f = cold[k];
    f();
  }
  BlockFn fn = nullptr;
  if (rt.add(&fn, &code) != asmjit::kErrorOk) throw std::runtime_error("jit: AsmJit could not place a block in host memory");
  b.entry = fn;
  b.body = reinterpret_cast<const uint8_t*>(fn) + code.labelOffsetFromBase(body);
  b.code_size = code.codeSize();
}

}  // namespace

EmitEnv::JoinPoint* EmitEnv::join_at(uint32_t eip) const {
  if (joins == nullptr) return nullptr;
  const size_t t = insn_index(block, eip);
  return t != block.count && (*joins)[t].label.isValid() ? &(*joins)[t] : nullptr;
}

std::unique_ptr<Block> build_block(core::Cpu& cpu, const uint8_t* code, uint32_t paddr, asmjit::JitRuntime& rt,
                                   uint64_t* retired, size_t max_insns) {
  const core::CpuState& s = cpu.s;
  const core::SegmentCache& cs = s.seg[x86::kCs];
  const bool code32 = cs.big();
  const uint32_t eip = s.eip;
  const size_t in_page = core::kPageSize - (paddr & core::kPageMask);
  const x86::DecodeOptions opts{code32 ? x86::CodeSize::k32 : x86::CodeSize::k16, cpu.model()};
  const core::interp::HandlerTable& handlers = core::interp::handler_table();

  std::vector<BlockInsn> insns;
  size_t off = 0, sides = 0;
  while (insns.size() < max_insns && off < in_page) {
    BlockInsn bi;
    const size_t avail = std::min<size_t>(in_page - off, x86::kMaxInsnLength);
    if (x86::decode(code + off, avail, opts, bi.insn) != x86::DecodeStatus::kOk) break;
    const uint64_t at = uint64_t{eip} + off;
    const uint64_t last = at + bi.insn.length - 1;
    // Past the CS limit, or past the 64 KiB wrap of a 16-bit IP: the
    // interpreter's byte-wise fetch handles those.
    if (last > cs.limit || (!code32 && last > 0xFFFF) || last > 0xFFFFFFFFu) break;
    bi.handler = core::interp::resolve_handler(handlers, bi.insn);
    bi.eip = static_cast<uint32_t>(at);
    bi.next_eip = static_cast<uint32_t>(at + bi.insn.length);
    if (!code32) bi.next_eip &= 0xFFFF;
    insns.push_back(bi);
    off += bi.insn.length;
    if (inside_branch(bi.insn) && sides < kMaxSideExits) {
      ++sides;
      continue;
    }
    if (jumps_over(bi)) continue;
    // IN/OUT (not INS/OUTS) do not end a block: after one, the block goes
    // on only if nothing the dispatcher's boundary check looks at changed
    // (jit_engine.cpp, port_io_goes_on), else it stops there. Nor does a
    // read of a control or debug register (MOV r32, CRn/DRn): its handler
    // faults (CPL, V86, DR7.GD) or writes one general register.
    const bool port_io = bi.insn.mnemonic == x86::Mnemonic::kIn || bi.insn.mnemonic == x86::Mnemonic::kOut;
    const bool reads_cr_dr = bi.insn.mnemonic == x86::Mnemonic::kMov && bi.insn.num_operands == 2 &&
                             (bi.insn.ops[1].kind == x86::OperandKind::kCr ||
                              bi.insn.ops[1].kind == x86::OperandKind::kDr);
    if ((bi.insn.attrs & kEndAttrs) && !port_io && !reads_cr_dr) break;
  }
  if (insns.empty()) return nullptr;
  // A JMP whose target the block did not reach ends it (jumps_over); cutting
  // the block there may leave an earlier one without its target: again.
  for (size_t k = 0; k < insns.size(); ++k) {
    if (!jumps_over(insns[k]) || k + 1 == insns.size()) continue;
    const uint32_t target = rel_target(insns[k]);
    if (std::any_of(insns.begin() + k + 1, insns.end(), [target](const BlockInsn& i) { return i.eip == target; }))
      continue;
    insns.resize(k + 1);
    k = size_t(-1);
  }
  off = 0;
  for (const BlockInsn& i : insns) off += i.insn.length;

  auto b = std::make_unique<Block>();
  b->key = BlockKey{paddr, eip, mode_bits(cpu)};
  b->linear = cs.base + eip;
  b->last_eip = static_cast<uint32_t>(eip + off - 1);
  b->paddr_end = static_cast<uint32_t>(paddr + off);
  b->count = insns.size();
  b->insns = std::make_unique<BlockInsn[]>(insns.size());
  std::copy(insns.begin(), insns.end(), b->insns.get());
  b->guest_bytes.assign(code, code + off);
  // Direct exits: the last instruction's two, then one per branch inside.
  std::vector<uint32_t> side_targets;
  for (size_t k = 0; k + 1 < b->count; ++k)
    if (inside_branch(b->insns[k].insn) && !joins_forward(*b, k)) side_targets.push_back(rel_target(b->insns[k]));
  b->exit_count = Block::kEndExits + side_targets.size();
  b->exits = std::make_unique<ChainSlot[]>(b->exit_count);
  for (size_t k = 0; k < side_targets.size(); ++k) b->exits[Block::kEndExits + k].target = side_targets[k];
  const BlockInsn& end = b->insns[b->count - 1];
  b->exits[0].target = rel_branch(end.insn) ? rel_target(end) : end.next_eip;
  b->exits[1].target = end.next_eip;
  // Chaining past the last instruction is safe only if it cannot have
  // changed the mode, CS or the mapping: a plain fall-through or a near
  // branch (privileged, I/O-sensitive and sensitive rows all may).
  const uint16_t last = b->insns[b->count - 1].insn.attrs;
  b->linkable = (last & (x86::kAttrPrivileged | x86::kAttrIoSensitive | x86::kAttrSensitive)) == 0 &&
                (!(last & x86::kAttrEndsBlock) || (last & x86::kAttrBranch));
  emit(*b, rt, cpu, retired);
  return b;
}

}  // namespace tx86::jit
