// See jit_dump.h.
#include "jit/jit_dump.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

#include "jit/jit_context.h"

namespace tx86::jit {

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

std::string bytes_hex(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t k = 0; k < n; ++k) s += fmt("%02x", p[k]);
  return s;
}

}  // namespace

std::string block_listing(const Block& b, x86::Disassembler& guest, x86::Disassembler& host) {
  const uint32_t m = b.key.mode;
  // Segment classes (block.h): '-' checked, 'p' plain, 'f' flat.
  std::string classes;
  for (unsigned seg = 0; seg < 6; ++seg) classes += "-pf?"[static_cast<unsigned>(mode_segment_class(m, seg))];
  std::string out = fmt("block paddr=%08x eip=%08x linear=%08x  mode: cs.d=%u ss.b=%u pe=%u vm=%u pg=%u a20=%u cpl=%u model=%u segs(es,cs,ss,ds,fs,gs)=%s\n",
                        b.key.paddr, b.key.eip, b.linear, m & 1, (m >> 1) & 1, (m >> 2) & 1, (m >> 3) & 1,
                        (m >> 4) & 1, (m >> 5) & 1, (m >> 6) & 3, (m >> 8) & 0xF, classes.c_str());
  out += fmt("  %zu guest instructions, %zu guest bytes, %zu host bytes\n", b.count, b.guest_bytes.size(), b.code_size);
  out += "  guest:\n";
  size_t off = 0;
  for (size_t k = 0; k < b.count; ++k) {
    const BlockInsn& bi = b.insns[k];
    const std::string text = guest.disassemble(b.guest_bytes.data() + off, bi.insn.length, b.linear + off);
    out += fmt("    %08x  %-30s %s\n", bi.eip, bytes_hex(b.guest_bytes.data() + off, bi.insn.length).c_str(), text.c_str());
    off += bi.insn.length;
  }
  out += "  host:\n";
  const auto* code = reinterpret_cast<const uint8_t*>(b.entry);
  const auto thunk = reinterpret_cast<uint64_t>(&exec_insn_thunk);
  for (size_t at = 0; at < b.code_size;) {
    size_t len = 0;
    std::string text = host.disassemble(code + at, b.code_size - at, reinterpret_cast<uint64_t>(code + at), &len);
    if (len == 0) len = 1;
    // Name the constants the reader cannot guess.
    std::string note;
    if (text.find(fmt("0x%llx", static_cast<unsigned long long>(thunk))) != std::string::npos) note = "  ; exec_insn_thunk";
    for (size_t k = 0; k < b.count && note.empty(); ++k)
      if (text.find(fmt("0x%llx", static_cast<unsigned long long>(reinterpret_cast<uint64_t>(&b.insns[k])))) != std::string::npos)
        note = fmt("  ; guest instruction %zu (eip %08x)", k, b.insns[k].eip);
    out += fmt("    +%04zx  %s%s\n", at, text.c_str(), note.c_str());
    at += len;
  }
  const BlockInsn& last = b.insns[b.count - 1];
  out += "  exits:\n";
  out += "    fault: to the dispatcher, EIP at the faulting instruction (exception delivered there)\n";
  out += "    stop:  to the dispatcher after any instruction that asks for attention or rewrote this block\n";
  if (last.insn.has(x86::kAttrBranch))
    out += fmt("    end:   %s: next EIP computed at run time (fall-through %08x)\n",
               std::string(x86::mnemonic_name(last.insn.mnemonic)).c_str(), last.next_eip);
  else
    out += fmt("    end:   falls through to eip %08x\n", last.next_eip);
  out += "  direct exits (chain slots: the dispatcher links a slot to the block at its target the first time\n"
         "  it is taken; from then on the stub jumps to that block's body while the link epoch holds and\n"
         "  the block fits before the next event; a slot back to this block's start loops in place):\n";
  for (size_t k = 0; k < b.exit_count; ++k) {
    const char* what = k == 0 ? (last.insn.has(x86::kAttrBranch) ? "the last branch's target" : "(unused)")
                       : k == 1 ? "fall-through after the last instruction"
                                : "taken side of a branch inside the block";
    out += fmt("    [%zu] -> eip %08x  %s\n", k, b.exits[k].target, what);
  }
  out += "\n";
  return out;
}

JitDump::JitDump(const std::string& path) : f_(std::fopen(path.c_str(), "w")) {
  if (f_ == nullptr) throw std::runtime_error("--jit-dump '" + path + "': cannot create: " + std::strerror(errno));
}

JitDump::~JitDump() {
  if (f_ != nullptr) std::fclose(f_);
}

void JitDump::write(const Block& b, uint64_t number) {
  x86::Disassembler& guest = (b.key.mode & 1) ? d32_ : d16_;
  const std::string text = fmt("#%llu ", static_cast<unsigned long long>(number)) + block_listing(b, guest, d64_);
  std::fputs(text.c_str(), f_);
}

PerfMap::PerfMap() : path_(fmt("/tmp/perf-%ld.map", static_cast<long>(getpid()))), f_(std::fopen(path_.c_str(), "w")) {
  if (f_ == nullptr) throw std::runtime_error("--jit-perf-map '" + path_ + "': cannot create: " + std::strerror(errno));
}

PerfMap::~PerfMap() {
  if (f_ != nullptr) std::fclose(f_);
}

void PerfMap::write(const Block& b, uint64_t number) {
  // Line-buffered in effect: perf reads the file after the run, but a run
  // that ends in a crash should still leave every block named.
  std::fprintf(f_, "%llx %zx tx86_b%llu_%08x\n", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(b.entry)),
               b.code_size, static_cast<unsigned long long>(number), b.key.eip);
  std::fflush(f_);
}

}  // namespace tx86::jit
