#!/usr/bin/env bash
# On a fresh machine: installs the dependencies, builds capsim and runs the bundled demo
# scenario (summary on the terminal, report files in out/demo/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
build/capsim run scenarios/demo.yaml "$@"
