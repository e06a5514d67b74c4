#!/usr/bin/env bash
# Measures a sweep's wall time with --jobs 1, --jobs 2 and `mpirun -n 2` (one thread per
# rank) and prints the speed-ups, checking that all three wrote the same sweep.csv.
#   scripts/sweep_speedup.sh [path/to/capsim] [repeats]
# docs/performance.md ("Sweeps") records its output.
set -euo pipefail
capsim=${1:-build/capsim}
repeats=${2:-3}
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(sweep scenarios/analysis/pool-sizing.yaml --set horizon=6h --vary pool.servers=60..76:4
      --replications 8 --quiet)
best() {  # best wall seconds of $repeats runs of the command in "$@"
  local b=""
  for _ in $(seq "$repeats"); do
    local t0 t1
    t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N)
    b=$(python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); b=sys.argv[3]; print(t if not b or t<float(b) else b)" "$t0" "$t1" "$b")
  done
  echo "$b"
}
j1=$(best "$capsim" "${args[@]}" --jobs 1 --out "$out/j1")
j2=$(best "$capsim" "${args[@]}" --jobs 2 --out "$out/j2")
cmp "$out/j1/sweep.csv" "$out/j2/sweep.csv"
line="runs: 40 (5 points x 8 replications); best of $repeats"
if command -v mpirun >/dev/null; then
  m2=$(best mpirun --allow-run-as-root --oversubscribe -n 2 "$capsim" "${args[@]}" --jobs 1 --out "$out/m2")
  cmp "$out/j1/sweep.csv" "$out/m2/sweep.csv"
  python3 -c "import sys; j1,j2,m2=map(float,sys.argv[1:4]); print(f'--jobs 1: {j1:.2f} s   --jobs 2: {j2:.2f} s ({j1/j2:.2f}x)   mpirun -n 2: {m2:.2f} s ({j1/m2:.2f}x)')" "$j1" "$j2" "$m2"
else
  python3 -c "import sys; j1,j2=map(float,sys.argv[1:3]); print(f'--jobs 1: {j1:.2f} s   --jobs 2: {j2:.2f} s ({j1/j2:.2f}x)   (no mpirun)')" "$j1" "$j2"
fi
echo "$line; identical sweep.csv in every case"
