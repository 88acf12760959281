/* unit_callback.c - options version 3 (issue 15): a caller's statistic (CPERM_STAT_CALLBACK)
 * and caller-given orders (given_orders).
 *  - A callback computing MNE's one-sample t through the public cperm_ttest_1samp gives
 *    T_obs, clusters, cluster statistics, p-values and every H0 value bit-identical to the
 *    built-in sign-flip kernel: tails -1/0/1, sigma 0 and 1e-3, step-down, max_step 2, an
 *    exclude mask, TFCE exact and MNE 1.3 (also the TFCE map), threads 1 and 2.
 *  - A callback writing mne.stats.f_oneway's formula gives the built-in groups kernel's
 *    results bit for bit; with TFCE (callback only) every H0 entry is the largest TFCE score
 *    (cperm_tfce_scores) of the test's own F of that order's permuted data.
 *  - given_orders = cperm_plan_orders / cperm_plan_label_orders of a seeded plan reproduce
 *    that plan's results exactly (sign flip, groups, repeated-measures F), are what the new
 *    plan reports back, make it non-exact and enter the checkpoint fingerprint.
 *  - Bad given orders fail with CPERM_EINVAL naming the order; a callback returning
 *    non-zero fails with CPERM_ECANCELLED naming the order (or the observed data). */
#include "clusterperm.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NV 24   /* vertices on a chain */
#define NT 5    /* time points */
#define NP (NV * NT)
#define NS 12   /* subjects (sign flip) / observations (groups) */

static double X1[NS * NP];  /* sign-flip data: signal at two blobs */
static double XG[NS * NP];  /* groups data: 5 + 7 observations, group 2 shifted in a blob */
static cperm_graph *G;

static uint64_t lcg_state = 88172645463325252ULL;
static double urand(void) { /* xorshift64 in [0, 1) */
    lcg_state ^= lcg_state << 13;
    lcg_state ^= lcg_state >> 7;
    lcg_state ^= lcg_state << 17;
    return (double)(lcg_state >> 11) / 9007199254740992.0;
}
static double nrand(void) { /* rough normal: sum of uniforms */
    double s = 0;
    for (int i = 0; i < 6; i++) s += urand();
    return s - 3.0;
}

static void make_data(void) {
    for (size_t i = 0; i < NS; i++)
        for (size_t t = 0; t < NT; t++)
            for (size_t v = 0; v < NV; v++) {
                double x = nrand();
                if (v >= 3 && v <= 8 && t >= 1 && t <= 3) x += 1.1;  /* positive blob */
                if (v >= 14 && v <= 18 && t >= 2) x -= 0.9;           /* negative blob */
                X1[i * NP + t * NV + v] = x;
                double y = nrand();
                if (i >= 5 && v >= 9 && v <= 15 && t <= 2) y += 1.6;
                XG[i * NP + t * NV + v] = y;
            }
}

/* ---------------------------------------------------------------- callbacks */

typedef struct t_user {
    double sigma;
    int method;
    size_t calls;
    size_t fail_at;             /* return 7 on this call (1 = the observed data); 0 = never */
    int bad_shape;
} t_user;

static int t_stat(void *user, const double *X, size_t n_rows, size_t n_points, double *out) {
    t_user *u = user;
    u->calls++;
    if (u->fail_at && u->calls == u->fail_at) return 7;
    if (n_rows != NS || n_points != NP) u->bad_shape = 1;
    return cperm_ttest_1samp(out, X, n_rows, n_points, u->sigma, u->method, NULL) ? 3 : 0;
}

static const size_t GSIZES[2] = {5, 7};

/* mne.stats.f_oneway in its order of operations: per group np.sum(a ** 2, axis=0) and
 * np.sum(a, axis=0) (rows added one after another, as numpy reduces the outer axis), their
 * sums over groups (reduce(+)), sstot, ssbn from 0, sswn, msb, msw, f. Group sizes in
 * `user` (a size_t[2]). */
static void f_oneway(const double *X, const size_t *sizes, size_t n_groups, size_t P,
                     double *out) {
    size_t N = 0;
    for (size_t g = 0; g < n_groups; g++) N += sizes[g];
    for (size_t p = 0; p < P; p++) {
        double ss_all = 0, sums[8], tot = 0;
        size_t r = 0;
        for (size_t g = 0; g < n_groups; g++) {
            double s = X[r * P + p], q = X[r * P + p] * X[r * P + p];
            for (size_t i = 1; i < sizes[g]; i++) {
                const double x = X[(r + i) * P + p];
                s = s + x;
                q = q + x * x;
            }
            r += sizes[g];
            sums[g] = s;
            ss_all = g ? ss_all + q : q;
            tot = g ? tot + s : s;
        }
        const double sq_all = tot * tot;
        const double sstot = ss_all - sq_all / (double)N;
        double ssbn = 0;
        for (size_t g = 0; g < n_groups; g++) ssbn += sums[g] * sums[g] / (double)sizes[g];
        ssbn -= sq_all / (double)N;
        const double sswn = sstot - ssbn;
        const double msb = ssbn / (double)(n_groups - 1);
        const double msw = sswn / (double)(N - n_groups);
        out[p] = msb / msw;
    }
}

static int f_stat(void *user, const double *X, size_t n_rows, size_t n_points, double *out) {
    (void)n_rows;
    f_oneway(X, user, 2, n_points, out);
    return 0;
}

/* ----------------------------------------------------------------- helpers */

typedef struct result {
    int rc;
    char msg[512];
    size_t n_orders, n_clusters, n_h0, n_step_downs;
    int exact;
    double tobs[NP], tfce_map[NP];
    int have_tfce_map;
    double *stats, *pvalues, *h0;
    size_t *offsets;
    int64_t *members;
} result;

static void result_free(result *r) {
    free(r->stats);
    free(r->pvalues);
    free(r->h0);
    free(r->offsets);
    free(r->members);
    memset(r, 0, sizeof *r);
}

/* Plans, runs (n_jobs threads) and executes X under o; copies every result. */
static void run_case(result *r, const cperm_options *o, size_t n, const double *X) {
    memset(r, 0, sizeof *r);
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err e = {0};
    r->rc = cperm_plan_create(&plan, G, n, NT, o, &e);
    if (!r->rc) r->rc = cperm_run_create(&run, plan, &e);
    if (!r->rc) r->rc = cperm_plan_execute(plan, X, run, &e);
    if (r->rc) {
        snprintf(r->msg, sizeof r->msg, "%s", e.msg);
        goto done;
    }
    r->n_orders = cperm_plan_n_orders(plan);
    r->exact = cperm_plan_is_exact(plan);
    memcpy(r->tobs, cperm_run_tobs(run), sizeof r->tobs);
    const double *tm = cperm_run_tfce_map(run);
    if (tm) {
        r->have_tfce_map = 1;
        memcpy(r->tfce_map, tm, sizeof r->tfce_map);
    }
    const size_t C = r->n_clusters = cperm_run_n_clusters(run);
    r->n_step_downs = cperm_run_n_step_downs(run);
    const double *h0 = cperm_run_h0(run, &r->n_h0);
    r->h0 = malloc((r->n_h0 + 1) * sizeof *r->h0);
    if (r->n_h0) memcpy(r->h0, h0, r->n_h0 * sizeof *h0);
    r->stats = malloc((C + 1) * sizeof *r->stats);
    r->pvalues = malloc((C + 1) * sizeof *r->pvalues);
    r->offsets = malloc((C + 1) * sizeof *r->offsets);
    if (C) {
        memcpy(r->stats, cperm_run_cluster_stats(run), C * sizeof *r->stats);
        memcpy(r->pvalues, cperm_run_pvalues(run), C * sizeof *r->pvalues);
    }
    size_t total = 0;
    for (size_t c = 0; c < C; c++) {
        size_t m;
        cperm_run_cluster(run, c, &m);
        total += m;
    }
    r->members = malloc((total + 1) * sizeof *r->members);
    r->offsets[0] = 0;
    for (size_t c = 0; c < C; c++) {
        size_t m;
        const int64_t *mem = cperm_run_cluster(run, c, &m);
        memcpy(r->members + r->offsets[c], mem, m * sizeof *mem);
        r->offsets[c + 1] = r->offsets[c] + m;
    }
done:
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* Whether a and b are the same results bit for bit; why not in `why`. */
static int same(const result *a, const result *b, char *why, size_t cap) {
    why[0] = 0;
    if (a->rc || b->rc) {
        snprintf(why, cap, "rc %d (%s) / %d (%s)", a->rc, a->msg, b->rc, b->msg);
        return 0;
    }
    if (a->n_orders != b->n_orders) {
        snprintf(why, cap, "%zu vs %zu orders", a->n_orders, b->n_orders);
        return 0;
    }
    if (memcmp(a->tobs, b->tobs, sizeof a->tobs)) {
        snprintf(why, cap, "T_obs differs");
        return 0;
    }
    if (a->have_tfce_map != b->have_tfce_map ||
        (a->have_tfce_map && memcmp(a->tfce_map, b->tfce_map, sizeof a->tfce_map))) {
        snprintf(why, cap, "TFCE map differs (%d/%d)", a->have_tfce_map, b->have_tfce_map);
        return 0;
    }
    if (a->n_clusters != b->n_clusters || a->n_h0 != b->n_h0 ||
        a->n_step_downs != b->n_step_downs) {
        snprintf(why, cap, "%zu/%zu clusters, %zu/%zu H0, %zu/%zu step-downs", a->n_clusters,
                 b->n_clusters, a->n_h0, b->n_h0, a->n_step_downs, b->n_step_downs);
        return 0;
    }
    const size_t C = a->n_clusters;
    if (C && (memcmp(a->stats, b->stats, C * sizeof *a->stats) ||
              memcmp(a->pvalues, b->pvalues, C * sizeof *a->pvalues) ||
              memcmp(a->offsets, b->offsets, (C + 1) * sizeof *a->offsets) ||
              memcmp(a->members, b->members, a->offsets[C] * sizeof *a->members))) {
        snprintf(why, cap, "cluster statistics, p-values or members differ");
        return 0;
    }
    for (size_t k = 0; k < a->n_h0; k++)
        if (memcmp(&a->h0[k], &b->h0[k], sizeof a->h0[k])) {
            snprintf(why, cap, "H0[%zu] %.17g vs %.17g", k, a->h0[k], b->h0[k]);
            return 0;
        }
    return 1;
}

/* Non-trivial: some clusters, some H0 entries not 0 (else equality proves little). */
static int informative(const result *r) {
    size_t nz = 0;
    for (size_t k = 1; k < r->n_h0; k++) nz += r->h0[k] != 0;
    return r->n_clusters > 0 && nz > 0;
}

static void onesample_options(cperm_options *o, int tail, double thr) {
    cperm_options_init(o, CPERM_OPTIONS_VERSION);
    o->tail = tail;
    o->threshold = thr;
    o->n_permutations = 300;
    o->seed = 42;
}

/* The built-in kernel and the callback on the same options: bit-identical results. */
static void compare_t(const char *name, const cperm_options *base, double sigma, int n_jobs) {
    cperm_options o = *base;
    o.sigma = sigma;
    o.n_jobs = n_jobs;
    result a, b;
    run_case(&a, &o, NS, X1);
    t_user u = {sigma, o.sigma_method, 0, 0, 0};
    o.statistic = CPERM_STAT_CALLBACK;
    o.stat_fn = t_stat;
    o.stat_user = &u;
    run_case(&b, &o, NS, X1);
    char why[1200];
    const int ok = same(&a, &b, why, sizeof why);
    CHECK(name, ok && informative(&a) && !u.bad_shape &&
          u.calls == 1 + a.n_orders * (a.n_step_downs ? a.n_step_downs : 1),
          "%s; %zu clusters, %zu callback calls for %zu orders x %zu passes%s", why,
          a.n_clusters, u.calls, a.n_orders, a.n_step_downs, u.bad_shape ? ", bad shape" : "");
    result_free(&a);
    result_free(&b);
}

static void onesample_cases(void) {
    static const int tails[3] = {-1, 0, 1};
    static const char *names[2][3] = {
        {"callback_t_tail-1", "callback_t_tail0", "callback_t_tail1"},
        {"callback_t_sigma_tail-1", "callback_t_sigma_tail0", "callback_t_sigma_tail1"}};
    cperm_options o;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 3; i++) {
            const int tail = tails[i];
            onesample_options(&o, tail, tail < 0 ? -2.0 : 2.0);
            compare_t(names[s][i], &o, s ? 1e-3 : 0.0, 1);
        }
    onesample_options(&o, 0, 2.0);
    o.step_down_p = 0.3;
    compare_t("callback_t_step_down", &o, 0.0, 1);
    onesample_options(&o, 0, 2.0);
    o.max_step = 2;
    compare_t("callback_t_max_step2", &o, 1e-3, 1);
    static uint8_t excl[NP];
    for (size_t p = 0; p < NP; p++) excl[p] = (p % 7) == 3 || (p / NV == 2 && p % NV == 5);
    onesample_options(&o, 0, 2.0);
    o.exclude = excl;
    compare_t("callback_t_exclude", &o, 0.0, 1);
    onesample_options(&o, 1, 2.0);
    o.tfce = CPERM_TFCE_EXACT;
    o.n_permutations = 120;
    compare_t("callback_t_tfce_exact", &o, 0.0, 1);
    onesample_options(&o, -1, -2.0); /* the corrected rule: p = mean(H0 >= score) */
    o.tfce = CPERM_TFCE_EXACT;
    o.n_permutations = 120;
    compare_t("callback_t_tfce_exact_tail-1", &o, 0.0, 1);
    onesample_options(&o, 0, 2.0);
    o.tfce = CPERM_TFCE_EXACT;
    o.n_permutations = 120;
    o.step_down_p = 0.05;
    compare_t("callback_t_tfce_exact_step_down", &o, 1e-3, 1);
    onesample_options(&o, 0, 2.0);
    o.tfce = CPERM_TFCE_MNE13;
    o.tfce_start = 0.5;
    o.tfce_step = 0.25;
    o.compat = CPERM_COMPAT_MNE13;
    o.n_permutations = 120;
    compare_t("callback_t_tfce_mne13", &o, 0.0, 1);
    onesample_options(&o, -1, -2.0);
    o.tfce = CPERM_TFCE_MNE13;
    o.tfce_start = 0.0;
    o.tfce_step = -0.25;
    o.n_permutations = 120;
    compare_t("callback_t_tfce_mne13_tail-1", &o, 0.0, 1);
    /* threads: the built-in kernel with 2 threads, the callback with 2 threads */
    onesample_options(&o, 0, 2.0);
    o.step_down_p = 0.3;
    compare_t("callback_t_threads2", &o, 1e-3, 2);
    onesample_options(&o, 0, 2.0);
    o.tfce = CPERM_TFCE_EXACT;
    o.n_permutations = 60;
    compare_t("callback_t_tfce_threads2", &o, 0.0, 2);
}

/* ------------------------------------------------------------------- groups */

static void groups_options(cperm_options *o, int tail, double thr) {
    cperm_options_init(o, CPERM_OPTIONS_VERSION);
    o->design = CPERM_DESIGN_GROUPS;
    o->n_groups = 2;
    o->group_sizes = GSIZES;
    o->tail = tail;
    o->threshold = thr;
    o->n_permutations = 200;
    o->seed = 7;
}

static void groups_cases(void) {
    cperm_options o;
    result a, b;
    char why[1200];
    static const char *names[3] = {"callback_f_groups", "callback_f_groups_step_down",
                                   "callback_f_groups_max_step2"};
    for (int c = 0; c < 3; c++) {
        groups_options(&o, 1, 4.0);
        if (c == 1) o.step_down_p = 0.2;
        if (c == 2) o.max_step = 2;
        run_case(&a, &o, NS, XG);
        o.statistic = CPERM_STAT_CALLBACK;
        o.stat_fn = f_stat;
        o.stat_user = (void *)GSIZES;
        run_case(&b, &o, NS, XG);
        const int ok = same(&a, &b, why, sizeof why);
        CHECK(names[c], ok && informative(&a), "%s; %zu clusters", why, a.n_clusters);
        result_free(&a);
        result_free(&b);
    }
    /* threads 1 and 2 of the callback: the same */
    groups_options(&o, 1, 4.0);
    o.statistic = CPERM_STAT_CALLBACK;
    o.stat_fn = f_stat;
    o.stat_user = (void *)GSIZES;
    run_case(&a, &o, NS, XG);
    o.n_jobs = 2;
    run_case(&b, &o, NS, XG);
    CHECK("callback_f_threads", same(&a, &b, why, sizeof why) && informative(&a), "%s", why);
    result_free(&a);
    result_free(&b);

    /* TFCE of groups (callback only; the built-in groups kernel refuses it): every H0 entry
     * is the largest score of the test's own F of X[order] (cperm_tfce_scores on the
     * plan), H0[0] the largest observed score, p = mean(H0 >= score) */
    groups_options(&o, 1, 0.0);
    o.statistic = CPERM_STAT_CALLBACK;
    o.stat_fn = f_stat;
    o.stat_user = (void *)GSIZES;
    o.tfce = CPERM_TFCE_EXACT;
    o.n_permutations = 60;
    {
        cperm_plan *plan = NULL;
        cperm_run *run = NULL;
        cperm_err e = {0};
        int rc = cperm_plan_create(&plan, G, NS, NT, &o, &e);
        if (!rc) rc = cperm_run_create(&run, plan, &e);
        if (!rc) rc = cperm_plan_execute(plan, XG, run, &e);
        size_t bad = SIZE_MAX, nh = 0, nonzero = 0;
        double got = 0, want = 0;
        int pv_ok = 0, tobs_ok = 0;
        if (!rc) {
            const size_t N = cperm_plan_n_orders(plan);
            const double *h0 = cperm_run_h0(run, &nh);
            uint32_t *orders = malloc(N * NS * sizeof *orders);
            double *perm = malloc(NS * NP * sizeof *perm), f[NP], sc[NP], obs[NP];
            rc = cperm_plan_label_orders(plan, 0, N, orders, &e);
            f_oneway(XG, GSIZES, 2, NP, obs);
            tobs_ok = !memcmp(obs, cperm_run_tobs(run), sizeof obs);
            for (size_t k = 0; !rc && k < N && bad == SIZE_MAX; k++) {
                for (size_t i = 0; i < NS; i++)
                    memcpy(perm + i * NP, XG + (size_t)orders[k * NS + i] * NP,
                           NP * sizeof *perm);
                f_oneway(perm, GSIZES, 2, NP, f);
                rc = cperm_tfce_scores(plan, f, sc, &e);
                double mx = sc[0];
                for (size_t p = 1; p < NP; p++) mx = sc[p] > mx ? sc[p] : mx;
                nonzero += mx != 0;
                if (rc || nh != N + 1 || memcmp(&mx, &h0[1 + k], sizeof mx)) {
                    bad = k;
                    got = nh == N + 1 ? h0[1 + k] : NAN;
                    want = mx;
                }
            }
            /* observed scores and p-values: by the histogram rule on H0 */
            if (!rc && bad == SIZE_MAX) {
                const double *st = cperm_run_cluster_stats(run), *pv = cperm_run_pvalues(run);
                rc = cperm_tfce_scores(plan, obs, sc, &e);
                double mx = sc[0];
                for (size_t p = 1; p < NP; p++) mx = sc[p] > mx ? sc[p] : mx;
                pv_ok = cperm_run_n_clusters(run) == NP && !memcmp(st, sc, sizeof sc) &&
                        h0[0] == mx;
                for (size_t p = 0; pv_ok && p < NP; p++) {
                    size_t cnt = 0;
                    for (size_t k = 0; k < nh; k++) cnt += h0[k] >= st[p];
                    pv_ok = pv[p] == (double)cnt / (double)nh;
                }
                pv_ok = pv_ok && cperm_run_tfce_map(run) != NULL;
            }
            free(orders);
            free(perm);
        }
        CHECK("callback_f_groups_tfce_h0", !rc && bad == SIZE_MAX && nonzero > 0 && tobs_ok,
              "rc %d (%s), order %zu: H0 %.17g, want %.17g, %zu non-zero, tobs %d", rc, e.msg,
              bad, got, want, nonzero, tobs_ok);
        CHECK("callback_f_groups_tfce_pvalues", pv_ok, "observed scores, H0[0] or p-values");
        cperm_run_free(run);
        cperm_plan_free(plan);
    }
    /* the built-in groups kernel still refuses TFCE */
    groups_options(&o, 1, 0.0);
    o.tfce = CPERM_TFCE_EXACT;
    {
        cperm_plan *plan = NULL;
        cperm_err e = {0};
        int rc = cperm_plan_create(&plan, G, NS, NT, &o, &e);
        CHECK("builtin_groups_tfce_refused", rc == CPERM_EUNSUPPORTED, "rc %d", rc);
        cperm_plan_free(plan);
    }
}

/* ------------------------------------------------------------ given orders */

static void given_cases(void) {
    char why[1200];
    result a, b;
    cperm_options o;
    /* sign flip: a seeded plan, its orders given back */
    onesample_options(&o, 0, 2.0);
    o.step_down_p = 0.3;
    o.sigma = 1e-3;
    {
        cperm_plan *plan = NULL;
        cperm_err e = {0};
        int rc = cperm_plan_create(&plan, G, NS, NT, &o, &e);
        const size_t N = rc ? 0 : cperm_plan_n_orders(plan);
        uint8_t *ord = malloc(N * NS + 1), *back = malloc(N * NS + 1);
        if (!rc) rc = cperm_plan_orders(plan, 0, N, ord, &e);
        cperm_plan_free(plan);
        run_case(&a, &o, NS, X1);
        cperm_options g = o;
        g.given_orders = ord;
        g.n_given_orders = N;
        g.seed = 999;             /* unused */
        g.n_permutations = 5;     /* unused */
        run_case(&b, &g, NS, X1);
        CHECK("given_signflip_reproduces", !rc && same(&a, &b, why, sizeof why) &&
              informative(&a) && !b.exact, "rc %d, %s", rc, why);
        /* the plan reports them back, and callback + given = built-in + drawn */
        plan = NULL;
        rc = cperm_plan_create(&plan, G, NS, NT, &g, &e);
        if (!rc) rc = cperm_plan_orders(plan, 0, N, back, &e);
        CHECK("given_signflip_orders_back", !rc && cperm_plan_n_orders(plan) == N &&
              !cperm_plan_is_exact(plan) && !memcmp(ord, back, N * NS), "rc %d (%s)", rc,
              e.msg);
        cperm_plan_free(plan);
        t_user u = {1e-3, CPERM_SIGMA_RELATIVE, 0, 0, 0};
        g.statistic = CPERM_STAT_CALLBACK;
        g.stat_fn = t_stat;
        g.stat_user = &u;
        result c;
        run_case(&c, &g, NS, X1);
        CHECK("given_signflip_callback", same(&a, &c, why, sizeof why), "%s", why);
        result_free(&c);
        free(ord);
        free(back);
        result_free(&a);
        result_free(&b);
    }
    /* more orders than one window (1024) holds: windows past the first */
    onesample_options(&o, 1, 2.0);
    o.n_permutations = 2500;
    {
        cperm_plan *plan = NULL;
        cperm_err e = {0};
        int rc = cperm_plan_create(&plan, G, NS, NT, &o, &e);
        const size_t N = rc ? 0 : cperm_plan_n_orders(plan);
        uint8_t *ord = malloc(N * NS + 1);
        if (!rc) rc = cperm_plan_orders(plan, 0, N, ord, &e);
        cperm_plan_free(plan);
        run_case(&a, &o, NS, X1);
        cperm_options g = o;
        g.given_orders = ord;
        g.n_given_orders = N;
        run_case(&b, &g, NS, X1);
        CHECK("given_signflip_windows", !rc && N == 2499 && same(&a, &b, why, sizeof why) &&
              informative(&a), "rc %d, %zu orders, %s", rc, N, why);
        free(ord);
        result_free(&a);
        result_free(&b);
    }
    /* groups: the label orders given back */
    groups_options(&o, 1, 4.0);
    o.step_down_p = 0.2;
    {
        cperm_plan *plan = NULL;
        cperm_err e = {0};
        int rc = cperm_plan_create(&plan, G, NS, NT, &o, &e);
        const size_t N = rc ? 0 : cperm_plan_n_orders(plan);
        uint32_t *ord = malloc((N * NS + 1) * sizeof *ord), *back = malloc((N * NS + 1) * 4);
        if (!rc) rc = cperm_plan_label_orders(plan, 0, N, ord, &e);
        cperm_plan_free(plan);
        run_case(&a, &o, NS, XG);
        cperm_options g = o;
        g.given_orders = ord;
        g.n_given_orders = N;
        g.seed = 1;
        run_case(&b, &g, NS, XG);
        CHECK("given_groups_reproduces", !rc && same(&a, &b, why, sizeof why) &&
              informative(&a), "rc %d, %s", rc, why);
        plan = NULL;
        rc = cperm_plan_create(&plan, G, NS, NT, &g, &e);
        if (!rc) rc = cperm_plan_label_orders(plan, 0, N, back, &e);
        CHECK("given_groups_orders_back", !rc && cperm_plan_n_orders(plan) == N &&
              !memcmp(ord, back, N * NS * sizeof *ord), "rc %d (%s)", rc, e.msg);
        /* the fingerprint covers the orders: a checkpoint of one plan's run is refused by
         * a plan with one order changed (two rows swapped) */
        cperm_run *r1 = NULL, *r2 = NULL;
        cperm_plan *plan2 = NULL;
        uint32_t tmp = ord[3 * NS];
        ord[3 * NS] = ord[3 * NS + 1];
        ord[3 * NS + 1] = tmp;
        int rc2 = rc ? rc : cperm_plan_create(&plan2, G, NS, NT, &g, &e);
        ord[3 * NS + 1] = ord[3 * NS];
        ord[3 * NS] = tmp;
        size_t need = 0;
        void *blob = NULL;
        if (!rc2) rc2 = cperm_run_create(&r1, plan, &e);
        if (!rc2) rc2 = cperm_plan_execute(plan, XG, r1, &e);
        if (!rc2) {
            need = cperm_run_checkpoint(r1, NULL, 0);
            blob = malloc(need);
            cperm_run_checkpoint(r1, blob, need);
            rc2 = cperm_run_create(&r2, plan2, &e);
        }
        int mismatch = -100, same_plan = -100;
        if (!rc2) {
            rc2 = cperm_run_restore(r2, blob, need, &e);
            if (!rc2) mismatch = cperm_plan_execute(plan2, XG, r2, &e);
            cperm_run_free(r2);
            r2 = NULL;
            if (!rc2) rc2 = cperm_run_create(&r2, plan, &e);
            if (!rc2) rc2 = cperm_run_restore(r2, blob, need, &e);
            if (!rc2) same_plan = cperm_plan_execute(plan, XG, r2, &e);
        }
        CHECK("given_orders_in_fingerprint", !rc2 && mismatch == CPERM_EMISMATCH &&
              same_plan == CPERM_OK, "rc %d, other orders %d, same %d (%s)", rc2, mismatch,
              same_plan, e.msg);
        free(blob);
        cperm_run_free(r1);
        cperm_run_free(r2);
        cperm_plan_free(plan2);
        cperm_plan_free(plan);
        free(ord);
        free(back);
        result_free(&a);
        result_free(&b);
    }
    /* repeated-measures F (within-subject scheme): 3 cells x 4 subjects = NS rows */
    {
        static const size_t levels[1] = {3};
        cperm_options_init(&o, CPERM_OPTIONS_VERSION);
        o.design = CPERM_DESIGN_GROUPS;
        o.statistic = CPERM_STAT_F_MWAY_RM;
        o.rm_n_factors = 1;
        o.rm_factor_levels = levels;
        o.rm_effect = 1;
        o.tail = 1;
        o.threshold = 3.0;
        o.n_permutations = 150;
        o.seed = 3;
        cperm_plan *plan = NULL;
        cperm_err e = {0};
        int rc = cperm_plan_create(&plan, G, NS, NT, &o, &e);
        const size_t N = rc ? 0 : cperm_plan_n_orders(plan);
        uint32_t *ord = malloc((N * NS + 1) * sizeof *ord);
        if (!rc) rc = cperm_plan_label_orders(plan, 0, N, ord, &e);
        cperm_plan_free(plan);
        run_case(&a, &o, NS, XG);
        cperm_options g = o;
        g.given_orders = ord;
        g.n_given_orders = N;
        run_case(&b, &g, NS, XG);
        CHECK("given_rm_reproduces", !rc && same(&a, &b, why, sizeof why) && informative(&a),
              "rc %d (%s), %s", rc, e.msg, why);
        free(ord);
        result_free(&a);
        result_free(&b);
    }
}

/* -------------------------------------------------------------- refusals */

static int plan_rc(const cperm_options *o, cperm_err *e) {
    cperm_plan *plan = NULL;
    memset(e, 0, sizeof *e);
    int rc = cperm_plan_create(&plan, G, NS, NT, o, e);
    cperm_plan_free(plan);
    return rc;
}

static void refusal_cases(void) {
    cperm_options o;
    cperm_err e;
    static uint8_t signs[6 * NS];
    static uint32_t labels[6 * NS];
    for (size_t k = 0; k < 6; k++)
        for (size_t i = 0; i < NS; i++) {
            signs[k * NS + i] = (uint8_t)((k + i) & 1);
            labels[k * NS + i] = (uint32_t)((i + k) % NS);
        }
    onesample_options(&o, 0, 2.0);
    o.given_orders = signs;
    o.n_given_orders = 6;
    int rc = plan_rc(&o, &e);
    CHECK("given_signs_ok", rc == CPERM_OK, "rc %d (%s)", rc, e.msg);
    signs[3 * NS + 5] = 2;
    rc = plan_rc(&o, &e);
    CHECK("given_signs_bad_byte", rc == CPERM_EINVAL && strstr(e.msg, "given order 3"),
          "rc %d (%s)", rc, e.msg);
    signs[3 * NS + 5] = 1;
    o.n_given_orders = 0;
    rc = plan_rc(&o, &e);
    CHECK("given_zero_orders", rc == CPERM_EINVAL, "rc %d (%s)", rc, e.msg);
    o.given_orders = NULL;
    o.n_given_orders = 4;
    rc = plan_rc(&o, &e);
    CHECK("given_null_orders", rc == CPERM_EINVAL, "rc %d (%s)", rc, e.msg);
    groups_options(&o, 1, 4.0);
    o.given_orders = labels;
    o.n_given_orders = 6;
    rc = plan_rc(&o, &e);
    CHECK("given_labels_ok", rc == CPERM_OK, "rc %d (%s)", rc, e.msg);
    /* seed and n_permutations are unused with given orders: 'all' (refused for label
     * shuffles) and 0 (refused when drawing) are accepted */
    o.n_permutations = CPERM_PERMUTATIONS_ALL;
    rc = plan_rc(&o, &e);
    CHECK("given_labels_n_permutations_unused", rc == CPERM_OK, "rc %d (%s)", rc, e.msg);
    o.n_permutations = 0;
    rc = plan_rc(&o, &e);
    CHECK("given_labels_n_permutations_0", rc == CPERM_OK, "rc %d (%s)", rc, e.msg);
    o.n_permutations = 200;
    labels[5 * NS + 2] = labels[5 * NS + 7]; /* a repeated index */
    rc = plan_rc(&o, &e);
    CHECK("given_labels_repeated", rc == CPERM_EINVAL && strstr(e.msg, "given order 5"),
          "rc %d (%s)", rc, e.msg);
    labels[5 * NS + 2] = NS; /* out of range */
    rc = plan_rc(&o, &e);
    CHECK("given_labels_out_of_range", rc == CPERM_EINVAL && strstr(e.msg, "given order 5"),
          "rc %d (%s)", rc, e.msg);
    /* a callback statistic needs its function */
    onesample_options(&o, 0, 2.0);
    o.statistic = CPERM_STAT_CALLBACK;
    rc = plan_rc(&o, &e);
    CHECK("callback_needs_fn", rc == CPERM_EINVAL, "rc %d (%s)", rc, e.msg);
    /* a callback returning non-zero: ECANCELLED naming the order (call 4 = order 2) or the
     * observed data (call 1) */
    t_user u = {0.0, CPERM_SIGMA_RELATIVE, 0, 4, 0};
    o.stat_fn = t_stat;
    o.stat_user = &u;
    result r;
    run_case(&r, &o, NS, X1);
    CHECK("callback_fails_order", r.rc == CPERM_ECANCELLED && strstr(r.msg, "order 2 ") &&
          u.calls == 4, "rc %d (%s), %zu calls", r.rc, r.msg, u.calls);
    result_free(&r);
    u.calls = 0;
    u.fail_at = 1;
    run_case(&r, &o, NS, X1);
    CHECK("callback_fails_observed", r.rc == CPERM_ECANCELLED && strstr(r.msg, "observed") &&
          u.calls == 1, "rc %d (%s), %zu calls", r.rc, r.msg, u.calls);
    result_free(&r);
    /* X with a NaN is refused before the callback sees it */
    u.calls = 0;
    u.fail_at = 0;
    X1[17] = NAN;
    run_case(&r, &o, NS, X1);
    X1[17] = 0.25;
    CHECK("callback_nonfinite_refused", r.rc == CPERM_EINVAL && u.calls == 0, "rc %d, %zu calls",
          r.rc, u.calls);
    result_free(&r);
}

/* ------------------------------------------------------------ struct versions */

#if defined(__GNUC__)
/* the fields are reached through the current struct's type, as the library does once it has
 * read `version`: only version-2 fields are touched, which GCC cannot tell */
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif

static void version_cases(void) {
    /* a version-2 struct ends before given_orders: a plan reads only its bytes (the
     * sanitizer run catches an over-read) and draws orders from the seed */
    cperm_options *v2 = malloc(CPERM_OPTIONS_V2_SIZE);
    int rc = cperm_options_init(v2, 2);
    v2->threshold = 2.0;
    v2->n_permutations = 50;
    cperm_options v3;
    cperm_options_init(&v3, 3);
    v3.threshold = 2.0;
    v3.n_permutations = 50;
    result a, b;
    run_case(&a, v2, NS, X1);
    run_case(&b, &v3, NS, X1);
    char why[1200];
    CHECK("options_v2_struct", rc == CPERM_OK && v2->version == 2 &&
          same(&a, &b, why, sizeof why), "rc %d, %s", rc, why);
    free(v2);
    result_free(&a);
    result_free(&b);
    CHECK("options_v3_defaults", v3.version == 3 && !v3.given_orders && !v3.n_given_orders &&
          !v3.stat_fn && !v3.stat_user, "version-3 defaults");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* a crash keeps the lines before it */
    int64_t edges[2 * (NV - 1)];
    for (size_t v = 0; v + 1 < NV; v++) {
        edges[2 * v] = (int64_t)v;
        edges[2 * v + 1] = (int64_t)v + 1;
    }
    cperm_err e = {0};
    if (cperm_graph_from_edges(&G, NV, edges, NV - 1, &e)) {
        TU_FAIL("graph", "%s", e.msg);
        TU_EXIT();
    }
    make_data();
    onesample_cases();
    groups_cases();
    given_cases();
    refusal_cases();
    version_cases();
    cperm_graph_free(G);
    TU_EXIT();
}
