/* stc_h5.c - reading MNE's "-stc.h5" source estimates (h5io layout, title "mnepython")
 * through libhdf5, with every rank, shape and type checked before data is read. */
#include "stc_internal.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* h5io type titles are short words ("dict", "ndarray", "unicode", ...). */
#define TITLE_CAP 64
/* Sanity limit on decompressed sizes relative to the file: deflate cannot expand more than
 * ~1032:1, so a dataset claiming more than this is corrupt (or all fill values, which h5io
 * never writes). Keeps a forged header from triggering a huge allocation: at most
 * (file bytes / 8) * H5_MAX_EXPANSION + H5_SLACK_ELEMENTS elements per dataset. */
#define H5_MAX_EXPANSION 2048u
#define H5_SLACK_ELEMENTS ((uint64_t)1 << 20)

typedef struct h5_reader {
    const char *path;
    cperm_err *err;
    uint64_t file_size;
} h5_reader;

/* Close any HDF5 identifier, ignoring invalid ones. */
static void h5_close(hid_t id) {
    if (id < 0) return;
    switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
    }
}

/* Read the h5io TITLE attribute of obj into buf (fixed-width or variable-length string). */
static int read_title(const h5_reader *r, hid_t obj, const char *what, char *buf) {
    hid_t attr = -1, type = -1, space = -1, mem = -1;
    int rc = CPERM_EFORMAT;
    htri_t is_var;

    buf[0] = '\0';
    if (H5Aexists(obj, "TITLE") <= 0)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s has no TITLE attribute", r->path,
                          what);
    attr = H5Aopen(obj, "TITLE", H5P_DEFAULT);
    if (attr < 0) goto bad;
    type = H5Aget_type(attr);
    space = H5Aget_space(attr);
    if (type < 0 || space < 0 || H5Tget_class(type) != H5T_STRING ||
        H5Sget_simple_extent_npoints(space) != 1)
        goto bad;
    is_var = H5Tis_variable_str(type);
    if (is_var < 0) goto bad;
    if (is_var) {
        char *s = NULL;
        mem = H5Tcopy(H5T_C_S1);
        if (mem < 0 || H5Tset_size(mem, H5T_VARIABLE) < 0 ||
            H5Tset_cset(mem, H5Tget_cset(type)) < 0 || H5Aread(attr, mem, &s) < 0 || !s)
            goto bad;
        snprintf(buf, TITLE_CAP, "%s", s);
        H5free_memory(s);
    } else {
        size_t size = H5Tget_size(type);
        char *tmp;
        if (size == 0 || size > 4096) goto bad;
        tmp = calloc(1, size + 1);
        if (!tmp) {
            rc = cperm_fail(r->err, CPERM_ENOMEM, "stc: %s: out of memory", r->path);
            goto cleanup;
        }
        if (H5Aread(attr, type, tmp) < 0) {
            free(tmp);
            goto bad;
        }
        if (H5Tget_strpad(type) == H5T_STR_SPACEPAD)
            while (size > 0 && (tmp[size - 1] == ' ' || tmp[size - 1] == '\0')) tmp[--size] = 0;
        snprintf(buf, TITLE_CAP, "%s", tmp);
        free(tmp);
    }
    rc = CPERM_OK;
    goto cleanup;
bad:
    rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: the TITLE attribute of %s is not a "
                    "readable string", r->path, what);
cleanup:
    h5_close(mem);
    h5_close(space);
    h5_close(type);
    h5_close(attr);
    return rc;
}

/* Open the member `name` of group g; *kind receives H5I_GROUP or H5I_DATASET. Returns
 * the id, or -1 with *missing set if there is no such link. */
static hid_t open_member(const h5_reader *r, hid_t g, const char *name, H5I_type_t *kind,
                         int *missing, int *rc) {
    hid_t obj;
    htri_t ex = H5Lexists(g, name, H5P_DEFAULT);
    *missing = 0;
    *rc = CPERM_OK;
    if (ex == 0) {
        *missing = 1;
        return -1;
    }
    if (ex < 0 || (obj = H5Oopen(g, name, H5P_DEFAULT)) < 0) {
        *rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot open %s", r->path, name);
        return -1;
    }
    *kind = H5Iget_type(obj);
    if (*kind != H5I_GROUP && *kind != H5I_DATASET) {
        h5_close(obj);
        *rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s is neither a group nor a dataset",
                         r->path, name);
        return -1;
    }
    return obj;
}

/* Shape of a dataset: rank (0 for a scalar dataspace) and dims (up to 3 kept), element
 * count, type class and element size. Ranks above 3 are reported as such, dims unfilled. */
typedef struct dset_info {
    int rank;
    hsize_t dims[3];
    uint64_t npoints;
    H5T_class_t cls;
    size_t elem_size;
} dset_info;

static int dataset_info(const h5_reader *r, hid_t d, const char *what, dset_info *info) {
    hid_t space = H5Dget_space(d), type = H5Dget_type(d);
    int rc = CPERM_OK, rank;
    hssize_t np;

    memset(info, 0, sizeof *info);
    if (space < 0 || type < 0) goto bad;
    rank = H5Sget_simple_extent_ndims(space);
    np = H5Sget_simple_extent_npoints(space);
    if (rank < 0 || np < 0 || H5Sget_simple_extent_type(space) == H5S_NULL) goto bad;
    info->rank = rank;
    info->npoints = (uint64_t)np;
    if (rank <= 3 && H5Sget_simple_extent_dims(space, info->dims, NULL) < 0) goto bad;
    info->cls = H5Tget_class(type);
    info->elem_size = H5Tget_size(type);
    if (info->cls == H5T_NO_CLASS || info->elem_size == 0) goto bad;
    /* Bound the decompressed size by the file size before anyone allocates for it. */
    if (r->file_size / 8 < (UINT64_MAX - H5_SLACK_ELEMENTS) / H5_MAX_EXPANSION &&
        info->npoints > r->file_size / 8 * H5_MAX_EXPANSION + H5_SLACK_ELEMENTS) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s claims %llu elements, more than "
                        "a %llu-byte file can hold", r->path, what,
                        (unsigned long long)info->npoints, (unsigned long long)r->file_size);
    }
    goto cleanup;
bad:
    rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot query the shape and type of %s",
                    r->path, what);
cleanup:
    h5_close(type);
    h5_close(space);
    return rc;
}

/* A numeric dataset of exactly one element (h5io "float"/"int"/"np_*" scalars), as double. */
static int read_scalar(const h5_reader *r, hid_t g, const char *name, double *value) {
    H5I_type_t kind = H5I_BADID;
    int missing, rc;
    char title[TITLE_CAP];
    dset_info info;
    hid_t d = open_member(r, g, name, &kind, &missing, &rc);

    if (missing)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: /mnepython/%s is missing", r->path,
                          name);
    if (d < 0) return rc;
    if (kind != H5I_DATASET) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s is not a dataset", r->path, name);
        goto cleanup;
    }
    if ((rc = read_title(r, d, name, title))) goto cleanup;
    if (strcmp(title, "float") != 0 && strcmp(title, "int") != 0 &&
        strncmp(title, "np_", 3) != 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s has type '%s', expected a number",
                        r->path, name, title);
        goto cleanup;
    }
    if ((rc = dataset_info(r, d, name, &info))) goto cleanup;
    if ((info.cls != H5T_FLOAT && info.cls != H5T_INTEGER) || info.npoints != 1 ||
        info.rank > 1) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s must hold one number (rank %d, %llu "
                        "elements)", r->path, name, info.rank, (unsigned long long)info.npoints);
        goto cleanup;
    }
    if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0)
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot read %s", r->path, name);
cleanup:
    h5_close(d);
    return rc;
}

/* An h5io string (uint8 bytes, title unicode/ascii/str) of at most cap-1 bytes, or None
 * (title 'None': *is_none = 1, buf ""). Missing members set *missing. */
static int read_string(const h5_reader *r, hid_t g, const char *name, char *buf, size_t cap,
                       int *is_none, int *missing) {
    H5I_type_t kind = H5I_BADID;
    int rc;
    char title[TITLE_CAP];
    dset_info info;
    hid_t d = open_member(r, g, name, &kind, missing, &rc);

    buf[0] = '\0';
    *is_none = 0;
    if (d < 0) return rc;
    if (kind != H5I_DATASET) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s is not a dataset", r->path, name);
        goto cleanup;
    }
    if ((rc = read_title(r, d, name, title))) goto cleanup;
    if (strcmp(title, "None") == 0) {
        *is_none = 1;
        goto cleanup;
    }
    if (strcmp(title, "unicode") != 0 && strcmp(title, "ascii") != 0 &&
        strcmp(title, "str") != 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s has type '%s', expected a string",
                        r->path, name, title);
        goto cleanup;
    }
    if ((rc = dataset_info(r, d, name, &info))) goto cleanup;
    if (info.cls != H5T_INTEGER || info.elem_size != 1 || info.rank != 1) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s is not a 1-D byte array", r->path,
                        name);
        goto cleanup;
    }
    if (info.npoints >= cap) {
        rc = cperm_fail(r->err, CPERM_EUNSUPPORTED, "stc: %s: %s is %llu bytes long (at most "
                        "%zu supported)", r->path, name, (unsigned long long)info.npoints,
                        cap - 1);
        goto cleanup;
    }
    if (info.npoints > 0 &&
        H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot read %s", r->path, name);
        goto cleanup;
    }
    buf[info.npoints] = '\0';
    if (strlen(buf) != info.npoints)
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s contains a NUL byte", r->path,
                        name);
cleanup:
    h5_close(d);
    return rc;
}

/* One vertex array (h5io ndarray of integers, rank 1), values in [0, 2^31). */
static int read_vertices(const h5_reader *r, hid_t d, const char *what, uint32_t **out,
                         size_t *n) {
    char title[TITLE_CAP];
    dset_info info;
    int64_t *tmp = NULL;
    uint32_t *v = NULL;
    size_t i;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = read_title(r, d, what, title))) return rc;
    if (strcmp(title, "ndarray") != 0)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s has type '%s', expected "
                          "ndarray", r->path, what, title);
    if ((rc = dataset_info(r, d, what, &info))) return rc;
    if (info.cls != H5T_INTEGER || info.rank != 1)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s must be a 1-D integer array",
                          r->path, what);
    tmp = cperm_malloc((size_t)info.npoints, sizeof *tmp);
    v = cperm_malloc((size_t)info.npoints, sizeof *v);
    if (!tmp || !v) {
        rc = cperm_fail(r->err, CPERM_ENOMEM, "stc: %s: out of memory", r->path);
        goto cleanup;
    }
    if (info.npoints > 0 &&
        H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot read %s", r->path, what);
        goto cleanup;
    }
    for (i = 0; i < (size_t)info.npoints; i++) {
        if (tmp[i] < 0 || tmp[i] > INT32_MAX) {
            rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: %s[%zu] = %lld is not a valid "
                            "vertex number", r->path, what, i, (long long)tmp[i]);
            goto cleanup;
        }
        v[i] = (uint32_t)tmp[i];
    }
    *out = v;
    *n = (size_t)info.npoints;
    v = NULL;
cleanup:
    free(tmp);
    free(v);
    return rc;
}

/* /mnepython/key_vertices: an h5io list (or tuple) idx_0, idx_1, ... read up to the first
 * missing index, or a bare ndarray (one entry). A surface estimate needs exactly two. */
static int read_vertex_list(const h5_reader *r, hid_t g, uint32_t *verts[2], size_t nv[2]) {
    H5I_type_t kind = H5I_BADID;
    int missing, rc;
    char title[TITLE_CAP], name[32];
    size_t count = 0;
    hid_t obj = open_member(r, g, "key_vertices", &kind, &missing, &rc);

    if (missing)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: /mnepython/key_vertices is missing",
                          r->path);
    if (obj < 0) return rc;
    if (kind == H5I_DATASET) {
        count = 1; /* read_source_estimate wraps a bare array into a one-entry list */
    } else {
        if ((rc = read_title(r, obj, "key_vertices", title))) goto cleanup;
        if (strcmp(title, "list") != 0 && strcmp(title, "tuple") != 0) {
            rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: key_vertices has type '%s', "
                            "expected list", r->path, title);
            goto cleanup;
        }
        for (;;) {
            H5I_type_t k2 = H5I_BADID;
            hid_t d;
            snprintf(name, sizeof name, "idx_%zu", count);
            d = open_member(r, obj, name, &k2, &missing, &rc);
            if (missing) break;
            if (d < 0) goto cleanup;
            if (count >= 2 || k2 != H5I_DATASET) {
                h5_close(d);
                rc = cperm_fail(r->err, CPERM_EFORMAT, count >= 2 ? "stc: %s: vertices must be "
                                "a list with 2 entries, got more (%s)" : "stc: %s: key_vertices/"
                                "%s is not a dataset", r->path, name);
                goto cleanup;
            }
            rc = read_vertices(r, d, name, &verts[count], &nv[count]);
            h5_close(d);
            if (rc) goto cleanup;
            count++;
        }
    }
    if (count != 2)
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: vertices must be a list with 2 "
                        "entries, got %zu", r->path, count);
cleanup:
    h5_close(obj);
    return rc;
}

static int read_impl(const h5_reader *r, cperm_stc **out) {
    static const char *const known[] = {"key_vertices", "key_data", "key_tmin", "key_tstep",
                                        "key_subject", "key_src_type"};
    hid_t fapl = -1, file = -1, root = -1, data = -1;
    H5I_type_t kind = H5I_BADID;
    H5G_info_t ginfo;
    hsize_t i;
    char title[TITLE_CAP], subject[sizeof((cperm_stc *)0)->subject], src_type[TITLE_CAP];
    uint32_t *verts[2] = {NULL, NULL};
    size_t nv[2] = {0, 0}, n_orient, n_times, j;
    int rc, missing, is_none;
    double tmin = 0, tstep = 0;
    dset_info info;
    cperm_stc *stc = NULL;

    *out = NULL;
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* STRONG: closing the file closes anything an error path might have left open. */
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        rc = cperm_fail(r->err, CPERM_EIO, "stc: %s: cannot set up HDF5", r->path);
        goto cleanup;
    }
    file = H5Fopen(r->path, H5F_ACC_RDONLY, fapl);
    if (file < 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: not an HDF5 file, or corrupt",
                        r->path);
        goto cleanup;
    }
    root = open_member(r, file, "mnepython", &kind, &missing, &rc);
    if (missing || (root >= 0 && kind != H5I_GROUP)) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: no \"mnepython\" data found", r->path);
        goto cleanup;
    }
    if (root < 0) goto cleanup;
    if ((rc = read_title(r, root, "/mnepython", title))) goto cleanup;
    if (strcmp(title, "dict") != 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: /mnepython has type '%s', expected "
                        "dict", r->path, title);
        goto cleanup;
    }
    /* Every member becomes a keyword of the SourceEstimate constructor in MNE, which
     * refuses unknown ones; so do we. */
    if (H5Gget_info(root, &ginfo) < 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot list /mnepython", r->path);
        goto cleanup;
    }
    for (i = 0; i < ginfo.nlinks; i++) {
        char name[64];
        ssize_t len = H5Lget_name_by_idx(root, ".", H5_INDEX_NAME, H5_ITER_INC, i, name,
                                         sizeof name, H5P_DEFAULT);
        int ok = 0;
        if (len < 0) {
            rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot list /mnepython", r->path);
            goto cleanup;
        }
        for (j = 0; j < sizeof known / sizeof known[0]; j++)
            if ((size_t)len < sizeof name && strcmp(name, known[j]) == 0) ok = 1;
        if (!ok) {
            rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: unexpected member /mnepython/%s",
                            r->path, name);
            goto cleanup;
        }
    }

    rc = read_string(r, root, "key_src_type", src_type, sizeof src_type, &is_none, &missing);
    if (rc) goto cleanup;
    if (missing) strcpy(src_type, "surface"); /* kwargs.pop('src_type', 'surface') */
    if (is_none || strcmp(src_type, "surface") != 0) {
        rc = cperm_fail(r->err, CPERM_EUNSUPPORTED, "stc: %s: src_type '%s' is not supported "
                        "(surface source estimates only)", r->path, is_none ? "None" : src_type);
        goto cleanup;
    }
    rc = read_string(r, root, "key_subject", subject, sizeof subject, &is_none, &missing);
    if (rc) goto cleanup;
    if ((rc = read_scalar(r, root, "key_tmin", &tmin))) goto cleanup;
    if ((rc = read_scalar(r, root, "key_tstep", &tstep))) goto cleanup;
    if ((rc = read_vertex_list(r, root, verts, nv))) goto cleanup;

    data = open_member(r, root, "key_data", &kind, &missing, &rc);
    if (missing) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: /mnepython/key_data is missing",
                        r->path);
        goto cleanup;
    }
    if (data < 0) goto cleanup;
    if (kind != H5I_DATASET) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: key_data is not a dataset", r->path);
        goto cleanup;
    }
    if ((rc = read_title(r, data, "key_data", title))) goto cleanup;
    if (strcmp(title, "ndarray") != 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: key_data has type '%s', expected "
                        "ndarray", r->path, title);
        goto cleanup;
    }
    if ((rc = dataset_info(r, data, "key_data", &info))) goto cleanup;
    if (info.cls == H5T_COMPOUND) {
        rc = cperm_fail(r->err, CPERM_EUNSUPPORTED, "stc: %s: complex-valued data is not "
                        "supported", r->path);
        goto cleanup;
    }
    if (info.cls != H5T_FLOAT && info.cls != H5T_INTEGER) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: key_data is not numeric", r->path);
        goto cleanup;
    }
    /* ndim < 3: SourceEstimate (1-D data gains a time axis of length 1);
     * ndim 3: VectorSourceEstimate, shape (n_vertices, 3, n_times). */
    if (info.rank < 1 || info.rank > 3 || (info.rank == 3 && info.dims[1] != 3)) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: key_data has rank %d%s; expected "
                        "(n_vertices, n_times) or (n_vertices, 3, n_times)", r->path, info.rank,
                        info.rank == 3 ? " and shape[1] != 3" : "");
        goto cleanup;
    }
    if (info.dims[0] != (hsize_t)nv[0] + nv[1]) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: Number of vertices (%zu) and data rows "
                        "(%llu) must match", r->path, nv[0] + nv[1],
                        (unsigned long long)info.dims[0]);
        goto cleanup;
    }
    n_orient = info.rank == 3 ? 3 : 1;
    n_times = info.rank == 1 ? 1 : (size_t)info.dims[info.rank - 1];
    if ((rc = cperm_stc_alloc(&stc, 2, nv, n_orient, n_times, r->err))) goto cleanup;
    if (info.npoints > 0 &&
        H5Dread(data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, stc->data) < 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot read key_data (truncated or "
                        "corrupt)", r->path);
        goto cleanup;
    }
    for (j = 0; j < 2; j++) {
        free(stc->vertices[j]);
        stc->vertices[j] = verts[j];
        verts[j] = NULL;
    }
    stc->tmin = tmin;
    stc->tstep = tstep;
    memcpy(stc->subject, subject, sizeof stc->subject);
    if ((rc = cperm_stc_sort_vertices(stc, r->path, r->err))) goto cleanup;
    *out = stc;
    stc = NULL;
cleanup:
    cperm_stc_free(stc);
    free(verts[0]);
    free(verts[1]);
    h5_close(data);
    h5_close(root);
    h5_close(file);
    h5_close(fapl);
    return rc;
}

int cperm_stc_h5_read(cperm_stc **out, const char *path, cperm_err *err) {
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    h5_reader r;
    FILE *f;
    long end;
    int rc, saved;

    *out = NULL;
    /* Distinguish "cannot open" from "not HDF5", and learn the size for sanity limits. */
    f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return cperm_fail(err, CPERM_ENOTFOUND, "stc: %s: no such file", path);
        return cperm_fail(err, CPERM_EIO, "stc: %s: cannot open: %s", path, strerror(errno));
    }
    end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    fclose(f);
    if (end < 0) return cperm_fail(err, CPERM_EIO, "stc: %s: cannot determine size", path);
    r.path = path;
    r.err = err;
    r.file_size = (uint64_t)end;

    /* HDF5 prints its error stack by default; the library must not print, so silence it
     * for this call and restore the caller's handler afterwards. */
    saved = H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    rc = read_impl(&r, out);
    if (saved) H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    return rc;
}
