"""xcheck_rmanova.py - cross-checks the repeated-measures F (CPERM_STAT_F_MWAY_RM, one effect
of f_mway_rm) and its two permutation schemes against MNE 1.3.

1. cperm_f_mway_rm (build/tests/tool_rmanova) against mne.stats.f_mway_rm(data, levels,
   effect, return_pvals=False)[0] on random data of many shapes: every F bit for bit.
2. Scheme mne (MNE's closure pattern): build/tests/tool_engine with rm_scheme=mne against
   permutation_cluster_test([X_cell0, X_cell1, ...], stat_fun=lambda *a: f_mway_rm(
   np.swapaxes(np.array(a), 0, 1), ...)[0], tail=1, threshold=f_threshold_mway_rm(...)):
   F_obs, H0 and p-values bit for bit, clusters equal (default mode against MNE's global
   path, compat mne1.3 against its list path), the orders equal MNE's
   [RandomState(seed).permutation(N) ...], -j 1 and -j 2 outputs byte-identical.
3. Scheme within (no MNE counterpart): the tool's orders (cperm_plan_label_orders) are checked
   to be per-subject permutations of the cells equal to the documented draws (per order, per
   subject, RandomState(seed).permutation(n_cells); enumeration when exact), then MNE's own
   permutation_cluster_test is run with those orders (a RandomState whose permutation()
   returns them): f_mway_rm on each permuted array, MNE's clustering, step-down and
   p-values; H0, clusters and p-values must be identical.
Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure.
"""
import itertools
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xcheck_engine as xe  # noqa: E402
import numpy as np  # noqa: E402
from mne.stats import (permutation_cluster_test, f_mway_rm,  # noqa: E402
                       f_threshold_mway_rm)

xe.PREFIX = 'rmanova'
report = xe.report
TOOL_RM = os.path.join(xe.BUILD, 'tests', 'tool_rmanova')


def effect_names(n_factors):
    for mask in range(1, 2 ** n_factors):
        yield mask, ':'.join(chr(65 + k) for k in range(n_factors) if mask >> k & 1)


# ----------------------------------------------------------- 1. the F itself

def check_direct(tmp):
    rng = np.random.RandomState(0)
    n_ok = n_all = 0
    worst = ''
    for levels in ([2], [3], [2, 2], [3, 2], [2, 3], [2, 2, 2], [3, 3], [4, 2], [2, 2, 3],
                   [2, 1, 3], [2, 2, 2, 2]):
        C = int(np.prod(levels))
        for S in (2, 3, 7, 8, 9, 17, 33, 130):
            scale = rng.choice([1e-6, 1.0, 1e5])
            P = int(rng.choice([1, 5, 37, 300]))
            data = rng.randn(S, C, P) * scale + rng.randn(S, 1, P) * 3 * scale
            path = os.path.join(tmp, 'd.f64')
            data.tofile(path)
            for mask, name in effect_names(len(levels)):
                if any(levels[k] == 1 for k in range(len(levels)) if mask >> k & 1):
                    continue
                want = np.atleast_1d(f_mway_rm(data, levels, name, return_pvals=False)[0])
                out = os.path.join(tmp, 'F.f64')
                p = subprocess.run([TOOL_RM, 'x'.join(map(str, levels)), name, str(S), str(P),
                                    path, out], capture_output=True, text=True)
                n_all += 1
                got = np.fromfile(out) if p.returncode == 0 else None
                if got is not None and np.array_equal(got, want):
                    n_ok += 1
                elif not worst:
                    worst = '%s S=%d %s: %s' % (levels, S, name, p.stderr.strip() or
                                                'max rel diff %.3g' % np.max(
                                                    np.abs(got - want) / np.abs(want)))
    report('f_mway_rm.bits', n_ok == n_all, '%d of %d shapes differ, first %s'
           % (n_all - n_ok, n_all, worst))
    print('# f_mway_rm: %d shapes x effects bit-identical' % n_ok)


# ----------------------------------------------------------- 2./3. the engine

class FixedOrders(np.random.RandomState):
    """A RandomState whose permutation() returns given orders, one per call: MNE's
    _permutation_cluster_test then runs everything else on them as on its own."""

    def __init__(self, orders):
        super().__init__(0)
        self._orders = list(orders)

    def permutation(self, n):
        o = np.asarray(self._orders.pop(0), dtype=np.int64)
        assert o.shape == (n,)
        return o


def within_orders(levels, S, n_permutations, seed):
    """The documented CPERM_RM_WITHIN orders."""
    C = int(np.prod(levels))
    perms = list(itertools.permutations(range(C)))  # lexicographic
    total = len(perms) ** S
    rows = []
    if n_permutations == 'all' or total <= n_permutations:
        for k in range(1, total):
            digits, idx = [], k
            for _ in range(S):
                digits.append(idx % len(perms))
                idx //= len(perms)
            digits = digits[::-1]  # subject 0 most significant
            rows.append([perms[digits[s]] for s in range(S)])
    else:
        rng = np.random.RandomState(seed)
        for _ in range(n_permutations - 1):
            rows.append([rng.permutation(C) for _ in range(S)])
    out = np.empty((len(rows), C * S), np.uint32)
    for k, pis in enumerate(rows):
        for s, pi in enumerate(pis):
            for c in range(C):
                out[k, c * S + s] = pi[c] * S + s
    return out


def run_mne(cells, levels, effect, c, adjacency, seed):
    def stat_fun(*args):
        return f_mway_rm(np.swapaxes(np.array(args), 0, 1), levels, effect,
                         return_pvals=False)[0]
    F, cl, pv, H0 = permutation_cluster_test(
        cells, threshold=c['threshold'], n_permutations=c['mne_n_permutations'], tail=1,
        stat_fun=stat_fun, adjacency=adjacency, n_jobs=1, seed=seed,
        max_step=c.get('max_step', 1), t_power=c.get('t_power', 1),
        step_down_p=c.get('step_down_p', 0.0), out_type='indices', verbose=False)
    nv = cells[0].shape[2]
    flat = [np.asarray(t, np.int64) * nv + np.asarray(v, np.int64) for t, v in cl]
    return np.asarray(F, float), flat, np.asarray(pv, float), np.asarray(H0, float)


def check(tmp, name, cells, levels, effect, nv, edges, c, scheme, min_clusters=1):
    c = dict(c)
    S = cells[0].shape[0]
    C = len(cells)
    X = np.concatenate(cells, axis=0)
    n, nt, _ = X.shape
    c.setdefault('threshold', f_threshold_mway_rm(S, levels, effect, c.get('p', 0.05)))
    c['tail'] = 1
    A = xe.graph_from_edges(nv, edges)
    if scheme == 'mne':
        rng = np.random.RandomState(c['seed'])
        want_orders = np.array([rng.permutation(n) for _ in range(c['n_permutations'] - 1)],
                               dtype=np.uint32).reshape(-1, n)
    else:
        want_orders = within_orders(levels, S, c['n_permutations'], c['seed'])
    c['mne_n_permutations'] = len(want_orders) + 1
    for mode, adj in (('none', xe.global_adjacency(nt, A, c.get('max_step', 1))),
                      ('mne1.3', A)):
        tag = '%s.%s.%s' % (name, scheme, 'default' if mode == 'none' else 'compat')
        seed = c['seed'] if scheme == 'mne' else FixedOrders(want_orders)
        F, flat, pv, H0 = run_mne(cells, levels, effect, c, adj, seed)
        report(tag + '.nontrivial', len(flat) >= min_clusters and np.count_nonzero(H0[1:]) > 0,
               '%d clusters, %d nonzero H0 entries' % (len(flat), np.count_nonzero(H0[1:])))
        outs = []
        for jobs in (1, 2):
            d = os.path.join(tmp, '%s_j%d' % (tag, jobs))
            xe.write_case(d, X, nv, edges, c, mode, jobs)
            with open(os.path.join(d, 'params.txt'), 'a') as f:
                f.write('rm_levels=%s\nrm_effect=%s\nrm_scheme=%s\n'
                        % ('x'.join(map(str, levels)), effect, scheme))
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
        orders = np.fromfile(os.path.join(d, 'out_orders.u32'), dtype=np.uint32).reshape(-1, n)
        if scheme == 'within':  # each order: per subject, a permutation of its cells
            per_subject = all(sorted(o[s::S] % S) == [s] * C and
                              sorted(o[s::S] // S) == list(range(C))
                              for o in orders for s in range(S))
            report(tag + '.orders_within_subject', per_subject, 'an order mixes subjects')
        report(tag + '.orders', np.array_equal(orders, want_orders),
               'got %d orders, want %d' % (len(orders), len(want_orders)))
        report(tag + '.fobs_bits', np.array_equal(got['tobs'], F.ravel()),
               'max rel diff %.3g' % np.max(np.abs(got['tobs'] - F.ravel()) /
                                            np.maximum(np.abs(F.ravel()), 1e-300)))
        report(tag + '.clusters', len(gcl) == len(flat) and
               all(np.array_equal(a, b) for a, b in zip(gcl, flat)),
               'got %d clusters, MNE %d' % (len(gcl), len(flat)))
        report(tag + '.h0_bits', np.array_equal(got['h0'], H0),
               'got %s want %s' % (got['h0'][:4].tolist(), H0[:4].tolist()))
        report(tag + '.pvals', np.array_equal(got['pvals'], pv),
               'got %s want %s' % (got['pvals'][:6].tolist(), pv[:6].tolist()))
        diff = [f for f in ('out_tobs.f64', 'out_h0.f64', 'out_pvals.f64', 'out_stats.f64',
                            'out_clusters.txt', 'out_orders.u32')
                if open(os.path.join(d, f), 'rb').read() !=
                open(os.path.join(outs[1], f), 'rb').read()]
        report(tag + '.njobs_identical', not diff, 'files differ: %s' % diff)
        if scheme == 'within' and c['n_permutations'] == 'all':
            with open(os.path.join(d, 'out_info.txt')) as f:
                info = dict(line.split('=', 1) for line in f.read().split())
            report(tag + '.exact', info['is_exact'] == '1', 'is_exact=%s' % info['is_exact'])


def rm_cells(rng, levels, S, nt, nv, A, effects):
    """One array per cell (S x nt x nv, MNE's cell order): strong subject effects shared by
    a subject's cells, smooth noise, and blobs added to the cells where a factor (or a pair)
    takes a level: effects = [(amplitude, factor levels dict, centre, radius, t0, t1)]."""
    C = int(np.prod(levels))
    subject = xe.smooth_data(rng, S, nt, nv, A, []) * 2.0
    cells = []
    for cell, idx in enumerate(itertools.product(*[range(L) for L in levels])):
        blobs = [(amp, centre, radius, t0, t1) for amp, where, centre, radius, t0, t1 in effects
                 if all(idx[k] == lv for k, lv in where.items())]
        cells.append(subject + xe.smooth_data(rng, S, nt, nv, A, blobs))
    assert len(cells) == C
    return cells


def main():
    rng = np.random.RandomState(11)
    with tempfile.TemporaryDirectory() as tmp:
        check_direct(tmp)
        nv, nt = 30, 6
        edges = np.array([(v, v + 1) for v in range(nv - 1)])
        A = xe.graph_from_edges(nv, edges)
        # 2 x 2: a main effect of A, one of B and an interaction, 10 subjects
        cells = rm_cells(rng, [2, 2], 10, nt, nv, A,
                         [(1.6, {0: 1}, 5, 1, 1, 4), (1.4, {1: 0}, 20, 2, 2, 5),
                          (1.5, {0: 1, 1: 1}, 12, 1, 0, 3), (-1.5, {0: 0, 1: 1}, 12, 1, 0, 3)])
        for effect in ('A', 'B', 'A:B'):
            for scheme in ('mne', 'within'):
                check(tmp, '2x2_' + effect.replace(':', ''), cells, [2, 2], effect, nv, edges,
                      dict(n_permutations=120, seed=3), scheme)
        # step-down and t_power 2 on the interaction
        for scheme in ('mne', 'within'):
            check(tmp, '2x2_AB_stepdown', cells, [2, 2], 'A:B', nv, edges,
                  dict(n_permutations=150, seed=8, step_down_p=0.3, t_power=2), scheme)
        # 3 x 2 interaction on a random graph, max_step 2
        nv, nt = 36, 5
        _, edges = xe.random_graph(nv, 0.09, 5)
        A = xe.graph_from_edges(nv, edges)
        cells = rm_cells(rng, [3, 2], 9, nt, nv, A,
                         [(1.8, {0: 2, 1: 1}, 7, 1, 1, 4), (1.2, {0: 0}, 25, 1, 0, 3)])
        for scheme in ('mne', 'within'):
            check(tmp, '3x2_AB', cells, [3, 2], 'A:B', nv, edges,
                  dict(n_permutations=100, seed=1, max_step=2), scheme)
        # 2 x 2 x 2: the A:C interaction
        nv, nt = 25, 5
        edges = np.array([(v, v + 1) for v in range(nv - 1)])
        A = xe.graph_from_edges(nv, edges)
        cells = rm_cells(rng, [2, 2, 2], 8, nt, nv, A,
                         [(1.6, {0: 1, 2: 1}, 6, 1, 1, 4), (-1.6, {0: 0, 2: 1}, 6, 1, 1, 4),
                          (1.6, {0: 1, 2: 0}, 18, 1, 0, 3), (-1.6, {0: 0, 2: 0}, 18, 1, 0, 3)])
        for scheme in ('mne', 'within'):
            check(tmp, '2x2x2_AC', cells, [2, 2, 2], 'A:C', nv, edges,
                  dict(n_permutations=100, seed=2), scheme)
        # within, exact: one factor of 2 levels, 6 subjects: 2^6 - 1 = 63 orders ('all',
        # and a larger n_permutations gives the same enumeration)
        cells = rm_cells(rng, [2], 6, nt, nv, A, [(2.0, {0: 1}, 10, 2, 1, 4)])
        check(tmp, '2_exact_all', cells, [2], 'A', nv, edges,
              dict(n_permutations='all', seed=0), 'within')
        check(tmp, '2_exact_1000', cells, [2], 'A', nv, edges,
              dict(n_permutations=1000, seed=0), 'within')
    print('%d failed' % xe.FAILED[0] if xe.FAILED[0] else 'all ok')
    return 1 if xe.FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
