/*
 * forksafe — thread count and the wait before a fork (see forksafe.h).
 */
#include "forksafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
mg_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8)) {
            n = atoi(line + 8);
            break;
        }
    fclose(f);
    return n;
}

int
mg_await_one_thread(int max_ms)
{
    int n = mg_threads();
    for (int ms = 0; n > 1 && ms < max_ms; ms++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        n = mg_threads();
    }
    return n;
}
