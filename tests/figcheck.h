/* figcheck.h - checks of a brain figure's layout against its pixels, shared by
 * unit_figures.c and tool_render.c: the colour bar's band holds no brain pixel, and every
 * visible hemisphere carries its "lh"/"rh" label, drawn (ink in its box), off the brain,
 * inside its subplot and over that hemisphere. Each check prints one ok/FAIL line. Its PNG
 * decoding and pixel reading serve unit_render.c too (hence inline: a file may use a part). */
#ifndef CPERM_FIGCHECK_H
#define CPERM_FIGCHECK_H

#include "clusterperm.h"
#include "render_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PNG bytes back to pixels (NULL when they do not decode). */
typedef struct fc_reader {
    const unsigned char *p;
    size_t n, off;
} fc_reader;
static inline cairo_status_t fc_read(void *c, unsigned char *data, unsigned int len) {
    fc_reader *r = c;
    if (r->off + len > r->n) return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p + r->off, len);
    r->off += len;
    return CAIRO_STATUS_SUCCESS;
}
static inline cairo_surface_t *fc_decode(const unsigned char *png, size_t n) {
    fc_reader r = {png, n, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(fc_read, &r);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}
static inline void fc_pixel(cairo_surface_t *s, int x, int y, int rgb[3]) {
    const unsigned char *d = cairo_image_surface_get_data(s);
    const size_t stride = (size_t)cairo_image_surface_get_stride(s);
    uint32_t v;
    memcpy(&v, d + (size_t)y * stride + 4 * (size_t)x, 4);
    rgb[0] = (int)(v >> 16 & 255), rgb[1] = (int)(v >> 8 & 255), rgb[2] = (int)(v & 255);
}

static int fc_failed;
static inline void fc_report(const char *prefix, const char *what, int ok, const char *why) {
    if (ok) {
        printf("ok %s_%s\n", prefix, what);
    } else {
        printf("FAIL %s_%s: %s\n", prefix, what, why);
        fc_failed++;
    }
}

/* Brain pixels of the mask inside box b (clipped to the figure). */
static inline size_t fc_brain_in(const uint8_t *mask, int W, int H, const cperm_box *b) {
    size_t n = 0;
    const int x0 = (int)fmax(0, floor(b->x0)), x1 = (int)fmin(W, ceil(b->x1));
    const int y0 = (int)fmax(0, floor(b->y0)), y1 = (int)fmin(H, ceil(b->y1));
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += mask[(size_t)y * (size_t)W + (size_t)x] != 0;
    return n;
}

/* Runs every check on one figure; returns the number that failed. want_band: the figure
 * has a colour bar or a time label. */
static inline int fc_check_figure(const char *prefix, const cperm_render_layout *L,
                                  const uint8_t *mask, cairo_surface_t *img,
                                  const cperm_render_options *o, int want_band) {
    const int W = L->width, H = L->height;
    char why[512];
    const int before = fc_failed;
    const double bg[3] = {o->background[0] * 255, o->background[1] * 255, o->background[2] * 255};

    /* 1. the band: present when wanted, and not a single brain pixel in it */
    if (want_band) {
        size_t n_band = L->has_band ? fc_brain_in(mask, W, H, &L->band) : 0;
        int lowest = -1; /* the lowest row holding a brain pixel */
        for (int y = H - 1; y >= 0 && lowest < 0; y--)
            for (int x = 0; x < W; x++)
                if (mask[(size_t)y * (size_t)W + (size_t)x]) {
                    lowest = y;
                    break;
                }
        snprintf(why, sizeof why, "band %s y %.0f..%.0f, %zu brain pixels in it, lowest brain "
                 "row %d", L->has_band ? "at" : "missing", L->band.y0, L->band.y1, n_band, lowest);
        fc_report(prefix, "band_holds_no_brain_pixel",
                  L->has_band && n_band == 0 && lowest < L->band.y0 && L->band.y1 <= H, why);
        int ok = 1;
        size_t n_in = 0;
        for (size_t i = 0; i < L->n_text; i++) {
            n_in += fc_brain_in(mask, W, H, &L->text[i]);
            ok &= L->text[i].y0 >= L->band.y0 - 0.5 && L->text[i].y1 <= L->band.y1 + 0.5;
        }
        if (L->has_bar) {
            n_in += fc_brain_in(mask, W, H, &L->bar);
            ok &= L->bar.y0 >= L->band.y0 && L->bar.y1 <= L->band.y1;
        }
        snprintf(why, sizeof why, "%zu texts, bar %d: %zu brain pixels under them, inside the "
                 "band: %d", L->n_text, L->has_bar, n_in, ok);
        fc_report(prefix, "colorbar_and_labels_off_brain", ok && n_in == 0 && L->n_text > 0, why);
    }
    /* 2. the bar shows the table's colours (hot or blue), not the brain's grey */
    if (o->colorbar && L->has_bar) {
        const int y = (int)((L->bar.y0 + L->bar.y1) / 2);
        int coloured = 0, cols = 0;
        for (int x = (int)L->bar.x0 + 4; x < (int)L->bar.x1 - 4; x += 3, cols++) {
            int p[3];
            fc_pixel(img, x, y, p);
            coloured += abs(p[0] - p[2]) > 40 || abs(p[1] - p[2]) > 40;
        }
        snprintf(why, sizeof why, "%d of %d columns of the bar coloured", coloured, cols);
        fc_report(prefix, "colorbar_drawn_in_band", cols > 10 && coloured * 2 > cols, why);
    }
    /* 3. hemisphere labels */
    size_t n_labels = 0, n_expected = 0;
    int ok_place = 1, ok_ink = 1, ok_over = 1, ok_near = 1;
    why[0] = '\0';
    for (size_t i = 0; i < L->n_panels; i++) {
        const cperm_render_panel *p = &L->panel[i];
        const size_t total = p->visible[0] + p->visible[1];
        for (int h = 0; h < 2; h++) {
            const int expect = (p->which & (1 << h)) && p->visible[h] * 20 >= total &&
                               p->visible[h] > 0;
            n_expected += (size_t)expect;
            if (expect != p->labelled[h]) {
                ok_place = 0;
                snprintf(why, sizeof why, "panel %zu %s: visible %zu of %zu, labelled %d", i,
                         h ? "rh" : "lh", p->visible[h], total, p->labelled[h]);
            }
            if (!p->labelled[h]) continue;
            n_labels++;
            const cperm_box *b = &p->label[h], *s = &p->seen[h];
            /* inside the subplot, off the brain */
            const size_t under = fc_brain_in(mask, W, H, b);
            if (under || b->x0 < p->rect.x0 - 0.5 || b->x1 > p->rect.x1 + 0.5 ||
                b->y0 < p->rect.y0 - 0.5 || b->y1 > p->rect.y1 + 0.5) {
                ok_place = 0;
                snprintf(why, sizeof why, "panel %zu %s label (%.0f,%.0f)-(%.0f,%.0f) in subplot "
                         "(%.0f,%.0f)-(%.0f,%.0f), %zu brain pixels under it", i, h ? "rh" : "lh",
                         b->x0, b->y0, b->x1, b->y1, p->rect.x0, p->rect.y0, p->rect.x1,
                         p->rect.y1, under);
            }
            /* ink: pixels unlike the background inside the box */
            size_t ink = 0, area = 0;
            for (int y = (int)ceil(b->y0); y < (int)b->y1; y++)
                for (int x = (int)ceil(b->x0); x < (int)b->x1; x++, area++) {
                    int c[3];
                    fc_pixel(img, x, y, c);
                    ink += fabs(c[0] - bg[0]) + fabs(c[1] - bg[1]) + fabs(c[2] - bg[2]) > 150;
                }
            if (ink < 8 || ink * 20 < area) {
                ok_ink = 0;
                snprintf(why, sizeof why, "panel %zu %s label: %zu ink pixels of %zu", i,
                         h ? "rh" : "lh", ink, area);
            }
            /* over its hemisphere: the label's centre within that hemisphere's visible
             * extent, and nearer its centre than the other hemisphere's */
            const double cx = (b->x0 + b->x1) / 2, own = (s->x0 + s->x1) / 2;
            int over = cx >= s->x0 && cx <= s->x1;
            if (p->visible[1 - h]) {
                const cperm_box *o2 = &p->seen[1 - h];
                over &= fabs(cx - own) < fabs(cx - (o2->x0 + o2->x1) / 2);
            }
            if (!over) {
                ok_over = 0;
                snprintf(why, sizeof why, "panel %zu %s label centred at x %.0f, the hemisphere "
                         "spans %.0f..%.0f", i, h ? "rh" : "lh", cx, s->x0, s->x1);
            }
            /* near: just above it, within a quarter of the subplot's height */
            if (!(b->y1 <= s->y0 + 0.5 && s->y0 - b->y1 <= 0.25 * (p->rect.y1 - p->rect.y0))) {
                ok_near = 0;
                snprintf(why, sizeof why, "panel %zu %s label bottom %.0f, hemisphere top %.0f",
                         i, h ? "rh" : "lh", b->y1, s->y0);
            }
        }
    }
    fc_report(prefix, "hemi_labels_placed", ok_place && n_labels == n_expected && n_labels > 0,
              why[0] ? why : "no label");
    fc_report(prefix, "hemi_labels_drawn", ok_ink && n_labels > 0, why);
    fc_report(prefix, "hemi_labels_over_their_hemisphere", ok_over && ok_near && n_labels > 0, why);
    return fc_failed - before;
}

#endif
