"""xcheck_independent.py - `clusterperm independent` against MNE 1.3's
spatio_temporal_cluster_test on the same files.

A study (ico-3, 12 subjects, 16 times) is simulated by the CLI; groups are made of its files
through list files (faces of six subjects, scrambled of the six others, and for three groups
faces of four more). MNE reads every estimate (read_source_estimate, crop(0, None)) and runs
spatio_temporal_cluster_test with the spatial adjacency of our -src.fif:
  - the F test with MNE's default threshold (f.ppf(0.95, k - 1, n - k)), default mode
    against MNE's global path (combine_adjacency(n_times, adjacency)), 2 and 3 groups;
  - --compat mne1.3 against MNE's list path (the spatial adjacency);
  - the two-sample t (ttest_ind_no_p), two-sided, Welch, step-down, -j 2.
Asserted: tobs-*.stc byte-identical to MNE's SourceEstimate(T_obs.T).save(); the threshold;
MNE's log lines; the clusters (count, order, vertex sets), p-values and every H0 value.

Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure. Build dir from $CPERM_BUILD.
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings
from functools import partial

os.environ.setdefault('MNE_TQDM', 'off')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402
import mne  # noqa: E402
from mne.stats import spatio_temporal_cluster_test, ttest_ind_no_p  # noqa: E402

BUILD = os.environ.get('CPERM_BUILD', 'build')
CP = os.path.join(BUILD, 'clusterperm')
FACES = 'mne_dSPM_inverse_morph-faces_eq'
SCRAMBLED = 'mne_dSPM_inverse_morph-scrambled_eq'
GRADE = 3
FAILED = [0]


def report(name, cond, why=''):
    name = 'independent.' + name
    print(('ok %s' % name) if cond else ('FAIL %s: %s' % (name, why)))
    sys.stdout.flush()
    if not cond:
        FAILED[0] += 1
    return cond


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def load(stems):
    data, stc = [], None
    for s in stems:
        stc = mne.read_source_estimate(s).crop(0., None)
        data.append(stc.data.T)
    return np.array(data, float), stc


def check(name, tmp, study, groups, cli_extra, mne_kw, adjacency, threshold=None,
          want_significant=True):
    lists = []
    for g, stems in enumerate(groups):
        path = os.path.join(tmp, '%s-group%d.txt' % (name, g + 1))
        with open(path, 'w') as f:
            f.write('\n'.join(stems) + '\n')
        lists += ['--group', '@' + path]
    out = os.path.join(tmp, name)
    cmd = [CP, 'independent'] + lists + [
        '--src', os.path.join(study, 'fsaverage-ico%d-src.fif' % GRADE), '--tmin', '0',
        '--seed', '0', '--n-permutations', '200', '--out', out] + cli_extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if not report(name + '.cli_status', p.returncode == 0 and p.stderr == '',
                  'status %d, stderr %r' % (p.returncode, p.stderr)):
        return
    loaded = [load(stems) for stems in groups]
    X = [x for x, _ in loaded]
    stc = loaded[0][1]
    with mne.utils.catch_logging() as log:
        T_obs, clusters, pv, H0 = spatio_temporal_cluster_test(
            X, adjacency=adjacency, threshold=threshold, n_permutations=200, seed=0, n_jobs=1,
            buffer_size=None, verbose=True, **mne_kw)
    mne_log = log.getvalue().splitlines()
    ours = p.stdout.splitlines()
    keys = ('stat_fun', 'Running', 'Found', 'Using a threshold', 'Step-down')
    shared = [x for x in mne_log if x.startswith(keys) and not x.startswith('Found cluster')]
    ours_shared = [x for x in ours if x.startswith(keys) and not x.startswith('Found cluster')]
    report(name + '.log_lines', shared == ours_shared and len(shared) >= 3,
           'MNE %r, ours %r' % (shared, ours_shared))
    mne.SourceEstimate(T_obs.T, stc.vertices, stc.tmin, stc.tstep).save(
        os.path.join(tmp, name + '-mne'), overwrite=True, verbose=False)
    for hemi in ('lh', 'rh'):
        report('%s.tobs_%s_bytes' % (name, hemi),
               read_bytes(os.path.join(out, 'tobs-%s.stc' % hemi)) ==
               read_bytes(os.path.join(tmp, name + '-mne-%s.stc' % hemi)), 'differs')
    res = json.load(open(os.path.join(out, 'clusters.json')))
    nv, n_lh = T_obs.shape[1], len(stc.vertices[0])
    report(name + '.nontrivial', len(clusters) >= 2 and np.count_nonzero(H0[1:]) > 0 and
           (not want_significant or (pv < 0.05).any()),
           '%d clusters, min p %s' % (len(clusters), pv.min() if len(pv) else '-'))
    same = res['n_clusters'] == len(clusters)
    for k, ((ti, vi), c) in enumerate(zip(clusters, res['clusters'])):
        lh = sorted(set(int(stc.vertices[0][v]) for v in vi if v < n_lh))
        rh = sorted(set(int(stc.vertices[1][v - n_lh]) for v in vi if v >= n_lh))
        same = same and c['index'] == k and c['n_points'] == len(ti) and \
            c['vertices']['lh'] == lh and c['vertices']['rh'] == rh and c['p'] == pv[k]
    report(name + '.clusters', same, 'ours %d, MNE %d' % (res['n_clusters'], len(clusters)))
    h0 = np.loadtxt(os.path.join(out, 'h0.txt'), ndmin=1)
    report(name + '.h0', h0.shape == H0.shape and np.array_equal(h0, H0),
           '%d vs %d values' % (len(h0), len(H0)))
    if threshold is None:  # MNE's default for the F test
        dfn, dfd = len(groups) - 1, sum(len(g) for g in groups) - len(groups)
        threshold = stats.f.ppf(1. - 0.05, dfn, dfd)
    report(name + '.threshold', res['parameters']['threshold'] == threshold,
           '%r vs %r' % (res['parameters']['threshold'], threshold))
    report(name + '.design', res['test'] == 'spatio_temporal_cluster_test' and
           'independent' in res['design'] and len(res['parameters']['groups']) == len(groups),
           '%r %r' % (res['test'], res['design']))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        study = os.path.join(tmp, 'study')
        subprocess.run([CP, 'simulate', study, '--grade', str(GRADE), '--subjects', '16',
                        '--n-times', '16', '--seed', '1'], check=True, capture_output=True)
        subs = sorted(os.path.join(study, s) for s in os.listdir(study) if s.startswith('sub'))
        g1 = [os.path.join(s, FACES) for s in subs[:6]]
        g2 = [os.path.join(s, SCRAMBLED) for s in subs[6:12]]
        g3 = [os.path.join(s, FACES) for s in subs[12:16]]
        src = mne.read_source_spaces(os.path.join(study, 'fsaverage-ico%d-src.fif' % GRADE),
                                     verbose=False)
        adj = mne.spatial_src_adjacency(src, verbose=False)
        n_times = load(g1[:1])[0].shape[1]
        full = mne.stats.combine_adjacency(n_times, adj)
        # MNE's default F threshold (p = 0.05) makes many small clusters, none significant
        # here; the t cases below have significant ones
        check('f2_default', tmp, study, [g1, g2], [], {}, full, want_significant=False)
        check('f2_compat', tmp, study, [g1, g2], ['--compat', 'mne1.3'], {}, adj,
              want_significant=False)
        check('f3_tail1', tmp, study, [g1, g2, g3], ['--tail', '1'], dict(tail=1), full,
              want_significant=False)
        thr_f = stats.f.ppf(1 - 0.001, 1, len(g1) + len(g2) - 2)
        check('f2_p001', tmp, study, [g1, g2], ['--p-threshold', '0.001'], {}, full, thr_f)
        thr = -stats.t.ppf(0.01 / 2, len(g1) + len(g2) - 2)
        check('t_two_sided', tmp, study, [g1, g2], ['--stat', 't', '--p-threshold', '0.01'],
              dict(stat_fun=ttest_ind_no_p), full, thr)
        check('t_welch_stepdown_j2', tmp, study, [g1, g2],
              ['--stat', 't', '--welch', '--t-threshold', repr(thr), '--step-down-p', '0.05',
               '-j', '2', '--compat', 'mne1.3'],
              dict(stat_fun=partial(ttest_ind_no_p, equal_var=False), step_down_p=0.05), adj,
              thr)
    return 1 if FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
