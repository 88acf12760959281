/* render_volume.c - the glass-brain figure of a volume source space: a maximum-intensity
 * projection of one value per grid point in three views (sagittal, coronal, axial) over the
 * silhouette of the grid's points in use, with the colour bar band of the brain figures. */
#include "render_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The silhouette's fill and outline greys (the colour bar is blended over the fill, as the
 * brain figures blend theirs over the cortex grey). */
#define FILL_GREY 0.86
#define EDGE_GREY 0.35

static const char *const view_title[3] = {"sagittal", "coronal", "axial"};
/* MRI (surface RAS) axes of each view: horizontal (increasing to the right), vertical
 * (increasing upwards). Sagittal: seen from the right, anterior to the right; coronal and
 * axial: the subject's left on the left (neurological convention, as nilearn's glass brain). */
static const int view_axes[3][2] = {{1, 2}, {0, 2}, {0, 1}};
static const char *const axis_lo_name[3] = {"L", "P", "I"};
static const char *const axis_hi_name[3] = {"R", "A", "S"};

static int check_volume_options(const cperm_render_options *o, cperm_err *err) {
    if (!o || o->version != CPERM_RENDER_OPTIONS_VERSION)
        return cperm_fail(err, CPERM_EINVAL, "render: options missing or of another version");
    if (o->width < 16 || o->height < 16 || o->width > 16384 || o->height > 16384)
        return cperm_fail(err, CPERM_EINVAL, "render: size %dx%d outside 16..16384", o->width,
                          o->height);
    if (!isfinite(o->fmin) || !isfinite(o->fmid) || !isfinite(o->fmax) ||
        !(o->fmin <= o->fmid && o->fmid <= o->fmax))
        return cperm_fail(err, CPERM_EINVAL, "render: clim lims must be finite and monotonically "
                          "increasing, got [%g, %g, %g]", o->fmin, o->fmid, o->fmax);
    if (o->diverging && !(o->fmin >= 0))
        return cperm_fail(err, CPERM_EINVAL, "render: pos_lims must not be negative, got "
                          "[%g, %g, %g]", o->fmin, o->fmid, o->fmax);
    for (int k = 0; k < 3; k++)
        if (!(o->background[k] >= 0 && o->background[k] <= 1))
            return cperm_fail(err, CPERM_EINVAL, "render: background colour outside [0, 1]");
    return CPERM_OK;
}

/* The grid's spacing along each MRI axis, metres: from the grid -> MRI transform when the
 * file has one (each column of an MNE grid's transform moves along one MRI axis), else
 * from the positions of a grid point's neighbours along x, y and z. */
static void grid_spacing(double sp[3], const cperm_src_hemi *vol) {
    for (int a = 0; a < 3; a++) sp[a] = 0;
    if (vol->src_mri_t.present) {
        for (int a = 0; a < 3; a++)
            for (int c = 0; c < 3; c++) sp[a] = fmax(sp[a], fabs(vol->src_mri_t.trans[4 * a + c]));
    } else {
        const size_t stride[3] = {1, vol->shape[0], vol->shape[0] * vol->shape[1]};
        for (int d = 0; d < 3; d++) {
            if (vol->shape[d] < 2 || stride[d] >= vol->np) continue;
            for (int a = 0; a < 3; a++)
                sp[a] = fmax(sp[a], fabs((double)vol->rr[3 * stride[d] + (size_t)a] -
                                         (double)vol->rr[(size_t)a]));
        }
    }
    /* a flat grid (one point along an axis) gets the largest spacing there */
    const double any = fmax(sp[0], fmax(sp[1], sp[2]));
    for (int a = 0; a < 3; a++)
        if (!(sp[a] > 0)) sp[a] = any > 0 ? any : 0.005;
}

/* The cell of grid point v in view k: column and row of the view's lattice (row 0 at the
 * bottom). */
static void cell_of(const cperm_volfig_view *w, const float *rr, size_t v, size_t *col,
                    size_t *row) {
    const double h = (rr[3 * v + (size_t)w->h_axis] - w->h0) / w->spacing[0];
    const double u = (rr[3 * v + (size_t)w->v_axis] - w->v0) / w->spacing[1];
    *col = (size_t)fmax(0.0, nearbyint(h));
    *row = (size_t)fmax(0.0, nearbyint(u));
    if (*col >= w->n_cols) *col = w->n_cols - 1;
    if (*row >= w->n_rows) *row = w->n_rows - 1;
}

/* The pixel box of cell (col, row) of view w, edges on whole pixels so that neighbours
 * meet without seams. */
static cperm_box cell_box(const cperm_volfig_view *w, size_t col, size_t row) {
    const double x0 = w->grid.x0 + (double)col * w->cell_w, y1 = w->grid.y1 - (double)row * w->cell_h;
    return (cperm_box){nearbyint(x0), nearbyint(y1 - w->cell_h), nearbyint(x0 + w->cell_w),
                       nearbyint(y1)};
}

int cperm_volfig_pixel(const cperm_volfig_view *w, const double pos[3], double *x, double *y) {
    const double h = (pos[w->h_axis] - w->h0) / w->spacing[0];
    const double u = (pos[w->v_axis] - w->v0) / w->spacing[1];
    *x = w->grid.x0 + (h + 0.5) * w->cell_w;
    *y = w->grid.y1 - (u + 0.5) * w->cell_h;
    return *x >= w->grid.x0 && *x < w->grid.x1 && *y >= w->grid.y0 && *y < w->grid.y1;
}

static void show_text(cairo_t *cr, double x, double base, const char *s, double align,
                      cperm_render_layout *lay) {
    const cperm_text t = cperm_text_make(cr, x, base, s, align);
    cperm_text_show(cr, &t, s);
    if (lay->n_text < CPERM_RENDER_MAX_TEXT) lay->text[lay->n_text++] = t.b;
}

int cperm_render_volume_layout(unsigned char **out, size_t *out_len, const cperm_src_hemi *vol,
                               const uint32_t *vertices, const double *values, size_t n_values,
                               const cperm_render_options *o, cperm_volfig_layout *layout,
                               cperm_err *err) {
    if (!out || !out_len) return cperm_fail(err, CPERM_EINVAL, "render: no output pointer");
    *out = NULL;
    *out_len = 0;
    int rc = check_volume_options(o, err);
    if (rc) return rc;
    if (!vol || vol->type != CPERM_SRC_VOLUME || !vol->rr || !vol->vertno || vol->nuse == 0)
        return cperm_fail(err, CPERM_EINVAL, "render: the glass brain needs a volume source "
                          "space with points in use");
    if (n_values && (!vertices || !values))
        return cperm_fail(err, CPERM_EINVAL, "render: %zu values without vertices or values",
                          n_values);
    for (size_t i = 0; i < vol->nuse; i++)
        if (vol->vertno[i] < 0 || (size_t)vol->vertno[i] >= vol->np)
            return cperm_fail(err, CPERM_EINVAL, "render: vertex %d in use beyond the volume's "
                              "%zu grid points", (int)vol->vertno[i], vol->np);
    for (size_t i = 0; i < n_values; i++)
        if (vertices[i] >= vol->np)
            return cperm_fail(err, CPERM_EMISMATCH, "render: vertex %u of the values is beyond "
                              "the volume's %zu grid points", vertices[i], vol->np);

    cperm_volfig_layout local;
    cperm_volfig_layout *lay = layout ? layout : &local;
    memset(lay, 0, sizeof *lay);
    const int W = o->width, H = o->height;
    lay->width = W;
    lay->height = H;
    lay->band.width = W;
    lay->band.height = H;

    /* each view's lattice: the extent of the points in use, one cell per grid step */
    double sp[3], lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    grid_spacing(sp, vol);
    for (size_t i = 0; i < vol->nuse; i++)
        for (int a = 0; a < 3; a++) {
            const double p = vol->rr[3 * (size_t)vol->vertno[i] + (size_t)a];
            lo[a] = fmin(lo[a], p);
            hi[a] = fmax(hi[a], p);
        }
    size_t n_along[3];
    for (int a = 0; a < 3; a++) n_along[a] = (size_t)nearbyint((hi[a] - lo[a]) / sp[a]) + 1;
    for (int k = 0; k < 3; k++) {
        cperm_volfig_view *w = &lay->view[k];
        w->h_axis = view_axes[k][0];
        w->v_axis = view_axes[k][1];
        w->h0 = lo[w->h_axis];
        w->v0 = lo[w->v_axis];
        w->spacing[0] = sp[w->h_axis];
        w->spacing[1] = sp[w->v_axis];
        w->n_cols = n_along[w->h_axis];
        w->n_rows = n_along[w->v_axis];
    }

    /* sizes: the band (colour bar, title) at the bottom, a line of view titles on top, the
     * three grids side by side at one scale (pixels per metre), L/R/A/P/S/I beside them */
    cperm_band band;
    cperm_band_plan(&band, o, H, W / 3.0, H);
    const double font = fmax(9.0, 0.022 * fmin(W, 3.0 * H)), pad = 3.4 * font;
    const double top = ceil(2.0 * font), avail_h = H - band.h - top - 1.2 * font;
    const double avail_w = W - 4 * pad;
    double metres_w = 0, metres_h = 0;
    for (int k = 0; k < 3; k++) {
        metres_w += (double)lay->view[k].n_cols * lay->view[k].spacing[0];
        metres_h = fmax(metres_h, (double)lay->view[k].n_rows * lay->view[k].spacing[1]);
    }
    const double scale = fmax(1e-9, fmin(avail_w / metres_w, avail_h / metres_h));
    double x = (W - (metres_w * scale + 2 * pad)) / 2;
    for (int k = 0; k < 3; k++) {
        cperm_volfig_view *w = &lay->view[k];
        w->scale = scale;
        w->cell_w = w->spacing[0] * scale;
        w->cell_h = w->spacing[1] * scale;
        const double gw = (double)w->n_cols * w->cell_w, gh = (double)w->n_rows * w->cell_h;
        const double y0 = top + (avail_h - gh) / 2;
        w->grid = (cperm_box){x, y0, x + gw, y0 + gh};
        w->rect = (cperm_box){x - pad * 0.9, 0, x + gw + pad * 0.9, H - band.h};
        x += gw + pad;
    }

    /* the projections: cell in use, and per cell the value of largest magnitude */
    unsigned char lut[256][4];
    double flo = o->fmin, fmid = o->fmid, fhi = o->fmax;
    if (flo == fmid && fmid == fhi) { /* _separate_map, as the brain figures */
        if (flo == 0) flo = 0, fmid = 1, fhi = 2;
        else flo = 0, fmid = 0.5 * fhi;
    } else if (flo == fmid || fmid == fhi) {
        fmid = flo + (flo == fmid ? 1e-5 : -1e-5) * (fhi - flo);
    }
    if (o->diverging) cperm_cmap_mne_diverging(lut, flo, fmid, fhi, o->transparent);
    else cperm_cmap_mne_hot(lut, flo, fmid, fhi, o->transparent);
    const double rng_lo = o->diverging ? -fhi : flo, rng_hi = fhi;

    uint8_t *inuse[3] = {NULL, NULL, NULL};
    double *best[3] = {NULL, NULL, NULL};
    cperm_canvas cv;
    int cv_open = 0;
    for (int k = 0; k < 3; k++) {
        const size_t n = lay->view[k].n_cols * lay->view[k].n_rows;
        inuse[k] = calloc(n, 1);
        best[k] = cperm_malloc(n, sizeof *best[k]);
        if (!inuse[k] || !best[k]) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory for a %zu x %zu "
                            "projection", lay->view[k].n_cols, lay->view[k].n_rows);
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++) best[k][i] = NAN;
    }
    for (int k = 0; k < 3; k++) {
        const cperm_volfig_view *w = &lay->view[k];
        size_t c, r;
        for (size_t i = 0; i < vol->nuse; i++) {
            cell_of(w, vol->rr, (size_t)vol->vertno[i], &c, &r);
            inuse[k][r * w->n_cols + c] = 1;
        }
        for (size_t i = 0; i < n_values; i++) {
            if (!isfinite(values[i])) continue;
            cell_of(w, vol->rr, vertices[i], &c, &r);
            double *b = &best[k][r * w->n_cols + c];
            if (isnan(*b) || fabs(values[i]) > fabs(*b)) *b = values[i];
        }
    }

    rc = cperm_canvas_open(&cv, o->format, W, H, err);
    if (rc) goto cleanup;
    cv_open = 1;
    cairo_t *cr = cv.cr;
    cairo_set_source_rgb(cr, o->background[0], o->background[1], o->background[2]);
    cairo_paint(cr);
    const double sum_bg = o->background[0] + o->background[1] + o->background[2];
    const double fgv = sum_bg < 2 ? 1.0 : 0.0, fg[3] = {fgv, fgv, fgv};
    for (int k = 0; k < 3; k++) {
        cperm_volfig_view *w = &lay->view[k];
        const size_t nc = w->n_cols, nr = w->n_rows;
        /* the silhouette, then its outline where a cell in use meets one that is not */
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
        cairo_set_source_rgb(cr, FILL_GREY, FILL_GREY, FILL_GREY);
        for (size_t r = 0; r < nr; r++)
            for (size_t c = 0; c < nc; c++)
                if (inuse[k][r * nc + c]) {
                    const cperm_box b = cell_box(w, c, r);
                    cairo_rectangle(cr, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
                    w->n_cells++;
                }
        cairo_fill(cr);
        for (size_t r = 0; r < nr; r++)
            for (size_t c = 0; c < nc; c++) {
                const double v = best[k][r * nc + c];
                const int idx = isnan(v) ? -1 : cperm_cmap_index(v, rng_lo, rng_hi);
                if (idx < 0 || lut[idx][3] == 0) continue;
                const cperm_box b = cell_box(w, c, r);
                cairo_set_source_rgba(cr, lut[idx][0] / 255.0, lut[idx][1] / 255.0,
                                      lut[idx][2] / 255.0, lut[idx][3] / 255.0);
                cairo_rectangle(cr, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
                cairo_fill(cr);
                w->n_coloured++;
            }
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
        cairo_set_source_rgb(cr, EDGE_GREY, EDGE_GREY, EDGE_GREY);
        cairo_set_line_width(cr, fmax(1.0, 0.12 * fmin(w->cell_w, w->cell_h)));
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
        for (size_t r = 0; r < nr; r++)
            for (size_t c = 0; c < nc; c++) {
                if (!inuse[k][r * nc + c]) continue;
                const cperm_box b = cell_box(w, c, r);
                if (c == 0 || !inuse[k][r * nc + c - 1]) {
                    cairo_move_to(cr, b.x0, b.y0);
                    cairo_line_to(cr, b.x0, b.y1);
                }
                if (c + 1 == nc || !inuse[k][r * nc + c + 1]) {
                    cairo_move_to(cr, b.x1, b.y0);
                    cairo_line_to(cr, b.x1, b.y1);
                }
                if (r == 0 || !inuse[k][(r - 1) * nc + c]) { /* below */
                    cairo_move_to(cr, b.x0, b.y1);
                    cairo_line_to(cr, b.x1, b.y1);
                }
                if (r + 1 == nr || !inuse[k][(r + 1) * nc + c]) {
                    cairo_move_to(cr, b.x0, b.y0);
                    cairo_line_to(cr, b.x1, b.y0);
                }
            }
        cairo_stroke(cr);
        /* the view's name above it, its axes' ends beside and below it */
        cairo_set_source_rgb(cr, fg[0], fg[1], fg[2]);
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, font);
        const double cx = (w->grid.x0 + w->grid.x1) / 2, cy = (w->grid.y0 + w->grid.y1) / 2;
        show_text(cr, cx, w->grid.y0 - 0.5 * font, view_title[k], 0.5, &lay->band);
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                               CAIRO_FONT_WEIGHT_NORMAL);
        show_text(cr, w->grid.x0 - 0.3 * font, cy + 0.35 * font, axis_lo_name[w->h_axis], 1.0,
                  &lay->band);
        show_text(cr, w->grid.x1 + 0.3 * font, cy + 0.35 * font, axis_hi_name[w->h_axis], 0.0,
                  &lay->band);
        show_text(cr, cx, w->grid.y1 + 1.05 * font, axis_lo_name[w->v_axis], 0.5, &lay->band);
    }
    cperm_band_draw(cr, &band, lut, FILL_GREY, o, fg, W, H - band.h, &lay->band);
    cv_open = 0;
    rc = cperm_canvas_close(&cv, out, out_len, err);

cleanup:
    if (cv_open) cperm_canvas_abort(&cv);
    for (int k = 0; k < 3; k++) {
        free(inuse[k]);
        free(best[k]);
    }
    return rc;
}

int cperm_render_volume(unsigned char **out, size_t *out_len, const cperm_src_hemi *vol,
                        const uint32_t *vertices, const double *values, size_t n_values,
                        const cperm_render_options *opts, cperm_err *err) {
    return cperm_render_volume_layout(out, out_len, vol, vertices, values, n_values, opts, NULL,
                                      err);
}

int cperm_render_volume_file(const char *path, const cperm_src_hemi *vol,
                             const uint32_t *vertices, const double *values, size_t n_values,
                             const cperm_render_options *opts, cperm_err *err) {
    const int fmt = cperm_format_from_path(path);
    if (fmt < 0)
        return cperm_fail(err, CPERM_EINVAL, "render: %s: unknown image type (use .png, .svg "
                          "or .pdf)", path ? path : "(null)");
    int rc = check_volume_options(opts, err);
    if (rc) return rc;
    cperm_render_options o = *opts;
    o.format = fmt;
    unsigned char *buf = NULL;
    size_t len = 0;
    rc = cperm_render_volume(&buf, &len, vol, vertices, values, n_values, &o, err);
    if (rc) return rc;
    rc = cperm_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}
