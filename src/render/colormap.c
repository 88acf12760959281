/* colormap.c - the colour tables of MNE's brain figures: matplotlib's 'hot' and 'Greys'
 * (LinearSegmentedColormap sampling), MNE's 'mne' colormap, and MNE 1.3's calculate_lut for
 * one-sided lims and for pos_lims mirrored around zero. */
#include "render_internal.h"

#include <math.h>

void cperm_cmap_segment(double *out, size_t n, const double *x, const double *y0,
                        const double *y1, size_t n_points) {
    /* matplotlib.colors._create_lookup_table (3.6): control points and samples are both
     * scaled by n - 1 before the search and the interpolation, which decides roundings. */
    if (n == 0) return;
    out[0] = y1[0];
    if (n == 1) {
        out[0] = y0[n_points - 1];
        return;
    }
    const double nm1 = (double)(n - 1), step = 1.0 / nm1;
    double xs[16];
    for (size_t j = 0; j < n_points && j < 16; j++) xs[j] = x[j] * nm1;
    for (size_t i = 1; i + 1 < n; i++) {
        const double xi = nm1 * ((double)i * step);
        size_t j = 0;
        while (j < n_points && xs[j] < xi) j++; /* np.searchsorted, side='left' */
        if (j == 0) j = 1;
        if (j >= n_points) j = n_points - 1;
        const double d = (xi - xs[j - 1]) / (xs[j] - xs[j - 1]);
        double v = d * (y0[j] - y1[j - 1]) + y1[j - 1];
        out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    out[n - 1] = y0[n_points - 1];
}

/* matplotlib 3.6's _hot_data. */
static void hot_table(double rgb[3][256]) {
    static const double rx[] = {0.0, 0.365079, 1.0}, ry[] = {0.0416, 1.0, 1.0};
    static const double gx[] = {0.0, 0.365079, 0.746032, 1.0}, gy[] = {0.0, 0.0, 1.0, 1.0};
    static const double bx[] = {0.0, 0.746032, 1.0}, by[] = {0.0, 0.0, 1.0};
    cperm_cmap_segment(rgb[0], 256, rx, ry, ry, 3);
    cperm_cmap_segment(rgb[1], 256, gx, gy, gy, 4);
    cperm_cmap_segment(rgb[2], 256, bx, by, by, 3);
}

double cperm_cmap_greys(double x) {
    /* matplotlib's _Greys_data (ColorBrewer), evenly spaced as LinearSegmentedColormap
     * .from_list places them. */
    static const double g[9] = {1.0, 0.9411764705882353, 0.8509803921568627,
                                0.7411764705882353, 0.5882352941176471, 0.45098039215686275,
                                0.3215686274509804, 0.1450980392156863, 0.0};
    double xs[9], table[256];
    for (int i = 0; i < 9; i++) xs[i] = (double)i / 8.0;
    xs[8] = 1.0;
    cperm_cmap_segment(table, 256, xs, g, g, 9);
    int idx = cperm_cmap_index(x, 0.0, 1.0);
    return table[idx < 0 ? 0 : idx];
}

int cperm_cmap_index(double v, double lo, double hi) {
    if (isnan(v)) return -1;
    /* _Overlay._norm */
    double factor = hi - lo;
    if (lo == hi) factor = lo == 0 ? 1.0 : 1e-6 * lo;
    double x = (v - lo) / factor;
    /* Colormap.__call__ with N = 256 */
    x *= 256.0;
    if (x < 0) return 0;       /* under: the first colour */
    if (x >= 256.0) return 255; /* 1.0 itself and over: the last colour */
    return (int)x;
}

/* numpy.interp(xv, arange(n), fp) for 0 <= xv <= n - 1 (arr_interp's arithmetic). */
static double interp_arange(double xv, const double *fp, size_t n) {
    if (xv <= 0) return fp[0];
    if (xv >= (double)(n - 1)) return fp[n - 1];
    size_t j = (size_t)xv;
    if ((double)j == xv) return fp[j];
    const double slope = (fp[j + 1] - fp[j]) / 1.0;
    return slope * (xv - (double)j) + fp[j];
}

/* numpy.linspace(a, b, n)[i] */
static double linspace_at(double a, double b, size_t n, size_t i) {
    if (n == 1) return a;
    if (i == n - 1) return b;
    const double step = (b - a) / (double)(n - 1);
    return (double)i * step + a;
}

/* scale_sequential_lut on an n-entry table (n = 256 or 128), written into out (truncated to
 * integers, as numpy's assignment into the int64 table does). */
static void scale_sequential(double out[4][256], double table[4][256], size_t n, double fmin,
                             double fmid, double fmax) {
    const size_t n2 = n / 2;
    size_t fmid_idx = 0;
    if (fmax != fmin) {
        double r = nearbyint((double)n * ((fmid - fmin) / (fmax - fmin))) - 1.0;
        fmid_idx = r < 0 ? 0 : r > (double)(n - 2) ? n - 2 : (size_t)r;
    }
    const size_t n_left = fmid_idx + 1, n_right = n - n_left;
    for (int c = 0; c < 4; c++) {
        for (size_t i = 0; i < n_left; i++)
            out[c][i] = trunc(interp_arange(linspace_at(0, (double)(n2 - 1), n_left, i), table[c], n));
        for (size_t i = 0; i < n_right; i++) /* linspace(n - 1, n2, n_right)[::-1] */
            out[c][n_left + i] = trunc(interp_arange(
                linspace_at((double)(n - 1), (double)n2, n_right, n_right - 1 - i), table[c], n));
    }
}

void cperm_cmap_mne_diverging(unsigned char lut[256][4], double fmin, double fmid, double fmax,
                              int transparent) {
    /* _get_cmap('mne'): mne_analyze_colormap([0, 1, 2], format='matplotlib') */
    static const double x[6] = {0.0, 0.25, 0.5, 0.5, 0.75, 1.0};
    static const double ys[4][6] = {{0, 0, 0.5, 0.5, 1, 1},
                                    {1, 0, 0.5, 0.5, 0, 1},
                                    {1, 1, 0.5, 0.5, 0, 0},
                                    {1, 1, 0, 0, 1, 1}};
    double table[4][256];
    for (int c = 0; c < 4; c++) {
        double ch[256];
        cperm_cmap_segment(ch, 256, x, ys[c], ys[c], 6);
        for (int i = 0; i < 256; i++) table[c][i] = nearbyint(ch[i] * 255.0);
    }
    if (transparent) {
        /* four quarters of 64: opaque, fading out, fading in, opaque */
        for (size_t i = 0; i < 64; i++) {
            table[3][i] = 255.0;
            table[3][64 + i] = nearbyint(linspace_at(0, 255, 64, 63 - i));
            table[3][128 + i] = nearbyint(linspace_at(0, 255, 64, i));
            table[3][192 + i] = 255.0;
        }
    }
    /* the fill colours between the halves (get_fill_colors on entries 125..130) */
    double fill_a[4], fill_b[4];
    {
        double steps[5];
        for (int k = 0; k < 5; k++) {
            double s2 = 0;
            for (int c = 0; c < 3; c++) {
                double d = table[c][126 + k] - table[c][125 + k];
                s2 += d * d;
            }
            steps[k] = sqrt(s2);
        }
        const double ref = (steps[0] + steps[4]) / 2.0 * 3.0;
        int ind = -1;
        for (int k = 1; k < 4 && ind < 0; k++)
            if (steps[k] > ref) ind = k;
        for (int c = 0; c < 4; c++) {
            fill_a[c] = ind >= 0 ? table[c][125 + ind] : table[c][125 + 3];
            fill_b[c] = ind >= 0 ? table[c][125 + ind + 1] : table[c][125 + 3];
        }
    }
    /* The table before resampling: the scaled lower half (128), n_fill fill colours, the
     * scaled upper half (128); n_fill can be large, so entries are computed, not stored. */
    double lo_s[4][256], hi_s[4][256];
    size_t n_fill = 0, n_full = 256;
    const int close = fabs(fmax - fmin) <= 1e-6 * fabs(fmin); /* np.isclose, rtol 1e-6 */
    if (!close) {
        double lo[4][256], hi_rev[4][256];
        for (int c = 0; c < 4; c++)
            for (size_t i = 0; i < 128; i++) {
                lo[c][i] = table[c][i];
                hi_rev[c][i] = table[c][255 - i];
            }
        scale_sequential(lo_s, lo, 128, -fmax, -fmid, -fmin);
        scale_sequential(hi_s, hi_rev, 128, -fmax, -fmid, -fmin);
        n_fill = (size_t)nearbyint(fmin * 128.0 / (fmax - fmin)) * 2;
        n_full = 256 + n_fill;
    }
    for (int c = 0; c < 4; c++) {
        for (size_t i = 0; i < 256; i++) {
            double v;
            if (close) { /* first entry, 254 fill colours, last entry */
                v = i == 0 ? table[c][0] : i == 255 ? table[c][255] : i <= 127 ? fill_a[c] : fill_b[c];
            } else {
                /* np.interp(linspace(1, n, 256), arange(1, n + 1), table) */
                const double xi = linspace_at(1.0, (double)n_full, 256, i) - 1.0;
                size_t j = (size_t)xi;
                if (j >= n_full - 1) j = n_full - 1;
                double e[2];
                for (int k = 0; k < 2; k++) {
                    const size_t m = j + (size_t)k < n_full ? j + (size_t)k : n_full - 1;
                    e[k] = m < 128 ? lo_s[c][m]
                         : m < 128 + n_fill ? (m - 128 < n_fill / 2 ? fill_a[c] : fill_b[c])
                                            : hi_s[c][127 - (m - 128 - n_fill)];
                }
                v = (double)j == xi || j == n_full - 1 ? e[0] : (e[1] - e[0]) * (xi - (double)j) + e[0];
            }
            lut[i][c] = (unsigned char)nearbyint((v / 255.0) * 255.0);
        }
    }
}

void cperm_cmap_mne_hot(unsigned char lut[256][4], double fmin, double fmid, double fmax,
                        int transparent) {
    double rgb[3][256];
    double table[4][256]; /* create_lut: int64 values, kept in double */
    hot_table(rgb);
    for (int i = 0; i < 256; i++) {
        for (int c = 0; c < 3; c++) table[c][i] = nearbyint(rgb[c][i] * 255.0);
        table[3][i] = 255.0;
    }
    if (transparent) {
        for (size_t i = 0; i < 128; i++) table[3][i] = nearbyint(linspace_at(0, 255, 128, i));
    }
    double out[4][256];
    scale_sequential(out, table, 256, fmin, fmid, fmax);
    /* /255 then round(* 255), as update_lut stores it */
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 256; i++) lut[i][c] = (unsigned char)nearbyint((out[c][i] / 255.0) * 255.0);
}
