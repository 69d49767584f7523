/* The bench guest: a Multiboot v1 kernel that runs the sections chosen on
 * its command line and prints, on port 0xE9 and/or COM1,
 *
 *   BENCH tx86-bench-guest scale=S repeat=R
 *   BEGIN <section>
 *   END <section> checksum=0x... iters=N bytes=B tsc=T
 *   ...
 *   DONE <count>
 *
 * then writes 0 to the isa-debug-exit port 0xF4 (exit status 1). A host
 * timestamps BEGIN and END as they arrive; T is the RDTSC difference (under
 * tx86, instructions retired). Command line (Multiboot cmdline, `--append`
 * or QEMU's `-append`):
 *
 *   sections=LIST  comma-separated section or group names (integer, control,
 *                  system, all); default all
 *   scale=P        work per section in percent of the default (default 100)
 *   repeat=R       run the selection R times (default 1)
 *   out=PORTS      e9, com1 or both (default both)
 *   tsc=off        no RDTSC (prints tsc=0): for tx86 --lockstep, whose
 *                  reference machine has a clock of its own
 *
 * An unknown section name, an unexpected exception or a bad #PF prints a
 * FATAL line and exits with status 3. */
#include "lib/runtime.h"
#include "sections.h"

static int selected(const struct section *s, const char *list) {
  return list_contains(list, "all") || list_contains(list, s->name) || list_contains(list, s->group);
}

/* Every name in the list must be a section or a group. */
static void check_list(const char *list) {
  char word[32];
  while (*list) {
    unsigned n = 0;
    while (*list && *list != ',') {
      if (n + 1 < sizeof word) word[n++] = *list;
      ++list;
    }
    word[n] = 0;
    if (*list == ',') ++list;
    int known = str_eq(word, "all") || str_eq(word, "integer") || str_eq(word, "control") || str_eq(word, "system");
    for (unsigned i = 0; i < section_count && !known; ++i) known = str_eq(word, sections[i].name);
    if (!known) {
      out_str("FATAL unknown section '");
      out_str(word);
      out_str("'\n");
      debug_exit(1);
    }
  }
}

void guest_main(uint32_t magic, uint32_t info) __attribute__((noreturn));
void guest_main(uint32_t magic, uint32_t info) {
  const char *cmdline = multiboot_cmdline(magic, info);
  char value[256];
  unsigned ports = OUT_E9 | OUT_COM1;
  if (cmdline_value(cmdline, "out", value, sizeof value)) {
    if (str_eq(value, "e9")) ports = OUT_E9;
    else if (str_eq(value, "com1")) ports = OUT_COM1;
  }
  out_init(ports);
  uint32_t scale = 100, repeat = 1;
  if (cmdline_value(cmdline, "scale", value, sizeof value)) scale = parse_uint(value, 100);
  if (cmdline_value(cmdline, "repeat", value, sizeof value)) repeat = parse_uint(value, 1);
  const int use_tsc = !(cmdline_value(cmdline, "tsc", value, sizeof value) && str_eq(value, "off"));
  static char list[256];
  if (!cmdline_value(cmdline, "sections", list, sizeof list)) list[0] = 'a', list[1] = 'l', list[2] = 'l', list[3] = 0;
  if (magic != 0x2BADB002u) {
    out_str("FATAL not booted by a Multiboot loader\n");
    debug_exit(1);
  }
  check_list(list);

  tables_init();
  paging_init();
  out_str("BENCH tx86-bench-guest scale=");
  out_dec(scale);
  out_str(" repeat=");
  out_dec(repeat);
  out_char('\n');
  uint32_t ran = 0;
  for (uint32_t r = 0; r < repeat; ++r)
    for (unsigned i = 0; i < section_count; ++i) {
      const struct section *s = &sections[i];
      if (!selected(s, list)) continue;
      const uint32_t iters = section_iters(s, scale);
      out_str("BEGIN ");
      out_str(s->name);
      out_char('\n');
      const uint64_t t0 = use_tsc ? rdtsc() : 0;
      const uint32_t checksum = s->run(iters);
      const uint64_t t1 = use_tsc ? rdtsc() : 0;
      out_str("END ");
      out_str(s->name);
      out_str(" checksum=");
      out_hex(checksum);
      out_str(" iters=");
      out_dec(iters);
      out_str(" bytes=");
      out_dec((uint64_t)iters * s->unit_bytes);
      out_str(" tsc=");
      out_dec(t1 - t0);
      out_char('\n');
      ++ran;
    }
  out_str("DONE ");
  out_dec(ran);
  out_char('\n');
  debug_exit(0);
}
