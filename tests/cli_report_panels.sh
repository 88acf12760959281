#!/bin/sh
# cli_report_panels.sh - issue 18's report pieces in headless Chromium: a run with --parc,
# --label and --subjects-dir (a subject directory written by MNE, as tests/xcheck_labels.py
# writes it) must give a page that loads offline without errors, whose cluster table has the
# region, MNI and effect-size columns and sorts (by "#sort=N" in the address, as a click on
# heading N does), and whose per-cluster panels hold the cluster's figure (a data URI), its
# facts (peak region, MNI, effect sizes) and its time course (an inline SVG with the
# significant window shaded); the screenshot must show the shaded window, the time course's
# line and the cluster's hot colours in the panel.
# Without Chromium (Debian package "chromium") it prints a SKIP line and asserts nothing.
# Prints "ok NAME" / "FAIL NAME: why". Usage: sh tests/cli_report_panels.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
PYTHON=${PYTHON:-/usr/bin/python3}
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
    echo "SKIP report_panels: chromium is not installed (Debian package: chromium)"
    exit 0
fi
[ -x "$CP" ] || { fail report_panels_setup "$CP not built"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-panels.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
TESTS=$(cd "$(dirname "$0")" && pwd)

"$CP" simulate "$T/study" --grade 4 >/dev/null 2>&1 &&
"$PYTHON" - "$T" "$TESTS" <<'PY' >"$T/log" 2>&1 || { fail report_panels_setup "subject: $(tail -3 "$T/log")"; exit 1; }
import json, sys
T, tests = sys.argv[1:3]
sys.path.insert(0, tests)
import mne
import xcheck_labels as x
src = mne.read_source_spaces(T + "/study/fsaverage-ico4-src.fif", verbose=False)
truth = json.load(open(T + "/study/truth.json"))
x.make_subject(T + "/subjects", src, truth["centre_vertex"], truth["vertices"])
PY
"$CP" onesample --a "$T/study/sub*/mne_dSPM_inverse_morph-faces_eq" \
    --b "$T/study/sub*/mne_dSPM_inverse_morph-scrambled_eq" \
    --src "$T/study/fsaverage-ico4-src.fif" --tmin 0 --magnitude --p-threshold 0.001 \
    --sigma 1e-3 --n-permutations 256 --seed 0 --out "$T/res" --parc testparc \
    --subjects-dir "$T/subjects" --subject xsubj \
    --label "$T/subjects/xsubj/label/handmade-lh.label" >"$T/log" 2>&1 ||
    { fail report_panels_setup "onesample failed: $(tail -3 "$T/log")"; exit 1; }
REPORT="$T/res/report.html"
if grep -Eiq '(src|href)="(https?:|//|file:)|<script[^>]*src|<link|@import|url\(' "$REPORT"; then
    fail report_panels_self_contained "external references in $REPORT"
else
    ok report_panels_self_contained
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
chrome sorted --dump-dom "file://$REPORT#sort=2" >"$T/dom-sorted.html"
chrome sortdesc --dump-dom "file://$REPORT#sort=-6" >"$T/dom-desc.html"
chrome shot --window-size=1200,9000 --screenshot="$T/shot.png" "file://$REPORT" >/dev/null
if grep -Eq 'Uncaught|net::ERR_|Failed to load|Not allowed to load|CONSOLE.*[Ee]rror' "$T/chrome.err"; then
    fail report_panels_no_errors "$(grep -E 'Uncaught|net::ERR_|Failed|CONSOLE' "$T/chrome.err" | head -3)"
else
    ok report_panels_no_errors
fi
"$PYTHON" - "$T" <<'PY'
import json, re, sys
from html.parser import HTMLParser
T = sys.argv[1]
res = json.load(open(T + "/res/clusters.json"))
fails = 0
def report(name, cond, why=""):
    global fails
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + why))
    fails += not cond

class Table(HTMLParser):
    """The cells of table#clusters, as text, row by row; and its headings."""
    def __init__(self):
        super().__init__()
        self.inside = self.cell = False
        self.rows, self.heads = [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "clusters": self.inside = True
        elif self.inside and tag == "tr": self.rows.append([])
        elif self.inside and tag in ("td", "th"): self.cell = True; self.rows[-1].append("")
    def handle_endtag(self, tag):
        if tag == "table": self.inside = False
        if tag in ("td", "th"): self.cell = False
    def handle_data(self, d):
        if self.inside and self.cell: self.rows[-1][-1] += d

def table(path):
    t = Table()
    t.feed(open(path).read())
    return t.rows[0], t.rows[1:]
heads, rows = table(T + "/dom.html")
want = ["peak region", "regions", "peak MNI (mm)", "mean contrast [95% CI]", "Cohen's d [95% CI]"]
report("report_panels_table_columns", all(w in heads for w in want), repr(heads))
p = [float(r[1]) for r in rows]
report("report_panels_table_by_p", p == sorted(p) and p[0] < 0.05, repr(p[:5]))
_, srows = table(T + "/dom-sorted.html")
stat = [float(r[2]) for r in srows]
report("report_panels_sorts_ascending", stat == sorted(stat) and len(stat) == len(rows) and
       stat != [float(r[2]) for r in rows], repr(stat[:5]))
_, drows = table(T + "/dom-desc.html")
peak = [float(r[6]) for r in drows]
report("report_panels_sorts_descending", peak == sorted(peak, reverse=True) and
       peak != [float(r[6]) for r in rows], repr(peak[:5]))
dom = open(T + "/dom.html").read()
sig = [c for c in res["clusters"] if c["p"] < 0.05]
k = sig[0]["index"] if sig else -1
missing = []
sec = re.search(r'<section class="panel sig" id="cluster-%d">(.*?)</section>' % k, dom, re.S)
if not sec:
    missing.append("panel section")
else:
    s = sec.group(1)
    if not re.search(r'<img id="cluster-fig-%d"[^>]*src="data:image/png;base64,iVBORw0KGgo' % k, s):
        missing.append("figure")
    if not re.search(r'<svg id="timecourse-%d".*<rect class="window".*<polyline' % k, s, re.S):
        missing.append("time course")
    pr = sig[0]["peak_region"] or "(none)"
    if "peak region" not in s or pr not in s: missing.append("peak region " + pr)
    if "MNI (mm)" not in s or "Cohen's d" not in s or "label handmade-lh" not in s:
        missing.append("MNI / effect / label rows")
report("report_panels_dom", not missing, "missing: " + ", ".join(missing))

import numpy as np
from PIL import Image
img = np.asarray(Image.open(T + "/shot.png").convert("RGB")).astype(int)
shade = (np.abs(img - [249, 203, 203]).max(axis=2) <= 6)
rows_s = np.where(shade.sum(axis=1) > 40)[0]
if len(rows_s) == 0:
    report("report_panels_screenshot", False, "no shaded time window on the page")
else:
    y0, y1 = max(0, rows_s[0] - 450), rows_s[0] + 250
    crop = img[y0:y1]
    n_shade = int(shade[y0:y1].sum())
    line = int((np.abs(crop - [31, 78, 156]).max(axis=2) <= 30).sum())
    hot = int(((crop[..., 0] > 230) & (crop[..., 2] < 60) & (crop[..., 1] > 60)).sum())
    ok = n_shade > 3000 and line > 300 and hot > 100
    report("report_panels_screenshot", ok,
           "%d shaded, %d line, %d hot pixels in the first panel" % (n_shade, line, hot))
    if ok:
        Image.fromarray(crop.astype(np.uint8)).save(T + "/panel.png")
sys.exit(1 if fails else 0)
PY
[ $? -eq 0 ] || failed=1
# CPERM_PANEL_PNG=path keeps the first panel's screenshot (docs/report-panel.png)
[ -n "$CPERM_PANEL_PNG" ] && [ -s "$T/panel.png" ] && cp "$T/panel.png" "$CPERM_PANEL_PNG"
exit $failed
