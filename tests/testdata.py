"""testdata.py - where the committed test files are (tests/data/, see its README) and the
fixtures the cross-checks derive from them with MNE, so that no test reads anything outside
the repository.
"""
import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
REAL = os.path.join(DATA, "real")
H5 = os.path.join(DATA, "mne-h5")
VEC_SMALL = os.path.join(H5, "vec_small-stc.h5")
SCALAR_SMALL = os.path.join(H5, "scalar_small-stc.h5")


def vec_small_magnitude(out_dir=None):
    """MNE's magnitude() of vec_small-stc.h5, as float64 (n_vertices x n_times).

    Debian's MNE cannot read -stc.h5 (no h5io), so the file's arrays are read with h5py and
    handed to mne.VectorSourceEstimate; magnitude() is then MNE's own. With out_dir, the
    result is also saved there by MNE as vec_small-magnitude-lh.stc / -rh.stc (float32, as
    the format stores it); returns (data, stem or None).
    """
    import h5py
    import mne

    with h5py.File(VEC_SMALL, "r") as f:
        g = f["mnepython"]
        data = g["key_data"][()]
        vertices = [g["key_vertices/idx_0"][()], g["key_vertices/idx_1"][()]]
        tmin = float(g["key_tmin"][0])
        tstep = float(g["key_tstep"][0])
        subject = bytes(g["key_subject"][()]).decode()
    mag = mne.VectorSourceEstimate(data, vertices, tmin, tstep, subject=subject).magnitude()
    stem = None
    if out_dir is not None:
        stem = os.path.join(out_dir, "vec_small-magnitude")
        mag.save(stem, verbose=False)
    return np.asarray(mag.data, dtype=np.float64), stem
