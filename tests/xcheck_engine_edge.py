"""xcheck_engine_edge.py - edge cases of the permutation-test engine against MNE 1.3, with
the helpers and comparisons of xcheck_engine.py: a single time point (MNE then takes its
global path even when given the spatial adjacency, so compat mode must too), subject counts
around the engine's 8-subject groups and far above 20, max_step >= n_times, t_power 0.5,
step-down over several passes with tail -1, the largest seed, every vertex excluded.
Prints "ok NAME" / "FAIL NAME: why"; exits 1 on failure.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import xcheck_engine as xe  # noqa: E402

xe.PREFIX = 'engine_edge'
report = xe.report


def main():
    if not os.access(xe.TOOL, os.X_OK):
        report('tool_present', False, '%s not built' % xe.TOOL)
        return 1
    tmp = tempfile.mkdtemp(prefix='xcheck_engine_edge_')
    try:
        nv, edges = xe.random_graph(30, 0.08, 3)
        A = xe.graph_from_edges(nv, edges)
        nvi, ei = xe.ico_graph(2)
        Ai = xe.graph_from_edges(nvi, ei)

        def data(seed, ns, nt, nv_, A_, blobs):
            return xe.smooth_data(np.random.RandomState(seed), ns, nt, nv_, A_, blobs)

        pos_neg = [(1.2, 0, 1, 0, 1), (-1.2, 12, 1, 0, 1)]
        # n_times = 1 on an ico-2 mesh: large clusters, whose element order (ascending on
        # MNE's global path) decides the bits of their sums
        X = data(30, 12, 1, nvi, Ai, [(1.0, 0, 3, 0, 1), (-1.0, 100, 3, 0, 1)])
        xe.check_case(tmp, 'one_time', X, nvi, ei,
                      dict(threshold=1.5, tail=0, n_permutations=100, seed=0), jobs2=True)
        # the smallest such case: path 0-2-1, one time, all active. MNE (global path)
        # gives [0, 1, 2]; a spatial BFS from 0 would give [0, 2, 1]
        X = np.array([[3., 4, 5], [1, 2, 3], [2, 3, 4.5], [2.5, 3.5, 4]]).reshape(4, 1, 3)
        xe.check_case(tmp, 'one_time_min', X, 3, np.array([[0, 2], [1, 2]]),
                      dict(threshold=1.0, tail=1, n_permutations=16, seed=0), min_clusters=0)
        # subject counts around the 8-subject groups, and far above 20
        for ns, nperm, tail in ((8, 200, 1), (9, 200, 0), (17, 150, -1), (65, 60, 0)):
            blobs = [(1.0, 0, 1, 1, 3), (-1.0, 12, 1, 1, 3)] if tail == 0 else \
                [(tail * 1.5, 0, 1, 0, 2), (tail * 1.5, 20, 1, 2, 4)]
            X = data(40 + ns, ns, 4, nv, A, blobs)
            xe.check_case(tmp, 'ns%d_t%d' % (ns, tail), X, nv, edges,
                          dict(threshold=tail * 1.8 if tail else 1.8, tail=tail,
                               n_permutations=nperm, seed=ns), jobs2=(ns == 65))
        # max_step 3 and max_step >= n_times
        X = data(50, 14, 5, nv, A, [(1.0, 0, 1, 0, 1), (1.0, 0, 1, 3, 4), (-1.0, 12, 1, 1, 5)])
        for ms in (3, 7):
            xe.check_case(tmp, 'max_step%d' % ms, X, nv, edges,
                          dict(threshold=1.8, tail=0, n_permutations=80, seed=3, max_step=ms))
        # t_power 0.5 (numpy's sqrt fast path)
        X = data(51, 14, 4, nv, A, [(1.0, 0, 1, 1, 3), (-1.0, 12, 1, 1, 3)])
        xe.check_case(tmp, 'tpow_half', X, nv, edges,
                      dict(threshold=1.8, tail=0, n_permutations=80, seed=0, t_power=0.5))
        # step-down over several passes (>= 3, asserted), tail -1
        X = data(86, 12, 5, nv, A, [(-2.5, 0, 2, 0, 5), (-1.0, 12, 1, 1, 4), (-0.9, 20, 1, 2, 4)])
        c = dict(threshold=-1.9, tail=-1, n_permutations=100, seed=0, step_down_p=0.3)
        refs = xe.check_case(tmp, 'stepdown_tm1', X, nv, edges, c, jobs2=True)
        report('stepdown_tm1.passes', refs['none'][4] is not None and refs['none'][4] >= 3,
               'MNE ran %s step-down passes' % refs['none'][4])
        # the largest seed
        X = data(53, 12, 4, nv, A, pos_neg)
        xe.check_case(tmp, 'seed_max', X, nv, edges,
                      dict(threshold=1.8, tail=0, n_permutations=100, seed=2 ** 32 - 1))
        # every vertex excluded: no cluster anywhere, MNE returns empty results
        xe.check_case(tmp, 'exclude_all', X, nv, edges,
                      dict(threshold=1.8, tail=0, n_permutations=10, seed=0,
                           exclude=np.ones(nv, bool)), min_clusters=0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if xe.FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
