#!/bin/sh
# bench_lib.sh — part of `make bench`: the on-the-fly PyTorch dataset
# (libmusicgen in memory, a DataLoader with W worker processes, nothing
# written) next to `musicgen generate -w W` writing the same samples to
# disk; samples per second of each and their ratio, and the CPU seconds
# per sample of each (all processes: parent, workers, the DataLoader's
# main process) and their ratio, which a machine loaded by others
# distorts far less than wall time. Same seed, indices, song lengths and
# sample rate on both sides; engine start-up (soundfont loading) is
# counted on both sides too, as a user would see it (Python's own import
# of torch is not). The two legs alternate R times (load changes affect
# both alike); the median of each ratio is printed last.
#   BENCH_LIB_N (default 16) samples, BENCH_LIB_W (default 2) workers,
#   BENCH_LIB_R (default 2) rounds.
set -u
BUILD=${1:-${BUILD:-build}}
N=${BENCH_LIB_N:-16}
W=${BENCH_LIB_W:-2}
R=${BENCH_LIB_R:-2}
MEASURES=intro=2,verse=2,chorus=2,bridge=2,outro=2
T=$(mktemp -d "${TMPDIR:-/tmp}/mg-bench-lib.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "== on-the-fly dataset vs generate to disk ($N samples, $W workers, full mode, $R rounds)"
if ! /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
    echo "   skipped: python3-torch / python3-numpy missing (scripts/setup.sh)"
    exit 0
fi
MUSICGEN_LIBRARY="$PWD/$BUILD/libmusicgen.so.0" PYTHONPATH="$PWD/python" \
/usr/bin/python3 - "$N" "$W" "$R" "$MEASURES" "$BUILD/musicgen" "$T" <<'PYEOF'
import os, resource, shutil, statistics, subprocess, sys, time
import torch
from torch.utils.data import DataLoader
from musicgen import Config
from musicgen.torch_dataset import MusicgenIterableDataset
n, w, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
measures, exe, tmp = sys.argv[4], sys.argv[5], sys.argv[6]
over = {k: int(v) for k, v in (p.split("=") for p in measures.split(","))}


def cpu():
    """CPU seconds of this process and of its reaped children."""
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def disk(k):
    out = os.path.join(tmp, "ds%d" % k)
    subprocess.run(["sync"])            # earlier rounds' write-back: not ours
    c0, t0 = cpu(), time.time()
    subprocess.run([exe, "generate", "--seed", "11", "--count", str(n),
                    "--out", out, "-w", str(w), "-q",
                    "--measures-per-part", measures], check=True)
    dt, dc = time.time() - t0, cpu() - c0
    shutil.rmtree(out)
    return n / dt, dc / n


def memory():
    # the dataset is made inside the timing: it loads the soundfonts (the
    # engine the DataLoader's forked workers share), as generate's parent
    # does; the workers are joined (their CPU counted) when the epoch ends
    c0, t0 = cpu(), time.time()
    ds = MusicgenIterableDataset(global_seed=11, count=n,
                                 config=Config(measures_per_part_override=over))
    frames = k = 0
    for mix, stems, ann in DataLoader(ds, batch_size=None, num_workers=w):
        frames += mix.shape[1]
        k += 1
    dt = time.time() - t0
    del mix, stems
    dc = cpu() - c0
    return k / dt, dc / max(k, 1), frames / 44100.0 / dt


walls, cpus = [], []
for r in range(rounds):
    d_rate, d_cpu = disk(r)
    m_rate, m_cpu, audio = memory()
    walls.append(m_rate / d_rate)
    cpus.append(d_cpu / m_cpu)
    print("   round %d: generate to disk %6.2f samples/s (%.3f CPU-s/sample); "
          "IterableDataset %6.2f samples/s (%.3f CPU-s/sample, %.1f s of "
          "audio/s); ratios %.2f wall, %.2f CPU"
          % (r + 1, d_rate, d_cpu, m_rate, m_cpu, audio, walls[-1], cpus[-1]))
print("   ratio dataset/disk:    %6.2f samples/s (median of %d), %.2f by CPU "
      "per sample (disk/dataset)" % (statistics.median(walls), rounds,
                                      statistics.median(cpus)))
PYEOF
