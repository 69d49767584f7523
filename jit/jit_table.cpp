// See jit_table.h.
#include "jit/jit_table.h"

#include <stdexcept>
#include <string>

#include "jit/jit_context.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;
using asmjit::Label;

void emit_call_handler(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  a.mov(ax::rdi, ax::rbx);
  a.mov(ax::rsi, imm(reinterpret_cast<uint64_t>(&bi)));
  a.mov(ax::edx, env.pending);
  env.pending = 0;
  a.mov(ax::rax, imm(reinterpret_cast<uint64_t>(&exec_insn_thunk)));
  a.call(ax::rax);
  a.test(ax::eax, ax::eax);
  a.jnz(env.exit);
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

const JitTable& jit_table() {
  static const JitTable table = [] {
    JitTable t;
    register_data_transfer(t);
    register_alu(t);
    return t;
  }();
  return table;
}

}  // namespace tx86::jit
