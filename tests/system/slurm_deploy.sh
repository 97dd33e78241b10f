# slurm_deploy — deploy/slurm for real: a private single-node Slurm
# (Debian slurm-wlm + munge, scripts/slurm-local.sh: own key, socket,
# slurm.conf and loopback ports; proctrack/linuxproc, task/none) runs the
# sbatch files exactly as a user submits them, parameterised as they
# document, with variables in the environment (sbatch's default
# --export=ALL; --export=ALL,VAR=... works alike but makes slurmd load the
# login environment, su -, seconds a task on a loaded machine):
#   1. coordinator.sbatch + a workers.sbatch array of 3 (CURVE keys made by
#      the job); mid-run one task is requeued (scontrol requeue) and
#      another cancelled (scancel); the run still ends with one manifest
#      row per index, the requeued task ran twice, the cancelled one never
#      came back.
#   2. static-array.sbatch (4 tasks, on a root that does not exist yet) +
#      merge.sbatch (afterok); mid-run one task is requeued and another
#      cancelled, the cancelled one is resubmitted alone (ARRAY_SIZE) with
#      a new merge, as the script documents; one row per index again.
# Every daemon and job is stopped at the end (trap), whatever happened.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
W=$PWD
CL=$W/cluster
PATH=$(dirname "$MG_BIN"):$PATH:/usr/sbin
export PATH
cleanup() {
    [ -f "$CL/slurm.conf" ] && sh "$MG_SRC/scripts/slurm-local.sh" stop "$CL" >/dev/null 2>&1
    true
}
trap cleanup EXIT
trap 'exit 1' INT TERM
SLURM_LOCAL_CPUS=4 sh "$MG_SRC/scripts/slurm-local.sh" start "$CL" >start.txt 2>&1 ||
    { cat start.txt; die "the local Slurm cluster did not start"; }
SLURM_CONF=$CL/slurm.conf
export SLURM_CONF
# a fault-injection delay per sample: the runs last long enough (a few
# seconds) to be interrupted mid-way
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=60
D=$MG_SRC/deploy/slurm

state() { squeue -h -j "$1" -o %T 2>/dev/null; }
job_field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
gone() { [ -z "$(squeue -h -j "$1" -o %A 2>/dev/null)" ]; }
is_running() { [ "$(state "$1")" = RUNNING ]; }
is_pending() { [ "$(state "$1")" = PENDING ]; }
# requeued tasks wait about two minutes (their begin time): start them
# two seconds on, not "now": slurmd refuses a job's new credential if it is
# dated in the second its old one was revoked ("Job credential revoked"),
# and the task then ends FAILED without running
restart_now() {
    wait_for 30 is_pending "$1" || die "$1 not pending after the requeue ($(state "$1"))"
    scontrol update jobid="$1" StartTime=now+2 || die "cannot start $1 again"
}
step() { echo "$(date +%T) $*"; }
logs() { tail -n 5 "$W"/musicgen-*.log; tail -n 5 "$CL"/log/slurmctld.log; }

# ---- 1. coordinator job + worker array ----
N=96
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cj=$(SEED=7 COUNT=$N ROOT=$W/ds MODE=midi-only PORT=$PORT BIND_ADDR=127.0.0.1 \
    ADVERTISE=127.0.0.1 LEDGER_DIR=$W/ledger KEYS=$W/keys \
    EXTRA_OPTS="--chunk 4 --heartbeat-ms 200" \
    sbatch --parsable "$D/coordinator.sbatch") || die "sbatch coordinator.sbatch"
# the cluster's sizing: one CPU (one worker process) per array task
wj=$(ROOT=$W/ds KEYS=$W/keys sbatch --parsable --array=0-2 --cpus-per-task=1 \
    "$D/workers.sbatch") ||
    die "sbatch workers.sbatch"
step "submitted coordinator $cj, workers $wj"
wait_for 60 is_running "${wj}_0" || { logs; die "worker task 0 never ran"; }
wait_for 60 is_running "${wj}_1" || { logs; die "worker task 1 never ran"; }
wait_for 60 have_samples ds 12 || { logs; die "no progress in the coordinated run"; }
step "requeue/cancel at $(samples ds) samples"
scontrol requeue "${wj}_0" || die "scontrol requeue ${wj}_0"
scancel "${wj}_1" || die "scancel ${wj}_1"
have_samples ds $N && die "the run ended before the requeue: not a mid-run test"
restart_now "${wj}_0"
step "restarted"
wait_for 120 gone "$cj" || { logs; die "coordinator job did not end"; }
[ "$(job_field "$cj" JobState)" = COMPLETED ] && [ "$(job_field "$cj" ExitCode)" = 0:0 ] ||
    { logs; die "coordinator job: $(job_field "$cj" JobState) $(job_field "$cj" ExitCode)"; }
step "coordinator done"
wait_for 60 gone "$wj" || { logs; die "worker array did not end"; }
[ "$(job_field "${wj}_0" Restarts)" = 1 ] || die "requeued task did not run again"
[ "$(job_field "${wj}_0" JobState)" = COMPLETED ] || { logs; die "requeued task: $(job_field "${wj}_0" JobState)"; }
[ "$(job_field "${wj}_1" JobState)" = CANCELLED ] || die "cancelled task: $(job_field "${wj}_1" JobState)"
[ "$(job_field "${wj}_2" JobState)" = COMPLETED ] || { logs; die "task 2: $(job_field "${wj}_2" JobState)"; }
[ -e ds/.musicgen/complete ] && [ ! -e ds/.musicgen/endpoint ] ||
    die "coordinator.sbatch left no completion mark (or a stale endpoint)"
[ -s ledger/ledger.sqlite ] || die "no ledger in LEDGER_DIR"
check_run ds 7 $N || die "coordinated Slurm run: manifest"
step "checked"
# a worker task submitted after the end exits 0 at once
late=$(ROOT=$W/ds KEYS=$W/keys sbatch --parsable --array=0 --cpus-per-task=1 \
    "$D/workers.sbatch") || die "sbatch late worker"
wait_for 60 gone "$late" || die "a worker task after completion did not end"
[ "$(job_field "${late}_0" JobState)" = COMPLETED ] || die "late worker: $(job_field "${late}_0" JobState)"
echo "coordinator + workers array ok"

# ---- 2. static array + merge ----
N=48
R=$W/static/new/root
MUSICGEN_FAULT_SAMPLE_DELAY_MS=150
sj=$(SEED=9 COUNT=$N ROOT=$R MODE=midi-only \
    sbatch --parsable --array=0-3 --cpus-per-task=1 "$D/static-array.sbatch") ||
    die "sbatch static-array.sbatch"
mj=$(COUNT=$N ROOT=$R sbatch --parsable --dependency=afterok:"$sj" \
    "$D/merge.sbatch") || die "sbatch merge.sbatch"
# mid-run: a finished sample of task 1's slice (12-23) and of task 3's
# (36-47), and neither slice written yet
in_slice() { [ -n "$(ls "$R/$1/sample.json" "$R/$2/sample.json" 2>/dev/null)" ]; }
step "static $sj, merge $mj"
wait_for 60 in_slice 000012 000013 || { logs; die "static task 1 made nothing"; }
[ ! -e "$R/.musicgen/slices/slice-1-of-4.jsonl" ] || die "task 1 ended before the requeue"
scontrol requeue "${sj}_1" || die "scontrol requeue ${sj}_1"
wait_for 60 in_slice 000036 000037 || { logs; die "static task 3 made nothing"; }
[ ! -e "$R/.musicgen/slices/slice-3-of-4.jsonl" ] || die "task 3 ended before the cancel"
scancel "${sj}_3" || die "scancel ${sj}_3"
step "requeued, cancelled"
restart_now "${sj}_1"
step "restarted"
wait_for 120 gone "$sj" || { logs; die "static array did not end"; }
[ "$(job_field "${sj}_1" Restarts)" = 1 ] && [ "$(job_field "${sj}_1" JobState)" = COMPLETED ] ||
    { logs; die "requeued static task: $(job_field "${sj}_1" JobState)"; }
[ ! -e "$R/manifest.jsonl" ] || die "a manifest without task 3's slice"
# the merge waits on a dependency that can never be met now: as the
# script documents, cancel it, resubmit the one task with the same
# slicing (ARRAY_SIZE), then merge after it
wait_for 30 sh -c "squeue -h -j $mj -o %r | grep -q DependencyNeverSatisfied" ||
    die "merge after a cancelled task: $(squeue -h -j "$mj" -o '%T %r')"
scancel "$mj"
sj3=$(SEED=9 COUNT=$N ROOT=$R MODE=midi-only ARRAY_SIZE=4 \
    sbatch --parsable --array=3 --cpus-per-task=1 "$D/static-array.sbatch") ||
    die "sbatch static task 3 again"
mj=$(COUNT=$N ROOT=$R sbatch --parsable --dependency=afterok:"$sj3" \
    "$D/merge.sbatch") || die "sbatch merge.sbatch again"
step "resubmitted"
wait_for 120 gone "$mj" || { logs; die "merge did not run"; }
[ "$(job_field "$mj" JobState)" = COMPLETED ] || { logs; die "merge: $(job_field "$mj" JobState)"; }
[ "$(ls "$R/.musicgen/slices" | grep -c '^slice-[0-3]-of-4\.jsonl$')" -eq 4 ] ||
    die "slices: $(ls "$R/.musicgen/slices")"
check_run "$R" 9 $N || die "static Slurm run: manifest"
step "static array + merge ok"
