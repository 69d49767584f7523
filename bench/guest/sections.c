/* The section table: name, group, function, units at scale=100, bytes per
 * unit for the REP string sections. Units were sized on 2026-11-21 so that
 * each integer and control section is about 2x10^8 guest instructions (about
 * a second under tx86's interpreter and JIT then, 0.1-0.3 s under QEMU's
 * TCG), and each system and REP section 0.2-1 s under the JIT. */
#include "sections.h"

const struct section sections[] = {
    {"crc32", "integer", sec_crc32, 1400, 0},
    {"sieve", "integer", sec_sieve, 200, 0},
    {"sort", "integer", sec_sort, 260, 0},
    {"matrix", "integer", sec_matrix, 800, 0},
    {"string", "integer", sec_string, 2800, 0},
    {"rep_movsd", "integer", sec_rep_movsd, 4000, REP_BUF_BYTES},
    {"rep_stosd", "integer", sec_rep_stosd, 4000, REP_BUF_BYTES},
    {"indirect_call", "control", sec_indirect_call, 12000, 0},
    {"bytecode", "control", sec_bytecode, 4000, 0},
    {"int_ring0", "system", sec_int_ring0, 1000000, 0},
    {"int_ring3", "system", sec_int_ring3, 1000000, 0},
    {"port_io", "system", sec_port_io, 2000000, 0},
    {"cr3_reload", "system", sec_cr3_reload, 300000, 0},
    {"page_fault", "system", sec_page_fault, 400000, 0},
    {"smc", "system", sec_smc, 300000, 0},
};
const unsigned section_count = sizeof sections / sizeof sections[0];

uint32_t section_iters(const struct section *s, uint32_t scale) {
  /* base * scale / 100 without a 64-bit division (no libgcc in the guest). */
  const uint32_t n = (s->base_iters / 100) * scale + (s->base_iters % 100) * scale / 100;
  return n ? n : 1;
}
