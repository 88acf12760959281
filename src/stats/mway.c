/* mway.c - the effects of a repeated-measures design as MNE names them (_map_effects: "A",
 * "A:B", "A*B", "A+B", "all") and f_threshold_mway_rm's thresholds per effect. */
#include "common_internal.h"

#include <math.h>
#include <string.h>

/* Parse one effect name of MNE's form ("A", "A:C", "A:B:C": letters of the first n_factors,
 * ascending, joined by ':') into its factor mask, bit k for factor k. 0 if not a name. The
 * mask is also 1 + the effect's index in MNE's list of all effects. */
static uint32_t effect_mask(const char *s, size_t len, size_t n_factors) {
    uint32_t mask = 0;
    int last = -1;
    size_t i = 0;
    for (;;) {
        if (i >= len || s[i] < 'A' || s[i] > 'Z') return 0;
        int k = s[i] - 'A';
        if (k <= last || (size_t)k >= n_factors) return 0;
        mask |= (uint32_t)1 << k;
        last = k;
        if (++i == len) return mask;
        if (s[i] != ':') return 0;
        i++;
    }
}

/* Where list_effects puts the i-th selected effect's mask; with levels, it also notes the
 * first effect that includes a factor of a single level (no degrees of freedom). */
typedef struct {
    uint32_t *masks; /* NULL: count only */
    size_t cap;
    double *as_double;    /* or, for f_threshold_mway_rm, the mask as a double in out[i] */
    const size_t *levels; /* NULL: no check */
    size_t n_factors, first_flat; /* first_flat: 1 + the index of that effect, or 0 */
} effect_sink;

static void sink_put(effect_sink *s, size_t i, uint32_t mask) {
    if (s->masks && i < s->cap) s->masks[i] = mask;
    if (s->as_double) s->as_double[i] = (double)mask;
    if (s->levels && !s->first_flat)
        for (size_t k = 0; k < s->n_factors; k++)
            if ((mask >> k & 1u) && s->levels[k] == 1) s->first_flat = i + 1;
}

/* mne.stats.parametric._map_effects: the selected effects, in MNE's order, to the sink;
 * their number to *n_out. */
static int list_effects(effect_sink *sink, size_t *n_out, size_t n_factors, const char *effects,
                        const char *who, cperm_err *err) {
    size_t n = 0, len;
    uint32_t m, total;
    *n_out = 0;
    if (n_factors < 1 || n_factors > 26)
        return cperm_fail(err, CPERM_EINVAL, "%s: %zu factors (1 to 26 are supported)", who,
                          n_factors);
    if (!effects) effects = "A*B"; /* MNE's default */
    len = strlen(effects);
    total = ((uint32_t)1 << n_factors) - 1;
    if (strchr(effects, ':') && (strchr(effects, '*') || strchr(effects, '+')))
        return cperm_fail(err, CPERM_EINVAL, "%s: effects \"%s\": ':' cannot be combined with '*' or '+'",
                          who, effects);
    if (strcmp(effects, "all") == 0) {
        for (m = 1; m <= total; m++) sink_put(sink, n++, m);
    } else if (len == 1 || strchr(effects, ':')) {
        if (!(m = effect_mask(effects, len, n_factors))) goto bad_name;
        sink_put(sink, n++, m);
    } else if (strchr(effects, '+')) { /* any names, in the order given, repeats kept */
        const char *p = effects;
        for (;;) {
            const char *q = strchr(p, '+');
            size_t l = q ? (size_t)(q - p) : strlen(p);
            if (!(m = effect_mask(p, l, n_factors))) goto bad_name;
            sink_put(sink, n++, m);
            if (!q) break;
            p = q + 1;
        }
    } else if (strchr(effects, '*')) {
        /* "A*B" is every effect up to and including "A:B" in MNE's order (A, B, A:B, C, ...);
         * the longest name, "A:B:...:Z", has 51 characters */
        char name[64];
        if (len >= sizeof name) goto bad_name;
        for (size_t i = 0; i <= len; i++) name[i] = effects[i] == '*' ? ':' : effects[i];
        if (!(m = effect_mask(name, len, n_factors))) goto bad_name;
        for (uint32_t e = 1; e <= m; e++) sink_put(sink, n++, e);
    } else {
        return cperm_fail(err, CPERM_EINVAL, "%s: \"%s\" is not a valid option for effects", who,
                          effects);
    }
    *n_out = n;
    return CPERM_OK;
bad_name:
    return cperm_fail(err, CPERM_EINVAL,
                      "%s: effects \"%s\" names an effect that is not one of %zu factors' "
                      "(e.g. \"A\", \"A:B\", \"A+B\", \"A*B\", \"all\")", who, effects, n_factors);
}

int cperm_f_mway_effects(uint32_t *masks, size_t cap, size_t *n_out, size_t n_factors,
                         const char *effects, cperm_err *err) {
    effect_sink sink = {masks, cap, NULL, NULL, 0, 0};
    size_t n;
    int rc;
    if (!n_out) return cperm_fail(err, CPERM_EINVAL, "f_mway_effects: n_out is NULL");
    *n_out = 0;
    /* count first, so that a short buffer is left untouched */
    if ((rc = list_effects(&(effect_sink){NULL, 0, NULL, NULL, 0, 0}, &n, n_factors, effects,
                           "f_mway_effects", err)) < 0)
        return rc;
    if (masks && n > cap)
        return cperm_fail(err, CPERM_EINVAL, "f_mway_effects: \"%s\" selects %zu effects, room for %zu",
                          effects ? effects : "A*B", n, cap);
    if (masks && (rc = list_effects(&sink, &n, n_factors, effects, "f_mway_effects", err)) < 0)
        return rc;
    *n_out = n;
    return CPERM_OK;
}

int cperm_f_threshold_mway_rm(double *out, size_t n_subjects, const size_t *factor_levels,
                              size_t n_factors, const char *effects, double pvalue,
                              cperm_err *err) {
    const char *who = "f_threshold_mway_rm";
    effect_sink check = {NULL, 0, NULL, factor_levels, n_factors, 0};
    effect_sink sink = {NULL, 0, out, NULL, 0, 0};
    double df_max;
    size_t n;
    int rc;
    if (!out || !factor_levels)
        return cperm_fail(err, CPERM_EINVAL, "%s: NULL output or factor levels", who);
    if (!(pvalue >= 0.0 && pvalue <= 1.0))
        return cperm_fail(err, CPERM_EINVAL, "%s: pvalue %g is not in [0, 1]", who, pvalue);
    if (n_subjects < 2)
        return cperm_fail(err, CPERM_EINVAL, "%s: %zu subjects leave no error degrees of freedom",
                          who, n_subjects);
    if (n_factors < 1 || n_factors > 26) /* before reading factor_levels */
        return list_effects(&check, &n, n_factors, effects, who, err);
    df_max = (double)(n_subjects - 1);
    for (size_t k = 0; k < n_factors; k++) {
        if (factor_levels[k] < 1)
            return cperm_fail(err, CPERM_EINVAL, "%s: factor %c has no levels", who, (char)('A' + k));
        if (factor_levels[k] > 1) df_max *= (double)(factor_levels[k] - 1);
    }
    /* a bound on every effect's error degrees of freedom; MNE's contrast matrices would have
     * more rows than that long before */
    if (df_max > 9007199254740992.0)
        return cperm_fail(err, CPERM_EUNSUPPORTED,
                          "%s: up to %g error degrees of freedom do not fit a double exactly", who,
                          df_max);
    if ((rc = list_effects(&check, &n, n_factors, effects, who, err)) < 0) return rc;
    if (check.first_flat) /* MNE would return NaN for it: df1 = 0 */
        return cperm_fail(err, CPERM_EINVAL,
                          "%s: effect %zu of \"%s\" includes a factor with a single level", who,
                          check.first_flat, effects ? effects : "A*B");
    list_effects(&sink, &n, n_factors, effects, who, err); /* out[i] = mask of effect i */
    for (size_t i = 0; i < n; i++) {
        uint32_t m = (uint32_t)out[i];
        /* the rank of MNE's Kronecker contrast: levels - 1 for each factor in the effect, 1
         * for each other factor (its column of ones); np.linalg.matrix_rank finds the same */
        double df1 = 1.0;
        for (size_t k = 0; k < n_factors; k++)
            if (m >> k & 1u) df1 *= (double)(factor_levels[k] - 1);
        out[i] = cperm_f_threshold(pvalue, df1, df1 * (double)(n_subjects - 1));
    }
    return CPERM_OK;
}
