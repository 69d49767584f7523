// See emit_chain.h.
#include "jit/emit_chain.h"

#include <cstddef>

#include "jit/jit_context.h"

namespace tx86::jit {

namespace ax = asmjit::x86;
using asmjit::imm;

namespace {

ax::Mem chain_field(size_t off) { return ax::qword_ptr(ax::rbx, static_cast<int32_t>(off)); }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
constexpr int32_t kCurrentOff = static_cast<int32_t>(offsetof(JitContext, current));
constexpr int32_t kIndirectOff = static_cast<int32_t>(offsetof(JitContext, indirect));
#pragma GCC diagnostic pop
constexpr int32_t kEipOff = static_cast<int32_t>(offsetof(core::CpuState, eip));
constexpr int32_t kCsBaseOff = static_cast<int32_t>(offsetof(core::CpuState, seg) +
                                                    x86::kCs * sizeof(core::SegmentCache) +
                                                    offsetof(core::SegmentCache, base));
// JitContext::current := rcx (a Block*); on to its body.
void emit_enter_block(ax::Assembler& a) {
  a.mov(ax::qword_ptr(ax::rbx, kCurrentOff), ax::rcx);
  a.jmp(ax::qword_ptr(ax::rcx, static_cast<int32_t>(offsetof(Block, body))));
}

}  // namespace

void emit_direct_exit(EmitEnv& env, ChainSlot& slot, uint32_t /*target*/) {
  ax::Assembler& a = env.a;
  // A copy of the register state writes them back: this exit may sit on one
  // path of a branch, and the state must stay as it was for the others.
  RegCache at_exit = env.rc;
  at_exit.emit_flush(a);
  asmjit::Label miss = a.newLabel();
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&slot)));
  a.mov(ax::rcx, chain_field(offsetof(ChainState, epoch)));
  a.cmp(ax::rcx, ax::qword_ptr(ax::rax, offsetof(ChainSlot, epoch)));
  a.jne(miss);
  a.mov(ax::rcx, retired_mem(env));
  a.add(ax::rcx, ax::qword_ptr(ax::rax, offsetof(ChainSlot, count)));
  a.cmp(ax::rcx, chain_field(offsetof(ChainState, deadline)));
  a.ja(miss);
  a.inc(chain_field(offsetof(ChainState, direct_runs)));
  a.mov(ax::rcx, ax::qword_ptr(ax::rax, offsetof(ChainSlot, block)));
  emit_enter_block(a);
  a.bind(miss);
  a.mov(chain_field(offsetof(ChainState, missed)), ax::rax);
  a.mov(ax::eax, kExitEnd);
  a.jmp(env.exit);
}

void emit_indirect_exit(EmitEnv& env, bool eip_in_eax) {
  ax::Assembler& a = env.a;
  if (eip_in_eax) a.mov(ax::edx, ax::eax);  // before the flush, which may clobber rax
  env.rc.emit_flush(a);
  // chain_lookup's test inline: the entry of linear EIP (CS.base + EIP),
  // made in this epoch, for this block's mode, whose block fits before the
  // deadline. The mode is this block's key mode, a constant: an
  // instruction that changes any mode bit ends its block and is never
  // followed by this exit (RET, JMP/CALL r/m are near transfers). CS base
  // and limit are part of what the epoch's links were made under
  // (LinkSignature), so an entry of this epoch was made under the same
  // ones: its block starts at EIP (same linear address, same base) and the
  // dispatcher fills entries only for blocks that end within the limit
  // (JitEngine::lookup_or_translate). A miss asks chain_lookup.
  static_assert(sizeof(IndirectEntry) == 24, "the index is scaled by 3 * 8 below");
  asmjit::Label miss = a.newLabel();
  if (!eip_in_eax) a.mov(ax::edx, ax::dword_ptr(ax::r12, kEipOff));
  a.add(ax::edx, ax::dword_ptr(ax::r12, kCsBaseOff));  // linear
  a.mov(ax::ecx, ax::edx);  // indirect_index(linear)
  a.shr(ax::ecx, 12);
  a.xor_(ax::ecx, ax::edx);
  a.and_(ax::ecx, static_cast<uint32_t>(kIndirectEntries - 1));
  a.lea(ax::ecx, ax::ptr(ax::rcx, ax::rcx, 1));
  a.lea(ax::rcx, ax::ptr(ax::rbx, ax::rcx, 3, kIndirectOff));
  a.cmp(ax::edx, ax::dword_ptr(ax::rcx, offsetof(IndirectEntry, linear)));
  a.jne(miss);
  a.cmp(ax::dword_ptr(ax::rcx, offsetof(IndirectEntry, mode)), env.block.key.mode);
  a.jne(miss);
  a.mov(ax::rdx, chain_field(offsetof(ChainState, epoch)));
  a.cmp(ax::rdx, ax::qword_ptr(ax::rcx, offsetof(IndirectEntry, epoch)));
  a.jne(miss);
  a.mov(ax::rcx, ax::qword_ptr(ax::rcx, offsetof(IndirectEntry, block)));
  a.mov(ax::rax, retired_mem(env));
  a.add(ax::rax, ax::qword_ptr(ax::rcx, offsetof(Block, count)));
  a.cmp(ax::rax, chain_field(offsetof(ChainState, deadline)));
  a.ja(miss);
  a.inc(chain_field(offsetof(ChainState, indirect_runs)));
  emit_enter_block(a);
  a.bind(miss);
  a.mov(ax::rdi, ax::rbx);
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&chain_lookup)));
  a.call(ax::rax);
  a.cmp(ax::eax, kExitChain);
  a.jne(env.exit);  // kExitEnd
  a.mov(ax::rcx, ax::qword_ptr(ax::rbx, kCurrentOff));
  emit_enter_block(a);
}

void emit_branch_handler(EmitEnv& env, const BlockInsn& bi) {
  ax::Assembler& a = env.a;
  env.rc.emit_flush(a);
  a.mov(ax::rdi, ax::rbx);
  a.movabs(ax::rsi, imm(reinterpret_cast<uint64_t>(&bi)));
  a.mov(ax::edx, env.pending);
  env.pending = 0;
  a.movabs(ax::rax, imm(reinterpret_cast<uint64_t>(&exec_branch_thunk)));
  a.call(ax::rax);
  env.rc.handed_over();
  a.test(ax::eax, ax::eax);
  a.jnz(env.exit);
}

}  // namespace tx86::jit
