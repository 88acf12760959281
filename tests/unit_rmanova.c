/* unit_rmanova.c - the repeated-measures F (cperm_f_mway_rm, CPERM_STAT_F_MWAY_RM) on cases
 * computed by hand and by textbook sums of squares, the within-subject orders (each a
 * per-subject permutation of the cells; exact enumeration of 2 cells x 3 subjects; a
 * plausible number of distinct random orders; any window regenerated alike) and the options
 * a repeated-measures plan refuses. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static uint64_t lcg_state = 12345;
static double uniform(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) / 9007199254740992.0;
}

/* One factor of 2 levels, 3 subjects, 1 point: cells (1, 3), (2, 5), (4, 6). The paired
 * differences 2, 3, 2 have mean 7/3 and variance 1/3, so t = (7/3) / sqrt(1/9) = 7 and the
 * repeated-measures F = t^2 = 49. */
static void hand_case(void) {
    const double data[6] = {1, 3, 2, 5, 4, 6};
    const size_t levels[1] = {2};
    double F = 0;
    cperm_err e = {0};
    int rc = cperm_f_mway_rm(&F, data, 3, levels, 1, 1u, 1, &e);
    CHECK("rm.hand.rc", rc == 0, "%s", e.msg);
    CHECK_CLOSE("rm.hand.F_is_49", F, 49.0, 1e-13);
}

/* The textbook one-way repeated-measures F of cells C and subjects S at point p of data
 * (S x C x P): SS_conditions / (C - 1) over the residual SS (total - conditions - subjects)
 * / ((C - 1)(S - 1)). */
static double f_oneway_rm_textbook(const double *data, size_t S, size_t C, size_t P, size_t p) {
    double grand = 0, mc[8] = {0}, ms[16] = {0};
    for (size_t s = 0; s < S; s++)
        for (size_t c = 0; c < C; c++) {
            const double x = data[(s * C + c) * P + p];
            grand += x;
            mc[c] += x / (double)S;
            ms[s] += x / (double)C;
        }
    grand /= (double)(S * C);
    double ss_tot = 0, ss_c = 0, ss_s = 0;
    for (size_t s = 0; s < S; s++)
        for (size_t c = 0; c < C; c++) {
            const double d = data[(s * C + c) * P + p] - grand;
            ss_tot += d * d;
        }
    for (size_t c = 0; c < C; c++) ss_c += (double)S * (mc[c] - grand) * (mc[c] - grand);
    for (size_t s = 0; s < S; s++) ss_s += (double)C * (ms[s] - grand) * (ms[s] - grand);
    const double ss_err = ss_tot - ss_c - ss_s;
    return (ss_c / (double)(C - 1)) / (ss_err / (double)((C - 1) * (S - 1)));
}

/* The squared paired t of a per-subject contrast: for 2-level factors every effect of a
 * 2 x 2 design is one (A: a2 - a1; B: b2 - b1; A:B: the difference of differences). */
static double contrast_f(const double *data, size_t S, size_t P, size_t p, const double w[4]) {
    double m = 0, v = 0, L[16];
    for (size_t s = 0; s < S; s++) {
        L[s] = 0;
        for (size_t c = 0; c < 4; c++) L[s] += w[c] * data[(s * 4 + c) * P + p];
        m += L[s] / (double)S;
    }
    for (size_t s = 0; s < S; s++) v += (L[s] - m) * (L[s] - m) / (double)(S - 1);
    return m * m / (v / (double)S);
}

static void textbook_cases(void) {
    enum { S = 7, P = 5 };
    double data[S * 4 * P], F[P];
    cperm_err e = {0};
    for (size_t i = 0; i < sizeof data / sizeof *data; i++) data[i] = uniform() * 4 - 1;
    /* one factor of 3 levels (the first 3 cells of each subject's 4 are unused here) */
    double d3[S * 3 * P];
    for (size_t s = 0; s < S; s++)
        for (size_t c = 0; c < 3; c++)
            for (size_t p = 0; p < P; p++) d3[(s * 3 + c) * P + p] = data[(s * 4 + c) * P + p];
    const size_t l3[1] = {3};
    int rc = cperm_f_mway_rm(F, d3, S, l3, 1, 1u, P, &e);
    int ok = rc == 0;
    for (size_t p = 0; ok && p < P; p++) {
        const double want = f_oneway_rm_textbook(d3, S, 3, P, p);
        ok = fabs(F[p] - want) <= 1e-10 * want;
    }
    CHECK("rm.textbook.oneway_3_levels", ok, "rc %d %s, F[0] %.17g want %.17g", rc, e.msg,
          F[0], f_oneway_rm_textbook(d3, S, 3, P, 0));
    /* 2 x 2: cells a1b1, a1b2, a2b1, a2b2 */
    static const double wA[4] = {-1, -1, 1, 1}, wB[4] = {-1, 1, -1, 1}, wAB[4] = {1, -1, -1, 1};
    const double *w[3] = {wA, wB, wAB};
    const char *names[3] = {"rm.textbook.2x2_A", "rm.textbook.2x2_B", "rm.textbook.2x2_AB"};
    const size_t l22[2] = {2, 2};
    for (uint32_t eff = 1; eff <= 3; eff++) {
        rc = cperm_f_mway_rm(F, data, S, l22, 2, eff, P, &e);
        ok = rc == 0;
        for (size_t p = 0; ok && p < P; p++) {
            const double want = contrast_f(data, S, P, p, w[eff - 1]);
            ok = fabs(F[p] - want) <= 1e-10 * want;
        }
        CHECK(names[eff - 1], ok, "rc %d %s, F[0] %.17g want %.17g", rc, e.msg, F[0],
              contrast_f(data, S, P, 0, w[eff - 1]));
    }
    /* an interaction is invariant to a per-subject offset, which is what subject effects are */
    double shifted[S * 4 * P], G[P];
    for (size_t s = 0; s < S; s++)
        for (size_t i = 0; i < 4 * P; i++) shifted[s * 4 * P + i] = data[s * 4 * P + i] + 10.0 * (double)s;
    cperm_f_mway_rm(F, data, S, l22, 2, 3u, P, &e);
    cperm_f_mway_rm(G, shifted, S, l22, 2, 3u, P, &e);
    ok = 1;
    for (size_t p = 0; p < P; p++) ok &= fabs(F[p] - G[p]) <= 1e-9 * F[p];
    CHECK("rm.textbook.subject_offsets_cancel", ok, "F %.17g with offsets %.17g", F[0], G[0]);
}

static int make_plan(cperm_plan **plan, cperm_graph *g, size_t levels_n, const size_t *levels,
                     size_t rows, long n_perm, int scheme, cperm_err *e) {
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.design = CPERM_DESIGN_GROUPS;
    o.statistic = CPERM_STAT_F_MWAY_RM;
    o.tail = 1;
    o.threshold = 1.0;
    o.n_permutations = n_perm;
    o.seed = 42;
    o.rm_n_factors = levels_n;
    o.rm_factor_levels = levels;
    o.rm_effect = 1u;
    o.rm_scheme = scheme;
    return cperm_plan_create(plan, g, rows, 1, &o, e);
}

/* Order o (C x S indices) permutes each subject's cells among themselves. */
static int per_subject(const uint32_t *o, size_t C, size_t S) {
    for (size_t s = 0; s < S; s++) {
        uint64_t seen = 0;
        for (size_t c = 0; c < C; c++) {
            const uint32_t r = o[c * S + s];
            if (r % S != s || r / S >= C || (seen >> (r / S) & 1u)) return 0;
            seen |= (uint64_t)1 << (r / S);
        }
    }
    return 1;
}

static void orders_cases(cperm_graph *g) {
    cperm_err e = {0};
    cperm_plan *plan = NULL;
    const size_t l2[1] = {2};
    /* 2 cells x 3 subjects: 2^3 = 8 orders in all, the identity being the observed one */
    const long asks[3] = {8, 1000, CPERM_PERMUTATIONS_ALL};
    const char *names[3] = {"rm.orders.exact_8", "rm.orders.exact_1000", "rm.orders.exact_all"};
    for (int a = 0; a < 3; a++) {
        int rc = make_plan(&plan, g, 1, l2, 6, asks[a], CPERM_RM_WITHIN, &e);
        uint32_t o[7 * 6];
        int ok = rc == 0 && cperm_plan_n_orders(plan) == 7 && cperm_plan_is_exact(plan) &&
                 cperm_plan_label_orders(plan, 0, 7, o, &e) == 0;
        unsigned patterns = 0;
        for (size_t k = 0; ok && k < 7; k++) {
            ok = per_subject(o + k * 6, 2, 3);
            unsigned bits = 0; /* bit s: subject s's cells swapped */
            for (size_t s = 0; s < 3; s++) bits |= (o[k * 6 + s] != s) << s;
            ok = ok && bits != 0 && !(patterns >> bits & 1u);
            patterns |= 1u << bits;
        }
        CHECK(names[a], ok && patterns == 0xfe, "rc %d (%s), %zu orders, exact %d, patterns 0x%x",
              rc, e.msg, plan ? cperm_plan_n_orders(plan) : 0,
              plan ? cperm_plan_is_exact(plan) : 0, patterns);
        cperm_plan_free(plan);
        plan = NULL;
    }
    /* fewer permutations than patterns: drawn at random */
    int rc = make_plan(&plan, g, 1, l2, 6, 5, CPERM_RM_WITHIN, &e);
    CHECK("rm.orders.random_below_8", rc == 0 && cperm_plan_n_orders(plan) == 4 &&
          !cperm_plan_is_exact(plan), "rc %d (%s)", rc, e.msg);
    cperm_plan_free(plan);
    plan = NULL;
    /* 3 cells x 5 subjects: 6^5 = 7776 orders; 3000 drawn with replacement are expected to
     * hit 7776 (1 - (7775/7776)^3000) = 2489.2 distinct ones (sd 17.5: 2420 .. 2559 is +-4 sd). Also every window
     * (across the stream's saved states every 1024 orders) regenerates as the whole. */
    const size_t l3[1] = {3};
    enum { N = 3000, W = 15 };
    rc = make_plan(&plan, g, 1, l3, 15, N + 1, CPERM_RM_WITHIN, &e);
    uint32_t *all = malloc((size_t)N * W * sizeof *all), win[300 * W];
    int ok = rc == 0 && all && cperm_plan_label_orders(plan, 0, N, all, &e) == 0;
    for (size_t k = 0; ok && k < N; k++) ok = per_subject(all + k * W, 3, 5);
    CHECK("rm.orders.per_subject", ok, "rc %d (%s)", rc, e.msg);
    size_t distinct = 0;
    for (size_t k = 0; ok && k < N; k++) {
        size_t j = 0;
        while (j < k && memcmp(all + j * W, all + k * W, W * sizeof *all)) j++;
        distinct += j == k;
    }
    CHECK("rm.orders.distinct_plausible", ok && distinct >= 2420 && distinct <= 2559,
          "%zu distinct of %d", distinct, N);
    ok = ok && cperm_plan_label_orders(plan, 2000, 2300, win, &e) == 0 &&
         !memcmp(win, all + 2000 * W, sizeof win) &&
         cperm_plan_label_orders(plan, 1020, 1030, win, &e) == 0 &&
         !memcmp(win, all + 1020 * W, 10 * W * sizeof *all);
    CHECK("rm.orders.windows", ok, "a window differs from the whole");
    free(all);
    cperm_plan_free(plan);
    plan = NULL;
    /* the scheme MNE's closure uses: all rows shuffled, so orders mix subjects */
    rc = make_plan(&plan, g, 1, l3, 15, 200, CPERM_RM_MNE, &e);
    uint32_t o2[199 * W];
    int mixes = 0;
    if (!rc && !cperm_plan_label_orders(plan, 0, 199, o2, &e))
        for (size_t k = 0; k < 199; k++) mixes += !per_subject(o2 + k * W, 3, 5);
    CHECK("rm.orders.mne_mixes_subjects", rc == 0 && mixes > 190, "rc %d, %d of 199", rc, mixes);
    cperm_plan_free(plan);
}

static void refusals(cperm_graph *g) {
    cperm_err e = {0};
    cperm_plan *plan = NULL;
    const size_t l22[2] = {2, 2}, l21[2] = {2, 1};
    cperm_options base;
    cperm_options_init(&base, CPERM_OPTIONS_VERSION);
    base.design = CPERM_DESIGN_GROUPS;
    base.statistic = CPERM_STAT_F_MWAY_RM;
    base.tail = 1;
    base.threshold = 2.0;
    base.n_permutations = 50;
    base.rm_n_factors = 2;
    base.rm_factor_levels = l22;
    base.rm_effect = 3u;
    struct {
        const char *name;
        size_t rows;
        int code;
        const char *needle;
        void (*edit)(cperm_options *);
    } cases[] = {
        {"rm.refuse.rows_not_cells", 10, CPERM_EMISMATCH, "4 cells", NULL},
        {"rm.refuse.one_subject", 4, CPERM_EMISMATCH, "at least 2 subjects", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = cperm_plan_create(&plan, g, cases[i].rows, 1, &base, &e);
        CHECK(cases[i].name, rc == cases[i].code && strstr(e.msg, cases[i].needle),
              "rc %d: %s", rc, e.msg);
        cperm_plan_free(plan);
        plan = NULL;
    }
    cperm_options o;
#define REFUSE(name, stmt, code, needle)                                                   \
    do {                                                                                   \
        o = base;                                                                          \
        stmt;                                                                              \
        int rc_ = cperm_plan_create(&plan, g, 12, 1, &o, &e);                              \
        CHECK(name, rc_ == (code) && strstr(e.msg, needle), "rc %d: %s", rc_, e.msg);      \
        cperm_plan_free(plan);                                                             \
        plan = NULL;                                                                       \
    } while (0)
    REFUSE("rm.refuse.no_effect", o.rm_effect = 0, CPERM_EINVAL, "not an effect");
    REFUSE("rm.refuse.effect_beyond_factors", o.rm_effect = 4, CPERM_EINVAL, "not an effect");
    REFUSE("rm.refuse.single_level_factor", (o.rm_factor_levels = l21, o.rm_effect = 2),
           CPERM_EINVAL, "factor B, which has a single level");
    REFUSE("rm.refuse.no_levels", o.rm_factor_levels = NULL, CPERM_EINVAL, "NULL");
    REFUSE("rm.refuse.no_factors", o.rm_n_factors = 0, CPERM_EINVAL, "1 to 6 factors");
    REFUSE("rm.refuse.scheme", o.rm_scheme = 7, CPERM_EINVAL, "scheme 7");
    REFUSE("rm.refuse.tail", (o.tail = -1, o.threshold = -2.0), CPERM_EINVAL, "one-tailed");
    REFUSE("rm.refuse.tfce", o.tfce = CPERM_TFCE_EXACT, CPERM_EUNSUPPORTED, "TFCE");
    REFUSE("rm.refuse.sigma", o.sigma = 0.1, CPERM_EINVAL, "sigma");
    REFUSE("rm.refuse.all_with_mne_scheme",
           (o.n_permutations = CPERM_PERMUTATIONS_ALL, o.rm_scheme = CPERM_RM_MNE), CPERM_EINVAL,
           "within-subject");
    const size_t bad_sizes[4] = {3, 3, 3, 4};
    REFUSE("rm.refuse.groups_not_cells", (o.n_groups = 4, o.group_sizes = bad_sizes),
           CPERM_EINVAL, "4 cells of 3 subjects");
#undef REFUSE
    /* 'all' of 2 x 2 cells x 8 subjects would be 24^8 - 1 orders */
    o = base;
    o.n_permutations = CPERM_PERMUTATIONS_ALL;
    int rc = cperm_plan_create(&plan, g, 32, 1, &o, &e);
    CHECK("rm.refuse.all_too_many", rc == CPERM_EINVAL && strstr(e.msg, "more than the limit"),
          "rc %d: %s", rc, e.msg);
    cperm_plan_free(plan);
    plan = NULL;
    /* the groups may be given when they are the cells */
    const size_t sizes[4] = {3, 3, 3, 3};
    o = base;
    o.n_groups = 4;
    o.group_sizes = sizes;
    rc = cperm_plan_create(&plan, g, 12, 1, &o, &e);
    CHECK("rm.accept.groups_as_cells", rc == 0, "rc %d: %s", rc, e.msg);
    cperm_plan_free(plan);
    double F;
    const double d[4] = {1, 2, 3, 4};
    rc = cperm_f_mway_rm(&F, d, 1, l22, 2, 3u, 1, &e);
    CHECK("rm.refuse.f_one_subject", rc == CPERM_EINVAL, "rc %d: %s", rc, e.msg);
    rc = cperm_f_mway_rm(&F, d, 2, l22, 7, 3u, 1, &e);
    CHECK("rm.refuse.f_too_many_factors", rc == CPERM_EINVAL, "rc %d: %s", rc, e.msg);
}

int main(void) {
    cperm_graph *g = NULL;
    cperm_err e = {0};
    if (cperm_graph_from_edges(&g, 1, NULL, 0, &e)) {
        TU_FAIL("rm.graph", "%s", e.msg);
        TU_EXIT();
    }
    hand_case();
    textbook_cases();
    orders_cases(g);
    refusals(g);
    cperm_graph_free(g);
    TU_EXIT();
}
