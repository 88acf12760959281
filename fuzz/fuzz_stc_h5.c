/* fuzz_stc_h5.c - libFuzzer target for the -stc.h5 layout checks (stc_h5.c). libhdf5 needs
 * a file and is not instrumented, so instead of mutating HDF5 bytes the input is read as a
 * small program that builds an h5io-style file with libhdf5 (members present or not, group
 * or dataset, TITLE strings, element types, ranks, shapes, values), which is then read with
 * cperm_stc_read_h5 in-process. Every choice byte 0 means "as MNE writes it", so an all-zero
 * input is a valid file and each non-zero byte is one deviation:
 *
 *   byte 0..2   n_vertices lh = (b + 3) % 6, rh = (b + 2) % 5, n_times = 1 + (b + 3) % 5
 *   byte 3      orientation: odd = vector data (n_vertices, 3, n_times)
 *   byte 4      /mnepython: 0 group "dict", 1 absent, 2 dataset, 3 wrong title, 4 no title,
 *               5 non-string title, 6 fixed-width title, 7 an unexpected extra member
 *   then per member key_vertices, key_data, key_tmin, key_tstep, key_subject, key_src_type:
 *               one variant byte (see member_v below), possibly followed by
 *               parameter bytes
 *   the rest    values: vertex numbers and data (zeros when exhausted)
 */
#include "clusterperm.h"
#include "fuzz.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct prog {
    const uint8_t *p;
    size_t n, i;
} prog;

static unsigned next(prog *g) { return g->i < g->n ? g->p[g->i++] : 0u; }

static const char *const titles[] = {"dict", "list", "tuple", "ndarray", "float", "int",
                                     "np_float64", "unicode", "ascii", "str", "None", "bool",
                                     "", "ndarray\x01", "x"};
#define N_TITLES (sizeof titles / sizeof titles[0])

enum { T_NONE = 0, T_VARLEN = 1, T_FIXED = 2, T_INT = 3 };

static void set_title(hid_t obj, const char *t, int how) {
    hid_t type = -1, space = H5Screate(H5S_SCALAR), a = -1;
    if (how == T_NONE || space < 0) goto done;
    if (how == T_INT) {
        int v = 7;
        a = H5Acreate2(obj, "TITLE", H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) H5Awrite(a, H5T_NATIVE_INT, &v);
        goto done;
    }
    type = H5Tcopy(H5T_C_S1);
    if (how == T_VARLEN) {
        H5Tset_size(type, H5T_VARIABLE);
        a = H5Acreate2(obj, "TITLE", type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) H5Awrite(a, type, &t);
    } else {
        H5Tset_size(type, strlen(t) ? strlen(t) : 1);
        a = H5Acreate2(obj, "TITLE", type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) H5Awrite(a, type, t);
    }
done:
    if (a >= 0) H5Aclose(a);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
}

/* Element types a member may get. */
static hid_t pick_type(unsigned b, hid_t *to_close) {
    *to_close = -1;
    switch (b % 10) {
    case 0: return H5T_NATIVE_DOUBLE;
    case 1: return H5T_NATIVE_FLOAT;
    case 2: return H5T_NATIVE_INT64;
    case 3: return H5T_NATIVE_INT32;
    case 4: return H5T_NATIVE_UINT8;
    case 5: return H5T_NATIVE_INT8;
    case 6: return H5T_NATIVE_UINT64;
    case 7: { /* complex, as h5py writes it */
        hid_t c = H5Tcreate(H5T_COMPOUND, 16);
        H5Tinsert(c, "r", 0, H5T_NATIVE_DOUBLE);
        H5Tinsert(c, "i", 8, H5T_NATIVE_DOUBLE);
        *to_close = c;
        return c;
    }
    case 8: {
        hid_t s = H5Tcopy(H5T_C_S1);
        H5Tset_size(s, 4);
        *to_close = s;
        return s;
    }
    default: return H5T_NATIVE_INT16;
    }
}

/* A dataset of `rank` dims (rank 0 = scalar dataspace); values from the program. A dims
 * entry of 0xFFFFFFFF asks for a huge chunked dataset that stores nothing. */
static void make_dataset(prog *g, hid_t parent, const char *name, const char *title,
                         int title_how, hid_t type, int rank, const hsize_t *dims_in) {
    hsize_t dims[4], chunk[4], n = 1;
    int huge = 0;
    hid_t space, dcpl = H5Pcreate(H5P_DATASET_CREATE), d;
    for (int k = 0; k < rank; k++) {
        dims[k] = dims_in[k];
        if (dims[k] == 0xFFFFFFFFu) {
            dims[k] = (hsize_t)1 << 31;
            huge = 1;
        }
        chunk[k] = dims[k] ? (dims[k] < 4 ? dims[k] : 4) : 1;
        n *= dims[k];
    }
    if (huge) H5Pset_chunk(dcpl, rank, chunk);
    for (int k = 0; huge && k < rank; k++)
        if (dims[k] == 0) huge = 0; /* a zero extent: chunking needs nothing stored */
    space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    d = H5Dcreate2(parent, name, type, space, H5P_DEFAULT, huge ? dcpl : H5P_DEFAULT,
                   H5P_DEFAULT);
    if (d >= 0) {
        size_t esize = H5Tget_size(type);
        if (!huge && n > 0 && n <= 4096 && esize > 0) {
            unsigned char *buf = calloc(n, esize);
            if (buf) {
                for (size_t i = 0; i < n * esize; i++) buf[i] = (unsigned char)next(g);
                if (H5Tget_class(type) == H5T_FLOAT) {
                    /* mostly sane numbers so that the reader gets past the shape checks */
                    for (size_t i = 0; i < n; i++) {
                        if (esize == 8) { double v = (double)buf[i * 8] - 128.0; memcpy(buf + i * 8, &v, 8); }
                        else if (esize == 4) { float v = (float)buf[i * 4] - 128.0f; memcpy(buf + i * 4, &v, 4); }
                    }
                }
                H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
                free(buf);
            }
        }
        set_title(d, title, title_how);
        H5Dclose(d);
    }
    H5Sclose(space);
    H5Pclose(dcpl);
}

/* The canonical member, or one deviation chosen by the variant byte:
 *   0 as MNE writes it        1 absent                 2 group instead of dataset
 *   3 another title           4 no title               5 another element type
 *   6 another rank / shape    7 huge chunked extent    8 fixed-width title
 *   9 non-string title        10+ (vertices only) a list of 1 or 3 entries, or a bare array */
static void member_v(prog *g, hid_t root, const char *name, const char *title, hid_t type,
                     int rank, const hsize_t *dims, unsigned v) {
    int how = T_VARLEN;
    hsize_t d2[4] = {dims[0], rank > 1 ? dims[1] : 1, rank > 2 ? dims[2] : 1, 2};
    hid_t extra = -1;
    switch (v) {
    case 1: return;
    case 2: {
        hid_t gr = H5Gcreate2(root, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (gr >= 0) { set_title(gr, title, T_VARLEN); H5Gclose(gr); }
        return;
    }
    case 3: title = titles[next(g) % N_TITLES]; break;
    case 4: how = T_NONE; break;
    case 5: type = pick_type(next(g), &extra); break;
    case 6: {
        rank = (int)(next(g) % 5);
        for (int k = 0; k < rank; k++) d2[k] = next(g) % 7;
        dims = d2;
        break;
    }
    case 7: {
        d2[0] = 0xFFFFFFFFu;
        if (rank == 0) rank = 1;
        dims = d2;
        break;
    }
    case 8: how = T_FIXED; break;
    case 9: how = T_INT; break;
    default: break;
    }
    make_dataset(g, root, name, title, how, type, rank, dims);
    if (extra >= 0) H5Tclose(extra);
}

static void member(prog *g, hid_t root, const char *name, const char *title, hid_t type,
                   int rank, const hsize_t *dims) {
    member_v(g, root, name, title, type, rank, dims, next(g) % 12);
}

static void vertices(prog *g, hid_t root, const hsize_t nv[2]) {
    unsigned v = next(g) % 14;
    const char *title = "list";
    int how = T_VARLEN, count = 2;
    if (v >= 1 && v <= 9 && v != 3 && v != 4 && v != 8 && v != 9) {
        /* the deviations that apply to the container itself */
        hsize_t d[1] = {nv[0]};
        if (v == 1) return;
        if (v == 2 || v == 6) { /* a bare ndarray instead of a list */
            make_dataset(g, root, "key_vertices", "ndarray", T_VARLEN, H5T_NATIVE_INT64, 1, d);
            return;
        }
        if (v == 5 || v == 7) { /* a dataset with the list's title */
            make_dataset(g, root, "key_vertices", "list", T_VARLEN, H5T_NATIVE_INT64, 1, d);
            return;
        }
    }
    if (v == 3) title = titles[next(g) % N_TITLES];
    if (v == 4) how = T_NONE;
    if (v == 8) how = T_FIXED;
    if (v == 9) how = T_INT;
    if (v == 10) count = 1;
    if (v == 11) count = 3;
    if (v == 12) title = "tuple";
    hid_t gr = H5Gcreate2(root, "key_vertices", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (gr < 0) return;
    set_title(gr, title, how);
    for (int h = 0; h < count; h++) {
        char name[16];
        hsize_t n = nv[h < 2 ? h : 1];
        snprintf(name, sizeof name, "idx_%d", h);
        unsigned e = v == 13 ? next(g) % 6 : 0;
        hid_t extra = -1;
        hid_t type = e == 1 ? pick_type(next(g), &extra) : H5T_NATIVE_INT64;
        const char *t = e == 2 ? titles[next(g) % N_TITLES] : "ndarray";
        if (e == 3) { /* a group where the array should be */
            hid_t sub = H5Gcreate2(gr, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (sub >= 0) H5Gclose(sub);
            continue;
        }
        if (e == 4) n = 0xFFFFFFFFu;
        if (n <= 4096 && type == H5T_NATIVE_INT64) {
            /* ascending vertex numbers, perturbed by the program: duplicates, negatives,
             * values >= 2^31, unsorted rows */
            int64_t *vals = calloc(n ? n : 1, sizeof *vals);
            hid_t space = H5Screate_simple(1, &n, NULL);
            hid_t d = H5Dcreate2(gr, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            for (hsize_t i = 0; vals && i < n; i++) {
                unsigned b = next(g);
                vals[i] = (int64_t)(3 * i) + (b < 200 ? 0 : b < 250 ? (int64_t)b - 225 :
                                              b == 250 ? -1 : b == 251 ? ((int64_t)1 << 31) :
                                              b == 252 ? INT64_MIN : -(int64_t)(3 * i));
            }
            if (d >= 0 && vals) {
                H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals);
                set_title(d, t, T_VARLEN);
            }
            if (d >= 0) H5Dclose(d);
            H5Sclose(space);
            free(vals);
        } else {
            make_dataset(g, gr, name, t, T_VARLEN, type, 1, &n);
        }
        if (extra >= 0) H5Tclose(extra);
    }
    H5Gclose(gr);
}

/* An h5io string member: variants as member(), plus 10 = None (as h5io writes it) and
 * 11 = a string of up to 79 bytes from the program (long, or with NUL bytes). */
static void string_member(prog *g, hid_t root, const char *name, const char *value) {
    hsize_t n = strlen(value), one = 1;
    unsigned v = next(g) % 12;
    if (v == 0) {
        prog fixed = {(const uint8_t *)value, n, 0};
        make_dataset(&fixed, root, name, "unicode", T_VARLEN, H5T_NATIVE_UINT8, 1, &n);
    } else if (v == 10) {
        make_dataset(g, root, name, "None", T_VARLEN, H5T_NATIVE_UINT8, 1, &one);
    } else if (v == 11) {
        hsize_t len = next(g) % 80;
        make_dataset(g, root, name, "unicode", T_VARLEN, H5T_NATIVE_UINT8, 1, &len);
    } else {
        member_v(g, root, name, "unicode", H5T_NATIVE_UINT8, 1, &n, v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    prog g = {data, size, 0};
    cperm_stc *stc = NULL;
    cperm_err err = {0};
    const char *dir = fuzz_scratch_dir();
    char path[600];
    if (!init) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the builder's own errors are expected */
        init = 1;
    }
    if (!dir) return 0;
    snprintf(path, sizeof path, "%s/fuzz-stc.h5", dir);

    hsize_t nv[2];
    nv[0] = (next(&g) + 3) % 6;
    nv[1] = (next(&g) + 2) % 5;
    hsize_t nt = 1 + (next(&g) + 3) % 5;
    int vector = next(&g) & 1;
    unsigned rootv = next(&g) % 8;

    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) return 0;
    if (rootv == 2) {
        hsize_t one = 1;
        make_dataset(&g, file, "mnepython", "dict", T_VARLEN, H5T_NATIVE_DOUBLE, 1, &one);
    } else if (rootv != 1) {
        hid_t root = H5Gcreate2(file, "mnepython", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (root >= 0) {
            set_title(root, rootv == 3 ? "list" : "dict",
                      rootv == 4 ? T_NONE : rootv == 5 ? T_INT : rootv == 6 ? T_FIXED : T_VARLEN);
            vertices(&g, root, nv);
            hsize_t ddims[3] = {nv[0] + nv[1], vector ? 3 : nt, nt};
            member(&g, root, "key_data", "ndarray", H5T_NATIVE_DOUBLE, vector ? 3 : 2, ddims);
            hsize_t one = 1;
            member(&g, root, "key_tmin", "float", H5T_NATIVE_DOUBLE, 1, &one);
            member(&g, root, "key_tstep", "float", H5T_NATIVE_DOUBLE, 1, &one);
            string_member(&g, root, "key_subject", "fsaverage");
            string_member(&g, root, "key_src_type", "surface");
            if (rootv == 7) member(&g, root, "key_extra", "int", H5T_NATIVE_INT64, 1, &one);
            H5Gclose(root);
        }
    }
    H5Fclose(file);

    /* In this process: the fuzzer must see a crash or hang in the reader (isolation in a
     * child process, the default, would turn them into errors). */
    cperm_h5_options opts = CPERM_H5_OPTIONS_INIT;
    opts.isolate = CPERM_H5_ISOLATE_NONE;
    int rc = cperm_stc_read_h5(&stc, path, &opts, &err);
    if (getenv("FUZZ_VERBOSE")) /* for checking what the seeds reach */
        printf("%s\n", rc ? err.msg : "read ok");
    if (rc != 0) {
        FUZZ_CHECK(!stc && err.msg[0] && err.code < 0);
        return 0;
    }
    FUZZ_CHECK(stc->n_hemis == 2 && (stc->n_orient == 1 || stc->n_orient == 3));
    FUZZ_CHECK(stc->n_vertices[0] == nv[0] && stc->n_vertices[1] == nv[1]);
    for (int h = 0; h < 2; h++)
        for (size_t i = 1; i < stc->n_vertices[h]; i++)
            FUZZ_CHECK(stc->vertices[h][i] > stc->vertices[h][i - 1]);
    volatile double sum = 0;
    for (size_t i = 0; i < (nv[0] + nv[1]) * stc->n_orient * stc->n_times; i++)
        sum += stc->data[i];
    (void)sum;
    cperm_stc_free(stc);
    return 0;
}
