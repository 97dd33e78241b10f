/*
 * ledger — SQLite ledger of a run (see ledger.h for the model).
 *
 * Invariants: samples.idx is the primary key, so an index has at most one
 * row whatever is re-sent or redone (INSERT OR IGNORE: the first result
 * wins; results are deterministic, so any copy is the same). A chunk is
 * DONE only when every index in it has a row. Seeds are u64 stored in
 * SQLite's signed INTEGER by a two's-complement cast. Statements are
 * prepared once in mg_ledger_open and reset after each use.
 */
#include "ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "rfile.h"

/* Explicit migrations: migrations[v] takes schema v to v + 1. */
static const char *const migrations[] = {
    /* 0 -> 1: the first schema */
    "CREATE TABLE run ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " global_seed INTEGER NOT NULL, start INTEGER NOT NULL,"
    " count INTEGER NOT NULL, chunk INTEGER NOT NULL,"
    " config_json TEXT NOT NULL, engine_version TEXT NOT NULL,"
    " genres_hash TEXT NOT NULL, soundfonts_hash TEXT NOT NULL,"
    " synth_version TEXT NOT NULL, created_at TEXT NOT NULL"
    "  DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE chunks ("
    " id INTEGER PRIMARY KEY, first INTEGER NOT NULL, n INTEGER NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, holder TEXT,"
    " expires INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE samples ("
    " idx INTEGER PRIMARY KEY, seed INTEGER NOT NULL,"
    " status INTEGER NOT NULL, split INTEGER NOT NULL, path TEXT NOT NULL,"
    " score REAL NOT NULL, duration REAL NOT NULL,"
    " attempt INTEGER NOT NULL, worker TEXT, wrote_at TEXT NOT NULL);",
    /* 1 -> 2: why a sample failed; lease lookups by state; meta */
    "ALTER TABLE samples ADD COLUMN error TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX chunks_state ON chunks (state, expires);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 2 -> 3: the CURVE key each worker identity is bound to, kept
     * across restarts of the coordinator */
    "CREATE TABLE curve_keys (identity TEXT PRIMARY KEY,"
    " key TEXT NOT NULL);",
    /* 3 -> 4: every lease granted, so that a restarted coordinator
     * adopts only the leases a worker was given */
    "CREATE TABLE leases (id INTEGER PRIMARY KEY, first INTEGER NOT NULL,"
    " n INTEGER NOT NULL, holder TEXT NOT NULL);",
};

enum {
    S_PUT_ROW, S_FINISH, S_SET_META, S_GET_META, S_BEGIN, S_COMMIT,
    S_FORGET, S_REOPEN, S_PUT_KEY, S_PUT_LEASE, S_GET_LEASE, NSTMT
};

static const char *const stmt_sql[NSTMT] = {
    [S_PUT_ROW] = "INSERT OR IGNORE INTO samples (idx, seed, status, split,"
                  " path, score, duration, attempt, worker, wrote_at, error)"
                  " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    [S_FINISH] = "UPDATE chunks SET state = 2, holder = NULL WHERE id = ?1"
                 " AND state != 2 AND n = (SELECT count(*) FROM samples"
                 " WHERE idx >= chunks.first AND idx < chunks.first + chunks.n)",
    [S_SET_META] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
    [S_GET_META] = "SELECT value FROM meta WHERE key = ?",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_FORGET] = "DELETE FROM samples WHERE idx = ?1",
    [S_REOPEN] = "UPDATE chunks SET state = 0, holder = NULL, expires = 0"
                 " WHERE state = 2 AND first <= ?1 AND ?1 < first + n",
    [S_PUT_KEY] = "INSERT OR REPLACE INTO curve_keys (identity, key)"
                  " VALUES (?, ?)",
    [S_PUT_LEASE] = "INSERT OR IGNORE INTO leases (id, first, n, holder)"
                    " VALUES (?, ?, ?, ?)",
    [S_GET_LEASE] = "SELECT first, n, holder FROM leases WHERE id = ?",
};

struct mg_ledger {
    sqlite3 *db;
    sqlite3_stmt *st[NSTMT];
    bool ro;
    uint64_t start;
    uint32_t chunk;
};

static int
fail(char *err, size_t errlen, const char *what, sqlite3 *db)
{
    snprintf(err, errlen, "ledger: %s: %s", what,
             db ? sqlite3_errmsg(db) : "out of memory");
    return -1;
}

static int
exec(mg_ledger *l, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "ledger: %s", msg ? msg : "exec failed");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int
user_version(mg_ledger *l)
{
    sqlite3_stmt *s;
    int v = -1;
    if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &s, NULL))
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

int
mg_ledger_schema_version(mg_ledger *l)
{
    return user_version(l);
}

/* Is l a database of something else? Not an SQLite file at all, or an
 * SQLite database at schema 0 that holds tables (another program's: the
 * migration would add ours beside them), or, read only, one without any
 * schema (an empty file). Said in one line, and nothing is written. */
static int
not_ours(mg_ledger *l, const char *path, char *err, size_t errlen)
{
    int v = user_version(l);
    if (v < 0 && sqlite3_errcode(l->db) != SQLITE_NOTADB)
        return fail(err, errlen, "reading schema version", l->db);
    bool tables = false;
    sqlite3_stmt *s;
    if (v == 0 &&
        !sqlite3_prepare_v2(l->db, "SELECT 1 FROM sqlite_master LIMIT 1", -1,
                            &s, NULL)) {
        tables = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    if (v < 0 || (v == 0 && (l->ro || tables))) {
        snprintf(err, errlen, "ledger %s: not a musicgen ledger (%s)", path,
                 v < 0 ? "not an SQLite database"
                       : tables ? "an SQLite database of something else"
                                : "an empty database");
        return -1;
    }
    return 0;
}

static int
migrate(mg_ledger *l, char *err, size_t errlen)
{
    int v = user_version(l);
    if (v < 0)
        return fail(err, errlen, "reading schema version", l->db);
    if (v > MG_LEDGER_SCHEMA) {
        snprintf(err, errlen, "ledger: schema version %d is newer than this "
                 "musicgen understands (%d)", v, MG_LEDGER_SCHEMA);
        return -1;
    }
    for (; v < MG_LEDGER_SCHEMA; v++) {
        char sql[64];
        if (exec(l, "BEGIN IMMEDIATE", err, errlen))
            return -1;
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if (exec(l, migrations[v], err, errlen) ||
            exec(l, sql, err, errlen)) {
            exec(l, "ROLLBACK", err + strlen(err), 0);
            return -1;
        }
        if (exec(l, "COMMIT", err, errlen))
            return -1;
    }
    return 0;
}

/* Is path an SQLite database in WAL mode (its header's read and write
 * versions 2)? Only such a file is opened read-write to be read (see
 * open_db): one in rollback mode with a hot journal would be rolled back,
 * a write to a file that may be another program's. */
static bool
wal_mode(const char *path)
{
    unsigned char h[20];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool ok = fread(h, 1, sizeof h, f) == sizeof h &&
              !memcmp(h, "SQLite format 3", 16) && h[18] == 2 && h[19] == 2;
    fclose(f);
    return ok;
}

static mg_ledger *
open_db(const char *path, bool ro, char *err, size_t errlen)
{
    mg_ledger *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "ledger: out of memory");
        return NULL;
    }
    l->ro = ro;
    int flags = ro ? SQLITE_OPEN_READONLY
                   : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    /* A reader of a WAL ledger makes its -wal and -shm files, and a
     * read-only connection cannot remove them at its close: `status`
     * left them beside a stopped run's ledger. With no -wal there, no
     * one has the ledger open: a read-write connection (that writes
     * nothing: l->ro prepares no writing statement) is its last and
     * removes them as it closes. SQLite opens it read-only where the
     * file cannot be written. */
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (ro && wal_mode(path) && access(wal, F_OK) && errno == ENOENT)
        flags = SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path, &l->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "ledger %s: %s", path,
                 l->db ? sqlite3_errmsg(l->db) : "cannot open");
        mg_ledger_close(&l);
        return NULL;
    }
    sqlite3_busy_timeout(l->db, 5000);
    if (not_ours(l, path, err, errlen)) {
        mg_ledger_close(&l);
        return NULL;
    }
    /* WAL: readers (status) never block the coordinator's commits.
     * synchronous=NORMAL in WAL keeps the database consistent after a
     * crash; a power cut may lose the last committed batch, and then the
     * lost samples are found on disk at the next start or made again.
     * mg_ledger_set_durable switches to FULL (the coordinator's default):
     * a committed batch survives a power cut. */
    if (!ro && (exec(l, "PRAGMA journal_mode = WAL", err, errlen) ||
                exec(l, "PRAGMA synchronous = NORMAL", err, errlen) ||
                migrate(l, err, errlen))) {
        mg_ledger_close(&l);
        return NULL;
    }
    if (ro) {
        int v = user_version(l);
        if (v != MG_LEDGER_SCHEMA) {
            /* which way it differs, and what to do about it */
            snprintf(err, errlen, v > MG_LEDGER_SCHEMA
                     ? "ledger %s: schema version %d is newer than this "
                       "musicgen understands (%d)"
                     : "ledger %s: schema version %d, older than this "
                       "musicgen's %d (the run's generate or coordinator "
                       "upgrades it)", path, v, MG_LEDGER_SCHEMA);
            mg_ledger_close(&l);
            return NULL;
        }
    }
    for (int i = 0; i < NSTMT; i++) {
        if (ro && (i != S_GET_META))
            continue;
        if (sqlite3_prepare_v3(l->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &l->st[i],
                               NULL) != SQLITE_OK) {
            fail(err, errlen, "preparing statements", l->db);
            mg_ledger_close(&l);
            return NULL;
        }
    }
    return l;
}

/* A regular file only: SQLite blocks for ever opening a FIFO, and
 * answers a directory or a device with "disk I/O error". */
static int
regular(const char *path, bool must_exist, char *err, size_t errlen)
{
    char e[900];
    if ((must_exist || !access(path, F_OK)) &&
        mg_rfile_check(path, e, sizeof e)) {
        snprintf(err, errlen, "ledger %s", e);
        return -1;
    }
    return 0;
}

mg_ledger *
mg_ledger_open(const char *path, char *err, size_t errlen)
{
    if (regular(path, false, err, errlen))
        return NULL;
    return open_db(path, false, err, errlen);
}

mg_ledger *
mg_ledger_open_ro(const char *path, char *err, size_t errlen)
{
    if (regular(path, true, err, errlen))
        return NULL;
    return open_db(path, true, err, errlen);
}

void
mg_ledger_close(mg_ledger **lp)
{
    mg_ledger *l = *lp;
    if (!l)
        return;
    for (int i = 0; i < NSTMT; i++)
        sqlite3_finalize(l->st[i]);
    sqlite3_close(l->db);
    free(l);
    *lp = NULL;
}

void
mg_ledger_run_free(mg_ledger_run *r)
{
    free(r->run_json);
    r->run_json = NULL;
}

static void
copy_text(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int
mg_ledger_get_run(mg_ledger *l, mg_ledger_run *r, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    memset(r, 0, sizeof *r);
    if (sqlite3_prepare_v2(l->db,
            "SELECT global_seed, start, count, chunk, config_json,"
            " engine_version, genres_hash, soundfonts_hash, synth_version"
            " FROM run WHERE id = 1", -1, &s, NULL))
        return fail(err, errlen, "reading run", l->db);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(s);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(s);
        return fail(err, errlen, "reading run", l->db);
    }
    r->global_seed = sqlite3_column_int64(s, 0);
    r->start = (uint64_t)sqlite3_column_int64(s, 1);
    r->count = (uint64_t)sqlite3_column_int64(s, 2);
    r->chunk = (uint32_t)sqlite3_column_int64(s, 3);
    const unsigned char *j = sqlite3_column_text(s, 4);
    r->run_json = strdup(j ? (const char *)j : "");
    copy_text(r->fp.engine_version, sizeof r->fp.engine_version, s, 5);
    copy_text(r->fp.genres_hash, sizeof r->fp.genres_hash, s, 6);
    copy_text(r->fp.soundfonts_hash, sizeof r->fp.soundfonts_hash, s, 7);
    copy_text(r->fp.synth_version, sizeof r->fp.synth_version, s, 8);
    sqlite3_finalize(s);
    if (!r->run_json) {
        snprintf(err, errlen, "ledger: out of memory");
        return -1;
    }
    l->start = r->start;
    l->chunk = r->chunk ? r->chunk : 1;
    return 1;
}

/* Insert the chunks of a run (first index start, chunk samples each) from
 * offset off (a multiple of chunk) to count, through c ("INSERT INTO
 * chunks (id, first, n) VALUES (?,?,?)"); 0, or -1 (the caller fails). */
static int
put_chunks(sqlite3_stmt *c, uint64_t start, uint64_t chunk, uint64_t off,
           uint64_t count)
{
    for (; off < count; off += chunk) {
        uint64_t n = count - off < chunk ? count - off : chunk;
        sqlite3_bind_int64(c, 1, (int64_t)(off / chunk));
        sqlite3_bind_int64(c, 2, (int64_t)(start + off));
        sqlite3_bind_int64(c, 3, (int64_t)n);
        if (sqlite3_step(c) != SQLITE_DONE)
            return -1;
        sqlite3_reset(c);
    }
    return 0;
}

int
mg_ledger_create_run(mg_ledger *l, const mg_ledger_run *r, char *err,
                     size_t errlen)
{
    sqlite3_stmt *s = NULL, *c = NULL;
    if (r->chunk < 1 || r->count < 1) {
        snprintf(err, errlen, "ledger: count and chunk must be positive");
        return -1;
    }
    if (exec(l, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    if (sqlite3_prepare_v2(l->db,
            "INSERT INTO run (id, global_seed, start, count, chunk,"
            " config_json, engine_version, genres_hash, soundfonts_hash,"
            " synth_version) VALUES (1,?,?,?,?,?,?,?,?,?)", -1, &s, NULL) ||
        sqlite3_prepare_v2(l->db,
            "INSERT INTO chunks (id, first, n) VALUES (?,?,?)", -1, &c,
            NULL))
        goto sqlfail;
    sqlite3_bind_int64(s, 1, r->global_seed);
    sqlite3_bind_int64(s, 2, (int64_t)r->start);
    sqlite3_bind_int64(s, 3, (int64_t)r->count);
    sqlite3_bind_int64(s, 4, r->chunk);
    sqlite3_bind_text(s, 5, r->run_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, r->fp.engine_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, r->fp.genres_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, r->fp.soundfonts_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, r->fp.synth_version, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        goto sqlfail;
    if (put_chunks(c, r->start, r->chunk, 0, r->count))
        goto sqlfail;
    sqlite3_finalize(s);
    sqlite3_finalize(c);
    l->start = r->start;
    l->chunk = r->chunk;
    return exec(l, "COMMIT", err, errlen);
sqlfail:
    fail(err, errlen, "creating run", l->db);
    sqlite3_finalize(s);
    sqlite3_finalize(c);
    exec(l, "ROLLBACK", err + strlen(err), 0);
    return -1;
}

int
mg_ledger_grow_run(mg_ledger *l, uint64_t count, const char *run_json,
                   char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL, *u = NULL, *c = NULL;
    mg_ledger_run have = {0};
    int rc = mg_ledger_get_run(l, &have, err, errlen);
    if (rc != 1) {
        if (rc == 0)
            snprintf(err, errlen, "ledger: no run to grow");
        return -1;
    }
    uint64_t old = have.count, chunk = have.chunk ? have.chunk : 1;
    mg_ledger_run_free(&have);
    if (count <= old) {
        snprintf(err, errlen, "ledger: a run grows to more samples than "
                 "it has (%" PRIu64 " -> %" PRIu64 "; mg_ledger_shrink_run "
                 "makes it smaller)", old, count);
        return -1;
    }
    if (exec(l, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    if (sqlite3_prepare_v2(l->db,
            "UPDATE run SET count = ?1, config_json = ?2 WHERE id = 1", -1,
            &s, NULL) ||
        /* the last chunk, cut short by the old end, takes its full share
         * (reopened when it was done: it holds new samples now) */
        sqlite3_prepare_v2(l->db,
            "UPDATE chunks SET state = CASE WHEN state = 2 THEN 0 ELSE state"
            " END, n = ?2 WHERE id = ?1 AND n < ?2", -1, &u, NULL) ||
        sqlite3_prepare_v2(l->db,
            "INSERT INTO chunks (id, first, n) VALUES (?,?,?)", -1, &c,
            NULL))
        goto sqlfail;
    sqlite3_bind_int64(s, 1, (int64_t)count);
    sqlite3_bind_text(s, 2, run_json, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        goto sqlfail;
    uint64_t last = (old - 1) / chunk, off = last * chunk;
    uint64_t n = count - off < chunk ? count - off : chunk;
    sqlite3_bind_int64(u, 1, (int64_t)last);
    sqlite3_bind_int64(u, 2, (int64_t)n);
    if (sqlite3_step(u) != SQLITE_DONE)
        goto sqlfail;
    if (put_chunks(c, l->start, chunk, off + chunk, count))
        goto sqlfail;
    sqlite3_finalize(s);
    sqlite3_finalize(u);
    sqlite3_finalize(c);
    return exec(l, "COMMIT", err, errlen);
sqlfail:
    fail(err, errlen, "growing run", l->db);
    sqlite3_finalize(s);
    sqlite3_finalize(u);
    sqlite3_finalize(c);
    exec(l, "ROLLBACK", err + strlen(err), 0);
    return -1;
}

int
mg_ledger_ok_past(mg_ledger *l, uint64_t from, uint64_t *n, uint64_t *first,
                  uint64_t *last, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    *n = *first = *last = 0;
    if (sqlite3_prepare_v2(l->db, "SELECT count(*), min(idx), max(idx)"
                           " FROM samples WHERE idx >= ?1 AND status = 0",
                           -1, &s, NULL))
        return fail(err, errlen, "reading rows", l->db);
    sqlite3_bind_int64(s, 1, (int64_t)from);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return fail(err, errlen, "reading rows", l->db);
    }
    *n = (uint64_t)sqlite3_column_int64(s, 0);
    if (*n) {
        *first = (uint64_t)sqlite3_column_int64(s, 1);
        *last = (uint64_t)sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
    return 0;
}

/* cb(index) for each index the query sql gives (?1 bound to a, ?2, when
 * the query has it, to b), in its order, until cb returns non-zero. */
static int
each_index(mg_ledger *l, const char *sql, uint64_t a, uint64_t b,
           mg_ledger_index_cb cb, void *ud, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL))
        return fail(err, errlen, "reading indices", l->db);
    sqlite3_bind_int64(s, 1, (int64_t)a);
    if (sqlite3_bind_parameter_count(s) >= 2)
        sqlite3_bind_int64(s, 2, (int64_t)b);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb((uint64_t)sqlite3_column_int64(s, 0), ud)) {
            rc = SQLITE_DONE;
            break;
        }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail(err, errlen, "reading indices", l->db);
    return 0;
}

int
mg_ledger_ok_indices(mg_ledger *l, uint64_t from, mg_ledger_index_cb cb,
                     void *ud, char *err, size_t errlen)
{
    return each_index(l, "SELECT idx FROM samples WHERE idx >= ?1"
                      " AND status = 0 ORDER BY idx", from, UINT64_MAX, cb,
                      ud, err, errlen);
}

int
mg_ledger_shrink_run(mg_ledger *l, uint64_t count, const char *run_json,
                     char *err, size_t errlen)
{
    mg_ledger_run have = {0};
    int rc = mg_ledger_get_run(l, &have, err, errlen);
    if (rc != 1) {
        if (rc == 0)
            snprintf(err, errlen, "ledger: no run to shrink");
        return -1;
    }
    uint64_t old = have.count, start = have.start;
    mg_ledger_run_free(&have);
    if (count < 1 || count >= old) {
        snprintf(err, errlen, "ledger: a run shrinks to fewer samples than "
                 "it has, at least one (%" PRIu64 " -> %" PRIu64 ")", old,
                 count);
        return -1;
    }
    uint64_t end = start + count, n, first, last;
    if (errlen)
        err[0] = '\0';
    if (exec(l, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    /* in the transaction: no row can come between the check and the cut */
    if (mg_ledger_ok_past(l, end, &n, &first, &last, err, errlen) || n) {
        exec(l, "ROLLBACK", err + strlen(err), 0);
        return n ? 1 : -1;
    }
    static const char *const sql[] = {
        "DELETE FROM samples WHERE idx >= ?1",
        "DELETE FROM chunks WHERE first >= ?1",
        /* the chunk across the new end ends there, done when it has its
         * rows (S_FINISH's rule) */
        "UPDATE chunks SET n = ?1 - first WHERE first < ?1"
        " AND first + n > ?1",
        "UPDATE chunks SET state = 2, holder = NULL WHERE first < ?1"
        " AND first + n = ?1 AND state != 2 AND n = (SELECT count(*)"
        " FROM samples WHERE idx >= chunks.first"
        " AND idx < chunks.first + chunks.n)",
        "UPDATE run SET count = ?2, config_json = ?3 WHERE id = 1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(l->db, sql[i], -1, &s, NULL)) {
            fail(err, errlen, "shrinking run", l->db);
            exec(l, "ROLLBACK", err + strlen(err), 0);
            return -1;
        }
        sqlite3_bind_int64(s, 1, (int64_t)end);
        if (sqlite3_bind_parameter_count(s) >= 2) {
            sqlite3_bind_int64(s, 2, (int64_t)count);
            sqlite3_bind_text(s, 3, run_json, -1, SQLITE_STATIC);
        }
        int r = sqlite3_step(s);
        sqlite3_finalize(s);
        if (r != SQLITE_DONE) {
            fail(err, errlen, "shrinking run", l->db);
            exec(l, "ROLLBACK", err + strlen(err), 0);
            return -1;
        }
    }
    return exec(l, "COMMIT", err, errlen);
}

static void
append(char *why, size_t n, const char *fmt, const char *field,
       const char *have, const char *want)
{
    size_t k = strlen(why);
    if (k + 2 >= n)
        return;
    snprintf(why + k, n - k, fmt, k ? "; " : "", field, have, want);
}

int
mg_ledger_check_run(const mg_ledger_run *have, const mg_ledger_run *want,
                    char *why, size_t n)
{
    char a[64], b[64];
    why[0] = '\0';
    const char *fmt = "%s%s: ledger has %s, asked for %s";
#define NUM(field, f, pf)                                                    \
    if (have->f != want->f) {                                                \
        snprintf(a, sizeof a, pf, have->f);                                  \
        snprintf(b, sizeof b, pf, want->f);                                  \
        append(why, n, fmt, field, a, b);                                    \
    }
    NUM("--seed", global_seed, "%" PRId64)
    NUM("--start", start, "%" PRIu64)
    NUM("--count", count, "%" PRIu64)
    /* chunk is bookkeeping (status), not the run: leases are sized by the
     * coordinator, and --chunk may change between sessions */
#undef NUM
    if (strcmp(have->run_json ? have->run_json : "",
               want->run_json ? want->run_json : "")) {
        /* named key by key (the two whole configs hid the one that
         * differs); seed, start and count are named above */
        static const char *const named[] = {"seed", "start", "count", NULL};
        char d[1024];
        int nd = mg_config_json_diff(have->run_json ? have->run_json : "",
                                     want->run_json ? want->run_json : "",
                                     "%s: ledger has %s, asked for %s", named,
                                     d, sizeof d);
        if (nd > 0) {
            size_t k = strlen(why);
            snprintf(why + k, n - k, "%s%s", k ? "; " : "", d);
        } else if (nd < 0) {
            append(why, n, fmt, "run config", have->run_json,
                   want->run_json);
        }
    }
    char fpwhy[512];
    if (mg_fingerprint_compare(&have->fp, &want->fp, fpwhy, sizeof fpwhy)) {
        size_t k = strlen(why);
        snprintf(why + k, n - k, "%sfingerprint: %s", k ? "; " : "", fpwhy);
    }
    return why[0] ? -1 : 0;
}

int
mg_ledger_version_check(const mg_ledger_run *have, const char *path,
                        const char *other, char *err, size_t errlen)
{
    const char *v = have->fp.engine_version;
    if (!v[0] || !strcmp(v, MG_ENGINE_VERSION))
        return 0;
    char what[1200];
    snprintf(what, sizeof what, "the ledger %s holds a run", path);
    return mg_version_refusal(err, errlen, what, v, other);
}

static int
step_done(mg_ledger *l, sqlite3_stmt *s, const char *what, char *err,
          size_t errlen)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return fail(err, errlen, what, l->db);
    return 0;
}

int
mg_ledger_set_durable(mg_ledger *l, bool durable, char *err, size_t errlen)
{
    return exec(l, durable ? "PRAGMA synchronous = FULL"
                           : "PRAGMA synchronous = NORMAL", err, errlen);
}

int
mg_ledger_indices(mg_ledger *l, uint64_t first, uint64_t n,
                  mg_ledger_index_cb cb, void *ud, char *err, size_t errlen)
{
    return each_index(l, "SELECT idx FROM samples WHERE idx >= ?1"
                      " AND idx < ?2 ORDER BY idx", first, first + n, cb, ud,
                      err, errlen);
}

int
mg_ledger_begin(mg_ledger *l, char *err, size_t errlen)
{
    return step_done(l, l->st[S_BEGIN], "begin", err, errlen);
}

int
mg_ledger_commit(mg_ledger *l, char *err, size_t errlen)
{
    return step_done(l, l->st[S_COMMIT], "commit", err, errlen);
}

/* After a failed commit (a full disk): SQLite may or may not have rolled
 * the transaction back itself; leave none open either way, so the next
 * begin or close does not fail a second time with a misleading reason. */
void
mg_ledger_abort(mg_ledger *l)
{
    if (!sqlite3_get_autocommit(l->db))
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

int
mg_ledger_put_row(mg_ledger *l, const mg_row *row, const char *worker,
                  const char *wrote_at, char *err, size_t errlen)
{
    sqlite3_stmt *s = l->st[S_PUT_ROW];
    sqlite3_bind_int64(s, 1, (int64_t)row->index);
    sqlite3_bind_int64(s, 2, (int64_t)row->seed);
    sqlite3_bind_int(s, 3, row->status);
    sqlite3_bind_int(s, 4, row->split);
    sqlite3_bind_text(s, 5, row->path, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 6, row->score);
    sqlite3_bind_double(s, 7, row->duration);
    sqlite3_bind_int(s, 8, row->attempt);
    sqlite3_bind_text(s, 9, worker, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, wrote_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, row->error, -1, SQLITE_STATIC);
    if (step_done(l, s, "storing row", err, errlen))
        return -1;
    return sqlite3_changes(l->db) > 0 ? 1 : 0;
}

int
mg_ledger_forget(mg_ledger *l, uint64_t index, char *err, size_t errlen)
{
    sqlite3_stmt *s = l->st[S_FORGET];
    sqlite3_bind_int64(s, 1, (int64_t)index);
    if (step_done(l, s, "forgetting a row", err, errlen))
        return -1;
    s = l->st[S_REOPEN];
    sqlite3_bind_int64(s, 1, (int64_t)index);
    return step_done(l, s, "re-opening a chunk", err, errlen);
}

int
mg_ledger_finish_chunk(mg_ledger *l, int64_t id, char *err, size_t errlen)
{
    sqlite3_stmt *s = l->st[S_FINISH];
    sqlite3_bind_int64(s, 1, id);
    if (step_done(l, s, "finishing a chunk", err, errlen))
        return -1;
    return sqlite3_changes(l->db) > 0 ? 1 : 0;
}

int64_t
mg_ledger_chunk_of(mg_ledger *l, uint64_t index)
{
    if (!l->chunk || index < l->start)
        return -1;
    return (int64_t)((index - l->start) / l->chunk);
}

int
mg_ledger_counts_get(mg_ledger *l, int64_t now_ms, mg_ledger_counts *c,
                     char *err, size_t errlen)
{
    sqlite3_stmt *s;
    memset(c, 0, sizeof *c);
    if (sqlite3_prepare_v2(l->db,
            "SELECT (SELECT count FROM run),"
            " (SELECT count(*) FROM samples WHERE status = 0),"
            " (SELECT count(*) FROM samples WHERE status = 1),"
            " (SELECT count(*) FROM chunks WHERE state = 0"
            "   OR (state = 1 AND expires <= ?1)),"
            " (SELECT count(*) FROM chunks WHERE state = 1 AND expires > ?1),"
            " (SELECT count(*) FROM chunks WHERE state = 2),"
            " (SELECT count(DISTINCT holder) FROM chunks"
            "   WHERE state = 1 AND expires > ?1)", -1, &s, NULL))
        return fail(err, errlen, "counting", l->db);
    sqlite3_bind_int64(s, 1, now_ms);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return fail(err, errlen, "counting", l->db);
    }
    c->total = (uint64_t)sqlite3_column_int64(s, 0);
    c->ok = (uint64_t)sqlite3_column_int64(s, 1);
    c->failed = (uint64_t)sqlite3_column_int64(s, 2);
    c->chunks_pending = (uint64_t)sqlite3_column_int64(s, 3);
    c->chunks_leased = (uint64_t)sqlite3_column_int64(s, 4);
    c->chunks_done = (uint64_t)sqlite3_column_int64(s, 5);
    c->workers = (uint64_t)sqlite3_column_int64(s, 6);
    sqlite3_finalize(s);
    return 0;
}

int
mg_ledger_set_meta(mg_ledger *l, const char *key, const char *value,
                   char *err, size_t errlen)
{
    sqlite3_stmt *s = l->st[S_SET_META];
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    return step_done(l, s, "writing meta", err, errlen);
}

char *
mg_ledger_get_meta(mg_ledger *l, const char *key)
{
    sqlite3_stmt *s = l->st[S_GET_META];
    char *v = NULL;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        v = t ? strdup((const char *)t) : NULL;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return v;
}

int
mg_ledger_foreach_row(mg_ledger *l, mg_ledger_row_cb cb, void *ud,
                      char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(l->db,
            "SELECT idx, seed, status, split, path, score, duration,"
            " attempt, wrote_at, error FROM samples ORDER BY idx", -1, &s,
            NULL))
        return fail(err, errlen, "reading rows", l->db);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        mg_row row;
        char wrote_at[40];
        memset(&row, 0, sizeof row);
        row.index = (uint64_t)sqlite3_column_int64(s, 0);
        row.seed = (uint64_t)sqlite3_column_int64(s, 1);
        row.status = (mg_row_status)sqlite3_column_int(s, 2);
        row.split = (mg_split)sqlite3_column_int(s, 3);
        copy_text(row.path, sizeof row.path, s, 4);
        row.score = sqlite3_column_double(s, 5);
        row.duration = sqlite3_column_double(s, 6);
        row.attempt = sqlite3_column_int(s, 7);
        copy_text(wrote_at, sizeof wrote_at, s, 8);
        copy_text(row.error, sizeof row.error, s, 9);
        if (cb(&row, wrote_at, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail(err, errlen, "reading rows", l->db);
    return 0;
}

int
mg_ledger_put_key(mg_ledger *l, const char *identity, const char *key,
                  char *err, size_t errlen)
{
    sqlite3_stmt *s = l->st[S_PUT_KEY];
    sqlite3_bind_text(s, 1, identity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    return step_done(l, s, "binding a CURVE key", err, errlen);
}

int
mg_ledger_put_lease(mg_ledger *l, uint64_t id, uint64_t first, uint32_t n,
                    const char *holder, char *err, size_t errlen)
{
    sqlite3_stmt *s = l->st[S_PUT_LEASE];
    sqlite3_bind_int64(s, 1, (int64_t)id);
    sqlite3_bind_int64(s, 2, (int64_t)first);
    sqlite3_bind_int64(s, 3, n);
    sqlite3_bind_text(s, 4, holder, -1, SQLITE_STATIC);
    return step_done(l, s, "recording a lease", err, errlen);
}

int
mg_ledger_get_lease(mg_ledger *l, uint64_t id, uint64_t *first, uint32_t *n,
                    char *holder, size_t holder_len, char *err,
                    size_t errlen)
{
    sqlite3_stmt *s = l->st[S_GET_LEASE];
    sqlite3_bind_int64(s, 1, (int64_t)id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *first = (uint64_t)sqlite3_column_int64(s, 0);
        *n = (uint32_t)sqlite3_column_int64(s, 1);
        copy_text(holder, holder_len, s, 2);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(err, errlen, "reading a lease", l->db);
    return rc == SQLITE_ROW;
}

int
mg_ledger_foreach_key(mg_ledger *l, mg_ledger_key_cb cb, void *ud,
                      char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(l->db, "SELECT identity, key FROM curve_keys"
                           " ORDER BY identity", -1, &s, NULL))
        return fail(err, errlen, "reading CURVE keys", l->db);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(s, 0);
        const unsigned char *key = sqlite3_column_text(s, 1);
        if (id && key && cb((const char *)id, (const char *)key, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail(err, errlen, "reading CURVE keys", l->db);
    return 0;
}
