#!/usr/bin/env bash
# The real dashboard under load, next to the headless runner, in one run (release build):
#   a. effective speed at ×1000, 160×48 in tmux, on Benchmarks/dashboard-100rps.yaml (100 requests/s):
#      the median of the `dashboard window` lines logged at ×1000 (the first one skipped as warm-up,
#      the last, partial one at the quit too), with the median events/s and jobs/s;
#   b. `fanout run` headless over about the same virtual time: requests/s, events/s, and the
#      dashboard's events/s as a share of the headless events/s, measured where the dashboard runs
#      flat out (the same pipeline at 400 requests/s, ×1000), and the model alone (run --observe);
#   c. frame times at 200×60 at ×10 (the `dashboard stopped` line);
#   d. memory: the dashboard's VmRSS 2 s after start and at the end of the ×1000 run, and the max RSS
#      of `fanout run` on the 10,000,000-request scenario stopped after 1 s of virtual time.
# Then a table of every figure against its target. Exits 1 if the binary crashes or a figure cannot
# be read (a missed target is reported, not an error).
#
# Environment (defaults in brackets):
#   FAST_SECONDS [30]    wall seconds at ×1000 after the speed-up keys
#   FRAME_SECONDS [10]   wall seconds of the 200×60 session at ×10
#   HEADLESS_UNTIL []    virtual seconds for the headless run (default: what the dashboard covered)
#   FANOUT_BIN []        a binary to use instead of building .build-bench/release/fanout
#   BUILD [1]            0: do not build, use .build-bench/release/fanout as it is
set -euo pipefail
cd "$(dirname "$0")/.."

FAST_SECONDS=${FAST_SECONDS:-30}
FRAME_SECONDS=${FRAME_SECONDS:-10}
HEADLESS_UNTIL=${HEADLESS_UNTIL:-}
SCENARIO=Benchmarks/dashboard-100rps.yaml

sock_name=fanout-bench
# shellcheck source=Benchmarks/tmux-bench.sh
source Benchmarks/tmux-bench.sh
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install -y time)" >&2; exit 1; }

# start NAME WIDTH HEIGHT: the dashboard on the scenario in its own session. The inner sh writes its
# PID and becomes fanout (exec), so the PID file holds fanout's; the outer shell writes its status.
start() {
  local name=$1 scenario=${4:-$SCENARIO}
  rm -f "$work/$name.pid" "$work/$name.rc"
  tm new-session -d -s "$name" -x "$2" -y "$3" \
    "sh -c 'echo \$\$ > $work/$name.pid; exec env $runenv $bin --scenario $scenario --log $work/$name.log'; echo \$? > $work/$name.rc"
  for _ in $(seq 50); do [[ -s $work/$name.pid ]] && break; sleep 0.1; done
  [[ -s $work/$name.pid ]] || { echo "the $name session did not start" >&2; exit 1; }
  cat "$work/$name.pid"
}

crashed() {
  local name=$1
  echo "fanout crashed or exited early in the $name session (status $(cat "$work/$name.rc" 2>/dev/null || echo '?')); its log:" >&2
  tail -n 40 "$work/$name.log" >&2 || true
  exit 1
}

alive() { kill -0 "$1" 2>/dev/null; }

# quit NAME PID: press q, wait for the exit, and fail unless it exited with status 0.
quit() {
  local name=$1 pid=$2
  alive "$pid" || crashed "$name"
  tm send-keys -t "$name" q
  for _ in $(seq 100); do [[ -s $work/$name.rc ]] && break; sleep 0.1; done
  [[ -s $work/$name.rc ]] || { echo "fanout did not quit in the $name session" >&2; kill "$pid" 2>/dev/null || true; exit 1; }
  [[ $(cat "$work/$name.rc") == 0 ]] || crashed "$name"
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# median of the numbers on stdin (empty when none)
median() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.6g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# ---- a. and d.: ×1000 at 160×48 -------------------------------------------------------------
echo "a. dashboard at 160x48, ×1 → ×1000, ${FAST_SECONDS} s of wall time at ×1000…" >&2
pid=$(start fast 160 48)
sleep 2
alive "$pid" || crashed fast
rss_start=$(rss_kib "$pid")
for _ in 1 2 3 4 5 6 7 8 9; do tm send-keys -t fast +; sleep 0.1; done
sleep "$FAST_SECONDS"
alive "$pid" || crashed fast
rss_end=$(rss_kib "$pid")
hwm_end=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
status_line=$(tm capture-pane -p -t fast | grep -m1 -E 'fired [0-9]+.*S3 [0-9]+' || true)
quit fast "$pid"
flog=$work/fast.log

# The windows at ×1000: skip the first (the keys and the warm-up fall in it) and any partial one
# (under 4.5 s of wall time: the one logged at the quit).
windows=$({ grep '^dashboard window: asked ×1000\.0,' "$flog" || true; } | tail -n +2 |
  sed -E 's/.*effective ×([0-9.]+) \(virtual ([0-9.]+) s in wall ([0-9.]+) s\), ([0-9]+) jobs\/s, ([0-9]+) events\/s.*/\1 \2 \3 \4 \5/' |
  awk '$3 >= 4.5')
nwin=$(printf '%s\n' "$windows" | grep -c . || true)
[[ $nwin -gt 0 ]] || { echo "no full window logged at ×1000; the log:" >&2; cat "$flog" >&2; exit 1; }
eff=$(printf '%s\n' "$windows" | awk '{print $1}' | median)
jobs=$(printf '%s\n' "$windows" | awk '{print $4}' | median)
events=$(printf '%s\n' "$windows" | awk '{print $5}' | median)
fast_stop=$(grep '^dashboard stopped:' "$flog")
fast_virtual=$(sed -E 's/.* for ([0-9.]+) s virtual.*/\1/' <<<"$fast_stop")
fast_fired=$(grep '^dashboard window:' "$flog" | tail -n 1 | sed -E 's/.* ([0-9]+) fired$/\1/')

# ---- b.: headless over the same virtual time -----------------------------------------------
until_s=${HEADLESS_UNTIL:-$(awk -v v="$fast_virtual" 'BEGIN {printf "%d", v < 600 ? 600 : v}')}
echo "b. fanout run --scenario $SCENARIO --until ${until_s}s --json…" >&2
set +e
"$bin" run --scenario "$SCENARIO" --until "${until_s}s" --json >"$work/headless.json" 2>"$work/headless.err"
hrc=$?
set -e
if [[ $hrc -ne 0 && $hrc -ne 1 ]]; then
  echo "fanout run failed (status $hrc):" >&2; cat "$work/headless.err" >&2; exit 1
fi
jnum() { grep -oE "\"$1\":[0-9.eE+-]+" "$work/headless.json" | head -n 1 | cut -d: -f2; }
h_rps=$(jnum requests_per_second)
h_eps=$(jnum events_per_second)
h_wall=$(jnum wall_seconds)
h_sim=$(jnum sim_seconds)
[[ -n $h_rps && -n $h_eps ]] || { echo "cannot read the headless report:" >&2; head -c 2000 "$work/headless.json" >&2; exit 1; }
# At ×1000 on 100 requests/s the dashboard nearly keeps up, so its rate there is the pace asked
# for, not what it can do. For the share, the same pipeline at 400 requests/s: at ×1000 the
# dashboard runs flat out, and headless runs the same scenario over the same virtual time.
sat_scenario=$work/dashboard-400rps.yaml
sed 's/rate: 100,/rate: 400,/' "$SCENARIO" > "$sat_scenario"
grep -q 'rate: 400,' "$sat_scenario" || { echo "cannot make the 400 requests/s scenario" >&2; exit 1; }
echo "a2. dashboard at 160x48 on 400 requests/s at ×1000 (flat out), ${SAT_SECONDS:-20} s…" >&2
pid3=$(start sat 160 48 "$sat_scenario")
sleep 1
for _ in 1 2 3 4 5 6 7 8 9; do tm send-keys -t sat +; sleep 0.1; done
sleep "${SAT_SECONDS:-20}"
quit sat "$pid3"
sat_events=$({ grep '^dashboard window: asked ×1000\.0,' "$work/sat.log" || true; } | tail -n +2 |
  sed -E 's/.*wall ([0-9.]+) s\), ([0-9]+) jobs\/s, ([0-9]+) events\/s.*/\1 \3/' | awk '$1 >= 4.5 {print $2}' | median)
sat_virtual=$(sed -E 's/.* for ([0-9.]+) s virtual.*/\1/' <<<"$(grep '^dashboard stopped:' "$work/sat.log")")
[[ -n $sat_events ]] || { echo "no full window at ×1000 in the 400 requests/s session" >&2; exit 1; }
"$bin" run --scenario "$sat_scenario" --until "$(awk -v v="$sat_virtual" 'BEGIN {printf "%d", v}')s" --json \
  >"$work/sat.json" 2>/dev/null || true
s_eps=$(grep -oE '"events_per_second":[0-9.eE+-]+' "$work/sat.json" | head -n 1 | cut -d: -f2)
share=$(awk -v d="$sat_events" -v h="$s_eps" 'BEGIN {printf "%.1f", 100 * d / h}')
# The model alone (no terminal, no drawing): fanout run --observe against fanout run.
o_eps=$("$bin" run --scenario "$sat_scenario" --until 300s --json --observe 2>/dev/null |
  grep -oE '"events_per_second":[0-9.eE+-]+' | head -n 1 | cut -d: -f2)
p_eps=$("$bin" run --scenario "$sat_scenario" --until 300s --json 2>/dev/null |
  grep -oE '"events_per_second":[0-9.eE+-]+' | head -n 1 | cut -d: -f2)
model_share=$(awk -v d="$o_eps" -v h="$p_eps" 'BEGIN {printf "%.1f", 100 * d / h}')
# The dashboard's requests/s: effective speed × the load's 100 requests/s.
d_rps=$(awk -v e="$eff" 'BEGIN {printf "%d", e * 100}')

# ---- c.: frame times at 200×60, ×10 -------------------------------------------------------
echo "c. dashboard at 200x60 at ×10 for ${FRAME_SECONDS} s…" >&2
pid2=$(start frame 200 60)
sleep 1
for _ in 1 2 3; do tm send-keys -t frame +; sleep 0.1; done
sleep "$FRAME_SECONDS"
quit frame "$pid2"
frame_stop=$(grep '^dashboard stopped:' "$work/frame.log")
frames=$(sed -E 's/^dashboard stopped: ([0-9]+) frames.*/\1/' <<<"$frame_stop")
fmean=$(sed -E 's/.*view\+blit mean ([0-9.]+) ms.*/\1/' <<<"$frame_stop")
fslow=$(sed -E 's/.*slowest ([0-9.]+) ms.*/\1/' <<<"$frame_stop")
fast_frames=$(sed -E 's/^dashboard stopped: ([0-9]+) frames.*/\1/' <<<"$fast_stop")
fast_fmean=$(sed -E 's/.*view\+blit mean ([0-9.]+) ms.*/\1/' <<<"$fast_stop")
fast_fslow=$(sed -E 's/.*slowest ([0-9.]+) ms.*/\1/' <<<"$fast_stop")

# ---- d.: fanout run on the 10,000,000-request scenario, at its start ------------------------
echo "d. /usr/bin/time -v fanout run --scenario $SCENARIO --until 1s…" >&2
set +e
/usr/bin/time -v "$bin" run --scenario "$SCENARIO" --until 1s --json >/dev/null 2>"$work/time.txt"
trc=$?
set -e
[[ $trc -eq 0 || $trc -eq 1 ]] || { echo "fanout run --until 1s failed (status $trc):" >&2; cat "$work/time.txt" >&2; exit 1; }
run_rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")

# ---- the table -------------------------------------------------------------------------------
ok() { if awk "BEGIN {exit !($1)}"; then echo "✓"; else echo "✗"; fi; }
echo
echo "log at ×1000 (160x48), full windows after the first: $nwin"
printf '%s\n' "$windows" | awk '{printf "  effective ×%s  virtual %s s in wall %s s  %s jobs/s  %s events/s\n", $1, $2, $3, $4, $5}'
echo "  $fast_stop"
[[ -n $status_line ]] && echo "status bar at the end: $(sed -E 's/ +$//' <<<"$status_line")"
echo "frame session (200x60, ×10): $frame_stop"
echo
# Columns padded by characters, not bytes (×, ≥ and ÷ are two bytes each in UTF-8).
pad() { local s=$1 n=$2; local LC_ALL=${loc:-C}; printf '%s%*s' "$s" $((n > ${#s} ? n - ${#s} : 0)) ''; }
row() { echo "$(pad "$1" 48) $(pad "$2" 38) $(pad "$3" 20) $4"; }
row "what" "measured" "target" ""
row "----" "--------" "------" ""
row "dashboard ×1000 at 160x48: effective speed" "×$eff (median of $nwin)" "≥ ×500, goal ×1000" "$(ok "$eff >= 500")"
row "  its events/s, jobs/s (medians)" "$events, $jobs" "" ""
row "  its requests/s (effective × 100/s)" "$d_rps" "" ""
row "headless fanout run --until ${until_s}s" "$h_rps requests/s, $h_eps events/s" "" ""
row "  (its virtual and wall seconds)" "$h_sim s in $h_wall s" "" ""
row "dashboard at ×1000 on 400/s (flat out), events/s" "$sat_events" "" ""
row "headless on 400/s over the same virtual time" "$s_eps events/s" "" ""
row "observed ÷ headless (400/s, flat out)" "$share %" "≥ 40 %" "$(ok "$share >= 40")"
row "  the model alone: run --observe ÷ run" "$model_share % ($o_eps ÷ $p_eps)" "" ""
row "frame at 200x60, ×10 (view+blit): mean" "$fmean ms ($frames frames)" "< 2 ms" "$(ok "$fmean < 2")"
row "frame at 200x60, ×10: slowest" "$fslow ms" "< 10 ms" "$(ok "$fslow < 10")"
row "  (frames at 160x48, ×1000: mean, slowest)" "$fast_fmean ms, $fast_fslow ms ($fast_frames)" "" ""
row "dashboard RSS 2 s after start" "$(mib "$rss_start") MiB" "< 100 MB" "$(ok "$rss_start * 1024 < 100e6")"
row "dashboard RSS at the end of ×1000" "$(mib "$rss_end") MiB (peak $(mib "$hwm_end"))" "" ""
row "  (virtual s covered, requests fired)" "$fast_virtual s, $fast_fired" "" ""
row "fanout run, 10M-request scenario, --until 1s" "$(mib "$run_rss") MiB max RSS" "< 100 MB" "$(ok "$run_rss * 1024 < 100e6")"
