/* clusters.c - connected clusters of supra-threshold points in (time, vertex) space: true
 * components by union-find (default), or MNE 1.3's list-path algorithms, 1-step split quirk
 * included (compat). Works on sparse, ascending point lists so that a permutation costs time
 * proportional to its supra-threshold points, not to the size of the map. Also owns the
 * cluster-forming controls beyond MNE (issue 13: min_neighbors, min_duration, min_extent),
 * applied here so that every kernel's observed and permuted maps follow the same rule. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- workspace */

int cperm_cluster_ws_init(cperm_cluster_ws *ws, size_t n_points, size_t n_times,
                          size_t n_vertices, size_t max_step) {
    memset(ws, 0, sizeof *ws);
    size_t slots = max_step + 1, cap = n_points;
    ws->rowbits = cperm_calloc(slots * ((n_vertices + 63) / 64), sizeof *ws->rowbits);
    ws->rowpos = cperm_malloc(slots * n_vertices, sizeof *ws->rowpos);
    ws->slot_row = cperm_malloc(slots, sizeof *ws->slot_row);
    ws->slot_first = cperm_malloc(slots, sizeof *ws->slot_first);
    ws->slot_end = cperm_malloc(slots, sizeof *ws->slot_end);
    ws->rnext = cperm_malloc(cap, sizeof *ws->rnext);
    for (int s = 0; s < 2; s++) {
        ws->rhead[s] = cperm_malloc(cap + 1, sizeof *ws->rhead[s]);
        ws->rtail[s] = cperm_malloc(cap + 1, sizeof *ws->rtail[s]);
        ws->rstamp[s] = cperm_malloc(cap + 1, sizeof *ws->rstamp[s]);
    }
    ws->row_begin = cperm_malloc(n_times + 1, sizeof *ws->row_begin);
    ws->cap = cap;
    /* Large arrays are touched only where points are present, so untouched pages of these
     * calloc/malloc blocks never become resident: memory follows the supra-threshold count. */
    ws->stamp = cperm_calloc(n_points, sizeof *ws->stamp);
    ws->pos_of = cperm_malloc(n_points, sizeof *ws->pos_of);
    ws->parent = cperm_malloc(cap, sizeof *ws->parent);
    ws->label = cperm_malloc(cap, sizeof *ws->label);
    ws->next = cperm_malloc(cap, sizeof *ws->next);
    ws->head = cperm_malloc(cap + 1, sizeof *ws->head);
    ws->tail = cperm_malloc(cap + 1, sizeof *ws->tail);
    ws->count = cperm_malloc(cap + 1, sizeof *ws->count);
    ws->pairs = cperm_malloc(cap, 2 * sizeof *ws->pairs);
    ws->queue = cperm_malloc(cap, sizeof *ws->queue);
    ws->order = cperm_malloc(cap, sizeof *ws->order);
    ws->vals = cperm_malloc(cap, sizeof *ws->vals);
    ws->signed_pts = cperm_malloc(cap, sizeof *ws->signed_pts);
    ws->negative_pts = cperm_malloc(cap, sizeof *ws->negative_pts);
    ws->vertex_of = cperm_malloc(cap, sizeof *ws->vertex_of);
    /* cluster-forming controls: distinct time points and vertices of a cluster */
    ws->time_tag = cperm_calloc(n_times, sizeof *ws->time_tag);
    ws->vertex_tag = cperm_calloc(n_vertices, sizeof *ws->vertex_tag);
    ws->n_times = n_times;
    ws->n_vertices = n_vertices;
    if (!ws->time_tag || !ws->vertex_tag || !ws->stamp || !ws->pos_of || !ws->parent || !ws->label || !ws->next || !ws->head ||
        !ws->tail || !ws->count || !ws->pairs || !ws->queue || !ws->order || !ws->vals ||
        !ws->signed_pts || !ws->negative_pts || !ws->vertex_of || !ws->row_begin || !ws->rowbits || !ws->rowpos || !ws->slot_row ||
        !ws->slot_first || !ws->slot_end || !ws->rnext || !ws->rhead[0] || !ws->rhead[1] || !ws->rtail[0] ||
        !ws->rtail[1] || !ws->rstamp[0] || !ws->rstamp[1]) {
        cperm_cluster_ws_free(ws);
        return CPERM_ENOMEM;
    }
    return CPERM_OK;
}

void cperm_cluster_ws_free(cperm_cluster_ws *ws) {
    if (!ws) return;
    free(ws->stamp); free(ws->pos_of); free(ws->parent); free(ws->label); free(ws->next);
    free(ws->head); free(ws->tail); free(ws->count); free(ws->pairs); free(ws->queue);
    free(ws->order); free(ws->vals); free(ws->signed_pts); free(ws->negative_pts);
    free(ws->vertex_of); free(ws->row_begin);
    free(ws->rowbits); free(ws->rowpos); free(ws->slot_row); free(ws->slot_first);
    free(ws->slot_end);
    free(ws->rnext); free(ws->time_tag); free(ws->vertex_tag);
    for (int s = 0; s < 2; s++) { free(ws->rhead[s]); free(ws->rtail[s]); free(ws->rstamp[s]); }
    memset(ws, 0, sizeof *ws);
}

/* Tag the points of `pts` as present (a new generation) and record their positions. */
static void mark_present(cperm_cluster_ws *ws, const cperm_point *pts, size_t n) {
    if (++ws->gen == 0) {
        memset(ws->stamp, 0, ws->cap * sizeof *ws->stamp);
        ws->gen = 1;
    }
    for (size_t k = 0; k < n; k++) {
        ws->stamp[pts[k].idx] = ws->gen;
        ws->pos_of[pts[k].idx] = (int32_t)k;
    }
}

static inline int present(const cperm_cluster_ws *ws, int64_t idx) {
    return ws->stamp[idx] == ws->gen;
}

/* ------------------------------------------------- cluster-forming controls */

/* FieldTrip's minnbchan (private/findcluster.m) on one sign's ascending point list, in place:
 * a point stays only if at least min_neighbors of its spatial neighbours at its time point
 * stay too. FieldTrip removes every point below the count at once and repeats until nothing
 * is removed; removal only lowers counts, so that loop ends at the largest subset in which
 * every point has enough neighbours (each time point's k-core), which this queue reaches
 * directly, whatever the order of removals. Points of the other sign, excluded points and
 * points not in the list do not count. Returns the number kept, in their order. */
static size_t keep_min_neighbors(const cperm_plan *plan, cperm_cluster_ws *ws, cperm_point *pts,
                                 size_t n) {
    const size_t V = plan->n_vertices;
    const int32_t K = (int32_t)plan->opt.min_neighbors; /* <= the largest degree (plan.c) */
    int32_t *count = ws->label, *queue = ws->queue;
    mark_present(ws, pts, n);
    for (size_t k = 0; k < n; k++) {
        const int64_t base = pts[k].idx - (int64_t)((size_t)pts[k].idx % V);
        const size_t v = (size_t)pts[k].idx % V;
        int32_t c = 0;
        for (size_t e2 = plan->indptr[v]; e2 < plan->indptr[v + 1]; e2++)
            c += present(ws, base + plan->indices[e2]);
        count[k] = c;
    }
    /* removed points leave the present set at once, so each edge is discounted only once */
    size_t qlen = 0;
    for (size_t k = 0; k < n; k++)
        if (count[k] < K) {
            ws->stamp[pts[k].idx] = 0; /* never a generation: mark_present skips 0 */
            queue[qlen++] = (int32_t)k;
        }
    for (size_t qi = 0; qi < qlen; qi++) {
        const int64_t idx = pts[queue[qi]].idx;
        const size_t v = (size_t)idx % V;
        const int64_t base = idx - (int64_t)v;
        for (size_t e2 = plan->indptr[v]; e2 < plan->indptr[v + 1]; e2++) {
            const int64_t j = base + plan->indices[e2];
            if (!present(ws, j)) continue;
            const int32_t pj = ws->pos_of[j];
            if (--count[pj] < K) {
                ws->stamp[j] = 0;
                queue[qlen++] = pj;
            }
        }
    }
    if (!qlen) return n;
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (present(ws, pts[k].idx)) pts[m++] = pts[k];
    return m;
}

/* A fresh tag for a stamp array of `len` entries (cleared when the counter wraps). */
static uint32_t next_tag(uint32_t *tags, size_t len, uint32_t *counter) {
    if (++*counter == 0) {
        memset(tags, 0, len * sizeof *tags);
        *counter = 1;
    }
    return *counter;
}

/* Eelbrain's mintime and minsource (_stats/testnd.py, _label_clusters_binary: the cluster's
 * mask collapsed over every other axis, np.count_nonzero < v discards it): whether the cluster
 * covers at least min_duration distinct time points and min_extent distinct vertices. */
static int cluster_kept(const cperm_plan *plan, cperm_cluster_ws *ws, const cperm_point *pts,
                        const int32_t *pos, size_t n) {
    const size_t V = plan->n_vertices, need_t = plan->opt.min_duration,
                 need_v = plan->opt.min_extent;
    if (n < need_t || n < need_v) return 0; /* each point adds at most one of each */
    if (need_t > 1) {
        const uint32_t tag = next_tag(ws->time_tag, ws->n_times, &ws->time_gen);
        size_t distinct = 0;
        for (size_t k = 0; k < n && distinct < need_t; k++) {
            const size_t t = (size_t)pts[pos[k]].idx / V;
            if (ws->time_tag[t] != tag) {
                ws->time_tag[t] = tag;
                distinct++;
            }
        }
        if (distinct < need_t) return 0;
    }
    if (need_v > 1) {
        const uint32_t tag = next_tag(ws->vertex_tag, ws->n_vertices, &ws->vertex_gen);
        size_t distinct = 0;
        for (size_t k = 0; k < n && distinct < need_v; k++) {
            const size_t v = (size_t)pts[pos[k]].idx % V;
            if (ws->vertex_tag[v] != tag) {
                ws->vertex_tag[v] = tag;
                distinct++;
            }
        }
        if (distinct < need_v) return 0;
    }
    return 1;
}

/* Emits clusters in order; either stores them or keeps the running permutation maximum. */
typedef struct emitter {
    cperm_cluster_set *out;
    size_t n_members;
    int have;
    int plain_max;              /* np.max(sums), as MNE's independent-samples H0 */
    int running;                /* left-to-right sums (ndimage.sum), not np.sum's pairwise */
    double best;
    const cperm_plan *filter;   /* min_duration / min_extent to apply, or NULL */
} emitter;

/* One cluster: positions `pos[0..n)` of `pts`, in MNE's element order. A cluster the
 * controls discard is neither stored nor a candidate for the permutation statistic. */
static void emit(emitter *e, cperm_cluster_ws *ws, const cperm_point *pts, const int32_t *pos,
                 size_t n, double t_power) {
    if (e->filter && !cluster_kept(e->filter, ws, pts, pos, n)) return;
    for (size_t k = 0; k < n; k++) ws->vals[k] = cperm_powered(pts[pos[k]].t, t_power);
    double sum;
    /* numpy's pairwise sum of fewer than 8 values is the left-to-right one (from +0.0) */
    if (e->running || n < 8) {
        sum = 0.0;
        for (size_t k = 0; k < n; k++) sum += ws->vals[k];
    } else {
        sum = cperm_np_sum(ws->vals, n);
    }
    if (e->out) {
        cperm_cluster_set *o = e->out;
        for (size_t k = 0; k < n; k++) o->members[e->n_members + k] = pts[pos[k]].idx;
        e->n_members += n;
        o->stats[o->n_clusters] = sum;
        o->offsets[++o->n_clusters] = e->n_members;
    }
    /* np.argmax(np.abs(sums)) (the first maximum wins), or np.max(sums) */
    if (!e->have || (e->plain_max ? sum > e->best : fabs(sum) > fabs(e->best))) {
        e->best = sum;
        e->have = 1;
    }
}

/* ------------------------------------------------------- true components */

/* Clears the membership bits of the row held in slot `sl` (its points in pts). */
static void slot_clear(cperm_cluster_ws *ws, const cperm_point *pts, size_t V, size_t words,
                       size_t sl) {
    uint64_t *bits = ws->rowbits + sl * words;
    const size_t base = ws->slot_row[sl] * V;
    for (size_t k = ws->slot_first[sl]; k < ws->slot_end[sl]; k++) {
        const size_t v = (size_t)pts[k].idx - base;
        bits[v >> 6] &= ~((uint64_t)1 << (v & 63));
    }
    ws->slot_row[sl] = SIZE_MAX;
}

static void components(const cperm_plan *plan, cperm_cluster_ws *ws, const cperm_point *pts,
                       size_t n, emitter *e) {
    const size_t V = plan->n_vertices, words = (V + 63) / 64;
    const size_t max_step = plan->opt.max_step, slots = max_step + 1;
    int32_t *parent = ws->parent;
    for (size_t sl = 0; sl < slots; sl++) ws->slot_row[sl] = SIZE_MAX;
    /* Points ascend, so the row (and its slot, and the slots of the rows max_step back) is
     * found once per row: no division per point or per neighbour. Membership of the rows in
     * the window is a bit per vertex (L1-resident), cleared point by point when a slot is
     * reused and at the end. */
    size_t cur_t = SIZE_MAX, cur_slot = 0, row_end = 0, row_start = 0;
    uint64_t *cur_bits = NULL;
    int32_t *cur_pos = NULL;
    /* A permutation's few hundred points sit at random vertices, so each one's neighbour
     * list is a cache miss behind another (indptr, then indices): their vertices first, then
     * both lists prefetched a few points ahead. */
    int32_t *vert = ws->vertex_of;
    for (size_t k = 0, r_end = 0, r_start = 0; k < n; k++) {
        const size_t idx = (size_t)pts[k].idx;
        if (idx >= r_end) {
            r_start = idx - idx % V;
            r_end = r_start + V;
        }
        vert[k] = (int32_t)(idx - r_start);
    }
    enum { AHEAD = 8 };
    for (size_t k = 0; k < n && k < 2 * AHEAD; k++)
        __builtin_prefetch(plan->lower_indptr + vert[k]);
    for (size_t k = 0; k < n && k < AHEAD; k++)
        __builtin_prefetch(plan->lower_indices + plan->lower_indptr[vert[k]]);
    for (size_t k = 0; k < n; k++) {
        int64_t idx = pts[k].idx;
        if (k + 2 * AHEAD < n) __builtin_prefetch(plan->lower_indptr + vert[k + 2 * AHEAD]);
        if (k + AHEAD < n)
            __builtin_prefetch(plan->lower_indices + plan->lower_indptr[vert[k + AHEAD]]);
        if ((size_t)idx >= row_end) {
            if (cur_t != SIZE_MAX) ws->slot_end[cur_slot] = k;
            cur_t = (size_t)idx / V;
            row_start = cur_t * V;
            row_end = row_start + V;
            cur_slot = cur_t % slots;
            if (ws->slot_row[cur_slot] != SIZE_MAX) slot_clear(ws, pts, V, words, cur_slot);
            ws->slot_row[cur_slot] = cur_t;
            ws->slot_first[cur_slot] = k;
            cur_bits = ws->rowbits + cur_slot * words;
            cur_pos = ws->rowpos + cur_slot * V;
        }
        const size_t t = cur_t, v = (size_t)idx - row_start;
        cur_bits[v >> 6] |= (uint64_t)1 << (v & 63);
        cur_pos[v] = (int32_t)k;
        parent[k] = (int32_t)k;
        int32_t rk = (int32_t)k;
        /* earlier vertices only: each edge is seen from its later end */
        for (size_t e2 = plan->lower_indptr[v]; e2 < plan->lower_indptr[v + 1]; e2++) {
            size_t u = (size_t)plan->lower_indices[e2];
            if (!((cur_bits[u >> 6] >> (u & 63)) & 1)) continue;
            int32_t rj = cperm_uf_find32(parent, cur_pos[u]);
            if (rj != rk) {
                if (rj < rk) { parent[rk] = rj; rk = rj; }
                else parent[rj] = rk;
            }
        }
        for (size_t d = 1; d <= max_step && d <= t; d++) {
            const size_t sl = cur_slot >= d ? cur_slot - d : cur_slot + slots - d;
            if (ws->slot_row[sl] != t - d ||
                !((ws->rowbits[sl * words + (v >> 6)] >> (v & 63)) & 1))
                continue;
            int32_t rj = cperm_uf_find32(parent, ws->rowpos[sl * V + v]);
            if (rj != rk) {
                if (rj < rk) { parent[rk] = rj; rk = rj; }
                else parent[rj] = rk;
            }
        }
    }
    if (cur_t != SIZE_MAX) ws->slot_end[cur_slot] = n;
    for (size_t sl = 0; sl < slots; sl++)
        if (ws->slot_row[sl] != SIZE_MAX) slot_clear(ws, pts, V, words, sl);
    /* Roots are the smallest member, so clusters come out ordered by smallest flat index and
     * members ascending: scipy's connected_components order on MNE's global path. */
    size_t n_clusters = 0;
    int32_t *label = ws->label;
    /* a parent is never above its child (the smaller root wins), so in ascending order a
     * point's parent already has its root's label: no find */
    for (size_t k = 0; k < n; k++) {
        const int32_t r = parent[k];
        if (r == (int32_t)k) {
            label[k] = (int32_t)n_clusters;
            ws->count[n_clusters++] = 0;
        } else {
            label[k] = label[r];
        }
        ws->count[label[k]]++;
    }
    int64_t acc = 0;
    for (size_t c = 0; c < n_clusters; c++) {
        int64_t cnt = ws->count[c];
        ws->count[c] = acc;
        acc += cnt;
    }
    for (size_t k = 0; k < n; k++) ws->order[ws->count[label[k]]++] = (int32_t)k;
    size_t start = 0;
    for (size_t c = 0; c < n_clusters; c++) {
        size_t end = (size_t)ws->count[c];
        emit(e, ws, pts, ws->order + start, end - start, plan->opt.t_power);
        start = end;
    }
}

/* ------------------------------------------------- MNE 1.3 list path, max_step 1 */

static void list_append(cperm_cluster_ws *ws, int32_t lab, int32_t k) {
    ws->next[k] = -1;
    if (ws->head[lab] < 0) ws->head[lab] = k;
    else ws->next[ws->tail[lab]] = k;
    ws->tail[lab] = k;
    ws->count[lab]++;
}

/* Each of the two rows being merged keeps, per label, the list of its points carrying that
 * label, so that _reassign touches only the points it relabels. Map `s` is valid for row r
 * where rstamp[s][label] == r. */
static void row_map_build(cperm_cluster_ws *ws, int s, size_t r, size_t begin, size_t end) {
    for (size_t k = begin; k < end; k++) {
        int32_t lab = ws->label[k];
        if (ws->rstamp[s][lab] != (int32_t)r) {
            ws->rstamp[s][lab] = (int32_t)r;
            ws->rhead[s][lab] = -1;
        }
        ws->rnext[k] = -1;
        if (ws->rhead[s][lab] < 0) ws->rhead[s][lab] = (int32_t)k;
        else ws->rnext[ws->rtail[s][lab]] = (int32_t)k;
        ws->rtail[s][lab] = (int32_t)k;
    }
}

/* _reassign(check_row, clusters, base, num): relabel num as base in one row (map s, row r)
 * and concatenate num's members to base's cluster. */
static void reassign(cperm_cluster_ws *ws, int s, size_t r, int32_t base, int32_t num) {
    if (ws->rstamp[s][num] == (int32_t)r && ws->rhead[s][num] >= 0) {
        for (int32_t k = ws->rhead[s][num]; k >= 0; k = ws->rnext[k]) ws->label[k] = base;
        if (ws->rstamp[s][base] != (int32_t)r) {
            ws->rstamp[s][base] = (int32_t)r;
            ws->rhead[s][base] = -1;
        }
        if (ws->rhead[s][base] < 0) ws->rhead[s][base] = ws->rhead[s][num];
        else ws->rnext[ws->rtail[s][base]] = ws->rhead[s][num];
        ws->rtail[s][base] = ws->rtail[s][num];
        ws->rhead[s][num] = -1;
    }
    if (ws->head[num] >= 0) {
        if (ws->head[base] < 0) ws->head[base] = ws->head[num];
        else ws->next[ws->tail[base]] = ws->head[num];
        ws->tail[base] = ws->tail[num];
        ws->count[base] += ws->count[num];
    }
    ws->head[num] = -1;
    ws->count[num] = 0;
}

/* (num, prev) pairs in ascending lexicographic order, by an in-place heapsort: the C
 * library's qsort may allocate (glibc's merge sort does above 1 KiB), and executing a plan
 * allocates nothing. Equal pairs are indistinguishable, so any correct sort gives MNE's
 * order. */
static inline int pair_less(const int64_t *p, size_t a, size_t b) {
    return p[2 * a] < p[2 * b] || (p[2 * a] == p[2 * b] && p[2 * a + 1] < p[2 * b + 1]);
}
static inline void pair_swap(int64_t *p, size_t a, size_t b) {
    int64_t x = p[2 * a], y = p[2 * a + 1];
    p[2 * a] = p[2 * b];
    p[2 * a + 1] = p[2 * b + 1];
    p[2 * b] = x;
    p[2 * b + 1] = y;
}
static void pair_sift(int64_t *p, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && pair_less(p, m, l)) m = l;
        if (l + 1 < n && pair_less(p, m, l + 1)) m = l + 1;
        if (m == i) return;
        pair_swap(p, i, m);
        i = m;
    }
}
static void sort_pairs(int64_t *p, size_t n) {
    for (size_t i = n / 2; i-- > 0;) pair_sift(p, n, i);
    for (size_t end = n; end > 1; end--) {
        pair_swap(p, 0, end - 1);
        pair_sift(p, end - 1, 0);
    }
}

/* Start of each time row within the ascending list (row_begin has n_times + 1 entries). */
static void time_rows(const cperm_point *pts, size_t n, size_t V, size_t T, size_t *row_begin) {
    size_t k = 0;
    for (size_t t = 0; t <= T; t++) {
        while (k < n && (size_t)pts[k].idx / V < t) k++;
        row_begin[t] = k;
    }
}

static void mne13_one_step(const cperm_plan *plan, cperm_cluster_ws *ws,
                           const cperm_point *pts, size_t n, size_t *row_begin, emitter *e) {
    const size_t V = plan->n_vertices, T = plan->n_times;
    mark_present(ws, pts, n);
    time_rows(pts, n, V, T, row_begin);
    int32_t n_labels = 0;
    for (size_t k = 0; k < n; k++) ws->label[k] = 0;
    /* _get_clusters_spatial per time: BFS seeded at the first unassigned point */
    for (size_t t = 0; t < T; t++) {
        for (size_t k = row_begin[t]; k < row_begin[t + 1]; k++) {
            if (ws->label[k]) continue;
            int32_t lab = ++n_labels;
            ws->head[lab] = -1;
            ws->count[lab] = 0;
            size_t qlen = 0, qi = 0;
            ws->queue[qlen++] = (int32_t)k;
            ws->label[k] = lab;
            while (qi < qlen) {
                int32_t q = ws->queue[qi++];
                list_append(ws, lab, q);
                size_t v = (size_t)pts[q].idx % V;
                for (size_t e2 = plan->indptr[v]; e2 < plan->indptr[v + 1]; e2++) {
                    int64_t j = (int64_t)(t * V + (size_t)plan->indices[e2]);
                    if (!present(ws, j)) continue;
                    int32_t pj = ws->pos_of[j];
                    if (ws->label[pj]) continue;
                    ws->label[pj] = lab;
                    ws->queue[qlen++] = pj;
                }
            }
        }
    }
    /* merge across time with a snapshot of row t's labels, exactly as MNE 1.3 does */
    for (int s = 0; s < 2; s++)
        for (int32_t lab = 0; lab <= n_labels; lab++) ws->rstamp[s][lab] = -1;
    if (T > 0) row_map_build(ws, 0, 0, row_begin[0], row_begin[1]);
    for (size_t t = 0; t + 1 < T; t++) {
        const int sc = (int)(t % 2), sn = (int)((t + 1) % 2);
        row_map_build(ws, sn, t + 1, row_begin[t + 1], row_begin[t + 2]);
        size_t np_ = 0;
        for (size_t k = row_begin[t]; k < row_begin[t + 1]; k++) {
            int64_t j = pts[k].idx + (int64_t)V;
            if (!present(ws, j)) continue;
            ws->pairs[2 * np_] = ws->label[ws->pos_of[j]];
            ws->pairs[2 * np_ + 1] = ws->label[k];
            np_++;
        }
        if (!np_) continue;
        sort_pairs(ws->pairs, np_);
        for (size_t g = 0; g < np_;) {
            int32_t num = (int32_t)ws->pairs[2 * g];
            int32_t base = (int32_t)ws->pairs[2 * g + 1]; /* sorted: the minimum comes first */
            size_t h = g + 1;
            int32_t last = base;
            for (; h < np_ && ws->pairs[2 * h] == num; h++) {
                int32_t pr = (int32_t)ws->pairs[2 * h + 1];
                if (pr != last) {
                    reassign(ws, sc, t, base, pr);
                    last = pr;
                }
            }
            reassign(ws, sn, t + 1, base, num);
            g = h;
        }
    }
    for (int32_t lab = 1; lab <= n_labels; lab++) {
        if (ws->count[lab] == 0) continue;
        size_t m = 0;
        for (int32_t k = ws->head[lab]; k >= 0; k = ws->next[k]) ws->order[m++] = k;
        emit(e, ws, pts, ws->order, m, plan->opt.t_power);
    }
}

/* ----------------------------------------------- MNE 1.3 list path, max_step > 1 */

static void mne13_multistep(const cperm_plan *plan, cperm_cluster_ws *ws,
                            const cperm_point *pts, size_t n, emitter *e) {
    const size_t V = plan->n_vertices, T = plan->n_times, ms = plan->opt.max_step;
    mark_present(ws, pts, n);
    for (size_t k = 0; k < n; k++) ws->label[k] = 0;
    for (size_t seed = 0; seed < n; seed++) {
        if (ws->label[seed]) continue;
        size_t qlen = 0, qi = 0;
        ws->queue[qlen++] = (int32_t)seed;
        ws->label[seed] = 1;
        while (qi < qlen) {
            int32_t q = ws->queue[qi++];
            size_t t = (size_t)pts[q].idx / V, v = (size_t)pts[q].idx % V;
            /* _get_selves marks first, but _get_buddies' points are appended first */
            size_t lo = t >= ms ? t - ms : 0, hi = t + ms < T - 1 ? t + ms : T - 1;
            size_t n_selves = 0; /* staged in ws->order, unused on this path */
            for (size_t tt = lo; tt <= hi; tt++) {
                int64_t j = (int64_t)(tt * V + v);
                if (!present(ws, j)) continue;
                int32_t pj = ws->pos_of[j];
                if (ws->label[pj]) continue;
                ws->label[pj] = 1;
                ws->order[n_selves++] = pj;
            }
            for (size_t e2 = plan->indptr[v]; e2 < plan->indptr[v + 1]; e2++) {
                int64_t j = (int64_t)(t * V + (size_t)plan->indices[e2]);
                if (!present(ws, j)) continue;
                int32_t pj = ws->pos_of[j];
                if (ws->label[pj]) continue;
                ws->label[pj] = 1;
                ws->queue[qlen++] = pj;
            }
            for (size_t s = 0; s < n_selves; s++)
                ws->queue[qlen++] = ws->order[s];
        }
        emit(e, ws, pts, ws->queue, qlen, plan->opt.t_power);
    }
}

/* ------------------------------------------------------------------ driver */

int cperm_find_clusters(const cperm_plan *plan, cperm_cluster_ws *ws, const cperm_point *pts,
                        size_t n_pts, cperm_cluster_set *out, double *max_stat) {
    const cperm_options *o = &plan->opt;
    emitter e = {out, 0, 0, o->design == CPERM_DESIGN_GROUPS, o->sequential_sums != 0, 0.0,
                 o->min_duration > 1 || o->min_extent > 1 ? plan : NULL};
    if (out) {
        out->n_clusters = 0;
        out->offsets[0] = 0;
    }
    /* sign-major: the positive mask first, then the negative one (tail 0); one pass writes
     * each point to both lists and advances one, as the signs of a permuted map are a coin
     * toss for a branch */
    size_t n_sign[2] = {0, 0};
    for (size_t k = 0; k < n_pts; k++) {
        const int pos = pts[k].t > 0;
        ws->signed_pts[n_sign[0]] = pts[k];
        ws->negative_pts[n_sign[1]] = pts[k];
        n_sign[0] += (size_t)pos;
        n_sign[1] += (size_t)!pos;
    }
    for (int sign = 1; sign >= -1; sign -= 2) {
        cperm_point *list = sign > 0 ? ws->signed_pts : ws->negative_pts;
        size_t m = n_sign[sign < 0];
        if (m && o->min_neighbors) m = keep_min_neighbors(plan, ws, list, m);
        if (!m) continue;
        /* with one time point MNE takes its global path whatever adjacency it is given */
        if (plan->opt.compat == CPERM_COMPAT_MNE13 && plan->n_times > 1) {
            if (plan->opt.max_step == 1)
                mne13_one_step(plan, ws, list, m, ws->row_begin, &e);
            else
                mne13_multistep(plan, ws, list, m, &e);
        } else {
            components(plan, ws, list, m, &e);
        }
    }
    if (max_stat) *max_stat = e.have ? e.best : 0.0;
    return CPERM_OK;
}

/* ------------------------------------------------ shared by the cluster-mass kernels */

int cperm_cluster_ws_create_all(cperm_run *run, const cperm_plan *plan) {
    run->ws = calloc((size_t)run->n_threads, sizeof *run->ws);
    if (!run->ws) return CPERM_ENOMEM;
    run->n_ws = run->n_threads;
    for (int i = 0; i < run->n_threads; i++)
        if (cperm_cluster_ws_init(&run->ws[i], plan->n_points, plan->n_times, plan->n_vertices,
                                  plan->opt.max_step))
            return CPERM_ENOMEM;
    return CPERM_OK;
}

void cperm_cluster_ws_destroy_all(cperm_run *run) {
    if (run->ws)
        for (int i = 0; i < run->n_ws; i++) cperm_cluster_ws_free(&run->ws[i]);
    free(run->ws);
    run->ws = NULL;
}

void cperm_observe_clusters(const cperm_plan *plan, cperm_run *run) {
    const size_t P = plan->n_points;
    const int tail = plan->opt.tail;
    const double thr = plan->threshold;
    /* the scan was two serial milliseconds of the seed case: each thread lists a contiguous
     * range at that range's own offset, and the lists are then closed up in order */
    enum { MAX_RANGES = 64 };
    const int T = run->n_threads < 1 ? 1 : run->n_threads > MAX_RANGES ? MAX_RANGES : run->n_threads;
    size_t got[MAX_RANGES];
#pragma omp parallel for schedule(static, 1) num_threads(T)
    for (int r = 0; r < T; r++) {
        const size_t p0 = P * (size_t)r / (size_t)T, p1 = P * (size_t)(r + 1) / (size_t)T;
        cperm_point *out = run->obs_points + p0;
        size_t m = 0;
        for (size_t p = p0; p < p1; p++) {
            double t = run->tobs[p];
            int supra = tail == 0 ? (t > thr || t < -thr) : tail > 0 ? t > thr : t < thr;
            if (supra && run->include[p]) {
                out[m].idx = (int64_t)p;
                out[m].t = t;
                m++;
            }
        }
        got[r] = m;
    }
    size_t m = 0;
    for (int r = 0; r < T; r++) {
        const size_t p0 = P * (size_t)r / (size_t)T;
        if (m != p0) memmove(run->obs_points + m, run->obs_points + p0, got[r] * sizeof *run->obs_points);
        m += got[r];
    }
    cperm_find_clusters(plan, &run->ws[0], run->obs_points, m, &run->obs, NULL);
}
