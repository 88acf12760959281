/* validate.c - `make validate`: measured family-wise error and power of the one-sample
 * cluster permutation test and TFCE on simulated null / effect group studies, and the
 * family-wise error of other designs and cluster-forming controls (the TESTS table).
 *
 * Design (README, "Statistical validity"):
 *  - Source space: two icosahedral spheres (cperm_src_create_ico, grade G), adjacency as
 *    mne.spatial_src_adjacency (cperm_graph_from_src); no edges between hemispheres.
 *  - One dataset: n_subjects x n_times x n_vertices of Gaussian noise, smoothed with k passes
 *    of neighbour averaging in space (each vertex := mean of itself and its neighbours) and
 *    k passes of a 3-point moving average in time (computed on k padding samples each side,
 *    so no edge effect), then every point rescaled to exactly unit variance (the variance of
 *    a linear smoother is the sum of its squared weights). Smoothness levels k = 0, 2, 5.
 *  - Tests per dataset, two-sided (tail 0), sigma = 1e-3 (the seed's hat adjustment), 1000
 *    random sign-flip orders: cluster tests with t_power 1 (sum of t) and cluster-forming
 *    thresholds t.ppf(1 - p/2, n - 1) for p = 0.001, 0.01, 0.05; TFCE (exact integral,
 *    E = 0.5, H = 2, MNE's defaults).
 *  - FWER: fraction of null datasets with any cluster p < 0.05 (TFCE: any point p < 0.05),
 *    with a 95 % Clopper-Pearson interval.
 *  - Other designs and controls (FWER rows, no power): independent groups, the subjects split
 *    into 2 or 3 groups (sizes i*n/G boundaries), one-way F (tail 1) at the F threshold of
 *    p = 0.01, 1000 label shuffles; the one-sample test at p = 0.01 and 0.05 with
 *    min_neighbors 2 (FieldTrip's minnbchan). Each is one entry of TESTS: a
 *    repeated-measures design is one more.
 *  - Power: the null dataset's noise plus d (in noise SD units, so Cohen's d per point) on a
 *    patch of vertices (graph ball around lh vertex 0) x a window of times; power is the
 *    fraction of datasets where a significant cluster (TFCE: point) overlaps the patch.
 *    Power dataset i reuses null dataset i's noise and seed for every d (common random
 *    numbers: the curves over d are then monotone per dataset and less noisy).
 *  - Determinism: every dataset's noise comes from its own xoshiro256** stream and its
 *    sign-flip orders from its own seed, both derived from (smoothness, dataset index); jobs
 *    are spread over OpenMP threads and the results are identical for any thread count.
 *
 * Uses only the public header (plus Cairo for the plot). Prints the table on stdout and
 * writes DIR/validation.csv, DIR/validation.txt (the table and parameters) and
 * DIR/validation.png. `validate --selftest` checks the binomial interval code. */
#include "clusterperm.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_LEVELS 8
#define MAX_EFFECTS 8

/* The tests, each one row per smoothness level: what is tested on every null dataset (and,
 * with `power`, on the effect datasets). A design or a cluster-forming control is one more
 * entry; `id` selects entries (--tests), `key` is the CSV's test column. */
typedef struct test_spec {
    const char *id, *key, *name; /* selection, CSV, table and legend */
    int design;                  /* CPERM_DESIGN_* */
    size_t n_groups;             /* GROUPS: subjects split into this many groups */
    int statistic;               /* CPERM_STAT_* */
    double cluster_p;            /* cluster-forming p (two-sided t, or F's upper tail); 0 =
                                    TFCE (exact, E 0.5, H 2) */
    size_t min_neighbors;        /* cluster-forming control (FieldTrip's minnbchan) */
    int power;                   /* also run on the effect datasets */
    /* repeated measures (statistic F_MWAY_RM): n_groups is the number of cells, the product
     * of the levels; each of the n_subjects subjects is measured in every cell */
    size_t rm_n_factors;
    size_t rm_levels[2];
    const char *rm_effect;       /* MNE's effects string of the one effect tested */
    int rm_scheme;               /* CPERM_RM_* */
    int by_name;                 /* run only when --tests names it, not by default (costly) */
} test_spec;

/* the repeated-measures fields of a test that is not one */
#define NO_RM 0, { 0, 0 }, NULL, 0

static const test_spec TESTS[] = {
    { "cluster0.001", "cluster", "cluster p<0.001", CPERM_DESIGN_SIGN_FLIP, 0,
      CPERM_STAT_T_1SAMP, 0.001, 0, 1, NO_RM, 0 },
    { "cluster0.01", "cluster", "cluster p<0.01", CPERM_DESIGN_SIGN_FLIP, 0,
      CPERM_STAT_T_1SAMP, 0.01, 0, 1, NO_RM, 0 },
    { "cluster0.05", "cluster", "cluster p<0.05", CPERM_DESIGN_SIGN_FLIP, 0,
      CPERM_STAT_T_1SAMP, 0.05, 0, 1, NO_RM, 0 },
    { "tfce", "tfce", "TFCE", CPERM_DESIGN_SIGN_FLIP, 0, CPERM_STAT_T_1SAMP, 0.0, 0, 1,
      NO_RM, 0 },
    { "f2", "groups_f2", "F 2 groups p<0.01", CPERM_DESIGN_GROUPS, 2, CPERM_STAT_F_ONEWAY,
      0.01, 0, 0, NO_RM, 0 },
    { "f3", "groups_f3", "F 3 groups p<0.01", CPERM_DESIGN_GROUPS, 3, CPERM_STAT_F_ONEWAY,
      0.01, 0, 0, NO_RM, 0 },
    { "minnb2", "cluster_min_neighbors2", "minnb 2 p<0.01", CPERM_DESIGN_SIGN_FLIP, 0,
      CPERM_STAT_T_1SAMP, 0.01, 2, 0, NO_RM, 0 },
    /* without smoothing, p < 0.01 leaves almost no point with 2 supra-threshold neighbours
     * (a test that can rarely reject); p < 0.05 leaves some in most maps */
    { "minnb2_p05", "cluster_min_neighbors2", "minnb 2 p<0.05", CPERM_DESIGN_SIGN_FLIP, 0,
      CPERM_STAT_T_1SAMP, 0.05, 2, 0, NO_RM, 0 },
    /* 2 x 2 repeated measures, the A:B interaction, on the RM null datasets (subject
     * effects shared by a subject's cells); the within-subject shuffles are the valid
     * scheme there, MNE's all-cells shuffle (which mixes subjects) is run for contrast.
     * By name only: 4 cells x 16 subjects = 64 rows per F make one of these cost about 5x a
     * groups F row (measured at grade 2: 1.9 s per execute against 0.34 s), and the three
     * would add about 10x the other rows' cost to the default run */
    { "rm_ab0.01", "rm_ab_within", "RM A:B p<0.01", CPERM_DESIGN_GROUPS, 4,
      CPERM_STAT_F_MWAY_RM, 0.01, 0, 0, 2, { 2, 2 }, "A:B", CPERM_RM_WITHIN, 1 },
    { "rm_ab0.05", "rm_ab_within", "RM A:B p<0.05", CPERM_DESIGN_GROUPS, 4,
      CPERM_STAT_F_MWAY_RM, 0.05, 0, 0, 2, { 2, 2 }, "A:B", CPERM_RM_WITHIN, 1 },
    { "rm_ab_mne0.01", "rm_ab_mne", "RM A:B MNE p<0.01", CPERM_DESIGN_GROUPS, 4,
      CPERM_STAT_F_MWAY_RM, 0.01, 0, 0, 2, { 2, 2 }, "A:B", CPERM_RM_MNE, 1 },
};
#define N_TESTS (sizeof TESTS / sizeof TESTS[0])

typedef struct config {
    int grade;
    size_t n_subjects, n_times;
    size_t n_null, n_power;      /* datasets per smoothness level */
    long n_perm;
    double sigma;
    double alpha;
    double subject_sd;           /* RM datasets: SD of the subject effect (noise SD 1) */
    int subject_field;           /* RM datasets: the subject effect is a smoothed field (1)
                                    or one offset for all points (0) */
    size_t n_levels;
    int levels[MAX_LEVELS];      /* smoothing passes */
    size_t n_effects;
    double effects[MAX_EFFECTS]; /* Cohen's d */
    int patch_radius;            /* graph distance around lh vertex 0 */
    size_t win_start, win_len;   /* effect time window */
    int threads;
    uint64_t seed;
    const char *out;
    uint8_t run[N_TESTS];        /* TESTS entries selected (--tests; default all) */
} config;

/* ------------------------------------------------------------------ helpers */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "validate: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) die("out of memory (%zu x %zu bytes)", n, size);
    return p;
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* xoshiro256** with Box-Muller normals (both values of a pair used) */
typedef struct rng {
    uint64_t s[4];
    int have;
    double spare;
} rng;

static void rng_seed(rng *r, uint64_t a, uint64_t b, uint64_t c) {
    uint64_t x = a * 0xD1B54A32D192ED03ULL ^ b * 0xABC98388FB8FAC03ULL ^ c * 0x8CB92BA72F3D8DD7ULL;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->have = 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) {
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return res;
}

static double rng_normal(rng *r) {
    if (r->have) { r->have = 0; return r->spare; }
    double u1 = ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = (double)(rng_next(r) >> 11) / 9007199254740992.0;
    double rad = sqrt(-2.0 * log(u1)), ang = 6.283185307179586 * u2;
    r->spare = rad * sin(ang);
    r->have = 1;
    return rad * cos(ang);
}

/* ------------------------------------------------------ binomial intervals */

/* log of the binomial pmf C(n,k) p^k (1-p)^(n-k), 0 < p < 1 */
static double log_pmf(size_t k, size_t n, double p) {
    return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) +
           (double)k * log(p) + (double)(n - k) * log1p(-p);
}

/* P(X <= k) for X ~ Binomial(n, p) */
static double binom_cdf(size_t k, size_t n, double p) {
    if (p <= 0) return 1.0;
    if (p >= 1) return k >= n ? 1.0 : 0.0;
    double s = 0;
    for (size_t i = 0; i <= k && i <= n; i++) s += exp(log_pmf(i, n, p));
    return s < 1 ? s : 1;
}

/* Clopper-Pearson interval for k successes in n trials at level 1 - a: lo solves
 * P(X >= k | lo) = a/2, hi solves P(X <= k | hi) = a/2 (bisection, both monotone in p). */
static void clopper_pearson(size_t k, size_t n, double a, double *lo, double *hi) {
    *lo = 0.0;
    *hi = 1.0;
    if (n == 0) return;
    if (k > 0) {
        double l = 0, h = 1;
        for (int it = 0; it < 200; it++) {
            double m = 0.5 * (l + h);
            if (1.0 - binom_cdf(k - 1, n, m) < a / 2) l = m; else h = m;
        }
        *lo = 0.5 * (l + h);
    }
    if (k < n) {
        double l = 0, h = 1;
        for (int it = 0; it < 200; it++) {
            double m = 0.5 * (l + h);
            if (binom_cdf(k, n, m) > a / 2) l = m; else h = m;
        }
        *hi = 0.5 * (l + h);
    }
}

/* values from scipy.stats.beta.ppf (the Clopper-Pearson closed form) */
static int selftest_binomial(void) {
    static const struct { size_t k, n; double lo, hi; } cases[] = {
        { 0, 10, 0.0, 0.3084971078187608 },
        { 3, 10, 0.06673951117773447, 0.6524528500599973 },
        { 10, 10, 0.6915028921812392, 1.0 },
        { 100, 2000, 0.04086426771825132, 0.06048172208315188 },
        { 117, 2000, 0.04861814799120344, 0.06969935579701367 },
        { 1, 2000, 1.265882386855789e-05, 0.0027826398346589465 },
        { 64, 500, 0.09998835036758892, 0.16049639095165935 },
    };
    int fails = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double lo, hi;
        clopper_pearson(cases[i].k, cases[i].n, 0.05, &lo, &hi);
        int ok = fabs(lo - cases[i].lo) < 1e-9 && fabs(hi - cases[i].hi) < 1e-9;
        if (ok) printf("ok clopper_pearson_%zu_of_%zu\n", cases[i].k, cases[i].n);
        else printf("FAIL clopper_pearson_%zu_of_%zu: got [%.12g, %.12g], want [%.12g, %.12g]\n",
                    cases[i].k, cases[i].n, lo, hi, cases[i].lo, cases[i].hi);
        fails += !ok;
    }
    return fails;
}

/* ------------------------------------------------------------ the simulation */

typedef struct world {
    const config *cfg;
    const cperm_graph *g;
    size_t V, T, P;
    double *sw[MAX_LEVELS];      /* per level: 1/sqrt(spatial variance) per vertex */
    double tw[MAX_LEVELS];       /* per level: 1/sqrt(temporal variance) */
    double r_space[MAX_LEVELS];  /* per level: mean correlation of neighbouring vertices */
    double r_time[MAX_LEVELS];   /* per level: correlation of successive times */
    uint8_t *in_patch;           /* P flags: effect support (patch x window) */
    size_t patch_vertices;
    double thresholds[N_TESTS];  /* per test: its cluster-forming t or F */
    size_t group_sizes[N_TESTS][CPERM_MAX_GROUPS];
    uint32_t rm_effect[N_TESTS]; /* per RM test: its effect as a factor mask */
    size_t rm_rows;              /* rows of an RM dataset (cells x subjects), 0 = none run */
} world;

/* One job = one (level, dataset) noise draw, tested as null and with every effect. */
typedef struct job_result {
    uint8_t null_reject[N_TESTS];
    uint8_t null_nocluster[N_TESTS];  /* no observed cluster at all (cluster tests) */
    uint8_t power_hit[MAX_EFFECTS][N_TESTS];
    double seconds[N_TESTS];          /* wall time of the test's executes in this job */
} job_result;

typedef struct thread_ws {
    double *a, *b;      /* (T + 2k) x V smoothing scratch */
    double *noise, *X;  /* n x T x V */
    double *rm;         /* rm_rows x T x V: the RM dataset (NULL when no RM test runs) */
    double *subject;    /* n x T x V: the RM subject effects */
} thread_ws;

/* one neighbour-averaging pass: out[v] = mean of in over v and its neighbours */
static void spatial_pass(const cperm_graph *g, const double *in, double *out) {
    for (size_t v = 0; v < g->n_vertices; v++) {
        double s = in[v];
        for (size_t e = g->indptr[v]; e < g->indptr[v + 1]; e++) s += in[g->indices[e]];
        out[v] = s / (double)(1 + g->indptr[v + 1] - g->indptr[v]);
    }
}

static void world_init(world *w, const config *cfg, const cperm_graph *g) {
    memset(w, 0, sizeof *w);
    w->cfg = cfg;
    w->g = g;
    w->V = g->n_vertices;
    w->T = cfg->n_times;
    w->P = w->T * w->V;
    size_t V = w->V;
    double *e = xcalloc(V, sizeof *e), *f = xcalloc(V, sizeof *f);
    for (size_t l = 0; l < cfg->n_levels; l++) {
        int k = cfg->levels[l];
        /* spatial: covariance of v and v' = sum over u of M[v,u] M[v',u], M = A^k, column
         * by column; variances for the rescaling, neighbour covariances for the report */
        size_t E = g->indptr[V];
        double *var = xcalloc(V, sizeof *var), *cov = xcalloc(E, sizeof *cov);
        for (size_t u = 0; u < V; u++) {
            memset(e, 0, V * sizeof *e);
            e[u] = 1.0;
            for (int it = 0; it < k; it++) {
                spatial_pass(g, e, f);
                double *tmp = e; e = f; f = tmp;
            }
            for (size_t v = 0; v < V; v++) {
                var[v] += e[v] * e[v];
                for (size_t i = g->indptr[v]; i < g->indptr[v + 1]; i++)
                    cov[i] += e[v] * e[g->indices[i]];
            }
        }
        double rs = 0;
        for (size_t v = 0; v < V; v++)
            for (size_t i = g->indptr[v]; i < g->indptr[v + 1]; i++)
                rs += cov[i] / sqrt(var[v] * var[g->indices[i]]);
        w->r_space[l] = E ? rs / (double)E : 0.0;
        free(cov);
        w->sw[l] = var;
        for (size_t v = 0; v < V; v++) var[v] = 1.0 / sqrt(var[v]);
        /* temporal: k-fold convolution of [1 1 1]/3 */
        double kern[64] = { 1.0 }, tmp[64];
        size_t len = 1;
        for (int it = 0; it < k; it++) {
            memset(tmp, 0, sizeof tmp);
            for (size_t i = 0; i < len; i++)
                for (size_t j = 0; j < 3; j++) tmp[i + j] += kern[i] / 3.0;
            len += 2;
            memcpy(kern, tmp, sizeof kern);
        }
        double s2 = 0, c1 = 0;
        for (size_t i = 0; i < len; i++) s2 += kern[i] * kern[i];
        for (size_t i = 0; i + 1 < len; i++) c1 += kern[i] * kern[i + 1];
        w->tw[l] = 1.0 / sqrt(s2);
        w->r_time[l] = c1 / s2;
    }
    free(e);
    free(f);
    /* the patch: breadth-first ball of radius patch_radius around lh vertex 0 */
    int *dist = xcalloc(V, sizeof *dist);
    size_t *queue = xcalloc(V, sizeof *queue), qh = 0, qt = 0;
    for (size_t v = 0; v < V; v++) dist[v] = -1;
    dist[0] = 0;
    queue[qt++] = 0;
    while (qh < qt) {
        size_t v = queue[qh++];
        if (dist[v] >= cfg->patch_radius) continue;
        for (size_t i = g->indptr[v]; i < g->indptr[v + 1]; i++) {
            size_t u = (size_t)g->indices[i];
            if (dist[u] < 0) { dist[u] = dist[v] + 1; queue[qt++] = u; }
        }
    }
    w->patch_vertices = qt;
    w->in_patch = xcalloc(w->P, 1);
    for (size_t t = cfg->win_start; t < cfg->win_start + cfg->win_len; t++)
        for (size_t q = 0; q < qt; q++) w->in_patch[t * V + queue[q]] = 1;
    free(dist);
    free(queue);
    const size_t n = cfg->n_subjects;
    for (size_t k = 0; k < N_TESTS; k++) {
        const test_spec *ts = &TESTS[k];
        const size_t G = ts->n_groups;
        for (size_t j = 0; j < G; j++) w->group_sizes[k][j] = (j + 1) * n / G - j * n / G;
        if (ts->cluster_p == 0) continue; /* TFCE */
        if (ts->statistic == CPERM_STAT_F_MWAY_RM) {
            /* every cell holds all n subjects: the design's groups are n_cells of n */
            cperm_err err = { 0 };
            size_t n_eff = 0;
            for (size_t j = 0; j < G; j++) w->group_sizes[k][j] = n;
            if (cperm_f_mway_effects(&w->rm_effect[k], 1, &n_eff, ts->rm_n_factors,
                                     ts->rm_effect, &err) ||
                cperm_f_threshold_mway_rm(&w->thresholds[k], n, ts->rm_levels,
                                          ts->rm_n_factors, ts->rm_effect, ts->cluster_p, &err))
                die("test %s: %s", ts->id, err.msg);
            if (cfg->run[k] && w->rm_rows && w->rm_rows != G * n)
                die("the RM tests run share one dataset, so need the same number of cells");
            if (cfg->run[k]) w->rm_rows = G * n;
            continue;
        }
        w->thresholds[k] = ts->design == CPERM_DESIGN_GROUPS
                               ? cperm_f_threshold(ts->cluster_p, (double)(G - 1), (double)(n - G))
                               : cperm_t_threshold(ts->cluster_p, (double)n - 1, 0);
    }
}

static void world_free(world *w) {
    for (size_t l = 0; l < MAX_LEVELS; l++) free(w->sw[l]);
    free(w->in_patch);
}

/* n_fields smoothed unit-variance noise fields of level l (each T x V) from r into out. */
static void smooth_fields(const world *w, size_t l, rng *rs, size_t n_fields, thread_ws *ws,
                          double *out) {
    const config *cfg = w->cfg;
    size_t V = w->V, T = w->T, k = (size_t)cfg->levels[l], Tp = T + 2 * k;
    rng r = *rs;
    for (size_t s = 0; s < n_fields; s++) {
        double *a = ws->a, *b = ws->b;
        for (size_t j = 0; j < Tp * V; j++) a[j] = rng_normal(&r);
        for (size_t t = 0; t < Tp; t++)
            for (size_t it = 0; it < k; it++) {
                spatial_pass(w->g, a + t * V, b + t * V);
                memcpy(a + t * V, b + t * V, V * sizeof *a);
            }
        /* temporal passes: valid convolution, length shrinks by 2 per pass */
        size_t len = Tp;
        for (size_t it = 0; it < k; it++) {
            for (size_t t = 0; t + 2 < len; t++)
                for (size_t v = 0; v < V; v++)
                    b[t * V + v] = (a[t * V + v] + a[(t + 1) * V + v] + a[(t + 2) * V + v]) / 3.0;
            len -= 2;
            double *tmp = a; a = b; b = tmp;
        }
        double *dst = out + s * T * V;
        for (size_t t = 0; t < T; t++)
            for (size_t v = 0; v < V; v++)
                dst[t * V + v] = a[t * V + v] * w->sw[l][v] * w->tw[l];
    }
    *rs = r;
}

/* Smoothed unit-variance noise of dataset (level l, index i) into ws->noise. */
static void make_noise(const world *w, size_t l, size_t i, thread_ws *ws) {
    rng r;
    rng_seed(&r, w->cfg->seed, (uint64_t)l + 1, (uint64_t)i + 1);
    smooth_fields(w, l, &r, w->cfg->n_subjects, ws, ws->noise);
}

/* The repeated-measures null dataset (level l, index i) into ws->rm, cell-major (row
 * c * n + s is subject s in cell c, the layout of CPERM_STAT_F_MWAY_RM): subject s's effect
 * u_s times subject_sd, one standard normal offset for all its points (or, with
 * subject_field, one smoothed unit-variance field), is shared by all its cells, plus
 * independent smoothed unit-variance noise per cell. No cell differs from another in
 * expectation and, within a subject, the cells are exchangeable (its u_s is common to them):
 * the within-subject scheme's null; across subjects they are not (u_s differs). Its own
 * stream, so the one-sample and groups datasets stay as they were. */
static void make_rm_dataset(const world *w, size_t l, size_t i, thread_ws *ws) {
    const config *cfg = w->cfg;
    const size_t n = cfg->n_subjects, P = w->P, cells = w->rm_rows / n;
    rng r;
    rng_seed(&r, cfg->seed ^ 0x524D52524D52524DULL, (uint64_t)l + 1, (uint64_t)i + 1);
    if (cfg->subject_field)
        smooth_fields(w, l, &r, n, ws, ws->subject);
    else
        for (size_t s = 0; s < n; s++) {
            const double u = rng_normal(&r);
            for (size_t m = 0; m < P; m++) ws->subject[s * P + m] = u;
        }
    smooth_fields(w, l, &r, cells * n, ws, ws->rm);
    for (size_t c = 0; c < cells; c++)
        for (size_t s = 0; s < n; s++) {
            double *x = ws->rm + (c * n + s) * P;
            const double *u = ws->subject + s * P;
            for (size_t m = 0; m < P; m++) x[m] += cfg->subject_sd * u[m];
        }
}

/* the uint32 numpy seed of dataset (l, i) */
static uint32_t perm_seed(const config *cfg, size_t l, size_t i) {
    uint64_t x = cfg->seed ^ ((uint64_t)(l + 1) << 40) ^ (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(splitmix64(&x) >> 32);
}

typedef struct tester {
    cperm_plan *plan[N_TESTS];
    cperm_run *run[N_TESTS];
} tester;

static void tester_make(tester *ts, const world *w, uint32_t seed) {
    const config *cfg = w->cfg;
    cperm_err err = { 0 };
    for (size_t k = 0; k < N_TESTS; k++) {
        if (!cfg->run[k]) continue;
        const test_spec *spec = &TESTS[k];
        cperm_options o = CPERM_OPTIONS_INIT;
        o.tail = 0;
        o.n_permutations = cfg->n_perm;
        o.seed = seed;
        o.sigma = cfg->sigma;
        o.n_jobs = 1;
        o.min_neighbors = spec->min_neighbors;
        if (spec->design == CPERM_DESIGN_GROUPS) {
            /* f_oneway: one-sided, no hat adjustment; the permutation count includes the
             * observed labelling (MNE's), as the sign flips' does */
            o.design = CPERM_DESIGN_GROUPS;
            o.statistic = spec->statistic;
            o.n_groups = spec->n_groups;
            o.group_sizes = w->group_sizes[k];
            o.tail = 1;
            o.sigma = 0.0;
        }
        size_t n_rows = cfg->n_subjects;
        if (spec->statistic == CPERM_STAT_F_MWAY_RM) {
            /* f_mway_rm: X stacks the cells, each of all n_subjects subjects */
            o.rm_n_factors = spec->rm_n_factors;
            o.rm_factor_levels = spec->rm_levels;
            o.rm_effect = w->rm_effect[k];
            o.rm_scheme = spec->rm_scheme;
            n_rows = spec->n_groups * cfg->n_subjects;
        }
        if (spec->cluster_p > 0) {
            o.threshold = w->thresholds[k];
            o.t_power = 1.0;
        } else {
            o.tfce = CPERM_TFCE_EXACT;
            o.tfce_h = 2.0;
            o.tfce_e = 0.5;
        }
        if (cperm_plan_create(&ts->plan[k], w->g, n_rows, cfg->n_times, &o, &err) ||
            cperm_run_create(&ts->run[k], ts->plan[k], &err))
            die("plan: %s", err.msg);
    }
}

static void tester_free(tester *ts) {
    for (size_t k = 0; k < N_TESTS; k++) {
        cperm_run_free(ts->run[k]);
        cperm_plan_free(ts->plan[k]);
    }
}

/* Run test k on X; *any = some p < alpha anywhere, *hit = some p < alpha touching the patch,
 * *none = no observed cluster. */
static void run_test(const world *w, const tester *ts, size_t k, const double *X,
                     int *any, int *hit, int *none, double *seconds) {
    cperm_err err = { 0 };
    const double t0 = now();
    if (cperm_plan_execute(ts->plan[k], X, ts->run[k], &err)) die("execute: %s", err.msg);
    *seconds += now() - t0;
    const cperm_run *run = ts->run[k];
    double alpha = w->cfg->alpha;
    *any = *hit = 0;
    *none = 0;
    if (TESTS[k].cluster_p == 0) {
        const double *p = cperm_run_tfce_pvalues(run);
        for (size_t m = 0; m < w->P; m++)
            if (p[m] < alpha) {
                *any = 1;
                if (w->in_patch[m]) { *hit = 1; break; }
            }
        return;
    }
    size_t nc = cperm_run_n_clusters(run);
    const double *p = cperm_run_pvalues(run);
    *none = nc == 0;
    for (size_t c = 0; c < nc && !*hit; c++) {
        if (!(p[c] < alpha)) continue;
        *any = 1;
        size_t nm = 0;
        const int64_t *mem = cperm_run_cluster(run, c, &nm);
        for (size_t j = 0; j < nm; j++)
            if (w->in_patch[mem[j]]) { *hit = 1; break; }
    }
}

static void do_job(const world *w, size_t l, size_t i, thread_ws *ws, job_result *res) {
    const config *cfg = w->cfg;
    size_t P = w->P, n = cfg->n_subjects;
    make_noise(w, l, i, ws);
    if (w->rm_rows && i < cfg->n_null) make_rm_dataset(w, l, i, ws);
    tester ts;
    memset(&ts, 0, sizeof ts);
    tester_make(&ts, w, perm_seed(cfg, l, i));
    int any, hit, none;
    if (i < cfg->n_null)
        for (size_t k = 0; k < N_TESTS; k++) {
            if (!cfg->run[k]) continue;
            const double *X =
                TESTS[k].statistic == CPERM_STAT_F_MWAY_RM ? ws->rm : ws->noise;
            run_test(w, &ts, k, X, &any, &hit, &none, &res->seconds[k]);
            res->null_reject[k] = (uint8_t)any;
            res->null_nocluster[k] = (uint8_t)none;
        }
    if (i < cfg->n_power)
        for (size_t e = 0; e < cfg->n_effects; e++) {
            double d = cfg->effects[e];
            for (size_t s = 0; s < n; s++)
                for (size_t m = 0; m < P; m++)
                    ws->X[s * P + m] = ws->noise[s * P + m] + (w->in_patch[m] ? d : 0.0);
            for (size_t k = 0; k < N_TESTS; k++) {
                if (!cfg->run[k] || !TESTS[k].power) continue;
                run_test(w, &ts, k, ws->X, &any, &hit, &none, &res->seconds[k]);
                res->power_hit[e][k] = (uint8_t)hit;
            }
        }
    tester_free(&ts);
}

/* The simulated noise has unit variance at every point and the neighbour correlations the
 * report states: sample estimates over 100 datasets x n_subjects fields per level. */
static int selftest_noise(const world *w) {
    const config *cfg = w->cfg;
    size_t V = w->V, T = w->T, P = w->P, kmax = 0, n_fields = 0;
    for (size_t l = 0; l < cfg->n_levels; l++)
        if ((size_t)cfg->levels[l] > kmax) kmax = (size_t)cfg->levels[l];
    thread_ws ws;
    ws.a = xcalloc((T + 2 * kmax) * V, sizeof(double));
    ws.b = xcalloc((T + 2 * kmax) * V, sizeof(double));
    ws.noise = xcalloc(cfg->n_subjects * P, sizeof(double));
    ws.X = ws.rm = ws.subject = NULL;
    int fails = 0;
    for (size_t l = 0; l < cfg->n_levels; l++) {
        double ss = 0, cs = 0, ct = 0;
        size_t ns = 0, nt = 0;
        n_fields = 0;
        for (size_t i = 0; i < 100; i++) {
            make_noise(w, l, 1000000 + i, &ws);
            for (size_t s = 0; s < cfg->n_subjects; s++, n_fields++) {
                const double *x = ws.noise + s * P;
                for (size_t t = 0; t < T; t++)
                    for (size_t v = 0; v < V; v++) {
                        double a = x[t * V + v];
                        ss += a * a;
                        for (size_t e = w->g->indptr[v]; e < w->g->indptr[v + 1]; e++, ns++)
                            cs += a * x[t * V + (size_t)w->g->indices[e]];
                        if (t + 1 < T) { ct += a * x[(t + 1) * V + v]; nt++; }
                    }
            }
        }
        double var = ss / (double)(n_fields * P), rs = cs / (double)ns, rt = ct / (double)nt;
        /* tolerances: ~5 standard errors of these estimates for the smoothest level */
        int ok = fabs(var - 1) < 0.03 && fabs(rs - w->r_space[l]) < 0.03 &&
                 fabs(rt - w->r_time[l]) < 0.03;
        printf("%s noise_level_%d: variance %.4f, neighbour r %.4f (stated %.4f), "
               "lag-1 r %.4f (stated %.4f)\n", ok ? "ok" : "FAIL", cfg->levels[l],
               var, rs, w->r_space[l], rt, w->r_time[l]);
        fails += !ok;
    }
    free(ws.a);
    free(ws.b);
    free(ws.noise);
    return fails;
}

/* The RM datasets, both kinds of subject effect: every point has variance 1 + sd^2, two
 * cells of one subject correlate sd^2 / (1 + sd^2) (the shared subject effect) and the same
 * cell of two subjects 0: sample estimates over 100 datasets per level. */
static int selftest_rm_noise(const world *w_in) {
    if (!w_in->rm_rows) return 0;
    config cfg_copy = *w_in->cfg; /* subject_field varied below */
    world wc = *w_in;
    wc.cfg = &cfg_copy;
    const world *w = &wc;
    const config *cfg = &cfg_copy;
    size_t V = w->V, T = w->T, P = w->P, n = cfg->n_subjects, cells = w->rm_rows / n, kmax = 0;
    for (size_t l = 0; l < cfg->n_levels; l++)
        if ((size_t)cfg->levels[l] > kmax) kmax = (size_t)cfg->levels[l];
    thread_ws ws;
    ws.a = xcalloc((T + 2 * kmax) * V, sizeof(double));
    ws.b = xcalloc((T + 2 * kmax) * V, sizeof(double));
    ws.noise = ws.X = NULL;
    ws.rm = xcalloc(w->rm_rows * P, sizeof(double));
    ws.subject = xcalloc(n * P, sizeof(double));
    const double sd2 = cfg->subject_sd * cfg->subject_sd, r_want = sd2 / (1 + sd2);
    int fails = 0;
    for (cfg_copy.subject_field = 0; cfg_copy.subject_field < 2; cfg_copy.subject_field++)
        for (size_t l = 0; l < cfg->n_levels; l++) {
            double ss = 0, cw = 0, cb = 0;
            size_t n_sum = 0;
            for (size_t i = 0; i < 100; i++) {
                make_rm_dataset(w, l, 1000000 + i, &ws);
                for (size_t c = 0; c < cells; c++)
                    for (size_t s = 0; s < n; s++, n_sum += P) {
                        const double *x = ws.rm + (c * n + s) * P;
                        const double *other_cell = ws.rm + (((c + 1) % cells) * n + s) * P;
                        const double *other_subject = ws.rm + (c * n + (s + 1) % n) * P;
                        for (size_t m = 0; m < P; m++) {
                            ss += x[m] * x[m];
                            cw += x[m] * other_cell[m];
                            cb += x[m] * other_subject[m];
                        }
                    }
            }
            double var = ss / (double)n_sum, rw = cw / (double)n_sum / (1 + sd2),
                   rb = cb / (double)n_sum / (1 + sd2);
            /* ~4 standard errors of the offsets' estimates (1600 subject draws: the
             * variance's relative SE and the correlations' SE are at most ~0.018) */
            int ok = fabs(var / (1 + sd2) - 1) < 0.08 && fabs(rw - r_want) < 0.08 &&
                     fabs(rb) < 0.08;
            printf("%s rm_noise_%s_level_%d: variance %.4f (want %.4f), cells of a subject r "
                   "%.4f (want %.4f), subjects of a cell r %.4f (want 0)\n", ok ? "ok" : "FAIL",
                   cfg->subject_field ? "field" : "offset", cfg->levels[l], var, 1 + sd2, rw,
                   r_want, rb);
            fails += !ok;
        }
    free(ws.a);
    free(ws.b);
    free(ws.rm);
    free(ws.subject);
    return fails;
}

/* --------------------------------------------------------------- reporting */

typedef struct row {
    int level;
    size_t test;                 /* index into TESTS */
    double seconds;              /* wall time of its executes, summed over threads */
    size_t n_null, rejects, nocluster;
    double fwer, lo, hi;
    size_t n_power;
    size_t hits[MAX_EFFECTS];
    double pw[MAX_EFFECTS], plo[MAX_EFFECTS], phi[MAX_EFFECTS];
} row;

static void text_line(FILE *f, FILE *g, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    if (g) {
        va_start(ap, fmt);
        vfprintf(g, fmt, ap);
        va_end(ap);
    }
}

static void set_color(cairo_t *cr, size_t test) {
    static const double col[][3] = {
        { 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 }, { 0.84, 0.15, 0.16 },
        { 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 }, { 0.50, 0.50, 0.50 },
        { 0.74, 0.74, 0.13 }, { 0.09, 0.75, 0.81 } };
    const size_t c = test % (sizeof col / sizeof col[0]);
    cairo_set_source_rgb(cr, col[c][0], col[c][1], col[c][2]);
}

static void text_at(cairo_t *cr, double x, double y, double size, double align, const char *s) {
    cairo_text_extents_t ext;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &ext);
    cairo_move_to(cr, x - align * ext.x_advance, y);
    cairo_show_text(cr, s);
}

/* FWER with intervals (top) and power against d per smoothness level (bottom). */
static void plot(const char *path, const config *cfg, const row *rows, size_t n_rows,
                 const char *subtitle) {
    const int W = 1400, H = 900;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    char buf[256];
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, W / 2.0, 30, 20, 0.5, "clusterperm: family-wise error and power (one-sample "
            "two-sided; F of independent groups)");
    text_at(cr, W / 2.0, 54, 13, 0.5, subtitle);

    /* --- FWER panel */
    double x0 = 90, x1 = W - 40, y0 = 90, y1 = 420;
    double fmax = 0.10;
    for (size_t r = 0; r < n_rows; r++) if (rows[r].hi > fmax) fmax = ceil(rows[r].hi * 50) / 50;
    cairo_set_line_width(cr, 1);
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    for (double f = 0; f <= fmax + 1e-9; f += 0.02) {
        double y = y1 - (y1 - y0) * f / fmax;
        cairo_move_to(cr, x0, y); cairo_line_to(cr, x1, y); cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        snprintf(buf, sizeof buf, "%.2f", f);
        text_at(cr, x0 - 6, y + 4, 12, 1.0, buf);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    }
    double ya = y1 - (y1 - y0) * cfg->alpha / fmax;
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.5);
    double dash[2] = { 6, 4 };
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, x0, ya); cairo_line_to(cr, x1, ya); cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    cairo_save(cr);
    cairo_translate(cr, 30, (y0 + y1) / 2);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, 0, 0, 14, 0.5, "FWER (95% Clopper-Pearson)");
    cairo_restore(cr);
    size_t L = cfg->n_levels;
    double gw = (x1 - x0) / (double)L;
    for (size_t l = 0; l < L; l++) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        snprintf(buf, sizeof buf, "smoothing %d passes", cfg->levels[l]);
        text_at(cr, x0 + gw * ((double)l + 0.5), y1 + 22, 14, 0.5, buf);
        for (size_t k = 0; k < N_TESTS; k++) {
            const row *rw = NULL;
            for (size_t r = 0; r < n_rows; r++)
                if (rows[r].level == cfg->levels[l] && rows[r].test == k) rw = &rows[r];
            if (!rw) continue;
            double x = x0 + gw * ((double)l + ((double)k + 1.0) / ((double)N_TESTS + 1.0));
            double yf = y1 - (y1 - y0) * rw->fwer / fmax, ylo = y1 - (y1 - y0) * rw->lo / fmax,
                   yhi = y1 - (y1 - y0) * rw->hi / fmax;
            set_color(cr, k);
            cairo_set_line_width(cr, 2.5);
            cairo_move_to(cr, x, ylo); cairo_line_to(cr, x, yhi); cairo_stroke(cr);
            cairo_move_to(cr, x - 8, ylo); cairo_line_to(cr, x + 8, ylo); cairo_stroke(cr);
            cairo_move_to(cr, x - 8, yhi); cairo_line_to(cr, x + 8, yhi); cairo_stroke(cr);
            cairo_arc(cr, x, yf, 5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    /* legend */
    for (size_t k = 0, shown = 0; k < N_TESTS; k++) {
        if (!cfg->run[k]) continue;
        double lx = x0 + 20 + 175.0 * (double)(shown % 7), ly = y0 + 18 + 18.0 * (double)(shown / 7);
        shown++;
        set_color(cr, k);
        cairo_rectangle(cr, lx, ly - 10, 14, 12);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, lx + 20, ly, 13, 0, TESTS[k].name);
    }

    /* --- power panels */
    double py0 = 490, py1 = H - 70, pgap = 50;
    double pw = (W - 90 - 40 - pgap * (double)(L - 1)) / (double)L;
    double dmax = 0;
    for (size_t e = 0; e < cfg->n_effects; e++) if (cfg->effects[e] > dmax) dmax = cfg->effects[e];
    dmax = ceil(dmax * 5 + 0.5) / 5;
    for (size_t l = 0; l < L; l++) {
        double px0 = 90 + (double)l * (pw + pgap), px1 = px0 + pw;
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        cairo_set_line_width(cr, 1);
        for (int q = 0; q <= 5; q++) {
            double y = py1 - (py1 - py0) * q / 5.0;
            cairo_move_to(cr, px0, y); cairo_line_to(cr, px1, y); cairo_stroke(cr);
            if (l == 0) {
                cairo_set_source_rgb(cr, 0, 0, 0);
                snprintf(buf, sizeof buf, "%.1f", q / 5.0);
                text_at(cr, px0 - 6, y + 4, 12, 1.0, buf);
                cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
            }
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_rectangle(cr, px0, py0, px1 - px0, py1 - py0);
        cairo_stroke(cr);
        for (double d = 0; d <= dmax + 1e-9; d += 0.2) {
            double x = px0 + (px1 - px0) * d / dmax;
            snprintf(buf, sizeof buf, "%.1f", d);
            text_at(cr, x, py1 + 16, 12, 0.5, buf);
        }
        text_at(cr, (px0 + px1) / 2, py1 + 36, 13, 0.5, "effect size d (per point)");
        snprintf(buf, sizeof buf, "power (significant result on the patch), smoothing %d",
                 cfg->levels[l]);
        text_at(cr, (px0 + px1) / 2, py0 - 8, 14, 0.5, buf);
        for (size_t k = 0; k < N_TESTS; k++) {
            const row *rw = NULL;
            for (size_t r = 0; r < n_rows; r++)
                if (rows[r].level == cfg->levels[l] && rows[r].test == k) rw = &rows[r];
            if (!rw || !rw->n_power) continue;
            set_color(cr, k);
            cairo_set_line_width(cr, 2);
            for (size_t e = 0; e < cfg->n_effects; e++) {
                double x = px0 + (px1 - px0) * cfg->effects[e] / dmax,
                       y = py1 - (py1 - py0) * rw->pw[e];
                if (e == 0) cairo_move_to(cr, x, y); else cairo_line_to(cr, x, y);
            }
            cairo_stroke(cr);
            for (size_t e = 0; e < cfg->n_effects; e++) {
                double x = px0 + (px1 - px0) * cfg->effects[e] / dmax + ((double)k - 1.5) * 3;
                cairo_move_to(cr, x, py1 - (py1 - py0) * rw->plo[e]);
                cairo_line_to(cr, x, py1 - (py1 - py0) * rw->phi[e]);
                cairo_stroke(cr);
                cairo_arc(cr, x, py1 - (py1 - py0) * rw->pw[e], 3.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
        }
    }
    cairo_surface_flush(surf);
    if (cairo_surface_write_to_png(surf, path) != CAIRO_STATUS_SUCCESS) die("cannot write %s", path);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
}

/* FWHM in lag units of a Gaussian smoothness with lag-1 correlation r: r = exp(-1/(4 s^2))
 * for kernel SD s, FWHM = sqrt(8 ln 2) s. 0 for white noise. */
static double fwhm(double r) {
    if (!(r > 1e-12)) return 0.0;
    return sqrt(2.0 * log(2.0) / -log(r));
}

/* ------------------------------------------------------------------- main */

static void usage(int status) {
    fprintf(status ? stderr : stdout,
            "usage: validate [--out DIR] [--null N] [--power N] [--perm N] [--grade G]\n"
            "                [--times T] [--subjects S] [--threads J] [--seed S]\n"
            "                [--levels 0,2,5] [--effects 0.5,0.8,1.2] [--subject-sd SD]\n"
            "                [--subject-effect offset|field] [--tests IDS] [--selftest]\n"
            "defaults: --out validation-out --null 2000 --power 250 --perm 1000 --grade 2\n"
            "          --times 10 --subjects 16 --threads (OpenMP default) --seed 20240501\n"
            "          --subject-sd 1 --subject-effect offset (the RM tests' subject effect,\n"
            "          in noise SDs: one offset per subject, or a smoothed field per subject)\n"
            "          --tests all but the rm_ ones; IDS is a comma-separated list of:");
    for (size_t k = 0; k < N_TESTS; k++)
        fprintf(status ? stderr : stdout, " %s", TESTS[k].id);
    fprintf(status ? stderr : stdout, "\n          (the rm_ tests run only when named: "
            "the three cost about 10x all the others)\n");
    exit(status);
}

static size_t parse_list(const char *s, double *out, size_t cap) {
    size_t n = 0;
    char *end;
    while (*s && n < cap) {
        errno = 0;
        out[n++] = strtod(s, &end);
        if (end == s || errno) usage(2);
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') usage(2);
    }
    return n;
}

int main(int argc, char **argv) {
    config cfg = { 0 };
    cfg.grade = 2;
    cfg.n_subjects = 16;
    cfg.n_times = 10;
    cfg.n_null = 2000;
    cfg.n_power = 250;
    cfg.n_perm = 1000;
    cfg.sigma = 1e-3;
    cfg.alpha = 0.05;
    cfg.subject_sd = 1.0;
    cfg.subject_field = 0;
    cfg.n_levels = 3;
    cfg.levels[0] = 0; cfg.levels[1] = 2; cfg.levels[2] = 5;
    cfg.n_effects = 3;
    cfg.effects[0] = 0.5; cfg.effects[1] = 0.8; cfg.effects[2] = 1.2;
    cfg.patch_radius = 2;
    cfg.win_len = 4;
    cfg.threads = omp_get_max_threads();
    cfg.seed = 20240501;
    cfg.out = "validation-out";
    for (size_t k = 0; k < N_TESTS; k++) cfg.run[k] = !TESTS[k].by_name;
    int do_selftest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--selftest")) { do_selftest = 1; continue; }
        if (!strcmp(a, "--help")) usage(0);
        if (!v) usage(2);
        if (!strcmp(a, "--out")) cfg.out = v;
        else if (!strcmp(a, "--null")) cfg.n_null = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--power")) cfg.n_power = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--perm")) cfg.n_perm = strtol(v, NULL, 10);
        else if (!strcmp(a, "--grade")) cfg.grade = atoi(v);
        else if (!strcmp(a, "--times")) cfg.n_times = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--subjects")) cfg.n_subjects = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--threads")) cfg.threads = atoi(v);
        else if (!strcmp(a, "--seed")) cfg.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--subject-sd")) cfg.subject_sd = strtod(v, NULL);
        else if (!strcmp(a, "--subject-effect")) {
            if (!strcmp(v, "offset")) cfg.subject_field = 0;
            else if (!strcmp(v, "field")) cfg.subject_field = 1;
            else usage(2);
        }
        else if (!strcmp(a, "--levels")) {
            double tmp[MAX_LEVELS];
            cfg.n_levels = parse_list(v, tmp, MAX_LEVELS);
            for (size_t l = 0; l < cfg.n_levels; l++) {
                if (tmp[l] < 0 || tmp[l] > 30) usage(2);
                cfg.levels[l] = (int)tmp[l];
            }
        } else if (!strcmp(a, "--effects")) cfg.n_effects = parse_list(v, cfg.effects, MAX_EFFECTS);
        else if (!strcmp(a, "--tests")) {
            memset(cfg.run, 0, sizeof cfg.run);
            for (const char *c = v; *c;) {
                size_t len = strcspn(c, ","), k = 0;
                while (k < N_TESTS && (strlen(TESTS[k].id) != len || strncmp(TESTS[k].id, c, len)))
                    k++;
                if (k == N_TESTS) {
                    fprintf(stderr, "validate: --tests: unknown test '%.*s'\n", (int)len, c);
                    usage(2);
                }
                cfg.run[k] = 1;
                c += len + (c[len] == ',');
            }
        } else usage(2);
        i++;
    }
    if (cfg.n_times < 2 || cfg.n_subjects < 3 || cfg.n_perm < 1 || cfg.threads < 1 ||
        cfg.n_levels == 0 || cfg.n_effects == 0 || cfg.grade < 0 || cfg.grade > 5 ||
        !(cfg.subject_sd >= 0))
        usage(2);
    if (cfg.win_len > cfg.n_times) cfg.win_len = cfg.n_times;
    cfg.win_start = (cfg.n_times - cfg.win_len) / 2;

    cperm_err err = { 0 };
    cperm_srcspace *src = NULL;
    cperm_graph *g = NULL;
    if (cperm_src_create_ico(&src, cfg.grade, 0.07, &err) || cperm_graph_from_src(&g, src, &err))
        die("source space: %s", err.msg);
    cperm_src_free(src);
    /* the selftest checks every test's data, the by-name ones' included */
    if (do_selftest)
        for (size_t k = 0; k < N_TESTS; k++) cfg.run[k] = 1;
    world w;
    world_init(&w, &cfg, g);
    if (do_selftest) {
        int fails = selftest_binomial() + selftest_noise(&w) + selftest_rm_noise(&w);
        world_free(&w);
        cperm_graph_free(g);
        return fails ? 1 : 0;
    }

    size_t L = cfg.n_levels, N = cfg.n_null > cfg.n_power ? cfg.n_null : cfg.n_power;
    size_t n_jobs = L * N;
    job_result *res = xcalloc(n_jobs, sizeof *res);
    fprintf(stderr, "validate: ico-%d x 2 hemispheres (%zu vertices), %zu times, %zu subjects, "
            "%zu null + %zu power datasets x %zu smoothness levels, %ld permutations, %d threads\n",
            cfg.grade, w.V, cfg.n_times, cfg.n_subjects, cfg.n_null, cfg.n_power, L, cfg.n_perm,
            cfg.threads);
    double t0 = now();
    size_t done = 0;
    int last_pct = 0;
    /* level-major job order, largest-first not needed: jobs are similar in cost */
#pragma omp parallel num_threads(cfg.threads)
    {
        size_t kmax = 0;
        for (size_t l = 0; l < L; l++) if ((size_t)cfg.levels[l] > kmax) kmax = (size_t)cfg.levels[l];
        thread_ws ws;
        size_t scratch = (cfg.n_times + 2 * kmax) * w.V;
        ws.a = xcalloc(scratch, sizeof(double));
        ws.b = xcalloc(scratch, sizeof(double));
        ws.noise = xcalloc(cfg.n_subjects * w.P, sizeof(double));
        ws.X = xcalloc(cfg.n_subjects * w.P, sizeof(double));
        ws.rm = w.rm_rows ? xcalloc(w.rm_rows * w.P, sizeof(double)) : NULL;
        ws.subject = w.rm_rows ? xcalloc(cfg.n_subjects * w.P, sizeof(double)) : NULL;
#pragma omp for schedule(dynamic, 1)
        for (size_t j = 0; j < n_jobs; j++) {
            do_job(&w, j / N, j % N, &ws, &res[j]);
            size_t d;
#pragma omp atomic capture
            d = ++done;
            int pct = (int)(100 * d / n_jobs);
            if (pct / 5 > last_pct / 5) {
#pragma omp critical
                if (pct / 5 > last_pct / 5) {
                    last_pct = pct;
                    double el = now() - t0;
                    fprintf(stderr, "validate: %3d%%  %6.0f s elapsed, ~%.0f s left\n", pct, el,
                            el * (double)(n_jobs - d) / (double)d);
                }
            }
        }
        free(ws.a); free(ws.b); free(ws.noise); free(ws.X); free(ws.rm); free(ws.subject);
    }
    double elapsed = now() - t0;

    /* tally */
    row rows[MAX_LEVELS * N_TESTS];
    size_t n_rows = 0;
    double test_seconds[N_TESTS] = { 0 };
    for (size_t l = 0; l < L; l++)
        for (size_t k = 0; k < N_TESTS; k++) {
            if (!cfg.run[k]) continue;
            row *r = &rows[n_rows++];
            memset(r, 0, sizeof *r);
            r->level = cfg.levels[l];
            r->test = k;
            r->n_null = cfg.n_null;
            r->n_power = TESTS[k].power ? cfg.n_power : 0;
            for (size_t i = 0; i < N; i++) {
                const job_result *jr = &res[l * N + i];
                r->seconds += jr->seconds[k];
                if (i < cfg.n_null) { r->rejects += jr->null_reject[k]; r->nocluster += jr->null_nocluster[k]; }
                if (i < r->n_power)
                    for (size_t e = 0; e < cfg.n_effects; e++) r->hits[e] += jr->power_hit[e][k];
            }
            test_seconds[k] += r->seconds;
            r->fwer = r->n_null ? (double)r->rejects / (double)r->n_null : NAN;
            clopper_pearson(r->rejects, r->n_null, 0.05, &r->lo, &r->hi);
            for (size_t e = 0; e < cfg.n_effects; e++) {
                r->pw[e] = r->n_power ? (double)r->hits[e] / (double)r->n_power : NAN;
                clopper_pearson(r->hits[e], r->n_power, 0.05, &r->plo[e], &r->phi[e]);
            }
        }

    if (mkdir(cfg.out, 0777) && errno != EEXIST) die("cannot create %s: %s", cfg.out, strerror(errno));
    char path[4096];
    snprintf(path, sizeof path, "%s/validation.txt", cfg.out);
    FILE *txt = fopen(path, "w");
    if (!txt) die("cannot write %s", path);
    char params[512];
    snprintf(params, sizeof params,
             "ico-%d x 2 (%zu vertices), %zu times, %zu subjects, %zu null / %zu power datasets, "
             "%ld sign flips, sigma %g, patch %zu vertices x %zu times",
             cfg.grade, w.V, cfg.n_times, cfg.n_subjects, cfg.n_null, cfg.n_power, cfg.n_perm,
             cfg.sigma, w.patch_vertices, cfg.win_len);
    text_line(stdout, txt, "clusterperm statistical validation: %s\n", params);
    text_line(stdout, txt, "alpha %.2f; one-sample tests two-sided (df %zu), TFCE exact, E 0.5, "
              "H 2; F of independent groups one-sided\n", cfg.alpha, cfg.n_subjects - 1);
    if (w.rm_rows)
        text_line(stdout, txt, "RM datasets: %zu subjects x %zu cells, each cell's smoothed "
                  "unit-variance noise plus the subject's own %s x %g shared by its cells "
                  "(null: no cell effect); RM F one-sided\n", cfg.n_subjects,
                  w.rm_rows / cfg.n_subjects,
                  cfg.subject_field ? "smoothed unit-variance field"
                                    : "N(0, 1) offset (all points)",
                  cfg.subject_sd);
    for (size_t k = 0; k < N_TESTS; k++) {
        const test_spec *ts = &TESTS[k];
        if (!cfg.run[k] || ts->cluster_p == 0) continue;
        text_line(stdout, txt, "%-18s %s > %.4f (p %g", ts->name,
                  ts->design == CPERM_DESIGN_GROUPS ? "F" : "|t|", w.thresholds[k],
                  ts->cluster_p);
        if (ts->statistic == CPERM_STAT_F_MWAY_RM) {
            size_t df1 = 1;
            for (size_t f = 0; f < ts->rm_n_factors; f++)
                if (w.rm_effect[k] >> f & 1u) df1 *= ts->rm_levels[f] - 1;
            text_line(stdout, txt, "; df %zu, %zu; %zux%zu cells x %zu subjects, %s, %s", df1,
                      df1 * (cfg.n_subjects - 1), ts->rm_levels[0], ts->rm_levels[1],
                      cfg.n_subjects, ts->rm_effect,
                      ts->rm_scheme == CPERM_RM_WITHIN ? "within-subject shuffles"
                                                       : "MNE all-cells shuffles");
        } else if (ts->design == CPERM_DESIGN_GROUPS) {
            text_line(stdout, txt, "; df %zu, %zu; groups", ts->n_groups - 1,
                      cfg.n_subjects - ts->n_groups);
            for (size_t j = 0; j < ts->n_groups; j++)
                text_line(stdout, txt, "%s%zu", j ? "+" : " ", w.group_sizes[k][j]);
        }
        if (ts->min_neighbors) text_line(stdout, txt, "; min_neighbors %zu", ts->min_neighbors);
        text_line(stdout, txt, ")%s\n", ts->power ? "" : ", FWER only");
    }
    text_line(stdout, txt, "\n");
    for (size_t l = 0; l < L; l++)
        text_line(stdout, txt, "smoothing %d passes: neighbour correlation %.3f in space (FWHM ~%.1f "
                  "vertex spacings), %.3f in time (FWHM ~%.1f samples)\n", cfg.levels[l],
                  w.r_space[l], fwhm(w.r_space[l]), w.r_time[l], fwhm(w.r_time[l]));
    text_line(stdout, txt, "\n%-6s %-18s %-24s %6s", "smooth", "test", "FWER [95% CI]", "no-cl");
    for (size_t e = 0; e < cfg.n_effects; e++) text_line(stdout, txt, "  power d=%-4.2g      ", cfg.effects[e]);
    text_line(stdout, txt, "\n");
    for (size_t r = 0; r < n_rows; r++) {
        const row *rw = &rows[r];
        char ci[64];
        snprintf(ci, sizeof ci, "%.4f [%.4f, %.4f]%s", rw->fwer, rw->lo, rw->hi,
                 rw->lo <= cfg.alpha && cfg.alpha <= rw->hi ? "" : "*");
        text_line(stdout, txt, "%-6d %-18s %-24s %6zu", rw->level, TESTS[rw->test].name, ci,
                  rw->nocluster);
        for (size_t e = 0; rw->n_power && e < cfg.n_effects; e++)
            text_line(stdout, txt, "  %.3f [%.3f,%.3f]", rw->pw[e], rw->plo[e], rw->phi[e]);
        text_line(stdout, txt, "\n");
    }
    text_line(stdout, txt, "\n* = 95%% interval excludes %.2f. no-cl = null datasets without any "
              "observed cluster (cannot reject).\nsimulation wall time %.1f s on %d threads; "
              "execute time per test, all levels (thread-seconds):", cfg.alpha, elapsed,
              cfg.threads);
    for (size_t k = 0; k < N_TESTS; k++)
        if (cfg.run[k]) text_line(stdout, txt, " %s %.0f", TESTS[k].id, test_seconds[k]);
    text_line(stdout, txt, "\n");
    fclose(txt);

    snprintf(path, sizeof path, "%s/validation.csv", cfg.out);
    FILE *csv = fopen(path, "w");
    if (!csv) die("cannot write %s", path);
    fprintf(csv, "smoothing_passes,test,cluster_p,n_null,fwer_rejections,fwer,fwer_ci_low,"
                 "fwer_ci_high,ci_includes_alpha,null_no_cluster,neighbour_r_space,neighbour_r_time,n_power");
    for (size_t e = 0; e < cfg.n_effects; e++)
        fprintf(csv, ",power_d%g,power_d%g_ci_low,power_d%g_ci_high", cfg.effects[e],
                cfg.effects[e], cfg.effects[e]);
    fprintf(csv, "\n");
    for (size_t r = 0; r < n_rows; r++) {
        const row *rw = &rows[r];
        fprintf(csv, "%d,%s,", rw->level, TESTS[rw->test].key);
        if (TESTS[rw->test].cluster_p > 0) fprintf(csv, "%g", TESTS[rw->test].cluster_p);
        size_t l = 0;
        while (cfg.levels[l] != rw->level) l++;
        fprintf(csv, ",%zu,%zu,%.4f,%.4f,%.4f,%d,%zu,%.4f,%.4f,%zu", rw->n_null, rw->rejects,
                rw->fwer, rw->lo, rw->hi, rw->lo <= cfg.alpha && cfg.alpha <= rw->hi,
                rw->nocluster, w.r_space[l], w.r_time[l], rw->n_power);
        for (size_t e = 0; e < cfg.n_effects; e++)
            if (rw->n_power) fprintf(csv, ",%.4f,%.4f,%.4f", rw->pw[e], rw->plo[e], rw->phi[e]);
            else fprintf(csv, ",,,");
        fprintf(csv, "\n");
    }
    fclose(csv);

    snprintf(path, sizeof path, "%s/validation.png", cfg.out);
    plot(path, &cfg, rows, n_rows, params);
    fprintf(stderr, "validate: wrote %s/validation.{csv,txt,png}\n", cfg.out);

    free(res);
    world_free(&w);
    cperm_graph_free(g);
    return 0;
}
