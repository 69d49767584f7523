/* Runtime of the bench guest: port I/O, output on COM1 and/or port 0xE9,
 * number formatting, the Multiboot command line, the GDT/IDT/TSS with ring-3
 * segments, identity paging, and the exit through isa-debug-exit (0xF4). */
#ifndef TX86_BENCH_RUNTIME_H
#define TX86_BENCH_RUNTIME_H

#include "lib/types.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void invlpg(uint32_t linear) { __asm__ volatile("invlpg (%0)" ::"r"(linear) : "memory"); }

/* ---- output ---------------------------------------------------------------- */
enum { OUT_E9 = 1, OUT_COM1 = 2 };
void out_init(unsigned ports); /* OUT_E9 | OUT_COM1 */
void out_char(char c);
void out_str(const char *s);
void out_dec(uint64_t v);
void out_hex(uint32_t v); /* 0x%08x */

void debug_exit(uint8_t value) __attribute__((noreturn));

/* ---- command line ------------------------------------------------------------ */
/* The Multiboot command line (empty if none). */
const char *multiboot_cmdline(uint32_t magic, uint32_t info);
/* The value of `key=` in the command line, up to the next space, copied to
 * buf; 0 if absent. */
int cmdline_value(const char *cmdline, const char *key, char *buf, unsigned size);
/* Whether the comma-separated list contains word. */
int list_contains(const char *list, const char *word);
uint32_t parse_uint(const char *s, uint32_t fallback);
int str_eq(const char *a, const char *b);

/* ---- machine set-up ------------------------------------------------------------ */
enum { SEL_KCODE = 0x08, SEL_KDATA = 0x10, SEL_UCODE = 0x18 | 3, SEL_UDATA = 0x20 | 3, SEL_TSS = 0x28 };
/* GDT (flat ring-0 and ring-3 code/data, a TSS), IDT (0-31: fatal; 14:
 * isr_page_fault; 0x80 and 0x81: DPL-3 interrupt gates), masked PICs. */
void tables_init(void);
/* Identity-maps the first 8 MiB with 4 KiB user/writable pages and turns
 * paging on. The page table of 8..12 MiB is returned empty (for page_fault). */
void paging_init(void);
extern uint32_t page_directory[1024];
extern uint32_t page_tables[3][1024];
enum { PTE_P = 1, PTE_RW = 2, PTE_US = 4 };

#endif
