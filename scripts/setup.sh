#!/bin/sh
# setup.sh — install the Debian packages that the build, the tests and the
# default run need (the soundfonts: the dataset-safe ones, MIT or public
# domain, that sf/registry.json lists; see docs/soundfonts.md for the
# opt-in ones and their packages). Idempotent: installs only what is missing, and runs
# apt-get update only then. Run as root (or with sudo).
set -eu

PACKAGES="build-essential pkg-config
libfluidsynth-dev libczmq-dev libzmq3-dev libjansson-dev libsndfile1-dev
libsqlite3-dev libssl-dev libcmocka-dev libcurl4-openssl-dev libmicrohttpd-dev libebur128-dev
libarchive-dev
fluid-soundfont-gm fluidsynth sqlite3
fluid-soundfont-gs musescore-general-soundfont-small fluidr3mono-gm-soundfont avldrums.lv2-soundfont
csound-soundfont timgm6mb-soundfont
python3 python3-mido python3-jsonschema python3-yaml aubio-tools valgrind strace shellcheck jq
prometheus chromium tmux imagemagick curl
slurm-wlm munge
libzstd-dev libsnappy-dev python3-numpy python3-mir-eval
python3-torch
gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user-static"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# npm packages the tests use as independent judges (DuckDB reads our
# Parquet): pinned by tests/tools/duckdb/package-lock.json, installed into
# that folder (git-ignored node_modules). Node and npm: the ones on PATH;
# Debian's nodejs and npm only where none is there.
judges() {
    dir="$(cd "$(dirname "$0")/.." && pwd)/tests/tools/duckdb"
    stamp="$dir/node_modules/.musicgen-lock"
    if [ -d "$dir/node_modules/@duckdb/node-api" ] &&
        cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null; then
        return 0
    fi
    echo "setup: npm ci in tests/tools/duckdb"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) &&
        cp "$dir/package-lock.json" "$stamp"
}
if ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -z "$missing" ]; then
    echo "setup: all packages present"
    judges
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
        echo "setup: need root to install:$missing" >&2
        exit 1
    }
    SUDO=sudo
fi
echo "setup: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
judges
echo "setup: done"
