/*
 * fuzz_sfont — a soundfont's preset table is read from a file a user
 * dropped into sf/<layer>/: the RIFF walker must return a table or one
 * line, never crash, loop or read past the data, whatever the sizes in
 * the chunks say.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfont.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mg_sf_preset *v = NULL;
    char err[512];
    int n, ver;
    FILE *f;

    if (!size)
        return 0;
    f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    if (mg_sfont_read_presets(f, "fuzz.sf2", &v, &n, &ver, err,
                              sizeof err) == 0) {
        for (int i = 0; i < n; i++)
            if (v[i].bank < 0 || v[i].bank > 128 || v[i].program < 0 ||
                v[i].program > 127 || strlen(v[i].name) > 20)
                abort();
        free(v);
    } else if (strchr(err, '\n')) {
        abort();
    }
    fclose(f);
    return 0;
}
