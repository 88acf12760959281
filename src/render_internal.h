/* render_internal.h - private pieces of the figure code (colormap.c, render.c, h0plot.c):
 * MNE's lookup tables, surface value spreading, and Cairo output helpers. Not installed. */
#ifndef CPERM_RENDER_INTERNAL_H
#define CPERM_RENDER_INTERNAL_H

#include "common_internal.h"

#include <cairo.h>

/* matplotlib's LinearSegmentedColormap lookup table (_makeMappingArray with gamma 1) of
 * one channel: n_points (<= 16) control points (x ascending from 0 to 1, y0 = value left of x,
 * y1 = value right of it) sampled at n entries, written to out. */
void cperm_cmap_segment(double *out, size_t n, const double *x, const double *y0,
                        const double *y1, size_t n_points);

/* MNE 1.3's overlay table for one-sided lims: np.round(calculate_lut('hot', alpha=1,
 * fmin, fmid, fmax, center=None, transparent) * 255) as uint8, 256 RGBA entries (what
 * Brain.update_lut stores as ctable). Requires fmin <= fmid <= fmax. */
void cperm_cmap_mne_hot(unsigned char lut[256][4], double fmin, double fmid, double fmax,
                        int transparent);

/* The same for pos_lims (data mirrored around zero, MNE's 'mne' colormap): calculate_lut(
 * 'mne', alpha=1, fmin, fmid, fmax, center=0, transparent), resampled to 256 entries, for
 * the range [-fmax, fmax]. Requires 0 <= fmin <= fmid <= fmax. */
void cperm_cmap_mne_diverging(unsigned char lut[256][4], double fmin, double fmid, double fmax,
                              int transparent);

/* Index into a 256-entry ListedColormap for value v with range [lo, hi], as MNE's
 * _Overlay.to_colors then matplotlib's Colormap.__call__ (below range: entry 0, above:
 * entry 255). Returns -1 for NaN (matplotlib's "bad" colour, transparent). */
int cperm_cmap_index(double v, double lo, double hi);

/* matplotlib's 'Greys' at x in [0, 1] (256-entry table), one grey level in [0, 1]. */
double cperm_cmap_greys(double x);

/* MNE's display-time spreading of values on `n_from` used vertices (`from`, ascending or
 * not) to all n_vertices of a triangulated surface (morph._hemi_morph on the surface's own
 * vertices): steps > 0 is _surf_upsampling_mat with that many smoothing steps (unreached
 * vertices get 0), steps == 0 puts values on the used vertices only (0 elsewhere), steps
 * == -1 gives each vertex the value of the used vertex fewest edges away (NaN if none).
 * out has n_vertices entries. Errors: CPERM_EINVAL (vertex out of range), CPERM_ENOMEM. */
int cperm_surf_spread(double *out, size_t n_vertices, const int32_t *tris, size_t n_tris,
                      const uint32_t *from, const double *values, size_t n_from, int steps,
                      cperm_err *err);

/* A drawing target that encodes itself: an image surface for PNG, a stream surface for
 * SVG/PDF (drawn directly: Cairo 1.16's SVG surface leaks when replaying recordings). */
typedef struct cperm_canvas_buf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} cperm_canvas_buf;

typedef struct cperm_canvas {
    int format;
    cairo_surface_t *surface;
    cairo_t *cr;
    cperm_canvas_buf buf;
} cperm_canvas;

/* Opens a width x height (pixels or points) canvas; draw on c->cr. Errors: CPERM_EINVAL
 * (format), CPERM_ENOMEM. On error nothing is left to release. */
int cperm_canvas_open(cperm_canvas *c, int format, int width, int height, cperm_err *err);
/* Finishes and encodes: *out (freed with free()) holds the file's bytes. Releases the
 * canvas in every case. Errors: CPERM_ENOMEM, CPERM_EIO (Cairo failed). */
int cperm_canvas_close(cperm_canvas *c, unsigned char **out, size_t *out_len, cperm_err *err);
/* Releases a canvas without encoding (error paths). */
void cperm_canvas_abort(cperm_canvas *c);

/* Format from a file name's extension (.png .svg .pdf, case-insensitive) or -1. */
int cperm_format_from_path(const char *path);

#endif
