"""h5io_write.py - writes -stc.h5 files laid out exactly as MNE 1.3's stc.save(ftype='h5')
writes them through h5io (Debian's python3-mne lacks h5io, so h5py writes the same layout:
group /mnepython titled 'dict'; key_data a contiguous float64 'ndarray'; key_vertices a
'list' group of int64 'ndarray's idx_0/idx_1; key_tmin/key_tstep 'float' datasets of shape
(1,); key_subject/key_src_type 'unicode' uint8 datasets, gzip level 4, chunked; every TITLE
a variable-length string). Compared with tests/data/mne-h5/vec_small-stc.h5, which MNE 1.3
wrote.

As a program: writes a study of subjects x {faces, scrambled} estimates on the vertices of
`clusterperm simulate --grade G` (0..10*4^G+1 per hemisphere):

    python3 tests/h5io_write.py OUT [--subjects 16] [--grade 5] [--n-times 40] [--scalar]
        [--seed 0]

-> OUT/subNNN/mne_dSPM_inverse_morph-{faces,scrambled}_eq-stc.h5
"""
import argparse
import os
import sys

import numpy as np


def write_stc_h5(path, data, vertices, tmin, tstep, subject="fsaverage", src_type="surface"):
    """Write one estimate; data is (n_vertices, n_times) or (n_vertices, 3, n_times)."""
    import h5py

    def text(g, key, s):
        d = g.create_dataset(key, data=np.frombuffer(s.encode(), np.uint8), compression="gzip",
                             compression_opts=4)
        d.attrs["TITLE"] = "unicode"

    with h5py.File(path, "w") as f:
        root = f.create_group("mnepython")
        root.attrs["TITLE"] = "dict"
        d = root.create_dataset("key_data", data=np.asarray(data, np.float64))
        d.attrs["TITLE"] = "ndarray"
        if src_type is not None:
            text(root, "key_src_type", src_type)
        if subject is None:
            d = root.create_dataset("key_subject", data=np.array([False]))
            d.attrs["TITLE"] = "None"
        else:
            text(root, "key_subject", subject)
        for key, value in (("key_tmin", tmin), ("key_tstep", tstep)):
            d = root.create_dataset(key, data=np.array([value], np.float64))
            d.attrs["TITLE"] = "float"
        g = root.create_group("key_vertices")
        g.attrs["TITLE"] = "list"
        for i, v in enumerate(vertices):
            d = g.create_dataset("idx_%d" % i, data=np.asarray(v, np.int64))
            d.attrs["TITLE"] = "ndarray"


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--subjects", type=int, default=16)
    ap.add_argument("--grade", type=int, default=5)
    ap.add_argument("--n-times", type=int, default=40)
    ap.add_argument("--scalar", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    rng = np.random.RandomState(a.seed)
    nv = 10 * 4 ** a.grade + 2
    vertices = [np.arange(nv), np.arange(nv)]
    shape = (2 * nv, a.n_times) if a.scalar else (2 * nv, 3, a.n_times)
    for s in range(1, a.subjects + 1):
        d = os.path.join(a.out, "sub%03d" % s)
        os.makedirs(d, exist_ok=True)
        for cond, effect in (("faces", 0.5), ("scrambled", 0.0)):
            data = rng.standard_normal(shape) + effect
            write_stc_h5(os.path.join(d, "mne_dSPM_inverse_morph-%s_eq-stc.h5" % cond), data,
                         vertices, -0.1, 0.01)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
