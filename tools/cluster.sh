#!/usr/bin/env bash
# A local 3-node simbus broker cluster on loopback (docs/runtime.md).
#   tools/cluster.sh start | stop | status | kill N | restart N | logs N
# Settings (environment): SIMBUS_CLUSTER_DIR (default /tmp/simbus-cluster: data, logs, pid
# files, the generated peer secret), SIMBUS_BROKER (the simbus-broker binary; default
# build/bin/simbus-broker beside this script), SIMBUS_CLUSTER_PORT (peer port of node 1,
# default 7101; node N uses +N-1), SIMBUS_GATEWAY_PORT (gateway port of node 1, default
# 8101), SIMBUS_APP_ID/KEY/SECRET. Any further arguments after the command's own are passed
# to every simbus-broker started.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${SIMBUS_CLUSTER_DIR:-/tmp/simbus-cluster}
broker=${SIMBUS_BROKER:-$here/../build/bin/simbus-broker}
port1=${SIMBUS_CLUSTER_PORT:-7101}
gateway1=${SIMBUS_GATEWAY_PORT:-8101}
nodes=3
stop_wait_s=10

usage() {
  echo "usage: $0 start|stop|status|kill N|restart N|logs N [simbus-broker flags...]" >&2
  exit 2
}

node_arg() {
  [[ "${1:-}" =~ ^[1-9][0-9]*$ ]] && (( $1 <= nodes )) || { echo "$0: node must be 1..$nodes, got '${1:-}'" >&2; exit 2; }
}

pid_of() {
  local f="$dir/node$1.pid"
  [ -f "$f" ] || return 1
  local pid
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start_node() {
  local n=$1; shift
  if pid=$(pid_of "$n"); then
    echo "node $n already running (pid $pid)"
    return 0
  fi
  [ -x "$broker" ] || { echo "$0: no simbus-broker at $broker (build it, or set SIMBUS_BROKER)" >&2; exit 2; }
  local peers=()
  for ((m = 1; m <= nodes; m++)); do
    (( m == n )) || peers+=(--peer "$m=127.0.0.1:$((port1 + m - 1))")
  done
  local log="$dir/node$n.log"
  echo "--- start $(date -u +%FT%TZ)" >> "$log"
  "$broker" --id "$n" --listen "127.0.0.1:$((port1 + n - 1))" "${peers[@]}" \
    --data-dir "$dir/node$n" --peer-secret "$(cat "$dir/peer-secret")" \
    --app-id "${SIMBUS_APP_ID:-1}" --app-key "${SIMBUS_APP_KEY:-simbus-key}" \
    --app-secret "${SIMBUS_APP_SECRET:-simbus-secret}" \
    --gateway "127.0.0.1:$((gateway1 + n - 1))" "$@" >> "$log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$dir/node$n.pid"
  # Up when it logged its listening line; an exit before that is a failed start.
  for ((i = 0; i < 50; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$0: node $n exited at start; see $log:" >&2
      tail -5 "$log" >&2
      exit 1
    fi
    if tail -20 "$log" | grep -q "listening on"; then
      echo "node $n started (pid $pid, peer port $((port1 + n - 1)), log $log)"
      return 0
    fi
    sleep 0.1
  done
  echo "$0: node $n did not come up in 5 s; see $log" >&2
  exit 1
}

stop_node() {
  local n=$1 pid
  pid=$(pid_of "$n") || { echo "node $n not running"; rm -f "$dir/node$n.pid"; return 0; }
  kill -TERM "$pid"
  for ((i = 0; i < stop_wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { echo "node $n stopped"; rm -f "$dir/node$n.pid"; return 0; }
    sleep 0.1
  done
  echo "node $n did not stop in ${stop_wait_s} s: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/node$n.pid"
}

[ $# -ge 1 ] || usage
cmd=$1; shift
mkdir -p "$dir"
if [ ! -s "$dir/peer-secret" ]; then
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$dir/peer-secret")
fi

case "$cmd" in
  start)
    for ((n = 1; n <= nodes; n++)); do start_node "$n" "$@"; done ;;
  stop)
    for ((n = 1; n <= nodes; n++)); do stop_node "$n"; done ;;
  status)
    for ((n = 1; n <= nodes; n++)); do
      if pid=$(pid_of "$n"); then
        # Leadership lines of the current run only (after the last start marker).
        last=$(awk '/^--- start/ {l = ""} /is the leader/ {l = $0} END {print l}' "$dir/node$n.log" 2>/dev/null || true)
        echo "node $n running (pid $pid) ${last:+-- last leadership: ${last#* info }}"
      else
        echo "node $n not running"
      fi
    done ;;
  kill)
    node_arg "${1:-}"
    pid=$(pid_of "$1") || { echo "node $1 not running" >&2; exit 1; }
    kill -KILL "$pid"
    rm -f "$dir/node$1.pid"
    echo "node $1 killed (SIGKILL, pid $pid)" ;;
  restart)
    node_arg "${1:-}"
    n=$1; shift
    stop_node "$n"
    start_node "$n" "$@" ;;
  logs)
    node_arg "${1:-}"
    tail -50 "$dir/node$1.log" ;;
  *) usage ;;
esac
