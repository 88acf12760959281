#!/bin/sh
# cli_volume.sh - a volume study through the CLI against MNE 1.3: tests/volstudy.py has MNE
# make a volume source space (15 mm grid in a 60 mm sphere) from a synthetic T1.mgz written
# with nibabel (as tests/xcheck_volsrc.py does) and save a small study with
# VolSourceEstimate.save (-vl.stc; 8 subjects x 2 conditions, 12 times, an effect in a ball
# of voxels). `clusterperm onesample` (default mode, and --compat mne1.3) and `clusterperm
# independent` run on those files; MNE 1.3's spatio_temporal_cluster_1samp_test /
# spatio_temporal_cluster_test run on the same data with adjacency from
# spatial_src_adjacency(src) (combined with time for the default mode, spatial only for
# --compat mne1.3) and the same seed. Asserted: tobs-vl.stc and summary-vl.stc byte-identical
# to MNE's writer, clusters (voxels, time span, size, statistic, peak), p-values and every H0
# value identical, the report saying the space is a volume, the glass brain (summary-vol.png)
# coloured exactly where MNE's summary voxels project in each view, and `plot` of the
# summary-vl.stc with the report's options the same PNG; rm-anova's F of two cells equal
# to the paired t squared. Bad input: vertex mismatch, surface estimates with a volume space
# and the other way round, kinds mixed across subjects, --tfce. Prints "ok NAME" /
# "FAIL NAME: why".
# Usage: sh tests/cli_volume.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-vol.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
PY=/usr/bin/python3
export MNE_TQDM=off

if [ ! -x "$CP" ]; then
    fail cli_binary "$CP not built"
    exit 1
fi
. "$(dirname "$0")/clilib.sh" # expect_fail NAME STATUS MESSAGE COMMAND ARGS...

# --- the study, written by MNE
if ! $PY "$(dirname "$0")/volstudy.py" "$T"; then
    fail vol_setup "MNE could not write the volume study"
    exit 1
fi
ok vol_setup
STUDY="$T/study"
SRC="$T/vol-src.fif"

# variants of the study with one subject replaced (bad inputs)
variant() { # NAME SOURCE_DIR: $T/NAME = study with sub03 replaced by SOURCE_DIR/sub03
    rm -rf "$T/$1"
    cp -r "$STUDY" "$T/$1"
    rm -f "$T/$1/sub03/"faces*
    cp "$2/sub03/"* "$T/$1/sub03/"
}

# --- the MNE comparison: $1 case name, $2 output dir, $3 mode (one|indep), $4 compat, $5 tail
compare() {
    $PY - "$T" "$@" <<'PY'
import glob, json, os, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
import mne
from scipy import stats
from mne.stats import (spatio_temporal_cluster_1samp_test, spatio_temporal_cluster_test,
                       summarize_clusters_stc)
T, name, out, mode, compat, tail = sys.argv[1:7]
tail = int(tail)
failed = 0
def report(what, cond, why=""):
    global failed
    print(("ok %s.%s" % (name, what)) if cond else ("FAIL %s.%s: %s" % (name, what, why)))
    failed += not cond
def read(d, cond):
    stcs = [mne.read_source_estimate(p) for p in
            sorted(glob.glob(os.path.join(T, d, "sub*", cond + "-vl.stc")))]
    return stcs, np.array([s.data.T for s in stcs], float)
src = mne.read_source_spaces(os.path.join(T, "vol-src.fif"), verbose=False)
adjacency = mne.spatial_src_adjacency(src, verbose=False)
faces, Xf = read("study", "faces")
vertno = faces[0].vertices[0]
tmin, tstep, n_times = faces[0].tmin, faces[0].tstep, Xf.shape[1]
adj = adjacency if compat == "mne1.3" else mne.stats.combine_adjacency(n_times, adjacency)
with mne.utils.catch_logging() as log:
    if mode == "one":
        _, Xs = read("study", "scrambled")
        X = Xf - Xs
        threshold = -stats.distributions.t.ppf(0.01 / 2., len(X) - 1)
        clu = spatio_temporal_cluster_1samp_test(
            X, adjacency=adj, threshold=threshold, n_permutations=200, seed=3, tail=tail,
            buffer_size=None, n_jobs=1, verbose=True)
    else:
        _, X2 = read("study2", "faces")
        threshold = stats.f.ppf(1 - 0.01, 1, len(Xf) + len(X2) - 2)
        clu = spatio_temporal_cluster_test(
            [Xf, X2], adjacency=adj, threshold=threshold, n_permutations=200, seed=3,
            tail=tail, buffer_size=None, n_jobs=1, verbose=True)
T_obs, clusters, pv, H0 = clu
nv = T_obs.shape[1]
res = json.load(open(os.path.join(out, "clusters.json")))
report("n_clusters", res["n_clusters"] == len(clusters) == len(res["clusters"]) > 0,
       "ours %d, MNE %d" % (res["n_clusters"], len(clusters)))
report("significant", (pv < 0.05).any(), "no cluster with p < 0.05: p %r" % list(pv))
bad = []
shape = src[0]["shape"]
for k, ((t_inds, v_inds), c) in enumerate(zip(clusters, res["clusters"])):
    flat = t_inds * nv + v_inds
    a = np.abs(T_obs.ravel()[flat])
    pt, pvx = divmod(int(flat[a == a.max()].min()), nv)
    vox = int(vertno[pvx])
    stat = float(np.sum(T_obs[t_inds, v_inds]))
    checks = [c["index"] == k, c["n_points"] == len(t_inds),
              c["vertices"] == {"vol": sorted(set(int(vertno[v]) for v in v_inds))},
              abs(c["time_ms"][0] - round((tmin + tstep * t_inds.min()) * 1e3, 6)) < 1e-9,
              abs(c["time_ms"][1] - round((tmin + tstep * t_inds.max()) * 1e3, 6)) < 1e-9,
              abs(c["statistic"] - stat) <= 1e-9 * max(1.0, abs(stat)), c["p"] == pv[k],
              c["peak"]["hemi"] == "vol", c["peak"]["vertex"] == vox,
              c["peak"]["t"] == T_obs[pt, pvx],
              c["peak"]["voxel"] == [vox % shape[0], vox // shape[0] % shape[1],
                                     vox // (shape[0] * shape[1])],
              np.allclose(c["peak"]["pos_mm"], src[0]["rr"][vox] * 1e3, atol=1e-3)]
    if not all(checks):
        bad.append((k, checks))
report("clusters", not bad and clusters, "clusters differ (index, checks): %r" % bad[:3])
report("pvalues", [c["p"] for c in res["clusters"]] == list(pv), "p-values differ")
h0 = np.loadtxt(os.path.join(out, "h0.txt"), ndmin=1)
report("h0", h0.shape == H0.shape and np.array_equal(h0, H0),
       "%d vs %d values" % (len(h0), len(H0)))
report("threshold", abs(res["parameters"]["threshold"] - threshold) <= 1e-12 * threshold,
       "%r vs %r" % (res["parameters"]["threshold"], threshold))
report("data", res["data"]["source_space"] == "volume" and
       res["data"]["n_vertices_vol"] == len(vertno) and
       res["data"]["grid_shape"] == [int(x) for x in shape], repr(res["data"]))
def same_bytes(ours, stc, tag):
    mine = os.path.join(out, ours)
    theirs = os.path.join(out, "..", "%s-%s-vl.stc" % (name, tag))
    stc.save(theirs, overwrite=True, verbose=False)
    report(tag + "_bytes", os.path.exists(mine) and
           open(mine, "rb").read() == open(theirs, "rb").read(), "%s differs from MNE's" % ours)
same_bytes("tobs-vl.stc", mne.VolSourceEstimate(T_obs.T, [vertno], tmin, tstep), "tobs")
if (pv < 0.05).any():
    same_bytes("summary-vl.stc", summarize_clusters_stc(clu, tstep=tstep * 1000,
               vertices=[vertno], subject="fsaverage"), "summary")
report("no_surface_files", not glob.glob(os.path.join(out, "*-[lr]h.stc")) and
       not os.path.exists(os.path.join(out, "summary.png")),
       "surface outputs in %s: %r" % (out, os.listdir(out)))
page = open(os.path.join(out, "report.html")).read()
report("report", 'id="summary-volume"' in page and "volume source space" in page and
       "<th>voxels</th>" in page and 'id="h0"' in page and
       ('id="summary-vol"' in page) == bool((pv < 0.05).any()), "report.html lacks the volume note")
if (pv < 0.05).any():
    # the glass brain: in each third of the figure (sagittal, coronal, axial) the coloured
    # cells (hot: red well above blue) lie where the summary's voxels project, against the
    # grey silhouette of the grid in use: their mean position, from MNE's summary, maps to
    # the coloured pixels' mean position through the silhouette's extent
    import matplotlib.image as mpimg
    img = (mpimg.imread(os.path.join(out, "summary-vol.png"))[..., :3] * 255).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    hot = (r > 180) & (r - b > 60)
    grey = (abs(r - g) < 4) & (abs(g - b) < 4) & (r > 200) & (r < 240)
    summ = summarize_clusters_stc(clu, tstep=tstep * 1000, vertices=[vertno])
    col0 = summ.data[:, 0]
    rr_in = src[0]["rr"][vertno]
    w3 = img.shape[1] // 3
    ok_views, why = True, []
    for k, (ha, va) in enumerate([(1, 2), (0, 2), (0, 1)]):
        part = slice(k * w3, (k + 1) * w3)
        sil = hot[:, part] | grey[:, part]
        sil[int(img.shape[0] * 0.8):] = False  # not the colour bar's band
        ys, xs = np.nonzero(sil)
        hy, hx = np.nonzero(hot[:, part] & sil)
        if not len(hx) or not len(xs):
            ok_views, why = False, why + ["view %d: no coloured or no grey pixel" % k]
            continue
        # the silhouette's pixel box is the in-use grid's extent (one cell beyond the centres)
        lo, hi = rr_in.min(0), rr_in.max(0)
        sp = 0.015
        fx = lambda p: xs.min() + (p - lo[ha] + sp / 2) / (hi[ha] - lo[ha] + sp) * (xs.max() - xs.min())
        fy = lambda p: ys.max() - (p - lo[va] + sp / 2) / (hi[va] - lo[va] + sp) * (ys.max() - ys.min())
        sel = col0 > 0.1  # drawn: above fmin of the transparent table
        want_x, want_y = fx(rr_in[sel, ha]), fy(rr_in[sel, va])
        cell = (xs.max() - xs.min()) / ((hi[ha] - lo[ha]) / sp + 1)
        if not (want_x.min() - cell < hx.min() and hx.max() < want_x.max() + cell and
                want_y.min() - cell < hy.min() and hy.max() < want_y.max() + cell):
            ok_views = False
            why.append("view %d: coloured x %d..%d y %d..%d, voxels at x %.0f..%.0f y %.0f..%.0f"
                       % (k, hx.min(), hx.max(), hy.min(), hy.max(), want_x.min(),
                          want_x.max(), want_y.min(), want_y.max()))
    report("glass_brain", ok_views, "; ".join(why))
lines = [l for l in log.getvalue().splitlines() if l.startswith(("stat_fun", "Running",
                                                                   "Found"))]
ours = [l for l in open(os.path.join(out, "..", name + ".log")).read().splitlines()
        if l.startswith(("stat_fun", "Running", "Found")) and
        not l.startswith("Found cluster with")]
report("log_lines", lines == ours, "MNE %r, ours %r" % (lines, ours))
sys.exit(1 if failed else 0)
PY
}

run_case() { # NAME MODE COMPAT TAIL ARGS...
    name=$1 mode=$2 compat=$3 tail=$4
    shift 4
    out="$T/runs/$name"
    mkdir -p "$T/runs"
    if "$CP" "$@" --out "$out" --n-permutations 200 --seed 3 --tail "$tail" \
        --compat "$compat" >"$T/runs/$name.log" 2>"$T/runs/$name.err"; then
        ok "$name.cli_status"
        compare "$name" "$out" "$mode" "$compat" "$tail" || failed=1
    else
        fail "$name.cli_status" "$(cat "$T/runs/$name.err")"
    fi
}

run_case vol_onesample one none 0 onesample --a "$STUDY/sub*/faces" --b "$STUDY/sub*/scrambled" \
    --src "$SRC" --p-threshold 0.01
run_case vol_onesample_mne13 one mne1.3 0 onesample --a "$STUDY/sub*/faces" \
    --b "$STUDY/sub*/scrambled" --src "$SRC" --p-threshold 0.01
run_case vol_independent indep none 1 independent --group "$STUDY/sub*/faces" \
    --group "$T/study2/sub*/faces" --src "$SRC" --p-threshold 0.01
# rm-anova on the same volume: two cells (faces, scrambled), effect A; its F map is the
# paired t map squared (f_mway_rm with 2 levels), read back from both runs' tobs-vl.stc
if "$CP" rm-anova --factors 2 --effect A --cell "$STUDY/sub*/faces" --cell "$STUDY/sub*/scrambled" \
    --src "$SRC" --n-permutations 64 --seed 3 --out "$T/runs/rm" -q 2>"$T/rm.err" &&
    $PY - "$T/runs/rm" "$T/runs/vol_onesample" <<'PY'; then
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
import mne
f = mne.read_source_estimate(sys.argv[1] + "/tobs-vl.stc")
t = mne.read_source_estimate(sys.argv[2] + "/tobs-vl.stc")
res = json.load(open(sys.argv[1] + "/clusters.json"))
assert isinstance(f, mne.VolSourceEstimate), type(f)
assert np.array_equal(f.vertices[0], t.vertices[0])
assert np.allclose(f.data, t.data.astype(float) ** 2, rtol=1e-5), np.abs(f.data - t.data ** 2).max()
assert res["data"]["source_space"] == "volume" and res["n_h0"] == 64, res["data"]
PY
    ok vol_rmanova_f_is_t_squared
else
    fail vol_rmanova_f_is_t_squared "$(cat "$T/rm.err")"
fi
# the -vl.stc files given by name in a list file: the same subjects and results
for f in "$STUDY"/sub*/faces-vl.stc; do echo "$f"; done >"$T/a.txt"
for f in "$STUDY"/sub*/scrambled-vl.stc; do echo "$f"; done >"$T/b.txt"
if "$CP" onesample --a "@$T/a.txt" --b "@$T/b.txt" --src "$SRC" --p-threshold 0.01 \
    --n-permutations 200 --seed 3 --out "$T/runs/list" -q 2>"$T/list.err" &&
    cmp -s "$T/runs/list/h0.txt" "$T/runs/vol_onesample/h0.txt" &&
    cmp -s "$T/runs/list/tobs-vl.stc" "$T/runs/vol_onesample/tobs-vl.stc"; then
    ok vol_listfile_files
else
    fail vol_listfile_files "list-file run differs or failed: $(cat "$T/list.err")"
fi
# a surface run's files in the same --out are replaced, not left beside the volume's
"$CP" simulate "$T/surf_study" --grade 1 --subjects 3 --n-times 12 --seed 1 >/dev/null 2>&1 ||
    fail vol_simulate "simulate failed"
SURF_SRC="$T/surf_study/fsaverage-ico1-src.fif"
SF=mne_dSPM_inverse_morph-faces_eq
if "$CP" onesample --a "$T/surf_study/sub*/$SF" --src "$SURF_SRC" --t-threshold 1 \
    --n-permutations 8 --out "$T/runs/swap" -q 2>/dev/null &&
    "$CP" onesample --a "$STUDY/sub*/faces" --src "$SRC" --t-threshold 3 \
        --n-permutations 8 --out "$T/runs/swap" -q 2>"$T/swap.err" &&
    [ -f "$T/runs/swap/tobs-vl.stc" ] && [ ! -e "$T/runs/swap/tobs-lh.stc" ] &&
    [ ! -e "$T/runs/swap/summary.png" ]; then
    ok vol_replaces_surface_outputs
else
    fail vol_replaces_surface_outputs "$(ls "$T/runs/swap") $(cat "$T/swap.err")"
fi

# `plot` of a -vl.stc: the glass brain; with the report's options it is summary-vol.png, byte
# for byte (both from the float32 values of summary-vl.stc)
V1="$T/runs/vol_onesample"
if "$CP" plot "$V1/summary-vl.stc" --src "$SRC" --clim value:0,0.1,40 --background white \
    --time-label 'Duration significant (ms)' -o "$T/plot-summary.png" 2>"$T/plot.err" &&
    cmp -s "$T/plot-summary.png" "$V1/summary-vol.png"; then
    ok vol_plot_is_report_figure
else
    fail vol_plot_is_report_figure "$(cat "$T/plot.err")"
fi
if "$CP" plot "$V1/tobs-vl.stc" --src "$SRC" --time-index 5 -o "$T/plot-tobs.svg" 2>"$T/plot.err" &&
    head -c 200 "$T/plot-tobs.svg" | grep -q '<svg'; then
    ok vol_plot_svg
else
    fail vol_plot_svg "$(cat "$T/plot.err")"
fi
expect_fail vol_plot_needs_src 1 "is a volume estimate: give --src, its volume source space" \
    plot "$V1/tobs-vl.stc" --subjects-dir "$T" -o "$T/x.png"
expect_fail vol_plot_surface_src 1 "is a volume estimate, but --src $T/surf_study/fsaverage-ico1-src.fif holds no volume" \
    plot "$V1/tobs-vl.stc" --src "$T/surf_study/fsaverage-ico1-src.fif" -o "$T/x.png"
expect_fail vol_plot_time_index 1 "--time-index 12: $V1/tobs-vl.stc has 12 time points" \
    plot "$V1/tobs-vl.stc" --src "$SRC" --time-index 12 -o "$T/x.png"

# --- bad input
variant bad_vert_study "$T/bad_vert"
expect_fail vol_vertex_mismatch 1 "$T/bad_vert_study/sub03/faces-vl.stc (subject 'sub03'): its vertices are not the volume source space's in use ($SRC): vertex #0 is" \
    onesample --a "$T/bad_vert_study/sub*/faces" --src "$SRC"
variant mixed_study "$T/surf"
expect_fail vol_mixed_kinds 1 "$T/mixed_study/sub03/faces-lh.stc (subject 'sub03'): a surface estimate, but --src $SRC is a volume source space" \
    onesample --a "$T/mixed_study/sub*/faces" --src "$SRC"
expect_fail vol_surface_estimates 1 "a surface estimate, but --src $SRC is a volume source space" \
    onesample --a "$T/surf_study/sub*/$SF" --src "$SRC"
expect_fail vol_estimates_surface_src 1 "$STUDY/sub01/faces-vl.stc (subject 'sub01'): a volume estimate, but --src $SURF_SRC is a surface source space" \
    onesample --a "$STUDY/sub*/faces" --src "$SURF_SRC"
expect_fail vol_independent_mixed 1 "(subject '2/sub03'): a surface estimate" \
    independent --group "$STUDY/sub*/faces" --group "$T/mixed_study/sub*/faces" --src "$SRC"
expect_fail vol_tfce 1 "--tfce: $SRC is a volume source space" \
    onesample --a "$STUDY/sub*/faces" --src "$SRC" --tfce
# -vol.stc is MNE's other volume name: one subject renamed reads the same
variant vol_name "$STUDY"
mv "$T/vol_name/sub05/faces-vl.stc" "$T/vol_name/sub05/faces-vol.stc"
if "$CP" onesample --a "$T/vol_name/sub*/faces" --b "$STUDY/sub*/scrambled" --src "$SRC" \
    --p-threshold 0.01 --n-permutations 200 --seed 3 --out "$T/runs/volname" -q \
    2>"$T/volname.err" && cmp -s "$T/runs/volname/h0.txt" "$T/runs/vol_onesample/h0.txt"; then
    ok vol_vol_stc_name
else
    fail vol_vol_stc_name "$(cat "$T/volname.err")"
fi

exit $failed
