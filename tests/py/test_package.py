"""test_package.py - the clusterperm Python package against MNE 1.3 (the oracle, Debian's
python3-mne) on the same arrays and seeds: every value bit for bit unless a test says why
not. Run by tests/xcheck_python.py (make check) with PYTHONPATH=python."""
import threading
import time
import warnings
from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse

import mne
from mne.stats import cluster_level as mcl
from mne.stats import parametric as mpar
from mne.stats import permutations as mperm
from mne.stats import multi_comp as mmc
import clusterperm as cp

mne.set_log_level('WARNING')
MNE = {name: cp.mne_function(name) for name in cp.PATCHED}


def same_clusters(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, tuple):
            assert isinstance(y, tuple) and len(x) == len(y)
            for u, v in zip(x, y):
                if isinstance(u, slice):
                    assert u == v
                else:
                    assert_array_equal(u, v)
                    assert u.dtype.kind == v.dtype.kind
        else:
            assert x.dtype == y.dtype and x.shape == y.shape
            assert_array_equal(x, y)


def same_result(a, b):
    assert_array_equal(a[0], b[0])
    assert a[0].shape == b[0].shape
    same_clusters(a[1], b[1])
    assert_array_equal(a[2], b[2])
    assert_array_equal(a[3], b[3])


def data(shape, n=12, effect=1.2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, *shape)
    sl = tuple(slice(s // 4, s // 2 + 1) for s in shape)
    X[(slice(None),) + sl] += effect
    return X


# ---------------------------------------------------------------- statistics

@pytest.mark.parametrize('sigma', [0, 1e-3, 0.1])
def test_ttest_1samp(sigma):
    X = data((7, 9))
    for method in ('relative', 'absolute'):
        assert_array_equal(cp.ttest_1samp_no_p(X, sigma, method),
                           MNE['ttest_1samp_no_p'](X, sigma, method))


def test_two_sample_and_f():
    a, b, c = data((20,), 9), data((20,), 11, seed=1), data((20,), 7, seed=2)
    for ev in (True, False):
        assert_array_equal(cp.ttest_ind_no_p(a, b, ev), MNE['ttest_ind_no_p'](a, b, ev))
    assert_array_equal(cp.f_oneway(a, b, c), MNE['f_oneway'](a, b, c))


@pytest.mark.parametrize('levels,effects', [([2, 2], 'A*B'), ([3, 2], 'all'), ([2, 3], 'A:B'),
                                            ([4], 'A'), ([2, 2, 2], 'A*B')])
def test_f_mway_rm(levels, effects):
    rng = np.random.RandomState(3)
    d = rng.randn(10, int(np.prod(levels)), 15)
    F, p = cp.f_mway_rm(d, levels, effects)
    Fm, pm = MNE['f_mway_rm'](d, levels, effects)
    assert_array_equal(F, Fm)
    assert_array_equal(p, pm)
    assert cp.f_threshold_mway_rm(10, levels, effects) == \
        MNE['f_threshold_mway_rm'](10, levels, effects)


def test_corrections():
    p = np.random.RandomState(0).rand(40) ** 3
    for method in ('indep', 'negcorr'):
        r, pc = cp.fdr_correction(p, 0.05, method)
        rm, pcm = MNE['fdr_correction'](p, 0.05, method)
        assert_array_equal(r, rm)
        assert_array_equal(pc, pcm)
    r, pc = cp.bonferroni_correction(p, 0.05)
    rm, pcm = MNE['bonferroni_correction'](p, 0.05)
    assert_array_equal(r, rm)
    assert_array_equal(pc, pcm)
    assert r.sum() > 0 and r.sum() < 40


@pytest.mark.parametrize('tail', [-1, 0, 1])
def test_permutation_t_test(tail):
    X = data((25,), 10, 0.8)
    for seed in (0, 7):
        a = cp.permutation_t_test(X, 200, tail, seed=seed)
        b = MNE['permutation_t_test'](X, 200, tail, seed=seed)
        for u, v in zip(a, b):
            assert_array_equal(u, v)
    a = cp.permutation_t_test(X, 200, tail, seed=np.random.RandomState(4))
    b = MNE['permutation_t_test'](X, 200, tail, seed=np.random.RandomState(4))
    for u, v in zip(a, b):
        assert_array_equal(u, v)


# ---------------------------------------------------------------- adjacency

def test_combine_adjacency():
    chan = sparse.random(6, 6, 0.4, random_state=0)
    chan = ((chan + chan.T) > 0).astype(float)
    for args in [(5,), (3, 4), (2, np.eye(3)), (4, np.zeros((3, 3)), chan),
                 (sparse.coo_matrix(np.ones((2, 2))), 3)]:
        a = cp.combine_adjacency(*args)
        b = MNE['combine_adjacency'](*args)
        assert isinstance(a, sparse.coo_matrix) and a.shape == b.shape
        assert_array_equal(a.toarray() != 0, b.toarray() != 0)
    with pytest.raises(ValueError, match='must be square'):
        cp.combine_adjacency(np.ones((2, 3)))
    with pytest.raises(ValueError, match='0 or 1'):
        cp.combine_adjacency(np.full((2, 2), 2.))


def ico_src(grade=3, subset=False):
    surf = mne.surface._get_ico_surface(grade)
    src = []
    for hemi in range(2):
        n = len(surf['rr'])
        vertno = np.arange(n)
        if subset:
            vertno = vertno[vertno % 5 != 0]
        src.append(dict(type='surf', np=n, vertno=vertno, use_tris=surf['tris'],
                        tris=surf['tris'], rr=surf['rr'], nuse=len(vertno)))
    return mne.SourceSpaces(src)


@pytest.mark.parametrize('subset', [False, True])
def test_spatial_src_adjacency(subset):
    src = ico_src(3, subset)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter('always')
        a = cp.spatial_src_adjacency(src)
        b = MNE['spatial_src_adjacency'](src)
    assert a.shape == b.shape
    assert_array_equal(a.toarray() != 0, b.toarray() != 0)


# ---------------------------------------------------------------- the cluster tests

ADJ30 = mne.stats.combine_adjacency(30)


@pytest.mark.parametrize('kw', [dict(), dict(tail=1, threshold=2.0),
                                dict(tail=-1, threshold=-2.0), dict(step_down_p=0.05),
                                dict(max_step=2), dict(t_power=0),
                                dict(spatial_exclude=[3, 4, 5, 20]),
                                dict(n_permutations='all', tail=1),
                                dict(stat_fun=partial(mpar.ttest_1samp_no_p, sigma=1e-3)),
                                dict(stat_fun=partial(mpar.ttest_1samp_no_p, sigma=0.1,
                                                      method='absolute'))])
@pytest.mark.parametrize('out_type', ['indices', 'mask'])
def test_st1samp_mne13(kw, out_type):
    n = 8 if kw.get('n_permutations') == 'all' else 12
    X = data((10, 30), n)
    if kw.get('tail') == -1:
        X = -X
    kw = dict(dict(n_permutations=200, seed=3), **kw)
    a = cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, compat='mne1.3',
                                              out_type=out_type, **kw)
    b = MNE['spatio_temporal_cluster_1samp_test'](X, adjacency=ADJ30, out_type=out_type,
                                                  **kw)
    same_result(a, b)
    assert (a[2] < 0.05).any()


def test_default_is_true_components():
    """The default clustering (compat=None) is MNE's global path: connected components of
    the whole (time x space) graph, which MNE 1.3 computes for an adjacency over every
    point."""
    X = data((10, 30), 12)
    full = mne.stats.combine_adjacency(10, ADJ30)
    a = cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, seed=3,
                                              n_permutations=200)
    b = MNE['spatio_temporal_cluster_1samp_test'](X, adjacency=full, seed=3,
                                                  n_permutations=200)
    assert_array_equal(a[0], b[0])
    assert_array_equal(a[2], b[2])
    assert_array_equal(a[3], b[3])
    assert [sorted(np.ravel_multi_index(c, (10, 30))) for c in a[1]] == \
        [list(np.ravel_multi_index(c, (10, 30))) for c in b[1]]


@pytest.mark.parametrize('shape', [(11,), (11, 3), (5, 4, 3)])
@pytest.mark.parametrize('adjacency', [None, 'full'])
@pytest.mark.parametrize('out_type', ['indices', 'mask'])
def test_shapes_1samp(shape, adjacency, out_type):
    X = data(shape, 10, 1.5)
    adj = None if adjacency is None else mne.stats.combine_adjacency(*shape)
    kw = dict(n_permutations=100, seed=1, adjacency=adj, out_type=out_type, threshold=1.5)
    a = cp.permutation_cluster_1samp_test(X, **kw)
    b = MNE['permutation_cluster_1samp_test'](X, **kw)
    same_result(a, b)


@pytest.mark.parametrize('seed', [None, 'RandomState', 'Generator'])
def test_generator_seeds(seed):
    """A RandomState, a Generator or None (numpy's global state): the package draws the
    orders as MNE does, and the generator ends in the same state."""
    X = data((10, 30), 12)
    make = dict(RandomState=lambda: np.random.RandomState(9),
                Generator=lambda: np.random.default_rng(9))
    if seed is None:
        np.random.seed(5)
        a = cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, compat='mne1.3',
                                                  n_permutations=100)
        after_a = np.random.rand()
        np.random.seed(5)
        b = MNE['spatio_temporal_cluster_1samp_test'](X, adjacency=ADJ30,
                                                      n_permutations=100)
        after_b = np.random.rand()
    else:
        ra, rb = make[seed](), make[seed]()
        a = cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, compat='mne1.3',
                                                  n_permutations=100, seed=ra)
        b = MNE['spatio_temporal_cluster_1samp_test'](X, adjacency=ADJ30,
                                                      n_permutations=100, seed=rb)
        after_a, after_b = ra.random(), rb.random()
    same_result(a, b)
    assert after_a == after_b
    Y = [data((40,), 9), data((40,), 11, 0, seed=1)]
    ra = make.get(seed, lambda: None)()
    rb = make.get(seed, lambda: None)()
    np.random.seed(5)
    a = cp.permutation_cluster_test(Y, n_permutations=100, seed=ra, threshold=3.0)
    np.random.seed(5)
    b = MNE['permutation_cluster_test'](Y, n_permutations=100, seed=rb, threshold=3.0)
    same_result(a, b)


@pytest.mark.parametrize('stat', ['f', 't_ind', 't_ind_welch'])
@pytest.mark.parametrize('adjacency', [None, 'full', 'trailing'])
def test_groups(stat, adjacency):
    Y = [data((6, 20), 9), data((6, 20), 11, 0, seed=1)]
    stat_fun = dict(f=None, t_ind=MNE['ttest_ind_no_p'],
                    t_ind_welch=partial(MNE['ttest_ind_no_p'], equal_var=False))[stat]
    adj = dict(full=mne.stats.combine_adjacency(6, 20),
               trailing=mne.stats.combine_adjacency(20)).get(adjacency)
    kw = dict(n_permutations=100, seed=2, adjacency=adj, stat_fun=stat_fun,
              threshold=3.0 if stat == 'f' else 1.8, tail=1 if stat == 'f' else 0,
              compat='mne1.3',
              # MNE 1.3 cannot step down on N-D data without adjacency (IndexError)
              step_down_p=0.05 if adjacency else 0)
    a = cp.permutation_cluster_test(Y, **kw)
    kw.pop('compat')
    b = MNE['permutation_cluster_test'](Y, **kw)
    same_result(a, b)


def test_any_stat_fun():
    """A stat_fun the engine does not know is called back from the engine, per permutation,
    in MNE's buffers; the results are MNE's."""
    X = data((8, 30), 10)
    calls = []

    def my_t(x):
        calls.append(x.shape)
        return np.mean(x, 0) / (np.std(x, 0, ddof=1) + 0.1)

    a = cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, threshold=1.0,
                                              stat_fun=my_t, seed=0, n_permutations=64,
                                              compat='mne1.3', step_down_p=0.05)
    n_calls = len(calls)
    b = MNE['spatio_temporal_cluster_1samp_test'](X, adjacency=ADJ30, threshold=1.0,
                                                  stat_fun=my_t, seed=0, n_permutations=64,
                                                  step_down_p=0.05)
    same_result(a, b)
    assert (a[2] < 0.05).any() and n_calls >= 64
    Y = [data((30,), 9), data((30,), 11, 0, seed=1), data((30,), 8, 0.5, seed=2)]

    def kruskal_like(*groups):
        return np.var([np.mean(g, 0) for g in groups], axis=0) * 10

    a = cp.permutation_cluster_test(Y, threshold=1.0, stat_fun=kruskal_like, seed=4,
                                    n_permutations=50)
    b = MNE['permutation_cluster_test'](Y, threshold=1.0, stat_fun=kruskal_like, seed=4,
                                        n_permutations=50)
    same_result(a, b)


def test_rm_anova_closure():
    """MNE's documented repeated-measures pattern: permutation_cluster_test over the cells
    with an f_mway_rm closure."""
    rng = np.random.RandomState(0)
    S, levels = 8, [2, 2]
    cells = [rng.randn(S, 25) + (0.8 if c == 3 else 0) for c in range(4)]

    def stat_fun(*args):
        return MNE['f_mway_rm'](np.swapaxes(np.array(args), 1, 0), levels, 'A:B',
                                return_pvals=False)[0]

    thr = MNE['f_threshold_mway_rm'](S, levels, 'A:B', 0.05)
    a = cp.permutation_cluster_test(cells, threshold=thr, stat_fun=stat_fun, seed=1,
                                    n_permutations=40, tail=1, buffer_size=None)
    b = MNE['permutation_cluster_test'](cells, threshold=thr, stat_fun=stat_fun, seed=1,
                                        n_permutations=40, tail=1, buffer_size=None)
    same_result(a, b)


@pytest.mark.parametrize('tail', [-1, 0, 1])
def test_tfce_mne13(tail):
    X = data((6, 30), 10, 1.0)
    thr = dict(start=0, step=0.5 if tail >= 0 else -0.5)
    if tail < 0:
        X = -X
    kw = dict(threshold=thr, tail=tail, n_permutations=64, seed=0)
    a = cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, compat='mne1.3', **kw)
    b = MNE['spatio_temporal_cluster_1samp_test'](X, adjacency=ADJ30, **kw)
    same_result(a, b)
    Y = [data((20,), 9), data((20,), 11, 0, seed=1)]
    thr = dict(start=1, step=1)
    a = cp.permutation_cluster_test(Y, threshold=thr, n_permutations=40, seed=0,
                                    tail=1, compat='mne1.3')
    b = MNE['permutation_cluster_test'](Y, threshold=thr, n_permutations=40, seed=0, tail=1)
    same_result(a, b)


def test_errors_are_mne_s():
    X = data((4, 30), 8)
    f = cp.spatio_temporal_cluster_1samp_test
    with pytest.raises(ValueError, match="Invalid value for the 'tail' parameter"):
        f(X, adjacency=ADJ30, tail=2)
    with pytest.raises(ValueError, match='incompatible tail and threshold signs'):
        f(X, adjacency=ADJ30, tail=1, threshold=-1.)
    with pytest.raises(ValueError, match='must be of the correct size'):
        f(X, adjacency=mne.stats.combine_adjacency(29))
    with pytest.raises(ValueError, match='must be a SciPy sparse matrix'):
        f(X, adjacency=ADJ30.toarray())
    with pytest.raises(KeyError, match='must have at least'):
        f(X, adjacency=ADJ30, threshold=dict(start=0))
    with pytest.raises(TypeError, match='must be .* ndarray'):
        f(X, adjacency=ADJ30, threshold=1, stat_fun=lambda x: None)
    with pytest.raises(ValueError, match='not compatible'):
        f(X, adjacency=ADJ30, threshold=1, stat_fun=lambda x: x.mean(0).ravel()[:-1])


def test_stat_fun_exception_propagates():
    X = data((4, 30), 8)
    state = {'n': 0}

    class Boom(Exception):
        pass

    def stat_fun(x):
        state['n'] += 1
        if state['n'] > 5:
            raise Boom('from stat_fun')
        return cp.ttest_1samp_no_p(x) + 0.0

    with pytest.raises(Boom, match='from stat_fun'):
        cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, threshold=1.0,
                                              stat_fun=stat_fun, n_permutations=100,
                                              buffer_size=None)


def test_gil_released():
    """Another Python thread runs while the engine works."""
    X = data((40, 30), 16)
    ticks = [0]
    done = threading.Event()

    def work():
        cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, threshold=0.5,
                                              n_permutations=4000, seed=0)
        done.set()

    t = threading.Thread(target=work)
    t0 = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks[0] += 1
        time.sleep(0.001)
    t.join()
    elapsed = time.perf_counter() - t0
    # the main thread woke up about once a millisecond throughout (not once at the end)
    assert ticks[0] > 0.3 * elapsed / 0.0011 and ticks[0] > 10, (ticks[0], elapsed)


def test_patch_and_unpatch():
    orig = mcl.permutation_cluster_test
    try:
        cp.patch_mne()
        assert mne.stats.permutation_cluster_test is cp.permutation_cluster_test
        assert mcl.spatio_temporal_cluster_1samp_test is cp.spatio_temporal_cluster_1samp_test
        assert mpar.f_mway_rm is cp.f_mway_rm and mperm.permutation_t_test is \
            cp.permutation_t_test and mmc.fdr_correction is cp.fdr_correction
        assert mne.spatial_src_adjacency is cp.spatial_src_adjacency
        # MNE's own functions stay reachable while patched
        assert cp.mne_function('permutation_cluster_test') is orig
        cp.patch_mne()  # idempotent
        assert cp.mne_function('permutation_cluster_test') is orig
        # f_mway_rm with correction falls back to MNE's own without recursing
        d = np.random.RandomState(0).randn(8, 4, 5)
        F, p = mne.stats.f_mway_rm(d, [2, 2], 'A:B', correction=True)
        cp.unpatch_mne()
        Fm, pm = mne.stats.f_mway_rm(d, [2, 2], 'A:B', correction=True)
        assert_array_equal(F, Fm)
        assert_array_equal(p, pm)
    finally:
        cp.unpatch_mne()
    assert mcl.permutation_cluster_test is orig
    assert mne.stats.permutation_cluster_test is orig


def test_patch_compat_default():
    X = data((10, 30), 12)
    try:
        cp.patch_mne(compat='mne1.3')
        a = mne.stats.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, seed=3,
                                                         n_permutations=100)
    finally:
        cp.unpatch_mne()
    b = mne.stats.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, seed=3,
                                                     n_permutations=100)
    same_result(a, b)


def test_log_lines():
    X = data((5, 30), 12)
    with mne.utils.catch_logging() as log:
        cp.spatio_temporal_cluster_1samp_test(X, adjacency=ADJ30, n_permutations=50,
                                              verbose=True, step_down_p=0.05)
    lines = log.getvalue()
    for text in ('Using a threshold of', 'stat_fun(H1): min=', 'Running initial clustering',
                 'Found ', 'Step-down-in-jumps iteration #1 found'):
        assert text in lines, (text, lines)


def test_summarize_clusters_stc():
    rng = np.random.RandomState(0)
    X = rng.randn(10, 6, 40) * 0.5
    X[:, 2:4, 3:9] += 1.5
    adj = mne.stats.combine_adjacency(40)
    clu = cp.spatio_temporal_cluster_1samp_test(X, adjacency=adj, seed=0,
                                                n_permutations=100, threshold=2.0)
    vertices = [np.arange(20), np.arange(20)]
    a = cp.summarize_clusters_stc(clu, tstep=2.5, vertices=vertices)
    b = MNE['summarize_clusters_stc'](clu, tstep=2.5, vertices=vertices)
    assert type(a) is type(b)
    assert_array_equal(a.data, b.data)
    assert a.tstep == b.tstep and a.tmin == b.tmin


@pytest.mark.parametrize('levels,effects', [([2, 2], 'A:B'), ([3, 2], 'A'), ([2, 3], 'B')])
def test_rm_closure_recognised(levels, effects):
    """The tutorial's closure over f_mway_rm is recognised (checked bit for bit on the data)
    and runs on the engine's repeated-measures F with MNE's label shuffles: stat_fun is
    called a few times, not once per permutation, and the results are MNE's."""
    rng = np.random.RandomState(1)
    n_cells = int(np.prod(levels))
    S = 9
    cells = [rng.randn(S, 6, 20) + (2.0 if c == n_cells - 1 else 0) for c in range(n_cells)]
    f_mway_rm = mpar.f_mway_rm
    factor_levels = levels
    calls = [0]

    def stat_fun(*args):
        calls[0] += 1
        return f_mway_rm(np.swapaxes(args, 1, 0), factor_levels=factor_levels,
                         effects=effects, return_pvals=False)[0]

    thr = MNE['f_threshold_mway_rm'](S, levels, effects, 0.05)
    adj = mne.stats.combine_adjacency(20)
    kw = dict(threshold=thr, stat_fun=stat_fun, seed=2, n_permutations=60, tail=1,
              buffer_size=None, adjacency=adj, step_down_p=0.05)
    a = cp.spatio_temporal_cluster_test(cells, compat='mne1.3', **kw)
    ours = calls[0]
    b = MNE['spatio_temporal_cluster_test'](cells, **kw)
    same_result(a, b)
    assert ours <= 3 and calls[0] - ours >= 60, (ours, calls[0])
    assert (a[2] < 0.05).any()
