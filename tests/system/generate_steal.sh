# generate_steal — embedded generate's work stealing: one sample of a
# large lease takes 4 s (a straggler); once the queue is empty the idle
# job gets a copy of the back half of the samples waiting behind it in
# that lease (never the sample its holder is on: on one host a copy of it
# cannot finish first), and the run is whole (one manifest row, one
# directory and one ledger row per index, nothing half-written) with every
# sample byte for byte what a plain generate makes. Leases are sized for
# the jobs generate forked, not for those that joined first.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=400
SLOW=50
MUSICGEN_FAULT_SLOW_SAMPLE=$SLOW:4000 "$MG_BIN" generate --seed 9 --count $N \
    --out ds --workers 2 --output-mode midi-only -v 2> gen.log ||
    die "generate with a straggler failed: $(tail -3 gen.log)"
"$PY" - gen.log $SLOW <<'PYEOF' || die "no copy of the samples behind the straggler"
import re, sys
log, slow = open(sys.argv[1]).read(), int(sys.argv[2])
leases = {}
for m in re.finditer(r"lease (\d+) to \S+: (\d+) samples? from (\d+)(, tail[^,\n]*)?(, a copy of lease (\d+))?", log):
    lid, n, first, _, _, twin = m.groups()
    leases[lid] = (int(first), int(n), twin)
# leases are sized for the 2 jobs generate forked, even while only the
# first has joined: none is more than a quarter of the run
big = max(n for f, n, t in leases.values())
assert big <= 100, "a lease of %d samples of 400 with 2 jobs" % big
copies = [(f, n, t) for f, n, t in leases.values() if t]
assert copies, "no copy granted"
for first, n, twin in copies:
    of = leases[twin]
    # the straggler's lease, its back half behind the slow sample
    assert of[0] <= slow < of[0] + of[1], (first, n, of)
    assert slow < first and first + n == of[0] + of[1], (first, n, of)
print("copies:", copies)
PYEOF
run_whole ds ds/.musicgen/ledger.sqlite 9 $N
echo "work stealing: run whole"
