#!/usr/bin/env bash
# Regression check of a seed scenario (scenarios/seeds/NAME.yaml) against its baseline, as CTest
# runs it ("seeds: NAME"). The run is CI-sized by the overrides in tests/baselines/NAME.args
# (one `path=value` a line, given as `--set`; `#` starts a comment line; none when the file
# is absent), deterministic, one
# replication; the check allows a relative drift of 1e-6.
#   scripts/seed_check.sh path/to/capsim NAME            run and check
#   scripts/seed_check.sh path/to/capsim NAME --write    run and (re)write tests/baselines/NAME.json
set -euo pipefail
capsim=${1:?usage: seed_check.sh path/to/capsim NAME [--write]}
name=${2:?usage: seed_check.sh path/to/capsim NAME [--write]}
cd "$(dirname "$0")/.."
args=()
if [[ -f tests/baselines/$name.args ]]; then
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] || args+=(--set "$line")
  done < "tests/baselines/$name.args"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$capsim" run "scenarios/seeds/$name.yaml" --deterministic --quiet --out "$out" "${args[@]}"
if [[ ${3:-} == --write ]]; then
  "$capsim" baseline "$out/report.json" --out "tests/baselines/$name.json"
else
  "$capsim" check "$out/report.json" --baseline "tests/baselines/$name.json" --rtol 1e-6
fi
