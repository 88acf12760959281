#!/usr/bin/env python3
"""TFCE benchmark (issue 5): clusterperm against MNE 1.3 in the same run, same thread count.

Case A: 16 subjects x ico-5 (20,484 vertices) x 10 times, threshold=dict(start=0, step=0.2),
tail 0. MNE 1.3 runs spatio_temporal_cluster_1samp_test on 8 permutations (list path,
n_jobs=1); its H0 must equal ours (mne1.3 mode, compat mne1.3) bit for bit. Then ours runs
more permutations in mne1.3 mode (compat mne1.3 = MNE's list path with its split quirk, and
compat none = true components) and in exact mode, one thread. Time per permutation =
time / (permutations + 1), the observed map counting as one.
Case B: 16 x ico-5 x 100 times x 1024 permutations, exact mode, 2 threads (target < 180 s).

Times are CPU seconds of the process (user + sys) and wall seconds; on a shared machine the
CPU time is the fair measure of one thread. Usage:
  python3 bench/bench_tfce.py [--build build] [--mne-perms 8] [--our-perms 64] [--quick]
                              [--no-mne] [--no-big] [--json FILE]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# The cluster benchmark's generator: smooth noise with an effect on ico-5, the adjacency
# as edges.i64 and adj.npz (arguments: DIR n_subjects n_times grade).
from run_bench import GEN  # noqa: E402

MNE_RUN = r'''
import os, sys, time, resource, numpy as np, mne
os.environ.setdefault("MNE_TQDM", "off")
from scipy import sparse
d, n, T, V, nperm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
mne.set_log_level("WARNING")
adj = sparse.load_npz(d + "/adj.npz")
X = np.fromfile(d + "/X.f64").reshape(n, T, V)
if os.environ.get("CPERM_MNE_MAIN"):  # MNE main: check the hybrid, warm its JIT up first
    import mne.stats.cluster_level as cl, mne._numba as nb
    assert "hybrid" in cl.__file__ and nb.has_numba, (cl.__file__, nb.has_numba)
    mne.stats.spatio_temporal_cluster_1samp_test(
        X[:, :2], threshold=dict(start=0, step=0.2), n_permutations=3, tail=0, adjacency=adj,
        n_jobs=1, seed=0, buffer_size=None)
r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
T_obs, cl, pv, H0 = mne.stats.spatio_temporal_cluster_1samp_test(
    X, threshold=dict(start=0, step=0.2), n_permutations=nperm + 1, tail=0, adjacency=adj,
    n_jobs=1, seed=0, buffer_size=None)
t1 = time.perf_counter(); r1 = resource.getrusage(resource.RUSAGE_SELF)
np.asarray(H0, float).tofile(d + "/mne_h0.f64")
np.asarray(T_obs, float).ravel().tofile(d + "/mne_map.f64")
print(t1 - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
'''


def run(cmd):
    """Runs cmd; returns (stdout, wall seconds)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True)
    wall = time.perf_counter() - t0
    if p.returncode:
        sys.stderr.write(p.stderr.decode(errors='replace'))
        raise RuntimeError('failed: %s' % ' '.join(cmd[:2]))
    return p.stdout.decode(), wall


def run_ours(exe, d, params):
    with open(os.path.join(d, 'params.txt'), 'w') as f:
        f.write(''.join('%s=%s\n' % kv for kv in params.items()))
    t0 = time.perf_counter()
    p = subprocess.Popen([exe, d], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status):
        sys.stderr.write(err)
        raise RuntimeError('bench_tfce failed')
    r = json.loads(out.strip().splitlines()[-1])
    r['wall_total_s'] = wall
    r['cpu_total_s'] = ru.ru_utime + ru.ru_stime
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--mne-perms', type=int, default=8)
    ap.add_argument('--our-perms', type=int, default=64)
    ap.add_argument('--big-perms', type=int, default=1024)
    ap.add_argument('--quick', action='store_true', help='MNE on 2 permutations, ours on 16')
    ap.add_argument('--no-mne', action='store_true')
    ap.add_argument('--no-big', action='store_true')
    ap.add_argument('--json')
    ap.add_argument('--mne-main', default='', help='PYTHONPATH of MNE main (bench/mne_main.sh)')
    a = ap.parse_args()
    if a.quick:
        a.mne_perms, a.our_perms = 2, 16
    exe = os.path.join(a.build, 'bench_tfce')
    py = os.environ.get('PYTHON', '/usr/bin/python3')
    tmp = tempfile.mkdtemp(prefix='bench_tfce_')
    res = {'cpu_count': os.cpu_count()}
    try:
        dA = os.path.join(tmp, 'A')
        os.makedirs(dA)
        out, _ = run([py, '-c', GEN, dA, '16', '10', '5'])
        V = int(out.split()[-1])
        base = dict(n_subjects=16, n_times=10, n_vertices=V, tail=0, tfce_start=0,
                    tfce_step=0.2, seed=0, n_jobs=1, generate=0)
        print('case A: 16 subjects x %d vertices x 10 times, start 0, step 0.2, tail 0' % V)
        if not a.no_mne:
            out, _ = run([py, '-c', MNE_RUN, dA, '16', '10', str(V), str(a.mne_perms)])
            wall, cpu = map(float, out.split()[-2:])
            m = {'perms': a.mne_perms, 'wall_s': wall, 'cpu_s': cpu,
                 'per_perm_wall_s': wall / (a.mne_perms + 1),
                 'per_perm_cpu_s': cpu / (a.mne_perms + 1)}
            res['mne'] = m
            print('  MNE 1.3 (list path), %d permutations: %.1f s wall, %.1f s CPU, '
                  '%.2f s CPU per permutation' % (a.mne_perms, wall, cpu, m['per_perm_cpu_s']))
            # identical results: our mne1.3 mode with compat mne1.3 on the same orders
            r = run_ours(exe, dA, dict(base, tfce='mne1.3', compat='mne1.3',
                                       n_permutations=a.mne_perms + 1))
            import numpy as np
            h_mne = np.fromfile(os.path.join(dA, 'mne_h0.f64'))
            h_our = np.fromfile(os.path.join(dA, 'out_h0.f64'))
            map_mne = np.fromfile(os.path.join(dA, 'mne_map.f64'))
            map_our = np.fromfile(os.path.join(dA, 'out_map.f64'))
            same = bool(np.array_equal(h_mne, h_our) and np.array_equal(map_mne, map_our))
            res['identical_to_mne'] = same
            print('  mne1.3 mode (compat mne1.3) H0 and map identical to MNE: %s' % same)
        if a.mne_main and not a.no_mne:
            env = dict(os.environ, PYTHONPATH=a.mne_main, CPERM_MNE_MAIN='1')
            t0 = time.perf_counter()
            p = subprocess.run([py, '-c', MNE_RUN, dA, '16', '10', str(V), str(a.mne_perms)],
                               capture_output=True, env=env)
            if p.returncode:
                sys.stderr.write(p.stderr.decode(errors='replace'))
                raise RuntimeError('MNE main failed')
            wall, cpu = map(float, p.stdout.decode().split()[-2:])
            res['mne_main'] = {'perms': a.mne_perms, 'wall_s': wall, 'cpu_s': cpu,
                               'per_perm_cpu_s': cpu / (a.mne_perms + 1),
                               'per_perm_wall_s': wall / (a.mne_perms + 1)}
            print('  MNE main (stepped TFCE after PR 14286, numba), %d permutations: %.1f s '
                  'wall, %.1f s CPU, %.3f s CPU per permutation'
                  % (a.mne_perms, wall, cpu, res['mne_main']['per_perm_cpu_s']))
        elif not a.no_mne:
            print('  MNE main: not given (make bench MNE_MAIN=/path/to/mne-python)')
        for tag, extra in (('mne1.3/compat-mne1.3', dict(tfce='mne1.3', compat='mne1.3')),
                           ('mne1.3/compat-none', dict(tfce='mne1.3', compat='none')),
                           ('exact', dict(tfce='exact', compat='none'))):
            # best of 3 runs, as bench_case's library times are (the shared machine is noisy)
            r = min((run_ours(exe, dA, dict(base, n_permutations=a.our_perms + 1, **extra))
                     for _ in range(3)), key=lambda x: x['call_cpu_s'])
            # the call's CPU, as MNE's is timed: graph, plan, observed map and permutations,
            # without reading the case's files (MNE's timing starts after np.fromfile and
            # load_npz); the whole process's CPU is printed beside it
            r['per_perm_cpu_s'] = r['call_cpu_s'] / (a.our_perms + 1)
            r['per_perm_wall_s'] = r['execute_s'] / (a.our_perms + 1)
            line = '  ours %-22s %d permutations: execute %.2f s wall, %.2f s CPU; call %.2f s ' \
                   'CPU; process %.2f s CPU; %.1f ms call CPU per permutation' % (
                       tag, a.our_perms, r['execute_s'], r['execute_cpu_s'], r['call_cpu_s'],
                       r['cpu_total_s'], 1e3 * r['per_perm_cpu_s'])
            if 'mne' in res:
                r['speedup_cpu'] = res['mne']['per_perm_cpu_s'] / r['per_perm_cpu_s']
                r['speedup_wall'] = res['mne']['per_perm_wall_s'] / r['per_perm_wall_s']
                line += ' -> %.0fx (CPU), %.0fx (wall)' % (r['speedup_cpu'], r['speedup_wall'])
            if 'mne_main' in res:
                r['speedup_main_cpu'] = res['mne_main']['per_perm_cpu_s'] / r['per_perm_cpu_s']
                line += '; vs MNE main %.0fx (CPU)' % r['speedup_main_cpu']
            res[tag] = r
            print(line)
        # issue 17: exact TFCE with tfce_also = mass | extent against exact TFCE alone plus
        # a separate cluster-mass run at the same threshold (p = 0.05, two-sided, 15 df)
        from scipy import stats
        import numpy as np
        thr = float(-stats.t.ppf(0.05 / 2, 15))
        h_tfce = np.fromfile(os.path.join(dA, 'out_h0.f64'))  # the exact row's, just run
        r = run_ours(exe, dA, dict(base, n_permutations=a.our_perms + 1, tfce='exact',
                                   compat='none', also=3, threshold=repr(thr)))
        same_tfce = bool(np.array_equal(np.fromfile(os.path.join(dA, 'out_h0.f64')), h_tfce))
        h_also = np.fromfile(os.path.join(dA, 'out_h0_mass.f64'))
        rc = run_ours(exe, dA, dict(base, n_permutations=a.our_perms + 1, tfce='none',
                                    compat='none', threshold=repr(thr)))
        h_mass = np.fromfile(os.path.join(dA, 'out_h0.f64'))
        same_mass = bool(h_also.shape == h_mass.shape and
                         np.all(np.abs(h_also - h_mass) <= 1e-12 * np.abs(h_mass)))
        ex = res['exact']
        res['exact+also'] = dict(r, threshold=thr, tfce_h0_identical=same_tfce,
                                 mass_h0_rel_1e12=same_mass)
        res['cluster-mass'] = rc
        print('  ours exact + also mass,extent (t > %.4f) %d permutations: execute %.2f s wall, '
              '%.2f s CPU; process %.2f s CPU (TFCE H0 identical: %s; mass H0 = cluster run\'s '
              'to 1e-12: %s)' % (thr, a.our_perms, r['execute_s'], r['execute_cpu_s'],
                                 r['cpu_total_s'], same_tfce, same_mass))
        print('  ours cluster-mass alone (same threshold)    execute %.2f s wall, %.2f s CPU; '
              'process %.2f s CPU' % (rc['execute_s'], rc['execute_cpu_s'], rc['cpu_total_s']))
        print('  exact + also vs exact alone + cluster-mass: execute %.2f vs %.2f + %.2f = %.2f s '
              'CPU; process %.2f vs %.2f s CPU'
              % (r['execute_cpu_s'], ex['execute_cpu_s'], rc['execute_cpu_s'],
                 ex['execute_cpu_s'] + rc['execute_cpu_s'], r['cpu_total_s'],
                 ex['cpu_total_s'] + rc['cpu_total_s']))
        if not a.no_big:
            dB = os.path.join(tmp, 'B')
            os.makedirs(dB)
            shutil.copy(os.path.join(dA, 'edges.i64'), dB)
            r = run_ours(exe, dB, dict(base, n_times=100, tfce='exact', compat='none',
                                       n_permutations=a.big_perms, n_jobs=2, generate=1))
            res['big'] = r
            print('case B: 16 x %d x 100 times, exact, %d permutations, 2 threads: execute '
                  '%.1f s wall, %.1f s CPU (%.0f ms CPU per permutation); target 180 s wall'
                  % (V, a.big_perms, r['execute_s'], r['execute_cpu_s'],
                     1e3 * r['execute_cpu_s'] / (a.big_perms)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
