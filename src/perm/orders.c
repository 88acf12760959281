/* orders.c - the sign-flip orders of MNE 1.3's one-sample permutation test
 * (mne.stats.cluster_level._get_1samp_orders), drawn from numpy's legacy RandomState. */
#include "orders_internal.h"

#include <stdlib.h>

/* The n-bit binary of r, most significant bit first, as 0/1 bytes (np.binary_repr). */
static void binary_row(uint8_t *row, uint64_t r, size_t n) {
    for (size_t k = 0; k < n; k++) row[k] = (uint8_t)((r >> (n - 1 - k)) & 1U);
}

/* Exact test: rows 1..max_perms of bin_perm_rep(n). */
static void orders_exact(uint8_t *orders, size_t n, uint64_t max_perms) {
    for (uint64_t r = 1; r <= max_perms; r++) binary_row(orders + (size_t)(r - 1) * n, r, n);
}

/* n <= 20: rng.choice(max_perms, n_orders, replace=False), row = binary_repr(s + 1, n). */
static int orders_choice(uint8_t *orders, size_t n_orders, size_t n, uint64_t max_perms,
                         cperm_mt19937 *rng, cperm_err *err) {
    uint32_t *sel = cperm_malloc(n_orders, sizeof *sel);
    int rc;
    if (!sel) return cperm_fail(err, CPERM_ENOMEM, "orders: no memory for %zu draws", n_orders);
    rc = cperm_mt_choice_noreplace(rng, sel, (size_t)max_perms, n_orders, err);
    if (rc == CPERM_OK)
        for (size_t k = 0; k < n_orders; k++) binary_row(orders + k * n, (uint64_t)sel[k] + 1, n);
    free(sel);
    return rc;
}

/* A set of sign tuples (MNE's `hashes` dict): packed bit rows plus an open-addressing
 * table of row indices. */
typedef struct {
    uint64_t *bits;   /* capacity x words */
    size_t words;     /* 64-bit words per tuple */
    size_t count;
    size_t *slots;    /* table_size entries, SIZE_MAX = empty */
    size_t table_mask;
} sign_set;

static uint64_t hash_words(const uint64_t *w, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= w[i];
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

static int sign_set_init(sign_set *set, size_t capacity, size_t use) {
    size_t table = 16;
    set->words = (use + 63) / 64;
    set->count = 0;
    while (table < 2 * capacity && table <= SIZE_MAX / 4) table *= 2;
    set->table_mask = table - 1;
    set->bits = cperm_malloc(capacity, set->words * sizeof(uint64_t));
    set->slots = cperm_malloc(table, sizeof(size_t));
    if (!set->bits || !set->slots) return -1;
    for (size_t i = 0; i < table; i++) set->slots[i] = SIZE_MAX;
    return 0;
}

static void sign_set_free(sign_set *set) {
    free(set->bits);
    free(set->slots);
}

/* Adds the tuple in `w` unless present; returns 1 if it was added. The caller guarantees
 * room (at most `capacity` distinct tuples are ever added). */
static int sign_set_add(sign_set *set, const uint64_t *w) {
    size_t i = (size_t)hash_words(w, set->words) & set->table_mask;
    for (;; i = (i + 1) & set->table_mask) {
        size_t idx = set->slots[i];
        if (idx == SIZE_MAX) break;
        if (memcmp(set->bits + idx * set->words, w, set->words * sizeof *w) == 0) return 0;
    }
    memcpy(set->bits + set->count * set->words, w, set->words * sizeof *w);
    set->slots[i] = set->count++;
    return 1;
}

/* n > 20: draw uniform(size=use) < 0.5 tuples until n_orders distinct ones are found; for
 * tail 0 one extra uniform() per accepted tuple decides whether the whole row is flipped. */
static int orders_draw(uint8_t *orders, size_t n_orders, size_t n, int tail, cperm_mt19937 *rng,
                       cperm_err *err) {
    size_t use = n - (tail == 0);
    sign_set set;
    uint64_t *w = NULL;
    uint8_t *signs = NULL;
    int rc = CPERM_OK;

    memset(&set, 0, sizeof set);
    if (sign_set_init(&set, n_orders, use) != 0 ||
        !(w = cperm_calloc(set.words, sizeof *w)) || !(signs = cperm_malloc(use, 1))) {
        rc = cperm_fail(err, CPERM_ENOMEM, "orders: no memory for %zu distinct sign rows of %zu",
                        n_orders, n);
        goto cleanup;
    }
    for (size_t ii = 0; ii < n_orders;) {
        memset(w, 0, set.words * sizeof *w);
        for (size_t k = 0; k < use; k++) {
            signs[k] = cperm_mt_next_double(rng) < 0.5;
            w[k / 64] |= (uint64_t)signs[k] << (k % 64);
        }
        if (!sign_set_add(&set, w)) continue; /* seen before: discard, draw nothing more */
        uint8_t *row = orders + ii * n;
        memcpy(row, signs, use);
        memset(row + use, 0, n - use);
        if (tail == 0 && cperm_mt_next_double(rng) < 0.5)
            for (size_t k = 0; k < n; k++) row[k] = (uint8_t)(1 - row[k]);
        ii++;
    }
cleanup:
    free(signs);
    free(w);
    sign_set_free(&set);
    return rc;
}

int cperm_orders_1samp(uint8_t **orders, size_t *n_orders, int *is_exact, size_t n_subjects,
                       long n_permutations, int tail, uint32_t seed, cperm_err *err) {
    size_t use, count, n = n_subjects;
    uint64_t max_perms; /* 2^use - 1, saturated at UINT64_MAX for use >= 64 */
    uint64_t n_perm;
    int exact, rc;
    uint8_t *out;
    cperm_mt19937 rng;

    if (!orders || !n_orders || !is_exact)
        return cperm_fail(err, CPERM_EINVAL, "orders: NULL output argument");
    if (n < 2)
        return cperm_fail(err, CPERM_EINVAL, "orders: %zu subject(s), need at least 2", n);
    if (tail < -1 || tail > 1)
        return cperm_fail(err, CPERM_EINVAL, "orders: tail must be -1, 0 or 1, got %d", tail);
    if (n_permutations != CPERM_PERMUTATIONS_ALL &&
        (n_permutations < 1 || n_permutations > CPERM_ORDERS_MAX_PERMUTATIONS))
        return cperm_fail(err, CPERM_EINVAL,
                          "orders: n_permutations must be in [1, %ld] or 'all', got %ld",
                          CPERM_ORDERS_MAX_PERMUTATIONS, n_permutations);
    use = n - (tail == 0);
    max_perms = use >= 64 ? UINT64_MAX : (UINT64_C(1) << use) - 1;
    if (n_permutations == CPERM_PERMUTATIONS_ALL) {
        /* MNE sets n_permutations = max_perms and draws max_perms - 1 distinct patterns */
        if (max_perms > (uint64_t)CPERM_ORDERS_MAX_PERMUTATIONS)
            return cperm_fail(err, CPERM_EINVAL,
                              "orders: n_permutations='all' with %zu subjects (tail %d) means "
                              "2^%zu - 1 permutations, more than the limit of %ld",
                              n, tail, use, CPERM_ORDERS_MAX_PERMUTATIONS);
        n_perm = max_perms;
    } else {
        n_perm = (uint64_t)n_permutations;
    }
    exact = max_perms < n_perm;
    /* random branch: n_perm <= max_perms, so the n_perm - 1 distinct draws always exist */
    count = (size_t)(exact ? max_perms : n_perm - 1);
    if (exact && n > 62) /* unreachable under the permutation limit; guards the shifts */
        return cperm_fail(err, CPERM_EINVAL, "orders: exact test with %zu subjects overflows", n);
    if (count > SIZE_MAX / n)
        return cperm_fail(err, CPERM_EINVAL, "orders: %zu x %zu orders overflow", count, n);
    out = cperm_malloc(count, n);
    if (!out)
        return cperm_fail(err, CPERM_ENOMEM, "orders: no memory for %zu x %zu orders", count, n);

    rc = CPERM_OK;
    if (exact) {
        orders_exact(out, n, max_perms);
    } else if (count > 0) {
        cperm_mt_seed(&rng, seed);
        if (n <= 20)
            rc = orders_choice(out, count, n, max_perms, &rng, err);
        else
            rc = orders_draw(out, count, n, tail, &rng, err);
    }
    if (rc != CPERM_OK) {
        free(out);
        return rc;
    }
    *orders = out;
    *n_orders = count;
    *is_exact = exact;
    return CPERM_OK;
}
