#!/usr/bin/env bash
# Makes screenshots/report.png: the real binary's `fanout run --html` page of the built-in
# pipeline, drawn by headless Chromium (Debian's chromium package). Everything on the page comes
# from virtual time, so the picture is the same on every run (but for the summary's wall-time
# line, below the fold). FANOUT names a binary already built (make.sh builds the release one).
set -euo pipefail
cd "$(dirname "$0")/.."
fanout=${FANOUT:-}
if [ -z "$fanout" ]; then
  swift build -c release >/dev/null
  fanout=.build/release/fanout
fi
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || { echo "make-report.sh: needs Chromium (apt-get install chromium)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$fanout" run --requests 3000 --rate 300 --seed 7 --html "$tmp/report.html" >/dev/null
timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
  --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$tmp/profile" \
  --window-size=1280,2400 --screenshot="$tmp/report.png" "file://$tmp/report.html" >/dev/null 2>&1
cp "$tmp/report.png" screenshots/report.png
echo screenshots/report.png
