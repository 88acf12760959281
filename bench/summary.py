#!/usr/bin/env python3
"""The benchmark's headline table (issue 17's targets), from the numbers one `make bench` run
wrote: run_bench.py --json and bench_tfce.py --json. Prints Markdown (the README's
performance table is this output) and writes it to OUT when given.

Usage: python3 bench/summary.py RUN_BENCH_JSON BENCH_TFCE_JSON [OUT]
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    rb, tf = load(sys.argv[1]), load(sys.argv[2])
    cases = rb.get("cases", {})
    rows = []  # (case, measure, ours, theirs, ratio, target, met)

    def ratio_row(case, measure, ours, theirs, target, higher=True, note=""):
        if ours is None or theirs is None or not ours:
            rows.append((case, measure, "-" if ours is None else "%.3g s" % ours,
                         "not run", "-", target, "-"))
            return
        r = theirs / ours if higher else ours / theirs
        goal = float(target.strip("≥≤ ×").replace(",", ""))
        met = r >= goal if higher else r <= goal
        rows.append((case, measure, "%.3g s" % ours, "%.3g s" % theirs,
                     "%.0f×" % r if higher else "%.2f×" % r, target, "yes" if met else "**no**"))

    a = cases.get("a", {})
    ratio_row("(a) 16 × ico-5 × 40, p=0.001", "test time vs MNE 1.3", a.get("ours_s"),
              a.get("mne13_s"), "≥ 800×")
    m1 = a.get("main_1e-3", {})
    ratio_row("(a)", "test time vs MNE main", m1.get("ours_s"), m1.get("mne_main_s"), "≥ 600×")
    m0 = a.get("main_0", {})
    ratio_row("(a) with sigma 0 (plain t)", "test time vs MNE main's BLAS path",
              m0.get("ours_s"), m0.get("mne_main_s"), "≥ 300×")
    e2e = rb.get("end_to_end", {})
    ratio_row("(a)", "end to end vs the seed script", e2e.get("cli_s"),
              e2e.get("seed_script_s"), "≥ 250×")
    fl = rb.get("floors", {}).get("la", {})
    ratio_row("(a)", "test time vs the floor program's (float32)", fl.get("ours_s"),
              fl.get("floor_f32_s"), "≤ 1.5×", higher=False)
    b = cases.get("b", {})
    ratio_row("(b) 100 times", "test time vs MNE 1.3", b.get("ours_s"), b.get("mne13_s"), "≥ 700×")
    g = cases.get("g", {})
    ratio_row("independent F, 2 × 16 × ico-5 × 40", "vs MNE 1.3's spatio_temporal_cluster_test",
              g.get("ours_s"), g.get("mne13_s"), "≥ 200×")
    ex = tf.get("exact", {})
    ratio_row("TFCE exact, 16 × ico-5 × 10", "per permutation, vs MNE 1.3 stepped",
              ex.get("per_perm_cpu_s"), tf.get("mne", {}).get("per_perm_cpu_s"), "≥ 1,000×")
    ratio_row("TFCE exact, 16 × ico-5 × 10", "per permutation, vs MNE main stepped",
              ex.get("per_perm_cpu_s"), tf.get("mne_main", {}).get("per_perm_cpu_s"), "≥ 100×")
    cm = tf.get("mne1.3/compat-mne1.3", {})
    if cm and ex:
        ratio_row("TFCE `--compat mne1.3`, same case", "per permutation, vs exact mode",
                  cm.get("per_perm_cpu_s"), ex.get("per_perm_cpu_s"), "≤ 1×", higher=False)
    out = ["| case | measure | clusterperm | other | ratio | target | met |",
           "|---|---|---:|---:|---:|---:|:---:|"]
    out += ["| %s |" % " | ".join(r) for r in rows]
    mem = []
    for key in ("a", "b", "c", "d", "g"):
        c = cases.get(key)
        if c and c.get("rss_mb") is not None:
            mem.append("%s %.0f MB (bound %.0f)" % (key, c["rss_mb"], c["bound_mb"]))
    if mem:
        ok = all(cases[k]["rss_mb"] <= cases[k]["bound_mb"] for k in ("a", "b", "c", "d", "g")
                 if k in cases and cases[k].get("rss_mb") is not None)
        out.append("")
        out.append("Peak RSS: %s: %s." % ("; ".join(mem), "all within the engine's bound" if ok
                                            else "**over the bound**"))
    if "exponent_points" in rb:
        out.append("Scaling exponents: time ∝ (V·T)^%.2f and ∝ permutations^%.2f." % (
            rb["exponent_points"], rb["exponent_permutations"]))
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
