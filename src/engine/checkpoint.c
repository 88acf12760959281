/* checkpoint.c - a run's state between chunks of permutations as a blob (the step-down pass,
 * the orders done, the units removed, the H0 entries so far) and the fingerprint that ties a
 * blob to its data and parameters; a restored blob is resumed by the next cperm_run_begin
 * (driver.c). */
#include "engine_internal.h"

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
uint64_t cperm_run_fingerprint(const cperm_plan *plan, const double *X) {
    const cperm_options *o = &plan->opt;
    uint64_t h = 0x636c757374657270ULL;
    h = mix(h, plan->n_subjects); h = mix(h, plan->n_times); h = mix(h, plan->n_vertices);
    h = mix_double(h, plan->threshold); h = mix(h, (uint64_t)(int64_t)o->tail);
    h = mix_double(h, o->t_power); h = mix(h, plan->n_orders); h = mix(h, o->seed);
    h = mix(h, o->max_step); h = mix_double(h, o->sigma); h = mix(h, (uint64_t)o->sigma_method);
    h = mix_double(h, o->step_down_p); h = mix(h, (uint64_t)o->compat);
    h = mix(h, (uint64_t)o->tfce); h = mix_double(h, o->tfce_start); /* TFCE */
    h = mix_double(h, o->tfce_step); h = mix_double(h, o->tfce_h); h = mix_double(h, o->tfce_e);
    h = mix(h, (uint64_t)plan->opt.design); h = mix(h, (uint64_t)plan->opt.statistic); /* design */
    h = mix(h, (uint64_t)o->equal_var); h = mix(h, (uint64_t)o->sequential_sums);
    for (size_t g = 0; g < plan->n_classes; g++) h = mix(h, plan->class_size[g]);
    if (o->statistic == CPERM_STAT_F_MWAY_RM) { /* repeated measures: levels, effect, scheme */
        for (size_t k = 0; k < o->rm_n_factors; k++) h = mix(h, o->rm_factor_levels[k]);
        h = mix(h, o->rm_effect); h = mix(h, (uint64_t)o->rm_scheme);
    }
    if (o->min_neighbors || o->min_duration || o->min_extent) { /* issue 13; off: as before */
        h = mix(h, o->min_neighbors); h = mix(h, o->min_duration); h = mix(h, o->min_extent);
    }
    { /* given orders (version 3): every byte; drawn ones are the seed's, mixed above */
        size_t bytes;
        const unsigned char *g = cperm_order_stream_given_rows(plan->orders, &bytes);
        size_t i = 0;
        for (; g && i + 8 <= bytes; i += 8) {
            uint64_t w;
            memcpy(&w, g + i, sizeof w);
            h = mix(h, w);
        }
        for (; g && i < bytes; i++) h = mix(h, g[i]);
        if (g) h = mix(h, bytes);
    }
    for (size_t v = 0; plan->exclude && v < plan->n_vertices; v++) h = mix(h, plan->exclude[v]);
    for (size_t p = 0; plan->point_exclude && p < plan->n_points; p++)
        h = mix(h, plan->point_exclude[p]);
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
        run->fingerprint = cperm_run_fingerprint(run->plan, run->X);
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
    run->pass_open = 0; /* ranges wait for the cperm_run_begin that resumes */
    memset(run->have, 0, ((plan->n_orders + 63) / 64) * sizeof *run->have);
    run->n_have = 0;
    run->n_executed = 0;
    run->n_restored = (size_t)done;
    run->restored_pass = (int)pass;
    return CPERM_OK;
}
