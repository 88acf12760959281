#!/bin/sh
# cli_mixed.sh - a mixed source space (lh, rh and one volume) through the CLI against MNE 1.3:
# tests/mixedstudy.py has MNE add a volume (15 mm grid in a 60 mm sphere of a synthetic
# T1.mgz) to `clusterperm simulate --grade 1`'s ico-1 surfaces and write the mixed -src.fif,
# and writes mixed -stc.h5 estimates (h5io's layout, src_type 'mixed'; 8 subjects x 2
# conditions, 12 times, effects on lh and in a ball of voxels). `clusterperm onesample`
# (default mode and --compat mne1.3), `independent` and `rm-anova` run on them; MNE 1.3's
# spatio_temporal_cluster_1samp_test (spatio_temporal_cluster_test) runs on the same data (read from the files with h5py)
# with the adjacency MNE 1.3 cannot build itself for a mixed space (spatial_src_adjacency
# fails there): the block diagonal of spatial_src_adjacency of the surfaces and of the volume.
# Asserted: tobs and summary written as MNE's MixedSourceEstimate.surface().save() (lh/rh) and
# .volume().save() (-vl.stc) write them, byte for byte; clusters (lh, rh and vol vertices,
# time span, size, statistic, peak), p-values and every H0 value identical; the figures (the
# surface summary.png and the glass brain summary-vol.png) and the report. Bad input: a
# volume estimate, a mixed one with other voxels, a mixed space of two volumes, --tfce. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_mixed.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-mixed.XXXXXX") || exit 1
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

# --- the study, written by MNE (and h5py in h5io's layout)
if ! "$CP" simulate "$T/surf" --grade 1 --subjects 2 --n-times 10 --seed 1 >/dev/null ||
    ! $PY "$(dirname "$0")/mixedstudy.py" "$T" "$T/surf/fsaverage-ico1-src.fif"; then
    fail mixed_setup "the mixed study could not be written"
    exit 1
fi
ok mixed_setup
STUDY="$T/study"
SRC="$T/mixed-src.fif"

# --- the MNE comparison: $1 case name, $2 output dir, $3 compat, $4 one|indep
compare() {
    $PY - "$T" "$@" <<'PY'
import glob, json, os, sys, warnings
warnings.filterwarnings("ignore")
import h5py
import numpy as np
import mne
from scipy import sparse, stats
from mne.stats import (spatio_temporal_cluster_1samp_test, spatio_temporal_cluster_test,
                       summarize_clusters_stc)
T, name, out, compat, mode = sys.argv[1:6]
failed = 0
def report(what, cond, why=""):
    global failed
    print(("ok %s.%s" % (name, what)) if cond else ("FAIL %s.%s: %s" % (name, what, why)))
    failed += not cond
def read(cond):
    X = []
    for p in sorted(glob.glob(os.path.join(T, "study", "sub*", cond + "-stc.h5"))):
        with h5py.File(p, "r") as f:
            g = f["mnepython"]
            assert bytes(g["key_src_type"][()]).decode() == "mixed"
            X.append(g["key_data"][()].T)
            tmin, tstep = float(g["key_tmin"][0]), float(g["key_tstep"][0])
    return np.array(X, float), tmin, tstep
src = mne.read_source_spaces(os.path.join(T, "mixed-src.fif"), verbose=False)
assert src.kind == "mixed"
vertices = [s["vertno"] for s in src]
nvb = [len(v) for v in vertices]
# MNE 1.3's spatial_src_adjacency fails on a mixed space; its comment's block diagonal
adjacency = sparse.block_diag([mne.spatial_src_adjacency(src[:2], verbose=False),
                               mne.spatial_src_adjacency(src[2:], verbose=False)]).tocoo()
Xf, tmin, tstep = read("faces")
Xs, _, _ = read("scrambled")
X = Xf - Xs
n_times = X.shape[1]
adj = adjacency if compat == "mne1.3" else mne.stats.combine_adjacency(n_times, adjacency)
with mne.utils.catch_logging() as log:
    if mode == "one":
        threshold = -stats.distributions.t.ppf(0.01 / 2., len(X) - 1)
        clu = spatio_temporal_cluster_1samp_test(
            X, adjacency=adj, threshold=threshold, n_permutations=200, seed=3, tail=0,
            buffer_size=None, n_jobs=1, verbose=True)
    else:  # faces and scrambled as two independent groups, the F
        threshold = stats.f.ppf(1 - 0.01, 1, len(Xf) + len(Xs) - 2)
        clu = spatio_temporal_cluster_test(
            [Xf, Xs], adjacency=adj, threshold=threshold, n_permutations=200, seed=3, tail=1,
            buffer_size=None, n_jobs=1, verbose=True)
T_obs, clusters, pv, H0 = clu
nv = T_obs.shape[1]
res = json.load(open(os.path.join(out, "clusters.json")))
report("n_clusters", res["n_clusters"] == len(clusters) == len(res["clusters"]) > 0,
       "ours %d, MNE %d" % (res["n_clusters"], len(clusters)))
sig = pv < 0.05
blocks = np.repeat(np.arange(3), nvb)  # the block of each stacked vertex
rows = np.concatenate([np.arange(n) for n in nvb])
keys = ["lh", "rh", "vol"]
report("significant_in_both_parts", sig.any() and
       any((blocks[c[1]] == 2).any() for c, s in zip(clusters, sig) if s) and
       any((blocks[c[1]] == 0).any() for c, s in zip(clusters, sig) if s),
       "no significant cluster in the surface and the volume: p %r" % list(pv))
bad = []
shape = src[2]["shape"]
for k, ((t_inds, v_inds), c) in enumerate(zip(clusters, res["clusters"])):
    flat = t_inds * nv + v_inds
    a = np.abs(T_obs.ravel()[flat])
    pt, pvx = divmod(int(flat[a == a.max()].min()), nv)
    pb = int(blocks[pvx])
    vertex = int(vertices[pb][rows[pvx]])
    want_verts = {keys[b]: sorted(set(int(vertices[b][rows[v]]) for v in v_inds
                                      if blocks[v] == b)) for b in range(3)}
    stat = float(np.sum(T_obs[t_inds, v_inds]))
    checks = [c["index"] == k, c["n_points"] == len(t_inds), c["vertices"] == want_verts,
              abs(c["time_ms"][0] - round((tmin + tstep * t_inds.min()) * 1e3, 6)) < 1e-9,
              abs(c["time_ms"][1] - round((tmin + tstep * t_inds.max()) * 1e3, 6)) < 1e-9,
              abs(c["statistic"] - stat) <= 1e-9 * max(1.0, abs(stat)), c["p"] == pv[k],
              c["peak"]["hemi"] == keys[pb], c["peak"]["vertex"] == vertex,
              c["peak"]["t"] == T_obs[pt, pvx]]
    if pb == 2:
        checks += [c["peak"]["voxel"] == [vertex % shape[0], vertex // shape[0] % shape[1],
                                          vertex // (shape[0] * shape[1])],
                   np.allclose(c["peak"]["pos_mm"], src[2]["rr"][vertex] * 1e3, atol=1e-3)]
    else:
        checks.append("voxel" not in c["peak"])
    if not all(checks):
        bad.append((k, checks))
report("clusters", not bad, "clusters differ (index, checks): %r" % bad[:3])
report("pvalues", [c["p"] for c in res["clusters"]] == list(pv), "p-values differ")
h0 = np.loadtxt(os.path.join(out, "h0.txt"), ndmin=1)
report("h0", h0.shape == H0.shape and np.array_equal(h0, H0),
       "%d vs %d values" % (len(h0), len(H0)))
report("data", res["data"]["source_space"] == "mixed" and
       [res["data"]["n_vertices_" + k] for k in keys] == nvb and
       res["data"]["grid_shape"] == [int(x) for x in shape], repr(res["data"]))
def same_bytes(stc, tag):
    # MNE's writers for a mixed estimate's parts: .surface() as lh/rh, .volume() as -vl.stc
    theirs = os.path.join(out, "..", "%s-%s" % (name, tag))
    stc.surface().save(theirs, overwrite=True, verbose=False)
    stc.volume().save(theirs, overwrite=True, verbose=False)
    for suffix in ("-lh.stc", "-rh.stc", "-vl.stc"):
        mine = os.path.join(out, tag + suffix)
        report(tag + suffix.replace(".stc", "").replace("-", "_") + "_bytes",
               os.path.exists(mine) and open(mine, "rb").read() ==
               open(theirs + suffix, "rb").read(), "%s differs from MNE's" % mine)
same_bytes(mne.MixedSourceEstimate(T_obs.T, vertices, tmin, tstep), "tobs")
summ = summarize_clusters_stc(clu, tstep=tstep * 1000, vertices=src, subject="fsaverage")
report("summary_is_mixed", isinstance(summ, mne.MixedSourceEstimate), type(summ).__name__)
same_bytes(summ, "summary")
report("no_h5_outputs", not glob.glob(os.path.join(out, "*.h5")), repr(os.listdir(out)))
page = open(os.path.join(out, "report.html")).read()
report("report", 'id="summary"' in page and 'id="summary-vol"' in page and
       "mixed source space" in page and "vertices lh / rh / voxels" in page,
       "report.html lacks the mixed figures or table")
# the glass brain shows the volume part: as many coloured cells' worth of pixels as the
# summary has voxels drawn is not knowable without the layout; that it is coloured where the
# volume's clusters are and the surface figure exists is
import matplotlib.image as mpimg
img = (mpimg.imread(os.path.join(out, "summary-vol.png"))[..., :3] * 255).astype(int)
hot = (img[..., 0] > 180) & (img[..., 0] - img[..., 2] > 60)
hot[int(img.shape[0] * 0.8):] = False
col0 = summ.volume().data[:, 0]
report("glass_brain_coloured", hot.sum() > 0 and (col0 > 0.1).any() and
       all(hot[:, k * (img.shape[1] // 3):(k + 1) * (img.shape[1] // 3)].any() for k in range(3)),
       "%d hot pixels, %d voxels drawn" % (hot.sum(), (col0 > 0.1).sum()))
report("surface_figure", os.path.getsize(os.path.join(out, "summary.png")) > 1000, "")
lines = [l for l in log.getvalue().splitlines() if l.startswith(("stat_fun", "Running",
                                                                   "Found"))]
ours = [l for l in open(os.path.join(out, "..", name + ".log")).read().splitlines()
        if l.startswith(("stat_fun", "Running", "Found")) and
        not l.startswith("Found cluster with")]
report("log_lines", lines == ours, "MNE %r, ours %r" % (lines, ours))
sys.exit(1 if failed else 0)
PY
}

run_case() { # NAME COMPAT MODE TAIL ARGS...
    name=$1 compat=$2 mode=$3 tail=$4
    shift 4
    out="$T/runs/$name"
    mkdir -p "$T/runs"
    if "$CP" "$@" --out "$out" --n-permutations 200 --seed 3 --compat "$compat" --tail "$tail" \
        >"$T/runs/$name.log" 2>"$T/runs/$name.err"; then
        ok "$name.cli_status"
        compare "$name" "$out" "$compat" "$mode" || failed=1
    else
        fail "$name.cli_status" "$(cat "$T/runs/$name.err")"
    fi
}

run_case mixed_onesample none one 0 onesample --a "$STUDY/sub*/faces" \
    --b "$STUDY/sub*/scrambled" --src "$SRC" --p-threshold 0.01
run_case mixed_onesample_mne13 mne1.3 one 0 onesample --a "$STUDY/sub*/faces" \
    --b "$STUDY/sub*/scrambled" --src "$SRC" --p-threshold 0.01
run_case mixed_independent none indep 1 independent --group "$STUDY/sub*/faces" \
    --group "$STUDY/sub*/scrambled" --src "$SRC" --p-threshold 0.01
# rm-anova of two cells on the mixed space: F = the paired t squared, per part
if "$CP" rm-anova --factors 2 --effect A --cell "$STUDY/sub*/faces" --cell "$STUDY/sub*/scrambled" \
    --src "$SRC" --n-permutations 64 --seed 3 --out "$T/runs/rm" -q 2>"$T/rm.err" &&
    $PY - "$T/runs/rm" "$T/runs/mixed_onesample" <<'PY'; then
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
import mne
for part in ("tobs", "tobs-vl.stc"):
    f = mne.read_source_estimate(sys.argv[1] + "/" + part)
    t = mne.read_source_estimate(sys.argv[2] + "/" + part)
    assert type(f) is type(t), (type(f), type(t))
    assert all(np.array_equal(a, b) for a, b in zip(f.vertices, t.vertices))
    assert np.allclose(f.data, t.data.astype(float) ** 2, rtol=1e-5)
res = json.load(open(sys.argv[1] + "/clusters.json"))
assert res["data"]["source_space"] == "mixed" and res["n_h0"] == 64, res["data"]
PY
    ok mixed_rmanova_f_is_t_squared
else
    fail mixed_rmanova_f_is_t_squared "$(cat "$T/rm.err")"
fi

# --- bad input
variant() { # NAME SOURCE_DIR: $T/NAME = study with sub03 replaced by SOURCE_DIR/sub03
    rm -rf "$T/$1"
    cp -r "$STUDY" "$T/$1"
    rm -f "$T/$1/sub03/"faces*
    cp "$2/sub03/"* "$T/$1/sub03/"
}
variant volonly_study "$T/volonly"
expect_fail mixed_volume_estimate 1 "$T/volonly_study/sub03/faces-vl.stc (subject 'sub03'): a volume estimate, but --src $SRC is a mixed source space" \
    onesample --a "$T/volonly_study/sub*/faces" --src "$SRC"
variant badvert_study "$T/badvert"
expect_fail mixed_vertex_mismatch 1 "(subject 'sub03'): its vertices are not the volume source space's in use ($SRC): vertex #0 is" \
    onesample --a "$T/badvert_study/sub*/faces" --src "$SRC"
expect_fail mixed_estimates_surface_src 1 "a mixed estimate, but --src $T/surf/fsaverage-ico1-src.fif is a surface source space: give a mixed -src.fif" \
    onesample --a "$STUDY/sub*/faces" --src "$T/surf/fsaverage-ico1-src.fif"
expect_fail mixed_two_volumes 1 "$T/mixed2-src.fif: a mixed source space (4 spaces, 2 of them volumes); onesample tests a surface lh/rh pair, a single volume, or lh, rh and a single volume" \
    onesample --a "$STUDY/sub*/faces" --src "$T/mixed2-src.fif"
expect_fail mixed_tfce 1 "--tfce: $SRC is a mixed source space" \
    onesample --a "$STUDY/sub*/faces" --src "$SRC" --tfce

exit $failed
