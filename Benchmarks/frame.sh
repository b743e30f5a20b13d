#!/usr/bin/env bash
# Frame cost and idle CPU of the real dashboard at 200x60 in tmux (release build): fires 60
# requests at ×10, then reads the frame statistics the dashboard logs on exit, and the CPU time
# it used during 20 s with the clock paused.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
log=$(mktemp)
sock=fanout-frame-$$
tmux -L "$sock" new-session -d -s f -x 200 -y 60 "exec .build/release/fanout --log $log"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -f "$log"' EXIT
sleep 1
pid=$(tmux -L "$sock" list-panes -t f -F '#{pane_pid}')
tmux -L "$sock" send-keys -t f + + +
for _ in 1 2 3 4 5 6; do tmux -L "$sock" send-keys -t f P; sleep 0.5; done
sleep 4
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
tmux -L "$sock" send-keys -t f ' '
sleep 1
a=$(ticks); sleep 20; b=$(ticks)
echo "paused: $((b - a)) CPU ticks in 20 s ($(awk "BEGIN {print ($b - $a) / $hz / 20 * 100}")% of a core)"
tmux -L "$sock" send-keys -t f ' '
a=$(ticks); sleep 5; b=$(ticks)
echo "running ×10 with requests in flight: $(awk "BEGIN {print ($b - $a) / $hz / 5 * 100}")% of a core"
tmux -L "$sock" send-keys -t f q
sleep 1
cat "$log"
