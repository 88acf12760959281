#!/bin/sh
# cli_rmanova.sh - `clusterperm rm-anova`: a 2 x 2 study made from a simulated one (four cells
# per subject, with subject effects), run with --scheme mne and compared with a direct MNE
# 1.3 run on the same files (permutation_cluster_test over the cells with the f_mway_rm
# stat_fun, threshold f_threshold_mway_rm, the spatio-temporal adjacency of the -src.fif):
# tobs-*.stc byte-identical, the threshold, every H0 value, the clusters and p-values (MNE
# with buffer_size=None, as xcheck_independent: its buffered path stores permuted maps in an
# array of the data's dtype, float32 for .stc files, rounding their F); the
# default scheme (within) with its design recorded and -j 2 identical; and bad command lines
# and inputs, each one "clusterperm: error: ..." line, the documented status and nothing in
# --out. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_rmanova.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
PYTHON=${PYTHON:-/usr/bin/python3}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-rm.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

"$CP" simulate "$T/s" --grade 2 --subjects 8 --n-times 10 --seed 6 >/dev/null 2>&1 ||
    { fail rm_setup "simulate failed"; exit 1; }
SRC="$T/s/fsaverage-ico2-src.fif"
# four cells per subject: faces and scrambled, and the two swapped with noise, plus a
# subject offset shared by the subject's cells (an interaction, and subject effects)
MNE_TQDM=off "$PYTHON" - "$T/s" <<'PY' || { fail rm_setup "making the cells failed"; exit 1; }
import os, sys, warnings
warnings.filterwarnings('ignore')
import numpy as np, mne
study = sys.argv[1]
rng = np.random.RandomState(3)
for sub in sorted(d for d in os.listdir(study) if d.startswith('sub')):
    f = mne.read_source_estimate(os.path.join(study, sub, 'mne_dSPM_inverse_morph-faces_eq'))
    s = mne.read_source_estimate(os.path.join(study, sub, 'mne_dSPM_inverse_morph-scrambled_eq'))
    offset = rng.randn() * 3
    for name, data in (('a1b1', f.data), ('a1b2', s.data),
                       ('a2b1', s.data + 0.3 * rng.randn(*s.data.shape)),
                       ('a2b2', f.data + 0.3 * rng.randn(*f.data.shape))):
        stc = f.copy()
        stc.data = data + offset
        stc.save(os.path.join(study, sub, name), overwrite=True, verbose=False)
PY
C1="$T/s/sub*/a1b1" C2="$T/s/sub*/a1b2" C3="$T/s/sub*/a2b1" C4="$T/s/sub*/a2b2"

. "$(dirname "$0")/clilib.sh" # expect_fail NAME STATUS MESSAGE COMMAND ARGS...
R=rm-anova
expect_fail rm_cells_for_factors 2 "--factors 2x2 means 4 cells (one --cell each, the last factor fastest), got 3 --cell" $R --factors 2x2 --effect A --cell "$C1" --cell "$C2" --cell "$C3" --src "$SRC"
expect_fail rm_unknown_effect 2 "--effect 'C' is not an effect of --factors 2x2" $R --factors 2x2 --effect C --cell "$C1" --cell "$C2" --cell "$C3" --cell "$C4" --src "$SRC"
expect_fail rm_effect_bad_name 2 "--effect 'B:A' is not an effect" $R --factors 2x2 --effect B:A --cell "$C1" --cell "$C2" --cell "$C3" --cell "$C4" --src "$SRC"
expect_fail rm_several_effects 2 "--effect 'A*B' names 3 effects; give one" $R --factors 2x2 --effect 'A*B' --cell "$C1" --cell "$C2" --cell "$C3" --cell "$C4" --src "$SRC"
expect_fail rm_one_level_effect 2 "includes factor B, which has 1 level" $R --factors 2x1x2 --effect A:B --cell "$C1" --cell "$C2" --cell "$C3" --cell "$C4" --src "$SRC"
expect_fail rm_mismatched_subjects 1 "--cell #1 matches 8 subjects and --cell #3 7; a repeated-measures test needs every cell of every subject: subject 'sub008' has --cell #1 $T/s/sub008/a1b1 but no --cell #3" $R --factors 2x2 --effect A --cell "$C1" --cell "$C2" --cell "$T/s/sub00[1-7]/a2b1" --cell "$C4" --src "$SRC"
expect_fail rm_no_factors 2 "--factors is required" $R --effect A --cell "$C1" --cell "$C2" --src "$SRC"
expect_fail rm_no_effect 2 "--effect is required" $R --factors 2 --cell "$C1" --cell "$C2" --src "$SRC"
expect_fail rm_bad_factors 2 "--factors '2y2' must be levels per factor joined by 'x'" $R --factors 2y2 --effect A --cell "$C1" --cell "$C2" --src "$SRC"
expect_fail rm_one_cell 2 "give --cell once per cell, at least 2 (got 1)" $R --factors 2 --effect A --cell "$C1" --src "$SRC"
expect_fail rm_scheme_word 2 "--scheme 'exchange' must be 'within' or 'mne'" $R --factors 2 --effect A --cell "$C1" --cell "$C2" --src "$SRC" --scheme exchange
expect_fail rm_tail_m1 2 "the F test is one-tailed" $R --factors 2 --effect A --cell "$C1" --cell "$C2" --src "$SRC" --tail -1
expect_fail rm_all_mne 2 "--n-permutations all enumerates within-subject shuffles; give a number with --scheme mne" $R --factors 2 --effect A --cell "$C1" --cell "$C2" --src "$SRC" --scheme mne --n-permutations all
expect_fail rm_tfce 2 "--tfce does not apply to the repeated-measures F" $R --factors 2 --effect A --cell "$C1" --cell "$C2" --src "$SRC" --tfce
expect_fail rm_t_threshold 2 "unknown option '--t-threshold'" $R --factors 2 --effect A --cell "$C1" --cell "$C2" --src "$SRC" --t-threshold 2
expect_fail rm_both_thresholds 2 "give --p-threshold or --f-threshold, not both" $R --factors 2 --effect A --cell "$C1" --cell "$C2" --src "$SRC" --p-threshold 0.01 --f-threshold 3
expect_fail rm_group 2 "unknown option '--group'" $R --factors 2 --effect A --cell "$C1" --cell "$C2" --src "$SRC" --group "$C1"
expect_fail independent_cell 2 "unknown option '--cell'" independent --group "$C1" --group "$C2" --cell "$C1" --src "$SRC"
expect_fail rm_all_too_many 1 "more than the limit" $R --factors 2x2 --effect A --cell "$C1" --cell "$C2" --cell "$C3" --cell "$C4" --src "$SRC" --n-permutations all
expect_fail rm_no_match 1 "--cell #2" $R --factors 2 --effect A --cell "$C1" --cell "$T/s/nobody*/a1b2" --src "$SRC"

# scheme mne against MNE on the same files, and the default scheme (within) with -j 1 and 2
common="--factors 2x2 --cell $C1 --cell $C2 --cell $C3 --cell $C4 --src $SRC --tmin 0 --seed 5"
# shellcheck disable=SC2086
"$CP" rm-anova $common --effect A:B --scheme mne --n-permutations 100 --p-threshold 0.01 \
    --out "$T/mne" >"$T/log-mne" 2>"$T/err-mne" && ok rm_mne_run || fail rm_mne_run "$(cat "$T/err-mne")"
# shellcheck disable=SC2086
"$CP" rm-anova $common --effect A:B --n-permutations 100 --step-down-p 0.5 \
    --out "$T/within" >"$T/log-within" 2>"$T/err-within" && ok rm_within_run || fail rm_within_run "$(cat "$T/err-within")"
# shellcheck disable=SC2086
"$CP" rm-anova $common --effect A:B --n-permutations 100 --step-down-p 0.5 \
    -j 2 --out "$T/within-j2" >/dev/null 2>&1 || fail rm_within_j2_run "status $?"
for f in tobs-lh.stc tobs-rh.stc h0.txt; do
    cmp -s "$T/within/$f" "$T/within-j2/$f" || fail rm_within_j2_identical "$f differs"
done
ok rm_within_j2_identical
MNE_TQDM=off "$PYTHON" - "$T" <<'PY'
import json, os, sys, warnings
warnings.filterwarnings('ignore')
import numpy as np, mne
from mne.stats import (spatio_temporal_cluster_test, f_mway_rm, f_threshold_mway_rm,
                       combine_adjacency)
T = sys.argv[1]
study = os.path.join(T, 's')
def report(name, cond, why=''):
    print(('ok %s' % name) if cond else ('FAIL %s: %s' % (name, why)))
subs = sorted(d for d in os.listdir(study) if d.startswith('sub'))
cells, stc = [], None
for cell in ('a1b1', 'a1b2', 'a2b1', 'a2b2'):
    data = []
    for sub in subs:
        stc = mne.read_source_estimate(os.path.join(study, sub, cell)).crop(0., None)
        data.append(stc.data.T)
    cells.append(np.array(data))
S = len(subs)
src = mne.read_source_spaces(os.path.join(study, 'fsaverage-ico2-src.fif'), verbose=False)
adj = combine_adjacency(cells[0].shape[1], mne.spatial_src_adjacency(src, verbose=False))
thr = f_threshold_mway_rm(S, [2, 2], 'A:B', 0.01)
def stat_fun(*args):
    return f_mway_rm(np.swapaxes(np.array(args), 0, 1), [2, 2], 'A:B', return_pvals=False)[0]
F, clusters, pv, H0 = spatio_temporal_cluster_test(
    cells, threshold=thr, n_permutations=100, tail=1, stat_fun=stat_fun, adjacency=adj,
    n_jobs=1, seed=5, out_type='indices', buffer_size=None, verbose=False)
out = os.path.join(T, 'mne')
mne.SourceEstimate(F.T, stc.vertices, stc.tmin, stc.tstep).save(
    os.path.join(T, 'mne-F'), overwrite=True, verbose=False)
for hemi in ('lh', 'rh'):
    report('rm_mne_tobs_%s_bytes' % hemi,
           open(os.path.join(out, 'tobs-%s.stc' % hemi), 'rb').read() ==
           open(os.path.join(T, 'mne-F-%s.stc' % hemi), 'rb').read(), 'differs')
res = json.load(open(os.path.join(out, 'clusters.json')))
report('rm_mne_threshold', res['parameters']['threshold'] == thr,
       '%r vs %r' % (res['parameters']['threshold'], thr))
report('rm_mne_nontrivial', len(clusters) >= 2 and np.count_nonzero(H0[1:]) > 0 and
       (pv < 0.05).any(), '%d clusters, p %s' % (len(clusters), pv[:5]))
n_lh = len(stc.vertices[0])
same = res['n_clusters'] == len(clusters)
for k, ((ti, vi), c) in enumerate(zip(clusters, res['clusters'])):
    lh = sorted(set(int(stc.vertices[0][v]) for v in vi if v < n_lh))
    rh = sorted(set(int(stc.vertices[1][v - n_lh]) for v in vi if v >= n_lh))
    same = same and c['n_points'] == len(ti) and c['vertices']['lh'] == lh and \
        c['vertices']['rh'] == rh and c['p'] == pv[k]
report('rm_mne_clusters_pvalues', same, 'ours %d clusters, MNE %d' % (res['n_clusters'],
                                                                       len(clusters)))
h0 = np.loadtxt(os.path.join(out, 'h0.txt'), ndmin=1)
report('rm_mne_h0', h0.shape == H0.shape and np.array_equal(h0, H0),
       '%d vs %d values, first differences %s' % (len(h0), len(H0), [(i, h0[i], H0[i]) for i in np.flatnonzero(h0 != H0)[:3]] if h0.shape == H0.shape else ''))
report('rm_mne_design', res['design'] == 'repeated measures' and
       res['statistic'] == 'f_mway_rm' and res['effect'] == 'A:B' and
       res['factor_levels'] == [2, 2] and res['scheme'].startswith('mne') and
       len(res['parameters']['cells']) == 4 and res['data']['n_subjects'] == S,
       '%r' % {k: res.get(k) for k in ('design', 'statistic', 'effect', 'factor_levels',
                                       'scheme')})
w = json.load(open(os.path.join(T, 'within', 'clusters.json')))
report('rm_within_design', w['scheme'].startswith('within') and w['n_orders'] == 99 and
       w['parameters']['step_down_p'] == 0.5 and
       w['parameters']['threshold'] == f_threshold_mway_rm(S, [2, 2], 'A:B', 0.05),
       '%r %r' % (w['scheme'], w['n_orders']))
# the same F map whatever the scheme; another H0 (the within scheme keeps subjects apart)
report('rm_within_same_tobs', open(os.path.join(T, 'within', 'tobs-lh.stc'), 'rb').read() ==
       open(os.path.join(out, 'tobs-lh.stc'), 'rb').read(), 'differs')
page = open(os.path.join(out, 'report.html')).read()
report('rm_report_names_design', 'repeated measures' in page and 'f_mway_rm' in page and
       'effect A:B of factor levels 2 x 2' in page and 'scheme: mne' in page,
       'design, effect or scheme missing from the page')
PY
[ $? -eq 0 ] || failed=1
grep -q '^Using a threshold of ' "$T/log-within" && grep -q '^Permuting 99 times' "$T/log-within" &&
    grep -q '^Step-down-in-jumps iteration #1' "$T/log-within" && ok rm_within_log ||
    fail rm_within_log "$(cat "$T/log-within")"
exit $failed
