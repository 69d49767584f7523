// String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with REP, REPE and
// REPNE (SDM Vol. 2, "REP/REPE/REPZ/REPNE/REPNZ"). The count register and the
// index registers are CX/SI/DI or ECX/ESI/EDI by address size; DF picks the
// direction. A REP instruction runs at most kRepChunk iterations per
// execution and then restarts itself (EIP unchanged), so that interrupts and
// events are taken between iterations at deterministic points. A fault in
// iteration k leaves the registers as after iteration k-1 (386+), with EIP
// at the instruction, so that it resumes correctly; the 286 differs (below).
#include "core/interp/debug.h"
#include "core/interp/handler_table.h"
#include "core/priv/priv.h"
#include "core/semantics/alu.h"

namespace tx86::core::interp {

namespace {

using M = x86::Mnemonic;
constexpr unsigned kRepChunk = 1024;

enum class Str : uint8_t { kMovs, kCmps, kStos, kLods, kScas, kIns, kOuts };

// What the 80286 leaves behind when an access of a string instruction
// faults (in real mode: a word at offset FFFF). Unlike later CPUs it has
// already stepped the index register of the faulting access and of the
// accesses before it, and under REP it has decremented CX by 0, 1 or 2
// depending on where in its microcode loop the fault hit. These rules come
// from the SingleStepTests 286 vectors (A4-AF, 6C-6F files):
//   MOVS read SI: SI, CX-1     MOVS write DI: SI DI, CX-2
//   CMPS (DI is read first): DI, CX-0; then SI: SI DI, CX-1
//   STOS / INS write DI: DI, CX-2     LODS / OUTS read SI: SI, CX-1
//   SCAS read DI: DI, CX-1
struct Fault286 {
  bool si, di;
  unsigned cx;
};

template <Str op, typename T>
bool string_op(ExecContext& c, const Insn& i) {
  CpuState& s = c.s;
  const bool a32 = i.addrsize == 4;
  const uint32_t mask = a32 ? 0xFFFFFFFFu : 0xFFFFu;
  const bool rep = (i.prefixes & (x86::kPrefixRep | x86::kPrefixRepne)) != 0;
  const bool repne = (i.prefixes & x86::kPrefixRepne) != 0;
  const bool quirk286 = c.cpu.model() == x86::CpuModel::k286;
  const uint32_t step = (s.eflags & x86::kDF) ? uint32_t(0 - sizeof(T)) : uint32_t(sizeof(T));
  uint32_t count = s.gpr[x86::kEcx] & mask;
  if (rep && count == 0) return true;
  if (op == Str::kIns || op == Str::kOuts) {
    if (!priv::io_permitted(c, uint16_t(s.gpr[x86::kEdx]), sizeof(T))) return false;
    c.priv.count(priv::Family::kPortIo, s.cpl);
    c.attention = true;
  }
  const unsigned src_seg = i.mem.seg;
  auto advance = [&](unsigned reg, uint32_t old) {
    s.gpr[reg] = (s.gpr[reg] & ~mask) | ((old + step) & mask);
  };
  for (unsigned n = 0;; ++n) {
    const uint32_t si = s.gpr[x86::kEsi] & mask;
    const uint32_t di = s.gpr[x86::kEdi] & mask;
    auto fail = [&](Fault286 q) {
      if (quirk286) {
        if (q.si) advance(x86::kEsi, si);
        if (q.di) advance(x86::kEdi, di);
        if (rep) s.gpr[x86::kEcx] = (s.gpr[x86::kEcx] & ~mask) | ((count - q.cx) & mask);
      }
      return false;
    };
    bool advance_si = false, advance_di = false;
    T a, b;
    switch (op) {
      case Str::kMovs:
        if (!mem_read<T>(c, src_seg, si, a)) return fail({true, false, 1});
        if (!mem_write<T>(c, x86::kEs, di, a)) return fail({true, true, 2});
        advance_si = advance_di = true;
        break;
      case Str::kCmps:
        if (quirk286) {
          if (!mem_read<T>(c, x86::kEs, di, b)) return fail({false, true, 0});
          if (!mem_read<T>(c, src_seg, si, a)) return fail({true, true, 1});
        } else if (!mem_read<T>(c, src_seg, si, a) || !mem_read<T>(c, x86::kEs, di, b)) {
          return false;
        }
        sem::sub<T>(a, b, 0, s.eflags);
        advance_si = advance_di = true;
        break;
      case Str::kStos:
        if (!mem_write<T>(c, x86::kEs, di, get_reg<T>(s, x86::kEax))) return fail({false, true, 2});
        advance_di = true;
        break;
      case Str::kLods:
        if (!mem_read<T>(c, src_seg, si, a)) return fail({true, false, 1});
        set_reg<T>(s, x86::kEax, a);
        advance_si = true;
        break;
      case Str::kScas:
        if (!mem_read<T>(c, x86::kEs, di, b)) return fail({false, true, 1});
        sem::sub<T>(get_reg<T>(s, x86::kEax), b, 0, s.eflags);
        advance_di = true;
        break;
      case Str::kIns:
        // The destination is checked before the port is read: a port read
        // has side effects and must not be lost to a fault.
        if (!c.cpu.check_segment(x86::kEs, di, sizeof(T), Access::kWrite) ||
            !c.cpu.probe_write_linear(s.seg[x86::kEs].base + di, sizeof(T)))
          return fail({false, true, 2});
        a = T(c.cpu.port_in(uint16_t(s.gpr[x86::kEdx]), sizeof(T)));
        if (!mem_write<T>(c, x86::kEs, di, a)) return fail({false, true, 2});
        io_breakpoints(c.cpu, uint16_t(s.gpr[x86::kEdx]), sizeof(T));
        advance_di = true;
        break;
      case Str::kOuts:
        if (!mem_read<T>(c, src_seg, si, a)) return fail({true, false, 1});
        c.cpu.port_out(uint16_t(s.gpr[x86::kEdx]), a, sizeof(T));
        io_breakpoints(c.cpu, uint16_t(s.gpr[x86::kEdx]), sizeof(T));
        advance_si = true;
        break;
    }
    if (advance_si) advance(x86::kEsi, si);
    if (advance_di) advance(x86::kEdi, di);
    if (!rep) return true;
    --count;
    s.gpr[x86::kEcx] = (s.gpr[x86::kEcx] & ~mask) | count;
    if (count == 0) return true;
    if (op == Str::kCmps || op == Str::kScas) {
      const bool zf = (s.eflags & x86::kZF) != 0;
      if (repne ? zf : !zf) return true;
    }
    if (op == Str::kOuts && c.machine.stop_requested()) break;
    // A data or I/O breakpoint hit: the #DB trap comes after this iteration
    // (SDM Vol. 3A, 17.3.1.2), with EIP still at the instruction.
    if (c.cpu.data_breakpoint_hits != 0) break;
    if (n + 1 >= kRepChunk) break;
  }
  c.next_eip = s.eip;  // not finished: execute again
  c.attention = true;
  return true;
}

template <Str op>
void set_string(HandlerTable& t, M m) {
  t.set(m, string_op<op, uint8_t>, string_op<op, uint16_t>, string_op<op, uint32_t>);
}

}  // namespace

void register_string(HandlerTable& t) {
  set_string<Str::kMovs>(t, M::kMovs);
  set_string<Str::kCmps>(t, M::kCmps);
  set_string<Str::kStos>(t, M::kStos);
  set_string<Str::kLods>(t, M::kLods);
  set_string<Str::kScas>(t, M::kScas);
  set_string<Str::kIns>(t, M::kIns);
  set_string<Str::kOuts>(t, M::kOuts);
}

}  // namespace tx86::core::interp
