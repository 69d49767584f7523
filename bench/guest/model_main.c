/* The native model: runs every section's portable C on the host and prints
 * the checksums the guest must report (system sections: system_model.c).
 *
 *   bench-guest-model [SCALE]      (percent, default 100)
 *
 * prints one line per section: `<name> checksum=0x%08x iters=N`. */
#include <stdio.h>
#include <stdlib.h>

#include "sections.h"

int main(int argc, char **argv) {
  const unsigned long scale = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
  for (unsigned i = 0; i < section_count; ++i) {
    const uint32_t iters = section_iters(&sections[i], (uint32_t)scale);
    printf("%s checksum=0x%08x iters=%u\n", sections[i].name, (unsigned)sections[i].run(iters), (unsigned)iters);
  }
  return 0;
}
