// See jit_table.h.
#include "jit/jit_table.h"

#include <cstddef>
#include <stdexcept>
#include <string>

#include "jit/jit_context.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;
using asmjit::Label;

// Host pointers are loaded with MOVABS (always the 10-byte form), so that
// the code does not depend on where the heap lies (golden listings).
void emit_call_handler(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  env.rc.emit_flush(a);
  a.mov(ax::rdi, ax::rbx);
  a.movabs(ax::rsi, imm(reinterpret_cast<uint64_t>(&bi)));
  a.mov(ax::edx, env.pending);
  env.pending = 0;
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&exec_insn_thunk)));
  a.call(ax::rax);
  a.test(ax::eax, ax::eax);
  a.jnz(env.exit);  // the CpuState is the guest's (the handler ran on it)
  env.rc.emit_load(a);
}

void emit_retire(EmitEnv& env, uint32_t eip) {
  ax::Assembler& a = env.a;
  a.mov(ax::dword_ptr(ax::r12, static_cast<int32_t>(offsetof(core::CpuState, eip))), eip);
  if (env.pending != 0) a.add(retired_mem(env), env.pending);
  env.pending = 0;
}

JitTable::JitTable() {
  for (Emitter& e : table_) e = emit_call_handler;
}

void JitTable::set(x86::Mnemonic m, Emitter e, InlineTest inlines) {
  const size_t k = static_cast<size_t>(m);
  if (set_[k])
    throw std::logic_error("jit table: emitter for '" + std::string(x86::mnemonic_name(m)) + "' registered twice");
  set_[k] = true;
  table_[k] = e;
  tests_[k] = inlines;
}

// BT/BTS/BTR/BTC (emit_bit.cpp); declared here until jit_table.h lists it
// with the other groups.
void register_bit(JitTable& t);
// XADD/CMPXCHG (emit_xadd_cmpxchg.cpp) and SHLD/SHRD (emit_shift_double.cpp),
// likewise.
void register_xadd_cmpxchg(JitTable& t);
void register_shift_double(JitTable& t);

const JitTable& jit_table() {
  static const JitTable table = [] {
    JitTable t;
    register_data_transfer(t);
    register_alu(t);
    register_control_transfer(t);
    register_stack(t);
    register_shift(t);
    register_mul(t);
    register_cond(t);
    register_bit(t);
    register_xadd_cmpxchg(t);
    register_shift_double(t);
    return t;
  }();
  return table;
}

}  // namespace tx86::jit
