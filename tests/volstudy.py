"""volstudy.py - a small volume study written by MNE 1.3, for tests/cli_volume.sh and the
README's volume example (tests/cli_readme.sh). Usage: python3 tests/volstudy.py DIR

MNE makes a 'vol' source space only from an MRI, so this writes a synthetic one offline (as
tests/xcheck_volsrc.py does): DIR/sample/mri/T1.mgz, 64^3 voxels of 3 mm, with nibabel; then
setup_volume_source_space(pos=15 mm, a 60 mm sphere) -> DIR/vol-src.fif (203 voxels in use),
and with VolSourceEstimate.save: DIR/study/subNN/faces-vl.stc and scrambled-vl.stc (8
subjects, 12 times from -20 ms every 10 ms; faces + 1.6 in a ball of voxels at 4..8),
DIR/study2/subNN/faces-vl.stc (7 subjects of noise), and bad inputs for cli_volume.sh:
DIR/bad_vert/sub03 (an estimate without the first voxel) and DIR/surf/sub03 (a surface pair).
"""
import os, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
import nibabel as nib
import mne
T = sys.argv[1]
os.makedirs(T, exist_ok=True)
n, vs = 64, 3.0
aff = np.array([[-vs, 0, 0, n * vs / 2], [0, 0, vs, -n * vs / 2],
                [0, -vs, 0, n * vs / 2], [0, 0, 0, 1.0]])
os.makedirs(os.path.join(T, "sample", "mri"), exist_ok=True)
t1 = os.path.join(T, "sample", "mri", "T1.mgz")
nib.save(nib.MGHImage(np.zeros((n, n, n), np.uint8), aff), t1)
src = mne.setup_volume_source_space(pos=15.0, mri=t1, sphere=(0.0, 0.0, 0.0, 0.06),
                                    add_interpolator=False, verbose=False)
mne.write_source_spaces(os.path.join(T, "vol-src.fif"), src, verbose=False)
vertno = src[0]["vertno"]
rr = src[0]["rr"][vertno]
ball = np.linalg.norm(rr - np.array([0.015, 0.0, 0.0]), axis=1) < 0.025
rng = np.random.RandomState(42)
n_times, tmin, tstep = 12, -0.02, 0.01
def save(path, data, verts=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mne.VolSourceEstimate(data, [vertno if verts is None else verts], tmin,
                          tstep).save(path, overwrite=True, verbose=False)
for s in range(8):
    d = os.path.join(T, "study", "sub%02d" % (s + 1))
    faces = rng.normal(0, 1, (len(vertno), n_times))
    faces[np.ix_(ball, np.arange(4, 9))] += 1.6
    save(os.path.join(d, "faces-vl.stc"), faces)
    save(os.path.join(d, "scrambled-vl.stc"), rng.normal(0, 1, (len(vertno), n_times)))
for s in range(7):  # a second group for the independent-groups F
    d = os.path.join(T, "study2", "sub%02d" % (s + 1))
    save(os.path.join(d, "faces-vl.stc"), rng.normal(0, 1, (len(vertno), n_times)))
# bad inputs: a subject whose estimate lacks the first voxel, a surface pair, -vol.stc
d = os.path.join(T, "bad_vert", "sub03")
save(os.path.join(d, "faces-vl.stc"), rng.normal(0, 1, (len(vertno) - 1, n_times)),
     vertno[1:])
d = os.path.join(T, "surf", "sub03")
os.makedirs(d, exist_ok=True)
mne.SourceEstimate(rng.normal(0, 1, (10, n_times)), [np.arange(5), np.arange(5)], tmin,
                   tstep).save(os.path.join(d, "faces"), verbose=False)
print("%d voxels in use of %d, %d in the ball" % (len(vertno), src[0]["np"], ball.sum()))
