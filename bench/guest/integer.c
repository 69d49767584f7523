/* Integer sections: CRC-32, sieve, sort, matrix multiply, byte-string
 * loops, and the REP MOVSD / REP STOSD bulk string sections. Plain C on
 * uint32_t (no undefined behaviour), so that the native model computes the
 * same checksums; the REP sections use the instruction itself in the guest
 * and a word loop in the native model. */
#include "sections.h"

static uint32_t xorshift32(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

/* ---- crc32: table-driven CRC-32 (IEEE, reflected) over 16 KiB ---------- */
enum { CRC_BYTES = 16 * 1024 };
static uint32_t crc_table[256];
static uint8_t crc_buf[CRC_BYTES];

uint32_t sec_crc32(uint32_t iters) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  uint32_t seed = 0x12345678u;
  for (uint32_t i = 0; i < CRC_BYTES; ++i) crc_buf[i] = (uint8_t)xorshift32(&seed);
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    crc_buf[u % CRC_BYTES] ^= (uint8_t)u;
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < CRC_BYTES; ++i) c = crc_table[(c ^ crc_buf[i]) & 0xFF] ^ (c >> 8);
    h = mix(h, ~c);
  }
  return h;
}

/* ---- sieve: primes below 64 Ki, byte flags ------------------------------ */
enum { SIEVE_N = 64 * 1024 };
static uint8_t sieve_flags[SIEVE_N];

uint32_t sec_sieve(uint32_t iters) {
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    /* A slightly different limit each time, so no two passes are equal. */
    const uint32_t n = SIEVE_N - (u & 255);
    for (uint32_t i = 0; i < n; ++i) sieve_flags[i] = 1;
    sieve_flags[0] = sieve_flags[1] = 0;
    for (uint32_t i = 2; i * i < n; ++i)
      if (sieve_flags[i])
        for (uint32_t j = i * i; j < n; j += i) sieve_flags[j] = 0;
    uint32_t count = 0, last = 0;
    for (uint32_t i = 0; i < n; ++i)
      if (sieve_flags[i]) {
        ++count;
        last = i;
      }
    h = mix(h, count);
    h = mix(h, last);
  }
  return h;
}

/* ---- sort: recursive quicksort of 4096 pseudo-random words --------------- */
enum { SORT_N = 4096 };
static uint32_t sort_a[SORT_N];

static void quicksort(uint32_t *a, int lo, int hi) {
  while (lo < hi) {
    /* Hoare partition around the middle element. */
    const uint32_t p = a[lo + (hi - lo) / 2];
    int i = lo - 1, j = hi + 1;
    for (;;) {
      do ++i; while (a[i] < p);
      do --j; while (a[j] > p);
      if (i >= j) break;
      const uint32_t t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    /* Recurse into the smaller half, loop on the larger. */
    if (j - lo < hi - j) {
      quicksort(a, lo, j);
      lo = j + 1;
    } else {
      quicksort(a, j + 1, hi);
      hi = j;
    }
  }
}

uint32_t sec_sort(uint32_t iters) {
  uint32_t seed = 0x9E3779B9u, h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    for (uint32_t i = 0; i < SORT_N; ++i) sort_a[i] = xorshift32(&seed) >> (u & 15);
    quicksort(sort_a, 0, SORT_N - 1);
    uint32_t ordered = 1;
    for (uint32_t i = 1; i < SORT_N; ++i) ordered &= sort_a[i - 1] <= sort_a[i];
    h = mix(h, ordered);
    h = mix(h, sort_a[u % SORT_N]);
    h = mix(h, sort_a[SORT_N / 2]);
  }
  return h;
}

/* ---- matrix: 32x32 int32 multiply, C = A x B ----------------------------- */
enum { MAT_N = 32 };
static int32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

uint32_t sec_matrix(uint32_t iters) {
  uint32_t seed = 0xC0FFEE11u, h = 0;
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) {
      mat_a[i][j] = (int32_t)(xorshift32(&seed) & 0xFFFF) - 0x8000;
      mat_b[i][j] = (int32_t)(xorshift32(&seed) & 0xFFFF) - 0x8000;
    }
  for (uint32_t u = 0; u < iters; ++u) {
    mat_a[u % MAT_N][(u / MAT_N) % MAT_N] ^= (int32_t)(u & 0x7FFF);
    for (int i = 0; i < MAT_N; ++i)
      for (int j = 0; j < MAT_N; ++j) {
        uint32_t s = 0; /* unsigned: wraps without undefined behaviour */
        for (int k = 0; k < MAT_N; ++k) s += (uint32_t)mat_a[i][k] * (uint32_t)mat_b[k][j];
        mat_c[i][j] = (int32_t)s;
      }
    h = mix(h, (uint32_t)mat_c[u % MAT_N][(u * 7) % MAT_N]);
    h = mix(h, (uint32_t)mat_c[MAT_N - 1][MAT_N - 1]);
  }
  return h;
}

/* ---- string: strlen / memcmp / memchr-style byte loops over 4 KiB -------- */
enum { STR_BYTES = 4096 };
static uint8_t str_a[STR_BYTES + 1], str_b[STR_BYTES + 1];

/* Written as loops; the build keeps GCC from turning them into calls. */
static uint32_t byte_strlen(const uint8_t *s) {
  const uint8_t *p = s;
  while (*p) ++p;
  return (uint32_t)(p - s);
}
static int byte_memcmp(const uint8_t *a, const uint8_t *b, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
static uint32_t byte_count(const uint8_t *s, uint32_t n, uint8_t c) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; ++i) k += s[i] == c;
  return k;
}

uint32_t sec_string(uint32_t iters) {
  uint32_t seed = 0xABCDEF01u, h = 0;
  for (uint32_t i = 0; i < STR_BYTES; ++i) {
    /* Letters with a NUL about every 64 bytes: strings of varied length. */
    const uint32_t r = xorshift32(&seed);
    str_a[i] = (r & 63) == 0 ? 0 : (uint8_t)('a' + (r >> 8) % 26);
    str_b[i] = str_a[i];
  }
  str_a[STR_BYTES] = str_b[STR_BYTES] = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    /* Each pass: walk all strings with strlen, compare the buffers (equal up
     * to a byte that moves each pass), count one letter. */
    uint32_t lens = 0;
    for (uint32_t i = 0; i < STR_BYTES;) {
      const uint32_t n = byte_strlen(str_a + i);
      lens = lens * 31 + n;
      i += n + 1;
    }
    const uint32_t at = STR_BYTES - 1 - (u % 256);
    str_b[at] ^= 0x20;
    const int cmp = byte_memcmp(str_a, str_b, STR_BYTES);
    str_b[at] ^= 0x20;
    h = mix(h, lens);
    h = mix(h, (uint32_t)cmp);
    h = mix(h, byte_count(str_a, STR_BYTES, (uint8_t)('a' + u % 26)));
  }
  return h;
}

/* ---- rep_movsd / rep_stosd: 64 KiB per unit --------------------------------- */
enum { REP_WORDS = REP_BUF_BYTES / 4 };
static uint32_t rep_src[REP_WORDS], rep_dst[REP_WORDS];

static void copy_words(uint32_t *d, const uint32_t *s, uint32_t n) {
#ifdef BENCH_NATIVE
  for (uint32_t i = 0; i < n; ++i) d[i] = s[i];
#else
  __asm__ volatile("cld; rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
#endif
}
static void fill_words(uint32_t *d, uint32_t v, uint32_t n) {
#ifdef BENCH_NATIVE
  for (uint32_t i = 0; i < n; ++i) d[i] = v;
#else
  __asm__ volatile("cld; rep stosl" : "+D"(d), "+c"(n) : "a"(v) : "memory");
#endif
}

static uint32_t hash_words(const uint32_t *w, uint32_t n) {
  uint32_t h = 0;
  for (uint32_t i = 0; i < n; ++i) h = mix(h, w[i]);
  return h;
}

uint32_t sec_rep_movsd(uint32_t iters) {
  uint32_t seed = 0x5EED0001u, h = 0;
  for (uint32_t i = 0; i < REP_WORDS; ++i) rep_src[i] = xorshift32(&seed);
  for (uint32_t u = 0; u < iters; ++u) {
    rep_src[(u * 61) % REP_WORDS] ^= u;
    copy_words(rep_dst, rep_src, REP_WORDS);
    h = mix(h, rep_dst[(u * 61) % REP_WORDS]);
    h = mix(h, rep_dst[REP_WORDS - 1 - u % REP_WORDS]);
  }
  return mix(h, hash_words(rep_dst, REP_WORDS));
}

uint32_t sec_rep_stosd(uint32_t iters) {
  uint32_t h = 0;
  for (uint32_t u = 0; u < iters; ++u) {
    fill_words(rep_dst, u * 0x9E3779B9u, REP_WORDS);
    rep_dst[u % REP_WORDS] += 1;
    h = mix(h, rep_dst[(u * 13) % REP_WORDS]);
    h = mix(h, rep_dst[u % REP_WORDS]);
  }
  return mix(h, hash_words(rep_dst, REP_WORDS));
}
