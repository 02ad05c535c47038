#!/usr/bin/env bash
# User-mode networking against TAP, same run: wrk against apps/www (unix image) once over
# `--net user -p P:80` (the client connects to 127.0.0.1:P; libslirp in unikit-netd terminates
# the host TCP connection and opens one to the guest over the frame socket) and once over
# `--net tap:` with unikit's own stack reached directly from Linux inside a private netns.
#   ROW <metric> <value> <unit> <peer> <peer value>   (tab-separated, see bench/run)
# The ratio in the table is user / tap. Without root or /dev/net/tun only the user figures are
# printed (no peer). Also: the same for spt when its image exists.
# Run by bench/run, or alone: UNIKIT_BUILD_DIR=build bench/usernet.sh
# Knobs: UNIKIT_BENCH_SECONDS (per wrk run, default 5), UNIKIT_BENCH_CONNS (default 8).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
export UNIKIT_BUILD_DIR=$build
secs=${UNIKIT_BENCH_SECONDS:-5}
conns=${UNIKIT_BENCH_CONNS:-8}
unikit=$build/tools/unikit/unikit
[ -x "$unikit" ] || unikit=$root/unikit
command -v wrk >/dev/null || { echo "bench/usernet: wrk is needed (apt-get install wrk)" >&2; exit 1; }
[ -x "$build/tools/netd/unikit-netd" ] || { echo "bench/usernet: unikit-netd not built (libslirp-dev)" >&2; exit 1; }

tmp=$(mktemp -d)
ns=
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

tap_ok=1
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
  tap_ok=0
  echo "bench/usernet: no root or /dev/net/tun: measuring --net user only" >&2
else
  ns=ukunet-$$
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" tuntap add dev ukutap0 mode tap
  ip -n "$ns" addr add 10.79.0.1/24 dev ukutap0
  ip -n "$ns" link set ukutap0 up
fi

# start IMAGE NETNS|"" unikit-run-flags...: waits (<= 20 s) for www's "serving" line.
start() {
  local img=$1 where=$2; shift 2
  local wrap=()
  [ -n "$where" ] && wrap=(ip netns exec "$where")
  # A simple command in the background, so $! is the process we stop (not a subshell).
  "${wrap[@]}" timeout -k 2 600 "$unikit" run "$img" "$@" >"$tmp/www.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    grep -q "serving" "$tmp/www.log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/www.log" >&2; echo "bench/usernet: www ended" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench/usernet: www did not start" >&2
  exit 1
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=; }

# bench URL [NETNS]: "requests/s latency_ms" from one wrk run (after a short warm-up).
bench() {
  local url=$1 wrap=()
  [ -n "${2:-}" ] && wrap=(ip netns exec "$2")
  "${wrap[@]}" wrk -t1 -c2 -d1s "$url" >/dev/null 2>&1 || true
  "${wrap[@]}" wrk -t2 -c"$conns" -d"${secs}s" --latency "$url" >"$tmp/wrk.txt" 2>&1 || { cat "$tmp/wrk.txt" >&2; exit 1; }
  cat "$tmp/wrk.txt" >&2
  awk '/Requests\/sec/ {rps=$2}
       /^ +50%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; lat=v}
       END {printf "%.0f %.3f\n", rps, lat}' "$tmp/wrk.txt"
}

row() {  # row METRIC VALUE UNIT [PEER PEER_VALUE]
  if [ $# -ge 5 ]; then printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "$@"; else printf 'ROW\t%s\t%s\t%s\n' "$1" "$2" "$3"; fi
}

for target in unix spt; do
  img=$build/images/www.$target
  [ -f "$img" ] || { echo "bench/usernet: no $img, skipping $target" >&2; continue; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  start "$img" "" --net user -p "$port:80"
  read -r u_rps u_lat < <(bench "http://127.0.0.1:$port/")
  stop
  if [ $tap_ok = 1 ]; then
    start "$img" "$ns" --net tap:ukutap0 --ipv4 10.79.0.2/24
    read -r t_rps t_lat < <(bench "http://10.79.0.2/" "$ns")
    stop
    row "www GET / $target, $conns conns (--net user)" "$u_rps" req/s "--net tap" "$t_rps"
    row "www GET / $target p50 latency (--net user)" "$u_lat" ms "--net tap" "$t_lat"
  else
    row "www GET / $target, $conns conns (--net user)" "$u_rps" req/s
    row "www GET / $target p50 latency (--net user)" "$u_lat" ms
  fi
done
