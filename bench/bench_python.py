#!/usr/bin/env python3
"""bench_python.py - the Python package against MNE 1.3 on a seed-shaped call, in one run on
this machine: spatio_temporal_cluster_1samp_test on 16 subjects x ico-4 (2 x 2562 vertices)
x 20 times, p = 0.001, stat_fun = partial(ttest_1samp_no_p, sigma=1e-3), 1024 permutations,
seed 0, n_jobs 2. Prints both times (the best of --repeat runs for clusterperm; MNE once, it is
slow), their ratio, and whether the results are identical (T_obs, clusters, p-values, every
H0 value) under compat='mne1.3'; then the default (true components) and the same call
through patch_mne(). Exits 1 if a result differs.

Usage: PYTHONPATH=python /usr/bin/python3 bench/bench_python.py [--repeat 3] [--jobs 2]
"""
import argparse
import os
import sys
import time
from functools import partial

import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import mne  # noqa: E402
import clusterperm  # noqa: E402


def study(n=16, grade=4, n_times=20):
    tris = mne.surface._get_ico_surface(grade)['tris']
    nv = tris.max() + 1
    adj = mne.spatial_tris_adjacency(np.vstack([tris, tris + nv]))
    A = adj.tocsr()
    deg = np.asarray(A.sum(1)).ravel()
    rng = np.random.RandomState(0)
    X = np.empty((n, n_times, A.shape[0]))
    for i in range(n):
        x = rng.randn(n_times, A.shape[0])
        for _ in range(3):
            x = (A @ x.T).T / deg
        x[1:] += 0.5 * x[:-1]
        X[i] = x
    X /= X.std()
    X[:, n_times // 4: n_times // 2, : A.shape[0] // 40] += 2.0
    return X, adj


def same(a, b, ordered=True):
    if not (np.array_equal(a[0], b[0]) and np.array_equal(a[2], b[2]) and
            np.array_equal(a[3], b[3]) and len(a[1]) == len(b[1])):
        return False
    for x, y in zip(a[1], b[1]):
        fx = np.ravel_multi_index(x, a[0].shape)
        fy = np.ravel_multi_index(y, b[0].shape)
        if not np.array_equal(fx if ordered else np.sort(fx), fy if ordered else np.sort(fy)):
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--jobs', type=int, default=2)
    args = ap.parse_args()
    mne.set_log_level('ERROR')
    X, adj = study()
    thr = -stats.distributions.t.ppf(0.001 / 2., len(X) - 1)
    kw = dict(threshold=thr, stat_fun=partial(mne.stats.ttest_1samp_no_p, sigma=1e-3),
              n_jobs=args.jobs, seed=0, buffer_size=None, n_permutations=1024)
    print('Python drop-in: spatio_temporal_cluster_1samp_test, %d subjects x %d vertices x %d '
          'times, p=0.001, sigma 1e-3, 1024 permutations, n_jobs=%d'
          % (X.shape[0], X.shape[2], X.shape[1], args.jobs))
    t0 = time.perf_counter()
    ref = mne.stats.spatio_temporal_cluster_1samp_test(X, adjacency=adj, **kw)
    t_mne = time.perf_counter() - t0
    best = float('inf')
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ours = clusterperm.spatio_temporal_cluster_1samp_test(X, adjacency=adj, compat='mne1.3',
                                                              **kw)
        best = min(best, time.perf_counter() - t0)
    ok13 = same(ours, ref)
    print('  MNE 1.3:                    %8.3f s' % t_mne)
    print('  clusterperm compat=mne1.3:  %8.3f s  (best of %d)  %6.0fx  identical: %s'
          % (best, args.repeat, t_mne / best, 'yes' if ok13 else 'NO'))
    # the default: true connected components (MNE's global path on the whole (time x
    # space) graph gives the same clusters, at 25x MNE's time here: tests/py checks it)
    best_d = float('inf')
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        clusterperm.spatio_temporal_cluster_1samp_test(X, adjacency=adj, **kw)
        best_d = min(best_d, time.perf_counter() - t0)
    print('  clusterperm default:        %8.3f s  (best of %d)  %6.0fx  (true components)'
          % (best_d, args.repeat, t_mne / best_d))
    # an existing script's call, patched
    clusterperm.patch_mne(compat='mne1.3')
    try:
        t0 = time.perf_counter()
        patched = mne.stats.spatio_temporal_cluster_1samp_test(X, adjacency=adj, **kw)
        t_p = time.perf_counter() - t0
    finally:
        clusterperm.unpatch_mne()
    okp = same(patched, ref)
    print('  patch_mne(), same call:     %8.3f s            %6.0fx  identical: %s'
          % (t_p, t_mne / t_p, 'yes' if okp else 'NO'))
    print('  clusters: %d, significant: %d' % (len(ref[1]), int(np.sum(ref[2] < 0.05))))
    return 0 if ok13 and okp else 1


if __name__ == '__main__':
    sys.exit(main())
