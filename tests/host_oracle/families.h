// The instruction families the oracle generates, one method each. Every
// method either appends a complete instruction (with its setup MOVs) and
// returns true, or appends nothing and returns false (the flags it would read
// are undefined right now, or the family does not apply); the caller then
// picks another family.
#pragma once

#include "tests/host_oracle/builder.h"

namespace tx86::oracle {

class Families {
 public:
  Families(SequenceBuilder& b, const GeneratorOptions& options) : b_(b), rng_(b.rng()), options_(options) {}

  // One random instruction from the weighted mix; false if it did not fit.
  bool one();
  // POPs whatever is still pushed, so that ESP ends where it started.
  void balance_stack() { balance_stack_to(0); }

  // generator_arith.cpp
  bool alu();
  bool inc_dec_neg_not();
  bool shift_rotate();
  bool double_shift();
  bool multiply();
  bool divide();
  bool bit_test();
  bool bit_scan();
  bool bcd();

  // generator_misc.cpp
  bool set_cmov();
  bool string_op();
  bool exchange();
  bool convert();
  bool extend_move();
  bool lea();
  bool bswap();
  bool lahf_sahf();
  bool flag_op();
  bool mov();
  bool push_pop();
  bool skip_branch();
  bool xlat();
  bool cmpxchg8b();
  bool pushad_popad();
  bool self_modify();
  bool enter_leave();
  bool arpl();
  bool long_nop();

  // generator_calls.cpp
  bool call_ret();

  // generator_faults.cpp: one last instruction that may raise an exception
  // (GeneratorOptions::faults).
  void last_fault();
  // Copies the defined status flags into a register (PUSHFD+POP or SETcc),
  // so that the end state shows flags that later instructions overwrite.
  void observe_flags();

 private:
  unsigned pick_width();      // 1, 2 or 4
  unsigned pick_width_wide(); // 2 or 4
  // Writes-mask of register operand `reg` of `width` (8-bit numbering for 1).
  static RegMask reg_mask(unsigned width, uint8_t reg) {
    return bit(width == 1 ? reg8_owner(reg) : reg);
  }
  static RegMask rm_mask(unsigned width, const RmOperand& rm) {
    return rm.is_mem ? 0 : reg_mask(width, rm.reg);
  }
  // LOCK, segment, operand-size and REP prefixes in a random order (any
  // order is legal: SDM Vol. 2, 2.1.1).
  void put_prefixes(bool lock, const RmOperand* rm, unsigned width, uint8_t rep = 0);
  // A condition code whose flags are defined, or -1.
  int pick_condition();
  // POPs model stack entries until `depth` remain.
  void balance_stack_to(size_t depth);
  // A POP destination in memory addressed from ESP (SDM Vol. 2, POP: the
  // address is computed after ESP is incremented by `width`).
  RmOperand esp_relative_pop_target(unsigned width);

  SequenceBuilder& b_;
  Rng& rng_;
  const GeneratorOptions& options_;
  bool in_skip_ = false;  // inside a block a branch may skip (no PUSH/POP, no DF change)
  bool in_frame_ = false; // between ENTER and LEAVE (no PUSH/POP, EBP pinned)
  bool in_call_ = false;  // in a called body (no nested CALL)
  size_t stack_floor_ = 0; // model entries a POP may not take (a return address and below)
};

}  // namespace tx86::oracle
