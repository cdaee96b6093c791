#!/usr/bin/env bash
# A single-node Slurm on this machine (Debian's slurm-wlm + munge, as root), then the
# nightly recipe (deploy/slurm/nightly.sh: each exploration given as a job array of TASKS
# tasks of deploy/slurm/explore-array.sbatch, merged into a store, triaged), and each merge
# compared with the same exploration run unsharded: same executions, failures, signatures
# and schedules (tools/compare_reports.py). Every shard also records its batch in the one
# store at once (concurrent writers on one host); the store must hold every batch and every
# signature of each merge.
#
#   tools/slurm/local-array.sh SIMBUS TASKS 'SCENARIO RUNS [EXPLORE FLAGS]'...
#   tools/slurm/local-array.sh build/bin/simbus 4 'racy-counter 400' \
#     'broker-smoke 8 --bug fanout_unordered_workers'
#
# Exit 0 when every merge equals its unsharded run, 1 when one does not or a task failed,
# 2 on bad arguments, 77 (CTest's skip) when not root or Slurm/munge are not installed.
# The daemons it starts (slurmctld, slurmd, and munged if none was running) run on ports
# 16817/16818 from a temporary directory, and are stopped on exit whatever happens.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage() { echo "usage: $0 SIMBUS TASKS 'SCENARIO RUNS [FLAGS]'..." >&2; exit 2; }
(( $# >= 3 )) || usage
simbus=$(realpath "$1") || usage
tasks=$2
shift 2
[[ -x "$simbus" ]] || { echo "local-array: $simbus is not an executable" >&2; exit 2; }
[[ "$tasks" =~ ^[0-9]+$ ]] && (( tasks >= 1 && tasks <= 64 )) ||
  { echo "local-array: TASKS must be 1..64, got '$tasks'" >&2; exit 2; }

if (( EUID != 0 )); then echo "local-array: skipped: a single-node Slurm needs root" >&2; exit 77; fi
for cmd in slurmctld slurmd sbatch sinfo scancel munged munge unmunge python3; do
  command -v "$cmd" > /dev/null || { echo "local-array: skipped: $cmd not installed (slurm-wlm, munge)" >&2; exit 77; }
done

dir=$(mktemp -d /tmp/simbus-slurm.XXXXXX)
chmod 755 "$dir"
started_munged=0
pids=()
cleanup() {
  scancel --quiet --full --user=root 2> /dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null || true
  done
  if (( started_munged )) && [[ -f /run/munge/munged.pid ]]; then kill "$(cat /run/munge/munged.pid)" 2> /dev/null || true; fi
  if (( ${KEEP:-0} )); then echo "local-array: kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
fail() { echo "local-array: $*" >&2; for f in "$dir"/*.log; do [[ -f "$f" ]] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }

# munge: the authentication Slurm's daemons and commands share. Reuse a running one.
if ! munge -n 2> /dev/null | unmunge > /dev/null 2>&1; then
  [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key > /dev/null || fail "cannot create the munge key"
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
  started_munged=1
  for _ in $(seq 50); do munge -n 2> /dev/null | unmunge > /dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge > /dev/null 2>&1 || fail "munge does not answer"
fi

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$dir/state" "$dir/spool" "$dir/work"
cat > "$dir/slurm.conf" <<CONF
ClusterName=simbus-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1024 State=UNKNOWN
PartitionName=simbus Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" > "$dir/slurmctld.out.log" 2>&1 &
pids+=($!)
slurmd -D -N "$host" -f "$SLURM_CONF" > "$dir/slurmd.out.log" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 300); do
  state=$(sinfo -h -N -o %T 2> /dev/null | head -1)
  [[ "$state" == idle ]] && break
  sleep 0.2
done
[[ "$state" == idle ]] || fail "the node did not come up idle (state '$state')"
echo "local-array: single-node Slurm up ($(sbatch --version), node $host, $cpus CPUs)"

store=$dir/store.db
out=$dir/nightly
# The nightly recipe as a user runs it, with every shard also recording its batch in the
# store (all tasks share this host's disk): concurrent writers.
SIMBUS_SHARD_STORE=$store SBATCH_FLAGS="--cpus-per-task=1 --time=30:00" \
  "$root/deploy/slurm/nightly.sh" "$simbus" "$tasks" "$store" "$out" "$@"
rc=$?
(( rc <= 1 )) || fail "nightly.sh exited $rc"
[[ -s "$out/triage.xml" && -s "$out/triage.html" ]] || fail "no triage report"

status=0
n=0
for spec in "$@"; do
  read -r -a words <<< "$spec"
  n=$((n + 1))
  work=$out/$n
  echo "== [$n] ${words[*]}: merge of $tasks shards vs the unsharded run"
  "$simbus" explore "${words[0]}" --runs "${words[1]}" "${words[@]:2}" --no-progress --json "$work/unsharded.json" \
    > "$work/unsharded.txt"
  rc=$?
  (( rc <= 1 )) || fail "the unsharded explore exited $rc"
  python3 "$root/tools/compare_reports.py" "$work/merged.json" "$work/unsharded.json" || status=1
  # The store's view of this exploration: every signature of the merge.
  python3 - "$work/merged.json" "$simbus" "$store" <<'PY' || status=1
import json, subprocess, sys
merged = json.load(open(sys.argv[1]))
out = subprocess.run([sys.argv[2], "triage", sys.argv[3], "--json"], capture_output=True, text=True)
if out.returncode not in (0, 1):
    sys.exit(f"triage exited {out.returncode}: {out.stderr}")
triage = json.loads(out.stdout)
want = {g["signature"] for g in merged["groups"]}
have = {f["signature"] for f in triage["failures"] if merged["scenario"] in f["scenarios"].split(",")}
if not want <= have:
    sys.exit(f"store lacks signatures {sorted(want - have)} of the merge")
print(f"store: all {len(want)} signatures of this exploration recorded")
PY
done

# Every task's batch and every merge's: the concurrent shard writers lost nothing.
batches=$("$simbus" triage "$store" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["batches"])')
expected=$(( $# * (tasks + 1) ))
if [[ "$batches" != "$expected" ]]; then
  echo "local-array: the store holds $batches batches, expected $expected ($# x ($tasks shards + merge))" >&2
  status=1
else
  echo "store: $batches batches = $# explorations x ($tasks shards + merge)"
fi
(( status == 0 )) && echo "local-array: every merge equals its unsharded run"
exit "$status"
