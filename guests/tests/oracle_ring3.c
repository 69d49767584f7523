/* The host-CPU oracle in ring 3 under paging (issue #3, item 9): this kernel
 * sets up what an operating system gives a user process — a flat 32-bit GDT
 * with ring-3 code and data (lib/runtime.c), a TSS whose ESP0 takes the CPU
 * to a ring-0 stack, an IDT, and 32-bit paging with the oracle's code, data
 * and read-only pages as 4 KiB user pages, page 0 not present and the
 * mailbox in supervisor-only 4 MiB pages — then runs the oracle's random
 * sequences at CPL 3, one after the other, and records how each ended.
 *
 * It is not a standalone test: tests/host_oracle/ring3_main.cpp boots it in
 * tx86, feeds it batches through the mailbox (oracle_ring3.h) and compares
 * the results with the same sequences run natively in a Linux process,
 * which is the same situation (CPL 3, IOPL 0, flat segments, paging).
 *
 * Each sequence is copied to ORACLE_CODE_ADDR followed by INT 0x41 (a DPL-3
 * interrupt gate); its data area is copied in; IRET enters it at CPL 3
 * (SDM Vol. 3A, 6.12.1: the privilege change loads SS:ESP from the frame).
 * Whatever ends it — INT 0x41 or an exception — arrives in ring 0 on the TSS
 * stack; the frame holds the ring-3 EIP, CS, EFLAGS, ESP and SS (6.12.1,
 * figure 6-4) and the stub saved the other registers (lib/entry.asm), so the
 * result is exactly the state the sequence left. INT3 and INTO get DPL-3
 * gates as under Linux (every other vector's gate has DPL 0, so INT n from
 * ring 3 raises #GP(n*8+2): SDM Vol. 2, INT n). */
#include "lib/runtime.h"
#include "oracle_ring3.h"

const char test_area[] = "oracle_ring3";

#define PG_P 0x1u
#define PG_RW 0x2u
#define PG_US 0x4u
#define PG_PS 0x80u
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096))); /* 0..4 MiB in 4 KiB pages */

/* oracle_ring3.asm: loads the sequence's registers and IRETs to
 * SEL_UCODE:entry with SS:ESP = SEL_UDATA:gpr[4] and EFLAGS = eflags. */
void r3_enter(const uint32_t *gpr, uint32_t eflags, uint32_t entry) __attribute__((noreturn));

static int in_range(uint32_t lin, uint32_t start, uint32_t bytes) { return lin >= start && lin < start + bytes; }

/* SDM Vol. 3A, 4.3 (tables 4-4..4-6) and 4.6 (a user access needs U/S = 1
 * in the PDE and the PTE; a user write also R/W = 1 in both). */
static void setup_paging(void) {
  for (uint32_t i = 0; i < 1024; ++i) {
    const uint32_t lin = i << 12;
    uint32_t pte = lin | PG_P | PG_RW;
    if (in_range(lin, ORACLE_CODE_MAP, ORACLE_CODE_MAP_BYTES) || in_range(lin, ORACLE_DATA_MAP, ORACLE_DATA_MAP_BYTES))
      pte |= PG_US;
    if (lin == ORACLE_RO_PAGE) pte = lin | PG_P | PG_US; /* user, read-only */
    if (i == 0) pte = 0;                                  /* not present */
    pt_low[i] = pte;
  }
  page_dir[0] = (uint32_t)pt_low | PG_P | PG_RW | PG_US;
  for (uint32_t p = 1; p < 4; ++p) page_dir[p] = (p << 22) | PG_P | PG_RW | PG_PS; /* supervisor 4 MiB */
  WRITE_CR(4, READ_CR(4) | CR4_PSE);
  WRITE_CR(3, page_dir);
  WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
}

/* REP MOVSD: one instruction per copy instead of the runtime's byte loop,
 * which kept the JIT's lockstep runs busy with thousands of tiny blocks per
 * sequence. `bytes` is a multiple of 4 (the callers round up: the code area
 * has room to spare). */
static void copy_dwords(void *dst, const void *src, uint32_t bytes) {
  uint32_t n = (bytes + 3) / 4;
  __asm__ volatile("cld; rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void run_one(const struct R3Input *in, struct R3Result *out) {
  uint8_t *code = (uint8_t *)ORACLE_CODE_ADDR;
  const uint32_t n = in->code_bytes <= ORACLE_MAX_SEQUENCE_BYTES ? in->code_bytes : 0;
  copy_dwords(code, in->code, n);
  code[n] = 0xCD; /* INT 0x41 */
  code[n + 1] = R3_END_VECTOR;
  copy_dwords((void *)ORACLE_DATA_ADDR, in->data, ORACLE_DATA_BYTES);
  TRY { r3_enter(in->gpr, in->eflags, ORACLE_CODE_ADDR); }
  ENDTRY
  out->vector = (uint32_t)caught.vector;
  out->error_code = caught.error;
  out->eip = caught.eip;
  out->cs = caught.cs & 0xFFFF;
  out->ss = caught.user_ss & 0xFFFF;
  out->cr2 = caught.cr2;
  out->gpr[0] = caught.eax;
  out->gpr[1] = caught.ecx;
  out->gpr[2] = caught.edx;
  out->gpr[3] = caught.ebx;
  out->gpr[4] = caught.user_esp;
  out->gpr[5] = caught.ebp;
  out->gpr[6] = caught.esi;
  out->gpr[7] = caught.edi;
  out->eflags = caught.eflags;
  copy_dwords(out->data, (const void *)ORACLE_DATA_ADDR, ORACLE_DATA_BYTES);
}

void test_main(void) {
  for (uint32_t i = 0; i < 4096; ++i) ((uint8_t *)ORACLE_RO_PAGE)[i] = ORACLE_RO_BYTE(i);
  setup_paging();
  set_idt_gate(3, (void *)trap_stubs[3], SYS_INT_GATE32, 3);
  set_idt_gate(4, (void *)trap_stubs[4], SYS_INT_GATE32, 3);
  volatile struct R3Header *h = (volatile struct R3Header *)R3_MAILBOX;
  h->magic = R3_MAGIC_READY;
  for (;;) {
    /* Wait for a batch: the harness clears the halted state to resume. */
    __asm__ volatile("cli; hlt" ::: "memory");
    const uint32_t count = h->count <= R3_MAX_BATCH ? h->count : 0;
    const struct R3Input *in = (const struct R3Input *)R3_INPUTS;
    struct R3Result *out = (struct R3Result *)R3_RESULTS;
    for (uint32_t i = 0; i < count; ++i) {
      run_one(&in[i], &out[i]);
      h->completed = i + 1;
    }
  }
}
