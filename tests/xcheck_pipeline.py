"""xcheck_pipeline.py - the whole seed pipeline, `clusterperm simulate` + `clusterperm
onesample`, against the seed's code run by MNE 1.3 on the same files.

A small study (ico-3, 10 subjects, 20 times) is simulated by the CLI. MNE reads our
-src.fif (checked against MNE's own ico-3 surface) and the .stc files exactly as the seed
does (read_source_estimate, crop(0, None), magnitude -- the absolute value for these scalar
estimates --, faces - scrambled, spatial_src_adjacency, threshold from scipy's t.ppf,
ttest_1samp_no_p with sigma=1e-3, seed 0) and runs spatio_temporal_cluster_1samp_test:
  - default mode against MNE's global path (combine_adjacency(n_times, adjacency)),
  - --compat mne1.3 against MNE with the spatial adjacency (the list path),
  - 7 subjects given by list files: one-tailed, step-down, n_permutations='all',
    --compat mne1.3, -j 2.
Asserted: the tobs-*.stc files are byte-identical to MNE's SourceEstimate(T_obs.T).save();
the log lines MNE prints are ours; clusters (count, order, vertices per hemisphere, time
span, size, statistic, peak), p-values and H0 are equal; the summary-*.stc files are
byte-identical to summarize_clusters_stc(clu, tstep=tstep * 1000).save().

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
from functools import partial

os.environ.setdefault('MNE_TQDM', 'off')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402
import mne  # noqa: E402
from mne.stats import (spatio_temporal_cluster_1samp_test,  # noqa: E402
                       summarize_clusters_stc, ttest_1samp_no_p)

BUILD = os.environ.get('CPERM_BUILD', 'build')
CP = os.path.join(BUILD, 'clusterperm')
FACES = 'mne_dSPM_inverse_morph-faces_eq'
SCRAMBLED = 'mne_dSPM_inverse_morph-scrambled_eq'
GRADE, N_SUBJECTS, N_TIMES, SIM_SEED = 3, 10, 20, 7
SIM_TSTEP = '0.001665'  # MNE sample data's 600.615 Hz: summary durations are not integers
import testdata  # noqa: E402  (tests/data/, the committed MNE-written -stc.h5 files)

failures = 0


def report(name, cond, why=''):
    global failures
    if cond:
        print('ok ' + name)
    else:
        failures += 1
        print('FAIL %s: %s' % (name, why))
    sys.stdout.flush()
    return cond


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def load_seed_data(study):
    """The seed's loop: crop(0., None).magnitude().data.T per subject, then faces - scrambled."""
    faces, scrambled, tstep, vertices = [], [], None, None
    for subject in sorted(glob.glob(os.path.join(study, 'sub*'))):
        stc = mne.read_source_estimate(os.path.join(subject, FACES))
        faces.append(np.abs(stc.crop(0., None).data).T)
        stc = mne.read_source_estimate(os.path.join(subject, SCRAMBLED))
        scrambled.append(np.abs(stc.crop(0., None).data).T)
        tstep, tmin, vertices = stc.tstep, stc.tmin, stc.vertices
    X = np.array(faces, float) - np.array(scrambled, float)
    return X, tmin, tstep, vertices


def run_cli(study, out, extra, a=None, b=None):
    cmd = [CP, 'onesample',
           '--a', a or os.path.join(study, 'sub*', FACES),
           '--b', b or os.path.join(study, 'sub*', SCRAMBLED),
           '--src', os.path.join(study, 'fsaverage-ico%d-src.fif' % GRADE),
           '--tmin', '0', '--magnitude', '--sigma', '1e-3', '--seed', '0',
           '--out', out] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def run_mne(X, adjacency, threshold, tail, n_permutations, step_down_p):
    stat_fun = partial(ttest_1samp_no_p, sigma=1e-3)
    with mne.utils.catch_logging() as log:
        clu = spatio_temporal_cluster_1samp_test(
            X, adjacency=adjacency, n_jobs=1, threshold=threshold, stat_fun=stat_fun,
            buffer_size=None, seed=0, tail=tail, n_permutations=n_permutations,
            step_down_p=step_down_p, verbose=True)
    return clu, log.getvalue().splitlines()


def check_case(name, study, tmp, X, tmin, tstep, vertices, cli_args, adjacency, threshold,
               tail, n_permutations, step_down_p, lists=(None, None)):
    out = os.path.join(tmp, name)
    rc, stdout, stderr = run_cli(study, out, cli_args, *lists)
    if not report(name + '.cli_status', rc == 0 and stderr == '',
                  'status %d, stderr %r' % (rc, stderr)):
        return
    clu, mne_log = run_mne(X, adjacency, threshold, tail, n_permutations, step_down_p)
    T_obs, clusters, pv, H0 = clu
    nv = T_obs.shape[1]
    n_lh = len(vertices[0])

    # The lines MNE 1.3 logs are printed by us, in the same order and format.
    ours = stdout.splitlines()
    shared = [line for line in mne_log if line.startswith(('stat_fun', 'Running', 'Found',
                                                           'Step-down'))]
    ours_shared = [line for line in ours if line.startswith(('stat_fun', 'Running',
                                                             'Found', 'Step-down'))
                   and not line.startswith('Found cluster with')]
    report(name + '.log_lines', shared == ours_shared and len(shared) >= 3,
           'MNE %r, ours %r' % (shared, ours_shared))
    want_found = ['Found cluster with p=%g' % p for p in pv if p < 0.05]
    report(name + '.log_significant', [line for line in ours if line.startswith(
        'Found cluster with')] == want_found, 'want %r' % want_found)

    # T_obs as an stc: byte-identical to MNE's own writer.
    mne.SourceEstimate(T_obs.T, vertices, tmin, tstep).save(
        os.path.join(tmp, name + '-mne-tobs'), overwrite=True, verbose=False)
    for hemi in ('lh', 'rh'):
        report('%s.tobs_%s_bytes' % (name, hemi),
               read_bytes(os.path.join(out, 'tobs-%s.stc' % hemi)) ==
               read_bytes(os.path.join(tmp, name + '-mne-tobs-%s.stc' % hemi)),
               'tobs-%s.stc differs from MNE\'s' % hemi)

    # Clusters, p-values, H0.
    res = json.load(open(os.path.join(out, 'clusters.json')))
    ok = report(name + '.n_clusters', res['n_clusters'] == len(clusters) ==
                len(res['clusters']), 'ours %d, MNE %d' % (res['n_clusters'], len(clusters)))
    if ok:
        bad = []
        for k, ((t_inds, v_inds), c) in enumerate(zip(clusters, res['clusters'])):
            lh = sorted(set(int(vertices[0][v]) for v in v_inds if v < n_lh))
            rh = sorted(set(int(vertices[1][v - n_lh]) for v in v_inds if v >= n_lh))
            flat = t_inds * nv + v_inds
            a = np.abs(T_obs.ravel()[flat])
            peak = flat[a == a.max()].min()
            pt, pvx = divmod(int(peak), nv)
            peak_vertex = int(vertices[0][pvx]) if pvx < n_lh else int(vertices[1][pvx - n_lh])
            stat = float(np.sum(T_obs[t_inds, v_inds]))
            checks = [
                c['index'] == k, c['n_points'] == len(t_inds),
                c['vertices']['lh'] == lh, c['vertices']['rh'] == rh,
                abs(c['time_ms'][0] - round((tmin + tstep * t_inds.min()) * 1e3, 6)) < 1e-9,
                abs(c['time_ms'][1] - round((tmin + tstep * t_inds.max()) * 1e3, 6)) < 1e-9,
                abs(c['statistic'] - stat) <= 1e-9 * max(1.0, abs(stat)),
                c['p'] == pv[k],
                c['peak']['vertex'] == peak_vertex,
                c['peak']['hemi'] == ('lh' if pvx < n_lh else 'rh'),
                c['peak']['t'] == T_obs[pt, pvx],
            ]
            if not all(checks):
                bad.append((k, checks))
        report(name + '.clusters', not bad, 'clusters differ (index, checks): %r' % bad[:3])
        report(name + '.pvalues', [c['p'] for c in res['clusters']] == list(pv),
               'p-values differ')
    h0 = np.loadtxt(os.path.join(out, 'h0.txt'), ndmin=1)
    report(name + '.h0', h0.shape == H0.shape and np.array_equal(h0, H0),
           'H0 differs: %d vs %d values, max diff %s' % (
               len(h0), len(H0), np.max(np.abs(h0 - H0)) if h0.shape == H0.shape else '-'))
    report(name + '.parameters', abs(res['parameters']['threshold'] - threshold) <= 1e-12 *
           abs(threshold), 'threshold %r vs scipy %r' % (res['parameters']['threshold'],
                                                         threshold))

    # The summary: byte-identical to summarize_clusters_stc(...).save().
    significant = (pv < 0.05).any()
    if significant:
        summ = summarize_clusters_stc(clu, tstep=tstep * 1000, vertices=vertices,
                                      subject='fsaverage')
        summ.save(os.path.join(tmp, name + '-mne-summary'), overwrite=True, verbose=False)
        for hemi in ('lh', 'rh'):
            path = os.path.join(out, 'summary-%s.stc' % hemi)
            report('%s.summary_%s_bytes' % (name, hemi), os.path.exists(path) and
                   read_bytes(path) == read_bytes(os.path.join(
                       tmp, name + '-mne-summary-%s.stc' % hemi)),
                   'summary-%s.stc missing or differs from MNE\'s' % hemi)
    else:
        report(name + '.no_summary', not glob.glob(os.path.join(out, 'summary-*')),
               'a summary was written without significant clusters')
    return clu


def check_h5_case(study, tmp, adjacency):
    """Vector -stc.h5 estimates written by MNE 1.3 (as the seed's) for A, scalar .stc for B:
    --magnitude takes the norm over orientations, as VectorSourceEstimate.magnitude()."""
    h5 = testdata.VEC_SMALL
    if not os.path.exists(h5):
        report('pipeline.h5_vector.data', False, '%s missing' % h5)
        return
    # Debian's MNE cannot read -stc.h5 (no h5io): MNE's magnitude() of the arrays h5py reads.
    mag, _ = testdata.vec_small_magnitude()
    vertices = [np.arange(642), np.arange(642)]
    rng = np.random.RandomState(3)
    h5study = os.path.join(tmp, 'h5study')
    A, B = [], []
    for i in range(6):
        d = os.path.join(h5study, 'sub%02d' % (i + 1))
        os.makedirs(d)
        shutil.copy(h5, os.path.join(d, 'vec-stc.h5'))
        base = mne.SourceEstimate(mag * rng.uniform(0.5, 1.5, mag.shape), vertices, -0.02,
                                  0.004)
        base.save(os.path.join(d, 'base'), verbose=False)
        A.append(mne.SourceEstimate(mag, vertices, -0.02, 0.004).crop(0., None))
        B.append(mne.read_source_estimate(os.path.join(d, 'base')).crop(0., None))
    X = (np.array([a.data.T for a in A], float) - np.array([np.abs(b.data).T for b in B], float))
    check_case('pipeline.h5_vector', study, tmp, X, A[0].tmin, A[0].tstep, vertices,
               ['--t-threshold', '1.5', '--n-permutations', 'all'],
               mne.stats.combine_adjacency(X.shape[1], adjacency), 1.5, 0, 'all', 0,
               lists=(os.path.join(h5study, 'sub*', 'vec'),
                      os.path.join(h5study, 'sub*', 'base')))


def main():
    if not os.access(CP, os.X_OK):
        report('pipeline.cli_built', False, '%s not built' % CP)
        return 1
    tmp = tempfile.mkdtemp(prefix='cperm-xpipe-')
    try:
        study = os.path.join(tmp, 'study')
        p = subprocess.run([CP, 'simulate', study, '--grade', str(GRADE), '--subjects',
                            str(N_SUBJECTS), '--n-times', str(N_TIMES), '--seed',
                            str(SIM_SEED), '--tstep', SIM_TSTEP], capture_output=True,
                           text=True)
        if not report('pipeline.simulate', p.returncode == 0, p.stderr):
            return 1

        # Our simulated source space reads in MNE and is MNE's ico-3 sphere.
        src = mne.read_source_spaces(os.path.join(study, 'fsaverage-ico%d-src.fif' % GRADE),
                                     verbose=False)
        ico = mne.surface._get_ico_surface(GRADE)
        report('pipeline.src_reads_in_mne', len(src) == 2 and src.kind == 'surface' and
               [s['id'] for s in src] == [101, 102] and all(
                   s['nuse'] == s['np'] == len(ico['rr']) for s in src),
               'MNE read %r' % src)
        report('pipeline.src_ico_tris', all(np.array_equal(s['tris'], ico['tris']) and
                                            np.array_equal(s['use_tris'], ico['tris'])
                                            for s in src), 'triangles differ from MNE ico')
        unit = [(s['rr'] - s['rr'].mean(0)) for s in src]
        unit = [u / np.linalg.norm(u, axis=1, keepdims=True) for u in unit]
        report('pipeline.src_ico_positions', all(
            np.abs(u - ico['rr']).max() < 1e-3 for u in unit) and
            src[0]['rr'][:, 0].max() < 0 < src[1]['rr'][:, 0].min(),
            'vertex positions differ from MNE ico or hemispheres overlap')
        adjacency = mne.spatial_src_adjacency(src, verbose=False)

        X, tmin, tstep, vertices = load_seed_data(study)
        truth = json.load(open(os.path.join(study, 'truth.json')))
        n_subjects, n_times = X.shape[0], X.shape[1]
        report('pipeline.data_shape', X.shape == (N_SUBJECTS, N_TIMES - 5, 2 * len(ico['rr'])),
               'X shape %r' % (X.shape,))

        p_threshold = 0.01
        t_two = -stats.distributions.t.ppf(p_threshold / 2., n_subjects - 1)
        common = ['--p-threshold', str(p_threshold), '--n-permutations', '128']
        clu = check_case('pipeline.default', study, tmp, X, tmin, tstep, vertices, common,
                         mne.stats.combine_adjacency(n_times, adjacency), t_two, 0, 128, 0)
        if clu is not None:
            # The injected effect is found: a significant cluster overlapping the patch.
            T_obs, clusters, pv, _ = clu
            patch = set(truth['vertices'])
            hit = any(pv[k] < 0.05 and patch & set(int(v) for v in clusters[k][1]
                                                   if v < len(vertices[0]))
                      for k in range(len(clusters)))
            report('pipeline.effect_found', hit, 'no significant cluster overlaps the patch')
        check_case('pipeline.compat_mne13', study, tmp, X, tmin, tstep, vertices,
                   common + ['--compat', 'mne1.3'], adjacency, t_two, 0, 128, 0)

        # The first 7 subjects through list files (stems for A, -lh.stc files for B):
        # one-tailed p threshold, step-down, n_permutations='all' (126 of 127 patterns).
        subjects = sorted(glob.glob(os.path.join(study, 'sub*')))[:7]
        lists = (os.path.join(tmp, 'a.txt'), os.path.join(tmp, 'b.txt'))
        with open(lists[0], 'w') as f:
            f.write(''.join(os.path.join(s, FACES) + '\n' for s in subjects))
        with open(lists[1], 'w') as f:
            f.write(''.join(os.path.join(s, SCRAMBLED) + '-lh.stc\n' for s in subjects))
        t_one = -stats.distributions.t.ppf(p_threshold, 7 - 1)
        check_case('pipeline.tail1_stepdown_all', study, tmp, X[:7], tmin, tstep, vertices,
                   ['--p-threshold', str(p_threshold), '--tail', '1', '--n-permutations',
                    'all', '--step-down-p', '0.05', '--compat', 'mne1.3', '-j', '2'],
                   adjacency, t_one, 1, 'all', 0.05,
                   lists=tuple('@' + path for path in lists))
        check_h5_case(study, tmp, adjacency)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
