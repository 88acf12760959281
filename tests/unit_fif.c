/* unit_fif.c - source space FIF reader/writer: round trips, every truncation, corrupt and
 * absurd fields, gzip. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An octahedron (6 vertices, 8 triangles) as lh, and the same shifted as rh with a
 * sub-selection: the smallest surfaces that exercise every field. */
static const float oct_rr[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
static const int32_t oct_tris[8][3] = {{0, 2, 4}, {2, 1, 4}, {1, 3, 4}, {3, 0, 4},
                                       {2, 0, 5}, {1, 2, 5}, {3, 1, 5}, {0, 3, 5}};

static void make_src(cperm_srcspace *src, cperm_src_hemi h[2], float rr[2][18], float nn[2][18],
                     int32_t inuse[2][6], int32_t vertno[2][6], int32_t use_tris[2][6]) {
    memset(h, 0, 2 * sizeof *h);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 18; i++) {
            rr[k][i] = 0.07f * oct_rr[i / 3][i % 3] + (i % 3 == 0 ? (k ? 0.04f : -0.04f) : 0.0f);
            nn[k][i] = oct_rr[i / 3][i % 3];
        }
        h[k].type = CPERM_SRC_SURFACE;
        h[k].id = 101 + k;
        h[k].coord_frame = 5;
        h[k].np = 6;
        h[k].rr = rr[k];
        h[k].nn = nn[k];
        h[k].ntri = 8;
        h[k].tris = (int32_t *)oct_tris;
        h[k].inuse = inuse[k];
        h[k].vertno = vertno[k];
        h[k].use_tris = use_tris[k];
    }
    /* lh: everything used; rh: vertices 0, 2, 4, 5 and two triangles. */
    for (int i = 0; i < 6; i++) {
        inuse[0][i] = 1;
        vertno[0][i] = i;
        inuse[1][i] = i != 1 && i != 3;
    }
    h[0].nuse = 6;
    h[0].nuse_tri = 8;
    h[0].use_tris = (int32_t *)oct_tris;
    vertno[1][0] = 0;
    vertno[1][1] = 2;
    vertno[1][2] = 4;
    vertno[1][3] = 5;
    h[1].nuse = 4;
    h[1].nuse_tri = 2;
    {
        const int32_t ut[6] = {0, 2, 4, 2, 0, 5};
        memcpy(use_tris[1], ut, sizeof ut);
    }
    strcpy(h[0].subject, "fsaverage");
    strcpy(h[1].subject, "fsaverage");
    src->n_hemis = 2;
    src->hemis = h;
}

static int hemi_equal(const cperm_src_hemi *a, const cperm_src_hemi *b, char *why, size_t n) {
#define DIFF(...) do { snprintf(why, n, __VA_ARGS__); return 0; } while (0)
    if (a->type != b->type || a->id != b->id || a->coord_frame != b->coord_frame)
        DIFF("type/id/frame %d/%d/%d vs %d/%d/%d", a->type, a->id, a->coord_frame, b->type, b->id, b->coord_frame);
    if (a->np != b->np || a->ntri != b->ntri || a->nuse != b->nuse || a->nuse_tri != b->nuse_tri)
        DIFF("counts differ");
    if (memcmp(a->rr, b->rr, 12 * a->np) || memcmp(a->nn, b->nn, 12 * a->np)) DIFF("rr/nn differ");
    if (memcmp(a->tris, b->tris, 12 * a->ntri)) DIFF("tris differ");
    if (memcmp(a->vertno, b->vertno, 4 * a->nuse)) DIFF("vertno differs");
    for (size_t i = 0; i < a->np; i++)
        if (!a->inuse[i] != !b->inuse[i]) DIFF("inuse[%zu] differs", i);
    if (!a->use_tris != !b->use_tris || (a->use_tris && memcmp(a->use_tris, b->use_tris, 12 * a->nuse_tri)))
        DIFF("use_tris differ");
    if (strcmp(a->subject, b->subject)) DIFF("subject '%.40s' vs '%.40s'", a->subject, b->subject);
    return 1;
#undef DIFF
}

static unsigned char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(buf, 1, n, f);
    fclose(f);
}

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Offset of the n-th (0-based) tag of `kind` in a sequential file, or SIZE_MAX. */
static size_t find_tag(const unsigned char *buf, size_t size, int32_t kind, int nth) {
    size_t p = 0;
    while (p + 16 <= size) {
        if ((int32_t)be32(buf + p) == kind && nth-- == 0) return p;
        p += 16 + be32(buf + p + 8);
    }
    return SIZE_MAX;
}

/* Reads buf with one 32-bit field replaced; returns the error code. */
static int read_patched(const unsigned char *buf, size_t size, size_t off, uint32_t value, cperm_err *err) {
    unsigned char *copy = malloc(size);
    cperm_srcspace *s = NULL;
    int rc;
    memcpy(copy, buf, size);
    put32(copy + off, value);
    memset(err, 0, sizeof *err);
    rc = cperm_src_read_mem(&s, copy, size, "patched-src.fif", err);
    cperm_src_free(s);
    free(copy);
    return rc;
}

int main(void) {
    char dir[] = "/tmp/cperm_unit_fif_XXXXXX";
    char path[256], gzpath[256], cut[256];
    cperm_src_hemi h[2];
    cperm_srcspace src;
    float rr[2][18], nn[2][18];
    int32_t inuse[2][6], vertno[2][6], use_tris[2][6];
    cperm_srcspace *back = NULL;
    cperm_err err = {0};
    unsigned char *buf;
    size_t size = 0;
    int rc;

    if (!mkdtemp(dir)) {
        printf("FAIL unit_fif_tmpdir: mkdtemp failed\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/oct-src.fif", dir);
    snprintf(gzpath, sizeof gzpath, "%s/oct-src.fif.gz", dir);
    snprintf(cut, sizeof cut, "%s/cut-src.fif", dir);
    make_src(&src, h, rr, nn, inuse, vertno, use_tris);

    /* Round trip, plain and gzip. */
    rc = cperm_src_write(&src, path, &err);
    CHECK("write_plain", rc == 0, "rc %d: %s", rc, err.msg);
    rc = cperm_src_read(&back, path, &err);
    CHECK("read_plain", rc == 0 && back && back->n_hemis == 2, "rc %d: %s", rc, err.msg);
    if (back && back->n_hemis == 2) {
        char why[128] = "";
        int ok0 = hemi_equal(&h[0], &back->hemis[0], why, sizeof why);
        CHECK("roundtrip_lh", ok0, "%s", why);
        int ok1 = hemi_equal(&h[1], &back->hemis[1], why, sizeof why);
        CHECK("roundtrip_rh", ok1, "%s", why);
        CHECK("roundtrip_rh_vertno", back->hemis[1].nuse == 4 && back->hemis[1].vertno[1] == 2 &&
                                         back->hemis[1].vertno[3] == 5, "vertno wrong");
    }
    cperm_src_free(back);
    back = NULL;
    rc = cperm_src_write(&src, gzpath, &err);
    CHECK("write_gz", rc == 0, "rc %d: %s", rc, err.msg);
    {
        size_t gsize = 0;
        unsigned char *g = slurp(gzpath, &gsize);
        CHECK("write_gz_is_gzip", g && gsize > 2 && g[0] == 0x1f && g[1] == 0x8b, "no gzip magic");
        rc = cperm_src_read(&back, gzpath, &err);
        CHECK("read_gz", rc == 0 && back && back->n_hemis == 2, "rc %d: %s", rc, err.msg);
        if (back && back->n_hemis == 2) {
            char why[128] = "";
            int ok1 = hemi_equal(&h[1], &back->hemis[1], why, sizeof why);
            CHECK("roundtrip_gz_rh", ok1, "%s", why);
        }
        cperm_src_free(back);
        back = NULL;
        /* A truncated gzip stream is a format error, never a crash. */
        if (g) {
            int all = 1;
            for (size_t n = 0; n < gsize; n += 1 + gsize / 40) {
                spit(cut, g, n);
                rc = cperm_src_read(&back, cut, &err);
                cperm_src_free(back);
                back = NULL;
                if (rc != CPERM_EFORMAT) {
                    all = 0;
                    printf("# gz cut at %zu: rc %d %s\n", n, rc, err.msg);
                }
            }
            CHECK("gz_truncations_eformat", all, "see above");
        }
        free(g);
    }

    /* Truncation at every byte: EFORMAT, except cutting only the final NOP tag (MNE reads
     * such a file too), which must give the same content. */
    buf = slurp(path, &size);
    CHECK("slurp", buf != NULL && size > 100, "cannot read back %s", path);
    if (buf) {
        int all = 1, nop_ok = 0;
        CHECK("ends_with_nop", be32(buf + size - 16) == 108 && be32(buf + size - 4) == 0xffffffffu, "last tag");
        for (size_t n = 0; n < size; n++) {
            rc = cperm_src_read_mem(&back, buf, n, "cut-src.fif", &err);
            if (n == size - 16) nop_ok = rc == 0 && back && back->n_hemis == 2;
            else if (rc != CPERM_EFORMAT || back != NULL || strstr(err.msg, "cut-src.fif") == NULL) {
                if (all) printf("# cut at %zu: rc %d %s\n", n, rc, err.msg);
                all = 0;
            }
            cperm_src_free(back);
            back = NULL;
        }
        CHECK("truncations_eformat", all, "see above");
        CHECK("truncation_of_final_nop_ok", nop_ok, "rc %d", rc);

        /* Corrupt and absurd fields. */
        size_t p_np = find_tag(buf, size, 3512, 0);
        size_t p_rr = find_tag(buf, size, 3510, 0);
        size_t p_tri = find_tag(buf, size, 3591, 0);
        size_t p_type = find_tag(buf, size, 3518, 1);
        size_t p_sel = find_tag(buf, size, 3513, 0);
        size_t p_ut = find_tag(buf, size, 3593, 1);
        CHECK("found_tags", p_np != SIZE_MAX && p_rr != SIZE_MAX && p_tri != SIZE_MAX && p_type != SIZE_MAX &&
                                p_sel != SIZE_MAX && p_ut != SIZE_MAX, "tag missing");
        if (p_np != SIZE_MAX && p_rr != SIZE_MAX && p_tri != SIZE_MAX && p_type != SIZE_MAX && p_sel != SIZE_MAX &&
            p_ut != SIZE_MAX) {
            size_t rr_size = be32(buf + p_rr + 8);
            size_t tri_size = be32(buf + p_tri + 8);
            size_t ut_size = be32(buf + p_ut + 8);
            rc = read_patched(buf, size, p_np + 16, 0x7fffffffu, &err);
            CHECK("absurd_npoints", rc == CPERM_EFORMAT && strstr(err.msg, "2147483647"), "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_np + 16, 0xfffffff0u, &err);
            CHECK("negative_npoints", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            /* rows in the trailing dims of rr */
            rc = read_patched(buf, size, p_rr + 16 + rr_size - 8, 0x40000000u, &err);
            CHECK("absurd_matrix_rows", rc == CPERM_EFORMAT && strstr(err.msg, "matrix"), "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 16 + rr_size - 12, 0x7fffffffu, &err);
            CHECK("absurd_matrix_cols", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 16 + rr_size - 4, 3, &err);
            CHECK("matrix_ndim_3_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 16 + rr_size - 4, 0x7fffffffu, &err);
            CHECK("absurd_matrix_ndim", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 4, 4, &err);
            CHECK("rr_not_matrix_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 8, 0x7ffffff0u, &err);
            CHECK("absurd_tag_size", rc == CPERM_EFORMAT && strstr(err.msg, "remain"), "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 8, 0x80000000u, &err);
            CHECK("negative_tag_size", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            /* next pointers: backward (a loop), to itself, past the end */
            rc = read_patched(buf, size, p_rr + 12, 16, &err);
            CHECK("next_backward_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 12, (uint32_t)p_rr, &err);
            CHECK("next_self_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_rr + 12, (uint32_t)size + 16, &err);
            CHECK("next_past_end_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            /* a forward next that skips exactly to the following tag is valid */
            rc = read_patched(buf, size, p_rr + 12, (uint32_t)(p_rr + 16 + rr_size), &err);
            CHECK("next_forward_ok", rc == 0, "rc %d %s", rc, err.msg);
            /* triangle index 0 (1-based file) and beyond np */
            rc = read_patched(buf, size, p_tri + 16, 0, &err);
            CHECK("triangle_index_zero_refused", rc == CPERM_EFORMAT && strstr(err.msg, "vertex 0"), "rc %d %s", rc,
                  err.msg);
            rc = read_patched(buf, size, p_tri + 16 + 4, 7, &err);
            CHECK("triangle_index_past_np_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_tri + 16 + tri_size - 8, 9, &err);
            CHECK("triangle_rows_vs_ntri_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_ut + 16 + ut_size - 12 - 4, 0x7fffffffu, &err);
            CHECK("use_tris_absurd_index", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_sel + 8, 20, &err);
            CHECK("selection_size_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            /* volume and unknown types */
            /* a surface file relabelled volume lacks the grid shape every volume has */
            rc = read_patched(buf, size, p_type + 16, 2, &err);
            CHECK("volume_without_shape_refused", rc == CPERM_EFORMAT &&
                                            strstr(err.msg, "without its grid shape") &&
                                            strstr(err.msg, "source space 1") &&
                                            strstr(err.msg, "patched-src.fif"), "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, p_type + 16, 9, &err);
            CHECK("unknown_type_refused", rc == CPERM_EFORMAT, "rc %d %s", rc, err.msg);
            rc = read_patched(buf, size, 0, 3512, &err);
            CHECK("no_file_id_refused", rc == CPERM_EFORMAT && strstr(err.msg, "not a FIF"), "rc %d %s", rc, err.msg);
            /* the second source space block renamed: only one hemisphere remains */
            {
                size_t p_blk = find_tag(buf, size, 104, 2);
                cperm_srcspace *s = NULL;
                unsigned char *copy = malloc(size);
                memcpy(copy, buf, size);
                put32(copy + p_blk + 16, 999);
                rc = cperm_src_read_mem(&s, copy, size, "x", &err);
                CHECK("foreign_block_ignored", rc == 0 && s && s->n_hemis == 1, "rc %d %s", rc, err.msg);
                cperm_src_free(s);
                free(copy);
            }
        }

        /* Random byte corruption: any result but a crash (run under sanitizers). */
        {
            uint32_t state = 2024u;
            unsigned char *copy = malloc(size);
            int crashed = 0;
            for (int round = 0; round < 3000; round++) {
                cperm_srcspace *s = NULL;
                memcpy(copy, buf, size);
                for (int k = 0; k < 1 + round % 4; k++) {
                    state = state * 1664525u + 1013904223u;
                    copy[(state >> 8) % size] ^= (unsigned char)(1u << ((state >> 4) % 8));
                }
                rc = cperm_src_read_mem(&s, copy, size, "fuzz", &err);
                if (rc == 0 && (!s || s->n_hemis == 0)) crashed = 1;
                if (rc != 0 && (s || err.msg[0] == '\0')) crashed = 1;
                cperm_src_free(s);
            }
            CHECK("bitflips_clean", !crashed, "inconsistent result");
            free(copy);
        }
        free(buf);
    }

    /* Writer argument checks and the vertno-only path of a synthetic surface. */
    {
        cperm_src_hemi saved = h[1];
        h[1].inuse = NULL; /* vertno only */
        rc = cperm_src_write(&src, path, &err);
        CHECK("write_vertno_only", rc == 0, "rc %d: %s", rc, err.msg);
        rc = cperm_src_read(&back, path, &err);
        if (rc == 0) {
            int same = back->hemis[1].nuse == 4 && back->hemis[1].inuse[0] == 1 && back->hemis[1].inuse[1] == 0 &&
                       back->hemis[1].inuse[5] == 1;
            CHECK("write_vertno_only_inuse", same, "inuse wrong");
        } else {
            CHECK("write_vertno_only_inuse", 0, "rc %d: %s", rc, err.msg);
        }
        cperm_src_free(back);
        back = NULL;
        h[1] = saved;
        h[1].id = -1;
        h[1].subject[0] = '\0';
        h[1].use_tris = NULL;
        rc = cperm_src_write(&src, path, &err);
        rc = rc == 0 ? cperm_src_read(&back, path, &err) : rc;
        CHECK("write_optional_fields_absent",
              rc == 0 && back->hemis[1].id == -1 && back->hemis[1].subject[0] == '\0' && !back->hemis[1].use_tris &&
                  back->hemis[1].nuse_tri == 0, "rc %d: %s", rc, err.msg);
        cperm_src_free(back);
        back = NULL;
        h[1] = saved;
        h[1].type = CPERM_SRC_VOLUME;
        rc = cperm_src_write(&src, path, &err);
        CHECK("write_volume_refused", rc == CPERM_EUNSUPPORTED, "rc %d", rc);
        h[1] = saved;
        h[1].tris = (int32_t[]){0, 1, 6, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2};
        rc = cperm_src_write(&src, path, &err);
        CHECK("write_bad_tris_refused", rc == CPERM_EINVAL && strstr(err.msg, "vertex 6"), "rc %d %s", rc, err.msg);
        h[1] = saved;
        rc = cperm_src_write(NULL, path, &err);
        CHECK("write_null_refused", rc == CPERM_EINVAL, "rc %d", rc);
    }

    rc = cperm_src_read(&back, "/nonexistent/dir/x-src.fif", &err);
    CHECK("missing_file_notfound", rc == CPERM_ENOTFOUND && back == NULL, "rc %d", rc);
    rc = cperm_src_read_mem(&back, "", 0, "empty", &err);
    CHECK("empty_eformat", rc == CPERM_EFORMAT, "rc %d", rc);
    cperm_src_free(NULL);

    unlink(path);
    unlink(gzpath);
    unlink(cut);
    rmdir(dir);
    TU_EXIT();
}
