/* Runtime of the bench guest (see runtime.h). */
#include "lib/runtime.h"

#define COM1 0x3F8
#define E9 0xE9
#define DEBUG_EXIT 0xF4

/* ---- output ---------------------------------------------------------------- */
static unsigned out_ports = OUT_E9 | OUT_COM1;

void out_init(unsigned ports) {
  out_ports = ports;
  if (!(ports & OUT_COM1)) return;
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void out_char(char c) {
  if (out_ports & OUT_COM1) {
    /* LSR bit 5: transmitter holding register empty. Bounded, so that a
     * machine without a UART still finishes. */
    for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); ++i) {
    }
    outb(COM1, (uint8_t)c);
  }
  if (out_ports & OUT_E9) outb(E9, (uint8_t)c);
}

void out_str(const char *s) {
  while (*s) out_char(*s++);
}

void out_dec(uint64_t v) {
  char buf[24];
  int n = 0;
  /* Long division by 10 in 16-bit steps: a 64-bit division would need
   * libgcc. Each step divides (r << 16 | chunk) < 10 * 2^16. */
  do {
    uint64_t q = 0;
    uint32_t r = 0;
    for (int shift = 48; shift >= 0; shift -= 16) {
      const uint32_t cur = (r << 16) | (uint32_t)((v >> shift) & 0xFFFF);
      q |= (uint64_t)(cur / 10) << shift;
      r = cur % 10;
    }
    buf[n++] = (char)('0' + r);
    v = q;
  } while (v);
  while (n) out_char(buf[--n]);
}

void out_hex(uint32_t v) {
  out_str("0x");
  for (int s = 28; s >= 0; s -= 4) out_char("0123456789abcdef"[(v >> s) & 15]);
}

void debug_exit(uint8_t value) {
  /* isa-debug-exit: the emulator exits with status (value << 1) | 1. */
  outb(DEBUG_EXIT, value);
  for (;;) __asm__ volatile("cli; hlt");
}

/* ---- command line ------------------------------------------------------------ */
const char *multiboot_cmdline(uint32_t magic, uint32_t info) {
  /* Multiboot 0.6.96, 3.3: flags bit 2 says cmdline (offset 16) is valid. */
  if (magic != 0x2BADB002u || !info) return "";
  const uint32_t *mbi = (const uint32_t *)info;
  if (!(mbi[0] & 4) || !mbi[4]) return "";
  return (const char *)mbi[4];
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

int cmdline_value(const char *s, const char *key, char *buf, unsigned size) {
  while (*s) {
    while (is_space(*s)) ++s;
    const char *k = key;
    const char *p = s;
    while (*k && *p == *k) ++p, ++k;
    if (!*k && *p == '=') {
      ++p;
      unsigned n = 0;
      while (*p && !is_space(*p) && n + 1 < size) buf[n++] = *p++;
      buf[n] = 0;
      return 1;
    }
    while (*s && !is_space(*s)) ++s;
  }
  return 0;
}

int list_contains(const char *list, const char *word) {
  while (*list) {
    const char *w = word;
    while (*w && *list == *w) ++list, ++w;
    if (!*w && (*list == ',' || *list == 0)) return 1;
    while (*list && *list != ',') ++list;
    if (*list == ',') ++list;
  }
  return 0;
}

uint32_t parse_uint(const char *s, uint32_t fallback) {
  uint32_t v = 0;
  if (!*s) return fallback;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > 400000000u) return fallback;
    v = v * 10 + (uint32_t)(*s - '0');
  }
  return v;
}

int str_eq(const char *a, const char *b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

/* ---- descriptors (SDM Vol. 3A, 3.4.5 and 6.11) ------------------------------- */
struct desc { uint32_t lo, hi; };
static struct desc gdt[6] __attribute__((aligned(8)));
static struct desc idt[256] __attribute__((aligned(8)));
static struct {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
} tss __attribute__((aligned(128)));
static uint8_t ring0_stack[8192] __attribute__((aligned(16)));

extern const uint32_t fatal_stubs[32];
void isr_count(void);
void isr_ring3_return(void);
void isr_page_fault(void);

static struct desc seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  struct desc d;
  d.lo = (limit & 0xFFFF) | (base << 16);
  d.hi = ((base >> 16) & 0xFF) | ((uint32_t)access << 8) | (limit & 0xF0000) | ((uint32_t)(flags & 0xF) << 20) |
         (base & 0xFF000000);
  return d;
}

static void set_gate(int vector, uint32_t handler, int dpl) {
  /* 32-bit interrupt gate (type 0xE), present. */
  idt[vector].lo = (handler & 0xFFFF) | ((uint32_t)SEL_KCODE << 16);
  idt[vector].hi = (handler & 0xFFFF0000) | ((uint32_t)(0x80 | (dpl << 5) | 0xE) << 8);
}

void tables_init(void) {
  gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC); /* ring-0 code, 4 GiB */
  gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC); /* ring-0 data */
  gdt[3] = seg_desc(0, 0xFFFFF, 0xFA, 0xC); /* ring-3 code */
  gdt[4] = seg_desc(0, 0xFFFFF, 0xF2, 0xC); /* ring-3 data */
  tss.ss0 = SEL_KDATA;
  tss.esp0 = (uint32_t)(ring0_stack + sizeof ring0_stack);
  tss.iomap_base = sizeof tss; /* no I/O bitmap */
  gdt[5] = seg_desc((uint32_t)&tss, sizeof tss - 1, 0x89, 0); /* available 32-bit TSS */
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } g = {sizeof gdt - 1, (uint32_t)gdt};
  __asm__ volatile("lgdt %0" ::"m"(g));
  __asm__ volatile(
      "ljmp %0, $1f\n1:\n"
      "mov %1, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%fs\n mov %%ax, %%gs\n mov %%ax, %%ss\n"
      "ltr %w2" ::"i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS) : "eax", "memory");
  for (int v = 0; v < 32; ++v) set_gate(v, fatal_stubs[v], 0);
  set_gate(14, (uint32_t)isr_page_fault, 0);
  set_gate(0x80, (uint32_t)isr_count, 3);
  set_gate(0x81, (uint32_t)isr_ring3_return, 3);
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } r = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lidt %0" ::"m"(r));
  /* Mask both 8259s: IF stays 0, but leave nothing pending either. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
}

/* ---- paging (SDM Vol. 3A, 4.3) -------------------------------------------------- */
uint32_t page_directory[1024] __attribute__((aligned(4096)));
uint32_t page_tables[3][1024] __attribute__((aligned(4096)));

void paging_init(void) {
  for (uint32_t t = 0; t < 2; ++t)
    for (uint32_t i = 0; i < 1024; ++i) page_tables[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_RW | PTE_US;
  for (uint32_t i = 0; i < 1024; ++i) page_tables[2][i] = 0;
  for (uint32_t t = 0; t < 3; ++t) page_directory[t] = (uint32_t)page_tables[t] | PTE_P | PTE_RW | PTE_US;
  write_cr3((uint32_t)page_directory);
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0; jmp 1f; 1:" ::"r"(cr0 | 0x80000000u) : "memory");
}

/* ---- unexpected exceptions ------------------------------------------------------- */
void fatal_trap(uint32_t vector, uint32_t error, uint32_t eip) __attribute__((noreturn));
void fatal_trap(uint32_t vector, uint32_t error, uint32_t eip) {
  uint32_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  out_str("FATAL vector=");
  out_dec(vector);
  out_str(" error=");
  out_hex(error);
  out_str(" eip=");
  out_hex(eip);
  out_str(" cr2=");
  out_hex(cr2);
  out_char('\n');
  debug_exit(1);
}
