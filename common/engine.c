/*
 * engine — one sample from (global_seed, index, run config) to a finished
 * directory on disk. See engine.h for the contract.
 *
 * Atomicity: everything is written into "<shard>/.tmp-<id>-<host>-<pid>"
 * beside the final directory, sample.json last, then the directory is
 * renamed into place. A crash leaves at most a .tmp-* directory, which is
 * never mistaken for a sample (its name is not an index), which the next
 * `generate` removes once its writer is provably gone (sampledir.h) and
 * which `musicgen clean --failed` removes. Two workers racing on one index both render the
 * same bytes; the loser's rename fails, it sees sample.json and drops its
 * copy.
 *
 * In memory (mg_engine_make) the same steps run with no directory: the
 * MIDI files are encoded into buffers (always: on disk they are written
 * from those buffers and hashed from them), the audio engine makes its
 * WAVs in memory, and sample.json is the text that would have been
 * written, so the bytes equal a directory's files.
 */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "errmsg.h"
#include "annotate.h"
#include "audio.h"
#include "gen.h"
#include "hex.h"
#include "jsonout.h"
#include "midi.h"
#include "quality.h"
#include "sampledir.h"

struct mg_engine {
    mg_config cfg;
    mg_genre *genre;
    mg_audio *audio;
    mg_fingerprint fp;
    mg_song song;
    char genre_key[MG_MAX_GENRES * 65 + 8]; /* sorted names, "+"-joined */
    uint64_t genre_salt;                    /* conditions every stream */
    char host[80];                          /* in temporary names */
    bool wav_sums;      /* the WAVs' checksums in sample.json (not so
                         * under a float32 sink without hash) */
};

int
mg_fingerprint_compute(const mg_config *c, mg_fingerprint *fp, char *err,
                       size_t errlen)
{
    memset(fp, 0, sizeof *fp);
    snprintf(fp->engine_version, sizeof fp->engine_version, "%s",
             MG_ENGINE_VERSION);
    if (mg_genre_dir_hash(c->genres_dir, fp->genres_hash, err, errlen))
        return -1;
    /* every mode: the pools decide the fonts and presets sample.json
     * records, midi-only included */
    if (mg_audio_pools_hash(c, fp->soundfonts_hash, err, errlen))
        return -1;
    snprintf(fp->synth_version, sizeof fp->synth_version, "%s",
             mg_audio_synth_version());
    return 0;
}

int
mg_version_refusal(char *err, size_t errlen, const char *what,
                   const char *made_by, const char *other)
{
    return mg_errf(err, errlen, "%s made by musicgen %s, and this is "
                   "musicgen %s: finish the run with musicgen %s, or make it "
                   "again with %s", what, made_by, MG_ENGINE_VERSION,
                   made_by, other);
}

int
mg_fingerprint_compare(const mg_fingerprint *a, const mg_fingerprint *b,
                       char *why, size_t n)
{
    char buf[512] = "";
    size_t k = 0;
#define CMP(f)                                                               \
    if (strcmp(a->f, b->f))                                                  \
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s %s vs %s",     \
                              k ? "; " : "", #f, a->f[0] ? a->f : "(none)",  \
                              b->f[0] ? b->f : "(none)");
    CMP(engine_version)
    CMP(genres_hash)
    CMP(soundfonts_hash)
    CMP(synth_version)
#undef CMP
    if (!k) return 0;
    if (why && n) snprintf(why, n, "%s", buf);
    return -1;
}

mg_engine *
mg_engine_new(const mg_config *c, char *err, size_t errlen)
{
    mg_engine *e = calloc(1, sizeof *e);
    if (!e) {
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = *c;
    e->wav_sums = true;
    mg_song_init(&e->song);
    char *names[MG_MAX_GENRES];
    for (int i = 0; i < c->ngenres; i++)
        names[i] = e->cfg.genres[i];
    e->genre = mg_genre_resolve(c->genres_dir, names, c->ngenres, err, errlen);
    if (!e->genre) goto bad;
    if (mg_genre_key(e->genre_key, sizeof e->genre_key,
                     (const char *const *)names, c->ngenres)) {
        mg_errf(err, errlen, "genre names too long");
        goto bad;
    }
    e->genre_salt = mg_genre_salt(e->genre_key);
    mg_tmp_host(e->host, sizeof e->host);
    if (mg_fingerprint_compute(c, &e->fp, err, errlen)) goto bad;
    /* An engine for in-memory samples only has no output root. */
    if (c->out_dir[0] && mg_dir_make(c->out_dir)) {
        mg_errf(err, errlen, "output directory %s: %s", c->out_dir,
             strerror(errno));
        goto bad;
    }
    if (c->out_dir[0] && access(c->out_dir, W_OK | X_OK)) {
        mg_errf(err, errlen, "output directory %s is not writable: %s",
             c->out_dir, strerror(errno));
        goto bad;
    }
    e->audio = mg_audio_new(&e->cfg, e->genre,
                            mg_output_has_audio(c->output_mode), err, errlen);
    if (!e->audio) goto bad;
    return e;
bad:
    mg_engine_destroy(&e);
    return NULL;
}

void
mg_engine_destroy(mg_engine **ep)
{
    mg_engine *e = *ep;
    if (!e) return;
    mg_audio_destroy(&e->audio);
    mg_genre_destroy(&e->genre);
    mg_song_free(&e->song);
    free(e);
    *ep = NULL;
}

const mg_fingerprint *
mg_engine_fingerprint(const mg_engine *e)
{
    return &e->fp;
}

static json_t *
build_annotation(const mg_engine *e, const mg_song *s, const mg_row *row)
{
    const mg_config *c = &e->cfg;
    json_t *j = json_object();
    json_object_set_new(j, "seed", mg_json_u64(s->sample_seed));
    json_object_set_new(j, "attempt_seed", mg_json_u64(s->attempt_seed));
    json_object_set_new(j, "attempt", json_integer(s->attempt));
    json_object_set_new(j, "global_seed", json_integer(s->global_seed));
    json_object_set_new(j, "sample_index", mg_json_u64(s->index));
    json_object_set_new(j, "musicgen_version", json_string(MG_ENGINE_VERSION));
    json_object_set_new(j, "fluidsynth_version",
                        json_string(e->fp.synth_version));
    json_object_set_new(j, "genres_hash", json_string(e->fp.genres_hash));
    json_t *g = json_array();
    for (int i = 0; i < c->ngenres; i++)
        json_array_append_new(g, json_string(c->genres[i]));
    json_object_set_new(j, "genres", g);
    json_object_set_new(j, "genre", json_string(e->genre->name));
    json_object_set_new(j, "genre_key", json_string(e->genre_key));
    json_object_set_new(j, "output_mode",
                        json_string(mg_output_mode_name(c->output_mode)));
    json_object_set_new(j, "split", json_string(mg_split_name(row->split)));

    mg_annotate_song(s, j);

    char buf[64];
    json_t *midi = json_object(), *stems = json_object();
    for (int l = 0; l < MG_NLAYERS; l++) {
        const char *ln = mg_layer_name((mg_layer)l);
        snprintf(buf, sizeof buf, "midi/%s.mid", ln);
        json_object_set_new(midi, ln, json_string(buf));
        snprintf(buf, sizeof buf, "stems/%s.wav", ln);
        if (c->output_mode == MG_OUT_FULL ||
            c->output_mode == MG_OUT_STEMS_ONLY)
            json_object_set_new(stems, ln, json_string(buf));
    }
    json_object_set_new(j, "midi", midi);
    json_object_set_new(j, "stems", stems);
    if (c->output_mode == MG_OUT_FULL || c->output_mode == MG_OUT_MIX_ONLY)
        json_object_set_new(j, "mix", json_string("mix.wav"));
    else
        json_object_set_new(j, "mix", json_null());
    return j;
}

/* ---- files ------------------------------------------------------------ */

static int
sha256_file(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    int rc = ferror(f) ? -1 : 0;
    fclose(f);
    unsigned char d[SHA256_DIGEST_LENGTH];
    EVP_DigestFinal_ex(ctx, d, NULL);
    EVP_MD_CTX_free(ctx);
    mg_hex_sha256(d, hex);
    return rc;
}

/* The SHA-256 of one listed file into sums: the one the audio engine
 * computed while writing it (j's "checksums" so far), else read back. */
static int
add_checksum(json_t *sums, const json_t *known, const char *dir,
             const char *rel)
{
    const char *h = json_string_value(json_object_get(known, rel));
    char p[1400], hex[65];

    if (h && strlen(h) == 64) {
        json_object_set_new(sums, rel, json_string(h));
        return 0;
    }
    if (!dir)
        return -1;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    if (sha256_file(p, hex))
        return -1;
    json_object_set_new(sums, rel, json_string(hex));
    return 0;
}

/* Checksums of every file the sample lists, keyed by relative path, in
 * the order midi, stems, mix; all were hashed from the bytes as they were
 * made (WAVs by mg_audio_render, MIDIs by add_midi_sums), so the files are
 * read back only if one is missing (never in memory: dir NULL). Without
 * wavs, the MIDIs' only (no WAV was encoded: mg_engine_make_f32). */
static int
add_checksums(json_t *j, const char *dir, bool wavs)
{
    json_t *sums = json_object();
    json_t *known = json_incref(json_object_get(j, "checksums"));
    const char *groups[] = {"midi", "stems"};
    int rc = -1;

    json_object_del(j, "checksums");
    for (int g = 0; g < (wavs ? 2 : 1); g++) {
        json_t *obj = json_object_get(j, groups[g]);
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v) {
            if (add_checksum(sums, known, dir, json_string_value(v)))
                goto out;
        }
    }
    json_t *mix = json_object_get(j, "mix");
    if (wavs && json_is_string(mix) &&
        add_checksum(sums, known, dir, json_string_value(mix)))
        goto out;
    json_object_set_new(j, "checksums", sums);
    sums = NULL;
    rc = 0;
out:
    json_decref(sums);
    json_decref(known);
    return rc;
}

static void
sha256_hex(const unsigned char *p, size_t n, char hex[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];

    SHA256(p, n, d);
    mg_hex_sha256(d, hex);
}

/* The MIDIs' SHA-256 into annot's "checksums" (made if absent). */
static void
add_midi_sums(json_t *annot, const mg_buf midi[MG_NLAYERS])
{
    json_t *cs = json_object_get(annot, "checksums");
    char rel[64], hex[65];

    if (!cs) {
        cs = json_object();
        json_object_set_new(annot, "checksums", cs);
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        snprintf(rel, sizeof rel, "midi/%s.mid", mg_layer_name((mg_layer)l));
        sha256_hex(midi[l].data, midi[l].len, hex);
        json_object_set_new(cs, rel, json_string(hex));
    }
}

static void
fill_row_common(const mg_engine *e, int64_t global_seed, uint64_t index,
                mg_row *row)
{
    memset(row, 0, sizeof *row);
    row->index = index;
    row->seed = mg_sample_seed(global_seed, index);
    row->split = mg_split_of(row->seed, e->cfg.split);
    mg_sample_relpath(row->path, sizeof row->path, index, e->cfg.shard_width);
    row->attempt = 1;
}

int
mg_sample_of_run(const json_t *j, const mg_config *c, const mg_fingerprint *fp,
                 uint64_t seed, char *why, size_t n)
{
    bool audio = mg_output_has_audio(c->output_mode);
    /* the genres asked for, in their order: a merge takes the first
     * one's form and style, so -g latin -g jazz is another run than
     * -g jazz -g latin (the same genre_key) */
    json_t *gl = json_object_get(j, "genres");
    bool same = json_is_array(gl) && json_array_size(gl) == (size_t)c->ngenres;
    for (int i = 0; same && i < c->ngenres; i++) {
        const char *g = json_string_value(json_array_get(gl, (size_t)i));
        same = g && !strcmp(g, c->genres[i]);
    }
    if (!same) {
        char want[200] = "", *have = json_dumps(gl, JSON_COMPACT);
        for (int i = 0, k = 0; i < c->ngenres && k < (int)sizeof want; i++)
            k += snprintf(want + k, sizeof want - (size_t)k, "%s\"%s\"",
                          i ? "," : "", c->genres[i]);
        snprintf(why, n, "its genres are %.80s, this run's [%.80s]",
                 have ? have : "(none)", want);
        free(have);
        return -1;
    }
    const struct {
        const char *key, *want;
    } f[] = {
        {"output_mode", mg_output_mode_name(c->output_mode)},
        {"split", mg_split_name(mg_split_of(seed, c->split))},
        {"genres_hash", fp->genres_hash},
        {"musicgen_version", fp->engine_version},
        {"audio_format", audio ? mg_sample_format_name(c->sample_format)
                               : NULL},
    };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        const char *have = json_string_value(json_object_get(j, f[i].key));
        if (f[i].want && (!have || strcmp(have, f[i].want))) {
            snprintf(why, n, "its %s is '%.70s', this run's '%.70s'",
                     f[i].key, have ? have : "(none)", f[i].want);
            return -1;
        }
    }
    /* --measures-per-part: every part of an overridden kind has that
     * many bars (a run without the override draws them: not checked) */
    json_t *parts = json_object_get(j, "song_arrangement"), *pt;
    size_t i;
    json_array_foreach(parts, i, pt) {
        const char *name = json_string_value(json_object_get(pt, "part"));
        int k = name ? mg_part_from_name(name) : -1;
        json_t *m = json_object_get(pt, "measures");
        if (k >= 0 && c->measures_override[k] > 0 &&
            json_number_value(m) != c->measures_override[k]) {
            snprintf(why, n, "its %s has %g bars, this run's "
                     "--measures-per-part %s=%d", name, json_number_value(m),
                     name, c->measures_override[k]);
            return -1;
        }
    }
    json_t *r = json_object_get(j, "sample_rate");
    if (audio && !(json_is_number(r) &&
                   json_number_value(r) == (double)c->sample_rate)) {
        snprintf(why, n, "its sample_rate is %g, this run's %d",
                 json_is_number(r) ? json_number_value(r) : 0.0,
                 c->sample_rate);
        return -1;
    }
    return 0;
}

/* Rebuild the row of a sample already complete on disk: 0; -1 when it
 * cannot be read (made again); -3 with why its version when another
 * musicgen made it; -2 with why when it is a sample of another
 * run: its seed is not row->seed, this run's for the index, or it was
 * made with another genre, output mode, split, genre data or engine
 * version (skipped, it would put a row of this run in the manifest over
 * a sample of another: a midi-only sample counted done in a mix-only run
 * whose ledger was gone). */
static int
row_from_existing(const mg_engine *e, int64_t global_seed,
                  const char *json_path, mg_row *row, char *why, size_t n)
{
    json_error_t je;
    /* Seeds may exceed 2^63: compared as doubles (two seeds alike to 53
     * bits: a chance of 2^-53) */
    json_t *j = json_load_file(json_path, JSON_DECODE_INT_AS_REAL, &je);
    if (!j) return -1;
    json_t *sd = json_object_get(j, "seed");
    if (json_is_number(sd) && json_number_value(sd) != (double)row->seed) {
        snprintf(why, n, "its seed is not index %" PRIu64 "'s under global "
                 "seed %" PRId64, row->index, global_seed);
        json_decref(j);
        return -2;
    }
    /* another musicgen's: -3, why its version (no option remedies it) */
    const char *v = json_string_value(json_object_get(j, "musicgen_version"));
    if (v && strcmp(v, e->fp.engine_version)) {
        snprintf(why, n, "%.40s", v);
        json_decref(j);
        return -3;
    }
    if (mg_sample_of_run(j, &e->cfg, &e->fp, row->seed, why, n)) {
        json_decref(j);
        return -2;
    }
    row->skipped = true;
    row->status = MG_ROW_OK;
    row->score = json_number_value(json_object_get(j, "musicality_score"));
    row->duration = json_number_value(json_object_get(j, "duration_seconds"));
    row->attempt = (int)json_number_value(json_object_get(j, "attempt"));
    if (row->attempt < 1) row->attempt = 1;
    json_decref(j);
    return 0;
}

/* -1: dir holds a sample of another run (had: row_from_existing's -2,
 * why what differs; -3, why the musicgen version that made it). */
static int
other_run(const char *dir, int had, const char *why, char *err,
          size_t errlen)
{
    if (had == -3) {
        char what[1300];
        snprintf(what, sizeof what, "%s holds a sample", dir);
        return mg_version_refusal(err, errlen, what, why,
                                  "another output directory");
    }
    return mg_errf(err, errlen, "%s holds a sample of another run (%s): "
                   "give that run's seed and options, or another output "
                   "directory", dir, why);
}

static int
write_file(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    int en;

    if (!f) return -1;
    if (fwrite(p, 1, n, f) != n) {
        en = errno ? errno : EIO;
        fclose(f);
        errno = en;
        return -1;
    }
    return fclose(f) ? -1 : 0;
}

static int
write_midis(const mg_buf midi[MG_NLAYERS], const char *dir)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/midi", dir);
    if (mkdir(p, 0777) && errno != EEXIST) return -1;
    for (int l = 0; l < MG_NLAYERS; l++) {
        snprintf(p, sizeof p, "%s/midi/%s.mid", dir, mg_layer_name((mg_layer)l));
        if (write_file(p, midi[l].data, midi[l].len)) return -1;
    }
    return 0;
}

static int
encode_midis(const mg_song *s, mg_buf midi[MG_NLAYERS])
{
    for (int l = 0; l < MG_NLAYERS; l++) {
        midi[l].len = 0;
        if (mg_midi_encode(s, (mg_layer)l, &midi[l])) return -1;
    }
    return 0;
}

void
mg_sample_mem_free(mg_sample_mem *m)
{
    if (!m) return;
    for (int l = 0; l < MG_NLAYERS; l++)
        mg_buf_free(&m->midi[l]);
    for (int l = 0; l <= MG_NLAYERS; l++)
        free(m->wav[l]);
    free(m->json);
    memset(m, 0, sizeof *m);
}

/* Is this errno a fault of the output (every later sample would hit it)? */
static bool
output_fault(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EROFS || err == EACCES ||
           err == EIO || err == EPERM || err == EFBIG;
}

/* The attempts of one sample: generate, check, encode the MIDIs into
 * midi[], and render. With tmp, the sample's files are written into that
 * (fresh) directory; without, the audio is made in memory (e->audio
 * keeps it for mg_audio_take_wav). On success *annot is the complete
 * annotation (checksums included, sample.json not yet written) and row
 * is OK; a sample that cannot be made returns 0 with row FAILED; -1 is an
 * output fault (err set). */
static int
produce(mg_engine *e, int64_t global_seed, const char *tmp, mg_row *row,
        mg_buf midi[MG_NLAYERS], json_t **annotp, char *err, size_t errlen)
{
    const mg_config *c = &e->cfg;
    mg_song *s = &e->song;
    mg_gen_opts opts = {.measures_override = c->measures_override};
    mg_quality q;
    json_t *annot = NULL;
    double score = 0;
    int attempt;
    char why[200] = "";

    *annotp = NULL;
    for (attempt = 1; attempt <= c->max_attempts; attempt++) {
        json_decref(annot);
        annot = NULL;
        mg_song_reset_tracks(s);
        s->global_seed = global_seed;
        s->index = row->index;
        s->sample_seed = row->seed;
        s->attempt = attempt;
        s->attempt_seed = mg_attempt_seed(row->seed, attempt);
        mg_rng rng[MG_NSTREAMS];
        mg_streams_init(rng, s->attempt_seed, e->genre_salt);
        if (mg_gen_song(s, e->genre, &opts, &rng[MG_STREAM_PARAMS],
                        &rng[MG_STREAM_GENERATORS])) {
            snprintf(why, sizeof why, "generator failed");
            continue;
        }
        mg_quality_check(s, &q);
        if (!q.passed) {
            snprintf(why, sizeof why, "symbolic check failed: %s", q.fail[0]);
            continue;
        }
        /* Below the gate on the symbolic score alone: no audio can lift
         * it above, since the final score averages both. */
        if (c->min_score > 0 && !mg_output_has_audio(c->output_mode) &&
            q.score < c->min_score) {
            snprintf(why, sizeof why, "musicality %.6g below %.6g", q.score,
                     c->min_score);
            continue;
        }
        if (encode_midis(s, midi))
            return mg_errf(err, errlen, "MIDI encoding: out of memory");
        if (tmp) {
            mg_dir_remove(tmp);
            if (mkdir(tmp, 0777) || write_midis(midi, tmp)) {
                int en = errno;
                mg_dir_remove(tmp);
                return mg_errf(err, errlen, "cannot write %s: %s", tmp,
                               strerror(en));
            }
        }
        annot = build_annotation(e, s, row);
        double ascore = -1;
        char aerr[180] = "";
        int arc = mg_audio_render(e->audio, s, &rng[MG_STREAM_SOUNDFONTS],
                                  &rng[MG_STREAM_FX], &rng[MG_STREAM_MIX],
                                  tmp, annot, &ascore, aerr, sizeof aerr);
        if (arc < 0) {
            /* errno only where the render says it failed in a call that
             * set it (-2): after a failure of the sample's own (-1) it is
             * whatever an earlier, harmless call left */
            int en = arc == -2 ? errno : 0;
            if (tmp) mg_dir_remove(tmp);
            json_decref(annot);
            /* the one place that says where the message came from (the
             * audio module's messages do not: a row read "audio: audio:
             * out of memory") */
            if (output_fault(en) || (!tmp && en == ENOMEM))
                return mg_errf(err, errlen, "audio: %s", aerr);
            annot = NULL;
            snprintf(why, sizeof why, "audio: %s", aerr);
            continue;
        }
        score = ascore >= 0 ? 0.5 * q.score + 0.5 * ascore : q.score;
        if (c->min_score > 0 && score < c->min_score) {
            snprintf(why, sizeof why, "musicality %.6g below %.6g", score,
                     c->min_score);
            if (tmp) mg_dir_remove(tmp);
            continue;
        }
        break;
    }
    if (attempt > c->max_attempts) {
        json_decref(annot);
        if (tmp) mg_dir_remove(tmp);
        row->status = MG_ROW_FAILED;
        row->attempt = c->max_attempts;
        snprintf(row->error, sizeof row->error, "%s (after %d attempt%s)", why,
                 c->max_attempts, c->max_attempts > 1 ? "s" : "");
        return 0;
    }
    json_t *mus = json_object();
    json_object_set_new(mus, "symbolic", mg_quality_json(&q));
    json_object_set_new(mus, "combination",
                        json_string(mg_output_has_audio(c->output_mode)
                                        ? "0.5*symbolic+0.5*audio"
                                        : "symbolic"));
    json_object_set_new(annot, "musicality", mus);
    json_object_set_new(annot, "musicality_score", mg_json_real(score, 4));
    add_midi_sums(annot, midi);
    if (add_checksums(annot, tmp, e->wav_sums)) {
        int en = errno;
        json_decref(annot);
        if (tmp) mg_dir_remove(tmp);
        return mg_errf(err, errlen, "cannot hash the files of %s: %s",
                       tmp ? tmp : "a sample in memory", strerror(en));
    }
    row->status = MG_ROW_OK;
    row->attempt = s->attempt;
    row->score = round(score * 1e4) / 1e4;
    row->duration = round(mg_song_duration(s) * 1e6) / 1e6;
    *annotp = annot;
    return 0;
}

int
mg_engine_run(mg_engine *e, uint64_t index, mg_row *row, char *err,
              size_t errlen)
{
    return mg_engine_run_at(e, e->cfg.out_dir, e->cfg.global_seed, index,
                            row, err, errlen);
}

int
mg_engine_run_at(mg_engine *e, const char *root, int64_t global_seed,
                 uint64_t index, mg_row *row, char *err, size_t errlen)
{
    char final[1200], tmp[1300], sj[1400];
    fill_row_common(e, global_seed, index, row);
    if (!root || !*root)
        return mg_errf(err, errlen, "no output directory (out) configured");
    snprintf(final, sizeof final, "%s/%s", root, row->path);
    snprintf(sj, sizeof sj, "%s/sample.json", final);
    char why[200];
    if (access(sj, F_OK) == 0) {
        int had = row_from_existing(e, global_seed, sj, row, why, sizeof why);
        if (had == 0) return 0;
        if (had <= -2)
            return other_run(final, had, why, err, errlen);
    }

    /* Parent (shard) directory, then our private temporary directory. */
    char parent[1200];
    snprintf(parent, sizeof parent, "%s", final);
    *strrchr(parent, '/') = 0;
    if (mg_dir_make(parent))
        return mg_errf(err, errlen, "cannot create %s: %s", parent,
                    strerror(errno));
    const char *id = strrchr(final, '/') + 1;
    /* host and pid: a later run can tell whether this writer is gone
     * (threads of one process, an engine each, never share an index) */
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%.40s-%ld", parent, id, e->host,
             (long)getpid());
    mg_dir_remove(tmp);

    mg_buf midi[MG_NLAYERS] = {{0}};
    json_t *annot = NULL;
    int rc = produce(e, global_seed, tmp, row, midi, &annot, err, errlen);
    for (int l = 0; l < MG_NLAYERS; l++)
        mg_buf_free(&midi[l]);
    if (rc < 0 || row->status != MG_ROW_OK)
        return rc;
    snprintf(sj, sizeof sj, "%s/sample.json", tmp);
    if (mg_json_write_file(annot, sj)) {
        int en = errno;
        json_decref(annot);
        mg_dir_remove(tmp);
        return mg_errf(err, errlen, "cannot write %s: %s", sj, strerror(en));
    }
    json_decref(annot);

    if (rename(tmp, final)) {
        int en = errno;
        snprintf(sj, sizeof sj, "%s/sample.json", final);
        int had = -1;
        if ((en == ENOTEMPTY || en == EEXIST) && access(sj, R_OK) == 0 &&
            (had = row_from_existing(e, global_seed, sj, row, why,
                                     sizeof why)) != -1) {
            /* Another writer finished the same index first: its sample
             * is the one on disk, as if it had been there when we looked
             * (skipped: three generate() calls at once appended three
             * rows; or of another run, refused as above). */
            mg_dir_remove(tmp);
            if (had <= -2)
                return other_run(final, had, why, err, errlen);
            return 0;
        }
        if (en == ENOTEMPTY || en == EEXIST) {
            /* A directory without sample.json is not a sample, nor one
             * whose sample.json does not parse (damaged since: a writer
             * renames it into place whole, so no writer's is ever seen
             * half-made): replace. It stayed, and the run counted the
             * fresh sample's row over it. */
            mg_dir_remove(final);
            if (rename(tmp, final) == 0) return 0;
            en = errno;
        }
        mg_dir_remove(tmp);
        return mg_errf(err, errlen, "cannot rename into %s: %s", final,
                    strerror(en));
    }
    return 0;
}

int
mg_engine_make(mg_engine *e, int64_t global_seed, uint64_t index,
               mg_sample_mem *m, char *err, size_t errlen)
{
    json_t *annot = NULL;
    int rc;

    memset(m, 0, sizeof *m);
    fill_row_common(e, global_seed, index, &m->row);
    rc = produce(e, global_seed, NULL, &m->row, m->midi, &annot, err,
                 errlen);
    if (rc < 0 || m->row.status != MG_ROW_OK) {
        mg_row row = m->row;
        mg_sample_mem_free(m);
        m->row = row;
        return rc;
    }
    m->json = mg_json_dump(annot, 2);
    json_decref(annot);
    if (!m->json) {
        mg_sample_mem_free(m);
        return mg_errf(err, errlen, "sample.json: out of memory");
    }
    m->json_len = strlen(m->json);
    for (int l = 0; l <= MG_NLAYERS; l++)
        m->wav[l] = mg_audio_take_wav(e->audio, l, &m->wav_len[l],
                                      &m->wav_cap[l]);
    return 0;
}

int
mg_engine_make_f32(mg_engine *e, int64_t global_seed, uint64_t index,
                   const mg_audio_sink *sink, mg_sample_mem *m, char *err,
                   size_t errlen)
{
    int rc;

    if (e->audio)
        mg_audio_set_sink(e->audio, sink);
    e->wav_sums = sink->hash;
    rc = mg_engine_make(e, global_seed, index, m, err, errlen);
    if (e->audio)
        mg_audio_set_sink(e->audio, NULL);
    e->wav_sums = true;
    return rc;
}

void
mg_engine_recycle(mg_engine *e, mg_sample_mem *m)
{
    if (!m) return;
    for (int l = 0; e && e->audio && l <= MG_NLAYERS; l++) {
        mg_audio_give_wav(e->audio, l, m->wav[l], m->wav_cap[l]);
        m->wav[l] = NULL;
    }
    mg_sample_mem_free(m);
}

int
mg_row_jsonl(const mg_row *row, const char *wrote_at, char *buf, size_t n)
{
    json_t *j = json_object();
    json_object_set_new(j, "sample_index", mg_json_u64(row->index));
    json_object_set_new(j, "seed", mg_json_u64(row->seed));
    json_object_set_new(j, "status", json_string(row->status == MG_ROW_OK
                                                     ? "ok"
                                                     : "failed"));
    json_object_set_new(j, "split", json_string(mg_split_name(row->split)));
    json_object_set_new(j, "path", json_string(row->path));
    json_object_set_new(j, "musicality_score",
                        row->status == MG_ROW_OK ? mg_json_real(row->score, 4)
                                                 : json_null());
    json_object_set_new(j, "duration_seconds",
                        row->status == MG_ROW_OK
                            ? mg_json_real(row->duration, 6)
                            : json_null());
    json_object_set_new(j, "attempt", json_integer(row->attempt));
    json_object_set_new(j, "wrote_at", json_string(wrote_at));
    if (row->status != MG_ROW_OK)
        json_object_set_new(j, "error", json_string(row->error));
    char *text = mg_json_dump(j, 0);
    json_decref(j);
    if (!text) return -1;
    text[strcspn(text, "\n")] = 0;
    int len = (int)strlen(text);
    if ((size_t)len >= n) {
        free(text);
        return -1;
    }
    memcpy(buf, text, (size_t)len + 1);
    free(text);
    return len;
}
