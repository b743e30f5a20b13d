#!/usr/bin/env bash
# Memory of the real dashboard over a long run (release build): Benchmarks/dashboard-100rps.yaml
# (100 requests/s, 10,000,000 of them) at ×100 in tmux, sampling every 30 s of wall time the
# process's VmRSS and, from the screen's status bar (`tmux capture-pane -p`), the virtual clock and
# the number of S3 objects retained; prints wall time, virtual time, S3 objects, RSS and bytes of
# RSS per retained S3 object, then the first and last bytes per object (and what each object added
# between the first and the last sample). Exits 1 if the binary crashes.
#
# Environment (defaults in brackets):
#   SOAK_SECONDS [600]    wall seconds at ×100
#   SAMPLE_SECONDS [30]   wall seconds between samples
#   SOAK_WIDTH [200], SOAK_HEIGHT [60]   the terminal's size (wide enough for the whole status bar)
#   FANOUT_BIN []         a binary to use instead of building .build-bench/release/fanout
#   BUILD [1]             0: do not build, use .build-bench/release/fanout as it is
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_SECONDS=${SOAK_SECONDS:-600}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-30}
SOAK_WIDTH=${SOAK_WIDTH:-200}
SOAK_HEIGHT=${SOAK_HEIGHT:-60}
SCENARIO=Benchmarks/dashboard-100rps.yaml

sock_name=fanout-soak
# shellcheck source=Benchmarks/tmux-bench.sh
source Benchmarks/tmux-bench.sh

crashed() {
  echo "fanout crashed or exited early (status $(cat "$work/rc" 2>/dev/null || echo '?')); its log:" >&2
  tail -n 40 "$work/log" >&2 || true
  exit 1
}
alive() { kill -0 "$pid" 2>/dev/null; }

tm new-session -d -s soak -x "$SOAK_WIDTH" -y "$SOAK_HEIGHT" \
  "sh -c 'echo \$\$ > $work/pid; exec env $runenv $bin --scenario $SCENARIO --log $work/log'; echo \$? > $work/rc"
for _ in $(seq 50); do [[ -s $work/pid ]] && break; sleep 0.1; done
[[ -s $work/pid ]] || { echo "the dashboard did not start" >&2; exit 1; }
pid=$(cat "$work/pid")
sleep 1
alive || crashed
for _ in 1 2 3 4 5 6; do tm send-keys -t soak +; sleep 0.1; done # ×1 → ×100

now() { date +%s.%N; }
t0=$(now)
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

echo "dashboard at ${SOAK_WIDTH}x${SOAK_HEIGHT}, ×100, ${SOAK_SECONDS} s of wall time, a sample every ${SAMPLE_SECONDS} s…" >&2
rows=()
days=0
last_clock=0
odd=
n=$(((SOAK_SECONDS + SAMPLE_SECONDS - 1) / SAMPLE_SECONDS))
for i in $(seq 1 "$n"); do
  at=$((i * SAMPLE_SECONDS > SOAK_SECONDS ? SOAK_SECONDS : i * SAMPLE_SECONDS))
  left=$(awk -v t0="$t0" -v at="$at" -v now="$(now)" 'BEGIN {d = t0 + at - now; print (d > 0 ? d : 0)}')
  sleep "$left"
  alive || crashed
  kib=$(rss_kib)
  screen=$(tm capture-pane -p -t soak)
  wall=$(awk -v t0="$t0" -v now="$(now)" 'BEGIN {printf "%.0f", now - t0}')
  status=$(grep -m1 -E 'fired [0-9]+.*S3 [0-9]+' <<<"$screen" || true)
  if [[ -z $status ]]; then
    odd+="  at ${wall} s: no status bar on the screen; its first line: $(head -n 1 <<<"$screen")"$'\n'
    rows+=("$wall ? ? ? $kib")
    continue
  fi
  [[ $status == *"can't keep up"* ]] && odd+="  at ${wall} s: the status bar says it can't keep up"$'\n'
  clk=$(grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}' <<<"$status" | head -n 1)
  s3=$(grep -oE 'S3 [0-9]+' <<<"$status" | head -n 1 | cut -d' ' -f2)
  # The status bar's clock is the time of day (the scenario starts at 00:00:00): count the days.
  secs=$(awk -v c="$clk" 'BEGIN {split(c, p, ":"); printf "%.3f", p[1] * 3600 + p[2] * 60 + p[3]}')
  if awk -v a="$secs" -v b="$last_clock" 'BEGIN {exit !(a < b)}'; then days=$((days + 1)); fi
  last_clock=$secs
  virtual=$(awk -v s="$secs" -v d="$days" 'BEGIN {printf "%.0f", s + 86400 * d}')
  rows+=("$wall $virtual $clk $s3 $kib")
done
alive || crashed
tm send-keys -t soak q
for _ in $(seq 100); do [[ -s $work/rc ]] && break; sleep 0.1; done
[[ -s $work/rc ]] || { echo "fanout did not quit" >&2; kill "$pid" 2>/dev/null || true; exit 1; }
[[ $(cat "$work/rc") == 0 ]] || crashed

echo
printf '%8s  %10s  %-14s  %12s  %9s  %13s\n' "wall s" "virtual s" "(clock)" "S3 objects" "RSS MiB" "bytes/object"
first= last= first_row= last_row=
for r in "${rows[@]}"; do
  read -r wall virtual clk s3 kib <<<"$r"
  if [[ $s3 == "?" || $s3 == 0 ]]; then
    bpo="?"
  else
    bpo=$(awk -v k="$kib" -v o="$s3" 'BEGIN {printf "%.1f", k * 1024 / o}')
    [[ -z $first ]] && { first=$bpo; first_row=$r; }
    last=$bpo
    last_row=$r
  fi
  printf '%8s  %10s  %-14s  %12s  %9s  %13s\n' "$wall" "$virtual" "${clk:+($clk)}" "$s3" \
    "$(awk -v k="$kib" 'BEGIN {printf "%.1f", k / 1024}')" "$bpo"
done
echo
echo "$(grep -c '^dashboard window: asked ×100\.0,' "$work/log" || true) log windows at ×100; effective speed in them: $(grep '^dashboard window: asked ×100\.0,' "$work/log" | sed -E 's/.*effective ×([0-9.]+).*/\1/' | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {if (NR) printf "×%s to ×%s", lo, hi; else printf "none"}')"
grep '^dashboard stopped:' "$work/log" || true
if [[ -n $first ]]; then
  echo "bytes of RSS per retained S3 object: first $first, last $last"
  read -r _ _ _ s3a kiba <<<"$first_row"
  read -r _ _ _ s3b kibb <<<"$last_row"
  if ((s3b > s3a)); then
    echo "between the first and the last sample: $(awk -v a="$kiba" -v b="$kibb" -v x="$s3a" -v y="$s3b" 'BEGIN {printf "%.1f MiB more for %d more objects: %.1f bytes per object", (b - a) / 1024, y - x, (b - a) * 1024 / (y - x)}')"
  fi
fi
[[ -n $odd ]] && printf 'odd:\n%s' "$odd"
exit 0
