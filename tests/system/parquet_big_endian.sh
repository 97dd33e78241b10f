# parquet_big_endian — the Parquet writer is byte for byte the same on a
# big-endian host: scripts/check_big_endian.sh builds tests/tools/pq_dict
# and the writer for s390x (run under qemu-user) and for this machine,
# with no compression codec, and compares the 40,000-row files they write,
# inline and with the writer's thread. (Before the writer put its 8-byte
# values and dictionary lengths in little-endian order itself, the s390x
# build crashed on its first string dictionary.) The cross compiler and
# qemu come from scripts/setup.sh.
. "$MG_SRC/tests/system/lib.sh"
set -u
sh "$MG_SRC/scripts/check_big_endian.sh" > out.txt 2>&1 \
    || { cat out.txt; die "big-endian check failed"; }
grep -q "wrote the same" out.txt || { cat out.txt; die "no verdict"; }
echo ok
