#!/usr/bin/env bash
# Builds the peer-engine benchmarks into build/peers/ with g++ directly (not with the
# project's CMake, which must not depend on these packages). Needs scripts/bootstrap.sh --peers.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/build/peers"
mkdir -p "$out"
cxx=(g++ -std=c++20 -O3 -DNDEBUG -I"$root")
# capsim's engine is header-only: the direct program needs no capsim library.
"${cxx[@]}" -o "$out/peer_capsim" "$root/bench/peers/peer_capsim.cpp"
# ns-3 (Debian's pkg-config file for ns3-core carries a stray -I/usr\; give the flags by hand).
"${cxx[@]}" -o "$out/peer_ns3" "$root/bench/peers/peer_ns3.cpp" -lns3-core
read -ra sg_cflags <<<"$(pkg-config --cflags simgrid)"
read -ra sg_libs <<<"$(pkg-config --libs simgrid)"
"${cxx[@]}" "${sg_cflags[@]}" -o "$out/peer_simgrid" "$root/bench/peers/peer_simgrid.cpp" "${sg_libs[@]}"
