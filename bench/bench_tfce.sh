#!/bin/sh
# TFCE benchmark (issue 5): builds bench/bench_tfce.c against the library and runs
# bench/bench_tfce.py, which times MNE 1.3 on identical input in the same run.
# Usage: sh bench/bench_tfce.sh [BUILD] [bench_tfce.py options, e.g. --quick --no-big]
BUILD=${1:-build}
set -e
${CC:-cc} -std=c11 -O2 -Iinclude bench/bench_tfce.c "$BUILD/libclusterperm.a" -fopenmp \
    $(pkg-config --libs zlib jansson cairo hdf5-serial) -lm -o "$BUILD/bench_tfce"
shift 2>/dev/null || true
if [ -n "$MNE_MAIN" ]; then
    PP=$(sh bench/mne_main.sh "$MNE_MAIN" "${MNE_MAIN_OUT:-bench-out/mne-main}" | tail -1)
    set -- --mne-main "$PP" "$@"
fi
exec ${PYTHON:-/usr/bin/python3} bench/bench_tfce.py --build "$BUILD" "$@"
