"""tail_check.py LOG LEDGER ROOT JOBS: the tail of a run, from the
coordinator's -v lease lines and the ledger (tests/system/dist_tail.sh).

Checks: the tail's leases (", tail, estimate E s") are one sample each,
handed out in non-increasing estimate; each estimate is the sample's
duration_seconds in its sample.json when made on its first attempt; at
least one window's worth (8 per job, less what went before) went out
that way; every index was leased from the queue exactly once (copies
of a straggler's lease aside); and no tail lease went to a job before
the row of every sample granted to it earlier was in (its READY was
held while it had a sample in hand)."""
import datetime, json, os, re, sqlite3, sys

log, ledger, root, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
pat = re.compile(r"^(\S+) coordinator: lease (\d+) to (\S+): (\d+) samples? "
                 r"from (\d+)(?:, (tail, estimate ([0-9.]+) s|a copy of lease \d+))?$")


def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


grants = []
for line in open(log):
    m = pat.match(line.strip())
    if m:
        grants.append(dict(at=t(m.group(1)), who=m.group(3), n=int(m.group(4)),
                           first=int(m.group(5)), copy=bool(m.group(6)) and not m.group(7),
                           est=float(m.group(7)) if m.group(7) else None))
db = sqlite3.connect(ledger)
rows = {i: (t(w), a, p) for i, w, a, p in
        db.execute("select idx, wrote_at, attempt, path from samples")}
count = db.execute("select count from run").fetchone()[0]
fail = []
if len(rows) != count:
    fail.append("%d rows for %d samples" % (len(rows), count))
leased = {}
for g in grants:
    if not g["copy"]:
        for i in range(g["first"], g["first"] + g["n"]):
            leased[i] = leased.get(i, 0) + 1
twice = [i for i, k in leased.items() if k != 1]
missing = [i for i in range(count) if i not in leased]
if twice or missing:
    fail.append("leased more than once: %s; never: %s" % (twice[:5], missing[:5]))
tail = [g for g in grants if g["est"] is not None]
pre = sum(g["n"] for g in grants if g["est"] is None and not g["copy"])
want = min(count, 8)   # the window of one job at least
if len(tail) < want:
    fail.append("only %d tail leases (want >= %d)" % (len(tail), want))
for a, b in zip(tail, tail[1:]):
    if b["est"] > a["est"]:
        fail.append("estimate %.3f (sample %d) after %.3f (sample %d)"
                    % (b["est"], b["first"], a["est"], a["first"]))
first_try = 0
for g in tail:
    if g["n"] != 1:
        fail.append("tail lease of %d samples" % g["n"])
    _, attempt, path = rows.get(g["first"], (0, 0, ""))
    if attempt == 1:
        d = json.load(open(os.path.join(root, path, "sample.json")))["duration_seconds"]
        first_try += 1
        if abs(d - g["est"]) > 1e-3:
            fail.append("sample %d: estimate %.3f, duration %.6f" % (g["first"], g["est"], d))
if tail and first_try < len(tail) // 2:
    fail.append("only %d of %d tail samples on their first attempt" % (first_try, len(tail)))
# held READY: a job's tail lease comes after the rows of all it had before
for k, g in enumerate(grants):
    if g["est"] is None:
        continue
    for h in grants[:k]:
        if h["who"] != g["who"]:
            continue
        for i in range(h["first"], h["first"] + h["n"]):
            if i not in rows or rows[i][0] > g["at"]:
                fail.append("%s got sample %d before the row of sample %d"
                            % (g["who"], g["first"], i))
if fail:
    print("\n".join(fail[:10]))
    sys.exit(1)
print("tail: %d single-sample leases, longest first (%.1f .. %.1f s), %d before it"
      % (len(tail), tail[0]["est"] if tail else 0, tail[-1]["est"] if tail else 0, pre))
