#!/bin/sh
# cli_report_chromium.sh - opens the report.html written by `clusterperm onesample` in
# headless Chromium: it must load offline with no errors, its DOM must hold the cluster
# table and both images (as data URIs), and a screenshot must show the figures (the hot
# colours of the brain's colorbar, the blue bars of the H0 histogram), not a blank page.
# Then the same for a TFCE run's report (onesample --tfce): its table of significant points,
# the summary, lateral/medial and H0 images; and for a volume run's (tests/volstudy.py): its
# glass brain (summary-vol) shown in the screenshot's hot colours.
# Without Chromium (Debian package "chromium") it prints a SKIP line and asserts nothing.
# Prints "ok NAME" / "FAIL NAME: why". Usage: sh tests/cli_report_chromium.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
PYTHON=${PYTHON:-/usr/bin/python3}
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
    echo "SKIP report_chromium: chromium is not installed (Debian package: chromium)"
    exit 0
fi
if [ ! -x "$CP" ]; then
    fail report_chromium_setup "$CP not built"
    exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-chromium.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

# A small study with a significant cluster (ico-4, 256 permutations).
"$CP" simulate "$T/study" --grade 4 >/dev/null 2>&1 &&
"$CP" onesample --a "$T/study/sub*/mne_dSPM_inverse_morph-faces_eq" \
    --b "$T/study/sub*/mne_dSPM_inverse_morph-scrambled_eq" \
    --src "$T/study/fsaverage-ico4-src.fif" --tmin 0 --magnitude --p-threshold 0.001 \
    --sigma 1e-3 --n-permutations 256 --seed 0 --out "$T/res" >"$T/log" 2>&1 ||
    { fail report_chromium_setup "simulate/onesample failed: $(tail -3 "$T/log")"; exit 1; }
REPORT="$T/res/report.html"
[ -s "$REPORT" ] && ok report_written || { fail report_written "no $REPORT"; exit 1; }

# Self-contained: nothing fetched from elsewhere.
# (one inline script, issue 18's table sorting, is allowed; a script from a file is not)
if grep -Eiq '(src|href)="(https?:|//|file:)|<script[^>]*src|<link|@import|url\(' "$REPORT"; then
    fail report_self_contained "external references: $(grep -Eio '(src|href)="(https?:|//|file:)[^"]{0,40}|<script[^>]*src|<link|@import|url\(' "$REPORT" | head -3)"
else
    ok report_self_contained
fi

chrome() { # TAG ARGS... : one headless run with a fresh profile, offline
    prof="$T/profile.$1"
    shift
    rm -rf "$prof"
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
        --enable-logging=stderr --v=0 --hide-scrollbars "$@" 2>>"$T/chrome.err"
}

: >"$T/chrome.err"
chrome dom --dump-dom "file://$REPORT" >"$T/dom.html"
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$T/dom.html" ]; then
    fail report_chromium_loads "chromium exited $rc; $(grep -v dbus "$T/chrome.err" | tail -3)"
else
    ok report_chromium_loads
fi
missing=""
grep -q '<table id="clusters"' "$T/dom.html" || missing="$missing cluster-table"
grep -q '<table id="parameters"' "$T/dom.html" || missing="$missing parameter-table"
grep -q '<img id="summary"[^>]*src="data:image/png;base64,iVBORw0KGgo' "$T/dom.html" ||
    missing="$missing summary-image"
grep -q '<img id="h0"[^>]*src="data:image/png;base64,iVBORw0KGgo' "$T/dom.html" ||
    missing="$missing h0-image"
grep -q '<tr class="sig">' "$T/dom.html" || missing="$missing significant-row"
[ -z "$missing" ] && ok report_dom_table_and_images || fail report_dom_table_and_images "missing:$missing"

chrome shot --window-size=1200,4000 --screenshot="$T/shot.png" "file://$REPORT" >/dev/null
if grep -Eq 'Uncaught|net::ERR_|Failed to load|Not allowed to load|CONSOLE.*[Ee]rror' "$T/chrome.err"; then
    fail report_no_load_errors "$(grep -E 'Uncaught|net::ERR_|Failed to load|Not allowed to load|CONSOLE' "$T/chrome.err" | head -3)"
else
    ok report_no_load_errors
fi
if [ ! -s "$T/shot.png" ]; then
    fail report_screenshot "no screenshot written"
else
    "$PYTHON" - "$T/shot.png" <<'EOF'
import sys
from PIL import Image
import numpy as np
img = np.asarray(Image.open(sys.argv[1]).convert("RGB")).astype(int)
flat = img.reshape(-1, 3)
n_colours = len(np.unique(flat[:: 7], axis=0))
# the brain figure's colorbar: 'hot' oranges/yellows (r high, b low, g between)
hot = ((flat[:, 0] > 230) & (flat[:, 2] < 40) & (flat[:, 1] > 60) & (flat[:, 1] < 230)).sum()
# the H0 histogram's bars: (77, 115, 176)
blue = (np.abs(flat - [77, 115, 176]).max(axis=1) <= 8).sum()
fails = []
if n_colours < 50: fails.append("only %d colours: blank page" % n_colours)
if hot < 2000: fails.append("%d hot-colour pixels: the brain figure is not shown" % hot)
if blue < 500: fails.append("%d histogram-blue pixels: the H0 figure is not shown" % blue)
print("FAIL report_screenshot_shows_figures: " + "; ".join(fails) if fails else
      "ok report_screenshot_shows_figures")
sys.exit(1 if fails else 0)
EOF
    [ $? -eq 0 ] || failed=1
fi

# A TFCE run (faces alone on a small study: every point significant) and its page.
"$CP" simulate "$T/s3" --grade 3 --subjects 8 --n-times 10 >/dev/null 2>&1 &&
"$CP" onesample --a "$T/s3/sub*/mne_dSPM_inverse_morph-faces_eq" \
    --src "$T/s3/fsaverage-ico3-src.fif" --tfce --n-permutations 64 --out "$T/tfce" \
    >"$T/log" 2>&1 || { fail report_tfce_setup "$(tail -3 "$T/log")"; exit 1; }
: >"$T/chrome.err"
chrome tdom --dump-dom "file://$T/tfce/report.html" >"$T/tdom.html"
missing=""
grep -q '<table id="points"' "$T/tdom.html" || missing="$missing points-table"
grep -q '<table id="parameters"' "$T/tdom.html" || missing="$missing parameter-table"
for id in summary summary-views h0; do
    grep -q "<img id=\"$id\"[^>]*src=\"data:image/png;base64,iVBORw0KGgo" "$T/tdom.html" ||
        missing="$missing $id-image"
done
[ -z "$missing" ] && ok report_tfce_dom_table_and_images ||
    fail report_tfce_dom_table_and_images "missing:$missing"
chrome tshot --window-size=1200,4000 --screenshot="$T/tshot.png" "file://$T/tfce/report.html" >/dev/null
if grep -Eq 'Uncaught|net::ERR_|Failed to load|Not allowed to load|CONSOLE.*[Ee]rror' "$T/chrome.err" ||
    [ ! -s "$T/tshot.png" ]; then
    fail report_tfce_loads_without_errors "$(grep -E 'Uncaught|net::ERR_|Failed|CONSOLE' "$T/chrome.err" | head -3)"
else
    ok report_tfce_loads_without_errors
fi
# A volume run (tests/volstudy.py: MNE's volume space and -vl.stc study) and its glass brain.
if "$PYTHON" "$(dirname "$0")/volstudy.py" "$T/vol" >/dev/null 2>&1 &&
    "$CP" onesample --a "$T/vol/study/sub*/faces" --b "$T/vol/study/sub*/scrambled" \
        --src "$T/vol/vol-src.fif" --p-threshold 0.01 --n-permutations 200 --seed 3 \
        --out "$T/volres" >"$T/log" 2>&1; then
    : >"$T/chrome.err"
    chrome vdom --dump-dom "file://$T/volres/report.html" >"$T/vdom.html"
    missing=""
    for id in summary-vol h0; do
        grep -q "<img id=\"$id\"[^>]*src=\"data:image/png;base64,iVBORw0KGgo" "$T/vdom.html" ||
            missing="$missing $id-image"
    done
    grep -q '<img id="summary"' "$T/vdom.html" && missing="$missing (a surface figure)"
    [ -z "$missing" ] && ok report_volume_dom_images ||
        fail report_volume_dom_images "missing:$missing"
    chrome vshot --window-size=1200,3000 --screenshot="$T/vshot.png" \
        "file://$T/volres/report.html" >/dev/null
    if grep -Eq 'Uncaught|net::ERR_|Failed to load|Not allowed to load|CONSOLE.*[Ee]rror' \
        "$T/chrome.err" || [ ! -s "$T/vshot.png" ]; then
        fail report_volume_loads_without_errors "$(grep -E 'Uncaught|net::ERR_|Failed|CONSOLE' "$T/chrome.err" | head -3)"
    else
        "$PYTHON" - "$T/vshot.png" <<'EOF2'
import sys
from PIL import Image
import numpy as np
flat = np.asarray(Image.open(sys.argv[1]).convert("RGB")).astype(int).reshape(-1, 3)
# the glass brain's cells and colour bar: 'hot' oranges/yellows; its grey silhouette
hot = ((flat[:, 0] > 230) & (flat[:, 2] < 60) & (flat[:, 1] > 60)).sum()
grey = (np.abs(flat - [219, 219, 219]).max(axis=1) <= 3).sum()
ok = hot > 3000 and grey > 20000
print(("ok" if ok else "FAIL") + " report_volume_screenshot_shows_glass_brain" +
      ("" if ok else ": %d hot, %d silhouette-grey pixels" % (hot, grey)))
sys.exit(0 if ok else 1)
EOF2
        [ $? -eq 0 ] || failed=1
    fi
else
    fail report_volume_setup "$(tail -3 "$T/log")"
fi
exit $failed
