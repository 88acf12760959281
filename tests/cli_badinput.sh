#!/bin/sh
# cli_badinput.sh - table-driven bad-input suite for `clusterperm` (issue 7), beyond the cases
# of tests/cli_onesample.sh: .stc / FIF / -stc.h5 files cut inside every header field, absurd
# counts, NaN/Inf data, mismatched hemispheres/vertices/times, bad list files, unusable output
# directories, option values out of range. Each case asserts the exit status, one
# "clusterperm: error: ..." line containing the expected text, and that the output directory
# (holding a previous run's outputs) is byte-for-byte unchanged. Then: an I/O error injected
# at every step of the output writes (CLUSTERPERM_TEST_FAIL_WRITE, honoured only by the test
# build $BUILD/tests/clusterperm-testhooks) leaves the previous outputs intact, and
# zero-variance data behaves as MNE. Prints "ok"/"FAIL" lines.
# Usage: sh tests/cli_badinput.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
PYTHON=${PYTHON:-/usr/bin/python3}
CP="$BUILD/clusterperm"
CPT="$BUILD/tests/clusterperm-testhooks" # the program with its test hooks (fault injection)
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-bad.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ] || [ ! -x "$CPT" ]; then
    fail badinput_binary "$CP or $CPT not built"
    exit 1
fi
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
"$CP" simulate "$T/g2" --grade 2 --subjects 4 --n-times 12 --seed 11 >/dev/null 2>&1 ||
    { fail badinput_setup "simulate failed"; exit 1; }
SRC="$T/g2/fsaverage-ico2-src.fif"
G1="$T/g2/sub001/$F" G2="$T/g2/sub002/$F" G3="$T/g2/sub003/$F"

# ---------------------------------------------------------------- crafted files
mkdir -p "$T/bad" "$T/lists"
"$PYTHON" - "$T" "$G3" "$SRC" <<'PY' || { fail badinput_craft "python could not write the test files"; exit 1; }
import gzip, os, struct, sys
T, g3, src = sys.argv[1:4]
bad = os.path.join(T, "bad")
lh = open(g3 + "-lh.stc", "rb").read()
rh = open(g3 + "-rh.stc", "rb").read()
nv = struct.unpack(">I", lh[8:12])[0]      # 162
hdr = 12 + 4 * nv                          # offset of n_times
def stem(name, lh_bytes, rh_bytes=rh):
    open(os.path.join(bad, name + "-lh.stc"), "wb").write(lh_bytes)
    open(os.path.join(bad, name + "-rh.stc"), "wb").write(rh_bytes)
def put(b, off, fmt, *v):
    b = bytearray(b)
    struct.pack_into(fmt, b, off, *v)
    return bytes(b)
stem("stc_empty", b"")
stem("stc_cut_tmin", lh[:2])
stem("stc_cut_tstep", lh[:6])
stem("stc_cut_nvertices", lh[:10])
stem("stc_cut_vertices", lh[:12 + 40])
stem("stc_cut_ntimes", lh[:hdr + 2])
stem("stc_cut_data", lh[:-4])
stem("stc_extra_bytes", lh + b"\0\0\0\0")  # 3 bytes more pass, as in MNE (len // 4)
stem("stc_absurd_nvertices", put(lh, 8, ">I", 0xFFFFFFFF))
stem("stc_absurd_ntimes", put(lh, hdr, ">I", 0x7FFFFFFF))
stem("stc_zero_ntimes", put(lh, hdr, ">I", 0))
stem("stc_vertex_2e31", put(lh, 12 + 4 * 5, ">I", 0x80000000))
stem("stc_vertex_duplicate", put(lh, 12 + 4 * 1, ">I", struct.unpack(">I", lh[12:16])[0]))
stem("stc_nan", put(lh, hdr + 4 + 4 * 7, ">f", float("nan")))
stem("stc_inf", lh, put(rh, hdr + 4 + 4 * (nv + 3), ">f", float("-inf")))
stem("stc_hemi_tmin", lh, put(rh, 0, ">f", struct.unpack(">f", rh[:4])[0] + 10.0))
# rh with one time fewer
nt = struct.unpack(">I", rh[hdr:hdr + 4])[0]
stem("stc_hemi_ntimes", lh, put(rh[:hdr + 4 + 4 * nv * (nt - 1)], hdr, ">I", nt - 1))
# both hemispheres start 10 ms later
stem("stc_subject_tmin", put(lh, 0, ">f", struct.unpack(">f", lh[:4])[0] + 10.0),
     put(rh, 0, ">f", struct.unpack(">f", rh[:4])[0] + 10.0))
# rh without its last vertex
rh_verts = rh[12:hdr]
rh_data = [rh[hdr + 4 + 4 * (t * nv + i):hdr + 8 + 4 * (t * nv + i)] for t in range(nt) for i in range(nv)]
rh161 = struct.pack(">ffI", *struct.unpack(">ff", rh[:8]), nv - 1) + rh_verts[:-4] + struct.pack(">I", nt) + \
    b"".join(rh_data[t * nv + i] for t in range(nt) for i in range(nv - 1))
stem("stc_rh_vertices", lh, rh161)
open(os.path.join(bad, "plain.stc"), "wb").write(lh)
open(os.path.join(bad, "vol-vl.stc"), "wb").write(lh)

# FIF source spaces
s = open(src, "rb").read()
def fif(name, b):
    open(os.path.join(bad, name), "wb").write(b)
fif("empty-src.fif", b"")
fif("cut-tag-src.fif", s[:8])
fif("cut-fileid-src.fif", s[:20])
fif("no-dirptr-src.fif", s[:36])
fif("magic-src.fif", put(s, 0, ">i", 999))
fif("negsize-src.fif", put(s, 8, ">i", -1))
fif("hugesize-src.fif", put(s, 8, ">i", 0x7FFFFFFF))
fif("half-src.fif", s[:len(s) // 2])
z = gzip.compress(s, mtime=0)
fif("cut-src.fif.gz", z[:len(z) // 2])
fif("junk-src.fif.gz", z[:10] + bytes(range(256)) * 4)
os.mkdir(os.path.join(bad, "dir-src.fif"))
PY

# Each stc case reads "@lists/NAME.txt": two good subjects and the damaged one.
for f in "$T"/bad/stc_*-lh.stc; do
    n=$(basename "$f" -lh.stc)
    printf '%s\n%s\n%s\n' "$G1" "$G2" "$T/bad/$n" >"$T/lists/$n.txt"
done
# the damaged subject first: its header is the reference, its slice read in the threads
printf '%s\n%s\n%s\n' "$T/bad/stc_nan" "$G1" "$G2" >"$T/lists/stc_nan_first.txt"
printf '%s\n%s\n%s\n' "$G1" "$G2" "$T/bad/plain.stc" >"$T/lists/plain.txt"
printf '%s\n%s\n%s\n' "$G1" "$G2" "$T/bad/vol-vl.stc" >"$T/lists/vol.txt"
printf '%s\n%s\n%s\n' "$T/g2/sub001/$S" "$T/g2/sub002/$S" "$T/bad/stc_rh_vertices" >"$T/lists/b_rh.txt"
printf '%s\n%s\n%s\n' "$G1" "$G2" "$G3" >"$T/lists/good3.txt"
{ echo "$G1"; head -c 5000 /dev/zero | tr '\0' x; echo; } >"$T/lists/longline.txt"

# -stc.h5 files (h5io layout, as tests/xcheck_stc.py writes them), for the ico-2 vertices.
H5OK=1
"$PYTHON" - "$T/bad" <<'PY' 2>/dev/null || H5OK=0
import sys
import numpy as np
import h5py
out = sys.argv[1]
def write(name, members, huge=False):
    with h5py.File("%s/%s-stc.h5" % (out, name), "w") as f:
        root = f.create_group("mnepython")
        root.attrs["TITLE"] = "dict"
        for key, (t, value) in members.items():
            if isinstance(value, dict):
                g = root.create_group(key)
                g.attrs["TITLE"] = t
                for k2, (t2, v2) in value.items():
                    g.create_dataset(k2, data=v2).attrs["TITLE"] = t2
            elif value == "HUGE":
                d = root.create_dataset(key, shape=(324, 2 ** 24), chunks=(4, 4), dtype="f8")
                d.attrs["TITLE"] = t
            else:
                root.create_dataset(key, data=value).attrs["TITLE"] = t
v = np.arange(162, dtype=np.int64)
def base(**over):
    m = {"key_vertices": ("list", {"idx_0": ("ndarray", v), "idx_1": ("ndarray", v)}),
         "key_data": ("ndarray", np.random.RandomState(0).standard_normal((324, 12))),
         "key_tmin": ("float", np.array([-0.05])), "key_tstep": ("float", np.array([0.01])),
         "key_subject": ("unicode", np.frombuffer(b"fsaverage", np.uint8)),
         "key_src_type": ("unicode", np.frombuffer(b"surface", np.uint8))}
    m.update(over)
    return {k: x for k, x in m.items() if x is not None}
write("h5_missing_data", base(key_data=None))
write("h5_rows", base(key_data=("ndarray", np.zeros((323, 12)))))
write("h5_huge", base(key_data=("ndarray", "HUGE")))
write("h5_volume", base(key_src_type=("unicode", np.frombuffer(b"volume", np.uint8))))
write("h5_complex", base(key_data=("ndarray", np.zeros((324, 12), np.complex128))))
neg = v.copy(); neg[0] = -1
write("h5_negative_vertex", base(key_vertices=("list", {"idx_0": ("ndarray", neg), "idx_1": ("ndarray", v)})))
PY
echo "this is not HDF5" >"$T/bad/h5_not_hdf5-stc.h5"
for n in h5_not_hdf5 h5_missing_data h5_rows h5_huge h5_volume h5_complex h5_negative_vertex; do
    printf '%s\n%s\n%s\n' "$G1" "$G2" "$T/bad/$n" >"$T/lists/$n.txt"
done

# .npy arrays and adjacencies for the array inputs (--dims, issue 14)
mkdir -p "$T/arr"
"$PYTHON" - "$T/arr" <<'PY' || { fail badinput_craft_arrays "python could not write the array files"; exit 1; }
import io, os, sys
import numpy as np
from scipy import sparse
d = sys.argv[1]
rng = np.random.RandomState(1)
X = rng.randn(5, 6, 4)                       # 5 subjects x 6 times x 4 channels
np.save(os.path.join(d, "good.npy"), X)
raw = open(os.path.join(d, "good.npy"), "rb").read()
open(os.path.join(d, "cut_header.npy"), "wb").write(raw[:30])
open(os.path.join(d, "cut_data.npy"), "wb").write(raw[:-8])
open(os.path.join(d, "not_npy.npy"), "wb").write(b"hello, not numpy")
Xn = X.copy(); Xn[2, 3, 1] = np.inf
np.save(os.path.join(d, "inf.npy"), Xn)
np.save(os.path.join(d, "complex.npy"), X.astype(np.complex128))
np.save(os.path.join(d, "ndim.npy"), X[..., None, None])
np.save(os.path.join(d, "empty_dim.npy"), np.zeros((5, 0, 4)))
for s in range(3):
    np.save(os.path.join(d, "sub%d.npy" % s), X[s] if s != 2 else X[s, :5])
adj = sparse.coo_matrix((np.ones(3), ([0, 1, 2], [1, 2, 3])), shape=(4, 4))
sparse.save_npz(os.path.join(d, "chain.npz"), adj)
sparse.save_npz(os.path.join(d, "chain5.npz"), sparse.coo_matrix((np.ones(1), ([0], [1])), shape=(5, 5)))
sparse.save_npz(os.path.join(d, "bsr.npz"), adj.tobsr())
np.savez(os.path.join(d, "oob.npz"), format=b"coo", shape=np.array([4, 4]), data=np.ones(1),
         row=np.array([0]), col=np.array([7]))
open(os.path.join(d, "not_zip.npz"), "wb").write(b"PK\x03\x04 truncated")
open(os.path.join(d, "not_mat.mat"), "wb").write(b"MATLAB 5.0 MAT-file, but no more")
open(os.path.join(d, "chans.txt"), "w").write("C1\nC2\n")
open(os.path.join(d, "bad.sfp"), "w").write("C1 0 0 1\nC2 0 1 zero\n")
open(os.path.join(d, "line.tsv"), "w").write("C1\t0\t0\nC2\t1\t0\nC3\t2\t0\nC4\t3\t0\n")
PY
# ---------------------------------------------------------------- the output directory
# A previous good run's outputs plus a file of the user's: every failing case must leave
# all of it exactly as it was.
OUT="$T/out"
"$CP" onesample --a "@$T/lists/good3.txt" --src "$SRC" --t-threshold 1 --n-permutations 8 \
    --p-summary 1 --out "$OUT" >/dev/null 2>"$T/err" || { fail badinput_first_run "$(cat "$T/err")"; exit 1; }
echo "my notes" >"$OUT/notes.txt"
cp -rp "$OUT" "$T/out.pristine"
state() { # a listing of every path and every file's checksum under DIR
    (cd "$1" 2>/dev/null && find . | LC_ALL=C sort && find . -type f -exec cksum {} + | LC_ALL=C sort)
}
state "$OUT" >"$T/state.before"

# case NAME STATUS 'expected text' ARGS...   (onesample cases get --out $OUT prepended)
case_() {
    name=$1 want_rc=$2 want_msg=$3
    shift 3
    if [ "$1" = onesample ]; then
        shift
        set -- onesample --out "$OUT" "$@"
    fi
    "$CP" "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
    state "$OUT" >"$T/state.after"
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name" "exit status $rc, want $want_rc; stderr: $(cat "$T/stderr")"
    elif [ "$(wc -l <"$T/stderr")" -ne 1 ] || ! grep -q '^clusterperm: error: ' "$T/stderr"; then
        fail "$name" "want one 'clusterperm: error:' line on stderr, got: $(cat "$T/stderr")"
    elif ! grep -qF -- "$want_msg" "$T/stderr"; then
        fail "$name" "message lacks '$want_msg': $(cat "$T/stderr")"
    elif ! cmp -s "$T/state.before" "$T/state.after"; then
        fail "$name" "the output directory changed: $(diff "$T/state.before" "$T/state.after" | tr '\n' ' ')"
    else
        ok "$name"
    fi
    if ! cmp -s "$T/state.before" "$T/state.after"; then # keep later cases independent
        rm -rf "$OUT" && cp -rp "$T/out.pristine" "$OUT"
    fi
}
A3="--src $SRC --t-threshold 2 --n-permutations 8"
L="$T/lists"
B="$T/bad"

# --- .stc files cut inside every header field, absurd counts, bad values (exit 1)
case_ bad_stc_empty 1 "stc: $B/stc_empty-lh.stc: truncated: 0 bytes" onesample --a "@$L/stc_empty.txt" $A3
case_ bad_stc_cut_in_tmin 1 "stc: $B/stc_cut_tmin-lh.stc: truncated: 2 bytes" onesample --a "@$L/stc_cut_tmin.txt" $A3
case_ bad_stc_cut_in_tstep 1 "stc: $B/stc_cut_tstep-lh.stc: truncated: 6 bytes" onesample --a "@$L/stc_cut_tstep.txt" $A3
case_ bad_stc_cut_in_nvertices 1 "stc: $B/stc_cut_nvertices-lh.stc: truncated: 10 bytes" onesample --a "@$L/stc_cut_nvertices.txt" $A3
case_ bad_stc_cut_in_vertices 1 "stc: $B/stc_cut_vertices-lh.stc: truncated: 52 bytes, header says 162 vertices" onesample --a "@$L/stc_cut_vertices.txt" $A3
case_ bad_stc_cut_in_ntimes 1 "stc: $B/stc_cut_ntimes-lh.stc: truncated: 662 bytes, header says 162 vertices" onesample --a "@$L/stc_cut_ntimes.txt" $A3
case_ bad_stc_cut_in_data 1 "stc: $B/stc_cut_data-lh.stc: truncated: 8436 bytes, header says 162 vertices x 12 times" onesample --a "@$L/stc_cut_data.txt" $A3
case_ bad_stc_extra_bytes 1 "stc: $B/stc_extra_bytes-lh.stc: incorrect stc file size: 8444 bytes for 162 vertices x 12 times" onesample --a "@$L/stc_extra_bytes.txt" $A3
case_ bad_stc_absurd_nvertices 1 "stc: $B/stc_absurd_nvertices-lh.stc: truncated: 8440 bytes, header says 4294967295 vertices" onesample --a "@$L/stc_absurd_nvertices.txt" $A3
case_ bad_stc_absurd_ntimes 1 "stc: $B/stc_absurd_ntimes-lh.stc: truncated: 8440 bytes, header says 162 vertices x 2147483647 times" onesample --a "@$L/stc_absurd_ntimes.txt" $A3
case_ bad_stc_zero_ntimes 1 "stc: $B/stc_zero_ntimes-lh.stc: header says 162 vertices x 0 times" onesample --a "@$L/stc_zero_ntimes.txt" $A3
case_ bad_stc_vertex_2e31 1 "stc: $B/stc_vertex_2e31-lh.stc: vertex number 2147483648 at index 5 is out of range" onesample --a "@$L/stc_vertex_2e31.txt" $A3
case_ bad_stc_vertex_duplicate 1 "stc: $B/stc_vertex_duplicate-lh.stc: vertex 0 appears more than once in hemisphere 0" onesample --a "@$L/stc_vertex_duplicate.txt" $A3
case_ bad_stc_nan 1 "$B/stc_nan-lh.stc: non-finite value nan at lh vertex 7 (row 7), time -0.05 s (sample 0 of the tested window)" onesample --a "@$L/stc_nan.txt" $A3
case_ bad_stc_nan_first 1 "$B/stc_nan-lh.stc: non-finite value nan at lh vertex 7 (row 7), time -0.05 s (sample 0 of the tested window)" onesample --a "@$L/stc_nan_first.txt" $A3 -j 2
case_ bad_stc_inf 1 "$B/stc_inf-rh.stc: non-finite value -inf at rh vertex 3 (row 3), time -0.04 s (sample 1 of the tested window)" onesample --a "@$L/stc_inf.txt" $A3
case_ bad_stc_hemi_tmin 1 "$B/stc_hemi_tmin-lh.stc and $B/stc_hemi_tmin-rh.stc: tmin/tstep differ" onesample --a "@$L/stc_hemi_tmin.txt" $A3
case_ bad_stc_hemi_ntimes 1 "$B/stc_hemi_ntimes-lh.stc and $B/stc_hemi_ntimes-rh.stc: number of times differ (12 vs 11)" onesample --a "@$L/stc_hemi_ntimes.txt" $A3
case_ bad_stc_subject_tmin 1 "$B/stc_subject_tmin-lh.stc: 12 time points from -0.04 s every 0.01 s, but $G1-lh.stc has 12 from -0.05 s every 0.01 s" onesample --a "@$L/stc_subject_tmin.txt" $A3
case_ bad_stc_rh_vertices 1 "$B/stc_rh_vertices-rh.stc: it has 161 rh vertices, $G1-rh.stc has 162 (the first 161 agree; rh vertex 161 is only in $G1-rh.stc)" onesample --a "@$L/stc_rh_vertices.txt" $A3
case_ bad_stc_b_rh_vertices 1 "$B/stc_rh_vertices-rh.stc: it has 161 rh vertices, $G1-rh.stc has 162 (the first 161 agree; rh vertex 161 is only in $G1-rh.stc)" onesample --a "@$L/good3.txt" --b "@$L/b_rh.txt" $A3
case_ bad_stc_no_hemi_tag 1 "Invalid .stc filename: $B/plain.stc; needs to end with hemisphere tag" onesample --a "@$L/plain.txt" $A3
case_ bad_stc_volume 1 "$B/vol-vl.stc (subject '3'): a volume estimate, but --src $SRC is a surface source space" onesample --a "@$L/vol.txt" $A3

# --- FIF source spaces cut inside the first tags, corrupt sizes, gzip damage (exit 1)
case_ bad_src_empty 1 "src: $B/empty-src.fif: empty file, not a FIF file" onesample --a "@$L/good3.txt" --src "$B/empty-src.fif" --t-threshold 2
case_ bad_src_cut_tag_header 1 "src: $B/cut-tag-src.fif: truncated: tag header at byte 0 runs past the end (8 bytes)" onesample --a "@$L/good3.txt" --src "$B/cut-tag-src.fif" --t-threshold 2
case_ bad_src_cut_file_id 1 "src: $B/cut-fileid-src.fif: truncated: tag 100 at byte 0 has 20 bytes of data, only 4 remain" onesample --a "@$L/good3.txt" --src "$B/cut-fileid-src.fif" --t-threshold 2
case_ bad_src_no_dir_pointer 1 "src: $B/no-dirptr-src.fif: truncated: no directory pointer" onesample --a "@$L/good3.txt" --src "$B/no-dirptr-src.fif" --t-threshold 2
case_ bad_src_magic 1 "src: $B/magic-src.fif: not a FIF file (does not start with a file id tag)" onesample --a "@$L/good3.txt" --src "$B/magic-src.fif" --t-threshold 2
case_ bad_src_negative_tag_size 1 "src: $B/negsize-src.fif: corrupt: tag 100 at byte 0 has negative size -1" onesample --a "@$L/good3.txt" --src "$B/negsize-src.fif" --t-threshold 2
case_ bad_src_absurd_tag_size 1 "src: $B/hugesize-src.fif: truncated: tag 100 at byte 0 has 2147483647 bytes of data" onesample --a "@$L/good3.txt" --src "$B/hugesize-src.fif" --t-threshold 2
case_ bad_src_cut_half 1 "src: $B/half-src.fif: truncated" onesample --a "@$L/good3.txt" --src "$B/half-src.fif" --t-threshold 2
case_ bad_src_gz_cut 1 "src: $B/cut-src.fif.gz: truncated or corrupt gzip data" onesample --a "@$L/good3.txt" --src "$B/cut-src.fif.gz" --t-threshold 2
case_ bad_src_gz_junk 1 "src: $B/junk-src.fif.gz: corrupt gzip data" onesample --a "@$L/good3.txt" --src "$B/junk-src.fif.gz" --t-threshold 2
case_ bad_src_directory 1 "src: $B/dir-src.fif: read failed: Is a directory" onesample --a "@$L/good3.txt" --src "$B/dir-src.fif" --t-threshold 2

# --- -stc.h5 files: wrong content, absurd shapes, unsupported kinds (exit 1)
case_ bad_h5_not_hdf5 1 "stc: $B/h5_not_hdf5-stc.h5: not an HDF5 file, or corrupt" onesample --a "@$L/h5_not_hdf5.txt" $A3
if [ $H5OK -eq 1 ]; then
    case_ bad_h5_missing_data 1 "stc: $B/h5_missing_data-stc.h5: /mnepython/key_data is missing" onesample --a "@$L/h5_missing_data.txt" $A3
    case_ bad_h5_rows 1 "stc: $B/h5_rows-stc.h5: Number of vertices (324) and data rows (323) must match" onesample --a "@$L/h5_rows.txt" $A3
    case_ bad_h5_absurd_shape 1 "stc: $B/h5_huge-stc.h5: key_data claims 5435817984 elements, more than a" onesample --a "@$L/h5_huge.txt" $A3
    case_ bad_h5_volume 1 "$B/h5_volume-stc.h5 (subject '3'): a volume estimate, but --src $SRC is a surface source space" onesample --a "@$L/h5_volume.txt" $A3
    case_ bad_h5_complex 1 "stc: $B/h5_complex-stc.h5: complex-valued data is not supported" onesample --a "@$L/h5_complex.txt" $A3
    case_ bad_h5_negative_vertex 1 "stc: $B/h5_negative_vertex-stc.h5: idx_0[0] = -1 is not a valid vertex number" onesample --a "@$L/h5_negative_vertex.txt" $A3
else
    fail bad_h5_setup "python3-h5py is needed to write the -stc.h5 cases"
fi

# --- list files and output directories (exit 1)
case_ bad_listfile_long_line 1 "--a: $L/longline.txt: line 2 is too long" onesample --a "@$L/longline.txt" $A3
case_ bad_listfile_directory 1 "--a: cannot read list file $L: Is a directory" onesample --a "@$L" $A3
: >"$T/afile"
"$CP" onesample --a "@$L/good3.txt" $A3 --out "$T/afile/sub" >/dev/null 2>"$T/stderr"
rc=$?
[ $rc -eq 1 ] && grep -qF -- "--out $T/afile/sub: $T/afile is not a directory" "$T/stderr" && [ ! -s "$T/afile" ] &&
    ok bad_out_below_a_file || fail bad_out_below_a_file "status $rc: $(cat "$T/stderr")"
# /proc refuses new entries, even to root (access() cannot tell in advance for root)
if [ "$(id -u)" = 0 ]; then want="--out: cannot create directory /proc/cperm-no: "; else want="directory /proc is not writable"; fi
"$CP" onesample --a "@$L/good3.txt" $A3 --out /proc/cperm-no/such >/dev/null 2>"$T/stderr"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$T/stderr")" -eq 1 ] && grep -qF -- "$want" "$T/stderr" && [ ! -e /proc/cperm-no ] &&
    ok bad_out_unwritable || fail bad_out_unwritable "status $rc: $(cat "$T/stderr")"

# --- options (exit 2)
case_ bad_opt_empty_out 2 "option --out needs a non-empty value" onesample --a "@$L/good3.txt" $A3 --out=
case_ bad_opt_empty_a 2 "option --a needs a non-empty value" onesample --a= $A3
case_ bad_opt_p_summary_0 2 "--p-summary '0' must be a probability in (0, 1]" onesample --a "@$L/good3.txt" $A3 --p-summary 0
case_ bad_opt_step_down_p 2 "--step-down-p '1.5' must be in [0, 1]" onesample --a "@$L/good3.txt" $A3 --step-down-p 1.5
case_ bad_opt_jobs 2 "--jobs '-2' must be an integer >= -1" onesample --a "@$L/good3.txt" $A3 -j -2
case_ bad_opt_jobs_missing 2 "option --jobs needs a value" onesample --a "@$L/good3.txt" $A3 -j
case_ bad_opt_tmin_word 2 "--tmin 'abc' is not a number of seconds" onesample --a "@$L/good3.txt" $A3 --tmin abc
case_ bad_opt_t_threshold_inf 2 "--t-threshold 'inf' is not a finite number" onesample --a "@$L/good3.txt" --src "$SRC" --t-threshold inf
case_ bad_opt_n_permutations_huge 2 "--n-permutations '2199023255553' must be a positive integer or 'all'" onesample --a "@$L/good3.txt" $A3 --n-permutations 2199023255553
case_ bad_opt_seed_negative 2 "--seed '-1' must be an integer in 0..4294967295" onesample --a "@$L/good3.txt" $A3 --seed -1
case_ bad_opt_sigma_nan 2 "--sigma 'nan' must be a number >= 0" onesample --a "@$L/good3.txt" $A3 --sigma nan
case_ bad_opt_max_step_huge 2 "--max-step '2147483648' must be a positive integer" onesample --a "@$L/good3.txt" $A3 --max-step 2147483648
case_ bad_opt_tail_0_negative 2 "incompatible tail and threshold signs, got 0 and -2" onesample --a "@$L/good3.txt" --src "$SRC" --t-threshold -2
case_ bad_opt_positional 2 "onesample: unexpected argument 'extra'" onesample --a "@$L/good3.txt" $A3 extra
case_ bad_opt_flag_with_value 2 "unknown option '--magnitude=1'" onesample --a "@$L/good3.txt" $A3 --magnitude=1
case_ bad_opt_single_dash 2 "unexpected argument '-a'" onesample -a "@$L/good3.txt" $A3
case_ bad_opt_none 2 "onesample: --a is required" onesample

# --- simulate (exit 2, DIR not created)
# --- array inputs (issue 14): .npy files, adjacencies, --dims (exit 1, or 2 for usage)
R="$T/arr"
AR="--t-threshold 2 --n-permutations 8"
case_ bad_npy_cut_header 1 "npy: $R/cut_header.npy: truncated header" onesample --a "$R/cut_header.npy" --dims time,channel $AR
case_ bad_npy_cut_data 1 "npy: $R/cut_data.npy: truncated data" onesample --a "$R/cut_data.npy" --dims time,channel $AR
case_ bad_npy_not_npy 1 "npy: $R/not_npy.npy: not a .npy file" onesample --a "$R/not_npy.npy" --dims time,channel $AR
case_ bad_npy_inf 1 "$R/inf.npy: observation 2 (time 3, channel 1) is inf: the data must be finite" onesample --a "$R/inf.npy" --dims time,channel $AR
case_ bad_npy_complex 1 "npy: $R/complex.npy: dtype '<c16' is not supported" onesample --a "$R/complex.npy" --dims time,channel $AR
case_ bad_npy_ndim 1 "$R/ndim.npy: shape (5, 6, 4, 1, 1) has 5 dimensions; --dims names 2" onesample --a "$R/ndim.npy" --dims time,channel $AR
case_ bad_npy_empty_dim 1 "$R/empty_dim.npy: shape (5, 0, 4): dimension 'time' is empty" onesample --a "$R/empty_dim.npy" --dims time,channel $AR
case_ bad_npy_shape_mismatch 1 "$R/sub2.npy: an observation of shape (5, 4), but $R/sub0.npy's are (6, 4)" onesample --a "$R/sub*.npy" --dims time,channel $AR
case_ bad_npy_no_files 1 "--a: no files match '$R/nothing*.npy'" onesample --a "$R/nothing*.npy" --dims time,channel $AR
case_ bad_npz_not_zip 1 "npz: $R/not_zip.npz: not a readable zip" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/not_zip.npz" $AR
case_ bad_npz_bsr 1 "npz: $R/bsr.npz: sparse format 'bsr' is not supported" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/bsr.npz" $AR
case_ bad_npz_index 1 "npz: $R/oob.npz: col[0] = 7 is not an index in [0, 4)" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/oob.npz" $AR
case_ bad_npz_size 1 "--adjacency $R/chain5.npz has 5 vertices: no dimension of the data (6, 4)" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/chain5.npz" $AR
case_ bad_adjacency_dim_length 1 "--adjacency $R/chain.npz has 4 vertices; dimension 'time' of the data has 6" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/chain.npz" --adjacency-dim time $AR
case_ bad_adjacency_dim_name 1 "--adjacency-dim 'freq' is not one of --dims time,channel" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/chain.npz" --adjacency-dim freq $AR
case_ bad_mat_garbage 1 "$R/not_mat.mat" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/not_mat.mat" $AR
case_ bad_adjacency_kind 1 "--adjacency $R/chans.txt: unknown kind of file" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/chans.txt" $AR
case_ bad_channels_count 1 "--channels $R/chans.txt names 2 channels; --adjacency $R/chain.npz has 4 vertices" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/chain.npz" --channels "$R/chans.txt" $AR
case_ bad_positions_parse 1 "$R/bad.sfp" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/bad.sfp" $AR
case_ bad_positions_collinear 1 "collinear" onesample --a "$R/good.npy" --dims time,channel --adjacency "$R/line.tsv" $AR
case_ bad_dims_syntax 2 "--dims 'time,,channel' must be 1 to 16 names" onesample --a "$R/good.npy" --dims time,,channel $AR
case_ bad_dims_with_src 2 "--src applies to source estimates, not to .npy inputs" onesample --a "$R/good.npy" --dims time,channel --src "$SRC" $AR
case_ bad_adjacency_without_dims 2 "--adjacency applies to .npy inputs; give --dims too" onesample --a "@$L/good3.txt" --adjacency "$R/chain.npz" $A3
case_ bad_dims_max_step_lattice 1 "--max-step 2 applies to a study of (time, space)" onesample --a "$R/good.npy" --dims time,channel --max-step 2 $AR
case_ bad_dims_min_duration_global 1 "--min-duration counts time points of a (time, space) study" onesample --a "$R/good.npy" --dims time,channel --min-duration 2 $AR
case_ bad_simulate_no_dir 2 "simulate: DIR is required" simulate
case_ bad_simulate_subjects_1 2 "simulate: --subjects needs an integer in 2..999" simulate "$T/sim1" --subjects 1
case_ bad_simulate_n_times 2 "simulate: --n-times needs an integer in 10..100000" simulate "$T/sim2" --n-times 5
case_ bad_simulate_tstep_0 2 "simulate: --tstep needs a number of seconds in [0.0001, 1]" simulate "$T/sim3" --tstep 0
case_ bad_simulate_unknown 2 "simulate: unknown option '--subject'" simulate "$T/sim4" --subject 3
[ ! -e "$T/sim1" ] && [ ! -e "$T/sim2" ] && [ ! -e "$T/sim3" ] && [ ! -e "$T/sim4" ] && ok bad_simulate_nothing_created ||
    fail bad_simulate_nothing_created "$(ls -d "$T"/sim* 2>&1)"
"$CP" simulate "$T/afile" >/dev/null 2>"$T/stderr"
rc=$?
[ $rc -eq 1 ] && grep -qF "simulate: $T/afile exists and is not a directory" "$T/stderr" && [ ! -s "$T/afile" ] &&
    ok bad_simulate_dir_is_file || fail bad_simulate_dir_is_file "status $rc: $(cat "$T/stderr")"

# --- atlases (issue 18): parcellations, labels and the MNI transform of a subject directory
# made here (162 vertices a hemisphere, as --src): a good subject, then each file broken
SD="$T/subjects"
"$PYTHON" - "$SD" <<'PY' || fail badinput_atlas_craft "python could not write the subject"
import gzip, os, struct, sys
sd = sys.argv[1]
def annot(n, cut=0):
    b = struct.pack('>i', n) + b''.join(struct.pack('>ii', v, 10 + v % 2) for v in range(n))
    b += struct.pack('>iii', 1, -2, 2) + struct.pack('>i', 4) + b'x.tx' + struct.pack('>i', 2)
    for i, name in enumerate((b'even', b'odd')):
        b += struct.pack('>ii', i, len(name)) + name + struct.pack('>4i', 10 + i, 0, 0, 0)
    return b[:len(b) - cut] if cut else b
def white(n):
    return (b'\xff\xff\xfe' + b'created by test\n\n' + struct.pack('>ii', n, 1) +
            struct.pack('>%df' % (3 * n), *([1.0] * 3 * n)) + struct.pack('>3i', 0, 1, 2))
hdr = struct.pack('>i4i2ih', 1, 256, 256, 256, 1, 0, 0, 1) + struct.pack('>3f', 1, 1, 1)
hdr += struct.pack('>9f', -1, 0, 0, 0, 0, -1, 0, 1, 0) + struct.pack('>3f', 0, 0, 0)
xfm = 'MNI Transform File\n\nTransform_Type = Linear;\nLinear_Transform =\n' \
      '1 0 0 0\n0 1 0 0\n0 0 1 0;\n'
for subj in ('good', 'notal', 'badxfm', 'wrongn', 'cut'):
    d = os.path.join(sd, subj)
    for sub in ('surf', 'label', 'mri/transforms'):
        os.makedirs(os.path.join(d, sub))
    for h in ('lh', 'rh'):
        open(os.path.join(d, 'surf', h + '.white'), 'wb').write(white(162))
        a = annot(100) if subj == 'wrongn' else annot(162, 30) if subj == 'cut' else annot(162)
        open(os.path.join(d, 'label', h + '.test.annot'), 'wb').write(a)
    with gzip.open(os.path.join(d, 'mri', 'orig.mgz'), 'wb') as f:
        f.write(hdr + bytes(194))
    if subj != 'notal':
        open(os.path.join(d, 'mri', 'transforms', 'talairach.xfm'), 'w').write(
            'MNI Transform File\n1 0 0 0\n' if subj == 'badxfm' else xfm)
open(os.path.join(sd, 'nohemi.label'), 'w').write('#x\n1\n3 0 0 0 1\n')
open(os.path.join(sd, 'big-lh.label'), 'w').write('#x\n1\n500 0 0 0 1\n')
PY
case_ bad_parc_unknown 1 "--parc nosuch: no such file $SD/good/label/lh.nosuch.annot (parcellations in $SD/good/label: test)" onesample --a "@$L/good3.txt" $A3 --parc nosuch --subjects-dir "$SD" --subject good
case_ bad_annot_corrupt 1 "annot: $SD/cut/label/lh.test.annot: truncated colour table" onesample --a "@$L/good3.txt" $A3 --parc test --subjects-dir "$SD" --subject cut
case_ bad_annot_vertex_count 1 "$SD/wrongn/label/lh.test.annot: the parcellation has 100 vertices, the source space's lh surface 162" onesample --a "@$L/good3.txt" $A3 --parc test --subjects-dir "$SD" --subject wrongn
case_ bad_talairach_missing 1 "$SD/notal/mri/transforms/talairach.xfm: no such file: the MNI coordinates need the subject's talairach.xfm" onesample --a "@$L/good3.txt" $A3 --parc test --subjects-dir "$SD" --subject notal
case_ bad_talairach_corrupt 1 "xfm: $SD/badxfm/mri/transforms/talairach.xfm: no 'Linear_Transform' line" onesample --a "@$L/good3.txt" $A3 --subjects-dir "$SD" --subject badxfm
case_ bad_subject_missing 1 "--subject nobody: no subject directory $SD/nobody" onesample --a "@$L/good3.txt" $A3 --parc test --subjects-dir "$SD" --subject nobody
case_ bad_label_no_hemi 1 "label: $SD/nohemi.label: cannot find which hemisphere it is" onesample --a "@$L/good3.txt" $A3 --label "$SD/nohemi.label"
case_ bad_label_vertex_range 1 "$SD/big-lh.label: vertex 500, but the source space's lh surface has 162 vertices" onesample --a "@$L/good3.txt" $A3 --label "$SD/big-lh.label"
case_ bad_parc_with_tfce 2 "--parc labels the clusters of source estimates; TFCE has no clusters" onesample --a "@$L/good3.txt" --src "$SRC" --tfce --n-permutations 8 --parc test --subjects-dir "$SD"
case_ bad_parc_path 2 "--parc 'a/b' must be a parcellation name" onesample --a "@$L/good3.txt" $A3 --parc a/b
# the good subject works, for every design, and writes clusters.tsv
for design in "onesample --a @$L/good3.txt --t-threshold 1" \
    "independent --group $T/g2/sub00[12]/$F --group $T/g2/sub00[34]/$F --f-threshold 1" \
    "rm-anova --factors 2 --effect A --cell $T/g2/sub*/$F --cell $T/g2/sub*/$S --f-threshold 1"; do
    rm -rf "$T/atlas_ok"
    # shellcheck disable=SC2086
    if "$CP" $design --src "$SRC" --n-permutations 8 --out "$T/atlas_ok" \
        --parc test --subjects-dir "$SD" --subject good -q >"$T/stdout" 2>"$T/stderr" &&
        [ -s "$T/atlas_ok/clusters.tsv" ] && grep -q '"peak_region": "\(even\|odd\)-[lr]h"' "$T/atlas_ok/clusters.json"; then
        ok "atlas_good_subject_${design%% *}"
    else
        fail "atlas_good_subject_${design%% *}" "$(cat "$T/stderr") $(ls "$T/atlas_ok" 2>&1)"
    fi
done

# ---------------------------------------------------------------- atomic outputs
# Every file a run writes - .stc outputs, h0.txt, clusters.json/tfce.json, summary.png, h0.png,
# report.html - is one transaction (cli/outputs.c): staged inside DIR, then moved into place
# together, the stale files removed in the same commit. An I/O error at step K of the run's
# writes (CLUSTERPERM_TEST_FAIL_WRITE=K to the test binary $CPT: the library's atomic-write
# steps - create temp, write, fsync, close, rename - then the commit's own: keep each previous
# file, rename each new one into place, remove each stale one), for K = 1, 2, ... until the run
# succeeds: each failing run exits 1 with one error line naming the failed step, leaves no
# temporary file and leaves DIR - the previous run's statistics, figures, report and the
# user's notes.txt - exactly as it was, also when the step failed while the figures and the
# report were written or while they were being moved into place; the run that succeeds
# writes exactly the reference run's files.
# fault_loop NAME OLD_DIR REF_DIR MIN_FIGURE_STEPS ARGS...   (ARGS without --out)
fault_loop() {
    name=$1 old=$2 ref=$3 min_fig=$4
    shift 4
    k=1 stats_steps=0 fig_steps=0 commit_steps=0 bad=0
    while [ $k -le 400 ]; do
        rm -rf "$T/fo" && cp -rp "$old" "$T/fo"
        state "$T/fo" >"$T/fo.before"
        CLUSTERPERM_TEST_FAIL_WRITE=$k "$CPT" onesample "$@" --out "$T/fo" >/dev/null 2>"$T/stderr"
        rc=$?
        [ $rc -eq 0 ] && break
        state "$T/fo" >"$T/fo.after"
        tmp=$(ls -A "$T/fo" | grep -e '\.tmp$' -e '^\.clusterperm-')
        if [ $rc -ne 1 ] || [ "$(grep -c '^clusterperm: error: ' "$T/stderr")" -ne 1 ] ||
            [ "$(wc -l <"$T/stderr")" -ne 1 ] || [ -n "$tmp" ]; then
            fail "${name}_step_$k" "status $rc, leftovers: $tmp, stderr: $(cat "$T/stderr")"
            bad=1
        elif ! cmp -s "$T/fo.before" "$T/fo.after"; then
            fail "${name}_step_$k" "the previous outputs changed: $(cat "$T/stderr"): $(diff "$T/fo.before" "$T/fo.after" | tr '\n' ' ')"
            bad=1
        elif grep -q -e ': cannot move it into place: ' -e ': cannot keep the previous file: ' \
            -e ': cannot remove the stale file: ' "$T/stderr"; then
            commit_steps=$((commit_steps + 1))
        elif grep -q -e 'write: [^ ]*/\(summary\.png\|h0\.png\|report\.html\): ' "$T/stderr"; then
            fig_steps=$((fig_steps + 1))
        elif grep -q 'write: ' "$T/stderr"; then
            stats_steps=$((stats_steps + 1))
        else
            fail "${name}_step_$k" "not a write error: $(cat "$T/stderr")"
            bad=1
        fi
        k=$((k + 1))
    done
    if [ $k -gt 400 ]; then
        fail "$name" "still failing at step 400 (is CLUSTERPERM_TEST_FAIL_WRITE honoured?)"
    elif [ $stats_steps -lt 20 ] || [ $fig_steps -lt "$min_fig" ] || [ $commit_steps -lt 4 ]; then
        fail "$name" "$((k - 1)) failing steps: $stats_steps statistics, $fig_steps figures/report, $commit_steps commit (want >= 20, >= $min_fig, >= 4)"
    elif [ $bad -eq 0 ]; then
        ok "$name ($((k - 1)) failing steps: $stats_steps statistics, $fig_steps figures/report, $commit_steps commit, each left DIR as it was)"
    fi
    # the run that succeeded: the reference run's files, the user's notes, nothing else
    (cd "$ref" && ls -A) | LC_ALL=C sort >"$T/fo.want"
    echo notes.txt >>"$T/fo.want"
    ls -A "$T/fo" | LC_ALL=C sort >"$T/fo.got"
    LC_ALL=C sort "$T/fo.want" -o "$T/fo.want"
    differ=
    for f in $(cat "$T/fo.want"); do
        [ "$f" = notes.txt ] && continue
        cmp -s "$T/fo/$f" "$ref/$f" || differ="$differ $f"
    done
    if cmp -s "$T/fo.want" "$T/fo.got" && [ -z "$differ" ] &&
        [ "$(cat "$T/fo/notes.txt")" = "my notes" ]; then
        ok "${name}_final_run_complete"
    else
        fail "${name}_final_run_complete" "files: $(diff "$T/fo.want" "$T/fo.got" | tr '\n' ' '); differ:$differ"
    fi
}
NEW="--a $T/g2/sub*/$F --b $T/g2/sub*/$S --src $SRC --t-threshold 1.5 --n-permutations 16 --p-summary 1"
"$CP" onesample $NEW --out "$T/new" >/dev/null 2>&1 || fail badinput_fault_setup "reference run failed"
# 1. a cluster run over a cluster run's outputs (both with a summary and its figure)
[ -s "$OUT/summary.png" ] && [ -s "$T/new/summary.png" ] || fail badinput_fault_setup "no summary.png"
fault_loop bad_fault_cluster "$OUT" "$T/new" 15 $NEW
# 2. a cluster run without significant clusters: summary-lh/-rh.stc and summary.png of the
# previous run are stale, removed in the commit - or kept when any step fails
NONE="--a $T/g2/sub*/$F --b $T/g2/sub*/$S --src $SRC --t-threshold 1.5 --n-permutations 16 --p-summary 0.01"
"$CP" onesample $NONE --out "$T/none" >/dev/null 2>&1 || fail badinput_fault_setup "reference run failed"
[ ! -e "$T/none/summary.png" ] && [ ! -e "$T/none/summary-lh.stc" ] ||
    fail badinput_fault_setup "the reference run without significant clusters has a summary"
fault_loop bad_fault_cluster_stale "$OUT" "$T/none" 10 $NONE
# 3. a TFCE run over a TFCE run's outputs (another extent power: every file differs)
TF="--a $T/g2/sub*/$F --src $SRC --tfce --n-permutations 16 --p-summary 1"
"$CP" onesample $TF --tfce-e 1 --out "$T/tfold" >/dev/null 2>&1 &&
    echo "my notes" >"$T/tfold/notes.txt" &&
    "$CP" onesample $TF --out "$T/tfnew" >/dev/null 2>&1 ||
    fail badinput_fault_setup "TFCE reference runs failed"
[ -s "$T/tfold/summary.png" ] && ! cmp -s "$T/tfold/h0.txt" "$T/tfnew/h0.txt" ||
    fail badinput_fault_setup "TFCE reference runs: no summary.png, or the same H0"
fault_loop bad_fault_tfce "$T/tfold" "$T/tfnew" 15 $TF

# ---------------------------------------------------------------- zero variance
# Every subject's A - B is 0: ttest_1samp_no_p gives 0/0 = nan everywhere, as in MNE 1.3;
# no clusters (a warning, as MNE's), exit 0, tobs written.
"$CP" onesample --a "$T/g2/sub*/$F" --b "$T/g2/sub*/$F" --src "$SRC" --t-threshold 2 \
    --n-permutations 8 --out "$T/zv" >"$T/stdout" 2>"$T/stderr"
rc=$?
if [ $rc -eq 0 ] && grep -q '^stat_fun(H1): min=nan max=nan$' "$T/stdout" && grep -q '^Found 0 clusters$' "$T/stdout" &&
    grep -q 'warning: No clusters found, returning empty H0, clusters, and cluster_pv' "$T/stderr" &&
    [ -s "$T/zv/tobs-lh.stc" ]; then
    ok bad_zero_variance_as_mne
else
    fail bad_zero_variance_as_mne "status $rc: $(cat "$T/stdout" "$T/stderr")"
fi
exit $failed
