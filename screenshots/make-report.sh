#!/usr/bin/env bash
# Makes screenshots/report.png: the real binary's `fanout run --html` page of the built-in
# pipeline, and screenshots/sweep-report.png: its `fanout sweep --html` page of the same pipeline
# at four rates, both drawn by headless Chromium (Debian's chromium package). Everything on the
# pages comes from virtual time, so the pictures are the same on every run (but for the run
# summary's wall-time line, below the fold). FANOUT names a binary already built (make.sh builds
# the release one).
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
# shot PAGE HEIGHT: screenshots/PAGE.png, 1280 pixels wide, from $tmp/PAGE.html.
shot() {
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$tmp/profile" \
    --window-size=1280,"$2" --screenshot="$tmp/$1.png" "file://$tmp/$1.html" >/dev/null 2>&1
  cp "$tmp/$1.png" "screenshots/$1.png"
  echo "screenshots/$1.png"
}
"$fanout" run --requests 3000 --rate 300 --seed 7 --html "$tmp/report.html" >/dev/null
shot report 2400
# The sweep's page: 8 seeds at each of four rates (32 runs of 300 requests; --jobs does not change it).
"$fanout" sweep --seeds 8 --requests 300 --vary rate=50,100,200,400 --html "$tmp/sweep-report.html" >/dev/null
shot sweep-report 2000
