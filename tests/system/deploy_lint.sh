# deploy_lint — what can be checked here of deploy/ without a cluster:
# every shell script parses (bash -n) and passes shellcheck at warning
# level, every Kubernetes manifest is valid YAML with apiVersion, kind and
# metadata.name, every systemd unit has an ExecStart running musicgen, and
# the container recipe builds with the project's own setup script.
. "$MG_SRC/tests/system/lib.sh"
set -u
W=$PWD
cd "$MG_SRC"
for f in deploy/slurm/*.sbatch scripts/*.sh tests/run.sh .ci/run; do
    bash -n "$f" 2>"$W/err.txt" || { cat "$W/err.txt"; die "$f does not parse"; }
done
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck -S warning -s bash deploy/slurm/*.sbatch >"$W/sc.txt" 2>&1 \
        || { head -30 "$W/sc.txt"; die "shellcheck: deploy/slurm"; }
else
    die "shellcheck missing (scripts/setup.sh installs it)"
fi
"$PY" - <<'PYEOF' || die "Kubernetes manifests"
import glob, sys, yaml
n = 0
for f in sorted(glob.glob("deploy/k8s/*.yaml")):
    for d in yaml.safe_load_all(open(f)):
        if not d:
            continue
        n += 1
        for k in ("apiVersion", "kind"):
            if k not in d:
                sys.exit("%s: a document without %s" % (f, k))
        if not d.get("metadata", {}).get("name"):
            sys.exit("%s: %s without metadata.name" % (f, d["kind"]))
        text = yaml.safe_dump(d)
        if d["kind"] in ("Job", "Deployment") and "musicgen" not in text:
            sys.exit("%s: %s does not run musicgen" % (f, d["kind"]))
if n < 4:
    sys.exit("only %d Kubernetes objects" % n)
PYEOF
for u in deploy/systemd/*.service; do
    grep -q '^ExecStart=.*musicgen ' "$u" || die "$u: no ExecStart running musicgen"
done
grep -q 'scripts/setup.sh' deploy/container/Dockerfile || die "Dockerfile does not use scripts/setup.sh"
grep -q '^FROM debian:bookworm' deploy/container/Dockerfile || die "Dockerfile is not Debian 12 based"
echo "deploy files lint clean"
