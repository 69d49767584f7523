/* The mailbox between the ring-3 oracle kernel (oracle_ring3.c) and the
 * harness that boots it in-process (tests/host_oracle/ring3_main.cpp).
 *
 * The harness loads the kernel, runs it until it halts (ready), then for
 * every batch: writes the inputs and the count, clears the CPU's halted
 * state and runs it until it halts again; the kernel has then run every
 * sequence at CPL 3 and written one result per input. Plain C with fixed-
 * width fields only, so that the i386 kernel and the x86-64 harness agree.
 *
 * Guest layout: the mailbox lives in three supervisor-only 4 MiB pages (PSE)
 * at 4..16 MiB; the oracle's code, data and read-only pages (oracle_abi.h)
 * are user pages of 4 KiB; page 0 is not present. */
#ifndef TX86_GUESTS_TESTS_ORACLE_RING3_H
#define TX86_GUESTS_TESTS_ORACLE_RING3_H

#include <stdint.h>

#include "../../tests/host_oracle/oracle_abi.h"

#define R3_RAM_BYTES (32u << 20)
#define R3_MAILBOX 0x00400000u
#define R3_MAILBOX_BYTES 0x00C00000u /* 4..16 MiB: PDEs 1-3, 4 MiB pages */
#define R3_MAGIC_READY 0x52334F4Bu   /* "KO3R": the kernel's tables and paging are set up */
#define R3_END_VECTOR 0x41u          /* INT 0x41 (DPL 3) after each sequence */
#define R3_MAX_BATCH 1200u

struct R3Header {
  uint32_t magic;     /* kernel: R3_MAGIC_READY once ready */
  uint32_t count;     /* harness: inputs in this batch */
  uint32_t completed; /* kernel: results written (== count when done) */
  uint32_t reserved;
};

struct R3Input {
  uint32_t code_bytes;
  uint32_t gpr[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
  uint32_t eflags;
  uint8_t data[ORACLE_DATA_BYTES];
  uint8_t code[ORACLE_MAX_SEQUENCE_BYTES];
};

/* The exception (or INT 0x41) that ended the sequence, from the ring-0
 * handler's frame: EFLAGS, EIP, CS and SS:ESP are the ring-3 values the CPU
 * pushed; the other registers are what the handler found. */
struct R3Result {
  uint32_t vector;
  uint32_t error_code;
  uint32_t eip;
  uint32_t cs;
  uint32_t ss;
  uint32_t cr2;
  uint32_t gpr[8];
  uint32_t eflags;
  uint8_t data[ORACLE_DATA_BYTES];
};

#define R3_INPUTS (R3_MAILBOX + 0x1000u)
#define R3_RESULTS (R3_INPUTS + R3_MAX_BATCH * (uint32_t)sizeof(struct R3Input))

#ifdef __cplusplus
#define R3_STATIC_ASSERT static_assert
#else
#define R3_STATIC_ASSERT _Static_assert
#endif
R3_STATIC_ASSERT(sizeof(struct R3Input) == 40 + ORACLE_DATA_BYTES + ORACLE_MAX_SEQUENCE_BYTES, "R3Input layout");
R3_STATIC_ASSERT(sizeof(struct R3Result) == 60 + ORACLE_DATA_BYTES, "R3Result layout");

#endif
