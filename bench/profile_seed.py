#!/usr/bin/env python3
"""Where the seed case's time goes: perf samples (with DWARF call chains) of the library call
(bench_case) and of the whole CLI run, each sample charged to the innermost frame that names
a phase, so kernel work (page faults, reads) counts for the code that caused it.

Usage: python3 bench/profile_seed.py --build build [--jobs 2] [--case-dir DIR] [--study DIR]
Without DIR arguments it writes the seed-sized case (run_bench.py's generator) and a
simulated study itself. Needs perf; says so and exits 0 when perf cannot sample.
"""
import argparse, collections, os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"

# (phase, substrings of function names); a sample goes to the first frame, from the leaf
# up, that contains one of them, and the first phase listed for that frame.
PHASES = [
    ("kernel: tables + screen", ("build_tables", "screen_", "run_part", "cperm_group_screen",
                                 "point_bound", "screen_part")),
    ("kernel: hat (max var per order)", ("max_var", "prepare_top", "heap_down", "flip_window",
                                         "flip_prepare")),
    ("exact recompute (MNE's t/F)", ("exact_candidates", "cperm_tstat_signed", "cperm_signed_var",
                                     "block_sums", "block_stat")),
    ("clustering", ("cperm_find_clusters", "emit", "cperm_page_pool", "cperm_observe_clusters",
                    "cluster_ws", "union_")),
    ("observed statistic", ("cperm_tstat_scan", "cperm_tstat_observed", "observe")),
    ("H0, p-values, orders", ("cperm_run_", "driver", "pvalue", "cperm_order", "mt19937",
                              "flip_permute", "mass_", "cperm_plan_execute", "regenerate")),
    ("I/O: estimates (read, check, X)", ("parse_stc", "cperm_stc_", "study_read", "load_data",
                                         "load_stc", "check_finite", "prepare_stc", "slurp",
                                         "read_stc")),
    ("source space + adjacency", ("cperm_src_", "fif_", "adjacency", "cperm_graph", "tag_")),
    ("figures", ("render", "cairo", "png", "h0plot", "colormap", "pixman", "deflate")),
    ("outputs + report", ("report", "write_stc", "outputs", "json", "cluster_out", "summary",
                          "cperm_write", "atomic")),
]
OTHER = "other (start-up, libc, threads)"


def perf_ok():
    try:
        return subprocess.run(["perf", "stat", "-e", "task-clock", "true"],
                              capture_output=True).returncode == 0
    except OSError:
        return False


def profile(cmd, data):
    """Runs cmd under perf; returns {phase: samples} and the sampling period in seconds."""
    freq = 1000
    subprocess.run(["perf", "record", "-q", "-F", str(freq), "--call-graph", "dwarf,16384",
                    "-o", data, "--"] + cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True,
                         text=True).stdout
    counts = collections.Counter()
    for block in out.split("\n\n"):
        frames = [ln.split(None, 1)[1] if len(ln.split(None, 1)) > 1 else ""
                  for ln in block.strip().splitlines()]
        if not frames:
            continue
        counts[phase_of(frames)] += 1
    return counts, 1.0 / freq


def phase_of(frames):
    for sym in frames:
        for phase, keys in PHASES:
            if any(k in sym for k in keys):
                return phase
    return OTHER


def report(title, counts, period):
    total = sum(counts.values())
    print("  %s: %.2f CPU s sampled" % (title, total * period))
    for phase, _ in PHASES + [(OTHER, ())]:
        if counts.get(phase):
            print("    %5.1f%%  %6.3f s  %s" % (100.0 * counts[phase] / total,
                                                counts[phase] * period, phase))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--case-dir")
    ap.add_argument("--study")
    args = ap.parse_args()
    print()
    print("Profile of the seed case (16 subjects x ico-5 x 40 times, p=0.001, 1024 permutations,"
          " %d threads):" % args.jobs)
    if not perf_ok():
        print("  perf is not available here: no profile")
        return
    work = tempfile.mkdtemp(prefix="cperm-profile-")
    try:
        d = args.case_dir
        if not d:
            d = os.path.join(work, "a")
            os.makedirs(d)
            sys.path.insert(0, HERE)
            import run_bench
            subprocess.run([PY, "-c", run_bench.GEN, d, "16", "40", "5"], check=True,
                           capture_output=True)
        thr = "4.072765195903791"  # -stats.t.ppf(0.001 / 2, 15)
        bench = os.path.join(args.build, "bench_case")
        for sigma in ("1e-3", "0"):
            counts, period = profile([bench, d, "16", "40", "20484", thr, "1024", str(args.jobs),
                                      sigma, "1", "none"], os.path.join(work, "lib.data"))
            report("library call, sigma %s (bench_case: reading X.f64 is its I/O)" % sigma,
                   counts, period)
        study = args.study
        cli = os.path.join(args.build, "clusterperm")
        if not study:
            study = os.path.join(work, "study")
            subprocess.run([cli, "simulate", study, "--n-times", "45"], check=True,
                           capture_output=True)
        cmd = [cli, "onesample", "--a", study + "/sub*/mne_dSPM_inverse_morph-faces_eq",
               "--b", study + "/sub*/mne_dSPM_inverse_morph-scrambled_eq", "--src",
               study + "/fsaverage-ico5-src.fif", "--tmin", "0", "--p-threshold", "0.001",
               "--sigma", "1e-3", "--n-permutations", "1024", "--seed", "0", "-j",
               str(args.jobs), "-q", "--out", os.path.join(work, "out")]
        counts, period = profile(cmd, os.path.join(work, "cli.data"))
        report("whole CLI run (64 .stc files, source space, test, figures, report)", counts,
               period)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
