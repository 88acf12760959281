/* surf.c - FreeSurfer binary surfaces (triangle and quad ?h.white/?h.inflated/...) and
 * curvature (?h.curv) files, read as nibabel.freesurfer does (read_geometry, read_morph_data). */
#include "common_internal.h"
#include "fileio_internal.h"

#include <stdlib.h>
#include <string.h>

#define SURF_TRIANGLE_MAGIC 0xFFFFFEu
#define SURF_QUAD_MAGIC 0xFFFFFFu
#define SURF_NEW_QUAD_MAGIC 0xFFFFFDu
#define CURV_NEW_MAGIC 0xFFFFFFu
/* Whole-file cap: FreeSurfer surfaces of the densest meshes are a few hundred MB. */
#define SURF_MAX_FILE ((size_t)1 << 31)

static uint32_t be24(const unsigned char *p) {
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static const char *nm(const char *name) { return name ? name : "<memory>"; }

void cperm_surf_free(cperm_surf *surf) {
    if (!surf) return;
    free(surf->rr);
    free(surf->tris);
    free(surf);
}

/* Allocates the result once the counts are known to fit the file. */
static int surf_alloc(cperm_surf **out, size_t nv, size_t nt, const char *name, cperm_err *err) {
    cperm_surf *s = calloc(1, sizeof *s);
    if (!s) return cperm_fail(err, CPERM_ENOMEM, "surf: %s: out of memory", nm(name));
    s->n_vertices = nv;
    s->n_tris = nt;
    s->rr = cperm_malloc(nv ? nv * 3 : 1, sizeof *s->rr);
    s->tris = cperm_malloc(nt ? nt * 3 : 1, sizeof *s->tris);
    if (!s->rr || !s->tris) {
        cperm_surf_free(s);
        return cperm_fail(err, CPERM_ENOMEM, "surf: %s: out of memory for %zu vertices and %zu "
                          "triangles", nm(name), nv, nt);
    }
    *out = s;
    return CPERM_OK;
}

/* Triangle file: magic, a "created by" line and one more line (nibabel reads two lines),
 * int32 vertex and face counts, float32 coordinates, int32 faces, optional trailing tags. */
static int read_triangle(cperm_surf **out, const unsigned char *p, size_t size,
                         const char *name, cperm_err *err) {
    size_t off = 3;
    for (int line = 0; line < 2; line++) {
        const unsigned char *nl = off < size ? memchr(p + off, '\n', size - off) : NULL;
        if (!nl)
            return cperm_fail(err, CPERM_EFORMAT, "surf: %s: truncated in the header comment "
                              "(%zu bytes)", nm(name), size);
        off = (size_t)(nl - p) + 1;
    }
    if (size - off < 8)
        return cperm_fail(err, CPERM_EFORMAT, "surf: %s: truncated before the vertex and face "
                          "counts (%zu bytes)", nm(name), size);
    const int32_t nv = (int32_t)cperm_be32(p + off), nt = (int32_t)cperm_be32(p + off + 4);
    off += 8;
    if (nv < 0 || nt < 0)
        return cperm_fail(err, CPERM_EFORMAT, "surf: %s: negative count (%d vertices, %d faces)",
                          nm(name), (int)nv, (int)nt);
    const size_t avail = size - off;
    /* 12 bytes a vertex and 12 a face; both counts are < 2^31 so the sums cannot overflow. */
    if ((uint64_t)nv * 12u + (uint64_t)nt * 12u > avail)
        return cperm_fail(err, CPERM_EFORMAT, "surf: %s: %zu bytes, header says %d vertices and "
                          "%d faces (%llu bytes of data after the header)", nm(name), size,
                          (int)nv, (int)nt,
                          (unsigned long long)((uint64_t)nv * 12u + (uint64_t)nt * 12u));
    cperm_surf *s = NULL;
    int rc = surf_alloc(&s, (size_t)nv, (size_t)nt, name, err);
    if (rc) return rc;
    for (size_t i = 0; i < (size_t)nv * 3; i++) s->rr[i] = cperm_be_f32(p + off + 4 * i);
    off += (size_t)nv * 12;
    for (size_t i = 0; i < (size_t)nt * 3; i++) {
        int32_t v = (int32_t)cperm_be32(p + off + 4 * i);
        if (v < 0 || v >= nv) {
            cperm_surf_free(s);
            return cperm_fail(err, CPERM_EFORMAT, "surf: %s: face %zu refers to vertex %d of %d",
                              nm(name), i / 3, (int)v, (int)nv);
        }
        s->tris[i] = v;
    }
    *out = s;
    return CPERM_OK;
}

/* Quad file (old int16 coordinates in 1/100 mm, or the "new" float32 variant): 3-byte
 * counts and vertex numbers; each quad becomes two triangles with nibabel's parity rule. */
static int read_quad(cperm_surf **out, const unsigned char *p, size_t size, int new_quad,
                     const char *name, cperm_err *err) {
    if (size < 9)
        return cperm_fail(err, CPERM_EFORMAT, "surf: %s: truncated quad header (%zu bytes)",
                          nm(name), size);
    const size_t nv = be24(p + 3), nq = be24(p + 6), off = 9;
    const size_t cbytes = new_quad ? 4 : 2;
    const uint64_t need = (uint64_t)nv * 3u * cbytes + (uint64_t)nq * 12u;
    if (need > size - off)
        return cperm_fail(err, CPERM_EFORMAT, "surf: %s: %zu bytes, header says %zu vertices and "
                          "%zu quads", nm(name), size, nv, nq);
    cperm_surf *s = NULL;
    int rc = surf_alloc(&s, nv, 2 * nq, name, err);
    if (rc) return rc;
    const unsigned char *c = p + off;
    for (size_t i = 0; i < nv * 3; i++) {
        if (new_quad) {
            s->rr[i] = cperm_be_f32(c + 4 * i);
        } else {
            int16_t v = (int16_t)(((unsigned)c[2 * i] << 8) | c[2 * i + 1]);
            s->rr[i] = (float)((double)v / 100.0);
        }
    }
    const unsigned char *q = c + nv * 3 * cbytes;
    for (size_t k = 0; k < nq; k++) {
        int32_t v[4];
        for (int j = 0; j < 4; j++) {
            uint32_t x = be24(q + 12 * k + 3 * (size_t)j);
            if (x >= nv) {
                cperm_surf_free(s);
                return cperm_fail(err, CPERM_EFORMAT, "surf: %s: quad %zu refers to vertex %u "
                                  "of %zu", nm(name), k, x, nv);
            }
            v[j] = (int32_t)x;
        }
        int32_t *t = s->tris + 6 * k;
        if (v[0] % 2 == 0) {
            t[0] = v[0], t[1] = v[1], t[2] = v[3];
            t[3] = v[2], t[4] = v[3], t[5] = v[1];
        } else {
            t[0] = v[0], t[1] = v[1], t[2] = v[2];
            t[3] = v[0], t[4] = v[2], t[5] = v[3];
        }
    }
    *out = s;
    return CPERM_OK;
}

int cperm_surf_read_mem(cperm_surf **out, const void *data, size_t size, const char *name,
                        cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "surf: no output pointer");
    *out = NULL;
    if (!data && size) return cperm_fail(err, CPERM_EINVAL, "surf: %s: no data", nm(name));
    const unsigned char *p = data;
    if (size < 3)
        return cperm_fail(err, CPERM_EFORMAT, "surf: %s: %zu bytes, too short for a FreeSurfer "
                          "surface", nm(name), size);
    const uint32_t magic = be24(p);
    if (magic == SURF_TRIANGLE_MAGIC) return read_triangle(out, p, size, name, err);
    if (magic == SURF_QUAD_MAGIC || magic == SURF_NEW_QUAD_MAGIC)
        return read_quad(out, p, size, magic == SURF_NEW_QUAD_MAGIC, name, err);
    return cperm_fail(err, CPERM_EFORMAT, "surf: %s: not a FreeSurfer surface (magic 0x%06X)",
                      nm(name), (unsigned)magic);
}

int cperm_surf_read(cperm_surf **out, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "surf: no output pointer");
    *out = NULL;
    int rc = cperm_read_file(&buf, &size, path, SURF_MAX_FILE, "surf", err);
    if (rc) return rc;
    rc = cperm_surf_read_mem(out, buf, size, path, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ curvature */

int cperm_curv_read_mem(float **out, size_t *n_values, const void *data, size_t size,
                        const char *name, cperm_err *err) {
    if (!out || !n_values) return cperm_fail(err, CPERM_EINVAL, "curv: no output pointer");
    *out = NULL;
    *n_values = 0;
    if (!data && size) return cperm_fail(err, CPERM_EINVAL, "curv: %s: no data", nm(name));
    const unsigned char *p = data;
    if (size < 3)
        return cperm_fail(err, CPERM_EFORMAT, "curv: %s: %zu bytes, too short for a FreeSurfer "
                          "curvature file", nm(name), size);
    const uint32_t magic = be24(p);
    float *v = NULL;
    size_t n;
    if (magic == CURV_NEW_MAGIC) {
        if (size < 15)
            return cperm_fail(err, CPERM_EFORMAT, "curv: %s: truncated header (%zu bytes)",
                              nm(name), size);
        const int32_t nv = (int32_t)cperm_be32(p + 3), per = (int32_t)cperm_be32(p + 11);
        if (nv < 0)
            return cperm_fail(err, CPERM_EFORMAT, "curv: %s: negative vertex count %d", nm(name),
                              (int)nv);
        if (per != 1)
            return cperm_fail(err, CPERM_EUNSUPPORTED, "curv: %s: %d values per vertex (only 1 "
                              "is supported)", nm(name), (int)per);
        n = (size_t)nv;
        if ((uint64_t)n * 4u > size - 15)
            return cperm_fail(err, CPERM_EFORMAT, "curv: %s: %zu bytes, header says %zu values",
                              nm(name), size, n);
        v = cperm_malloc(n ? n : 1, sizeof *v);
        if (!v) return cperm_fail(err, CPERM_ENOMEM, "curv: %s: out of memory", nm(name));
        for (size_t i = 0; i < n; i++) v[i] = cperm_be_f32(p + 15 + 4 * i);
    } else {
        /* Old format: 3-byte vertex count, 3-byte face count, int16 values in 1/100. */
        n = magic;
        if (size < 6 || (uint64_t)n * 2u > size - 6)
            return cperm_fail(err, CPERM_EFORMAT, "curv: %s: %zu bytes, too short for the %zu "
                              "values of an old-format curvature file", nm(name), size, n);
        v = cperm_malloc(n ? n : 1, sizeof *v);
        if (!v) return cperm_fail(err, CPERM_ENOMEM, "curv: %s: out of memory", nm(name));
        for (size_t i = 0; i < n; i++) {
            int16_t x = (int16_t)(((unsigned)p[6 + 2 * i] << 8) | p[6 + 2 * i + 1]);
            v[i] = (float)((double)x / 100.0);
        }
    }
    *out = v;
    *n_values = n;
    return CPERM_OK;
}

int cperm_curv_read(float **out, size_t *n_values, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!out || !n_values) return cperm_fail(err, CPERM_EINVAL, "curv: no output pointer");
    *out = NULL;
    *n_values = 0;
    int rc = cperm_read_file(&buf, &size, path, SURF_MAX_FILE, "curv", err);
    if (rc) return rc;
    rc = cperm_curv_read_mem(out, n_values, buf, size, path, err);
    free(buf);
    return rc;
}
