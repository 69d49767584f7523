// See emit_memory.h. The inline segment test covers what Cpu::check_segment
// lets through without a fault for expand-up segments (SDM Vol. 3A, 5.3 and
// 5.4): outside protected mode (and in V86 mode) only the limit counts; in
// protected mode a load needs a present expand-up data segment, a store a
// present writable one. Anything else takes the slow path, which runs the
// full check (and raises #GP/#SS with the interpreter's vector choice).
#include "jit/emit_memory.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/interp/exec_context.h"
#include "jit/emit_util.h"
#include "jit/jit_context.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;
using asmjit::Label;

// An inline store never writes a page holding translated code (the TLB
// gives such a page no write tag: Cpu::fill), so only its slow path can
// invalidate the running block. When the store is the last code of its
// instruction, emit_stop_check leaves the stop test to that slow path
// (`check`, with the state at the instruction's end) instead of testing
// the flag on the fast path.
struct EmitEnv::StoreStop {
  size_t index = 0;      // the instruction
  size_t end = 0;        // code offset right after the inline store
  bool check = false;    // the slow path tests the stop flag
  uint32_t pending = 0;  // at the instruction's end (it counted)
  RegCache rc;           // likewise
};

namespace {

constexpr int32_t seg_field(unsigned seg, size_t field) {
  return static_cast<int32_t>(offsetof(core::CpuState, seg) + seg * sizeof(core::SegmentCache) + field);
}
constexpr int32_t kEipOff = static_cast<int32_t>(offsetof(core::CpuState, eip));
// JitContext holds references (not standard layout); GCC's offsetof is
// exact for it all the same.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
constexpr int32_t kStopOff = static_cast<int32_t>(offsetof(JitContext, stop));
constexpr int32_t kHintsOff = static_cast<int32_t>(offsetof(JitContext, tlb_hints));
constexpr int32_t kHintMissesOff = static_cast<int32_t>(offsetof(JitContext, tlb_hint_misses));
#pragma GCC diagnostic pop

// The slow paths: exactly what an interpreter handler does for the access.
// A load returns the value, or bit 63 set on a fault.
// Each one checks the memory map afterwards (check_memory_map: an MMIO
// access may change it, and chained links must then die).
// `for_write`: the destination read of a read-modify-write instruction
// (write intent).
template <typename T, bool for_write>
uint64_t load_slow(JitContext* c, uint32_t seg, uint32_t off) {
  T v{};
  const bool ok = for_write ? core::interp::mem_read_for_write<T>(c->exec, seg, off, v)
                            : core::interp::mem_read<T>(c->exec, seg, off, v);
  check_memory_map(c);
  return ok ? v : uint64_t{1} << 63;
}
template <typename T>
uint32_t store_slow(JitContext* c, uint32_t seg, uint32_t off, uint32_t value) {
  const bool ok = core::interp::mem_write<T>(c->exec, seg, off, static_cast<T>(value));
  check_memory_map(c);
  return ok ? 0 : 1;
}

enum class Kind { kLoad, kLoadForWrite, kStore };

template <typename T>
uint64_t slow_fn_of(Kind kind) {
  if (kind == Kind::kStore) return reinterpret_cast<uint64_t>(&store_slow<T>);
  if (kind == Kind::kLoadForWrite) return reinterpret_cast<uint64_t>(&load_slow<T, true>);
  return reinterpret_cast<uint64_t>(&load_slow<T, false>);
}

uint64_t slow_fn(Kind kind, unsigned w) {
  return w == 1 ? slow_fn_of<uint8_t>(kind) : w == 2 ? slow_fn_of<uint16_t>(kind) : slow_fn_of<uint32_t>(kind);
}

unsigned log2u(uint32_t v) {
  unsigned n = 0;
  while ((1u << n) < v) ++n;
  return n;
}

// The fast path up to the host address: r9 + `linear` on success, else to
// `slow`. Offset in edx (kept), store value in ecx (kept). `store` covers
// the read with write intent too: it needs what a store needs. The block's
// segment class (block.h) says which of the segment tests are known to pass.
// eax := the linear address of offset edx in segment `seg` (its base added).
ax::Gp emit_add_base(ax::Assembler& a, unsigned seg) {
  a.mov(ax::eax, ax::edx);
  a.add(ax::eax, ax::dword_ptr(ax::r12, seg_field(seg, offsetof(core::SegmentCache, base))));
  return ax::eax;
}

ax::Gp emit_fast_address(EmitEnv& env, unsigned seg, unsigned w, bool store, Label slow) {
  ax::Assembler& a = env.a;
  const uint32_t mode = env.block.key.mode;
  const bool pe = (mode >> 2) & 1, vm = (mode >> 3) & 1;
  const unsigned cpl = (mode >> 6) & 3;
  const SegClass cls = mode_segment_class(mode, seg);
  if (cls == SegClass::kChecked) {
    // Segment type and rights.
    a.movzx(ax::r9d, ax::word_ptr(ax::r12, seg_field(seg, offsetof(core::SegmentCache, attrs))));
    if (pe && !vm) {
      a.and_(ax::r9d, store ? 0x8E : 0x8C);
      a.cmp(ax::r9d, store ? 0x82 : 0x80);
      a.jne(slow);
    } else {
      a.test(ax::r9d, 0x4);  // expand-down (or conforming code): the full check
      a.jnz(slow);
    }
  }
  // The linear address: the offset itself in a flat segment (whose limit
  // only a 4 GiB wrap can pass: such an access is misaligned, and its last
  // byte is in page 0, not in its first byte's page, so it takes the slow
  // path and its #GP), else base + offset after the limit test
  // (offset + w - 1 <= limit, without wrapping).
  // rax is free: an access clobbers it (emit_memory.h).
  ax::Gp linear = ax::edx;
  if (cls != SegClass::kFlat) {
    a.lea(ax::rax, ax::qword_ptr(ax::rdx, int32_t(w - 1)));
    a.mov(ax::r9d, ax::dword_ptr(ax::r12, seg_field(seg, offsetof(core::SegmentCache, limit))));
    a.cmp(ax::rax, ax::r9);
    a.ja(slow);
    linear = emit_add_base(a, seg);
  }
  // CPL 3: a misaligned access may be #AC (CR0.AM, EFLAGS.AC).
  if (cpl == 3 && w > 1) {
    a.test(linear, w - 1);
    a.jnz(slow);
  }
  // The TLB is of the current memory map inside a block (check_memory_map,
  // jit_context.h), so a hit needs no generation test.
  const core::Cpu::TlbLayout t = env.cpu->tlb_layout(cpl == 3);
  const int32_t tag = t.set_offset + int32_t(store ? t.write_tag : t.read_tag);
  // The entry the site used last (JitContext::tlb_hints), whose tag is
  // tested first: the addend then loads without waiting for the address.
  const int32_t hint = kHintsOff + int32_t(sizeof(uint32_t) * tlb_hint_index(env.block.insns[env.index].eip, store));
  a.mov(ax::r9d, ax::dword_ptr(ax::rbx, hint));
  // The hinted entry may be any page's, so the tag tested must be the
  // first byte's page, and the access must not leave it. Inline, for an
  // aligned access, which never crosses a page: the first byte's page with
  // the alignment bits kept, which no tag has (tags are page addresses), so
  // a misaligned access goes out of line.
  a.mov(ax::r10d, linear);
  a.and_(ax::r10d, ~core::kPageMask | (w - 1));
  a.cmp(ax::r10d, ax::dword_ptr(ax::r12, ax::r9, 0, tag));
  Label miss = a.newLabel(), hit = a.newLabel();
  a.jne(miss);
  a.bind(hit);
  a.mov(ax::r9, ax::qword_ptr(ax::r12, ax::r9, 0, t.set_offset + int32_t(t.addend)));
  // Out of line, the hint missed or the access is misaligned: the
  // address's own entry, ((linear >> 12) & (entries - 1)) * entry_size,
  // noted as the hint. An aligned access tests it as inline (r10 holds
  // what it tested); a misaligned one needs the tag of the first byte's
  // page and of the last byte's (not crossing into the next page).
  env.cold->push_back([&a, linear, w, t, tag, hint, miss, hit, slow] {
    a.bind(miss);
    a.inc(ax::qword_ptr(ax::rbx, kHintMissesOff));
    a.mov(ax::r9d, linear);
    a.shr(ax::r9d, 12 - log2u(t.entry_size));
    a.and_(ax::r9d, (t.entries - 1) * t.entry_size);
    a.mov(ax::dword_ptr(ax::rbx, hint), ax::r9d);
    a.cmp(ax::r10d, ax::dword_ptr(ax::r12, ax::r9, 0, tag));
    a.je(hit);
    if (w == 1) {
      a.jmp(slow);
      return;
    }
    a.mov(ax::r10d, linear);
    a.and_(ax::r10d, ~core::kPageMask);
    a.cmp(ax::r10d, ax::dword_ptr(ax::r12, ax::r9, 0, tag));
    a.jne(slow);
    a.lea(ax::r10d, ax::dword_ptr(linear.r64(), int32_t(w - 1)));
    a.and_(ax::r10d, ~core::kPageMask);
    a.cmp(ax::r10d, ax::dword_ptr(ax::r12, ax::r9, 0, tag));
    a.je(hit);
    a.jmp(slow);
  });
  return linear;
}

// r9 after a read for write that took the slow path: no TLB addend is 1
// (addends are page-aligned differences).
constexpr uint32_t kNoAddend = 1;

ax::Mem host_mem(unsigned w, const ax::Gp& linear) {
  const ax::Gp l = linear.r64();
  return w == 1 ? ax::byte_ptr(ax::r9, l) : w == 2 ? ax::word_ptr(ax::r9, l) : ax::dword_ptr(ax::r9, l);
}

// Where a load's value goes: eax (zero-extended), or straight into a host
// register (zero- or sign-extended; emit_load_into). Where a store's comes
// from: ecx, or an immediate (emit_store_imm), which the slow path puts in
// ecx.
struct SlowValue {
  ax::Gp reg = ax::eax;
  bool sign = false;
  std::optional<uint32_t> imm;
  // A load whose value is the source of ALU instruction `op` (emit_load_op):
  // `op dst, value` after the load, CF first from `cf` if it is a register.
  ax::Inst::Id op = ax::Inst::kIdNone;
  asmjit::Operand dst, cf;
};

// Out of line: EIP and clock exact, the interpreter's accessor, the clock
// back; a fault leaves the block.
void emit_slow(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, Kind kind, Label slow, Label done,
               std::shared_ptr<EmitEnv::StoreStop> stop = nullptr, SlowValue into = {}) {
  const uint32_t pending = env.pending;
  EmitEnv* e = &env;
  const BlockInsn* b = &bi;
  const bool store = kind == Kind::kStore;
  RegCache rc = env.rc;  // as it is here, for the out-of-line code
  env.cold->push_back([e, b, seg, w, kind, store, slow, done, pending, rc, stop, into]() mutable {
    ax::Assembler& a = e->a;
    a.bind(slow);
    if (into.imm) a.mov(ax::ecx, *into.imm);
    a.mov(ax::dword_ptr(ax::r12, kEipOff), b->eip);
    // The clock as at the instruction (the accessor may raise an interrupt
    // or fault); a block that counts down in r8 (reg_cache.h) retires there,
    // and the flush adds it to the counter.
    if (pending != 0 && rc.back_edges_in_r8()) {
      a.sub(ax::r8, pending);
    } else if (pending != 0) {
      a.add(retired_mem(*e), pending);
    }
    rc.emit_flush(a);  // the accessor reads EFLAGS.AC; a fault leaves the block
    a.mov(ax::rdi, ax::rbx);
    a.mov(ax::esi, seg);
    a.movabs(ax::rax, imm(slow_fn(kind, w)));
    a.call(ax::rax);
    Label fault = a.newLabel();
    if (store) {
      a.test(ax::eax, ax::eax);
      a.jnz(fault);
    } else {
      a.test(ax::rax, ax::rax);
      a.js(fault);
    }
    // The clock back to before the instruction's block-mates (they retire
    // later); the load's budget is of the counter with them, so a block that
    // counts down gives them back in r8.
    rc.emit_load(a, /*callee_saved=*/false);
    if (pending != 0 && rc.back_edges_in_r8()) {
      a.add(ax::r8, pending);
    } else if (pending != 0) {
      a.sub(retired_mem(*e), pending);
    }
    // No host address for the store that follows (emit_store's `reuse`).
    if (kind == Kind::kLoadForWrite) a.mov(ax::r9d, kNoAddend);
    // The value where the inline load puts it (after the reload above,
    // which may have written the destination's stale value).
    if (into.sign) a.movsx(into.reg, scratch(w));
    else if (into.reg != ax::eax) a.mov(into.reg, ax::eax);
    if (into.op != ax::Inst::kIdNone) {
      if (into.cf.isReg()) a.emit(ax::Inst::kIdBt, into.cf, asmjit::imm(0));
      a.emit(into.op, into.dst, scratch(w));  // its flags reach `done` too
    }
    if (stop != nullptr && stop->check) {
      // The stop test of the instruction, which ends with this store.
      a.cmp(ax::byte_ptr(ax::rbx, kStopOff), 0);
      a.je(done);
      stop->rc.emit_flush(a);
      const uint32_t saved = e->pending;
      e->pending = stop->pending;
      emit_retire(*e, b->next_eip);
      e->pending = saved;
      a.mov(ax::eax, kExitEnd);
      a.jmp(e->exit);
    } else {
      a.jmp(done);
    }
    a.bind(fault);
    a.mov(ax::eax, kExitFault);
    a.jmp(e->exit);
  });
}

}  // namespace

bool accesses_memory(const x86::Insn& i) {
  if (i.mnemonic == x86::Mnemonic::kLea) return false;
  for (int k = 0; k < i.num_operands; ++k)
    if (i.ops[k].kind == x86::OperandKind::kMem) return true;
  return false;
}

void emit_effective_address(EmitEnv& env, const x86::Insn& i, const ax::Gp& dst) {
  ax::Assembler& a = env.a;
  const x86::MemRef& m = i.mem;
  const bool has_base = m.base != x86::kNoReg, has_index = m.index != x86::kNoReg;
  // Base and index as host registers: the cached ones where they are, the
  // others loaded into dst and r10.
  const auto reg = [&](unsigned r, const ax::Gp& tmp) {
    if (env.rc.cached(r)) return env.rc.host(r, 4);
    a.mov(tmp, guest(env, r, 4).as<ax::Mem>());
    return tmp;
  };
  if (has_base && has_index) {
    const ax::Gp base = reg(m.base, dst), index = reg(m.index, ax::r10d);
    a.lea(dst, ax::dword_ptr(base.r64(), index.r64(), m.scale, m.disp));
  } else if (has_base) {
    const ax::Gp base = reg(m.base, dst);
    if (base.id() != dst.id()) a.lea(dst, ax::dword_ptr(base.r64(), m.disp));
    else if (m.disp != 0) a.add(dst, m.disp);
  } else if (has_index) {
    const ax::Gp index = reg(m.index, dst);
    // [index * 2^scale + disp]: an absolute address with an index (no base).
    a.lea(dst, ax::dword_ptr(static_cast<uint64_t>(int64_t{m.disp}), index.r64(), m.scale));
  } else {
    a.mov(dst, static_cast<uint32_t>(m.disp));
  }
  if (i.addrsize == 2) a.movzx(dst, dst.r16());
}

void emit_load(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, bool for_write) {
  ax::Assembler& a = env.a;
  Label slow = a.newLabel(), done = a.newLabel();
  const ax::Gp linear = emit_fast_address(env, seg, w, for_write, slow);
  if (w == 4) a.mov(ax::eax, host_mem(4, linear));
  else a.movzx(ax::eax, host_mem(w, linear));
  a.bind(done);
  emit_slow(env, bi, seg, w, for_write ? Kind::kLoadForWrite : Kind::kLoad, slow, done);
}

void emit_load_into(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, const ax::Gp& dst, bool sign) {
  if (dst.size() != 4) throw std::logic_error("jit: emit_load_into a register that is not 32-bit");
  ax::Assembler& a = env.a;
  Label slow = a.newLabel(), done = a.newLabel();
  const ax::Gp linear = emit_fast_address(env, seg, w, false, slow);
  if (w == 4) a.mov(dst, host_mem(4, linear));
  else a.emit(sign ? ax::Inst::kIdMovsx : ax::Inst::kIdMovzx, dst, host_mem(w, linear));
  a.bind(done);
  emit_slow(env, bi, seg, w, Kind::kLoad, slow, done, nullptr, SlowValue{dst, sign && w < 4, std::nullopt});
}

// The stop test of a store that just ended (emit_stop_check): noted here,
// so that it can go on the slow path if the store ends its instruction.
std::shared_ptr<EmitEnv::StoreStop> note_store(EmitEnv& env) {
  auto stop = std::make_shared<EmitEnv::StoreStop>();
  // A second store in one instruction: the stop test stays inline.
  const bool second = env.last_store != nullptr && env.last_store->index == env.index;
  stop->index = second ? ~size_t{0} : env.index;
  stop->end = env.a.offset();
  env.last_store = stop;
  return stop;
}

void emit_load_op(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, ax::Inst::Id op,
                  const asmjit::Operand& dst, const asmjit::Operand& cf) {
  if (!dst.isReg()) throw std::logic_error("jit: emit_load_op into a destination that is not a register");
  ax::Assembler& a = env.a;
  Label slow = a.newLabel(), done = a.newLabel();
  const ax::Gp linear = emit_fast_address(env, seg, w, false, slow);
  if (cf.isReg()) a.emit(ax::Inst::kIdBt, cf, asmjit::imm(0));  // host CF := guest CF
  a.emit(op, dst, host_mem(w, linear));
  a.bind(done);
  SlowValue value;
  value.op = op;
  value.dst = dst;
  value.cf = cf;
  emit_slow(env, bi, seg, w, Kind::kLoad, slow, done, nullptr, value);
}

void emit_store(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, bool reuse) {
  ax::Assembler& a = env.a;
  Label slow = a.newLabel(), done = a.newLabel();
  const ax::Gp value = scratch2(w);
  if (reuse) {
    // The read for write of this same operand left the addend in r9 after
    // it passed every check a store needs (segment, write tag, #AC), unless
    // it took the slow path: then r9 is kNoAddend and the full path runs.
    Label full = a.newLabel();
    a.cmp(ax::r9, kNoAddend);
    a.je(full);
    const ax::Gp linear =
        mode_segment_class(env.block.key.mode, seg) == SegClass::kFlat ? ax::Gp(ax::edx) : emit_add_base(a, seg);
    a.mov(host_mem(w, linear), value);
    EmitEnv* e = &env;
    const size_t index = env.index;
    env.cold->push_back([e, index, seg, w, value, full, slow, done] {
      ax::Assembler& a = e->a;
      a.bind(full);
      const size_t saved = e->index;
      e->index = index;  // the hint of this instruction's site
      const ax::Gp l = emit_fast_address(*e, seg, w, true, slow);
      e->index = saved;
      a.mov(host_mem(w, l), value);
      a.jmp(done);
    });
  } else {
    const ax::Gp linear = emit_fast_address(env, seg, w, true, slow);
    a.mov(host_mem(w, linear), value);
  }
  a.bind(done);
  emit_slow(env, bi, seg, w, Kind::kStore, slow, done, note_store(env));
}

void emit_store_imm(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, uint32_t value) {
  ax::Assembler& a = env.a;
  Label slow = a.newLabel(), done = a.newLabel();
  value &= width_mask(w);
  const ax::Gp linear = emit_fast_address(env, seg, w, true, slow);
  // MOV m32, imm32 as it is; for the narrower forms AsmJit takes the low
  // bytes of the 32-bit immediate.
  a.mov(host_mem(w, linear), asmjit::imm(w == 4 ? int64_t(int32_t(value)) : int64_t(value)));
  a.bind(done);
  emit_slow(env, bi, seg, w, Kind::kStore, slow, done, note_store(env), SlowValue{ax::eax, false, value});
}

void emit_read_dest(EmitEnv& env, const BlockInsn& bi, unsigned w) {
  const x86::Insn& i = bi.insn;
  if (i.ops[0].kind == x86::OperandKind::kMem) {
    emit_effective_address(env, i, ax::edx);
    emit_load(env, bi, i.mem.seg, w, /*for_write=*/true);
  } else {
    emit_get(env, scratch(w), i.ops[0].reg, w);
  }
}

asmjit::Operand emit_rm_source(EmitEnv& env, const BlockInsn& bi, const x86::Operand& s, unsigned w) {
  if (s.kind != x86::OperandKind::kMem) return guest(env, s.reg, w);
  emit_effective_address(env, bi.insn, ax::edx);
  emit_load(env, bi, bi.insn.mem.seg, w);
  return scratch(w);
}

void emit_write_dest(EmitEnv& env, const BlockInsn& bi, const ax::Gp& r) {
  const x86::Insn& i = bi.insn;
  const x86::Operand& d = i.ops[0];
  if (d.kind == x86::OperandKind::kMem) {
    if (r.id() != ax::Gp::kIdAx) throw std::logic_error("jit: emit_write_dest stores from eax only");
    env.a.mov(ax::ecx, ax::eax);
    emit_effective_address(env, i, ax::edx);
    emit_store(env, bi, i.mem.seg, d.size);
  } else {
    emit_put(env, d.reg, d.size, r);
  }
}

const uint64_t* memory_generation_address(const core::PhysicalMemory& m) { return m.generation_address(); }

void emit_stop_check(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  if (const auto& s = env.last_store; s != nullptr && s->index == env.index && s->end == a.offset()) {
    // The instruction ended with its only store: its slow path tests.
    s->check = true;
    s->pending = env.pending;
    s->rc = env.rc;
    return;
  }
  Label stop = a.newLabel();
  a.cmp(ax::byte_ptr(ax::rbx, kStopOff), 0);
  a.jne(stop);
  const uint32_t pending = env.pending;
  EmitEnv* e = &env;
  const BlockInsn* b = &bi;
  const RegCache rc = env.rc;
  env.cold->push_back([e, b, stop, pending, rc] {
    ax::Assembler& a = e->a;
    a.bind(stop);
    rc.emit_flush(a);
    const uint32_t saved = e->pending;
    e->pending = pending;
    emit_retire(*e, b->next_eip);
    e->pending = saved;
    a.mov(ax::eax, kExitEnd);
    a.jmp(e->exit);
  });
}

void emit_fault_exit(EmitEnv& env, const BlockInsn& bi, uint32_t pending) {
  ax::Assembler& a = env.a;
  env.rc.emit_flush(a);
  const uint32_t saved = env.pending;
  env.pending = pending;
  emit_retire(env, bi.eip);
  env.pending = saved;
  a.mov(ax::eax, kExitFault);
  a.jmp(env.exit);
}

}  // namespace tx86::jit
