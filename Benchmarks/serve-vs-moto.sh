#!/usr/bin/env bash
# The same boto3 workload (Benchmarks/serve_workload.py: SendMessage, ReceiveMessage,
# DeleteMessage, PutObject of 1 KB, GetObject) against `fanout serve` (release build) and against
# moto's server (`moto_server`, moto[server] from PyPI), interleaved: RUNS rounds, each running the
# workload once against each server (the order alternating), the same N and THREADS.
# Both servers run for the whole benchmark on free loopback ports and are stopped on exit.
# Two passes: first with PutObject's `Expect: 100-continue` header dropped (N rounds), then boto3
# as it is (N_EXPECT rounds), which sends it: fanout serve answers the interim `100 Continue`
# (before 162b74f it did not, and botocore waited 1 s before each PutObject body). Prints each
# run's JSON line and, for each pass, a
# side-by-side table (medians over the runs; ranges for operations per second).
#
#   RUNS=5 N=1000 N_EXPECT=20 THREADS=1 WAIT=1 Benchmarks/serve-vs-moto.sh
#
# RUNS (default 5): interleaved rounds; N (default 1000): measured workload rounds per client
# thread; N_EXPECT (default 20; 0 skips the second pass); WARMUP (default 50) and WARMUP_EXPECT
# (default 2) unmeasured rounds first; THREADS (default 1);
# WAIT (ReceiveMessage WaitTimeSeconds, default 1: a long poll, answered at once as the message is
# there; 0 short-polls, which fanout samples as SQS does — see serve_workload.py);
# RUN_TIMEOUT (seconds for one workload run, default 900); OUT (a file for the JSON lines; default a
# temporary file, named at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
n=${N:-1000}
warmup=${WARMUP:-50}
threads=${THREADS:-1}
wait_seconds=${WAIT:-1}
n_expect=${N_EXPECT:-20}
warmup_expect=${WARMUP_EXPECT:-2}
run_timeout=${RUN_TIMEOUT:-900}
work=$(mktemp -d)
out=${OUT:-$work/results.jsonl}
: >"$out"

if command -v moto_server >/dev/null; then
  moto=(moto_server)
elif python3 -c 'import moto.server' 2>/dev/null; then
  moto=(python3 -m moto.server)
else
  echo "serve-vs-moto: moto's server is missing: pip install 'moto[server]'" >&2
  exit 2
fi
python3 -c 'import boto3' || { echo "serve-vs-moto: boto3 is missing: pip install boto3" >&2; exit 2; }

echo "building the release binary (swift build -c release --product fanout)…" >&2
timeout 3600 swift build -c release --product fanout >"$work/build.log" 2>&1 || {
  tail -20 "$work/build.log" >&2
  exit 1
}
fanout=.build/release/fanout

fanout_pid=
moto_pid=
stop() { # stop PID NAME: SIGTERM, up to 10 s, then SIGKILL
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "serve-vs-moto: $2 did not stop on SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$fanout_pid" "fanout serve"
  stop "$moto_pid" "moto_server"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() { # wait_port PORT NAME PID: until the port accepts a connection, at most 60 s
  for _ in $(seq 600); do
    if python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $1), 0.2).close()" 2>/dev/null; then
      return 0
    fi
    kill -0 "$3" 2>/dev/null || { echo "serve-vs-moto: $2 exited" >&2; return 1; }
    sleep 0.1
  done
  echo "serve-vs-moto: $2 is not listening on port $1 after 60 s" >&2
  return 1
}

# fanout serve takes a free port itself (port 0) and names it on its first line.
"$fanout" serve --listen 127.0.0.1:0 >"$work/fanout.log" 2>&1 &
fanout_pid=$!
fanout_endpoint=
for _ in $(seq 600); do
  fanout_endpoint=$(sed -n '1s/.*listening on \(http:[^ ]*\).*/\1/p' "$work/fanout.log")
  [ -n "$fanout_endpoint" ] && break
  kill -0 "$fanout_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$fanout_endpoint" ]; then
  echo "serve-vs-moto: fanout serve did not name its endpoint:" >&2
  cat "$work/fanout.log" >&2
  exit 1
fi
wait_port "${fanout_endpoint##*:}" "fanout serve" "$fanout_pid"

moto_port=$(free_port)
"${moto[@]}" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
moto_endpoint=http://127.0.0.1:$moto_port
wait_port "$moto_port" "moto_server" "$moto_pid"

moto_version=$(python3 -c 'import moto; print(moto.__version__)')
boto3_version=$(python3 -c 'import boto3; print(boto3.__version__)')
echo "fanout serve at $fanout_endpoint (pid $fanout_pid), moto $moto_version at $moto_endpoint (pid $moto_pid), boto3 $boto3_version" >&2
echo "$runs runs × N=$n rounds (warm-up $warmup) × $threads thread(s), WaitTimeSeconds=$wait_seconds" >&2

workload() { # workload LABEL ENDPOINT ROUNDS WARMUP [ARGS…]
  local label=$1 endpoint=$2 rounds=$3 warmup=$4
  shift 4
  timeout "$run_timeout" python3 Benchmarks/serve_workload.py --endpoint "$endpoint" --label "$label" \
    --rounds "$rounds" --warmup "$warmup" --threads "$threads" --wait "$wait_seconds" "$@" | tee -a "$out"
}
pass() { # pass ROUNDS WARMUP [ARGS…]: RUNS interleaved runs, the order alternating
  for run in $(seq "$runs"); do
    if [ $((run % 2)) -eq 1 ]; then
      workload fanout "$fanout_endpoint" "$@"
      workload moto "$moto_endpoint" "$@"
    else
      workload moto "$moto_endpoint" "$@"
      workload fanout "$fanout_endpoint" "$@"
    fi
  done
}
echo "pass 1: PutObject without Expect: 100-continue, N=$n" >&2
pass "$n" "$warmup" --no-expect-continue
if [ "$n_expect" -gt 0 ]; then
  echo "pass 2: boto3 as it is (PutObject with Expect: 100-continue), N=$n_expect" >&2
  pass "$n_expect" "$warmup_expect"
fi

python3 - "$out" <<'EOF'
import json, statistics, sys

every = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
failures = [f for r in every for f in r["failures"]]
for expect in (False, True):
  rows = [r for r in every if r["expect_continue"] == expect]
  if not rows:
    continue
  by = {label: [r for r in rows if r["label"] == label] for label in ("fanout", "moto")}
  ops = ["SendMessage", "ReceiveMessage", "DeleteMessage", "PutObject", "GetObject"]
  med = lambda xs: statistics.median(xs) if xs else float("nan")
  times = lambda x: f"{x:.1f}×" if x >= 1 else f"{x:.3f}×"

  def rate(label):
    xs = sorted(r["operations_per_second"] for r in by[label])
    return f"{med(xs):,.0f} ({xs[0]:,.0f}–{xs[-1]:,.0f})"

  print()
  print(("PutObject with Expect: 100-continue (boto3 as it is)" if expect else "PutObject without Expect: 100-continue")
        + f", N={rows[0]['rounds_per_thread']}, {rows[0]['threads']} thread(s), WaitTimeSeconds={rows[0]['wait_time_seconds']}")
  print(f"{'':16} {'fanout serve':>26} {'moto_server':>26} {'fanout faster':>14}")
  fo = med([r["operations_per_second"] for r in by["fanout"]])
  mo = med([r["operations_per_second"] for r in by["moto"]])
  print(f"{'operations/s':16} {rate('fanout'):>26} {rate('moto'):>26} {times(fo / mo):>14}")
  print(f"{'latency, ms':16} {'p50 / p99':>26} {'p50 / p99':>26} {'p50 / p99':>14}")
  for op in ops:
      cells = []
      for label in ("fanout", "moto"):
          p50 = med([r["operations"][op]["p50_ms"] for r in by[label]])
          p99 = med([r["operations"][op]["p99_ms"] for r in by[label]])
          cells.append((p50, p99))
      (f50, f99), (m50, m99) = cells
      print(f"{op:16} {f'{f50:.2f} / {f99:.2f}':>26} {f'{m50:.2f} / {m99:.2f}':>26} {times(m50 / f50) + ' / ' + times(m99 / f99):>14}")
  for label in ("fanout", "moto"):
      empty = [r["empty_receives"] for r in by[label]]
      errors = sum(o["errors"] for r in by[label] for o in r["operations"].values())
      print(f"{label}: {len(by[label])} runs, empty short polls per run {empty}, errors {errors}")
if failures:
    print("failures:", *failures, sep="\n  ")
    sys.exit(1)
EOF
echo "JSON lines: $out; build and server logs (fanout serve's report once stopped): $work" >&2
