# clilib.sh - shared by the CLI test scripts (sourced, not run): expect_fail. The sourcing
# script defines CP (the program), T (its scratch directory) and ok/fail.
#
# expect_fail NAME STATUS 'text expected in the message' COMMAND ARGS...: the run must exit
# with STATUS and print exactly one "clusterperm: error: ..." line containing the text, and
# (for the test commands onesample, independent and rm-anova, which get --out $T/out/NAME
# first) leave nothing in the output directory.
expect_fail() {
    name=$1 want_rc=$2 want_msg=$3
    shift 3
    out="$T/out/$name"
    mkdir -p "$T/out"
    if [ "$1" = onesample ] || [ "$1" = independent ] || [ "$1" = rm-anova ]; then
        cmd=$1
        shift
        set -- "$cmd" --out "$out" "$@"
    fi
    "$CP" "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name" "exit status $rc, want $want_rc; stderr: $(cat "$T/stderr")"
    elif [ "$(wc -l <"$T/stderr")" -ne 1 ] || ! grep -q '^clusterperm: error: ' "$T/stderr"; then
        fail "$name" "want one 'clusterperm: error:' line on stderr, got: $(cat "$T/stderr")"
    elif ! grep -qF -- "$want_msg" "$T/stderr"; then
        fail "$name" "message lacks '$want_msg': $(cat "$T/stderr")"
    elif [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
        fail "$name" "output left in $out: $(ls -A "$out")"
    else
        ok "$name"
    fi
}
