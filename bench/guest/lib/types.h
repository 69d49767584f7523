/* Fixed-width types for the bench guest's sections. The sections that do
 * no system work are also built for the host (the native model, see
 * model_main.c), so this header works both freestanding (-m32) and hosted. */
#ifndef TX86_BENCH_TYPES_H
#define TX86_BENCH_TYPES_H

#ifdef BENCH_NATIVE
#include <stdint.h>
#else
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;
#endif

#endif
