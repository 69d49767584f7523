// Trap-and-emulate handlers for privileged and sensitive instructions
// (DESIGN.md §3), grouped by family, one file per family:
//   control_registers.cpp  MOV CRn/DRn/TRn, LMSW, SMSW, CLTS, INVD, WBINVD, INVLPG
//   descriptor_tables.cpp  LGDT LIDT SGDT SIDT SLDT STR LLDT LTR, LAR LSL VERR VERW ARPL,
//                          segment-register loads (checks in segments.cpp)
//   segments.cpp           descriptor fetch and the protected-mode segment-load checks
//                          (descriptors.h: the descriptor view and SupervisorAccess)
//   gates.cpp              far JMP/CALL/RET and IRET across rings: call gates with
//                          parameter copy, task gates, returns to outer rings and V86
//   task_switch.cpp        hardware task switches through 16- and 32-bit TSSs
//   sysenter.cpp           SYSENTER / SYSEXIT
//   port_io.cpp            IN OUT INS OUTS with the IOPL and TSS I/O-bitmap checks
//   msr_cpuid.cpp          CPUID RDTSC RDPMC RDMSR WRMSR, the P6 performance
//                          counters (perf_counters.h)
//   interrupt_flag.cpp     CLI STI HLT PUSHF POPF (IOPL, V86, VME and PVI rules)
// Both engines reach them through the interpreter's handler table. Each
// handler counts its trap in ExecContext::priv by family and CPL
// (priv_stats.h; gates.cpp, task switches by IRET and sysenter.cpp count
// as "gates-task-switch").
#pragma once

#include <cstdint>

#include "core/interp/handler_table.h"

namespace tx86::core::priv {

using interp::ExecContext;
using interp::HandlerTable;

// Loads segment register `seg` with `selector` as MOV/POP/LDS... do. Real
// and V86 mode: base = selector * 16, limit and attributes kept (SDM Vol. 3A,
// 20.1.1). Protected mode: from the GDT/LDT descriptor with the checks of
// SDM Vol. 3A, 5.4-5.6 (data/stack segment loads).
bool load_segment(ExecContext& c, unsigned seg, uint16_t selector);

// Loads CS for a far JMP/CALL/RET to selector:offset in real and V86 mode
// (protected-mode far transfers, with gates and privilege changes, are in
// gates.cpp).
bool load_code_segment(ExecContext& c, uint16_t selector, uint32_t offset);

// IRET in protected mode (gates.cpp): same and outer privilege, to V86, and
// back to a nested task (NT).
bool iret_protected(ExecContext& c, const x86::Insn& i);

// FLAGS written by POPF / IRET / SAHF-like paths, with the bits the model
// and mode allow (SDM Vol. 2 "POPF", table 4-?; 286: bits 12-15 stay 0 in
// real mode). Marks the context for attention when IF or TF changes.
void write_flags(ExecContext& c, uint32_t value, unsigned size);

// FLAGS written by a 16-bit POPF / IRET in V86 mode with CR4.VME and
// IOPL < 3 (SDM "POPF", "IRET"; Vol. 3A, 20.3): #GP(0) if the image sets
// TF, or sets IF while VIP is set; else every FLAGS bit but IF and IOPL
// from the image, and VIF from the image's IF. Call before committing the
// stack pops (it may fault).
bool write_flags_virtual(ExecContext& c, uint32_t image);

// MOV with a control, debug or test register operand (0F 20-26).
bool mov_special(ExecContext& c, const x86::Insn& i);

// Port-access permission check (SDM Vol. 1, 18.5): real mode always allows;
// protected mode with CPL > IOPL, and V86 mode, consult the TSS I/O bitmap.
bool io_permitted(ExecContext& c, uint16_t port, unsigned size);

// Family registration (called by interp::register_privileged).
void register_control_registers(HandlerTable& t);
void register_descriptor_tables(HandlerTable& t);
void register_port_io(HandlerTable& t);
void register_msr_cpuid(HandlerTable& t);
void register_interrupt_flag(HandlerTable& t);

// RDTSC's value: retired instructions plus the guest-set offset.
inline uint64_t tsc(ExecContext& c) { return c.machine.clock().retired() + c.s.tsc_offset; }

}  // namespace tx86::core::priv
