#!/bin/sh
# stress_checkpoint.sh - the issue-7 acceptance run: tests/cli_checkpoint.sh with 20 kill -9
# rounds in a row (make check runs 3); every round that resumes must also report exactly the
# permutations its checkpoint carried and compute only the rest. Not run by
# tests/run_all.sh (about a minute).
# Usage: sh tests/stress_checkpoint.sh [BUILD_DIR]
REPEAT=${REPEAT:-20} exec sh "$(dirname "$0")/cli_checkpoint.sh" "$@"
