/* render.c - brain figures of surface source estimates without a GPU or display: MNE's
 * colouring and views, a software z-buffer rasteriser, and Cairo for the colorbar, text
 * and encoding (PNG, SVG, PDF). */
#include "render_internal.h"

#include <cairo-pdf.h>
#include <dlfcn.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SS 2 /* supersampling factor per axis for anti-aliased edges */

/* ------------------------------------------------------------------ spreading */

/* Closed-neighbourhood adjacency (without self) of a triangle mesh, in CSR. */
typedef struct mesh_adj {
    size_t *indptr;
    int32_t *indices;
} mesh_adj;

static void adj_free(mesh_adj *a) {
    free(a->indptr);
    free(a->indices);
}

static int adj_build(mesh_adj *a, size_t nv, const int32_t *tris, size_t nt) {
    a->indptr = calloc(nv + 1, sizeof *a->indptr);
    a->indices = cperm_malloc(nt ? 6 * nt : 1, sizeof *a->indices);
    size_t *fill = calloc(nv + 1, sizeof *fill);
    if (!a->indptr || !a->indices || !fill) {
        free(fill);
        adj_free(a);
        return CPERM_ENOMEM;
    }
    for (size_t t = 0; t < nt; t++)
        for (size_t j = 0; j < 3; j++) a->indptr[(size_t)tris[3 * t + j] + 1] += 2;
    for (size_t v = 0; v < nv; v++) a->indptr[v + 1] += a->indptr[v];
    for (size_t t = 0; t < nt; t++) {
        for (size_t j = 0; j < 3; j++) {
            size_t v = (size_t)tris[3 * t + j];
            int32_t *row = a->indices + a->indptr[v];
            row[fill[v]++] = tris[3 * t + (j + 1) % 3];
            row[fill[v]++] = tris[3 * t + (j + 2) % 3];
        }
    }
    /* sort and deduplicate each row, compacting in place */
    size_t w = 0;
    for (size_t v = 0; v < nv; v++) {
        size_t b = a->indptr[v], e = a->indptr[v + 1];
        int32_t *row = a->indices + b;
        size_t n = e - b;
        for (size_t i = 1; i < n; i++) {
            int32_t x = row[i];
            size_t j = i;
            while (j > 0 && row[j - 1] > x) row[j] = row[j - 1], j--;
            row[j] = x;
        }
        a->indptr[v] = w;
        for (size_t i = 0; i < n; i++) {
            if (row[i] == (int32_t)v) continue;
            if (w > a->indptr[v] && a->indices[w - 1] == row[i]) continue;
            a->indices[w++] = row[i];
        }
    }
    a->indptr[nv] = w;
    free(fill);
    return CPERM_OK;
}

int cperm_surf_spread(double *out, size_t nv, const int32_t *tris, size_t nt,
                      const uint32_t *from, const double *values, size_t n_from, int steps,
                      cperm_err *err) {
    for (size_t i = 0; i < n_from; i++)
        if (from[i] >= nv)
            return cperm_fail(err, CPERM_EINVAL, "render: vertex %u is beyond the surface's %zu "
                              "vertices", from[i], nv);
    if (steps == 0 || (steps > 0 && n_from == 0)) {
        for (size_t v = 0; v < nv; v++) out[v] = 0.0;
        for (size_t i = 0; i < n_from; i++) out[from[i]] = values[i];
        return CPERM_OK;
    }
    mesh_adj a = {0};
    if (adj_build(&a, nv, tris, nt))
        return cperm_fail(err, CPERM_ENOMEM, "render: out of memory for the mesh adjacency");
    double *val = malloc((nv ? nv : 1) * sizeof *val), *nval = malloc((nv ? nv : 1) * sizeof *nval);
    uint8_t *in = calloc(nv ? nv : 1, 1), *nin = calloc(nv ? nv : 1, 1);
    int32_t *queue = NULL;
    int rc = CPERM_OK;
    if (!val || !nval || !in || !nin) {
        rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory spreading values");
        goto cleanup;
    }
    for (size_t v = 0; v < nv; v++) val[v] = 0.0;
    if (steps > 0) {
        /* morph._surf_upsampling_mat applied to the values: each step averages over the
         * closed neighbourhood's members of the set reached so far, which then grows. */
        for (size_t i = 0; i < n_from; i++) {
            val[from[i]] = values[i];
            in[from[i]] = 1;
        }
        for (int k = 0; k < steps; k++) {
            for (size_t v = 0; v < nv; v++) {
                double s = in[v] ? val[v] : 0.0;
                size_t c = in[v];
                for (size_t j = a.indptr[v]; j < a.indptr[v + 1]; j++) {
                    size_t u = (size_t)a.indices[j];
                    if (in[u]) s += val[u], c++;
                }
                nval[v] = c ? s / (double)c : 0.0;
                nin[v] = c > 0;
            }
            double *tv = val;
            val = nval, nval = tv;
            uint8_t *ti = in;
            in = nin, nin = ti;
        }
        memcpy(out, val, nv * sizeof *out);
    } else {
        /* nearest used vertex by edge count (morph._surf_nearest); sources in ascending
         * vertex order win ties. */
        queue = cperm_malloc(nv ? 2 * nv : 1, sizeof *queue);
        if (!queue) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory spreading values");
            goto cleanup;
        }
        int32_t *src_of = queue + nv;
        for (size_t v = 0; v < nv; v++) src_of[v] = -1;
        size_t head = 0, tail = 0;
        uint32_t *order = cperm_malloc(n_from ? n_from : 1, sizeof *order);
        if (!order) {
            rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory spreading values");
            goto cleanup;
        }
        for (size_t i = 0; i < n_from; i++) order[i] = (uint32_t)i;
        /* insertion sort by vertex: stc vertices are ascending, so this is linear */
        for (size_t i = 1; i < n_from; i++) {
            uint32_t x = order[i];
            size_t j = i;
            while (j > 0 && from[order[j - 1]] > from[x]) order[j] = order[j - 1], j--;
            order[j] = x;
        }
        for (size_t i = 0; i < n_from; i++) {
            uint32_t v = from[order[i]];
            if (src_of[v] >= 0) continue;
            src_of[v] = (int32_t)order[i];
            queue[tail++] = (int32_t)v;
        }
        free(order);
        while (head < tail) {
            size_t v = (size_t)queue[head++];
            for (size_t j = a.indptr[v]; j < a.indptr[v + 1]; j++) {
                size_t u = (size_t)a.indices[j];
                if (src_of[u] >= 0) continue;
                src_of[u] = src_of[v];
                queue[tail++] = (int32_t)u;
            }
        }
        for (size_t v = 0; v < nv; v++) out[v] = src_of[v] >= 0 ? values[src_of[v]] : NAN;
    }

cleanup:
    free(queue);
    free(val);
    free(nval);
    free(in);
    free(nin);
    adj_free(&a);
    return rc;
}

/* ------------------------------------------------------------------ output */

static cairo_status_t canvas_write(void *closure, const unsigned char *data, unsigned int n) {
    cperm_canvas_buf *m = closure;
    if (m->oom) return CAIRO_STATUS_NO_MEMORY;
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + n) cap *= 2;
        unsigned char *q = realloc(m->p, cap);
        if (!q) {
            m->oom = 1;
            return CAIRO_STATUS_NO_MEMORY;
        }
        m->p = q;
        m->cap = cap;
    }
    memcpy(m->p + m->len, data, n);
    m->len += n;
    return CAIRO_STATUS_SUCCESS;
}

int cperm_format_from_path(const char *path) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot) return -1;
    if (!strcasecmp(dot, ".png")) return CPERM_FORMAT_PNG;
    if (!strcasecmp(dot, ".svg")) return CPERM_FORMAT_SVG;
    if (!strcasecmp(dot, ".pdf")) return CPERM_FORMAT_PDF;
    return -1;
}

int cperm_canvas_open(cperm_canvas *c, int format, int width, int height, cperm_err *err) {
    memset(c, 0, sizeof *c);
    c->format = format;
    if (format == CPERM_FORMAT_PNG)
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    else if (format == CPERM_FORMAT_SVG)
        c->surface = cairo_svg_surface_create_for_stream(canvas_write, &c->buf, width, height);
    else if (format == CPERM_FORMAT_PDF)
        c->surface = cairo_pdf_surface_create_for_stream(canvas_write, &c->buf, width, height);
    else
        return cperm_fail(err, CPERM_EINVAL, "render: unknown output format %d", format);
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        cperm_canvas_abort(c);
        return cperm_fail(err, CPERM_ENOMEM, "render: cairo cannot create a %dx%d canvas", width,
                          height);
    }
    return CPERM_OK;
}

void cperm_canvas_abort(cperm_canvas *c) {
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) {
        cairo_surface_finish(c->surface);
        cairo_surface_destroy(c->surface);
    }
    free(c->buf.p);
    memset(c, 0, sizeof *c);
}

int cperm_canvas_close(cperm_canvas *c, unsigned char **out, size_t *out_len, cperm_err *err) {
    *out = NULL;
    *out_len = 0;
    cairo_status_t st = cairo_status(c->cr);
    if (c->format != CPERM_FORMAT_PNG && st == CAIRO_STATUS_SUCCESS) {
        cairo_show_page(c->cr);
        st = cairo_status(c->cr);
    }
    cairo_destroy(c->cr);
    c->cr = NULL;
    if (st == CAIRO_STATUS_SUCCESS) {
        if (c->format == CPERM_FORMAT_PNG) {
            st = cairo_surface_write_to_png_stream(c->surface, canvas_write, &c->buf);
        } else {
            cairo_surface_finish(c->surface);
            st = cairo_surface_status(c->surface);
        }
    }
    const int oom = c->buf.oom || st == CAIRO_STATUS_NO_MEMORY;
    if (st != CAIRO_STATUS_SUCCESS || c->buf.oom) {
        const char *why = c->buf.oom ? "out of memory" : cairo_status_to_string(st);
        cperm_canvas_abort(c);
        return cperm_fail(err, oom ? CPERM_ENOMEM : CPERM_EIO,
                          "render: cairo could not encode the image: %s", why);
    }
    *out = c->buf.p;
    *out_len = c->buf.len;
    c->buf.p = NULL;
    cperm_canvas_abort(c);
    return CPERM_OK;
}

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
    uint32_t *colour;    /* 0x00RRGGBB; covered where depth > -INF */
} raster;

typedef struct pvert {
    float x, y, z;
    float r, g, b;
} pvert;

/* Fills one triangle with linear (orthographic) depth and Gouraud colour. Pixel centres
 * inside or on an edge are covered; the depth test keeps the nearest. Barycentric weights,
 * depth and colour are affine in the pixel position, so they are stepped incrementally. */
static inline uint32_t pack_channel(float v) {
    v = v * 255.f + 0.5f;
    return v <= 0.f ? 0u : v >= 255.f ? 255u : (uint32_t)v;
}

static void raster_tri(raster *R, const pvert *a, const pvert *b, const pvert *c, int x0, int y0,
                       int x1, int y1) {
    const float area = (b->x - a->x) * (c->y - a->y) - (b->y - a->y) * (c->x - a->x);
    if (!(fabsf(area) > 1e-12f)) return;
    const float inv = 1.0f / area;
    float fx0 = a->x < b->x ? a->x : b->x, fx1 = a->x > b->x ? a->x : b->x;
    float fy0 = a->y < b->y ? a->y : b->y, fy1 = a->y > b->y ? a->y : b->y;
    fx0 = c->x < fx0 ? c->x : fx0, fx1 = c->x > fx1 ? c->x : fx1;
    fy0 = c->y < fy0 ? c->y : fy0, fy1 = c->y > fy1 ? c->y : fy1;
    if (!(fx1 >= (float)x0 && fx0 < (float)x1 && fy1 >= (float)y0 && fy0 < (float)y1)) return;
    int bx0 = (int)floorf(fx0), bx1 = (int)ceilf(fx1), by0 = (int)floorf(fy0), by1 = (int)ceilf(fy1);
    if (bx0 < x0) bx0 = x0;
    if (by0 < y0) by0 = y0;
    if (bx1 > x1 - 1) bx1 = x1 - 1;
    if (by1 > y1 - 1) by1 = y1 - 1;
    /* w0(px, py) = ((b.x - px)(c.y - py) - (b.y - py)(c.x - px)) / area, and likewise w1 */
    const float w0x = (b->y - c->y) * inv, w0y = (c->x - b->x) * inv;
    const float w1x = (c->y - a->y) * inv, w1y = (a->x - c->x) * inv;
    const float px0 = (float)bx0 + 0.5f, py0 = (float)by0 + 0.5f;
    float w0r = ((b->x - px0) * (c->y - py0) - (b->y - py0) * (c->x - px0)) * inv;
    float w1r = ((c->x - px0) * (a->y - py0) - (c->y - py0) * (a->x - px0)) * inv;
    /* attribute = a + w0 (a_a - a_c) + w1 (a_b - a_c) with w2 = 1 - w0 - w1, written from c */
    const float dz0 = a->z - c->z, dz1 = b->z - c->z;
    for (int y = by0; y <= by1; y++, w0r += w0y, w1r += w1y) {
        float w0 = w0r, w1 = w1r;
        float *depth = R->depth + (size_t)y * (size_t)R->w;
        uint32_t *colour = R->colour + (size_t)y * (size_t)R->w;
        for (int x = bx0; x <= bx1; x++, w0 += w0x, w1 += w1x) {
            const float w2 = 1.0f - w0 - w1;
            if (w0 < 0 || w1 < 0 || w2 < -1e-6f) continue;
            const float z = c->z + w0 * dz0 + w1 * dz1;
            if (z <= depth[x]) continue;
            depth[x] = z;
            const float r = w0 * a->r + w1 * b->r + w2 * c->r;
            const float g = w0 * a->g + w1 * b->g + w2 * c->g;
            const float bl = w0 * a->b + w1 * b->b + w2 * c->b;
            colour[x] = (pack_channel(r) << 16) | (pack_channel(g) << 8) | pack_channel(bl);
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

/* Draws the hemispheres `which` (bit 0 lh, bit 1 rh) into viewport (vx, vy, vw, vh) of the
 * supersampled raster, seen through view `view` of the lh or rh dictionary. */
static int draw_viewport(raster *R, const hemi_scene *hs, int which, int view, int rh_dict,
                         int vx, int vy, int vw, int vh) {
    const camera cam = view_camera(view, rh_dict);
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
    if (!(lo[0] <= hi[0])) return CPERM_OK; /* nothing to draw */
    /* _set_3d_view: focal point at the centre of the bounds, distance twice the largest
     * extent, VTK's 30 degree view angle: the focal plane shows 2 * d * tan(15 deg). */
    const double focal[3] = {(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2};
    double ext = fmax(hi[0] - lo[0], fmax(hi[1] - lo[1], hi[2] - lo[2]));
    if (!(ext > 0)) ext = 1.0;
    const double half_h = 2.0 * ext * tan(15.0 * M_PI / 180.0);
    const double scale = ((double)vh / 2.0) / half_h;
    const double cx = vx + vw / 2.0, cy = vy + vh / 2.0;
    double L[3][3];
    light_dirs(L);

    for (int h = 0; h < 2; h++) {
        if (!(which & (1 << h))) continue;
        const hemi_scene *s = &hs[h];
        pvert *pv = malloc((s->nv ? s->nv : 1) * sizeof *pv);
        if (!pv) return CPERM_ENOMEM;
        for (size_t v = 0; v < s->nv; v++) {
            const double p[3] = {s->rr[3 * v] - focal[0], s->rr[3 * v + 1] - focal[1],
                                 s->rr[3 * v + 2] - focal[2]};
            pv[v].x = (float)(cx + dot3(p, cam.right) * scale);
            pv[v].y = (float)(cy - dot3(p, cam.up) * scale);
            pv[v].z = (float)dot3(p, cam.dir);
            const double n[3] = {s->nn[3 * v], s->nn[3 * v + 1], s->nn[3 * v + 2]};
            double nc[3] = {dot3(n, cam.right), dot3(n, cam.up), dot3(n, cam.dir)};
            if (nc[2] < 0) nc[0] = -nc[0], nc[1] = -nc[1], nc[2] = -nc[2]; /* two-sided */
            double I = 0;
            for (int i = 0; i < 3; i++) I += 0.7 * fmax(0.0, dot3(nc, L[i]));
            pv[v].r = (float)fmin(1.0, s->rgb[3 * v] * I);
            pv[v].g = (float)fmin(1.0, s->rgb[3 * v + 1] * I);
            pv[v].b = (float)fmin(1.0, s->rgb[3 * v + 2] * I);
        }
        for (size_t t = 0; t < s->nt; t++)
            raster_tri(R, &pv[s->tris[3 * t]], &pv[s->tris[3 * t + 1]], &pv[s->tris[3 * t + 2]],
                       vx, vy, vx + vw, vy + vh);
        free(pv);
    }
    return CPERM_OK;
}

/* ------------------------------------------------------------------ 2D overlays */

/* "Nice" ticks (1, 2, 2.5, 5 x 10^k steps) covering [lo, hi], about 5 of them. */
static size_t nice_ticks(double *ticks, size_t max, double lo, double hi, int *decimals) {
    *decimals = 0;
    if (!(hi > lo)) {
        ticks[0] = lo;
        return 1;
    }
    const double raw = (hi - lo) / 5.0, mag = pow(10.0, floor(log10(raw)));
    static const double mult[] = {1, 2, 2.5, 5, 10};
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

static void draw_colorbar(cairo_t *cr, const unsigned char lut[256][4], double brain,
                          const cperm_render_options *o, const double fg[3], double vx,
                          double vy, double vw, double vh, double font) {
    /* pyvista's horizontal scalar bar as MNE places it (x 0.15..0.85, bottom at 0.05 of the
     * viewport), its table blended over the brain colour as MNE's _set_colormap_range does;
     * tick labels below the bar. */
    const double x0 = vx + 0.15 * vw, bw = 0.7 * vw;
    const double bar_h = fmax(6.0, 0.03 * vh), tick = 0.35 * font, pad = 0.35 * font;
    const double bottom = vy + vh - 0.05 * vh;
    const double label_base = bottom - pad - 0.2 * font;
    const double bar_y1 = label_base - font - tick, bar_y0 = bar_y1 - bar_h;

    /* a frame of the brain colour around the bar only: the labels stay on the background,
     * in the foreground colour, readable on light and dark backgrounds */
    cairo_set_source_rgb(cr, brain, brain, brain);
    cairo_rectangle(cr, x0 - pad, bar_y0 - pad, bw + 2 * pad, bar_h + 2 * pad);
    cairo_fill(cr);

    /* the table blended over the brain colour (_alpha_blend_background), drawn crisp */
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
    size_t nt = nice_ticks(ticks, 16, lo, hi, &dec);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, font);
    for (size_t i = 0; i < nt; i++) {
        const double f = hi > lo ? (ticks[i] - lo) / (hi - lo) : 0.0;
        const double x = x0 + f * bw;
        cairo_move_to(cr, x, bar_y1);
        cairo_line_to(cr, x, bar_y1 + tick);
        cairo_stroke(cr);
        char txt[64];
        snprintf(txt, sizeof txt, "%.*f", dec, ticks[i]);
        cairo_text_extents_t te;
        cairo_text_extents(cr, txt, &te);
        cairo_move_to(cr, x - te.x_advance / 2.0, label_base);
        cairo_show_text(cr, txt);
    }
}

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

int cperm_render_stc(unsigned char **out, size_t *out_len, const cperm_stc *stc,
                     const cperm_render_hemi geom[2], const cperm_render_options *o,
                     cperm_err *err) {
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
    cperm_canvas cv;
    int cv_open = 0;
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

    /* rasterise every subplot: rows are views, columns hemispheres when split */
    const int W = o->width, H = o->height;
    const int ncols = o->hemi == CPERM_HEMI_SPLIT ? 2 : 1, nrows = (int)o->n_views;
    R.w = W * SS;
    R.h = H * SS;
    R.depth = cperm_malloc((size_t)R.w * (size_t)R.h, sizeof *R.depth);
    R.colour = cperm_malloc((size_t)R.w * (size_t)R.h, sizeof *R.colour);
    if (!R.depth || !R.colour) {
        rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory for a %dx%d image", W, H);
        goto cleanup;
    }
    for (size_t i = 0; i < (size_t)R.w * (size_t)R.h; i++) R.depth[i] = -INFINITY;
    for (int r = 0; r < nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            const int vx = (int)((long)R.w * c / ncols), vx1 = (int)((long)R.w * (c + 1) / ncols);
            const int vy = (int)((long)R.h * r / nrows), vy1 = (int)((long)R.h * (r + 1) / nrows);
            int w = which, rh_dict = o->hemi == CPERM_HEMI_RH;
            if (o->hemi == CPERM_HEMI_SPLIT) w = c == 0 ? 1 : 2, rh_dict = c == 1;
            if (draw_viewport(&R, hs, w, o->views[r], rh_dict, vx, vy, vx1 - vx, vy1 - vy)) {
                rc = cperm_fail(err, CPERM_ENOMEM, "render: out of memory projecting vertices");
                goto cleanup;
            }
        }
    }

    /* resolve the supersampled raster over the background */
    img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        rc = cperm_fail(err, CPERM_ENOMEM, "render: cairo cannot create a %dx%d image", W, H);
        goto cleanup;
    }
    cairo_surface_flush(img);
    {
        unsigned char *base = cairo_image_surface_get_data(img);
        const int stride = cairo_image_surface_get_stride(img);
        const double bg[3] = {o->background[0] * 255.0, o->background[1] * 255.0,
                              o->background[2] * 255.0};
        for (int y = 0; y < H; y++) {
            uint32_t *row = (uint32_t *)(void *)(base + (size_t)y * (size_t)stride);
            for (int x = 0; x < W; x++) {
                double acc[3] = {0, 0, 0};
                for (int sy = 0; sy < SS; sy++)
                    for (int sx = 0; sx < SS; sx++) {
                        const size_t i = (size_t)(y * SS + sy) * (size_t)R.w + (size_t)(x * SS + sx);
                        if (R.depth[i] == -INFINITY) {
                            acc[0] += bg[0], acc[1] += bg[1], acc[2] += bg[2];
                        } else {
                            acc[0] += (R.colour[i] >> 16) & 255;
                            acc[1] += (R.colour[i] >> 8) & 255;
                            acc[2] += R.colour[i] & 255;
                        }
                    }
                uint32_t c[3];
                for (int k = 0; k < 3; k++) c[k] = (uint32_t)(acc[k] / (SS * SS) + 0.5);
                row[x] = 0xFF000000u | (c[0] << 16) | (c[1] << 8) | c[2];
            }
        }
    }
    cairo_surface_mark_dirty(img);
    free(R.depth);
    free(R.colour);
    R.depth = NULL;
    R.colour = NULL;

    /* compose: raster, colorbar and time label in the bottom-left subplot (MNE's place) */
    rc = cperm_canvas_open(&cv, o->format, W, H, err);
    if (rc) goto cleanup;
    cv_open = 1;
    cairo_t *cr = cv.cr;
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_paint(cr);
    {
        const double sum_bg = o->background[0] + o->background[1] + o->background[2];
        const double fg[3] = {sum_bg < 2 ? 1.0 : 0.0, sum_bg < 2 ? 1.0 : 0.0,
                              sum_bg < 2 ? 1.0 : 0.0};
        const double vx = 0, vw = (double)W / ncols, vh = (double)H / nrows, vy = H - vh;
        const double font = fmax(10.0, 0.024 * fmin(vw, vh));
        if (o->colorbar)
            draw_colorbar(cr, lut, cperm_cmap_greys(1.0 / 3.0), o, fg, vx, vy, vw, vh, font);
        if (o->time_label && *o->time_label) {
            cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                                   CAIRO_FONT_WEIGHT_NORMAL);
            cairo_set_font_size(cr, 1.15 * font);
            cairo_text_extents_t te;
            cairo_text_extents(cr, o->time_label, &te);
            const double yb = vy + vh * (1.0 - (o->colorbar ? 0.15 : 0.05));
            cairo_set_source_rgb(cr, fg[0], fg[1], fg[2]);
            cairo_move_to(cr, vx + 0.95 * vw - te.x_advance, yb);
            cairo_show_text(cr, o->time_label);
        }
    }
    cv_open = 0;
    rc = cperm_canvas_close(&cv, out, out_len, err);

cleanup:
    if (cv_open) cperm_canvas_abort(&cv);
    if (img) cairo_surface_destroy(img);
    free(R.depth);
    free(R.colour);
    free(vals);
    free(col);
    for (int h = 0; h < 2; h++) hemi_scene_free(&hs[h]);
    return rc;
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

void cperm_render_cleanup(void) {
    cairo_debug_reset_static_data();
    /* fontconfig comes in with Cairo; looked up at run time so that the library does not
     * link it directly. */
    void *self = dlopen(NULL, RTLD_LAZY);
    if (!self) return;
    void *sym = dlsym(self, "FcFini");
    if (sym) {
        void (*fini)(void);
        memcpy(&fini, &sym, sizeof fini);
        fini();
    }
    dlclose(self);
}
