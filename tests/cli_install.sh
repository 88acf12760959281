#!/bin/sh
# cli_install.sh - `make install` (issue 11): the tree it installs under PREFIX (and under
# DESTDIR with custom LIBDIR/INCLUDEDIR/BINDIR/MANDIR), a versioned shared library
# (libclusterperm.so.0.1.0, SONAME libclusterperm.so.0, links .so.0 and .so), a clusterperm.pc
# that names the install directories and only the library's own dependencies, and a small
# program built from `pkg-config --cflags --libs clusterperm` that runs linked dynamically and
# statically (--static). `make uninstall` removes it all. Reuses the test build (BUILD=$1).
# Prints "ok NAME" / "FAIL NAME: why".
# Usage: sh tests/cli_install.sh [BUILD_DIR]
BUILD=${1:-${CPERM_BUILD:-build}}
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
ROOT=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/cperm-inst.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
failed=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

VERSION=$(sed -n 's/^#define CPERM_VERSION_STRING "\(.*\)"/\1/p' include/clusterperm.h)
SOMAJOR=${VERSION%%.*}
[ -n "$VERSION" ] && [ -x "$BUILD/clusterperm" ] || { fail install_setup "no version or $BUILD/clusterperm not built"; exit 1; }

# The make of the test build, without the jobserver of a calling `make check`.
# A sanitizer build (make check-sanitize) needs its runtime in the client too.
SAN=
nm -u "$BUILD/libclusterperm.a" 2>/dev/null | grep -q ' U __asan_' && SAN=address
nm -u "$BUILD/libclusterperm.a" 2>/dev/null | grep -q ' U __ubsan_' && SAN=${SAN:+$SAN,}undefined
CC="$CC${SAN:+ -fsanitize=$SAN}"

# The make of the test build, without the jobserver of a calling `make check`; a sanitizer
# build has no clusterperm-mpi (make check-sanitize: MPICC=), and this make must not add one
# linked without the sanitizer runtime, nor rebuild the Python extension against the
# instrumented archive (PYTHON_EXT=).
mk() {
    if [ -n "$SAN" ]; then
        MAKEFLAGS= MFLAGS= make --no-print-directory -C "$ROOT" BUILD="$BUILD" MPICC= PYTHON_EXT= "$@" >"$T/make.log" 2>&1
    else
        MAKEFLAGS= MFLAGS= make --no-print-directory -C "$ROOT" BUILD="$BUILD" "$@" >"$T/make.log" 2>&1
    fi
}

# A 5-line client of the public header: a compile-time and two run-time values.
cat >"$T/hello.c" <<'EOF'
#include <clusterperm.h>
#include <stdio.h>
int main(void) {
    printf("%s %.6f %s\n", CPERM_VERSION_STRING, cperm_t_ppf(0.975, 10.0), cperm_strerror(CPERM_EIO));
    return 0;
}
EOF
# scipy.stats.t.ppf(0.975, 10) = 2.228138851986...
WANT_PREFIX="$VERSION 2.228139 "

# check_tree NAME ROOT_OF_INSTALL LIBDIR INCLUDEDIR BINDIR MANDIR COMPDIR
check_tree() {
    name=$1 lib=$2$3 inc=$2$4 bin=$2$5 man=$2$6 comp=$2$7
    missing=
    for f in "$inc/clusterperm.h" "$lib/libclusterperm.a" "$lib/libclusterperm.so.$VERSION" \
             "$lib/pkgconfig/clusterperm.pc" "$bin/clusterperm" "$man/man1/clusterperm.1" \
             "$comp/clusterperm"; do
        [ -f "$f" ] || missing="$missing $f"
    done
    [ -z "$missing" ] && ok "${name}_files" || fail "${name}_files" "missing:$missing"
    l0=$(readlink "$lib/libclusterperm.so.$SOMAJOR") l1=$(readlink "$lib/libclusterperm.so")
    [ "$l0" = "libclusterperm.so.$VERSION" ] && [ "$l1" = "libclusterperm.so.$VERSION" ] &&
        ok "${name}_so_links" || fail "${name}_so_links" "so.$SOMAJOR -> '$l0', so -> '$l1'"
    soname=$(readelf -d "$lib/libclusterperm.so.$VERSION" 2>&1 | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "libclusterperm.so.$SOMAJOR" ] && ok "${name}_soname ($soname)" ||
        fail "${name}_soname" "SONAME '$soname'"
    needed=$(readelf -d "$lib/libclusterperm.so.$VERSION" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    missing=""
    for want in libz.so libcairo hdf5 libmatio libqhull_r; do
        case $needed in *"$want"*) ;; *) missing="$missing $want" ;; esac
    done
    case $needed in
    *jansson*) fail "${name}_so_needed" "the library links jansson, which only the CLI uses: $needed" ;;
    *) [ -z "$missing" ] && ok "${name}_so_needed" ||
        fail "${name}_so_needed" "NEEDED lacks$missing: $needed" ;;
    esac
    cmp -s "$man/man1/clusterperm.1" "$BUILD/clusterperm.1" &&
        cmp -s "$comp/clusterperm" "$BUILD/clusterperm.bash-completion" &&
        ok "${name}_man_completion" || fail "${name}_man_completion" "not the build's files"
    v=$("$bin/clusterperm" --version 2>&1)
    [ "$v" = "clusterperm $VERSION" ] && ok "${name}_binary" || fail "${name}_binary" "--version: $v"
}

# check_client NAME LIBDIR INCLUDEDIR (where they are now) PKG_CONFIG_PATH [pkg-config options]
check_client() {
    name=$1 lib=$2 inc=$3 pcpath=$4
    shift 4
    export PKG_CONFIG_PATH="$pcpath"
    cflags=$($PKG_CONFIG "$@" --cflags clusterperm 2>&1) &&
        libs=$($PKG_CONFIG "$@" --libs clusterperm 2>&1) &&
        slibs=$($PKG_CONFIG "$@" --static --libs clusterperm 2>&1) ||
        { fail "${name}_pkgconfig" "pkg-config: $cflags $libs $slibs"; unset PKG_CONFIG_PATH; return; }
    unset PKG_CONFIG_PATH
    why=
    case " $cflags " in *" -I$inc "*) ;; *) why="--cflags '$cflags' does not name -I$inc" ;; esac
    case " $libs " in *" -L$lib -lclusterperm "*) ;; *) why="--libs '$libs' does not name -L$lib" ;; esac
    for w in $libs; do
        case $w in -lclusterperm) ;; -l*) why="--libs '$libs' lists private dependencies" ;; esac
    done
    case " $slibs " in *jansson*) why="--static --libs lists jansson (CLI only): $slibs" ;; esac
    for l in -lz -lcairo -lhdf5 -lm; do
        case " $slibs " in *" $l "*) ;; *) why="--static --libs misses $l: $slibs" ;; esac
    done
    [ -z "$why" ] && ok "${name}_pkgconfig" || { fail "${name}_pkgconfig" "$why"; return; }
    # dynamic
    if $CC -o "$T/$name-dyn" "$T/hello.c" $cflags $libs >"$T/cc.log" 2>&1; then
        out=$(LD_LIBRARY_PATH="$lib" "$T/$name-dyn" 2>&1)
        dep=$(LD_LIBRARY_PATH="$lib" ldd "$T/$name-dyn" 2>&1 | grep libclusterperm)
        case $out in
        "$WANT_PREFIX"*)
            case $dep in
            *"libclusterperm.so.$SOMAJOR => $lib/libclusterperm.so.$SOMAJOR "*) ok "${name}_client_dynamic ($out)" ;;
            *) fail "${name}_client_dynamic" "not linked to $lib/libclusterperm.so.$SOMAJOR: $dep" ;;
            esac ;;
        *) fail "${name}_client_dynamic" "printed '$out'" ;;
        esac
    else
        fail "${name}_client_dynamic" "cc $cflags $libs: $(cat "$T/cc.log")"
    fi
    # static: the archive (-l:libclusterperm.a, as the .so lies beside it) and its private deps
    sflags=$(printf '%s\n' "$slibs" | sed 's/-lclusterperm/-l:libclusterperm.a/')
    if $CC -o "$T/$name-static" "$T/hello.c" $cflags $sflags >"$T/cc.log" 2>&1; then
        out=$("$T/$name-static" 2>&1)
        if readelf -d "$T/$name-static" | grep -q 'NEEDED.*libclusterperm'; then
            fail "${name}_client_static" "linked to the shared library"
        else
            case $out in
            "$WANT_PREFIX"*) ok "${name}_client_static" ;;
            *) fail "${name}_client_static" "printed '$out'" ;;
            esac
        fi
    else
        fail "${name}_client_static" "cc $cflags $sflags: $(cat "$T/cc.log")"
    fi
}

# ---- 1. make install PREFIX=...
P="$T/prefix"
if mk install PREFIX="$P"; then
    ok install_prefix
    check_tree prefix "$P" /lib /include /bin /share/man /share/bash-completion/completions
    pc="$P/lib/pkgconfig/clusterperm.pc"
    grep -qx "prefix=$P" "$pc" && grep -qx 'libdir=${prefix}/lib' "$pc" &&
        grep -qx "Version: $VERSION" "$pc" && ok prefix_pc_dirs ||
        fail prefix_pc_dirs "$(cat "$pc")"
    check_client prefix "$P/lib" "$P/include" "$P/lib/pkgconfig"
    # the Python package, where Debian's python3 looks under PREFIX (not with a sanitizer
    # build, which builds no extension)
    if [ -z "$SAN" ] && ls "$ROOT"/python/clusterperm/_cperm*.so >/dev/null 2>&1; then
        pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        out=$(cd "$T" && PYTHONPATH="$P/lib/python$pyver/dist-packages" /usr/bin/python3 -c \
            'import clusterperm, numpy; print(clusterperm.__file__, clusterperm.__version__, clusterperm.ttest_1samp_no_p(numpy.array([[1., 2.], [2., 4.], [4., 7.]]))[0])' 2>&1)
        case $out in
        "$P/lib/python$pyver/dist-packages/clusterperm/__init__.py $VERSION 2.6457513110645"*) ok install_python ;;
        *) fail install_python "$out" ;;
        esac
    fi
    # The statistics engine alone: its own pkg-config name, and a library that needs nothing
    # beyond libm, OpenMP and libc (no Cairo, HDF5, zlib, jansson, libmatio, Qhull).
    needed=$(readelf -d "$P/lib/libclusterperm-stats.so.$VERSION" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    case "$needed" in
    *cairo*|*hdf5*|*libz*|*jansson*|*matio*|*qhull*|"") fail stats_so_needed "NEEDED: $needed" ;;
    *) ok stats_so_needed ;;
    esac
    cat >"$T/stats.c" <<'C'
#include <clusterperm.h>
#include <stdio.h>
int main(void) {
    printf("%s %.6f\n", cperm_version(), cperm_t_threshold(0.05, 15, 0));
    return 0;
}
C
    if sflags=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" $PKG_CONFIG --cflags --libs clusterperm-stats) &&
        ${CC:-cc} -o "$T/stats" "$T/stats.c" $sflags -Wl,-rpath,"$P/lib" 2>"$T/cc.log" &&
        out=$("$T/stats") && [ "$out" = "$VERSION 2.131450" ] &&
        ! readelf -d "$T/stats" | grep -q 'NEEDED.*\(cairo\|hdf5\|jansson\)'; then
        ok stats_client
    else
        fail stats_client "flags '$sflags', output '$out': $(cat "$T/cc.log")"
    fi
else
    fail install_prefix "$(tail -5 "$T/make.log")"
fi

# ---- 2. DESTDIR staging with directories of their own: the .pc names the final ones
D="$T/stage" FP=/opt/clusterperm-test
if mk install DESTDIR="$D" PREFIX="$FP" LIBDIR="$FP/lib64" INCLUDEDIR="$FP/inc" \
        BINDIR="$FP/sbin" MANDIR="$FP/man"; then
    ok install_destdir
    check_tree destdir "$D" "$FP/lib64" "$FP/inc" "$FP/sbin" "$FP/man" /opt/clusterperm-test/share/bash-completion/completions
    pc="$D$FP/lib64/pkgconfig/clusterperm.pc"
    if grep -q "$D" "$pc"; then
        fail destdir_pc_dirs "DESTDIR leaked into the .pc: $(cat "$pc")"
    else
        grep -qx "prefix=$FP" "$pc" && grep -qx 'libdir=${prefix}/lib64' "$pc" &&
            grep -qx 'includedir=${prefix}/inc' "$pc" && ok destdir_pc_dirs ||
            fail destdir_pc_dirs "$(cat "$pc")"
    fi
    # the staged tree, found by moving the .pc's prefix into it
    check_client destdir "$D$FP/lib64" "$D$FP/inc" "$D$FP/lib64/pkgconfig" --define-variable=prefix="$D$FP"
    if mk uninstall DESTDIR="$D" PREFIX="$FP" LIBDIR="$FP/lib64" INCLUDEDIR="$FP/inc" \
            BINDIR="$FP/sbin" MANDIR="$FP/man"; then
        left=$(find "$D" ! -type d)
        [ -z "$left" ] && ok uninstall_destdir || fail uninstall_destdir "left: $left"
    else
        fail uninstall_destdir "$(tail -5 "$T/make.log")"
    fi
else
    fail install_destdir "$(tail -5 "$T/make.log")"
fi

# The build's own .pc back to the default directories (it follows the last make's PREFIX).
mk "$BUILD/clusterperm.pc" || fail install_restore_pc "$(tail -5 "$T/make.log")"
grep -q -e "$P" -e "$FP" "$BUILD/clusterperm.pc" &&
    fail install_pc_regenerated "$(head -1 "$BUILD/clusterperm.pc")" || ok install_pc_regenerated

exit $failed
