/*
 * genre_questions — the questions of `musicgen genre new` (genre_priv.h):
 * each field of a genre (docs/genres.md) with its prompt, its built-in
 * default or --from's, its parser, and asking it.
 *
 * Invariants: a parser accepts only what the genre loader accepts, and
 * says why otherwise (the wizard asks again, a flag is refused); weight
 * tables come out normalised to sum 1; data (drum styles) is read from
 * genres/starters, never listed in code.
 */
#include "genre_priv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "genre.h"
#include "song.h"
#include "utf8.h"
#include "theory.h"

static const char *const styles[] = {
    "pop", "rock", "jazz", "blues", "latin", "reggae", "electronic",
    "hip-hop", "classical", NULL,
};

/* ---- parsing answers: each returns a JSON value or NULL with why ---- */

int
gw_items(const char *in, char out[][64], int max)
{
    int n = 0;
    const char *p = in;
    while (*p) {
        while (*p && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (!*p)
            break;
        size_t l = 0;
        while (p[l] && !isspace((unsigned char)p[l]) && p[l] != ',')
            l++;
        if (n == max)
            return -1;
        snprintf(out[n++], 64, "%.*s", (int)(l > 63 ? 63 : l), p);
        p += l;
    }
    return n;
}

static int
number(const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end == s || *end || errno || !isfinite(*v) || *v < lo || *v > hi
        ? -1 : 0;
}

json_t *
gw_weights(const char *in, int (*valid)(const char *), const char *what,
           char *why, size_t n)
{
    char it[64][64];
    int k = gw_items(in, it, 64);
    if (k <= 0) {
        snprintf(why, n, "give at least one %s:weight", what);
        return NULL;
    }
    json_t *o = json_object();
    double sum = 0;
    for (int i = 0; i < k; i++) {
        char *sep = strpbrk(it[i], ":=");
        double w = 1;
        if (sep) {
            *sep = '\0';
            if (number(sep + 1, 0, 1e6, &w)) {
                snprintf(why, n, "%s: weight '%s' is not a number >= 0",
                         it[i], sep + 1);
                json_decref(o);
                return NULL;
            }
        }
        if (valid && valid(it[i]) < 0) {
            snprintf(why, n, "'%s' is not a known %s", it[i], what);
            json_decref(o);
            return NULL;
        }
        /* the last one replaced the first, and the sum counted both: the
         * table was written not normalised ("4/4:3 4/4:1 3/4:4" gave
         * 4/4 0.125, 3/4 0.5), or all zero at the loader */
        if (json_object_get(o, it[i])) {
            snprintf(why, n, "'%s' is given twice", it[i]);
            json_decref(o);
            return NULL;
        }
        sum += w;
        json_object_set_new(o, it[i], json_real(w));
    }
    if (sum <= 0) {
        snprintf(why, n, "at least one weight must be > 0");
        json_decref(o);
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
        json_real_set(v, round(json_real_value(v) / sum * 10000) / 10000);
    return o;
}

static int
valid_ts(const char *s)
{
    return mg_ts_from_name(s);
}

static int
valid_key(const char *s)
{
    int pc;
    mg_mode m;
    return mg_key_parse(s, &pc, &m);
}

static int
valid_chord(const char *s)
{
    return mg_chord_type_from_name(s);
}

static int
valid_inversion(const char *s)
{
    static const char *const inv[] = {"root", "first", "second", "third"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, inv[i]))
            return i;
    return -1;
}

static int
valid_fx(const char *s)
{
    return mg_fx_from_name(s);
}

static json_t *
p_name(const char *in, char *why, size_t n)
{
    size_t l = strlen(in);
    bool ok = l >= 1 && l <= 32 && islower((unsigned char)in[0]);
    for (size_t i = 0; ok && i < l; i++)
        ok = islower((unsigned char)in[i]) || isdigit((unsigned char)in[i]) ||
             in[i] == '-' || in[i] == '_';
    if (!ok || !strcmp(in, "default") || !strcmp(in, "starters")) {
        snprintf(why, n, "a name is 1..32 of a-z 0-9 - _, starting with a "
                 "letter (not default or starters)");
        return NULL;
    }
    return json_string(in);
}

static json_t *
p_text(const char *in, char *why, size_t n)
{
    if (strlen(in) > 200) {
        snprintf(why, n, "at most 200 characters");
        return NULL;
    }
    /* spec.json is UTF-8 (jansson refused the text, the line said no
     * reason) */
    if (!mg_utf8_valid(in)) {
        snprintf(why, n, "not UTF-8 text");
        return NULL;
    }
    return json_string(in);
}

static json_t *
p_style(const char *in, char *why, size_t n)
{
    for (int i = 0; styles[i]; i++)
        if (!strcmp(in, styles[i]))
            return json_string(in);
    snprintf(why, n, "one of pop rock jazz blues latin reggae electronic "
             "hip-hop classical");
    return NULL;
}

static json_t *
range(const char *in, double lo, double hi, char *why, size_t n)
{
    char a[64], b[64];
    const char *dash = strchr(in + (in[0] == '-'), '-');
    if (!dash || (size_t)(dash - in) >= sizeof a) {
        snprintf(why, n, "write MIN-MAX, e.g. %g-%g", lo, hi);
        return NULL;
    }
    snprintf(a, sizeof a, "%.*s", (int)(dash - in), in);
    snprintf(b, sizeof b, "%s", dash + 1);
    double x, y;
    if (number(a, lo, hi, &x) || number(b, lo, hi, &y)) {
        snprintf(why, n, "both ends must be numbers in %g..%g", lo, hi);
        return NULL;
    }
    if (x > y) {
        snprintf(why, n, "min %g is above max %g", x, y);
        return NULL;
    }
    return json_pack("{s:f,s:f}", "min", x, "max", y);
}

static json_t *
p_tempo(const char *in, char *why, size_t n)
{
    return range(in, 20, 400, why, n);
}

static json_t *
p_swing(const char *in, char *why, size_t n)
{
    return range(in, 0.5, 0.8, why, n);
}

static json_t *
p_ts(const char *in, char *why, size_t n)
{
    return gw_weights(in, valid_ts, "time signature (2/4 3/4 4/4 5/4 6/8 "
                      "7/8 12/8)", why, n);
}

static json_t *
p_keys(const char *in, char *why, size_t n)
{
    if (!strcmp(in, "all"))
        return json_null();
    return gw_weights(in, valid_key, "key (C, F#, Bb, Am, C#m ...)", why, n);
}

static json_t *
p_chords(const char *in, char *why, size_t n)
{
    return gw_weights(in, valid_chord, "chord type (maj min dim aug sus2 "
                      "sus4 power 6 m6 maj7 m7 dom7 m7b5 dim7 mmaj7 7sus4 "
                      "add9 madd9 maj9 m9 dom9)", why, n);
}

static json_t *
p_filter(const char *in, char *why, size_t n)
{
    if (!strcmp(in, "none"))
        return json_null();
    char it[32][64];
    int k = gw_items(in, it, 32);
    if (k <= 0) {
        snprintf(why, n, "'none' or chord type names");
        return NULL;
    }
    json_t *a = json_array();
    for (int i = 0; i < k; i++) {
        if (valid_chord(it[i]) < 0) {
            snprintf(why, n, "'%s' is not a chord type", it[i]);
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_string(it[i]));
    }
    return a;
}

static json_t *
p_inversions(const char *in, char *why, size_t n)
{
    return gw_weights(in, valid_inversion, "inversion (root first second "
                      "third)", why, n);
}

static json_t *
p_prob(const char *in, char *why, size_t n)
{
    double v;
    if (number(in, 0, 1, &v)) {
        snprintf(why, n, "a number in 0..1");
        return NULL;
    }
    return json_real(v);
}

static json_t *
p_programs(const char *in, char *why, size_t n)
{
    char it[16][64];
    int k = gw_items(in, it, 16);
    if (k <= 0) {
        snprintf(why, n, "1..16 of PROGRAM:WEIGHT (GM program 0..127)");
        return NULL;
    }
    json_t *a = json_array();
    double sum = 0;
    for (int i = 0; i < k; i++) {
        char *sep = strpbrk(it[i], ":=");
        double p, w = 1;
        if (sep)
            *sep = '\0';
        if (number(it[i], 0, 127, &p) || p != floor(p) ||
            (sep && number(sep + 1, 0, 1e6, &w))) {
            snprintf(why, n, "'%s': want PROGRAM:WEIGHT, program an integer "
                     "in 0..127, weight >= 0", it[i]);
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_pack("{s:i,s:f}", "program", (int)p,
                                           "weight", w));
        sum += w;
    }
    if (sum <= 0) {     /* the loader refuses it, after every question */
        snprintf(why, n, "at least one weight must be > 0");
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *
p_tags(const char *in, char *why, size_t n)
{
    char it[8][64];
    int k = gw_items(in, it, 8);
    if (k < 0) {
        snprintf(why, n, "at most 8 tags");
        return NULL;
    }
    json_t *a = json_array();
    for (int i = 0; i < k; i++) {
        /* a tag that is not UTF-8 was dropped without a word */
        if (!mg_utf8_valid(it[i])) {
            snprintf(why, n, "tag '%s' is not UTF-8 text", it[i]);
            json_decref(a);
            return NULL;
        }
        /* the loader's limit, asked again here (it was refused only after
         * every other question, and one over 63 first cut to 63) */
        if (strlen(it[i]) > 31) {
            snprintf(why, n, "tag '%.40s...' is longer than 31 characters",
                     it[i]);
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_string(it[i]));
    }
    return a;
}

static json_t *
p_fx(const char *in, char *why, size_t n)
{
    char it[16][64];
    int k = gw_items(in, it, 16);
    json_t *o = json_object();
    for (int i = 0; i < k; i++) {
        char *sep = strpbrk(it[i], ":=");
        double m;
        if (!sep || (*sep = '\0', valid_fx(it[i]) < 0) ||
            number(sep + 1, 0, 10, &m)) {
            snprintf(why, n, "'%s': want EFFECT:MULTIPLIER, effect one of "
                     "reverb chorus delay compressor eq filter distortion "
                     "phaser, multiplier 0..10", it[i]);
            json_decref(o);
            return NULL;
        }
        if (json_object_get(o, it[i])) {    /* the last one won, silently */
            snprintf(why, n, "'%s' is given twice", it[i]);
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, it[i], json_real(m));
    }
    return o;
}

/* ---- the questions ---- */

/* Where p_drums looks for drum styles (genres/starters). */
static const char *starters;

static json_t *
p_drums(const char *in, char *why, size_t n)
{
    char p[1400];
    struct stat st;
    if (!strcmp(in, "from"))
        return json_string(in);
    bool ok = *in && !strchr(in, '/') && strcmp(in, ".") && strcmp(in, "..");
    snprintf(p, sizeof p, "%s/%s", starters, in);
    if (!ok || stat(p, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(why, n, "'%s' is not a drum style (musicgen genre new "
                 "--list)", in);
        return NULL;
    }
    return json_string(in);
}

static json_t *
p_yesno(const char *in, char *why, size_t n)
{
    if (!strcmp(in, "y") || !strcmp(in, "yes"))
        return json_true();
    if (!strcmp(in, "n") || !strcmp(in, "no"))
        return json_false();
    snprintf(why, n, "yes or no");
    return NULL;
}

void
gw_questions_init(gw_question *qs, const char *starters_dir)
{
    memset(qs, 0, (size_t)NQ * sizeof *qs);
    starters = starters_dir;
    static const struct {
        const char *key, *prompt, *def;
        gw_parse_fn p;
    } base[] = {
        {"name", "name (directory under genres/)", "mygenre", p_name},
        {"description", "description (one line)", "", p_text},
        {"style", "style (pop rock jazz blues latin reggae electronic "
                  "hip-hop classical)", "pop", p_style},
        {"tempo", "tempo range, BPM (MIN-MAX, 20..400)", "90-140", p_tempo},
        {"swing", "swing range (MIN-MAX, 0.5 straight .. 0.8)", "0.5-0.55",
         p_swing},
        {"time-signatures", "time signatures with weights (2/4 3/4 4/4 5/4 "
         "6/8 7/8 12/8)", "4/4:1", p_ts},
        {"keys", "keys with weights (C F# Bb Am ...), or all", "all", p_keys},
        {"chord-types", "chord types with weights", "maj:1 min:1", p_chords},
        {"chord-filter", "only these chord types (names), or none", "none",
         p_filter},
        {"inversions", "inversion weights",
         "root:0.6 first:0.25 second:0.15 third:0", p_inversions},
    };
    static const char *const def_prog[4] = {"0:1", "0:1", "0:1", "33:1"};
    static const char *const def_tags[4] = {"drums", "melody", "harmony",
                                            "bass"};
    static char keys[12][40], prompts[12][120];
    for (int i = 0; i < Q_LAYER0; i++) {
        qs[i].key = base[i].key;
        qs[i].prompt = base[i].prompt;
        qs[i].parse = base[i].p;
        gw_set_def(&qs[i], base[i].def);
    }
    for (int l = 0; l < 4; l++) {
        static const char *const what[3] = {"probability", "programs",
                                            "tags"};
        static const gw_parse_fn fn[3] = {p_prob, p_programs, p_tags};
        for (int k = 0; k < 3; k++) {
            gw_question *q = &qs[Q_LAYER0 + 3 * l + k];
            const char *layer = mg_layer_name((mg_layer)l);
            snprintf(keys[3 * l + k], 40, "%s-%s", layer, what[k]);
            snprintf(prompts[3 * l + k], 120, "%s",
                     k == 0 ? "layer %s: chance it plays in a part (0..1)"
                     : k == 1 ? "layer %s: GM programs PROG:WEIGHT"
                     : "layer %s: soundfont tags");
            char p[120];
            snprintf(p, sizeof p, prompts[3 * l + k], layer);
            snprintf(prompts[3 * l + k], 120, "%s", p);
            q->key = keys[3 * l + k];
            q->prompt = prompts[3 * l + k];
            q->parse = fn[k];
            gw_set_def(q, k == 0 ? "1" : k == 1 ? def_prog[l] : def_tags[l]);
        }
    }
    qs[Q_FX] = (gw_question){"fx", "effect multipliers EFFECT:M (0..10; "
                             "left out = 1)", p_fx, "", "", false, NULL};
    gw_set_def(&qs[Q_FX], "reverb:1 chorus:1 delay:1 compressor:1 eq:1 "
               "filter:1 distortion:1 phaser:1");
    qs[Q_DRUMS] = (gw_question){"drums", "starter drum style (backbeat "
                                "swing electronic one-drop minimal)",
                                p_drums, "", "", false, NULL};
    gw_set_def(&qs[Q_DRUMS], "backbeat");
    qs[Q_MATRIX] = (gw_question){"chords", "write a chord-transition "
                                 "matrix? (yes/no)", p_yesno, "", "",
                                 false, NULL};
    gw_set_def(&qs[Q_MATRIX], "no");
}

/* Ask until a valid answer; EOF is an error. */
int
gw_ask(gw_question *q, bool interactive)
{
    char why[600];
    if (q->has_flag || !interactive) {
        const char *in = q->has_flag ? q->given : q->def;
        q->value = q->parse(in, why, sizeof why);
        if (!q->value) {
            fprintf(stderr, "musicgen genre new: --%s '%s': %s\n", q->key,
                    in, why);
            return -1;
        }
        return 0;
    }
    for (;;) {
        printf("%s [%s]: ", q->prompt, q->def);
        fflush(stdout);
        char line[GW_ANSWER];
        int r = gw_read_line(line);
        if (r < 0) {
            fprintf(stderr, "\nmusicgen genre new: input ended before %s "
                    "was answered\n", q->key);
            return -1;
        }
        if (r > 0)
            continue;
        char *a = line;
        while (isspace((unsigned char)*a))
            a++;
        for (size_t l = strlen(a); l && isspace((unsigned char)a[l - 1]);)
            a[--l] = '\0';
        q->value = q->parse(*a ? a : q->def, why, sizeof why);
        if (q->value)
            return 0;
        printf("  ! %s; try again\n", why);
    }
}

int
gw_read_line(char *line)
{
    if (!fgets(line, GW_ANSWER, stdin))
        return -1;
    size_t l = strcspn(line, "\n");
    bool whole = line[l] == '\n' || feof(stdin);
    line[strcspn(line, "\r\n")] = '\0';
    if (whole)
        return 0;
    int ch;
    while ((ch = getchar()) != EOF && ch != '\n')
        ;
    printf("  ! longer than %d characters; try again\n", GW_ANSWER - 2);
    return 1;
}

/* The answer in the form a prompt shows (weights as normalised). */
void
gw_show_weights(const json_t *o)
{
    const char *k;
    json_t *v;
    printf("  = ");
    json_object_foreach((json_t *)o, k, v)
        printf("%s %.4g  ", k, json_real_value(v));
    printf("(normalised)\n");
}

/* Defaults, overridden by --from's spec where it has the field. */
void
gw_set_def(gw_question *q, const char *s)
{
    snprintf(q->def, sizeof q->def, "%s", s);
}

static void
def_weights(gw_question *q, json_t *o)
{
    if (!json_is_object(o))
        return;
    char buf[GW_ANSWER] = "";
    size_t len = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
        if (len < sizeof buf - 80)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s:%g",
                                    len ? " " : "", k, json_number_value(v));
    if (len)
        gw_set_def(q, buf);
}

void
gw_defaults_from(gw_question *qs, json_t *spec)
{
    json_t *v;
    if ((v = json_object_get(spec, "description")) && json_is_string(v))
        gw_set_def(&qs[Q_DESC], json_string_value(v));
    if ((v = json_object_get(spec, "style")) && json_is_string(v) &&
        *json_string_value(v))
        gw_set_def(&qs[Q_STYLE], json_string_value(v));
    char b[128];
    if ((v = json_object_get(spec, "tempo"))) {
        snprintf(b, sizeof b, "%g-%g",
                 json_number_value(json_object_get(v, "min")),
                 json_number_value(json_object_get(v, "max")));
        gw_set_def(&qs[Q_TEMPO], b);
    }
    if ((v = json_object_get(spec, "swing"))) {
        snprintf(b, sizeof b, "%g-%g",
                 json_number_value(json_object_get(v, "min")),
                 json_number_value(json_object_get(v, "max")));
        gw_set_def(&qs[Q_SWING], b);
    }
    def_weights(&qs[Q_TS], json_object_get(spec, "time_signatures"));
    def_weights(&qs[Q_KEYS], json_object_get(spec, "keys"));
    def_weights(&qs[Q_CHORDS], json_object_get(spec, "chord_types"));
    def_weights(&qs[Q_INV], json_object_get(spec, "inversions"));
    def_weights(&qs[Q_FX], json_object_get(spec, "fx"));
    if ((v = json_object_get(spec, "chord_filter")) && json_is_array(v)) {
        char buf[GW_ANSWER] = "";
        size_t len = 0, i;
        json_t *x;
        json_array_foreach(v, i, x)
            if (len < sizeof buf - 40)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                        len ? " " : "", json_string_value(x));
        gw_set_def(&qs[Q_FILTER], buf);
    }
    json_t *layers = json_object_get(spec, "layers");
    for (int l = 0; l < 4; l++) {
        json_t *L = json_object_get(layers, mg_layer_name((mg_layer)l));
        if (!L)
            continue;
        gw_question *q = &qs[Q_LAYER0 + 3 * l];
        if ((v = json_object_get(L, "probability"))) {
            snprintf(b, sizeof b, "%g", json_number_value(v));
            gw_set_def(q, b);
        }
        if ((v = json_object_get(L, "programs")) && json_array_size(v)) {
            char buf[GW_ANSWER] = "";
            size_t len = 0, i;
            json_t *x;
            json_array_foreach(v, i, x) {
                json_t *w = json_object_get(x, "weight");
                len += (size_t)snprintf(buf + len, sizeof buf - len,
                    "%s%d:%g", len ? " " : "",
                    (int)json_integer_value(json_object_get(x, "program")),
                    w ? json_number_value(w) : 1.0);
            }
            gw_set_def(q + 1, buf);
        }
        if ((v = json_object_get(L, "tags")) && json_array_size(v)) {
            char buf[GW_ANSWER] = "";
            size_t len = 0, i;
            json_t *x;
            json_array_foreach(v, i, x)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                        len ? " " : "", json_string_value(x));
            gw_set_def(q + 2, buf);
        }
    }
}
