/* tfce_tree.c - TFCE scores of one map on a component tree: the candidate points (height
 * v > the first threshold; v = t, -t or |t| by tail) are sorted by height and added from the
 * top with union-find. Points are added in groups: every point alone (exact mode) or all the
 * points of one threshold level (stepped modes). After a group, every component the group
 * touched gets a new tree node; the nodes it replaced end there and hang under it. A node
 * thus stands for one component whose extent is constant over a range of groups, and a
 * point's score is a sum along the path from the point's first node down to the root:
 * computed top-down in one pass over the nodes, in the order MNE accumulates (lowest
 * threshold first), so stepped scores are bit-identical to a full clustering per threshold.
 * Cost: one sort, near-linear merging, and the sum of the node lifetimes in levels (at most
 * the clustering work of the per-step method, usually far less). */
#include "tfce_internal.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------- sorting */

/* The items are pairs: a candidate id (low 32 bits; the key goes above it) and the bits of
 * its positive height, which order as the heights do. The key is the height's high 32 bits
 * less the lowest height's, shifted right just enough to fit two 11-bit digits when that
 * costs at most 3 bits (heights within 2^-17 of each other may then share a key; typical
 * maps span 20 binary orders and need 25 bits); otherwise all 32 bits, in three digits.
 * A stable LSD radix sort on the key, skipping digits every item shares; its last pass
 * scatters straight into ord (ids) and vals (heights), and each run of equal keys is then
 * put in exact order by height (insertion sort: runs are short). */
static void radix_sort(uint64_t *a, uint64_t *b, size_t n, double hmin, double hmax,
                       uint32_t *hist, uint32_t *ord, double *vals) {
    const uint32_t base = n ? (uint32_t)(val_key(hmin) >> 32) : 0;
    const uint32_t range = n ? (uint32_t)(val_key(hmax) >> 32) - base : 0;
    const int width = range ? 32 - __builtin_clz(range) : 0;
    const int passes = width <= 2 * TFCE_RADIX_BITS + 3 ? 2 : 3;
    const int shift = passes == 2 && width > 2 * TFCE_RADIX_BITS ? width - 2 * TFCE_RADIX_BITS : 0;
    memset(hist, 0, (size_t)TFCE_RADIX * TFCE_RADIX_PASSES * sizeof *hist);
    for (size_t i = 0; i < n; i++) {
        const uint32_t k = ((uint32_t)(a[2 * i + 1] >> 32) - base) >> shift;
        a[2 * i] = (uint64_t)k << 32 | (uint32_t)a[2 * i];
        hist[k & (TFCE_RADIX - 1)]++;
        hist[TFCE_RADIX + ((k >> TFCE_RADIX_BITS) & (TFCE_RADIX - 1))]++;
        hist[2 * TFCE_RADIX + (k >> (2 * TFCE_RADIX_BITS))]++;
    }
    int used[TFCE_RADIX_PASSES], last = -1;
    for (int d = 0; d < passes; d++) {
        const int sh = 32 + d * TFCE_RADIX_BITS;
        used[d] = n > 0 && hist[(size_t)d * TFCE_RADIX + ((a[0] >> sh) & (TFCE_RADIX - 1))] != n;
        if (used[d]) last = d;
    }
    uint64_t *src = a, *dst = b;
    for (int d = 0; d <= last; d++) {
        if (!used[d]) continue;
        uint32_t *h = hist + (size_t)d * TFCE_RADIX;
        const int sh = 32 + d * TFCE_RADIX_BITS;
        uint32_t acc = 0;
        for (size_t k = 0; k < TFCE_RADIX; k++) {
            uint32_t c = h[k];
            h[k] = acc;
            acc += c;
        }
        if (d == last) {
            for (size_t i = 0; i < n; i++) {
                const uint64_t w0 = src[2 * i];
                const uint32_t at = h[(w0 >> sh) & (TFCE_RADIX - 1)]++;
                ord[at] = (uint32_t)w0;
                memcpy(vals + at, src + 2 * i + 1, sizeof *vals);
            }
            break;
        }
        for (size_t i = 0; i < n; i++) {
            const uint64_t w0 = src[2 * i];
            const uint32_t at = h[(w0 >> sh) & (TFCE_RADIX - 1)]++;
            dst[2 * at] = w0;
            dst[2 * at + 1] = src[2 * i + 1];
        }
        uint64_t *tmp = src;
        src = dst;
        dst = tmp;
    }
    if (last < 0)
        for (size_t k = 0; k < n; k++) {
            ord[k] = (uint32_t)src[2 * k];
            memcpy(vals + k, src + 2 * k + 1, sizeof *vals);
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

static inline size_t point_of(const int32_t *inv, size_t V, uint32_t id) {
    size_t q = id & UF_IDX, tq = q / V;
    return tq * V + (size_t)inv[q - tq * V];
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

/* Prefetches what adding candidate q will touch: its own word, its neighbours' (the
 * neighbour lists as tfce_neighbours gives them); and, a stage earlier, its list. */
static inline __attribute__((always_inline)) void
prefetch_point(const cperm_plan *plan, const struct cperm_tfce_ws *tw, const uint32_t *par,
               uint32_t q, uint32_t V, int fixed) {
    const uint32_t p = q & UF_IDX, tq = time_of(tw, p), vq = p - tq * V;
    size_t len;
    const int32_t *nb = tfce_neighbours(tw, vq, fixed, &len);
    const uint32_t *row = par + (size_t)tq * V;
    for (size_t e = 0; e < len; e++) prefetch(row + nb[e]);
    prefetch(par + p);
    prefetch(par + (tq > 0 ? p - V : p)); /* selects, not branches */
    prefetch(par + ((size_t)tq + 1 < plan->n_times ? p + V : p));
}
static inline __attribute__((always_inline)) void
prefetch_row(const struct cperm_tfce_ws *tw, uint32_t q, uint32_t V, int fixed) {
    const uint32_t p = q & UF_IDX;
    size_t len;
    prefetch(tfce_neighbours(tw, p - time_of(tw, p) * V, fixed, &len));
}

/* Builds the component tree of the n sorted candidates (ascending heights vals, ids ord)
 * and returns the number of nodes. Stepped: groups are threshold levels (L of them); exact:
 * one group per position. Node c: extent nsize, groups nlo..nhi, parent npar (-1: root).
 * pend: scratch of 2n int32. */
static size_t sweep(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                    const uint32_t *ord, const double *vals, size_t n, size_t L, int32_t *pend) {
    const uint32_t V = (uint32_t)plan->n_vertices;
    const size_t T = plan->n_times, ms = plan->opt.max_step;
    uint32_t *par = w->par;
    int32_t *leaf = w->leaf;
    size_t nn = 0, lev = L ? L - 1 : 0, k = n;
    for (size_t i = n; i-- > 0 && i + TFCE_PF_ROW >= n;) prefetch_row(tw, ord[i], V, 0);
    for (size_t i = n; i-- > 0 && i + TFCE_PF_NB >= n;) {
        prefetch_point(plan, tw, par, ord[i], V, 0);
        prefetch(w->root + (ord[i] & UF_IDX));
    }
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
            if (pos >= TFCE_PF_ROW) prefetch_row(tw, ord[pos - TFCE_PF_ROW], V, 0);
            if (pos >= TFCE_PF_NB) {
                prefetch_point(plan, tw, par, ord[pos - TFCE_PF_NB], V, 0);
                prefetch(w->root + (ord[pos - TFCE_PF_NB] & UF_IDX));
            }
            const uint32_t side = ord[pos] & UF_SIDE, q = ord[pos] & UF_IDX;
            const uint32_t tq = time_of(tw, q), vq = q - tq * V, base = tq * V;
            par[q] = q | side;
            w->root[q].size = 1;
            w->root[q].node = TOUCHED;
            /* joinable neighbours listed without a branch each, as in sweep_exact */
            uint32_t jl[TFCE_JOIN_LIST];
            size_t m = 0;
#define TFCE_LIST(jj)                                                                         \
    do {                                                                                    \
        const uint32_t j_ = (jj);                                                           \
        jl[m] = j_;                                                                         \
        m += (par[j_] ^ side) < UF_IDX;                                                     \
        if (m == TFCE_JOIN_LIST) {                                                          \
            for (size_t i_ = 0; i_ < m; i_++) uf_link(w, q, jl[i_], pend, &npend);          \
            m = 0;                                                                          \
        }                                                                                   \
    } while (0)
            size_t n_nb;
            const int32_t *nb = tfce_neighbours(tw, vq, 0, &n_nb);
            for (size_t e = 0; e < n_nb; e++) TFCE_LIST(base + (uint32_t)nb[e]);
            for (size_t dt = 1; dt <= ms; dt++) {
                if (dt <= tq) TFCE_LIST(q - (uint32_t)dt * V);
                if (tq + dt < T) TFCE_LIST(q + (uint32_t)dt * V);
                if (dt >= tq && tq + dt + 1 >= T) break;
            }
#undef TFCE_LIST
            for (size_t i = 0; i < m; i++) uf_link(w, q, jl[i], pend, &npend);
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

/* Exact mode: every point is its own group, so the group at position pos (descending) makes
 * exactly one node, c = n - 1 - pos, and a node's levels are implicit (nhi = its position,
 * nlo - 1 = its parent's). The point's neighbouring components are merged into it at once
 * (each old node ends under c), with no pending list and no second pass over the group.
 * A root's parent word holds its current node instead of itself (UF_ROOT set), and a node
 * holds its extent and parent together: a union then reads the root word the find ended on
 * and one node, where a separate root record would cost a third random access. */
static inline uint32_t exact_root(uint32_t *par, uint32_t x, uint32_t *word) {
    uint32_t px = par[x];
    while (!(px & UF_ROOT)) {
        const uint32_t p = px & UF_PIDX, gp = par[p];
        if (gp & UF_ROOT) {
            *word = gp;
            return p;
        }
        par[x] = gp; /* path halving: a non-root word, the same side */
        x = gp & UF_PIDX;
        px = par[x];
    }
    *word = px;
    return x;
}

static inline void exact_join(uint32_t *par, tfce_node *node, uint32_t j, uint32_t side,
                              int32_t c, uint32_t *cur, int32_t *cs, int32_t *sum) {
    /* the usual case: j hangs right under it (a root word has UF_ROOT, which cur lacks) */
    if ((par[j] & (UF_ROOT | UF_PIDX)) == *cur) return;
    uint32_t word, r = exact_root(par, j, &word);
    if (r == *cur) return;
    tfce_node *nd = node + (word & UF_PIDX);
    const int32_t size = nd->size;
    nd->par = c;
    *sum += size;
    if (*cur == UF_ABSENT) {
        *cur = r;
        *cs = size;
    } else if (size > *cs) {
        par[*cur] = r | side;
        *cur = r;
        *cs = size;
    } else {
        par[r] = *cur | side;
    }
}

/* The exact sweep reads a vertex's neighbours from the padded table tw->nbr (tw->deg per
 * vertex, padded with the vertex itself, whose point is never present when it is read: one
 * address computed from the vertex, no row pointer to wait for) where bfs_order built one,
 * else from the CSR; sweep_exact instantiates sweep_exact_body for each layout
 * (tfce_neighbours), degree 6 (icosahedral meshes) with the degree a constant, and on a
 * padded table with max_step 1 (step1) a body whose list never overflows. */
_Static_assert(TFCE_JOIN_LIST >= TFCE_PAD_DEG + 2, "a padded vertex's list must fit");
static inline __attribute__((always_inline)) void
sweep_exact_body(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                 const uint32_t *ord, size_t n, size_t hi, size_t lo, int fixed, int step1) {
    const uint32_t V = (uint32_t)plan->n_vertices;
    const size_t T = plan->n_times, ms = plan->opt.max_step;
    uint32_t *par = w->par;
    tfce_node *node = w->node;
    for (size_t i = hi; i-- > lo && i + TFCE_PF_ROW >= hi;) prefetch_row(tw, ord[i], V, fixed);
    for (size_t i = hi; i-- > lo && i + TFCE_PF_NB >= hi;)
        prefetch_point(plan, tw, par, ord[i], V, fixed);
    for (size_t pos = hi; pos-- > lo;) {
        if (pos >= TFCE_PF_ROW) prefetch_row(tw, ord[pos - TFCE_PF_ROW], V, fixed);
        if (pos >= TFCE_PF_NB) prefetch_point(plan, tw, par, ord[pos - TFCE_PF_NB], V, fixed);
        const int32_t c = (int32_t)(n - 1 - pos);
        const uint32_t side = ord[pos] & UF_SIDE, q = ord[pos] & UF_IDX;
        const uint32_t tq = time_of(tw, q), vq = q - tq * V, base = tq * V;
        uint32_t cur = UF_ABSENT, jl[TFCE_JOIN_LIST];
        int32_t cs = 0, sum = 1;
        size_t m = 0;
        /* joinable neighbours (present, the same side: par ^ side is then below UF_IDX) are
         * listed without a branch on each: those tests are coin flips. */
#define TFCE_LIST(jj)                                                                         \
    do {                                                                                    \
        const uint32_t j_ = (jj);                                                           \
        jl[m] = j_;                                                                         \
        m += (par[j_] ^ side) < UF_IDX;                                                     \
        if (m == TFCE_JOIN_LIST) {                                                          \
            for (size_t i_ = 0; i_ < m; i_++)                                               \
                exact_join(par, node, jl[i_], side, c, &cur, &cs, &sum);                    \
            m = 0;                                                                          \
        }                                                                                   \
    } while (0)
        size_t n_nb;
        const int32_t *nb = tfce_neighbours(tw, vq, fixed, &n_nb);
        if (step1) {
            /* at most the padded degree + 2 listed, which jl holds: no overflow check; a
             * missing time neighbour is q itself, never present before q is added */
            for (size_t e = 0; e < n_nb; e++) {
                const uint32_t j_ = base + (uint32_t)nb[e];
                jl[m] = j_;
                m += (par[j_] ^ side) < UF_IDX;
            }
            const uint32_t jd = tq > 0 ? q - V : q, ju = (size_t)tq + 1 < T ? q + V : q;
            jl[m] = jd;
            m += (par[jd] ^ side) < UF_IDX;
            jl[m] = ju;
            m += (par[ju] ^ side) < UF_IDX;
        } else {
            for (size_t e = 0; e < n_nb; e++) TFCE_LIST(base + (uint32_t)nb[e]);
            for (size_t dt = 1; dt <= ms; dt++) {
                if (dt <= tq) TFCE_LIST(q - (uint32_t)dt * V);
                if (tq + dt < T) TFCE_LIST(q + (uint32_t)dt * V);
                if (dt >= tq && tq + dt + 1 >= T) break;
            }
        }
#undef TFCE_LIST
        size_t i0 = 0;
        if (m && cur == UF_ABSENT) { /* the first component met: no compare with cur */
            uint32_t word;
            cur = exact_root(par, jl[0], &word);
            tfce_node *nd = node + (word & UF_PIDX);
            cs = nd->size;
            nd->par = c;
            sum += cs;
            i0 = 1;
        }
        for (size_t i = i0; i < m; i++) exact_join(par, node, jl[i], side, c, &cur, &cs, &sum);
        if (cur == UF_ABSENT) cur = q;
        else par[q] = cur | side;
        par[cur] = side | UF_ROOT | (uint32_t)c;
        node[c].size = sum;
        node[c].par = -1;
    }
}

static void sweep_exact(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                        const uint32_t *ord, size_t n, size_t hi, size_t lo) {
    const int step1 = plan->opt.max_step == 1;
    if (tw->nbr && tw->deg == 6 && step1) sweep_exact_body(plan, tw, w, ord, n, hi, lo, 6, 1);
    else if (tw->nbr && tw->deg == 6) sweep_exact_body(plan, tw, w, ord, n, hi, lo, 6, 0);
    else if (tw->nbr && step1) sweep_exact_body(plan, tw, w, ord, n, hi, lo, 1, 1);
    else if (tw->nbr) sweep_exact_body(plan, tw, w, ord, n, hi, lo, 1, 0);
    else sweep_exact_body(plan, tw, w, ord, n, hi, lo, 0, 0);
}

/* ------------------------------------------- threshold clusters (tfce_also) */

/* Between the sweep's positions above the cluster-forming threshold and those below it the
 * union-find components are exactly the threshold clusters (true components, one side each):
 * candidates ord[nb..n) (heights above the mirrored threshold), their roots' extents in
 * the nodes of the root words (sweep_exact). Scratch: w->a (4P uint32) and w->b (2P
 * doubles), free during the sweep.
 * A permuted map: the statistics of largest magnitude into out->best (the positive one on a
 * tie, first in MNE's sign-major order). The observed map (out->obs): the clusters in the
 * default mode's order with np.sum's masses (or running sums: sequential_sums). */
static inline double signed_t(double v, uint32_t side, int tail) {
    return tail < 0 || side ? -v : v;
}
static inline void keep_best(double *best, double s) {
    if (fabs(s) > fabs(*best) || (fabs(s) == fabs(*best) && s > *best)) *best = s;
}
static void also_clusters(const cperm_plan *plan, const struct cperm_tfce_ws *tw,
                          tfce_thread *w, const double *t, size_t nb, size_t n,
                          tfce_also_out *out) {
    const size_t P = plan->n_points, V = plan->n_vertices, m = n - nb;
    const int tail = plan->opt.tail;
    const double tp = plan->opt.t_power;
    const unsigned what = out->what;
    uint32_t *par = w->par, *ra = (uint32_t *)(void *)w->a;
    double *acc = (double *)(void *)w->b;
    const uint32_t *ord = w->ord + nb;
    const double *vals = w->vals + nb;
    for (size_t i = 0; i < m; i++) {
        uint32_t word;
        const uint32_t r = exact_root(par, ord[i] & UF_IDX, &word);
        ra[i] = r;
        acc[r] = 0.0;
    }
    if (!out->obs) {
        double best[2] = {0.0, 0.0};
        if (what & CPERM_ALSO_MASS)
            for (size_t i = 0; i < m; i++)
                acc[ra[i]] += cperm_powered(signed_t(vals[i], ord[i] & UF_SIDE, tail), tp);
        for (size_t i = 0; i < m; i++) {
            const uint32_t r = ra[i];
            if (r != (ord[i] & UF_IDX)) continue; /* each cluster once, at its root */
            const int neg = tail < 0 || (ord[i] & UF_SIDE);
            if (what & CPERM_ALSO_MASS) keep_best(&best[0], acc[r]);
            if (what & CPERM_ALSO_EXTENT) {
                const double sz = (double)w->node[par[r] & UF_PIDX].size;
                keep_best(&best[1], neg ? -sz : sz);
            }
        }
        out->best[0] = best[0];
        out->best[1] = best[1];
        return;
    }
    /* observed: flat point -> root, then labels by sign and smallest flat index */
    cperm_also *a = out->obs;
    int32_t *rootof = (int32_t *)(void *)(ra + P), *label = rootof + P;
    uint32_t *cursor = (uint32_t *)(void *)(label + P);
    for (size_t p = 0; p < P; p++) rootof[p] = -1;
    for (size_t i = 0; i < m; i++) {
        rootof[point_of(tw->inv, V, ord[i])] = (int32_t)ra[i];
        label[ra[i]] = -1;
    }
    size_t C = 0;
    for (int sg = 1; sg >= -1; sg -= 2)
        for (size_t p = 0; p < P; p++) {
            const int32_t r = rootof[p];
            if (r < 0 || (sg > 0) != (t[p] > 0)) continue;
            if (label[r] < 0) {
                label[r] = (int32_t)C;
                cursor[C++] = 0;
            }
            cursor[label[r]]++;
        }
    a->obs.n_clusters = C;
    a->obs.offsets[0] = 0;
    for (size_t c = 0; c < C; c++) {
        a->obs.offsets[c + 1] = a->obs.offsets[c] + cursor[c];
        cursor[c] = (uint32_t)a->obs.offsets[c];
    }
    for (int sg = 1; sg >= -1; sg -= 2)
        for (size_t p = 0; p < P; p++) {
            const int32_t r = rootof[p];
            if (r < 0 || (sg > 0) != (t[p] > 0)) continue;
            a->obs.members[cursor[label[r]]++] = (int64_t)p;
        }
    for (size_t c = 0; c < C; c++) {
        const size_t b0 = a->obs.offsets[c], b1 = a->obs.offsets[c + 1];
        const int64_t *mem = a->obs.members + b0;
        if (what & CPERM_ALSO_MASS) {
            for (size_t k = 0; k < b1 - b0; k++) acc[k] = cperm_powered(t[mem[k]], tp);
            double sum = 0.0;
            if (plan->opt.sequential_sums)
                for (size_t k = 0; k < b1 - b0; k++) sum += acc[k];
            else
                sum = cperm_np_sum(acc, b1 - b0);
            a->stats[0][c] = sum;
        }
        if (what & CPERM_ALSO_EXTENT) {
            const double sz = (double)(b1 - b0);
            a->stats[1][c] = t[mem[0]] > 0 ? sz : -sz;
        }
    }
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

/* Node values of the exact tree (sweep_exact), with the arithmetic of node_values: node c's
 * levels run from its parent's height (0 at a root) to its own, vals[n - 1 - c]. nv holds
 * each node's value and the antiderivative at its height, read together by its children. */
typedef struct tfce_nv {
    double val, prim;
} tfce_nv;
static double node_values_exact(const struct cperm_tfce_ws *tw, const tfce_thread *w,
                                const double *vals, size_t n, tfce_nv *nv) {
    double best = 0.0;
    const double H = tw->H;
    const double p0 = prim(0.0, H);
    for (size_t c = n; c-- > 0;) {
        const int32_t m = w->node[c].par;
        double x = 0.0, bot = p0;
        if (m >= 0) {
            x = nv[m].val;
            bot = nv[m].prim;
        }
        const double top = prim(vals[n - 1 - c], H);
        x += tw->pe[w->node[c].size] * (top - bot);
        nv[c].val = x;
        nv[c].prim = top;
        if (x > best) best = x;
    }
    return best;
}

/* Scores of one map on the component tree (tfce_internal.h). */
int cperm_tfce_map_tree(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                        const double *t, const uint8_t *include, double *scores, double *best,
                        tfce_also_out *also) {
    const size_t P = plan->n_points;
    const int tail = plan->opt.tail;
    size_t L = 0;
    double floor_h = 0.0;
    *best = 0.0;
    if (tw->stepped) {
        double stop;
        int rc = cperm_tfce_map_stop(t, P, tail, &stop);
        if (!rc) rc = cperm_tfce_n_levels(tw, stop, &L);
        if (rc) return rc;
        floor_h = tw->s0;
    }
    uint64_t *items = w->a;
    size_t n = 0;
    const size_t V = plan->n_vertices;
    double hmin = INFINITY, hmax = 0.0;
    if (!tw->stepped || L > 0) {
        /* the map is read in its own order; ids are breadth-first (fwd) */
        for (size_t tq = 0; tq < plan->n_times; tq++) {
            const double *row = t + tq * V;
            const uint8_t *inc = include ? include + tq * V : NULL;
            const uint32_t base = (uint32_t)(tq * V);
            for (size_t v0 = 0; v0 < V; v0++) {
                if (inc && !inc[v0]) continue;
                double x = row[v0], v = height(x, tail);
                if (!(v > floor_h)) continue;
                if (!tw->stepped && isinf(v)) return TFCE_EINF;
                items[2 * n] = (base + (uint32_t)tw->fwd[v0]) | (tail == 0 && x < 0 ? UF_SIDE : 0);
                items[2 * n + 1] = val_key(v);
                hmin = v < hmin ? v : hmin;
                hmax = v > hmax ? v : hmax;
                n++;
            }
        }
    }
    radix_sort(items, w->b, n, hmin, hmax, w->hist, w->ord, w->vals);
    /* items are consumed: a holds the pending list, b the node values */
    int32_t *pend = (int32_t *)(void *)w->a;
    double *nval = (double *)(void *)w->b;
    if (!tw->stepped) {
        tfce_nv *nv = (tfce_nv *)(void *)w->b;
        if (also && also->what) {
            /* the candidates above the cluster-forming threshold first, then their clusters */
            const double hthr = tail < 0 ? -plan->threshold : plan->threshold;
            size_t lo = 0, hi = n;
            while (lo < hi) { /* first position with a height above hthr */
                const size_t mid = lo + (hi - lo) / 2;
                if (w->vals[mid] > hthr) hi = mid; else lo = mid + 1;
            }
            sweep_exact(plan, tw, w, w->ord, n, n, lo);
            also_clusters(plan, tw, w, t, lo, n, also);
            sweep_exact(plan, tw, w, w->ord, n, lo, 0);
        } else {
            sweep_exact(plan, tw, w, w->ord, n, n, 0);
        }
        *best = node_values_exact(tw, w, w->vals, n, nv);
        if (scores) {
            for (size_t p = 0; p < P; p++) scores[p] = 0.0;
            for (size_t k = 0; k < n; k++)
                scores[point_of(tw->inv, V, w->ord[k])] = nv[n - 1 - k].val;
        }
    } else {
        size_t nn = sweep(plan, tw, w, w->ord, w->vals, n, L, pend);
        *best = node_values(tw, w, w->vals, nn, nval);
        if (scores) {
            for (size_t p = 0; p < P; p++) scores[p] = 0.0;
            for (size_t k = 0; k < n; k++)
                scores[point_of(tw->inv, V, w->ord[k])] = nval[w->leaf[k]];
        }
    }
    if (n > P / 8) /* a fill streams; the candidates' own entries are scattered */
        memset(w->par, 0xFF, P * sizeof *w->par);
    else
        for (size_t k = 0; k < n; k++) w->par[w->ord[k] & UF_IDX] = UF_ABSENT;
    return 0;
}
