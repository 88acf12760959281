"""xcheck_python.py - the Python package (python/clusterperm) in make check:
  1. its own pytest suite, tests/py (against MNE 1.3 on the same arrays and seeds);
  2. MNE 1.3's own test file mne/stats/tests/test_cluster_level.py, run from a copy with a
     conftest that calls clusterperm.patch_mne() and MNE's conftest (-p mne.conftest): every
     test that passes with MNE's own functions (run first, the same way, unpatched) must pass
     patched, and none may fail.
Prints "ok NAME" / "FAIL NAME: why" per test case; exits 1 on any failure. The package's
extension is built by `make` into python/clusterperm from the default build only; under
another build (the sanitizer's: PYTHON_EXT=) the runner says so and checks nothing, since
the extension there would be the default build's, already checked by make check."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, 'python')
FAILED = [0]


def report(name, cond, why=''):
    if cond:
        print('ok python.%s' % name)
    else:
        print('FAIL python.%s: %s' % (name, why))
        FAILED[0] += 1
    sys.stdout.flush()


def pytest(args, cwd, junit, env_extra=None):
    env = dict(os.environ, PYTHONPATH=PKG, MNE_TQDM='off')
    env.update(env_extra or {})
    p = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                        '--junitxml', junit] + args, cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=1800)
    cases = {}
    if os.path.exists(junit):
        for tc in ET.parse(junit).getroot().iter('testcase'):
            name = '%s::%s' % (tc.get('classname', '').split('.')[-1], tc.get('name'))
            bad = tc.find('failure') if tc.find('failure') is not None else tc.find('error')
            if bad is not None:
                cases[name] = ('failed', (bad.get('message') or '').splitlines()[0][:300]
                               if bad.get('message') else 'failed')
            elif tc.find('skipped') is not None:
                cases[name] = ('skipped', '')
            else:
                cases[name] = ('passed', '')
    return p, cases


def main():
    build = os.environ.get('CPERM_BUILD', 'build')
    if build != 'build':
        # the extension in python/ is the default build's, which make check has tested
        print('# python: build %s makes no extension (PYTHON_EXT=); nothing new to check'
              % build)
        return 0
    if not glob.glob(os.path.join(PKG, 'clusterperm', '_cperm*.so')):
        report('extension_built', False, 'python/clusterperm/_cperm*.so missing: run make')
        return 1
    tmp = tempfile.mkdtemp(prefix='cperm-py-')
    try:
        # 1. the package's suite
        p, cases = pytest([os.path.join(ROOT, 'tests', 'py')], ROOT,
                          os.path.join(tmp, 'own.xml'))
        report('own_suite_ran', bool(cases), p.stdout[-2000:] + p.stderr[-2000:])
        for name, (state, why) in sorted(cases.items()):
            report('pkg.' + name, state == 'passed', why)

        # 2. MNE's test file, with MNE's functions and then patched
        import mne
        src = os.path.join(os.path.dirname(mne.__file__), 'stats', 'tests',
                           'test_cluster_level.py')
        plain = os.path.join(tmp, 'plain')
        patched = os.path.join(tmp, 'patched')
        for d in (plain, patched):
            os.makedirs(d)
            shutil.copy(src, d)
        with open(os.path.join(patched, 'conftest.py'), 'w') as f:
            f.write('import clusterperm\nclusterperm.patch_mne()\n')
        args = ['-p', 'mne.conftest', 'test_cluster_level.py']
        _, base = pytest(args, plain, os.path.join(tmp, 'plain.xml'))
        p, ours = pytest(args, patched, os.path.join(tmp, 'patched.xml'))
        n = {k: sum(1 for s, _ in c.values() if s == k) for k, c in
             (('passed', base), ('skipped', base))}
        ours_passed = sum(1 for s, _ in ours.values() if s == 'passed')
        ours_failed = sum(1 for s, _ in ours.values() if s == 'failed')
        print('# MNE test_cluster_level.py: MNE %d passed, %d skipped; patched %d passed, '
              '%d failed' % (n['passed'], n['skipped'], ours_passed, ours_failed))
        report('mne_suite_ran', bool(base) and bool(ours), p.stdout[-2000:] + p.stderr[-2000:])
        for name, (state, why) in sorted(ours.items()):
            if state == 'skipped':
                continue
            report('mne_tests.' + name, state == 'passed', why)
        lost = [k for k, (s, _) in base.items() if s == 'passed' and ours.get(k, ('',))[0]
                != 'passed']
        report('mne_tests.no_pass_lost', not lost and ours_passed >= n['passed'],
               'passed with MNE, not patched: %s' % lost)
        # the patch was in force: the copy's conftest replaced MNE's function
        chk = subprocess.run(
            [sys.executable, '-c', 'import clusterperm, mne.stats as s; clusterperm.patch_mne();'
             'print(s.permutation_cluster_test.__module__)'],
            env=dict(os.environ, PYTHONPATH=PKG), capture_output=True, text=True)
        report('mne_tests.patch_in_force', chk.stdout.strip().startswith('clusterperm'),
               chk.stdout + chk.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if FAILED[0] else 0


if __name__ == '__main__':
    sys.exit(main())
