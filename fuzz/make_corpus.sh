#!/bin/sh
# make_corpus.sh - regenerates the seed corpora fuzz/corpus/NAME from real files: a small
# study written by `clusterperm simulate` (.stc pairs, -src.fif), its gzip form, h5io-layout
# -stc.h5 files written with h5py (as tests/xcheck_stc.py does), the command lines and list
# files of tests/cli_onesample.sh, structured -stc.h5 programs for fuzz_stc_h5, and FieldTrip-
# style neighbour .mat files written with scipy.io.savemat (not MNE's shipped FieldTrip ones).
# Deterministic; existing seeds are replaced, fuzz/regress/ (found crashers) is left alone.
# Usage: sh fuzz/make_corpus.sh [BUILD_DIR]
set -e
BUILD=${1:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
CP="$BUILD/clusterperm"
[ -x "$CP" ] || { echo "make_corpus: $CP not built (run make)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-corpus.XXXXXX")
trap 'rm -rf "$T"' EXIT
C=fuzz/corpus
for t in stc stc_vol fif fif_gz stc_h5 stc_h5_raw surf curv annot cli_args cli_listfile checkpoint neighbors npy npz positions; do
    rm -rf "$C/$t"
    mkdir -p "$C/$t"
done

"$CP" simulate "$T/g1" --grade 1 --subjects 2 --n-times 10 --seed 3 >/dev/null
"$CP" simulate "$T/g2" --grade 2 --subjects 2 --n-times 10 --seed 4 >/dev/null
F=mne_dSPM_inverse_morph-faces_eq

# .stc: both hemispheres of grade 1, one of grade 2, one cut to a single frame, one with the
# vertices reversed (the reader sorts them), an empty one (0 vertices).
cp "$T/g1/sub001/$F-lh.stc" "$C/stc/g1-lh.stc"
cp "$T/g1/sub002/$F-rh.stc" "$C/stc/g1-rh.stc"
cp "$T/g2/sub001/$F-lh.stc" "$C/stc/g2-lh.stc"
"$PYTHON" - "$T/g1/sub001/$F-lh.stc" "$C/stc" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
b = open(src, "rb").read()
tmin, tstep, nv = struct.unpack(">ffI", b[:12])
verts = list(struct.unpack(">%dI" % nv, b[12:12 + 4 * nv]))
nt = struct.unpack(">I", b[12 + 4 * nv:16 + 4 * nv])[0]
data = b[16 + 4 * nv:]
frame = data[:4 * nv]
open(out + "/one-frame-lh.stc", "wb").write(struct.pack(">ffI", tmin, tstep, nv) + b[12:12 + 4 * nv] + struct.pack(">I", 1) + frame)
rev = verts[::-1]
vals = [data[4 * (t * nv + i):4 * (t * nv + i) + 4] for t in range(nt) for i in range(nv)]
rdata = b"".join(vals[t * nv + (nv - 1 - i)] for t in range(nt) for i in range(nv))
open(out + "/reversed-lh.stc", "wb").write(struct.pack(">ffI", tmin, tstep, nv) + struct.pack(">%dI" % nv, *rev) + struct.pack(">I", nt) + rdata)
open(out + "/empty-lh.stc", "wb").write(struct.pack(">ffII", 0.0, 1.0, 0, 0))
PY

# Volume source spaces and -vl.stc estimates written by MNE itself on a tiny synthetic MRI
# (8^3 voxels of 24 mm, nibabel): a 45 mm grid with and without the interpolator; the
# VolSourceEstimate.save of 3 times on the first one's vertices, an empty one, and one with
# two vertices swapped (refused: volume vertices are not sorted). MNE stamps its FIF file id
# with the time of writing, so those two files differ in 8 bytes from run to run.
"$PYTHON" - "$T" "$C/fif" "$C/stc_vol" <<'PY'
import os, struct, sys
import numpy as np
import nibabel as nib
import mne
tmp, fif, vol = sys.argv[1:4]
aff = np.array([[-24.0, 0, 0, 96], [0, 0, 24.0, -96], [0, -24.0, 0, 96], [0, 0, 0, 1]])
t1 = os.path.join(tmp, "T1.mgz")
nib.save(nib.MGHImage(np.zeros((8, 8, 8), np.uint8), aff), t1)
with mne.use_log_level("error"):
    for interp in (True, False):
        src = mne.setup_volume_source_space(pos=45.0, mri=t1, sphere=(0, 0, 0, 0.09),
                                            add_interpolator=interp)
        name = "vol45-%s-src.fif" % ("interp" if interp else "nointerp")
        mne.write_source_spaces(os.path.join(fif, name), src, overwrite=True)
        if interp:
            rng = np.random.RandomState(14)
            verts = [src[0]["vertno"]]
            stc = mne.VolSourceEstimate(rng.standard_normal((len(verts[0]), 3)), verts,
                                        tmin=-0.01, tstep=0.005)
            stc.save(os.path.join(vol, "vol45"), overwrite=True)
b = open(os.path.join(vol, "vol45-vl.stc"), "rb").read()
sw = bytearray(b)
sw[12:16], sw[16:20] = b[16:20], b[12:16]
open(os.path.join(vol, "swapped-vl.stc"), "wb").write(bytes(sw))
open(os.path.join(vol, "empty-vl.stc"), "wb").write(struct.pack(">ffII", 0.0, 1.0, 0, 0))
PY

# FIF source spaces, plain and gzip (gzip -n: no name or time stamp in the header).
cp "$T/g1/fsaverage-ico1-src.fif" "$C/fif/ico1-src.fif"
cp "$T/g2/fsaverage-ico2-src.fif" "$C/fif/ico2-src.fif"
gzip -n -c "$T/g1/fsaverage-ico1-src.fif" >"$C/fif_gz/ico1-src.fif.gz"
gzip -n -1 -c "$T/g2/fsaverage-ico2-src.fif" >"$C/fif_gz/ico2-src.fif.gz"
cp "$T/g1/fsaverage-ico1-src.fif" "$C/fif_gz/ico1-plain-src.fif"

# h5io -stc.h5 files (scalar, vector, fixed-width titles, subject None), small shapes.
"$PYTHON" - "$C/stc_h5_raw" <<'PY'
import sys
import numpy as np
import h5py
out = sys.argv[1]
def write(path, members, fixed=False):
    def title(obj, t):
        obj.attrs["TITLE"] = np.bytes_(t) if fixed else t
    with h5py.File(path, "w") as f:
        root = f.create_group("mnepython")
        title(root, "dict")
        for key, (t, value) in members.items():
            if isinstance(value, dict):
                g = root.create_group(key)
                title(g, t)
                for k2, (t2, v2) in value.items():
                    title(g.create_dataset(k2, data=v2), t2)
            else:
                title(root.create_dataset(key, data=value), t)
rng = np.random.RandomState(0)
v0, v1 = np.array([1, 4, 9], np.int64), np.array([0, 2], np.int64)
def base(data, **over):
    m = {"key_vertices": ("list", {"idx_0": ("ndarray", v0), "idx_1": ("ndarray", v1)}),
         "key_data": ("ndarray", data),
         "key_tmin": ("float", np.array([-0.1])), "key_tstep": ("float", np.array([0.004])),
         "key_subject": ("unicode", np.frombuffer(b"sample", np.uint8)),
         "key_src_type": ("unicode", np.frombuffer(b"surface", np.uint8))}
    m.update(over)
    return {k: v for k, v in m.items() if v is not None}
write(out + "/scalar-stc.h5", base(rng.standard_normal((5, 4))))
write(out + "/vector-stc.h5", base(rng.standard_normal((5, 3, 2))))
write(out + "/fixed-titles-stc.h5", base(rng.standard_normal((5, 2)).astype(np.float32)), fixed=True)
write(out + "/subject-none-stc.h5", base(rng.standard_normal(5), key_subject=("None", np.array([False])), key_src_type=None))
# VolSourceEstimate (one block) and MixedSourceEstimate (lh, rh, a volume): read by
# cperm_stc_read_any only.
write(out + "/volume-stc.h5", base(rng.standard_normal((3, 2)), key_vertices=("list", {"idx_0": ("ndarray", v0)}), key_src_type=("unicode", np.frombuffer(b"volume", np.uint8))))
write(out + "/mixed-stc.h5", base(rng.standard_normal((8, 3, 2)), key_vertices=("list", {"idx_0": ("ndarray", v0), "idx_1": ("ndarray", v1), "idx_2": ("ndarray", v0)}), key_src_type=("unicode", np.frombuffer(b"mixed", np.uint8))))
PY

# Structured programs for fuzz_stc_h5 (see its header comment): all-zero bytes describe a
# valid file; a few seeds vary the shape bytes and the data bytes.
"$PYTHON" - "$C/stc_h5" <<'PY'
import sys
out = sys.argv[1]
seeds = {
    "valid-default": bytes(16),
    "valid-shape": bytes([2, 3, 4, 0, 0, 0]) + bytes(range(0, 256, 7)),
    "vector": bytes([0, 0, 0, 1, 0]) + bytes(11),
    "unsorted": bytes([0, 0, 0, 0, 0, 0, 240, 0, 0, 0, 0]) + bytes(5),
    "duplicate": bytes([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0]) + bytes(5),
    "missing-data": bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) + bytes(4),
    "huge-data": bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]) + bytes(4),
    "extra-member": bytes([0, 0, 0, 0, 7]) + bytes(11),
}
for name, b in seeds.items():
    open("%s/%s" % (out, name), "wb").write(b)
PY

# FreeSurfer surfaces and curvature written by nibabel from the ico-1 source space, plus the
# two quad variants and the old curvature format (which nibabel reads but cannot write).
"$PYTHON" - "$T/g1/fsaverage-ico1-src.fif" "$C/surf" "$C/curv" <<'PY'
import struct, sys, warnings
import numpy as np
import mne, nibabel.freesurfer as fs
warnings.simplefilter("ignore")
src = mne.read_source_spaces(sys.argv[1], verbose=False)
surf, curv = sys.argv[2], sys.argv[3]
rr = (src[0]["rr"] * 1000).astype(np.float32)
tris = src[0]["tris"].astype(np.int32)
fs.write_geometry(surf + "/lh.ico1", rr, tris, create_stamp="created by clusterperm fuzz corpus")
fs.write_geometry(surf + "/lh.ico1-volinfo", rr[:12], tris[:20] % 12, create_stamp="x",
                  volume_info={"head": np.array([2, 0, 20], np.int32), "valid": "1  # volume info valid",
                               "filename": "vol.nii", "volume": np.array([256, 256, 256]),
                               "voxelsize": np.array([1.0, 1.0, 1.0]), "xras": np.array([-1.0, 0, 0]),
                               "yras": np.array([0, 0, -1.0]), "zras": np.array([0, 1.0, 0]),
                               "cras": np.array([0.0, 0, 0])})
be24 = lambda x: struct.pack(">I", x)[1:]
quads = [(0, 1, 2, 3), (1, 2, 3, 4), (4, 5, 6, 7)]
for magic, name, coord in ((0xFFFFFF, "lh.quad-old", lambda v: struct.pack(">h", int(round(v * 100)))),
                           (0xFFFFFD, "lh.quad-new", lambda v: struct.pack(">f", v))):
    b = be24(magic) + be24(8) + be24(len(quads))
    b += b"".join(coord(float(v)) for v in rr[:8].ravel() / 10)
    b += b"".join(be24(i) for q in quads for i in q)
    open(surf + "/" + name, "wb").write(b)
fs.write_morph_data(curv + "/lh.curv", np.linspace(-1, 1, len(rr)).astype(np.float32))
vals = np.linspace(-3, 3, 42)
open(curv + "/lh.curv-old", "wb").write(be24(42) + be24(80) + b"".join(struct.pack(">h", int(v * 100)) for v in vals))
for path in (surf + "/lh.ico1", surf + "/lh.quad-old", surf + "/lh.quad-new"):
    fs.read_geometry(path)
for path in (curv + "/lh.curv", curv + "/lh.curv-old"):
    fs.read_morph_data(path)
PY

# Atlas files (issue 18), written by MNE as tests/xcheck_labels.py writes them: a
# parcellation (write_labels_to_annot), a .label (write_label), talairach.xfm and the first
# 90 bytes (the header, uncompressed) of orig.mgz.
"$CP" simulate "$T/g3" --grade 3 --subjects 2 --n-times 10 --seed 5 >/dev/null
"$PYTHON" - "$T" "$C/annot" <<'PY'
import gzip, json, os, shutil, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests"))
import mne
import xcheck_labels as x
T, out = sys.argv[1:3]
src = mne.read_source_spaces(T + "/g3/fsaverage-ico3-src.fif", verbose=False)
truth = json.load(open(T + "/g3/truth.json"))
x.make_subject(T + "/subj", src, truth["centre_vertex"], truth["vertices"])
d = os.path.join(T, "subj", x.SUBJECT)
shutil.copy(d + "/label/lh.testparc.annot", out)
shutil.copy(d + "/label/handmade-lh.label", out)
shutil.copy(d + "/mri/transforms/talairach.xfm", out)
open(out + "/orig.mgh-header", "wb").write(gzip.open(d + "/mri/orig.mgz").read()[:90])
PY

# CLI argument vectors (NUL-separated) and list files, from tests/cli_onesample.sh.
args() { # NAME ARGS...
    name=$1; shift
    for a in "$@"; do printf '%s\0' "$a"; done >"$C/cli_args/$name"
}
G="--a study/sub*/$F --src study/fsaverage-ico5-src.fif --out res"
args good $G
args paired $G --b "study/sub*/mne_dSPM_inverse_morph-scrambled_eq" --t-threshold 2 --n-permutations 8
args demo $G --tmin 0 --magnitude --p-threshold 0.001 --sigma 1e-3 --n-permutations 1024 --seed 0 -j 2
args equals --a=x --src=y --out=z --tail=-1 --t-threshold=-2.5 --compat=mne1.3 --max-step=2
args all $G --n-permutations all --step-down-p 0.05 --p-summary 1 --tmax 0.3 --jobs -1
args help --help
args unknown $G --frobnicate
args missing-value --a x --src
printf 'study/sub001/%s\nstudy/sub002/%s-lh.stc\n' "$F" "$F" >"$C/cli_listfile/two"
printf '# comment\n\n  study/sub003/%s  \r\n\tstudy/sub004/%s-stc.h5\n' "$F" "$F" >"$C/cli_listfile/spaces"
printf '# only a comment\n\n' >"$C/cli_listfile/empty"
# fuzz_checkpoint makes its own real blobs; a seed picks one and edits it (see its header).
"$PYTHON" - "$C/checkpoint" <<'PY'
import sys
out = sys.argv[1]
seeds = {"blob0": bytes([0]), "blob1": bytes([1]), "blob2": bytes([2]), "blob3": bytes([3]),
         "cut8": bytes([1, 191]), "grow8": bytes([1, 193]), "flip-magic": bytes([0, 0, 1]),
         "flip-done": bytes([1, 0]) + bytes(32) + bytes([1])}
for name, b in seeds.items():
    open("%s/%s" % (out, name), "wb").write(b)
PY
# .npy arrays written by numpy (np.save; write_array for versions 2.0 and 3.0): each accepted
# dtype, Fortran order, big-endian, 0-d, an empty dimension, and a refused complex one.
"$PYTHON" - "$C/npy" <<'PY'
import io, sys
import numpy as np
out = sys.argv[1]
rng = np.random.RandomState(5)
def save(name, arr, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, arr)
    else:
        np.lib.format.write_array(b, arr, version=version)
    open("%s/%s.npy" % (out, name), "wb").write(b.getvalue())
save("f8-3d", rng.standard_normal((2, 3, 4)))
save("f4-F", np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32)))
save("be-i8", rng.randint(-9, 9, (2, 5)).astype(">i8"))
save("i4", rng.randint(-9, 9, 6).astype(np.int32))
save("u1", rng.randint(0, 256, (2, 2)).astype(np.uint8))
save("b1-F", np.asfortranarray(rng.randint(0, 2, (2, 3)).astype(bool)))
save("0d", np.array(1.5))
save("empty", np.zeros((3, 0, 2)))
save("v2-be-f4", rng.standard_normal((2, 2)).astype(">f4"), (2, 0))
save("v3-f8", rng.standard_normal(3), (3, 0))
save("complex", np.ones(2, np.complex64))
PY
# scipy save_npz adjacencies: coo/csr/csc, compressed and stored, stored zeros, and a refused
# bsr one.
"$PYTHON" - "$C/npz" <<'PY'
import sys
import numpy as np
from scipy import sparse
out = sys.argv[1]
m = sparse.random(6, 6, density=0.3, random_state=3, format="coo")
for fmt in ("coo", "csr", "csc"):
    sparse.save_npz("%s/%s-z.npz" % (out, fmt), getattr(m, "to" + fmt)())
    sparse.save_npz("%s/%s-s.npz" % (out, fmt), getattr(m, "to" + fmt)(), compressed=False)
sparse.save_npz("%s/zeros.npz" % out, sparse.coo_matrix((np.zeros(2), ([0, 1], [1, 2])), shape=(3, 3)))
sparse.save_npz("%s/bsr.npz" % out, m.tobsr())
PY
# Channel positions files (first byte: 's' .sfp, 'e' .elc, 't' table): two small files MNE
# ships (HydroCel-32 .sfp, Artinis OctaMon .elc), and tables written here: 2-D with a header
# and tabs, 3-D with commas, a duplicate channel, and a refused mix of 2-D and 3-D rows.
"$PYTHON" - "$C/positions" <<'PY'
import os, sys
import mne
out = sys.argv[1]
d = os.path.join(os.path.dirname(mne.__file__), "channels", "data", "montages")
for fmt, name in (("s", "GSN-HydroCel-32.sfp"), ("e", "artinis-octamon.elc")):
    open(os.path.join(out, name), "wb").write(fmt.encode() + open(os.path.join(d, name), "rb").read())
seeds = {"table-2d.tsv": "name\tx\ty\nEEG 001\t0.5\t-1.25\nEEG 002\t2\t0.03\nEEG 003\t1\t1\n",
         "table-3d.csv": "A,0.1,0,0\nB,0,0.1,0\nC,0,0,0.1\nD,-0.07,0,0.07\n",
         "table-dup.txt": "A 1 2\nB 3 4\nA 5 6\nC 0 9\n",
         "table-mixed.txt": "A 1 2\nB 1 2 3\n"}
for name, text in seeds.items():
    open(os.path.join(out, name), "wb").write(b"t" + text.encode())
PY
echo "make_corpus: wrote $(find "$C" -type f | wc -l) seeds under $C"

# FieldTrip neighbour structs written by scipy.io.savemat: compressed and plain, cells, a text
# instead of a cell, a channel without neighbours, a 2 x 2 struct array, MEG names.
"$PYTHON" - "$C/neighbors" <<'PY'
import sys
import numpy as np, scipy.io as sio
out = sys.argv[1]
def cell(*names):
    c = np.empty((len(names), 1), dtype=object)
    for i, x in enumerate(names):
        c[i, 0] = x
    return c
def struct(labels, neighb, shape=None):
    s = np.zeros(shape or (1, len(labels)), dtype=[("label", object), ("neighblabel", object)])
    for k, f in enumerate(zip(labels, neighb)):
        s.reshape(-1)[k] = f
    return s
eeg = struct(["Fp1", "Fp2", "Cz", "Oz"], [cell("Fp2", "Cz"), cell("Fp1"), "Oz",
             np.zeros((0, 1), dtype=object)])
sio.savemat(out + "/eeg4-compressed.mat", {"neighbours": eeg}, do_compression=True)
sio.savemat(out + "/eeg4-plain.mat", {"neighbours": eeg})
meg = struct(["MEG0113", "MEG0112", "MEG 0111", "MEG0122"],
             [cell("MEG0112"), cell("MEG0113", "MEG0122"), cell(), cell("MEG0112")], shape=(2, 2))
sio.savemat(out + "/meg2x2.mat", {"neighbours": meg}, do_compression=True)
PY
