// --jit-dump FILE: a listing of every translated block for people learning
// how binary translation works: the block's key, the guest code (Capstone,
// 16- or 32-bit) and the host code AsmJit produced (Capstone, x86-64), and
// how the block exits. Written as blocks are translated.
#pragma once

#include <cstdio>
#include <string>

#include "frontend-x86/disasm.h"
#include "jit/block.h"

namespace tx86::jit {

class JitDump {
 public:
  // Throws std::runtime_error if the file cannot be created.
  explicit JitDump(const std::string& path);
  ~JitDump();
  JitDump(const JitDump&) = delete;
  JitDump& operator=(const JitDump&) = delete;

  void write(const Block& b);

 private:
  std::FILE* f_ = nullptr;
  x86::Disassembler d16_{x86::Disassembler::Mode::k16};
  x86::Disassembler d32_{x86::Disassembler::Mode::k32};
  x86::Disassembler d64_{x86::Disassembler::Mode::k64};
  uint64_t blocks_ = 0;
};

// The listing of one block (what write() prints), for tests.
std::string block_listing(const Block& b, x86::Disassembler& guest, x86::Disassembler& host);

}  // namespace tx86::jit
