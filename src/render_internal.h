/* render_internal.h - private pieces of the figure code (colormap.c, render.c, h0plot.c):
 * MNE's lookup tables, surface value spreading, and Cairo output helpers. Not installed. */
#ifndef CPERM_RENDER_INTERNAL_H
#define CPERM_RENDER_INTERNAL_H

#include "common_internal.h"

#include <cairo.h>

/* matplotlib's LinearSegmentedColormap lookup table (_makeMappingArray with gamma 1) of
 * one channel: n_points control points (x ascending from 0 to 1, y0 = value left of x,
 * y1 = value right of it) sampled at n entries, written to out. */
void cperm_cmap_segment(double *out, size_t n, const double *x, const double *y0,
                        const double *y1, size_t n_points);

/* MNE 1.3's overlay table for one-sided lims: np.round(calculate_lut('hot', alpha=1,
 * fmin, fmid, fmax, center=None, transparent) * 255) as uint8, 256 RGBA entries (what
 * Brain.update_lut stores as ctable). Requires fmin <= fmid <= fmax. */
void cperm_cmap_mne_hot(unsigned char lut[256][4], double fmin, double fmid, double fmax,
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

/* Encode a finished drawing: for PNG `surface` is an image surface; for SVG/PDF the
 * drawing is replayed from a recording surface of width x height points. *out is freed
 * with free(). Errors: CPERM_ENOMEM, CPERM_EINVAL (format). */
int cperm_cairo_encode(unsigned char **out, size_t *out_len, cairo_surface_t *surface,
                       int format, int width, int height, cperm_err *err);

/* Format from a file name's extension (.png .svg .pdf, case-insensitive) or -1. */
int cperm_format_from_path(const char *path);

#endif
