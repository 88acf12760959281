/* render_canvas.c - the figures' Cairo drawing targets (PNG in memory, SVG/PDF streams),
 * output formats by file extension, and the release of Cairo's and fontconfig's caches. */
#include "render_internal.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <dlfcn.h>
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
