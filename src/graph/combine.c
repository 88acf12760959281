/* combine.c - neighbourhoods over several dimensions: MNE's combine_adjacency and the lattice of ndimage.label. */
#include "common_internal.h"

#include <stdlib.h>

/* Vertex indices are int32 (as in adjacency.c), so a graph holds at most 2^31 vertices. */
#define COMBINE_MAX_VERTICES ((size_t)INT32_MAX + 1u)

/* One dimension's neighbourhood as CSR. A lattice gets a private chain so that the product
 * below treats both kinds alike; a caller's graph is only borrowed. */
typedef struct dim_graph {
    size_t n;
    const size_t *indptr;
    const int32_t *indices;
    size_t *own_indptr;
    int32_t *own_indices;
} dim_graph;

static void dim_graph_release(dim_graph *d) {
    free(d->own_indptr);
    free(d->own_indices);
    d->own_indptr = NULL;
    d->own_indices = NULL;
}

/* The chain 0 - 1 - ... - (n-1): MNE's sparse.diags([1, 1], offsets=(-1, 1)). */
static int chain_make(dim_graph *d, size_t n) {
    size_t nnz = n > 1 ? 2 * (n - 1) : 0, w = 0;
    d->n = n;
    d->own_indptr = cperm_malloc(n + 1, sizeof *d->own_indptr);
    d->own_indices = cperm_malloc(nnz ? nnz : 1, sizeof *d->own_indices);
    if (!d->own_indptr || !d->own_indices) return CPERM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d->own_indptr[i] = w;
        if (i > 0) d->own_indices[w++] = (int32_t)(i - 1);
        if (i + 1 < n) d->own_indices[w++] = (int32_t)(i + 1);
    }
    d->own_indptr[n] = w;
    d->indptr = d->own_indptr;
    d->indices = d->own_indices;
    return CPERM_OK;
}

/* A caller's graph must already hold the cperm_graph invariants (rows strictly ascending, no
 * self-loop, symmetric): the product inherits its row order from them, and a broken input
 * would silently give a broken product. Symmetry costs a binary search per entry. */
static int graph_check(const cperm_graph *g, size_t dim, cperm_err *err) {
    size_t n = g->n_vertices;
    if (!g->indptr || (!g->indices && g->indptr[n] > 0))
        return cperm_fail(err, CPERM_EINVAL, "combine: graph of dimension %zu has NULL arrays", dim);
    if (g->indptr[0] != 0)
        return cperm_fail(err, CPERM_EINVAL, "combine: graph of dimension %zu: indptr[0] is %zu, not 0",
                          dim, g->indptr[0]);
    for (size_t i = 0; i < n; i++) {
        size_t lo = g->indptr[i], hi = g->indptr[i + 1];
        if (hi < lo)
            return cperm_fail(err, CPERM_EINVAL, "combine: graph of dimension %zu: row pointers decrease at vertex %zu",
                              dim, i);
        for (size_t k = lo; k < hi; k++) {
            int32_t u = g->indices[k];
            if (u < 0 || (size_t)u >= n)
                return cperm_fail(err, CPERM_EINVAL,
                                  "combine: graph of dimension %zu: vertex %zu has neighbour %d outside [0, %zu)",
                                  dim, i, (int)u, n);
            if ((size_t)u == i)
                return cperm_fail(err, CPERM_EINVAL, "combine: graph of dimension %zu: vertex %zu lists itself",
                                  dim, i);
            if (k > lo && g->indices[k - 1] >= u)
                return cperm_fail(err, CPERM_EINVAL,
                                  "combine: graph of dimension %zu: neighbours of vertex %zu are not strictly ascending",
                                  dim, i);
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = g->indptr[i]; k < g->indptr[i + 1]; k++) {
            size_t j = (size_t)g->indices[k], lo = g->indptr[j], hi = g->indptr[j + 1];
            int found = 0;
            while (lo < hi && !found) {
                size_t mid = lo + (hi - lo) / 2;
                if ((size_t)g->indices[mid] == i) found = 1;
                else if ((size_t)g->indices[mid] < i) lo = mid + 1;
                else hi = mid;
            }
            if (!found)
                return cperm_fail(err, CPERM_EINVAL,
                                  "combine: graph of dimension %zu is not symmetric: %zu lists %zu but %zu does not list %zu",
                                  dim, i, j, j, i);
        }
    return CPERM_OK;
}

/* First position in row i of d whose neighbour exceeds i (rows hold no self-loop). */
static size_t row_split(const dim_graph *d, size_t i) {
    size_t lo = d->indptr[i], hi = d->indptr[i + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)d->indices[mid] < i) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The product graph. A neighbour of point p differs from p in exactly one coordinate d, by
 * less than the stride of dimension d - 1, so a row comes out sorted without sorting: the
 * lower neighbours of dimension 0, 1, ..., D-1, then the upper ones of D-1, ..., 0, each
 * dimension's in its own ascending order. */
static int product_build(cperm_graph **out, size_t n_dims, const dim_graph *dims, size_t n,
                         size_t nnz, cperm_err *err) {
    cperm_graph *g = NULL;
    size_t *stride = NULL, *coord = NULL;
    int rc = CPERM_ENOMEM;

    g = calloc(1, sizeof *g);
    stride = cperm_malloc(n_dims, sizeof *stride);
    coord = cperm_calloc(n_dims, sizeof *coord);
    if (!g || !stride || !coord) goto cleanup;
    g->n_vertices = n;
    g->indptr = cperm_malloc(n + 1, sizeof *g->indptr);
    g->indices = cperm_malloc(nnz ? nnz : 1, sizeof *g->indices);
    if (!g->indptr || !g->indices) goto cleanup;
    stride[n_dims - 1] = 1;
    for (size_t d = n_dims - 1; d > 0; d--) stride[d - 1] = stride[d] * dims[d].n;

    size_t w = 0;
    for (size_t p = 0; p < n; p++) {
        g->indptr[p] = w;
        for (size_t d = 0; d < n_dims; d++) {
            const dim_graph *dg = &dims[d];
            size_t i = coord[d], split = row_split(dg, i);
            for (size_t k = dg->indptr[i]; k < split; k++)
                g->indices[w++] = (int32_t)(p - (i - (size_t)dg->indices[k]) * stride[d]);
        }
        for (size_t d = n_dims; d-- > 0;) {
            const dim_graph *dg = &dims[d];
            size_t i = coord[d], split = row_split(dg, i);
            for (size_t k = split; k < dg->indptr[i + 1]; k++)
                g->indices[w++] = (int32_t)(p + ((size_t)dg->indices[k] - i) * stride[d]);
        }
        for (size_t d = n_dims; d-- > 0;) {
            if (++coord[d] < dims[d].n) break;
            coord[d] = 0;
        }
    }
    g->indptr[n] = w;
    *out = g;
    g = NULL;
    rc = CPERM_OK;
cleanup:
    if (rc == CPERM_ENOMEM)
        cperm_fail(err, rc, "combine: out of memory for %zu points and %zu neighbour entries", n, nnz);
    free(stride);
    free(coord);
    cperm_graph_free(g);
    return rc;
}

int cperm_graph_combine(cperm_graph **out, size_t n_dims, const size_t *lengths,
                        const cperm_graph *const *graphs, cperm_err *err) {
    dim_graph *dims = NULL;
    size_t n = 1, nnz = 0;
    int rc = CPERM_OK;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "combine: no output pointer");
    *out = NULL;
    if (n_dims == 0) return cperm_fail(err, CPERM_EINVAL, "combine: no dimensions");
    if (!lengths) return cperm_fail(err, CPERM_EINVAL, "combine: lengths are NULL");
    for (size_t d = 0; d < n_dims; d++) {
        const cperm_graph *g = graphs ? graphs[d] : NULL;
        if (lengths[d] == 0)
            return cperm_fail(err, CPERM_EINVAL, "combine: dimension %zu has length 0", d);
        if (g && g->n_vertices != lengths[d])
            return cperm_fail(err, CPERM_EMISMATCH,
                              "combine: dimension %zu has length %zu but its graph has %zu vertices",
                              d, lengths[d], g->n_vertices);
        if (lengths[d] > COMBINE_MAX_VERTICES / n)
            return cperm_fail(err, CPERM_EINVAL,
                              "combine: the product of the lengths exceeds 2^31 points at dimension %zu (length %zu)",
                              d, lengths[d]);
        n *= lengths[d];
    }
    for (size_t d = 0; d < n_dims; d++) {
        const cperm_graph *g = graphs ? graphs[d] : NULL;
        if (g && (rc = graph_check(g, d, err)) < 0) return rc;
    }
    dims = cperm_calloc(n_dims, sizeof *dims);
    if (!dims) return cperm_fail(err, CPERM_ENOMEM, "combine: out of memory for %zu dimensions", n_dims);
    for (size_t d = 0; d < n_dims && rc == CPERM_OK; d++) {
        const cperm_graph *g = graphs ? graphs[d] : NULL;
        if (g) {
            dims[d].n = g->n_vertices;
            dims[d].indptr = g->indptr;
            dims[d].indices = g->indices;
        } else if (chain_make(&dims[d], lengths[d]) < 0) {
            rc = cperm_fail(err, CPERM_ENOMEM, "combine: out of memory for a lattice of %zu", lengths[d]);
        }
    }
    /* Every entry of dimension d's graph appears once per point of the other dimensions. */
    for (size_t d = 0; d < n_dims && rc == CPERM_OK; d++) {
        size_t entries = dims[d].indptr[dims[d].n], others = n / dims[d].n;
        if (entries > 0 && (others > SIZE_MAX / entries || entries * others > SIZE_MAX - nnz ||
                            entries * others + nnz > SIZE_MAX / sizeof(int32_t)))
            rc = cperm_fail(err, CPERM_EINVAL, "combine: %zu points have too many neighbour entries to store", n);
        else
            nnz += entries * others;
    }
    if (rc == CPERM_OK) rc = product_build(out, n_dims, dims, n, nnz, err);
    for (size_t d = 0; d < n_dims; d++) dim_graph_release(&dims[d]);
    free(dims);
    return rc;
}

/* scipy.ndimage.label's default structure is generate_binary_structure(ndim, 1): points that
 * share a face (differ by one in one coordinate) - the product of lattices. */
int cperm_graph_lattice(cperm_graph **out, size_t n_dims, const size_t *shape, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "lattice: no output pointer");
    *out = NULL;
    if (n_dims == 0) return cperm_fail(err, CPERM_EINVAL, "lattice: no dimensions");
    if (!shape) return cperm_fail(err, CPERM_EINVAL, "lattice: shape is NULL");
    for (size_t d = 0; d < n_dims; d++)
        if (shape[d] == 0) return cperm_fail(err, CPERM_EINVAL, "lattice: dimension %zu has length 0", d);
    return cperm_graph_combine(out, n_dims, shape, NULL, err);
}
