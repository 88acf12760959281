"""xcheck_groups.py - cross-checks the label-permutation kernel (independent groups, one-way
F, cluster mass; driven by build/tests/tool_engine with groups=...) against MNE 1.3's
permutation_cluster_test with its default stat_fun (f_oneway).

Per case, default mode against MNE's global path (full spatio-temporal adjacency) and compat
mne1.3 against its list path: F_obs and every H0 value bit for bit, clusters (as sets and in
MNE's element order), p-values exactly, the label orders exactly
([RandomState(seed).permutation(N) for _ in range(n_permutations - 1)]), and byte-identical
outputs for n_jobs 1 and 2. Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xcheck_engine as xe  # noqa: E402
import numpy as np  # noqa: E402
from functools import partial  # noqa: E402
from mne.stats import permutation_cluster_test, ttest_ind_no_p  # noqa: E402

xe.PREFIX = 'groups'
report = xe.report


def run_mne(groups, c, adjacency):
    stat_fun = None
    if c.get('statistic') == 't_ind':
        stat_fun = partial(ttest_ind_no_p, equal_var=bool(c.get('equal_var', 1)),
                           sigma=c.get('sigma', 0.0))
    excl = c.get('exclude')
    F, cl, pv, H0 = permutation_cluster_test(
        groups, threshold=c['threshold'], n_permutations=c['n_permutations'], tail=c['tail'],
        stat_fun=stat_fun,
        exclude=None if excl is None else np.tile(excl, groups[0].shape[1]),
        adjacency=adjacency, n_jobs=1, seed=c['seed'], max_step=c.get('max_step', 1),
        t_power=c.get('t_power', 1), step_down_p=c.get('step_down_p', 0.0),
        out_type='indices', buffer_size=None, verbose=False)
    nv = groups[0].shape[2]
    flat = [np.asarray(t, np.int64) * nv + np.asarray(v, np.int64) for t, v in cl]
    return np.asarray(F, float), flat, np.asarray(pv, float), np.asarray(H0, float)


def read_orders(d, n):
    return np.fromfile(os.path.join(d, 'out_orders.u32'), dtype=np.uint32).reshape(-1, n)


def check(tmp, name, groups, nv, edges, c, min_clusters=2):
    c = dict(c)
    c.setdefault('tail', 1)
    X = np.concatenate(groups, axis=0)
    n, nt, _ = X.shape
    sizes = ','.join(str(len(g)) for g in groups)
    A = xe.graph_from_edges(nv, edges)
    rng = np.random.RandomState(c['seed'])
    want_orders = np.array([rng.permutation(n) for _ in range(c['n_permutations'] - 1)],
                           dtype=np.uint32).reshape(-1, n)
    for mode, adj in (('none', xe.global_adjacency(nt, A, c.get('max_step', 1))),
                      ('mne1.3', A)):
        tag = '%s.%s' % (name, 'default' if mode == 'none' else 'compat')
        F, flat, pv, H0 = run_mne(groups, c, adj)
        report(tag + '.nontrivial', len(flat) >= min_clusters and np.count_nonzero(H0[1:]) > 0,
               '%d clusters, %d nonzero H0 entries' % (len(flat), np.count_nonzero(H0[1:])))
        outs = []
        for jobs in (1, 2):
            d = os.path.join(tmp, '%s_j%d' % (tag, jobs))
            xe.write_case(d, X, nv, edges, c, mode, jobs)
            with open(os.path.join(d, 'params.txt'), 'a') as f:
                f.write('groups=%s\n' % sizes)
                if 'statistic' in c:
                    f.write('statistic=%s\nequal_var=%d\n' % (c['statistic'],
                                                               c.get('equal_var', 1)))
            rc, err = xe.run_tool(d)
            if not report('%s.run_j%d' % (tag, jobs), rc == 0, 'exit %d: %s' % (rc, err)):
                break
            outs.append(d)
        if len(outs) < 2:
            continue
        d = outs[0]
        got = {k: np.fromfile(os.path.join(d, 'out_%s.f64' % k)) for k in ('tobs', 'h0', 'pvals')}
        with open(os.path.join(d, 'out_clusters.txt')) as f:
            gcl = [np.array(s.split(), dtype=np.int64) for s in f.read().splitlines()]
        report(tag + '.fobs_bits', np.array_equal(got['tobs'], F.ravel()),
               'rel diff %.3g' % np.max(np.abs(got['tobs'] - F.ravel()) /
                                        np.maximum(np.abs(F.ravel()), 1e-300)))
        report(tag + '.clusters', len(gcl) == len(flat) and
               all(np.array_equal(a, b) for a, b in zip(gcl, flat)),
               'got %d clusters, MNE %d' % (len(gcl), len(flat)))
        report(tag + '.h0_bits', np.array_equal(got['h0'], H0),
               'got %s want %s' % (got['h0'][:4].tolist(), H0[:4].tolist()))
        report(tag + '.pvals', np.array_equal(got['pvals'], pv),
               'got %s want %s' % (got['pvals'][:6].tolist(), pv[:6].tolist()))
        report(tag + '.orders', np.array_equal(read_orders(d, n), want_orders), 'differ')
        diff = [f for f in ('out_tobs.f64', 'out_h0.f64', 'out_pvals.f64', 'out_stats.f64',
                            'out_clusters.txt', 'out_orders.u32')
                if open(os.path.join(d, f), 'rb').read() !=
                open(os.path.join(outs[1], f), 'rb').read()]
        report(tag + '.njobs_identical', not diff, 'files differ: %s' % diff)


def main():
    rng = np.random.RandomState(7)
    with tempfile.TemporaryDirectory() as tmp:
        # two groups of unequal size on a chain of 30 vertices x 6 times, an effect in one
        nv, nt = 30, 6
        edges = np.array([(v, v + 1) for v in range(nv - 1)])
        A = xe.graph_from_edges(nv, edges)
        g1 = xe.smooth_data(rng, 7, nt, nv, A, [])
        g2 = xe.smooth_data(rng, 9, nt, nv, A, [(1.5, 5, 1, 1, 4), (1.2, 20, 2, 2, 5)])
        check(tmp, 'two_groups', [g1, g2], nv, edges,
              dict(threshold=3.0, n_permutations=200, seed=3))
        # MNE's default tail (0) with the F test
        check(tmp, 'two_groups_tail0', [g1, g2], nv, edges,
              dict(threshold=3.0, n_permutations=200, seed=4, tail=0))
        # three groups, a random graph, step-down and t_power 2
        nv, nt = 40, 5
        _, edges = xe.random_graph(nv, 0.08, 11)
        A = xe.graph_from_edges(nv, edges)
        gs = [xe.smooth_data(rng, k, nt, nv, A, bl) for k, bl in
              ((6, []), (5, [(1.8, 3, 1, 1, 3)]), (8, [(-1.5, 25, 1, 0, 4)]))]
        check(tmp, 'three_groups', gs, nv, edges,
              dict(threshold=2.5, n_permutations=300, seed=0, step_down_p=0.05, t_power=2))
        # two-sample t (ttest_ind_no_p) on the chain: both tails, one tail each way, Welch,
        # the hat adjustment, cluster size (t_power 0), max_step 2 and an exclusion
        nv, nt = 30, 6
        edges = np.array([(v, v + 1) for v in range(nv - 1)])
        A = xe.graph_from_edges(nv, edges)
        a = xe.smooth_data(rng, 8, nt, nv, A, [(1.4, 6, 1, 1, 4), (-1.4, 22, 2, 2, 5)])
        b = xe.smooth_data(rng, 10, nt, nv, A, [])
        excl = np.zeros(nv, bool)
        excl[[0, 14]] = True
        for name, c in (('t_tail0', dict(tail=0, threshold=2.1)),
                        ('t_tail1_welch', dict(tail=1, threshold=1.8, equal_var=0)),
                        ('t_tailm1_sigma', dict(tail=-1, threshold=-1.8, sigma=1e-2)),
                        ('t_size_maxstep2', dict(tail=0, threshold=2.0, t_power=0, max_step=2,
                                                 step_down_p=0.05)),
                        ('t_exclude', dict(tail=0, threshold=2.0, exclude=excl))):
            c.update(statistic='t_ind', n_permutations=250, seed=5)
            check(tmp, name, [a, b], nv, edges, c, min_clusters=1)
    print('%d failed' % xe.FAILED[0] if xe.FAILED[0] else 'all ok')
    return 1 if xe.FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
