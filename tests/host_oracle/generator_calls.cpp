// Near CALL and RET, and the ESP-relative POP destination. Control flow
// stays inside the sequence: a CALL always reaches a body that the
// generator wrote in this sequence, that body ends in RET, and RET returns to
// the instruction after the CALL. Return addresses are absolute
// (kCodeAddr + offset), the same natively and in tx86, so the stack bytes
// they leave in the data area are compared like any other data.
#include <algorithm>
#include <cstdint>

#include "tests/host_oracle/families.h"

namespace tx86::oracle {

RmOperand Families::esp_relative_pop_target(unsigned width) {
  // SDM Vol. 2, POP: "If the ESP register is used as a base register for
  // addressing a destination operand in memory, the POP instruction computes
  // the effective address of the operand after it increments the ESP
  // register." The destination is scratch memory or the free stack below
  // the new ESP (which includes the slot just popped); never a live stack
  // entry (a return address or an EFLAGS image that a later POPF loads).
  const uint32_t new_esp = b_.esp() + width;
  const uint32_t free_low = kDataAddr + kScratchBytes;
  uint32_t ea;
  if (b_.esp() >= free_low && rng_.chance(50)) {
    ea = free_low + rng_.below(new_esp - width - free_low + 1);
    if (rng_.chance(40)) ea = b_.esp();  // exactly the popped slot
  } else {
    ea = b_.pick_scratch(width);
  }
  RmOperand rm;
  rm.is_mem = true;
  rm.ea = ea;
  rm.mem.base = kEsp;
  rm.mem.disp = static_cast<int32_t>(ea - new_esp);
  rm.mem.force_disp32 = rng_.chance(20);
  rm.mem.segment_prefix = b_.pick_segment_prefix(true);
  return rm;
}

bool Families::call_ret() {
  // Two layouts:
  //   forward:  [setup] CALL F; JMP done; F: body; RET [n]; done:
  //   backward: JMP over; F: body; RET [n]; over: [setup] CALL F
  // The generator's model follows execution order (CALL, body, RET), not
  // code order; JMP changes neither flags nor registers, so the only thing
  // to get right is the stack model around the body.
  // CALL forms: E8 rel32, FF /2 with a register (MOV r, F first) or with a
  // memory operand (MOV [m], F first; the read may be ESP-relative: the
  // operand is read before the return address is pushed).
  // RET imm16 (C2) also discards the `n` bytes pushed before the CALL
  // (arguments pushed here, or entries that were already on the stack).
  if (in_skip_ || in_frame_ || in_call_) return false;
  auto& stack = b_.stack();
  if (b_.stack_bytes() > 64) return false;
  const unsigned args = rng_.below(3);
  for (unsigned i = 0; i < args; ++i) {
    b_.begin();
    if (rng_.chance(50)) {
      b_.put(0x68);
      b_.put_imm(4, rng_.interesting(4));
    } else {
      b_.put(static_cast<uint8_t>(0x50 + rng_.below(8)));
    }
    b_.finish("push", {}, 0);
    b_.adjust_stack(4);
    stack.push_back({});
  }
  // How many bytes RET discards: the top `k` entries above the floor.
  uint32_t ret_bytes = 0;
  size_t discard = 0;
  if (rng_.chance(50)) {
    const size_t max = stack.size() - stack_floor_;
    discard = max == 0 ? 0 : rng_.below(static_cast<uint32_t>(std::min<size_t>(max, 4) + 1));
    for (size_t i = 0; i < discard; ++i) ret_bytes += stack[stack.size() - 1 - i].bytes;
  }
  const bool with_imm = ret_bytes != 0 || rng_.chance(15);
  const unsigned form = rng_.below(3);  // 0: rel32, 1: register, 2: memory
  const bool forward = rng_.chance(50);

  uint8_t target_reg = 0;
  RmOperand target_mem;
  size_t target_patch = 0;  // where the setup MOV's imm32 (the address of F) is
  // The CALL itself; `f_offset` is known (backward) or patched later (forward).
  auto emit_call = [&](size_t f_offset, bool known) {
    if (form == 1) {
      target_reg = b_.pick_reg(4, true);
      b_.mov_reg32_imm(target_reg, kCodeAddr + static_cast<uint32_t>(f_offset));
      target_patch = b_.code_size() - 4;
      b_.begin();
      b_.put(0xFF);
      b_.put(static_cast<uint8_t>(0xD0 | target_reg));
      b_.finish("call", {}, 0);
    } else if (form == 2) {
      const uint32_t ea = b_.pick_scratch(4);
      RmOperand store;
      store.is_mem = true;
      store.ea = ea;
      store.mem = b_.mem_at(ea, 0, false);
      b_.mov_mem_imm(4, store, kCodeAddr + static_cast<uint32_t>(f_offset));
      target_patch = b_.code_size() - 4;
      target_mem.is_mem = true;
      target_mem.ea = ea;
      // ESP-relative only when the model's ESP is the CALL's (forward:
      // the body's model comes after it).
      target_mem.mem = b_.mem_at(ea, 0, /*read_only=*/forward);
      target_mem.mem.segment_prefix = b_.pick_segment_prefix(false);
      b_.begin();
      put_prefixes(false, &target_mem, 4);
      b_.put(0xFF);
      b_.put_modrm(2, target_mem);
      b_.finish("call", {}, 0);
    } else {
      b_.begin();
      b_.put(0xE8);
      const int32_t rel = known ? static_cast<int32_t>(f_offset - (b_.code_size() + 5)) : 0;
      b_.put_imm(4, static_cast<uint32_t>(rel));
      b_.finish("call", {}, 0);
      target_patch = b_.code_size() - 4;
    }
  };
  auto emit_jmp = [&]() {
    b_.begin();
    b_.put(0xE9);
    b_.put_imm(4, 0);
    b_.finish("jmp", {}, 0);
    return b_.code_size() - 4;
  };
  auto patch_call = [&](size_t f_offset) {
    if (form == 0) b_.patch32(target_patch, static_cast<uint32_t>(f_offset - (target_patch + 4)));
    else b_.patch32(target_patch, kCodeAddr + static_cast<uint32_t>(f_offset));
  };
  // The body: a few ordinary instructions with the return address on the
  // stack; whatever it pushes it pops again before RET.
  auto emit_body = [&]() {
    b_.adjust_stack(4);
    stack.push_back({});
    const size_t saved_floor = stack_floor_;
    stack_floor_ = stack.size();
    in_call_ = true;
    const unsigned n = 1 + rng_.below(4);
    for (unsigned i = 0; i < n; ++i)
      while (!one()) {
      }
    balance_stack_to(stack_floor_);
    in_call_ = false;
    stack_floor_ = saved_floor;
    b_.begin();
    if (with_imm) {
      b_.put(0xC2);
      b_.put_imm(2, ret_bytes);
    } else {
      b_.put(0xC3);
    }
    b_.finish("ret", {}, 0);
    b_.adjust_stack(-4 - static_cast<int32_t>(ret_bytes));
    stack.pop_back();
    for (size_t i = 0; i < discard; ++i) stack.pop_back();
  };

  if (forward) {
    emit_call(0, false);
    const size_t done_patch = emit_jmp();
    const size_t f = b_.code_size();
    patch_call(f);
    emit_body();
    b_.patch32(done_patch, static_cast<uint32_t>(b_.code_size() - (done_patch + 4)));
  } else {
    const size_t over_patch = emit_jmp();
    const size_t f = b_.code_size();
    // The body's model (in execution order after the CALL) is built before
    // the CALL is emitted, so the CALL's operand is never ESP-relative here.
    emit_body();
    b_.patch32(over_patch, static_cast<uint32_t>(b_.code_size() - (over_patch + 4)));
    emit_call(f, true);
  }
  return true;
}

}  // namespace tx86::oracle
