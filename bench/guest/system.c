/* System sections (guest only; system_model.c computes the same checksums
 * natively): INT n / IRET at CPL 0 and from CPL 3, port I/O, CR3 reloads,
 * a page-fault round trip, and self-modifying code. */
#include "lib/runtime.h"
#include "sections.h"

/* entry.asm */
extern volatile uint32_t int_count, int_sum;
void int_loop_ring0(uint32_t n);
void int_loop_ring3(uint32_t n);

/* ---- int_ring0 / int_ring3: INT 0x80 -> handler -> IRET, EAX = n..1 ------- */
uint32_t sec_int_ring0(uint32_t iters) {
  int_count = int_sum = 0;
  int_loop_ring0(iters);
  return mix(int_count, int_sum);
}

uint32_t sec_int_ring3(uint32_t iters) {
  int_count = int_sum = 0;
  int_loop_ring3(iters);
  return mix(int_count, int_sum);
}

/* ---- port_io: OUT/IN of the slave 8259's mask register, OUT to port 80h --- */
uint32_t sec_port_io(uint32_t iters) {
  /* The master PIC stays fully masked (and IF = 0), so no slave mask
   * written here can deliver an interrupt. Reading port A1h returns the
   * mask (8259A datasheet, OCW1). */
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    const uint8_t v = (uint8_t)(u * 7);
    outb(0xA1, v);
    const uint8_t r = inb(0xA1);
    outb(0x80, r);
    h = mix(h, r);
  }
  outb(0xA1, 0xFF);
  return h;
}

/* ---- cr3_reload: MOV to CR3 (flushes the TLB), then touch four pages ------- */
static uint32_t probe[4][1024] __attribute__((aligned(4096)));

uint32_t sec_cr3_reload(uint32_t iters) {
  for (uint32_t p = 0; p < 4; ++p)
    for (uint32_t i = 0; i < 1024; ++i) probe[p][i] = p * 1024 + i;
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    write_cr3((uint32_t)page_directory);
    const uint32_t i = u & 1023;
    h = mix(h, probe[0][i] + probe[1][i] + probe[2][i] + probe[3][i]);
  }
  return h;
}

/* ---- page_fault: read a not-present page; the #PF handler maps it; the read
 * restarts; then the page is unmapped again with INVLPG ---------------------- */
enum { VICTIM = 0x00800000u }; /* first page of page_tables[2] (8 MiB) */
static uint32_t frames[2][1024] __attribute__((aligned(4096)));
static volatile uint32_t pf_count;

void pf_handler(uint32_t cr2, uint32_t error);
void pf_handler(uint32_t cr2, uint32_t error) {
  /* Not present (P = 0 in the error code), at the victim page only. */
  if ((cr2 & ~0xFFFu) != VICTIM || (error & 1)) {
    out_str("FATAL unexpected #PF cr2=");
    out_hex(cr2);
    out_str(" error=");
    out_hex(error);
    out_char('\n');
    debug_exit(1);
  }
  page_tables[2][0] = (uint32_t)frames[pf_count & 1] | PTE_P | PTE_RW;
  ++pf_count;
}

uint32_t sec_page_fault(uint32_t iters) {
  for (uint32_t i = 0; i < 1024; ++i) {
    frames[0][i] = i * 3;
    frames[1][i] = i * 5 + 1;
  }
  pf_count = 0;
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    const uint32_t v = ((volatile uint32_t *)VICTIM)[u & 1023];
    h = mix(h, v);
    page_tables[2][0] = 0;
    invlpg(VICTIM);
  }
  return mix(h, pf_count);
}

/* ---- smc: patch the immediate of `mov eax, imm32; ret` and call it ---------- */
/* Its own page, so that the patch does not invalidate the loop's code. */
static uint8_t smc_page[4096] __attribute__((aligned(4096)));

uint32_t sec_smc(uint32_t iters) {
  volatile uint8_t *code = smc_page;
  code[0] = 0xB8; /* mov eax, imm32 */
  code[5] = 0xC3; /* ret */
  uint32_t (*fn)(void) = (uint32_t (*)(void))(uint32_t)smc_page;
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    const uint32_t imm = (u * 0x9E3779B9u) ^ h;
    *(volatile uint32_t *)(smc_page + 1) = imm;
    h = mix(h, fn());
  }
  return h;
}
