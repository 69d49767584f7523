/* The bench guest's sections: each does a fixed, deterministic amount of
 * work, `iters` times a unit, and returns a checksum that is the same on
 * every correct x86 (and in the native model, model_main.c).
 *
 * The table (sections.c) gives each section's name, group and the number of
 * units at scale=100, chosen so that a section is roughly 10^8 guest
 * instructions (see bench/README.md). */
#ifndef TX86_BENCH_SECTIONS_H
#define TX86_BENCH_SECTIONS_H

#include "lib/types.h"

/* Folds a value into a running checksum. */
static inline uint32_t mix(uint32_t h, uint32_t v) { return (h ^ v) * 0x01000193u + (h >> 15); }

typedef uint32_t (*section_fn)(uint32_t iters);

struct section {
  const char *name;
  const char *group;   /* integer, control, system */
  section_fn run;
  uint32_t base_iters; /* units at scale=100 */
  uint32_t unit_bytes; /* rep string sections: bytes moved per unit (else 0) */
};

extern const struct section sections[];
extern const unsigned section_count;
/* Units of a section at `scale` percent of the table's size (at least 1). */
uint32_t section_iters(const struct section *s, uint32_t scale);

/* integer.c */
uint32_t sec_crc32(uint32_t iters);
uint32_t sec_sieve(uint32_t iters);
uint32_t sec_sort(uint32_t iters);
uint32_t sec_matrix(uint32_t iters);
uint32_t sec_string(uint32_t iters);
uint32_t sec_rep_movsd(uint32_t iters);
uint32_t sec_rep_stosd(uint32_t iters);
/* control.c */
uint32_t sec_indirect_call(uint32_t iters);
uint32_t sec_bytecode(uint32_t iters);
/* system.c (guest) or system_model.c (native) */
uint32_t sec_int_ring0(uint32_t iters);
uint32_t sec_int_ring3(uint32_t iters);
uint32_t sec_port_io(uint32_t iters);
uint32_t sec_cr3_reload(uint32_t iters);
uint32_t sec_page_fault(uint32_t iters);
uint32_t sec_smc(uint32_t iters);

/* Byte counts of the rep string sections (also used by bench/host_rep.c's
 * caller, compare.py, through the END line's `bytes=` field). */
enum { REP_BUF_BYTES = 64 * 1024 };

#endif
