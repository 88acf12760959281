#!/bin/sh
# make bench: builds the bench driver and runs bench/run_bench.py (cases a-e of issue 4),
# timing MNE 1.3 on identical input in the same run when python3-mne is installed.
BUILD=${1:-build}
set -e
${CC:-cc} -std=c11 -O2 -Iinclude bench/bench_case.c "$BUILD/libclusterperm.a" -fopenmp \
    $(pkg-config --libs zlib jansson cairo hdf5-serial) -lm -o "$BUILD/bench_case"
shift 2>/dev/null || true
exec ${PYTHON:-/usr/bin/python3} bench/run_bench.py --build "$BUILD" "$@"
