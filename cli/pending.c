/*
 * pending — TEMPORARY weak definitions for commands whose owners have not
 * landed them yet, so the binary links while the tree is built up in
 * parallel. A real definition in cmd_*.c overrides each one. This file is
 * deleted once every command exists.
 */
#include <stdio.h>

#include "commands.h"

#define PENDING(fn, name)                                                    \
    __attribute__((weak)) int fn(int argc, char **argv)                      \
    {                                                                        \
        (void)argc;                                                          \
        (void)argv;                                                          \
        fprintf(stderr, "musicgen: '%s' is not built yet\n", name);          \
        return 2;                                                            \
    }

PENDING(mg_cmd_generate, "generate")
PENDING(mg_cmd_clean, "clean")
PENDING(mg_cmd_list_genres, "list-genres")
PENDING(mg_cmd_coordinator, "coordinator")
PENDING(mg_cmd_worker, "worker")
PENDING(mg_cmd_status, "status")
PENDING(mg_cmd_merge, "merge")
PENDING(mg_cmd_calibrate, "calibrate")
PENDING(mg_cmd_score_audio, "score-audio")
