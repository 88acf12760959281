"""xcheck_npz.py - scipy.sparse.save_npz adjacencies read as graphs (src/io/npz.c), and
np.save's bytes from cperm_npy_format (src/io/npy.c), against scipy and numpy.

Adjacencies MNE makes (spatial_tris_adjacency of an icosahedron, combine_adjacency, a
FieldTrip neighbour file's read_ch_adjacency), random asymmetric ones and ones with stored
zeros, saved by save_npz as coo, csr and csc, compressed or not, are read by tests/tool_npz
(from the file and from memory); each vertex's neighbours must be the structure of A + A.T
without the diagonal. Corrupt or unsupported files must be refused (exit 2) with one error
naming the file. Arrays rewritten by `tool_npy write` must be byte-identical to np.save.
Prints "ok NAME" / "FAIL NAME: why"; exits non-zero on failure.
"""
import glob
import io
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
from scipy import sparse

BUILD = os.environ.get("CPERM_BUILD", sys.argv[1] if len(sys.argv) > 1 else "build")
TOOL = os.path.join(BUILD, "tests", "tool_npz")
NPY_TOOL = os.path.join(BUILD, "tests", "tool_npy")
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def ours(mode, path):
    r = subprocess.run([TOOL, mode, path], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r
    lines = r.stdout.split("\n")
    n = int(lines[0].split()[1])
    return [[int(x) for x in lines[1 + v].split()] for v in range(n)], r


def expected(a):
    s = sparse.coo_matrix(a)
    s = sparse.coo_matrix((np.ones(s.nnz), (s.row, s.col)), shape=s.shape).tocsr()
    s = (s + s.T).tocsr()
    s.setdiag(0)
    s.eliminate_zeros()
    s.sort_indices()
    return [list(s.indices[s.indptr[v]:s.indptr[v + 1]]) for v in range(s.shape[0])]


def same(name, path, a):
    want = expected(a)
    for mode in ("read", "readmem"):
        got, r = ours(mode, path)
        n = "%s-%s" % (name, mode)
        if got is None:
            check(n, False, "refused: " + r.stderr.strip())
            continue
        bad = [v for v in range(max(len(got), len(want)))
               if v >= len(got) or v >= len(want) or got[v] != want[v]]
        check(n, not bad, "%d vertices (want %d), %d differ, first %s: got %s want %s"
              % (len(got), len(want), len(bad), bad[:1],
                 got[bad[0]] if bad and bad[0] < len(got) else None,
                 want[bad[0]] if bad and bad[0] < len(want) else None))


def refused(name, path, what, modes=("read", "readmem")):
    for mode in modes:
        r = subprocess.run([TOOL, mode, path], capture_output=True, text=True)
        err = r.stderr.strip()
        check("%s-%s" % (name, mode), r.returncode == 2 and os.path.basename(path) in err
              and err.count("\n") == 0 and what in err,
              "exit %d, stderr %r (want one line naming the file and %r)"
              % (r.returncode, err, what))


def matrices():
    import mne
    from mne.surface import _get_ico_surface
    out = []
    for grade in (1, 3):
        tris = _get_ico_surface(grade)["tris"]
        out.append(("ico%d" % grade, mne.spatial_tris_adjacency(tris)))
    ico1 = out[0][1]
    out.append(("combine-3x4xico1", mne.stats.combine_adjacency(3, 4, ico1)))
    mats = sorted(glob.glob(os.path.join(os.path.dirname(mne.__file__), "channels", "data",
                                         "neighbors", "*.mat")))
    if mats:
        adj, _ = mne.channels.read_ch_adjacency(mats[0])
        out.append(("neighbors-" + os.path.basename(mats[0])[:-4], adj))
    rng = np.random.RandomState(7)
    r = sparse.random(40, 40, density=0.1, random_state=rng, format="coo")
    out.append(("random-asymmetric", r))
    z = sparse.coo_matrix((np.zeros(4), ([0, 1, 2, 5], [1, 2, 3, 5])), shape=(7, 7))
    out.append(("stored-zeros", z))  # stored zeros are edges, as in MNE's structure use
    out.append(("one-vertex", sparse.coo_matrix((1, 1))))
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="xcheck_npz.")
    for name, a in matrices():
        for fmt in ("coo", "csr", "csc"):
            for compressed in (True, False):
                p = os.path.join(tmp, "%s-%s-%s.npz" % (name, fmt, "z" if compressed else "s"))
                m = getattr(sparse.coo_matrix(a), "to" + fmt)()
                if fmt != "coo":
                    m.has_canonical_format = False
                sparse.save_npz(p, m, compressed=compressed)
                same("%s-%s-%s" % (name, fmt, "z" if compressed else "s"), p, a)
    # bad input, each refused with one line naming the file
    good = os.path.join(tmp, "ico1-csr-z.npz")
    blob = open(good, "rb").read()

    def write(name, data):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    refused("not-a-zip", write("not-a-zip.npz", b"hello world" * 10), "not a readable zip")
    refused("empty", write("empty.npz", b""), "not a readable zip")
    refused("truncated", write("truncated.npz", blob[: len(blob) // 2]), "zip")
    # a byte flipped inside the first member's compressed data: CRC or inflate error
    zf = zipfile.ZipFile(io.BytesIO(blob))
    info = zf.infolist()[0]
    name_len, extra_len = struct.unpack("<HH", blob[info.header_offset + 26:
                                                    info.header_offset + 30])
    off = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    bad = bytearray(blob)
    bad[off] ^= 0xFF
    refused("corrupt-member", write("corrupt.npz", bytes(bad)), "npz")
    m = sparse.random(5, 5, density=0.3, random_state=1, format="csr")
    for fmt, what in (("bsr", "not supported"), ("dia", "not supported")):
        p = os.path.join(tmp, "fmt-%s.npz" % fmt)
        sparse.save_npz(p, getattr(m, "to" + fmt)())
        refused("format-" + fmt, p, what)
    p = os.path.join(tmp, "nonsquare.npz")
    sparse.save_npz(p, sparse.random(4, 5, density=0.5, random_state=2, format="csr"))
    refused("non-square", p, "square")

    def arrays(name, **members):
        p = os.path.join(tmp, name)
        np.savez_compressed(p, **members)
        return p

    refused("no-format", arrays("no-format.npz", shape=np.array([3, 3]),
                                data=np.ones(1), row=[0], col=[1]), "format.npy")
    refused("index-out-of-range", arrays("oob.npz", format=b"coo", shape=np.array([3, 3]),
                                         data=np.ones(1), row=np.array([0]),
                                         col=np.array([3])), "not an index")
    refused("negative-index", arrays("neg.npz", format=b"coo", shape=np.array([3, 3]),
                                     data=np.ones(1), row=np.array([-1]), col=np.array([1])),
            "not an index")
    refused("fractional-index", arrays("frac.npz", format=b"coo", shape=np.array([3, 3]),
                                       data=np.ones(1), row=np.array([0.5]),
                                       col=np.array([1.0])), "not an index")
    refused("indptr-short", arrays("indptr.npz", format=b"csr", shape=np.array([3, 3]),
                                   data=np.ones(2), indices=np.array([1, 0]),
                                   indptr=np.array([0, 1, 2])), "indptr")
    refused("indptr-decreasing", arrays("indptr2.npz", format=b"csr", shape=np.array([3, 3]),
                                        data=np.ones(2), indices=np.array([1, 0]),
                                        indptr=np.array([0, 2, 1, 2])), "indptr")
    refused("row-col-lengths", arrays("rc.npz", format=b"coo", shape=np.array([3, 3]),
                                      data=np.ones(2), row=np.array([0]), col=np.array([1, 2])),
            "entries")
    refused("shape-3", arrays("shape3.npz", format=b"coo", shape=np.array([3, 3, 3]),
                              data=np.ones(1), row=[0], col=[1]), "square")
    refused("format-number", arrays("fmtnum.npz", format=np.array(3.0), shape=np.array([3, 3]),
                                    data=np.ones(1), row=[0], col=[1]), "text value")
    p = os.path.join(tmp, "missing.npz")
    refused("missing-file", p, "missing.npz", modes=("read",))

    # np.save's exact bytes from cperm_npy_format
    rng = np.random.RandomState(3)
    cases = [("f8-2d", rng.randn(3, 5), "<f8"), ("f8-1d", rng.randn(7), "<f8"),
             ("f8-0d", np.array(2.5), "<f8"), ("f8-4d", rng.randn(2, 3, 1, 4), "<f8"),
             ("f8-empty", np.zeros((0, 3)), "<f8"),
             ("f8-specials", np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]), "<f8"),
             ("i4-2d", rng.randint(-2 ** 31, 2 ** 31 - 1, size=(4, 6)).astype(np.int32), "<i4"),
             ("f8-many-dims", rng.randn(*([1] * 20 + [3])), "<f8")]
    for name, a, dt in cases:
        src = os.path.join(tmp, "w-%s.npy" % name)
        out = os.path.join(tmp, "w-%s-ours.npy" % name)
        np.save(src, a)
        r = subprocess.run([NPY_TOOL, "write", src, dt, out], capture_output=True, text=True)
        ref = io.BytesIO()
        np.save(ref, a.astype(np.float64 if dt == "<f8" else np.int32))
        mine = open(out, "rb").read() if r.returncode == 0 else b""
        check("npy-write-" + name, r.returncode == 0 and mine == ref.getvalue(),
              "exit %d %s; %d bytes vs numpy's %d" % (r.returncode, r.stderr.strip(), len(mine),
                                                     len(ref.getvalue())))
    src = os.path.join(tmp, "w-frac.npy")
    np.save(src, np.array([1.5]))
    r = subprocess.run([NPY_TOOL, "write", src, "<i4", os.path.join(tmp, "x.npy")],
                       capture_output=True, text=True)
    check("npy-write-i4-refuses-fraction", r.returncode == 2 and "not an int32" in r.stderr,
          "exit %d %r" % (r.returncode, r.stderr))
    print("%d failed" % failed if failed else "all passed")
    sys.exit(1 if failed else 0)


main()
