/* unit_checkpoint.c - an execute interrupted between chunks resumes from its checkpoint to
 * results identical to an uninterrupted run; a checkpoint of other data is refused. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    cperm_run *run;
    size_t stop_at;
    unsigned char *blob;
    size_t blob_size;
} saver;

static int save_and_stop(void *user, size_t done, size_t total, int pass) {
    saver *s = user;
    (void)total; (void)pass;
    if (done < s->stop_at) return 0;
    s->blob_size = cperm_run_checkpoint(s->run, NULL, 0);
    s->blob = malloc(s->blob_size);
    cperm_run_checkpoint(s->run, s->blob, s->blob_size);
    return 1; /* cancel, as a SIGTERM handler would */
}

int main(void) {
    /* chain of 30 vertices x 8 times, 16 subjects, an effect in the middle */
    const size_t V = 30, T = 8, n = 16, P = V * T;
    int64_t edges[2 * 29];
    for (size_t v = 0; v + 1 < V; v++) { edges[2 * v] = (int64_t)v; edges[2 * v + 1] = (int64_t)v + 1; }
    double *X = malloc(n * P * sizeof *X);
    uint64_t st = 12345;
    for (size_t i = 0; i < n * P; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = ((double)(st >> 11) / 9007199254740992.0 - 0.5) * 2.0;
        size_t p = i % P;
        if (p % V > 8 && p % V < 16 && p / V > 2 && p / V < 6) X[i] += 0.9;
    }
    cperm_err err = {0};
    cperm_graph *g = NULL;
    cperm_graph_from_edges(&g, V, edges, V - 1, &err);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 2.0;
    o.n_permutations = 3000;
    o.step_down_p = 0.05;
    o.n_jobs = 2;
    cperm_plan *plan = NULL;
    cperm_run *ref = NULL, *cut = NULL, *res = NULL;
    int rc = cperm_plan_create(&plan, g, n, T, &o, &err);
    CHECK("checkpoint.plan", rc == 0, "%s", err.msg);
    if (rc) TU_EXIT();
    cperm_run_create(&ref, plan, &err);
    rc = cperm_plan_execute(plan, X, ref, &err);
    CHECK("checkpoint.reference_run", rc == 0 && cperm_run_n_clusters(ref) > 0, "%s", err.msg);
    size_t nh = 0;
    const double *h0 = cperm_run_h0(ref, &nh);

    /* an interrupted run: the callback saves after the first chunk and cancels */
    saver s = {NULL, 1, NULL, 0};
    cperm_options o2 = o;
    o2.progress = save_and_stop;
    o2.progress_user = &s;
    cperm_plan *plan2 = NULL;
    cperm_plan_create(&plan2, g, n, T, &o2, &err);
    cperm_run_create(&cut, plan2, &err);
    s.run = cut;
    rc = cperm_plan_execute(plan2, X, cut, &err);
    CHECK("checkpoint.cancel_returns_cancelled", rc == CPERM_ECANCELLED, "rc %d", rc);
    CHECK("checkpoint.blob_written", s.blob && s.blob_size > 48, "size %zu", s.blob_size);

    /* resume in a fresh run of the plain plan */
    cperm_run_create(&res, plan, &err);
    rc = cperm_run_restore(res, s.blob, s.blob_size, &err);
    CHECK("checkpoint.restore", rc == 0, "%s", err.msg);
    rc = cperm_plan_execute(plan, X, res, &err);
    CHECK("checkpoint.resume_runs", rc == 0, "%s", err.msg);
    size_t nh2 = 0;
    const double *h0b = cperm_run_h0(res, &nh2);
    CHECK("checkpoint.h0_identical", nh == nh2 && h0b && memcmp(h0, h0b, nh * sizeof *h0) == 0,
          "n %zu vs %zu", nh, nh2);
    size_t C = cperm_run_n_clusters(ref);
    CHECK("checkpoint.pvalues_identical",
          C == cperm_run_n_clusters(res) &&
              memcmp(cperm_run_pvalues(ref), cperm_run_pvalues(res), C * sizeof(double)) == 0,
          "clusters %zu", C);
    CHECK("checkpoint.step_downs_identical",
          cperm_run_n_step_downs(ref) == cperm_run_n_step_downs(res), "%zu vs %zu",
          cperm_run_n_step_downs(ref), cperm_run_n_step_downs(res));

    /* other data: refused */
    cperm_run *other = NULL;
    cperm_run_create(&other, plan, &err);
    cperm_run_restore(other, s.blob, s.blob_size, &err);
    X[7] += 1e-9;
    rc = cperm_plan_execute(plan, X, other, &err);
    CHECK("checkpoint.other_data_refused", rc == CPERM_EMISMATCH && strstr(err.msg, "checkpoint"),
          "rc %d %s", rc, err.msg);
    /* corrupt blobs: refused */
    s.blob[0] ^= 1;
    CHECK("checkpoint.bad_magic", cperm_run_restore(other, s.blob, s.blob_size, &err) == CPERM_EFORMAT, "%s", err.msg);
    s.blob[0] ^= 1;
    CHECK("checkpoint.truncated", cperm_run_restore(other, s.blob, s.blob_size - 8, &err) == CPERM_EFORMAT, "%s", err.msg);

    free(s.blob);
    cperm_run_free(other);
    cperm_run_free(ref);
    cperm_run_free(cut);
    cperm_run_free(res);
    cperm_plan_free(plan);
    cperm_plan_free(plan2);
    cperm_graph_free(g);
    free(X);
    TU_EXIT();
}
