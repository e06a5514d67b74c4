#!/usr/bin/env bash
# Installs the Debian packages capsim needs to build and test. Idempotent: does nothing
# when every package is already installed; otherwise runs `apt-get update` once and
# installs only what is missing.
#   scripts/bootstrap.sh            build and test dependencies, OpenMPI (sweeps under mpirun)
#                                   and Chromium (the report.html browser test)
#   scripts/bootstrap.sh --peers    also SimPy, ns-3 and SimGrid, for bench/peers (benchmarks only)
set -euo pipefail

packages=(
  build-essential cmake
  libboost-random-dev libboost-program-options-dev libboost-math-dev
  libyaml-cpp-dev libfmt-dev catch2 nlohmann-json3-dev
  python3
  openmpi-bin libopenmpi-dev
  chromium
)
for arg in "$@"; do
  case "$arg" in
    --browser|--mpi) ;;  # already in the default list: the test suite needs them
    --peers) packages+=(python3-simpy3 libns3-dev libsimgrid-dev pkg-config) ;;
    *) echo "bootstrap.sh: unknown option '$arg' (allowed: --browser, --mpi, --peers)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
