"""xcheck_stc.py - source-estimate files: our reader/writer/magnitude/crop against MNE 1.3.

Drives build/tests/tool_stc (see tests/tool_stc.c for its dump layout) and compares with
mne.read_source_estimate, stc.save, VectorSourceEstimate.magnitude and stc.crop, exactly.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

import mne

mne.set_log_level("ERROR")

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_stc")
# The committed files (tests/data/, see its README) and the fixtures made from them.
import testdata  # noqa: E402

REAL = os.path.join(testdata.REAL, "sample_audvis_trunc-meg")
H5DIR = testdata.H5

failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok %s" % name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def run_tool(*args):
    p = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True)
    return p.returncode, p.stderr.strip()


def load_dump(path):
    """tests/tool_stc.c's dump: any number of vertex blocks, and the estimate's kind."""
    with open(path, "rb") as f:
        buf = f.read()
    assert buf[:8] == b"CPSTC002", "bad dump magic"
    kind, n_blocks, n_orient, n_times = struct.unpack_from("<4Q", buf, 8)
    tmin, tstep = struct.unpack_from("<2d", buf, 40)
    subject = buf[56:120].split(b"\0")[0].decode()
    off = 120
    nvs = struct.unpack_from("<%dQ" % n_blocks, buf, off)
    off += 8 * n_blocks
    verts = []
    for nv in nvs:
        verts.append(np.frombuffer(buf, "<u4", nv, off).astype(np.int64))
        off += 4 * nv
    rows = sum(nvs)
    data = np.frombuffer(buf, "<f8", rows * n_orient * n_times, off)
    shape = (rows, n_orient, n_times) if n_orient == 3 else (rows, n_times)
    return dict(vertices=verts, tmin=tmin, tstep=tstep, data=data.reshape(shape),
                subject=subject, n_orient=n_orient, kind=kind)


def ours(path, tmp, cmd="dump", extra=()):
    out = os.path.join(tmp, "dump.bin")
    if os.path.exists(out):
        os.remove(out)
    rc, err = run_tool(cmd, path, *extra, out)
    if rc != 0:
        return None, err
    return load_dump(out), ""


def same_stc(name, got, stc, data=None):
    """Compare our dump with an MNE source estimate: vertices, tmin, tstep exactly, data bit
    for bit (as float64)."""
    if got is None:
        check(name, False, "our reader failed")
        return
    want = stc.data if data is None else data
    ok_v = len(got["vertices"]) == len(stc.vertices) and all(
        np.array_equal(a, b) for a, b in zip(got["vertices"], stc.vertices))
    check(name + "_vertices", ok_v, "vertices differ")
    check(name + "_tmin", got["tmin"] == stc.tmin, "%r vs %r" % (got["tmin"], stc.tmin))
    check(name + "_tstep", got["tstep"] == stc.tstep, "%r vs %r" % (got["tstep"], stc.tstep))
    ok_d = got["data"].shape == want.shape and np.array_equal(
        got["data"].view(np.uint64), np.asarray(want, np.float64).view(np.uint64))
    check(name + "_data", ok_d, "shape %s vs %s or values differ" % (got["data"].shape,
                                                                       want.shape))


def random_stc(rng, nv=(7, 5), nt=4, tmin=None, tstep=None, shuffle=False):
    verts = [np.sort(rng.choice(10000, n, replace=False)) for n in nv]
    data = rng.standard_normal((sum(nv), nt)) * 10.0 ** rng.integers(-12, 3)
    tmin = rng.uniform(-0.3, 0.1) if tmin is None else tmin
    tstep = rng.uniform(0.0005, 0.02) if tstep is None else tstep
    return mne.SourceEstimate(data, verts, tmin, tstep, subject="sub")


def write_raw_stc(path, tmin_ms, tstep_ms, verts, data):
    """A .stc file exactly as mne.source_estimate._write_stc lays it out (for unsorted
    vertices, which stc.save cannot produce)."""
    with open(path, "wb") as f:
        f.write(np.array(tmin_ms, ">f4").tobytes())
        f.write(np.array(tstep_ms, ">f4").tobytes())
        f.write(np.array(len(verts), ">u4").tobytes())
        f.write(np.array(verts, ">u4").tobytes())
        f.write(np.array(data.shape[1], ">u4").tobytes())
        f.write(np.array(data.T, ">f4").tobytes())


def main():
    if not os.access(TOOL, os.X_OK):
        check("tool_stc_built", False, "%s not found (run make tests)" % TOOL)
        return 1
    tmp = tempfile.mkdtemp()
    try:
        run_all(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def run_all(tmp):
    rng = np.random.default_rng(20240513)

    # 1. Files written by MNE, read by us and by MNE: every access form of the names.
    for i in range(4):
        stc = random_stc(rng, nv=(int(rng.integers(1, 30)), int(rng.integers(1, 30))),
                         nt=int(rng.integers(1, 12)))
        stem = os.path.join(tmp, "rand%d" % i)
        stc.save(stem, overwrite=True)
        want = mne.read_source_estimate(stem)
        for form in (stem, stem + "-lh.stc", stem + "-rh.stc"):
            got, err = ours(form, tmp)
            same_stc("mne_written_%d_%s" % (i, form[len(stem):] or "stem"), got, want)
        # 2. Our writer: MNE reads back what it wrote itself, and the bytes are identical.
        out_stem = os.path.join(tmp, "ours%d" % i)
        rc, err = run_tool("roundtrip", stem, out_stem)
        check("roundtrip_%d_rc" % i, rc == 0, err)
        if rc == 0:
            back = mne.read_source_estimate(out_stem)
            check("roundtrip_%d_mne_reads" % i,
                  np.array_equal(back.data, want.data) and back.tmin == want.tmin
                  and back.tstep == want.tstep and all(
                      np.array_equal(a, b) for a, b in zip(back.vertices, want.vertices)),
                  "MNE reads different values from our files")
            for hemi in ("lh", "rh"):
                a = open("%s-%s.stc" % (stem, hemi), "rb").read()
                b = open("%s-%s.stc" % (out_stem, hemi), "rb").read()
                check("roundtrip_%d_%s_bytes" % (i, hemi), a == b, "files differ")
        # 3. Crop against stc.crop for several limits.
        times = want.times
        limits = [(0.0, None), (None, None), (times[0], times[-1]),
                  (times[len(times) // 2], None), (None, times[len(times) // 2]),
                  (times[0] + 0.49 * want.tstep, times[-1] - 0.49 * want.tstep),
                  (times[0] + 0.51 * want.tstep, None), (times[0] + 0.5 * want.tstep, None),
                  (times[-1] - 0.5 * want.tstep, times[-1] + 0.5 * want.tstep),
                  (-1.0, 1.0)]
        for j, (lo, hi) in enumerate(limits):
            ref = want.copy()
            try:
                ref.crop(lo, hi)
                ref_ok = True
            except ValueError:
                ref_ok = False
            got, err = ours(stem, tmp, "crop",
                            (repr(float("nan") if lo is None else float(lo)),
                             repr(float("nan") if hi is None else float(hi))))
            name = "crop_%d_%d" % (i, j)
            if ref_ok:
                same_stc(name, got, ref)
            else:
                check(name + "_error", got is None and err.startswith("error -1:"),
                      "MNE refused, we gave %s" % (err or "a result"))

    # 3b. Crop limits on half-sample boundaries of a regular grid, where Python's round()
    #     (half to even) decides which samples stay.
    grid = mne.SourceEstimate(rng.standard_normal((5, 60)), [np.arange(3), np.arange(2)],
                              -0.1, 0.004)
    stem = os.path.join(tmp, "grid")
    grid.save(stem, overwrite=True)
    want = mne.read_source_estimate(stem)
    for j, (lo, hi) in enumerate([(0.002, None), (0.006, None), (-0.098, 0.010),
                                  (-0.094, 0.014), (None, 0.018), (0.0, 0.002),
                                  (0.1, 0.102), (-0.102, -0.098), (0.13, None),
                                  (0.002, 0.002), (0.01, 0.006)]):
        ref = want.copy()
        try:
            ref.crop(lo, hi)
            ref_ok = True
        except ValueError:
            ref_ok = False
        got, err = ours(stem, tmp, "crop", (repr(float("nan") if lo is None else lo),
                                            repr(float("nan") if hi is None else hi)))
        if ref_ok:
            same_stc("crop_grid_%d" % j, got, ref)
        else:
            check("crop_grid_%d_error" % j, got is None and err.startswith("error -1:"),
                  "MNE refused, we gave %s" % (err or "a result"))

    # 4. Vertices out of order are argsorted with their rows, as read_source_estimate does.
    verts_l = np.array([40, 3, 17, 9]), np.array([5, 2, 8])
    data_l = rng.standard_normal((7, 3)).astype(np.float32)
    stem = os.path.join(tmp, "unsorted")
    write_raw_stc(stem + "-lh.stc", -12.5, 2.5, verts_l[0], data_l[:4])
    write_raw_stc(stem + "-rh.stc", -12.5, 2.5, verts_l[1], data_l[4:])
    want = mne.read_source_estimate(stem)
    got, err = ours(stem, tmp)
    same_stc("unsorted_vertices", got, want)

    # 5. The real MNE sample file pair, and one file through the in-memory reader.
    want = mne.read_source_estimate(REAL)
    got, err = ours(REAL, tmp)
    same_stc("real_sample_audvis", got, want)
    got, err = ours(REAL + "-lh.stc", tmp, "readmem")
    lh = mne.source_estimate._read_stc(REAL + "-lh.stc")
    check("real_readmem_lh", got is not None and np.array_equal(got["data"], lh["data"])
          and np.array_equal(got["vertices"][0], lh["vertices"]) and got["tmin"] == lh["tmin"],
          err or "differs")

    # 6. HDF5: vector estimate magnitude equals MNE's, bit for bit; the .stc pair that MNE
    #    wrote from it (float32) equals our magnitude cast to float32.
    try:
        import h5py
    except ImportError:
        h5py = None
    if h5py is None:
        check("h5py_available", False, "python3-h5py is needed for the HDF5 checks")
        return
    vec = os.path.join(H5DIR, "vec_small-stc.h5")
    # MNE's magnitude() of the file's arrays (read by h5py), and the .stc pair MNE saves of it
    mag_ref, mag_stem = testdata.vec_small_magnitude(tmp)
    got, err = ours(vec, tmp)
    check("h5_vector_read", got is not None and got["data"].shape == (1284, 3, 10)
          and got["n_orient"] == 3 and got["subject"] == "fsaverage"
          and got["tmin"] == -0.02 and got["tstep"] == 0.004, err or "header differs")
    mag_stc = mne.read_source_estimate(mag_stem)
    got_m, err = ours(vec, tmp, "magnitude")
    check("h5_magnitude_bits", got_m is not None and np.array_equal(
        got_m["data"].view(np.uint64), mag_ref.view(np.uint64)), err or "magnitude differs")
    check("h5_magnitude_vs_stc_pair", got_m is not None and np.array_equal(
        got_m["data"].astype(np.float32), mag_stc.data) and all(
        np.array_equal(a, b) for a, b in zip(got_m["vertices"], mag_stc.vertices)),
        err or "differs")
    # The same file through a stem and through a .h5 path.
    got_s, err = ours(os.path.join(H5DIR, "vec_small"), tmp)
    check("h5_vector_by_stem", got_s is not None and got is not None and
          np.array_equal(got_s["data"], got["data"]), err or "differs")
    with h5py.File(vec, "r") as f:
        g = f["mnepython"]
        check("h5_vector_matches_h5py", got is not None
              and np.array_equal(got["data"], g["key_data"][()])
              and np.array_equal(got["vertices"][0], g["key_vertices/idx_0"][()])
              and np.array_equal(got["vertices"][1], g["key_vertices/idx_1"][()]), "differs")
    sca = os.path.join(H5DIR, "scalar_small-stc.h5")
    got, err = ours(sca, tmp)
    with h5py.File(sca, "r") as f:
        g = f["mnepython"]
        ok = (got is not None and got["n_orient"] == 1 and got["data"].shape == (1284, 7)
              and np.array_equal(got["data"], g["key_data"][()])
              and np.array_equal(got["vertices"][0], g["key_vertices/idx_0"][()])
              and np.array_equal(got["vertices"][1], g["key_vertices/idx_1"][()])
              and got["tmin"] == g["key_tmin"][0] and got["tstep"] == g["key_tstep"][0]
              and got["subject"] == "")
        check("h5_scalar_read", ok, err or "differs from h5py")

    # 7. h5io layouts we must accept (fixed-width and variable-length TITLE strings,
    #    unsorted vertices, 1-D data) and corrupt ones we must refuse with EFORMAT.
    h5_variants(h5py, tmp, rng)


def write_h5io(h5py, path, members, fixed_titles=False):
    """Write an h5io-style file: members maps key -> (title, value or dict of children)."""
    def title(obj, t):
        obj.attrs["TITLE"] = np.bytes_(t) if fixed_titles else t

    with h5py.File(path, "w") as f:
        root = f.create_group("mnepython")
        title(root, "dict")
        for key, (t, value) in members.items():
            if isinstance(value, dict):
                g = root.create_group(key)
                title(g, t)
                for k2, (t2, v2) in value.items():
                    d = g.create_dataset(k2, data=v2)
                    title(d, t2)
            else:
                d = root.create_dataset(key, data=value)
                title(d, t)


def h5_variants(h5py, tmp, rng):
    v0 = np.array([1, 4, 9, 12], np.int64)
    v1 = np.array([0, 2, 3], np.int64)
    data = rng.standard_normal((7, 5))

    def base(**over):
        m = {
            "key_vertices": ("list", {"idx_0": ("ndarray", v0), "idx_1": ("ndarray", v1)}),
            "key_data": ("ndarray", data),
            "key_tmin": ("float", np.array([-0.1])),
            "key_tstep": ("float", np.array([0.004])),
            "key_subject": ("unicode", np.frombuffer(b"sample", np.uint8)),
            "key_src_type": ("unicode", np.frombuffer(b"surface", np.uint8)),
        }
        m.update(over)
        return {k: v for k, v in m.items() if v is not None}

    def expect_ok(name, members, want_data, want_verts, fixed=False, subject="sample"):
        path = os.path.join(tmp, name + "-stc.h5")
        write_h5io(h5py, path, members, fixed)
        got, err = ours(path, tmp)
        ok = (got is not None and np.array_equal(got["data"], want_data)
              and all(np.array_equal(a, b) for a, b in zip(got["vertices"], want_verts))
              and got["tmin"] == -0.1 and got["tstep"] == 0.004 and got["subject"] == subject)
        check(name, ok, err or "differs")

    def expect_err(name, members, code=-4):
        path = os.path.join(tmp, name + "-stc.h5")
        write_h5io(h5py, path, members)
        got, err = ours(path, tmp)
        check(name, got is None and err.startswith("error %d:" % code),
              "expected error %d, got %s" % (code, err or "a result"))

    expect_ok("h5_vlen_titles", base(), data, (v0, v1))
    expect_ok("h5_fixed_titles", base(), data, (v0, v1), fixed=True)
    expect_ok("h5_subject_none", base(key_subject=("None", np.array([False]))), data,
              (v0, v1), subject="")
    expect_ok("h5_no_src_type", base(key_src_type=None), data, (v0, v1))
    perm = np.array([2, 0, 3, 1])
    sv0 = v0[perm]
    sdata = np.r_[data[:4][perm], data[4:]]
    expect_ok("h5_unsorted_vertices", base(key_vertices=("list", {
        "idx_0": ("ndarray", sv0), "idx_1": ("ndarray", v1)}), key_data=("ndarray", sdata)),
        data, (v0, v1))
    expect_ok("h5_1d_data", base(key_data=("ndarray", data[:, 0])), data[:, :1], (v0, v1))
    expect_err("h5_rows_mismatch", base(key_data=("ndarray", data[:6])))
    expect_err("h5_vector_bad_shape", base(key_data=("ndarray", rng.standard_normal((7, 2, 5)))))
    expect_err("h5_rank4", base(key_data=("ndarray", rng.standard_normal((7, 3, 5, 1)))))
    expect_err("h5_one_vertex_list", base(key_vertices=("list", {"idx_0": ("ndarray", v0)})))
    expect_err("h5_float_vertices", base(key_vertices=("list", {
        "idx_0": ("ndarray", v0.astype(float)), "idx_1": ("ndarray", v1)})))
    expect_err("h5_negative_vertex", base(key_vertices=("list", {
        "idx_0": ("ndarray", -v0), "idx_1": ("ndarray", v1)})))
    expect_err("h5_duplicate_vertex", base(key_vertices=("list", {
        "idx_0": ("ndarray", np.array([1, 4, 4, 9])), "idx_1": ("ndarray", v1)})))
    expect_err("h5_missing_tmin", base(key_tmin=None))
    expect_err("h5_tmin_two_values", base(key_tmin=("float", np.array([0.1, 0.2]))))
    expect_err("h5_unknown_member", base(key_extra=("int", np.array([1]))))
    expect_err("h5_bad_data_title", base(key_data=("list", data)))
    expect_err("h5_volume", base(key_src_type=("unicode", np.frombuffer(b"volume", np.uint8))),
               code=-5)
    expect_err("h5_complex", base(key_data=("ndarray", data + 1j)), code=-5)
    # A dataset that claims 10^9 vertices but stores none (unwritten chunks): refused from
    # its size before any allocation.
    path = os.path.join(tmp, "huge-stc.h5")
    write_h5io(h5py, path, base())
    with h5py.File(path, "a") as f:
        g = f["mnepython/key_vertices"]
        del g["idx_0"]
        d = g.create_dataset("idx_0", shape=(10 ** 9,), dtype=np.int64, chunks=(4096,))
        d.attrs["TITLE"] = "ndarray"
    got, err = ours(path, tmp)
    check("h5_huge_claimed_dataset", got is None and err.startswith("error -4:"),
          err or "read it")
    path = os.path.join(tmp, "not_hdf5-stc.h5")
    with open(path, "wb") as f:
        f.write(b"\x89HDF\r\n\x1a\n" + bytes(100))
    got, err = ours(path, tmp)
    check("h5_garbage_file", got is None and err.startswith("error -4:"), err or "read it")
    # Truncated copies of a real file: a clean error, never a crash or a result.
    src = open(os.path.join(H5DIR, "scalar_small-stc.h5"), "rb").read()
    bad = 0
    for cut in (100, 1000, 4000, len(src) // 2, len(src) - 100):
        path = os.path.join(tmp, "trunc%d-stc.h5" % cut)
        with open(path, "wb") as f:
            f.write(src[:cut])
        rc, err = run_tool("dump", path, os.path.join(tmp, "t.bin"))
        if rc != 2 or not err.startswith("error -4:"):
            bad += 1
            print("# truncated at %d: rc %d, %s" % (cut, rc, err))
    check("h5_truncated_files", bad == 0, "%d truncations not refused cleanly" % bad)

    # Naming rules of read_source_estimate.
    stc = random_stc(rng)
    stem = os.path.join(tmp, "names")
    stc.save(stem, overwrite=True)
    os.rename(stem + "-rh.stc", stem + "-rh.keep")
    got, err = ours(stem, tmp)
    check("name_hemisphere_missing", got is None and err.startswith("error -8:")
          and "Hemisphere missing" in err, err or "read it")
    os.rename(stem + "-rh.keep", stem + "-rh.stc")
    got, err = ours(os.path.join(tmp, "nothing_here"), tmp)
    check("name_not_found", got is None and err.startswith("error -8:")
          and "not found" in err, err or "read it")
    shutil.copy(stem + "-lh.stc", os.path.join(tmp, "plain.stc"))
    got, err = ours(os.path.join(tmp, "plain.stc"), tmp)
    check("name_invalid_stc", got is None and err.startswith("error -1:")
          and "Invalid .stc filename" in err, err or "read it")
    shutil.copy(stem + "-lh.stc", os.path.join(tmp, "vol-vl.stc"))
    got, err = ours(os.path.join(tmp, "vol-vl.stc"), tmp)
    check("name_volume_unsupported", got is None and err.startswith("error -5:"),
          err or "read it")
    # cperm_stc_read_any reads the same file as a volume estimate (xcheck_volsrc.py: more).
    got, err = ours(os.path.join(tmp, "vol-vl.stc"), tmp, cmd="dumpany")
    check("name_volume_read_any", got is not None and got["kind"] == 1 and
          len(got["vertices"]) == 1, err or "not a volume estimate")
    # tmin differs between hemispheres: MNE asserts, we report a mismatch naming both.
    write_raw_stc(stem + "-rh.stc", 1000 * stc.tmin + 1, 1000 * stc.tstep,
                  stc.vertices[1], stc.data[len(stc.vertices[0]):])
    got, err = ours(stem, tmp)
    check("name_tmin_mismatch", got is None and err.startswith("error -6:")
          and "-lh.stc" in err and "-rh.stc" in err, err or "read it")


if __name__ == "__main__":
    sys.exit(main())
