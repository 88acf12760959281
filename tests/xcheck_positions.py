"""xcheck_positions.py - channel adjacency from positions (positions.c, montage.c) against
MNE 1.3's find_ch_adjacency (its Delaunay path) and read_custom_montage.

For every built-in EEG montage (make_standard_montage) on an info with all its channels:
  - our topomap projection of the info's 3-D positions against MNE's _find_topomap_coords
    (sphere=HEAD_SIZE_DEFAULT, as find_ch_adjacency calls it);
  - our Delaunay graph of MNE's own xy (the triangulation) and of our xy (projection +
    triangulation) against find_ch_adjacency(info, 'eeg');
  - the positions written to an .sfp (with fiducials and a headshape row) and an .elc (in mm):
    our reader against read_custom_montage's positions, and the graph our reader + projection
    + triangulation give against find_ch_adjacency after set_montage(read_custom_montage(f)).
MEG: synthetic helmets of magnetometers (point magnetometers: no template) and of Neuromag-122
gradiometer pairs (MNE's combine_grads path), and VV planar pairs through _compute_ch_adjacency.
Plain 2-D and 3-D point sets (random, a grid of cocircular points) against scipy's Delaunay
and MNE's spatial_tris_adjacency, and "name x y" tables. Prints "ok NAME" / "FAIL NAME: why".
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.spatial import Delaunay

import mne
from mne.channels import find_ch_adjacency, make_standard_montage, read_custom_montage
from mne.channels.channels import _compute_ch_adjacency
from mne.channels.layout import _find_topomap_coords
from mne.defaults import HEAD_SIZE_DEFAULT
from mne.io.constants import FIFF

mne.set_log_level("ERROR")
BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_positions")
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def run(args, stdin=""):
    r = subprocess.run([TOOL] + args, input=stdin, capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr.strip()


def numbers(arr):
    arr = np.asarray(arr, float)
    return "%d %s" % (len(arr), " ".join(repr(float(v)) for v in arr.ravel()))


def parse_edges(lines):
    ne = int(lines[0].split()[1])
    return sorted(tuple(map(int, ln.split())) for ln in lines[1:1 + ne])


def our_graph(xy, cmd="graph"):
    xy = np.asarray(xy, float)
    rc, out, err = run([cmd, str(xy.shape[1])], numbers(xy))
    if rc != 0:
        return None, err
    return parse_edges(out.split("\n")), ""


def our_topo(pos):
    rc, out, err = run(["topo"], numbers(pos))
    if rc != 0:
        return None, err
    return np.array([[float(v) for v in ln.split()] for ln in out.strip().split("\n")]), ""


def our_read(path):
    rc, out, err = run(["read", path])
    if rc != 0:
        return None, None, err
    lines = out.split("\n")
    n, dim = int(lines[0].split()[1]), int(lines[0].split()[3])
    names = [ln[5:] for ln in lines[1:1 + n]]
    pos = np.array([[float(v) for v in ln.split()[1:]] for ln in lines[1 + n:1 + 2 * n]])
    return names, pos.reshape(n, dim), ""


def our_adj(path):
    rc, out, err = run(["adj", path])
    if rc != 0:
        return None, None, err
    lines = out.split("\n")
    n = int(lines[0].split()[1])
    return [ln[5:] for ln in lines[1:1 + n]], parse_edges(lines[1 + n:]), ""


def edges_of(adj):
    """A matrix as our graph: off-diagonal entries, undirected, each once (i < j)."""
    a = adj.toarray().astype(bool) if hasattr(adj, "toarray") else np.asarray(adj, bool)
    a = a | a.T
    np.fill_diagonal(a, False)
    i, j = np.nonzero(np.triu(a))
    return sorted(zip(i.tolist(), j.tolist()))


def scipy_edges(xy):
    """spatial_tris_adjacency(Delaunay(xy).simplices), or pairwise edges of tetrahedra."""
    simplices = Delaunay(xy).simplices
    if xy.shape[1] == 2:
        return edges_of(mne.spatial_tris_adjacency(simplices))
    a = np.zeros((len(xy), len(xy)), bool)
    for s in simplices:
        for u in s:
            a[u, s] = True
    return edges_of(a)


def diff(ours, theirs):
    s, t = set(ours), set(theirs)
    return "%d edges vs MNE's %d; only ours %s; only MNE's %s" % (
        len(s), len(t), sorted(s - t)[:4], sorted(t - s)[:4])


def eeg_info(montage):
    info = mne.create_info(montage.ch_names, 1000.0, "eeg")
    info.set_montage(montage)
    return info


def write_sfp(path, names, pos, fids=None, headshape=None):
    with open(path, "w") as f:
        for name, p in (fids or []):
            f.write("%s\t%r\t%r\t%r\n" % (name, *map(float, p)))
        for name, p in zip(names, pos):
            f.write("%s\t%r\t%r\t%r\n" % (name, *map(float, p)))
        if headshape is not None:
            f.write("headshape\t%r\t%r\t%r\n" % tuple(map(float, headshape)))


def write_elc(path, names, pos_mm):
    with open(path, "w") as f:
        f.write("# ASA electrode file\nReferenceLabel\tavg\nUnitPosition\tmm\n")
        f.write("NumberPositions=\t%d\nPositions\n" % len(names))
        for p in pos_mm:
            f.write("%r %r %r\n" % tuple(map(float, p)))
        f.write("Labels\n")
        for name in names:
            f.write("%s\n" % name)


def montage_positions(path):
    ch_pos = read_custom_montage(path).get_positions()["ch_pos"]
    return list(ch_pos.keys()), np.array([ch_pos[k] for k in ch_pos])


# ---------------------------------------------------------------- EEG montages
# numpy dispatches float64 arctan2/arccos/cos/sin to SVML on AVX512 CPUs, whose results differ
# from glibc's (ours) in the last bit for a third of the channels; with those features off
# (NPY_DISABLE_CPU_FEATURES, or any CPU without AVX512) numpy calls glibc and MNE's xy is ours
# bit for bit. The montage checks run twice: here with this CPU's numpy (xy within 1e-15; a
# graph that differs must be the Delaunay graph of our xy, for a layout of cocircular rings
# where one bit decides the diagonal), and in a child with AVX512 off (xy bit-identical and
# every graph equal: "strict").
LIBM = "--libm" in sys.argv
AVX512 = ("AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL")
tmp = tempfile.mkdtemp(prefix="cperm-pos.")
exact_graph = exact_sfp = 0
montages = mne.channels.get_builtin_montages()
tag = "_libm" if LIBM else ""
for kind in montages:
    montage = make_standard_montage(kind)
    info = eeg_info(montage)
    try:
        adj, names = find_ch_adjacency(info, "eeg")
    except ValueError as e:
        # aliases at one place (T3 and T7 in standard_1020): MNE refuses; so must we. Then
        # the montage without the later of each overlapping pair.
        pos3 = np.array([ch["loc"][:3] for ch in info["chs"]])
        xy, err = our_topo(pos3)
        check("topo_%s_refuses_overlap%s" % (kind, tag), "overlapping positions" in str(e) and
              xy is None and "overlapping positions" in err, err or "accepted")
        keep = [i for i in range(len(pos3))
                if not any(np.linalg.norm(pos3[i] - pos3[j]) < 1e-10 for j in range(i))]
        info = mne.pick_info(info, keep)
        adj, names = find_ch_adjacency(info, "eeg")
        kind += "-unique"
    picks = mne.pick_types(info, eeg=True, exclude=[])
    want = edges_of(adj)
    # find_ch_adjacency's Delaunay path for EEG (no template matches): the same as computing it
    adj2, _ = _compute_ch_adjacency(info, "eeg")
    if edges_of(adj2) != want:
        check("delaunay_path_%s" % kind, False, "find_ch_adjacency took a template")
    pos3 = np.array([info["chs"][p]["loc"][:3] for p in picks])
    xy_mne = _find_topomap_coords(info, picks, sphere=HEAD_SIZE_DEFAULT)
    xy, err = our_topo(pos3)
    if xy is None:
        check("topo_%s%s" % (kind, tag), False, err)
        continue
    d = np.max(np.abs(xy - xy_mne))
    n_equal = int(np.sum(np.all(xy == xy_mne, axis=1)))
    check("topo_%s%s (%d channels, %d bit-identical, max |diff| %.2g)" % (
        kind, tag, len(xy), n_equal, d), n_equal == len(xy) if LIBM else d <= 1e-15,
        "max |diff| %g" % d)
    g, err = our_graph(xy_mne)
    check("graph_mne_xy_%s%s (%d edges)" % (kind, tag, len(want)), g == want, err or diff(g, want))
    g, err = our_graph(xy)
    if g == want or LIBM:
        check("graph_our_xy_%s%s" % (kind, tag), g == want, err or diff(g, want))
    else:
        # not MNE's on this CPU: it must be what MNE computes from our (glibc) xy
        check("graph_our_xy_%s (differs where numpy's SVML trig moves a cocircular point by "
              "%.2g: MNE's triangulation of our xy)" % (kind, d), g == scipy_edges(xy), diff(g, want))
    exact_graph += g == want

    # .sfp with fiducials and a headshape point: reader vs read_custom_montage, graph vs
    # find_ch_adjacency on the montage MNE reads from it
    fids = [("FidNz", [0.0, 0.1, 0.0]), ("FidT9", [-0.08, 0.0, -0.02]), ("FidT10", [0.08, 0.0, -0.02])]
    sfp = os.path.join(tmp, kind + ".sfp")
    write_sfp(sfp, names, pos3 * 1000.0, fids=fids, headshape=[0.0, 0.0, 120.0])
    mnames, mpos = montage_positions(sfp)
    onames, opos, err = our_read(sfp)
    same = onames == mnames and opos is not None and opos.shape == mpos.shape
    check("read_sfp_%s%s" % (kind, tag), same and np.array_equal(opos, mpos),
          err or "names equal %s, max |diff| %g" % (onames == mnames,
                                                   np.max(np.abs(opos - mpos)) if same else -1))
    sfp_plain = os.path.join(tmp, kind + "-plain.sfp")
    write_sfp(sfp_plain, names, pos3)
    info_sfp = mne.create_info(names, 1000.0, "eeg")
    info_sfp.set_montage(read_custom_montage(sfp_plain))
    want_sfp = edges_of(find_ch_adjacency(info_sfp, "eeg")[0])
    onames, g, err = our_adj(sfp_plain)
    check("adj_sfp_%s%s" % (kind, tag), onames == names and g == want_sfp, err or diff(g, want_sfp))
    exact_sfp += g == want_sfp

    if kind in ("standard_1020-unique", "biosemi64", "GSN-HydroCel-129"):
        elc = os.path.join(tmp, kind + ".elc")
        write_elc(elc, ["Nz"] + names, np.vstack([[0.0, 95.0, -20.0], pos3 * 1000.0]))
        mnames, mpos = montage_positions(elc)
        onames, opos, err = our_read(elc)
        check("read_elc_%s%s" % (kind, tag), onames == mnames and opos is not None and
              np.array_equal(opos, mpos), err or "positions differ")
print("# %s: %d of %d montages: graph from our projection identical to find_ch_adjacency; "
      "%d of %d through an .sfp (float32, rescaled: MNE's graph through the same file)" % (
          "numpy with AVX512 off" if LIBM else "this CPU's numpy", exact_graph, len(montages),
          exact_sfp, len(montages)))
if LIBM:
    sys.exit(1 if failed else 0)

# ---------------------------------------------------------------- the files MNE ships
# every .sfp and .elc under mne/channels/data/montages, read by us and by read_custom_montage
shipped = os.path.join(os.path.dirname(mne.__file__), "channels", "data", "montages")
for fname in sorted(os.listdir(shipped)):
    if not fname.endswith((".sfp", ".elc")):
        continue
    path = os.path.join(shipped, fname)
    mnames, mpos = montage_positions(path)
    onames, opos, err = our_read(path)
    check("read_shipped_%s (%d channels)" % (fname, len(mnames)),
          onames == mnames and opos is not None and np.array_equal(opos, mpos),
          err or "names equal %s" % (onames == mnames))
r = subprocess.run([sys.executable, __file__, "--libm"], capture_output=True, text=True,
                   env=dict(os.environ, NPY_DISABLE_CPU_FEATURES=AVX512))
sys.stdout.write(r.stdout)
if r.returncode != 0 and "FAIL" not in r.stdout:
    check("libm_child", False, "exit %d: %s" % (r.returncode, r.stderr[-500:]))
failed += r.stdout.count("\nFAIL ") + r.stdout.startswith("FAIL ")


# ---------------------------------------------------------------- MEG (synthetic helmets)
def helmet(n, radius=0.12, centre=(0.0, 0.0, 0.04), seed=0):
    """n points on the upper half of a sphere (Fibonacci lattice, slightly jittered)."""
    rng = np.random.RandomState(seed)
    k = np.arange(n) + 0.5
    z = 1.0 - k / n  # upper hemisphere
    phi = np.pi * (3.0 - np.sqrt(5.0)) * k
    r = np.sqrt(1.0 - z * z)
    u = np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)
    u += rng.normal(scale=0.01, size=u.shape)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return np.asarray(centre) + radius * u


def meg_info(names, kind, coil, pos):
    info = mne.create_info(names, 1000.0, kind)
    with info._unlock():
        for ch, p in zip(info["chs"], pos):
            ch["coil_type"] = coil
            ch["loc"][:3] = p
    return info


pos = helmet(102)
info = meg_info(["MAG %03d" % i for i in range(102)], "mag", FIFF.FIFFV_COIL_POINT_MAGNETOMETER, pos)
adj, names = find_ch_adjacency(info, "mag")
want = edges_of(adj)
xy, err = our_topo(pos)
g, err = our_graph(xy) if xy is not None else (None, err)
check("meg_mag_helmet (%d channels, %d edges)" % (len(names), len(want)), g == want, err or diff(g, want))

pos = helmet(61, seed=1)
pos2 = np.repeat(pos, 2, axis=0)  # both gradiometers of a pair at one place
names = ["MEG %03d" % (i + 1) for i in range(122)]
info = meg_info(names, "grad", FIFF.FIFFV_COIL_NM_122, pos2)
adj, anames = find_ch_adjacency(info, "grad")
want = edges_of(adj)
xy, err = our_topo(pos)
g, err = our_graph(xy, "paired") if xy is not None else (None, err)
check("meg_neuromag122_pairs (%d channels, %d edges)" % (len(anames), len(want)),
      anames == names and g == want, err or diff(g, want))

pos = helmet(102, seed=2)
names = []
for i in range(102):
    names += ["MEG%03d2" % (i + 1), "MEG%03d3" % (i + 1)]
info = meg_info(names, "grad", FIFF.FIFFV_COIL_VV_PLANAR_T1, np.repeat(pos, 2, axis=0))
adj, anames = _compute_ch_adjacency(info, "grad")
want = edges_of(adj)
xy, err = our_topo(pos)
g, err = our_graph(xy, "paired") if xy is not None else (None, err)
check("meg_vv_planar_pairs (%d channels, %d edges)" % (len(anames), len(want)),
      g == want, err or diff(g, want))

# ---------------------------------------------------------------- plain point sets
rng = np.random.RandomState(42)
for n in (3, 10, 100, 1000):
    xy = rng.uniform(-1, 1, size=(n, 2))
    g, err = our_graph(xy)
    want = scipy_edges(xy)
    check("random2d_%d (%d edges)" % (n, len(want)), g == want, err or diff(g, want))
for n in (4, 30, 300):
    p = rng.normal(size=(n, 3))
    g, err = our_graph(p)
    want = scipy_edges(p)
    check("random3d_%d (%d edges)" % (n, len(want)), g == want, err or diff(g, want))
for nx, ny in ((2, 2), (3, 3), (5, 4), (10, 10), (16, 16)):
    xy = np.array([[i, j] for i in range(nx) for j in range(ny)], float)
    g, err = our_graph(xy)
    want = scipy_edges(xy)
    check("grid_%dx%d (cocircular; %d edges)" % (nx, ny, len(want)), g == want, err or diff(g, want))
xy = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]], float)
g, err = our_graph(xy)
check("square_centre", g == scipy_edges(xy), err)

# a 2-D "name x y" table (with a header) and a 3-D comma table: positions as written
xy = rng.uniform(-0.1, 0.1, size=(20, 2))
names = ["C%d" % i for i in range(20)]
tsv = os.path.join(tmp, "pos2d.tsv")
with open(tsv, "w") as f:
    f.write("name\tx\ty\n")
    for nm, p in zip(names, xy):
        f.write("%s\t%r\t%r\n" % (nm, *map(float, p)))
onames, opos, err = our_read(tsv)
check("read_tsv_2d", onames == names and opos is not None and np.array_equal(opos, xy), err)
onames, g, err = our_adj(tsv)
check("adj_tsv_2d", g == scipy_edges(xy), err or diff(g, scipy_edges(xy)))
csv = os.path.join(tmp, "pos3d.csv")
montage = make_standard_montage("biosemi32")
info = eeg_info(montage)
pos3 = np.array([ch["loc"][:3] for ch in info["chs"]])
with open(csv, "w") as f:
    f.write("name,x,y,z\n")
    for nm, p in zip(montage.ch_names, pos3):
        f.write("%s,%r,%r,%r\n" % (nm, *map(float, p)))
mnames, mpos = montage_positions(csv)
onames, opos, err = our_read(csv)
check("read_csv_3d (as read_custom_montage)", onames == mnames and opos is not None and
      np.array_equal(opos, mpos), err)
onames, g, err = our_adj(csv)
want = edges_of(find_ch_adjacency(info, "eeg")[0])
check("adj_csv_3d", g == want, err or diff(g, want))

# ---------------------------------------------------------------- refusals (scipy/MNE fail too)
for name, pts, words in (
        ("two_points", [[0, 0], [1, 1]], "at least 3"),
        ("collinear", [[0, 0], [1, 1], [2, 2], [3, 3]], "collinear"),
        ("duplicate", [[0, 0], [1, 0], [0, 1], [1, 0]], "points 1 and 3 are equal"),
        ("nan", [[0, 0], [1, 0], [float("nan"), 1]], "point 2"),
        ("coplanar3d", [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 3, 0]], "coplanar")):
    g, err = our_graph(np.array(pts, float))
    check("refuse_%s" % name, g is None and words in err, err or "accepted")
p = np.array([[0, 0, 0.1], [0, 0, 0.1], [0.1, 0, 0]])
xy, err = our_topo(p)
check("refuse_topo_overlap", xy is None and "channels 0 and 1" in err, err or "accepted")

sys.exit(1 if failed else 0)
