# Sourced by the benchmarks that drive the real dashboard in tmux (dashboard.sh, memory-soak.sh):
# the binary to measure, a UTF-8 locale, and a tmux server of the script's own, removed on exit.
# Set `sock_name` before sourcing. Environment: FANOUT_BIN (a binary to use instead of building
# .build-bench/release/fanout), BUILD (0: do not build).
BUILD=${BUILD:-1}
if [[ -n ${FANOUT_BIN:-} ]]; then
  bin=$FANOUT_BIN
else
  bin=.build-bench/release/fanout
  if [[ $BUILD != 0 ]]; then
    echo "building (swift build -c release --product fanout --scratch-path .build-bench)…" >&2
    swift build -c release --product fanout --scratch-path .build-bench >/dev/null
  fi
fi
[[ -x $bin ]] || { echo "no binary at $bin" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)" >&2; exit 1; }

# A UTF-8 locale, if the machine has one.
loc=
for l in C.UTF-8 C.utf8 en_US.UTF-8 en_US.utf8; do
  if locale -a 2>/dev/null | grep -qx "$l"; then loc=$l; break; fi
done
runenv="SWIFT_BACKTRACE=interactive=no TERM=xterm-256color${loc:+ LANG=$loc LC_ALL=$loc}"

sock=$sock_name-$$
work=$(mktemp -d)
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
tm() { tmux -L "$sock" -f /dev/null "$@"; }
