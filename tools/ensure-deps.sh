#!/bin/sh
# Installs the Debian packages clusterperm needs to build and test, when run as root;
# otherwise prints the exact apt line. Idempotent: does nothing when all are present.
# Build: gcc make pkg-config and the -dev libraries (libmatio-dev: FieldTrip .mat neighbours; libqhull-dev: Delaunay of channel positions). Tests: python3-mne (the oracle) with h5py
# and nibabel for file cross-checks; python3-dev, python3-numpy and python3-pytest for the Python package (its extension and its tests), chromium for the report test, a font so Cairo draws text.
# valgrind for the leak check of the demo pipeline. `ensure-deps.sh fuzz` adds clang's
# libFuzzer, sanitizer and OpenMP runtimes for `make fuzz`.
PKGS="gcc make pkg-config zlib1g-dev libhdf5-dev libjansson-dev libcairo2-dev libpng-dev libmatio-dev libzip-dev libqhull-dev libopenmpi-dev openmpi-bin fonts-dejavu-core python3-mne python3-h5py python3-nibabel python3-dev python3-numpy python3-pytest python3-pandas chromium valgrind"
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev libomp-14-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "clusterperm: installing missing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "clusterperm: apt-get install failed" >&2; exit 1; }
else
    echo "clusterperm: missing Debian packages. Run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
