#!/bin/sh
# make bench: builds the bench driver and the floors (floor_signflip.c, floor_labels.c) and
# runs bench/run_bench.py (cases a-g, the floors, the profile), timing MNE 1.3 on identical
# input in the same run when python3-mne is installed.
BUILD=${1:-build}
set -e
${CC:-cc} -std=c11 -O2 -Iinclude bench/bench_case.c "$BUILD/libclusterperm.a" -fopenmp \
    $(pkg-config --libs zlib jansson cairo hdf5-serial matio libzip qhull_r) -lm -o "$BUILD/bench_case"
# the floors: plain C, tuned for this machine (they measure what it can do, not the library)
for floor in floor_signflip floor_labels; do
    ${CC:-cc} -std=c11 -O3 -march=native -fopenmp bench/$floor.c -lm -o "$BUILD/$floor"
done
shift 2>/dev/null || true
# MNE's current main, when a checkout is given (MNE_MAIN=/path/to/mne-python)
if [ -n "$MNE_MAIN" ]; then
    PP=$(sh bench/mne_main.sh "$MNE_MAIN" "${MNE_MAIN_OUT:-bench-out/mne-main}" | tail -1)
    set -- --mne-main "$PP" "$@"
fi
exec ${PYTHON:-/usr/bin/python3} bench/run_bench.py --build "$BUILD" "$@"
