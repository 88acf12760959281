/* plan.c - the one-sample cluster permutation test: plan creation (validation, sign-flip
 * orders), runs (every buffer an execution needs), execution (observed clusters, H0,
 * p-values, step-down) and the accessors of results. */
#include "engine_internal.h"
#include "orders_internal.h"
#include "tfce_internal.h"

#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Subjects are split into groups of at most this many for the sign-flip tables. */
#define MAX_GROUP 8
#define MAX_SUBJECTS (64 * MAX_GROUP)

static int resolve_threads(int n_jobs) {
    int cores = 1;
#ifdef _OPENMP
    cores = omp_get_num_procs();
#endif
    if (n_jobs == 0 || n_jobs == 1) return 1;
    if (n_jobs < 0) { /* joblib: -1 = all cores, -2 = all but one, ... */
        int n = cores + 1 + n_jobs;
        return n < 1 ? 1 : n;
    }
    return n_jobs;
}

void cperm_plan_free(cperm_plan *plan) {
    if (!plan) return;
    free(plan->indptr);
    free(plan->indices);
    free(plan->exclude);
    free(plan->orders);
    free(plan->signs);
    free(plan->patterns);
    free(plan);
}

static int validate(const cperm_graph *graph, size_t n_subjects, size_t n_times,
                    const cperm_options *o, cperm_err *err) {
    if (!o || o->version != CPERM_OPTIONS_VERSION)
        return cperm_fail(err, CPERM_EINVAL, "options: missing or of unknown version "
                          "(initialise with CPERM_OPTIONS_INIT)");
    if (!graph || !graph->indptr || (graph->n_vertices && !graph->indices && graph->indptr[graph->n_vertices]))
        return cperm_fail(err, CPERM_EINVAL, "adjacency: a spatial graph is required");
    if (n_subjects < 2)
        return cperm_fail(err, CPERM_EINVAL, "data: need at least 2 subjects, got %zu", n_subjects);
    if (n_subjects > MAX_SUBJECTS)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "data: at most %d subjects are supported, got %zu",
                          MAX_SUBJECTS, n_subjects);
    if (n_times == 0 || graph->n_vertices == 0)
        return cperm_fail(err, CPERM_EINVAL, "data: empty input (%zu times x %zu vertices)",
                          n_times, graph->n_vertices);
    if (n_times > (size_t)INT32_MAX / graph->n_vertices)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "data: %zu times x %zu vertices is too large",
                          n_times, graph->n_vertices);
    if (!isfinite(o->threshold))
        return cperm_fail(err, CPERM_EINVAL, "options: threshold must be finite, got %g", o->threshold);
    if (o->tail < -1 || o->tail > 1)
        return cperm_fail(err, CPERM_EINVAL, "options: tail must be -1, 0 or 1, got %d", o->tail);
    if ((o->tail < 0 && o->threshold > 0) || (o->tail > 0 && o->threshold < 0) ||
        (o->tail == 0 && o->threshold < 0))
        return cperm_fail(err, CPERM_EINVAL,
                          "options: incompatible tail and threshold signs, got %d and %g",
                          o->tail, o->threshold);
    if (!isfinite(o->t_power))
        return cperm_fail(err, CPERM_EINVAL, "options: t_power must be finite, got %g", o->t_power);
    if (o->n_permutations < 1 && o->n_permutations != CPERM_PERMUTATIONS_ALL)
        return cperm_fail(err, CPERM_EINVAL, "options: n_permutations must be >= 1 or 'all', got %ld",
                          o->n_permutations);
    if (o->max_step < 1)
        return cperm_fail(err, CPERM_EINVAL, "options: max_step must be >= 1, got %zu", o->max_step);
    if (!isfinite(o->sigma) || o->sigma < 0)
        return cperm_fail(err, CPERM_EINVAL, "options: sigma must be finite and >= 0, got %g", o->sigma);
    if (o->sigma_method != CPERM_SIGMA_RELATIVE && o->sigma_method != CPERM_SIGMA_ABSOLUTE)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown sigma method %d", o->sigma_method);
    if (!(o->step_down_p >= 0 && o->step_down_p <= 1))
        return cperm_fail(err, CPERM_EINVAL, "options: step_down_p must be in [0, 1], got %g",
                          o->step_down_p);
    if (o->compat != CPERM_COMPAT_NONE && o->compat != CPERM_COMPAT_MNE13)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown compat mode %d", o->compat);
    /* TFCE */
    int trc = cperm_tfce_validate(o, err);
    if (trc) return trc;
    /* the graph must be a valid symmetric CSR without self-loops */
    size_t V = graph->n_vertices;
    for (size_t v = 0; v < V; v++) {
        if (graph->indptr[v + 1] < graph->indptr[v])
            return cperm_fail(err, CPERM_EINVAL, "adjacency: row pointers decrease at vertex %zu", v);
        for (size_t e = graph->indptr[v]; e < graph->indptr[v + 1]; e++) {
            int32_t u = graph->indices[e];
            if (u < 0 || (size_t)u >= V)
                return cperm_fail(err, CPERM_EINVAL,
                                  "adjacency: vertex %zu has neighbour %d outside [0, %zu)", v, u, V);
            if (e > graph->indptr[v] && graph->indices[e - 1] >= u)
                return cperm_fail(err, CPERM_EINVAL,
                                  "adjacency: neighbours of vertex %zu are not strictly ascending", v);
        }
    }
    return CPERM_OK;
}

int cperm_plan_create(cperm_plan **out, const cperm_graph *graph, size_t n_subjects,
                      size_t n_times, const cperm_options *options, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "plan: NULL output");
    *out = NULL;
    int rc = validate(graph, n_subjects, n_times, options, err);
    if (rc) return rc;
    cperm_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return cperm_fail(err, CPERM_ENOMEM, "plan: out of memory");
    size_t V = graph->n_vertices, E = graph->indptr[V];
    plan->n_subjects = n_subjects;
    plan->n_times = n_times;
    plan->n_vertices = V;
    plan->n_points = n_times * V;
    plan->opt = *options;
    plan->threshold = options->threshold;
    plan->n_threads = resolve_threads(options->n_jobs);
    plan->indptr = cperm_malloc(V + 1, sizeof *plan->indptr);
    plan->indices = cperm_malloc(E ? E : 1, sizeof *plan->indices);
    if (!plan->indptr || !plan->indices) goto nomem;
    memcpy(plan->indptr, graph->indptr, (V + 1) * sizeof *plan->indptr);
    if (E) memcpy(plan->indices, graph->indices, E * sizeof *plan->indices);
    /* symmetry: every edge v->u must have u->v (binary search in u's sorted row) */
    for (size_t v = 0; v < V; v++) {
        for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++) {
            size_t u = (size_t)plan->indices[e];
            size_t lo = plan->indptr[u], hi = plan->indptr[u + 1];
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if ((size_t)plan->indices[mid] < v) lo = mid + 1; else hi = mid;
            }
            if (u == v || lo == plan->indptr[u + 1] || (size_t)plan->indices[lo] != v) {
                cperm_plan_free(plan);
                return cperm_fail(err, CPERM_EINVAL, u == v ?
                                  "adjacency: self-loop at vertex %zu (self-adjacency is implicit)" :
                                  "adjacency: not symmetric: edge %zu-%zu has no reverse", v, u);
            }
        }
    }
    if (options->spatial_exclude) {
        plan->exclude = cperm_malloc(V, 1);
        if (!plan->exclude) goto nomem;
        memcpy(plan->exclude, options->spatial_exclude, V);
    }
    plan->opt.spatial_exclude = plan->exclude;
    rc = cperm_orders_1samp(&plan->orders, &plan->n_orders, &plan->exact, n_subjects,
                            options->n_permutations, options->tail, options->seed, err);
    if (rc) {
        cperm_plan_free(plan);
        return rc;
    }
    size_t N = plan->n_orders, n = n_subjects;
    plan->signs = cperm_malloc(N * n, sizeof *plan->signs);
    if (!plan->signs) goto nomem;
    for (size_t k = 0; k < N * n; k++) plan->signs[k] = plan->orders[k] ? 1.0 : -1.0;
    /* table groups: small orders counts get small tables, as tables cost 2^g per point */
    size_t g = MAX_GROUP;
    while (g > 1 && ((size_t)1 << g) > 2 * N) g--;
    size_t G = (n + g - 1) / g;
    if (G > 64) G = 64;
    plan->n_groups = G;
    for (size_t i = 0; i < G; i++) {
        plan->group_start[i] = i * n / G;
        plan->group_size[i] = (i + 1) * n / G - i * n / G;
    }
    plan->group_start[G] = n;
    plan->patterns = cperm_malloc(N * G, sizeof *plan->patterns);
    if (!plan->patterns) goto nomem;
    for (size_t k = 0; k < N; k++)
        for (size_t i = 0; i < G; i++) {
            unsigned pat = 0;
            for (size_t l = 0; l < plan->group_size[i]; l++)
                pat |= (unsigned)plan->orders[k * n + plan->group_start[i] + l] << l;
            plan->patterns[k * G + i] = (uint16_t)pat;
        }
    *out = plan;
    return CPERM_OK;
nomem:
    cperm_plan_free(plan);
    return cperm_fail(err, CPERM_ENOMEM, "plan: out of memory");
}

size_t cperm_plan_n_orders(const cperm_plan *plan) { return plan ? plan->n_orders : 0; }
int cperm_plan_is_exact(const cperm_plan *plan) { return plan ? plan->exact : 0; }
double cperm_plan_threshold(const cperm_plan *plan) { return plan ? plan->threshold : NAN; }
const uint8_t *cperm_plan_order(const cperm_plan *plan, size_t k) {
    return plan && k < plan->n_orders ? plan->orders + k * plan->n_subjects : NULL;
}

/* ---------------------------------------------------------------------- runs */

void cperm_run_free(cperm_run *run) {
    if (!run) return;
    free(run->tobs);
    free(run->sumsq);
    free(run->include);
    free(run->obs_points);
    free(run->obs.offsets);
    free(run->obs.members);
    free(run->obs.stats);
    free(run->pvalues);
    free(run->h0);
    free(run->hat);
    free(run->removed);
    free(run->pass_removed);
    if (run->ws)
        for (int i = 0; i < run->plan->n_threads; i++) cperm_cluster_ws_free(&run->ws[i]);
    free(run->ws);
    cperm_flip_free(run->flip);
    cperm_tfce_free(run->tfce); /* TFCE */
    free(run);
}

int cperm_run_create(cperm_run **out, const cperm_plan *plan, cperm_err *err) {
    if (!out || !plan) return cperm_fail(err, CPERM_EINVAL, "run: NULL argument");
    *out = NULL;
    cperm_run *run = calloc(1, sizeof *run);
    if (!run) return cperm_fail(err, CPERM_ENOMEM, "run: out of memory");
    size_t P = plan->n_points;
    run->plan = plan;
    run->tobs = cperm_malloc(P, sizeof *run->tobs);
    run->sumsq = cperm_malloc(P, sizeof *run->sumsq);
    run->include = cperm_malloc(P, 1);
    run->obs_points = cperm_malloc(P, sizeof *run->obs_points);
    run->obs.offsets = cperm_malloc(P + 1, sizeof *run->obs.offsets);
    run->obs.members = cperm_malloc(P, sizeof *run->obs.members);
    run->obs.stats = cperm_malloc(P, sizeof *run->obs.stats);
    run->pvalues = cperm_malloc(P, sizeof *run->pvalues);
    run->h0 = cperm_malloc(plan->n_orders + 1, sizeof *run->h0);
    run->hat = cperm_malloc(plan->n_orders + 1, sizeof *run->hat);
    run->ws = calloc((size_t)plan->n_threads, sizeof *run->ws);
    run->removed = cperm_malloc(P, sizeof *run->removed);
    run->pass_removed = cperm_malloc(P + 1, sizeof *run->pass_removed);
    if (!run->tobs || !run->sumsq || !run->include || !run->obs_points || !run->obs.offsets ||
        !run->obs.members || !run->obs.stats || !run->pvalues || !run->h0 || !run->hat || !run->ws ||
        !run->removed || !run->pass_removed)
        goto nomem;
    for (int i = 0; i < plan->n_threads; i++)
        if (cperm_cluster_ws_init(&run->ws[i], P, plan->n_times, plan->n_vertices,
                                  plan->opt.max_step))
            goto nomem;
    /* TFCE: its own workspaces instead of the sign-flip kernel's */
    if (plan->opt.tfce ? cperm_tfce_create(&run->tfce, plan) : cperm_flip_create(&run->flip, plan))
        goto nomem;
    *out = run;
    return CPERM_OK;
nomem:
    cperm_run_free(run);
    return cperm_fail(err, CPERM_ENOMEM, "run: out of memory for %zu points", P);
}

/* ------------------------------------------------------------------ execute */

/* _pval_from_histogram */
static void pvalues(const cperm_plan *plan, cperm_run *run) {
    size_t nh = plan->n_orders + 1;
    for (size_t c = 0; c < run->obs.n_clusters; c++) {
        double s = run->obs.stats[c];
        size_t count = 0;
        for (size_t i = 0; i < nh; i++) {
            double h = run->h0[i];
            if (plan->opt.tail < 0) count += h <= s;
            else if (plan->opt.tail > 0) count += h >= s;
            else count += fabs(h) >= fabs(s);
        }
        run->pvalues[c] = (double)count / (double)nh;
    }
}

/* A 64-bit fingerprint of X and of everything in the plan that shapes results, so that a
 * checkpoint is never resumed against other data or parameters. */
static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}
static uint64_t mix_double(uint64_t h, double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return mix(h, u);
}
static uint64_t fingerprint(const cperm_plan *plan, const double *X) {
    const cperm_options *o = &plan->opt;
    uint64_t h = 0x636c757374657270ULL;
    h = mix(h, plan->n_subjects); h = mix(h, plan->n_times); h = mix(h, plan->n_vertices);
    h = mix_double(h, plan->threshold); h = mix(h, (uint64_t)(int64_t)o->tail);
    h = mix_double(h, o->t_power); h = mix(h, plan->n_orders); h = mix(h, o->seed);
    h = mix(h, o->max_step); h = mix_double(h, o->sigma); h = mix(h, (uint64_t)o->sigma_method);
    h = mix_double(h, o->step_down_p); h = mix(h, (uint64_t)o->compat);
    h = mix(h, (uint64_t)o->tfce); h = mix_double(h, o->tfce_start); /* TFCE */
    h = mix_double(h, o->tfce_step); h = mix_double(h, o->tfce_h); h = mix_double(h, o->tfce_e);
    for (size_t v = 0; plan->exclude && v < plan->n_vertices; v++) h = mix(h, plan->exclude[v]);
    for (size_t e = 0; e < plan->indptr[plan->n_vertices]; e++) h = mix(h, (uint64_t)plan->indices[e]);
    size_t total = plan->n_subjects * plan->n_points;
    /* four independent lanes keep the pass over X memory-bound */
    uint64_t l[4] = {h, h ^ 1, h ^ 2, h ^ 3};
    size_t i = 0;
    for (; i + 4 <= total; i += 4)
        for (int k = 0; k < 4; k++) l[k] = mix_double(l[k], X[i + (size_t)k]);
    for (; i < total; i++) l[0] = mix_double(l[0], X[i]);
    return mix(mix(mix(mix(h, l[0]), l[1]), l[2]), l[3]);
}

/* include = not excluded and, when `stepped`, not in a cluster removed by step-down. */
static void set_include(const cperm_plan *plan, cperm_run *run, int stepped) {
    const size_t P = plan->n_points, V = plan->n_vertices;
    for (size_t p = 0; p < P; p++) run->include[p] = plan->exclude ? !plan->exclude[p % V] : 1;
    for (size_t r = 0; stepped && r < run->n_removed; r++) {
        size_t c = run->removed[r];
        for (size_t k = run->obs.offsets[c]; k < run->obs.offsets[c + 1]; k++)
            run->include[run->obs.members[k]] = 0;
    }
}

int cperm_plan_execute(const cperm_plan *plan, const double *X, cperm_run *run, cperm_err *err) {
    if (!plan || !X || !run || run->plan != plan)
        return cperm_fail(err, CPERM_EINVAL, "execute: NULL argument or run of another plan");
    const size_t n = plan->n_subjects, P = plan->n_points, V = plan->n_vertices;
    run->have_result = 0;
    run->have_observed = 0;
    run->X = X;
    run->fingerprint_valid = 0;
    /* run->pvalues doubles as the variance scratch until p-values are computed */
    cperm_scan_info info;
    cperm_tstat_scan(X, n, P, plan->opt.sigma, plan->opt.sigma_method, run->tobs, run->sumsq,
                     run->pvalues, plan->n_threads, &info);
    if (info.first_nonfinite != SIZE_MAX) {
        size_t i = info.first_nonfinite / P, p = info.first_nonfinite % P;
        return cperm_fail(err, CPERM_EINVAL,
                          "data: non-finite value (%g) at subject %zu, time %zu, vertex %zu",
                          X[info.first_nonfinite], i, p / V, p % V);
    }
    run->xmax = info.xmax;
    int resume = run->resume_pending;
    run->resume_pending = 0;
    if (resume) {
        run->fingerprint = fingerprint(plan, X);
        run->fingerprint_valid = 1;
        if (run->fingerprint != run->resume_fingerprint)
            return cperm_fail(err, CPERM_EMISMATCH, "checkpoint: it was made for other data or "
                              "other parameters; refusing to resume");
    }
    if (plan->opt.tfce) return cperm_tfce_execute(plan, X, run, resume, err); /* TFCE */
    const int tail = plan->opt.tail;
    const double thr = plan->threshold;
    if (!resume) run->n_removed = 0;
    set_include(plan, run, 0);
    size_t m = 0;
    for (size_t p = 0; p < P; p++) {
        double t = run->tobs[p];
        int supra = tail == 0 ? (t > thr || t < -thr) : tail > 0 ? t > thr : t < thr;
        if (supra && run->include[p]) {
            run->obs_points[m].idx = (int64_t)p;
            run->obs_points[m].t = t;
            m++;
        }
    }
    cperm_find_clusters(plan, &run->ws[0], run->obs_points, m, &run->obs, NULL);
    run->have_observed = 1;
    run->n_step_downs = 0;
    if (run->obs.n_clusters == 0) {
        run->have_result = 1;
        return CPERM_OK;
    }
    const size_t C = run->obs.n_clusters;
    for (size_t r = 0; r < run->n_removed; r++)
        if (run->removed[r] >= C)
            return cperm_fail(err, CPERM_EMISMATCH, "checkpoint: names cluster %zu of %zu",
                              run->removed[r], C);
    double orig = run->obs.stats[0];
    for (size_t c = 1; c < C; c++) {
        double s = run->obs.stats[c];
        if (tail < 0) orig = s < orig ? s : orig;
        else if (tail > 0) orig = s > orig ? s : orig;
    }
    if (tail == 0) {
        orig = 0;
        for (size_t c = 0; c < C; c++) orig = fabs(run->obs.stats[c]) > orig ? fabs(run->obs.stats[c]) : orig;
    }
    cperm_flip_prepare(plan, run, X);
    int pass = resume ? run->pass : 0;
    size_t start = resume ? run->done : 0;
    for (;;) {
        set_include(plan, run, 1);
        run->pass = pass;
        run->done = start;
        int rc = cperm_flip_run(plan, run, X, pass, start, err);
        run->n_executed += run->done - start; /* the chunks it finished, also when it fails */
        if (rc) return rc;
        run->h0[0] = orig;
        pvalues(plan, run);
        /* step-down-in-jumps: clusters with p < step_down_p leave the next pass */
        size_t total_removed = run->n_removed, removed = 0;
        for (size_t c = 0; c < C; c++)
            if (run->pvalues[c] < plan->opt.step_down_p) run->removed[removed++] = c;
        run->n_removed = removed;
        run->n_step_downs = (size_t)pass + 1;
        run->pass_removed[pass] = removed > total_removed ? removed - total_removed : 0;
        if (removed <= total_removed) break;
        pass++;
        start = 0;
    }
    run->have_result = 1;
    return CPERM_OK;
}

/* -------------------------------------------------------------- checkpoints */

/* The blob, little-endian u64s: magic, fingerprint, n_orders, pass, done, n_removed, then
 * removed[n_removed], pass_removed[pass] (what each earlier pass excluded, so that a resumed
 * run reports every pass; not in version 1) and h0[1 .. done] (as bits). Version 1 blobs
 * are still read when they are in pass 0, which has no earlier passes. */
#define CKPT_MAGIC "CPRMCKP2"
#define CKPT_MAGIC_V1 "CPRMCKP1"

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

size_t cperm_run_checkpoint(cperm_run *run, void *buf, size_t cap) {
    if (!run || !run->X) return 0;
    size_t need = 8 + 8 * 5 + 8 * run->n_removed + 8 * (size_t)run->pass + 8 * run->done;
    if (!buf || cap < need) return need;
    if (!run->fingerprint_valid) {
        run->fingerprint = fingerprint(run->plan, run->X);
        run->fingerprint_valid = 1;
    }
    unsigned char *p = buf;
    memcpy(p, CKPT_MAGIC, 8);
    put_u64(p + 8, run->fingerprint);
    put_u64(p + 16, run->plan->n_orders);
    put_u64(p + 24, (uint64_t)run->pass);
    put_u64(p + 32, run->done);
    put_u64(p + 40, run->n_removed);
    p += 48;
    for (size_t r = 0; r < run->n_removed; r++, p += 8) put_u64(p, run->removed[r]);
    for (int q = 0; q < run->pass; q++, p += 8) put_u64(p, run->pass_removed[q]);
    for (size_t k = 0; k < run->done; k++, p += 8) {
        uint64_t u;
        memcpy(&u, &run->h0[1 + k], 8);
        put_u64(p, u);
    }
    return need;
}

int cperm_run_restore(cperm_run *run, const void *buf, size_t size, cperm_err *err) {
    if (!run || !buf) return cperm_fail(err, CPERM_EINVAL, "checkpoint: NULL argument");
    const unsigned char *p = buf;
    const int v1 = size >= 48 && memcmp(p, CKPT_MAGIC_V1, 8) == 0;
    if (size < 48 || (!v1 && memcmp(p, CKPT_MAGIC, 8) != 0))
        return cperm_fail(err, CPERM_EFORMAT, "checkpoint: not a clusterperm checkpoint "
                          "(%zu bytes, bad magic or too short)", size);
    uint64_t n_orders = get_u64(p + 16), pass = get_u64(p + 24), done = get_u64(p + 32),
             n_removed = get_u64(p + 40);
    const cperm_plan *plan = run->plan;
    if (n_orders != plan->n_orders)
        return cperm_fail(err, CPERM_EMISMATCH, "checkpoint: made for %llu permutations, this "
                          "run has %zu", (unsigned long long)n_orders, plan->n_orders);
    if (v1 && pass > 0)
        return cperm_fail(err, CPERM_EFORMAT, "checkpoint: made by an older clusterperm in "
                          "step-down pass %llu, which it cannot resume",
                          (unsigned long long)pass + 1);
    /* bounds first, so that the size below cannot overflow */
    const uint64_t n_pass = v1 ? 0 : pass;
    if (done > n_orders || n_removed > plan->n_points || pass > plan->n_points + 1 ||
        size != 48 + 8 * (n_removed + n_pass + done))
        return cperm_fail(err, CPERM_EFORMAT, "checkpoint: corrupt (%zu bytes for %llu "
                          "permutations done and %llu removed clusters)", size,
                          (unsigned long long)done, (unsigned long long)n_removed);
    p += 48;
    /* every earlier pass excluded at least one more, and they add up to the removed list */
    const unsigned char *pr = p + 8 * n_removed;
    uint64_t sum = 0;
    for (uint64_t q = 0; q < n_pass; q++) {
        uint64_t m = get_u64(pr + 8 * q);
        if (m == 0 || m > n_removed - sum)
            return cperm_fail(err, CPERM_EFORMAT, "checkpoint: corrupt (step-down pass %llu "
                              "excluded %llu of %llu)", (unsigned long long)q + 1,
                              (unsigned long long)m, (unsigned long long)n_removed);
        sum += m;
    }
    if (sum != n_removed) /* also: nothing is removed in pass 0 */
        return cperm_fail(err, CPERM_EFORMAT, "checkpoint: corrupt (its %llu earlier step-down "
                          "passes excluded %llu, its list holds %llu)",
                          (unsigned long long)n_pass, (unsigned long long)sum,
                          (unsigned long long)n_removed);
    for (size_t r = 0; r < n_removed; r++, p += 8) run->removed[r] = (size_t)get_u64(p);
    for (size_t q = 0; q < n_pass; q++, p += 8) run->pass_removed[q] = (size_t)get_u64(p);
    for (size_t k = 0; k < done; k++, p += 8) {
        uint64_t u = get_u64(p);
        memcpy(&run->h0[1 + k], &u, 8);
    }
    run->resume_fingerprint = get_u64((const unsigned char *)buf + 8);
    run->pass = (int)pass;
    run->done = (size_t)done;
    run->n_removed = (size_t)n_removed;
    run->resume_pending = 1;
    run->n_executed = 0;
    run->n_restored = (size_t)done;
    run->restored_pass = (int)pass;
    return CPERM_OK;
}

/* ---------------------------------------------------------------- accessors */

const double *cperm_run_tobs(const cperm_run *run) {
    return run && (run->have_result || run->have_observed) ? run->tobs : NULL;
}
size_t cperm_run_n_clusters(const cperm_run *run) {
    return run && (run->have_result || run->have_observed) ? run->obs.n_clusters : 0;
}
const int64_t *cperm_run_cluster(const cperm_run *run, size_t k, size_t *n_members) {
    if (!run || !run->have_result || k >= run->obs.n_clusters) {
        if (n_members) *n_members = 0;
        return NULL;
    }
    if (n_members) *n_members = run->obs.offsets[k + 1] - run->obs.offsets[k];
    return run->obs.members + run->obs.offsets[k];
}
const double *cperm_run_cluster_stats(const cperm_run *run) {
    return run && run->have_result ? run->obs.stats : NULL;
}
const double *cperm_run_pvalues(const cperm_run *run) {
    return run && run->have_result && run->obs.n_clusters ? run->pvalues : NULL;
}
const double *cperm_run_h0(const cperm_run *run, size_t *n_h0) {
    size_t nh = run && run->have_result && run->obs.n_clusters ? run->plan->n_orders + 1 : 0;
    if (n_h0) *n_h0 = nh;
    return nh ? run->h0 : NULL;
}
size_t cperm_run_n_step_downs(const cperm_run *run) {
    return run && run->have_result ? run->n_step_downs : 0;
}
size_t cperm_run_step_down_removed(const cperm_run *run, size_t pass) {
    return run && run->have_result && pass < run->n_step_downs ? run->pass_removed[pass] : 0;
}
size_t cperm_run_n_executed(const cperm_run *run) { return run ? run->n_executed : 0; }
size_t cperm_run_n_restored(const cperm_run *run, int *pass) {
    if (pass) *pass = run ? run->restored_pass : 0;
    return run ? run->n_restored : 0;
}
