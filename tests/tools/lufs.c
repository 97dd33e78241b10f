/*
 * lufs — integrated loudness of WAV files by libebur128 (EBU R128,
 * ITU-R BS.1770), the independent judge of the engine's own meter
 * (common/audio/loudness.c) and of the loudness sample.json records.
 *
 * Usage: lufs [--gain DB] FILE.wav ...   prints "<LUFS> <file>" per file
 * ("-inf" for silence); exits 1 if a file cannot be read. --gain measures
 * each file's samples scaled by DB dB (the gate at the scaled level): a
 * stem file at its scale before the master gain.
 */
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    int rc = 0, first = 1;
    double gain = 1;

    if (argc > 2 && !strcmp(argv[1], "--gain")) {
        gain = pow(10.0, atof(argv[2]) / 20.0);
        first = 3;
    }
    for (int i = first; i < argc; i++) {
        SF_INFO info = {0};
        SNDFILE *f = sf_open(argv[i], SFM_READ, &info);
        if (!f) {
            fprintf(stderr, "lufs: %s: %s\n", argv[i], sf_strerror(NULL));
            rc = 1;
            continue;
        }
        ebur128_state *st = ebur128_init((unsigned)info.channels,
                                         (unsigned long)info.samplerate,
                                         EBUR128_MODE_I);
        double *buf = malloc(sizeof(double) * 4096 * (size_t)info.channels);
        sf_count_t n;
        double l = -HUGE_VAL;
        if (!st || !buf) {
            fprintf(stderr, "lufs: out of memory\n");
            return 1;
        }
        while ((n = sf_readf_double(f, buf, 4096)) > 0) {
            for (sf_count_t k = 0; k < n * info.channels; k++)
                buf[k] *= gain;
            ebur128_add_frames_double(st, buf, (size_t)n);
        }
        ebur128_loudness_global(st, &l);
        if (isinf(l))
            printf("-inf %s\n", argv[i]);
        else
            printf("%.4f %s\n", l, argv[i]);
        free(buf);
        ebur128_destroy(&st);
        sf_close(f);
    }
    return rc;
}
