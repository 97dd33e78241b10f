#!/bin/sh
# bench_lib.sh — part of `make bench`: the on-the-fly PyTorch dataset
# (libmusicgen in memory, a DataLoader with W worker processes, nothing
# written) next to `musicgen generate -w W` writing the same samples to
# disk; samples per second of each and their ratio. Same seed, indices,
# song lengths and sample rate on both sides; engine start-up (soundfont
# loading) is counted on both sides too, as a user would see it.
#   BENCH_LIB_N (default 16) samples, BENCH_LIB_W (default 2) workers.
set -u
BUILD=${1:-${BUILD:-build}}
N=${BENCH_LIB_N:-16}
W=${BENCH_LIB_W:-2}
MEASURES=intro=2,verse=2,chorus=2,bridge=2,outro=2
T=$(mktemp -d "${TMPDIR:-/tmp}/mg-bench-lib.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "== on-the-fly dataset vs generate to disk ($N samples, $W workers, full mode)"
if ! /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
    echo "   skipped: python3-torch / python3-numpy missing (scripts/setup.sh)"
    exit 0
fi
t0=$(date +%s.%N)
"$BUILD/musicgen" generate --seed 11 --count "$N" --out "$T/ds" -w "$W" -q \
    --measures-per-part "$MEASURES" || { echo "   generate failed"; exit 0; }
t1=$(date +%s.%N)
disk=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')
MUSICGEN_LIBRARY="$PWD/$BUILD/libmusicgen.so.0" PYTHONPATH="$PWD/python" \
/usr/bin/python3 - "$N" "$W" "$MEASURES" "$disk" <<'PYEOF'
import sys, time
import torch
from torch.utils.data import DataLoader
from musicgen import Config
from musicgen.torch_dataset import MusicgenIterableDataset
n, w, measures, disk = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
over = {k: int(v) for k, v in (p.split("=") for p in measures.split(","))}
# the dataset is made inside the timing: it loads the soundfonts (the
# engine the DataLoader's forked workers share), as generate's parent does
t0 = time.time()
ds = MusicgenIterableDataset(global_seed=11, count=n,
                             config=Config(measures_per_part_override=over))
frames = 0
for mix, stems, ann in DataLoader(ds, batch_size=None, num_workers=w):
    frames += mix.shape[1]
dt = time.time() - t0
mem = n / dt
print("   generate to disk:      %6.2f samples/s" % disk)
print("   IterableDataset:       %6.2f samples/s (%.1f s of audio/s, tensors in memory)"
      % (mem, frames / 44100.0 / dt))
print("   ratio dataset/disk:    %6.2f" % (mem / disk))
PYEOF
