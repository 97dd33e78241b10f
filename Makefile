# musicgen — one build for everything. pkg-config finds the libraries;
# scripts/check-deps.sh names the Debian package of anything missing.
#
#   make               build build/musicgen
#   make test          build with ASan+UBSan and run every test (tests/run.sh)
#   make bench         benchmarks (scripts/bench.sh), figures and ratios
#   make install       PREFIX=/usr/local DESTDIR= (executable, libmusicgen
#                      .so/.a, musicgen.h, musicgen.pc, data)
#   make clean
#
# Sources are found by wildcard: a new common/*.c or common/ROOM/*.c joins
# the engine library (rooms: base music audio dataset assets; DESIGN.md §2),
# a new tests/unit/test_*.c becomes a test binary, without editing this file.

PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CC      ?= cc
BUILD   ?= build
SAN     ?=
# V=1 shows full command lines.
Q := $(if $(V),,@)

PKGS      := fluidsynth libczmq libzmq jansson sndfile sqlite3 openssl libcurl libmicrohttpd libzstd snappy libebur128 libarchive
TEST_PKGS := cmocka

# The rooms of common/ (DESIGN.md §2): lower rooms never include higher ones.
COMMON_ROOMS := base music audio dataset assets

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
# -fno-trapping-math: no code here enables FP traps, so comparisons may
# become selections and branch-free loops vector code (the values are the
# same: no reassociation, no contraction under -std=c11); cheap cost model:
# -O2's "very cheap" one vectorizes almost no loop that converts types.
# -fPIC: the same objects make libmusicgen.so; -fvisibility=hidden: the
# library exports only what musicgen.h declares (lib/musicgen.map too),
# and no symbol can be interposed, so PIC costs the executable nothing.
# The compiler's own flags: clang (`make fuzz`) has no -fvect-cost-model
# and takes the SQL statements split over lines (coordinator/ledger.c)
# for missing commas.
CC_IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -ci clang)
GCC_ONLY := $(if $(filter 0,$(CC_IS_CLANG)),-fvect-cost-model=cheap,-Wno-string-concatenation)
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -fno-strict-aliasing \
           -fPIC -fvisibility=hidden -fno-semantic-interposition \
           -fno-trapping-math $(GCC_ONLY) \
           -I. -Ilib -Icommon $(COMMON_ROOMS:%=-Icommon/%) -Iproto -Icoordinator -Iworker \
           -DMG_SRC_DIR='"$(CURDIR)"' -DMG_PREFIX='"$(PREFIX)"' \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread

ifeq ($(SAN),1)
# -DMG_NO_CPU_CLONES: the test build keeps the baseline (SSE2) code of the
# audio loops that the release build also has as AVX2 clones, so that
# determinism_builds compares the two paths (same bytes on any CPU)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined -DMG_NO_CPU_CLONES
LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRC := $(sort $(wildcard common/*.c $(COMMON_ROOMS:%=common/%/*.c)))
API_SRC    := $(sort $(wildcard lib/*.c))
PROTO_SRC  := $(sort $(wildcard proto/*.c))
DAEMON_SRC := $(sort $(wildcard coordinator/*.c worker/*.c))
CLI_SRC    := $(sort $(wildcard cli/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
API_OBJ    := $(API_SRC:%.c=$(BUILD)/%.o)
PROTO_OBJ  := $(PROTO_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_UTIL  := $(BUILD)/tests/unit/util/tutil.o
TOOL_SRC   := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
TOOL_PEER  := $(BUILD)/tests/tools/peer/peer.o
SHIM_SRC   := $(sort $(wildcard tests/tools/shim/*.c))
SHIM_SO    := $(SHIM_SRC:tests/tools/shim/%.c=$(BUILD)/tools/%.so)
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_SRC  := $(sort $(wildcard bench/*.c))
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

LIBCOMMON := $(BUILD)/libmgcommon.a
LIBAPI    := $(BUILD)/libmgapi.a
LIBPROTO  := $(BUILD)/libmgproto.a
LIBDAEMON := $(BUILD)/libmgdaemon.a
BIN       := $(BUILD)/musicgen

# libmusicgen: the public API (lib/musicgen.h) with the engine inside: the
# top of common/ and the rooms a sample is made of (not dataset/ or
# assets/, which read trees and fetch files, with libraries of their own).
ENGINE_ROOMS := base music audio
# plus assets/licenses.c (jansson only): the batch writes LICENSES.md
ENGINE_SRC := $(sort $(wildcard common/*.c $(ENGINE_ROOMS:%=common/%/*.c)) \
                     common/assets/licenses.c)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
# The engine's version (common/engine.h) is the library's; lib/musicgen.h
# must say the same (checked when the library is linked).
MG_VERSION := $(shell sed -n 's/^\#define MG_ENGINE_VERSION "\(.*\)"/\1/p' common/engine.h)
MG_HDR_VERSION := $(shell sed -n 's/^\#define MUSICGEN_VERSION "\(.*\)"/\1/p' lib/musicgen.h)
MG_SOMAJOR := 0
LIBMG_A    := $(BUILD)/libmusicgen.a
LIBMG_SO   := $(BUILD)/libmusicgen.so.$(MG_VERSION)
LIBMG_SONAME := libmusicgen.so.$(MG_SOMAJOR)
# what the library itself links (the daemons' ZeroMQ and SQLite are not)
LIBMG_PKGS := fluidsynth jansson sndfile libcrypto
LIBMG_LDLIBS := $(shell pkg-config --libs $(LIBMG_PKGS) 2>/dev/null) -lm -lpthread

.PHONY: all test unit check-deps bench install uninstall clean format \
        soak valgrind fuzz lib valgrind-lib
all: $(BIN) lib
lib: $(LIBMG_A) $(LIBMG_SO)

$(BUILD)/.deps-ok: scripts/check-deps.sh
	@sh scripts/check-deps.sh $(PKGS)
	@mkdir -p $(BUILD) && touch $@

check-deps:
	@sh scripts/check-deps.sh $(PKGS) $(TEST_PKGS)

# Objects are rebuilt when the compile flags change (make tracks files, not
# flags): e.g. -fPIC, which libmusicgen.so needs, on a tree built before.
# PREFIX is left out: `make install PREFIX=...` must not rebuild.
OBJ_FLAGS  := $(CC) $(filter-out -DMG_PREFIX=%,$(CFLAGS))
FLAGS_FILE := $(BUILD)/.cflags
ifneq ($(file <$(FLAGS_FILE)),$(OBJ_FLAGS))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_FILE),$(OBJ_FLAGS))
endif

$(BUILD)/%.o: %.c $(BUILD)/.deps-ok $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# An archive with no members yet is still a valid (empty) archive.
archive = @mkdir -p $(dir $@); rm -f $@; \
	if [ -n "$^" ]; then $(AR) rcs $@ $^; else printf '!<arch>\n' > $@; fi

$(LIBCOMMON): $(COMMON_OBJ)
	$(archive)
$(LIBPROTO): $(PROTO_OBJ)
	$(archive)
$(LIBDAEMON): $(DAEMON_OBJ)
	$(archive)
$(LIBAPI): $(API_OBJ)
	$(archive)
$(LIBMG_A): $(API_OBJ) $(ENGINE_OBJ)
	$(archive)

$(LIBMG_SO): $(API_OBJ) $(ENGINE_OBJ) lib/musicgen.map
	@[ "$(MG_VERSION)" = "$(MG_HDR_VERSION)" ] || { echo "lib/musicgen.h says \
	version $(MG_HDR_VERSION), common/engine.h $(MG_VERSION): update \
	MUSICGEN_VERSION*" >&2; exit 1; }
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) -shared $(LDFLAGS) -Wl,-soname,$(LIBMG_SONAME) \
	    -Wl,--version-script=lib/musicgen.map -Wl,-z,defs -o $@ \
	    $(API_OBJ) $(ENGINE_OBJ) $(LIBMG_LDLIBS)
	$(Q)ln -sf $(notdir $@) $(BUILD)/$(LIBMG_SONAME)
	$(Q)ln -sf $(LIBMG_SONAME) $(BUILD)/libmusicgen.so

# the .pc of an install under PREFIX (LIBDIR, INCLUDEDIR), made by install
# (PREFIX is an install-time choice)
PC_SED := -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	  -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(MG_VERSION)|' \
	  -e 's|@PRIVATE@|$(LIBMG_PKGS)|'

LIBS := $(LIBDAEMON) $(LIBPROTO) $(LIBAPI) $(LIBCOMMON)

$(BIN): $(CLI_OBJ) $(LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBS) $(LDLIBS)

# tests/unit/util/: the set-up the unit tests share
$(BUILD)/tests/%: tests/unit/%.c $(UNIT_UTIL) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< \
	    $(UNIT_UTIL) $(LIBS) $(LDLIBS) $(shell pkg-config --libs cmocka)

# tests/tools/peer/: the fake-worker plumbing the tools share
$(BUILD)/tools/%: tests/tools/%.c $(TOOL_PEER) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TOOL_PEER) $(LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

# bench_audio's legs, one file each (bench/audio/, not benchmarks of
# their own)
BENCH_AUDIO_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard bench/audio/*.c)))
$(BUILD)/bench/bench_audio: bench/bench_audio.c $(BENCH_AUDIO_OBJ) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BENCH_AUDIO_OBJ) $(LIBS) $(LDLIBS)

# Fuzz targets linked with a corpus-replay main (run by tests/run.sh).
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBS) $(LDLIBS)

# LD_PRELOAD shims for tests: plain C, never sanitized (they load into
# the process before the ASan runtime).
$(BUILD)/tools/%.so: tests/tools/shim/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  SHIM    $@")
	$(Q)cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared \
	    -o $@ $< -ldl

unit: $(BIN) lib $(UNIT_BIN) $(TOOL_BIN) $(SHIM_SO) $(FUZZ_BIN)
# the helpers linked into the tests and tools: kept, not rebuilt each time
.SECONDARY: $(UNIT_UTIL) $(TOOL_PEER)

# The test build: ASan + UBSan, in its own tree, then every test.
test:
	@sh scripts/check-deps.sh $(PKGS) $(TEST_PKGS)
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 unit
	$(MAKE) --no-print-directory all
	MG_BUILD=build/asan sh tests/run.sh

bench: all $(BENCH_BIN) $(TOOL_BIN)
	BUILD=$(BUILD) sh scripts/bench.sh

soak: all
	sh tests/soak.sh

# libmusicgen under memcheck with audio (FluidSynth loading FluidR3_GM
# under valgrind takes a minute or more; `make test` runs lib_c_api's
# valgrind check with a 4 MB font instead).
valgrind-lib: all
	sh tests/valgrind_lib.sh

# Coverage-guided fuzzing with clang's libFuzzer (apt-get install clang):
# each target runs FUZZ_SECONDS on a scratch copy of its corpus.
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) --no-print-directory BUILD=build/fuzz SAN=1 CC=clang \
	    EXTRA_CFLAGS=-fsanitize=fuzzer-no-link $(LIBS:$(BUILD)/%=build/fuzz/%)
	@for t in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
	    echo "== $$t ($(FUZZ_SECONDS) s)"; \
	    clang -std=c11 -D_GNU_SOURCE -O1 -g -DMG_SRC_DIR='"$(CURDIR)"' \
	        -I. -Icommon $(COMMON_ROOMS:%=-Icommon/%) -Iproto \
	        -fsanitize=fuzzer,address,undefined \
	        $$(pkg-config --cflags $(PKGS)) -o build/fuzz/$$t tests/fuzz/$$t.c \
	        build/fuzz/libmgdaemon.a build/fuzz/libmgproto.a \
	        build/fuzz/libmgcommon.a $(LDLIBS) || exit 1; \
	    c=build/fuzz/corpus-$$t; mkdir -p $$c; \
	    cp tests/fuzz/corpus/$${t#fuzz_}/* $$c/ 2>/dev/null; \
	    build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=build/fuzz/$$t- $$c || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/musicgen
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/musicgen
	cp -R genres sf schema web $(DESTDIR)$(PREFIX)/share/musicgen/
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 644 $(LIBMG_A) $(DESTDIR)$(LIBDIR)/libmusicgen.a
	install -m 755 $(LIBMG_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIBMG_SO)) $(DESTDIR)$(LIBDIR)/$(LIBMG_SONAME)
	ln -sf $(LIBMG_SONAME) $(DESTDIR)$(LIBDIR)/libmusicgen.so
	install -m 644 lib/musicgen.h $(DESTDIR)$(INCLUDEDIR)/musicgen.h
	sed $(PC_SED) lib/musicgen.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/musicgen.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/musicgen
	rm -rf $(DESTDIR)$(PREFIX)/share/musicgen
	rm -f $(DESTDIR)$(LIBDIR)/libmusicgen.a $(DESTDIR)$(LIBDIR)/libmusicgen.so* \
	    $(DESTDIR)$(INCLUDEDIR)/musicgen.h $(DESTDIR)$(LIBDIR)/pkgconfig/musicgen.pc

format:
	clang-format -i $(COMMON_SRC) $(API_SRC) $(PROTO_SRC) $(DAEMON_SRC) $(CLI_SRC) \
	    common/*.h common/*/*.h proto/*.h

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
