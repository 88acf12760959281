/* render_spread.c - MNE's display-time spreading of values from the estimate's vertices to
 * a whole surface (smoothing steps or nearest used vertex), on the mesh's adjacency. */
#include "render_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Closed-neighbourhood adjacency (without self) of a triangle mesh, in CSR. */
typedef struct mesh_adj {
    size_t *indptr;
    int32_t *indices;
} mesh_adj;

static void adj_free(mesh_adj *a) {
    free(a->indptr);
    free(a->indices);
}

static int adj_build(mesh_adj *a, size_t nv, const int32_t *tris, size_t nt) {
    a->indptr = calloc(nv + 1, sizeof *a->indptr);
    a->indices = cperm_malloc(nt ? 6 * nt : 1, sizeof *a->indices);
    size_t *fill = calloc(nv + 1, sizeof *fill);
    if (!a->indptr || !a->indices || !fill) {
        free(fill);
        adj_free(a);
        return CPERM_ENOMEM;
    }
    for (size_t t = 0; t < nt; t++)
        for (size_t j = 0; j < 3; j++) a->indptr[(size_t)tris[3 * t + j] + 1] += 2;
    for (size_t v = 0; v < nv; v++) a->indptr[v + 1] += a->indptr[v];
    for (size_t t = 0; t < nt; t++) {
        for (size_t j = 0; j < 3; j++) {
            size_t v = (size_t)tris[3 * t + j];
            int32_t *row = a->indices + a->indptr[v];
            row[fill[v]++] = tris[3 * t + (j + 1) % 3];
            row[fill[v]++] = tris[3 * t + (j + 2) % 3];
        }
    }
    /* sort and deduplicate each row, compacting in place */
    size_t w = 0;
    for (size_t v = 0; v < nv; v++) {
        size_t b = a->indptr[v], e = a->indptr[v + 1];
        int32_t *row = a->indices + b;
        size_t n = e - b;
        cperm_insertion_sort_i32(row, n);
        a->indptr[v] = w;
        for (size_t i = 0; i < n; i++) {
            if (row[i] == (int32_t)v) continue;
            if (w > a->indptr[v] && a->indices[w - 1] == row[i]) continue;
            a->indices[w++] = row[i];
        }
    }
    a->indptr[nv] = w;
    free(fill);
    return CPERM_OK;
}

int cperm_surf_spread(double *out, size_t nv, const int32_t *tris, size_t nt,
                      const uint32_t *from, const double *values, size_t n_from, int steps,
                      cperm_err *err) {
    for (size_t i = 0; i < n_from; i++)
        if (from[i] >= nv)
            return cperm_fail(err, CPERM_EINVAL, "render: vertex %u is beyond the surface's %zu "
                              "vertices", from[i], nv);
    if (steps == 0 || (steps > 0 && n_from == 0)) {
        for (size_t v = 0; v < nv; v++) out[v] = 0.0;
        for (size_t i = 0; i < n_from; i++) out[from[i]] = values[i];
        return CPERM_OK;
    }
    mesh_adj a = {0};
    if (adj_build(&a, nv, tris, nt))
        return cperm_fail(err, CPERM_ENOMEM, "render: out of memory for the mesh adjacency");
    double *val = malloc((nv ? nv : 1) * sizeof *val), *nval = malloc((nv ? nv : 1) * sizeof *nval);
    uint8_t *in = calloc(nv ? nv : 1, 1), *nin = calloc(nv ? nv : 1, 1);
    int32_t *queue = NULL;
    int rc = CPERM_OK;
    if (!val || !nval || !in || !nin) {
        rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory spreading values");
        goto cleanup;
    }
    for (size_t v = 0; v < nv; v++) val[v] = 0.0;
    if (steps > 0) {
        /* morph._surf_upsampling_mat applied to the values: each step averages over the
         * closed neighbourhood's members of the set reached so far, which then grows. */
        for (size_t i = 0; i < n_from; i++) {
            val[from[i]] = values[i];
            in[from[i]] = 1;
        }
        for (int k = 0; k < steps; k++) {
            for (size_t v = 0; v < nv; v++) {
                double s = in[v] ? val[v] : 0.0;
                size_t c = in[v];
                for (size_t j = a.indptr[v]; j < a.indptr[v + 1]; j++) {
                    size_t u = (size_t)a.indices[j];
                    if (in[u]) s += val[u], c++;
                }
                nval[v] = c ? s / (double)c : 0.0;
                nin[v] = c > 0;
            }
            double *tv = val;
            val = nval, nval = tv;
            uint8_t *ti = in;
            in = nin, nin = ti;
        }
        memcpy(out, val, nv * sizeof *out);
    } else {
        /* nearest used vertex by edge count (morph._surf_nearest); sources in ascending
         * vertex order win ties. */
        queue = cperm_malloc(nv ? 2 * nv : 1, sizeof *queue);
        if (!queue) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory spreading values");
            goto cleanup;
        }
        int32_t *src_of = queue + nv;
        for (size_t v = 0; v < nv; v++) src_of[v] = -1;
        size_t head = 0, tail = 0;
        uint32_t *order = cperm_malloc(n_from ? n_from : 1, sizeof *order);
        if (!order) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory spreading values");
            goto cleanup;
        }
        for (size_t i = 0; i < n_from; i++) order[i] = (uint32_t)i;
        /* insertion sort by vertex: stc vertices are ascending, so this is linear */
        for (size_t i = 1; i < n_from; i++) {
            uint32_t x = order[i];
            size_t j = i;
            while (j > 0 && from[order[j - 1]] > from[x]) order[j] = order[j - 1], j--;
            order[j] = x;
        }
        for (size_t i = 0; i < n_from; i++) {
            uint32_t v = from[order[i]];
            if (src_of[v] >= 0) continue;
            src_of[v] = (int32_t)order[i];
            queue[tail++] = (int32_t)v;
        }
        free(order);
        while (head < tail) {
            size_t v = (size_t)queue[head++];
            for (size_t j = a.indptr[v]; j < a.indptr[v + 1]; j++) {
                size_t u = (size_t)a.indices[j];
                if (src_of[u] >= 0) continue;
                src_of[u] = src_of[v];
                queue[tail++] = (int32_t)u;
            }
        }
        for (size_t v = 0; v < nv; v++) out[v] = src_of[v] >= 0 ? values[src_of[v]] : NAN;
    }

cleanup:
    free(queue);
    free(val);
    free(nval);
    free(in);
    free(nin);
    adj_free(&a);
    return rc;
}
