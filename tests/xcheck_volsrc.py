"""xcheck_volsrc.py - volume and mixed source spaces and volume estimates against MNE 1.3.

MNE makes a 'vol' source space only from an MRI (without one it is 'discrete'), so this
builds a tiny synthetic subject offline: a 64^3 MRI of 3 mm voxels (T1.mgz, and an aseg.mgz
with two labelled boxes) written with nibabel, and ico-4 spheres as ?h.white/?h.sphere.
MNE's own setup_volume_source_space / setup_source_space / write_source_spaces make the
files; our reader (tests/tool_src.c) must give MNE's fields and mne.spatial_src_adjacency
exactly. For several volumes and for mixed spaces, where MNE 1.3's spatial_src_adjacency
fails (AssertionError, TypeError: checked here), the reference is the block diagonal of MNE's
adjacency of each part. Volume estimates: VolSourceEstimate.save (-vl.stc, -stc.h5) and
MixedSourceEstimate read by us (tests/tool_stc.c), ours read by MNE, bit for bit. Debian's
python3-mne lacks h5io, so MNE can neither save nor read -stc.h5 here: those files are written
by tests/h5io_write.py in the layout of MNE's stc.save(ftype='h5') (write_hdf5 of vertices,
data, tmin, tstep, subject and the estimate's own _src_type), and compared with the MNE object.
"""
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import scipy.sparse as sp

import mne
from mne.surface import _get_ico_surface

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xcheck_src import read_dump, same_graph  # noqa: E402 - the shared dump parser
from h5io_write import write_stc_h5  # noqa: E402 - MNE's -stc.h5 layout without h5io

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL_SRC = os.path.join(BUILD, "tests", "tool_src")
TOOL_STC = os.path.join(BUILD, "tests", "tool_stc")
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok %s" % name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def run(tool, *args):
    return subprocess.run([tool] + list(args), capture_output=True, text=True)


def pattern(adj):
    """A scipy adjacency as (n, indptr, indices): sorted rows, no diagonal."""
    adj = sp.csr_matrix(adj)
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj.sort_indices()
    return adj.shape[0], adj.indptr.astype(np.int64), adj.indices.astype(np.int32)


def mne_adjacency(src):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mne.spatial_src_adjacency(src, verbose=False)


def block_reference(src):
    """MNE's adjacency of each space alone (surfaces as one lh/rh group), on the diagonal."""
    blocks, surf = [], [s for s in src if s["type"] == "surf"]
    if surf:
        blocks.append(mne_adjacency(mne.SourceSpaces(surf)))
    for s in src:
        if s["type"] == "vol":
            blocks.append(mne_adjacency(mne.SourceSpaces([s])))
    return pattern(sp.block_diag(blocks))


def same_trans(ours, theirs):
    if theirs is None:
        return not ours["present"]
    t = np.asarray(theirs["trans"])
    return (ours["present"] == 1 and ours["frm"] == theirs["from"] and
            ours["to"] == theirs["to"] and np.array_equal(ours["trans"], t))


def compare_vol_fields(tag, h, s):
    """Every field a volume space has in MNE, against our dump of it."""
    p = tag + "_"
    check(p + "type", h["type"] == 2, str(h["type"]))
    check(p + "counts", (h["np"], h["nuse"], h["id"], h["coord_frame"]) ==
          (s["np"], s["nuse"], s["id"], s["coord_frame"]),
          "%r vs %r" % ((h["np"], h["nuse"], h["id"], h["coord_frame"]),
                        (s["np"], s["nuse"], s["id"], s["coord_frame"])))
    check(p + "shape", h["shape"] == tuple(int(x) for x in s["shape"]),
          "%r vs %r" % (h["shape"], s["shape"]))
    check(p + "rr_nn", np.array_equal(h["rr"], s["rr"].astype(np.float32)) and
          np.array_equal(h["nn"], s["nn"].astype(np.float32)), "rr/nn differ")
    check(p + "inuse_vertno", np.array_equal(h["inuse"] != 0, s["inuse"] != 0) and
          np.array_equal(h["vertno"], s["vertno"]), "inuse/vertno differ")
    for key in ("src_mri_t", "vox_mri_t", "mri_ras_t"):
        check(p + key, same_trans(h[key], s.get(key)), "%r vs %r" % (h[key], s.get(key)))
    check(p + "mri_dims", (h["mri_width"], h["mri_height"], h["mri_depth"]) ==
          (s.get("mri_width", 0), s.get("mri_height", 0), s.get("mri_depth", 0)), "differ")
    interp = s.get("interpolator")
    if interp is None:
        check(p + "interpolator", h["interp"] is None, "ours has one, MNE none")
    else:
        ok = h["interp"] is not None
        if ok:
            rows, cols, indptr, indices, data = h["interp"]
            ok = ((rows, cols) == interp.shape and np.array_equal(indptr, interp.indptr) and
                  np.array_equal(indices, interp.indices) and
                  np.array_equal(data, interp.data.astype(np.float32)))
        check(p + "interpolator", ok, "interpolator differs")
    for key in ("seg_name", "mri_file", "mri_volume_name"):
        check(p + key, h[key] == s.get(key), "%r vs %r" % (h[key], s.get(key)))
    check(p + "subject", h["subject"] == (s["subject_his_id"] or ""), h["subject"])


def dump(tmp, tag, fname):
    out = os.path.join(tmp, tag + ".bin")
    r = run(TOOL_SRC, "dump", fname, out)
    check(tag + "_read", r.returncode == 0, r.stdout + r.stderr)
    if r.returncode != 0:
        return None
    return read_dump(out)


def check_space(tmp, tag, src, reference=None):
    """Write src with MNE, read it back with MNE and with us; compare fields and adjacency."""
    fname = os.path.join(tmp, tag + "-src.fif")
    mne.write_source_spaces(fname, src, overwrite=True, verbose=False)
    back = mne.read_source_spaces(fname, verbose=False)
    got = dump(tmp, tag, fname)
    if got is None:
        return fname, back, None
    hemis, rc, graph, msg = got
    check(tag + "_n_spaces", len(hemis) == len(back), "%d vs %d" % (len(hemis), len(back)))
    for k, (h, s) in enumerate(zip(hemis, back)):
        if s["type"] == "vol":
            compare_vol_fields("%s_s%d" % (tag, k), h, s)
        else:
            check("%s_s%d_surface" % (tag, k), h["type"] == 1 and h["shape"] == (0, 0, 0) and
                  np.array_equal(h["vertno"], s["vertno"]) and
                  np.array_equal(h["use_tris"], s["use_tris"]), "surface fields differ")
    ref = reference(back) if reference else pattern(mne_adjacency(back))
    ok, why = same_graph(graph, ref)
    nnz = ref[1][-1]
    check(tag + "_adjacency", rc == 0 and ok and nnz > 0, (why or msg) + " (nnz %d)" % nnz)
    return fname, back, hemis


def make_mri(tmp):
    """A 64^3 MRI of 3 mm voxels centred on the origin (FreeSurfer-like axes), and an aseg
    with two boxes labelled 17 and 53."""
    import nibabel as nib
    n, vs = 64, 3.0
    aff = np.array([[-vs, 0, 0, n * vs / 2], [0, 0, vs, -n * vs / 2],
                    [0, -vs, 0, n * vs / 2], [0, 0, 0, 1.0]])
    mri_dir = os.path.join(tmp, "sample", "mri")
    os.makedirs(mri_dir)
    t1 = os.path.join(mri_dir, "T1.mgz")
    nib.save(nib.MGHImage(np.zeros((n, n, n), np.uint8), aff), t1)
    seg = np.zeros((n, n, n), np.int32)
    seg[10:30, 20:40, 20:40] = 17
    seg[34:54, 20:40, 20:40] = 53
    aseg = os.path.join(mri_dir, "aseg.mgz")
    nib.save(nib.MGHImage(seg, aff), aseg)
    return t1, aseg


def make_surfaces(tmp):
    surf_dir = os.path.join(tmp, "sample", "surf")
    os.makedirs(surf_dir)
    ico = _get_ico_surface(4)
    rr = ico["rr"] * 80.0
    for hemi, sx in (("lh", -1.0), ("rh", 1.0)):
        white = rr.copy()
        white[:, 0] += sx * 40.0
        mne.write_surface(os.path.join(surf_dir, hemi + ".white"), white, ico["tris"],
                          overwrite=True)
        mne.write_surface(os.path.join(surf_dir, hemi + ".sphere"), rr, ico["tris"],
                          overwrite=True)


def expect_error(tag, tmp, fname, words):
    r = run(TOOL_SRC, "check", fname)
    check(tag, r.returncode == 2 and "error -4" in r.stdout and fname in r.stdout and
          all(w in r.stdout for w in words), r.stdout + r.stderr)


def find_block_start(buf, kind):
    """Byte offset of the data of the first FIFF_BLOCK_START tag opening block `kind`."""
    needle = np.array([104, 3, 4], ">i4").tobytes()
    pos = 0
    while True:
        pos = buf.find(needle, pos)
        if pos < 0:
            return -1
        if int(np.frombuffer(buf, ">i4", 1, pos + 16)[0]) == kind:
            return pos + 16
        pos += 1


def source_spaces(tmp):
    t1, aseg = make_mri(tmp)
    make_surfaces(tmp)
    sphere = (0.0, 0.0, 0.0, 0.09)
    vols = {}
    # 1. Whole-sphere grids of 10, 15 and 20 mm, with and without the interpolator.
    for pos in (10.0, 15.0, 20.0):
        for interp in (True, False):
            tag = "vol%d_%s" % (pos, "interp" if interp else "nointerp")
            src = mne.setup_volume_source_space(pos=pos, mri=t1, sphere=sphere,
                                                add_interpolator=interp, verbose=False)
            check(tag + "_mne_is_vol", src[0]["type"] == "vol" and
                  (src[0].get("interpolator") is not None) == interp, src[0]["type"])
            vols[tag] = check_space(tmp, tag, src)
    # 2. The same file gzipped.
    src = mne.setup_volume_source_space(pos=15.0, mri=t1, sphere=sphere, verbose=False)
    gz = os.path.join(tmp, "vol15gz-src.fif.gz")
    mne.write_source_spaces(gz, src, verbose=False)
    got = dump(tmp, "vol15gz", gz)
    if got is not None:
        back = mne.read_source_spaces(gz, verbose=False)
        compare_vol_fields("vol15gz", got[0][0], back[0])
        ok, why = same_graph(got[2], pattern(mne_adjacency(back)))
        check("vol15gz_adjacency", ok, why)
    # 3. Volume labels: one merged space (MNE's adjacency applies), and two spaces.
    labels = {"Left-Hippocampus": 17, "Right-Hippocampus": 53}
    one = mne.setup_volume_source_space(pos=10.0, mri=aseg, sphere=sphere, volume_label=labels,
                                        single_volume=True, verbose=False)
    check_space(tmp, "label_single", one)
    two = mne.setup_volume_source_space(pos=10.0, mri=aseg, sphere=sphere, volume_label=labels,
                                        add_interpolator=True, verbose=False)
    try:
        mne_adjacency(two)
        mne_fails = False
    except AssertionError:
        mne_fails = True
    check("label_two_mne_fails", mne_fails, "MNE 1.3 handled two volumes")
    vols["label_two"] = check_space(tmp, "label_two", two, block_reference)
    # 4. Mixed: an ico-3 surface pair and a volume (MNE 1.3 cannot build its adjacency).
    surf = mne.setup_source_space("sample", spacing="ico3", add_dist=False,
                                  subjects_dir=tmp, verbose=False)
    vol = mne.setup_volume_source_space(pos=20.0, mri=t1, sphere=sphere, verbose=False)
    mixed = surf + vol
    check("mixed_kind", mixed.kind == "mixed", mixed.kind)
    try:
        mne_adjacency(mixed)
        mne_fails = False
    except TypeError:
        mne_fails = True
    check("mixed_mne_fails", mne_fails, "MNE 1.3 handled a mixed space")
    check_space(tmp, "mixed", mixed, block_reference)
    mixed2 = surf + two
    check_space(tmp, "mixed_two", mixed2, block_reference)
    bad_input(tmp, t1, sphere)
    return vols, mixed


def bad_input(tmp, t1, sphere):
    """Files MNE writes (or MNE's file with bytes changed) that must get one clear error."""
    src = mne.setup_volume_source_space(pos=20.0, mri=t1, sphere=sphere, verbose=False)
    good = os.path.join(tmp, "good-src.fif")
    mne.write_source_spaces(good, src, verbose=False)
    buf = open(good, "rb").read()
    # Truncated anywhere: an error naming the file, never a crash.
    bad = 0
    for cut in (20, 100, len(buf) // 3, len(buf) // 2, len(buf) - 40, len(buf) - 1):
        fname = os.path.join(tmp, "cut%d-src.fif" % cut)
        open(fname, "wb").write(buf[:cut])
        r = run(TOOL_SRC, "check", fname)
        bad += not (r.returncode == 2 and r.stdout.startswith("error -4") and fname in r.stdout)
    check("truncated_volume_files", bad == 0, "%d cuts not refused cleanly" % bad)
    # Inconsistent counts: a grid shape that does not multiply to np.
    wrong = copy.deepcopy(src)
    wrong[0]["shape"] = (wrong[0]["shape"][0] + 1,) + tuple(wrong[0]["shape"][1:])
    fname = os.path.join(tmp, "wrongshape-src.fif")
    mne.write_source_spaces(fname, wrong, verbose=False)
    expect_error("wrong_shape", tmp, fname, ["source space 0", "grid shape 12 x 11 x 11",
                                             "1452 points", "1331"])
    # An interpolator with a column per point plus one.
    wrong = copy.deepcopy(src)
    nvox = 64 ** 3
    wrong[0]["interpolator"] = sp.csr_matrix(
        (np.ones(3), ([0, 5, 9], [0, 1, src[0]["np"]])), shape=(nvox, src[0]["np"] + 1))
    fname = os.path.join(tmp, "wronginterp-src.fif")
    mne.write_source_spaces(fname, wrong, verbose=False)
    expect_error("wrong_interpolator_columns", tmp, fname,
                 ["source space 0", "interpolator", "1332 columns", "1331 points"])
    # Rows that do not match the MRI's dimensions.
    wrong = copy.deepcopy(src)
    wrong[0]["interpolator"] = sp.csr_matrix((np.ones(1), ([0], [0])),
                                             shape=(nvox - 1, src[0]["np"]))
    fname = os.path.join(tmp, "wrongrows-src.fif")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mne.write_source_spaces(fname, wrong, verbose=False)
    expect_error("wrong_interpolator_rows", tmp, fname,
                 ["source space 0", "262143 rows", "64 x 64 x 64"])
    # No parent-MRI block (renamed): MNE refuses the file, so do we, with its words.
    off = find_block_start(buf, 353)
    b2 = bytearray(buf)
    b2[off:off + 4] = np.array([999], ">i4").tobytes()
    fname = os.path.join(tmp, "nomri-src.fif")
    open(fname, "wb").write(bytes(b2))
    try:
        mne.read_source_spaces(fname, verbose=False)
        mne_err = ""
    except ValueError as e:
        mne_err = str(e)
    check("no_parent_mri_mne_refuses", "Can not find parent MRI location" in mne_err, mne_err)
    expect_error("no_parent_mri", tmp, fname, ["source space 0", "Can not find parent MRI location"])
    # A corrupt CSR row pointer inside the interpolator (the last pointer made larger).
    src_i = mne.setup_volume_source_space(pos=20.0, mri=t1, sphere=sphere,
                                          add_interpolator=True, verbose=False)
    gi = os.path.join(tmp, "goodinterp-src.fif")
    mne.write_source_spaces(gi, src_i, verbose=False)
    bi = bytearray(open(gi, "rb").read())
    kind = np.array([3597, 0x40200004], ">i4").tobytes()
    at = bytes(bi).find(kind)
    size = int(np.frombuffer(bytes(bi), ">i4", 1, at + 8)[0])
    last_ptr = at + 16 + size - 16 - 4
    bi[last_ptr:last_ptr + 4] = np.array([10 ** 8], ">i4").tobytes()
    fname = os.path.join(tmp, "badptr-src.fif")
    open(fname, "wb").write(bytes(bi))
    expect_error("corrupt_interpolator_pointer", tmp, fname,
                 ["source space 0", "not a valid CSR matrix"])


def load_stc_dump(path):
    """tests/tool_stc.c's dump (the layout xcheck_stc.py reads too)."""
    from xcheck_stc import load_dump
    return load_dump(path)


def ours_stc(tmp, path, cmd="dumpany", env=None):
    out = os.path.join(tmp, "stc-dump.bin")
    if os.path.exists(out):
        os.remove(out)
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([TOOL_STC, cmd, path, out], capture_output=True, text=True, env=e)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return load_stc_dump(out), ""


def same_estimate(tag, got, want, kind):
    """Ours against MNE's object: kind, every vertex block, tmin, tstep, data bit for bit."""
    if got is None:
        check(tag, False, "not read")
        return
    data = np.asarray(want.data, np.float64)
    ok_v = len(got["vertices"]) == len(want.vertices) and all(
        np.array_equal(a, b) for a, b in zip(got["vertices"], want.vertices))
    check(tag + "_kind", got["kind"] == kind, "kind %d, want %d" % (got["kind"], kind))
    check(tag + "_vertices", ok_v, "%d blocks vs %d" % (len(got["vertices"]), len(want.vertices)))
    check(tag + "_tmin_tstep", got["tmin"] == want.tmin and got["tstep"] == want.tstep,
          "%r %r vs %r %r" % (got["tmin"], got["tstep"], want.tmin, want.tstep))
    check(tag + "_data", got["data"].shape == data.shape and
          np.array_equal(got["data"].view(np.uint64), data.view(np.uint64)),
          "shape %r vs %r or values differ" % (got["data"].shape, data.shape))
    check(tag + "_subject", got["subject"] == (want.subject or ""), got["subject"])


def save_h5(est, path):
    """est.save(path, ftype='h5') as MNE 1.3 lays it out (h5io is not installed)."""
    write_stc_h5(path, est.data, est.vertices, est.tmin, est.tstep, subject=est.subject,
                 src_type=est._src_type)


def estimates(tmp, vols, mixed):
    rng = np.random.default_rng(14)
    _, src15, _ = vols["vol15_nointerp"]
    verts = [src15[0]["vertno"]]
    nv, nt = len(verts[0]), 7
    # 1. -vl.stc and -vol.stc written by VolSourceEstimate.save, read by us.
    stc = mne.VolSourceEstimate(rng.standard_normal((nv, nt)) * 1e-9, verts, tmin=-0.1234,
                                tstep=0.004, subject="sample")
    stem = os.path.join(tmp, "est")
    stc.save(stem, overwrite=True, verbose=False)
    want = mne.read_source_estimate(stem + "-vl.stc")
    check("mne_vl_is_volume", isinstance(want, mne.VolSourceEstimate), type(want).__name__)
    got, err = ours_stc(tmp, stem + "-vl.stc")
    same_estimate("vl_stc", got, want, 1)
    stc.save(os.path.join(tmp, "est2-vol.stc"), overwrite=True, verbose=False)
    got, err = ours_stc(tmp, os.path.join(tmp, "est2-vol.stc"))
    same_estimate("vol_stc", got, mne.read_source_estimate(os.path.join(tmp, "est2-vol.stc")), 1)
    got, err = ours_stc(tmp, stem + "-vl.stc", cmd="readvolmem")
    same_estimate("vl_stc_mem", got, want, 1)
    # 2. Ours written (cperm_stc_write_vol), read by MNE: the same estimate, the same bytes.
    out = os.path.join(tmp, "ours")
    r = subprocess.run([TOOL_STC, "writevol", stem + "-vl.stc", out], capture_output=True,
                       text=True)
    check("writevol", r.returncode == 0, r.stderr)
    if r.returncode == 0:
        back = mne.read_source_estimate(out + "-vl.stc")
        check("writevol_mne_reads", isinstance(back, mne.VolSourceEstimate) and
              np.array_equal(back.vertices[0], want.vertices[0]) and
              back.tmin == want.tmin and back.tstep == want.tstep and
              np.array_equal(back.data, want.data), "differs")
        check("writevol_same_bytes", open(out + "-vl.stc", "rb").read() ==
              open(stem + "-vl.stc", "rb").read(), "bytes differ from MNE's file")
    # 3. -stc.h5 of a VolSourceEstimate, scalar and vector, in a child and in-process.
    check("vol_src_type", stc._src_type == "volume", stc._src_type)
    save_h5(stc, os.path.join(tmp, "vol-stc.h5"))
    want = stc
    for iso in ("1", "0"):
        got, err = ours_stc(tmp, os.path.join(tmp, "vol-stc.h5"), env={"CPERM_H5_ISOLATE": iso})
        same_estimate("vol_h5_isolate%s" % iso, got, want, 1)
    vec = mne.VolVectorSourceEstimate(rng.standard_normal((nv, 3, nt)), verts, tmin=0.5,
                                      tstep=0.001, subject=None)
    save_h5(vec, os.path.join(tmp, "volvec-stc.h5"))
    got, err = ours_stc(tmp, os.path.join(tmp, "volvec-stc.h5"))
    same_estimate("volvec_h5", got, vec, 1)
    # 4. Two volumes (volume labels): h5 only (MNE refuses .stc), two blocks; ours refuses too.
    _, two, _ = vols["label_two"]
    verts2 = [s["vertno"] for s in two]
    stc2 = mne.VolSourceEstimate(rng.standard_normal((sum(map(len, verts2)), 3)), verts2,
                                 tmin=0.0, tstep=0.01)
    try:
        stc2.save(os.path.join(tmp, "two"), verbose=False)
        mne_refuses = False
    except ValueError as e:
        mne_refuses = "single volume" in str(e)
    check("two_volumes_stc_mne_refuses", mne_refuses, "MNE wrote it")
    save_h5(stc2, os.path.join(tmp, "two-stc.h5"))
    got, err = ours_stc(tmp, os.path.join(tmp, "two-stc.h5"))
    same_estimate("two_volumes_h5", got, stc2, 1)
    r = subprocess.run([TOOL_STC, "writevol", os.path.join(tmp, "two-stc.h5"),
                        os.path.join(tmp, "two-ours")], capture_output=True, text=True)
    check("two_volumes_writevol_refused", r.returncode == 2 and "error -1" in r.stderr and
          "single volume" in r.stderr, r.stderr)
    # cperm_stc_read stays a surface reader (its callers take two blocks for lh/rh): it
    # refuses volume estimates, whatever their form.
    for name in (stem + "-vl.stc", os.path.join(tmp, "vol-stc.h5"),
                 os.path.join(tmp, "two-stc.h5")):
        got, err = ours_stc(tmp, name, cmd="dump")
        check("surface_reader_refuses_" + os.path.basename(name), got is None and
              err.startswith("error -5:") and name in err, err or "read it")
    # 5. Mixed estimates (lh, rh, volume), scalar and vector.
    mverts = [s["vertno"] for s in mixed]
    n_m = sum(map(len, mverts))
    for name, klass, shape in (("mixed", mne.MixedSourceEstimate, (n_m, 4)),
                               ("mixedvec", mne.MixedVectorSourceEstimate, (n_m, 3, 4))):
        est = klass(rng.standard_normal(shape), mverts, tmin=0.25, tstep=0.002, subject="sample")
        check(name + "_src_type", est._src_type == "mixed", est._src_type)
        save_h5(est, os.path.join(tmp, name + "-stc.h5"))
        got, err = ours_stc(tmp, os.path.join(tmp, name + "-stc.h5"))
        same_estimate(name + "_h5", got, est, 2)
    # 6. Bad volume .stc files: truncated, and vertices out of order (MNE refuses them).
    buf = open(stem + "-vl.stc", "rb").read()
    bad = 0
    for cut in (3, 11, 16, 40, len(buf) - 4, len(buf) - 1):
        fname = os.path.join(tmp, "cut%d-vl.stc" % cut)
        open(fname, "wb").write(buf[:cut])
        got, err = ours_stc(tmp, fname)
        bad += not (got is None and err.startswith("error -4:") and fname in err)
    check("truncated_vl_stc", bad == 0, "%d cuts not refused cleanly" % bad)
    b2 = bytearray(buf)
    v0, v1 = b2[12:16], b2[16:20]
    b2[12:16], b2[16:20] = v1, v0
    fname = os.path.join(tmp, "swapped-vl.stc")
    open(fname, "wb").write(bytes(b2))
    try:
        mne.read_source_estimate(fname)
        mne_err = ""
    except ValueError as e:
        mne_err = str(e)
    got, err = ours_stc(tmp, fname)
    check("unsorted_vl_stc", "increasing order" in mne_err and got is None and
          err.startswith("error -4:") and "Vertices must be ordered in increasing order" in err
          and fname in err, "mne %r, ours %r" % (mne_err, err))


def main():
    for t in (TOOL_SRC, TOOL_STC):
        if not os.path.exists(t):
            print("FAIL xcheck_volsrc: %s not built" % t)
            return 1
    tmp = tempfile.mkdtemp()
    try:
        with mne.use_log_level("error"):
            vols, mixed = source_spaces(tmp)
            estimates(tmp, vols, mixed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
