#!/usr/bin/env bash
# Runs every built-in scenario for seeds FIRST..LAST under two simbus binaries (built by
# different compilers) and fails if any trace-hash differs.
set -euo pipefail
a=$1; b=$2; first=${3:-1}; last=${4:-20}
status=0
checked=0
while IFS=$'\t' read -r scenario _; do
  for seed in $(seq "$first" "$last"); do
    ha=$("$a" run "$scenario" --seed "$seed" 2>/dev/null | sed -n 's/^trace-hash: //p' || true)
    hb=$("$b" run "$scenario" --seed "$seed" 2>/dev/null | sed -n 's/^trace-hash: //p' || true)
    if [ -z "$ha" ] || [ "$ha" != "$hb" ]; then
      echo "compare-compilers: $scenario seed $seed: '$ha' vs '$hb'"
      status=1
    fi
    checked=$((checked + 1))
  done
done < <("$a" list)
echo "compare-compilers: $checked runs compared, $( [ $status -eq 0 ] && echo all equal || echo DIFFERENCES )"
exit $status
