/* unit_stc_frames.c - cperm_stc_read_frames against cperm_stc_read on the same files: every
 * window, flag and leading dimension bit for bit, the long way for files MNE would sort, and
 * each refusal (another layout, non-finite values, damaged files, bad arguments). */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static double uniform(void) { /* xorshift64*: reproducible values for the files */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717u) >> 11) / 9007199254740992.0;
}

/* A pair at stem with nl and nr ascending vertices (gaps of 1..3) and nt random times. */
static cperm_stc *make_pair(const char *stem, size_t nl, size_t nr, size_t nt) {
    const size_t nv[2] = {nl, nr};
    cperm_stc *stc = NULL;
    cperm_err err = {0};
    if (cperm_stc_create(&stc, 2, nv, nt, &err)) return NULL;
    stc->tmin = -0.1;
    stc->tstep = 0.004;
    for (size_t h = 0; h < 2; h++) {
        uint32_t v = (uint32_t)(uniform() * 5);
        for (size_t i = 0; i < nv[h]; i++, v += 1 + (uint32_t)(uniform() * 3))
            stc->vertices[h][i] = v;
    }
    for (size_t i = 0; i < (nl + nr) * nt; i++) stc->data[i] = 4 * uniform() - 2;
    if (cperm_stc_write(stc, stem, &err)) {
        cperm_stc_free(stc);
        return NULL;
    }
    return stc;
}

/* What the frames must hold: from the estimate as cperm_stc_read gives it. */
static void expected_frames(double *want, const cperm_stc *read, size_t first, size_t count,
                            size_t ld, unsigned flags) {
    const size_t rows = read->n_vertices[0] + read->n_vertices[1], nt = read->n_times;
    for (size_t t = 0; t < count; t++)
        for (size_t r = 0; r < rows; r++) {
            double x = read->data[r * nt + first + t];
            if (flags & CPERM_FRAMES_ABS) x = fabs(x);
            double *w = want + t * ld + r;
            *w = flags & CPERM_FRAMES_SUBTRACT ? *w - x : x;
        }
}

static void fill(double *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = 8 * uniform() - 4;
}

/* Two blocks of n doubles holding the same noise: what is not written must stay equal. */
static void same_noise(double **got, double **want, size_t n) {
    *got = malloc(n * sizeof **got);
    *want = malloc(n * sizeof **want);
    fill(*got, n);
    memcpy(*want, *got, n * sizeof **got);
}

static void paths(char *lh, char *rh, size_t cap, const char *stem) {
    snprintf(lh, cap, "%s-lh.stc", stem);
    snprintf(rh, cap, "%s-rh.stc", stem);
}

/* Every flag, two windows and a padded ld, against the estimate read the usual way. */
static void check_windows(const char *name, const char *stem, size_t nl, size_t nr, size_t nt) {
    char lh[512], rh[512], label[160];
    cperm_err err = {0};
    cperm_stc *made = make_pair(stem, nl, nr, nt), *read = NULL;
    const int read_rc = cperm_stc_read(&read, stem, &err);
    CHECK(name, made && read_rc == 0, "making the pair failed: %s", err.msg);
    if (!made || read_rc) return;
    paths(lh, rh, sizeof lh, stem);
    const size_t rows = nl + nr, windows[2][2] = {{0, nt}, {nt / 3, nt - nt / 3 - 1}};
    int bad = 0;
    for (size_t w = 0; w < 2; w++)
        for (unsigned flags = 0; flags < 4; flags++)
            for (size_t pad = 0; pad < 8; pad += 7) {
                const size_t first = windows[w][0], count = windows[w][1], ld = rows + pad;
                double *got, *want;
                same_noise(&got, &want, count * ld);
                expected_frames(want, read, first, count, ld, flags);
                const int rc = cperm_stc_read_frames(lh, rh, read, first, count, got, ld, flags,
                                                     &err);
                if (rc || memcmp(got, want, count * ld * sizeof *got)) {
                    snprintf(label, sizeof label, "%s window %zu flags %u pad %zu", name, w,
                             flags, pad);
                    TU_FAIL(label, "rc %d (%s), or values differ", rc, err.msg);
                    bad++;
                }
                free(got);
                free(want);
            }
    CHECK(name, bad == 0, "%d combinations differ", bad);
    cperm_stc_free(made);
    cperm_stc_free(read);
}

/* Reverses the vertex list of a .stc file and the columns of each of its frames: the same
 * estimate once MNE's read sorts it, but not a file that can be streamed. */
static void reverse_file(const char *path) {
    FILE *f = fopen(path, "r+b");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    unsigned char *b = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    if (fread(b, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(b);
        return;
    }
    const uint32_t nv = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
    const size_t nt = ((size_t)size - 16 - 4 * nv) / 4 / nv;
    unsigned char *copy = malloc((size_t)size);
    memcpy(copy, b, (size_t)size);
    for (size_t i = 0; i < nv; i++) memcpy(b + 12 + 4 * i, copy + 12 + 4 * (nv - 1 - i), 4);
    const size_t d = 16 + 4 * (size_t)nv;
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < nv; i++)
            memcpy(b + d + 4 * (t * nv + i), copy + d + 4 * (t * nv + nv - 1 - i), 4);
    fseek(f, 0, SEEK_SET);
    fwrite(b, 1, (size_t)size, f);
    fclose(f);
    free(b);
    free(copy);
}

/* Files the stream declines: read the long way, values as cperm_stc_read's. The reversed rh
 * comes after a streamed lh: subtracting must not apply lh twice. */
static void test_long_way(const char *dir) {
    char stem[512], lh[512], rh[512];
    cperm_err err = {0};
    snprintf(stem, sizeof stem, "%s/rev", dir);
    cperm_stc *made = make_pair(stem, 300, 200, 9), *read = NULL;
    paths(lh, rh, sizeof lh, stem);
    for (int which = 0; which < 2; which++) {
        if (which == 0) reverse_file(rh);
        else reverse_file(lh);
        cperm_stc_read(&read, stem, &err);
        const size_t ld = 500;
        double got[9 * 500], want[9 * 500];
        int bad = 0;
        for (unsigned flags = 0; flags < 4; flags++) {
            fill(got, 9 * ld);
            memcpy(want, got, sizeof got);
            expected_frames(want, read, 1, 7, ld, flags);
            const int rc = cperm_stc_read_frames(lh, rh, made, 1, 7, got, ld, flags, &err);
            bad += rc != 0 || memcmp(got, want, sizeof got) != 0;
        }
        CHECK(which == 0 ? "frames_sorted_rh_after_streamed_lh" : "frames_sorted_both_long_way",
              bad == 0 && read && read->vertices[1][0] == made->vertices[1][0], "%d flag sets "
              "differ (%s)", bad, err.msg);
        cperm_stc_free(read);
        read = NULL;
    }
    cperm_stc_free(made);
}

static void test_refusals(const char *dir) {
    char stem[512], lh[512], rh[512];
    cperm_err err = {0};
    snprintf(stem, sizeof stem, "%s/ref", dir);
    cperm_stc *like = make_pair(stem, 40, 30, 6);
    paths(lh, rh, sizeof lh, stem);
    double frames[6 * 70];
    int rc;

    like->vertices[1][3]++;
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 70, 0, &err);
    CHECK("frames_other_vertices_emismatch", rc == CPERM_EMISMATCH && strstr(err.msg, "ref-rh.stc") &&
          strstr(err.msg, "vertex #3"), "rc %d: %s", rc, err.msg);
    like->vertices[1][3]--;
    like->tmin += 1e-9;
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 70, 0, &err);
    CHECK("frames_other_tmin_emismatch", rc == CPERM_EMISMATCH && strstr(err.msg, "time points"),
          "rc %d: %s", rc, err.msg);
    like->tmin -= 1e-9;
    like->n_times = 7;
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 70, 0, &err);
    CHECK("frames_other_n_times_emismatch", rc == CPERM_EMISMATCH, "rc %d: %s", rc, err.msg);
    like->n_times = 6;

    rc = cperm_stc_read_frames(lh, rh, like, 2, 5, frames, 70, 0, &err);
    CHECK("frames_window_beyond_einval", rc == CPERM_EINVAL, "rc %d: %s", rc, err.msg);
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 69, 0, &err);
    CHECK("frames_short_ld_einval", rc == CPERM_EINVAL && strstr(err.msg, "69"), "rc %d: %s", rc,
          err.msg);
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 70, 4, &err);
    CHECK("frames_unknown_flag_einval", rc == CPERM_EINVAL, "rc %d: %s", rc, err.msg);

    /* a NaN at rh vertex index 5, time 4: refused inside the window, fine outside it */
    cperm_stc *nan_stc = NULL;
    cperm_stc_read(&nan_stc, stem, &err);
    nan_stc->data[(40 + 5) * 6 + 4] = NAN;
    cperm_stc_write(nan_stc, stem, &err);
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 70, 0, &err);
    char want[64];
    snprintf(want, sizeof want, "nan at vertex %u (row 5)", (unsigned)like->vertices[1][5]);
    CHECK("frames_nan_in_window_eformat", rc == CPERM_EFORMAT && strstr(err.msg, "ref-rh.stc") &&
          strstr(err.msg, want) && strstr(err.msg, "sample 4"), "rc %d: %s", rc, err.msg);
    rc = cperm_stc_read_frames(lh, rh, like, 0, 4, frames, 70, 0, &err);
    CHECK("frames_nan_outside_window_ok", rc == 0 && frames[3 * 70 + 45] == nan_stc->data[45 * 6 + 3],
          "rc %d: %s", rc, err.msg);
    cperm_stc_free(nan_stc);

    /* a truncated rh, a missing rh: the reader's own errors */
    FILE *f = fopen(rh, "r+b");
    if (f) {
        CHECK("frames_truncate_setup", ftruncate(fileno(f), 100) == 0, "ftruncate failed");
        fclose(f);
    }
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 70, 0, &err);
    CHECK("frames_truncated_eformat", rc == CPERM_EFORMAT && strstr(err.msg, "ref-rh.stc") &&
          strstr(err.msg, "truncated"), "rc %d: %s", rc, err.msg);
    unlink(rh);
    rc = cperm_stc_read_frames(lh, rh, like, 0, 6, frames, 70, 0, &err);
    CHECK("frames_missing_enotfound", rc == CPERM_ENOTFOUND && strstr(err.msg, "ref-rh.stc"),
          "rc %d: %s", rc, err.msg);
    unlink(lh);
    cperm_stc_free(like);
}

/* cperm_stc_read_frames_diff against A's read then B's with CPERM_FRAMES_SUBTRACT, bit for
 * bit: streamed side by side (two windows, both flags, a padded ld), B declining the stream
 * (a reversed rh: read the long way), B's NaN in the window (B's error), and a subtract flag
 * refused. */
static void test_diff(const char *dir, size_t nl, size_t nr, size_t nt) {
    char sa[512], sb[512], alh[512], arh[512], blh[512], brh[512], label[160];
    cperm_err err = {0};
    snprintf(sa, sizeof sa, "%s/diffa%zu", dir, nl);
    snprintf(sb, sizeof sb, "%s/diffb%zu", dir, nl);
    cperm_stc *a = make_pair(sa, nl, nr, nt);
    if (!a) {
        TU_FAIL("frames_diff_setup", "making A failed");
        return;
    }
    cperm_stc *b = NULL; /* B: A's layout, other values */
    cperm_stc_read(&b, sa, &err);
    for (size_t i = 0; b && i < (nl + nr) * nt; i++) b->data[i] = (float)(4 * uniform() - 2);
    if (!b || cperm_stc_write(b, sb, &err)) {
        TU_FAIL("frames_diff_setup", "making B failed: %s", err.msg);
        cperm_stc_free(a);
        cperm_stc_free(b);
        return;
    }
    paths(alh, arh, sizeof alh, sa);
    paths(blh, brh, sizeof blh, sb);
    const size_t rows = nl + nr, windows[2][2] = {{0, nt}, {nt / 3, nt - nt / 3 - 1}};
    for (int variant = 0; variant < 3; variant++) {
        if (variant == 1) reverse_file(brh); /* not streamable: the two passes */
        int bad = 0, nan_ok = 1;
        for (size_t w = 0; w < 2 && variant < 2; w++)
            for (unsigned flags = 0; flags <= CPERM_FRAMES_ABS; flags += CPERM_FRAMES_ABS)
                for (size_t pad = 0; pad < 8; pad += 7) {
                    const size_t first = windows[w][0], count = windows[w][1], ld = rows + pad;
                    double *got, *want;
                    same_noise(&got, &want, count * ld);
                    int rc = cperm_stc_read_frames(alh, arh, a, first, count, want, ld, flags,
                                                   &err);
                    rc |= cperm_stc_read_frames(blh, brh, a, first, count, want, ld,
                                                flags | CPERM_FRAMES_SUBTRACT, &err);
                    rc |= cperm_stc_read_frames_diff(alh, arh, blh, brh, a, first, count, got,
                                                     ld, flags, &err);
                    bad += rc != 0 || memcmp(got, want, count * ld * sizeof *got) != 0;
                    free(got);
                    free(want);
                }
        if (variant == 2) { /* a NaN in B's lh, vertex index 2, time 1 */
            b->data[2 * nt + 1] = NAN;
            cperm_stc_write(b, sb, &err);
            double *got = malloc(nt * rows * sizeof *got);
            const int rc = cperm_stc_read_frames_diff(alh, arh, blh, brh, a, 0, nt, got, rows,
                                                      0, &err);
            nan_ok = rc == CPERM_EFORMAT && strstr(err.msg, "diffb") && strstr(err.msg, "-lh.stc");
            if (!nan_ok) printf("# nan case: rc %d: %s\n", rc, err.msg);
            free(got);
        }
        snprintf(label, sizeof label, "frames_diff_%zu_%s", nl,
                 variant == 0 ? "streamed" : variant == 1 ? "b_long_way" : "b_nan_eformat");
        CHECK(label, bad == 0 && nan_ok, "%d combinations differ from the two passes", bad);
    }
    double one[1];
    const int rc = cperm_stc_read_frames_diff(alh, arh, blh, brh, a, 0, 1, one, rows,
                                              CPERM_FRAMES_SUBTRACT, &err);
    CHECK("frames_diff_subtract_flag_einval", rc == CPERM_EINVAL && strstr(err.msg, "ABS"),
          "rc %d: %s", rc, err.msg);
    cperm_stc_free(a);
    cperm_stc_free(b);
}

int main(void) {
    char dir[] = "/tmp/unit_stc_frames_XXXXXX", stem[512];
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp: cannot create a temporary directory\n");
        return 1;
    }
    /* small; frames split across the 64 KiB buffer; a vertex list longer than it */
    snprintf(stem, sizeof stem, "%s/small", dir);
    check_windows("frames_small_pair", stem, 7, 5, 4);
    snprintf(stem, sizeof stem, "%s/split", dir);
    check_windows("frames_split_across_buffer", stem, 1000, 700, 37);
    snprintf(stem, sizeof stem, "%s/long", dir);
    check_windows("frames_long_vertex_list", stem, 17000, 300, 3);
    test_long_way(dir);
    test_refusals(dir);
    test_diff(dir, 9, 6, 5);
    test_diff(dir, 1000, 700, 37); /* frames split across the buffer's halves */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("FAIL cleanup: %s\n", cmd);
    TU_EXIT();
}
