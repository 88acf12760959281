/* unit_checkpoint.c - an execute interrupted between chunks resumes from its checkpoint to
 * results identical to an uninterrupted run, and computes only the permutations the
 * checkpoint did not carry (counted by the engine: cperm_run_n_executed/_n_restored); a
 * checkpoint made in a later step-down pass keeps the earlier passes' counts; a checkpoint
 * of other data, or a corrupt one, is refused. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Saves a checkpoint at the first callback of pass `stop_pass` with done >= stop_at, then
 * cancels (as a SIGTERM handler would); records what it saw. */
typedef struct {
    cperm_run *run;
    int stop_pass;
    size_t stop_at;
    unsigned char *blob;
    size_t blob_size;
    size_t saved_done; /* `done` of the callback that saved */
    int saved_pass;
} saver;

static int save_and_stop(void *user, size_t done, size_t total, int pass) {
    saver *s = user;
    (void)total;
    if (pass < s->stop_pass || done < s->stop_at) return 0;
    s->blob_size = cperm_run_checkpoint(s->run, NULL, 0);
    s->blob = malloc(s->blob_size);
    cperm_run_checkpoint(s->run, s->blob, s->blob_size);
    s->saved_done = done;
    s->saved_pass = pass;
    return 1;
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Interrupts a run of `o` on X with the saver; returns the run (caller frees it and *plan). */
static cperm_run *interrupted(const cperm_graph *g, size_t n, size_t T, const cperm_options *o,
                              const double *X, saver *s, cperm_plan **plan, int *rc) {
    cperm_err err = {0};
    cperm_options o2 = *o;
    cperm_run *run = NULL;
    o2.progress = save_and_stop;
    o2.progress_user = s;
    *plan = NULL;
    *rc = cperm_plan_create(plan, g, n, T, &o2, &err);
    if (!*rc) *rc = cperm_run_create(&run, *plan, &err);
    s->run = run;
    if (!*rc) *rc = cperm_plan_execute(*plan, X, run, &err);
    return run;
}

/* Resumes blob in a fresh run of plan and compares with ref; prefix names the checks. */
static void resume_and_compare(const char *prefix, const cperm_plan *plan, const double *X,
                               const cperm_run *ref, const saver *s) {
    char name[128];
    cperm_err err = {0};
    cperm_run *res = NULL;
    const size_t N = cperm_plan_n_orders(plan), S = cperm_run_n_step_downs(ref);
    cperm_run_create(&res, plan, &err);
    int rc = cperm_run_restore(res, s->blob, s->blob_size, &err);
    snprintf(name, sizeof name, "%s.restore", prefix);
    CHECK(name, rc == 0, "%s", err.msg);
    int pass = -1;
    size_t restored = cperm_run_n_restored(res, &pass);
    snprintf(name, sizeof name, "%s.restored_count", prefix);
    CHECK(name, restored == s->saved_done && pass == s->saved_pass && cperm_run_n_executed(res) == 0,
          "restored %zu of pass %d, executed %zu; the checkpoint was saved at %zu of pass %d",
          restored, pass, cperm_run_n_executed(res), s->saved_done, s->saved_pass);
    rc = cperm_plan_execute(plan, X, res, &err);
    snprintf(name, sizeof name, "%s.resume_runs", prefix);
    CHECK(name, rc == 0, "%s", err.msg);
    /* the resume must compute the rest of its pass and the later passes, nothing more */
    const size_t want = (N - s->saved_done) + (S - 1 - (size_t)s->saved_pass) * N;
    snprintf(name, sizeof name, "%s.computed_only_the_rest", prefix);
    CHECK(name, cperm_run_n_executed(res) == want && s->saved_done > 0 && s->saved_done < N,
          "computed %zu permutations after resuming at %zu of %zu in pass %d of %zu; want %zu "
          "(an uninterrupted run computes %zu)", cperm_run_n_executed(res), s->saved_done, N,
          s->saved_pass + 1, S, want, S * N);
    size_t nh = 0, nh2 = 0;
    const double *h0 = cperm_run_h0(ref, &nh), *h0b = cperm_run_h0(res, &nh2);
    snprintf(name, sizeof name, "%s.h0_identical", prefix);
    CHECK(name, nh == nh2 && h0b && memcmp(h0, h0b, nh * sizeof *h0) == 0, "n %zu vs %zu", nh, nh2);
    size_t C = cperm_run_n_clusters(ref);
    snprintf(name, sizeof name, "%s.pvalues_identical", prefix);
    CHECK(name, C == cperm_run_n_clusters(res) &&
                    memcmp(cperm_run_pvalues(ref), cperm_run_pvalues(res), C * sizeof(double)) == 0,
          "clusters %zu", C);
    int same = cperm_run_n_step_downs(ref) == cperm_run_n_step_downs(res);
    for (size_t q = 0; same && q < S; q++)
        same = cperm_run_step_down_removed(ref, q) == cperm_run_step_down_removed(res, q);
    snprintf(name, sizeof name, "%s.step_downs_identical", prefix);
    CHECK(name, same, "%zu vs %zu passes; pass 1 removed %zu vs %zu", cperm_run_n_step_downs(ref),
          cperm_run_n_step_downs(res), cperm_run_step_down_removed(ref, 0),
          cperm_run_step_down_removed(res, 0));
    cperm_run_free(res);
}

int main(void) {
    /* chain of 30 vertices x 8 times, 16 subjects; a strong effect whose clusters dominate
     * H0 and a weaker one that step-down finds only once the strong one is excluded */
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
        if (p % V > 20 && p % V < 23 && p / V > 3 && p / V < 5) X[i] += 0.9;
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
    cperm_run *ref = NULL;
    int rc = cperm_plan_create(&plan, g, n, T, &o, &err);
    CHECK("checkpoint.plan", rc == 0, "%s", err.msg);
    if (rc) TU_EXIT();
    const size_t N = cperm_plan_n_orders(plan);
    cperm_run_create(&ref, plan, &err);
    rc = cperm_plan_execute(plan, X, ref, &err);
    const size_t S = rc ? 0 : cperm_run_n_step_downs(ref);
    CHECK("checkpoint.reference_run", rc == 0 && cperm_run_n_clusters(ref) > 0 && N == 2999,
          "rc %d %s, %zu orders", rc, err.msg, N);
    /* three passes: the strong effect, then the weak one, then nothing new */
    CHECK("checkpoint.reference_three_passes",
          S == 3 && cperm_run_step_down_removed(ref, 0) > 0 &&
              cperm_run_step_down_removed(ref, 1) > 0 && cperm_run_step_down_removed(ref, 2) == 0,
          "%zu passes, removed %zu, %zu, %zu", S, cperm_run_step_down_removed(ref, 0),
          cperm_run_step_down_removed(ref, 1), cperm_run_step_down_removed(ref, 2));
    CHECK("checkpoint.reference_computed_every_pass", cperm_run_n_executed(ref) == S * N,
          "computed %zu, want %zu passes x %zu", cperm_run_n_executed(ref), S, N);
    int rpass = -1;
    CHECK("checkpoint.reference_restored_nothing",
          cperm_run_n_restored(ref, &rpass) == 0 && rpass == 0, "restored %zu of pass %d",
          cperm_run_n_restored(ref, NULL), rpass);

    /* 1. interrupted after the first chunk of pass 1 (1024 of 2999: the engine's chunk) */
    saver s = {NULL, 0, 1, NULL, 0, 0, 0};
    cperm_plan *plan2 = NULL;
    cperm_run *cut = interrupted(g, n, T, &o, X, &s, &plan2, &rc);
    CHECK("checkpoint.cancel_returns_cancelled", rc == CPERM_ECANCELLED, "rc %d", rc);
    CHECK("checkpoint.blob_written", s.blob && s.blob_size == 48 + 8 * s.saved_done &&
                                         s.saved_pass == 0 && s.saved_done == 1024,
          "size %zu, saved at %zu of pass %d", s.blob_size, s.saved_done, s.saved_pass);
    CHECK("checkpoint.cancelled_run_counted_its_chunk", cperm_run_n_executed(cut) == s.saved_done,
          "executed %zu, the callback saw %zu done", cperm_run_n_executed(cut), s.saved_done);
    resume_and_compare("checkpoint.pass1", plan, X, ref, &s);

    /* 2. interrupted in step-down pass 2 (after 2048 of its orders): the blob carries what
     *    pass 1 excluded, so the resumed run reports every pass */
    saver s2 = {NULL, 1, 2000, NULL, 0, 0, 0};
    cperm_plan *plan3 = NULL;
    cperm_run *cut2 = interrupted(g, n, T, &o, X, &s2, &plan3, &rc);
    const size_t rem0 = cperm_run_step_down_removed(ref, 0);
    CHECK("checkpoint.pass2_blob_written",
          rc == CPERM_ECANCELLED && s2.blob && s2.saved_pass == 1 && s2.saved_done == 2048 &&
              s2.blob_size == 48 + 8 * (rem0 + 1 + s2.saved_done),
          "rc %d, size %zu, saved at %zu of pass %d", rc, s2.blob_size, s2.saved_done,
          s2.saved_pass);
    CHECK("checkpoint.pass2_cancelled_run_counted", cperm_run_n_executed(cut2) == N + 2048,
          "executed %zu, want %zu + 2048", cperm_run_n_executed(cut2), N);
    if (s2.blob) resume_and_compare("checkpoint.pass2", plan, X, ref, &s2);

    /* 3. a version-1 blob (no per-pass counts) still resumes in pass 1, where the layouts
     *    agree; in a later pass it is refused */
    if (s.blob && s2.blob) {
        saver v1 = s;
        unsigned char *b = malloc(s.blob_size);
        memcpy(b, s.blob, s.blob_size);
        memcpy(b, "CPRMCKP1", 8);
        v1.blob = b;
        resume_and_compare("checkpoint.v1_pass1", plan, X, ref, &v1);
        free(b);
        cperm_run *r = NULL;
        cperm_run_create(&r, plan, &err);
        b = malloc(s2.blob_size);
        memcpy(b, s2.blob, s2.blob_size);
        memcpy(b, "CPRMCKP1", 8);
        rc = cperm_run_restore(r, b, s2.blob_size, &err);
        CHECK("checkpoint.v1_later_pass_refused",
              rc == CPERM_EFORMAT && strstr(err.msg, "older clusterperm in step-down pass 2"),
              "rc %d: %s", rc, err.msg);
        /* per-pass counts that do not add up to the removed list: refused */
        memcpy(b, s2.blob, s2.blob_size);
        unsigned char *pr = b + 48 + 8 * get_u64(b + 40);
        put_u64(pr, 0);
        rc = cperm_run_restore(r, b, s2.blob_size, &err);
        CHECK("checkpoint.pass_count_zero_refused", rc == CPERM_EFORMAT && strstr(err.msg, "excluded 0"),
              "rc %d: %s", rc, err.msg);
        put_u64(pr, rem0 + 1);
        rc = cperm_run_restore(r, b, s2.blob_size, &err);
        CHECK("checkpoint.pass_count_too_big_refused", rc == CPERM_EFORMAT, "rc %d: %s", rc, err.msg);
        /* a pass-1 blob claiming removed clusters: refused */
        memcpy(b, s2.blob, 48);
        put_u64(b + 24, 0); /* pass 0, but rem0 removed and rem0 + done values follow */
        rc = cperm_run_restore(r, b, 48 + 8 * (rem0 + s2.saved_done), &err);
        CHECK("checkpoint.removed_in_pass1_refused", rc == CPERM_EFORMAT, "rc %d: %s", rc, err.msg);
        free(b);
        cperm_run_free(r);
    }

    /* 4. other data: refused */
    cperm_run *other = NULL;
    cperm_run_create(&other, plan, &err);
    cperm_run_restore(other, s.blob, s.blob_size, &err);
    X[7] += 1e-9;
    rc = cperm_plan_execute(plan, X, other, &err);
    CHECK("checkpoint.other_data_refused", rc == CPERM_EMISMATCH && strstr(err.msg, "checkpoint"),
          "rc %d %s", rc, err.msg);
    CHECK("checkpoint.refused_computed_nothing", cperm_run_n_executed(other) == 0, "executed %zu",
          cperm_run_n_executed(other));
    /* corrupt blobs: refused */
    s.blob[0] ^= 1;
    CHECK("checkpoint.bad_magic", cperm_run_restore(other, s.blob, s.blob_size, &err) == CPERM_EFORMAT, "%s", err.msg);
    s.blob[0] ^= 1;
    CHECK("checkpoint.truncated", cperm_run_restore(other, s.blob, s.blob_size - 8, &err) == CPERM_EFORMAT, "%s", err.msg);

    free(s.blob);
    free(s2.blob);
    cperm_run_free(other);
    cperm_run_free(ref);
    cperm_run_free(cut);
    cperm_run_free(cut2);
    cperm_plan_free(plan);
    cperm_plan_free(plan2);
    cperm_plan_free(plan3);
    cperm_graph_free(g);
    free(X);
    TU_EXIT();
}
