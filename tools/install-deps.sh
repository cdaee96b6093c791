#!/usr/bin/env bash
# Installs the Debian packages simbus builds with, only those missing. Idempotent:
# a machine that has them all runs no apt-get at all.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev ccache
  libboost-context-dev libfmt-dev libgtest-dev libgmock-dev librapidcheck-dev
  libbenchmark-dev libcli11-dev nlohmann-json3-dev libssl-dev
  libraft-dev libsqlite3-dev
  chromium
  # exploration on a scheduler (tests: distributed.*): a single-node Slurm, the deploy/
  # examples' YAML checked by Debian's python3
  slurm-wlm munge python3-yaml
)
# The end-to-end tests' node and npm (tests/e2e): Debian's, unless a node is already there
# (e.g. from NodeSource, whose nodejs carries npm and conflicts with Debian's npm).
command -v node > /dev/null || packages+=(nodejs)
command -v npm > /dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
