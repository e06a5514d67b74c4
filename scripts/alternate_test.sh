#!/usr/bin/env bash
# bench/alternate.sh: a pair line per run pair and the means, B/A where A took any CPU time;
# exit code 2 on bad arguments, 1 when a build fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
alt="$here/bench/alternate.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Both "builds" are awk running the same loop: about equal CPU time each.
out=$("$alt" 3 /usr/bin/awk /usr/bin/awk -- 'BEGIN { for (i = 0; i < 2000000; i++) s += i }') || fail "a good comparison exited with $?"
[ "$(echo "$out" | wc -l)" -eq 5 ] || fail "expected a header, 3 pairs and the means, got: $out"
echo "$out" | sed -n 2,4p | awk '$1 != NR { exit 1 } NF != 4 { exit 1 }' || fail "pair lines: $out"
echo "$out" | tail -1 | grep -q '^mean .*(ratio of the means)$' || fail "means line: $out"
echo "$out" | tail -1 | awk '$4 != "-" && ($4 < 0.2 || $4 > 5) { exit 1 }' || fail "the same work differs five-fold: $out"

"$alt" 2 /nonexistent /usr/bin/awk -- 'BEGIN {}' >/dev/null 2>&1
[ $? -eq 2 ] || fail "a missing build must exit 2"
"$alt" x /usr/bin/awk /usr/bin/awk -- 'BEGIN {}' >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad count must exit 2"
"$alt" 2 /usr/bin/awk /usr/bin/awk 'BEGIN {}' >/dev/null 2>&1
[ $? -eq 2 ] || fail "arguments without -- must exit 2"
"$alt" 2 /usr/bin/awk /usr/bin/awk -- 'BEGIN { exit 3 }' >/dev/null 2>&1
[ $? -eq 1 ] || fail "a failing build must exit 1"
echo "alternate.sh: ok"
