/* render.c - brain figures of surface source estimates without a GPU or display: MNE's
 * colouring and views, a software z-buffer rasteriser, and the figure's layout (subplots,
 * the band for the colour bar, room for the hemisphere labels), composed with Cairo. */
#include "render_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SS 2 /* supersampling factor per axis for anti-aliased edges */

/* ------------------------------------------------------------------ cameras */

typedef struct camera {
    double right[3], up[3], dir[3]; /* dir: from the focal point towards the camera */
} camera;

static void cross3(double *o, const double *a, const double *b) {
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}
static double dot3(const double *a, const double *b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static void normalize3(double *a) {
    double n = sqrt(dot3(a, a));
    if (n > 0) a[0] /= n, a[1] /= n, a[2] /= n;
}

/* mne/viz/_brain/view.py's azimuth/elevation per view and hemisphere dictionary, turned
 * into a camera frame the way _set_3d_view and VTK's view transform do. */
static camera view_camera(int view, int rh_dict) {
    static const double lh[6][2] = {{180, 90}, {0, 90}, {180, 180}, {180, 0}, {90, 90}, {270, 90}};
    static const double rh[6][2] = {{180, -90}, {0, -90}, {180, 180}, {180, 0}, {-90, -90},
                                    {90, -90}};
    const double *ae = rh_dict ? rh[view] : lh[view];
    const double phi = ae[0] * M_PI / 180.0, theta = ae[1] * M_PI / 180.0;
    camera c;
    c.dir[0] = cos(phi) * sin(theta);
    c.dir[1] = sin(phi) * sin(theta);
    c.dir[2] = cos(theta);
    normalize3(c.dir);
    double up[3] = {0, 0, 1};
    if (!(fabs(ae[1]) >= 5.0 && fabs(ae[1]) <= 175.0)) up[1] = 1, up[2] = 0;
    cross3(c.right, up, c.dir);
    normalize3(c.right);
    cross3(c.up, c.dir, c.right);
    return c;
}

/* ------------------------------------------------------------------ scene */

typedef struct hemi_scene {
    size_t nv, nt;
    const int32_t *tris;
    double *rr;          /* positions after the optional offset */
    float *nn;           /* unit vertex normals */
    float *rgb;          /* composited surface colour per vertex */
} hemi_scene;

static void hemi_scene_free(hemi_scene *h) {
    free(h->rr);
    free(h->nn);
    free(h->rgb);
}

/* The colours MNE's _LayeredMesh gives each vertex: binarised curvature in Greys over
 * [-1, 2], then the data overlay composited over it ('over' operator). */
static void vertex_colours(float *rgb, const double *vals, const float *curv, size_t nv,
                           const unsigned char lut[256][4], double lo, double hi) {
    const double g0 = cperm_cmap_greys(1.0 / 3.0), g1 = cperm_cmap_greys(2.0 / 3.0);
    for (size_t v = 0; v < nv; v++) {
        double base = curv && curv[v] > 0 ? g1 : g0;
        double r = base, g = base, b = base;
        int idx = cperm_cmap_index(vals[v], lo, hi);
        if (idx >= 0) {
            const double a = lut[idx][3] / 255.0;
            r = lut[idx][0] / 255.0 * a + base * (1 - a);
            g = lut[idx][1] / 255.0 * a + base * (1 - a);
            b = lut[idx][2] / 255.0 * a + base * (1 - a);
        }
        rgb[3 * v] = (float)r, rgb[3 * v + 1] = (float)g, rgb[3 * v + 2] = (float)b;
    }
}

/* mne.surface._complete_surface_info: vertex normals are the normalised sums of the unit
 * normals of the triangles around each vertex. */
static void vertex_normals(float *nn, const double *rr, size_t nv, const int32_t *tris, size_t nt) {
    double *acc = calloc(3 * nv + 1, sizeof *acc);
    if (!acc) { /* fall back to radial normals rather than fail: only shading suffers */
        for (size_t v = 0; v < nv; v++) nn[3 * v] = 0, nn[3 * v + 1] = 0, nn[3 * v + 2] = 1;
        return;
    }
    for (size_t t = 0; t < nt; t++) {
        const double *a = rr + 3 * (size_t)tris[3 * t], *b = rr + 3 * (size_t)tris[3 * t + 1],
                     *c = rr + 3 * (size_t)tris[3 * t + 2];
        double e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        double e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]}, n[3];
        cross3(n, e1, e2);
        normalize3(n);
        for (size_t j = 0; j < 3; j++) {
            double *o = acc + 3 * (size_t)tris[3 * t + j];
            o[0] += n[0], o[1] += n[1], o[2] += n[2];
        }
    }
    for (size_t v = 0; v < nv; v++) {
        normalize3(acc + 3 * v);
        for (size_t k = 0; k < 3; k++) nn[3 * v + k] = (float)acc[3 * v + k];
    }
    free(acc);
}

/* ------------------------------------------------------------------ rasteriser */

typedef struct raster {
    int w, h;            /* supersampled size */
    float *depth;        /* larger = nearer the camera */
    uint32_t *colour;    /* 0xHHRRGGBB, HH the hemisphere drawn (1 lh, 2 rh); covered
                            where depth > -INF */
} raster;

typedef struct pvert {
    float x, y, z;
    float r, g, b;
} pvert;

/* Fills one triangle with linear (orthographic) depth and Gouraud colour. Pixel centres
 * inside or on an edge are covered; the depth test keeps the nearest. Barycentric weights,
 * depth and colour are affine in the pixel position, evaluated from the box's corner at
 * each pixel (not stepped from the previous one: a chain of float adds, one per pixel, was
 * the seed figure's critical path) and tested without a branch, so that the row loop is
 * vector code: a ventral 1000 x 1000 figure's triangles cover ~80 subpixels each. */
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
enum { RASTER_PAD = 8 }; /* elements after a raster's last pixel: raster_tri's last lanes */

/* (int)clamp(v * 255 + 0.5, 0, 255) per lane, the channel byte, into the v8i out. A macro:
 * a function returning a 32-byte vector gets -Wpsabi's warning in the SSE2 build. */
#define PACK8(out, val)                                                                     \
    do {                                                                                    \
        v8f v_ = (val) * 255.f + 0.5f;                                                      \
        const v8i pos_ = v_ > 0.f, big_ = v_ < 255.f;                                       \
        v_ = (v8f)(pos_ & (v8i)v_);                                                         \
        v_ = (v8f)((big_ & (v8i)v_) | (~big_ & (v8i)(zero8 + 255.f)));                     \
        (out) = __builtin_convertvector(v_, v8i);                                           \
    } while (0)

/* The pixel rows and columns (inclusive) of the viewport [x0, x1) x [y0, y1) that triangle
 * (a, b, c)'s bounding box meets; 0 when it meets none. */
static inline int tri_box(const pvert *a, const pvert *b, const pvert *c, int x0, int y0, int x1,
                          int y1, int *bx0, int *by0, int *bx1, int *by1) {
    float fx0 = a->x < b->x ? a->x : b->x, fx1 = a->x > b->x ? a->x : b->x;
    float fy0 = a->y < b->y ? a->y : b->y, fy1 = a->y > b->y ? a->y : b->y;
    fx0 = c->x < fx0 ? c->x : fx0, fx1 = c->x > fx1 ? c->x : fx1;
    fy0 = c->y < fy0 ? c->y : fy0, fy1 = c->y > fy1 ? c->y : fy1;
    if (!(fx1 >= (float)x0 && fx0 < (float)x1 && fy1 >= (float)y0 && fy0 < (float)y1)) return 0;
    *bx0 = (int)floorf(fx0), *bx1 = (int)ceilf(fx1), *by0 = (int)floorf(fy0), *by1 = (int)ceilf(fy1);
    if (*bx0 < x0) *bx0 = x0;
    if (*by0 < y0) *by0 = y0;
    if (*bx1 > x1 - 1) *bx1 = x1 - 1;
    if (*by1 > y1 - 1) *by1 = y1 - 1;
    return 1;
}

static inline __attribute__((always_inline)) void
raster_tri(raster *R, const pvert *a, const pvert *b, const pvert *c, uint32_t tag, int x0,
           int y0, int x1, int y1) {
    const float area = (b->x - a->x) * (c->y - a->y) - (b->y - a->y) * (c->x - a->x);
    if (!(fabsf(area) > 1e-12f)) return;
    const float inv = 1.0f / area;
    int bx0, by0, bx1, by1;
    if (!tri_box(a, b, c, x0, y0, x1, y1, &bx0, &by0, &bx1, &by1)) return;
    /* w0(px, py) = ((b.x - px)(c.y - py) - (b.y - py)(c.x - px)) / area, and likewise w1 */
    const float w0x = (b->y - c->y) * inv, w0y = (c->x - b->x) * inv;
    const float w1x = (c->y - a->y) * inv, w1y = (a->x - c->x) * inv;
    const float px0 = (float)bx0 + 0.5f, py0 = (float)by0 + 0.5f;
    const float w00 = ((b->x - px0) * (c->y - py0) - (b->y - py0) * (c->x - px0)) * inv;
    const float w10 = ((c->x - px0) * (a->y - py0) - (c->y - py0) * (a->x - px0)) * inv;
    /* attribute = a + w0 (a_a - a_c) + w1 (a_b - a_c) with w2 = 1 - w0 - w1, written from c */
    const float dz0 = a->z - c->z, dz1 = b->z - c->z, cz = c->z;
    const float ar = a->r, ag = a->g, ab = a->b, br = b->r, bg = b->g, bb = b->b;
    const float cr = c->r, cg = c->g, cb = c->b;
    const int nx = bx1 - bx0 + 1;
    const v8f lane = {0, 1, 2, 3, 4, 5, 6, 7}, zero8 = {0, 0, 0, 0, 0, 0, 0, 0};
    const float fnx = (float)nx;
    float fy = 0.0f; /* y - by0 and i below as floats, stepped (whole numbers: exact), for
                      * an int-to-float conversion per vector stalled the loop */
    for (int y = by0; y <= by1; y++, fy += 1.0f) {
        const float w0r = w00 + fy * w0y, w1r = w10 + fy * w1y;
        float *depth = R->depth + (size_t)y * (size_t)R->w + bx0;
        uint32_t *colour = R->colour + (size_t)y * (size_t)R->w + bx0;
        /* 8 pixels at a time; lanes past the box are loaded and stored back unchanged (the
         * buffers have RASTER_PAD elements beyond the last row for them) */
        float fi = 0.0f;
        for (int i = 0; i < nx; i += 8, fi += 8.0f) {
            const v8f fx = lane + fi;
            const v8f w0 = w0r + fx * w0x, w1 = w1r + fx * w1x;
            const v8f w2 = 1.0f - w0 - w1;
            const v8f z = cz + w0 * dz0 + w1 * dz1;
            v8f d;
            memcpy(&d, depth + i, sizeof d);
            const v8i in = ~(w0 < 0.0f) & ~(w1 < 0.0f) & ~(w2 < -1e-6f) & ~(z <= d) &
                           (fx < fnx);
            v8i pr, pg, pb;
            PACK8(pr, w0 * ar + w1 * br + w2 * cr);
            PACK8(pg, w0 * ag + w1 * bg + w2 * cg);
            PACK8(pb, w0 * ab + w1 * bb + w2 * cb);
            v8i cn = (int32_t)tag | (pr << 16) | (pg << 8) | pb;
            const v8i dn = (in & (v8i)z) | (~in & (v8i)d);
            /* The old colours are read only where a lane keeps a drawn pixel: a lane still
             * at -INF may take any colour (it is not covered), and reading a colour page
             * before its first write maps the zero page, whose copy-on-write fault then
             * cost a TLB shootdown on every core (a third of the figures' time in a run) */
            const v8i keep = ~in & (d > -INFINITY);
            uint64_t kw[4];
            memcpy(kw, &keep, sizeof kw);
            if (kw[0] | kw[1] | kw[2] | kw[3]) {
                v8i col;
                memcpy(&col, colour + i, sizeof col);
                cn = (in & cn) | (~in & col);
            }
            memcpy(depth + i, &dn, sizeof dn);
            memcpy(colour + i, &cn, sizeof cn);
        }
    }
}

/* MNE's three camera lights (backends/_pyvista.py update_lighting, headlight off):
 * azimuth/elevation (0, -45), (-60, 30), (60, 30), intensity 0.7 each, diffuse only. */
static void light_dirs(double L[3][3]) {
    static const double ae[3][2] = {{0, -45}, {-60, 30}, {60, 30}};
    for (int i = 0; i < 3; i++) {
        const double th = ae[i][0] * M_PI / 180.0, ph = (90.0 - ae[i][1]) * M_PI / 180.0;
        L[i][0] = sin(th) * sin(ph);
        L[i][1] = cos(ph);
        L[i][2] = cos(th) * sin(ph);
        normalize3(L[i]);
    }
}

/* Where a viewport's camera looks from and how it scales: _set_3d_view puts the focal
 * point at the centre of the bounds of what is shown, at twice its largest extent, with
 * VTK's 30 degree view angle, so the viewport's height shows 2 * d * tan(15 deg). */
typedef struct frame {
    camera cam;
    double focal[3], scale, cx, cy;
} frame;

/* 0 when the hemispheres `which` (bit 0 lh, bit 1 rh) hold no vertex. */
static int view_frame(frame *f, const hemi_scene *hs, int which, int view, int rh_dict,
                      double vx, double vy, double vw, double vh) {
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int h = 0; h < 2; h++) {
        if (!(which & (1 << h))) continue;
        for (size_t v = 0; v < hs[h].nv; v++)
            for (size_t k = 0; k < 3; k++) {
                double x = hs[h].rr[3 * v + k];
                if (x < lo[k]) lo[k] = x;
                if (x > hi[k]) hi[k] = x;
            }
    }
    if (!(lo[0] <= hi[0])) return 0;
    f->cam = view_camera(view, rh_dict);
    for (int k = 0; k < 3; k++) f->focal[k] = (lo[k] + hi[k]) / 2;
    double ext = fmax(hi[0] - lo[0], fmax(hi[1] - lo[1], hi[2] - lo[2]));
    if (!(ext > 0)) ext = 1.0;
    f->scale = (vh / 2.0) / (2.0 * ext * tan(15.0 * M_PI / 180.0));
    f->cx = vx + vw / 2.0;
    f->cy = vy + vh / 2.0;
    return 1;
}

/* The topmost projected vertex of the hemispheres `which` (+INF when there is none): the
 * brain's pixels all lie at or below it. */
static double frame_top(const frame *f, const hemi_scene *hs, int which) {
    double top = INFINITY;
    for (int h = 0; h < 2; h++) {
        if (!(which & (1 << h))) continue;
        for (size_t v = 0; v < hs[h].nv; v++) {
            const double *r = hs[h].rr + 3 * v;
            const double p[3] = {r[0] - f->focal[0], r[1] - f->focal[1], r[2] - f->focal[2]};
            top = fmin(top, f->cy - dot3(p, f->cam.up) * f->scale);
        }
    }
    return top;
}

/* The smallest depth in each TILE x TILE block of the raster that meets the viewport
 * (vx, vy, vw, vh): -INF where a pixel is still uncovered. */
enum { TILE = 8 };
static void tile_min_depth(const raster *R, float *tmin, int tiles_x, int vx, int vy, int vw,
                           int vh) {
    for (int ty = vy / TILE; ty <= (vy + vh - 1) / TILE; ty++)
        for (int tx = vx / TILE; tx <= (vx + vw - 1) / TILE; tx++) {
            float m = INFINITY;
            if ((ty + 1) * TILE <= R->h && (tx + 1) * TILE <= R->w) {
                /* a whole block: fixed bounds, so that the minimum is vector code */
                float lane[TILE];
                for (int x = 0; x < TILE; x++) lane[x] = INFINITY;
                for (int y = ty * TILE; y < (ty + 1) * TILE; y++) {
                    const float *d = R->depth + (size_t)y * (size_t)R->w + (size_t)tx * TILE;
                    for (int x = 0; x < TILE; x++) lane[x] = d[x] < lane[x] ? d[x] : lane[x];
                }
                for (int x = 0; x < TILE; x++) m = lane[x] < m ? lane[x] : m;
            } else {
                for (int y = ty * TILE; y < ty * TILE + TILE && y < R->h; y++) {
                    const float *d = R->depth + (size_t)y * (size_t)R->w;
                    for (int x = tx * TILE; x < tx * TILE + TILE && x < R->w; x++)
                        m = d[x] < m ? d[x] : m;
                }
            }
            tmin[(size_t)ty * (size_t)tiles_x + (size_t)tx] = m;
        }
}

/* Whether every pixel that triangle (a, b, c) could cover in the viewport already holds a
 * nearer depth: its depth is at most its vertices' largest (it is affine), and the margin
 * covers the rounding of the stepped depth. */
static int tri_hidden(const float *tmin, int tiles_x, const pvert *a, const pvert *b,
                      const pvert *c, int x0, int y0, int x1, int y1) {
    const float zmax = fmaxf(a->z, fmaxf(b->z, c->z));
    const float lim = zmax + 1e-3f * (fabsf(zmax) + 1.0f);
    int bx0, by0, bx1, by1;
    if (!tri_box(a, b, c, x0, y0, x1, y1, &bx0, &by0, &bx1, &by1))
        return 1; /* outside the viewport: raster_tri draws nothing either */
    for (int ty = by0 / TILE; ty <= by1 / TILE; ty++)
        for (int tx = bx0 / TILE; tx <= bx1 / TILE; tx++)
            if (!(tmin[(size_t)ty * (size_t)tiles_x + (size_t)tx] > lim)) return 0;
    return 1;
}

/* One pass of draw_viewport over a hemisphere's triangles: those facing the camera (pass 0)
 * or the others, less those behind the depth already drawn (pass 1). Cloned per ISA with
 * raster_tri inlined: its 8-pixel vectors are one AVX register, two in the SSE2 baseline. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void draw_pass(raster *R, const pvert *pv, const int32_t *tris, size_t nt, uint32_t tag,
                      int pass, const float *tmin, int tiles_x, int x0, int y0, int x1, int y1) {
    for (size_t t = 0; t < nt; t++) {
        const pvert *a = &pv[tris[3 * t]], *b = &pv[tris[3 * t + 1]], *c = &pv[tris[3 * t + 2]];
        const float area = (b->x - a->x) * (c->y - a->y) - (b->y - a->y) * (c->x - a->x);
        if ((area < 0) != (pass == 0)) continue;
        if (pass == 1 && tri_hidden(tmin, tiles_x, a, b, c, x0, y0, x1, y1)) continue;
        raster_tri(R, a, b, c, tag, x0, y0, x1, y1);
    }
}

/* Draws the hemispheres `which` through frame f, clipped to the raster viewport (vx, vy,
 * vw, vh). The triangles that face the camera go first; most of the others then lie behind
 * them, and a block's nearest-depth bound rejects those without a pixel test (a fsaverage
 * surface is closed, so that is about half the triangles). Only a tie in depth between a
 * facing and a turned-away triangle at one pixel can end differently than in file order. */
static int draw_viewport(raster *R, const hemi_scene *hs, int which, const frame *f, int vx,
                         int vy, int vw, int vh) {
    const camera cam = f->cam;
    double L[3][3];
    light_dirs(L);
    const int tiles_x = (R->w + TILE - 1) / TILE, tiles_y = (R->h + TILE - 1) / TILE;
    pvert *pvs[2] = {NULL, NULL};
    float *tmin = malloc((size_t)tiles_x * (size_t)tiles_y * sizeof *tmin);
    int rc = tmin ? CPERM_OK : CPERM_ENOMEM;
    for (int h = 0; h < 2 && !rc; h++) {
        if (!(which & (1 << h))) continue;
        const hemi_scene *s = &hs[h];
        pvert *pv = pvs[h] = malloc((s->nv ? s->nv : 1) * sizeof *pv);
        if (!pv) {
            rc = CPERM_ENOMEM;
            break;
        }
        for (size_t v = 0; v < s->nv; v++) {
            const double p[3] = {s->rr[3 * v] - f->focal[0], s->rr[3 * v + 1] - f->focal[1],
                                 s->rr[3 * v + 2] - f->focal[2]};
            pv[v].x = (float)(f->cx + dot3(p, cam.right) * f->scale);
            pv[v].y = (float)(f->cy - dot3(p, cam.up) * f->scale);
            pv[v].z = (float)dot3(p, cam.dir);
            const double n[3] = {s->nn[3 * v], s->nn[3 * v + 1], s->nn[3 * v + 2]};
            double nc[3] = {dot3(n, cam.right), dot3(n, cam.up), dot3(n, cam.dir)};
            if (nc[2] < 0) nc[0] = -nc[0], nc[1] = -nc[1], nc[2] = -nc[2]; /* two-sided */
            double I = 0;
            /* fmax/fmin as comparisons (all finite here): libm calls per vertex otherwise */
            for (int i = 0; i < 3; i++) {
                const double d = dot3(nc, L[i]);
                I += 0.7 * (d > 0.0 ? d : 0.0);
            }
            const double r = s->rgb[3 * v] * I, g = s->rgb[3 * v + 1] * I,
                         bl = s->rgb[3 * v + 2] * I;
            pv[v].r = (float)(r < 1.0 ? r : 1.0);
            pv[v].g = (float)(g < 1.0 ? g : 1.0);
            pv[v].b = (float)(bl < 1.0 ? bl : 1.0);
        }
    }
    /* pass 0: facing the camera (negative screen area: y grows downwards); pass 1: the rest */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        if (pass == 1) tile_min_depth(R, tmin, tiles_x, vx, vy, vw, vh);
        for (int h = 0; h < 2; h++)
            if (pvs[h])
                draw_pass(R, pvs[h], hs[h].tris, hs[h].nt, (uint32_t)(h + 1) << 24, pass, tmin,
                          tiles_x, vx, vy, vx + vw, vy + vh);
    }
    free(pvs[0]);
    free(pvs[1]);
    free(tmin);
    return rc;
}

/* ------------------------------------------------------------------ layout */

/* The subplots of a W x H figure: rows are views, columns hemispheres when split, all above
 * the band. A subplot whose brain would leave no room above itself for the hemisphere
 * labels gives a strip off the top of its brain viewport; base[i] is the labels' baseline
 * in subplot i. Everything is in whole pixels so that the supersampled viewports end
 * exactly where the band and the strips begin. */
static void plan_panels(cperm_render_layout *lay, double *base, const hemi_scene *hs,
                        const cperm_render_options *o, int W, int H, int band_h) {
    const int ncols = o->hemi == CPERM_HEMI_SPLIT ? 2 : 1, nrows = (int)o->n_views;
    const int which = o->hemi == CPERM_HEMI_LH ? 1 : o->hemi == CPERM_HEMI_RH ? 2 : 3;
    const int BH = H - band_h;
    lay->n_panels = 0;
    for (int r = 0; r < nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            cperm_render_panel *p = &lay->panel[lay->n_panels];
            double *b = &base[lay->n_panels++];
            memset(p, 0, sizeof *p);
            const int x0 = (int)((long)W * c / ncols), x1 = (int)((long)W * (c + 1) / ncols);
            const int y0 = (int)((long)BH * r / nrows), y1 = (int)((long)BH * (r + 1) / nrows);
            p->rect = (cperm_box){x0, y0, x1, y1};
            p->brain = p->rect;
            p->view = o->views[r];
            p->which = o->hemi == CPERM_HEMI_SPLIT ? (c == 0 ? 1 : 2) : which;
            const int rh_dict = o->hemi == CPERM_HEMI_RH || (o->hemi == CPERM_HEMI_SPLIT && c == 1);
            const double font = cperm_label_font(&p->rect);
            const int strip = (int)cperm_label_strip(font);
            frame f;
            *b = y0 + strip - 0.3 * font - 0.24 * font; /* in the strip, if one is taken */
            if (!view_frame(&f, hs, p->which, p->view, rh_dict, x0 * SS, y0 * SS, (x1 - x0) * SS,
                            (y1 - y0) * SS))
                continue;
            const double top = frame_top(&f, hs, p->which) / SS;
            if (top - y0 >= strip) {
                *b = top - 0.3 * font - 0.24 * font; /* just above the brain */
            } else if (y1 - y0 > 2 * strip) {
                p->strip = 1;
                p->brain.y0 = y0 + strip;
            }
        }
    }
}

/* resolve's whole-number-background case for the output pixels [0, 8 * (W / 8)) of one row:
 * d0/c0 and d1/c1 its two subpixel rows (ld apart). Per output pixel, exactly the scalar
 * loop's sums: the four samples' channels (the background's where uncovered), rounded as
 * (sum + 2) >> 2, and the hemisphere with more covered samples. A group of 8 pixels all
 * background (most of a figure) never reads the colours. Returns the first pixel left.
 * Cloned per ISA; this loop had been most of a figure's time outside the triangles. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static int resolve8(uint32_t *row, uint8_t *mrow, const float *d0, const uint32_t *c0,
                    size_t ld, int W, uint32_t bgi) {
#if SS != 2
    return 0;
#else
    const v8i even = {0, 2, 4, 6, 8, 10, 12, 14}, odd = even + 1;
    const v8f ninf = (v8f){0, 0, 0, 0, 0, 0, 0, 0} - INFINITY;
    const int32_t bgw = (int32_t)(0xFF000000u | bgi);
    int x = 0;
    for (; x + 8 <= W; x += 8) {
        const size_t s0 = (size_t)(2 * x);
        v8f da, db, dc, dd; /* row 0 samples 0-7 and 8-15, row 1 likewise */
        memcpy(&da, d0 + s0, sizeof da);
        memcpy(&db, d0 + s0 + 8, sizeof db);
        memcpy(&dc, d0 + ld + s0, sizeof dc);
        memcpy(&dd, d0 + ld + s0 + 8, sizeof dd);
        const v8i ka = da != ninf, kb = db != ninf, kc = dc != ninf, kd = dd != ninf;
        const v8i any = ka | kb | kc | kd;
        uint64_t w[4];
        memcpy(w, &any, sizeof w);
        if (!(w[0] | w[1] | w[2] | w[3])) {
            for (int k = 0; k < 8; k++) row[x + k] = (uint32_t)bgw, mrow[x + k] = 0;
            continue;
        }
        v8i ca, cb, cc, cd;
        memcpy(&ca, c0 + s0, sizeof ca);
        memcpy(&cb, c0 + s0 + 8, sizeof cb);
        memcpy(&cc, c0 + ld + s0, sizeof cc);
        memcpy(&cd, c0 + ld + s0 + 8, sizeof cd);
        ca = (ka & ca) | (~ka & (int32_t)bgi);
        cb = (kb & cb) | (~kb & (int32_t)bgi);
        cc = (kc & cc) | (~kc & (int32_t)bgi);
        cd = (kd & cd) | (~kd & (int32_t)bgi);
        /* the four samples of output pixel k: even and odd subpixels of both rows */
        const v8i s[4] = {__builtin_shuffle(ca, cb, even), __builtin_shuffle(ca, cb, odd),
                          __builtin_shuffle(cc, cd, even), __builtin_shuffle(cc, cd, odd)};
        const v8i k4[4] = {__builtin_shuffle(ka, kb, even), __builtin_shuffle(ka, kb, odd),
                           __builtin_shuffle(kc, kd, even), __builtin_shuffle(kc, kd, odd)};
        v8i a0 = {0}, a1 = {0}, a2 = {0}, n1 = {0}, n2 = {0};
        for (int j = 0; j < 4; j++) {
            const v8i tag = (s[j] >> 24) & 3;
            a0 += (s[j] >> 16) & 255;
            a1 += (s[j] >> 8) & 255;
            a2 += s[j] & 255;
            n1 -= k4[j] & (tag == 1); /* masks are -1: subtracting counts */
            n2 -= k4[j] & (tag == 2);
        }
        const v8i px = (int32_t)0xFF000000 | (((a0 + 2) >> 2) << 16) | (((a1 + 2) >> 2) << 8) |
                       ((a2 + 2) >> 2);
        memcpy(row + x, &px, sizeof px);
        for (int k = 0; k < 8; k++)
            mrow[x + k] = (uint8_t)(n1[k] + n2[k] == 0 ? 0 : n2[k] > n1[k] ? 2 : 1);
    }
    return x;
#endif
}

/* Averages the supersampled raster over the background into img (W x H, RGB24) and
 * writes which hemisphere each pixel shows into mask (W x H). */
static void resolve(cairo_surface_t *img, uint8_t *mask, const raster *R, const double bgc[3]) {
    const int W = R->w / SS, H = R->h / SS;
    unsigned char *base = cairo_image_surface_get_data(img);
    const int stride = cairo_image_surface_get_stride(img);
    const double bg[3] = {bgc[0] * 255.0, bgc[1] * 255.0, bgc[2] * 255.0};
    if (bg[0] == floor(bg[0]) && bg[1] == floor(bg[1]) && bg[2] == floor(bg[2])) {
        /* whole-number background (white, black, most #RRGGBB): the four samples' sums are
         * whole numbers, and (uint32_t)(sum / 4 + 0.5) is (sum + 2) >> 2 */
        const uint32_t bgi = ((uint32_t)bg[0] << 16) | ((uint32_t)bg[1] << 8) | (uint32_t)bg[2];
        for (int y = 0; y < H; y++) {
            uint32_t *row = (uint32_t *)(void *)(base + (size_t)y * (size_t)stride);
            uint8_t *mrow = mask + (size_t)y * (size_t)W;
            const size_t r0 = (size_t)(y * SS) * (size_t)R->w;
            /* 8 output pixels at a time (resolve8), the rest one by one below */
            const int x8 = resolve8(row, mrow, R->depth + r0, R->colour + r0, (size_t)R->w, W,
                                    bgi);
            /* per output pixel the four samples' channel sums and, per hemisphere, the
             * covered samples (a tag is 1 or 2 where covered): each depth tested once */
            for (int x = x8; x < W; x++) {
                uint32_t a0 = 0, a1 = 0, a2 = 0, n1 = 0, n2 = 0;
                for (int sy = 0; sy < SS; sy++)
                    for (int sx = 0; sx < SS; sx++) {
                        const size_t i = r0 + (size_t)sy * (size_t)R->w + (size_t)(x * SS + sx);
                        const uint32_t covered = R->depth[i] != -INFINITY;
                        const uint32_t c = covered ? R->colour[i] : bgi;
                        const uint32_t tag = (c >> 24) & 3;
                        a0 += (c >> 16) & 255;
                        a1 += (c >> 8) & 255;
                        a2 += c & 255;
                        n1 += covered & (tag == 1);
                        n2 += covered & (tag == 2);
                    }
                row[x] = 0xFF000000u | (((a0 + 2) >> 2) << 16) | (((a1 + 2) >> 2) << 8) |
                         ((a2 + 2) >> 2);
                mrow[x] = (uint8_t)(n1 + n2 == 0 ? 0 : n2 > n1 ? 2 : 1);
            }
        }
        return;
    }
    for (int y = 0; y < H; y++) {
        uint32_t *row = (uint32_t *)(void *)(base + (size_t)y * (size_t)stride);
        for (int x = 0; x < W; x++) {
            double acc[3] = {0, 0, 0};
            int n_hemi[4] = {0, 0, 0, 0};
            for (int sy = 0; sy < SS; sy++)
                for (int sx = 0; sx < SS; sx++) {
                    const size_t i = (size_t)(y * SS + sy) * (size_t)R->w + (size_t)(x * SS + sx);
                    if (R->depth[i] == -INFINITY) {
                        acc[0] += bg[0], acc[1] += bg[1], acc[2] += bg[2];
                    } else {
                        acc[0] += (R->colour[i] >> 16) & 255;
                        acc[1] += (R->colour[i] >> 8) & 255;
                        acc[2] += R->colour[i] & 255;
                        n_hemi[(R->colour[i] >> 24) & 3]++;
                    }
                }
            uint32_t c[3];
            for (int k = 0; k < 3; k++) c[k] = (uint32_t)(acc[k] / (SS * SS) + 0.5);
            row[x] = 0xFF000000u | (c[0] << 16) | (c[1] << 8) | c[2];
            mask[(size_t)y * (size_t)W + (size_t)x] =
                (uint8_t)(n_hemi[1] + n_hemi[2] == 0 ? 0 : n_hemi[2] > n_hemi[1] ? 2 : 1);
        }
    }
}

/* Each subplot's visible pixels per hemisphere and their bounding boxes, from the mask: per
 * row its count and first and last pixel of each hemisphere, then the box grown once per row
 * (per pixel, the box's four fmin/fmax were most of this pass). */
static void count_visible(cperm_render_layout *lay, const uint8_t *mask, int W) {
    for (size_t i = 0; i < lay->n_panels; i++) {
        cperm_render_panel *p = &lay->panel[i];
        const int x0 = (int)p->rect.x0, x1 = (int)p->rect.x1;
        for (int y = (int)p->rect.y0; y < (int)p->rect.y1; y++) {
            const uint8_t *row = mask + (size_t)y * (size_t)W;
            size_t count[2] = {0, 0};
            int first[2] = {x1, x1}, last[2] = {-1, -1};
            for (int x = x0; x < x1; x++) {
                const int h = row[x];
                if (!h) continue;
                count[h - 1]++;
                if (first[h - 1] == x1) first[h - 1] = x;
                last[h - 1] = x;
            }
            for (int h = 0; h < 2; h++) {
                if (!count[h]) continue;
                cperm_box *sb = &p->seen[h];
                if (p->visible[h] == 0) {
                    *sb = (cperm_box){first[h], y, last[h] + 1, y + 1};
                } else {
                    if (first[h] < sb->x0) sb->x0 = first[h];
                    if (last[h] + 1 > sb->x1) sb->x1 = last[h] + 1;
                    sb->y1 = y + 1; /* rows go downwards: y0 is the first row's */
                }
                p->visible[h] += count[h];
            }
        }
    }
}

/* ------------------------------------------------------------------ entry points */

/* ------------------------------------------------------------------ entry points */

static int check_options(const cperm_render_options *o, cperm_err *err) {
    if (!o || o->version != CPERM_RENDER_OPTIONS_VERSION)
        return cperm_fail(err, CPERM_EINVAL, "render: options missing or of another version");
    if (o->width < 16 || o->height < 16 || o->width > 16384 || o->height > 16384)
        return cperm_fail(err, CPERM_EINVAL, "render: size %dx%d outside 16..16384", o->width,
                          o->height);
    if (o->hemi < CPERM_HEMI_LH || o->hemi > CPERM_HEMI_SPLIT)
        return cperm_fail(err, CPERM_EINVAL, "render: unknown hemi %d", o->hemi);
    if (o->n_views < 1 || o->n_views > CPERM_RENDER_MAX_VIEWS)
        return cperm_fail(err, CPERM_EINVAL, "render: %zu views (1..%d)", o->n_views,
                          CPERM_RENDER_MAX_VIEWS);
    for (size_t i = 0; i < o->n_views; i++)
        if (o->views[i] < CPERM_VIEW_LATERAL || o->views[i] > CPERM_VIEW_CAUDAL)
            return cperm_fail(err, CPERM_EINVAL, "render: unknown view %d", o->views[i]);
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
    if (o->smoothing_steps < -1 || o->smoothing_steps > 1000)
        return cperm_fail(err, CPERM_EINVAL, "render: smoothing_steps %d (-1..1000)",
                          o->smoothing_steps);
    return CPERM_OK;
}

int cperm_render_hemis_from_src(cperm_render_hemi geom[2], const cperm_srcspace *src,
                                cperm_err *err) {
    if (!geom || !src || src->n_hemis != 2)
        return cperm_fail(err, CPERM_EINVAL, "render: the source space must hold two "
                          "hemispheres (lh, rh)");
    for (size_t h = 0; h < 2; h++) {
        const cperm_src_hemi *s = &src->hemis[h];
        if (s->type != CPERM_SRC_SURFACE || !s->rr || !s->tris || s->ntri == 0)
            return cperm_fail(err, CPERM_EINVAL, "render: source space %zu is not a triangulated "
                              "surface", h);
        geom[h].n_vertices = s->np;
        geom[h].rr = s->rr;
        geom[h].n_tris = s->ntri;
        geom[h].tris = s->tris;
        geom[h].curv = NULL;
    }
    return CPERM_OK;
}


int cperm_render_stc_layout(unsigned char **out, size_t *out_len, const cperm_stc *stc,
                            const cperm_render_hemi geom[2], const cperm_render_options *o,
                            cperm_render_layout *layout, uint8_t *mask, cperm_err *err) {
    static const char *const hn[2] = {"lh", "rh"};
    if (!out || !out_len) return cperm_fail(err, CPERM_EINVAL, "render: no output pointer");
    *out = NULL;
    *out_len = 0;
    int rc = check_options(o, err);
    if (rc) return rc;
    if (!stc || !geom) return cperm_fail(err, CPERM_EINVAL, "render: no estimate or geometry");
    if (stc->n_hemis != 2 || stc->n_orient != 1)
        return cperm_fail(err, CPERM_EINVAL, "render: need a scalar lh/rh surface estimate "
                          "(%zu hemispheres, %zu orientations)", stc->n_hemis, stc->n_orient);
    if (o->time_index >= stc->n_times)
        return cperm_fail(err, CPERM_EINVAL, "render: time index %zu of %zu time points",
                          o->time_index, stc->n_times);
    const int which = o->hemi == CPERM_HEMI_LH ? 1 : o->hemi == CPERM_HEMI_RH ? 2 : 3;
    for (int h = 0; h < 2; h++) {
        if (!(which & (1 << h))) continue;
        const cperm_render_hemi *g = &geom[h];
        if (!g->rr || (!g->tris && g->n_tris))
            return cperm_fail(err, CPERM_EINVAL, "render: %s geometry missing", hn[h]);
        for (size_t i = 0; i < 3 * g->n_tris; i++)
            if (g->tris[i] < 0 || (size_t)g->tris[i] >= g->n_vertices)
                return cperm_fail(err, CPERM_EINVAL, "render: %s triangle %zu refers to vertex "
                                  "%d of %zu", hn[h], i / 3, (int)g->tris[i], g->n_vertices);
        for (size_t i = 0; i < stc->n_vertices[h]; i++)
            if (stc->vertices[h][i] >= g->n_vertices)
                return cperm_fail(err, CPERM_EMISMATCH, "render: %s vertex %u of the estimate is "
                                  "beyond the surface's %zu vertices", hn[h],
                                  stc->vertices[h][i], g->n_vertices);
    }

    unsigned char lut[256][4];
    /* _separate_map: equal limits are pulled apart before the table is built */
    double lo = o->fmin, mid = o->fmid, hi = o->fmax;
    if (lo == mid && mid == hi) {
        if (lo == 0) lo = 0, mid = 1, hi = 2;
        else lo = 0, mid = 0.5 * hi;
    } else if (lo == mid || mid == hi) {
        const double bump = lo == mid ? 1e-5 : -1e-5;
        mid = lo + bump * (hi - lo);
    }
    if (o->diverging) cperm_cmap_mne_diverging(lut, lo, mid, hi, o->transparent);
    else cperm_cmap_mne_hot(lut, lo, mid, hi, o->transparent);
    /* the overlay's range (Brain._cmap_range) */
    const double rng_lo = o->diverging ? -hi : lo, rng_hi = hi;

    hemi_scene hs[2];
    memset(hs, 0, sizeof hs);
    double *vals = NULL, *col = NULL;
    raster R = {0};
    cairo_surface_t *img = NULL;
    uint8_t *own_mask = NULL;
    cperm_canvas cv;
    int cv_open = 0;
    cperm_render_layout local;
    cperm_render_layout *lay = layout ? layout : &local;
    memset(lay, 0, sizeof *lay);
    const size_t nt_stc = stc->n_times;
    size_t row0 = 0;
    for (int h = 0; h < 2; h++) {
        const size_t nvs = stc->n_vertices[h];
        if (!(which & (1 << h))) {
            row0 += nvs;
            continue;
        }
        const cperm_render_hemi *g = &geom[h];
        hemi_scene *s = &hs[h];
        s->nv = g->n_vertices;
        s->nt = g->n_tris;
        s->tris = g->tris;
        s->rr = cperm_malloc(s->nv * 3 + 1, sizeof *s->rr);
        s->nn = cperm_malloc(s->nv * 3 + 1, sizeof *s->nn);
        s->rgb = cperm_malloc(s->nv * 3 + 1, sizeof *s->rgb);
        free(vals);
        free(col);
        vals = cperm_malloc(s->nv + 1, sizeof *vals);
        col = cperm_malloc(nvs + 1, sizeof *col);
        if (!s->rr || !s->nn || !s->rgb || !vals || !col) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory for the %s surface (%zu "
                            "vertices)", hn[h], s->nv);
            goto cleanup;
        }
        double xmin = INFINITY, xmax = -INFINITY;
        for (size_t i = 0; i < s->nv * 3; i++) s->rr[i] = g->rr[i];
        for (size_t v = 0; v < s->nv; v++) {
            xmin = fmin(xmin, s->rr[3 * v]);
            xmax = fmax(xmax, s->rr[3 * v]);
        }
        if (o->offset_hemis && o->hemi == CPERM_HEMI_BOTH && s->nv) {
            const double shift = h == 0 ? xmax : xmin;
            for (size_t v = 0; v < s->nv; v++) s->rr[3 * v] -= shift;
        }
        vertex_normals(s->nn, s->rr, s->nv, s->tris, s->nt);
        for (size_t i = 0; i < nvs; i++) col[i] = stc->data[(row0 + i) * nt_stc + o->time_index];
        if (nvs >= s->nv) {
            /* every surface vertex has data: MNE skips the smoothing */
            for (size_t v = 0; v < s->nv; v++) vals[v] = 0.0;
            for (size_t i = 0; i < nvs; i++) vals[stc->vertices[h][i]] = col[i];
        } else {
            rc = cperm_surf_spread(vals, s->nv, s->tris, s->nt, stc->vertices[h], col, nvs,
                                   o->smoothing_steps, err);
            if (rc) goto cleanup;
        }
        vertex_colours(s->rgb, vals, g->curv, s->nv, lut, rng_lo, rng_hi);
        row0 += nvs;
    }

    /* the layout: the band at the bottom (MNE draws its colorbar over the bottom subplot;
     * here it gets room of its own), subplots above it, label room in each */
    const int W = o->width, H = o->height;
    const int ncols = o->hemi == CPERM_HEMI_SPLIT ? 2 : 1, nrows = (int)o->n_views;
    cperm_band band;
    cperm_band_plan(&band, o, H, (double)W / ncols, (double)H / nrows);
    const int band_h = (int)band.h;
    double label_base[CPERM_RENDER_MAX_PANELS];
    lay->width = W;
    lay->height = H;
    plan_panels(lay, label_base, hs, o, W, H, band_h);

    R.w = W * SS;
    R.h = H * SS;
    /* 8 bytes per subpixel, 32 MB for the seed's figure. In 4 KB pages: made and freed per
     * figure, in huge pages they came fresh from the kernel each time, whose clearing on a
     * shared VM varied widely (the seed CLI run's system time, median of 10: 0.12 s with
     * huge pages, 0.08 s without) */
    R.depth = cperm_malloc((size_t)R.w * (size_t)R.h + RASTER_PAD, sizeof *R.depth);
    R.colour = cperm_malloc((size_t)R.w * (size_t)R.h + RASTER_PAD, sizeof *R.colour);
    if (!R.depth || !R.colour) {
        rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory for a %dx%d image", W, H);
        goto cleanup;
    }
    for (size_t i = 0; i < (size_t)R.w * (size_t)R.h + RASTER_PAD; i++) R.depth[i] = -INFINITY;
    for (size_t i = 0; i < lay->n_panels; i++) {
        const cperm_render_panel *p = &lay->panel[i];
        const int vx = (int)p->brain.x0 * SS, vy = (int)p->brain.y0 * SS;
        const int vw = (int)(p->brain.x1 - p->brain.x0) * SS;
        const int vh = (int)(p->brain.y1 - p->brain.y0) * SS;
        const int rh_dict =
            o->hemi == CPERM_HEMI_RH || (o->hemi == CPERM_HEMI_SPLIT && p->which == 2);
        frame f;
        if (vw <= 0 || vh <= 0 || !view_frame(&f, hs, p->which, p->view, rh_dict, vx, vy, vw, vh))
            continue;
        if (draw_viewport(&R, hs, p->which, &f, vx, vy, vw, vh)) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory projecting vertices");
            goto cleanup;
        }
    }

    img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        rc = cperm_fail(err, CPERM_ENOMEM, "render: cairo cannot create a %dx%d image", W, H);
        goto cleanup;
    }
    if (!mask) {
        own_mask = malloc((size_t)W * (size_t)H);
        if (!own_mask) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory for a %dx%d image", W, H);
            goto cleanup;
        }
    }
    cairo_surface_flush(img);
    resolve(img, mask ? mask : own_mask, &R, o->background);
    cairo_surface_mark_dirty(img);
    count_visible(lay, mask ? mask : own_mask, W);
    free(R.depth);
    free(R.colour);
    R.depth = NULL;
    R.colour = NULL;

    rc = cperm_canvas_open(&cv, o->format, W, H, err);
    if (rc) goto cleanup;
    cv_open = 1;
    cairo_t *cr = cv.cr;
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_paint(cr);
    {
        const double sum_bg = o->background[0] + o->background[1] + o->background[2];
        const double fgv = sum_bg < 2 ? 1.0 : 0.0, fg[3] = {fgv, fgv, fgv};
        cperm_band_draw(cr, &band, lut, cperm_cmap_greys(1.0 / 3.0), o, fg, W, H - band_h, lay);
        cperm_labels_draw(cr, lay, label_base, fg);
    }
    cv_open = 0;
    rc = cperm_canvas_close(&cv, out, out_len, err);

cleanup:
    if (cv_open) cperm_canvas_abort(&cv);
    if (img) cairo_surface_destroy(img);
    free(own_mask);
    free(R.depth);
    free(R.colour);
    free(vals);
    free(col);
    for (int h = 0; h < 2; h++) hemi_scene_free(&hs[h]);
    return rc;
}

int cperm_render_stc(unsigned char **out, size_t *out_len, const cperm_stc *stc,
                     const cperm_render_hemi geom[2], const cperm_render_options *o,
                     cperm_err *err) {
    return cperm_render_stc_layout(out, out_len, stc, geom, o, NULL, NULL, err);
}

int cperm_render_stc_file(const char *path, const cperm_stc *stc, const cperm_render_hemi geom[2],
                          const cperm_render_options *opts, cperm_err *err) {
    const int fmt = cperm_format_from_path(path);
    if (fmt < 0)
        return cperm_fail(err, CPERM_EINVAL, "render: %s: unknown image type (use .png, .svg "
                          "or .pdf)", path ? path : "(null)");
    int rc = check_options(opts, err);
    if (rc) return rc;
    cperm_render_options o = *opts;
    o.format = fmt;
    unsigned char *buf = NULL;
    size_t len = 0;
    rc = cperm_render_stc(&buf, &len, stc, geom, &o, err);
    if (rc) return rc;
    rc = cperm_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}
