/* The contract between the host-CPU oracle test (64-bit, C++) and its native
 * helper (a 32-bit C program, tests/host_oracle/native_helper.c): where the
 * code, data and stack live in both address spaces, and the records that go
 * through the pipe between them.
 *
 * Plain C so that the -m32 helper can include it; hence macros instead of
 * constexpr. Every field is a uint32_t or uint8_t array, so the layout is the
 * same for the i386 and the x86-64 ABI (checked by static asserts on both
 * sides).
 */
#ifndef TX86_TESTS_HOST_ORACLE_ORACLE_ABI_H
#define TX86_TESTS_HOST_ORACLE_ORACLE_ABI_H

#include <stdint.h>

/* Guest linear (= physical in tx86, = virtual in the helper) layout. Low
 * addresses are free in a static non-PIE i386 process (its image starts at
 * 0x08048000) and sit above tx86's legacy hole (0xA0000..0x100000).
 *
 * Both areas straddle a page boundary on purpose: code starts 64 bytes before
 * the end of its first page, so instructions cross into the next page (decode
 * across pages), and the scratch area crosses a page at its offset 0x200
 * (memory accesses split between two pages). */
#define ORACLE_CODE_MAP 0x00200000u     /* two pages, read/write/execute in the helper */
#define ORACLE_CODE_MAP_BYTES 0x2000u
#define ORACLE_CODE_ADDR 0x00200FC0u
#define ORACLE_MAX_SEQUENCE_BYTES 0xF00u /* leaves room for the exit jump / HLT */
#define ORACLE_DATA_MAP 0x0020F000u     /* two pages, read/write in the helper */
#define ORACLE_DATA_MAP_BYTES 0x2000u
#define ORACLE_DATA_ADDR 0x0020FE00u
#define ORACLE_DATA_BYTES 0x400u       /* compared after every run */
#define ORACLE_SCRATCH_BYTES 0x300u    /* [DATA, DATA+SCRATCH): memory operands */
#define ORACLE_STACK_TOP (ORACLE_DATA_ADDR + ORACLE_DATA_BYTES) /* stack: the rest */
#define ORACLE_RAM_BYTES (4u << 20)    /* tx86 RAM that covers all of the above */
/* A read-only page (sequences of the ring-3 mode read it, or fault writing
 * it) filled with ORACLE_RO_BYTE(offset); mapped read-only natively and by
 * the ring-3 kernel (guests/tests/oracle_ring3.c). Page 0 is never mapped on
 * either side (not-present #PF). */
#define ORACLE_RO_PAGE 0x00220000u
#define ORACLE_RO_BYTE(i) ((uint8_t)((i) * 37u + 11u))

/* One sequence, parent -> helper; followed by code_bytes bytes of code. */
struct OracleInput {
  uint32_t code_bytes;
  uint32_t trace; /* nonzero: single-step it (TF) and send the steps too */
  uint32_t gpr[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
  uint32_t eflags;
  uint8_t data[ORACLE_DATA_BYTES];
};

/* One result, helper -> parent. */
struct OracleOutput {
  uint32_t signal; /* 0: ran to the end; else the host signal that stopped it */
  uint32_t fault_eip;
  /* When signal != 0: the CPU exception behind it (the kernel's sigcontext
   * trapno, err and cr2), and gpr/eflags below are the state it reported
   * (before a fault, after a trap). */
  uint32_t trapno;
  uint32_t error_code;
  uint32_t cr2;
  uint32_t gpr[8];
  uint32_t eflags;
  uint8_t data[ORACLE_DATA_BYTES];
};

/* The state after one single-stepped instruction (the first record is the
 * state at the first instruction). TF is masked out of eflags. */
struct OracleStep {
  uint32_t eip;
  uint32_t gpr[8];
  uint32_t eflags;
};
#define ORACLE_MAX_STEPS 4096u

/* A batch: uint32_t count, then count inputs; the helper answers with count
 * outputs, each followed, if its input asked for a trace, by uint32_t n and n
 * OracleSteps. count == 0 ends the helper. */

#endif
