"""xcheck_tdist.py - cperm_t_ppf against scipy 1.10's scipy.stats.t.ppf (cdflib's cdft),
cperm_t_cdf against scipy.stats.t.cdf, and MNE's default cluster thresholds.

Drives `build/tests/tool_orders tppf|tcdf` (stdin "x df" lines, %.17g out). The quantile must
match to 1e-12 relative (the port is in fact bit-exact). scipy's t.cdf (special.stdtr) is
cdflib's cdft(which=1), i.e. the same cumt we port, so the CDF is held to 1e-13 relative too
(it is bit-exact on this machine; libm differences elsewhere may cost an ulp).
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import scipy.stats

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_orders")
PPF_RTOL = 1e-12
CDF_RTOL = 1e-13

failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok %s" % name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def run_tool(mode, rows):
    inp = "".join("%r %r\n" % (float(a), float(b)) for a, b in rows)
    p = subprocess.run([TOOL, mode], input=inp, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("tool_orders %s failed: %s" % (mode, p.stderr.strip()))
    out = np.array([float(v) for v in p.stdout.split()])
    if len(out) != len(rows):
        raise RuntimeError("tool_orders %s: %d values for %d rows" % (mode, len(out), len(rows)))
    return out


def rel_diff(got, want):
    both_nan = np.isnan(got) & np.isnan(want)
    d = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    d[both_nan] = 0.0
    d[np.isnan(got) != np.isnan(want)] = np.inf
    return d


def compare_ppf(name, rows):
    got = run_tool("tppf", rows)
    want = np.array([scipy.stats.t.ppf(p, df) for p, df in rows])
    d = rel_diff(got, want)
    i = int(np.argmax(d))
    check(name, d.max() <= PPF_RTOL,
          "max rel diff %.3g at p=%r df=%r: got %r want %r (%d of %d differ)"
          % (d[i], rows[i][0], rows[i][1], got[i], want[i], int(np.sum(d > PPF_RTOL)), len(rows)))
    return d.max(), int(np.sum(got == want)), len(rows)


def main():
    rng = np.random.RandomState(20230101)
    grid_p = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.95, 0.975,
              0.999, 0.9995]
    grid_df = [1, 2, 3, 4, 5, 7, 10, 15, 19, 23, 30, 63, 100, 1000, 2.5, 7.3]
    worst, exact, total = 0.0, 0, 0

    for df in grid_df:
        rows = [(p, df) for p in grid_p] + [(p, df) for p in rng.uniform(0, 1, 200)]
        w, e, n = compare_ppf("t_ppf grid and 200 random p, df=%g" % df, rows)
        worst, exact, total = max(worst, w), exact + e, total + n

    # random p (also deep tails) and random real df in [1, 1000]
    ps = np.concatenate([rng.uniform(0, 1, 2000), 10 ** rng.uniform(-15, -0.3, 1000),
                         1 - 10 ** rng.uniform(-15, -0.3, 1000)])
    dfs = np.concatenate([rng.uniform(1, 1000, 2000), rng.uniform(1, 40, 2000)])
    w, e, n = compare_ppf("t_ppf 4000 random (p, df), df in [1, 1000]", list(zip(ps, dfs)))
    worst, exact, total = max(worst, w), exact + e, total + n

    # outside the brief's range: small and huge df, extreme p (documents the search bounds)
    rows = [(p, df) for p in (1e-300, 1e-30, 1e-8, 0.2, 1 - 1e-12)
            for df in (1e-3, 0.1, 0.3, 0.9, 1e5, 1e9)]
    w, e, n = compare_ppf("t_ppf extreme p and df outside [1, 1000]", rows)
    worst, exact, total = max(worst, w), exact + e, total + n

    # MNE's default thresholds: -t.ppf(0.05 / (1 + (tail == 0)), n - 1)
    rows = [(0.05 / k, n - 1) for n in range(2, 201) for k in (1, 2)]
    w, e, n = compare_ppf("MNE default thresholds n=2..200, tails 0 and +-1", rows)
    worst, exact, total = max(worst, w), exact + e, total + n

    # df = inf: scipy switches to the normal distribution (cephes ndtri/ndtr); we use cdflib's
    # normal routines, equal to ~1e-15, so this one is held to 1e-12 only
    ps = [1e-20, 0.001, 0.3, 0.5001, 0.975, 0.999999]
    got = run_tool("tppf", [(p, np.inf) for p in ps])
    want = scipy.stats.t.ppf(ps, np.inf)
    d = rel_diff(got, want)
    check("t_ppf df=inf is the normal quantile", d.max() <= 1e-12, "got %r want %r" % (got, want))

    # invalid input gives NaN (scipy.special.stdtrit's value, the one t.ppf wraps)
    rows = [(0.0, 5), (1.0, 5), (-0.5, 5), (1.5, 5), (0.3, 0), (0.3, -1)]
    got = run_tool("tppf", rows + [(float("nan"), 5), (0.3, float("nan"))])
    check("t_ppf invalid input is NaN", bool(np.all(np.isnan(got))), "got %r" % (got,))

    print("# t_ppf: %d of %d values identical to scipy, max relative difference %.3g"
          % (exact, total, worst))

    # the CDF
    ts = np.concatenate([rng.standard_cauchy(3000), rng.uniform(-6, 6, 1000)])
    dfs = np.concatenate([rng.choice(grid_df, 2000), rng.uniform(1, 1000, 2000)])
    rows = list(zip(ts, dfs))
    got = run_tool("tcdf", rows)
    want = scipy.stats.t.cdf(ts, dfs)
    d = rel_diff(got, want)
    keep = want > 1e-280  # relative differences of denormal-range tails mean nothing
    i = int(np.argmax(np.where(keep, d, 0)))
    check("t_cdf 4000 random (t, df) against scipy.stats.t.cdf", np.all(d[keep] <= CDF_RTOL),
          "max rel diff %.3g at t=%r df=%r: got %r want %r" % (d[i], ts[i], dfs[i], got[i], want[i]))
    print("# t_cdf: max relative difference %.3g" % np.max(d[keep]))
    return 1 if failed else 0


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    try:
        sys.exit(main())
    except Exception as exc:  # a broken tool is a failure, not a crash
        print("FAIL xcheck_tdist: %s" % exc)
        sys.exit(1)
