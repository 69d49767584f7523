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
 * clear TF, so the handler is not single-stepped).
 * Added: 17.3.1.4 ("The INT n and INTO instructions ... do clear this
 * flag": no single-step trap for the INT itself, the handler runs
 * unstepped, stepping resumes after its IRET), 6.8.3 (MOV SS / POP SS
 * inhibit debug exceptions and single-step traps until the boundary after
 * the next instruction: one trap after that instruction), 17.3.1.5 and
 * 7.2.1 (T flag, bit 0 of TSS offset 64h: #DB with DR6.BT after the switch,
 * before the new task's first instruction, in the new task), 17.2.4-17.2.5
 * and 17.3.1.2 (I/O breakpoints: CR4.DE = 1 and R/W = 10, any I/O to a port
 * in the LEN-aligned range, trap after the instruction; repeated INS/OUTS
 * trap after the iteration that hit), Vol. 2B RDPMC (#GP(0) at CPL > 0
 * unless CR4.PCE; ECX selects the counter, P6: 0 and 1), Vol. 3B P6
 * performance counters (PerfEvtSel0/1 at MSR 186h/187h with USR bit 16, OS
 * bit 17, EN bit 22 in PerfEvtSel0; PerfCtr0/1 at C1h/C2h, 40 bits, WRMSR
 * sign-extends bit 31 into bits 39:32; event C0h: instructions retired). */
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
extern char dbg_int_n[], dbg_int_after[], dbg_int_next[], dbg_movss[], dbg_movss_a[], dbg_movss_b[],
    dbg_movss_end[], dbg_popss[], dbg_popss_a[], dbg_popss_b[], dbg_ssread[], dbg_ssread_a[], dbg_ssread_b[],
    dbg_out[], dbg_out_next[], dbg_reps[];
void dbg_step_int(void), dbg_step_movss(void), dbg_step_popss(void), dbg_movss_read(void);
void dbg_out80(uint32_t port_and_size);
volatile uint32_t ss_value;
__asm__(
    ".text\n"
    /* TF set by POPF; the INT 0x42 handler returns normally. */
    "dbg_step_int: pushf\n orl $0x100, (%esp)\n popf\n nop\n dbg_int_n: int $0x42\n dbg_int_after: nop\n"
    " dbg_int_next: ret\n"
    "dbg_step_movss: mov %ss, %eax\n pushf\n orl $0x100, (%esp)\n popf\n nop\n dbg_movss: mov %eax, %ss\n"
    " dbg_movss_a: nop\n dbg_movss_b: nop\n dbg_movss_end: ret\n"
    "dbg_step_popss: pushf\n orl $0x100, (%esp)\n popf\n push %ss\n dbg_popss: pop %ss\n"
    " dbg_popss_a: nop\n dbg_popss_b: ret\n"
    "dbg_movss_read: dbg_ssread: mov ss_value, %ss\n dbg_ssread_a: nop\n dbg_ssread_b: ret\n"
    "dbg_movss_ud: mov ss_value, %ss\n ud2\n");
void dbg_movss_ud(void);

/* INT 0x42 hook: what the handler saw (hits before it, TF in its frame). */
static volatile uint32_t int42_hits_at_entry, int42_frame_eflags, int42_eflags_in;
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
static int int42_hook(struct trap_frame *f) {
  int42_hits_at_entry = hits;
  int42_frame_eflags = f->eflags;
  int42_eflags_in = read_eflags();
  return 1;
}
static volatile uint32_t hit_ecx[8];
static int db_hook_ecx(struct trap_frame *f) {
  if (hits < 8) hit_ecx[hits] = f->ecx;
  return db_hook(f);
}
static void reset_hits(void) {
  hits = 0;
  for (int i = 0; i < 8; ++i) hit_eip[i] = hit_dr6[i] = 0;
  steps_left = 0;
  set_rf = 0;
  WRITE_DR(6, 0);
}

/* Single-step over INT n, and the MOV SS / POP SS delay. */
static void test_int_and_ss(void) {
  set_trap_hook(0x42, int42_hook);
  reset_hits();
  steps_left = 2;
  int42_hits_at_entry = 0xFF;
  dbg_step_int();
  set_trap_hook(0x42, 0);
  check_eq("TF over INT n: first trap before the INT (after the NOP after POPF)", (uint32_t)dbg_int_n, hit_eip[0]);
  check_eq("TF over INT n: no trap for the INT itself, handler entered after one trap", 1, int42_hits_at_entry);
  check_eq("TF over INT n: interrupt gate cleared TF in the handler", 0, int42_eflags_in & EFL_TF);
  check_eq("TF over INT n: pushed EFLAGS image has TF=1", EFL_TF, int42_frame_eflags & EFL_TF);
  check_eq("TF over INT n: next trap after the instruction after the INT (IRET restored TF)",
           (uint32_t)dbg_int_next, hit_eip[1]);
  check_eq("TF over INT n: two traps in all", 2, hits);

  reset_hits();
  steps_left = 3;
  dbg_step_movss();
  check_eq("TF over MOV SS: trap after the NOP before it", (uint32_t)dbg_movss, hit_eip[0]);
  check_eq("TF over MOV SS: no trap after MOV SS; the next is after the instruction after it",
           (uint32_t)dbg_movss_b, hit_eip[1]);
  check_eq("TF over MOV SS: that trap has DR6.BS", DR6_BS, hit_dr6[1] & DR6_BS);
  check_eq("TF over MOV SS: stepping goes on", (uint32_t)dbg_movss_end, hit_eip[2]);
  check_eq("TF over MOV SS: three traps", 3, hits);

  reset_hits();
  steps_left = 2;
  dbg_step_popss();
  check_eq("TF over POP SS: trap after the PUSH SS", (uint32_t)dbg_popss, hit_eip[0]);
  check_eq("TF over POP SS: the next trap comes after the instruction after POP SS", (uint32_t)dbg_popss_b,
           hit_eip[1]);

  /* A read breakpoint hit by MOV SS, m16: held until after the next one. */
  uint16_t ss;
  __asm__ volatile("mov %%ss, %0" : "=r"(ss));
  ss_value = ss;
  reset_hits();
  WRITE_DR(0, &ss_value);
  WRITE_DR(7, DR7_L(0) | DR7_RWLEN(0, 3, 3));
  dbg_movss_read();
  WRITE_DR(7, 0);
  check_eq("data breakpoint on MOV SS's operand: one #DB", 1, hits);
  check_eq("data breakpoint on MOV SS's operand: trap after the next instruction", (uint32_t)dbg_ssread_b,
           hit_eip[0]);
  check_eq("data breakpoint on MOV SS's operand: DR6.B0", DR6_B0, hit_dr6[0] & DR6_B0);
  /* The instruction after the MOV SS faults (#UD): the held #DB comes at
   * the next boundary, i.e. before the #UD handler's first instruction. */
  reset_hits();
  WRITE_DR(7, DR7_L(0) | DR7_RWLEN(0, 3, 3));
  TRY { dbg_movss_ud(); } ENDTRY
  WRITE_DR(7, 0);
  check_fault("MOV SS then UD2: the #UD is delivered", 6, NO_ERR_CHECK);
  check_eq("MOV SS then UD2: the held #DB comes once", 1, hits);
  check_eq("MOV SS then UD2: #DB at the #UD handler's first instruction", trap_stubs[6], hit_eip[0]);
}

/* T flag in the TSS (17.3.1.5). */
#define DR6_BT (1u << 15)
enum { T_TASK = GDT_FIRST_FREE };
static struct tss32 trap_tss __attribute__((aligned(128)));
static uint8_t trap_task_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t task_ran, tr_at_db;
extern char trap_task_entry[];
__asm__(".text\n trap_task_entry: movl $1, task_ran\n ljmp $0x28, $0\n");
static int db_hook_tr(struct trap_frame *f) {
  uint32_t tr = 0;
  __asm__ volatile("str %w0" : "+r"(tr));
  tr_at_db = tr & 0xFFFF;
  return db_hook(f);
}
static void test_task_trap(void) {
  memset(&trap_tss, 0, sizeof trap_tss);
  trap_tss.eip = (uint32_t)trap_task_entry;
  trap_tss.esp = (uint32_t)trap_task_stack + sizeof trap_task_stack;
  trap_tss.eflags = 0x2;
  trap_tss.cs = SEL_KCODE;
  trap_tss.ss = trap_tss.ds = trap_tss.es = trap_tss.fs = trap_tss.gs = SEL_KDATA;
  trap_tss.cr3 = READ_CR(3);
  trap_tss.trap = 1;
  trap_tss.iomap_base = sizeof trap_tss;
  main_tss.cr3 = READ_CR(3);
  set_gdt(T_TASK, make_desc((uint32_t)&trap_tss, sizeof trap_tss - 1, ACC_P | SYS_TSS32_AVAIL, 0));
  set_trap_hook(1, db_hook_tr);
  reset_hits();
  task_ran = 0;
  __asm__ volatile("ljmp %0, $0" ::"i"(T_TASK << 3) : "memory");
  set_trap_hook(1, db_hook);
  __asm__ volatile("clts");
  check_eq("TSS T=1: one #DB for the switch into the task (none on the way back, T=0)", 1, hits);
  check_eq("TSS T=1: #DB before the new task's first instruction (EIP = its entry)", (uint32_t)trap_task_entry,
           hit_eip[0]);
  check_eq("TSS T=1: DR6.BT set", DR6_BT, hit_dr6[0] & DR6_BT);
  check_eq("TSS T=1: DR6.BS clear", 0, hit_dr6[0] & DR6_BS);
  check_eq("TSS T=1: the #DB handler runs in the new task (TR)", T_TASK << 3, tr_at_db);
  check_eq("TSS T=1: the task ran after the handler returned", 1, task_ran);
}

/* I/O breakpoints (17.2.4, 17.2.5). QEMU 7.2 TCG has none: these FAIL there. */
#define RW_IO 2
extern char io_out80[], io_out80_next[], io_in83[], io_in83_next[], io_out84[], io_out7f[], io_out7f_next[],
    io_outsb[], io_outsb_next[], io_rep[], io_rep_next[];
uint8_t io_src[4] = {0x11, 0x22, 0x33, 0x44};
void io_seq(void);
__asm__(".text\n io_seq:\n"
        " io_out80: outb %al, $0x80\n io_out80_next: nop\n"
        " io_in83: inb $0x83, %al\n io_in83_next: nop\n"
        " ret\n"
        "io_single84: io_out84: outb %al, $0x84\n ret\n"
        "io_word7f: mov $0x7f, %dx\n io_out7f: outw %ax, %dx\n io_out7f_next: ret\n"
        "io_outs: mov $0x80, %dx\n mov $io_src, %esi\n io_outsb: outsb\n io_outsb_next: ret\n"
        "io_repouts: mov $0x80, %dx\n mov $io_src, %esi\n mov $3, %ecx\n io_rep: rep outsb\n io_rep_next: ret\n");
void io_single84(void), io_word7f(void), io_outs(void), io_repouts(void);
static void test_io_breakpoints(void) {
  WRITE_CR(4, READ_CR(4) | CR4_DE);
  reset_hits();
  WRITE_DR(0, 0x80);
  WRITE_DR(7, DR7_L(0) | DR7_RWLEN(0, RW_IO, 0)); /* port 80h, 1 byte */
  io_seq();
  check_eq("I/O breakpoint (1 byte at 80h): OUT 80h traps", (uint32_t)io_out80_next, hit_eip[0]);
  check_eq("I/O breakpoint: DR6.B0", DR6_B0, hit_dr6[0] & DR6_B0);
  check_eq("I/O breakpoint: IN 83h does not hit a 1-byte breakpoint at 80h", 1, hits);
  reset_hits();
  io_word7f();
  check_eq("I/O breakpoint: word OUT to 7Fh covers port 80h and traps", (uint32_t)io_out7f_next, hit_eip[0]);
  reset_hits();
  io_outs();
  check_eq("I/O breakpoint: OUTSB to port 80h traps after it", (uint32_t)io_outsb_next, hit_eip[0]);
  reset_hits();
  set_trap_hook(1, db_hook_ecx);
  io_repouts();
  set_trap_hook(1, db_hook);
  check_eq("I/O breakpoint: REP OUTSB x3 traps after every iteration", 3, hits);
  check_eq("I/O breakpoint: first trap after iteration 1 (EIP at REP OUTSB, ECX = 2)", (uint32_t)io_rep,
           hit_eip[0]);
  check_eq("I/O breakpoint: ECX = 2 at the first trap", 2, hit_ecx[0]);
  check_eq("I/O breakpoint: last trap after the instruction", (uint32_t)io_rep_next, hit_eip[2]);
  /* LEN = 11 (4 bytes) at 80h: ports 80h-83h (17.2.5: aligned address). */
  reset_hits();
  WRITE_DR(1, 0x80);
  WRITE_DR(7, DR7_L(1) | DR7_RWLEN(1, RW_IO, 3));
  io_seq();
  check_eq("4-byte I/O breakpoint at 80h (80h-83h): OUT 80h and IN 83h both trap", 2, hits);
  check_eq("4-byte I/O breakpoint: IN 83h trap after it", (uint32_t)io_in83_next, hit_eip[1]);
  check_eq("4-byte I/O breakpoint: DR6.B1", DR6_B1, hit_dr6[1] & DR6_B1);
  reset_hits();
  io_single84();
  check_eq("4-byte I/O breakpoint at 80h-83h: OUT 84h does not trap", 0, hits);
  WRITE_DR(7, 0);
  WRITE_CR(4, READ_CR(4) & ~CR4_DE);
}

/* RDPMC and the P6 counters. */
#define CR4_PCE (1u << 8)
#define EVT_INST_RETIRED 0xC0u
#define SEL_USR (1u << 16)
#define SEL_OS (1u << 17)
#define SEL_EN (1u << 22)
static void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t rdpmc(uint32_t n) {
  uint32_t lo, hi;
  __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(n));
  return ((uint64_t)hi << 32) | lo;
}
static volatile uint32_t r3_pmc_lo, r3_pmc_ok;
static void r3_rdpmc(void) {
  r3_pmc_lo = (uint32_t)rdpmc(0);
  r3_pmc_ok = 1;
  user_return();
}
/* 100 iterations of DEC/JNZ: 200 instructions, then user_return. */
static void r3_loop(void) {
  __asm__ volatile("mov $100, %%ecx\n 1: dec %%ecx\n jnz 1b" ::: "ecx", "cc");
  user_return();
}
static void test_rdpmc(void) {
  wrmsr(0x186, 0);
  wrmsr(0x187, 0);
  wrmsr(0xC1, 0x80000000u);
  check_eq("WRMSR PerfCtr0 = 80000000h: bits 39:32 sign-extended (EDX = FFh)", 0xFF,
           (uint32_t)(rdmsr(0xC1) >> 32));
  check_eq("PerfCtr0 low half as written", 0x80000000u, (uint32_t)rdmsr(0xC1));
  wrmsr(0xC2, 0x12345678u);
  check_eq("RDPMC(1) at CPL 0 reads PerfCtr1", 0x12345678u, (uint32_t)rdpmc(1));
  check_eq("RDPMC(1): bits 39:32 zero for a positive value", 0, (uint32_t)(rdpmc(1) >> 32));
  TRY { (void)rdpmc(2); } ENDTRY
  check_fault("RDPMC with ECX = 2 (the P6 has counters 0 and 1): #GP(0)", 13, 0);

  WRITE_CR(4, READ_CR(4) & ~CR4_PCE);
  r3_pmc_ok = 0;
  run_ring3(r3_rdpmc, 0x2);
  check_fault("RDPMC at CPL 3 with CR4.PCE = 0: #GP(0)", 13, 0);
  WRITE_CR(4, READ_CR(4) | CR4_PCE);
  wrmsr(0xC1, 0x777);
  run_ring3(r3_rdpmc, 0x2);
  WRITE_CR(4, READ_CR(4) & ~CR4_PCE);
  check_eq("RDPMC at CPL 3 with CR4.PCE = 1 executes", 1, r3_pmc_ok);
  check_eq("RDPMC at CPL 3 reads counter 0 (disabled: unchanged)", 0x777, r3_pmc_lo);

  /* Counting instructions retired (event C0h): counter 0 at CPL 1-3 only
   * (USR), counter 1 at all levels; EN in PerfEvtSel0 enables both. */
  wrmsr(0xC1, 0);
  wrmsr(0xC2, 0);
  wrmsr(0x187, EVT_INST_RETIRED | SEL_USR | SEL_OS);
  wrmsr(0x186, EVT_INST_RETIRED | SEL_USR | SEL_EN);
  run_ring3(r3_loop, 0x2);
  wrmsr(0x186, 0);
  const uint32_t usr = (uint32_t)rdmsr(0xC1), all = (uint32_t)rdmsr(0xC2);
  tprintf("info: ring-3 loop: %u instructions counted at CPL 3, %u at all CPLs\n", usr, all);
  check("USR-only counter: the 200 ring-3 loop instructions (and at most a few more)", usr >= 200 && usr <= 220);
  check("USR|OS counter counts ring 0 as well", all > usr + 20);
  const uint32_t frozen = (uint32_t)rdmsr(0xC2);
  for (volatile int i = 0; i < 10; ++i) {
  }
  check_eq("EN = 0 in PerfEvtSel0 stops both counters", frozen, (uint32_t)rdmsr(0xC2));
  wrmsr(0x187, 0);
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
  WRITE_CR(4, READ_CR(4) | CR4_DE);
  TRY { __asm__ volatile("mov %0, %%db5" ::"r"(0u)); } ENDTRY
  WRITE_CR(4, READ_CR(4) & ~CR4_DE);
  check_fault("CR4.DE=1: MOV to DR5 is #UD", 6, NO_ERR_CHECK);

  test_int_and_ss();
  test_task_trap();
  test_io_breakpoints();
  test_rdpmc();
  set_trap_hook(1, 0);
}
