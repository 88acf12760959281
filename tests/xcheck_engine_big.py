"""xcheck_engine_big.py - the engine on runs with thousands of sign-flip orders (several of
the engine's order chunks), checked against MNE 1.3 without paying for a full MNE run:
every order against _get_1samp_orders, T_obs and the observed clusters against
_find_clusters, a sample of H0 entries (start, around every multiple of 1024, end, and
random ones) against MNE's own _do_1samp_permutations on exactly those orders, p-values
against MNE's _pval_from_histogram over our H0, and byte-identical outputs for n_jobs 1, 2
and 3. Prints "ok NAME" / "FAIL NAME: why"; exits 1 on failure.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import xcheck_engine as xe  # noqa: E402
from mne.stats import ttest_1samp_no_p  # noqa: E402
from mne.stats.cluster_level import (_do_1samp_permutations,  # noqa: E402
                                     _find_clusters, _pval_from_histogram,
                                     _setup_adjacency)

xe.PREFIX = 'engine_big'
report = xe.report


class _NoProgress:
    def update(self, *args):
        pass


def sampled_indices(n_orders, rng):
    idx = set(range(min(60, n_orders)))
    idx |= set(range(max(0, n_orders - 60), n_orders))
    for b in range(1024, n_orders, 1024):
        idx |= set(range(b - 20, min(n_orders, b + 20)))
    idx |= set(rng.choice(n_orders, min(100, n_orders), replace=False).tolist())
    return np.array(sorted(idx))


def check_big(tmp, name, X, nv, edges, c, compat):
    ns, nt, _ = X.shape
    tag = '%s.%s' % (name, 'default' if compat == 'none' else 'compat')
    A = xe.graph_from_edges(nv, edges)
    ms = c.get('max_step', 1)
    adjacency = xe.global_adjacency(nt, A, ms) if compat == 'none' else A
    adj = _setup_adjacency(adjacency, nt * nv, nt)
    include = None
    if c.get('exclude') is not None:
        include = ~np.tile(np.asarray(c['exclude'], bool), nt)
    tp = c.get('t_power', 1)

    dirs = []
    for jobs in (1, 2, 3):
        d = os.path.join(tmp, '%s_j%d' % (tag, jobs))
        xe.write_case(d, X, nv, edges, c, compat, jobs)
        rc, err = xe.run_tool(d)
        if not report('%s.run_njobs%d' % (tag, jobs), rc == 0, 'exit %d: %s' % (rc, err)):
            return
        dirs.append(d)
    diff = [(d, f) for d in dirs[1:] for f in xe.OUT_FILES
            if open(os.path.join(dirs[0], f), 'rb').read() != open(os.path.join(d, f), 'rb').read()]
    report(tag + '.njobs_identical', not diff, 'differ: %s' % diff[:3])
    got = xe.read_tool(dirs[0], ns)

    orders, exact = xe.expected_orders(ns, c['n_permutations'], c['tail'], c['seed'])
    report(tag + '.orders', got['orders'].shape == orders.shape and
           np.array_equal(got['orders'], orders),
           'shape %s vs %s' % (got['orders'].shape, orders.shape))
    report(tag + '.chunks', len(orders) > 2048, 'only %d orders' % len(orders))

    X2 = np.ascontiguousarray(X.reshape(ns, -1))
    t_obs = ttest_1samp_no_p(X2)
    ok, why = xe.rel_close(got['tobs'], t_obs)
    report(tag + '.tobs', ok, why)
    clusters, sums = _find_clusters(t_obs, c['threshold'], c['tail'], adj, max_step=ms,
                                    include=include, partitions=None, t_power=tp)
    report(tag + '.nontrivial', len(clusters) >= 2, '%d clusters' % len(clusters))
    gcl = got['clusters']
    same = len(gcl) == len(clusters) and all(
        np.array_equal(g, np.asarray(m, np.int64)) for g, m in zip(gcl, clusters))
    report(tag + '.clusters', same, 'got %d clusters, MNE %d (or members/order differ)' % (
        len(gcl), len(clusters)))
    ok, why = xe.rel_close(got['stats'], sums)
    report(tag + '.stats', ok, why)

    H0 = got['h0']
    if not report(tag + '.h0_len', len(H0) == len(orders) + 1,
                  'len %d, want %d' % (len(H0), len(orders) + 1)):
        return
    orig = {-1: np.min, 1: np.max}.get(c['tail'], lambda s: np.max(np.abs(s)))(sums)
    report(tag + '.h0_orig', H0[0] == orig, 'H0[0] %r, want %r' % (H0[0], orig))
    idx = sampled_indices(len(orders), np.random.RandomState(1))
    want = _do_1samp_permutations(X2.copy(), None, c['threshold'], c['tail'], adj,
                                  ttest_1samp_no_p, ms, include, None, tp,
                                  [orders[i].astype(int) for i in idx], (nt, nv), None,
                                  _NoProgress())
    ok, why = xe.rel_close(H0[1 + idx], want)
    report(tag + '.h0_sampled', ok, '%s (%d sampled entries)' % (why, len(idx)))
    pv = _pval_from_histogram(sums, H0, c['tail'])
    report(tag + '.pvals', np.array_equal(got['pvals'], pv),
           'got %s want %s' % (got['pvals'][:6].tolist(), pv[:6].tolist()))


def main():
    if not os.access(xe.TOOL, os.X_OK):
        report('tool_present', False, '%s not built' % xe.TOOL)
        return 1
    tmp = tempfile.mkdtemp(prefix='xcheck_engine_big_')
    try:
        nv, edges = xe.random_graph(30, 0.08, 3)
        A = xe.graph_from_edges(nv, edges)
        X = xe.smooth_data(np.random.RandomState(20), 16, 5, nv, A,
                           [(1.2, 0, 1, 1, 3), (-1.2, 12, 1, 2, 4)])
        c = dict(threshold=1.8, tail=0, n_permutations=3000, seed=1)
        check_big(tmp, 'rand_t0_3000', X, nv, edges, c, 'none')
        check_big(tmp, 'rand_t0_3000', X, nv, edges, c, 'mne1.3')
        # n > 20 branch with a one-sided test and an excluded vertex
        X = xe.smooth_data(np.random.RandomState(21), 22, 4, nv, A,
                           [(1.2, 0, 1, 1, 3), (1.2, 12, 1, 2, 4)])
        excl = np.zeros(nv, bool)
        excl[[2, 17]] = True
        c = dict(threshold=1.8, tail=1, n_permutations=2600, seed=42, exclude=excl)
        check_big(tmp, 'n22_t1_2600', X, nv, edges, c, 'mne1.3')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if xe.FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
