/* Ring transitions: call gates with parameter copy, interrupt and trap gates
 * from ring 3, the inner-ring stack switch from the TSS, IRET and far RET to
 * an outer ring, and the nulling of data segment registers on such returns.
 *
 * Sources: SDM Vol. 3A 5.8.2-5.8.5 (call gates, privilege rules, stack
 * switching, figure 5-13: the inner stack holds caller SS, ESP, the copied
 * parameters, CS, EIP), 5.8.6 (returning from a called procedure: far RET to
 * an outer level pops SS:ESP and loads null into DS/ES/FS/GS whose DPL is
 * below the new CPL (data or nonconforming code)), 6.12.1 (interrupt to a
 * handler at a higher privilege: SS:ESP from the TSS, frame SS ESP EFLAGS CS
 * EIP; interrupt gates clear IF, trap gates do not), 7.2.1 (TSS SS0:ESP0);
 * Vol. 2A CALL, Vol. 2B RET and IRET "Operation" and "Protected Mode
 * Exceptions".
 * Protected-mode virtual interrupts (CR4.PVI): Vol. 3A 20.4 and Vol. 2 CLI
 * and STI Operation (at CPL 3 with IOPL < 3 and PVI = 1, CLI clears VIF and
 * STI sets it, #GP(0) instead if VIP = 1; IF is unchanged; with CPL <= IOPL
 * they act on IF as usual; with PVI = 0 they are #GP(0)); Vol. 2 IRET (at
 * CPL 0 IRET loads VIF and VIP from the image) and PUSHF (EFLAGS image with
 * VM and RF cleared, VIF and VIP as they are). */
#include "lib/runtime.h"

const char test_area[] = "rings";

enum { G_CALL3 = GDT_FIRST_FREE, G_CALL0, G_CALL_NP, G_CALL_NULL, G_CALL_SAME };
#define SEL(i) ((uint16_t)((i) << 3))
#define VEC_INT3_GATE 0x43
#define VEC_TRAP3_GATE 0x44

/* Call-gate targets: record what the inner ring sees, then return. */
volatile uint32_t g_esp, g_ss, g_cs, g_stack[6], g_fs_in;
extern char gate_target[], gate_target_same[], r3_after_gate[];
__asm__(
    ".text\n"
    "gate_target:\n"
    " mov %esp, g_esp\n mov %ss, %eax\n mov %eax, g_ss\n mov %cs, %eax\n mov %eax, g_cs\n"
    " mov 0(%esp), %eax\n mov %eax, g_stack+0\n mov 4(%esp), %eax\n mov %eax, g_stack+4\n"
    " mov 8(%esp), %eax\n mov %eax, g_stack+8\n mov 12(%esp), %eax\n mov %eax, g_stack+12\n"
    " mov 16(%esp), %eax\n mov %eax, g_stack+16\n mov 20(%esp), %eax\n mov %eax, g_stack+20\n"
    /* FS: a DPL0 data segment (nulled on the return to ring 3); GS: DPL3
     * data (kept). */
    " mov $0x10, %eax\n mov %eax, %fs\n mov $0x23, %eax\n mov %eax, %gs\n"
    " lret $8\n"
    "gate_target_same:\n"
    " mov %esp, g_esp\n mov %cs, %eax\n mov %eax, g_cs\n lret\n");

volatile uint32_t r3_esp_before, r3_esp_after, r3_eax;
volatile uint16_t r3_cs, r3_ss, r3_fs, r3_gs;

static void __attribute__((noinline)) r3_call_gate(void) {
  __asm__ volatile(
      "mov %%esp, r3_esp_before\n push $0x11111111\n push $0x22222222\n lcall %0, $0\n"
      "r3_after_gate:\n mov %%esp, r3_esp_after\n"
      "mov %%fs, r3_fs\n mov %%gs, r3_gs\n mov %%cs, r3_cs\n mov %%ss, r3_ss\n"
      "mov %1, %%eax\n mov %%eax, %%ds\n mov %%eax, %%es\n" /* DS/ES stayed DPL3: reload anyway */
      ::"i"(SEL(G_CALL3) | 3), "i"(SEL_UDATA) : "eax", "memory");
  user_return();
}
static void r3_call_gate_dpl0(void) {
  __asm__ volatile("lcall %0, $0" ::"i"(SEL(G_CALL0) | 3) : "memory");
  user_return();
}
static void r3_call_gate_np(void) {
  __asm__ volatile("lcall %0, $0" ::"i"(SEL(G_CALL_NP) | 3) : "memory");
  user_return();
}
static void r3_call_gate_null(void) {
  __asm__ volatile("lcall %0, $0" ::"i"(SEL(G_CALL_NULL) | 3) : "memory");
  user_return();
}
static void r3_jmp_gate(void) {
  __asm__ volatile("ljmp %0, $0" ::"i"(SEL(G_CALL3) | 3) : "memory");
  user_return();
}
static void r3_int(void) {
  __asm__ volatile("mov %%esp, r3_esp_before\n mov $0x10, %%eax\n int %2\n mov %%eax, r3_eax\n"
                   "mov %%fs, r3_fs\n mov %%gs, r3_gs\n mov %%cs, r3_cs\n mov %%ss, r3_ss\n mov %%esp, r3_esp_after"
                   ::"i"(SEL_UDATA), "i"(0), "i"(VEC_INT3_GATE) : "eax", "memory");
  user_return();
}
static void r3_trap(void) {
  __asm__ volatile("int %0" ::"i"(VEC_TRAP3_GATE) : "eax", "memory");
  user_return();
}
static void r3_ret_inner(void) {
  __asm__ volatile("push %0\n push $1f\n lret\n 1:" ::"i"(SEL_KCODE) : "memory");
  user_return();
}
static void r3_iret_inner(void) {
  __asm__ volatile("pushf\n push %0\n push $1f\n iret\n 1:" ::"i"(SEL_KCODE) : "memory");
  user_return();
}
static void r3_state(void) {
  __asm__ volatile("mov %%cs, r3_cs\n mov %%ss, r3_ss\n mov %%esp, r3_esp_after" ::: "memory");
  user_return();
}

/* Interrupt-gate hook: what the handler sees, then resume ring 3 with FS =
 * DPL0 data and GS = DPL3 data in the frame (IRET must null FS). */
static volatile uint32_t h_if, h_frame, h_cs, h_eflags, h_esp, h_ss, h_ss_in;
static int int_hook(struct trap_frame *f) {
  uint16_t ss;
  __asm__ volatile("mov %%ss, %0" : "=r"(ss));
  h_ss_in = ss;
  h_if = (read_eflags() >> 9) & 1;
  h_frame = (uint32_t)&f->eip;
  h_cs = f->cs;
  h_eflags = f->eflags;
  h_esp = f->esp;
  h_ss = f->ss;
  f->fs = SEL_KDATA;
  f->gs = SEL_UDATA;
  f->eax = 0xABCD;
  return 1;
}
static int trap_hook_fn(struct trap_frame *f) {
  h_if = (read_eflags() >> 9) & 1;
  (void)f;
  return 1;
}

/* PVI. */
#define EFL_VIF (1u << 19)
#define EFL_VIP (1u << 20)
#define CR4_PVI (1u << 1)
volatile uint32_t pvi_after_cli, pvi_after_sti;
static void r3_cli_sti(void) {
  __asm__ volatile("cli\n pushf\n popl pvi_after_cli\n sti\n pushf\n popl pvi_after_sti" ::: "memory");
  user_return();
}
static void r3_sti(void) {
  __asm__ volatile("sti" ::: "memory");
  user_return();
}
static void test_pvi(void) {
  run_ring3(r3_cli_sti, 0x202);
  check_fault("PVI=0, CPL 3, IOPL 0: CLI is #GP(0)", 13, 0);
  WRITE_CR(4, READ_CR(4) | CR4_PVI);
  check_eq("CR4.PVI can be set", CR4_PVI, READ_CR(4) & CR4_PVI);
  pvi_after_cli = pvi_after_sti = 0xFFFFFFFF;
  run_ring3(r3_cli_sti, 0x202 | EFL_VIF);
  check_fault("PVI=1, CPL 3, IOPL 0: CLI and STI execute", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("PVI: CLI cleared VIF", 0, pvi_after_cli & EFL_VIF);
  check_eq("PVI: CLI left IF set", 0x200, pvi_after_cli & 0x200);
  check_eq("PVI: STI set VIF", EFL_VIF, pvi_after_sti & EFL_VIF);
  run_ring3(r3_sti, 0x202 | EFL_VIP);
  check_fault("PVI: STI with VIP = 1 is #GP(0)", 13, 0);
  check_eq("PVI: the #GP frame shows VIP = 1 (IRET at CPL 0 loaded it)", EFL_VIP, caught.eflags & EFL_VIP);
  pvi_after_cli = 0xFFFFFFFF;
  run_ring3(r3_cli_sti, 0x3202 | EFL_VIF);
  check_fault("PVI, IOPL 3: CLI/STI at CPL 3 act on IF", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("PVI, IOPL 3: CLI cleared IF", 0, pvi_after_cli & 0x200);
  check_eq("PVI, IOPL 3: CLI left VIF alone", EFL_VIF, pvi_after_cli & EFL_VIF);
  WRITE_CR(4, READ_CR(4) & ~CR4_PVI);
}

void test_main(void) {
  const uint32_t esp0 = (uint32_t)ring0_stack + sizeof ring0_stack;
  set_gdt(G_CALL3, make_gate(SEL_KCODE, (uint32_t)gate_target, ACC_P | ACC_DPL3 | SYS_CALL_GATE32, 2));
  set_gdt(G_CALL0, make_gate(SEL_KCODE, (uint32_t)gate_target, ACC_P | SYS_CALL_GATE32, 2));
  set_gdt(G_CALL_NP, make_gate(SEL_KCODE, (uint32_t)gate_target, ACC_DPL3 | SYS_CALL_GATE32, 2));
  set_gdt(G_CALL_NULL, make_gate(0, (uint32_t)gate_target, ACC_P | ACC_DPL3 | SYS_CALL_GATE32, 0));
  set_gdt(G_CALL_SAME, make_gate(SEL_KCODE, (uint32_t)gate_target_same, ACC_P | SYS_CALL_GATE32, 3));

  /* IRET to ring 3 (run_ring3): CS, SS, ESP from the frame. */
  run_ring3(r3_state, 0x2);
  check_fault("IRET to ring 3 runs ring-3 code", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("IRET to ring 3: CS = user code, RPL 3", SEL_UCODE, r3_cs);
  check_eq("IRET to ring 3: SS = user data", SEL_UDATA, r3_ss);
  check("IRET to ring 3: ESP on the ring-3 stack",
        r3_esp_after > (uint32_t)ring3_stack && r3_esp_after <= (uint32_t)ring3_stack + sizeof ring3_stack);

  /* Call gate from ring 3 with 2 parameters. */
  main_tss.esp0 = esp0;
  run_ring3(r3_call_gate, 0x2);
  check_fault("CALL through a DPL3 call gate from ring 3 returns", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("call gate: target runs with CS = 0x08 (CPL 0)", SEL_KCODE, g_cs & 0xFFFF);
  check_eq("call gate: SS = TSS.SS0", SEL_KDATA, g_ss & 0xFFFF);
  check_eq("call gate: ESP = TSS.ESP0 - 24 (SS ESP 2 params CS EIP)", esp0 - 24, g_esp);
  check_eq("call gate: [ESP] = return EIP", (uint32_t)r3_after_gate, g_stack[0]);
  check_eq("call gate: [ESP+4] = caller CS", SEL_UCODE, g_stack[1] & 0xFFFF);
  check_eq("call gate: [ESP+8] = parameter at caller's ESP", 0x22222222, g_stack[2]);
  check_eq("call gate: [ESP+12] = next parameter", 0x11111111, g_stack[3]);
  check_eq("call gate: [ESP+16] = caller ESP", r3_esp_before - 8, g_stack[4]);
  check_eq("call gate: [ESP+20] = caller SS", SEL_UDATA, g_stack[5] & 0xFFFF);
  check_eq("far RET imm16 to ring 3: ESP past the parameters", r3_esp_before, r3_esp_after);
  check_eq("far RET to ring 3: CS", SEL_UCODE, r3_cs);
  check_eq("far RET to ring 3: SS", SEL_UDATA, r3_ss);
  check_eq("far RET to ring 3: FS holding DPL0 data is nulled", 0, r3_fs);
  check_eq("far RET to ring 3: GS holding DPL3 data is kept", SEL_UDATA, r3_gs);

  /* Call gate privilege and presence checks (Vol. 2A CALL). */
  run_ring3(r3_call_gate_dpl0, 0x2);
  check_fault("CALL through a DPL0 call gate from ring 3: #GP(gate)", 13, SEL(G_CALL0));
  run_ring3(r3_call_gate_np, 0x2);
  check_fault("CALL through a not-present call gate: #NP(gate)", 11, SEL(G_CALL_NP));
  run_ring3(r3_call_gate_null, 0x2);
  check_fault("CALL through a gate with a null code selector: #GP(0)", 13, 0);
  /* JMP through a call gate cannot change privilege (5.8.4). */
  run_ring3(r3_jmp_gate, 0x2);
  check_fault("JMP through a call gate to DPL0 nonconforming code from ring 3: #GP(code sel)", 13, SEL_KCODE);
  /* Same-privilege call gate: no stack switch, no parameter copy. */
  uint32_t esp_before;
  __asm__ volatile("mov %%esp, %0\n lcall %1, $0" : "=&r"(esp_before) : "i"(SEL(G_CALL_SAME)) : "eax", "memory");
  check_eq("ring-0 call gate: same stack, only CS:EIP pushed", esp_before - 8, g_esp);
  check_eq("ring-0 call gate: CS = gate's selector", SEL_KCODE, g_cs & 0xFFFF);

  /* Returns to an inner ring are refused (RET and IRET: return CS RPL < CPL). */
  run_ring3(r3_ret_inner, 0x2);
  check_fault("far RET from ring 3 to ring 0: #GP(return CS)", 13, SEL_KCODE);
  run_ring3(r3_iret_inner, 0x2);
  check_fault("IRET from ring 3 to ring 0: #GP(return CS)", 13, SEL_KCODE);

  /* Interrupt gate from ring 3, with a different ESP0 to see it used. */
  set_idt_gate(VEC_INT3_GATE, (void *)trap_stubs[VEC_INT3_GATE], SYS_INT_GATE32, 3);
  set_idt_gate(VEC_TRAP3_GATE, (void *)trap_stubs[VEC_TRAP3_GATE], SYS_TRAP_GATE32, 3);
  set_trap_hook(VEC_INT3_GATE, int_hook);
  set_trap_hook(VEC_TRAP3_GATE, trap_hook_fn);
  const uint32_t esp0_alt = esp0 - 1024;
  main_tss.esp0 = esp0_alt;
  run_ring3(r3_int, 0x202);
  main_tss.esp0 = esp0;
  check_fault("INT n through a DPL3 interrupt gate from ring 3 returns", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("interrupt from ring 3: frame at TSS.ESP0 - 20", esp0_alt - 20, h_frame);
  check_eq("interrupt from ring 3: handler SS = TSS.SS0", SEL_KDATA, h_ss_in);
  check_eq("interrupt from ring 3: saved CS", SEL_UCODE, h_cs & 0xFFFF);
  check_eq("interrupt from ring 3: saved ESP is ring 3's", r3_esp_before, h_esp);
  check_eq("interrupt from ring 3: saved SS", SEL_UDATA, h_ss & 0xFFFF);
  check_eq("interrupt from ring 3: saved EFLAGS has IF=1", 0x200, h_eflags & 0x200);
  check_eq("interrupt gate clears IF in the handler", 0, h_if);
  check_eq("IRET to ring 3: register state from the handler", 0xABCD, r3_eax);
  check_eq("IRET to ring 3: FS holding DPL0 data is nulled", 0, r3_fs);
  check_eq("IRET to ring 3: GS holding DPL3 data is kept", SEL_UDATA, r3_gs);
  check_eq("IRET to ring 3: CS", SEL_UCODE, r3_cs);
  check_eq("IRET to ring 3: ESP restored", r3_esp_before, r3_esp_after);
  h_if = 7;
  run_ring3(r3_trap, 0x202);
  check_fault("INT n through a DPL3 trap gate from ring 3 returns", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("trap gate leaves IF set in the handler", 1, h_if);
  set_trap_hook(VEC_INT3_GATE, 0);
  set_trap_hook(VEC_TRAP3_GATE, 0);
  test_pvi();
}
