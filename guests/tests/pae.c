/* PAE paging: PDPTEs, 2 MiB and 4 KiB pages with 64-bit entries, rights,
 * accessed/dirty, reserved-bit faults and INVLPG.
 *
 * Sources: SDM Vol. 3A 4.4 (PAE paging: CR3 holds a 32-byte aligned PDPT
 * address; linear bits 31:30 pick a PDPTE, 29:21 a PDE, 20:12 a PTE;
 * tables 4-8..4-11: PDPTE bits 2:1 and 8:5 reserved, 2 MiB PDE bits 20:13
 * reserved, bit 63 (XD) reserved when IA32_EFER.NXE = 0), 4.4.1 (PDPTEs
 * are loaded by MOV to CR3 (and CR0/CR4) with PAE paging: a present PDPTE
 * with a reserved bit set makes that MOV #GP(0)), 4.6 (rights as in 32-bit
 * paging), 4.7 (#PF error code with RSVD, which implies P), 4.8 (A/D),
 * 4.10.4.1 (INVLPG). */
#include "lib/runtime.h"

const char test_area[] = "pae";

#define PG_P 0x1ull
#define PG_RW 0x2ull
#define PG_US 0x4ull
#define PG_A 0x20ull
#define PG_D 0x40ull
#define PG_PS 0x80ull
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)

static volatile uint64_t pdpt[4] __attribute__((aligned(32)));
static volatile uint64_t pd0[512] __attribute__((aligned(4096)));  /* linear 0..1 GiB */
static volatile uint64_t pd1[512] __attribute__((aligned(4096)));  /* linear 1..2 GiB */
static volatile uint64_t pt[512] __attribute__((aligned(4096)));   /* linear 2..4 MiB */
static volatile uint64_t pt1[512] __attribute__((aligned(4096)));  /* linear 1 GiB.. */
static uint8_t frames[2][4096] __attribute__((aligned(4096)));

#define LIN_PT 0x200000u        /* pd0[1] -> pt */
#define LIN_BIG 0x400000u       /* pd0[2]: 2 MiB page -> physical 0 */
#define LIN_HIGH 0x40000000u    /* pdpt[1] -> pd1[0] -> pt1 */

static void reload_cr3(void) { WRITE_CR(3, pdpt); }
static uint32_t peek32(uint32_t lin) { return *(volatile uint32_t *)lin; }
static volatile uint32_t sink;

static void r3_write(void) {
  *(volatile uint32_t *)LIN_PT = 1;
  user_return();
}

void test_main(void) {
  ((volatile uint32_t *)frames[0])[0] = 0xAAAA0001;
  ((volatile uint32_t *)frames[1])[0] = 0xBBBB0002;
  pd0[0] = 0 | PG_P | PG_RW | PG_US | PG_PS; /* identity 0..2 MiB, kernel included */
  pd0[1] = (uint32_t)pt | PG_P | PG_RW | PG_US;
  pd0[2] = 0 | PG_P | PG_RW | PG_PS;
  pt[0] = (uint32_t)frames[0] | PG_P | PG_RW | PG_US;
  pd1[0] = (uint32_t)pt1 | PG_P | PG_RW;
  pt1[0] = (uint32_t)frames[1] | PG_P | PG_RW;
  pdpt[0] = (uint32_t)pd0 | PG_P;
  pdpt[1] = (uint32_t)pd1 | PG_P;
  WRITE_CR(4, READ_CR(4) | CR4_PAE);
  reload_cr3();
  WRITE_CR(0, READ_CR(0) | CR0_PG);
  check_eq("CR4.PAE reads back set", CR4_PAE, READ_CR(4) & CR4_PAE);

  static volatile uint32_t marker = 0x5EED1234;
  check_eq("2 MiB page: linear 4 MiB + x maps physical x", marker, peek32(LIN_BIG + (uint32_t)&marker));
  check_eq("4 KiB page through PDE 1", 0xAAAA0001, peek32(LIN_PT));
  check_eq("PDPTE 1 selects the second page directory (linear 1 GiB)", 0xBBBB0002, peek32(LIN_HIGH));
  check_eq("read sets the 64-bit PTE accessed flag", PG_A, pt[0] & PG_A);
  check_eq("read leaves the dirty flag clear", 0, pt[0] & PG_D);
  *(volatile uint32_t *)LIN_PT = 0xAAAA0003;
  check_eq("write sets the dirty flag", PG_D, pt[0] & PG_D);
  check_eq("high half of the PTE untouched by A/D updates", 0, (uint32_t)(pt[0] >> 32));
  sink = peek32(LIN_BIG);
  check_eq("2 MiB page: accessed flag in the PDE", PG_A, pd0[2] & PG_A);

  /* Rights and faults. */
  pt[1] = 0;
  TRY { sink = peek32(LIN_PT + 0x1000 + 4); } ENDTRY
  check_fault("not-present PTE: #PF(0)", 14, 0);
  check_eq("not-present PTE: CR2", LIN_PT + 0x1004, caught.cr2);
  pt[0] = (uint32_t)frames[0] | PG_P | PG_US; /* read-only user page */
  __asm__ volatile("invlpg (%0)" ::"r"(LIN_PT) : "memory");
  run_ring3(r3_write, 0x2);
  check_fault("CPL3 write to a read-only page: #PF(P|W|U)", 14, 7);
  WRITE_CR(0, READ_CR(0) | CR0_WP);
  TRY { *(volatile uint32_t *)LIN_PT = 2; } ENDTRY
  check_fault("CPL0 write to a read-only page with WP=1: #PF(P|W)", 14, 3);
  WRITE_CR(0, READ_CR(0) & ~CR0_WP);
  TRY { *(volatile uint32_t *)LIN_PT = 2; } ENDTRY
  check_fault("CPL0 write to a read-only page with WP=0: allowed", -1, 0);
  pt[0] = (uint32_t)frames[0] | PG_P | PG_RW | PG_US;
  __asm__ volatile("invlpg (%0)" ::"r"(LIN_PT) : "memory");

  /* INVLPG picks up a changed 64-bit PTE. */
  pt[0] = (uint32_t)frames[1] | PG_P | PG_RW | PG_US;
  __asm__ volatile("invlpg (%0)" ::"r"(LIN_PT) : "memory");
  check_eq("INVLPG: the new PTE is used", 0xBBBB0002, peek32(LIN_PT));

  /* Reserved bits: #PF with RSVD and P (error code 0x9 for a CPL0 read).
   * QEMU deviation: QEMU 7.2 TCG reports RSVD without P (0x8). */
  pt[2] = (uint32_t)frames[0] | PG_P | PG_RW | (1ull << 63); /* XD with EFER.NXE = 0 */
  TRY { sink = peek32(LIN_PT + 0x2000); } ENDTRY
  check_fault("PTE bit 63 set with EFER.NXE=0: #PF(P|RSVD)", 14, 0x9);
  pd0[3] = 0 | PG_P | PG_RW | PG_PS | (1ull << 13); /* 2 MiB PDE, bit 13 reserved */
  reload_cr3();
  TRY { sink = peek32(0x600000); } ENDTRY
  check_fault("2 MiB PDE with reserved bit 13 set: #PF(P|RSVD)", 14, 0x9);
  pd0[3] = 0;
  /* 4.4.1: a present PDPTE with a reserved bit makes MOV to CR3 #GP(0).
   * QEMU deviation: QEMU 7.2 TCG does not load PDPTEs at MOV to CR3, so
   * there is no #GP(0) there. */
  pdpt[2] = (uint32_t)pd1 | PG_P | 0x2;
  TRY { reload_cr3(); } ENDTRY
  pdpt[2] = 0;
  reload_cr3();
  check_fault("MOV CR3 with a reserved bit in a present PDPTE: #GP(0)", 13, 0);

  WRITE_CR(0, READ_CR(0) & ~CR0_PG);
  WRITE_CR(4, READ_CR(4) & ~CR4_PAE);
  check_eq("paging and PAE off again", 0, (READ_CR(0) & CR0_PG) | (READ_CR(4) & CR4_PAE));
}
