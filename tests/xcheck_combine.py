"""xcheck_combine.py - cross-checks neighbourhoods over several dimensions (combine.c, driven
by build/tests/tool_combine) against MNE 1.3 and scipy.

1. The graphs: cperm_graph_combine equals mne.stats.combine_adjacency (lattices, a channel
   graph, a matrix of zeros) entry for entry, diagonal aside; cperm_graph_lattice splits
   random masks into the components scipy.ndimage.label finds with its default structure.
2. The engine on them: MNE 1.3's permutation_cluster_1samp_test on (a) 1-D data with
   adjacency=None, (b) times x freqs with adjacency=None, (c) freqs x times x channels with
   combine_adjacency(n_freqs, n_times, chan_adj), against cperm_plan_execute with the graph
   over every point (n_times 1) and with the first dimension as the engine's time axis:
   T_obs, H0 and p-values bit for bit, clusters as sets.

Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure. Build dir from $CPERM_BUILD.
"""
import os
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault('MNE_TQDM', 'off')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy import ndimage  # noqa: E402
from scipy.sparse.csgraph import connected_components  # noqa: E402
import mne  # noqa: E402
from mne.stats import combine_adjacency, permutation_cluster_1samp_test  # noqa: E402

BUILD = os.environ.get('CPERM_BUILD', 'build')
TOOL = os.path.join(BUILD, 'tests', 'tool_combine')
FAILED = [0]


def report(name, cond, why=''):
    if cond:
        print('ok combine.%s' % name)
    else:
        print('FAIL combine.%s: %s' % (name, why))
        FAILED[0] += 1
    sys.stdout.flush()
    return bool(cond)


def edges_of(A):
    A = sp.coo_matrix(A)
    return np.stack([A.row, A.col], axis=1).astype(np.int64)


def sym_graph(n, pairs):
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    A = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return ((A + A.T) > 0).astype(float).tocoo()


def channel_graph(n, seed):
    """Channels on a jittered circle, each joined to its two nearest others: irregular
    degrees, as find_ch_adjacency gives."""
    rng = np.random.RandomState(seed)
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    xy = np.stack([np.cos(ang), np.sin(ang)], 1) * rng.uniform(0.8, 1.2, (n, 1))
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(n) * 1e9
    pairs = [(i, j) for i in range(n) for j in np.argsort(d[i])[:2]]
    return sym_graph(n, pairs)


def write_case(d, shape, graphs, split, run, X=None, c=None):
    """graphs: {dim: scipy matrix}; graph=combine when any, else lattice."""
    os.makedirs(d, exist_ok=True)
    lines = ['shape=%s' % ','.join(str(s) for s in shape),
             'graph=%s' % ('combine' if graphs else 'lattice'),
             'graphs=%s' % ','.join(str(k) for k in sorted(graphs)),
             'split=%d' % split, 'run=%d' % run]
    for k, A in graphs.items():
        edges_of(A).tofile(os.path.join(d, 'graph%d.i64' % k))
    if run:
        lines += ['n_subjects=%d' % X.shape[0], 'threshold=%r' % float(c['threshold']),
                  'tail=%d' % c['tail'], 't_power=%r' % float(c.get('t_power', 1)),
                  'n_permutations=%s' % c['n_permutations'], 'seed=%d' % c['seed'],
                  'step_down_p=%r' % float(c.get('step_down_p', 0)),
                  'n_jobs=%d' % c.get('n_jobs', 1),
                  'sequential_sums=%d' % c.get('sequential_sums', 0)]
        np.ascontiguousarray(X, np.float64).tofile(os.path.join(d, 'X.f64'))
    with open(os.path.join(d, 'params.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    p = subprocess.run([TOOL, d], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stderr.strip()


def read_graph(d):
    ip = np.fromfile(os.path.join(d, 'out_indptr.i64'), np.int64)
    ind = np.fromfile(os.path.join(d, 'out_indices.i32'), np.int32)
    return ip, ind


def mne_csr(A):
    """MNE's matrix as sorted CSR without its diagonal, binary."""
    A = sp.csr_matrix(A, dtype=float)
    A.setdiag(0)
    A.eliminate_zeros()
    A.sort_indices()
    A.data[:] = 1
    return A


# ------------------------------------------------------------------ graphs

def check_graphs(tmp):
    chan = channel_graph(7, 1)
    zeros = sp.coo_matrix((4, 4))
    cases = [
        ('lat_5', (5,), {}, (5,)),
        ('lat_3x4', (3, 4), {}, (3, 4)),
        ('lat_2x3x4', (2, 3, 4), {}, (2, 3, 4)),
        ('lat_4x1x3x2', (4, 1, 3, 2), {}, (4, 1, 3, 2)),
        ('ftc_3x4x7', (3, 4, 7), {2: chan}, (3, 4, chan)),
        ('chan_first_7x5', (7, 5), {0: chan}, (chan, 5)),
        ('zeros_middle_3x4x5', (3, 4, 5), {1: zeros}, (3, zeros, 5)),
        ('chan_middle_2x7x3', (2, 7, 3), {1: chan}, (2, chan, 3)),
    ]
    for name, shape, graphs, mne_args in cases:
        d = os.path.join(tmp, 'graph_' + name)
        rc, err = write_case(d, shape, graphs, 0, 0)
        if not report('graph.%s.run' % name, rc == 0, 'exit %d: %s' % (rc, err)):
            continue
        ip, ind = read_graph(d)
        want = mne_csr(combine_adjacency(*mne_args))
        report('graph.%s.vs_combine_adjacency' % name,
               np.array_equal(ip, want.indptr) and np.array_equal(ind, want.indices),
               'indptr equal %s, %d vs %d entries' % (np.array_equal(ip, want.indptr),
                                                     len(ind), len(want.indices)))
    # scipy.ndimage.label's default structure on random masks of several shapes
    rng = np.random.RandomState(0)
    for shape in ((40,), (9, 11), (5, 6, 7), (3, 4, 3, 5)):
        name = 'x'.join(str(s) for s in shape)
        d = os.path.join(tmp, 'label_' + name)
        rc, err = write_case(d, shape, {}, 0, 0)
        if not report('lattice.%s.run' % name, rc == 0, 'exit %d: %s' % (rc, err)):
            continue
        ip, ind = read_graph(d)
        n = int(np.prod(shape))
        G = sp.csr_matrix((np.ones(len(ind)), ind, ip), shape=(n, n))
        bad = []
        for trial in range(20):
            mask = rng.rand(*shape) < rng.uniform(0.3, 0.7)
            lab, _ = ndimage.label(mask)
            m = mask.ravel()
            sub = G[m][:, m]
            _, comp = connected_components(sub, directed=False)
            got = np.zeros(n, int)
            got[m] = comp + 1
            # same partition: a bijection between label ids
            pairs = set(zip(lab.ravel()[m].tolist(), got[m].tolist()))
            if not (len(pairs) == len(set(p[0] for p in pairs)) == len(set(p[1] for p in pairs))):
                bad.append(trial)
        report('lattice.%s.vs_ndimage_label' % name, not bad, 'masks %s differ' % bad[:5])


# ------------------------------------------------------------------ tests

def smooth(rng, n_obs, shape, sigma, effects):
    """Gaussian-smoothed noise over every sample axis plus boxes of effect:
    (amplitude, tuple of slices)."""
    X = rng.randn(n_obs, *shape)
    X = ndimage.gaussian_filter(X, [0] + [sigma] * len(shape), mode='nearest')
    X /= X.std()
    for amp, box in effects:
        X[(slice(None),) + box] += amp
    return np.ascontiguousarray(X)


def flat_clusters(cl, shape):
    out = []
    for c in cl:
        if isinstance(c, tuple):
            out.append(np.ravel_multi_index(tuple(np.asarray(a) for a in c), shape))
        else:
            out.append(np.asarray(c, np.int64).ravel())
    return out


def run_mne(X, c, adjacency):
    T, cl, pv, H0 = permutation_cluster_1samp_test(
        X, threshold=c['threshold'], n_permutations=c['n_permutations'], tail=c['tail'],
        adjacency=adjacency, n_jobs=1, seed=c['seed'], step_down_p=c.get('step_down_p', 0),
        t_power=c.get('t_power', 1), out_type='indices', buffer_size=None, verbose=False)
    return (np.asarray(T, float).ravel(), flat_clusters(cl, X.shape[1:]),
            np.asarray(pv, float), np.asarray(H0, float))


def pairwise_label_sum(x, labels, index):
    """ndimage.sum with numpy's pairwise np.sum per label instead of bincount's running sum."""
    lab = np.asarray(labels).ravel()
    x = np.asarray(x).ravel()
    return np.array([np.sum(x[lab == i]) for i in index])


def run_mne_pairwise_1d(X, c):
    """MNE 1.3 with one change: 1-D clusters summed as every other path sums them."""
    saved = ndimage.sum
    ndimage.sum = pairwise_label_sum
    try:
        return run_mne(X, c, None)
    finally:
        ndimage.sum = saved


def ulps(a, b):
    a = np.asarray(a, np.float64).view(np.int64)
    b = np.asarray(b, np.float64).view(np.int64)
    return int(np.max(np.abs(a - b))) if a.size else 0


def read_results(d):
    r = {k: np.fromfile(os.path.join(d, 'out_%s.f64' % k)) for k in ('tobs', 'h0', 'pvals')}
    with open(os.path.join(d, 'out_clusters.txt')) as f:
        r['clusters'] = [np.array(s.split(), np.int64) for s in f.read().splitlines()]
    return r


def first_diff(a, b):
    if a.shape != b.shape:
        return 'shape %s vs %s' % (a.shape, b.shape)
    i = int(np.argmax(a != b))
    return '%d of %d differ; first [%d]: got %.17g want %.17g' % (
        np.count_nonzero(a != b), a.size, i, a[i], b[i])


def check_test(tmp, name, X, c, graphs, mne_adjacency, min_clusters=2):
    shape = X.shape[1:]
    T, flat, pv, H0 = run_mne(X, c, mne_adjacency)
    report('%s.nontrivial' % name, len(flat) >= min_clusters and np.count_nonzero(H0[1:]) > 0,
           '%d clusters, %d nonzero H0 entries' % (len(flat), np.count_nonzero(H0[1:])))
    want_sets = sorted(sorted(f.tolist()) for f in flat)
    H0_pw = run_mne_pairwise_1d(X, c)[3] if X.ndim == 2 and mne_adjacency is None else None
    for split in (0, 1):
        tag = '%s.%s' % (name, 'split' if split else 'whole')
        d = os.path.join(tmp, tag)
        # with split the first dimension's graph, if any, cannot be the time axis
        if split and 0 in graphs:
            continue
        # MNE sums 1-D clusters without adjacency with ndimage.sum (a running sum), every
        # other path with np.sum (pairwise): the caller selects the former
        c_run = dict(c, sequential_sums=1) if H0_pw is not None else c
        rc, err = write_case(d, shape, graphs, split, 1, X, c_run)
        if not report(tag + '.run', rc == 0, 'exit %d: %s' % (rc, err)):
            continue
        g = read_results(d)
        report(tag + '.tobs_bits', np.array_equal(g['tobs'], T), first_diff(g['tobs'], T))
        got_sets = sorted(sorted(x.tolist()) for x in g['clusters'])
        report(tag + '.clusters', got_sets == want_sets,
               'got %d clusters, MNE %d' % (len(got_sets), len(want_sets)))
        why = first_diff(g['h0'], H0)
        if g['h0'].shape == H0.shape:
            why += ' (%d ulp at most)' % ulps(g['h0'], H0)
        report(tag + '.h0_bits', np.array_equal(g['h0'], H0), why)
        if H0_pw is not None:
            # the pairwise sums differ from MNE's running ones here, so the option matters
            report(tag + '.pairwise_sums_would_differ', not np.array_equal(H0, H0_pw),
                   'MNE with pairwise 1-D sums gives the same H0: this case does not test it')
        # p-values in MNE's cluster order, matched through the cluster sets
        order = {tuple(sorted(x.tolist())): k for k, x in enumerate(g['clusters'])}
        idx = [order.get(tuple(sorted(f.tolist()))) for f in flat]
        ok = None not in idx and np.array_equal(g['pvals'][idx], pv)
        report(tag + '.pvals', ok, 'got %s want %s' % (
            g['pvals'][[i for i in idx if i is not None]][:6].tolist(), pv[:6].tolist()))


def main():
    if not os.path.exists(TOOL):
        report('tool_exists', False, '%s not built' % TOOL)
        return 1
    rng = np.random.RandomState(13)
    with tempfile.TemporaryDirectory() as tmp:
        check_graphs(tmp)
        # (a) 1-D, adjacency=None: ndimage.label on a line
        X = smooth(rng, 14, (60,), 2.0, [(0.9, (slice(8, 20),)), (-0.9, (slice(35, 43),))])
        for k, c in enumerate([dict(threshold=2.0, tail=0, n_permutations=256, seed=0),
                               dict(threshold=1.8, tail=1, n_permutations=200, seed=3,
                                    t_power=2),
                               dict(threshold=2.0, tail=0, n_permutations=300, seed=1,
                                    step_down_p=0.05)]):
            check_test(tmp, 'a_1d_%d' % k, X, c, {}, None, min_clusters=1)
        # (b) times x freqs, adjacency=None: the 4-neighbour lattice
        X = smooth(rng, 12, (16, 9), 1.2, [(0.9, (slice(2, 7), slice(1, 4))),
                                           (-0.9, (slice(9, 14), slice(5, 9)))])
        for k, c in enumerate([dict(threshold=2.2, tail=0, n_permutations=256, seed=0),
                               dict(threshold=-2.0, tail=-1, n_permutations=200, seed=7),
                               dict(threshold=2.0, tail=0, n_permutations='all', seed=0,
                                    t_power=0)]):
            Xk = X[:9] if c['n_permutations'] == 'all' else X
            check_test(tmp, 'b_2d_%d' % k, Xk, c, {}, None, min_clusters=1)
        # (c) freqs x times x channels with combine_adjacency(n_freq, n_times, chan_adj)
        chan = channel_graph(10, 4)
        nf, nt, nc = 4, 8, 10
        X = smooth(rng, 13, (nf, nt, nc), 1.0, [(1.0, (slice(0, 2), slice(1, 4), slice(2, 6))),
                                                (-1.0, (slice(2, 4), slice(4, 8), slice(6, 10)))])
        adj = combine_adjacency(nf, nt, chan)
        for k, c in enumerate([dict(threshold=2.0, tail=0, n_permutations=256, seed=0),
                               dict(threshold=1.8, tail=1, n_permutations=200, seed=5,
                                    step_down_p=0.1, n_jobs=2)]):
            check_test(tmp, 'c_ftc_%d' % k, X, c, {2: chan}, adj, min_clusters=1)
        # channels first and a matrix of zeros for the frequencies: no split possible
        zeros = sp.coo_matrix((nf, nf))
        Xc = np.ascontiguousarray(X.transpose(0, 3, 1, 2))
        check_test(tmp, 'c_cft_zeros', Xc, dict(threshold=2.0, tail=0, n_permutations=200,
                                                 seed=2),
                   {0: chan, 1: zeros}, combine_adjacency(chan, zeros, nt), min_clusters=1)
    print('%d failed' % FAILED[0] if FAILED[0] else 'all ok')
    return 1 if FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
