#!/usr/bin/env bash
# Requests per second of `fanout run` (release, events file off) on the seed pipeline: RUNS runs
# of 100,000 requests at the default rate and at 1,000/s, each run's figure and the median.
# The machine's speed drifts from one minute to the next, so one run is not a measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-9}
requests=${REQUESTS:-100000}
swift build -c release --product fanout >/dev/null
for rate in default 1000; do
  args=(run --requests "$requests" --json)
  [ "$rate" = default ] || args+=(--rate "$rate")
  figures=$(for _ in $(seq "$runs"); do
    .build/release/fanout "${args[@]}" | sed -n 's/.*"requests_per_second" *: *\([0-9.]*\).*/\1/p'
  done | sort -n)
  median=$(echo "$figures" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
  echo "rate $rate: $(echo $figures) requests/s; median $median"
done
