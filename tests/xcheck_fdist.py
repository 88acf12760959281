"""xcheck_fdist.py - cperm_f_cdf / cperm_f_ppf against scipy 1.10's scipy.stats.f.cdf / .ppf
(cephes fdtr / fdtri), cperm_f_threshold against MNE's default F threshold, and
cperm_f_threshold_mway_rm / cperm_f_mway_effects against mne.stats.f_threshold_mway_rm and
MNE's effect order.

Drives `$CPERM_BUILD/tests/tool_fdist` (stdin rows, hex doubles out). Everything is held to
bit identity; a failure reports the number of differing values and the largest distance in
ulps.
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import scipy.stats

BUILD = os.environ.get("CPERM_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_fdist")

failed = 0
totals = {"cdf": [0, 0, 0], "ppf": [0, 0, 0]}  # values, mismatches, max ulps


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok %s" % name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def run_tool(mode, lines):
    p = subprocess.run([TOOL, mode], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("tool_fdist %s failed: %s" % (mode, p.stderr.strip()))
    out = p.stdout.splitlines()
    if len(out) != len(lines):
        raise RuntimeError("tool_fdist %s: %d lines for %d rows" % (mode, len(out), len(lines)))
    return out


def run_3(mode, rows):
    out = run_tool(mode, ["%r %r %r" % (float(a), float(b), float(c)) for a, b, c in rows])
    return np.array([float.fromhex(v) for v in out])


def ulps(got, want):
    """Distance in representable doubles; 0 for two NaNs or equal values (incl. +-inf)."""
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    same = (g == w) | (np.isnan(g) & np.isnan(w))
    gi, wi = g.view(np.int64), w.view(np.int64)
    # map to a monotone integer line so that -0 and +0 are neighbours
    gi = np.where(gi < 0, np.int64(-2**63) - gi, gi)
    wi = np.where(wi < 0, np.int64(-2**63) - wi, wi)
    d = np.abs(gi.astype(np.float64) - wi.astype(np.float64))
    d[np.isnan(g) != np.isnan(w)] = np.inf
    d[same] = 0
    return d


def compare(kind, name, rows, want):
    got = run_3(kind if kind != "thr" else "thr", rows)
    want = np.asarray(want, dtype=np.float64)
    d = ulps(got, want)
    bad = int(np.sum(d > 0))
    key = "ppf" if kind in ("ppf", "thr") else "cdf"
    t = totals[key]
    t[0] += len(rows)
    t[1] += bad
    t[2] = max(t[2], float(d.max()) if len(d) else 0.0)
    i = int(np.argmax(d))
    check(name, bad == 0, "%d of %d differ, max %g ulps at %r: got %r want %r"
          % (bad, len(rows), d[i], tuple(rows[i]), got[i], want[i]))


def ppf_rows(rng):
    grid_p = [1e-300, 1e-100, 1e-15, 1e-10, 1e-6, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
              0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.999, 0.9995, 1 - 1e-6, 1 - 1e-10,
              1 - 1e-15, 1 - 2**-53]
    grid_df = [1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 15, 19, 20, 23, 30, 47, 63, 100, 250, 999, 1000,
               0.5, 1.5, 2.5, 7.3, 33.3]
    rows = [(p, a, b) for p in grid_p for a in grid_df[::2] for b in grid_df[1::2]]
    rows += [(p, a, b) for p in grid_p[::3] for a in grid_df[1::2] for b in grid_df[::2]]
    n = 3000
    ps = np.concatenate([rng.uniform(0, 1, n), 10 ** rng.uniform(-15, -0.3, n // 2),
                         1 - 10 ** rng.uniform(-15, -0.3, n // 2)])
    dfn = np.concatenate([np.exp(rng.uniform(0, np.log(1000), n)),
                          rng.randint(1, 1001, n).astype(float)])
    dfd = np.concatenate([np.exp(rng.uniform(0, np.log(1000), n)),
                          rng.randint(1, 1001, n).astype(float)])
    rng.shuffle(dfd)
    rows_random = list(zip(ps, dfn, dfd))
    return rows, rows_random


def main():
    rng = np.random.RandomState(20240513)
    rows, rows_random = ppf_rows(rng)

    # ---- the quantile
    compare("ppf", "f_ppf grid: %d (p, dfn, dfd), p 1e-300..1-2^-53, df 0.5..1000" % len(rows),
            rows, [scipy.stats.f.ppf(p, a, b) for p, a, b in rows])
    compare("ppf", "f_ppf %d random (p, dfn, dfd), tails to 1e-15, real and integer df 1..1000"
            % len(rows_random), rows_random, scipy.stats.f.ppf(*np.array(rows_random).T))
    # small and huge df: halving from the mean (a or b <= 1), lbeta's log-Gamma and
    # asymptotic branches (df > 342, df > 2e6 with the other df small)
    ext_df = [1e-3, 0.05, 0.3, 0.9999, 1.0001, 343.5, 1e4, 1e5, 3e6, 1e8]
    ext = [(p, a, b) for p in (1e-12, 0.01, 0.5, 0.95, 1 - 1e-9) for a in ext_df for b in ext_df]
    compare("ppf", "f_ppf df from 1e-3 to 1e8 (%d)" % len(ext), ext,
            [scipy.stats.f.ppf(p, a, b) for p, a, b in ext])
    edge = [(0.0, 3, 4), (1.0, 3, 4), (-0.1, 3, 4), (1.1, 3, 4), (float("nan"), 3, 4),
            (0.5, 0, 4), (0.5, 3, 0), (0.5, -1, 4), (0.5, 3, float("nan")),
            (0.5, float("inf"), 4), (0.5, 4, float("inf")), (0.5, float("inf"), float("inf")),
            (5e-324, 3, 4), (1e-320, 1, 1), (0.95, 1e-300, 2), (0.95, 2, 1e-300)]
    compare("ppf", "f_ppf edges: p = 0, 1, outside [0, 1], NaN, df <= 0, NaN, inf, denormal",
            edge, [scipy.stats.f.ppf(p, a, b) for p, a, b in edge])

    # ---- the CDF: at random points and at the quantiles just computed (the search's points)
    xs = np.concatenate([np.exp(rng.normal(0, 2, 3000)), rng.uniform(0, 5, 1000)])
    dfn = np.concatenate([np.exp(rng.uniform(0, np.log(1000), 2000)),
                          rng.randint(1, 1001, 2000).astype(float)])
    dfd = rng.permutation(dfn)
    crow = list(zip(xs, dfn, dfd))
    compare("cdf", "f_cdf %d random (x, dfn, dfd), df 1..1000" % len(crow), crow,
            scipy.stats.f.cdf(xs, dfn, dfd))
    q = scipy.stats.f.ppf(*np.array(rows_random).T)
    qrow = [(x, a, b) for x, (_, a, b) in zip(q, rows_random) if np.isfinite(x)]
    compare("cdf", "f_cdf at %d quantiles (tails 1e-15)" % len(qrow), qrow,
            scipy.stats.f.cdf(*np.array(qrow).T))
    cext = [(x, a, b) for x in (1e-300, 1e-8, 0.2, 1.0, 7.0, 1e6, 1e200) for a in ext_df
            for b in ext_df]
    compare("cdf", "f_cdf df from 1e-3 to 1e8 (%d)" % len(cext), cext,
            [scipy.stats.f.cdf(x, a, b) for x, a, b in cext])
    cedge = [(0.0, 3, 4), (-1.0, 3, 4), (float("inf"), 3, 4), (float("-inf"), 3, 4),
             (float("nan"), 3, 4), (1.0, 0, 4), (1.0, 3, -2), (1.0, float("nan"), 4),
             (1.0, float("inf"), 4), (1.0, 4, float("inf")), (5e-324, 3, 4), (1e308, 1, 1)]
    compare("cdf", "f_cdf edges: x <= 0, inf, NaN, df <= 0, NaN, inf, denormal", cedge,
            [scipy.stats.f.cdf(x, a, b) for x, a, b in cedge])

    # ---- MNE's default F threshold of permutation_cluster_test (threshold=None):
    # ppf(1. - p_thresh, dfn, dfd) with dfn = n_groups - 1, dfd = n_obs - n_groups
    trow = [(p, k - 1, n - k) for k in range(2, 9) for n in range(k + 1, 121)
            for p in (0.05, 0.01, 0.001)]
    compare("thr", "f_threshold = MNE's ppf(1 - p, k - 1, N - k), %d designs" % len(trow), trow,
            [scipy.stats.f.ppf(1. - p, a, b) for p, a, b in trow])

    check_mway()

    for key in ("cdf", "ppf"):
        n, bad, mu = totals[key]
        print("# f_%s: %d values, %d differ from scipy, max %g ulps" % (key, n, bad, mu))
    return 1 if failed else 0


def check_mway():
    from mne.stats import f_threshold_mway_rm
    from mne.stats.parametric import _map_effects

    designs = [[2, 2], [3, 2], [2, 3], [4, 3], [2, 2, 2], [3, 2, 4], [2, 5, 3], [2, 2, 2, 2],
               [3], [6], [2, 1, 3]]
    effect_sets = ["A", "B", "A:B", "A+B", "B+A", "A*B", "A*B*C", "A:B:C", "A:C", "B:C", "C",
                   "all", "A*C", "B*C", "A+A", "A+B+C", "A:B:C:D", "A*B*C*D", "D", "A:D",
                   # rejected by MNE
                   "B:A", "A*B:C", "A+B:C", "AB", "*", "+", "A+", "Z", "a", "A**B", "A::B",
                   "B*A"]
    lines, want = [], []
    for levels in designs:
        for eff in effect_sets:
            for n_subj, pv in ((10, 0.05), (2, 0.01), (23, 0.001), (7, 1e-8)):
                lines.append("%d %r %s %s" % (n_subj, pv, eff, " ".join(str(l) for l in levels)))
                try:
                    sel, _ = _map_effects(len(levels), eff)
                    thr = f_threshold_mway_rm(n_subj, levels, eff, pv)
                    thr = list(np.atleast_1d(thr))
                    if any(np.isnan(thr)):  # a factor of 1 level in the effect
                        want.append(("err",))
                    else:
                        want.append((thr, [s + 1 for s in sel]))
                except Exception:
                    want.append(("err",))
    got = run_tool("mway", lines)
    n_ok = n_bad = n_err = 0
    first = None
    for line, g, w in zip(lines, got, want):
        if w == ("err",):
            ok = g.startswith("ERR -1 ")
            n_err += ok
        else:
            if g.startswith("ERR"):
                ok = False
            else:
                vals, masks = g.split("|")
                vals = [float.fromhex(v) for v in vals.split()]
                masks = [int(m) for m in masks.split()]
                ok = masks == w[1] and len(vals) == len(w[0]) and all(
                    np.float64(a).view(np.int64) == np.float64(b).view(np.int64)
                    for a, b in zip(vals, w[0]))
        if ok:
            n_ok += 1
        else:
            n_bad += 1
            first = first or "%s: got %s want %r" % (line, g, w)
    check("f_threshold_mway_rm: %d designs x effects x (n, p) bit-identical to MNE, errors "
          "where MNE raises or returns NaN (%d of them)" % (len(lines), n_err), n_bad == 0,
          "%d differ, first %s" % (n_bad, first))

    # the default effects (NULL = "A*B") and pvalue 0 / 1 (isf's bounds)
    lines = ["12 0.05 NULL 2 3", "12 0 NULL 2 2", "12 1 NULL 3 3"]
    got = run_tool("mway", lines)
    ok = True
    for line, g in zip(lines, got):
        n, pv, _, *lv = line.split()
        w = f_threshold_mway_rm(int(n), [int(x) for x in lv], pvalue=float(pv))
        vals = [float.fromhex(v) for v in g.split("|")[0].split()]
        ok &= vals == list(np.atleast_1d(w))
    check("f_threshold_mway_rm default effects 'A*B' and pvalue 0 and 1", ok, "got %r" % (got,))

    # n_subjects < 2, bad pvalue, a factor of 0 levels, 27 factors: errors
    lines = ["1 0.05 A 2 2", "10 1.5 A 2 2", "10 nan A 2 2", "10 0.05 A 2 0",
             "10 0.05 A " + " ".join(["2"] * 27)]
    got = run_tool("mway", lines)
    check("f_threshold_mway_rm rejects n_subjects < 2, p outside [0, 1], 0 levels, 27 factors",
          all(g.startswith("ERR -1 ") for g in got), "got %r" % (got,))


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    try:
        sys.exit(main())
    except Exception as exc:  # a broken tool is a failure, not a crash
        import traceback
        traceback.print_exc()
        print("FAIL xcheck_fdist: %s" % exc)
        sys.exit(1)
