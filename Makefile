# clusterperm - plain Makefile. Honours CC, CFLAGS, LDFLAGS and, for `make install`, DESTDIR,
# PREFIX, LIBDIR, INCLUDEDIR, BINDIR, MANDIR, BASHCOMPDIR and PKGCONFIGDIR.
CC ?= cc
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3
# make bench writes its JSON numbers and the summary table here
BENCH_OUT ?= bench-out

# Installation directories (the .pc file is regenerated whenever one of them changes).
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
DATAROOTDIR ?= $(PREFIX)/share
MANDIR ?= $(DATAROOTDIR)/man
BASHCOMPDIR ?= $(DATAROOTDIR)/bash-completion/completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# The Python package (python/clusterperm) goes where Debian's python3 looks under PREFIX.
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYTHONDIR ?= $(PREFIX)/lib/python$(PY_VERSION)/dist-packages

# The version is the header's; the shared library's SONAME carries its major number.
VERSION := $(shell sed -n 's/^\#define CPERM_VERSION_STRING "\(.*\)"/\1/p' include/clusterperm.h)
$(if $(VERSION),,$(error cannot read CPERM_VERSION_STRING from include/clusterperm.h))
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
SO_REAL := libclusterperm.so.$(VERSION)
SO_NAME := libclusterperm.so.$(SOVERSION)
DESCRIPTION := cluster-based permutation statistics for MEG/EEG source estimates

# HDF5 on Debian lives under a "serial" pkg-config name. The library uses zlib (fif.c),
# HDF5 (stc_h5.c), Cairo (render.c, h0plot.c), libpng (render_canvas.c: the figures' PNG), libmatio (neighbors.c: FieldTrip .mat
# neighbour files), libzip (npz.c: scipy save_npz adjacencies) and reentrant Qhull
# (graph/positions.c: Delaunay triangulations of channel positions); jansson only the CLI
# (JSON outputs).
HDF5_PC := $(shell $(PKG_CONFIG) --exists hdf5-serial 2>/dev/null && echo hdf5-serial || echo hdf5)
LIB_PC := zlib cairo libpng $(HDF5_PC) matio libzip qhull_r
CLI_PC := jansson
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIB_PC) $(CLI_PC) 2>/dev/null)
LIB_LIBS := $(shell $(PKG_CONFIG) --libs $(LIB_PC) 2>/dev/null) -lm
LIBS := $(shell $(PKG_CONFIG) --libs $(CLI_PC) $(LIB_PC) 2>/dev/null) -lm

OPT ?= -O3
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS ?= $(OPT) -g
BASE_CFLAGS := -std=c11 -ffp-contract=off -fno-math-errno -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -fopenmp -fPIC \
               -Iinclude
# The library's layers, one folder each under src/ (docs/ARCHITECTURE.md). The first five make
# the statistics engine, libclusterperm-stats: no Cairo, HDF5, zlib or jansson. The library,
# its tests and fuzz targets see the private headers of every layer; the CLI does not: it is
# a client of include/clusterperm.h only.
STATS_LAYERS := core graph perm stats engine
LAYERS := $(STATS_LAYERS) io render
SRC_INCLUDES := $(addprefix -Isrc/,$(LAYERS))
ALL_CFLAGS := $(BASE_CFLAGS) $(SRC_INCLUDES) $(DEPS_CFLAGS) $(CFLAGS)
CLI_CFLAGS := $(BASE_CFLAGS) $(DEPS_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := -fopenmp $(LDFLAGS)
# Test builds: fault injection (src/fileio.c) and the CLI's CLUSTERPERM_TEST_FAIL_WRITE hook
# exist only in objects compiled with this flag, never in the installed library or program.
TEST_HOOKS := -DCPERM_TEST_HOOKS

BUILD ?= build
# graph/positions.c is a neighbourhood but needs Qhull, so it lives in the full library only:
# the statistics engine links nothing beyond libm and OpenMP.
QHULL_SRCS := src/graph/positions.c
STATS_SRCS := $(filter-out $(QHULL_SRCS),$(wildcard $(addsuffix /*.c,$(addprefix src/,$(STATS_LAYERS)))))
LIB_SRCS := $(STATS_SRCS) $(QHULL_SRCS) $(wildcard src/io/*.c src/render/*.c)
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
STATS_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(STATS_SRCS))
HOOK_LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj-testhooks/%.o,$(LIB_SRCS))
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/cli/%.o,$(CLI_SRCS))
HOOK_CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/cli-testhooks/%.o,$(CLI_SRCS))
TEST_SRCS := $(wildcard tests/unit_*.c) $(wildcard tests/tool_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
# Tests that inject I/O faults link the test archive; the others the production one.
HOOK_TEST_SRCS := $(shell grep -l -e cperm_fileio_fail_after -e cperm_fileio_steps $(TEST_SRCS) /dev/null 2>/dev/null)
HOOK_TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(HOOK_TEST_SRCS))
PLAIN_TEST_BINS := $(filter-out $(HOOK_TEST_BINS),$(TEST_BINS))
LIB_HEADERS := include/clusterperm.h $(wildcard src/*_internal.h src/*/*_internal.h)
CLI_HEADERS := include/clusterperm.h $(wildcard cli/*.h)

.PHONY: all lib cli tests check check-sanitize demo bench fuzz install uninstall clean deps FORCE

STATS_LIBS := $(BUILD)/libclusterperm-stats.a $(BUILD)/libclusterperm-stats.so \
              $(BUILD)/libclusterperm-stats.so.$(SOVERSION) $(BUILD)/clusterperm-stats.pc
all: $(BUILD)/libclusterperm.a $(BUILD)/libclusterperm.so $(BUILD)/$(SO_NAME) $(BUILD)/clusterperm \
     $(BUILD)/clusterperm.pc $(BUILD)/clusterperm.1 $(BUILD)/clusterperm.bash-completion $(STATS_LIBS)

$(BUILD)/obj/%.o: src/%.c $(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DCPERM_BUILDING -fvisibility=hidden -c $< -o $@

$(BUILD)/obj-testhooks/%.o: src/%.c $(LIB_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_HOOKS) -DCPERM_BUILDING -fvisibility=hidden -c $< -o $@

$(BUILD)/cli/%.o: cli/%.c $(CLI_HEADERS) | $(BUILD)/cli
	$(CC) $(CLI_CFLAGS) -c $< -o $@

$(BUILD)/cli-testhooks/%.o: cli/%.c $(CLI_HEADERS) | $(BUILD)/cli-testhooks
	$(CC) $(CLI_CFLAGS) $(TEST_HOOKS) -c $< -o $@

# clusterperm-mpi: the same commands with the permutations split over MPI ranks (cli/mpi.c,
# -DCPERM_MPI), built when Open MPI's mpicc is found (Debian: libopenmpi-dev, openmpi-bin;
# tools/ensure-deps.sh installs them). MPICC= builds without it.
MPICC ?= $(shell command -v mpicc 2>/dev/null)
ifneq ($(strip $(MPICC)),)
MPI_BIN := $(BUILD)/clusterperm-mpi
MPI_CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/cli-mpi/%.o,$(CLI_SRCS))
all: $(MPI_BIN)
$(BUILD)/cli-mpi/%.o: cli/%.c $(CLI_HEADERS)
	@mkdir -p $(@D)
	$(MPICC) $(CLI_CFLAGS) -DCPERM_MPI -c $< -o $@
$(MPI_BIN): $(MPI_CLI_OBJS) $(BUILD)/libclusterperm.a
	$(MPICC) $(ALL_LDFLAGS) -o $@ $(MPI_CLI_OBJS) $(BUILD)/libclusterperm.a $(LIBS)
endif

# The Python package's extension (python/clusterperm/_cperm.c, a client of the public header),
# built in place so that PYTHONPATH=python finds the package after `make`. It links the
# statistics engine's archive, so the package needs no run-time library path. Built when
# Debian's python3-dev and python3-numpy are there; PYTHON_EXT= skips it (sanitizer builds).
PY_INCLUDES := $(shell $(PYTHON) -c 'import sysconfig, numpy; print("-I" + sysconfig.get_paths()["include"], "-I" + numpy.get_include())' 2>/dev/null)
PY_SUFFIX := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PYTHON_EXT ?= $(if $(and $(PY_SUFFIX),$(wildcard $(firstword $(patsubst -I%,%,$(PY_INCLUDES)))/Python.h)),python/clusterperm/_cperm$(PY_SUFFIX))
ifneq ($(strip $(PYTHON_EXT)),)
all: $(PYTHON_EXT)
$(PYTHON_EXT): python/clusterperm/_cperm.c include/clusterperm.h $(BUILD)/libclusterperm-stats.a
	$(CC) -std=c11 -O2 -g -fPIC -fopenmp -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	    -Iinclude $(PY_INCLUDES) -shared -o $@.tmp $< $(BUILD)/libclusterperm-stats.a -lm && mv -f $@.tmp $@
endif

$(BUILD)/libclusterperm.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libclusterperm-testhooks.a: $(HOOK_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# The statistics engine alone (adjacency, orders, statistics, clusters, TFCE): for callers
# that bring their own data, linking only libm and OpenMP. -z defs proves it needs no more.
$(BUILD)/libclusterperm-stats.a: $(STATS_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libclusterperm-stats.so.$(VERSION): $(STATS_OBJS)
	$(CC) -shared $(ALL_LDFLAGS) -Wl,-soname,libclusterperm-stats.so.$(SOVERSION) -Wl,-z,defs -o $@ $^ -lm

$(BUILD)/libclusterperm-stats.so.$(SOVERSION) $(BUILD)/libclusterperm-stats.so: $(BUILD)/libclusterperm-stats.so.$(VERSION)
	ln -sf libclusterperm-stats.so.$(VERSION) $@

# The shared library: libclusterperm.so.X.Y.Z with SONAME libclusterperm.so.X, and the
# links libclusterperm.so.X (run time) and libclusterperm.so (link time). -z defs: every
# symbol it needs comes from a library it names, so LIB_LIBS is complete.
$(BUILD)/$(SO_REAL): $(LIB_OBJS)
	$(CC) -shared $(ALL_LDFLAGS) -Wl,-soname,$(SO_NAME) -Wl,-z,defs -o $@ $^ $(LIB_LIBS)

$(BUILD)/$(SO_NAME) $(BUILD)/libclusterperm.so: $(BUILD)/$(SO_REAL)
	ln -sf $(SO_REAL) $@

$(BUILD)/clusterperm: $(CLI_OBJS) $(BUILD)/libclusterperm.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libclusterperm.a $(LIBS)

# The program with its test hooks, for the fault-injection cases of tests/cli_*.sh.
$(BUILD)/tests/clusterperm-testhooks: $(HOOK_CLI_OBJS) $(BUILD)/libclusterperm-testhooks.a | $(BUILD)/tests
	$(CC) $(ALL_LDFLAGS) -o $@ $(HOOK_CLI_OBJS) $(BUILD)/libclusterperm-testhooks.a $(LIBS)

$(PLAIN_TEST_BINS): $(BUILD)/tests/%: tests/%.c $(BUILD)/libclusterperm.a tests/testutil.h tests/figcheck.h tests/chaintest.h tests/countalloc.h | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libclusterperm.a $(ALL_LDFLAGS) $(LIBS)

$(HOOK_TEST_BINS): $(BUILD)/tests/%: tests/%.c $(BUILD)/libclusterperm-testhooks.a tests/testutil.h tests/figcheck.h tests/chaintest.h tests/countalloc.h | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(TEST_HOOKS) -Itests -o $@ $< $(BUILD)/libclusterperm-testhooks.a $(ALL_LDFLAGS) $(LIBS)

# pkg-config file. Its directories are those of this make invocation: $(BUILD)/pc-vars holds
# them and is rewritten (making the .pc out of date) only when they change. Only what the
# library itself needs is listed for static linking.
pc_dir = $(if $(filter $(PREFIX)/%,$(1)),$${prefix}/$(patsubst $(PREFIX)/%,%,$(1)),$(1))
PC_VARS := $(PREFIX)|$(LIBDIR)|$(INCLUDEDIR)|$(VERSION)|$(LIB_PC)
FORCE:
$(BUILD)/pc-vars: FORCE | $(BUILD)
	@printf '%s\n' '$(PC_VARS)' > $@.tmp; if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(BUILD)/clusterperm.pc: $(BUILD)/pc-vars Makefile
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: clusterperm\nDescription: %s\nVersion: %s\nRequires.private: %s\nLibs: -L$${libdir} -lclusterperm\nLibs.private: -lm -fopenmp\nCflags: -I$${includedir}\n' \
	    '$(PREFIX)' '$(call pc_dir,$(LIBDIR))' '$(call pc_dir,$(INCLUDEDIR))' '$(DESCRIPTION)' '$(VERSION)' '$(LIB_PC)' > $@.tmp && mv -f $@.tmp $@

$(BUILD)/clusterperm-stats.pc: $(BUILD)/pc-vars Makefile
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: clusterperm-stats\nDescription: %s (the statistics engine alone)\nVersion: %s\nLibs: -L$${libdir} -lclusterperm-stats\nLibs.private: -lm -fopenmp\nCflags: -I$${includedir}\n' \
	    '$(PREFIX)' '$(call pc_dir,$(LIBDIR))' '$(call pc_dir,$(INCLUDEDIR))' '$(DESCRIPTION)' '$(VERSION)' > $@.tmp && mv -f $@.tmp $@

# clusterperm(1) and the bash completion, generated from the program's own --help output
# (tools/gendoc.c), so that they list exactly the commands and options --help lists. gendoc
# is a build tool: plain flags, no sanitizers.
$(BUILD)/gendoc: tools/gendoc.c | $(BUILD)
	$(CC) -std=c11 -O2 $(WARN) -o $@ $<

$(BUILD)/clusterperm.1: $(BUILD)/gendoc $(BUILD)/clusterperm
	$(BUILD)/gendoc man $(BUILD)/clusterperm '$(DESCRIPTION)' > $@.tmp && mv -f $@.tmp $@

$(BUILD)/clusterperm.bash-completion: $(BUILD)/gendoc $(BUILD)/clusterperm
	$(BUILD)/gendoc bash $(BUILD)/clusterperm > $@.tmp && mv -f $@.tmp $@

$(BUILD) $(BUILD)/obj $(BUILD)/obj-testhooks $(BUILD)/cli $(BUILD)/cli-testhooks $(BUILD)/tests:
	mkdir -p $@

tests: all $(TEST_BINS) $(BUILD)/tests/clusterperm-testhooks

# Installs missing Debian packages when run as root; otherwise prints the apt line.
deps:
	@sh tools/ensure-deps.sh

check: deps
	$(MAKE) tests
	sh tests/run_all.sh $(BUILD)

# The whole suite (C tests, python cross-checks through CPERM_BUILD, CLI scripts) on a build
# with AddressSanitizer + UndefinedBehaviorSanitizer; any report fails the test that hit it.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
check-sanitize: deps
	$(MAKE) BUILD=build-san CFLAGS='-O1 -g $(SAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' MPICC= PYTHON_EXT= tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    sh tests/run_all.sh build-san

# --- fuzzing (fuzz/, see fuzz/README.md) -------------------------------------------------
# Every fuzz/fuzz_NAME.c is a libFuzzer target. `make check` builds each with the normal
# compiler as $(BUILD)/tests/unit_fuzz_NAME, which replays fuzz/corpus/NAME and
# fuzz/regress/NAME; `make fuzz FUZZ_SECONDS=600` builds them with clang + libFuzzer + ASan +
# UBSan into build-fuzz/ and runs each for FUZZ_SECONDS (FUZZ_JOBS targets at a time).
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_FLAGS ?=
FUZZ_CC ?= clang
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_CLI_OBJS = $(filter-out $(BUILD)/cli/main.o $(BUILD)/cli/onesample.o,$(CLI_OBJS))
FUZZ_DEPS = fuzz/common.c fuzz/fuzz.h $(BUILD)/libclusterperm.a $(FUZZ_CLI_OBJS)

tests: $(patsubst %,$(BUILD)/tests/unit_fuzz_%,$(FUZZ_TARGETS))

$(BUILD)/tests/unit_fuzz_%: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_DEPS) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Ifuzz -DFUZZ_NAME='"$*"' -o $@ fuzz/replay.c fuzz/common.c $< \
	    $(FUZZ_CLI_OBJS) $(BUILD)/libclusterperm.a $(ALL_LDFLAGS) $(LIBS)

$(BUILD)/fuzz/%: fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(ALL_CFLAGS) -Ifuzz -fsanitize=fuzzer -o $@ fuzz/common.c $< \
	    $(FUZZ_CLI_OBJS) $(BUILD)/libclusterperm.a $(ALL_LDFLAGS) $(LIBS)

.PHONY: fuzz-build
fuzz-build: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

fuzz:
	@sh tools/ensure-deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) CFLAGS='-O1 -g -fsanitize=fuzzer-no-link $(SAN_FLAGS)' \
	    LDFLAGS='-fsanitize=address,undefined' fuzz-build
	FUZZ_FLAGS='$(FUZZ_FLAGS)' sh fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

demo: deps
	$(MAKE) all
	sh tools/demo.sh $(BUILD)

bench: deps
	$(MAKE) all tests
	mkdir -p $(BENCH_OUT)
	MNE_MAIN='$(MNE_MAIN)' sh bench/run_bench.sh $(BUILD) --json $(BENCH_OUT)/run_bench.json $(BENCH_ARGS)
	MNE_MAIN='$(MNE_MAIN)' sh bench/bench_tfce.sh $(BUILD) --json $(BENCH_OUT)/bench_tfce.json --mne-perms 3 $(BENCH_TFCE_ARGS)
	sh bench/bench_mpi.sh $(BUILD) $(BENCH_MPI_ARGS)
	if [ -n "$(PYTHON_EXT)" ]; then PYTHONPATH=python $(PYTHON) bench/bench_python.py $(BENCH_PYTHON_ARGS); fi
	@echo; echo "Summary (issue 17's targets; also in $(BENCH_OUT)/summary.md):"
	$(PYTHON) bench/summary.py $(BENCH_OUT)/run_bench.json $(BENCH_OUT)/bench_tfce.json $(BENCH_OUT)/summary.md

# Statistical validity (README): FWER and power on simulated null/effect studies, not part of
# `make check`. Writes $(VALIDATE_OUT)/validation.{csv,txt,png}; VALIDATE_ARGS e.g. '--null 100'.
VALIDATE_OUT ?= validation-out
.PHONY: validate
$(BUILD)/validate: tools/validate.c include/clusterperm.h $(BUILD)/libclusterperm.a | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libclusterperm.a $(ALL_LDFLAGS) $(LIBS)

validate: deps
	$(MAKE) $(BUILD)/validate
	$(BUILD)/validate --selftest
	$(BUILD)/validate --out $(VALIDATE_OUT) $(VALIDATE_ARGS)

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 include/clusterperm.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(BUILD)/libclusterperm.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/$(SO_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SO_REAL) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_REAL) $(DESTDIR)$(LIBDIR)/libclusterperm.so
	install -m 755 $(BUILD)/clusterperm $(DESTDIR)$(BINDIR)/
	if [ -x $(BUILD)/clusterperm-mpi ]; then install -m 755 $(BUILD)/clusterperm-mpi $(DESTDIR)$(BINDIR)/; fi
	install -m 644 $(BUILD)/clusterperm.pc $(BUILD)/clusterperm-stats.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 644 $(BUILD)/libclusterperm-stats.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/libclusterperm-stats.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libclusterperm-stats.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libclusterperm-stats.so.$(SOVERSION)
	ln -sf libclusterperm-stats.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libclusterperm-stats.so
	install -m 644 $(BUILD)/clusterperm.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(BUILD)/clusterperm.bash-completion $(DESTDIR)$(BASHCOMPDIR)/clusterperm
	if [ -n "$(PYTHON_EXT)" ] && [ -f "$(PYTHON_EXT)" ]; then \
	    install -d $(DESTDIR)$(PYTHONDIR)/clusterperm && \
	    install -m 644 python/clusterperm/*.py $(DESTDIR)$(PYTHONDIR)/clusterperm/ && \
	    install -m 755 $(PYTHON_EXT) $(DESTDIR)$(PYTHONDIR)/clusterperm/; fi

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/clusterperm.h $(DESTDIR)$(LIBDIR)/libclusterperm.a \
	    $(DESTDIR)$(LIBDIR)/$(SO_REAL) $(DESTDIR)$(LIBDIR)/$(SO_NAME) $(DESTDIR)$(LIBDIR)/libclusterperm.so \
	    $(DESTDIR)$(BINDIR)/clusterperm $(DESTDIR)$(BINDIR)/clusterperm-mpi $(DESTDIR)$(PKGCONFIGDIR)/clusterperm.pc \
	    $(DESTDIR)$(PKGCONFIGDIR)/clusterperm-stats.pc $(DESTDIR)$(LIBDIR)/libclusterperm-stats.a \
	    $(DESTDIR)$(LIBDIR)/libclusterperm-stats.so.$(VERSION) \
	    $(DESTDIR)$(LIBDIR)/libclusterperm-stats.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libclusterperm-stats.so \
	    $(DESTDIR)$(MANDIR)/man1/clusterperm.1 $(DESTDIR)$(BASHCOMPDIR)/clusterperm
	rm -rf $(DESTDIR)$(PYTHONDIR)/clusterperm

clean:
	rm -rf build build-san build-fuzz python/clusterperm/_cperm*.so
