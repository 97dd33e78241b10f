/*
 * fuzz_assets — an assets.toml registry is a user file: the parser must
 * return entries or one line naming the file and line, never crash, read
 * out of bounds or leak, whatever the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mg_assets out;
    char err[512];

    err[0] = 0;
    if (mg_assets_parse((const char *)data, size, "fuzz.toml", &out, err,
                        sizeof err) < 0 &&
        (!err[0] || strchr(err, '\n')))
        abort();
    return 0;
}
