#!/usr/bin/env bash
# The browser test behind CTest's "report: browser": renders a run's report.html and a
# sweep's sweep.html with capsim, then loads each in headless Chromium (scripts/browser_check.sh).
#   scripts/browser_test.sh path/to/capsim
# Exit 77 (skipped) when chromium is not installed.
set -euo pipefail
capsim=${1:?usage: browser_test.sh path/to/capsim}
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  echo "browser_test: SKIPPED: chromium is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$capsim" run scenarios/demo.yaml --set horizon=3h --set warmup=10m --quiet --out "$out/run"
"$capsim" sweep scenarios/analysis/pool-sizing.yaml --set horizon=20m --vary pool.servers=60..68:4 \
  --replications 2 --quiet --out "$out/sweep"
scripts/browser_check.sh "$out/run/report.html"
scripts/browser_check.sh "$out/sweep/sweep.html"
