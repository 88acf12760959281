"""xcheck_neighbors.py - sensor neighbourhoods (cperm_ch_adjacency_read / _pick) against
mne.channels.read_ch_adjacency (MNE 1.3).

Every neighbour file MNE ships (mne/channels/data/neighbors/*_neighb.mat), and FieldTrip-style
files written here with scipy.io.savemat (v5, compressed or not): names and the adjacency
must equal MNE's (our graph = MNE's matrix less its diagonal, read as undirected), picks
included. Bad files must be refused with one error naming the file, where MNE fails too.
Prints "ok NAME" / "FAIL NAME: why"; exits non-zero on failure.
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.io as sio
from scipy import sparse

import mne
from mne.channels import read_ch_adjacency
from mne.stats.cluster_level import _find_clusters

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_neighbors")
SHIPPED = os.path.join(os.path.dirname(mne.__file__), "channels", "data", "neighbors")
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def ours(path, picks=None):
    args = [TOOL, path] + ([str(p) for p in picks] if picks is not None else [])
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return None, None, r.stderr.strip()
    lines = r.stdout.split("\n")
    n = int(lines[0].split()[1])
    names = [ln[5:] for ln in lines[1:1 + n]]
    ne = int(lines[1 + n].split()[1])
    edges = [tuple(map(int, ln.split())) for ln in lines[2 + n:2 + n + ne]]
    return names, edges, r.returncode


def mne_edges(adj):
    """MNE's matrix as our graph: off-diagonal entries, undirected, each once (i < j)."""
    a = adj.toarray().astype(bool)
    a = a | a.T
    np.fill_diagonal(a, False)
    i, j = np.nonzero(np.triu(a))
    return list(zip(i.tolist(), j.tolist()))


def compare(name, path, picks=None):
    adj, names = read_ch_adjacency(path, picks=picks)
    on, oe, why = ours(path, picks)
    if on is None:
        check(name, False, "ours failed: %s" % why)
        return None
    check(name + " names", on == names, "%r vs MNE %r" % (on[:5], names[:5]))
    check(name + " edges", oe == mne_edges(adj), "%d edges vs MNE %d" % (len(oe), len(mne_edges(adj))))
    return adj


def refused(name, path, must_contain, picks=None):
    """Ours must refuse with one message naming the file (picks: the pick); MNE 1.3 must fail
    too."""
    on, _, why = ours(path, picks)
    named = (os.path.basename(path) in why) if picks is None else ("picks" in why)
    mne_failed = False
    try:
        read_ch_adjacency(path, picks=picks)
    except Exception:  # noqa: BLE001 - any MNE failure counts
        mne_failed = True
    check(name + " refused", on is None and named and
          must_contain in why and why.count("\n") == 0, "got %r" % (why,))
    check(name + " MNE fails too", mne_failed)


def struct(labels, neighb, shape=None):
    """A FieldTrip neighbours struct array (1 x N unless shape is given)."""
    n = len(labels)
    s = np.zeros(shape or (1, n), dtype=[("label", object), ("neighblabel", object)])
    flat = s.reshape(-1)
    for k in range(n):
        flat[k] = (labels[k], neighb[k])
    return s


def cell(*names):
    c = np.empty((len(names), 1), dtype=object)
    for i, x in enumerate(names):
        c[i, 0] = x
    return c


tmp = tempfile.mkdtemp(prefix="xcheck_neighbors.")
files = sorted(glob.glob(os.path.join(SHIPPED, "*_neighb.mat")))
# MNE 1.3 ships 39 .mat files (the folder's other entries are __init__.py and __pycache__)
check("39 shipped files", len(files) == 39 and len(files) == len(mne.channels.get_builtin_ch_adjacencies()),
      "found %d" % len(files))
rng = np.random.RandomState(14)
for f in files:
    base = os.path.basename(f)
    adj = compare(base, f)
    if adj is not None:
        a = adj.toarray()
        # the shipped files are symmetric: our graph is exactly MNE's matrix less the diagonal
        check(base + " symmetric with diagonal", (a == a.T).all() and a.diagonal().all())
    n = adj.shape[0] if adj is not None else 1
    picks = rng.choice(n, size=min(n, 7), replace=False).tolist()
    picks[-1] = -picks[-1] - 1 if picks[-1] else -n  # a negative pick
    picks.append(picks[0])                            # a channel picked twice
    compare(base + " picks", f, picks)

# --- FieldTrip-style files written by scipy.io.savemat -------------------------------------
def write(name, var, **kw):
    p = os.path.join(tmp, name)
    sio.savemat(p, {"neighbours": var} if var is not None else {"other": np.eye(2)}, **kw)
    return p


labels = ["Fp1", "Fp2", "Cz", "Oz", "MEG0113", "MEGMEG1"]
neighb = [cell("Fp2", "Cz"), cell("Fp1"), cell("Fp1", "Oz", "MEG0113"), cell("Cz"),
          cell("Cz"), np.zeros((0, 1), dtype=object)]          # last: no neighbours
for comp in (False, True):
    compare("savemat cells compressed=%s" % comp, write("cells%d.mat" % comp,
            struct(labels, neighb), do_compression=comp))
# one text instead of a cell, a row cell (1 x k), an empty double, a 0x0 cell
neighb2 = ["Fp2", np.array([["Fp1", "Cz"]], dtype=object), cell("Fp2"), np.zeros((0, 0)),
           np.zeros((0, 0), dtype=object), cell("Fp1")]
compare("savemat texts and row cells", write("texts.mat", struct(labels, neighb2)))
# asymmetric lists (Fp1 lists Oz, Oz does not list Fp1): the graph is A + A.T, as MNE's
# clustering reads it - the same clusters from MNE's matrix and from ours
asym = [cell("Oz"), cell(), cell("Fp2"), np.zeros((0, 1), dtype=object),
        cell("MEGMEG1"), cell()]
asym[1] = np.zeros((0, 1), dtype=object)
p = write("asym.mat", struct(labels, asym))
adj = compare("savemat asymmetric", p)
on, oe, _ = ours(p)
if adj is not None and on is not None:
    g = sparse.coo_matrix((np.ones(len(oe)), tuple(np.array(oe).T)), shape=adj.shape)
    g = (g + g.T + sparse.eye(adj.shape[0])).tocsr()
    same = True
    for trial in range(50):
        x = rng.randn(3 * adj.shape[0])
        a = _find_clusters(x, 0.3, adjacency=mne.stats.combine_adjacency(3, adj), tail=1)
        b = _find_clusters(x, 0.3, adjacency=mne.stats.combine_adjacency(3, g), tail=1)
        same &= sorted(map(lambda c: tuple(np.sort(c)), a[0])) == \
            sorted(map(lambda c: tuple(np.sort(c)), b[0]))
        same &= np.array_equal(np.sort(a[1]), np.sort(b[1]))
    check("asymmetric: MNE forms the same clusters with our graph", same)
# duplicate labels: index() is the first of that name
compare("savemat duplicate labels", write("dup.mat", struct(["A", "B", "A"],
        [cell("B"), cell("A"), cell("B")])))
# a 2-D struct array: numpy's C order over its dims
lab6 = ["c%d" % i for i in range(6)]
compare("savemat 2x3 struct", write("s23.mat", struct(lab6, [cell(lab6[(i + 1) % 6]) for i in range(6)],
        shape=(2, 3))))
compare("savemat Nx1 struct", write("sn1.mat", struct(lab6, [cell(lab6[(i + 2) % 6]) for i in range(6)],
        shape=(6, 1))))
# non-ASCII labels (UTF-8 in savemat's files)
compare("savemat non-ASCII", write("utf8.mat", struct(["Fé", "Cz"], [cell("Cz"), cell("Fé")])))
# a label with trailing NULs (numpy drops them) and one with trailing spaces (kept)
compare("savemat spaces", write("spaces.mat", struct(["A ", "B"], [cell("B"), cell("A ")])))
# MATLAB's own writer (uint16 characters) is what the shipped files hold; a v4 file and MNE
compare("savemat v5 long names", write("long.mat", struct(["x" * 70, "y"], [cell("y"), cell("x" * 70)]),
        long_field_names=True))

# --- picks ----------------------------------------------------------------------------------
p = os.path.join(SHIPPED, "biosemi32_neighb.mat")
compare("picks reversed", p, list(range(31, -1, -1)))
compare("picks all negative", p, [-1, -2, -32])
compare("picks duplicates", p, [3, 3, 4, 3])
refused("picks out of range", p, "picks must be", picks=[0, 32])
refused("picks below range", p, "picks must be", picks=[-33])
on, _, why = ours(p, ["none"])
check("picks empty refused", on is None and "no channels picked" in why, why)
try:
    read_ch_adjacency(p, picks=[])
    check("picks empty: MNE fails too", False)
except ValueError:
    check("picks empty: MNE fails too", True)

# --- bad files: one error naming the file; MNE fails on each of them too ----------------------
refused("neighbour not a channel", write("notch.mat", struct(["A", "B"], [cell("B"), cell("Q")])),
        '"Q"')
refused("no neighbours variable", write("novar.mat", None), "no variable 'neighbours'")
refused("neighbours not a struct", write("notstruct.mat", np.eye(3)), "not a struct")
s = np.zeros((1, 2), dtype=[("label", object), ("other", object)])
s[0, 0] = ("A", cell("B"))
s[0, 1] = ("B", cell("A"))
refused("field neighblabel missing", write("nofield.mat", s), "no field 'neighblabel'")
refused("numeric label", write("numlabel.mat", struct([np.array([[1.0]]), "B"], [cell("B"), cell()])),
        "text")
refused("numeric neighbour", write("numneigh.mat", struct(["A", "B"], [cell(np.array([[2.0]])), cell()])),
        "text")
refused("1x0 cell of neighbours", write("cell10.mat", struct(["A", "B"], [np.zeros((1, 0), dtype=object),
        cell("A")])), "IndexError")
refused("a label of two texts", write("twolab.mat", struct([np.array(["ab", "cd"]), "B"], [cell("B"), cell()])),
        "neighbour lists")
refused("channel named MEG", write("meg.mat", struct(["MEG", "B"], [cell("B"), cell("MEG")])),
        "named \"MEG\"")
refused("empty struct", write("empty.mat", np.zeros((0, 0), dtype=[("label", object),
        ("neighblabel", object)])), "no channels")
junk = os.path.join(tmp, "junk.mat")
open(junk, "wb").write(b"this is not a mat file\n" * 10)
refused("not a mat file", junk, "not a MATLAB v5/v7 .mat file")
short = os.path.join(tmp, "short.mat")
open(short, "wb").write(open(files[0], "rb").read()[:300])
refused("truncated file", short, "truncated or corrupt")
v73 = os.path.join(tmp, "v73.mat")
raw = bytearray(open(files[0], "rb").read())
raw[124:126] = b"\x00\x02"
open(v73, "wb").write(bytes(raw))
refused("MAT v7.3 header", v73, "v7.3")
missing = os.path.join(tmp, "missing.mat")
on, _, why = ours(missing)
check("missing file refused", on is None and "missing.mat" in why and "error -8" in why, why)

print("%d failed" % failed)
sys.exit(1 if failed else 0)
