/* positions.c - channel neighbourhoods from channel positions, as MNE 1.3's find_ch_adjacency
 * computes them when no template matches: the topomap projection of 3-D positions, the
 * Delaunay triangulation (reentrant Qhull with scipy.spatial.Delaunay's options) and the
 * graph spatial_tris_adjacency makes of its simplices, paired gradiometers included. Part of
 * the full library only (Qhull), not of libclusterperm-stats. */
#include "graph_internal.h"

#include <libqhull_r/qhull_ra.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>

/* MNE's _auto_topomap_coords: positions closer than this (metres) "overlap". */
#define OVERLAP_DISTANCE 1e-10

int cperm_ch_topomap_coords(double *xy, const double *pos, size_t n, const double *origin,
                            cperm_err *err) {
    static const double zero[3] = {0.0, 0.0, 0.0};
    if (!xy || !pos) return cperm_fail(err, CPERM_EINVAL, "topomap: NULL positions or output");
    if (n == 0) return cperm_fail(err, CPERM_EINVAL, "topomap: no channels");
    if (!origin) origin = zero;
    for (int c = 0; c < 3; c++)
        if (!isfinite(origin[c]))
            return cperm_fail(err, CPERM_EINVAL, "topomap: origin coordinate %d is not finite (%g)", c,
                              origin[c]);
    for (size_t i = 0; i < n; i++) {
        const double *p = pos + 3 * i;
        if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]))
            return cperm_fail(err, CPERM_EINVAL,
                              "topomap: channel %zu has no finite position (%g, %g, %g)", i, p[0],
                              p[1], p[2]);
    }
    /* scipy's pdist, as MNE checks it (pairs in pdist's order, so the first pair reported is
     * MNE's first overlapping one). O(n^2) for a few hundred channels. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const double *a = pos + 3 * i, *b = pos + 3 * j;
            double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
            if (sqrt(d0 * d0 + d1 * d1 + d2 * d2) < OVERLAP_DISTANCE)
                return cperm_fail(err, CPERM_EINVAL,
                                  "topomap: channels %zu and %zu have overlapping positions "
                                  "(%g, %g, %g) and (%g, %g, %g)",
                                  i, j, a[0], a[1], a[2], b[0], b[1], b[2]);
        }
    for (size_t i = 0; i < n; i++) {
        const double *p = pos + 3 * i;
        double x = p[0] - origin[0], y = p[1] - origin[1], z = p[2] - origin[2];
        /* _cart_to_sph: np.sum(cart * cart, axis=1) adds left to right. */
        double r = sqrt((x * x + y * y) + z * z);
        double azimuth = atan2(y, x);
        double polar = acos(z / (r > 0 ? r : 1.0));
        if (isnan(polar)) polar = 0.0; /* np.nan_to_num */
        /* _pol_to_cart of (polar, azimuth), then out *= r / (pi / 2), then += origin[:2]. */
        double scale = r / (M_PI / 2.0);
        double u = polar * cos(azimuth), v = polar * sin(azimuth);
        u *= scale;
        v *= scale;
        xy[2 * i] = u + origin[0];
        xy[2 * i + 1] = v + origin[1];
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return cperm_fail(err, CPERM_EINVAL,
                              "topomap: channel %zu at (%g, %g, %g) is too far from the origin: "
                              "its distance overflows",
                              i, p[0], p[1], p[2]);
    }
    return CPERM_OK;
}

/* ------------------------------------------------------------ the triangulation */

/* Orders point indices by their coordinates (lexicographic), for the duplicate check. */
typedef struct point_order {
    const double *xy;
    size_t dim;
} point_order;

static int cmp_points(const double *a, const double *b, size_t dim) {
    for (size_t c = 0; c < dim; c++)
        if (a[c] != b[c]) return a[c] < b[c] ? -1 : 1;
    return 0;
}

/* Merge sort of idx[0..n) by point (stable, so equal points keep index order); tmp has n. */
static void sort_points(size_t *idx, size_t *tmp, size_t n, const point_order *o) {
    if (n < 2) return;
    size_t h = n / 2;
    sort_points(idx, tmp, h, o);
    sort_points(idx + h, tmp, n - h, o);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_points(o->xy + idx[j] * o->dim, o->xy + idx[i] * o->dim, o->dim) < 0 ? idx[j++]
                                                                                       : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

/* "(x, y)" or "(x, y, z)" of point i, for messages. */
static const char *point_text(char *buf, size_t len, const double *xy, size_t dim, size_t i) {
    const double *p = xy + i * dim;
    if (dim == 2) snprintf(buf, len, "(%.17g, %.17g)", p[0], p[1]);
    else snprintf(buf, len, "(%.17g, %.17g, %.17g)", p[0], p[1], p[2]);
    return buf;
}

/* The inputs Qhull would take but MNE's graph could not use: too few, non-finite, equal. */
static int check_points(const double *xy, size_t n, size_t dim, cperm_err *err) {
    char a[96];
    if (!xy) return cperm_fail(err, CPERM_EINVAL, "positions: NULL coordinates");
    if (dim != 2 && dim != 3)
        return cperm_fail(err, CPERM_EINVAL, "positions: dimension %zu (2 or 3 expected)", dim);
    if (n < dim + 1)
        return cperm_fail(err, CPERM_EINVAL,
                          "positions: %zu points; a %zu-D triangulation needs at least %zu", n, dim,
                          dim + 1);
    if (n > (size_t)INT_MAX - 1)
        return cperm_fail(err, CPERM_EINVAL, "positions: %zu points is too many for Qhull", n);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < dim; c++)
            if (!isfinite(xy[i * dim + c]))
                return cperm_fail(err, CPERM_EINVAL, "positions: point %zu %s is not finite", i,
                                  point_text(a, sizeof a, xy, dim, i));
    size_t *idx = cperm_malloc(2 * n, sizeof *idx);
    if (!idx) return cperm_fail(err, CPERM_ENOMEM, "positions: out of memory for %zu points", n);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    point_order o = {xy, dim};
    sort_points(idx, idx + n, n, &o);
    for (size_t k = 1; k < n; k++)
        if (cmp_points(xy + idx[k - 1] * dim, xy + idx[k] * dim, dim) == 0) {
            size_t i = idx[k - 1], j = idx[k];
            free(idx);
            return cperm_fail(err, CPERM_EINVAL, "positions: points %zu and %zu are equal %s", i, j,
                              point_text(a, sizeof a, xy, dim, i));
        }
    free(idx);
    return CPERM_OK;
}

/* The first line of what Qhull wrote to its error stream, into msg. */
static void qhull_first_line(char *msg, size_t len, const char *text) {
    msg[0] = '\0';
    if (!text) return;
    while (*text == '\n' || *text == ' ') text++;
    size_t k = strcspn(text, "\n");
    if (k >= len) k = len - 1;
    memcpy(msg, text, k);
    msg[k] = '\0';
}

/* scipy.spatial.Delaunay(xy).simplices: Qhull "d Qbb Qc Qz Q12 Qt" (scipy's default options
 * for dim < 5 and the Qt it requires), the lower-Delaunay facets in Qhull's facet order,
 * each as its dim + 1 point indices. *out (n_simplices x (dim + 1)) is the caller's to free.
 * Every point must be a vertex of some simplex, or the graph would miss it (Qhull's Qc keeps
 * a point it merged with another as "coplanar" only). */
static int delaunay(int32_t **out, size_t *n_simplices, const double *xy, size_t n, size_t dim,
                    cperm_err *err) {
    char command[] = "qhull d Qbb Qc Qz Q12 Qt";
    char *log_text = NULL, line[256];
    size_t log_len = 0, count = 0, k = 0;
    coordT *points = NULL;
    int32_t *simplices = NULL;
    char *seen = NULL;
    int rc = CPERM_ENOMEM, exitcode, curlong, totlong, qh_ready = 0;
    FILE *log = NULL;
    qhT *qh = calloc(1, sizeof *qh);

    *out = NULL;
    *n_simplices = 0;
    points = cperm_malloc(n * dim, sizeof *points);
    seen = calloc(n, 1);
    if (!qh || !points || !seen) goto nomem;
    memcpy(points, xy, n * dim * sizeof *points);
    /* Qhull reports errors on a stream: keep them for the message, print nothing. */
    log = open_memstream(&log_text, &log_len);
    if (!log) goto nomem;
    qh_zero(qh, log);
    qh_ready = 1;
    exitcode = qh_new_qhull(qh, (int)dim, (int)n, points, False, command, NULL, log);
    fflush(log);
    if (exitcode) {
        qhull_first_line(line, sizeof line, log_text);
        if (strstr(line, "QH6154") || strstr(line, "flat"))
            rc = cperm_fail(err, CPERM_EINVAL, "positions: all %zu points are %s (Qhull: %s)", n,
                            dim == 2 ? "collinear" : "coplanar", line);
        else
            rc = cperm_fail(err, exitcode == qh_ERRmem ? CPERM_ENOMEM : CPERM_EINVAL,
                            "positions: Qhull cannot triangulate the %zu points: %s", n,
                            line[0] ? line : "no message");
        goto cleanup;
    }
    {
        facetT *facet;
        vertexT *vertex, **vertexp;
        FORALLfacets {
            if (facet->upperdelaunay != qh->UPPERdelaunay) continue;
            if (qh_setsize(qh, facet->vertices) != (int)dim + 1) {
                rc = cperm_fail(err, CPERM_EINVAL,
                                "positions: Qhull returned a facet of %d vertices (a %zu-D simplex "
                                "has %zu)",
                                qh_setsize(qh, facet->vertices), dim, dim + 1);
                goto cleanup;
            }
            count++;
        }
        simplices = cperm_malloc(count * (dim + 1), sizeof *simplices);
        if (!simplices && count) goto nomem;
        FORALLfacets {
            if (facet->upperdelaunay != qh->UPPERdelaunay) continue;
            FOREACHvertex_(facet->vertices) {
                int id = qh_pointid(qh, vertex->point);
                if (id < 0 || (size_t)id >= n) {
                    /* Qz's point at infinity in a lower facet: only for degenerate input. */
                    rc = cperm_fail(err, CPERM_EINVAL,
                                    "positions: degenerate triangulation (Qhull's point at "
                                    "infinity in simplex %zu)",
                                    k / (dim + 1));
                    goto cleanup;
                }
                simplices[k++] = (int32_t)id;
                seen[id] = 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!seen[i]) {
            /* Name the nearest point: the one Qhull merged it with. */
            size_t best = i == 0 ? 1 : 0;
            double bd = INFINITY;
            for (size_t j = 0; j < n; j++) {
                if (j == i) continue;
                double d = 0;
                for (size_t c = 0; c < dim; c++) {
                    double t = xy[i * dim + c] - xy[j * dim + c];
                    d += t * t;
                }
                if (d < bd) bd = d, best = j;
            }
            char a[96], b[96];
            rc = cperm_fail(err, CPERM_EINVAL,
                            "positions: point %zu %s is not a vertex of the triangulation: Qhull "
                            "merges it with point %zu %s (nearly equal)",
                            i, point_text(a, sizeof a, xy, dim, i), best,
                            point_text(b, sizeof b, xy, dim, best));
            goto cleanup;
        }
    *out = simplices;
    *n_simplices = count;
    simplices = NULL;
    rc = CPERM_OK;
    goto cleanup;
nomem:
    rc = cperm_fail(err, CPERM_ENOMEM, "positions: out of memory for %zu points", n);
cleanup:
    if (qh_ready) {
        qh_freeqhull(qh, !qh_ALL);
        qh_memfreeshort(qh, &curlong, &totlong);
    }
    if (log) fclose(log);
    free(log_text);
    free(qh);
    free(points);
    free(simplices);
    free(seen);
    return rc;
}

/* The graph of the simplices' pairwise adjacency over n points. */
static int simplices_graph(cperm_graph **out, const int32_t *simplices, size_t n_simplices,
                           size_t n, size_t dim, cperm_err *err) {
    if (dim == 2) return cperm_graph_from_tris(out, simplices, n_simplices, n, 0, err);
    /* Tetrahedra: its 6 edges each. */
    int64_t *edges = cperm_malloc(n_simplices * 12, sizeof *edges);
    if (!edges && n_simplices)
        return cperm_fail(err, CPERM_ENOMEM, "positions: out of memory for %zu simplices", n_simplices);
    size_t m = 0;
    for (size_t s = 0; s < n_simplices; s++) {
        const int32_t *t = simplices + 4 * s;
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++) {
                edges[2 * m] = t[a];
                edges[2 * m + 1] = t[b];
                m++;
            }
    }
    int rc = cperm_graph_from_edges(out, n, edges, m, err);
    free(edges);
    return rc;
}

int cperm_graph_from_positions(cperm_graph **out, const double *xy, size_t n, size_t dim,
                               cperm_err *err) {
    int32_t *simplices = NULL;
    size_t n_simplices = 0;
    int rc;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "positions: no output pointer");
    *out = NULL;
    rc = check_points(xy, n, dim, err);
    if (rc) return rc;
    rc = delaunay(&simplices, &n_simplices, xy, n, dim, err);
    if (rc) return rc;
    rc = simplices_graph(out, simplices, n_simplices, n, dim, err);
    free(simplices);
    return rc;
}

int cperm_graph_from_positions_paired(cperm_graph **out, const double *xy, size_t n_pairs,
                                      size_t dim, const int64_t *pairs, cperm_err *err) {
    cperm_graph *base = NULL;
    int64_t *edges = NULL;
    char *used = NULL;
    size_t n_channels, m = 0;
    int rc;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "positions: no output pointer");
    *out = NULL;
    if (!pairs) return cperm_fail(err, CPERM_EINVAL, "positions: NULL pairs");
    if (n_pairs > SIZE_MAX / 4) return cperm_fail(err, CPERM_EINVAL, "positions: too many pairs");
    n_channels = 2 * n_pairs;
    used = calloc(n_channels ? n_channels : 1, 1);
    if (!used) return cperm_fail(err, CPERM_ENOMEM, "positions: out of memory for %zu pairs", n_pairs);
    for (size_t k = 0; k < n_channels; k++) {
        if (pairs[k] < 0 || (uint64_t)pairs[k] >= n_channels) {
            rc = cperm_fail(err, CPERM_EINVAL,
                            "positions: pair %zu names channel %lld, outside [0, %zu)", k / 2,
                            (long long)pairs[k], n_channels);
            goto cleanup;
        }
        if (used[pairs[k]]) {
            rc = cperm_fail(err, CPERM_EINVAL, "positions: channel %lld is in two pairs (pair %zu)",
                            (long long)pairs[k], k / 2);
            goto cleanup;
        }
        used[pairs[k]] = 1;
    }
    rc = cperm_graph_from_positions(&base, xy, n_pairs, dim, err);
    if (rc) goto cleanup;
    /* MNE: ch_adjacency[2k + i, 2l + j] for every (k, l) of the triangulation's adjacency,
     * its diagonal included (so a pair's two channels are always neighbours). */
    edges = cperm_malloc(2 * (n_pairs + 4 * base->indptr[n_pairs]), sizeof *edges);
    if (!edges) {
        rc = cperm_fail(err, CPERM_ENOMEM, "positions: out of memory for %zu pairs", n_pairs);
        goto cleanup;
    }
    for (size_t k = 0; k < n_pairs; k++) {
        edges[2 * m] = pairs[2 * k];
        edges[2 * m + 1] = pairs[2 * k + 1];
        m++;
        for (size_t e = base->indptr[k]; e < base->indptr[k + 1]; e++) {
            size_t l = (size_t)base->indices[e];
            if (l < k) continue; /* each undirected edge once */
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) {
                    edges[2 * m] = pairs[2 * k + (size_t)i];
                    edges[2 * m + 1] = pairs[2 * l + (size_t)j];
                    m++;
                }
        }
    }
    rc = cperm_graph_from_edges(out, n_channels, edges, m, err);
cleanup:
    cperm_graph_free(base);
    free(edges);
    free(used);
    return rc;
}
