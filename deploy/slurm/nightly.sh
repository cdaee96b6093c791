#!/usr/bin/env bash
# The nightly recipe on Slurm: each exploration as a job array of TASKS shards
# (deploy/slurm/explore-array.sbatch), waited for, merged into one results store, and the
# store triaged into a JUnit file and an HTML page that flag the failures no earlier commit
# had (docs/distributed.md). Run it on a login node, from cron or a CI job:
#
#   SIMBUS_COMMIT=$(git rev-parse HEAD) deploy/slurm/nightly.sh build/bin/simbus 16 \
#     ~/simbus/results.db ~/simbus/nightly-$(date +%F) 'leader-crash 200000' \
#     'broker-smoke 20000 --strategy pct' 'libraft-mixed 50000'
#
# Environment: SBATCH_FLAGS (more sbatch flags, word-split: "--partition=long --account=x"),
# SIMBUS_SHARD_STORE (a store every shard records its own batch in: only where all tasks
# share one host's disk, as in tools/slurm/local-array.sh; SQLite is not for NFS).
# Exit: 0 no new failure, 1 new failures (the triage's verdict) or a failed array, 2 on
# bad arguments.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: $0 SIMBUS TASKS STORE OUT_DIR 'SCENARIO RUNS [FLAGS]'..." >&2; exit 2; }
(( $# >= 5 )) || usage
simbus=$(realpath "$1") || usage
tasks=$2
store=$(realpath -m "$3")
out=$(realpath -m "$4")
shift 4
[[ -x "$simbus" ]] || { echo "nightly: $simbus is not an executable" >&2; exit 2; }
[[ "$tasks" =~ ^[0-9]+$ ]] && (( tasks >= 1 && tasks <= 1000 )) ||
  { echo "nightly: TASKS must be 1..1000, got '$tasks'" >&2; exit 2; }
mkdir -p "$out"

n=0
for spec in "$@"; do
  read -r -a words <<< "$spec"
  (( ${#words[@]} >= 2 )) || { echo "nightly: '$spec' is not 'SCENARIO RUNS [FLAGS]'" >&2; exit 2; }
  n=$((n + 1))
  work=$out/$n
  rm -rf "$work/reports"
  mkdir -p "$work"
  printf '%s\n' "$spec" > "$work/exploration"
  echo "nightly: [$n] ${words[*]}: $tasks shards"
  # shellcheck disable=SC2086  # SBATCH_FLAGS is a list of flags on purpose
  if ! sbatch --wait --quiet --array="0-$((tasks - 1))" ${SBATCH_FLAGS:-} \
      --chdir="$work" --output="$work/task-%a.out" \
      --export="ALL,SIMBUS=$simbus,SIMBUS_SCENARIO=${words[0]},SIMBUS_RUNS=${words[1]},SIMBUS_REPORTS=$work/reports,SIMBUS_STORE=${SIMBUS_SHARD_STORE:-},SIMBUS_ARGS=${words[*]:2}" \
      "$here/explore-array.sbatch"; then
    echo "nightly: [$n] the array failed; its tasks' last lines:" >&2
    for f in "$work"/task-*.out; do echo "--- $f" >&2; tail -5 "$f" >&2; done
    exit 1
  fi
  reports=("$work"/reports/shard-*.json)
  if (( ${#reports[@]} != tasks )); then echo "nightly: [$n] $tasks tasks wrote ${#reports[@]} reports" >&2; exit 1; fi
  "$simbus" merge "${reports[@]}" --json "$work/merged.json" --junit "$work/merged.xml" --store "$store" \
    > "$work/merged.txt"
  rc=$?
  if (( rc > 1 )); then echo "nightly: [$n] merge exited $rc" >&2; cat "$work/merged.txt" >&2; exit 1; fi
  grep -E '^(executions|failures|signatures):' "$work/merged.txt" | sed "s/^/nightly: [$n] /"
done

"$simbus" triage "$store" --junit "$out/triage.xml" --html "$out/triage.html" > "$out/triage.txt"
rc=$?
tail -1 "$out/triage.txt" | sed 's/^/nightly: /'
echo "nightly: report $out/triage.html, $out/triage.xml"
exit "$rc"
