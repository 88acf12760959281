#!/bin/sh
# cli_checkpoint.sh - `clusterperm onesample --checkpoint FILE`: a run stopped by SIGTERM or
# SIGINT saves and exits 128+signal; a run killed with -9 at a random moment resumes from its
# last periodic save; either way the final outputs are byte-identical to an uninterrupted
# run and the checkpoint is deleted. Every resume reports, from the engine's counts, how many
# permutations the checkpoint carried and how many it computed; those must be exactly what
# the checkpoint file says was done and the rest (a resume that started over would compute
# them all). A resume in the second step-down pass reports every pass as the reference
# does. A checkpoint of other inputs/parameters, a corrupt one and an unwritable one are
# refused with a clear message. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_checkpoint.sh [BUILD_DIR]; REPEAT=N sets the kill -9 rounds (default 3;
# tests/stress_checkpoint.sh runs 20).
BUILD=${1:-${CPERM_BUILD:-build}}
REPEAT=${REPEAT:-3}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-ckpt.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ]; then
    fail ckpt_binary "$CP not built"
    exit 1
fi

# 16 subjects (2^15 sign patterns: 10000 drawn orders, 10 chunks of 1024), ico-2, paired.
"$CP" simulate "$T/s" --grade 2 --subjects 16 --n-times 20 --seed 7 >/dev/null 2>&1 ||
    { fail ckpt_setup "simulate failed"; exit 1; }
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
ARGS="--a $T/s/sub*/$F --b $T/s/sub*/$S --src $T/s/fsaverage-ico2-src.fif --t-threshold 1.5 --n-permutations 10000 --step-down-p 0.05"
CK="$T/run.ckpt"

# same_outputs NAME DIR [SKIP]: every file of the reference run is in DIR with the same
# bytes (but SKIP, which only has to exist), and DIR holds nothing else.
same_outputs() {
    name=$1 dir=$2 skip=${3:-}
    if [ "$(ls -A "$T/ref")" != "$(ls -A "$dir" 2>/dev/null)" ]; then
        fail "$name" "files differ: $(ls -A "$dir" 2>/dev/null | tr '\n' ' ') vs $(ls -A "$T/ref" | tr '\n' ' ')"
        return 1
    fi
    for f in "$T"/ref/*; do
        [ "$(basename "$f")" = "$skip" ] && continue
        if ! cmp -s "$f" "$dir/$(basename "$f")"; then
            fail "$name" "$(basename "$f") differs from the uninterrupted run"
            return 1
        fi
    done
    ok "$name"
}

# ck_u64 FILE OFFSET: a little-endian u64 of a checkpoint file. The CLI's header is 24 bytes
# (magic, inputs hash, blob size), then the library's blob: magic, fingerprint, n_orders,
# pass (0-based), done (orders finished in that pass), n_removed, ...
ck_u64() {
    od -An -v -t u1 -j "$2" -N 8 "$1" | awk '{ for (i = NF; i >= 1; i--) v = v * 256 + $i } END { printf "%.0f\n", v }'
}
# ck_state FILE: sets ck_pass and ck_done from the file (before resuming from it)
ck_state() {
    ck_pass=$(ck_u64 "$1" 48)
    ck_done=$(ck_u64 "$1" 56)
}
# expect_counts NAME ERR PASS DONE PASSES [N]: the resumed run's stderr reports DONE of N
# permutations of 0-based pass PASS restored and exactly the rest computed: the rest of that
# pass and all N of each later one (PASSES passes in all).
expect_counts() { # (sh has no local variables: ec_*)
    ec_pass=$3 ec_done=$4 ec_passes=$5 ec_n=${6:-9999}
    ec_want=$(( (ec_n - ec_done) + (ec_passes - 1 - ec_pass) * ec_n ))
    if [ "$ec_passes" -gt 1 ] || [ "$ec_pass" -gt 0 ]; then
        ec_line="clusterperm: resumed from checkpoint $CK: $ec_done of $ec_n permutations of step-down pass $((ec_pass + 1)) of $ec_passes done, computed $ec_want in this run"
    else
        ec_line="clusterperm: resumed from checkpoint $CK: $ec_done of $ec_n permutations done, computed $ec_want in this run"
    fi
    if grep -qxF "$ec_line" "$2"; then
        ok "$1"
    else
        fail "$1" "want '$ec_line'; stderr: $(cat "$2")"
    fi
}

# wait_for FILE: until it exists (at most ~20 s)
wait_for() {
    i=0
    while [ ! -e "$1" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
    [ -e "$1" ]
}

start=$(date +%s.%N)
"$CP" onesample $ARGS --out "$T/ref" >/dev/null 2>"$T/err" || { fail ckpt_reference "$(cat "$T/err")"; exit 1; }
ref_secs=$(echo "$start $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
n_h0=$(wc -l <"$T/ref/h0.txt")
[ "$n_h0" -eq 10000 ] && ok ckpt_reference_run || fail ckpt_reference_run "h0.txt has $n_h0 lines"
# its passes (1 here: nothing is significant, so step-down stops after its first pass)
passes=$(sed -n 's/^ *"n_step_downs": \([0-9]*\),*$/\1/p' "$T/ref/clusters.json")
[ "$passes" = 1 ] && ok ckpt_reference_passes || fail ckpt_reference_passes "n_step_downs '$passes'"

# 1. With --checkpoint and no interruption: same outputs, no checkpoint left.
"$CP" onesample $ARGS --out "$T/plain" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err"
rc=$?
# (stderr is a file here: besides progress lines, nothing may be printed)
[ $rc -eq 0 ] && [ -z "$(grep -v '^Permuting: ' "$T/err")" ] && [ ! -e "$CK" ] && ok ckpt_uninterrupted_status ||
    fail ckpt_uninterrupted_status "status $rc, checkpoint left: $(ls "$CK" 2>&1), stderr: $(cat "$T/err")"
same_outputs ckpt_uninterrupted_outputs "$T/plain"

# 2. SIGTERM / SIGINT after the first save: save, exit 128+N with a message, resume.
for sig in TERM INT; do
    out="$T/sig$sig"
    rm -f "$CK"
    "$CP" onesample $ARGS --out "$out" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err" &
    pid=$!
    wait_for "$CK"
    kill -s "$sig" $pid
    wait $pid
    rc=$?
    want=143
    [ "$sig" = INT ] && want=130
    ck_state "$CK"
    if [ $rc -eq $want ] && grep -q "^clusterperm: error: interrupted by SIG$sig after $ck_done of 9999 permutations; progress saved to $CK: run the same command again to resume$" "$T/err" &&
        [ -s "$CK" ] && [ ! -e "$out" ] && [ "$ck_pass" -eq 0 ] && [ "$ck_done" -gt 0 ] && [ "$ck_done" -lt 9999 ]; then
        ok "ckpt_sig${sig}_saves_and_stops"
    else
        fail "ckpt_sig${sig}_saves_and_stops" "status $rc (want $want), checkpoint at $ck_done of pass $ck_pass, out: $(ls -A "$out" 2>&1), stderr: $(cat "$T/err")"
    fi
    "$CP" onesample $ARGS --out "$out" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q "^clusterperm: resuming from checkpoint $CK$" "$T/err" && [ ! -e "$CK" ]; then
        ok "ckpt_sig${sig}_resumes"
    else
        fail "ckpt_sig${sig}_resumes" "status $rc, stderr: $(cat "$T/err")"
    fi
    expect_counts "ckpt_sig${sig}_computes_only_the_rest" "$T/err" "$ck_pass" "$ck_done" "$passes"
    same_outputs "ckpt_sig${sig}_identical_outputs" "$out"
done

# 2b. A second SIGTERM kills at once; the last periodic save still resumes.
rm -f "$CK"
"$CP" onesample $ARGS --out "$T/twice" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err" &
pid=$!
wait_for "$CK"
kill -TERM $pid
kill -TERM $pid
wait $pid
rc=$?
ck_state "$CK"
"$CP" onesample $ARGS --out "$T/twice" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err2"
rc2=$?
if [ $rc -eq 143 ] && [ $rc2 -eq 0 ] && grep -q resuming "$T/err2"; then
    same_outputs ckpt_double_sigterm_resumes "$T/twice"
else
    fail ckpt_double_sigterm_resumes "status $rc then $rc2: $(cat "$T/err" "$T/err2")"
fi
expect_counts ckpt_double_sigterm_counts "$T/err2" "$ck_pass" "$ck_done" "$passes"

# 3. A resumed run may use another --jobs and --out.
rm -f "$CK"
"$CP" onesample $ARGS --out "$T/j1" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>&1 &
pid=$!
wait_for "$CK"
kill -TERM $pid
wait $pid
ck_state "$CK"
"$CP" onesample $ARGS --out "$T/j2" -j 2 --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && grep -q resuming "$T/err" && ok ckpt_resume_other_jobs ||
    fail ckpt_resume_other_jobs "status $rc: $(cat "$T/err")"
expect_counts ckpt_resume_other_jobs_counts "$T/err" "$ck_pass" "$ck_done" "$passes"
# clusters.json and report.html record the jobs given; the rest must be the same bytes
sed 's/"jobs": 2,/"jobs": 1,/' "$T/j2/clusters.json" >"$T/j2.json" && mv "$T/j2.json" "$T/j2/clusters.json"
same_outputs ckpt_resume_other_jobs_outputs "$T/j2" report.html

# 4. kill -9 at a random moment of the run, REPEAT times in a row; every time the next run
#    (resuming if a save had happened) gives the reference outputs.
resumed=0 rounds_ok=0
for i in $(seq 1 "$REPEAT"); do
    out="$T/k9"
    rm -rf "$out" "$CK"
    delay=$(awk -v s="$ref_secs" -v i="$i" -v seed="$$" 'BEGIN { srand(seed * 131 + i); printf "%.3f", 0.1 + rand() * s }')
    "$CP" onesample $ARGS --out "$out" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    had=0
    [ -e "$CK" ] && had=1 && ck_state "$CK"
    "$CP" onesample $ARGS --out "$out" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err"
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "ckpt_kill9_round_$i" "resume after kill at ${delay}s: status $rc: $(cat "$T/err")"
        continue
    fi
    grep -q resuming "$T/err" && resumed=$((resumed + 1))
    [ $had -eq 1 ] && ! grep -q resuming "$T/err" && { fail "ckpt_kill9_round_$i" "a checkpoint existed but the run did not resume"; continue; }
    if [ -e "$CK" ]; then fail "ckpt_kill9_round_$i" "checkpoint left after success"; continue; fi
    if [ $had -eq 1 ]; then
        expect_counts "ckpt_kill9_round_$i" "$T/err" "$ck_pass" "$ck_done" "$passes" >"$T/same"
        grep '^FAIL' "$T/same" && continue
    fi
    same_outputs "ckpt_kill9_round_$i" "$out" >"$T/same" && rounds_ok=$((rounds_ok + 1))
    grep '^FAIL' "$T/same"
done
[ "$rounds_ok" -eq "$REPEAT" ] && ok "ckpt_kill9_${REPEAT}_rounds_identical ($resumed resumed from a checkpoint, reference run ${ref_secs}s)" ||
    fail "ckpt_kill9_${REPEAT}_rounds_identical" "$rounds_ok of $REPEAT rounds identical"
# at least one round must really have resumed (random kills may land before the first save
# or after the end); force one that does.
if [ "$resumed" -eq 0 ]; then
    rm -rf "$T/k9b" "$CK"
    "$CP" onesample $ARGS --out "$T/k9b" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>&1 &
    pid=$!
    wait_for "$CK"
    kill -9 $pid
    wait $pid 2>/dev/null
    ck_state "$CK"
    "$CP" onesample $ARGS --out "$T/k9b" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err"
    grep -q resuming "$T/err" && same_outputs ckpt_kill9_after_first_save "$T/k9b" ||
        fail ckpt_kill9_after_first_save "did not resume: $(cat "$T/err")"
    expect_counts ckpt_kill9_after_first_save_counts "$T/err" "$ck_pass" "$ck_done" "$passes"
fi

# 4b. A resume in the second step-down pass (a higher threshold: the effect's cluster is
#     significant, so step-down runs a second pass without it): the checkpoint carries what
#     the first pass excluded, so the log (stdout) is the reference's line for line, and the
#     resume computes only the rest of the second pass. The second pass is caught by
#     polling the checkpoint's pass field (saved after every chunk); up to 3 tries.
ARGS2="${ARGS%--t-threshold*} --t-threshold 2.5 --n-permutations 10000 --step-down-p 0.05"
"$CP" onesample $ARGS2 --out "$T/ref2" >"$T/ref2.log" 2>/dev/null
passes2=$(sed -n 's/^ *"n_step_downs": \([0-9]*\),*$/\1/p' "$T/ref2/clusters.json")
if [ "$passes2" = 2 ] && grep -qx "Step-down-in-jumps iteration #1 found 1 cluster to exclude from subsequent iterations" "$T/ref2.log"; then
    ok ckpt_pass2_reference
else
    fail ckpt_pass2_reference "n_step_downs '$passes2', log: $(cat "$T/ref2.log")"
fi
caught=0
for try in 1 2 3; do
    rm -rf "$T/p2" "$CK"
    "$CP" onesample $ARGS2 --out "$T/p2" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>"$T/err" &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
        if [ -s "$CK" ] && [ "$(ck_u64 "$CK" 48)" = 1 ]; then
            kill -TERM $pid
            break
        fi
        sleep 0.01
    done
    wait $pid
    rc=$?
    [ $rc -eq 143 ] && [ -s "$CK" ] && ck_state "$CK" && [ "$ck_pass" = 1 ] && [ "$ck_done" -gt 0 ] && { caught=1; break; }
done
if [ $caught -eq 1 ]; then
    ok "ckpt_pass2_interrupted (try $try, at $ck_done of 9999)"
    "$CP" onesample $ARGS2 --out "$T/p2" --checkpoint "$CK" --checkpoint-interval 0 >"$T/p2.log" 2>"$T/err"
    rc=$?
    [ $rc -eq 0 ] && cmp -s "$T/ref2.log" "$T/p2.log" && ok ckpt_pass2_same_log ||
        fail ckpt_pass2_same_log "status $rc; log: $(cat "$T/p2.log"); reference: $(cat "$T/ref2.log")"
    expect_counts ckpt_pass2_computes_only_the_rest "$T/err" "$ck_pass" "$ck_done" "$passes2"
    mv "$T/ref" "$T/ref1" && mv "$T/ref2" "$T/ref"
    same_outputs ckpt_pass2_identical_outputs "$T/p2"
    mv "$T/ref" "$T/ref2" && mv "$T/ref1" "$T/ref"
else
    fail ckpt_pass2_interrupted "3 runs ended before a checkpoint in the second pass was caught (last: status $rc, checkpoint at $ck_done of pass $ck_pass)"
fi

# 5. Refusals: make a checkpoint, then run with something else.
rm -f "$CK"
"$CP" onesample $ARGS --out "$T/mk" --checkpoint "$CK" --checkpoint-interval 0 >/dev/null 2>&1 &
pid=$!
wait_for "$CK"
kill -TERM $pid
wait $pid
cp "$CK" "$T/saved.ckpt"

# expect_refused NAME 'message' ARGS...: status 1, the message, no output dir, checkpoint kept
expect_refused() {
    name=$1 msg=$2
    shift 2
    cp "$T/saved.ckpt" "$CK"
    rm -rf "$T/refused"
    "$CP" onesample "$@" --out "$T/refused" --checkpoint "$CK" >/dev/null 2>"$T/err"
    rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$msg" "$T/err" &&
        [ ! -e "$T/refused" ] && cmp -s "$CK" "$T/saved.ckpt"; then
        ok "$name"
    else
        fail "$name" "status $rc, out: $(ls -A "$T/refused" 2>&1), stderr: $(cat "$T/err")"
    fi
}
OTHER="it was saved by a run with other inputs or parameters"
expect_refused ckpt_refuses_other_seed "$OTHER" $ARGS --seed 1
expect_refused ckpt_refuses_other_threshold "$OTHER" ${ARGS%--t-threshold*} --t-threshold 1.6 --n-permutations 10000 --step-down-p 0.05
expect_refused ckpt_refuses_other_permutations "$OTHER" $ARGS --n-permutations 9000
expect_refused ckpt_refuses_unpaired "$OTHER" --a "$T/s/sub*/$F" --src "$T/s/fsaverage-ico2-src.fif" --t-threshold 1.5 --n-permutations 10000 --step-down-p 0.05
expect_refused ckpt_refuses_fewer_subjects "$OTHER" --a "$T/s/sub00*/$F" --b "$T/s/sub00*/$S" --src "$T/s/fsaverage-ico2-src.fif" --t-threshold 1.5 --n-permutations 10000 --step-down-p 0.05
cp -p "$T/s/sub003/$F-lh.stc" "$T/keep.stc"
touch -d '2001-01-01' "$T/s/sub003/$F-lh.stc"
expect_refused ckpt_refuses_touched_input "$OTHER" $ARGS
cp -p "$T/keep.stc" "$T/s/sub003/$F-lh.stc"
# Same size and time, other bytes: the library's fingerprint of the data refuses it.
cp "$T/saved.ckpt" "$CK"
# (byte 1000: a data value; the header of 162 vertices ends at byte 664)
printf '\001' | dd of="$T/s/sub003/$F-lh.stc" bs=1 seek=1000 conv=notrunc 2>/dev/null
touch -r "$T/keep.stc" "$T/s/sub003/$F-lh.stc"
rm -rf "$T/refused"
"$CP" onesample $ARGS --out "$T/refused" --checkpoint "$CK" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -qF "checkpoint: it was made for other data or other parameters; refusing to resume" "$T/err" &&
    [ ! -e "$T/refused" ]; then
    ok ckpt_refuses_changed_data_same_mtime
else
    fail ckpt_refuses_changed_data_same_mtime "status $rc, stderr: $(cat "$T/err")"
fi
cp -p "$T/keep.stc" "$T/s/sub003/$F-lh.stc"

# Corrupt checkpoints.
corrupt() { # NAME 'message' (the file $CK is prepared by the caller)
    rm -rf "$T/refused"
    "$CP" onesample $ARGS --out "$T/refused" --checkpoint "$CK" >/dev/null 2>"$T/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -qF -- "$2" "$T/err" && grep -qF "refusing to resume (delete the file to start over)" "$T/err" &&
        [ ! -e "$T/refused" ]; then
        ok "$1"
    else
        fail "$1" "status $rc, stderr: $(cat "$T/err")"
    fi
}
cp "$T/saved.ckpt" "$CK"
printf 'X' | dd of="$CK" bs=1 seek=100 conv=notrunc 2>/dev/null
corrupt ckpt_refuses_flipped_byte "corrupt checkpoint"
head -c 1000 "$T/saved.ckpt" >"$CK"
corrupt ckpt_refuses_truncated "corrupt checkpoint"
echo "not a checkpoint" >"$CK"
corrupt ckpt_refuses_garbage "not a clusterperm checkpoint (17 bytes)"
: >"$CK"
corrupt ckpt_refuses_empty "not a clusterperm checkpoint (0 bytes)"

# The original checkpoint still resumes after all that.
cp "$T/saved.ckpt" "$CK"
ck_state "$CK"
"$CP" onesample $ARGS --out "$T/late" --checkpoint "$CK" >/dev/null 2>"$T/err" && ok ckpt_resume_after_refusals ||
    fail ckpt_resume_after_refusals "$(cat "$T/err")"
expect_counts ckpt_resume_after_refusals_counts "$T/err" "$ck_pass" "$ck_done" "$passes"
same_outputs ckpt_resume_after_refusals_outputs "$T/late"

# 6. A checkpoint in a missing directory is refused before any work; one that cannot be
# written when it is due (/proc takes no new files, even for root) stops the run with a
# message and no outputs.
"$CP" onesample $ARGS --out "$T/nodir" --checkpoint "$T/no/such/dir/ck" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^clusterperm: error: --checkpoint $T/no/such/dir/ck: directory $T/no/such/dir does not exist$" "$T/err" &&
    [ ! -e "$T/nodir" ]; then
    ok ckpt_missing_dir_refused
else
    fail ckpt_missing_dir_refused "status $rc, stderr: $(cat "$T/err")"
fi
"$CP" onesample $ARGS --out "$T/nockpt" --checkpoint /proc/cperm-ck --checkpoint-interval 0 >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^clusterperm: error: --checkpoint /proc/cperm-ck: cannot save progress: write: /proc/cperm-ck: cannot create temporary file" "$T/err" &&
    [ ! -e "$T/nockpt" ]; then
    ok ckpt_unwritable_stops
else
    fail ckpt_unwritable_stops "status $rc, stderr: $(cat "$T/err")"
fi
"$CP" onesample $ARGS --out "$T/x" --checkpoint "$CK" --checkpoint-interval -1 >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -qF -- "--checkpoint-interval '-1' must be a number of seconds >= 0" "$T/err" &&
    ok ckpt_bad_interval || fail ckpt_bad_interval "status $rc: $(cat "$T/err")"
exit $failed
