#!/usr/bin/env bash
# Host sockets against the direct stack on the same machine, in the same run: TCP bulk
# throughput from a Linux client into apps/sink (unix image), once with `--net service=socket`
# (the image's sockets are host sockets; the client talks to it over loopback) and once over a
# TAP device with unikit's own TCP/IP stack (`--net service=tap:...`, the client on the Linux
# side of the TAP). Both run inside one private network namespace made here.
#   ROW <metric> <value> <unit> <peer> <peer value>   (tab-separated, see bench/run)
# The ratio in the table is socket / direct. Needs root and /dev/net/tun for the direct half;
# without them only the socket figure is printed (no peer).
# Run by bench/run, or alone: UNIKIT_BUILD_DIR=build bench/socket_vs_direct.sh
# Knobs: UNIKIT_BENCH_MB (default 256 MB per transfer), UNIKIT_BENCH_RUNS (best of, default 3).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
export UNIKIT_BUILD_DIR=$build
mb=${UNIKIT_BENCH_MB:-256}
runs=${UNIKIT_BENCH_RUNS:-3}
img=$build/images/sink.unix
[ -x "$img" ] || { echo "bench/socket_vs_direct: missing $img (build $build first)" >&2; exit 1; }
command -v socat >/dev/null || { echo "bench/socket_vs_direct: socat is needed" >&2; exit 1; }
bytes=$((mb * 1024 * 1024))

tmp=$(mktemp -d)
ns=
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

direct_ok=1
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
  direct_ok=0
  echo "bench/socket_vs_direct: no root or /dev/net/tun: measuring host sockets only" >&2
fi
run_in() { if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi; }
if [ $direct_ok = 1 ]; then
  ns=ukbench-$$
  ip netns add "$ns"
  run_in ip link set lo up
  run_in ip tuntap add dev ukbtap0 mode tap
  run_in ip addr add 10.78.0.1/24 dev ukbtap0
  run_in ip link set ukbtap0 up
fi

# start NET_SPEC [unikit run flags]: the sink image; waits (<= 20 s) for its "listening" line.
start() {
  run_in timeout -k 2 600 "$root/unikit" run "$img" "$@" >"$tmp/sink.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    grep -q "listening on" "$tmp/sink.log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/sink.log" >&2; echo "bench/socket_vs_direct: sink ended" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench/socket_vs_direct: sink did not start" >&2
  exit 1
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=; }

# send HOST PORT: one transfer of $bytes; prints Mbit/s (checks the byte count in the reply).
send() {
  local t0 t1 reply
  t0=$(date +%s%N)
  reply=$(head -c "$bytes" /dev/zero | run_in timeout 300 socat -b 262144 -t 60 - "TCP:$1:$2") || return 1
  t1=$(date +%s%N)
  [ "${reply%% *}" = "$bytes" ] || { echo "bench/socket_vs_direct: sink answered '$reply'" >&2; return 1; }
  awk -v b="$bytes" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", b * 8 / (ns / 1e9) / 1e6 }'
}
best_of() {  # best_of HOST PORT
  local best=0 v
  for ((r = 0; r < runs; r++)); do
    v=$(send "$1" "$2") || exit 1
    echo "bench/socket_vs_direct: $3 run $((r + 1)): $v Mbit/s" >&2
    [ "$v" -gt "$best" ] && best=$v
  done
  echo "$best"
}

port=$(run_in python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start --net "service=socket,map=9:$port"
sock=$(best_of 127.0.0.1 "$port" socket)
stop

if [ $direct_ok = 1 ]; then
  start --net service=tap:ukbtap0 --ipv4 10.78.0.2/24
  direct=$(best_of 10.78.0.2 9 direct)
  stop
  printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "sink TCP ${mb} MB, best of $runs (--net socket)" "$sock" Mbit/s \
    "direct stack over TAP" "$direct"
else
  printf 'ROW\t%s\t%s\t%s\n' "sink TCP ${mb} MB, best of $runs (--net socket)" "$sock" Mbit/s
fi
