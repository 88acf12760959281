/* orders.c - the permutation orders MNE 1.3 draws from numpy's legacy RandomState, as a
 * stream: the sign flips of the one-sample test (cluster_level._get_1samp_orders) and the
 * label shuffles of the independent-samples test (rng.permutation per order) - and the
 * within-subject shuffles of a repeated-measures design (each subject's cells permuted on
 * their own, drawn or enumerated; no MNE counterpart). A stream keeps
 * only what regenerates any range of orders - RNG states every `stride` orders and the draws
 * MNE discarded as duplicates - so its size does not grow with the orders' width and barely
 * with their number; a cursor carries the RNG from one range to the next. A caller's own
 * orders (options.given_orders) are a stream too: validated, copied and served as stored. */
#include "orders_internal.h"

#include <stdlib.h>

enum {
    METHOD_EXACT = 0,   /* order k = binary(k + 1): enumerated */
    METHOD_CHOICE = 1,  /* order k = binary(sel[k] + 1): rng.choice(max_perms) (n <= 20) */
    METHOD_DRAW = 2,    /* uniform(size=use) < 0.5 tuples, duplicates discarded (n > 20) */
    METHOD_PERMUTE = 3, /* rng.permutation(n) */
    METHOD_WITHIN = 4,  /* rng.permutation(cells) per subject */
    METHOD_WITHIN_EXACT = 5, /* order k = the mixed-radix digits of k + 1, one per subject */
    METHOD_GIVEN = 6    /* the caller's rows, copied (options.given_orders) */
};

struct cperm_order_stream {
    int kind, method, tail;
    size_t n, use, count;
    size_t cells, reps;         /* WITHIN: n = cells x reps (subjects) */
    uint64_t cell_perms;        /* WITHIN_EXACT: cells! */
    int exact;
    uint32_t *sel;              /* CHOICE: count values */
    size_t stride;              /* DRAW, PERMUTE: orders between saved states */
    size_t n_saves;
    cperm_mt19937 *saves;       /* the state before order j * stride is drawn */
    size_t *save_skip;          /* DRAW: skips[] position at that state */
    size_t n_skips;
    size_t *skips;              /* DRAW: per discarded draw, the order it was drawn for */
    void *given;                /* GIVEN: count rows of n bytes (SIGNS) or n uint32 (LABELS) */
};

/* Saved states cost 2.5 kB each; at most about a thousand of them, a window apart. */
static size_t stride_for(size_t count) {
    size_t s = CPERM_ORDER_WINDOW;
    while (count / s > 1024) s *= 2;
    return s;
}

/* The n-bit binary of r, most significant bit first, as 0/1 bytes (np.binary_repr). */
static void binary_row(uint8_t *row, uint64_t r, size_t n) {
    for (size_t k = 0; k < n; k++) row[k] = (uint8_t)((r >> (n - 1 - k)) & 1U);
}

/* ------------------------------------------------------ MNE's `hashes` dict */

/* The distinct sign tuples drawn so far, packed in 64-bit words: an open-addressing table
 * holding the tuples themselves. Only alive while a stream is made. */
typedef struct {
    uint64_t *keys;   /* table x words */
    uint64_t *used;   /* table bits */
    size_t words, mask;
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
    while (table < 2 * capacity && table <= SIZE_MAX / 4) table *= 2;
    set->mask = table - 1;
    set->keys = cperm_malloc(table, set->words * sizeof(uint64_t));
    set->used = cperm_calloc(table / 64 + 1, sizeof(uint64_t));
    return set->keys && set->used ? 0 : -1;
}

/* Adds the tuple unless present; 1 if it was added. At most `capacity` tuples are added. */
static int sign_set_add(sign_set *set, const uint64_t *w) {
    const size_t W = set->words;
    for (size_t i = (size_t)hash_words(w, W) & set->mask;; i = (i + 1) & set->mask) {
        uint64_t *key = set->keys + i * W;
        if (!((set->used[i >> 6] >> (i & 63)) & 1u)) {
            memcpy(key, w, W * sizeof *w);
            set->used[i >> 6] |= (uint64_t)1 << (i & 63);
            return 1;
        }
        if (memcmp(key, w, W * sizeof *w) == 0) return 0;
    }
}

/* ------------------------------------------------------------ drawing */

/* One candidate tuple of MNE's loop: `use` uniforms, 1 where < 0.5 (into row and/or w). */
static void draw_tuple(cperm_mt19937 *mt, size_t use, uint8_t *row, uint64_t *w) {
    for (size_t k = 0; k < use; k++) {
        unsigned bit = cperm_mt_next_double(mt) < 0.5;
        if (row) row[k] = (uint8_t)bit;
        if (w) w[k / 64] |= (uint64_t)bit << (k % 64);
    }
}

/* The accepted order c->next (row may be NULL: drawn and dropped): the discarded duplicates
 * drawn before it, its tuple, and for tail 0 the uniform that may flip the whole row. */
static void draw_order(const cperm_order_stream *s, cperm_order_cursor *c, uint8_t *row) {
    while (c->skip < s->n_skips && s->skips[c->skip] == c->next) {
        draw_tuple(&c->mt, s->use, NULL, NULL);
        c->skip++;
    }
    draw_tuple(&c->mt, s->use, row, NULL);
    if (row) memset(row + s->use, 0, s->n - s->use);
    if (s->tail == 0 && cperm_mt_next_double(&c->mt) < 0.5 && row)
        for (size_t k = 0; k < s->n; k++) row[k] = (uint8_t)(1 - row[k]);
    c->next++;
}

/* DRAW: the first pass over MNE's loop, which decides the duplicates (with the tuples set)
 * and saves the states the stream restarts from. */
static int make_draw(cperm_order_stream *s, uint32_t seed, cperm_err *err) {
    sign_set set = {0};
    uint64_t *w = NULL;
    size_t skip_cap = 0;
    int rc = CPERM_OK;
    cperm_mt19937 mt;
    if (sign_set_init(&set, s->count, s->use) != 0 || !(w = cperm_calloc(set.words, sizeof *w))) {
        rc = cperm_fail(err, CPERM_ENOMEM, "orders: no memory to check %zu sign rows of %zu "
                        "for duplicates", s->count, s->n);
        goto done;
    }
    cperm_mt_seed(&mt, seed);
    for (size_t ii = 0; ii < s->count;) {
        if (ii % s->stride == 0 && s->n_saves * s->stride == ii) {
            s->saves[s->n_saves] = mt;
            s->save_skip[s->n_saves++] = s->n_skips;
        }
        memset(w, 0, set.words * sizeof *w);
        draw_tuple(&mt, s->use, NULL, w);
        if (!sign_set_add(&set, w)) { /* seen before: MNE draws nothing more for it */
            if (s->n_skips == skip_cap) {
                size_t cap = skip_cap ? 2 * skip_cap : 64;
                size_t *grown = realloc(s->skips, cap * sizeof *grown);
                if (!grown) {
                    rc = cperm_fail(err, CPERM_ENOMEM, "orders: out of memory");
                    goto done;
                }
                s->skips = grown;
                skip_cap = cap;
            }
            s->skips[s->n_skips++] = ii;
            continue;
        }
        if (s->tail == 0) (void)cperm_mt_next_double(&mt);
        ii++;
    }
done:
    free(w);
    free(set.keys);
    free(set.used);
    return rc;
}

/* ------------------------------------------------------------- streams */

static int stream_alloc(cperm_order_stream **out, int kind, int method, size_t n, size_t count,
                        cperm_err *err) {
    cperm_order_stream *s = calloc(1, sizeof *s);
    if (!s) return cperm_fail(err, CPERM_ENOMEM, "orders: out of memory");
    s->kind = kind;
    s->method = method;
    s->n = n;
    s->use = n;
    s->count = count;
    s->stride = stride_for(count);
    if (method == METHOD_DRAW || method == METHOD_PERMUTE || method == METHOD_WITHIN) {
        size_t saves = count / s->stride + 1;
        s->saves = cperm_malloc(saves, sizeof *s->saves);
        s->save_skip = cperm_calloc(saves, sizeof *s->save_skip);
        if (!s->saves || !s->save_skip) {
            cperm_order_stream_free(s);
            return cperm_fail(err, CPERM_ENOMEM, "orders: out of memory");
        }
    }
    *out = s;
    return CPERM_OK;
}

void cperm_order_stream_free(cperm_order_stream *s) {
    if (!s) return;
    free(s->sel);
    free(s->saves);
    free(s->save_skip);
    free(s->skips);
    free(s->given);
    free(s);
}

int cperm_order_stream_signflip(cperm_order_stream **out, size_t n_subjects, long n_permutations,
                                int tail, uint32_t seed, cperm_err *err) {
    const size_t n = n_subjects;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "orders: NULL output argument");
    *out = NULL;
    if (n < 2)
        return cperm_fail(err, CPERM_EINVAL, "orders: %zu subject(s), need at least 2", n);
    if (tail < -1 || tail > 1)
        return cperm_fail(err, CPERM_EINVAL, "orders: tail must be -1, 0 or 1, got %d", tail);
    if (n_permutations != CPERM_PERMUTATIONS_ALL &&
        (n_permutations < 1 || n_permutations > CPERM_ORDERS_MAX_PERMUTATIONS))
        return cperm_fail(err, CPERM_EINVAL,
                          "orders: n_permutations must be in [1, %ld] or 'all', got %ld",
                          CPERM_ORDERS_MAX_PERMUTATIONS, n_permutations);
    const size_t use = n - (tail == 0);
    /* 2^use - 1, saturated for use >= 64 */
    const uint64_t max_perms = use >= 64 ? UINT64_MAX : (UINT64_C(1) << use) - 1;
    uint64_t n_perm;
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
    const int exact = max_perms < n_perm;
    /* random branch: n_perm <= max_perms, so the n_perm - 1 distinct draws always exist */
    const size_t count = (size_t)(exact ? max_perms : n_perm - 1);
    if (exact && n > 62) /* unreachable under the permutation limit; guards the shifts */
        return cperm_fail(err, CPERM_EINVAL, "orders: exact test with %zu subjects overflows", n);
    const int method = exact ? METHOD_EXACT : n <= 20 ? METHOD_CHOICE : METHOD_DRAW;
    cperm_order_stream *s;
    int rc = stream_alloc(&s, CPERM_ORDERS_SIGNS, method, n, count, err);
    if (rc) return rc;
    s->use = use;
    s->tail = tail;
    s->exact = exact;
    if (method == METHOD_CHOICE && count > 0) {
        cperm_mt19937 mt;
        cperm_mt_seed(&mt, seed);
        s->sel = cperm_malloc(count, sizeof *s->sel);
        rc = s->sel ? cperm_mt_choice_noreplace(&mt, s->sel, (size_t)max_perms, count, err)
                    : cperm_fail(err, CPERM_ENOMEM, "orders: no memory for %zu draws", count);
    } else if (method == METHOD_DRAW) {
        rc = make_draw(s, seed, err);
    }
    if (rc) {
        cperm_order_stream_free(s);
        return rc;
    }
    *out = s;
    return CPERM_OK;
}

int cperm_order_stream_labels(cperm_order_stream **out, size_t n_observations,
                              long n_permutations, uint32_t seed, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "orders: NULL output argument");
    *out = NULL;
    if (n_observations < 2 || (uint64_t)n_observations > 0xffffffffULL)
        return cperm_fail(err, CPERM_EINVAL, "orders: %zu observations, need 2 to 2^32 - 1",
                          n_observations);
    if (n_permutations < 1 || n_permutations > CPERM_ORDERS_MAX_PERMUTATIONS)
        return cperm_fail(err, CPERM_EINVAL, "orders: n_permutations must be in [1, %ld] for "
                          "label permutations, got %ld", CPERM_ORDERS_MAX_PERMUTATIONS,
                          n_permutations);
    cperm_order_stream *s;
    int rc = stream_alloc(&s, CPERM_ORDERS_LABELS, METHOD_PERMUTE, n_observations,
                          (size_t)n_permutations - 1, err);
    if (rc) return rc;
    /* rng.permutation consumes a varying number of draws, so walk the stream once */
    cperm_mt19937 mt;
    uint32_t *row = cperm_malloc(n_observations, sizeof *row);
    if (!row) {
        cperm_order_stream_free(s);
        return cperm_fail(err, CPERM_ENOMEM, "orders: out of memory");
    }
    cperm_mt_seed(&mt, seed);
    for (size_t k = 0; k < s->count; k++) {
        if (k % s->stride == 0) s->saves[s->n_saves++] = mt;
        cperm_mt_permutation_u32(&mt, row, n_observations);
    }
    free(row);
    *out = s;
    return CPERM_OK;
}

/* ------------------------------------------------- within-subject shuffles */

/* One random order: for each subject in turn rng.permutation(cells) = pi, and subject s's
 * cell c takes its cell pi[c], i.e. row c * reps + s of the permuted data is the stacked row
 * pi[c] * reps + s. row may be NULL (drawn and dropped). */
static void draw_within(const cperm_order_stream *s, cperm_mt19937 *mt, uint32_t *row) {
    uint32_t pi[CPERM_MAX_GROUPS];
    const size_t C = s->cells, S = s->reps;
    for (size_t j = 0; j < S; j++) {
        cperm_mt_permutation_u32(mt, pi, C);
        if (row)
            for (size_t c = 0; c < C; c++) row[c * S + j] = (uint32_t)(pi[c] * S + j);
    }
}

/* Exact order k: k + 1 in base cells!, subject 0's digit the most significant, each digit
 * the rank of its subject's permutation in lexicographic order (0 = the identity, so the
 * identity order itself, all digits 0, is never produced). */
static void enumerate_within(const cperm_order_stream *s, size_t k, uint32_t *row) {
    const size_t C = s->cells, S = s->reps;
    uint64_t idx = (uint64_t)k + 1;
    for (size_t jj = S; jj-- > 0;) {
        uint64_t rank = idx % s->cell_perms;
        idx /= s->cell_perms;
        uint32_t avail[CPERM_MAX_GROUPS];
        for (size_t c = 0; c < C; c++) avail[c] = (uint32_t)c;
        uint64_t f = s->cell_perms;
        for (size_t c = 0; c < C; c++) {
            f /= (uint64_t)(C - c); /* (C - 1 - c)! */
            const size_t q = (size_t)(rank / f);
            rank %= f;
            row[c * S + jj] = (uint32_t)(avail[q] * S + jj);
            memmove(avail + q, avail + q + 1, (C - 1 - c - q) * sizeof *avail);
        }
    }
}

int cperm_order_stream_within(cperm_order_stream **out, size_t n_cells, size_t n_reps,
                              long n_permutations, uint32_t seed, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "orders: NULL output argument");
    *out = NULL;
    if (n_cells < 2 || n_cells > CPERM_MAX_GROUPS || n_reps < 1 ||
        (uint64_t)n_reps * n_cells > 0xffffffffULL)
        return cperm_fail(err, CPERM_EINVAL, "orders: %zu cells x %zu subjects: need 2 to %d "
                          "cells and fewer than 2^32 rows", n_cells, n_reps, CPERM_MAX_GROUPS);
    if (n_permutations != CPERM_PERMUTATIONS_ALL &&
        (n_permutations < 1 || n_permutations > CPERM_ORDERS_MAX_PERMUTATIONS))
        return cperm_fail(err, CPERM_EINVAL, "orders: n_permutations must be in [1, %ld] or "
                          "'all', got %ld", CPERM_ORDERS_MAX_PERMUTATIONS, n_permutations);
    /* (cells!)^reps, saturated at UINT64_MAX */
    uint64_t perms = 1, total = 1;
    for (size_t c = 2; c <= n_cells; c++)
        perms = perms > UINT64_MAX / c ? UINT64_MAX : perms * c;
    for (size_t j = 0; j < n_reps; j++)
        total = perms == UINT64_MAX || total > UINT64_MAX / perms ? UINT64_MAX : total * perms;
    const uint64_t max_perms = total - 1; /* every order but the identity */
    int exact;
    if (n_permutations == CPERM_PERMUTATIONS_ALL) {
        if (total == UINT64_MAX || max_perms > (uint64_t)CPERM_ORDERS_MAX_PERMUTATIONS)
            return cperm_fail(err, CPERM_EINVAL, "orders: n_permutations='all' with %zu cells x "
                              "%zu subjects means (%zu!)^%zu - 1 orders, more than the limit "
                              "of %ld", n_cells, n_reps, n_cells, n_reps,
                              CPERM_ORDERS_MAX_PERMUTATIONS);
        exact = 1;
    } else {
        exact = total != UINT64_MAX && max_perms < (uint64_t)n_permutations;
    }
    const size_t count = (size_t)(exact ? max_perms : (uint64_t)n_permutations - 1);
    cperm_order_stream *s;
    int rc = stream_alloc(&s, CPERM_ORDERS_LABELS, exact ? METHOD_WITHIN_EXACT : METHOD_WITHIN,
                          n_cells * n_reps, count, err);
    if (rc) return rc;
    s->cells = n_cells;
    s->reps = n_reps;
    s->cell_perms = perms;
    s->exact = exact;
    if (!exact) { /* shuffles consume a varying number of draws: walk the stream once */
        cperm_mt19937 mt;
        cperm_mt_seed(&mt, seed);
        for (size_t k = 0; k < count; k++) {
            if (k % s->stride == 0) s->saves[s->n_saves++] = mt;
            draw_within(s, &mt, NULL);
        }
    }
    *out = s;
    return CPERM_OK;
}

/* ------------------------------------------------------------ given orders */

int cperm_order_stream_given(cperm_order_stream **out, int kind, size_t n, size_t count,
                             const void *rows, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "orders: NULL output argument");
    *out = NULL;
    if (!rows || count < 1)
        return cperm_fail(err, CPERM_EINVAL, "options: given_orders needs at least one order "
                          "(got %zu%s)", count, rows ? "" : " and a NULL pointer");
    if (kind != CPERM_ORDERS_SIGNS && kind != CPERM_ORDERS_LABELS)
        return cperm_fail(err, CPERM_EINVAL, "orders: unknown kind %d", kind);
    if (n < 2 || (uint64_t)n > 0xffffffffULL)
        return cperm_fail(err, CPERM_EINVAL, "orders: %zu observations, need 2 to 2^32 - 1", n);
    if (count > (size_t)CPERM_ORDERS_MAX_PERMUTATIONS)
        return cperm_fail(err, CPERM_EINVAL, "options: %zu given orders, more than the limit "
                          "of %ld", count, CPERM_ORDERS_MAX_PERMUTATIONS);
    const size_t width = kind == CPERM_ORDERS_SIGNS ? 1 : sizeof(uint32_t);
    if (count > SIZE_MAX / width / n)
        return cperm_fail(err, CPERM_EINVAL, "options: %zu given orders of %zu are too many",
                          count, n);
    /* validate before copying: a bad row is named, 0-based as the caller's array */
    if (kind == CPERM_ORDERS_SIGNS) {
        const uint8_t *r = rows;
        for (size_t k = 0; k < count; k++)
            for (size_t i = 0; i < n; i++)
                if (r[k * n + i] > 1)
                    return cperm_fail(err, CPERM_EINVAL, "options: given order %zu: byte %u at "
                                      "subject %zu is not 0 (flipped) or 1 (kept)", k,
                                      (unsigned)r[k * n + i], i);
    } else {
        const uint32_t *r = rows;
        uint8_t *seen = cperm_malloc(n, 1);
        if (!seen) return cperm_fail(err, CPERM_ENOMEM, "orders: out of memory");
        for (size_t k = 0; k < count; k++) {
            memset(seen, 0, n);
            for (size_t i = 0; i < n; i++) {
                const uint32_t v = r[k * n + i];
                if ((size_t)v >= n || seen[v]) {
                    free(seen);
                    return cperm_fail(err, CPERM_EINVAL, "options: given order %zu is not a "
                                      "permutation of 0 .. %zu: index %u at position %zu %s", k,
                                      n - 1, (unsigned)v, i,
                                      (size_t)v >= n ? "is out of range" : "is repeated");
                }
                seen[v] = 1;
            }
        }
        free(seen);
    }
    cperm_order_stream *s = NULL;
    int rc = stream_alloc(&s, kind, METHOD_GIVEN, n, count, err);
    if (rc) return rc;
    s->given = cperm_malloc(count * n, width);
    if (!s->given) {
        cperm_order_stream_free(s);
        return cperm_fail(err, CPERM_ENOMEM, "orders: no memory for %zu given orders of %zu",
                          count, n);
    }
    memcpy(s->given, rows, count * n * width);
    *out = s;
    return CPERM_OK;
}

const void *cperm_order_stream_given_rows(const cperm_order_stream *s, size_t *bytes) {
    const int given = s->method == METHOD_GIVEN;
    if (bytes)
        *bytes = given ? s->count * s->n * (s->kind == CPERM_ORDERS_SIGNS ? 1 : sizeof(uint32_t))
                       : 0;
    return given ? s->given : NULL;
}

size_t cperm_order_stream_count(const cperm_order_stream *s) { return s->count; }
int cperm_order_stream_exact(const cperm_order_stream *s) { return s->exact; }
int cperm_order_stream_kind(const cperm_order_stream *s) { return s->kind; }
size_t cperm_order_stream_width(const cperm_order_stream *s) { return s->n; }

void cperm_order_cursor_init(cperm_order_cursor *c) {
    c->next = SIZE_MAX;
    c->skip = 0;
}

void cperm_order_stream_fill(const cperm_order_stream *s, cperm_order_cursor *c, size_t k0,
                             size_t k1, void *rows) {
    const size_t n = s->n;
    if (s->method == METHOD_GIVEN) {
        const size_t row = n * (s->kind == CPERM_ORDERS_SIGNS ? 1 : sizeof(uint32_t));
        if (k1 > k0) memcpy(rows, (const unsigned char *)s->given + k0 * row, (k1 - k0) * row);
        return;
    }
    if (s->method == METHOD_EXACT || s->method == METHOD_CHOICE) {
        uint8_t *r = rows;
        for (size_t k = k0; k < k1; k++, r += n)
            binary_row(r, (s->method == METHOD_EXACT ? (uint64_t)k : (uint64_t)s->sel[k]) + 1, n);
        return;
    }
    if (s->method == METHOD_WITHIN_EXACT) {
        uint32_t *r = rows;
        for (size_t k = k0; k < k1; k++, r += n) enumerate_within(s, k, r);
        return;
    }
    if (k0 >= k1) return;
    if (c->next != k0) { /* restart from the last saved state before k0 */
        size_t j = k0 / s->stride;
        c->mt = s->saves[j];
        c->next = j * s->stride;
        c->skip = s->save_skip[j];
        if (s->method == METHOD_PERMUTE) {
            uint32_t *r = rows; /* a scratch row: what lands there is overwritten below */
            for (; c->next < k0; c->next++) cperm_mt_permutation_u32(&c->mt, r, n);
        } else if (s->method == METHOD_WITHIN) {
            for (; c->next < k0; c->next++) draw_within(s, &c->mt, NULL);
        } else {
            while (c->next < k0) draw_order(s, c, NULL);
        }
    }
    if (s->method == METHOD_PERMUTE) {
        uint32_t *r = rows;
        for (size_t k = k0; k < k1; k++, r += n) cperm_mt_permutation_u32(&c->mt, r, n);
        c->next = k1;
    } else if (s->method == METHOD_WITHIN) {
        uint32_t *r = rows;
        for (size_t k = k0; k < k1; k++, r += n) draw_within(s, &c->mt, r);
        c->next = k1;
    } else {
        uint8_t *r = rows;
        for (size_t k = k0; k < k1; k++, r += n) draw_order(s, c, r);
    }
}

int cperm_orders_1samp(uint8_t **orders, size_t *n_orders, int *is_exact, size_t n_subjects,
                       long n_permutations, int tail, uint32_t seed, cperm_err *err) {
    if (!orders || !n_orders || !is_exact)
        return cperm_fail(err, CPERM_EINVAL, "orders: NULL output argument");
    cperm_order_stream *s;
    int rc = cperm_order_stream_signflip(&s, n_subjects, n_permutations, tail, seed, err);
    if (rc) return rc;
    uint8_t *out = cperm_malloc(s->count ? s->count : 1, n_subjects);
    if (!out) {
        const size_t count = s->count;
        cperm_order_stream_free(s);
        return cperm_fail(err, CPERM_ENOMEM, "orders: no memory for %zu x %zu orders", count,
                          n_subjects);
    }
    cperm_order_cursor c;
    cperm_order_cursor_init(&c);
    cperm_order_stream_fill(s, &c, 0, s->count, out);
    *orders = out;
    *n_orders = s->count;
    *is_exact = s->exact;
    cperm_order_stream_free(s);
    return CPERM_OK;
}
