#!/usr/bin/env bash
# On a fresh machine: installs the dependencies, builds capsim with warnings as errors and
# runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh -DCAPSIM_WERROR=ON
jobs=$(nproc 2>/dev/null || echo 2)
cd build && ctest --output-on-failure -j"$jobs"
