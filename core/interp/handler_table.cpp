#include "core/interp/handler_table.h"
#include "core/priv/priv.h"

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>

namespace tx86::core::interp {

namespace {

bool not_implemented(ExecContext& c, const Insn& i) {
  const std::string name(x86::mnemonic_name(i.mnemonic));
  c.machine.log_once("unimplemented:" + name, "instruction not implemented: " + name + " (raising #UD)");
  return c.cpu.raise(kUD);
}

HandlerTable build() {
  HandlerTable t;
  register_arithmetic(t);
  register_logic(t);
  register_shift_rotate(t);
  register_bit(t);
  register_data_transfer(t);
  register_stack(t);
  register_control_transfer(t);
  register_string(t);
  register_flags(t);
  register_bcd(t);
  register_misc(t);
  register_privileged(t);
  return t;
}

}  // namespace

HandlerTable::HandlerTable() {
  for (auto& row : table_)
    for (Handler& h : row) h = not_implemented;
}

void HandlerTable::set(x86::Mnemonic m, Handler b, Handler w, Handler d) {
  const size_t k = static_cast<size_t>(m);
  if (set_[k]) {
    // Two groups claiming one mnemonic is a wiring bug in tx86 itself.
    std::fprintf(stderr, "tx86: duplicate interpreter handler for '%s'\n",
                 std::string(x86::mnemonic_name(m)).c_str());
    std::abort();
  }
  set_[k] = true;
  table_[k][0] = b;
  table_[k][1] = w;
  table_[k][2] = d;
}

Handler resolve_handler(const HandlerTable& t, const Insn& i) {
  if (i.mnemonic == x86::Mnemonic::kMov) {
    for (int k = 0; k < 2; ++k) {
      const OperandKind kind = i.ops[k].kind;
      if (kind == OperandKind::kSreg) return mov_sreg;
      if (kind == OperandKind::kCr || kind == OperandKind::kDr || kind == OperandKind::kTr) return priv::mov_special;
    }
  }
  return t.lookup(i);
}

void HandlerTable::set_forms(x86::Mnemonic m, const FormHandlers& h) {
  const auto any = static_cast<size_t>(Form::kAny);
  set(m, h[any][0], h[any][1], h[any][2]);
  if (forms_used_ == std::size(form_storage_)) {
    std::fprintf(stderr, "tx86: too many form-specialised interpreter handlers\n");
    std::abort();
  }
  FormHandlers& slot = form_storage_[forms_used_++];
  for (size_t f = 0; f < static_cast<size_t>(Form::kCount); ++f)
    for (size_t w = 0; w < 3; ++w) slot[f][w] = h[f][w];
  forms_[static_cast<size_t>(m)] = &slot;
}

const HandlerTable& handler_table() {
  static const HandlerTable table = build();
  return table;
}

}  // namespace tx86::core::interp
