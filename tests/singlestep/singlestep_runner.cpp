#include "tests/singlestep/singlestep_runner.h"

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <exception>
#include <unordered_map>

namespace tx86::singlestep {

using core::CpuState;
using x86::CpuModel;

namespace {

// FLAGS bits a real-mode 286 can hold; the README: "Load flags & 0x0FFF".
constexpr uint32_t kFlags286Loadable = 0x0FFF;
// EFLAGS bits of a real-mode 386 test that are loaded and compared: the
// architectural flags 0..14 (SDM Vol. 1, 3.4.3) without reserved bits 3, 5
// and 15. The upper word of the captured EFLAGS is whatever the SMM dump of
// the 386EX held (README of the 80386 suite), and RF/VM are not test state.
constexpr uint32_t kEflags386Compared = 0x7FD7;

std::string hex(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

// MOO 16-bit register order -> general register numbers.
constexpr x86::Gpr kGpr16[] = {x86::kEax, x86::kEbx, x86::kEcx, x86::kEdx};
constexpr x86::Sreg kSeg16[] = {x86::kCs, x86::kSs, x86::kDs, x86::kEs};
constexpr x86::Gpr kGpr16Hi[] = {x86::kEsp, x86::kEbp, x86::kEsi, x86::kEdi};

uint32_t get16(const CpuState& s, unsigned r) {
  if (r <= kMooDx) return s.gpr[kGpr16[r]] & 0xFFFF;
  if (r <= kMooEs) return s.seg[kSeg16[r - kMooCs]].selector;
  if (r <= kMooDi) return s.gpr[kGpr16Hi[r - kMooSp]] & 0xFFFF;
  if (r == kMooIp) return s.eip & 0xFFFF;
  return s.eflags & 0xFFFF;
}

// MOO 32-bit register order.
constexpr x86::Gpr kGpr32[] = {x86::kEax, x86::kEbx, x86::kEcx, x86::kEdx,
                               x86::kEsi, x86::kEdi, x86::kEbp, x86::kEsp};
constexpr x86::Sreg kSeg32[] = {x86::kCs, x86::kDs, x86::kEs, x86::kFs, x86::kGs, x86::kSs};

uint32_t get32(const CpuState& s, unsigned r) {
  switch (r) {
    case kMooCr0: return s.cr0;
    case kMooCr3: return s.cr3;
    case kMooEip: return s.eip;
    case kMooEflags: return s.eflags;
    case kMooDr6: return s.dr[6];
    case kMooDr7: return s.dr[7];
    default: break;
  }
  if (r >= kMooEax && r <= kMooEsp) return s.gpr[kGpr32[r - kMooEax]];
  return s.seg[kSeg32[r - kMooCs32]].selector;
}

bool is_segment32(unsigned r) { return r >= kMooCs32 && r <= kMooSs32; }

void set_segment(CpuState& s, unsigned seg, uint16_t selector) {
  s.seg[seg].selector = selector;
  s.seg[seg].base = uint32_t{selector} << 4;
  s.seg[seg].limit = 0xFFFF;
}

}  // namespace

std::string flags_letters(uint32_t flags) {
  static constexpr struct {
    uint32_t bit;
    char c;
  } kLetters[] = {{x86::kOF, 'o'}, {x86::kDF, 'd'}, {x86::kIF, 'i'}, {x86::kTF, 't'}, {x86::kSF, 's'},
                  {x86::kZF, 'z'}, {x86::kAF, 'a'}, {x86::kPF, 'p'}, {x86::kCF, 'c'}};
  std::string out;
  for (const auto& l : kLetters) out += (flags & l.bit) ? static_cast<char>(l.c - 'a' + 'A') : l.c;
  if (flags & 0xF000) out += " iopl" + std::to_string((flags >> 12) & 3) + ((flags & x86::kNT) ? " NT" : "");
  return out;
}

std::string differing_flags(uint32_t diff) {
  std::string letters = flags_letters(diff & 0x0FFF);
  std::string out;
  for (char c : letters)
    if (c >= 'A' && c <= 'Z') out += c;
  if (diff & 0xF000) out += out.empty() ? "bits 12-15" : " bits 12-15";
  return out;
}

// Records what the interpreter did, for the failure detail and the
// exception comparison.
class FileRunner::Recorder : public core::TraceSink {
 public:
  struct Event {
    enum Kind : uint8_t { kInsn, kException, kInterrupt } kind;
    uint16_t cs;
    uint32_t eip;
    x86::Mnemonic mnemonic;
    uint8_t length;
    uint8_t vector;
  };
  static constexpr size_t kMaxEvents = 24;

  void clear() {
    events.clear();
    dropped = 0;
  }
  void on_instruction(const CpuState& before, const x86::Insn& insn, const uint8_t*, const CpuState&) override {
    rep_string = insn.has(x86::kAttrStringOp) && (insn.prefixes & (x86::kPrefixRep | x86::kPrefixRepne)) != 0;
    add(Event{Event::kInsn, before.seg[x86::kCs].selector, before.eip, insn.mnemonic, insn.length, 0});
  }
  void on_exception(const CpuState& at, uint8_t vector, bool, uint32_t) override {
    add(Event{Event::kException, at.seg[x86::kCs].selector, at.eip, x86::Mnemonic::kInvalid, 0, vector});
  }
  void on_interrupt(const CpuState& at, uint8_t vector) override {
    add(Event{Event::kInterrupt, at.seg[x86::kCs].selector, at.eip, x86::Mnemonic::kInvalid, 0, vector});
  }

  std::optional<uint8_t> first_exception() const {
    for (const Event& e : events)
      if (e.kind == Event::kException) return e.vector;
    return std::nullopt;
  }

  std::string describe() const {
    std::string out;
    for (const Event& e : events) {
      if (!out.empty()) out += " -> ";
      char buf[96];
      if (e.kind == Event::kInsn) {
        std::snprintf(buf, sizeof buf, "%04x:%04x %.*s(%u)", e.cs, e.eip,
                      static_cast<int>(x86::mnemonic_name(e.mnemonic).size()), x86::mnemonic_name(e.mnemonic).data(),
                      e.length);
      } else {
        std::snprintf(buf, sizeof buf, "%s %u at %04x:%04x", e.kind == Event::kException ? "exception" : "interrupt",
                      e.vector, e.cs, e.eip);
      }
      out += buf;
    }
    if (dropped) out += " -> ... (" + std::to_string(dropped) + " more)";
    return out.empty() ? "(nothing executed)" : out;
  }

  std::vector<Event> events;
  uint64_t dropped = 0;
  bool rep_string = false;  // the last instruction was a REP string operation

 private:
  void add(const Event& e) {
    if (events.size() < kMaxEvents) events.push_back(e);
    else ++dropped;
  }
};

// Where the FLAGS word of an exception or interrupt frame is. The frame is
// at the expected final SS:SP (IP, CS, FLAGS; the handler is a HLT), so FLAGS
// is at SS:SP+4 and SS:SP+5 (offsets wrap in the segment). The EXCP chunk's
// flags_addr is that address, except that for an odd SP it is one less (the
// even bus address: 739 of the 7,595 EXCP tests of the 80286 set); it is
// used as is only if the frame does not confirm it.
struct PushedFlags {
  uint32_t low, high;
};
PushedFlags pushed_flags(const MooTest& t) {
  const uint32_t fa = t.exception->flags_address;
  uint32_t ss = 0, sp = 0;
  if (t.init.regs32) {
    auto expected = [&](unsigned r) {
      return t.fina.regs32 && t.fina.regs32->has(r) ? t.fina.regs32->value[r] : t.init.regs32->value[r];
    };
    ss = expected(kMooSs32) & 0xFFFF;
    sp = expected(kMooEsp) & 0xFFFF;
  } else {
    auto expected = [&](unsigned r) {
      return t.fina.regs && t.fina.regs->has(r) ? t.fina.regs->value[r] : t.init.regs->value[r];
    };
    ss = expected(kMooSs);
    sp = expected(kMooSp);
  }
  const uint32_t low = (ss << 4) + ((sp + 4) & 0xFFFF);
  const uint32_t high = (ss << 4) + ((sp + 5) & 0xFFFF);
  if (low == fa || low == fa + 1) return {low, high};
  return {fa, fa + 1};
}

FileRunner::FileRunner(CpuModel model)
    : model_(model),
      machine_(std::make_unique<core::Machine>(core::MachineConfig{.ram_bytes = kRamBytes, .model = model})),
      recorder_(std::make_unique<Recorder>()) {
  // The tests assume flat RAM: fill the PC's legacy hole at A0000..FFFFF.
  machine_->memory().map_ram(0xA0000, 0x60000);
  machine_->set_log_quiet(true);
  interp_ = std::make_unique<core::Interpreter>(*machine_);
  interp_->set_trace(recorder_.get());
}

FileRunner::~FileRunner() = default;

void FileRunner::begin_file() {
  touched_.clear();
  zero_range(0, kRamBytes);
}

void FileRunner::zero_range(uint64_t lo, uint64_t hi) {
  // Zero in host memory, then tell the code caches about every page (a
  // one-byte load() notifies the listeners of a page that holds code).
  static constexpr uint8_t kZero = 0;
  core::PhysicalMemory& mem = machine_->memory();
  std::memset(mem.ram() + lo, 0, hi - lo);
  for (uint64_t page = lo & ~uint64_t{core::kPageMask}; page < hi; page += core::kPageSize)
    if (mem.page_has_code(static_cast<uint32_t>(page >> core::kPageShift)))
      mem.load(static_cast<uint32_t>(page), std::span<const uint8_t>(&kZero, 1));
}

void FileRunner::clear_previous() {
  // Byte stores through write() tell the decode cache about exactly the
  // byte (load() reports the whole page, which costs a page-wide
  // invalidation per byte).
  for (uint32_t a : touched_) machine_->memory().write(a, 0, 1);
  touched_.clear();
}

void FileRunner::clear_windows_of(const MooTest& test) {
  // A failing CPU may have written anywhere a segment reaches: zero the
  // 64 KiB (+16 bytes of wrap) windows of the initial and final segments and
  // the interrupt vector table.
  std::vector<uint32_t> bases{0};
  const CpuState& s = machine_->cpu().s;
  for (const auto& seg : s.seg) bases.push_back(seg.base);
  if (test.init.regs)
    for (unsigned r = kMooCs; r <= kMooEs; ++r) bases.push_back(uint32_t{test.init.regs->value[r]} << 4);
  if (test.init.regs32)
    for (unsigned r = kMooCs32; r <= kMooSs32; ++r) bases.push_back((test.init.regs32->value[r] & 0xFFFF) << 4);
  std::sort(bases.begin(), bases.end());
  // Merge overlapping windows and zero them.
  constexpr uint32_t kWindow = 0x10010;
  uint64_t lo = 0, hi = 0;
  auto flush = [&] {
    if (hi > lo) zero_range(lo, hi);
  };
  for (uint32_t b : bases) {
    if (b >= kRamBytes) continue;
    uint64_t end = std::min<uint64_t>(uint64_t{b} + kWindow, kRamBytes);
    if (b <= hi && hi > lo) {
      hi = std::max(hi, end);
    } else {
      flush();
      lo = b;
      hi = end;
    }
  }
  flush();
}

void FileRunner::load_state(const MooTest& test) {
  core::Cpu& cpu = machine_->cpu();
  cpu.reset();
  cpu.set_a20(true);
  CpuState& s = cpu.s;
  if (test.init.regs32) {
    const MooRegs32& r = *test.init.regs32;
    for (unsigned i = kMooEax; i <= kMooEsp; ++i) s.gpr[kGpr32[i - kMooEax]] = r.value[i];
    for (unsigned i = kMooCs32; i <= kMooSs32; ++i)
      set_segment(s, kSeg32[i - kMooCs32], static_cast<uint16_t>(r.value[i]));
    s.eip = r.value[kMooEip];
    s.eflags = (r.value[kMooEflags] & kEflags386Compared) | 0x2;
    s.cr0 = r.value[kMooCr0];
    s.cr3 = r.value[kMooCr3];
    s.dr[6] = r.value[kMooDr6];
    s.dr[7] = r.value[kMooDr7];
  } else {
    const MooRegs16& r = *test.init.regs;
    for (unsigned i = kMooAx; i <= kMooDx; ++i) s.gpr[kGpr16[i]] = r.value[i];
    for (unsigned i = kMooSp; i <= kMooDi; ++i) s.gpr[kGpr16Hi[i - kMooSp]] = r.value[i];
    for (unsigned i = kMooCs; i <= kMooEs; ++i) set_segment(s, kSeg16[i - kMooCs], r.value[i]);
    s.eip = r.value[kMooIp];
    s.eflags = (r.value[kMooFlags] & kFlags286Loadable) | 0x2;
  }
  s.halted = false;
  s.interrupt_shadow = false;
}

TestOutcome FileRunner::run(const MooTest& test, const FileContext& ctx, bool want_detail) {
  TestOutcome out;
  std::string& d = out.detail;
  auto fail = [&](const std::string& reason, const std::string& line) {
    if (std::find(out.reasons.begin(), out.reasons.end(), reason) == out.reasons.end())
      out.reasons.push_back(reason);
    if (want_detail && !line.empty()) d += "    " + line + "\n";
  };

  // --- memory -------------------------------------------------------------
  clear_previous();
  core::PhysicalMemory& mem = machine_->memory();
  for (const MooRamEntry& e : test.init.ram) {
    if (e.address >= kRamBytes) {
      out.reasons.push_back("unsupported");
      if (want_detail) d += "    INIT RAM address " + hex(e.address, 6) + " is beyond the 16 MiB the runner maps\n";
      return out;
    }
    mem.write(e.address, e.value, 1);
    touched_.push_back(e.address);
  }
  for (const MooRamEntry& e : test.fina.ram)
    if (e.address < kRamBytes) touched_.push_back(e.address);

  if (test.init.regs32 && (test.init.regs32->value[kMooCr0] & (core::kCr0PE | core::kCr0PG))) {
    out.reasons.push_back("unsupported");
    if (want_detail) d += "    INIT CR0 has PE or PG set: only real-mode tests are supported\n";
    return out;
  }
  load_state(test);
  const CpuState init_state = machine_->cpu().s;

  // --- run ----------------------------------------------------------------
  recorder_->clear();
  size_t logged_before = machine_->logged().size();
  core::Cpu& cpu = machine_->cpu();
  // Every step counts towards kMaxInstructions except the iterations of a
  // REP string instruction, which may legitimately take up to CX steps.
  unsigned counted = 0;
  uint64_t steps = 0;
  std::string run_problem;
  bool shutdown = false;
  try {
    while (!cpu.s.halted) {
      if (steps >= kMaxSteps) {
        run_problem = "did not reach HLT within " + std::to_string(kMaxSteps) + " steps";
        break;
      }
      if (counted >= kMaxInstructions) {
        run_problem = "did not reach HLT within " + std::to_string(kMaxInstructions) +
                      " instructions or exceptions (a test needs the instruction, its exception if any, and the HLT)";
        break;
      }
      ++steps;
      recorder_->rep_string = false;
      core::StepResult r = interp_->step();
      if (!(r == core::StepResult::kRetired && recorder_->rep_string)) ++counted;
      if (r == core::StepResult::kShutdown) {
        shutdown = true;
        break;
      }
      if (r == core::StepResult::kHalted) break;
    }
  } catch (const std::exception& e) {
    run_problem = std::string("the interpreter threw a host exception: ") + e.what();
  }
  if (shutdown) fail("shutdown", "run: the CPU shut down (triple fault)");
  if (!run_problem.empty()) fail(run_problem.starts_with("the interp") ? "host-exception" : "no-halt",
                                 "run: " + run_problem);
  const CpuState& s = cpu.s;

  // --- registers ----------------------------------------------------------
  if (test.init.regs32) {
    const MooRegs32& init = *test.init.regs32;
    const MooRegs32* fina = test.fina.regs32 ? &*test.fina.regs32 : nullptr;
    const MooRegs32* fmask = test.fina.masks32 ? &*test.fina.masks32 : nullptr;
    const MooRegs32* file_mask = ctx.masks32 ? &*ctx.masks32 : nullptr;
    for (unsigned r = 0; r < kMooReg32Count; ++r) {
      uint32_t expected = fina && fina->has(r) ? fina->value[r] : init.value[r];
      uint32_t mask = fmask && fmask->has(r) ? fmask->value[r]
                      : file_mask && file_mask->has(r) ? file_mask->value[r]
                                                        : 0xFFFFFFFFu;
      if (is_segment32(r)) mask &= 0xFFFF;
      if (r == kMooEflags) mask &= kEflags386Compared & ctx.flags_mask.value_or(0xFFFFFFFFu);
      uint32_t got = get32(s, r);
      if ((expected & mask) == (got & mask)) continue;
      std::string line = std::string(moo_reg32_name(r)) + ": expected " + hex(expected & mask, 8) + ", got " +
                         hex(got & mask, 8);
      if (mask != 0xFFFFFFFFu) line += " (compared under mask " + hex(mask, 8) + ")";
      if (r == kMooEflags)
        line += "  expected [" + flags_letters(expected & mask) + "] got [" + flags_letters(got & mask) +
                "] differ: " + differing_flags((expected ^ got) & mask);
      if (!(fina && fina->has(r))) line += "  (unchanged from INIT)";
      fail(moo_reg32_name(r), line);
    }
  } else {
    const MooRegs16& init = *test.init.regs;
    const MooRegs16* fina = test.fina.regs ? &*test.fina.regs : nullptr;
    const MooRegs16* fmask = test.fina.masks ? &*test.fina.masks : nullptr;
    const MooRegs16* file_mask = ctx.masks16 ? &*ctx.masks16 : nullptr;
    for (unsigned r = 0; r < kMooReg16Count; ++r) {
      uint32_t expected = fina && fina->has(r) ? fina->value[r] : init.value[r];
      uint32_t mask = fmask && fmask->has(r) ? fmask->value[r]
                      : file_mask && file_mask->has(r) ? file_mask->value[r]
                                                        : 0xFFFFu;
      if (r == kMooFlags) mask &= ctx.flags_mask.value_or(0xFFFFu);
      uint32_t got = get16(s, r);
      if ((expected & mask) == (got & mask)) continue;
      std::string line = std::string(moo_reg16_name(r)) + ": expected " + hex(expected & mask, 4) + ", got " +
                         hex(got & mask, 4);
      if (r == kMooFlags) {
        uint32_t diff = (expected ^ got) & mask;
        line += "  expected [" + flags_letters(expected & mask) + "] got [" + flags_letters(got & mask) +
                "] differ: " + differing_flags(diff);
        if (mask != 0xFFFFu) line += " (undefined flags masked: " + hex(mask, 4) + ")";
      } else if (mask != 0xFFFFu) {
        line += " (RMSK mask " + hex(mask, 4) + ")";
      }
      if (!(fina && fina->has(r))) line += "  (unchanged from INIT)";
      fail(moo_reg16_name(r), line);
    }
    // A 286 has no 32-bit registers: their upper halves must stay zero.
    for (unsigned g = 0; g < 8; ++g)
      if (s.gpr[g] >> 16)
        fail("reg32-high", "general register " + std::to_string(g) + " has bits 31..16 = " +
                               hex(s.gpr[g] >> 16, 4) + " (a 286 has 16-bit registers)");
    if (s.eip >> 16) fail("ip", "EIP bits 31..16 = " + hex(s.eip >> 16, 4) + " (a 286 has a 16-bit IP)");
  }
  // Real mode: every segment base must follow its selector.
  for (unsigned i = 0; i < 6; ++i) {
    static constexpr const char* kNames[] = {"es", "cs", "ss", "ds", "fs", "gs"};
    if (s.seg[i].base != uint32_t{s.seg[i].selector} << 4)
      fail(std::string(kNames[i]) + ".base", std::string(kNames[i]) + ".base = " + hex(s.seg[i].base, 6) +
                                                 " but selector " + hex(s.seg[i].selector, 4) +
                                                 " gives " + hex(uint32_t{s.seg[i].selector} << 4, 6) +
                                                 " in real mode");
  }

  // --- memory ---------------------------------------------------------------
  // The FLAGS word an exception pushed is compared under the flag mask.
  uint32_t flags_mask = ctx.flags_mask.value_or(0xFFFFu);
  std::optional<PushedFlags> pushed;
  if (test.exception) pushed = pushed_flags(test);
  auto byte_mask = [&](uint32_t addr) -> uint8_t {
    if (!pushed) return 0xFF;
    if (addr == pushed->low) return static_cast<uint8_t>(flags_mask);
    if (addr == pushed->high) return static_cast<uint8_t>(flags_mask >> 8);
    return 0xFF;
  };
  std::unordered_map<uint32_t, uint8_t> fina_bytes;
  for (const MooRamEntry& e : test.fina.ram) fina_bytes[e.address] = e.value;
  unsigned mem_diffs = 0;
  constexpr unsigned kMaxMemLines = 12;
  auto check_byte = [&](uint32_t addr, uint8_t expected, const char* what) {
    uint8_t got = 0xFF;
    mem.peek(addr, std::span<uint8_t>(&got, 1));
    uint8_t m = byte_mask(addr);
    if ((got & m) == (expected & m)) return;
    ++mem_diffs;
    if (mem_diffs <= kMaxMemLines) {
      std::string line = std::string("mem[") + hex(addr, 6) + "]: expected " + hex(expected & m, 2) + ", got " +
                         hex(got & m, 2) + what;
      if (m != 0xFF) line += " (pushed FLAGS byte, mask " + hex(m, 2) + ")";
      fail(std::string(what).empty() ? "mem" : "mem-unchanged", line);
    } else {
      fail(std::string(what).empty() ? "mem" : "mem-unchanged", "");
    }
  };
  for (const MooRamEntry& e : test.fina.ram)
    if (e.address < kRamBytes) check_byte(e.address, e.value, "");
  // FINA lists every byte that was written with a new value, so an INIT byte
  // absent from FINA still holds its INIT value on the hardware.
  for (const MooRamEntry& e : test.init.ram)
    if (!fina_bytes.contains(e.address)) check_byte(e.address, e.value, " (INIT value; not in FINA, so unchanged)");
  if (want_detail && mem_diffs > kMaxMemLines)
    d += "    ... and " + std::to_string(mem_diffs - kMaxMemLines) + " more differing bytes\n";

  out.passed = out.reasons.empty();
  if (!out.passed) clear_windows_of(test);

  if (!out.passed && want_detail) {
    // Context for whoever debugs the failure.
    std::string ctx_lines;
    const bool wide = test.init.regs32.has_value();
    auto reg_line = [&](const CpuState& st) {
      char buf[320];
      if (wide) {
        std::snprintf(buf, sizeof buf,
                      "eax=%08x ebx=%08x ecx=%08x edx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x cs=%04x ss=%04x "
                      "ds=%04x es=%04x fs=%04x gs=%04x eip=%08x eflags=%08x [%s]",
                      st.gpr[x86::kEax], st.gpr[x86::kEbx], st.gpr[x86::kEcx], st.gpr[x86::kEdx],
                      st.gpr[x86::kEsp], st.gpr[x86::kEbp], st.gpr[x86::kEsi], st.gpr[x86::kEdi],
                      st.seg[x86::kCs].selector, st.seg[x86::kSs].selector, st.seg[x86::kDs].selector,
                      st.seg[x86::kEs].selector, st.seg[x86::kFs].selector, st.seg[x86::kGs].selector, st.eip,
                      st.eflags, flags_letters(st.eflags).c_str());
        return std::string(buf);
      }
      std::snprintf(buf, sizeof buf,
                    "ax=%04x bx=%04x cx=%04x dx=%04x sp=%04x bp=%04x si=%04x di=%04x cs=%04x ss=%04x ds=%04x "
                    "es=%04x ip=%04x flags=%04x [%s]",
                    st.gpr[x86::kEax] & 0xFFFF, st.gpr[x86::kEbx] & 0xFFFF, st.gpr[x86::kEcx] & 0xFFFF,
                    st.gpr[x86::kEdx] & 0xFFFF, st.gpr[x86::kEsp] & 0xFFFF, st.gpr[x86::kEbp] & 0xFFFF,
                    st.gpr[x86::kEsi] & 0xFFFF, st.gpr[x86::kEdi] & 0xFFFF, st.seg[x86::kCs].selector,
                    st.seg[x86::kSs].selector, st.seg[x86::kDs].selector, st.seg[x86::kEs].selector,
                    st.eip & 0xFFFF, st.eflags & 0xFFFF, flags_letters(st.eflags).c_str());
      return std::string(buf);
    };
    ctx_lines += "    init:  " + reg_line(init_state) + "\n";
    ctx_lines += "    tx86:  " + reg_line(s) + "\n";
    std::optional<uint8_t> got_exc = recorder_->first_exception();
    if (test.exception || got_exc) {
      std::string line = "    excp:  hardware ";
      if (test.exception) {
        line += "INT " + std::to_string(test.exception->vector) + " (FLAGS pushed at " + hex(pushed->low, 6);
        if (pushed->low != test.exception->flags_address)
          line += "; EXCP says " + hex(test.exception->flags_address, 6) + ", rounded down for an odd SP";
        line += ")";
      } else {
        line += "none";
      }
      line += "; tx86 raised ";
      line += got_exc ? "exception " + std::to_string(*got_exc) : std::string("no exception");
      if (test.exception && !got_exc) line += " (INT n, INT3, INTO: see the trace)";
      ctx_lines += line + "\n";
    }
    ctx_lines += "    trace: " + recorder_->describe() + "\n";
    const auto& logged = machine_->logged();
    for (size_t i = logged_before; i < logged.size(); ++i) ctx_lines += "    log:   " + logged[i] + "\n";
    d = ctx_lines + d;
  }
  return out;
}

}  // namespace tx86::singlestep
