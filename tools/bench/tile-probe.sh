#!/usr/bin/env bash
# How fast this machine's AMX tile unit is over time, on each CPU in turn: builds tile-probe.c and runs
# it pinned to each CPU for SECONDS (default 15). On a shared VM the tile unit of a core can be shared
# with another tenant's thread; the probe's timeline shows when a multiply takes its native time and
# when it takes about twice that.
#
#   tools/bench/tile-probe.sh [SECONDS]
set -euo pipefail

die() { echo "tile-probe.sh: $*" >&2; exit 1; }
seconds=${1:-15}
[[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "SECONDS must be a number, not '$seconds'"
grep -qw amx_int8 /proc/cpuinfo || die "this CPU has no AMX-INT8"
command -v clang > /dev/null || die "clang is needed to build the probe"
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
clang -O2 -Wall -mamx-tile -mamx-int8 -mavx512f "$here/tile-probe.c" -o "$dir/tile-probe"
for cpu in $(seq 0 $(($(nproc) - 1))); do
  echo "cpu $cpu, $(date -u +%H:%M:%S) UTC, ${seconds} s"
  taskset -c "$cpu" "$dir/tile-probe" "$seconds"
done
