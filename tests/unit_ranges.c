/* unit_ranges.c - the permutation test computed as ranges and merged (cperm_run_begin /
 * _permute / _export_h0 / _import_h0 / _merge_h0 / _end_pass) gives results byte-identical
 * to a whole cperm_plan_execute - T_obs, clusters, every H0 value as bits, p-values, step-down
 * counts - for cluster mass with step-down (3 passes), TFCE (exact) with step-down, and MNE
 * 1.3 compatibility (clusters; TFCE's released formula with its inverted tail -1 p-values),
 * and independent groups (label shuffles, F) with step-down:
 * each pass's orders are split into uneven ranges, computed out of order by two runs (of two
 * plans, one with a copy of X, as two MPI ranks would) and exchanged both ways. A restored
 * checkpoint continues as ranges too. The step calls refuse misuse with error codes, and a
 * second execute, like the range calls, allocates nothing (a counting malloc, excluding
 * libgomp's own thread-team bookkeeping; skipped under AddressSanitizer, whose allocator
 * cannot be replaced). */
#define _GNU_SOURCE
#include "chaintest.h"
#include "clusterperm.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "countalloc.h"

/* ------------------------------------------------------------------- data */

#define V 30
#define T 8
#define NS 16
#define P (V * T)

/* a strong effect whose clusters dominate H0 and a weaker one (tests/unit_checkpoint.c's
 * data) */
static const chain_effect EFFECTS[2] = {{8, 16, 2, 6, 0.9}, {20, 23, 3, 5, 0.9}};

/* ------------------------------------------------------------ comparisons */

static int same_bytes(const void *a, const void *b, size_t n) {
    return a && b && memcmp(a, b, n) == 0;
}

/* Every result of `got` equals `ref`'s byte for byte; one CHECK per kind of result. */
static void compare(const char *nm, const cperm_run *ref, const cperm_run *got, int tfce) {
    char name[128];
    size_t C = cperm_run_n_clusters(ref);
    snprintf(name, sizeof name, "%s.tobs", nm);
    CHECK(name, same_bytes(cperm_run_tobs(ref), cperm_run_tobs(got), P * sizeof(double)), "differ");
    int ok = C == cperm_run_n_clusters(got) && C > 0;
    for (size_t c = 0; ok && c < C; c++) {
        size_t na = 0, nb = 0;
        const int64_t *ma = cperm_run_cluster(ref, c, &na), *mb = cperm_run_cluster(got, c, &nb);
        ok = na == nb && same_bytes(ma, mb, na * sizeof *ma);
    }
    snprintf(name, sizeof name, "%s.clusters", nm);
    CHECK(name, ok, "%zu vs %zu clusters, or members differ", C, cperm_run_n_clusters(got));
    snprintf(name, sizeof name, "%s.cluster_stats", nm);
    CHECK(name, ok && same_bytes(cperm_run_cluster_stats(ref), cperm_run_cluster_stats(got),
                                 C * sizeof(double)), "differ");
    size_t nh = 0, nh2 = 0;
    const double *h0 = cperm_run_h0(ref, &nh), *h0b = cperm_run_h0(got, &nh2);
    snprintf(name, sizeof name, "%s.h0_bits", nm);
    CHECK(name, nh == nh2 && nh > 1 && same_bytes(h0, h0b, nh * sizeof *h0), "n %zu vs %zu", nh, nh2);
    snprintf(name, sizeof name, "%s.pvalues", nm);
    CHECK(name, ok && same_bytes(cperm_run_pvalues(ref), cperm_run_pvalues(got), C * sizeof(double)),
          "differ");
    const size_t S = cperm_run_n_step_downs(ref);
    int same = S == cperm_run_n_step_downs(got);
    for (size_t q = 0; same && q <= S; q++)
        same = cperm_run_step_down_removed(ref, q) == cperm_run_step_down_removed(got, q);
    snprintf(name, sizeof name, "%s.step_downs", nm);
    CHECK(name, same, "%zu vs %zu passes", S, cperm_run_n_step_downs(got));
    if (tfce) {
        snprintf(name, sizeof name, "%s.tfce_map", nm);
        CHECK(name, same_bytes(cperm_run_tfce_map(ref), cperm_run_tfce_map(got), P * sizeof(double)),
              "differ");
    }
}

/* ----------------------------------------------------------- split runs */

/* Uneven cuts of [0, N): ranges r = [cut[r], cut[r + 1]); run a computes ranges 2, 0, 4 (in
 * that order), run b ranges 3, 1. */
#define N_RANGES 5
static void cuts(size_t N, size_t cut[N_RANGES + 1]) {
    cut[0] = 0;
    cut[1] = N / 7;
    cut[2] = N / 3;
    cut[3] = N / 2 + 1;
    cut[4] = 4 * N / 5;
    cut[5] = N;
}
static const int A_RANGES[] = {2, 0, 4}, B_RANGES[] = {3, 1};

/* The whole test as ranges over runs a (of plan pa, on X) and b (of plan pb, on Xb, a copy):
 * each computes its ranges, a imports b's through export/import, b merges a's, both end the
 * pass and must agree on another. Returns the number of passes, or -1 (a CHECK failed). */
static int split_run(const char *nm, const cperm_plan *pa, const cperm_plan *pb, cperm_run *a,
                     cperm_run *b, const double *X, const double *Xb, double *buf) {
    char name[128];
    cperm_err err = {0};
    const size_t N = cperm_plan_n_orders(pa);
    size_t cut[N_RANGES + 1];
    cuts(N, cut);
    int rc = cperm_run_begin(pa, X, a, &err);
    if (!rc) rc = cperm_run_begin(pb, Xb, b, &err);
    snprintf(name, sizeof name, "%s.begin", nm);
    if (rc) {
        CHECK(name, 0, "rc %d: %s", rc, err.msg);
        return -1;
    }
    for (int passes = 1;; passes++) {
        for (size_t i = 0; !rc && i < sizeof A_RANGES / sizeof *A_RANGES; i++)
            rc = cperm_run_permute(pa, X, a, cut[A_RANGES[i]], cut[A_RANGES[i] + 1], &err);
        for (size_t i = 0; !rc && i < sizeof B_RANGES / sizeof *B_RANGES; i++)
            rc = cperm_run_permute(pb, Xb, b, cut[B_RANGES[i]], cut[B_RANGES[i] + 1], &err);
        /* a gets b's ranges as an MPI rank would, b merges a's in one call */
        for (size_t i = 0; !rc && i < sizeof B_RANGES / sizeof *B_RANGES; i++) {
            size_t k0 = cut[B_RANGES[i]], k1 = cut[B_RANGES[i] + 1];
            rc = cperm_run_export_h0(b, k0, k1, buf, &err);
            if (!rc) rc = cperm_run_import_h0(a, k0, k1, buf, &err);
        }
        for (size_t i = 0; !rc && i < sizeof A_RANGES / sizeof *A_RANGES; i++)
            rc = cperm_run_merge_h0(b, a, cut[A_RANGES[i]], cut[A_RANGES[i] + 1], &err);
        int more_a = -1, more_b = -1;
        if (!rc) rc = cperm_run_end_pass(pa, a, &more_a, &err);
        if (!rc) rc = cperm_run_end_pass(pb, b, &more_b, &err);
        if (rc || more_a != more_b) {
            snprintf(name, sizeof name, "%s.pass%d", nm, passes);
            CHECK(name, 0, "rc %d: %s; more %d vs %d", rc, err.msg, more_a, more_b);
            return -1;
        }
        if (!more_a) return passes;
        size_t done = 1;
        int pass = cperm_run_pass(a, &done);
        if (pass != passes || done != 0 || cperm_run_pass(b, NULL) != passes) {
            snprintf(name, sizeof name, "%s.next_pass%d", nm, passes);
            CHECK(name, 0, "pass %d (done %zu) / %d, want %d (0)", pass, done,
                  cperm_run_pass(b, NULL), passes);
            return -1;
        }
    }
}

/* One configuration: the whole execute as reference, then the split runs (compared with it),
 * their work counters, and allocation counts of a second execute and of a second split run. */
static void test_case(const char *nm, const cperm_graph *g, const cperm_options *o,
                      const double *X, int tfce, size_t min_passes) {
    char name[128];
    cperm_err err = {0};
    cperm_plan *plan = NULL, *plan_b = NULL;
    cperm_run *ref = NULL, *a = NULL, *b = NULL;
    double *Xb = malloc(NS * P * sizeof *Xb), *buf = NULL;
    int rc = Xb ? 0 : CPERM_ENOMEM;
    if (!rc) rc = cperm_plan_create(&plan, g, NS, T, o, &err);
    if (!rc) rc = cperm_plan_create(&plan_b, g, NS, T, o, &err);
    if (!rc) rc = cperm_run_create(&ref, plan, &err);
    if (!rc) rc = cperm_run_create(&a, plan, &err);
    if (!rc) rc = cperm_run_create(&b, plan_b, &err);
    const size_t N = rc ? 0 : cperm_plan_n_orders(plan);
    if (!rc && !(buf = malloc(N * sizeof *buf))) rc = CPERM_ENOMEM;
    if (!rc) {
        memcpy(Xb, X, NS * P * sizeof *Xb);
        rc = cperm_plan_execute(plan, X, ref, &err);
    }
    const size_t S = rc ? 0 : cperm_run_n_step_downs(ref);
    snprintf(name, sizeof name, "%s.reference", nm);
    CHECK(name, rc == 0 && S >= min_passes && N > 100, "rc %d %s; %zu passes (want >= %zu), "
          "%zu orders", rc, err.msg, S, min_passes, N);
    if (rc) goto cleanup;
    int passes = split_run(nm, plan, plan_b, a, b, X, Xb, buf);
    snprintf(name, sizeof name, "%s.split_passes", nm);
    CHECK(name, passes == (int)S, "%d passes, the whole run had %zu", passes, S);
    if (passes < 0) goto cleanup;
    snprintf(name, sizeof name, "%s.split_a", nm);
    compare(name, ref, a, tfce);
    snprintf(name, sizeof name, "%s.split_b", nm);
    compare(name, ref, b, tfce);
    /* a computed 3 of the 5 ranges of each pass, b the other 2; imports are not counted */
    size_t cut[N_RANGES + 1];
    cuts(N, cut);
    size_t want_a = 0;
    for (size_t i = 0; i < sizeof A_RANGES / sizeof *A_RANGES; i++)
        want_a += cut[A_RANGES[i] + 1] - cut[A_RANGES[i]];
    snprintf(name, sizeof name, "%s.split_counts", nm);
    CHECK(name, cperm_run_n_executed(a) == S * want_a &&
                    cperm_run_n_executed(b) == S * (N - want_a) &&
                    cperm_run_n_executed(ref) == S * N,
          "a computed %zu, b %zu, whole %zu; want %zu, %zu, %zu", cperm_run_n_executed(a),
          cperm_run_n_executed(b), cperm_run_n_executed(ref), S * want_a, S * (N - want_a), S * N);
    /* allocation-free: a second execute and a second split run on the same runs */
    count_start();
    rc = cperm_plan_execute(plan, X, ref, &err);
    int n_exec = count_stop();
    count_start();
    passes = split_run(nm, plan, plan_b, a, b, X, Xb, buf);
    int n_split = count_stop();
    snprintf(name, sizeof name, "%s.no_allocation", nm);
    CHECK(name, rc == 0 && passes == (int)S && n_exec == 0 && n_split == 0,
          "rc %d, %d passes; %d allocations in execute, %d in the range calls", rc, passes,
          n_exec, n_split);
    snprintf(name, sizeof name, "%s.again", nm);
    compare(name, ref, a, tfce);
cleanup:
    cperm_run_free(ref);
    cperm_run_free(a);
    cperm_run_free(b);
    cperm_plan_free(plan);
    cperm_plan_free(plan_b);
    free(Xb);
    free(buf);
}

/* ---------------------------------------------- resume, misuse, edge cases */

/* A checkpoint of pass 2 restored into a fresh run continues as ranges: the rest of the pass
 * split in two calls, then the later passes whole. */
static void test_resume_as_ranges(const cperm_graph *g, const cperm_options *o, const double *X) {
    cperm_err err = {0};
    cperm_options os = *o;
    chain_saver s = {NULL, 1, NULL, 0, 0}; /* cancelled in pass 2 */
    os.progress = chain_save_and_stop;
    os.progress_user = &s;
    cperm_plan *plan = NULL, *splan = NULL;
    cperm_run *ref = NULL, *cut = NULL, *res = NULL;
    int rc = cperm_plan_create(&plan, g, NS, T, o, &err);
    if (!rc) rc = cperm_plan_create(&splan, g, NS, T, &os, &err);
    if (!rc) rc = cperm_run_create(&ref, plan, &err);
    if (!rc) rc = cperm_run_create(&cut, splan, &err);
    if (!rc) rc = cperm_run_create(&res, plan, &err);
    if (!rc) rc = cperm_plan_execute(plan, X, ref, &err);
    s.run = cut;
    int crc = rc ? rc : cperm_plan_execute(splan, X, cut, &err);
    CHECK("ranges.resume.cancelled", rc == 0 && crc == CPERM_ECANCELLED && s.blob, "rc %d %d: %s",
          rc, crc, err.msg);
    if (rc || !s.blob) goto cleanup;
    rc = cperm_run_restore(res, s.blob, s.blob_size, &err);
    if (!rc) rc = cperm_run_begin(plan, X, res, &err);
    size_t done = 0;
    const int pass = rc ? -1 : cperm_run_pass(res, &done);
    const size_t N = cperm_plan_n_orders(plan), mid = done + (N - done) / 3;
    CHECK("ranges.resume.begin", rc == 0 && pass == 1 && done > 0 && done < N, "rc %d %s; pass "
          "%d, done %zu of %zu", rc, err.msg, pass, done, N);
    if (rc) goto cleanup;
    /* the second half first: done stays where the restored prefix ends until the gap closes */
    rc = cperm_run_permute(plan, X, res, mid, N, &err);
    size_t done2 = 0;
    cperm_run_pass(res, &done2);
    if (!rc) rc = cperm_run_permute(plan, X, res, done, mid, &err);
    size_t done3 = 0;
    cperm_run_pass(res, &done3);
    CHECK("ranges.resume.done_prefix", rc == 0 && done2 == done && done3 == N,
          "rc %d %s; done %zu after the second half, %zu after both (restored %zu)", rc, err.msg,
          done2, done3, done);
    for (int more = 1; !rc && more;) {
        rc = cperm_run_end_pass(plan, res, &more, &err);
        if (!rc && more) rc = cperm_run_permute(plan, X, res, 0, N, &err);
    }
    CHECK("ranges.resume.completes", rc == 0, "rc %d: %s", rc, err.msg);
    if (!rc) compare("ranges.resume", ref, res, 0);
    CHECK("ranges.resume.counts", cperm_run_n_executed(res) ==
                                      (N - done) + (cperm_run_n_step_downs(ref) - 2) * N,
          "computed %zu", cperm_run_n_executed(res));
cleanup:
    free(s.blob);
    cperm_run_free(ref);
    cperm_run_free(cut);
    cperm_run_free(res);
    cperm_plan_free(plan);
    cperm_plan_free(splan);
}

static void test_misuse(const cperm_graph *g, const double *X) {
    cperm_err err = {0};
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 2.0;
    o.n_permutations = 200;
    o.step_down_p = 0.05;
    cperm_options o2 = o;
    o2.threshold = 2.5;
    cperm_plan *plan = NULL, *other = NULL;
    cperm_run *run = NULL, *r2 = NULL, *r3 = NULL;
    double *Xc = malloc(NS * P * sizeof *Xc);
    double buf[16];
    int rc = Xc ? 0 : CPERM_ENOMEM;
    if (!rc) rc = cperm_plan_create(&plan, g, NS, T, &o, &err);
    if (!rc) rc = cperm_plan_create(&other, g, NS, T, &o2, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    if (!rc) rc = cperm_run_create(&r2, plan, &err);
    if (!rc) rc = cperm_run_create(&r3, other, &err);
    CHECK("ranges.err.setup", rc == 0, "rc %d: %s", rc, err.msg);
    if (rc) goto cleanup;
    memcpy(Xc, X, NS * P * sizeof *Xc);
    const size_t N = cperm_plan_n_orders(plan);
    int more = -1;
    rc = cperm_run_permute(plan, X, run, 0, 10, &err);
    CHECK("ranges.err.permute_before_begin", rc == CPERM_EINVAL && err.code == rc && err.msg[0],
          "rc %d", rc);
    rc = cperm_run_end_pass(plan, run, &more, &err);
    CHECK("ranges.err.end_before_begin", rc == CPERM_EINVAL && more == 0, "rc %d", rc);
    rc = cperm_run_import_h0(run, 0, 1, buf, &err);
    CHECK("ranges.err.import_before_begin", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_run_begin(other, X, run, &err);
    CHECK("ranges.err.begin_other_plan", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_run_begin(plan, X, run, &err);
    if (!rc) rc = cperm_run_begin(plan, X, r2, &err);
    if (!rc) rc = cperm_run_begin(other, X, r3, &err);
    CHECK("ranges.err.begin", rc == 0 && cperm_run_n_clusters(run) > 0, "rc %d: %s", rc, err.msg);
    if (rc) goto cleanup;
    rc = cperm_run_permute(plan, Xc, run, 0, 10, &err);
    CHECK("ranges.err.permute_other_x", rc == CPERM_EINVAL && strstr(err.msg, "X"), "rc %d: %s",
          rc, err.msg);
    rc = cperm_run_permute(plan, X, run, 10, 5, &err);
    CHECK("ranges.err.permute_reversed", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_run_permute(plan, X, run, 0, N + 1, &err);
    CHECK("ranges.err.permute_past_end", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_run_permute(plan, X, run, 0, 10, &err);
    CHECK("ranges.err.permute_range", rc == 0, "rc %d: %s", rc, err.msg);
    rc = cperm_run_export_h0(run, 5, 15, buf, &err);
    CHECK("ranges.err.export_missing", rc == CPERM_EINVAL && strstr(err.msg, "10"), "rc %d: %s",
          rc, err.msg);
    rc = cperm_run_export_h0(run, 0, 10, NULL, &err);
    CHECK("ranges.err.export_null", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_run_end_pass(plan, run, &more, &err);
    CHECK("ranges.err.end_incomplete", rc == CPERM_EINVAL && strstr(err.msg, "permutation 10 ") &&
                                           more == 0,
          "rc %d: %s", rc, err.msg);
    rc = cperm_run_merge_h0(run, r3, 0, 10, &err);
    CHECK("ranges.err.merge_other_parameters", rc == CPERM_EMISMATCH, "rc %d: %s", rc, err.msg);
    rc = cperm_run_merge_h0(run, r2, 0, 10, &err);
    CHECK("ranges.err.merge_not_computed", rc == CPERM_EINVAL, "rc %d: %s", rc, err.msg);
    rc = cperm_run_export_h0(run, 0, 10, buf, &err);
    if (!rc) rc = cperm_run_import_h0(r2, 0, 10, buf, &err);
    if (!rc) rc = cperm_run_import_h0(r2, 3, 3, NULL, &err); /* empty range */
    CHECK("ranges.err.import", rc == 0, "rc %d: %s", rc, err.msg);
    rc = cperm_run_import_h0(r2, N, N + 1, buf, &err);
    CHECK("ranges.err.import_past_end", rc == CPERM_EINVAL, "rc %d", rc);
    /* the rest whole; merging into r2 then leaves nothing missing */
    rc = cperm_run_permute(plan, X, run, 10, N, &err);
    if (!rc) rc = cperm_run_merge_h0(r2, run, 10, N, &err);
    if (!rc) rc = cperm_run_end_pass(plan, run, &more, &err);
    int more2 = -1;
    if (!rc) rc = cperm_run_end_pass(plan, r2, &more2, &err);
    CHECK("ranges.err.end_after_merge", rc == 0 && more == more2, "rc %d: %s", rc, err.msg);
    /* now in different passes (if step-down went on) or done: a merge is refused */
    if (!rc && more) {
        rc = cperm_run_merge_h0(run, r3, 0, 1, &err);
        CHECK("ranges.err.merge_other_pass", rc == CPERM_EMISMATCH || rc == CPERM_EINVAL,
              "rc %d: %s", rc, err.msg);
    }
    /* no clusters at all: permute is a no-op and end_pass completes */
    {
        double *Z = calloc(NS * P, sizeof *Z);
        cperm_run *rz = NULL;
        rc = Z ? cperm_run_create(&rz, plan, &err) : CPERM_ENOMEM;
        /* every point: half the subjects +1, half -1: t = 0 */
        for (size_t i = 0; Z && i < NS * P; i++) Z[i] = (i / P) % 2 ? 1.0 : -1.0;
        if (!rc) rc = cperm_run_begin(plan, Z, rz, &err);
        const size_t nc = rc ? 1 : cperm_run_n_clusters(rz);
        if (!rc) rc = cperm_run_permute(plan, Z, rz, 0, N, &err);
        more = -1;
        if (!rc) rc = cperm_run_end_pass(plan, rz, &more, &err);
        size_t nh = 1;
        cperm_run_h0(rz, &nh);
        CHECK("ranges.no_clusters", rc == 0 && nc == 0 && more == 0 && nh == 0 &&
                                        cperm_run_n_step_downs(rz) == 0 &&
                                        cperm_run_n_executed(rz) == 0,
              "rc %d %s, %zu clusters, more %d, %zu H0", rc, err.msg, nc, more, nh);
        rc = cperm_run_end_pass(plan, rz, &more, &err);
        CHECK("ranges.err.end_twice", rc == CPERM_EINVAL, "rc %d", rc);
        cperm_run_free(rz);
        free(Z);
    }
cleanup:
    cperm_run_free(run);
    cperm_run_free(r2);
    cperm_run_free(r3);
    cperm_plan_free(plan);
    cperm_plan_free(other);
    free(Xc);
}

int main(void) {
#if COUNT_ALLOCS
    CHECK("ranges.counter_counts", count_init() == 0, "the counting allocator missed an "
          "allocation or found no libgomp segment (%d)", n_gomp);
#else
    printf("SKIP ranges.*.no_allocation counts: AddressSanitizer's allocator cannot be replaced\n");
#endif
    double *X = chain_data(NS, V, T, 12345, EFFECTS);
    cperm_err err = {0};
    cperm_graph *g = NULL;
    int rc = X ? chain_graph(&g, V, &err) : CPERM_ENOMEM;
    CHECK("ranges.setup", rc == 0, "%s", err.msg);
    if (rc) TU_EXIT();

    /* (a) cluster mass, step-down in three passes, two threads */
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 2.0;
    o.n_permutations = 1500;
    o.step_down_p = 0.05;
    o.sigma = 1e-3;
    o.n_jobs = 2;
    test_case("ranges.mass", g, &o, X, 0, 3);
    /* one thread, tail 1 */
    cperm_options o1 = o;
    o1.n_jobs = 1;
    o1.tail = 1;
    test_case("ranges.mass_tail1", g, &o1, X, 0, 2);
    /* (b) TFCE, exact, with step-down */
    cperm_options ot = CPERM_OPTIONS_INIT;
    ot.tfce = CPERM_TFCE_EXACT;
    ot.n_permutations = 500;
    ot.step_down_p = 0.05;
    ot.n_jobs = 2;
    test_case("ranges.tfce", g, &ot, X, 1, 2);
    /* (c) MNE 1.3: its clustering (1-step split), and its released TFCE formula for tail -1
     * (H0[0] the smallest score, inverted p-values) */
    cperm_options oc = o;
    oc.compat = CPERM_COMPAT_MNE13;
    test_case("ranges.mne13", g, &oc, X, 0, 2);
    cperm_options otc = CPERM_OPTIONS_INIT;
    otc.tfce = CPERM_TFCE_MNE13;
    otc.compat = CPERM_COMPAT_MNE13;
    otc.tail = -1;
    otc.tfce_start = 0.0;
    otc.tfce_step = -0.5;
    otc.n_permutations = 300;
    otc.step_down_p = 0.5;
    otc.n_jobs = 2;
    for (size_t i = 0; i < NS * P; i++) X[i] = -X[i]; /* the effects become negative */
    test_case("ranges.tfce_mne13_tailm1", g, &otc, X, 1, 2);
    for (size_t i = 0; i < NS * P; i++) X[i] = -X[i];

    /* (d) independent groups (label shuffles, F), step-down: the first 6 observations are
     * moved towards the effect's opposite so that the groups differ */
    {
        static const size_t sizes[2] = {6, 10};
        double *Xg = malloc(NS * P * sizeof *Xg);
        if (Xg) {
            memcpy(Xg, X, NS * P * sizeof *Xg);
            for (size_t i = 0; i < 6 * P; i++) Xg[i] = -0.5 * Xg[i];
            cperm_options og = CPERM_OPTIONS_INIT;
            og.design = CPERM_DESIGN_GROUPS;
            og.n_groups = 2;
            og.group_sizes = sizes;
            og.tail = 1;
            og.threshold = 3.0;
            og.n_permutations = 600;
            og.step_down_p = 0.05;
            og.n_jobs = 2;
            test_case("ranges.groups", g, &og, Xg, 0, 2);
        }
        CHECK("ranges.groups.data", Xg != NULL, "out of memory");
        free(Xg);
    }

    test_resume_as_ranges(g, &o, X);
    test_misuse(g, X);
    cperm_graph_free(g);
    free(X);
    TU_EXIT();
}
