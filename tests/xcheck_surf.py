"""xcheck_surf.py - FreeSurfer surface/curvature readers against nibabel and MNE 1.3.

Files written by mne.write_surface (with and without volume info) and
nibabel.freesurfer.write_geometry / write_morph_data, hand-written quad and old-format
curvature files, and the real fsaverage_ds sphere.reg files, are read by our library
(tests/tool_surf) and by nibabel/MNE; the results must be identical. Corrupt files must be
refused with an error naming the file, never a crash.
Prints "ok NAME" / "FAIL NAME: why"; exits non-zero on failure.
"""
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_surf")
# The real files committed in tests/data/real (see tests/data/README.md).
REAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "real")
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def ours_surf(path, tmp):
    out = os.path.join(tmp, "out.bin")
    r = subprocess.run([TOOL, "surf", path, out], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r
    raw = open(out, "rb").read()
    nv, nt = struct.unpack("<QQ", raw[:16])
    rr = np.frombuffer(raw, "<f4", 3 * nv, 16).reshape(nv, 3)
    tris = np.frombuffer(raw, "<i4", 3 * nt, 16 + 12 * nv).reshape(nt, 3)
    return (rr, tris), r


def ours_curv(path, tmp):
    out = os.path.join(tmp, "out.bin")
    r = subprocess.run([TOOL, "curv", path, out], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r
    raw = open(out, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    return np.frombuffer(raw, "<f4", n, 8), r


def same_surf(name, path, tmp, want_rr, want_tris):
    got, r = ours_surf(path, tmp)
    if got is None:
        check(name, False, "tool failed: %s" % r.stderr.strip())
        return
    rr, tris = got
    check(name, rr.shape == want_rr.shape and np.array_equal(rr, want_rr.astype(np.float32))
          and np.array_equal(tris, want_tris),
          "shapes %s/%s, max coord diff %s, faces equal %s" % (
              rr.shape, want_rr.shape,
              np.abs(rr - want_rr).max() if rr.shape == want_rr.shape else "-",
              np.array_equal(tris, want_tris) if tris.shape == want_tris.shape else "-"))


def main():
    import mne
    import nibabel.freesurfer as nfs

    if not os.access(TOOL, os.X_OK):
        check("xcheck_surf_tool", False, "%s not built" % TOOL)
        return 1
    tmp = tempfile.mkdtemp(prefix="cperm-xsurf-")
    rng = np.random.RandomState(42)

    # 1. an ico-3 sphere with noisy coordinates, written by MNE (no metadata)
    ico = mne.surface._get_ico_surface(3)
    rr = (ico["rr"] * 70.0 + rng.randn(*ico["rr"].shape)).astype(np.float64)
    tris = ico["tris"].astype(np.int32)
    p = os.path.join(tmp, "lh.mne")
    mne.write_surface(p, rr, tris, create_stamp="created by xcheck_surf", overwrite=True)
    nib_rr, nib_tris = nfs.read_geometry(p)
    same_surf("surf_mne_write_surface", p, tmp, nib_rr, nib_tris)
    mne_rr, mne_tris = mne.read_surface(p)
    same_surf("surf_vs_mne_read_surface", p, tmp, mne_rr, mne_tris)

    # 2. the same with volume info (trailing tags), as MNE writes for real subjects
    vi = {"head": np.array([2, 0, 20], np.int32), "valid": "1  # volume info valid",
          "filename": "/tmp/T1.mgz", "volume": np.array([256, 256, 256]),
          "voxelsize": np.array([1.0, 1.0, 1.0]), "xras": np.array([-1.0, 0.0, 0.0]),
          "yras": np.array([0.0, 0.0, -1.0]), "zras": np.array([0.0, 1.0, 0.0]),
          "cras": np.array([5.0, -18.0, 18.0])}
    p2 = os.path.join(tmp, "lh.vi")
    mne.write_surface(p2, rr, tris, volume_info=vi, overwrite=True)
    nib_rr2, nib_tris2, meta = nfs.read_geometry(p2, read_metadata=True)
    check("surf_mne_volume_info_written", "cras" in meta, "MNE wrote no volume info")
    same_surf("surf_with_volume_info", p2, tmp, nib_rr2, nib_tris2)

    # 3. nibabel's writer, large random mesh with extreme float values
    nv = 5000
    rr3 = rng.randn(nv, 3) * np.array([1e-3, 1e3, 1e6])
    tris3 = rng.randint(0, nv, size=(9000, 3)).astype(np.int32)
    p3 = os.path.join(tmp, "rh.nib")
    nfs.write_geometry(p3, rr3, tris3, create_stamp="nibabel stamp with spaces")
    a, b = nfs.read_geometry(p3)
    same_surf("surf_nibabel_write_geometry", p3, tmp, a, b)

    # 4. the real fsaverage_ds surfaces
    for hemi in ("lh", "rh"):
        p4 = os.path.join(REAL, "%s.sphere.reg" % hemi)
        if not os.path.exists(p4):
            check("surf_real_%s" % hemi, False, "%s missing" % p4)
            continue
        a, b = nfs.read_geometry(p4)
        same_surf("surf_real_%s_sphere_reg" % hemi, p4, tmp, a, b)

    # 5. quad files (old int16 and new float), hand-written: nibabel's parity split
    for magic, fmt, name in ((0xFFFFFF, ">i2", "old"), (0xFFFFFD, ">f4", "new")):
        nvq, nq = 40, 30
        coords = rng.randint(-3000, 3000, size=(nvq, 3))
        quads = rng.randint(0, nvq, size=(nq, 4))
        with open(os.path.join(tmp, "quad"), "wb") as f:
            f.write(struct.pack(">I", magic)[1:])
            f.write(struct.pack(">I", nvq)[1:] + struct.pack(">I", nq)[1:])
            f.write(coords.astype(fmt).tobytes())
            for q in quads.ravel():
                f.write(struct.pack(">I", int(q))[1:])
        a, b = nfs.read_geometry(os.path.join(tmp, "quad"))
        same_surf("surf_quad_%s_vs_nibabel" % name, os.path.join(tmp, "quad"), tmp, a, b)

    # 6. curvature: nibabel's new format and a hand-written old one
    curv = (rng.randn(nv) * 0.3).astype(np.float32)
    pc = os.path.join(tmp, "lh.curv")
    nfs.write_morph_data(pc, curv)
    got, r = ours_curv(pc, tmp)
    check("curv_nibabel_write_morph_data",
          got is not None and np.array_equal(got, nfs.read_morph_data(pc)),
          r.stderr.strip() if got is None else "values differ")
    check("curv_vs_mne_read_curvature",
          got is not None and np.array_equal(got, mne.surface.read_curvature(pc, binary=False)),
          "values differ from mne.surface.read_curvature")
    old = rng.randint(-32768, 32767, size=77)
    po = os.path.join(tmp, "lh.oldcurv")
    with open(po, "wb") as f:
        f.write(struct.pack(">I", 77)[1:] + struct.pack(">I", 150)[1:])
        f.write(old.astype(">i2").tobytes())
    got, r = ours_curv(po, tmp)
    want = nfs.read_morph_data(po)
    check("curv_old_format_vs_nibabel",
          got is not None and np.array_equal(got, want.astype(np.float32)),
          r.stderr.strip() if got is None else "max diff %g" % np.abs(got - want).max())

    # 7. corrupt copies of an MNE-written surface: truncations and damaged headers
    data = open(p2, "rb").read()
    header_end = data.index(b"\n\n") + 2
    bad = []
    cuts = sorted(set(list(range(0, header_end + 12)) +
                      list(range(header_end + 12, len(data) - 60, 211))))
    for n in cuts:
        pt = os.path.join(tmp, "trunc")
        open(pt, "wb").write(data[:n])
        got, r = ours_surf(pt, tmp)
        if got is not None or r.returncode != 3 or "trunc" not in r.stderr:
            bad.append((n, r.returncode, r.stderr.strip()))
    check("surf_truncations_refused", not bad, "accepted or crashed: %s" % bad[:3])
    damaged = bytearray(data)
    damaged[header_end:header_end + 4] = struct.pack(">i", 10 ** 9)
    open(os.path.join(tmp, "dmg"), "wb").write(bytes(damaged))
    got, r = ours_surf(os.path.join(tmp, "dmg"), tmp)
    check("surf_vertex_count_beyond_file", got is None and r.returncode == 3 and
          "1000000000" in r.stderr, "rc %d %s" % (r.returncode, r.stderr.strip()))
    damaged = bytearray(data)
    off = header_end + 8 + 12 * len(rr)
    damaged[off:off + 4] = struct.pack(">i", len(rr))
    open(os.path.join(tmp, "dmg2"), "wb").write(bytes(damaged))
    got, r = ours_surf(os.path.join(tmp, "dmg2"), tmp)
    check("surf_face_index_out_of_range", got is None and r.returncode == 3 and
          "refers to vertex" in r.stderr, "rc %d %s" % (r.returncode, r.stderr.strip()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
