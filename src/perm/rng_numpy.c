/* rng_numpy.c - numpy's legacy RandomState(seed) MT19937 stream and the draws built on it
 * (random_sample, random_interval, shuffle, permutation, choice without replacement). */
#include "orders_internal.h"

#include <stdlib.h>

#define MT_M 397
#define MT_MATRIX_A 0x9908b0dfU
#define MT_UPPER 0x80000000U
#define MT_LOWER 0x7fffffffU

void cperm_mt_seed(cperm_mt19937 *s, uint32_t seed) {
    s->mt[0] = seed;
    for (uint32_t i = 1; i < CPERM_MT_N; i++) {
        uint32_t prev = s->mt[i - 1];
        s->mt[i] = 1812433253U * (prev ^ (prev >> 30)) + i;
    }
    s->pos = CPERM_MT_N;
}

/* Regenerate the 624-word block (numpy's mt19937_gen, the reference recurrence). */
static void mt_generate(cperm_mt19937 *s) {
    uint32_t *mt = s->mt;
    for (int i = 0; i < CPERM_MT_N; i++) {
        uint32_t y = (mt[i] & MT_UPPER) | (mt[(i + 1) % CPERM_MT_N] & MT_LOWER);
        mt[i] = mt[(i + MT_M) % CPERM_MT_N] ^ (y >> 1) ^ ((y & 1U) ? MT_MATRIX_A : 0U);
    }
    s->pos = 0;
}

uint32_t cperm_mt_next_u32(cperm_mt19937 *s) {
    uint32_t y;
    if (s->pos >= CPERM_MT_N) mt_generate(s);
    y = s->mt[s->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

double cperm_mt_next_double(cperm_mt19937 *s) {
    uint32_t a = cperm_mt_next_u32(s) >> 5;
    uint32_t b = cperm_mt_next_u32(s) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

uint64_t cperm_mt_random_interval(cperm_mt19937 *s, uint64_t max) {
    uint64_t mask = max, value;
    if (max == 0) return 0;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    if (max <= 0xffffffffULL) {
        while ((value = (cperm_mt_next_u32(s) & mask)) > max) {
        }
    } else {
        for (;;) {
            uint64_t hi = cperm_mt_next_u32(s);
            value = ((hi << 32) | cperm_mt_next_u32(s)) & mask;
            if (value <= max) break;
        }
    }
    return value;
}

void cperm_mt_shuffle_u32(cperm_mt19937 *s, uint32_t *a, size_t n) {
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)cperm_mt_random_interval(s, (uint64_t)i);
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void cperm_mt_permutation_u32(cperm_mt19937 *s, uint32_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (uint32_t)i;
    cperm_mt_shuffle_u32(s, out, n);
}

int cperm_mt_choice_noreplace(cperm_mt19937 *s, uint32_t *out, size_t pop, size_t size,
                              cperm_err *err) {
    uint32_t *perm;
    if (size > pop)
        return cperm_fail(err, CPERM_EINVAL,
                          "rng: cannot take %zu samples from a population of %zu without "
                          "replacement", size, pop);
    if ((uint64_t)pop > 0x100000000ULL)
        return cperm_fail(err, CPERM_EINVAL, "rng: population of %zu is too large", pop);
    perm = cperm_malloc(pop, sizeof *perm);
    if (!perm)
        return cperm_fail(err, CPERM_ENOMEM, "rng: no memory for a permutation of %zu", pop);
    cperm_mt_permutation_u32(s, perm, pop);
    if (size) memcpy(out, perm, size * sizeof *out);
    free(perm);
    return CPERM_OK;
}
