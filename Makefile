# musicgen — one build for everything. pkg-config finds the libraries;
# scripts/check-deps.sh names the Debian package of anything missing.
#
#   make               build build/musicgen
#   make test          build with ASan+UBSan and run every test (tests/run.sh)
#   make bench         benchmarks (scripts/bench.sh), figures and ratios
#   make install       PREFIX=/usr/local DESTDIR=
#   make clean
#
# Sources are found by wildcard: a new common/*.c or common/ROOM/*.c joins
# the engine library (rooms: base music audio dataset assets; DESIGN.md §2),
# a new tests/unit/test_*.c becomes a test binary, without editing this file.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   ?= build
SAN     ?=
# V=1 shows full command lines.
Q := $(if $(V),,@)

PKGS      := fluidsynth libczmq libzmq jansson sndfile sqlite3 openssl libmicrohttpd libzstd snappy libebur128
TEST_PKGS := cmocka

# The rooms of common/ (DESIGN.md §2): lower rooms never include higher ones.
COMMON_ROOMS := base music audio dataset assets

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
# -fno-trapping-math: no code here enables FP traps, so comparisons may
# become selections and branch-free loops vector code (the values are the
# same: no reassociation, no contraction under -std=c11); cheap cost model:
# -O2's "very cheap" one vectorizes almost no loop that converts types.
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -fno-strict-aliasing \
           -fno-trapping-math -fvect-cost-model=cheap \
           -I. -Icommon $(COMMON_ROOMS:%=-Icommon/%) -Iproto -Icoordinator -Iworker \
           -DMG_SRC_DIR='"$(CURDIR)"' -DMG_PREFIX='"$(PREFIX)"' \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread

ifeq ($(SAN),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRC := $(sort $(wildcard common/*.c $(COMMON_ROOMS:%=common/%/*.c)))
PROTO_SRC  := $(sort $(wildcard proto/*.c))
DAEMON_SRC := $(sort $(wildcard coordinator/*.c worker/*.c))
CLI_SRC    := $(sort $(wildcard cli/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
PROTO_OBJ  := $(PROTO_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC   := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_SRC  := $(sort $(wildcard bench/*.c))
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

LIBCOMMON := $(BUILD)/libmgcommon.a
LIBPROTO  := $(BUILD)/libmgproto.a
LIBDAEMON := $(BUILD)/libmgdaemon.a
BIN       := $(BUILD)/musicgen

.PHONY: all test unit check-deps bench install uninstall clean format \
        soak valgrind fuzz
all: $(BIN)

$(BUILD)/.deps-ok: scripts/check-deps.sh
	@sh scripts/check-deps.sh $(PKGS)
	@mkdir -p $(BUILD) && touch $@

check-deps:
	@sh scripts/check-deps.sh $(PKGS) $(TEST_PKGS)

$(BUILD)/%.o: %.c $(BUILD)/.deps-ok
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

LIBS := $(LIBDAEMON) $(LIBPROTO) $(LIBCOMMON)

$(BIN): $(CLI_OBJ) $(LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< \
	    $(LIBS) $(LDLIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/tools/%: tests/tools/%.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

# Fuzz targets linked with a corpus-replay main (run by tests/run.sh).
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBS) $(LDLIBS)

unit: $(BIN) $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_BIN)

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

# Coverage-guided fuzzing with clang's libFuzzer (apt-get install clang):
# each target runs FUZZ_SECONDS on a scratch copy of its corpus.
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) --no-print-directory BUILD=build/fuzz SAN=1 CC=clang \
	    EXTRA_CFLAGS=-fsanitize=fuzzer-no-link $(LIBS:$(BUILD)/%=build/fuzz/%)
	@for t in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
	    echo "== $$t ($(FUZZ_SECONDS) s)"; \
	    clang -std=c11 -D_GNU_SOURCE -O1 -g -I. -Icommon $(COMMON_ROOMS:%=-Icommon/%) -Iproto \
	        -fsanitize=fuzzer,address,undefined \
	        $$(pkg-config --cflags $(PKGS)) -o build/fuzz/$$t tests/fuzz/$$t.c \
	        build/fuzz/libmgdaemon.a build/fuzz/libmgproto.a \
	        build/fuzz/libmgcommon.a $(LDLIBS) || exit 1; \
	    c=build/fuzz/corpus-$$t; mkdir -p $$c; \
	    cp tests/fuzz/corpus/$${t#fuzz_}/* $$c/ 2>/dev/null; \
	    build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) $$c || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/musicgen
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/musicgen
	cp -R genres sf schema web $(DESTDIR)$(PREFIX)/share/musicgen/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/musicgen
	rm -rf $(DESTDIR)$(PREFIX)/share/musicgen

format:
	clang-format -i $(COMMON_SRC) $(PROTO_SRC) $(DAEMON_SRC) $(CLI_SRC) \
	    common/*.h common/*/*.h proto/*.h

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
