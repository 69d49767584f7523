/* Hardware task switches: JMP and CALL to a TSS, CALL through a task gate
 * in the GDT, INT n through a task gate in the IDT, IRET back through the
 * back link; busy flags, NT, the link field, state saved and loaded, LDTR
 * and CR0.TS; and the checks that refuse a switch.
 *
 * Sources: SDM Vol. 3A 7.2.1-7.2.5 (TSS fields, descriptors, task gates;
 * CR3 and LDT fields are loaded, not saved), 7.3 (task switching steps:
 * state saved in the old TSS, TS set in CR0, TR loaded), 7.4 and table 7-2
 * (busy flag, NT and link field for JMP, CALL/INT and IRET); Vol. 2A JMP and
 * CALL (#GP(TSS selector) when busy or DPL < CPL/RPL, #NP when not
 * present), Vol. 2B IRET (task return: #TS(link) if that TSS is not busy). */
#include "lib/runtime.h"

const char test_area[] = "tasks";

enum { T_A = GDT_FIRST_FREE, T_B, T_LDT, T_GATE, T_NP, T_GATE0 };
#define SEL(i) ((uint16_t)((i) << 3))
#define EFL_NT (1u << 14)
#define CR0_TS (1u << 3)
#define VEC_TASK_GATE 0x45

static struct tss32 tss_a __attribute__((aligned(128)));
static struct tss32 tss_b __attribute__((aligned(128)));
static uint8_t task_stack[4096] __attribute__((aligned(16)));
static struct desc task_ldt[1] __attribute__((aligned(8)));

/* What task A saw. */
static volatile uint32_t ta_eax, ta_tr, ta_eflags, ta_cr0, ta_ldtr, ta_link, ta_busy_main, ta_busy_a, ta_mode;

static uint32_t busy(int index) { return (gdt[index].hi >> 9) & 1; } /* type bit 1: 9 avail, B busy */
static uint32_t str(void) {
  uint32_t v = 0;
  __asm__ volatile("str %w0" : "+r"(v));
  return v & 0xFFFF;
}
static uint32_t sldt(void) {
  uint32_t v = 0;
  __asm__ volatile("sldt %w0" : "+r"(v));
  return v & 0xFFFF;
}

void task_a_body(void) {
  ta_tr = str();
  ta_eflags = read_eflags();
  ta_cr0 = READ_CR(0);
  ta_ldtr = sldt();
  ta_link = tss_a.link;
  ta_busy_main = busy(SEL_TSS >> 3);
  ta_busy_a = busy(T_A);
  if (ta_mode == 0) __asm__ volatile("ljmp %0, $0" ::"i"(SEL_TSS));
  else __asm__ volatile("iret");
  for (;;) __asm__ volatile("cli; hlt"); /* never resumed: TSS A is reset each time */
}
extern char task_a_entry[];
__asm__(".text\n task_a_entry: mov %eax, ta_eax\n call task_a_body\n");

static void reset_task_a(void) {
  memset(&tss_a, 0, sizeof tss_a);
  tss_a.eip = (uint32_t)task_a_entry;
  tss_a.esp = (uint32_t)task_stack + sizeof task_stack;
  tss_a.eflags = 0x2;
  tss_a.eax = 0x1234ABCD;
  tss_a.cs = SEL_KCODE;
  tss_a.ss = tss_a.ds = tss_a.es = tss_a.fs = tss_a.gs = SEL_KDATA;
  tss_a.cr3 = READ_CR(3);
  tss_a.ldt = SEL(T_LDT);
  tss_a.iomap_base = sizeof tss_a;
  set_gdt(T_A, make_desc((uint32_t)&tss_a, sizeof tss_a - 1, ACC_P | SYS_TSS32_AVAIL, 0));
  ta_eax = ta_tr = ta_eflags = ta_cr0 = ta_ldtr = ta_link = ta_busy_main = ta_busy_a = 0xFFFFFFFF;
}

static void r3_jmp_tss(void) {
  __asm__ volatile("ljmp %0, $0" ::"i"(SEL(T_A) | 3));
  user_return();
}
static void r3_call_gate0(void) {
  __asm__ volatile("lcall %0, $0" ::"i"(SEL(T_GATE0) | 3));
  user_return();
}

void test_main(void) {
  task_ldt[0] = make_desc(0, 0xFFFFF, ACC_DATA_RW, FLG_G | FLG_DB);
  set_gdt(T_LDT, make_desc((uint32_t)task_ldt, sizeof task_ldt - 1, ACC_P | SYS_LDT, 0));
  set_gdt(T_GATE, make_gate(SEL(T_A), 0, ACC_P | SYS_TASK_GATE, 0));
  set_gdt(T_GATE0, make_gate(SEL(T_A), 0, ACC_P | SYS_TASK_GATE, 0)); /* DPL 0 */
  set_gdt(T_NP, make_desc((uint32_t)&tss_b, sizeof tss_b - 1, SYS_TSS32_AVAIL, 0)); /* not present */
  set_gdt(T_B, make_desc((uint32_t)&tss_b, sizeof tss_b - 1, ACC_P | SYS_TSS32_AVAIL, 0));
  idt[VEC_TASK_GATE] = make_gate(SEL(T_A), 0, ACC_P | SYS_TASK_GATE, 0);
  main_tss.cr3 = READ_CR(3);
  check_eq("LTR marked the main TSS busy", 1, busy(SEL_TSS >> 3));

  /* JMP to a TSS (table 7-2, JMP column). */
  reset_task_a();
  ta_mode = 0;
  uint32_t ebx_after;
  __asm__ volatile("mov $0xB0B0B0B0, %%ebx\n ljmp %1, $0\n mov %%ebx, %0" : "=r"(ebx_after) : "i"(SEL(T_A))
                   : "ebx", "memory");
  check_eq("JMP to TSS: new task gets EAX from its TSS", 0x1234ABCD, ta_eax);
  check_eq("JMP to TSS: TR = new TSS selector", SEL(T_A), ta_tr);
  check_eq("JMP to TSS: new task's NT from its TSS image (0)", 0, ta_eflags & EFL_NT);
  check_eq("JMP to TSS: CR0.TS set by the switch", CR0_TS, ta_cr0 & CR0_TS);
  check_eq("JMP to TSS: LDTR loaded from the TSS", SEL(T_LDT), ta_ldtr);
  check_eq("JMP to TSS: new task's busy flag set", 1, ta_busy_a);
  check_eq("JMP to TSS: old task's busy flag cleared", 0, ta_busy_main);
  check_eq("JMP to TSS: link field unchanged", 0, ta_link);
  check_eq("JMP back: old TSS holds the saved EBX", 0xB0B0B0B0, main_tss.ebx);
  check_eq("JMP back: registers reloaded from the TSS", 0xB0B0B0B0, ebx_after);
  check_eq("JMP back: TR = main TSS", SEL_TSS, str());
  check_eq("JMP back: task A's busy flag cleared", 0, busy(T_A));
  check_eq("JMP back: main TSS busy again", 1, busy(SEL_TSS >> 3));
  check_eq("JMP back: LDTR from the main TSS (null)", 0, sldt());
  check_eq("JMP back: CR0.TS set", CR0_TS, READ_CR(0) & CR0_TS);
  __asm__ volatile("clts");
  check_eq("CLTS clears CR0.TS", 0, READ_CR(0) & CR0_TS);

  /* CALL to a TSS, IRET back (table 7-2, CALL and IRET columns). */
  reset_task_a();
  ta_mode = 1;
  __asm__ volatile("lcall %0, $0" ::"i"(SEL(T_A)) : "memory");
  check_eq("CALL to TSS: NT set in the new task", EFL_NT, ta_eflags & EFL_NT);
  check_eq("CALL to TSS: link field = old TSS selector", SEL_TSS, ta_link & 0xFFFF);
  check_eq("CALL to TSS: old task stays busy", 1, ta_busy_main);
  check_eq("CALL to TSS: new task busy", 1, ta_busy_a);
  check_eq("IRET back: TR = main TSS", SEL_TSS, str());
  check_eq("IRET back: returning task's busy flag cleared", 0, busy(T_A));
  check_eq("IRET back: NT cleared in the returning task's saved EFLAGS", 0, tss_a.eflags & EFL_NT);
  check_eq("IRET back: NT from the main task's image (0)", 0, read_eflags() & EFL_NT);
  __asm__ volatile("clts");

  /* CALL through a task gate in the GDT. */
  reset_task_a();
  ta_mode = 1;
  __asm__ volatile("lcall %0, $0" ::"i"(SEL(T_GATE)) : "memory");
  check_eq("CALL through a task gate: TR = the gate's TSS", SEL(T_A), ta_tr);
  check_eq("CALL through a task gate: link = old TSS", SEL_TSS, ta_link & 0xFFFF);
  check_eq("CALL through a task gate: returns by IRET", SEL_TSS, str());
  /* INT n through a task gate in the IDT (6.11: task gate). */
  reset_task_a();
  ta_mode = 1;
  __asm__ volatile("int %0" ::"i"(VEC_TASK_GATE) : "memory");
  check_eq("INT through an IDT task gate: TR = the gate's TSS", SEL(T_A), ta_tr);
  check_eq("INT through an IDT task gate: NT set", EFL_NT, ta_eflags & EFL_NT);
  check_eq("INT through an IDT task gate: link = old TSS", SEL_TSS, ta_link & 0xFFFF);
  check_eq("INT through an IDT task gate: IRET returns", SEL_TSS, str());
  __asm__ volatile("clts");

  /* Refused switches. */
  TRY { __asm__ volatile("ljmp %0, $0" ::"i"(SEL_TSS)); } ENDTRY
  check_fault("JMP to the busy current TSS: #GP(sel)", 13, SEL_TSS);
  TRY { __asm__ volatile("lcall %0, $0" ::"i"(SEL_TSS)); } ENDTRY
  check_fault("CALL to the busy current TSS: #GP(sel)", 13, SEL_TSS);
  TRY { __asm__ volatile("lcall %0, $0" ::"i"(SEL(T_NP))); } ENDTRY
  check_fault("CALL to a not-present TSS: #NP(sel)", 11, SEL(T_NP));
  reset_task_a();
  run_ring3(r3_jmp_tss, 0x2);
  check_fault("JMP to a DPL0 TSS from ring 3: #GP(sel)", 13, SEL(T_A));
  run_ring3(r3_call_gate0, 0x2);
  check_fault("CALL through a DPL0 task gate from ring 3: #GP(gate)", 13, SEL(T_GATE0));
  main_tss.link = SEL(T_B);
  TRY {
    __asm__ volatile("pushf\n orl %0, (%%esp)\n popf\n iret" ::"i"(EFL_NT) : "memory");
  } ENDTRY
  main_tss.link = 0;
  check_fault("IRET with NT=1 to a TSS that is not busy: #TS(link)", 10, SEL(T_B));
  check_eq("main TSS still current", SEL_TSS, str());
}
