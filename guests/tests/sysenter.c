/* SYSENTER/SYSEXIT and the MSRs behind them.
 *
 * Sources: SDM Vol. 3A 5.8.7 (fast system calls: IA32_SYSENTER_CS 174H,
 * _ESP 175H, _EIP 176H; SS = SYSENTER_CS + 8 on SYSENTER; SYSEXIT loads
 * CS = SYSENTER_CS + 16 and SS = SYSENTER_CS + 24, both with RPL 3, from
 * fixed flat descriptors); Vol. 2B SYSENTER (#GP(0) if SYSENTER_CS is null;
 * clears VM, IF and RF; saves no return information), SYSEXIT (#GP(0) if
 * SYSENTER_CS is null or CPL != 0; ESP = ECX, EIP = EDX), RDMSR/WRMSR
 * (#GP(0) for a reserved or unimplemented MSR); CPUID leaf 1 EDX bit 11 SEP. */
#include "lib/runtime.h"

const char test_area[] = "sysenter";

#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

static uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint8_t sysenter_stack[1024] __attribute__((aligned(16)));
/* What the ring-0 entry and the ring-3 return point saw. */
volatile uint32_t k_cs, k_ss, k_esp, k_eflags, u_cs, u_ss, u_esp, u_esp_before, u_eflags;
extern char sysenter_entry[], sysexit_return[];
__asm__(
    ".text\n"
    "sysenter_entry:\n"
    " mov %esp, k_esp\n mov %cs, %eax\n mov %eax, k_cs\n mov %ss, %eax\n mov %eax, k_ss\n"
    " pushf\n popl k_eflags\n"
    " mov u_esp_before, %ecx\n mov $sysexit_return, %edx\n sysexit\n");

static void r3_sysenter(void) {
  __asm__ volatile(
      "mov %%esp, u_esp_before\n sysenter\n"
      "sysexit_return:\n mov %%esp, u_esp\n mov %%cs, %%eax\n mov %%eax, u_cs\n mov %%ss, %%eax\n mov %%eax, u_ss\n"
      "pushf\n popl u_eflags\n" ::: "eax", "ecx", "edx", "memory");
  user_return();
}
static void r3_sysexit(void) {
  __asm__ volatile("sysexit" ::"c"(0), "d"(0));
  user_return();
}

void test_main(void) {
  uint32_t a = 1, b, c, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  check_eq("CPUID.1:EDX.SEP reports SYSENTER/SYSEXIT", 1u << 11, d & (1u << 11));

  wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
  wrmsr(MSR_SYSENTER_ESP, (uint32_t)sysenter_stack + sizeof sysenter_stack);
  wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);
  check_eq("RDMSR IA32_SYSENTER_CS reads back", SEL_KCODE, (uint32_t)rdmsr(MSR_SYSENTER_CS));
  check_eq("RDMSR IA32_SYSENTER_ESP reads back", (uint32_t)sysenter_stack + sizeof sysenter_stack,
           (uint32_t)rdmsr(MSR_SYSENTER_ESP));
  check_eq("RDMSR IA32_SYSENTER_EIP reads back", (uint32_t)sysenter_entry, (uint32_t)rdmsr(MSR_SYSENTER_EIP));

  run_ring3(r3_sysenter, 0x202);
  check_fault("SYSENTER from ring 3 and SYSEXIT back", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("SYSENTER: CS = SYSENTER_CS", SEL_KCODE, k_cs & 0xFFFF);
  check_eq("SYSENTER: SS = SYSENTER_CS + 8", SEL_KDATA, k_ss & 0xFFFF);
  check_eq("SYSENTER: ESP = IA32_SYSENTER_ESP (nothing pushed)", (uint32_t)sysenter_stack + sizeof sysenter_stack,
           k_esp);
  check_eq("SYSENTER: IF cleared", 0, k_eflags & 0x200);
  check_eq("SYSEXIT: CS = SYSENTER_CS + 16 with RPL 3", SEL_UCODE, u_cs & 0xFFFF);
  check_eq("SYSEXIT: SS = SYSENTER_CS + 24 with RPL 3", SEL_UDATA, u_ss & 0xFFFF);
  check_eq("SYSEXIT: ESP = ECX", u_esp_before, u_esp);
  check_eq("SYSEXIT: EFLAGS.IF stays as SYSENTER left it (0)", 0, u_eflags & 0x200);

  run_ring3(r3_sysexit, 0x2);
  check_fault("SYSEXIT at CPL 3: #GP(0)", 13, 0);
  wrmsr(MSR_SYSENTER_CS, 0);
  run_ring3(r3_sysenter, 0x2);
  check_fault("SYSENTER with IA32_SYSENTER_CS = 0: #GP(0)", 13, 0);
  TRY { __asm__ volatile("sysexit" ::"c"(0), "d"(0)); } ENDTRY
  check_fault("SYSEXIT with IA32_SYSENTER_CS = 0: #GP(0)", 13, 0);

  /* RDMSR/WRMSR: an unimplemented MSR is #GP(0). 0x2FF0 is in no
   * architectural range. QEMU deviation: QEMU 7.2 TCG returns 0 for an
   * unknown RDMSR and ignores the WRMSR, so these FAIL there. */
  TRY { rdmsr(0x2FF0); } ENDTRY
  check_fault("RDMSR of an unimplemented MSR: #GP(0)", 13, 0);
  TRY { wrmsr(0x2FF0, 1); } ENDTRY
  check_fault("WRMSR of an unimplemented MSR: #GP(0)", 13, 0);
}
