#!/bin/sh
# cli_independent.sh - CLI cases for `clusterperm independent`: bad command lines and inputs
# give one "clusterperm: error: ..." line naming the problem, the documented exit status and
# nothing in --out; a good run writes every output with the design recorded. (Its numbers
# against MNE are tests/xcheck_independent.py's.) Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_independent.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-indep.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

"$CP" simulate "$T/s" --grade 2 --subjects 6 --n-times 10 --seed 4 >/dev/null 2>&1 ||
    { fail indep_setup "simulate failed"; exit 1; }
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
SRC="$T/s/fsaverage-ico2-src.fif"
G1="$T/s/sub*/$F"
G2="$T/s/sub*/$S"

. "$(dirname "$0")/clilib.sh" # expect_fail NAME STATUS MESSAGE COMMAND ARGS...
# the command's name is the first argument; expect_fail puts --out after it
I=independent

expect_fail indep_one_group 2 "give --group once per group, at least 2 (got 1)" $I --group "$G1" --src "$SRC"
expect_fail indep_t_three_groups 2 "--stat t compares 2 groups, got 3" $I --group "$G1" --group "$G2" --group "$G1" --src "$SRC" --stat t
expect_fail indep_welch_with_f 2 "--welch does not apply to the F test" $I --group "$G1" --group "$G2" --src "$SRC" --welch
expect_fail indep_sigma_with_f 2 "--sigma does not apply to the F test" $I --group "$G1" --group "$G2" --src "$SRC" --sigma 0.001
expect_fail indep_f_threshold_with_t 2 "--f-threshold does not apply to --stat t" $I --group "$G1" --group "$G2" --src "$SRC" --stat t --f-threshold 3
expect_fail indep_tfce 2 "TFCE is not supported for them yet" $I --group "$G1" --group "$G2" --src "$SRC" --tfce
expect_fail indep_tail_m1_f 2 "the F test is one-tailed" $I --group "$G1" --group "$G2" --src "$SRC" --tail -1
expect_fail indep_stat_word 2 "--stat 'z' must be 'f' or 't'" $I --group "$G1" --group "$G2" --src "$SRC" --stat z
expect_fail indep_no_a 2 "unknown option '--a'" $I --a "$G1" --group "$G1" --group "$G2" --src "$SRC"
expect_fail onesample_no_group 2 "unknown option '--group'" onesample --a "$G1" --group "$G2" --src "$SRC"
expect_fail indep_all 2 "--n-permutations all enumerates sign flips" $I --group "$G1" --group "$G2" --src "$SRC" --n-permutations all
expect_fail indep_no_match 1 "--group #2" $I --group "$G1" --group "$T/s/nobody*/$F" --src "$SRC"
printf '%s\n' "$T/s/sub000/$F" >"$T/one.txt"
expect_fail indep_t_group_of_one 1 "the two-sample t needs at least 2 per group" $I --group "$G1" --group "@$T/one.txt" --src "$SRC" --stat t

# a good run: every output, the design and groups in clusters.json, MNE's threshold logged
out="$T/good"
if "$CP" independent --group "$G1" --group "$G2" --src "$SRC" --n-permutations 50 \
        --out "$out" >"$T/log" 2>"$T/err"; then
    missing=
    for f in tobs-lh.stc tobs-rh.stc h0.txt clusters.json h0.png report.html; do
        [ -s "$out/$f" ] || missing="$missing $f"
    done
    [ -z "$missing" ] && ok indep_outputs || fail indep_outputs "missing:$missing"
    grep -q '"test": "spatio_temporal_cluster_test"' "$out/clusters.json" &&
        grep -q '"statistic": "f_oneway"' "$out/clusters.json" &&
        grep -q '"glob": ' "$out/clusters.json" && ok indep_json_design ||
        fail indep_json_design "$(head -c 400 "$out/clusters.json")"
    grep -q '^Using a threshold of ' "$T/log" && grep -q '^Permuting 49 times' "$T/log" &&
        ok indep_log || fail indep_log "$(cat "$T/log")"
    grep -q 'f_oneway' "$out/report.html" && grep -q 'independent groups' "$out/report.html" &&
        ok indep_report_names_design || fail indep_report_names_design "no design in the page"
else
    fail indep_good_run "status $?: $(cat "$T/err")"
fi
exit $failed
