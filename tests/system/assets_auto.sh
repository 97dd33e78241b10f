# assets_auto — MUSICGEN_AUTO_DOWNLOAD_SF2 with an empty soundfont
# directory (--sf-dir) and a registry served on loopback
# (tests/tools/asset_server.py): unset, the run is refused with one line
# naming `musicgen download-assets --sf2`; set but offline (nothing
# listening), one line naming it too, and nothing installed; set and
# online, the default [[sf2]] entry is downloaded first and the run uses
# it (sample.json and LICENSES.md name it); once a font is installed,
# nothing is fetched again. worker --static does the same.
. "$MG_SRC/tests/system/lib.sh"
set -u
mkdir -p srv/files sf
# an sf directory with its data (FX, mix ranges, GM names) but no font:
# no registry.json, nothing in sf/<layer>/
cp "$MG_SRC/sf/fx.json" "$MG_SRC/sf/mix.json" "$MG_SRC/sf/gm-names.json" sf/
cp /usr/share/sounds/sf2/sf_GMbank.sf2 srv/files/bank.sf2
start_asset_server srv
reg() { # reg BASEURL > registry
    printf '[[sf2]]\nname = "AutoBank"\nurl = "%s/files/bank.sf2"\nsha256 = "%s"\nfilename = "bank.sf2"\nlicense = "public-domain"\nlayers = ["all"]\ndefault = true\n' \
        "$1" "$(sha256sum srv/files/bank.sf2 | cut -d' ' -f1)"
}
reg "$U" > online.toml
# offline: a loopback port nobody listens on (bound, then closed)
dead=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg "http://127.0.0.1:$dead" > offline.toml
export MUSICGEN_DOWNLOAD_RETRIES=0 MUSICGEN_DOWNLOAD_BACKOFF_MS=10
GEN="$MG_BIN generate --seed 5 --count 2 --output-mode midi-only --sf-dir sf -q -w 1"
fonts() { find sf -type f ! -name '.*' ! -name '*.json' -o -name '*.sf2.json' | sort; }

# unset: one line naming the command
MUSICGEN_ASSETS="$PWD/online.toml" $GEN --out d1 2>e1.txt && die "an empty pool was accepted"
[ "$(wc -l < e1.txt)" -eq 1 ] || { cat e1.txt; die "unset: not one line"; }
grep -q "musicgen download-assets --sf2" e1.txt || { cat e1.txt; die "unset: the command is not named"; }
[ ! -s srv/requests.log ] || die "unset: something was downloaded"

# set, offline: one line naming the command, nothing installed
MUSICGEN_AUTO_DOWNLOAD_SF2=1 MUSICGEN_ASSETS="$PWD/offline.toml" $GEN --out d2 2>e2.txt \
    && die "an offline auto-download was accepted"
[ "$(wc -l < e2.txt)" -eq 1 ] || { cat e2.txt; die "offline: not one line"; }
grep -q "automatic download failed (AutoBank: download from .*): run \`musicgen download-assets --sf2\` when online" e2.txt \
    || { cat e2.txt; die "offline: the line does not say it"; }
[ -z "$(fonts)" ] || die "offline: fonts were installed: $(fonts)"
[ ! -e d2/000000 ] || die "offline: a sample was made"

# set, online: downloaded first, then used
MUSICGEN_AUTO_DOWNLOAD_SF2=1 MUSICGEN_ASSETS="$PWD/online.toml" $GEN --out d3 2>e3.txt \
    || { cat e3.txt; die "online auto-download run failed"; }
[ "$(fonts)" = "$(printf 'sf/beat/bank.sf2\nsf/beat/bank.sf2.json')" ] || die "installed: $(fonts)"
cmp -s sf/beat/bank.sf2 srv/files/bank.sf2 || die "the installed font differs"
[ "$(grep -c '^/files/bank.sf2' srv/requests.log)" -eq 1 ] || { cat srv/requests.log; die "not one download"; }
for s in d3/000000 d3/000001; do
    "$PY" - "$s/sample.json" <<'PYEOF' || die "$s does not use the downloaded font"
import json, sys
s = json.load(open(sys.argv[1]))
for layer, f in s["soundfonts"].items():
    assert f["name"] == "AutoBank" and f["license"] == "public-domain", (layer, f)
PYEOF
done
grep -q "AutoBank" d3/LICENSES.md || die "LICENSES.md does not list the downloaded font"

# installed now: nothing is fetched again (generate, worker --static)
MUSICGEN_AUTO_DOWNLOAD_SF2=1 MUSICGEN_ASSETS="$PWD/online.toml" $GEN --out d4 2>e4.txt \
    || { cat e4.txt; die "second run failed"; }
MUSICGEN_AUTO_DOWNLOAD_SF2=1 MUSICGEN_ASSETS="$PWD/online.toml" "$MG_BIN" worker --static \
    --array-index 0 --array-size 1 --seed 5 --count 1 --output-mode midi-only --sf-dir sf \
    --out d5 -q 2>e5.txt || { cat e5.txt; die "worker --static failed"; }
[ "$(grep -c '^/files/bank.sf2' srv/requests.log)" -eq 1 ] || { cat srv/requests.log; die "downloaded again"; }

# worker --static on an empty directory downloads too
mkdir sf2
cp sf/fx.json sf/mix.json sf/gm-names.json sf2/
MUSICGEN_AUTO_DOWNLOAD_SF2=1 MUSICGEN_ASSETS="$PWD/online.toml" "$MG_BIN" worker --static \
    --array-index 0 --array-size 1 --seed 5 --count 1 --output-mode midi-only --sf-dir sf2 \
    --out d6 -q 2>e6.txt || { cat e6.txt; die "worker --static auto-download failed"; }
cmp -s sf2/beat/bank.sf2 srv/files/bank.sf2 || die "worker --static did not install the font"
exit 0
