// The block builder: decodes guest instructions from an EIP until a block-
// ending, privileged or sensitive instruction (that one is included: its
// handler runs as the block's last instruction), the end of the guest page,
// the CS limit or a size limit, and emits host code for them through the
// JIT table (jit_table.h). Instructions the builder cannot take (undecodable
// bytes, an instruction crossing the page or the CS limit, the 80286's LOCK
// forms the decoder refuses) end the block before them; the engine runs
// them in the interpreter, which raises the right fault.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <memory>

#include "core/cpu.h"
#include "jit/block.h"

namespace tx86::jit {

inline constexpr size_t kMaxBlockInsns = 64;

// `code` is the host pointer to the guest byte at CS.base + EIP, `paddr` its
// physical address; `retired` the clock's counter (retired_counter()).
// Returns null if not even one instruction can be taken. Throws
// std::runtime_error if AsmJit fails (out of host memory).
std::unique_ptr<Block> build_block(core::Cpu& cpu, const uint8_t* code, uint32_t paddr, asmjit::JitRuntime& rt,
                                   uint64_t* retired, size_t max_insns = kMaxBlockInsns);

}  // namespace tx86::jit
