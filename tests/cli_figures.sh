#!/bin/sh
# cli_figures.sh - the figures the CLI writes (issue 11), on a small simulated study (ico-3,
# 8 subjects, 10 times): onesample's summary.png and the report's lateral/medial figure,
# `clusterperm plot` for every --hemi and view, and a TFCE run's summary.png, h0.png and
# report.html. Each brain figure is drawn again by tool_render with the same options: it
# must be the same image, its colour bar's band must hold no brain pixel, and each visible
# hemisphere must carry its lh/rh label over itself (tests/figcheck.h). Prints "ok NAME" /
# "FAIL NAME: why". Usage: sh tests/cli_figures.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
TOOL="$BUILD/tests/tool_render"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-figs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ] || [ ! -x "$TOOL" ]; then
    fail cli_figures_binaries "$CP or $TOOL not built"
    exit 1
fi
"$CP" simulate "$T/s3" --grade 3 --subjects 8 --n-times 10 >/dev/null 2>&1 ||
    { fail cli_figures_setup "simulate failed"; exit 1; }
SRC="$T/s3/fsaverage-ico3-src.fif"
A="$T/s3/sub*/mne_dSPM_inverse_morph-faces_eq"
B="$T/s3/sub*/mne_dSPM_inverse_morph-scrambled_eq"
LABEL='Duration significant (ms)'

# check NAME FIG STEM ARGS...: tool_render's verdict lines, passed through
check() {
    name=$1 fig=$2 stem=$3
    shift 3
    if [ ! -s "$fig" ]; then
        fail "${name}_exists" "no $fig"
        return
    fi
    "$TOOL" check "$name" "$fig" "$stem" "$SRC" "$@" >"$T/check.out" 2>&1
    rc=$?
    cat "$T/check.out"
    if [ $rc -ne 0 ]; then
        failed=1
        grep -q '^FAIL ' "$T/check.out" || fail "${name}_checked" "tool_render exited $rc"
    fi
}

# views FIG OUT: the lateral/medial figure embedded in report.html, decoded
views() {
    grep -o 'id="summary-views"[^>]*src="data:image/png;base64,[^"]*' "$1" |
        sed 's/.*base64,//' | base64 -d >"$2" 2>/dev/null
}

# ---- onesample (clusters): every cluster counts for the summary (--p-summary 1)
"$CP" onesample --a "$A" --b "$B" --src "$SRC" --t-threshold 2 --n-permutations 64 \
    --p-summary 1 --out "$T/clu" >"$T/log" 2>&1 ||
    fail onesample_cluster_run "$(tail -3 "$T/log")"
check summary_png "$T/clu/summary.png" "$T/clu/summary" --time-label "$LABEL"
views "$T/clu/report.html" "$T/clu/views.png"
check report_views "$T/clu/views.png" "$T/clu/summary" --hemi split --views lat,med \
    --size 720x720 --time-label "$LABEL"

# ---- clusterperm plot: every hemi and view, the colour bar and a time label on
STEM="$T/clu/summary"
for hemi in lh rh both split; do
    for view in lat med ven dor ros cau; do
        if "$CP" plot "$STEM" --src "$SRC" -o "$T/p.png" --hemi $hemi --views $view \
            --clim value:0,0.1,40 --size 320x320 --background white --time-label "$hemi $view" \
            2>"$T/stderr"; then
            check "plot_${hemi}_$view" "$T/p.png" "$STEM" --hemi $hemi --views $view \
                --clim value:0,0.1,40 --size 320x320 --time-label "$hemi $view"
        else
            fail "plot_${hemi}_$view" "$(cat "$T/stderr")"
        fi
    done
done
# several views, a dark background, no colour bar but a time label; pos_lims
"$CP" plot "$STEM" --src "$SRC" -o "$T/q.png" --hemi split --views lat,ven,cau \
    --clim pos-value:1,2,40 --size 500x700 --background black --time-label 't' --no-colorbar &&
    check plot_split_three_views_dark "$T/q.png" "$STEM" --hemi split --views lat,ven,cau \
        --clim pos-value:1,2,40 --size 500x700 --background black --time-label t --no-colorbar ||
    fail plot_split_three_views_dark "plot failed"

# ---- TFCE: the contrast (no point significant at this size), then faces alone (every
# point significant): figures and report both times
"$CP" onesample --a "$A" --b "$B" --src "$SRC" --tfce --n-permutations 256 --out "$T/tf0" \
    >"$T/log" 2>&1 || fail tfce_run_contrast "$(tail -3 "$T/log")"
if [ -s "$T/tf0/h0.png" ] && [ -s "$T/tf0/report.html" ] && [ ! -e "$T/tf0/summary.png" ] &&
    [ ! -e "$T/tf0/tfce-summary-lh.stc" ]; then
    ok tfce_none_significant_writes_h0_and_report
else
    fail tfce_none_significant_writes_h0_and_report "$(ls "$T/tf0")"
fi
"$TOOL" h0tfce tfce_none "$T/tf0" 0 0.05 || failed=1
missing=""
for want in 'id="summary-none"' 'id="points-none"' \
    '<img id="h0"[^>]*src="data:image/png;base64,iVBORw0KGgo' '<table id="parameters"' \
    '<th>formula</th><td>exact</td>' '<th>src</th><td>[^<]*fsaverage-ico3-src.fif</td>' \
    'Threshold-free cluster enhancement'; do
    grep -q "$want" "$T/tf0/report.html" 2>/dev/null || missing="$missing [$want]"
done
[ -z "$missing" ] && ok tfce_none_report_contents ||
    fail tfce_none_report_contents "missing:$missing"

"$CP" onesample --a "$A" --src "$SRC" --tfce --n-permutations 256 --out "$T/tf1" \
    >"$T/log" 2>&1 || fail tfce_run_faces "$(tail -3 "$T/log")"
missing=""
for f in summary.png h0.png report.html tfce-summary-lh.stc tfce-summary-rh.stc; do
    [ -s "$T/tf1/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok tfce_significant_writes_figures_and_report ||
    fail tfce_significant_writes_figures_and_report "missing:$missing"
check tfce_summary_png "$T/tf1/summary.png" "$T/tf1/tfce-summary" --clim max --time-label "$LABEL"
views "$T/tf1/report.html" "$T/tf1/views.png"
check tfce_report_views "$T/tf1/views.png" "$T/tf1/tfce-summary" --hemi split --views lat,med \
    --size 720x720 --clim max --time-label "$LABEL"
"$TOOL" h0tfce tfce_all "$T/tf1" 0 0.05 || failed=1
rows=$(grep -c '^<tr class="sig"><td>[lr]h</td>' "$T/tf1/report.html" 2>/dev/null)
missing=""
for want in '<img id="summary"[^>]*src="data:image/png;base64,iVBORw0KGgo' \
    '<table id="points"' '<table id="per-time"' '12800 more points with p &lt; 0.05' \
    '12840 of 12840 points with p &lt; 0.05'; do
    grep -q "$want" "$T/tf1/report.html" 2>/dev/null || missing="$missing [$want]"
done
[ -z "$missing" ] && [ "${rows:-0}" -eq 40 ] && ok tfce_significant_report_contents ||
    fail tfce_significant_report_contents "$rows point rows; missing:$missing"
if [ ! -s "$T/tf1/report.html" ] ||
    grep -Eiq '(src|href)="(https?:|//|file:)|<script|<link|@import|url\(' \
        "$T/tf1/report.html"; then
    fail tfce_report_self_contained "no report, or external references"
else
    ok tfce_report_self_contained
fi
# a later run without significant points removes the summary and its figure
"$CP" onesample --a "$A" --b "$B" --src "$SRC" --tfce --n-permutations 256 --out "$T/tf1" \
    >/dev/null 2>&1
[ ! -e "$T/tf1/summary.png" ] && [ ! -e "$T/tf1/tfce-summary-lh.stc" ] &&
    grep -q 'id="summary-none"' "$T/tf1/report.html" 2>/dev/null && ok tfce_stale_summary_removed ||
    fail tfce_stale_summary_removed "$(ls "$T/tf1")"
exit $failed
