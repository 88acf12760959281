"""xcheck_groups_screen.py - the label-permutation kernel's float32 screen (groups_screen.c)
against MNE 1.3 where only rounding decides.

At the first time point every vertex holds an affine copy a * z + b of one column z (scales
over 2^+-8, offsets of up to `offset` spreads, so MNE's sums of squares cancel), so under any
order all copies have the same exact F (or t) and MNE's last bits say which are above the
threshold. The threshold is the median of MNE's own values (mne.stats.f_oneway /
ttest_ind_no_p on X_full[order]) for one of the test's permutations, so that permutation's
copies straddle it, one sits exactly at it. Later time points carry an effect, so clusters are
observed and H0 is needed. Each case then goes through xcheck_groups.check: F_obs, clusters,
every H0 value and p-value bit for bit against permutation_cluster_test (its global and list
paths), the orders, and -j 1 == -j 2. Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any
failure.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xcheck_groups as xg  # noqa: E402
import numpy as np  # noqa: E402
from mne.stats import f_oneway, ttest_ind_no_p  # noqa: E402

xe = xg.xe
xe.PREFIX = 'groups_screen'
report = xe.report


def make_data(rng, sizes, nt, nv, A, offset):
    n = sum(sizes)
    X = xe.smooth_data(rng, n, nt, nv, A, [])
    X[:sizes[0], 1:, nv // 3: nv // 3 + 8] += 2.0  # group 0 differs: observed clusters
    z = rng.randn(n)
    a = 2.0 ** rng.uniform(-8, 8, nv)
    b = a * rng.uniform(-offset, offset, nv)
    X[:, 0, :] = a[None, :] * z[:, None] + b[None, :]
    return np.ascontiguousarray(X)


def values(X, sizes, order, stat):
    """MNE's statistic of X_full[order] split into the groups, flattened as MNE does."""
    Xo = X[order].reshape(len(order), -1)
    parts = np.split(Xo, np.cumsum(sizes)[:-1])
    return ttest_ind_no_p(*parts) if stat == 't_ind' else f_oneway(*parts)


def threshold_at_rounding(X, sizes, c, nv):
    """The median of the copies' values under the first of the test's orders whose median
    has the tail's sign; (threshold, order index, copies above)."""
    n = sum(sizes)
    rng = np.random.RandomState(c['seed'])
    orders = [rng.permutation(n) for _ in range(c['n_permutations'] - 1)]
    for k, order in enumerate(orders):
        v = values(X, sizes, order, c.get('statistic'))[:nv]
        m = np.sort(v)[nv // 2]
        tail = c['tail']
        if tail == 0:
            thr = abs(m)
            above = np.count_nonzero(np.abs(v) > thr)
        elif (m > 0) == (tail > 0) and m != 0:
            thr = m
            above = np.count_nonzero(v > thr if tail > 0 else v < thr)
        else:
            continue
        if 0 < above < nv:
            return float(thr), k, above
    return None, None, 0


def main():
    rng = np.random.RandomState(11)
    nv, nt = 60, 3
    edges = np.array([(v, v + 1) for v in range(nv - 1)])
    A = xe.graph_from_edges(nv, edges)
    cases = (('f_two', (9, 11), dict(tail=1), 40.0),
             ('f_two_tail0', (9, 11), dict(tail=0), 40.0),
             ('f_three', (6, 7, 8), dict(tail=1), 40.0),
             ('f_two_offset1e3', (10, 10), dict(tail=1), 1e3),
             ('t_tail0', (10, 9), dict(tail=0, statistic='t_ind'), 40.0),
             ('t_tail1', (8, 12), dict(tail=1, statistic='t_ind'), 40.0),
             ('t_tailm1', (10, 10), dict(tail=-1, statistic='t_ind'), 40.0))
    with tempfile.TemporaryDirectory() as tmp:
        for name, sizes, c, offset in cases:
            c = dict(c, n_permutations=120, seed=3)
            X = make_data(rng, sizes, nt, nv, A, offset)
            thr, k, above = threshold_at_rounding(X, sizes, c, nv)
            if not report('%s.%s.straddles' % (xe.PREFIX, name), thr is not None,
                          'no order puts the copies on both sides of its median'):
                continue
            c['threshold'] = thr
            groups = np.split(X, np.cumsum(sizes)[:-1])
            xg.check(tmp, name, groups, nv, edges, c, min_clusters=1)
    print('%d failed' % xe.FAILED[0] if xe.FAILED[0] else 'all ok')
    return 1 if xe.FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
