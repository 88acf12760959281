#!/bin/sh
# cli_plot.sh - CLI cases for `clusterperm plot`: bad options give one "clusterperm: error:"
# line naming the problem and exit status 2, bad input files status 1 and no output file;
# good runs write PNG, SVG and PDF. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_plot.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-plot.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ]; then
    fail cli_plot_binary "$CP not built"
    exit 1
fi
"$CP" simulate "$T/g2" --grade 2 --subjects 2 --n-times 12 --seed 1 >/dev/null 2>&1 &&
"$CP" simulate "$T/g3" --grade 3 --subjects 2 --n-times 12 --seed 1 >/dev/null 2>&1 ||
    { fail cli_plot_setup "simulate failed"; exit 1; }
STEM="$T/g2/sub001/mne_dSPM_inverse_morph-faces_eq"
SRC="$T/g2/fsaverage-ico2-src.fif"

# expect NAME STATUS 'text in stderr' ARGS...: no output file may be left behind
expect() {
    name=$1 want_rc=$2 want_msg=$3
    shift 3
    rm -f "$T/out.png"
    "$CP" plot "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name" "exit status $rc, want $want_rc; stderr: $(cat "$T/stderr")"
    elif ! grep -q "^clusterperm: error: .*$want_msg" "$T/stderr"; then
        fail "$name" "stderr lacks '$want_msg': $(cat "$T/stderr")"
    elif [ "$(wc -l <"$T/stderr")" -ne 1 ]; then
        fail "$name" "more than one line on stderr: $(cat "$T/stderr")"
    elif [ -e "$T/out.png" ]; then
        fail "$name" "an output file was left"
    else
        ok "$name"
    fi
}
O="-o $T/out.png"
expect plot_no_stem 2 "STEM is required" --src "$SRC" $O
expect plot_no_output 2 "-o OUT is required" "$STEM" --src "$SRC"
expect plot_no_geometry 2 "src or --subjects-dir is required" "$STEM" $O
expect plot_both_geometries 2 "not both" "$STEM" --src "$SRC" --subjects-dir "$T" $O
expect plot_two_stems 2 "unexpected argument" "$STEM" "$STEM" --src "$SRC" $O
expect plot_unknown_option 2 "unknown option '--colour'" "$STEM" --src "$SRC" --colour red $O
expect plot_missing_value 2 "needs a value" "$STEM" --src "$SRC" $O --hemi
expect plot_bad_hemi 2 "--hemi 'left'" "$STEM" --src "$SRC" --hemi left $O
expect plot_bad_view 2 "--views 'lat,top'" "$STEM" --src "$SRC" --views lat,top $O
expect plot_too_many_views 2 "up to 6" "$STEM" --src "$SRC" --views lat,med,ven,dor,ros,cau,lat $O
expect plot_clim_not_monotonic 2 "--clim 'value:3,2,1'" "$STEM" --src "$SRC" --clim value:3,2,1 $O
expect plot_clim_kind 2 "--clim 'pos:1,2,3'" "$STEM" --src "$SRC" --clim pos:1,2,3 $O
expect plot_clim_percent_range 2 "percentages" "$STEM" --src "$SRC" --clim percent:0,50,101 $O
expect plot_clim_pos_negative 2 "not negative" "$STEM" --src "$SRC" --clim pos-value:-1,2,3 $O
expect plot_clim_two_values 2 "--clim 'value:1,2'" "$STEM" --src "$SRC" --clim value:1,2 $O
expect plot_bad_size 2 "--size '10x10'" "$STEM" --src "$SRC" --size 10x10 $O
expect plot_bad_size_text 2 "--size 'big'" "$STEM" --src "$SRC" --size big $O
expect plot_bad_background 2 "--background 'purple'" "$STEM" --src "$SRC" --background purple $O
expect plot_bad_smoothing 2 "--smoothing-steps 'many'" "$STEM" --src "$SRC" --smoothing-steps many $O
expect plot_bad_extension 2 "must end in .png, .svg or .pdf" "$STEM" --src "$SRC" -o "$T/out.jpg"
expect plot_missing_stem 1 "not found" "$T/nothing" --src "$SRC" $O
expect plot_missing_src 1 "no-src.fif" "$STEM" --src "$T/no-src.fif" $O
expect plot_time_index 1 "12 time points" "$STEM" --src "$SRC" --time-index 12 $O
expect plot_vertices_beyond_surface 1 "beyond the surface" \
    "$T/g3/sub001/mne_dSPM_inverse_morph-faces_eq" --src "$SRC" $O
expect plot_no_subject 1 "give --subject" "$STEM" --subjects-dir "$T" $O
expect plot_subject_missing_surface 1 "lh.inflated" "$STEM" --subjects-dir "$T" --subject none $O

"$CP" plot --help >"$T/stdout" 2>&1 && grep -q "usage: clusterperm plot" "$T/stdout" &&
    ok plot_help || fail plot_help "$(cat "$T/stdout")"

# good runs: each format, MNE's default clim (percentiles), several views and options
good() { # NAME SIGNATURE-COMMAND FILE ARGS...
    name=$1 sig=$2 out=$3
    shift 3
    rm -f "$out"
    if "$CP" plot "$STEM" --src "$SRC" -o "$out" "$@" >"$T/stdout" 2>"$T/stderr" &&
        [ ! -s "$T/stderr" ] && eval "$sig"; then
        ok "$name"
    else
        fail "$name" "status or output wrong; stderr: $(cat "$T/stderr")"
    fi
}
good plot_png_default_clim 'head -c 8 "$out" | od -An -c | grep -q "P   N   G"' "$T/a.png"
good plot_svg 'grep -q "<svg" "$out"' "$T/a.svg" --hemi split --views lat,med
good plot_pdf 'head -c 5 "$out" | grep -q "%PDF-"' "$T/a.pdf" --hemi both --views ven,dor \
    --clim value:1,2,6 --background '#102030' --size 300x500 --time-index 3 \
    --smoothing-steps nearest --time-label 'Duration significant (ms)'
good plot_pos_lims 'test -s "$out"' "$T/c.png" --clim pos-value:1,2,5
good plot_pos_percent 'test -s "$out"' "$T/d.png" --clim pos-percent:50,90,99 --views ros,cau
good plot_no_colorbar 'test -s "$out"' "$T/b.png" --no-colorbar --time-label ''
exit $failed
