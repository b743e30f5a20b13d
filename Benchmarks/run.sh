#!/usr/bin/env bash
# Builds the benchmarks in release mode and runs them: throughput (google/swift-benchmark) and
# memory per request for a million requests with every S3 object retained.
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release
.build/release/FanoutBenchmarks "$@"
.build/release/MemoryBenchmark "${FANOUT_BENCH_REQUESTS:-1000000}"
