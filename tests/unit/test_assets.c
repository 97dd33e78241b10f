/*
 * test_assets — the assets.toml parser (common/assets/assets.c): the
 * Python tool's documented example parses field by field; every kind of
 * mistake is one line naming the file and the line it is on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "assets.h"
#include "song.h"

#define SUM "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"

static mg_assets as;

static void
documented_example_parses(void **state)
{
    const char *t =
        "# comment\n\n[[sf2]]\n"
        "name         = \"MySF2\"\n"
        "description  = \"My custom soundfont\"\n"
        "url          = \"https://example.com/my.sf2\"\n"
        "sha256       = \"" SUM "\"          # sha256sum my.sf2\n"
        "filename     = \"my.sf2\"\n"
        "size_hint_mb = 20\n"
        "license      = \"MIT\"\n"
        "license_url  = \"https://example.com/LICENSE\"\n"
        "layers       = [\"melody\", \"harmony\"]\n"
        "default      = false\n"
        "[[midi]]\r\nname = \"G\"\r\nurl = \"http://h/g.mid\"\r\n"
        "sha256 = \"" SUM "\"\r\nfilename = \"g.mid\"\r\n"
        "license = \"CC-BY-4.0\"\r\nlayers = [\"all\"]\r\ndefault = true\r\n";
    char err[512] = "";

    (void)state;
    assert_int_equal(mg_assets_parse(t, strlen(t), "a.toml", &as, err,
                                     sizeof err), 0);
    assert_int_equal(as.n, 2);
    assert_int_equal(as.a[0].kind, MG_ASSET_SF2);
    assert_string_equal(as.a[0].name, "MySF2");
    assert_string_equal(as.a[0].url, "https://example.com/my.sf2");
    assert_string_equal(as.a[0].sha256,
                        "0123456789abcdef0123456789abcdef0123456789abcdef"
                        "0123456789abcdef");
    assert_true(as.a[0].size_hint_mb == 20);
    assert_string_equal(as.a[0].license_class, "permissive");
    assert_int_equal(as.a[0].layers,
                     (1u << MG_LAYER_MELODY) | (1u << MG_LAYER_HARMONY));
    assert_false(as.a[0].is_default);
    assert_int_equal(as.a[1].kind, MG_ASSET_MIDI);
    assert_int_equal(as.a[1].layers, (1u << MG_NLAYERS) - 1);
    assert_string_equal(as.a[1].license_class, "attribution");
    assert_true(as.a[1].is_default);
}

static void
mistakes_name_their_line(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"[[sf2]]\nname = \"A\"\ncolor = \"red\"\n", "x.toml:3: unknown key"},
        {"[[sf2]]\nname = \"A\"\nname = \"B\"\n", "x.toml:3: 'name' given"},
        {"[[sf2]]\nname = \"A\nurl = \"x\"\n", "x.toml:2: unterminated"},
        {"[[sf2]]\nname = \"A\"\nlayers = [\"drums\"]\n",
         "x.toml:3: layers: unknown layer 'drums'"},
        {"[[sf2]]\nname = \"A\"\nsha256 = \"abc\"\n", "x.toml:3: sha256"},
        {"[[sf2]]\nname = \"A\"\nfilename = \"../x.sf2\"\n",
         "x.toml:3: filename"},
        {"name = \"A\"\n", "x.toml:1: 'name' before any"},
        {"[sf2]\n", "x.toml:1: expected [[sf2]] or [[midi]]"},
        {"[[sf2]]\nname = \"A\"\nurl = \"ftp://x\"\n", "x.toml:3: url"},
        {"\n\n[[sf2]]\nname = \"A\"\n", "x.toml:3: A: no url"},
        {"[[sf2]]\nname = \"A\"\ndefault = yes\n", "x.toml:3:"},
        {"[[sf2]]\nname = \"A\"\nsize_hint_mb = 3 4\n", "x.toml:3:"},
    };
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        err[0] = 0;
        assert_int_equal(mg_assets_parse(cases[i].text,
                                         strlen(cases[i].text), "x.toml",
                                         &as, err, sizeof err), -1);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
        assert_null(strchr(err, '\n'));
    }
    {
        /* a duplicate name points at the first one */
        const char *t = "[[sf2]]\nname = \"A\"\nurl = \"http://a\"\n"
                        "sha256 = \"" SUM "\"\nfilename = \"a\"\n"
                        "layers = [\"beat\"]\n[[sf2]]\nname = \"A\"\n"
                        "url = \"http://a\"\nsha256 = \"" SUM "\"\n"
                        "filename = \"b\"\nlayers = [\"beat\"]\n";
        assert_int_equal(mg_assets_parse(t, strlen(t), "x.toml", &as, err,
                                         sizeof err), -1);
        assert_non_null(strstr(err, "x.toml:7: A: the name is already used "
                                    "at line 1"));
    }
}

/* sha256 = "" is a source whose checksum is not known: it parses, marked
 * unverified (download-assets refuses it); a missing sha256 is still an
 * error, so forgetting it is caught. */
static void
empty_sha256_is_unverified(void **state)
{
    char err[512] = "";
    const char *t = "[[midi]]\nname = \"G\"\nurl = \"https://a/g.zip\"\n"
                    "sha256 = \"\"\nfilename = \"g.zip\"\n"
                    "layers = [\"beat\"]\n[[midi]]\nname = \"H\"\n"
                    "url = \"https://a/h.zip\"\nsha256 = \"" SUM "\"\n"
                    "filename = \"h.zip\"\nlayers = [\"beat\"]\n";
    const char *missing = "[[midi]]\nname = \"G\"\nurl = \"https://a/g\"\n"
                          "filename = \"g.zip\"\nlayers = [\"beat\"]\n";

    (void)state;
    assert_int_equal(mg_assets_parse(t, strlen(t), "x.toml", &as, err,
                                     sizeof err), 0);
    assert_int_equal(as.n, 2);
    assert_true(as.a[0].unverified);
    assert_string_equal(as.a[0].sha256, "");
    assert_false(as.a[1].unverified);
    assert_int_equal(mg_assets_parse(missing, strlen(missing), "x.toml", &as,
                                     err, sizeof err), -1);
    assert_non_null(strstr(err, "x.toml:1: G: sha256 must be 64 hex"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documented_example_parses),
        cmocka_unit_test(mistakes_name_their_line),
        cmocka_unit_test(empty_sha256_is_unverified),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
