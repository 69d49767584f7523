// See lockstep.h.
#include "jit/lockstep.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>


namespace tx86::jit {

namespace {

std::string hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*" PRIx64, digits, v);
  return buf;
}

struct FieldDiff {
  std::string out;
  void check(const std::string& name, uint64_t a, uint64_t b, int digits = 8) {
    if (out.empty() && a != b) out = name + ": jit " + hex(a, digits) + " vs interp " + hex(b, digits);
  }
};

void seg_diff(FieldDiff& d, const std::string& name, const core::SegmentCache& a, const core::SegmentCache& b) {
  d.check(name + ".selector", a.selector, b.selector, 4);
  d.check(name + ".base", a.base, b.base);
  d.check(name + ".limit", a.limit, b.limit);
  d.check(name + ".attrs", a.attrs, b.attrs, 4);
}

bool port_io(const x86::Insn& i) {
  using M = x86::Mnemonic;
  return i.mnemonic == M::kIn || i.mnemonic == M::kOut || i.mnemonic == M::kIns || i.mnemonic == M::kOuts;
}

// Whether the A20 gate is open.
bool a20_open(core::Cpu& cpu) { return cpu.a20(); }

}  // namespace

std::string first_difference(const core::CpuState& a, const core::CpuState& b) {
  static const char* const kGpr[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  static const char* const kSeg[] = {"es", "cs", "ss", "ds", "fs", "gs"};
  FieldDiff d;
  d.check("eip", a.eip, b.eip);
  for (int r = 0; r < 8; ++r) d.check(kGpr[r], a.gpr[r], b.gpr[r]);
  d.check("eflags", a.eflags, b.eflags);
  for (int r = 0; r < 6; ++r) seg_diff(d, kSeg[r], a.seg[r], b.seg[r]);
  d.check("cr0", a.cr0, b.cr0);
  d.check("cr2", a.cr2, b.cr2);
  d.check("cr3", a.cr3, b.cr3);
  d.check("cr4", a.cr4, b.cr4);
  for (int r = 0; r < 8; ++r) d.check("dr" + std::to_string(r), a.dr[r], b.dr[r]);
  d.check("gdtr.base", a.gdtr.base, b.gdtr.base);
  d.check("gdtr.limit", a.gdtr.limit, b.gdtr.limit, 4);
  d.check("idtr.base", a.idtr.base, b.idtr.base);
  d.check("idtr.limit", a.idtr.limit, b.idtr.limit, 4);
  seg_diff(d, "ldtr", a.ldtr, b.ldtr);
  seg_diff(d, "tr", a.tr, b.tr);
  d.check("cpl", a.cpl, b.cpl, 1);
  d.check("halted", a.halted, b.halted, 1);
  d.check("interrupt_shadow", a.interrupt_shadow, b.interrupt_shadow, 1);
  d.check("held_debug_traps", a.held_debug_traps, b.held_debug_traps);
  d.check("tsc_offset", a.tsc_offset, b.tsc_offset, 16);
  d.check("sysenter_cs", a.sysenter_cs, b.sysenter_cs);
  d.check("sysenter_esp", a.sysenter_esp, b.sysenter_esp);
  d.check("sysenter_eip", a.sysenter_eip, b.sysenter_eip);
  for (int k = 0; k < 2; ++k) {
    d.check("perfevtsel" + std::to_string(k), a.perfevtsel[k], b.perfevtsel[k]);
    d.check("perfctr" + std::to_string(k), a.perfctr[k], b.perfctr[k], 10);
  }
  d.check("pmc_clock", a.pmc_clock, b.pmc_clock, 16);
  d.check("pmc_cpl", a.pmc_cpl, b.pmc_cpl, 1);
  return d.out;
}

// Records the byte ranges written to a machine's RAM (every page is marked
// as holding code, so every store is reported).
class Lockstep::Recorder : public core::CodeWriteListener {
 public:
  explicit Recorder(core::PhysicalMemory& mem) : mem_(mem) {
    const uint32_t pages = static_cast<uint32_t>(mem.ram_size() >> core::kPageShift);
    for (uint32_t p = 0; p < pages; ++p)
      if (mem.page_writable(p)) mem.set_page_has_code(p, true);
    mem.add_code_listener(this);
  }
  ~Recorder() override { mem_.remove_code_listener(this); }
  void code_written(uint32_t paddr, unsigned size) override { ranges.emplace_back(paddr, size); }
  std::vector<std::pair<uint32_t, unsigned>> ranges;

 private:
  core::PhysicalMemory& mem_;
};

Lockstep::Lockstep(core::Machine& primary) : primary_(primary) {
  core::MachineConfig config = primary.config();
  ref_ = std::make_unique<core::Machine>(config);
  core::PhysicalMemory& pm = primary.memory();
  // The firmware: 64, 128 or 256 KiB of ROM ending at 1 MiB.
  size_t rom = 0;
  for (size_t size : {size_t{256} << 10, size_t{128} << 10, size_t{64} << 10}) {
    const uint32_t first = static_cast<uint32_t>((1u << 20) - size) >> core::kPageShift;
    if (pm.host_page(first) != nullptr && !pm.page_writable(first)) {
      rom = size;
      break;
    }
  }
  if (rom != 0) {
    std::vector<uint8_t> image(rom);
    pm.peek(static_cast<uint32_t>((1u << 20) - rom), image);
    ref_->load_firmware(image);
  }
  // RAM a device or test mapped into the legacy hole.
  for (uint32_t p = 0xA0000 >> core::kPageShift; p < (0x100000 >> core::kPageShift); ++p)
    if (pm.page_writable(p) && !ref_->memory().page_writable(p)) ref_->memory().map_ram(p << core::kPageShift, core::kPageSize);
  std::memcpy(ref_->memory().ram(), pm.ram(), pm.ram_size());
  ref_->set_log_quiet(true);
  ref_interp_ = std::make_unique<core::Interpreter>(*ref_);
  primary_writes_ = std::make_unique<Recorder>(pm);
  ref_writes_ = std::make_unique<Recorder>(ref_->memory());
}

Lockstep::~Lockstep() = default;

void Lockstep::copy_ranges_to_reference() {
  std::vector<uint8_t> buf;
  for (const auto& [addr, size] : primary_writes_->ranges) {
    buf.resize(size);
    primary_.memory().peek(addr, buf);
    ref_->memory().load(addr, buf);
  }
  primary_writes_->ranges.clear();
  ref_writes_->ranges.clear();
}

void Lockstep::before_block() {
  copy_ranges_to_reference();
  start_ = primary_.cpu().s;
  ref_->cpu().s = start_;
  // The same virtual time, so that RDTSC and the performance counters (both
  // read the clock) give the same values on both sides.
  *ref_->clock().retired_counter() = primary_.clock().retired();
  ref_->cpu().set_a20(a20_open(primary_.cpu()));
  ref_->cpu().flush_tlb();
}

bool Lockstep::after_block(const Block& block, uint64_t retired, bool faulted, bool shutdown) {
  bool io = false;
  for (size_t k = 0; k < block.count; ++k) io |= port_io(block.insns[k].insn);
  if (io) {
    ++skipped_;
    return true;
  }
  ++checked_;
  auto describe = [&] {
    return "lockstep: block at linear " + hex(block.linear, 8) + " (paddr " + hex(block.key.paddr, 8) + ", eip " +
           hex(block.key.eip, 8) + ", mode " + hex(block.key.mode, 3) + ", " + std::to_string(block.count) +
           " instructions; " + std::to_string(retired) + " retired" + (faulted ? ", then a fault" : "") + "): ";
  };
  for (uint64_t k = 0; k < retired; ++k) {
    const core::StepResult r = ref_interp_->step();
    if (r != core::StepResult::kRetired) {
      report_ = describe() + "the interpreter did not retire instruction " + std::to_string(k) + " at eip " +
                hex(ref_->cpu().s.eip, 8);
      return false;
    }
  }
  if (faulted) {
    const core::StepResult r = ref_interp_->step();
    const bool ok = shutdown ? r == core::StepResult::kShutdown : r == core::StepResult::kException;
    if (!ok) {
      report_ = describe() + "the interpreter did not fault where the JIT did (eip " + hex(ref_->cpu().s.eip, 8) + ")";
      return false;
    }
  }
  const std::string diff = first_difference(primary_.cpu().s, ref_->cpu().s);
  if (!diff.empty()) {
    report_ = describe() + diff;
    return false;
  }
  // Every byte either side wrote.
  std::vector<std::pair<uint32_t, unsigned>> ranges = primary_writes_->ranges;
  ranges.insert(ranges.end(), ref_writes_->ranges.begin(), ref_writes_->ranges.end());
  std::vector<uint8_t> a, b;
  for (const auto& [addr, size] : ranges) {
    a.resize(size);
    b.resize(size);
    primary_.memory().peek(addr, a);
    ref_->memory().peek(addr, b);
    for (unsigned k = 0; k < size; ++k)
      if (a[k] != b[k]) {
        report_ = describe() + "memory byte " + hex(addr + k, 8) + ": jit " + hex(a[k], 2) + " vs interp " + hex(b[k], 2);
        return false;
      }
  }
  return true;
}

}  // namespace tx86::jit
