#!/usr/bin/env bash
# Makes the README's screenshots from the real binary: tmux runs and drives it, `capture-pane -e`
# keeps the colours, and pyte + Pillow (from PyPI, in a virtual environment under .build/) turn
# each capture into a PNG. Timings are wall time, so the pictures differ a little between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
venv=.build/screenshot-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q pyte pillow
sock=fanout-shots-$$
cols=120
rows=40
tmux -L "$sock" new-session -d -s s -x $cols -y $rows "TERM=xterm-256color exec .build/release/fanout --seed 7"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
key() { tmux -L "$sock" send-keys -t s "$@"; }
shot() {
  tmux -L "$sock" capture-pane -e -p -t s > ".build/$1.ans"
  "$venv/bin/python" screenshots/ansi2png.py ".build/$1.ans" "screenshots/$1.png" $cols $rows
  echo "screenshots/$1.png"
}
sleep 1.5
# Requests flowing: warm the functions up, then two bursts caught in flight.
key p; sleep 2
key P; sleep 0.1; key P; sleep 0.12
shot overview
sleep 3
# service01 paused: its queue backs up while the other services keep finishing.
key 1; key P; sleep 0.5; key P; sleep 3
shot paused-service
# A request's timeline across every hop.
key Tab Tab; key j; key Enter; sleep 0.5
shot request-timeline
# Every key.
key Escape; key '?'; sleep 0.5
shot help
key q

# Charts: a slow consumer's backlog, watched at ×25 for a while, then c on its queue.
tmux -L "$sock" kill-server 2>/dev/null || true
sleep 0.5
tmux -L "$sock" new-session -d -s s -x $cols -y $rows \
  "TERM=xterm-256color exec .build/release/fanout --scenario config/slow-consumer.yaml"
sleep 1.5
for _ in 1 2 3 4; do key +; done
sleep 4
key j j; key c; sleep 0.5
shot charts
key q

# The widest layout: a Charts pane beside the others (170×50).
tmux -L "$sock" kill-server 2>/dev/null || true
sleep 0.5
cols=170
rows=50
tmux -L "$sock" new-session -d -s s -x $cols -y $rows \
  "TERM=xterm-256color exec .build/release/fanout --scenario config/slow-consumer.yaml"
sleep 1.5
for _ in 1 2 3 4; do key +; done
key j j
sleep 4
shot wide
key q

# Real code: examples/seed-python's Python functions (awslambdaric, boto3) hosted by the
# dashboard; p fires the preprocessor twice, its objects and notifications cross the panes.
if python3 -c 'import awslambdaric, boto3' 2>/dev/null; then
  tmux -L "$sock" kill-server 2>/dev/null || true
  sleep 0.5
  cols=120
  rows=40
  tmux -L "$sock" new-session -d -s s -x $cols -y $rows \
    "TERM=xterm-256color exec .build/release/fanout --scenario examples/seed-python/pipeline.yaml --log /dev/null"
  sleep 2
  key p; sleep 3
  key p; sleep 0.4
  shot real-code
  key q
else
  echo "make.sh: screenshots/real-code.png needs python3 with awslambdaric and boto3 (pip install awslambdaric boto3)" >&2
fi

# The HTML reports (fanout run --html, fanout sweep --html), drawn by headless Chromium.
tmux -L "$sock" kill-server 2>/dev/null || true
FANOUT=.build/release/fanout screenshots/make-report.sh
