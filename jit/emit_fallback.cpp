// See emit_fallback.h.
#include "jit/emit_fallback.h"

namespace tx86::jit {

namespace ax = asmjit::x86;

asmjit::Label emit_handler_fallback(EmitEnv& env, const BlockInsn& bi) {
  const asmjit::Label at = env.a.newLabel();
  EmitEnv* e = &env;
  const BlockInsn* b = &bi;
  const RegCache rc = env.rc;
  const uint32_t pending = env.pending;
  env.cold->push_back([e, b, at, rc, pending] {
    const RegCache saved_rc = e->rc;
    const uint32_t saved = e->pending;
    e->a.bind(at);
    e->rc = rc;
    e->pending = pending;
    emit_call_handler(*e, *b);  // a fault leaves through the exit
    // The handler retired the instruction and set EIP after it; the
    // dispatcher goes on from there (the CpuState is the guest's).
    e->a.mov(ax::eax, kExitEnd);
    e->a.jmp(e->exit);
    e->rc = saved_rc;
    e->pending = saved;
  });
  return at;
}

}  // namespace tx86::jit
