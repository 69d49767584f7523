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

  // Writes block number `number` (the same number PerfMap gives it).
  void write(const Block& b, uint64_t number);

 private:
  std::FILE* f_ = nullptr;
  x86::Disassembler d16_{x86::Disassembler::Mode::k16};
  x86::Disassembler d32_{x86::Disassembler::Mode::k32};
  x86::Disassembler d64_{x86::Disassembler::Mode::k64};
};

// --jit-perf-map: the symbol map Linux perf reads for code it cannot find in
// any file, /tmp/perf-PID.map, one line per translated block: host address,
// size and the name "tx86_bN_EIP", N being the block's number in --jit-dump.
// With both options on, `perf record` samples map to the listing's lines
// (bench/README.md shows how).
class PerfMap {
 public:
  // Throws std::runtime_error if the file cannot be created.
  PerfMap();
  ~PerfMap();
  PerfMap(const PerfMap&) = delete;
  PerfMap& operator=(const PerfMap&) = delete;

  const std::string& path() const { return path_; }
  void write(const Block& b, uint64_t number);

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

// The listing of one block (what write() prints), for tests.
std::string block_listing(const Block& b, x86::Disassembler& guest, x86::Disassembler& host);

}  // namespace tx86::jit
