#!/bin/sh
# cli_readme.sh - the README's commands, run verbatim (issue 11). Every ```sh block of
# README.md is a command a user may paste: its `build/clusterperm ...` lines run, in order, in
# a directory holding `build` (this build), `study` (a simulated study, as the README's
# `simulate` makes it), `volstudy` (tests/volstudy.py's volume study) and `arrays`
# (tests/arraystudy.py's sensor arrays); its `make X` lines
# must name existing targets (`make -n`). Synopses
# are ```text blocks. Then each option the README uses must be one that the subcommand's
# --help lists, and each option --help lists must be in the README, so the two cannot drift.
# Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_readme.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ABS_BUILD=$BUILD ;; *) ABS_BUILD="$ROOT/$BUILD" ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-readme.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
[ -x "$ABS_BUILD/clusterperm" ] || { echo "FAIL readme_binary: $ABS_BUILD/clusterperm not built"; exit 1; }
ln -s "$ABS_BUILD" "$T/build"
(cd "$T" && build/clusterperm simulate study >/dev/null 2>&1) ||
    { echo "FAIL readme_setup: simulate study failed"; exit 1; }
# the volume example's study, as the README says to make it (MNE 1.3 and nibabel)
(cd "$T" && MNE_TQDM=off "$PYTHON" "$ROOT/tests/volstudy.py" volstudy >/dev/null 2>&1) ||
    { echo "FAIL readme_setup: tests/volstudy.py volstudy failed"; exit 1; }

# the array examples' sensor study (tests/arraystudy.py: numpy and MNE's neighbour file)
(cd "$T" && "$PYTHON" "$ROOT/tests/arraystudy.py" arrays >/dev/null 2>&1) ||
    { echo "FAIL readme_setup: tests/arraystudy.py arrays failed"; exit 1; }

exec "$PYTHON" - "$ROOT/README.md" "$T" "$ROOT" <<'PY'
import re, subprocess, sys
readme, work, root = sys.argv[1:4]
text = open(readme).read()
failed = 0
def ok(name): print("ok " + name)
def fail(name, why):
    global failed
    failed = 1
    print("FAIL %s: %s" % (name, why))

blocks = re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
commands = []
for b in blocks:
    b = b.replace("\\\n", " ")
    for line in b.splitlines():
        line = line.split(" #")[0].strip() if not line.startswith("#") else ""
        if line:
            commands.append(line)
if not commands:
    fail("readme_commands", "no ```sh blocks in README.md")
n_run = 0
used = {}  # subcommand -> options the README passes it
for cmd in commands:
    words = cmd.split()
    if words[0] == "make":
        target = words[1] if len(words) > 1 else "all"
        r = subprocess.run(["make", "-n", "-C", root] + words[1:], capture_output=True, text=True)
        if r.returncode == 0:
            ok("readme_make_%s" % target)
        else:
            fail("readme_make_%s" % target, r.stderr.strip()[-300:])
        continue
    if words[0] == "PYTHONPATH=python" and "clusterperm" in cmd:
        # the Python package from the checkout, as the README says after `make`
        r = subprocess.run(cmd, shell=True, cwd=root, capture_output=True, text=True)
        ver = re.search(r'CPERM_VERSION_STRING "(.*)"', open(root + "/include/clusterperm.h").read())
        if r.returncode == 0 and ver and r.stdout.strip() == ver.group(1):
            ok("readme_python_import")
        else:
            fail("readme_python_import", "%r: %s%s" % (cmd, r.stdout, r.stderr[-400:]))
        continue
    if not words[0].startswith("build/clusterperm"):
        fail("readme_command", "a ```sh line that is neither make nor build/clusterperm: %r" % cmd)
        continue
    sub = words[1] if len(words) > 1 else ""
    used.setdefault(sub, set()).update(w.split("=")[0] for w in words if w.startswith("--"))
    n_run += 1
    r = subprocess.run(cmd, shell=True, cwd=work, capture_output=True, text=True, timeout=600)
    name = "readme_run_%d_%s" % (n_run, sub)
    if r.returncode == 0:
        ok(name)
    else:
        fail(name, "%r exited %d: %s" % (cmd, r.returncode, r.stderr.strip()[-400:]))

# The README's Python examples run, and print what their comments say.
for i, b in enumerate(re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)):
    if "import clusterperm" not in b:
        continue
    r = subprocess.run([sys.executable, "-c", b], cwd=work, capture_output=True, text=True,
                       env=dict(__import__("os").environ, PYTHONPATH=root + "/python"),
                       timeout=600)
    want = re.findall(r"^print\(.*\)\s+# (\S+)", b, re.M)
    got = r.stdout.split()
    if r.returncode == 0 and all(w.rstrip(",") in got for w in want):
        ok("readme_python_example_%d" % i)
    else:
        fail("readme_python_example_%d" % i, "exit %d, wanted %s in %r: %s"
             % (r.returncode, want, r.stdout[-300:], r.stderr[-400:]))

# Options: README <-> --help, per subcommand the README runs (and every subcommand's --help
# options must appear in the README).
def help_options(sub):
    r = subprocess.run(["%s/build/clusterperm" % work, sub, "--help"], capture_output=True,
                       text=True)
    return r.returncode, set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", r.stdout))
for sub in ("onesample", "independent", "rm-anova", "simulate", "plot"):
    rc, opts = help_options(sub)
    if rc != 0 or not opts:
        fail("readme_help_" + sub, "%s --help exited %d with no options" % (sub, rc))
        continue
    extra = sorted(used.get(sub, set()) - opts - {"--help"})
    if extra:
        fail("readme_options_exist_" + sub, "README uses %s, not in %s --help" % (extra, sub))
    else:
        ok("readme_options_exist_" + sub)
    missing = sorted(o for o in opts if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), text))
    if missing:
        fail("readme_documents_" + sub, "%s --help lists %s, which README.md never mentions" % (sub, missing))
    else:
        ok("readme_documents_" + sub)
sys.exit(failed)
PY
