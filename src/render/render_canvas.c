/* render_canvas.c - the figures' Cairo drawing targets (PNG in memory, SVG/PDF streams),
 * the PNG encoding, output formats by file extension, and the release of Cairo's and
 * fontconfig's caches. */
#include "render_internal.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <dlfcn.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ------------------------------------------------------------------ PNG */

/* Cairo's PNG writer leaves libpng at its defaults: zlib level 6 and a heuristic choice among
 * the five row filters, for each row. That was a third of a figure's time (issue 17: the
 * seed figure, 1000 x 1000, 53 of 160 ms). A figure is mostly flat background and smooth
 * shading, which zlib's fastest level with the "up" filter compresses nearly as well. */
enum { PNG_ZLIB_LEVEL = 1 };

static void png_out(png_structp png, png_bytep data, size_t n) {
    cperm_canvas_buf *m = png_get_io_ptr(png);
    if (canvas_write(m, data, (unsigned int)n) != CAIRO_STATUS_SUCCESS) png_error(png, "oom");
}
static void png_flush(png_structp png) { (void)png; }
static void png_fail(png_structp png, png_const_charp msg) {
    (void)msg;
    png_longjmp(png, 1);
}
static void png_warn(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* Encodes the RGB24 image surface into buf as an 8-bit RGB PNG (no alpha, as Cairo writes an
 * RGB24 surface). CAIRO_STATUS_SUCCESS, or NO_MEMORY / WRITE_ERROR. */
static cairo_status_t encode_png(cairo_surface_t *surface, cperm_canvas_buf *buf) {
    cairo_surface_flush(surface);
    const int W = cairo_image_surface_get_width(surface), H = cairo_image_surface_get_height(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    if (!data || W <= 0 || H <= 0) return CAIRO_STATUS_WRITE_ERROR;
    unsigned char *volatile row = malloc((size_t)W * 3);
    if (!row) return CAIRO_STATUS_NO_MEMORY;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        free(row);
        return CAIRO_STATUS_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return buf->oom ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_WRITE_ERROR;
    }
    png_set_write_fn(png, buf, png_out, png_flush);
    png_set_compression_level(png, PNG_ZLIB_LEVEL);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_set_IHDR(png, info, (png_uint_32)W, (png_uint_32)H, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (int y = 0; y < H; y++) {
        const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < W; x++) {
            row[3 * x] = (unsigned char)(px[x] >> 16);
            row[3 * x + 1] = (unsigned char)(px[x] >> 8);
            row[3 * x + 2] = (unsigned char)px[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
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
            st = encode_png(c->surface, &c->buf);
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

void cperm_render_prepare_fonts(void) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    /* the faces the figures select (render_overlay.c, h0plot.c) */
    static const cairo_font_weight_t weights[2] = {CAIRO_FONT_WEIGHT_NORMAL,
                                                   CAIRO_FONT_WEIGHT_BOLD};
    for (int i = 0; i < 2; i++) {
        cairo_text_extents_t te;
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, weights[i]);
        cairo_text_extents(cr, "0", &te);
    }
    cairo_destroy(cr); /* failures leave an inert context: nothing to report */
    cairo_surface_destroy(s);
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
