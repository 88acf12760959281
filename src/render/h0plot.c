/* h0plot.c - the null-distribution figure: a histogram of H0 with the observed statistics
 * and the critical value marked. Observed values far beyond H0 sit in a strip past an axis
 * break, so that H0 keeps the axis; no two texts overlap (labels without room are counted
 * as "+N more"). Drawn with Cairo. */
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

/* ------------------------------------------------------------------ texts */

static int box_free(const cperm_h0plot_layout *lay, const cperm_box *b) {
    for (size_t i = 0; i < lay->n_boxes; i++)
        if (cperm_box_overlap(&lay->box[i], b)) return 0;
    return 1;
}

/* The same with `pad` of room on either side, so that neighbours do not run together. */
static int box_free_pad(const cperm_h0plot_layout *lay, const cperm_box *b, double pad) {
    const cperm_box w = {b->x0 - pad, b->y0, b->x1 + pad, b->y1};
    return box_free(lay, &w);
}

static int box_add(cperm_h0plot_layout *lay, const cperm_box *b) {
    if (lay->n_boxes >= CPERM_H0PLOT_MAX_BOXES) return 0;
    lay->box[lay->n_boxes++] = *b;
    return 1;
}

/* Draws t when it is free and there is room to record it; returns whether it was drawn. */
static int text_place(cairo_t *cr, cperm_h0plot_layout *lay, const cperm_text *t,
                      const char *s) {
    if (!box_free(lay, &t->b) || !box_add(lay, &t->b)) return 0;
    cairo_move_to(cr, t->b.x0, t->base);
    cairo_show_text(cr, s);
    return 1;
}

static int inside(const cperm_box *b, double x0, double x1, double y0, double y1) {
    return b->x0 >= x0 && b->x1 <= x1 && b->y0 >= y0 && b->y1 <= y1;
}

/* ------------------------------------------------------------------ the figure */

typedef struct obs_item {
    double e;   /* extremeness: the statistic, its magnitude (tail 0) or negative (tail -1) */
    double x;   /* the value to print */
    double p;   /* NaN without p-values */
    int sig;
} obs_item;

/* A strip row's text: the value, and its p when there are p-values. */
static void obs_text(char *buf, size_t n, const obs_item *o) {
    if (isnan(o->p)) snprintf(buf, n, "%.6g", o->x);
    else snprintf(buf, n, "%.6g  p=%.3g", o->x, o->p);
}

static int cmp_obs_desc(const void *a, const void *b) {
    const obs_item *x = a, *y = b;
    return x->e > y->e ? -1 : x->e < y->e;
}

#define RED 0.84, 0.15, 0.16
#define BLUE 0.30, 0.45, 0.69

/* What every part of the figure needs: the drawing, the layout being filled, the plot
 * area and the main axis's mapping. "e" is extremeness: the statistic, its magnitude
 * (tail 0) or its negative (tail -1), so that larger is always further from the null; the
 * whole plot is mirrored for tail -1, so that values still grow to the right. */
typedef struct h0ctx {
    cairo_t *cr;
    cperm_h0plot_layout *lay;
    int tail;
    double sgn;               /* -1 for tail -1: the printed value is sgn * e */
    double u, font, row_h;
    double px0, px1, py0, py1; /* the plot area */
    double pxm;               /* the main axis ends here (before mirroring) */
    double strip_w, arrow, gap;
    double ax_lo, ax_hi;      /* the main axis's range of e */
    double main_l, main_r;    /* the main axis on the figure */
    double zone;              /* the bottom of the texts at the top of the plot */
    double ymax;              /* the count at the top of the plot */
} h0ctx;

static double mirror(const h0ctx *c, double x) {
    return c->tail < 0 ? c->px0 + c->px1 - x : x;
}
static double x_of(const h0ctx *c, double e) {
    return mirror(c, c->px0 + (e - c->ax_lo) / (c->ax_hi - c->ax_lo) * (c->pxm - c->px0));
}
static double y_of(const h0ctx *c, double count) {
    return c->py1 - count / c->ymax * (c->py1 - c->py0);
}

/* The main axis: H0 and its critical value always; observed values and H0's own far tail
 * (H0[0] is the observed maximum) only while H0's bulk (to its 99th percentile) keeps 30%
 * of the axis. Anything further goes past a break. Returns how many H0 values (sorted e)
 * lie on the axis. */
static size_t axis_range(h0ctx *c, const double *e, size_t n, double crit_e,
                         const obs_item *ob, size_t n_obs) {
    double lo = fmin(0.0, e[0]), hi = fmax(e[n - 1], crit_e);
    for (size_t k = 0; k < n_obs; k++) lo = fmin(lo, ob[k].e), hi = fmax(hi, ob[k].e);
    double core_hi = fmax(crit_e, percentile_sorted(e, n, 99));
    if (!(core_hi > lo)) core_hi = lo + 1;
    hi = fmax(hi, core_hi);
    if ((core_hi - lo) < 0.3 * (hi - lo)) {
        const double limit = lo + (core_hi - lo) / 0.3;
        c->lay->broken = 1;
        hi = crit_e;
        for (size_t i = 0; i < n; i++)
            if (e[i] <= limit) hi = fmax(hi, e[i]);
        for (size_t k = 0; k < n_obs; k++)
            if (ob[k].e <= limit) hi = fmax(hi, ob[k].e);
    }
    if (!(hi > lo)) hi = lo + 1;
    const double pad = 0.03 * (hi - lo);
    c->ax_lo = lo - pad, c->ax_hi = hi + pad;
    c->lay->axis_lo = c->tail < 0 ? -c->ax_hi : c->ax_lo;
    c->lay->axis_hi = c->tail < 0 ? -c->ax_lo : c->ax_hi;
    size_t n_in = n;
    while (n_in > 1 && e[n_in - 1] > hi) n_in--;
    c->lay->n_h0_beyond = n - n_in;
    return n_in;
}

/* The strip past the break, wide enough for its longest text, and the screen extents of
 * the main axis. */
static void layout_strip(h0ctx *c, const obs_item *ob, size_t n_far) {
    char s[96];
    c->arrow = 12 * c->u, c->gap = 16 * c->u, c->strip_w = 0;
    const double pw = c->px1 - c->px0;
    if (c->lay->broken) {
        double wmax = 0;
        for (size_t k = 0; k < n_far; k++) {
            cairo_text_extents_t te;
            obs_text(s, sizeof s, &ob[k]);
            cairo_text_extents(c->cr, s, &te);
            wmax = fmax(wmax, te.x_advance);
        }
        c->strip_w = fmin(fmax(wmax + c->arrow + 10 * c->u, 0.16 * pw), 0.4 * pw);
    }
    c->pxm = c->lay->broken ? c->px1 - c->strip_w - c->gap : c->px1;
    c->main_l = fmin(mirror(c, c->px0), mirror(c, c->pxm));
    c->main_r = fmax(mirror(c, c->px0), mirror(c, c->pxm));
    if (c->lay->broken) {
        const double a = mirror(c, c->px1 - c->strip_w), b = mirror(c, c->px1);
        c->lay->strip = (cperm_box){fmin(a, b), c->py0, fmax(a, b), c->py1};
    }
}

/* The x axis's label below it and "permutations" rotated along the y axis. */
static void place_axis_labels(h0ctx *c, const char *what, double H) {
    char s[96];
    snprintf(s, sizeof s, "%s%s%s", c->tail == 0 ? "|" : "", what, c->tail == 0 ? "|" : "");
    cperm_text t = cperm_text_make(c->cr, (c->main_l + c->main_r) / 2, H - 12 * c->u, s, 0.5);
    text_place(c->cr, c->lay, &t, s);
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_text_extents(c->cr, "permutations", &te);
    cairo_font_extents(c->cr, &fe);
    const double cx = 16 * c->u, cy = (c->py0 + c->py1) / 2;
    const cperm_box b = {cx - fe.ascent, cy - te.x_advance / 2, cx + fe.descent,
                         cy + te.x_advance / 2};
    if (box_free(c->lay, &b) && box_add(c->lay, &b)) {
        cairo_save(c->cr);
        cairo_translate(c->cr, cx, cy);
        cairo_rotate(c->cr, -M_PI / 2);
        cairo_move_to(c->cr, -te.x_advance / 2, 0);
        cairo_show_text(c->cr, "permutations");
        cairo_restore(c->cr);
    }
}

typedef struct legend {
    char line[4][120];
    size_t n;
    int red;                /* the third line's key is red (a significant value) */
    cperm_box box;
} legend;

/* The legend's box at the top of the main axis, where the fewest observed lines run
 * (significant ones count four times); ties: the right end, away from H0's bulk. */
static void place_legend(h0ctx *c, legend *lg, const obs_item *ob, size_t n_far, size_t n_obs) {
    double lw = 0;
    for (size_t i = 0; i < lg->n; i++) {
        cairo_text_extents_t te;
        cairo_text_extents(c->cr, lg->line[i], &te);
        lw = fmax(lw, te.x_advance);
    }
    const double u = c->u;
    lw += 42 * u;
    const double h = (double)lg->n * 1.45 * c->font + 4 * u;
    const double cand[3] = {c->main_r - lw - 4 * u, c->main_l + 8 * u,
                            (c->main_l + c->main_r - lw) / 2};
    size_t best = 0, best_score = SIZE_MAX;
    for (size_t i = 0; i < 3; i++) {
        size_t score = 0;
        for (size_t k = n_far; k < n_obs; k++) {
            const double x = x_of(c, ob[k].e);
            score += (ob[k].sig ? 4u : 1u) * (x > cand[i] - 4 * u && x < cand[i] + lw + 4 * u);
        }
        if (score < best_score) best = i, best_score = score;
    }
    lg->box = (cperm_box){cand[best], c->py0 + 4 * u, cand[best] + lw, c->py0 + 4 * u + h};
    box_add(c->lay, &lg->box);
}

typedef struct row_text {
    cperm_text t;
    char s[96];
    int sig, arrow;
} row_text;
#define MAX_ROWS 64

/* The strip's rows: an arrow and the value (and p) of each observed value past the break,
 * the most extreme first, then "+N more" when they do not all fit; and "off scale" below
 * the strip's axis. Returns the number of rows. */
static size_t place_strip(h0ctx *c, row_text *rows, const obs_item *ob, size_t n_far) {
    cperm_h0plot_layout *lay = c->lay;
    size_t n_rows = 0;
    if (!lay->broken) return 0;
    size_t cap = (size_t)fmax(1.0, floor((c->py1 - c->py0 - 8 * c->u) / c->row_h));
    if (cap > MAX_ROWS) cap = MAX_ROWS;
    const size_t shown = n_far <= cap ? n_far : cap - 1;
    for (size_t k = 0; k < shown + (n_far > shown); k++) {
        row_text *r = &rows[n_rows];
        const double base = c->py0 + 4 * c->u + c->font + (double)k * c->row_h;
        if (k < shown) obs_text(r->s, sizeof r->s, &ob[k]);
        else snprintf(r->s, sizeof r->s, "+%zu more", n_far - shown);
        const double x = mirror(c, c->px1 - c->strip_w + c->arrow + 4 * c->u);
        r->t = cperm_text_make(c->cr, x, base, r->s, c->tail < 0 ? 1.0 : 0.0);
        r->sig = k < shown && ob[k].sig;
        r->arrow = k < shown;
        if (!box_free(lay, &r->t.b) || !box_add(lay, &r->t.b)) continue;
        n_rows++;
        if (k < shown) lay->n_beyond++, lay->n_labelled++;
        else lay->n_dropped += n_far - shown;
    }
    cperm_text t = cperm_text_make(c->cr, (lay->strip.x0 + lay->strip.x1) / 2,
                       c->py1 + 7 * c->u + c->font, "off scale", 0.5);
    text_place(c->cr, lay, &t, "off scale");
    return n_rows;
}

/* The p labels of the significant lines on the main axis, stacked in rows from the top of
 * the plot, each in the first row where it touches nothing; one that finds no free row is
 * dropped. When any is, the placing is redone with room kept below the legend for the
 * "+N more p labels" note (*more). Returns the number dropped. */
static size_t place_plabels(h0ctx *c, cperm_text *plabel, int *plabelled, const obs_item *ob,
                            size_t n_far, size_t n_obs, const legend *lg, cperm_text *more) {
    const size_t n_prow = (size_t)fmax(1.0, floor(0.45 * (c->py1 - c->py0) / c->row_h));
    const size_t boxes_before = c->lay->n_boxes;
    const double u = c->u;
    size_t dropped = 0;
    char s[64];
    for (int pass = 0; pass < 2; pass++) {
        c->lay->n_boxes = boxes_before;
        dropped = 0;
        if (pass == 1) {
            snprintf(s, sizeof s, "+%zu more p labels", n_obs);
            *more = cperm_text_make(c->cr, lg->box.x0, lg->box.y1 + 2 * u + c->font, s, 0.0);
            box_add(c->lay, &more->b);
        }
        for (size_t k = n_far; k < n_obs; k++) {
            plabelled[k] = 0;
            if (!ob[k].sig || isnan(ob[k].p)) continue;
            const double x = x_of(c, ob[k].e);
            const int right = x > (c->main_l + c->main_r) / 2;
            snprintf(s, sizeof s, "p=%.3g", ob[k].p);
            for (size_t r = 0; r < n_prow && !plabelled[k]; r++) {
                cperm_text t = cperm_text_make(c->cr, right ? x - 3 * u : x + 3 * u,
                                   c->py0 + 4 * u + c->font + (double)r * c->row_h, s,
                                   right ? 1.0 : 0.0);
                if (!inside(&t.b, c->main_l, c->main_r, c->py0, c->py1) ||
                    !box_free_pad(c->lay, &t.b, 4 * u) || !box_add(c->lay, &t.b))
                    continue;
                plabel[k] = t;
                plabelled[k] = 1;
            }
            dropped += !plabelled[k];
        }
        if (!dropped) break;
    }
    /* the bars stay below everything placed at the top of the plot */
    c->zone = fmax(c->py0, lg->box.y1);
    for (size_t i = boxes_before; i < c->lay->n_boxes; i++)
        c->zone = fmax(c->zone, c->lay->box[i].y1);
    return dropped;
}

/* The histogram of the H0 values on the axis (Freedman-Diaconis bins over them, 10..200),
 * scaled so that the tallest bar stays below the texts at the top. */
static void draw_histogram(h0ctx *c, const double *e, size_t n_in) {
    const double b0 = e[0], b1 = e[n_in - 1] > b0 ? e[n_in - 1] : b0 + 1;
    const double iqr = percentile_sorted(e, n_in, 75) - percentile_sorted(e, n_in, 25);
    const double nbf = iqr > 0 ? (b1 - b0) / (2.0 * iqr / cbrt((double)n_in)) : 10.0;
    const size_t nb = nbf < 10 ? 10 : nbf > 200 ? 200 : (size_t)ceil(nbf);
    size_t counts[200] = {0}, cmax = 1;
    for (size_t i = 0; i < n_in; i++) {
        size_t b = (size_t)((e[i] - b0) / (b1 - b0) * (double)nb);
        if (b >= nb) b = nb - 1;
        counts[b]++;
    }
    c->lay->n_bins = nb;
    for (size_t b = 0; b < nb; b++) {
        cmax = counts[b] > cmax ? counts[b] : cmax;
        c->lay->n_bins_filled += counts[b] > 0;
    }
    const double free_frac = fmax(0.3, 1.0 - (c->zone - c->py0) / (c->py1 - c->py0) - 0.04);
    c->ymax = (double)cmax / free_frac;
    cairo_set_source_rgb(c->cr, BLUE);
    for (size_t b = 0; b < nb; b++) {
        if (!counts[b]) continue;
        const double x0 = x_of(c, b0 + (b1 - b0) * (double)b / (double)nb);
        const double x1 = x_of(c, b0 + (b1 - b0) * (double)(b + 1) / (double)nb);
        const double y = y_of(c, (double)counts[b]);
        cairo_rectangle(c->cr, fmin(x0, x1), y, fmax(1.0, fabs(x1 - x0)), c->py1 - y);
    }
    cairo_fill(c->cr);
}

/* The critical value (dashed), the observed statistics on the axis (grey, then the
 * significant ones red, up to their labels), then the labels on a light backing, as other
 * clusters' lines may run through their rows. */
static void draw_lines(h0ctx *c, double crit_e, const obs_item *ob, size_t n_far, size_t n_obs,
                       const cperm_text *plabel, const int *plabelled) {
    cairo_t *cr = c->cr;
    const double u = c->u, dash[2] = {6 * u, 4 * u};
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.6 * u);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, x_of(c, crit_e), c->py1);
    cairo_line_to(cr, x_of(c, crit_e), c->zone + 2 * u);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = n_far; k < n_obs; k++) {
            if (ob[k].sig != pass) continue;
            double top = pass ? c->zone + 2 * u
                              : fmax(c->zone + 2 * u, c->py0 + 0.6 * (c->py1 - c->py0));
            if (plabelled[k]) top = plabel[k].b.y1;
            if (pass) cairo_set_source_rgb(cr, RED);
            else cairo_set_source_rgba(cr, 0.45, 0.45, 0.45, 0.6);
            cairo_set_line_width(cr, (pass ? 2.2 : 0.8) * u);
            cairo_move_to(cr, x_of(c, ob[k].e), c->py1);
            cairo_line_to(cr, x_of(c, ob[k].e), top);
            cairo_stroke(cr);
            c->lay->n_lines++;
        }
    char s[64];
    for (size_t k = n_far; k < n_obs; k++) {
        if (!plabelled[k]) continue;
        const cperm_box *b = &plabel[k].b;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_rectangle(cr, b->x0, b->y0, b->x1 - b->x0, b->y1 - b->y0);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, RED);
        cairo_move_to(cr, b->x0, plabel[k].base);
        snprintf(s, sizeof s, "p=%.3g", ob[k].p);
        cairo_show_text(cr, s);
        c->lay->n_labelled++;
    }
}

/* The strip: a line standing for the values off scale (red when one is significant), an
 * arrow from it, pointing away from the axis, to each row. */
static void draw_strip(h0ctx *c, const row_text *rows, size_t n_rows) {
    cairo_t *cr = c->cr;
    const double ax = c->px1 - c->strip_w;
    if (n_rows && rows[0].arrow) {
        int any_sig = 0;
        for (size_t i = 0; i < n_rows; i++) any_sig |= rows[i].sig;
        if (any_sig) cairo_set_source_rgb(cr, RED);
        else cairo_set_source_rgb(cr, 0.40, 0.40, 0.40);
        cairo_set_line_width(cr, 2.2 * c->u);
        cairo_move_to(cr, mirror(c, ax), c->py1);
        cairo_line_to(cr, mirror(c, ax), rows[0].t.base - 0.75 * c->font);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < n_rows; i++) {
        const row_text *r = &rows[i];
        if (r->sig) cairo_set_source_rgb(cr, RED);
        else if (r->arrow) cairo_set_source_rgb(cr, 0.40, 0.40, 0.40);
        else cairo_set_source_rgb(cr, 0, 0, 0);
        if (r->arrow) {
            const double yc = r->t.base - 0.35 * c->font;
            cairo_move_to(cr, mirror(c, ax), yc - 0.4 * c->font);
            cairo_line_to(cr, mirror(c, ax + c->arrow), yc);
            cairo_line_to(cr, mirror(c, ax), yc + 0.4 * c->font);
            cairo_close_path(cr);
            cairo_fill(cr);
        }
        cairo_move_to(cr, r->t.b.x0, r->t.base);
        cairo_show_text(cr, r->s);
    }
}

/* Axes: y along the left edge; x along the main axis and the strip with "//" between;
 * ticks (fewer when their labels would come within 8 u of each other) with labels. */
static void draw_axes(h0ctx *c) {
    cairo_t *cr = c->cr;
    const double u = c->u;
    char s[64];
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0 * u);
    cairo_move_to(cr, c->px0, c->py0);
    cairo_line_to(cr, c->px0, c->py1);
    cairo_stroke(cr);
    cairo_move_to(cr, mirror(c, c->px0), c->py1);
    cairo_line_to(cr, mirror(c, c->pxm), c->py1);
    cairo_stroke(cr);
    if (c->lay->broken) {
        cairo_move_to(cr, mirror(c, c->px1 - c->strip_w), c->py1);
        cairo_line_to(cr, mirror(c, c->px1), c->py1);
        cairo_stroke(cr);
        for (int k = 0; k < 2; k++) {
            const double x = mirror(c, c->pxm + c->gap * (0.3 + 0.4 * k));
            cairo_move_to(cr, x - 3 * u, c->py1 + 6 * u);
            cairo_line_to(cr, x + 3 * u, c->py1 - 6 * u);
            cairo_stroke(cr);
        }
    }
    double tk[32];
    int dec = 0;
    size_t nt = 0;
    const double base = c->py1 + 7 * u + c->font;
    for (double target = 6; target >= 2; target -= 2) {
        nt = cperm_nice_ticks(tk, 32, c->ax_lo, c->ax_hi, target, 0, &dec);
        int clash = 0;
        cperm_box prev = {0, 0, 0, 0};
        for (size_t i = 0; i < nt; i++) {
            snprintf(s, sizeof s, "%.*f", dec, c->sgn * tk[i] + 0.0);
            cperm_text t = cperm_text_make(cr, x_of(c, tk[i]), base, s, 0.5);
            const cperm_box wide = {t.b.x0 - 4 * u, t.b.y0, t.b.x1 + 4 * u, t.b.y1};
            clash |= i && cperm_box_overlap(&wide, &prev);
            prev = t.b;
        }
        if (!clash) break;
    }
    for (size_t i = 0; i < nt; i++) {
        cairo_move_to(cr, x_of(c, tk[i]), c->py1);
        cairo_line_to(cr, x_of(c, tk[i]), c->py1 + 5 * u);
        cairo_stroke(cr);
        snprintf(s, sizeof s, "%.*f", dec, c->sgn * tk[i] + 0.0);
        cperm_text t = cperm_text_make(cr, x_of(c, tk[i]), base, s, 0.5);
        text_place(cr, c->lay, &t, s);
    }
    nt = cperm_nice_ticks(tk, 32, 0, c->ymax, 6, 0, &dec);
    for (size_t i = 0; i < nt; i++) {
        if (tk[i] != floor(tk[i])) continue;
        cairo_move_to(cr, c->px0, y_of(c, tk[i]));
        cairo_line_to(cr, c->px0 - 5 * u, y_of(c, tk[i]));
        cairo_stroke(cr);
        snprintf(s, sizeof s, "%.0f", tk[i]);
        cperm_text t =
            cperm_text_make(cr, c->px0 - 8 * u, y_of(c, tk[i]) + c->font * 0.35, s, 1.0);
        text_place(cr, c->lay, &t, s);
    }
}

/* The legend's contents over a light backing: a key (bar, dashed line, red or grey line)
 * and a line of text each. */
static void draw_legend(h0ctx *c, const legend *lg) {
    cairo_t *cr = c->cr;
    const double u = c->u, lh = 1.45 * c->font, dash[2] = {6 * u, 4 * u};
    const cperm_box *b = &lg->box;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, b->x0, b->y0, b->x1 - b->x0, b->y1 - b->y0);
    cairo_fill(cr);
    for (size_t i = 0; i < lg->n; i++) {
        const double lx = b->x0 + 8 * u, y = b->y0 + 2 * u + lh * ((double)i + 0.5);
        if (i == 0) {
            cairo_set_source_rgb(cr, BLUE);
            cairo_rectangle(cr, lx, y - 0.35 * c->font, 22 * u, 0.7 * c->font);
            cairo_fill(cr);
        } else {
            if (i == 1) cairo_set_source_rgb(cr, 0, 0, 0), cairo_set_dash(cr, dash, 2, 0);
            else if (i == 2 && lg->red) cairo_set_source_rgb(cr, RED);
            else cairo_set_source_rgba(cr, 0.45, 0.45, 0.45, 0.6);
            cairo_set_line_width(cr, (i == 2 ? 2.2 : 1.6) * u);
            cairo_move_to(cr, lx, y);
            cairo_line_to(cr, lx + 22 * u, y);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, lx + 30 * u, y + 0.35 * c->font);
        cairo_show_text(cr, lg->line[i]);
    }
}

int cperm_plot_h0_layout(unsigned char **out, size_t *out_len, const double *h0, size_t n_h0,
                         const double *stats, const double *pvalues, size_t n_clusters, int tail,
                         double p_thresh, int kind, int width, int height, int format,
                         cperm_h0plot_layout *layout, cperm_err *err) {
    if (!out || !out_len) return cperm_fail(err, CPERM_EINVAL, "h0plot: no output pointer");
    *out = NULL;
    *out_len = 0;
    if (width < 200 || height < 150 || width > 8192 || height > 8192)
        return cperm_fail(err, CPERM_EINVAL, "h0plot: size %dx%d outside 200x150..8192x8192",
                          width, height);
    if (tail < -1 || tail > 1) return cperm_fail(err, CPERM_EINVAL, "h0plot: tail %d", tail);
    if (kind != CPERM_H0_CLUSTERS && kind != CPERM_H0_TFCE)
        return cperm_fail(err, CPERM_EINVAL, "h0plot: kind %d", kind);
    if ((n_h0 && !h0) || (n_clusters && !stats))
        return cperm_fail(err, CPERM_EINVAL, "h0plot: missing H0 or statistics");
    if (format != CPERM_FORMAT_PNG && format != CPERM_FORMAT_SVG && format != CPERM_FORMAT_PDF)
        return cperm_fail(err, CPERM_EINVAL, "h0plot: unknown format %d", format);

    cperm_h0plot_layout local;
    h0ctx c;
    memset(&c, 0, sizeof c);
    c.lay = layout ? layout : &local;
    memset(c.lay, 0, sizeof *c.lay);
    c.tail = tail;
    c.sgn = tail < 0 ? -1.0 : 1.0;
    double *e = cperm_malloc(n_h0 + 1, sizeof *e);
    obs_item *ob = cperm_malloc(n_clusters + 1, sizeof *ob);
    cperm_text *plabel = cperm_malloc(n_clusters + 1, sizeof *plabel);
    int *plabelled = calloc(n_clusters + 1, sizeof *plabelled);
    row_text *rows = cperm_malloc(MAX_ROWS, sizeof *rows);
    cperm_canvas cv;
    int rc = CPERM_OK, cv_open = 0;
    if (!e || !ob || !plabel || !plabelled || !rows) {
        rc = cperm_fail(err, CPERM_ENOMEM, "h0plot: out of memory");
        goto cleanup;
    }
    /* tail 0: MNE keeps the signed statistic of the largest |cluster| in H0 and compares
     * absolute values (_pval_from_histogram), so both are drawn as absolute values */
    size_t n = 0, n_obs = 0, n_sig = 0;
    for (size_t i = 0; i < n_h0; i++)
        if (isfinite(h0[i])) e[n++] = tail == 0 ? fabs(h0[i]) : h0[i];
    qsort(e, n, sizeof *e, cmp_double);
    const double crit = n ? percentile_sorted(e, n, tail < 0 ? 5.0 : 95.0) : NAN;
    if (tail < 0) { /* to extremeness: reversed and negated, still ascending */
        for (size_t i = 0; i < n / 2; i++) {
            const double t = e[i];
            e[i] = -e[n - 1 - i], e[n - 1 - i] = -t;
        }
        if (n % 2) e[n / 2] = -e[n / 2];
    }
    for (size_t k = 0; k < n_clusters; k++) {
        const double x = tail == 0 ? fabs(stats[k]) : stats[k];
        if (!isfinite(x)) continue;
        obs_item *o = &ob[n_obs++];
        o->x = x, o->e = c.sgn * x;
        o->p = pvalues ? pvalues[k] : NAN;
        o->sig = pvalues && pvalues[k] < p_thresh;
        n_sig += (size_t)o->sig;
    }
    qsort(ob, n_obs, sizeof *ob, cmp_obs_desc);

    const double W = width, H = height;
    c.u = fmin(W / 800.0, H / 500.0);
    c.font = fmax(9.0, 13.0 * c.u);
    c.row_h = 1.35 * c.font; /* more than a line's ascent + descent */
    c.px0 = 70 * c.u, c.px1 = W - 20 * c.u, c.py0 = 44 * c.u, c.py1 = H - 56 * c.u;
    c.lay->plot = (cperm_box){c.px0, c.py0, c.px1, c.py1};
    rc = cperm_canvas_open(&cv, format, width, height, err);
    if (rc) goto cleanup;
    cv_open = 1;
    cairo_t *cr = c.cr = cv.cr;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    const char *what = kind == CPERM_H0_TFCE ? "TFCE score" : "cluster statistic";
    char s[160];
    snprintf(s, sizeof s, "Permutation distribution of the %s %s%s%s (H0)",
             tail < 0 ? "smallest" : "largest", tail == 0 ? "|" : "", what, tail == 0 ? "|" : "");
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, c.font * 1.15);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cperm_text t = cperm_text_make(cr, W / 2, c.py0 * 0.55, s, 0.5);
    text_place(cr, c.lay, &t, s);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, c.font);
    if (n == 0) {
        snprintf(s, sizeof s, "%s: H0 is empty.", kind == CPERM_H0_TFCE
                                                      ? "No permutations were run"
                                                      : "No clusters were found");
        t = cperm_text_make(cr, W / 2, H / 2, s, 0.5);
        text_place(cr, c.lay, &t, s);
    } else {
        const size_t n_in = axis_range(&c, e, n, c.sgn * crit, ob, n_obs);
        size_t n_far = 0; /* ob is sorted by e, descending: the far ones first */
        while (n_far < n_obs && ob[n_far].e > c.ax_hi) n_far++;
        layout_strip(&c, ob, n_far);
        place_axis_labels(&c, what, H);

        legend lg;
        memset(&lg, 0, sizeof lg);
        if (c.lay->n_h0_beyond)
            snprintf(lg.line[0], sizeof lg.line[0], "H0: %zu permutations (%zu past the break)",
                     n, c.lay->n_h0_beyond);
        else
            snprintf(lg.line[0], sizeof lg.line[0], "H0: %zu permutations", n);
        snprintf(lg.line[1], sizeof lg.line[1], "%s percentile of H0: %.4g",
                 tail < 0 ? "5th" : "95th", crit);
        if (kind == CPERM_H0_TFCE) {
            const char *mm = tail < 0 ? "minimum" : "maximum";
            if (n_obs && !isnan(ob[0].p))
                snprintf(lg.line[2], sizeof lg.line[2], "observed %s: %.6g (p = %.3g)", mm,
                         ob[0].x, ob[0].p);
            else
                snprintf(lg.line[2], sizeof lg.line[2], "observed %s: %.6g", mm,
                         n_obs ? ob[0].x : NAN);
            lg.n = 3;
            lg.red = n_obs && ob[0].sig;
        } else {
            snprintf(lg.line[2], sizeof lg.line[2], "clusters with p < %g: %zu", p_thresh, n_sig);
            snprintf(lg.line[3], sizeof lg.line[3], "other clusters: %zu", n_obs - n_sig);
            lg.n = 4;
            lg.red = 1;
        }
        place_legend(&c, &lg, ob, n_far, n_obs);
        const size_t n_rows = place_strip(&c, rows, ob, n_far);
        cperm_text more = {{0, 0, 0, 0}, 0};
        const size_t dropped = place_plabels(&c, plabel, plabelled, ob, n_far, n_obs, &lg, &more);

        draw_histogram(&c, e, n_in);
        draw_lines(&c, c.sgn * crit, ob, n_far, n_obs, plabel, plabelled);
        if (dropped) {
            c.lay->n_dropped += dropped;
            cairo_set_source_rgb(cr, 0, 0, 0);
            snprintf(s, sizeof s, "+%zu more p labels", dropped);
            cairo_move_to(cr, more.b.x0, more.base);
            cairo_show_text(cr, s);
        }
        draw_strip(&c, rows, n_rows);
        draw_axes(&c);
        draw_legend(&c, &lg);
    }
    cv_open = 0;
    rc = cperm_canvas_close(&cv, out, out_len, err);
cleanup:
    if (cv_open) cperm_canvas_abort(&cv);
    free(e);
    free(ob);
    free(plabel);
    free(plabelled);
    free(rows);
    return rc;
}

int cperm_plot_h0_kind(unsigned char **out, size_t *out_len, const double *h0, size_t n_h0,
                       const double *stats, const double *pvalues, size_t n_stats, int tail,
                       double p_thresh, int kind, int width, int height, int format,
                       cperm_err *err) {
    return cperm_plot_h0_layout(out, out_len, h0, n_h0, stats, pvalues, n_stats, tail, p_thresh,
                                kind, width, height, format, NULL, err);
}

int cperm_plot_h0(unsigned char **out, size_t *out_len, const double *h0, size_t n_h0,
                  const double *stats, const double *pvalues, size_t n_clusters, int tail,
                  double p_thresh, int width, int height, int format, cperm_err *err) {
    return cperm_plot_h0_layout(out, out_len, h0, n_h0, stats, pvalues, n_clusters, tail,
                                p_thresh, CPERM_H0_CLUSTERS, width, height, format, NULL, err);
}
