/* report.h - onesample's figures (summary.png, h0.png) and self-contained report.html, and
 * the page pieces and draw-then-add sequence that the TFCE report (cli/tfce_report.c) shares. */
#ifndef CPERM_CLI_REPORT_H
#define CPERM_CLI_REPORT_H

#include "onesample.h"
#include "outputs.h"

#include <jansson.h>

/* A cluster run's figures and page, added to its output set (they are committed with the
 * statistical outputs, or not at all): summary.png (the seed's figure of `summary`, the
 * summarize_clusters_stc estimate, on the study's source space; marked stale when summary
 * is NULL), h0.png, and report.html with every image embedded as a data URI, built from
 * `json` (clusters.json's tree, borrowed). Returns 0, or -1 after printing the error. */
int report_add(outset *set, const os_result *r, const json_t *json, const cperm_stc *summary);

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

/* A run's PNG figures; NULL where not drawn. */
typedef struct report_images {
    unsigned char *summary, *views, *h0;
    size_t summary_len, views_len, h0_len;
    unsigned char *glass; /* the glass brain of a volume (or a mixed space's volume part) */
    size_t glass_len;
    int volume; /* a volume source space: no surface figures, the glass brain instead */
} report_images;

/* What differs between the reports of a kind of run. */
typedef struct report_kind {
    const char *json_name; /* the JSON output the page is built from, for errors */
    /* Adjusts the seed's options for the summary figure of `summary`; may be NULL. */
    void (*summary_options)(cperm_render_options *ro, const cperm_stc *summary);
    /* Draws h0.png; a CPERM_E* code with err set on failure. */
    int (*draw_h0)(const os_result *r, int width, int height, unsigned char **png,
                   size_t *len, cperm_err *err);
    /* The page from the parsed JSON and the figures; NULL when out of memory. */
    char *(*page)(const os_result *r, const json_t *root, const report_images *im);
} report_kind;

/* The H0 figures (report_kind.draw_h0) of a cluster run (H0 with the observed cluster
 * statistics and their p-values; cli/report.c) and of a TFCE run (H0 of the largest score
 * with the observed maximum and the smallest per-point p; cli/tfce_report.c). */
int report_cluster_h0(const os_result *r, int width, int height, unsigned char **png,
                      size_t *len, cperm_err *err);
int report_tfce_h0(const os_result *r, int width, int height, unsigned char **png, size_t *len,
                   cperm_err *err);

/* A run's figures and page added to the set: summary.png, the seed's figure of column 0 of
 * `summary` on the study's surfaces, and summary-vol.png, the glass brain of its volume
 * (each marked stale when not drawn: an older figure would contradict this run), h0.png and
 * report.html built from `root` (the tree of the JSON file written beside it, borrowed: the
 * page is not parsed back from the text). Returns 0, or -1 after printing the error
 * (prefixed "report: "). */
int report_add_kind(outset *set, const os_result *r, const json_t *root,
                    const cperm_stc *summary, const report_kind *kind);

/* The page's head (title, style sheet) and its <h1>. */
void report_begin(report_buf *b, const char *heading);
/* The Figures section: the glass brain of a volume (or of a mixed space's volume part), the
 * summary figure (alt text "NOUNs with p < P on the brain, ventral view"; caption is HTML)
 * and its lateral/medial views, or, without them, a note that no NOUN has p < P; then H0's
 * figure (h0_caption is HTML). */
void report_figures(report_buf *b, const report_images *im, const char *noun, double p,
                    const char *summary_caption, const char *h0_alt, const char *h0_caption);
/* One <figure> with the PNG embedded as a data URI (caption is HTML); nothing when png is
 * NULL. */
void report_figure(report_buf *b, const char *id, const char *alt, const char *caption,
                   const unsigned char *png, size_t len);
/* The Parameters heading and the opening of its table, which every page ends with. */
void report_params_begin(report_buf *b);
/* One <tr> of the parameter table; value_html is HTML. */
void report_param_row(report_buf *b, const char *name, const char *value_html);
/* A row showing a JSON value as short text (null as &mdash;). */
void report_param_json(report_buf *b, const char *name, const json_t *v);
/* Rows for each member of a JSON object (arrays of strings shown as "N: first ... last"). */
void report_param_rows(report_buf *b, const json_t *obj);
/* Closes the parameter table, adds the closing note (which program, which files hold the
 * full results) and </html>. Returns the page, or NULL (b freed) when out of memory. */
char *report_end(report_buf *b, const char *program, const char *files);

#endif
