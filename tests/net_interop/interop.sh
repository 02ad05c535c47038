#!/usr/bin/env bash
# Network interop tests: a unikit image (apps/echo, apps/sink) against real Linux.
#
#   interop.sh TARGET CASE        TARGET: unix | spt | virtio   CASE: basic | transfer | faults | dhcp
#
# Each run makes its own network namespace with a TAP device (Linux side 10.77.0.1/24), runs the
# image inside it with `unikit run ... --net service=tap:uktap0` (image 10.77.0.2/24, or DHCP
# from a dnsmasq on the TAP), bounds every wait, and removes everything on exit, failed or not.
# (virtio: `unikit run` starts QEMU inside the namespace on the same TAP; hvt has its own wrapper,
# tests/hvt/interop_hvt.sh.)
#   basic     ping -c 3 answered; ARP entry on the Linux side; TCP echo (a line, and 4 parallel
#             1 MB round trips compared byte for byte); UDP echo
#   transfer  50 MB into apps/sink: byte count and FNV-1a 64 match what the client sent
#   faults    the same with --net-faults loss=5,reorder=5,dup=5 (both directions; TCP recovers)
#   dhcp      echo started with --ipv4 dhcp gets a lease from dnsmasq; ping and TCP echo work
# Environment: UNIKIT (the unikit command), IMAGES (image directory), SINKCLIENT, UNIKIT_BUILD_DIR.
# Exit 77 (CTest: skipped) without root, /dev/net/tun or the tools.
set -u
target=${1:?target}
case_=${2:?case}
: "${UNIKIT:?}" "${IMAGES:?}" "${SINKCLIENT:?}"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TAP)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for t in ip ping nc timeout; do command -v $t >/dev/null || skip "missing $t"; done
[ "$case_" != dhcp ] || command -v dnsmasq >/dev/null || skip "missing dnsmasq (dnsmasq-base)"
status=$("$UNIKIT" targets | awk -v t="$target" '$1 == t { print $2 }')
[ "$status" = available ] || skip "target $target: $("$UNIKIT" targets | awk -v t="$target" '$1 == t' | tr -s ' ')"

ns=ukt-$case_-$target-$$
tap=uktap0
tmp=$(mktemp -d /tmp/ukt-interop.XXXXXX)
image_pid=
dnsmasq_pid=
fail() {
  echo "FAIL: $*"
  if [ -f "$tmp/image.log" ]; then echo "--- image log (last 30 lines)"; tail -n 30 "$tmp/image.log"; fi
  exit 1
}
cleanup() {
  # SIGTERM (timeout passes it on to unikit, which stops the tender), SIGKILL after 2 s.
  if [ -n "$image_pid" ] && kill "$image_pid" 2>/dev/null; then
    for _ in $(seq 20); do kill -0 "$image_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$image_pid" 2>/dev/null
  fi
  [ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null
  wait 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

inns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns" || fail "cannot create namespace $ns"
inns ip link set lo up
inns ip tuntap add dev $tap mode tap || fail "cannot create TAP"
inns ip addr add 10.77.0.1/24 dev $tap
inns ip link set $tap up

# start_image APP LIMIT_SECS [unikit run flags...]: runs the image in the namespace.
start_image() {
  local app=$1 limit=$2
  shift 2
  # Not through the inns function: $! must be the process that becomes `timeout` (ip execs it),
  # or cleanup's kill reaches only a subshell and the image outlives the test until its limit.
  ip netns exec "$ns" timeout -k 2 "$limit" "$UNIKIT" run "$IMAGES/$app.$target" --net service=tap:$tap "$@" \
    >"$tmp/image.log" 2>&1 &
  image_pid=$!
}
# wait_log REGEX SECS: waits until the image log matches; prints the matching line.
wait_log() {
  local re=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    if grep -Eq "$re" "$tmp/image.log" 2>/dev/null; then grep -Em1 "$re" "$tmp/image.log"; return 0; fi
    kill -0 "$image_pid" 2>/dev/null || fail "the image ended early"
    sleep 0.1
  done
  fail "no '$re' from the image within $secs s"
}

t0=$(date +%s.%N)
elapsed() { echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || true; }

tcp_echo_checks() {  # IP
  local ip=$1 out
  out=$(printf 'hello unikit\n' | inns timeout 10 nc -N -w 5 "$ip" 7) || fail "TCP echo: nc failed"
  [ "$out" = "hello unikit" ] || fail "TCP echo: got '$out'"
  echo "ok: TCP echo line"
  head -c 1000000 /dev/urandom >"$tmp/in.bin"
  local pids=() k
  for k in 1 2 3 4; do
    inns timeout 30 nc -N "$ip" 7 <"$tmp/in.bin" >"$tmp/out$k.bin" &
    pids+=($!)
  done
  for k in 0 1 2 3; do wait "${pids[$k]}" || fail "TCP echo: parallel client $((k + 1)) failed"; done
  for k in 1 2 3 4; do cmp -s "$tmp/in.bin" "$tmp/out$k.bin" || fail "TCP echo: 1 MB round trip $k differs"; done
  echo "ok: 4 parallel 1 MB TCP echo round trips"
}

case "$case_" in
basic)
  start_image echo 60 --ipv4 10.77.0.2/24
  wait_log "listening on 10.77.0.2:7" 10
  inns timeout 10 ping -c 3 -i 0.2 -W 2 10.77.0.2 >"$tmp/ping.txt" || { cat "$tmp/ping.txt"; fail "ping"; }
  grep -q " 0% packet loss" "$tmp/ping.txt" || fail "ping lost packets: $(tail -2 "$tmp/ping.txt")"
  echo "ok: ping -c 3"
  inns ip neigh show 10.77.0.2 dev $tap | grep -q lladdr || fail "no ARP entry for 10.77.0.2 on the Linux side"
  echo "ok: ARP entry: $(inns ip neigh show 10.77.0.2 dev $tap)"
  # Without mac= every backend picks a random unicast, locally administered address (never a
  # fixed default that two images on one bridge would share).
  mac=$(inns ip neigh show 10.77.0.2 dev $tap | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
  (( (0x${mac:0:2} & 3) == 2 )) || fail "MAC $mac is not unicast and locally administered"
  [ "$mac" != 52:54:00:12:34:56 ] || fail "MAC $mac is QEMU's fixed default"
  echo "ok: MAC $mac is unicast, locally administered"
  tcp_echo_checks 10.77.0.2
  out=$(printf 'udp ping\n' | inns timeout 5 nc -u -w 1 10.77.0.2 7) || true
  [ "$out" = "udp ping" ] || fail "UDP echo: got '$out'"
  echo "ok: UDP echo"
  ;;
transfer | faults)
  flags=(--ipv4 10.77.0.2/24)
  bytes=$((50 * 1024 * 1024))
  [ "$case_" = faults ] && flags+=(--net-faults loss=5,reorder=5,dup=5,seed=7)
  start_image sink 120 "${flags[@]}"
  wait_log "listening on 10.77.0.2:9" 10
  res=$(inns timeout 90 "$SINKCLIENT" send 10.77.0.2 9 $bytes 42) || fail "transfer: $res"
  echo "ok: $bytes bytes, count and FNV-1a 64 match (ok BYTES HASH SECS MBIT/S: $res)"
  # spt opens the TAP with receive offload: Linux hands over GSO frames larger than the MTU.
  if [ "$target" = spt ]; then
    grep -q "receive offload: the host delivers packets larger than the MTU" "$tmp/image.log" ||
      fail "spt: no frame larger than the MTU arrived (TAP receive offload not in use)"
    echo "ok: spt received GSO frames larger than the MTU"
  fi
  ;;
dhcp)
  inns dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=$tap --bind-interfaces \
    --dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h --dhcp-leasefile="$tmp/leases" --pid-file= \
    >"$tmp/dnsmasq.log" 2>&1 &
  dnsmasq_pid=$!
  sleep 0.3
  kill -0 $dnsmasq_pid 2>/dev/null || { cat "$tmp/dnsmasq.log"; fail "dnsmasq did not start"; }
  start_image echo 60 --ipv4 dhcp
  line=$(wait_log "listening on 10\.77\.0\.[0-9]+:7" 20)
  ip=$(echo "$line" | sed -E 's/.*listening on (10\.77\.0\.[0-9]+):7.*/\1/')
  echo "ok: lease $ip ($line)"
  grep -q "(dhcp)" "$tmp/image.log" || fail "the address was not logged as from DHCP"
  inns timeout 10 ping -c 3 -i 0.2 -W 2 "$ip" >"$tmp/ping.txt" || { cat "$tmp/ping.txt"; fail "ping $ip"; }
  echo "ok: ping $ip"
  tcp_echo_checks "$ip"
  ;;
*)
  echo "unknown case $case_"
  exit 2
  ;;
esac
echo "PASS: $target $case_ in $(elapsed) s"
