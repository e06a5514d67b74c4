#!/usr/bin/env bash
# Compares two builds of a benchmark on a shared, noisy machine: runs them N times each,
# alternating (A, B, A, B, ...), and prints each pair's user CPU seconds and the ratio B/A, then
# the means and the ratio of the means. Alternating spreads the machine's drift over both builds;
# CPU seconds are steadier than wall seconds where other work shares the cores.
#
#   bench/alternate.sh 4 /tmp/before/bench_hyperscale build/bench/bench_hyperscale \
#       -- bench/hyperscale-hour.yaml --set horizon=3m
#
# Each build's output is discarded; a run that fails stops the comparison (exit code 1).
set -euo pipefail

usage() {
  echo "usage: $0 N BUILD_A BUILD_B -- ARGS..." >&2
  exit 2
}
[ $# -ge 4 ] || usage
n=$1
a=$2
b=$3
[ "$4" = "--" ] || usage
shift 4
[[ $n =~ ^[1-9][0-9]*$ ]] || usage
for exe in "$a" "$b"; do
  [ -x "$exe" ] || { echo "$0: $exe is not an executable" >&2; exit 2; }
done

TIMEFORMAT=%U
user_seconds() {
  local t
  if ! t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ); then
    echo "$0: $1 failed" >&2
    exit 1
  fi
  echo "$t"
}

echo "pair  A (CPU s)  B (CPU s)  B/A"
for i in $(seq "$n"); do
  ta=$(user_seconds "$a" "$@")
  tb=$(user_seconds "$b" "$@")
  echo "$i $ta $tb"
done | awk 'function ratio(x, y) { return y > 0 ? sprintf("%.3f", x / y) : "-" }
           { printf "%4d  %9.2f  %9.2f  %s\n", $1, $2, $3, ratio($3, $2); sa += $2; sb += $3 }
           END { if (NR > 0) printf "mean  %9.2f  %9.2f  %s (ratio of the means)\n", sa / NR, sb / NR, ratio(sb, sa) }'
