/* fif.c - reading and writing MNE source spaces (-src.fif, plain or gzip) in the FIF tag
 * format, with MNE 1.3's semantics (mne/source_space.py, mne/io/{open,tag,tree,write}.py):
 * the tag walk and the fields every space has; a volume's own fields are fif_vol.c's. */
#include "fif_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

/* ------------------------------------------------------------------ loading */

int cperm_fif_load(unsigned char **out, size_t *out_size, const char *path, size_t cap,
                   const char *what, cperm_err *err) {
    gzFile f;
    unsigned char *buf = NULL;
    size_t len = 0, alloc = 0;
    int rc = CPERM_OK;

    *out = NULL;
    *out_size = 0;
    if (!path) return cperm_fail(err, CPERM_EINVAL, "%s: no file name given", what);
    errno = 0;
    f = gzopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return cperm_fail(err, CPERM_ENOTFOUND, "%s: %s: no such file", what, path);
        if (errno == ENOMEM || errno == 0)
            return cperm_fail(err, CPERM_ENOMEM, "%s: %s: out of memory opening the file", what, path);
        return cperm_fail(err, CPERM_EIO, "%s: %s: cannot open: %s", what, path, strerror(errno));
    }
    gzbuffer(f, 1u << 17);
    for (;;) {
        int got;
        size_t want;
        if (len == alloc) {
            size_t grow = alloc ? alloc : ((size_t)1 << 16);
            unsigned char *nb;
            if (alloc > cap) {
                rc = cperm_fail(err, CPERM_EFORMAT, "%s: %s: larger than %zu bytes, not a valid FIF file", what,
                                path, cap);
                goto cleanup;
            }
            nb = realloc(buf, alloc + grow + 1);
            if (!nb) {
                rc = cperm_fail(err, CPERM_ENOMEM, "%s: %s: out of memory reading %zu bytes", what, path,
                                alloc + grow);
                goto cleanup;
            }
            buf = nb;
            alloc += grow;
        }
        want = alloc - len;
        if (want > (1u << 30)) want = 1u << 30;
        got = gzread(f, buf + len, (unsigned)want);
        if (got < 0) {
            int zerr = Z_OK;
            const char *zmsg = gzerror(f, &zerr);
            if (zerr == Z_ERRNO)
                rc = cperm_fail(err, CPERM_EIO, "%s: %s: read failed: %s", what, path, strerror(errno));
            else if (zerr == Z_MEM_ERROR)
                rc = cperm_fail(err, CPERM_ENOMEM, "%s: %s: out of memory decompressing", what, path);
            else
                rc = cperm_fail(err, CPERM_EFORMAT, "%s: %s: corrupt gzip data (%s)", what, path,
                                zmsg ? zmsg : "zlib error");
            goto cleanup;
        }
        if (got == 0) {
            int zerr = Z_OK;
            const char *zmsg = gzerror(f, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                rc = cperm_fail(err, CPERM_EFORMAT, "%s: %s: truncated or corrupt gzip data (%s)", what, path,
                                zmsg ? zmsg : "zlib error");
                goto cleanup;
            }
            break;
        }
        len += (size_t)got;
        if (len > cap) {
            rc = cperm_fail(err, CPERM_EFORMAT, "%s: %s: larger than %zu bytes, not a valid FIF file", what, path,
                            cap);
            goto cleanup;
        }
    }
    *out = buf;
    *out_size = len;
    buf = NULL;
cleanup:
    gzclose(f);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ tags */

#define WALK_DONE SIZE_MAX

int cperm_fif_next_tag(const unsigned char *buf, size_t size, size_t *pos, cperm_fif_tag *tag,
                       const char *name, cperm_err *err) {
    size_t p = *pos, end;
    int32_t sz;

    if (p == WALK_DONE || p == size) return 0;
    if (p > size || size - p < CPERM_FIFF_TAG_HEADER)
        return cperm_fail(err, CPERM_EFORMAT, "%s: truncated: tag header at byte %zu runs past the end (%zu bytes)",
                          name, p, size);
    tag->kind = (int32_t)cperm_be32(buf + p);
    tag->type = cperm_be32(buf + p + 4);
    sz = (int32_t)cperm_be32(buf + p + 8);
    tag->next = (int32_t)cperm_be32(buf + p + 12);
    tag->pos = p;
    if (sz < 0)
        return cperm_fail(err, CPERM_EFORMAT, "%s: corrupt: tag %d at byte %zu has negative size %d", name,
                          (int)tag->kind, p, (int)sz);
    if ((size_t)sz > size - p - CPERM_FIFF_TAG_HEADER)
        return cperm_fail(err, CPERM_EFORMAT, "%s: truncated: tag %d at byte %zu has %d bytes of data, only %zu remain",
                          name, (int)tag->kind, p, (int)sz, size - p - CPERM_FIFF_TAG_HEADER);
    tag->size = (size_t)sz;
    tag->data = buf + p + CPERM_FIFF_TAG_HEADER;
    end = p + CPERM_FIFF_TAG_HEADER + tag->size;
    if (tag->next == 0) {
        *pos = end;
    } else if (tag->next < 0) {
        *pos = WALK_DONE; /* FIFFV_NEXT_NONE: the last tag */
    } else {
        /* A jump must move past this tag and stay inside the file, so the walk ends. */
        if ((size_t)tag->next < end || (size_t)tag->next > size)
            return cperm_fail(err, CPERM_EFORMAT, "%s: corrupt: tag %d at byte %zu points to byte %d", name,
                              (int)tag->kind, p, (int)tag->next);
        *pos = (size_t)tag->next;
    }
    return 1;
}

int cperm_fif_matrix2(const cperm_fif_tag *tag, uint32_t elem, size_t *rows, size_t *cols,
                      const unsigned char **elems, const char *name, const char *what,
                      cperm_err *err) {
    int32_t ndim, r, c;
    size_t payload;

    if ((tag->type & CPERM_FIFFT_CODING_MASK) != CPERM_FIFFT_MATRIX || (tag->type & 0xffffu) != elem)
        return cperm_fail(err, CPERM_EFORMAT, "%s: %s: expected a dense %s matrix, tag type is 0x%08x", name, what,
                          elem == CPERM_FIFFT_FLOAT ? "float32" : "int32", (unsigned)tag->type);
    if (tag->size < 4)
        return cperm_fail(err, CPERM_EFORMAT, "%s: %s: matrix tag of %zu bytes has no dimensions", name, what,
                          tag->size);
    ndim = (int32_t)cperm_be32(tag->data + tag->size - 4);
    if (ndim != 2)
        return cperm_fail(err, CPERM_EFORMAT, "%s: %s: expected a 2-D matrix, found %d dimensions", name, what,
                          (int)ndim);
    if (tag->size < 12)
        return cperm_fail(err, CPERM_EFORMAT, "%s: %s: matrix tag of %zu bytes is too short for its dimensions",
                          name, what, tag->size);
    /* Dimensions are stored last-first: columns, then rows, then ndim. */
    c = (int32_t)cperm_be32(tag->data + tag->size - 12);
    r = (int32_t)cperm_be32(tag->data + tag->size - 8);
    payload = tag->size - 12;
    if (r < 0 || c < 0)
        return cperm_fail(err, CPERM_EFORMAT, "%s: %s: negative matrix dimensions %d x %d", name, what, (int)r,
                          (int)c);
    if ((c > 0 && (size_t)r > payload / 4 / (size_t)c) || (size_t)r * (size_t)c * 4 != payload)
        return cperm_fail(err, CPERM_EFORMAT, "%s: %s: matrix says %d x %d but holds %zu bytes of data", name, what,
                          (int)r, (int)c, payload);
    *rows = (size_t)r;
    *cols = (size_t)c;
    *elems = tag->data;
    return CPERM_OK;
}

/* ------------------------------------------------------------------ reading */

/* The tags of one FIFFB_MNE_SOURCE_SPACE block that we read; the first of each kind wins,
 * as in mne.io.tag.find_tag. */
enum {
    K_ID, K_TYPE, K_NPOINTS, K_BEM_NTRI, K_NTRI, K_COORD_FRAME, K_POINTS, K_NORMALS,
    K_BEM_TRIANGLES, K_TRIANGLES, K_NUSE, K_SELECTION, K_NUSE_TRI, K_USE_TRIANGLES, K_SUBJECT,
    K_COUNT
};

static const int32_t k_kinds[K_COUNT] = {
    CPERM_FIFF_MNE_SOURCE_SPACE_ID, CPERM_FIFF_MNE_SOURCE_SPACE_TYPE,
    CPERM_FIFF_MNE_SOURCE_SPACE_NPOINTS, CPERM_FIFF_BEM_SURF_NTRI,
    CPERM_FIFF_MNE_SOURCE_SPACE_NTRI, CPERM_FIFF_MNE_COORD_FRAME,
    CPERM_FIFF_MNE_SOURCE_SPACE_POINTS, CPERM_FIFF_MNE_SOURCE_SPACE_NORMALS,
    CPERM_FIFF_BEM_SURF_TRIANGLES, CPERM_FIFF_MNE_SOURCE_SPACE_TRIANGLES,
    CPERM_FIFF_MNE_SOURCE_SPACE_NUSE, CPERM_FIFF_MNE_SOURCE_SPACE_SELECTION,
    CPERM_FIFF_MNE_SOURCE_SPACE_NUSE_TRI, CPERM_FIFF_MNE_SOURCE_SPACE_USE_TRIANGLES,
    CPERM_FIFF_SUBJ_HIS_ID};

static const char *const k_names[K_COUNT] = {
    "SOURCE_SPACE_ID", "SOURCE_SPACE_TYPE", "SOURCE_SPACE_NPOINTS", "BEM_SURF_NTRI",
    "SOURCE_SPACE_NTRI", "COORD_FRAME", "SOURCE_SPACE_POINTS", "SOURCE_SPACE_NORMALS",
    "BEM_SURF_TRIANGLES", "SOURCE_SPACE_TRIANGLES", "SOURCE_SPACE_NUSE",
    "SOURCE_SPACE_SELECTION", "SOURCE_SPACE_NUSE_TRI", "SOURCE_SPACE_USE_TRIANGLES",
    "SUBJ_HIS_ID"};

typedef struct space_tags {
    int have[K_COUNT];
    cperm_fif_tag tag[K_COUNT];
    cperm_fif_vol_tags vol; /* read only if the space is a volume, as MNE */
} space_tags;

#define MAX_DEPTH 64

static void hemi_clear(cperm_src_hemi *h) {
    free(h->rr);
    free(h->nn);
    free(h->tris);
    free(h->inuse);
    free(h->vertno);
    free(h->use_tris);
    cperm_fif_vol_clear(h);
}

void cperm_src_free(cperm_srcspace *src) {
    if (!src) return;
    for (size_t h = 0; h < src->n_hemis; h++) hemi_clear(&src->hemis[h]);
    free(src->hemis);
    free(src);
}

/* A scalar int tag: FIFFT_INT, exactly one value unless `first_of_many`. */
static int tag_int(const space_tags *st, int k, int32_t *v, int first_of_many, const char *name,
                   size_t h, cperm_err *err) {
    const cperm_fif_tag *t = &st->tag[k];
    if (t->type != CPERM_FIFFT_INT || t->size < 4 || (!first_of_many && t->size != 4))
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s is not one int32 (type %u, %zu bytes)", name,
                          h, k_names[k], (unsigned)t->type, t->size);
    *v = (int32_t)cperm_be32(t->data);
    return CPERM_OK;
}

static int read_floats3(float **out, const space_tags *st, int k, size_t np, const char *name,
                        size_t h, cperm_err *err) {
    size_t rows = 0, cols = 0;
    const unsigned char *d = NULL;
    float *v;
    int rc = cperm_fif_matrix2(&st->tag[k], CPERM_FIFFT_FLOAT, &rows, &cols, &d, name, k_names[k], err);
    if (rc < 0) return rc;
    if (rows != np || cols != 3)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s is %zu x %zu, expected %zu x 3", name, h,
                          k_names[k], rows, cols, np);
    v = cperm_malloc(3 * np, sizeof *v);
    if (!v) return cperm_fail(err, CPERM_ENOMEM, "%s: out of memory for %zu vertices", name, np);
    for (size_t i = 0; i < 3 * np; i++) v[i] = cperm_be_f32(d + 4 * i);
    *out = v;
    return CPERM_OK;
}

/* An n x 3 one-based triangle matrix, converted to zero-based and checked against np. */
static int read_tris(int32_t **out, size_t *n_out, const space_tags *st, int k, size_t np,
                     const char *name, size_t h, cperm_err *err) {
    size_t rows = 0, cols = 0;
    const unsigned char *d = NULL;
    int32_t *v;
    int rc = cperm_fif_matrix2(&st->tag[k], CPERM_FIFFT_INT, &rows, &cols, &d, name, k_names[k], err);
    if (rc < 0) return rc;
    if (cols != 3)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s has %zu columns, expected 3", name, h,
                          k_names[k], cols);
    v = cperm_malloc(3 * rows, sizeof *v);
    if (!v) return cperm_fail(err, CPERM_ENOMEM, "%s: out of memory for %zu triangles", name, rows);
    for (size_t i = 0; i < 3 * rows; i++) {
        int32_t x = (int32_t)cperm_be32(d + 4 * i);
        if (x < 1 || (size_t)x > np) {
            free(v);
            return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s row %zu uses vertex %d, outside 1..%zu",
                              name, h, k_names[k], i / 3, (int)x, np);
        }
        v[i] = x - 1;
    }
    *out = v;
    *n_out = rows;
    return CPERM_OK;
}

/* Fills one hemisphere from its tags, following _read_one_source_space. */
static int read_space(cperm_src_hemi *hm, const space_tags *st, const char *name, size_t h,
                      cperm_err *err) {
    int32_t v = 0;
    size_t np;
    int rc;

    hm->id = -1; /* FIFFV_MNE_SURF_UNKNOWN */
    if (st->have[K_ID]) {
        if ((rc = tag_int(st, K_ID, &v, 0, name, h, err)) < 0) return rc;
        hm->id = v;
    }
    if (!st->have[K_TYPE])
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: unknown source space type (no %s tag)", name, h,
                          k_names[K_TYPE]);
    if ((rc = tag_int(st, K_TYPE, &v, 0, name, h, err)) < 0) return rc;
    if (v != CPERM_SRC_SURFACE && v != CPERM_SRC_DISCRETE && v != CPERM_SRC_VOLUME)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: unknown source space type (%d)", name, h, (int)v);
    hm->type = v;

    if (!st->have[K_NPOINTS])
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: number of vertices not found", name, h);
    if ((rc = tag_int(st, K_NPOINTS, &v, 0, name, h, err)) < 0) return rc;
    if (v < 0)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: negative number of vertices (%d)", name, h, (int)v);
    np = (size_t)v;
    hm->np = np;

    hm->ntri = 0;
    if (st->have[K_BEM_NTRI] || st->have[K_NTRI]) {
        int k = st->have[K_BEM_NTRI] ? K_BEM_NTRI : K_NTRI;
        if ((rc = tag_int(st, k, &v, 0, name, h, err)) < 0) return rc;
        if (v < 0)
            return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: negative number of triangles (%d)", name, h,
                              (int)v);
        hm->ntri = (size_t)v;
    }

    if (!st->have[K_COORD_FRAME])
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: coordinate frame information not found", name, h);
    if ((rc = tag_int(st, K_COORD_FRAME, &v, 1, name, h, err)) < 0) return rc;
    hm->coord_frame = v;

    if (!st->have[K_POINTS])
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: vertex data not found", name, h);
    if ((rc = read_floats3(&hm->rr, st, K_POINTS, np, name, h, err)) < 0) return rc;
    if (!st->have[K_NORMALS])
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: vertex normals not found", name, h);
    if ((rc = read_floats3(&hm->nn, st, K_NORMALS, np, name, h, err)) < 0) return rc;

    if (hm->ntri > 0) {
        int k = st->have[K_BEM_TRIANGLES] ? K_BEM_TRIANGLES : K_TRIANGLES;
        size_t rows = 0;
        if (!st->have[k])
            return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: triangulation not found", name, h);
        if ((rc = read_tris(&hm->tris, &rows, st, k, np, name, h, err)) < 0) return rc;
        if (rows != hm->ntri)
            return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %zu triangles stored, NTRI says %zu", name, h,
                              rows, hm->ntri);
    }

    /* Which vertices are used: vertno = where(inuse). */
    hm->inuse = cperm_calloc(np, sizeof *hm->inuse);
    if (!hm->inuse) return cperm_fail(err, CPERM_ENOMEM, "%s: out of memory for %zu vertices", name, np);
    hm->nuse = 0;
    if (st->have[K_NUSE]) {
        const cperm_fif_tag *t = &st->tag[K_SELECTION];
        size_t w = 0;
        if ((rc = tag_int(st, K_NUSE, &v, 0, name, h, err)) < 0) return rc;
        if (!st->have[K_SELECTION])
            return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: source selection information missing", name, h);
        if (t->type != CPERM_FIFFT_INT || t->size != 4 * np)
            return cperm_fail(err, CPERM_EFORMAT,
                              "%s: source space %zu: incorrect number of entries in source space selection "
                              "(%zu bytes of type %u for %zu vertices)", name, h, t->size, (unsigned)t->type, np);
        for (size_t i = 0; i < np; i++) {
            hm->inuse[i] = (int32_t)cperm_be32(t->data + 4 * i);
            hm->nuse += hm->inuse[i] != 0;
        }
        hm->vertno = cperm_malloc(hm->nuse, sizeof *hm->vertno);
        if (!hm->vertno) return cperm_fail(err, CPERM_ENOMEM, "%s: out of memory for %zu vertices", name, hm->nuse);
        for (size_t i = 0; i < np; i++)
            if (hm->inuse[i]) hm->vertno[w++] = (int32_t)i;
    } else {
        hm->vertno = cperm_malloc(0, sizeof *hm->vertno);
        if (!hm->vertno) return cperm_fail(err, CPERM_ENOMEM, "%s: out of memory", name);
    }

    /* The used triangulation is only taken when both tags are present (as MNE). */
    hm->nuse_tri = 0;
    if (st->have[K_NUSE_TRI] && st->have[K_USE_TRIANGLES]) {
        if ((rc = tag_int(st, K_NUSE_TRI, &v, 1, name, h, err)) < 0) return rc;
        if ((rc = read_tris(&hm->use_tris, &hm->nuse_tri, st, K_USE_TRIANGLES, np, name, h, err)) < 0) return rc;
    }

    hm->subject[0] = '\0';
    if (st->have[K_SUBJECT]) {
        const cperm_fif_tag *t = &st->tag[K_SUBJECT];
        size_t n = 0;
        if (t->type != CPERM_FIFFT_STRING)
            return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s is not a string", name, h, k_names[K_SUBJECT]);
        while (n < t->size && t->data[n] != '\0') n++;
        if (n >= sizeof hm->subject)
            return cperm_fail(err, CPERM_EUNSUPPORTED, "%s: source space %zu: subject name of %zu bytes is longer than %zu",
                              name, h, n, sizeof hm->subject - 1);
        memcpy(hm->subject, t->data, n);
        hm->subject[n] = '\0';
    }
    if (hm->type == CPERM_SRC_VOLUME) return cperm_fif_vol_read(hm, &st->vol, name, h, err);
    return CPERM_OK;
}

int cperm_src_read_mem(cperm_srcspace **out, const void *data, size_t size, const char *name,
                       cperm_err *err) {
    const unsigned char *buf = data;
    cperm_srcspace *src = NULL;
    space_tags *spaces = NULL;
    size_t n_spaces = 0, cap_spaces = 0, pos = 0, depth = 0, n_tags = 0;
    /* For every open block: its index in `spaces` if it is a source space, else SIZE_MAX;
     * the innermost source space enclosing it (or itself), else SIZE_MAX; and the space
     * whose parent-MRI block it is (the first such block below that space), else SIZE_MAX. */
    size_t stack[MAX_DEPTH], enclosing[MAX_DEPTH], mri_of[MAX_DEPTH];
    cperm_fif_tag tag;
    char label[CPERM_ERR_MSG_LEN / 2];
    int rc, got;

    snprintf(label, sizeof label, "src: %s", name ? name : "<memory>");
    name = label; /* every message below starts "src: NAME: " */
    if (!out) return cperm_fail(err, CPERM_EINVAL, "%s: no output pointer", name);
    *out = NULL;
    if (!data && size > 0) return cperm_fail(err, CPERM_EINVAL, "%s: no data", name);
    if (size > CPERM_FIF_MAX_BYTES)
        return cperm_fail(err, CPERM_EFORMAT, "%s: %zu bytes is larger than a FIF file can be", name, size);

    while ((got = cperm_fif_next_tag(buf, size, &pos, &tag, name, err)) == 1) {
        /* mne.io.open requires a file id tag, then a directory pointer. */
        if (n_tags == 0 && (tag.kind != CPERM_FIFF_FILE_ID || tag.type != CPERM_FIFFT_ID_STRUCT || tag.size != 20)) {
            rc = cperm_fail(err, CPERM_EFORMAT, "%s: not a FIF file (does not start with a file id tag)", name);
            goto cleanup;
        }
        if (n_tags == 1 && tag.kind != CPERM_FIFF_DIR_POINTER) {
            rc = cperm_fail(err, CPERM_EFORMAT, "%s: not a FIF file (no directory pointer)", name);
            goto cleanup;
        }
        n_tags++;
        if (tag.kind == CPERM_FIFF_BLOCK_START) {
            int32_t block;
            if (tag.type != CPERM_FIFFT_INT || tag.size < 4) {
                rc = cperm_fail(err, CPERM_EFORMAT, "%s: corrupt block start at byte %zu", name, tag.pos);
                goto cleanup;
            }
            if (depth == MAX_DEPTH) {
                rc = cperm_fail(err, CPERM_EFORMAT, "%s: blocks nested deeper than %d at byte %zu", name,
                                MAX_DEPTH, tag.pos);
                goto cleanup;
            }
            block = (int32_t)cperm_be32(tag.data);
            stack[depth] = SIZE_MAX;
            mri_of[depth] = SIZE_MAX;
            enclosing[depth] = depth > 0 ? enclosing[depth - 1] : SIZE_MAX;
            if (block == CPERM_FIFFB_MNE_PARENT_MRI_FILE && enclosing[depth] != SIZE_MAX &&
                !spaces[enclosing[depth]].vol.have_mri) {
                spaces[enclosing[depth]].vol.have_mri = 1;
                mri_of[depth] = enclosing[depth];
            }
            if (block == CPERM_FIFFB_MNE_SOURCE_SPACE) {
                if (n_spaces == cap_spaces) {
                    size_t nc = cap_spaces ? 2 * cap_spaces : 2;
                    space_tags *ns = realloc(spaces, nc * sizeof *ns);
                    if (!ns) {
                        rc = cperm_fail(err, CPERM_ENOMEM, "%s: out of memory", name);
                        goto cleanup;
                    }
                    spaces = ns;
                    cap_spaces = nc;
                }
                memset(&spaces[n_spaces], 0, sizeof spaces[n_spaces]);
                enclosing[depth] = n_spaces;
                stack[depth] = n_spaces++;
            }
            depth++;
        } else if (tag.kind == CPERM_FIFF_BLOCK_END) {
            /* MNE closes the innermost block whatever the end tag says; a stray end at
             * the top level is ignored, as in mne.io.tree.make_dir_tree. */
            if (depth > 0) depth--;
        } else if (depth > 0 && stack[depth - 1] != SIZE_MAX) {
            space_tags *st = &spaces[stack[depth - 1]];
            for (int k = 0; k < K_COUNT; k++)
                if (tag.kind == k_kinds[k] && !st->have[k]) {
                    st->have[k] = 1;
                    st->tag[k] = tag;
                }
            cperm_fif_vol_note_space_tag(&st->vol, &tag);
        } else if (depth > 0 && mri_of[depth - 1] != SIZE_MAX) {
            cperm_fif_vol_note_mri_tag(&spaces[mri_of[depth - 1]].vol, &tag);
        }
    }
    if (got < 0) {
        rc = got;
        goto cleanup;
    }
    if (n_tags == 0) {
        rc = cperm_fail(err, CPERM_EFORMAT, "%s: empty file, not a FIF file", name);
        goto cleanup;
    }
    if (n_tags < 2) {
        rc = cperm_fail(err, CPERM_EFORMAT, "%s: truncated: no directory pointer", name);
        goto cleanup;
    }
    if (depth > 0) {
        rc = cperm_fail(err, CPERM_EFORMAT, "%s: truncated: %zu block(s) not closed at the end of the file", name,
                        depth);
        goto cleanup;
    }
    if (n_spaces == 0) {
        rc = cperm_fail(err, CPERM_EFORMAT, "%s: no source spaces found", name);
        goto cleanup;
    }
    src = calloc(1, sizeof *src);
    if (!src || !(src->hemis = calloc(n_spaces, sizeof *src->hemis))) {
        rc = cperm_fail(err, CPERM_ENOMEM, "%s: out of memory", name);
        goto cleanup;
    }
    src->n_hemis = n_spaces;
    for (size_t h = 0; h < n_spaces; h++)
        if ((rc = read_space(&src->hemis[h], &spaces[h], name, h, err)) < 0) goto cleanup;
    *out = src;
    src = NULL;
    rc = CPERM_OK;
cleanup:
    free(spaces);
    cperm_src_free(src);
    return rc;
}

int cperm_src_read(cperm_srcspace **out, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    int rc;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "src: no output pointer");
    *out = NULL;
    rc = cperm_fif_load(&buf, &size, path, CPERM_FIF_MAX_BYTES, "src", err);
    if (rc < 0) return rc;
    rc = cperm_src_read_mem(out, buf, size, path, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ writing */

/* A growing output buffer; `failed` latches the first allocation failure. */
typedef struct obuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} obuf;

static unsigned char *ob_reserve(obuf *b, size_t n) {
    if (b->failed) return NULL;
    if (n > CPERM_FIF_MAX_BYTES || b->len > CPERM_FIF_MAX_BYTES - n) {
        b->failed = CPERM_EUNSUPPORTED;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        unsigned char *np;
        while (nc < b->len + n) nc *= 2;
        np = realloc(b->p, nc);
        if (!np) {
            b->failed = CPERM_ENOMEM;
            return NULL;
        }
        b->p = np;
        b->cap = nc;
    }
    b->len += n;
    return b->p + b->len - n;
}

/* Tag header plus room for `size` data bytes; returns the data pointer or NULL. */
static unsigned char *ob_tag(obuf *b, int32_t kind, uint32_t type, size_t size, int32_t next) {
    unsigned char *q;
    if (size > (size_t)INT32_MAX) {
        if (!b->failed) b->failed = CPERM_EUNSUPPORTED;
        return NULL;
    }
    q = ob_reserve(b, CPERM_FIFF_TAG_HEADER + size);
    if (!q) return NULL;
    cperm_put_be32(q, (uint32_t)kind);
    cperm_put_be32(q + 4, type);
    cperm_put_be32(q + 8, (uint32_t)size);
    cperm_put_be32(q + 12, (uint32_t)next);
    return q + CPERM_FIFF_TAG_HEADER;
}

static void ob_int(obuf *b, int32_t kind, int32_t value) {
    unsigned char *q = ob_tag(b, kind, CPERM_FIFFT_INT, 4, 0);
    if (q) cperm_put_be32(q, (uint32_t)value);
}

static void ob_float_matrix(obuf *b, int32_t kind, const float *m, size_t rows, size_t cols) {
    size_t n = rows * cols;
    unsigned char *q;
    if (rows > (size_t)INT32_MAX / 4 / (cols ? cols : 1)) {
        if (!b->failed) b->failed = CPERM_EUNSUPPORTED;
        return;
    }
    q = ob_tag(b, kind, CPERM_FIFFT_MATRIX | CPERM_FIFFT_FLOAT, 4 * n + 12, 0);
    if (!q) return;
    for (size_t i = 0; i < n; i++) cperm_put_be_f32(q + 4 * i, m[i]);
    cperm_put_be32(q + 4 * n, (uint32_t)cols);
    cperm_put_be32(q + 4 * n + 4, (uint32_t)rows);
    cperm_put_be32(q + 4 * n + 8, 2);
}

/* An n x 3 zero-based triangle matrix, stored one-based. */
static void ob_tri_matrix(obuf *b, int32_t kind, const int32_t *t, size_t rows) {
    size_t n = 3 * rows;
    unsigned char *q;
    if (rows > (size_t)INT32_MAX / 12) {
        if (!b->failed) b->failed = CPERM_EUNSUPPORTED;
        return;
    }
    q = ob_tag(b, kind, CPERM_FIFFT_MATRIX | CPERM_FIFFT_INT, 4 * n + 12, 0);
    if (!q) return;
    for (size_t i = 0; i < n; i++) cperm_put_be32(q + 4 * i, (uint32_t)(t[i] + 1));
    cperm_put_be32(q + 4 * n, 3);
    cperm_put_be32(q + 4 * n + 4, (uint32_t)rows);
    cperm_put_be32(q + 4 * n + 8, 2);
}

/* Checks that one hemisphere can be written: surface type, counts, indices in range. */
static int check_hemi(const cperm_src_hemi *s, size_t h, const char *path, cperm_err *err) {
    if (s->type != CPERM_SRC_SURFACE)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "src: %s: source space %zu: only surface source spaces can be written",
                          path, h);
    if (s->np > (size_t)INT32_MAX / 12)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "src: %s: source space %zu: %zu vertices is too many for FIF", path,
                          h, s->np);
    if (s->np > 0 && (!s->rr || !s->nn))
        return cperm_fail(err, CPERM_EINVAL, "src: %s: source space %zu: rr and nn are required", path, h);
    if (s->ntri > 0 && !s->tris)
        return cperm_fail(err, CPERM_EINVAL, "src: %s: source space %zu: ntri is %zu but tris is NULL", path, h, s->ntri);
    if (s->ntri > (size_t)INT32_MAX / 12 || (s->use_tris && s->nuse_tri > (size_t)INT32_MAX / 12))
        return cperm_fail(err, CPERM_EUNSUPPORTED, "src: %s: source space %zu: too many triangles for FIF", path, h);
    for (size_t k = 0; k < 3 * s->ntri; k++)
        if (s->tris[k] < 0 || (size_t)s->tris[k] >= s->np)
            return cperm_fail(err, CPERM_EINVAL, "src: %s: source space %zu: triangle %zu uses vertex %d of %zu", path, h,
                              k / 3, (int)s->tris[k], s->np);
    if (s->use_tris)
        for (size_t k = 0; k < 3 * s->nuse_tri; k++)
            if (s->use_tris[k] < 0 || (size_t)s->use_tris[k] >= s->np)
                return cperm_fail(err, CPERM_EINVAL, "src: %s: source space %zu: use_tris %zu uses vertex %d of %zu",
                                  path, h, k / 3, (int)s->use_tris[k], s->np);
    if (!s->inuse) {
        if (s->nuse > 0 && !s->vertno)
            return cperm_fail(err, CPERM_EINVAL, "src: %s: source space %zu: neither inuse nor vertno given", path, h);
        for (size_t k = 0; k < s->nuse; k++)
            if (s->vertno[k] < 0 || (size_t)s->vertno[k] >= s->np || (k > 0 && s->vertno[k] <= s->vertno[k - 1]))
                return cperm_fail(err, CPERM_EINVAL,
                                  "src: %s: source space %zu: vertno[%zu] = %d is out of range or not ascending", path,
                                  h, k, (int)s->vertno[k]);
    }
    {
        size_t n = 0;
        while (n < sizeof s->subject && s->subject[n]) n++;
        if (n == sizeof s->subject)
            return cperm_fail(err, CPERM_EINVAL, "src: %s: source space %zu: subject is not NUL-terminated", path, h);
    }
    return CPERM_OK;
}

/* Serialises the source spaces as MNE's write_source_spaces lays them out (without the
 * optional FIFFB_MNE_ENV block, which read_source_spaces does not need). */
static int encode_src(obuf *b, const cperm_srcspace *src) {
    unsigned char *q = ob_tag(b, CPERM_FIFF_FILE_ID, CPERM_FIFFT_ID_STRUCT, 20, 0);
    if (q) {
        /* version, machid[2], secs, usecs: a fixed id (MNE's DATE_NONE time, no machine id)
         * keeps the output reproducible. */
        cperm_put_be32(q, CPERM_FIFFC_VERSION);
        cperm_put_be32(q + 4, 0);
        cperm_put_be32(q + 8, 0);
        cperm_put_be32(q + 12, 0);
        cperm_put_be32(q + 16, (uint32_t)INT32_MAX);
    }
    ob_int(b, CPERM_FIFF_DIR_POINTER, -1);
    ob_int(b, CPERM_FIFF_FREE_LIST, -1);
    ob_int(b, CPERM_FIFF_BLOCK_START, CPERM_FIFFB_MNE);
    for (size_t h = 0; h < src->n_hemis; h++) {
        const cperm_src_hemi *s = &src->hemis[h];
        size_t np = s->np;
        ob_int(b, CPERM_FIFF_BLOCK_START, CPERM_FIFFB_MNE_SOURCE_SPACE);
        ob_int(b, CPERM_FIFF_MNE_SOURCE_SPACE_TYPE, CPERM_SRC_SURFACE);
        if (s->id >= 0) ob_int(b, CPERM_FIFF_MNE_SOURCE_SPACE_ID, s->id);
        if (s->subject[0]) {
            size_t n = strlen(s->subject);
            q = ob_tag(b, CPERM_FIFF_SUBJ_HIS_ID, CPERM_FIFFT_STRING, n, 0);
            if (q) memcpy(q, s->subject, n);
        }
        ob_int(b, CPERM_FIFF_MNE_COORD_FRAME, s->coord_frame);
        ob_int(b, CPERM_FIFF_MNE_SOURCE_SPACE_NPOINTS, (int32_t)np);
        ob_float_matrix(b, CPERM_FIFF_MNE_SOURCE_SPACE_POINTS, s->rr, np, 3);
        ob_float_matrix(b, CPERM_FIFF_MNE_SOURCE_SPACE_NORMALS, s->nn, np, 3);
        q = ob_tag(b, CPERM_FIFF_MNE_SOURCE_SPACE_SELECTION, CPERM_FIFFT_INT, 4 * np, 0);
        {
            size_t nuse = 0;
            if (q) memset(q, 0, 4 * np);
            if (s->inuse) {
                for (size_t i = 0; i < np; i++)
                    if (s->inuse[i]) {
                        nuse++;
                        if (q) cperm_put_be32(q + 4 * i, 1);
                    }
            } else {
                nuse = s->nuse;
                if (q)
                    for (size_t k = 0; k < s->nuse; k++) cperm_put_be32(q + 4 * (size_t)s->vertno[k], 1);
            }
            ob_int(b, CPERM_FIFF_MNE_SOURCE_SPACE_NUSE, (int32_t)nuse);
        }
        if (s->ntri > 0) {
            ob_int(b, CPERM_FIFF_MNE_SOURCE_SPACE_NTRI, (int32_t)s->ntri);
            ob_tri_matrix(b, CPERM_FIFF_MNE_SOURCE_SPACE_TRIANGLES, s->tris, s->ntri);
        }
        if (s->use_tris) {
            ob_int(b, CPERM_FIFF_MNE_SOURCE_SPACE_NUSE_TRI, (int32_t)s->nuse_tri);
            ob_tri_matrix(b, CPERM_FIFF_MNE_SOURCE_SPACE_USE_TRIANGLES, s->use_tris, s->nuse_tri);
        }
        ob_int(b, CPERM_FIFF_BLOCK_END, CPERM_FIFFB_MNE_SOURCE_SPACE);
    }
    ob_int(b, CPERM_FIFF_BLOCK_END, CPERM_FIFFB_MNE);
    ob_tag(b, CPERM_FIFF_NOP, CPERM_FIFFT_VOID, 0, -1); /* FIFFV_NEXT_NONE ends the file */
    return b->failed;
}

/* Whether path ends in ".gz" (then the file is written gzip-compressed, as MNE does). */
static int ends_with_gz(const char *path) {
    size_t n = strlen(path);
    return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

/* Level 2, as MNE (compresslevel=2): level 9 is barely smaller and much slower. */
static int gzip_buffer(unsigned char **out, size_t *out_size, const unsigned char *in, size_t n) {
    z_stream zs;
    uLong bound;
    unsigned char *dst;
    int zrc;

    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 2, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return CPERM_ENOMEM;
    bound = deflateBound(&zs, (uLong)n);
    dst = malloc(bound);
    if (!dst) {
        deflateEnd(&zs);
        return CPERM_ENOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)in; /* zlib's API is not const-correct */
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)bound;
    zrc = deflate(&zs, Z_FINISH);
    *out_size = (size_t)zs.total_out;
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(dst);
        return CPERM_ENOMEM;
    }
    *out = dst;
    return CPERM_OK;
}

int cperm_src_write(const cperm_srcspace *src, const char *path, cperm_err *err) {
    obuf b = {NULL, 0, 0, 0};
    unsigned char *gz = NULL;
    size_t gz_size = 0;
    int rc;

    if (!path) return cperm_fail(err, CPERM_EINVAL, "src: no output file name");
    if (!src || src->n_hemis == 0 || !src->hemis)
        return cperm_fail(err, CPERM_EINVAL, "src: %s: no source spaces to write", path);
    for (size_t h = 0; h < src->n_hemis; h++)
        if ((rc = check_hemi(&src->hemis[h], h, path, err)) < 0) return rc;
    rc = encode_src(&b, src);
    if (rc == CPERM_EUNSUPPORTED) {
        rc = cperm_fail(err, rc, "src: %s: the source space does not fit in a FIF file (2 GiB)", path);
        goto cleanup;
    }
    if (rc < 0) {
        rc = cperm_fail(err, CPERM_ENOMEM, "src: %s: out of memory encoding the source space", path);
        goto cleanup;
    }
    if (ends_with_gz(path)) {
        if (gzip_buffer(&gz, &gz_size, b.p, b.len) < 0) {
            rc = cperm_fail(err, CPERM_ENOMEM, "src: %s: out of memory compressing", path);
            goto cleanup;
        }
        rc = cperm_write_file_atomic(path, gz, gz_size, err);
    } else {
        rc = cperm_write_file_atomic(path, b.p, b.len, err);
    }
cleanup:
    free(b.p);
    free(gz);
    return rc;
}
