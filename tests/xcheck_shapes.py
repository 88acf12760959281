"""xcheck_shapes.py - MNE 1.3's cluster tests on data of any shape against the engine (driven
by build/tests/tool_combine), and MNE's out_type='mask' and 'indices' against
cperm_run_cluster_mask / cperm_run_cluster_indices.

How MNE maps a sample shape (d0, d1, ..., dk) = X.shape[1:] onto the engine's (n_times,
spatial graph) - _permutation_cluster_test and _setup_adjacency - which `layout` mirrors:
  adjacency=None    scipy.ndimage.label on the sample (face neighbours): the engine gets
                    cperm_graph_lattice over every point and n_times = 1. 1-D samples sum
                    clusters with ndimage.sum (a running sum): opts.sequential_sums = 1.
                    Clusters come as slices (1-D) or boolean masks, ordered by their first
                    point; out_type='indices' gives np.where / np.arange: ascending points.
  an adjacency over every point (e.g. combine_adjacency(n_times, n_freqs, chan_adj)): MNE's
                    global path (connected components); the engine gets that graph
                    (cperm_graph_combine of the dimensions' graphs) with n_times = 1, compat
                    none. Members ascending.
  an adjacency over d1 x ... x dk (the dimensions after the first, e.g. a source space for
                    (times, vertices), or combine_adjacency(n_freqs, chan_adj) for (times,
                    freqs, channels)): MNE's list path, d0 its time axis with max_step; the
                    engine gets n_times = d0, the graph over the rest and compat mne1.3 (the
                    list path's element order and 1-step split). out_type='indices' unravels
                    members in that order (cperm_run_cluster), not ascending.
  exclude           a mask over the whole sample (any pattern, also varying along d0): the
                    engine's options.exclude; spatio_temporal_*'s spatial_exclude is that
                    mask repeated over the times.
Per case: T_obs, every H0 value and the cluster p-values bit for bit (no tolerance), the
clusters as sets of flat indices in MNE's order, np.unravel_index of our indices equal to
MNE's out_type='indices' tuples array for array, our masks equal to its out_type='mask'
arrays (for 1-D data without adjacency MNE 1.3 returns ndimage.find_objects' 1-tuples of a
slice there: their bounds), and
cperm_run_cluster_indices equal to np.nonzero of cperm_run_cluster_mask.

Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure. Build dir from $CPERM_BUILD.
"""
import os
import subprocess
import sys
import tempfile
import warnings
from functools import partial

os.environ.setdefault('MNE_TQDM', 'off')
warnings.filterwarnings('ignore')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy import stats  # noqa: E402
import mne  # noqa: E402
from mne.stats import (combine_adjacency, permutation_cluster_1samp_test,  # noqa: E402
                       permutation_cluster_test, spatio_temporal_cluster_1samp_test,
                       ttest_ind_no_p)
import xcheck_combine as xc  # noqa: E402
import xcheck_engine as xe  # noqa: E402

BUILD = os.environ.get('CPERM_BUILD', 'build')
TOOL = os.path.join(BUILD, 'tests', 'tool_combine')
FAILED = [0]


def report(name, cond, why=''):
    if cond:
        print('ok shapes.%s' % name)
    else:
        print('FAIL shapes.%s: %s' % (name, why))
        FAILED[0] += 1
    sys.stdout.flush()
    return bool(cond)


# ------------------------------------------------------------------ MNE's mapping

def layout(sample_shape, dims, adjacency, max_step):
    """The engine's layout for MNE's call. dims: one entry per sample dimension, None (a
    lattice, MNE's int in combine_adjacency) or that dimension's scipy graph; adjacency:
    'none' (adjacency=None), 'full' (combine_adjacency over every dimension) or 'trailing'
    (over the dimensions after the first). Returns (MNE's adjacency, tool parameters, how
    MNE orders out_type='indices': 'ascending' or 'members')."""
    if adjacency == 'none':
        return None, dict(graphs={}, split=0, compat='none',
                          sequential_sums=int(len(sample_shape) == 1)), 'ascending'
    if adjacency == 'full':
        args = [d if d is not None else n for d, n in zip(dims, sample_shape)]
        return combine_adjacency(*args), dict(
            graphs={k: d for k, d in enumerate(dims) if d is not None}, split=0,
            compat='none'), 'ascending'
    assert adjacency == 'trailing' and len(sample_shape) >= 2
    args = [d if d is not None else n for d, n in zip(dims[1:], sample_shape[1:])]
    adj = combine_adjacency(*args) if len(args) > 1 else sp.coo_matrix(args[0])
    return adj, dict(graphs={k: d for k, d in enumerate(dims) if k and d is not None},
                     split=1, compat='mne1.3', max_step=max_step), 'members'


# ------------------------------------------------------------------ the engine

def run_tool(d, shape, X, tool, c):
    """tool: graphs, split, compat, ... from layout; c: the test's parameters."""
    os.makedirs(d, exist_ok=True)
    graphs = tool['graphs']
    lines = ['shape=%s' % ','.join(str(s) for s in shape),
             'graph=%s' % ('combine' if graphs else 'lattice'),
             'graphs=%s' % ','.join(str(k) for k in sorted(graphs)),
             'split=%d' % tool['split'], 'run=1', 'compat=%s' % tool['compat'],
             'max_step=%d' % tool.get('max_step', 1),
             'sequential_sums=%d' % tool.get('sequential_sums', 0),
             'n_subjects=%d' % X.shape[0], 'threshold=%r' % float(c['threshold']),
             'tail=%d' % c['tail'], 't_power=%r' % float(c.get('t_power', 1)),
             'n_permutations=%s' % c['n_permutations'], 'seed=%d' % c['seed'],
             'step_down_p=%r' % float(c.get('step_down_p', 0)),
             'n_jobs=%d' % c.get('n_jobs', 1),
             'exclude=%d' % (c.get('exclude') is not None)]
    if c.get('groups'):
        lines += ['groups=%s' % ','.join(str(n) for n in c['groups']),
                  'statistic=%s' % c.get('statistic', 'f'),
                  'equal_var=%d' % c.get('equal_var', 1)]
    for k, A in graphs.items():
        xc.edges_of(A).tofile(os.path.join(d, 'graph%d.i64' % k))
    if c.get('exclude') is not None:
        np.ascontiguousarray(c['exclude'], np.uint8).tofile(os.path.join(d, 'exclude.u8'))
    np.ascontiguousarray(X, np.float64).tofile(os.path.join(d, 'X.f64'))
    with open(os.path.join(d, 'params.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    p = subprocess.run([TOOL, d], capture_output=True, text=True, timeout=300)
    if p.returncode:
        return None, 'exit %d: %s' % (p.returncode, p.stderr.strip())
    r = xc.read_results(d)
    with open(os.path.join(d, 'out_sorted.txt')) as f:
        r['sorted'] = [np.array(s.split(), np.int64) for s in f.read().splitlines()]
    n_points = int(np.prod(shape))
    r['masks'] = np.fromfile(os.path.join(d, 'out_masks.u8'), np.uint8).reshape(-1, n_points)
    return r, ''


# ------------------------------------------------------------------ MNE

def run_mne(kind, data, c, adjacency, out_type):
    """kind: '1samp', 'st1samp' (spatio_temporal_cluster_1samp_test) or 'groups'."""
    kw = dict(threshold=c.get('mne_threshold', c['threshold']),
              n_permutations=c['n_permutations'], tail=c['tail'], adjacency=adjacency,
              n_jobs=1, seed=c['seed'], max_step=c.get('max_step', 1),
              step_down_p=c.get('step_down_p', 0), t_power=c.get('t_power', 1),
              out_type=out_type, buffer_size=None, verbose=False)
    excl = c.get('exclude')
    if kind == 'st1samp':
        spatial = c.get('spatial_exclude')
        T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
            data, spatial_exclude=None if spatial is None else list(spatial), **kw)
    elif kind == '1samp':
        T, cl, pv, H0 = permutation_cluster_1samp_test(data, exclude=excl, **kw)
    else:
        stat_fun = None
        if c.get('statistic') == 't_ind':
            stat_fun = partial(ttest_ind_no_p, equal_var=bool(c.get('equal_var', 1)))
        T, cl, pv, H0 = permutation_cluster_test(data, stat_fun=stat_fun, exclude=excl, **kw)
    return np.asarray(T, float), cl, np.asarray(pv, float), np.asarray(H0, float)


def mne_flat(cl, shape):
    """MNE's out_type='indices' clusters as flat indices in its element order."""
    return [np.ravel_multi_index(tuple(np.asarray(a) for a in c), shape) for c in cl]


# ------------------------------------------------------------------ one case

def check(tmp, name, kind, data, c, dims, adjacency, min_clusters=1):
    X = np.concatenate(data, 0) if kind == 'groups' else data
    shape = X.shape[1:]
    c = dict(c)
    if kind == 'st1samp' and c.get('spatial_exclude') is not None:
        ex = np.zeros(shape, bool)
        ex[..., list(c['spatial_exclude'])] = True
        c['exclude'] = ex.ravel()
    elif c.get('exclude') is not None:
        c['exclude'] = np.asarray(c['exclude'], bool).ravel()
    if kind == 'groups':
        c['groups'] = [len(g) for g in data]
    mne_adj, tool, order = layout(shape, dims, adjacency, c.get('max_step', 1))
    mne_c = dict(c)
    if c.get('exclude') is not None and kind != 'st1samp':
        mne_c['exclude'] = c['exclude'].reshape(shape) if adjacency == 'none' else c['exclude']
    T, cl_m, pv, H0 = run_mne(kind, data, mne_c, mne_adj, 'mask')
    nd_stepdown = adjacency == 'none' and len(shape) > 1 and c.get('step_down_p', 0) > 0
    try:
        T_i, cl_i, pv_i, H0_i = run_mne(kind, data, mne_c, mne_adj, 'indices')
        mne_fails = False
    except IndexError:
        mne_fails = True
    if nd_stepdown:
        # MNE 1.3 bug: with adjacency=None on N-D data, step-down indexes its flat include
        # mask with the index tuples out_type='indices' made (IndexError); 'mask' works
        report(name + '.mne13_indices_stepdown_nd_fails', mne_fails,
               'MNE 1.3 no longer fails here: compare with its indices')
        cl_i = [np.nonzero(m) for m in cl_m]
        T_i, pv_i, H0_i = T, pv, H0
    elif not report(name + '.mne_indices_run', not mne_fails, 'MNE raised IndexError'):
        return
    flat = mne_flat(cl_i, shape)
    if c.get('exclude') is not None:  # the mask must change what MNE finds
        _, cl_all, _, H0_all = run_mne(kind, data, dict(mne_c, exclude=None,
                                                        spatial_exclude=None), mne_adj, 'mask')
        report(name + '.exclude_matters', len(cl_all) != len(cl_m) or
               not np.array_equal(H0_all, H0) or
               any(not np.array_equal(a, b) for a, b in zip(cl_all, cl_m)),
               'MNE finds the same without the mask')
    report(name + '.nontrivial', len(flat) >= min_clusters and np.count_nonzero(H0[1:]) > 0,
           '%d clusters, %d nonzero H0 entries' % (len(flat), np.count_nonzero(H0[1:])))
    report(name + '.mne_out_types_agree', np.array_equal(H0, H0_i) and np.array_equal(T, T_i)
           and np.array_equal(pv, pv_i) and len(cl_m) == len(cl_i),
           'MNE differs between out types')
    g, why = run_tool(os.path.join(tmp, name), shape, X, tool, c)
    if not report(name + '.run', g is not None, why):
        return
    report(name + '.tobs_bits', np.array_equal(g['tobs'], T.ravel()),
           xc.first_diff(g['tobs'], T.ravel()))
    got_sets = [sorted(m.tolist()) for m in g['clusters']]
    want_sets = [sorted(f.tolist()) for f in flat]
    report(name + '.clusters', got_sets == want_sets,
           'got %d clusters, MNE %d; as sets equal regardless of order: %s' % (
               len(got_sets), len(want_sets), sorted(got_sets) == sorted(want_sets)))
    why = xc.first_diff(g['h0'], H0)
    if g['h0'].shape == H0.shape:
        why += ' (%d ulp at most)' % xc.ulps(g['h0'], H0)
    report(name + '.h0_bits', np.array_equal(g['h0'], H0), why)
    report(name + '.pvals', np.array_equal(g['pvals'], pv),
           'got %s want %s' % (g['pvals'][:6].tolist(), pv[:6].tolist()))
    # out_type='indices': what a binding unravels (cperm_run_cluster_indices for ascending
    # paths, the members in the engine's order for MNE's list path)
    ours = g['sorted'] if order == 'ascending' else g['clusters']
    bad = [k for k in range(min(len(ours), len(cl_i)))
           if not (len(cl_i[k]) == len(shape) and
                   all(np.array_equal(a, b) for a, b in
                       zip(np.unravel_index(ours[k], shape), cl_i[k])))]
    report(name + '.indices_%s' % order, len(ours) == len(cl_i) and not bad,
           'cluster %s differs' % bad[:1] if bad else '%d vs %d clusters' % (len(ours),
                                                                          len(cl_i)))
    if order == 'members':  # the list path's order is not ascending: it must not be sorted
        report(name + '.members_order_matters', any(
            np.any(np.diff(m) < 0) for m in g['clusters']) or
            all(len(m) < 3 for m in g['clusters']),
            'every cluster is ascending: this case does not check the list-path order')
    # out_type='mask'
    masks = g['masks'].astype(bool)
    if len(shape) == 1 and adjacency == 'none':  # MNE 1.3: ndimage.find_objects' (slice,)
        got = [(slice(int(s[0]), int(s[-1]) + 1),) if len(s) else None for s in g['sorted']]
        ok = len(got) == len(cl_m) and all(
            isinstance(m, tuple) and len(m) == 1 and isinstance(m[0], slice) and
            (m[0].start, m[0].stop, m[0].step) == (s[0].start, s[0].stop, None)
            for m, s in zip(cl_m, got))
        contiguous = all(len(s) == s[-1] - s[0] + 1 for s in g['sorted'])
        report(name + '.mask_slices', ok and contiguous,
               'got %s want %s' % (got[:3], cl_m[:3]))
    else:
        bad = [k for k in range(min(len(masks), len(cl_m)))
               if not (cl_m[k].dtype == bool and cl_m[k].shape == shape and
                       np.array_equal(masks[k].reshape(shape), cl_m[k]))]
        report(name + '.masks', len(masks) == len(cl_m) and not bad,
               'cluster %s differs' % bad[:1] if bad else '%d vs %d' % (len(masks), len(cl_m)))
    # the library's own two views agree: sorted indices are np.nonzero of the mask
    bad = [k for k in range(len(masks)) if not (
        np.array_equal(np.nonzero(masks[k])[0], g['sorted'][k]) and
        np.array_equal(np.sort(g['clusters'][k]), g['sorted'][k]))]
    report(name + '.indices_are_nonzero_of_mask', not bad and len(masks) == len(g['sorted']),
           'cluster %s' % bad[:1])


# ------------------------------------------------------------------ cases

def f_threshold(groups, p=0.05):
    """MNE's default F threshold, computed as it does (stats.f.ppf(1 - p, dfn, dfd))."""
    dfn = len(groups) - 1
    dfd = sum(len(g) for g in groups) - len(groups)
    return float(stats.f.ppf(1. - p, dfn, dfd))


def main():
    if not os.access(TOOL, os.X_OK):
        report('tool_present', False, '%s not built' % TOOL)
        return 1
    rng = np.random.RandomState(20)
    with tempfile.TemporaryDirectory() as tmp:
        # ---- 1-D, adjacency=None: ndimage.label + ndimage.sum
        X = xc.smooth(rng, 14, (60,), 2.0, [(0.9, (slice(8, 20),)), (-0.9, (slice(35, 44),))])
        ex = np.zeros(60, bool)
        ex[[14, 15, 40]] = True
        for k, c in enumerate([
                dict(threshold=2.0, tail=0, n_permutations=256, seed=0),
                dict(threshold=1.8, tail=1, n_permutations=200, seed=3, t_power=2,
                     exclude=ex),
                dict(threshold=2.0, tail=0, n_permutations=300, seed=1, step_down_p=0.05,
                     t_power=0)]):
            check(tmp, '1d_1samp_%d' % k, '1samp', X, c, [None], 'none')
        # exact enumeration: 7 observations, tail -1: 2^7 - 1 = 127 orders < 1000
        check(tmp, '1d_1samp_exact_tm1', '1samp', X[:7],
              dict(threshold=-1.9, tail=-1, n_permutations=1000, seed=0), [None], 'none')
        g1 = xc.smooth(rng, 8, (50,), 2.0, [(1.2, (slice(5, 15),))])
        g2 = xc.smooth(rng, 9, (50,), 2.0, [(-1.0, (slice(30, 38),))])
        g3 = xc.smooth(rng, 7, (50,), 2.0, [])
        check(tmp, '1d_groups_f_default', 'groups', [g1, g2, g3],
              dict(threshold=f_threshold([g1, g2, g3]), mne_threshold=None, tail=0,
                   n_permutations=200, seed=2), [None], 'none')
        check(tmp, '1d_groups_tind_tail0', 'groups', [g1, g2],
              dict(threshold=2.0, tail=0, n_permutations=200, seed=4, statistic='t_ind',
                   step_down_p=0.05), [None], 'none')

        # ---- 2-D (times x vertices), an ico-2 source space
        nv, e_ico = xe.ico_graph(2)
        A = xe.graph_from_edges(nv, e_ico)
        nt = 5
        blobs = [(1.1, 0, 2, 1, 4), (-1.1, 100, 2, 0, 3)]
        X = xe.smooth_data(np.random.RandomState(1), 12, nt, nv, A, blobs)
        # the list path (adjacency of the last dimension), max_step over the times
        check(tmp, 'st_ico2_maxstep1', 'st1samp', X,
              dict(threshold=1.8, tail=0, n_permutations=200, seed=0, max_step=1,
                   spatial_exclude=[3, 50, 77]), [None, A], 'trailing')
        check(tmp, 'st_ico2_maxstep2_tpow0', 'st1samp', X,
              dict(threshold=1.8, tail=1, n_permutations=150, seed=5, max_step=2,
                   t_power=0), [None, A], 'trailing')
        # a mask that differs between times on the list path (options.exclude)
        ex = np.zeros((nt, nv), bool)
        ex[1, :40] = True
        ex[3, 90:130] = True
        check(tmp, 'ico2_list_exclude_by_time', '1samp', X,
              dict(threshold=1.8, tail=0, n_permutations=150, seed=7, max_step=2,
                   exclude=ex, t_power=2), [None, A], 'trailing')
        # the global path, exact: 8 observations, tail 0: 2^7 - 1 = 127 orders < 500
        check(tmp, 'ico2_global_exact', '1samp', X[:8],
              dict(threshold=2.0, tail=0, n_permutations=500, seed=0), [None, A], 'full')
        check(tmp, 'ico2_global_all_stepdown', '1samp', X[:8],
              dict(threshold=1.8, tail=0, n_permutations='all', seed=0, step_down_p=0.05),
              [None, A], 'full')
        a = xe.smooth_data(np.random.RandomState(2), 9, nt, nv, A, blobs)
        b = xe.smooth_data(np.random.RandomState(3), 8, nt, nv, A, [])
        check(tmp, 'ico2_groups_f_list_maxstep2', 'groups', [a, b],
              dict(threshold=f_threshold([a, b]), mne_threshold=None, tail=0,
                   n_permutations=150, seed=1, max_step=2), [None, A], 'trailing')
        check(tmp, 'ico2_groups_tind_tm1_list', 'groups', [a, b],
              dict(threshold=-1.7, tail=-1, n_permutations=150, seed=3, statistic='t_ind',
                   equal_var=0, step_down_p=0.05), [None, A], 'trailing')

        # ---- times x freqs x channels, biosemi16's neighbours (read_ch_adjacency)
        chan, _ = mne.channels.read_ch_adjacency('biosemi16')
        nt, nf, nc = 6, 4, 16
        X = xc.smooth(rng, 13, (nt, nf, nc), 1.0,
                      [(1.0, (slice(1, 4), slice(0, 2), slice(2, 8))),
                       (-1.0, (slice(3, 6), slice(2, 4), slice(9, 15)))])
        check(tmp, 'tfc_global_tail0_stepdown', '1samp', X,
              dict(threshold=2.0, tail=0, n_permutations=200, seed=0, step_down_p=0.05,
                   n_jobs=2), [None, None, chan], 'full')
        # the list path: adjacency over freqs x channels, max_step over the times
        check(tmp, 'tfc_list_maxstep2', '1samp', X,
              dict(threshold=1.8, tail=1, n_permutations=200, seed=9, max_step=2),
              [None, None, chan], 'trailing')
        check(tmp, 'tfc_st_list_tm1', 'st1samp', -X,
              dict(threshold=-1.8, tail=-1, n_permutations=150, seed=4,
                   spatial_exclude=[0, 7]), [None, None, chan], 'trailing')
        ex = np.zeros((nt, nf, nc), bool)
        ex[2, 1, :] = True
        ex[:, 3, 10] = True
        ga = xc.smooth(rng, 8, (nt, nf, nc), 1.0,
                       [(1.3, (slice(1, 4), slice(0, 2), slice(2, 8)))])
        gb = xc.smooth(rng, 8, (nt, nf, nc), 1.0, [])
        gc = xc.smooth(rng, 7, (nt, nf, nc), 1.0,
                       [(-1.3, (slice(3, 6), slice(2, 4), slice(9, 15)))])
        check(tmp, 'tfc_groups_f_global_exclude', 'groups', [ga, gb, gc],
              dict(threshold=f_threshold([ga, gb, gc]), mne_threshold=None, tail=1,
                   n_permutations=150, seed=6, exclude=ex), [None, None, chan], 'full')
        # a small random sparse channel graph, channels first, frequencies a lattice
        rchan = xc.channel_graph(9, 2)
        Xc = xc.smooth(rng, 12, (9, 5, 4), 1.0, [(1.1, (slice(0, 4), slice(1, 4), slice(0, 2)))])
        check(tmp, 'cft_random_graph_global', '1samp', Xc,
              dict(threshold=1.9, tail=0, n_permutations=200, seed=8, t_power=2),
              [rchan, None, None], 'full')

        # ---- adjacency=None on 2-D and 3-D samples: the lattice
        X = xc.smooth(rng, 11, (14, 9), 1.2, [(0.9, (slice(2, 7), slice(1, 4))),
                                              (-0.9, (slice(9, 13), slice(5, 9)))])
        check(tmp, '2d_lattice_tail0', '1samp', X,
              dict(threshold=2.0, tail=0, n_permutations=256, seed=0), [None, None], 'none')
        # exact: 9 observations, tail -1: 511 orders < 600
        check(tmp, '2d_lattice_exact_tm1', '1samp', -X[:9],
              dict(threshold=-1.8, tail=-1, n_permutations=600, seed=0, t_power=0),
              [None, None], 'none')
        X3 = xc.smooth(rng, 10, (4, 5, 6), 1.0, [(1.0, (slice(0, 3), slice(1, 4), slice(1, 4))),
                                                 (-1.0, (slice(2, 4), slice(3, 5), slice(3, 6)))])
        ex = np.zeros((4, 5, 6), bool)
        ex[1, 2, :] = True
        check(tmp, '3d_lattice_tpow2_exclude', '1samp', X3,
              dict(threshold=1.8, tail=0, n_permutations=200, seed=2, t_power=2, exclude=ex,
                   step_down_p=0.05), [None, None, None], 'none')
        ga = xc.smooth(rng, 7, (12, 8), 1.2, [(1.3, (slice(2, 6), slice(1, 4)))])
        gb = xc.smooth(rng, 8, (12, 8), 1.2, [(-1.0, (slice(7, 11), slice(4, 8)))])
        check(tmp, '2d_lattice_groups_tind', 'groups', [ga, gb],
              dict(threshold=2.0, tail=0, n_permutations=200, seed=5, statistic='t_ind'),
              [None, None], 'none')
        check(tmp, '2d_lattice_groups_f', 'groups', [ga, gb],
              dict(threshold=f_threshold([ga, gb]), mne_threshold=None, tail=0,
                   n_permutations=200, seed=5), [None, None], 'none')
    print('%d failed' % FAILED[0] if FAILED[0] else 'all ok')
    return 1 if FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
