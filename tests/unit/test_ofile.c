/*
 * test_ofile — the direct-I/O output file gives the bytes it was given,
 * in order, in either mode: writes of odd sizes across the 4 MiB buffer
 * edges, a tail shorter than a block, an empty file, one byte; the same
 * file with direct I/O refused (MUSICGEN_DIRECT_IO=0); an error (a full
 * device, /dev/full) reported by close, not lost; a FIFO opened once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ofile.h"

static char dir[] = "/tmp/ofile-XXXXXX";

/* Deterministic bytes: position-dependent, so a reordering shows. */
static uint8_t
byte_at(size_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13);
}

/* Write total bytes in chunks of the given sizes (cycled), read the file
 * back and compare. */
static void
roundtrip(size_t total, const size_t *chunks, size_t nchunks)
{
    char path[64], err[200] = "";
    snprintf(path, sizeof path, "%s/out", dir);
    mg_ofile *f = mg_ofile_open(path, err, sizeof err);
    assert_non_null(f);
    uint8_t *src = malloc(total + 1);
    assert_non_null(src);
    for (size_t i = 0; i < total; i++) src[i] = byte_at(i);
    size_t off = 0, k = 0;
    while (off < total) {
        size_t n = chunks[k++ % nchunks];
        if (n > total - off) n = total - off;
        assert_int_equal(mg_ofile_write(f, src + off, n), 0);
        off += n;
        assert_int_equal(mg_ofile_offset(f), off);
    }
    assert_int_equal(mg_ofile_close(&f, err, sizeof err), 0);
    assert_null(f);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    uint8_t *back = malloc(total + 1);
    assert_non_null(back);
    size_t got = fread(back, 1, total + 1, in);
    fclose(in);
    assert_int_equal(got, total);
    assert_memory_equal(back, src, total);
    free(back);
    free(src);
    unlink(path);
}

static void
sizes(void)
{
    const size_t odd[] = {1, 4095, 4097, 33333, 1 << 20, 7};
    const size_t one[] = {1};
    const size_t big[] = {(4u << 20) + 3};
    roundtrip(0, odd, 6);
    roundtrip(1, one, 1);
    roundtrip(4096, odd, 6);
    roundtrip((4u << 20) - 1, odd, 6);
    roundtrip(4u << 20, odd, 6);
    roundtrip((9u << 20) + 123, odd, 6);
    roundtrip((8u << 20) + 5, big, 1);
    roundtrip(100000, one, 1);
}

static void
direct_mode(void **state)
{
    (void)state;
    unsetenv("MUSICGEN_DIRECT_IO");
    sizes();
}

static void
buffered_mode(void **state)
{
    (void)state;
    setenv("MUSICGEN_DIRECT_IO", "0", 1);
    char path[64], err[200];
    snprintf(path, sizeof path, "%s/b", dir);
    mg_ofile *f = mg_ofile_open(path, err, sizeof err);
    assert_non_null(f);
    assert_false(mg_ofile_direct(f));
    mg_ofile_abort(&f);
    assert_null(f);
    unlink(path);
    sizes();
    unsetenv("MUSICGEN_DIRECT_IO");
}

static void
errors_reported(void **state)
{
    (void)state;
    char err[200] = "";
    assert_null(mg_ofile_open("/nonexistent-dir/x", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-dir/x"));
    struct stat st;
    if (stat("/dev/full", &st)) return; /* no such device here */
    mg_ofile *f = mg_ofile_open("/dev/full", err, sizeof err);
    assert_non_null(f);
    static char block[1 << 20];
    int rc = 0;
    for (int i = 0; i < 12 && !rc; i++)
        rc = mg_ofile_write(f, block, sizeof block);
    err[0] = 0;
    int crc = mg_ofile_close(&f, err, sizeof err);
    assert_true(rc != 0 || crc != 0);
    if (crc) assert_non_null(strstr(err, "/dev/full"));
}

/* A FIFO takes the bytes from the first open: a reader that opens it and
 * reads at once gets them, never an end-of-file from an open that was
 * abandoned (O_DIRECT tried first: export --out FIFO hung, one run in
 * three). A hundred rounds: the old code lost this race in several. */
static void
fifo_one_open(void **state)
{
    (void)state;
    char path[64], err[200] = "";
    snprintf(path, sizeof path, "%s/fifo", dir);
    for (int round = 0; round < 100; round++) {
        assert_int_equal(mkfifo(path, 0600), 0);
        int ends[2];
        assert_int_equal(pipe(ends), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) { /* the reader: did its first read get bytes? */
            close(ends[0]);
            int fd = open(path, O_RDONLY);
            /* a second reader end, so that a writer's retry never waits
             * (the test fails, it does not hang) */
            int keep = open(path, O_RDONLY | O_NONBLOCK);
            char b[16];
            ssize_t n = fd < 0 || keep < 0 ? -1 : read(fd, b, sizeof b);
            char c = n > 0 ? 'y' : 'n';
            _exit(write(ends[1], &c, 1) == 1 ? 0 : 1);
        }
        close(ends[1]);
        /* the reader first (the order cat and export met in) */
        usleep(2000);
        mg_ofile *f = mg_ofile_open(path, err, sizeof err);
        assert_non_null(f);
        assert_int_equal(mg_ofile_write(f, "data", 4), 0);
        assert_int_equal(mg_ofile_close(&f, err, sizeof err), 0);
        char c = 0;
        assert_int_equal(read(ends[0], &c, 1), 1);
        close(ends[0]);
        int status;
        waitpid(pid, &status, 0);
        if (c != 'y') fail_msg("round %d: the reader saw end-of-file", round);
        unlink(path);
    }
}

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(direct_mode),
        cmocka_unit_test(buffered_mode),
        cmocka_unit_test(errors_reported),
        cmocka_unit_test(fifo_one_open),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
