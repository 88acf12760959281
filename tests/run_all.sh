#!/bin/sh
# Runs every test program and script; each prints "ok NAME" / "FAIL NAME: why" lines.
# Closes with "N passed, N failed"; exits non-zero if anything failed or a runner crashed.
BUILD=${1:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
export CPERM_BUILD="$BUILD"
log=$(mktemp)
crashed=0
run() {
    name=$1; shift
    printf '== %s\n' "$name"
    "$@" >"$log.one" 2>&1
    rc=$?
    cat "$log.one"; cat "$log.one" >>"$log"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log.one"; then
        echo "FAIL $name: runner exited with status $rc"
        echo "FAIL $name: runner exited with status $rc" >>"$log"
    fi
}
for t in "$BUILD"/tests/unit_*; do
    [ -x "$t" ] && run "$(basename "$t")" "$t"
done
for s in tests/xcheck_*.py; do
    [ -f "$s" ] && run "$(basename "$s")" "$PYTHON" "$s"
done
for s in tests/cli_*.sh; do
    [ -f "$s" ] && run "$(basename "$s")" sh "$s" "$BUILD"
done
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
rm -f "$log" "$log.one"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
