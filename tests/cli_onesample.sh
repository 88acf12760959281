#!/bin/sh
# cli_onesample.sh - CLI cases for `clusterperm onesample` and `simulate`: bad input gives one
# "clusterperm: error: ..." line naming the problem, the documented exit status, and no
# output left in --out; good input writes every output. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_onesample.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ]; then
    fail cli_binary "$CP not built"
    exit 1
fi

# Two small studies (ico-2: 162 vertices a hemisphere) that differ in n_times, one ico-3.
"$CP" simulate "$T/g2" --grade 2 --subjects 5 --n-times 12 --seed 1 >/dev/null 2>&1 &&
"$CP" simulate "$T/g3" --grade 3 --subjects 2 --n-times 12 --seed 2 >/dev/null 2>&1 &&
"$CP" simulate "$T/t15" --grade 2 --subjects 2 --n-times 15 --seed 3 >/dev/null 2>&1 ||
    { fail cli_simulate_setup "simulate failed"; exit 1; }
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
SRC="$T/g2/fsaverage-ico2-src.fif"

# A study copy with one subject replaced or damaged.
variant() { # NAME: copies g2 to $T/NAME
    rm -rf "$T/$1"
    cp -r "$T/g2" "$T/$1"
}

. "$(dirname "$0")/clilib.sh" # expect_fail NAME STATUS MESSAGE COMMAND ARGS...

GOOD="--a $T/g2/sub*/$F --b $T/g2/sub*/$S --src $SRC --t-threshold 2 --n-permutations 8"

# --- usage errors (exit 2)
expect_fail cli_unknown_option 2 "unknown option '--frobnicate'" onesample $GOOD --frobnicate
expect_fail cli_missing_value 2 "option --src needs a value" onesample --a "$T/g2/sub*/$F" --src
expect_fail cli_missing_src_option 2 "--src is required" onesample --a "$T/g2/sub*/$F"
expect_fail cli_tail_3 2 "--tail '3' must be -1, 0 or 1" onesample $GOOD --tail 3
expect_fail cli_n_permutations_0 2 "--n-permutations '0' must be a positive integer" onesample $GOOD --n-permutations 0
expect_fail cli_n_permutations_word 2 "--n-permutations 'many'" onesample $GOOD --n-permutations many
expect_fail cli_p_threshold_2 2 "--p-threshold '2' must be a probability in (0, 1)" onesample --a "$T/g2/sub*/$F" --src "$SRC" --p-threshold 2
expect_fail cli_p_threshold_nan 2 "--p-threshold 'nan'" onesample --a "$T/g2/sub*/$F" --src "$SRC" --p-threshold nan
expect_fail cli_both_thresholds 2 "not both" onesample $GOOD --p-threshold 0.01
expect_fail cli_threshold_sign 2 "incompatible tail and threshold signs, got 1 and -2" onesample --a "$T/g2/sub*/$F" --src "$SRC" --tail 1 --t-threshold -2
expect_fail cli_seed_range 2 "--seed '4294967296'" onesample $GOOD --seed 4294967296
expect_fail cli_compat_value 2 "--compat 'mne1.2' must be 'none' or 'mne1.3'" onesample $GOOD --compat mne1.2
expect_fail cli_max_step_0 2 "--max-step '0' must be a positive integer" onesample $GOOD --max-step 0
expect_fail cli_sigma_negative 2 "--sigma '-1' must be a number >= 0" onesample $GOOD --sigma -1
expect_fail cli_tmin_after_tmax 2 "--tmin 0.1 is after --tmax 0" onesample $GOOD --tmin 0.1 --tmax 0
expect_fail cli_unknown_command 2 "unknown command 'twosample'" twosample
expect_fail cli_simulate_grade 2 "simulate: --grade needs an integer in 1..6" simulate "$T/never" --grade 9

# --- input errors (exit 1)
expect_fail cli_empty_glob 1 "no source estimates match '$T/nothing/sub*/$F'" onesample --a "$T/nothing/sub*/$F" --src "$SRC"
expect_fail cli_empty_glob_b 1 "--b: no source estimates match" onesample --a "$T/g2/sub*/$F" --b "$T/g2/sub*/nothing" --src "$SRC"
expect_fail cli_missing_src_file 1 "$T/missing-src.fif" onesample --a "$T/g2/sub*/$F" --src "$T/missing-src.fif"
expect_fail cli_missing_listfile 1 "cannot open list file $T/nolist.txt" onesample --a "@$T/nolist.txt" --src "$SRC"
printf '# only a comment\n\n' >"$T/empty.txt"
expect_fail cli_empty_listfile 1 "list file $T/empty.txt names no stems" onesample --a "@$T/empty.txt" --src "$SRC"
printf '%s\n' "$T/g2/sub001/$F" "$T/g2/sub002/nonexistent" >"$T/list.txt"
expect_fail cli_listfile_missing_stem 1 "$T/g2/sub002/nonexistent" onesample --a "@$T/list.txt" --src "$SRC"
expect_fail cli_paired_count 1 "--a matches 5 subjects and --b 4; a paired test needs both for every subject: subject 'sub005' has --a $T/g2/sub005/$F but no --b" onesample --a "$T/g2/sub*/$F" --b "$T/g2/sub00[1-4]/$S" --src "$SRC"
expect_fail cli_one_subject 1 "needs at least 2" onesample --a "$T/g2/sub001/$F" --src "$SRC"

variant trunc
head -c 100 "$T/g2/sub003/$F-lh.stc" >"$T/trunc/sub003/$F-lh.stc"
expect_fail cli_truncated_stc 1 "$T/trunc/sub003/$F-lh.stc" onesample --a "$T/trunc/sub*/$F" --src "$SRC"

variant garbage
printf 'not an stc file at all' >"$T/garbage/sub002/$S-rh.stc"
expect_fail cli_corrupt_stc_b 1 "$T/garbage/sub002/$S-rh.stc" onesample --a "$T/garbage/sub*/$F" --b "$T/garbage/sub*/$S" --src "$SRC"

variant nohemi
rm "$T/nohemi/sub004/$F-rh.stc"
expect_fail cli_missing_hemisphere 1 "Hemisphere missing for $T/nohemi/sub004/$F: $T/nohemi/sub004/$F-rh.stc does not exist ($T/nohemi/sub004/$F-lh.stc does)" onesample --a "$T/nohemi/sub*/$F" --src "$SRC"

variant verts
cp "$T/g3/sub001/$F-lh.stc" "$T/verts/sub002/$F-lh.stc"
cp "$T/g3/sub001/$F-rh.stc" "$T/verts/sub002/$F-rh.stc"
expect_fail cli_mismatched_vertices 1 "$T/verts/sub002/$F-lh.stc: it has 642 lh vertices, $T/verts/sub001/$F-lh.stc has 162 (the first 162 agree; lh vertex 162 is only in $T/verts/sub002/$F-lh.stc)" onesample --a "$T/verts/sub*/$F" --src "$SRC"

variant times
cp "$T/t15/sub001/$S-lh.stc" "$T/times/sub005/$S-lh.stc"
cp "$T/t15/sub001/$S-rh.stc" "$T/times/sub005/$S-rh.stc"
expect_fail cli_mismatched_times 1 "$T/times/sub005/$S-lh.stc: 15 time points from -0.05 s every 0.01 s, but $T/times/sub001/$F-lh.stc has 12 from -0.05 s every 0.01 s" onesample --a "$T/times/sub*/$F" --b "$T/times/sub*/$S" --src "$SRC"

expect_fail cli_src_mismatch 1 "the lh source space has 642 vertices in use, which are not the data's 162" onesample --a "$T/g2/sub*/$F" --src "$T/g3/fsaverage-ico3-src.fif"
head -c 300 "$SRC" >"$T/trunc-src.fif"
expect_fail cli_truncated_src 1 "$T/trunc-src.fif" onesample --a "$T/g2/sub*/$F" --src "$T/trunc-src.fif"
expect_fail cli_crop_empty 1 "$T/g2/sub001/$F-lh.stc: --tmin/--tmax: stc: crop: tmin 5 s is after tmax 0.06 s; the data span -0.05 to 0.06 s (12 samples, limits are in seconds)" onesample $GOOD --tmin 5
expect_fail cli_crop_no_samples 1 "No samples remain" onesample $GOOD --tmin 1 --tmax 2

# Vector -stc.h5 estimates written by MNE 1.3 (vertices 0..641 as our ico-3 source space).
H5="$(dirname "$0")/data/mne-h5/vec_small-stc.h5" # committed: tests/data/README.md
if [ -f "$H5" ]; then
    mkdir -p "$T/h5/sub1" "$T/h5/sub2" "$T/h5bad/sub1" "$T/h5bad/sub2"
    cp "$H5" "$T/h5/sub1/vec-stc.h5" && cp "$H5" "$T/h5/sub2/vec-stc.h5"
    cp "$H5" "$T/h5bad/sub1/vec-stc.h5"
    head -c 5000 "$H5" >"$T/h5bad/sub2/vec-stc.h5"
    SRC3="$T/g3/fsaverage-ico3-src.fif"
    expect_fail cli_vector_needs_magnitude 1 "$T/h5/sub1/vec-stc.h5: a vector source estimate; pass --magnitude" onesample --a "$T/h5/sub*/vec" --src "$SRC3"
    expect_fail cli_truncated_h5 1 "$T/h5bad/sub2/vec-stc.h5" onesample --a "$T/h5bad/sub*/vec" --src "$SRC3" --magnitude
else
    fail cli_h5_data "$H5 missing"
fi

# An output directory that is a file.
: >"$T/afile"
"$CP" onesample $GOOD --out "$T/afile" >/dev/null 2>"$T/stderr"
rc=$?
if [ $rc -eq 1 ] && grep -qF "$T/afile is not a directory" "$T/stderr" && [ ! -s "$T/afile" ]; then
    ok cli_out_is_file
else
    fail cli_out_is_file "status $rc: $(cat "$T/stderr")"
fi

# An existing, non-empty --out keeps its files when the run fails.
mkdir -p "$T/keep" && echo precious >"$T/keep/notes.txt"
"$CP" onesample $GOOD --tail 3 --out "$T/keep" >/dev/null 2>&1
if [ "$(ls -A "$T/keep")" = "notes.txt" ]; then ok cli_failed_run_keeps_dir; else
    fail cli_failed_run_keeps_dir "$(ls -A "$T/keep")"; fi

# --- good runs
"$CP" onesample $GOOD --out "$T/res/deep" >"$T/stdout" 2>"$T/stderr"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/stderr" ]; then ok cli_good_run_status; else
    fail cli_good_run_status "status $rc, stderr: $(cat "$T/stderr")"; fi
missing=""
for f in tobs-lh.stc tobs-rh.stc h0.txt clusters.json; do
    [ -s "$T/res/deep/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok cli_good_run_outputs || fail cli_good_run_outputs "missing:$missing"
leftover=$(ls -A "$T/res/deep" | grep -v -e '^tobs-[lr]h.stc$' -e '^summary-[lr]h.stc$' \
    -e '^h0.txt$' -e '^clusters.json$' -e '^clusters.tsv$' -e '^summary.png$' -e '^h0.png$' \
    -e '^report.html$')
[ -z "$leftover" ] && ok cli_good_run_no_temp_files || fail cli_good_run_no_temp_files "$leftover"
n_h0=$(wc -l <"$T/res/deep/h0.txt")
# 5 subjects, tail 0: 2^4 - 1 = 15 sign patterns >= 8 requested: 7 drawn orders + H0[0].
[ "$n_h0" -eq 8 ] && ok cli_good_run_h0_lines || fail cli_good_run_h0_lines "$n_h0 lines, want 8"
if sed -n 1p "$T/stdout" | grep -q '^stat_fun(H1): min=-\{0,1\}[0-9]*\.[0-9]\{6\} max=' &&
    sed -n 2p "$T/stdout" | grep -q '^Running initial clustering …$' &&
    sed -n 3p "$T/stdout" | grep -q '^Found [0-9]* clusters\{0,1\}$' &&
    sed -n 4p "$T/stdout" | grep -q '^Permuting 7 times\.\.\.$' &&
    sed -n 5p "$T/stdout" | grep -q '^Computing cluster p-values$' &&
    sed -n 6p "$T/stdout" | grep -q '^Done\.$'; then
    ok cli_good_run_log
else
    fail cli_good_run_log "$(cat "$T/stdout")"
fi

# Exact test: 'all' is never exact (MNE draws max_perms - 1), a large N is.
"$CP" onesample $GOOD --n-permutations 100 --out "$T/exact" >"$T/stdout" 2>&1
grep -q '^Permuting 15 times (exact test)\.\.\.$' "$T/stdout" && ok cli_exact_test_log ||
    fail cli_exact_test_log "$(cat "$T/stdout")"
"$CP" onesample $GOOD --n-permutations all --out "$T/all" >"$T/stdout" 2>&1
grep -q '^Permuting 14 times\.\.\.$' "$T/stdout" && ok cli_all_not_exact_log ||
    fail cli_all_not_exact_log "$(cat "$T/stdout")"

# A list file gives the same result as the glob; -j does not change results.
ls "$T"/g2/sub*/"$F"-lh.stc | sed 's/-lh\.stc$//' >"$T/a.txt"
ls "$T"/g2/sub*/"$S"-lh.stc >"$T/b.txt"
"$CP" onesample --a "@$T/a.txt" --b "@$T/b.txt" --src "$SRC" --t-threshold 2 \
    --n-permutations 8 -j 2 --out "$T/list" >/dev/null 2>&1
if cmp -s "$T/list/tobs-lh.stc" "$T/res/deep/tobs-lh.stc" && cmp -s "$T/list/h0.txt" "$T/res/deep/h0.txt"; then
    ok cli_listfile_equals_glob
else
    fail cli_listfile_equals_glob "tobs or h0 differ"
fi

# One output directory, two kinds of run: the files a run does not write are removed in the
# same commit (a TFCE run's tfce.json would otherwise sit beside a later cluster run's
# h0.txt, which it does not describe); files of the user's stay.
mix="$T/mix"
"$CP" onesample $GOOD --p-summary 1 --out "$mix" >/dev/null 2>&1 && echo mine >"$mix/notes.txt" &&
    [ -s "$mix/summary-lh.stc" ] && [ -s "$mix/clusters.json" ] ||
    fail cli_mixed_runs_setup "the cluster run failed or wrote no summary: $(ls "$mix")"
"$CP" onesample --a "$T/g2/sub*/$F" --b "$T/g2/sub*/$S" --src "$SRC" --tfce --n-permutations 8 \
    --p-summary 1 --out "$mix" >/dev/null 2>"$T/stderr" || fail cli_mixed_runs_tfce "$(cat "$T/stderr")"
got=$(ls -A "$mix" | LC_ALL=C sort | tr '\n' ' ')
want="h0.png h0.txt notes.txt report.html summary.png tfce-lh.stc tfce-p-lh.stc tfce-p-rh.stc tfce-rh.stc tfce-summary-lh.stc tfce-summary-rh.stc tfce.json tobs-lh.stc tobs-rh.stc "
[ "$got" = "$want" ] && ok cli_tfce_run_removes_cluster_outputs ||
    fail cli_tfce_run_removes_cluster_outputs "got: $got"
# tfce.json records the inputs as clusters.json does: stems and subjects in pairing order
if /usr/bin/python3 - "$mix/tfce.json" "$T/g2" "$F" "$S" <<'PY'; then ok cli_tfce_json_subjects; else fail cli_tfce_json_subjects "see above"; fi
import json, sys
j, d, f, s = sys.argv[1:5]
inp = json.load(open(j))["inputs"]
subs = ["sub%03d" % i for i in range(1, 6)]
assert inp["subjects"] == subs, inp["subjects"]
assert inp["a"] == ["%s/%s/%s" % (d, k, f) for k in subs], inp["a"]
assert inp["b"] == ["%s/%s/%s" % (d, k, s) for k in subs], inp["b"]
assert inp["src"].endswith("fsaverage-ico2-src.fif") and inp["magnitude"] is False
assert inp["tmin"] is None and inp["tmax"] is None
PY
"$CP" onesample $GOOD --out "$mix" >/dev/null 2>&1
got=$(ls -A "$mix" | LC_ALL=C sort | tr '\n' ' ')
want="clusters.json clusters.tsv h0.png h0.txt notes.txt report.html tobs-lh.stc tobs-rh.stc "
[ "$got" = "$want" ] && [ "$(cat "$mix/notes.txt")" = mine ] &&
    grep -q '"summary_written": false' "$mix/clusters.json" && ok cli_cluster_run_removes_tfce_outputs ||
    fail cli_cluster_run_removes_tfce_outputs "got: $got"

# A staging directory left by a run that died (kill -9 while writing its outputs) is removed
# by the next successful run into DIR; one of a live process (here: this shell) is not.
host=$(uname -n | sed 's/[^A-Za-z0-9]/_/g')
dead="$mix/.clusterperm-$host-2147483646-AbCdEf" live="$mix/.clusterperm-$host-$$-GhIjKl"
mkdir -p "$dead" "$live" && echo x >"$dead/h0.txt" && echo y >"$dead/.kept.h0.txt" && echo z >"$live/h0.txt"
"$CP" onesample $GOOD --out "$mix" >/dev/null 2>&1
[ ! -e "$dead" ] && [ -s "$live/h0.txt" ] && [ -s "$mix/h0.txt" ] && ok cli_dead_staging_dir_removed ||
    fail cli_dead_staging_dir_removed "$(ls -A "$mix")"
rm -rf "$live"

# simulate is deterministic for a seed.
"$CP" simulate "$T/g2again" --grade 2 --subjects 5 --n-times 12 --seed 1 >/dev/null 2>&1
if cmp -s "$T/g2/sub005/$F-lh.stc" "$T/g2again/sub005/$F-lh.stc" &&
    cmp -s "$T/g2/fsaverage-ico2-src.fif" "$T/g2again/fsaverage-ico2-src.fif"; then
    ok cli_simulate_deterministic
else
    fail cli_simulate_deterministic "files differ for the same seed"
fi

"$CP" version | grep -q '^clusterperm [0-9]' && ok cli_version || fail cli_version "$("$CP" version)"
"$CP" --help | grep -q onesample && ok cli_help || fail cli_help "no onesample in --help"
exit $failed
