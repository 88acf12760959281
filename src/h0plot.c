/* h0plot.c - the null-distribution figure: a histogram of H0 with the observed cluster
 * statistics and the critical value marked, drawn with Cairo. */
#include "render_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.percentile's default ('linear') on sorted data, with numpy's _lerp. */
static double percentile_sorted(const double *s, size_t n, double q) {
    double pos = q / 100.0 * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i >= n - 1) return s[n - 1];
    double t = pos - (double)i, a = s[i], b = s[i + 1];
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/* Ticks at 1/2/5 x 10^k steps inside [lo, hi]. */
static size_t ticks_for(double *t, size_t max, double lo, double hi, int *dec) {
    double raw = (hi - lo) / 6.0;
    if (!(raw > 0)) raw = 1;
    double mag = pow(10.0, floor(log10(raw))), step = 10 * mag;
    static const double m[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (m[i] * mag >= raw) {
            step = m[i] * mag;
            break;
        }
    int d = (int)-floor(log10(step) + 1e-9);
    *dec = d > 0 ? d : 0;
    size_t n = 0;
    for (double x = ceil(lo / step - 1e-9) * step; x <= hi + 1e-9 * step && n < max; x += step)
        t[n++] = fabs(x) < 1e-9 * step ? 0.0 : x;
    return n;
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double align) {
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    cairo_move_to(cr, x - align * te.x_advance, y);
    cairo_show_text(cr, s);
}

int cperm_plot_h0(unsigned char **out, size_t *out_len, const double *h0, size_t n_h0,
                  const double *stats, const double *pvalues, size_t n_clusters, int tail,
                  double p_thresh, int width, int height, int format, cperm_err *err) {
    if (!out || !out_len) return cperm_fail(err, CPERM_EINVAL, "h0plot: no output pointer");
    *out = NULL;
    *out_len = 0;
    if (width < 200 || height < 150 || width > 8192 || height > 8192)
        return cperm_fail(err, CPERM_EINVAL, "h0plot: size %dx%d outside 200x150..8192x8192",
                          width, height);
    if (tail < -1 || tail > 1) return cperm_fail(err, CPERM_EINVAL, "h0plot: tail %d", tail);
    if ((n_h0 && !h0) || (n_clusters && !stats))
        return cperm_fail(err, CPERM_EINVAL, "h0plot: missing H0 or statistics");
    if (format != CPERM_FORMAT_PNG && format != CPERM_FORMAT_SVG && format != CPERM_FORMAT_PDF)
        return cperm_fail(err, CPERM_EINVAL, "h0plot: unknown format %d", format);

    double *sorted = cperm_malloc(n_h0 + 1, sizeof *sorted);
    double *obs = cperm_malloc(n_clusters + 1, sizeof *obs);
    if (!sorted || !obs) {
        free(sorted);
        free(obs);
        return cperm_fail(err, CPERM_ENOMEM, "h0plot: out of memory");
    }
    size_t n_finite = 0;
    /* tail 0: MNE keeps the signed statistic of the largest |cluster| in H0 and compares
     * absolute values (_pval_from_histogram), so both are drawn as absolute values */
    for (size_t i = 0; i < n_h0; i++)
        if (isfinite(h0[i])) sorted[n_finite++] = tail == 0 ? fabs(h0[i]) : h0[i];
    qsort(sorted, n_finite, sizeof *sorted, cmp_double);
    for (size_t k = 0; k < n_clusters; k++) obs[k] = tail == 0 ? fabs(stats[k]) : stats[k];
    const double q = tail < 0 ? 5.0 : 95.0;
    const double crit = n_finite ? percentile_sorted(sorted, n_finite, q) : NAN;

    const double W = width, H = height, u = fmin(W / 800.0, H / 500.0);
    const double font = fmax(9.0, 13.0 * u);
    const double ml = 70 * u, mr = 20 * u, mt = 44 * u, mb = 56 * u;
    const double px0 = ml, px1 = W - mr, py0 = mt, py1 = H - mb;
    cperm_canvas cv;
    int rc = cperm_canvas_open(&cv, format, width, height, err);
    if (rc) {
        free(sorted);
        free(obs);
        return rc;
    }
    cairo_t *cr = cv.cr;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, font * 1.15);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, W / 2, mt * 0.55,
            tail == 0 ? "Permutation distribution of the largest |cluster statistic| (H0)"
                      : tail > 0 ? "Permutation distribution of the largest cluster statistic (H0)"
                                 : "Permutation distribution of the smallest cluster statistic (H0)",
            0.5);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, font);

    if (n_finite == 0) {
        text_at(cr, W / 2, H / 2, "No clusters were found: H0 is empty.", 0.5);
    } else {
        double lo = sorted[0], hi = sorted[n_finite - 1];
        for (size_t k = 0; k < n_clusters; k++)
            if (isfinite(obs[k])) lo = fmin(lo, obs[k]), hi = fmax(hi, obs[k]);
        if (tail >= 0 && lo > 0) lo = 0;
        if (tail < 0 && hi < 0) hi = 0;
        if (!(hi > lo)) hi = lo + 1;
        const double pad = 0.03 * (hi - lo);
        lo -= pad, hi += pad;
        /* bins over H0's own range */
        /* Freedman-Diaconis bin width (H0 holds the observed maximum too, which can lie
         * far out: a width from the bulk keeps the bulk readable), 10..200 bins */
        const double b0 = sorted[0], b1 = sorted[n_finite - 1] > b0 ? sorted[n_finite - 1] : b0 + 1;
        const double iqr = percentile_sorted(sorted, n_finite, 75) -
                           percentile_sorted(sorted, n_finite, 25);
        double nbf = iqr > 0 ? (b1 - b0) / (2.0 * iqr / cbrt((double)n_finite)) : 10.0;
        size_t nb = nbf < 10 ? 10 : nbf > 200 ? 200 : (size_t)ceil(nbf);
        size_t counts[200] = {0}, cmax = 1;
        for (size_t i = 0; i < n_finite; i++) {
            size_t b = (size_t)((sorted[i] - b0) / (b1 - b0) * (double)nb);
            if (b >= nb) b = nb - 1;
            counts[b]++;
        }
        for (size_t b = 0; b < nb; b++) cmax = counts[b] > cmax ? counts[b] : cmax;
        const double ymax = (double)cmax * 1.15;
#define XS(v) (px0 + ((v) - lo) / (hi - lo) * (px1 - px0))
#define YS(c) (py1 - (c) / ymax * (py1 - py0))
        cairo_set_source_rgb(cr, 0.30, 0.45, 0.69);
        for (size_t b = 0; b < nb; b++) {
            if (!counts[b]) continue;
            const double e0 = b0 + (b1 - b0) * (double)b / (double)nb;
            const double e1 = b0 + (b1 - b0) * (double)(b + 1) / (double)nb;
            cairo_rectangle(cr, XS(e0), YS((double)counts[b]), fmax(1.0, XS(e1) - XS(e0)),
                            py1 - YS((double)counts[b]));
        }
        cairo_fill(cr);

        /* observed statistics: grey, then significant ones in red on top */
        size_t n_sig = 0, n_other = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < n_clusters; k++) {
                const int sig = pvalues && pvalues[k] < p_thresh;
                if (sig != pass || !isfinite(obs[k])) continue;
                if (pass) cairo_set_source_rgb(cr, 0.84, 0.15, 0.16), n_sig++;
                else cairo_set_source_rgba(cr, 0.45, 0.45, 0.45, 0.6), n_other++;
                cairo_set_line_width(cr, (pass ? 2.2 : 0.8) * u);
                cairo_move_to(cr, XS(obs[k]), py1);
                cairo_line_to(cr, XS(obs[k]), py0 + (pass ? 0.12 : 0.6) * (py1 - py0));
                cairo_stroke(cr);
                if (pass && n_sig <= 6) {
                    char pl[48];
                    snprintf(pl, sizeof pl, "p=%.3g", pvalues[k]);
                    text_at(cr, XS(obs[k]), py0 + 0.1 * (py1 - py0) - (double)((n_sig - 1) % 3) * font * 1.1,
                            pl, XS(obs[k]) > (px0 + px1) / 2 ? 1.0 : 0.0);
                }
            }
        }
        /* critical value */
        const double dash[2] = {6 * u, 4 * u};
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1.6 * u);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, XS(crit), py1);
        cairo_line_to(cr, XS(crit), py0);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);

        /* axes */
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1.0 * u);
        cairo_move_to(cr, px0, py0);
        cairo_line_to(cr, px0, py1);
        cairo_line_to(cr, px1, py1);
        cairo_stroke(cr);
        double t[32];
        int dec = 0;
        size_t nt = ticks_for(t, 32, lo, hi, &dec);
        char s[96];
        for (size_t i = 0; i < nt; i++) {
            cairo_move_to(cr, XS(t[i]), py1);
            cairo_line_to(cr, XS(t[i]), py1 + 5 * u);
            cairo_stroke(cr);
            snprintf(s, sizeof s, "%.*f", dec, t[i]);
            text_at(cr, XS(t[i]), py1 + 7 * u + font, s, 0.5);
        }
        nt = ticks_for(t, 32, 0, ymax, &dec);
        for (size_t i = 0; i < nt; i++) {
            if (t[i] != floor(t[i])) continue;
            cairo_move_to(cr, px0, YS(t[i]));
            cairo_line_to(cr, px0 - 5 * u, YS(t[i]));
            cairo_stroke(cr);
            snprintf(s, sizeof s, "%.0f", t[i]);
            text_at(cr, px0 - 8 * u, YS(t[i]) + font * 0.35, s, 1.0);
        }
        text_at(cr, (px0 + px1) / 2, H - 12 * u,
                tail == 0 ? "|cluster statistic|" : "cluster statistic", 0.5);
        cairo_save(cr);
        cairo_translate(cr, 16 * u, (py0 + py1) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, "permutations", 0.5);
        cairo_restore(cr);

        /* legend, top right */
        /* legend: top right, or top left of the middle when lines run through that spot */
        double lx = px1 - 250 * u;
        const double ly = py0 + 0.16 * (py1 - py0), lh = font * 1.45;
        for (size_t k = 0; k < n_clusters; k++)
            if (isfinite(obs[k]) && XS(obs[k]) > lx - 12 * u && XS(obs[k]) < px1 &&
                pvalues && pvalues[k] < p_thresh)
                lx = px0 + 0.38 * (px1 - px0);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_rectangle(cr, lx - 8 * u, ly - 2 * u, 250 * u, 4 * lh + 4 * u);
        cairo_fill(cr);
        const char *labels[4];
        char l0[96], l1[96], l2[96], l3[96];
        snprintf(l0, sizeof l0, "H0: %zu permutations", n_finite);
        snprintf(l1, sizeof l1, "%s percentile of H0: %.4g", tail < 0 ? "5th" : "95th", crit);
        snprintf(l2, sizeof l2, "clusters with p < %g: %zu", p_thresh, n_sig);
        snprintf(l3, sizeof l3, "other clusters: %zu", n_other);
        labels[0] = l0, labels[1] = l1, labels[2] = l2, labels[3] = l3;
        for (int i = 0; i < 4; i++) {
            const double y = ly + lh * (i + 0.5);
            if (i == 0) {
                cairo_set_source_rgb(cr, 0.30, 0.45, 0.69);
                cairo_rectangle(cr, lx, y - 0.35 * font, 22 * u, 0.7 * font);
                cairo_fill(cr);
            } else {
                if (i == 1) cairo_set_source_rgb(cr, 0, 0, 0), cairo_set_dash(cr, dash, 2, 0);
                else if (i == 2) cairo_set_source_rgb(cr, 0.84, 0.15, 0.16);
                else cairo_set_source_rgba(cr, 0.45, 0.45, 0.45, 0.6);
                cairo_set_line_width(cr, (i == 2 ? 2.2 : 1.6) * u);
                cairo_move_to(cr, lx, y);
                cairo_line_to(cr, lx + 22 * u, y);
                cairo_stroke(cr);
                cairo_set_dash(cr, NULL, 0, 0);
            }
            cairo_set_source_rgb(cr, 0, 0, 0);
            text_at(cr, lx + 30 * u, y + 0.35 * font, labels[i], 0.0);
        }
#undef XS
#undef YS
    }
    rc = cperm_canvas_close(&cv, out, out_len, err);
    free(sorted);
    free(obs);
    return rc;
}
