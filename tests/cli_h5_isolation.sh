#!/bin/sh
# cli_h5_isolation.sh - -stc.h5 files are read in a child process (src/stc_h5.c, isolate.c):
# every input in fuzz/known/ that crashes or hangs libhdf5 (fuzz/README.md, F2-F5) ends
# `clusterperm onesample` within seconds with exit status 1 and one error line naming the
# file, no output and no process left behind; CPERM_H5_TIMEOUT and CPERM_H5_ISOLATE work as
# documented; valid -stc.h5 studies (the h5io layout MNE 1.3 writes, and a file MNE wrote)
# give byte-identical outputs read in a child and in-process.
# Prints "ok NAME" / "FAIL NAME: why". Usage: sh tests/cli_h5_isolation.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
PYTHON=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-h5iso.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ]; then
    fail h5iso_binary "$CP not built"
    exit 1
fi
"$CP" simulate "$T/g3" --grade 3 --subjects 2 --n-times 10 --seed 1 >/dev/null 2>&1 ||
    { fail h5iso_setup "simulate failed"; exit 1; }
SRC="$T/g3/fsaverage-ico3-src.fif"

# A regression must fail the test, not hang the suite: runs get a hard limit.
if command -v timeout >/dev/null 2>&1; then LIMIT="timeout -k 5 60"; else LIMIT=; fi
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
# Processes still running whose command line names our scratch directory (a child left
# behind by a run: it carries its parent's argv).
leftovers() { ps -eo pid=,args= | grep -F -- "$T/" | grep -v -e grep -e ' ps ' || true; }

# run_bad NAME LIMIT_S WANT_MSG STEM [ENV=VALUE...]: onesample on STEM (listed twice, as two
# subjects) must exit 1 within LIMIT_S with one "clusterperm: error: stc: FILE: ..." line
# that contains WANT_MSG, and leave neither output nor processes.
run_bad() {
    name=$1 limit=$2 want=$3 stem=$4
    shift 4
    printf '%s\n%s\n' "$stem" "$stem" >"$T/list.txt"
    t0=$(now)
    env "$@" $LIMIT "$CP" onesample --a "@$T/list.txt" --src "$SRC" --magnitude --out "$T/out_$name" \
        >"$T/stdout" 2>"$T/stderr"
    rc=$?
    dt=$(elapsed "$t0" "$(now)")
    lines=$(wc -l <"$T/stderr")
    left=$(leftovers)
    if [ "$rc" -ne 1 ]; then
        fail "$name" "exit status $rc, want 1 (${dt} s); stderr: $(head -c 600 "$T/stderr")"
    elif [ "$lines" -ne 1 ] || ! grep -qF "clusterperm: error: stc: $stem-stc.h5: " "$T/stderr"; then
        fail "$name" "want one 'clusterperm: error: stc: $stem-stc.h5: ...' line, got: $(head -c 600 "$T/stderr")"
    elif ! grep -qF -- "$want" "$T/stderr"; then
        fail "$name" "message lacks '$want': $(cat "$T/stderr")"
    elif [ "$(echo "$dt > $limit" | bc)" -eq 1 ]; then
        fail "$name" "took ${dt} s (limit $limit s): $(cat "$T/stderr")"
    elif [ -e "$T/out_$name" ] && [ -n "$(ls -A "$T/out_$name")" ]; then
        fail "$name" "left output in --out: $(ls -A "$T/out_$name")"
    elif [ -n "$left" ]; then
        fail "$name" "processes left behind: $left"
    else
        ok "$name"
    fi
}

# --- every libhdf5 crash/hang input in fuzz/known/ (all subfolders) -------------------------
# Expected: a hang names the 5 s limit for the file's structure; the others give whatever
# they come to: a crash its signal (checked below), inputs that libhdf5 survives in a plain
# build (the memory cap ends the runaway allocation; leaks, heap overflows that only ASan
# sees) the reader's own message. Under AddressSanitizer some end the child with a report
# (an exit status) instead of SIGSEGV, so the signal is only checked in plain builds.
n_known=0
for f in "$ROOT"/fuzz/known/*/*-stc.h5; do
    [ -f "$f" ] || continue
    n_known=$((n_known + 1))
    base=$(basename "$f" -stc.h5)
    mkdir -p "$T/known"
    cp "$f" "$T/known/$base-stc.h5"
    case $base in
    hang-*) run_bad "h5iso_known_$base" 8 "did not finish reading the file's structure within 5 s" "$T/known/$base" ;;
    *) run_bad "h5iso_known_$base" 4 "" "$T/known/$base" ;;
    esac
done
[ "$n_known" -ge 12 ] && ok h5iso_known_inputs_found || fail h5iso_known_inputs_found "only $n_known files in fuzz/known/*/"
if ! nm "$CP" 2>/dev/null | grep -q '__asan_init'; then
    for b in SEGV-H5F__accum_read SEGV-H5HG_read crash-libhdf5-h5hg-read-memcpy; do
        [ -f "$T/known/$b-stc.h5" ] &&
            run_bad "h5iso_crash_signal_$b" 4 "libhdf5 crashed reading it (signal 11, SIGSEGV); the file is corrupt" "$T/known/$b"
    done
fi

# --- the options ------------------------------------------------------------------------
HANG="$T/known/hang-libhdf5-h5hg-vlen-title"
run_bad h5iso_timeout_env 3 "libhdf5 did not finish reading it within the 1 s limit" "$HANG" CPERM_H5_TIMEOUT=1
run_bad h5iso_timeout_env_bad 2 "CPERM_H5_TIMEOUT='soon' is not a positive number of seconds" "$HANG" CPERM_H5_TIMEOUT=soon
run_bad h5iso_isolate_env_bad 2 "CPERM_H5_ISOLATE='yes': use 1" "$HANG" CPERM_H5_ISOLATE=yes
# In-process (CPERM_H5_ISOLATE=0) the same crash input takes the whole program down: not
# the clean one-line error (this is what the isolation prevents).
printf '%s\n%s\n' "$T/known/SEGV-H5F__accum_read" "$T/known/SEGV-H5F__accum_read" >"$T/list.txt"
CPERM_H5_ISOLATE=0 $LIMIT "$CP" onesample --a "@$T/list.txt" --src "$SRC" --magnitude --out "$T/out_inproc" \
    >/dev/null 2>"$T/stderr"
rc=$?
if [ "$rc" -ne 1 ] || [ "$(wc -l <"$T/stderr")" -ne 1 ]; then
    ok h5iso_inprocess_crashes
else
    fail h5iso_inprocess_crashes "CPERM_H5_ISOLATE=0 did not read in-process (exit 1 with: $(cat "$T/stderr"))"
fi

# --- valid -stc.h5 studies: identical outputs isolated and in-process ---------------------
# same_outputs NAME ARGS...: onesample twice (child / in-process), outputs byte-identical.
same_outputs() {
    name=$1
    shift
    rm -rf "$T/iso" "$T/inp"
    $LIMIT "$CP" onesample "$@" --out "$T/iso" >"$T/iso.log" 2>&1
    rc1=$?
    CPERM_H5_ISOLATE=0 $LIMIT "$CP" onesample "$@" --out "$T/inp" >"$T/inp.log" 2>&1
    rc2=$?
    if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ]; then
        fail "$name" "exit status $rc1 (child) / $rc2 (in-process): $(tail -3 "$T/iso.log") / $(tail -3 "$T/inp.log")"
        return
    fi
    for o in tobs-lh.stc tobs-rh.stc h0.txt; do
        if [ ! -s "$T/iso/$o" ] || ! cmp -s "$T/iso/$o" "$T/inp/$o"; then
            fail "$name" "$o differs between the child and the in-process read"
            return
        fi
    done
    if ! cmp -s "$T/iso.log" "$T/inp.log"; then
        fail "$name" "the logs differ: $(diff "$T/iso.log" "$T/inp.log" | head -5)"
        return
    fi
    ok "$name"
}
if "$PYTHON" -c 'import h5py' 2>/dev/null; then
    # 4 subjects x 2 conditions, vector (1284 x 3 x 40: 1.2 MB of float64 a file, more than
    # one block of the stream) and scalar.
    "$PYTHON" "$HERE/h5io_write.py" "$T/vec" --subjects 4 --grade 3 --n-times 40 --seed 3 &&
        "$PYTHON" "$HERE/h5io_write.py" "$T/sca" --subjects 4 --grade 3 --n-times 40 --seed 4 --scalar ||
        fail h5iso_study_setup "tests/h5io_write.py failed"
    A=mne_dSPM_inverse_morph-faces_eq
    B=mne_dSPM_inverse_morph-scrambled_eq
    same_outputs h5iso_vector_study_identical --a "$T/vec/sub*/$A" --b "$T/vec/sub*/$B" --src "$SRC" \
        --magnitude --p-threshold 0.05 --n-permutations 64 --seed 0
    same_outputs h5iso_scalar_study_identical --a "$T/sca/sub*/$A" --b "$T/sca/sub*/$B" --src "$SRC" \
        --p-threshold 0.05 --n-permutations 64 --seed 0
    [ -z "$(leftovers)" ] && ok h5iso_no_process_left || fail h5iso_no_process_left "$(leftovers)"
else
    fail h5iso_study_setup "python3-h5py is needed to write the -stc.h5 studies"
fi
# A file MNE 1.3 wrote (tests/data/mne-h5, ico-3 vertices), as two subjects.
MNE_H5="$HERE/data/mne-h5/vec_small-stc.h5"
if [ -f "$MNE_H5" ]; then
    mkdir -p "$T/mne/s1" "$T/mne/s2"
    cp "$MNE_H5" "$T/mne/s1/vec-stc.h5"
    cp "$MNE_H5" "$T/mne/s2/vec-stc.h5"
    same_outputs h5iso_mne_written_identical --a "$T/mne/s*/vec" --src "$SRC" --magnitude \
        --t-threshold 2 --n-permutations all --seed 0
else
    fail h5iso_mne_written_identical "$MNE_H5 missing"
fi
exit $failed
