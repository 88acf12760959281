/* stc_frames.c - a surface .stc pair's time window read straight into a time-major block
 * (cperm_stc_read_frames), for readers of many subjects that need their data, not an
 * estimate object per subject.
 *
 * Why a second reader: a .stc file is stored time-major (MNE writes data.T), which is the
 * layout the statistics want (times x vertices). Going through cperm_stc (vertex-major)
 * costs two strided transposes per file, and those were most of the CLI's reading time
 * (issue 17). Files whose vertices already ascend (every file MNE writes) are streamed here
 * through a fixed buffer in one sequential pass that reads only the window's frames and
 * allocates nothing; any other file goes through cperm_stc_read's own pair reader, so that
 * every result and every error is the one that reader gives. */
#include "stc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The streaming buffer: big enough that a syscall moves a lot, small enough to stay in L2
 * next to the rows being written. */
#define FRAMES_CHUNK_BYTES ((size_t)64 * 1024)

enum { STREAM_OK = 0, STREAM_DECLINED = 1 };

/* pread all of [off, off + len) or report failure (a short file, an I/O error). */
static int pread_full(int fd, unsigned char *buf, size_t len, uint64_t off) {
    while (len > 0) {
        const ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Converts n big-endian float32 values to rows' doubles: dst[i] = x, |x|, dst[i] - x or
 * dst[i] - |x| by flags. 1 when every value is finite, else 0. The byte swap is spelled as
 * one (memcpy and __builtin_bswap32, not four shifted bytes), one loop per case, with no
 * early exit: so the loops are vector code (cloned per ISA); this conversion had been the
 * CLI's largest cost in reading the study after the copies from the page cache. */
#define CONVERT_LOOP(expr)                                                                  \
    for (size_t i = 0; i < n; i++) {                                                        \
        uint32_t u;                                                                         \
        memcpy(&u, src + 4 * i, sizeof u);                                                  \
        u = __builtin_bswap32(u);                                                           \
        float f;                                                                            \
        memcpy(&f, &u, sizeof f);                                                           \
        const double x = (expr);                                                            \
        bad |= !(fabs(x) <= DBL_MAX);                                                       \
        dst[i] = (flags & CPERM_FRAMES_SUBTRACT) ? dst[i] - x : x;                          \
    }
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static int convert(double *restrict dst, const unsigned char *restrict src, size_t n,
                   unsigned flags) {
    int bad = 0;
    if (flags & CPERM_FRAMES_SUBTRACT) {
        if (flags & CPERM_FRAMES_ABS) {
            CONVERT_LOOP(fabs((double)f))
        } else {
            CONVERT_LOOP((double)f)
        }
    } else if (flags & CPERM_FRAMES_ABS) {
        CONVERT_LOOP(fabs((double)f))
    } else {
        CONVERT_LOOP((double)f)
    }
    return !bad;
}
#undef CONVERT_LOOP

/* Opens `path` for streaming hemisphere h of `like`: STREAM_OK with *fd and the byte offset
 * of frame `first` in *start, or STREAM_DECLINED (nothing open) for anything but a file that
 * parse_stc reads as it is, with ascending vertices that are like's and like's times. buf:
 * FRAMES_CHUNK_BYTES of scratch. */
static int stream_open(const char *path, const cperm_stc *like, size_t h, size_t first,
                       unsigned char *buf, int *fd_out, uint64_t *start) {
    const size_t nv = like->n_vertices[h], nt = like->n_times;
    const uint32_t *want = like->vertices[h];
    struct stat st;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return STREAM_DECLINED;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 16) goto declined;
    const uint64_t size = (uint64_t)st.st_size;
    if (pread_full(fd, buf, 12, 0)) goto declined;
    if (cperm_be32(buf + 8) != nv || nv == 0) goto declined;
    const double tmin = (double)cperm_be_f32(buf) / 1000.0;
    const double tstep = (double)cperm_be_f32(buf + 4) / 1000.0;
    if (!(tmin == like->tmin) || !(tstep == like->tstep)) goto declined;
    /* the vertex numbers and then n_times, as parse_stc checks them, against like's */
    const uint64_t need_hdr = 16 + 4 * (uint64_t)nv;
    if (size < need_hdr) goto declined;
    for (size_t i0 = 0; i0 <= nv; i0 += FRAMES_CHUNK_BYTES / 4) {
        const size_t n = nv + 1 - i0 < FRAMES_CHUNK_BYTES / 4 ? nv + 1 - i0 : FRAMES_CHUNK_BYTES / 4;
        if (pread_full(fd, buf, 4 * n, 12 + 4 * (uint64_t)i0)) goto declined;
        for (size_t k = 0; k < n; k++) {
            const size_t i = i0 + k;
            const uint32_t v = cperm_be32(buf + 4 * k);
            if (i == nv) {
                if (v != nt) goto declined;
            } else if (v != want[i] || v > STC_MAX_VERTEX || (i > 0 && v <= want[i - 1])) {
                goto declined;
            }
        }
    }
    const uint64_t cells = (uint64_t)nv * nt;
    if (cells > (UINT64_MAX - need_hdr) / 4 || size < need_hdr + 4 * cells ||
        (size / 4 - 4 - nv) % cells != 0)
        goto declined;
    *fd_out = fd;
    *start = need_hdr + 4 * (uint64_t)first * nv;
    return STREAM_OK;
declined:
    close(fd);
    return STREAM_DECLINED;
}

/* dst[i] = a - b (|a| - |b| with CPERM_FRAMES_ABS) of n big-endian float32 pairs: the value
 * convert leaves after a's pass and then b's with CPERM_FRAMES_SUBTRACT. 1 when every a and
 * b is finite, else 0. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static int convert_diff(double *restrict dst, const unsigned char *restrict a,
                        const unsigned char *restrict b, size_t n, unsigned flags) {
    int bad = 0;
    const int absolute = (flags & CPERM_FRAMES_ABS) != 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ua, ub;
        memcpy(&ua, a + 4 * i, sizeof ua);
        memcpy(&ub, b + 4 * i, sizeof ub);
        ua = __builtin_bswap32(ua);
        ub = __builtin_bswap32(ub);
        float fa, fb;
        memcpy(&fa, &ua, sizeof fa);
        memcpy(&fb, &ub, sizeof fb);
        double xa = (double)fa, xb = (double)fb;
        if (absolute) xa = fabs(xa), xb = fabs(xb);
        bad |= !(fabs(xa) <= DBL_MAX) | !(fabs(xb) <= DBL_MAX);
        dst[i] = xa - xb;
    }
    return !bad;
}

/* Streams hemisphere h of `like` from `path` into frames' columns [col0, col0 + nv), or with
 * path_b its difference from path_b's (convert_diff: both files side by side, each in half
 * of the buffer, one pass over frames): STREAM_OK, or STREAM_DECLINED for a file stream_open
 * declines or a non-finite value in the window (the caller then reads the long way, which
 * says what is wrong, or reads what MNE would). */
static int stream_hemisphere(const char *path, const char *path_b, const cperm_stc *like,
                             size_t h, size_t col0, size_t first, size_t count, double *frames,
                             size_t ld, unsigned flags) {
    unsigned char buf[FRAMES_CHUNK_BYTES];
    const size_t nv = like->n_vertices[h];
    int fd, fb = -1, rc = STREAM_DECLINED;
    uint64_t start, start_b = 0;
    if (stream_open(path, like, h, first, buf, &fd, &start) != STREAM_OK) return STREAM_DECLINED;
    if (path_b && stream_open(path_b, like, h, first, buf, &fb, &start_b) != STREAM_OK) {
        close(fd);
        return STREAM_DECLINED;
    }
    /* The window is one contiguous run of count frames of nv values. */
    const size_t half = path_b ? FRAMES_CHUNK_BYTES / 2 : 0;
    const size_t per_chunk = (path_b ? half : FRAMES_CHUNK_BYTES) / 4;
    const size_t total = count * nv;
    size_t t = 0, v = 0;
    for (size_t done_values = 0; done_values < total;) {
        const size_t n = total - done_values < per_chunk ? total - done_values : per_chunk;
        if (pread_full(fd, buf, 4 * n, start + 4 * (uint64_t)done_values) ||
            (path_b && pread_full(fb, buf + half, 4 * n, start_b + 4 * (uint64_t)done_values)))
            goto done;
        for (size_t k = 0; k < n;) {
            const size_t run = nv - v < n - k ? nv - v : n - k;
            double *dst = frames + t * ld + col0 + v;
            if (path_b ? !convert_diff(dst, buf + 4 * k, buf + half + 4 * k, run, flags)
                       : !convert(dst, buf + 4 * k, run, flags))
                goto done;
            k += run;
            v += run;
            if (v == nv) v = 0, t++;
        }
        done_values += n;
    }
    rc = STREAM_OK;
done:
    close(fd);
    if (fb >= 0) close(fb);
    return rc;
}

/* The long way: the pair as cperm_stc_read reads it, checked against like (every row), then
 * rows row_from.. copied (the rows before it were streamed already: subtracting them again
 * would be wrong). */
static int read_via_estimate(const char *lh_path, const char *rh_path, const cperm_stc *like,
                             size_t first, size_t count, double *frames, size_t ld,
                             unsigned flags, size_t row_from, cperm_err *err) {
    cperm_stc *stc = NULL;
    int rc = cperm_stc_read_pair(&stc, lh_path, rh_path, err);
    if (rc) return rc;
    for (size_t h = 0; h < 2 && !rc; h++) {
        const char *path = h ? rh_path : lh_path;
        if (stc->n_vertices[h] != like->n_vertices[h]) {
            rc = cperm_fail(err, CPERM_EMISMATCH, "stc: %s: %zu vertices, expected %zu", path,
                            stc->n_vertices[h], like->n_vertices[h]);
            break;
        }
        for (size_t i = 0; i < stc->n_vertices[h]; i++)
            if (stc->vertices[h][i] != like->vertices[h][i]) {
                rc = cperm_fail(err, CPERM_EMISMATCH, "stc: %s: vertex #%zu is %u, expected %u",
                                path, i, (unsigned)stc->vertices[h][i],
                                (unsigned)like->vertices[h][i]);
                break;
            }
    }
    if (!rc && (stc->n_times != like->n_times || !(stc->tmin == like->tmin) ||
                !(stc->tstep == like->tstep)))
        rc = cperm_fail(err, CPERM_EMISMATCH, "stc: %s: %zu time points from %.17g s every "
                        "%.17g s, expected %zu from %.17g s every %.17g s", lh_path,
                        stc->n_times, stc->tmin, stc->tstep, like->n_times, like->tmin,
                        like->tstep);
    const size_t nt = stc->n_times, nl = stc->n_vertices[0], rows = nl + stc->n_vertices[1];
    /* vertex-major, as a reader of the estimate would find the first bad value */
    for (size_t r = 0; r < rows && !rc; r++)
        for (size_t t = 0; t < count; t++) {
            double x = stc->data[r * nt + first + t];
            if (!isfinite(x)) {
                const size_t h = r >= nl, i = h ? r - nl : r;
                rc = cperm_fail(err, CPERM_EFORMAT, "stc: %s: non-finite value %s at vertex %u "
                                "(row %zu), time %.6g s (sample %zu of the file)",
                                h ? rh_path : lh_path, isnan(x) ? "nan" : x > 0 ? "inf" : "-inf",
                                (unsigned)stc->vertices[h][i], i,
                                stc->tmin + stc->tstep * (double)(first + t), first + t);
                break;
            }
            if (r < row_from) continue;
            if (flags & CPERM_FRAMES_ABS) x = fabs(x);
            double *dst = frames + t * ld + r;
            *dst = flags & CPERM_FRAMES_SUBTRACT ? *dst - x : x;
        }
    cperm_stc_free(stc);
    return rc;
}

/* cperm_stc_read_frames's argument checks: CPERM_OK or the error. */
static int frames_args(const char *lh_path, const char *rh_path, const cperm_stc *like,
                       size_t first, size_t count, const double *frames, size_t ld,
                       unsigned flags, cperm_err *err) {
    if (!lh_path || !rh_path || !like || (!frames && count > 0))
        return cperm_fail(err, CPERM_EINVAL, "stc: read frames: NULL argument");
    if (like->n_hemis != 2 || like->n_orient != 1 || like->kind != CPERM_STC_SURFACE)
        return cperm_fail(err, CPERM_EINVAL, "stc: read frames: the layout must be a scalar "
                          "surface estimate of two hemispheres");
    const size_t rows = like->n_vertices[0] + like->n_vertices[1];
    if (first > like->n_times || count > like->n_times - first)
        return cperm_fail(err, CPERM_EINVAL, "stc: read frames: times %zu..%zu are not within "
                          "the layout's %zu", first, first + count, like->n_times);
    if (ld < rows)
        return cperm_fail(err, CPERM_EINVAL, "stc: read frames: leading dimension %zu is less "
                          "than the %zu rows", ld, rows);
    if (flags & ~(unsigned)(CPERM_FRAMES_ABS | CPERM_FRAMES_SUBTRACT))
        return cperm_fail(err, CPERM_EINVAL, "stc: read frames: unknown flags 0x%x", flags);
    return CPERM_OK;
}

int cperm_stc_read_frames(const char *lh_path, const char *rh_path, const cperm_stc *like,
                          size_t first, size_t count, double *frames, size_t ld, unsigned flags,
                          cperm_err *err) {
    const int bad = frames_args(lh_path, rh_path, like, first, count, frames, ld, flags, err);
    if (bad) return bad;
    const size_t rows = like->n_vertices[0] + like->n_vertices[1];
    if (count == 0 || rows == 0)
        return read_via_estimate(lh_path, rh_path, like, first, count, frames, ld, flags, 0, err);
    if (stream_hemisphere(lh_path, NULL, like, 0, 0, first, count, frames, ld, flags) != STREAM_OK)
        return read_via_estimate(lh_path, rh_path, like, first, count, frames, ld, flags, 0, err);
    const size_t nl = like->n_vertices[0];
    if (stream_hemisphere(rh_path, NULL, like, 1, nl, first, count, frames, ld, flags) != STREAM_OK)
        return read_via_estimate(lh_path, rh_path, like, first, count, frames, ld, flags, nl, err);
    return CPERM_OK;
}

int cperm_stc_read_frames_diff(const char *a_lh, const char *a_rh, const char *b_lh,
                               const char *b_rh, const cperm_stc *like, size_t first,
                               size_t count, double *frames, size_t ld, unsigned flags,
                               cperm_err *err) {
    if (!b_lh || !b_rh)
        return cperm_fail(err, CPERM_EINVAL, "stc: read frames: NULL argument");
    if (flags & CPERM_FRAMES_SUBTRACT)
        return cperm_fail(err, CPERM_EINVAL, "stc: read frames: a difference takes "
                          "CPERM_FRAMES_ABS only, got flags 0x%x", flags);
    cperm_err ignored = {0}; /* A's argument errors: the two calls below say them */
    if (frames_args(a_lh, a_rh, like, first, count, frames, ld, flags, &ignored) || count == 0 ||
        like->n_vertices[0] + like->n_vertices[1] == 0)
        goto two_passes;
    if (stream_hemisphere(a_lh, b_lh, like, 0, 0, first, count, frames, ld, flags) !=
            STREAM_OK ||
        stream_hemisphere(a_rh, b_rh, like, 1, like->n_vertices[0], first, count, frames,
                               ld, flags) != STREAM_OK)
        goto two_passes;
    return CPERM_OK;
two_passes: /* whatever one pass declines (and every error) is the two calls' */
    {
        const int rc = cperm_stc_read_frames(a_lh, a_rh, like, first, count, frames, ld, flags,
                                             err);
        return rc ? rc
                  : cperm_stc_read_frames(b_lh, b_rh, like, first, count, frames, ld,
                                          flags | CPERM_FRAMES_SUBTRACT, err);
    }
}
