# assets_download — `musicgen download-assets` against a real HTTP server
# on loopback (tests/tools/asset_server.py) serving fixture files: a good
# file installs with its licence beside it and joins the pools; a wrong
# checksum, a 404, a connection cut mid-file and a file-size limit (the
# "full disk") each give one clear line and leave the installed set
# unchanged (the line says how many attempts were made, or that retries
# are off); an installed asset is left untouched by the next run; the cut download is resumed with a Range request by the next
# run; --list shows licences; a registry with a syntax error names the line;
# a --sf-dir or --midi-dir not there yet is made.
. "$MG_SRC/tests/system/lib.sh"
set -u
mkdir -p srv/files sf
cp /usr/share/sounds/sf2/sf_GMbank.sf2 srv/files/bank.sf2
cp /usr/share/sounds/sf2/TimGM6mb.sf2 srv/files/tim.sf2
printf 'MThd\0\0\0\6\0\0\0\1\0\140MTrk\0\0\0\4\0\377\57\0' >srv/files/groove.mid
start_asset_server srv
S_BANK=$(sha256sum srv/files/bank.sf2 | cut -d' ' -f1)
S_TIM=$(sha256sum srv/files/tim.sf2 | cut -d' ' -f1)
S_MID=$(sha256sum srv/files/groove.mid | cut -d' ' -f1)
cat >assets.toml <<EOT
# fixtures for assets_download
[[sf2]]
name         = "Bank"
description  = "public-domain bank"
url          = "$U/files/bank.sf2"
sha256       = "$S_BANK"
filename     = "bank.sf2"
size_hint_mb = 4
license      = "public-domain"
license_url  = "https://example.org/pd"
layers       = ["melody", "harmony"]
default      = true

[[sf2]]
name = "BadSum"
url = "$U/files/bank.sf2"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
filename = "badsum.sf2"
license = "MIT"
layers = ["melody"]

[[sf2]]
name = "Missing"
url = "$U/files/nothere.sf2"
sha256 = "$S_BANK"
filename = "missing.sf2"
license = "MIT"
layers = ["melody"]

[[sf2]]
name = "Cut"
url = "$U/cut/tim.sf2"
sha256 = "$S_TIM"
filename = "cut.sf2"
license = "GPL-2.0-only"
layers = ["all"]

[[sf2]]
name = "Down"
url = "http://127.0.0.1:1/down.sf2"
sha256 = "$S_BANK"
filename = "down.sf2"
license = "MIT"
layers = ["melody"]

[[midi]]
name = "Grooves"
url = "$U/files/groove.mid"
sha256 = "$S_MID"
filename = "groove.mid"
license = "CC-BY-4.0"
layers = ["beat"]
default = true
EOT
export MUSICGEN_ASSETS="$PWD/assets.toml" MUSICGEN_DOWNLOAD_BACKOFF_MS=50
DL="$MG_BIN download-assets --sf-dir sf --midi-dir midi_assets"
installed() { find sf midi_assets -type f ! -name '.*' 2>/dev/null | sort; }
one_line() {  # one_line FILE PATTERN WHAT
    [ "$(wc -l <"$1")" -eq 1 ] || { cat "$1"; die "$3: not one line"; }
    grep -q "$2" "$1" || { cat "$1"; die "$3: no '$2'"; }
}

# --list shows licences
$DL --list >list.txt || die "--list failed"
grep -q "Bank .*public-domain .*permissive" list.txt || { cat list.txt; die "--list lacks a licence"; }
grep -q "Cut .*GPL-2.0-only .*copyleft" list.txt || { cat list.txt; die "--list lacks a class"; }

# a good file installs (the defaults: --sf2 and --midi)
$DL --sf2 --midi 2>ok.txt || { cat ok.txt; die "good download failed"; }
[ "$(sha256sum sf/melody/bank.sf2 | cut -d' ' -f1)" = "$S_BANK" ] || die "installed font differs"
[ -f sf/melody/bank.sf2.json ] || die "no licence sidecar"
[ -f midi_assets/beat/groove.mid ] || die "MIDI corpus not in midi_assets/beat"
"$MG_BIN" fonts --sf-dir sf >fonts.txt || die "fonts failed"
grep -q "Bank .*public-domain" fonts.txt || { cat fonts.txt; die "installed font not in the registry listing"; }
grep "^\*" fonts.txt | grep -q "melody,harmony" || { cat fonts.txt; die "sidecar layers not applied"; }
before=$(installed)

# an installed, verified asset is left as it is: the file and its licence
# sidecar keep their inode and mtime; a sidecar deleted by hand comes back
# without a new download
files="sf/melody/bank.sf2 sf/melody/bank.sf2.json midi_assets/beat/groove.mid midi_assets/beat/groove.mid.json"
stamps() { for f in $files; do stat -c '%n %i %y' "$f"; done; }
stamps >st1.txt || die "installed files missing"
reqs=$(wc -l <srv/requests.log)
$DL --sf2 --midi 2>ok2.txt || { cat ok2.txt; die "second run failed"; }
stamps | cmp -s - st1.txt || { stamps; cat st1.txt; die "an installed asset's files were rewritten"; }
[ "$(wc -l <srv/requests.log)" -eq "$reqs" ] || die "an installed asset was downloaded again"
cp sf/melody/bank.sf2.json side.json
rm sf/melody/bank.sf2.json
$DL --sf2 2>ok3.txt || { cat ok3.txt; die "run without a sidecar failed"; }
cmp -s side.json sf/melody/bank.sf2.json || die "the missing sidecar was not written again"
[ "$(wc -l <srv/requests.log)" -eq "$reqs" ] || die "a missing sidecar made a download"

# a wrong checksum
$DL --name BadSum 2>e1.txt && die "a wrong checksum was accepted"
one_line e1.txt "SHA-256 mismatch" "wrong checksum"
[ "$(installed)" = "$before" ] || die "wrong checksum changed the installed set"
[ -z "$(ls -A sf/melody | grep part)" ] || die "a partial file left after a bad checksum"

# a 404
$DL --name Missing 2>e2.txt && die "a 404 was accepted"
one_line e2.txt "404" "404"
[ "$(installed)" = "$before" ] || die "404 changed the installed set"

# a connection cut mid-file, no retry: fails, the partial file is kept
MUSICGEN_DOWNLOAD_RETRIES=0 $DL --name Cut 2>e3.txt && die "a cut download was accepted"
one_line e3.txt "Cut: download" "cut"
grep -q "failed (one attempt: retries are off): " e3.txt ||
    { cat e3.txt; die "retries 0: the message does not say so"; }
[ "$(installed)" = "$before" ] || die "a cut download changed the installed set"
[ -s sf/beat/.cut.sf2.part ] || die "no partial file to resume"
# ... and the next run resumes it with a Range request
$DL --name Cut 2>e4.txt || { cat e4.txt; die "resume failed"; }
grep -q "^/cut/tim.sf2 bytes=[1-9]" srv/requests.log || { cat srv/requests.log; die "no Range request"; }
[ "$(sha256sum sf/beat/cut.sf2 | cut -d' ' -f1)" = "$S_TIM" ] || die "resumed file differs"
before=$(installed)

# nothing listening, 2 retries: the message counts the attempts
MUSICGEN_DOWNLOAD_RETRIES=2 $DL --name Down 2>e8.txt && die "a refused connection was accepted"
one_line e8.txt "Down: download from http://127.0.0.1:1/down.sf2 failed after 3 attempts: " "refused"
[ ! -e sf/melody/.down.sf2.part ] || die "a refused connection left an empty partial file"

# a full disk: a file-size limit of 1 MB
rm -f sf/melody/bank.sf2 sf/melody/bank.sf2.json
before=$(installed)
(ulimit -f 2048; exec $DL --name Bank) 2>e5.txt && die "a write past the size limit was accepted"
one_line e5.txt "Bank: cannot write" "full disk"
[ "$(installed)" = "$before" ] || die "a full disk changed the installed set"

# a registry with a syntax error names its line
printf '[[sf2]]\nname = "X"\nurl = "http://127.0.0.1/x"\nsha256 = oops\n' >bad.toml
$DL --registry bad.toml --list 2>e6.txt && die "a bad registry was accepted"
one_line e6.txt "bad.toml:4:" "syntax error"
# TOML is UTF-8: a Latin-1 attribution is refused, naming the line and
# byte (it reached the licence sidecar as nothing: the key was dropped)
printf '[[sf2]]\nname = "X"\nattribution = "by J\374rgen"\n' >latin1.toml
$DL --registry latin1.toml --list 2>e9.txt && die "a Latin-1 registry was accepted"
one_line e9.txt "latin1.toml:3: byte 0xFC at column 20 is not UTF-8" "Latin-1 registry"
printf '[[sf]]\n' >bad2.toml
$DL --registry bad2.toml --list 2>e7.txt && die "a bad header was accepted"
one_line e7.txt "bad2.toml:1: expected \[\[sf2\]\] or \[\[midi\]\]" "bad header"
# a --sf-dir or --midi-dir not there yet is made, like mkdir -p (it was
# "cannot make new/a/sf/melody: No such file or directory"); a file in
# the way is one line
"$MG_BIN" download-assets --sf2 --midi --sf-dir new/a/sf --midi-dir new/b/midi 2>e10.txt ||
    { cat e10.txt; die "download into new directories failed"; }
cmp -s new/a/sf/melody/bank.sf2 srv/files/bank.sf2 && [ -f new/a/sf/melody/bank.sf2.json ] &&
    [ -f new/b/midi/beat/groove.mid ] || die "not installed into new directories: $(find new)"
touch afile
"$MG_BIN" download-assets --name Bank --sf-dir afile/sf 2>e11.txt && die "a file in the way of --sf-dir accepted"
one_line e11.txt "^musicgen download-assets: Bank: cannot make afile/sf/melody: Not a directory$" "a file in the way"
exit 0
