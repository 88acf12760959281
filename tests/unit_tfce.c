/* unit_tfce.c - TFCE checks against hand-computed values and a plain reference: the exact
 * integral on a chain, a star, two-sided and spatio-temporal cases; the stepped formulas
 * (riemann, MNE 1.3) by hand and bit-identical to a full clustering per threshold on an
 * icosahedral mesh; riemann converging to the exact integral (error halves with the step);
 * option and data errors that must come back as codes.
 *
 * Exact TFCE with F(h) = h^(H+1)/(H+1): a component of extent e alive between heights a < b
 * adds e^E (F(b) - F(a)) to each of its members. */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static cperm_err err;

static cperm_graph *graph_edges(size_t nv, const int64_t *edges, size_t n_edges) {
    cperm_graph *g = NULL;
    memset(&err, 0, sizeof err);
    if (cperm_graph_from_edges(&g, nv, edges, n_edges, &err)) {
        TU_FAIL("tfce.graph", "%s", err.msg);
        return NULL;
    }
    return g;
}

/* Scores of `stat` with the given options; returns the error code. */
static int scores_of(const cperm_graph *g, size_t n_times, const cperm_options *o,
                     const double *stat, double *out) {
    cperm_plan *plan = NULL;
    memset(&err, 0, sizeof err);
    int rc = cperm_plan_create(&plan, g, 4, n_times, o, &err);
    if (!rc) rc = cperm_tfce_scores(plan, stat, out, &err);
    cperm_plan_free(plan);
    return rc;
}

static double F2(double h) { return h * h * h / 3.0; } /* H = 2 */

static void check_all(const char *name, const double *got, const double *want, size_t n,
                      double rtol) {
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (!(fabs(got[i] - want[i]) <= rtol * fmax(1.0, fabs(want[i])))) bad = i;
    if (bad == n) TU_OK(name);
    else TU_FAIL(name, "point %zu: got %.17g want %.17g", bad, got[bad], want[bad]);
}

/* ------------------------------------------------------------ exact, by hand */

/* Chain 0-1-2 with t = (1, 3, 2), tail 1, H 2, E 0.5:
 *   h in (2,3): {1};  (1,2): {1,2};  (0,1): {0,1,2}. */
static void test_chain(void) {
    static const int64_t e[] = {0, 1, 1, 2};
    cperm_graph *g = graph_edges(3, e, 2);
    if (!g) return;
    const double t[3] = {1, 3, 2};
    double s[3], want[3];
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 1;
    o.tfce = CPERM_TFCE_EXACT;
    int rc = scores_of(g, 1, &o, t, s);
    CHECK("tfce.chain.rc", rc == 0, "rc %d: %s", rc, err.msg);
    want[0] = sqrt(3.0) * F2(1);
    want[2] = sqrt(3.0) * F2(1) + sqrt(2.0) * (F2(2) - F2(1));
    want[1] = want[2] + (F2(3) - F2(2));
    check_all("tfce.chain.exact", s, want, 3, 1e-13);
    /* the same chain along time: 1 vertex, 3 times, no spatial edges */
    cperm_graph *g1 = graph_edges(1, NULL, 0);
    double s1[3];
    rc = scores_of(g1, 3, &o, t, s1);
    CHECK("tfce.chain_time.rc", rc == 0, "rc %d: %s", rc, err.msg);
    check_all("tfce.chain_time.exact", s1, want, 3, 1e-13);
    /* non-default powers: H = 1 (F = h^2/2), E = 1 */
    o.tfce_h = 1.0;
    o.tfce_e = 1.0;
    rc = scores_of(g, 1, &o, t, s);
    double w2[3] = {3 * 0.5, 3 * 0.5 + 2 * (2.0 - 0.5), 0};
    w2[2] = w2[1];
    w2[1] = w2[2] + (4.5 - 2.0);
    check_all("tfce.chain.exact_h1_e1", s, w2, 3, 1e-13);
    cperm_graph_free(g);
    cperm_graph_free(g1);
}

/* Star: centre 0 (t 2) and leaves 1..4 (t 1, 3, 0.5, 2.5), leaves not adjacent:
 *   (2.5,3): {2}; (2,2.5): {2},{4}; (1,2): {0,2,4}; (0.5,1): {0,1,2,4}; (0,0.5): all. */
static void test_star(void) {
    static const int64_t e[] = {0, 1, 0, 2, 0, 3, 0, 4};
    cperm_graph *g = graph_edges(5, e, 4);
    if (!g) return;
    const double t[5] = {2, 1, 3, 0.5, 2.5};
    double s[5], want[5];
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 1;
    o.tfce = CPERM_TFCE_EXACT;
    int rc = scores_of(g, 1, &o, t, s);
    CHECK("tfce.star.rc", rc == 0, "rc %d: %s", rc, err.msg);
    double base = sqrt(5.0) * F2(0.5);
    want[3] = base;
    want[1] = base + 2.0 * (F2(1) - F2(0.5));
    want[0] = want[1] + sqrt(3.0) * (F2(2) - F2(1));
    want[4] = want[0] + (F2(2.5) - F2(2));
    want[2] = want[4] + (F2(3) - F2(2.5));
    check_all("tfce.star.exact", s, want, 5, 1e-13);
    /* tail -1 on the negated map gives the same scores */
    double neg[5], s2[5];
    for (int i = 0; i < 5; i++) neg[i] = -t[i];
    o.tail = -1;
    rc = scores_of(g, 1, &o, neg, s2);
    CHECK("tfce.star.tail_minus1", rc == 0 && !memcmp(s, s2, sizeof s), "rc %d, differs", rc);
    cperm_graph_free(g);
}

/* Two-sided: chain 0-1-2-3, t = (1, 3, -2, -1); signs never join:
 *   positives {0,1}: (1,3): {1}, (0,1): {0,1}; negatives {2,3}: (1,2): {2}, (0,1): {2,3}. */
static void test_two_sided(void) {
    static const int64_t e[] = {0, 1, 1, 2, 2, 3};
    cperm_graph *g = graph_edges(4, e, 3);
    if (!g) return;
    const double t[4] = {1, 3, -2, -1};
    double s[4], want[4];
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 0;
    o.tfce = CPERM_TFCE_EXACT;
    int rc = scores_of(g, 1, &o, t, s);
    CHECK("tfce.two_sided.rc", rc == 0, "rc %d: %s", rc, err.msg);
    want[0] = sqrt(2.0) * F2(1);
    want[1] = want[0] + (F2(3) - F2(1));
    want[3] = sqrt(2.0) * F2(1);
    want[2] = want[3] + (F2(2) - F2(1));
    check_all("tfce.two_sided.exact", s, want, 4, 1e-13);
    o.tail = -1;
    rc = scores_of(g, 1, &o, t, s);
    double w1[4] = {0, 0, want[2], want[3]};
    check_all("tfce.tail_minus1.exact", s, w1, 4, 1e-13);
    cperm_graph_free(g);
}

/* One vertex over 3 times, t = (2, 0.5, 3): with max_step 1 the ends join only below 0.5;
 * with max_step 2 they are adjacent directly. Excluding the vertex zeroes everything. */
static void test_time_steps(void) {
    cperm_graph *g = graph_edges(1, NULL, 0);
    const double t[3] = {2, 0.5, 3};
    double s[3], want[3];
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 1;
    o.tfce = CPERM_TFCE_EXACT;
    int rc = scores_of(g, 3, &o, t, s);
    double base = sqrt(3.0) * F2(0.5);
    want[1] = base;
    want[0] = base + (F2(2) - F2(0.5));
    want[2] = base + (F2(3) - F2(0.5));
    CHECK("tfce.time.rc", rc == 0, "rc %d: %s", rc, err.msg);
    check_all("tfce.time.max_step1", s, want, 3, 1e-13);
    o.max_step = 2;
    rc = scores_of(g, 3, &o, t, s);
    want[0] = base + sqrt(2.0) * (F2(2) - F2(0.5));
    want[2] = want[0] + (F2(3) - F2(2));
    check_all("tfce.time.max_step2", s, want, 3, 1e-13);
    uint8_t ex = 1;
    o.spatial_exclude = &ex;
    rc = scores_of(g, 3, &o, t, s);
    CHECK("tfce.time.excluded", rc == 0 && s[0] == 0 && s[1] == 0 && s[2] == 0,
          "rc %d, scores %g %g %g", rc, s[0], s[1], s[2]);
    cperm_graph_free(g);
}

/* ------------------------------------------------------- stepped, by hand */

/* Chain t = (1, 3, 2), start 0, step 1: thresholds np.arange(0, 3, 1) = 0, 1, 2.
 * Level 0: {0,1,2}; level 1 (t > 1): {1,2}; level 2 (t > 2): {1}.
 * MNE 1.3: weights |dh|^2 = 0, 1, 1. Riemann: |h|^2 * dh = 0, 1, 4. */
static void test_stepped_hand(void) {
    static const int64_t e[] = {0, 1, 1, 2};
    cperm_graph *g = graph_edges(3, e, 2);
    if (!g) return;
    const double t[3] = {1, 3, 2};
    double s[3];
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 1;
    o.tfce = CPERM_TFCE_MNE13;
    o.tfce_start = 0.0;
    o.tfce_step = 1.0;
    int rc = scores_of(g, 1, &o, t, s);
    double w13[3] = {0.0 * pow(3, 0.5), (0.0 * pow(3, 0.5) + 1.0 * pow(2, 0.5)) + 1.0, 0};
    w13[2] = 0.0 * pow(3, 0.5) + 1.0 * pow(2, 0.5);
    CHECK("tfce.stepped_hand.mne13", rc == 0 && !memcmp(s, w13, sizeof s),
          "rc %d, got %.17g %.17g %.17g", rc, s[0], s[1], s[2]);
    o.tfce = CPERM_TFCE_RIEMANN;
    rc = scores_of(g, 1, &o, t, s);
    double wr[3] = {0, (0.0 + 1.0 * pow(2, 0.5)) + 4.0, 0.0 + 1.0 * pow(2, 0.5)};
    CHECK("tfce.stepped_hand.riemann", rc == 0 && !memcmp(s, wr, sizeof s),
          "rc %d, got %.17g %.17g %.17g", rc, s[0], s[1], s[2]);
    /* start 1.5: thresholds 1.5, 2.5; level 0: {1,2}, level 1: {1}.
     * MNE 1.3: 1.5^2 sqrt2, + 1^2; riemann: 1.5^2*1.5 sqrt2, + 2.5^2*1 */
    o.tfce_start = 1.5;
    o.tfce = CPERM_TFCE_MNE13;
    rc = scores_of(g, 1, &o, t, s);
    double a = pow(1.5, 2) * pow(2, 0.5);
    double ws[3] = {0, a + pow(1.0, 2) * 1.0, a};
    CHECK("tfce.stepped_hand.mne13_start", rc == 0 && !memcmp(s, ws, sizeof s),
          "rc %d, got %.17g %.17g %.17g", rc, s[0], s[1], s[2]);
    cperm_graph_free(g);
}

/* ------------------------------------------- plain reference: full clustering */

/* MNE's loop, written plainly in MNE's own (unmirrored) terms: for each threshold of
 * np.arange(start, stop, step), BFS components of the supra-threshold points (same sign),
 * then scores += w * len^E. */
static void reference(const cperm_graph *g, size_t T, size_t ms, const double *t,
                      const uint8_t *excl, int tail, int mne13, double start, double step,
                      double H, double E, double *out) {
    const size_t V = g->n_vertices, P = T * V;
    double mx = -INFINITY, mn = INFINITY;
    for (size_t p = 0; p < P; p++)
        if (isfinite(t[p])) { mx = fmax(mx, t[p]); mn = fmin(mn, t[p]); }
    double stop = tail > 0 ? mx : tail < 0 ? mn : fmax(mx, -mn);
    double len = ceil((stop - start) / step);
    size_t L = len > 0 ? (size_t)len : 0;
    double *th = malloc((L + 1) * sizeof *th);
    int *lab = malloc(P * sizeof *lab);
    size_t *queue = malloc(P * sizeof *queue);
    for (size_t i = 0; i < L; i++)
        th[i] = i == 0 ? start : i == 1 ? start + step : start + (double)i * (th[1] - start);
    for (size_t p = 0; p < P; p++) out[p] = 0.0;
    for (size_t i = 0; i < L; i++) {
        double dh = i == 0 ? fabs(th[0]) : fabs(th[i] - th[i - 1]);
        double w = mne13 ? pow(dh, H) : pow(fabs(th[i]), H) * dh;
        for (size_t p = 0; p < P; p++) {
            int in = tail > 0 ? t[p] > th[i] : tail < 0 ? t[p] < th[i]
                                                        : (t[p] > th[i] || t[p] < -th[i]);
            lab[p] = (in && !(excl && excl[p % V])) ? 0 : -1;
        }
        for (size_t seed = 0; seed < P; seed++) {
            if (lab[seed] != 0) continue;
            size_t qn = 0, qi = 0;
            queue[qn++] = seed;
            lab[seed] = 1;
            int pos = t[seed] > 0;
            while (qi < qn) {
                size_t q = queue[qi++], tq = q / V, vq = q % V;
                size_t cand[64];
                size_t nc = 0;
                for (size_t k = g->indptr[vq]; k < g->indptr[vq + 1]; k++)
                    cand[nc++] = tq * V + (size_t)g->indices[k];
                for (size_t d = 1; d <= ms; d++) {
                    if (d <= tq) cand[nc++] = q - d * V;
                    if (tq + d < T) cand[nc++] = q + d * V;
                }
                for (size_t c = 0; c < nc; c++)
                    if (lab[cand[c]] == 0 && (t[cand[c]] > 0) == pos) {
                        lab[cand[c]] = 1;
                        queue[qn++] = cand[c];
                    }
            }
            double add = w * pow((double)qn, E);
            for (size_t k = 0; k < qn; k++) {
                out[queue[k]] += add;
                lab[queue[k]] = 2;
            }
        }
    }
    free(th);
    free(lab);
    free(queue);
}

/* xorshift64* uniform in [0, 1) and a Gaussian by Box-Muller. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static double urand(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
static double nrand(void) {
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* A smooth random map on graph g over T times: noise averaged over closed neighbourhoods
 * and neighbouring times, scaled by amp, plus offset. */
static void smooth_map(const cperm_graph *g, size_t T, double amp, double offset, double *out) {
    const size_t V = g->n_vertices, P = T * V;
    double *raw = malloc(P * sizeof *raw);
    for (size_t p = 0; p < P; p++) raw[p] = nrand();
    for (size_t p = 0; p < P; p++) {
        size_t tq = p / V, v = p % V;
        double s = raw[p];
        size_t c = 1;
        for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++, c++)
            s += raw[tq * V + (size_t)g->indices[k]];
        if (tq > 0) { s += raw[p - V]; c++; }
        if (tq + 1 < T) { s += raw[p + V]; c++; }
        out[p] = offset + amp * s / sqrt((double)c);
    }
    free(raw);
}

static cperm_graph *ico_graph(int grade) {
    cperm_srcspace *src = NULL;
    cperm_graph *g = NULL;
    memset(&err, 0, sizeof err);
    if (cperm_src_create_ico(&src, grade, 0.1, &err) || cperm_graph_from_src(&g, src, &err))
        TU_FAIL("tfce.ico", "%s", err.msg);
    cperm_src_free(src);
    return g;
}

static void test_reference(void) {
    cperm_graph *g = ico_graph(1); /* 2 x 42 vertices */
    if (!g) return;
    const size_t T = 5, V = g->n_vertices, P = T * V;
    double *t = malloc(P * sizeof *t), *got = malloc(P * sizeof *got),
           *want = malloc(P * sizeof *want);
    uint8_t *excl = calloc(V, 1);
    for (size_t v = 0; v < V; v += 9) excl[v] = 1;
    static const struct { int tail; double start, step, H, E; size_t ms; int ex; } cases[] = {
        {1, 0.0, 0.2, 2.0, 0.5, 1, 0},  {1, 0.3, 0.1, 2.0, 0.5, 2, 1},
        {0, 0.0, 0.1, 2.0, 0.5, 1, 0},  {0, 0.5, 0.2, 1.5, 0.75, 1, 1},
        {-1, 0.0, -0.2, 2.0, 0.5, 1, 0}, {-1, -0.25, -0.1, 2.5, 1.0, 3, 1},
    };
    int n_ok = 0, n_cases = 0;
    char nm[128];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int mode = 0; mode < 2; mode++) {
            smooth_map(g, T, 1.3, cases[c].tail < 0 ? -0.4 : 0.4, t);
            /* values exactly on thresholds, ties and a non-finite value */
            double s0 = cases[c].start, s1 = s0 + cases[c].step;
            t[3] = s0 + 3.0 * (s1 - s0);
            t[4] = t[3];
            t[V + 7] = s1;
            t[2 * V + 1] = t[2 * V + 2];
            t[P - 1] = NAN;
            cperm_options o = CPERM_OPTIONS_INIT;
            o.tail = cases[c].tail;
            o.tfce = mode ? CPERM_TFCE_MNE13 : CPERM_TFCE_RIEMANN;
            o.tfce_start = cases[c].start;
            o.tfce_step = cases[c].step;
            o.tfce_h = cases[c].H;
            o.tfce_e = cases[c].E;
            o.max_step = cases[c].ms;
            o.spatial_exclude = cases[c].ex ? excl : NULL;
            int rc = scores_of(g, T, &o, t, got);
            reference(g, T, cases[c].ms, t, o.spatial_exclude, cases[c].tail, mode,
                      cases[c].start, cases[c].step, cases[c].H, cases[c].E, want);
            snprintf(nm, sizeof nm, "tfce.reference.%s.case%zu", mode ? "mne13" : "riemann", c);
            size_t bad = P;
            for (size_t p = 0; p < P && bad == P; p++)
                if (memcmp(&got[p], &want[p], sizeof(double))) bad = p;
            double nz = 0;
            for (size_t p = 0; p < P; p++) nz += want[p] > 0;
            CHECK(nm, rc == 0 && bad == P && nz > P / 10,
                  "rc %d (%s); point %zu: got %.17g want %.17g; %g nonzero", rc, err.msg,
                  bad, bad < P ? got[bad] : 0, bad < P ? want[bad] : 0, nz);
            n_ok += rc == 0 && bad == P;
            n_cases++;
        }
    }
    CHECK("tfce.reference.all", n_ok == n_cases, "%d of %d", n_ok, n_cases);
    free(t);
    free(got);
    free(want);
    free(excl);
    cperm_graph_free(g);
}

/* Riemann -> exact: the summed absolute error halves when the step halves. */
static void test_convergence(void) {
    cperm_graph *g = ico_graph(2);
    if (!g) return;
    const size_t T = 4, P = T * g->n_vertices;
    double *t = malloc(P * sizeof *t), *ex = malloc(P * sizeof *ex),
           *r = malloc(P * sizeof *r);
    smooth_map(g, T, 1.5, 0.0, t);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 0;
    o.tfce = CPERM_TFCE_EXACT;
    int rc = scores_of(g, T, &o, t, ex);
    double errs[5], total = 0;
    for (size_t p = 0; p < P; p++) total += ex[p];
    o.tfce = CPERM_TFCE_RIEMANN;
    o.tfce_start = 0.0;
    for (int k = 0; k < 5 && !rc; k++) {
        o.tfce_step = 0.2 / (double)(1 << k);
        rc = scores_of(g, T, &o, t, r);
        errs[k] = 0;
        for (size_t p = 0; p < P; p++) errs[k] += fabs(r[p] - ex[p]);
    }
    CHECK("tfce.convergence.rc", rc == 0, "rc %d: %s", rc, err.msg);
    for (int k = 1; k < 5 && !rc; k++) {
        char nm[64];
        snprintf(nm, sizeof nm, "tfce.convergence.halves.%d", k);
        double ratio = errs[k - 1] / errs[k];
        CHECK(nm, ratio > 1.75 && ratio < 2.25, "step %g -> %g: error %g -> %g (ratio %g, total %g)",
              0.2 / (1 << (k - 1)), 0.2 / (1 << k), errs[k - 1], errs[k], ratio, total);
    }
    CHECK("tfce.convergence.small", !rc && errs[4] < 0.02 * total, "error %g of %g",
          errs[4], total);
    free(t);
    free(ex);
    free(r);
    cperm_graph_free(g);
}

/* ------------------------------------------------------------------ errors */

static void test_errors(void) {
    static const int64_t e[] = {0, 1, 1, 2};
    cperm_graph *g = graph_edges(3, e, 2);
    if (!g) return;
    cperm_plan *plan = NULL;
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tfce = CPERM_TFCE_EXACT;
    o.compat = CPERM_COMPAT_MNE13;
    int rc = cperm_plan_create(&plan, g, 4, 2, &o, &err);
    CHECK("tfce.err.exact_compat", rc == CPERM_EINVAL && !plan && strstr(err.msg, "compat"),
          "rc %d: %s", rc, err.msg);
    o = (cperm_options)CPERM_OPTIONS_INIT;
    o.tfce = CPERM_TFCE_MNE13;
    o.tail = -1;
    o.tfce_step = 0.2;
    rc = cperm_plan_create(&plan, g, 4, 2, &o, &err);
    CHECK("tfce.err.tail_minus1_step", rc == CPERM_EINVAL && strstr(err.msg, "step"),
          "rc %d: %s", rc, err.msg);
    o.tfce_step = -0.2;
    o.tfce_start = 0.5;
    rc = cperm_plan_create(&plan, g, 4, 2, &o, &err);
    CHECK("tfce.err.tail_minus1_start", rc == CPERM_EINVAL && strstr(err.msg, "start"),
          "rc %d: %s", rc, err.msg);
    o.tail = 1;
    o.tfce_start = -0.5;
    o.tfce_step = 0.2;
    rc = cperm_plan_create(&plan, g, 4, 2, &o, &err);
    CHECK("tfce.err.negative_start", rc == CPERM_EUNSUPPORTED, "rc %d: %s", rc, err.msg);
    o.tfce_start = 0;
    o.tfce_h = -1;
    rc = cperm_plan_create(&plan, g, 4, 2, &o, &err);
    CHECK("tfce.err.h", rc == CPERM_EINVAL && strstr(err.msg, "tfce_h"), "rc %d: %s", rc, err.msg);
    o.tfce_h = 2;
    o.tfce_e = NAN;
    rc = cperm_plan_create(&plan, g, 4, 2, &o, &err);
    CHECK("tfce.err.e", rc == CPERM_EINVAL && strstr(err.msg, "tfce_e"), "rc %d: %s", rc, err.msg);
    o.tfce_e = 0.5;
    o.tfce = 7;
    rc = cperm_plan_create(&plan, g, 4, 2, &o, &err);
    CHECK("tfce.err.mode", rc == CPERM_EINVAL, "rc %d: %s", rc, err.msg);
    /* exact mode keeps node ids in root words (30 bits): 3 x 357913942 points are too many */
    o = (cperm_options)CPERM_OPTIONS_INIT;
    o.tfce = CPERM_TFCE_EXACT;
    rc = cperm_plan_create(&plan, g, 4, 357913942, &o, &err);
    CHECK("tfce.err.exact_too_many_points",
          rc == CPERM_EUNSUPPORTED && !plan && strstr(err.msg, "fewer than 1073741823 points") &&
              strstr(err.msg, "357913942 times x 3 vertices"),
          "rc %d: %s", rc, err.msg);

    /* data errors */
    double s[3];
    const double nan3[3] = {NAN, NAN, NAN};
    o = (cperm_options)CPERM_OPTIONS_INIT;
    o.tail = 1;
    o.tfce = CPERM_TFCE_MNE13;
    rc = scores_of(g, 1, &o, nan3, s);
    CHECK("tfce.err.no_finite", rc == CPERM_EINVAL && strstr(err.msg, "finite"), "rc %d: %s",
          rc, err.msg);
    const double big[3] = {1e17, 1e17 + 64, 1e17 + 32};
    o.tfce_start = 1e17;
    o.tfce_step = 1.0;
    rc = scores_of(g, 1, &o, big, s);
    CHECK("tfce.err.not_monotonic", rc == CPERM_EINVAL && strstr(err.msg, "monotonic"),
          "rc %d: %s", rc, err.msg);
    const double inf3[3] = {1, INFINITY, 2};
    o.tfce = CPERM_TFCE_EXACT;
    rc = scores_of(g, 1, &o, inf3, s);
    CHECK("tfce.err.exact_inf", rc == CPERM_EINVAL && strstr(err.msg, "infinite"), "rc %d: %s",
          rc, err.msg);
    /* stepped modes take an infinite value as supra-threshold everywhere, as MNE */
    o.tfce = CPERM_TFCE_MNE13;
    o.tfce_start = 0;
    o.tfce_step = 1;
    rc = scores_of(g, 1, &o, inf3, s);
    /* stop = 2 (finite values only): thresholds 0, 1; level 0: {0,1,2}; level 1: {1,2} */
    CHECK("tfce.inf_stepped", rc == 0 && s[0] == 0 && s[1] == pow(2, 0.5) && s[2] == s[1],
          "rc %d: %g %g %g", rc, s[0], s[1], s[2]);
    /* start above the data: no thresholds, all zero */
    o.tfce_start = 5;
    const double t3[3] = {1, 3, 2};
    rc = scores_of(g, 1, &o, t3, s);
    CHECK("tfce.no_thresholds", rc == 0 && s[0] == 0 && s[1] == 0 && s[2] == 0, "rc %d", rc);
    o.tfce = CPERM_TFCE_NONE;
    o.threshold = 1.0;
    rc = cperm_plan_create(&plan, g, 4, 1, &o, &err);
    if (!rc) rc = cperm_tfce_scores(plan, t3, s, &err);
    CHECK("tfce.err.not_tfce", rc == CPERM_EINVAL, "rc %d: %s", rc, err.msg);
    cperm_plan_free(plan);
    cperm_graph_free(g);
}

/* ------------------------------------------------------------- full run */

/* A whole test through execute: the map is scores * sign(t), every point is a cluster,
 * p-values follow H0, and results do not depend on the number of threads. */
static void test_execute(void) {
    cperm_graph *g = ico_graph(1);
    if (!g) return;
    const size_t T = 3, P = T * g->n_vertices, n = 9;
    double *X = malloc(n * P * sizeof *X);
    for (size_t i = 0; i < n; i++) smooth_map(g, T, 1.0, 0.6, X + i * P);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 0;
    o.tfce = CPERM_TFCE_EXACT;
    o.n_permutations = 100;
    double *first = NULL;
    for (int jobs = 1; jobs <= 3; jobs += 2) {
        o.n_jobs = jobs;
        cperm_plan *plan = NULL;
        cperm_run *run = NULL;
        int rc = cperm_plan_create(&plan, g, n, T, &o, &err);
        if (!rc) rc = cperm_run_create(&run, plan, &err);
        if (!rc) rc = cperm_plan_execute(plan, X, run, &err);
        CHECK(jobs == 1 ? "tfce.execute.rc1" : "tfce.execute.rc3", rc == 0, "rc %d: %s", rc, err.msg);
        if (rc) { cperm_run_free(run); cperm_plan_free(plan); break; }
        const double *map = cperm_run_tfce_map(run), *sc = cperm_run_cluster_stats(run),
                     *t = cperm_run_tobs(run), *pv = cperm_run_tfce_pvalues(run);
        size_t nh = 0;
        const double *h0 = cperm_run_h0(run, &nh);
        int ok = cperm_run_n_clusters(run) == P && nh == 100 && pv == cperm_run_pvalues(run);
        double mx = 0;
        for (size_t p = 0; p < P; p++) {
            ok &= map[p] == (t[p] > 0 ? sc[p] : -sc[p]);
            mx = fmax(mx, sc[p]);
            size_t cnt = 0;
            for (size_t k = 0; k < nh; k++) cnt += h0[k] >= sc[p];
            ok &= pv[p] == (double)cnt / (double)nh;
        }
        ok &= h0[0] == mx;
        CHECK(jobs == 1 ? "tfce.execute.results" : "tfce.execute.results3", ok, "inconsistent");
        if (jobs == 1) {
            first = malloc((P + nh) * sizeof *first);
            memcpy(first, map, P * sizeof *first);
            memcpy(first + P, h0, nh * sizeof *first);
        } else {
            CHECK("tfce.execute.threads", first && !memcmp(first, map, P * sizeof *map) &&
                  !memcmp(first + P, h0, nh * sizeof *h0), "n_jobs 3 differs from 1");
        }
        cperm_run_free(run);
        cperm_plan_free(plan);
    }
    free(first);
    free(X);
    cperm_graph_free(g);
}

/* Cancel after the first chunk, checkpoint, restore into a fresh run and finish: the same
 * results as one uninterrupted execute (TFCE state: pass, permutations done, removed
 * points of the step-down). */
typedef struct cancel_at {
    size_t at;
    int armed, fired;
} cancel_at;

static int cancel_cb(void *user, size_t done, size_t total, int pass) {
    cancel_at *c = user;
    (void)total;
    (void)pass;
    if (c->armed && done >= c->at) {
        c->fired = 1;
        return 1;
    }
    return 0;
}

static void test_checkpoint(void) {
    cperm_graph *g = ico_graph(1);
    if (!g) return;
    const size_t T = 3, P = T * g->n_vertices, n = 8;
    double *X = malloc(n * P * sizeof *X);
    for (size_t i = 0; i < n; i++) smooth_map(g, T, 1.0, 0.7, X + i * P);
    cancel_at c = {20, 0, 0};
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tail = 1;
    o.tfce = CPERM_TFCE_MNE13;
    o.tfce_start = 0.1;
    o.tfce_step = 0.2;
    o.n_permutations = 80;
    o.step_down_p = 0.2;
    o.progress = cancel_cb;
    o.progress_user = &c;
    cperm_plan *plan = NULL;
    cperm_run *ref = NULL, *r1 = NULL, *r2 = NULL;
    unsigned char *buf = NULL;
    int rc = cperm_plan_create(&plan, g, n, T, &o, &err);
    if (!rc) rc = cperm_run_create(&ref, plan, &err);
    if (!rc) rc = cperm_plan_execute(plan, X, ref, &err);
    CHECK("tfce.checkpoint.reference", rc == 0 && cperm_run_n_step_downs(ref) >= 2,
          "rc %d (%s), %zu step-downs", rc, err.msg, rc ? 0 : cperm_run_n_step_downs(ref));
    c.armed = 1;
    if (!rc) rc = cperm_run_create(&r1, plan, &err);
    int erc = rc ? rc : cperm_plan_execute(plan, X, r1, &err);
    CHECK("tfce.checkpoint.cancelled", erc == CPERM_ECANCELLED && c.fired, "rc %d", erc);
    size_t need = r1 ? cperm_run_checkpoint(r1, NULL, 0) : 0;
    buf = need ? malloc(need) : NULL;
    c.armed = 0;
    if (buf && cperm_run_checkpoint(r1, buf, need) == need && !cperm_run_create(&r2, plan, &err) &&
        !cperm_run_restore(r2, buf, need, &err))
        rc = cperm_plan_execute(plan, X, r2, &err);
    else
        rc = -100;
    size_t nh = 0, nh2 = 0;
    const double *h0 = rc ? NULL : cperm_run_h0(ref, &nh), *h2 = rc ? NULL : cperm_run_h0(r2, &nh2);
    CHECK("tfce.checkpoint.resumed", rc == 0 && nh == nh2 && h0 && h2 &&
          !memcmp(h0, h2, nh * sizeof *h0) &&
          !memcmp(cperm_run_tfce_pvalues(ref), cperm_run_tfce_pvalues(r2), P * sizeof(double)) &&
          !memcmp(cperm_run_tfce_map(ref), cperm_run_tfce_map(r2), P * sizeof(double)) &&
          cperm_run_n_step_downs(ref) == cperm_run_n_step_downs(r2),
          "rc %d (%s): resumed results differ", rc, err.msg);
    /* a checkpoint of a TFCE run does not resume a run with other TFCE parameters */
    cperm_options o2 = o;
    o2.tfce_step = 0.25;
    cperm_plan *plan2 = NULL;
    cperm_run *r3 = NULL;
    rc = cperm_plan_create(&plan2, g, n, T, &o2, &err);
    if (!rc) rc = cperm_run_create(&r3, plan2, &err);
    if (!rc && buf) rc = cperm_run_restore(r3, buf, need, &err);
    if (!rc) rc = cperm_plan_execute(plan2, X, r3, &err);
    CHECK("tfce.checkpoint.other_params", rc == CPERM_EMISMATCH, "rc %d: %s", rc, err.msg);
    cperm_run_free(r3);
    cperm_plan_free(plan2);
    free(buf);
    cperm_run_free(ref);
    cperm_run_free(r1);
    cperm_run_free(r2);
    cperm_plan_free(plan);
    free(X);
    cperm_graph_free(g);
}

int main(void) {
    test_chain();
    test_star();
    test_two_sided();
    test_time_steps();
    test_stepped_hand();
    test_reference();
    test_convergence();
    test_errors();
    test_execute();
    test_checkpoint();
    TU_EXIT();
}
