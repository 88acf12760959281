/* ico.c - synthetic icosahedral two-hemisphere surface source spaces (fsaverage-like ico-N). */
#include "common_internal.h"

#include <math.h>
#include <stdlib.h>

/* MNE's ico-0 (mne/data/icos.fif.gz, surface id 9000): 4-digit coordinates stored as
 * float32, and its triangle order. Subdividing these the way MNE's stored ico-N surfaces
 * were made reproduces their vertex and triangle numbering. */
static const float ico0_rr[12][3] = {
    {0.0f, 0.0f, 1.0f},           {0.8944f, 0.0f, 0.4472f},     {0.2764f, 0.8507f, 0.4472f},
    {-0.7236f, 0.5257f, 0.4472f}, {-0.7236f, -0.5257f, 0.4472f}, {0.2764f, -0.8507f, 0.4472f},
    {0.7236f, -0.5257f, -0.4472f}, {0.7236f, 0.5257f, -0.4472f}, {-0.2764f, 0.8507f, -0.4472f},
    {-0.8944f, 0.0f, -0.4472f},   {-0.2764f, -0.8507f, -0.4472f}, {0.0f, 0.0f, -1.0f}};
static const int32_t ico0_tris[20][3] = {
    {0, 3, 4},  {0, 4, 5},  {0, 5, 1},  {0, 1, 2},   {0, 2, 3},   {3, 2, 8},   {3, 8, 9},
    {3, 9, 4},  {4, 9, 10}, {4, 10, 5}, {5, 10, 6},  {5, 6, 1},   {1, 6, 7},   {1, 7, 2},
    {2, 7, 8},  {8, 11, 9}, {9, 11, 10}, {10, 11, 6}, {6, 11, 7}, {7, 11, 8}};

#define ICO_MAX_GRADE 7

/* An open-addressing map from an undirected edge to its midpoint vertex. */
typedef struct edge_map {
    size_t cap; /* power of two */
    uint64_t *keys; /* 0 = empty; otherwise ((lo+1) << 32) | (hi+1) */
    int32_t *vals;
} edge_map;

static uint64_t edge_key(int32_t a, int32_t b) {
    uint32_t lo = (uint32_t)(a < b ? a : b), hi = (uint32_t)(a < b ? b : a);
    return ((uint64_t)(lo + 1u) << 32) | (uint64_t)(hi + 1u);
}

/* Slot of `key`: either holding it or the empty slot where it belongs. */
static size_t edge_slot(const edge_map *m, uint64_t key) {
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 17) & (m->cap - 1);
    while (m->keys[i] != 0 && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    return i;
}

/* The midpoint of edge (a, b): looked up, or appended to rr (normalised to the unit
 * sphere) as vertex *np. */
static int32_t midpoint(edge_map *m, double *rr, size_t *np, int32_t a, int32_t b) {
    uint64_t key = edge_key(a, b);
    size_t i = edge_slot(m, key);
    if (m->keys[i] != 0) return m->vals[i];
    double c[3], norm = 0.0;
    for (size_t k = 0; k < 3; k++) {
        c[k] = rr[3 * (size_t)a + k] + rr[3 * (size_t)b + k];
        norm += c[k] * c[k];
    }
    norm = sqrt(norm);
    int32_t idx = (int32_t)*np;
    for (size_t k = 0; k < 3; k++) rr[3 * *np + k] = c[k] / norm;
    (*np)++;
    m->keys[i] = key;
    m->vals[i] = idx;
    return idx;
}

/* Unit-sphere ico-`grade` vertices (np x 3) and triangles (ntri x 3). Each level keeps the
 * previous vertices and appends the edge midpoints in triangle order (per triangle a-c,
 * b-c, a-b); triangle (a,b,c) becomes [a,ab,ac], [ac,bc,c], [ab,bc,ac], [ab,b,bc]. */
static int tessellate(double **rr_out, int32_t **tris_out, size_t *np_out, size_t *ntri_out,
                      int grade, cperm_err *err) {
    size_t np_final = 12, ntri_final = 20;
    for (int g = 0; g < grade; g++) {
        np_final += ntri_final * 3 / 2;
        ntri_final *= 4;
    }
    double *rr = cperm_malloc(np_final * 3, sizeof *rr);
    int32_t *tris = cperm_malloc(ntri_final * 3, sizeof *tris);
    int32_t *next = cperm_malloc(ntri_final * 3, sizeof *next);
    edge_map m = {0, NULL, NULL};
    int rc = CPERM_OK;
    if (!rr || !tris || !next) {
        rc = cperm_fail(err, CPERM_ENOMEM, "ico: out of memory for grade %d", grade);
        goto cleanup;
    }
    for (size_t i = 0; i < 12; i++)
        for (size_t k = 0; k < 3; k++) rr[3 * i + k] = (double)ico0_rr[i][k];
    for (size_t i = 0; i < 20; i++)
        for (size_t k = 0; k < 3; k++) tris[3 * i + k] = ico0_tris[i][k];
    size_t np = 12, ntri = 20;
    for (int g = 0; g < grade; g++) {
        m.cap = 1;
        while (m.cap < ntri * 4) m.cap <<= 1; /* ntri * 3 / 2 edges, load < 0.4 */
        free(m.keys);
        free(m.vals);
        m.keys = cperm_calloc(m.cap, sizeof *m.keys);
        m.vals = cperm_malloc(m.cap, sizeof *m.vals);
        if (!m.keys || !m.vals) {
            rc = cperm_fail(err, CPERM_ENOMEM, "ico: out of memory for grade %d", grade);
            goto cleanup;
        }
        for (size_t t = 0; t < ntri; t++) {
            int32_t a = tris[3 * t], b = tris[3 * t + 1], c = tris[3 * t + 2];
            int32_t ac = midpoint(&m, rr, &np, a, c);
            int32_t bc = midpoint(&m, rr, &np, b, c);
            int32_t ab = midpoint(&m, rr, &np, a, b);
            const int32_t kids[4][3] = {{a, ab, ac}, {ac, bc, c}, {ab, bc, ac}, {ab, b, bc}};
            for (size_t j = 0; j < 4; j++)
                for (size_t k = 0; k < 3; k++) next[3 * (4 * t + j) + k] = kids[j][k];
        }
        ntri *= 4;
        int32_t *tmp = tris;
        tris = next;
        next = tmp;
    }
    *rr_out = rr;
    *tris_out = tris;
    *np_out = np;
    *ntri_out = ntri;
    rr = NULL;
    tris = NULL;

cleanup:
    free(rr);
    free(tris);
    free(next);
    free(m.keys);
    free(m.vals);
    return rc;
}

int cperm_src_create_ico(cperm_srcspace **out, int grade, double radius_m, cperm_err *err) {
    double *unit = NULL;
    int32_t *tris = NULL;
    size_t np = 0, ntri = 0;
    cperm_srcspace *src = NULL;
    int rc;

    if (!out) return cperm_fail(err, CPERM_EINVAL, "ico: NULL output");
    *out = NULL;
    if (grade < 0 || grade > ICO_MAX_GRADE)
        return cperm_fail(err, CPERM_EINVAL, "ico: grade %d outside 0..%d", grade,
                          ICO_MAX_GRADE);
    if (!(radius_m > 0) || !isfinite(radius_m) || radius_m > 1e3)
        return cperm_fail(err, CPERM_EINVAL, "ico: radius %g m is not a positive size",
                          radius_m);
    rc = tessellate(&unit, &tris, &np, &ntri, grade, err);
    if (rc) return rc;

    src = calloc(1, sizeof *src);
    if (!src || !(src->hemis = calloc(2, sizeof *src->hemis))) {
        rc = cperm_fail(err, CPERM_ENOMEM, "ico: out of memory");
        goto cleanup;
    }
    src->n_hemis = 2;
    for (size_t h = 0; h < 2; h++) {
        cperm_src_hemi *s = &src->hemis[h];
        /* Hemispheres side by side with a gap of 0.2 radius, lh at -x. */
        const double cx = (h == 0 ? -1.0 : 1.0) * 1.1 * radius_m;
        s->type = CPERM_SRC_SURFACE;
        s->id = h == 0 ? 101 : 102;
        s->coord_frame = 5; /* FIFFV_COORD_MRI */
        s->np = np;
        s->ntri = ntri;
        s->nuse = np;
        s->nuse_tri = ntri;
        s->rr = cperm_malloc(np * 3, sizeof *s->rr);
        s->nn = cperm_malloc(np * 3, sizeof *s->nn);
        s->tris = cperm_malloc(ntri * 3, sizeof *s->tris);
        s->use_tris = cperm_malloc(ntri * 3, sizeof *s->use_tris);
        s->inuse = cperm_malloc(np, sizeof *s->inuse);
        s->vertno = cperm_malloc(np, sizeof *s->vertno);
        if (!s->rr || !s->nn || !s->tris || !s->use_tris || !s->inuse || !s->vertno) {
            rc = cperm_fail(err, CPERM_ENOMEM, "ico: out of memory for %zu vertices", np);
            goto cleanup;
        }
        for (size_t i = 0; i < np; i++) {
            const double *u = unit + 3 * i;
            double norm = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
            for (size_t k = 0; k < 3; k++) {
                s->nn[3 * i + k] = (float)(u[k] / norm);
                s->rr[3 * i + k] = (float)((k == 0 ? cx : 0.0) + radius_m * u[k]);
            }
            s->inuse[i] = 1;
            s->vertno[i] = (int32_t)i;
        }
        memcpy(s->tris, tris, ntri * 3 * sizeof *tris);
        memcpy(s->use_tris, tris, ntri * 3 * sizeof *tris);
        memcpy(s->subject, "fsaverage", sizeof "fsaverage");
    }
    *out = src;
    src = NULL;
    rc = CPERM_OK;

cleanup:
    cperm_src_free(src);
    free(unit);
    free(tris);
    return rc;
}
