/* colormap.c - the colour tables of MNE's brain figures: matplotlib's 'hot' and 'Greys'
 * (LinearSegmentedColormap sampling) and MNE 1.3's calculate_lut for one-sided lims. */
#include "render_internal.h"

#include <math.h>

void cperm_cmap_segment(double *out, size_t n, const double *x, const double *y0,
                        const double *y1, size_t n_points) {
    /* matplotlib.colors._makeMappingArray: xind = linspace(0, 1, n); interior samples
     * interpolate between the control points that bracket them (searchsorted left). */
    if (n == 0) return;
    out[0] = y1[0];
    if (n == 1) return;
    const double step = 1.0 / (double)(n - 1);
    for (size_t i = 1; i + 1 < n; i++) {
        const double xi = (double)i * step;
        size_t j = 0;
        while (j < n_points && x[j] < xi) j++;
        if (j == 0) j = 1;
        if (j >= n_points) j = n_points - 1;
        const double d = (xi - x[j - 1]) / (x[j] - x[j - 1]);
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
    /* scale_sequential_lut */
    size_t fmid_idx = 0;
    if (fmax != fmin) {
        double r = nearbyint(256.0 * ((fmid - fmin) / (fmax - fmin))) - 1.0;
        fmid_idx = r < 0 ? 0 : r > 254 ? 254 : (size_t)r;
    }
    const size_t n_left = fmid_idx + 1, n_right = 256 - n_left;
    for (int c = 0; c < 4; c++) {
        double out[256];
        for (size_t i = 0; i < n_left; i++)
            out[i] = interp_arange(linspace_at(0, 127, n_left, i), table[c], 256);
        for (size_t i = 0; i < n_right; i++) /* linspace(255, 128, n_right)[::-1] */
            out[n_left + i] =
                interp_arange(linspace_at(255, 128, n_right, n_right - 1 - i), table[c], 256);
        /* assignment into the int64 table truncates; /255 then round(*255) restores it */
        for (int i = 0; i < 256; i++) {
            double t = trunc(out[i]);
            lut[i][c] = (unsigned char)nearbyint((t / 255.0) * 255.0);
        }
    }
}
