"""_stats.py - the statistics and corrections of mne.stats under MNE's names and signatures:
the one-sample t, max-T, FDR and Bonferroni and the repeated-measures F run on the C library;
the two-sample t and one-way F are numpy expressions in MNE's order of operations (so a
Python stat_fun built on them gives MNE's bits), and they are what the cluster tests
recognise to run their C kernels instead.
"""
from functools import reduce
from math import sqrt

import numpy as np

from . import _cperm
from ._util import check_option, logger, n_jobs_of, seed_kind, verbose


def ttest_1samp_no_p(X, sigma=0, method='relative'):
    """One-sample t of X along its first axis, with the "hat" adjustment (sigma), as
    mne.stats.ttest_1samp_no_p, on the C library (bit for bit for 2-D data of two or more
    columns; other shapes are reshaped to that)."""
    check_option('method', method, ['absolute', 'relative'])
    X = np.asarray(X)
    if X.ndim < 2 or X.shape[0] < 2 or X[0].size < 2 or X.dtype != np.float64:
        # numpy's reductions on these shapes and types are numpy's own business
        var = np.var(X, axis=0, ddof=1)
        if sigma > 0:
            var += sigma * np.max(var) if method == 'relative' else sigma
        return np.mean(X, axis=0) / np.sqrt(var / X.shape[0])
    shape = X.shape[1:]
    t = _cperm.ttest_1samp(X.reshape(X.shape[0], -1), float(sigma),
                           _cperm.SIGMA_RELATIVE if method == 'relative'
                           else _cperm.SIGMA_ABSOLUTE)
    return t.reshape(shape)


def ttest_ind_no_p(a, b, equal_var=True, sigma=0.):
    """Two-sample t (a - b) along the first axis, as mne.stats.ttest_ind_no_p."""
    var_a = np.var(a, axis=0, ddof=1)
    var_b = np.var(b, axis=0, ddof=1)
    n_a, n_b = a.shape[0], b.shape[0]
    if equal_var:
        dof = n_a + n_b - 2.0
        var = ((n_a - 1) * var_a + (n_b - 1) * var_b) / dof
        var = var * (1.0 / n_a + 1.0 / n_b)
    else:
        var = var_a / n_a + var_b / n_b
    if sigma > 0:
        var += sigma * np.max(var)
    diff = np.mean(a, 0) - np.mean(b, 0)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.divide(diff, np.sqrt(var))


def f_oneway(*args):
    """One-way ANOVA F of the groups along their first axis, as mne.stats.f_oneway."""
    n_groups = len(args)
    sizes = np.array([len(a) for a in args])
    n_total = np.sum(sizes)
    sum_sq = reduce(lambda x, y: x + y, [np.sum(a ** 2, axis=0) for a in args])
    sums = [np.sum(a, axis=0) for a in args]
    total_sq = reduce(lambda x, y: x + y, sums) ** 2
    ss_total = sum_sq - total_sq / float(n_total)
    ss_between = 0
    for k in range(n_groups):
        ss_between += sums[k] ** 2 / sizes[k]
    ss_between -= total_sq / float(n_total)
    ss_within = ss_total - ss_between
    return (ss_between / float(n_groups - 1)) / (ss_within / float(n_total - n_groups))


def _effects(n_factors, effects):
    return _cperm.mway_effects(n_factors, effects)


def f_threshold_mway_rm(n_subjects, factor_levels, effects='A*B', pvalue=0.05):
    """F thresholds of repeated-measures effects, as mne.stats.f_threshold_mway_rm."""
    from scipy.stats import f
    thresholds = []
    for mask in _effects(len(factor_levels), effects):
        df1 = np.prod([factor_levels[k] - 1 for k in range(len(factor_levels))
                       if mask >> k & 1])
        df2 = df1 * (n_subjects - 1)
        thresholds.append(f(df1, df2).isf(pvalue))
    return thresholds if len(thresholds) > 1 else thresholds[0]


def f_mway_rm(data, factor_levels, effects='all', correction=False, return_pvals=True):
    """Repeated-measures ANOVA of a balanced design, as mne.stats.f_mway_rm: data is
    (subjects, conditions, ...) with the last factor varying fastest. The F values come from
    the C library; with correction=True (Greenhouse-Geisser) MNE's own function is used."""
    if correction:
        from mne.stats.parametric import f_mway_rm as mne_f_mway_rm
        if mne_f_mway_rm is f_mway_rm:  # patched: MNE's own, as patch_mne saved it
            from . import mne_function
            mne_f_mway_rm = mne_function('f_mway_rm')
        return mne_f_mway_rm(data, factor_levels, effects, correction, return_pvals)
    from scipy.stats import f
    data = np.asarray(data, float)
    out_shape = (-1,)
    if data.ndim == 2:
        data = data[:, :, np.newaxis]
    elif data.ndim > 3:
        out_shape = data.shape[2:]
        data = data.reshape(data.shape[0], data.shape[1], -1)
    levels = [int(v) for v in np.atleast_1d(factor_levels)]
    fvalues, pvalues = [], []
    for mask in _effects(len(levels), effects):
        F = _cperm.f_mway_rm(data, levels, mask)
        df1 = np.prod([levels[k] - 1 for k in range(len(levels)) if mask >> k & 1])
        df2 = df1 * (data.shape[0] - 1)
        fvalues.append(F)
        pvalues.append(f(np.zeros(data.shape[2]) + df1, np.zeros(data.shape[2]) + df2).sf(F)
                       if return_pvals else np.empty(0))
    return [np.squeeze(np.asarray([v.reshape(out_shape) for v in vv]))
            for vv in (fvalues, pvalues)]


def fdr_correction(pvals, alpha=0.05, method='indep'):
    """Benjamini/Hochberg ('indep') or Benjamini/Yekutieli ('negcorr') FDR, as
    mne.stats.fdr_correction: (reject, pval_corrected) in the shape of pvals."""
    pvals = np.asarray(pvals)
    if method in ('i', 'indep', 'p', 'poscorr'):
        kind = _cperm.FDR_INDEP
    elif method in ('n', 'negcorr'):
        kind = _cperm.FDR_NEGCORR
    else:
        raise ValueError("Method should be 'indep' and 'negcorr'")
    return _cperm.fdr(pvals.astype(float), float(alpha), kind)


def bonferroni_correction(pval, alpha=0.05):
    """Bonferroni correction, as mne.stats.bonferroni_correction: (reject, pval_corrected)."""
    pval = np.asarray(pval)
    return _cperm.bonferroni(pval.astype(float), float(alpha))


def _orders_signflip(n_samples, n_permutations, tail, rng):
    """MNE 1.3's sign-flip orders drawn from a generator, as its _get_1samp_orders draws
    them (so a RandomState advances as under MNE): (orders, n_permutations, exact)."""
    max_perms = 2 ** (n_samples - (tail == 0)) - 1
    if isinstance(n_permutations, str):
        if n_permutations != 'all':
            raise ValueError('n_permutations as a string must be "all"')
        n_permutations = max_perms
    n_permutations = int(n_permutations)
    if max_perms < n_permutations:
        return None, n_permutations, True  # the enumeration: no draws, the engine's own
    if n_samples <= 20:
        picks = np.asarray(rng.choice(max_perms, n_permutations - 1, replace=False), np.int64)
        shifts = np.arange(n_samples - 1, -1, -1, dtype=np.int64)
        return ((picks[:, None] + 1) >> shifts & 1).astype(np.uint8), n_permutations, False
    orders = np.zeros((n_permutations - 1, n_samples), np.uint8)
    seen = set()
    use = n_samples - (tail == 0)
    k = 0
    while k < n_permutations - 1:
        signs = tuple((rng.uniform(size=use) < 0.5).astype(int))
        if signs not in seen:
            orders[k, :use] = signs
            if tail == 0 and rng.uniform() < 0.5:
                orders[k] = 1 - orders[k]
            seen.add(signs)
            k += 1
    return orders, n_permutations, False


@verbose
def permutation_t_test(X, n_permutations=10000, tail=0, n_jobs=None, seed=None,
                       verbose=None):
    """The max-T one-sample permutation test, as mne.stats.permutation_t_test:
    (T_obs, p_values, H0), on the C library."""
    check_option('tail', tail, [-1, 0, 1])
    X = np.asarray(X, float)
    if X.ndim == 1:
        X = X[:, None]
    n_samples = X.shape[0]
    kind, value = seed_kind(seed)
    n_jobs = n_jobs_of(n_jobs)
    if kind == 'int':
        n_perm = _cperm.PERMUTATIONS_ALL if n_permutations == 'all' else int(n_permutations)
        T_obs, p_values, H0 = _cperm.permutation_t_test(X, n_perm, value, tail, n_jobs)
        logger.info('Permuting %d times%s...' % (len(H0) - 1, ''))
        return T_obs, p_values, H0
    orders, n_permutations, exact = _orders_signflip(n_samples, n_permutations, tail, value)
    if exact:
        T_obs, p_values, H0 = _cperm.permutation_t_test(X, int(n_permutations), 0, tail,
                                                        n_jobs)
        return T_obs, p_values, H0
    # a generator's orders: the max-T statistic of each in numpy, MNE's arithmetic
    X2 = np.mean(X ** 2, axis=0)
    mu0 = np.mean(X, axis=0)
    dof_scaling = np.sqrt(n_samples / (n_samples - 1.0))
    std0 = np.sqrt(X2 - mu0 ** 2) * dof_scaling
    T_obs = np.mean(X, axis=0) / (std0 / np.sqrt(n_samples))
    perms = 2 * orders.astype(int) - 1
    mus = np.dot(perms, X) / float(n_samples)
    stds = np.sqrt(X2[None, :] - mus * mus) * dof_scaling
    max_abs = np.max(np.abs(mus) / (stds / sqrt(n_samples)), axis=1)
    H0 = np.sort(np.concatenate((max_abs, [np.abs(T_obs).max()])))
    if tail == 0:
        p_values = (H0 >= np.abs(T_obs[:, np.newaxis])).mean(-1)
    elif tail == 1:
        p_values = (H0 >= T_obs[:, np.newaxis]).mean(-1)
    else:
        p_values = (-H0 <= T_obs[:, np.newaxis]).mean(-1)
    return T_obs, p_values, H0
