/* unit_runopts.c - a run's own threads and progress callback (cperm_run_set_threads,
 * cperm_run_set_progress): for cluster mass, TFCE and the groups kernel, a run switched
 * between thread counts gives H0 byte-identical to a fresh one-thread run; each run calls its
 * own callback; threads cannot change mid-pass. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define NS 12
#define NT 4
#define NV 10

static int count_calls(void *user, size_t done, size_t total, int pass) {
    (void)done;
    (void)total;
    (void)pass;
    ++*(int *)user;
    return 0;
}

static void one_kind(const char *name, cperm_graph *g, const double *X, cperm_options o) {
    char n[128];
    cperm_plan *plan = NULL;
    cperm_run *ref = NULL, *run = NULL;
    cperm_err e = {0};
    o.n_jobs = 1;
    int rc = cperm_plan_create(&plan, g, NS, NT, &o, &e);
    if (!rc) rc = cperm_run_create(&ref, plan, &e);
    if (!rc) rc = cperm_run_create(&run, plan, &e);
    if (!rc) rc = cperm_plan_execute(plan, X, ref, &e);
    snprintf(n, sizeof n, "runopts.%s.setup", name);
    CHECK(n, rc == 0, "rc %d: %s", rc, e.msg);
    if (rc) goto done;
    size_t nref = 0;
    const double *href = cperm_run_h0(ref, &nref);
    int calls_a = 0, calls_b = 0;
    cperm_run_set_progress(run, count_calls, &calls_a);
    cperm_run_set_progress(ref, count_calls, &calls_b);
    for (int jobs = 2; jobs >= 1; jobs--) {
        rc = cperm_run_set_threads(run, jobs, &e);
        if (!rc) rc = cperm_plan_execute(plan, X, run, &e);
        size_t nh = 0;
        const double *h = rc ? NULL : cperm_run_h0(run, &nh);
        snprintf(n, sizeof n, "runopts.%s.threads_%d_identical", name, jobs);
        CHECK(n, !rc && cperm_run_threads(run) == jobs && nh == nref && nh > 1 &&
              !memcmp(h, href, nh * sizeof *h) &&
              !memcmp(cperm_run_pvalues(run), cperm_run_pvalues(ref),
                      cperm_run_n_clusters(ref) * sizeof(double)),
              "rc %d (%s), %zu vs %zu H0 entries", rc, e.msg, nh, nref);
    }
    snprintf(n, sizeof n, "runopts.%s.own_progress", name);
    CHECK(n, calls_a >= 4 && calls_b == 0, "run's callback %d calls, other run's %d", calls_a,
          calls_b);
    rc = cperm_run_begin(plan, X, run, &e);
    int mid = cperm_run_set_threads(run, 2, &e);
    snprintf(n, sizeof n, "runopts.%s.no_change_mid_pass", name);
    CHECK(n, rc == 0 && mid == CPERM_EINVAL && cperm_run_threads(run) == 1, "rc %d, set %d", rc,
          mid);
done:
    cperm_run_free(ref);
    cperm_run_free(run);
    cperm_plan_free(plan);
}

int main(void) {
    int64_t edges[2 * (NV - 1)];
    for (int v = 0; v < NV - 1; v++) {
        edges[2 * v] = v;
        edges[2 * v + 1] = v + 1;
    }
    cperm_graph *g = NULL;
    cperm_err e = {0};
    if (cperm_graph_from_edges(&g, NV, edges, NV - 1, &e)) {
        TU_FAIL("runopts.graph", "%s", e.msg);
        TU_EXIT();
    }
    /* deterministic data with an effect in vertices 2-5 of the later subjects */
    static double X[NS * NT * NV];
    uint64_t s = 12345;
    for (size_t i = 0; i < sizeof X / sizeof X[0]; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        size_t subj = i / (NT * NV), v = i % NV;
        X[i] = u + ((v >= 2 && v <= 5) ? (subj >= 5 ? 0.6 : 0.2) : 0.0);
    }
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.threshold = 1.5;
    o.n_permutations = 300;
    one_kind("mass", g, X, o);
    cperm_options t = o;
    t.tfce = CPERM_TFCE_EXACT;
    one_kind("tfce", g, X, t);
    const size_t sizes[2] = {5, 7};
    cperm_options f = o;
    f.design = CPERM_DESIGN_GROUPS;
    f.n_groups = 2;
    f.group_sizes = sizes;
    f.tail = 1;
    f.threshold = 3.0;
    one_kind("groups", g, X, f);
    cperm_graph_free(g);
    TU_EXIT();
}
