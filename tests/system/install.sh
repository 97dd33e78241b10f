# install — `make install` honours PREFIX and DESTDIR, and the installed
# binary finds its installed data (genres, soundfont registry, schema)
# with no help from the environment or the source tree.
. "$MG_SRC/tests/system/lib.sh"
set -u
D=$PWD/stage
make -s -C "$MG_SRC" install PREFIX=/opt/mg DESTDIR="$D" >make.log 2>&1 \
    || { tail -5 make.log; die "make install failed"; }
[ -x "$D/opt/mg/bin/musicgen" ] || die "binary not installed under DESTDIR/PREFIX/bin"
for d in genres sf schema web genres/starters; do
    [ -d "$D/opt/mg/share/musicgen/$d" ] || die "data $d not installed"
done
[ -f "$D/opt/mg/share/musicgen/genres/jazz/spec.json" ] || die "genre files not installed"
# Run the installed copy from elsewhere, without MUSICGEN_DATA_DIR.
mkdir run && cd run
env -u MUSICGEN_DATA_DIR "$D/opt/mg/bin/musicgen" list-genres --names > names.txt \
    || die "installed list-genres failed"
grep -qx jazz names.txt || die "installed binary does not see the installed genres"
env -u MUSICGEN_DATA_DIR "$D/opt/mg/bin/musicgen" generate --seed 1 --count 3 \
    --out ds --output-mode midi-only -g rock -q || die "installed generate failed"
[ -f ds/000002/sample.json ] || die "installed generate wrote no sample"
# The installed data is a copy: editing the source tree's genres cannot
# change what the installed binary reads.
grep -q '"genres_hash"' ds/000000/sample.json || die "no genres hash"
# the wizard's drum styles and serve's page come from the installed data
env -u MUSICGEN_DATA_DIR "$D/opt/mg/bin/musicgen" genre new --list | grep -q one-drop \
    || die "installed genre new does not see the starter drum styles"
make -s -C "$MG_SRC" uninstall PREFIX=/opt/mg DESTDIR="$D" >/dev/null 2>&1 \
    || die "make uninstall failed"
[ ! -e "$D/opt/mg/bin/musicgen" ] || die "uninstall left the binary"
echo "install ok"
