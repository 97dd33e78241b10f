# serve_limits — `musicgen serve` against a demanding or hostile client,
# over real sockets (no browser): a big sample's tar and spectrogram cost
# the server little memory (they were built whole in memory, the WAV read
# twice over as floats and doubles), and a tar whose file shrinks while it
# is sent ends short, never looking whole (times ustar cannot hold are
# clamped, a file too big for it refused); a negative seed generates; 300
# clients sending their request heads a byte at a time do not keep others
# out (64 of them held every connection of the server), and one of them is
# answered 408 when its time is up (one that sent nothing is closed
# without a word); clients of one address that never read their answers
# leave room for others, and those past its share, or past the server's
# 64 connections, are answered 503 with a reason (they were closed without
# a word); bytes no HTTP request begins with (a TLS hello, a NUL, only
# empty lines) are answered 400 at once (they waited for nothing); a HEAD
# of a spectrogram draws nothing and gives the picture's length; heads
# too big get 431 and libmicrohttpd's line for each is written at most 10
# times a minute, the rest counted; out of file descriptors, the server
# waits instead of spinning a core, and answers once they are free.
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 3 --count 1 --out ds --output-mode midi-only \
    --workers 1 -q || die "dataset"
# a 48 MB mix.wav (16-bit stereo, sparse: no disk used), as a long song's
"$PY" - ds/000000/mix.wav <<'PYEOF'
import struct, sys
n = 48 << 20
with open(sys.argv[1], "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16) +
            b"data" + struct.pack("<I", n))
    f.truncate(44 + n)
PYEOF
trap 'kill $SPID 2>/dev/null' EXIT
start_serve --work work --dataset ds
# peak_after PATH: the growth of the server's peak RSS (kB) over a request
peak() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' /proc/$SPID/status; }
peak_after() {
    before=$(peak)
    curl -fsS -o got "$U$1" || die "$1"
    echo $(($(peak) - before))
}
g=$(peak_after api/tar/ds/0)
[ "$(wc -c <got)" -gt $((48 << 20)) ] && tar tf got | grep -qx 000000/mix.wav ||
    die "the tar of a big sample"
[ "$g" -lt 16384 ] || die "the tar of a 48 MB sample took $g kB of memory"
g=$(peak_after api/spectrogram/ds/0)
[ "$(head -c 8 got | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] || die "not a PNG"
[ "$g" -lt 16384 ] || die "the spectrogram of a 48 MB mix took $g kB of memory"
# HEAD of a spectrogram draws nothing: it read the whole mix (48 MB here)
# and ran every FFT to send no body
rchar() { sed -n 's/^rchar: //p' /proc/$SPID/io; }
before=$(rchar)
curl -fsSI "${U}api/spectrogram/ds/0" >head.txt || die "HEAD of a spectrogram"
read=$(($(rchar) - before))
grep -qi '^content-type: image/png' head.txt || die "HEAD: $(cat head.txt)"
[ "$read" -lt $((1 << 20)) ] || die "HEAD of a spectrogram read $read bytes (drew the picture)"
# ... and gives the length the GET's picture has (it gave none)
len=$(sed -n 's/^[Cc]ontent-[Ll]ength: \([0-9]*\).*/\1/p' head.txt)
[ "$len" = "$(wc -c <got)" ] || die "HEAD of a spectrogram: length '$len', the picture has $(wc -c <got)"
[ "$(curl -s -o /dev/null -I -w '%{http_code}' "${U}api/spectrogram/ds/7")" = 404 ] ||
    die "HEAD of a missing sample's spectrogram"
# times ustar cannot hold are clamped to its range (2300 read as 2011,
# 1960 as garbage); a file of 8 GiB or more is refused (its size was cut,
# the tar corrupt)
touch -d 1960-01-01 ds/000000/mix.wav && touch -d 2300-01-01 ds/000000/sample.json
curl -fsS -o t.tar "${U}api/tar/ds/0" || die "tar of odd times"
"$PY" -c "
import tarfile
m = {x.name: x.mtime for x in tarfile.open('t.tar')}
assert m['000000/mix.wav'] == 0 and m['000000/sample.json'] == 8**11 - 1, m" ||
    die "tar times out of ustar's range"
cp ds/000000/midi/melody.mid melody.keep && truncate -s 9G ds/000000/midi/melody.mid
[ "$(curl -s -o /dev/null -w '%{http_code}' "${U}api/tar/ds/0")" = 500 ] ||
    die "a tar of a 9 GiB file"
cp melody.keep ds/000000/midi/melody.mid
"$PY" - "${U#http://}" <<'PYEOF' || die "slow or garbage clients"
import socket, sys, time
host, port = sys.argv[1].rstrip("/").split(":")
addr = (host, int(port))
def ask(req, wait=5):
    s = socket.create_connection(addr, timeout=wait)
    s.sendall(req)
    got = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    return got
for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),
             b"\x00\x01\x02\r\n", b" GET / HTTP/1.1\r\n\r\n",
             b"GET /\x00x HTTP/1.1\r\n\r\n", b"GET\r\n\r\n",
             b"\r\n" * 20):
    # only line ends: 400 at once (it waited 10 s for a request, then 408)
    got = ask(junk)
    assert got.startswith(b"HTTP/1.1 400 "), (junk, got[:80])
slow = []
for i in range(300):
    s = socket.create_connection(addr)
    s.sendall(b"GET /api/genres HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    slow.append(s)
# an empty line or two before the request line is allowed (RFC 9112 2.2)
got = ask(b"\r\n\r\nGET /api/genres HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
assert got.startswith(b"HTTP/1.1 200 "), got[:80]
silent = socket.create_connection(addr)
got = ask(b"GET /api/genres HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
assert got.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in got, got[:200]
# the last slow one still waits; its head is not whole in time: 408
last = slow[-1]
last.settimeout(30)
got = last.recv(4096)
assert got.startswith(b"HTTP/1.1 408 "), got[:80]
# one that sent nothing (a browser's preconnection) is closed, no answer
silent.settimeout(30)
assert silent.recv(4096) == b""
for s in slow:
    s.close()
# clients that ask for a WAV and never read it, from address src: the
# first line each got
def greedy(src, n):
    held = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((src, 0))
        s.connect(addr)
        s.sendall(b"GET /files/ds/0/mix.wav HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        s.settimeout(10)
        try:
            first = s.recv(12)
        except OSError as e:
            first = repr(e).encode()
        held.append((s, first))
    return held
genres = b"GET /api/genres HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
# 40 of one address (127.0.0.2): another address is still answered (they
# held all 64 connections); the 8 past that address's 32 are answered
# 503 with a reason (they were closed without a word)
a = greedy("127.0.0.2", 40)
firsts = [f for s, f in a]
assert firsts[:32] == [b"HTTP/1.1 200"] * 32, firsts[:32]
assert firsts[32:] == [b"HTTP/1.1 503"] * 8, firsts[32:]
got = ask(genres)
assert got.startswith(b"HTTP/1.1 200 "), got[:80]
# 32 more of a second address take the rest: a third one is answered
# 503, with why and when to come back (no answer at all)
b = greedy("127.0.0.3", 32)
assert [f for s, f in b] == [b"HTTP/1.1 200"] * 32, [f for s, f in b]
got = ask(genres)
assert got.startswith(b"HTTP/1.1 503 ") and b"Retry-After: " in got and \
    b"busy: every connection" in got, got
for s, f in a + b:
    s.close()
# once they leave, it answers again
for k in range(50):
    got = ask(genres)
    if not got.startswith(b"HTTP/1.1 503 "):
        break
    time.sleep(0.1)
assert got.startswith(b"HTTP/1.1 200 "), got[:80]
# heads too big (past the gate's 32 kB): each answered 431, and
# libmicrohttpd's line for each is written at most 10 times a minute
# (one line each, unbounded)
for i in range(30):
    got = ask(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
              b"a" * 40000 + b"\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 431 "), got[:80]
PYEOF
# a negative seed, as generate takes one: the same sample as the command
# line's (it was 400, 'seed must be an integer in 0..2^63-1')
curl -fsS -X POST "${U}api/generate?seed=-3&mode=mix-only&rate=22050&measures=intro=1" >j.json ||
    die "a negative seed refused: $(cat j.json)"
for k in 1 2 3 4 5 6; do
    curl -fsS "${U}api/job/1?wait=1" >j.json || die "job status"
    grep -q '"running"' j.json || break
done
grep -q '"state":"done"' j.json || die "job of seed -3: $(cat j.json)"
"$MG_BIN" generate --seed -3 --count 1 --out neg --output-mode mix-only --sample-rate 22050 \
    --measures-per-part intro=1 --shard-width 0 -q || die "generate --seed -3"
cmp -s neg/000000/sample.json work/job-1/000000/sample.json || die "seed -3: not the command line's sample"
# a file cut short while its tar is streamed: the download ends short of
# its Content-Length (an error for the client), never a tar that looks
# whole
"$PY" - "${U#http://}" <<'PYEOF' || die "a tar whose file shrank"
import http.client, os, sys
host, port = sys.argv[1].rstrip("/").split(":")
c = http.client.HTTPConnection(host, int(port), timeout=30)
c.request("GET", "/api/tar/ds/0")
r = c.getresponse()
size = int(r.getheader("Content-Length"))
got = len(r.read(100000))
os.truncate("ds/000000/mix.wav", 1 << 20)
try:
    while True:
        b = r.read(65536)
        if not b:
            break
        got += len(b)
except http.client.IncompleteRead as e:
    got += len(e.partial)
assert got < size, (got, size)
PYEOF
kill $SPID
wait $SPID
n=$(grep -c 'http: Error processing request' serve.err)
[ "$n" -le 10 ] || die "libmicrohttpd wrote $n lines for 30 bad requests"
grep -q '^musicgen serve: http: [0-9]* more messages of libmicrohttpd left out (at most 10 a minute are written)$' serve.err ||
    die "no count of the messages left out: $(tail -3 serve.err)"
# 100 connections for a server allowed 64 descriptors: the CPU it used
# (clock ticks, utime + stime) while they were held
printf '#!/bin/sh\nulimit -n 64 && exec "%s" "$@"\n' "$MG_BIN" >lim64
chmod +x lim64
MG_BIN=./lim64 start_serve --work work
"$PY" - "${U#http://}" "$SPID" <<'PYEOF' || die "out of descriptors"
import socket, sys, time
host, port = sys.argv[1].rstrip("/").split(":")
def ticks():
    f = open("/proc/%s/stat" % sys.argv[2]).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
held = [socket.create_connection((host, int(port))) for i in range(100)]
time.sleep(0.5)
t0 = ticks()
time.sleep(2)
spent = ticks() - t0
assert spent < 50, "%d clock ticks in 2 s, out of descriptors" % spent
for s in held:
    s.close()
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(b"GET /api/genres HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
assert s.recv(100).startswith(b"HTTP/1.1 200 "), "no answer after"
PYEOF
kill $SPID
wait $SPID
echo "serve: bounded memory, slow and garbage clients"
