#!/usr/bin/env bash
# fanout sweep on every core: RUNS runs (seeds) of the seed pipeline with REQUESTS requests each,
# release build. Prints the sweep's wall time with --jobs 1 and with --jobs 2, the runs' own time
# summed (FANOUT_SWEEP_TIMINGS: each run timed around its simulation, in the --jobs 1 sweep), and
# the two ratios issue 14 sets targets for: wall(jobs 2) / sum of the runs (target ≤ 0.6), and the
# sweep's overhead over its runs, (wall(jobs 1) − sum) / sum (target < 10 %). Both sweeps' outputs
# must be byte-identical (checked).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-1000}
requests=${REQUESTS:-1000}
swift build -c release --product fanout >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wall() { # wall seconds of the command, its stdout to $1, stderr to $1.err
  local f=$1
  shift
  local s e
  s=$(date +%s.%N)
  FANOUT_SWEEP_TIMINGS=1 "$@" > "$f" 2> "$f.err"
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
w1=$(wall "$out/j1" .build/release/fanout sweep --seeds "$runs" --requests "$requests" --jobs 1)
w2=$(wall "$out/j2" .build/release/fanout sweep --seeds "$runs" --requests "$requests" --jobs 2)
cmp -s "$out/j1" "$out/j2" || { echo "the outputs differ between --jobs 1 and --jobs 2" >&2; exit 1; }
sum=$(sed -n 's/^sweep timings: .* runs, \([0-9.e-]*\) s in the runs themselves$/\1/p' "$out/j1.err")
sum2=$(sed -n 's/^sweep timings: .* runs, \([0-9.e-]*\) s in the runs themselves$/\1/p' "$out/j2.err")
printf 'runs %d × %d requests\n' "$runs" "$requests"
printf 'wall, --jobs 1: %.2f s; the runs themselves: %.2f s; overhead %.1f %%\n' "$w1" "$sum" \
  "$(echo "($w1 - $sum) / $sum * 100" | bc -l)"
printf 'wall, --jobs 2: %.2f s (the runs inside it: %.2f s of CPU); wall / sum of the runs: %.3f\n' "$w2" "$sum2" \
  "$(echo "$w2 / $sum" | bc -l)"
