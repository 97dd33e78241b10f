/*
 * annotate — the song's part of sample.json: key, tempo, meter and swing,
 * the arrangement and chords, the beat grids, the tempo map, the
 * performance drawn, every note of every layer, the instruments, and the
 * symbolic quality verdict. Every time is the song's tick through its
 * tempo map (mg_song_seconds), so the annotations agree with the MIDI
 * files to the microsecond (docs/sample-json.md). Moved out of engine.c,
 * which adds the run's part (seeds, versions, genres, split, paths,
 * checksums) and writes the file.
 */
#include "annotate.h"

#include <stdio.h>
#include <string.h>

#include "jsonout.h"
#include "theory.h"

static json_t *
secs(const mg_song *s, uint32_t tick)
{
    return mg_json_real(mg_song_seconds(s, tick), 6);
}

/* Beat grids (docs/sample-json.md, "Beats"): beat_times counts the
 * time signature's beat (quarter, dotted quarter in 6/8 and 12/8, eighth in
 * 7/8); felt_beat_times the felt pulse (7/8 grouped 2+2+3);
 * denominator_beat_times every denominator note. All on the metrical grid
 * (swing and humanisation never move them), all through the tempo map. */
static void
add_beats(const mg_song *s, json_t *root)
{
    json_t *beats = json_array(), *downs = json_array(), *pos = json_array();
    json_t *felt = json_array(), *fpos = json_array();
    json_t *den = json_array(), *dpos = json_array();
    for (int p = 0; p < s->nparts; p++) {
        const mg_part *pt = &s->parts[p];
        uint32_t bar = mg_ts_bar_ticks(pt->ts), bt = mg_ts_beat_ticks(pt->ts);
        uint32_t dt = mg_ts_den_ticks(pt->ts), foff[12];
        int nb = mg_ts_beats(pt->ts), nf = mg_ts_felt_beats(pt->ts, foff);
        int nd = (int)(bar / dt);
        for (int m = 0; m < pt->measures; m++) {
            uint32_t t0 = pt->start_tick + (uint32_t)m * bar;
            if (t0 >= pt->end_tick) break;
            for (int b = 0; b < nb; b++) {
                uint32_t t = t0 + (uint32_t)b * bt;
                json_array_append_new(beats, secs(s, t));
                json_array_append_new(pos, json_integer(b + 1));
                if (!b) json_array_append_new(downs, secs(s, t));
            }
            for (int b = 0; b < nf; b++) {
                json_array_append_new(felt, secs(s, t0 + foff[b]));
                json_array_append_new(fpos, json_integer(b + 1));
            }
            for (int b = 0; b < nd; b++) {
                json_array_append_new(den, secs(s, t0 + (uint32_t)b * dt));
                json_array_append_new(dpos, json_integer(b + 1));
            }
        }
    }
    json_object_set_new(root, "beat_times", beats);
    json_object_set_new(root, "downbeat_times", downs);
    json_object_set_new(root, "beat_positions", pos);
    json_object_set_new(root, "felt_beat_times", felt);
    json_object_set_new(root, "felt_beat_positions", fpos);
    json_object_set_new(root, "denominator_beat_times", den);
    json_object_set_new(root, "denominator_beat_positions", dpos);
    json_t *u = json_object();
    json_object_set_new(u, "beat_times", json_string(mg_ts_beat_unit(s->ts)));
    json_object_set_new(u, "felt_beat_times",
                        json_string(mg_ts_felt_unit(s->ts)));
    json_object_set_new(u, "denominator_beat_times",
                        json_string(mg_ts_den_unit(s->ts)));
    json_object_set_new(root, "beat_unit", u);
}

static void
add_structure(const mg_song *s, json_t *root)
{
    json_t *arr = json_array(), *prog = json_object(), *chords = json_array();
    json_t *tsp = json_array(), *mpp = json_array(), *act = json_array();
    for (int p = 0; p < s->nparts; p++) {
        const mg_part *pt = &s->parts[p];
        const char *name = mg_part_name(pt->kind);
        json_t *layers = json_array();
        for (int l = 0; l < MG_NLAYERS; l++)
            if (pt->active[l])
                json_array_append_new(layers,
                                      json_string(mg_layer_name((mg_layer)l)));
        json_t *romans = json_array(), *hartes = json_array();
        for (int k = 0; k < pt->nchords; k++) {
            const mg_chord *ch = &pt->chords[k];
            char harte[32], sym[32];
            mg_chord_harte(harte, sizeof harte, ch->root_pc, ch->type,
                           ch->inversion);
            mg_chord_symbol(sym, sizeof sym, ch->root_pc, ch->type,
                            ch->inversion);
            json_array_append_new(romans, json_string(ch->roman));
            json_array_append_new(hartes, json_string(harte));
            json_t *c = json_object();
            json_object_set_new(c, "part_index", json_integer(p));
            json_object_set_new(c, "start_seconds", secs(s, ch->start_tick));
            json_object_set_new(c, "end_seconds", secs(s, ch->end_tick));
            json_object_set_new(c, "harte", json_string(harte));
            json_object_set_new(c, "symbol", json_string(sym));
            json_object_set_new(c, "roman", json_string(ch->roman));
            json_object_set_new(c, "root", json_string(mg_pc_name(ch->root_pc)));
            json_object_set_new(
                c, "quality", json_string(mg_chord_info_of(ch->type)->name));
            json_object_set_new(c, "inversion", json_integer(ch->inversion));
            json_t *v = json_array();
            for (int i = 0; i < ch->nvoices; i++)
                json_array_append_new(v, json_integer(ch->voicing[i]));
            json_object_set_new(c, "voicing", v);
            json_array_append_new(chords, c);
        }
        json_t *a = json_object();
        json_object_set_new(a, "part", json_string(name));
        json_object_set_new(a, "start_seconds", secs(s, pt->start_tick));
        json_object_set_new(a, "end_seconds", secs(s, pt->end_tick));
        json_object_set_new(a, "time_signature",
                            json_string(mg_ts_name(pt->ts)));
        json_object_set_new(a, "measures", json_integer(pt->measures));
        json_object_set_new(a, "swing", mg_json_real(mg_part_swing(s, pt), 4));
        json_t *u = json_object();
        json_object_set_new(u, "beat_times",
                            json_string(mg_ts_beat_unit(pt->ts)));
        json_object_set_new(u, "felt_beat_times",
                            json_string(mg_ts_felt_unit(pt->ts)));
        json_object_set_new(u, "denominator_beat_times",
                            json_string(mg_ts_den_unit(pt->ts)));
        json_object_set_new(a, "beat_unit", u);
        json_object_set_new(a, "active_layers", json_deep_copy(layers));
        json_object_set_new(a, "chords", json_deep_copy(romans));
        json_object_set_new(a, "chords_harte", hartes);
        json_array_append_new(arr, a);
        /* The Python tool's per-part forms, keyed by part name (first
         * occurrence of each part wins, as parts repeat). */
        if (!json_object_get(prog, name))
            json_object_set(prog, name, romans);
        json_decref(romans);
        json_array_append_new(tsp, json_string(mg_ts_name(pt->ts)));
        json_array_append_new(mpp, json_integer(pt->measures));
        json_array_append_new(act, layers);
    }
    json_object_set_new(root, "song_arrangement", arr);
    json_object_set_new(root, "chord_progression", prog);
    json_object_set_new(root, "chords", chords);
    json_object_set_new(root, "time_signatures_per_part", tsp);
    json_object_set_new(root, "measures_per_part", mpp);
    json_object_set_new(root, "active_layers", act);
}

/* The tempo map: every tempo in force, from tick 0 on (one entry for a
 * song with one tempo). */
static void
add_tempo(const mg_song *s, json_t *root)
{
    json_t *map = json_array();
    int n = s->ntempi > 0 ? s->ntempi : 1;
    double lo = 1e9, hi = 0;
    for (int i = 0; i < n; i++) {
        uint32_t tick = s->ntempi ? s->tempi[i].tick : 0;
        uint32_t us = s->ntempi ? s->tempi[i].us : s->us_per_quarter;
        json_t *e = json_object();
        json_object_set_new(e, "tick", json_integer(tick));
        json_object_set_new(e, "seconds", secs(s, tick));
        json_object_set_new(e, "us_per_quarter", json_integer(us));
        json_object_set_new(e, "bpm", mg_json_real(60e6 / us, 6));
        json_array_append_new(map, e);
        if (60e6 / us < lo) lo = 60e6 / us;
        if (60e6 / us > hi) hi = 60e6 / us;
    }
    json_object_set_new(root, "tempo_map", map);
    json_object_set_new(root, "tempo_min_bpm", mg_json_real(lo, 6));
    json_object_set_new(root, "tempo_max_bpm", mg_json_real(hi, 6));
    json_object_set_new(
        root, "tempo_bpm_meaning",
        json_string("quarter notes per minute at the start of the song "
                    "(tempo_map[0]); tempo_map lists every change"));
    /* the felt pulse per minute at the opening tempo */
    double felt = s->tempo_bpm;
    if (mg_ts_compound(s->ts))
        felt = s->tempo_bpm * 2 / 3;
    else if (s->ts == MG_TS_7_8)
        felt = s->tempo_bpm * 3 / 3.5;
    json_object_set_new(root, "felt_tempo_bpm", mg_json_real(felt, 6));
}

static json_t *
layer_obj(const double *v, int digits)
{
    json_t *o = json_object();
    for (int l = 0; l < MG_NLAYERS; l++)
        json_object_set_new(o, mg_layer_name((mg_layer)l),
                            mg_json_real(v[l], digits));
    return o;
}

static void
add_performance(const mg_song *s, json_t *root)
{
    const mg_perf *pf = &s->perf;
    json_t *o = json_object();
    json_object_set_new(o, "offset_ms", layer_obj(pf->offset_ms, 4));
    json_object_set_new(o, "jitter_ms", layer_obj(pf->jitter_ms, 4));
    json_object_set_new(o, "legato", layer_obj(pf->legato, 4));
    json_object_set_new(o, "accent", mg_json_real(pf->accent, 4));
    json_object_set_new(o, "ghost", mg_json_real(pf->ghost, 4));
    json_object_set_new(o, "phrase", mg_json_real(pf->phrase, 4));
    json_object_set_new(o, "velocity_jitter", mg_json_real(pf->vel_jitter, 4));
    json_object_set_new(o, "ritardando", json_boolean(pf->ritardando));
    json_object_set_new(o, "ritardando_depth", mg_json_real(pf->rit_depth, 4));
    json_object_set_new(o, "part_tempo", json_boolean(pf->part_tempo));
    json_t *pt = json_object();
    for (int k = 0; k < MG_NPARTKINDS; k++)
        json_object_set_new(pt, mg_part_name((mg_part_kind)k),
                            mg_json_real(pf->part_factor[k], 4));
    json_object_set_new(o, "part_tempo_factors", pt);
    json_object_set_new(o, "rubato", mg_json_real(pf->rubato, 4));
    json_object_set_new(root, "performance", o);
}

/* Every note of every layer as played (after swing and humanisation),
 * per layer in columns: the MIDI file's notes, one for one. */
static void
add_notes(const mg_song *s, json_t *root)
{
    json_t *all = json_object();
    for (int l = 0; l < MG_NLAYERS; l++) {
        const mg_track *t = &s->track[l];
        json_t *o = json_object(), *on = json_array(), *off = json_array();
        json_t *pi = json_array(), *ve = json_array();
        for (size_t i = 0; i < t->n; i++) {
            const mg_note *n = &t->v[i];
            json_array_append_new(on, secs(s, n->tick));
            json_array_append_new(off, secs(s, n->tick + n->dur));
            json_array_append_new(pi, json_integer(n->pitch));
            json_array_append_new(ve, json_integer(n->vel));
        }
        json_object_set_new(o, "instrument", json_integer(s->program[l]));
        json_object_set_new(o, "onset", on);
        json_object_set_new(o, "offset", off);
        json_object_set_new(o, "pitch", pi);
        json_object_set_new(o, "velocity", ve);
        json_object_set_new(all, mg_layer_name((mg_layer)l), o);
    }
    json_object_set_new(root, "notes", all);
}

json_t *
mg_quality_json(const mg_quality *q)
{
    json_t *j = json_object();
    json_object_set_new(j, "passed", json_boolean(q->passed));
    json_object_set_new(j, "score", mg_json_real(q->score, 4));
    json_t *soft = json_object();
    for (int k = 0; k < MG_NQSOFT; k++)
        json_object_set_new(soft, mg_quality_soft_name(k),
                            mg_json_real(q->soft[k], 4));
    json_object_set_new(j, "components", soft);
    json_t *f = json_array();
    for (int k = 0; k < q->nfail; k++)
        json_array_append_new(f, json_string(q->fail[k]));
    json_object_set_new(j, "hard_failures", f);
    return j;
}

/* The song's part of sample.json (annotate.h). */
void
mg_annotate_song(const mg_song *s, json_t *j)
{
    json_object_set_new(j, "key", json_string(mg_pc_name(s->tonic_pc)));
    json_object_set_new(j, "mode", json_string(mg_mode_name(s->mode)));
    char buf[64];
    snprintf(buf, sizeof buf, "%s %s", mg_pc_name(s->tonic_pc),
             mg_mode_name(s->mode));
    json_object_set_new(j, "key_label", json_string(buf));
    json_object_set_new(j, "tempo_bpm", mg_json_real(s->tempo_bpm, 6));
    json_object_set_new(j, "us_per_quarter", json_integer(s->us_per_quarter));
    json_object_set_new(j, "ppq", json_integer(MG_PPQ));
    json_object_set_new(j, "time_signature", json_string(mg_ts_name(s->ts)));
    json_object_set_new(j, "swing", mg_json_real(mg_song_swing(s), 4));
    json_object_set_new(j, "swing_drawn", mg_json_real(s->swing, 4));
    json_object_set_new(j, "duration_seconds",
                        mg_json_real(mg_song_duration(s), 6));
    add_structure(s, j);
    add_beats(s, j);
    add_tempo(s, j);
    add_performance(s, j);
    add_notes(s, j);

    json_t *inst = json_object();
    for (int l = 0; l < MG_NLAYERS; l++) {
        json_t *o = json_object();
        json_object_set_new(o, "program", json_integer(s->program[l]));
        json_object_set_new(o, "channel",
                            json_integer(l == MG_LAYER_BEAT ? 10 : l));
        json_object_set_new(o, "notes", json_integer((json_int_t)s->track[l].n));
        json_object_set_new(inst, mg_layer_name((mg_layer)l), o);
    }
    json_object_set_new(j, "instruments", inst);
}
