"""xcheck_maxt.py - cross-checks the max-T test and the multiple-comparison corrections
(driven by $CPERM_BUILD/tests/tool_maxt) against MNE 1.3's mne.stats.permutation_t_test,
fdr_correction and bonferroni_correction.

permutation_t_test: n_samples 6 (exact and 'all'), 12 (rng.choice orders), 21 and 25 (uniform
draws checked for duplicates; 21 draws some), n_tests 1, 50 and 2000, tails -1/0/1, several
seeds, a zero and a constant column (NaN statistics): T_obs and H0 bit for bit (NaN equal to
NaN), p-values exactly, len(H0) and the exact flag, and byte-identical outputs for n_jobs 1
and 3. Corrections: both FDR methods and Bonferroni on p-values with ties, 0, 1 and NaN, bit
for bit. Prints "ok NAME" / "FAIL NAME: why"; exits 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from mne.stats import bonferroni_correction, fdr_correction, permutation_t_test

BUILD = os.environ.get('CPERM_BUILD', 'build')
TOOL = os.path.join(BUILD, 'tests', 'tool_maxt')
FAILED = [0]


def report(name, cond, why=''):
    if cond:
        print('ok maxt.%s' % name)
    else:
        print('FAIL maxt.%s: %s' % (name, why))
        FAILED[0] += 1
    sys.stdout.flush()
    return cond


def same_bits(a, b):
    """Equal values bit for bit, any NaN equal to any NaN (numpy does not fix NaN payloads)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return False
    na, nb = np.isnan(a), np.isnan(b)
    return np.array_equal(na, nb) and np.array_equal(a[~na].view(np.uint64),
                                                     b[~nb].view(np.uint64))


def max_rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return float('inf')
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300)))


def run_tool(mode, d):
    p = subprocess.run([TOOL, mode, d], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stderr.strip()


def write_params(d, **kw):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'params.txt'), 'w') as f:
        for k, v in kw.items():
            f.write('%s=%s\n' % (k, v))


def count_duplicates(n, n_permutations, tail, seed):
    """How many draws MNE's n > 20 loop discards as duplicates (its own loop, counted)."""
    rng = np.random.RandomState(seed)
    use = n - (tail == 0)
    seen, dup = set(), 0
    while len(seen) < n_permutations - 1:
        s = tuple((rng.uniform(size=use) < 0.5).astype(int))
        if s in seen:
            dup += 1
            continue
        seen.add(s)
        if tail == 0:
            rng.uniform()
    return dup


def check_ttest(tmp, name, X, n_permutations, tail, seed, jobs=(1, 3)):
    n, p = X.shape
    with np.errstate(invalid='ignore', divide='ignore'):
        T, pv, H0 = permutation_t_test(X, n_permutations, tail=tail, seed=seed, n_jobs=None,
                                       verbose=False)
    want_exact = n_permutations != 'all' and n_permutations >= 2 ** (n - (tail == 0))
    outs = []
    for j in jobs:
        d = os.path.join(tmp, '%s_j%d' % (name, j))
        write_params(d, n_samples=n, n_tests=p, n_permutations=n_permutations, tail=tail,
                     seed=seed, n_jobs=j)
        np.ascontiguousarray(X, dtype=np.float64).tofile(os.path.join(d, 'X.f64'))
        rc, err = run_tool('ttest', d)
        if not report('%s.run_j%d' % (name, j), rc == 0, 'exit %d: %s' % (rc, err)):
            return
        outs.append(d)
    d = outs[0]
    gT = np.fromfile(os.path.join(d, 'out_tobs.f64'))
    gp = np.fromfile(os.path.join(d, 'out_pvals.f64'))
    gH = np.fromfile(os.path.join(d, 'out_h0.f64'))
    info = dict(line.split('=') for line in
                open(os.path.join(d, 'out_info.txt')).read().split())
    report(name + '.n_h0', int(info['n_h0']) == len(H0) and len(gH) == len(H0),
           'got %s want %d' % (info['n_h0'], len(H0)))
    report(name + '.exact', int(info['exact']) == int(want_exact),
           'got %s want %d' % (info['exact'], want_exact))
    report(name + '.tobs_bits', same_bits(gT, T), 'max rel diff %.3g' % max_rel(gT, T))
    report(name + '.h0_bits', same_bits(gH, H0), 'max rel diff %.3g; got %s want %s'
           % (max_rel(gH, H0), gH[:3].tolist(), H0[:3].tolist()))
    report(name + '.pvals', same_bits(gp, pv), 'got %s want %s' % (gp[:5].tolist(),
                                                                   pv[:5].tolist()))
    diff = [f for f in ('out_tobs.f64', 'out_pvals.f64', 'out_h0.f64', 'out_info.txt')
            if any(open(os.path.join(o, f), 'rb').read() != open(os.path.join(d, f), 'rb').read()
                   for o in outs[1:])]
    report(name + '.njobs_identical', not diff, 'files differ: %s' % diff)


def check_fdr(tmp, name, pvals, alpha):
    pvals = np.asarray(pvals, float)
    for method in ('indep', 'negcorr'):
        tag = '%s.%s' % (name, method)
        with np.errstate(invalid='ignore'):
            rej, pc = fdr_correction(pvals, alpha, method)
        d = os.path.join(tmp, tag)
        write_params(d, n=len(pvals), alpha=repr(alpha), method=method)
        pvals.tofile(os.path.join(d, 'p.f64'))
        rc, err = run_tool('fdr', d)
        if not report(tag + '.run', rc == 0, 'exit %d: %s' % (rc, err)):
            continue
        grej = np.fromfile(os.path.join(d, 'out_reject.u8'), dtype=np.uint8)
        gpc = np.fromfile(os.path.join(d, 'out_pcorr.f64'))
        report(tag + '.reject', np.array_equal(grej.astype(bool), rej),
               'got %d rejections, MNE %d' % (grej.sum(), rej.sum()))
        report(tag + '.pcorr_bits', same_bits(gpc, pc), 'max rel diff %.3g' % max_rel(gpc, pc))


def check_bonferroni(tmp, name, pvals, alpha):
    pvals = np.asarray(pvals, float)
    rej, pc = bonferroni_correction(pvals, alpha)
    d = os.path.join(tmp, name + '.bonf')
    write_params(d, n=len(pvals), alpha=repr(alpha))
    pvals.tofile(os.path.join(d, 'p.f64'))
    rc, err = run_tool('bonferroni', d)
    if not report(name + '.bonf.run', rc == 0, 'exit %d: %s' % (rc, err)):
        return
    grej = np.fromfile(os.path.join(d, 'out_reject.u8'), dtype=np.uint8)
    gpc = np.fromfile(os.path.join(d, 'out_pcorr.f64'))
    report(name + '.bonf.reject', np.array_equal(grej.astype(bool), rej),
           'got %d rejections, MNE %d' % (grej.sum(), rej.sum()))
    report(name + '.bonf.pcorr_bits', same_bits(gpc, pc), 'max rel diff %.3g' % max_rel(gpc, pc))


def data(rng, n, p, effect=0.4):
    """Heavy-tailed, unevenly scaled data with an effect in the first columns."""
    X = rng.standard_t(4, size=(n, p)) * np.exp(rng.randn(p))
    X[:, :max(1, p // 5)] += effect
    return X


def main():
    rng = np.random.RandomState(42)
    with tempfile.TemporaryDirectory() as tmp:
        for n, n_perm in ((6, 1000), (6, 'all'), (12, 1000), (12, 'all'), (25, 3000)):
            for p in (1, 50, 2000):
                X = data(rng, n, p)
                for tail in (0, 1, -1):
                    if n_perm == 'all' and n == 12 and p == 2000 and tail != 0:
                        continue  # 4095 orders x 2000 tests: covered by tail 0
                    seed = int(rng.randint(0, 2 ** 31))
                    check_ttest(tmp, 'n%d_p%d_%s_tail%d' % (n, p, n_perm, tail), X, n_perm,
                                tail, seed)
        # uniform draws that MNE discards as duplicates (2^20 sign patterns, 5000 orders)
        for tail in (0, 1):
            X = data(rng, 21, 30)
            dup = count_duplicates(21, 5000, tail, 7)
            report('n21_tail%d.has_duplicates' % tail, dup > 0, 'no duplicate drawn')
            check_ttest(tmp, 'n21_dups_tail%d' % tail, X, 5000, tail, 7)
        # zero and constant columns: 0/0 and a rounding-level variance (NaN, huge t)
        X = data(rng, 12, 8)
        X[:, 2] = 0.0
        X[:, 5] = 0.3
        check_ttest(tmp, 'nan_columns', X, 500, 0, 11)
        check_ttest(tmp, 'const_column_only', np.full((9, 1), 0.7), 300, 1, 3)
        # an effect strong enough that p-values reach 1 / len(H0)
        X = data(rng, 15, 40, effect=3.0)
        check_ttest(tmp, 'strong_effect', X, 2000, 0, 5)
        check_ttest(tmp, 'two_perms', data(rng, 8, 5), 2, 1, 0)

        # corrections: ties, 0 and 1, unsorted, several sizes
        base = rng.uniform(size=200) ** 3
        base[::7] = base[3]          # ties
        base[[5, 17]] = 0.0
        base[[9, 33, 34]] = 1.0
        for nm, pv in (('one', [0.03]), ('small', [0.01, 0.04, 0.03, 0.5, 0.04]),
                       ('ties', np.round(base, 2)), ('mixed', base),
                       ('big', rng.uniform(size=5000) ** 4),
                       ('nan', [0.01, np.nan, 0.2, 0.001])):
            for alpha in (0.05, 0.2):
                tag = '%s_a%g' % (nm, alpha)
                check_fdr(tmp, tag, pv, alpha)
                check_bonferroni(tmp, tag, pv, alpha)
    print('%d failed' % FAILED[0] if FAILED[0] else 'all ok')
    return 1 if FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
