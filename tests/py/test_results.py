"""test_results.py - clusterperm.cluster_results (issue 18's results object in Python):
effect sizes against numpy/scipy computed here by hand, regions against MNE Labels' vertex
membership, and the table read back by pandas."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import mne
import clusterperm as cp

mne.set_log_level('WARNING')


def onesample():
    rng = np.random.RandomState(0)
    X = rng.randn(12, 8, 40) * 0.7
    X[:, 2:5, 5:15] += 1.2
    res = cp.spatio_temporal_cluster_1samp_test(X, adjacency=mne.stats.combine_adjacency(40),
                                                threshold=2.5, seed=0, n_permutations=200)
    return X, res


def test_onesample_effects_by_hand():
    X, res = onesample()
    table = cp.cluster_results(X, res, tstep=0.01, tmin=-0.02)
    assert len(table) == len(res[1]) and any(r['significant'] for r in table.rows)
    for row, (t, v) in zip(table.rows, res[1]):
        c = X[:, t, v].mean(axis=1)  # each subject's mean over the cluster's points
        n = len(c)
        sd = c.std(ddof=1)
        assert row['n_points'] == len(t) and row['n_vertices'] == len(np.unique(v))
        assert_allclose(row['mean'], c.mean(), rtol=1e-12)
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
        assert_allclose([row['mean_ci_low'], row['mean_ci_high']],
                        [c.mean() - half, c.mean() + half], rtol=1e-9)
        d = c.mean() / sd
        assert_allclose(row['cohens_d'], d, rtol=1e-12)
        dhalf = 1.959963984540054 * np.sqrt(1 / n + d * d / (2 * n))
        assert_allclose([row['cohens_d_ci_low'], row['cohens_d_ci_high']],
                        [d - dhalf, d + dhalf], rtol=1e-9)
        assert_allclose(row['effect_stat'], stats.ttest_1samp(c, 0).statistic, rtol=1e-10)
        assert row['statistic'] == np.sum(res[0][t, v])
        assert_allclose(row['time_first_ms'], 1e3 * (-0.02 + 0.01 * t.min()))
        assert_allclose(row['time_last_ms'], 1e3 * (-0.02 + 0.01 * t.max()))
        k = np.argmax(np.abs(res[0][t, v]))
        assert row['peak_vertex'] == v[k] and row['peak_stat'] == res[0][t[k], v[k]]


def test_groups_effects_by_hand():
    rng = np.random.RandomState(1)
    a, b, c3 = rng.randn(9, 30), rng.randn(11, 30), rng.randn(8, 30)
    a[:, 5:12] += 1.5
    res = cp.permutation_cluster_test([a, b], stat_fun=mne.stats.ttest_ind_no_p, threshold=2.0,
                                      seed=0, n_permutations=100, out_type='mask')
    table = cp.cluster_results([a, b], res)
    assert len(table) >= 1
    for row, c in zip(table.rows, res[1]):
        m = cp._results._flat(c, res[0].shape)  # a 1-D cluster is MNE's (slice,)
        ca, cb = a[:, m].mean(1), b[:, m].mean(1)
        t = stats.ttest_ind(ca, cb)
        pooled = np.sqrt(((len(ca) - 1) * ca.var(ddof=1) + (len(cb) - 1) * cb.var(ddof=1))
                         / (len(ca) + len(cb) - 2))
        assert_allclose(row['mean'], ca.mean() - cb.mean(), rtol=1e-12)
        assert_allclose(row['cohens_d'], (ca.mean() - cb.mean()) / pooled, rtol=1e-12)
        assert_allclose(row['effect_stat'], t.statistic, rtol=1e-10)
    res = cp.permutation_cluster_test([a, b, c3], threshold=3.0, seed=0, n_permutations=100)
    table = cp.cluster_results([a, b, c3], res)
    for row, idx in zip(table.rows, res[1]):
        cs = [g[:, idx[0]].mean(1) for g in (a, b, c3)]
        F = stats.f_oneway(*cs).statistic
        allc = np.concatenate(cs)
        ssb = sum(len(x) * (x.mean() - allc.mean()) ** 2 for x in cs)
        ssw = sum(((x - x.mean()) ** 2).sum() for x in cs)
        assert_allclose(row['effect_stat'], F, rtol=1e-10)
        assert_allclose(row['partial_eta2'], ssb / (ssb + ssw), rtol=1e-10)
        assert np.isnan(row['cohens_d'])


def test_rm_eta2():
    rng = np.random.RandomState(2)
    cells = [rng.randn(10, 25) + (1.2 if c == 3 else 0) for c in range(4)]
    thr = mne.stats.f_threshold_mway_rm(10, [2, 2], 'A:B')

    def stat_fun(*args):
        return mne.stats.f_mway_rm(np.swapaxes(args, 1, 0), [2, 2], 'A:B',
                                   return_pvals=False)[0]

    res = cp.permutation_cluster_test(cells, threshold=thr, stat_fun=stat_fun, seed=0,
                                      n_permutations=50, tail=1, out_type='mask')
    table = cp.cluster_results(cells, res, design='rm', factor_levels=[2, 2], effects='A:B')
    assert len(table) >= 1
    for row, cl in zip(table.rows, res[1]):
        m = cp._results._flat(cl, res[0].shape)
        c = np.stack([x[:, m].mean(1) for x in cells], axis=1)[:, :, None]
        F = mne.stats.f_mway_rm(c, [2, 2], 'A:B', return_pvals=False)[0]
        assert_allclose(row['effect_stat'], F, rtol=1e-12)
        assert_allclose(row['partial_eta2'], F * 1 / (F * 1 + 9), rtol=1e-12)


def test_regions_match_mne_labels():
    X, res = onesample()
    rng = np.random.RandomState(3)
    vertices = [np.sort(rng.choice(100, 20, replace=False)),
                np.sort(rng.choice(100, 20, replace=False))]
    labels = [mne.Label(np.arange(0, 50), hemi='lh', name='front-lh'),
              mne.Label(np.arange(50, 100), hemi='lh', name='back-lh'),
              mne.Label(np.arange(0, 100), hemi='rh', name='all-rh')]
    table = cp.cluster_results(X, res, vertices=vertices, labels=labels)
    flat_hemi = np.r_[np.zeros(20, int), np.ones(20, int)]
    flat_vert = np.r_[vertices[0], vertices[1]]
    for row, (t, v) in zip(table.rows, res[1]):
        want = []
        for lab in labels:
            h = 0 if lab.hemi == 'lh' else 1
            n = sum(1 for s in np.unique(v) if flat_hemi[s] == h and flat_vert[s] in lab.vertices)
            if n:
                want.append((n, lab.name))
        want.sort(key=lambda x: (-x[0], x[1]))
        assert row['regions'] == ';'.join('%s:%d' % (name, n) for n, name in want)
        k = np.argmax(np.abs(res[0][t, v]))
        assert row['peak_vertex'] == flat_vert[v[k]]
        assert row['peak_hemi'] == ('lh', 'rh')[flat_hemi[v[k]]]


def test_tsv_reads_back_in_pandas(tmp_path):
    pytest.importorskip('pandas')
    X, res = onesample()
    table = cp.cluster_results(X, res)
    path = str(tmp_path / 'clusters.tsv')
    table.to_tsv(path)
    df = cp.read_clusters_tsv(path)
    assert list(df.columns) == list(cp._results.COLUMNS)
    assert len(df) == len(table)
    assert_allclose(df['p'].values, [r['p'] for r in table.rows])
    assert_allclose(df['cohens_d'].values, [r['cohens_d'] for r in table.rows], rtol=1e-15)
    assert df['partial_eta2'].isna().all()
    assert list(df['significant']) == [r['significant'] for r in table.rows]
    assert table.to_dataframe().shape == df.shape
