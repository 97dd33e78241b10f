/*
 * assets — the asset registry in the Python tool's assets.toml format:
 * [[sf2]] and [[midi]] tables with name, description, url, sha256,
 * filename, size_hint_mb, license, license_url, layers and default (and
 * our license_class and attribution). Read by our own parser of the TOML
 * subset that format uses: comments, [[table]] headers, `key = value` with
 * basic strings, integers, floats, booleans and one-line arrays of
 * strings. Anything else is an error naming the file and the line.
 *
 * Invariants: a parsed entry has a name, url, a sha256 (64 hex digits,
 * or "" written out: unverified, which download-assets refuses to fetch),
 * a plain filename (no '/' and no leading '.') and known layers; names
 * are unique within the file.
 */
#ifndef MG_ASSETS_H
#define MG_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

#define MG_ASSETS_MAX 256

typedef enum { MG_ASSET_SF2, MG_ASSET_MIDI } mg_asset_kind;

typedef struct {
    mg_asset_kind kind;
    int line;               /* of its [[...]] header */
    char name[64];
    char description[256];
    char url[1024];
    char sha256[65];        /* "" when unverified (sha256 = "") */
    char filename[256];
    double size_hint_mb;
    char license[64];
    char license_class[16]; /* permissive (default for known permissive
                             * licences), attribution, copyleft, unknown */
    char license_url[512];
    char attribution[1024];
    unsigned layers;        /* bit per mg_layer */
    bool is_default;
    bool unverified;        /* sha256 = "": no checksum known */
} mg_asset;

typedef struct {
    int n;
    mg_asset a[MG_ASSETS_MAX];
} mg_assets;

/* Parse text (len bytes, need not be NUL-terminated); `what` names it in
 * errors ("assets.toml:12: ..."). Returns 0 or -1 with err. */
int mg_assets_parse(const char *text, size_t len, const char *what,
                    mg_assets *out, char *err, size_t errlen);
int mg_assets_load(const char *path, mg_assets *out, char *err,
                   size_t errlen);

#endif
