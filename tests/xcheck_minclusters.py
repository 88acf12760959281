"""xcheck_minclusters.py - cross-checks the cluster-forming controls beyond MNE
(min_neighbors, min_duration, min_extent; src/engine/clusters.c, driven by
build/tests/tool_engine) against MNE 1.3 with the documented rules added to its clustering.

The reference is MNE 1.3's own spatio_temporal_cluster_1samp_test / permutation_cluster_test
(its orders, statistics, H0 maxima, p-values and step-down), with its one clustering routine,
mne.stats.cluster_level._find_clusters, wrapped for the duration of a case by the rules
written here in numpy, independently of the C code:
  - min_neighbors k (FieldTrip's minnbchan, private/findcluster.m, done its way): per sign
    (MNE's x > thr / x < -thr masks, include applied) and per time point, the number of
    supra-threshold spatial neighbours is counted as mask @ adjacency, every point below k
    removed at once, and that repeated until nothing is removed; the removed points leave
    MNE's include mask;
  - min_duration d and min_extent e (Eelbrain's mintime / minsource, _stats/testnd.py
    _label_clusters_binary): of MNE's clusters, those with fewer than d distinct time points
    (np.unique(c // n_vertices)) or fewer than e distinct vertices are dropped, sums with them.
Both apply to the observed map and to every permutation, as MNE calls the same routine for
both. Per case, default mode against MNE's global path and compat mne1.3 against its list
path: T_obs, clusters (sets and element order), cluster stats, every H0 value, p-values,
orders and plan info (tests/xcheck_engine.py's comparison), byte-identical outputs for
n_jobs 1 and 2 where marked, and a check that the rules changed MNE's result (so that no case
passes by doing nothing). Data: smooth random data with effects on an ico-3 source space (642
vertices; an irregular random graph for the groups cases). Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any
failure.
"""
import contextlib
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xcheck_engine as xe  # noqa: E402
import xcheck_groups as xg  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import mne.stats.cluster_level as cl  # noqa: E402

xe.PREFIX = 'minclusters'  # after importing xcheck_groups, which sets its own
report = xe.report
ORIG_FIND_CLUSTERS = cl._find_clusters
ORIG_WRITE_CASE = xe.write_case
EXTRA_PARAMS = ['']  # params.txt lines of the controls of the case being written


def write_case(d, *args, **kw):
    """tests/xcheck_engine.py's case writer plus the controls of the current case."""
    ORIG_WRITE_CASE(d, *args, **kw)
    with open(os.path.join(d, 'params.txt'), 'a') as f:
        f.write(EXTRA_PARAMS[0])


xe.write_case = write_case  # xe.check_case and xg.check call it through the module


def fieldtrip_minnbchan(mask, A, k):
    """findcluster.m's loop on a (n_times, n_vertices) mask of one sign: count the
    supra-threshold neighbours (A has no diagonal), remove what is below k, repeat."""
    onoff = mask.copy()
    while True:
        nsigneighb = np.asarray(A.T @ onoff.T.astype(np.int64)).T
        remove = onoff & (nsigneighb < k)
        if not remove.any():
            return onoff
        onoff &= ~remove


def make_find_clusters(nv, A, k, dur, ext):
    """MNE's _find_clusters with the documented rules around it."""
    def find_clusters(x, threshold, tail=0, adjacency=None, max_step=1, include=None,
                      partitions=None, t_power=1, show_info=False):
        assert np.isscalar(threshold), 'TFCE is refused with these options'
        x = np.asanyarray(x)
        inc = np.ones(x.shape, bool) if include is None else np.asarray(include, bool)
        if k:
            if tail == 0:
                masks = [(x > threshold) & inc, (x < -threshold) & inc]
            elif tail == -1:
                masks = [(x < threshold) & inc]
            else:
                masks = [(x > threshold) & inc]
            supra = np.zeros(x.shape, bool)
            keep = np.zeros(x.shape, bool)
            for m in masks:
                supra |= m
                keep |= fieldtrip_minnbchan(m.reshape(-1, nv), A, k).ravel()
            inc = inc & ~(supra & ~keep)
        clusters, sums = ORIG_FIND_CLUSTERS(x, threshold, tail, adjacency, max_step, inc,
                                            partitions, t_power, show_info)
        if (dur > 1 or ext > 1) and len(clusters):
            kept = np.array([np.unique(np.asarray(c) // nv).size >= dur and
                             np.unique(np.asarray(c) % nv).size >= ext for c in clusters],
                            bool)
            clusters = [c for c, kk in zip(clusters, kept) if kk]
            sums = np.asarray(sums)[kept]
        return clusters, sums
    return find_clusters


@contextlib.contextmanager
def rules(nv, edges, k=0, dur=0, ext=0):
    """MNE clusters with the rules (and the tool gets the same options) inside the block."""
    A = sp.csr_matrix(xe.graph_from_edges(nv, edges)).astype(np.int64)
    cl._find_clusters = make_find_clusters(nv, A, k, dur, ext)
    EXTRA_PARAMS[0] = 'min_neighbors=%d\nmin_duration=%d\nmin_extent=%d\n' % (k, dur, ext)
    try:
        yield
    finally:
        cl._find_clusters = ORIG_FIND_CLUSTERS
        EXTRA_PARAMS[0] = ''


def differs(a, b):
    """Whether two MNE results (T, flat clusters, pv, H0, ...) differ in clusters or H0."""
    return (len(a[1]) != len(b[1]) or len(a[3]) != len(b[3]) or
            not np.array_equal(a[3], b[3]) or
            any(not np.array_equal(x, y) for x, y in zip(a[1], b[1])))


def onesample_case(tmp, name, X, nv, edges, c, k=0, dur=0, ext=0, jobs2=False,
                   min_clusters=2):
    A = xe.graph_from_edges(nv, edges)
    adj = xe.global_adjacency(X.shape[1], A, c.get('max_step', 1))
    plain = xe.run_mne(X, c, adj, c.get('max_step', 1))
    with rules(nv, edges, k, dur, ext):
        refs = xe.check_case(tmp, name, X, nv, edges, c, jobs2=jobs2,
                             min_clusters=min_clusters)
    report(name + '.rules_matter', differs(plain, refs['none']),
           'MNE gives the same clusters and H0 without the rules: the case tests nothing')


def groups_case(tmp, name, groups, nv, edges, c, k=0, dur=0, ext=0, min_clusters=1):
    c = dict(c)
    c.setdefault('tail', 1)
    A = xe.graph_from_edges(nv, edges)
    adj = xe.global_adjacency(groups[0].shape[1], A, c.get('max_step', 1))
    plain = xg.run_mne(groups, c, adj)
    with rules(nv, edges, k, dur, ext):
        ruled = xg.run_mne(groups, c, adj)
        xg.check(tmp, name, groups, nv, edges, c, min_clusters=min_clusters)
    report(name + '.rules_matter', differs(plain, ruled),
           'MNE gives the same clusters and H0 without the rules: the case tests nothing')


def main():
    nv, edges = xe.ico_graph(3)
    A = xe.graph_from_edges(nv, edges)
    rng = np.random.RandomState(13)

    def data(ns, nt, blobs):
        return xe.smooth_data(rng, ns, nt, nv, A, blobs)

    pos_neg = [(1.0, 0, 2, 1, 4), (-1.0, 300, 3, 2, 5), (0.8, 500, 1, 0, 2)]
    two_pos = [(1.0, 0, 2, 1, 4), (0.9, 300, 3, 2, 5)]
    two_neg = [(-1.0, 0, 2, 1, 4), (-0.9, 300, 3, 2, 5)]
    with tempfile.TemporaryDirectory() as tmp:
        base = dict(n_permutations=100)
        # min_neighbors: every tail, k from 1 to 3 (ico-3 vertices have 5 or 6 neighbours, a
        # patch's rim 3 or 4 inside it: k = 4 leaves no patch of a triangulated surface)
        onesample_case(tmp, 'k1_t0', data(12, 5, pos_neg), nv, edges,
                       dict(base, threshold=2.0, tail=0, seed=0), k=1, jobs2=True)
        onesample_case(tmp, 'k2_t1', data(12, 5, two_pos), nv, edges,
                       dict(base, threshold=1.8, tail=1, seed=1), k=2)
        onesample_case(tmp, 'k3_tm1', data(12, 5, two_neg), nv, edges,
                       dict(base, threshold=-1.8, tail=-1, seed=2), k=3, min_clusters=1)
        big = [(1.5, 0, 3, 1, 4), (-1.5, 300, 3, 1, 4)]
        onesample_case(tmp, 'k3_t0_big', data(14, 5, big), nv, edges,
                       dict(base, threshold=1.6, tail=0, seed=3), k=3, min_clusters=2)
        # min_duration and min_extent alone
        onesample_case(tmp, 'dur2_t0', data(12, 5, pos_neg), nv, edges,
                       dict(base, threshold=2.0, tail=0, seed=4), dur=2)
        onesample_case(tmp, 'dur3_t1', data(12, 5, two_pos), nv, edges,
                       dict(base, threshold=1.8, tail=1, seed=5), dur=3, min_clusters=1)
        onesample_case(tmp, 'ext5_t0', data(12, 5, pos_neg), nv, edges,
                       dict(base, threshold=2.0, tail=0, seed=6), ext=5, jobs2=True)
        onesample_case(tmp, 'ext20_tm1', data(12, 5, two_neg), nv, edges,
                       dict(base, threshold=-1.8, tail=-1, seed=7), ext=20, min_clusters=1)
        # together, with step-down, max_step 2, an exclusion and the hat adjustment
        onesample_case(tmp, 'all_stepdown', data(12, 5, pos_neg), nv, edges,
                       dict(base, threshold=2.0, tail=0, seed=8, step_down_p=0.05),
                       k=2, dur=2, ext=5, jobs2=True, min_clusters=1)
        onesample_case(tmp, 'maxstep2_dur3', data(12, 7, pos_neg), nv, edges,
                       dict(base, threshold=2.0, tail=0, seed=9, max_step=2), k=1, dur=3,
                       min_clusters=1)
        excl = np.zeros(nv, bool)
        excl[np.arange(0, nv, 7)] = True
        onesample_case(tmp, 'exclude_k2', data(12, 5, pos_neg), nv, edges,
                       dict(base, threshold=2.0, tail=0, seed=10, exclude=excl), k=2,
                       min_clusters=1)
        onesample_case(tmp, 'sigma_k1_ext3', data(12, 5, pos_neg), nv, edges,
                       dict(base, threshold=2.0, tail=0, seed=11, sigma=1e-3), k=1, ext=3)
        # independent groups (the label-permutation kernel): F of 2 and 3 groups, the t
        gnv, gnt = 40, 6
        _, gedges = xe.random_graph(gnv, 0.08, 11)
        gA = xe.graph_from_edges(gnv, gedges)
        g1 = xe.smooth_data(rng, 7, gnt, gnv, gA, [])
        g2 = xe.smooth_data(rng, 9, gnt, gnv, gA, [(1.5, 5, 2, 1, 4), (1.2, 25, 1, 2, 5)])
        g3 = xe.smooth_data(rng, 8, gnt, gnv, gA, [(-1.4, 12, 2, 0, 3)])
        groups_case(tmp, 'groups2_f_k1', [g1, g2], gnv, gedges,
                    dict(threshold=3.0, n_permutations=200, seed=3), k=1)
        groups_case(tmp, 'groups3_f_dur2_ext3', [g1, g2, g3], gnv, gedges,
                    dict(threshold=2.5, n_permutations=200, seed=4, step_down_p=0.05),
                    dur=2, ext=3)
        groups_case(tmp, 'groups2_t_k2', [g1, g2], gnv, gedges,
                    dict(threshold=2.0, tail=0, n_permutations=200, seed=5,
                         statistic='t_ind'), k=2)
    print('%d failed' % xe.FAILED[0] if xe.FAILED[0] else 'all ok')
    return 1 if xe.FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
