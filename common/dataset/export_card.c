/*
 * export_card — the dataset card (README.md) of an hf export: the YAML
 * block the Hugging Face hub reads (licence, task, tags, size) and a page
 * a person reads: what the rows hold, how many per split, the audio's
 * format and length, the genres and seeds, how to load it, where the
 * soundfonts' terms are (LICENSES.md beside it) and how to make a row
 * again. Everything on it is counted from the rows written, so two exports
 * of the same rows give the same card (no date, no host, no path).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "errmsg.h"
#include "export_priv.h"

#define CARD_VALUES 24 /* distinct values listed per field; more: counted */
#define CARD_SPLITS 16

typedef struct {
    char v[CARD_VALUES][64];
    uint64_t n[CARD_VALUES];
    int k;
    uint64_t others; /* rows whose value did not fit the list */
} distinct;

struct mg_hfcard {
    char split[CARD_SPLITS][64];
    uint64_t split_rows[CARD_SPLITS];
    int nsplit;
    uint64_t rows;
    double seconds;
    distinct genre, seed, rate, fmt, channels, version;
};

mg_hfcard *
mg_hfcard_new(void)
{
    return calloc(1, sizeof(mg_hfcard));
}

void
mg_hfcard_free(mg_hfcard **c)
{
    free(*c);
    *c = NULL;
}

static void
distinct_add(distinct *d, const char *s, size_t len)
{
    if (len >= sizeof d->v[0]) {
        d->others++;
        return;
    }
    for (int i = 0; i < d->k; i++)
        if (strlen(d->v[i]) == len && !memcmp(d->v[i], s, len)) {
            d->n[i]++;
            return;
        }
    if (d->k == CARD_VALUES) {
        d->others++;
        return;
    }
    memcpy(d->v[d->k], s, len);
    d->v[d->k][len] = 0;
    d->n[d->k++] = 1;
}

/* Member key of the row's sample.json as text: a string decoded, any
 * other scalar as written; nothing for a missing member or a container. */
static void
note(distinct *d, const mg_jdoc *doc, const char *key)
{
    long t = mg_jdoc_get(doc, 0, key);
    if (t < 0) return;
    const mg_jtok *k = &doc->t[t];
    if (k->type == MG_JT_STR) {
        char buf[sizeof d->v[0]];
        size_t n = mg_jdoc_str(doc, (uint32_t)t, buf, sizeof buf);
        if (n == (size_t)-1)
            d->others++;
        else
            distinct_add(d, buf, n);
    } else if (k->type == MG_JT_NUM || k->type == MG_JT_TRUE ||
               k->type == MG_JT_FALSE) {
        distinct_add(d, doc->s + k->start, k->len);
    }
}

int
mg_hfcard_add(mg_hfcard *c, const char *split_dir, const mg_xrow *r)
{
    int k;
    for (k = 0; k < c->nsplit; k++)
        if (!strcmp(c->split[k], split_dir)) break;
    if (k == c->nsplit) {
        if (k == CARD_SPLITS) return -1;
        snprintf(c->split[k], sizeof c->split[k], "%s", split_dir);
        c->nsplit++;
    }
    c->split_rows[k]++;
    c->rows++;
    const mg_jdoc *d = r->doc;
    double sec;
    long t = mg_jdoc_get(d, 0, "duration_seconds");
    if (t >= 0 && !mg_jdoc_double(d, (uint32_t)t, &sec) && sec > 0)
        c->seconds += sec;
    note(&c->genre, d, "genre");
    note(&c->seed, d, "global_seed");
    note(&c->rate, d, "sample_rate");
    note(&c->fmt, d, "audio_format");
    note(&c->channels, d, "audio_channels");
    note(&c->version, d, "musicgen_version");
    return 0;
}

/* Hub size buckets (the YAML's size_categories). */
static const char *
size_bucket(uint64_t n)
{
    return n < 1000        ? "n<1K"
           : n < 10000     ? "1K<n<10K"
           : n < 100000    ? "10K<n<100K"
           : n < 1000000   ? "100K<n<1M"
           : n < 10000000  ? "1M<n<10M"
           : n < 100000000 ? "10M<n<100M"
                           : "100M<n<1B";
}

/* "a (3), b (2), c (1)" most rows first, ties in order of appearance;
 * with_counts false: "a, b, c". */
static void
put_list(mg_gbuf *b, const distinct *d, bool with_counts)
{
    int order[CARD_VALUES];
    for (int i = 0; i < d->k; i++)
        order[i] = i;
    /* a stable insertion sort on count (descending) */
    for (int i = 1; i < d->k; i++)
        for (int j = i; j > 0 && d->n[order[j]] > d->n[order[j - 1]]; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    char num[48];
    for (int i = 0; i < d->k; i++) {
        if (i) mg_gbuf_puts(b, ", ");
        mg_gbuf_puts(b, d->v[order[i]]);
        if (with_counts) {
            snprintf(num, sizeof num, " (%" PRIu64 ")", d->n[order[i]]);
            mg_gbuf_puts(b, num);
        }
    }
    if (d->others) {
        snprintf(num, sizeof num, "%s%" PRIu64 " more row%s", d->k ? "; " : "",
                 d->others, d->others == 1 ? "" : "s");
        mg_gbuf_puts(b, num);
    }
    if (!d->k && !d->others) mg_gbuf_puts(b, "(not recorded)");
}

static void
put_line(mg_gbuf *b, const char *head, const distinct *d, bool counts)
{
    mg_gbuf_puts(b, head);
    put_list(b, d, counts);
    mg_gbuf_puts(b, "\n");
}

int
mg_hfcard_save(const mg_hfcard *c, const char *path, unsigned shards,
               unsigned shard_size, char *err, size_t errlen)
{
    mg_gbuf b = {0};
    char line[1024];
    mg_gbuf_puts(&b, "---\n"
                     "pretty_name: musicgen synthetic music\n"
                     "license: other\n"
                     "license_name: soundfont-licences\n"
                     "license_link: LICENSES.md\n"
                     "task_categories:\n"
                     "- audio-classification\n"
                     "tags:\n"
                     "- music\n"
                     "- synthetic\n"
                     "- musicgen\n"
                     "- beat-tracking\n"
                     "- chord-recognition\n"
                     "- key-detection\n"
                     "size_categories:\n");
    snprintf(line, sizeof line, "- %s\n---\n\n", size_bucket(c->rows));
    mg_gbuf_puts(&b, line);

    char span[64];
    long min = (long)(c->seconds / 60.0 + 0.5);
    if (c->seconds < 59.5)
        snprintf(span, sizeof span, "%.0f s", c->seconds);
    else if (min < 60)
        snprintf(span, sizeof span, "%ld min", min);
    else
        snprintf(span, sizeof span, "%ld h %02ld min", min / 60, min % 60);
    snprintf(line, sizeof line,
             "# Synthetic music made by musicgen\n\n"
             "%" PRIu64 " sample%s, %s of music in all. Each comes with "
             "its complete\nannotation: key, mode, tempo and tempo map, "
             "time signature, swing, song\narrangement, chords (Harte "
             "labels and voicings), beat and downbeat times,\n"
             "instruments, soundfonts, mixing and FX, a musicality score "
             "and its split.\n\n",
             c->rows, c->rows == 1 ? "" : "s", span);
    mg_gbuf_puts(&b, line);
    mg_gbuf_puts(&b, "| split | samples |\n| --- | ---: |\n");
    for (int k = 0; k < c->nsplit; k++) {
        snprintf(line, sizeof line, "| %s | %" PRIu64 " |\n", c->split[k],
                 c->split_rows[k]);
        mg_gbuf_puts(&b, line);
    }
    mg_gbuf_puts(&b, "\n");
    put_line(&b, "- Sample rate (Hz): ", &c->rate, false);
    put_line(&b, "- Sample format: ", &c->fmt, false);
    put_line(&b, "- Channels: ", &c->channels, false);
    put_line(&b, "- Genres (samples): ", &c->genre, true);
    put_line(&b, "- Global seeds: ", &c->seed, false);
    put_line(&b, "- Made by musicgen: ", &c->version, false);
    snprintf(line, sizeof line, "- Exported by musicgen %s\n\n",
             MG_ENGINE_VERSION);
    mg_gbuf_puts(&b, line);
    mg_gbuf_puts(&b, "## Loading\n\n");
    if (!shards) {
        mg_gbuf_puts(
            &b, "```python\n"
                "from datasets import load_dataset\n"
                "ds = load_dataset(\"audiofolder\", "
                "data_dir=\"PATH/TO/THIS/DIRECTORY\")\n"
                "```\n\n"
                "Each split directory has a `metadata.jsonl`: one row per "
                "audio file, its\n`file_name`, then every field of the "
                "sample's `sample.json` (lists and\nobjects as JSON values) "
                "and the paths of its files as exported. Our split\n`valid` "
                "is the directory `validation`, the name audiofolder gives "
                "that split.\n\n");
    } else {
        snprintf(line, sizeof line,
                 "```python\n"
                 "import webdataset as wds\n"
                 "ds = wds.WebDataset(\"PATH/{000000..%06u}.tar\")\n"
                 "```\n\n"
                 "%u POSIX tar shard%s of %u samples each (the last may "
                 "hold fewer). A sample\nis the members that share its key, "
                 "its index (`000042`): `000042.json`\n(its `sample.json`, "
                 "split included), `000042.mix.wav`, `000042.<layer>.wav`\n"
                 "for the stems and `000042.<layer>.mid` for the MIDI files, "
                 "as the dataset has\nthem.\n\n",
                 shards - 1, shards, shards == 1 ? "" : "s", shard_size);
        mg_gbuf_puts(&b, line);
    }
    mg_gbuf_puts(
        &b, "## Licences\n\n"
            "The audio was rendered with the soundfonts listed in "
            "[LICENSES.md](LICENSES.md),\nwith the licence, attribution and "
            "source each one requires. Whoever passes\nthe audio on passes "
            "that file with it.\n\n"
            "## Making a sample again\n\n"
            "`musicgen generate --seed G --start I --count 1`, with the "
            "options the dataset\nwas made with (a row records them: genre, "
            "output mode, sample rate and\nformat, soundfonts), makes sample "
            "I of global seed G again, its MIDI and\n`sample.json` byte for "
            "byte; G is the row's `global_seed`, I its `sample_index`.\n");
    int rc = -1;
    FILE *f = NULL;
    if (b.oom)
        mg_errf(err, errlen, "out of memory");
    else if ((f = mg_xfile_open(path, err, errlen)))
        rc = mg_xfile_finish(&f, &b, path, err, errlen);
    mg_gbuf_free(&b);
    return rc;
}
