/*
 * test_ledger — the SQLite ledger on a real file: create and resume a
 * run, refuse different parameters naming them, one row per index
 * whatever is re-sent, batched commits survive a reopen, a version-1
 * ledger is migrated (and takes CURVE key bindings, kept when reopened,
 * and leases), a ledger from the future refused, the manifest is
 * written in index order, a run grows at its end and shrinks there over
 * samples not made yet; a file that is no
 * ledger (text, an empty file, another program's database, a FIFO, a
 * directory) is named as such and never written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "ledger.h"

static char dir[512];

static int
setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ledgerXXXXXX", t ? t : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static void
path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static mg_ledger_run
a_run(uint64_t count, uint32_t chunk)
{
    mg_ledger_run r;
    memset(&r, 0, sizeof r);
    r.global_seed = 42;
    r.count = count;
    r.chunk = chunk;
    r.run_json = "{\"output_mode\":\"midi-only\"}";
    snprintf(r.fp.engine_version, sizeof r.fp.engine_version, "0.1.0");
    snprintf(r.fp.genres_hash, sizeof r.fp.genres_hash, "abc");
    return r;
}

static mg_row
a_row(uint64_t index)
{
    mg_row r;
    memset(&r, 0, sizeof r);
    r.index = index;
    r.seed = UINT64_MAX - index;
    r.status = MG_ROW_OK;
    r.attempt = 1;
    r.score = 0.5;
    r.duration = 10;
    snprintf(r.path, sizeof r.path, "%06llu", (unsigned long long)index);
    return r;
}

static mg_ledger *
fresh(const char *name, uint64_t count, uint32_t chunk)
{
    char p[600], err[256];
    path_of(p, sizeof p, name);
    mg_ledger *l = mg_ledger_open(p, err, sizeof err);
    assert_non_null(l);
    mg_ledger_run r = a_run(count, chunk);
    assert_int_equal(mg_ledger_create_run(l, &r, err, sizeof err), 0);
    return l;
}

static void
test_create_resume_refuse(void **state)
{
    (void)state;
    char p[600], err[256], why[1024];
    mg_ledger *l = fresh("a.sqlite", 100, 10);
    assert_int_equal(mg_ledger_schema_version(l), MG_LEDGER_SCHEMA);
    mg_ledger_close(&l);
    assert_null(l);
    path_of(p, sizeof p, "a.sqlite");
    l = mg_ledger_open(p, err, sizeof err);
    assert_non_null(l);
    mg_ledger_run have, want = a_run(100, 10);
    assert_int_equal(mg_ledger_get_run(l, &have, err, sizeof err), 1);
    assert_int_equal(mg_ledger_check_run(&have, &want, why, sizeof why), 0);
    want.count = 200;
    snprintf(want.fp.genres_hash, sizeof want.fp.genres_hash, "xyz");
    assert_int_equal(mg_ledger_check_run(&have, &want, why, sizeof why), -1);
    assert_non_null(strstr(why, "--count: ledger has 100, asked for 200"));
    assert_non_null(strstr(why, "genres_hash"));
    mg_ledger_run_free(&have);
    mg_ledger_counts c;
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_int_equal(c.total, 100);
    assert_int_equal(c.chunks_pending, 10);
    mg_ledger_close(&l);
}

/* A run grows at its end: the run row, the last chunk's share (reopened:
 * it holds new samples), new chunks (test_shrink: the way back). */
static void
test_grow(void **state)
{
    (void)state;
    char err[256];
    mg_ledger *l = fresh("g.sqlite", 70, 64);
    assert_int_equal(mg_ledger_begin(l, err, sizeof err), 0);
    for (uint64_t i = 0; i < 70; i++) {
        mg_row r = a_row(i);
        assert_int_equal(mg_ledger_put_row(l, &r, "w1", "t", err,
                                           sizeof err), 1);
    }
    assert_int_equal(mg_ledger_finish_chunk(l, 0, err, sizeof err), 1);
    assert_int_equal(mg_ledger_finish_chunk(l, 1, err, sizeof err), 1);
    assert_int_equal(mg_ledger_commit(l, err, sizeof err), 0);
    mg_ledger_counts c;
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_int_equal(c.chunks_done, 2);
    assert_int_equal(mg_ledger_grow_run(l, 200, "{\"grown\":1}", err,
                                        sizeof err), 0);
    mg_ledger_run have;
    assert_int_equal(mg_ledger_get_run(l, &have, err, sizeof err), 1);
    assert_int_equal(have.count, 200);
    assert_string_equal(have.run_json, "{\"grown\":1}");
    mg_ledger_run_free(&have);
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_int_equal(c.total, 200);
    assert_int_equal(c.ok, 70);
    /* chunk 0 (0..63) stays done, chunk 1 (64..127) reopened, 2 and 3 new */
    assert_int_equal(c.chunks_done, 1);
    assert_int_equal(c.chunks_pending, 3);
    assert_int_equal(mg_ledger_chunk_of(l, 127), 1);
    assert_int_equal(mg_ledger_chunk_of(l, 199), 3);
    char p[600];
    path_of(p, sizeof p, "g.sqlite");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, first, n FROM chunks"
                                        " ORDER BY id", -1, &st, NULL),
                     SQLITE_OK);
    static const int64_t want[4][3] = {{0, 0, 64}, {1, 64, 64}, {2, 128, 64},
                                       {3, 192, 8}};
    int k = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(k < 4);
        for (int j = 0; j < 3; j++)
            assert_int_equal(sqlite3_column_int64(st, j), want[k][j]);
        k++;
    }
    assert_int_equal(k, 4);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* growing neither shrinks nor stays */
    assert_int_equal(mg_ledger_grow_run(l, 200, "{}", err, sizeof err), -1);
    assert_non_null(strstr(err, "grows to more samples"));
    mg_ledger_close(&l);
}

/* A run shrinks at its end over samples not made yet (a --count typed
 * too large): the failed rows and the chunks past the new end go, the
 * chunk across it is cut (done when whole); an "ok" row at or past the
 * new end refuses it, changing nothing. It grows again afterwards. */
static void
test_shrink(void **state)
{
    (void)state;
    char err[256];
    mg_ledger *l = fresh("s.sqlite", 1000, 64);
    assert_int_equal(mg_ledger_begin(l, err, sizeof err), 0);
    for (uint64_t i = 0; i < 70; i++) {
        mg_row r = a_row(i);
        assert_int_equal(mg_ledger_put_row(l, &r, "w1", "t", err,
                                           sizeof err), 1);
    }
    mg_row f = a_row(300);
    f.status = MG_ROW_FAILED;
    assert_int_equal(mg_ledger_put_row(l, &f, "w1", "t", err, sizeof err),
                     1);
    assert_int_equal(mg_ledger_finish_chunk(l, 0, err, sizeof err), 1);
    assert_int_equal(mg_ledger_commit(l, err, sizeof err), 0);
    uint64_t n, first, last;
    assert_int_equal(mg_ledger_ok_past(l, 60, &n, &first, &last, err,
                                       sizeof err), 0);
    assert_true(n == 10 && first == 60 && last == 69);
    /* over finished samples: refused, nothing changed */
    assert_int_equal(mg_ledger_shrink_run(l, 65, "{}", err, sizeof err), 1);
    mg_ledger_counts c;
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_true(c.total == 1000 && c.ok == 70 && c.failed == 1);
    /* over samples not made yet and a failed one: shrunk */
    assert_int_equal(mg_ledger_shrink_run(l, 70, "{\"shrunk\":1}", err,
                                          sizeof err), 0);
    mg_ledger_run have;
    assert_int_equal(mg_ledger_get_run(l, &have, err, sizeof err), 1);
    assert_int_equal(have.count, 70);
    assert_string_equal(have.run_json, "{\"shrunk\":1}");
    mg_ledger_run_free(&have);
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_true(c.total == 70 && c.ok == 70 && c.failed == 0);
    /* chunk 1 (64..69) cut and whole: done; the rest gone */
    assert_int_equal(c.chunks_done, 2);
    assert_int_equal(c.chunks_pending, 0);
    /* and grows again: chunk 1 reopened to its full share */
    assert_int_equal(mg_ledger_grow_run(l, 130, "{}", err, sizeof err), 0);
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_true(c.total == 130 && c.chunks_done == 1 &&
                c.chunks_pending == 2);
    assert_int_equal(mg_ledger_shrink_run(l, 130, "{}", err, sizeof err),
                     -1);
    mg_ledger_close(&l);
}

static void
test_one_row_per_index_and_batch_commit(void **state)
{
    (void)state;
    char err[256], p[600];
    mg_ledger *l = fresh("b.sqlite", 5000, 100);
    assert_int_equal(mg_ledger_begin(l, err, sizeof err), 0);
    for (uint64_t i = 0; i < 5000; i++) {
        mg_row r = a_row(i);
        assert_int_equal(mg_ledger_put_row(l, &r, "w1", "t", err,
                                           sizeof err), 1);
    }
    mg_row again = a_row(7);
    again.score = 0.9;
    assert_int_equal(mg_ledger_put_row(l, &again, "w2", "t", err,
                                       sizeof err), 0);
    assert_int_equal(mg_ledger_finish_chunk(l, 0, err, sizeof err), 1);
    assert_int_equal(mg_ledger_commit(l, err, sizeof err), 0);
    mg_ledger_close(&l);
    path_of(p, sizeof p, "b.sqlite");
    l = mg_ledger_open(p, err, sizeof err);
    mg_ledger_counts c;
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_int_equal(c.ok, 5000);
    assert_int_equal(c.chunks_done, 1);
    /* the manifest: index order, one line each, u64 seeds intact */
    assert_int_equal(mg_ledger_write_manifest(l, dir, NULL, 0, err, sizeof err), 0);
    path_of(p, sizeof p, "manifest.jsonl");
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (n == 7) {
            assert_non_null(strstr(line, "\"sample_index\":7,"));
            assert_non_null(strstr(line, "18446744073709551608"));
            assert_null(strstr(line, "0.9"));
        }
        n++;
    }
    fclose(f);
    assert_int_equal(n, 5000);
    /* forget: a sample gone from disk goes back to the queue */
    assert_int_equal(mg_ledger_begin(l, err, sizeof err), 0);
    assert_int_equal(mg_ledger_forget(l, 7, err, sizeof err), 0);
    assert_int_equal(mg_ledger_commit(l, err, sizeof err), 0);
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_int_equal(c.ok, 4999);
    assert_int_equal(c.chunks_done, 0);
    mg_ledger_close(&l);
}

static int
key_line(const char *identity, const char *key, void *ud)
{
    char *buf = ud;
    size_t n = strlen(buf);
    snprintf(buf + n, 128 - n, "%s=%s;", identity, key);
    return 0;
}

static void
test_migrates_v1_refuses_future(void **state)
{
    (void)state;
    char p[600], err[256];
    sqlite3 *db;
    /* a version-1 ledger as the first release wrote it */
    path_of(p, sizeof p, "old.sqlite");
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "CREATE TABLE run (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " global_seed INTEGER NOT NULL, start INTEGER NOT NULL,"
        " count INTEGER NOT NULL, chunk INTEGER NOT NULL,"
        " config_json TEXT NOT NULL, engine_version TEXT NOT NULL,"
        " genres_hash TEXT NOT NULL, soundfonts_hash TEXT NOT NULL,"
        " synth_version TEXT NOT NULL, created_at TEXT NOT NULL"
        " DEFAULT 'x');"
        "CREATE TABLE chunks (id INTEGER PRIMARY KEY, first INTEGER NOT NULL,"
        " n INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0, holder TEXT,"
        " expires INTEGER NOT NULL DEFAULT 0,"
        " attempts INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE samples (idx INTEGER PRIMARY KEY, seed INTEGER NOT NULL,"
        " status INTEGER NOT NULL, split INTEGER NOT NULL, path TEXT NOT NULL,"
        " score REAL NOT NULL, duration REAL NOT NULL,"
        " attempt INTEGER NOT NULL, worker TEXT, wrote_at TEXT NOT NULL);"
        "INSERT INTO run VALUES (1, 5, 0, 4, 2, '{}', '0.1.0', 'h', '', 's',"
        " 'x');"
        "INSERT INTO chunks (id, first, n) VALUES (0, 0, 2), (1, 2, 2);"
        "INSERT INTO samples VALUES (0, 1, 0, 0, '000000', 0.5, 1.0, 1, 'w',"
        " 't');"
        "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    mg_ledger *l = mg_ledger_open(p, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(mg_ledger_schema_version(l), MG_LEDGER_SCHEMA);
    mg_ledger_run r;
    assert_int_equal(mg_ledger_get_run(l, &r, err, sizeof err), 1);
    assert_int_equal(r.count, 4);
    mg_ledger_run_free(&r);
    mg_ledger_counts c;
    assert_int_equal(mg_ledger_counts_get(l, 0, &c, err, sizeof err), 0);
    assert_int_equal(c.ok, 1);
    /* the column v2 added works */
    assert_int_equal(mg_ledger_set_meta(l, "k", "v", err, sizeof err), 0);
    char *v = mg_ledger_get_meta(l, "k");
    assert_string_equal(v, "v");
    free(v);
    /* the table v3 added: a binding replaced is kept, reopened */
    assert_int_equal(mg_ledger_put_key(l, "w.1", "key-one", err, sizeof err),
                     0);
    assert_int_equal(mg_ledger_put_key(l, "w.0", "key-two", err, sizeof err),
                     0);
    assert_int_equal(mg_ledger_put_key(l, "w.1", "key-three", err,
                                       sizeof err), 0);
    mg_ledger_close(&l);
    l = mg_ledger_open(p, err, sizeof err);
    assert_non_null(l);
    char keys[128] = "";
    assert_int_equal(mg_ledger_foreach_key(l, key_line, keys, err,
                                           sizeof err), 0);
    assert_string_equal(keys, "w.0=key-two;w.1=key-three;");
    /* and v4's: a lease granted is found by id, an unknown one is not */
    assert_int_equal(mg_ledger_put_lease(l, 77, 2, 2, "w.1", err,
                                         sizeof err), 0);
    uint64_t lf = 0;
    uint32_t ln = 0;
    char holder[64] = "";
    assert_int_equal(mg_ledger_get_lease(l, 77, &lf, &ln, holder,
                                         sizeof holder, err, sizeof err), 1);
    assert_int_equal(lf, 2);
    assert_int_equal(ln, 2);
    assert_string_equal(holder, "w.1");
    assert_int_equal(mg_ledger_get_lease(l, 78, &lf, &ln, holder,
                                         sizeof holder, err, sizeof err), 0);
    mg_ledger_close(&l);

    path_of(p, sizeof p, "future.sqlite");
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA user_version = 99;", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_null(mg_ledger_open(p, err, sizeof err));
    assert_non_null(strstr(err, "schema version 99 is newer"));
    /* status reads it the same way (it said 'schema version 99,
     * expected 2') */
    assert_null(mg_ledger_open_ro(p, err, sizeof err));
    assert_non_null(strstr(err, "schema version 99 is newer"));
}

/* status --ledger FILE on a file that is no ledger said "schema version
 * -1, expected 2"; a coordinator given another program's database added
 * its tables to it; a FIFO hung the open. */
static void
test_not_a_ledger(void **state)
{
    (void)state;
    char p[600], err[1024];
    path_of(p, sizeof p, "notes.txt");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("hello, not a database at all, but long enough to be read\n", f);
    fclose(f);
    assert_null(mg_ledger_open_ro(p, err, sizeof err));
    assert_non_null(strstr(err, "not a musicgen ledger (not an SQLite"));
    assert_null(mg_ledger_open(p, err, sizeof err));
    assert_non_null(strstr(err, "not a musicgen ledger (not an SQLite"));

    path_of(p, sizeof p, "empty.sqlite");
    f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    assert_null(mg_ledger_open_ro(p, err, sizeof err));
    assert_non_null(strstr(err, "not a musicgen ledger (an empty database)"));

    path_of(p, sizeof p, "theirs.sqlite");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x);", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    /* read only too (status said "an empty database" of it) */
    assert_null(mg_ledger_open_ro(p, err, sizeof err));
    assert_non_null(strstr(err, "not a musicgen ledger (an SQLite database "
                                "of something else)"));
    assert_null(mg_ledger_open(p, err, sizeof err));
    assert_non_null(strstr(err, "not a musicgen ledger (an SQLite database "
                                "of something else)"));
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
                                        "sqlite_master", -1, &s, NULL), 0);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 1);     /* untouched */
    sqlite3_finalize(s);
    sqlite3_close(db);

    path_of(p, sizeof p, "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_null(mg_ledger_open_ro(p, err, sizeof err));
    assert_non_null(strstr(err, "is a FIFO"));
    assert_null(mg_ledger_open(p, err, sizeof err));
    assert_non_null(strstr(err, "is a FIFO"));
    assert_null(mg_ledger_open_ro(dir, err, sizeof err));
    assert_non_null(strstr(err, "is a directory"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_resume_refuse),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_one_row_per_index_and_batch_commit),
        cmocka_unit_test(test_migrates_v1_refuses_future),
        cmocka_unit_test(test_not_a_ledger),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
