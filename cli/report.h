/* report.h - onesample's figures (summary.png, h0.png) and self-contained report.html, and
 * the page and figure pieces that the TFCE report (cli/tfce_report.c) shares. */
#ifndef CPERM_CLI_REPORT_H
#define CPERM_CLI_REPORT_H

#include "onesample.h"
#include "outputs.h"

#include <jansson.h>

/* A cluster run's figures and page, added to its output set (they are committed with the
 * statistical outputs, or not at all): summary.png (the seed's figure of `summary`, the
 * summarize_clusters_stc estimate, on the study's source space; marked stale when summary
 * is NULL), h0.png, and report.html with every image embedded as a data URI, built from
 * `json` (clusters.json's text). Returns 0, or -1 after printing the error. */
int report_add(outset *set, const os_result *r, const char *json, const cperm_stc *summary);

/* ------------------------------------------------------------- shared pieces */

/* A growable string; on allocation failure `oom` is set and further output ignored. */
typedef struct report_buf {
    char *p;
    size_t len, cap;
    int oom;
} report_buf;

void report_put(report_buf *b, const char *s, size_t n);
void report_printf(report_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Text with &, <, >, " escaped. */
void report_html(report_buf *b, const char *s);
/* The page's head (title, style sheet) and its <h1>. */
void report_begin(report_buf *b, const char *heading);
/* <figure> with the PNG embedded as a data URI; caption is HTML. Nothing when png is NULL. */
void report_figure(report_buf *b, const char *id, const char *alt, const char *caption,
                   const unsigned char *png, size_t len);
/* One <tr> of a parameter table; value_html is HTML. */
void report_param_row(report_buf *b, const char *name, const char *value_html);
/* Rows of a parameter table for each member of a JSON object (arrays of strings shown as
 * "N: first ... last"). */
void report_param_rows(report_buf *b, const json_t *obj);
/* A JSON value as short display text (HTML: null is &mdash;). */
void report_json_text(char *buf, size_t n, const json_t *v);
/* The closing note (which program, which files hold the full results) and </html>. */
void report_end(report_buf *b, const char *program, const char *files);

/* The seed's brain figure (`seed`: options for summary.png) and the page's lateral/medial
 * figure (split, 720 x 720) of column 0 of `summary`, drawn on two threads. *views may be
 * left NULL when the caller passes views = NULL. Returns 0, or -1 after printing the error
 * (prefixed "report: "). */
int report_brain_figures(const cperm_stc *summary, const cperm_srcspace *src,
                         const cperm_render_options *seed, unsigned char **sum, size_t *sum_len,
                         unsigned char **views, size_t *views_len);

/* Adds summary.png (or, when summary_png is NULL, marks it stale: an older figure would
 * contradict this run), h0.png and report.html to the set. 0, or -1 after printing why. */
int report_add_files(outset *set, const unsigned char *summary_png, size_t summary_len,
                     const unsigned char *h0_png, size_t h0_len, const char *html);

#define REPORT_H0_TFCE CPERM_H0_TFCE

#endif
