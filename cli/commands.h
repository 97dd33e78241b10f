/*
 * commands — the `musicgen <command>` front end's table. Each command is
 * one function taking the arguments after its name; it prints one line on
 * error and returns the process exit status. The owner of each command is
 * the file named beside it.
 */
#ifndef MG_COMMANDS_H
#define MG_COMMANDS_H

#include "config.h"

int mg_cmd_generate(int argc, char **argv);     /* cli/cmd_generate.c */
int mg_cmd_clean(int argc, char **argv);        /* cli/cmd_clean.c */
int mg_cmd_list_genres(int argc, char **argv);  /* cli/cmd_genres.c */
int mg_cmd_coordinator(int argc, char **argv);  /* cli/cmd_dist.c */
int mg_cmd_worker(int argc, char **argv);       /* cli/cmd_dist.c */
int mg_cmd_status(int argc, char **argv);       /* cli/cmd_dist.c */
int mg_cmd_merge(int argc, char **argv);        /* cli/cmd_dist.c */
int mg_cmd_keygen(int argc, char **argv);       /* cli/cmd_dist.c */
int mg_cmd_calibrate(int argc, char **argv);    /* cli/cmd_audio.c */
int mg_cmd_score_audio(int argc, char **argv);  /* cli/cmd_audio.c */
int mg_cmd_serve(int argc, char **argv);        /* cli/cmd_serve.c */
int mg_cmd_genre(int argc, char **argv);        /* cli/cmd_genre.c */
int mg_cmd_plot(int argc, char **argv);         /* cli/cmd_plot.c */
int mg_cmd_verify(int argc, char **argv);       /* cli/cmd_verify.c */
int mg_cmd_score(int argc, char **argv);        /* cli/cmd_score.c */
int mg_cmd_filter(int argc, char **argv);       /* cli/cmd_filter.c */
int mg_cmd_stats(int argc, char **argv);        /* cli/cmd_stats.c */
int mg_cmd_eval(int argc, char **argv);         /* cli/cmd_eval.c */
int mg_cmd_export(int argc, char **argv);       /* cli/cmd_export.c */
int mg_cmd_fonts(int argc, char **argv);        /* cli/cmd_fonts.c */
int mg_cmd_licenses(int argc, char **argv);     /* cli/cmd_licenses.c */
int mg_cmd_download_assets(int argc, char **argv); /* cli/cmd_assets.c */
int mg_cmd_index_midi(int argc, char **argv);   /* cli/cmd_index.c */
int mg_cmd_index_audio(int argc, char **argv);  /* cli/cmd_index.c */

/* The one line a run prints at start when its pools hold copyleft or
 * attribution-bearing soundfonts (cli/cmd_fonts.c). */
void mg_license_notice(const char *who, const mg_config *c);

/* With MUSICGEN_AUTO_DOWNLOAD_SF2=1 and no font of c's registry installed
 * (an empty sf directory, no Debian fonts): download the default [[sf2]]
 * entries of the assets registry into c->sf_dir before the engine is
 * made. 0 (nothing to do, or done), or 1 after one line naming
 * `musicgen download-assets --sf2` (cli/cmd_assets.c). */
int mg_fonts_auto_download(const char *who, const mg_config *c);

/* The line a run without --seed prints: where ledger holds a run, it
 * names that run's seed (cli/cmd_dist.c). */
void mg_seed_required(const char *who, const char *ledger);


#endif
