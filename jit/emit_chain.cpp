// See emit_chain.h.
#include "jit/emit_chain.h"

#include <cstddef>

#include "jit/jit_context.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;

namespace {

ax::Mem chain_field(size_t off) { return ax::qword_ptr(ax::rbx, static_cast<int32_t>(off)); }

}  // namespace

void emit_direct_exit(EmitEnv& env, ChainSlot& slot) {
  ax::Assembler& a = env.a;
  asmjit::Label miss = a.newLabel();
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&slot)));
  a.mov(ax::rcx, chain_field(offsetof(ChainState, epoch)));
  a.cmp(ax::rcx, ax::qword_ptr(ax::rax, offsetof(ChainSlot, epoch)));
  a.jne(miss);
  a.movabs(ax::rcx, imm(reinterpret_cast<uint64_t>(env.retired)));
  a.mov(ax::rcx, ax::qword_ptr(ax::rcx));
  a.add(ax::rcx, ax::qword_ptr(ax::rax, offsetof(ChainSlot, count)));
  a.cmp(ax::rcx, chain_field(offsetof(ChainState, deadline)));
  a.ja(miss);
  a.inc(chain_field(offsetof(ChainState, direct_runs)));
  a.mov(ax::rcx, ax::qword_ptr(ax::rax, offsetof(ChainSlot, block)));
  a.mov(ax::qword_ptr(ax::rbx, static_cast<int32_t>(offsetof(JitContext, current))), ax::rcx);
  a.mov(ax::rcx, ax::qword_ptr(ax::rax, offsetof(ChainSlot, entry)));
  a.mov(chain_field(offsetof(ChainState, next)), ax::rcx);
  a.mov(ax::eax, kExitChain);
  a.jmp(env.exit);
  a.bind(miss);
  a.mov(chain_field(offsetof(ChainState, missed)), ax::rax);
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
}

void emit_indirect_exit(EmitEnv& env) {
  ax::Assembler& a = env.a;
  a.mov(ax::rdi, ax::rbx);
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&chain_lookup)));
  a.call(ax::rax);
  a.jmp(env.exit);  // eax: kExitChain or kExitEnd
}

void emit_branch_handler(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  a.mov(ax::rdi, ax::rbx);
  a.movabs(ax::rsi, imm(reinterpret_cast<uint64_t>(&bi)));
  a.mov(ax::edx, env.pending);
  env.pending = 0;
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&exec_branch_thunk)));
  a.call(ax::rax);
  a.test(ax::eax, ax::eax);
  a.jnz(env.exit);
}

}  // namespace tx86::jit
