/* Multiboot loader checks: the machine state and information structure a
 * Multiboot v1 loader must provide (Multiboot Specification 0.6.96, 3.2
 * "Machine state" and 3.3 "Boot information format"). Runs under any
 * compliant loader (QEMU -kernel, GRUB, tx86 --kernel). */
#include "lib/runtime.h"

const char test_area[] = "multiboot";

static uint32_t rd(uint32_t addr) { return *(volatile uint32_t *)addr; }

void test_main(void) {
  const struct boot_state *b = &boot_state;
  /* 3.2: EAX must contain the magic value 0x2BADB002. */
  check_eq("EAX holds the boot loader magic", 0x2BADB002, multiboot_magic);
  /* 3.2: CR0 PE set, PG cleared. */
  check_eq("CR0.PE set at entry", 1, b->cr0 & 1);
  check_eq("CR0.PG clear at entry", 0, b->cr0 >> 31);
  /* 3.2: EFLAGS VM (bit 17) and IF (bit 9) cleared. */
  check_eq("EFLAGS.VM clear at entry", 0, (b->eflags >> 17) & 1);
  check_eq("EFLAGS.IF clear at entry", 0, (b->eflags >> 9) & 1);
  /* 3.2: CS a 32-bit read/execute code segment, offset 0, limit 0xFFFFFFFF;
   * DS ES SS 32-bit read/write data segments, same base and limit. LAR
   * returns descriptor bytes 5-6 masked 0x00F0FF00 (SDM Vol. 2A, LAR). */
  check_eq("CS limit 0xFFFFFFFF (LSL)", 0xFFFFFFFF, b->lsl[0]);
  check_eq("CS is execute/read code, D=1, present (LAR type bits)", 0x00400A00 | 0x9000,
           b->lar[0] & 0x00409E00);
  static const char *const names[] = {"", "DS", "SS", "ES"};
  for (int i = 1; i < 4; ++i) {
    char what[64] = "xx limit 0xFFFFFFFF (LSL)";
    what[0] = names[i][0];
    what[1] = names[i][1];
    check_eq(what, 0xFFFFFFFF, b->lsl[i]);
    char what2[64] = "xx is read/write data, B=1, present (LAR)";
    what2[0] = names[i][0];
    what2[1] = names[i][1];
    check_eq(what2, 0x00409200, b->lar[i] & 0x0040DE00);
  }
  /* 3.2: A20 gate enabled: a byte above 1 MiB and its alias 1 MiB lower
   * are different bytes. The high one is our own buffer; its alias is low
   * memory that nothing uses once we run. */
  static volatile uint8_t a20_buf[4096] __attribute__((aligned(4096)));
  volatile uint8_t *hi = &a20_buf[16], *lo = (volatile uint8_t *)((uint32_t)hi - 0x100000);
  const uint8_t save_lo = *lo;
  *lo = 0x5A;
  *hi = 0xA5;
  check("A20 enabled (1 MiB + x does not wrap to x)", *lo == 0x5A && *hi == 0xA5);
  *lo = save_lo;

  /* 3.3: the information structure. */
  const uint32_t mbi = multiboot_info;
  const uint32_t flags = rd(mbi);
  /* Our header sets flag 1 (memory information required). */
  check("info flags bit 0 (mem_lower/mem_upper valid)", flags & 1);
  check("mem_lower at most 640 KiB and at least 512", rd(mbi + 4) <= 640 && rd(mbi + 4) >= 512);
  check("mem_upper at least 1 MiB", rd(mbi + 8) >= 1024);
  if (flags & (1u << 2)) {
    const char *cmd = (const char *)rd(mbi + 16);
    unsigned n = 0;
    while (n < 4096 && cmd[n]) ++n;
    check("cmdline is a NUL-terminated string", n < 4096);
    tprintf("info: cmdline '%s'\n", cmd);
  }
  if (flags & (1u << 3)) {
    const uint32_t count = rd(mbi + 20), mods = rd(mbi + 24);
    for (uint32_t i = 0; i < count && i < 4; ++i) {
      const uint32_t start = rd(mods + 16 * i), end = rd(mods + 16 * i + 4);
      check("module mod_start <= mod_end", start <= end);
      /* Our header sets flag 0: modules page-aligned (3.1.2). */
      check_eq("module page-aligned (header flag 0)", 0, start & 0xFFF);
      check("module above the kernel image", start >= 0x100000);
      tprintf("info: module %u at 0x%x..0x%x first bytes '%c%c%c%c'\n", i, start, end, ((char *)start)[0],
              ((char *)start)[1], ((char *)start)[2], ((char *)start)[3]);
    }
  }
  if (flags & (1u << 6)) {
    const uint32_t len = rd(mbi + 44), addr = rd(mbi + 48);
    int high_ok = 0, hole_ok = 1;
    /* Entries: size (not counting itself), base_addr, length, type; the
     * next entry starts size + 4 bytes further. */
    for (uint32_t p = addr; p < addr + len; p += rd(p) + 4) {
      const uint32_t base = rd(p + 4), length = rd(p + 12), type = rd(p + 20);
      tprintf("info: mmap base 0x%x length 0x%x type %u\n", base, length, type);
      if (type == 1 && base <= 0x100000 && base + length >= 0x100000 + rd(mbi + 8) * 1024) high_ok = 1;
      if (type == 1 && base < 0x100000 && base + length > 0xA0000) hole_ok = 0;
    }
    check("mmap: available RAM from 1 MiB covers mem_upper", high_ok);
    check("mmap: 0xA0000-0xFFFFF not available", hole_ok);
  }
}
