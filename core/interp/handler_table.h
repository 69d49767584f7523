// The interpreter's dispatch table: one handler per (mnemonic, operand width),
// built once from the per-group registration functions (Dolphin's table
// style, STYLE.md). Every entry starts at a "not implemented" handler that
// raises #UD and logs once; registering a mnemonic twice is a start-up error.
#pragma once

#include "core/interp/exec_context.h"

namespace tx86::core::interp {

class HandlerTable {
 public:
  HandlerTable();

  // One handler for every width.
  void set(x86::Mnemonic m, Handler all) { set(m, all, all, all); }
  // Handlers for 8-, 16- and 32-bit main operand width.
  void set(x86::Mnemonic m, Handler b, Handler w, Handler d);

  // Handlers per operand form (Form) and width; the kAny row is the one
  // set() would register.
  using FormHandlers = Handler[static_cast<size_t>(Form::kCount)][3];
  void set_forms(x86::Mnemonic m, const FormHandlers& h);

  Handler lookup(const Insn& i) const {
    const unsigned w = i.width ? i.width : i.opsize;
    const unsigned wi = w == 1 ? 0 : (w == 2 ? 1 : 2);
    const size_t k = static_cast<size_t>(i.mnemonic);
    const Form f = form_of(i);
    if (f != Form::kAny && forms_[k] != nullptr) return (*forms_[k])[static_cast<size_t>(f)][wi];
    return table_[k][wi];
  }
  bool implemented(x86::Mnemonic m) const { return set_[static_cast<size_t>(m)]; }

 private:
  Handler table_[static_cast<size_t>(x86::Mnemonic::kCount)][3];
  const FormHandlers* forms_[static_cast<size_t>(x86::Mnemonic::kCount)] = {};
  FormHandlers form_storage_[16] = {};
  size_t forms_used_ = 0;
  bool set_[static_cast<size_t>(x86::Mnemonic::kCount)] = {};
};

// The table, built on first use and immutable afterwards.
const HandlerTable& handler_table();

// The handler for one decoded instruction: the table entry, except for the
// MOV forms with a segment, control, debug or test register operand, which
// are picked here once at decode time so that plain MOV stays lean.
Handler resolve_handler(const HandlerTable& t, const Insn& i);

// MOV Sreg, r/m and MOV r/m, Sreg (data_transfer.cpp).
bool mov_sreg(ExecContext& c, const Insn& i);

// The handler set of one operation instantiated for every form and width:
// H::run<Form, T> is the handler.
template <class H>
void set_formed(HandlerTable& t, x86::Mnemonic m) {
  using F = Form;
  const HandlerTable::FormHandlers h = {
      {H::template run<F::kAny, uint8_t>, H::template run<F::kAny, uint16_t>, H::template run<F::kAny, uint32_t>},
      {H::template run<F::kRegReg, uint8_t>, H::template run<F::kRegReg, uint16_t>,
       H::template run<F::kRegReg, uint32_t>},
      {H::template run<F::kRegImm, uint8_t>, H::template run<F::kRegImm, uint16_t>,
       H::template run<F::kRegImm, uint32_t>},
  };
  t.set_forms(m, h);
}

// Registration, one function per instruction group (core/interp/<group>.cpp).
void register_arithmetic(HandlerTable& t);
void register_logic(HandlerTable& t);
void register_shift_rotate(HandlerTable& t);
void register_bit(HandlerTable& t);
void register_data_transfer(HandlerTable& t);
void register_stack(HandlerTable& t);
void register_control_transfer(HandlerTable& t);
void register_string(HandlerTable& t);
void register_flags(HandlerTable& t);
void register_bcd(HandlerTable& t);
void register_misc(HandlerTable& t);
// Privileged and sensitive instructions (core/priv/).
void register_privileged(HandlerTable& t);

}  // namespace tx86::core::interp
