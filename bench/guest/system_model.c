/* Native model of system.c's checksums: the same sums with the traps,
 * ports and page mappings replaced by what they compute. Built only into
 * bench-guest-model; the smoke test proves the two equal under tx86, and
 * compare.py under QEMU. */
#include "sections.h"

static uint32_t int_checksum(uint32_t iters) {
  uint32_t sum = 0;
  for (uint32_t n = iters; n; --n) sum += n;
  return mix(iters, sum);
}
uint32_t sec_int_ring0(uint32_t iters) { return int_checksum(iters); }
uint32_t sec_int_ring3(uint32_t iters) { return int_checksum(iters); }

uint32_t sec_port_io(uint32_t iters) {
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) h = mix(h, (uint8_t)(u * 7));
  return h;
}

uint32_t sec_cr3_reload(uint32_t iters) {
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    const uint32_t i = u & 1023;
    h = mix(h, 4 * i + (0 + 1 + 2 + 3) * 1024);
  }
  return h;
}

uint32_t sec_page_fault(uint32_t iters) {
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    const uint32_t i = u & 1023;
    h = mix(h, (u & 1) ? i * 5 + 1 : i * 3);
  }
  return mix(h, iters);
}

uint32_t sec_smc(uint32_t iters) {
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) h = mix(h, (u * 0x9E3779B9u) ^ h);
  return h;
}
