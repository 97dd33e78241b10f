/*
 * export_jams — one JAMS file (JSON Annotated Music Specification,
 * jams 0.3) per sample, at <out>/<rel>.jams, mirroring the dataset's
 * layout. Annotations, each with annotation_metadata naming musicgen and
 * its version:
 *   beat_position  every denominator beat (sample.json's
 *                  denominator_beat_times: eighths in x/8): time,
 *                  position in its bar, measure (0-based bar number),
 *                  num_beats (beats counted in that bar), beat_units (its
 *                  time signature's denominator): num_beats/beat_units is
 *                  the bar's time signature
 *   beat           every beat of beat_times (the felt dotted quarters in
 *                  6/8 and 12/8), its position in the bar as the value
 *   chord          every chord of `chords`, Harte labels ("A:min7/b3";
 *                  the `chord` namespace, as chord_harte lacks sus2)
 *   key_mode       the key, "A:minor"
 *   tempo          tempo_bpm over the whole song (confidence 1)
 *   segment_open   the arrangement's parts
 *   note_midi      one per layer: every note of the layer's MIDI file
 *                  (times through its tempo map), layer in the sandbox
 * Times are copied from sample.json's text where they come from it, so a
 * JAMS beat is the very number sample.json holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "errmsg.h"
#include "export_priv.h"
#include "midiread.h"
#include "sampledir.h"

typedef struct {
    mg_xwriter w;
    mg_gbuf b;
    char meta[1024]; /* the annotation_metadata object of this sample */
} jams;

/* A double in the shortest text that reads back to the same value. */
static void
put_num(mg_gbuf *b, double v)
{
    char s[40];
    if (!isfinite(v)) v = 0;
    if (v == 0) v = 0; /* no -0 */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v) break;
    }
    mg_gbuf_puts(b, s);
}

static void
put_tok(mg_gbuf *b, const mg_jdoc *d, long tok, const char *dflt)
{
    if (tok >= 0) mg_xbuf_json(b, d, (uint32_t)tok);
    else mg_gbuf_puts(b, dflt);
}

static double
num(const mg_jdoc *d, long tok, double dflt)
{
    double v;
    if (tok < 0 || mg_jdoc_double(d, (uint32_t)tok, &v)) return dflt;
    return v;
}

static void
begin_annotation(jams *j, const char *ns, bool first)
{
    mg_gbuf *b = &j->b;
    if (!first) mg_gbuf_putc(b, ',');
    mg_gbuf_puts(b, "\n{\"namespace\":");
    mg_gbuf_jstr(b, ns);
    mg_gbuf_puts(b, ",\"annotation_metadata\":");
    mg_gbuf_puts(b, j->meta);
}

/* Is tm a usable tempo map: a non-empty list of objects, each with a
 * positive number "bpm" and a number "seconds", times rising from 0 and
 * within the song's duration? (Else the tempo annotation falls back to
 * tempo_bpm alone.) */
static bool
tempo_map_ok(const mg_jdoc *d, long tm, double dur)
{
    if (tm < 0 || d->t[tm].type != MG_JT_ARR || d->t[tm].n == 0) return false;
    uint32_t k = (uint32_t)tm + 1;
    double prev = -1;
    for (uint32_t m = 0; m < d->t[tm].n; m++) {
        if (d->t[k].type != MG_JT_OBJ) return false;
        long bpm = mg_jdoc_get(d, k, "bpm"), sec = mg_jdoc_get(d, k, "seconds");
        double v, t;
        if (bpm < 0 || sec < 0 || mg_jdoc_double(d, (uint32_t)bpm, &v) ||
            mg_jdoc_double(d, (uint32_t)sec, &t) || !(v > 0) ||
            !(t > prev) || t > dur || (m == 0 && t != 0))
            return false;
        prev = t;
        k = d->t[k].next;
    }
    return true;
}

/* Time signature denominator of the part holding time t. */
static int
beat_units(const mg_jdoc *d, long arr, double t)
{
    int units = 4;
    if (arr < 0 || d->t[arr].type != MG_JT_ARR) return units;
    uint32_t k = (uint32_t)arr + 1;
    for (uint32_t m = 0; m < d->t[arr].n; m++) {
        double s = num(d, mg_jdoc_get(d, k, "start_seconds"), -1);
        long ts = mg_jdoc_get(d, k, "time_signature");
        char sig[16];
        if (s <= t + 1e-9 && ts >= 0 &&
            mg_jdoc_str(d, (uint32_t)ts, sig, sizeof sig) != (size_t)-1) {
            const char *slash = strchr(sig, '/');
            int u = slash ? atoi(slash + 1) : 0;
            if (u == 1 || u == 2 || u == 4 || u == 8 || u == 16 || u == 32)
                units = u;
        }
        k = d->t[k].next;
    }
    return units;
}

/* The data of a beat grid of sample.json: times from the array tkey,
 * positions in the bar from pkey. As `beat` (whole: false) the value is
 * the position; as `beat_position` the JAMS tuple, num_beats the beats
 * counted in that bar and beat_units its time signature's denominator. */
static void
grid(jams *j, const mg_jdoc *d, const char *tkey, const char *pkey,
     bool whole)
{
    mg_gbuf *b = &j->b;
    long bt = mg_jdoc_get(d, 0, tkey);
    long bp = mg_jdoc_get(d, 0, pkey);
    long arr = mg_jdoc_get(d, 0, "song_arrangement");
    mg_gbuf_puts(b, ",\"data\":[");
    if (bt >= 0 && d->t[bt].type == MG_JT_ARR) {
        uint32_t n = d->t[bt].n;
        bool have_pos = bp >= 0 && d->t[bp].type == MG_JT_ARR &&
                        d->t[bp].n == n;
        uint32_t kt = (uint32_t)bt + 1, kp = have_pos ? (uint32_t)bp + 1 : 0;
        long measure = -1;
        for (uint32_t m = 0; m < n; m++) {
            int64_t pos = 1;
            if (have_pos) mg_jdoc_i64(d, kp, &pos);
            if (pos < 1) pos = 1;
            if (pos == 1 || measure < 0) measure++;
            /* Beats in this bar: the last position before the next 1. */
            int64_t nb = pos;
            if (have_pos) {
                uint32_t q = d->t[kp].next;
                for (uint32_t r = m + 1; r < n; r++) {
                    int64_t v = 1;
                    mg_jdoc_i64(d, q, &v);
                    if (v <= 1) break;
                    nb = v;
                    q = d->t[q].next;
                }
            }
            double t = num(d, (long)kt, 0);
            if (m) mg_gbuf_putc(b, ',');
            mg_gbuf_puts(b, "\n {\"time\":");
            mg_xbuf_json(b, d, kt);
            mg_gbuf_puts(b, ",\"duration\":0.0,\"confidence\":null,"
                            "\"value\":");
            if (!whole && have_pos)
                mg_xbuf_printf(b, "%" PRId64 "}", pos);
            else if (!whole)
                mg_gbuf_puts(b, "null}");
            else
                mg_xbuf_printf(b, "{\"position\":%" PRId64
                                  ",\"measure\":%ld,\"num_beats\":%" PRId64
                                  ",\"beat_units\":%d}}",
                               pos, measure, nb, beat_units(d, arr, t));
            kt = d->t[kt].next;
            if (have_pos) kp = d->t[kp].next;
        }
    }
    mg_gbuf_puts(b, "]}");
}

/* JAMS reads (num_beats, beat_units) as the bar's time signature, and
 * counts a beat as a note of the denominator's value: beat_position is
 * the denominator grid (eighths in 6/8 and 12/8: 12 of unit 8, never
 * the "4 of unit 8" of dotted quarters, which has no JAMS unit). The
 * beats of beat_times (dotted quarters there) are the `beat` annotation,
 * each with its position. A sample.json made before the denominator grid
 * had only beat_times: beat_position is that grid then. */
static void
beats(jams *j, const mg_jdoc *d)
{
    long dt = mg_jdoc_get(d, 0, "denominator_beat_times");
    bool denom = dt >= 0 && d->t[dt].type == MG_JT_ARR;
    begin_annotation(j, "beat_position", true);
    grid(j, d, denom ? "denominator_beat_times" : "beat_times",
         denom ? "denominator_beat_positions" : "beat_positions", true);
    begin_annotation(j, "beat", false);
    grid(j, d, "beat_times", "beat_positions", false);
}

/* Observations of a list of objects: time from `start`, duration to
 * `end`, value the string member `label`. */
static void
intervals(jams *j, const mg_jdoc *d, long arr, const char *label)
{
    mg_gbuf *b = &j->b;
    mg_gbuf_puts(b, ",\"data\":[");
    if (arr >= 0 && d->t[arr].type == MG_JT_ARR) {
        uint32_t k = (uint32_t)arr + 1;
        for (uint32_t m = 0; m < d->t[arr].n; m++) {
            long s = mg_jdoc_get(d, k, "start_seconds");
            long e = mg_jdoc_get(d, k, "end_seconds");
            long l = mg_jdoc_get(d, k, label);
            if (m) mg_gbuf_putc(b, ',');
            mg_gbuf_puts(b, "\n {\"time\":");
            put_tok(b, d, s, "0.0");
            mg_gbuf_puts(b, ",\"duration\":");
            double dur = num(d, e, 0) - num(d, s, 0);
            put_num(b, dur > 0 ? dur : 0);
            mg_gbuf_puts(b, ",\"confidence\":null,\"value\":");
            put_tok(b, d, l, "\"N\"");
            mg_gbuf_putc(b, '}');
            k = d->t[k].next;
        }
    }
    mg_gbuf_puts(b, "]}");
}

static int
notes(jams *j, const mg_xrow *r, const mg_xfile *f, char *err,
      size_t errlen)
{
    mg_gbuf *b = &j->b;
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", r->dir, f->file);
    mg_mnote *nv;
    size_t n;
    if (mg_midiread_file(p, &nv, &n, err, errlen)) return -1;
    begin_annotation(j, "note_midi", false);
    mg_gbuf_puts(b, ",\"sandbox\":{\"layer\":");
    mg_gbuf_jstr(b, f->layer);
    mg_gbuf_puts(b, ",\"midi_file\":");
    mg_gbuf_jstr(b, f->file);
    mg_gbuf_puts(b, "},\"data\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) mg_gbuf_putc(b, ',');
        mg_gbuf_puts(b, "\n {\"time\":");
        put_num(b, nv[i].start);
        mg_gbuf_puts(b, ",\"duration\":");
        put_num(b, nv[i].end > nv[i].start ? nv[i].end - nv[i].start : 0);
        mg_xbuf_printf(b, ",\"confidence\":%d,\"value\":%d}",
                       nv[i].velocity, nv[i].pitch);
    }
    mg_gbuf_puts(b, "]}");
    free(nv);
    return 0;
}

static int
jams_row(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    jams *j = (jams *)w;
    if (r->unsafe) { /* this sample only, left out whole */
        mg_errf(err, errlen, "%s/sample.json: %s, not a path inside the "
                "sample", r->rel, r->unsafe);
        return 1;
    }
    const mg_jdoc *d = r->doc;
    mg_gbuf *b = &j->b;
    b->len = 0;
    double dur = num(d, mg_jdoc_get(d, 0, "duration_seconds"), 0);
    long seed = mg_jdoc_get(d, 0, "seed");
    long gseed = mg_jdoc_get(d, 0, "global_seed");

    /* The metadata every annotation carries: who made it, from what. The
     * generator's version is the one that wrote the sample (its
     * musicgen_version); the exporter's own goes in annotation_tools. */
    char ver[64] = MG_ENGINE_VERSION;
    long vt = mg_jdoc_get(d, 0, "musicgen_version");
    if (vt >= 0 && d->t[vt].type == MG_JT_STR && !d->t[vt].esc &&
        d->t[vt].len < sizeof ver)
        mg_jdoc_str(d, (uint32_t)vt, ver, sizeof ver);
    mg_gbuf m = {0};
    mg_gbuf_puts(&m, "{\"corpus\":\"musicgen\",\"version\":");
    mg_gbuf_jstr(&m, ver);
    mg_gbuf_puts(&m, ",\"annotator\":{\"generator\":\"musicgen\","
                     "\"version\":");
    mg_gbuf_jstr(&m, ver);
    mg_gbuf_puts(&m, ",\"global_seed\":");
    put_tok(&m, d, gseed, "null");
    mg_gbuf_puts(&m, ",\"sample_index\":");
    mg_xbuf_printf(&m, "%" PRIu64, r->index);
    mg_gbuf_puts(&m, "},\"annotation_tools\":\"musicgen ");
    mg_gbuf_puts(&m, MG_ENGINE_VERSION);
    mg_gbuf_puts(&m, " export\",\"data_source\":\"generated (synthetic: the "
                     "annotation is what was synthesized)\","
                     "\"annotation_rules\":\"docs/sample-json.md\","
                     "\"validation\":\"exact by construction\"}");
    int fits = !m.oom && m.len < sizeof j->meta;
    if (fits) {
        memcpy(j->meta, m.p, m.len); /* an mg_gbuf is not terminated */
        j->meta[m.len] = 0;
    }
    mg_gbuf_free(&m);
    if (!fits) return mg_errf(err, errlen, "%s: metadata too long", r->rel);

    mg_gbuf_puts(b, "{\"file_metadata\":{\"title\":");
    mg_xbuf_printf(b, "\"musicgen sample %06" PRIu64 "\"", r->index);
    mg_gbuf_puts(b, ",\"artist\":\"musicgen\",\"release\":");
    put_tok(b, d, mg_jdoc_get(d, 0, "genre"), "\"\"");
    mg_gbuf_puts(b, ",\"duration\":");
    put_tok(b, d, mg_jdoc_get(d, 0, "duration_seconds"), "0.0");
    mg_gbuf_puts(b, ",\"jams_version\":\"0.3.4\",\"identifiers\":"
                    "{\"musicgen_sample_index\":");
    mg_xbuf_printf(b, "%" PRIu64, r->index);
    mg_gbuf_puts(b, ",\"musicgen_seed\":");
    put_tok(b, d, seed, "null");
    mg_gbuf_puts(b, "}},\n\"sandbox\":{\"musicgen\":{\"path\":");
    mg_gbuf_jstr(b, r->rel);
    static const char *const keep[] = {
        "sample_index", "seed", "global_seed", "genre", "split", "key_label",
        "time_signature", "swing", "tempo_bpm", "musicality_score",
        "output_mode", "musicgen_version", NULL};
    for (int i = 0; keep[i]; i++) {
        long t = mg_jdoc_get(d, 0, keep[i]);
        if (t < 0) continue;
        mg_xbuf_printf(b, ",\"%s\":", keep[i]);
        mg_xbuf_json(b, d, (uint32_t)t);
    }
    mg_gbuf_puts(b, "}},\n\"annotations\":[");

    beats(j, d);
    begin_annotation(j, "chord", false);
    intervals(j, d, mg_jdoc_get(d, 0, "chords"), "harte");
    begin_annotation(j, "segment_open", false);
    intervals(j, d, mg_jdoc_get(d, 0, "song_arrangement"), "part");

    char key[32] = "", mode[32] = "";
    long kt = mg_jdoc_get(d, 0, "key"), mt = mg_jdoc_get(d, 0, "mode");
    if (kt >= 0) mg_jdoc_str(d, (uint32_t)kt, key, sizeof key);
    if (mt >= 0) mg_jdoc_str(d, (uint32_t)mt, mode, sizeof mode);
    if (key[0]) {
        begin_annotation(j, "key_mode", false);
        mg_gbuf_puts(b, ",\"data\":[{\"time\":0.0,\"duration\":");
        put_num(b, dur);
        mg_gbuf_puts(b, ",\"confidence\":null,\"value\":");
        char kv[80];
        snprintf(kv, sizeof kv, "%s%s%s", key, mode[0] ? ":" : "", mode);
        mg_gbuf_jstr(b, kv);
        mg_gbuf_puts(b, "}]}");
    }
    long tp = mg_jdoc_get(d, 0, "tempo_bpm");
    long tm = mg_jdoc_get(d, 0, "tempo_map");
    if (tempo_map_ok(d, tm, dur)) {
        /* Every tempo of the song, from its start to the next one's. */
        begin_annotation(j, "tempo", false);
        mg_gbuf_puts(b, ",\"data\":[");
        uint32_t k = (uint32_t)tm + 1;
        for (uint32_t e = 0; e < d->t[tm].n; e++) {
            uint32_t next = d->t[k].next;
            double t0 = num(d, mg_jdoc_get(d, k, "seconds"), 0);
            double t1 = e + 1 < d->t[tm].n
                            ? num(d, mg_jdoc_get(d, next, "seconds"), dur)
                            : dur;
            mg_gbuf_puts(b, e ? ",{\"time\":" : "{\"time\":");
            put_num(b, t0);
            mg_gbuf_puts(b, ",\"duration\":");
            /* sample.json's times have 6 decimals: so has the span */
            put_num(b, round((t1 - t0) * 1e6) / 1e6);
            mg_gbuf_puts(b, ",\"confidence\":1.0,\"value\":");
            mg_xbuf_json(b, d, (uint32_t)mg_jdoc_get(d, k, "bpm"));
            mg_gbuf_putc(b, '}');
            k = next;
        }
        mg_gbuf_puts(b, "]}");
    } else if (tp >= 0) {
        begin_annotation(j, "tempo", false);
        mg_gbuf_puts(b, ",\"data\":[{\"time\":0.0,\"duration\":");
        put_num(b, dur);
        mg_gbuf_puts(b, ",\"confidence\":1.0,\"value\":");
        mg_xbuf_json(b, d, (uint32_t)tp);
        mg_gbuf_puts(b, "}]}");
    }
    for (size_t i = 0; i < r->nfiles; i++)
        if (!strcmp(r->files[i].kind, "midi") &&
            notes(j, r, &r->files[i], err, errlen))
            return 1; /* a missing or broken MIDI: this sample only */
    mg_gbuf_puts(b, "]}\n");
    if (b->oom) return mg_errf(err, errlen, "out of memory");

    char p[8192];
    snprintf(p, sizeof p, "%s/%s.jams", w->path, r->rel);
    char *slash = strrchr(p, '/');
    if (slash > p + strlen(w->path)) {
        *slash = 0;
        if (mg_dir_make(p))
            return mg_errf(err, errlen, "%s: %s", p, strerror(errno));
        *slash = '/';
    }
    FILE *f = fopen(p, "wb");
    if (!f) return mg_errf(err, errlen, "%s: %s", p, strerror(errno));
    int bad = mg_xbuf_flush(b, f);
    if (fclose(f) || bad)
        return mg_errf(err, errlen, "%s: %s", p, strerror(errno));
    w->st->rows++;
    w->st->files++;
    return 0;
}

static int
jams_finish(mg_xwriter *w, char *err, size_t errlen)
{
    (void)w;
    (void)err;
    (void)errlen;
    return 0;
}

static void
jams_destroy(mg_xwriter *w)
{
    jams *j = (jams *)w;
    mg_gbuf_free(&j->b);
    free(j);
}

mg_xwriter *
mg_export_jams_new(const mg_export_opts *o, mg_export_stats *st,
                   const char *path, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    jams *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->w = (mg_xwriter){NULL, jams_row, jams_finish, jams_destroy, o, st, path};
    return &j->w;
}
