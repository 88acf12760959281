#!/bin/sh
# demo.sh - `make demo`: simulates a 16-subject study, runs the seed pipeline on it with
# `clusterperm onesample`, and checks that a significant cluster finds the injected effect.
# Usage: sh tools/demo.sh [BUILD_DIR]   (outputs go to ./demo-out)
BUILD=${1:-build}
PYTHON=${PYTHON:-python3}
CP="$BUILD/clusterperm"
OUT=demo-out
STUDY="$OUT/study"
RESULTS="$OUT/results"

if [ ! -x "$CP" ]; then
    echo "demo: $CP not found; run 'make' first" >&2
    exit 1
fi
rm -rf "$OUT"
start=$(date +%s)

echo "== 1. simulate a study: $CP simulate $STUDY"
"$CP" simulate "$STUDY" || exit 1

echo
echo "== 2. the seed pipeline (read stcs, crop(0, None).magnitude(), faces - scrambled,"
echo "==    spatial_src_adjacency, p=0.001 threshold, 1024 permutations, summary):"
set -- onesample \
    --a "$STUDY/sub*/mne_dSPM_inverse_morph-faces_eq" \
    --b "$STUDY/sub*/mne_dSPM_inverse_morph-scrambled_eq" \
    --src "$STUDY/fsaverage-ico5-src.fif" \
    --tmin 0 --magnitude \
    --p-threshold 0.001 --sigma 1e-3 --n-permutations 1024 --seed 0 -j 2 \
    --out "$RESULTS"
cat <<END
$CP onesample \\
    --a '$STUDY/sub*/mne_dSPM_inverse_morph-faces_eq' \\
    --b '$STUDY/sub*/mne_dSPM_inverse_morph-scrambled_eq' \\
    --src $STUDY/fsaverage-ico5-src.fif \\
    --tmin 0 --magnitude \\
    --p-threshold 0.001 --sigma 1e-3 --n-permutations 1024 --seed 0 -j 2 \\
    --out $RESULTS

END
"$CP" "$@" || exit 1

echo
echo "== 3. did a cluster with p < 0.05 find the injected effect (truth.json)?"
"$PYTHON" - "$STUDY/truth.json" "$RESULTS/clusters.json" <<'EOF' || exit 1
import json, sys
truth = json.load(open(sys.argv[1]))
res = json.load(open(sys.argv[2]))
patch = set(truth["vertices"])
t0, t1 = truth["time_window_ms"]
hits = []
for c in res["clusters"]:
    if c["p"] >= 0.05:
        continue
    overlap = patch & set(c["vertices"][truth["hemi"]])
    a, b = c["time_ms"]
    if overlap and a <= t1 and b >= t0:
        hits.append((c, overlap))
    print("cluster %d: p=%g, %d points, %s vertices lh %d rh %d, %g to %g ms, peak t=%.2f "
          "at %s vertex %d, %g ms" % (c["index"], c["p"], c["n_points"],
          "signed stat %.1f," % c["statistic"], len(c["vertices"]["lh"]),
          len(c["vertices"]["rh"]), a, b, c["peak"]["t"], c["peak"]["hemi"],
          c["peak"]["vertex"], c["peak"]["time_ms"]))
if not hits:
    print("DEMO FAILED: no cluster with p < 0.05 overlaps the simulated patch "
          "(%s, %d vertices, %g to %g ms)" % (truth["hemi"], len(patch), t0, t1))
    sys.exit(1)
for c, overlap in hits:
    print("DEMO OK: cluster %d (p=%g) overlaps the simulated patch: %d of its %d %s vertices "
          "are in the %d-vertex patch, %g to %g ms against the true %g to %g ms"
          % (c["index"], c["p"], len(overlap), len(c["vertices"][truth["hemi"]]),
             truth["hemi"], len(patch), c["time_ms"][0], c["time_ms"][1], t0, t1))
EOF

echo
echo "== 4. outputs in $RESULTS:"
ls -l "$RESULTS"
end=$(date +%s)
echo
echo "demo finished in $((end - start)) s"
