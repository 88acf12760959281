/* render_text.c - text and tick helpers shared by the figures (render_overlay.c,
 * h0plot.c): text boxes measured with Cairo, box overlap, and "nice" tick values. */
#include "render_internal.h"

#include <math.h>

int cperm_box_overlap(const cperm_box *a, const cperm_box *b) {
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

cperm_text cperm_text_make(cairo_t *cr, double x, double base, const char *s, double align) {
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, s, &te);
    cairo_font_extents(cr, &fe);
    const double x0 = x - align * te.x_advance;
    const cperm_text t = {{x0, base - fe.ascent, x0 + te.x_advance, base + fe.descent}, base};
    return t;
}

void cperm_text_show(cairo_t *cr, const cperm_text *t, const char *s) {
    cairo_move_to(cr, t->b.x0, t->base);
    cairo_show_text(cr, s);
}

size_t cperm_nice_ticks(double *ticks, size_t max, double lo, double hi, double target,
                        int quarters, int *decimals) {
    *decimals = 0;
    if (!(hi > lo)) {
        ticks[0] = lo;
        return 1;
    }
    const double raw = (hi - lo) / target, mag = pow(10.0, floor(log10(raw)));
    static const double with_q[] = {1, 2, 2.5, 5, 10}, without[] = {1, 2, 5, 10, 10};
    const double *mult = quarters ? with_q : without;
    double step = 10 * mag;
    for (int i = 0; i < 5; i++)
        if (mult[i] * mag >= raw) {
            step = mult[i] * mag;
            break;
        }
    int d = (int)-floor(log10(step) + 1e-9);
    if (step / pow(10.0, floor(log10(step) + 1e-9)) == 2.5) d++;
    *decimals = d > 0 ? d : 0;
    size_t n = 0;
    for (double t = ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 && n < max; t += step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0.0 : t;
    return n;
}
