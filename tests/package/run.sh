#!/usr/bin/env bash
# Installs simbus from a build tree into a prefix inside it, then builds against the
# install as a user would: every installed header on its own, both examples/ (built and
# tested with their own ctest), and a project that includes simbus by add_subdirectory.
#   tests/package/run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$build/_package
prefix=$work/install
jobs=${SIMBUS_PACKAGE_JOBS:-2}

rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
echo "installed to $prefix"

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
project() {  # name source-dir [cmake args...]
  local name=$1 dir=$2
  shift 2
  echo "== $name"
  cmake -S "$dir" -B "$work/$name" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    "${launcher[@]}" "$@" >/dev/null
  cmake --build "$work/$name" -j "$jobs"
}

project headers "$src/tests/package/headers"
for example in concurrent-stack replicated-log; do
  project "$example" "$src/examples/$example"
  (cd "$work/$example" && ctest --output-on-failure)
done
project subdirectory "$src/tests/package/subdirectory" -DSIMBUS_SOURCE_DIR="$src"
"$work/subdirectory/fetch_add"
echo "package: ok"
