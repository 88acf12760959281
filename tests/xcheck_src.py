"""xcheck_src.py - source spaces and their adjacency against MNE 1.3.

Builds a fake fsaverage (ico-7 spheres as ?h.white / ?h.sphere, no download), lets MNE set
up an ico-5 source space and write it, then reads it with our reader (tests/tool_src.c) and
compares every field and the adjacency with mne.spatial_src_adjacency. Also: .fif.gz, a
source space with holes in vertno, MNE's error cases, a volume source space, and files
written by our writer read back by mne.read_source_spaces.
"""
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np

import mne
from mne.surface import _get_ico_surface

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_src")
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok %s" % name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def tool(*args):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True)


def read_dump(path):
    """Parse tool_src's dump format (see tests/tool_src.c)."""
    b = open(path, "rb").read()
    pos = [0]

    def take(dtype, n):
        a = np.frombuffer(b, dtype=dtype, count=n, offset=pos[0])
        pos[0] += a.nbytes
        return a

    assert b[:4] == b"CPSD"
    pos[0] = 4
    n_hemis = int(take(np.int64, 1)[0])
    hemis = []
    for _ in range(n_hemis):
        (typ, id_, frame, np_, ntri, nuse, nuse_tri, has_tris, has_use) = \
            (int(x) for x in take(np.int64, 9))
        subject = bytes(take(np.uint8, 64)).split(b"\0")[0].decode("latin1")
        h = dict(type=typ, id=id_, coord_frame=frame, np=np_, ntri=ntri, nuse=nuse,
                 nuse_tri=nuse_tri, subject=subject)
        h["rr"] = take(np.float32, 3 * np_).reshape(np_, 3)
        h["nn"] = take(np.float32, 3 * np_).reshape(np_, 3)
        h["tris"] = take(np.int32, 3 * ntri).reshape(ntri, 3) if has_tris else None
        h["inuse"] = take(np.int32, np_)
        h["vertno"] = take(np.int32, nuse)
        h["use_tris"] = (take(np.int32, 3 * nuse_tri).reshape(nuse_tri, 3)
                         if has_use else None)
        hemis.append(h)
    graph_rc = int(take(np.int64, 1)[0])
    graph = None
    msg = ""
    if graph_rc == 0:
        n, nnz = (int(x) for x in take(np.int64, 2))
        indptr = take(np.int64, n + 1)
        indices = take(np.int32, nnz)
        graph = (n, indptr, indices)
    else:
        msg = bytes(take(np.uint8, 512)).split(b"\0")[0].decode()
    # The volume fields of every space (tests/tool_src.c; zero for surfaces).
    assert b[pos[0]:pos[0] + 4] == b"CPVL"
    pos[0] += 4

    def trans():
        present, frm, to = (int(x) for x in take(np.int64, 3))
        return dict(present=present, frm=frm, to=to, trans=take(np.float64, 16).reshape(4, 4))

    def string():
        n = int(take(np.int64, 1)[0])
        return None if n < 0 else bytes(take(np.uint8, n)).decode("latin1")

    for h in hemis:
        h["shape"] = tuple(int(x) for x in take(np.int64, 3))
        h["src_mri_t"], h["vox_mri_t"], h["mri_ras_t"] = trans(), trans(), trans()
        (h["mri_width"], h["mri_height"], h["mri_depth"], rows, cols, nnz, has) = \
            (int(x) for x in take(np.int64, 7))
        h["interp"] = None
        if has:
            indptr = take(np.int64, rows + 1)
            indices = take(np.int32, nnz)
            data = take(np.float32, nnz)
            h["interp"] = (rows, cols, indptr, indices, data)
        h["seg_name"], h["mri_file"], h["mri_volume_name"] = string(), string(), string()
    return hemis, graph_rc, graph, msg


def mne_pattern(src):
    """MNE's spatial_src_adjacency as (n, indptr, indices) without the diagonal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj = mne.spatial_src_adjacency(src, verbose=False).tocsr()
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj.sort_indices()
    return adj.shape[0], adj.indptr.astype(np.int64), adj.indices.astype(np.int32)


def same_graph(ours, theirs):
    if ours is None:
        return False, "no graph"
    if ours[0] != theirs[0]:
        return False, "n %d vs %d" % (ours[0], theirs[0])
    if not np.array_equal(ours[1], theirs[1]):
        return False, "indptr differs"
    if not np.array_equal(ours[2], theirs[2]):
        return False, "indices differ"
    return True, ""


def compare_fields(tag, hemis, src):
    check(tag + "_n_hemis", len(hemis) == len(src), "%d vs %d" % (len(hemis), len(src)))
    for k, (h, s) in enumerate(zip(hemis, src)):
        p = "%s_h%d_" % (tag, k)
        check(p + "type", h["type"] == {"surf": 1, "vol": 2, "discrete": 3}[s["type"]],
              str(h["type"]))
        check(p + "id_frame", h["id"] == s["id"] and h["coord_frame"] == s["coord_frame"],
              "%d/%d vs %d/%d" % (h["id"], h["coord_frame"], s["id"], s["coord_frame"]))
        check(p + "counts", (h["np"], h["ntri"], h["nuse"], h["nuse_tri"]) ==
              (s["np"], s["ntri"], len(s["vertno"]), s["nuse_tri"]),
              "%r" % ((h["np"], h["ntri"], h["nuse"], h["nuse_tri"]),))
        # MNE reads float32 and widens to float64: the float32 values are identical.
        check(p + "rr", np.array_equal(h["rr"], s["rr"].astype(np.float32)), "rr differs")
        check(p + "nn", np.array_equal(h["nn"], s["nn"].astype(np.float32)), "nn differs")
        check(p + "tris", h["tris"] is not None and np.array_equal(h["tris"], s["tris"]),
              "tris differ")
        check(p + "inuse", np.array_equal(h["inuse"] != 0, s["inuse"] != 0), "inuse differs")
        check(p + "vertno", np.array_equal(h["vertno"], s["vertno"]), "vertno differs")
        check(p + "use_tris", h["use_tris"] is not None and
              np.array_equal(h["use_tris"], s["use_tris"]), "use_tris differ")
        check(p + "subject", h["subject"] == (s["subject_his_id"] or ""),
              "%r vs %r" % (h["subject"], s["subject_his_id"]))


def dump_and_compare(tag, fname, src, tmp):
    out = os.path.join(tmp, tag + ".bin")
    r = tool("dump", fname, out)
    check(tag + "_read", r.returncode == 0, r.stdout + r.stderr)
    if r.returncode != 0:
        return None
    hemis, rc, graph, msg = read_dump(out)
    compare_fields(tag, hemis, src)
    ok, why = same_graph(graph, mne_pattern(src))
    check(tag + "_adjacency", rc == 0 and ok, why or msg)
    return hemis


def dump_and_compare_vol(tag, fname, src, tmp):
    """A volume space: the fields every space has (not tris) and MNE's adjacency."""
    out = os.path.join(tmp, tag + ".bin")
    r = tool("dump", fname, out)
    check(tag + "_read", r.returncode == 0, r.stdout + r.stderr)
    if r.returncode != 0:
        return None
    hemis, rc, graph, msg = read_dump(out)
    for k, (h, s) in enumerate(zip(hemis, src)):
        check("%s_h%d_vertno" % (tag, k), np.array_equal(h["vertno"], s["vertno"]) and
              np.array_equal(h["rr"], s["rr"].astype(np.float32)), "differ")
    ok, why = same_graph(graph, mne_pattern(src))
    check(tag + "_adjacency", rc == 0 and ok, why or msg)
    return hemis


def make_subject(tmp, grade):
    surf_dir = os.path.join(tmp, "fsaverage", "surf")
    os.makedirs(surf_dir)
    ico = _get_ico_surface(grade)
    rr = ico["rr"] * 80.0  # mm
    for hemi, sx in (("lh", -1.0), ("rh", 1.0)):
        white = rr.copy()
        white[:, 0] += sx * 40.0
        mne.write_surface(os.path.join(surf_dir, hemi + ".white"), white, ico["tris"],
                          overwrite=True)
        mne.write_surface(os.path.join(surf_dir, hemi + ".sphere"), rr, ico["tris"],
                          overwrite=True)


def main():
    if not os.path.exists(TOOL):
        print("FAIL xcheck_src: %s not built" % TOOL)
        return 1
    tmp = tempfile.mkdtemp()
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def run(tmp):
    make_subject(tmp, 7)
    src0 = mne.setup_source_space("fsaverage", spacing="ico5", add_dist=False,
                                  subjects_dir=tmp, verbose=False)
    fname = os.path.join(tmp, "fsaverage-ico5-src.fif")
    mne.write_source_spaces(fname, src0, verbose=False)
    src = mne.read_source_spaces(fname, verbose=False)
    check("mne_ico5_setup", len(src) == 2 and len(src[0]["vertno"]) == 10242 and
          src[0]["np"] == 163842, "unexpected MNE source space")

    # 1. MNE's file, plain and gzip.
    plain = dump_and_compare("ico5", fname, src, tmp)
    gzname = os.path.join(tmp, "fsaverage-ico5-src.fif.gz")
    mne.write_source_spaces(gzname, src, verbose=False)
    gz = dump_and_compare("ico5gz", gzname, src, tmp)
    if plain is not None and gz is not None:
        check("ico5_gz_equals_plain", all(np.array_equal(a["rr"], b["rr"]) and
                                          np.array_equal(a["vertno"], b["vertno"])
                                          for a, b in zip(plain, gz)), "differ")

    # 2. Holes: drop used vertices from vertno (MNE warns, adjacency loses them).
    holes = copy.deepcopy(src)
    rng = np.random.RandomState(0)
    for s in holes:
        drop = rng.choice(s["vertno"], 500, replace=False)
        s["inuse"][drop] = 0
        s["vertno"] = np.where(s["inuse"])[0]
        s["nuse"] = len(s["vertno"])
    hname = os.path.join(tmp, "holes-src.fif")
    mne.write_source_spaces(hname, holes, verbose=False)
    holes = mne.read_source_spaces(hname, verbose=False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        mne.spatial_src_adjacency(holes, verbose=False)
    check("holes_mne_warns", any("omitted" in str(x.message) for x in w), "no warning")
    dump_and_compare("holes", hname, holes, tmp)

    # 3. vertno with a vertex outside use_tris: MNE raises, so do we.
    bad = copy.deepcopy(src)
    unused = np.setdiff1d(np.arange(bad[0]["np"]), np.unique(bad[0]["use_tris"]))[0]
    bad[0]["inuse"][unused] = 1
    bad[0]["vertno"] = np.where(bad[0]["inuse"])[0]
    bad[0]["nuse"] = len(bad[0]["vertno"])
    bname = os.path.join(tmp, "badmask-src.fif")
    mne.write_source_spaces(bname, bad, verbose=False)
    bad = mne.read_source_spaces(bname, verbose=False)
    try:
        mne.spatial_src_adjacency(bad, verbose=False)
        mne_err = ""
    except ValueError as e:
        mne_err = str(e)
    r = tool("dump", bname, os.path.join(tmp, "badmask.bin"))
    if r.returncode == 0:
        _, rc, _, msg = read_dump(os.path.join(tmp, "badmask.bin"))
        check("vertex_mask_error", "Vertex mask" in mne_err and rc == -1 and "Vertex mask" in msg,
              "mne %r, ours %d %r" % (mne_err, rc, msg))
    else:
        check("vertex_mask_error", False, r.stdout)

    # 4. No use_tris: MNE raises RuntimeError, we refuse as unsupported (-5).
    nout = copy.deepcopy(src)
    for s in nout:
        s["use_tris"] = None
        s["nuse_tri"] = 0
    nname = os.path.join(tmp, "nousetris-src.fif")
    mne.write_source_spaces(nname, nout, verbose=False)
    nout = mne.read_source_spaces(nname, verbose=False)
    try:
        mne.spatial_src_adjacency(nout, verbose=False)
        mne_raised = False
    except RuntimeError:
        mne_raised = True
    r = tool("dump", nname, os.path.join(tmp, "nousetris.bin"))
    if r.returncode == 0:
        hemis, rc, _, msg = read_dump(os.path.join(tmp, "nousetris.bin"))
        check("no_use_tris_error", mne_raised and rc == -5 and hemis[0]["use_tris"] is None,
              "mne raised %s, ours %d %r" % (mne_raised, rc, msg))
    else:
        check("no_use_tris_error", False, r.stdout)

    # 5. A volume source space (an MNE-readable one built without an MRI) is refused
    # cleanly; a discrete one is read, and its adjacency refused as MNE refuses it.
    from mne.source_space import _make_volume_source_space, _complete_vol_src
    from mne.transforms import Transform
    with mne.use_log_level("error"):
        vol = _make_volume_source_space(dict(R=0.09, r0=np.zeros(3)), 0.03, 0.0, 5.0)
        vol[0]["mri_ras_t"] = Transform("mri", "ras", np.eye(4))
        vol[0]["vox_mri_t"] = Transform("mri_voxel", "mri", np.eye(4))
        vol[0]["mri_width"], vol[0]["mri_height"], vol[0]["mri_depth"] = vol[0]["shape"]
        vol = _complete_vol_src(vol)
        vname = os.path.join(tmp, "vol-src.fif")
        mne.write_source_spaces(vname, vol)
        check("volume_mne_reads", mne.read_source_spaces(vname)[0]["type"] == "vol", "not vol")
    # Volume spaces are read now (tests/xcheck_volsrc.py checks them in depth).
    vol = mne.read_source_spaces(vname, verbose=False)
    hemis = dump_and_compare_vol("volume", vname, vol, tmp)
    check("volume_read", hemis is not None and hemis[0]["type"] == 2 and
          hemis[0]["shape"] == tuple(vol[0]["shape"]), "not read as a volume")
    disc = mne.setup_volume_source_space(pos=30.0, sphere=(0.0, 0.0, 0.0, 0.09),
                                         verbose=False)
    dname = os.path.join(tmp, "disc-src.fif")
    mne.write_source_spaces(dname, disc, verbose=False)
    disc = mne.read_source_spaces(dname, verbose=False)
    try:
        mne.spatial_src_adjacency(disc, verbose=False)
        mne_raised = False
    except RuntimeError:
        mne_raised = True
    r = tool("dump", dname, os.path.join(tmp, "disc.bin"))
    if r.returncode == 0:
        hemis, rc, _, msg = read_dump(os.path.join(tmp, "disc.bin"))
        h = hemis[0]
        check("discrete_read", disc[0]["type"] == "discrete" and h["type"] == 3 and
              np.array_equal(h["vertno"], disc[0]["vertno"]) and
              np.array_equal(h["rr"], disc[0]["rr"].astype(np.float32)) and
              h["tris"] is None and h["use_tris"] is None, "fields differ")
        check("discrete_adjacency_refused", mne_raised and rc == -5, "ours %d %r" % (rc, msg))
    else:
        check("discrete_read", False, r.stdout)

    # 6. Our writer: MNE reads back the same source space and adjacency.
    oname = os.path.join(tmp, "ours-src.fif")
    r = tool("copy", fname, oname)
    check("writer_copy", r.returncode == 0, r.stdout + r.stderr)
    try:
        back = mne.read_source_spaces(oname, verbose=False)
    except Exception as e:  # noqa: BLE001 - any failure is the test result
        back = None
        check("writer_mne_reads", False, repr(e))
    if back is not None:
        check("writer_mne_reads", len(back) == 2, "%d spaces" % len(back))
        for k, (a, b) in enumerate(zip(src, back)):
            p = "writer_h%d_" % k
            check(p + "fields", a["id"] == b["id"] and a["coord_frame"] == b["coord_frame"] and
                  a["type"] == b["type"] and a["np"] == b["np"] and a["nuse"] == b["nuse"] and
                  a["ntri"] == b["ntri"] and a["nuse_tri"] == b["nuse_tri"] and
                  a["subject_his_id"] == b["subject_his_id"], "scalar fields differ")
            check(p + "arrays", np.array_equal(a["vertno"], b["vertno"]) and
                  np.array_equal(a["rr"], b["rr"]) and np.array_equal(a["nn"], b["nn"]) and
                  np.array_equal(a["tris"], b["tris"]) and
                  np.array_equal(a["use_tris"], b["use_tris"]) and
                  np.array_equal(a["inuse"], b["inuse"]), "arrays differ")
        ok, why = same_graph(mne_pattern(back), mne_pattern(src))
        check("writer_adjacency", ok, why)
    # The .gz variant must be a gzip stream of exactly those bytes (MNE's reader opens
    # .gz names with gzip.GzipFile, which is what decompresses it here; letting MNE
    # re-read 17 MB through GzipFile's seeks would cost seconds).
    import gzip
    r = tool("copy", fname, oname + ".gz")
    check("writergz_copy", r.returncode == 0, r.stdout + r.stderr)
    if r.returncode == 0:
        with gzip.GzipFile(oname + ".gz", "rb") as f:
            check("writergz_bytes", f.read() == open(oname, "rb").read(), "gzip content differs")

    # 7. Our writer on the holes file keeps the holes.
    oname = os.path.join(tmp, "holes-ours-src.fif")
    r = tool("copy", hname, oname)
    if r.returncode == 0:
        back = mne.read_source_spaces(oname, verbose=False)
        ok, why = same_graph(mne_pattern(back), mne_pattern(holes))
        check("writer_holes", ok and all(np.array_equal(a["vertno"], b["vertno"])
                                         for a, b in zip(back, holes)), why)
    else:
        check("writer_holes", False, r.stdout)

    # 8. A synthetic surface (cperm_src_create_ico, as `clusterperm simulate` writes it):
    # MNE reads our file, and its adjacency equals ours read from the same file.
    sname = os.path.join(tmp, "ico3-src.fif")
    r = tool("ico", "3", sname)
    check("synthetic_write", r.returncode == 0, r.stdout + r.stderr)
    if r.returncode == 0:
        syn = mne.read_source_spaces(sname, verbose=False)
        check("synthetic_mne_reads", len(syn) == 2 and syn[0]["id"] == 101 and
              syn[1]["id"] == 102 and len(syn[0]["vertno"]) == 642 and
              syn[0]["use_tris"].shape == (1280, 3), repr(syn))
        dump_and_compare("synthetic", sname, syn, tmp)


if __name__ == "__main__":
    sys.exit(main())
