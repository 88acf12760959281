/* tfce_mne13.c - TFCE scores of one map the way MNE 1.3's list path computes them for
 * max_step 1: clustered at every threshold with its 1-step merge across time, whose stale
 * snapshot splits some components (the quirk clusters.c reproduces for cluster mass), so that
 * the stepped modes with compat mne1.3 are bit-identical to MNE 1.3 given spatial adjacency
 * only. */
#include "tfce_internal.h"

#include <math.h>
#include <string.h>

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
    /* a point's stamp, position and side in one word, so that a neighbour check is one
     * load: it is present iff the high half is gen, and (tail 0) of k's side iff bit 31
     * matches too, so one shifted compare against `want` tests both */
    const int sh = two ? 31 : 32;
    for (size_t k = 0, t = 0; k <= m; k++) {
        size_t tk = k < m ? (size_t)pts[k].idx / V : T;
        while (t <= tk && t <= T) w->row_begin[t++] = k;
        if (k == m) break;
        w->stamp[pts[k].idx] = (uint64_t)gen << 32 | (pts[k].t > 0 ? UINT64_C(1) << 31 : 0) | k;
        w->ufp[k] = (int32_t)k;
    }
    /* spatial components: union by smallest position, so roots are smallest vertices */
    for (size_t k = 0; k < m; k++) {
        const size_t idx = (size_t)pts[k].idx, t = idx / V, v = idx - t * V;
        const uint64_t want = (uint64_t)gen << 32 | (pts[k].t > 0 ? UINT64_C(1) << 31 : 0);
        for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++) {
            size_t u = (size_t)plan->indices[e];
            if (u >= v) break;
            const uint64_t sj = w->stamp[t * V + u];
            if ((sj ^ want) >> sh) continue;
            int32_t pj = (int32_t)(sj & 0x7FFFFFFFu);
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
            const uint64_t want = (uint64_t)gen << 32 | (pts[k].t > 0 ? UINT64_C(1) << 31 : 0);
            const uint64_t sj = w->stamp[(size_t)pts[k].idx + V];
            if ((sj ^ want) >> sh) continue;
            int32_t pj = (int32_t)(sj & 0x7FFFFFFFu);
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
int cperm_tfce_map_per_step(const cperm_plan *plan, const struct cperm_tfce_ws *tw,
                            tfce_thread *w, const double *t, const uint8_t *include,
                            double *scores, double *best) {
    const size_t P = plan->n_points;
    const int tail = plan->opt.tail;
    double stop, *score = scores ? scores : w->score;
    size_t L = 0;
    *best = 0.0;
    int rc = cperm_tfce_map_stop(t, P, tail, &stop);
    if (!rc) rc = cperm_tfce_n_levels(tw, stop, &L);
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
