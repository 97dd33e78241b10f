/*
 * dsnames — GM names and safe relative paths (see dsnames.h).
 */
#include "dsnames.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "errmsg.h"
#include "outpath.h"

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

int
mg_ds_out_check(const char *opt, const char *out, const char *root,
                const char *absroot, bool dir, char *err, size_t errlen)
{
    char real[PATH_MAX];
    if (!strcmp(out, "-") || mg_outpath_resolve(out, real, sizeof real))
        return 0; /* standard output, or a directory the write will name */
    if (!strcmp(real, absroot))
        return mg_errf(err, errlen, "%s is the dataset itself", out);
    if (mg_path_holds(real, absroot))
        return mg_errf(err, errlen, "%s %s holds the dataset %s (replacing "
                       "it would delete the dataset): give a path outside it",
                       opt, out, root);
    if (!mg_path_holds(absroot, real)) return 0;
    const char *rest = real + strlen(absroot) + 1;
    if (!dir && !strchr(rest, '/') && strcmp(rest, "manifest.jsonl") &&
        strcmp(rest, "LICENSES.md") && rest[strspn(rest, "0123456789")] &&
        rest[0] != '.')
        return 0;
    return mg_errf(err, errlen, "%s %s is inside the dataset %s%s: give a "
                   "path outside it", opt, out, root,
                   dir ? "" : " (in a sample, or one of its own names)");
}
