#!/bin/sh
# mne_main.sh - makes MNE's current main cluster code runnable on Debian's numpy/scipy, for
# the bench's "MNE main" column (issue 17), and prints the PYTHONPATH that runs it.
#   sh bench/mne_main.sh MNE_MAIN OUT
# MNE_MAIN: a checkout of mne-tools/mne-python (a work tree with mne/, or a bare git dir,
# read at HEAD). OUT gets a hybrid package: Debian's MNE 1.3 with main's
# mne/stats/cluster_level.py, _cluster_level_numba.py and mne/_numba.py unchanged, and main's
# small _reshape_view helper added to mne/fixes.py (import-level patches only: no algorithm
# changes), plus Debian's numba and llvmlite unpacked for the hybrid alone (installing
# python3-numba system-wide would switch MNE 1.3 onto its numba path and change the 1.3
# baseline). Prints the PYTHONPATH on its last line; exits non-zero when a step fails.
set -e
SRC=$1
OUT=$2
[ -n "$SRC" ] && [ -n "$OUT" ] || { echo "usage: mne_main.sh MNE_MAIN OUT" >&2; exit 2; }
show() { # path inside the checkout -> stdout
    if [ -f "$SRC/$1" ]; then cat "$SRC/$1"
    elif git --git-dir="$SRC" rev-parse HEAD >/dev/null 2>&1; then git --git-dir="$SRC" show "HEAD:$1"
    elif git --git-dir="$SRC/.git" rev-parse HEAD >/dev/null 2>&1; then git --git-dir="$SRC/.git" show "HEAD:$1"
    else echo "mne_main.sh: $SRC has no $1" >&2; return 1
    fi
}
MNE13=$(/usr/bin/python3 -c 'import mne, os; print(os.path.dirname(mne.__file__))')
rm -rf "$OUT/hybrid"
mkdir -p "$OUT/hybrid" "$OUT/debs"
cp -r "$MNE13" "$OUT/hybrid/mne"
show mne/stats/cluster_level.py >"$OUT/hybrid/mne/stats/cluster_level.py"
show mne/stats/_cluster_level_numba.py >"$OUT/hybrid/mne/stats/_cluster_level_numba.py"
show mne/_numba.py >"$OUT/hybrid/mne/_numba.py"
# main's _reshape_view (a few lines of mne/fixes.py), appended to 1.3's fixes.py
show mne/fixes.py | /usr/bin/python3 -c '
import re, sys
text = sys.stdin.read()
m = re.search(r"^def _reshape_view\(.*?(?=^\S)", text, re.S | re.M)
if not m:
    sys.exit("mne_main.sh: no _reshape_view in main'"'"'s mne/fixes.py")
sys.stdout.write("\n\n" + m.group(0))' >>"$OUT/hybrid/mne/fixes.py"
if [ ! -d "$OUT/numba/usr/lib/python3/dist-packages/numba" ]; then
    (cd "$OUT/debs" && apt-get download python3-numba python3-llvmlite >/dev/null 2>&1) || {
        echo "mne_main.sh: apt-get download python3-numba python3-llvmlite failed" >&2; exit 1; }
    for deb in "$OUT"/debs/*.deb; do dpkg -x "$deb" "$OUT/numba"; done
fi
PP="$OUT/hybrid:$OUT/numba/usr/lib/python3/dist-packages"
PYTHONPATH="$PP" /usr/bin/python3 -c '
import mne, mne.stats.cluster_level as cl, mne._numba as nb, sys
assert "hybrid" in cl.__file__, cl.__file__
assert nb.has_numba, "numba did not import"
' >&2
echo "$PP"
