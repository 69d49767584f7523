/* Runtime of the guest test kernels: output on COM1 (polled) and port 0xE9,
 * a small printf, check reporting, the exit through the isa-debug-exit port
 * (0xF4), GDT/IDT/TSS helpers and exception catching.
 *
 * Report format, one line per check:
 *   PASS <area>: <check>
 *   FAIL <area>: <check> (expected X, got Y)
 *   DONE <area> <passed> passed <failed> failed
 * then the kernel writes 0 (all passed, exit status 1) or 1 (status 3) to
 * port 0xF4 and halts.
 *
 * Each kernel defines `const char test_area[]` and `void test_main(void)`. */
#ifndef TX86_GUEST_RUNTIME_H
#define TX86_GUEST_RUNTIME_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;

extern const char test_area[];
void test_main(void);

/* ---- ports and control registers -------------------------------------- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
#define READ_CR(n) ({ uint32_t v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_CR(n, v) __asm__ volatile("mov %0, %%cr" #n ::"r"((uint32_t)(v)) : "memory")
#define READ_DR(n) ({ uint32_t v_; __asm__ volatile("mov %%db" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_DR(n, v) __asm__ volatile("mov %0, %%db" #n ::"r"((uint32_t)(v)) : "memory")
static inline uint32_t read_eflags(void) {
  uint32_t v;
  __asm__ volatile("pushfl; popl %0" : "=r"(v));
  return v;
}
static inline void write_eflags(uint32_t v) { __asm__ volatile("pushl %0; popfl" ::"r"(v) : "memory", "cc"); }

/* ---- output ----------------------------------------------------------- */
void putc_out(char c);
void puts_out(const char *s);
void tprintf(const char *fmt, ...);
/* Formats into buf (always NUL-terminated); returns buf. */
char *tsnprintf(char *buf, unsigned size, const char *fmt, ...);

/* ---- checks ----------------------------------------------------------- */
void check(const char *what, int ok);                              /* PASS/FAIL */
void check_eq(const char *what, uint32_t expected, uint32_t got);  /* hex values */
void finish(void) __attribute__((noreturn));                       /* DONE + exit */
void debug_exit(uint8_t value) __attribute__((noreturn));

/* ---- exception catching ----------------------------------------------- */
struct trap_frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_kernel, ebx, edx, ecx, eax;
  uint32_t vector, error;
  uint32_t eip, cs, eflags;
  uint32_t esp, ss; /* only when the exception came from an outer ring */
  uint32_t v86_es, v86_ds, v86_fs, v86_gs; /* only when it came from V86 mode */
};

struct jmpbuf { uint32_t ebx, esi, edi, ebp, esp, eip, eflags; };
int tx_setjmp(struct jmpbuf *b) __attribute__((returns_twice));
void tx_longjmp(struct jmpbuf *b, int value) __attribute__((noreturn));

/* What the last caught exception was. vector == -1: none. */
struct caught {
  int vector;
  uint32_t error;
  uint32_t eip;
  uint32_t cs;
  uint32_t eflags;
  uint32_t cr2;
  uint32_t esp; /* ESP at the handler: frame address (shows stack switches) */
  uint32_t user_esp, user_ss; /* pushed only on a privilege change */
  /* Registers at the exception (to check that a fault left them as they
   * were before the instruction) and ESP of the interrupted code. */
  uint32_t eax, ecx, edx, ebx, esi, edi, ebp, fault_esp;
  uint32_t ds; /* DS in the handler, as the CPU left it (pushed by the stub) */
  uint32_t v86_ds; /* V86 DS from the frame, when from V86 mode */
};
extern struct caught caught;
extern struct jmpbuf catch_buf;
extern volatile int catch_armed;

/* TRY { code } ENDTRY: runs `code`; if an exception happens, the handler
 * records it in `caught` and comes back here (ring 0, kernel segments and
 * stack, EFLAGS as at TRY). Registers other than the callee-saved ones are
 * lost, so `code` should be one asm statement or simple C. */
#define TRY                         \
  caught.vector = -1;               \
  if (tx_setjmp(&catch_buf) == 0) { \
    catch_armed = 1;                \
    __asm__ volatile("" ::: "memory");
#define ENDTRY                        \
  __asm__ volatile("" ::: "memory");  \
  catch_armed = 0;                    \
  }                                   \
  catch_armed = 0;

/* Checks that the last TRY block faulted with `vector` and, unless
 * error == NO_ERR_CHECK, that error code. vector -1: no exception expected. */
#define NO_ERR_CHECK 0xFFFFFFFFu
void check_fault(const char *what, int vector, uint32_t error);

/* A per-vector hook run before the catch logic; returns 1 if it handled the
 * exception (the frame is then resumed as edited). */
typedef int (*trap_hook)(struct trap_frame *f);
void set_trap_hook(int vector, trap_hook hook);

/* ---- descriptors -------------------------------------------------------- */
/* Fixed GDT layout shared by all kernels. */
enum {
  SEL_KCODE = 0x08, SEL_KDATA = 0x10, SEL_UCODE = 0x18 | 3, SEL_UDATA = 0x20 | 3, SEL_TSS = 0x28,
  GDT_FIRST_FREE = 6, GDT_ENTRIES = 64,
};
struct desc { uint32_t lo, hi; };
extern struct desc gdt[GDT_ENTRIES];
extern struct desc idt[256];
/* Access byte bits (SDM Vol. 3A, 3.4.5 figure 3-8). */
enum {
  ACC_P = 0x80, ACC_S = 0x10, ACC_CODE = 0x08, ACC_DPL3 = 0x60,
  ACC_DATA_RW = ACC_P | ACC_S | 0x2, ACC_DATA_RO = ACC_P | ACC_S | 0x0,
  ACC_DATA_RW_DOWN = ACC_P | ACC_S | 0x6, ACC_CODE_RX = ACC_P | ACC_S | 0xA,
  ACC_CODE_XO = ACC_P | ACC_S | 0x8, ACC_CODE_CONF_RX = ACC_P | ACC_S | 0xE,
  FLG_G = 0x8, FLG_DB = 0x4,
};
/* System types (SDM Vol. 3A, 3.5 table 3-2). */
enum {
  SYS_LDT = 0x2, SYS_TSS32_AVAIL = 0x9, SYS_TSS32_BUSY = 0xB, SYS_CALL_GATE32 = 0xC,
  SYS_TASK_GATE = 0x5, SYS_INT_GATE32 = 0xE, SYS_TRAP_GATE32 = 0xF,
};
struct desc make_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
struct desc make_gate(uint16_t selector, uint32_t offset, uint8_t type_dpl_p, uint8_t params);
void set_gdt(int index, struct desc d);
void set_idt_gate(int vector, void *handler, uint8_t type, int dpl);
void reload_gdtr(void);
/* Interrupt stub address for a vector (entry.asm), for use in gates. */
extern uint32_t trap_stubs[256];

struct tss32 {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
};
extern struct tss32 main_tss;
extern uint8_t ring0_stack[8192]; /* TSS.ESP0 = its end */
extern uint8_t ring3_stack[8192];

/* Runs fn() in ring 3 (IRET to SEL_UCODE, ring-3 stack, DS/ES = SEL_UDATA,
 * EFLAGS = eflags). fn must end with user_return() (INT 0x41, DPL 3); an
 * exception in ring 3 comes back through `caught` as with TRY. Returns 1 if
 * fn reached user_return(). */
int run_ring3(void (*fn)(void), uint32_t eflags);
void user_return(void) __attribute__((noreturn));
enum { VEC_USER_RETURN = 0x41 };

/* ---- misc ---------------------------------------------------------------- */
void *memset(void *d, int c, unsigned n);
void *memcpy(void *d, const void *s, unsigned n);
extern uint32_t multiboot_magic, multiboot_info;
/* Machine state at entry, before the runtime loads its own tables. */
struct boot_state {
  uint32_t eflags, cr0;
  uint32_t sel[4]; /* CS DS SS ES */
  uint32_t lar[4], lsl[4];
  uint32_t gdt_base, gdt_limit;
};
extern struct boot_state boot_state;

#endif
