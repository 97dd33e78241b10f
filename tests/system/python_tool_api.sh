# python_tool_api — the Python bindings (python/musicgen, ctypes over
# build/libmusicgen.so) run a script written against the Python tool's
# documented API unchanged (tests/tools/py_tool_api.py: Config precedence,
# result fields, batch, idempotence, CLI-identical bytes, unsupported
# features named), then the examples quickstart.py and in_memory.py.
. "$MG_SRC/tests/system/lib.sh"
set -u
# the release build's library: a sanitizer build cannot be loaded by python
export MUSICGEN_LIBRARY="$MG_SRC/build/libmusicgen.so.0"
[ -f "$MUSICGEN_LIBRARY" ] || die "no $MUSICGEN_LIBRARY (make builds it)"
export PYTHONPATH="$MG_SRC/python"
"$PY" "$TOOLS/py_tool_api.py" || die "the tool-API script failed"
"$PY" "$MG_SRC/examples/python/quickstart.py" ex_ds > quick.txt || die "quickstart.py failed"
[ "$(sed -n 4p quick.txt)" = ok ] || die "quickstart: status not ok"
[ "$(sed -n 5p quick.txt)" = "4 0 0" ] || die "quickstart batch: $(sed -n 5p quick.txt)"
"$PY" "$MG_SRC/examples/python/quickstart.py" ex_ds > quick2.txt || die "quickstart.py re-run failed"
[ "$(sed -n 5p quick2.txt)" = "0 0 4" ] || die "quickstart re-run: $(sed -n 5p quick2.txt)"
"$PY" "$MG_SRC/examples/python/in_memory.py" > mem.txt || die "in_memory.py failed"
[ "$(grep -c 'sum(stems) - mix' mem.txt)" -eq 3 ] || die "in_memory: 3 samples expected"
echo "python_tool_api ok"
