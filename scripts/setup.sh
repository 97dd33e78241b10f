#!/bin/sh
# setup.sh — install the Debian packages that the build, the tests and the
# default run need. Idempotent: installs only what is missing, and runs
# apt-get update only then. Run as root (or with sudo).
set -eu

PACKAGES="build-essential pkg-config
libfluidsynth-dev libczmq-dev libzmq3-dev libjansson-dev libsndfile1-dev
libsqlite3-dev libssl-dev libcmocka-dev libmicrohttpd-dev
fluid-soundfont-gm fluidsynth sqlite3
python3 python3-mido python3-jsonschema python3-yaml aubio-tools valgrind shellcheck
prometheus chromium tmux imagemagick curl
slurm-wlm munge"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "setup: all packages present"
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
echo "setup: done"
