"""xcheck_arrays.py - studies from .npy arrays through the CLI (--dims, --adjacency) against
MNE 1.3 on the same arrays: sensor x time and channel x frequency x time.

Arrays are written with np.save (stacked, or one file per subject), adjacencies with
read_ch_adjacency's own files (MNE's shipped FieldTrip neighbour .mat), scipy's save_npz and
MNE's combine_adjacency. Each case runs `clusterperm onesample|independent|rm-anova --dims ...`
and the MNE function a user would call on the same arrays:
- (time, channel) with --compat mne1.3: spatio_temporal_cluster_1samp_test(X, adjacency=adj),
  MNE 1.3's spatio-temporal path, split included;
- the same by default: permutation_cluster_1samp_test(X, adjacency=combine_adjacency(n_times,
  adj)), true connected components;
- (channel, time) per-subject files, paired A - B, a channel subset picked by --channels:
  read_ch_adjacency(path, picks) and the transposed data;
- channel x frequency x time (one sample, independent F, repeated-measures F):
  permutation_cluster_*_test over combine_adjacency(adj, n_freqs, n_times);
- a full adjacency in a .npz, and a lattice (adjacency=None) over frequency x time.
Checked: tobs.npy bit for bit against T_obs, cluster-labels.npy against MNE's clusters (same
order), p-values and h0.txt exactly, the threshold, the channel names of clusters.json; and
bad inputs refused with one error naming the file. Prints "ok NAME" / "FAIL NAME: why".
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings
from functools import partial

warnings.filterwarnings("ignore")
import numpy as np
from scipy import sparse
import mne
from mne.stats import (combine_adjacency, f_mway_rm, f_threshold_mway_rm,
                       permutation_cluster_1samp_test, permutation_cluster_test,
                       spatio_temporal_cluster_1samp_test, spatio_temporal_cluster_test)

BUILD = os.environ.get("CPERM_BUILD", sys.argv[1] if len(sys.argv) > 1 else "build")
CP = os.path.join(BUILD, "clusterperm")
NEIGH = os.path.join(os.path.dirname(mne.__file__), "channels", "data", "neighbors")
failed = 0


def report(name, cond, why=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def run(args):
    return subprocess.run([CP] + args + ["-q"], capture_output=True, text=True)


def compare(name, out, r, T_obs, clusters, pv, H0, shape, threshold=None, channels=None,
            want_sig=True):
    """Our outputs in `out` against MNE's (T_obs, clusters as masks, p-values, H0)."""
    if r.returncode != 0:
        report(name + ".runs", False, "exit %d: %s" % (r.returncode, r.stderr.strip()))
        return
    tobs = np.load(os.path.join(out, "tobs.npy"))
    T_obs = np.asarray(T_obs).reshape(shape)
    report(name + ".tobs", tobs.shape == T_obs.shape and
           np.array_equal(tobs.view(np.uint64), T_obs.view(np.uint64)),
           "shape %s vs %s, max diff %s" % (tobs.shape, T_obs.shape,
                                            np.abs(tobs - T_obs).max()
                                            if tobs.shape == T_obs.shape else "-"))
    labels = np.load(os.path.join(out, "cluster-labels.npy"))
    res = json.load(open(os.path.join(out, "clusters.json")))
    masks = [np.asarray(c).reshape(shape) for c in clusters]
    same = labels.shape == tuple(shape) and res["n_clusters"] == len(masks) and \
        labels.dtype == np.int32
    for k, m in enumerate(masks):
        same = same and np.array_equal(labels == k + 1, m) and \
            res["clusters"][k]["p"] == pv[k] and res["clusters"][k]["n_points"] == int(m.sum())
    report(name + ".clusters", same, "ours %d clusters, MNE %d" % (res["n_clusters"], len(masks)))
    report(name + ".nontrivial", len(masks) >= 1 and (not want_sig or (np.asarray(pv) < 0.05).any()),
           "%d clusters, p %s" % (len(masks), list(pv)[:5]))
    h0 = np.loadtxt(os.path.join(out, "h0.txt"), ndmin=1)
    report(name + ".h0", h0.shape == np.shape(H0) and np.array_equal(h0, H0),
           "%d vs %d values, %d differ" % (len(h0), len(H0),
                                           -1 if h0.shape != np.shape(H0) else
                                           int((h0 != H0).sum())))
    if threshold is not None:
        report(name + ".threshold", res["parameters"]["threshold"] == threshold,
               "%r vs %r" % (res["parameters"]["threshold"], threshold))
    if channels is not None and masks:
        ch_axis = channels[0]
        want = [sorted(set(np.nonzero(m.any(axis=tuple(a for a in range(m.ndim)
                                                       if a != ch_axis)))[0]))
                for m in masks]
        got = [[channels[1].index(c) for c in cl.get("channels", [])] for cl in res["clusters"]]
        report(name + ".channel_names", [sorted(g) for g in got] == want,
               "first cluster ours %s MNE %s" % (got[:1], want[:1]))
    if os.path.exists(os.path.join(out, "report.html")):
        html = open(os.path.join(out, "report.html")).read()
        report(name + ".report", "<table id=\"clusters\">" in html or not masks, "no table")


def sensor_study(rng, n_sub, n_times, n_ch, effect_ch, t0, t1, amp):
    X = rng.randn(n_sub, n_times, n_ch)
    X[:, t0:t1][:, :, effect_ch] += amp
    return X


def main():
    tmp = tempfile.mkdtemp(prefix="xcheck_arrays.")
    rng = np.random.RandomState(11)
    mat = os.path.join(NEIGH, "easycapM1_neighb.mat")
    adj, ch_names = mne.channels.read_ch_adjacency(mat)
    n_ch = len(ch_names)
    # neighbours of channel 10 carry the effect
    effect = sorted(set([10] + list(adj[10].indices)))

    # --- 1. sensor x time, stacked, one sample
    n_sub, n_times = 14, 18
    X = sensor_study(rng, n_sub, n_times, n_ch, effect, 5, 11, 0.9)
    np.save(os.path.join(tmp, "X.npy"), X)
    thr = 2.5
    T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
        X, adjacency=adj, threshold=thr, n_permutations=200, seed=3, out_type="mask",
        verbose=False)
    out = os.path.join(tmp, "o1")
    r = run(["onesample", "--a", os.path.join(tmp, "X.npy"), "--dims", "time,channel",
             "--adjacency", mat, "--t-threshold", str(thr), "--n-permutations", "200",
             "--seed", "3", "--compat", "mne1.3", "--out", out])
    compare("sensor_time_mne13", out, r, T, cl, pv, H0, (n_times, n_ch), thr,
            channels=(1, list(ch_names)))
    res = json.load(open(os.path.join(out, "clusters.json"))) if r.returncode == 0 else {}
    report("sensor_time_mne13.test_name",
           res.get("test") == "spatio_temporal_cluster_1samp_test", res.get("test"))

    # default: true components = MNE's global path over combine_adjacency(n_times, adj)
    T, cl, pv, H0 = permutation_cluster_1samp_test(
        X, adjacency=combine_adjacency(n_times, adj), threshold=thr, n_permutations=200,
        seed=3, out_type="mask", verbose=False)
    out = os.path.join(tmp, "o2")
    r = run(["onesample", "--a", os.path.join(tmp, "X.npy"), "--dims", "time,channel",
             "--adjacency", mat, "--t-threshold", str(thr), "--n-permutations", "200",
             "--seed", "3", "--out", out, "-j", "2"])
    compare("sensor_time_default", out, r, T, cl, pv, H0, (n_times, n_ch), thr,
            channels=(1, list(ch_names)))

    # step-down and p threshold (MNE's conversion), max_step 2, compat mne1.3
    T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
        X, adjacency=adj, threshold=-__import__("scipy").stats.t.ppf(0.01 / 2, n_sub - 1),
        n_permutations=150, seed=8, out_type="mask", max_step=2, step_down_p=0.05,
        verbose=False)
    out = os.path.join(tmp, "o3")
    r = run(["onesample", "--a", os.path.join(tmp, "X.npy"), "--dims", "time,channel",
             "--adjacency", mat, "--p-threshold", "0.01", "--n-permutations", "150",
             "--seed", "8", "--max-step", "2", "--step-down-p", "0.05", "--compat", "mne1.3",
             "--out", out])
    compare("sensor_time_stepdown_maxstep2", out, r, T, cl, pv, H0, (n_times, n_ch))

    # --- 2. (channel, time) per-subject files, paired, a picked channel subset
    picks = list(range(40, 0, -2))  # 20 channels, reversed order
    names = [ch_names[i] for i in picks]
    adj_p, names_p = mne.channels.read_ch_adjacency(mat, picks=picks)
    A = rng.randn(n_sub, len(picks), n_times)
    B = rng.randn(n_sub, len(picks), n_times)
    eff = [names.index(n) for n in names if ch_names.index(n) in effect] or [0, 1, 2]
    A[:, eff, 6:12] += 1.2
    for s in range(n_sub):
        d = os.path.join(tmp, "subs", "sub%02d" % (s + 1))
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "faces.npy"), A[s])
        np.save(os.path.join(d, "scrambled.npy"), B[s].astype(np.float32))
    with open(os.path.join(tmp, "channels.txt"), "w") as f:
        f.write("# the data's channels\n" + "\n".join(names) + "\n")
    Bf = B.astype(np.float32).astype(np.float64)
    D = np.transpose(A - Bf, (0, 2, 1))  # MNE's (observations, time, space)
    T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
        D, adjacency=adj_p, threshold=2.2, n_permutations=128, seed=5, out_type="mask",
        verbose=False, tail=1)
    out = os.path.join(tmp, "o4")
    r = run(["onesample", "--a", os.path.join(tmp, "subs", "sub*", "faces.npy"),
             "--b", os.path.join(tmp, "subs", "sub*", "scrambled"), "--dims", "channel,time",
             "--adjacency", mat, "--channels", os.path.join(tmp, "channels.txt"),
             "--t-threshold", "2.2", "--tail", "1", "--n-permutations", "128", "--seed", "5",
             "--compat", "mne1.3", "--out", out])
    compare("channel_time_paired_picks", out, r,
            np.asarray(T).T, [np.asarray(c).T for c in cl], pv, H0, (len(picks), n_times),
            2.2, channels=(0, names))
    res = json.load(open(os.path.join(out, "clusters.json"))) if r.returncode == 0 else {}
    report("channel_time_paired_picks.names", res.get("data", {}).get("channels") == names,
           "names %s" % res.get("data", {}).get("channels", [])[:3])

    # --- 3. channel x frequency x time
    n_f, n_t = 6, 10
    tf_adj = combine_adjacency(adj, n_f, n_t)
    Y = rng.randn(12, n_ch, n_f, n_t)
    Y[:, effect, 2:5, 3:8] += 1.0
    np.save(os.path.join(tmp, "tfr.npy"), Y)
    T, cl, pv, H0 = permutation_cluster_1samp_test(
        Y, adjacency=tf_adj, threshold=2.4, n_permutations=100, seed=1, out_type="mask",
        verbose=False)
    out = os.path.join(tmp, "o5")
    r = run(["onesample", "--a", os.path.join(tmp, "tfr.npy"), "--dims", "channel,freq,time",
             "--adjacency", mat, "--t-threshold", "2.4", "--n-permutations", "100", "--seed",
             "1", "--out", out])
    compare("chan_freq_time_1samp", out, r, T, cl, pv, H0, (n_ch, n_f, n_t), 2.4,
            channels=(0, list(ch_names)))
    res = json.load(open(os.path.join(out, "clusters.json"))) if r.returncode == 0 else {}
    report("chan_freq_time_1samp.test_name",
           res.get("test") == "permutation_cluster_1samp_test", res.get("test"))

    # the same with the full adjacency in a .npz (scipy save_npz of MNE's combine_adjacency)
    sparse.save_npz(os.path.join(tmp, "tf_adj.npz"), tf_adj)
    out = os.path.join(tmp, "o6")
    r = run(["onesample", "--a", os.path.join(tmp, "tfr.npy"), "--dims", "channel,freq,time",
             "--adjacency", os.path.join(tmp, "tf_adj.npz"), "--t-threshold", "2.4",
             "--n-permutations", "100", "--seed", "1", "--out", out])
    compare("chan_freq_time_npz_full", out, r, T, cl, pv, H0, (n_ch, n_f, n_t), 2.4)

    # independent F over freq x time x channel (MNE's TFR tutorial order), 3 groups
    tf_adj2 = combine_adjacency(n_f, n_t, adj)
    G = [rng.randn(n, n_f, n_t, n_ch) for n in (7, 6, 8)]
    G[0][:, 1:4, 2:7][:, :, :, effect] += 1.3
    for g, x in enumerate(G):
        np.save(os.path.join(tmp, "g%d.npy" % g), x)
    T, cl, pv, H0 = permutation_cluster_test(
        G, adjacency=tf_adj2, n_permutations=100, seed=2, out_type="mask", verbose=False)
    out = os.path.join(tmp, "o7")
    r = run(["independent"] + sum([["--group", os.path.join(tmp, "g%d.npy" % g)]
                                   for g in range(3)], []) +
            ["--dims", "freq,time,channel", "--adjacency", mat, "--n-permutations", "100",
             "--seed", "2", "--out", out])
    from scipy import stats
    compare("freq_time_chan_f3", out, r, T, cl, pv, H0, (n_f, n_t, n_ch),
            stats.f.ppf(1 - 0.05, 2, 21 - 3), channels=(2, list(ch_names)))

    # repeated-measures F (2 x 2, effect A:B), MNE's scheme, with f_mway_rm as stat_fun
    n_s = 10
    cells = [rng.randn(n_s, n_f, n_t, n_ch) for _ in range(4)]
    cells[0][:, 1:4, 2:7][:, :, :, effect] += 1.5
    for c, x in enumerate(cells):
        np.save(os.path.join(tmp, "c%d.npy" % c), x)

    def stat_fun(*args):
        return f_mway_rm(np.swapaxes(np.array(args), 0, 1), factor_levels=[2, 2],
                         effects="A:B", return_pvals=False, correction=False)[0]
    fthr = f_threshold_mway_rm(n_s, [2, 2], "A:B", 0.05)
    T, cl, pv, H0 = permutation_cluster_test(
        cells, adjacency=tf_adj2, stat_fun=stat_fun, threshold=fthr, tail=1,
        n_permutations=60, seed=4, out_type="mask", verbose=False)
    out = os.path.join(tmp, "o8")
    r = run(["rm-anova", "--factors", "2x2", "--effect", "A:B", "--scheme", "mne"] +
            sum([["--cell", os.path.join(tmp, "c%d.npy" % c)] for c in range(4)], []) +
            ["--dims", "freq,time,channel", "--adjacency", mat, "--n-permutations", "60",
             "--seed", "4", "--out", out])
    compare("freq_time_chan_rm", out, r, T, cl, pv, H0, (n_f, n_t, n_ch), fthr)

    # a lattice (adjacency=None) over frequency x time
    Z = rng.randn(11, 8, 12)
    Z[:, 2:5, 4:9] += 1.1
    np.save(os.path.join(tmp, "ft.npy"), Z)
    T, cl, pv, H0 = permutation_cluster_1samp_test(
        Z, threshold=2.0, n_permutations=100, seed=6, out_type="mask", verbose=False)
    out = os.path.join(tmp, "o9")
    r = run(["onesample", "--a", os.path.join(tmp, "ft.npy"), "--dims", "freq,time",
             "--t-threshold", "2.0", "--n-permutations", "100", "--seed", "6", "--out", out])
    compare("freq_time_lattice", out, r, T, cl, pv, H0, (8, 12), 2.0)

    # --- TFCE on arrays: MNE 1.3's stepped TFCE (--tfce-formula mne1.3), per-point p-values
    def tfce_compare(name, out, r, T, pv, H0, shape):
        if r.returncode != 0:
            report(name + ".runs", False, "exit %d: %s" % (r.returncode, r.stderr.strip()))
            return
        sc = np.load(os.path.join(out, "tfce.npy"))
        p = np.load(os.path.join(out, "tfce-p.npy"))
        h0 = np.loadtxt(os.path.join(out, "h0.txt"), ndmin=1)
        T = np.asarray(T).reshape(shape)
        pv = np.asarray(pv).reshape(shape)
        report(name + ".scores", sc.shape == T.shape and np.array_equal(sc, T),
               "max diff %s" % (np.abs(sc - T).max() if sc.shape == T.shape else sc.shape))
        report(name + ".pvalues", p.shape == pv.shape and np.array_equal(p, pv),
               "%s differ" % (int((p != pv).sum()) if p.shape == pv.shape else p.shape))
        report(name + ".h0", h0.shape == np.shape(H0) and np.array_equal(h0, H0),
               "%d vs %d" % (len(h0), len(H0)))
        report(name + ".nontrivial", (pv < 0.05).any(), "min p %g" % pv.min())
        res = json.load(open(os.path.join(out, "tfce.json")))
        report(name + ".json", res["n_significant"] == int((pv < 0.05).sum()),
               "%d vs %d" % (res["n_significant"], int((pv < 0.05).sum())))

    T, cl, pv, H0 = permutation_cluster_1samp_test(
        Y, adjacency=tf_adj, threshold=dict(start=0.5, step=0.5), n_permutations=50, seed=2,
        verbose=False)
    out = os.path.join(tmp, "o10")
    r = run(["onesample", "--a", os.path.join(tmp, "tfr.npy"), "--dims", "channel,freq,time",
             "--adjacency", mat, "--tfce-steps", "0.5,0.5", "--tfce-formula", "mne1.3",
             "--n-permutations", "50", "--seed", "2", "--out", out])
    tfce_compare("chan_freq_time_tfce_mne13", out, r, T, pv, H0, (n_ch, n_f, n_t))
    T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
        X, adjacency=adj, threshold=dict(start=0, step=0.4), n_permutations=60, seed=9,
        verbose=False)
    out = os.path.join(tmp, "o11")
    r = run(["onesample", "--a", os.path.join(tmp, "X.npy"), "--dims", "time,channel",
             "--adjacency", mat, "--tfce-steps", "0,0.4", "--tfce-formula", "mne1.3",
             "--compat", "mne1.3", "--n-permutations", "60", "--seed", "9", "--out", out])
    tfce_compare("sensor_time_tfce_mne13", out, r, T, pv, H0, (n_times, n_ch))

    # --- channel positions (.sfp): find_ch_adjacency's Delaunay graph on the same file
    mont = mne.channels.make_standard_montage("biosemi64")
    pos = mont.get_positions()["ch_pos"]
    sfp = os.path.join(tmp, "biosemi64.sfp")
    with open(sfp, "w") as f:
        for name, xyz in pos.items():
            f.write("%s\t%.6f\t%.6f\t%.6f\n" % ((name,) + tuple(xyz * 100)))
    custom = mne.channels.read_custom_montage(sfp)
    sub = custom.ch_names[::2]  # 32 channels: MNE triangulates the info's channels only
    info = mne.create_info(sub, 1000.0, "eeg")
    info.set_montage(custom)
    adj_pos, names_pos = mne.channels.find_ch_adjacency(info, "eeg")
    with open(os.path.join(tmp, "sub_channels.txt"), "w") as f:
        f.write("\n".join(sub) + "\n")
    E = rng.randn(13, 15, len(sub))
    centre = 5
    E[:, 4:10][:, :, sorted(set([centre] + list(adj_pos[centre].indices)))] += 1.0
    np.save(os.path.join(tmp, "eeg.npy"), E)
    T, cl, pv, H0 = spatio_temporal_cluster_1samp_test(
        E, adjacency=adj_pos, threshold=2.3, n_permutations=100, seed=12, out_type="mask",
        verbose=False)
    out = os.path.join(tmp, "o12")
    r = run(["onesample", "--a", os.path.join(tmp, "eeg.npy"), "--dims", "time,channel",
             "--adjacency", sfp, "--channels", os.path.join(tmp, "sub_channels.txt"),
             "--t-threshold", "2.3", "--n-permutations", "100", "--seed", "12", "--compat",
             "mne1.3", "--out", out])
    compare("eeg_positions_sfp", out, r, T, cl, pv, H0, (15, len(sub)), 2.3,
            channels=(1, list(names_pos)))

    # --- 4. bad inputs: one clear error naming the file, nothing written
    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    Xn = X.copy()
    Xn[3, 7, 12] = np.nan
    np.save(os.path.join(bad, "nan.npy"), Xn)
    np.save(os.path.join(bad, "flat.npy"), X[:, :, :10])
    np.save(os.path.join(bad, "4d.npy"), X[:, :, :, None, None])
    with open(os.path.join(bad, "junk.npz"), "wb") as f:
        f.write(b"PK junk")
    cases = [
        ("nan", ["--a", os.path.join(bad, "nan.npy"), "--dims", "time,channel", "--adjacency",
                 mat], ["nan.npy", "observation 3", "time 7", "channel 12", "finite"]),
        ("adjacency_size", ["--a", os.path.join(bad, "flat.npy"), "--dims", "time,channel",
                            "--adjacency", mat], ["easycapM1_neighb.mat", "vertices",
                                                  "no dimension"]),
        ("ndim", ["--a", os.path.join(bad, "4d.npy"), "--dims", "time,channel"],
         ["4d.npy", "dimensions"]),
        ("npz_junk", ["--a", os.path.join(tmp, "X.npy"), "--dims", "time,channel",
                      "--adjacency", os.path.join(bad, "junk.npz")], ["junk.npz", "zip"]),
        ("dims_twice", ["--a", os.path.join(tmp, "X.npy"), "--dims", "time,time"],
         ["twice"]),
        ("src_with_dims", ["--a", os.path.join(tmp, "X.npy"), "--dims", "time,channel",
                           "--src", "x-src.fif"], ["--src", "--adjacency"]),
        ("adjacency_without_dims", ["--a", os.path.join(tmp, "X.npy"), "--adjacency", mat,
                                    "--src", "x-src.fif"], ["--dims"]),
        ("max_step_global", ["--a", os.path.join(tmp, "tfr.npy"), "--dims",
                             "channel,freq,time", "--adjacency", mat, "--max-step", "2"],
         ["--max-step"]),
        ("unknown_channel", ["--a", os.path.join(tmp, "X.npy"), "--dims", "time,channel",
                             "--adjacency", mat, "--channels", os.path.join(bad, "ch.txt")],
         ["'Nope'", "ch.txt"]),
        ("no_files", ["--a", os.path.join(bad, "none*.npy"), "--dims", "time"], ["none*"]),
        ("shape_mismatch", ["--a", os.path.join(tmp, "subs", "sub0*", "faces.npy"), "--b",
                            os.path.join(bad, "flat.npy"), "--dims", "channel,time"],
         ["flat.npy", "shape"]),
    ]
    with open(os.path.join(bad, "ch.txt"), "w") as f:
        f.write(ch_names[0] + "\nNope\n")
    for name, args, words in cases:
        out = os.path.join(bad, "out-" + name)
        r = run(["onesample"] + args + ["--out", out])
        err = r.stderr.strip()
        report("bad." + name, r.returncode != 0 and err.count("\n") == 0 and
               all(w in err for w in words) and not os.path.exists(out),
               "exit %d, stderr %r (want %s)" % (r.returncode, err, words))
    print("%d failed" % failed if failed else "all passed")
    sys.exit(1 if failed else 0)


main()
