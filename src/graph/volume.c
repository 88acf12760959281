/* volume.c - neighbourhoods of volume source spaces (MNE 1.3's spatial_src_adjacency for a
 * 'vol' space: sklearn's grid_to_graph on the in-use mask, i.e. face neighbours) and of
 * mixed source spaces (each space's graph on the diagonal, no edge between spaces). */
#include "graph_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* Vertex indices are int32, so a graph holds at most 2^31 vertices. */
#define VOLUME_MAX_POINTS ((size_t)INT32_MAX + 1u)

/* Rank of grid point p in the ascending vertno[0..n), or -1 if p is not in use. */
static int32_t rank_in_use(const int32_t *vertno, size_t n, size_t p) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)vertno[mid] < p) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && (size_t)vertno[lo] == p ? (int32_t)lo : -1;
}

/* The in-use face neighbours of grid point p, written to nb in ascending point order (so in
 * ascending rank order): -z, -y, -x, +x, +y, +z. Returns how many. */
static size_t face_neighbours(int32_t nb[6], const size_t shape[3], const int32_t *vertno,
                              size_t n, size_t p) {
    const size_t nx = shape[0], nxy = shape[0] * shape[1];
    const size_t x = p % nx, y = (p / nx) % shape[1], z = p / nxy;
    size_t cand[6], m = 0, k = 0;
    if (z > 0) cand[m++] = p - nxy;
    if (y > 0) cand[m++] = p - nx;
    if (x > 0) cand[m++] = p - 1;
    if (x + 1 < nx) cand[m++] = p + 1;
    if (y + 1 < shape[1]) cand[m++] = p + nx;
    if (z + 1 < shape[2]) cand[m++] = p + nxy;
    for (size_t i = 0; i < m; i++) {
        int32_t r = rank_in_use(vertno, n, cand[i]);
        if (r >= 0) nb[k++] = r;
    }
    return k;
}

int cperm_graph_from_volume(cperm_graph **out, const size_t shape[3], const int32_t *vertno,
                            size_t n_vertno, cperm_err *err) {
    cperm_graph *g = NULL;
    size_t np, total = 0;
    int32_t nb[6];

    if (!out) return cperm_fail(err, CPERM_EINVAL, "adjacency: no output pointer");
    *out = NULL;
    if (!shape || (n_vertno > 0 && !vertno))
        return cperm_fail(err, CPERM_EINVAL, "adjacency: volume: no grid shape or vertno given");
    if (shape[0] == 0 || shape[1] == 0 || shape[2] == 0)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: volume: grid shape %zu x %zu x %zu has a zero length",
                          shape[0], shape[1], shape[2]);
    if (shape[1] > VOLUME_MAX_POINTS / shape[0] || shape[2] > VOLUME_MAX_POINTS / (shape[0] * shape[1]))
        return cperm_fail(err, CPERM_EINVAL, "adjacency: volume: grid shape %zu x %zu x %zu exceeds 2^31 points",
                          shape[0], shape[1], shape[2]);
    np = shape[0] * shape[1] * shape[2];
    for (size_t k = 0; k < n_vertno; k++)
        if (vertno[k] < 0 || (size_t)vertno[k] >= np || (k > 0 && vertno[k] <= vertno[k - 1]))
            return cperm_fail(err, CPERM_EINVAL,
                              "adjacency: volume: vertno[%zu] = %d is out of the grid's %zu points or not ascending",
                              k, (int)vertno[k], np);
    g = calloc(1, sizeof *g);
    if (!g || !(g->indptr = cperm_calloc(n_vertno + 1, sizeof *g->indptr))) goto nomem;
    g->n_vertices = n_vertno;
    /* Two passes over the 6-neighbourhood: degrees, then the rows (already sorted). */
    for (size_t k = 0; k < n_vertno; k++) {
        total += face_neighbours(nb, shape, vertno, n_vertno, (size_t)vertno[k]);
        g->indptr[k + 1] = total;
    }
    g->indices = cperm_malloc(total ? total : 1, sizeof *g->indices);
    if (!g->indices) goto nomem;
    for (size_t k = 0; k < n_vertno; k++) {
        size_t m = face_neighbours(nb, shape, vertno, n_vertno, (size_t)vertno[k]);
        memcpy(g->indices + g->indptr[k], nb, m * sizeof *nb);
    }
    *out = g;
    return CPERM_OK;
nomem:
    cperm_graph_free(g);
    return cperm_fail(err, CPERM_ENOMEM, "adjacency: volume: out of memory for %zu vertices", n_vertno);
}

/* Prefixes err's message with the space it is about (the callee does not know it). */
static int in_space(cperm_err *err, int rc, size_t h) {
    if (err && rc < 0) {
        char msg[CPERM_ERR_MSG_LEN];
        const char *m = err->msg, *prefix = "adjacency: ";
        if (strncmp(m, prefix, strlen(prefix)) == 0) m += strlen(prefix);
        snprintf(msg, sizeof msg, "%s", m);
        cperm_fail(err, rc, "adjacency: source space %zu: %s", h, msg);
    }
    return rc;
}

int cperm_graph_from_spaces(cperm_graph **out, const cperm_srcspace *src, cperm_err *err) {
    const size_t n = src->n_hemis;
    cperm_graph **blocks = NULL, *g = NULL;
    size_t total_v = 0, total_e = 0;
    int rc = CPERM_OK;

    *out = NULL;
    blocks = calloc(n, sizeof *blocks);
    if (!blocks) return cperm_fail(err, CPERM_ENOMEM, "adjacency: out of memory");
    for (size_t h = 0; h < n; h++) {
        const cperm_src_hemi *s = &src->hemis[h];
        if (s->type == CPERM_SRC_VOLUME) {
            if (s->nuse > 0 && !s->vertno) {
                rc = cperm_fail(err, CPERM_EINVAL, "adjacency: source space %zu: nuse %zu but no vertno", h, s->nuse);
                goto cleanup;
            }
            rc = in_space(err, cperm_graph_from_volume(&blocks[h], s->shape, s->vertno, s->nuse, err), h);
        } else {
            /* A surface alone (MNE's path, per hemisphere); a discrete space is refused there,
             * having no use_tris, as MNE refuses it. */
            rc = cperm_graph_from_surfaces(&blocks[h], s, 1, h, err);
        }
        if (rc < 0) goto cleanup;
        if (blocks[h]->n_vertices > VOLUME_MAX_POINTS - total_v) {
            rc = cperm_fail(err, CPERM_EINVAL, "adjacency: the source spaces hold more than 2^31 vertices");
            goto cleanup;
        }
        total_v += blocks[h]->n_vertices;
        total_e += blocks[h]->indptr[blocks[h]->n_vertices];
    }
    if (n == 1) { /* one volume: MNE's graph itself */
        *out = blocks[0];
        blocks[0] = NULL;
        goto cleanup;
    }
    g = calloc(1, sizeof *g);
    if (!g || !(g->indptr = cperm_calloc(total_v + 1, sizeof *g->indptr)) ||
        !(g->indices = cperm_malloc(total_e ? total_e : 1, sizeof *g->indices))) {
        rc = cperm_fail(err, CPERM_ENOMEM, "adjacency: out of memory for %zu vertices", total_v);
        goto cleanup;
    }
    g->n_vertices = total_v;
    {
        size_t v0 = 0, e0 = 0;
        for (size_t h = 0; h < n; h++) {
            const cperm_graph *b = blocks[h];
            for (size_t i = 0; i < b->n_vertices; i++) g->indptr[v0 + i + 1] = e0 + b->indptr[i + 1];
            for (size_t e = 0; e < b->indptr[b->n_vertices]; e++)
                g->indices[e0 + e] = (int32_t)((size_t)b->indices[e] + v0);
            v0 += b->n_vertices;
            e0 += b->indptr[b->n_vertices];
        }
    }
    *out = g;
    g = NULL;
cleanup:
    for (size_t h = 0; h < n; h++) cperm_graph_free(blocks[h]);
    free(blocks);
    cperm_graph_free(g);
    return rc;
}
