#!/bin/sh
# cli_minclusters.sh - CLI cases for the cluster-forming controls (--min-neighbors,
# --min-duration, --min-extent; issue 13) of `onesample` and `independent`: bad values give one
# "clusterperm: error: ..." line naming the option, the documented exit status and nothing in
# --out; a good run records the controls in clusters.json, the log and the report, and every
# cluster it reports obeys them (their numbers against MNE are tests/xcheck_minclusters.py's).
# Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_minclusters.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
PYTHON=${PYTHON:-/usr/bin/python3}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-minclus.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

"$CP" simulate "$T/s" --grade 2 --subjects 8 --n-times 10 --seed 5 >/dev/null 2>&1 ||
    { fail minclus_setup "simulate failed"; exit 1; }
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
SRC="$T/s/fsaverage-ico2-src.fif"
A="$T/s/sub*/$F"
B="$T/s/sub*/$S"

. "$(dirname "$0")/clilib.sh" # expect_fail NAME STATUS MESSAGE COMMAND ARGS...
O="onesample --a $A --b $B --src $SRC"
expect_fail minclus_negative 2 "--min-neighbors '-1' must be an integer >= 0" $O --min-neighbors -1
expect_fail minclus_seconds 2 "--min-duration '0.02' must be an integer >= 0 (time points, not seconds)" $O --min-duration 0.02
expect_fail minclus_extent_word 2 "--min-extent 'many' must be an integer >= 0 (vertices)" $O --min-extent many
expect_fail minclus_tfce 2 "--min-extent filters threshold-based clusters; TFCE has none" $O --tfce --min-extent 3
expect_fail minclus_duration_too_long 1 "--min-duration 11 time points exceeds the 10 time points of the data" $O --min-duration 11
expect_fail minclus_duration_cropped 1 "(after --tmin/--tmax)" $O --tmin 0 --min-duration 10
expect_fail minclus_extent_too_big 1 "--min-extent 325 vertices exceeds the 324 vertices of the data" $O --min-extent 325
expect_fail minclus_neighbors_too_many 1 "min_neighbors 7 exceeds the largest number of neighbours of a vertex (6)" $O --min-neighbors 7
expect_fail minclus_indep_duration 1 "--min-duration 12 time points exceeds" independent --group "$A" --group "$B" --src "$SRC" --min-duration 12

# Every cluster in clusters.json obeys the controls (max_step 1: distinct time points = the
# span of time_ms), and the controls are recorded; prints the cluster count.
check_json() { # JSON K DUR EXT
    "$PYTHON" - "$@" <<'PY'
import json, sys
path, k, dur, ext = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = json.load(open(path))
p = r["parameters"]
assert (p["min_neighbors"], p["min_duration"], p["min_extent"]) == (k, dur, ext), p
step = r["data"]["tstep_ms"]
for c in r["clusters"]:
    nv = len(c["vertices"]["lh"]) + len(c["vertices"]["rh"])
    t0, t1 = c["time_ms"]
    nt = int(round((t1 - t0) / step)) + 1
    assert nv >= ext and nt >= dur, (c["index"], nv, nt)
print(len(r["clusters"]))
PY
}

run_good() { # NAME OUT ARGS...
    name=$1 out=$2
    shift 2
    if "$CP" "$@" --n-permutations 64 --out "$out" >"$T/log.$name" 2>"$T/err.$name"; then
        return 0
    fi
    fail "$name" "status $?: $(cat "$T/err.$name")"
    return 1
}

if run_good minclus_off "$T/off" $O --p-threshold 0.05 &&
   run_good minclus_on "$T/on" $O --p-threshold 0.05 --min-neighbors 2 --min-duration 2 --min-extent 3; then
    n_off=$(check_json "$T/off/clusters.json" 0 0 0 2>&1) && ok minclus_off_recorded ||
        fail minclus_off_recorded "$n_off"
    n_on=$(check_json "$T/on/clusters.json" 2 2 3 2>&1) && ok minclus_on_obeyed ||
        fail minclus_on_obeyed "$n_on"
    [ "$n_on" -lt "$n_off" ] 2>/dev/null && ok minclus_fewer_clusters ||
        fail minclus_fewer_clusters "$n_on clusters with the controls, $n_off without"
    grep -q '^Cluster-forming controls: points with >= 2 supra-threshold neighbours, clusters of >= 2 time points and >= 3 vertices$' "$T/log.minclus_on" &&
        ! grep -q '^Cluster-forming controls' "$T/log.minclus_off" && ok minclus_log ||
        fail minclus_log "$(cat "$T/log.minclus_on")"
    grep -q 'id="controls"' "$T/on/report.html" && ! grep -q 'id="controls"' "$T/off/report.html" &&
        ok minclus_report || fail minclus_report "no controls paragraph in report.html"
fi
if run_good minclus_indep "$T/indep" independent --group "$A" --group "$B" --src "$SRC" --min-extent 4; then
    r=$(check_json "$T/indep/clusters.json" 0 0 4 2>&1) && ok minclus_indep_recorded ||
        fail minclus_indep_recorded "$r"
fi
exit $failed
