// Stack frames moved in one copy must behave exactly like the access-by-
// access path they shortcut: Cpu::check_segment_run against check_segment
// per access, and the frame copies of interrupt delivery (NewStack::commit),
// IRET's pops and PUSHA/POPA (read/write_linear_if_cached) against the same
// instruction run with a flushed TLB, which always takes the general path.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "core/interp/interpreter.h"
#include "core/machine.h"

using namespace tx86;
using core::Access;
using core::SegmentCache;

namespace {

constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000, kCode = 0x10000, kStackPage = 0x9000;
constexpr uint16_t kKCode = 0x08, kKData = 0x10, kUCode = 0x1B, kUData = 0x23, kTssSel = 0x28;

uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  const uint32_t lo = (limit & 0xFFFF) | (base << 16);
  const uint32_t hi = ((base >> 16) & 0xFF) | (uint32_t{access} << 8) | (limit & 0xF0000) |
                      (uint32_t(flags & 0xF) << 20) | (base & 0xFF000000u);
  return (uint64_t{hi} << 32) | lo;
}

core::MachineConfig small_machine() {
  core::MachineConfig c;
  c.ram_bytes = 2u << 20;
  return c;
}

// A flat 32-bit protected-mode machine (no paging) whose SS is set per case.
struct Frame {
  core::Machine m{small_machine()};
  core::Interpreter interp{m};

  Frame() {
    m.set_log_quiet(true);
    set_gdt(1, desc(0, 0xFFFFF, 0x9A, 0xC));
    set_gdt(2, desc(0, 0xFFFFF, 0x92, 0xC));
    set_gdt(3, desc(0, 0xFFFFF, 0xFA, 0xC));
    set_gdt(4, desc(0, 0xFFFFF, 0xF2, 0xC));
    set_gdt(5, desc(kTss, 0x67, 0x8B, 0));
    poke32(kTss + 4, kStackPage + 0x800);
    poke32(kTss + 8, kKData);
    for (unsigned v = 0; v < 256; ++v) {
      // DPL-3 interrupt gates to a HLT at 0x500 + v.
      set_gdt_like(kIdt + v * 8, (uint64_t{(0x500u + v) & 0xFFFF0000u | 0xEE00u} << 32) |
                                     (uint32_t{kKCode} << 16) | ((0x500u + v) & 0xFFFF));
      m.memory().load(0x500 + v, std::vector<uint8_t>{0xF4});
    }
    core::CpuState& st = s();
    st.cr0 |= core::kCr0PE;
    st.gdtr = {kGdt, 16 * 8 - 1};
    st.idtr = {kIdt, 256 * 8 - 1};
    st.tr = {kTssSel, kTss, 0x67, 0x8B};
    load(x86::kCs, kKCode);
    for (unsigned seg : {x86::kSs, x86::kDs, x86::kEs, x86::kFs, x86::kGs}) load(seg, kKData);
    st.eip = kCode;
    for (unsigned r = 0; r < 8; ++r) st.gpr[r] = 0x11111111u * (r + 1);
    for (uint32_t a = kStackPage; a < kStackPage + 0x1000; a += 4) poke32(a, a * 0x9E3779B9u);
    initial = s();
    low.resize(kLowBytes);
    m.memory().peek(0, low);
  }
  // Back to the state the constructor built (a Machine is costly to make).
  void reset() {
    s() = initial;
    m.memory().load(0, low);
    core::Cpu& cpu = m.cpu();
    cpu.fault = {};
    cpu.task_switch_trap = cpu.hold_debug_traps = cpu.suppress_single_step = false;
    cpu.data_breakpoint_hits = 0;
    cpu.flush_tlb();
  }
  static constexpr uint32_t kLowBytes = 0x20000;
  core::CpuState initial;
  std::vector<uint8_t> low;
  core::CpuState& s() { return m.cpu().s; }
  void poke32(uint32_t a, uint32_t v) {
    m.memory().load(a, std::vector<uint8_t>{uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
  }
  uint32_t peek32(uint32_t a) { return m.memory().read(a, 4); }
  void set_gdt_like(uint32_t at, uint64_t d) { poke32(at, uint32_t(d)), poke32(at + 4, uint32_t(d >> 32)); }
  void set_gdt(unsigned i, uint64_t d) { set_gdt_like(kGdt + i * 8, d); }
  void load(unsigned seg, uint16_t sel) {
    const uint32_t lo = peek32(kGdt + (sel & ~7u)), hi = peek32(kGdt + (sel & ~7u) + 4);
    SegmentCache& c = s().seg[seg];
    c.selector = sel;
    c.base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
    c.limit = (lo & 0xFFFF) | (hi & 0xF0000);
    c.attrs = uint16_t((hi >> 8) & 0xF0FF);
    if (c.attrs & 0x8000) c.limit = (c.limit << 12) | 0xFFF;
  }
};

// One case: an instruction run at ESP under an SS of the given limit and
// kind, at CPL 0 or at CPL 3 with alignment checks on.
struct Case {
  std::vector<uint8_t> code;
  uint32_t esp;
  uint32_t limit;
  bool expand_down;
  bool ring3_ac;
  bool outer = false;  // IRETD to ring 3 from ring 0 (frame with ESP and SS)
};

struct Outcome {
  core::StepResult result;
  core::CpuState state;
  std::vector<uint32_t> stack;
};

Outcome run(Frame& f, const Case& k, bool warm) {
  f.reset();
  core::CpuState& s = f.s();
  if (k.ring3_ac) {
    f.load(x86::kCs, kUCode);
    f.load(x86::kDs, kUData);
    s.cpl = 3;
    s.cr0 |= core::kCr0AM;
    s.eflags |= x86::kAC;
  }
  SegmentCache& ss = s.seg[x86::kSs];
  ss.selector = k.ring3_ac ? kUData : kKData;
  ss.limit = k.limit;
  ss.attrs = uint16_t(SegmentCache::kSegPresent | SegmentCache::kSegS | SegmentCache::kSegDefaultBig |
                      (k.expand_down ? 0x7 : 0x3) | (k.ring3_ac ? 3 << 5 : 0));
  s.gpr[x86::kEsp] = k.esp;
  // An IRET frame to the same privilege, or to ring 3 with ESP and SS.
  const uint32_t cs = k.ring3_ac || k.outer ? kUCode : kKCode;
  f.poke32(k.esp, kCode + 0x40);
  f.poke32(k.esp + 4, cs);
  f.poke32(k.esp + 8, 0x00040202u);
  f.poke32(k.esp + 12, 0x7FF0);
  f.poke32(k.esp + 16, kUData);
  f.m.memory().load(kCode, k.code);
  f.m.cpu().flush_tlb();
  if (warm) {
    // Fill the TLB for the stack, GDT and IDT pages as a previous access
    // would, so that the one-copy paths can take their shortcut.
    uint32_t paddr;
    for (uint32_t page : {kStackPage - 0x1000, kStackPage, kStackPage + 0x1000, kGdt, kIdt}) {
      core::Cpu::SupervisorAccess sup(f.m.cpu());
      REQUIRE(f.m.cpu().translate(page, Access::kWrite, paddr));
    }
    for (uint32_t page : {kStackPage - 0x1000, kStackPage, kStackPage + 0x1000})
      REQUIRE(f.m.cpu().translate(page, Access::kWrite, paddr));
  }
  Outcome o{f.interp.step(), f.s(), {}};
  for (uint32_t a = kStackPage - 0x100; a < kStackPage + 0x1100; a += 4) o.stack.push_back(f.peek32(a));
  return o;
}

void require_same(const Outcome& a, const Outcome& b) {
  REQUIRE(a.result == b.result);
  for (unsigned r = 0; r < 8; ++r) REQUIRE(a.state.gpr[r] == b.state.gpr[r]);
  REQUIRE(a.state.eip == b.state.eip);
  REQUIRE(a.state.eflags == b.state.eflags);
  REQUIRE(a.state.cpl == b.state.cpl);
  for (unsigned seg = 0; seg < 6; ++seg) {
    REQUIRE(a.state.seg[seg].selector == b.state.seg[seg].selector);
    REQUIRE(a.state.seg[seg].base == b.state.seg[seg].base);
    REQUIRE(a.state.seg[seg].limit == b.state.seg[seg].limit);
    REQUIRE(a.state.seg[seg].attrs == b.state.seg[seg].attrs);
  }
  REQUIRE(a.stack == b.stack);
}

}  // namespace

TEST_CASE("check_segment_run decides as check_segment on every access of the run", "[stack]") {
  core::Machine m(small_machine());
  core::Cpu& cpu = m.cpu();
  cpu.s.cr0 |= core::kCr0PE;
  std::mt19937 rng(1234);
  const uint32_t kLimits[] = {0, 1, 0xF, 0xFFF, 0x1003, 0xFFFF, 0xFFFFE, 0xFFFFFFFFu};
  unsigned agree_true = 0, agree_false = 0;
  for (unsigned n = 0; n < 200000; ++n) {
    SegmentCache& sc = cpu.s.seg[x86::kSs];
    sc.base = (rng() & 1) ? 0 : rng() & 0xFFFF;
    sc.limit = (rng() & 3) ? kLimits[rng() % 8] : rng();
    const unsigned type = rng() & 0xF;
    sc.attrs = uint16_t(type | SegmentCache::kSegS | ((rng() % 8) ? SegmentCache::kSegPresent : 0) |
                        ((rng() & 1) ? SegmentCache::kSegDefaultBig : 0));
    cpu.s.cpl = uint8_t((rng() & 1) ? 3 : 0);
    cpu.s.cr0 = (rng() & 1) ? (cpu.s.cr0 | core::kCr0AM) : (cpu.s.cr0 & ~core::kCr0AM);
    cpu.s.eflags = (rng() & 1) ? x86::kAC | 2 : 2;
    const uint32_t size = (rng() & 1) ? 4 : 2;
    const uint32_t count = 1 + rng() % 8;
    const uint32_t near = (rng() & 1) ? sc.limit : (rng() & 1) ? 0xFFFFu : 0xFFFFFFFFu;
    const uint32_t offset = (rng() & 3) ? near - 40 + rng() % 80 : rng();
    const Access access = (rng() & 1) ? Access::kRead : Access::kWrite;
    bool each = offset + (count - 1) * size >= offset;  // a wrapping run is refused
    for (uint32_t k = 0; each && k < count; ++k) each = cpu.check_segment(x86::kSs, offset + k * size, size, access);
    const bool run = cpu.check_segment_run(x86::kSs, offset, count, size, access);
    REQUIRE(run == each);
    ++(run ? agree_true : agree_false);
  }
  CHECK(agree_true > 10000);
  CHECK(agree_false > 10000);
}

TEST_CASE("frames copied at once equal the access-by-access path at every SS limit", "[stack]") {
  const std::vector<std::vector<uint8_t>> codes = {
      {0x60},        // PUSHAD
      {0x61},        // POPAD
      {0x66, 0x60},  // PUSHA (16-bit slots)
      {0x66, 0x61},  // POPA
      {0xCF},        // IRETD (to ring 3 when the case says `outer`)
      {0x66, 0xCF},  // IRET (16-bit frame)
      {0xCD, 0x40},  // INT 0x40: the frame through NewStack::commit (from ring 3: the TSS stack)
  };
  Frame f;
  unsigned cases = 0, faults = 0;
  for (const auto& code : codes) {
    for (bool expand_down : {false, true}) {
      for (unsigned mode = 0; mode < 3; ++mode) {  // CPL 0, CPL 3 with #AC checks, IRET to ring 3
        const bool ring3_ac = mode == 1, outer = mode == 2;
        for (uint32_t limit : {kStackPage - 0x40, kStackPage - 1, kStackPage + 0x0C, kStackPage + 0x1F,
                               kStackPage + 0x3FF, 0xFFFFFFFFu}) {
          for (uint32_t esp = kStackPage - 0x30; esp < kStackPage + 0x30; esp += 2) {
            if (expand_down && limit == 0xFFFFFFFFu) continue;
            const Case k{code, esp, limit, expand_down, ring3_ac, outer};
            const Outcome cold = run(f, k, false), warm = run(f, k, true);
            require_same(cold, warm);
            ++cases;
            faults += cold.result != core::StepResult::kRetired;
          }
        }
      }
    }
  }
  // Both outcomes must have been exercised.
  CHECK(faults > cases / 10);
  CHECK(faults < cases - cases / 10);
  // The frame at a page boundary: PUSHAD / POPAD / IRETD straddling it.
  for (const auto& code : codes) {
    for (uint32_t esp = kStackPage - 0x24; esp <= kStackPage + 0x4; esp += 1) {
      for (bool outer : {false, true}) {
        const Case k{code, esp, 0xFFFFFFFFu, false, false, outer};
        require_same(run(f, k, false), run(f, k, true));
      }
    }
  }
}
