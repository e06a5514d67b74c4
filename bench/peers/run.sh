#!/usr/bin/env bash
# Peer engines on the hold model (1,000 pending events) and on M/M/c (c = 100, load 0.9),
# all in one run: builds capsim and the peers, runs every engine and workload once per
# round, interleaved, and prints the best rate of each over the rounds with its ratio to
# capsim's engine. Needs scripts/bootstrap.sh --peers.
#
#   bench/peers/run.sh [ROUNDS=3]       SCALE=0.2 bench/peers/run.sh   (shorter runs)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rounds="${1:-3}"
scale="${SCALE:-1}"
build=build
py=/usr/bin/python3  # SimPy comes as a Debian package: the system interpreter has it

[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target capsim >/dev/null
bench/peers/build.sh
bin="$build/peers"

n() { "$py" -c "print(max(1, round($1 * $scale)))"; }

# engine, workload, count (events for hold, arrivals for M/M/c), variant, program: each
# about 2-3 s on one free core (SimPy's counts are smaller). capsim-run is the full
# `capsim run` path on scenarios/validation/mmc.yaml as it is (18M arrivals).
jobs=(
  "capsim hold $(n 30000000) - $bin/peer_capsim"
  "ns3-map hold $(n 5000000) map $bin/peer_ns3"
  "ns3-heap hold $(n 3000000) heap $bin/peer_ns3"
  "ns3-calendar hold $(n 4500000) calendar $bin/peer_ns3"
  "ns3-priority-queue hold $(n 7000000) priority-queue $bin/peer_ns3"
  "simgrid-timers hold $(n 4000000) timers $bin/peer_simgrid"
  "simgrid-actors hold $(n 1000000) actors $bin/peer_simgrid"
  "simpy hold $(n 1500000) - $py bench/peers/peer_simpy.py"
  "capsim mmc $(n 20000000) - $bin/peer_capsim"
  "capsim-run mmc - - $py bench/peers/capsim_run.py $build scenarios/validation/mmc.yaml"
  "ns3-map mmc $(n 3000000) map $bin/peer_ns3"
  "ns3-heap mmc $(n 3000000) heap $bin/peer_ns3"
  "ns3-calendar mmc $(n 3000000) calendar $bin/peer_ns3"
  "ns3-priority-queue mmc $(n 3000000) priority-queue $bin/peer_ns3"
  "simgrid-timers mmc $(n 4000000) timers $bin/peer_simgrid"
  "simgrid-actors mmc $(n 1200000) actors $bin/peer_simgrid"
  "simpy mmc $(n 300000) - $py bench/peers/peer_simpy.py"
)

results="$(mktemp)"
trap 'rm -f "$results"' EXIT

# Same model: given one seed and one arrival count, every C++ engine draws the same
# numbers in the same order, so all must report the same mean wait to the last digit.
same=$(for cmd in "$bin/peer_capsim mmc 300000" "$bin/peer_ns3 mmc 300000 map" "$bin/peer_ns3 mmc 300000 heap" \
                  "$bin/peer_ns3 mmc 300000 calendar" "$bin/peer_ns3 mmc 300000 priority-queue" \
                  "$bin/peer_simgrid mmc 300000 timers" "$bin/peer_simgrid mmc 300000 actors"; do
         $cmd | grep -o 'mean_wait_s=[0-9.]*'
       done | sort -u)
if [ "$(echo "$same" | wc -l)" -ne 1 ]; then
  echo "peers: the C++ engines disagree on the M/M/c sample path:" >&2
  echo "$same" >&2
  exit 1
fi
echo "same M/M/c sample path in every C++ engine at 300,000 arrivals: $same"

for ((r = 1; r <= rounds; r++)); do
  for job in "${jobs[@]}"; do
    read -r engine workload count variant prog <<<"$job"
    if [ "$engine" = capsim-run ]; then
      line=$($prog)
    else
      [ "$variant" = - ] && variant=""
      # shellcheck disable=SC2086  # prog is a command and its leading arguments
      line=$($prog "$workload" "$count" $variant | grep '^result ')
    fi
    echo "round $r: $line"
    echo "$line" >>"$results"
  done
done
echo
"$py" bench/peers/table.py "$results"
