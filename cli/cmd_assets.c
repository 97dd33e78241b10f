/*
 * cmd_assets — `musicgen download-assets [--sf2] [--midi] [--all]
 * [--name NAME]... [--list] [--force] [--registry FILE] [--sf-dir DIR]
 * [--midi-dir DIR]`: fetch soundfonts and MIDI corpora named in an
 * assets.toml registry (the Python tool's format; docs/assets.md).
 *
 * --sf2 / --midi: the default entries of that kind; --all: every entry;
 * --name: one entry (repeatable). A soundfont lands in
 * SF_DIR/<first layer>/FILENAME with FILENAME.json beside it (licence,
 * layers: the pools read it), a MIDI corpus in MIDI_DIR/<layer>/ (both
 * made as needed, mkdir -p). The registry is --registry, else
 * $MUSICGEN_ASSETS, else <data dir>/sf/assets.toml. A MIDI archive
 * (zip, tar[.gz|.bz2|.xz]) is unpacked beside itself into
 * MIDI_DIR/<layer>/<name without suffix>/ (common/assets/unpack.h: safe
 * paths, atomic). An entry with sha256 = "" (no checksum known) is
 * refused before any download. Each failure is one line; the exit status
 * is 1 when any asset failed, and what failed is not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assets.h"
#include "commands.h"
#include "dsargs.h"
#include "config.h"
#include "fetch.h"
#include "pools.h"
#include "song.h"
#include "unpack.h"

static const char usage[] =
    "usage: musicgen download-assets [--sf2] [--midi] [--all] [--name NAME]"
    "\n           [--list] [--force] [--registry FILE] [--sf-dir DIR] "
    "[--midi-dir DIR]\n"
    "  --sf2, --midi   the default soundfonts / MIDI corpora of the "
    "registry\n"
    "  --all           every entry;  --name NAME  one entry (repeatable)\n"
    "  --list          list the entries with size, layers and licence\n"
    "  --force         download again even when installed\n"
    "  --sf-dir DIR    soundfonts go to DIR/<layer>/ (default: <data>/sf),"
    "\n  --midi-dir DIR  MIDI corpora to DIR/<layer>/ (./midi_assets); "
    "made if missing\n"
    "  registry: --registry, $MUSICGEN_ASSETS, else <data>/sf/assets.toml\n"
    "  MUSICGEN_DOWNLOAD_RETRIES (3), MUSICGEN_DOWNLOAD_BACKOFF_MS (1000)\n";

static void
fetch_opts_from_env(mg_fetch_opts *fo)
{
    mg_fetch_opts_defaults(fo);
    if (getenv("MUSICGEN_DOWNLOAD_BACKOFF_MS"))
        fo->backoff_ms = atol(getenv("MUSICGEN_DOWNLOAD_BACKOFF_MS"));
    if (getenv("MUSICGEN_DOWNLOAD_RETRIES"))
        fo->retries = atoi(getenv("MUSICGEN_DOWNLOAD_RETRIES"));
    fo->progress = isatty(2) == 1;
}

/* The registry download-assets reads: $MUSICGEN_ASSETS, else the
 * installed sf/assets.toml. */
static void
default_registry(char *reg, size_t n)
{
    const char *env = getenv("MUSICGEN_ASSETS");
    if (env && *env)
        snprintf(reg, n, "%s", env);
    else
        snprintf(reg, n, "%.1100s/sf/assets.toml", mg_data_dir());
}

static void
layers_str(unsigned m, char *buf, size_t n)
{
    buf[0] = 0;
    for (int l = 0; l < MG_NLAYERS; l++)
        if (m & (1u << l)) {
            size_t k = strlen(buf);
            snprintf(buf + k, n - k, "%s%s", k ? "," : "", mg_layer_name(l));
        }
}

/* Fetch (and for a MIDI archive, unpack) one entry, printing one line on
 * success; on failure one line too, or, when why is given, the reason in
 * why instead; 0 or -1. */
static int
failure(const char *msg, char *why, size_t whylen)
{
    if (why)
        snprintf(why, whylen, "%s", msg);
    else
        fprintf(stderr, "musicgen download-assets: %s\n", msg);
    return -1;
}

static int
install_one(const mg_asset *a, const char *reg, const char *sfdir,
            const char *mididir, const mg_fetch_opts *o, bool say,
            char *why, size_t whylen)
{
    const mg_fetch_opts fo = *o;
    char dir[1400], err[2048];
    bool fetched;
    int first = 0;
    if (a->unverified) {
        snprintf(err, sizeof err, "%s: %s:%d gives no SHA-256 (sha256 = "
                 "\"\"), so a download could not be verified: not "
                 "fetched; put the sha256sum of a copy you trust in a "
                 "registry of your own (--registry)", a->name, reg, a->line);
        return failure(err, why, whylen);
    }
    while (first < MG_NLAYERS && !(a->layers & (1u << first)))
        first++;
    if (a->kind == MG_ASSET_SF2) {
        /* one copy; the sidecar's layers put it in the other pools */
        snprintf(dir, sizeof dir, "%s/%s", sfdir, mg_layer_name(first));
    } else {
        snprintf(dir, sizeof dir, "%s/%s", mididir, mg_layer_name(first));
    }
    if (mg_fetch_asset(a, dir, &fo, &fetched, err, sizeof err) < 0) {
        return failure(err, why, whylen);
    }
    size_t sfx = a->kind == MG_ASSET_MIDI ? mg_unpack_suffix(a->filename)
                                          : 0;
    if (sfx) {
        char stem[256], tree[1700];
        struct stat st;
        uint64_t files = 0;
        snprintf(stem, sizeof stem, "%.*s",
                 (int)(strlen(a->filename) - sfx), a->filename);
        snprintf(tree, sizeof tree, "%s/%s", dir, stem);
        if (fetched || fo.force || stat(tree, &st) != 0) {
            char path[1700];
            snprintf(path, sizeof path, "%s/%s", dir, a->filename);
            char uerr[1900];
            if (mg_unpack(path, dir, stem, &files, uerr, sizeof uerr)) {
                snprintf(err, sizeof err, "%s: %s", a->name, uerr);
                return failure(err, why, whylen);
            }
            if (say)
                fprintf(stderr, "%s: %s %s/%s (%s), unpacked %llu files "
                        "into %s/\n", a->name,
                        fetched ? "installed" : "already installed", dir,
                        a->filename, a->license, (unsigned long long)files,
                        tree);
            return 0;
        }
    }
    if (say)
        fprintf(stderr, "%s: %s %s/%s (%s)\n", a->name,
                fetched ? "installed" : "already installed", dir,
                a->filename, a->license);
    return 0;
}

int
mg_cmd_download_assets(int argc, char **argv)
{
    bool sf2 = false, midi = false, all = false, list = false;
    const char *names[64];
    int nnames = 0, failed = 0, done = 0;
    char reg[1200], sfdir[1200], mididir[1200], err[2048];
    mg_assets *as;
    mg_fetch_opts fo;

    fetch_opts_from_env(&fo);
    default_registry(reg, sizeof reg);
    snprintf(sfdir, sizeof sfdir, "%.1100s/sf", mg_data_dir());
    snprintf(mididir, sizeof mididir, "midi_assets");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--sf2")) {
            sf2 = true;
        } else if (!strcmp(a, "--midi")) {
            midi = true;
        } else if (!strcmp(a, "--all")) {
            all = true;
        } else if (!strcmp(a, "--list")) {
            list = true;
        } else if (!strcmp(a, "--force")) {
            fo.force = true;
        } else if (i + 1 < argc && !strcmp(a, "--name")) {
            if (nnames < 64)
                names[nnames++] = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--registry")) {
            snprintf(reg, sizeof reg, "%s", argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--sf-dir")) {
            snprintf(sfdir, sizeof sfdir, "%s", argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--midi-dir")) {
            snprintf(mididir, sizeof mididir, "%s", argv[++i]);
        } else {
            static const char *const valued[] = {"--name", "--registry",
                                                 "--sf-dir", "--midi-dir",
                                                 NULL};
            if (mg_dsargs_no_value("download-assets", a, i + 1 == argc,
                                   valued))
                return 2;
            fprintf(stderr, "musicgen download-assets: unknown option '%s' "
                    "(try --help)\n", a);
            return 2;
        }
    }
    as = malloc(sizeof *as);
    if (!as)
        return 1;
    if (mg_assets_load(reg, as, err, sizeof err) < 0) {
        fprintf(stderr, "musicgen download-assets: %s\n", err);
        free(as);
        return 1;
    }
    for (int k = 0; k < nnames; k++) {
        bool found = false;
        for (int i = 0; i < as->n; i++)
            found |= !strcmp(as->a[i].name, names[k]);
        if (!found) {
            fprintf(stderr, "musicgen download-assets: no entry named '%s' "
                    "in %s (--list shows them)\n", names[k], reg);
            free(as);
            return 2;
        }
    }
    if (list || (!sf2 && !midi && !all && !nnames)) {
        printf("%-5s %-22s %9s  %-8s %-28s %-16s %-11s %s\n", "KIND", "NAME",
               "SIZE_MB", "DEFAULT", "LAYERS", "LICENSE", "CLASS",
               "LICENSE_URL");
        for (int i = 0; i < as->n; i++) {
            const mg_asset *a = &as->a[i];
            char ls[64];
            layers_str(a->layers, ls, sizeof ls);
            printf("%-5s %-22s %9.1f  %-8s %-28s %-16s %-11s %s%s\n",
                   a->kind == MG_ASSET_SF2 ? "sf2" : "midi", a->name,
                   a->size_hint_mb, a->is_default ? "yes" : "no", ls,
                   a->license, a->license_class,
                   a->license_url[0] ? a->license_url : "-",
                   a->unverified ? "  (no sha256: not fetched)" : "");
        }
        free(as);
        return 0;
    }
    for (int i = 0; i < as->n; i++) {
        const mg_asset *a = &as->a[i];
        bool want = all;
        for (int k = 0; k < nnames; k++)
            want |= !strcmp(a->name, names[k]);
        want |= a->is_default && ((sf2 && a->kind == MG_ASSET_SF2) ||
                                  (midi && a->kind == MG_ASSET_MIDI));
        if (!want)
            continue;
        if (install_one(a, reg, sfdir, mididir, &fo, true, NULL, 0) < 0)
            failed++;
        else
            done++;
    }
    free(as);
    if (!done && !failed)
        fprintf(stderr, "musicgen download-assets: %s has no entry of "
                "that selection (--list shows them)\n", reg);
    return failed ? 1 : 0;
}

int
mg_fonts_auto_download(const char *who, const mg_config *c)
{
    const char *v = getenv("MUSICGEN_AUTO_DOWNLOAD_SF2");
    char err[2048], reg[1200], why[2048] = "";
    mg_fetch_opts fo;
    mg_assets *as;
    mg_pools *p;
    int installed = 0, want = 0, failed = 0;

    if (!v || (strcmp(v, "1") && strcasecmp(v, "true") &&
               strcasecmp(v, "yes")))
        return 0;
    /* the engine says what is wrong with a registry it cannot read */
    if (!(p = mg_pools_registry(c->sf_dir, err, sizeof err)))
        return 0;
    for (int i = 0; i < mg_pools_count(p); i++)
        installed += access(mg_pools_font(p, i)->file, R_OK) == 0;
    mg_pools_destroy(&p);
    if (installed)
        return 0;
    default_registry(reg, sizeof reg);
    fetch_opts_from_env(&fo);
    if (!(as = malloc(sizeof *as)))
        return 1;
    if (mg_assets_load(reg, as, err, sizeof err) < 0) {
        fprintf(stderr, "%s: no soundfont is installed in %s, and "
                "MUSICGEN_AUTO_DOWNLOAD_SF2 cannot read the registry: %s\n",
                who, c->sf_dir, err);
        free(as);
        return 1;
    }
    if (c->verbose >= 0)
        fprintf(stderr, "%s: no soundfont is installed in %s: downloading "
                "the default soundfonts of %s (MUSICGEN_AUTO_DOWNLOAD_SF2)"
                "\n", who, c->sf_dir, reg);
    for (int i = 0; i < as->n; i++) {
        const mg_asset *a = &as->a[i];
        if (a->kind != MG_ASSET_SF2 || !a->is_default)
            continue;
        want++;
        /* the first failure's reason is the one said */
        if (install_one(a, reg, c->sf_dir, "midi_assets", &fo,
                        c->verbose >= 0, failed ? err : why, sizeof why) < 0)
            failed++;
    }
    free(as);
    if (!want) {
        fprintf(stderr, "%s: no soundfont is installed in %s and %s has no "
                "default [[sf2]] entry to download: run scripts/setup.sh "
                "(Debian fonts), or `musicgen download-assets --sf2` with a "
                "registry that has one\n", who, c->sf_dir, reg);
        return 1;
    }
    if (failed) {
        fprintf(stderr, "%s: no soundfont is installed in %s and the "
                "automatic download failed (%s): run `musicgen "
                "download-assets --sf2` when online\n", who, c->sf_dir,
                why);
        return 1;
    }
    return 0;
}
