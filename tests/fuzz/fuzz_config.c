/*
 * fuzz_config — the two configuration decoders that read untrusted text:
 * a config file (user file) and the run-config JSON (arrives in a lease
 * grant from the wire). Both must accept or reject with one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/fuzz-config-%ld", (long)getpid());
    mg_config c;
    char err[512];
    FILE *f = fopen(path, "wb");
    if (f) {
        if (size) fwrite(data, 1, size, f);
        fclose(f);
        mg_config_defaults(&c);
        if (mg_config_load_file(&c, path, err, sizeof err) &&
            strchr(err, '\n'))
            abort();
    }
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    mg_config_defaults(&c);
    if (mg_config_apply_run_json(&c, text, err, sizeof err) == 0) {
        /* whatever was accepted must serialise and read back the same */
        char *out = mg_config_run_json(&c);
        mg_config d;
        mg_config_defaults(&d);
        if (!out || mg_config_apply_run_json(&d, out, err, sizeof err))
            abort();
        char *out2 = mg_config_run_json(&d);
        if (!out2 || strcmp(out, out2)) abort();
        free(out);
        free(out2);
    } else if (strchr(err, '\n')) {
        abort();
    }
    free(text);
    return 0;
}
