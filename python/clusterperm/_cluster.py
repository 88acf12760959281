"""_cluster.py - mne.stats' cluster permutation tests under MNE's names, signatures, defaults,
warnings, log lines and return values, run on the C engine.

What happens to a call: MNE's checks of its arguments (with MNE's messages); the observed
statistic once in Python (for MNE's checks of stat_fun and of TFCE thresholds); the sample
shape mapped to the engine's layout (a lattice for adjacency=None, one graph over every point
for an adjacency of n_tests rows, or MNE's time axis with max_step and a graph over the rest);
the orders drawn by the engine from an int seed, or here from a RandomState/Generator in MNE's
way; then one engine call, with the GIL released. A stat_fun the engine knows
(ttest_1samp_no_p with or without sigma, f_oneway, ttest_ind_no_p) runs on its C kernels; any
other is called back from the engine for every permutation, while thresholding, clustering,
H0, p-values and step-down stay in C. The default clustering is true connected components
(MNE's current main, after PR 13731); compat='mne1.3' gives MNE 1.3's list path (its split
of clusters across time points) and its stepped TFCE, bit for bit.
"""
import functools

import numpy as np

from . import _cperm
from ._stats import (_orders_signflip, f_oneway, ttest_1samp_no_p, ttest_ind_no_p)
from ._util import (Progress, check_option, logger, n_jobs_of, seed_kind, verbose, warn)

try:  # MNE's own functions, so that a stat_fun passed as MNE's is recognised
    from mne.stats import parametric as _mne_par
    _MNE_T1 = (_mne_par.ttest_1samp_no_p,)
    _MNE_F = (_mne_par.f_oneway,)
    _MNE_TIND = (_mne_par.ttest_ind_no_p,)
except Exception:  # pragma: no cover
    _MNE_T1 = _MNE_F = _MNE_TIND = ()

_T1 = (ttest_1samp_no_p,) + _MNE_T1
_F = (f_oneway,) + _MNE_F
_TIND = (ttest_ind_no_p,) + _MNE_TIND


# compat=None means this default: true connected components, or 'mne1.3' after
# patch_mne(compat='mne1.3'); compat='none' asks for true components whatever the default.
DEFAULTS = {'compat': None}


def _pl(x):
    n = x if isinstance(x, (int, np.integer)) else len(x)
    return '' if n == 1 else 's'


# ------------------------------------------------------------------ statistics

def _known_stat(stat_fun, kind):
    """The engine's statistic for stat_fun, as options, or None when it must be called back.
    Only the functions themselves and functools.partial of them with their own keyword
    arguments are recognised: anything else may compute something else."""
    func, kwargs = stat_fun, {}
    if isinstance(stat_fun, functools.partial):
        if stat_fun.args:
            return None
        func, kwargs = stat_fun.func, dict(stat_fun.keywords)
    if kind == '1samp' and func in _T1:
        if not set(kwargs) <= {'sigma', 'method'}:
            return None
        method = kwargs.get('method', 'relative')
        if method not in ('relative', 'absolute'):
            return None
        return dict(statistic=_cperm.STAT_T_1SAMP, sigma=float(kwargs.get('sigma', 0)),
                    sigma_method=_cperm.SIGMA_RELATIVE if method == 'relative'
                    else _cperm.SIGMA_ABSOLUTE)
    if kind == 'groups' and func in _F and not kwargs:
        return dict(statistic=_cperm.STAT_F_ONEWAY)
    if kind == 'groups' and func in _TIND and set(kwargs) <= {'equal_var', 'sigma'}:
        if float(kwargs.get('sigma', 0)) != 0:
            return None  # the engine's two-sample t has no hat adjustment
        return dict(statistic=_cperm.STAT_T_IND, equal_var=int(bool(kwargs.get('equal_var',
                                                                                True))))
    return None


def _closure_values(func, names):
    """The values a function would see for these names: its closure cells, then its
    globals (MNE's tutorials keep factor_levels and effects in the script's namespace)."""
    code = getattr(func, '__code__', None)
    if code is None:
        return None
    cells = dict(zip(code.co_freevars, func.__closure__ or ()))
    out = {}
    for name in names:
        if name in cells:
            try:
                out[name] = cells[name].cell_contents
            except ValueError:
                return None
        elif name in getattr(func, '__globals__', {}):
            out[name] = func.__globals__[name]
        else:
            return None
    return out


def _recognise_rm(stat_fun, X, t_obs, slices, buffer_size):
    """MNE's repeated-measures pattern: permutation_cluster_test over the cells with
    stat_fun = lambda *args: f_mway_rm(np.swapaxes(args, 1, 0), factor_levels, effects, ...)[0].
    Recognised only when the function names f_mway_rm, its factor_levels and one effect can be
    read from it, and the engine's F equals stat_fun's bit for bit on the observed data and on
    a shuffle of it; then the engine's repeated-measures F kernel runs with MNE's label
    shuffles (rm_scheme RM_MNE), which gives stat_fun's results. Otherwise None (called back)."""
    code = getattr(stat_fun, '__code__', None)
    if code is None or 'f_mway_rm' not in code.co_names + code.co_freevars:
        return None
    names = [n for n in ('factor_levels', 'effects') if n in code.co_names + code.co_freevars]
    vals = _closure_values(stat_fun, names)
    if not vals or 'factor_levels' not in vals:
        return None
    try:
        levels = [int(v) for v in np.atleast_1d(vals['factor_levels'])]
        masks = _cperm.mway_effects(len(levels), vals.get('effects', 'A*B'))
    except Exception:
        return None
    sizes = {x.shape[0] for x in X}
    if len(masks) != 1 or len(sizes) != 1 or int(np.prod(levels)) != len(X):
        return None
    S = sizes.pop()
    cells = np.stack(X, axis=1)  # (subjects, cells, points)
    try:
        F = _cperm.f_mway_rm(np.ascontiguousarray(cells), levels, masks[0])
        if not np.array_equal(np.asarray(t_obs, float).ravel(), F, equal_nan=True):
            return None
        rows = np.concatenate(X, axis=0)[np.random.RandomState(0).permutation(S * len(X))]
        shuffled = [rows[s] for s in slices]
        probe = _stat_caller(stat_fun, slices, buffer_size, rows.shape[1])(
            np.concatenate(shuffled, axis=0))
        F2 = _cperm.f_mway_rm(np.ascontiguousarray(np.stack(shuffled, axis=1)), levels,
                              masks[0])
        if not np.array_equal(probe, F2, equal_nan=True):
            return None
    except Exception:
        return None
    return dict(statistic=_cperm.STAT_F_MWAY_RM, rm_factor_levels=levels,
                rm_effect=int(masks[0]), rm_scheme=_cperm.RM_MNE)


def _check_fun(X, stat_fun, threshold, tail, kind):
    """MNE's default statistic and threshold, with its warnings."""
    from scipy import stats
    if kind == '1samp':
        if threshold is None:
            if stat_fun is not None and stat_fun not in _T1:
                warn('Automatic threshold is only valid for stat_fun=None '
                     '(or ttest_1samp_no_p), got %s' % (stat_fun,))
            p_thresh = 0.05 / (1 + (tail == 0))
            threshold = -stats.t.ppf(p_thresh, len(X) - 1)
            if np.sign(tail) < 0:
                threshold = -threshold
            logger.info("Using a threshold of {:.6f}".format(threshold))
        stat_fun = ttest_1samp_no_p if stat_fun is None else stat_fun
    else:
        if threshold is None:
            if stat_fun is not None and stat_fun not in _F:
                warn('Automatic threshold is only valid for stat_fun=None '
                     '(or f_oneway), got %s' % (stat_fun,))
            elif tail != 1:
                warn('Ignoring argument "tail", performing 1-tailed F-test')
            dfn = len(X) - 1
            dfd = np.sum([len(x) for x in X]) - len(X)
            threshold = stats.f.ppf(1. - 0.05, dfn, dfd)
            logger.info("Using a threshold of {:.6f}".format(threshold))
        stat_fun = f_oneway if stat_fun is None else stat_fun
    return stat_fun, threshold


# ------------------------------------------------------------------ layouts

def _graph(adjacency, n):
    """A symmetric CSR without self-loops from any scipy sparse matrix (MNE uses only its
    structure: its list path symmetrises it, its global path takes weak components)."""
    coo = adjacency.tocoo()
    keep = coo.row != coo.col
    edges = np.stack([coo.row[keep], coo.col[keep]], axis=1).astype(np.int64)
    return _cperm.graph_from_edges(n, edges)


def _layout(adjacency, sample_shape, n_tests, max_step, compat):
    """(n_times, n_vertices, graph, options, path) of MNE's layouts (see the module text)."""
    from scipy import sparse
    opts = {}
    if adjacency is None or adjacency is False:
        lengths = [int(s) for s in sample_shape]
        if adjacency is False:
            graph = (np.zeros(n_tests + 1, np.int64), np.zeros(0, np.int32))
        else:
            graph = _cperm.combine(lengths, [None] * len(lengths))
        opts['sequential_sums'] = int(len(sample_shape) == 1)
        return 1, n_tests, graph, opts, 'ndimage'
    if not sparse.issparse(adjacency):
        raise ValueError("If adjacency matrix is given, it must be a SciPy sparse matrix.")
    n_adj = adjacency.shape[0]
    if n_adj == n_tests:
        return 1, n_tests, _graph(adjacency, n_tests), opts, 'global'
    n_times = sample_shape[0]
    got_times, mod = divmod(n_tests, n_adj)
    if got_times != n_times or mod != 0:
        raise ValueError(
            'adjacency (len %d) must be of the correct size, i.e. be equal to or evenly '
            'divide the number of tests (%d).\n\nIf adjacency was computed for a source '
            'space, try using the fwd["src"] or inv["src"] as some original source space '
            'vertices can be excluded during forward computation' % (n_adj, n_tests))
    if max_step == 0:  # no temporal neighbours: the time points as separate graphs
        graph = _graph(sparse.kron(sparse.eye(n_times), adjacency), n_tests)
        return 1, n_tests, graph, opts, 'list'
    opts['max_step'] = int(max_step)
    if compat == 'mne1.3':
        opts['compat'] = _cperm.COMPAT_MNE13
    return n_times, n_adj, _graph(adjacency, n_adj), opts, 'list'


def _tfce_options(threshold, tail, t_obs, compat):
    """MNE's checks of a TFCE threshold dict (on the observed statistic) and the engine's
    TFCE options: MNE main's stepped sum by default, MNE 1.3's with compat='mne1.3'."""
    if not all(key in threshold for key in ['start', 'step']):
        raise KeyError('threshold, if dict, must have at least "start" and "step"')
    finite = t_obs[np.isfinite(t_obs)]
    if finite.size == 0:
        raise RuntimeError('No finite values found in the observed statistic values')
    if tail == -1:
        if threshold['start'] > 0:
            raise ValueError('threshold["start"] must be <= 0 for tail == -1')
        if threshold['step'] >= 0:
            raise ValueError('threshold["step"] must be < 0 for tail == -1')
        stop = np.min(finite)
    elif tail == 1:
        stop = np.max(finite)
    else:
        stop = max(np.max(finite), -np.min(finite))
    thresholds = np.arange(threshold['start'], stop, threshold['step'], float)
    h_power = threshold.get('h_power', 2)
    e_power = threshold.get('e_power', 0.5)
    if len(thresholds) == 0:
        warn('threshold["start"] (%s) is more extreme than data statistics with most '
             'extreme value %s' % (threshold['start'], stop))
    else:
        logger.info('Using %d thresholds from %0.2f to %0.2f for TFCE computation '
                    '(h_power=%0.2f, e_power=%0.2f)'
                    % (len(thresholds), thresholds[0], thresholds[-1], h_power, e_power))
    if tail in (0, 1) and not np.all(np.diff(thresholds) > 0):
        raise ValueError('Thresholds must be monotonically increasing')
    if tail == -1 and not np.all(np.diff(thresholds) < 0):
        raise ValueError('Thresholds must be monotonically decreasing')
    mode = _cperm.TFCE_MNE13 if compat == 'mne1.3' else _cperm.TFCE_RIEMANN
    if threshold.get('exact'):
        mode = _cperm.TFCE_EXACT
    return dict(tfce=mode, tfce_start=float(threshold['start']),
                tfce_step=float(threshold['step']), tfce_h=float(h_power),
                tfce_e=float(e_power))


# ------------------------------------------------------------------ clusters out

def _clusters_out(flat, sample_shape, out_type, path, tfce):
    """The engine's clusters (flat indices, its order) as MNE returns them."""
    n_tests = int(np.prod(sample_shape))
    out = []
    one_d = len(sample_shape) == 1
    for c in flat:
        if path == 'ndimage' and one_d:
            lo, hi = int(c.min()), int(c.max()) + 1
            out.append((slice(lo, hi),) if out_type == 'mask' else (np.arange(lo, hi),))
        elif out_type == 'mask':
            m = np.zeros(n_tests, bool)
            m[c] = True
            out.append(m.reshape(sample_shape))
        else:
            idx = np.sort(c) if path == 'ndimage' else c
            out.append(np.unravel_index(idx, sample_shape))
    return out


# ------------------------------------------------------------------ the test

def _stat_caller(stat_fun, slices, buffer_size, n_tests):
    """The engine's callback: a (n_observations, n_tests) block to stat_fun's groups, in
    MNE's buffers of buffer_size variables when MNE would use them."""
    def call(block):
        args = [block] if slices is None else [block[s] for s in slices]
        if buffer_size is None or n_tests <= buffer_size:
            return np.asarray(stat_fun(*args), float).ravel()
        out = np.empty(n_tests)
        for pos in range(0, n_tests, buffer_size):
            out[pos:pos + buffer_size] = np.asarray(
                stat_fun(*[a[:, pos:pos + buffer_size] for a in args]), float).ravel()
        return out
    return call


def _also_options(tfce_also, also_threshold, threshold, tail):
    """tfce_also (issue 17, beyond MNE): 'mass', 'extent' or both, with exact TFCE and the
    cluster-forming threshold also_threshold; the engine's mask and threshold."""
    names = (tfce_also,) if isinstance(tfce_also, str) else tuple(tfce_also)
    bits = {'mass': _cperm.ALSO_MASS, 'extent': _cperm.ALSO_EXTENT}
    mask = 0
    for name in names:
        if name not in bits:
            raise ValueError('tfce_also must name "mass" and/or "extent", got %r' % (name,))
        mask |= bits[name]
    if not mask:
        raise ValueError('tfce_also must name "mass" and/or "extent", got nothing')
    if not (isinstance(threshold, dict) and threshold.get('exact')):
        raise ValueError('tfce_also needs exact TFCE: threshold=dict(start=0, step=0.2, '
                         'exact=True)')
    if also_threshold is None:
        raise ValueError('tfce_also needs the cluster-forming threshold of its clusters: '
                         'give also_threshold')
    also_threshold = float(also_threshold)
    if (tail < 0 and also_threshold > 0 or tail > 0 and also_threshold < 0 or
            tail == 0 and also_threshold < 0):
        raise ValueError('incompatible tail and also_threshold signs, got %s and %s'
                         % (tail, also_threshold))
    return mask, also_threshold


def _run(X, threshold, n_permutations, tail, stat_fun, adjacency, n_jobs, seed, max_step,
         exclude, step_down_p, t_power, out_type, check_disjoint, buffer_size, compat, kind,
         tfce_also=None, also_threshold=None):
    check_option('out_type', out_type, ['mask', 'indices'])
    check_option('tail', tail, [-1, 0, 1])
    check_option('compat', compat, [None, 'none', 'mne1.3'])
    if compat is None:
        compat = DEFAULTS['compat']
    compat = None if compat == 'none' else compat
    tfce = isinstance(threshold, dict)
    also_mask = 0
    if tfce_also is not None:
        also_mask, also_threshold = _also_options(tfce_also, also_threshold, threshold, tail)
    if not tfce:
        if isinstance(threshold, str) or not np.isscalar(threshold):
            threshold = float(threshold)  # Python's TypeError, as MNE's float()
        threshold = float(threshold)
        if (tail < 0 and threshold > 0 or tail > 0 and threshold < 0 or
                tail == 0 and threshold < 0):
            raise ValueError('incompatible tail and threshold signs, got %s and %s'
                             % (tail, threshold))
    X = [x[:, np.newaxis] if x.ndim == 1 else x for x in X]
    n_samples = X[0].shape[0]
    sample_shape = X[0].shape[1:]
    for x in X:
        if x.shape[1:] != sample_shape:
            raise ValueError('All samples mush have the same size')
    X = [np.reshape(x, (x.shape[0], -1)) for x in X]
    n_tests = X[0].shape[1]
    n_times, n_vertices, graph, opts, path = _layout(adjacency, sample_shape, n_tests,
                                                     max_step, compat)
    if exclude is not None and not exclude.size == n_tests:
        raise ValueError('exclude must be the same shape as X[0]')
    n_jobs = n_jobs_of(n_jobs)

    # the observed statistic, once, for MNE's checks
    t_obs = stat_fun(*X)
    if not isinstance(t_obs, np.ndarray):
        raise TypeError('return value of stat_fun must be an instance of ndarray, got %s '
                        'instead.' % (type(t_obs),))
    logger.info('stat_fun(H1): min=%f max=%f' % (np.min(t_obs), np.max(t_obs)))
    if buffer_size is not None:
        t_obs_buffer = np.zeros_like(t_obs)
        for pos in range(0, n_tests, buffer_size):
            t_obs_buffer[pos:pos + buffer_size] = stat_fun(
                *[x[:, pos:pos + buffer_size] for x in X])
        if not np.all(t_obs == t_obs_buffer):
            warn('Provided stat_fun does not treat variables independently. '
                 'Setting buffer_size to None.')
            buffer_size = None
    if t_obs.size != np.prod(sample_shape):
        raise ValueError('t_obs.shape %s provided by stat_fun %s is not compatible with the '
                         'sample shape %s' % (t_obs.shape, stat_fun, sample_shape))

    opts.update(threshold=(also_threshold if also_mask else 0.0) if tfce else threshold,
                tail=int(tail), t_power=float(t_power), step_down_p=float(step_down_p),
                n_jobs=n_jobs, tfce_also=also_mask)
    if exclude is not None:
        opts['exclude'] = np.ascontiguousarray(np.asarray(exclude, bool).ravel(), np.uint8)
    if tfce:
        tfce_opts = _tfce_options(threshold, tail, np.asarray(t_obs, float),
                                              compat)
        opts.update(tfce_opts)
        if opts['tfce'] == _cperm.TFCE_EXACT and opts.get('compat'):
            del opts['compat']
        if opts['tfce'] == _cperm.TFCE_MNE13 and path == 'ndimage' and len(sample_shape) == 1:
            # MNE 1.3 measures a 1-D cluster without adjacency by len() of find_objects'
            # 1-tuple: every extent is 1, as if no point had a neighbour
            graph = (np.zeros(n_tests + 1, np.int64), np.zeros(0, np.int32))
    logger.info('Running initial clustering …')

    known = _known_stat(stat_fun, kind)
    slices = None
    if kind == 'groups':
        sizes = [x.shape[0] for x in X]
        opts.update(design=_cperm.DESIGN_GROUPS, group_sizes=sizes)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        slices = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        data = np.concatenate(X, axis=0)
    else:
        data = X[0]
    data = np.ascontiguousarray(data, np.float64)
    if known is None and kind == 'groups' and not tfce:
        known = _recognise_rm(stat_fun, X, t_obs, slices, buffer_size)
    if tfce and kind == 'groups':
        known = None  # the engine's label kernel has no TFCE: the statistic comes back here
    if known is not None:
        opts.update(known)
        callback = None
    else:
        callback = _stat_caller(stat_fun, slices, buffer_size, n_tests)

    # the orders: the engine's own from an int seed, MNE's draws from a generator
    kind_seed, seed_value = seed_kind(seed)
    extra = ''
    if kind == '1samp':
        if kind_seed == 'int':
            opts['seed'] = seed_value
            n_perm = n_permutations
            if isinstance(n_perm, str):
                if n_perm != 'all':
                    raise ValueError('n_permutations as a string must be "all"')
                n_perm = _cperm.PERMUTATIONS_ALL
            opts['n_permutations'] = int(n_perm)
            max_perms = 2 ** (n_samples - (tail == 0)) - 1
            if n_perm == _cperm.PERMUTATIONS_ALL or max_perms < int(n_perm):
                extra = ' (exact test)'
        else:
            orders, n_perm, exact = _orders_signflip(n_samples, n_permutations, tail,
                                                     seed_value)
            opts['n_permutations'] = n_perm
            if exact:
                extra = ' (exact test)'
            else:
                opts['given_orders'] = orders
    else:
        n_perm = int(n_permutations)
        if kind_seed == 'int':
            opts.update(seed=seed_value, n_permutations=n_perm)
        else:
            opts['n_permutations'] = n_perm
            opts['given_orders'] = np.array(
                [seed_value.permutation(len(data)) for _ in range(n_perm - 1)],
                np.uint32).reshape(-1, len(data))

    if opts.get('given_orders') is not None and len(opts['given_orders']) == 0:
        del opts['given_orders']  # nothing drawn (n_permutations=1): the engine draws none
    progress = Progress('Permuting%s' % extra)
    try:
        res = _cperm.cluster_test(data, n_times, n_vertices, graph[0], graph[1], opts,
                                  callback, progress)
    finally:
        progress.close()
    tobs = res['tobs']
    if known is not None and not np.all(np.isfinite(tobs)):
        # numpy's own warning, which MNE's ttest_1samp_no_p gives for a 0/0 point
        warn('invalid value encountered in divide')
    clusters = res['clusters']
    logger.info('Found %d cluster%s' % (len(clusters), _pl(clusters)))
    if tfce:
        t_obs_out = res['tfce_map'].reshape(sample_shape)
    else:
        t_obs_out = tobs.reshape(sample_shape)
    if len(clusters) == 0:
        warn('No clusters found, returning empty H0, clusters, and cluster_pv')
        return t_obs_out, np.array([]), np.array([]), np.array([])
    if step_down_p > 0:
        for k, removed in enumerate(res['removed']):
            logger.info('Step-down-in-jumps iteration #%i found %i %scluster%s to exclude '
                        'from subsequent iterations'
                        % (k + 1, removed, 'additional ' if k else '', _pl(removed)))
    out = _clusters_out(clusters, sample_shape, out_type, path, tfce)
    if also_mask:  # issue 17: a fifth element, the threshold clusters' tests
        also = res['also']
        extra = dict(threshold=also_threshold,
                     clusters=_clusters_out(also['clusters'], sample_shape, out_type, path,
                                            False))
        for name in ('mass', 'extent'):
            if name in also:
                # no observed cluster: an empty H0, as MNE's cluster test returns
                extra[name] = dict(stats=also[name]['stats'],
                                   cluster_pv=also[name]['pvalues'],
                                   H0=also[name]['h0'] if len(also['clusters'])
                                   else np.array([]))
        return t_obs_out, out, res['pvalues'], res['h0'], extra
    return t_obs_out, out, res['pvalues'], res['h0']


@verbose
def permutation_cluster_test(
        X, threshold=None, n_permutations=1024, tail=0, stat_fun=None,
        adjacency=None, n_jobs=None, seed=None, max_step=1, exclude=None,
        step_down_p=0, t_power=1, out_type='indices', check_disjoint=False,
        buffer_size=1000, verbose=None, compat=None):
    """Cluster-level permutation test of independent groups (F by default), as
    mne.stats.permutation_cluster_test; compat='mne1.3' reproduces MNE 1.3 exactly where
    its clustering differs from true connected components."""
    stat_fun, threshold = _check_fun(X, stat_fun, threshold, tail, 'groups')
    return _run(list(X), threshold, n_permutations, tail, stat_fun, adjacency, n_jobs, seed,
                max_step, exclude, step_down_p, t_power, out_type, check_disjoint,
                buffer_size, compat, 'groups')


@verbose
def permutation_cluster_1samp_test(
        X, threshold=None, n_permutations=1024, tail=0, stat_fun=None,
        adjacency=None, n_jobs=None, seed=None, max_step=1, exclude=None,
        step_down_p=0, t_power=1, out_type='indices', check_disjoint=False,
        buffer_size=1000, verbose=None, compat=None, tfce_also=None, also_threshold=None):
    """One-sample (or paired) cluster-level permutation test by sign flips, as
    mne.stats.permutation_cluster_1samp_test.

    tfce_also ('mass', 'extent' or both; beyond MNE, issue 17): with exact TFCE
    (threshold=dict(..., exact=True)) the same sweep of every permuted map also tests the
    clusters at the cluster-forming threshold also_threshold (required), as this function
    called with threshold=also_threshold (t_power=t_power: mass) or t_power=0 (extent) would.
    A fifth element is then returned: dict(threshold, clusters (as out_type), mass=dict(stats,
    cluster_pv, H0), extent=dict(...)) for the statistics asked for. Not with step_down_p."""
    stat_fun, threshold = _check_fun(X, stat_fun, threshold, tail, '1samp')
    return _run([X], threshold, n_permutations, tail, stat_fun, adjacency, n_jobs, seed,
                max_step, exclude, step_down_p, t_power, out_type, check_disjoint,
                buffer_size, compat, '1samp', tfce_also, also_threshold)


def _spatial_exclude(shape, spatial_exclude):
    """MNE's spatial_exclude (vertices of the last dimension) as a mask over the sample,
    the same at every other index."""
    if spatial_exclude is None:
        return None
    exclude = np.zeros((int(np.prod(shape[1:-1])), shape[-1]), bool)
    exclude[:, spatial_exclude] = True
    return exclude.ravel()


@verbose
def spatio_temporal_cluster_1samp_test(
        X, threshold=None, n_permutations=1024, tail=0, stat_fun=None,
        adjacency=None, n_jobs=None, seed=None, max_step=1, spatial_exclude=None,
        step_down_p=0, t_power=1, out_type='indices', check_disjoint=False,
        buffer_size=1000, verbose=None, compat=None, tfce_also=None, also_threshold=None):
    """One-sample spatio-temporal cluster test, X (observations, times, ..., space), as
    mne.stats.spatio_temporal_cluster_1samp_test; tfce_also and also_threshold as
    permutation_cluster_1samp_test's."""
    exclude = _spatial_exclude(X.shape, spatial_exclude)
    return permutation_cluster_1samp_test(
        X, threshold=threshold, stat_fun=stat_fun, tail=tail,
        n_permutations=n_permutations, adjacency=adjacency, n_jobs=n_jobs, seed=seed,
        max_step=max_step, exclude=exclude, step_down_p=step_down_p, t_power=t_power,
        out_type=out_type, check_disjoint=check_disjoint, buffer_size=buffer_size,
        compat=compat, tfce_also=tfce_also, also_threshold=also_threshold)


@verbose
def spatio_temporal_cluster_test(
        X, threshold=None, n_permutations=1024, tail=0, stat_fun=None,
        adjacency=None, n_jobs=None, seed=None, max_step=1, spatial_exclude=None,
        step_down_p=0, t_power=1, out_type='indices', check_disjoint=False,
        buffer_size=1000, verbose=None, compat=None):
    """Spatio-temporal cluster test of independent groups, as
    mne.stats.spatio_temporal_cluster_test."""
    exclude = _spatial_exclude(X[0].shape, spatial_exclude)
    return permutation_cluster_test(
        X, threshold=threshold, stat_fun=stat_fun, tail=tail,
        n_permutations=n_permutations, adjacency=adjacency, n_jobs=n_jobs, seed=seed,
        max_step=max_step, exclude=exclude, step_down_p=step_down_p, t_power=t_power,
        out_type=out_type, check_disjoint=check_disjoint, buffer_size=buffer_size,
        compat=compat)

