/* plan.c - the one-sample cluster permutation test's objects: plan creation (validation,
 * sign-flip orders and tables, the choice of cluster statistic), runs (every buffer an
 * execution needs) and the accessors of results. Execution is driver.c's, checkpoints are
 * checkpoint.c's. */
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
    plan->kernel = options->tfce ? &cperm_kernel_tfce : &cperm_kernel_cluster_mass;
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
    /* Orders stay one byte per subject; the +-1.0 rows the arithmetic needs are expanded per
     * order into a thread's row (cperm_order_signs), not stored: 8x less memory, which for
     * 10^6 permutations of 64 subjects is 448 MB. */
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
    free(run->sign_rows);
    free(run->h0_sorted);
    free(run->have);
    free(run->removed);
    free(run->pass_removed);
    run->plan->kernel->destroy(run);
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
    run->h0_sorted = cperm_malloc(plan->n_orders + 1, sizeof *run->h0_sorted);
    run->sign_rows = cperm_malloc((size_t)plan->n_threads * plan->n_subjects,
                                  sizeof *run->sign_rows);
    run->have = cperm_calloc((plan->n_orders + 63) / 64 + 1, sizeof *run->have);
    run->removed = cperm_malloc(P, sizeof *run->removed);
    run->pass_removed = cperm_malloc(P + 1, sizeof *run->pass_removed);
    if (!run->tobs || !run->sumsq || !run->include || !run->obs_points || !run->obs.offsets ||
        !run->obs.members || !run->obs.stats || !run->pvalues || !run->h0 || !run->hat ||
        !run->h0_sorted || !run->sign_rows || !run->have || !run->removed || !run->pass_removed)
        goto nomem;
    /* the cluster statistic's own workspaces */
    if (plan->kernel->create(run, plan)) goto nomem;
    *out = run;
    return CPERM_OK;
nomem:
    cperm_run_free(run);
    return cperm_fail(err, CPERM_ENOMEM, "run: out of memory for %zu points", P);
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
