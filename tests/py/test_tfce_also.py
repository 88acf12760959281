"""test_tfce_also.py - tfce_also (issue 17, beyond MNE): exact TFCE's sweep also tests the
clusters at the cluster-forming threshold. The fifth element against MNE 1.3's cluster test
on the same arrays, threshold, seed and permutations: mass (t_power as given) with H0 to rel
1e-12 (the sweep sums permuted masses in its own order) and observed statistics, clusters and
p-values equal; extent (MNE's t_power=0) equal throughout; the TFCE elements those of the
call without tfce_also. Run by tests/xcheck_python.py with PYTHONPATH=python."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse

import mne
import clusterperm as cp

mne.set_log_level('WARNING')
MNE = cp.mne_function('permutation_cluster_1samp_test')
TFCE = dict(start=0, step=0.2, exact=True)


def _data(seed=0, n=12, side=9):
    """n observations of a side x side lattice (as one flat dimension) with an effect."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, side, side)
    X[:, 2:6, 3:7] += 0.8
    X[:, 6:8, 0:2] -= 0.9
    adj = mne.stats.combine_adjacency(side, side)
    return X.reshape(n, -1), sparse.csr_matrix(adj)


def _rel_equal(a, b, tol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    assert np.all(np.abs(a - b) <= tol * np.abs(b)), np.max(np.abs(a - b) / np.abs(b))


@pytest.mark.parametrize('tail, threshold, t_power', [(0, 2.0, 1), (1, 1.7, 1), (-1, -1.7, 2),
                                                      (0, 2.2, 2)])
def test_also_against_mne(tail, threshold, t_power):
    X, adj = _data()
    kw = dict(n_permutations=300, seed=0, tail=tail, adjacency=adj, out_type='indices')
    tfce = dict(TFCE, step=-0.2) if tail < 0 else TFCE  # MNE's rule for tail -1
    res = cp.permutation_cluster_1samp_test(X, threshold=tfce, t_power=t_power,
                                            tfce_also=('mass', 'extent'),
                                            also_threshold=threshold, **kw)
    assert len(res) == 5
    extra = res[4]
    assert extra['threshold'] == threshold
    # the TFCE elements are the call's without tfce_also
    plain = cp.permutation_cluster_1samp_test(X, threshold=tfce, t_power=t_power, **kw)
    assert len(plain) == 4
    assert_array_equal(res[0], plain[0])
    assert_array_equal(res[2], plain[2])
    assert_array_equal(res[3], plain[3])
    # mass: MNE's cluster test with this threshold and t_power
    T_obs, clusters, pv, H0 = MNE(X, threshold=threshold, t_power=t_power, **kw)
    assert len(clusters) >= 2 and pv.min() < 0.5  # not a trivial case
    assert len(extra['clusters']) == len(clusters)
    for ours, theirs in zip(extra['clusters'], clusters):
        assert len(ours) == len(theirs)
        for u, v in zip(ours, theirs):
            assert_array_equal(u, v)
    mass = extra['mass']
    _rel_equal(mass['H0'], H0)
    assert mass['H0'][0] == H0[0]
    assert_array_equal(mass['cluster_pv'], pv)
    sizes = np.array([len(c[0]) for c in clusters], float)
    t = T_obs.ravel()
    want = np.array([np.sum(np.sign(t[c[0]]) * np.abs(t[c[0]]) ** t_power) for c in clusters])
    _rel_equal(mass['stats'], want)
    # extent: MNE's t_power=0
    T0, clusters0, pv0, H00 = MNE(X, threshold=threshold, t_power=0, **kw)
    ext = extra['extent']
    assert_array_equal(ext['H0'], H00)
    assert_array_equal(ext['cluster_pv'], pv0)
    assert_array_equal(np.abs(ext['stats']), sizes)
    assert_array_equal(np.sign(ext['stats']), np.sign(mass['stats']))


def test_also_one_statistic_and_spatio_temporal():
    rng = np.random.RandomState(3)
    X = rng.randn(10, 6, 20)
    X[:, 2:5, 4:10] += 1.0
    adj = sparse.diags([1, 1], [-1, 1], shape=(20, 20)).tocsr()  # a chain of 20 "vertices"
    kw = dict(n_permutations=128, seed=2, adjacency=adj, out_type='indices')
    res = cp.spatio_temporal_cluster_1samp_test(X, threshold=TFCE, tfce_also='extent',
                                                also_threshold=2.0, **kw)
    extra = res[4]
    assert 'mass' not in extra and 'extent' in extra
    T_obs, clusters, pv, H0 = cp.mne_function('spatio_temporal_cluster_1samp_test')(
        X, threshold=2.0, t_power=0, **kw)
    assert len(clusters) >= 1
    assert_array_equal(extra['extent']['H0'], H0)
    assert_array_equal(extra['extent']['cluster_pv'], pv)


def test_also_no_cluster():
    X, adj = _data(n=8)
    kw = dict(n_permutations=32, seed=0, adjacency=adj)
    extra = cp.permutation_cluster_1samp_test(X, threshold=TFCE, tfce_also=('mass', 'extent'),
                                              also_threshold=80.0, **kw)[4]
    with pytest.warns(RuntimeWarning, match='No clusters found'):
        H0 = MNE(X, threshold=80.0, **kw)[3]
    assert len(extra['clusters']) == 0 and H0.size == 0
    for name in ('mass', 'extent'):
        assert extra[name]['H0'].size == 0 and extra[name]['cluster_pv'].size == 0


@pytest.mark.parametrize('kwargs, match', [
    (dict(threshold=dict(start=0, step=0.2), tfce_also='mass', also_threshold=2.0),
     'needs exact TFCE'),
    (dict(threshold=2.0, tfce_also='mass', also_threshold=2.0), 'needs exact TFCE'),
    (dict(threshold=TFCE, tfce_also=('mass', 'size'), also_threshold=2.0), "'size'"),
    (dict(threshold=TFCE, tfce_also=(), also_threshold=2.0), 'got nothing'),
    (dict(threshold=TFCE, tfce_also='mass'), 'give also_threshold'),
    (dict(threshold=TFCE, tfce_also='mass', also_threshold=-2.0), 'also_threshold signs'),
])
def test_also_bad_input(kwargs, match):
    X, adj = _data(n=6)
    with pytest.raises(ValueError, match=match):
        cp.permutation_cluster_1samp_test(X, adjacency=adj, n_permutations=8, **kwargs)


def test_also_step_down_refused():
    X, adj = _data(n=6)
    with pytest.raises(Exception, match='step'):
        cp.permutation_cluster_1samp_test(X, adjacency=adj, n_permutations=8, threshold=TFCE,
                                          tfce_also='mass', also_threshold=2.0,
                                          step_down_p=0.05)
