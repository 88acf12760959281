"""test_seed_script.py - the seed tutorial's statistics section (MNE's plot_source_stats, in
MNE 1.3's spelling: spatial_src_adjacency, adjacency=, no magnitude() of a scalar estimate) runs unchanged after
`import clusterperm; clusterperm.patch_mne()`, on a study simulated by `clusterperm
simulate`, and gives MNE's results: bit for bit with patch_mne(compat='mne1.3'); with the
default patch, MNE's connected components of the whole (time x space) graph."""
import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('CPERM_BUILD', os.path.join(ROOT, 'build'))
CLI = os.path.join(BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD), 'clusterperm')

# The seed's statistics section, as the tutorial has it (its data paths made arguments).
SEED_SECTION = r'''
import os.path as op
from functools import partial
import numpy as np
from scipy import stats
import mne
from mne import spatial_src_adjacency
from mne.stats import (spatio_temporal_cluster_1samp_test,
                       summarize_clusters_stc, ttest_1samp_no_p)
study, out = sys.argv[1], sys.argv[2]
subjects = sorted(d for d in os.listdir(study) if d.startswith('sub'))
faces, scrambled = [], []
for subject in subjects:
    data_path = op.join(study, subject)
    stc = mne.read_source_estimate(
        op.join(data_path, 'mne_dSPM_inverse_morph-faces_eq'))
    faces.append(stc.crop(0., None).data.T)
    stc = mne.read_source_estimate(
        op.join(data_path, 'mne_dSPM_inverse_morph-scrambled_eq'))
    scrambled.append(stc.crop(0., None).data.T)
    tstep = stc.tstep
X = np.array(faces, float) - np.array(scrambled, float)
fsaverage_src = mne.read_source_spaces(op.join(study, 'fsaverage-ico3-src.fif'))
adjacency = spatial_src_adjacency(fsaverage_src)
p_threshold = 0.001
t_threshold = -stats.distributions.t.ppf(p_threshold / 2., len(X) - 1)
stat_fun = partial(ttest_1samp_no_p, sigma=1e-3)
T_obs, clusters, cluster_p_values, H0 = clu = \
    spatio_temporal_cluster_1samp_test(
        X, adjacency=adjacency, n_jobs=N_JOBS, threshold=t_threshold,
        stat_fun=stat_fun, buffer_size=None, seed=0)
good_cluster_inds = np.where(cluster_p_values < 0.05)[0]
for ind in good_cluster_inds:
    print('Found cluster with p=%g' % (cluster_p_values[ind],))
fsave_vertices = [s['vertno'] for s in fsaverage_src]
stc_all_cluster_vis = summarize_clusters_stc(clu, tstep=tstep * 1000,
                                             vertices=fsave_vertices,
                                             subject='fsaverage')
'''

SAVE = r'''
flat = [np.ravel_multi_index(c, T_obs.shape) for c in clusters]
np.savez(out, T_obs=T_obs, p=cluster_p_values, H0=H0, summary=stc_all_cluster_vis.data,
         sizes=[len(c) for c in flat], members=np.concatenate(flat))
'''


def run(study, out, prefix, body=SEED_SECTION):
    code = 'import os, sys\nN_JOBS = 2\nimport mne\nmne.set_log_level("WARNING")\n' + \
        prefix + body + SAVE
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'python'))
    p = subprocess.run([sys.executable, '-c', code, study, out], capture_output=True,
                       text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return dict(np.load(out)), p.stdout


@pytest.fixture(scope='module')
def study(tmp_path_factory):
    d = str(tmp_path_factory.mktemp('seed') / 'study')
    p = subprocess.run([CLI, 'simulate', d, '--subjects', '16', '--grade', '3',
                        '--n-times', '12'], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return d


def same(a, b):
    for k in ('T_obs', 'p', 'H0', 'summary', 'sizes', 'members'):
        assert_array_equal(a[k], b[k], err_msg=k)


def test_seed_section_patched_mne13(study, tmp_path):
    mne_out, mne_log = run(study, str(tmp_path / 'mne.npz'), '')
    ours, log = run(study, str(tmp_path / 'cp.npz'),
                    'import clusterperm\nclusterperm.patch_mne(compat="mne1.3")\n')
    same(ours, mne_out)
    assert log == mne_log and 'Found cluster with p=' in log


def test_seed_section_patched_default(study, tmp_path):
    # MNE with the adjacency of every (time, vertex) point: true connected components
    full = SEED_SECTION.replace(
        'X, adjacency=adjacency,',
        'X, adjacency=mne.stats.combine_adjacency(X.shape[1], adjacency),')
    assert full != SEED_SECTION
    mne_out, mne_log = run(study, str(tmp_path / 'mne.npz'), '', full)
    ours, log = run(study, str(tmp_path / 'cp.npz'),
                    'import clusterperm\nclusterperm.patch_mne()\n')
    for k in ('T_obs', 'p', 'H0', 'summary', 'sizes'):
        assert_array_equal(ours[k], mne_out[k], err_msg=k)
    # MNE's global path lists members ascending; ours are the same sets
    assert_array_equal(np.sort(ours['members']), np.sort(mne_out['members']))
    assert log == mne_log and 'Found cluster with p=' in log
