/* montage.c - channel position files as mne.channels.read_custom_montage (MNE 1.3) reads the
 * simple text ones: BESA/EGI .sfp, ASA .elc, and "name x y [z]" tables; MNE's scaling to
 * head_size 0.095 and its fiducial and duplicate rules, so projections match MNE's. */
#include "common_internal.h"
#include "fileio_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>

/* Largest positions file read (64 MiB: a million channels of text). */
#define POS_MAX_FILE_BYTES ((size_t)64 << 20)
/* read_custom_montage's default head_size (metres). */
#define POS_HEAD_SIZE 0.095

enum pos_format { POS_SFP, POS_ELC, POS_TABLE };

/* A channel list being read: names and coordinates in file order, before duplicates merge. */
typedef struct pos_list {
    char **names;
    double *xyz; /* 3 per row (a 2-D table leaves the third 0) */
    size_t n, cap;
} pos_list;

static void list_free(pos_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    free(l->xyz);
    memset(l, 0, sizeof *l);
}

/* Appends a row; name is copied (len bytes). 0 or CPERM_ENOMEM. */
static int list_push(pos_list *l, const char *name, size_t len, const double xyz[3]) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **nn = realloc(l->names, cap * sizeof *nn);
        if (!nn) return CPERM_ENOMEM;
        l->names = nn;
        double *nx = realloc(l->xyz, cap * 3 * sizeof *nx);
        if (!nx) return CPERM_ENOMEM;
        l->xyz = nx;
        l->cap = cap;
    }
    char *s = malloc(len + 1);
    if (!s) return CPERM_ENOMEM;
    memcpy(s, name, len);
    s[len] = '\0';
    l->names[l->n] = s;
    memcpy(l->xyz + 3 * l->n, xyz, 3 * sizeof *xyz);
    l->n++;
    return CPERM_OK;
}

/* ------------------------------------------------------------ lines and fields */

typedef struct line_cursor {
    const char *p, *end;
    size_t lineno;
} line_cursor;

/* The next line (without its \n, and without a \r before it); 0 at the end. */
static int next_line(line_cursor *c, const char **s, size_t *len) {
    if (c->p >= c->end) return 0;
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    const char *e = nl ? nl : c->end;
    *s = c->p;
    *len = (size_t)(e - c->p);
    if (*len && (*s)[*len - 1] == '\r') (*len)--;
    c->p = nl ? nl + 1 : c->end;
    c->lineno++;
    return 1;
}

static int is_blank(int ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; }

/* The line without leading and trailing blanks. */
static void trim(const char **s, size_t *len) {
    while (*len && is_blank((unsigned char)**s)) (*s)++, (*len)--;
    while (*len && is_blank((unsigned char)(*s)[*len - 1])) (*len)--;
}

#define MAX_FIELDS 8
typedef struct fields {
    const char *s[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    size_t n; /* may exceed MAX_FIELDS: only the first are kept */
} fields;

/* Splits a line at `sep` (each occurrence separates; fields trimmed) or, with sep 0, at runs
 * of blanks. */
static void split(fields *f, const char *s, size_t len, char sep) {
    f->n = 0;
    size_t i = 0;
    if (!sep) {
        while (i < len) {
            while (i < len && is_blank((unsigned char)s[i])) i++;
            if (i == len) break;
            size_t b = i;
            while (i < len && !is_blank((unsigned char)s[i])) i++;
            if (f->n < MAX_FIELDS) f->s[f->n] = s + b, f->len[f->n] = i - b;
            f->n++;
        }
        return;
    }
    for (;;) {
        size_t b = i;
        while (i < len && s[i] != sep) i++;
        const char *fs = s + b;
        size_t fl = i - b;
        trim(&fs, &fl);
        if (f->n < MAX_FIELDS) f->s[f->n] = fs, f->len[f->n] = fl;
        f->n++;
        if (i == len) break;
        i++;
    }
}

/* A whole field as a finite decimal number (strtod's syntax less inf, nan and hex);
 * 0 if it is not one. */
static int parse_number(const char *s, size_t len, double *out) {
    char buf[128];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (!(isdigit(ch) || ch == '.' || ch == '-' || ch == '+' || ch == 'e' || ch == 'E')) return 0;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* ------------------------------------------------------------ the formats */

/* .sfp: "label x y z" (np.genfromtxt: blanks, '#' comments, float32 values). */
static int read_sfp(pos_list *l, line_cursor *c, const char *name, cperm_err *err) {
    const char *s;
    size_t len;
    fields f;
    while (next_line(c, &s, &len)) {
        const char *hash = memchr(s, '#', len);
        if (hash) len = (size_t)(hash - s);
        split(&f, s, len, 0);
        if (f.n == 0) continue;
        if (f.n != 4)
            return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: %zu fields, .sfp wants 4 "
                              "(label x y z)", name, c->lineno, f.n);
        double xyz[3];
        for (int k = 0; k < 3; k++) {
            if (!parse_number(f.s[k + 1], f.len[k + 1], &xyz[k]))
                return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: '%.*s' is not a "
                                  "finite number", name, c->lineno, (int)f.len[k + 1], f.s[k + 1]);
            float v = (float)xyz[k]; /* genfromtxt's 'f4' */
            if (!isfinite(v))
                return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: %.*s overflows "
                                  "float32", name, c->lineno, (int)f.len[k + 1], f.s[k + 1]);
            xyz[k] = v;
        }
        if (f.len[0] == 9 && memcmp(f.s[0], "headshape", 9) == 0) continue; /* head shape points */
        if (list_push(l, f.s[0], f.len[0], xyz))
            return cperm_fail(err, CPERM_ENOMEM, "positions: %s: out of memory", name);
    }
    return CPERM_OK;
}

/* Whether the line, less trailing blanks, ends with word (MNE: 'Positions\n' in line). */
static int ends_with(const char *s, size_t len, const char *word) {
    size_t w = strlen(word);
    while (len && is_blank((unsigned char)s[len - 1])) len--;
    return len >= w && memcmp(s + len - w, word, w) == 0;
}

/* .elc: a UnitPosition line (m or mm), then after a "Positions" line the x y z lines, after
 * a "Labels" line one label a line (MNE's _read_elc). Values in metres. */
static int read_elc(pos_list *l, line_cursor *c, const char *name, cperm_err *err) {
    const char *s;
    size_t len;
    fields f;
    double unit = 0;
    double *xyz = NULL;
    size_t n_pos = 0, cap = 0, n_labels = 0;
    int rc = CPERM_OK;

    while (next_line(c, &s, &len)) {
        int has_unit = 0;
        for (size_t i = 0; i + 12 <= len && !has_unit; i++)
            has_unit = memcmp(s + i, "UnitPosition", 12) == 0;
        if (!has_unit) continue;
        split(&f, s, len, 0);
        if (f.n >= 2 && f.len[1] == 1 && f.s[1][0] == 'm') unit = 1.0;
        else if (f.n >= 2 && f.len[1] == 2 && memcmp(f.s[1], "mm", 2) == 0) unit = 1e-3;
        else
            return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: UnitPosition must be m "
                              "or mm", name, c->lineno);
        break;
    }
    if (unit == 0)
        return cperm_fail(err, CPERM_EFORMAT, "positions: %s: no UnitPosition line (.elc)", name);
    int found = 0;
    while (next_line(c, &s, &len))
        if (ends_with(s, len, "Positions")) { found = 1; break; }
    if (!found)
        return cperm_fail(err, CPERM_EFORMAT, "positions: %s: no Positions section (.elc)", name);
    found = 0;
    while (next_line(c, &s, &len)) {
        if (ends_with(s, len, "Labels")) { found = 1; break; }
        split(&f, s, len, 0);
        if (f.n != 3) {
            rc = cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: %zu values, a position "
                            "wants 3 (x y z)", name, c->lineno, f.n);
            goto cleanup;
        }
        if (n_pos == cap) {
            cap = cap ? 2 * cap : 64;
            double *nx = realloc(xyz, cap * 3 * sizeof *nx);
            if (!nx) { rc = cperm_fail(err, CPERM_ENOMEM, "positions: %s: out of memory", name); goto cleanup; }
            xyz = nx;
        }
        for (int k = 0; k < 3; k++)
            if (!parse_number(f.s[k], f.len[k], &xyz[3 * n_pos + (size_t)k])) {
                rc = cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: '%.*s' is not a finite "
                                "number", name, c->lineno, (int)f.len[k], f.s[k]);
                goto cleanup;
            }
        n_pos++;
    }
    if (!found) {
        rc = cperm_fail(err, CPERM_EFORMAT, "positions: %s: no Labels section (.elc)", name);
        goto cleanup;
    }
    while (next_line(c, &s, &len)) {
        trim(&s, &len);
        if (len == 0) break; /* the labels end at a blank line */
        if (n_labels == n_pos) {
            rc = cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: more labels than the %zu "
                            "positions", name, c->lineno, n_pos);
            goto cleanup;
        }
        double p[3];
        for (int k = 0; k < 3; k++) p[k] = xyz[3 * n_labels + (size_t)k] * unit;
        if (list_push(l, s, len, p)) {
            rc = cperm_fail(err, CPERM_ENOMEM, "positions: %s: out of memory", name);
            goto cleanup;
        }
        n_labels++;
    }
    if (n_labels != n_pos)
        rc = cperm_fail(err, CPERM_EFORMAT, "positions: %s: %zu labels for %zu positions", name,
                        n_labels, n_pos);
cleanup:
    free(xyz);
    return rc;
}

/* "name x y [z]": tabs, else commas, else blanks separate; an optional header line. */
static int read_table(pos_list *l, size_t *dim, line_cursor *c, const char *name, cperm_err *err) {
    const char *s;
    size_t len;
    fields f;
    int first = 1;
    *dim = 0;
    while (next_line(c, &s, &len)) {
        trim(&s, &len);
        if (len == 0 || s[0] == '#') continue;
        char sep = memchr(s, '\t', len) ? '\t' : memchr(s, ',', len) ? ',' : 0;
        split(&f, s, len, sep);
        double xyz[3] = {0, 0, 0}, v;
        if (first && f.n >= 2 && !parse_number(f.s[1], f.len[1], &v)) {
            first = 0;
            continue; /* a header: "name x y z" */
        }
        first = 0;
        if (f.n != 3 && f.n != 4)
            return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: %zu fields, want name x y "
                              "[z]", name, c->lineno, f.n);
        if (*dim == 0) *dim = f.n - 1;
        else if (*dim != f.n - 1)
            return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: %zu coordinates after %zu "
                              "in the lines before", name, c->lineno, f.n - 1, *dim);
        if (f.len[0] == 0)
            return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: empty channel name", name,
                              c->lineno);
        for (size_t k = 0; k < *dim; k++)
            if (!parse_number(f.s[k + 1], f.len[k + 1], &xyz[k]))
                return cperm_fail(err, CPERM_EFORMAT, "positions: %s: line %zu: '%.*s' is not a "
                                  "finite number", name, c->lineno, (int)f.len[k + 1], f.s[k + 1]);
        if (list_push(l, f.s[0], f.len[0], xyz))
            return cperm_fail(err, CPERM_ENOMEM, "positions: %s: out of memory", name);
    }
    return CPERM_OK;
}

/* ------------------------------------------------------------ MNE's rules */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* pos *= head_size / np.median(np.linalg.norm(pos, axis=-1)) over every row, as MNE scales
 * .elc (float64) and .sfp (float32: the norms, their median and the products in float32).
 * A median of 0 leaves the positions unscaled-by-infinity: refused. */
static int scale_to_head(pos_list *l, int float32, const char *name, cperm_err *err) {
    size_t n = l->n, h = n / 2;
    double scale;
    if (float32) {
        float *norm = cperm_malloc(n, sizeof *norm);
        if (!norm) return cperm_fail(err, CPERM_ENOMEM, "positions: %s: out of memory", name);
        for (size_t i = 0; i < n; i++) {
            const double *p = l->xyz + 3 * i;
            float x = (float)p[0], y = (float)p[1], z = (float)p[2];
            norm[i] = sqrtf((x * x + y * y) + z * z);
        }
        qsort(norm, n, sizeof *norm, cmp_float);
        float med = n % 2 ? norm[h] : (norm[h - 1] + norm[h]) / 2.0f;
        free(norm);
        if (!(med > 0))
            return cperm_fail(err, CPERM_EFORMAT, "positions: %s: the median distance from the "
                              "origin is 0: cannot scale to the head size", name);
        scale = POS_HEAD_SIZE / (double)med;
        float fs = (float)scale; /* numpy casts the float64 scalar to the float32 array's type */
        for (size_t k = 0; k < 3 * n; k++) l->xyz[k] = (double)((float)l->xyz[k] * fs);
        return CPERM_OK;
    }
    double *norm = cperm_malloc(n, sizeof *norm);
    if (!norm) return cperm_fail(err, CPERM_ENOMEM, "positions: %s: out of memory", name);
    for (size_t i = 0; i < n; i++) {
        const double *p = l->xyz + 3 * i;
        norm[i] = sqrt((p[0] * p[0] + p[1] * p[1]) + p[2] * p[2]);
    }
    qsort(norm, n, sizeof *norm, cmp_double);
    double med = n % 2 ? norm[h] : (norm[h - 1] + norm[h]) / 2.0;
    free(norm);
    if (!(med > 0))
        return cperm_fail(err, CPERM_EFORMAT, "positions: %s: the median distance from the origin "
                          "is 0: cannot scale to the head size", name);
    scale = POS_HEAD_SIZE / med;
    for (size_t k = 0; k < 3 * n; k++) l->xyz[k] *= scale;
    return CPERM_OK;
}

/* MNE's OrderedDict(zip(names, pos)) then .pop of the fiducials: a name's first place, its
 * last position, fiducial names left out. Builds the outputs. */
static int merge(cperm_ch_names **names_out, double **pos_out, size_t *n_out, const pos_list *l,
                 size_t dim, const char *const *drop, const char *name, cperm_err *err) {
    cperm_ch_names *nm = calloc(1, sizeof *nm);
    double *pos = NULL;
    size_t n = 0;
    int rc = CPERM_ENOMEM;
    if (!nm) goto cleanup;
    nm->names = calloc(l->n ? l->n : 1, sizeof *nm->names);
    pos = cperm_malloc(l->n ? l->n * dim : 1, sizeof *pos);
    if (!nm->names || !pos) goto cleanup;
    /* O(n^2) name matching: files hold at most a few hundred channels; a bigger file is
     * still correct, only slower. */
    for (size_t i = 0; i < l->n; i++) {
        int dropped = 0;
        for (const char *const *d = drop; d && *d; d++)
            if (strcmp(l->names[i], *d) == 0) dropped = 1;
        if (dropped) continue;
        size_t slot = n;
        for (size_t j = 0; j < n; j++)
            if (strcmp(nm->names[j], l->names[i]) == 0) { slot = j; break; }
        if (slot == n) {
            nm->names[n] = strdup(l->names[i]);
            if (!nm->names[n]) goto cleanup;
            n++;
            nm->n_channels = n;
        }
        memcpy(pos + slot * dim, l->xyz + 3 * i, dim * sizeof *pos);
    }
    if (n == 0) {
        rc = cperm_fail(err, CPERM_EFORMAT, "positions: %s: no channel positions", name);
        goto cleanup;
    }
    *names_out = nm;
    *pos_out = pos;
    *n_out = n;
    nm = NULL;
    pos = NULL;
    rc = CPERM_OK;
cleanup:
    if (rc == CPERM_ENOMEM) cperm_fail(err, CPERM_ENOMEM, "positions: %s: out of memory", name);
    cperm_ch_names_free(nm);
    free(pos);
    return rc;
}

/* The format from the name's extension (case as MNE: exact, lower case). */
static enum pos_format format_of(const char *name) {
    size_t len = strlen(name);
    if (len >= 4 && strcmp(name + len - 4, ".sfp") == 0) return POS_SFP;
    if (len >= 4 && strcmp(name + len - 4, ".elc") == 0) return POS_ELC;
    return POS_TABLE;
}

int cperm_ch_positions_read_mem(cperm_ch_names **names, double **pos, size_t *n, size_t *dim,
                                const void *data, size_t size, const char *name,
                                cperm_err *err) {
    static const char *const sfp_fids[] = {"FidNz", "FidT9", "FidT10", NULL};
    static const char *const elc_fids[] = {"Nz", "LPA", "RPA", NULL};
    pos_list l = {0};
    size_t d = 3;
    int rc;
    if (!names || !pos || !n || !dim)
        return cperm_fail(err, CPERM_EINVAL, "positions: NULL output pointer");
    *names = NULL;
    *pos = NULL;
    *n = 0;
    *dim = 0;
    if (!name) name = "(memory)";
    if (!data && size) return cperm_fail(err, CPERM_EINVAL, "positions: %s: no data", name);
    if (size && memchr(data, '\0', size))
        return cperm_fail(err, CPERM_EFORMAT, "positions: %s: a NUL byte: not a text file", name);
    line_cursor c = {data, (const char *)data + size, 0};
    enum pos_format fmt = format_of(name);
    if (fmt == POS_SFP) rc = read_sfp(&l, &c, name, err);
    else if (fmt == POS_ELC) rc = read_elc(&l, &c, name, err);
    else rc = read_table(&l, &d, &c, name, err);
    if (rc) goto cleanup;
    if (l.n == 0) {
        rc = cperm_fail(err, CPERM_EFORMAT, "positions: %s: no channel positions", name);
        goto cleanup;
    }
    if (fmt != POS_TABLE) {
        rc = scale_to_head(&l, fmt == POS_SFP, name, err);
        if (rc) goto cleanup;
    }
    rc = merge(names, pos, n, &l, d, fmt == POS_SFP ? sfp_fids : fmt == POS_ELC ? elc_fids : NULL,
               name, err);
    if (!rc) *dim = d;
cleanup:
    list_free(&l);
    return rc;
}

int cperm_ch_positions_read(cperm_ch_names **names, double **pos, size_t *n, size_t *dim,
                            const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    int rc;
    if (!names || !pos || !n || !dim)
        return cperm_fail(err, CPERM_EINVAL, "positions: NULL output pointer");
    *names = NULL;
    *pos = NULL;
    *n = 0;
    *dim = 0;
    if (!path) return cperm_fail(err, CPERM_EINVAL, "positions: no path");
    rc = cperm_read_file(&buf, &size, path, POS_MAX_FILE_BYTES, "positions", err);
    if (rc) return rc;
    rc = cperm_ch_positions_read_mem(names, pos, n, dim, buf, size, path, err);
    free(buf);
    return rc;
}
