/* orders_internal.h - private API of rng_numpy.c (numpy's legacy RandomState MT19937 and the
 * draws MNE uses) and orders.c (MNE 1.3's orders: sign flips and label shuffles, as streams). Not installed. */
#ifndef CPERM_ORDERS_INTERNAL_H
#define CPERM_ORDERS_INTERNAL_H

#include "common_internal.h"

#include <stddef.h>
#include <stdint.h>

#define CPERM_MT_N 624

/* The state of numpy.random.RandomState(seed): MT19937 key and position. Plain value
 * type; copy it to fork a stream. */
typedef struct cperm_mt19937 {
    uint32_t mt[CPERM_MT_N];
    int pos;
} cperm_mt19937;

/* RandomState(seed) (numpy's mt19937_seed). */
void cperm_mt_seed(cperm_mt19937 *s, uint32_t seed);
/* The next tempered 32-bit output. */
uint32_t cperm_mt_next_u32(cperm_mt19937 *s);
/* random_sample() / uniform(): a 53-bit double in [0, 1) from two 32-bit outputs. */
double cperm_mt_next_double(cperm_mt19937 *s);
/* numpy's random_interval(max): uniform in [0, max] by masked rejection; draws nothing
 * when max == 0. Values above 2^32 - 1 use 64-bit draws (high word first), as numpy. */
uint64_t cperm_mt_random_interval(cperm_mt19937 *s, uint64_t max);
/* Legacy RandomState.shuffle of a 1-D array: for i = n-1 .. 1 swap a[i], a[random_interval(i)]. */
void cperm_mt_shuffle_u32(cperm_mt19937 *s, uint32_t *a, size_t n);
/* RandomState.permutation(n): out[0..n) = a shuffled 0..n-1. n must be <= 2^32. */
void cperm_mt_permutation_u32(cperm_mt19937 *s, uint32_t *out, size_t n);
/* RandomState.choice(pop, size, replace=False) = permutation(pop)[:size]: shuffles the
 * whole population, so it costs pop - 1 bounded draws whatever size is. Writes size values
 * to out. Errors: size > pop or pop > 2^32 (CPERM_EINVAL), allocation (CPERM_ENOMEM). */
int cperm_mt_choice_noreplace(cperm_mt19937 *s, uint32_t *out, size_t pop, size_t size,
                              cperm_err *err);

/* Orders per window: the most orders a run holds at once (engine: CPERM_ORDER_WINDOW rows
 * regenerated per chunk of permutations). */
#define CPERM_ORDER_WINDOW 1024

/* A stream of orders (orders.c): what regenerates any range of the orders MNE draws, without
 * holding them. Immutable once made, so one stream serves many runs and threads; each reader
 * keeps its own cursor (the RNG between consecutive ranges: reading ranges in order costs
 * only their draws, a jump restarts from the nearest saved state, at most a few thousand
 * orders back). */
typedef struct cperm_order_stream cperm_order_stream;
enum { CPERM_ORDERS_SIGNS = 0, CPERM_ORDERS_LABELS = 1 };
typedef struct cperm_order_cursor {
    cperm_mt19937 mt;
    size_t next;                /* the order mt draws next; SIZE_MAX = none yet */
    size_t skip;                /* position in the stream's discarded draws */
} cperm_order_cursor;

/* MNE 1.3's _get_1samp_orders(n_subjects, n_permutations, tail, RandomState(seed)) as a
 * stream of rows of n_subjects bytes, 1 = sign kept, 0 = flipped (MNE applies 2*order-1).
 * Arguments and errors as cperm_orders_1samp. Making it walks MNE's draws once when they must
 * be checked for duplicates (n > 20), holding the distinct tuples (16 to 32 bytes per order for
 * up to 64 subjects) only meanwhile. */
int cperm_order_stream_signflip(cperm_order_stream **out, size_t n_subjects,
                                long n_permutations, int tail, uint32_t seed, cperm_err *err);
/* MNE 1.3's independent-samples orders, [rng.permutation(n) for _ in range(n_perm - 1)]
 * with rng = RandomState(seed), as rows of n uint32 indices. n_permutations in
 * [1, CPERM_ORDERS_MAX_PERMUTATIONS]; n_observations in [2, 2^32). */
int cperm_order_stream_labels(cperm_order_stream **out, size_t n_observations,
                              long n_permutations, uint32_t seed, cperm_err *err);
/* Within-subject shuffles of a repeated-measures design (CPERM_RM_WITHIN in clusterperm.h):
 * rows of n_cells x n_reps uint32 indices into the stacked rows (cell c's subject s at
 * c * n_reps + s), the permuted row c * n_reps + s being subject s's cell pi_s(c). Random:
 * n_permutations - 1 orders, for each order and each subject rng.permutation(n_cells) of
 * RandomState(seed). Exact (cperm_order_stream_exact) when n_permutations >= (n_cells!)^n_reps
 * or 'all': the (n_cells!)^n_reps - 1 orders other than the identity, enumerated. Errors
 * (CPERM_EINVAL): cells outside 2 .. CPERM_MAX_GROUPS, no subject, 2^32 rows or more,
 * n_permutations out of range, 'all' beyond CPERM_ORDERS_MAX_PERMUTATIONS orders. */
int cperm_order_stream_within(cperm_order_stream **out, size_t n_cells, size_t n_reps,
                              long n_permutations, uint32_t seed, cperm_err *err);
/* The caller's orders (cperm_options.given_orders): count rows of n values, bytes 0/1 for
 * CPERM_ORDERS_SIGNS, uint32 permutations of 0 .. n-1 for CPERM_ORDERS_LABELS, validated and
 * copied; fill serves them as any stream's (never exact). Errors (CPERM_EINVAL): NULL rows or
 * count 0, a byte other than 0/1 or a row that is not a permutation (naming the order,
 * 0-based), more than CPERM_ORDERS_MAX_PERMUTATIONS orders; CPERM_ENOMEM. */
int cperm_order_stream_given(cperm_order_stream **out, int kind, size_t n, size_t count,
                             const void *rows, cperm_err *err);
/* The given rows of such a stream and their size in bytes, or NULL (and 0) for a drawn one. */
const void *cperm_order_stream_given_rows(const cperm_order_stream *s, size_t *bytes);
void cperm_order_stream_free(cperm_order_stream *s);
size_t cperm_order_stream_count(const cperm_order_stream *s);  /* orders (MNE's n_perm - 1) */
int cperm_order_stream_exact(const cperm_order_stream *s);     /* enumerated (exact test) */
int cperm_order_stream_kind(const cperm_order_stream *s);      /* CPERM_ORDERS_* */
size_t cperm_order_stream_width(const cperm_order_stream *s);  /* values per row */
void cperm_order_cursor_init(cperm_order_cursor *c);
/* Rows k0 .. k1-1 (k0 <= k1 <= count) into `rows`: bytes for sign flips, uint32 for labels,
 * width values a row. Allocates nothing and cannot fail. */
void cperm_order_stream_fill(const cperm_order_stream *s, cperm_order_cursor *c, size_t k0,
                             size_t k1, void *rows);

/* Most permutations cperm_orders_1samp accepts (larger requests are refused). */
#define CPERM_ORDERS_MAX_PERMUTATIONS 100000000L

/* MNE 1.3's _get_1samp_orders(n_subjects, n_permutations, tail, RandomState(seed)), whole
 * (for tests and tools: the engine reads the stream). On success *orders is a malloc'ed n_orders x n_subjects byte matrix (free() it), row k
 * the k-th order MNE returns: 1 = sign kept, 0 = flipped (MNE applies 2*order-1).
 * *is_exact is 1 for the exact (enumerated) test: iff 2^(n - (tail==0)) - 1 < n_permutations.
 * n_permutations = CPERM_PERMUTATIONS_ALL is MNE's 'all', which is never exact.
 * Errors (CPERM_EINVAL): n_subjects < 2, tail not in -1/0/1, n_permutations < 1 (and not
 * ALL) or above CPERM_ORDERS_MAX_PERMUTATIONS, 'all' with more patterns than that;
 * CPERM_ENOMEM. Outputs are untouched on failure. */
int cperm_orders_1samp(uint8_t **orders, size_t *n_orders, int *is_exact, size_t n_subjects,
                       long n_permutations, int tail, uint32_t seed, cperm_err *err);

#endif
