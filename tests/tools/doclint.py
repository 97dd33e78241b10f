"""doclint.py SRC MUSICGEN — the docs say what the program does: every
```python block of README.md and docs/*.md parses and names only shipped
genres; every `musicgen CMD ...` line (shell blocks and inline code) names
a command that exists, options its --help knows (a subcommand's for genre
and eval) and, for generate, shipped genres. Prints each problem with its
file and line; exit 1 when there is one."""
import ast, glob, os, re, shlex, subprocess, sys
src, mg = sys.argv[1], sys.argv[2]
files = [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md")))
helps, bad, nblocks = {}, [], 0
def help_of(cmd):
    if cmd not in helps:
        r = subprocess.run([mg] + cmd.split() + ["--help"], capture_output=True, text=True)
        helps[cmd] = (r.returncode, r.stdout + r.stderr)
    return helps[cmd]
genres = set(subprocess.run([mg, "list-genres", "--names"], capture_output=True, text=True).stdout.split())
for f in files:
    text = open(f).read()
    rel = os.path.relpath(f, src)
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        lang, body = m.group(1), m.group(2)
        line0 = text[:m.start()].count("\n") + 2
        if lang == "python":
            nblocks += 1
            try: ast.parse(body)
            except SyntaxError as e: bad.append("%s:%d: python block does not parse: %s" % (rel, line0 + (e.lineno or 1) - 1, e.msg))
            for g in re.findall(r"genre=\[?([^)\]]*)", body):
                for name in re.findall(r"\"([a-z-]+)\"", g):
                    if name not in genres: bad.append("%s:%d: genre %r is not shipped" % (rel, line0, name))
    
# ---- commands in shell blocks and inline code: known command, known options
cmds = set()
r = subprocess.run([mg, "--help"], capture_output=True, text=True).stdout
for l in r.splitlines():
    mm = re.match(r"^  ([a-z-]+) ", l)
    if mm: cmds.add(mm.group(1))
bad2, checked = [], []
def check_cmd(rel, lineno, seg):
    try: toks = shlex.split(seg, comments=True)
    except ValueError: return
    for k, t in enumerate(toks):
        if re.search(r"(^|/)musicgen$", t) and k + 1 < len(toks):
            break
    else: return
    rest = toks[k + 1:]
    if not rest or rest[0].startswith("-") or rest[0] in ("<command>",): return
    cmd = rest[0]
    if cmd.endswith(":") or "|" in cmd: return   # a message quoted, a table's "a|b"
    if cmd not in cmds:
        bad2.append("%s:%d: no command %r: %s" % (rel, lineno, cmd, seg.strip())); return
    checked.append(cmd)
    hc = cmd
    if cmd in ("genre", "eval") and len(rest) > 1 and re.match(r"^[a-z]+$", rest[1]):
        hc = cmd + " " + rest[1]
    rc, h = help_of(hc)
    for a, b in zip(rest, rest[1:]):
        if cmd == "generate" and a in ("-g", "--genre") and b not in genres and "--genres-dir" not in rest:
            bad2.append("%s:%d: genre %r is not shipped: %s" % (rel, lineno, b, seg.strip()))
    for t in rest[1:]:
        if t == "--help": continue
        if t.startswith("--") and len(t) > 2:
            o = t.split("=")[0]
            if not re.search(re.escape(o) + r"(?![\w-])", h):
                bad2.append("%s:%d: musicgen %s --help does not know %s: %s" % (rel, lineno, hc, o, seg.strip()))
for f in files:
    text = open(f).read()
    rel = os.path.relpath(f, src)
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        if m.group(1) not in ("", "sh", "bash", "console", "shell"): continue
        line0 = text[:m.start()].count("\n") + 2
        body = m.group(2).replace("\\\n", " ")
        for i, l in enumerate(body.splitlines()):
            l = re.sub(r"^\$ ", "", l)
            for seg in re.split(r"\|\||&&|;|\|", l):
                check_cmd(rel, line0 + i, seg)
    for m in re.finditer(r"`([^`\n]*musicgen [^`\n]*)`", text):
        check_cmd(rel, text[:m.start()].count("\n") + 1, m.group(1))
for b in bad + bad2:
    print(b)
print("%d problems; %d python blocks, %d command lines (%d commands) checked"
      % (len(bad) + len(bad2), nblocks, len(checked), len(set(checked))))
# a lint that found nothing to check would pass anything
sys.exit(1 if bad or bad2 or nblocks < 3 or len(set(checked)) < 15 else 0)
