/* Runtime of the guest test kernels (see runtime.h). */
#include "runtime.h"

#define COM1 0x3F8
#define E9 0xE9
#define DEBUG_EXIT 0xF4

struct caught caught;
struct jmpbuf catch_buf;
volatile int catch_armed;
uint32_t multiboot_magic, multiboot_info;

static unsigned passed, failed;
static trap_hook hooks[256];

struct desc gdt[GDT_ENTRIES] __attribute__((aligned(8)));
struct desc idt[256] __attribute__((aligned(8)));
struct tss32 main_tss __attribute__((aligned(128)));
uint8_t ring0_stack[8192] __attribute__((aligned(16)));
uint8_t ring3_stack[8192] __attribute__((aligned(16)));
uint8_t *const ring0_stack_end = ring0_stack + sizeof ring0_stack;

void *memset(void *d, int c, unsigned n) {
  uint8_t *p = d;
  while (n--) *p++ = (uint8_t)c;
  return d;
}
void *memcpy(void *d, const void *s, unsigned n) {
  uint8_t *p = d;
  const uint8_t *q = s;
  while (n--) *p++ = *q++;
  return d;
}

/* ---- output ------------------------------------------------------------- */
static void serial_init(void) {
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void putc_out(char c) {
  /* LSR bit 5: transmitter holding register empty. Bounded, so that a
   * machine without a UART still finishes. */
  for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); ++i) {
  }
  outb(COM1, (uint8_t)c);
  outb(E9, (uint8_t)c);
}

void puts_out(const char *s) {
  while (*s) putc_out(*s++);
}

/* Formatting goes to a sink: the ports, or a buffer for tsnprintf. */
struct sink {
  char *buf; /* null: the output ports */
  unsigned size, len;
};

static void emit(struct sink *k, char c) {
  if (!k->buf) {
    putc_out(c);
    return;
  }
  if (k->len + 1 < k->size) k->buf[k->len++] = c;
}

static void put_num(struct sink *k, uint32_t v, unsigned base, int width, char pad, int negative) {
  char buf[12];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (negative) buf[n++] = '-';
  while (width-- > n) emit(k, pad);
  while (n) emit(k, buf[--n]);
}

static void vformat(struct sink *k, const char *fmt, __builtin_va_list ap) {
  for (; *fmt; ++fmt) {
    if (*fmt != '%') {
      emit(k, *fmt);
      continue;
    }
    ++fmt;
    char pad = ' ';
    int width = 0;
    if (*fmt == '0') pad = '0';
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    switch (*fmt) {
      case 'd': {
        int v = __builtin_va_arg(ap, int);
        put_num(k, v < 0 ? (uint32_t)-v : (uint32_t)v, 10, width, pad, v < 0);
        break;
      }
      case 'u': put_num(k, __builtin_va_arg(ap, uint32_t), 10, width, pad, 0); break;
      case 'x': put_num(k, __builtin_va_arg(ap, uint32_t), 16, width, pad, 0); break;
      case 's':
        for (const char *s = __builtin_va_arg(ap, const char *); *s; ++s) emit(k, *s);
        break;
      case 'c': emit(k, (char)__builtin_va_arg(ap, int)); break;
      case '%': emit(k, '%'); break;
      default: emit(k, '?'); break;
    }
  }
}

void tprintf(const char *fmt, ...) {
  struct sink k = {0, 0, 0};
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  vformat(&k, fmt, ap);
  __builtin_va_end(ap);
}

char *tsnprintf(char *buf, unsigned size, const char *fmt, ...) {
  struct sink k = {buf, size, 0};
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  vformat(&k, fmt, ap);
  __builtin_va_end(ap);
  if (size) buf[k.len] = 0;
  return buf;
}

/* ---- checks --------------------------------------------------------------- */
void check(const char *what, int ok) {
  if (ok) {
    ++passed;
    tprintf("PASS %s: %s\n", test_area, what);
  } else {
    ++failed;
    tprintf("FAIL %s: %s (expected true, got false)\n", test_area, what);
  }
}

void check_eq(const char *what, uint32_t expected, uint32_t got) {
  if (expected == got) {
    ++passed;
    tprintf("PASS %s: %s\n", test_area, what);
  } else {
    ++failed;
    tprintf("FAIL %s: %s (expected 0x%x, got 0x%x)\n", test_area, what, expected, got);
  }
}

static void describe_fault(int vector, uint32_t error) {
  if (vector < 0) tprintf("no exception");
  else if (error == NO_ERR_CHECK) tprintf("vector %d", vector);
  else tprintf("vector %d error 0x%x", vector, error);
}

void check_fault(const char *what, int vector, uint32_t error) {
  int ok = caught.vector == vector && (vector < 0 || error == NO_ERR_CHECK || caught.error == error);
  if (ok) {
    ++passed;
    tprintf("PASS %s: %s\n", test_area, what);
    return;
  }
  ++failed;
  tprintf("FAIL %s: %s (expected ", test_area, what);
  describe_fault(vector, error);
  tprintf(", got ");
  describe_fault(caught.vector, error == NO_ERR_CHECK ? NO_ERR_CHECK : caught.error);
  if (caught.vector >= 0) tprintf(" at eip 0x%x", caught.eip);
  tprintf(")\n");
}

void debug_exit(uint8_t value) {
  /* isa-debug-exit: the emulator exits with status (value << 1) | 1. */
  outb(DEBUG_EXIT, value);
  for (;;) __asm__ volatile("cli; hlt");
}

void finish(void) {
  tprintf("DONE %s %u passed %u failed\n", test_area, passed, failed);
  debug_exit(failed == 0 && passed > 0 ? 0 : 1);
}

/* ---- exceptions ------------------------------------------------------------ */
void set_trap_hook(int vector, trap_hook hook) { hooks[vector] = hook; }

void trap_dispatch(struct trap_frame *f) {
  if (hooks[f->vector] && hooks[f->vector](f)) return;
  if (catch_armed) {
    catch_armed = 0;
    caught.vector = (int)f->vector;
    caught.error = f->error;
    caught.eip = f->eip;
    caught.cs = f->cs;
    caught.eflags = f->eflags;
    caught.cr2 = READ_CR(2);
    caught.esp = (uint32_t)f;
    /* From an outer ring or V86 mode the CPU also pushed SS:ESP. */
    const int outer = (f->cs & 3) != 0 || (f->eflags & (1u << 17)) != 0;
    caught.user_esp = outer ? f->esp : 0;
    caught.user_ss = outer ? f->ss : 0;
    caught.eax = f->eax;
    caught.ecx = f->ecx;
    caught.edx = f->edx;
    caught.ebx = f->ebx;
    caught.esi = f->esi;
    caught.edi = f->edi;
    caught.ebp = f->ebp;
    caught.ds = f->ds & 0xFFFF;
    caught.v86_ds = (f->eflags & (1u << 17)) ? f->v86_ds & 0xFFFF : 0;
    /* Without a privilege change the CPU pushed EFLAGS, CS, EIP on the
     * interrupted stack, so its ESP is where the frame's esp field is. */
    caught.fault_esp = outer ? f->esp : (uint32_t)&f->esp;
    tx_longjmp(&catch_buf, 1);
  }
  ++failed;
  tprintf("FAIL %s: unexpected exception vector %u error 0x%x at %x:%x\n", test_area, f->vector, f->error, f->cs,
          f->eip);
  finish();
}

/* ---- descriptors ------------------------------------------------------------- */
struct desc make_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  struct desc d;
  d.lo = (limit & 0xFFFF) | (base << 16);
  d.hi = ((base >> 16) & 0xFF) | ((uint32_t)access << 8) | (limit & 0xF0000) | ((uint32_t)(flags & 0xF) << 20) |
         (base & 0xFF000000);
  return d;
}

struct desc make_gate(uint16_t selector, uint32_t offset, uint8_t type_dpl_p, uint8_t params) {
  struct desc d;
  d.lo = (offset & 0xFFFF) | ((uint32_t)selector << 16);
  d.hi = (offset & 0xFFFF0000) | ((uint32_t)type_dpl_p << 8) | (params & 0x1F);
  return d;
}

void set_gdt(int index, struct desc d) { gdt[index] = d; }

void set_idt_gate(int vector, void *handler, uint8_t type, int dpl) {
  idt[vector] = make_gate(SEL_KCODE, (uint32_t)handler, (uint8_t)(ACC_P | (dpl << 5) | type), 0);
}

void reload_gdtr(void) {
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } r = {sizeof gdt - 1, (uint32_t)gdt};
  __asm__ volatile("lgdt %0" ::"m"(r));
}

static void load_tables(void) {
  set_gdt(1, make_desc(0, 0xFFFFF, ACC_CODE_RX, FLG_G | FLG_DB));
  set_gdt(2, make_desc(0, 0xFFFFF, ACC_DATA_RW, FLG_G | FLG_DB));
  set_gdt(3, make_desc(0, 0xFFFFF, ACC_CODE_RX | ACC_DPL3, FLG_G | FLG_DB));
  set_gdt(4, make_desc(0, 0xFFFFF, ACC_DATA_RW | ACC_DPL3, FLG_G | FLG_DB));
  main_tss.ss0 = SEL_KDATA;
  main_tss.esp0 = (uint32_t)ring0_stack_end;
  main_tss.iomap_base = sizeof main_tss; /* no I/O bitmap: limit ends before it */
  set_gdt(5, make_desc((uint32_t)&main_tss, sizeof main_tss - 1, ACC_P | SYS_TSS32_AVAIL, 0));
  reload_gdtr();
  __asm__ volatile(
      "ljmp %0, $1f\n1:\n"
      "mov %1, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%fs\n mov %%ax, %%gs\n mov %%ax, %%ss\n"
      "ltr %w2" ::"i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS) : "eax", "memory");
  for (int v = 0; v < 256; ++v) set_idt_gate(v, (void *)trap_stubs[v], SYS_INT_GATE32, 0);
  set_idt_gate(VEC_USER_RETURN, (void *)trap_stubs[VEC_USER_RETURN], SYS_INT_GATE32, 3);
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } r = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lidt %0" ::"m"(r));
}

/* ---- ring 3 ------------------------------------------------------------------ */
int run_ring3(void (*fn)(void), uint32_t eflags) {
  TRY {
    __asm__ volatile(
        "mov %0, %%ds\n mov %0, %%es\n mov %0, %%fs\n mov %0, %%gs\n"
        "pushl %1\n pushl %2\n pushl %3\n pushl %4\n pushl %5\n iret" ::"r"(SEL_UDATA),
        "i"(SEL_UDATA), "r"((uint32_t)ring3_stack + sizeof ring3_stack), "r"(eflags), "i"(SEL_UCODE), "r"(fn)
        : "memory");
  }
  ENDTRY
  return caught.vector == VEC_USER_RETURN;
}

void user_return(void) {
  __asm__ volatile("int $0x41");
  for (;;) {
  }
}

/* ---- start -------------------------------------------------------------------- */
struct boot_state boot_state;

static void record_boot_state(void) {
  struct boot_state *b = &boot_state;
  b->eflags = read_eflags();
  b->cr0 = READ_CR(0);
  __asm__ volatile("mov %%cs, %0" : "=r"(b->sel[0]));
  __asm__ volatile("mov %%ds, %0" : "=r"(b->sel[1]));
  __asm__ volatile("mov %%ss, %0" : "=r"(b->sel[2]));
  __asm__ volatile("mov %%es, %0" : "=r"(b->sel[3]));
  for (int i = 0; i < 4; ++i) {
    __asm__ volatile("lar %1, %0" : "=r"(b->lar[i]) : "r"(b->sel[i]) : "cc");
    __asm__ volatile("lsl %1, %0" : "=r"(b->lsl[i]) : "r"(b->sel[i]) : "cc");
  }
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } g;
  __asm__ volatile("sgdt %0" : "=m"(g));
  b->gdt_base = g.base;
  b->gdt_limit = g.limit;
}

void runtime_start(uint32_t magic, uint32_t info) {
  record_boot_state();
  multiboot_magic = magic;
  multiboot_info = info;
  serial_init();
  /* Mask both 8259s: the kernels run with IF = 0, but V86 and ring tests
   * may set IF, and a BIOS-programmed timer would otherwise arrive. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
  load_tables();
  tprintf("START %s\n", test_area);
  test_main();
  finish();
}
