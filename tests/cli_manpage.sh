#!/bin/sh
# cli_manpage.sh - clusterperm(1) and the bash completion (issue 11), both generated from the
# program's --help output by tools/gendoc.c: the man page renders without warnings and, in
# each command's section, names every option that command's --help lists; the completion
# script, sourced in bash, completes commands, each command's options (all those --help
# lists), option values and file names. Also `help COMMAND` = `COMMAND --help`, -V =
# --version. Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_manpage.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CP="$BUILD/clusterperm"
MAN="$BUILD/clusterperm.1"
COMP="$BUILD/clusterperm.bash-completion"
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-man.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if [ ! -x "$CP" ] || [ ! -s "$MAN" ] || [ ! -s "$COMP" ]; then
    fail manpage_setup "$CP, $MAN or $COMP not built"
    exit 1
fi

# The options a --help text lists, one a line: every --long option anywhere in it, and short
# options (-x) where they stand alone ("  -j, --jobs N", "-o OUT.png", "| -h").
options_of() {
    { grep -oE -- '(^|[^A-Za-z0-9_-])--[A-Za-z][A-Za-z0-9-]*' "$1" | sed 's/^[^-]*//'
      grep -oE -- '(^|[ ,[(|])-[A-Za-z]([],)| ]|$)' "$1" | sed 's/^[^-]*//; s/[],)| ]*$//'
    } | sort -u
}
# The commands of the top-level help: the words at the start of the "commands:" entries.
"$CP" --help >"$T/help-top" 2>&1 || fail help_top "status $?"
COMMANDS=$(awk '/^commands:/ {on = 1; next} on && /^[^ ]/ {on = 0} on && /^  [a-z]/ {print $1}' "$T/help-top")
missing=
for c in onesample independent rm-anova simulate plot version help; do
    echo "$COMMANDS" | grep -qx "$c" || missing="$missing $c"
done
[ -z "$missing" ] && ok "help_lists_commands ($(echo $COMMANDS))" ||
    fail help_lists_commands "missing:$missing in: $(echo $COMMANDS)"
HELP_CMDS=
for c in $COMMANDS; do
    "$CP" "$c" --help >"$T/help-$c" 2>&1
    head -1 "$T/help-$c" | grep -q "^usage: clusterperm $c " && HELP_CMDS="$HELP_CMDS $c"
done
[ "$(echo $HELP_CMDS)" = "onesample independent rm-anova simulate plot" ] && ok "commands_with_help ($(echo $HELP_CMDS))" ||
    fail commands_with_help "$HELP_CMDS"
options_of "$T/help-top" >"$T/opts-top"
for c in $HELP_CMDS; do
    options_of "$T/help-$c" >"$T/opts-$c"
done
# the parse itself: enough options found that the comparisons below mean something
no=$(wc -l <"$T/opts-onesample") np=$(wc -l <"$T/opts-plot") ns=$(wc -l <"$T/opts-simulate")
[ "$no" -ge 25 ] && [ "$np" -ge 15 ] && [ "$ns" -ge 5 ] && grep -qx -- -j "$T/opts-onesample" &&
    grep -qx -- -V "$T/opts-top" && ok "help_options_parsed (onesample $no, plot $np, simulate $ns)" ||
    fail help_options_parsed "onesample $no, plot $np, simulate $ns: $(tr '\n' ' ' <"$T/opts-onesample")"

# ---- help and version
for c in $HELP_CMDS; do
    "$CP" help "$c" >"$T/via-help" 2>&1
    rc=$?
    [ $rc -eq 0 ] && cmp -s "$T/via-help" "$T/help-$c" && ok "help_$c" ||
        fail "help_$c" "status $rc: $(head -2 "$T/via-help")"
done
"$CP" help >"$T/h1" 2>&1 && "$CP" -h >"$T/h2" 2>&1 && cmp -s "$T/h1" "$T/help-top" && cmp -s "$T/h2" "$T/help-top" &&
    grep -q '^  help ' "$T/help-top" && ok help_top || fail help_top "$(head -3 "$T/h1")"
"$CP" help nosuch >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "^clusterperm: error: .*nosuch" "$T/err" && ok help_unknown_command ||
    fail help_unknown_command "status $rc: $(cat "$T/err")"
VERSION=$(sed -n 's/^#define CPERM_VERSION_STRING "\(.*\)"/\1/p' include/clusterperm.h)
v1=$("$CP" -V 2>&1) v2=$("$CP" --version 2>&1) v3=$("$CP" version 2>&1)
[ "$v1" = "clusterperm $VERSION" ] && [ "$v2" = "$v1" ] && [ "$v3" = "$v1" ] && ok "version_V ($v1)" ||
    fail version_V "'$v1' '$v2' '$v3'"

# ---- the man page
head -5 "$MAN" | grep -q '^\.TH CLUSTERPERM 1 ' && grep -q '^\.SH NAME' "$MAN" && grep -q '^\.SH SYNOPSIS' "$MAN" &&
    grep -q '^\.SH DESCRIPTION' "$MAN" && grep -q '^\.SH COMMANDS' "$MAN" && ok man_structure ||
    fail man_structure "$(head -5 "$MAN")"
missing=
# (roff escapes a command's '-' as '\-': rm-anova)
for c in $COMMANDS; do sed 's/\\-/-/g' "$MAN" | grep -qx ".SS \"clusterperm $c\"" || missing="$missing $c"; done
[ -z "$missing" ] && ok man_command_sections || fail man_command_sections "no .SS for:$missing"
# Rendered text, wide enough that no line is broken inside a word.
if command -v groff >/dev/null 2>&1; then
    groff -man -Tascii -ww -rLL=250n "$MAN" 2>"$T/groff-warn" | sed 's/.\x08//g' >"$T/man.txt"
    [ -s "$T/man.txt" ] && [ ! -s "$T/groff-warn" ] && ok man_renders ||
        fail man_renders "groff: $(head -3 "$T/groff-warn")"
    if command -v man >/dev/null 2>&1; then
        MANWIDTH=120 man -l "$MAN" >"$T/man-l.txt" 2>&1 && grep -q 'clusterperm onesample' "$T/man-l.txt" &&
            ok man_l || fail man_l "$(head -3 "$T/man-l.txt")"
    fi
else
    # no groff: the roff source with its escapes undone
    sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\&//g; s/\\e/\\/g; /^\.\\"/d; s/^\.SS "\(.*\)"$/   \1/; /^\./d' "$MAN" >"$T/man.txt"
    ok "man_renders (no groff: roff source checked)"
fi
# section COMMAND of the rendered page: from its heading to the next command or section
section() {
    awk -v h="clusterperm $1" '$0 ~ "^   clusterperm [a-z-]+$" {on = ($0 == "   " h); next}
        /^[A-Z]/ {on = 0} on' "$T/man.txt"
}
has_word() { grep -qE -- "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)" "$2"; }
for c in $HELP_CMDS; do
    section "$c" >"$T/sec-$c"
    missing=
    while read -r o; do has_word "$o" "$T/sec-$c" || missing="$missing $o"; done <"$T/opts-$c"
    [ -s "$T/sec-$c" ] && [ -z "$missing" ] && ok "man_options_$c ($(wc -l <"$T/opts-$c"))" ||
        fail "man_options_$c" "missing in its section:$missing"
done
missing=
while read -r o; do has_word "$o" "$T/man.txt" || missing="$missing $o"; done <"$T/opts-top"
[ -z "$missing" ] && ok man_options_top || fail man_options_top "missing:$missing"

# ---- the completion script
if ! command -v bash >/dev/null 2>&1; then
    fail completion_bash "bash not found"
    exit 1
fi
# complete WORD... : the candidates for the last word (may be ''), one a line, sorted
complete_() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
             _clusterperm clusterperm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
             printf "%s\n" "${COMPREPLY[@]}"' complete_ "$COMP" clusterperm "$@" 2>&1 | sed '/^$/d' | sort
}
expect_() {
    name=$1 want=$2
    shift 2
    got=$(complete_ "$@" | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$want" ] && ok "$name" || fail "$name" "clusterperm $*<TAB>: got '$got', want '$want'"
}
bash -c '. "$1" && complete -p clusterperm' x "$COMP" 2>&1 | grep -q -- '-F _clusterperm clusterperm' &&
    ok completion_registered || fail completion_registered "$(bash -c '. "$1"; complete -p clusterperm' x "$COMP" 2>&1)"
expect_ completion_command onesample on
expect_ completion_long_option --n-permutations onesample --n-
expect_ completion_help_command plot help pl
expect_ completion_tail_values "-1 0 1" onesample --tail ''
expect_ completion_choice_values "mne1.3 none" onesample --compat ''
expect_ completion_numeric_value "" onesample --seed ''
: >"$T/sub-src.fif"; : >"$T/sub-file"; mkdir "$T/sub-dir"
expect_ completion_file_option "$T/sub-dir $T/sub-file $T/sub-src.fif" onesample --src "$T/sub-"
expect_ completion_dir_option "$T/sub-dir" onesample --out "$T/sub-"
expect_ completion_dir_positional "$T/sub-dir" simulate "$T/sub-"
expect_ completion_option_equals "$T/sub-dir" plot --subjects-dir = "$T/sub-"
complete_ '' >"$T/c-top"
missing=
for w in $COMMANDS $(cat "$T/opts-top"); do grep -qx -- "$w" "$T/c-top" || missing="$missing $w"; done
[ -z "$missing" ] && ok "completion_top ($(wc -l <"$T/c-top"))" || fail completion_top "missing:$missing"
for c in $HELP_CMDS; do
    complete_ "$c" - >"$T/c-$c"
    missing=
    while read -r o; do grep -qx -- "$o" "$T/c-$c" || missing="$missing $o"; done <"$T/opts-$c"
    [ -z "$missing" ] && ok "completion_options_$c ($(wc -l <"$T/c-$c"))" ||
        fail "completion_options_$c" "missing:$missing"
done

exit $failed
