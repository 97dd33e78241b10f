/*
 * pools — the soundfont registry, the run's selection, the licence gate
 * and the per-sample font draw (see pools.h for the contract).
 *
 * Selection: "default" names the registry's default fonts, "all" every
 * entry, anything else one font by name; dropped-in files always join the
 * pools of their directory (a user put them there). Checks come before
 * the gate, so a broken or missing font is named as such even when it is
 * also opt-in. Preset tables come from the files (sfont.c), never from a
 * synthesizer, so drawing needs no loaded font.
 */
#include "pools.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "errmsg.h"
#include "rfile.h"
#include "utf8.h"

struct mg_pools {
    int n;
    mg_font_info f[MG_POOLS_MAX];
    int npool[MG_NLAYERS];
    int pool[MG_NLAYERS][MG_POOLS_MAX];
};

static const char *const gm_classes[16] = {
    "Piano", "Chromatic Percussion", "Organ", "Guitar", "Bass", "Strings",
    "Strings (continued)", "Brass", "Reed", "Pipe", "Synth Lead",
    "Synth Pad", "Synth Effects", "Ethnic", "Percussive", "Sound Effects",
};

const char *
mg_gm_class(int bank, int program, bool drums)
{
    if (drums || bank == 128)
        return "Drums";
    return gm_classes[(program & 127) / 8];
}

/* Field key of e, when a string, into dst[n]: one that does not fit is
 * an error naming it (it was cut without a word: two fonts named alike
 * for their first 63 bytes were one name in sample.json, and --fonts
 * could not select either by the registry's name). */
static int
copy_str(char *dst, size_t n, json_t *e, const char *key, const char *where,
         char *err, size_t errlen)
{
    json_t *v = json_object_get(e, key);

    if (!json_is_string(v))
        return 0;
    if (json_string_length(v) >= n)
        return mg_errf(err, errlen, "%s.%s: longer than %zu bytes", where,
                       key, n - 1);
    snprintf(dst, n, "%s", json_string_value(v));
    return 0;
}

static char *
dup_str(json_t *v)
{
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static bool
known_class(const char *c)
{
    return !strcmp(c, "permissive") || !strcmp(c, "attribution") ||
           !strcmp(c, "copyleft") || !strcmp(c, "unknown");
}

/* Licence fields of a registry entry or a sidecar file. */
static int
read_license(mg_font_info *f, json_t *e, const char *where, char *err,
             size_t errlen)
{
    json_t *x;

    if (copy_str(f->license, sizeof f->license, e, "license", where, err,
                 errlen) < 0 ||
        copy_str(f->license_class, sizeof f->license_class, e,
                 "license_class", where, err, errlen) < 0 ||
        copy_str(f->license_url, sizeof f->license_url, e, "license_url",
                 where, err, errlen) < 0 ||
        copy_str(f->debian_package, sizeof f->debian_package, e,
                 "debian_package", where, err, errlen) < 0)
        return -1;
    free(f->copyright);
    free(f->attribution);
    free(f->note);
    f->copyright = dup_str(json_object_get(e, "copyright"));
    f->attribution = dup_str(json_object_get(e, "attribution"));
    f->note = dup_str(json_object_get(e, "note"));
    if (!f->license[0])
        snprintf(f->license, sizeof f->license, "unknown");
    if (!f->license_class[0])
        snprintf(f->license_class, sizeof f->license_class, "%s",
                 !strcmp(f->license, "unknown") ? "unknown" : "copyleft");
    if (!known_class(f->license_class))
        return mg_errf(err, errlen, "%s: license_class must be permissive, "
                       "attribution, copyleft or unknown, got '%s'", where,
                       f->license_class);
    f->opt_in = strcmp(f->license_class, "permissive") != 0;
    x = json_object_get(e, "size_mb");
    if (json_is_number(x))
        f->size_mb = json_number_value(x);
    return 0;
}

/* Every key of a registry entry names a field: a "wieght" or "layer"
 * was taken without a word (the font drawn at weight 1, or refused for
 * its missing layers with no hint why). */
static int
entry_keys(json_t *e, const char *where, char *err, size_t errlen)
{
    static const char *const known[] = {
        "name", "path", "debian_package", "license", "license_class",
        "license_url", "copyright", "attribution", "note", "size_mb",
        "default", "layers", "tags", "weight", "drum_kits"};
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach(e, k, v) {
        for (i = 0; i < sizeof known / sizeof known[0] && strcmp(k, known[i]);
             i++)
            ;
        if (i == sizeof known / sizeof known[0])
            return mg_errf(err, errlen, "%s.%s: unknown field", where, k);
    }
    return 0;
}

/* A new font; a dropped-in file (dedup) already known by path is
 * returned as it is, so a file in two layer directories joins both. */
static mg_font_info *
add_font(mg_pools *p, const char *sf_dir, const char *path, const char *name,
         bool dedup, char *err, size_t errlen)
{
    mg_font_info *f;

    for (int i = 0; dedup && i < p->n; i++)
        if (!strcmp(p->f[i].path, path))
            return &p->f[i];
    if (p->n >= MG_POOLS_MAX) {
        mg_errf(err, errlen, "%s: more than %d soundfonts", sf_dir,
                MG_POOLS_MAX);
        return NULL;
    }
    f = &p->f[p->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    if (path[0] == '/')
        snprintf(f->file, sizeof f->file, "%s", path);
    else
        snprintf(f->file, sizeof f->file, "%.500s/%.500s", sf_dir, path);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->license, sizeof f->license, "unknown");
    snprintf(f->license_class, sizeof f->license_class, "unknown");
    f->opt_in = true;
    f->weight = 1.0;
    f->is_default = true;
    return f;
}


static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_font_file(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && name[0] != '.' &&
           (!strcasecmp(name + n - 4, ".sf2") ||
            !strcasecmp(name + n - 4, ".sf3"));
}

static int
read_registry(mg_pools *p, const char *sf_dir, char *err, size_t errlen)
{
    char path[1200];
    json_t *root, *arr, *e;
    struct stat st;
    size_t i;

    snprintf(path, sizeof path, "%s/registry.json", sf_dir);
    if (stat(path, &st) != 0)
        return 0;
    if (!(root = mg_rfile_json(path, JSON_REJECT_DUPLICATES, err, errlen)))
        return -1;
    arr = json_object_get(root, "fonts");
    if (!json_is_array(arr)) {
        json_decref(root);
        return mg_errf(err, errlen, "%s: \"fonts\" must be an array", path);
    }
    json_array_foreach(arr, i, e) {
        const char *fp = json_string_value(json_object_get(e, "path"));
        const char *nm = json_string_value(json_object_get(e, "name"));
        json_t *ls = json_object_get(e, "layers");
        json_t *tg = json_object_get(e, "tags");
        json_t *w = json_object_get(e, "weight");
        json_t *df = json_object_get(e, "default");
        json_t *kits = json_object_get(e, "drum_kits");
        json_t *x;
        char where[1300];
        mg_font_info *f;
        size_t j;

        snprintf(where, sizeof where, "%.1200s: fonts[%zu]", path, i);
        if (entry_keys(e, where, err, errlen) < 0)
            goto fail;
        if (!fp || !*fp) {
            mg_errf(err, errlen, "%s.path: missing", where);
            goto fail;
        }
        if (!json_is_array(ls) || json_array_size(ls) == 0) {
            mg_errf(err, errlen, "%s.layers: need a non-empty array", where);
            goto fail;
        }
        if (nm && strlen(nm) >= sizeof p->f[0].name) {
            mg_errf(err, errlen, "%s.name: longer than %zu bytes", where,
                    sizeof p->f[0].name - 1);
            goto fail;
        }
        if (nm && *nm && mg_pools_find(p, nm) >= 0) {
            mg_errf(err, errlen, "%s.name: '%s' is already taken", where, nm);
            goto fail;
        }
        f = add_font(p, sf_dir, fp, nm && *nm ? nm : fp, false, err, errlen);
        if (!f)
            goto fail;
        if (read_license(f, e, where, err, errlen) < 0)
            goto fail;
        if (df && !json_is_boolean(df)) {
            mg_errf(err, errlen, "%s.default: need true or false", where);
            goto fail;
        }
        f->is_default = df ? json_is_true(df) : true;
        json_array_foreach(ls, j, x) {
            int l = json_is_string(x)
                ? mg_layer_from_name(json_string_value(x)) : -1;
            if (l < 0) {
                mg_errf(err, errlen, "%s.layers[%zu]: unknown layer", where,
                        j);
                goto fail;
            }
            f->layers |= 1u << l;
        }
        /* tags past the 16th were dropped without a word, and the
         * shipped FluidR3_GM's "808" and "electronic_drums" (the
         * electronic and hip-hop beats' tags) and OPL3_FM_128M's
         * "synth_bass" and "synth_pad" steered nothing */
        if (tg && (!json_is_array(tg) ||
                   json_array_size(tg) > MG_FONT_MAX_TAGS)) {
            mg_errf(err, errlen, "%s.tags: need a list of at most %d "
                    "strings", where, MG_FONT_MAX_TAGS);
            goto fail;
        }
        json_array_foreach(tg, j, x) {
            if (!json_is_string(x) ||
                json_string_length(x) >= sizeof f->tags[0]) {
                mg_errf(err, errlen, "%s.tags[%zu]: need a string of at "
                        "most %zu bytes", where, j, sizeof f->tags[0] - 1);
                goto fail;
            }
            snprintf(f->tags[f->ntags++], sizeof f->tags[0], "%s",
                     json_string_value(x));
        }
        /* bounded: a weight of 1e308 made the draw's total infinite,
         * and the last font of the pool was drawn every time, never the
         * one so weighted */
        if (w && (!json_is_number(w) || json_number_value(w) <= 0 ||
                  json_number_value(w) > MG_FONT_MAX_WEIGHT)) {
            mg_errf(err, errlen, "%s.weight: need a number above 0, at "
                    "most %g", where, MG_FONT_MAX_WEIGHT);
            goto fail;
        }
        if (w)
            f->weight = json_number_value(w);
        if (kits) {
            /* past the 64th a kit was dropped without a word */
            if (!json_is_array(kits) ||
                json_array_size(kits) > MG_FONT_MAX_KITS) {
                mg_errf(err, errlen, "%s.drum_kits: need [[bank, program], "
                        "...], at most %d", where, MG_FONT_MAX_KITS);
                goto fail;
            }
            json_array_foreach(kits, j, x) {
                json_t *b = json_array_get(x, 0), *pr = json_array_get(x, 1);
                if (!json_is_integer(b) || !json_is_integer(pr) ||
                    json_integer_value(b) < 0 || json_integer_value(b) > 128 ||
                    json_integer_value(pr) < 0 ||
                    json_integer_value(pr) > 127) {
                    mg_errf(err, errlen, "%s.drum_kits[%zu]: need [bank "
                            "0..128, program 0..127]", where, j);
                    goto fail;
                }
                f->kit[f->nkits][0] = (int)json_integer_value(b);
                f->kit[f->nkits][1] = (int)json_integer_value(pr);
                f->nkits++;
            }
        }
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    return -1;
}

static bool
is_dropped(const char *sf_dir, const mg_font_info *f)
{
    (void)sf_dir;
    for (int l = 0; l < MG_NLAYERS; l++) {
        size_t n = strlen(mg_layer_name(l));
        if (!strncmp(f->path, mg_layer_name(l), n) && f->path[n] == '/')
            return true;
    }
    return false;
}

/* The font whose path (as given) is path, or NULL. */
static mg_font_info *
font_by_path(mg_pools *p, const char *path)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->f[i].path, path))
            return &p->f[i];
    return NULL;
}

/* The font file names of dir, sorted (strcmp: the bytes, no locale), in
 * *names (caller frees each and the array); their number, or -1 (err).
 * All of them, then sorted: the pools' limit was applied in readdir's
 * order, which is the file system's (hash order on ext4, newest first on
 * tmpfs), so two machines with the same files kept different fonts and
 * drew different ones for one seed. */
static int
list_fonts(const char *dir, DIR *d, char ***names, char *err, size_t errlen)
{
    struct dirent *de;
    char **v = NULL;
    int n = 0, cap = 0;

    while ((de = readdir(d)))
        if (is_font_file(de->d_name)) {
            if (n == cap) {
                char **nv = realloc(v, (size_t)(cap = cap ? 2 * cap : 64) *
                                       sizeof *v);
                if (!nv)
                    goto oom;
                v = nv;
            }
            if (!(v[n] = strdup(de->d_name)))
                goto oom;
            n++;
        }
    if (n > 1)   /* qsort of NULL is undefined, even for none */
        qsort(v, (size_t)n, sizeof v[0], cmp_str);
    *names = v;
    return n;
oom:
    for (int j = 0; j < n; j++)
        free(v[j]);
    free(v);
    return mg_errf(err, errlen, "%s: out of memory", dir);
}

/* A dropped-in font's name must be its own: sample.json, --fonts and
 * LICENSES.md know fonts by name. One named like a registry font (or
 * like another dropped-in file) made two fonts of one name: its stems
 * were recorded under the registry font's name and LICENSES.md listed
 * them with that font's licence. */
static int
own_name(const mg_pools *p, const mg_font_info *f, const char *sf_dir,
         char *err, size_t errlen)
{
    if (!f->name[0])
        return mg_errf(err, errlen, "%s.json: name: must not be empty",
                       f->file);
    for (int i = 0; i < p->n; i++) {
        const mg_font_info *g = &p->f[i];
        if (g == f || strcmp(g->name, f->name))
            continue;
        if (is_dropped(sf_dir, g))
            return mg_errf(err, errlen, "%s: a dropped-in soundfont named "
                           "'%s', as is %s (samples and LICENSES.md name "
                           "fonts by name): rename one, or give it another "
                           "\"name\" in %s.json (one file serves several "
                           "layers through \"layers\" there)", f->file,
                           f->name, g->file, f->file);
        return mg_errf(err, errlen, "%s: a dropped-in soundfont named '%s', "
                       "as is a font of %s/registry.json (samples and "
                       "LICENSES.md name fonts by name): rename the file, "
                       "or give it another \"name\" in %s.json", f->file,
                       f->name, sf_dir, f->file);
    }
    return 0;
}

/* Fonts dropped into sf_dir/<layer>/, each with an optional sidecar
 * NAME.sf2.json (licence fields, as download-assets writes it). */
static int
read_dropped(mg_pools *p, const char *sf_dir, char *err, size_t errlen)
{
    for (int l = 0; l < MG_NLAYERS; l++) {
        char dir[1200];
        DIR *d;
        char **names = NULL;
        int nn, fresh = 0, rc = 0;

        snprintf(dir, sizeof dir, "%s/%s", sf_dir, mg_layer_name(l));
        d = opendir(dir);
        if (!d)
            continue;
        nn = list_fonts(dir, d, &names, err, errlen);
        closedir(d);
        if (nn < 0)
            return -1;
        /* the limit, on the sorted names and refused as a whole (as the
         * registry's fields are): no file-system order decides which
         * fonts a run has */
        for (int j = 0; j < nn; j++) {
            char rel[1100];
            snprintf(rel, sizeof rel, "%s/%s", mg_layer_name(l), names[j]);
            fresh += !font_by_path(p, rel);
        }
        if (p->n + fresh > MG_POOLS_MAX)
            rc = mg_errf(err, errlen, "%s: %d soundfonts dropped in, and "
                         "the pools hold at most %d fonts in all (%d come "
                         "before them from the registry and the other "
                         "layers' directories): move some out", dir, nn,
                         MG_POOLS_MAX, p->n);
        for (int j = 0; j < nn && rc == 0; j++) {
            char rel[1100], nm[64], side[1400];
            mg_font_info *f;
            struct stat st;

            /* its name and path go into every sample.json (JSON: UTF-8);
             * jansson refused them and the sample lost both, failing
             * verify's schema */
            if (!mg_utf8_valid(names[j])) {
                rc = mg_errf(err, errlen, "%s/%s: a soundfont's file name "
                             "must be UTF-8 text (samples record it): "
                             "rename it", dir, names[j]);
                break;
            }
            snprintf(rel, sizeof rel, "%s/%s", mg_layer_name(l), names[j]);
            snprintf(nm, sizeof nm, "%.*s", (int)strlen(names[j]) - 4,
                     names[j]);
            while (!mg_utf8_valid(nm)) /* cut inside a character */
                nm[strlen(nm) - 1] = 0;
            f = add_font(p, sf_dir, rel, nm, true, err, errlen);
            if (!f) {
                rc = -1;
                break;
            }
            f->layers |= 1u << l;
            snprintf(side, sizeof side, "%s.json", f->file);
            if (stat(side, &st) == 0) {
                json_t *s = mg_rfile_json(side, JSON_REJECT_DUPLICATES, err,
                                          errlen);
                if (!s) {
                    rc = -1;
                    break;
                }
                rc = copy_str(f->name, sizeof f->name, s, "name", side, err,
                              errlen);
                if (rc == 0)
                    rc = read_license(f, s, side, err, errlen);
                /* the layers it serves besides its directory's (one copy
                 * installed by download-assets for several pools) */
                {
                    json_t *ls = json_object_get(s, "layers"), *x;
                    size_t k;
                    json_array_foreach(ls, k, x) {
                        int ll = json_is_string(x)
                            ? mg_layer_from_name(json_string_value(x)) : -1;
                        if (ll >= 0)
                            f->layers |= 1u << ll;
                    }
                }
                json_decref(s);
            }
            if (rc == 0)
                rc = own_name(p, f, sf_dir, err, errlen);
        }
        for (int j = 0; j < nn; j++)
            free(names[j]);
        free(names);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Does the selection (comma-separated) name f? */
static bool
selects(const char *select, const mg_font_info *f, bool dropped)
{
    const char *s = select && *select ? select : "default";
    char tok[128];

    if (dropped)
        return true;
    while (*s) {
        size_t k = strcspn(s, ",");
        snprintf(tok, sizeof tok, "%.*s", (int)(k < 127 ? k : 127), s);
        if ((!strcmp(tok, "default") && f->is_default) ||
            !strcmp(tok, "all") || !strcmp(tok, f->name))
            return true;
        s += k;
        if (*s == ',')
            s++;
    }
    return false;
}

/* Every name in the selection must be a keyword or a font. */
int
mg_pools_check_selection(const mg_pools *p, const char *select, char *err,
                         size_t errlen)
{
    const char *s = select && *select ? select : "default";
    char tok[128];

    while (*s) {
        size_t k = strcspn(s, ",");
        bool found = false;
        snprintf(tok, sizeof tok, "%.*s", (int)(k < 127 ? k : 127), s);
        if (!strcmp(tok, "default") || !strcmp(tok, "all"))
            found = true;
        for (int i = 0; i < p->n && !found; i++)
            found = !strcmp(p->f[i].name, tok);
        if (!found)
            return mg_errf(err, errlen, "--fonts: no soundfont named '%s' in "
                           "the registry (musicgen fonts lists them)", tok);
        s += k;
        if (*s == ',')
            s++;
    }
    return 0;
}

static void
free_font(mg_font_info *f)
{
    free(f->copyright);
    free(f->attribution);
    free(f->note);
    free(f->presets);
}

void
mg_pools_destroy(mg_pools **pp)
{
    mg_pools *p = pp ? *pp : NULL;
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        free_font(&p->f[i]);
    free(p);
    *pp = NULL;
}

mg_pools *
mg_pools_registry(const char *sf_dir, char *err, size_t errlen)
{
    mg_pools *p = calloc(1, sizeof *p);
    if (!p) {
        mg_errf(err, errlen, "pools: out of memory");
        return NULL;
    }
    if (read_registry(p, sf_dir, err, errlen) < 0 ||
        read_dropped(p, sf_dir, err, errlen) < 0)
        mg_pools_destroy(&p);
    return p;
}

static bool
has_preset(const mg_font_info *f, int bank, int prog)
{
    for (int i = 0; i < f->npresets; i++)
        if (f->presets[i].bank == bank && f->presets[i].program == prog)
            return true;
    return false;
}

bool
mg_pools_selects(const char *sf_dir, const char *select,
                 const mg_font_info *f)
{
    return selects(select, f, is_dropped(sf_dir, f));
}

mg_pools *
mg_pools_load(const char *sf_dir, const char *select, bool accept_license,
              char *err, size_t errlen)
{
    mg_pools *p = mg_pools_registry(sf_dir, err, errlen);
    char gate[900] = "";
    int ngate = 0;

    if (!p)
        return NULL;
    if (mg_pools_check_selection(p, select, err, errlen) < 0)
        goto fail;
    for (int i = 0; i < p->n; i++) {
        mg_font_info *f = &p->f[i];
        struct stat st;

        f->selected = mg_pools_selects(sf_dir, select, f);
        if (!f->selected)
            continue;
        if (stat(f->file, &st) != 0) {
            if (f->debian_package[0])
                mg_errf(err, errlen, "soundfont %s: %s: %s (Debian package "
                        "%s: run scripts/setup.sh, or leave it out with "
                        "--fonts)", f->name, f->file, strerror(errno),
                        f->debian_package);
            else
                mg_errf(err, errlen, "soundfont %s: %s", f->file,
                        strerror(errno));
            goto fail;
        }
        if (mg_sfont_presets(f->file, &f->presets, &f->npresets, &f->version,
                             err, errlen) < 0)
            goto fail;
        if (!f->npresets) {
            mg_errf(err, errlen, "soundfont %s: no presets", f->file);
            goto fail;
        }
        if (!f->nkits)
            for (int k = 0; k < f->npresets && f->nkits < MG_FONT_MAX_KITS;
                 k++)
                if (f->presets[k].bank == 128) {
                    f->kit[f->nkits][0] = 128;
                    f->kit[f->nkits][1] = f->presets[k].program;
                    f->nkits++;
                }
        for (int k = 0; k < f->nkits; k++)
            if (!has_preset(f, f->kit[k][0], f->kit[k][1])) {
                mg_errf(err, errlen, "soundfont %s: drum kit %d:%d is not "
                        "in the file", f->name, f->kit[k][0], f->kit[k][1]);
                goto fail;
            }
        if ((f->layers & (1u << MG_LAYER_BEAT)) && !f->nkits) {
            mg_errf(err, errlen, "soundfont %s: in the beat pool but has no "
                    "drum kit (bank 128, or drum_kits in the registry)",
                    f->name);
            goto fail;
        }
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        for (int i = 0; i < p->n; i++)
            if (p->f[i].selected && (p->f[i].layers & (1u << l)))
                p->pool[l][p->npool[l]++] = i;
        if (!p->npool[l]) {
            mg_errf(err, errlen, "soundfont pool for layer %s is empty "
                    "(%s/registry.json and %s/%s/ give no selected font; "
                    "musicgen download-assets --sf2 fetches one)",
                    mg_layer_name(l), sf_dir, sf_dir, mg_layer_name(l));
            goto fail;
        }
    }
    /* the gate, after every check: one line naming each opt-in font */
    for (int i = 0; i < p->n; i++) {
        const mg_font_info *f = &p->f[i];
        size_t k = strlen(gate);
        if (!f->selected || !f->opt_in)
            continue;
        snprintf(gate + k, sizeof gate - k, "%s%s (%s, %s)", ngate ? ", " : "",
                 f->name, f->license, f->license_class);
        ngate++;
    }
    if (ngate && !accept_license) {
        mg_errf(err, errlen, "%s %s %s licence terms that pass to the audio "
                "rendered with %s: pass --accept-license to use %s, or leave "
                "%s out of --fonts", ngate > 1 ? "soundfonts" : "soundfont",
                gate, ngate > 1 ? "carry" : "carries",
                ngate > 1 ? "them" : "it", ngate > 1 ? "them" : "it",
                ngate > 1 ? "them" : "it");
        goto fail;
    }
    return p;
fail:
    mg_pools_destroy(&p);
    return NULL;
}

int
mg_pools_count(const mg_pools *p)
{
    return p->n;
}

const mg_font_info *
mg_pools_font(const mg_pools *p, int i)
{
    return i >= 0 && i < p->n ? &p->f[i] : NULL;
}

int
mg_pools_find(const mg_pools *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->f[i].name, name))
            return i;
    return -1;
}

int
mg_pools_layer(const mg_pools *p, int l, const int **idx)
{
    *idx = p->pool[l];
    return p->npool[l];
}

int
mg_pools_notice(const mg_pools *p, char *buf, size_t n)
{
    int k = 0;
    size_t len;

    snprintf(buf, n, "licence: the pools include ");
    for (int i = 0; i < p->n; i++) {
        const mg_font_info *f = &p->f[i];
        if (!f->selected || !f->opt_in)
            continue;
        len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s (%s, %s)", k ? ", " : "", f->name,
                 f->license, f->license_class);
        k++;
    }
    len = strlen(buf);
    if (k)
        snprintf(buf + len, n - len, "; their terms apply to the audio, see "
                 "LICENSES.md in the dataset");
    else if (n)
        buf[0] = 0;
    return k;
}

static bool
font_has_tag(const mg_font_info *f, const char *tag)
{
    for (int i = 0; i < f->ntags; i++)
        if (!strcasecmp(f->tags[i], tag))
            return true;
    return false;
}

/* The preset of f that plays program `prog` (drums: kit `prog`): the
 * exact one (bank 0), else the same program in the lowest other melodic
 * bank (a GS variation); drums: kit prog, else kit 0, else the first kit.
 * Returns the preset index or -1 when f has none of the kind. */
static int
find_preset(const mg_font_info *f, bool drums, int prog)
{
    if (drums) {
        int kk = -1;
        for (int k = 0; k < f->nkits && kk < 0; k++)
            if (f->kit[k][1] == prog)
                kk = k;
        for (int k = 0; k < f->nkits && kk < 0; k++)
            if (f->kit[k][1] == 0)
                kk = k;
        if (kk < 0 && f->nkits)
            kk = 0;
        for (int i = 0; kk >= 0 && i < f->npresets; i++)
            if (f->presets[i].bank == f->kit[kk][0] &&
                f->presets[i].program == f->kit[kk][1])
                return i;
        return -1;
    }
    for (int i = 0; i < f->npresets; i++)
        if (f->presets[i].bank == 0 && f->presets[i].program == prog)
            return i;
    for (int i = 0; i < f->npresets; i++)   /* sorted by bank */
        if (f->presets[i].bank != 128 && f->presets[i].program == prog)
            return i;
    return -1;
}

void
mg_pools_draw(const mg_pools *p, int l, int program, const char (*tags)[32],
              int ntags, mg_rng *rng, mg_font_draw *d)
{
    double w[MG_POOLS_MAX] = {0};
    bool drums = l == MG_LAYER_BEAT;
    int n = p->npool[l], k, pi;
    const mg_font_info *f;

    program &= 127;
    for (int i = 0; i < n; i++) {
        const mg_font_info *g = &p->f[p->pool[l][i]];
        int m = 0;
        for (int t = 0; t < ntags; t++)
            m += font_has_tag(g, tags[t]);
        w[i] = find_preset(g, drums, program) >= 0 ? g->weight * (1 + m) : 0;
    }
    k = mg_rng_weighted(rng, w, n);
    if (k < 0) {
        /* no font has the program: any font, its first preset of the kind */
        for (int i = 0; i < n; i++)
            w[i] = p->f[p->pool[l][i]].weight;
        k = mg_rng_weighted(rng, w, n);
    }
    d->font = p->pool[l][k < 0 ? 0 : k];
    f = &p->f[d->font];
    pi = find_preset(f, drums, program);
    if (pi < 0)
        for (int i = 0; i < f->npresets && pi < 0; i++)
            if ((f->presets[i].bank == 128) == drums)
                pi = i;
    if (pi < 0)
        pi = 0;
    d->bank = f->presets[pi].bank;
    d->program = f->presets[pi].program;
    d->preset = f->presets[pi].name;
    d->gm_class = mg_gm_class(d->bank, d->program, drums);
}
