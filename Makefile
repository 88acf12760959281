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
ALL_CFLAGS := -std=c11 -ffp-contract=off -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -fopenmp -fPIC \
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

check-sanitize: deps
	$(MAKE) BUILD=build-san OPT=-O1 CFLAGS='-g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' LDFLAGS='-fsanitize=address,undefined' tests
	ASAN_OPTIONS=detect_leaks=1 sh tests/run_all.sh build-san

demo: deps
	$(MAKE) all
	sh tools/demo.sh $(BUILD)

bench: deps
	$(MAKE) all tests
	sh bench/run_bench.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/clusterperm.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libclusterperm.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libclusterperm.so $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/clusterperm $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/clusterperm.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	rm -rf build build-san
