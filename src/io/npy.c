/* npy.c - numpy's .npy array format (np.save, format versions 1.0, 2.0, 3.0): the header's
 * dict literal, the accepted dtypes, and the data converted to float64 in C order
 * (cperm_npy). Every size in the file is checked against the bytes actually there. */
#include "common_internal.h"
#include "fileio_internal.h"

#include <stdio.h>

/* Largest .npy file we read into memory (16 GiB, or what size_t can address). */
#define NPY_MAX_FILE_BYTES (SIZE_MAX > ((uint64_t)1 << 34) ? (size_t)((uint64_t)1 << 34) : SIZE_MAX)
/* "\x93NUMPY", major, minor: the fixed prefix before the header length. */
#define NPY_PREFIX_LEN 8

void cperm_npy_free(cperm_npy *arr) {
    if (!arr) return;
    free(arr->data);
    free(arr);
}

/* ------------------------------------------------------------ dtypes */

enum npy_kind { NPY_FLOAT, NPY_INT, NPY_UINT, NPY_BOOL };

typedef struct npy_dtype {
    const char *descr;
    enum npy_kind kind;
    size_t itemsize;
    int big_endian;
} npy_dtype;

/* What np.save writes for the dtypes we convert ('|' for single bytes, no '=' since numpy
 * always writes the explicit byte order). */
static const npy_dtype npy_dtypes[] = {
    {"<f8", NPY_FLOAT, 8, 0}, {">f8", NPY_FLOAT, 8, 1}, {"<f4", NPY_FLOAT, 4, 0},
    {">f4", NPY_FLOAT, 4, 1}, {"<i4", NPY_INT, 4, 0},   {">i4", NPY_INT, 4, 1},
    {"<i8", NPY_INT, 8, 0},   {">i8", NPY_INT, 8, 1},   {"|u1", NPY_UINT, 1, 0},
    {"|b1", NPY_BOOL, 1, 0},
};

/* An item's bits as an unsigned integer of its size, from its byte order. */
static uint64_t load_bits(const unsigned char *p, size_t itemsize, int big_endian) {
    uint64_t u = 0;
    for (size_t i = 0; i < itemsize; i++) {
        size_t k = big_endian ? i : itemsize - 1 - i;
        u = (u << 8) | p[k];
    }
    return u;
}

/* One item as numpy's astype(np.float64): floats exactly, integers rounded to nearest. */
static double load_item(const unsigned char *p, const npy_dtype *dt) {
    uint64_t u = load_bits(p, dt->itemsize, dt->big_endian);
    switch (dt->kind) {
    case NPY_FLOAT:
        if (dt->itemsize == 4) {
            uint32_t u32 = (uint32_t)u;
            float f;
            memcpy(&f, &u32, sizeof f);
            return (double)f;
        } else {
            double d;
            memcpy(&d, &u, sizeof d);
            return d;
        }
    case NPY_INT:
        if (dt->itemsize == 4) return (double)(int32_t)(uint32_t)u;
        return (double)(int64_t)u;
    case NPY_UINT:
        return (double)u;
    case NPY_BOOL:
        return u ? 1.0 : 0.0;
    }
    return 0.0;
}

/* ------------------------------------------------------------ the header's dict literal */

/* The subset of Python literal syntax np.save writes: {'descr': STR, 'fortran_order': BOOL,
 * 'shape': (INT, ...), } with any spacing, keys in any order, each exactly once. */
typedef struct header_cursor {
    const char *p, *end;
} header_cursor;

static void skip_space(header_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(header_cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string without escapes into buf (cap bytes with the NUL); 0 if not one. */
static int parse_string(header_cursor *c, char *buf, size_t cap) {
    char q;
    size_t n = 0;
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    q = *c->p++;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap) return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    buf[n] = '\0';
    return 1;
}

static int parse_word(header_cursor *c, const char *word) {
    size_t n = strlen(word);
    skip_space(c);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* A non-negative decimal integer into *v; 0 if not one, -1 if it overflows size_t. */
static int parse_size(header_cursor *c, size_t *v) {
    size_t x = 0;
    int digits = 0;
    skip_space(c);
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        size_t d = (size_t)(*c->p - '0');
        if (x > (SIZE_MAX - d) / 10) return -1;
        x = x * 10 + d;
        c->p++;
        digits++;
    }
    *v = x;
    return digits > 0;
}

/* A text dtype: bytes '|S<n>' (or 'S<n>') or UTF-32 '<U<n>' / '>U<n>', n characters. */
typedef struct npy_text {
    size_t chars;   /* n */
    size_t width;   /* bytes per character: 1 or 4 */
    int big_endian; /* '>U' */
} npy_text;

static int text_dtype(const char *descr, npy_text *t) {
    const char *p = descr;
    t->big_endian = 0;
    if (*p == '|' || *p == '<' || *p == '>') t->big_endian = *p++ == '>';
    if (*p == 'S') t->width = 1;
    else if (*p == 'U' && descr[0] != '|') t->width = 4;
    else return 0;
    p++;
    size_t n = 0;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') {
        if (n > 1000000) return 0;
        n = n * 10 + (size_t)(*p++ - '0');
    }
    t->chars = n;
    return *p == '\0';
}

/* Parses the header text [text, text + len) into *arr's ndim, shape, dtype and fortran
 * flag, and *dt; with txt non-NULL a text dtype is accepted too (*dt NULL, *txt set).
 * Errors name the file and what is wrong. */
static int parse_header(cperm_npy *arr, const npy_dtype **dt, const char *text, size_t len,
                        const char *name, npy_text *txt, cperm_err *err) {
    header_cursor c = {text, text + len};
    int have_descr = 0, have_fortran = 0, have_shape = 0;
    char key[32], descr[sizeof arr->dtype + 24];

    if (!eat(&c, '{'))
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header is not numpy's dict literal "
                          "(no '{')", name);
    for (;;) {
        if (eat(&c, '}')) break;
        if (!parse_string(&c, key, sizeof key) || !eat(&c, ':'))
            return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header is not numpy's dict "
                              "literal (a key at byte %zu)", name, (size_t)(c.p - text));
        if (strcmp(key, "descr") == 0 && !have_descr) {
            skip_space(&c);
            if (c.p < c.end && (*c.p == '[' || *c.p == '{'))
                return cperm_fail(err, CPERM_EUNSUPPORTED, "npy: %s: structured dtype (a list "
                                  "of fields) is not supported: a plain numeric array is needed",
                                  name);
            if (!parse_string(&c, descr, sizeof descr))
                return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header's 'descr' is not a "
                                  "string", name);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_fortran) {
            if (parse_word(&c, "True")) arr->fortran_order = 1;
            else if (parse_word(&c, "False")) arr->fortran_order = 0;
            else
                return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header's 'fortran_order' is "
                                  "not True or False", name);
            have_fortran = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (!eat(&c, '('))
                return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header's 'shape' is not a "
                                  "tuple", name);
            arr->ndim = 0;
            while (!eat(&c, ')')) {
                size_t v;
                int got = parse_size(&c, &v);
                if (got < 0)
                    return cperm_fail(err, CPERM_EUNSUPPORTED, "npy: %s: shape dimension %zu "
                                      "overflows", name, arr->ndim);
                if (!got)
                    return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header's 'shape' is not "
                                      "a tuple of non-negative integers", name);
                if (arr->ndim == CPERM_NPY_MAX_DIMS)
                    return cperm_fail(err, CPERM_EUNSUPPORTED, "npy: %s: more than %d "
                                      "dimensions", name, CPERM_NPY_MAX_DIMS);
                arr->shape[arr->ndim++] = v;
                if (!eat(&c, ',')) {
                    /* (n) without a comma is an int in Python, not a tuple */
                    if (arr->ndim == 1 || !eat(&c, ')'))
                        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header's 'shape' "
                                          "is not a tuple", name);
                    break;
                }
            }
            have_shape = 1;
        } else {
            return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header has key '%s' %s (numpy's "
                              "are 'descr', 'fortran_order', 'shape', once each)", name, key,
                              (have_descr && !strcmp(key, "descr")) ||
                                      (have_fortran && !strcmp(key, "fortran_order")) ||
                                      (have_shape && !strcmp(key, "shape"))
                                  ? "twice"
                                  : "unknown");
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}'))
                return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header is not numpy's dict "
                                  "literal (no ',' or '}' at byte %zu)", name,
                                  (size_t)(c.p - text));
            break;
        }
    }
    skip_space(&c);
    if (c.p != c.end)
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header has text after its dict "
                          "(byte %zu)", name, (size_t)(c.p - text));
    if (!have_descr || !have_fortran || !have_shape)
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the header lacks '%s'", name,
                          !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
    *dt = NULL;
    for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
        if (strcmp(descr, npy_dtypes[i].descr) == 0) *dt = &npy_dtypes[i];
    if (!*dt && txt && text_dtype(descr, txt)) {
        memcpy(arr->dtype, descr, strlen(descr) + 1);
        return CPERM_OK;
    }
    if (!*dt)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "npy: %s: dtype '%s' is not supported "
                          "(accepted: <f8 >f8 <f4 >f4 <i4 >i4 <i8 >i8 |u1 |b1)", name, descr);
    memcpy(arr->dtype, descr, strlen(descr) + 1);
    return CPERM_OK;
}

/* ------------------------------------------------------------ reading */

/* Fortran-order items (the first index fastest) into C order: walk the source in order with
 * an odometer over the shape and keep the destination offset from the C strides. */
static void transpose_fortran(double *dst, const unsigned char *src, const cperm_npy *arr,
                              const npy_dtype *dt) {
    size_t idx[CPERM_NPY_MAX_DIMS] = {0}, stride[CPERM_NPY_MAX_DIMS], off = 0;
    size_t s = 1;
    for (size_t d = arr->ndim; d-- > 0;) {
        stride[d] = s;
        s *= arr->shape[d];
    }
    for (size_t k = 0; k < arr->size; k++) {
        dst[off] = load_item(src + k * dt->itemsize, dt);
        for (size_t d = 0; d < arr->ndim; d++) {
            if (++idx[d] < arr->shape[d]) {
                off += stride[d];
                break;
            }
            off -= (arr->shape[d] - 1) * stride[d];
            idx[d] = 0;
        }
    }
}

/* The header's start and length after the magic and version; errors name the file. */
static int header_bounds(const unsigned char *p, size_t size, size_t *hstart_out,
                         size_t *hlen_out, const char *name, cperm_err *err) {
    size_t hlen, hstart;
    if (size < 6 || memcmp(p, "\x93NUMPY", 6) != 0)
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: not a .npy file (bad magic: the file "
                          "must start with \\x93NUMPY)", name);
    if (size < NPY_PREFIX_LEN + 2)
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: truncated header: %zu bytes", name, size);
    if (p[6] == 1 && p[7] == 0) {
        hlen = (size_t)p[8] | ((size_t)p[9] << 8);
        hstart = NPY_PREFIX_LEN + 2;
    } else if ((p[6] == 2 || p[6] == 3) && p[7] == 0) {
        if (size < NPY_PREFIX_LEN + 4)
            return cperm_fail(err, CPERM_EFORMAT, "npy: %s: truncated header: %zu bytes", name,
                              size);
        hlen = (size_t)((uint32_t)p[8] | ((uint32_t)p[9] << 8) | ((uint32_t)p[10] << 16) |
                        ((uint32_t)p[11] << 24));
        hstart = NPY_PREFIX_LEN + 4;
    } else {
        return cperm_fail(err, CPERM_EUNSUPPORTED, "npy: %s: format version %u.%u is not "
                          "supported (1.0, 2.0, 3.0 are)", name, (unsigned)p[6], (unsigned)p[7]);
    }
    if (hlen > size - hstart)
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: truncated header: %zu bytes, the "
                          "header says %zu header bytes after byte %zu", name, size, hlen, hstart);

    *hstart_out = hstart;
    *hlen_out = hlen;
    return CPERM_OK;
}

int cperm_npy_read_mem(cperm_npy **out, const void *data, size_t size, const char *name,
                       cperm_err *err) {
    const unsigned char *p = data;
    size_t hlen, hstart, items, need;
    const npy_dtype *dt = NULL;
    cperm_npy *arr = NULL;
    int rc = CPERM_OK;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "npy: no output pointer");
    *out = NULL;
    if (!name) name = "(memory)";
    if (!data && size) return cperm_fail(err, CPERM_EINVAL, "npy: %s: no data", name);
    rc = header_bounds(p, size, &hstart, &hlen, name, err);
    if (rc) return rc;

    arr = calloc(1, sizeof *arr);
    if (!arr) return cperm_fail(err, CPERM_ENOMEM, "npy: %s: out of memory", name);
    rc = parse_header(arr, &dt, (const char *)p + hstart, hlen, name, NULL, err);
    if (rc) goto cleanup;

    items = 1;
    for (size_t d = 0; d < arr->ndim; d++) {
        if (arr->shape[d] != 0 && items > SIZE_MAX / arr->shape[d]) {
            rc = cperm_fail(err, CPERM_EUNSUPPORTED, "npy: %s: shape overflows: the product of "
                            "its %zu dimensions does not fit in size_t", name, arr->ndim);
            goto cleanup;
        }
        items *= arr->shape[d];
    }
    if (items > SIZE_MAX / dt->itemsize || items > SIZE_MAX / sizeof(double)) {
        rc = cperm_fail(err, CPERM_EUNSUPPORTED, "npy: %s: shape overflows: %zu items of %zu "
                        "bytes", name, items, dt->itemsize);
        goto cleanup;
    }
    need = items * dt->itemsize;
    if (size - hstart - hlen != need) {
        rc = cperm_fail(err, CPERM_EFORMAT, "npy: %s: %s data: %zu bytes after the header, the "
                        "shape and dtype '%s' need %zu", name,
                        size - hstart - hlen < need ? "truncated" : "too long",
                        size - hstart - hlen, arr->dtype, need);
        goto cleanup;
    }
    arr->size = items;
    arr->data = malloc(items ? items * sizeof(double) : 1);
    if (!arr->data) {
        rc = cperm_fail(err, CPERM_ENOMEM, "npy: %s: cannot allocate %zu values", name, items);
        goto cleanup;
    }
    if (arr->fortran_order && arr->ndim > 1)
        transpose_fortran(arr->data, p + hstart + hlen, arr, dt);
    else
        for (size_t k = 0; k < items; k++)
            arr->data[k] = load_item(p + hstart + hlen + k * dt->itemsize, dt);
    *out = arr;
    arr = NULL;
cleanup:
    cperm_npy_free(arr);
    return rc;
}

int cperm_npy_read(cperm_npy **out, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    int rc;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "npy: no output pointer");
    *out = NULL;
    if (!path) return cperm_fail(err, CPERM_EINVAL, "npy: no path");
    rc = cperm_read_file(&buf, &size, path, NPY_MAX_FILE_BYTES, "npy", err);
    if (rc) return rc;
    rc = cperm_npy_read_mem(out, buf, size, path, err);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------ text scalars */

int cperm_npy_read_text_mem(char *buf, size_t cap, const void *data, size_t size,
                            const char *name, cperm_err *err) {
    const unsigned char *p = data;
    size_t hstart = 0, hlen = 0;
    const npy_dtype *dt = NULL;
    npy_text txt = {0};
    cperm_npy arr;
    if (!name) name = "(memory)";
    if (!buf || !cap || (!data && size))
        return cperm_fail(err, CPERM_EINVAL, "npy: %s: no buffer or data", name);
    buf[0] = '\0';
    memset(&arr, 0, sizeof arr);
    int rc = header_bounds(p, size, &hstart, &hlen, name, err);
    if (!rc) rc = parse_header(&arr, &dt, (const char *)p + hstart, hlen, name, &txt, err);
    if (rc) return rc;
    if (dt || arr.ndim != 0)
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: expected one text value (a 0-d array "
                          "of dtype S or U), got dtype '%s' with %zu dimensions", name,
                          arr.dtype, arr.ndim);
    const size_t bytes = txt.chars * txt.width, have = size - hstart - hlen;
    if (have != bytes)
        return cperm_fail(err, CPERM_EFORMAT, "npy: %s: %zu data bytes, dtype '%s' needs %zu",
                          name, have, arr.dtype, bytes);
    const unsigned char *q = p + hstart + hlen;
    size_t n = 0;
    for (size_t i = 0; i < txt.chars; i++) {
        uint32_t c = txt.width == 1 ? q[i]
                                    : (uint32_t)load_bits(q + 4 * i, 4, txt.big_endian);
        if (c == 0) break; /* numpy pads with NULs */
        if (c > 0x7e || c < 0x20)
            return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the text holds a character other "
                              "than printable ASCII (code %u at %zu)", name, (unsigned)c, i);
        if (n + 1 >= cap)
            return cperm_fail(err, CPERM_EFORMAT, "npy: %s: the text is longer than %zu "
                              "characters", name, cap - 1);
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return CPERM_OK;
}

/* ------------------------------------------------------------ writing */

int cperm_npy_format(unsigned char **out, size_t *len, const double *data, const size_t *shape,
                     size_t ndim, const char *dtype, cperm_err *err) {
    if (!out || !len) return cperm_fail(err, CPERM_EINVAL, "npy: no output pointer");
    *out = NULL;
    *len = 0;
    const int f8 = dtype && !strcmp(dtype, "<f8"), i4 = dtype && !strcmp(dtype, "<i4");
    if (!f8 && !i4)
        return cperm_fail(err, CPERM_EINVAL, "npy: writing dtype '%s' is not supported (<f8, "
                          "<i4)", dtype ? dtype : "(null)");
    if (ndim > CPERM_NPY_MAX_DIMS || (ndim && !shape))
        return cperm_fail(err, CPERM_EINVAL, "npy: %zu dimensions (at most %d)", ndim,
                          CPERM_NPY_MAX_DIMS);
    char head[24 + 24 * CPERM_NPY_MAX_DIMS + 64];
    size_t items = 1, h = 0;
    h += (size_t)snprintf(head + h, sizeof head - h, "{'descr': '%s', 'fortran_order': False, "
                          "'shape': (", dtype);
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] && items > SIZE_MAX / 8 / shape[d])
            return cperm_fail(err, CPERM_EINVAL, "npy: shape too large");
        items *= shape[d];
        h += (size_t)snprintf(head + h, sizeof head - h, "%zu%s", shape[d],
                              ndim == 1 || d + 1 < ndim ? ", " : "");
    }
    if (ndim == 1) h -= 1; /* "(n,)" as numpy writes it */
    h += (size_t)snprintf(head + h, sizeof head - h, "), }");
    if (items && !data) return cperm_fail(err, CPERM_EINVAL, "npy: no data");
    /* numpy (1.24) leaves room for shape[0] to grow to 21 digits, then pads with spaces and
     * a newline so the data start on a 64-byte boundary (format 1.0: 10 bytes before it) */
    size_t growth = 0;
    if (ndim > 0) {
        char digits[24];
        growth = 21 - (size_t)snprintf(digits, sizeof digits, "%zu", shape[0]);
    }
    const size_t total_head = (10 + h + growth + 1 + 63) / 64 * 64, itemsize = f8 ? 8 : 4;
    const size_t n = total_head + items * itemsize;
    unsigned char *b = malloc(n);
    if (!b) return cperm_fail(err, CPERM_ENOMEM, "npy: cannot allocate %zu bytes", n);
    const size_t hl = total_head - 10;
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hl & 0xff);
    b[9] = (unsigned char)(hl >> 8);
    memcpy(b + 10, head, h);
    memset(b + 10 + h, ' ', hl - h - 1);
    b[total_head - 1] = '\n';
    for (size_t k = 0; k < items; k++) {
        uint64_t u;
        if (f8) {
            memcpy(&u, &data[k], 8);
        } else {
            const double v = data[k];
            if (!(v >= INT32_MIN && v <= INT32_MAX) || v != (double)(int32_t)v) {
                free(b);
                return cperm_fail(err, CPERM_EINVAL, "npy: value %g at %zu is not an int32", v, k);
            }
            u = (uint32_t)(int32_t)v;
        }
        for (size_t i = 0; i < itemsize; i++) b[total_head + k * itemsize + i] = (unsigned char)(u >> (8 * i));
    }
    *out = b;
    *len = n;
    return CPERM_OK;
}
