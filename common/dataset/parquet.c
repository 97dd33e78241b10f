/*
 * parquet — Parquet file writer (contract in parquet.h); the columns'
 * encoding into pages is parquet_col.c's.
 *
 * Layout of what we write: "PAR1", then per row group the column chunks
 * one after the other (each a run of PageHeader + compressed page), then
 * the FileMetaData in Thrift compact protocol, its length (u32 LE) and
 * "PAR1". Field ids and enum values follow parquet-format's
 * parquet.thrift; a RowGroup's Thrift bytes are written as soon as the
 * group is flushed, so the footer grows with the number of row groups
 * only, never with rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "errmsg.h"
#include "parquet_priv.h"

static int
leaf_physical(mg_pq_type t)
{
    switch (t) {
    case MG_PQ_BOOL: return PT_BOOLEAN;
    case MG_PQ_INT64:
    case MG_PQ_UINT64: return PT_INT64;
    case MG_PQ_DOUBLE: return PT_DOUBLE;
    default: return PT_BYTE_ARRAY;
    }
}

/* Levels, columns, paths, depth first. */
static int
assign(mg_pq *p, mg_pq_node *n, int pdef, int prep, const char **path,
       int depth)
{
    if (depth >= 30) return -1;
    path[depth] = n->name;
    n->namelen = strlen(n->name);
    switch (n->kind) {
    case MG_PQ_LEAF: {
        n->def = pdef + 1;
        col *c = realloc(p->cols, (size_t)(p->ncols + 1) * sizeof *c);
        if (!c) return -1;
        p->cols = c;
        c = &p->cols[p->ncols];
        memset(c, 0, sizeof *c);
        c->leaf = n;
        c->dict_on = n->type != MG_PQ_BOOL && n->type != MG_PQ_DOUBLE;
        c->max_def = n->def;
        c->max_rep = prep;
        c->npath = depth + 1;
        if (!b_reserve(&c->vals, VHEAD)) c->vals.len = VHEAD;
        memcpy(c->path, path, sizeof *path * (size_t)(depth + 1));
        n->col = p->ncols++;
        return 0;
    }
    case MG_PQ_STRUCT:
        n->def = pdef + 1;
        for (size_t i = 0; i < n->nkids; i++)
            if (assign(p, n->kids[i], n->def, prep, path, depth + 1))
                return -1;
        return 0;
    case MG_PQ_LIST:
        if (n->nkids != 1) return -1;
        n->def = pdef + 1;
        n->rep = prep + 1;
        path[depth + 1] = "list";
        return assign(p, n->kids[0], n->def + 1, n->rep, path, depth + 2);
    }
    return -1;
}

mg_pq *
mg_pq_open(const char *path, mg_pq_node **fields, size_t nfields, int codec,
           unsigned row_group, const char *created_by, char *err,
           size_t errlen)
{
    mg_pq *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->codec = codec;
    p->row_group = row_group ? row_group : 8192;
    p->fields = fields;
    p->nfields = nfields;
    p->path = strdup(path);
    p->created_by = strdup(created_by ? created_by : "musicgen");
    const char *stack[32];
    for (size_t i = 0; i < nfields; i++)
        if (assign(p, fields[i], 0, 0, stack, 0)) {
            mg_errf(err, errlen, "parquet: schema too deep");
            mg_pq_abort(&p);
            return NULL;
        }
    if (codec == 6 && !(p->zctx = ZSTD_createCCtx())) {
        mg_errf(err, errlen, "parquet: out of memory");
        mg_pq_abort(&p);
        return NULL;
    }
    p->f = mg_ofile_open(path, err, errlen);
    if (!p->f) {
        mg_pq_abort(&p);
        return NULL;
    }
    if (mg_ofile_write(p->f, "PAR1", 4)) p->io_errno = errno;
    p->offset = 4;
    return p;
}

int
mg_pq_ncols(const mg_pq *p)
{
    return p->ncols;
}

static int write_all(mg_pq *p, const void *s, size_t n);

/* The chunk's dictionary page (its entries PLAIN, compressed), written
 * to the file ahead of its data pages; bytes written in *size. */
static int
write_dict_page(mg_pq *p, const pq_colsnap *c, int64_t *unc, int64_t *size)
{
    *unc = *size = 0;
    if (!c->ndent) return 0;
    if (mg_pq_compress(p, &c->dict, &p->comp)) return -1;
    buf *h = &p->hdr;
    h->len = 0;
    tw t = {.b = h};
    tw_i32(&t, 1, 2); /* DICTIONARY_PAGE */
    tw_i32(&t, 2, (int32_t)c->dict.len);
    tw_i32(&t, 3, (int32_t)p->comp.len);
    tw_struct(&t, 7); /* DictionaryPageHeader */
    tw_i32(&t, 1, (int32_t)c->ndent);
    tw_i32(&t, 2, ENC_PLAIN_DICTIONARY);
    tw_pop(&t);
    b_byte(h, 0); /* end of PageHeader */
    if (h->oom || write_all(p, h->p, h->len) ||
        write_all(p, p->comp.p, p->comp.len))
        return -1;
    *unc = (int64_t)(h->len + c->dict.len);
    *size = (int64_t)(h->len + p->comp.len);
    return 0;
}

static int
write_all(mg_pq *p, const void *s, size_t n)
{
    if (n && mg_ofile_write(p->f, s, n)) {
        p->io_errno = errno ? errno : EIO;
        return -1;
    }
    p->offset += n;
    return 0;
}

void
mg_pq_group_free(pq_group *g)
{
    if (!g) return;
    for (int i = 0; g->cols && i < g->ncols; i++) {
        b_free(&g->cols[i].smax);
        b_free(&g->cols[i].smin);
        b_free(&g->cols[i].dict);
    }
    free(g->cols);
    free(g);
}

int
mg_pq_group_out(mg_pq *p, pq_group *g)
{
    tw t = {.b = &p->groups};
    tw_push(&t); /* RowGroup (a list element) */
    tw_list(&t, 1, T_STRUCT, (size_t)p->ncols);
    int64_t total_unc = 0, total_comp = 0;
    uint64_t first = p->offset;
    for (int i = 0; i < p->ncols; i++) {
        col *c = &p->cols[i];
        const pq_colsnap *s = &g->cols[i];
        uint64_t dict_off = p->offset;
        int64_t dict_unc, dict_size;
        if (write_dict_page(p, s, &dict_unc, &dict_size)) return -1;
        uint64_t off = p->offset;
        if (write_all(p, c->chunk.p, c->chunk.len)) return -1;
        int64_t chunk_unc = c->uncompressed + dict_unc;
        int64_t chunk_size = (int64_t)c->chunk.len + dict_size;
        total_unc += chunk_unc;
        total_comp += chunk_size;
        tw_push(&t); /* ColumnChunk */
        tw_i64(&t, 2, (int64_t)(s->ndent ? dict_off : off));
        tw_struct(&t, 3); /* ColumnMetaData */
        tw_i32(&t, 1, leaf_physical(c->leaf->type));
        tw_list(&t, 2, T_I32, s->ndent ? 3 : 2);
        if (s->ndent) b_varint(t.b, zz(ENC_PLAIN_DICTIONARY));
        b_varint(t.b, zz(ENC_PLAIN));
        b_varint(t.b, zz(ENC_RLE));
        tw_list(&t, 3, T_BINARY, (size_t)c->npath);
        for (int k = 0; k < c->npath; k++) {
            size_t n = strlen(c->path[k]);
            b_varint(t.b, n);
            b_put(t.b, c->path[k], n);
        }
        tw_i32(&t, 4, p->codec);
        tw_i64(&t, 5, s->num_values);
        tw_i64(&t, 6, chunk_unc);
        tw_i64(&t, 7, chunk_size);
        tw_i64(&t, 9, (int64_t)off);
        if (s->ndent) tw_i64(&t, 11, (int64_t)dict_off);
        tw_struct(&t, 12); /* Statistics */
        tw_i64(&t, 3, s->nulls);
        if (s->has_minmax) {
            tw_bin(&t, 5, s->smax.p, s->smax.len);
            tw_bin(&t, 6, s->smin.p, s->smin.len);
        }
        tw_pop(&t);
        tw_pop(&t); /* ColumnMetaData */
        tw_pop(&t); /* ColumnChunk */
        c->chunk.len = 0;
        c->uncompressed = 0;
    }
    tw_i64(&t, 2, total_unc);
    tw_i64(&t, 3, (int64_t)g->rows);
    tw_i64(&t, 5, (int64_t)first);
    tw_i64(&t, 6, total_comp);
    tw_field(&t, T_I16, 7);
    b_varint(t.b, zz((int64_t)p->ngroups));
    tw_pop(&t);
    p->ngroups++;
    return p->groups.oom ? -1 : 0;
}

/* End the row group: each column's last page out, what the group's
 * metadata needs of its chunk taken, its statistics and dictionary
 * started afresh; then the group written (here, or by the thread). */
static int
flush_group(mg_pq *p)
{
    if (!p->rows_in_group) return 0;
    pq_group *g = calloc(1, sizeof *g);
    if (g) g->cols = calloc((size_t)p->ncols, sizeof *g->cols);
    if (!g || !g->cols) {
        mg_pq_group_free(g);
        return -1;
    }
    g->ncols = p->ncols;
    g->rows = p->rows_in_group;
    int rc = 0;
    for (int i = 0; i < p->ncols && !rc; i++) {
        col *c = &p->cols[i];
        pq_colsnap *s = &g->cols[i];
        if (mg_pq_flush_page(p, c) || c->dict.oom) {
            rc = -1;
            break;
        }
        s->ndent = c->ndent;
        s->num_values = c->num_values;
        s->nulls = c->nulls;
        s->has_minmax = c->has_minmax;
        if (c->has_minmax) {
            mg_pq_stat_value(c, true, &s->smax);
            mg_pq_stat_value(c, false, &s->smin);
        }
        if (c->ndent) b_put(&s->dict, c->dict.p, c->dict.len);
        if (s->smax.oom || s->smin.oom || s->dict.oom) rc = -1;
        c->num_values = c->nulls = 0;
        c->has_minmax = false;
        /* a new chunk, a new dictionary */
        c->dict.len = 0;
        c->ndent = 0;
        c->chunk_vals = 0;
        if (c->dslot) memset(c->dslot, 0, c->dcap * sizeof *c->dslot);
        memset(c->small, 0, sizeof c->small);
    }
    p->rows_in_group = 0;
    if (rc) {
        mg_pq_group_free(g);
        return -1;
    }
    if (mg_pq_async_on(p)) return mg_pq_async_group(p, g);
    rc = mg_pq_group_out(p, g);
    mg_pq_group_free(g);
    return rc;
}

int
mg_pq_end_row(mg_pq *p, char *err, size_t errlen)
{
    p->rows++;
    p->rows_in_group++;
    int rc = 0;
    for (int i = 0; i < p->ncols && !rc; i++) {
        col *c = &p->cols[i];
        if (c->vals.oom) rc = -1;
        else if (c->vals.len - VHEAD + c->nlev * 2 >= PAGE_BYTES)
            rc = mg_pq_flush_page(p, c);
    }
    if (!rc && p->rows_in_group >= p->row_group) rc = flush_group(p);
    if (rc && mg_pq_async_on(p)) mg_pq_async_drain(p); /* for io_errno */
    if (rc)
        return mg_errf(err, errlen, "%s: %s", p->path,
                       p->io_errno ? strerror(p->io_errno)
                                   : "out of memory or compression failed");
    return 0;
}

static void
schema_element(tw *t, const mg_pq_node *n, const char *name, int repetition)
{
    tw_push(t);
    if (n && n->kind == MG_PQ_LEAF) tw_i32(t, 1, leaf_physical(n->type));
    tw_i32(t, 3, repetition);
    tw_bin(t, 4, name, strlen(name));
    if (!n) { /* the repeated "list" group */
        tw_i32(t, 5, 1);
        tw_pop(t);
        return;
    }
    if (n->kind == MG_PQ_STRUCT) tw_i32(t, 5, (int32_t)n->nkids);
    if (n->kind == MG_PQ_LIST) {
        tw_i32(t, 5, 1);
        tw_i32(t, 6, 3); /* ConvertedType LIST */
        tw_struct(t, 10);
        tw_struct(t, 3); /* LogicalType.LIST */
        tw_pop(t);
        tw_pop(t);
    }
    if (n->kind == MG_PQ_LEAF) {
        if (n->type == MG_PQ_STRING || n->type == MG_PQ_JSON) {
            tw_i32(t, 6, n->type == MG_PQ_STRING ? 0 : 19); /* UTF8, JSON */
            tw_struct(t, 10);
            tw_struct(t, n->type == MG_PQ_STRING ? 1 : 12);
            tw_pop(t);
            tw_pop(t);
        } else if (n->type == MG_PQ_UINT64) {
            tw_i32(t, 6, 14); /* UINT_64 */
            tw_struct(t, 10);
            tw_struct(t, 10); /* LogicalType.INTEGER */
            tw_field(t, T_BYTE, 1);
            b_byte(t->b, 64);
            tw_bool(t, 2, false);
            tw_pop(t);
            tw_pop(t);
        }
    }
    tw_pop(t);
}

static size_t
count_elements(const mg_pq_node *n)
{
    size_t k = 1;
    if (n->kind == MG_PQ_LIST) return 1 + 1 + count_elements(n->kids[0]);
    for (size_t i = 0; i < n->nkids; i++) k += count_elements(n->kids[i]);
    return k;
}

static void
schema_tree(tw *t, const mg_pq_node *n, const char *name)
{
    schema_element(t, n, name, 1);
    if (n->kind == MG_PQ_STRUCT)
        for (size_t i = 0; i < n->nkids; i++)
            schema_tree(t, n->kids[i], n->kids[i]->name);
    if (n->kind == MG_PQ_LIST) {
        schema_element(t, NULL, "list", 2);
        schema_tree(t, n->kids[0], "element");
    }
}

static void
free_p(mg_pq *p)
{
    for (int i = 0; i < p->ncols; i++) {
        col *c = &p->cols[i];
        free(c->reps);
        free(c->defs);
        b_free(&c->vals);
        b_free(&c->chunk);
        b_free(&c->smin);
        b_free(&c->smax);
        b_free(&c->dict);
        free(c->dent);
        free(c->dslot);
    }
    free(p->cols);
    b_free(&p->groups);
    b_free(&p->page);
    b_free(&p->comp);
    b_free(&p->hdr);
    if (p->zctx) ZSTD_freeCCtx(p->zctx);
    free(p->path);
    free(p->created_by);
    free(p);
}

void
mg_pq_abort(mg_pq **pp)
{
    mg_pq *p = *pp;
    if (!p) return;
    mg_pq_async_kill(p);
    mg_ofile_abort(&p->f);
    free_p(p);
    *pp = NULL;
}

int
mg_pq_close(mg_pq **pp, char *err, size_t errlen)
{
    mg_pq *p = *pp;
    *pp = NULL;
    int rc = flush_group(p);
    if (mg_pq_async_on(p) && mg_pq_async_drain(p)) rc = -1;
    buf meta = {0};
    tw t = {.b = &meta};
    tw_i32(&t, 1, 1);
    size_t nel = 1;
    for (size_t i = 0; i < p->nfields; i++) nel += count_elements(p->fields[i]);
    tw_list(&t, 2, T_STRUCT, nel);
    tw_push(&t); /* root */
    tw_bin(&t, 4, "schema", 6);
    tw_i32(&t, 5, (int32_t)p->nfields);
    tw_pop(&t);
    for (size_t i = 0; i < p->nfields; i++)
        schema_tree(&t, p->fields[i], p->fields[i]->name);
    tw_i64(&t, 3, (int64_t)p->rows);
    tw_list(&t, 4, T_STRUCT, p->ngroups);
    b_put(&meta, p->groups.p, p->groups.len);
    tw_bin(&t, 6, p->created_by, strlen(p->created_by));
    tw_list(&t, 7, T_STRUCT, (size_t)p->ncols);
    for (int i = 0; i < p->ncols; i++) {
        tw_push(&t); /* ColumnOrder */
        tw_struct(&t, 1); /* TYPE_ORDER */
        tw_pop(&t);
        tw_pop(&t);
    }
    b_byte(&meta, 0); /* end of FileMetaData */
    if (!rc && (meta.oom || p->groups.oom)) rc = -1;
    if (!rc) rc = write_all(p, meta.p, meta.len);
    uint8_t tail[8];
    uint32_t ml = (uint32_t)meta.len;
    for (int i = 0; i < 4; i++) tail[i] = (uint8_t)(ml >> (8 * i));
    memcpy(tail + 4, "PAR1", 4);
    if (!rc) rc = write_all(p, tail, 8);
    b_free(&meta);
    if (rc) {
        mg_ofile_abort(&p->f);
        mg_errf(err, errlen, "%s: %s", p->path,
                p->io_errno ? strerror(p->io_errno) : "out of memory");
    } else {
        rc = mg_ofile_close(&p->f, err, errlen);
    }
    free_p(p);
    return rc ? -1 : 0;
}
