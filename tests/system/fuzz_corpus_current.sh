# fuzz_corpus_current — the committed seed corpus of fuzz_proto is the one
# build/tools/proto_corpus writes for the protocol as it is now (valid,
# truncated, trailing, garbled and bad frames of the current version), so
# the fuzzer starts from frames that get past the version check. The tool
# itself fails if a valid frame stops decoding or a broken one decodes.
. "$MG_SRC/tests/system/lib.sh"
set -u
mkdir now
"$MG_BUILD/tools/proto_corpus" now || die "proto_corpus failed"
diff -r now "$MG_SRC/tests/fuzz/corpus/proto" > d.txt ||
    { cat d.txt; die "tests/fuzz/corpus/proto is stale: regenerate it with \
build/tools/proto_corpus tests/fuzz/corpus/proto"; }
# and each frame is of this protocol version (byte 2 of the header)
v=$(od -An -tu1 -j2 -N1 now/valid-hello | tr -d ' ')
[ "$v" = "$(sed -n 's/^#define MG_PROTO_VERSION \([0-9]*\).*/\1/p' \
    "$MG_SRC/proto/proto.h")" ] || die "valid-hello has version $v"
echo "fuzz corpus current"
