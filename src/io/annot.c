/* annot.c - FreeSurfer parcellations (?h.NAME.annot) and label files (.label), read as MNE
 * 1.3's _read_annot / read_labels_from_annot and read_label do. */
#include "common_internal.h"
#include "fileio_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Caps: the densest FreeSurfer surfaces have a few hundred thousand vertices. */
#define ANNOT_MAX_FILE ((size_t)1 << 30)
#define ANNOT_MAX_NAME 4096

static const char *nm(const char *name) { return name ? name : "<memory>"; }

void cperm_annot_free(cperm_annot *a) {
    if (!a) return;
    for (size_t i = 0; a->names && i < a->n_regions; i++) free(a->names[i]);
    free(a->names);
    free(a->region);
    free(a->rgba);
    free(a->ids);
    free(a);
}

/* A bounded big-endian reader over the file's bytes. */
typedef struct rd {
    const unsigned char *p;
    size_t size, off;
} rd;

static int rd_i32(rd *r, int32_t *v) {
    if (r->size - r->off < 4) return -1;
    *v = (int32_t)cperm_be32(r->p + r->off);
    r->off += 4;
    return 0;
}

/* A length-prefixed string; numpy's "|S%d" stops at the first NUL. */
static int rd_str(rd *r, char **out) {
    int32_t len;
    if (rd_i32(r, &len) || len < 0 || (size_t)len > r->size - r->off || len > ANNOT_MAX_NAME)
        return -1;
    if (!out) {
        r->off += (size_t)len;
        return 0;
    }
    const char *s = (const char *)r->p + r->off;
    size_t n = 0;
    while (n < (size_t)len && s[n]) n++;
    char *c = malloc(n + 1);
    if (!c) return -2;
    memcpy(c, s, n);
    c[n] = '\0';
    r->off += (size_t)len;
    *out = c;
    return 0;
}

int cperm_annot_read_mem(cperm_annot **out, const void *data, size_t size, const char *name,
                         cperm_err *err) {
    if (!out || (!data && size)) return cperm_fail(err, CPERM_EINVAL, "annot: NULL argument");
    *out = NULL;
    rd r = {data, size, 0};
    int32_t n_verts, ctab_exists, n_entries;
    if (rd_i32(&r, &n_verts) || n_verts < 0)
        return cperm_fail(err, CPERM_EFORMAT, "annot: %s: truncated or negative vertex count "
                          "(%zu bytes)", nm(name), size);
    if ((size - r.off) / 8 < (size_t)n_verts)
        return cperm_fail(err, CPERM_EFORMAT, "annot: %s: says %d vertices, but holds %zu "
                          "bytes (%zu needed for them)", nm(name), (int)n_verts, size,
                          4 + 8 * (size_t)n_verts);
    cperm_annot *a = calloc(1, sizeof *a);
    int64_t *value = cperm_malloc((size_t)n_verts, sizeof *value);
    int rc = CPERM_ENOMEM;
    if (!a || !value) goto nomem;
    a->n_vertices = (size_t)n_verts;
    if (!(a->region = cperm_malloc(a->n_vertices, sizeof *a->region))) goto nomem;
    /* annot = data[data[:, 0], 1]: row i's value goes to vertex vno_i; numpy would fail on a
     * vertex number out of range, and a vertex that no row names keeps data[v, 1] */
    const size_t base = r.off;
    for (size_t i = 0; i < a->n_vertices; i++) {
        const int32_t vno = (int32_t)cperm_be32(r.p + base + 8 * i);
        if (vno < 0 || vno >= n_verts) {
            rc = cperm_fail(err, CPERM_EFORMAT, "annot: %s: entry %zu names vertex %d, outside "
                            "0..%d", nm(name), i, (int)vno, (int)n_verts - 1);
            goto fail;
        }
        value[i] = (int32_t)cperm_be32(r.p + base + 8 * (size_t)vno + 4);
    }
    r.off += 8 * a->n_vertices;
    if (rd_i32(&r, &ctab_exists) || !ctab_exists) {
        rc = cperm_fail(err, CPERM_EFORMAT, "annot: %s: colour table not found in annotation "
                        "file", nm(name));
        goto fail;
    }
    if (rd_i32(&r, &n_entries)) goto trunc;
    size_t n_read;
    int v2 = 0;
    if (n_entries > 0) { /* the old format: names and colours, ids from the colours */
        if (rd_str(&r, NULL)) goto trunc; /* orig_tab */
        n_read = (size_t)n_entries;
    } else {
        if (-(int64_t)n_entries != 2) {
            rc = cperm_fail(err, CPERM_EFORMAT, "annot: %s: colour table version %lld not "
                            "supported (2 is)", nm(name), -(long long)n_entries);
            goto fail;
        }
        v2 = 1;
        int32_t n_tab, n_to_read;
        if (rd_i32(&r, &n_tab) || n_tab < 0 || rd_str(&r, NULL) || rd_i32(&r, &n_to_read) ||
            n_to_read < 0)
            goto trunc;
        n_entries = n_tab;
        n_read = (size_t)n_to_read;
        if (n_read > (size_t)n_tab) { /* numpy would index past ctab */
            rc = cperm_fail(err, CPERM_EFORMAT, "annot: %s: %zu colour table entries to read "
                            "but a table of %d", nm(name), n_read, (int)n_tab);
            goto fail;
        }
    }
    /* every entry takes at least 20 bytes (v2: 24): check before allocating */
    if ((size - r.off) / (v2 ? 24 : 20) < n_read) goto trunc;
    a->n_regions = n_read;
    a->names = calloc(n_read ? n_read : 1, sizeof *a->names);
    a->rgba = cperm_malloc(n_read ? n_read * 4 : 1, sizeof *a->rgba);
    a->ids = cperm_malloc(n_read ? n_read : 1, sizeof *a->ids);
    if (!a->names || !a->rgba || !a->ids) goto nomem;
    for (size_t i = 0; i < n_read; i++) {
        int32_t c[4], structure;
        if (v2 && rd_i32(&r, &structure)) goto trunc;
        const int s = rd_str(&r, &a->names[i]);
        if (s == -2) goto nomem;
        if (s || rd_i32(&r, &c[0]) || rd_i32(&r, &c[1]) || rd_i32(&r, &c[2]) ||
            rd_i32(&r, &c[3]))
            goto trunc;
        a->ids[i] = (int64_t)c[0] + (int64_t)c[1] * 256 + (int64_t)c[2] * 65536 +
                    (v2 ? 0 : (int64_t)c[3] * 16777216);
        for (int k = 0; k < 3; k++) a->rgba[4 * i + (size_t)k] = c[k];
        a->rgba[4 * i + 3] = (int32_t)(255 - (int64_t)c[3]);
    }
    /* read_labels_from_annot: label i is np.where(annot == ctab[i, 4]); entries of a v2 table
     * beyond those read keep id 0 in MNE but have no name, so they make no label */
    for (size_t v = 0; v < a->n_vertices; v++) {
        a->region[v] = -1;
        for (size_t i = 0; i < n_read; i++)
            if (a->ids[i] == value[v]) {
                a->region[v] = (int32_t)i;
                break;
            }
    }
    free(value);
    *out = a;
    return CPERM_OK;

trunc:
    rc = cperm_fail(err, CPERM_EFORMAT, "annot: %s: truncated colour table (%zu bytes)",
                    nm(name), size);
    goto fail;
nomem:
    rc = cperm_fail(err, CPERM_ENOMEM, "annot: %s: out of memory", nm(name));
fail:
    free(value);
    cperm_annot_free(a);
    return rc;
}

int cperm_annot_read(cperm_annot **out, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "annot: no output pointer");
    *out = NULL;
    int rc = cperm_read_file(&buf, &size, path, ANNOT_MAX_FILE, "annot", err);
    if (rc) return rc;
    rc = cperm_annot_read_mem(out, buf, size, path, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ .label */

void cperm_label_free(cperm_label *l) {
    if (!l) return;
    free(l->vertices);
    free(l);
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The next line of [p, end) into line (NUL-terminated, truncated to cap - 1); 0 at the end. */
static int next_line(const char **p, const char *end, char *line, size_t cap) {
    if (*p >= end) return 0;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl ? nl : end;
    size_t n = (size_t)(e - *p);
    if (n >= cap) n = cap - 1;
    memcpy(line, *p, n);
    line[n] = '\0';
    *p = nl ? nl + 1 : end;
    return 1;
}

int cperm_label_read_mem(cperm_label **out, const void *data, size_t size, const char *name,
                         cperm_err *err) {
    if (!out || (!data && size) || !name)
        return cperm_fail(err, CPERM_EINVAL, "label: NULL argument");
    *out = NULL;
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    int hemi;
    if (ends_with(base, "lh.label") || !strncmp(base, "lh.", 3)) hemi = 0;
    else if (ends_with(base, "rh.label") || !strncmp(base, "rh.", 3)) hemi = 1;
    else
        return cperm_fail(err, CPERM_EINVAL, "label: %s: cannot find which hemisphere it is: "
                          "the file name should end with lh.label or rh.label", name);
    cperm_label *l = calloc(1, sizeof *l);
    if (!l) return cperm_fail(err, CPERM_ENOMEM, "label: %s: out of memory", name);
    l->hemi = hemi;
    { /* MNE's name rule, its quirk included: "lh.x.label" keeps "lh.x" */
        const size_t n = strlen(base);
        size_t keep;
        const char *from = base;
        if (!strncmp(base, "lh.", 3) || !strncmp(base, "rh.", 3)) {
            from = base + 3, keep = n - 3;
            if (ends_with(base, ".label")) from = base, keep = n - 6;
        } else {
            keep = n >= 9 ? n - 9 : 0;
        }
        snprintf(l->name, sizeof l->name, "%.*s-%s", (int)keep, from, hemi ? "rh" : "lh");
    }
    const char *p = data, *end = p + size;
    char line[512];
    long nv;
    char *e;
    int rc;
    if (!next_line(&p, end, line, sizeof line) || !next_line(&p, end, line, sizeof line)) {
        rc = cperm_fail(err, CPERM_EFORMAT, "label: %s: truncated before the vertex count",
                        name);
        goto fail;
    }
    errno = 0;
    nv = strtol(line, &e, 10);
    while (*e == ' ' || *e == '\t' || *e == '\r') e++;
    if (e == line || *e || errno || nv < 0 || (size_t)nv > size / 10 + 1) {
        rc = cperm_fail(err, CPERM_EFORMAT, "label: %s: line 2 '%.40s' is not a vertex count "
                        "that fits the file (%zu bytes)", name, line, size);
        goto fail;
    }
    l->n_vertices = (size_t)nv;
    l->vertices = cperm_malloc(l->n_vertices ? l->n_vertices : 1, sizeof *l->vertices);
    if (!l->vertices) {
        rc = cperm_fail(err, CPERM_ENOMEM, "label: %s: out of memory", name);
        goto fail;
    }
    for (size_t i = 0; i < l->n_vertices; i++) {
        double x, y, z, v;
        long vno;
        int used = 0;
        if (!next_line(&p, end, line, sizeof line)) {
            rc = cperm_fail(err, CPERM_EFORMAT, "label: %s: says %zu vertices but holds %zu",
                            name, l->n_vertices, i);
            goto fail;
        }
        if (sscanf(line, " %ld %lf %lf %lf %lf %n", &vno, &x, &y, &z, &v, &used) != 5 ||
            line[used] != '\0' || vno < 0 || vno > INT32_MAX) {
            rc = cperm_fail(err, CPERM_EFORMAT, "label: %s: line %zu '%.40s' is not 'vertex x y "
                            "z value' with a vertex number >= 0", name, i + 3, line);
            goto fail;
        }
        l->vertices[i] = (int32_t)vno;
    }
    qsort(l->vertices, l->n_vertices, sizeof *l->vertices, cmp_i32);
    for (size_t i = 1; i < l->n_vertices; i++)
        if (l->vertices[i] == l->vertices[i - 1]) {
            rc = cperm_fail(err, CPERM_EFORMAT, "label: %s: vertex %d is listed twice", name,
                            (int)l->vertices[i]);
            goto fail;
        }
    *out = l;
    return CPERM_OK;
fail:
    cperm_label_free(l);
    return rc;
}

int cperm_label_read(cperm_label **out, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "label: no output pointer");
    *out = NULL;
    int rc = cperm_read_file(&buf, &size, path, ANNOT_MAX_FILE, "label", err);
    if (rc) return rc;
    rc = cperm_label_read_mem(out, buf, size, path, err);
    free(buf);
    return rc;
}
