/* render_overlay.c - what Cairo draws over a brain figure's raster: the band below the
 * subplots (time label, colour bar, ticks) and the hemisphere labels, each in room that the
 * layout keeps free of brain pixels. */
#include "render_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the band */

/* Font metrics of DejaVu Sans (what fontconfig gives for "sans-serif" on Debian) as
 * fractions of the size, used to size the band before anything is drawn; the drawing then
 * uses Cairo's own extents, which stay within these. */
#define ASCENT 0.93
#define DESCENT 0.24

void cperm_band_plan(cperm_band *b, const cperm_render_options *o, int height, double panel_w,
                     double panel_h) {
    memset(b, 0, sizeof *b);
    b->colorbar = o->colorbar != 0;
    b->title = o->time_label && *o->time_label;
    if (!b->colorbar && !b->title) return;
    /* sizes relative to one subplot, as MNE scales its scalar bar and text per subplot */
    double font = fmax(10.0, 0.024 * fmin(panel_w, panel_h));
    double bar_h = fmax(6.0, 0.03 * panel_h);
    for (int pass = 0; pass < 2; pass++) {
        b->font = font;
        b->title_font = 1.15 * font;
        b->bar_h = bar_h;
        b->tick = 0.35 * font;
        b->pad = 0.5 * font;
        double h = b->pad;
        if (b->title) h += (ASCENT + DESCENT) * b->title_font + (b->colorbar ? 0.25 * font : 0);
        /* the bar's frame (0.35 font), the bar, ticks, then a line of tick labels */
        if (b->colorbar) h += 0.35 * font + bar_h + fmax(b->tick, 0.35 * font) + 0.15 * font +
                              (ASCENT + DESCENT) * font;
        h += b->pad;
        b->h = ceil(h);
        /* tiny figures: shrink the text rather than leave no room for the brain */
        if (pass == 0 && b->h > 0.45 * height) {
            const double f = 0.45 * height / b->h;
            font *= f;
            bar_h *= f;
        } else {
            break;
        }
    }
}

/* Draws s at (x, base) with `align`; its box into *box when not NULL. */
static void show_text_at(cairo_t *cr, double x, double base, const char *s, double align,
                         cperm_box *box) {
    const cperm_text t = cperm_text_make(cr, x, base, s, align);
    cperm_text_show(cr, &t, s);
    if (box) *box = t.b;
}

static void add_text(cperm_render_layout *lay, const cperm_box *b) {
    if (lay->n_text < CPERM_RENDER_MAX_TEXT) lay->text[lay->n_text++] = *b;
}

void cperm_band_draw(cairo_t *cr, const cperm_band *b, const unsigned char lut[256][4],
                     double brain, const cperm_render_options *o, const double fg[3], int W,
                     double y0, cperm_render_layout *lay) {
    if (!(b->h > 0)) return;
    lay->has_band = 1;
    lay->band = (cperm_box){0, y0, W, y0 + b->h};
    const double font = b->font;
    double y = y0 + b->pad;
    cairo_set_source_rgb(cr, fg[0], fg[1], fg[2]);
    cperm_box tb = {0, 0, 0, 0};
    int have_title = 0;
    if (b->title) {
        /* the time label is the bar's title (the seed's "Duration significant (ms)") */
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, b->title_font);
        show_text_at(cr, W / 2.0, y + ASCENT * b->title_font, o->time_label, 0.5, &tb);
        have_title = 1;
        y += (ASCENT + DESCENT) * b->title_font + 0.25 * font;
    }
    if (b->colorbar) {
        /* pyvista's horizontal scalar bar as MNE sizes it (x 0.15..0.85), its table blended
         * over the brain colour as MNE's _set_colormap_range does; tick labels below */
        const double x0 = 0.15 * W, bw = 0.7 * W, pad = 0.35 * font, bar_h = b->bar_h;
        const double bar_y0 = y + pad, bar_y1 = bar_y0 + bar_h;
        /* a frame of the brain colour around the bar only: the labels stay on the
         * background, in the foreground colour, readable on light and dark backgrounds */
        cairo_set_source_rgb(cr, brain, brain, brain);
        cairo_rectangle(cr, x0 - pad, bar_y0 - pad, bw + 2 * pad, bar_h + 2 * pad);
        cairo_fill(cr);
        lay->has_bar = 1;
        lay->bar = (cperm_box){x0 - pad, bar_y0 - pad, x0 + bw + pad, bar_y1 + pad};

        cairo_surface_t *strip = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 256, 1);
        if (cairo_surface_status(strip) == CAIRO_STATUS_SUCCESS) {
            cairo_surface_flush(strip);
            uint32_t *px = (uint32_t *)(void *)cairo_image_surface_get_data(strip);
            for (int i = 0; i < 256; i++) {
                const double a = lut[i][3] / 255.0;
                uint32_t c[3];
                for (int k = 0; k < 3; k++)
                    c[k] = (uint32_t)nearbyint(lut[i][k] * a + brain * 255.0 * (1 - a));
                px[i] = (c[0] << 16) | (c[1] << 8) | c[2];
            }
            cairo_surface_mark_dirty(strip);
            cairo_save(cr);
            cairo_rectangle(cr, x0, bar_y0, bw, bar_h);
            cairo_clip(cr);
            cairo_translate(cr, x0, bar_y0);
            cairo_scale(cr, bw / 256.0, bar_h);
            cairo_set_source_surface(cr, strip, 0, 0);
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
            cairo_paint(cr);
            cairo_restore(cr);
        }
        cairo_surface_destroy(strip);

        cairo_set_source_rgb(cr, fg[0], fg[1], fg[2]);
        cairo_set_line_width(cr, fmax(1.0, font / 14.0));
        cairo_rectangle(cr, x0, bar_y0, bw, bar_h);
        cairo_stroke(cr);

        double ticks[16];
        int dec = 0;
        const double lo = o->diverging ? -o->fmax : o->fmin, hi = o->fmax;
        const size_t nt = cperm_nice_ticks(ticks, 16, lo, hi, 5.0, 1, &dec);
        const double label_base = bar_y1 + fmax(b->tick, pad) + 0.15 * font + ASCENT * font;
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, font);
        for (size_t i = 0; i < nt; i++) {
            const double f = hi > lo ? (ticks[i] - lo) / (hi - lo) : 0.0;
            const double x = x0 + f * bw;
            cairo_move_to(cr, x, bar_y1);
            cairo_line_to(cr, x, bar_y1 + b->tick);
            cairo_stroke(cr);
            char txt[64];
            snprintf(txt, sizeof txt, "%.*f", dec, ticks[i]);
            cperm_box box;
            show_text_at(cr, x, label_base, txt, 0.5, &box);
            add_text(lay, &box);
        }
    }
    if (have_title) add_text(lay, &tb);
}

/* ------------------------------------------------------------------ hemisphere labels */

double cperm_label_font(const cperm_box *panel) {
    return fmax(11.0, 0.036 * fmin(panel->x1 - panel->x0, panel->y1 - panel->y0));
}

/* A gap above and below the text, and the text itself (logical extents). */
double cperm_label_strip(double font) {
    return ceil((0.3 + ASCENT + DESCENT) * font + 0.3 * font);
}

void cperm_labels_draw(cairo_t *cr, cperm_render_layout *lay, const double *base,
                       const double fg[3]) {
    static const char *const name[2] = {"lh", "rh"};
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_source_rgb(cr, fg[0], fg[1], fg[2]);
    for (size_t i = 0; i < lay->n_panels; i++) {
        cperm_render_panel *p = &lay->panel[i];
        const double font = cperm_label_font(&p->rect);
        const double pw = p->rect.x1 - p->rect.x0, ph = p->rect.y1 - p->rect.y0;
        /* a subplot too small to hold its labels beside a brain gets none */
        if (ph < 6 * font || pw < 4 * font) continue;
        cairo_set_font_size(cr, font);
        cairo_font_extents_t fe;
        cairo_font_extents(cr, &fe);
        /* a hemisphere that shows only a sliver (the other one in front of it) is not
         * labelled: the label would point at the wrong one */
        const size_t total = p->visible[0] + p->visible[1];
        double x[2], w[2];
        int on[2];
        for (int h = 0; h < 2; h++) {
            on[h] = (p->which & (1 << h)) && p->visible[h] > 0 && p->visible[h] * 20 >= total;
            cairo_text_extents_t te;
            cairo_text_extents(cr, name[h], &te);
            w[h] = te.x_advance;
            x[h] = 0.5 * (p->seen[h].x0 + p->seen[h].x1) - 0.5 * w[h];
        }
        /* two labels on one line: keep a gap of half the font between them */
        if (on[0] && on[1]) {
            const int l = x[0] <= x[1] ? 0 : 1, r = 1 - l;
            const double need = x[l] + w[l] + 0.5 * font - x[r];
            if (need > 0) x[l] -= need / 2, x[r] += need / 2;
        }
        for (int h = 0; h < 2; h++) {
            if (!on[h]) continue;
            const double lo = p->rect.x0 + 0.1 * font, hi = p->rect.x1 - 0.1 * font - w[h];
            x[h] = x[h] < lo ? lo : x[h] > hi ? hi : x[h];
        }
        if (on[0] && on[1]) { /* clamped into each other: put them side by side */
            const int l = x[0] <= x[1] ? 0 : 1, r = 1 - l;
            if (x[l] + w[l] + 0.5 * font > x[r]) x[r] = x[l] + w[l] + 0.5 * font;
        }
        for (int h = 0; h < 2; h++) {
            if (!on[h]) continue;
            cairo_move_to(cr, x[h], base[i]);
            cairo_show_text(cr, name[h]);
            p->labelled[h] = 1;
            p->label[h] = (cperm_box){x[h], base[i] - fe.ascent, x[h] + w[h], base[i] + fe.descent};
        }
    }
}
