#!/usr/bin/env bash
# Runs every libFuzzer target of a -DSIMBUS_FUZZ=ON build for SECONDS each, from its seed
# corpus tests/fuzz/<target>/ (read only: new inputs go to a scratch directory). A crash,
# leak, timeout or out-of-memory fails the script and leaves the input in ARTIFACTS.
#   tools/fuzz.sh BUILD_DIR SECONDS [ARTIFACTS]
set -euo pipefail
build=${1:?usage: tools/fuzz.sh BUILD_DIR SECONDS [ARTIFACTS]}
seconds=${2:?usage: tools/fuzz.sh BUILD_DIR SECONDS [ARTIFACTS]}
artifacts=${3:-$build/fuzz-artifacts}
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"
failed=0
shopt -s nullglob
targets=("$build"/bin/simbus_fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no simbus_fuzz_* binaries in $build/bin (configure with -DSIMBUS_FUZZ=ON)" >&2
  exit 2
fi
for target in "${targets[@]}"; do
  name=${target##*/simbus_fuzz_}
  mkdir -p "$scratch/$name"
  seeds=()
  [ -d "$root/tests/fuzz/$name" ] && seeds=("$root/tests/fuzz/$name")
  echo "== fuzz $name for ${seconds}s"
  # Leaks are caught per input: libFuzzer counts mallocs and frees around each input and
  # runs LeakSanitizer when they differ. The at-exit check is off because it only sees
  # libFuzzer's own process-lifetime objects: the state of the detached thread that enforces
  # -rss_limit_mb (std::thread in FuzzerDriver) is reported as a 32-byte leak in the report
  # target's binary (2026-12, clang 14; the thread is alive and sleeping at exit).
  # -rss_limit_mb: a reader must stay bounded (issue 18: 256 MB per input, plus ASan's
  # shadow); -timeout: one input may not take more than 10 s.
  if ! ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}leak_check_at_exit=0" "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -artifact_prefix="$artifacts/$name-" -print_final_stats=1 "$scratch/$name" "${seeds[@]}" \
      >"$scratch/$name.log" 2>&1; then
    failed=1
    tail -n 60 "$scratch/$name.log"
    echo "fuzz.sh: $name FAILED; the input is in $artifacts" >&2
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/$name.log" | tr '\n' ' '
    echo
  fi
done
exit $failed
