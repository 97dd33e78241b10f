/*
 * musicgen — the front end: finds the command and hands it its arguments.
 * Everything a command does lives in its own cmd_*.c file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "audio.h"
#include "commands.h"
#include "engine.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"generate", mg_cmd_generate,
     "make a dataset on this machine (embedded coordinator and workers)"},
    {"coordinator", mg_cmd_coordinator,
     "run the coordinator daemon of a distributed run"},
    {"worker", mg_cmd_worker, "run a worker (connected or --static)"},
    {"status", mg_cmd_status, "show the progress of a run"},
    {"merge", mg_cmd_merge, "build manifest.jsonl from static slices"},
    {"keygen", mg_cmd_keygen, "make CURVE keys for coordinator and workers"},
    {"list-genres", mg_cmd_list_genres, "list the genre presets"},
    {"genre", mg_cmd_genre, "genre new: a wizard that writes a new genre"},
    {"clean", mg_cmd_clean, "remove partial sample directories"},
    {"calibrate", mg_cmd_calibrate, "measure the synthesizer's pre-roll"},
    {"score-audio", mg_cmd_score_audio, "score WAV files (musicality)"},
    {"plot", mg_cmd_plot,
     "pictures of a sample: piano roll (SVG), spectrogram (PNG)"},
    {"serve", mg_cmd_serve,
     "a web page to make, hear and see samples, or browse a dataset"},
    {"verify", mg_cmd_verify,
     "check a dataset is whole (schema, SHA-256, WAV lengths, manifest)"},
    {"stats", mg_cmd_stats,
     "distribution of a dataset (text, JSON, SVG charts)"},
    {"score", mg_cmd_score, "add the audio musicality score to a dataset"},
    {"filter", mg_cmd_filter, "move samples below a score out of a dataset"},
    {"eval", mg_cmd_eval,
     "reliability and validity (AUROC) of the musicality score"},
    {"export", mg_cmd_export,
     "write a dataset as JSONL, CSV, Parquet, hf, JAMS or WebDataset"},
    {"fonts", mg_cmd_fonts, "list the soundfonts, their licences and pools"},
    {"licenses", mg_cmd_licenses,
     "write a dataset's LICENSES.md from its finished samples"},
    {"download-assets", mg_cmd_download_assets,
     "fetch soundfonts and MIDI corpora of an assets.toml registry"},
    {"index-midi", mg_cmd_index_midi,
     "a JSON Lines/CSV database of the MIDI files and their ground truth"},
    {"index-audio", mg_cmd_index_audio,
     "a JSON Lines/CSV database of the WAV stems and mixes"},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: musicgen <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`musicgen <command> --help` describes each command.\n");
}

/* What a command printed must have reached standard output: a full disk
 * or a closed pipe after the last line (stdio keeps it buffered until
 * exit, where a failed write is silent) is one line and a failure exit,
 * never a listing cut short under status 0 (nor under 1: verify's
 * problem lines lost). Commands leave a failed write to standard output
 * for this line to report. */
static int
stdout_done(const char *cmd, int rc)
{
    bool bad = ferror(stdout);
    int en = 0;
    if (fflush(stdout) != 0) {
        bad = true;
        en = errno;
    }
    if (!bad)
        return rc;
    fprintf(stderr, "musicgen%s%s: standard output: %s\n", cmd ? " " : "",
            cmd ? cmd : "", en ? strerror(en) : "write error");
    return rc ? rc : 1;
}

int
main(int argc, char **argv)
{
    /* the executable's process-wide choices (SIGXFSZ ignored, the
     * synthesizer's log silenced): the library never makes them */
    mg_audio_process_setup();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
                !strcmp(argv[1], "help");
    bool version = !strcmp(argv[1], "--version") ||
                   !strcmp(argv[1], "version");
    /* they take nothing after them: "musicgen --version extra" was a
     * slip passed over in silence */
    if ((help || version) && argc > 2) {
        fprintf(stderr, "musicgen: %s takes no arguments, got '%s'%s\n",
                argv[1], argv[2],
                help ? " (`musicgen <command> --help` describes a command)"
                     : "");
        return 2;
    }
    if (help) {
        usage(stdout);
        return stdout_done(NULL, 0);
    }
    if (version) {
        printf("musicgen %s\n", MG_ENGINE_VERSION);
        return stdout_done(NULL, 0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return stdout_done(commands[i].name,
                               commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "musicgen: unknown command '%s' (try musicgen --help)\n",
            argv[1]);
    return 2;
}
