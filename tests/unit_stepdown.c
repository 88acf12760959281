/* unit_stepdown.c - what cperm_run_step_down_removed reports per step-down pass, for
 * clusters and for TFCE (where each point is a "cluster"): every pass but the last excluded
 * at least one more, the last none, and together they are exactly the clusters/points with
 * p < step_down_p; an uninterrupted run computes passes x n_orders permutations; a TFCE run
 * resumed in a later pass keeps the earlier passes' counts and computes only the rest.
 * tests/cli_valgrind.sh runs this under valgrind too (the TFCE counts were once never
 * written). */
#include "chaintest.h"
#include "clusterperm.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define V 30
#define T 8
#define N_SUBJ 16

/* a strong effect, and a weaker one that only step-down finds */
static const chain_effect EFFECTS[2] = {{8, 16, 2, 6, 0.9}, {20, 24, 3, 6, 0.45}};

/* Checks the per-pass counts of a finished run against its final p-values. */
static void check_passes(const char *nm, const cperm_run *run, const cperm_plan *plan,
                         size_t n_tests, double step_down_p, size_t min_passes) {
    char name[96];
    const size_t S = cperm_run_n_step_downs(run), N = cperm_plan_n_orders(plan);
    const double *pv = cperm_run_pvalues(run);
    size_t n_sig = 0, sum = 0;
    for (size_t c = 0; pv && c < n_tests; c++) n_sig += pv[c] < step_down_p;
    int shape_ok = S >= min_passes;
    for (size_t q = 0; q < S; q++) {
        size_t m = cperm_run_step_down_removed(run, q);
        shape_ok &= q + 1 < S ? m > 0 : m == 0;
        sum += m;
    }
    snprintf(name, sizeof name, "%s.passes", nm);
    CHECK(name, shape_ok, "%zu passes (want >= %zu), removed %zu, %zu, %zu", S, min_passes,
          cperm_run_step_down_removed(run, 0), cperm_run_step_down_removed(run, 1),
          cperm_run_step_down_removed(run, 2));
    snprintf(name, sizeof name, "%s.removed_add_up", nm);
    CHECK(name, sum == n_sig && n_sig > 0, "the passes removed %zu, %zu have p < %g", sum, n_sig,
          step_down_p);
    snprintf(name, sizeof name, "%s.past_last_pass_is_0", nm);
    CHECK(name, cperm_run_step_down_removed(run, S) == 0 && cperm_run_step_down_removed(run, 1000) == 0,
          "got %zu", cperm_run_step_down_removed(run, S));
    snprintf(name, sizeof name, "%s.computed_every_pass", nm);
    CHECK(name, cperm_run_n_executed(run) == S * N, "computed %zu, want %zu x %zu",
          cperm_run_n_executed(run), S, N);
}

int main(void) {
    const size_t P = V * T;
    double *X = chain_data(N_SUBJ, V, T, 777, EFFECTS);
    cperm_err err = {0};
    cperm_graph *g = NULL;
    int rc = chain_graph(&g, V, &err);
    CHECK("stepdown.setup", rc == 0 && X, "%s", err.msg);
    if (rc || !X) TU_EXIT();

    /* clusters */
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 2.0;
    o.n_permutations = 500;
    o.step_down_p = 0.05;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    rc = cperm_plan_create(&plan, g, N_SUBJ, T, &o, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    if (!rc) rc = cperm_plan_execute(plan, X, run, &err);
    CHECK("stepdown.clusters.run", rc == 0, "%s", err.msg);
    if (!rc) check_passes("stepdown.clusters", run, plan, cperm_run_n_clusters(run), 0.05, 2);
    cperm_run_free(run);
    cperm_plan_free(plan);

    /* TFCE, exact, two-sided: the points are the "clusters" */
    cperm_options ot = CPERM_OPTIONS_INIT;
    ot.tfce = CPERM_TFCE_EXACT;
    ot.n_permutations = 500;
    ot.step_down_p = 0.05;
    ot.n_jobs = 2;
    plan = NULL;
    run = NULL;
    rc = cperm_plan_create(&plan, g, N_SUBJ, T, &ot, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    if (!rc) rc = cperm_plan_execute(plan, X, run, &err);
    CHECK("stepdown.tfce.run", rc == 0, "%s", err.msg);
    if (rc) TU_EXIT();
    check_passes("stepdown.tfce", run, plan, P, 0.05, 2);

    /* TFCE resumed in its second pass: pass 1's count comes from the checkpoint */
    chain_saver s = {NULL, 1, NULL, 0, 0};
    cperm_options os = ot;
    os.progress = chain_save_and_stop;
    os.progress_user = &s;
    cperm_plan *splan = NULL;
    cperm_run *cut = NULL, *res = NULL;
    rc = cperm_plan_create(&splan, g, N_SUBJ, T, &os, &err);
    if (!rc) rc = cperm_run_create(&cut, splan, &err);
    s.run = cut;
    if (!rc) rc = cperm_plan_execute(splan, X, cut, &err);
    const size_t N = cperm_plan_n_orders(plan), S = cperm_run_n_step_downs(run);
    CHECK("stepdown.tfce.interrupted_in_pass2",
          rc == CPERM_ECANCELLED && s.blob && s.saved_done > 0 && s.saved_done < N &&
              cperm_run_n_executed(cut) == N + s.saved_done,
          "rc %d, saved at %zu, executed %zu", rc, s.saved_done, cperm_run_n_executed(cut));
    rc = s.blob ? 0 : -1;
    if (!rc) rc = cperm_run_create(&res, plan, &err);
    if (!rc) rc = cperm_run_restore(res, s.blob, s.blob_size, &err);
    int pass = -1;
    CHECK("stepdown.tfce.restored", rc == 0 && cperm_run_n_restored(res, &pass) == s.saved_done &&
                                        pass == 1,
          "rc %d %s, pass %d", rc, err.msg, pass);
    if (!rc) rc = cperm_plan_execute(plan, X, res, &err);
    CHECK("stepdown.tfce.resumed", rc == 0, "%s", err.msg);
    if (!rc) {
        int same = cperm_run_n_step_downs(res) == S;
        for (size_t q = 0; same && q < S; q++)
            same = cperm_run_step_down_removed(res, q) == cperm_run_step_down_removed(run, q);
        CHECK("stepdown.tfce.resumed_same_passes", same, "%zu passes, pass 1 removed %zu vs %zu",
              cperm_run_n_step_downs(res), cperm_run_step_down_removed(res, 0),
              cperm_run_step_down_removed(run, 0));
        CHECK("stepdown.tfce.resumed_same_pvalues",
              !memcmp(cperm_run_tfce_pvalues(res), cperm_run_tfce_pvalues(run), P * sizeof(double)),
              "p-values differ");
        const size_t want = (N - s.saved_done) + (S - 2) * N;
        CHECK("stepdown.tfce.resumed_computed_only_the_rest", cperm_run_n_executed(res) == want,
              "computed %zu, want %zu (%zu of %zu were restored in pass 2 of %zu)",
              cperm_run_n_executed(res), want, s.saved_done, N, S);
    }
    free(s.blob);
    cperm_run_free(cut);
    cperm_run_free(res);
    cperm_plan_free(splan);
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(g);
    free(X);
    TU_EXIT();
}
