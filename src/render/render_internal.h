/* render_internal.h - private pieces of the figure code (colormap.c, render*.c, h0plot.c):
 * MNE's lookup tables, surface value spreading, Cairo output helpers, and the figures'
 * layouts, which tests inspect. Not installed. */
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

/* ------------------------------------------------------------ figure layouts */

/* A rectangle in pixels of the figure (points for SVG/PDF): x0 <= x < x1, y0 <= y < y1. */
typedef struct cperm_box {
    double x0, y0, x1, y1;
} cperm_box;

/* 1 if the two boxes share any area (touching edges do not count). */
int cperm_box_overlap(const cperm_box *a, const cperm_box *b);

/* A text to be drawn (render_text.c): its logical box (advance wide, ascent to descent of
 * the current font) and baseline, placed at x with `align` (0 left, 0.5 centred, 1 right). */
typedef struct cperm_text {
    cperm_box b;
    double base;
} cperm_text;
cperm_text cperm_text_make(cairo_t *cr, double x, double base, const char *s, double align);
void cperm_text_show(cairo_t *cr, const cperm_text *t, const char *s);

/* "Nice" ticks covering [lo, hi], about `target` of them, at 1, 2, 5 x 10^k steps (and 2.5
 * when `quarters`); *decimals is what they need printed. Returns how many (<= max). */
size_t cperm_nice_ticks(double *ticks, size_t max, double lo, double hi, double target,
                        int quarters, int *decimals);

#define CPERM_RENDER_MAX_PANELS (2 * CPERM_RENDER_MAX_VIEWS)
#define CPERM_RENDER_MAX_TEXT 24

/* One subplot of a brain figure: row = view, column = hemisphere when split. */
typedef struct cperm_render_panel {
    cperm_box rect;         /* the subplot */
    cperm_box brain;        /* its brain viewport: the rasteriser draws nowhere else */
    int view;               /* CPERM_VIEW_* */
    int which;              /* hemispheres drawn: bit 0 lh, bit 1 rh */
    int strip;              /* 1: a strip for the hemisphere labels was taken off the top of
                               the viewport, as the brain left no room above itself */
    size_t visible[2];      /* pixels where lh / rh is in front */
    cperm_box seen[2];      /* their bounding boxes (all 0 when not visible) */
    int labelled[2];        /* 1: a label was drawn for that hemisphere */
    cperm_box label[2];     /* the label's text extents (logical: ascent to descent) */
} cperm_render_panel;

/* Where everything of a brain figure went. */
typedef struct cperm_render_layout {
    int width, height;
    size_t n_panels;
    cperm_render_panel panel[CPERM_RENDER_MAX_PANELS];
    int has_band;           /* a region below the subplots for the colour bar and time label */
    cperm_box band;         /* that region: no brain pixel falls in it */
    int has_bar;
    cperm_box bar;          /* the colour bar with its frame */
    size_t n_text;
    cperm_box text[CPERM_RENDER_MAX_TEXT]; /* tick labels, then the time label */
} cperm_render_layout;

/* cperm_render_stc that also reports its layout and, when mask is not NULL, which
 * hemisphere each pixel shows (width * height bytes, row-major: 0 background, 1 lh, 2 rh; a
 * pixel counts as brain when any of its supersamples is covered). layout may be NULL. */
int cperm_render_stc_layout(unsigned char **out, size_t *out_len, const cperm_stc *stc,
                            const cperm_render_hemi geom[2], const cperm_render_options *opts,
                            cperm_render_layout *layout, uint8_t *mask, cperm_err *err);

/* The band below the subplots (render_overlay.c): sizes from the subplot size, then its
 * height. h is 0 when there is neither a colour bar nor a time label. */
typedef struct cperm_band {
    int colorbar, title;
    double font, title_font, bar_h, tick, pad, h;
} cperm_band;
void cperm_band_plan(cperm_band *b, const cperm_render_options *o, int height, double panel_w,
                     double panel_h);
/* Draws the band over [0, W) x [y0, y0 + b->h): the time label centred on top, the colour
 * bar (MNE's table blended over the brain grey `brain`) with ticks below it. Records the
 * bar and the text boxes in lay. */
void cperm_band_draw(cairo_t *cr, const cperm_band *b, const unsigned char lut[256][4],
                     double brain, const cperm_render_options *o, const double fg[3], int W,
                     double y0, cperm_render_layout *lay);

/* Hemisphere labels ("lh", "rh", render_overlay.c): the font size for a subplot, and the
 * height of the strip they need above a brain. */
double cperm_label_font(const cperm_box *panel);
double cperm_label_strip(double font);
/* Draws the labels of every hemisphere that is visible in a subplot, centred over its
 * visible pixels, on one line whose baseline is `base[i]` for panel i, moved apart where
 * two would touch and kept inside the subplot. Fills the panels' labelled/label. */
void cperm_labels_draw(cairo_t *cr, cperm_render_layout *lay, const double *base,
                       const double fg[3]);

/* ------------------------------------------------------------ the glass brain */

/* One view of the glass-brain figure (render_volume.c): a lattice of n_cols x n_rows cells
 * of the grid's spacing, cell (0, 0) centred on the lowest MRI coordinates in use (h0, v0
 * along h_axis, v_axis: 0 x, 1 y, 2 z) at the bottom left of `grid`. */
typedef struct cperm_volfig_view {
    cperm_box rect;          /* the view's part of the figure, its letters included */
    cperm_box grid;          /* the lattice's pixels */
    int h_axis, v_axis;      /* MRI axes shown left to right and bottom to top */
    double h0, v0;           /* metres: the centre of cell (0, 0) */
    double spacing[2];       /* metres per cell, horizontally and vertically */
    size_t n_cols, n_rows;
    double scale;            /* pixels per metre */
    double cell_w, cell_h;   /* pixels per cell */
    size_t n_cells;          /* cells in use (the silhouette) */
    size_t n_coloured;       /* cells drawn in a colour of the table */
} cperm_volfig_view;

typedef struct cperm_volfig_layout {
    int width, height;
    cperm_volfig_view view[3];   /* sagittal, coronal, axial */
    cperm_render_layout band;    /* the band, bar and every text box (n_panels 0) */
} cperm_volfig_layout;

/* Where MRI position pos (metres) falls in view w: *x, *y in pixels; 1 if inside its grid. */
int cperm_volfig_pixel(const cperm_volfig_view *w, const double pos[3], double *x, double *y);
/* cperm_render_volume that also reports its layout (may be NULL). */
int cperm_render_volume_layout(unsigned char **out, size_t *out_len, const cperm_src_hemi *vol,
                               const uint32_t *vertices, const double *values, size_t n_values,
                               const cperm_render_options *o, cperm_volfig_layout *layout,
                               cperm_err *err);

/* ------------------------------------------------------------ the H0 figure */

#define CPERM_H0PLOT_MAX_BOXES 160

/* Where the H0 figure's parts went (h0plot.c). */
typedef struct cperm_h0plot_layout {
    cperm_box plot;         /* the axes' area, the break's strip included */
    int broken;             /* 1: observed values far beyond H0 sit in a strip past a break */
    cperm_box strip;        /* that strip (all 0 when not broken) */
    double axis_lo, axis_hi; /* the main axis's range, in statistic units */
    size_t n_bins, n_bins_filled; /* histogram bins, and those with any H0 value */
    size_t n_h0_beyond;     /* H0 values beyond the break */
    size_t n_lines;         /* observed statistics drawn on the main axis */
    size_t n_beyond;        /* observed statistics drawn in the strip */
    size_t n_labelled;      /* statistics that got a value/p label */
    size_t n_dropped;       /* labels left out for lack of room (said as "+N more") */
    size_t n_boxes;
    cperm_box box[CPERM_H0PLOT_MAX_BOXES]; /* every text's logical extents, none overlapping */
} cperm_h0plot_layout;

/* cperm_plot_h0 for `kind` (CPERM_H0_CLUSTERS: the clusters' statistics; CPERM_H0_TFCE:
 * stats holds the observed maximum score), reporting its layout when lay is not NULL. */
int cperm_plot_h0_layout(unsigned char **out, size_t *out_len, const double *h0, size_t n_h0,
                         const double *stats, const double *pvalues, size_t n_stats, int tail,
                         double p_thresh, int kind, int width, int height, int format,
                         cperm_h0plot_layout *lay, cperm_err *err);

/* The same, exported for the CLI's TFCE figure until include/clusterperm.h declares it. */
CPERM_API int cperm_plot_h0_kind(unsigned char **out, size_t *out_len, const double *h0,
                                 size_t n_h0, const double *stats, const double *pvalues,
                                 size_t n_stats, int tail, double p_thresh, int kind, int width,
                                 int height, int format, cperm_err *err);

#endif
