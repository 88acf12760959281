/* tfce_mne13.c - TFCE scores of one map the way MNE 1.3's list path computes them for
 * max_step 1: clustered at every threshold with its 1-step merge across time, whose stale
 * snapshot splits some components (the quirk clusters.c reproduces for cluster mass), so that
 * the stepped modes with compat mne1.3 are bit-identical to MNE 1.3 given spatial adjacency
 * only.
 *
 * MNE reclusters every point at every threshold. Here the thresholds are visited once, from
 * the highest down, while each time's spatial components grow by union-find (they are true
 * components: only the merge across time is quirky). At each threshold MNE's merge is then
 * replayed on the components and the distinct component pairs the time bridges join, which
 * are far fewer than the points; each component becomes a node carrying MNE's increment for
 * its points at that threshold, linked to the component that contains it one threshold down.
 * A last pass adds the increments root to leaf, lowest threshold first, as MNE's loop adds
 * them, so every score is MNE's sum bit for bit. */
#include "tfce_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ workspace */

void cperm_tfce_steps_free(tfce_steps *s) {
    int32_t **a[] = {&s->uf, &s->croot, &s->clab, &s->cnode, &s->fsize, &s->rows,
                     &s->bridges, &s->link_node, &s->link_root, &s->leaf, &s->bnum, &s->bla,
                     &s->bends, &s->order, &s->prev, &s->lpar, &s->lsize, &s->lst, &s->spar,
                     &s->slabel, &s->l2s[0], &s->l2s[1], &s->tl[0], &s->tl[1], &s->cnt,
                     &s->mark, &s->npar, &s->first_lab};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) free(*a[i]);
    free(s->stamp); free(s->items); free(s->items_tmp); free(s->nval);
    free(s->n_rows); free(s->n_old); free(s->n_bridges);
    memset(s, 0, sizeof *s);
}

int cperm_tfce_steps_init(tfce_steps *s, size_t P, size_t T) {
    memset(s, 0, sizeof *s);
    const size_t c = P ? P : 1, nl = c + 2;
    int32_t **pa[] = {&s->uf, &s->clab, &s->cnode, &s->fsize, &s->rows,
                      &s->link_node, &s->link_root, &s->leaf, &s->bnum, &s->bla, &s->order,
                      &s->prev, &s->npar};
    int32_t **la[] = {&s->lpar, &s->lsize, &s->lst, &s->spar, &s->slabel, &s->l2s[0],
                      &s->l2s[1], &s->tl[0], &s->tl[1], &s->cnt, &s->mark};
    for (size_t i = 0; i < sizeof pa / sizeof pa[0]; i++)
        if (!(*pa[i] = cperm_malloc(c, sizeof(int32_t)))) goto nomem;
    for (size_t i = 0; i < sizeof la / sizeof la[0]; i++)
        if (!(*la[i] = cperm_calloc(nl, sizeof(int32_t)))) goto nomem;
    s->croot = cperm_malloc(2 * c, sizeof *s->croot);
    s->bridges = cperm_malloc(2 * c, sizeof *s->bridges);
    s->bends = cperm_malloc(2 * c, sizeof *s->bends);
    s->stamp = cperm_calloc(c, sizeof *s->stamp);
    s->items = cperm_malloc(c, sizeof *s->items);
    s->items_tmp = cperm_malloc(c, sizeof *s->items_tmp);
    s->nval = cperm_malloc(c, sizeof *s->nval);
    s->node_cap = c;
    s->first_lab = cperm_malloc(T + 1, sizeof *s->first_lab);
    s->n_rows = cperm_malloc(T, sizeof *s->n_rows);
    s->n_old = cperm_malloc(T, sizeof *s->n_old);
    s->n_bridges = cperm_malloc(T, sizeof *s->n_bridges);
    if (!s->croot || !s->bridges || !s->bends || !s->stamp || !s->items || !s->items_tmp ||
        !s->nval || !s->first_lab || !s->n_rows || !s->n_old || !s->n_bridges)
        goto nomem;
    return CPERM_OK;
nomem:
    cperm_tfce_steps_free(s);
    return CPERM_ENOMEM;
}

/* Nodes of one threshold: at most one per point present, usually a few per cent of them. */
static int reserve_nodes(tfce_steps *s, size_t need) {
    if (need <= s->node_cap) return 0;
    size_t cap = s->node_cap * 2 > need ? s->node_cap * 2 : need;
    double *v = realloc(s->nval, cap * sizeof *v);
    if (!v) return -1;
    s->nval = v;
    int32_t *p = realloc(s->npar, cap * sizeof *p);
    if (!p) return -1;
    s->npar = p;
    s->node_cap = cap;
    return 0;
}

/* ------------------------------------------------------------ sorting */

/* Stable LSD radix sort of the n elements a[] of type TYPE by KEY(a[i]) (< limit, 8-bit
 * digits, only as many as limit needs), through tmp. */
#define RADIX_SORT(TYPE, a, tmp, n, limit, KEY)                                             \
    do {                                                                                    \
        TYPE *src_ = (a), *dst_ = (tmp);                                                    \
        for (unsigned sh_ = 0; sh_ < 32 && ((uint64_t)(limit) - 1) >> sh_; sh_ += 8) {      \
            size_t c_[257] = {0};                                                           \
            for (size_t i_ = 0; i_ < (n); i_++) c_[((uint32_t)KEY(src_[i_]) >> sh_ & 255) + 1]++; \
            for (size_t d_ = 0; d_ < 256; d_++) c_[d_ + 1] += c_[d_];                       \
            for (size_t i_ = 0; i_ < (n); i_++)                                             \
                dst_[c_[(uint32_t)KEY(src_[i_]) >> sh_ & 255]++] = src_[i_];                \
            TYPE *x_ = src_; src_ = dst_; dst_ = x_;                                        \
        }                                                                                   \
        if (src_ != (a)) memcpy((a), src_, (n) * sizeof *(a));                              \
    } while (0)
#define SELF_KEY(x) (x)
#define HIGH_KEY(x) ((x) >> 32)

/* A component's bridged labels: a few as a rule, but a large component at a low threshold
 * may meet hundreds, which insertion would sort in quadratic time. */
static void sort_ints(int32_t *a, size_t n, int32_t *tmp, size_t limit) {
    if (n > 64) {
        RADIX_SORT(int32_t, a, tmp, n, limit, SELF_KEY);
        return;
    }
    cperm_insertion_sort_i32(a, n);
}

/* ------------------------------------------------------------ MNE's merge */

/* _reassign on one row's labels: every component of the row labelled x takes label base.
 * l2s maps a label to the set of the row's components carrying it (0: none). */
static void relabel(tfce_steps *s, int r, int32_t base, int32_t x) {
    int32_t *l2s = s->l2s[r];
    int32_t sx = l2s[x];
    if (!sx) return;
    l2s[x] = 0;
    if (!l2s[base]) {
        l2s[base] = sx;
        s->slabel[sx] = base;
        s->tl[r][s->ntl[r]++] = base;
    } else {
        s->spar[sx] = l2s[base];
    }
}

/* _reassign on the cluster lists: clusters[base] += clusters[x]; clusters[x] = []. */
static void concat(tfce_steps *s, int32_t base, int32_t x) {
    int32_t lx = s->lst[x];
    if (lx < 0) return;
    s->lst[x] = -1;
    int32_t lb = s->lst[base];
    if (lb < 0) {
        s->lst[base] = lx;
    } else {
        s->lpar[lx] = lb;
        s->lsize[lb] += s->lsize[lx];
    }
}

/* MNE 1.3's _get_clusters_st_1step at one threshold, on its components: labels numbered by
 * (time, smallest vertex) as MNE's BFS numbers them (rows[] sorted by smallest point), then
 * the merge across times step by step: bridge labels are snapshot before the step, _reassign
 * relabels one row only and concatenates lists, so the stale snapshot splits components
 * exactly as MNE does. Rows' labels are kept as sets of components and lists as union-find
 * trees, so that each step costs its bridges. A bridge whose two components another bridge
 * already joins is dropped for good: components only grow as the threshold falls. Leaves
 * each root's final cluster size in fsize. */
static void merge_rows(const cperm_plan *plan, tfce_steps *s) {
    const size_t V = plan->n_vertices, T = plan->n_times;
    int32_t nlab = 0;
    for (size_t t = 0; t < T; t++) {
        s->first_lab[t] = nlab + 1;
        const int32_t *row = s->rows + t * V;
        for (size_t k = 0; k < s->n_rows[t]; k++) {
            const int32_t r = row[k], L = ++nlab;
            s->clab[r] = L;
            s->lsize[L] = s->croot[2 * r];
            s->lpar[L] = L;
            s->lst[L] = L;
            s->spar[L] = L;
            s->slabel[L] = L;
            s->mark[L] = 0;
        }
    }
    s->first_lab[T] = nlab + 1;
    s->ntl[0] = s->ntl[1] = 0;
    for (int32_t L = s->first_lab[0]; L < s->first_lab[1]; L++) {
        s->l2s[0][L] = L;
        s->tl[0][s->ntl[0]++] = L;
    }
    for (size_t t = 0; t + 1 < T; t++) {
        const int cur = (int)(t & 1), nxt = 1 - cur;
        const int32_t f1 = s->first_lab[t + 1], R = s->first_lab[t + 2] - f1;
        for (int32_t L = f1; L < f1 + R; L++) {
            s->l2s[nxt][L] = L;
            s->tl[nxt][s->ntl[nxt]++] = L;
        }
        /* the bridges' (label at t+1, label at t), grouped by the label at t+1 */
        int32_t *bl = s->bridges + 2 * t * V;
        const size_t nb = s->n_bridges[t];
        for (int32_t r = 0; r <= R; r++) s->cnt[r] = 0;
        for (size_t e = 0; e < nb; e++) {
            /* the ends were roots (or the points) one threshold up: short finds */
            const int32_t ra = cperm_uf_find32(s->uf, bl[2 * e]),
                          rb = cperm_uf_find32(s->uf, bl[2 * e + 1]);
            s->bends[2 * e] = ra;
            s->bends[2 * e + 1] = rb;
            s->bnum[e] = s->clab[rb];
            s->bla[e] = s->clab[ra];
            s->cnt[s->bnum[e] - f1 + 1]++;
        }
        for (int32_t r = 0; r < R; r++) s->cnt[r + 1] += s->cnt[r];
        for (size_t e = 0; e < nb; e++) s->order[s->cnt[s->bnum[e] - f1]++] = (int32_t)e;
        /* one bridge per pair of components; their snapshot labels at t, before any
         * relabelling of this step; cnt[r] becomes the end of label f1 + r's */
        size_t keep = 0;
        for (int32_t r = 0, b = 0; r < R; r++) {
            const int32_t end = s->cnt[r], num = f1 + r;
            for (int32_t q = b; q < end; q++) {
                const int32_t e = s->order[q], la = s->bla[e];
                if (s->mark[la] == num) continue;
                s->mark[la] = num;
                bl[2 * keep] = s->bends[2 * e];
                bl[2 * keep + 1] = s->bends[2 * e + 1];
                s->prev[keep++] = s->slabel[cperm_uf_find32(s->spar, la)];
            }
            s->cnt[r] = (int32_t)keep;
            b = end;
        }
        s->n_bridges[t] = keep;
        for (int32_t r = 0, b = 0; r < R; r++) {
            const int32_t e = s->cnt[r];
            if (e == b) continue;
            int32_t *pv = s->prev + b, num = f1 + r;
            sort_ints(pv, (size_t)(e - b), s->order, (size_t)nlab + 1); /* order is free now */
            int32_t base = pv[0];
            for (int32_t i = 1; i < e - b; i++) {
                if (pv[i] == pv[i - 1]) continue;
                relabel(s, cur, base, pv[i]);
                concat(s, base, pv[i]);
            }
            relabel(s, nxt, base, num);
            concat(s, base, num);
            b = e;
        }
        for (size_t i = 0; i < s->ntl[cur]; i++) s->l2s[cur][s->tl[cur][i]] = 0;
        s->ntl[cur] = 0;
    }
    for (int r = 0; r < 2; r++) {
        for (size_t i = 0; i < s->ntl[r]; i++) s->l2s[r][s->tl[r][i]] = 0;
        s->ntl[r] = 0;
    }
    for (size_t t = 0; t < T; t++) {
        const int32_t *row = s->rows + t * V;
        for (size_t k = 0; k < s->n_rows[t]; k++)
            s->fsize[row[k]] = s->lsize[cperm_uf_find32(s->lpar, s->clab[row[k]])];
    }
}

/* ------------------------------------------------------------ one map */

/* The highest threshold index i < L with h > th_at(i) (h > th_at(0) holds). */
static size_t top_level(const struct cperm_tfce_ws *tw, double h, size_t L, double inv_d) {
    const double f = (h - tw->s0) * inv_d; /* a guess: the comparisons below decide */
    size_t i = !(f >= 0) ? 0 : f >= (double)(L - 1) ? L - 1 : (size_t)f;
    while (i + 1 < L && h > th_at(tw, i + 1)) i++;
    while (i > 0 && !(h > th_at(tw, i))) i--;
    return i;
}

#define ROW_KEY(x) ((uint32_t)s->croot[2 * (x) + 1] - row0)

/* Joins the new point p (original index orig) and the listed neighbours' components. *root
 * is -1 while p is in no component: the first neighbour's component then takes it in (p has
 * extent 1, so it would lose by size anyway), and p never gets a record of its own. The
 * larger component's root wins without a branch on the sizes; a neighbour hanging right
 * under the current root needs no find. Inlined into each add_points_body (a call per point
 * cost 7-10% of a map). */
static inline __attribute__((always_inline)) void
join_listed(tfce_steps *s, const int32_t *jl, size_t nj, int32_t *root, int32_t p,
            int32_t orig) {
    int32_t rp = *root;
    size_t i = 0;
    if (rp < 0 && nj > 0) {
        rp = cperm_uf_find32(s->uf, jl[0]);
        s->uf[p] = rp;
        int32_t *a = s->croot + 2 * rp;
        a[0] += 1;
        a[1] = a[1] < orig ? a[1] : orig;
        i = 1;
    }
    for (; i < nj; i++) {
        if (s->uf[jl[i]] == rp) continue;
        const int32_t rq = cperm_uf_find32(s->uf, jl[i]);
        if (rp == rq) continue;
        int32_t *a = s->croot + 2 * rp, *b = s->croot + 2 * rq;
        const int32_t sa = a[0], sb = b[0], ma = a[1], mb = b[1];
        const int swap = sa < sb;
        const int32_t win = swap ? rq : rp, lose = swap ? rp : rq;
        s->uf[lose] = win;
        s->croot[2 * win] = sa + sb;
        s->croot[2 * win + 1] = ma < mb ? ma : mb;
        rp = win;
    }
    *root = rp;
}

_Static_assert(TFCE_PAD_DEG < 64, "a padded vertex's joinable neighbours must fit jl");

/* Adds the points ids[lo, hi) (threshold i's new ones): each joins its present spatial
 * neighbours of the same sign and time, and the bridges to the same vertex at the times
 * beside it are listed; each pair of points is examined once, by the later of the two. */
static inline __attribute__((always_inline)) void
add_points_body(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_steps *s,
                size_t lo, size_t hi, uint8_t gen2, int fixed) {
    const size_t V = plan->n_vertices, T = plan->n_times;
    for (size_t k = lo; k < hi; k++) {
        /* a threshold's new points are a sparse sweep of the map: fetch ahead the neighbour
         * list (on the CSR, its row pointer two stages ahead) and the point's own lines */
        if (!fixed && k + 2 * TFCE_PF_NB < hi) {
            const uint32_t f = (uint32_t)s->items[k + 2 * TFCE_PF_NB] & UF_IDX;
            __builtin_prefetch(tw->indptr + (f - time_of(tw, f) * V));
        }
        if (k + TFCE_PF_NB < hi) {
            const uint32_t f = (uint32_t)s->items[k + TFCE_PF_NB] & UF_IDX;
            size_t len;
            __builtin_prefetch(tfce_neighbours(tw, f - time_of(tw, f) * V, fixed, &len));
            __builtin_prefetch(s->stamp + f);
            __builtin_prefetch(s->uf + f);
        }
        const uint32_t item = (uint32_t)s->items[k];
        const int32_t p = (int32_t)(item & UF_IDX);
        const size_t tm = time_of(tw, (uint32_t)p), base = tm * V, v = (size_t)p - base;
        const int32_t orig = (int32_t)base + tw->inv[v];
        const uint8_t me = (uint8_t)(gen2 | item >> 31);
        /* joinable neighbours are listed without a branch on each (coin flips); p is stamped
         * after, so that the padding (p itself) is never listed */
        int32_t jl[64], rp = -1;
        size_t nj = 0;
        size_t nnb;
        const int32_t *nb = tfce_neighbours(tw, v, fixed, &nnb);
        for (size_t e = 0; e < nnb; e++) {
            const int32_t q = (int32_t)base + nb[e];
            jl[nj] = q;
            nj += s->stamp[q] == me;
            if (!fixed && nj == 64) { /* a padded table's degree is at most 32 */
                join_listed(s, jl, nj, &rp, p, orig);
                nj = 0;
            }
        }
        join_listed(s, jl, nj, &rp, p, orig);
        s->stamp[p] = me;
        if (rp < 0) { /* a component of its own */
            s->uf[p] = p;
            s->croot[2 * p] = 1;
            s->croot[2 * p + 1] = orig;
            s->rows[base + s->n_rows[tm]++] = p;
        }
        /* each bridge is written, and counted when its other end is present: a coin flip,
         * not a branch. The slot is inside the pair of times' V: p's own bridge is not
         * counted yet, so fewer than V are */
        if (tm > 0) {
            int32_t *b = s->bridges + 2 * (base - V + s->n_bridges[tm - 1]);
            b[0] = p - (int32_t)V;
            b[1] = p;
            s->n_bridges[tm - 1] += s->stamp[p - (int32_t)V] == me;
        }
        if (tm + 1 < T) {
            int32_t *b = s->bridges + 2 * (base + s->n_bridges[tm]);
            b[0] = p;
            b[1] = p + (int32_t)V;
            s->n_bridges[tm] += s->stamp[p + (int32_t)V] == me;
        }
    }
}

/* add_points_body on the padded neighbour table where there is one (tfce_tree.c). */
static void add_points(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_steps *s,
                       size_t lo, size_t hi, uint8_t gen2) {
    if (tw->nbr && tw->deg == 6) add_points_body(plan, tw, s, lo, hi, gen2, 6);
    else if (tw->nbr) add_points_body(plan, tw, s, lo, hi, gen2, 1);
    else add_points_body(plan, tw, s, lo, hi, gen2, 0);
}

/* Scores of one map clustered at every threshold with MNE 1.3's 1-step list path. */
int cperm_tfce_map_per_step(const cperm_plan *plan, const struct cperm_tfce_ws *tw,
                            tfce_thread *w, const double *t, const uint8_t *include,
                            double *scores, double *best) {
    const size_t P = plan->n_points, V = plan->n_vertices, T = plan->n_times;
    const int tail = plan->opt.tail;
    tfce_steps *s = &w->steps;
    double stop;
    size_t L = 0;
    *best = 0.0;
    int rc = cperm_tfce_map_stop(t, P, tail, &stop);
    if (!rc) rc = cperm_tfce_n_levels(tw, stop, &L);
    if (rc) return rc;
    if (scores)
        for (size_t p = 0; p < P; p++) scores[p] = 0.0;
    if (++s->gen > 127) { /* the stamps are bytes: generation << 1 | side */
        memset(s->stamp, 0, P * sizeof *s->stamp);
        s->gen = 1;
    }
    const uint8_t gen2 = (uint8_t)(s->gen << 1);
    size_t m = 0;
    const double inv_d = 1.0 / tw->d;
    if (L > 0) {
        /* each point's highest threshold + 1 (0: none) and side, in the map's order; then the
         * items breadth-first in each time, so that a threshold's points come in that order
         * (its unions then stay local) */
        uint32_t *lev = (uint32_t *)(void *)s->bla;
        for (size_t p = 0; p < P; p++) {
            const double h = height(t[p], tail);
            lev[p] = (!include || include[p]) && h > tw->s0
                         ? ((uint32_t)top_level(tw, h, L, inv_d) + 1) | (t[p] > 0 ? UF_SIDE : 0)
                         : 0;
        }
        for (size_t r = 0; r < T; r++) {
            const uint32_t *row = lev + r * V;
            for (size_t v = 0; v < V; v++) {
                const uint32_t x = row[tw->inv[v]];
                if (x)
                    s->items[m++] = (uint64_t)((x & UF_IDX) - 1) << 32 | (uint32_t)(r * V + v) |
                                    (x & UF_SIDE);
            }
        }
    }
    if (!m) return 0;
    /* points by their highest threshold, ascending */
    RADIX_SORT(uint64_t, s->items, s->items_tmp, m, L, HIGH_KEY);
    for (size_t r = 0; r < T; r++) s->n_rows[r] = s->n_old[r] = s->n_bridges[r] = 0;
    size_t n_nodes = 0, hi = m;
    for (size_t i = (size_t)(s->items[m - 1] >> 32) + 1; i-- > 0;) {
        size_t lo = hi;
        while (lo > 0 && s->items[lo - 1] >> 32 == i) lo--;
        size_t n_links = 0, alive = 0;
        if (lo < hi) {
            add_points(plan, tw, s, lo, hi, gen2);
            for (size_t r = 0; r < T; r++) {
                int32_t *row = s->rows + r * V;
                size_t keep = 0;
                for (size_t k = 0; k < s->n_rows[r]; k++) {
                    const int32_t x = row[k];
                    if (k < s->n_old[r]) {
                        s->link_node[n_links] = s->cnode[x];
                        s->link_root[n_links++] = x;
                    }
                    if (s->uf[x] == x) row[keep++] = x;
                }
                const uint32_t row0 = (uint32_t)(r * V);
                if (keep > 1) RADIX_SORT(int32_t, row, s->order, keep, V, ROW_KEY);
                s->n_rows[r] = s->n_old[r] = keep;
                alive += keep;
            }
            merge_rows(plan, s);
        } else {
            for (size_t r = 0; r < T; r++) alive += s->n_rows[r];
        }
        if (reserve_nodes(s, n_nodes + alive)) return TFCE_ENOMEM;
        const double h = weight_at(tw, i);
        for (size_t r = 0; r < T; r++) {
            const int32_t *row = s->rows + r * V;
            for (size_t k = 0; k < s->n_rows[r]; k++) {
                const int32_t x = row[k], id = (int32_t)n_nodes++;
                s->nval[id] = h * tw->pe[s->fsize[x]];
                s->npar[id] = -1;
                if (lo == hi) s->npar[s->cnode[x]] = id;
                s->cnode[x] = id;
            }
        }
        for (size_t k = 0; k < n_links; k++)
            s->npar[s->link_node[k]] = s->cnode[cperm_uf_find32(s->uf, s->link_root[k])];
        if (scores)
            for (size_t k = lo; k < hi; k++)
                s->leaf[k] = s->cnode[cperm_uf_find32(s->uf, (int32_t)(s->items[k] & UF_IDX))];
        hi = lo;
    }
    /* parents were made after their children: MNE's sums, lowest threshold first. The
     * increments are >= 0, so a node's sum is at most those of the points' first nodes under
     * it: the largest over the nodes is the largest score. */
    double top = 0.0;
    for (size_t id = n_nodes; id-- > 0;) {
        const double x = (s->npar[id] < 0 ? 0.0 : s->nval[s->npar[id]]) + s->nval[id];
        s->nval[id] = x;
        top = x > top ? x : top;
    }
    *best = top;
    if (scores)
        for (size_t k = 0; k < m; k++) {
            const uint32_t id = (uint32_t)s->items[k] & UF_IDX;
            const size_t base = (size_t)time_of(tw, id) * V;
            scores[base + (size_t)tw->inv[id - base]] = s->nval[s->leaf[k]];
        }
    return 0;
}
