/*
 * dsnames — GM names and safe relative paths (see dsnames.h).
 */
#include "dsnames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"

void
mg_gm_names_load(char prog[128][MG_GM_NAME_MAX],
                 char kit[128][MG_GM_NAME_MAX])
{
    char path[4200];
    json_error_t je;
    snprintf(path, sizeof path, "%s/sf/gm-names.json", mg_data_dir());
    json_t *j = json_load_file(path, 0, &je), *e;
    size_t i;
    const char *k;
    json_array_foreach(json_object_get(j, "programs"), i, e) {
        if (i < 128 && json_is_string(e))
            snprintf(prog[i], MG_GM_NAME_MAX, "%s", json_string_value(e));
    }
    json_object_foreach(json_object_get(j, "drum_kits"), k, e) {
        int p = atoi(k);
        if (p >= 0 && p < 128 && json_is_string(e))
            snprintf(kit[p], MG_GM_NAME_MAX, "%s", json_string_value(e));
    }
    json_decref(j);
}

bool
mg_ds_rel_safe(const char *p)
{
    if (!*p || *p == '/')
        return false;
    for (const char *s = p; (s = strstr(s, "..")); s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
            return false;
    return true;
}
