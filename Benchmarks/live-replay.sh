#!/usr/bin/env bash
# A live run of real code and its replay, side by side: examples/seed-python's Python functions
# (awslambdaric, boto3) under `fanout run`, its clock following wall time, recorded with --record;
# then `fanout run --replay` of that session, headless and without the code, RUNS times. Prints
# the live run's wall and virtual time, each replay's wall time, the median speed-up, the
# session's size, and whether the replay's events are byte-identical to the live run's.
#
#   REQUESTS=20 RATE=2 RUNS=5 Benchmarks/live-replay.sh
#
# Needs python3 with awslambdaric and boto3 (pip install awslambdaric boto3).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${REQUESTS:-20}
rate=${RATE:-2}
runs=${RUNS:-5}
python3 -c 'import awslambdaric, boto3' || { echo "live-replay.sh: pip install awslambdaric boto3" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build -c release >/dev/null 2>"$work/build.err" || { cat "$work/build.err" >&2; exit 1; }
fanout=.build/release/fanout
now() { date +%s.%N; }
t0=$(now)
"$fanout" run --scenario examples/seed-python/pipeline.yaml --requests "$requests" --rate "$rate" \
  --record "$work/session.jsonl" --events "$work/live.jsonl" --json >"$work/live.json" 2>"$work/live.err"
t1=$(now)
live=$(echo "$t1 - $t0" | bc -l)
virtual=$(python3 -c "import json; print(json.load(open('$work/live.json'))['sim_seconds'])")
completed=$(python3 -c "import json; r=json.load(open('$work/live.json'))['requests']; print(r['completed'], 'of', r['fired'])")
replays=()
for _ in $(seq "$runs"); do
  a=$(now)
  "$fanout" run --replay "$work/session.jsonl" --events "$work/replay.jsonl" >/dev/null 2>&1
  b=$(now)
  replays+=("$(echo "$b - $a" | bc -l)")
done
median=$(printf '%s\n' "${replays[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
if cmp -s "$work/live.jsonl" "$work/replay.jsonl"; then identical=yes; else identical=NO; fi
printf 'live run       %d requests at %s/s: %.2f s wall for %.2f s virtual, %s completed\n' \
  "$requests" "$rate" "$live" "$virtual" "$completed"
printf 'replays        %s s wall (median %.3f s): %.0f× the live run\n' \
  "$(printf '%.3f ' "${replays[@]}")" "$median" "$(echo "$live / $median" | bc -l)"
printf 'session        %d commands, %d bytes; events %d lines, replay byte-identical: %s\n' \
  "$(($(wc -l <"$work/session.jsonl") - 1))" "$(wc -c <"$work/session.jsonl")" "$(wc -l <"$work/live.jsonl")" "$identical"
