// Inline guest memory accesses for the emitters (DESIGN.md §5, issue #4):
// the effective address, the segment checks of Cpu::check_segment for the
// common cases, and the TLB hit path, all inline; everything else (a segment
// the inline test does not cover, a limit or rights violation, a TLB miss,
// a page-crossing access, MMIO, a page holding code for a store, a stale TLB
// after a memory-map change, an unaligned access at CPL 3 where #AC may
// apply) calls out to the interpreter's own accessors (interp::mem_read /
// mem_write), so the result, the fault and its error code, CR2 and the
// self-modifying-code invalidation are the interpreter's.
//
// Register conventions (all host registers the System V ABI lets a callee
// clobber are clobbered by an access, as are the host flags, except the
// guest registers cached in rsi/rdi, which the slow path reloads):
//   offset in edx, store value in ecx, load result in eax (zero-extended).
// A failing access exits the block with kExitFault, EIP at the instruction
// and the clock brought up to date (as a faulting handler does). Before a
// slow-path call, EIP and the clock are made exact (a device may look); the
// clock goes back afterwards, since the inline instructions retire later.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>

#include "jit/jit_table.h"

namespace tx86::jit {

// The address of PhysicalMemory's map generation counter (which the inline
// path compares with the TLB's).
const uint64_t* memory_generation_address(const core::PhysicalMemory& m);

// Whether the instruction reads or writes memory through its ModRM/moffs
// operand (LEA does not).
bool accesses_memory(const x86::Insn& i);

// dst := the effective address of the instruction's memory operand (32-bit,
// wrapped to 16 bits for 16-bit addressing). Uses r10 besides dst.
void emit_effective_address(EmitEnv& env, const x86::Insn& i, const asmjit::x86::Gp& dst);

// eax := the `w`-byte value at seg:edx. `for_write`: the destination read of
// a read-modify-write instruction, checked as a write (segment rights, TLB
// write tag, #PF error code with W=1), as interp::mem_read_for_write does.
void emit_load(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, bool for_write = false);
// The same for a load whose value goes to 32-bit host register `dst`
// (a cached guest register, written whole: MOV r32, MOVZX/MOVSX r32):
// straight into it, zero-extended or, with `sign`, sign-extended.
void emit_load_into(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, const asmjit::x86::Gp& dst,
                    bool sign = false);
// ALU instruction `op` (ADD, CMP, ...) of host register `dst` (of width
// `w`) with the `w`-byte value at seg:edx as its source, reading memory
// once: `op dst, [host address]` inline, `op dst, eax` after the slow
// path's load; either way the host flags are op's at the end. `cf`, a
// register holding the guest CF in bit 0 (ADC, SBB), or none.
void emit_load_op(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, asmjit::x86::Inst::Id op,
                  const asmjit::Operand& dst, const asmjit::Operand& cf);
// Stores the low `w` bytes of ecx at seg:edx. `reuse`: right after
// emit_load with `for_write` of the same operand, with r9 untouched since:
// the store reuses that lookup's host address.
void emit_store(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, bool reuse = false);
// Stores the low `w` bytes of immediate `value` at seg:edx (MOV m, imm).
void emit_store_imm(EmitEnv& env, const BlockInsn& bi, unsigned seg, unsigned w, uint32_t value);

// eax (al/ax) := the instruction's destination (its first operand) of
// width `w`: a read for write through its memory operand, or the guest
// register. The counterpart of emit_write_dest for read-modify-write forms.
void emit_read_dest(EmitEnv& env, const BlockInsn& bi, unsigned w);

// The instruction's r/m source operand `s` of width `w`: its guest
// register (a host register or the CpuState), or memory loaded into eax
// (al/ax).
asmjit::Operand emit_rm_source(EmitEnv& env, const BlockInsn& bi, const x86::Operand& s, unsigned w);

// The instruction's destination (its first operand) := `r` (al/ax/eax):
// a store through its memory operand, or the guest register.
void emit_write_dest(EmitEnv& env, const BlockInsn& bi, const asmjit::x86::Gp& r);

// After an instruction that stored (env.pending already counts it): if the
// store rewrote translated code of this block, stop the block here, as the
// handler thunk does.
void emit_stop_check(EmitEnv& env, const BlockInsn& bi);

// The fault exit for an out-of-line path: EIP at the instruction, the
// `pending` inline instructions before it retired, kExitFault.
void emit_fault_exit(EmitEnv& env, const BlockInsn& bi, uint32_t pending);

}  // namespace tx86::jit
