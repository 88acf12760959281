/* study.c - reading a study into X (onesample, independent, rm-anova): each subject's
 * estimate read as MNE's read_source_estimate (a surface lh/rh pair, for a volume source
 * space one -vl.stc/-vol.stc or volume -stc.h5, for a mixed one a mixed -stc.h5), cropped and reduced to its magnitude as the
 * seed does, checked against the first one and the source space (its kind, its vertices in
 * use), and X = A - B (or the groups stacked) laid out as MNE's (observations x times x
 * vertices). */
#include "study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ------------------------------------------------------------- one estimate */

/* The file cperm_stc_read took hemisphere h of `stem` from, for messages: STEM-lh.stc /
 * STEM-rh.stc when that pair exists, else the HDF5 file (read_source_estimate's order). */
static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* The file cperm_stc_read_any is given for `stem`: the stem itself unless no lh/rh pair
 * exists and STEM-vl.stc or STEM-vol.stc does (a volume estimate's one file; the library,
 * as MNE's read_source_estimate, looks up only the pair and the HDF5 names for a stem). */
static void estimate_path(char *buf, size_t cap, const char *stem) {
    snprintf(buf, cap, "%s-lh.stc", stem);
    int pair = access(buf, F_OK) == 0;
    snprintf(buf, cap, "%s-rh.stc", stem);
    pair = pair && access(buf, F_OK) == 0;
    if (!pair && access(stem, F_OK) != 0) {
        static const char *const vol_suffixes[2] = {"-vl.stc", "-vol.stc"};
        for (size_t k = 0; k < 2; k++) {
            snprintf(buf, cap, "%s%s", stem, vol_suffixes[k]);
            if (access(buf, F_OK) == 0) return;
        }
    }
    snprintf(buf, cap, "%s", stem);
}

static void stc_file_name(char *buf, size_t cap, const char *stem, size_t h) {
    static const char *const hemi_file[2] = {"-lh.stc", "-rh.stc"};
    size_t n = strlen(stem);
    if (n > 7 && (!strcmp(stem + n - 7, "-lh.stc") || !strcmp(stem + n - 7, "-rh.stc"))) n -= 7;
    snprintf(buf, cap, "%.*s-lh.stc", (int)n, stem);
    int pair = access(buf, F_OK) == 0;
    snprintf(buf, cap, "%.*s-rh.stc", (int)n, stem);
    pair = pair && access(buf, F_OK) == 0;
    if (pair) {
        snprintf(buf, cap, "%.*s%s", (int)n, stem, hemi_file[h > 1 ? 1 : h]);
        return;
    }
    estimate_path(buf, cap, stem); /* a volume file, given or found */
    if (ends_with(buf, "-vl.stc") || ends_with(buf, "-vol.stc")) return;
    if (n > 3 && !strcmp(stem + n - 3, ".h5")) snprintf(buf, cap, "%s", stem);
    else {
        snprintf(buf, cap, "%.*s.h5", (int)n, stem);
        if (access(buf, F_OK) != 0) snprintf(buf, cap, "%.*s-stc.h5", (int)n, stem);
    }
}

static const char *const hemi_name[2] = {"lh", "rh"};
static const char *block_name(const cperm_stc *stc, size_t h) {
    return stc->kind == CPERM_STC_VOLUME || h > 1 ? "volume" : hemi_name[h];
}

/* Whether the CLI tests `src` as a volume: one volume source space (a surface lh/rh pair
 * otherwise; study_read refuses the rest). */
static int is_volume_space(const cperm_srcspace *src) {
    return src && src->n_hemis == 1 && src->hemis[0].type == CPERM_SRC_VOLUME;
}

/* Whether `src` is a mixed space the CLI tests: two surfaces then one volume (MNE's surface
 * src + setup_volume_source_space(...) of one volume; its outputs' volume part is one
 * -vl.stc, which holds a single volume). */
static int is_mixed_space(const cperm_srcspace *src) {
    return src && src->n_hemis == 3 && src->hemis[0].type == CPERM_SRC_SURFACE &&
           src->hemis[1].type == CPERM_SRC_SURFACE && src->hemis[2].type == CPERM_SRC_VOLUME;
}

/* The block of the stacked row v of `stc`, and v's row within it. */
static size_t block_of(const cperm_stc *stc, size_t v, size_t *row) {
    size_t h = 0;
    while (h + 1 < stc->n_hemis && v >= stc->n_vertices[h]) v -= stc->n_vertices[h++];
    *row = v;
    return h;
}

/* Fails, naming the file, the subject and the first vertex that differs, unless the volume
 * estimate `stc` has the source space's vertices in use. */
static int check_volume_vertices(const cperm_stc *stc, size_t h, const char *stem,
                                 const char *subject, const cperm_src_hemi *vol,
                                 const char *src_path) {
    const size_t n = stc->n_vertices[h], n_src = vol->nuse;
    size_t i = 0;
    while (i < n && i < n_src && vol->vertno[i] >= 0 &&
           stc->vertices[h][i] == (uint32_t)vol->vertno[i])
        i++;
    if (i == n && n == n_src) return 0;
    char file[4096];
    stc_file_name(file, sizeof file, stem, 0);
    if (i < n && i < n_src)
        cli_error("%s (subject '%s'): its vertices are not the volume source space's in use "
                  "(%s): vertex #%zu is %u, the source space's is %d (%zu and %zu vertices)",
                  file, subject, src_path, i, stc->vertices[h][i], (int)vol->vertno[i], n, n_src);
    else
        cli_error("%s (subject '%s'): it has %zu vertices, the volume source space %s has %zu in "
                  "use (the first %zu agree; vertex %d is only in %s)", file, subject, n,
                  src_path, n_src, i, i < n ? (int)stc->vertices[h][i] : (int)vol->vertno[i],
                  i < n ? "the estimate" : "the source space");
    return -1;
}

/* Fails, naming both files and the first vertex that differs, unless hemisphere h of `stc`
 * has the vertices of `ref`. */
static int check_vertices(const cperm_stc *stc, const char *stem, const cperm_stc *ref,
                          const char *ref_stem, size_t h) {
    const size_t n = stc->n_vertices[h], n_ref = ref->n_vertices[h];
    size_t i = 0;
    while (i < n && i < n_ref && stc->vertices[h][i] == ref->vertices[h][i]) i++;
    if (i == n && n == n_ref) return 0;
    char file[4096], ref_file[4096];
    stc_file_name(file, sizeof file, stem, h);
    stc_file_name(ref_file, sizeof ref_file, ref_stem, h);
    if (i < n && i < n_ref)
        cli_error("%s: its %s vertices differ from those of %s: %s vertex #%zu is %u, there "
                  "%u (%zu and %zu %s vertices)", file, block_name(stc, h), ref_file,
                  block_name(stc, h), i, stc->vertices[h][i], ref->vertices[h][i], n, n_ref,
                  block_name(stc, h));
    else
        cli_error("%s: it has %zu %s vertices, %s has %zu (the first %zu agree; %s vertex %u is "
                  "only in %s)", file, n, block_name(stc, h), ref_file, n_ref, i,
                  block_name(stc, h),
                  i < n ? stc->vertices[h][i] : ref->vertices[h][i], i < n ? file : ref_file);
    return -1;
}

/* Reads one subject's estimate (of subject `subject`); checks that its kind is the source
 * space's (and, for a volume, its vertices the space's in use) and checks it against `ref`
 * (the first file's estimate as read, or NULL). Returns 0 or prints an error naming the
 * file. */
static int load_stc(cperm_stc **out, const char *stem, const char *subject, const os_opts *o,
                    const cperm_srcspace *src, const cperm_stc *ref, const char *ref_stem) {
    cperm_err err = {0};
    cperm_stc *stc = NULL;
    char file[4096], path[4096];
    *out = NULL;
    estimate_path(path, sizeof path, stem);
    if (cperm_stc_read_any(&stc, path, NULL, &err)) {
        cli_error("%s", err.msg);
        return -1;
    }
    stc_file_name(file, sizeof file, stem, 0);
    if (is_volume_space(src)) {
        if (stc->kind != CPERM_STC_VOLUME || stc->n_hemis != 1) {
            cli_error("%s (subject '%s'): %s, but --src %s is a volume source space: give one "
                      "-vl.stc/-vol.stc (or volume -stc.h5) per subject and condition", file,
                      subject, stc->kind == CPERM_STC_SURFACE ? "a surface estimate"
                      : stc->kind == CPERM_STC_MIXED ? "a mixed (surface and volume) estimate"
                      : "a volume estimate of several volumes", o->src);
            goto fail;
        }
        if (check_volume_vertices(stc, 0, stem, subject, &src->hemis[0], o->src)) goto fail;
    } else if (is_mixed_space(src)) {
        if (stc->kind != CPERM_STC_MIXED || stc->n_hemis != 3) {
            cli_error("%s (subject '%s'): %s, but --src %s is a mixed source space (lh, rh and "
                      "a volume): give one mixed -stc.h5 (MixedSourceEstimate.save) per "
                      "subject and condition", file, subject,
                      stc->kind == CPERM_STC_SURFACE ? "a surface estimate"
                      : stc->kind == CPERM_STC_VOLUME ? "a volume estimate"
                      : "a mixed estimate of another number of volumes", o->src);
            goto fail;
        }
        if (check_volume_vertices(stc, 2, stem, subject, &src->hemis[2], o->src)) goto fail;
    } else {
        if (stc->kind != CPERM_STC_SURFACE) {
            cli_error("%s (subject '%s'): a %s estimate, but --src %s is a surface source "
                      "space: give a %s -src.fif for %s estimates", file, subject,
                      stc->kind == CPERM_STC_VOLUME ? "volume" : "mixed", o->src,
                      stc->kind == CPERM_STC_VOLUME ? "volume" : "mixed",
                      stc->kind == CPERM_STC_VOLUME ? "volume" : "mixed");
            goto fail;
        }
        if (stc->n_hemis != 2) {
            cli_error("%s: a single-hemisphere estimate; %s needs a surface lh/rh pair", file,
                      o->command);
            goto fail;
        }
    }
    if (stc->n_orient == 3 && !o->magnitude) {
        cli_error("%s: a vector source estimate; pass --magnitude to test its norm", file);
        goto fail;
    }
    if (ref) {
        char ref_file[4096];
        stc_file_name(ref_file, sizeof ref_file, ref_stem, 0);
        /* Orientations may differ: vectors need --magnitude, which makes all scalar. */
        for (size_t h = 0; h < ref->n_hemis; h++)
            if (check_vertices(stc, stem, ref, ref_stem, h)) goto fail;
        if (stc->n_times != ref->n_times || stc->tmin != ref->tmin ||
            stc->tstep != ref->tstep) {
            cli_error("%s: %zu time points from %.6g s every %.6g s, but %s has %zu from %.6g s "
                      "every %.6g s", file, stc->n_times, stc->tmin, stc->tstep, ref_file,
                      ref->n_times, ref->tmin, ref->tstep);
            goto fail;
        }
    }
    *out = stc;
    return 0;
fail:
    cperm_stc_free(stc);
    return -1;
}

/* Crop then magnitude, as stc.crop(tmin, tmax).magnitude() in the seed. */
static int prepare_stc(cperm_stc *stc, const char *stem, const os_opts *o) {
    cperm_err err = {0};
    if ((!isnan(o->tmin) || !isnan(o->tmax)) && cperm_stc_crop(stc, o->tmin, o->tmax, &err)) {
        char file[4096];
        stc_file_name(file, sizeof file, stem, 0);
        cli_error("%s: --tmin/--tmax: %s", file, err.msg);
        return -1;
    }
    if (o->magnitude) {
        if (stc->n_orient == 3) {
            if (cperm_stc_magnitude(stc, &err)) {
                cli_error("%s: %s", stem, err.msg);
                return -1;
            }
        } else {
            const size_t n = cli_stc_rows(stc) * stc->n_times;
            for (size_t i = 0; i < n; i++) stc->data[i] = fabs(stc->data[i]);
        }
    }
    return 0;
}

/* The engine refuses NaN and infinity; find the first one here, where the file, vertex number
 * and time are known. */
static int check_finite(const cperm_stc *stc, const char *stem) {
    const size_t nt = stc->n_times, nv = cli_stc_rows(stc);
    for (size_t v = 0; v < nv; v++)
        for (size_t t = 0; t < nt; t++) {
            const double x = stc->data[v * nt + t];
            if (isfinite(x)) continue;
            size_t i;
            const size_t h = block_of(stc, v, &i);
            char file[4096];
            stc_file_name(file, sizeof file, stem, h);
            cli_error("%s: non-finite value %s at %s vertex %u (row %zu), time %.6g s (sample "
                      "%zu of the tested window)", file, isnan(x) ? "nan" : x > 0 ? "inf" : "-inf",
                      block_name(stc, h), stc->vertices[h][i], i,
                      stc->tmin + stc->tstep * (double)t, t);
            return -1;
        }
    return 0;
}

/* ------------------------------------------------------------- the study */

/* Subject s's slice of X: A - B (or A), transposed to times x vertices. */
static void transpose_into(double *Xs, const cperm_stc *sa, const cperm_stc *sb, size_t nv,
                           size_t nt) {
    for (size_t v = 0; v < nv; v++)
        for (size_t t = 0; t < nt; t++)
            Xs[t * nv + v] = sa->data[v * nt + t] - (sb ? sb->data[v * nt + t] : 0.0);
}

/* The samples that prepare_stc's crop keeps of `stc`: *first and *n (all of them without
 * --tmin/--tmax). It crops a one-row estimate with stc's times whose values are the sample
 * numbers, so the window is cperm_stc_crop's own. 0, or -1 when that crop fails (the caller
 * then crops the estimate itself, which says why). */
static int crop_window(const cperm_stc *stc, const os_opts *o, size_t *first, size_t *n) {
    *first = 0;
    *n = stc->n_times;
    if (isnan(o->tmin) && isnan(o->tmax)) return 0;
    const size_t one[1] = {1};
    cperm_stc *w = NULL;
    cperm_err err = {0};
    if (cperm_stc_create(&w, 1, one, stc->n_times, &err)) return -1;
    w->tmin = stc->tmin;
    w->tstep = stc->tstep;
    for (size_t t = 0; t < stc->n_times; t++) w->data[t] = (double)t;
    const int rc = cperm_stc_crop(w, o->tmin, o->tmax, &err);
    if (!rc) *first = (size_t)w->data[0], *n = w->n_times;
    cperm_stc_free(w);
    return rc ? -1 : 0;
}

/* Subject s's slice of X straight from the uncropped scalar estimates: prepare_stc's crop
 * (samples first.. of each row) and magnitude (|x|), then transpose_into, in one pass
 * (issue 17: crop's row moves and check_finite's pass were two more over every estimate).
 * 1 when every value read is finite; 0 otherwise, and the caller redoes the slice the
 * long way so that check_finite names the first bad value. */
static int crop_transpose_into(double *Xs, const cperm_stc *sa, const cperm_stc *sb, size_t nv,
                               size_t nt, size_t first, int magnitude) {
    const size_t ntf = sa->n_times;
    int finite = 1;
    for (size_t v = 0; v < nv; v++) {
        const double *ra = sa->data + v * ntf + first, *rb = sb ? sb->data + v * ntf + first : NULL;
        for (size_t t = 0; t < nt; t++) {
            double a = ra[t], b = rb ? rb[t] : 0.0;
            if (magnitude) a = fabs(a), b = fabs(b);
            finite &= isfinite(a) && isfinite(b);
            Xs[t * nv + v] = a - b;
        }
    }
    return finite;
}

/* The lh/rh .stc pair that cperm_stc_read_any reads for `stem`, when it reads one: 1 and the
 * two paths, else 0. That is stem-lh.stc and stem-rh.stc when stem itself is no file, or
 * the pair of a given -lh.stc or -rh.stc file (read_source_estimate's rules). */
static int stc_pair_paths(const char *stem, char *lh, char *rh, size_t cap) {
    size_t n = strlen(stem);
    if (access(stem, F_OK) == 0) {
        if (!ends_with(stem, "-lh.stc") && !ends_with(stem, "-rh.stc")) return 0;
        n -= 7;
    }
    if ((size_t)snprintf(lh, cap, "%.*s-lh.stc", (int)n, stem) >= cap ||
        (size_t)snprintf(rh, cap, "%.*s-rh.stc", (int)n, stem) >= cap)
        return 0;
    return access(lh, F_OK) == 0 && access(rh, F_OK) == 0;
}

/* Whether read_subject_frames may read subjects whose headers match ref straight into
 * slices of nv rows: plain surface pairs. Then the window's first sample and length go to
 * *first and *nt. Decided once for all subjects: it depends on ref alone. */
static int frames_apply(size_t nv, const os_opts *o, const cperm_srcspace *src,
                        const cperm_stc *ref, size_t *first, size_t *nt) {
    return !is_volume_space(src) && !is_mixed_space(src) && ref->kind == CPERM_STC_SURFACE &&
           ref->n_hemis == 2 && cli_stc_rows(ref) == nv && !crop_window(ref, o, first, nt);
}

/* frames_first's value when the subjects are not read by read_subject_frames */
#define NO_FRAMES SIZE_MAX

/* Subject s's slice of X read straight from its .stc pairs (issue 17: the library streams
 * the file's time-major frames into X's time-major slice, where the estimate's way was two
 * strided transposes per file), from the window's sample `first` (frames_apply; NO_FRAMES:
 * not read here). 1 when done; 0 when this subject is not a plain surface pair matching
 * ref, or anything is wrong with it: read_subject then reads it the long way, which says
 * what. Values bit for bit those of the long way: |a| - |b|, a - 0.0. */
static int read_subject_frames(double *Xs, size_t s, size_t nv, size_t nt, const cli_strlist *a,
                               const cli_strlist *b, const os_opts *o, const cperm_stc *ref,
                               size_t first) {
    char lh[4096], rh[4096];
    if (first == NO_FRAMES) return 0;
    const unsigned abs_flag = o->magnitude ? CPERM_FRAMES_ABS : 0u;
    cperm_err err = {0};
    if (!stc_pair_paths(a->items[s], lh, rh, sizeof lh)) return 0;
    if (!b) return cperm_stc_read_frames(lh, rh, ref, first, nt, Xs, nv, abs_flag, &err) == 0;
    /* paired: A - B in one pass over the slice (issue 17: B's pass re-read and re-wrote all
     * of it) */
    char blh[4096], brh[4096];
    return stc_pair_paths(b->items[s], blh, brh, sizeof blh) &&
           cperm_stc_read_frames_diff(lh, rh, blh, brh, ref, first, nt, Xs, nv, abs_flag,
                                      &err) == 0;
}

/* Reads subject s (A, and B when paired), checks it against `ref` (the first estimate's
 * header), crops, checks finiteness and writes its slice of X. Safe to run for
 * several subjects at once: it touches only its own estimates and slice. */
static int read_subject(double *X, size_t s, size_t nv, size_t nt, const cli_strlist *a,
                        const cli_strlist *keys, const cli_strlist *b, const os_opts *o,
                        const cperm_srcspace *src, const cperm_stc *ref, size_t frames_first) {
    cperm_stc *sa = NULL, *sb = NULL;
    int rc = -1;
    if (read_subject_frames(X + s * nt * nv, s, nv, nt, a, b, o, ref, frames_first)) return 0;
    if (load_stc(&sa, a->items[s], keys->items[s], o, src, ref, a->items[0])) goto done;
    if (b && load_stc(&sb, b->items[s], keys->items[s], o, src, ref, a->items[0])) goto done;
    size_t first, n_sel;
    /* scalar estimates (sb's times are sa's: load_stc checked both against ref) */
    if (sa->n_orient == 1 && (!sb || sb->n_orient == 1) && cli_stc_rows(sa) == nv &&
        !crop_window(sa, o, &first, &n_sel) && n_sel == nt &&
        crop_transpose_into(X + s * nt * nv, sa, sb, nv, nt, first, o->magnitude)) {
        rc = 0;
        goto done;
    }
    if (prepare_stc(sa, a->items[s], o) || check_finite(sa, a->items[s])) goto done;
    if (sb && (prepare_stc(sb, b->items[s], o) || check_finite(sb, b->items[s]))) goto done;
    transpose_into(X + s * nt * nv, sa, sb, nv, nt);
    rc = 0;
done:
    cperm_stc_free(sa);
    cperm_stc_free(sb);
    return rc;
}

/* Whether `stem` is read from .stc files (an lh/rh pair or one volume .stc): those are read
 * in threads; HDF5 files are read one after another (the serial HDF5 library). */
static int reads_stc_files(const char *stem) {
    char path[4096], file[4096 + 16];
    estimate_path(path, sizeof path, stem);
    if (ends_with(path, ".stc")) return 1;
    snprintf(file, sizeof file, "%s-lh.stc", path);
    if (access(file, F_OK) != 0) return 0;
    snprintf(file, sizeof file, "%s-rh.stc", path);
    return access(file, F_OK) == 0;
}

/* Threads for reading subjects s0+1..n: -j's count (all cores for -1), at most one per
 * subject, one when any estimate is an HDF5 file. */
static size_t read_threads(const os_opts *o, const cli_strlist *a, const cli_strlist *b,
                           size_t s0) {
    size_t threads = o->jobs > 0 ? (size_t)o->jobs : 1;
#ifdef _OPENMP
    if (o->jobs < 0) threads = (size_t)omp_get_num_procs();
#endif
    if (threads > a->n - s0) threads = a->n - s0;
    for (size_t s = 0; threads > 1 && s < a->n; s++)
        if (!reads_stc_files(a->items[s]) || (b && !reads_stc_files(b->items[s]))) threads = 1;
    return threads < 1 ? 1 : threads;
}

/* Subjects s0..n into X, in `threads` threads. Each subject's first error is held, and the
 * first failing subject's (in subject order) is said, as a serial read would say it. */
static int read_rest(double *X, size_t s0, size_t nv, size_t nt, const cli_strlist *a,
                     const cli_strlist *keys, const cli_strlist *b, const os_opts *o,
                     const cperm_srcspace *src, const cperm_stc *ref, size_t frames_first,
                     size_t threads) {
    const size_t n = a->n;
    if (threads <= 1) {
        for (size_t s = s0; s < n; s++)
            if (read_subject(X, s, nv, nt, a, keys, b, o, src, ref, frames_first)) return -1;
        return 0;
    }
    enum { MSG = 4096 };
    char *msgs = malloc(n * MSG);
    unsigned char *failed = calloc(n, 1);
    if (!msgs || !failed) {
        free(msgs);
        free(failed);
        cli_error("out of memory reading %zu subjects", n);
        return -1;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads((int)threads)
    for (size_t s = s0; s < n; s++) {
        cli_error_hold(msgs + s * MSG, MSG);
        failed[s] = read_subject(X, s, nv, nt, a, keys, b, o, src, ref, frames_first) != 0;
        cli_error_hold(NULL, 0);
    }
    int rc = 0;
    for (size_t s = s0; s < n && !rc; s++)
        if (failed[s]) {
            cli_error("%s", msgs[s * MSG] ? msgs + s * MSG : "reading an estimate failed");
            rc = -1;
        }
    free(msgs);
    free(failed);
    return rc;
}

/* X's block, in transparent huge pages where the kernel gives them for the asking (issue 17:
 * the seed case's X is 118 MB, and faulting it in 4 KiB pages, each cleared, was ~3% of the
 * run's CPU; the kernel's passes over X also miss the TLB less). Freed with free(). */
static double *alloc_x(size_t bytes) {
#if defined(MADV_HUGEPAGE)
    enum { HUGE = 2 << 20 };
    if (bytes >= 4 * (size_t)HUGE) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE, bytes) != 0) return NULL;
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: 4 KiB pages if refused */
        return p;
    }
#endif
    return malloc(bytes);
}

/* X for n subjects x nt times x nv vertices: 0 and *X; -1 when that is no size to test, -2
 * when it cannot be allocated (nothing said: x_alloc_say says it). */
static int x_alloc_checked(double **X, size_t n, size_t nv, size_t nt) {
    *X = NULL;
    if (nv == 0 || nt == 0 || nv > SIZE_MAX / nt / n / sizeof(double)) return -1;
    *X = alloc_x(n * nt * nv * sizeof **X);
    return *X ? 0 : -2;
}

static void x_alloc_say(int why, const char *stem, size_t n, size_t nv, size_t nt) {
    if (why == -1) cli_error("%s: %zu vertices x %zu times cannot be tested", stem, nv, nt);
    else cli_error("out of memory for %zu subjects x %zu times x %zu vertices", n, nt, nv);
}

/* Builds X (n_subjects x n_times x n_vertices) = A - B (or A), transposing each estimate:
 * the first subject's A estimate here (its header is every other file's reference; its
 * cropped estimate the results' layout), the slices in read_rest (the first's here when its
 * files are not plain surface pairs). */
static int load_data(double **X_out, cperm_stc **layout, const cli_strlist *a,
                     const cli_strlist *keys, const cli_strlist *b, const os_opts *o,
                     const cperm_srcspace *src) {
    cperm_stc *ref = NULL, *sa = NULL, *sb = NULL;
    double *X = NULL;
    size_t nv = 0, nt = 0;
    int rc = -1;
    *X_out = NULL;
    *layout = NULL;

    const char *ref_stem = a->items[0];
    if (load_stc(&sa, a->items[0], keys->items[0], o, src, NULL, ref_stem)) goto cleanup;
    {
        /* The first estimate's header as read (before cropping) is the reference that
         * every other file must match. */
        cperm_err err = {0};
        if (cperm_stc_create(&ref, sa->n_hemis, sa->n_vertices, 1, &err)) {
            cli_error("%s", err.msg);
            goto cleanup;
        }
        for (size_t h = 0; h < sa->n_hemis; h++)
            memcpy(ref->vertices[h], sa->vertices[h], sa->n_vertices[h] * sizeof *sa->vertices[h]);
        ref->kind = sa->kind;
        ref->n_times = sa->n_times;
        ref->tmin = sa->tmin;
        ref->tstep = sa->tstep;
    }
    /* Where the files are plain surface pairs, the first subject's slice is read with the
     * others', in the threads (issue 17: read the long way, its B estimate, checks and
     * transpose were a third of the reading, and reading it straight from its files before
     * the threads start still left a core idle); its A estimate, as read, is still the
     * reference and (cropped) the results' layout. */
    size_t first_sel, s0 = 1, frames_first = NO_FRAMES;
    if (frames_apply(cli_stc_rows(sa), o, src, ref, &first_sel, &nt) &&
        !x_alloc_checked(&X, a->n, cli_stc_rows(sa), nt)) {
        if (prepare_stc(sa, a->items[0], o)) goto cleanup;
        nv = cli_stc_rows(sa);
        s0 = 0;
        frames_first = first_sel;
    } else {
        free(X);
        X = NULL;
        if (b && load_stc(&sb, b->items[0], keys->items[0], o, src, ref, ref_stem)) goto cleanup;
        if (prepare_stc(sa, a->items[0], o) || check_finite(sa, a->items[0])) goto cleanup;
        if (sb && (prepare_stc(sb, b->items[0], o) || check_finite(sb, b->items[0])))
            goto cleanup;
        nv = cli_stc_rows(sa);
        nt = sa->n_times;
        const int why = x_alloc_checked(&X, a->n, nv, nt);
        if (why) {
            x_alloc_say(why, a->items[0], a->n, nv, nt);
            goto cleanup;
        }
        transpose_into(X, sa, sb, nv, nt);
    }
    cperm_stc_free(sb);
    sb = NULL;
    /* The layout of the results: vertices, times of the cropped data. */
    *layout = sa;
    sa = NULL;
    if (read_rest(X, s0, nv, nt, a, keys, b, o, src, ref, frames_first,
                  read_threads(o, a, b, s0)))
        goto cleanup;
    *X_out = X;
    X = NULL;
    rc = 0;

cleanup:
    cperm_stc_free(sa);
    cperm_stc_free(sb);
    cperm_stc_free(ref);
    if (rc) {
        cperm_stc_free(*layout);
        *layout = NULL;
    }
    free(X);
    return rc;
}

/* Checks that the source space is a surface lh/rh pair, one volume, or lh, rh and one volume
 * (before any estimate is read: it decides which kind of estimate each subject must have). */
static int check_src_kind(const cperm_srcspace *src, const char *path, const char *command) {
    size_t n_vol = 0;
    for (size_t h = 0; h < src->n_hemis; h++) n_vol += src->hemis[h].type == CPERM_SRC_VOLUME;
    if (n_vol > 0 && !is_volume_space(src) && !is_mixed_space(src)) {
        cli_error("%s: %s source space (%zu spaces, %zu of them volumes); %s tests a surface "
                  "lh/rh pair, a single volume, or lh, rh and a single volume", path,
                  n_vol < src->n_hemis ? "a mixed" : "a multi-volume", src->n_hemis, n_vol,
                  command);
        return -1;
    }
    return 0;
}

/* Checks that the source space is a surface lh/rh pair (alone or a mixed space's) whose vertno
 * are the data's vertices (a volume's were checked against each file as it was read). */
static int check_src(const cperm_srcspace *src, const char *path, const cperm_stc *layout,
                     const char *data_name, const char *command) {
    const char *hemi[2] = {"lh", "rh"};
    if (is_volume_space(src)) return 0;
    if (src->n_hemis != 2 && !is_mixed_space(src)) {
        cli_error("%s: %zu source spaces; %s needs a surface lh/rh pair", path, src->n_hemis,
                  command);
        return -1;
    }
    for (size_t h = 0; h < 2; h++) {
        const cperm_src_hemi *s = &src->hemis[h];
        if (s->type != CPERM_SRC_SURFACE) {
            cli_error("%s: source space %zu is not a surface", path, h);
            return -1;
        }
        int same = s->nuse == layout->n_vertices[h];
        for (size_t i = 0; same && i < s->nuse; i++)
            same = s->vertno[i] >= 0 && (uint32_t)s->vertno[i] == layout->vertices[h][i];
        if (!same) {
            cli_error("%s: the %s source space has %zu vertices in use, which are not the data's "
                      "%zu %s vertices (%s)", path, hemi[h], s->nuse, layout->n_vertices[h],
                      hemi[h], data_name);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------- entry points */

/* Independent groups: each --group's stems, then all of them in group order as st->a. */
static int group_subjects(os_study *st, const os_opts *o) {
    st->n_groups = o->n_groups;
    for (size_t g = 0; g < o->n_groups; g++) {
        char opt[32];
        snprintf(opt, sizeof opt, "--group #%zu", g + 1);
        cli_subjects *gs = &st->groups[g];
        if (cli_subjects_expand(gs, opt, o->groups[g])) return -1;
        st->group_sizes[g] = gs->stems.n;
        for (size_t i = 0; i < gs->stems.n; i++) {
            char key[512];
            snprintf(key, sizeof key, "%zu/%s", g + 1, gs->keys.items[i]);
            if (cli_strlist_push(&st->a.stems, gs->stems.items[i]) ||
                cli_strlist_push(&st->a.keys, key)) {
                cli_error("out of memory");
                return -1;
            }
        }
    }
    for (size_t g = 0; g < o->n_groups; g++) {
        const size_t need = o->statistic == CPERM_STAT_T_IND ? 2 : 1;
        if (st->group_sizes[g] < need) {
            cli_error("--group #%zu (%s) matches %zu subject; the two-sample t needs at least %zu "
                      "per group", g + 1, o->groups[g], st->group_sizes[g], need);
            return -1;
        }
    }
    if (st->a.stems.n <= o->n_groups) {
        cli_error("%zu subjects in %zu groups leave no degree of freedom within groups",
                  st->a.stems.n, o->n_groups);
        return -1;
    }
    return 0;
}

/* Repeated measures: each --cell's stems, every cell holding the same subjects (paired by
 * subject, as --a and --b), then all of them in cell order as st->a: X stacks the cells. */
static int cell_subjects(os_study *st, const os_opts *o) {
    char opt0[32], opt[32];
    snprintf(opt0, sizeof opt0, "--cell #1");
    st->n_groups = o->n_cells;
    for (size_t c = 0; c < o->n_cells; c++) {
        snprintf(opt, sizeof opt, "--cell #%zu", c + 1);
        cli_subjects *cs = &st->groups[c];
        if (cli_subjects_expand(cs, opt, o->cells[c])) return -1;
        if (c && cli_subjects_pair_named(&st->groups[0], opt0, o->cells[0], cs, opt, o->cells[c],
                                         "a repeated-measures test needs every cell of every "
                                         "subject"))
            return -1;
        st->group_sizes[c] = cs->stems.n;
        for (size_t i = 0; i < cs->stems.n; i++) {
            char key[512];
            snprintf(key, sizeof key, "%zu/%s", c + 1, cs->keys.items[i]);
            if (cli_strlist_push(&st->a.stems, cs->stems.items[i]) ||
                cli_strlist_push(&st->a.keys, key)) {
                cli_error("out of memory");
                return -1;
            }
        }
    }
    if (st->group_sizes[0] < 2) {
        cli_error("--cell #1 (%s) matches %zu subject; a repeated-measures test needs at least 2",
                  o->cells[0], st->group_sizes[0]);
        return -1;
    }
    return 0;
}

int study_subjects(os_study *st, const os_opts *o) {
    if (os_rm(o)) return cell_subjects(st, o);
    if (os_independent(o)) return group_subjects(st, o);
    st->paired = o->b != NULL;
    if (cli_subjects_expand(&st->a, "--a", o->a)) return -1;
    if (o->b && (cli_subjects_expand(&st->b, "--b", o->b) ||
                 cli_subjects_pair(&st->a, &st->b, o->a, o->b)))
        return -1;
    if (st->a.stems.n < 2) {
        cli_error("--a matches %zu subject (%s); a one-sample test needs at least 2",
                  st->a.stems.n, st->a.stems.items[0]);
        return -1;
    }
    return 0;
}

int study_read(os_study *st, const os_opts *o) {
    cperm_err err = {0};
    if (cperm_src_read(&st->src, o->src, &err)) {
        cli_error("%s", err.msg);
        return -1;
    }
    if (check_src_kind(st->src, o->src, o->command)) return -1;
    st->volume = is_volume_space(st->src);
    st->mixed = is_mixed_space(st->src);
    const cli_strlist *a = os_a_stems(st);
    if (load_data(&st->X, &st->layout, a, &st->a.keys, os_b_stems(st), o, st->src)) return -1;
    return check_src(st->src, o->src, st->layout, a->items[0], o->command);
}

void study_free(os_study *st) {
    for (size_t g = 0; g < st->n_groups; g++) cli_subjects_free(&st->groups[g]);
    cli_subjects_free(&st->a);
    cli_subjects_free(&st->b);
    cperm_src_free(st->src);
    cperm_stc_free(st->layout);
    free(st->X);
    memset(st, 0, sizeof *st);
}
