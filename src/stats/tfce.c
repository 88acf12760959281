/* tfce.c - threshold-free cluster enhancement: per-point scores on one component tree per
 * map (the exact integral of Smith & Nichols 2009, the Riemann sum of corrected MNE, MNE
 * 1.3's released formula), permutations over full t maps, H0, per-point p-values, step-down.
 *
 * One map: the candidate points (height v > the first threshold; v = t, -t or |t| by tail)
 * are sorted by height and added from the top with union-find. Points are added in groups:
 * every point alone (exact mode) or all the points of one threshold level (stepped modes).
 * After a group, every component the group touched gets a new tree node; the nodes it
 * replaced end there and hang under it. A node thus stands for one component whose extent
 * is constant over a range of groups, and a point's score is a sum along the path from the
 * point's first node down to the root: computed top-down in one pass over the nodes, in the
 * order MNE accumulates (lowest threshold first), so stepped scores are bit-identical to a
 * full clustering per threshold. Cost: one sort, near-linear merging, and the sum of the
 * node lifetimes in levels (at most the clustering work of the per-step method, usually far
 * less).
 *
 * MNE 1.3's list path for max_step 1 splits some components (the stale-snapshot quirk of
 * clusters.c); there the stepped modes run MNE's merge at every threshold (mne13_sizes). */
#include "tfce_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define TFCE_TAB 4096          /* thresholds and weights tabulated per run */
#define TFCE_MAX_LEVELS 16777216.0
#define TFCE_TBLOCK 256        /* points per block of the permutation t kernel */
#define TFCE_RADIX_BITS 11
#define TFCE_RADIX (1u << TFCE_RADIX_BITS)
#define TFCE_RADIX_PASSES 3  /* over the high 32 bits of the keys */
#define TFCE_PF_ROW 12         /* prefetch distances of the sweep, in points */
#define TFCE_PF_NB 8

/* failures of one map, turned into messages by the caller */
enum { TFCE_ENOFINITE = 1, TFCE_ENONMONO = 2, TFCE_EINF = 3, TFCE_ETOOMANY = 4 };

/* Union-find parents, 4 bytes a point so that neighbour checks touch little memory: the
 * parent index in the low 31 bits, the point's side (1 = negative t under tail 0; signs
 * never join) in the top bit; UF_ABSENT = not present. Roots' extent, tree node and group
 * stamp live in separate arrays, read only at unions. */
typedef struct tfce_root {
    int32_t size;              /* extent */
    int32_t node;              /* current tree node; -1: none; TOUCHED: changed in this group */
} tfce_root;
#define TOUCHED INT32_MIN
#define UF_SIDE 0x80000000u
#define UF_IDX 0x7FFFFFFFu
#define UF_ABSENT 0xFFFFFFFFu

/* One thread's scratch for one map. Buffers a and b hold the variances and the sort items
 * first, then the pending list and the node values. */
typedef struct tfce_thread {
    double *t;                 /* P: t map of the current order */
    uint64_t *a, *b;           /* 2P each: sort items (key, id) */
    double *vals;              /* P: candidate heights, ascending */
    uint32_t *ord;             /* P: candidate point ids, UF_SIDE set for negative t (tail 0) */
    uint32_t *par;             /* P: union-find parents */
    tfce_root *root;           /* P: what roots carry */
    int32_t *nsize, *npar, *nlo, *nhi; /* P: tree nodes */
    int32_t *leaf;             /* P (thread 0 only): first node of each sorted candidate */
    uint32_t *hist;            /* radix histograms */
    /* per-threshold clustering (MNE 1.3's 1-step list path): P-sized point arrays, then
     * arrays over cluster labels (at most P + 1 of them) */
    double *score;
    cperm_point *pts;
    uint32_t *stamp, gen13;
    int32_t *posof, *ufp, *lab, *csize, *pairs, *pairs2;
    int32_t *lpar, *lsize, *lst, *spar, *slabel, *l2s[2], *tl[2], *cnt;
    size_t ntl[2];
    size_t *row_begin;         /* n_times + 1 */
    int32_t *first_lab;        /* n_times + 1 */
} tfce_thread;

struct cperm_tfce_ws {
    size_t n_threads;
    tfce_thread *th;
    int mode;                  /* CPERM_TFCE_* */
    int stepped;               /* riemann or mne1.3 */
    int per_step;              /* MNE 1.3's 1-step list path at every threshold */
    double s0, sd, d;          /* thresholds mirrored to increasing: start, step, arange delta */
    double H, E;
    size_t n_tab, first_bad;   /* tabulated thresholds; first i with thr[i] <= thr[i-1] */
    double *thr, *w;           /* n_tab */
    double *pe;                /* P + 1: pow(s, E) */
    /* the component tree numbers vertices in breadth-first order, so that a vertex's
     * neighbours sit in few cache lines: inv[new] = old vertex, CSR in the new numbering */
    int32_t *inv;
    size_t *indptr;
    int32_t *indices;
    double *map;               /* P: scores * sign(t), MNE's returned t_obs */
    double *h0s;               /* n_orders + 1: sorted H0 */
    int fail_code;
    size_t fail_order;
};

static inline uint64_t val_key(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ------------------------------------------------------------ thresholds */

/* np.arange(start, stop, step)[i], mirrored: th0 = s0, th1 = s0 + sd, then s0 + i*d. */
static double th_calc(const struct cperm_tfce_ws *tw, size_t i) {
    if (i == 0) return tw->s0;
    if (i == 1) return tw->s0 + tw->sd;
    return tw->s0 + (double)i * tw->d;
}
static inline double th_at(const struct cperm_tfce_ws *tw, size_t i) {
    return i < tw->n_tab ? tw->thr[i] : th_calc(tw, i);
}

/* The weight of level i: MNE 1.3: |dh|^H; riemann (corrected MNE): |h|^H * |dh|, with dh the
 * first threshold itself at level 0. libm pow, as numpy's scalar power. */
static double weight_calc(const struct cperm_tfce_ws *tw, size_t i) {
    double h = th_calc(tw, i);
    double dh = i == 0 ? fabs(h) : fabs(h - th_calc(tw, i - 1));
    if (tw->mode == CPERM_TFCE_MNE13) return pow(dh, tw->H);
    return pow(fabs(h), tw->H) * dh;
}
static inline double weight_at(const struct cperm_tfce_ws *tw, size_t i) {
    return i < tw->n_tab ? tw->w[i] : weight_calc(tw, i);
}

/* Number of thresholds for a map whose extreme (mirrored) value is stop, as np.arange. */
static int n_levels(const struct cperm_tfce_ws *tw, double stop, size_t *L) {
    double len = (stop - tw->s0) / tw->sd;
    *L = 0;
    if (!(len > 0)) return 0;
    len = ceil(len);
    if (len > TFCE_MAX_LEVELS) return TFCE_ETOOMANY;
    *L = (size_t)len;
    /* MNE refuses thresholds that are not strictly monotonic */
    if (*L > tw->first_bad) return TFCE_ENONMONO;
    for (size_t i = tw->n_tab > 1 ? tw->n_tab : 1; i < *L; i++)
        if (!(th_calc(tw, i) > th_calc(tw, i - 1))) return TFCE_ENONMONO;
    return 0;
}

int cperm_tfce_validate(const cperm_options *o, cperm_err *err) {
    if (o->tfce == CPERM_TFCE_NONE) return CPERM_OK;
    if (o->tfce != CPERM_TFCE_EXACT && o->tfce != CPERM_TFCE_RIEMANN && o->tfce != CPERM_TFCE_MNE13)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown TFCE mode %d", o->tfce);
    if (!isfinite(o->tfce_h) || o->tfce_h < 0)
        return cperm_fail(err, CPERM_EINVAL, "options: tfce_h must be finite and >= 0, got %g",
                          o->tfce_h);
    if (!isfinite(o->tfce_e) || o->tfce_e < 0)
        return cperm_fail(err, CPERM_EINVAL, "options: tfce_e must be finite and >= 0, got %g",
                          o->tfce_e);
    if (o->tfce == CPERM_TFCE_EXACT) {
        if (o->compat == CPERM_COMPAT_MNE13)
            return cperm_fail(err, CPERM_EINVAL, "options: exact TFCE uses true connected "
                              "components; compat mne1.3 applies only to the stepped formulas");
        return CPERM_OK;
    }
    if (!isfinite(o->tfce_start) || !isfinite(o->tfce_step))
        return cperm_fail(err, CPERM_EINVAL, "options: TFCE start and step must be finite, "
                          "got %g and %g", o->tfce_start, o->tfce_step);
    if (o->tail < 0) {
        if (o->tfce_start > 0)
            return cperm_fail(err, CPERM_EINVAL, "options: TFCE start must be <= 0 for tail -1, "
                              "got %g", o->tfce_start);
        if (!(o->tfce_step < 0))
            return cperm_fail(err, CPERM_EINVAL, "options: TFCE step must be < 0 for tail -1, "
                              "got %g", o->tfce_step);
    } else {
        if (!(o->tfce_step > 0))
            return cperm_fail(err, CPERM_EINVAL, "options: TFCE step must be > 0 for tail %d, "
                              "got %g", o->tail, o->tfce_step);
        if (o->tfce_start < 0)
            return cperm_fail(err, CPERM_EUNSUPPORTED, "options: TFCE start must be >= 0 for "
                              "tail %d, got %g", o->tail, o->tfce_start);
    }
    return CPERM_OK;
}

/* ----------------------------------------------------------- workspaces */

static void thread_free(tfce_thread *w) {
    free(w->t); free(w->a); free(w->b); free(w->vals); free(w->ord); free(w->par); free(w->root);
    free(w->nsize); free(w->npar); free(w->nlo); free(w->nhi); free(w->leaf); free(w->hist);
    free(w->score); free(w->pts); free(w->stamp); free(w->posof); free(w->ufp); free(w->lab);
    free(w->csize); free(w->pairs); free(w->pairs2); free(w->lpar); free(w->lsize);
    free(w->lst); free(w->spar); free(w->slabel); free(w->l2s[0]); free(w->l2s[1]);
    free(w->tl[0]); free(w->tl[1]); free(w->cnt); free(w->row_begin); free(w->first_lab);
    memset(w, 0, sizeof *w);
}

static int thread_init(tfce_thread *w, size_t P, size_t T, int per_step, int two_sided,
                       int observed) {
    memset(w, 0, sizeof *w);
    size_t c = P ? P : 1;
    (void)two_sided;
    w->t = cperm_malloc(c, sizeof(double));
    w->a = cperm_malloc(2 * c, sizeof *w->a);
    if (!w->t || !w->a) goto nomem;
    if (per_step) {
        const size_t nl = c + 2;
        w->score = cperm_malloc(c, sizeof *w->score);
        w->pts = cperm_malloc(c, sizeof *w->pts);
        w->stamp = cperm_calloc(c, sizeof *w->stamp);
        int32_t **pa[] = {&w->posof, &w->ufp, &w->lab, &w->csize, &w->pairs, &w->pairs2};
        int32_t **la[] = {&w->lpar, &w->lsize, &w->lst, &w->spar, &w->slabel, &w->l2s[0],
                          &w->l2s[1], &w->tl[0], &w->tl[1], &w->cnt};
        for (size_t i = 0; i < sizeof pa / sizeof pa[0]; i++)
            if (!(*pa[i] = cperm_malloc(c, sizeof(int32_t)))) goto nomem;
        for (size_t i = 0; i < sizeof la / sizeof la[0]; i++)
            if (!(*la[i] = cperm_calloc(nl, sizeof(int32_t)))) goto nomem;
        w->row_begin = cperm_malloc(T + 1, sizeof *w->row_begin);
        w->first_lab = cperm_malloc(T + 1, sizeof *w->first_lab);
        if (!w->score || !w->pts || !w->stamp || !w->row_begin || !w->first_lab) goto nomem;
        return CPERM_OK;
    }
    w->b = cperm_malloc(2 * c, sizeof *w->b);
    w->vals = cperm_malloc(c, sizeof *w->vals);
    w->ord = cperm_malloc(c, sizeof *w->ord);
    w->par = cperm_malloc(c, sizeof *w->par);
    w->root = cperm_calloc(c, sizeof *w->root);
    w->nsize = cperm_malloc(c, sizeof *w->nsize);
    w->npar = cperm_malloc(c, sizeof *w->npar);
    w->nlo = cperm_malloc(c, sizeof *w->nlo);
    w->nhi = cperm_malloc(c, sizeof *w->nhi);
    w->hist = cperm_malloc((size_t)TFCE_RADIX * TFCE_RADIX_PASSES, sizeof *w->hist);
    if (observed) w->leaf = cperm_malloc(c, sizeof *w->leaf);
    if (!w->b || !w->vals || !w->ord || !w->par || !w->root || !w->nsize || !w->npar || !w->nlo ||
        !w->nhi || !w->hist || (observed && !w->leaf))
        goto nomem;
    for (size_t k = 0; k < c; k++) w->par[k] = UF_ABSENT;
    return CPERM_OK;
nomem:
    thread_free(w);
    return CPERM_ENOMEM;
}

void cperm_tfce_free(struct cperm_tfce_ws *tw) {
    if (!tw) return;
    if (tw->th)
        for (size_t i = 0; i < tw->n_threads; i++) thread_free(&tw->th[i]);
    free(tw->th);
    free(tw->thr);
    free(tw->w);
    free(tw->pe);
    free(tw->inv);
    free(tw->indptr);
    free(tw->indices);
    free(tw->map);
    free(tw->h0s);
    free(tw);
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Breadth-first numbering of the spatial graph (each component from its smallest unvisited
 * vertex) and the CSR renumbered accordingly, neighbour lists ascending. */
static int bfs_order(const cperm_plan *plan, struct cperm_tfce_ws *tw) {
    const size_t V = plan->n_vertices, E = plan->indptr[V];
    int32_t *newof = cperm_malloc(V, sizeof *newof);
    tw->inv = cperm_malloc(V, sizeof *tw->inv);
    tw->indptr = cperm_malloc(V + 1, sizeof *tw->indptr);
    tw->indices = cperm_malloc(E ? E : 1, sizeof *tw->indices);
    if (!newof || !tw->inv || !tw->indptr || !tw->indices) {
        free(newof);
        return CPERM_ENOMEM;
    }
    for (size_t v = 0; v < V; v++) newof[v] = -1;
    size_t n = 0;
    for (size_t s0 = 0; s0 < V; s0++) {
        if (newof[s0] >= 0) continue;
        size_t head = n;
        newof[s0] = (int32_t)n;
        tw->inv[n++] = (int32_t)s0;
        while (head < n) {
            size_t v = (size_t)tw->inv[head++];
            for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++) {
                int32_t u = plan->indices[e];
                if (newof[u] >= 0) continue;
                newof[u] = (int32_t)n;
                tw->inv[n++] = u;
            }
        }
    }
    tw->indptr[0] = 0;
    for (size_t a = 0; a < V; a++) {
        size_t v = (size_t)tw->inv[a], k = tw->indptr[a];
        for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++)
            tw->indices[k++] = newof[plan->indices[e]];
        qsort(tw->indices + tw->indptr[a], k - tw->indptr[a], sizeof *tw->indices, cmp_i32);
        tw->indptr[a + 1] = k;
    }
    free(newof);
    return CPERM_OK;
}

/* Everything but the per-thread workspaces. */
static int ws_base(struct cperm_tfce_ws **out, const cperm_plan *plan) {
    const cperm_options *o = &plan->opt;
    struct cperm_tfce_ws *tw = calloc(1, sizeof *tw);
    *out = tw;
    if (!tw) return CPERM_ENOMEM;
    size_t P = plan->n_points;
    tw->mode = o->tfce;
    tw->stepped = o->tfce != CPERM_TFCE_EXACT;
    /* with one time point MNE takes its global path whatever adjacency it is given */
    tw->per_step = tw->stepped && o->compat == CPERM_COMPAT_MNE13 && o->max_step == 1 &&
                   plan->n_times > 1;
    tw->H = o->tfce_h;
    tw->E = o->tfce_e;
    /* tail -1 runs mirrored: x < th <=> -x > -th, and negation is exact */
    tw->s0 = o->tail < 0 ? -o->tfce_start : o->tfce_start;
    tw->sd = o->tail < 0 ? -o->tfce_step : o->tfce_step;
    tw->d = (tw->s0 + tw->sd) - tw->s0;
    tw->first_bad = SIZE_MAX;
    tw->pe = cperm_malloc(P + 1, sizeof *tw->pe);
    tw->map = cperm_malloc(P ? P : 1, sizeof *tw->map);
    tw->h0s = cperm_malloc(plan->n_orders + 1, sizeof *tw->h0s);
    if (!tw->pe || !tw->map || !tw->h0s) return CPERM_ENOMEM;
    for (size_t s = 0; s <= P; s++) tw->pe[s] = pow((double)s, tw->E);
    if (!tw->per_step && bfs_order(plan, tw)) return CPERM_ENOMEM;
    if (tw->stepped) {
        tw->n_tab = TFCE_TAB;
        tw->thr = cperm_malloc(TFCE_TAB, sizeof *tw->thr);
        tw->w = cperm_malloc(TFCE_TAB, sizeof *tw->w);
        if (!tw->thr || !tw->w) return CPERM_ENOMEM;
        for (size_t i = 0; i < TFCE_TAB; i++) {
            tw->thr[i] = th_calc(tw, i);
            tw->w[i] = weight_calc(tw, i);
            if (i > 0 && tw->first_bad == SIZE_MAX && !(tw->thr[i] > tw->thr[i - 1]))
                tw->first_bad = i;
        }
    }
    return CPERM_OK;
}

int cperm_tfce_create(struct cperm_tfce_ws **out, const cperm_plan *plan) {
    struct cperm_tfce_ws *tw;
    *out = NULL;
    if (ws_base(&tw, plan)) goto nomem;
    size_t nt = (size_t)plan->n_threads;
    if (nt > plan->n_orders) nt = plan->n_orders;
    if (nt < 1) nt = 1;
    tw->th = calloc(nt, sizeof *tw->th);
    if (!tw->th) goto nomem;
    tw->n_threads = nt;
    for (size_t i = 0; i < nt; i++)
        if (thread_init(&tw->th[i], plan->n_points, plan->n_times, tw->per_step,
                        plan->opt.tail == 0, i == 0))
            goto nomem;
    *out = tw;
    return CPERM_OK;
nomem:
    cperm_tfce_free(tw);
    return CPERM_ENOMEM;
}

/* ------------------------------------------------------------- sorting */

/* Sorts the n items (pairs: the bits of a positive double height, which order as the
 * heights do, and a candidate id) by the high 32 bits of the key with a stable LSD radix
 * sort, skipping digits every item shares; returns the buffer holding the result (a or b).
 * Runs of equal high halves are put in exact order afterwards (finish_sort). */
static uint64_t *radix_sort(uint64_t *a, uint64_t *b, size_t n, uint32_t *hist) {
    if (n < 2) return a;
    memset(hist, 0, (size_t)TFCE_RADIX * TFCE_RADIX_PASSES * sizeof *hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[2 * i];
        hist[(k >> 32) & (TFCE_RADIX - 1)]++;
        hist[TFCE_RADIX + ((k >> 43) & (TFCE_RADIX - 1))]++;
        hist[2 * TFCE_RADIX + (k >> 54)]++;
    }
    uint64_t *src = a, *dst = b;
    for (int d = 0; d < TFCE_RADIX_PASSES; d++) {
        uint32_t *h = hist + (size_t)d * TFCE_RADIX;
        const int shift = 32 + d * TFCE_RADIX_BITS;
        if (h[(src[0] >> shift) & (TFCE_RADIX - 1)] == n) continue;
        uint32_t acc = 0;
        for (size_t k = 0; k < TFCE_RADIX; k++) {
            uint32_t c = h[k];
            h[k] = acc;
            acc += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t key = src[2 * i];
            uint32_t at = h[(key >> shift) & (TFCE_RADIX - 1)]++;
            dst[2 * at] = key;
            dst[2 * at + 1] = src[2 * i + 1];
        }
        uint64_t *tmp = src;
        src = dst;
        dst = tmp;
    }
    return src;
}

static inline double height(double x, int tail) {
    return tail > 0 ? x : tail < 0 ? -x : fabs(x);
}

static inline double key_height(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline size_t point_of(const int32_t *inv, size_t V, uint32_t id) {
    size_t q = id & UF_IDX, tq = q / V;
    return tq * V + (size_t)inv[q - tq * V];
}

/* Splits the sorted items into ord (ids) and vals (heights) and sorts each run of equal
 * high halves by the full key (insertion sort: runs are short). */
static void finish_sort(const uint64_t *items, size_t n, uint32_t *ord, double *vals) {
    for (size_t k = 0; k < n; k++) {
        ord[k] = (uint32_t)items[2 * k + 1];
        vals[k] = key_height(items[2 * k]);
    }
    for (size_t k = 1; k < n; k++) {
        if (!(vals[k] < vals[k - 1])) continue;
        double v = vals[k];
        uint32_t id = ord[k];
        size_t m = k;
        while (m > 0 && vals[m - 1] > v) {
            vals[m] = vals[m - 1];
            ord[m] = ord[m - 1];
            m--;
        }
        vals[m] = v;
        ord[m] = id;
    }
}

/* ------------------------------------------------------ component tree */

static inline uint32_t uf_root(uint32_t *par, uint32_t x) {
    for (;;) {
        uint32_t px = par[x] & UF_IDX;
        if (px == x) return x;
        uint32_t g = par[px]; /* the same side: keep its bit */
        par[x] = g;
        x = g & UF_IDX;
    }
}

/* Joins the components of the new point q and a present neighbour j. A component met for
 * the first time in this group has its node ended (queued until the group's nodes exist)
 * and is marked TOUCHED; q's own component always is. */
static inline void uf_link(tfce_thread *w, uint32_t q, uint32_t j, int32_t *pend,
                           size_t *npend) {
    uint32_t *par = w->par;
    tfce_root *ro = w->root;
    uint32_t rj = uf_root(par, j), rq = uf_root(par, q);
    if (rj == rq) return;
    if (ro[rj].node != TOUCHED) {
        if (ro[rj].node >= 0) {
            pend[2 * *npend] = ro[rj].node;
            pend[2 * *npend + 1] = (int32_t)rj;
            (*npend)++;
        }
        ro[rj].node = TOUCHED;
    }
    if (ro[rq].size < ro[rj].size) {
        uint32_t x = rq;
        rq = rj;
        rj = x;
    }
    par[rj] = rq | (par[rj] & UF_SIDE);
    ro[rq].size += ro[rj].size;
}

/* A prefetch the optimiser keeps: GCC deletes loops whose only statements are
 * __builtin_prefetch (they have no side effects), so on x86 it is spelled in asm. */
static inline void prefetch(const void *p) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}

/* Prefetches what adding candidate q will touch: its own entries, its neighbours' parents. */
static inline void prefetch_point(const cperm_plan *plan, const struct cperm_tfce_ws *tw,
                                  const uint32_t *par, const tfce_root *ro, uint32_t q,
                                  uint32_t V) {
    uint32_t p = q & UF_IDX, tq = p / V, vq = p - tq * V;
    const int32_t *nb = tw->indices + tw->indptr[vq], *end = tw->indices + tw->indptr[vq + 1];
    const uint32_t *row = par + (size_t)tq * V;
    for (; nb < end; nb++) prefetch(row + *nb);
    prefetch(par + p);
    prefetch(ro + p);
    if (tq > 0) prefetch(par + p - V);
    if ((size_t)tq + 1 < plan->n_times) prefetch(par + p + V);
}
static inline void prefetch_row(const struct cperm_tfce_ws *tw, uint32_t q, uint32_t V) {
    prefetch(tw->indices + tw->indptr[(q & UF_IDX) % V]);
}

/* Builds the component tree of the n sorted candidates (ascending heights vals, ids ord)
 * and returns the number of nodes. Stepped: groups are threshold levels (L of them); exact:
 * one group per position. Node c: extent nsize, groups nlo..nhi, parent npar (-1: root).
 * pend: scratch of 2n int32. */
static size_t sweep(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                    const uint32_t *ord, const double *vals, size_t n, size_t L, int32_t *pend) {
    const uint32_t V = (uint32_t)plan->n_vertices;
    const size_t T = plan->n_times, ms = plan->opt.max_step;
    const size_t *indptr = tw->indptr;
    const int32_t *indices = tw->indices;
    uint32_t *par = w->par;
    int32_t *leaf = w->leaf;
    size_t nn = 0, lev = L ? L - 1 : 0, k = n;
    for (size_t i = n; i-- > 0 && i + TFCE_PF_ROW >= n;) prefetch_row(tw, ord[i], V);
    for (size_t i = n; i-- > 0 && i + TFCE_PF_NB >= n;) prefetch_point(plan, tw, par, w->root, ord[i], V);
    while (k > 0) {
        size_t hi = k, g;
        if (tw->stepped) {
            double v = vals[k - 1];
            while (!(th_at(tw, lev) < v)) lev--; /* v > th[0]: stops at 0 at the latest */
            double tl = th_at(tw, lev);
            while (k > 0 && vals[k - 1] > tl) k--;
            g = lev;
        } else {
            g = --k;
        }
        const size_t first = nn;
        size_t npend = 0;
        for (size_t pos = hi; pos-- > k;) {
            if (pos >= TFCE_PF_ROW) prefetch_row(tw, ord[pos - TFCE_PF_ROW], V);
            if (pos >= TFCE_PF_NB) prefetch_point(plan, tw, par, w->root, ord[pos - TFCE_PF_NB], V);
            const uint32_t side = ord[pos] & UF_SIDE, q = ord[pos] & UF_IDX;
            const uint32_t tq = q / V, vq = q - tq * V, base = tq * V;
            par[q] = q | side;
            w->root[q].size = 1;
            w->root[q].node = TOUCHED;
            for (size_t e = indptr[vq]; e < indptr[vq + 1]; e++) {
                uint32_t j = base + (uint32_t)indices[e], pj = par[j];
                if (pj != UF_ABSENT && (pj & UF_SIDE) == side) uf_link(w, q, j, pend, &npend);
            }
            for (size_t dt = 1; dt <= ms; dt++) {
                if (dt <= tq) {
                    uint32_t j = q - (uint32_t)dt * V, pj = par[j];
                    if (pj != UF_ABSENT && (pj & UF_SIDE) == side) uf_link(w, q, j, pend, &npend);
                }
                if (tq + dt < T) {
                    uint32_t j = q + (uint32_t)dt * V, pj = par[j];
                    if (pj != UF_ABSENT && (pj & UF_SIDE) == side) uf_link(w, q, j, pend, &npend);
                }
                if (dt >= tq && tq + dt + 1 >= T) break;
            }
        }
        for (size_t pos = k; pos < hi; pos++) {
            uint32_t r = uf_root(par, ord[pos] & UF_IDX);
            if (w->root[r].node < (int32_t)first) { /* TOUCHED, or a node of an earlier group */
                w->nsize[nn] = w->root[r].size;
                w->nhi[nn] = (int32_t)g;
                w->nlo[nn] = 0;
                w->npar[nn] = -1;
                w->root[r].node = (int32_t)nn++;
            }
            if (leaf) leaf[pos] = w->root[r].node;
        }
        for (size_t i = 0; i < npend; i++) {
            int32_t m = pend[2 * i];
            w->npar[m] = w->root[uf_root(par, (uint32_t)pend[2 * i + 1])].node;
            w->nlo[m] = (int32_t)g + 1;
        }
    }
    return nn;
}

/* Antiderivative of h^H. */
static inline double prim(double h, double H) {
    return H == 2.0 ? h * h * h / 3.0 : pow(h, H + 1.0) / (H + 1.0);
}

/* Node values top-down (a parent always has a larger index): the score of a point is the
 * value of its first node. Returns the largest value (0 if no node). */
static double node_values(const struct cperm_tfce_ws *tw, const tfce_thread *w,
                          const double *vals, size_t nn, double *nval) {
    double best = 0.0;
    for (size_t c = nn; c-- > 0;) {
        double x = w->npar[c] >= 0 ? nval[w->npar[c]] : 0.0;
        const double pw = tw->pe[w->nsize[c]];
        if (tw->stepped) {
            /* MNE: scores[c] += h * len**E, lowest threshold first */
            for (size_t i = (size_t)w->nlo[c]; i <= (size_t)w->nhi[c]; i++)
                x += weight_at(tw, i) * pw;
        } else {
            double top = vals[w->nhi[c]];
            double bot = w->nlo[c] > 0 ? vals[w->nlo[c] - 1] : 0.0;
            x += pw * (prim(top, tw->H) - prim(bot, tw->H));
        }
        nval[c] = x;
        if (x > best) best = x;
    }
    return best;
}

/* ----------------------------------------------------------- one map */

/* The mirrored extreme of the finite values (MNE's stop); TFCE_ENOFINITE if none. */
static int map_stop(const double *t, size_t P, int tail, double *stop) {
    double mx = -INFINITY, mn = INFINITY;
    int any = 0;
    for (size_t p = 0; p < P; p++) {
        double x = t[p];
        if (!isfinite(x)) continue;
        any = 1;
        mx = x > mx ? x : mx;
        mn = x < mn ? x : mn;
    }
    if (!any) return TFCE_ENOFINITE;
    *stop = tail > 0 ? mx : tail < 0 ? -mn : (mx > -mn ? mx : -mn);
    return 0;
}

/* Scores of one map on the component tree: all of them into scores (if not NULL; needs
 * w->leaf), the maximum into *best. include: NULL or P flags. Returns 0 or a TFCE_E* code. */
static int map_tree(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                    const double *t, const uint8_t *include, double *scores, double *best) {
    const size_t P = plan->n_points;
    const int tail = plan->opt.tail;
    size_t L = 0;
    double floor_h = 0.0;
    *best = 0.0;
    if (tw->stepped) {
        double stop;
        int rc = map_stop(t, P, tail, &stop);
        if (!rc) rc = n_levels(tw, stop, &L);
        if (rc) return rc;
        floor_h = tw->s0;
    }
    uint64_t *items = w->a;
    size_t n = 0;
    const size_t V = plan->n_vertices;
    if (!tw->stepped || L > 0) {
        for (size_t tq = 0, id = 0; tq < plan->n_times; tq++) {
            const double *row = t + tq * V;
            const uint8_t *inc = include ? include + tq * V : NULL;
            for (size_t a = 0; a < V; a++, id++) {
                const size_t v0 = (size_t)tw->inv[a];
                if (inc && !inc[v0]) continue;
                double x = row[v0], v = height(x, tail);
                if (!(v > floor_h)) continue;
                if (!tw->stepped && isinf(v)) return TFCE_EINF;
                items[2 * n] = val_key(v);
                items[2 * n + 1] = (uint64_t)id | (tail == 0 && x < 0 ? UF_SIDE : 0);
                n++;
            }
        }
    }
    items = radix_sort(items, w->b, n, w->hist);
    finish_sort(items, n, w->ord, w->vals);
    /* items are consumed: a holds the pending list, b the node values */
    int32_t *pend = (int32_t *)(void *)w->a;
    double *nval = (double *)(void *)w->b;
    size_t nn = sweep(plan, tw, w, w->ord, w->vals, n, L, pend);
    *best = node_values(tw, w, w->vals, nn, nval);
    if (scores) {
        for (size_t p = 0; p < P; p++) scores[p] = 0.0;
        for (size_t k = 0; k < n; k++) scores[point_of(tw->inv, V, w->ord[k])] = nval[w->leaf[k]];
    }
    for (size_t k = 0; k < n; k++) w->par[w->ord[k] & UF_IDX] = UF_ABSENT;
    return 0;
}

/* --------------------------------------- MNE 1.3's 1-step list path, sizes only */

static inline int32_t find32(int32_t *par, int32_t x) {
    while (par[x] != x) {
        par[x] = par[par[x]];
        x = par[x];
    }
    return x;
}

/* _reassign on one row's labels: every component of the row labelled x takes label base.
 * l2s maps a label to the set of the row's components carrying it (0: none). */
static void relabel(tfce_thread *w, int r, int32_t base, int32_t x) {
    int32_t *l2s = w->l2s[r];
    int32_t sx = l2s[x];
    if (!sx) return;
    l2s[x] = 0;
    if (!l2s[base]) {
        l2s[base] = sx;
        w->slabel[sx] = base;
        w->tl[r][w->ntl[r]++] = base;
    } else {
        w->spar[sx] = l2s[base];
    }
}

/* _reassign on the cluster lists: clusters[base] += clusters[x]; clusters[x] = []. */
static void concat(tfce_thread *w, int32_t base, int32_t x) {
    int32_t lx = w->lst[x];
    if (lx < 0) return;
    w->lst[x] = -1;
    int32_t lb = w->lst[base];
    if (lb < 0) {
        w->lst[base] = lx;
    } else {
        w->lpar[lx] = lb;
        w->lsize[lb] += w->lsize[lx];
    }
}

static void sort_ints(int32_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        int32_t x = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/* MNE 1.3's _get_clusters_st_1step on the m supra-threshold points pts (ascending flat
 * index; both signs for tail 0, which never interact), reduced to what TFCE needs: the size
 * of the final cluster of every point, into w->csize. Spatial clusters per time are true
 * components, labelled by (time, smallest vertex) as MNE's BFS numbers them; the merge
 * across times then follows MNE step by step: bridge labels are snapshot before the step,
 * _reassign relabels one row only and concatenates lists, so the stale snapshot splits
 * components exactly as MNE does. Rows' labels are kept as sets of components and lists as
 * union-find trees, so that each step costs its bridges, not the whole row. */
static void mne13_sizes(const cperm_plan *plan, tfce_thread *w, const cperm_point *pts,
                        size_t m) {
    const size_t V = plan->n_vertices, T = plan->n_times;
    const int two = plan->opt.tail == 0;
    if (++w->gen13 == 0) {
        memset(w->stamp, 0, plan->n_points * sizeof *w->stamp);
        w->gen13 = 1;
    }
    const uint32_t gen = w->gen13;
    for (size_t k = 0, t = 0; k <= m; k++) {
        size_t tk = k < m ? (size_t)pts[k].idx / V : T;
        while (t <= tk && t <= T) w->row_begin[t++] = k;
        if (k == m) break;
        w->stamp[pts[k].idx] = gen;
        w->posof[pts[k].idx] = (int32_t)k;
        w->ufp[k] = (int32_t)k;
    }
    /* spatial components: union by smallest position, so roots are smallest vertices */
    for (size_t k = 0; k < m; k++) {
        const size_t idx = (size_t)pts[k].idx, t = idx / V, v = idx - t * V;
        const int pos = pts[k].t > 0;
        for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++) {
            size_t u = (size_t)plan->indices[e];
            if (u >= v) break;
            size_t j = t * V + u;
            if (w->stamp[j] != gen) continue;
            int32_t pj = w->posof[j];
            if (two && (pts[pj].t > 0) != pos) continue;
            int32_t a = find32(w->ufp, (int32_t)k), b = find32(w->ufp, pj);
            if (a != b) {
                if (a < b) w->ufp[b] = a;
                else w->ufp[a] = b;
            }
        }
    }
    int32_t nlab = 0;
    for (size_t t = 0; t < T; t++) {
        w->first_lab[t] = nlab + 1;
        for (size_t k = w->row_begin[t]; k < w->row_begin[t + 1]; k++) {
            int32_t r = find32(w->ufp, (int32_t)k);
            if (r == (int32_t)k) {
                w->lab[k] = ++nlab;
                w->lsize[nlab] = 0;
            } else {
                w->lab[k] = w->lab[r];
            }
            w->lsize[w->lab[k]]++;
        }
    }
    w->first_lab[T] = nlab + 1;
    for (int32_t L = 1; L <= nlab; L++) {
        w->lpar[L] = L;
        w->lst[L] = L;
        w->spar[L] = L;
        w->slabel[L] = L;
    }
    w->ntl[0] = w->ntl[1] = 0;
    for (int32_t L = w->first_lab[0]; L < w->first_lab[1]; L++) {
        w->l2s[0][L] = L;
        w->tl[0][w->ntl[0]++] = L;
    }
    for (size_t t = 0; t + 1 < T; t++) {
        const int cur = (int)(t & 1), nxt = 1 - cur;
        const int32_t f1 = w->first_lab[t + 1], R = w->first_lab[t + 2] - f1;
        for (int32_t L = f1; L < f1 + R; L++) {
            w->l2s[nxt][L] = L;
            w->tl[nxt][w->ntl[nxt]++] = L;
        }
        /* bridges (ascending vertex): (num at t+1, snapshot label at t), counted by num */
        size_t np_ = 0;
        for (int32_t r = 0; r <= R; r++) w->cnt[r] = 0;
        for (size_t k = w->row_begin[t]; k < w->row_begin[t + 1]; k++) {
            size_t j = (size_t)pts[k].idx + V;
            if (w->stamp[j] != gen) continue;
            int32_t pj = w->posof[j];
            if (two && (pts[pj].t > 0) != (pts[k].t > 0)) continue;
            w->pairs[2 * np_] = w->lab[pj];
            w->pairs[2 * np_ + 1] = w->slabel[find32(w->spar, w->lab[k])];
            w->cnt[w->lab[pj] - f1 + 1]++;
            np_++;
        }
        for (int32_t r = 0; r < R; r++) w->cnt[r + 1] += w->cnt[r];
        for (size_t i = 0; i < np_; i++)
            w->pairs2[w->cnt[w->pairs[2 * i] - f1]++] = w->pairs[2 * i + 1];
        /* now cnt[r] is the end of num f1 + r's prevs in pairs2 */
        for (int32_t r = 0, b = 0; r < R; r++) {
            int32_t e = w->cnt[r];
            if (e == b) continue;
            int32_t *pv = w->pairs2 + b, num = f1 + r;
            sort_ints(pv, (size_t)(e - b));
            int32_t base = pv[0];
            for (int32_t i = 1; i < e - b; i++) {
                if (pv[i] == pv[i - 1]) continue;
                relabel(w, cur, base, pv[i]);
                concat(w, base, pv[i]);
            }
            relabel(w, nxt, base, num);
            concat(w, base, num);
            b = e;
        }
        for (size_t i = 0; i < w->ntl[cur]; i++) w->l2s[cur][w->tl[cur][i]] = 0;
        w->ntl[cur] = 0;
    }
    for (int r = 0; r < 2; r++) {
        for (size_t i = 0; i < w->ntl[r]; i++) w->l2s[r][w->tl[r][i]] = 0;
        w->ntl[r] = 0;
    }
    for (size_t k = 0; k < m; k++) w->csize[k] = w->lsize[find32(w->lpar, w->lab[k])];
}

/* Scores of one map clustered at every threshold with MNE 1.3's 1-step list path: MNE's
 * own loop, lowest threshold first. */
static int map_per_step(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                        const double *t, const uint8_t *include, double *scores, double *best) {
    const size_t P = plan->n_points;
    const int tail = plan->opt.tail;
    double stop, *score = scores ? scores : w->score;
    size_t L = 0;
    *best = 0.0;
    int rc = map_stop(t, P, tail, &stop);
    if (!rc) rc = n_levels(tw, stop, &L);
    if (rc) return rc;
    for (size_t p = 0; p < P; p++) score[p] = 0.0;
    size_t m = 0;
    if (L > 0)
        for (size_t p = 0; p < P; p++)
            if ((!include || include[p]) && height(t[p], tail) > tw->s0) {
                w->pts[m].idx = (int64_t)p;
                w->pts[m].t = t[p];
                m++;
            }
    for (size_t i = 0; i < L && m > 0; i++) {
        double th = th_at(tw, i);
        size_t keep = 0;
        for (size_t k = 0; k < m; k++)
            if (height(w->pts[k].t, tail) > th) w->pts[keep++] = w->pts[k];
        m = keep;
        if (!m) break;
        mne13_sizes(plan, w, w->pts, m);
        const double h = weight_at(tw, i);
        for (size_t k = 0; k < m; k++) score[w->pts[k].idx] += h * tw->pe[w->csize[k]];
    }
    for (size_t p = 0; p < P; p++) *best = score[p] > *best ? score[p] : *best;
    return 0;
}

static int map_scores(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                      const double *t, const uint8_t *include, double *scores, double *best) {
    if (tw->per_step) return map_per_step(plan, tw, w, t, include, scores, best);
    return map_tree(plan, tw, w, t, include, scores, best);
}

static int map_error(cperm_err *err, int code, const char *what) {
    switch (code) {
    case TFCE_ENOFINITE:
        return cperm_fail(err, CPERM_EINVAL, "tfce: no finite values in the %s statistic", what);
    case TFCE_ENONMONO:
        return cperm_fail(err, CPERM_EINVAL, "tfce: thresholds of the %s statistic are not "
                          "strictly monotonic (step too small for start)", what);
    case TFCE_EINF:
        return cperm_fail(err, CPERM_EINVAL, "tfce: infinite t value in the %s statistic "
                          "(zero variance): the exact integral diverges", what);
    default:
        return cperm_fail(err, CPERM_EUNSUPPORTED, "tfce: more than %.0f thresholds for the %s "
                          "statistic", TFCE_MAX_LEVELS, what);
    }
}

int cperm_tfce_scores(const cperm_plan *plan, const double *stat, double *scores, cperm_err *err) {
    if (!plan || !stat || !scores) return cperm_fail(err, CPERM_EINVAL, "tfce: NULL argument");
    if (plan->opt.tfce == CPERM_TFCE_NONE)
        return cperm_fail(err, CPERM_EINVAL, "tfce: the plan was made without a TFCE mode");
    const size_t P = plan->n_points, V = plan->n_vertices;
    /* a run holds every workspace one map needs */
    cperm_run *run = NULL;
    int rc = cperm_run_create(&run, plan, err);
    if (rc) return rc;
    for (size_t p = 0; p < P; p++) run->include[p] = plan->exclude ? !plan->exclude[p % V] : 1;
    double best;
    rc = map_scores(plan, run->tfce, &run->tfce->th[0], stat, run->include, scores, &best);
    if (rc) rc = map_error(err, rc, "given");
    cperm_run_free(run);
    return rc;
}

/* ------------------------------------------------------- permutations */

/* MNE's t of every point under the signs of one order: per point, S = sum of signed data
 * in subject order, m = S/n, two-pass variance, the hat adjustment ('relative': sigma times
 * the largest variance of this order), t = m / sqrt(var / n). Blocked so that each block of
 * X is read from memory once. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void perm_tmap(const cperm_plan *plan, const double *restrict X,
                      const double *restrict signs, double *restrict t, double *restrict var) {
    const size_t n = plan->n_subjects, P = plan->n_points;
    const double dn = (double)n, dn1 = (double)(n - 1);
    double vmax = 0.0;
    for (size_t p0 = 0; p0 < P; p0 += TFCE_TBLOCK) {
        const size_t bn = P - p0 < TFCE_TBLOCK ? P - p0 : TFCE_TBLOCK;
        double *restrict m = t + p0, *restrict ss = var + p0;
        for (size_t j = 0; j < bn; j++) m[j] = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double sg = signs[i], *restrict x = X + i * P + p0;
            for (size_t j = 0; j < bn; j++) m[j] += sg * x[j];
        }
        for (size_t j = 0; j < bn; j++) {
            m[j] /= dn;
            ss[j] = 0.0;
        }
        for (size_t i = 0; i < n; i++) {
            const double sg = signs[i], *restrict x = X + i * P + p0;
            for (size_t j = 0; j < bn; j++) {
                double d = sg * x[j] - m[j];
                ss[j] += d * d;
            }
        }
        for (size_t j = 0; j < bn; j++) {
            ss[j] /= dn1;
            vmax = ss[j] > vmax ? ss[j] : vmax;
        }
    }
    const double sigma = plan->opt.sigma;
    const double hat = sigma > 0 ? (plan->opt.sigma_method == CPERM_SIGMA_ABSOLUTE ? sigma
                                                                                  : sigma * vmax)
                                 : 0.0;
    for (size_t p = 0; p < P; p++) t[p] = t[p] / sqrt((var[p] + hat) / dn);
}

/* Orders [start, N) of this pass into run->h0[1 + k], in chunks; run->done and the
 * progress callback follow each chunk (checkpoints are taken there). */
static int run_orders(const cperm_plan *plan, cperm_run *run, const double *X, int pass,
                      size_t start, cperm_err *err) {
    struct cperm_tfce_ws *tw = run->tfce;
    const size_t N = plan->n_orders, n = plan->n_subjects;
    const int nthreads = (int)tw->n_threads;
    const size_t chunk = 16 * tw->n_threads;
    if (plan->opt.progress && plan->opt.progress(plan->opt.progress_user, start, N, pass))
        return cperm_fail(err, CPERM_ECANCELLED, "engine: cancelled by the caller");
    for (size_t k0 = start; k0 < N; k0 += chunk) {
        const size_t k1 = N - k0 < chunk ? N : k0 + chunk;
        tw->fail_code = 0;
        tw->fail_order = N;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
        for (size_t k = k0; k < k1; k++) {
            size_t tid = 0;
#ifdef _OPENMP
            tid = (size_t)omp_get_thread_num();
#endif
            tfce_thread *w = &tw->th[tid];
            double best = 0.0;
            perm_tmap(plan, X, plan->signs + k * n, w->t, (double *)(void *)w->a);
            int rc = map_scores(plan, tw, w, w->t, run->include, NULL, &best);
            run->h0[1 + k] = best;
            if (rc) {
#pragma omp critical(cperm_tfce_fail)
                if (k < tw->fail_order) {
                    tw->fail_order = k;
                    tw->fail_code = rc;
                }
            }
        }
        if (tw->fail_code) {
            char what[64];
            snprintf(what, sizeof what, "permutation %zu", tw->fail_order + 1);
            return map_error(err, tw->fail_code, what);
        }
        run->done = k1;
        if (plan->opt.progress && plan->opt.progress(plan->opt.progress_user, k1, N, pass))
            return cperm_fail(err, CPERM_ECANCELLED, "engine: cancelled by the caller");
    }
    return CPERM_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Per-point p-values from H0 with binary searches on a sorted copy: count(H0 >= s) / len,
 * or count(H0 <= s) / len for MNE 1.3's tail -1 (its inverted p-values). */
static void point_pvalues(const cperm_plan *plan, cperm_run *run, int inverted) {
    struct cperm_tfce_ws *tw = run->tfce;
    const size_t nh = plan->n_orders + 1, P = plan->n_points;
    memcpy(tw->h0s, run->h0, nh * sizeof *tw->h0s);
    qsort(tw->h0s, nh, sizeof *tw->h0s, cmp_double);
    for (size_t p = 0; p < P; p++) {
        const double s = run->obs.stats[p];
        size_t lo = 0, hi = nh;
        if (inverted) { /* first index with h0s > s */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (tw->h0s[mid] <= s) lo = mid + 1; else hi = mid;
            }
            run->pvalues[p] = (double)lo / (double)nh;
        } else { /* first index with h0s >= s */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (tw->h0s[mid] < s) lo = mid + 1; else hi = mid;
            }
            run->pvalues[p] = (double)(nh - lo) / (double)nh;
        }
    }
}

int cperm_tfce_execute(const cperm_plan *plan, const double *X, cperm_run *run, int resume,
                       cperm_err *err) {
    struct cperm_tfce_ws *tw = run->tfce;
    const size_t n = plan->n_subjects, P = plan->n_points, V = plan->n_vertices;
    const int inverted = tw->mode == CPERM_TFCE_MNE13 && plan->opt.tail < 0;
    /* run->pvalues doubles as the variance scratch until p-values are computed */
    cperm_tstat_observed(X, n, P, plan->opt.sigma, plan->opt.sigma_method, run->tobs,
                         run->sumsq, run->pvalues);
    for (size_t p = 0; p < P; p++) run->include[p] = plan->exclude ? !plan->exclude[p % V] : 1;
    double *scores = run->obs.stats, best;
    int rc = map_scores(plan, tw, &tw->th[0], run->tobs, run->include, scores, &best);
    if (rc) return map_error(err, rc, "observed");
    /* every point is its own "cluster", as MNE returns them */
    run->obs.n_clusters = P;
    for (size_t p = 0; p <= P; p++) run->obs.offsets[p] = p;
    for (size_t p = 0; p < P; p++) {
        run->obs.members[p] = (int64_t)p;
        double x = run->tobs[p];
        double sg = x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; /* np.sign */
        tw->map[p] = scores[p] * sg;
    }
    run->have_observed = 1;
    double orig = scores[0];
    for (size_t p = 1; p < P; p++)
        orig = inverted ? (scores[p] < orig ? scores[p] : orig) : (scores[p] > orig ? scores[p] : orig);
    /* step-down-in-jumps over points; run->removed lists the excluded points (checkpoints) */
    if (!resume) run->n_removed = 0;
    for (size_t r = 0; r < run->n_removed; r++)
        if (run->removed[r] >= P)
            return cperm_fail(err, CPERM_EMISMATCH, "checkpoint: names point %zu of %zu",
                              run->removed[r], P);
    int pass = resume ? run->pass : 0;
    size_t start = resume ? run->done : 0;
    for (;;) {
        for (size_t p = 0; p < P; p++) run->include[p] = plan->exclude ? !plan->exclude[p % V] : 1;
        for (size_t r = 0; r < run->n_removed; r++) run->include[run->removed[r]] = 0;
        run->pass = pass;
        run->done = start;
        rc = run_orders(plan, run, X, pass, start, err);
        run->n_executed += run->done - start; /* the chunks it finished, also when it fails */
        if (rc) return rc;
        run->h0[0] = orig;
        point_pvalues(plan, run, inverted);
        size_t total_removed = run->n_removed, removed = 0;
        for (size_t p = 0; p < P; p++)
            if (run->pvalues[p] < plan->opt.step_down_p) run->removed[removed++] = p;
        run->n_removed = removed;
        run->n_step_downs = (size_t)pass + 1;
        /* points newly excluded, as MNE counts its one-point "clusters" */
        run->pass_removed[pass] = removed > total_removed ? removed - total_removed : 0;
        if (removed <= total_removed) break;
        pass++;
        start = 0;
    }
    run->have_result = 1;
    return CPERM_OK;
}

/* ------------------------------------------------------------ accessors */

const double *cperm_run_tfce_map(const cperm_run *run) {
    return run && run->have_result && run->tfce ? run->tfce->map : NULL;
}

const double *cperm_run_tfce_pvalues(const cperm_run *run) {
    return run && run->have_result && run->tfce ? run->pvalues : NULL;
}
