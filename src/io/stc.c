/* stc.c - the source-estimate object (cperm_stc) and MNE's .stc format: reading single
 * files, lh/rh pairs and volume files (-vl.stc) with read_source_estimate's naming rules,
 * writing pairs and volume files, vector magnitude and time cropping with MNE 1.3's exact
 * arithmetic. */
#include "stc_internal.h"
#include "fileio_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest .stc file we read into memory (16 GiB, or what size_t can address). */
#define STC_MAX_FILE_BYTES (SIZE_MAX > ((uint64_t)1 << 34) ? (size_t)((uint64_t)1 << 34) : SIZE_MAX)

void cperm_stc_free(cperm_stc *stc) {
    if (!stc) return;
    for (size_t h = 0; h < CPERM_STC_MAX_BLOCKS; h++) free(stc->vertices[h]);
    free(stc->data);
    free(stc);
}

size_t cperm_stc_rows(const cperm_stc *stc) {
    size_t rows = 0;
    for (size_t h = 0; h < stc->n_hemis && h < CPERM_STC_MAX_BLOCKS; h++) rows += stc->n_vertices[h];
    return rows;
}

/* cperm_stc_alloc; zero_data 0 leaves the data block uninitialised, for a reader that
 * writes every value (issue 17: zeroing 64 estimates' blocks was a pass over all of them). */
static int stc_alloc(cperm_stc **out, size_t n_hemis, const size_t *n_vertices,
                     size_t n_orient, size_t n_times, int zero_data, cperm_err *err) {
    cperm_stc *stc;
    size_t h, total = 0, row;

    *out = NULL;
    if (n_hemis < 1 || n_hemis > CPERM_STC_MAX_BLOCKS || !n_vertices ||
        (n_orient != 1 && n_orient != 3))
        return cperm_fail(err, CPERM_EINVAL, "stc: invalid layout (%zu vertex blocks, %zu "
                          "orientations)", n_hemis, n_orient);
    for (h = 0; h < n_hemis; h++) {
        if (n_vertices[h] > SIZE_MAX - total)
            return cperm_fail(err, CPERM_ENOMEM, "stc: too many vertices");
        total += n_vertices[h];
    }
    if (n_times > SIZE_MAX / n_orient / sizeof(double))
        return cperm_fail(err, CPERM_ENOMEM, "stc: %zu times do not fit in memory", n_times);
    row = n_orient * n_times;
    if (total > 0 && row > 0 && total > SIZE_MAX / sizeof(double) / row)
        return cperm_fail(err, CPERM_ENOMEM, "stc: %zu x %zu x %zu values do not fit in memory",
                          total, n_orient, n_times);
    stc = calloc(1, sizeof *stc);
    if (!stc) return cperm_fail(err, CPERM_ENOMEM, "stc: out of memory");
    stc->n_hemis = n_hemis;
    stc->n_orient = n_orient;
    stc->n_times = n_times;
    for (h = 0; h < n_hemis; h++) {
        stc->n_vertices[h] = n_vertices[h];
        stc->vertices[h] = cperm_calloc(n_vertices[h], sizeof(uint32_t));
        if (!stc->vertices[h]) goto nomem;
    }
    stc->data = zero_data || total == 0 || row == 0 ? cperm_calloc(total, row * sizeof(double))
                                                    : cperm_malloc(total, row * sizeof(double));
    if (!stc->data) goto nomem;
    *out = stc;
    return CPERM_OK;
nomem:
    cperm_stc_free(stc);
    return cperm_fail(err, CPERM_ENOMEM, "stc: cannot allocate %zu x %zu x %zu values", total,
                      n_orient, n_times);
}

int cperm_stc_alloc(cperm_stc **out, size_t n_hemis, const size_t *n_vertices,
                    size_t n_orient, size_t n_times, cperm_err *err) {
    return stc_alloc(out, n_hemis, n_vertices, n_orient, n_times, 1, err);
}

int cperm_stc_create(cperm_stc **out, size_t n_hemis, const size_t *n_vertices,
                     size_t n_times, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "stc: create: out is NULL");
    return cperm_stc_alloc(out, n_hemis, n_vertices, 1, n_times, err);
}

/* ------------------------------------------------------------ vertex order */

typedef struct vert_key {
    uint32_t vertex;
    size_t row;
} vert_key;

static int cmp_vert_key(const void *a, const void *b) {
    const vert_key *x = a, *y = b;
    if (x->vertex != y->vertex) return x->vertex < y->vertex ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row; /* deterministic for duplicates */
}

int cperm_stc_sort_vertices(cperm_stc *stc, const char *name, cperm_err *err) {
    size_t h, i, row_len = stc->n_orient * stc->n_times, base = 0, total = 0;
    int sorted = 1;
    vert_key *keys = NULL;
    double *data = NULL;

    for (h = 0; h < stc->n_hemis; h++) {
        total += stc->n_vertices[h];
        for (i = 1; i < stc->n_vertices[h]; i++)
            if (stc->vertices[h][i] <= stc->vertices[h][i - 1]) sorted = 0;
    }
    if (sorted) return CPERM_OK;
    data = cperm_malloc(total, row_len * sizeof(double));
    if (!data) return cperm_fail(err, CPERM_ENOMEM, "stc: %s: out of memory sorting vertices",
                                 name);
    for (h = 0; h < stc->n_hemis; h++) {
        size_t n = stc->n_vertices[h];
        keys = cperm_malloc(n, sizeof *keys);
        if (!keys) {
            free(data);
            return cperm_fail(err, CPERM_ENOMEM, "stc: %s: out of memory sorting vertices",
                              name);
        }
        for (i = 0; i < n; i++) {
            keys[i].vertex = stc->vertices[h][i];
            keys[i].row = i;
        }
        /* Vertices are unique once accepted (checked below), so the order qsort gives
         * equals numpy's argsort. */
        if (n > 1) qsort(keys, n, sizeof *keys, cmp_vert_key);
        for (i = 0; i < n; i++) {
            if (i > 0 && keys[i].vertex == keys[i - 1].vertex) {
                uint32_t dup = keys[i].vertex;
                free(keys);
                free(data);
                return cperm_fail(err, CPERM_EFORMAT, "stc: %s: vertex %u appears more than "
                                  "once in hemisphere %zu (vertices must be increasing)",
                                  name, (unsigned)dup, h);
            }
            stc->vertices[h][i] = keys[i].vertex;
            if (row_len)
                memcpy(data + (base + i) * row_len, stc->data + (base + keys[i].row) * row_len,
                       row_len * sizeof(double));
        }
        free(keys);
        keys = NULL;
        base += n;
    }
    free(stc->data);
    stc->data = data;
    return CPERM_OK;
}

int cperm_stc_check_ascending(const cperm_stc *stc, const char *name, cperm_err *err) {
    for (size_t h = 0; h < stc->n_hemis; h++)
        for (size_t i = 1; i < stc->n_vertices[h]; i++)
            if (stc->vertices[h][i] <= stc->vertices[h][i - 1])
                return cperm_fail(err, CPERM_EFORMAT, "stc: %s: Vertices must be ordered in "
                                  "increasing order (block %zu: vertex %u at index %zu follows "
                                  "%u)", name, h, (unsigned)stc->vertices[h][i], i,
                                  (unsigned)stc->vertices[h][i - 1]);
    return CPERM_OK;
}

/* ------------------------------------------------------------ .stc reading */

/* The file's nt x nv float32 frame (time-major, data.T, big-endian) into nv rows of nt
 * doubles (vertex-major). In blocks of vertices, so that the rows being written stay in
 * cache while each time's stretch of the file is read (row by row, the writes strode over
 * all of a hemisphere's rows for every time point). */
static void decode_frame(double *rows, const unsigned char *dp, size_t nv, size_t nt) {
    enum { BLOCK = 64 };
    for (size_t i0 = 0; i0 < nv; i0 += BLOCK) {
        const size_t i1 = nv - i0 > BLOCK ? i0 + BLOCK : nv;
        for (size_t t = 0; t < nt; t++) {
            const unsigned char *src = dp + 4 * (t * nv);
            for (size_t i = i0; i < i1; i++) rows[i * nt + t] = (double)cperm_be_f32(src + 4 * i);
        }
    }
}

/* What read_stc_pair's direct path needs of one file: its header's sizes and times. */
typedef struct stc_header {
    size_t nv, nt;
    const unsigned char *vp, *dp; /* the vertex numbers, the data frame */
    double tmin, tstep;
} stc_header;

/* 1 when parse_stc would accept the surface file p as it is, with vertices that already
 * strictly ascend (so sorting would move nothing) and at least one vertex and time; 0 for
 * anything else, which parse_stc then reads (and refuses) with its own messages. The
 * conditions are parse_stc's, in the same arithmetic. */
static int quick_header(stc_header *h, const unsigned char *p, size_t size) {
    if (size < 16) return 0;
    const uint32_t nv = cperm_be32(p + 8);
    const uint64_t need_hdr = 16 + 4 * (uint64_t)nv;
    if (nv == 0 || (uint64_t)size < need_hdr) return 0;
    const unsigned char *vp = p + 12;
    const uint32_t nt = cperm_be32(vp + 4 * (size_t)nv);
    const uint64_t cells = (uint64_t)nv * nt;
    if (nt == 0 || cells > (UINT64_MAX - need_hdr) / 4 || (uint64_t)size < need_hdr + 4 * cells)
        return 0;
    if (((uint64_t)size / 4 - 4 - nv) % cells != 0) return 0;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < nv; i++) {
        const uint32_t v = cperm_be32(vp + 4 * (size_t)i);
        if (v > STC_MAX_VERTEX || (i > 0 && v <= prev)) return 0;
        prev = v;
    }
    h->nv = nv;
    h->nt = nt;
    h->vp = vp;
    h->dp = p + need_hdr;
    h->tmin = (double)cperm_be_f32(p) / 1000.0;
    h->tstep = (double)cperm_be_f32(p + 4) / 1000.0;
    return 1;
}

/* Parse one .stc file (see _read_stc in mne/source_estimate.py). All sizes are checked
 * against `size` before anything is allocated. A surface file's vertices are sorted as
 * read_source_estimate sorts them; a volume file's (volume != 0) are kept, and must ascend,
 * as VolSourceEstimate requires. */
static int parse_stc(cperm_stc **out, const unsigned char *p, size_t size, const char *name,
                     int volume, cperm_err *err) {
    uint32_t nv, nt, i;
    uint64_t need_hdr, cells, need;
    size_t n_vertices[1];
    const unsigned char *vp, *dp;
    cperm_stc *stc = NULL;
    int rc;

    *out = NULL;
    if (size < 12)
        return cperm_fail(err, CPERM_EFORMAT, "stc: %s: truncated: %zu bytes, the header "
                          "needs at least 16", name, size);
    nv = cperm_be32(p + 8);
    need_hdr = 16 + 4 * (uint64_t)nv;
    if ((uint64_t)size < need_hdr)
        return cperm_fail(err, CPERM_EFORMAT, "stc: %s: truncated: %zu bytes, header says %u "
                          "vertices", name, size, (unsigned)nv);
    vp = p + 12;
    nt = cperm_be32(vp + 4 * (size_t)nv);
    cells = (uint64_t)nv * nt;
    if (nv > 0 && nt == 0) /* MNE fails here with a division by zero */
        return cperm_fail(err, CPERM_EFORMAT, "stc: %s: header says %u vertices x 0 times",
                          name, (unsigned)nv);
    if (cells > (UINT64_MAX - need_hdr) / 4 || (uint64_t)size < (need = need_hdr + 4 * cells))
        return cperm_fail(err, CPERM_EFORMAT, "stc: %s: truncated: %zu bytes, header says %u "
                          "vertices x %u times", name, size, (unsigned)nv, (unsigned)nt);
    /* MNE accepts trailing bytes only if whole extra frames of nv x nt floats follow (it
     * reads the first frame); anything else is "incorrect stc file size". */
    if (nv > 0 && ((uint64_t)size / 4 - 4 - nv) % cells != 0)
        return cperm_fail(err, CPERM_EFORMAT, "stc: %s: incorrect stc file size: %zu bytes for "
                          "%u vertices x %u times", name, size, (unsigned)nv, (unsigned)nt);
    for (i = 0; i < nv; i++) {
        uint32_t v = cperm_be32(vp + 4 * (size_t)i);
        if (v > STC_MAX_VERTEX)
            return cperm_fail(err, CPERM_EFORMAT, "stc: %s: vertex number %u at index %u is "
                              "out of range (>= 2^31)", name, (unsigned)v, (unsigned)i);
    }
    n_vertices[0] = nv;
    rc = stc_alloc(&stc, 1, n_vertices, 1, nt, 0, err); /* every value is decoded below */
    if (rc) return rc;
    /* tmin and tstep: float(f32) / 1000.0, exactly as MNE computes them. */
    stc->tmin = (double)cperm_be_f32(p) / 1000.0;
    stc->tstep = (double)cperm_be_f32(p + 4) / 1000.0;
    for (i = 0; i < nv; i++) stc->vertices[0][i] = cperm_be32(vp + 4 * (size_t)i);
    /* The file is time-major (data.T); we store vertex-major. NaN/Inf are kept as they are:
     * MNE reads them, and the statistics engine rejects them later. */
    dp = p + need_hdr;
    /* with no vertices there is nothing to read, however many times the header claims */
    if (nv) decode_frame(stc->data, dp, nv, nt);
    stc->kind = volume ? CPERM_STC_VOLUME : CPERM_STC_SURFACE;
    rc = volume ? cperm_stc_check_ascending(stc, name, err) : cperm_stc_sort_vertices(stc, name, err);
    if (rc) {
        cperm_stc_free(stc);
        return rc;
    }
    *out = stc;
    return CPERM_OK;
}

int cperm_stc_read_mem(cperm_stc **out, const void *data, size_t size, const char *name,
                       cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "stc: read: out is NULL");
    *out = NULL;
    if (!data && size > 0) return cperm_fail(err, CPERM_EINVAL, "stc: read: data is NULL");
    return parse_stc(out, data, size, name ? name : "<memory>", 0, err);
}

int cperm_stc_read_vol_mem(cperm_stc **out, const void *data, size_t size, const char *name,
                           cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "stc: read: out is NULL");
    *out = NULL;
    if (!data && size > 0) return cperm_fail(err, CPERM_EINVAL, "stc: read: data is NULL");
    return parse_stc(out, data, size, name ? name : "<memory>", 1, err);
}

static int read_stc_file(cperm_stc **out, const char *path, int volume, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    int rc = cperm_read_file(&buf, &size, path, STC_MAX_FILE_BYTES, "stc", err);
    if (rc) return rc;
    rc = parse_stc(out, buf, size, path, volume, err);
    free(buf);
    return rc;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* A new string: the first `keep` bytes of s followed by suffix. */
static char *concat(const char *s, size_t keep, const char *suffix) {
    size_t m = strlen(suffix);
    char *r = malloc(keep + m + 1);
    if (!r) return NULL;
    memcpy(r, s, keep);
    memcpy(r + keep, suffix, m + 1);
    return r;
}

/* The checks between the two files of a pair, in MNE's order: 0, or the error. */
static int check_pair(const char *lh_path, const char *rh_path, double lt0, double lts,
                      size_t lnt, double rt0, double rts, size_t rnt, cperm_err *err) {
    /* MNE asserts equality (so NaN never matches). */
    if (!(lt0 == rt0) || !(lts == rts))
        return cperm_fail(err, CPERM_EMISMATCH, "stc: %s and %s: tmin/tstep differ (%.17g/%.17g "
                          "vs %.17g/%.17g s)", lh_path, rh_path, lt0, lts, rt0, rts);
    if (lnt != rnt)
        return cperm_fail(err, CPERM_EMISMATCH, "stc: %s and %s: number of times differ (%zu vs "
                          "%zu)", lh_path, rh_path, lnt, rnt);
    return CPERM_OK;
}

/* Read stem-lh.stc and stem-rh.stc and stack them (lh rows first). Two files whose
 * vertices already ascend (as every file MNE writes) are decoded straight into the pair's
 * rows (issue 17: one pass over the data instead of decode, zero, copy); any other file is
 * parsed on its own and stacked as before, so every error is the one parse_stc says. Either
 * way the result is the same, value for value. */
int cperm_stc_read_pair(cperm_stc **out, const char *lh_path, const char *rh_path,
                        cperm_err *err) {
    cperm_stc *lh = NULL, *rh = NULL, *stc = NULL;
    unsigned char *lbuf = NULL, *rbuf = NULL;
    size_t lsize = 0, rsize = 0, nv[2], row;
    stc_header hl, hr;
    int rc, direct;

    rc = cperm_read_file(&lbuf, &lsize, lh_path, STC_MAX_FILE_BYTES, "stc", err);
    if (rc) goto cleanup;
    direct = quick_header(&hl, lbuf, lsize);
    if (!direct && (rc = parse_stc(&lh, lbuf, lsize, lh_path, 0, err))) goto cleanup;
    rc = cperm_read_file(&rbuf, &rsize, rh_path, STC_MAX_FILE_BYTES, "stc", err);
    if (rc) goto cleanup;
    if (direct && quick_header(&hr, rbuf, rsize)) {
        rc = check_pair(lh_path, rh_path, hl.tmin, hl.tstep, hl.nt, hr.tmin, hr.tstep, hr.nt,
                        err);
        if (rc) goto cleanup;
        nv[0] = hl.nv;
        nv[1] = hr.nv;
        rc = stc_alloc(&stc, 2, nv, 1, hl.nt, 0, err); /* every value is decoded below */
        if (rc) goto cleanup;
        stc->tmin = hl.tmin;
        stc->tstep = hl.tstep;
        for (size_t i = 0; i < hl.nv; i++) stc->vertices[0][i] = cperm_be32(hl.vp + 4 * i);
        for (size_t i = 0; i < hr.nv; i++) stc->vertices[1][i] = cperm_be32(hr.vp + 4 * i);
        decode_frame(stc->data, hl.dp, hl.nv, hl.nt);
        decode_frame(stc->data + hl.nv * hl.nt, hr.dp, hr.nv, hr.nt);
        stc->kind = CPERM_STC_SURFACE;
        *out = stc;
        stc = NULL;
        goto cleanup;
    }
    if (!lh && (rc = parse_stc(&lh, lbuf, lsize, lh_path, 0, err))) goto cleanup;
    free(lbuf);
    lbuf = NULL;
    rc = parse_stc(&rh, rbuf, rsize, rh_path, 0, err);
    if (rc) goto cleanup;
    rc = check_pair(lh_path, rh_path, lh->tmin, lh->tstep, lh->n_times, rh->tmin, rh->tstep,
                    rh->n_times, err);
    if (rc) goto cleanup;
    nv[0] = lh->n_vertices[0];
    nv[1] = rh->n_vertices[0];
    rc = cperm_stc_alloc(&stc, 2, nv, 1, lh->n_times, err);
    if (rc) goto cleanup;
    stc->tmin = lh->tmin;
    stc->tstep = lh->tstep;
    row = lh->n_times;
    if (nv[0]) memcpy(stc->vertices[0], lh->vertices[0], nv[0] * sizeof(uint32_t));
    if (nv[1]) memcpy(stc->vertices[1], rh->vertices[0], nv[1] * sizeof(uint32_t));
    if (nv[0] && row) memcpy(stc->data, lh->data, nv[0] * row * sizeof(double));
    if (nv[1] && row) memcpy(stc->data + nv[0] * row, rh->data, nv[1] * row * sizeof(double));
    *out = stc;
    stc = NULL;
cleanup:
    free(lbuf);
    free(rbuf);
    cperm_stc_free(lh);
    cperm_stc_free(rh);
    cperm_stc_free(stc);
    return rc;
}

/* read_source_estimate's naming rules; any_kind: volume files and -stc.h5 of every src_type
 * too (cperm_stc_read_any), else surface estimates only (cperm_stc_read). */
static int read_estimate(cperm_stc **out, const char *path, int any_kind,
                         const cperm_h5_options *opts, cperm_err *err) {
    enum { FT_NONE, FT_SURFACE, FT_W, FT_H5 } ftype = FT_NONE;
    char *stem = NULL, *lh = NULL, *rh = NULL, *lhw = NULL, *rhw = NULL, *h5 = NULL;
    const char *h5path = NULL;
    int rc = CPERM_OK, lh_ok, rh_ok, lhw_ok, rhw_ok;
    size_t n;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "stc: read: out is NULL");
    *out = NULL;
    if (!path || !*path) return cperm_fail(err, CPERM_EINVAL, "stc: read: empty path");
    n = strlen(path);

    /* The naming rules of mne.read_source_estimate (MNE 1.3). */
    if (cperm_path_exists(path)) {
        if (any_kind && (ends_with(path, "-vl.stc") || ends_with(path, "-vol.stc")))
            return read_stc_file(out, path, 1, err); /* VolSourceEstimate: one block */
        if (ends_with(path, "-vl.stc") || ends_with(path, "-vol.stc") ||
            ends_with(path, "-vl.w") || ends_with(path, "-vol.w"))
            return cperm_fail(err, CPERM_EUNSUPPORTED, "stc: %s: volume source estimates are "
                              "not supported", path);
        if (ends_with(path, ".stc")) {
            ftype = FT_SURFACE;
            if (!ends_with(path, "-lh.stc") && !ends_with(path, "-rh.stc"))
                return cperm_fail(err, CPERM_EINVAL, "stc: Invalid .stc filename: %s; needs "
                                  "to end with hemisphere tag ('...-lh.stc' or '...-rh.stc')",
                                  path);
            n -= 7;
        } else if (ends_with(path, ".w")) {
            ftype = FT_W;
            if (!ends_with(path, "-lh.w") && !ends_with(path, "-rh.w"))
                return cperm_fail(err, CPERM_EINVAL, "stc: Invalid .w filename: %s; needs to "
                                  "end with hemisphere tag ('...-lh.w' or '...-rh.w')", path);
            n -= 5;
        } else if (ends_with(path, ".h5")) {
            ftype = FT_H5;
            n -= 3;
        } else {
            return cperm_fail(err, CPERM_EINVAL, "stc: Unknown extension for file %s", path);
        }
    }
    stem = concat(path, n, "");
    lh = concat(path, n, "-lh.stc");
    rh = concat(path, n, "-rh.stc");
    lhw = concat(path, n, "-lh.w");
    rhw = concat(path, n, "-rh.w");
    h5 = concat(path, n, ".h5");
    if (!stem || !lh || !rh || !lhw || !rhw || !h5) {
        rc = cperm_fail(err, CPERM_ENOMEM, "stc: out of memory");
        goto cleanup;
    }
    lh_ok = cperm_path_exists(lh);
    rh_ok = cperm_path_exists(rh);
    lhw_ok = cperm_path_exists(lhw);
    rhw_ok = cperm_path_exists(rhw);
    if (lh_ok && rh_ok && ftype != FT_W) {
        rc = cperm_stc_read_pair(out, lh, rh, err);
    } else if (lhw_ok && rhw_ok) {
        rc = cperm_fail(err, CPERM_EUNSUPPORTED, "stc: %s: .w source estimates are not "
                        "supported", path);
    } else if (cperm_path_exists(h5)) {
        h5path = h5;
    } else {
        free(h5);
        h5 = concat(path, n, "-stc.h5");
        if (!h5) {
            rc = cperm_fail(err, CPERM_ENOMEM, "stc: out of memory");
        } else if (cperm_path_exists(h5)) {
            h5path = h5;
        } else if (lh_ok || rh_ok || lhw_ok || rhw_ok) {
            rc = cperm_fail(err, CPERM_ENOTFOUND, "stc: Hemisphere missing for %s: %s does not "
                            "exist (%s does)", path, lh_ok ? rh : rh_ok ? lh : lhw_ok ? rhw : lhw,
                            lh_ok ? lh : rh_ok ? rh : lhw_ok ? lhw : rhw);
        } else {
            rc = cperm_fail(err, CPERM_ENOTFOUND, "stc: SourceEstimate File(s) not found for: "
                            "%s (looked for %s, %s, %.*s.h5 and %s)", path, lh, rh, (int)n, path,
                            h5);
        }
    }
    if (h5path) rc = cperm_stc_h5_read(out, h5path, opts, any_kind, err);
cleanup:
    free(stem);
    free(lh);
    free(rh);
    free(lhw);
    free(rhw);
    free(h5);
    return rc;
}

int cperm_stc_read(cperm_stc **out, const char *path, cperm_err *err) {
    return read_estimate(out, path, 0, NULL, err);
}

int cperm_stc_read_any(cperm_stc **out, const char *path, const cperm_h5_options *opts,
                       cperm_err *err) {
    return read_estimate(out, path, 1, opts, err);
}

/* ------------------------------------------------------------ .stc writing */

/* Serialise rows [row0, row0 + n_rows) with the vertex list of hemisphere h. */
enum { STC_WRITE_ROWS = 64 }; /* rows per block of write_stc_file's transpose */
static int write_stc_file(const cperm_stc *stc, size_t h, size_t row0, size_t n_rows,
                          const char *path, cperm_err *err) {
    size_t nv = stc->n_vertices[h], nt = stc->n_times, i, t, size;
    unsigned char *buf, *dp;
    int rc;

    if (n_rows > (SIZE_MAX - 16 - 4 * nv) / 4 / (nt ? nt : 1))
        return cperm_fail(err, CPERM_ENOMEM, "stc: %s: file too large", path);
    size = 16 + 4 * nv + 4 * n_rows * nt;
    buf = malloc(size);
    if (!buf) return cperm_fail(err, CPERM_ENOMEM, "stc: %s: cannot allocate %zu bytes", path,
                                size);
    /* np.array(1000 * tmin, dtype='>f4'): the product in double, then rounded to float. */
    cperm_put_be_f32(buf, (float)(1000.0 * stc->tmin));
    cperm_put_be_f32(buf + 4, (float)(1000.0 * stc->tstep));
    cperm_put_be32(buf + 8, (uint32_t)nv);
    for (i = 0; i < nv; i++) cperm_put_be32(buf + 12 + 4 * i, stc->vertices[h][i]);
    cperm_put_be32(buf + 12 + 4 * nv, (uint32_t)nt);
    dp = buf + 16 + 4 * nv;
    /* data is vertex-major, the file time-major: transposed in blocks of rows that stay in
     * L1 across the time points (row by row over all vertices, each time point re-read
     * every vertex's line: the tobs files' 40 passes over 3 MB were most of writing them) */
    for (size_t i0 = 0; i0 < n_rows; i0 += STC_WRITE_ROWS) {
        const size_t i1 = n_rows - i0 < STC_WRITE_ROWS ? n_rows : i0 + STC_WRITE_ROWS;
        for (t = 0; t < nt; t++) {
            unsigned char *out = dp + 4 * t * n_rows;
            for (i = i0; i < i1; i++) {
                const float f = (float)stc->data[(row0 + i) * nt + t];
                uint32_t u;
                memcpy(&u, &f, sizeof u);
                u = __builtin_bswap32(u);
                memcpy(out + 4 * i, &u, sizeof u);
            }
        }
    }
    rc = cperm_write_file_atomic(path, buf, size, err);
    free(buf);
    return rc;
}

int cperm_stc_write(const cperm_stc *stc, const char *stem, cperm_err *err) {
    char *lh = NULL, *rh = NULL;
    size_t n, total;
    int rc;

    if (!stc || !stem || !*stem)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: missing stc or file stem");
    if (stc->n_hemis != 2 || stc->n_orient != 1 || stc->kind != CPERM_STC_SURFACE)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: %s: -lh/-rh.stc files hold a scalar "
                          "surface estimate (2 hemispheres, 1 orientation), got %zu x %zu%s",
                          stem, stc->n_hemis, stc->n_orient,
                          stc->kind != CPERM_STC_SURFACE ? " of a volume or mixed kind" : "");
    if (stc->n_vertices[0] > UINT32_MAX || stc->n_vertices[1] > UINT32_MAX ||
        stc->n_times > UINT32_MAX)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: %s: too many vertices or times for "
                          "the .stc format", stem);
    n = strlen(stem);
    lh = concat(stem, n, "-lh.stc");
    rh = concat(stem, n, "-rh.stc");
    if (!lh || !rh) {
        rc = cperm_fail(err, CPERM_ENOMEM, "stc: out of memory");
        goto cleanup;
    }
    total = stc->n_vertices[0] + stc->n_vertices[1];
    rc = write_stc_file(stc, 0, 0, stc->n_vertices[0], lh, err);
    if (rc) goto cleanup;
    /* rh rows are data[-len(rh_vertno):]; as in MNE, an empty rh writes every row (the
     * reader ignores them since the vertex count is 0). If this second write fails, the lh
     * file has already been replaced; the error says so. */
    if (stc->n_vertices[1] > 0)
        rc = write_stc_file(stc, 1, stc->n_vertices[0], stc->n_vertices[1], rh, err);
    else
        rc = write_stc_file(stc, 1, 0, total, rh, err);
    if (rc && err) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, " (%s was already written)", lh);
    }
cleanup:
    free(lh);
    free(rh);
    return rc;
}

int cperm_stc_write_vol(const cperm_stc *stc, const char *path, cperm_err *err) {
    char *name;
    int rc;

    if (!stc || !path || !*path)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: missing stc or file name");
    if (stc->kind != CPERM_STC_VOLUME)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: %s: a -vl.stc file holds a volume "
                          "estimate, this one is of kind %d (%s)", path, stc->kind,
                          stc->kind == CPERM_STC_MIXED ? "mixed" : "surface");
    if (stc->n_hemis != 1)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: %s: Can only write to .stc if a "
                          "single volume source space was used (%zu vertex blocks), use .h5 "
                          "instead", path, stc->n_hemis);
    if (stc->n_orient != 1)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: %s: a .stc file holds a scalar "
                          "estimate, got %zu orientations", path, stc->n_orient);
    if (stc->n_vertices[0] > UINT32_MAX || stc->n_times > UINT32_MAX)
        return cperm_fail(err, CPERM_EINVAL, "stc: write: %s: too many vertices or times for "
                          "the .stc format", path);
    if ((rc = cperm_stc_check_ascending(stc, path, err))) return rc;
    name = ends_with(path, "-vl.stc") || ends_with(path, "-vol.stc")
               ? concat(path, strlen(path), "")
               : concat(path, strlen(path), "-vl.stc");
    if (!name) return cperm_fail(err, CPERM_ENOMEM, "stc: out of memory");
    rc = write_stc_file(stc, 0, 0, stc->n_vertices[0], name, err);
    free(name);
    return rc;
}

/* ------------------------------------------------------------ operations */

int cperm_stc_magnitude(cperm_stc *stc, cperm_err *err) {
    size_t total, v, t, nt;
    double *shrunk;

    if (!stc) return cperm_fail(err, CPERM_EINVAL, "stc: magnitude: stc is NULL");
    if (stc->n_orient != 3)
        return cperm_fail(err, CPERM_EINVAL, "stc: magnitude: not a vector source estimate "
                          "(%zu orientations)", stc->n_orient);
    total = cperm_stc_rows(stc);
    nt = stc->n_times;
    /* In place: output (v, t) lies at or before every input still to be read. The sum
     * order is numpy's norm(axis=1): sqrt((x*x + y*y) + z*z). */
    for (v = 0; v < total; v++) {
        const double *x = stc->data + v * 3 * nt;
        for (t = 0; t < nt; t++) {
            double a = x[t], b = x[nt + t], c = x[2 * nt + t];
            double s = a * a;
            s = s + b * b;
            s = s + c * c;
            stc->data[v * nt + t] = sqrt(s);
        }
    }
    stc->n_orient = 1;
    shrunk = realloc(stc->data, total > 0 && nt > 0 ? total * nt * sizeof(double) : 1);
    if (shrunk) stc->data = shrunk; /* a failed shrink leaves the larger block: harmless */
    return CPERM_OK;
}

int cperm_stc_crop(cperm_stc *stc, double tmin, double tmax, cperm_err *err) {
    size_t nt, first = 0, n_sel = 0, rows, r;
    double sfreq, lo, hi, *shrunk;

    if (!stc) return cperm_fail(err, CPERM_EINVAL, "stc: crop: stc is NULL");
    nt = stc->n_times;
    if (nt == 0) return cperm_fail(err, CPERM_EINVAL, "stc: crop: no time points");
    if (!(stc->tstep > 0) || !isfinite(stc->tstep))
        return cperm_fail(err, CPERM_EINVAL, "stc: crop: tstep %.17g s is not positive",
                          stc->tstep);
    /* mne.utils._time_mask(times, tmin, tmax, sfreq=1/tstep, include_tmax=True), where
     * times = tmin + tstep * arange(n_times). A non-finite limit means the first/last time. */
    sfreq = 1.0 / stc->tstep;
    lo = isfinite(tmin) ? tmin : stc->tmin;
    hi = isfinite(tmax) ? tmax : stc->tmin + stc->tstep * (double)(nt - 1);
    if (!isfinite(lo * sfreq) || !isfinite(hi * sfreq))
        return cperm_fail(err, CPERM_EINVAL, "stc: crop: limits %.17g, %.17g are out of range",
                          tmin, tmax);
    /* Python's round() rounds half to even, as nearbyint in the default rounding mode. */
    lo = nearbyint(lo * sfreq) / sfreq - 0.5 / sfreq;
    hi = nearbyint(hi * sfreq) / sfreq;
    hi += 0.5 / sfreq;
    if (lo > hi) {
        /* Usually a limit outside the data (milliseconds typed for seconds), so say where the
         * data lie rather than echo a "no limit" NaN. */
        const double first_t = stc->tmin, last_t = stc->tmin + stc->tstep * (double)(nt - 1);
        return cperm_fail(err, CPERM_EINVAL, "stc: crop: tmin %g s is after tmax %g s; the data "
                          "span %g to %g s (%zu samples, limits are in seconds)",
                          isfinite(tmin) ? tmin : first_t, isfinite(tmax) ? tmax : last_t,
                          first_t, last_t, nt);
    }
    /* times[k] = tmin + tstep*k is non-decreasing in k (rounding is monotone), so the mask is
     * one run of samples: find its ends by bisection, without a per-sample pass. */
    {
        size_t a = 0, b = nt; /* first k with times[k] >= lo */
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            if (stc->tmin + stc->tstep * (double)mid >= lo) b = mid; else a = mid + 1;
        }
        first = a;
        a = first, b = nt; /* first k with times[k] > hi */
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            if (stc->tmin + stc->tstep * (double)mid <= hi) a = mid + 1; else b = mid;
        }
        n_sel = a - first;
    }
    if (n_sel == 0)
        return cperm_fail(err, CPERM_EINVAL, "stc: crop: No samples remain when using tmin=%g "
                          "and tmax=%g (original time bounds are [%g, %g] s, limits are in "
                          "seconds)", tmin, tmax, stc->tmin,
                          stc->tmin + stc->tstep * (double)(nt - 1));
    /* Gather in place: the destination of row r never passes a source row still unread. */
    rows = cperm_stc_rows(stc) * stc->n_orient;
    for (r = 0; r < rows; r++)
        memmove(stc->data + r * n_sel, stc->data + r * nt + first, n_sel * sizeof(double));
    stc->tmin = stc->tmin + stc->tstep * (double)first; /* self.tmin = self.times[first] */
    stc->n_times = n_sel;
    shrunk = realloc(stc->data, rows ? rows * n_sel * sizeof(double) : 1);
    if (shrunk) stc->data = shrunk;
    return CPERM_OK;
}
