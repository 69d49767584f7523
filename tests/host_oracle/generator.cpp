// generate(): initial state, the weighted family mix and the final stack
// balance. See generator.h for the rules every sequence keeps.
#include "tests/host_oracle/generator.h"

#include <cstdio>
#include <cstdlib>

#include "tests/host_oracle/builder.h"
#include "tests/host_oracle/families.h"

namespace tx86::oracle {

unsigned Families::pick_width() {
  const uint32_t r = rng_.below(4);
  return r == 0 ? 1 : r == 1 ? 2 : 4;
}

unsigned Families::pick_width_wide() { return rng_.chance(35) ? 2 : 4; }

void Families::put_prefixes(bool lock, const RmOperand* rm, unsigned width, uint8_t rep) {
  uint8_t prefixes[4];
  unsigned n = 0;
  if (lock) prefixes[n++] = 0xF0;
  if (rm != nullptr && rm->is_mem && rm->mem.segment_prefix) prefixes[n++] = rm->mem.segment_prefix;
  if (width == 2) prefixes[n++] = 0x66;
  if (rep) prefixes[n++] = rep;
  // Now and then a redundant repeat of the operand-size or segment prefix:
  // legal, ignored by the CPU, and a decoder corner (SDM Vol. 2, 2.1.1).
  uint8_t extra[1];
  unsigned extras = 0;
  if (n > 0 && prefixes[n - 1] != 0xF0 && prefixes[n - 1] != 0xF2 && prefixes[n - 1] != 0xF3 && rng_.chance(5))
    extra[extras++] = prefixes[n - 1];
  if (n > 1 && rng_.chance(30)) {  // shuffle
    for (unsigned i = n - 1; i > 0; --i) {
      unsigned j = rng_.below(i + 1);
      uint8_t t = prefixes[i];
      prefixes[i] = prefixes[j];
      prefixes[j] = t;
    }
  }
  for (unsigned i = 0; i < extras; ++i) b_.put(extra[i]);
  for (unsigned i = 0; i < n; ++i) b_.put(prefixes[i]);
}

int Families::pick_condition() {
  for (int tries = 0; tries < 8; ++tries) {
    unsigned cc = rng_.below(16);
    if (b_.defined(condition_reads(cc))) return static_cast<int>(cc);
  }
  return -1;
}

bool Families::one() {
  struct Entry {
    bool (Families::*fn)();
    unsigned weight;
  };
  static constexpr Entry kMix[] = {
      {&Families::alu, 16},        {&Families::inc_dec_neg_not, 5}, {&Families::shift_rotate, 9},
      {&Families::double_shift, 3}, {&Families::multiply, 5},       {&Families::divide, 4},
      {&Families::bit_test, 4},    {&Families::bit_scan, 2},        {&Families::bcd, 4},
      {&Families::set_cmov, 5},    {&Families::string_op, 5},       {&Families::exchange, 5},
      {&Families::convert, 2},     {&Families::extend_move, 3},     {&Families::lea, 3},
      {&Families::bswap, 1},       {&Families::lahf_sahf, 2},       {&Families::flag_op, 3},
      {&Families::mov, 3},         {&Families::push_pop, 4},        {&Families::skip_branch, 3},
      {&Families::xlat, 1},        {&Families::cmpxchg8b, 1},       {&Families::pushad_popad, 1},
      {&Families::self_modify, 2},   {&Families::enter_leave, 2},     {&Families::arpl, 1},
      {&Families::long_nop, 1},    {&Families::call_ret, 3},
  };
  unsigned total = 0;
  for (const Entry& e : kMix) total += e.weight;
  unsigned r = rng_.below(total);
  for (const Entry& e : kMix) {
    if (r < e.weight) {
      if (!(this->*e.fn)()) return false;
      if (!in_skip_ && rng_.chance(25)) observe_flags();
      return true;
    }
    r -= e.weight;
  }
  return false;
}

void Families::observe_flags() {
  if (b_.defined(kStatusFlags) && b_.stack_bytes() < 64 && rng_.chance(50)) {
    b_.begin();
    b_.put(0x9C);
    b_.finish("pushfd", {kStatusFlags, 0, 0}, 0);
    const uint8_t r = b_.pick_reg(4, true);
    b_.begin();
    b_.put(static_cast<uint8_t>(0x58 + r));
    b_.finish("pop", {}, bit(r));
    return;
  }
  const int cc = pick_condition();
  if (cc < 0) return;
  const uint8_t r = b_.pick_reg(1, true);
  b_.begin();
  b_.put(0x0F);
  b_.put(static_cast<uint8_t>(0x90 + cc));
  b_.put(static_cast<uint8_t>(0xC0 | r));
  b_.finish(std::string("set") + condition_name(static_cast<unsigned>(cc)), {condition_reads(static_cast<unsigned>(cc)), 0, 0},
            bit(reg8_owner(r)));
}

void Families::balance_stack_to(size_t depth) {
  auto& stack = b_.stack();
  while (stack.size() > depth) {
    const unsigned w = stack.back().bytes;
    uint8_t r = b_.pick_reg(w, true);
    b_.begin();
    b_.put_opsize(w);
    b_.put(static_cast<uint8_t>(0x58 + r));
    b_.finish("pop", {}, bit(r));
    b_.adjust_stack(-static_cast<int32_t>(w));
    stack.pop_back();
  }
}

uint64_t sequence_seed(uint64_t run_seed, uint64_t index) {
  Rng mix(run_seed ^ (index * 0xD1B54A32D192ED03ull));
  return mix.next();
}

Sequence generate(uint64_t seed, const GeneratorOptions& options) {
  Sequence s;
  s.seed = seed;
  Rng rng(seed);
  for (uint32_t& r : s.gpr) r = rng.interesting(4);
  s.gpr[kEsp] = kStackTop;
  const uint32_t base_choice = rng.below(5);
  if (base_choice < 4) {
    s.reserved_base = base_choice < 2 ? kEbx : kEbp;
    // Centred so that disp8 reaches the scratch area both ways.
    s.gpr[s.reserved_base] = kDataAddr + 0x80 + rng.below(kScratchBytes - 0x100 + 1);
  }
  s.eflags = 0x202 | (rng.u32() & (kStatusFlags | kFlagDf));
  s.cpl3 = rng.chance(50) || options.all_cpl3;
  for (uint8_t& byte : s.data) byte = rng.chance(20) ? static_cast<uint8_t>(rng.interesting(1)) : static_cast<uint8_t>(rng.u32());

  SequenceBuilder builder(rng, s);
  Families families(builder, options);
  const unsigned n = options.min_insns + rng.below(options.max_insns - options.min_insns + 1);
  for (unsigned i = 0; i < n; ++i)
    while (!families.one()) {
    }
  families.balance_stack();
  if (options.faults && rng.chance(40)) {
    families.last_fault();
    s.may_fault = true;
  }
  s.undefined_flags = builder.undefined();
  if (s.code.size() > kMaxSequenceBytes || builder.esp() != kStackTop) {
    std::fprintf(stderr, "host_oracle generator: seed %#llx: %zu bytes, ESP %#x\n",
                 static_cast<unsigned long long>(seed), s.code.size(), builder.esp());
    std::abort();
  }
  return s;
}

}  // namespace tx86::oracle
