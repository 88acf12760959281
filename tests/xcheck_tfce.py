"""xcheck_tfce.py - cross-checks TFCE (driven by build/tests/tool_tfce) against MNE 1.3.

mne1.3 mode must equal spatio_temporal_cluster_1samp_test with threshold=dict(start, step,
h_power, e_power): the returned t_obs (scores * sign(t), 1e-9 rel; in practice bit-equal),
H0 (1e-9 rel) and the per-point p-values (exact), on the list path (compat mne1.3, quirk
included) and on the global path (compat none), for tails -1/0/1, start 0 and > 0, steps
0.1 and 0.2, non-default h/e, exact tests and random permutations, max_step 2, exclusion,
sigma, step-down and icosahedral meshes. riemann mode must equal a plain Python reference
(MNE's own permutations and t, scipy components per threshold, corrected-MNE weights) with
non-inverted p-values; exact mode's H0 must be the maxima of the exact scores of MNE's
permuted t maps; results must not depend on n_jobs.

Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure. Build dir from $CPERM_BUILD.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault('MNE_TQDM', 'off')
warnings.filterwarnings('ignore')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.sparse.csgraph import connected_components  # noqa: E402
import mne  # noqa: E402
from functools import partial  # noqa: E402
from mne.stats import spatio_temporal_cluster_1samp_test, ttest_1samp_no_p  # noqa: E402
from mne.stats.cluster_level import (_get_1samp_orders, _find_clusters,  # noqa: E402
                                     _setup_adjacency)

import xcheck_engine as xe  # noqa: E402

BUILD = os.environ.get('CPERM_BUILD', 'build')
TOOL = os.path.join(BUILD, 'tests', 'tool_tfce')
FAILED = [0]
TMP = tempfile.mkdtemp(prefix='xcheck_tfce_')


def report(name, cond, why=''):
    name = 'tfce.' + name
    print(('ok %s' % name) if cond else ('FAIL %s: %s' % (name, why)))
    FAILED[0] += not cond
    sys.stdout.flush()
    return cond


def write_params(d, X_shape, nv, c, extra):
    ns, nt = X_shape[0], X_shape[1]
    lines = ['n_subjects=%d' % ns, 'n_times=%d' % nt, 'n_vertices=%d' % nv,
             'tail=%d' % c['tail'], 'tfce=%s' % c.get('mode', 'mne1.3'),
             'tfce_start=%r' % float(c.get('start', 0.0)),
             'tfce_step=%r' % float(c.get('step', 0.2)),
             'tfce_h=%r' % float(c.get('h', 2.0)), 'tfce_e=%r' % float(c.get('e', 0.5)),
             'n_permutations=%s' % c.get('n_permutations', 20), 'seed=%d' % c.get('seed', 0),
             'max_step=%d' % c.get('max_step', 1), 'sigma=%r' % float(c.get('sigma', 0.0)),
             'step_down_p=%r' % float(c.get('step_down_p', 0.0)),
             'n_jobs=%d' % c.get('n_jobs', 1), 'compat=%s' % c.get('compat', 'mne1.3'),
             'exclude=%d' % (c.get('exclude') is not None)] + extra
    with open(os.path.join(d, 'params.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def run_tool(tag, X, nv, edges, c):
    d = os.path.join(TMP, tag)
    os.makedirs(d, exist_ok=True)
    write_params(d, X.shape, nv, c, [])
    np.ascontiguousarray(X, np.float64).tofile(os.path.join(d, 'X.f64'))
    np.ascontiguousarray(edges, np.int64).tofile(os.path.join(d, 'edges.i64'))
    if c.get('exclude') is not None:
        np.asarray(c['exclude'], np.uint8).tofile(os.path.join(d, 'exclude.u8'))
    p = subprocess.run([TOOL, d], capture_output=True, text=True, timeout=120)
    if p.returncode:
        return None, p.stderr.strip()
    r = {k: np.fromfile(os.path.join(d, 'out_%s.f64' % k))
         for k in ('map', 'scores', 'tobs', 'pvals', 'h0')}
    with open(os.path.join(d, 'out_info.txt')) as f:
        r['info'] = dict(line.strip().split('=') for line in f)
    return r, ''


def tool_scores(tag, maps, nv, edges, c):
    """Exact/stepped scores of each map (n_maps, n_times, nv) via cperm_tfce_scores."""
    d = os.path.join(TMP, tag)
    os.makedirs(d, exist_ok=True)
    write_params(d, (2, maps.shape[1]), nv, c, ['n_maps=%d' % maps.shape[0]])
    np.ascontiguousarray(maps, np.float64).tofile(os.path.join(d, 'stat.f64'))
    np.ascontiguousarray(edges, np.int64).tofile(os.path.join(d, 'edges.i64'))
    p = subprocess.run([TOOL, d], capture_output=True, text=True, timeout=120)
    if p.returncode:
        return None
    return np.fromfile(os.path.join(d, 'out_scores.f64')).reshape(maps.shape[0], -1)


def mne_run(X, A, c):
    nt = X.shape[1]
    if c.get('compat', 'mne1.3') == 'mne1.3':
        adj = A
    else:
        adj = xe.global_adjacency(nt, A, c.get('max_step', 1))
    thr = dict(start=c.get('start', 0.0), step=c.get('step', 0.2))
    if 'h' in c:
        thr['h_power'] = c['h']
    if 'e' in c:
        thr['e_power'] = c['e']
    stat_fun = None
    if c.get('sigma', 0.0) > 0:
        stat_fun = partial(ttest_1samp_no_p, sigma=c['sigma'])
    excl = c.get('exclude')
    T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
        X, threshold=thr, n_permutations=c.get('n_permutations', 20), tail=c['tail'],
        adjacency=adj, n_jobs=1, seed=c.get('seed', 0), max_step=c.get('max_step', 1),
        spatial_exclude=None if excl is None else list(np.where(excl)[0]),
        step_down_p=c.get('step_down_p', 0.0), stat_fun=stat_fun, buffer_size=None,
        verbose=False)
    return np.asarray(T, float).ravel(), np.asarray(pv, float).ravel(), np.asarray(H0, float)


def check_mne(tag, X, nv, edges, A, c):
    r, why = run_tool(tag, X, nv, edges, c)
    if not report(tag + '.run', r is not None, why):
        return
    T, pv, H0 = mne_run(X, A, c)
    ok, why = xe.rel_close(r['map'], T)
    report(tag + '.map', ok, why)
    ok, why = xe.rel_close(r['h0'], H0)
    report(tag + '.h0', ok, why)
    report(tag + '.pvalues', r['pvals'].shape == pv.shape and np.array_equal(r['pvals'], pv),
           'differ at %s' % (np.where(r['pvals'] != pv)[0][:5] if r['pvals'].shape == pv.shape
                             else 'shape'))
    return r


# ------------------------------------------------- plain reference (riemann)

def ref_scores(t, nv, nt, A, tail, start, step, H, E, mne13, max_step=1):
    """MNE's TFCE loop with a full clustering per threshold (scipy components on the
    spatio-temporal graph), weights |dh|^H (MNE 1.3) or |h|^H * dh (riemann)."""
    G = xe.global_adjacency(nt, A, max_step).tocsr()
    fin = t[np.isfinite(t)]
    stop = fin.max() if tail == 1 else fin.min() if tail == -1 else max(fin.max(), -fin.min())
    ths = np.arange(start, stop, step, float)
    scores = np.zeros(t.size)
    for i, th in enumerate(ths):
        dh = abs(th) if i == 0 else abs(th - ths[i - 1])
        w = dh ** H if mne13 else abs(th) ** H * dh
        masks = ([t > th, t < -th] if tail == 0 else [t < th] if tail == -1 else [t > th])
        for m in masks:
            idx = np.where(m)[0]
            if not idx.size:
                continue
            sub = G[idx][:, idx]
            _, lab = connected_components(sub, directed=False)
            for c in np.unique(lab):
                mem = idx[lab == c]
                scores[mem] += w * (len(mem) ** E)
    return scores


def perm_tmaps(X, c):
    ns = X.shape[0]
    orders, _, _ = _get_1samp_orders(ns, c['n_permutations'], c['tail'],
                                     np.random.RandomState(c.get('seed', 0)))
    Xf = X.reshape(ns, -1)
    out = []
    for o in orders:
        signs = 2 * np.asarray(o, float) - 1
        out.append(ttest_1samp_no_p(Xf * signs[:, None]))
    return np.asarray(out)


def main():
    if not os.path.exists(TOOL):
        report('tool', False, '%s not built' % TOOL)
        return 1
    rng = np.random.RandomState(42)
    # small: chain of 9 vertices over 4 times
    nv, edges = xe.chain_graph(9)
    A = xe.graph_from_edges(nv, edges)
    X6 = xe.smooth_data(rng, 6, 4, nv, A, [(1.1, 2, 1, 1, 3)])
    X12 = xe.smooth_data(rng, 12, 4, nv, A, [(-0.9, 6, 2, 0, 3), (0.8, 1, 1, 2, 4)])
    # exact tests (n=6: 63 orders for tails +-1, 31 for tail 0)
    check_mne('chain.t1.exact.list', X6, nv, edges, A,
              dict(tail=1, start=0.0, step=0.2, n_permutations=1000))
    check_mne('chain.t0.start05.step01.global', X6, nv, edges, A,
              dict(tail=0, start=0.5, step=0.1, n_permutations=1000, compat='none'))
    check_mne('chain.tm1.exact.list', -X6, nv, edges, A,
              dict(tail=-1, start=0.0, step=-0.2, n_permutations=1000))
    # random permutations, non-default powers, start > 0
    check_mne('chain.t0.h15.e075.random', X12, nv, edges, A,
              dict(tail=0, start=0.0, step=0.2, h=1.5, e=0.75, n_permutations=40, seed=3))
    check_mne('chain.tm1.start.random.global', X12, nv, edges, A,
              dict(tail=-1, start=-0.3, step=-0.1, n_permutations=30, seed=11, compat='none'))
    check_mne('chain.t1.e1.h1.max_step2', X12, nv, edges, A,
              dict(tail=1, start=0.1, step=0.2, h=1, e=1, n_permutations=30, seed=5,
                   max_step=2))
    excl = np.zeros(nv, bool)
    excl[[0, 4]] = True
    check_mne('chain.t0.exclude.sigma.stepdown', X12, nv, edges, A,
              dict(tail=0, start=0.0, step=0.2, n_permutations=40, seed=2, exclude=excl,
                   sigma=1e-3, step_down_p=0.3))
    # ico meshes (list path, where the 1-step split quirk lives)
    nvi, ei = xe.ico_graph(1)
    Ai = xe.graph_from_edges(nvi, ei)
    Xi = xe.smooth_data(rng, 10, 3, nvi, Ai, [(0.9, 5, 1, 0, 2)])
    check_mne('ico1.t0.list', Xi, nvi, ei, Ai,
              dict(tail=0, start=0.0, step=0.2, n_permutations=25, seed=7))
    nv2, e2 = xe.ico_graph(2)
    A2 = xe.graph_from_edges(nv2, e2)
    X2 = xe.smooth_data(rng, 11, 3, nv2, A2, [(0.8, 10, 2, 1, 3)])
    r2 = check_mne('ico2.t1.list', X2, nv2, e2, A2,
                   dict(tail=1, start=0.0, step=0.2, n_permutations=8, seed=1))
    # n_jobs: byte-identical results
    c = dict(tail=1, start=0.0, step=0.2, n_permutations=8, seed=1, n_jobs=2)
    r, why = run_tool('ico2.jobs2', X2, nv2, e2, c)
    report('ico2.n_jobs', r is not None and r2 is not None and
           all(np.array_equal(r[k], r2[k]) for k in ('map', 'h0', 'pvals')), why)

    # the 1-step split quirk: many small maps against MNE's own _find_clusters (list path)
    nv5, e5 = xe.chain_graph(5)
    A5 = xe.graph_from_edges(nv5, e5)
    neighbors = _setup_adjacency(A5, 2 * nv5, 2)
    maps = rng.uniform(-3, 3, size=(300, 2, nv5))
    maps[0] = [[2, 0, 2, 2, 2], [2, 2, 2, 0, 2]]  # the split example at threshold 1
    for tail, start, step in ((1, 0.0, 0.5), (0, 0.25, 0.5), (-1, 0.0, -0.5)):
        c = dict(tail=tail, start=start, step=step, compat='mne1.3')
        mm = maps if tail >= 0 else -maps
        got = tool_scores('quirk.%d' % tail, mm, nv5, e5, c)
        glob = tool_scores('quirk.g.%d' % tail, mm, nv5, e5, dict(c, compat='none'))
        want = np.array([_find_clusters(m.ravel(), dict(start=start, step=step), tail,
                                        neighbors, max_step=1)[1] for m in mm])
        report('quirk.tail%d.list_path' % tail, got is not None and np.array_equal(got, want),
               'differs' if got is not None else 'scores mode failed')
        n_split = int(np.sum(np.any(got != glob, axis=1))) if got is not None else 0
        report('quirk.tail%d.exercised' % tail, n_split > 0,
               '%d maps differ from true components' % n_split)

    # riemann: equal to the plain reference, p-values not inverted for tail -1
    for tag, X, c in (('riemann.tm1', -X12, dict(tail=-1, start=0.0, step=-0.2,
                                                 n_permutations=15, seed=4)),
                      ('riemann.t0.start', X12, dict(tail=0, start=0.4, step=0.1,
                                                     n_permutations=15, seed=6, h=1.5,
                                                     e=0.6))):
        c = dict(c, mode='riemann', compat='none')
        r, why = run_tool(tag, X, nv, edges, c)
        if not report(tag + '.run', r is not None, why):
            continue
        nt = X.shape[1]
        kw = dict(tail=c['tail'], start=c['start'], step=c['step'], H=c.get('h', 2.0),
                  E=c.get('e', 0.5), mne13=False)
        t_obs = ttest_1samp_no_p(X.reshape(X.shape[0], -1))
        s_obs = ref_scores(t_obs, nv, nt, A, **kw)
        report(tag + '.scores', np.array_equal(r['scores'], s_obs),
               xe.rel_close(r['scores'], s_obs)[1])
        report(tag + '.map', np.array_equal(r['map'], s_obs * np.sign(t_obs)), 'differs')
        H0 = [s_obs.max()] + [ref_scores(tp, nv, nt, A, **kw).max() for tp in perm_tmaps(X, c)]
        H0 = np.asarray(H0)
        report(tag + '.h0', np.array_equal(r['h0'], H0), xe.rel_close(r['h0'], H0)[1])
        pv = np.array([np.mean(H0 >= s) for s in s_obs])
        report(tag + '.pvalues', np.array_equal(r['pvals'], pv), 'differ')

    # exact: H0 entries are the maxima of the exact scores of MNE's permuted t maps
    c = dict(tail=0, mode='exact', compat='none', n_permutations=30, seed=9)
    r, why = run_tool('exact.t0', Xi, nvi, ei, c)
    if report('exact.t0.run', r is not None, why):
        tm = perm_tmaps(Xi, c)
        t_obs = ttest_1samp_no_p(Xi.reshape(Xi.shape[0], -1))
        s = tool_scores('exact.t0.maps', np.vstack([t_obs[None], tm]).reshape(
            len(tm) + 1, Xi.shape[1], nvi), nvi, ei, c)
        report('exact.t0.tobs', np.array_equal(r['tobs'], t_obs), 'differs')
        report('exact.t0.scores', s is not None and np.array_equal(r['scores'], s[0]), 'differs')
        report('exact.t0.h0', s is not None and np.array_equal(r['h0'], s.max(axis=1)),
               'differs' if s is not None else 'scores mode failed')
        pv = np.array([np.mean(r['h0'] >= x) for x in r['scores']])
        report('exact.t0.pvalues', np.array_equal(r['pvals'], pv), 'differ')
        # riemann with a fine step approaches the exact scores
        cr = dict(c, mode='riemann', start=0.0, step=0.01)
        sr = tool_scores('exact.t0.fine', t_obs.reshape(1, Xi.shape[1], nvi), nvi, ei, cr)
        rel = np.abs(sr[0] - s[0]).sum() / s[0].sum()
        report('exact.t0.riemann_close', rel < 0.02, 'relative L1 %g' % rel)
    check_cli()
    return 0


def check_cli():
    """clusterperm onesample --tfce-steps 0,0.2 --tfce-formula mne1.3 --compat mne1.3 on a
    simulated study against MNE on the same files (faces - scrambled, spatial_src_adjacency):
    tfce-*.stc equal MNE's t_obs in float32, h0.txt its H0, tfce-p-*.stc its p-values."""
    cp = os.path.join(BUILD, 'clusterperm')
    if not report('cli.built', os.path.exists(cp), '%s not built' % cp):
        return
    study, out = os.path.join(TMP, 'study'), os.path.join(TMP, 'cli_out')
    faces, scr = 'mne_dSPM_inverse_morph-faces_eq', 'mne_dSPM_inverse_morph-scrambled_eq'
    p = subprocess.run([cp, 'simulate', study, '--grade', '2', '--subjects', '8', '--n-times',
                        '10', '--seed', '3'], capture_output=True, text=True)
    if not report('cli.simulate', p.returncode == 0, p.stderr.strip()):
        return
    src = os.path.join(study, 'fsaverage-ico2-src.fif')
    a, b = os.path.join(study, 'sub*', faces), os.path.join(study, 'sub*', scr)
    p = subprocess.run([cp, 'onesample', '--a', a, '--b', b, '--src', src, '--out', out,
                        '--tfce-steps', '0,0.2', '--tfce-formula', 'mne1.3', '--compat',
                        'mne1.3', '--n-permutations', '6', '--seed', '0'],
                       capture_output=True, text=True)
    if not report('cli.run', p.returncode == 0, p.stderr.strip()):
        return
    report('cli.log', 'Found 3240 clusters' in p.stdout and
           'for TFCE computation (h_power=2.00, e_power=0.50)' in p.stdout, p.stdout[-300:])
    subjects = sorted(glob.glob(os.path.join(study, 'sub*')))
    X = (np.array([mne.read_source_estimate(os.path.join(s, faces)).data.T for s in subjects],
                  float) -
         np.array([mne.read_source_estimate(os.path.join(s, scr)).data.T for s in subjects],
                  float))
    adj = mne.spatial_src_adjacency(mne.read_source_spaces(src, verbose=False), verbose=False)
    T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
        X, threshold=dict(start=0, step=0.2), n_permutations=6, tail=0, adjacency=adj,
        n_jobs=1, seed=0, buffer_size=None, verbose=False)
    got = mne.read_source_estimate(os.path.join(out, 'tfce')).data
    report('cli.tfce_stc', np.array_equal(got, T.T.astype(np.float32)), 'differs')
    gotp = mne.read_source_estimate(os.path.join(out, 'tfce-p')).data
    report('cli.tfce_p_stc', np.array_equal(gotp, np.asarray(pv).reshape(T.shape).T.astype(
        np.float32)), 'differs')
    h0 = np.loadtxt(os.path.join(out, 'h0.txt'))
    report('cli.h0', np.array_equal(h0, H0), 'differs')
    with open(os.path.join(out, 'tfce.json')) as f:
        js = json.load(f)
    report('cli.json', js['significant']['n_points'] == int(np.sum(pv < 0.05)) and
           js['tfce']['formula'] == 'mne1.3' and js['n_orders'] == 5, str(js)[:200])


if __name__ == '__main__':
    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(1 if FAILED[0] else 0)
