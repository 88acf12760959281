#!/bin/sh
# cli_valgrind.sh - the demo pipeline (a small `simulate` + `onesample` with crop, magnitude,
# paired contrast, step-down, 2 threads, --checkpoint, report), a TFCE run with two
# step-down passes, tests/unit_stepdown and tests/unit_checkpoint (the engine's per-pass
# step-down counts, which TFCE and resumed runs once left unwritten) and two error paths
# under valgrind --leak-check=full: no invalid access, no uninitialised use, no leak
# (libgomp's idle worker threads, alive at exit, are suppressed). Prints "ok NAME" /
# "FAIL NAME: why", or one "SKIP" line if valgrind is not installed.
# Usage: sh tests/cli_valgrind.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP cli_valgrind: valgrind is not installed"
    exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-vg.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
if [ ! -x "$CP" ]; then
    fail vg_binary "$CP not built"
    exit 1
fi
if nm "$CP" 2>/dev/null | grep -q '__asan_init'; then
    echo "SKIP cli_valgrind: $CP is built with AddressSanitizer (valgrind cannot run it)"
    exit 0
fi
cat >"$T/supp" <<'EOF'
{
   libgomp_idle_thread_pool_tls
   Memcheck:Leak
   match-leak-kinds: possible
   fun:calloc
   ...
   fun:_dl_allocate_tls
   ...
   fun:pthread_create*
   obj:*libgomp.so*
}
EOF
# vg NAME WANT_STATUS ARGS...: valgrind's own findings exit 99, so they cannot pass as the
# program's expected status.
vg() {
    name=$1 want=$2
    shift 2
    vg_prog "$name" "$want" "$CP" "$@"
}
# vg_prog NAME WANT_STATUS PROGRAM ARGS...: the same for any program
vg_prog() {
    name=$1 want=$2
    shift 2
    valgrind -q --suppressions="$T/supp" --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
        --error-exitcode=99 "$@" >"$T/out.txt" 2>"$T/vg.txt"
    rc=$?
    if [ $rc -eq "$want" ] && ! grep -q '^==[0-9]*==' "$T/vg.txt"; then
        ok "$name"
    else
        fail "$name" "status $rc (want $want): $(grep -v '^clusterperm' "$T/vg.txt" | head -40)"
    fi
}
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
vg vg_simulate 0 simulate "$T/s" --grade 2 --subjects 5 --n-times 12 --seed 1
SRC="$T/s/fsaverage-ico2-src.fif"
vg vg_onesample_demo 0 onesample --a "$T/s/sub*/$F" --b "$T/s/sub*/$S" --src "$SRC" --tmin 0 --magnitude \
    --p-threshold 0.05 --sigma 1e-3 --n-permutations 64 --step-down-p 0.05 -j 2 --p-summary 1 \
    --out "$T/res" --checkpoint "$T/ck" --checkpoint-interval 0
[ -s "$T/res/tobs-lh.stc" ] && [ -s "$T/res/clusters.json" ] && [ ! -e "$T/ck" ] && ok vg_onesample_outputs ||
    fail vg_onesample_outputs "$(ls -A "$T/res" 2>&1)"
# TFCE with step-down on an ico-3 study: the faces alone (positive dSPM values) make every
# point significant in the first pass, so a second pass runs with all of them excluded.
vg vg_simulate_ico3 0 simulate "$T/s3" --grade 3 --subjects 8 --n-times 10
vg vg_tfce_step_down 0 onesample --a "$T/s3/sub*/$F" --src "$T/s3/fsaverage-ico3-src.fif" --tfce \
    --step-down-p 0.05 -j 2 --out "$T/tfce"
if grep -q '"n_step_downs": 2,' "$T/tfce/tfce.json" 2>/dev/null && [ -s "$T/tfce/tfce-p-lh.stc" ]; then
    ok vg_tfce_step_down_two_passes
else
    fail vg_tfce_step_down_two_passes "$(grep n_step_downs "$T/tfce/tfce.json" 2>&1)"
fi
# The engine's step-down counts and checkpoints (TFCE and clusters, resumed in a later
# pass) through their unit tests: every check must pass under valgrind too.
for unit in unit_stepdown:17 unit_checkpoint:39; do
    u=${unit%:*} min=${unit#*:}
    if [ -x "$BUILD/tests/$u" ]; then
        vg_prog "vg_$u" 0 "$BUILD/tests/$u"
        n_ok=$(grep -c '^ok ' "$T/out.txt")
        [ "$n_ok" -ge "$min" ] && ! grep -q '^FAIL' "$T/out.txt" && ok "vg_${u}_checks ($n_ok ok)" ||
            fail "vg_${u}_checks" "$n_ok ok (want $min): $(grep -v '^ok ' "$T/out.txt" | head -5)"
    else
        fail "vg_$u" "$BUILD/tests/$u not built"
    fi
done
head -c 100 "$T/s/sub003/$F-lh.stc" >"$T/cut-lh.stc"
cp "$T/s/sub003/$F-rh.stc" "$T/cut-rh.stc"
printf '%s\n%s\n%s\n' "$T/s/sub001/$F" "$T/s/sub002/$F" "$T/cut" >"$T/list.txt"
vg vg_error_path_truncated_stc 1 onesample --a "@$T/list.txt" --src "$SRC" --out "$T/bad"
echo "not a checkpoint" >"$T/ck"
vg vg_error_path_bad_checkpoint 1 onesample --a "$T/s/sub*/$F" --src "$SRC" --out "$T/bad" --checkpoint "$T/ck"
exit $failed
