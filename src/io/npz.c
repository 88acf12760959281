/* npz.c - scipy.sparse.save_npz files (a zip of .npy members, read with libzip) as a
 * neighbourhood graph: the matrix's stored entries are its edges, as MNE's cluster code
 * uses them (structure, not values; either direction; the diagonal implicit). */
#include "common_internal.h"
#include "fileio_internal.h"
#include "npy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <zip.h>

/* Largest member we inflate (a 10^8-edge adjacency is 0.8 GB of int64 indices). */
#define NPZ_MAX_MEMBER ((zip_uint64_t)1 << 32)
#define NPZ_MAX_FILE ((size_t)1 << 34)

/* One member's bytes (*buf, freed by the caller), or *buf NULL when absent. */
static int read_member(zip_t *z, const char *member, unsigned char **buf, size_t *len,
                       const char *name, cperm_err *err) {
    zip_stat_t st;
    *buf = NULL;
    *len = 0;
    zip_stat_init(&st);
    if (zip_stat(z, member, 0, &st) != 0) return CPERM_OK; /* absent */
    if (!(st.valid & ZIP_STAT_SIZE))
        return cperm_fail(err, CPERM_EFORMAT, "npz: %s: member %s has no size", name, member);
    if (st.size > NPZ_MAX_MEMBER)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "npz: %s: member %s is %llu bytes "
                          "uncompressed (at most %llu)", name, member,
                          (unsigned long long)st.size, (unsigned long long)NPZ_MAX_MEMBER);
    /* deflate expands at most 1032:1: a directory entry claiming more is corrupt, and the
     * check bounds what we allocate by the file's size */
    if (!(st.valid & ZIP_STAT_COMP_SIZE) || st.size > st.comp_size * 1100 + 4096)
        return cperm_fail(err, CPERM_EFORMAT, "npz: %s: member %s claims %llu bytes from %llu "
                          "compressed", name, member, (unsigned long long)st.size,
                          (unsigned long long)st.comp_size);
    zip_file_t *f = zip_fopen(z, member, 0);
    if (!f)
        return cperm_fail(err, CPERM_EFORMAT, "npz: %s: cannot open member %s: %s", name,
                          member, zip_strerror(z));
    unsigned char *b = malloc(st.size ? (size_t)st.size : 1);
    if (!b) {
        zip_fclose(f);
        return cperm_fail(err, CPERM_ENOMEM, "npz: %s: cannot allocate %llu bytes for %s", name,
                          (unsigned long long)st.size, member);
    }
    zip_int64_t got = st.size ? zip_fread(f, b, st.size) : 0;
    /* one byte more must give end of file: a member longer than its directory entry says
     * is corrupt */
    unsigned char extra;
    zip_int64_t more = got == (zip_int64_t)st.size ? zip_fread(f, &extra, 1) : 0;
    const char *why = got < 0 || more < 0 ? zip_file_strerror(f) : NULL;
    char why_copy[128];
    snprintf(why_copy, sizeof why_copy, "%s", why ? why : "");
    zip_fclose(f); /* also checks the CRC */
    if (got != (zip_int64_t)st.size || more != 0) {
        free(b);
        return cperm_fail(err, CPERM_EFORMAT, "npz: %s: member %s is corrupt: %s", name, member,
                          why_copy[0] ? why_copy : "its size does not match the directory");
    }
    *buf = b;
    *len = (size_t)st.size;
    return CPERM_OK;
}

/* A member as a numeric array; *arr NULL when absent and optional. */
static int read_array(zip_t *z, const char *member, cperm_npy **arr, int required,
                      const char *name, cperm_err *err) {
    unsigned char *b = NULL;
    size_t len = 0;
    char who[512];
    *arr = NULL;
    int rc = read_member(z, member, &b, &len, name, err);
    if (rc) return rc;
    if (!b)
        return required ? cperm_fail(err, CPERM_EFORMAT, "npz: %s: no member %s (not a "
                                     "scipy.sparse.save_npz file?)", name, member)
                        : CPERM_OK;
    snprintf(who, sizeof who, "%s:%s", name, member);
    rc = cperm_npy_read_mem(arr, b, len, who, err);
    free(b);
    return rc;
}

/* An index array: 1-D, integral values in [0, bound). */
static int check_indices(const cperm_npy *a, const char *member, double bound, const char *name,
                         cperm_err *err) {
    if (a->ndim != 1)
        return cperm_fail(err, CPERM_EFORMAT, "npz: %s: %s has %zu dimensions, not 1", name,
                          member, a->ndim);
    for (size_t i = 0; i < a->size; i++) {
        const double v = a->data[i];
        if (!(v >= 0 && v < bound) || v != (double)(int64_t)v)
            return cperm_fail(err, CPERM_EFORMAT, "npz: %s: %s[%zu] = %g is not an index in "
                              "[0, %.0f)", name, member, i, v, bound);
    }
    return CPERM_OK;
}

static int graph_from_zip(cperm_graph **out, zip_t *z, const char *name, cperm_err *err) {
    cperm_npy *shape = NULL, *data = NULL, *a = NULL, *b = NULL;
    int64_t *edges = NULL;
    unsigned char *fbuf = NULL;
    size_t flen = 0;
    char format[8];
    int rc = read_member(z, "format.npy", &fbuf, &flen, name, err);
    if (rc) goto cleanup;
    if (!fbuf) {
        rc = cperm_fail(err, CPERM_EFORMAT, "npz: %s: no member format.npy (not a "
                        "scipy.sparse.save_npz file?)", name);
        goto cleanup;
    }
    {
        char who[512];
        snprintf(who, sizeof who, "%s:format.npy", name);
        rc = cperm_npy_read_text_mem(format, sizeof format, fbuf, flen, who, err);
        if (rc) goto cleanup;
    }
    const int csr = !strcmp(format, "csr"), csc = !strcmp(format, "csc"),
              coo = !strcmp(format, "coo");
    if (!csr && !csc && !coo) {
        rc = cperm_fail(err, CPERM_EUNSUPPORTED, "npz: %s: sparse format '%s' is not supported "
                        "(csr, csc and coo are; convert with .tocsr())", name, format);
        goto cleanup;
    }
    if ((rc = read_array(z, "shape.npy", &shape, 1, name, err))) goto cleanup;
    if (shape->ndim != 1 || shape->size != 2 || shape->data[0] != shape->data[1] ||
        !(shape->data[0] >= 1 && shape->data[0] <= (double)INT32_MAX) ||
        shape->data[0] != (double)(int64_t)shape->data[0]) {
        rc = cperm_fail(err, CPERM_EFORMAT, "npz: %s: an adjacency must be a square matrix of "
                        "1 to %d rows; shape is %s%g x %g", name, INT32_MAX,
                        shape->size == 2 ? "" : "not 2 numbers: ",
                        shape->size > 0 ? shape->data[0] : 0.0,
                        shape->size > 1 ? shape->data[1] : 0.0);
        goto cleanup;
    }
    const size_t n = (size_t)shape->data[0];
    if ((rc = read_array(z, "data.npy", &data, 1, name, err))) goto cleanup;
    if (data->ndim != 1) {
        rc = cperm_fail(err, CPERM_EFORMAT, "npz: %s: data has %zu dimensions, not 1", name,
                        data->ndim);
        goto cleanup;
    }
    const size_t nnz = data->size;
    size_t n_edges = 0;
    if (coo) {
        if ((rc = read_array(z, "row.npy", &a, 1, name, err)) ||
            (rc = read_array(z, "col.npy", &b, 1, name, err)) ||
            (rc = check_indices(a, "row", (double)n, name, err)) ||
            (rc = check_indices(b, "col", (double)n, name, err)))
            goto cleanup;
        if (a->size != nnz || b->size != nnz) {
            rc = cperm_fail(err, CPERM_EFORMAT, "npz: %s: row, col and data have %zu, %zu and "
                            "%zu entries", name, a->size, b->size, nnz);
            goto cleanup;
        }
        edges = malloc((nnz ? nnz : 1) * 2 * sizeof *edges);
        if (!edges) {
            rc = cperm_fail(err, CPERM_ENOMEM, "npz: %s: out of memory", name);
            goto cleanup;
        }
        for (size_t k = 0; k < nnz; k++) {
            edges[2 * k] = (int64_t)a->data[k];
            edges[2 * k + 1] = (int64_t)b->data[k];
        }
        n_edges = nnz;
    } else { /* csr: row i's columns; csc: column j's rows (the same edges, transposed) */
        if ((rc = read_array(z, "indptr.npy", &a, 1, name, err)) ||
            (rc = read_array(z, "indices.npy", &b, 1, name, err)) ||
            (rc = check_indices(b, "indices", (double)n, name, err)))
            goto cleanup;
        if (a->ndim != 1 || a->size != n + 1 || a->data[0] != 0 || a->data[n] != (double)nnz ||
            b->size != nnz) {
            rc = cperm_fail(err, CPERM_EFORMAT, "npz: %s: indptr must hold %zu + 1 offsets from "
                            "0 to len(data) = %zu, and indices len(data) entries; got %zu "
                            "offsets and %zu indices", name, n, nnz, a->size, b->size);
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++)
            if (!(a->data[i + 1] >= a->data[i]) || a->data[i + 1] != (double)(int64_t)a->data[i + 1]) {
                rc = cperm_fail(err, CPERM_EFORMAT, "npz: %s: indptr[%zu] = %g is not an offset "
                                "after indptr[%zu] = %g", name, i + 1, a->data[i + 1], i,
                                a->data[i]);
                goto cleanup;
            }
        edges = malloc((nnz ? nnz : 1) * 2 * sizeof *edges);
        if (!edges) {
            rc = cperm_fail(err, CPERM_ENOMEM, "npz: %s: out of memory", name);
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++)
            for (size_t k = (size_t)a->data[i]; k < (size_t)a->data[i + 1]; k++) {
                edges[2 * k] = (int64_t)i;
                edges[2 * k + 1] = (int64_t)b->data[k];
            }
        n_edges = nnz;
    }
    rc = cperm_graph_from_edges(out, n, edges, n_edges, err);

cleanup:
    free(fbuf);
    free(edges);
    cperm_npy_free(shape);
    cperm_npy_free(data);
    cperm_npy_free(a);
    cperm_npy_free(b);
    return rc;
}

int cperm_graph_read_npz_mem(cperm_graph **out, const void *bytes, size_t size,
                             const char *name, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "npz: no output pointer");
    *out = NULL;
    if (!name) name = "(memory)";
    if (!bytes && size) return cperm_fail(err, CPERM_EINVAL, "npz: %s: no data", name);
    if (size == 0)
        return cperm_fail(err, CPERM_EFORMAT, "npz: %s: not a readable zip (.npz) file: the "
                          "file is empty", name);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(size ? bytes : "", size, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    if (!z) {
        int rc = cperm_fail(err, zip_error_code_zip(&ze) == ZIP_ER_MEMORY ? CPERM_ENOMEM
                                                                           : CPERM_EFORMAT,
                            "npz: %s: not a readable zip (.npz) file: %s", name,
                            zip_error_strerror(&ze));
        if (src) zip_source_free(src);
        zip_error_fini(&ze);
        return rc;
    }
    zip_error_fini(&ze);
    int rc = graph_from_zip(out, z, name, err);
    zip_discard(z); /* read-only: closes and frees the source */
    return rc;
}

int cperm_graph_read_npz(cperm_graph **out, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "npz: no output pointer");
    *out = NULL;
    if (!path) return cperm_fail(err, CPERM_EINVAL, "npz: no path");
    int rc = cperm_read_file(&buf, &size, path, NPZ_MAX_FILE, "npz", err);
    if (rc) return rc;
    rc = cperm_graph_read_npz_mem(out, buf, size, path, err);
    free(buf);
    return rc;
}
