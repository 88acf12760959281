/* adjacency.c - spatial graphs (CSR, no self-loops) built from triangles, edge lists, CSR
 * matrices and surface source spaces, with MNE 1.3's semantics (spatial_tris_adjacency,
 * mesh_edges, spatial_src_adjacency); volume and mixed spaces are volume.c's. */
#include "graph_internal.h"

#include <stdlib.h>

/* Vertex indices are int32, so a graph holds at most 2^31 vertices. */
#define GRAPH_MAX_VERTICES ((size_t)INT32_MAX + 1u)
/* Rows up to this length are sorted by insertion sort; longer ones by qsort. */
#define SMALL_ROW 24

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void sort_i32(int32_t *v, size_t n) {
    if (n > SMALL_ROW) qsort(v, n, sizeof *v, cmp_i32);
    else cperm_insertion_sort_i32(v, n);
}

void cperm_graph_free(cperm_graph *graph) {
    if (!graph) return;
    free(graph->indptr);
    free(graph->indices);
    free(graph);
}

/* Builds the symmetric CSR graph of n vertices from m undirected pairs (a[k], b[k]), all
 * already checked to lie in [0, n). Self-loops are skipped; duplicate pairs collapse.
 * Counting sort by row, then a sort within each row: O(E log d), no V x V storage. */
static int graph_build(cperm_graph **out, size_t n, const int32_t *a, const int32_t *b,
                       size_t m, cperm_err *err) {
    cperm_graph *g = NULL;
    size_t *fill = NULL;
    size_t total = 0;
    int rc = CPERM_ENOMEM;

    if (n > GRAPH_MAX_VERTICES)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: %zu vertices exceed the int32 index range", n);
    if (m > SIZE_MAX / 2)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: %zu edges is too many", m);
    g = calloc(1, sizeof *g);
    if (!g) goto cleanup;
    g->n_vertices = n;
    g->indptr = cperm_calloc(n + 1, sizeof *g->indptr);
    if (!g->indptr) goto cleanup;
    for (size_t k = 0; k < m; k++) {
        if (a[k] == b[k]) continue;
        g->indptr[(size_t)a[k] + 1]++;
        g->indptr[(size_t)b[k] + 1]++;
        total += 2;
    }
    for (size_t i = 0; i < n; i++) g->indptr[i + 1] += g->indptr[i];
    g->indices = cperm_malloc(total, sizeof *g->indices);
    fill = cperm_malloc(n + 1, sizeof *fill);
    if (!g->indices || !fill) goto cleanup;
    memcpy(fill, g->indptr, (n + 1) * sizeof *fill);
    for (size_t k = 0; k < m; k++) {
        if (a[k] == b[k]) continue;
        g->indices[fill[a[k]]++] = b[k];
        g->indices[fill[b[k]]++] = a[k];
    }
    /* Sort and deduplicate each row, compacting in place (the write position never
     * overtakes the read position). */
    {
        size_t w = 0, old_start = 0;
        for (size_t i = 0; i < n; i++) {
            size_t old_end = g->indptr[i + 1];
            int32_t *row = g->indices + old_start;
            size_t len = old_end - old_start;
            sort_i32(row, len);
            g->indptr[i] = w;
            for (size_t j = 0; j < len; j++)
                if (w == g->indptr[i] || g->indices[w - 1] != row[j]) g->indices[w++] = row[j];
            old_start = old_end;
        }
        g->indptr[n] = w;
        if (w > 0 && w < total) {
            int32_t *shrunk = realloc(g->indices, w * sizeof *g->indices);
            if (shrunk) g->indices = shrunk;
        }
    }
    *out = g;
    g = NULL;
    rc = CPERM_OK;
cleanup:
    if (rc == CPERM_ENOMEM) cperm_fail(err, rc, "adjacency: out of memory for %zu vertices, %zu edges", n, m);
    free(fill);
    cperm_graph_free(g);
    return rc;
}

/* Sorted distinct values of v[0..n) into a new array; *n_unique receives the count. */
static int32_t *sorted_unique(const int32_t *v, size_t n, size_t *n_unique) {
    int32_t *u = cperm_malloc(n, sizeof *u);
    size_t w = 0;
    if (!u) return NULL;
    memcpy(u, v, n * sizeof *u);
    qsort(u, n, sizeof *u, cmp_i32);
    for (size_t i = 0; i < n; i++)
        if (w == 0 || u[w - 1] != u[i]) u[w++] = u[i];
    *n_unique = w;
    return u;
}

/* Index of x in the sorted array u[0..n) (x must be present). */
static int32_t rank_of(const int32_t *u, size_t n, int32_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return (int32_t)lo;
}

/* Expands n_tris triangles into the pairs (a,b), (b,c), (c,a), mapping every index through
 * `map` (sorted unique values to rank) when map is non-NULL. */
static int tris_to_pairs(int32_t **pa, int32_t **pb, const int32_t *tris, size_t n_tris,
                         const int32_t *map, size_t n_map) {
    size_t m = 3 * n_tris;
    int32_t *a = cperm_malloc(m, sizeof *a), *b = cperm_malloc(m, sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return CPERM_ENOMEM;
    }
    for (size_t t = 0; t < n_tris; t++) {
        int32_t v[3];
        for (int c = 0; c < 3; c++) {
            v[c] = tris[3 * t + (size_t)c];
            if (map) v[c] = rank_of(map, n_map, v[c]);
        }
        for (int c = 0; c < 3; c++) {
            a[3 * t + (size_t)c] = v[c];
            b[3 * t + (size_t)c] = v[(c + 1) % 3];
        }
    }
    *pa = a;
    *pb = b;
    return CPERM_OK;
}

int cperm_graph_from_tris(cperm_graph **out, const int32_t *tris, size_t n_tris,
                          size_t n_vertices, int remap, cperm_err *err) {
    int32_t *u = NULL, *a = NULL, *b = NULL;
    size_t n_unique = 0, n = n_vertices;
    int32_t max_index = -1;
    int rc;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "adjacency: no output pointer");
    *out = NULL;
    if (!tris && n_tris > 0) return cperm_fail(err, CPERM_EINVAL, "adjacency: triangles are NULL");
    if (n_tris > SIZE_MAX / 3 / sizeof(int32_t))
        return cperm_fail(err, CPERM_EINVAL, "adjacency: %zu triangles is too many", n_tris);
    if (n_tris == 0 && n_vertices == 0)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: no triangles and no vertex count");
    for (size_t k = 0; k < 3 * n_tris; k++) {
        if (tris[k] < 0)
            return cperm_fail(err, CPERM_EINVAL, "adjacency: triangle %zu has a negative vertex index (%d)",
                              k / 3, (int)tris[k]);
        if (tris[k] > max_index) max_index = tris[k];
    }
    if (remap || n_vertices == 0) {
        u = sorted_unique(tris, 3 * n_tris, &n_unique);
        if (!u) {
            rc = cperm_fail(err, CPERM_ENOMEM, "adjacency: out of memory for %zu triangles", n_tris);
            goto cleanup;
        }
    }
    if (remap) {
        /* remap_vertices=True: vertex i of the graph is the i-th smallest index used. */
        if (n_vertices == 0) n = n_unique;
        else if (n_vertices < n_unique) {
            rc = cperm_fail(err, CPERM_EINVAL, "adjacency: triangles use %zu distinct vertices but n_vertices is %zu",
                            n_unique, n_vertices);
            goto cleanup;
        }
    } else if (n_vertices == 0) {
        /* mne.surface.mesh_edges refuses a mesh whose largest index exceeds the number of
         * distinct indices (it allows exactly one gap, as MNE does). */
        if ((size_t)max_index > n_unique) {
            rc = cperm_fail(err, CPERM_EINVAL,
                            "adjacency: Cannot compute adjacency on a selection of triangles "
                            "(largest vertex index %d, %zu distinct vertices); remap or give n_vertices",
                            (int)max_index, n_unique);
            goto cleanup;
        }
        n = (size_t)max_index + 1;
    } else if (max_index >= 0 && (size_t)max_index >= n_vertices) {
        for (size_t k = 0; k < 3 * n_tris; k++)
            if ((size_t)tris[k] >= n_vertices) {
                rc = cperm_fail(err, CPERM_EINVAL, "adjacency: triangle %zu uses vertex %d but n_vertices is %zu",
                                k / 3, (int)tris[k], n_vertices);
                goto cleanup;
            }
    }
    if (n > GRAPH_MAX_VERTICES) {
        rc = cperm_fail(err, CPERM_EINVAL, "adjacency: %zu vertices exceed the int32 index range", n);
        goto cleanup;
    }
    rc = tris_to_pairs(&a, &b, tris, n_tris, remap ? u : NULL, n_unique);
    if (rc < 0) {
        cperm_fail(err, rc, "adjacency: out of memory for %zu triangles", n_tris);
        goto cleanup;
    }
    rc = graph_build(out, n, a, b, 3 * n_tris, err);
cleanup:
    free(u);
    free(a);
    free(b);
    return rc;
}

int cperm_graph_from_edges(cperm_graph **out, size_t n_vertices, const int64_t *edges,
                           size_t n_edges, cperm_err *err) {
    int32_t *a = NULL, *b = NULL;
    int rc;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "adjacency: no output pointer");
    *out = NULL;
    if (!edges && n_edges > 0) return cperm_fail(err, CPERM_EINVAL, "adjacency: edges are NULL");
    if (n_vertices > GRAPH_MAX_VERTICES)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: %zu vertices exceed the int32 index range", n_vertices);
    if (n_edges > SIZE_MAX / 2 / sizeof(int64_t))
        return cperm_fail(err, CPERM_EINVAL, "adjacency: %zu edges is too many", n_edges);
    for (size_t k = 0; k < 2 * n_edges; k++)
        if (edges[k] < 0 || (uint64_t)edges[k] >= n_vertices)
            return cperm_fail(err, CPERM_EINVAL, "adjacency: edge %zu uses vertex %lld, outside [0, %zu)",
                              k / 2, (long long)edges[k], n_vertices);
    a = cperm_malloc(n_edges, sizeof *a);
    b = cperm_malloc(n_edges, sizeof *b);
    if (!a || !b) {
        rc = cperm_fail(err, CPERM_ENOMEM, "adjacency: out of memory for %zu edges", n_edges);
        goto cleanup;
    }
    for (size_t k = 0; k < n_edges; k++) {
        a[k] = (int32_t)edges[2 * k];
        b[k] = (int32_t)edges[2 * k + 1];
    }
    rc = graph_build(out, n_vertices, a, b, n_edges, err);
cleanup:
    free(a);
    free(b);
    return rc;
}

/* Whether the sorted row [lo, hi) of indices holds x. */
static int row_has(const int32_t *indices, size_t lo, size_t hi, int32_t x) {
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (indices[mid] == x) return 1;
        if (indices[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int cperm_graph_from_csr(cperm_graph **out, size_t n_vertices, const int64_t *indptr,
                         const int32_t *indices, cperm_err *err) {
    int32_t *a = NULL, *b = NULL;
    cperm_graph *g = NULL;
    size_t nnz;
    int rc;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "adjacency: no output pointer");
    *out = NULL;
    if (!indptr) return cperm_fail(err, CPERM_EINVAL, "adjacency: CSR indptr is NULL");
    if (n_vertices > GRAPH_MAX_VERTICES)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: %zu vertices exceed the int32 index range", n_vertices);
    if (indptr[0] != 0)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: CSR indptr[0] is %lld, not 0", (long long)indptr[0]);
    for (size_t i = 0; i < n_vertices; i++)
        if (indptr[i + 1] < indptr[i])
            return cperm_fail(err, CPERM_EINVAL, "adjacency: CSR row %zu has a negative length (indptr decreases)", i);
    nnz = (size_t)indptr[n_vertices];
    if ((uint64_t)indptr[n_vertices] > SIZE_MAX / sizeof(int32_t))
        return cperm_fail(err, CPERM_EINVAL, "adjacency: CSR has too many entries");
    if (!indices && nnz > 0) return cperm_fail(err, CPERM_EINVAL, "adjacency: CSR indices are NULL");
    for (size_t i = 0; i < n_vertices; i++)
        for (size_t k = (size_t)indptr[i]; k < (size_t)indptr[i + 1]; k++)
            if (indices[k] < 0 || (size_t)indices[k] >= n_vertices)
                return cperm_fail(err, CPERM_EINVAL, "adjacency: CSR row %zu lists vertex %d, outside [0, %zu)",
                                  i, (int)indices[k], n_vertices);
    /* Entries become pairs (row, col); graph_build symmetrises, so symmetry is checked
     * afterwards against the input itself: every stored (i, j) needs a stored (j, i). */
    a = cperm_malloc(nnz, sizeof *a);
    b = cperm_malloc(nnz, sizeof *b);
    if (!a || !b) {
        rc = cperm_fail(err, CPERM_ENOMEM, "adjacency: out of memory for %zu CSR entries", nnz);
        goto cleanup;
    }
    for (size_t i = 0; i < n_vertices; i++)
        for (size_t k = (size_t)indptr[i]; k < (size_t)indptr[i + 1]; k++) {
            a[k] = (int32_t)i;
            b[k] = indices[k];
        }
    /* Build the directed pattern first (each pair once) to test symmetry cheaply. */
    {
        size_t *cnt = NULL;
        int32_t *idx = NULL;
        rc = CPERM_ENOMEM;
        cnt = cperm_calloc(n_vertices + 1, sizeof *cnt);
        idx = cperm_malloc(nnz, sizeof *idx);
        if (cnt && idx) {
            size_t w = 0;
            for (size_t i = 0; i < n_vertices; i++) {
                size_t s = (size_t)indptr[i], e = (size_t)indptr[i + 1];
                memcpy(idx + w, indices + s, (e - s) * sizeof *idx);
                sort_i32(idx + w, e - s);
                cnt[i] = w;
                {
                    size_t r = w, end = w + (e - s);
                    size_t wr = w;
                    for (; r < end; r++)
                        if (idx[r] != (int32_t)i && (wr == w || idx[wr - 1] != idx[r])) idx[wr++] = idx[r];
                    w = wr;
                }
            }
            cnt[n_vertices] = w;
            rc = CPERM_OK;
            for (size_t i = 0; i < n_vertices && rc == CPERM_OK; i++)
                for (size_t k = cnt[i]; k < cnt[i + 1]; k++) {
                    size_t j = (size_t)idx[k];
                    if (!row_has(idx, cnt[j], cnt[j + 1], (int32_t)i)) {
                        rc = cperm_fail(err, CPERM_EINVAL,
                                        "adjacency: CSR matrix is not symmetric: row %zu lists %zu but row %zu does not list %zu",
                                        i, j, j, i);
                        break;
                    }
                }
        } else {
            cperm_fail(err, rc, "adjacency: out of memory for %zu CSR entries", nnz);
        }
        free(cnt);
        free(idx);
        if (rc < 0) goto cleanup;
    }
    rc = graph_build(&g, n_vertices, a, b, nnz, err);
    if (rc == CPERM_OK) {
        *out = g;
        g = NULL;
    }
cleanup:
    free(a);
    free(b);
    cperm_graph_free(g);
    return rc;
}

/* mne.spatial_src_adjacency (surface path, _spatio_temporal_src_adjacency_surf): per
 * hemisphere the used vertices are unique(use_tris); triangles are renumbered by rank among
 * them plus the count of earlier hemispheres' used vertices; finally only the vertices in
 * vertno are kept, in order. Vertex i of the result is the i-th entry of the concatenated
 * vertno arrays. MNE's "adjacency will have holes" warning cannot be printed here. */
int cperm_graph_from_surfaces(cperm_graph **out, const cperm_src_hemi *hemis, size_t n_hemis,
                              size_t first_index, cperm_err *err) {
    int32_t *rank = NULL, *a = NULL, *b = NULL;
    size_t max_np = 0, total_tris = 0, total_used = 0, total_kept = 0, offset = 0, m = 0;
    int rc = CPERM_OK;

    *out = NULL;
    for (size_t h = 0; h < n_hemis; h++) {
        const cperm_src_hemi *s = &hemis[h];
        if (!s->use_tris)
            return cperm_fail(err, CPERM_EUNSUPPORTED,
                              "adjacency: source space %zu has no use_tris: it does not appear to be an ico/oct surface, "
                              "adjacency cannot be extracted from non-ico source spaces", first_index + h);
        if (s->np > GRAPH_MAX_VERTICES || (s->nuse > 0 && !s->vertno) || s->nuse > s->np)
            return cperm_fail(err, CPERM_EINVAL, "adjacency: source space %zu has inconsistent counts (np %zu, nuse %zu)",
                              first_index + h, s->np, s->nuse);
        if (s->nuse_tri > SIZE_MAX / 3 - total_tris)
            return cperm_fail(err, CPERM_EINVAL, "adjacency: too many triangles");
        for (size_t k = 0; k < 3 * s->nuse_tri; k++)
            if (s->use_tris[k] < 0 || (size_t)s->use_tris[k] >= s->np)
                return cperm_fail(err, CPERM_EINVAL, "adjacency: source space %zu: use_tris %zu uses vertex %d of %zu",
                                  first_index + h, k / 3, (int)s->use_tris[k], s->np);
        for (size_t k = 0; k < s->nuse; k++)
            if (s->vertno[k] < 0 || (size_t)s->vertno[k] >= s->np || (k > 0 && s->vertno[k] <= s->vertno[k - 1]))
                return cperm_fail(err, CPERM_EINVAL, "adjacency: source space %zu: vertno[%zu] = %d is out of range or not ascending",
                                  first_index + h, k, (int)s->vertno[k]);
        if (s->np > max_np) max_np = s->np;
        total_tris += s->nuse_tri;
    }
    /* rank[v]: for the current hemisphere, -2 = unused, -1 = used but not in vertno,
     * otherwise the output vertex number. */
    rank = cperm_malloc(max_np, sizeof *rank);
    a = cperm_malloc(3 * total_tris, sizeof *a);
    b = cperm_malloc(3 * total_tris, sizeof *b);
    if (!rank || !a || !b) {
        rc = cperm_fail(err, CPERM_ENOMEM, "adjacency: out of memory for %zu triangles", total_tris);
        goto cleanup;
    }
    for (size_t h = 0; h < n_hemis; h++) {
        const cperm_src_hemi *s = &hemis[h];
        size_t n_used = 0, n_kept = 0;
        for (size_t v = 0; v < s->np; v++) rank[v] = -2;
        for (size_t k = 0; k < 3 * s->nuse_tri; k++) rank[s->use_tris[k]] = -1;
        for (size_t v = 0; v < s->np; v++) n_used += rank[v] == -1;
        for (size_t k = 0; k < s->nuse; k++) {
            if (rank[s->vertno[k]] == -2) {
                rc = cperm_fail(err, CPERM_EINVAL,
                                "adjacency: source space %zu: Vertex mask does not match number of vertices "
                                "(vertex %d is in vertno but in no triangle of use_tris)", first_index + h, (int)s->vertno[k]);
                goto cleanup;
            }
            rank[s->vertno[k]] = (int32_t)(offset + n_kept++);
        }
        for (size_t t = 0; t < s->nuse_tri; t++)
            for (int c = 0; c < 3; c++) {
                int32_t x = rank[s->use_tris[3 * t + (size_t)c]];
                int32_t y = rank[s->use_tris[3 * t + (size_t)((c + 1) % 3)]];
                if (x >= 0 && y >= 0) {
                    a[m] = x;
                    b[m] = y;
                    m++;
                }
            }
        offset += n_kept;
        total_used += n_used;
        total_kept += n_kept;
    }
    if (total_used == 0) {
        rc = cperm_fail(err, CPERM_EINVAL, "adjacency: the source space has no triangles in use_tris");
        goto cleanup;
    }
    rc = graph_build(out, total_kept, a, b, m, err);
cleanup:
    free(rank);
    free(a);
    free(b);
    return rc;
}

int cperm_graph_from_src(cperm_graph **out, const cperm_srcspace *src, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "adjacency: no output pointer");
    *out = NULL;
    if (!src || src->n_hemis == 0 || !src->hemis)
        return cperm_fail(err, CPERM_EINVAL, "adjacency: the source space is empty");
    for (size_t h = 0; h < src->n_hemis; h++)
        if (src->hemis[h].type == CPERM_SRC_VOLUME) return cperm_graph_from_spaces(out, src, err);
    /* Surfaces (and discrete spaces, refused there for want of use_tris): MNE's path. */
    return cperm_graph_from_surfaces(out, src->hemis, src->n_hemis, 0, err);
}
