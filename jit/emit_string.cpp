// See emit_string.h.
#include "jit/emit_string.h"

#include <algorithm>
#include <cstring>

#include "core/semantics/alu.h"
#include "jit/jit_context.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;
using core::Access;
using x86::Mnemonic;

namespace {

// The interpreter's chunk (core/interp/string.cpp, kRepChunk).
constexpr uint32_t kRepChunk = 1024;

// The host byte for `linear` if the TLB holds it for the access, else null.
// Reads the TLB only (Cpu::tlb_layout): no walk, no fill, no side effect.
uint8_t* tlb_host(core::Cpu& cpu, uint32_t linear, bool write) {
  const core::Cpu::TlbLayout l = cpu.tlb_layout(cpu.user_access());
  const char* base = reinterpret_cast<const char*>(&cpu.s);
  uint64_t generation;
  std::memcpy(&generation, base + l.generation_offset, sizeof generation);
  if (generation != cpu.memory().generation()) return nullptr;
  const char* e = base + l.set_offset + size_t((linear >> core::kPageShift) & (l.entries - 1)) * l.entry_size;
  uint32_t tag;
  std::memcpy(&tag, e + (write ? l.write_tag : l.read_tag), sizeof tag);
  if (tag != (linear & ~core::kPageMask)) return nullptr;
  uintptr_t addend;
  std::memcpy(&addend, e + l.addend, sizeof addend);
  return reinterpret_cast<uint8_t*>(addend + linear);
}

// The linear range of `n` elements of size `size` from offset `off` of
// segment `seg` (DF `down`), if every element passes the segment checks and
// every page of it is in the TLB for the access.
bool chunk_range(core::interp::ExecContext& c, unsigned seg, uint32_t off, uint32_t mask, uint32_t n,
                 uint32_t size, bool down, Access access, uint32_t& first_linear) {
  const uint32_t span = (n - 1) * size;
  uint32_t lo, hi;
  if (down) {
    if (off < span) return false;
    lo = off - span;
    hi = off;
  } else {
    lo = off;
    hi = off + span;
  }
  if (uint64_t{lo} + span + size - 1 > mask) return false;  // the offsets would wrap
  // Limits and rights are monotone over [lo, hi]; alignment (#AC) is the
  // same for every element. A failed check only sets cpu.fault, which the
  // handler then raises itself.
  if (!c.cpu.check_segment(seg, lo, size, access) || !c.cpu.check_segment(seg, hi, size, access)) return false;
  const uint64_t lin_lo = uint64_t{c.s.seg[seg].base} + lo;
  const uint64_t lin_hi = lin_lo + span + size - 1;
  if (lin_hi > 0xFFFFFFFFu || (lin_lo & (size - 1)) != 0) return false;
  const bool write = access == Access::kWrite;
  for (uint64_t p = lin_lo & ~uint64_t{core::kPageMask}; p <= lin_hi; p += core::kPageSize)
    if (tlb_host(c.cpu, static_cast<uint32_t>(p), write) == nullptr) return false;
  first_linear = static_cast<uint32_t>(down ? lin_lo + span : lin_lo);
  return true;
}

// Elements from `linear` until the page ends in the direction of travel.
uint32_t room(uint32_t linear, uint32_t size, bool down) {
  const uint32_t in = linear & core::kPageMask;
  return down ? in / size + 1 : (core::kPageSize - in) / size;
}

// One chunk of a REP string instruction as both bulk paths see it: the
// count, the interpreter's chunk size, the direction and the linear
// addresses of the first elements (ES:eDI and, with a source, seg:eSI).
struct Chunk {
  uint32_t mask = 0, count = 0, n = 0, si = 0, di = 0, dl = 0, sl = 0;
  bool down = false;
  int32_t step = 0;
};

// False (the handler then runs the chunk) if the count is 0 or some page
// of the chunk is not a side-effect-free TLB hit.
bool setup_chunk(core::interp::ExecContext& c, const x86::Insn& i, uint32_t size, bool has_source, Access dest,
                 Chunk& k) {
  const core::CpuState& s = c.s;
  k.mask = i.addrsize == 4 ? 0xFFFFFFFFu : 0xFFFFu;
  k.count = s.gpr[x86::kEcx] & k.mask;
  if (k.count == 0) return false;
  k.n = std::min(k.count, kRepChunk);
  k.down = (s.eflags & x86::kDF) != 0;
  k.si = s.gpr[x86::kEsi] & k.mask;
  k.di = s.gpr[x86::kEdi] & k.mask;
  if (!chunk_range(c, x86::kEs, k.di, k.mask, k.n, size, k.down, dest, k.dl)) return false;
  if (has_source && !chunk_range(c, i.mem.seg, k.si, k.mask, k.n, size, k.down, Access::kRead, k.sl)) return false;
  k.step = k.down ? -int32_t(size) : int32_t(size);
  return true;
}

// After `done` elements: eDI (and eSI) moved, the count down; if the chunk
// did not finish the instruction, it executes again (the handler's restart).
void finish_chunk(core::interp::ExecContext& c, const Chunk& k, bool has_source, uint32_t done, bool stopped) {
  core::CpuState& s = c.s;
  const uint32_t moved = uint32_t(k.step) * done;
  s.gpr[x86::kEdi] = (s.gpr[x86::kEdi] & ~k.mask) | ((k.di + moved) & k.mask);
  if (has_source) s.gpr[x86::kEsi] = (s.gpr[x86::kEsi] & ~k.mask) | ((k.si + moved) & k.mask);
  s.gpr[x86::kEcx] = (s.gpr[x86::kEcx] & ~k.mask) | (k.count - done);
  if (k.count != done && !stopped) {
    c.next_eip = s.eip;
    c.attention = true;
  }
}

template <typename T, bool kMovs>
bool bulk(core::interp::ExecContext& c, const x86::Insn& i) {
  core::CpuState& s = c.s;
  Chunk ch;
  if (!setup_chunk(c, i, sizeof(T), kMovs, Access::kWrite, ch)) return false;
  const uint32_t n = ch.n;
  const bool down = ch.down;
  const int32_t step = ch.step;
  uint32_t dl = ch.dl, sl = ch.sl;
  const T value = core::interp::get_reg<T>(s, x86::kEax);
  for (uint32_t k = 0; k < n;) {
    uint32_t run = std::min(n - k, room(dl, sizeof(T), down));
    if (kMovs) run = std::min(run, room(sl, sizeof(T), down));
    uint8_t* d = tlb_host(c.cpu, dl, true);
    if (kMovs) {
      const uint8_t* src = tlb_host(c.cpu, sl, false);
      // The run's bytes on each side; apart, the order does not matter.
      const uint32_t bytes = run * sizeof(T);
      const uint8_t* d0 = down ? d - (bytes - sizeof(T)) : d;
      const uint8_t* s0 = down ? src - (bytes - sizeof(T)) : src;
      if (d0 + bytes <= s0 || s0 + bytes <= d0) {
        std::memcpy(const_cast<uint8_t*>(d0), s0, bytes);
      } else {
        for (uint32_t j = 0; j < run; ++j, d += step, src += step) std::memmove(d, src, sizeof(T));
      }
    } else if (sizeof(T) == 1) {
      std::memset(down ? d - (run - 1) : d, int(value), run);
    } else {
      for (uint32_t j = 0; j < run; ++j, d += step) std::memcpy(d, &value, sizeof(T));
    }
    k += run;
    dl += uint32_t(step) * run;
    sl += uint32_t(step) * run;
  }
  finish_chunk(c, ch, kMovs, n, false);
  return true;
}

// REPE/REPNE CMPS and SCAS: element by element in host memory with the
// handler's flag computation (sem::sub) and its stop tests, in its order:
// advance, count down, stop at zero, stop on ZF. Every page of the full
// chunk must be cached (a stop on ZF may come earlier: the check has no
// side effect, and a failure only sends the chunk to the handler).
template <typename T, bool kCmps>
bool bulk_compare(core::interp::ExecContext& c, const x86::Insn& i) {
  core::CpuState& s = c.s;
  Chunk ch;
  if (!setup_chunk(c, i, sizeof(T), kCmps, Access::kRead, ch)) return false;
  const uint32_t n = ch.n;
  const bool down = ch.down;
  const bool repne = (i.prefixes & x86::kPrefixRepne) != 0;
  const int32_t step = ch.step;
  uint32_t dl = ch.dl, sl = ch.sl;
  const T acc = core::interp::get_reg<T>(s, x86::kEax);
  uint32_t done = 0;
  bool stopped = false;
  while (done < n && !stopped) {
    uint32_t run = std::min(n - done, room(dl, sizeof(T), down));
    if (kCmps) run = std::min(run, room(sl, sizeof(T), down));
    const uint8_t* d = tlb_host(c.cpu, dl, false);
    const uint8_t* src = kCmps ? tlb_host(c.cpu, sl, false) : nullptr;
    uint32_t j = 0;
    while (j < run) {
      T a = acc, b;
      std::memcpy(&b, d, sizeof(T));
      if (kCmps) std::memcpy(&a, src, sizeof(T));
      core::sem::sub<T>(a, b, 0, s.eflags);
      ++j;
      d += step;
      if (kCmps) src += step;
      const bool zf = (s.eflags & x86::kZF) != 0;
      if (repne ? zf : !zf) {
        stopped = true;
        break;
      }
    }
    done += j;
    dl += uint32_t(step) * j;
    sl += uint32_t(step) * j;
  }
  finish_chunk(c, ch, kCmps, done, stopped);
  return true;
}

template <bool kMovs>
BulkFn by_width(unsigned w) {
  switch (w) {
    case 1: return bulk<uint8_t, kMovs>;
    case 2: return bulk<uint16_t, kMovs>;
    case 4: return bulk<uint32_t, kMovs>;
    default: return nullptr;
  }
}

template <bool kCmps>
BulkFn compare_by_width(unsigned w) {
  switch (w) {
    case 1: return bulk_compare<uint8_t, kCmps>;
    case 2: return bulk_compare<uint16_t, kCmps>;
    case 4: return bulk_compare<uint32_t, kCmps>;
    default: return nullptr;
  }
}

void emit_string(EmitEnv& env, const BlockInsn& bi) {
  const BulkFn f = bulk_for(bi.insn);
  if (f == nullptr) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  env.rc.emit_flush(a);
  a.mov(ax::rdi, ax::rbx);
  a.movabs(ax::rsi, imm(reinterpret_cast<uint64_t>(&bi)));
  a.mov(ax::edx, env.pending);
  env.pending = 0;
  a.movabs(ax::rcx, imm(reinterpret_cast<uint64_t>(f)));
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&exec_string_thunk)));
  a.call(ax::rax);
  a.test(ax::eax, ax::eax);
  a.jnz(env.exit);
  env.rc.emit_load(a);
}

}  // namespace

BulkFn bulk_for(const x86::Insn& i) {
  if ((i.prefixes & (x86::kPrefixRep | x86::kPrefixRepne)) == 0) return nullptr;
  const unsigned w = i.width ? i.width : i.opsize;
  if (i.mnemonic == Mnemonic::kMovs) return by_width<true>(w);
  if (i.mnemonic == Mnemonic::kStos) return by_width<false>(w);
  if (i.mnemonic == Mnemonic::kCmps) return compare_by_width<true>(w);
  if (i.mnemonic == Mnemonic::kScas) return compare_by_width<false>(w);
  return nullptr;
}

void register_string(JitTable& t) {
  t.set(Mnemonic::kMovs, emit_string, nullptr);  // nullptr: may fault
  t.set(Mnemonic::kStos, emit_string, nullptr);
  t.set(Mnemonic::kCmps, emit_string, nullptr);
  t.set(Mnemonic::kScas, emit_string, nullptr);
}

}  // namespace tx86::jit
