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
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init socket_vs_direct
mb=${UNIKIT_BENCH_MB:-256}
runs=${UNIKIT_BENCH_RUNS:-3}
img=$build/images/sink.unix
[ -x "$img" ] || { bench_say "missing $img (build $build first)"; exit 1; }
command -v socat >/dev/null || { bench_say "socat is needed"; exit 1; }
bytes=$((mb * 1024 * 1024))

bench_netns ukbench ukbtap0 10.78.0
[ $tap_ok = 1 ] || bench_say "no root or /dev/net/tun: measuring host sockets only"
run_in() { if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi; }

# start [unikit run flags]: the sink image (in the namespace when there is one).
start() { bench_start sink.log "listening on" "$ns" timeout -k 2 600 "$root/unikit" run "$img" "$@"; }

# send HOST PORT: one transfer of $bytes; prints Mbit/s (checks the byte count in the reply).
send() {
  local t0 t1 reply
  t0=$(date +%s%N)
  reply=$(head -c "$bytes" /dev/zero | run_in timeout 300 socat -b 262144 -t 60 - "TCP:$1:$2") || return 1
  t1=$(date +%s%N)
  [ "${reply%% *}" = "$bytes" ] || { bench_say "sink answered '$reply'"; return 1; }
  awk -v b="$bytes" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", b * 8 / (ns / 1e9) / 1e6 }'
}
best_of() {  # best_of HOST PORT LABEL
  local best=0 v
  for ((r = 0; r < runs; r++)); do
    v=$(send "$1" "$2") || exit 1
    bench_say "$3 run $((r + 1)): $v Mbit/s"
    [ "$v" -gt "$best" ] && best=$v
  done
  echo "$best"
}

port=$(bench_free_port "$ns")
start --net "service=socket,map=9:$port"
sock=$(best_of 127.0.0.1 "$port" socket)
bench_stop

metric="sink TCP ${mb} MB, best of $runs (--net socket)"
if [ $tap_ok = 1 ]; then
  start --net service=tap:ukbtap0 --ipv4 10.78.0.2/24
  direct=$(best_of 10.78.0.2 9 direct)
  bench_stop
  bench_row "$metric" "$sock" Mbit/s "direct stack over TAP" "$direct"
else
  bench_row "$metric" "$sock" Mbit/s
fi
