/* Control-flow sections: indirect calls through a function-pointer table,
 * and a small stack-bytecode interpreter with switch dispatch (GCC compiles
 * it to an indirect jump through a table). */
#include "sections.h"

/* ---- indirect_call: 1024 calls per unit through an 8-entry table -------- */
typedef uint32_t (*op_fn)(uint32_t acc, uint32_t x);

__attribute__((noinline)) static uint32_t op0(uint32_t a, uint32_t x) { return a + x; }
__attribute__((noinline)) static uint32_t op1(uint32_t a, uint32_t x) { return a ^ (x * 3); }
__attribute__((noinline)) static uint32_t op2(uint32_t a, uint32_t x) { return (a << 3) ^ (a >> 29) ^ x; }
__attribute__((noinline)) static uint32_t op3(uint32_t a, uint32_t x) { return a - (x | 1); }
__attribute__((noinline)) static uint32_t op4(uint32_t a, uint32_t x) { return a * 0x01000193u + x; }
__attribute__((noinline)) static uint32_t op5(uint32_t a, uint32_t x) { return ~a + (x >> 2); }
__attribute__((noinline)) static uint32_t op6(uint32_t a, uint32_t x) { return ((a >> 7) | (a << 25)) + (x & 1); }
__attribute__((noinline)) static uint32_t op7(uint32_t a, uint32_t x) { return a & x ? a ^ x : a + 0x9E3779B9u; }

/* Volatile, so that GCC cannot see through the table and inline the calls. */
static op_fn volatile op_table[8] = {op0, op1, op2, op3, op4, op5, op6, op7};

uint32_t sec_indirect_call(uint32_t iters) {
  uint32_t acc = 1;
  for (uint32_t u = 0; u < iters; ++u)
    for (uint32_t i = 0; i < 1024; ++i) acc = op_table[(acc ^ i) & 7](acc, i + u);
  return acc;
}

/* ---- bytecode: a stack machine running a fixed program ------------------- */
enum {
  BC_PUSH, /* imm follows */
  BC_LOAD, /* local index follows */
  BC_STORE,
  BC_ADD,
  BC_SUB,
  BC_MUL,
  BC_XOR,
  BC_SHR, /* imm follows */
  BC_DUP,
  BC_JNZ, /* absolute target follows; pops */
  BC_HALT,
};

/* locals: 0 = counter, 1 = a, 2 = b. Per loop:
 *   a = a * 33 ^ b;  b = b + (a >> 3);  counter = counter - 1;  loop while counter != 0 */
static const uint32_t bc_program[] = {
    /* 0 */ BC_LOAD, 1, BC_PUSH, 33, BC_MUL, BC_LOAD, 2, BC_XOR, BC_STORE, 1,
    /* 10 */ BC_LOAD, 2, BC_LOAD, 1, BC_SHR, 3, BC_ADD, BC_STORE, 2,
    /* 19 */ BC_LOAD, 0, BC_PUSH, 1, BC_SUB, BC_DUP, BC_STORE, 0, BC_JNZ, 0,
    /* 29 */ BC_HALT,
};

static uint32_t bc_run(const uint32_t *code, uint32_t *locals) {
  uint32_t stack[16];
  uint32_t sp = 0, pc = 0;
  for (;;) {
    const uint32_t op = code[pc++];
    switch (op) {
      case BC_PUSH: stack[sp++] = code[pc++]; break;
      case BC_LOAD: stack[sp++] = locals[code[pc++]]; break;
      case BC_STORE: locals[code[pc++]] = stack[--sp]; break;
      case BC_ADD: --sp; stack[sp - 1] += stack[sp]; break;
      case BC_SUB: --sp; stack[sp - 1] -= stack[sp]; break;
      case BC_MUL: --sp; stack[sp - 1] *= stack[sp]; break;
      case BC_XOR: --sp; stack[sp - 1] ^= stack[sp]; break;
      case BC_SHR: stack[sp - 1] >>= code[pc++] & 31; break;
      case BC_DUP: stack[sp] = stack[sp - 1]; ++sp; break;
      case BC_JNZ: {
        const uint32_t target = code[pc++];
        if (stack[--sp]) pc = target;
        break;
      }
      case BC_HALT: return locals[1] ^ locals[2];
      default: return 0xDEADBEEFu;
    }
    sp &= 15; /* keeps a broken program inside the array */
  }
}

uint32_t sec_bytecode(uint32_t iters) {
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    uint32_t locals[3] = {256, u, 0x1234};
    h = (h * 31) ^ bc_run(bc_program, locals);
  }
  return h;
}
