/*
 * genre — `musicgen genre new`: a terminal wizard that writes a new genre
 * directory (docs/genres.md): spec.json with every field, starter drum
 * patterns in a chosen style for every time signature the genre uses
 * (copied from genres/starters/<style>/, data, not code), and optionally
 * a chord-transition matrix (chords.json).
 *
 * Each field is asked in turn with its default in brackets (Enter keeps
 * it); an answer is parsed and range-checked at once and a wrong one is
 * asked again with the reason. Every field is also a flag (--tempo 80-120
 * ...), and --yes takes the defaults for whatever no flag gave, so a
 * script needs no terminal. Weight tables are written normalised.
 *
 * The genre is written into a staging directory inside the target genres
 * directory, loaded there by the real loader (mg_genre_load), and only
 * then renamed into place: a genre this command leaves behind loads.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "genre.h"
#include "sampledir.h"
#include "song.h"
#include "theory.h"

#define ANSWER 2048

static const char *const layer_names[4] = {
    "beat", "melody", "harmony", "bassline",
};
static const char *const styles[] = {
    "pop", "rock", "jazz", "blues", "latin", "reggae", "electronic",
    "hip-hop", "classical", NULL,
};

/* ---- parsing answers: each returns a JSON value or NULL with why ---- */

typedef json_t *(*parse_fn)(const char *in, char *why, size_t n);

/* Split "a:1, b:2" / "a=1 b=2" / "a b" into items. */
static int
items(const char *in, char out[][64], int max)
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

/* "name:w ..." with a name check; weights normalised to sum 1. */
static json_t *
weights(const char *in, int (*valid)(const char *), const char *what,
        char *why, size_t n)
{
    char it[64][64];
    int k = items(in, it, 64);
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
    return weights(in, valid_ts, "time signature (2/4 3/4 4/4 5/4 6/8 7/8 "
                   "12/8)", why, n);
}

static json_t *
p_keys(const char *in, char *why, size_t n)
{
    if (!strcmp(in, "all"))
        return json_null();
    return weights(in, valid_key, "key (C, F#, Bb, Am, C#m ...)", why, n);
}

static json_t *
p_chords(const char *in, char *why, size_t n)
{
    return weights(in, valid_chord, "chord type (maj min dim aug sus2 sus4 "
                   "power 6 m6 maj7 m7 dom7 m7b5 dim7 mmaj7 7sus4 add9 madd9 "
                   "maj9 m9 dom9)", why, n);
}

static json_t *
p_filter(const char *in, char *why, size_t n)
{
    if (!strcmp(in, "none"))
        return json_null();
    char it[32][64];
    int k = items(in, it, 32);
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
    return weights(in, valid_inversion, "inversion (root first second "
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
    int k = items(in, it, 16);
    if (k <= 0) {
        snprintf(why, n, "1..16 of PROGRAM:WEIGHT (GM program 0..127)");
        return NULL;
    }
    json_t *a = json_array();
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
    }
    return a;
}

static json_t *
p_tags(const char *in, char *why, size_t n)
{
    char it[8][64];
    int k = items(in, it, 8);
    if (k < 0) {
        snprintf(why, n, "at most 8 tags");
        return NULL;
    }
    json_t *a = json_array();
    for (int i = 0; i < k; i++)
        json_array_append_new(a, json_string(it[i]));
    return a;
}

static json_t *
p_fx(const char *in, char *why, size_t n)
{
    char it[16][64];
    int k = items(in, it, 16);
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
        json_object_set_new(o, it[i], json_real(m));
    }
    return o;
}

/* ---- the questions ---- */

typedef struct {
    const char *key;        /* flag name and answer key */
    const char *prompt;
    parse_fn parse;
    char def[ANSWER];
    char given[ANSWER];     /* from a flag, or "" */
    bool has_flag;
    json_t *value;
} question;

enum {
    Q_NAME, Q_DESC, Q_STYLE, Q_TEMPO, Q_SWING, Q_TS, Q_KEYS, Q_CHORDS,
    Q_FILTER, Q_INV,
    Q_LAYER0,               /* probability, programs, tags per layer */
    Q_FX = Q_LAYER0 + 12, Q_DRUMS, Q_MATRIX, NQ
};

static char starters_dir[1200];

static json_t *
p_drums(const char *in, char *why, size_t n)
{
    char p[1400];
    struct stat st;
    if (!strcmp(in, "from"))
        return json_string(in);
    bool ok = *in && !strchr(in, '/') && strcmp(in, ".") && strcmp(in, "..");
    snprintf(p, sizeof p, "%s/%s", starters_dir, in);
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

/* Ask until a valid answer; EOF is an error. */
static int
ask(question *q, bool interactive)
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
        char line[ANSWER];
        if (!fgets(line, sizeof line, stdin)) {
            fprintf(stderr, "\nmusicgen genre new: input ended before %s "
                    "was answered\n", q->key);
            return -1;
        }
        line[strcspn(line, "\r\n")] = '\0';
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

/* The answer in the form a prompt shows (weights as normalised). */
static void
show_weights(const json_t *o)
{
    const char *k;
    json_t *v;
    printf("  = ");
    json_object_foreach((json_t *)o, k, v)
        printf("%s %.4g  ", k, json_real_value(v));
    printf("(normalised)\n");
}

/* Defaults, overridden by --from's spec where it has the field. */
static void
set_def(question *q, const char *s)
{
    snprintf(q->def, sizeof q->def, "%s", s);
}

static void
def_weights(question *q, json_t *o)
{
    if (!json_is_object(o))
        return;
    char buf[ANSWER] = "";
    size_t len = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
        if (len < sizeof buf - 80)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s:%g",
                                    len ? " " : "", k, json_number_value(v));
    if (len)
        set_def(q, buf);
}

static void
defaults_from(question *qs, json_t *spec)
{
    json_t *v;
    if ((v = json_object_get(spec, "description")) && json_is_string(v))
        set_def(&qs[Q_DESC], json_string_value(v));
    if ((v = json_object_get(spec, "style")) && json_is_string(v) &&
        *json_string_value(v))
        set_def(&qs[Q_STYLE], json_string_value(v));
    char b[128];
    if ((v = json_object_get(spec, "tempo"))) {
        snprintf(b, sizeof b, "%g-%g",
                 json_number_value(json_object_get(v, "min")),
                 json_number_value(json_object_get(v, "max")));
        set_def(&qs[Q_TEMPO], b);
    }
    if ((v = json_object_get(spec, "swing"))) {
        snprintf(b, sizeof b, "%g-%g",
                 json_number_value(json_object_get(v, "min")),
                 json_number_value(json_object_get(v, "max")));
        set_def(&qs[Q_SWING], b);
    }
    def_weights(&qs[Q_TS], json_object_get(spec, "time_signatures"));
    def_weights(&qs[Q_KEYS], json_object_get(spec, "keys"));
    def_weights(&qs[Q_CHORDS], json_object_get(spec, "chord_types"));
    def_weights(&qs[Q_INV], json_object_get(spec, "inversions"));
    def_weights(&qs[Q_FX], json_object_get(spec, "fx"));
    if ((v = json_object_get(spec, "chord_filter")) && json_is_array(v)) {
        char buf[ANSWER] = "";
        size_t len = 0, i;
        json_t *x;
        json_array_foreach(v, i, x)
            if (len < sizeof buf - 40)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                        len ? " " : "", json_string_value(x));
        set_def(&qs[Q_FILTER], buf);
    }
    json_t *layers = json_object_get(spec, "layers");
    for (int l = 0; l < 4; l++) {
        json_t *L = json_object_get(layers, layer_names[l]);
        if (!L)
            continue;
        question *q = &qs[Q_LAYER0 + 3 * l];
        if ((v = json_object_get(L, "probability"))) {
            snprintf(b, sizeof b, "%g", json_number_value(v));
            set_def(q, b);
        }
        if ((v = json_object_get(L, "programs")) && json_array_size(v)) {
            char buf[ANSWER] = "";
            size_t len = 0, i;
            json_t *x;
            json_array_foreach(v, i, x) {
                json_t *w = json_object_get(x, "weight");
                len += (size_t)snprintf(buf + len, sizeof buf - len,
                    "%s%d:%g", len ? " " : "",
                    (int)json_integer_value(json_object_get(x, "program")),
                    w ? json_number_value(w) : 1.0);
            }
            set_def(q + 1, buf);
        }
        if ((v = json_object_get(L, "tags")) && json_array_size(v)) {
            char buf[ANSWER] = "";
            size_t len = 0, i;
            json_t *x;
            json_array_foreach(v, i, x)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                        len ? " " : "", json_string_value(x));
            set_def(q + 2, buf);
        }
    }
}

/* ---- the chord-transition matrix ---- */

/* A chord state: a roman numeral I..VII in one case, optional b/#. */
static int
valid_roman(const char *s)
{
    static const char *const r[] = {"i", "ii", "iii", "iv", "v", "vi", "vii"};
    if (*s == 'b' || *s == '#')
        s++;
    char low[8];
    size_t n = strlen(s);
    if (!n || n > 3)
        return -1;
    bool up = isupper((unsigned char)s[0]);
    for (size_t i = 0; i < n; i++) {
        if ((bool)isupper((unsigned char)s[i]) != up)
            return -1;
        low[i] = (char)tolower((unsigned char)s[i]);
    }
    low[n] = '\0';
    for (int i = 0; i < 7; i++)
        if (!strcmp(low, r[i]))
            return i;
    return -1;
}

/* Every state named in a row must have a row of its own. */
static int
matrix_closed(json_t *tr, char *why, size_t n)
{
    const char *k, *k2;
    json_t *row, *w;
    json_object_foreach(tr, k, row)
        json_object_foreach(row, k2, w)
            if (!json_object_get(tr, k2)) {
                snprintf(why, n, "'%s' follows '%s' but has no row of its "
                         "own", k2, k);
                return -1;
            }
    return 0;
}

/* "I>IV:1,V:1;IV>V:1;V>I:1" (flag form) into chords.json's object. */
static json_t *
matrix_from_flag(const char *in, char *why, size_t n)
{
    json_t *tr = json_object(), *init = json_object();
    char buf[ANSWER];
    snprintf(buf, sizeof buf, "%s", in);
    char *save = NULL;
    for (char *row = strtok_r(buf, ";", &save); row;
         row = strtok_r(NULL, ";", &save)) {
        char *gt = strchr(row, '>');
        if (!gt) {
            snprintf(why, n, "row '%s': want STATE>NEXT:W,NEXT:W", row);
            goto fail;
        }
        *gt = '\0';
        char from[64];
        if (items(row, (char(*)[64])from, 1) != 1) {
            snprintf(why, n, "a row without a state");
            goto fail;
        }
        json_t *w = weights(gt + 1, valid_roman, "roman numeral (I..VII, "
                            "ii, bVII ...)", why, n);
        if (!w)
            goto fail;
        if (valid_roman(from) < 0) {
            snprintf(why, n, "'%s' is not a roman numeral", from);
            json_decref(w);
            goto fail;
        }
        json_object_set_new(tr, from, w);
        json_object_set_new(init, from, json_real(1));
    }
    if (!json_object_size(tr)) {
        snprintf(why, n, "no rows");
        goto fail;
    }
    if (matrix_closed(tr, why, n))
        goto fail;
    json_t *o = json_pack("{s:i,s:o,s:o}", "order", 1, "init_probs", init,
                          "transitions", tr);
    return o;
fail:
    json_decref(tr);
    json_decref(init);
    return NULL;
}

static json_t *
matrix_ask(void)
{
    char why[600], line[ANSWER];
    json_t *tr = json_object(), *init = json_object();
    char st[16][64];
    int k;
    for (;;) {
        printf("chord states, roman numerals [I IV V vi]: ");
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin))
            goto eof;
        line[strcspn(line, "\r\n")] = '\0';
        k = items(*line ? line : "I IV V vi", st, 16);
        int bad = -1;
        for (int i = 0; i < k && bad < 0; i++)
            if (valid_roman(st[i]) < 0)
                bad = i;
        if (k >= 2 && bad < 0)
            break;
        if (bad >= 0)
            printf("  ! '%s' is not a roman numeral (I..VII, ii, bVII); "
                   "try again\n", st[bad]);
        else
            printf("  ! give 2..16 states; try again\n");
    }
    for (int i = 0; i < k; i++) {
        char def[ANSWER] = "";
        size_t len = 0;
        for (int j = 0; j < k; j++)
            len += (size_t)snprintf(def + len, sizeof def - len, "%s%s:1",
                                    len ? " " : "", st[j]);
        for (;;) {
            printf("  after %s, weights of the next chord [%s]: ", st[i], def);
            fflush(stdout);
            if (!fgets(line, sizeof line, stdin))
                goto eof;
            line[strcspn(line, "\r\n")] = '\0';
            json_t *w = weights(*line ? line : def, valid_roman,
                                "roman numeral", why, sizeof why);
            const char *nk;
            json_t *nv;
            json_object_foreach(w, nk, nv) {
                bool known = false;
                for (int j = 0; j < k; j++)
                    known |= !strcmp(nk, st[j]);
                if (!known) {
                    snprintf(why, sizeof why, "'%s' is not one of the "
                             "states given", nk);
                    json_decref(w);
                    w = NULL;
                    break;
                }
            }
            if (w) {
                json_object_set_new(tr, st[i], w);
                json_object_set_new(init, st[i], json_real(1.0 / k));
                break;
            }
            printf("  ! %s; try again\n", why);
        }
    }
    return json_pack("{s:i,s:o,s:o}", "order", 1, "init_probs", init,
                     "transitions", tr);
eof:
    fprintf(stderr, "\nmusicgen genre new: input ended in the matrix\n");
    json_decref(tr);
    json_decref(init);
    return NULL;
}

/* ---- writing ---- */

static int
copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    int rc = -1;
    if (a && b) {
        char buf[8192];
        size_t n;
        rc = 0;
        while ((n = fread(buf, 1, sizeof buf, a)) > 0)
            if (fwrite(buf, 1, n, b) != n)
                rc = -1;
    }
    if (a)
        fclose(a);
    if (b && fclose(b))
        rc = -1;
    return rc;
}

static const char *
ts_file(const char *ts)
{
    static char buf[16];
    size_t j = 0;
    for (const char *p = ts; *p && j < sizeof buf - 1; p++)
        if (isdigit((unsigned char)*p))
            buf[j++] = *p;
    buf[j] = '\0';
    return buf;
}

static void
usage(FILE *f)
{
    fprintf(f,
"usage: musicgen genre new [--from NAME] [--genres-dir DIR] [--yes]\n"
"                          [--FIELD VALUE ...]\n"
"       musicgen genre new --list      drum styles and genres to start from\n"
"       musicgen genre new --midi      the General MIDI drum notes\n\n"
"Asks for every field of a genre (docs/genres.md), default in brackets\n"
"(Enter keeps it), checks each answer as it is typed, and writes\n"
"DIR/NAME/ (spec.json, drums_<sig>.txt for each time signature used,\n"
"chords.json if asked), after the genre loader accepted it.\n\n"
"Every answer is also a flag; --yes takes defaults for the rest:\n"
"  --name N  --description TEXT  --style pop|rock|jazz|...\n"
"  --tempo MIN-MAX (BPM, 20..400)  --swing MIN-MAX (0.5..0.8)\n"
"  --time-signatures '4/4:3 3/4:1'  --keys all|'C:1 Am:1'\n"
"  --chord-types 'maj:1 min:1'  --chord-filter none|'maj min'\n"
"  --inversions 'root:.6 first:.25 second:.15 third:0'\n"
"  --LAYER-probability P  --LAYER-programs 'PROG:W ...'  --LAYER-tags 'a b'\n"
"      (LAYER: beat melody harmony bassline)\n"
"  --fx 'reverb:1 distortion:0'  --drums STYLE|from  --chords no|yes\n"
"  --chord-matrix 'I>IV:1,V:1;IV>V:1;V>I:1'\n"
"  --genres-dir DIR   where to write (default: $MUSICGEN_GENRES_DIR, else\n"
"                     the installed genres); --from NAME looks there,\n"
"                     then in the installed genres\n"
"  --force            replace an existing genre of that name\n");
}

static void
list(const char *genres_dir)
{
    printf("drum styles (%s):\n", starters_dir);
    DIR *d = opendir(starters_dir);
    struct dirent *e;
    char names[32][256];
    int n = 0;
    while (d && (e = readdir(d)) && n < 32)
        if (e->d_name[0] != '.')
            snprintf(names[n++], 256, "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof *names,
          (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        char p[1600], line[300] = "";
        snprintf(p, sizeof p, "%.1200s/%.255s/README", starters_dir,
                 names[i]);
        FILE *f = fopen(p, "r");
        if (f && fgets(line, sizeof line, f))
            line[strcspn(line, "\n")] = '\0';
        if (f)
            fclose(f);
        printf("  %-12s %s\n", names[i], line);
    }
    char **g = NULL, err[600];
    int ng = mg_genre_list(genres_dir, &g, err, sizeof err);
    printf("genres to start from (--from, %s):\n ", genres_dir);
    for (int i = 0; i < ng; i++)
        printf(" %s", g[i]);
    printf("\n");
    if (ng > 0)
        mg_genre_names_free(g, ng);
}

static int
genre_new(int argc, char **argv)
{
    question qs[NQ];
    memset(qs, 0, sizeof qs);
    static const struct { const char *key, *prompt, *def; parse_fn p; } base[] = {
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
        set_def(&qs[i], base[i].def);
    }
    for (int l = 0; l < 4; l++) {
        static const char *const what[3] = {"probability", "programs",
                                            "tags"};
        static const parse_fn fn[3] = {p_prob, p_programs, p_tags};
        for (int k = 0; k < 3; k++) {
            question *q = &qs[Q_LAYER0 + 3 * l + k];
            snprintf(keys[3 * l + k], 40, "%s-%s", layer_names[l], what[k]);
            snprintf(prompts[3 * l + k], 120, "%s",
                     k == 0 ? "layer %s: chance it plays in a part (0..1)"
                     : k == 1 ? "layer %s: GM programs PROG:WEIGHT"
                     : "layer %s: soundfont tags");
            char p[120];
            snprintf(p, sizeof p, prompts[3 * l + k], layer_names[l]);
            snprintf(prompts[3 * l + k], 120, "%s", p);
            q->key = keys[3 * l + k];
            q->prompt = prompts[3 * l + k];
            q->parse = fn[k];
            set_def(q, k == 0 ? "1" : k == 1 ? def_prog[l] : def_tags[l]);
        }
    }
    qs[Q_FX] = (question){"fx", "effect multipliers EFFECT:M (0..10; "
                          "left out = 1)", p_fx, "", "", false, NULL};
    set_def(&qs[Q_FX], "reverb:1 chorus:1 delay:1 compressor:1 eq:1 "
            "filter:1 distortion:1 phaser:1");
    qs[Q_DRUMS] = (question){"drums", "starter drum style (backbeat swing "
                             "electronic one-drop minimal)", p_drums, "",
                             "", false, NULL};
    set_def(&qs[Q_DRUMS], "backbeat");
    qs[Q_MATRIX] = (question){"chords", "write a chord-transition matrix? "
                              "(yes/no)", p_yesno, "", "", false, NULL};
    set_def(&qs[Q_MATRIX], "no");

    char dir[1024];
    const char *env = getenv("MUSICGEN_GENRES_DIR");
    snprintf(dir, sizeof dir, "%s", env && *env ? env : "");
    if (!dir[0])
        snprintf(dir, sizeof dir, "%s/genres", mg_data_dir());
    snprintf(starters_dir, sizeof starters_dir, "%s/genres/starters",
             mg_data_dir());
    const char *from = NULL, *matrix_flag = NULL;
    bool yes = false, force = false, want_list = false, want_midi = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            want_list = true;
        } else if (!strcmp(a, "--midi")) {
            want_midi = true;
        } else if (!strcmp(a, "--yes") || !strcmp(a, "-y")) {
            yes = true;
        } else if (!strcmp(a, "--force")) {
            force = true;
        } else if (!strcmp(a, "--from") && v) {
            from = v, i++;
        } else if (!strcmp(a, "--genres-dir") && v) {
            snprintf(dir, sizeof dir, "%s", v), i++;
        } else if (!strcmp(a, "--chord-matrix") && v) {
            matrix_flag = v, i++;
        } else if (!strncmp(a, "--", 2) && v) {
            int k;
            for (k = 0; k < NQ; k++)
                if (!strcmp(a + 2, qs[k].key))
                    break;
            if (k == NQ) {
                fprintf(stderr, "musicgen genre new: unknown option '%s' "
                        "(try --help)\n", a);
                return 2;
            }
            snprintf(qs[k].given, sizeof qs[k].given, "%s", v);
            qs[k].has_flag = true;
            i++;
        } else {
            fprintf(stderr, "musicgen genre new: unexpected argument '%s' "
                    "(try --help)\n", a);
            return 2;
        }
    }
    if (want_midi) {
        printf("General MIDI drum notes (names usable in drums_<sig>.txt; "
               "a number 1..127 works too):\n");
        int note;
        const char *nm;
        for (size_t i = 0; (nm = mg_drum_voice(i, &note)); i++)
            printf("  %3d  %s\n", note, nm);
        return 0;
    }
    if (want_list) {
        list(dir);
        return 0;
    }
    /* --from: the target directory's genre, else the installed one */
    char from_dir[1024];
    snprintf(from_dir, sizeof from_dir, "%s", dir);
    if (from) {
        char p[1400];
        json_error_t je;
        json_t *spec = NULL;
        for (int t = 0; t < 2 && !spec && !strchr(from, '/'); t++) {
            if (t == 1)
                snprintf(from_dir, sizeof from_dir, "%s/genres",
                         mg_data_dir());
            snprintf(p, sizeof p, "%s/%s/spec.json", from_dir, from);
            spec = json_load_file(p, 0, &je);
        }
        if (!spec) {
            fprintf(stderr, "musicgen genre new: --from %s: no genre %s in "
                    "%s nor %s/genres\n", from, from, dir, mg_data_dir());
            return 2;
        }
        defaults_from(qs, spec);
        json_decref(spec);
        set_def(&qs[Q_DRUMS], "from");
        qs[Q_DRUMS].prompt = "starter drum style (backbeat swing electronic "
                             "one-drop minimal), or from (copy the --from "
                             "genre's)";
    }
    if (matrix_flag) {
        qs[Q_MATRIX].has_flag = true;
        snprintf(qs[Q_MATRIX].given, sizeof qs[Q_MATRIX].given, "yes");
    }
    bool interactive = !yes;
    if (interactive)
        printf("A new genre: Enter keeps the [default]; docs/genres.md "
               "explains each field.\n");
    json_t *spec = json_object();
    int rc = 1;
    char stage[1300] = "", gdir[1400] = "", target[1400] = "";
    json_t *matrix = NULL;
    for (int i = 0; i < NQ; i++) {
        if (ask(&qs[i], interactive))
            goto out;
        if (interactive && !qs[i].has_flag &&
            (i == Q_TS || i == Q_KEYS || i == Q_CHORDS || i == Q_INV) &&
            json_is_object(qs[i].value) && json_object_size(qs[i].value) > 1)
            show_weights(qs[i].value);
        if (i == Q_NAME) {
            snprintf(target, sizeof target, "%s/%s", dir,
                     json_string_value(qs[i].value));
            struct stat st;
            if (!force && !stat(target, &st)) {
                fprintf(stderr, "musicgen genre new: %s exists (choose "
                        "another name, or --force)\n", target);
                goto out;
            }
        }
    }
    /* spec.json, fields in the documented order */
    json_object_set(spec, "name", qs[Q_NAME].value);
    json_object_set(spec, "description", qs[Q_DESC].value);
    json_object_set(spec, "style", qs[Q_STYLE].value);
    json_object_set(spec, "tempo", qs[Q_TEMPO].value);
    json_object_set(spec, "swing", qs[Q_SWING].value);
    json_object_set(spec, "time_signatures", qs[Q_TS].value);
    if (!json_is_null(qs[Q_KEYS].value))
        json_object_set(spec, "keys", qs[Q_KEYS].value);
    json_object_set(spec, "chord_types", qs[Q_CHORDS].value);
    if (!json_is_null(qs[Q_FILTER].value))
        json_object_set(spec, "chord_filter", qs[Q_FILTER].value);
    json_object_set(spec, "inversions", qs[Q_INV].value);
    json_t *layers = json_object();
    for (int l = 0; l < 4; l++) {
        json_t *L = json_object();
        json_object_set(L, "probability", qs[Q_LAYER0 + 3 * l].value);
        json_object_set(L, "tags", qs[Q_LAYER0 + 3 * l + 2].value);
        json_object_set(L, "programs", qs[Q_LAYER0 + 3 * l + 1].value);
        json_object_set_new(layers, layer_names[l], L);
    }
    json_object_set_new(spec, "layers", layers);
    json_object_set(spec, "fx", qs[Q_FX].value);
    if (json_is_true(qs[Q_MATRIX].value)) {
        char why[600];
        matrix = matrix_flag ? matrix_from_flag(matrix_flag, why, sizeof why)
               : interactive ? matrix_ask() : NULL;
        if (!matrix) {
            if (matrix_flag)
                fprintf(stderr, "musicgen genre new: --chord-matrix: %s\n",
                        why);
            else if (!interactive)
                fprintf(stderr, "musicgen genre new: --chords yes needs "
                        "--chord-matrix with --yes\n");
            goto out;
        }
    }
    /* stage, load with the real loader, then move into place */
    const char *name = json_string_value(qs[Q_NAME].value);
    snprintf(stage, sizeof stage, "%s/.genre-new-%ld", dir, (long)getpid());
    snprintf(gdir, sizeof gdir, "%s/%s", stage, name);
    if (mg_dir_make(gdir)) {
        fprintf(stderr, "musicgen genre new: %s: %s\n", gdir, strerror(errno));
        goto out;
    }
    char p[1600];
    snprintf(p, sizeof p, "%s/spec.json", gdir);
    if (json_dump_file(spec, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                       JSON_REAL_PRECISION(6))) {
        fprintf(stderr, "musicgen genre new: cannot write %s\n", p);
        goto out;
    }
    if (matrix) {
        snprintf(p, sizeof p, "%s/chords.json", gdir);
        if (json_dump_file(matrix, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                           JSON_REAL_PRECISION(6))) {
            fprintf(stderr, "musicgen genre new: cannot write %s\n", p);
            goto out;
        }
    }
    const char *style = json_string_value(qs[Q_DRUMS].value);
    const char *k;
    json_t *w;
    json_object_foreach(qs[Q_TS].value, k, w) {
        if (json_real_value(w) <= 0)
            continue;
        char src[1600], dst[1700];
        if (!strcmp(style, "from"))
            snprintf(src, sizeof src, "%s/%s/drums_%s.txt", from_dir, from,
                     ts_file(k));
        else
            snprintf(src, sizeof src, "%s/%s/drums_%s.txt", starters_dir,
                     style, ts_file(k));
        snprintf(dst, sizeof dst, "%s/drums_%s.txt", gdir, ts_file(k));
        if (copy_file(src, dst)) {
            fprintf(stderr, "musicgen genre new: no %s drum patterns for %s "
                    "(%s)\n", style, k, src);
            goto out;
        }
    }
    char err[1200];
    mg_genre *g = mg_genre_load(stage, name, err, sizeof err);
    if (!g) {
        fprintf(stderr, "musicgen genre new: the genre does not load: %s\n",
                err);
        goto out;
    }
    mg_genre_destroy(&g);
    if (force)
        mg_dir_remove(target);
    if (rename(gdir, target)) {
        fprintf(stderr, "musicgen genre new: %s: %s\n", target,
                strerror(errno));
        goto out;
    }
    printf("wrote %s/ (spec.json, drum patterns%s); it loads.\n"
           "try: musicgen generate --seed 1 --count 1 --out /tmp/%s-demo -g %s"
           "%s%s\n", target, matrix ? ", chords.json" : "", name, name,
           env && *env && !strcmp(env, dir) ? "" : " --genres-dir ",
           env && *env && !strcmp(env, dir) ? "" : dir);
    rc = 0;
out:
    if (stage[0])
        mg_dir_remove(stage);
    for (int i = 0; i < NQ; i++)
        json_decref(qs[i].value);
    json_decref(spec);
    json_decref(matrix);
    return rc;
}

int
mg_cmd_genre(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "new"))
        return genre_new(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "usage: musicgen genre new [options] (try musicgen "
            "genre new --help)\n");
    return 2;
}
