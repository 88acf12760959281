#!/bin/sh
# cli_tfce_also.sh - `onesample --tfce --also mass,extent` (issue 17): exact TFCE's sweep also
# tests the clusters at the cluster-forming threshold. Against separate runs on the same
# simulated study, seed and permutations: h0-mass.txt equals a plain cluster-mass run's
# h0.txt (rel 1e-12), clusters-mass.tsv its clusters.tsv (statistics and p-values, every
# column); h0-extent.txt and the extent p-values equal MNE 1.3's t_power=0 cluster test on
# the same X (the CLI has no --t-power), the extents the cluster run's sizes; the TFCE
# outputs are those of a run without --also; -j 2 changes nothing; the .npy (--dims) path
# against an arrays cluster run; stale files; bad input (one error line, exit status, no
# outputs). Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_tfce_also.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
PYTHON=${PYTHON:-/usr/bin/python3}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-also.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

[ -x "$CP" ] || { fail also_binary "$CP not built"; exit 1; }
"$CP" simulate "$T/s" --grade 2 --subjects 8 --n-times 10 --seed 5 >/dev/null 2>&1 ||
    { fail also_setup "simulate failed"; exit 1; }
F=mne_dSPM_inverse_morph-faces_eq
S=mne_dSPM_inverse_morph-scrambled_eq
SRC="$T/s/fsaverage-ico2-src.fif"
O="onesample --a $T/s/sub*/$F --b $T/s/sub*/$S --src $SRC"

. "$(dirname "$0")/clilib.sh" # expect_fail NAME STATUS MESSAGE COMMAND ARGS...

# --- bad input: one error line, the status, nothing in --out
expect_fail also_without_tfce 2 "--also mass needs exact TFCE (--tfce" $O --also mass --t-threshold 2
expect_fail also_stepped_tfce 2 "--also mass,extent needs exact TFCE" $O --tfce-steps 0,0.5 --also mass,extent --t-threshold 2
expect_fail also_mne13_tfce 2 "--also extent needs exact TFCE" $O --tfce-formula mne1.3 --tfce-steps 0,0.5 --also extent --t-threshold 2
expect_fail also_unknown_name 2 "--also 'mass,size': unknown statistic 'size' (give mass, extent or mass,extent)" $O --tfce --also mass,size --t-threshold 2
expect_fail also_empty_name 2 "unknown statistic ''" $O --tfce --also mass, --t-threshold 2
expect_fail also_no_threshold 2 "--also mass needs the cluster-forming threshold of its clusters: give --p-threshold P or --t-threshold T" $O --tfce --also mass
expect_fail also_step_down 2 "--also mass does not combine with --step-down-p" $O --tfce --also mass --t-threshold 2 --step-down-p 0.05
expect_fail also_checkpoint 2 "--also extent does not combine with --checkpoint" $O --tfce --also extent --t-threshold 2 --checkpoint "$T/ck"
expect_fail also_independent 2 "unknown option '--also'" independent --group "$T/s/sub*/$F" --group "$T/s/sub*/$S" --src "$SRC" --also mass
expect_fail also_zero_threshold 1 "threshold" $O --tfce --also mass --t-threshold 0
expect_fail also_threshold_without_also 2 "--t-threshold has no effect with TFCE" $O --tfce --t-threshold 2

# --- the runs: TFCE with --also, TFCE alone, the cluster-mass test; the same seed and orders
COMMON="--n-permutations 64 --seed 3 -q"
run() { # NAME ARGS...
    name=$1
    shift
    "$CP" $O $COMMON "$@" --out "$T/$name" >/dev/null 2>"$T/err.$name" ||
        { fail "also_run_$name" "$(cat "$T/err.$name")"; return 1; }
}
run also --tfce --also mass,extent --t-threshold 2 &&
run also_j2 --tfce --also mass,extent --t-threshold 2 -j 2 &&
run tfce --tfce &&
run mass --t-threshold 2 &&
run also_t1 --tfce --also mass --p-threshold 0.05 --tail 1 &&
run mass_t1 --p-threshold 0.05 --tail 1 || exit 1

grep -q '<p id="also">The same permutations also tested the [0-9]* clusters at the cluster-forming threshold 2: cluster mass: [0-9]* with p &lt; 0.05.*clusters-extent.tsv' "$T/also/report.html" &&
    ok also_report || fail also_report "$(grep -A2 'id="also"' "$T/also/report.html")"
got=$(ls -A "$T/also" | LC_ALL=C sort | tr '\n' ' ')
want="clusters-extent.tsv clusters-mass.tsv h0-extent.txt h0-mass.txt h0.png h0.txt report.html tfce-lh.stc tfce-p-lh.stc tfce-p-rh.stc tfce-rh.stc tfce.json tobs-lh.stc tobs-rh.stc "
[ "$got" = "$want" ] && ok also_outputs || fail also_outputs "got: $got"
same=1
for f in tfce-lh.stc tfce-rh.stc tfce-p-lh.stc tfce-p-rh.stc tobs-lh.stc h0.txt; do
    cmp -s "$T/also/$f" "$T/tfce/$f" || { same=0; fail also_tfce_unchanged "$f differs"; }
done
[ $same = 1 ] && ok also_tfce_unchanged
same=1
for f in h0-mass.txt h0-extent.txt clusters-mass.tsv clusters-extent.tsv h0.txt tfce.json; do
    cmp -s "$T/also/$f" "$T/also_j2/$f" || { same=0; fail also_threads "$f differs with -j 2"; }
done
[ $same = 1 ] && ok also_threads

# Mass against the cluster run; extent against MNE 1.3 (t_power=0) on the same X.
"$PYTHON" - "$T" "$F" "$S" <<'PY' || failed=1
import csv, glob, json, os, sys, warnings
os.environ.setdefault('MNE_TQDM', 'off')
warnings.filterwarnings('ignore')
import numpy as np
T, F, S = sys.argv[1:4]

def check(name, cond, why=''):
    print(('ok %s' % name) if cond else ('FAIL %s: %s' % (name, why)))
    if not cond:
        check.failed = True
check.failed = False

def h0(path):
    return np.loadtxt(path, ndmin=1)

def tsv(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter='\t'))

def rel_eq(a, b, tol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.all(np.abs(a - b) <= tol * np.maximum(np.abs(b), 1e-300))

for also, plain in (('also', 'mass'), ('also_t1', 'mass_t1')):
    hm, hp = h0('%s/%s/h0-mass.txt' % (T, also)), h0('%s/%s/h0.txt' % (T, plain))
    check('also_h0_mass_%s' % also, len(hp) == 64 and len(np.unique(hp)) > 10 and rel_eq(hm, hp),
          'len %d/%d, max rel diff %s' % (len(hm), len(hp),
                                          np.max(np.abs(hm - hp) / np.abs(hp)) if hm.shape == hp.shape else '-'))
    a, p = tsv('%s/%s/clusters-mass.tsv' % (T, also)), tsv('%s/%s/clusters.tsv' % (T, plain))
    pv = [float(r['p']) for r in p]
    check('also_clusters_mass_%s' % also,
          len(p) > 3 and min(pv) < 0.5 and len(a) == len(p) and
          [float(r['p']) for r in a] == pv and
          rel_eq([float(r['statistic']) for r in a], [float(r['statistic']) for r in p]) and
          all(x == y for x, y in zip(a, p)),
          '%d vs %d clusters; p %s vs %s' % (len(a), len(p), [r['p'] for r in a][:5], pv[:5]))
    tj = json.load(open('%s/%s/tfce.json' % (T, also)))['also']
    cj = json.load(open('%s/%s/clusters.json' % (T, plain)))
    check('also_json_%s' % also,
          tj['n_clusters'] == len(p) and abs(tj['threshold'] - cj['parameters']['threshold']) == 0
          and tj['mass']['h0_observed'] == hp[0]
          and tj['mass']['n_significant'] == sum(x < 0.05 for x in pv), json.dumps(tj)[:300])

# extent: the cluster run's clusters, each signed by its mass; H0 and p against MNE 1.3
e, p = tsv('%s/also/clusters-extent.tsv' % T), tsv('%s/mass/clusters.tsv' % T)
check('also_extent_sizes', len(e) == len(p) and all(
    float(x['statistic']) == np.sign(float(y['statistic'])) * int(y['n_points'])
    and x['n_points'] == y['n_points'] for x, y in zip(e, p)), str([x['statistic'] for x in e][:8]))
import mne
from mne.stats import spatio_temporal_cluster_1samp_test
A, B = [], []
for d in sorted(glob.glob(os.path.join(T, 's', 'sub*'))):
    A.append(mne.read_source_estimate(os.path.join(d, F)).data.T)
    B.append(mne.read_source_estimate(os.path.join(d, S)).data.T)
X = np.array(A, float) - np.array(B, float)
src = mne.read_source_spaces(os.path.join(T, 's', 'fsaverage-ico2-src.fif'), verbose=False)
adj = mne.spatial_src_adjacency(src, verbose=False)
T_obs, clusters, cpv, H0 = spatio_temporal_cluster_1samp_test(
    X, adjacency=adj, threshold=2.0, t_power=0, n_permutations=64, seed=3, tail=0,
    n_jobs=1, buffer_size=None, out_type='indices', verbose=False)
he = h0('%s/also/h0-extent.txt' % T)
check('also_h0_extent_mne', he.shape == H0.shape and np.array_equal(he, H0) and len(np.unique(H0)) > 5,
      'ours %s mne %s' % (he[:6], H0[:6]))
check('also_extent_p_mne', len(cpv) == len(e) and
      np.array_equal([float(x['p']) for x in e], cpv), '%s vs %s' % ([x['p'] for x in e][:6], cpv[:6]))
sys.exit(1 if check.failed else 0)
PY

# --- arrays (--dims): h0-mass.txt and clusters-mass.tsv against an arrays cluster run
"$PYTHON" -c "
import numpy as np
rng = np.random.RandomState(4)
x = rng.randn(10, 12, 30)
x[:, 3:7, 8:16] += 0.9
np.save('$T/x.npy', x)
" || fail also_arrays_setup "numpy"
A="onesample --a $T/x.npy --dims time,space $COMMON --t-threshold 2"
"$CP" $A --tfce --also mass,extent --out "$T/arr_also" >/dev/null 2>"$T/err" &&
"$CP" $A --out "$T/arr_mass" >/dev/null 2>>"$T/err" ||
    fail also_arrays_runs "$(cat "$T/err")"
"$PYTHON" - "$T" <<'PY' || failed=1
import csv, json, sys
import numpy as np
T = sys.argv[1]
hm = np.loadtxt(T + '/arr_also/h0-mass.txt')
hp = np.loadtxt(T + '/arr_mass/h0.txt')
ok = hm.shape == hp.shape and len(np.unique(hp)) > 10 and np.all(np.abs(hm - hp) <= 1e-12 * np.abs(hp))
print('ok also_arrays_h0_mass' if ok else 'FAIL also_arrays_h0_mass: %s vs %s' % (hm[:4], hp[:4]))
rows = list(csv.DictReader(open(T + '/arr_also/clusters-mass.tsv'), delimiter='\t'))
ext = list(csv.DictReader(open(T + '/arr_also/clusters-extent.tsv'), delimiter='\t'))
cl = json.load(open(T + '/arr_mass/clusters.json'))['clusters']
good = len(cl) > 1 and min(c['p'] for c in cl) < 0.05 and len(rows) == len(cl) and len(ext) == len(cl)
for r, e, c in zip(rows, ext, cl):
    good = good and float(r['p']) == c['p'] and float(r['statistic']) == c['statistic'] \
        and int(r['n_points']) == c['n_points'] \
        and [int(r['time_first']), int(r['time_last'])] == c['extent']['time'] \
        and [int(r['space_first']), int(r['space_last'])] == c['extent']['space'] \
        and [int(r['peak_time']), int(r['peak_space'])] == [c['peak']['index']['time'], c['peak']['index']['space']] \
        and float(r['peak_stat']) == c['peak']['stat'] \
        and float(e['statistic']) == np.sign(c['statistic']) * c['n_points']
print('ok also_arrays_clusters' if good else 'FAIL also_arrays_clusters: %s / %s' % (rows[:2], cl[:1]))
sys.exit(0 if ok and good else 1)
PY

# --- no cluster beyond the threshold: empty H0s and tables, as the cluster test's
run none --tfce --also mass,extent --t-threshold 60 && run none_mass --t-threshold 60 &&
    cmp -s "$T/none/h0-mass.txt" "$T/none_mass/h0.txt" && [ ! -s "$T/none/h0-extent.txt" ] &&
    [ "$(wc -l <"$T/none/clusters-mass.tsv")" -eq 1 ] &&
    grep -q '"n_clusters": 0' "$T/none/tfce.json" && ok also_no_clusters ||
    fail also_no_clusters "$(wc -l "$T/none/h0-mass.txt" "$T/none_mass/h0.txt" 2>&1)"

# --- stale files: a run without one statistic (or without --also) removes its files
"$CP" $O $COMMON --tfce --also mass --t-threshold 2 --out "$T/also" >/dev/null 2>&1
[ -s "$T/also/h0-mass.txt" ] && [ ! -e "$T/also/h0-extent.txt" ] && [ ! -e "$T/also/clusters-extent.tsv" ] &&
    ok also_stale_extent || fail also_stale_extent "$(ls "$T/also")"
"$CP" $O $COMMON --tfce --out "$T/also" >/dev/null 2>&1
[ ! -e "$T/also/h0-mass.txt" ] && [ ! -e "$T/also/clusters-mass.tsv" ] && [ -s "$T/also/h0.txt" ] &&
    grep -q '"also": null' "$T/also/tfce.json" && ok also_stale_all || fail also_stale_all "$(ls "$T/also")"
# --- clusterperm-mpi: one rank gives clusterperm's files; several are refused (the extra
# H0s are not gathered), with nothing written
MPI="$BUILD/clusterperm-mpi"
if [ -x "$MPI" ] && command -v mpirun >/dev/null 2>&1; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
    mpirun -n 1 "$MPI" $O $COMMON --tfce --also mass,extent --t-threshold 2 --out "$T/mpi1" >/dev/null 2>&1 &&
        cmp -s "$T/mpi1/h0-mass.txt" "$T/also_j2/h0-mass.txt" &&
        cmp -s "$T/mpi1/clusters-extent.tsv" "$T/also_j2/clusters-extent.tsv" &&
        ok also_mpi_one_rank || fail also_mpi_one_rank "$(ls "$T/mpi1" 2>&1)"
    mpirun -n 2 "$MPI" $O $COMMON --tfce --also mass --t-threshold 2 --out "$T/mpi2" >/dev/null 2>"$T/err.mpi2"
    rc=$?
    [ $rc -ne 0 ] && [ ! -e "$T/mpi2" ] &&
        grep -q "error: rank 0: onesample: --also mass runs in one process" "$T/err.mpi2" &&
        ok also_mpi_ranks_refused || fail also_mpi_ranks_refused "status $rc: $(head -3 "$T/err.mpi2")"
else
    ok also_mpi_not_built # clusterperm-mpi is optional (no mpicc); cli_mpi.sh says so
fi
"$CP" onesample --help | grep -q -- '--also mass,extent' && ok also_help || fail also_help "not in --help"
exit $failed
