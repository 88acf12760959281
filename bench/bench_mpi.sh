#!/bin/sh
# bench_mpi.sh - clusterperm-mpi's scaling (issue 16), measured on this machine: the seed's
# case (the demo study: 16 subjects x ico-5 x 40 times, p = 0.001, sigma 1e-3) and exact TFCE
# (16 x ico-5 x 10 times) with 1, 2 and 4 ranks of one thread each against clusterperm -j 1,
# wall time of the whole command and of the permutations; then the model: per-permutation
# time t (measured), the serial part s (reading, the observed map, outputs: measured with 0
# permutations), the H0 bytes each rank exchanges (8 bytes per permutation per pass), and
# projections to 16 and 64 nodes like this one for the seed case at 10^5 permutations and
# TFCE on ico-5 x 100 times at 10^4 permutations.
# Usage: sh bench/bench_mpi.sh [BUILD_DIR] [N_PERMUTATIONS]
BUILD=${1:-build}
NPERM=${2:-2048}
CP="$BUILD/clusterperm"
MPI="$BUILD/clusterperm-mpi"
[ -x "$MPI" ] || { echo "bench_mpi: $MPI not built (Open MPI's mpicc missing): not given"; exit 0; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-bmpi.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
"$CP" simulate "$T/s" >/dev/null 2>&1 || { echo "bench_mpi: simulate failed"; exit 1; }
"$CP" simulate "$T/t" --n-times 10 --seed 1 >/dev/null 2>&1 || exit 1
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
SEED="onesample --a $T/s/sub*/$F --b $T/s/sub*/$S --src $T/s/fsaverage-ico5-src.fif --tmin 0
      --magnitude --p-threshold 0.001 --sigma 1e-3 --seed 0 -q -j 1"
TFCE="onesample --a $T/t/sub*/$F --b $T/t/sub*/$S --src $T/t/fsaverage-ico5-src.fif
      --tfce --seed 0 -q -j 1"
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }  # no bc on a fresh Debian
# best of 2 wall times of a command
timed() {
    best=""
    for rep in 1 2; do
        t0=$(now)
        "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; echo nan; return; }
        t1=$(now)
        t=$(calc "$t1 - $t0")
        if [ -z "$best" ] || [ "$(awk "BEGIN { print ($t < $best) }")" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
# how the ranks get the data: every rank reads (clusterperm-mpi) or rank 0 reads + MPI_Bcast
mpicc -O2 -Iinclude -o "$T/bench_mpi_data" bench/bench_mpi_data.c "$BUILD/libclusterperm.a" \
    $(pkg-config --libs zlib cairo hdf5-serial matio libzip qhull_r 2>/dev/null) -fopenmp -lm 2>"$T/cc.err" ||
    { echo "bench_mpi: cannot build bench_mpi_data: $(head -3 "$T/cc.err")"; }
STEMS=$(ls -d "$T"/s/sub*/ | sed "s|/$|/$F|")
for n in 2 4; do
    # shellcheck disable=SC2086
    [ -x "$T/bench_mpi_data" ] && mpirun -n $n "$T/bench_mpi_data" $STEMS
done
NT=${NTFCE:-64}
echo "clusterperm-mpi scaling on $(nproc) cores ($(uname -m)); $NPERM permutations (seed case), $NT (TFCE)"
# shellcheck disable=SC2086
s_seed=$(timed "$CP" $SEED --n-permutations 1 --out "$T/o0")
# shellcheck disable=SC2086
s_tfce=$(timed "$CP" $TFCE --n-permutations 1 --out "$T/o0t")
# shellcheck disable=SC2086
base=$(timed "$CP" $SEED --n-permutations "$NPERM" --out "$T/o1")
# shellcheck disable=SC2086
tbase=$(timed "$CP" $TFCE --n-permutations "$NT" --out "$T/o1t")
echo "(wall: the whole command, best of 2; permutations: wall minus the same command with 1"
echo "permutation, so mpirun's start-up and the serial part are left out; speed-up of the permutations)"
printf '\n| ranks x threads | seed case: wall s | permutations s | speed-up | TFCE: wall s | permutations s | speed-up |\n'
printf '|---|---|---|---|---|---|---|\n'
printf '| clusterperm -j 1 | %.2f | %.2f | 1.00 | %.2f | %.2f | 1.00 |\n' "$base" \
    "$(calc "$base - $s_seed")" "$tbase" "$(calc "$tbase - $s_tfce")"
for n in 1 2 4; do
    # the serial part under mpirun (its start-up included), then the whole run
    # shellcheck disable=SC2086
    ws=$(timed mpirun -n $n "$MPI" $SEED --n-permutations 1 --out "$T/m0")
    # shellcheck disable=SC2086
    tws=$(timed mpirun -n $n "$MPI" $TFCE --n-permutations 1 --out "$T/mt0")
    # shellcheck disable=SC2086
    w=$(timed mpirun -n $n "$MPI" $SEED --n-permutations "$NPERM" --out "$T/m$n")
    # shellcheck disable=SC2086
    tw=$(timed mpirun -n $n "$MPI" $TFCE --n-permutations "$NT" --out "$T/mt$n")
    p=$(calc "$w - $ws") tp=$(calc "$tw - $tws")
    printf '| %d x 1 | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n' "$n" "$w" "$p" \
        "$(calc "($base - $s_seed) / $p")" "$tw" "$tp" "$(calc "($tbase - $s_tfce) / $tp")"
done
t_perm=$(calc "($base - $s_seed) / $NPERM")
t_tfce=$(calc "($tbase - $s_tfce) / $NT")
echo
echo "measured: serial part (read, observed map, outputs) seed case $(printf %.2f "$s_seed") s, TFCE $(printf %.2f "$s_tfce") s;"
echo "per permutation on one core: seed case $(printf %.3f "$(calc "$t_perm * 1000")") ms, exact TFCE ico-5 x 10 $(printf %.1f "$(calc "$t_tfce * 1000")") ms."
echo "H0 exchange: each rank contributes 8 N / R bytes per pass and receives 8 N (R - 1) / R"
echo "(Allgatherv in rounds of 2048 permutations per rank); the data are read by every rank."
echo
echo "model: T(R nodes of C cores) = s + P t N / (R C) + rounds x (alpha log2 R) + 8 N / bandwidth;"
echo "alpha = 5e-6 s, 10 Gb/s; TFCE on ico-5 x 100 times: t x 10 (points), s x 10 (data)."
printf '\n| case | N | 1 node (%d cores) | 16 nodes | 64 nodes | bytes per rank per pass |\n' "$(nproc)"
printf '|---|---|---|---|---|---|\n'
C=$(nproc)
model() { # name N t s
    awk -v name="$1" -v N="$2" -v t="$3" -v s="$4" -v C="$C" 'BEGIN {
        split("1 16 64", R, " "); line = "| " name " | " N;
        for (i = 1; i <= 3; i++) {
            r = R[i]; rounds = N / (2048 * r); if (rounds < 1) rounds = 1;
            lg = (r > 1) ? log(r) / log(2) : 0;
            T = s + t * N / (r * C) + rounds * 5e-6 * lg + 8 * N / 1.25e9;
            line = line sprintf(" | %.1f s", T);
        }
        printf "%s | %.0f kB |\n", line, 8 * N / 1000 }'
}
model "seed case (16 x ico-5 x 40, p = 0.001)" 100000 "$t_perm" "$s_seed"
model "exact TFCE, 16 x ico-5 x 100" 10000 "$(calc "$t_tfce * 10")" "$(calc "$s_tfce * 10")"
