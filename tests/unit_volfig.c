/* unit_volfig.c - the glass-brain figure of a volume source space (issue 14): a blob of
 * known grid points appears, in the table's colours, where its MRI position projects in each
 * of the sagittal, coronal and axial views, and not at its mirror image; the rest of the
 * points in use are the silhouette's grey, points outside it the background; the colour bar's
 * band holds neither; SVG and PDF encode, and bad inputs are refused. */
#include "figcheck.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A 13 x 15 x 11 grid of 5 mm (x fastest), its points in use inside an ellipsoid, placed
 * as MNE places grids: rr = src_mri_t (index). */
#define NX 13
#define NY 15
#define NZ 11
#define STEP 0.005

static cperm_src_hemi make_volume(void) {
    cperm_src_hemi v;
    memset(&v, 0, sizeof v);
    v.type = CPERM_SRC_VOLUME;
    v.id = -1;
    v.coord_frame = CPERM_COORD_MRI;
    v.shape[0] = NX, v.shape[1] = NY, v.shape[2] = NZ;
    v.np = (size_t)NX * NY * NZ;
    v.rr = calloc(3 * v.np, sizeof *v.rr);
    v.inuse = calloc(v.np, sizeof *v.inuse);
    v.vertno = calloc(v.np, sizeof *v.vertno);
    const double origin[3] = {-0.03, -0.035, -0.025};
    v.src_mri_t.present = 1;
    v.src_mri_t.from = CPERM_COORD_MRI_VOXEL;
    v.src_mri_t.to = CPERM_COORD_MRI;
    for (int d = 0; d < 3; d++) {
        v.src_mri_t.trans[4 * d + d] = STEP;
        v.src_mri_t.trans[4 * d + 3] = origin[d];
    }
    v.src_mri_t.trans[15] = 1;
    for (size_t z = 0; z < NZ; z++)
        for (size_t y = 0; y < NY; y++)
            for (size_t x = 0; x < NX; x++) {
                const size_t p = x + NX * (y + NY * z);
                const double c[3] = {(double)x - 6, (double)y - 7, (double)z - 5};
                const double idx[3] = {(double)x, (double)y, (double)z};
                for (int d = 0; d < 3; d++)
                    v.rr[3 * p + (size_t)d] = (float)(origin[d] + STEP * idx[d]);
                if (c[0] * c[0] / 36.5 + c[1] * c[1] / 49.5 + c[2] * c[2] / 25.5 <= 1.0) {
                    v.inuse[p] = 1;
                    v.vertno[v.nuse++] = (int32_t)p;
                }
            }
    return v;
}

static void free_volume(cperm_src_hemi *v) {
    free(v->rr);
    free(v->inuse);
    free(v->vertno);
}

static int is_hot(const int c[3]) { return c[0] > 180 && c[2] < 140 && c[0] - c[2] > 80; }
static int is_grey(const int c[3]) {
    return abs(c[0] - c[1]) < 6 && abs(c[1] - c[2]) < 6 && c[0] > 180 && c[0] < 240;
}
static int is_white(const int c[3]) { return c[0] > 250 && c[1] > 250 && c[2] > 250; }

/* The pixel where MRI position pos falls in view k. */
static void pixel_at(const cperm_volfig_layout *L, int k, const double pos[3],
                     cairo_surface_t *img, int c[3], int *inside) {
    double x, y;
    *inside = cperm_volfig_pixel(&L->view[k], pos, &x, &y);
    fc_pixel(img, (int)floor(x), (int)floor(y), c);
}

static void grid_pos(const cperm_src_hemi *v, size_t x, size_t y, size_t z, double pos[3]) {
    const size_t p = x + NX * (y + NY * z);
    for (int d = 0; d < 3; d++) pos[d] = v->rr[3 * p + (size_t)d];
}

static void test_blob(void) {
    cperm_src_hemi vol = make_volume();
    /* the blob: 2 x 2 x 2 points in use, right (x 8..9), anterior (y 9..10), up (z 6..7)
     * of the centre (6, 7, 5): value 30, and one point at the grid's centre with 0.05 (under
     * fmin of the transparent table: not drawn) */
    uint32_t verts[9];
    double vals[9];
    size_t n = 0;
    for (size_t z = 6; z <= 7; z++)
        for (size_t y = 9; y <= 10; y++)
            for (size_t x = 8; x <= 9; x++) {
                verts[n] = (uint32_t)(x + NX * (y + NY * z));
                vals[n++] = 30.0;
            }
    verts[n] = (uint32_t)(6 + NX * (7 + NY * 5));
    vals[n++] = 0.05;
    int all_in_use = 1;
    for (size_t i = 0; i < n; i++) all_in_use &= vol.inuse[verts[i]] != 0;
    CHECK("volfig_blob_in_use", all_in_use, "a blob point is outside the ellipsoid");

    cperm_render_options o = CPERM_RENDER_OPTIONS_INIT;
    o.width = 900;
    o.height = 360;
    o.fmin = 1, o.fmid = 5, o.fmax = 40;
    o.time_label = "Duration significant (ms)";
    unsigned char *png = NULL;
    size_t len = 0;
    cperm_err err = {0};
    cperm_volfig_layout L;
    int rc = cperm_render_volume_layout(&png, &len, &vol, verts, vals, n, &o, &L, &err);
    cairo_surface_t *img = rc == 0 ? fc_decode(png, len) : NULL;
    CHECK("volfig_renders", img != NULL, "rc %d: %s", rc, err.msg);
    if (!img) goto out;
    CHECK("volfig_size", cairo_image_surface_get_width(img) == 900 &&
          cairo_image_surface_get_height(img) == 360, "%dx%d",
          cairo_image_surface_get_width(img), cairo_image_surface_get_height(img));

    /* the blob's centre (x 8.5, y 9.5, z 6.5) and its mirror images: x mirrored about the
     * centre (sagittal cannot tell, coronal and axial can), y mirrored (sagittal and axial),
     * z mirrored (sagittal and coronal) */
    double b0[3], b1[3], blob[3];
    grid_pos(&vol, 8, 9, 6, b0);
    grid_pos(&vol, 9, 10, 7, b1);
    for (int d = 0; d < 3; d++) blob[d] = (b0[d] + b1[d]) / 2;
    double centre[3];
    grid_pos(&vol, 6, 7, 5, centre);
    static const char *const vname[3] = {"sagittal", "coronal", "axial"};
    for (int k = 0; k < 3; k++) {
        const cperm_volfig_view *w = &L.view[k];
        char name[96];
        int c[3], inside;
        pixel_at(&L, k, blob, img, c, &inside);
        snprintf(name, sizeof name, "volfig_%s_blob_drawn_at_its_position", vname[k]);
        CHECK(name, inside && is_hot(c), "rgb %d %d %d, inside %d", c[0], c[1], c[2], inside);
        /* the blob's 2 x 2 cells and no more: 4 coloured cells per view */
        snprintf(name, sizeof name, "volfig_%s_blob_cells", vname[k]);
        CHECK(name, w->n_coloured == 4, "%zu coloured cells", w->n_coloured);
        for (int d = 0; d < 3; d++) {
            if (d != w->h_axis && d != w->v_axis) continue;
            double m[3] = {blob[0], blob[1], blob[2]};
            m[d] = 2 * centre[d] - blob[d];
            pixel_at(&L, k, m, img, c, &inside);
            snprintf(name, sizeof name, "volfig_%s_not_mirrored_along_%c", vname[k], "xyz"[d]);
            CHECK(name, inside && is_grey(c), "rgb %d %d %d at the mirror image, inside %d",
                  c[0], c[1], c[2], inside);
        }
        /* the centre's value is under fmin: the silhouette's grey */
        pixel_at(&L, k, centre, img, c, &inside);
        snprintf(name, sizeof name, "volfig_%s_below_fmin_is_silhouette", vname[k]);
        CHECK(name, inside && is_grey(c), "rgb %d %d %d", c[0], c[1], c[2]);
        /* the grid's corner is outside the ellipsoid: background */
        /* the corner cell of the lattice, which starts at the lowest coordinate in use */
        const int px = (int)(w->grid.x0 + 0.5 * w->cell_w), py = (int)(w->grid.y1 - 0.5 * w->cell_h);
        fc_pixel(img, px, py, c);
        snprintf(name, sizeof name, "volfig_%s_outside_silhouette_is_background", vname[k]);
        CHECK(name, is_white(c), "rgb %d %d %d at %d,%d", c[0], c[1], c[2], px, py);
        /* the silhouette: the ellipsoid's cross-section, about pi/4 of its bounding lattice */
        const double frac = (double)w->n_cells / (double)(w->n_cols * w->n_rows);
        snprintf(name, sizeof name, "volfig_%s_silhouette", vname[k]);
        CHECK(name, frac > 0.6 && frac < 0.9 && w->n_cols > 8 && w->n_rows > 8,
              "%zu cells of %zu x %zu", w->n_cells, w->n_cols, w->n_rows);
        /* one scale for all views, true aspect */
        snprintf(name, sizeof name, "volfig_%s_square_cells", vname[k]);
        CHECK(name, fabs(w->cell_w - w->cell_h) < 1e-9 && fabs(w->cell_w - L.view[0].cell_w) <
              1e-9 && w->cell_w > 5, "cell %g x %g", w->cell_w, w->cell_h);
        /* inside the figure, above the band, apart from the other views */
        snprintf(name, sizeof name, "volfig_%s_placed", vname[k]);
        CHECK(name, w->grid.x0 >= 0 && w->grid.x1 <= 900 && w->grid.y0 >= 0 &&
              w->grid.y1 < L.band.band.y0 && (k == 0 || w->grid.x0 > L.view[k - 1].grid.x1),
              "grid %.0f,%.0f-%.0f,%.0f, band at %.0f", w->grid.x0, w->grid.y0, w->grid.x1,
              w->grid.y1, L.band.band.y0);
    }
    /* the band: a colour bar in the table's colours, texts off every grid */
    CHECK("volfig_band", L.band.has_band && L.band.has_bar && L.band.band.y1 <= 360, "band %d bar %d",
          L.band.has_band, L.band.has_bar);
    {
        const int y = (int)((L.band.bar.y0 + L.band.bar.y1) / 2);
        int coloured = 0, cols = 0;
        for (int x = (int)L.band.bar.x0 + 4; x < (int)L.band.bar.x1 - 4; x += 3, cols++) {
            int p[3];
            fc_pixel(img, x, y, p);
            coloured += abs(p[0] - p[2]) > 40;
        }
        CHECK("volfig_colorbar_coloured", cols > 10 && coloured * 3 > cols, "%d of %d", coloured,
              cols);
        int overlap = 0;
        for (size_t i = 0; i < L.band.n_text; i++)
            for (int k = 0; k < 3; k++) overlap += cperm_box_overlap(&L.band.text[i], &L.view[k].grid);
        CHECK("volfig_texts_off_grids", overlap == 0 && L.band.n_text >= 12, "%d overlaps, %zu texts",
              overlap, L.band.n_text);
        overlap = 0;
        for (size_t i = 0; i < L.band.n_text; i++)
            for (size_t j = 0; j < i; j++) overlap += cperm_box_overlap(&L.band.text[i], &L.band.text[j]);
        CHECK("volfig_texts_apart", overlap == 0, "%d pairs of texts overlap", overlap);
    }
    cairo_surface_destroy(img);
out:
    free(png);

    /* SVG and PDF */
    static const char *const magic[2] = {"<?xml", "%PDF"};
    for (int f = 1; f <= 2; f++) {
        o.format = f;
        png = NULL;
        rc = cperm_render_volume(&png, &len, &vol, verts, vals, n, &o, &err);
        char name[64];
        snprintf(name, sizeof name, "volfig_encodes_%s", f == 1 ? "svg" : "pdf");
        CHECK(name, rc == 0 && len > 100 && !memcmp(png, magic[f - 1], strlen(magic[f - 1])),
              "rc %d: %s", rc, err.msg);
        free(png);
    }
    /* a diverging map: a negative blob in the table's blue */
    o.format = CPERM_FORMAT_PNG;
    o.diverging = 1;
    for (size_t i = 0; i + 1 < n; i++) vals[i] = -30;
    png = NULL;
    rc = cperm_render_volume_layout(&png, &len, &vol, verts, vals, n, &o, &L, &err);
    img = rc == 0 ? fc_decode(png, len) : NULL;
    if (img) {
        int c[3], inside;
        pixel_at(&L, 1, blob, img, c, &inside);
        CHECK("volfig_diverging_negative_blue", inside && c[2] > 150 && c[2] - c[0] > 80,
              "rgb %d %d %d", c[0], c[1], c[2]);
        cairo_surface_destroy(img);
    } else {
        CHECK("volfig_diverging_negative_blue", 0, "rc %d: %s", rc, err.msg);
    }
    free(png);

    /* bad inputs */
    png = NULL;
    verts[0] = (uint32_t)vol.np;
    rc = cperm_render_volume(&png, &len, &vol, verts, vals, n, &o, &err);
    CHECK("volfig_vertex_beyond_grid", rc == CPERM_EMISMATCH && strstr(err.msg, "beyond"),
          "rc %d: %s", rc, err.msg);
    cperm_src_hemi surf = vol;
    surf.type = CPERM_SRC_SURFACE;
    rc = cperm_render_volume(&png, &len, &surf, verts, vals, 0, &o, &err);
    CHECK("volfig_needs_volume", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_render_volume_file("/tmp/x.bmp", &vol, verts, vals, 0, &o, &err);
    CHECK("volfig_file_extension", rc == CPERM_EINVAL && strstr(err.msg, ".bmp"), "rc %d", rc);
    free_volume(&vol);
}

int main(void) {
    test_blob();
    cperm_render_cleanup();
    return tu_failed || fc_failed ? 1 : 0;
}
