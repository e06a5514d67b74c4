#!/usr/bin/env bash
# The MPI test behind CTest's "sweep: mpirun": the same sweep with one process and with
# `mpirun -n 2` must write byte-identical sweep.csv files.
#   scripts/mpi_test.sh path/to/capsim
set -euo pipefail
capsim=${1:?usage: mpi_test.sh path/to/capsim}
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(sweep scenarios/analysis/pool-sizing.yaml --set horizon=20m --vary pool.servers=60..68:4
      --vary arrivals.rate=30/s,32/s --replications 3 --quiet)
"$capsim" "${args[@]}" --out "$out/one"
# As root OpenMPI needs --allow-run-as-root; --oversubscribe lets 2 ranks share fewer cores.
mpirun --allow-run-as-root --oversubscribe -n 2 "$capsim" "${args[@]}" --out "$out/two"
cmp "$out/one/sweep.csv" "$out/two/sweep.csv"
echo "mpi_test: 1 process and 2 MPI ranks wrote the same sweep.csv ($(wc -l <"$out/one/sweep.csv") lines)"
