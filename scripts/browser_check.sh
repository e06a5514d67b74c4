#!/usr/bin/env bash
# Loads an HTML page (report.html or sweep.html) in headless Chromium and checks it:
# no console errors, and every chart (<svg class="chart">) has a drawn data path (a
# non-empty `d` on a path of class "series") in the rendered DOM.
#   scripts/browser_check.sh PAGE.html [--screenshot OUT.png]
# Exit 0 when the page passes, 1 when it does not, 77 (skipped) when no chromium is installed.
set -euo pipefail
page=${1:?usage: browser_check.sh PAGE.html [--screenshot OUT.png]}
shot=""
if [ "${2:-}" = "--screenshot" ]; then shot=${3:?--screenshot needs a file name}; fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "browser_check: SKIPPED: chromium is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 77
fi
[ -f "$page" ] || { echo "browser_check: $page: no such file" >&2; exit 1; }
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --enable-logging=stderr --v=0)
"$browser" "${flags[@]}" --dump-dom "$url" >"$profile/dom.html" 2>"$profile/log.txt" || {
  echo "browser_check: chromium failed on $page:" >&2; tail -20 "$profile/log.txt" >&2; exit 1; }
status=0
if grep -E 'CONSOLE|Uncaught|:ERROR:.*(Failed to load|net::ERR)' "$profile/log.txt" >&2; then
  echo "browser_check: $page: console messages or load errors (above)" >&2
  status=1
fi
python3 - "$profile/dom.html" "$page" <<'PY' || status=1
import sys
from html.parser import HTMLParser

class Charts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts = []      # per chart: number of drawn data paths
        self.depth = 0        # svg nesting while inside a chart
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self.charts.append(0)
            self.depth = 1
        elif tag == "svg" and self.depth:
            self.depth += 1
        elif tag == "path" and self.depth and "series" in (a.get("class") or "").split():
            if (a.get("d") or "").strip():
                self.charts[-1] += 1
    def handle_endtag(self, tag):
        if tag == "svg" and self.depth:
            self.depth -= 1

p = Charts()
p.feed(open(sys.argv[1], encoding="utf-8").read())
empty = [i for i, n in enumerate(p.charts) if n == 0]
if not p.charts:
    print(f"browser_check: {sys.argv[2]}: no charts in the rendered page", file=sys.stderr); sys.exit(1)
if empty:
    print(f"browser_check: {sys.argv[2]}: charts {empty} of {len(p.charts)} have no drawn data path", file=sys.stderr); sys.exit(1)
print(f"browser_check: {sys.argv[2]}: {len(p.charts)} charts drawn, no console errors")
PY
if [ -n "$shot" ] && [ $status -eq 0 ]; then
  "$browser" "${flags[@]}" --hide-scrollbars --window-size=1280,2400 --screenshot="$shot" "$url" 2>/dev/null
  echo "browser_check: screenshot in $shot"
fi
exit $status
