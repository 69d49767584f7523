/* Debug registers: DR0-DR3 instruction and data breakpoints (R/W and LEN
 * encodings), DR6 status bits, single-step (TF), RF, DR7.GD, and DR4/DR5
 * aliasing.
 *
 * Sources: SDM Vol. 3A 17.2.1-17.2.5 (DR0-DR7 layout; DR6 B0-B3 bits 0-3,
 * BD bit 13, BS bit 14, reserved bits; DR7 L0-L3 G0-G3, GD bit 13, R/W
 * 00 execute / 01 write / 11 read-write, LEN 00 1 byte / 01 2 bytes / 11 4
 * bytes; DR4/DR5 alias DR6/DR7 when CR4.DE = 0 and are #UD when DE = 1),
 * 17.2.4 (the processor clears GD on entry to the #DB handler), 17.3.1.1
 * (instruction breakpoint: fault, EIP = the instruction; RF = 1 suppresses
 * it for one instruction), 17.3.1.2 (data breakpoint: trap, EIP after the
 * access), 17.3.1.3 (general-detect: fault with BD), 17.3.1.4 (single-step:
 * trap after each instruction with BS; after a POPF that sets TF the first
 * trap follows the next instruction), 6.12.1.2 (interrupt and trap gates
 * clear TF, so the handler is not single-stepped). */
#include "lib/runtime.h"

const char test_area[] = "debug";

#define DR6_B0 0x1u
#define DR6_B1 0x2u
#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR7_GD (1u << 13)
#define EFL_TF (1u << 8)
#define EFL_RF (1u << 16)
#define CR4_DE (1u << 3)
/* DR7 enable and R/W-LEN fields for breakpoint n. */
#define DR7_L(n) (1u << (2 * (n)))
#define DR7_RWLEN(n, rw, len) ((((uint32_t)(len) << 2) | (uint32_t)(rw)) << (16 + 4 * (n)))

volatile uint32_t watched[4] __attribute__((aligned(16)));
extern char dbg_insn[], dbg_after_insn[], dbg_write_next[], dbg_read_next[], dbg_step1[], dbg_step2[],
    dbg_step3[], dbg_step4[], dbg_mov_dr[];
void dbg_exec(void), dbg_write(void), dbg_read(void), dbg_step(void), dbg_movdr(void);
__asm__(
    ".text\n"
    "dbg_exec: nop\n dbg_insn: mov $7, %eax\n dbg_after_insn: ret\n"
    "dbg_write: movl $1, watched\n dbg_write_next: ret\n"
    "dbg_read: movl watched, %eax\n dbg_read_next: ret\n"
    /* POPF sets TF: traps after step1's instruction, step2's, step3's. */
    "dbg_step: pushf\n orl $0x100, (%esp)\n popf\n dbg_step1: nop\n dbg_step2: nop\n dbg_step3: nop\n"
    " dbg_step4: ret\n"
    "dbg_movdr: xor %eax, %eax\n dbg_mov_dr: mov %eax, %db0\n ret\n");

/* #DB hook: records each hit; for instruction breakpoints resumes with RF,
 * for single-step clears TF after `steps_left` hits. */
static volatile uint32_t hits, hit_eip[8], hit_dr6[8], hit_dr7, steps_left, set_rf;
static int db_hook(struct trap_frame *f) {
  if (hits < 8) {
    hit_eip[hits] = f->eip;
    hit_dr6[hits] = READ_DR(6);
  }
  hit_dr7 = READ_DR(7);
  ++hits;
  WRITE_DR(6, 0); /* DR6 bits are sticky: the handler clears them */
  if (set_rf) f->eflags |= EFL_RF;
  if (steps_left && --steps_left == 0) f->eflags &= ~EFL_TF;
  return 1;
}
static void reset_hits(void) {
  hits = 0;
  for (int i = 0; i < 8; ++i) hit_eip[i] = hit_dr6[i] = 0;
  steps_left = 0;
  set_rf = 0;
  WRITE_DR(6, 0);
}

void test_main(void) {
  set_trap_hook(1, db_hook);

  /* DR6/DR7 fixed bits (17.2.3, 17.2.4). */
  WRITE_DR(6, 0);
  check_eq("DR6 reserved bits read as 1 after writing 0", 0xFFFF0FF0, READ_DR(6));
  WRITE_DR(7, 0);
  check_eq("DR7 bit 10 reads as 1 after writing 0", 0x400, READ_DR(7));

  /* Instruction breakpoint (fault), resumed with RF. */
  reset_hits();
  set_rf = 1;
  WRITE_DR(0, dbg_insn);
  WRITE_DR(7, DR7_L(0) | DR7_RWLEN(0, 0, 0));
  dbg_exec();
  WRITE_DR(7, 0);
  check_eq("instruction breakpoint: one #DB (RF suppresses it on resume)", 1, hits);
  check_eq("instruction breakpoint: fault, EIP = the instruction", (uint32_t)dbg_insn, hit_eip[0]);
  check_eq("instruction breakpoint: DR6.B0", DR6_B0, hit_dr6[0] & DR6_B0);
  check_eq("instruction breakpoint: DR6.BS clear", 0, hit_dr6[0] & DR6_BS);
  reset_hits();
  dbg_exec();
  check_eq("instruction breakpoint disabled in DR7: no #DB", 0, hits);

  /* Data breakpoints (traps). */
  reset_hits();
  WRITE_DR(1, &watched[0]);
  WRITE_DR(7, DR7_L(1) | DR7_RWLEN(1, 1, 3)); /* write, 4 bytes */
  dbg_write();
  check_eq("write breakpoint: one #DB on the write", 1, hits);
  check_eq("write breakpoint: trap, EIP after the write", (uint32_t)dbg_write_next, hit_eip[0]);
  check_eq("write breakpoint: DR6.B1", DR6_B1, hit_dr6[0] & DR6_B1);
  check_eq("write breakpoint: the write happened", 1, watched[0]);
  reset_hits();
  dbg_read();
  check_eq("write breakpoint: a read does not trigger", 0, hits);
  WRITE_DR(7, DR7_L(1) | DR7_RWLEN(1, 3, 3)); /* read/write, 4 bytes */
  dbg_read();
  check_eq("read/write breakpoint: a read triggers", 1, hits);
  check_eq("read/write breakpoint: EIP after the read", (uint32_t)dbg_read_next, hit_eip[0]);
  /* LEN = 01 (2 bytes) on a 2-byte aligned address: bytes 0-1 only. */
  reset_hits();
  WRITE_DR(1, &watched[1]);
  WRITE_DR(7, DR7_L(1) | DR7_RWLEN(1, 1, 1));
  ((volatile uint8_t *)&watched[1])[2] = 5;
  check_eq("2-byte breakpoint: write to byte 2 does not trigger", 0, hits);
  ((volatile uint8_t *)&watched[1])[1] = 5;
  check_eq("2-byte breakpoint: write to byte 1 triggers", 1, hits);
  reset_hits();
  ((volatile uint16_t *)&watched[0])[1] = 5; /* bytes 2-3 of watched[0]: just below */
  check_eq("2-byte breakpoint: write just below the range does not trigger", 0, hits);
  WRITE_DR(7, 0);

  /* DR2 (1-byte write) and DR3 (instruction) with their own B bits. Only
   * the enabled breakpoint's bit is checked: 17.2.3 allows B0-B3 to be set
   * for a matching breakpoint that DR7 does not enable. */
  reset_hits();
  WRITE_DR(2, (uint32_t)&watched[2] + 1);
  WRITE_DR(7, DR7_L(2) | DR7_RWLEN(2, 1, 0));
  ((volatile uint8_t *)&watched[2])[0] = 1;
  check_eq("1-byte breakpoint: write to the byte before does not trigger", 0, hits);
  ((volatile uint8_t *)&watched[2])[1] = 1;
  check_eq("1-byte breakpoint (DR2): write to the byte triggers", 1, hits);
  check_eq("DR2 breakpoint: DR6.B2", 0x4, hit_dr6[0] & 0x4);
  reset_hits();
  set_rf = 1;
  WRITE_DR(3, dbg_insn);
  WRITE_DR(7, DR7_L(3) | DR7_RWLEN(3, 0, 0));
  dbg_exec();
  check_eq("DR3 instruction breakpoint: DR6.B3", 0x8, hit_dr6[0] & 0x8);
  check_eq("DR3 instruction breakpoint: EIP", (uint32_t)dbg_insn, hit_eip[0]);
  WRITE_DR(7, 0);

  /* Single-step (17.3.1.4). */
  reset_hits();
  steps_left = 3;
  dbg_step();
  check_eq("single-step: three traps until TF is cleared", 3, hits);
  check_eq("single-step: first trap after the instruction following POPF", (uint32_t)dbg_step2, hit_eip[0]);
  check_eq("single-step: second trap", (uint32_t)dbg_step3, hit_eip[1]);
  check_eq("single-step: third trap", (uint32_t)dbg_step4, hit_eip[2]);
  check_eq("single-step: DR6.BS set", DR6_BS, hit_dr6[0] & DR6_BS);
  check_eq("single-step: TF clear after the handler cleared it", 0, read_eflags() & EFL_TF);

  /* General detect (17.2.4, 17.3.1.3): a fault with BD, GD cleared in the
   * handler (so the handler's own DR accesses work). QEMU deviation: QEMU
   * 7.2 TCG ignores DR7.GD (no #DB), so these three checks FAIL there. */
  reset_hits();
  WRITE_DR(7, DR7_GD);
  TRY { dbg_movdr(); } ENDTRY
  check_eq("DR7.GD: MOV to DR0 raises #DB", 1, hits);
  check_eq("DR7.GD: fault, EIP = the MOV", (uint32_t)dbg_mov_dr, hit_eip[0]);
  check_eq("DR7.GD: DR6.BD set", DR6_BD, hit_dr6[0] & DR6_BD);
  check_eq("DR7.GD: cleared on entry to the handler", 0, hit_dr7 & DR7_GD);
  WRITE_DR(7, 0);

  /* DR4/DR5 (17.2.2). */
  WRITE_CR(4, READ_CR(4) & ~CR4_DE);
  WRITE_DR(7, 0x400 | DR7_L(2));
  volatile uint32_t dr5 = 0;
  TRY { uint32_t v; __asm__ volatile("mov %%db5, %0" : "=r"(v)); dr5 = v; } ENDTRY
  check_fault("CR4.DE=0: MOV from DR5 is allowed", -1, 0);
  check_eq("CR4.DE=0: DR5 aliases DR7", READ_DR(7), dr5);
  WRITE_DR(7, 0);
  WRITE_CR(4, READ_CR(4) | CR4_DE);
  TRY { uint32_t v; __asm__ volatile("mov %%db4, %0" : "=r"(v)); dr5 = v; } ENDTRY
  WRITE_CR(4, READ_CR(4) & ~CR4_DE);
  check_fault("CR4.DE=1: MOV from DR4 is #UD", 6, NO_ERR_CHECK);
  set_trap_hook(1, 0);
}
