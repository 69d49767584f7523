/* The host's own speed on the bench guest's REP string work, for
 * compare.py's "rep string within 10x of the host" ratio: copies (memcpy)
 * and fills (memset) a 64 KiB buffer UNITS times, as the guest's rep_movsd
 * and rep_stosd sections do with REP MOVSD / REP STOSD, and prints the best
 * of five timings (thread CPU time):
 *
 *   bench-host-rep UNITS [BYTES]      (BYTES default 65536)
 *   memcpy seconds=S bytes=B
 *   memset seconds=S bytes=B
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this thread, like compare.py's default (a shared machine
 * preempts wall-clock runs). */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Called through volatile pointers so that the compiler keeps every call. */
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;
static void *(*volatile fill_fn)(void *, int, size_t) = memset;

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench-host-rep UNITS [BYTES]\n");
    return 2;
  }
  const unsigned long units = strtoul(argv[1], NULL, 10);
  const size_t bytes = argc > 2 ? strtoul(argv[2], NULL, 10) : 65536;
  unsigned char *src = malloc(bytes), *dst = malloc(bytes);
  if (!src || !dst || bytes == 0) return 2;
  for (size_t i = 0; i < bytes; ++i) src[i] = (unsigned char)(i * 7);
  double best_copy = 1e30, best_fill = 1e30;
  unsigned sum = 0;
  for (int run = 0; run < 5; ++run) {
    double t0 = now();
    for (unsigned long u = 0; u < units; ++u) {
      src[u % bytes] ^= (unsigned char)u;
      copy_fn(dst, src, bytes);
    }
    double t1 = now();
    sum += dst[run];
    for (unsigned long u = 0; u < units; ++u) fill_fn(dst, (int)u, bytes);
    double t2 = now();
    sum += dst[bytes - 1];
    if (t1 - t0 < best_copy) best_copy = t1 - t0;
    if (t2 - t1 < best_fill) best_fill = t2 - t1;
  }
  printf("memcpy seconds=%.6f bytes=%llu\n", best_copy, (unsigned long long)units * bytes);
  printf("memset seconds=%.6f bytes=%llu\n", best_fill, (unsigned long long)units * bytes);
  free(src);
  free(dst);
  return sum == 0xFFFFFFFFu; /* uses the results */
}
