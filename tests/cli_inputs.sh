#!/bin/sh
# cli_inputs.sh - what a new user meets on the way in (issue 11): A and B paired by subject,
# data errors that name the file, vertex and time, command-line habits (-j2, repeated
# options, TFCE with a threshold, a checkpoint in a missing directory), the log and progress
# of a batch job while it runs, --quiet. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_inputs.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
PYTHON=${PYTHON:-/usr/bin/python3}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-in.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
[ -x "$CP" ] || { fail inputs_binary "$CP not built"; exit 1; }

F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
"$CP" simulate "$T/s" --grade 2 --subjects 12 --n-times 10 --seed 4 >/dev/null 2>&1 ||
    { fail inputs_setup "simulate failed"; exit 1; }
SRC="$T/s/fsaverage-ico2-src.fif"
variant() { rm -rf "$T/$1"; cp -r "$T/s" "$T/$1"; }

. "$(dirname "$0")/clilib.sh"
# these cases are all onesample runs: expect_onesample_fail NAME STATUS MESSAGE ARGS...
expect_onesample_fail() {
    n_=$1 rc_=$2 msg_=$3
    shift 3
    expect_fail "$n_" "$rc_" "$msg_" onesample "$@"
}

# --- pairing by subject: the issue's case, sub012's faces and sub003's scrambled deleted
variant mispaired
rm "$T/mispaired/sub012/$F"-?h.stc "$T/mispaired/sub003/$S"-?h.stc
expect_onesample_fail inputs_mispaired_refused 1 "subject 'sub003' has --a $T/mispaired/sub003/$F but no --b; subject 'sub012' has --b $T/mispaired/sub012/$S but no --a" \
    --a "$T/mispaired/sub*/$F" --b "$T/mispaired/sub*/$S" --src "$SRC" --t-threshold 2 --n-permutations 8
# Pairing does not depend on how the glob is spelt: sub* and sub0[01]? are the same subjects.
"$CP" onesample --a "$T/s/sub*/$F" --b "$T/s/sub0[01]?/$S" --src "$SRC" --t-threshold 2 \
    --n-permutations 8 --out "$T/spelt" >/dev/null 2>"$T/stderr" &&
    "$CP" onesample --a "$T/s/sub*/$F" --b "$T/s/sub*/$S" --src "$SRC" --t-threshold 2 \
    --n-permutations 8 --out "$T/plain" >/dev/null 2>&1
if cmp -s "$T/spelt/h0.txt" "$T/plain/h0.txt" && cmp -s "$T/spelt/tobs-lh.stc" "$T/plain/tobs-lh.stc"; then
    ok inputs_pairing_spelling
else
    fail inputs_pairing_spelling "$(cat "$T/stderr")"
fi
# clusters.json records each subject with its two stems, in sorted order.
"$PYTHON" - "$T/plain/clusters.json" "$T/s" "$F" "$S" <<'PY' && ok inputs_json_subjects || fail inputs_json_subjects "see above"
import json, sys
j = json.load(open(sys.argv[1]))["parameters"]
root, F, S = sys.argv[2:5]
want = ["sub%03d" % i for i in range(1, 13)]
assert j["subjects"] == want, j["subjects"]
assert j["a"] == ["%s/%s/%s" % (root, s, F) for s in want], j["a"]
assert j["b"] == ["%s/%s/%s" % (root, s, S) for s in want], j["b"]
PY
# A flat directory with the subject in the file name: "*-faces" gives "sub01".
mkdir -p "$T/flat"
for i in 01 02 03; do
    cp "$T/s/sub0$i/$F-lh.stc" "$T/flat/sub$i-faces-lh.stc"; cp "$T/s/sub0$i/$F-rh.stc" "$T/flat/sub$i-faces-rh.stc"
    cp "$T/s/sub0$i/$S-lh.stc" "$T/flat/sub$i-scr-lh.stc"; cp "$T/s/sub0$i/$S-rh.stc" "$T/flat/sub$i-scr-rh.stc"
done
rm "$T/flat/sub02-scr-lh.stc" "$T/flat/sub02-scr-rh.stc"
expect_onesample_fail inputs_flat_names 1 "subject 'sub02' has --a $T/flat/sub02-faces but no --b" \
    --a "$T/flat/*-faces" --b "$T/flat/*-scr" --src "$SRC" --t-threshold 2
# List files pair by position; a glob against a list is refused.
printf '%s\n' "$T/s/sub001/$F" "$T/s/sub002/$F" "$T/s/sub003/$F" >"$T/a3.txt"
printf '%s\n' "$T/s/sub001/$S" "$T/s/sub002/$S" >"$T/b2.txt"
expect_onesample_fail inputs_list_short 1 "subject '3' has --a $T/s/sub003/$F but no --b" \
    --a "@$T/a3.txt" --b "@$T/b2.txt" --src "$SRC" --t-threshold 2
expect_onesample_fail inputs_glob_vs_list 1 "give both as globs or both as @list files" \
    --a "$T/s/sub*/$F" --b "@$T/b2.txt" --src "$SRC" --t-threshold 2

# --- data errors name the file, hemisphere, vertex number and time in seconds
variant nan
"$PYTHON" - "$T/nan/sub005/$S-rh.stc" <<'PY' || fail inputs_nan_setup "python"
import struct, sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
nv = struct.unpack(">I", b[8:12])[0]
vert = struct.unpack(">I", b[12 + 4 * 7:16 + 4 * 7])[0]
assert vert == 7
# data are times x vertices, float32: time sample 3, vertex row 7
struct.pack_into(">f", b, 16 + 4 * nv + 4 * (3 * nv + 7), float("nan"))
open(p, "wb").write(bytes(b))
PY
expect_onesample_fail inputs_nan_names_file 1 "$T/nan/sub005/$S-rh.stc: non-finite value nan at rh vertex 7 (row 7), time -0.02 s (sample 3 of the tested window)" \
    --a "$T/nan/sub*/$F" --b "$T/nan/sub*/$S" --src "$SRC" --t-threshold 2
variant vert
"$PYTHON" - "$T/vert/sub004/$F-lh.stc" <<'PY' || fail inputs_vert_setup "python"
import struct, sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
struct.pack_into(">I", b, 12 + 4 * 17, 4000)   # vertex #17 (17) becomes 4000
open(p, "wb").write(bytes(b))
PY
expect_onesample_fail inputs_vertex_names_vertex 1 "$T/vert/sub004/$F-lh.stc: its lh vertices differ from those of $T/vert/sub001/$F-lh.stc: lh vertex #17 is" \
    --a "$T/vert/sub*/$F" --src "$SRC" --t-threshold 2
variant norh
rm "$T/norh/sub007/$F-rh.stc"
expect_onesample_fail inputs_missing_hemi_path 1 "$T/norh/sub007/$F-rh.stc does not exist" \
    --a "$T/norh/sub*/$F" --src "$SRC" --t-threshold 2
expect_onesample_fail inputs_tmin_ms 1 "tmin 100 s is after tmax 0.04 s; the data span -0.05 to 0.04 s (10 samples, limits are in seconds)" \
    --a "$T/s/sub*/$F" --src "$SRC" --t-threshold 2 --tmin 100

# --- command-line habits
G="--a $T/s/sub*/$F --b $T/s/sub*/$S --src $SRC --t-threshold 2 --n-permutations 64"
"$CP" onesample $G -j2 --out "$T/j2" >/dev/null 2>&1 && "$CP" onesample $G -j 2 --out "$T/j_2" >/dev/null 2>&1 &&
    "$CP" onesample $G --out "$T/j1" >/dev/null 2>&1
if cmp -s "$T/j2/h0.txt" "$T/j_2/h0.txt" && cmp -s "$T/j2/h0.txt" "$T/j1/h0.txt" &&
    grep -q '"jobs": 2,' "$T/j2/clusters.json"; then ok inputs_j2; else fail inputs_j2 "-j2 not taken as -j 2"; fi
expect_onesample_fail inputs_repeated_a 2 "option --a is given twice" $G --a "$T/s/sub00*/$F"
expect_onesample_fail inputs_tfce_threshold 2 "--p-threshold has no effect with TFCE" \
    --a "$T/s/sub*/$F" --src "$SRC" --tfce --p-threshold 0.01
start=$(date +%s)
expect_onesample_fail inputs_checkpoint_dir 1 "--checkpoint $T/nodir/ck: directory $T/nodir does not exist" \
    $G --checkpoint "$T/nodir/ck"
[ $(( $(date +%s) - start )) -lt 10 ] && ok inputs_checkpoint_dir_at_once ||
    fail inputs_checkpoint_dir_at_once "took $(( $(date +%s) - start )) s"
"$CP" onesample $G --quiet --out "$T/quiet" >"$T/q.out" 2>"$T/q.err"
if [ $? -eq 0 ] && [ ! -s "$T/q.out" ] && [ ! -s "$T/q.err" ] && [ -s "$T/quiet/h0.txt" ]; then
    ok inputs_quiet
else
    fail inputs_quiet "stdout: $(cat "$T/q.out") stderr: $(cat "$T/q.err")"
fi

# --- a batch job: stdout and stderr to files show the log and progress while it runs.
# 24 subjects (2^23 sign patterns), a lenient threshold and many permutations: about 10 s,
# stopped once both have been seen.
"$CP" simulate "$T/big" --grade 3 --subjects 24 --n-times 20 --seed 5 >/dev/null 2>&1
"$CP" onesample --a "$T/big/sub*/$F" --src "$T/big/fsaverage-ico3-src.fif" --p-threshold 0.05 \
    --n-permutations 100000 -j 2 --out "$T/batch" >"$T/batch.out" 2>"$T/batch.err" &
pid=$!
seen_log=0 seen_progress=0 i=0
while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
    grep -q '^Permuting 99999 times\.\.\.$' "$T/batch.out" && seen_log=1
    grep -q '^Permuting: [0-9]*% ([0-9]*/99999), [0-9.]* s left$' "$T/batch.err" && seen_progress=1
    [ $seen_log = 1 ] && [ $seen_progress = 1 ] && break
    sleep 0.1
    i=$((i + 1))
done
running=0
kill -0 $pid 2>/dev/null && running=1
kill $pid 2>/dev/null
wait $pid
if [ $seen_log = 1 ] && [ $seen_progress = 1 ] && [ $running = 1 ]; then
    ok inputs_batch_log_while_running
else
    fail inputs_batch_log_while_running "log seen $seen_log, progress seen $seen_progress, still running $running; stdout: $(cat "$T/batch.out"); stderr: $(cat "$T/batch.err")"
fi
[ ! -e "$T/batch" ] || [ -z "$(ls -A "$T/batch")" ] && ok inputs_batch_killed_writes_nothing ||
    fail inputs_batch_killed_writes_nothing "$(ls -A "$T/batch")"
exit $failed
