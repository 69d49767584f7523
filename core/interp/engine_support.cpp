// See engine_support.h. Mirrors Interpreter::Impl::deliver_exception.
#include "core/interp/engine_support.h"

#include "core/interp/interrupts.h"

namespace tx86::core::interp {

bool deliver_pending_exception(Machine& m, TraceSink* trace) {
  CpuState& s = m.cpu().s;
  const Fault f = m.cpu().fault;
  if (trace != nullptr) trace->on_exception(s, f.vector, f.has_error_code, f.error_code);
  m.clock().retire(1);
  s.halted = false;
  // Exception classes, #DF and the error codes are deliver_exception's.
  if (deliver_exception(m, f)) return true;
  m.log_once("triple-fault", "triple fault: CPU shut down");
  return false;
}

}  // namespace tx86::core::interp
