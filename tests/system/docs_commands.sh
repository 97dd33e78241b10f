# docs_commands — the commands the README and docs/ show are the program's:
# every `musicgen CMD` names a command, options and genres it has, every
# python block parses (tests/tools/doclint.py). Running them all is the
# tutorial test's job (tutorial_doc) and a person's; this catches the
# drift (an option renamed, a genre that never shipped) on every change.
. "$MG_SRC/tests/system/lib.sh"
set -u
"$PY" "$TOOLS/doclint.py" "$MG_SRC" "$MG_BIN" > log 2>&1 || die "docs: $(cat log)"
grep -q "^0 problems" log || die "no summary: $(cat log)"
# the lint itself: a slip in a doc is caught, with its file and line
mkdir -p t/docs
cp "$MG_SRC/README.md" t/
printf '%s\n' '```sh' 'musicgen export ds --frob x' 'musicgen exprot ds' \
    'musicgen generate --seed 1 -g funk' '```' '```python' 'x = (' '```' > t/docs/x.md
"$PY" "$TOOLS/doclint.py" t "$MG_BIN" > log 2>&1 && die "slips passed: $(cat log)"
for want in "x.md:2: musicgen export --help does not know --frob" \
            "x.md:3: no command 'exprot'" "x.md:4: genre 'funk' is not shipped" \
            "x.md:7: python block does not parse"; do
    grep -q "$want" log || die "not found: $want: $(cat log)"
done
true
