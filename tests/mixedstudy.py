"""mixedstudy.py - a small mixed (surface + volume) study, for tests/cli_mixed.sh. Usage:
python3 tests/mixedstudy.py DIR SURF_SRC

SURF_SRC is a surface lh/rh source space (`clusterperm simulate --grade 1`'s ico-1 spheres:
42 vertices per hemisphere, MRI coordinates). MNE makes the volume from a synthetic
T1.mgz as tests/volstudy.py does (15 mm grid in a 60 mm sphere, 203 voxels in use); the mixed
space is MNE's `surface src + volume src`, written by mne.write_source_spaces to
DIR/mixed-src.fif. The estimates are MixedSourceEstimates (vertices lh, rh, volume), which
MNE 1.3 saves only as -stc.h5 through h5io; Debian's MNE lacks h5io, so
tests/h5io_write.py writes h5io's layout with src_type 'mixed':
DIR/study/subNN/{faces,scrambled}-stc.h5 (8 subjects, 12 times from -20 ms every 10 ms;
faces + 1.8 on lh vertices 0..9 at samples 3..7 and + 1.6 in a ball of voxels at 4..8), and
bad inputs: DIR/volonly/sub03/faces-vl.stc (a volume estimate), DIR/badvert/sub03 (a mixed
estimate without the volume's first voxel) and DIR/mixed2-src.fif (lh, rh and two volumes).
"""
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import nibabel as nib
import mne

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5io_write import write_stc_h5  # noqa: E402

T, surf_path = sys.argv[1], sys.argv[2]
os.makedirs(T, exist_ok=True)
n, vs = 64, 3.0
aff = np.array([[-vs, 0, 0, n * vs / 2], [0, 0, vs, -n * vs / 2],
                [0, -vs, 0, n * vs / 2], [0, 0, 0, 1.0]])
os.makedirs(os.path.join(T, "sample", "mri"), exist_ok=True)
t1 = os.path.join(T, "sample", "mri", "T1.mgz")
nib.save(nib.MGHImage(np.zeros((n, n, n), np.uint8), aff), t1)
vol = mne.setup_volume_source_space(pos=15.0, mri=t1, sphere=(0.0, 0.0, 0.0, 0.06),
                                    add_interpolator=False, verbose=False)
surf = mne.read_source_spaces(surf_path, verbose=False)
src = surf + vol
assert src.kind == "mixed", src.kind
mne.write_source_spaces(os.path.join(T, "mixed-src.fif"), src, overwrite=True, verbose=False)
# a mixed space of two volumes (the CLI refuses it: its volume part is no single -vl.stc)
vol2 = mne.setup_volume_source_space(pos=20.0, mri=t1, sphere=(0.0, 0.0, 0.0, 0.06),
                                     add_interpolator=False, verbose=False)
mne.write_source_spaces(os.path.join(T, "mixed2-src.fif"), surf + vol + vol2, overwrite=True,
                        verbose=False)
vertices = [s["vertno"] for s in src]
nv = [len(v) for v in vertices]
rr = vol[0]["rr"][vertices[2]]
ball = np.linalg.norm(rr - np.array([0.015, 0.0, 0.0]), axis=1) < 0.025
rng = np.random.RandomState(7)
n_times, tmin, tstep = 12, -0.02, 0.01


def save(path, data, verts=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_stc_h5(path, data, vertices if verts is None else verts, tmin, tstep,
                 subject="fsaverage", src_type="mixed")


lh = np.arange(nv[0]) < 10
for s in range(8):
    d = os.path.join(T, "study", "sub%02d" % (s + 1))
    faces = rng.normal(0, 1, (sum(nv), n_times))
    faces[np.ix_(np.concatenate([lh, np.zeros(nv[1], bool), np.zeros(nv[2], bool)]),
                 np.arange(3, 8))] += 1.8
    faces[np.ix_(np.concatenate([np.zeros(nv[0] + nv[1], bool), ball]), np.arange(4, 9))] += 1.6
    save(os.path.join(d, "faces-stc.h5"), faces)
    save(os.path.join(d, "scrambled-stc.h5"), rng.normal(0, 1, (sum(nv), n_times)))
# bad inputs
d = os.path.join(T, "volonly", "sub03")
os.makedirs(d, exist_ok=True)
mne.VolSourceEstimate(rng.normal(0, 1, (nv[2], n_times)), [vertices[2]], tmin,
                      tstep).save(os.path.join(d, "faces-vl.stc"), overwrite=True, verbose=False)
d = os.path.join(T, "badvert", "sub03")
save(os.path.join(d, "faces-stc.h5"), rng.normal(0, 1, (sum(nv) - 1, n_times)),
     [vertices[0], vertices[1], vertices[2][1:]])
print("mixed: %d + %d surface vertices, %d voxels (%d in the ball)" % (nv[0], nv[1], nv[2],
                                                                       ball.sum()))
