// jit-golden: the host code of a few small real-mode blocks (an ALU block,
// memory MOV/ALU/MOVZX, PUSH/POP, shift/IMUL/SETcc/CMOVcc) as --jit-dump
// lists it, compared with the listings checked in under tests/jit/golden/
// (issue #4, tests 6c). Any change in the emitted code shows up as a diff;
// if the change is intended, regenerate the files and review the diff:
//
//   build/tests/jit/jit-golden --update tests/jit/golden
//
// Host addresses that differ from run to run (pointers loaded into 64-bit
// registers: the CpuState, the clock, the BlockInsn records, helper
// functions) are shown as <imm64>; branch targets inside the block as
// +offset; the TLB's offsets from the CpuState (which depend on the layout
// of class Cpu) as <tlb.generation>, <tlb.read_tag>, <tlb.write_tag>,
// <tlb.addend>; the JitContext's TLB hint slots (whose offset depends on
// the layout of JitContext) as <tlb_hints[N]>; the clock's counter, which a
// block with a loop addresses from the CpuState (its offset depends on the
// layout of class Machine), as <clock.retired>.
//
// Usage: jit-golden --check DIR | --update DIR. Exit: 0 equal (or updated),
// 1 a difference (printed as a line diff), 2 usage or I/O error.
#include <asmjit/x86.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/machine.h"
#include "frontend-x86/disasm.h"
#include "jit/block_builder.h"
#include "jit/jit_context.h"
#include "jit/jit_dump.h"

using namespace tx86;

namespace {

struct Case {
  const char* name;
  std::vector<uint8_t> code;  // tests/jit/golden/README.md has the source
  bool flat32 = false;        // 32-bit protected mode, flat segments (else real mode)
};

const Case kCases[] = {
    // mov ax,bx ; add ax,5 ; sub cx,ax ; xor dx,dx ; cmp ax,cx ; hlt
    {"alu", {0x89, 0xd8, 0x83, 0xc0, 0x05, 0x29, 0xc1, 0x31, 0xd2, 0x39, 0xc8, 0xf4}},
    // mov ax,[bx+si+4] ; mov [di],ax ; add [bx],cx ; movzx edx,byte [es:di+1] ; hlt
    {"memory", {0x8b, 0x40, 0x04, 0x89, 0x05, 0x01, 0x0f, 0x26, 0x66, 0x0f, 0xb6, 0x55, 0x01, 0xf4}},
    // push ax ; push 12h ; pop bx ; pop cx ; hlt
    {"stack", {0x50, 0x6a, 0x12, 0x5b, 0x59, 0xf4}},
    // shl ax,3 ; imul bx,ax,7 ; sete cl ; cmovne dx,ax ; hlt
    {"shift_imul_cond", {0xc1, 0xe0, 0x03, 0x6b, 0xd8, 0x07, 0x0f, 0x94, 0xc1, 0x0f, 0x45, 0xd0, 0xf4}},
    // 32-bit, flat segments: mov eax,[ebx+4] ; add [esi],eax ; push eax ; pop ecx ; hlt
    {"flat32", {0x8b, 0x43, 0x04, 0x01, 0x06, 0x50, 0x59, 0xf4}, true},
    // 32-bit, flat segments, a loop: top: mov byte [edx+1000h],1 ; add edx,1 ; cmp eax,edx ; jne top ; hlt
    {"loop32", {0xc6, 0x82, 0x00, 0x10, 0x00, 0x00, 0x01, 0x83, 0xc2, 0x01, 0x39, 0xd0, 0x75, 0xf2, 0xf4}, true},
};

// Protected mode at CPL 0 with flat 4 GiB segments, as a 32-bit kernel
// sets them up (the segment classes of jit/block.h are then kFlat).
void enter_flat32(core::CpuState& s) {
  using core::SegmentCache;
  s.cr0 |= core::kCr0PE;
  for (unsigned seg = 0; seg < 6; ++seg) {
    SegmentCache& sc = s.seg[seg];
    sc.selector = seg == x86::kCs ? 0x08 : 0x10;
    sc.base = 0;
    sc.limit = 0xFFFFFFFFu;
    sc.attrs = SegmentCache::kSegPresent | SegmentCache::kSegS | SegmentCache::kSegDefaultBig |
               SegmentCache::kSegGranularity |
               (seg == x86::kCs ? SegmentCache::kSegCodeReadable : SegmentCache::kSegWritableData);
  }
  s.cpl = 0;
}

std::string listing(const Case& c) {
  core::MachineConfig config;
  core::Machine m(config);
  m.set_log_quiet(true);
  m.reset();
  core::CpuState& s = m.cpu().s;
  s.load_segment_real(x86::kCs, 0x1000);
  s.eip = 0;
  if (c.flat32) {
    enter_flat32(s);
    s.eip = 0x10000;
  }
  m.memory().load(0x10000, c.code);
  asmjit::JitRuntime rt;
  uint64_t* retired = jit::retired_counter(m.clock());
  std::unique_ptr<jit::Block> b = jit::build_block(m.cpu(), m.memory().ram() + 0x10000, 0x10000, rt, retired);
  x86::Disassembler guest(c.flat32 ? x86::Disassembler::Mode::k32 : x86::Disassembler::Mode::k16), host(x86::Disassembler::Mode::k64);
  std::string text = jit::block_listing(*b, guest, host);
  // Relative branch targets, then the remaining run-dependent addresses.
  const uint64_t base = reinterpret_cast<uint64_t>(b->entry);
  // The TLB's offsets from the CpuState depend on the layout of class Cpu
  // (any member added before it moves them): named instead.
  const core::Cpu::TlbLayout t = m.cpu().tlb_layout(false);
  auto tlb_field = [&t](uint64_t v) -> const char* {
    if (v == uint64_t(t.generation_offset)) return "<tlb.generation>";
    if (v == uint64_t(t.set_offset) + t.read_tag) return "<tlb.read_tag>";
    if (v == uint64_t(t.set_offset) + t.write_tag) return "<tlb.write_tag>";
    if (v == uint64_t(t.set_offset) + t.addend) return "<tlb.addend>";
    return nullptr;
  };
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
  constexpr uint64_t kHints = offsetof(jit::JitContext, tlb_hints);
#pragma GCC diagnostic pop
  std::string out;
  std::istringstream in(text);
  const std::regex hex("0x[0-9a-f]+");
  // A pointer loaded into a 64-bit register (CpuState, clock, BlockInsn,
  // helper function): wherever the heap or the code happened to be.
  const std::regex pointer("(mov|movabs) (r[a-d]x|rsi|rdi|rbp|r8|r9|r1[0-5]), 0x[0-9a-f]+");
  // The clock's counter, addressed from the CpuState (reg_cache.h): its
  // offset depends on the layout of class Machine.
  const int64_t counter = reinterpret_cast<const char*>(retired) - reinterpret_cast<const char*>(&s);
  char counter_text[32];
  std::snprintf(counter_text, sizeof counter_text, "r12 %c 0x%llx", counter < 0 ? '-' : '+',
                static_cast<unsigned long long>(counter < 0 ? -counter : counter));
  for (std::string line; std::getline(in, line);) {
    line = std::regex_replace(line, pointer, "$1 $2, <imm64>");
    if (const size_t at = line.find(counter_text); at != std::string::npos)
      line.replace(at, std::strlen(counter_text), "r12 + <clock.retired>");
    std::string fixed;
    auto begin = std::sregex_iterator(line.begin(), line.end(), hex);
    size_t at = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const uint64_t v = std::stoull(it->str(), nullptr, 16);
      fixed += line.substr(at, it->position() - at);
      char buf[32];
      const bool from_context = it->position() >= 6 && line.compare(it->position() - 6, 6, "rbx + ") == 0;
      if (v >= base && v < base + b->code_size) std::snprintf(buf, sizeof buf, "+%04llx", (unsigned long long)(v - base));
      else if (from_context && v >= kHints && v < kHints + sizeof(uint32_t) * jit::kTlbHints)
        std::snprintf(buf, sizeof buf, "<tlb_hints[%llu]>", (unsigned long long)((v - kHints) / sizeof(uint32_t)));
      else if (const char* name = tlb_field(v)) std::snprintf(buf, sizeof buf, "%s", name);
      else if (v > 0xFFFFFFFFull) std::snprintf(buf, sizeof buf, "<imm64>");
      else std::snprintf(buf, sizeof buf, "%s", it->str().c_str());
      fixed += buf;
      at = it->position() + it->length();
    }
    fixed += line.substr(at);
    out += fixed + "\n";
  }
  rt.release(b->entry);
  return out;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "--check") != 0 && std::strcmp(argv[1], "--update") != 0)) {
    std::fprintf(stderr, "usage: jit-golden --check DIR | --update DIR\n");
    return 2;
  }
  const bool update = std::strcmp(argv[1], "--update") == 0;
  int status = 0;
  for (const Case& c : kCases) {
    const std::string path = std::string(argv[2]) + "/" + c.name + ".txt";
    const std::string now = listing(c);
    if (update) {
      std::ofstream f(path);
      f << now;
      if (!f) {
        std::fprintf(stderr, "jit-golden: cannot write %s\n", path.c_str());
        return 2;
      }
      std::printf("wrote %s\n", path.c_str());
      continue;
    }
    std::ifstream f(path);
    if (!f) {
      std::fprintf(stderr, "jit-golden: cannot read %s\n", path.c_str());
      return 2;
    }
    std::stringstream want;
    want << f.rdbuf();
    if (want.str() == now) {
      std::printf("%s: same\n", c.name);
      continue;
    }
    status = 1;
    const std::vector<std::string> a = lines(want.str()), b = lines(now);
    std::printf("%s: the emitted code differs from %s (- expected, + now):\n", c.name, path.c_str());
    for (size_t k = 0; k < std::max(a.size(), b.size()); ++k) {
      const std::string* x = k < a.size() ? &a[k] : nullptr;
      const std::string* y = k < b.size() ? &b[k] : nullptr;
      if (x != nullptr && y != nullptr && *x == *y) continue;
      if (x != nullptr) std::printf("- %4zu %s\n", k + 1, x->c_str());
      if (y != nullptr) std::printf("+ %4zu %s\n", k + 1, y->c_str());
    }
  }
  if (status != 0)
    std::printf("If the change is intended: build/tests/jit/jit-golden --update tests/jit/golden (and review the diff)\n");
  return status;
}
