# Shared parts of the benchmark scripts that start unikernel images (bench/socket_vs_direct.sh,
# bench/usernet.sh). Sourced after `set -euo pipefail`; not a benchmark itself (bench/run skips
# it). Messages go to stderr prefixed with "bench/NAME: ".
#
#   bench_init NAME            root, build (exported as UNIKIT_BUILD_DIR), tmp (removed on exit),
#                              and an EXIT trap that stops the image and deletes the namespace
#   bench_netns PREFIX TAP NET when root with /dev/net/tun and ip: a namespace PREFIX-PID in $ns
#                              with lo up and TAP device TAP at NET.1/24 (the image takes NET.2);
#                              tap_ok=1. Otherwise tap_ok=0 and ns stays empty.
#   bench_start LOG PATTERN NETNS|"" CMD...
#                              CMD in the background (in NETNS if given) with its output in
#                              $tmp/LOG; waits up to 20 s for a line matching PATTERN (grep -E);
#                              exits 1 with the log if CMD ends first or the line never comes
#   bench_stop                 stops what bench_start started
#   bench_free_port [NETNS]    a free TCP port on 127.0.0.1 (in NETNS if given)
#   bench_row METRIC VALUE UNIT [PEER PEER_VALUE]   one result row for bench/run

bench_say() { echo "bench/$bench_name: $*" >&2; }

bench_cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}

bench_init() {
  bench_name=$1
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  build=${UNIKIT_BUILD_DIR:-$root/build}
  export UNIKIT_BUILD_DIR=$build
  tmp=$(mktemp -d)
  ns=
  pid=
  tap_ok=0
  trap bench_cleanup EXIT
}

bench_netns() {
  local prefix=$1 tap=$2 net=$3
  tap_ok=0
  if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
    return 0
  fi
  ns=$prefix-$$
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" tuntap add dev "$tap" mode tap
  ip -n "$ns" addr add "$net.1/24" dev "$tap"
  ip -n "$ns" link set "$tap" up
  tap_ok=1
}

bench_start() {
  local log=$1 pattern=$2 where=$3 i
  shift 3
  local wrap=()
  [ -n "$where" ] && wrap=(ip netns exec "$where")
  # A simple command in the background, so $! is the process we stop (not a subshell).
  "${wrap[@]}" "$@" >"$tmp/$log" 2>&1 &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    grep -Eq "$pattern" "$tmp/$log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/$log" >&2; bench_say "${log%.log} ended"; exit 1; }
    sleep 0.1
  done
  bench_say "${log%.log} did not start (no '$pattern' within 20 s)"
  exit 1
}

bench_stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=; }

bench_free_port() {
  local wrap=()
  [ -n "${1:-}" ] && wrap=(ip netns exec "$1")
  "${wrap[@]}" python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_row() {
  if [ $# -ge 5 ]; then printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "$@"; else printf 'ROW\t%s\t%s\t%s\n' "$1" "$2" "$3"; fi
}
