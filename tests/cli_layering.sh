#!/bin/sh
# cli_layering.sh - the CLI is a client of the public header only, and test hooks exist only
# in test builds (issue 11): no cli/ file includes a src/*_internal.h (nor anything from src/),
# the CLI is compiled without -Isrc, every library function its objects call is exported by
# libclusterperm.so; the production program and libraries contain no fault-injection symbol
# and ignore CLUSTERPERM_TEST_FAIL_WRITE (a run with it set succeeds and writes every output,
# identical to a run without it), while the test binary honours it.
# Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_layering.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
CPT="$BUILD/tests/clusterperm-testhooks"
SO=$(ls "$BUILD"/libclusterperm.so.*.*.* 2>/dev/null | head -1)
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-layer.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ] || [ ! -x "$CPT" ] || [ -z "$SO" ]; then
    fail layering_setup "$CP, $CPT or the shared library not built"
    exit 1
fi

# ---- the CLI uses include/clusterperm.h only
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*/)?[^">/]*_internal\.h[">]|^[[:space:]]*#[[:space:]]*include[[:space:]]*"(\.\./)+src/' cli/*.c cli/*.h)
[ -z "$bad" ] && ok cli_no_internal_headers || fail cli_no_internal_headers "$bad"
# the Python extension is a client of the public header too
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*/)?[^">/]*_internal\.h[">]|^[[:space:]]*#[[:space:]]*include[[:space:]]*"(\.\./)+src/' python/clusterperm/*.c)
[ -z "$bad" ] && ok python_no_internal_headers || fail python_no_internal_headers "$bad"

# The compile commands make would run for the CLI's objects (-n -B: printed, not run).
MAKEFLAGS= MFLAGS= make --no-print-directory -n -B BUILD="$BUILD" \
    $(for c in cli/*.c; do b=${c#cli/}; printf '%s ' "$BUILD/cli/${b%.c}.o"; done) >"$T/cc.txt" 2>&1
n=$(grep -c -- ' -c cli/' "$T/cc.txt")
if [ "$n" -ne "$(ls cli/*.c | wc -l)" ]; then
    fail cli_compiled_without_isrc "expected one compile line per cli/*.c, got $n: $(head -3 "$T/cc.txt")"
elif grep -- ' -c cli/' "$T/cc.txt" | grep -qE -- '(^| )-I *(\./)?src/?( |$)'; then
    fail cli_compiled_without_isrc "$(grep -- ' -c cli/' "$T/cc.txt" | grep -E -- '-I *(\./)?src' | head -1)"
else
    ok "cli_compiled_without_isrc ($n objects)"
fi

# Every cperm_ function the CLI's objects call is exported by the shared library (a private
# function reached through a prototype of one's own would link statically but not here).
nm -D --defined-only "$SO" | awk '{print $NF}' | sort -u >"$T/exported"
nm -u "$BUILD"/cli/*.o | awk '$1 == "U" && $2 ~ /^cperm_/ {print $2}' | sort -u >"$T/used"
missing=$(comm -23 "$T/used" "$T/exported" | tr '\n' ' ')
if [ ! -s "$T/used" ]; then
    fail cli_uses_exported_api "no cperm_ symbol found in $BUILD/cli/*.o"
elif [ -n "$missing" ]; then
    fail cli_uses_exported_api "not exported by $SO: $missing"
else
    ok "cli_uses_exported_api ($(wc -l <"$T/used") functions)"
fi

# ---- no test hook in production builds
HOOK_SYMS='cperm_fileio_fail_after|cperm_fileio_steps|cli_test_hooks_init|cli_test_step_fails|fail_countdown'
for f in "$CP" "$BUILD/libclusterperm.a" "$SO"; do
    syms=$(nm -A "$f" 2>/dev/null | grep -E "$HOOK_SYMS")
    dsyms=$(nm -D "$f" 2>/dev/null | grep -E "$HOOK_SYMS")
    if [ -n "$syms$dsyms" ]; then
        fail "no_hook_symbols_$(basename "$f")" "$syms $dsyms"
    elif grep -q CLUSTERPERM_TEST_FAIL_WRITE "$f"; then
        fail "no_hook_symbols_$(basename "$f")" "contains the string CLUSTERPERM_TEST_FAIL_WRITE"
    else
        ok "no_hook_symbols_$(basename "$f")"
    fi
done
# ... while the test builds have them (so that the check above can see them)
nm "$CPT" | grep -q cperm_fileio_fail_after && nm "$CPT" | grep -q 'T cli_test_step_fails' &&
    nm "$BUILD/libclusterperm-testhooks.a" 2>/dev/null |
    grep -q 'T cperm_fileio_fail_after' && ok test_build_has_hooks ||
    fail test_build_has_hooks "cperm_fileio_fail_after or cli_test_step_fails not in $CPT / libclusterperm-testhooks.a"

# ---- behaviour: production ignores CLUSTERPERM_TEST_FAIL_WRITE, the test binary honours it
"$CP" simulate "$T/g2" --grade 2 --subjects 4 --n-times 12 --seed 3 >/dev/null 2>&1 ||
    { fail layering_simulate "simulate failed"; exit 1; }
F=mne_dSPM_inverse_morph-faces_eq S=mne_dSPM_inverse_morph-scrambled_eq
ARGS="--a $T/g2/sub*/$F --b $T/g2/sub*/$S --src $T/g2/fsaverage-ico2-src.fif --t-threshold 1.5 --n-permutations 16 --p-summary 1"
OUTS="tobs-lh.stc tobs-rh.stc summary-lh.stc summary-rh.stc h0.txt clusters.json summary.png h0.png report.html"
"$CP" onesample $ARGS --out "$T/plain" >/dev/null 2>"$T/err0"
rc0=$?
CLUSTERPERM_TEST_FAIL_WRITE=1 "$CP" onesample $ARGS --out "$T/hooked" >/dev/null 2>"$T/err1"
rc1=$?
missing= differ=
for f in $OUTS; do
    [ -s "$T/hooked/$f" ] || missing="$missing $f"
done
for f in tobs-lh.stc tobs-rh.stc summary-lh.stc summary-rh.stc h0.txt; do
    cmp -s "$T/plain/$f" "$T/hooked/$f" || differ="$differ $f"
done
if [ $rc0 -ne 0 ] || [ $rc1 -ne 0 ]; then
    fail production_ignores_fail_write "status $rc0 / $rc1 with CLUSTERPERM_TEST_FAIL_WRITE=1: $(cat "$T/err0" "$T/err1")"
elif [ -n "$missing$differ" ]; then
    fail production_ignores_fail_write "missing:$missing differ:$differ"
else
    ok production_ignores_fail_write
fi
CLUSTERPERM_TEST_FAIL_WRITE=1 "$CPT" onesample $ARGS --out "$T/tb" >/dev/null 2>"$T/err2"
rc2=$?
[ $rc2 -eq 1 ] && grep -q '^clusterperm: error: .*write: ' "$T/err2" && [ ! -e "$T/tb/h0.txt" ] &&
    ok test_binary_honours_fail_write ||
    fail test_binary_honours_fail_write "status $rc2: $(cat "$T/err2")"

exit $failed
