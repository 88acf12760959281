/* tool_render.c - driver for tests/xcheck_plot.py and tests/cli_figures.sh: exposes the
 * figure code's MNE-derived pieces (lookup table, value spreading, view cameras through
 * rendering) to the MNE oracle, and the figures' layouts to the CLI tests.
 *   tool_render lut FMIN FMID FMAX TRANSPARENT   -> 256 lines "r g b a" ('hot', lims)
 *   tool_render dlut FMIN FMID FMAX TRANSPARENT  -> the same for pos_lims ('mne', centre 0)
 *   tool_render spread SURF STEPS FROM_TXT OUT   -> spreads values (FROM_TXT: lines
 *       "vertex value") over the FreeSurfer surface SURF; OUT gets %.17g per vertex
 *   tool_render index V LO HI                    -> the colormap index (-1 for NaN)
 *   tool_render layout STEM SRC [FIGURE OPTIONS] -> the brain figure's layout as JSON
 *   tool_render check NAME FIG.png STEM SRC [FIGURE OPTIONS] -> renders the figure again:
 *       it must equal FIG.png pixel for pixel, then tests/figcheck.h's checks (band free of
 *       brain pixels, hemisphere labels); "ok NAME_..." / "FAIL NAME_..." lines, status 1
 *       on any failure
 *   tool_render h0tfce NAME DIR TAIL P_SUMMARY   -> DIR/h0.png of a TFCE run must equal the
 *       TFCE H0 figure of DIR/h0.txt with H0[0] and the smallest p of DIR/tfce-p, and no
 *       two of its texts may overlap
 * FIGURE OPTIONS start from the seed's figure (CPERM_RENDER_OPTIONS_INIT): --hemi
 * lh|rh|both|split, --views V[,V], --size WxH, --clim value:A,B,C | pos-value:A,B,C | max
 * (onesample --tfce's summary rule: [0, m/400, m] of the largest |value| m, pos_lims when a
 * value is negative), --background white|black, --time-label TEXT, --no-colorbar. */
#include "clusterperm.h"
#include "figcheck.h"
#include "render_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses FIGURE OPTIONS from argv[i..]; -1 on a bad one. */
static int figure_options(cperm_render_options *o, int argc, char **argv, int i,
                          const cperm_stc *stc) {
    static const char *const views[6] = {"lat", "med", "ven", "dor", "ros", "cau"};
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-colorbar")) {
            o->colorbar = 0;
            continue;
        }
        if (!v) return -1;
        i++;
        if (!strcmp(a, "--hemi")) {
            o->hemi = !strcmp(v, "lh") ? CPERM_HEMI_LH : !strcmp(v, "rh") ? CPERM_HEMI_RH
                      : !strcmp(v, "split") ? CPERM_HEMI_SPLIT : CPERM_HEMI_BOTH;
        } else if (!strcmp(a, "--views")) {
            o->n_views = 0;
            for (const char *p = v; *p && o->n_views < CPERM_RENDER_MAX_VIEWS;) {
                int k = 0;
                while (k < 6 && strncmp(p, views[k], 3)) k++;
                if (k == 6) return -1;
                o->views[o->n_views++] = k;
                p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p);
            }
        } else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%dx%d", &o->width, &o->height) != 2) return -1;
        } else if (!strcmp(a, "--clim")) {
            if (!strcmp(v, "max")) {
                double mx = 0;
                int neg = 0;
                for (size_t k = 0; k < stc->n_vertices[0] + stc->n_vertices[1]; k++) {
                    const double x = stc->data[k * stc->n_times];
                    mx = fmax(mx, fabs(x)), neg |= x < 0;
                }
                if (!(mx > 0)) mx = 1;
                o->diverging = neg, o->fmin = 0, o->fmid = mx / 400, o->fmax = mx;
            } else {
                o->diverging = !strncmp(v, "pos-", 4);
                const char *c = strchr(v, ':');
                if (!c || sscanf(c + 1, "%lf,%lf,%lf", &o->fmin, &o->fmid, &o->fmax) != 3)
                    return -1;
            }
        } else if (!strcmp(a, "--background")) {
            const double g = !strcmp(v, "black") ? 0.0 : 1.0;
            o->background[0] = o->background[1] = o->background[2] = g;
        } else if (!strcmp(a, "--time-label")) {
            o->time_label = v;
        } else {
            return -1;
        }
    }
    return 0;
}

static void print_box(const char *name, const cperm_box *b, const char *end) {
    printf("\"%s\": [%.2f, %.2f, %.2f, %.2f]%s", name, b->x0, b->y0, b->x1, b->y1, end);
}

/* layout and check: read, render with the layout and mask */
static int figure_command(int argc, char **argv) {
    const int check = !strcmp(argv[1], "check");
    const int base = check ? 4 : 2; /* STEM, SRC */
    if (argc < base + 2) return 2;
    cperm_err err = {0};
    cperm_stc *stc = NULL;
    cperm_srcspace *src = NULL;
    cperm_render_hemi geom[2];
    if (cperm_stc_read(&stc, argv[base], &err) || cperm_src_read(&src, argv[base + 1], &err) ||
        cperm_render_hemis_from_src(geom, src, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 3;
    }
    cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
    if (figure_options(&o, argc, argv, base + 2, stc)) {
        fprintf(stderr, "error: bad figure options\n");
        return 2;
    }
    cperm_render_layout L;
    unsigned char *png = NULL;
    size_t len = 0;
    uint8_t *mask = malloc((size_t)o.width * (size_t)o.height);
    if (!mask || cperm_render_stc_layout(&png, &len, stc, geom, &o, &L, mask, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 3;
    }
    int rc = 0;
    if (!check) {
        printf("{\"width\": %d, \"height\": %d, \"panels\": [\n", L.width, L.height);
        for (size_t i = 0; i < L.n_panels; i++) {
            const cperm_render_panel *p = &L.panel[i];
            printf(" {\"which\": %d, \"strip\": %d, \"labelled\": [%d, %d], ", p->which, p->strip,
                   p->labelled[0], p->labelled[1]);
            print_box("rect", &p->rect, ", ");
            print_box("brain", &p->brain, ", ");
            print_box("lh_label", &p->label[0], ", ");
            print_box("rh_label", &p->label[1], "}");
            printf("%s\n", i + 1 < L.n_panels ? "," : "");
        }
        printf("], \"has_band\": %d, ", L.has_band);
        print_box("band", &L.band, ", ");
        print_box("bar", &L.bar, "}\n");
    } else {
        cairo_surface_t *mine = fc_decode(png, len);
        cairo_surface_t *file = cairo_image_surface_create_from_png(argv[3]);
        int same = mine && cairo_surface_status(file) == CAIRO_STATUS_SUCCESS &&
                   cairo_image_surface_get_width(file) == o.width &&
                   cairo_image_surface_get_height(file) == o.height;
        size_t n_diff = 0;
        for (int y = 0; same && y < o.height; y++)
            for (int x = 0; x < o.width; x++) {
                int a[3], b[3];
                fc_pixel(mine, x, y, a);
                fc_pixel(file, x, y, b);
                n_diff += a[0] != b[0] || a[1] != b[1] || a[2] != b[2];
            }
        char why[4300];
        snprintf(why, sizeof why, "%s: %zu pixels differ from the figure drawn with the options "
                 "given", argv[3], n_diff);
        fc_report(argv[2], "is_the_figure_checked", same && n_diff == 0, why);
        if (mine) fc_check_figure(argv[2], &L, mask, mine, &o, o.colorbar || o.time_label);
        if (mine) cairo_surface_destroy(mine);
        cairo_surface_destroy(file);
        rc = fc_failed ? 1 : 0;
    }
    free(png);
    free(mask);
    cperm_stc_free(stc);
    cperm_src_free(src);
    cperm_render_cleanup();
    return rc;
}

/* h0tfce NAME DIR TAIL P_SUMMARY */
static int h0tfce_command(char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s/h0.txt", argv[3]);
    FILE *f = fopen(path, "r");
    size_t n = 0, cap = 1024;
    double *h0 = malloc(cap * sizeof *h0), x;
    while (f && h0 && fscanf(f, "%lf", &x) == 1) {
        if (n == cap) h0 = realloc(h0, (cap *= 2) * sizeof *h0);
        if (h0) h0[n++] = x;
    }
    if (f) fclose(f);
    cperm_err err = {0};
    cperm_stc *p = NULL;
    snprintf(path, sizeof path, "%s/tfce-p", argv[3]);
    if (!h0 || !n || cperm_stc_read(&p, path, &err)) {
        fprintf(stderr, "error: %s\n", n ? err.msg : "no H0");
        return 3;
    }
    double min_p = INFINITY;
    for (size_t i = 0; i < (p->n_vertices[0] + p->n_vertices[1]) * p->n_times; i++)
        min_p = fmin(min_p, p->data[i]);
    cperm_h0plot_layout L;
    unsigned char *png = NULL;
    size_t len = 0;
    int rc = cperm_plot_h0_layout(&png, &len, h0, n, &h0[0], &min_p, 1, atoi(argv[4]),
                                  atof(argv[5]), CPERM_H0_TFCE, 900, 520, CPERM_FORMAT_PNG, &L,
                                  &err);
    snprintf(path, sizeof path, "%s/h0.png", argv[3]);
    FILE *g = fopen(path, "rb");
    unsigned char *file = malloc(len + 1);
    const size_t got = g && file ? fread(file, 1, len + 1, g) : 0;
    if (g) fclose(g);
    char why[4400];
    snprintf(why, sizeof why, "rc %d; %s has %zu bytes, the TFCE figure of its H0 %zu", rc, path,
             got, len);
    fc_report(argv[2], "h0_is_the_tfce_figure", rc == 0 && got == len && !memcmp(file, png, len),
              why);
    int disjoint = 1;
    for (size_t i = 0; i < L.n_boxes; i++)
        for (size_t j = i + 1; j < L.n_boxes; j++)
            disjoint &= !cperm_box_overlap(&L.box[i], &L.box[j]);
    snprintf(why, sizeof why, "%zu texts, some overlap", L.n_boxes);
    fc_report(argv[2], "h0_texts_do_not_overlap", rc == 0 && disjoint && L.n_boxes > 5, why);
    free(file);
    free(png);
    free(h0);
    cperm_stc_free(p);
    cperm_render_cleanup();
    return fc_failed ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc >= 6 && (!strcmp(argv[1], "lut") || !strcmp(argv[1], "dlut"))) {
        unsigned char lut[256][4];
        if (argv[1][0] == 'd')
            cperm_cmap_mne_diverging(lut, atof(argv[2]), atof(argv[3]), atof(argv[4]), atoi(argv[5]));
        else
            cperm_cmap_mne_hot(lut, atof(argv[2]), atof(argv[3]), atof(argv[4]), atoi(argv[5]));
        for (int i = 0; i < 256; i++) printf("%d %d %d %d\n", lut[i][0], lut[i][1], lut[i][2], lut[i][3]);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "index")) {
        printf("%d\n", cperm_cmap_index(strtod(argv[2], NULL), strtod(argv[3], NULL),
                                        strtod(argv[4], NULL)));
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "spread")) {
        cperm_err err = {0};
        cperm_surf *s = NULL;
        if (cperm_surf_read(&s, argv[2], &err)) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 3;
        }
        FILE *f = fopen(argv[4], "r");
        size_t cap = 1024, n = 0;
        uint32_t *from = malloc(cap * sizeof *from);
        double *val = malloc(cap * sizeof *val), *out = malloc((s->n_vertices + 1) * sizeof *out);
        unsigned v;
        double x;
        while (f && from && val && fscanf(f, "%u %lf", &v, &x) == 2) {
            if (n == cap) {
                cap *= 2;
                from = realloc(from, cap * sizeof *from);
                val = realloc(val, cap * sizeof *val);
                if (!from || !val) return 1;
            }
            from[n] = v, val[n] = x, n++;
        }
        if (f) fclose(f);
        if (!out || cperm_surf_spread(out, s->n_vertices, s->tris, s->n_tris, from, val, n,
                                      atoi(argv[3]), &err)) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 3;
        }
        FILE *o = fopen(argv[5], "w");
        if (!o) return 1;
        for (size_t i = 0; i < s->n_vertices; i++) fprintf(o, "%.17g\n", out[i]);
        fclose(o);
        free(from);
        free(val);
        free(out);
        cperm_surf_free(s);
        return 0;
    }
    if (argc >= 4 && (!strcmp(argv[1], "layout") || !strcmp(argv[1], "check")))
        return figure_command(argc, argv);
    if (argc == 6 && !strcmp(argv[1], "h0tfce")) return h0tfce_command(argv);
    fprintf(stderr, "usage: tool_render lut|dlut|index|spread|layout|check|h0tfce ...\n");
    return 2;
}
