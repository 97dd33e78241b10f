#!/bin/sh
# check-deps.sh PKG... — verify pkg-config modules; name the Debian package
# to install for each missing one, then fail. scripts/setup.sh installs all.
status=0
command -v pkg-config >/dev/null 2>&1 || {
    echo "missing: pkg-config (Debian package: pkg-config); run scripts/setup.sh" >&2
    exit 1
}
for mod in "$@"; do
    if ! pkg-config --exists "$mod"; then
        case "$mod" in
        fluidsynth) deb=libfluidsynth-dev ;;
        libczmq) deb=libczmq-dev ;;
        libzmq) deb=libzmq3-dev ;;
        jansson) deb=libjansson-dev ;;
        sndfile) deb=libsndfile1-dev ;;
        sqlite3) deb=libsqlite3-dev ;;
        openssl) deb=libssl-dev ;;
        libebur128) deb=libebur128-dev ;;
        cmocka) deb=libcmocka-dev ;;
        libcurl) deb=libcurl4-openssl-dev ;;
        libmicrohttpd) deb=libmicrohttpd-dev ;;
        libzstd) deb=libzstd-dev ;;
        snappy) deb=libsnappy-dev ;;
        libarchive) deb=libarchive-dev ;;
        *) deb="(unknown)" ;;
        esac
        echo "missing library: $mod (Debian package: $deb); run scripts/setup.sh" >&2
        status=1
    fi
done
exit $status
