// A translated block: the guest instructions it covers, the key it is found
// by, and the host code AsmJit produced for it.
//
// Blocks are keyed by the guest *physical* address of their first byte, the
// EIP they start at (the emitted code has every EIP as a constant) and every
// mode bit that changes decoding or semantics (DESIGN.md §5, issue #4): CS.D,
// SS.B, CPL, CR0.PE, EFLAGS.VM, CR0.PG, the A20 gate and the CPU model. A
// block never crosses a guest page, so all its bytes lie in one physical page
// and self-modifying-code invalidation can work on byte ranges of that page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/cpu.h"
#include "core/interp/exec_context.h"
#include "frontend-x86/insn.h"

namespace tx86::jit {

struct BlockKey {
  uint32_t paddr = 0;
  uint32_t eip = 0;
  uint32_t mode = 0;  // mode_bits()
  bool operator==(const BlockKey&) const = default;
};

struct BlockKeyHash {
  size_t operator()(const BlockKey& k) const {
    uint64_t h = (uint64_t{k.paddr} << 32) ^ k.eip ^ (uint64_t{k.mode} << 20);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

// How a block's inline memory accesses treat a data segment (the segment
// class, part of the mode bits): what Cpu::check_segment would let through
// without a fault for any access, read or write (SDM Vol. 3A, 5.3 and 5.4).
//   kChecked: the attributes are tested at every access (anything else).
//   kPlain:   every access passes the rights test: in protected mode a
//             present, expand-up, writable data segment; outside it (or in
//             V86 mode) any expand-up one. Only the limit is tested.
//   kFlat:    kPlain with base 0 and limit 4 GiB - 1: the offset is the
//             linear address and only the 4 GiB wrap needs a test (the TLB
//             tag compare makes it, emit_memory.cpp).
// Every instruction that loads a segment register is sensitive and ends its
// block without a link, so the classes hold for a whole block and for every
// block a link leads to (as the other mode bits do).
enum class SegClass : uint32_t { kChecked = 0, kPlain = 1, kFlat = 2 };
inline constexpr unsigned kSegClassShift = 12;

// The class as a number (SegClass's values), without branches: mode_bits
// runs after every INT and IRET that goes on (jit_engine.cpp), five times.
// `mask`/`want`: the attribute test of the rights in force (see kPlain).
inline uint32_t segment_class_bits(const core::SegmentCache& sc, uint32_t mask, uint32_t want) {
  const uint32_t usable = (sc.attrs & mask) == want;
  const uint32_t flat = (sc.base == 0) & (sc.limit == 0xFFFFFFFFu);
  return usable << flat;  // 0 kChecked, 1 kPlain, 2 kFlat
}
// Protected mode outside V86: a present (0x80), writable (0x02), expand-up
// (0x04 clear) data (0x08 clear) segment; else any expand-up one.
inline constexpr uint32_t kRightsMask = 0x8E, kRightsWant = 0x82, kRealMask = 0x4, kRealWant = 0;

// The segment class of data segment `seg` in a block's mode bits.
inline SegClass mode_segment_class(uint32_t mode, unsigned seg) {
  return static_cast<SegClass>((mode >> (kSegClassShift + 2 * seg)) & 3);
}

// The mode bits of a block key, from the CPU as it is now: bit 0 CS.D,
// 1 SS.B, 2 CR0.PE, 3 EFLAGS.VM, 4 CR0.PG, 5 A20, 6-7 CPL, 8-11 the CPU
// model, then two bits of segment class per segment register (ES, CS, SS,
// DS, FS, GS order; CS is always kChecked: data accesses through CS are
// rare). Branch-free: it is on the path of every INT/IRET link.
inline uint32_t mode_bits(const core::Cpu& cpu) {
  const core::CpuState& s = cpu.s;
  const uint32_t pe = s.cr0 & core::kCr0PE;              // bit 0
  const uint32_t vm = (s.eflags >> 17) & 1;              // EFLAGS bit 17
  static_assert(x86::kVM == 1u << 17 && core::kCr0PE == 1 && core::kCr0PG == 1u << 31);
  uint32_t m = uint32_t{s.seg[x86::kCs].big()} | uint32_t{s.seg[x86::kSs].big()} << 1 | pe << 2 | vm << 3 |
               (s.cr0 >> 31) << 4 | uint32_t{cpu.a20()} << 5 | uint32_t{s.cpl & 3u} << 6 |
               uint32_t(cpu.model()) << 8;
  const bool rights = pe & (vm ^ 1);
  const uint32_t mask = rights ? kRightsMask : kRealMask;
  const uint32_t want = rights ? kRightsWant : kRealWant;
  for (unsigned seg : {x86::kEs, x86::kSs, x86::kDs, x86::kFs, x86::kGs})
    m |= segment_class_bits(s.seg[seg], mask, want) << (kSegClassShift + 2 * seg);
  return m;
}

// One guest instruction of a block, with what the emitted code passes to the
// interpreter's handler.
struct BlockInsn {
  x86::Insn insn;
  core::interp::Handler handler = nullptr;
  uint32_t eip = 0;       // EIP of this instruction
  uint32_t next_eip = 0;  // EIP of the fall-through successor
};

// Whether `i` is a near branch with a relative operand (Jcc, JMP/CALL rel,
// LOOPcc, JCXZ).
inline bool rel_branch(const x86::Insn& i) {
  return (i.attrs & x86::kAttrBranch) && i.num_operands == 1 && i.ops[0].kind == x86::OperandKind::kRel;
}
// The target EIP of such a branch (wrapped to 16 bits with a 16-bit
// operand size).
inline uint32_t rel_target(const BlockInsn& bi) {
  const uint32_t raw = bi.next_eip + bi.insn.ops[0].imm;
  return bi.insn.opsize == 2 ? (raw & 0xFFFF) : raw;
}

// The host entry point: returns a BlockExit.
struct JitContext;
using BlockFn = uint32_t (*)(JitContext*);

struct Block;
// A direct exit of a block: a target EIP known at translation (branch
// target or fall-through). The chain stub emitted there (jit/emit_chain.h)
// goes straight on to `entry` while `epoch` is the engine's link epoch and
// the target fits before the deadline; otherwise it returns to the
// dispatcher, which (re)links the slot. Patching a link is writing the slot;
// unlinking is bumping the epoch (every link dies at once).
struct ChainSlot {
  uint32_t target = 0;  // the EIP it goes to (for listings)
  BlockFn entry = nullptr;
  const Block* block = nullptr;
  uint64_t epoch = 0;  // 0: never linked
  uint64_t count = 0;  // the target's instructions
};

enum BlockExit : uint32_t {
  kExitContinue = 0,  // (per instruction) go on with the next one
  kExitEnd = 1,       // the block ran to its end or stopped after an instruction
  kExitFault = 2,     // an instruction faulted: cpu.fault set, EIP at it, state as the interpreter has it
  kExitChain = 3,     // the block ended and JitContext::chain.next is the next one to run (emit_chain.h)
};

struct Block {
  BlockKey key;
  uint32_t linear = 0;     // CS.base + EIP when translated (for listings)
  uint32_t last_eip = 0;   // EIP of the block's last byte (CS limit check at entry)
  uint32_t paddr_end = 0;  // one past the last byte
  size_t count = 0;        // instructions
  std::unique_ptr<BlockInsn[]> insns;  // never moves: the code points into it
  std::vector<uint8_t> guest_bytes;
  BlockFn entry = nullptr;
  // Where chain stubs enter the block (past the prologue, emit_chain.h).
  const void* body = nullptr;
  size_t code_size = 0;
  bool valid = true;  // false once invalidated (freed when no longer running)
  // The dispatcher may go straight on to a successor (chaining) only after a
  // plain fall-through or near branch: see JitEngine.
  bool linkable = false;
  // Direct exits patched by the engine while the block may be running:
  // [0] the last instruction's branch target, [1] its fall-through, then
  // one per conditional branch inside the block (its taken side; the block
  // goes on at the fall-through).
  static constexpr size_t kEndExits = 2;
  std::unique_ptr<ChainSlot[]> exits;
  size_t exit_count = 0;
};
// The index of the block's instruction that starts at `eip`, or b.count if
// none does (instructions lie in EIP order: a block never wraps).
inline size_t insn_index(const Block& b, uint32_t eip) {
  for (size_t k = 0; k < b.count; ++k)
    if (b.insns[k].eip == eip) return k;
  return b.count;
}


}  // namespace tx86::jit
