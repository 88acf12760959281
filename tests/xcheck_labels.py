"""xcheck_labels.py - issue 18's anatomy and effect sizes against MNE 1.3 and numpy.

A small study (ico-3) is simulated by the CLI; a temporary SUBJECTS_DIR gets the source
space's surfaces as surf/?h.white (mne.write_surface), a parcellation written by
mne.write_labels_to_annot (regions cut by the vertices' positions, some vertices left in
none), one label saved by Label.save, an orig.mgz header (a tilted, offset scanner frame) and
a talairach.xfm (mne.transforms._write_fs_xfm). Then `clusterperm onesample --parc ...
--label ... --subjects-dir ... --subject ...` runs with --compat mne1.3 and MNE's
spatio_temporal_cluster_1samp_test runs on the same data, and:
  - each cluster's regions (vertex counts and fractions) equal those of
    mne.read_labels_from_annot's label.vertices for the cluster's vertices, and its peak's
    region is the label holding the peak vertex; the --label counts equal read_label's;
  - the peak's MNI coordinates equal mne.vertex_to_mni to 1e-6 mm;
  - the effect sizes (mean contrast, its CI, Cohen's d and its CI) equal numpy's on MNE's
    clusters (the same clusters: same order, same points);
  - clusters.tsv reads back in pandas with the JSON's values;
  - independent (F) and rm-anova runs with --parc give regions equal to MNE's labels too,
    and partial eta^2 equal to numpy's one-way ANOVA of the cluster-averaged data (F) and in
    [0, 1] (rm-anova).
Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure. Build dir from $CPERM_BUILD.
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault('MNE_TQDM', 'off')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402
import mne  # noqa: E402
from mne.transforms import _write_fs_xfm  # noqa: E402

BUILD = os.environ.get('CPERM_BUILD', 'build')
CP = os.path.join(BUILD, 'clusterperm')
FACES = 'mne_dSPM_inverse_morph-faces_eq'
SCRAMBLED = 'mne_dSPM_inverse_morph-scrambled_eq'
SUBJECT = 'xsubj'
PARC = 'testparc'
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


def write_mgz(path):
    """An MGH header (all MNE's _get_mgz_header reads), a tilted and offset scanner frame."""
    a = np.deg2rad(7.0)
    x = np.array([-np.cos(a), np.sin(a), 0.0], np.float32)   # x_r, x_a, x_s
    y = np.array([0.0, 0.0, -1.0], np.float32)
    z = np.array([np.sin(a), np.cos(a), 0.0], np.float32)
    hdr = struct.pack('>i4i2ih', 1, 240, 256, 176, 1, 0, 0, 1)
    hdr += struct.pack('>3f', 1.0, 0.9375, 1.25)
    hdr += struct.pack('>9f', *x, *y, *z)
    hdr += struct.pack('>3f', 2.5, -17.25, 11.0)
    with gzip.open(path, 'wb') as f:
        f.write(hdr + bytes(194))


def make_subject(subjects_dir, src, centre, patch):
    d = os.path.join(subjects_dir, SUBJECT)
    for sub in ('surf', 'label', 'mri/transforms'):
        os.makedirs(os.path.join(d, sub))
    for s, hemi in zip(src, ('lh', 'rh')):
        mne.write_surface(os.path.join(d, 'surf', hemi + '.white'), s['rr'] * 1000.0, s['tris'])
    write_mgz(os.path.join(d, 'mri', 'orig.mgz'))
    xfm = np.array([[1.02, 0.03, -0.01, 1.5], [-0.02, 0.98, 0.05, -3.25],
                    [0.01, -0.04, 1.07, 2.0], [0, 0, 0, 1.0]])
    _write_fs_xfm(os.path.join(d, 'mri', 'transforms', 'talairach.xfm'), xfm, 'MNI Transform File')
    # regions by position, cut through the simulated effect's centre (so that its cluster
    # covers several), with every fifth vertex left in no region
    # (write_labels_to_annot puts those in its 'unknown' label)
    labels = []
    rng = np.random.RandomState(3)
    for s, hemi in zip(src, ('lh', 'rh')):
        rr = s['rr'] - (s['rr'][centre] if hemi == 'lh' else s['rr'].mean(0))
        names = {}
        for v in range(len(rr)):
            if v % 5 == 0:  # in no region
                continue
            key = ('ant' if rr[v, 1] > 0 else 'post') + ('sup' if rr[v, 2] > 0 else 'inf') + \
                  ('lat' if rr[v, 0] < -0.02 else 'med')
            names.setdefault(key, []).append(v)
        for key in sorted(names):
            labels.append(mne.Label(np.array(names[key]), hemi=hemi, name=key + '-' + hemi,
                                    subject=SUBJECT, color=tuple(rng.uniform(0.1, 0.9, 3)) + (1.0,)))
    mne.write_labels_to_annot(labels, subject=SUBJECT, parc=PARC, subjects_dir=subjects_dir,
                              overwrite=True, verbose=False)
    # a .label file: every other vertex of the simulated patch (not a parcellation region)
    verts = np.array(sorted(patch[::2]))
    extra = mne.Label(verts, pos=src[0]['rr'][verts], hemi='lh', name='handmade-lh',
                      subject=SUBJECT)
    label_path = os.path.join(d, 'label', 'handmade-lh.label')
    mne.write_label(label_path, extra, verbose=False)
    return label_path


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def check_regions(tag, clusters, mne_labels, label_files=()):
    """Regions of each cluster against MNE's labels; returns the number of mismatches."""
    bad = []
    n_checked = 0
    for c in clusters:
        verts = {h: np.array(c['vertices'].get(h, []), int) for h in ('lh', 'rh')}
        n_vert = sum(len(v) for v in verts.values())
        want = {}
        for lab in mne_labels:
            n = len(np.intersect1d(verts[lab.hemi], lab.vertices))
            if n:
                want[lab.name] = n
        got = {r['name']: r['n_vertices'] for r in c['regions']}
        fr_ok = all(abs(r['fraction'] - r['n_vertices'] / n_vert) < 1e-15 for r in c['regions'])
        pk = c['peak']
        peak_want = [lab.name for lab in mne_labels
                     if lab.hemi == pk['hemi'] and pk['vertex'] in lab.vertices]
        peak_want = peak_want[0] if peak_want else None
        unl = n_vert - sum(want.values())
        for lf in label_files:
            lab = mne.read_label(lf)
            n = len(np.intersect1d(verts[lab.hemi], lab.vertices))
            g = [x for x in c['labels'] if x['name'] == lab.name]
            if not g or g[0]['n_vertices'] != n:
                bad.append('cluster %d label %s: %r vs %d' % (c['index'], lab.name, g, n))
        if got != want or not fr_ok or c['peak_region'] != peak_want or c['n_unlabelled'] != unl:
            bad.append('cluster %d: %r vs MNE %r; peak %r vs %r; unlabelled %r vs %r' % (
                c['index'], got, want, c['peak_region'], peak_want, c['n_unlabelled'], unl))
        n_checked += 1
    n_regions = sum(len(c['regions']) for c in clusters)
    report(tag + '.regions_equal_mne', not bad and n_checked > 0 and n_regions > n_checked,
           '%d clusters, %d regions: %s' % (n_checked, n_regions, '; '.join(bad[:3])))
    return bad


def main():
    if not os.access(CP, os.X_OK):
        report('labels.cli_built', False, '%s not built' % CP)
        return 1
    tmp = tempfile.mkdtemp(prefix='cperm-xlabels-')
    try:
        study = os.path.join(tmp, 'study')
        p = run([CP, 'simulate', study, '--grade', '3', '--subjects', '12', '--n-times', '20',
                 '--seed', '5'])
        if not report('labels.simulate', p.returncode == 0, p.stderr):
            return 1
        src_path = os.path.join(study, 'fsaverage-ico3-src.fif')
        src = mne.read_source_spaces(src_path, verbose=False)
        subjects_dir = os.path.join(tmp, 'subjects')
        truth = json.load(open(os.path.join(study, 'truth.json')))
        label_path = make_subject(subjects_dir, src, truth['centre_vertex'], truth['vertices'])
        mne_labels = mne.read_labels_from_annot(SUBJECT, PARC, subjects_dir=subjects_dir,
                                                verbose=False)
        report('labels.mne_parcellation', len(mne_labels) >= 8, '%d labels' % len(mne_labels))

        out = os.path.join(tmp, 'out')
        atlas = ['--parc', PARC, '--subjects-dir', subjects_dir, '--subject', SUBJECT,
                 '--label', label_path]
        p = run([CP, 'onesample', '--a', os.path.join(study, 'sub*', FACES),
                 '--b', os.path.join(study, 'sub*', SCRAMBLED), '--src', src_path,
                 '--out', out, '--p-threshold', '0.05', '--n-permutations', '64',
                 '--compat', 'mne1.3', '-q'] + atlas)
        if not report('labels.onesample_runs', p.returncode == 0, p.stderr):
            return 1
        res = json.load(open(os.path.join(out, 'clusters.json')))
        clusters = res['clusters']
        report('labels.json_atlas', res['atlas']['parc'] == PARC and res['atlas']['mni'] is True
               and len(clusters) >= 2, 'atlas %r, %d clusters' % (res.get('atlas'), len(clusters)))
        check_regions('labels.onesample', clusters, mne_labels, [label_path])
        report('labels.onesample_coverage',
               any(len(c['regions']) >= 3 for c in clusters) and
               any(c['labels'][0]['n_vertices'] > 0 for c in clusters) and
               any(r['name'].startswith('unknown-') for c in clusters for r in c['regions']),
               'no cluster with 3 regions, a label hit, and one in MNE\'s "unknown" label '
               '(the vertices write_labels_to_annot leaves in no region)')

        # MNI of each peak against mne.vertex_to_mni
        worst = 0.0
        for c in clusters:
            pk = c['peak']
            want = mne.vertex_to_mni(pk['vertex'], 0 if pk['hemi'] == 'lh' else 1, SUBJECT,
                                     subjects_dir=subjects_dir, verbose=False)
            worst = max(worst, float(np.abs(np.array(pk['mni_mm']) - want).max()))
        report('labels.mni_equals_vertex_to_mni', worst < 1e-6, 'max |diff| %g mm' % worst)
        # and the peak position is the source space's vertex (mm)
        worst = 0.0
        for c in clusters:
            pk = c['peak']
            rr = src[0 if pk['hemi'] == 'lh' else 1]['rr'][pk['vertex']] * 1000.0
            worst = max(worst, float(np.abs(np.array(pk['pos_mm']) - rr).max()))
        report('labels.peak_pos_mm', worst < 1e-3, 'max |diff| %g mm' % worst)

        # the same clusters in MNE, and the effect sizes by numpy
        X = []
        for sub in sorted(os.listdir(study)):
            if not sub.startswith('sub'):
                continue
            fa = mne.read_source_estimate(os.path.join(study, sub, FACES))
            sc = mne.read_source_estimate(os.path.join(study, sub, SCRAMBLED))
            X.append((fa.data.astype(float) - sc.data.astype(float)).T)
        X = np.array(X)
        n = X.shape[0]
        thr = -stats.t.ppf(0.05 / 2, n - 1)
        adj = mne.spatial_src_adjacency(src, verbose=False)
        _, mclu, _, _ = mne.stats.spatio_temporal_cluster_1samp_test(
            X, threshold=thr, n_permutations=64, adjacency=adj, seed=0, tail=0,
            out_type='indices', verbose=False)
        same = len(mclu) == len(clusters) and all(
            len(mclu[k][0]) == clusters[k]['n_points'] for k in range(len(mclu)))
        report('labels.same_clusters_as_mne', same, '%d vs %d clusters' % (len(mclu), len(clusters)))
        worst = 0.0
        for k, (ti, vi) in enumerate(mclu if same else []):
            cavg = X[:, ti, vi].mean(axis=1)
            m, sd = cavg.mean(), cavg.std(ddof=1)
            tq = stats.t.ppf(0.975, n - 1)
            d = m / sd
            sed = np.sqrt(1.0 / n + d * d / (2 * n))
            want = [m, m - tq * sd / np.sqrt(n), m + tq * sd / np.sqrt(n), d,
                    d - 1.959963984540054 * sed, d + 1.959963984540054 * sed]
            e = clusters[k]['effect']
            got = [e['mean'], e['mean_ci95'][0], e['mean_ci95'][1], e['cohens_d'],
                   e['cohens_d_ci95'][0], e['cohens_d_ci95'][1]]
            worst = max(worst, max(abs(g - w) / max(1.0, abs(w)) for g, w in zip(got, want)))
        report('labels.effects_equal_numpy', same and worst < 1e-9, 'max rel diff %g' % worst)

        # clusters.tsv in pandas
        try:
            import pandas as pd
            df = pd.read_csv(os.path.join(out, 'clusters.tsv'), sep='\t')
            ok = (len(df) == len(clusters) and list(df['cluster']) == list(range(len(clusters)))
                  and np.allclose(df['p'], [c['p'] for c in clusters], rtol=0, atol=0)
                  and np.allclose(df[['mni_x', 'mni_y', 'mni_z']].to_numpy(),
                                  [c['peak']['mni_mm'] for c in clusters], rtol=0, atol=1e-12)
                  and list(df['peak_region'].fillna('')) ==
                  [c['peak_region'] or '' for c in clusters]
                  and np.allclose(df['cohens_d'], [c['effect']['cohens_d'] for c in clusters],
                                  rtol=1e-15, atol=0)
                  and df['partial_eta2'].isna().all()
                  and list(df['n_vertices']) == [len(c['vertices']['lh']) + len(c['vertices']['rh'])
                                                 for c in clusters])
            report('labels.tsv_reads_in_pandas', ok, df.head(3).to_string())
        except ImportError as e:
            report('labels.tsv_reads_in_pandas', False, 'pandas: %s (apt-get install '
                   'python3-pandas)' % e)

        # independent groups (F) and rm-anova with --parc
        out2 = os.path.join(tmp, 'out-ind')
        p = run([CP, 'independent', '--group', os.path.join(study, 'sub*', FACES),
                 '--group', os.path.join(study, 'sub*', SCRAMBLED), '--src', src_path,
                 '--out', out2, '--n-permutations', '32', '-q'] + atlas)
        if report('labels.independent_runs', p.returncode == 0, p.stderr):
            res2 = json.load(open(os.path.join(out2, 'clusters.json')))
            check_regions('labels.independent', res2['clusters'], mne_labels)
            # partial eta^2 of one cluster by numpy (cluster-averaged data, one-way ANOVA);
            # the points of a cluster are its vertices' time span only when it is one time
            # point, so take the first cluster of one time point (if any)
            Xa, Xb = [], []
            for sub in sorted(os.listdir(study)):
                if sub.startswith('sub'):
                    Xa.append(mne.read_source_estimate(os.path.join(study, sub, FACES)).data.T)
                    Xb.append(mne.read_source_estimate(os.path.join(study, sub, SCRAMBLED)).data.T)
            Xa, Xb = np.array(Xa, float), np.array(Xb, float)
            nv_lh = len(src[0]['vertno'])
            checked = 0
            worst = 0.0
            tmin_ms, tstep_ms = res2['data']['tmin_ms'], res2['data']['tstep_ms']
            for c in res2['clusters']:
                t0, t1 = c['time_ms']
                if t0 != t1:
                    continue
                ti = int(round((t0 - tmin_ms) / tstep_ms))
                vi = np.concatenate([np.array(c['vertices']['lh'], int),
                                     nv_lh + np.array(c['vertices']['rh'], int)])
                if len(vi) != c['n_points']:
                    continue
                ca, cb = Xa[:, ti, vi].mean(1), Xb[:, ti, vi].mean(1)
                g = np.concatenate([ca, cb]).mean()
                ssb = len(ca) * (ca.mean() - g) ** 2 + len(cb) * (cb.mean() - g) ** 2
                ssw = ((ca - ca.mean()) ** 2).sum() + ((cb - cb.mean()) ** 2).sum()
                worst = max(worst, abs(c['effect']['partial_eta2'] - ssb / (ssb + ssw)))
                fval = stats.f_oneway(ca, cb).statistic
                worst = max(worst, abs(c['effect']['stat'] - fval) / max(1.0, fval))
                checked += 1
            report('labels.independent_eta2_numpy', checked > 0 and worst < 1e-9,
                   '%d clusters checked, worst %g' % (checked, worst))
        out3 = os.path.join(tmp, 'out-rm')
        p = run([CP, 'rm-anova', '--factors', '2', '--effect', 'A',
                 '--cell', os.path.join(study, 'sub*', FACES),
                 '--cell', os.path.join(study, 'sub*', SCRAMBLED), '--src', src_path,
                 '--out', out3, '--n-permutations', '32', '-q'] + atlas)
        if report('labels.rmanova_runs', p.returncode == 0, p.stderr):
            res3 = json.load(open(os.path.join(out3, 'clusters.json')))
            check_regions('labels.rmanova', res3['clusters'], mne_labels)
            e = [c['effect']['partial_eta2'] for c in res3['clusters']]
            report('labels.rmanova_eta2', len(e) > 0 and all(0 <= x <= 1 for x in e), repr(e[:5]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
