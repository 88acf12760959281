/* unit_stc.c - hand-computed checks of the .stc reader/writer, magnitude, crop and the
 * atomic write layer (including fault injection). */
#include "clusterperm.h"
#include "fileio_internal.h"
#include "stc_internal.h"
#include "testutil.h"

#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void putf(unsigned char *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put32(p, u);
}

/* The 2-vertex, 3-time file: tmin -12.5 ms, tstep 2.5 ms, vertices (v0, v1), data
 * time-major: t0 (1.5, -2.25), t1 (3, 0.125), t2 (-0.5, 1e-3f). 16 + 8 + 24 = 48 bytes. */
static const float file_data[3][2] = {{1.5f, -2.25f}, {3.0f, 0.125f}, {-0.5f, 1e-3f}};

static size_t build_stc(unsigned char *buf, uint32_t v0, uint32_t v1) {
    size_t t, v;
    putf(buf, -12.5f);
    putf(buf + 4, 2.5f);
    put32(buf + 8, 2);
    put32(buf + 12, v0);
    put32(buf + 16, v1);
    put32(buf + 20, 3);
    for (t = 0; t < 3; t++)
        for (v = 0; v < 2; v++) putf(buf + 24 + 4 * (t * 2 + v), file_data[t][v]);
    return 48;
}

static int file_equals(const char *path, const unsigned char *want, size_t n) {
    unsigned char *got = NULL;
    size_t size = 0;
    int eq;
    if (cperm_read_file(&got, &size, path, 1 << 20, "test", NULL) != 0) return 0;
    eq = size == n && memcmp(got, want, n) == 0;
    free(got);
    return eq;
}

static int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    if (!d) return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void test_read_hand_file(void) {
    unsigned char buf[64];
    size_t n = build_stc(buf, 3, 7), t;
    cperm_err err = {0, ""};
    cperm_stc *stc = NULL;
    int rc = cperm_stc_read_mem(&stc, buf, n, "hand.stc", &err);
    int data_ok = 1;

    CHECK("read_hand_rc", rc == 0 && stc, "rc %d: %s", rc, err.msg);
    if (!stc) return;
    CHECK("read_hand_layout", stc->n_hemis == 1 && stc->n_vertices[0] == 2 &&
          stc->n_orient == 1 && stc->n_times == 3, "layout %zu/%zu/%zu/%zu", stc->n_hemis,
          stc->n_vertices[0], stc->n_orient, stc->n_times);
    CHECK("read_hand_vertices", stc->vertices[0][0] == 3 && stc->vertices[0][1] == 7, "%u %u",
          stc->vertices[0][0], stc->vertices[0][1]);
    /* float(f32)/1000.0 in double: -12.5/1000 and 2.5/1000 rounded once. */
    CHECK("read_hand_tmin", stc->tmin == -12.5 / 1000.0, "%.17g", stc->tmin);
    CHECK("read_hand_tstep", stc->tstep == 2.5 / 1000.0, "%.17g", stc->tstep);
    for (t = 0; t < 3; t++)
        if (stc->data[t] != (double)file_data[t][0] || stc->data[3 + t] != (double)file_data[t][1])
            data_ok = 0;
    CHECK("read_hand_data_transposed", data_ok, "data %g %g %g / %g %g %g", stc->data[0],
          stc->data[1], stc->data[2], stc->data[3], stc->data[4], stc->data[5]);
    CHECK("read_hand_subject_empty", stc->subject[0] == '\0', "%s", stc->subject);
    cperm_stc_free(stc);

    /* Unsorted vertices: rows follow their vertex (argsort). */
    n = build_stc(buf, 9, 4);
    rc = cperm_stc_read_mem(&stc, buf, n, "unsorted.stc", &err);
    CHECK("read_unsorted_sorted", rc == 0 && stc->vertices[0][0] == 4 &&
          stc->vertices[0][1] == 9 && stc->data[0] == -2.25 && stc->data[3] == 1.5,
          "rc %d", rc);
    cperm_stc_free(stc);

    n = build_stc(buf, 5, 5);
    rc = cperm_stc_read_mem(&stc, buf, n, "dup.stc", &err);
    CHECK("read_duplicate_vertex_eformat", rc == CPERM_EFORMAT && !stc && strstr(err.msg, "dup.stc"),
          "rc %d: %s", rc, err.msg);

    n = build_stc(buf, 3, 0x80000000u);
    rc = cperm_stc_read_mem(&stc, buf, n, "big.stc", &err);
    CHECK("read_vertex_2pow31_eformat", rc == CPERM_EFORMAT && !stc, "rc %d", rc);

    /* NaN and Inf are allowed at read time (the engine rejects them later). */
    n = build_stc(buf, 3, 7);
    putf(buf + 24, NAN);
    putf(buf + 28, -INFINITY);
    rc = cperm_stc_read_mem(&stc, buf, n, "nan.stc", &err);
    CHECK("read_nan_inf_allowed", rc == 0 && isnan(stc->data[0]) && isinf(stc->data[3]) &&
          stc->data[3] < 0, "rc %d", rc);
    cperm_stc_free(stc);
}

/* Volume files (-vl.stc): the same bytes read as a VolSourceEstimate: vertices never sorted,
 * so unordered ones are refused; writing one back gives the same bytes; inconsistent headers
 * and truncations are refused naming the file. */
static void test_volume(const char *dir) {
    unsigned char buf[64];
    char path[1024];
    size_t n = build_stc(buf, 3, 7);
    cperm_err err = {0, ""};
    cperm_stc *stc = NULL;
    int rc = cperm_stc_read_vol_mem(&stc, buf, n, "hand-vl.stc", &err);

    CHECK("vol_read_rc", rc == 0 && stc, "rc %d: %s", rc, err.msg);
    if (!stc) return;
    CHECK("vol_read_kind", stc->kind == CPERM_STC_VOLUME && stc->n_hemis == 1 &&
          stc->n_vertices[0] == 2 && stc->vertices[0][0] == 3 && stc->vertices[0][1] == 7 &&
          stc->data[1] == 3.0 && stc->data[5] == (double)1e-3f, "kind %d, %zu blocks", stc->kind,
          stc->n_hemis);
    snprintf(path, sizeof path, "%s/back", dir);
    rc = cperm_stc_write_vol(stc, path, &err);
    snprintf(path, sizeof path, "%s/back-vl.stc", dir);
    CHECK("vol_write_same_bytes", rc == 0 && file_equals(path, buf, n), "rc %d: %s", rc, err.msg);
    snprintf(path, sizeof path, "%s/named-vol.stc", dir);
    rc = cperm_stc_write_vol(stc, path, &err); /* a -vol.stc name is kept as given */
    CHECK("vol_write_vol_name_kept", rc == 0 && file_equals(path, buf, n), "rc %d: %s", rc, err.msg);
    stc->kind = CPERM_STC_SURFACE;
    rc = cperm_stc_write_vol(stc, path, &err);
    CHECK("vol_write_surface_kind_refused", rc == CPERM_EINVAL && strstr(err.msg, "surface"), "rc %d: %s", rc,
          err.msg);
    stc->kind = CPERM_STC_VOLUME;
    rc = cperm_stc_write(stc, path, &err);
    CHECK("surface_write_volume_refused", rc == CPERM_EINVAL, "rc %d: %s", rc, err.msg);
    cperm_stc_free(stc);
    stc = NULL;

    /* Unordered: MNE's VolSourceEstimate refuses them; the surface reader sorts them. */
    n = build_stc(buf, 9, 4);
    rc = cperm_stc_read_vol_mem(&stc, buf, n, "unsorted-vl.stc", &err);
    CHECK("vol_unsorted_refused", rc == CPERM_EFORMAT && !stc &&
          strstr(err.msg, "unsorted-vl.stc: Vertices must be ordered in increasing order"), "rc %d: %s", rc,
          err.msg);
    /* Inconsistent counts: 3 vertices announced for 2, and a cut file. */
    n = build_stc(buf, 3, 7);
    put32(buf + 8, 3);
    rc = cperm_stc_read_vol_mem(&stc, buf, n, "counts-vl.stc", &err);
    CHECK("vol_counts_refused", rc == CPERM_EFORMAT && !stc && strstr(err.msg, "counts-vl.stc"), "rc %d: %s",
          rc, err.msg);
    n = build_stc(buf, 3, 7);
    rc = cperm_stc_read_vol_mem(&stc, buf, n - 5, "cut-vl.stc", &err);
    CHECK("vol_truncated_refused", rc == CPERM_EFORMAT && !stc && strstr(err.msg, "cut-vl.stc: truncated"),
          "rc %d: %s", rc, err.msg);

    /* The surface reader (cperm_stc_read) still refuses volume files; cperm_stc_read_any
     * reads them. */
    n = build_stc(buf, 3, 7);
    snprintf(path, sizeof path, "%s/est-vl.stc", dir);
    rc = cperm_write_file_atomic(path, buf, n, &err);
    rc = rc ? rc : cperm_stc_read(&stc, path, &err);
    CHECK("read_surface_refuses_volume", rc == CPERM_EUNSUPPORTED && !stc, "rc %d: %s", rc, err.msg);
    rc = cperm_stc_read_any(&stc, path, NULL, &err);
    CHECK("read_any_volume", rc == 0 && stc && stc->kind == CPERM_STC_VOLUME, "rc %d: %s", rc, err.msg);
    cperm_stc_free(stc);
    /* Two blocks cannot go to one .stc file. */
    {
        size_t nv[2] = {1, 1};
        rc = cperm_stc_create(&stc, 2, nv, 1, &err);
        if (rc == 0) {
            stc->kind = CPERM_STC_VOLUME;
            rc = cperm_stc_write_vol(stc, path, &err);
        }
        CHECK("vol_write_two_blocks_refused", rc == CPERM_EINVAL && strstr(err.msg, "single volume"), "rc %d: %s",
              rc, err.msg);
        cperm_stc_free(stc);
    }
}

static void test_truncation_and_counts(void) {
    unsigned char buf[128];
    size_t n = build_stc(buf, 3, 7), cut;
    cperm_err err = {0, ""};
    cperm_stc *stc = NULL;
    int bad = 0, rc;

    for (cut = 0; cut < n; cut++) {
        /* A fresh heap copy so that sanitizers see any read past the cut. */
        unsigned char *copy = malloc(cut ? cut : 1);
        memcpy(copy, buf, cut);
        stc = NULL;
        rc = cperm_stc_read_mem(&stc, copy, cut, "trunc.stc", &err);
        if (rc != CPERM_EFORMAT || stc) bad++;
        cperm_stc_free(stc);
        free(copy);
    }
    CHECK("truncated_every_offset_eformat", bad == 0, "%d offsets not refused", bad);
    rc = cperm_stc_read_mem(&stc, buf, 30, "sub003-lh.stc", &err);
    CHECK("truncated_message", rc == CPERM_EFORMAT && strstr(err.msg, "sub003-lh.stc") &&
          strstr(err.msg, "30 bytes") && strstr(err.msg, "2 vertices x 3 times"), "%s", err.msg);

    /* Trailing bytes: MNE accepts whole extra frames only. */
    memset(buf + n, 0, 48);
    rc = cperm_stc_read_mem(&stc, buf, n + 4, "extra.stc", &err);
    CHECK("trailing_partial_frame_eformat", rc == CPERM_EFORMAT && !stc, "rc %d", rc);
    rc = cperm_stc_read_mem(&stc, buf, n + 24, "frame.stc", &err);
    CHECK("trailing_whole_frame_ok", rc == 0 && stc && stc->n_times == 3 &&
          stc->data[0] == 1.5, "rc %d", rc);
    cperm_stc_free(stc);
    stc = NULL;

    /* Absurd counts are refused from the size alone (no allocation). */
    put32(buf + 8, 0xFFFFFFFFu);
    rc = cperm_stc_read_mem(&stc, buf, n, "nv.stc", &err);
    CHECK("absurd_nv_eformat", rc == CPERM_EFORMAT && !stc, "rc %d", rc);
    build_stc(buf, 3, 7);
    put32(buf + 20, 0xFFFFFFFFu);
    rc = cperm_stc_read_mem(&stc, buf, n, "nt.stc", &err);
    CHECK("absurd_nt_eformat", rc == CPERM_EFORMAT && !stc && strstr(err.msg, "4294967295"),
          "rc %d: %s", rc, err.msg);
    put32(buf + 20, 0);
    rc = cperm_stc_read_mem(&stc, buf, n, "nt0.stc", &err);
    CHECK("zero_times_with_vertices_eformat", rc == CPERM_EFORMAT && !stc, "rc %d", rc);

    /* An empty hemisphere (nv = 0) is valid: 16 bytes. */
    putf(buf, 0.0f);
    putf(buf + 4, 1.0f);
    put32(buf + 8, 0);
    put32(buf + 12, 5);
    rc = cperm_stc_read_mem(&stc, buf, 16, "empty.stc", &err);
    CHECK("empty_hemisphere_ok", rc == 0 && stc && stc->n_vertices[0] == 0 &&
          stc->n_times == 5, "rc %d", rc);
    cperm_stc_free(stc);
}

static cperm_stc *make_pair(void) {
    size_t nv[2] = {2, 3}, i;
    cperm_stc *stc = NULL;
    if (cperm_stc_create(&stc, 2, nv, 4, NULL) != 0) return NULL;
    stc->vertices[0][0] = 10;
    stc->vertices[0][1] = 20;
    stc->vertices[1][0] = 1;
    stc->vertices[1][1] = 2;
    stc->vertices[1][2] = 300;
    stc->tmin = -0.0125;
    stc->tstep = 0.0025;
    for (i = 0; i < 20; i++) stc->data[i] = (double)i * 0.1 - 0.7; /* not float-exact */
    return stc;
}

static void test_write_roundtrip(const char *dir) {
    char stem[512], lh[600];
    cperm_err err = {0, ""};
    cperm_stc *stc = make_pair(), *back = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0, i;
    int rc, ok = 1;

    snprintf(stem, sizeof stem, "%s/pair", dir);
    snprintf(lh, sizeof lh, "%s-lh.stc", stem);
    rc = cperm_stc_write(stc, stem, &err);
    CHECK("write_pair_rc", rc == 0, "rc %d: %s", rc, err.msg);
    rc = cperm_read_file(&bytes, &size, lh, 1 << 20, "test", &err);
    /* lh: 16 + 2*4 + 2*4*4 = 56 bytes; tmin f32(-12.5) = 0xC1480000, tstep f32(2.5) =
     * 0x40200000, nv 2, vertices 10 20, nt 4, first value f32(-0.7) = 0xBF333333. */
    CHECK("write_lh_header_bytes", rc == 0 && size == 56 &&
          !memcmp(bytes, "\xC1\x48\x00\x00\x40\x20\x00\x00\x00\x00\x00\x02\x00\x00\x00\x0A"
                         "\x00\x00\x00\x14\x00\x00\x00\x04\xBF\x33\x33\x33", 28),
          "size %zu", size);
    free(bytes);
    rc = cperm_stc_read(&back, stem, &err);
    CHECK("write_read_back_rc", rc == 0 && back && back->n_hemis == 2, "rc %d: %s", rc,
          err.msg);
    if (back) {
        for (i = 0; i < 20; i++)
            if (back->data[i] != (double)(float)stc->data[i]) ok = 0;
        CHECK("write_read_back_data_float32", ok, "data differs");
        CHECK("write_read_back_meta", back->tmin == (double)(float)(1000.0 * stc->tmin) / 1000.0 &&
              back->tstep == 2.5 / 1000.0 && back->vertices[1][2] == 300 &&
              back->n_vertices[0] == 2 && back->n_vertices[1] == 3 && back->n_times == 4,
              "tmin %.17g", back->tmin);
        cperm_stc_free(back);
        back = NULL;
    }
    rc = cperm_stc_read(&back, lh, &err);
    CHECK("read_by_lh_name", rc == 0 && back && back->n_vertices[1] == 3, "rc %d", rc);
    cperm_stc_free(back);
    back = NULL;

    /* Naming errors. */
    rc = cperm_stc_read(&back, dir, &err); /* exists, no known extension */
    CHECK("read_dir_unknown_extension", rc == CPERM_EINVAL && !back, "rc %d", rc);
    snprintf(lh, sizeof lh, "%s/none", dir);
    rc = cperm_stc_read(&back, lh, &err);
    CHECK("read_not_found", rc == CPERM_ENOTFOUND && strstr(err.msg, "not found"), "rc %d: %s",
          rc, err.msg);

    stc->n_orient = 3;
    rc = cperm_stc_write(stc, stem, &err);
    CHECK("write_vector_refused", rc == CPERM_EINVAL, "rc %d", rc);
    stc->n_orient = 1;
    cperm_stc_free(stc);
}

static void test_fault_injection(const char *dir) {
    char path[512], stem[512];
    const unsigned char old_bytes[] = "previous contents\n";
    unsigned char new_bytes[5000];
    cperm_err err = {0, ""};
    long steps, n;
    int rc, bad = 0, entries;
    cperm_stc *stc;

    memset(new_bytes, 'x', sizeof new_bytes);
    snprintf(path, sizeof path, "%s/atomic.bin", dir);
    rc = cperm_write_file_atomic(path, old_bytes, sizeof old_bytes, &err);
    CHECK("atomic_write_rc", rc == 0 && file_equals(path, old_bytes, sizeof old_bytes),
          "rc %d: %s", rc, err.msg);
    entries = count_dir_entries(dir);
    cperm_fileio_fail_after(0);
    rc = cperm_write_file_atomic(path, old_bytes, sizeof old_bytes, &err);
    steps = cperm_fileio_steps();
    CHECK("atomic_write_counts_steps", rc == 0 && steps >= 4, "%ld steps", steps);
    for (n = 1; n <= steps; n++) {
        cperm_fileio_fail_after(n);
        rc = cperm_write_file_atomic(path, new_bytes, sizeof new_bytes, &err);
        if (rc != CPERM_EIO || !file_equals(path, old_bytes, sizeof old_bytes) ||
            count_dir_entries(dir) != entries) {
            printf("# injected failure at step %ld: rc %d, file or directory changed\n", n, rc);
            bad++;
        }
    }
    cperm_fileio_fail_after(0);
    CHECK("atomic_write_every_fault_leaves_old_file", bad == 0, "%d steps misbehaved", bad);
    rc = cperm_write_file_atomic(path, new_bytes, sizeof new_bytes, &err);
    CHECK("atomic_write_after_faults", rc == 0 && file_equals(path, new_bytes, sizeof new_bytes),
          "rc %d", rc);
    snprintf(path, sizeof path, "%s/no/such/dir/x.bin", dir);
    rc = cperm_write_file_atomic(path, old_bytes, 4, &err);
    CHECK("atomic_write_missing_dir_eio", rc == CPERM_EIO && strstr(err.msg, "x.bin"), "rc %d",
          rc);

    /* stc pair: failing the rh write reports the error, says lh was written, rh untouched. */
    stc = make_pair();
    snprintf(stem, sizeof stem, "%s/faulty", dir);
    stc->data[19] = 42.0;
    cperm_fileio_fail_after(0);
    cperm_stc_write(stc, stem, &err);
    steps = cperm_fileio_steps(); /* both files */
    cperm_fileio_fail_after(steps); /* the rename of rh */
    rc = cperm_stc_write(stc, stem, &err);
    cperm_fileio_fail_after(0);
    CHECK("stc_write_rh_fault_reported", rc == CPERM_EIO && strstr(err.msg, "-lh.stc was "
          "already written"), "rc %d: %s", rc, err.msg);
    stc->data[19] = 1.0;
    cperm_fileio_fail_after(steps); /* data differs again: rh must keep 42 from before */
    cperm_stc_write(stc, stem, &err);
    cperm_fileio_fail_after(0);
    {
        cperm_stc *back = NULL;
        cperm_stc_read(&back, stem, &err);
        CHECK("stc_write_rh_fault_keeps_previous_rh",
              back && back->data[19] == 42.0 && back->data[0] == (double)(float)stc->data[0],
              "rh value %g", back ? back->data[19] : -1.0);
        cperm_stc_free(back);
    }
    cperm_stc_free(stc);
}

static void test_read_file_cap(const char *dir) {
    char path[512];
    unsigned char *buf = NULL;
    size_t size = 0;
    cperm_err err = {0, ""};
    int rc;
    snprintf(path, sizeof path, "%s/cap.bin", dir);
    cperm_write_file_atomic(path, "0123456789", 10, NULL);
    rc = cperm_read_file(&buf, &size, path, 9, "test", &err);
    CHECK("read_file_cap_refused", rc == CPERM_EUNSUPPORTED && !buf, "rc %d", rc);
    rc = cperm_read_file(&buf, &size, path, 10, "test", &err);
    CHECK("read_file_at_cap_ok", rc == 0 && size == 10 && !memcmp(buf, "0123456789", 10),
          "rc %d", rc);
    free(buf);
    snprintf(path, sizeof path, "%s/missing.bin", dir);
    rc = cperm_read_file(&buf, &size, path, 10, "test", &err);
    CHECK("read_file_missing_enotfound", rc == CPERM_ENOTFOUND, "rc %d", rc);
}

static void test_magnitude(void) {
    size_t nv[2] = {2, 1};
    cperm_stc *stc = NULL;
    cperm_err err = {0, ""};
    /* (vertex, orientation, time), 2 times: magnitudes 13, 3 | 0, 5 | 7, 9. */
    const double v[] = {3, 1, 4, 2, 12, 2, /**/ 0, -3, 0, 0, 0, 4, /**/ 2, 1, 3, 4, 6, 8};
    const double want[] = {13, 3, 0, 5, 7, 9};
    int rc, ok = 1, i;

    rc = cperm_stc_alloc(&stc, 2, nv, 3, 2, &err);
    if (rc) {
        CHECK("magnitude_alloc", 0, "rc %d", rc);
        return;
    }
    memcpy(stc->data, v, sizeof v);
    rc = cperm_stc_magnitude(stc, &err);
    for (i = 0; i < 6; i++)
        if (stc->data[i] != want[i]) ok = 0;
    CHECK("magnitude_hand_values", rc == 0 && ok && stc->n_orient == 1, "got %g %g %g %g %g %g",
          stc->data[0], stc->data[1], stc->data[2], stc->data[3], stc->data[4], stc->data[5]);
    rc = cperm_stc_magnitude(stc, &err);
    CHECK("magnitude_scalar_refused", rc == CPERM_EINVAL, "rc %d", rc);
    cperm_stc_free(stc);
}

static void test_crop(void) {
    size_t nv[1] = {2};
    cperm_stc *stc = NULL;
    cperm_err err = {0, ""};
    int rc;
    size_t i;

#define FRESH()                                                                  \
    do {                                                                         \
        cperm_stc_free(stc);                                                     \
        stc = NULL;                                                              \
        cperm_stc_create(&stc, 1, nv, 5, NULL);                                  \
        stc->tmin = 0.0;                                                         \
        stc->tstep = 0.5; /* times 0 0.5 1 1.5 2 */                               \
        for (i = 0; i < 10; i++) stc->data[i] = (double)i;                       \
    } while (0)

    FRESH();
    rc = cperm_stc_crop(stc, 0.6, 1.4, &err); /* rounds to samples 0.5 .. 1.5 */
    CHECK("crop_rounds_to_samples", rc == 0 && stc->n_times == 3 && stc->tmin == 0.5 &&
          stc->data[0] == 1 && stc->data[2] == 3 && stc->data[3] == 6 && stc->data[5] == 8,
          "rc %d n %zu tmin %g", rc, stc->n_times, stc->tmin);
    FRESH();
    rc = cperm_stc_crop(stc, 1.25, NAN, &err); /* 2.5 samples: half to even -> 2 */
    CHECK("crop_half_to_even", rc == 0 && stc->n_times == 3 && stc->tmin == 1.0 &&
          stc->data[0] == 2 && stc->data[3] == 7, "rc %d n %zu tmin %g", rc, stc->n_times,
          stc->tmin);
    FRESH();
    rc = cperm_stc_crop(stc, NAN, NAN, &err);
    CHECK("crop_no_limits_keeps_all", rc == 0 && stc->n_times == 5 && stc->tmin == 0.0 &&
          stc->data[9] == 9, "rc %d", rc);
    FRESH();
    rc = cperm_stc_crop(stc, 2.2, 2.2, &err);
    CHECK("crop_single_sample", rc == 0 && stc->n_times == 1 && stc->tmin == 2.0 &&
          stc->data[0] == 4 && stc->data[1] == 9, "rc %d", rc);
    FRESH();
    rc = cperm_stc_crop(stc, 3.0, NAN, &err);
    CHECK("crop_tmin_after_tmax_einval", rc == CPERM_EINVAL && stc->n_times == 5, "rc %d", rc);
    FRESH();
    rc = cperm_stc_crop(stc, -5.0, -3.0, &err);
    CHECK("crop_empty_einval", rc == CPERM_EINVAL && stc->n_times == 5 &&
          strstr(err.msg, "No samples"), "rc %d: %s", rc, err.msg);
    cperm_stc_free(stc);
#undef FRESH
}

static int h5_handler_calls;
static herr_t counting_handler(hid_t stack, void *data) {
    (void)stack;
    (void)data;
    h5_handler_calls++;
    return 0;
}

/* A corrupt -stc.h5 file: EFORMAT, HDF5's error printing suppressed during the call, and the
 * caller's handler restored afterwards. */
static void test_h5_error_handler(const char *dir) {
    char path[512];
    unsigned char junk[600];
    cperm_err err = {0, ""};
    cperm_stc *stc = NULL;
    H5E_auto2_t func = NULL;
    void *data = NULL;
    int rc, marker = 7;

    memset(junk, 0xAB, sizeof junk);
    memcpy(junk, "\x89HDF\r\n\x1a\n", 8); /* the signature, then garbage */
    snprintf(path, sizeof path, "%s/junk-stc.h5", dir);
    cperm_write_file_atomic(path, junk, sizeof junk, NULL);
    H5Eset_auto2(H5E_DEFAULT, counting_handler, &marker);
    h5_handler_calls = 0;
    rc = cperm_stc_read(&stc, path, &err);
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    CHECK("h5_corrupt_eformat", rc == CPERM_EFORMAT && !stc && strstr(err.msg, "junk-stc.h5"),
          "rc %d: %s", rc, err.msg);
    CHECK("h5_errors_not_printed", h5_handler_calls == 0, "%d handler calls", h5_handler_calls);
    CHECK("h5_error_handler_restored", func == counting_handler && data == &marker,
          "handler changed");
    H5Eset_auto2(H5E_DEFAULT, (H5E_auto2_t)H5Eprint2, stderr);
}

int main(void) {
    char dir[] = "/tmp/unit_stc_XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp: cannot create a temporary directory\n");
        return 1;
    }
    test_read_hand_file();
    test_truncation_and_counts();
    test_volume(dir);
    test_write_roundtrip(dir);
    test_fault_injection(dir);
    test_read_file_cap(dir);
    test_magnitude();
    test_crop();
    test_h5_error_handler(dir);
    remove_dir(dir);
    TU_EXIT();
}
