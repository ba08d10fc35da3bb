#!/usr/bin/env bash
# Runs benchmarks against real servers on 127.0.0.1 (started here, stopped on exit).
#   scripts/bench.sh             # every benchmark
#   scripts/bench.sh catalog     # one
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/servers.sh
source scripts/servers.sh
# Benchmarks run against servers configured as users run them (default durability), not the tests' fsync=off.
export DBC_DURABLE=1
servers_start
# The transfer benchmark compares with the engines' own tools and pgloader.
if ! command -v pgloader >/dev/null || ! command -v sqlite3 >/dev/null; then
  apt-get install -y -o DPkg::Lock::Timeout=120 pgloader sqlite3 >/dev/null
fi
if [ $# -eq 0 ]; then
  cargo bench
else
  for b in "$@"; do cargo bench --bench "$b"; done
fi
