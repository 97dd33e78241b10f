# assets_midi — MIDI corpora with `download-assets --midi` against a
# loopback HTTP server (tests/tools/asset_server.py): a zip and a tar.gz
# install into midi_assets/<layer>/ and are unpacked beside themselves,
# byte for byte, with their licence sidecar; a second run fetches nothing;
# --force restores a damaged tree; archives with a '..' entry, an absolute
# path or a symbolic link are refused with one line and write nothing; an
# entry without a SHA-256 (sha256 = "", as the shipped registry's corpora)
# is refused before any request; the shipped sf/assets.toml lists
# GrooveMIDI, FreeMidiChords and LakhCleanMIDI with their licences.
. "$MG_SRC/tests/system/lib.sh"
set -u
mkdir -p srv/files
"$PY" - <<'PYEOF' || die "fixtures"
import io, tarfile, zipfile
mid = b"MThd\0\0\0\6\0\0\0\1\0\140MTrk\0\0\0\4\0\377\57\0"
with zipfile.ZipFile("srv/files/groove.zip", "w") as z:
    z.writestr("groove/", b"")
    z.writestr("groove/drummer1/session1/1_funk_80_beat_4-4.mid", mid)
    z.writestr("groove/drummer2/eval/2_jazz_120_fill_4-4.mid", mid + b"\0")
    z.writestr("groove/LICENSE", b"CC BY 4.0\n")
def tar(path, members, mode="w:gz"):
    with tarfile.open(path, mode) as t:
        for name, data, typ in members:
            ti = tarfile.TarInfo(name)
            if typ == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif typ == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, "/etc/passwd"
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
tar("srv/files/chords.tar.gz", [("chords", b"", "dir"),
    ("chords/C Major/4 Progression/I-V-vi-IV.mid", mid, "file"),
    ("chords/A minor/1 Triad/Am.mid", mid + b"\1", "file")])
with zipfile.ZipFile("srv/files/evil.zip", "w") as z:
    z.writestr("ok.mid", mid)
    z.writestr("../../evil.mid", mid)
tar("srv/files/abs.tar", [("ok.mid", mid, "file"), ("/tmp/musicgen-abs-evil.mid", mid, "file")], "w")
tar("srv/files/link.tar.gz", [("ok.mid", mid, "file"), ("passwd.mid", b"", "sym")])
PYEOF
start_asset_server srv
sum() { sha256sum "srv/files/$1" | cut -d' ' -f1; }
entry() { # entry NAME FILE LAYER DEFAULT
    printf '[[midi]]\nname = "%s"\nurl = "%s/files/%s"\nsha256 = "%s"\nfilename = "%s"\nlicense = "CC-BY-4.0"\nlayers = ["%s"]\ndefault = %s\n\n' \
        "$1" "$U" "$2" "$(sum "$2")" "$2" "$3" "$4"
}
{
    entry Grooves groove.zip beat true
    entry Chords chords.tar.gz harmony true
    entry Evil evil.zip melody false
    entry Abs abs.tar melody false
    entry Link link.tar.gz melody false
    printf '[[midi]]\nname = "NoSum"\nurl = "%s/files/groove.zip"\nsha256 = ""\nfilename = "nosum.zip"\nlicense = "MIT"\nlayers = ["bassline"]\n' "$U"
} > assets.toml
DL="$MG_BIN download-assets --registry assets.toml --midi-dir midi_assets"
one_line() {  # one_line FILE PATTERN WHAT
    [ "$(wc -l <"$1")" -eq 1 ] || { cat "$1"; die "$3: not one line"; }
    grep -q "$2" "$1" || { cat "$1"; die "$3: no '$2'"; }
}

# the defaults install and unpack, byte for byte
$DL --midi 2>ok.txt || { cat ok.txt; die "--midi failed"; }
grep -q "Grooves: installed midi_assets/beat/groove.zip (CC-BY-4.0), unpacked 3 files into midi_assets/beat/groove/" ok.txt \
    || { cat ok.txt; die "no unpack line for the zip"; }
grep -q "Chords: installed .*unpacked 2 files into midi_assets/harmony/chords/" ok.txt \
    || { cat ok.txt; die "no unpack line for the tar.gz"; }
"$PY" - <<'PYEOF' || die "the unpacked trees differ from the archives"
import json, os, tarfile, zipfile
def tree(root):
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out
z = zipfile.ZipFile("srv/files/groove.zip")
want = {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
assert tree("midi_assets/beat/groove") == want, tree("midi_assets/beat/groove")
t = tarfile.open("srv/files/chords.tar.gz")
want = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
assert tree("midi_assets/harmony/chords") == want
for f in ("midi_assets/beat/groove.zip.json", "midi_assets/harmony/chords.tar.gz.json"):
    j = json.load(open(f))
    assert j["license"] == "CC-BY-4.0" and j["license_class"] == "attribution", j
assert not [n for d, ds, fs in os.walk("midi_assets") for n in ds + fs if n.startswith(".")]
PYEOF
# (the licence sidecars are rewritten on each run, by design)
snap() { find midi_assets ! -name '*.json' -exec ls -ld --time-style=+%s.%N {} + | grep -v '^d' | sort; }
before=$(snap)
nreq=$(wc -l < srv/requests.log)

# a second run: nothing fetched, nothing changed
$DL --midi 2>again.txt || { cat again.txt; die "second --midi failed"; }
[ "$(grep -c "already installed" again.txt)" -eq 2 ] || { cat again.txt; die "second run not 'already installed'"; }
[ "$(wc -l < srv/requests.log)" -eq "$nreq" ] || die "a second run downloaded again"
[ "$(snap)" = "$before" ] || die "a second run changed midi_assets"

# a damaged tree is restored by --force, and what a killed unpack left
# (a temporary tree of a dead pid) is swept; a live pid's is not
dead=$(sh -c 'echo $$')
mkdir -p "midi_assets/beat/.groove.unpack-$dead/x" "midi_assets/beat/.groove.unpack-$$"
printf 'x' > midi_assets/beat/groove/groove/LICENSE
rm midi_assets/beat/groove/groove/drummer2/eval/2_jazz_120_fill_4-4.mid
$DL --name Grooves --force 2>force.txt || { cat force.txt; die "--force failed"; }
[ ! -e "midi_assets/beat/.groove.unpack-$dead" ] || die "a dead run's temporary tree was not swept"
[ -d "midi_assets/beat/.groove.unpack-$$" ] || die "a live process's temporary tree was removed"
rmdir "midi_assets/beat/.groove.unpack-$$"
[ "$(cat midi_assets/beat/groove/groove/LICENSE)" = "CC BY 4.0" ] || die "--force did not restore LICENSE"
[ -f midi_assets/beat/groove/groove/drummer2/eval/2_jazz_120_fill_4-4.mid ] || die "--force did not restore a file"

# unsafe archives: one line, nothing written anywhere
for bad in Evil:"unsafe entry '../../evil.mid'" Abs:"unsafe entry '/tmp/musicgen-abs-evil.mid'" Link:"is a link or special file"; do
    name=${bad%%:*}
    want=${bad#*:}
    $DL --name "$name" 2>e.txt && die "$name: an unsafe archive was accepted"
    one_line e.txt "$want" "$name"
    stem=$(echo "$name" | tr 'A-Z' 'a-z')
    [ ! -e "midi_assets/melody/$stem" ] || die "$name: a tree was installed"
done
[ ! -e evil.mid ] && [ ! -e midi_assets/evil.mid ] && [ ! -e /tmp/musicgen-abs-evil.mid ] \
    || die "an archive wrote outside its directory"
[ -z "$(find midi_assets -name '.*')" ] || die "temporary files left: $(find midi_assets -name '.*')"
[ "$(ls midi_assets/melody | sort | tr '\n' ' ')" = "abs.tar abs.tar.json evil.zip evil.zip.json link.tar.gz link.tar.gz.json " ] \
    || die "melody holds more than the refused archives: $(ls midi_assets/melody)"

# no SHA-256: refused before any request
nreq=$(wc -l < srv/requests.log)
$DL --name NoSum 2>e.txt && die "an entry without a SHA-256 was fetched"
one_line e.txt "NoSum: assets.toml:[0-9]* gives no SHA-256 .*not fetched" "no sha256"
[ "$(wc -l < srv/requests.log)" -eq "$nreq" ] || die "the unverifiable entry was requested"
[ ! -e midi_assets/bassline ] || die "the unverifiable entry made a directory"

# the shipped registry: the three corpora with their licences, refused
# with one line each (their checksums are not known)
$MG_BIN download-assets --list > list.txt || die "--list of the shipped registry"
grep -q "^midi  GrooveMIDI .*beat .*CC-BY-4.0 .*attribution.*no sha256" list.txt || { cat list.txt; die "GrooveMIDI"; }
grep -q "^midi  FreeMidiChords .*harmony .*MIT .*permissive" list.txt || { cat list.txt; die "FreeMidiChords"; }
grep -q "^midi  LakhCleanMIDI .*melody,harmony,bassline .*CC-BY-4.0" list.txt || { cat list.txt; die "LakhCleanMIDI"; }
$MG_BIN download-assets --midi --midi-dir shipped 2>e.txt && die "the shipped corpora were fetched"
[ "$(wc -l < e.txt)" -eq 2 ] && [ "$(grep -c 'gives no SHA-256' e.txt)" -eq 2 ] || { cat e.txt; die "shipped --midi: not one line each"; }
[ ! -e shipped ] || die "the refused corpora made a directory"
exit 0
