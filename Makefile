# clusterperm - plain Makefile. Honours CC, CFLAGS, LDFLAGS, PREFIX, DESTDIR.
CC ?= cc
PREFIX ?= /usr/local
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3

# HDF5 on Debian lives under a "serial" pkg-config name.
HDF5_PC := $(shell $(PKG_CONFIG) --exists hdf5-serial 2>/dev/null && echo hdf5-serial || echo hdf5)
DEPS_PC := zlib jansson cairo $(HDF5_PC)
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS_PC) 2>/dev/null)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs $(DEPS_PC) 2>/dev/null)

OPT ?= -O3
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -ffp-contract=off -fno-math-errno -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -fopenmp -fPIC \
              -Iinclude -Isrc $(DEPS_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := -fopenmp $(LDFLAGS)
LIBS := $(DEPS_LIBS) -lm

BUILD ?= build
LIB_SRCS := $(wildcard src/*.c)
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/cli/%.o,$(CLI_SRCS))
TEST_SRCS := $(wildcard tests/unit_*.c) $(wildcard tests/tool_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

.PHONY: all lib cli tests check check-sanitize demo bench fuzz install clean deps

all: $(BUILD)/libclusterperm.a $(BUILD)/libclusterperm.so $(BUILD)/clusterperm $(BUILD)/clusterperm.pc

$(BUILD)/obj/%.o: src/%.c include/clusterperm.h $(wildcard src/*_internal.h) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -DCPERM_BUILDING -fvisibility=hidden -c $< -o $@

$(BUILD)/cli/%.o: cli/%.c include/clusterperm.h $(wildcard cli/*.h) | $(BUILD)/cli
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libclusterperm.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libclusterperm.so: $(LIB_OBJS)
	$(CC) -shared $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/clusterperm: $(CLI_OBJS) $(BUILD)/libclusterperm.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libclusterperm.a $(LIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libclusterperm.a tests/testutil.h | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libclusterperm.a $(ALL_LDFLAGS) $(LIBS)

$(BUILD)/clusterperm.pc: Makefile | $(BUILD)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: clusterperm\nDescription: cluster-based permutation statistics for MEG/EEG\nVersion: 0.1.0\nLibs: -L$${libdir} -lclusterperm\nLibs.private: %s -lm -fopenmp\nCflags: -I$${includedir}\n' '$(PREFIX)' '$(DEPS_LIBS)' > $@

$(BUILD) $(BUILD)/obj $(BUILD)/cli $(BUILD)/tests:
	mkdir -p $@

tests: all $(TEST_BINS)

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
	$(MAKE) BUILD=build-san CFLAGS='-O1 -g $(SAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' tests
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
	sh bench/run_bench.sh $(BUILD) $(BENCH_ARGS)
	sh bench/bench_tfce.sh $(BUILD) $(BENCH_TFCE_ARGS)

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
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/clusterperm.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libclusterperm.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libclusterperm.so $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/clusterperm $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/clusterperm.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	rm -rf build build-san build-fuzz
