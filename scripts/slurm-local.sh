#!/bin/sh
# slurm-local.sh — a private single-node Slurm cluster in one directory,
# from Debian's slurm-wlm and munge, to try deploy/slurm/*.sbatch on one
# machine (and for tests/system/slurm_deploy.sh). Nothing outside DIR is
# touched: its own munge key and socket, its own slurm.conf, state and
# spool directories, slurmctld and slurmd on loopback ports chosen free at
# start. No cgroup plugin is used (proctrack/linuxproc, task/none), so it
# also works in containers and sandboxes without a cgroup hierarchy of
# their own; the daemons run as the calling user (root included:
# SlurmUser and SlurmdUser are that user).
#
#   sh scripts/slurm-local.sh start DIR   # prints: export SLURM_CONF=...
#   export SLURM_CONF=DIR/slurm.conf      # sbatch, squeue, scontrol, ...
#   sh scripts/slurm-local.sh stop DIR    # cancels its jobs, stops all
#
# Environment: SLURM_LOCAL_CPUS (default: the machine's, at least 4; more
# than the hardware is declared with SlurmdParameters=config_overrides, so
# a 2-core machine can run a coordinator job beside a worker array),
# SLURM_LOCAL_MEM_MB (default 16384, the memory jobs may ask for).
set -eu

die() {
    echo "slurm-local: $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_until SECONDS CMD... : poll CMD until it succeeds
wait_until() {
    t=$1
    shift
    end=$(($(date +%s) + t))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.2
    done
}

node_idle() {
    [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ]
}

stop_pidfile() {
    f=$1
    [ -s "$f" ] || return 0
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || return 0
    wait_until 15 sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
}

start() {
    dir=$1
    for p in munged slurmctld slurmd; do
        command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
            die "$p not found (apt-get install slurm-wlm munge; or sh scripts/setup.sh)"
    done
    PATH=$PATH:/usr/sbin
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ ! -e "$dir/slurm.conf" ] || die "$dir already holds a cluster (stop it first)"
    mkdir -p "$dir/state" "$dir/spool/localhost" "$dir/log" "$dir/munge"
    chmod 755 "$dir/munge"    # munged: the socket directory must be searchable
    user=$(id -un)
    cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
    [ -n "${SLURM_LOCAL_CPUS:-}" ] || [ "$cpus" -ge 4 ] || cpus=4
    mem=${SLURM_LOCAL_MEM_MB:-16384}
    ctld_port=$(free_port)
    slurmd_port=$(free_port)
    [ "$ctld_port" != "$slurmd_port" ] || slurmd_port=$(free_port)

    # munge: its own key (readable by the user alone) and socket
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 400 "$dir/munge/munge.key"
    # --force: DIR may sit below a private (0700) directory, e.g. a test's
    # mktemp -d, where munged would refuse a socket others cannot reach;
    # only this user's daemons and jobs use it
    munged --force --key-file="$dir/munge/munge.key" \
        --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" \
        --seed-file="$dir/munge/munged.seed" \
        --log-file="$dir/log/munged.log" ||
        die "munged did not start (see $dir/log/munged.log)"

    : >"$dir/plugstack.conf"
    cat >"$dir/slurm.conf" <<EOF
# written by scripts/slurm-local.sh: a private one-node cluster
ClusterName=musicgen-local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    SLURM_CONF=$dir/slurm.conf
    export SLURM_CONF
    # -c: a clean start (no jobs from an earlier cluster in this DIR)
    slurmctld -c -f "$SLURM_CONF" || die "slurmctld did not start (see $dir/log)"
    slurmd -f "$SLURM_CONF" -N localhost || die "slurmd did not start (see $dir/log)"
    wait_until 60 node_idle ||
        die "the node did not come up: $(tail -n 3 "$dir/log/slurmctld.log" "$dir/log/slurmd.log")"
    echo "export SLURM_CONF=$SLURM_CONF"
}

stop() {
    dir=$(cd "$1" && pwd) || die "no such directory: $1"
    [ -f "$dir/slurm.conf" ] || die "$dir holds no cluster"
    PATH=$PATH:/usr/sbin
    SLURM_CONF=$dir/slurm.conf
    export SLURM_CONF
    # jobs first, so that no slurmstepd outlives its slurmd
    if [ -s "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
        scancel --user="$(id -un)" 2>/dev/null || true
        wait_until 30 sh -c '[ -z "$(squeue -h -o %A)" ]' || true
    fi
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    stop_pidfile "$dir/munge/munged.pid"
    mv "$dir/slurm.conf" "$dir/slurm.conf.stopped"
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: slurm-local.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: slurm-local.sh stop DIR"; stop "$2" ;;
*) die "usage: slurm-local.sh start|stop DIR" ;;
esac
