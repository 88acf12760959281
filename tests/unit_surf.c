/* unit_surf.c - FreeSurfer surface and curvature readers on hand-built files (triangle,
 * both quad variants, new and old curvature), every truncation and corruption, and the real
 * fsaverage_ds sphere.reg files. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    unsigned char d[4096];
    size_t n;
} buf;

static void put8(buf *b, unsigned v) { b->d[b->n++] = (unsigned char)v; }
static void put24(buf *b, uint32_t v) {
    put8(b, v >> 16 & 255), put8(b, v >> 8 & 255), put8(b, v & 255);
}
static void put32(buf *b, uint32_t v) {
    put8(b, v >> 24), put8(b, v >> 16 & 255), put8(b, v >> 8 & 255), put8(b, v & 255);
}
static void putf(buf *b, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put32(b, u);
}
static void put16(buf *b, int v) { put8(b, ((unsigned)v >> 8) & 255), put8(b, (unsigned)v & 255); }

/* A tetrahedron with distinctive coordinates, as FreeSurfer writes it. */
static const float tet_rr[4][3] = {{1.5f, -2.25f, 3.125f}, {-40.0f, 0.5f, 7.75f},
                                   {0.0f, 100.0f, -0.0625f}, {12.5f, -8.0f, 1e-3f}};
static const int32_t tet_tris[4][3] = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {2, 3, 0}};

static void make_triangle(buf *b, int32_t nv, int32_t nt) {
    b->n = 0;
    put24(b, 0xFFFFFE);
    const char *stamp = "created by unit_surf on today\n\n";
    memcpy(b->d + b->n, stamp, strlen(stamp));
    b->n += strlen(stamp);
    put32(b, (uint32_t)nv), put32(b, (uint32_t)nt);
    for (int v = 0; v < 4; v++)
        for (int k = 0; k < 3; k++) putf(b, tet_rr[v][k]);
    for (int t = 0; t < 4; t++)
        for (int k = 0; k < 3; k++) put32(b, (uint32_t)tet_tris[t][k]);
}

static void test_triangle(void) {
    buf b;
    make_triangle(&b, 4, 4);
    cperm_surf *s = NULL;
    cperm_err err = {0};
    int rc = cperm_surf_read_mem(&s, b.d, b.n, "tet", &err);
    CHECK("surf_triangle_reads", rc == 0 && s, "rc %d: %s", rc, err.msg);
    if (!s) return;
    CHECK("surf_triangle_counts", s->n_vertices == 4 && s->n_tris == 4, "%zu %zu", s->n_vertices,
          s->n_tris);
    int same = 1;
    for (int v = 0; v < 4; v++)
        for (int k = 0; k < 3; k++) same &= s->rr[3 * v + k] == tet_rr[v][k];
    CHECK("surf_triangle_coords", same, "coordinates differ");
    same = 1;
    for (int t = 0; t < 4; t++)
        for (int k = 0; k < 3; k++) same &= s->tris[3 * t + k] == tet_tris[t][k];
    CHECK("surf_triangle_faces", same, "faces differ");
    cperm_surf_free(s);

    /* trailing volume-info tags (as mne.write_surface/nibabel append) are ignored */
    const char *tail = "valid = 1  # volume info valid\nfilename = vol.nii\n";
    memcpy(b.d + b.n, tail, strlen(tail));
    rc = cperm_surf_read_mem(&s, b.d, b.n + strlen(tail), "tet+tags", &err);
    CHECK("surf_triangle_trailing_tags", rc == 0 && s && s->n_vertices == 4, "rc %d", rc);
    cperm_surf_free(s);
    s = NULL;

    /* every truncation is a clean EFORMAT */
    int all = 1;
    size_t bad_at = 0;
    for (size_t n = 0; n < b.n; n++) {
        unsigned char *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(copy, b.d, n);
        rc = cperm_surf_read_mem(&s, copy, n, "trunc", &err);
        free(copy);
        if (rc != CPERM_EFORMAT || s) all = 0, bad_at = n;
        cperm_surf_free(s);
        s = NULL;
    }
    CHECK("surf_triangle_every_truncation", all, "truncation at %zu bytes not refused", bad_at);

    /* a face vertex out of range */
    make_triangle(&b, 4, 4);
    size_t face_off = b.n - 4; /* last index */
    b.d[face_off + 3] = 4;
    rc = cperm_surf_read_mem(&s, b.d, b.n, "badface", &err);
    CHECK("surf_face_out_of_range", rc == CPERM_EFORMAT && !s && strstr(err.msg, "badface") &&
                                        strstr(err.msg, "vertex 4"),
          "rc %d: %s", rc, err.msg);
    b.d[face_off] = 0xFF; /* negative */
    rc = cperm_surf_read_mem(&s, b.d, b.n, "negface", &err);
    CHECK("surf_face_negative", rc == CPERM_EFORMAT && !s, "rc %d", rc);

    /* counts that the file cannot hold: refused before allocating */
    make_triangle(&b, 0x7FFFFFFF, 4);
    rc = cperm_surf_read_mem(&s, b.d, b.n, "huge", &err);
    CHECK("surf_huge_vertex_count", rc == CPERM_EFORMAT && strstr(err.msg, "2147483647"),
          "rc %d: %s", rc, err.msg);
    make_triangle(&b, 4, 0x7FFFFFFF);
    rc = cperm_surf_read_mem(&s, b.d, b.n, "huge", &err);
    CHECK("surf_huge_face_count", rc == CPERM_EFORMAT, "rc %d", rc);
    make_triangle(&b, -1, 4);
    rc = cperm_surf_read_mem(&s, b.d, b.n, "neg", &err);
    CHECK("surf_negative_count", rc == CPERM_EFORMAT && strstr(err.msg, "negative"), "rc %d: %s",
          rc, err.msg);

    /* not a surface */
    rc = cperm_surf_read_mem(&s, "hello world", 11, "text", &err);
    CHECK("surf_bad_magic", rc == CPERM_EFORMAT && strstr(err.msg, "magic"), "rc %d: %s", rc,
          err.msg);
    rc = cperm_surf_read_mem(NULL, b.d, b.n, "x", &err);
    CHECK("surf_null_out", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_surf_read(&s, "/nonexistent/lh.white", &err);
    CHECK("surf_missing_file", rc == CPERM_ENOTFOUND && strstr(err.msg, "/nonexistent/lh.white"),
          "rc %d: %s", rc, err.msg);
    cperm_surf_free(NULL);
}

static void test_quad(void) {
    /* two quads over 6 vertices; parity rule: even first vertex -> (0,1,3),(2,3,1),
     * odd -> (0,1,2),(0,2,3). Old format: int16 coordinates in 1/100 mm. */
    buf b = {.n = 0};
    put24(&b, 0xFFFFFF);
    put24(&b, 6), put24(&b, 2);
    for (int i = 0; i < 18; i++) put16(&b, i * 25 - 200);
    const uint32_t q[2][4] = {{0, 1, 4, 3}, {1, 2, 5, 4}};
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 4; j++) put24(&b, q[k][j]);
    cperm_surf *s = NULL;
    cperm_err err = {0};
    int rc = cperm_surf_read_mem(&s, b.d, b.n, "quad", &err);
    CHECK("surf_quad_reads", rc == 0 && s && s->n_vertices == 6 && s->n_tris == 4, "rc %d: %s",
          rc, err.msg);
    if (s) {
        CHECK_CLOSE("surf_quad_coord_scale", s->rr[5], (5 * 25 - 200) / 100.0, 1e-6);
        const int32_t want[4][3] = {{0, 1, 3}, {4, 3, 1}, {1, 2, 5}, {1, 5, 4}};
        int same = 1;
        for (int t = 0; t < 4; t++)
            for (int k = 0; k < 3; k++) same &= s->tris[3 * t + k] == want[t][k];
        CHECK("surf_quad_split_parity", same, "got (%d %d %d) (%d %d %d) (%d %d %d) (%d %d %d)",
              s->tris[0], s->tris[1], s->tris[2], s->tris[3], s->tris[4], s->tris[5], s->tris[6],
              s->tris[7], s->tris[8], s->tris[9], s->tris[10], s->tris[11]);
        cperm_surf_free(s);
        s = NULL;
    }
    int all = 1;
    for (size_t n = 0; n < b.n; n++) {
        rc = cperm_surf_read_mem(&s, b.d, n, "trunc", &err);
        if (rc != CPERM_EFORMAT || s) all = 0;
        cperm_surf_free(s);
        s = NULL;
    }
    CHECK("surf_quad_every_truncation", all, "a truncated quad file was accepted");

    /* new quad: float coordinates */
    buf c = {.n = 0};
    put24(&c, 0xFFFFFD);
    put24(&c, 4), put24(&c, 1);
    for (int i = 0; i < 12; i++) putf(&c, (float)i * 0.5f);
    for (int j = 0; j < 4; j++) put24(&c, (uint32_t)j);
    rc = cperm_surf_read_mem(&s, c.d, c.n, "newquad", &err);
    CHECK("surf_new_quad", rc == 0 && s && s->n_tris == 2 && s->rr[11] == 5.5f, "rc %d: %s", rc,
          err.msg);
    cperm_surf_free(s);
    s = NULL;
    c.d[c.n - 1] = 9; /* vertex 9 of 4 */
    rc = cperm_surf_read_mem(&s, c.d, c.n, "newquad", &err);
    CHECK("surf_quad_vertex_out_of_range", rc == CPERM_EFORMAT && !s, "rc %d", rc);
}

static void test_curv(void) {
    buf b = {.n = 0};
    put24(&b, 0xFFFFFF);
    put32(&b, 5), put32(&b, 6), put32(&b, 1);
    const float v[5] = {-0.5f, 0.25f, 1e-7f, -3.0f, 0.0f};
    for (int i = 0; i < 5; i++) putf(&b, v[i]);
    float *out = NULL;
    size_t n = 0;
    cperm_err err = {0};
    int rc = cperm_curv_read_mem(&out, &n, b.d, b.n, "curv", &err);
    CHECK("curv_new_reads", rc == 0 && n == 5 && out && !memcmp(out, v, sizeof v), "rc %d: %s",
          rc, err.msg);
    free(out);
    out = NULL;
    int all = 1;
    for (size_t k = 0; k < b.n; k++) {
        rc = cperm_curv_read_mem(&out, &n, b.d, k, "trunc", &err);
        if (rc != CPERM_EFORMAT || out) all = 0;
        free(out);
        out = NULL;
    }
    CHECK("curv_new_every_truncation", all, "a truncated curvature file was accepted");
    b.d[14] = 3; /* 3 values per vertex */
    rc = cperm_curv_read_mem(&out, &n, b.d, b.n, "multi", &err);
    CHECK("curv_values_per_vertex", rc == CPERM_EUNSUPPORTED && !out, "rc %d", rc);
    b.d[14] = 1;
    b.d[3] = 0x80; /* negative count */
    rc = cperm_curv_read_mem(&out, &n, b.d, b.n, "neg", &err);
    CHECK("curv_negative_count", rc == CPERM_EFORMAT && !out, "rc %d", rc);
    b.d[3] = 0x7F; /* huge count */
    rc = cperm_curv_read_mem(&out, &n, b.d, b.n, "huge", &err);
    CHECK("curv_huge_count", rc == CPERM_EFORMAT && !out, "rc %d", rc);

    /* old format: 3-byte vertex and face counts, int16 / 100 */
    buf o = {.n = 0};
    put24(&o, 3), put24(&o, 1);
    put16(&o, -150), put16(&o, 7), put16(&o, 32767);
    rc = cperm_curv_read_mem(&out, &n, o.d, o.n, "old", &err);
    CHECK("curv_old_reads", rc == 0 && n == 3 && out && out[0] == -1.5f && out[1] == 0.07f &&
                                out[2] == 327.67f,
          "rc %d: %s", rc, err.msg);
    free(out);
    out = NULL;
    rc = cperm_curv_read_mem(&out, &n, o.d, o.n - 1, "old", &err);
    CHECK("curv_old_truncated", rc == CPERM_EFORMAT && !out, "rc %d", rc);
}

/* The real files committed in tests/data/real (tests/data/README.md), found beside this
 * source file: __FILE__ is the path the compiler was given, relative to the directory make
 * runs in (the repository root, where the tests run too) or absolute. */
static void real_data_path(char *path, size_t cap, const char *file) {
    const char *src = __FILE__, *slash = strrchr(src, '/');
    int dir_len = slash ? (int)(slash - src + 1) : 0;
    snprintf(path, cap, "%.*sdata/real/%s", dir_len, src, file);
}

static void test_real(void) {
    const char *hemis[2] = {"lh", "rh"};
    for (int h = 0; h < 2; h++) {
        char path[1024], name[64], file[32];
        snprintf(file, sizeof file, "%s.sphere.reg", hemis[h]);
        real_data_path(path, sizeof path, file);
        cperm_surf *s = NULL;
        cperm_err err = {0};
        int rc = cperm_surf_read(&s, path, &err);
        snprintf(name, sizeof name, "surf_real_%s_sphere_reg", hemis[h]);
        CHECK(name, rc == 0 && s && s->n_vertices == 10242 && s->n_tris == 20480, "rc %d: %s",
              rc, err.msg);
        if (!s) continue;
        /* FreeSurfer's registered spheres have radius 100 mm; Euler: V - E + F = 2 */
        double rmin = 1e9, rmax = 0;
        for (size_t v = 0; v < s->n_vertices; v++) {
            double r = sqrt((double)s->rr[3 * v] * s->rr[3 * v] +
                            (double)s->rr[3 * v + 1] * s->rr[3 * v + 1] +
                            (double)s->rr[3 * v + 2] * s->rr[3 * v + 2]);
            rmin = r < rmin ? r : rmin;
            rmax = r > rmax ? r : rmax;
        }
        snprintf(name, sizeof name, "surf_real_%s_radius_100mm", hemis[h]);
        CHECK(name, rmin > 99.0 && rmax < 101.0, "radius %g..%g", rmin, rmax);
        /* truncations at many offsets of the real file */
        FILE *f = fopen(path, "rb");
        unsigned char *data = malloc(400000);
        size_t size = f ? fread(data, 1, 400000, f) : 0;
        if (f) fclose(f);
        int all = 1;
        size_t bad = 0;
        for (size_t n = 0; n < size; n += n < 200 ? 1 : 997) {
            cperm_surf *t = NULL;
            rc = cperm_surf_read_mem(&t, data, n, "trunc", &err);
            if (rc != CPERM_EFORMAT || t) all = 0, bad = n;
            cperm_surf_free(t);
        }
        snprintf(name, sizeof name, "surf_real_%s_truncations", hemis[h]);
        CHECK(name, size > 300000 && all, "size %zu, truncation at %zu accepted", size, bad);
        free(data);
        cperm_surf_free(s);
    }
}

int main(void) {
    test_triangle();
    test_quad();
    test_curv();
    test_real();
    TU_EXIT();
}
