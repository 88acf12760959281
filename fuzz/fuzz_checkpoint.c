/* fuzz_checkpoint.c - libFuzzer target: checkpoint blobs (cperm_run_restore, then the
 * resumed cperm_plan_execute), as `onesample --checkpoint` reads them back from disk. The
 * target makes its own real blobs once (a small test saved after every chunk and pass) and
 * the input edits one of them, so mutations start from valid checkpoints:
 *   byte 0      which saved blob (mod their number)
 *   byte 1      0..127 keep the length, else cut/extend it by (byte - 192) * 8 bytes
 *   the rest    XORed into the blob from byte 0 on
 * A blob restored unchanged must resume to results identical to the uninterrupted run. */
#include "clusterperm.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SUBJ 12
#define N_TIMES 3
#define N_VERT 10
#define MAX_BLOBS 16

static cperm_graph *graph;
static cperm_plan *plan;
static double X[N_SUBJ * N_TIMES * N_VERT];
static unsigned char *blobs[MAX_BLOBS];
static size_t blob_sizes[MAX_BLOBS], n_blobs;
static double *ref_h0;
static size_t ref_n_h0, ref_n_clusters;

typedef struct saver {
    cperm_run *run;
} saver;

static int save_all(void *user, size_t done, size_t total, int pass) {
    saver *s = user;
    (void)done; (void)total; (void)pass;
    if (n_blobs == MAX_BLOBS) return 0;
    size_t need = cperm_run_checkpoint(s->run, NULL, 0);
    unsigned char *b = malloc(need ? need : 1);
    if (!b || cperm_run_checkpoint(s->run, b, need) != need) {
        free(b);
        return 0;
    }
    blobs[n_blobs] = b;
    blob_sizes[n_blobs++] = need;
    return 0;
}

static void setup(void) {
    int64_t edges[2 * (N_VERT - 1)];
    cperm_err err = {0};
    cperm_plan *saving_plan = NULL;
    cperm_run *run = NULL, *ref = NULL;
    saver s = {NULL};
    uint64_t st = 42;
    for (size_t v = 0; v + 1 < N_VERT; v++) {
        edges[2 * v] = (int64_t)v;
        edges[2 * v + 1] = (int64_t)v + 1;
    }
    for (size_t i = 0; i < N_SUBJ * N_TIMES * N_VERT; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = ((double)(st >> 11) / 9007199254740992.0 - 0.5) + ((i % N_VERT) < 4 ? 0.6 : 0.0);
    }
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.n_permutations = 1500; /* two chunks of the engine (1024 + 475) */
    o.step_down_p = 0.3;     /* and a second pass */
    FUZZ_CHECK(cperm_graph_from_edges(&graph, N_VERT, edges, N_VERT - 1, &err) == 0);
    FUZZ_CHECK(cperm_plan_create(&plan, graph, N_SUBJ, N_TIMES, &o, &err) == 0);
    o.progress = save_all;
    o.progress_user = &s;
    FUZZ_CHECK(cperm_plan_create(&saving_plan, graph, N_SUBJ, N_TIMES, &o, &err) == 0);
    FUZZ_CHECK(cperm_run_create(&run, saving_plan, &err) == 0);
    s.run = run;
    FUZZ_CHECK(cperm_plan_execute(saving_plan, X, run, &err) == 0);
    FUZZ_CHECK(n_blobs >= 2);
    FUZZ_CHECK(cperm_run_create(&ref, plan, &err) == 0);
    FUZZ_CHECK(cperm_plan_execute(plan, X, ref, &err) == 0);
    const double *h0 = cperm_run_h0(ref, &ref_n_h0);
    ref_n_clusters = cperm_run_n_clusters(ref);
    FUZZ_CHECK(ref_n_clusters > 0 && h0);
    ref_h0 = malloc(ref_n_h0 * sizeof *ref_h0);
    FUZZ_CHECK(ref_h0 != NULL);
    memcpy(ref_h0, h0, ref_n_h0 * sizeof *ref_h0);
    cperm_run_free(ref);
    cperm_run_free(run);
    cperm_plan_free(saving_plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_err err = {0};
    cperm_run *run = NULL;
    if (!plan) setup();
    const size_t k = size > 0 ? data[0] % n_blobs : 0;
    size_t len = blob_sizes[k];
    if (size > 1 && data[1] >= 128) {
        long delta = ((long)data[1] - 192) * 8;
        len = delta < 0 && (size_t)-delta > len ? 0 : (size_t)((long)len + delta);
    }
    unsigned char *b = calloc(len ? len : 1, 1);
    if (!b) return 0;
    memcpy(b, blobs[k], len < blob_sizes[k] ? len : blob_sizes[k]);
    int changed = len != blob_sizes[k];
    for (size_t i = 2; i < size && i - 2 < len; i++) {
        b[i - 2] ^= data[i];
        changed |= data[i] != 0;
    }
    FUZZ_CHECK(cperm_run_create(&run, plan, &err) == 0);
    int rc = cperm_run_restore(run, b, len, &err);
    if (rc == 0) {
        rc = cperm_plan_execute(plan, X, run, &err);
        if (rc == 0) {
            size_t n_h0 = 0;
            const double *h0 = cperm_run_h0(run, &n_h0);
            FUZZ_CHECK(n_h0 == ref_n_h0 && cperm_run_n_clusters(run) == ref_n_clusters);
            if (!changed) FUZZ_CHECK(memcmp(h0, ref_h0, n_h0 * sizeof *h0) == 0);
        }
    }
    if (getenv("FUZZ_VERBOSE")) /* for checking what the seeds reach */
        printf("blob %zu of %zu, %zu bytes%s: %s\n", k, n_blobs, len, changed ? " (edited)" : "",
               rc ? err.msg : "resumed");
    if (rc != 0) {
        /* edited blobs may be refused (cleanly); a saved one never is */
        FUZZ_CHECK(err.msg[0] && err.code < 0);
        FUZZ_CHECK(changed);
    }
    cperm_run_free(run);
    free(b);
    return 0;
}
