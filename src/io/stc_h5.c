/* stc_h5.c - reading MNE's "-stc.h5" source estimates (h5io layout, title "mnepython")
 * through libhdf5, with every rank, shape and type checked before data is read; by default
 * in a child process (isolate.c), since libhdf5 itself may crash or hang on corrupt files. */
#include "isolate_internal.h"
#include "stc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
    int any_kind; /* volume, discrete and mixed src_types are read too */
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
 * missing index, or a bare ndarray (one entry). A surface estimate needs exactly two
 * (SourceEstimate._src_count); volume and mixed ones any number from 1 (ours: up to
 * CPERM_STC_MAX_BLOCKS). *count receives the number read. */
static int read_vertex_list(const h5_reader *r, hid_t g, int kind_of_stc,
                            uint32_t *verts[CPERM_STC_MAX_BLOCKS],
                            size_t nv[CPERM_STC_MAX_BLOCKS], size_t *n_blocks) {
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
        /* read_source_estimate wraps a bare array into a one-entry list */
        rc = read_vertices(r, obj, "key_vertices", &verts[0], &nv[0]);
        if (rc) goto cleanup;
        count = 1;
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
            if ((kind_of_stc == CPERM_STC_SURFACE && count >= 2) || k2 != H5I_DATASET) {
                h5_close(d);
                rc = cperm_fail(r->err, CPERM_EFORMAT, k2 == H5I_DATASET ? "stc: %s: vertices must be "
                                "a list with 2 entries, got more (%s)" : "stc: %s: key_vertices/"
                                "%s is not a dataset", r->path, name);
                goto cleanup;
            }
            if (count >= CPERM_STC_MAX_BLOCKS) {
                h5_close(d);
                rc = cperm_fail(r->err, CPERM_EUNSUPPORTED, "stc: %s: more than %d vertex lists "
                                "(%s) are not supported", r->path, CPERM_STC_MAX_BLOCKS, name);
                goto cleanup;
            }
            rc = read_vertices(r, d, name, &verts[count], &nv[count]);
            h5_close(d);
            if (rc) goto cleanup;
            count++;
        }
    }
    if (kind_of_stc == CPERM_STC_SURFACE && count != 2)
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: vertices must be a list with 2 "
                        "entries, got %zu", r->path, count);
    else if (count == 0)
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: key_vertices is an empty list",
                        r->path);
cleanup:
    *n_blocks = count;
    h5_close(obj);
    return rc;
}

/* An open -stc.h5 file whose structure is read and checked: everything but key_data's
 * values. */
typedef struct h5_stc_file {
    hid_t fapl, file, root, data;       /* data: the key_data dataset */
    dset_info info;                     /* of key_data */
    uint32_t *verts[CPERM_STC_MAX_BLOCKS]; /* as stored (not yet sorted) */
    size_t nv[CPERM_STC_MAX_BLOCKS], n_blocks, n_orient, n_times;
    int kind;                           /* CPERM_STC_* from key_src_type */
    double tmin, tstep;
    char subject[sizeof((cperm_stc *)0)->subject];
} h5_stc_file;

static void stc_file_close(h5_stc_file *hf) {
    for (size_t h = 0; h < CPERM_STC_MAX_BLOCKS; h++) {
        free(hf->verts[h]);
        hf->verts[h] = NULL;
    }
    h5_close(hf->data);
    h5_close(hf->root);
    h5_close(hf->file);
    h5_close(hf->fapl);
    hf->data = hf->root = hf->file = hf->fapl = -1;
}

/* Open r->path and read and check its structure (titles, members, scalars, vertex lists,
 * key_data's type and shape). On failure everything is closed again. */
static int stc_file_open(const h5_reader *r, h5_stc_file *hf) {
    static const char *const known[] = {"key_vertices", "key_data", "key_tmin", "key_tstep",
                                        "key_subject", "key_src_type"};
    H5I_type_t kind = H5I_BADID;
    H5G_info_t ginfo;
    hsize_t i;
    char title[TITLE_CAP], src_type[TITLE_CAP];
    size_t j;
    int rc, missing, is_none;
    dset_info info;
    hid_t root = -1, data = -1;

    memset(hf, 0, sizeof *hf);
    hf->fapl = hf->file = hf->root = hf->data = -1;
    hf->fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* STRONG: closing the file closes anything an error path might have left open. */
    if (hf->fapl < 0 || H5Pset_fclose_degree(hf->fapl, H5F_CLOSE_STRONG) < 0) {
        rc = cperm_fail(r->err, CPERM_EIO, "stc: %s: cannot set up HDF5", r->path);
        goto cleanup;
    }
    hf->file = H5Fopen(r->path, H5F_ACC_RDONLY, hf->fapl);
    if (hf->file < 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: not an HDF5 file, or corrupt",
                        r->path);
        goto cleanup;
    }
    root = hf->root = open_member(r, hf->file, "mnepython", &kind, &missing, &rc);
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
    /* read_source_estimate's classes: 'volume' and 'discrete' -> VolSourceEstimate,
     * 'mixed' -> MixedSourceEstimate, 'surface' -> SourceEstimate; anything else fails. */
    if (!is_none && strcmp(src_type, "surface") == 0) {
        hf->kind = CPERM_STC_SURFACE;
    } else if (!r->any_kind) {
        rc = cperm_fail(r->err, CPERM_EUNSUPPORTED, "stc: %s: src_type '%s' is not supported "
                        "(surface source estimates only)", r->path, is_none ? "None" : src_type);
        goto cleanup;
    } else if (!is_none && (strcmp(src_type, "volume") == 0 || strcmp(src_type, "discrete") == 0)) {
        hf->kind = CPERM_STC_VOLUME;
    } else if (!is_none && strcmp(src_type, "mixed") == 0) {
        hf->kind = CPERM_STC_MIXED;
    } else {
        rc = cperm_fail(r->err, CPERM_EUNSUPPORTED, "stc: %s: src_type '%s' is not supported "
                        "(surface, volume, discrete or mixed)", r->path, is_none ? "None" : src_type);
        goto cleanup;
    }
    rc = read_string(r, root, "key_subject", hf->subject, sizeof hf->subject, &is_none,
                     &missing);
    if (rc) goto cleanup;
    if ((rc = read_scalar(r, root, "key_tmin", &hf->tmin))) goto cleanup;
    if ((rc = read_scalar(r, root, "key_tstep", &hf->tstep))) goto cleanup;
    if ((rc = read_vertex_list(r, root, hf->kind, hf->verts, hf->nv, &hf->n_blocks))) goto cleanup;

    data = hf->data = open_member(r, root, "key_data", &kind, &missing, &rc);
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
    {
        size_t rows = 0;
        for (j = 0; j < hf->n_blocks; j++) rows += hf->nv[j];
        if (info.dims[0] != (hsize_t)rows) {
            rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: Number of vertices (%zu) and data "
                            "rows (%llu) must match", r->path, rows,
                            (unsigned long long)info.dims[0]);
            goto cleanup;
        }
    }
    hf->info = info;
    hf->n_orient = info.rank == 3 ? 3 : 1;
    hf->n_times = info.rank == 1 ? 1 : (size_t)info.dims[info.rank - 1];
cleanup:
    if (rc) stc_file_close(hf);
    return rc;
}

/* The values of key_data rows [row0, row0 + n_rows) as float64 into dst (n_rows x n_orient x
 * n_times), through a hyperslab so that a child can stream a large dataset in blocks. */
static int read_rows(const h5_reader *r, const h5_stc_file *hf, size_t row0, size_t n_rows,
                     double *dst) {
    hsize_t start[3] = {row0, 0, 0}, count[3], n_mem;
    hid_t fspace = -1, mspace = -1;
    int k, rc = CPERM_OK;

    if (n_rows == 0 || hf->n_orient * hf->n_times == 0) return CPERM_OK;
    count[0] = n_rows;
    for (k = 1; k < 3; k++) count[k] = hf->info.dims[k];
    n_mem = (hsize_t)n_rows * hf->n_orient * hf->n_times;
    fspace = H5Dget_space(hf->data);
    mspace = H5Screate_simple(1, &n_mem, NULL);
    if (fspace < 0 || mspace < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(hf->data, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, dst) < 0)
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot read key_data (truncated or "
                        "corrupt)", r->path);
    h5_close(mspace);
    h5_close(fspace);
    return rc;
}

/* Vertex order as read_source_estimate leaves it: a surface estimate's blocks sorted with
 * their rows; a volume one's must already ascend (VolSourceEstimate refuses others); so must
 * a mixed one's, since MNE 1.3's sort handles two blocks only and then fails. */
static int order_vertices(cperm_stc *stc, const char *path, cperm_err *err) {
    if (stc->kind == CPERM_STC_SURFACE) return cperm_stc_sort_vertices(stc, path, err);
    return cperm_stc_check_ascending(stc, path, err);
}

/* The whole estimate, in this process (HDF5's error reporting as the caller set it). */
static int read_impl(const h5_reader *r, cperm_stc **out) {
    h5_stc_file hf;
    cperm_stc *stc = NULL;
    size_t j;
    int rc;

    *out = NULL;
    if ((rc = stc_file_open(r, &hf))) return rc;
    if ((rc = cperm_stc_alloc(&stc, hf.n_blocks, hf.nv, hf.n_orient, hf.n_times, r->err)))
        goto cleanup;
    if (hf.info.npoints > 0 &&
        H5Dread(hf.data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, stc->data) < 0) {
        rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: cannot read key_data (truncated or "
                        "corrupt)", r->path);
        goto cleanup;
    }
    for (j = 0; j < hf.n_blocks; j++) {
        free(stc->vertices[j]);
        stc->vertices[j] = hf.verts[j];
        hf.verts[j] = NULL;
    }
    stc->tmin = hf.tmin;
    stc->tstep = hf.tstep;
    stc->kind = hf.kind;
    memcpy(stc->subject, hf.subject, sizeof stc->subject);
    if ((rc = order_vertices(stc, r->path, r->err))) goto cleanup;
    *out = stc;
    stc = NULL;
cleanup:
    cperm_stc_free(stc);
    stc_file_close(&hf);
    return rc;
}


/* In this process: HDF5 prints its error stack by default and the library must not print,
 * so silence it for this call and restore the caller's handler afterwards. */
static int read_here(h5_reader *r, cperm_stc **out) {
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    int rc, saved = H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    rc = read_impl(r, out);
    if (saved) H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    return rc;
}

/* ------------------------------------------------------------ in a child process */

/* Time limits of an isolated read (see clusterperm.h, cperm_h5_options). The structure of an
 * h5io file (superblock, object headers, TITLE attributes, scalars, two vertex lists) is
 * kilobytes to a few MB whatever the data's size, and reads in milliseconds even from a cold
 * disk, so 5 s is a >100x margin that still ends a libhdf5 infinite loop (F2) quickly. The
 * values of key_data then get 10 s plus 1 s per 8 MiB of float64 (i.e. 4 MiB/s of the
 * float32 MNE may store; local disks and NFS are 20-100x faster), so that only a stalled
 * disk or a hang trips it. */
#define H5_STRUCTURE_TIMEOUT_S 5.0
#define H5_DATA_TIMEOUT_S 10.0
#define H5_DATA_BYTES_PER_S (8.0 * 1024.0 * 1024.0)
/* Memory cap of the child, above its size at the start: libhdf5's caches and our vertex
 * arrays need a few MB; a runaway allocation loop (the out-of-memory fuzz finding grows by
 * ~700 MB/s) fails at this cap instead of exhausting the machine. Raised for key_data by
 * twice its size, for libhdf5's chunk and conversion buffers (the child itself holds one
 * block of H5_BLOCK_BYTES). */
#define H5_MEM_SLACK ((uint64_t)256 << 20)
/* key_data goes to the parent in blocks of whole rows of about this size, read by hyperslab
 * into one reused buffer: the child never touches a data-sized allocation (the page faults
 * of 20 MB of fresh pages cost more than the whole in-process read of a seed file). */
#define H5_BLOCK_BYTES ((size_t)1 << 20)
/* Below this file size the parent's receive buffer is not prepared before the fork (see
 * recv_prepare): the saving is smaller than the two madvise calls. */
#define H5_PREPARE_MIN_BYTES ((uint64_t)256 << 10)

/* The child's messages: a header, then n_bytes of payload.
 *   MSG_SHAPE   h5_shape, then each block's vertices as stored (uint32)
 *   MSG_BLOCK   the next rows of key_data (float64, rows x n_orient x n_times)
 *   MSG_RESULT  rc: 0 after the last block, or a cperm_error with its message (the
 *               payload, without NUL) at any point
 * The two processes run the same binary, so structs go over the pipe as they are. */
#define H5_MSG_MAGIC 0x43504835u /* "CPH5" */
enum { MSG_SHAPE = 1, MSG_BLOCK = 2, MSG_RESULT = 3 };
typedef struct h5_msg {
    uint32_t magic, kind;
    int32_t rc, unused;
    uint64_t n_bytes;
} h5_msg;
typedef struct h5_shape {
    uint64_t n_blocks, kind, n_vertices[CPERM_STC_MAX_BLOCKS], n_orient, n_times;
    double tmin, tstep;
    char subject[sizeof((cperm_stc *)0)->subject];
} h5_shape;

static int send_msg(const cperm_child_io *io, uint32_t kind, int rc, const void *payload,
                    size_t n) {
    h5_msg m;
    memset(&m, 0, sizeof m);
    m.magic = H5_MSG_MAGIC;
    m.kind = kind;
    m.rc = rc;
    m.n_bytes = n;
    return cperm_child_write(io, &m, sizeof m) || (n && cperm_child_write(io, payload, n));
}

static int send_error(const cperm_child_io *io, const cperm_err *e) {
    return send_msg(io, MSG_RESULT, e->code ? e->code : CPERM_EFORMAT, e->msg,
                    strnlen(e->msg, sizeof e->msg));
}

/* The child: read the structure, send it, stream key_data, send the result. Exit status 0
 * once all is sent, 3 if the parent stopped listening. No cleanup: the process ends here. */
static int child_main(void *ctx, cperm_child_io *io) {
    h5_reader r = *(const h5_reader *)ctx;
    cperm_err cerr = {0, ""};
    h5_stc_file hf;
    h5_shape sh;
    size_t rows, row_bytes = 0, block_rows = 0, row, n;
    uint64_t data_bytes = 0;
    double *block = NULL;

    r.err = &cerr;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* stderr is /dev/null anyway: spare the work */
    if (stc_file_open(&r, &hf)) return send_error(io, &cerr) ? 3 : 0;
    memset(&sh, 0, sizeof sh);
    sh.n_blocks = hf.n_blocks;
    sh.kind = (uint64_t)hf.kind;
    rows = 0;
    for (n = 0; n < hf.n_blocks; n++) {
        sh.n_vertices[n] = hf.nv[n];
        rows += hf.nv[n];
    }
    sh.n_orient = hf.n_orient;
    sh.n_times = hf.n_times;
    sh.tmin = hf.tmin;
    sh.tstep = hf.tstep;
    memcpy(sh.subject, hf.subject, sizeof sh.subject);
    if (send_msg(io, MSG_SHAPE, 0, &sh, sizeof sh)) return 3;
    for (n = 0; n < hf.n_blocks; n++)
        if (cperm_child_write(io, hf.verts[n], hf.nv[n] * sizeof(uint32_t))) return 3;
    if (rows > 0 && hf.info.npoints > 0) {
        /* rows x row_bytes is bounded by dataset_info's limit, so neither overflows. */
        row_bytes = hf.n_orient * hf.n_times * sizeof(double);
        data_bytes = (uint64_t)rows * row_bytes;
        block_rows = row_bytes >= H5_BLOCK_BYTES ? 1 : H5_BLOCK_BYTES / row_bytes;
        if (block_rows > rows) block_rows = rows;
        (void)cperm_child_cap(io, H5_MEM_SLACK + 2 * data_bytes);
        block = malloc(block_rows * row_bytes);
        if (!block) {
            cperm_fail(&cerr, CPERM_ENOMEM, "stc: %s: out of memory", r.path);
            return send_error(io, &cerr) ? 3 : 0;
        }
        for (row = 0; row < rows; row += n) {
            n = rows - row < block_rows ? rows - row : block_rows;
            if (read_rows(&r, &hf, row, n, block)) return send_error(io, &cerr) ? 3 : 0;
            if (send_msg(io, MSG_BLOCK, 0, block, n * row_bytes)) return 3;
        }
    }
    return send_msg(io, MSG_RESULT, 0, NULL, 0) ? 3 : 0;
}

/* The parent's buffer for key_data, allocated before the fork and excluded from it
 * (MADV_DONTFORK). Why: fork write-protects every page of the parent, so each page the
 * parent then writes faults once (or is copied while the child lives); a receive buffer
 * taken from glibc's warm heap would cost one fault per 4 KiB, as much as the whole read
 * in-process. Excluded pages stay writable. The size is the file's: h5io stores key_data
 * as contiguous float64, which fills all of the file but its metadata; other data (float32,
 * compressed) get a buffer allocated when their size is known. */
typedef struct recv_buf {
    double *p;       /* owned until handed to the estimate; NULL if none */
    size_t cap;      /* bytes */
    void *excl;      /* the page-aligned part excluded from forks, or NULL */
    size_t excl_len;
} recv_buf;

static void recv_prepare(recv_buf *b, uint64_t file_size) {
    memset(b, 0, sizeof *b);
    if (file_size < H5_PREPARE_MIN_BYTES || file_size > SIZE_MAX / 2) return;
    b->p = malloc((size_t)file_size);
    if (!b->p) return;
    b->cap = (size_t)file_size;
#ifdef MADV_DONTFORK
    {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t lo = ((uintptr_t)b->p + page - 1) / page * page;
        uintptr_t hi = ((uintptr_t)b->p + b->cap) / page * page;
        if (page > 0 && hi > lo && madvise((void *)lo, hi - lo, MADV_DONTFORK) == 0) {
            b->excl = (void *)lo;
            b->excl_len = hi - lo;
        }
    }
#endif
}

/* Undo the exclusion (once the child is gone), and free the buffer if still owned. */
static void recv_release(recv_buf *b) {
#ifdef MADV_DOFORK
    if (b->excl) madvise(b->excl, b->excl_len, MADV_DOFORK);
#endif
    b->excl = NULL;
    free(b->p);
    b->p = NULL;
}

/* The estimate's header from a child's shape, and its data buffer: the prepared one if
 * large enough, else a new one. Vertices are left to be read into. */
static int alloc_from_shape(const h5_reader *r, const h5_shape *sh, recv_buf *rb,
                            uint64_t *data_bytes, cperm_stc **out) {
    size_t nv[CPERM_STC_MAX_BLOCKS], rows = 0;
    cperm_stc *stc = NULL;
    int rc;

    *out = NULL;
    for (size_t h = 0; h < (size_t)sh->n_blocks; h++) {
        nv[h] = (size_t)sh->n_vertices[h];
        rows += nv[h];
    }
    *data_bytes = 0;
    if (rows > 0 && sh->n_times > 0) {
        if (sh->n_times > SIZE_MAX / 24 || rows > SIZE_MAX / 24 / (size_t)sh->n_times)
            return CPERM_EFORMAT; /* cannot come from a read: garbled */
        *data_bytes = (uint64_t)rows * sh->n_orient * sh->n_times * sizeof(double);
    }
    /* n_times 0 here: the data buffer is ours (no data-sized calloc to zero and discard). */
    if ((rc = cperm_stc_alloc(&stc, (size_t)sh->n_blocks, nv, (size_t)sh->n_orient, 0, r->err)))
        return rc;
    stc->n_times = (size_t)sh->n_times;
    stc->kind = (int)sh->kind;
    stc->tmin = sh->tmin;
    stc->tstep = sh->tstep;
    memcpy(stc->subject, sh->subject, sizeof stc->subject);
    stc->subject[sizeof stc->subject - 1] = '\0';
    if (*data_bytes > 0 && *data_bytes <= rb->cap) {
        free(stc->data);
        stc->data = rb->p;
        rb->p = NULL;
    } else if (*data_bytes > 0) {
        free(stc->data);
        stc->data = malloc((size_t)*data_bytes);
        if (!stc->data) {
            cperm_stc_free(stc);
            return cperm_fail(r->err, CPERM_ENOMEM, "stc: %s: cannot allocate %llu bytes for "
                              "key_data", r->path, (unsigned long long)*data_bytes);
        }
    }
    *out = stc;
    return CPERM_OK;
}

/* The message for a child that ended (or was stopped) without a complete result. */
static int child_failure(const h5_reader *r, const cperm_child *c, int read_rc, int phase,
                         double limit, double fixed, uint64_t data_bytes) {
    if (read_rc == CPERM_CHILD_READ_TIMEOUT) {
        if (fixed > 0)
            return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: libhdf5 did not finish reading "
                              "it within the %g s limit and was stopped; the file is corrupt "
                              "(or the disk stalled)", r->path, fixed);
        if (phase == 1)
            return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: libhdf5 did not finish reading "
                              "the file's structure within %g s and was stopped; the file is "
                              "corrupt (CPERM_H5_TIMEOUT=SECONDS allows longer)", r->path,
                              limit);
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: libhdf5 did not finish reading "
                          "key_data (%.1f MB) within %g s and was stopped; the file is "
                          "corrupt or the disk too slow (CPERM_H5_TIMEOUT=SECONDS allows "
                          "longer)", r->path, (double)data_bytes / 1e6, limit);
    }
    if (read_rc == CPERM_CHILD_READ_ERROR)
        return cperm_fail(r->err, CPERM_EIO, "stc: %s: cannot read the result of the process "
                          "reading it: %s", r->path, strerror(errno));
    if (c->how == CPERM_CHILD_SIGNALED && cperm_signal_is_crash(c->code))
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: libhdf5 crashed reading it (signal "
                          "%d, %s); the file is corrupt", r->path, c->code,
                          cperm_signal_name(c->code));
    if (c->how == CPERM_CHILD_SIGNALED && c->code == SIGKILL)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: the process reading it was killed "
                          "(signal 9, SIGKILL), perhaps for lack of memory", r->path);
    if (c->how == CPERM_CHILD_SIGNALED)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: the process reading it was ended "
                          "by signal %d (%s)", r->path, c->code, cperm_signal_name(c->code));
    if (c->how == CPERM_CHILD_EXITED && c->code != 0)
        return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: libhdf5 failed reading it (its "
                          "process exited with status %d without a result); the file is "
                          "corrupt", r->path, c->code);
    return cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: the process reading it ended without "
                      "a complete result", r->path);
}

static int valid_error_code(int32_t rc) { return rc < 0 && rc >= CPERM_ENOTFOUND; }

/* Read r->path in a child process (see the limits above); fixed > 0 replaces them by one
 * limit for the whole read. */
static int read_isolated(const h5_reader *r, double fixed, cperm_stc **out) {
    cperm_child c;
    recv_buf rb;
    h5_msg m;
    h5_shape sh;
    cperm_stc *stc = NULL;
    double deadline, limit = fixed > 0 ? fixed : H5_STRUCTURE_TIMEOUT_S;
    uint64_t data_bytes = 0, got = 0;
    int phase = 1, rd, rc;
    char msg[CPERM_ERR_MSG_LEN];

    recv_prepare(&rb, r->file_size);
    if (cperm_child_start(&c, child_main, (void *)r, H5_MEM_SLACK) != 0) {
        rc = cperm_fail(r->err, CPERM_EIO, "stc: %s: cannot start a process to read it: %s "
                        "(CPERM_H5_ISOLATE=0 reads in-process)", r->path, strerror(errno));
        recv_release(&rb);
        return rc;
    }
    deadline = cperm_monotonic_s() + limit;
    if ((rd = cperm_child_read(&c, &m, sizeof m, deadline))) goto child_failed;
    if (m.magic != H5_MSG_MAGIC) goto garbled;
    if (m.kind == MSG_RESULT) goto result;
    if (m.kind != MSG_SHAPE || m.n_bytes != sizeof sh) goto garbled;
    if ((rd = cperm_child_read(&c, &sh, sizeof sh, deadline))) goto child_failed;
    /* The child is our code, but libhdf5 may have scribbled over its memory: check what a
     * read can produce before allocating for it. */
    if ((sh.n_orient != 1 && sh.n_orient != 3) || sh.n_blocks < 1 ||
        sh.n_blocks > CPERM_STC_MAX_BLOCKS || sh.kind > CPERM_STC_MIXED || sh.n_times > SIZE_MAX)
        goto garbled;
    {
        uint64_t rows = 0;
        for (size_t h = 0; h < (size_t)sh.n_blocks; h++) {
            if (sh.n_vertices[h] > SIZE_MAX / 8 - rows) goto garbled;
            rows += sh.n_vertices[h];
        }
    }
    if ((rc = alloc_from_shape(r, &sh, &rb, &data_bytes, &stc))) {
        if (rc == CPERM_EFORMAT) goto garbled;
        cperm_child_finish(&c, cperm_monotonic_s());
        recv_release(&rb);
        return rc;
    }
    for (size_t h = 0; h < stc->n_hemis; h++)
        if ((rd = cperm_child_read(&c, stc->vertices[h], stc->n_vertices[h] * sizeof(uint32_t),
                                   deadline)))
            goto child_failed;
    phase = 2;
    if (fixed <= 0) {
        limit = H5_DATA_TIMEOUT_S + ceil((double)data_bytes / H5_DATA_BYTES_PER_S);
        deadline = cperm_monotonic_s() + limit;
    }
    for (;;) {
        if ((rd = cperm_child_read(&c, &m, sizeof m, deadline))) goto child_failed;
        if (m.magic != H5_MSG_MAGIC) goto garbled;
        if (m.kind == MSG_RESULT) break;
        if (m.kind != MSG_BLOCK || m.n_bytes > data_bytes - got) goto garbled;
        if ((rd = cperm_child_read(&c, (unsigned char *)stc->data + got, (size_t)m.n_bytes,
                                   deadline)))
            goto child_failed;
        got += m.n_bytes;
    }
result:
    if (m.rc != 0) {
        /* A reader's own error ("no TITLE attribute", ...), passed on unchanged. */
        if (!valid_error_code(m.rc) || m.n_bytes == 0 || m.n_bytes >= sizeof msg) goto garbled;
        if ((rd = cperm_child_read(&c, msg, (size_t)m.n_bytes, deadline))) goto child_failed;
        msg[m.n_bytes] = '\0';
        cperm_child_finish(&c, cperm_monotonic_s() + H5_STRUCTURE_TIMEOUT_S);
        rc = cperm_fail(r->err, m.rc, "%s", msg);
        goto fail;
    }
    if (phase != 2 || got != data_bytes || m.n_bytes != 0) goto garbled;
    cperm_child_finish(&c, deadline);
    /* A complete result is accepted when the exit status is unknown (the caller ignores
     * SIGCHLD, or reaps children itself), not when the child failed after sending it. */
    if (c.how == CPERM_CHILD_SIGNALED || (c.how == CPERM_CHILD_EXITED && c.code != 0)) {
        rc = child_failure(r, &c, CPERM_CHILD_READ_EOF, phase, limit, fixed, data_bytes);
        goto fail;
    }
    recv_release(&rb);
    if ((rc = order_vertices(stc, r->path, r->err))) {
        cperm_stc_free(stc);
        return rc;
    }
    *out = stc;
    return CPERM_OK;

child_failed:
    /* A timeout stops the child at once; after EOF it is exiting: reap it. */
    cperm_child_finish(&c, rd == CPERM_CHILD_READ_TIMEOUT ? cperm_monotonic_s() : deadline);
    rc = child_failure(r, &c, rd, phase, limit, fixed, data_bytes);
    goto fail;
garbled:
    cperm_child_finish(&c, cperm_monotonic_s());
    rc = cperm_fail(r->err, CPERM_EFORMAT, "stc: %s: the process reading it sent a garbled "
                    "result (libhdf5 corrupted its memory?); the file is corrupt", r->path);
fail:
    recv_release(&rb);
    cperm_stc_free(stc);
    return rc;
}

/* The effective isolation mode and fixed time limit (0 = the rule) of opts and the
 * environment. */
static int resolve_options(const cperm_h5_options *opts, const char *path, int *isolate,
                           double *fixed, cperm_err *err) {
    const cperm_h5_options defaults = CPERM_H5_OPTIONS_INIT;
    const char *env;

    if (!opts) opts = &defaults;
    if (opts->version != CPERM_H5_OPTIONS_VERSION)
        return cperm_fail(err, CPERM_EINVAL, "stc: %s: cperm_h5_options version %d is not "
                          "supported (expected %d)", path, opts->version,
                          CPERM_H5_OPTIONS_VERSION);
    *isolate = opts->isolate;
    if (*isolate == CPERM_H5_ISOLATE_DEFAULT) {
        env = getenv("CPERM_H5_ISOLATE");
        if (!env || !*env || strcmp(env, "1") == 0)
            *isolate = CPERM_H5_ISOLATE_CHILD;
        else if (strcmp(env, "0") == 0)
            *isolate = CPERM_H5_ISOLATE_NONE;
        else
            return cperm_fail(err, CPERM_EINVAL, "stc: %s: CPERM_H5_ISOLATE='%s': use 1 (read "
                              "-stc.h5 in a child process) or 0 (in this process)", path, env);
    } else if (*isolate != CPERM_H5_ISOLATE_CHILD && *isolate != CPERM_H5_ISOLATE_NONE) {
        return cperm_fail(err, CPERM_EINVAL, "stc: %s: unknown isolation mode %d", path,
                          opts->isolate);
    }
    *fixed = opts->timeout_s;
    if (!(*fixed >= 0) || !isfinite(*fixed))
        return cperm_fail(err, CPERM_EINVAL, "stc: %s: timeout %g s: must be positive (or 0 "
                          "for the default)", path, *fixed);
    if (*fixed == 0 && (env = getenv("CPERM_H5_TIMEOUT")) && *env) {
        char *end;
        errno = 0;
        *fixed = strtod(env, &end);
        if (errno || *end || !(*fixed > 0) || !isfinite(*fixed))
            return cperm_fail(err, CPERM_EINVAL, "stc: %s: CPERM_H5_TIMEOUT='%s' is not a "
                              "positive number of seconds", path, env);
    }
    return CPERM_OK;
}

int cperm_h5_options_init(cperm_h5_options *opts, int version) {
    const cperm_h5_options defaults = CPERM_H5_OPTIONS_INIT;
    if (!opts) return CPERM_EINVAL;
    if (version < 1 || version > CPERM_H5_OPTIONS_VERSION) return CPERM_EUNSUPPORTED;
    *opts = defaults;
    opts->version = version;
    return CPERM_OK;
}

static int read_h5(cperm_stc **out, const char *path, const cperm_h5_options *opts,
                   int any_kind, cperm_err *err) {
    h5_reader r;
    struct stat st;
    int fd, rc, isolate = CPERM_H5_ISOLATE_CHILD;
    double fixed = 0;

    if (!out || !path) return cperm_fail(err, CPERM_EINVAL, "stc: no output or path given");
    *out = NULL;
    if ((rc = resolve_options(opts, path, &isolate, &fixed, err))) return rc;
    /* Distinguish "cannot open" from "not HDF5", and learn the size for sanity limits.
     * O_NONBLOCK: a FIFO must not block this open (it is refused below). */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cperm_fail(err, CPERM_ENOTFOUND, "stc: %s: no such file", path);
        return cperm_fail(err, CPERM_EIO, "stc: %s: cannot open: %s", path, strerror(errno));
    }
    rc = fstat(fd, &st);
    close(fd);
    if (rc != 0) return cperm_fail(err, CPERM_EIO, "stc: %s: cannot determine size", path);
    if (!S_ISREG(st.st_mode))
        return cperm_fail(err, CPERM_EFORMAT, "stc: %s: not a regular file", path);
    memset(&r, 0, sizeof r);
    r.path = path;
    r.err = err;
    r.file_size = (uint64_t)st.st_size;
    r.any_kind = any_kind;
    if (isolate == CPERM_H5_ISOLATE_NONE) return read_here(&r, out);
    return read_isolated(&r, fixed, out);
}

int cperm_stc_read_h5(cperm_stc **out, const char *path, const cperm_h5_options *opts,
                      cperm_err *err) {
    return read_h5(out, path, opts, 0, err);
}

int cperm_stc_h5_read(cperm_stc **out, const char *path, const cperm_h5_options *opts,
                      int any_kind, cperm_err *err) {
    return read_h5(out, path, opts, any_kind, err);
}
