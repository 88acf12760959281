/* unit_figures.c - the figures' layouts (issue 11). Brain figures, for every hemi and view
 * and the seed's and the report's layouts: the colour bar's band holds no brain pixel, and
 * each visible hemisphere is labelled "lh"/"rh" over itself (checked on the renderer's
 * hemisphere mask and the decoded pixels, tests/figcheck.h). H0 figures: observed values
 * 1000x beyond H0 go past an axis break while H0 spreads over many bins, and no two texts
 * overlap, also with more significant clusters than there is room for labels. */
#include "figcheck.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scene {
    cperm_srcspace *src;
    cperm_render_hemi geom[2];
    cperm_stc *stc;
} scene;

/* Two ico-4 spheres; 30 on the lh's lateral cap and 20 on the rh's frontal cap. */
static int scene_make(scene *s) {
    cperm_err err = {0};
    memset(s, 0, sizeof *s);
    if (cperm_src_create_ico(&s->src, 4, 0.07, &err) ||
        cperm_render_hemis_from_src(s->geom, s->src, &err))
        return -1;
    const size_t np = s->src->hemis[0].np, nvh[2] = {np, np};
    if (cperm_stc_create(&s->stc, 2, nvh, 1, &err)) return -1;
    for (size_t h = 0; h < 2; h++)
        for (size_t v = 0; v < np; v++) {
            const float *n = s->src->hemis[h].nn + 3 * v;
            s->stc->vertices[h][v] = (uint32_t)v;
            const int cap = h == 0 ? -n[0] > 0.8 : n[1] > 0.8;
            s->stc->data[h * np + v] = cap ? (h == 0 ? 30.0 : 20.0) : 0.0;
        }
    return 0;
}

static void scene_free(scene *s) {
    cperm_stc_free(s->stc);
    cperm_src_free(s->src);
}

/* Renders with the layout and mask, runs the shared checks; returns the layout in *L. */
static int check_one(const scene *sc, const char *name, const cperm_render_options *o,
                     cperm_render_layout *L) {
    unsigned char *png = NULL;
    size_t len = 0;
    cperm_err err = {0};
    uint8_t *mask = malloc((size_t)o->width * (size_t)o->height);
    int rc = mask ? cperm_render_stc_layout(&png, &len, sc->stc, sc->geom, o, L, mask, &err) : -1;
    cairo_surface_t *img = rc == 0 ? fc_decode(png, len) : NULL;
    char what[96];
    snprintf(what, sizeof what, "%s_renders", name);
    CHECK(what, img != NULL, "rc %d: %s", rc, err.msg);
    if (img) {
        fc_check_figure(name, L, mask, img, o, o->colorbar || (o->time_label && *o->time_label));
        cairo_surface_destroy(img);
    }
    free(png);
    free(mask);
    return img ? 0 : -1;
}

static void test_brain_layouts(void) {
    scene sc;
    if (scene_make(&sc)) {
        CHECK("figures_setup", 0, "cannot build the ico-4 scene");
        return;
    }
    static const char *const hemi_name[4] = {"lh", "rh", "both", "split"};
    static const char *const view_name[6] = {"lat", "med", "ven", "dor", "ros", "cau"};
    cperm_render_layout L;
    char name[64];
    /* every hemi x view at a small square size, colour bar and time label on */
    for (int h = 0; h < 4; h++)
        for (int v = 0; v < 6; v++) {
            cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
            o.width = o.height = 360;
            o.hemi = h;
            o.views[0] = v;
            o.time_label = "t = 0 ms";
            snprintf(name, sizeof name, "fig_%s_%s", hemi_name[h], view_name[v]);
            check_one(&sc, name, &o, &L);
        }

    /* the seed's figure (summary.png): both hemispheres from below. In the ventral view the
     * left hemisphere shows on the right: its label must be in the right half. */
    {
        cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
        o.time_label = "Duration significant (ms)";
        if (check_one(&sc, "fig_seed_summary", &o, &L) == 0) {
            const cperm_render_panel *p = &L.panel[0];
            const double lx = (p->label[0].x0 + p->label[0].x1) / 2;
            const double rx = (p->label[1].x0 + p->label[1].x1) / 2;
            CHECK("fig_seed_lh_label_right_rh_left", p->labelled[0] && p->labelled[1] &&
                                                         lx > 500 && rx < 500,
                  "lh label at x %.0f, rh at %.0f", lx, rx);
            /* the band's bar keeps MNE's width, x 0.15..0.85 (plus its frame) */
            CHECK("fig_seed_bar_width", L.has_bar && fabs(L.bar.x0 - 150) < 15 &&
                                            fabs(L.bar.x1 - 850) < 15,
                  "bar x %.0f..%.0f", L.bar.x0, L.bar.x1);
            CHECK("fig_seed_brain_above_band", L.panel[0].brain.y1 <= L.band.y0 &&
                                                   L.band.y1 == 1000 && L.band.y0 > 800,
                  "brain to %.0f, band %.0f..%.0f", L.panel[0].brain.y1, L.band.y0, L.band.y1);
        }
    }
    /* the report's lateral/medial figure: split, two views, 720 x 720 */
    {
        cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
        o.time_label = "Duration significant (ms)";
        o.hemi = CPERM_HEMI_SPLIT;
        o.n_views = 2;
        o.views[0] = CPERM_VIEW_LATERAL;
        o.views[1] = CPERM_VIEW_MEDIAL;
        o.width = o.height = 720;
        if (check_one(&sc, "fig_report_views", &o, &L) == 0) {
            int ok = L.n_panels == 4;
            for (size_t i = 0; i < L.n_panels && ok; i++) {
                const int h = (int)(i % 2); /* left column lh, right column rh */
                const cperm_box *b = &L.panel[i].label[h];
                ok = L.panel[i].labelled[h] && !L.panel[i].labelled[1 - h] &&
                     b->x1 <= (h ? 720 : 360) && b->x0 >= (h ? 360 : 0);
            }
            CHECK("fig_report_views_lh_left_rh_right", ok, "labels not one per column");
        }
    }
    /* --hemi both, lateral: the rh is hidden behind the lh, so only lh is labelled */
    {
        cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
        o.width = o.height = 400;
        o.views[0] = CPERM_VIEW_LATERAL;
        o.colorbar = 0;
        if (check_one(&sc, "fig_both_lateral_hidden", &o, &L) == 0)
            CHECK("fig_both_lateral_only_lh", L.panel[0].labelled[0] && !L.panel[0].labelled[1],
                  "labelled lh %d rh %d (rh visible %zu)", L.panel[0].labelled[0],
                  L.panel[0].labelled[1], L.panel[0].visible[1]);
    }
    /* more views, a dark background, a wide figure, no colour bar but a time label */
    {
        cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
        o.width = 500, o.height = 900;
        o.n_views = 3;
        o.views[0] = CPERM_VIEW_DORSAL, o.views[1] = CPERM_VIEW_ROSTRAL;
        o.views[2] = CPERM_VIEW_CAUDAL;
        o.background[0] = o.background[1] = o.background[2] = 0;
        o.time_label = "time=0.100s";
        check_one(&sc, "fig_both_three_views_dark", &o, &L);
        o.hemi = CPERM_HEMI_SPLIT;
        o.width = 1200, o.height = 400;
        o.n_views = 1;
        o.colorbar = 0;
        check_one(&sc, "fig_split_wide_label_only", &o, &L);
        CHECK("fig_split_wide_label_only_no_bar", L.has_band && !L.has_bar && L.n_text == 1,
              "band %d bar %d texts %zu", L.has_band, L.has_bar, L.n_text);
    }
    /* neither colour bar nor time label: no band, the brain keeps the whole height */
    {
        cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
        o.width = o.height = 300;
        o.colorbar = 0;
        check_one(&sc, "fig_no_band", &o, &L);
        CHECK("fig_no_band_full_height", !L.has_band && L.panel[0].rect.y1 == 300,
              "band %d, subplot to %.0f", L.has_band, L.panel[0].rect.y1);
    }
    /* inflated surfaces are moved apart (offset_hemis); a tiny figure still renders */
    {
        cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
        o.width = o.height = 400;
        o.offset_hemis = 1;
        o.views[0] = CPERM_VIEW_DORSAL;
        o.time_label = "x";
        check_one(&sc, "fig_offset_dorsal", &o, &L);
        o.width = o.height = 40;
        unsigned char *png = NULL;
        size_t len = 0;
        cperm_err err = {0};
        int rc = cperm_render_stc_layout(&png, &len, sc.stc, sc.geom, &o, &L, NULL, &err);
        CHECK("fig_tiny_renders_without_labels", rc == 0 && !L.panel[0].labelled[0] &&
                                                     L.band.y1 <= 40,
              "rc %d: %s", rc, err.msg);
        free(png);
    }
    scene_free(&sc);
}

/* ------------------------------------------------------------------ H0 */

static int boxes_disjoint(const cperm_h0plot_layout *L, size_t *a, size_t *b) {
    for (size_t i = 0; i < L->n_boxes; i++)
        for (size_t j = i + 1; j < L->n_boxes; j++)
            if (cperm_box_overlap(&L->box[i], &L->box[j])) {
                *a = i, *b = j;
                return 0;
            }
    return 1;
}

/* Columns of the main axis holding histogram-blue pixels. */
static int blue_columns(cairo_surface_t *img, const cperm_h0plot_layout *L, int *span) {
    int n = 0, first = -1, last = -1;
    for (int x = (int)L->plot.x0; x < (int)L->plot.x1; x++) {
        int any = 0;
        for (int y = (int)L->plot.y0; y < (int)L->plot.y1 && !any; y++) {
            int p[3];
            fc_pixel(img, x, y, p);
            any = abs(p[0] - 77) < 4 && abs(p[1] - 115) < 4 && abs(p[2] - 176) < 4;
        }
        if (any) {
            n++;
            if (first < 0) first = x;
            last = x;
        }
    }
    *span = first < 0 ? 0 : last - first + 1;
    return n;
}

static void test_h0_far(void) {
    /* H0: 500 permutation maxima between 5 and 41, and H0[0] (the observed maximum) 1000x
     * beyond them, as MNE returns it. The observed clusters: two far beyond (p tiny), one
     * negative far beyond (tail 0: drawn as |.|), two inside. */
    enum { N = 501 };
    double h0[N];
    h0[0] = 41000.0;
    for (int i = 1; i < N; i++) h0[i] = 5.0 + (double)(i * 7919 % 37);
    const double stats[5] = {41000.0, 38000.5, -30000.0, 12.0, 3.0};
    const double pv[5] = {0.002, 0.002, 0.004, 0.3, 0.9};
    cperm_h0plot_layout L;
    unsigned char *png = NULL;
    size_t len = 0;
    cperm_err err = {0};
    int rc = cperm_plot_h0_layout(&png, &len, h0, N, stats, pv, 5, 0, 0.05, CPERM_H0_CLUSTERS,
                                  900, 520, CPERM_FORMAT_PNG, &L, &err);
    cairo_surface_t *img = rc == 0 ? fc_decode(png, len) : NULL;
    CHECK("h0_far_renders", img != NULL, "rc %d: %s", rc, err.msg);
    if (!img) return;
    CHECK("h0_far_axis_broken", L.broken && L.axis_hi < 100 && L.axis_hi > 41,
          "broken %d, axis to %g", L.broken, L.axis_hi);
    CHECK("h0_far_h0_over_many_bins", L.n_bins_filled >= 10 && L.n_h0_beyond == 1,
          "%zu of %zu bins filled, %zu H0 values past the break", L.n_bins_filled, L.n_bins,
          L.n_h0_beyond);
    int span = 0;
    const int cols = blue_columns(img, &L, &span);
    const double main_w = (L.broken ? L.strip.x0 : L.plot.x1) - L.plot.x0;
    CHECK("h0_far_bars_spread_over_the_axis", span > 0.5 * main_w && cols > 0.4 * main_w,
          "blue in %d columns spanning %d px of a %.0f px axis", cols, span, main_w);
    CHECK("h0_far_values_past_the_break", L.n_beyond == 3 && L.n_lines == 2 && L.n_dropped == 0,
          "%zu beyond, %zu on the axis, %zu dropped", L.n_beyond, L.n_lines, L.n_dropped);
    size_t a = 0, b = 0;
    CHECK("h0_far_no_text_overlaps", boxes_disjoint(&L, &a, &b) && L.n_boxes >= 10,
          "box %zu (%.0f,%.0f)-(%.0f,%.0f) overlaps box %zu (%.0f,%.0f)-(%.0f,%.0f) of %zu",
          a, L.box[a].x0, L.box[a].y0, L.box[a].x1, L.box[a].y1, b, L.box[b].x0, L.box[b].y0,
          L.box[b].x1, L.box[b].y1, L.n_boxes);
    /* the strip's red: the far significant values are drawn there */
    int red = 0;
    for (int y = (int)L.strip.y0; y < (int)L.strip.y1; y++)
        for (int x = (int)L.strip.x0; x < (int)L.strip.x1; x++) {
            int p[3];
            fc_pixel(img, x, y, p);
            red += p[0] > 180 && p[1] < 90 && p[2] < 90;
        }
    CHECK("h0_far_strip_marks_in_red", red > 100, "%d red pixels in the strip", red);
    cairo_surface_destroy(img);
    free(png);

    /* tail -1: the same mirrored (values grow to the left); the break's strip on the left */
    double neg[N], nst[5];
    for (int i = 0; i < N; i++) neg[i] = -h0[i];
    for (int k = 0; k < 5; k++) nst[k] = -fabs(stats[k]);
    png = NULL;
    rc = cperm_plot_h0_layout(&png, &len, neg, N, nst, pv, 5, -1, 0.05, CPERM_H0_CLUSTERS, 900,
                              520, CPERM_FORMAT_PNG, &L, &err);
    CHECK("h0_far_tail_minus1", rc == 0 && L.broken && L.strip.x1 < 450 && L.n_beyond == 3 &&
                                    L.axis_hi > 0 && L.axis_lo < -41 && boxes_disjoint(&L, &a, &b),
          "rc %d broken %d strip %.0f..%.0f axis %g..%g", rc, L.broken, L.strip.x0, L.strip.x1,
          L.axis_lo, L.axis_hi);
    free(png);

    /* without far values the axis is not broken and covers every observed value */
    const double near_stats[2] = {60.0, 12.0};
    png = NULL;
    rc = cperm_plot_h0_layout(&png, &len, h0 + 1, N - 1, near_stats, pv, 2, 0, 0.05,
                              CPERM_H0_CLUSTERS, 900, 520, CPERM_FORMAT_PNG, &L, &err);
    CHECK("h0_near_not_broken", rc == 0 && !L.broken && L.axis_hi >= 60 && L.n_lines == 2,
          "rc %d broken %d axis to %g lines %zu", rc, L.broken, L.axis_hi, L.n_lines);
    free(png);
}

static void test_h0_crowded(void) {
    /* 40 significant clusters at nearly the same value, 40 far beyond: rows of labels
     * stack until full, the rest are counted as "+N more", nothing overlaps */
    double h0[300], stats[80], pv[80];
    for (int i = 0; i < 300; i++) h0[i] = (double)(i % 50);
    for (int k = 0; k < 40; k++) stats[k] = 45.0 + 0.01 * k, pv[k] = 0.01 + 0.0001 * k;
    for (int k = 40; k < 80; k++) stats[k] = 1e5 + k, pv[k] = 0.001;
    cperm_h0plot_layout L;
    unsigned char *png = NULL;
    size_t len = 0, a = 0, b = 0;
    cperm_err err = {0};
    int rc = cperm_plot_h0_layout(&png, &len, h0, 300, stats, pv, 80, 1, 0.05, CPERM_H0_CLUSTERS,
                                  800, 500, CPERM_FORMAT_PNG, &L, &err);
    CHECK("h0_crowded_renders", rc == 0 && len > 8, "rc %d: %s", rc, err.msg);
    CHECK("h0_crowded_labels_dropped_and_counted", L.n_dropped > 0 && L.n_labelled > 5 &&
                                                       L.n_labelled + L.n_dropped == 80,
          "%zu labelled, %zu dropped", L.n_labelled, L.n_dropped);
    CHECK("h0_crowded_no_text_overlaps", boxes_disjoint(&L, &a, &b),
          "box %zu overlaps box %zu of %zu", a, b, L.n_boxes);
    free(png);

    /* TFCE: one observed maximum, its own title and legend; SVG too */
    const double obs = 400.0, p = 0.001;
    png = NULL;
    rc = cperm_plot_h0_layout(&png, &len, h0, 300, &obs, &p, 1, 0, 0.05, CPERM_H0_TFCE, 800, 500,
                              CPERM_FORMAT_SVG, &L, &err);
    CHECK("h0_tfce_svg", rc == 0 && png && strstr((const char *)png, "<svg") && L.broken &&
                             L.n_beyond == 1 && boxes_disjoint(&L, &a, &b),
          "rc %d broken %d beyond %zu: %s", rc, L.broken, L.n_beyond, err.msg);
    free(png);
    png = NULL;
    rc = cperm_plot_h0_layout(&png, &len, h0, 300, &obs, &p, 1, 0, 0.05, 7, 800, 500,
                              CPERM_FORMAT_PNG, &L, &err);
    CHECK("h0_bad_kind", rc == CPERM_EINVAL && !png, "rc %d", rc);
}

int main(void) {
    test_brain_layouts();
    test_h0_far();
    test_h0_crowded();
    cperm_render_cleanup();
    return tu_failed || fc_failed ? 1 : 0;
}
