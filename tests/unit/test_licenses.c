/*
 * test_licenses — LICENSES.md from the finished samples (common/assets/
 * licenses.c): only the top-level "soundfonts" of each ok sample's
 * sample.json counts - not a nested member of that name, not the text
 * of a string - however the file is laid out; a sample without the key
 * still counts as a finished sample; failed rows and unreadable files do
 * not, nor a FIFO where a sample.json is (it hung the command); a FIFO
 * manifest is one error line, and so is a manifest line that is no row
 * or an ok row without a path inside the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "licenses.h"

static char root[256];

static void
put(const char *rel, const char *text)
{
    char p[512];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", root, rel);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define FONT(n) "{\"name\": \"" n "\", \"license\": \"MIT\", " \
                "\"license_class\": \"permissive\", \"path\": \"/x/" n "\"}"

static void
top_level_fonts_only(void **state)
{
    char err[512] = "", sd[300], *md = NULL;
    int nf = -1;
    long len;
    FILE *f;
    (void)state;
    snprintf(root, sizeof root, "/tmp/mg-test-licenses-%ld", (long)getpid());
    mkdir(root, 0755);
    snprintf(sd, sizeof sd, "%s/sf", root);
    mkdir(sd, 0755);
    put("sf/registry.json", "{\"fonts\": []}\n");
    for (int i = 0; i < 6; i++) {
        char d[300];
        snprintf(d, sizeof d, "%s/%06d", root, i);
        mkdir(d, 0755);
    }
    /* 0: compact, first member */
    put("000000/sample.json",
        "{\"soundfonts\":{\"beat\":" FONT("A") ",\"melody\":" FONT("A")
        ",\"harmony\":" FONT("B") ",\"bassline\":" FONT("B") "}}");
    /* 1: a nested "soundfonts" and the key's text in strings (escaped
     * and not) before the real, indented one */
    put("000001/sample.json",
        "{\n  \"notes\": [{\"soundfonts\": {\"beat\": " FONT("Z") "}}],\n"
        "  \"title\": \"\\\"soundfonts\\\": {\\\"beat\\\": 1}\",\n"
        "  \"x\": \"soundfonts\", \"y\": {\"z\": [\"soundfonts\"]},\n"
        "  \"soundfonts\" :\n {\"beat\": " FONT("C") ", \"melody\": "
        FONT("A") ", \"harmony\": " FONT("A") ", \"bassline\": "
        FONT("A") "},\n  \"after\": [1, 2, {\"q\": 3}]\n}\n");
    /* 2: no soundfonts at all (counts as a sample, no font) */
    put("000002/sample.json", "{\"notes\": [{\"soundfonts\": 1}]}");
    /* 3: a failed row; 4: ok but unreadable JSON */
    put("000003/sample.json",
        "{\"soundfonts\":{\"beat\":" FONT("Y") "}}");
    put("000004/sample.json", "{\"soundfonts\": {\"beat\": ");
    /* 5: ok, but its sample.json a FIFO (the read hung, and with it
     * `licenses` and the end of a run) */
    {
        char p[512];
        snprintf(p, sizeof p, "%s/000005/sample.json", root);
        assert_int_equal(mkfifo(p, 0644), 0);
    }
    put("manifest.jsonl",
        "{\"path\": \"000000\", \"status\": \"ok\"}\n"
        "{\"path\": \"000001\", \"status\": \"ok\"}\n"
        "{\"path\": \"000002\", \"status\": \"ok\"}\n"
        "{\"path\": \"000003\", \"status\": \"failed\"}\n"
        "{\"path\": \"000004\", \"status\": \"ok\"}\n"
        "{\"path\": \"000005\", \"status\": \"ok\"}\n");
    alarm(30);      /* a hang fails the test instead of holding it */
    assert_int_equal(mg_licenses_write(root, sd, &nf, err, sizeof err), 0);
    alarm(0);
    assert_int_equal(nf, 3);
    {
        char p[512];
        snprintf(p, sizeof p, "%s/LICENSES.md", root);
        f = fopen(p, "r");
    }
    assert_non_null(f);
    md = calloc(1, 65536);
    assert_non_null(md);
    len = (long)fread(md, 1, 65535, f);
    fclose(f);
    assert_true(len > 0);
    assert_non_null(strstr(md, "3 fonts across 3 finished samples"));
    assert_non_null(strstr(md, "| A | MIT | permissive | 1/2/1/1 | 2 |"));
    assert_non_null(strstr(md, "| B | MIT | permissive | 0/0/1/1 | 1 |"));
    assert_non_null(strstr(md, "| C | MIT | permissive | 1/0/0/0 | 1 |"));
    assert_null(strstr(md, "| Z |"));
    assert_null(strstr(md, "| Y |"));
    free(md);
    /* a line that is no row, or an ok row without a path inside the tree:
     * an error naming the line (they were skipped without a word, and the
     * file left out their samples' fonts); blank lines and failed rows
     * without a path are no faults */
    {
        static const struct { const char *manifest, *want; } bad[] = {
            {"{\"path\": \"000000\", \"status\": \"ok\"}\nnot json\n",
             "manifest.jsonl:2: not a JSON row ("},
            {"\n  \n[1]\n", "manifest.jsonl:3: not an object"},
            {"{\"status\": \"failed\"}\n{\"path\": \"/tmp\", "
             "\"status\": \"ok\"}\n",
             "manifest.jsonl:2: an ok row without a path inside"},
            {"{\"path\": \"../x\", \"status\": \"ok\"}\n",
             "manifest.jsonl:1: an ok row without a path inside"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            put("manifest.jsonl", bad[i].manifest);
            err[0] = 0;
            assert_int_equal(mg_licenses_write(root, sd, &nf, err,
                                               sizeof err), -1);
            assert_non_null(strstr(err, "LICENSES.md not written: "));
            assert_non_null(strstr(err, bad[i].want));
        }
    }
    /* the manifest itself a FIFO: one line naming it, at once */
    {
        char p[512];
        snprintf(p, sizeof p, "%s/manifest.jsonl", root);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkfifo(p, 0644), 0);
        alarm(30);
        assert_int_equal(mg_licenses_write(root, sd, &nf, err, sizeof err),
                         -1);
        alarm(0);
        assert_non_null(strstr(err, "manifest.jsonl: is a FIFO"));
    }
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(top_level_fonts_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
