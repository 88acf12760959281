/* signflip.c - the permutation kernel: for every sign-flip order, the one-sample t of every
 * point, thresholded, keeping only the supra-threshold points, then clustered for H0.
 *
 * Under a sign flip a point's sum of squares Q does not change, so "is |t| above the
 * threshold" reduces to comparing S^2 (S = sum of signed data) with alpha*Q + beta_k, where
 * beta_k carries the permutation's hat adjustment. S comes from per-group lookup tables:
 * subjects are split into groups of <= 8, each group's 2^g signed partial sums are tabulated
 * once per block of 64 points, and a permutation's S is one table row per group. That
 * screen is conservative (relaxed by 1e-9); each candidate is then recomputed with MNE's
 * exact two-pass arithmetic, so the t values that enter clusters, and hence H0, are the ones
 * MNE computes, bit for bit.
 *
 * Work is split in chunks of orders. Within a chunk, threads own fixed ranges of point
 * blocks (tables stay in cache while all orders of the chunk run over them) and append
 * supra-threshold points to per-order page lists; then orders are clustered in parallel.
 * Chunk size adapts to the page pool, so memory is bounded whatever the number of
 * permutations, and results do not depend on chunking or on the number of threads.
 *
 * The end of the file is cperm_kernel_cluster_mass, the cluster-mass statistic as the driver
 * (driver.c) sees it: observe = the observed clusters (clusters.c) and each order's hat
 * adjustment; permute = this kernel over a range of orders. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CPERM_X86 1
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#define TOP_K 8192
/* prepare_top's radix sort of the candidates: digit bits, buckets, digits of a double */
#define TOP_RADIX_BITS 11
enum { TOP_R = 1 << TOP_RADIX_BITS, TOP_D = (64 + TOP_RADIX_BITS - 1) / TOP_RADIX_BITS };

/* A screen lists the orders whose block has a candidate in hits[], returning how many, and
 * writes masks[kk] (bit j: point p0 + j may pass) for those orders kk (others' may be left
 * as they were): the caller then visits those alone (about 1 in 20 in the seed case). */
typedef size_t (*screen_fn)(const float *tables, const size_t *toff, const uint16_t *patterns,
                            size_t G, size_t nk, const float *aq, const float *beta, int tail,
                            uint64_t *masks, uint32_t *hits);
static screen_fn pick_screen(void);

typedef struct top_entry {
    double q;
    size_t idx;
} top_entry;

typedef struct flip_part {      /* one fixed range of point blocks */
    size_t block_begin, block_end;
    double *tables;             /* sum over groups of 2^g x CPERM_BLOCK */
    float *ftables;             /* the same in float32 for the fast screen */
    int16_t *itables;           /* two groups: the same in int16 (exact sums), or NULL */
    cperm_page_pool pool;       /* per order of the chunk: its supra-threshold points */
    uint64_t *masks;            /* per order of the chunk: candidate points of a block */
    uint32_t *hits;             /* the orders of the chunk with candidates in the block */
    uint8_t *cand_off;          /* the block's candidates awaiting the exact pass: point */
    uint32_t *cand_row;         /* ... and order (index in the window) */
    double *cand_t;             /* ... and their t */
    double *scratch;            /* 8 x n_subjects: the exact pass's signed products */
    int overflow;
} flip_part;

/* Candidates go to the exact pass in batches of this many (order, point) pairs. */
#define CAND_BATCH 512

struct cperm_flip_ws {
    size_t n_parts;
    flip_part *parts;
    size_t n_threads;
    size_t max_chunk;
    size_t chunk;               /* orders per screening round: max_chunk, less after a pool
                                   overflow until rounds use little of the pool again */
    uint16_t *patterns;         /* per order of the window: its table row per group */
    size_t i16_parts;           /* the int16 screen's subsets of subjects (2 or 3) */
    size_t i16_start[4], i16_size[3];
    uint32_t *row_offsets;      /* per order of the window, the offsets of its int16 table
                                   rows, one per subset (i16_parts of them) */
    double *hat;                /* per order of the window: sigma * max var (or sigma) */
    double *win_signs;          /* per order of the window: its signs as +-1.0 */
    double hat_bound;           /* >= every order's hat (for the float32 screen's range) */
    double *beta;               /* per order of the chunk */
    float *fbeta;               /* the same, scaled for the float32 screen */
    int use_float;              /* screen in float32 (decided per execute) */
    int use_int16;              /* two groups, two-sided, AVX2: screen blocks in int16 */
    double beta_min;            /* the chunk's smallest beta (the int16 screen's) */
    screen_fn screen;           /* float32 screen kernel for this CPU */
    double fscale, falpha;      /* power-of-two data scale; relaxed alpha for float32 */
    cperm_point **gather;       /* per thread: n_points */
    top_entry *top;             /* points with the largest Q, descending, with their Q */
    uint32_t *top_cand;         /* n_points (sigma relative): the top buckets' points */
    double *top_x;              /* their data, top_k x n_subjects */
    size_t top_k;
    double rest_bound;          /* Q of every point outside the top list is <= this */
    top_entry *top_all, *top_tmp; /* top_sort_cap each: prepare_top's sort of candidates */
    size_t top_sort_cap;
    uint32_t (*top_hist)[TOP_R]; /* the sort's digit counts, TOP_D rows */
    uint32_t *top_rank;         /* top_sort_cap: a candidate's rank, UINT32_MAX if not top */
    double *full_s, *full_m;    /* per thread fallback scratch: n_points each */
};

static size_t table_doubles(const cperm_plan *plan) {
    size_t total = 0;
    for (size_t g = 0; g < plan->n_groups; g++)
        total += ((size_t)1 << plan->group_size[g]) * CPERM_BLOCK;
    return total;
}

static void flip_free(struct cperm_flip_ws *fw) {
    if (!fw) return;
    for (size_t i = 0; i < fw->n_parts; i++) {
        free(fw->parts[i].tables);
        free(fw->parts[i].ftables);
        free(fw->parts[i].itables);
        cperm_page_pool_free(&fw->parts[i].pool);
        free(fw->parts[i].masks);
        free(fw->parts[i].hits);
        free(fw->parts[i].cand_off);
        free(fw->parts[i].cand_row);
        free(fw->parts[i].cand_t);
        free(fw->parts[i].scratch);
    }
    free(fw->parts);
    if (fw->gather)
        for (size_t i = 0; i < fw->n_threads; i++) free(fw->gather[i]);
    free(fw->gather);
    free(fw->patterns);
    free(fw->row_offsets);
    free(fw->hat);
    free(fw->win_signs);
    free(fw->beta);
    free(fw->fbeta);
    free(fw->top);
    free(fw->top_cand);
    free(fw->top_all);
    free(fw->top_tmp);
    free(fw->top_hist);
    free(fw->top_rank);
    free(fw->top_x);
    free(fw->full_s);
    free(fw->full_m);
    free(fw);
}

static int flip_create(struct cperm_flip_ws **out, const cperm_plan *plan, int n_threads) {
    *out = NULL;
    struct cperm_flip_ws *fw = calloc(1, sizeof *fw);
    if (!fw) return CPERM_ENOMEM;
    size_t P = plan->n_points, n = plan->n_subjects;
    size_t n_blocks = (P + CPERM_BLOCK - 1) / CPERM_BLOCK;
    size_t parts = (size_t)n_threads;
    if (parts > n_blocks) parts = n_blocks;
    if (parts < 1) parts = 1;
    fw->n_parts = parts;
    fw->max_chunk = plan->n_orders < CPERM_ORDER_WINDOW ? plan->n_orders : CPERM_ORDER_WINDOW;
    if (fw->max_chunk < 1) fw->max_chunk = 1;
    fw->chunk = fw->max_chunk;
    fw->parts = calloc(parts, sizeof *fw->parts);
    fw->n_threads = (size_t)n_threads;
    fw->gather = calloc(fw->n_threads, sizeof *fw->gather);
    fw->beta = cperm_malloc(fw->max_chunk, sizeof *fw->beta);
    fw->fbeta = cperm_malloc(fw->max_chunk, sizeof *fw->fbeta);
    fw->patterns = cperm_malloc(fw->max_chunk, plan->n_groups * sizeof *fw->patterns);
    fw->row_offsets = cperm_malloc(fw->max_chunk, 3 * sizeof *fw->row_offsets);
    /* The int16 screen reads two (2^8-row) tables per order from L2 at 16 subjects, at 8
     * cycles per order and block; three subsets of 5-6 subjects make 128 rows, 16 KB,
     * that stay in L1 and cost a quarter to build. */
    fw->i16_parts = plan->n_groups == 2 && n >= 14 ? 3 : 2;
    for (size_t i = 0; i <= fw->i16_parts; i++) fw->i16_start[i] = i * n / fw->i16_parts;
    for (size_t i = 0; i < fw->i16_parts; i++)
        fw->i16_size[i] = fw->i16_start[i + 1] - fw->i16_start[i];
    fw->hat = cperm_malloc(fw->max_chunk, sizeof *fw->hat);
    fw->win_signs = cperm_malloc(fw->max_chunk, n * sizeof *fw->win_signs);
    if (!fw->parts || !fw->gather || !fw->beta || !fw->fbeta || !fw->patterns ||
        !fw->row_offsets || !fw->hat || !fw->win_signs)
        goto nomem;
    for (size_t i = 0; i < parts; i++) {
        flip_part *pt = &fw->parts[i];
        pt->block_begin = i * n_blocks / parts;
        pt->block_end = (i + 1) * n_blocks / parts;
        const size_t own_points = (pt->block_end - pt->block_begin) * CPERM_BLOCK;
        const int pool_rc = cperm_page_pool_init(&pt->pool, n * P * sizeof(double), parts,
                                                 own_points, fw->max_chunk);
        pt->tables = aligned_alloc(64, table_doubles(plan) * sizeof(double));
        pt->ftables = aligned_alloc(64, (table_doubles(plan) * sizeof(float) + 63) / 64 * 64);
        /* cache-line aligned: the screen's 32-byte row loads must not straddle lines */
        if (plan->n_groups == 2 &&
            !(pt->itables = aligned_alloc(64, (table_doubles(plan) * sizeof(int16_t) + 63) / 64 * 64)))
            goto nomem;
        pt->masks = cperm_malloc(fw->max_chunk, sizeof *pt->masks);
        pt->hits = cperm_malloc(fw->max_chunk, sizeof *pt->hits);
        pt->cand_off = cperm_malloc(CAND_BATCH, sizeof *pt->cand_off);
        pt->cand_row = cperm_malloc(CAND_BATCH, sizeof *pt->cand_row);
        pt->cand_t = cperm_malloc(CAND_BATCH, sizeof *pt->cand_t);
        pt->scratch = cperm_malloc(8 * n, sizeof *pt->scratch);
        if (pool_rc || !pt->tables || !pt->ftables || !pt->masks || !pt->hits || !pt->cand_off ||
            !pt->cand_row || !pt->cand_t || !pt->scratch)
            goto nomem;
    }
    for (size_t i = 0; i < fw->n_threads; i++)
        if (!(fw->gather[i] = cperm_malloc(P, sizeof(cperm_point)))) goto nomem;
    fw->screen = pick_screen();
    if (plan->opt.sigma > 0 && plan->opt.sigma_method == CPERM_SIGMA_RELATIVE) {
        /* exact max-variance fallback; its pages are touched only if ever needed */
        fw->full_s = cperm_malloc(fw->n_threads * P, sizeof(double));
        fw->full_m = cperm_malloc(fw->n_threads * P, sizeof(double));
        fw->top_cand = cperm_malloc(P, sizeof *fw->top_cand);
        /* the top buckets hold K points and a few more, as a rule; more go to the heap
         * (always with CPERM_TOP_HEAP set: unit_screens compares the two) */
        const size_t cap = 4 * (P < TOP_K ? P : TOP_K);
        fw->top_sort_cap = getenv("CPERM_TOP_HEAP") ? 0 : cap;
        fw->top_all = cperm_malloc(cap, sizeof *fw->top_all);
        fw->top_tmp = cperm_malloc(cap, sizeof *fw->top_tmp);
        fw->top_hist = cperm_malloc(TOP_D, sizeof *fw->top_hist);
        fw->top_rank = cperm_malloc(cap, sizeof *fw->top_rank);
        if (!fw->full_s || !fw->full_m || !fw->top_cand || !fw->top_all || !fw->top_tmp ||
            !fw->top_hist || !fw->top_rank)
            goto nomem;
    }
    fw->top_k = P < TOP_K ? P : TOP_K;
    fw->top = cperm_malloc(fw->top_k, sizeof *fw->top);
    fw->top_x = cperm_malloc(fw->top_k, n * sizeof(double));
    if (!fw->top || !fw->top_x) goto nomem;
    *out = fw;
    return CPERM_OK;
nomem:
    flip_free(fw);
    return CPERM_ENOMEM;
}

/* ------------------------------------------------------ hat adjustment per order */

/* Min-heap of (Q, index) keeping the largest values; ties broken by lower index. The
 * entries carry their Q, so that sifting stays in the heap's own cache lines instead of
 * reaching into Q at random (that was most of the heap's serial millisecond and a half). */
static int heap_less(top_entry a, top_entry b) {
    return a.q < b.q || (a.q == b.q && a.idx > b.idx);
}
static void heap_down(top_entry *h, size_t n, size_t i) {
    const top_entry x = h[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = l;
        if (l >= n) break;
        if (r < n && heap_less(h[r], h[l])) m = r;
        if (!heap_less(h[m], x)) break;
        h[i] = h[m];
        i = m;
    }
    h[i] = x;
}

/* Sorts a[0, n) by q descending, equal q in input order, through tmp (a stable LSD radix
 * sort on the bits of q, which for q >= 0 order as the values; digits every entry shares are
 * skipped). Returns the buffer holding the result: the order the heap gives, for input in
 * ascending index order. */
static const top_entry *sort_top(top_entry *a, top_entry *tmp, size_t n,
                                 uint32_t (*hist)[TOP_R]) {
    enum { R = TOP_R, D = TOP_D };
    memset(hist, 0, D * sizeof *hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t k;
        memcpy(&k, &a[i].q, sizeof k);
        k = ~k;
        for (int d = 0; d < D; d++) hist[d][(k >> (d * TOP_RADIX_BITS)) & (R - 1)]++;
    }
    top_entry *src = a, *dst = tmp;
    for (int d = 0; d < D && n > 1; d++) {
        uint32_t *h = hist[d];
        const int sh = d * TOP_RADIX_BITS;
        uint64_t k0;
        memcpy(&k0, &src[0].q, sizeof k0);
        if (h[(~k0 >> sh) & (R - 1)] == n) continue;
        uint32_t acc = 0;
        for (size_t b = 0; b < R; b++) {
            const uint32_t c = h[b];
            h[b] = acc;
            acc += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, &src[i].q, sizeof k);
            dst[h[(~k >> sh) & (R - 1)]++] = src[i];
        }
        top_entry *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/* Finds the points with the largest sums of squares and packs their data contiguously, so
 * that each order's maximum variance is usually settled by a handful of points. Only the
 * points of the top histogram buckets of Q (at least K of them) go through the heap: a heap
 * over every point costs a sift per point when Q grows along the points, as it may. */
#define TOP_BUCKETS 4096
#define TOP_MAX_THREADS 64
static void prepare_top(const cperm_plan *plan, struct cperm_flip_ws *fw, const double *X,
                        const double *Q, double qmax, int n_threads) {
    size_t P = plan->n_points, n = plan->n_subjects, K = fw->top_k;
    top_entry *h = fw->top;
    double below = 0.0;         /* the largest Q of the points left out of the heap */
    const double scale = qmax > 0 ? (TOP_BUCKETS - 0.5) / qmax : 0.0;
    size_t bucket_min = 0;
    /* the candidates, in point order: the top buckets' points, or all of them */
    const uint32_t *cand = NULL;
    size_t n_cand = P;
    const int T = n_threads < 1 ? 1 : n_threads > TOP_MAX_THREADS ? TOP_MAX_THREADS : n_threads;
    if (K < P && qmax > 0 && P <= UINT32_MAX) {
        /* a serial pass here was a sixth of the seed case's fixed cost: the histogram and
         * the candidates in threads (counts and maxima merge exactly in any order; each
         * thread's candidates are a contiguous run of points, concatenated in order) */
        uint32_t count[TOP_BUCKETS] = {0};
        double bmax[TOP_BUCKETS] = {0};
#pragma omp parallel num_threads(T)
        {
            uint32_t c[TOP_BUCKETS] = {0};
            double m[TOP_BUCKETS] = {0};
#pragma omp for schedule(static) nowait
            for (size_t p = 0; p < P; p++) {
                const size_t b = (size_t)(Q[p] * scale);
                c[b]++;
                m[b] = Q[p] > m[b] ? Q[p] : m[b];
            }
#pragma omp critical(cperm_top_hist)
            for (size_t b = 0; b < TOP_BUCKETS; b++) {
                count[b] += c[b];
                bmax[b] = m[b] > bmax[b] ? m[b] : bmax[b];
            }
        }
        size_t above = 0;
        bucket_min = TOP_BUCKETS;
        while (bucket_min > 0 && above < K) above += count[--bucket_min];
        for (size_t b = 0; b < bucket_min; b++) below = bmax[b] > below ? bmax[b] : below;
        uint32_t *out = fw->top_cand;
        size_t got[TOP_MAX_THREADS];
#pragma omp parallel for schedule(static, 1) num_threads(T)
        for (int t = 0; t < T; t++) {
            const size_t p0 = P * (size_t)t / (size_t)T, p1 = P * (size_t)(t + 1) / (size_t)T;
            size_t m = 0;
            for (size_t p = p0; p < p1; p++)
                if ((size_t)(Q[p] * scale) >= bucket_min) out[p0 + m++] = (uint32_t)p;
            got[t] = m;
        }
        n_cand = 0;
        for (int t = 0; t < T; t++) {
            const size_t p0 = P * (size_t)t / (size_t)T;
            memmove(out + n_cand, out + p0, got[t] * sizeof *out);
            n_cand += got[t];
        }
        cand = out;
    }
    if (n_cand <= fw->top_sort_cap) {
        /* the candidates sorted whole: a heap sort of K entries was a serial millisecond */
        top_entry *all = fw->top_all; /* idx: the candidate's position, in point order */
        for (size_t i = 0; i < n_cand; i++) all[i] = (top_entry){Q[cand ? cand[i] : i], i};
        const top_entry *sorted = sort_top(all, fw->top_tmp, n_cand, fw->top_hist);
        uint32_t *rank = fw->top_rank;
        for (size_t i = 0; i < n_cand; i++) rank[i] = UINT32_MAX;
        for (size_t k = 0; k < K; k++) {
            const size_t i = sorted[k].idx;
            h[k] = (top_entry){sorted[k].q, cand ? cand[i] : i};
            rank[i] = (uint32_t)k;
        }
        fw->rest_bound = n_cand > K && sorted[K].q > below ? sorted[K].q : below;
        /* their data gathered in point order (the top points crowd together in X, so
         * neighbours share lines), each to its rank's row */
#pragma omp parallel for schedule(static) num_threads(T)
        for (size_t i = 0; i < n_cand; i++) {
            if (rank[i] == UINT32_MAX) continue;
            const size_t p = cand ? cand[i] : i;
            double *row = fw->top_x + (size_t)rank[i] * n;
            for (size_t j = 0; j < n; j++) row[j] = X[j * P + p];
        }
        return;
    }
    /* fill the heap with the first K candidates, then the usual replacement */
    size_t i = 0;
    for (; i < K; i++) {
        const size_t p = cand ? cand[i] : i;
        h[i] = (top_entry){Q[p], p};
    }
    for (size_t j = K / 2; j-- > 0;) heap_down(h, K, j);
    fw->rest_bound = below;
    for (; i < n_cand; i++) {
        const size_t p = cand ? cand[i] : i;
        const top_entry e = {Q[p], p};
        if (heap_less(h[0], e)) {
            if (h[0].q > fw->rest_bound) fw->rest_bound = h[0].q;
            h[0] = e;
            heap_down(h, K, 0);
        } else if (e.q > fw->rest_bound) {
            fw->rest_bound = e.q;
        }
    }
    /* heap sort to descending order */
    for (size_t end = K; end > 1; end--) {
        const top_entry tmp = h[0]; h[0] = h[end - 1]; h[end - 1] = tmp;
        heap_down(h, end - 1, 0);
    }
    /* K x n loads scattered over X */
#pragma omp parallel for schedule(static) num_threads(T)
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < n; j++) fw->top_x[k * n + j] = X[j * P + h[k].idx];
}

/* max over all points of var under `signs`, exactly as np.var(X * signs, ddof=1).max(). */
static double max_var(const cperm_plan *plan, struct cperm_flip_ws *fw, const double *X,
                      const double *Q, const double *signs, size_t part) {
    size_t n = plan->n_subjects, P = plan->n_points, K = fw->top_k;
    /* var <= Q/(n-1) in exact arithmetic; allow for rounding in the two-pass formula */
    const double slack = 1.0 + 8.0 * (double)(n + 2) * 2.220446049250313e-16;
    double vmax = -1.0, m;
    for (size_t k = 0; k < K; k++) {
        if (fw->top[k].q / (double)(n - 1) * slack < vmax) return vmax;
        double v = cperm_signed_var(fw->top_x + k * n, 1, signs, n, &m);
        if (v > vmax) vmax = v;
    }
    if (K == P || fw->rest_bound / (double)(n - 1) * slack < vmax) return vmax;
    /* rare: the top list did not settle it; one exact pass over every point */
    return cperm_tstat_signed_moments(X, n, P, 0, P, signs, fw->full_m + part * P,
                                      fw->full_s + part * P, vmax);
}

/* ------------------------------------------------------------------ kernel */

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void build_tables(const cperm_plan *plan, double *tables, const double *X, size_t p0,
                         size_t bn) {
    size_t P = plan->n_points;
    double *T = tables;
    for (size_t g = 0; g < plan->n_groups; g++) {
        size_t gs = plan->group_size[g], s0 = plan->group_start[g];
        const double *x = X + s0 * P + p0;
        for (size_t j = 0; j < CPERM_BLOCK; j++) {
            double v = j < bn ? x[j] : 0.0;
            T[j] = -v;
            T[CPERM_BLOCK + j] = v;
        }
        for (size_t l = 1; l < gs; l++) {
            x = X + (s0 + l) * P + p0;
            size_t half = (size_t)1 << l;
            double xl[CPERM_BLOCK];
            for (size_t j = 0; j < CPERM_BLOCK; j++) xl[j] = j < bn ? x[j] : 0.0;
            for (size_t pat = 0; pat < half; pat++) {
                double *lo = T + pat * CPERM_BLOCK, *hi = T + (pat + half) * CPERM_BLOCK;
                for (size_t j = 0; j < CPERM_BLOCK; j++) {
                    hi[j] = lo[j] + xl[j];
                    lo[j] = lo[j] - xl[j];
                }
            }
        }
        T += ((size_t)1 << gs) * CPERM_BLOCK;
    }
}


/* S for one order over a block (one table row per group) and whether any point may pass.
 * The hot loop of the whole test: compiled for AVX-512, AVX2 and a portable baseline and
 * chosen at run time. Leaves S in s[] for the exact pass. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static int screen_block(const double *tables, const size_t *toff, const uint16_t *pat,
                        size_t G, const double *aq, double beta, int tail, double *s) {
    const double *r0 = tables + (size_t)pat[0] * CPERM_BLOCK;
    int any = 0;
    if (G == 2) {
        const double *r1 = tables + toff[1] + (size_t)pat[1] * CPERM_BLOCK;
        for (size_t j = 0; j < CPERM_BLOCK; j++) s[j] = r0[j] + r1[j];
    } else {
        for (size_t j = 0; j < CPERM_BLOCK; j++) s[j] = r0[j];
        for (size_t g = 1; g < G; g++) {
            const double *rg = tables + toff[g] + (size_t)pat[g] * CPERM_BLOCK;
            for (size_t j = 0; j < CPERM_BLOCK; j++) s[j] += rg[j];
        }
    }
    if (tail == 0) {
        for (size_t j = 0; j < CPERM_BLOCK; j++) any |= s[j] * s[j] > aq[j] + beta;
    } else if (tail > 0) {
        for (size_t j = 0; j < CPERM_BLOCK; j++) {
            double v = s[j] > 0 ? s[j] : 0.0;
            any |= v * v > aq[j] + beta;
        }
    } else {
        for (size_t j = 0; j < CPERM_BLOCK; j++) {
            double v = s[j] < 0 ? s[j] : 0.0;
            any |= v * v > aq[j] + beta;
        }
    }
    return any;
}

/* float32 twin of build_tables: half the bytes, twice the lanes. The data are scaled by a
 * power of two (exact) so that sums of squares stay in range. (Building a cache line of
 * points at a time, to keep a column of rows in L1, was 3x slower: its rows are 4 KB apart
 * and the loads stall on 4K aliasing with the stores.) */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void build_tables_f(const cperm_plan *plan, float *tables, const double *X, size_t p0,
                           size_t bn, double scale) {
    size_t P = plan->n_points;
    float *T = tables;
    for (size_t g = 0; g < plan->n_groups; g++) {
        size_t gs = plan->group_size[g], s0 = plan->group_start[g];
        const double *x = X + s0 * P + p0;
        for (size_t j = 0; j < CPERM_BLOCK; j++) {
            float v = j < bn ? (float)(x[j] * scale) : 0.0f;
            T[j] = -v;
            T[CPERM_BLOCK + j] = v;
        }
        for (size_t l = 1; l < gs; l++) {
            x = X + (s0 + l) * P + p0;
            size_t half = (size_t)1 << l;
            float xl[CPERM_BLOCK];
            for (size_t j = 0; j < CPERM_BLOCK; j++) xl[j] = j < bn ? (float)(x[j] * scale) : 0.0f;
            for (size_t pat = 0; pat < half; pat++) {
                float *lo = T + pat * CPERM_BLOCK, *hi = T + (pat + half) * CPERM_BLOCK;
                for (size_t j = 0; j < CPERM_BLOCK; j++) {
                    hi[j] = lo[j] + xl[j];
                    lo[j] = lo[j] - xl[j];
                }
            }
        }
        T += ((size_t)1 << gs) * CPERM_BLOCK;
    }
}

/* Screens every order of the chunk over one block in float32, writing per order a mask of
 * the points that may pass (bit j = point p0 + j). Two versions, picked at run time: AVX2
 * intrinsics (with the int16 screen of two groups beside them) and a portable one; both
 * compute the same float operations (adds in group order, then s*s > aq + beta), so they
 * select identical candidates. No AVX-512 version: a plain one (four 16-wide sums per block)
 * ran case (a) in 0.107-0.158 s against AVX2's 0.078-0.091 s on an AVX-512 EPYC (issue 17),
 * where it had also kept the int16 screen from ever running. */

static size_t screen_portable(const float *tables, const size_t *toff,
                              const uint16_t *patterns, size_t G, size_t nk, const float *aq,
                              const float *beta, int tail, uint64_t *masks, uint32_t *hits) {
    float s[CPERM_BLOCK];
    size_t nh = 0;
    for (size_t kk = 0; kk < nk; kk++) {
        const uint16_t *pat = patterns + kk * G;
        const float *r0 = tables + (size_t)pat[0] * CPERM_BLOCK;
        for (size_t j = 0; j < CPERM_BLOCK; j++) s[j] = r0[j];
        for (size_t g = 1; g < G; g++) {
            const float *rg = tables + toff[g] + (size_t)pat[g] * CPERM_BLOCK;
            for (size_t j = 0; j < CPERM_BLOCK; j++) s[j] += rg[j];
        }
        uint64_t m = 0;
        for (size_t j = 0; j < CPERM_BLOCK; j++) {
            float v = tail == 0 ? s[j] : tail > 0 ? (s[j] > 0 ? s[j] : 0.0f)
                                                  : (s[j] < 0 ? s[j] : 0.0f);
            m |= (uint64_t)(v * v > aq[j] + beta[kk]) << j;
        }
        masks[kk] = m;
        hits[nh] = (uint32_t)kk;
        nh += m != 0;
    }
    return nh;
}

#ifdef CPERM_X86
/* The common case of two groups (9 to 16 subjects), two-sided: the block's 64 sums held in
 * eight registers, the thresholds read from memory, masks assembled with constant shifts. */
__attribute__((target("avx2")))
static size_t screen_two_avx2(const float *tables, size_t toff1, const uint16_t *patterns,
                              size_t nk, const float *aq, const float *beta, uint64_t *masks,
                              uint32_t *hits) {
    size_t nh = 0;
    for (size_t kk = 0; kk < nk; kk++) {
        const float *r0 = tables + (size_t)patterns[2 * kk] * CPERM_BLOCK;
        const float *r1 = tables + toff1 + (size_t)patterns[2 * kk + 1] * CPERM_BLOCK;
        const __m256 b = _mm256_set1_ps(beta[kk]);
        uint64_t m = 0;
#define SCREEN_TWO_LANES(q)                                                                 \
        {                                                                                   \
            __m256 sv = _mm256_add_ps(_mm256_loadu_ps(r0 + 8 * (q)), _mm256_loadu_ps(r1 + 8 * (q))); \
            __m256 c = _mm256_cmp_ps(_mm256_mul_ps(sv, sv),                                 \
                                     _mm256_add_ps(_mm256_loadu_ps(aq + 8 * (q)), b), _CMP_GT_OQ); \
            m |= (uint64_t)(unsigned)_mm256_movemask_ps(c) << (8 * (q));                      \
        }
        SCREEN_TWO_LANES(0) SCREEN_TWO_LANES(1) SCREEN_TWO_LANES(2) SCREEN_TWO_LANES(3)
        SCREEN_TWO_LANES(4) SCREEN_TWO_LANES(5) SCREEN_TWO_LANES(6) SCREEN_TWO_LANES(7)
#undef SCREEN_TWO_LANES
        masks[kk] = m;
        hits[nh] = (uint32_t)kk;
        nh += m != 0;
    }
    return nh;
}

__attribute__((target("avx2")))
static size_t screen_avx2(const float *tables, const size_t *toff, const uint16_t *patterns,
                          size_t G, size_t nk, const float *aq, const float *beta, int tail,
                          uint64_t *masks, uint32_t *hits) {
    if (G == 2 && tail == 0) return screen_two_avx2(tables, toff[1], patterns, nk, aq, beta, masks, hits);
    size_t nh = 0;
    const __m256 zero = _mm256_setzero_ps();
    for (size_t kk = 0; kk < nk; kk++) {
        const uint16_t *pat = patterns + kk * G;
        const __m256 b = _mm256_set1_ps(beta[kk]);
        uint64_t m = 0;
        for (size_t q = 0; q < CPERM_BLOCK; q += 16) {
            const float *r = tables + (size_t)pat[0] * CPERM_BLOCK + q;
            __m256 s0 = _mm256_loadu_ps(r), s1 = _mm256_loadu_ps(r + 8);
            for (size_t g = 1; g < G; g++) {
                r = tables + toff[g] + (size_t)pat[g] * CPERM_BLOCK + q;
                s0 = _mm256_add_ps(s0, _mm256_loadu_ps(r));
                s1 = _mm256_add_ps(s1, _mm256_loadu_ps(r + 8));
            }
            if (tail > 0) { s0 = _mm256_max_ps(s0, zero); s1 = _mm256_max_ps(s1, zero); }
            else if (tail < 0) { s0 = _mm256_min_ps(s0, zero); s1 = _mm256_min_ps(s1, zero); }
            __m256 c0 = _mm256_cmp_ps(_mm256_mul_ps(s0, s0),
                                      _mm256_add_ps(_mm256_loadu_ps(aq + q), b), _CMP_GT_OQ);
            __m256 c1 = _mm256_cmp_ps(_mm256_mul_ps(s1, s1),
                                      _mm256_add_ps(_mm256_loadu_ps(aq + q + 8), b), _CMP_GT_OQ);
            m |= (uint64_t)(unsigned)_mm256_movemask_ps(c0) << q;
            m |= (uint64_t)(unsigned)_mm256_movemask_ps(c1) << (q + 8);
        }
        masks[kk] = m;
        hits[nh] = (uint32_t)kk;
        nh += m != 0;
    }
    return nh;
}
#endif

/* ---------------------------------------------------- the int16 block screen */

/* With two groups (9 to 16 subjects) and two tails, a block can be screened in int16: its
 * data quantized to q = round(x / lsb), lsb = the block's largest |x| / floor(32767 / n), so
 * that every signed sum of n of them fits, and int16 sums are exact. A permuted sum S then
 * satisfies |sum q - S / lsb| <= n/2, so |S|^2 > alpha Q + beta (the double screen's test,
 * beta >= the chunk's least) implies |sum q| > thr = floor(sqrt(alpha Q + beta_min) / lsb
 * - n/2 - 1): a superset of the float32 screen's candidates, 16 lanes per instruction
 * instead of 8, and tables half the bytes. Blocks where that slack would be loose (a point
 * whose threshold is under INT16_MIN_STEPS quanta) keep the float32 screen. */
#define INT16_MIN_STEPS 256.0

#ifdef CPERM_X86
/* Quantizes the block's rows into q (n x CPERM_BLOCK) and writes its thresholds; returns 0
 * when the block should keep the float32 screen. Whole blocks in AVX2 (conversions round to
 * nearest, as lrint); the last, partial block in scalar code. */
__attribute__((target("avx2")))
static int block_int16_setup(const cperm_plan *plan, const struct cperm_flip_ws *fw,
                             const double *X, const double *Q, size_t p0, size_t bn,
                             double alpha, int16_t *thr, int16_t *q) {
    const size_t P = plan->n_points, n = plan->n_subjects;
    double xmax = 0.0;
    if (bn == CPERM_BLOCK) {
        const __m256d sign = _mm256_set1_pd(-0.0);
        __m256d m0 = _mm256_setzero_pd(), m1 = m0, m2 = m0, m3 = m0;
        for (size_t i = 0; i < n; i++) {
            const double *x = X + i * P + p0;
            for (size_t j = 0; j < CPERM_BLOCK; j += 16) {
                m0 = _mm256_max_pd(m0, _mm256_andnot_pd(sign, _mm256_loadu_pd(x + j)));
                m1 = _mm256_max_pd(m1, _mm256_andnot_pd(sign, _mm256_loadu_pd(x + j + 4)));
                m2 = _mm256_max_pd(m2, _mm256_andnot_pd(sign, _mm256_loadu_pd(x + j + 8)));
                m3 = _mm256_max_pd(m3, _mm256_andnot_pd(sign, _mm256_loadu_pd(x + j + 12)));
            }
        }
        double lanes[4];
        _mm256_storeu_pd(lanes, _mm256_max_pd(_mm256_max_pd(m0, m1), _mm256_max_pd(m2, m3)));
        for (size_t l = 0; l < 4; l++) xmax = lanes[l] > xmax ? lanes[l] : xmax;
    } else {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < bn; j++) {
                const double a = fabs(X[i * P + p0 + j]);
                xmax = a > xmax ? a : xmax;
            }
    }
    if (!(xmax > 0) || !(xmax < INFINITY)) return 0;
    const double inv = (double)(32767 / n) / xmax, half = 0.5 * (double)n + 1.0;
    for (size_t j = 0; j < CPERM_BLOCK; j++) {
        if (j >= bn) { thr[j] = INT16_MAX; continue; }
        const double steps = sqrt(alpha * Q[p0 + j] + fw->beta_min) * inv;
        if (!(steps >= INT16_MIN_STEPS)) return 0;
        const double t = floor(steps - half);
        thr[j] = (int16_t)(t > 32767.0 ? 32767.0 : t);
    }
    const __m256d vinv = _mm256_set1_pd(inv);
    for (size_t i = 0; i < n; i++) {
        const double *x = X + i * P + p0;
        int16_t *qi = q + i * CPERM_BLOCK;
        if (bn == CPERM_BLOCK) {
            for (size_t j = 0; j < CPERM_BLOCK; j += 8) {
                const __m128i a = _mm256_cvtpd_epi32(_mm256_mul_pd(_mm256_loadu_pd(x + j), vinv));
                const __m128i b = _mm256_cvtpd_epi32(_mm256_mul_pd(_mm256_loadu_pd(x + j + 4), vinv));
                _mm_storeu_si128((__m128i *)(qi + j), _mm_packs_epi32(a, b));
            }
        } else {
            for (size_t j = 0; j < CPERM_BLOCK; j++) qi[j] = j < bn ? (int16_t)lrint(x[j] * inv) : 0;
        }
    }
    return 1;
}

/* The int16 twin of build_tables_f (two groups). Integer sums are exact, so the rows can
 * come in Gray-code order: each row is the previous one with one subject's sign flipped (a
 * register add of +-2q from a small table, no branch, and a store), where the doubling
 * recursion reloads every row per level and stalls on 4K aliasing between rows 2^l apart.
 * Subset 0's rows carry the block's thresholds, so that the screen's compare is one unsigned
 * saturating subtract (screen_i16_avx2). */
__attribute__((target("avx2")))
static void build_tables_i16(const struct cperm_flip_ws *fw, int16_t *tables, const int16_t *q,
                             const int16_t *thr) {
    int16_t *T = tables;
    int16_t steps[2 * 16 * CPERM_BLOCK] __attribute__((aligned(64)));
    for (size_t g = 0; g < fw->i16_parts; g++) {
        const size_t gs = fw->i16_size[g], s0 = fw->i16_start[g];
        const int16_t *qg = q + s0 * CPERM_BLOCK;
        __m256i r0 = _mm256_setzero_si256(), r1 = r0, r2 = r0, r3 = r0;
        if (g == 0) {
            r0 = _mm256_loadu_si256((const __m256i *)thr);
            r1 = _mm256_loadu_si256((const __m256i *)(thr + 16));
            r2 = _mm256_loadu_si256((const __m256i *)(thr + 32));
            r3 = _mm256_loadu_si256((const __m256i *)(thr + 48));
        }
        for (size_t l = 0; l < gs; l++) { /* row 0: every sign negative */
            const int16_t *ql = qg + l * CPERM_BLOCK;
            int16_t *minus = steps + 2 * l * CPERM_BLOCK, *plus = minus + CPERM_BLOCK;
            const __m256i a0 = _mm256_loadu_si256((const __m256i *)ql),
                          a1 = _mm256_loadu_si256((const __m256i *)(ql + 16)),
                          a2 = _mm256_loadu_si256((const __m256i *)(ql + 32)),
                          a3 = _mm256_loadu_si256((const __m256i *)(ql + 48));
            r0 = _mm256_sub_epi16(r0, a0); r1 = _mm256_sub_epi16(r1, a1);
            r2 = _mm256_sub_epi16(r2, a2); r3 = _mm256_sub_epi16(r3, a3);
            const __m256i d0 = _mm256_add_epi16(a0, a0), d1 = _mm256_add_epi16(a1, a1),
                          d2 = _mm256_add_epi16(a2, a2), d3 = _mm256_add_epi16(a3, a3);
            const __m256i z = _mm256_setzero_si256();
            _mm256_store_si256((__m256i *)plus, d0);
            _mm256_store_si256((__m256i *)(plus + 16), d1);
            _mm256_store_si256((__m256i *)(plus + 32), d2);
            _mm256_store_si256((__m256i *)(plus + 48), d3);
            _mm256_store_si256((__m256i *)minus, _mm256_sub_epi16(z, d0));
            _mm256_store_si256((__m256i *)(minus + 16), _mm256_sub_epi16(z, d1));
            _mm256_store_si256((__m256i *)(minus + 32), _mm256_sub_epi16(z, d2));
            _mm256_store_si256((__m256i *)(minus + 48), _mm256_sub_epi16(z, d3));
        }
        _mm256_storeu_si256((__m256i *)T, r0);
        _mm256_storeu_si256((__m256i *)(T + 16), r1);
        _mm256_storeu_si256((__m256i *)(T + 32), r2);
        _mm256_storeu_si256((__m256i *)(T + 48), r3);
        const size_t rows = (size_t)1 << gs;
        for (size_t k = 1; k < rows; k++) {
            const size_t gray = k ^ (k >> 1), l = (size_t)__builtin_ctzll(k);
            /* subject l's sign turns positive when its bit of the new row is set */
            const int16_t *d = steps + (2 * l + ((gray >> l) & 1)) * CPERM_BLOCK;
            r0 = _mm256_add_epi16(r0, _mm256_load_si256((const __m256i *)d));
            r1 = _mm256_add_epi16(r1, _mm256_load_si256((const __m256i *)(d + 16)));
            r2 = _mm256_add_epi16(r2, _mm256_load_si256((const __m256i *)(d + 32)));
            r3 = _mm256_add_epi16(r3, _mm256_load_si256((const __m256i *)(d + 48)));
            int16_t *row = T + gray * CPERM_BLOCK;
            _mm256_storeu_si256((__m256i *)row, r0);
            _mm256_storeu_si256((__m256i *)(row + 16), r1);
            _mm256_storeu_si256((__m256i *)(row + 32), r2);
            _mm256_storeu_si256((__m256i *)(row + 48), r3);
        }
        T += rows * CPERM_BLOCK;
    }
}
#endif

#ifdef CPERM_X86
/* |x| > thr per point for x = T0[r0] + T1[r1], from group 0's rows that carry thr: with
 * |x| <= 32767 (n quanta of at most 32767/n each) and 0 <= thr <= 32767, the sum y = x + thr
 * taken mod 2^16 exceeds 2 thr as an unsigned number exactly when |x| > thr (x > thr gives
 * 2 thr < y <= 65534; x < -thr wraps y to 65536 + x + thr > 2 thr). So a point is a
 * candidate when the saturating y - 2 thr is not zero: an add and a subtract per 16 points,
 * and the mask is built only for the orders that have one. `offsets` holds each order's two
 * row offsets (fw->row_offsets). */
__attribute__((target("avx2")))
static size_t screen_i16_avx2(const int16_t *tables, const uint32_t *offsets, size_t parts,
                              size_t nk, const int16_t *thr, uint64_t *masks, uint32_t *hits) {
    const __m256i t0 = _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)thr),
                                        _mm256_loadu_si256((const __m256i *)thr)),
                  t1 = _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(thr + 16)),
                                        _mm256_loadu_si256((const __m256i *)(thr + 16))),
                  t2 = _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(thr + 32)),
                                        _mm256_loadu_si256((const __m256i *)(thr + 32))),
                  t3 = _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(thr + 48)),
                                        _mm256_loadu_si256((const __m256i *)(thr + 48)));
    const __m256i z = _mm256_setzero_si256();
    size_t nh = 0;
#define I16_ROW(r, j) _mm256_loadu_si256((const __m256i *)((r) + (j)))
#define I16_SCREEN(STRIDE, SUM)                                                              \
    for (size_t kk = 0; kk < nk; kk++) {                                                    \
        const uint32_t *of = offsets + (STRIDE) * kk;                                       \
        const int16_t *r0 = tables + of[0], *r1 = tables + of[1],                           \
                      *r2 = tables + of[(STRIDE) - 1];                                      \
        (void)r2;                                                                           \
        const __m256i e0 = _mm256_subs_epu16(SUM(0), t0), e1 = _mm256_subs_epu16(SUM(16), t1), \
                      e2 = _mm256_subs_epu16(SUM(32), t2), e3 = _mm256_subs_epu16(SUM(48), t3); \
        const __m256i any = _mm256_or_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e2, e3)); \
        /* about one order in twenty has a candidate in the block: only those build a mask */ \
        if (__builtin_expect(_mm256_testz_si256(any, any), 1)) continue;                    \
        const __m256i c01 = _mm256_permute4x64_epi64(                                       \
            _mm256_packs_epi16(_mm256_cmpeq_epi16(e0, z), _mm256_cmpeq_epi16(e1, z)), 0xD8); \
        const __m256i c23 = _mm256_permute4x64_epi64(                                       \
            _mm256_packs_epi16(_mm256_cmpeq_epi16(e2, z), _mm256_cmpeq_epi16(e3, z)), 0xD8); \
        masks[kk] = ~((uint64_t)(uint32_t)_mm256_movemask_epi8(c01) |                       \
                      (uint64_t)(uint32_t)_mm256_movemask_epi8(c23) << 32);                 \
        hits[nh++] = (uint32_t)kk;                                                          \
    }
#define I16_SUM2(j) _mm256_add_epi16(I16_ROW(r0, j), I16_ROW(r1, j))
#define I16_SUM3(j) _mm256_add_epi16(_mm256_add_epi16(I16_ROW(r0, j), I16_ROW(r1, j)), I16_ROW(r2, j))
    if (parts == 3) {
        I16_SCREEN(3, I16_SUM3)
    } else {
        I16_SCREEN(2, I16_SUM2)
    }
#undef I16_SUM3
#undef I16_SUM2
#undef I16_SCREEN
#undef I16_ROW
    return nh;
}
#endif

static screen_fn pick_screen(void) {
#ifdef CPERM_X86
    __builtin_cpu_init();
    if (!getenv("CPERM_PORTABLE_KERNEL")) {
        if (__builtin_cpu_supports("avx2")) return screen_avx2;
    }
#endif
    return screen_portable;
}

/* The exact pass over a batch of one block's candidates (orders ascending, each order's
 * points ascending): MNE's two-pass t of each, the threshold, and the supra-threshold points
 * appended to their orders' lists in that order. `row0` is the chunk's first order's index
 * in the window. */
static int exact_batch(const cperm_plan *plan, const cperm_run *run, flip_part *pt,
                       const double *X, size_t p0, size_t count, size_t row0) {
    const struct cperm_flip_ws *fw = run->flip;
    const int tail = plan->opt.tail;
    const double thr = plan->threshold;
    cperm_tstat_signed_pairs_t(X, plan->n_subjects, plan->n_points, p0, pt->cand_off,
                               pt->cand_row, count, fw->win_signs, fw->hat, pt->scratch,
                               pt->cand_t);
    for (size_t c = 0; c < count; c++) {
        const double t = pt->cand_t[c];
        int supra = tail == 0 ? (t > thr || t < -thr) : tail > 0 ? t > thr : t < thr;
        if (supra && cperm_page_pool_append(&pt->pool, pt->cand_row[c] - row0,
                                            (int64_t)(p0 + pt->cand_off[c]), t) < 0)
            return -1;
    }
    return 0;
}

/* Queues order kk's candidates `cand` of the block (included points only), running the exact
 * pass whenever the batch fills. */
static int queue_candidates(const cperm_plan *plan, const cperm_run *run, flip_part *pt,
                            const double *X, size_t p0, uint64_t cand, size_t row0, size_t kk,
                            size_t *count) {
    const uint8_t *include = run->include + p0;
    while (cand) {
        const unsigned j = (unsigned)__builtin_ctzll(cand);
        cand &= cand - 1;
        pt->cand_off[*count] = (uint8_t)j;
        pt->cand_row[*count] = (uint32_t)(row0 + kk);
        *count += include[j] != 0;
        if (*count == CAND_BATCH) {
            if (exact_batch(plan, run, pt, X, p0, *count, row0) < 0) return -1;
            *count = 0;
        }
    }
    return 0;
}

/* Screens the orders [k0, k0+nk) over this part's blocks. Returns -1 on pool overflow. */
static int run_part(const cperm_plan *plan, const cperm_run *run, struct cperm_flip_ws *fw,
                    flip_part *pt, const double *X, size_t k0, size_t nk, double alpha) {
    const size_t P = plan->n_points, G = plan->n_groups;
    const int tail = plan->opt.tail;
    const double *Q = run->sumsq;
    cperm_page_pool_reset(&pt->pool, nk);
    size_t toff[64];
    toff[0] = 0;
    for (size_t g = 1; g < G; g++)
        toff[g] = toff[g - 1] + ((size_t)1 << plan->group_size[g - 1]) * CPERM_BLOCK;
    double aq[CPERM_BLOCK], s[CPERM_BLOCK];
    float aqf[CPERM_BLOCK];
    const size_t row0 = k0 - run->win_k0;
    const double scale2 = fw->fscale * fw->fscale;
    for (size_t b = pt->block_begin; b < pt->block_end; b++) {
        size_t p0 = b * CPERM_BLOCK, bn = P - p0 < CPERM_BLOCK ? P - p0 : CPERM_BLOCK;
#ifdef CPERM_X86
        int16_t thr16[CPERM_BLOCK], q16[16 * CPERM_BLOCK];
        if (fw->use_int16 && block_int16_setup(plan, fw, X, Q, p0, bn, alpha, thr16, q16)) {
            build_tables_i16(fw, pt->itables, q16, thr16);
            const size_t nh = screen_i16_avx2(pt->itables, fw->row_offsets + row0 * fw->i16_parts,
                                              fw->i16_parts, nk, thr16, pt->masks, pt->hits);
            size_t nc = 0;
            for (size_t h = 0; h < nh; h++) {
                const size_t kk = pt->hits[h];
                if (queue_candidates(plan, run, pt, X, p0, pt->masks[kk], row0, kk, &nc) < 0)
                    return -1;
            }
            if (nc && exact_batch(plan, run, pt, X, p0, nc, row0) < 0) return -1;
            continue;
        }
#endif
        if (fw->use_float) {
            build_tables_f(plan, pt->ftables, X, p0, bn, fw->fscale);
            for (size_t j = 0; j < CPERM_BLOCK; j++) {
                double q = j < bn ? Q[p0 + j] * scale2 : 0.0;
                /* points whose scaled sums of squares could underflow float32 always go
                 * to the exact pass */
                aqf[j] = j >= bn ? INFINITY : q < 1e-20 ? -INFINITY : (float)(fw->falpha * q);
            }
        } else {
            build_tables(plan, pt->tables, X, p0, bn);
            for (size_t j = 0; j < CPERM_BLOCK; j++) aq[j] = j < bn ? alpha * Q[p0 + j] : INFINITY;
        }
        if (fw->use_float) {
            const size_t nh = fw->screen(pt->ftables, toff, fw->patterns + row0 * G, G, nk, aqf,
                                         fw->fbeta, tail, pt->masks, pt->hits);
            uint64_t valid = bn == CPERM_BLOCK ? ~(uint64_t)0 : (((uint64_t)1 << bn) - 1);
            size_t nc = 0;
            for (size_t h = 0; h < nh; h++) {
                const size_t kk = pt->hits[h];
                if (pt->masks[kk] & valid &&
                    queue_candidates(plan, run, pt, X, p0, pt->masks[kk] & valid, row0, kk, &nc) < 0)
                    return -1;
            }
            if (nc && exact_batch(plan, run, pt, X, p0, nc, row0) < 0) return -1;
            continue;
        }
        size_t nc = 0;
        for (size_t kk = 0; kk < nk; kk++) {
            const uint16_t *pat = fw->patterns + (row0 + kk) * G;
            uint64_t cand = 0;
            const double beta = fw->beta[kk];
            if (!screen_block(pt->tables, toff, pat, G, aq, beta, tail, s)) continue;
            for (size_t j = 0; j < bn; j++) {
                double v = tail == 0 ? s[j] : tail > 0 ? (s[j] > 0 ? s[j] : 0.0)
                                                       : (s[j] < 0 ? s[j] : 0.0);
                if (v * v > aq[j] + beta) cand |= (uint64_t)1 << j;
            }
            if (queue_candidates(plan, run, pt, X, p0, cand, row0, kk, &nc) < 0) return -1;
        }
        if (nc && exact_batch(plan, run, pt, X, p0, nc, row0) < 0) return -1;
    }
    return 0;
}

/* Per window: each order's table row per group and its hat adjustment. */
static void flip_window(const cperm_plan *plan, cperm_run *run, const double *X) {
    struct cperm_flip_ws *fw = run->flip;
    const size_t n = plan->n_subjects, G = plan->n_groups, W = run->win_n;
    const double sigma = plan->opt.sigma;
    for (size_t kk = 0; kk < W; kk++) {
        const uint8_t *o = run->win_orders + kk * n;
        for (size_t i = 0; i < G; i++) {
            unsigned pat = 0;
            for (size_t l = 0; l < plan->group_size[i]; l++)
                pat |= (unsigned)o[plan->group_start[i] + l] << l;
            fw->patterns[kk * G + i] = (uint16_t)pat;
        }
        for (size_t i = 0; i < n; i++) fw->win_signs[kk * n + i] = 2.0 * (double)o[i] - 1.0;
        if (G == 2) {
            size_t rows = 0;
            for (size_t i = 0; i < fw->i16_parts; i++) {
                size_t pat = 0;
                for (size_t l = 0; l < fw->i16_size[i]; l++)
                    pat |= (size_t)o[fw->i16_start[i] + l] << l;
                fw->row_offsets[fw->i16_parts * kk + i] = (uint32_t)((rows + pat) * CPERM_BLOCK);
                rows += (size_t)1 << fw->i16_size[i];
            }
        }
    }
    if (sigma > 0 && plan->opt.sigma_method == CPERM_SIGMA_RELATIVE) {
#pragma omp parallel for schedule(dynamic, 8) num_threads(run->n_threads)
        for (size_t kk = 0; kk < W; kk++) {
            size_t part = 0;
#ifdef _OPENMP
            part = (size_t)omp_get_thread_num();
#endif
            const double *signs = cperm_order_signs(plan, run, run->win_k0 + kk);
            fw->hat[kk] = cperm_tstat_hat(sigma, CPERM_SIGMA_RELATIVE,
                                          max_var(plan, fw, X, run->sumsq, signs, part));
        }
    } else {
        for (size_t kk = 0; kk < W; kk++)
            fw->hat[kk] = cperm_tstat_hat(sigma, plan->opt.sigma_method, 0.0);
    }
}

/* Once per X, after the observed statistics: the data the hat adjustments need and the
 * choice of screen precision. */
static void flip_prepare(const cperm_plan *plan, cperm_run *run, const double *X) {
    struct cperm_flip_ws *fw = run->flip;
    const size_t n = plan->n_subjects, P = plan->n_points;
    const double sigma = plan->opt.sigma;
    if (sigma > 0 && plan->opt.sigma_method == CPERM_SIGMA_RELATIVE) {
        /* var = (Q - n mean^2) / (n - 1) <= Q / (n - 1) under any signs */
        double qmax = 0.0;
#pragma omp parallel for schedule(static) num_threads(run->n_threads) reduction(max : qmax)
        for (size_t p = 0; p < P; p++) qmax = run->sumsq[p] > qmax ? run->sumsq[p] : qmax;
        prepare_top(plan, fw, X, run->sumsq, qmax, run->n_threads);
        fw->hat_bound = cperm_tstat_hat(sigma, CPERM_SIGMA_RELATIVE, qmax / (double)(n - 1)) *
                        (1.0 + 1e-12);
    } else {
        fw->hat_bound = cperm_tstat_hat(sigma, plan->opt.sigma_method, 0.0);
    }
    const double thr2 = plan->threshold * plan->threshold;
    /* float32 screen: S carries at most c*sqrt(Q) absolute error (c below), so near the
     * threshold S^2 is off by at most 2c/sqrt(alpha) relative; relax by that plus float
     * rounding, and fall back to double where the relaxation would be too loose. */
    {
        double xmax = run->xmax;
        int e = 0;
        frexp(xmax, &e);
        fw->fscale = xmax > 0 ? ldexp(1.0, -e) : 1.0;
        double alpha_exact = thr2 * (double)n / ((double)(n - 1) + thr2);
        double c = (double)(n + plan->n_groups + 2) * 6.0e-8 * sqrt((double)n);
        double rho = alpha_exact > 0 ? 2.0 * c / sqrt(alpha_exact) + 4e-6 : 1.0;
        fw->falpha = alpha_exact * (1.0 - rho);
        fw->use_float = rho < 0.05 && xmax > 0;
        if (fw->falpha * fw->hat_bound * (double)(n - 1) * fw->fscale * fw->fscale > 1e30) fw->use_float = 0;
        fw->use_int16 = 0;
#ifdef CPERM_X86
        fw->use_int16 = fw->use_float && plan->n_groups == 2 && plan->opt.tail == 0 &&
                        fw->screen == screen_avx2;
#endif
    }
}

/* Orders [k0, k1) on X with the current run->include into run->h0[1 + k], in screening
 * rounds of up to fw->chunk orders (halved when the point pool overflows, grown back when
 * rounds use little of it). */
static int flip_permute(const cperm_plan *plan, const double *X, cperm_run *run, int pass,
                        size_t k0, size_t k1, cperm_err *err) {
    struct cperm_flip_ws *fw = run->flip;
    const size_t n = plan->n_subjects;
    const int nthreads = run->n_threads;
    (void)pass;
    flip_window(plan, run, X);
    /* S^2 > alpha*(Q + h*(n-1)) <=> t^2 > thr^2, relaxed so rounding never drops a point */
    const double thr2 = plan->threshold * plan->threshold;
    const double alpha = thr2 * (double)n / ((double)(n - 1) + thr2) * (1.0 - 1e-9);
    while (k0 < k1) {
        size_t nk = k1 - k0 < fw->chunk ? k1 - k0 : fw->chunk;
        for (size_t kk = 0; kk < nk; kk++) {
            const double h = fw->hat[k0 - run->win_k0 + kk];
            fw->beta[kk] = alpha * h * (double)(n - 1);
            fw->fbeta[kk] = (float)(fw->falpha * h * (double)(n - 1) *
                                    fw->fscale * fw->fscale);
        }
        fw->beta_min = INFINITY;
        for (size_t kk = 0; kk < nk; kk++) fw->beta_min = fw->beta[kk] < fw->beta_min ? fw->beta[kk] : fw->beta_min;
        int overflow = 0;
#pragma omp parallel for schedule(static, 1) num_threads(nthreads) reduction(| : overflow)
        for (size_t i = 0; i < fw->n_parts; i++)
            overflow |= run_part(plan, run, fw, &fw->parts[i], X, k0, nk, alpha) < 0;
        if (overflow) {
            /* too many supra-threshold points for the pool: redo with fewer orders */
            if (nk == 1)
                return cperm_fail(err, CPERM_ENOMEM, "engine: point pool exhausted");
            fw->chunk = nk / 2;
            continue;
        }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
        for (size_t kk = 0; kk < nk; kk++) {
            size_t tid = 0;
#ifdef _OPENMP
            tid = (size_t)omp_get_thread_num();
#endif
            cperm_point *g = fw->gather[tid];
            size_t m = 0; /* parts ascend: so do the points */
            for (size_t i = 0; i < fw->n_parts; i++)
                m += cperm_page_pool_gather(&fw->parts[i].pool, kk, g + m);
            double stat = 0.0;
            cperm_find_clusters(plan, &run->ws[tid], g, m, NULL, &stat);
            run->h0[1 + k0 + kk] = stat;
        }
        k0 += nk;
        size_t used = 0, cap = 0;
        for (size_t i = 0; i < fw->n_parts; i++) {
            used += fw->parts[i].pool.used;
            cap += fw->parts[i].pool.n_pages;
        }
        fw->chunk = cperm_page_pool_next_chunk(fw->chunk, fw->max_chunk, used, cap);
    }
    return CPERM_OK;
}

/* ------------------------------------------------- the cluster-mass statistic */

/* The observed clusters of the supra-threshold, included points of T_obs, and (if there are
 * any, as H0 is then needed) the hat adjustment of every order. */
static int mass_observe(const cperm_plan *plan, const double *X, cperm_run *run,
                        cperm_err *err) {
    (void)err;
    cperm_observe_clusters(plan, run);
    if (run->obs.n_clusters) flip_prepare(plan, run, X);
    return CPERM_OK;
}

static void mass_destroy(cperm_run *run) {
    cperm_cluster_ws_destroy_all(run);
    flip_free(run->flip);
    run->flip = NULL;
}

/* One clustering workspace per thread and the kernel's tables and pools. */
static int mass_create(cperm_run *run, const cperm_plan *plan) {
    if (cperm_cluster_ws_create_all(run, plan)) return CPERM_ENOMEM;
    return flip_create(&run->flip, plan, run->n_threads);
}

static size_t mass_chunk(const cperm_plan *plan, const cperm_run *run) {
    (void)plan;
    return run->flip->max_chunk;
}

/* MNE: tail 1 counts H0 >= s, tail -1 H0 <= s, tail 0 |H0| >= |s|. */
static int mass_rule(const cperm_plan *plan) {
    return plan->opt.tail > 0 ? CPERM_PV_GE : plan->opt.tail < 0 ? CPERM_PV_LE : CPERM_PV_ABS;
}

const cperm_kernel cperm_kernel_cluster_mass = {
    "cluster", mass_create, mass_destroy, mass_observe, flip_permute, mass_chunk, mass_rule,
    NULL,
};
