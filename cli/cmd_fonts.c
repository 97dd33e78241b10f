/*
 * cmd_fonts — `musicgen fonts [--sf-dir DIR] [--fonts SEL]`: the soundfont
 * registry, one line per font: whether the selection (default: the
 * default one) puts it in the pools, installed or not, licence and class,
 * whether it is opt-in (--accept-license), size, layers, Debian package.
 * And the licence notice every run prints at start when its pools hold
 * opt-in fonts (mg_license_notice).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "pools.h"

void
mg_license_notice(const char *who, const mg_config *c)
{
    char err[1024], note[1200];
    mg_pools *p;

    if (c->verbose < 0)
        return;
    p = mg_pools_load(c->sf_dir, c->fonts, c->accept_license, err,
                      sizeof err);
    if (p && mg_pools_notice(p, note, sizeof note))
        fprintf(stderr, "%s: %s\n", who, note);
    mg_pools_destroy(&p);
}

int
mg_cmd_fonts(int argc, char **argv)
{
    mg_config cfg;
    char err[1024], **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, rc = 0;
    mg_pools *p;

    if (!rest)
        return 1;
    if (mg_config_from_args(&cfg, argc, argv, NULL, rest, &nrest, err,
                            sizeof err)) {
        fprintf(stderr, "musicgen fonts: %s\n", err);
        free(rest);
        return 2;
    }
    for (int i = 0; i < nrest; i++) {
        if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
            printf("usage: musicgen fonts [--sf-dir DIR] [--fonts SEL]\n"
                   "  Lists the soundfont registry (DIR/registry.json and "
                   "fonts in DIR/<layer>/):\n  POOL '*' = in the pools of "
                   "the selection SEL (default: default),\n  OPT-IN = "
                   "needs --accept-license. See docs/soundfonts.md.\n");
            free(rest);
            return 0;
        }
        fprintf(stderr, "musicgen fonts: unexpected argument '%s'\n",
                rest[i]);
        free(rest);
        return 2;
    }
    free(rest);
    /* a --sf-dir typo listed nothing, and a --fonts one marked no font,
     * both exit 0: generate refuses either */
    struct stat st;
    int bad = stat(cfg.sf_dir, &st);
    if (bad || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "musicgen fonts: %s: %s\n", cfg.sf_dir,
                bad ? strerror(errno) : "not a directory");
        return 1;
    }
    p = mg_pools_registry(cfg.sf_dir, err, sizeof err);
    if (!p || mg_pools_check_selection(p, cfg.fonts, err, sizeof err)) {
        fprintf(stderr, "musicgen fonts: %s\n", err);
        mg_pools_destroy(&p);
        return 1;
    }
    printf("%-4s %-26s %-9s %-14s %-11s %-6s %8s  %-28s %s\n", "POOL",
           "NAME", "INSTALLED", "LICENSE", "CLASS", "OPT-IN", "SIZE_MB",
           "LAYERS", "DEBIAN PACKAGE");
    for (int i = 0; i < mg_pools_count(p); i++) {
        const mg_font_info *f = mg_pools_font(p, i);
        char layers[64] = "";
        for (int l = 0; l < MG_NLAYERS; l++)
            if (f->layers & (1u << l)) {
                size_t k = strlen(layers);
                snprintf(layers + k, sizeof layers - k, "%s%s",
                         k ? "," : "", mg_layer_name(l));
            }
        printf("%-4s %-26s %-9s %-14s %-11s %-6s %8.1f  %-28s %s\n",
               mg_pools_selects(cfg.sf_dir, cfg.fonts, f) ? "*" : "",
               f->name, access(f->file, R_OK) == 0 ? "yes" : "no",
               f->license, f->license_class, f->opt_in ? "yes" : "no",
               f->size_mb, layers,
               f->debian_package[0] ? f->debian_package : "-");
    }
    mg_pools_destroy(&p);
    return rc;
}
