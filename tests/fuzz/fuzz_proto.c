/*
 * fuzz_proto — libFuzzer target for the wire decoder. Any frame must
 * decode or be rejected without a crash, a leak or a read out of bounds;
 * a frame that decodes must re-encode to the very same bytes (the codec
 * is a bijection on valid frames, so nothing is silently reinterpreted).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *       -D_GNU_SOURCE -Iproto -Icommon tests/fuzz/fuzz_proto.c \
 *       proto/proto.c build/libmgcommon.a $(pkg-config --cflags --libs \
 *       fluidsynth jansson sndfile openssl) -lm -o build/fuzz/fuzz_proto
 *   build/fuzz/fuzz_proto -max_total_time=60 build/fuzz/corpus
 *
 * The seed corpus (tests/fuzz/corpus/proto) is written by
 * build/tools/proto_corpus for the current protocol version; after a
 * protocol change, regenerate it (fuzz_corpus_current fails until then).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mg_msg *m = malloc(sizeof *m);
    char err[256];
    if (!m)
        return 0;
    if (mg_msg_decode(m, data, size, err, sizeof err) == 0) {
        uint8_t *out;
        size_t len;
        if (mg_msg_encode(m, &out, &len, err, sizeof err) == 0) {
            /* REFUSE keeps a foreign version byte; the rest is exact */
            if (len != size || memcmp(out, data, size))
                abort();
            free(out);
        } else {
            abort();
        }
        mg_msg_clear(m);
    }
    free(m);
    return 0;
}
