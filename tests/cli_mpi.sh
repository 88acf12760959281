#!/bin/sh
# cli_mpi.sh - clusterperm-mpi (issue 16) against clusterperm: `mpirun --oversubscribe -n 1,
# 2 and 4` give outputs byte-identical to `clusterperm ... -j 2` (clusters.json and
# report.html up to their "jobs" and "ranks" entries) on the demo study (cluster mass with
# step-down) and on a TFCE run; one rank killed with SIGKILL mid-run ends the job with a
# non-zero exit and leaves the output directory untouched; with --checkpoint the same
# command run again resumes and gives the same outputs; a rank that fails before the
# permutations (MPMD: another --a) or runs another command (another --seed) ends the job
# with one error naming the rank. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_mpi.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
MPI="$BUILD/clusterperm-mpi"
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$MPI" ]; then
    # the sanitizer build leaves it out (make check-sanitize: MPICC=), as Open MPI's own
    # allocations trip LeakSanitizer; every other build with mpicc present has it
    case "$BUILD" in
    *san*) ok "mpi_not_in_sanitizer_build"; exit 0 ;;
    esac
    fail mpi_binary "$MPI not built (is Open MPI's mpicc installed? tools/ensure-deps.sh)"
    exit 1
fi
command -v mpirun >/dev/null 2>&1 || { fail mpi_mpirun "mpirun not found (openmpi-bin)"; exit 1; }
# CI runs as root in a container: Open MPI refuses root without these, and its shared-memory
# transport cannot use cross-memory attach there
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-mpi.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

"$CP" simulate "$T/demo" >/dev/null 2>&1 || { fail mpi_setup "simulate (the demo study) failed"; exit 1; }
"$CP" simulate "$T/small" --grade 4 --subjects 12 --n-times 16 --seed 5 >/dev/null 2>&1 ||
    { fail mpi_setup "simulate failed"; exit 1; }
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq

# Every file of $1 equals $2's; clusters.json, tfce.json and report.html up to jobs/ranks.
strip() {
    sed -e '/^ *"jobs": /d' -e '/^ *"ranks": /d' \
        -e '/^<tr><th>ranks<\/th><td>[0-9]*<\/td><\/tr>$/d' \
        -e 's|<tr><th>jobs</th><td>[-0-9]*</td></tr>||g' "$1"
}
same_outputs() {
    name=$1 ref=$2 got=$3
    bad=""
    for f in "$ref"/*; do
        b=$(basename "$f")
        case "$b" in
        clusters.json | tfce.json | report.html)
            strip "$f" >"$T/a"; strip "$got/$b" >"$T/b" 2>/dev/null
            cmp -s "$T/a" "$T/b" || bad="$bad $b" ;;
        *) cmp -s "$f" "$got/$b" || bad="$bad $b" ;;
        esac
    done
    n_ref=$(ls "$ref" | wc -l) n_got=$(ls "$got" 2>/dev/null | wc -l)
    [ "$n_ref" = "$n_got" ] || bad="$bad (files: $n_ref vs $n_got)"
    if [ -z "$bad" ] && [ "$n_ref" -ge 5 ]; then ok "$name"; else fail "$name" "differs:$bad"; fi
}
state() { (cd "$1" && find . | LC_ALL=C sort && find . -type f -exec cksum {} + | LC_ALL=C sort); }

# --- 1. the demo study, the seed's command with step-down: 1, 2, 4 ranks vs -j 2
DEMO="onesample --a $T/demo/sub*/$F --b $T/demo/sub*/$S --src $T/demo/fsaverage-ico5-src.fif
      --tmin 0 --magnitude --p-threshold 0.01 --sigma 1e-3 --n-permutations 512 --seed 0
      --step-down-p 0.3 -q"
# shellcheck disable=SC2086
"$CP" $DEMO -j 2 --out "$T/ref" 2>"$T/err" || fail mpi_demo_reference "$(cat "$T/err")"
grep -q '"n_step_downs": [2-9]' "$T/ref/clusters.json" ||
    fail mpi_demo_stepdown "the reference made no second step-down pass (test too weak)"
for n in 1 2 4; do
    # shellcheck disable=SC2086
    mpirun -n $n "$MPI" $DEMO --out "$T/m$n" >"$T/out$n" 2>"$T/err$n"
    rc=$?
    if [ $rc -ne 0 ]; then fail "mpi_demo_n$n" "exit $rc: $(tail -3 "$T/err$n")"; continue; fi
    same_outputs "mpi_demo_n$n" "$T/ref" "$T/m$n"
    grep -q "\"ranks\": $n" "$T/m$n/clusters.json" || fail "mpi_demo_n${n}_ranks" "clusters.json lacks ranks $n"
done

# --- 2. TFCE (exact), one sample, 1, 2, 4 ranks vs -j 2
TF="onesample --a $T/small/sub*/$F --b $T/small/sub*/$S --src $T/small/fsaverage-ico4-src.fif
    --tfce --n-permutations 96 --seed 3 -q"
# shellcheck disable=SC2086
"$CP" $TF -j 2 --out "$T/tref" 2>"$T/err" || fail mpi_tfce_reference "$(cat "$T/err")"
for n in 1 2 4; do
    # shellcheck disable=SC2086
    mpirun -n $n "$MPI" $TF --out "$T/t$n" >/dev/null 2>"$T/err$n"
    rc=$?
    if [ $rc -ne 0 ]; then fail "mpi_tfce_n$n" "exit $rc: $(tail -3 "$T/err$n")"; continue; fi
    same_outputs "mpi_tfce_n$n" "$T/tref" "$T/t$n"
done

# --- 2b. the other designs: independent F with step-down, repeated measures, .npy arrays
SRC4="$T/small/fsaverage-ico4-src.fif"
IND="independent --group $T/small/sub00[1-6]/$F --group $T/small/sub0[01][0-9]/$S --src $SRC4
     --p-threshold 0.05 --n-permutations 200 --step-down-p 0.3 --seed 2 -q"
RM="rm-anova --factors 2 --effect A --cell $T/small/sub*/$F --cell $T/small/sub*/$S --src $SRC4
    --n-permutations 200 --seed 6 -q"
"${PYTHON:-/usr/bin/python3}" -c "import numpy as np; r = np.random.RandomState(0); x = r.randn(10, 12, 30); x[:, 3:7, 4:9] += 1.2; np.save('$T/arr.npy', x)" ||
    fail mpi_arrays_setup "numpy could not write the array"
ARR="onesample --a $T/arr.npy --dims time,chan --t-threshold 2 --n-permutations 300 --seed 1 -q"
for case in IND RM ARR; do
    eval "cmd=\$$case"
    # shellcheck disable=SC2086
    "$CP" $cmd -j 2 --out "$T/$case-ref" 2>"$T/err" || { fail "mpi_${case}_reference" "$(cat "$T/err")"; continue; }
    for n in 2 3; do
        # shellcheck disable=SC2086
        mpirun -n $n "$MPI" $cmd --out "$T/$case-$n" >/dev/null 2>"$T/err$n" ||
            { fail "mpi_${case}_n$n" "$(tail -3 "$T/err$n")"; continue; }
        same_outputs "mpi_${case}_n$n" "$T/$case-ref" "$T/$case-$n"
    done
done

# --- 3. a rank killed with SIGKILL mid-run: non-zero exit, the output directory untouched
# (exact TFCE, so that the run is still permuting when the kill comes: 12 subjects allow
# 2047 sign flips, and the cluster-mass kernel now finishes them within the half second)
LONG="onesample --a $T/small/sub*/$F --b $T/small/sub*/$S --src $T/small/fsaverage-ico4-src.fif
      --tfce --n-permutations 2000 --seed 1"
cp -rp "$T/m2" "$T/killed"
echo "my notes" >"$T/killed/notes.txt"
state "$T/killed" >"$T/state.before"
# shellcheck disable=SC2086
mpirun -n 2 "$MPI" $LONG --out "$T/killed" >"$T/kill.out" 2>"$T/kill.err" &
mpipid=$!
i=0
while [ $i -lt 300 ] && ! grep -q "^Permuting" "$T/kill.out" "$T/kill.err" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
victim=$(pgrep -f "clusterperm-mpi onesample --a $T/small" | tail -1)
if [ -z "$victim" ]; then
    fail mpi_kill_setup "no rank process found to kill"
    kill $mpipid 2>/dev/null
else
    kill -9 "$victim"
fi
wait $mpipid
rc=$?
state "$T/killed" >"$T/state.after"
if [ $rc -eq 0 ]; then
    fail mpi_kill_exit "mpirun exited 0 after a rank was killed"
elif ! cmp -s "$T/state.before" "$T/state.after"; then
    fail mpi_kill_untouched "the output directory changed: $(diff "$T/state.before" "$T/state.after" | head -5 | tr '\n' ' ')"
else
    ok mpi_kill_exit_and_untouched
fi
grep -qi "signal 9\|killed" "$T/kill.err" && grep -qi "rank" "$T/kill.err" &&
    ok mpi_kill_names_rank || fail mpi_kill_message "stderr does not name the rank and the signal: $(tail -5 "$T/kill.err")"

# --- 4. checkpoint under MPI: killed, then the same command resumes; identical outputs
CK="onesample --a $T/small/sub*/$F --b $T/small/sub*/$S --src $T/small/fsaverage-ico4-src.fif
    --p-threshold 0.05 --n-permutations 30000 --seed 4 --step-down-p 0.5 -q"
# shellcheck disable=SC2086
"$CP" $CK -j 2 --out "$T/ckref" 2>"$T/err" || fail mpi_ckpt_reference "$(cat "$T/err")"
# shellcheck disable=SC2086
mpirun -n 2 "$MPI" $CK --checkpoint "$T/run.ckpt" --checkpoint-interval 0 --out "$T/ck" \
    >/dev/null 2>"$T/ck.err" &
mpipid=$!
i=0
while [ $i -lt 300 ] && [ ! -s "$T/run.ckpt" ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
victim=$(pgrep -f "clusterperm-mpi onesample --a $T/small.*run.ckpt" | head -1)
[ -n "$victim" ] && kill -9 "$victim"
wait $mpipid
rc1=$?
if [ ! -s "$T/run.ckpt" ] || [ $rc1 -eq 0 ] || [ -e "$T/ck/clusters.json" ]; then
    fail mpi_ckpt_killed "exit $rc1, checkpoint $(ls -l "$T/run.ckpt" 2>&1), outputs $(ls "$T/ck" 2>&1)"
else
    ok mpi_ckpt_killed_with_checkpoint
fi
# shellcheck disable=SC2086
mpirun -n 2 "$MPI" $CK --checkpoint "$T/run.ckpt" --checkpoint-interval 0 --out "$T/ck" \
    >/dev/null 2>"$T/ck2.err"
rc=$?
if [ $rc -ne 0 ]; then
    fail mpi_ckpt_resume "exit $rc: $(tail -3 "$T/ck2.err")"
else
    grep -q "resuming from checkpoint" "$T/ck2.err" && ok mpi_ckpt_resumed ||
        fail mpi_ckpt_resumed "no 'resuming from checkpoint' on stderr: $(cat "$T/ck2.err")"
    same_outputs mpi_ckpt_identical "$T/ckref" "$T/ck"
    [ ! -e "$T/run.ckpt" ] && ok mpi_ckpt_removed || fail mpi_ckpt_removed "checkpoint left after success"
fi

# --- 5. failures: one rank's bad input (MPMD), ranks given different commands
SMALL="--b $T/small/sub*/$S --src $T/small/fsaverage-ico4-src.fif --p-threshold 0.05 --n-permutations 16 -q"
# shellcheck disable=SC2086
mpirun -n 1 "$MPI" onesample --a "$T/small/sub*/$F" $SMALL --out "$T/f1" : \
    -n 1 "$MPI" onesample --a "$T/small/nosuch*/$F" $SMALL --out "$T/f1" >/dev/null 2>"$T/f1.err"
rc=$?
n_err=$(grep -c "error:" "$T/f1.err")
if [ $rc -ne 0 ] && [ "$n_err" -eq 1 ] && grep -q "clusterperm: error: rank 1: --a: no source estimates match" "$T/f1.err" &&
    [ ! -e "$T/f1" ]; then
    ok mpi_rank_failure_said_once
else
    fail mpi_rank_failure_said_once "exit $rc, $n_err error lines: $(cat "$T/f1.err")"
fi
# shellcheck disable=SC2086
mpirun -n 1 "$MPI" onesample --a "$T/small/sub*/$F" $SMALL --seed 1 --out "$T/f2" : \
    -n 1 "$MPI" onesample --a "$T/small/sub*/$F" $SMALL --seed 2 --out "$T/f2" >/dev/null 2>"$T/f2.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "rank 0: ranks 0 and 1 were given different inputs or parameters" "$T/f2.err" &&
    [ "$(grep -c "error:" "$T/f2.err")" -eq 1 ] && [ ! -e "$T/f2" ]; then
    ok mpi_different_commands_refused
else
    fail mpi_different_commands_refused "exit $rc: $(cat "$T/f2.err")"
fi
# all ranks failing alike (a bad option): one error line, not one per rank
mpirun -n 3 "$MPI" onesample --a x --src y --out "$T/f3" --seed -5 >/dev/null 2>"$T/f3.err"
rc=$?
[ $rc -ne 0 ] && [ "$(grep -c "error:" "$T/f3.err")" -eq 1 ] && grep -q "rank 0: onesample: --seed" "$T/f3.err" &&
    ok mpi_shared_error_said_once || fail mpi_shared_error_said_once "exit $rc: $(cat "$T/f3.err")"
exit $failed
