"""xcheck_orders.py - numpy's legacy RandomState and MNE 1.3's one-sample sign-flip orders.

Compares `build/tests/tool_orders orders N N_PERM TAIL SEED` with
mne.stats.cluster_level._get_1samp_orders(N, N_PERM, TAIL, np.random.RandomState(SEED))
(identical rows in the same order and the same exact-test flag), and the `perm`/`doubles`
subcommands with RandomState.permutation / random_sample.
"""
import os
import subprocess
import sys

import numpy as np

import mne
from mne.stats.cluster_level import _get_1samp_orders

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_orders")

failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok %s" % name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def tool(*args):
    p = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def our_orders(n, n_perm, tail, seed):
    rc, out, err = tool("orders", n, n_perm, tail, seed)
    if rc != 0:
        raise RuntimeError("tool_orders orders %s %s %s %s: %s" % (n, n_perm, tail, seed, err))
    lines = out.split("\n")
    exact = int(lines[0].split()[1])
    k = int(lines[1].split()[1])
    rows = lines[2:2 + k]
    if k == 0:
        return np.zeros((0, n), int), exact
    return np.array([[int(c) for c in r] for r in rows], int), exact


def mne_orders(n, n_perm, tail, seed):
    orders, _, extra = _get_1samp_orders(n, n_perm, tail, np.random.RandomState(seed))
    arr = np.array(orders, int).reshape(-1, n) if len(orders) else np.zeros((0, n), int)
    return arr, int(extra == " (exact test)")


def compare_orders():
    seeds = [0, 42, 2 ** 32 - 1]
    for n in [2, 3, 6, 10, 16, 20, 21, 24, 40]:
        for n_perm in [1, 5, 31, 32, 33, 1024] + (["all"] if n <= 10 else []):
            bad = None
            for tail in (-1, 0, 1):
                for seed in seeds:
                    ours, ex = our_orders(n, n_perm, tail, seed)
                    want, wex = mne_orders(n, n_perm, tail, seed)
                    if ex != wex:
                        bad = "tail %d seed %d: exact %d, MNE %d" % (tail, seed, ex, wex)
                    elif ours.shape != want.shape:
                        bad = "tail %d seed %d: shape %s, MNE %s" % (tail, seed, ours.shape,
                                                                      want.shape)
                    elif not np.array_equal(ours, want):
                        r = int(np.argmax(np.any(ours != want, axis=1)))
                        bad = "tail %d seed %d: row %d is %s, MNE %s" % (
                            tail, seed, r, "".join(map(str, ours[r])), "".join(map(str, want[r])))
                    if bad:
                        break
                if bad:
                    break
            check("orders n=%d n_perm=%s (tails -1/0/1, seeds 0/42/2^32-1)" % (n, n_perm),
                  bad is None, bad)


def compare_collisions():
    # n=21: 2^20 or 2^21 sign patterns, so 19999 draws repeat a tuple ~100-200 times and
    # exercise MNE's discard-and-redraw path
    for tail in (0, 1):
        ours, ex = our_orders(21, 20000, tail, 7)
        want, wex = mne_orders(21, 20000, tail, 7)
        check("orders n=21 n_perm=20000 tail %d (repeated tuples redrawn)" % tail,
              ex == wex and ours.shape == want.shape and np.array_equal(ours, want),
              "exact %d/%d shape %s/%s" % (ex, wex, ours.shape, want.shape))


def compare_rng():
    for seed, n in [(0, 10), (1, 1000), (12345, 4095), (2 ** 32 - 1, 2 ** 20 - 1)]:
        rc, out, err = tool("perm", seed, n)
        ours = np.array(out.split(), np.int64)
        want = np.random.RandomState(seed).permutation(n)
        check("RandomState(%d).permutation(%d)" % (seed, n),
              rc == 0 and np.array_equal(ours, want),
              err or "first difference at %s" % (
                  int(np.argmax(ours != want)) if len(ours) == len(want) else "length"))
    for seed in (0, 1, 42, 2 ** 31, 2 ** 32 - 1):
        rc, out, err = tool("doubles", seed, 1500)  # crosses a 624-word regeneration
        ours = np.array([float(v) for v in out.split()])
        want = np.random.RandomState(seed).random_sample(1500)
        check("RandomState(%d).random_sample(1500)" % seed,
              rc == 0 and np.array_equal(ours, want), err or "values differ")


def check_refusals():
    # MNE fails on n_permutations=0 (negative sample size); we refuse it cleanly
    try:
        _get_1samp_orders(10, 0, 1, np.random.RandomState(0))
        mne_fails = False
    except ValueError:
        mne_fails = True
    rc, _, err = tool("orders", 10, 0, 1, 0)
    check("n_permutations=0 refused (MNE raises too)", mne_fails and rc == 1 and "orders:" in err,
          "MNE fails %s, rc %d, '%s'" % (mne_fails, rc, err))
    rc, _, err = tool("orders", 1, 100, 0, 0)
    check("one subject refused", rc == 1 and "at least 2" in err, "rc %d '%s'" % (rc, err))


def main():
    mne.set_log_level("ERROR")
    compare_rng()
    compare_orders()
    compare_collisions()
    check_refusals()
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a broken tool is a failure, not a crash
        print("FAIL xcheck_orders: %s" % exc)
        sys.exit(1)
