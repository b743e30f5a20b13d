#!/usr/bin/env bash
# Property checks at scale: the chaos scenario once per seed (SEEDS, default 10,000, from
# FIRST_SEED, default 1), release build, each run's events kept by an independent ledger and set
# against the run's report. Prints the exact command, then fanout check's figures (seeds, events,
# messages, violations, wall time). Exit status: fanout check's (1 when a seed's books do not
# balance; its seed and the command that reproduces it are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${SEEDS:-10000}
first=${FIRST_SEED:-1}
swift build -c release --product fanout >/dev/null
echo "+ .build/release/fanout check --scenario Benchmarks/chaos.yaml --seeds $seeds --first-seed $first"
.build/release/fanout check --scenario Benchmarks/chaos.yaml --seeds "$seeds" --first-seed "$first"
