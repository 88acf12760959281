/* report.c - onesample's figures and report.html: the seed's summary figure (surfaces), the
 * glass brain of a volume (summary-vol.png), the H0 histogram, and one self-contained page (images as data URIs, one small inline script that sorts the
 * cluster table, works offline);
 * also the page pieces and the draw-then-add sequence that the TFCE report shares (report.h). */
#include "report.h"
#include "atlas.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ------------------------------------------------------------- a growable string */

void report_put(report_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void report_printf(report_buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        report_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    report_put(b, big, (size_t)n);
    free(big);
}

void report_html(report_buf *b, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': report_put(b, "&amp;", 5); break;
        case '<': report_put(b, "&lt;", 4); break;
        case '>': report_put(b, "&gt;", 4); break;
        case '"': report_put(b, "&quot;", 6); break;
        default: report_put(b, s, 1);
        }
    }
}

static void sb_base64(report_buf *b, const unsigned char *d, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n) v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n) v |= d[i + 2];
        q[0] = tab[(v >> 18) & 63];
        q[1] = tab[(v >> 12) & 63];
        q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? tab[v & 63] : '=';
        report_put(b, q, 4);
    }
}

/* ------------------------------------------------------------- page pieces */

void report_begin(report_buf *b, const char *heading) {
    report_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<title>clusterperm report</title>\n<style>\n"
                 "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}\n"
                 "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}\n"
                 "table{border-collapse:collapse;margin:.5em 0}\n"
                 "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:.9em}\n"
                 "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
                 "tr.sig td{background:#fde8e8}\n"
                 "img{max-width:100%%;border:1px solid #ddd}\n"
                 "figure{margin:1em 0}figcaption{font-size:.9em;color:#555}\n"
                 "th[data-sort=asc]::after{content:' \\25B2'}th[data-sort=desc]::after{content:' \\25BC'}\n"
                 ".panel{border:1px solid #ccc;margin:1em 0;padding:.3em 1em}"
                 ".panel.sig{border-color:#e08080}\n"
                 ".panel-body{display:flex;gap:1.5em;align-items:flex-start;flex-wrap:wrap}"
                 ".panel figure{margin:0}.panel img{max-width:360px}\n"
                 "</style>\n</head>\n<body>\n<h1>");
    report_html(b, heading);
    report_printf(b, "</h1>\n");
}

/* <figure> with the PNG embedded as a data URI; caption is HTML. Nothing when png is NULL. */
static void figure(report_buf *b, const char *id, const char *alt, const char *caption,
                   const unsigned char *png, size_t len) {
    if (!png) return;
    report_printf(b, "<figure><img id=\"%s\" alt=\"", id);
    report_html(b, alt);
    report_printf(b, "\" src=\"data:image/png;base64,");
    sb_base64(b, png, len);
    report_printf(b, "\"><figcaption>%s</figcaption></figure>\n", caption);
}

void report_figure(report_buf *b, const char *id, const char *alt, const char *caption,
                   const unsigned char *png, size_t len) {
    figure(b, id, alt, caption, png, len);
}

void report_figures(report_buf *b, const report_images *im, const char *noun, double p,
                    const char *summary_caption, const char *h0_alt, const char *h0_caption) {
    report_printf(b, "<h2>Figures</h2>\n");
    if (im->glass) { /* a volume's, or a mixed space's volume part */
        char alt[96];
        snprintf(alt, sizeof alt, "%ss with p < %g in the volume, glass brain", noun, p);
        report_printf(b, "<p id=\"summary-volume\">The volume source space: the largest "
                         "value along each line of sight (a glass brain) of summary-vl.stc's "
                         "first column, seen from the right, the back and above; grey is the "
                         "grid's points in use.</p>\n");
        figure(b, "summary-vol", alt, "Total duration (ms) for which each voxel belongs to a "
               "significant cluster, sagittal, coronal and axial projections (summary-vol.png).",
               im->glass, im->glass_len);
    } else if (im->volume) {
        report_printf(b, "<p id=\"summary-none\">No %s has p &lt; %g: there is no summary "
                         "figure. The statistics are in tobs-vl.stc.</p>\n", noun, p);
    }
    if (im->volume) {
        /* a volume has no surface figures */
    } else if (im->summary) {
        char alt[96];
        snprintf(alt, sizeof alt, "%ss with p < %g on the brain, ventral view", noun, p);
        figure(b, "summary", alt, summary_caption, im->summary, im->summary_len);
        figure(b, "summary-views", "the same, lateral and medial views of each hemisphere",
               "The same map seen from the side: lateral (top) and medial (bottom) views, "
               "left hemisphere on the left.", im->views, im->views_len);
    } else {
        report_printf(b, "<p id=\"summary-none\">No %s has p &lt; %g: there is no summary "
                         "figure.</p>\n", noun, p);
    }
    figure(b, "h0", h0_alt, h0_caption, im->h0, im->h0_len);
}

void report_params_begin(report_buf *b) {
    report_printf(b, "<h2>Parameters</h2>\n<table id=\"parameters\">\n");
}

void report_param_row(report_buf *b, const char *name, const char *value_html) {
    report_printf(b, "<tr><th>%s</th><td>", name);
    report_put(b, value_html, strlen(value_html));
    report_put(b, "</td></tr>\n", 11);
}

/* A JSON value as short display text (HTML: null is &mdash;). */
static void json_text(char *buf, size_t n, const json_t *v) {
    if (!v || json_is_null(v)) snprintf(buf, n, "&mdash;");
    else if (json_is_string(v)) snprintf(buf, n, "%s", json_string_value(v));
    else if (json_is_integer(v)) snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) snprintf(buf, n, "%.6g", json_real_value(v));
    else if (json_is_true(v)) snprintf(buf, n, "yes");
    else if (json_is_false(v)) snprintf(buf, n, "no");
    else if (json_is_array(v)) snprintf(buf, n, "%zu items", json_array_size(v));
    else snprintf(buf, n, "?");
}

void report_param_json(report_buf *b, const char *name, const json_t *v) {
    char t[64];
    json_text(t, sizeof t, v);
    report_param_row(b, name, t);
}

/* One element of a listed parameter: a string, or a group ({glob, stems}) as its glob and
 * size. */
static void param_element(report_buf *cell, const json_t *e) {
    if (json_is_object(e)) {
        const char *glob = json_string_value(json_object_get(e, "glob"));
        report_html(cell, glob ? glob : "");
        report_printf(cell, " (%zu)", json_array_size(json_object_get(e, "stems")));
        return;
    }
    const char *s = json_string_value(e);
    report_html(cell, s ? s : "");
}

void report_param_rows(report_buf *b, const json_t *obj) {
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        char t[256];
        report_buf cell = {0};
        if (json_is_array(val) && json_array_size(val) > 0) {
            const size_t n = json_array_size(val);
            report_printf(&cell, "%zu: ", n);
            param_element(&cell, json_array_get(val, 0));
            if (n > 1) {
                report_put(&cell, " &hellip; ", 10);
                param_element(&cell, json_array_get(val, n - 1));
            }
        } else {
            json_text(t, sizeof t, val);
            if (json_is_null(val)) report_put(&cell, t, strlen(t));
            else report_html(&cell, t);
        }
        if (cell.oom) b->oom = 1;
        report_buf name = {0};
        report_html(&name, key);
        report_param_row(b, name.p ? name.p : "", cell.p ? cell.p : "");
        free(name.p);
        free(cell.p);
    }
}

char *report_end(report_buf *b, const char *program, const char *files) {
    report_printf(b, "</table>\n<p><small>Written by ");
    report_html(b, program);
    report_printf(b, "; the full results are in ");
    report_html(b, files);
    report_printf(b, " next to this page.</small></p>\n</body>\n</html>\n");
    if (!b->oom) return b->p;
    free(b->p);
    return NULL;
}

/* ------------------------------------------------------------- figures and files */

/* h0.png as report_add_kind draws it: 0, or -1 after printing the error. */
static int h0_figure(report_images *im, const os_result *r, const report_kind *kind) {
    cperm_err err = {0};
    if (kind->draw_h0(r, 900, 520, &im->h0, &im->h0_len, &err)) {
        cli_error("report: h0.png: %s", err.msg);
        im->h0 = NULL;
        return -1;
    }
    return 0;
}

/* The seed's brain figure (`seed`: options for summary.png) and the page's lateral/medial
 * figure of column 0 of `summary`, and with `h0_kind` not NULL h0.png too (issue 17: drawn
 * after the lateral/medial figure, the smaller of the two, while the seed's figure is still
 * being drawn, instead of after both). 0, or -1 after printing the error, the brain
 * figures' first (im's figures NULL). */
static int brain_figures(report_images *im, const cperm_stc *summary, const cperm_srcspace *src,
                         const cperm_render_options *seed, const os_result *r,
                         const report_kind *h0_kind) {
    cperm_render_hemi geom[2];
    cperm_err err = {0}, err_views = {0};
    if (cperm_render_hemis_from_src(geom, src, &err)) {
        cli_error("report: summary.png: %s", err.msg);
        return -1;
    }
    /* for the page only: lateral and medial views, which show what 'ven' hides */
    cperm_render_options rv = *seed;
    rv.hemi = CPERM_HEMI_SPLIT;
    rv.n_views = 2;
    rv.views[0] = CPERM_VIEW_LATERAL;
    rv.views[1] = CPERM_VIEW_MEDIAL;
    rv.width = 720; /* a page figure: smaller than the seed's, and half the render time */
    rv.height = 720;
    int rc_sum = 0, rc_views = 0, rc_h0 = 0;
    cperm_err err_h0 = {0};
    /* the figures are independent: draw them side by side on two cores */
#pragma omp parallel sections num_threads(2)
    {
#pragma omp section
        rc_sum = cperm_render_stc(&im->summary, &im->summary_len, summary, geom, seed, &err);
#pragma omp section
        {
            rc_views = cperm_render_stc(&im->views, &im->views_len, summary, geom, &rv,
                                        &err_views);
            if (h0_kind && !rc_views)
                rc_h0 = h0_kind->draw_h0(r, 900, 520, &im->h0, &im->h0_len, &err_h0);
        }
    }
    if (rc_sum || rc_views || rc_h0) {
        if (rc_sum) cli_error("report: summary.png: %s", err.msg);
        else if (rc_views) cli_error("report: the lateral/medial figure: %s", err_views.msg);
        else cli_error("report: h0.png: %s", err_h0.msg);
        free(im->summary);
        free(im->views);
        free(im->h0);
        im->summary = im->views = im->h0 = NULL;
        return -1;
    }
    return 0;
}

/* The glass brain (summary-vol.png) of column 0 of block `block` of `summary`, a volume's
 * values on the volume source space `vol`, with the seed's colours. 0, or -1 after printing
 * the error. */
static int glass_figure(report_images *im, const cperm_stc *summary, size_t block,
                        const cperm_src_hemi *vol, const cperm_render_options *seed) {
    size_t row0 = 0;
    for (size_t h = 0; h < block; h++) row0 += summary->n_vertices[h];
    const size_t n = summary->n_vertices[block];
    double *col = malloc((n ? n : 1) * sizeof *col);
    if (!col) {
        cli_error("report: summary-vol.png: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) col[i] = summary->data[(row0 + i) * summary->n_times];
    cperm_render_options ro = *seed;
    ro.width = 1000; /* three views side by side, the band below */
    ro.height = 440;
    ro.format = CPERM_FORMAT_PNG;
    cperm_err err = {0};
    const int rc = cperm_render_volume(&im->glass, &im->glass_len, vol, summary->vertices[block],
                                       col, n, &ro, &err);
    free(col);
    if (rc) {
        cli_error("report: summary-vol.png: %s", err.msg);
        im->glass = NULL;
        return -1;
    }
    return 0;
}

int report_add_kind(outset *set, const os_result *r, const json_t *root,
                    const cperm_stc *summary, const report_kind *kind) {
    report_images im = {0};
    char *html = NULL;
    int rc = -1;
    im.volume = r->study->volume;
    if (summary) {
        cperm_render_options ro = CPERM_RENDER_OPTIONS_INIT; /* the seed's figure */
        ro.time_label = "Duration significant (ms)";
        if (kind->summary_options) kind->summary_options(&ro, summary);
        if (r->study->mixed) { /* its surface part as a surface run's, its volume's glass brain */
            const cperm_srcspace surf = {2, r->study->src->hemis};
            cperm_stc *part = outputs_part(summary, 0, 2, CPERM_STC_SURFACE);
            const int brc = part ? brain_figures(&im, part, &surf, &ro, r, NULL) : -1;
            cperm_stc_free(part);
            if (brc || glass_figure(&im, summary, 2, &r->study->src->hemis[2], &ro)) goto cleanup;
        } else if (im.volume) {
            if (glass_figure(&im, summary, 0, &r->study->src->hemis[0], &ro)) goto cleanup;
        } else if (brain_figures(&im, summary, r->study->src, &ro, r, kind)) {
            goto cleanup;
        }
    }
    if (!im.h0 && h0_figure(&im, r, kind)) goto cleanup; /* when brain_figures did not */
    if (!(html = kind->page(r, root, &im))) {
        cli_error("report: out of memory");
        goto cleanup;
    }
    if (im.summary ? outset_add(set, "summary.png", im.summary, im.summary_len)
                   : outset_remove_stale(set, "summary.png"))
        goto cleanup;
    if (im.glass ? outset_add(set, "summary-vol.png", im.glass, im.glass_len)
                 : outset_remove_stale(set, "summary-vol.png"))
        goto cleanup;
    if (outset_add(set, "h0.png", im.h0, im.h0_len) ||
        outset_add(set, "report.html", html, strlen(html)))
        goto cleanup;
    rc = 0;
cleanup:
    free(im.summary);
    free(im.views);
    free(im.glass);
    free(im.h0);
    free(html);
    cperm_render_cleanup(); /* the last drawing of the run */
    return rc;
}

/* ------------------------------------------------------------- the cluster page */

static double jnum(const json_t *v) {
    return json_is_number(v) ? json_number_value(v) : NAN;
}

typedef struct crow {
    const json_t *c;
    double p, stat;
} crow;

static int cmp_rows(const void *a, const void *b) {
    const crow *x = a, *y = b;
    double px = isnan(x->p) ? 2 : x->p, py = isnan(y->p) ? 2 : y->p;
    if (px != py) return px < py ? -1 : 1;
    double sx = fabs(x->stat), sy = fabs(y->stat);
    return sx > sy ? -1 : sx < sy;
}

#define REPORT_MAX_ROWS 40
#define REPORT_MAX_PANELS 4

/* Issue 18: the cluster table sorts by a column when its heading is clicked (numbers by
 * value, as parseFloat reads the cell, else text), and on load by "#sort=N" or "#sort=-N"
 * in the page's address (column N, descending for -N). Inline: the page stays one file. */
#define SORT_SCRIPT                                                                        \
    "<script>\n(function(){var t=document.getElementById('clusters');if(!t)return;"        \
    "var h=t.tHead.rows[0].cells;function key(r,i){var s=r.cells[i].textContent,"          \
    "v=parseFloat(s);return isNaN(v)?s:v;}function by(i,asc){var b=t.tBodies[0],"          \
    "rs=Array.prototype.slice.call(b.rows);rs.sort(function(x,y){var a=key(x,i),"          \
    "c=key(y,i),d=(typeof a==='number'&&typeof c==='number')?a-c:String(a)."              \
    "localeCompare(String(c));return asc?d:-d;});for(var j=0;j<h.length;j++)"             \
    "h[j].removeAttribute('data-sort');h[i].setAttribute('data-sort',asc?'asc':'desc');"   \
    "rs.forEach(function(r){b.appendChild(r);});}for(var i=0;i<h.length;i++)(function(i){" \
    "h[i].style.cursor='pointer';h[i].addEventListener('click',function(){"                \
    "by(i,h[i].getAttribute('data-sort')!=='asc');});})(i);var m=/#sort=(-?)(\\d+)/."       \
    "exec(location.hash);if(m&&+m[2]<h.length)by(+m[2],m[1]!=='-');})();\n</script>\n"

static void cell_num(report_buf *b, double v, const char *fmt) {
    if (isnan(v)) report_printf(b, "<td>&mdash;</td>");
    else {
        report_printf(b, "<td class=\"n\">");
        report_printf(b, fmt, v);
        report_printf(b, "</td>");
    }
}

/* A number and its interval, "x [lo, hi]". */
static void cell_ci(report_buf *b, const json_t *v, const json_t *ci) {
    const double x = jnum(v), lo = jnum(json_array_get(ci, 0)), hi = jnum(json_array_get(ci, 1));
    if (isnan(x)) report_printf(b, "<td>&mdash;</td>");
    else report_printf(b, "<td class=\"n\">%.3g [%.3g, %.3g]</td>", x, lo, hi);
}

/* Issue 18: a row's peak region, regions, MNI and effect sizes. */
static void row_extras(report_buf *b, const json_t *c, int has_parc, int has_mni, int f_design) {
    const json_t *pk = json_object_get(c, "peak"), *ef = json_object_get(c, "effect");
    if (has_parc) {
        const char *pr = json_string_value(json_object_get(c, "peak_region"));
        report_printf(b, "<td>");
        report_html(b, pr ? pr : "(none)");
        report_printf(b, "</td><td>");
        const json_t *regs = json_object_get(c, "regions");
        for (size_t i = 0; i < json_array_size(regs) && i < 3; i++) {
            const json_t *g = json_array_get(regs, i);
            report_printf(b, "%s", i ? ", " : "");
            report_html(b, json_string_value(json_object_get(g, "name")));
            report_printf(b, " %.0f%%", 100.0 * jnum(json_object_get(g, "fraction")));
        }
        if (json_array_size(regs) > 3)
            report_printf(b, ", +%zu", json_array_size(regs) - 3);
        report_printf(b, "</td>");
    }
    if (has_mni) {
        const json_t *m = json_object_get(pk, "mni_mm");
        if (json_array_size(m) == 3)
            report_printf(b, "<td class=\"n\">%.1f, %.1f, %.1f</td>", jnum(json_array_get(m, 0)),
                          jnum(json_array_get(m, 1)), jnum(json_array_get(m, 2)));
        else
            report_printf(b, "<td>&mdash;</td>");
    }
    if (f_design) {
        cell_num(b, jnum(json_object_get(ef, "partial_eta2")), "%.3f");
    } else {
        cell_ci(b, json_object_get(ef, "mean"), json_object_get(ef, "mean_ci95"));
        cell_ci(b, json_object_get(ef, "cohens_d"), json_object_get(ef, "cohens_d_ci95"));
    }
}

/* The cluster-averaged time course of cluster k: for each time point the mean over the
 * cluster's vertices of the contrast (one sample: the subjects' mean of X; two groups: the
 * difference of the groups' means; F designs: the statistic T_obs). y holds n_times values,
 * verts n_vertices scratch. */
static void cluster_timecourse(double *y, size_t *verts, const os_result *r, size_t k, int f_design) {
    const os_study *st = r->study;
    const size_t nv = cli_stc_rows(st->layout), nt = st->layout->n_times, n_obs = st->a.stems.n;
    size_t n_m = 0, n_v = 0;
    const int64_t *m = cperm_run_cluster(r->run, k, &n_m);
    for (size_t i = 0; i < n_m; i++) {
        const size_t v = (size_t)m[i] % nv;
        size_t j = 0;
        while (j < n_v && verts[j] != v) j++;
        if (j == n_v) verts[n_v++] = v;
    }
    const double *tobs = cperm_run_tobs(r->run);
    const int two = os_independent(r->opts) && !f_design;
    const size_t n1 = two ? st->group_sizes[0] : n_obs;
    for (size_t t = 0; t < nt; t++) {
        double sum = 0;
        for (size_t j = 0; j < n_v; j++) {
            const size_t pt = t * nv + verts[j];
            if (f_design) {
                sum += tobs[pt];
                continue;
            }
            double a = 0, c = 0;
            for (size_t s = 0; s < n1; s++) a += st->X[s * nv * nt + pt];
            for (size_t s = n1; s < n_obs; s++) c += st->X[s * nv * nt + pt];
            sum += a / (double)n1 - (two ? c / (double)(n_obs - n1) : 0.0);
        }
        y[t] = n_v ? sum / (double)n_v : NAN;
    }
}

/* An inline SVG of y (n_times values) with the window [t0, t1] shaded. */
static void timecourse_svg(report_buf *b, size_t k, const double *y, size_t nt, size_t t0,
                           size_t t1, double tmin_ms, double tstep_ms, const char *ylabel) {
    const double W = 640, H = 200, L = 64, R = 12, T = 12, B = 36;
    double lo = 0, hi = 0;
    for (size_t t = 0; t < nt; t++) {
        if (y[t] < lo) lo = y[t];
        if (y[t] > hi) hi = y[t];
    }
    if (hi - lo <= 0) hi = lo + 1;
    const double pad = 0.05 * (hi - lo);
    lo -= pad;
    hi += pad;
#define TX(t) (L + (W - L - R) * (nt > 1 ? (double)(t) / (double)(nt - 1) : 0.5))
#define TY(v) (T + (H - T - B) * (hi - (v)) / (hi - lo))
    const double half = nt > 1 ? 0.5 * (W - L - R) / (double)(nt - 1) : 8;
    report_printf(b, "<svg id=\"timecourse-%zu\" xmlns=\"http://www.w3.org/2000/svg\" "
                  "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"cluster %zu time course\">", k, W, H, W, H, k);
    report_printf(b, "<rect class=\"window\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
                  "height=\"%.0f\" fill=\"#f4a6a6\" fill-opacity=\"0.55\"/>",
                  TX(t0) - half, T, TX(t1) - TX(t0) + 2 * half, H - T - B);
    report_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
                  "fill=\"none\" stroke=\"#888\"/>", L, T, W - L - R, H - T - B);
    if (lo < 0 && hi > 0)
        report_printf(b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" "
                      "stroke=\"#aaa\" stroke-dasharray=\"4 3\"/>", L, W - R, TY(0), TY(0));
    report_printf(b, "<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"2\" points=\"");
    for (size_t t = 0; t < nt; t++)
        if (!isnan(y[t])) report_printf(b, "%.1f,%.1f ", TX(t), TY(y[t]));
    report_printf(b, "\"/>");
    report_printf(b, "<g font-size=\"11\" font-family=\"sans-serif\" fill=\"#333\">"
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"start\">%g ms</text>"
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%g ms</text>"
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.3g</text>"
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.3g</text>"
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", L, H - B + 14,
                  tmin_ms, W - R, H - B + 14, tmin_ms + tstep_ms * (double)(nt - 1), L - 4,
                  T + 10, hi, L - 4, H - B, lo, (L + W - R) / 2, H - 6);
    report_html(b, ylabel);
    report_printf(b, "</text></g></svg>\n");
#undef TX
#undef TY
}

/* The cluster's map (its duration per vertex, ms) seen where it lies: the peak's
 * hemisphere, lateral and medial views (surface); the glass brain (volume). NULL when not
 * drawn (a mixed space, or an error: said on the page instead). */
static unsigned char *cluster_figure(const os_result *r, size_t k, size_t peak_block,
                                     size_t *len) {
    const os_study *st = r->study;
    const cperm_stc *L = st->layout;
    const size_t nv = cli_stc_rows(L);
    if (st->mixed) return NULL;
    cperm_stc *s = outputs_like(L, 1);
    if (!s) return NULL;
    memset(s->data, 0, nv * sizeof *s->data);
    size_t n_m = 0;
    const int64_t *m = cperm_run_cluster(r->run, k, &n_m);
    const double step = L->tstep * 1000.0;
    double mx = 0;
    for (size_t i = 0; i < n_m; i++) {
        double *d = &s->data[(size_t)m[i] % nv];
        *d += step;
        if (*d > mx) mx = *d;
    }
    cperm_render_options ro = CPERM_RENDER_OPTIONS_INIT;
    ro.fmin = 0.5 * step;
    ro.fmid = 0.75 * step < mx ? 0.75 * step : mx;
    ro.fmax = mx > ro.fmid ? mx : ro.fmid;
    ro.time_label = "Duration in the cluster (ms)";
    ro.format = CPERM_FORMAT_PNG;
    unsigned char *png = NULL;
    cperm_err err = {0};
    int rc;
    if (st->volume) {
        ro.width = 720;
        ro.height = 320;
        rc = cperm_render_volume(&png, len, &st->src->hemis[0], s->vertices[0], s->data,
                                 s->n_vertices[0], &ro, &err);
    } else {
        cperm_render_hemi geom[2];
        rc = cperm_render_hemis_from_src(geom, st->src, &err);
        ro.hemi = peak_block ? CPERM_HEMI_RH : CPERM_HEMI_LH;
        ro.n_views = 2;
        ro.views[0] = CPERM_VIEW_LATERAL;
        ro.views[1] = CPERM_VIEW_MEDIAL;
        ro.width = 360;
        ro.height = 560;
        if (!rc) rc = cperm_render_stc(&png, len, s, geom, &ro, &err);
    }
    cperm_stc_free(s);
    return rc ? NULL : png;
}

/* Issue 18: a panel per cluster (the significant ones first, at most REPORT_MAX_PANELS):
 * its regions, peak, effect sizes, figure and time course. */
static void cluster_panels(report_buf *b, const os_result *r, const crow *rows, size_t n_rows,
                           double p_summary, int f_design) {
    const os_study *st = r->study;
    const size_t nt = st->layout->n_times, nv = cli_stc_rows(st->layout);
    double *y = malloc((nt ? nt : 1) * sizeof *y);
    size_t *verts = malloc((nv ? nv : 1) * sizeof *verts);
    if (!y || !verts) {
        b->oom = 1;
        free(y);
        free(verts);
        return;
    }
    const double tmin_ms = st->layout->tmin * 1000.0, tstep_ms = st->layout->tstep * 1000.0;
    /* The panels' figures first, side by side in -j threads (issue 17: drawn one after
     * another they were a tenth of the whole run): each is drawn from its own cluster alone,
     * so the page is the same for any thread count. */
    size_t n_panels = n_rows < REPORT_MAX_PANELS ? n_rows : REPORT_MAX_PANELS;
    unsigned char *pngs[REPORT_MAX_PANELS] = {0};
    size_t png_lens[REPORT_MAX_PANELS] = {0}, ks[REPORT_MAX_PANELS] = {0};
    size_t blocks[REPORT_MAX_PANELS] = {0};
    int drawn[REPORT_MAX_PANELS] = {0};
    for (size_t i = 0; i < n_panels; i++) {
        const json_t *pk = json_object_get(rows[i].c, "peak");
        const char *hemi = pk ? json_string_value(json_object_get(pk, "hemi")) : NULL;
        ks[i] = (size_t)json_integer_value(json_object_get(rows[i].c, "index"));
        blocks[i] = hemi && !strcmp(hemi, "rh") ? 1 : 0;
        drawn[i] = pk != NULL;
    }
    int threads = r->opts->jobs > 0 ? (int)r->opts->jobs : 1;
#ifdef _OPENMP
    if (r->opts->jobs < 0) threads = omp_get_num_procs();
#endif
    if (threads > (int)n_panels) threads = (int)n_panels;
    if (threads < 1) threads = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t i = 0; i < n_panels; i++)
        if (drawn[i]) pngs[i] = cluster_figure(r, ks[i], blocks[i], &png_lens[i]);
    report_printf(b, "<h2>Cluster details</h2>\n<p>The %s cluster%s by p (at most %d): where "
                  "%s lies and its time course, averaged over its vertices, the window in "
                  "which it is significant shaded.</p>\n",
                  n_rows < REPORT_MAX_PANELS ? "" : "first", n_rows == 1 ? "" : "s",
                  REPORT_MAX_PANELS, n_rows == 1 ? "it" : "each");
    for (size_t i = 0; i < n_rows && i < REPORT_MAX_PANELS; i++) {
        const json_t *c = rows[i].c, *pk = json_object_get(c, "peak");
        const json_t *span = json_object_get(c, "time_ms"), *ef = json_object_get(c, "effect");
        const size_t k = (size_t)json_integer_value(json_object_get(c, "index"));
        if (!pk) continue;
        const char *hemi = json_string_value(json_object_get(pk, "hemi"));
        report_printf(b, "<section class=\"panel%s\" id=\"cluster-%zu\"><h3>Cluster %zu: "
                      "p = %.4g%s</h3>\n<div class=\"panel-body\">", rows[i].p < p_summary ?
                      " sig" : "", k, k, rows[i].p, rows[i].p < p_summary ? " (significant)" : "");
        const size_t len = png_lens[i];
        unsigned char *png = pngs[i];
        pngs[i] = NULL;
        char alt[96], id[32];
        snprintf(alt, sizeof alt, "cluster %zu on the brain", k);
        snprintf(id, sizeof id, "cluster-fig-%zu", k);
        if (png) report_figure(b, id, alt, "Its duration (ms) at each vertex.", png, len);
        free(png);
        report_printf(b, "<div class=\"panel-text\"><table class=\"panel-facts\">");
        report_printf(b, "<tr><th>peak</th><td>%s vertex %lld at %g ms, %s = %.3f</td></tr>",
                      hemi ? hemi : "", (long long)json_integer_value(json_object_get(pk, "vertex")),
                      jnum(json_object_get(pk, "time_ms")), f_design ? "F" : "t",
                      jnum(json_object_get(pk, "t")));
        const json_t *mni = json_object_get(pk, "mni_mm"), *pos = json_object_get(pk, "pos_mm");
        if (json_array_size(pos) == 3)
            report_printf(b, "<tr><th>position (mm)</th><td>%.1f, %.1f, %.1f</td></tr>",
                          jnum(json_array_get(pos, 0)), jnum(json_array_get(pos, 1)),
                          jnum(json_array_get(pos, 2)));
        if (json_array_size(mni) == 3)
            report_printf(b, "<tr><th>MNI (mm)</th><td>%.1f, %.1f, %.1f</td></tr>",
                          jnum(json_array_get(mni, 0)), jnum(json_array_get(mni, 1)),
                          jnum(json_array_get(mni, 2)));
        if (json_object_get(c, "peak_region")) {
            const char *pr = json_string_value(json_object_get(c, "peak_region"));
            report_printf(b, "<tr><th>peak region</th><td>");
            report_html(b, pr ? pr : "(none)");
            report_printf(b, "</td></tr><tr><th>regions</th><td>");
            const json_t *regs = json_object_get(c, "regions");
            for (size_t g = 0; g < json_array_size(regs); g++) {
                const json_t *e = json_array_get(regs, g);
                report_printf(b, "%s", g ? "<br>" : "");
                report_html(b, json_string_value(json_object_get(e, "name")));
                report_printf(b, ": %.0f vertices (%.1f%%)", jnum(json_object_get(e, "n_vertices")),
                              100.0 * jnum(json_object_get(e, "fraction")));
            }
            report_printf(b, "</td></tr>");
        }
        const json_t *labs = json_object_get(c, "labels");
        for (size_t g = 0; g < json_array_size(labs); g++) {
            const json_t *e = json_array_get(labs, g);
            report_printf(b, "<tr><th>label ");
            report_html(b, json_string_value(json_object_get(e, "name")));
            report_printf(b, "</th><td>%.0f vertices (%.1f%%)</td></tr>",
                          jnum(json_object_get(e, "n_vertices")),
                          100.0 * jnum(json_object_get(e, "fraction")));
        }
        if (f_design) {
            report_printf(b, "<tr><th>partial &eta;&sup2;</th><td>%.3f (F = %.3f of the "
                          "cluster-averaged data)</td></tr>", jnum(json_object_get(ef, "partial_eta2")),
                          jnum(json_object_get(ef, "stat")));
        } else {
            const json_t *mc = json_object_get(ef, "mean_ci95"), *dc = json_object_get(ef, "cohens_d_ci95");
            report_printf(b, "<tr><th>mean contrast</th><td>%.4g [%.4g, %.4g]</td></tr>"
                          "<tr><th>Cohen's d</th><td>%.3f [%.3f, %.3f]</td></tr>",
                          jnum(json_object_get(ef, "mean")), jnum(json_array_get(mc, 0)),
                          jnum(json_array_get(mc, 1)), jnum(json_object_get(ef, "cohens_d")),
                          jnum(json_array_get(dc, 0)), jnum(json_array_get(dc, 1)));
        }
        report_printf(b, "</table>\n");
        cluster_timecourse(y, verts, r, k, f_design);
        const double t0 = jnum(json_array_get(span, 0)), t1 = jnum(json_array_get(span, 1));
        const size_t i0 = (size_t)nearbyint((t0 - tmin_ms) / tstep_ms),
                     i1 = (size_t)nearbyint((t1 - tmin_ms) / tstep_ms);
        timecourse_svg(b, k, y, nt, i0, i1, tmin_ms, tstep_ms,
                       f_design ? "statistic averaged over the cluster's vertices"
                       : os_independent(r->opts) ? "group difference averaged over the cluster"
                                                 : "contrast averaged over the cluster");
        report_printf(b, "</div></div></section>\n");
    }
    for (size_t i = 0; i < n_panels; i++) free(pngs[i]); /* the panels not shown */
    free(y);
    free(verts);
}

/* The page; root is clusters.json. */
static char *cluster_page(const os_result *r, const json_t *root, const report_images *im) {
    const double p_summary = r->opts->p_summary;
    report_buf b = {0};
    const json_t *par = json_object_get(root, "parameters"), *data = json_object_get(root, "data");
    const json_t *clusters = json_object_get(root, "clusters");
    const size_t n_clusters = json_array_size(clusters);
    size_t n_sig = 0;
    for (size_t i = 0; i < n_clusters; i++) {
        double p = jnum(json_object_get(json_array_get(clusters, i), "p"));
        n_sig += p < p_summary;
    }
    report_begin(&b, "Spatio-temporal cluster permutation test");
    {
        char t[64];
        const char *design = json_string_value(json_object_get(root, "design"));
        const char *stat = json_string_value(json_object_get(root, "statistic"));
        report_printf(&b, "<p>Design: ");
        report_html(&b, design ? design : "");
        report_printf(&b, "; statistic: ");
        report_html(&b, stat ? stat : "");
        const char *effect = json_string_value(json_object_get(root, "effect"));
        if (effect) { /* repeated measures: the effect of which factors, and the scheme */
            const json_t *levels = json_object_get(root, "factor_levels");
            const char *scheme = json_string_value(json_object_get(root, "scheme"));
            report_printf(&b, ", effect ");
            report_html(&b, effect);
            report_printf(&b, " of factor levels ");
            for (size_t k = 0; k < json_array_size(levels); k++)
                report_printf(&b, "%s%.0f", k ? " x " : "", jnum(json_array_get(levels, k)));
            report_printf(&b, "; scheme: ");
            report_html(&b, scheme ? scheme : "");
        }
        report_printf(&b, "; threshold %.6g.</p>\n",
                      jnum(json_object_get(json_object_get(root, "parameters"), "threshold")));
        /* cluster-forming controls (issue 13), said in words when on: they change what a
         * cluster is, beyond MNE */
        const double k = jnum(json_object_get(par, "min_neighbors")),
                     dur = jnum(json_object_get(par, "min_duration")),
                     ext = jnum(json_object_get(par, "min_extent"));
        if (k > 0 || dur > 0 || ext > 0)
            report_printf(&b, "<p id=\"controls\">Cluster-forming controls (beyond MNE, in the "
                          "observed and every permuted map): a supra-threshold point needs "
                          "%.0f supra-threshold neighbours of its sign at its time point "
                          "(FieldTrip's minnbchan, repeated); a cluster needs %.0f distinct "
                          "time points and %.0f distinct vertices.</p>\n", k, dur, ext);
        report_printf(&b, "<p>");
        json_text(t, sizeof t, json_object_get(data, "n_subjects"));
        report_printf(&b, "%s subjects, ", t);
        json_text(t, sizeof t, json_object_get(data, "n_times"));
        report_printf(&b, "%s time points, ", t);
        if (r->study->mixed)
            report_printf(&b, "a mixed source space: %.0f + %.0f surface vertices and ",
                          jnum(json_object_get(data, "n_vertices_lh")),
                          jnum(json_object_get(data, "n_vertices_rh")));
        if (r->study->volume || r->study->mixed) {
            const json_t *shape = json_object_get(data, "grid_shape");
            report_printf(&b, "%.0f vertices of a volume source space (voxels of a %.0f x %.0f "
                          "x %.0f grid). ", jnum(json_object_get(data, "n_vertices_vol")),
                          jnum(json_array_get(shape, 0)), jnum(json_array_get(shape, 1)),
                          jnum(json_array_get(shape, 2)));
        } else {
            double nl = jnum(json_object_get(data, "n_vertices_lh")),
                   nr = jnum(json_object_get(data, "n_vertices_rh"));
            report_printf(&b, "%.0f + %.0f vertices. ", nl, nr);
        }
        report_printf(&b, "<strong>%zu cluster%s, %zu with p &lt; %g.</strong></p>\n", n_clusters,
                      n_clusters == 1 ? "" : "s", n_sig, p_summary);
    }

    {
        char cap[400];
        snprintf(cap, sizeof cap, "Total duration (ms) for which each vertex belongs to a cluster "
                 "with p &lt; %g (summarize_clusters_stc), both hemispheres seen from below (the "
                 "seed's figure, summary.png): the left hemisphere (lh) shows on the right.",
                 p_summary);
        report_figures(&b, im, "cluster", p_summary, cap,
                       "histogram of the permutation distribution H0",
                       "The permutation distribution H0 of the cluster statistic, the observed "
                       "clusters and H0's critical value; observed values far beyond H0 are "
                       "listed past the axis break.");
    }

    report_printf(&b, "<h2>Clusters</h2>\n");
    if (n_clusters == 0) {
        report_printf(&b, "<p id=\"clusters-none\">No clusters were found.</p>\n");
    } else {
        crow *rows = calloc(n_clusters, sizeof *rows);
        if (!rows) {
            b.oom = 1;
        } else {
            for (size_t i = 0; i < n_clusters; i++) {
                rows[i].c = json_array_get(clusters, i);
                rows[i].p = jnum(json_object_get(rows[i].c, "p"));
                rows[i].stat = jnum(json_object_get(rows[i].c, "statistic"));
            }
            qsort(rows, n_clusters, sizeof *rows, cmp_rows);
            size_t shown = n_clusters;
            if (shown > REPORT_MAX_ROWS) shown = n_sig > REPORT_MAX_ROWS ? n_sig : REPORT_MAX_ROWS;
            const int volume = r->study->volume, mixed = r->study->mixed;
            const cli_atlas *at = r->study->atlas; /* issue 18: regions, MNI, effect sizes */
            const int has_parc = at && at->annot[0], has_mni = at && at->mni;
            const int f_design = os_rm(r->opts) ||
                                 (os_independent(r->opts) &&
                                  r->opts->statistic == CPERM_STAT_F_ONEWAY);
            report_printf(&b, "<p class=\"hint\">Click a column's heading to sort the table by "
                              "it (again: the other way).</p>\n");
            report_printf(&b, "<table id=\"clusters\" class=\"sortable\">\n<thead><tr>"
                          "<th>cluster</th><th>p</th>"
                          "<th>statistic</th><th>size (points)</th><th>%s</th>"
                          "<th>time span (ms)</th><th>peak t</th><th>peak at</th>",
                          volume ? "voxels" : mixed ? "vertices lh / rh / voxels"
                                                    : "vertices lh / rh");
            if (has_parc) report_printf(&b, "<th>peak region</th><th>regions</th>");
            if (has_mni) report_printf(&b, "<th>peak MNI (mm)</th>");
            if (f_design) report_printf(&b, "<th>partial &eta;&sup2;</th>");
            else report_printf(&b, "<th>mean contrast [95%% CI]</th><th>Cohen's d [95%% CI]</th>");
            report_printf(&b, "</tr></thead>\n<tbody>\n");
            for (size_t i = 0; i < shown; i++) {
                const json_t *c = rows[i].c, *span = json_object_get(c, "time_ms");
                const json_t *pk = json_object_get(c, "peak"), *v = json_object_get(c, "vertices");
                report_printf(&b, "<tr%s><td class=\"n\">%lld</td><td class=\"n\">%.4g</td>"
                              "<td class=\"n\">%.2f</td><td class=\"n\">%lld</td>",
                              rows[i].p < p_summary ? " class=\"sig\"" : "",
                              (long long)json_integer_value(json_object_get(c, "index")),
                              rows[i].p, rows[i].stat,
                              (long long)json_integer_value(json_object_get(c, "n_points")));
                if (volume)
                    report_printf(&b, "<td class=\"n\">%zu</td>",
                                  json_array_size(json_object_get(v, "vol")));
                else if (mixed)
                    report_printf(&b, "<td class=\"n\">%zu / %zu / %zu</td>",
                                  json_array_size(json_object_get(v, "lh")),
                                  json_array_size(json_object_get(v, "rh")),
                                  json_array_size(json_object_get(v, "vol")));
                else
                    report_printf(&b, "<td class=\"n\">%zu / %zu</td>",
                                  json_array_size(json_object_get(v, "lh")),
                                  json_array_size(json_object_get(v, "rh")));
                if (json_array_size(span) == 2)
                    report_printf(&b, "<td class=\"n\">%g &ndash; %g</td>",
                                  jnum(json_array_get(span, 0)), jnum(json_array_get(span, 1)));
                else
                    report_printf(&b, "<td>&mdash;</td>");
                if (pk) {
                    const char *hemi = json_string_value(json_object_get(pk, "hemi"));
                    report_printf(&b, "<td class=\"n\">%.3f</td><td>%s vertex %lld, %g ms</td>",
                                  jnum(json_object_get(pk, "t")),
                                  hemi && !strcmp(hemi, "vol") ? "voxel"
                                  : hemi && !strcmp(hemi, "rh") ? "rh" : "lh",
                                  (long long)json_integer_value(json_object_get(pk, "vertex")),
                                  jnum(json_object_get(pk, "time_ms")));
                } else {
                    report_printf(&b, "<td>&mdash;</td><td>&mdash;</td>");
                }
                row_extras(&b, c, has_parc, has_mni, f_design);
                report_printf(&b, "</tr>\n");
            }
            report_printf(&b, "</tbody>\n</table>\n");
            if (shown < n_clusters)
                report_printf(&b, "<p>%zu more clusters (p &ge; %g) are listed in "
                                  "clusters.json and clusters.tsv.</p>\n", n_clusters - shown,
                              p_summary);
            report_put(&b, SORT_SCRIPT, strlen(SORT_SCRIPT));
            cluster_panels(&b, r, rows, n_clusters, p_summary, f_design);
            free(rows);
        }
    }

    report_params_begin(&b);
    report_param_rows(&b, par);
    report_param_json(&b, "permutations run", json_object_get(root, "n_orders"));
    report_param_json(&b, "exact test", json_object_get(root, "exact"));
    report_param_json(&b, "tmin (ms)", json_object_get(data, "tmin_ms"));
    report_param_json(&b, "tstep (ms)", json_object_get(data, "tstep_ms"));
    return report_end(&b, json_string_value(json_object_get(root, "program")),
                      "clusters.json, h0.txt and the .stc files");
}

/* H0 with the observed cluster statistics and their p-values. */
int report_cluster_h0(const os_result *r, int width, int height, unsigned char **png,
                      size_t *len, cperm_err *err) {
    size_t n_h0 = 0;
    const double *h0 = cperm_run_h0(r->run, &n_h0);
    const size_t nc = cperm_run_n_clusters(r->run);
    return cperm_plot_h0(png, len, h0, n_h0, nc ? cperm_run_cluster_stats(r->run) : NULL,
                         nc ? cperm_run_pvalues(r->run) : NULL, nc, (int)r->opts->tail,
                         r->opts->p_summary, width, height, CPERM_FORMAT_PNG, err);
}

/* ------------------------------------------------------------- entry point */

int report_add(outset *set, const os_result *r, const json_t *json, const cperm_stc *summary) {
    static const report_kind kind = {"clusters.json", NULL, report_cluster_h0, cluster_page};
    /* drawn from the values as summary-lh/-rh.stc hold them (float32), so that the figure
     * shows the files */
    cperm_stc *stored = NULL;
    if (summary && !(stored = outputs_as_stored(summary))) return -1;
    const int rc = report_add_kind(set, r, json, stored, &kind);
    cperm_stc_free(stored);
    return rc;
}
