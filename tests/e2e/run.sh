#!/usr/bin/env bash
# ctest's e2e entry (label e2e): installs the pinned npm clients into the build tree
# (npm ci from package-lock.json, once) and runs the node:test suites against a 3-node
# cluster they start themselves. Exits 77 (ctest: skipped) only when node or npm is absent.
#   tests/e2e/run.sh <source dir> <build dir> [test files...]
set -euo pipefail
src=$1/tests/e2e
build=$2
shift 2
for tool in node npm; do
  if ! command -v "$tool" > /dev/null; then
    echo "e2e: SKIPPED: '$tool' is not installed (tools/install-deps.sh installs nodejs and npm)"
    exit 77
  fi
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "e2e: node $(node --version) is too old: node:test and fetch need node 18" >&2
  exit 1
fi
deps=$build/e2e
# Reinstalled when the lockfile changes.
if ! cmp -s "$src/package-lock.json" "$deps/package-lock.json" || [ ! -d "$deps/node_modules" ]; then
  mkdir -p "$deps"
  cp "$src/package.json" "$src/package-lock.json" "$deps/"
  (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error)
fi
export NODE_PATH=$deps/node_modules
export SIMBUS_BROKER=$build/bin/simbus-broker
export SIMBUS_E2E_DIR=$deps
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$src/gateway.test.js")
exec node --test --test-concurrency=1 "${files[@]}"
