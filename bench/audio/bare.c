/*
 * bare — bench_audio's bare synthesizer (ba.h): each sample's four MIDIs
 * through libfluidsynth with its defaults, as `fluidsynth -F` would, in a
 * child process forked before the engine loads anything.
 *
 * Invariant: each font is loaded once, before the sample that first
 * needs it is timed; exactly the sample's frame count is rendered per
 * stem, into a scratch buffer (no mix, score or writes).
 */
#include "ba.h"

#include <fluidsynth.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
silence_log(int level, const char *msg, void *data)
{
    (void)level;
    (void)msg;
    (void)data;
}

/* Bare synthesis of one sample's four MIDIs: returns seconds spent.
 * peak: NULL, or each stem's peak |sample| (a check that every stem
 * sounds: a stem whose MIDI asks for a preset its font lacks renders
 * silence, and a benchmark of silence would be unfair). */
static double
bare_sample(fluid_settings_t *st, fluid_synth_t *const *lsyn,
            const sample_info *si, float *buf, int chunk, float *peak)
{
    double t0 = ba_now();

    for (int l = 0; l < MG_NLAYERS; l++) {
        char p[1400];
        fluid_player_t *pl;
        fluid_synth_t *syn = lsyn[l];
        long done = 0;

        snprintf(p, sizeof p, "%.1200s/midi/%.16s.mid", si->dir,
                 mg_layer_name((mg_layer)l));
        fluid_synth_system_reset(syn);
        pl = new_fluid_player(syn);
        if (!pl || fluid_player_add(pl, p) != FLUID_OK) {
            fprintf(stderr, "bench_audio: player cannot load %s\n", p);
            if (pl)
                delete_fluid_player(pl);
            continue;
        }
        fluid_player_play(pl);
        while (done < si->frames) {
            int n = si->frames - done < chunk ? (int)(si->frames - done)
                                              : chunk;
            fluid_synth_write_float(syn, n, buf, 0, 2, buf, 1, 2);
            for (int i = 0; peak && i < 2 * n; i++)
                if (buf[i] > peak[l] || -buf[i] > peak[l])
                    peak[l] = buf[i] > 0 ? buf[i] : -buf[i];
            done += n;
        }
        fluid_player_stop(pl);
        delete_fluid_player(pl);
    }
    (void)st;
    return ba_now() - t0;
}

void
ba_bare_child(int rfd, int wfd, int rate)
{
    enum { CHUNK = 4096 };
    static float buf[2 * CHUNK];
    fluid_settings_t *st;
    static fluid_synth_t *fsyn[16];
    static char fname[16][1200];
    int nf = 0;
    bare_req q;

    fluid_set_log_function(FLUID_WARN, silence_log, NULL);
    fluid_set_log_function(FLUID_INFO, silence_log, NULL);
    fluid_set_log_function(FLUID_DBG, silence_log, NULL);
    st = new_fluid_settings();
    fluid_settings_setnum(st, "synth.sample-rate", rate);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    fluid_settings_setstr(st, "player.timing-source", "sample");
    while (ba_xfer(rfd, &q, sizeof q, 0) == 0 && q.go) {
        bare_rep r = {0, 0, 0, {0}};
        fluid_synth_t *lsyn[MG_NLAYERS] = {NULL};
        int ok = 1;
        /* each stem's font loaded once (a synth per font), before the
         * sample that first needs it is timed */
        for (int l = 0; l < MG_NLAYERS && ok; l++) {
            int k;
            for (k = 0; k < nf; k++)
                if (!strcmp(fname[k], q.si.lfont[l]))
                    break;
            if (k == nf && nf < 16) {
                fsyn[nf] = new_fluid_synth(st);
                if (!fsyn[nf] ||
                    fluid_synth_sfload(fsyn[nf], q.si.lfont[l], 1) ==
                        FLUID_FAILED) {
                    ok = 0;
                    break;
                }
                snprintf(fname[nf], sizeof fname[nf], "%s", q.si.lfont[l]);
                nf++;
            }
            lsyn[l] = k < nf ? fsyn[k] : NULL;
            ok = lsyn[l] != NULL;
        }
        if (ok) {
            double c0 = ba_cpu_now();
            r.wall = bare_sample(st, lsyn, &q.si, buf, CHUNK,
                                 q.check ? r.peak : NULL);
            r.cpu = ba_cpu_now() - c0;
            r.ok = 1;
        }
        if (ba_xfer(wfd, &r, sizeof r, 1) < 0)
            break;
    }
    for (int k = 0; k < nf; k++)
        if (fsyn[k])
            delete_fluid_synth(fsyn[k]);
    delete_fluid_settings(st);
    _exit(0);
}
