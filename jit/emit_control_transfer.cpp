// Inline emitters for near relative branches (SDM Vol. 2, Jcc and JMP rel8/
// rel16/rel32). They end their block: the condition is computed from the
// guest EFLAGS with integer tests (POPFQ would be slower), EIP and the
// clock are set inline, and the block returns to the dispatcher, which
// follows its successor links. A target beyond the CS limit raises #GP(0)
// exactly as the interpreter does, by calling its handler on that path.
#include <cstddef>

#include "jit/emit_util.h"
#include "jit/jit_table.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using x86::Mnemonic;

namespace {

bool branch_inlines(const x86::Insn& i) {
  return i.num_operands == 1 && i.ops[0].kind == x86::OperandKind::kRel;
}

constexpr int32_t kCsLimit = static_cast<int32_t>(offsetof(core::CpuState, seg) +
                                                  x86::kCs * sizeof(core::SegmentCache) +
                                                  offsetof(core::SegmentCache, limit));

// EIP := target (checked against the CS limit), retire, leave the block.
void emit_taken(EmitEnv& env, const BlockInsn& bi, uint32_t pending) {
  ax::Assembler& a = env.a;
  const uint32_t raw = bi.next_eip + bi.insn.ops[0].imm;
  const uint32_t target = bi.insn.opsize == 2 ? (raw & 0xFFFF) : raw;
  asmjit::Label fault = a.newLabel();
  a.cmp(ax::dword_ptr(ax::r12, kCsLimit), target);
  a.jb(fault);
  env.pending = pending + 1;
  emit_retire(env, target);
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
  // Beyond the limit: the handler raises #GP(0) with the state untouched.
  a.bind(fault);
  env.pending = pending;
  emit_call_handler(env, bi);
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
}

void emit_jcc(EmitEnv& env, const BlockInsn& bi) {
  if (!branch_inlines(bi.insn)) {
    emit_call_handler(env, bi);
    return;
  }
  ax::Assembler& a = env.a;
  const uint32_t pending = env.pending;
  asmjit::Label taken = a.newLabel();
  // The condition from the guest EFLAGS in ecx (SDM Vol. 1, B.1): the odd
  // codes are the negations of the even ones.
  const unsigned cc = bi.insn.cond & 0xF;
  a.mov(ax::ecx, eflags_mem());
  switch (cc >> 1) {
    case 0: a.and_(ax::ecx, x86::kOF); break;
    case 1: a.and_(ax::ecx, x86::kCF); break;
    case 2: a.and_(ax::ecx, x86::kZF); break;
    case 3: a.and_(ax::ecx, x86::kCF | x86::kZF); break;
    case 4: a.and_(ax::ecx, x86::kSF); break;
    case 5: a.and_(ax::ecx, x86::kPF); break;
    case 6:  // SF != OF: bit 7 of (flags >> 4) ^ flags
    case 7:  // ZF | (SF != OF)
      a.mov(ax::edx, ax::ecx);
      a.shr(ax::edx, 4);
      a.xor_(ax::edx, ax::ecx);
      a.and_(ax::edx, x86::kSF);
      if ((cc >> 1) == 7) {
        a.and_(ax::ecx, x86::kZF);
        a.or_(ax::ecx, ax::edx);
      } else {
        a.mov(ax::ecx, ax::edx);
      }
      break;
  }
  if (cc & 1) a.jz(taken);
  else a.jnz(taken);
  env.pending = pending + 1;
  emit_retire(env, bi.next_eip);
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
  a.bind(taken);
  emit_taken(env, bi, pending);
}

void emit_jmp(EmitEnv& env, const BlockInsn& bi) {
  if (!branch_inlines(bi.insn)) {
    emit_call_handler(env, bi);
    return;
  }
  emit_taken(env, bi, env.pending);
}

}  // namespace

void register_control_transfer(JitTable& t) {
  for (Mnemonic m : {Mnemonic::kJo, Mnemonic::kJno, Mnemonic::kJb, Mnemonic::kJae, Mnemonic::kJe, Mnemonic::kJne,
                     Mnemonic::kJbe, Mnemonic::kJa, Mnemonic::kJs, Mnemonic::kJns, Mnemonic::kJp, Mnemonic::kJnp,
                     Mnemonic::kJl, Mnemonic::kJge, Mnemonic::kJle, Mnemonic::kJg})
    t.set(m, emit_jcc, nullptr);  // nullptr: may fault (#GP), so flags stay live before it
  t.set(Mnemonic::kJmp, emit_jmp, nullptr);
}

}  // namespace tx86::jit
