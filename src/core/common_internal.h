/* common_internal.h - private helpers shared by the library's modules: error reporting,
 * checked allocation and big-endian field access. Not installed. */
#ifndef CPERM_COMMON_INTERNAL_H
#define CPERM_COMMON_INTERNAL_H

#include "clusterperm.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define CPERM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CPERM_PRINTF(a, b)
#endif

/* Record `code` and a formatted message in err (if non-NULL); returns code so that
 * callers can write `return cperm_fail(err, CPERM_EINVAL, "...")`. */
int cperm_fail(cperm_err *err, int code, const char *fmt, ...) CPERM_PRINTF(3, 4);

/* calloc/malloc with overflow-checked n * size; NULL on overflow or exhaustion. */
void *cperm_calloc(size_t n, size_t size);
void *cperm_malloc(size_t n, size_t size);
/* cperm_malloc for big blocks that are written soon after: on Linux aligned to 2 MB and
 * advised into transparent huge pages, so that first touches take a fault per 2 MB instead
 * of per 4 KB (issue 17: faults were a tenth of the kernel's run and of a figure's). Freed
 * with free(); advice only, so plain pages where the kernel refuses. */
void *cperm_malloc_huge(size_t n, size_t size);

/* Ascending insertion sort, for the short rows (neighbour lists, label lists) that the
 * callers sort by other means past a length of their own. */
static inline void cperm_insertion_sort_i32(int32_t *v, size_t n) {
    for (size_t i = 1; i < n; i++) {
        const int32_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* np.sum of a contiguous float64 vector, bit-exact (npsum.c). */
double cperm_np_sum(const double *a, size_t n);

static inline uint32_t cperm_be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline float cperm_be_f32(const unsigned char *p) {
    uint32_t u = cperm_be32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline double cperm_be_f64(const unsigned char *p) {
    uint64_t u = ((uint64_t)cperm_be32(p) << 32) | cperm_be32(p + 4);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
static inline void cperm_put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}
static inline void cperm_put_be_f32(unsigned char *p, float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    cperm_put_be32(p, u);
}
static inline void cperm_put_be_f64(unsigned char *p, double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    cperm_put_be32(p, (uint32_t)(u >> 32));
    cperm_put_be32(p + 4, (uint32_t)u);
}

#endif
