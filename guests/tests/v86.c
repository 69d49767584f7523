/* Virtual-8086 mode: entering it by IRET, real-mode segment arithmetic,
 * the IOPL-sensitive instructions with IOPL = 3 and IOPL < 3 (CR4.VME = 0),
 * INT n through the IDT to a ring-0 handler, and port I/O governed by the
 * TSS I/O permission bitmap whatever the IOPL.
 *
 * Sources: SDM Vol. 3A 20.2.1-20.2.5 (V86 environment, address
 * translation base = selector << 4, entering V86 by IRET with VM = 1 in the
 * EFLAGS image: frame EIP CS EFLAGS ESP SS ES DS FS GS), 20.2.7 (CLI, STI,
 * PUSHF, POPF, INT n and IRET are IOPL-sensitive: #GP(0) when IOPL < 3),
 * 20.2.8.1 (I/O instructions in V86 mode check only the I/O permission
 * bitmap, not IOPL; 18.5.2: every byte accessed must have its bit clear),
 * 20.3.1.1 (an interrupt from V86 to a ring-0 handler: stack from TSS,
 * DS ES FS GS pushed and then loaded with null, VM cleared), Vol. 2B POPF
 * (V86 with IOPL = 3: IOPL itself is not changed), HLT (#GP(0) at CPL > 0).
 * Virtual-mode extensions (CR4.VME): 20.3.2 and the CLI, STI, PUSHF, POPF
 * and IRET Operation sections (IOPL < 3: CLI/STI act on VIF, STI with VIP
 * set is #GP(0); 16-bit PUSHF pushes FLAGS with IF = VIF and IOPL = 3;
 * 16-bit POPF/IRET load VIF from the image's IF and leave IF and IOPL, and
 * are #GP(0) if the image sets TF or sets IF while VIP is set; the 32-bit
 * forms are #GP(0)), 20.3.3 and table 20-2 (INT n: methods 3-6 by IOPL and
 * the interrupt redirection bitmap, the 32 bytes below the I/O map base;
 * methods 5/6 go through the 8086 vector table at linear 0: FLAGS, CS, IP
 * pushed, TF and IF (method 5) or VIF (method 6, FLAGS image with IF = VIF
 * and IOPL = 3) cleared), CPUID.01H:EDX.VME (bit 1). */
#include "lib/runtime.h"

const char test_area[] = "v86";

enum {
  S_CLI, S_STI, S_PUSHF, S_POPF, S_INT, S_IRET, S_IN_OK, S_OUT_DENIED, S_IN_WORD, S_SEGMENT, S_HLT,
  S_FLAGS, S_POPF_TF, S_POPFD, S_IRET_IF, S_INT60,
};
extern const uint32_t v86_snippets[][2];

#define EFL_VM (1u << 17)
#define EFL_IF (1u << 9)
#define IOPL3 (3u << 12)
#define CODE_SEG 0x0700u
#define STACK_SEG 0x0600u
#define STACK_TOP 0x0FF0u
#define CODE_PHYS (CODE_SEG << 4)

/* A TSS with an I/O permission bitmap: ports 0x85 and 0x3F8.. denied
 * (bit set); the byte of ones after the map ends it (18.5.2). */
#define IO_TSS_INDEX GDT_FIRST_FREE
static struct {
  struct tss32 tss;
  uint8_t redirect[32]; /* interrupt redirection bitmap (VME): 1 = IDT */
  uint8_t bitmap[8192];
  uint8_t end;
} io_tss __attribute__((aligned(128)));
#define EFL_VIF (1u << 19)
#define EFL_VIP (1u << 20)
#define EFL_TF (1u << 8)
#define CR4_VME 1u

static uint32_t hlt_offset(int s) { return v86_snippets[s][1] - v86_snippets[s][0] - 1; }

/* Runs snippet `s` in V86 mode with the given extra EFLAGS bits. */
static void run_v86(int s, uint32_t eflags) {
  memcpy((void *)CODE_PHYS, (const void *)v86_snippets[s][0], v86_snippets[s][1] - v86_snippets[s][0]);
  TRY {
    __asm__ volatile(
        "pushl $0\n pushl $0\n pushl $0\n pushl $0\n" /* GS FS DS ES */
        "pushl %0\n pushl %1\n pushl %2\n pushl %3\n pushl $0\n iret" ::"i"(STACK_SEG),
        "i"(STACK_TOP), "r"(EFL_VM | 0x2 | eflags), "i"(CODE_SEG)
        : "memory");
  } ENDTRY
}

/* Checks that the snippet ran to its final HLT. */
static void check_reached_end(const char *what, int s) {
  int ok = caught.vector == 13 && caught.error == 0 && caught.eip == hlt_offset(s) && caught.cs == CODE_SEG;
  if (!ok)
    tprintf("info: %s stopped with vector %d error 0x%x at %x:%x\n", what, caught.vector, caught.error, caught.cs,
            caught.eip);
  check(what, ok);
}
static void check_gp_at(const char *what, uint32_t offset) {
  check_fault(what, 13, 0);
  check_eq(what, offset, caught.eip);
}

static uint32_t snippet_offset(int s, const void *label) { return (uint32_t)label - v86_snippets[s][0]; }
extern char s_int60_handler[];

static void test_vme(void) {
  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1));
  check_eq("CPUID.01H:EDX.VME (bit 1) is set", 2, d & 2);
  WRITE_CR(4, READ_CR(4) | CR4_VME);
  check_eq("CR4.VME can be set", CR4_VME, READ_CR(4) & CR4_VME);

  /* IOPL = 0, VME: CLI/STI on VIF, PUSHF images. */
  run_v86(S_FLAGS, EFL_VIF | EFL_IF);
  check_reached_end("VME, IOPL=0: CLI and STI execute", S_FLAGS);
  check_eq("VME: PUSHF after CLI shows IF = VIF = 0", 0, caught.eax & EFL_IF);
  check_eq("VME: PUSHF image shows IOPL = 3", IOPL3, caught.eax & 0x3000);
  check_eq("VME: PUSHF after STI shows IF = VIF = 1", EFL_IF, caught.ebx & EFL_IF);
  check_eq("VME: STI set VIF", EFL_VIF, caught.eflags & EFL_VIF);
  check_eq("VME: CLI/STI left the real IF alone", EFL_IF, caught.eflags & EFL_IF);
  check_eq("VME: real IOPL still 0", 0, caught.eflags & 0x3000);
  run_v86(S_STI, EFL_VIP);
  check_gp_at("VME: STI with VIP = 1 is #GP(0) at the STI", 0);
  run_v86(S_PUSHF, EFL_VIF);
  check_reached_end("VME: PUSHF with IF = 0, VIF = 1", S_PUSHF);
  check_eq("VME: PUSHF image IF comes from VIF", EFL_IF, caught.eax & EFL_IF);
  run_v86(S_POPF, 0);
  check_reached_end("VME: POPF of an image with IF = 1 executes", S_POPF);
  check_eq("VME: POPF set VIF from the image's IF", EFL_VIF, caught.eflags & EFL_VIF);
  check_eq("VME: POPF left the real IF clear", 0, caught.eflags & EFL_IF);
  check_eq("VME: PUSHF after it shows IF = 1", EFL_IF, caught.ebx & EFL_IF);
  run_v86(S_POPF, EFL_VIP);
  check_gp_at("VME: POPF setting IF with VIP = 1 is #GP(0)", 3);
  run_v86(S_POPF_TF, 0);
  check_gp_at("VME: POPF of an image with TF = 1 is #GP(0)", 3);
  run_v86(S_POPFD, 0);
  check_gp_at("VME: 32-bit POPF at IOPL < 3 is #GP(0)", 6);
  run_v86(S_IRET_IF, 0);
  check_reached_end("VME: 16-bit IRET at IOPL=0 executes", S_IRET_IF);
  check_eq("VME: IRET loaded VIF from the image's IF", EFL_VIF, caught.eflags & EFL_VIF);
  check_eq("VME: IRET left the real IF clear", 0, caught.eflags & EFL_IF);
  run_v86(S_IRET_IF, EFL_VIP);
  check_gp_at("VME: IRET setting IF with VIP = 1 is #GP(0)", 9);

  /* INT n: the redirection bitmap (bit set for 0x41, clear for 0x60). */
  *(volatile uint16_t *)(0x60 * 4) = (uint16_t)snippet_offset(S_INT60, s_int60_handler);
  *(volatile uint16_t *)(0x60 * 4 + 2) = CODE_SEG;
  run_v86(S_INT60, EFL_VIF);
  check_gp_at("VME method 6 (IOPL=0, bit clear): INT 60h runs the 8086 handler, IRETs to the HLT after the INT", 5);
  check_eq("method 6: return IP pushed", 5, caught.esi & 0xFFFF);
  check_eq("method 6: CS pushed", CODE_SEG, caught.edi & 0xFFFF);
  check_eq("method 6: FLAGS image IF = VIF (1)", EFL_IF, caught.edx & EFL_IF);
  check_eq("method 6: FLAGS image IOPL = 3", IOPL3, caught.edx & 0x3000);
  check_eq("method 6: VIF clear in the handler (its PUSHF shows IF = 0)", 0, caught.ecx & EFL_IF);
  check_eq("method 6: VIF back to 1 after the IRET", EFL_VIF, caught.eflags & EFL_VIF);
  run_v86(S_INT60, IOPL3 | EFL_IF);
  check_gp_at("VME method 5 (IOPL=3, bit clear): INT 60h runs the 8086 handler, IRETs to the HLT", 5);
  check_eq("method 5: FLAGS image has the real IF (1)", EFL_IF, caught.edx & EFL_IF);
  check_eq("method 5: IF clear in the handler", 0, caught.ecx & EFL_IF);
  check_eq("method 5: IF back to 1 after the IRET", EFL_IF, caught.eflags & EFL_IF);
  run_v86(S_INT, 0);
  check_gp_at("VME method 3 (IOPL=0, bit set): INT 41h is #GP(0)", 3);
  run_v86(S_INT, IOPL3);
  check_fault("VME method 4 (IOPL=3, bit set): INT 41h goes through the IDT", VEC_USER_RETURN, NO_ERR_CHECK);
  WRITE_CR(4, READ_CR(4) & ~CR4_VME);
  run_v86(S_INT60, IOPL3);
  /* The IDT gate for 60h has DPL 0: through the IDT, INT 60h from CPL 3 is
   * #GP(60h * 8 + 2), not the 8086 handler. */
  check_fault("no VME, IOPL=3: INT 60h goes to the IDT (method 1; gate DPL 0: #GP(302h))", 13, 0x60 * 8 + 2);
}

void test_main(void) {
  /* Switch to a TSS with an I/O bitmap. */
  io_tss.tss.ss0 = SEL_KDATA;
  io_tss.tss.esp0 = (uint32_t)ring0_stack + sizeof ring0_stack;
  io_tss.tss.iomap_base = sizeof io_tss.tss + sizeof io_tss.redirect;
  io_tss.redirect[VEC_USER_RETURN / 8] |= 1u << (VEC_USER_RETURN % 8);
  io_tss.bitmap[0x85 / 8] |= 1u << (0x85 % 8);
  io_tss.end = 0xFF;
  set_gdt(IO_TSS_INDEX, make_desc((uint32_t)&io_tss, sizeof io_tss - 1, ACC_P | SYS_TSS32_AVAIL, 0));
  __asm__ volatile("ltr %w0" ::"r"((uint32_t)IO_TSS_INDEX * 8));
  *(volatile uint16_t *)0x5010 = 0xBEEF;

  /* Entering by IRET and leaving by a fault (HLT at CPL 3). */
  run_v86(S_HLT, IOPL3);
  check_reached_end("IRET with VM=1 enters V86 mode; HLT there is #GP(0)", S_HLT);
  check_eq("fault from V86: saved EFLAGS has VM=1", EFL_VM, caught.eflags & EFL_VM);
  check_eq("fault from V86: saved SS is the V86 SS", STACK_SEG, caught.user_ss & 0xFFFF);
  check_eq("fault from V86: saved ESP is the V86 SP", STACK_TOP, caught.user_esp);
  check_eq("fault from V86: DS loaded with null in the handler", 0, caught.ds);
  run_v86(S_SEGMENT, IOPL3);
  check_reached_end("segment load in V86 mode", S_SEGMENT);
  check_eq("V86 address = (DS << 4) + offset", 0xBEEF, caught.eax & 0xFFFF);
  check_eq("V86 DS saved in the frame", 0x0500, caught.v86_ds);

  /* IOPL = 3: the sensitive instructions execute. */
  run_v86(S_CLI, IOPL3 | EFL_IF);
  check_reached_end("IOPL=3: CLI executes", S_CLI);
  check_eq("IOPL=3: CLI cleared IF", 0, caught.eflags & EFL_IF);
  run_v86(S_STI, IOPL3);
  check_reached_end("IOPL=3: STI executes", S_STI);
  check_eq("IOPL=3: STI set IF", EFL_IF, caught.eflags & EFL_IF);
  run_v86(S_PUSHF, IOPL3);
  check_reached_end("IOPL=3: PUSHF executes", S_PUSHF);
  check_eq("IOPL=3: PUSHF image shows IOPL=3", IOPL3, caught.eax & 0x3000);
  run_v86(S_POPF, IOPL3);
  check_reached_end("IOPL=3: POPF executes", S_POPF);
  check_eq("IOPL=3: POPF sets IF", EFL_IF, caught.ebx & EFL_IF);
  check_eq("IOPL=3: POPF leaves IOPL unchanged", IOPL3, caught.ebx & 0x3000);
  run_v86(S_INT, IOPL3);
  check_fault("IOPL=3: INT 0x41 goes through the IDT to ring 0", VEC_USER_RETURN, NO_ERR_CHECK);
  check_eq("INT from V86: saved CS is the V86 CS", CODE_SEG, caught.cs & 0xFFFF);
  check_eq("INT from V86: saved EIP after the INT", 5, caught.eip);
  check_eq("INT from V86: saved EFLAGS has VM=1", EFL_VM, caught.eflags & EFL_VM);
  check_eq("INT from V86: registers carried", 0x5678, caught.eax & 0xFFFF);
  run_v86(S_IRET, IOPL3);
  check_reached_end("IOPL=3: IRET executes (to the HLT after it)", S_IRET);
  /* IOPL = 0 and CR4.VME = 0: #GP(0) at the instruction. */
  run_v86(S_CLI, 0);
  check_gp_at("IOPL=0: CLI is #GP(0) at the CLI", 0);
  run_v86(S_STI, 0);
  check_gp_at("IOPL=0: STI is #GP(0) at the STI", 0);
  run_v86(S_PUSHF, 0);
  check_gp_at("IOPL=0: PUSHF is #GP(0) at the PUSHF", 0);
  run_v86(S_POPF, 0);
  check_gp_at("IOPL=0: POPF is #GP(0) at the POPF", 3);
  run_v86(S_INT, 0);
  check_gp_at("IOPL=0: INT n is #GP(0) at the INT", 3);
  run_v86(S_IRET, 0);
  check_gp_at("IOPL=0: IRET is #GP(0) at the IRET", 9);
  /* I/O: the bitmap decides, IOPL does not. */
  run_v86(S_IN_OK, 0);
  check_reached_end("IOPL=0: IN from a port allowed by the bitmap executes", S_IN_OK);
  run_v86(S_IN_OK, IOPL3);
  check_reached_end("IOPL=3: IN from an allowed port executes", S_IN_OK);
  run_v86(S_OUT_DENIED, IOPL3);
  check_gp_at("IOPL=3: OUT to a port denied by the bitmap is #GP(0)", 0);
  run_v86(S_OUT_DENIED, 0);
  check_gp_at("IOPL=0: OUT to a denied port is #GP(0)", 0);
  run_v86(S_IN_WORD, IOPL3);
  check_gp_at("word IN covering an allowed and a denied port is #GP(0)", 0);
  test_vme();
}
