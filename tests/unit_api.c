/* unit_api.c - library-wide entry points: cperm_options_init gives the documented defaults
 * for each accepted struct version (1, 2, 3), writing only that version's bytes, and refuses
 * others, cperm_version is the compiled-in
 * version, cperm_free takes NULL and malloc'ed buffers (checked by the sanitizer run). */
#include "clusterperm.h"
#include "testutil.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    cperm_options o;
    memset(&o, 0xA5, sizeof o);
    int rc = cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    CHECK("options_init_ok", rc == CPERM_OK, "rc %d", rc);
    CHECK("options_init_version", o.version == CPERM_OPTIONS_VERSION, "version %d", o.version);
    /* MNE's defaults, field by field (the values a binding relies on) */
    CHECK("options_init_tail", o.tail == 0, "tail %d", o.tail);
    CHECK("options_init_t_power", o.t_power == 1.0, "t_power %g", o.t_power);
    CHECK("options_init_n_permutations", o.n_permutations == 1024, "%ld", o.n_permutations);
    CHECK("options_init_seed", o.seed == 0, "seed %u", o.seed);
    CHECK("options_init_max_step", o.max_step == 1, "max_step %zu", o.max_step);
    CHECK("options_init_sigma", o.sigma == 0.0 && o.sigma_method == CPERM_SIGMA_RELATIVE,
          "sigma %g method %d", o.sigma, o.sigma_method);
    CHECK("options_init_step_down", o.step_down_p == 0.0, "%g", o.step_down_p);
    CHECK("options_init_jobs", o.n_jobs == 1, "%d", o.n_jobs);
    CHECK("options_init_pointers", !o.spatial_exclude && !o.progress && !o.progress_user,
          "non-NULL pointer defaults");
    CHECK("options_init_tfce", o.tfce == CPERM_TFCE_NONE && o.tfce_h == 2.0 && o.tfce_e == 0.5 &&
          o.tfce_start == 0.0 && o.tfce_step == 0.2, "tfce %d h %g e %g", o.tfce, o.tfce_h,
          o.tfce_e);
    const cperm_options init = CPERM_OPTIONS_INIT;
    CHECK("options_init_equals_macro", !memcmp(&init.threshold, &o.threshold, sizeof(double)) &&
          init.compat == o.compat, "differs from CPERM_OPTIONS_INIT");
    CHECK("options_init_v3_fields", !o.given_orders && o.n_given_orders == 0 && !o.stat_fn &&
          !o.stat_user, "version-3 fields not defaulted");
    CHECK("options_init_version_4", CPERM_OPTIONS_VERSION == 4 &&
          CPERM_OPTIONS_V2_SIZE == offsetof(cperm_options, given_orders) &&
          CPERM_OPTIONS_V3_SIZE == offsetof(cperm_options, tfce_also) &&
          CPERM_OPTIONS_V4_SIZE == sizeof(cperm_options), "sizes");
    CHECK("options_init_v4_fields", o.tfce_also == 0, "tfce_also %u", o.tfce_also);
    /* each version writes its own bytes only: an older caller's struct is shorter */
    for (int v = 1; v <= 4; v++) {
        unsigned char buf[sizeof(cperm_options) + 16];
        memset(buf, 0xA5, sizeof buf);
        rc = cperm_options_init((cperm_options *)(void *)buf, v);
        const size_t size = v == 1 ? CPERM_OPTIONS_V1_SIZE : v == 2 ? CPERM_OPTIONS_V2_SIZE
                            : v == 3 ? CPERM_OPTIONS_V3_SIZE : CPERM_OPTIONS_V4_SIZE;
        int version;
        memcpy(&version, buf, sizeof version);
        size_t untouched = 0;
        for (size_t i = size; i < sizeof buf; i++) untouched += buf[i] == 0xA5;
        char name[48];
        snprintf(name, sizeof name, "options_init_v%d_bytes", v);
        CHECK(name, rc == CPERM_OK && version == v && untouched == sizeof buf - size, "rc %d version %d, %zu of %zu bytes past the struct "
              "untouched", rc, version, untouched, sizeof buf - size);
    }
    rc = cperm_options_init(&o, CPERM_OPTIONS_VERSION + 1);
    CHECK("options_init_future_version", rc == CPERM_EUNSUPPORTED, "rc %d", rc);
    rc = cperm_options_init(&o, 0);
    CHECK("options_init_version_0", rc == CPERM_EUNSUPPORTED, "rc %d", rc);
    rc = cperm_options_init(NULL, CPERM_OPTIONS_VERSION);
    CHECK("options_init_null", rc == CPERM_EINVAL, "rc %d", rc);
    CHECK("version_runtime", !strcmp(cperm_version(), CPERM_VERSION_STRING), "%s",
          cperm_version());
    /* thresholds as MNE converts p: -t.ppf(p/2, df) two-sided, sign by tail; scipy's
     * t.ppf(0.025, 15) = -2.131449545559323 (values from scipy 1.10) */
    CHECK("t_threshold_two_sided", cperm_t_threshold(0.05, 15, 0) == -cperm_t_ppf(0.025, 15) &&
          fabs(cperm_t_threshold(0.05, 15, 0) - 2.131449545559323) < 1e-12, "%.17g",
          cperm_t_threshold(0.05, 15, 0));
    CHECK("t_threshold_upper", cperm_t_threshold(0.001, 15, 1) == -cperm_t_ppf(0.001, 15),
          "%.17g", cperm_t_threshold(0.001, 15, 1));
    CHECK("t_threshold_lower", cperm_t_threshold(0.001, 15, -1) == cperm_t_ppf(0.001, 15) &&
          cperm_t_threshold(0.001, 15, -1) < 0, "%.17g", cperm_t_threshold(0.001, 15, -1));
    CHECK("t_threshold_invalid", isnan(cperm_t_threshold(0, 15, 0)) &&
          isnan(cperm_t_threshold(0.05, 0, 0)) && isnan(cperm_t_threshold(0.05, 15, 2)),
          "accepted invalid input");
    /* "no significant cluster" is a result, not an error: 2 linked vertices, 1 time, 4
     * subjects whose t values (about 0.4) stay below a threshold of 10 */
    {
        const int64_t edges[2] = {0, 1};
        const double X[8] = {1.0, 2.0, -0.5, 0.3, 0.2, -1.0, 0.1, 0.4};
        cperm_graph *g = NULL;
        cperm_plan *plan = NULL;
        cperm_run *run = NULL;
        cperm_err e = {0};
        cperm_options po;
        cperm_options_init(&po, CPERM_OPTIONS_VERSION);
        po.threshold = 10.0;
        po.n_permutations = 8;
        double *sum = (double *)&e; /* must become NULL */
        size_t n_cols = 99;
        int ok = !cperm_graph_from_edges(&g, 2, edges, 1, &e) &&
                 !cperm_plan_create(&plan, g, 4, 1, &po, &e) && !cperm_run_create(&run, plan, &e) &&
                 !cperm_plan_execute(plan, X, run, &e);
        rc = ok ? cperm_summarize_clusters(&sum, &n_cols, run, 2, 1, 0.05, 1.0, &e) : -100;
        CHECK("summary_no_significant_is_ok", ok && rc == CPERM_OK && sum == NULL && n_cols == 0 &&
              cperm_run_n_clusters(run) == 0, "rc %d, %zu columns, %s", rc, n_cols, e.msg);
        cperm_run_free(run);
        cperm_plan_free(plan);
        cperm_graph_free(g);
    }
    /* no assertion: a wrong free shows under make check-sanitize */
    cperm_free(NULL);
    cperm_free(malloc(16));
    TU_EXIT();
}
