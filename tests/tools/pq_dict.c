/*
 * pq_dict — write a Parquet file through the writer's API (parquet.h)
 * with string columns that exercise its dictionary encoding, and the same
 * rows as JSON lines, for tests/system/parquet_dict.sh to compare with
 * what DuckDB reads:
 *   u  a distinct string per row: the dictionary gives up within the
 *      first row group (dictionary pages, then PLAIN pages in one chunk)
 *      and stays off in the next
 *   g  seven values and a null every 11th row (dictionary throughout)
 *   r  runs of ten equal values (RLE runs of entry numbers)
 *   l  list<string> of 0..3 items from five values, null every 13th row
 *   j  JSON text, three values
 *   k  integers, six values (negative, small, large) and a null every
 *      17th row (an integer dictionary throughout)
 *   n  list<int64> of 0..3 items from four values, given a list at a time
 *      (mg_pq_ints); i, distinct integers, gives up its dictionary as u
 *   m  list<int64> of 0..2 distinct integers given one at a time
 *      (mg_pq_int): its dictionary gives up inside a row, the page ending
 *      between two elements of one list
 * Usage: pq_dict OUT.parquet OUT.jsonl ROWS ROW_GROUP [thread]
 * With "thread", pages are compressed and written by the writer's
 * thread (mg_pq_thread): the file must be the same, byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"

static mg_pq_node *
leaf(const char *name, mg_pq_type t)
{
    mg_pq_node *n = calloc(1, sizeof *n);
    n->name = strdup(name);
    n->kind = MG_PQ_LEAF;
    n->type = t;
    return n;
}

static void
node_free(mg_pq_node *n)
{
    for (size_t i = 0; i < n->nkids; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n->name);
    free(n);
}

int
main(int argc, char **argv)
{
    if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "thread"))) {
        fprintf(stderr, "usage: pq_dict OUT.parquet OUT.jsonl ROWS ROW_GROUP "
                        "[thread]\n");
        return 2;
    }
    int rows = atoi(argv[3]);
    unsigned group = (unsigned)atoi(argv[4]);
    mg_pq_node *list = calloc(1, sizeof *list);
    list->name = strdup("l");
    list->kind = MG_PQ_LIST;
    list->nkids = 1;
    list->kids = calloc(1, sizeof *list->kids);
    list->kids[0] = leaf("element", MG_PQ_STRING);
    mg_pq_node *ilist = calloc(1, sizeof *ilist);
    ilist->name = strdup("n");
    ilist->kind = MG_PQ_LIST;
    ilist->nkids = 1;
    ilist->kids = calloc(1, sizeof *ilist->kids);
    ilist->kids[0] = leaf("element", MG_PQ_INT64);
    mg_pq_node *mlist = calloc(1, sizeof *mlist);
    mlist->name = strdup("m");
    mlist->kind = MG_PQ_LIST;
    mlist->nkids = 1;
    mlist->kids = calloc(1, sizeof *mlist->kids);
    mlist->kids[0] = leaf("element", MG_PQ_INT64);
    mg_pq_node *fields[] = {leaf("i", MG_PQ_INT64), leaf("u", MG_PQ_STRING),
                            leaf("g", MG_PQ_STRING), leaf("r", MG_PQ_STRING),
                            list, leaf("j", MG_PQ_JSON), leaf("k", MG_PQ_INT64),
                            ilist, mlist};
    char err[300];
    mg_pq *pq = mg_pq_open(argv[1], fields, 9, 6, group, "pq_dict", err,
                           sizeof err);
    if (pq && argc == 6 && mg_pq_thread(pq)) {
        fprintf(stderr, "pq_dict: no thread\n");
        return 1;
    }
    FILE *js = fopen(argv[2], "w");
    if (!pq || !js) {
        fprintf(stderr, "pq_dict: %s\n", pq ? argv[2] : err);
        return 1;
    }
    for (int i = 0; i < rows; i++) {
        char u[64], g[32], r[32], j[32], item[16];
        snprintf(u, sizeof u, "row-%d-%s", i, i % 2 ? "odd" : "even");
        snprintf(g, sizeof g, "genre-%d", i % 7);
        snprintf(r, sizeof r, "run-%d", i / 10);
        snprintf(j, sizeof j, "{\"a\":%d}", i % 3);
        mg_pq_int(pq, fields[0]->col, 0, i);
        mg_pq_str(pq, fields[1]->col, 0, u, strlen(u));
        bool gnull = i % 11 == 0;
        if (gnull) mg_pq_level(pq, fields[2]->col, 0, 0);
        else mg_pq_str(pq, fields[2]->col, 0, g, strlen(g));
        mg_pq_str(pq, fields[3]->col, 0, r, strlen(r));
        fprintf(js, "{\"i\":%d,\"u\":\"%s\",", i, u);
        if (gnull) fprintf(js, "\"g\":null,");
        else fprintf(js, "\"g\":\"%s\",", g);
        fprintf(js, "\"r\":\"%s\",\"l\":", r);
        int el = list->kids[0]->col;
        if (i % 13 == 0) {
            mg_pq_level(pq, el, 0, 0); /* null list */
            fprintf(js, "null");
        } else if (i % 4 == 0) {
            mg_pq_level(pq, el, 0, list->def); /* empty list */
            fprintf(js, "[]");
        } else {
            fputc('[', js);
            for (int k = 0; k < i % 4; k++) {
                snprintf(item, sizeof item, "x%d", (i + k) % 5);
                mg_pq_str(pq, el, k ? list->rep : 0, item, strlen(item));
                fprintf(js, "%s\"%s\"", k ? "," : "", item);
            }
            fputc(']', js);
        }
        mg_pq_str(pq, fields[5]->col, 0, j, strlen(j));
        fprintf(js, ",\"j\":%s,\"k\":", j);
        if (i % 17 == 0) {
            mg_pq_level(pq, fields[6]->col, 0, 0);
            fprintf(js, "null");
        } else {
            static const int64_t kv[] = {-250, 0, 7, 127, 128, 5000000000};
            mg_pq_int(pq, fields[6]->col, 0, kv[i % 6]);
            fprintf(js, "%lld", (long long)kv[i % 6]);
        }
        int64_t nv[3];
        for (int k = 0; k < i % 4; k++) nv[k] = (i + k) % 4;
        if (i % 4) {
            mg_pq_ints(pq, ilist->kids[0]->col, 0, ilist->rep, nv, (size_t)(i % 4));
        } else {
            mg_pq_level(pq, ilist->kids[0]->col, 0, ilist->def); /* empty */
        }
        fprintf(js, ",\"n\":[");
        for (int k = 0; k < i % 4; k++) fprintf(js, "%s%lld", k ? "," : "", (long long)nv[k]);
        fprintf(js, "],\"m\":[");
        int mc = (i + 2) % 3; /* a 2-list at row 1023: its 2nd element is
                                 the 1,025th entry */
        if (!mc) mg_pq_level(pq, mlist->kids[0]->col, 0, mlist->def); /* empty */
        for (int k = 0; k < mc; k++) {
            mg_pq_int(pq, mlist->kids[0]->col, k ? mlist->rep : 0,
                      (int64_t)i * 3 + k + 1000);
            fprintf(js, "%s%d", k ? "," : "", i * 3 + k + 1000);
        }
        fprintf(js, "]}\n");
        if (mg_pq_end_row(pq, err, sizeof err)) {
            fprintf(stderr, "pq_dict: %s\n", err);
            return 1;
        }
    }
    if (mg_pq_close(&pq, err, sizeof err) || fclose(js)) {
        fprintf(stderr, "pq_dict: %s\n", err);
        return 1;
    }
    for (int k = 0; k < 9; k++) node_free(fields[k]);
    return 0;
}
