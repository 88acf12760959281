"""xcheck_npy.py - the .npy reader (src/io/npy.c) against numpy's own writer.

Arrays written by np.save (every accepted dtype, 0-d, 1-d, 4-d, Fortran order, empty
dimensions, big-endian) and by np.lib.format.write_array with versions 1.0, 2.0 and 3.0 are
read by tests/tool_npy (from the file and from memory); ndim, shape and every float64 must be
those of arr.astype(np.float64) in C order, bit for bit. Corrupt or unsupported files must be
refused (exit 2) with one error naming the file and the problem; one that is accepted is a
FAIL. Prints "ok NAME" / "FAIL NAME: why"; exits non-zero on failure.
"""
import io
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

BUILD = os.environ.get("CPERM_BUILD", sys.argv[1] if len(sys.argv) > 1 else "build")
TOOL = os.path.join(BUILD, "tests", "tool_npy")
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
    head = dict(l.split(" ", 1) if " " in l else (l, "") for l in lines[:5])
    ndim = int(head["ndim"])
    shape = tuple(int(x) for x in head["shape"].split())
    size = int(head["size"])
    bits = np.array([int(x, 16) for x in lines[5:5 + size]], dtype=np.uint64)
    return (ndim, shape, head["dtype"], int(head["fortran"]), bits), r


def same(name, path, want, descr, fortran):
    ref = np.ascontiguousarray(np.asarray(want).astype(np.float64)).reshape(-1).view(np.uint64)
    for mode in ("read", "readmem"):
        got, r = ours(mode, path)
        n = "%s-%s" % (name, mode)
        if got is None:
            check(n, False, "refused: " + r.stderr.strip())
            continue
        ndim, shape, dt, fo, bits = got
        check(n, ndim == want.ndim and shape == want.shape and dt == descr and fo == fortran
              and bits.shape == ref.shape and np.array_equal(bits, ref),
              "got ndim %d shape %s dtype %s fortran %d, %d values; want %d %s %s %d, %d values"
              " (%d differ)" % (ndim, shape, dt, fo, bits.size, want.ndim, want.shape, descr,
                                fortran, ref.size,
                                -1 if bits.shape != ref.shape else int((bits != ref).sum())))


def refused(name, path, words):
    for mode in ("read", "readmem"):
        r = subprocess.run([TOOL, mode, path], capture_output=True, text=True)
        err = r.stderr.strip()
        lines = [l for l in err.split("\n") if l]
        ok = (r.returncode == 2 and len(lines) == 1 and os.path.basename(path) in err
              and all(w in err for w in words))
        check("%s-refused-%s" % (name, mode), ok,
              "exit %d, stderr %r (want exit 2, one line naming the file and %r)"
              % (r.returncode, err, words))


def npy_bytes(arr, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, arr)
    else:
        np.lib.format.write_array(b, arr, version=version)
    return b.getvalue()


def raw_npy(header, data=b"", version=(1, 0), pad=True):
    """A .npy file with a hand-written header text (for headers numpy would never write)."""
    h = header.encode("latin1")
    pre = 10 if version[0] == 1 else 12
    if pad:
        h += b" " * ((64 - (pre + len(h) + 1) % 64) % 64) + b"\n"
    ln = struct.pack("<H", len(h)) if version[0] == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes(version) + ln + h + data


def main():
    if not os.access(TOOL, os.X_OK):
        check("tool_npy", False, "%s not built" % TOOL)
        return 1
    rng = np.random.RandomState(14)
    with tempfile.TemporaryDirectory() as tmp:
        def path(name):
            return os.path.join(tmp, name)

        base = rng.standard_normal((3, 4, 5)) * 10 ** rng.uniform(-300, 300, (3, 4, 5))
        base.flat[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324]
        ints = rng.randint(-2 ** 31, 2 ** 31, (3, 4, 5))
        big = rng.randint(-2 ** 62, 2 ** 62, (3, 4, 5), dtype=np.int64)
        big.flat[:2] = [2 ** 63 - 1, -2 ** 63]   # round to nearest in float64
        with np.errstate(over="ignore"):   # the large values become +-inf in float32
            f4 = base.astype(np.float32)
        cases = {
            "f8": base, "f4": f4, "i4": ints.astype(np.int32),
            "i8": big, "u1": rng.randint(0, 256, (3, 4, 5)).astype(np.uint8),
            "b1": rng.randint(0, 2, (3, 4, 5)).astype(bool),
        }
        for tag, arr in cases.items():
            for order in ("<", ">"):
                if arr.dtype.itemsize == 1 and order == ">":
                    continue
                a = arr.astype(arr.dtype.newbyteorder(order)) if arr.dtype.itemsize > 1 else arr
                for fortran in (0, 1):
                    x = np.asfortranarray(a) if fortran else np.ascontiguousarray(a)
                    p = path("%s%s-%s.npy" % ("be-" if order == ">" else "", tag, "F" if fortran else "C"))
                    np.save(p, x)
                    same(os.path.basename(p)[:-4], p, x, x.dtype.str, fortran)
        shapes = {"0d": np.array(3.25), "1d": rng.standard_normal(7),
                  "4d": rng.standard_normal((2, 3, 4, 5)),
                  "4d-F": np.asfortranarray(rng.standard_normal((2, 3, 4, 5))),
                  "4d-F-f4": np.asfortranarray(rng.standard_normal((3, 1, 4, 2)).astype(np.float32)),
                  "empty-1d": np.zeros(0), "empty-mid": np.zeros((3, 0, 2)),
                  "empty-F": np.asfortranarray(np.zeros((0, 4))),
                  "ones": np.ones((1, 1, 1)), "32d": rng.standard_normal((1,) * 31 + (2,))}
        for tag, arr in shapes.items():
            p = path(tag + ".npy")
            np.save(p, arr)
            fo = int(arr.flags.f_contiguous and not arr.flags.c_contiguous)
            same(tag, p, arr, arr.dtype.str, fo)
        for ver in ((1, 0), (2, 0), (3, 0)):
            for tag, arr in (("C", rng.standard_normal((4, 3))),
                             ("F", np.asfortranarray(rng.standard_normal((4, 3)).astype(">f4")))):
                p = path("v%d-%s.npy" % (ver[0], tag))
                open(p, "wb").write(npy_bytes(arr, ver))
                fo = int(tag == "F")
                same("version%d.0-%s" % (ver[0], tag), p, arr, arr.dtype.str, fo)
        # Headers numpy reads though np.save writes them otherwise: double quotes, keys in
        # another order, no trailing comma, no padding.
        p = path("odd-header.npy")
        open(p, "wb").write(raw_npy('{"shape": (2, 2), "fortran_order": False, "descr": "<f8"}',
                                    np.arange(4.0).tobytes(), pad=False))
        same("odd-header", p, np.arange(4.0).reshape(2, 2), "<f8", 0)

        good = npy_bytes(np.arange(12.0).reshape(3, 4))
        hl = struct.unpack("<H", good[8:10])[0]
        bad = {
            "bad-magic": (b"\x93NUMPZ" + good[6:], ["magic"]),
            "not-npy": (b"hello", ["magic"]),
            "empty": (b"", ["magic"]),
            "version-4": (good[:6] + b"\x04\x00" + good[8:], ["version 4.0"]),
            "truncated-prefix": (good[:9], ["truncated header"]),
            "truncated-header": (good[:40], ["truncated header"]),
            "truncated-data": (good[:-8], ["truncated data", "96"]),
            "data-too-long": (good + b"\0" * 8, ["too long", "96"]),
            "huge-header-length": (good[:8] + b"\xff\xff" + good[10:], ["truncated header"]),
            "v2-huge-header-length": (npy_bytes(np.zeros(2), (2, 0))[:8] + b"\xff\xff\xff\xff"
                                      + npy_bytes(np.zeros(2), (2, 0))[12:], ["truncated header"]),
            "object": (raw_npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                               b"\0" * 16), ["dtype '|O'"]),
            "complex": (npy_bytes(np.ones(3, np.complex128)), ["dtype '<c16'"]),
            "f2": (npy_bytes(np.ones(3, np.float16)), ["dtype '<f2'"]),
            "structured": (npy_bytes(np.zeros(2, [("a", "<f8"), ("b", "<i4")])), ["structured"]),
            "not-a-dict": (raw_npy("['descr', '<f8']", b""), ["dict literal"]),
            "no-closing-brace": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)",
                                         b"\0" * 16), ["dict literal"]),
            "missing-shape": (raw_npy("{'descr': '<f8', 'fortran_order': False, }", b"\0" * 8),
                              ["lacks 'shape'"]),
            "extra-key": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), "
                                  "'x': 1, }", b"\0" * 16), ["unknown"]),
            "duplicate-key": (raw_npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False,"
                                      " 'shape': (2,), }", b"\0" * 16), ["twice"]),
            "shape-int": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2), }",
                                  b"\0" * 16), ["not a tuple"]),
            "shape-negative": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,),"
                                       " }", b""), ["non-negative"]),
            "shape-float": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2.5,), }",
                                    b"\0" * 16), ["not a tuple"]),
            "fortran-not-bool": (raw_npy("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }",
                                         b"\0" * 16), ["fortran_order"]),
            "shape-overflow": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                       "(4294967296, 4294967296, 16), }", b"\0" * 8),
                               ["overflows"]),
            "dim-overflow": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                     "(99999999999999999999999,), }", b""), ["overflows"]),
            "item-overflow": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                      "(%d,), }" % (2 ** 62), b"\0" * 8), ["overflows"]),
            "too-many-dims": (raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }"
                                      % ("1, " * 33), b"\0" * 8), ["more than 32 dimensions"]),
            "huge-shape-small-data": (raw_npy("{'descr': '<f4', 'fortran_order': True, 'shape': "
                                              "(100000, 100000), }", b"\0" * 64),
                                      ["truncated data", "40000000000"]),
        }
        for tag, (b, words) in bad.items():
            p = path(tag + ".npy")
            open(p, "wb").write(b)
            refused(tag, p, words)
        r = subprocess.run([TOOL, "read", path("no-such.npy")], capture_output=True, text=True)
        check("missing-file-refused", r.returncode == 2 and "no-such.npy" in r.stderr
              and "no such file" in r.stderr, "exit %d %r" % (r.returncode, r.stderr))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
