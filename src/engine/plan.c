/* plan.c - the cluster permutation test's objects: plan creation (options of any struct
 * version, validation of the design and statistic, the orders' stream, sign-flip tables, the
 * choice of kernel), runs (every buffer an
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
    free(plan->lower_indptr);
    free(plan->lower_indices);
    free(plan->exclude);
    free(plan->point_exclude);
    cperm_rm_design_clear(&plan->rm);
    cperm_order_stream_free(plan->orders);
    free(plan);
}

/* The caller's options, of any struct version, as the current struct: fields a version does
 * not have take their defaults. Only the first int is read before the version is known. */
static int normalize_options(cperm_options *dst, const cperm_options *src, cperm_err *err) {
    if (!src) return cperm_fail(err, CPERM_EINVAL, "options: NULL");
    const int v = src->version;
    if (v < 1 || v > 4)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown struct version %d (this library "
                          "knows 1 to %d; initialise with cperm_options_init)", v,
                          CPERM_OPTIONS_VERSION);
    cperm_options_init(dst, CPERM_OPTIONS_VERSION);
    memcpy(dst, src, v == 1   ? CPERM_OPTIONS_V1_SIZE
                     : v == 2 ? CPERM_OPTIONS_V2_SIZE
                     : v == 3 ? CPERM_OPTIONS_V3_SIZE
                              : CPERM_OPTIONS_V4_SIZE);
    dst->version = CPERM_OPTIONS_VERSION;
    if (dst->given_orders || dst->n_given_orders) {
        if (!dst->given_orders || dst->n_given_orders < 1)
            return cperm_fail(err, CPERM_EINVAL, "options: given_orders is %s with "
                              "n_given_orders %zu (give at least one order, or neither)",
                              dst->given_orders ? "set" : "NULL", dst->n_given_orders);
        if (dst->n_given_orders > (size_t)CPERM_ORDERS_MAX_PERMUTATIONS)
            return cperm_fail(err, CPERM_EINVAL, "options: %zu given orders, more than the "
                              "limit of %ld", dst->n_given_orders, CPERM_ORDERS_MAX_PERMUTATIONS);
        /* seed and n_permutations are unused: MNE's count (the identity included) and no
         * seed, so that validation and fingerprints see only what shapes the results */
        dst->n_permutations = (long)dst->n_given_orders + 1;
        dst->seed = 0;
    }
    return CPERM_OK;
}

/* The design and the statistic: what each design supports in this version. */
static int validate_design(size_t n, const cperm_options *o, cperm_err *err) {
    const int callback = o->statistic == CPERM_STAT_CALLBACK;
    if (callback && !o->stat_fn)
        return cperm_fail(err, CPERM_EINVAL, "options: statistic CPERM_STAT_CALLBACK needs "
                          "stat_fn");
    if (o->design == CPERM_DESIGN_SIGN_FLIP) {
        if (o->statistic != CPERM_STAT_DEFAULT && o->statistic != CPERM_STAT_T_1SAMP && !callback)
            return cperm_fail(err, CPERM_EUNSUPPORTED, "options: a sign-flip design tests the "
                              "one-sample t (statistic %d is not supported)", o->statistic);
        if (n > MAX_SUBJECTS)
            return cperm_fail(err, CPERM_EUNSUPPORTED, "data: at most %d subjects are "
                              "supported, got %zu", MAX_SUBJECTS, n);
        return CPERM_OK;
    }
    if (o->design != CPERM_DESIGN_GROUPS)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown design %d", o->design);
    if (o->statistic == CPERM_STAT_F_MWAY_RM) return cperm_rm_validate(n, o, err);
    if (o->statistic != CPERM_STAT_DEFAULT && o->statistic != CPERM_STAT_F_ONEWAY &&
        o->statistic != CPERM_STAT_T_IND && !callback)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "options: groups are tested with the one-way "
                          "F, the two-sample t, the repeated-measures F or a callback "
                          "(statistic %d)", o->statistic);
    const int t_ind = o->statistic == CPERM_STAT_T_IND;
    if (o->n_groups < 2 || o->n_groups > CPERM_MAX_GROUPS || !o->group_sizes)
        return cperm_fail(err, CPERM_EINVAL, "options: a groups design needs 2 to %d group "
                          "sizes, got %zu%s", CPERM_MAX_GROUPS, o->n_groups,
                          o->group_sizes ? "" : " (group_sizes is NULL)");
    size_t total = 0;
    for (size_t g = 0; g < o->n_groups; g++) {
        if (o->group_sizes[g] < 1)
            return cperm_fail(err, CPERM_EINVAL, "options: group %zu is empty", g + 1);
        total += o->group_sizes[g];
    }
    if (total != n)
        return cperm_fail(err, CPERM_EMISMATCH, "options: the group sizes sum to %zu "
                          "observations, X has %zu", total, n);
    if (total <= o->n_groups)
        return cperm_fail(err, CPERM_EINVAL, "options: %zu observations in %zu groups leave no "
                          "degree of freedom within groups", total, o->n_groups);
    if (total > UINT32_MAX)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "data: %zu observations are too many", total);
    /* the caller's statistic: any tail and TFCE; sigma and equal_var are its business */
    if (callback)
        return o->n_permutations == CPERM_PERMUTATIONS_ALL
                   ? cperm_fail(err, CPERM_EINVAL, "options: n_permutations='all' enumerates "
                                "sign flips; give a number for label shuffles")
                   : CPERM_OK;
    if (t_ind && o->n_groups != 2)
        return cperm_fail(err, CPERM_EINVAL, "options: the two-sample t compares 2 groups, got "
                          "%zu", o->n_groups);
    if (t_ind && (o->group_sizes[0] < 2 || o->group_sizes[1] < 2))
        return cperm_fail(err, CPERM_EINVAL, "options: the two-sample t needs 2 observations "
                          "per group (%zu and %zu)", o->group_sizes[0], o->group_sizes[1]);
    if (t_ind && o->sigma_method != CPERM_SIGMA_RELATIVE)
        return cperm_fail(err, CPERM_EINVAL, "options: ttest_ind_no_p's sigma is relative "
                          "(sigma * max variance); sigma_method must be relative");
    if (t_ind && o->equal_var != 0 && o->equal_var != 1)
        return cperm_fail(err, CPERM_EINVAL, "options: equal_var must be 0 or 1, got %d",
                          o->equal_var);
    /* tail 0 is MNE's default for permutation_cluster_test, which then only warns: F >= 0
     * makes it the same test as tail 1 */
    if (!t_ind && o->tail < 0)
        return cperm_fail(err, CPERM_EINVAL, "options: the F test is one-tailed (tail 1; tail 0 "
                          "is the same), got tail %d", o->tail);
    if (o->tfce != CPERM_TFCE_NONE)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "options: TFCE of a groups design is not "
                          "supported yet");
    if (!t_ind && o->sigma != 0)
        return cperm_fail(err, CPERM_EINVAL, "options: f_oneway has no hat adjustment; sigma "
                          "must be 0 for the F test, got %g", o->sigma);
    if (o->n_permutations == CPERM_PERMUTATIONS_ALL)
        return cperm_fail(err, CPERM_EINVAL, "options: n_permutations='all' enumerates sign "
                          "flips; give a number for label shuffles");
    return CPERM_OK;
}

/* The cluster-forming controls (issue 13): refused with TFCE, which has no clusters to
 * filter, and refused where no cluster could ever survive them (a value in the wrong unit,
 * say milliseconds for time points), which would make every test an empty one. The graph has
 * been validated. */
static int validate_cluster_controls(const cperm_graph *graph, size_t n_times,
                                     const cperm_options *o, cperm_err *err) {
    if (!o->min_neighbors && !o->min_duration && !o->min_extent) return CPERM_OK;
    if (o->tfce != CPERM_TFCE_NONE)
        return cperm_fail(err, CPERM_EINVAL, "options: min_neighbors, min_duration and "
                          "min_extent filter threshold-based clusters; TFCE has none (got %zu, "
                          "%zu and %zu)", o->min_neighbors, o->min_duration, o->min_extent);
    size_t max_degree = 0;
    for (size_t v = 0; v < graph->n_vertices; v++) {
        const size_t d = graph->indptr[v + 1] - graph->indptr[v];
        max_degree = d > max_degree ? d : max_degree;
    }
    if (o->min_neighbors > max_degree)
        return cperm_fail(err, CPERM_EINVAL, "options: min_neighbors %zu exceeds the largest "
                          "number of neighbours of a vertex (%zu): no point could stay",
                          o->min_neighbors, max_degree);
    if (o->min_duration > n_times)
        return cperm_fail(err, CPERM_EINVAL, "options: min_duration %zu time points exceeds "
                          "the data's %zu time points: no cluster could stay", o->min_duration,
                          n_times);
    if (o->min_extent > graph->n_vertices)
        return cperm_fail(err, CPERM_EINVAL, "options: min_extent %zu vertices exceeds the "
                          "data's %zu vertices: no cluster could stay", o->min_extent,
                          graph->n_vertices);
    return CPERM_OK;
}

static int validate(const cperm_graph *graph, size_t n_subjects, size_t n_times,
                    const cperm_options *o, cperm_err *err) {
    if (!graph || !graph->indptr || (graph->n_vertices && !graph->indices && graph->indptr[graph->n_vertices]))
        return cperm_fail(err, CPERM_EINVAL, "adjacency: a spatial graph is required");
    if (n_subjects < 2)
        return cperm_fail(err, CPERM_EINVAL, "data: need at least 2 subjects, got %zu", n_subjects);
    int drc = validate_design(n_subjects, o, err);
    if (drc) return drc;
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
    if (o->sequential_sums != 0 && o->sequential_sums != 1)
        return cperm_fail(err, CPERM_EINVAL, "options: sequential_sums must be 0 or 1, got %d",
                          o->sequential_sums);
    if (o->compat != CPERM_COMPAT_NONE && o->compat != CPERM_COMPAT_MNE13)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown compat mode %d", o->compat);
    /* TFCE */
    int trc = cperm_tfce_validate(o, err);
    if (trc) return trc;
    if (o->tfce == CPERM_TFCE_EXACT && n_times * graph->n_vertices >= TFCE_EXACT_MAX)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "data: exact TFCE supports fewer than %u "
                          "points, got %zu times x %zu vertices", TFCE_EXACT_MAX, n_times,
                          graph->n_vertices);
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
    return validate_cluster_controls(graph, n_times, o, err);
}

/* The first neighbour u of v whose row lacks v (or u == v, a self-loop), else SIZE_MAX;
 * binary search in u's sorted row. */
static size_t row_asymmetric(const cperm_plan *plan, size_t v) {
    for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++) {
        size_t u = (size_t)plan->indices[e];
        size_t lo = plan->indptr[u], hi = plan->indptr[u + 1];
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if ((size_t)plan->indices[mid] < v) lo = mid + 1; else hi = mid;
        }
        if (u == v || lo == plan->indptr[u + 1] || (size_t)plan->indices[lo] != v) return u;
    }
    return SIZE_MAX;
}

int cperm_plan_create(cperm_plan **out, const cperm_graph *graph, size_t n_subjects,
                      size_t n_times, const cperm_options *options, cperm_err *err) {
    if (!out) return cperm_fail(err, CPERM_EINVAL, "plan: NULL output");
    *out = NULL;
    cperm_options opt;
    int rc = normalize_options(&opt, options, err);
    if (rc) return rc;
    options = &opt;
    rc = validate(graph, n_subjects, n_times, options, err);
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
    const int callback = options->statistic == CPERM_STAT_CALLBACK;
    plan->kernel = callback ? (options->tfce ? &cperm_kernel_callback_tfce : &cperm_kernel_callback)
                   : options->design == CPERM_DESIGN_GROUPS ? &cperm_kernel_groups_f
                   : options->tfce ? &cperm_kernel_tfce : &cperm_kernel_cluster_mass;
    /* the design's statistic, resolved: plan->opt.statistic is never DEFAULT */
    const int rm = options->design == CPERM_DESIGN_GROUPS &&
                   options->statistic == CPERM_STAT_F_MWAY_RM;
    plan->opt.statistic = callback ? CPERM_STAT_CALLBACK
                          : options->design != CPERM_DESIGN_GROUPS ? CPERM_STAT_T_1SAMP
                          : rm ? CPERM_STAT_F_MWAY_RM
                          : options->statistic == CPERM_STAT_T_IND ? CPERM_STAT_T_IND
                                                                   : CPERM_STAT_F_ONEWAY;
    if (rm) { /* the cells are the groups (rmanova.c): n_cells blocks of the subjects */
        size_t cells = 1;
        for (size_t k = 0; k < options->rm_n_factors; k++) cells *= options->rm_factor_levels[k];
        rc = cperm_rm_design_init(&plan->rm, n_subjects / cells, options->rm_n_factors,
                                  options->rm_factor_levels, options->rm_effect, err);
        if (rc) {
            cperm_plan_free(plan);
            return rc;
        }
        plan->n_classes = cells;
        for (size_t g = 0; g <= cells; g++) plan->class_start[g] = g * plan->rm.n_reps;
        for (size_t g = 0; g < cells; g++) plan->class_size[g] = plan->rm.n_reps;
        plan->opt.n_groups = cells;
        plan->opt.group_sizes = plan->class_size;
        plan->opt.rm_factor_levels = plan->rm.levels;
    } else if (options->design == CPERM_DESIGN_GROUPS) {
        plan->n_classes = options->n_groups;
        plan->class_start[0] = 0;
        for (size_t g = 0; g < plan->n_classes; g++) {
            plan->class_size[g] = options->group_sizes[g];
            plan->class_start[g + 1] = plan->class_start[g] + plan->class_size[g];
        }
        plan->opt.group_sizes = plan->class_size;
    } else {
        plan->opt.n_groups = 0;
        plan->opt.group_sizes = NULL;
    }
    if (!rm) { /* repeated-measures options mean nothing to other statistics */
        plan->opt.rm_n_factors = 0;
        plan->opt.rm_factor_levels = NULL;
        plan->opt.rm_effect = 0;
        plan->opt.rm_scheme = CPERM_RM_WITHIN;
    }
    plan->indptr = cperm_malloc(V + 1, sizeof *plan->indptr);
    plan->indices = cperm_malloc(E ? E : 1, sizeof *plan->indices);
    if (!plan->indptr || !plan->indices) goto nomem;
    memcpy(plan->indptr, graph->indptr, (V + 1) * sizeof *plan->indptr);
    if (E) memcpy(plan->indices, graph->indices, E * sizeof *plan->indices);
    /* symmetry: every edge v->u must have u->v. The rows' binary searches were a serial
     * millisecond and a half of every plan at ico-5, so the rows go in threads and the
     * first bad row, if any, is found again for its message. */
    size_t bad_v = SIZE_MAX;
#pragma omp parallel for schedule(static) num_threads(plan->n_threads) reduction(min : bad_v)
    for (size_t v = 0; v < V; v++)
        if (row_asymmetric(plan, v) != SIZE_MAX && v < bad_v) bad_v = v;
    if (bad_v != SIZE_MAX) {
        const size_t u = row_asymmetric(plan, bad_v);
        cperm_plan_free(plan);
        return cperm_fail(err, CPERM_EINVAL, u == bad_v ?
                          "adjacency: self-loop at vertex %zu (self-adjacency is implicit)" :
                          "adjacency: not symmetric: edge %zu-%zu has no reverse", bad_v, u);
    }
    /* Each vertex's earlier neighbours alone, in a CSR half the size: the union-find of the
     * permutation loop reads only those, and the full lists miss the L2 cache there. */
    if (E / 2 > UINT32_MAX) {
        cperm_plan_free(plan);
        return cperm_fail(err, CPERM_EINVAL, "adjacency: %zu edges, more than this engine "
                          "handles (2^33)", E);
    }
    plan->lower_indptr = cperm_malloc(V + 1, sizeof *plan->lower_indptr);
    plan->lower_indices = cperm_malloc(E / 2 + 1, sizeof *plan->lower_indices);
    if (!plan->lower_indptr || !plan->lower_indices) goto nomem;
    plan->lower_indptr[0] = 0;
    for (size_t v = 0, m = 0; v < V; v++) {
        for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1] && (size_t)plan->indices[e] < v; e++)
            plan->lower_indices[m++] = plan->indices[e];
        plan->lower_indptr[v + 1] = (uint32_t)m;
    }
    if (options->spatial_exclude) {
        plan->exclude = cperm_malloc(V, 1);
        if (!plan->exclude) goto nomem;
        memcpy(plan->exclude, options->spatial_exclude, V);
    }
    plan->opt.spatial_exclude = plan->exclude;
    if (options->exclude) {
        plan->point_exclude = cperm_malloc(plan->n_points, 1);
        if (!plan->point_exclude) goto nomem;
        memcpy(plan->point_exclude, options->exclude, plan->n_points);
    }
    plan->opt.exclude = plan->point_exclude;
    if (!callback) { /* the callback's alone */
        plan->opt.stat_fn = NULL;
        plan->opt.stat_user = NULL;
    }
    rc = options->given_orders
             ? cperm_order_stream_given(&plan->orders, options->design == CPERM_DESIGN_GROUPS
                                                           ? CPERM_ORDERS_LABELS
                                                           : CPERM_ORDERS_SIGNS,
                                        n_subjects, options->n_given_orders,
                                        options->given_orders, err)
         : rm && options->rm_scheme == CPERM_RM_WITHIN
             ? cperm_order_stream_within(&plan->orders, plan->n_classes, plan->rm.n_reps,
                                         options->n_permutations, options->seed, err)
         : options->design == CPERM_DESIGN_GROUPS
             ? cperm_order_stream_labels(&plan->orders, n_subjects, options->n_permutations,
                                         options->seed, err)
             : cperm_order_stream_signflip(&plan->orders, n_subjects, options->n_permutations,
                                           options->tail, options->seed, err);
    if (rc) {
        cperm_plan_free(plan);
        return rc;
    }
    /* Orders are never held whole: each chunk of permutations regenerates its own into the
     * run's window (10^6 permutations of 64 subjects held as bytes were 64 MB, as +-1.0
     * 512 MB). */
    /* the plan's copy of given orders (the caller's array may be freed) */
    plan->opt.given_orders = cperm_order_stream_given_rows(plan->orders, NULL);
    plan->n_orders = cperm_order_stream_count(plan->orders);
    plan->exact = cperm_order_stream_exact(plan->orders);
    size_t N = plan->n_orders, n = n_subjects;
    /* sign-flip table groups: small orders counts get small tables, as tables cost 2^g per
     * point */
    size_t g = MAX_GROUP;
    while (g > 1 && ((size_t)1 << g) > 2 * N) g--;
    size_t G = plan->opt.design == CPERM_DESIGN_SIGN_FLIP ? (n + g - 1) / g : 0;
    if (G > 64) G = 64;
    plan->n_groups = G;
    for (size_t i = 0; i < G; i++) {
        plan->group_start[i] = i * n / G;
        plan->group_size[i] = (i + 1) * n / G - i * n / G;
    }
    plan->group_start[G] = n;
    *out = plan;
    return CPERM_OK;
nomem:
    cperm_plan_free(plan);
    return cperm_fail(err, CPERM_ENOMEM, "plan: out of memory");
}

size_t cperm_plan_n_orders(const cperm_plan *plan) { return plan ? plan->n_orders : 0; }
int cperm_plan_is_exact(const cperm_plan *plan) { return plan ? plan->exact : 0; }
double cperm_plan_threshold(const cperm_plan *plan) { return plan ? plan->threshold : NAN; }
/* Orders k0 .. k1-1 regenerated into out, for a plan of the given design. */
static int plan_orders(const cperm_plan *plan, size_t k0, size_t k1, void *out, int design,
                       cperm_err *err) {
    if (!plan || (!out && k1 > k0)) return cperm_fail(err, CPERM_EINVAL, "orders: NULL argument");
    if (plan->opt.design != design)
        return cperm_fail(err, CPERM_EINVAL, design == CPERM_DESIGN_GROUPS
                          ? "orders: the plan flips signs; read its orders with cperm_plan_orders"
                          : "orders: the plan shuffles labels; read its orders with "
                            "cperm_plan_label_orders");
    if (k0 > k1 || k1 > plan->n_orders)
        return cperm_fail(err, CPERM_EINVAL, "orders: [%zu, %zu) is not a range of [0, %zu)",
                          k0, k1, plan->n_orders);
    cperm_order_cursor c;
    cperm_order_cursor_init(&c);
    cperm_order_stream_fill(plan->orders, &c, k0, k1, out);
    return CPERM_OK;
}

int cperm_plan_orders(const cperm_plan *plan, size_t k0, size_t k1, uint8_t *out,
                      cperm_err *err) {
    return plan_orders(plan, k0, k1, out, CPERM_DESIGN_SIGN_FLIP, err);
}

int cperm_plan_label_orders(const cperm_plan *plan, size_t k0, size_t k1, uint32_t *out,
                            cperm_err *err) {
    return plan_orders(plan, k0, k1, out, CPERM_DESIGN_GROUPS, err);
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
    free(run->win_orders);
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
    run->win_orders = cperm_malloc(CPERM_ORDER_WINDOW, plan->n_subjects *
                                   (plan->opt.design == CPERM_DESIGN_GROUPS ? sizeof(uint32_t) : 1));
    cperm_order_cursor_init(&run->cursor);
    run->h0_sorted = cperm_malloc(plan->n_orders + 1, sizeof *run->h0_sorted);
    run->n_threads = plan->n_threads;
    run->progress = plan->opt.progress;
    run->progress_user = plan->opt.progress_user;
    run->sign_rows = cperm_malloc((size_t)run->n_threads * plan->n_subjects,
                                  sizeof *run->sign_rows);
    run->have = cperm_calloc((plan->n_orders + 63) / 64 + 1, sizeof *run->have);
    run->removed = cperm_malloc(P, sizeof *run->removed);
    run->pass_removed = cperm_malloc(P + 1, sizeof *run->pass_removed);
    if (!run->tobs || !run->sumsq || !run->include || !run->obs_points || !run->obs.offsets ||
        !run->obs.members || !run->obs.stats || !run->pvalues || !run->h0 || !run->win_orders ||
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

int cperm_run_set_threads(cperm_run *run, int n_jobs, cperm_err *err) {
    if (!run) return cperm_fail(err, CPERM_EINVAL, "run: NULL argument");
    if (run->pass_open)
        return cperm_fail(err, CPERM_EINVAL, "run: threads cannot change while a step-down pass "
                          "is open");
    const cperm_plan *plan = run->plan;
    const int n = resolve_threads(n_jobs);
    if (n == run->n_threads) return CPERM_OK;
    double *rows = cperm_malloc((size_t)n, plan->n_subjects * sizeof *rows);
    if (!rows) return cperm_fail(err, CPERM_ENOMEM, "run: out of memory for %d threads", n);
    /* per-thread workspaces are the kernel's: made again for the new count */
    plan->kernel->destroy(run);
    free(run->sign_rows);
    run->sign_rows = rows;
    run->n_threads = n;
    run->have_result = 0;
    run->have_observed = 0;
    if (plan->kernel->create(run, plan)) {
        plan->kernel->destroy(run);
        run->n_threads = 1;
        int rc = plan->kernel->create(run, plan);
        return cperm_fail(err, CPERM_ENOMEM, "run: out of memory for the workspaces of %d "
                          "threads%s", n, rc ? "; the run is unusable" : "; it keeps one thread");
    }
    return CPERM_OK;
}

void cperm_run_set_progress(cperm_run *run, cperm_progress_fn progress, void *user) {
    if (!run) return;
    run->progress = progress;
    run->progress_user = user;
}

int cperm_run_threads(const cperm_run *run) { return run ? run->n_threads : 0; }

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
