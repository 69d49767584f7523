// Port I/O family: IN and OUT (SDM Vol. 2 "IN", "OUT"; protection: Vol. 1,
// 18.5). INS/OUTS share the REP machinery of core/interp/string.cpp and call
// io_permitted() from here. Every access is counted, and the engine is told
// to look at the world afterwards (a device may have raised an IRQ or asked
// the machine to stop). I/O breakpoints (DR7 R/W = 10 with CR4.DE) are
// matched after the access: a #DB trap follows the instruction (17.2.4).
#include "core/interp/debug.h"
#include "core/priv/descriptors.h"
#include "core/priv/priv.h"

namespace tx86::core::priv {

namespace {

using M = x86::Mnemonic;
using x86::OperandKind;

inline bool port_operand(ExecContext& c, const x86::Insn& i, const x86::Operand& o, uint16_t& port) {
  if (o.kind == OperandKind::kImm) port = uint16_t(o.imm & 0xFF);
  else if (o.kind == OperandKind::kReg) port = uint16_t(c.s.gpr[x86::kEdx]);
  else return c.cpu.raise(kUD);
  (void)i;
  return true;
}

// IN AL/AX/EAX, imm8 / DX.
bool in(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kPortIo, c.s.cpl);
  uint16_t port;
  const unsigned size = i.ops[0].size;
  if (!port_operand(c, i, i.ops[1], port) || !io_permitted(c, port, size)) return false;
  const uint32_t v = c.cpu.port_in(port, size);
  if (size == 1) c.s.set_reg8(0, uint8_t(v));
  else if (size == 2) c.s.set_reg16(x86::kEax, uint16_t(v));
  else c.s.gpr[x86::kEax] = v;
  interp::io_breakpoints(c.cpu, port, size);
  c.attention = true;
  return true;
}

// OUT imm8 / DX, AL/AX/EAX.
bool out(ExecContext& c, const x86::Insn& i) {
  c.priv.count(Family::kPortIo, c.s.cpl);
  uint16_t port;
  const unsigned size = i.ops[1].size;
  if (!port_operand(c, i, i.ops[0], port) || !io_permitted(c, port, size)) return false;
  const uint32_t mask = size == 1 ? 0xFFu : (size == 2 ? 0xFFFFu : 0xFFFFFFFFu);
  c.cpu.port_out(port, c.s.gpr[x86::kEax] & mask, size);
  interp::io_breakpoints(c.cpu, port, size);
  c.attention = true;
  return true;
}

}  // namespace

bool io_permitted(ExecContext& c, uint16_t port, unsigned size) {
  CpuState& s = c.s;
  if (!s.protected_mode()) return true;
  const unsigned iopl = (s.eflags >> 12) & 3;
  if (!s.v86() && s.cpl <= iopl) return true;
  // CPL > IOPL or V86 mode: the I/O permission bitmap of the 32-bit TSS
  // decides (SDM Vol. 1, 18.5.2): every bit for port..port+size-1 must be 0,
  // and the two bytes holding them must lie within the TSS limit.
  const SegmentCache& tr = s.tr;
  if ((tr.attrs & 8) == 0 || tr.limit < 0x67) return c.cpu.raise(kGP, 0);
  SupervisorAccess sup(c.cpu);
  uint16_t map_base;
  if (!c.cpu.read_linear<uint16_t>(tr.base + 0x66, map_base)) return false;
  const uint32_t byte = uint32_t{map_base} + port / 8;
  if (byte + 1 > tr.limit) return c.cpu.raise(kGP, 0);
  uint16_t bits;
  if (!c.cpu.read_linear<uint16_t>(tr.base + byte, bits)) return false;
  const unsigned mask = ((1u << size) - 1) << (port & 7);
  if (bits & mask) return c.cpu.raise(kGP, 0);
  return true;
}

void register_port_io(HandlerTable& t) {
  t.set(M::kIn, in);
  t.set(M::kOut, out);
}

}  // namespace tx86::core::priv
