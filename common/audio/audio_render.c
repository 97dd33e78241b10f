/*
 * audio_render — one synthesis pass per font: every layer drawn on that
 * font rendered at once on a fresh synth that borrows the loaded font,
 * the pass's k layers on MIDI channels 0..k-1 in layer order, channel g
 * being audio group g and effects group g (synth.audio-groups =
 * synth.effects-groups = k), so fluid_synth_process
 * returns each layer's dry signal and its own reverb and chorus returns
 * separately; then, per SBLOCK frames and layer while in cache, the
 * insert chain, the returns, a DC blocker, the gain envelope, the store.
 *
 * Invariants:
 *  - a fresh synth per pass: no synth state (voice ramps, reverb/chorus
 *    delay lines and LFO phases, voice order) survives from one sample to
 *    the next, so a sample's bytes never depend on what the process
 *    rendered before;
 *  - notes are scheduled by us at sample positions (seconds = tick *
 *    us_per_quarter / (MG_PPQ * 1e6), rounded to the nearest 64-frame
 *    synth block: at most 0.73 ms early or late at 44.1 kHz) and the
 *    font's measured pre-roll is skipped, so onsets sit on the annotated
 *    times;
 *  - where a layer's gain envelope is 0 its stem is 0 and its insert chain
 *    does not run; the chain restarts fresh where the layer comes back
 *    (decided by song frames only, so block splits never change bytes);
 *  - no stem ever exists at full length in float.
 */
#include "audio_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rendering ------------------------------------------------------ */

typedef struct {
    long block;     /* synth block the event is issued before */
    int on;         /* 1 note-on, 0 note-off */
    int chan;       /* the layer's channel: its rank in the pass */
    int pitch, vel;
} event;

static int
cmp_event(const void *x, const void *y)
{
    const event *a = x, *b = y;
    if (a->block != b->block)
        return a->block < b->block ? -1 : 1;
    if (a->on != b->on)
        return a->on - b->on;      /* offs first: a repeated note retriggers */
    if (a->chan != b->chan)
        return a->chan - b->chan;
    if (a->pitch != b->pitch)
        return a->pitch - b->pitch;
    return a->vel - b->vel;
}

/* FluidSynth's reverb and chorus for a layer on channel g (effects group
 * g): our
 * parameters map one to one (width and the return level as drawn; chorus
 * with three voices, sine LFO); a layer without the effect has its unit
 * off. The send (CC 91 / 93) is full when the effect is on. */
static void
set_synth_fx(fluid_synth_t *syn, int l, const mg_fx_chain *c)
{
    bool rv = c->on[MG_FX_REVERB], ch = c->on[MG_FX_CHORUS];
    const double *r = c->p[MG_FX_REVERB], *k = c->p[MG_FX_CHORUS];

    fluid_synth_reverb_on(syn, l, rv);
    fluid_synth_chorus_on(syn, l, ch);
    if (rv) {
        /* parameter order: damping, room_size, wet, width */
        fluid_synth_set_reverb_group_roomsize(syn, l, r[1]);
        fluid_synth_set_reverb_group_damp(syn, l, r[0]);
        fluid_synth_set_reverb_group_width(syn, l, r[3]);
        fluid_synth_set_reverb_group_level(syn, l, r[2]);
    }
    if (ch) {
        /* parameter order: depth_ms, mix, rate_hz */
        fluid_synth_set_chorus_group_nr(syn, l, 3);
        fluid_synth_set_chorus_group_level(syn, l, k[1]);
        fluid_synth_set_chorus_group_speed(syn, l, k[2]);
        fluid_synth_set_chorus_group_depth(syn, l, k[0]);
        fluid_synth_set_chorus_group_type(syn, l, FLUID_CHORUS_MOD_SINE);
    }
    fluid_synth_cc(syn, l, 91, rv ? 127 : 0);
    fluid_synth_cc(syn, l, 93, ch ? 127 : 0);
}

/* A DC blocker (one pole at about 3.5 Hz, inaudible): some patches (pads
 * above all) carry a DC offset that the loudness gain would otherwise
 * raise to a few percent of full scale in the stem and the mix. Its state
 * runs on in song order across pieces and starts from rest where the
 * layer's chain restarts, so it is as split-invariant as the chain. */
typedef struct {
    double x1[2], y1[2];
} dcblock;

/* One frame through one layer's blocker, both channels: each channel's
 * recursion is a loop-carried dependency, so two independent chains per
 * step keep the CPU busy (one channel after the other, the loop waited
 * on each multiply-add; the same arithmetic per channel either way).
 * Inlined, the state lives in registers. */
typedef struct {
    double x1l, y1l, x1r, y1r;
} dcregs;

static inline __attribute__((always_inline)) void
dc_step(dcregs *r, float *x)
{
    const double R = 0.9995;
    double inl = x[0], inr = x[1];
    double yl = inl - r->x1l + R * r->y1l, yr = inr - r->x1r + R * r->y1r;

    r->x1l = inl;
    r->x1r = inr;
    r->y1l = yl;
    r->y1r = yr;
    x[0] = (float)yl;
    x[1] = (float)yr;
}

static inline __attribute__((always_inline)) dcregs
dc_load(const dcblock *b)
{
    return (dcregs){b->x1[0], b->y1[0], b->x1[1], b->y1[1]};
}

static inline __attribute__((always_inline)) void
dc_save(const dcregs *r, dcblock *b)
{
    b->x1[0] = r->x1l;
    b->y1[0] = r->y1l;
    b->x1[1] = r->x1r;
    b->y1[1] = r->y1r;
}

static void
dcblock_run(dcblock *b, float *x, size_t m)
{
    dcregs r = dc_load(b);

    for (size_t i = 0; i < m; i++)
        dc_step(&r, x + 2 * i);
    dc_save(&r, b);
}

/* Two layers' blockers over the same m frames in one loop: four
 * independent chains a step, where one layer's two left the loop waiting
 * on each multiply-add (each layer's arithmetic is dcblock_run's). */
static void
dcblock_run2(dcblock *b, float *x, dcblock *c, float *y, size_t m)
{
    dcregs r = dc_load(b), t = dc_load(c);

    for (size_t i = 0; i < m; i++) {
        dc_step(&r, x + 2 * i);
        dc_step(&t, y + 2 * i);
    }
    dc_save(&r, b);
    dc_save(&t, c);
}

/* The front of layer l's chain over m frames while in cache: the synth's
 * dry pair from chunk offset k interleaved into x, the insert effects
 * (split-invariant), the send returns. */
static void
chain_front(mg_audio *a, int l, mg_fx_state *fx, bool wet, long k,
            float *x, size_t m)
{
    const float *dl = a->dry[l][0] + k, *dr = a->dry[l][1] + k;

    for (size_t i = 0; i < m; i++) {
        x[2 * i] = dl[i];
        x[2 * i + 1] = dr[i];
    }
    mg_fx_state_run(fx, x, m);
    if (wet) {
        const float *wl = a->wet[l][0] + k, *wr = a->wet[l][1] + k;
        for (size_t i = 0; i < m; i++) {
            x[2 * i] += wl[i];
            x[2 * i + 1] += wr[i];
        }
    }
}

/* Layer l's whole chain over m frames (song frames from pos): the front,
 * the DC blocker, the gain envelope. */
static void
chain_piece(mg_audio *a, int l, mg_fx_state *fx, dcblock *dc,
            const gain_env *ge, bool wet, long k, float *x, long pos,
            size_t m)
{
    chain_front(a, l, fx, wet, k, x, m);
    dcblock_run(dc, x, m);
    audio_gain_apply(ge, x, pos, (long)m);
}

/* Render every layer whose font is fonts[fi] in one pass on a fresh synth
 * that borrows the loaded font: the synth in chunks up to the next event
 * (fluid_synth_process: per layer a dry pair and its reverb and chorus
 * returns), the pre-roll skipped, then per SBLOCK frames and layer the
 * own-DSP chain on the dry signal, plus the returns, the gain envelope and
 * the store. No stem ever exists at full length in float. */
int
audio_render_pass(mg_audio *a, const mg_song *s, const draws *d, int fi,
                  size_t N, char *err, size_t errlen)
{
    font *f = &a->fonts[fi];
    fluid_synth_t *syn = NULL;
    bool mine[MG_NLAYERS], wet[MG_NLAYERS];
    bool restart[MG_NLAYERS] = {false}, whole[MG_NLAYERS];
    int wl[MG_NLAYERS];
    dcblock dc[MG_NLAYERS];
    long P = f->preroll, nblocks = ((long)N + P + BLOCK - 1) / BLOCK;
    long cb = 0;
    size_t ne = 0, ei = 0, fill = 0, off = 0, nev = 0;
    event *ev = NULL;
    mg_fx_state *fx[MG_NLAYERS] = {NULL};
    gain_env ge[MG_NLAYERS];
    float *outp[2 * MG_NLAYERS], *fxp[4 * MG_NLAYERS];
    float *dry0[2] = {a->dry[0][0], a->dry[0][1]};
    int sid, rc = -1, en = 0, ng = 0, chan[MG_NLAYERS];

    for (int l = 0; l < MG_NLAYERS; l++) {
        const mg_fx_chain *c = &d->fx[l];
        int g = ng;
        mine[l] = d->font[l] == fi;
        chan[l] = -1;
        wet[l] = mine[l] && (c->on[MG_FX_REVERB] || c->on[MG_FX_CHORUS]);
        if (!mine[l])
            continue;
        chan[l] = ng++;
        nev += 2 * s->track[l].n;
        outp[2 * g] = a->dry[l][0];
        outp[2 * g + 1] = a->dry[l][1];
        /* reverb L R, chorus L R of group g; both returns are summed by
         * the synth into one pair (aliased buffers); a unit that is off
         * gets NULL, so its raw send is never mixed anywhere */
        for (int q = 0; q < 2; q++) {
            bool on = c->on[q ? MG_FX_CHORUS : MG_FX_REVERB];
            fxp[4 * g + 2 * q] = on ? a->wet[l][0] : NULL;
            fxp[4 * g + 2 * q + 1] = on ? a->wet[l][1] : NULL;
        }
    }
    ev = malloc(sizeof *ev * (nev ? nev : 1));
    /* as many audio and effects groups as this font has layers (the
     * synth clears every group's buffers on each 64-frame block, used or
     * not): the layers take channels 0.. in layer order; a fresh synth's
     * groups are alike, so a layer's bytes do not depend on its group */
    fluid_settings_setint(a->rsettings, "synth.audio-groups", ng ? ng : 1);
    fluid_settings_setint(a->rsettings, "synth.audio-channels", ng ? ng : 1);
    fluid_settings_setint(a->rsettings, "synth.effects-groups", ng ? ng : 1);
    syn = new_fluid_synth(a->rsettings);
    if (!ev || !syn) {
        snprintf(err, errlen, "out of memory");
        en = ENOMEM;
        goto out;
    }
    sid = fluid_synth_add_sfont(syn, f->sfont);
    if (sid == FLUID_FAILED) {
        snprintf(err, errlen, "soundfont %s: cannot attach it to a synth",
                 f->info->file);
        delete_fluid_synth(syn);
        syn = NULL;
        goto out;
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        if (!mine[l])
            continue;
        set_synth_fx(syn, chan[l], &d->fx[l]);
        if (l == MG_LAYER_BEAT)
            fluid_synth_set_channel_type(syn, chan[l], CHANNEL_TYPE_DRUM);
        if (fluid_synth_program_select(syn, chan[l], sid, d->bank[l],
                                       d->program[l]) != FLUID_OK) {
            snprintf(err, errlen, "soundfont %s: no preset %d:%d",
                     f->info->file,
                     d->bank[l], d->program[l]);
            goto out;
        }
        audio_gain_init(a, s, l, d, N, &ge[l]);
        memset(&dc[l], 0, sizeof dc[l]);
        fx[l] = mg_fx_state_new(&d->fx[l], a->rate, s->tempo_bpm);
        if (!fx[l]) {
            snprintf(err, errlen, "out of memory");
            en = ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < s->track[l].n; i++) {
            const mg_note *n = &s->track[l].v[i];
            long on = audio_frame_of(s, n->tick, a->rate);
            long offf = audio_frame_of(s, n->tick + n->dur, a->rate);
            ev[ne++] = (event){(on + BLOCK / 2) / BLOCK, 1, chan[l],
                               n->pitch, n->vel};
            ev[ne++] = (event){(offf + BLOCK / 2) / BLOCK, 0, chan[l],
                               n->pitch, 0};
        }
    }
    qsort(ev, ne, sizeof *ev, cmp_event);

    while (cb < nblocks) {
        long nb, k, nf;
        for (; ei < ne && ev[ei].block <= cb; ei++) {
            if (ev[ei].on)
                fluid_synth_noteon(syn, ev[ei].chan, ev[ei].pitch,
                                   ev[ei].vel);
            else
                fluid_synth_noteoff(syn, ev[ei].chan, ev[ei].pitch);
        }
        nb = ei < ne ? ev[ei].block : nblocks;
        if (nb > nblocks)
            nb = nblocks;
        if (nb > cb + CHUNK_BLOCKS)
            nb = cb + CHUNK_BLOCKS;
        nf = (nb - cb) * BLOCK;
        /* the synth mixes into (adds to) the buffers it is given; only
         * those it fills are given (and cleared), the rest are NULL */
        for (int l = 0; l < MG_NLAYERS; l++) {
            if (!mine[l])
                continue;
            memset(a->dry[l][0], 0, sizeof(float) * (size_t)nf);
            memset(a->dry[l][1], 0, sizeof(float) * (size_t)nf);
            if (wet[l]) {
                memset(a->wet[l][0], 0, sizeof(float) * (size_t)nf);
                memset(a->wet[l][1], 0, sizeof(float) * (size_t)nf);
            }
        }
        fluid_synth_process(syn, (int)nf, 4 * ng, fxp, 2 * ng, outp);
        /* frames k of this chunk are song frames cb * BLOCK + k - P */
        k = cb * BLOCK >= P ? 0 : P - cb * BLOCK;
        while (k < nf && off + fill < N) {
            size_t room = SBLOCK - fill, take = (size_t)(nf - k);
            if (take > room)
                take = room;
            if (take > N - off - fill)
                take = N - off - fill;
            /* each segment goes through its layer's whole chain while it
             * is in cache (chain_piece), except where the layer's gain is
             * 0: those frames are 0 and skip the chain, which restarts
             * from a fresh state (as at the song's start) where the layer
             * comes back - its tails were cut there anyway. Layers whose
             * gain is not 0 anywhere in the segment (the usual case) go
             * together: each one's front, then the DC blockers two
             * layers a loop, then the gains - the same operations per
             * layer as chain_piece, in a different interleaving */
            {
                long p0 = (long)(off + fill), e0 = p0 + (long)take;
                int nw = 0;
                for (int l = 0; l < MG_NLAYERS; l++) {
                    bool zero;
                    whole[l] = mine[l] && !restart[l] &&
                               audio_gain_run(&ge[l], p0, e0, &zero) == e0 &&
                               !zero;
                    if (!whole[l])
                        continue;
                    wl[nw++] = l;
                    chain_front(a, l, fx[l], wet[l], k,
                                a->blk[l] + 2 * fill, take);
                }
                for (int j = 0; j < nw; j += 2)
                    if (j + 1 < nw)
                        dcblock_run2(&dc[wl[j]], a->blk[wl[j]] + 2 * fill,
                                     &dc[wl[j + 1]],
                                     a->blk[wl[j + 1]] + 2 * fill, take);
                    else
                        dcblock_run(&dc[wl[j]], a->blk[wl[j]] + 2 * fill,
                                    take);
                for (int j = 0; j < nw; j++)
                    audio_gain_apply(&ge[wl[j]], a->blk[wl[j]] + 2 * fill,
                                     p0, (long)take);
            }
            for (int l = 0; l < MG_NLAYERS; l++) {
                long p = (long)(off + fill), end = p + (long)take;
                if (!mine[l] || whole[l])
                    continue;
                while (p < end) {
                    bool zero;
                    long q = audio_gain_run(&ge[l], p, end, &zero);
                    long o = p - (long)(off + fill);    /* in the segment */
                    float *x = a->blk[l] + 2 * (fill + (size_t)o);
                    size_t m = (size_t)(q - p);
                    if (zero) {
                        /* silent here whatever the chain does: no chain;
                         * it restarts fresh where the layer comes back */
                        memset(x, 0, sizeof(float) * 2 * m);
                        restart[l] = true;
                    } else {
                        if (restart[l]) {
                            mg_fx_state_destroy(&fx[l]);
                            fx[l] = mg_fx_state_new(&d->fx[l], a->rate,
                                                    s->tempo_bpm);
                            if (!fx[l]) {
                                snprintf(err, errlen,
                                         "out of memory");
                                en = ENOMEM;
                                goto out;
                            }
                            memset(&dc[l], 0, sizeof dc[l]);
                            restart[l] = false;
                        }
                        chain_piece(a, l, fx[l], &dc[l], &ge[l], wet[l],
                                    k + o, x,
                                    p, m);
                    }
                    p = q;
                }
            }
            fill += take;
            k += (long)take;
            if (fill == SBLOCK || off + fill == N) {
                /* the loudness is measured on the block in cache, before
                 * it is quantised: two layers' meters at a time where
                 * this pass has two (mg_loud_add2: the same results) */
                int ml[MG_NLAYERS], nm = 0, bad = 0;
                for (int l = 0; l < MG_NLAYERS; l++)
                    if (mine[l]) {
                        audio_store_block(a, l, a->blk[l], off, fill);
                        ml[nm++] = l;
                    }
                for (int j = 0; j < nm && !bad; j += 2)
                    bad = j + 1 < nm
                              ? mg_loud_add2(&a->loud[ml[j]], a->blk[ml[j]],
                                             &a->loud[ml[j + 1]],
                                             a->blk[ml[j + 1]], fill)
                              : mg_loud_add(&a->loud[ml[j]], a->blk[ml[j]],
                                            fill);
                if (bad) {
                    snprintf(err, errlen, "out of memory");
                    en = ENOMEM;
                    goto out;
                }
                if (a->spill_errno) {
                    snprintf(err, errlen, "write the scratch file "
                             "in %s: %s", a->spill_dir,
                             strerror(a->spill_errno));
                    en = a->spill_errno;
                    goto out;
                }
                off += fill;
                fill = 0;
            }
        }
        cb = nb;
    }
    rc = 0;
out:
    if (syn) {
        /* voices released before the font is handed back */
        fluid_synth_system_reset(syn);
        memset(a->dry[0][0], 0, sizeof(float) * BLOCK);
        memset(a->dry[0][1], 0, sizeof(float) * BLOCK);
        fluid_synth_process(syn, BLOCK, 0, NULL, 2, dry0);
        /* no program on any channel: handing the font back re-selects
         * each channel's program, and a channel that has one would find
         * no preset and log a warning (16 a synth, 48 a sample on a
         * library caller's stderr) */
        for (int c = 0; c < fluid_synth_count_midi_channels(syn); c++)
            fluid_synth_unset_program(syn, c);
        fluid_synth_remove_sfont(syn, f->sfont);
        delete_fluid_synth(syn);
    }
    for (int l = 0; l < MG_NLAYERS; l++)
        mg_fx_state_destroy(&fx[l]);
    free(ev);
    if (rc < 0 && en) {
        errno = en;     /* after the clean-up, which may set it */
        rc = -2;
    }
    return rc;
}
