/* neighbors.c - sensor neighbourhoods: FieldTrip `neighbours` .mat files (MAT v5, read with
 * libmatio) as mne.channels.read_ch_adjacency reads them (channel names, adjacency), and
 * MNE's `picks` selection of the result. */
#include "common_internal.h"

#include <errno.h>
#include <matio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file's name in messages: its path as given. */
#define WHO "neighbors"
/* A graph's vertex indices are int32 (adjacency.c). */
#define MAX_CHANNELS ((size_t)INT32_MAX)

/* ------------------------------------------------------------ matio's log */

/* libmatio reports problems through a process-wide log function whose default prints to
 * stderr and, for Mat_Error, aborts; the library may do neither. Ours keeps the last message
 * of this thread so that a failed read can say what matio saw. Installed once; a program
 * that installs its own matio log function afterwards replaces it. */
static _Thread_local char matio_last[256];
static pthread_once_t matio_log_once = PTHREAD_ONCE_INIT;

static void matio_log(int level, char *message) {
    if (level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL | MATIO_LOG_LEVEL_WARNING))
        snprintf(matio_last, sizeof matio_last, "%s", message ? message : "");
}

static void matio_log_install(void) { Mat_LogInitFunc("clusterperm", matio_log); }

/* ------------------------------------------------------------- the result */

void cperm_ch_names_free(cperm_ch_names *names) {
    if (!names) return;
    if (names->names)
        for (size_t i = 0; i < names->n_channels; i++) free(names->names[i]);
    free(names->names);
    free(names);
}

static cperm_ch_names *names_alloc(size_t n) {
    cperm_ch_names *nm = calloc(1, sizeof *nm);
    if (!nm) return NULL;
    nm->names = cperm_calloc(n ? n : 1, sizeof *nm->names);
    if (!nm->names) {
        free(nm);
        return NULL;
    }
    nm->n_channels = n;
    return nm;
}

/* -------------------------------------------- scipy.io.loadmat's values, as a tree */

/* What the reader sees of a loadmat value is what MNE's _recursive_flatten touches: numpy
 * arrays iterated along their first axis, str leaves (iterable, character by character), and
 * anything else (a number, a struct record, a sparse matrix), which Python cannot iterate or
 * which MNE then rejects. An array is a view of a matio variable: numpy's shape is MATLAB's
 * dims (a char array drops its last dimension: chars_as_strings), indices map to MATLAB's
 * column-major linear index through strides. */
enum { NODE_ARRAY, NODE_TEXT, NODE_OTHER };

typedef struct node {
    int kind;
    /* NODE_ARRAY */
    const matvar_t *var;     /* a cell, char, numeric or struct-field-holder variable */
    const matvar_t *strct;   /* the top level: the neighbours struct, field `field` */
    const char *field;
    int rank;                /* numpy's ndim left in this view */
    const size_t *dims;      /* numpy's shape from here on */
    const size_t *strides;   /* MATLAB linear-index strides of those axes */
    size_t base;             /* MATLAB linear index of this view's first element */
    /* NODE_TEXT: UTF-8, owned by the reader's text pool */
    const char *text;
    size_t len;
} node;

/* A growable list of nodes (one level of _recursive_flatten) and the storage the texts of a
 * read live in (freed together at the end of a read). */
typedef struct node_list {
    node *v;
    size_t n, cap;
} node_list;

typedef struct reader {
    const char *path;
    cperm_err *err;
    char **texts;            /* every decoded text, freed at the end */
    size_t n_texts, cap_texts;
    size_t **shapes;         /* dims/strides arrays made for views, freed at the end */
    size_t n_shapes, cap_shapes;
    const matvar_t *cp_var;  /* the char variable whose characters cp holds */
    uint32_t *cp;
} reader;

static int list_push(node_list *l, const node *x) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        node *v = cperm_malloc(cap, sizeof *v);
        if (!v) return -1;
        if (l->n) memcpy(v, l->v, l->n * sizeof *v);
        free(l->v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *x;
    return 0;
}

static int keep_ptr(void ***arr, size_t *n, size_t *cap, void *p) {
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 32;
        void **v = cperm_malloc(c, sizeof *v);
        if (!v) return -1;
        if (*n) memcpy(v, *arr, *n * sizeof *v);
        free(*arr);
        *arr = v;
        *cap = c;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

static int oom(reader *r) {
    return cperm_fail(r->err, CPERM_ENOMEM, WHO ": %s: out of memory", r->path);
}

static size_t var_numel(const matvar_t *v) {
    size_t n = 1;
    for (int d = 0; d < v->rank; d++) {
        if (v->dims[d] && n > SIZE_MAX / v->dims[d]) return SIZE_MAX;
        n *= v->dims[d];
    }
    return n;
}

/* Appends code point c as UTF-8. */
static size_t put_utf8(char *o, uint32_t c) {
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F)); return 4;
}

/* Decodes n bytes of UTF-8 into code points (strict, as Python's codec); returns how many
 * were decoded, or SIZE_MAX on an invalid sequence. cp may hold n entries. */
static size_t decode_utf8(uint32_t *cp, const unsigned char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len;
        uint32_t v, min;
        if (c < 0x80) { cp[k++] = c; i++; continue; }
        if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; min = 0x10000; }
        else return SIZE_MAX;
        if (n - i < len) return SIZE_MAX;
        for (size_t j = 1; j < len; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return SIZE_MAX;
            v = (v << 6) | (s[i + j] & 0x3F);
        }
        if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return SIZE_MAX;
        cp[k++] = v;
        i += len;
    }
    return k;
}

/* The characters of a char variable as code points, numel of them, decoded as scipy 1.10's
 * read_char does: miUINT16 (MATLAB's own) through its low byte then UTF-8 (loadmat's
 * uint16_codec, the default encoding utf-8, is 1 byte wide: "need LATIN-1"), miINT8/miUINT8
 * as ASCII, miUTF8/16/32 as such; no data at all gives spaces. Fewer characters than the
 * dims hold (scipy: buffer too small) or more (scipy takes the first ones, which no writer
 * does) is refused. *cp is malloc'ed. */
static int char_codepoints(reader *r, uint32_t **cp, const matvar_t *v, const char *where) {
    size_t numel = var_numel(v), got = 0;
    size_t nb = v->nbytes;
    const unsigned char *b = v->data;
    uint32_t *out;
    unsigned char *bytes = NULL;

    *cp = NULL;
    if (numel == SIZE_MAX)
        return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: char array too large", r->path, where);
    out = cperm_malloc(numel ? numel : 1, sizeof *out);
    if (!out) return oom(r);
    if (nb == 0 || !b) {
        for (size_t i = 0; i < numel; i++) out[i] = ' ';
        *cp = out;
        return 0;
    }
    switch (v->data_type) {
    case MAT_T_UINT16:
    case MAT_T_INT16:
        /* scipy decodes miUINT16 only; matio reports some as INT16 after its own checks */
        bytes = malloc(nb / 2 + 1);
        if (!bytes) { free(out); return oom(r); }
        {
            /* matio stores the uint16 values in native order; take each value's low byte */
            const uint16_t *u = (const uint16_t *)(const void *)b;
            for (size_t i = 0; i < nb / 2; i++) bytes[i] = (unsigned char)(u[i] & 0xFF);
        }
        if (nb / 2 > numel * 4) { got = SIZE_MAX - 1; break; }
        {
            uint32_t *tmp = cperm_malloc(nb / 2 + 1, sizeof *tmp);
            if (!tmp) { free(bytes); free(out); return oom(r); }
            got = decode_utf8(tmp, bytes, nb / 2);
            if (got != SIZE_MAX && got >= numel) memcpy(out, tmp, numel * sizeof *out);
            free(tmp);
        }
        break;
    case MAT_T_UINT8:
    case MAT_T_INT8:
        got = nb;
        for (size_t i = 0; i < nb && got != SIZE_MAX; i++)
            if (b[i] >= 0x80) got = SIZE_MAX;
        if (got != SIZE_MAX)
            for (size_t i = 0; i < numel && i < nb; i++) out[i] = b[i];
        break;
    case MAT_T_UTF8: {
        uint32_t *tmp = cperm_malloc(nb + 1, sizeof *tmp);
        if (!tmp) { free(out); return oom(r); }
        got = decode_utf8(tmp, b, nb);
        if (got != SIZE_MAX && got >= numel) memcpy(out, tmp, numel * sizeof *out);
        free(tmp);
        break;
    }
    case MAT_T_UTF32: {
        const uint32_t *u = (const uint32_t *)(const void *)b;
        got = nb / 4;
        for (size_t i = 0; i < got && got != SIZE_MAX; i++)
            if (u[i] > 0x10FFFF || (u[i] >= 0xD800 && u[i] <= 0xDFFF)) got = SIZE_MAX;
        if (got != SIZE_MAX && got >= numel) memcpy(out, u, numel * sizeof *out);
        break;
    }
    default:
        free(out);
        return cperm_fail(r->err, CPERM_EUNSUPPORTED, WHO ": %s: %s: characters stored as "
                          "matio type %d, which scipy.io.loadmat does not read as text",
                          r->path, where, (int)v->data_type);
    }
    free(bytes);
    if (got == SIZE_MAX || got == SIZE_MAX - 1) {
        free(out);
        return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: characters that are not valid "
                          "%s (scipy.io.loadmat fails on them too)", r->path, where,
                          v->data_type == MAT_T_UINT8 || v->data_type == MAT_T_INT8 ? "ASCII" : "UTF-8");
    }
    if (got != numel) {
        free(out);
        return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: %zu characters where the char "
                          "array's dimensions hold %zu", r->path, where, got, numel);
    }
    *cp = out;
    return 0;
}

/* Makes the numpy view of variable v (a struct's field at the top level: strct != NULL). */
static int make_view(reader *r, node *x, const matvar_t *v, const matvar_t *strct,
                     const char *field) {
    const matvar_t *shape_of = strct ? strct : v;
    int rank = shape_of->dims ? shape_of->rank : 0; /* no dims: an empty array */
    size_t *dims, stride = 1;
    memset(x, 0, sizeof *x);
    if (!strct && (v->class_type == MAT_C_SPARSE || v->class_type == MAT_C_FUNCTION ||
                   v->class_type == MAT_C_OBJECT || v->class_type == MAT_C_OPAQUE)) {
        x->kind = NODE_OTHER; /* scipy gives no ndarray for these: MNE fails on them */
        return 0;
    }
    x->kind = NODE_ARRAY;
    x->var = strct ? strct : v;
    x->strct = strct;
    x->field = field;
    if (rank < 1) rank = 0;
    dims = cperm_malloc(2 * (size_t)(rank ? rank : 1), sizeof *dims);
    if (!dims || keep_ptr((void ***)&r->shapes, &r->n_shapes, &r->cap_shapes, dims) != 0) {
        free(dims);
        return oom(r);
    }
    for (int d = 0; d < rank; d++) {
        dims[d] = shape_of->dims[d];
        dims[rank + d] = stride;
        stride *= shape_of->dims[d] ? shape_of->dims[d] : 1;
    }
    x->dims = dims;
    x->strides = dims + rank;
    x->rank = rank;
    /* chars_as_strings: the last axis becomes the characters of each string */
    if (!strct && v->class_type == MAT_C_CHAR && rank >= 1) x->rank = rank - 1;
    return 0;
}

/* The string of a char variable whose first linear index is `base` (the last axis of the
 * char array runs through the string): numpy's U dtype drops trailing NULs. */
static int char_text(reader *r, node *out, const node *a, size_t base, const char *where) {
    const matvar_t *v = a->var;
    int last = v->rank - 1;
    size_t n = v->dims[last], step = 1, len = 0;
    const uint32_t *cp;
    char *s;
    for (int d = 0; d < last; d++) step *= v->dims[d];
    /* a variable's characters are decoded once, for all of its strings */
    if (r->cp_var != v) {
        uint32_t *dec = NULL;
        int rc = char_codepoints(r, &dec, v, where);
        if (rc) return rc;
        free(r->cp);
        r->cp = dec;
        r->cp_var = v;
    }
    cp = r->cp;
    while (n > 0 && cp[base + (n - 1) * step] == 0) n--;
    for (size_t j = 0; j < n; j++)
        if (cp[base + j * step] == 0) {
            return cperm_fail(r->err, CPERM_EUNSUPPORTED, WHO ": %s: %s: a NUL character "
                              "inside a text", r->path, where);
        }
    s = cperm_malloc(4 * n + 1, 1);
    if (!s || keep_ptr((void ***)&r->texts, &r->n_texts, &r->cap_texts, s) != 0) {
        free(s);
        return oom(r);
    }
    for (size_t j = 0; j < n; j++) len += put_utf8(s + len, cp[base + j * step]);
    s[len] = '\0';
    memset(out, 0, sizeof *out);
    out->kind = NODE_TEXT;
    out->text = s;
    out->len = len;
    return 0;
}

/* The element at MATLAB linear index `lin` of array a (numpy's 0-d result of indexing). */
static int array_element(reader *r, node *out, const node *a, size_t lin, const char *where) {
    const matvar_t *v = a->var;
    if (a->strct) {
        const matvar_t *f = Mat_VarGetStructFieldByName((matvar_t *)a->strct, a->field, lin);
        if (!f)
            return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s of element %zu is missing "
                              "(a truncated or corrupt file)", r->path, where, lin + 1);
        return make_view(r, out, f, NULL, NULL);
    }
    if (v->class_type == MAT_C_CHAR) return char_text(r, out, a, lin, where);
    if (v->class_type == MAT_C_CELL) {
        matvar_t *c = lin <= (size_t)INT32_MAX ? Mat_VarGetCell((matvar_t *)v, (int)lin) : NULL;
        if (!c) return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: cell %zu is missing",
                                  r->path, where, lin);
        return make_view(r, out, c, NULL, NULL);
    }
    memset(out, 0, sizeof *out);
    out->kind = NODE_OTHER; /* a number, a struct record, ... */
    return 0;
}

/* Python's `for c in d`: appends the items of d to l. Iterating a str gives its characters;
 * a number (or anything but an array or a str) raises TypeError in MNE. */
static int iterate(reader *r, node_list *l, const node *d, const char *where) {
    if (d->kind == NODE_TEXT) {
        for (size_t i = 0; i < d->len;) {
            size_t n = 1;
            unsigned char c = (unsigned char)d->text[i];
            node ch;
            if (c >= 0xF0) n = 4;
            else if (c >= 0xE0) n = 3;
            else if (c >= 0xC0) n = 2;
            memset(&ch, 0, sizeof ch);
            ch.kind = NODE_TEXT;
            ch.text = d->text + i; /* a slice of the parent, length n */
            ch.len = n;
            if (list_push(l, &ch)) return oom(r);
            i += n;
        }
        return 0;
    }
    if (d->kind != NODE_ARRAY || d->rank < 1)
        return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: a value that is neither text "
                          "nor an array (MNE 1.3 fails on it: TypeError)", r->path, where);
    for (size_t i = 0; i < d->dims[0]; i++) {
        node x;
        size_t lin = d->base + i * d->strides[0];
        if (d->rank == 1) {
            int rc = array_element(r, &x, d, lin, where);
            if (rc) return rc;
        } else {
            x = *d;
            x.rank = d->rank - 1;
            x.dims = d->dims + 1;
            x.strides = d->strides + 1;
            x.base = lin;
        }
        if (list_push(l, &x)) return oom(r);
    }
    return 0;
}

/* MNE's _recursive_flatten(cell, str) on array `top`: while the first item is not a str,
 * replace the list by the items of its items. The result must be all str (MNE fails later on
 * anything else). Appends the texts to *out. */
static int recursive_flatten(reader *r, node_list *out, const node *top, const char *where) {
    node_list cur = {0}, next = {0};
    int rc = 0;
    if (top->kind != NODE_ARRAY || top->rank < 0) {
        return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: not text or a cell array of "
                          "texts (MNE 1.3 fails on it)", r->path, where);
    }
    if (top->rank < 1 || top->dims[0] == 0) return 0; /* len(cell) == 0: returned as is */
    rc = iterate(r, &cur, top, where);
    /* `cur` now is list(top); the loop below is MNE's while loop */
    while (!rc) {
        if (cur.n == 0) {
            rc = cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: an empty array inside "
                            "(e.g. a 1x0 cell), which MNE 1.3 cannot read (IndexError)",
                            r->path, where);
            break;
        }
        if (cur.v[0].kind == NODE_TEXT) break;
        next.n = 0;
        for (size_t i = 0; i < cur.n && !rc; i++) rc = iterate(r, &next, &cur.v[i], where);
        node_list t = cur;
        cur = next;
        next = t;
    }
    for (size_t i = 0; i < cur.n && !rc; i++) {
        if (cur.v[i].kind != NODE_TEXT)
            rc = cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: %s: item %zu is not text "
                            "(MNE 1.3 fails on it)", r->path, where, i);
        else if (list_push(out, &cur.v[i]))
            rc = oom(r);
    }
    free(cur.v);
    free(next.v);
    return rc;
}

/* ------------------------------------------------------------ the reader */

static int cmp_idx_text(const void *pa, const void *pb, const node *names) {
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const node *x = &names[a], *y = &names[b];
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return (a > b) - (a < b);
}

/* qsort has no context argument in C11: a merge sort of channel indices by (name, index). */
static void sort_by_name(size_t *v, size_t *tmp, size_t n, const node *names) {
    if (n < 2) return;
    size_t h = n / 2;
    sort_by_name(v, tmp, h, names);
    sort_by_name(v + h, tmp, n - h, names);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp_idx_text(&v[i], &v[j], names) <= 0 ? v[i++] : v[j++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* ch_names.index(label): the first channel of that name, or SIZE_MAX. */
static size_t find_name(const size_t *sorted, size_t n, const node *names, const node *label) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const node *x = &names[sorted[mid]];
        size_t m = x->len < label->len ? x->len : label->len;
        int c = memcmp(x->text, label->text, m);
        if (!c) c = (x->len > label->len) - (x->len < label->len);
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < n) {
        const node *x = &names[sorted[lo]];
        if (x->len == label->len && !memcmp(x->text, label->text, x->len)) return sorted[lo];
    }
    return SIZE_MAX;
}

/* MNE's last step: a name starting with "MEG" not followed by a space gets every "MEG"
 * replaced by "MEG " (str.replace). "MEG" alone makes MNE fail (ch_name[3]: IndexError). */
static int meg_name(reader *r, char **out, const node *t, size_t ch) {
    size_t extra = 0, len = t->len;
    char *s;
    if (len >= 3 && !memcmp(t->text, "MEG", 3)) {
        if (len == 3)
            return cperm_fail(r->err, CPERM_EFORMAT, WHO ": %s: channel %zu is named \"MEG\", "
                              "which MNE 1.3 cannot read (IndexError in read_ch_adjacency)",
                              r->path, ch);
        if (t->text[3] != ' ')
            for (size_t i = 0; i + 3 <= len; i++)
                if (!memcmp(t->text + i, "MEG", 3)) { extra++; i += 2; }
    }
    s = malloc(len + extra + 1);
    if (!s) return oom(r);
    if (!extra) {
        memcpy(s, t->text, len);
        s[len] = '\0';
    } else {
        size_t o = 0;
        for (size_t i = 0; i < len;) {
            if (i + 3 <= len && !memcmp(t->text + i, "MEG", 3)) {
                memcpy(s + o, "MEG ", 4);
                o += 4;
                i += 3;
            } else {
                s[o++] = t->text[i++];
            }
        }
        s[o] = '\0';
    }
    *out = s;
    return 0;
}

/* The 128-byte MAT v5 header: refuse MAT v7.3 (HDF5) and anything that is not MAT v5 before
 * libmatio sees the file, so neither matio's v4 guesswork nor libhdf5 (fuzz/README.md, F2-F5)
 * runs on an untrusted file. */
static int check_header(const char *path, cperm_err *err) {
    unsigned char h[128];
    size_t got;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return cperm_fail(err, e == ENOENT ? CPERM_ENOTFOUND : CPERM_EIO, WHO ": %s: cannot "
                          "open: %s", path, strerror(e));
    }
    got = fread(h, 1, sizeof h, f);
    fclose(f);
    if (got < sizeof h || !((h[126] == 'I' && h[127] == 'M') || (h[126] == 'M' && h[127] == 'I')))
        return cperm_fail(err, CPERM_EFORMAT, WHO ": %s: not a MATLAB v5/v7 .mat file (no "
                          "128-byte MAT-file header)", path);
    unsigned version = h[126] == 'I' ? (unsigned)h[124] | ((unsigned)h[125] << 8)
                                     : ((unsigned)h[124] << 8) | h[125];
    if (version == 0x0200)
        return cperm_fail(err, CPERM_EUNSUPPORTED, WHO ": %s: a MATLAB v7.3 (HDF5) .mat file, "
                          "which MNE 1.3 (scipy.io.loadmat) cannot read either; save it with "
                          "save(..., '-v7')", path);
    if (version != 0x0100)
        return cperm_fail(err, CPERM_EFORMAT, WHO ": %s: MAT-file header version 0x%04X (MAT "
                          "v5/v7 files have 0x0100)", path, version);
    return 0;
}

int cperm_ch_adjacency_read(cperm_ch_names **names_out, cperm_graph **graph_out,
                            const char *path, cperm_err *err) {
    reader r = {0};
    mat_t *mat = NULL;
    matvar_t *nb = NULL;
    node_list labels = {0}, neigh = {0};
    size_t *row_end = NULL, *sorted = NULL, *tmp = NULL;
    int64_t *edges = NULL;
    cperm_ch_names *names = NULL;
    size_t n_elems, n_ch, n_edges = 0;
    node top;
    char where[96];
    int rc;

    if (names_out) *names_out = NULL;
    if (graph_out) *graph_out = NULL;
    if (!names_out || !graph_out) return cperm_fail(err, CPERM_EINVAL, WHO ": no output pointer");
    if (!path) return cperm_fail(err, CPERM_EINVAL, WHO ": no path");
    r.path = path;
    r.err = err;
    rc = check_header(path, err);
    if (rc) return rc;

    pthread_once(&matio_log_once, matio_log_install);
    matio_last[0] = '\0';
    mat = Mat_Open(path, MAT_ACC_RDONLY);
    if (!mat) {
        rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: libmatio cannot open it%s%s", path,
                        matio_last[0] ? ": " : "", matio_last);
        goto cleanup;
    }
    nb = Mat_VarRead(mat, "neighbours");
    if (!nb) {
        /* Mat_VarRead fails both for a missing variable and a corrupt one: tell them apart */
        matvar_t *info = Mat_VarReadInfo(mat, "neighbours");
        if (info) {
            Mat_VarFree(info);
            rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: variable 'neighbours' is corrupt%s%s",
                            path, matio_last[0] ? ": " : "", matio_last);
        } else {
            rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: no variable 'neighbours' (a FieldTrip "
                            "neighbours struct array with fields label and neighblabel)%s%s",
                            path, matio_last[0] ? ": " : "", matio_last);
        }
        goto cleanup;
    }
    if (nb->class_type != MAT_C_STRUCT) {
        rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: variable 'neighbours' is not a struct "
                        "array (matio class %d)", path, (int)nb->class_type);
        goto cleanup;
    }
    {
        unsigned nf = Mat_VarGetNumberOfFields(nb);
        char *const *fn = Mat_VarGetStructFieldnames(nb);
        int has_label = 0, has_neigh = 0;
        for (unsigned i = 0; fn && i < nf; i++) {
            if (fn[i] && !strcmp(fn[i], "label")) has_label = 1;
            if (fn[i] && !strcmp(fn[i], "neighblabel")) has_neigh = 1;
        }
        if (!has_label || !has_neigh) {
            rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: struct 'neighbours' has no field '%s'",
                            path, has_label ? "neighblabel" : "label");
            goto cleanup;
        }
    }
    n_elems = var_numel(nb);
    if (n_elems == SIZE_MAX || n_elems > MAX_CHANNELS) {
        rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: struct 'neighbours' has too many elements",
                        path);
        goto cleanup;
    }

    /* ch_names = _recursive_flatten(nb['label'], str) */
    rc = make_view(&r, &top, NULL, nb, "label");
    if (rc) goto cleanup;
    rc = recursive_flatten(&r, &labels, &top, "field label");
    if (rc) goto cleanup;
    n_ch = labels.n;
    if (n_ch == 0) {
        rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: no channels (MNE 1.3: \"No appropriate "
                        "channels found\")", path);
        goto cleanup;
    }
    if (n_ch > MAX_CHANNELS) {
        rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: %zu channels is too many", path, n_ch);
        goto cleanup;
    }

    /* neighbors = [_recursive_flatten(c, str) for c in nb['neighblabel'].flatten()]: in
     * numpy's C order over the struct's dims, as the labels were */
    row_end = cperm_calloc(n_elems + 1, sizeof *row_end);
    if (!row_end) { rc = oom(&r); goto cleanup; }
    {
        size_t rank = (size_t)nb->rank, idx[32] = {0};
        if (rank > 32) {
            rc = cperm_fail(err, CPERM_EUNSUPPORTED, WHO ": %s: struct of %zu dimensions", path, rank);
            goto cleanup;
        }
        for (size_t k = 0; k < n_elems; k++) {
            size_t lin = 0, stride = 1;
            node c;
            for (size_t d = 0; d < rank; d++) {
                lin += idx[d] * stride;
                stride *= nb->dims[d];
            }
            snprintf(where, sizeof where, "field neighblabel of element %zu", k + 1);
            const matvar_t *f = Mat_VarGetStructFieldByName(nb, "neighblabel", lin);
            if (!f) {
                rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: %s is missing (a truncated or "
                                "corrupt file)", path, where);
                goto cleanup;
            }
            rc = make_view(&r, &c, f, NULL, NULL);
            if (rc) goto cleanup;
            rc = recursive_flatten(&r, &neigh, &c, where);
            if (rc) goto cleanup;
            row_end[k] = neigh.n;
            /* next index in C order: the last axis fastest */
            for (size_t d = rank; d-- > 0;) {
                if (++idx[d] < nb->dims[d]) break;
                idx[d] = 0;
            }
        }
    }
    if (n_elems != n_ch) {
        rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: %zu channel labels but %zu neighbour "
                        "lists (MNE 1.3: AssertionError); every label must be one text",
                        path, n_ch, n_elems);
        goto cleanup;
    }

    /* every neighbour must be a channel; ch_names.index() is the first of that name */
    sorted = cperm_malloc(n_ch, sizeof *sorted);
    tmp = cperm_malloc(n_ch, sizeof *tmp);
    edges = cperm_malloc(neigh.n ? 2 * neigh.n : 1, sizeof *edges);
    if (!sorted || !tmp || !edges || neigh.n > SIZE_MAX / 4) { rc = oom(&r); goto cleanup; }
    for (size_t i = 0; i < n_ch; i++) sorted[i] = i;
    sort_by_name(sorted, tmp, n_ch, labels.v);
    for (size_t i = 0, k = 0; i < n_ch; i++) {
        for (; k < row_end[i]; k++) {
            size_t j = find_name(sorted, n_ch, labels.v, &neigh.v[k]);
            if (j == SIZE_MAX) {
                rc = cperm_fail(err, CPERM_EFORMAT, WHO ": %s: channel %zu (\"%.*s\") lists "
                                "neighbour \"%.*s\", which is not a channel label (MNE 1.3: "
                                "\"Some of your neighbors are not present in the list of "
                                "channel names\")", path, i + 1, (int)(labels.v[i].len > 64 ? 64 : labels.v[i].len),
                                labels.v[i].text, (int)(neigh.v[k].len > 64 ? 64 : neigh.v[k].len),
                                neigh.v[k].text);
                goto cleanup;
            }
            /* MNE's matrix: row i, column j; its diagonal (np.eye) is the graph's implicit
             * self-neighbourhood, and clustering reads it as undirected (A + A.T) */
            edges[2 * n_edges] = (int64_t)i;
            edges[2 * n_edges + 1] = (int64_t)j;
            n_edges++;
        }
    }

    names = names_alloc(n_ch);
    if (!names) { rc = oom(&r); goto cleanup; }
    for (size_t i = 0; i < n_ch; i++) {
        rc = meg_name(&r, &names->names[i], &labels.v[i], i + 1);
        if (rc) goto cleanup;
    }
    rc = cperm_graph_from_edges(graph_out, n_ch, edges, n_edges, err);
    if (rc) goto cleanup;
    *names_out = names;
    names = NULL;

cleanup:
    cperm_ch_names_free(names);
    free(edges);
    free(tmp);
    free(sorted);
    free(row_end);
    free(labels.v);
    free(neigh.v);
    for (size_t i = 0; i < r.n_texts; i++) free(r.texts[i]);
    free(r.texts);
    for (size_t i = 0; i < r.n_shapes; i++) free(r.shapes[i]);
    free(r.shapes);
    free(r.cp);
    if (nb) Mat_VarFree(nb);
    if (mat) Mat_Close(mat);
    return rc;
}

int cperm_ch_adjacency_pick(cperm_ch_names **names_out, cperm_graph **graph_out,
                            const cperm_ch_names *names, const cperm_graph *graph,
                            const int64_t *picks, size_t n_picks, cperm_err *err) {
    size_t n, *pos_start = NULL, *pos = NULL, *fill = NULL, n_edges = 0, cap = 0;
    size_t *ch = NULL;
    int64_t *edges = NULL;
    cperm_ch_names *out = NULL;
    int rc = 0;

    if (names_out) *names_out = NULL;
    if (graph_out) *graph_out = NULL;
    if (!names_out || !graph_out) return cperm_fail(err, CPERM_EINVAL, WHO ": no output pointer");
    if (!names || !graph || names->n_channels != graph->n_vertices)
        return cperm_fail(err, CPERM_EINVAL, WHO ": picks: the names and graph of one "
                          "cperm_ch_adjacency_read are needed");
    n = names->n_channels;
    if (!picks && n_picks == 0) n_picks = n; /* picks=None: all channels */
    if (n_picks == 0)
        return cperm_fail(err, CPERM_EINVAL, WHO ": picks: no channels picked (MNE 1.3: \"No "
                          "appropriate channels found for the given picks\")");
    if (n_picks > MAX_CHANNELS)
        return cperm_fail(err, CPERM_EINVAL, WHO ": picks: %zu picks is too many", n_picks);
    ch = cperm_malloc(n_picks, sizeof *ch);
    pos_start = cperm_calloc(n + 1, sizeof *pos_start);
    fill = cperm_calloc(n + 1, sizeof *fill);
    pos = cperm_malloc(n_picks, sizeof *pos);
    if (!ch || !pos_start || !fill || !pos) { rc = CPERM_ENOMEM; goto nomem; }
    for (size_t i = 0; i < n_picks; i++) {
        int64_t p = picks ? picks[i] : (int64_t)i;
        if (p < -(int64_t)n || p >= (int64_t)n) {
            rc = cperm_fail(err, CPERM_EINVAL, WHO ": picks: pick %zu is %lld; picks must be "
                            ">= %lld and < %zu (the number of channels)", i, (long long)p,
                            -(long long)n, n);
            goto cleanup;
        }
        ch[i] = (size_t)(p < 0 ? p + (int64_t)n : p); /* picks %= n_chan */
        pos_start[ch[i] + 1]++;
    }
    for (size_t c = 0; c < n; c++) pos_start[c + 1] += pos_start[c];
    for (size_t i = 0; i < n_picks; i++) pos[pos_start[ch[i]] + fill[ch[i]]++] = i;

    /* adjacency[picks][:, picks]: entry (i, j) is A[ch[i], ch[j]]; off the diagonal that is
     * an edge of the graph, or the same channel picked twice (A's diagonal) */
    for (int pass = 0; pass < 2; pass++) {
        n_edges = 0;
        for (size_t i = 0; i < n_picks; i++) {
            size_t c = ch[i];
            for (size_t q = pos_start[c]; q < pos_start[c + 1]; q++)
                if (pos[q] != i) {
                    if (pass) { edges[2 * n_edges] = (int64_t)i; edges[2 * n_edges + 1] = (int64_t)pos[q]; }
                    n_edges++;
                }
            for (size_t e = graph->indptr[c]; e < graph->indptr[c + 1]; e++) {
                size_t d = (size_t)graph->indices[e];
                for (size_t q = pos_start[d]; q < pos_start[d + 1]; q++) {
                    if (pass) { edges[2 * n_edges] = (int64_t)i; edges[2 * n_edges + 1] = (int64_t)pos[q]; }
                    n_edges++;
                }
            }
        }
        if (!pass) {
            cap = n_edges;
            if (cap > SIZE_MAX / 4) { rc = CPERM_ENOMEM; goto nomem; }
            edges = cperm_malloc(cap ? 2 * cap : 1, sizeof *edges);
            if (!edges) { rc = CPERM_ENOMEM; goto nomem; }
        }
    }
    out = names_alloc(n_picks);
    if (!out) { rc = CPERM_ENOMEM; goto nomem; }
    for (size_t i = 0; i < n_picks; i++) {
        out->names[i] = strdup(names->names[ch[i]]);
        if (!out->names[i]) { rc = CPERM_ENOMEM; goto nomem; }
    }
    rc = cperm_graph_from_edges(graph_out, n_picks, edges, n_edges, err);
    if (rc) goto cleanup;
    *names_out = out;
    out = NULL;
    goto cleanup;
nomem:
    rc = cperm_fail(err, CPERM_ENOMEM, WHO ": picks: out of memory for %zu picks", n_picks);
cleanup:
    cperm_ch_names_free(out);
    free(edges);
    free(ch);
    free(pos_start);
    free(fill);
    free(pos);
    return rc;
}
