// Protected-mode far control transfers (SDM Vol. 2 "JMP", "CALL", "RET",
// "IRET"; Vol. 3A, 5.8 privilege-level changes, call gates with parameter
// copy, 7.3 task switches by JMP/CALL/IRET, 20.3.1.3 IRET to V86 mode).
// Real and V86 mode far transfers stay in core/interp/control_transfer.cpp.
#pragma once

#include <cstdint>

#include "core/priv/priv.h"

namespace tx86::core::priv {

// Far JMP / CALL to selector:offset in protected mode (code segment, call
// gate, task gate or TSS). Sets c.next_eip on success.
bool far_jmp_protected(ExecContext& c, const x86::Insn& i, uint16_t sel, uint32_t offset);
bool far_call_protected(ExecContext& c, const x86::Insn& i, uint16_t sel, uint32_t offset);

// Far RET [imm16] in protected mode, to the same or an outer ring.
bool far_ret_protected(ExecContext& c, const x86::Insn& i);

}  // namespace tx86::core::priv
