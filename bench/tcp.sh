#!/usr/bin/env bash
# tcp: bulk TCP throughput into apps/sink on spt over a TAP device, side by side with the same
# transfer into a Linux process (the same sink protocol, tests/net_interop/sinkclient.cpp in
# `serve` mode) across a veth pair, in the same run. The client is the same Linux program in both
# cases (it checks the byte count and FNV-1a 64 the sink replies with). Median of BENCH_TCP_RUNS
# (default 3) transfers of BENCH_TCP_MB (default 200) MiB each. Needs root (namespaces, TAP).
# Run through bench/run (it builds the Release configuration first).
# The first rows use MTU 1500 on both paths. Then (unless BENCH_TCP_JUMBO=0) the same again with
# MTU BENCH_TCP_JUMBO_MTU (default 9000) on BOTH the TAP and the veth pair, in separate
# namespaces and with a fresh image (the spt tender takes the TAP's MTU, the image's MSS follows):
# rows labelled "MTU 9000", each with its Linux peer at the same MTU.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
unikit=$build/tools/unikit/unikit
runs=${BENCH_TCP_RUNS:-3}
mb=${BENCH_TCP_MB:-200}
bytes=$((mb * 1024 * 1024))
target=${BENCH_TCP_TARGET:-spt}

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
  echo "tcp.sh: skipped (needs root and /dev/net/tun)" >&2
  exit 0
fi

tmp=$(mktemp -d)
ns=ukb-tcp-$$
peer=ukb-peer-$$
image_pid=
linux_pid=
stop() {
  [ -n "$image_pid" ] && kill "$image_pid" 2>/dev/null || true
  [ -n "$linux_pid" ] && kill "$linux_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  image_pid= linux_pid=
  ip netns del "$ns" 2>/dev/null || true
  ip netns del "$peer" 2>/dev/null || true
}
cleanup() {
  stop
  rm -rf "$tmp"
}
trap cleanup EXIT

g++ -O2 -std=c++23 -o "$tmp/sinkclient" "$root/tests/net_interop/sinkclient.cpp"
img=$("$unikit" build "$root/apps/sink" --target "$target" 2>/dev/null) || { echo "tcp.sh: cannot build sink.$target" >&2; exit 1; }

# start MTU: client namespace with a TAP to the unikernel (10.77.1.0/24) and a veth to the Linux
# peer (10.78.1.0/24), both links at MTU; then the image and the Linux sink.
start() {
  local mtu=$1
  ip netns add "$ns"
  ip netns add "$peer"
  ip -n "$ns" link set lo up
  ip -n "$peer" link set lo up
  ip netns exec "$ns" ip tuntap add dev ukbtap0 mode tap
  ip -n "$ns" addr add 10.77.1.1/24 dev ukbtap0
  ip -n "$ns" link set ukbtap0 mtu "$mtu"
  ip -n "$ns" link set ukbtap0 up
  ip link add ukbv0 netns "$ns" type veth peer name ukbv1 netns "$peer"
  ip -n "$ns" addr add 10.78.1.1/24 dev ukbv0
  ip -n "$peer" addr add 10.78.1.2/24 dev ukbv1
  ip -n "$ns" link set ukbv0 mtu "$mtu"
  ip -n "$peer" link set ukbv1 mtu "$mtu"
  ip -n "$ns" link set ukbv0 up
  ip -n "$peer" link set ukbv1 up

  : >"$tmp/image.log"
  : >"$tmp/linux.log"
  ip netns exec "$ns" timeout 600 "$unikit" run "$img" --net service=tap:ukbtap0 --ipv4 10.77.1.2/24 \
    >"$tmp/image.log" 2>&1 &
  image_pid=$!
  ip netns exec "$peer" timeout 600 "$tmp/sinkclient" serve 9 >"$tmp/linux.log" 2>&1 &
  linux_pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$tmp/image.log" && grep -q listening "$tmp/linux.log" && break; sleep 0.1; done
}

# measure: $runs transfers to the image and to the Linux sink, alternating (so both see the same
# background load on a shared host); sets uk and lx to the median Mbit/s of each.
measure() {
  local i host out
  : >"$tmp/uk.txt"
  : >"$tmp/lx.txt"
  for ((i = 0; i < runs; i++)); do
    for host in 10.77.1.2 10.78.1.2; do
      out=$(ip netns exec "$ns" timeout 120 "$tmp/sinkclient" send "$host" 9 "$bytes" $((i + 1))) || {
        echo "tcp.sh: transfer to $host failed: $out" >&2
        tail -5 "$tmp/image.log" >&2
        return 1
      }
      echo "$out" | awk '{print $5}' >>"$tmp/$([ "$host" = 10.77.1.2 ] && echo uk || echo lx).txt"
    done
  done
  uk=$(sort -n "$tmp/uk.txt" | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
  lx=$(sort -n "$tmp/lx.txt" | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
}

start 1500
measure
ratio=$(awk -v a="$uk" -v b="$lx" 'BEGIN{printf "%.3f", a / b}')
printf 'ROW\ttcp bulk %s MiB into sink.%s over TAP (median/%s)\t%s\tMbit/s\tLinux sink over veth\t%s\n' "$mb" "$target" "$runs" "$uk" "$lx"
printf 'ROW\ttcp bulk sink.%s / Linux throughput ratio\t%s\tx\n' "$target" "$ratio"
stop

if [ "${BENCH_TCP_JUMBO:-1}" != 0 ]; then
  jmtu=${BENCH_TCP_JUMBO_MTU:-9000}
  start "$jmtu"
  measure
  ratio=$(awk -v a="$uk" -v b="$lx" 'BEGIN{printf "%.3f", a / b}')
  printf 'ROW\ttcp bulk %s MiB into sink.%s over TAP, MTU %s (median/%s)\t%s\tMbit/s\tLinux sink over veth, MTU %s\t%s\n' "$mb" "$target" "$jmtu" "$runs" "$uk" "$jmtu" "$lx"
  printf 'ROW\ttcp bulk sink.%s / Linux throughput ratio, MTU %s on both\t%s\tx\n' "$target" "$jmtu" "$ratio"
  stop
fi
