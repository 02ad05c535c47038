#!/bin/bash
# User-mode networking end to end: `unikit run IMAGE --net user -p ...` as a NON-ROOT user (uid
# 65534 via setpriv when run as root), curl/socat from the host through the forwards, --pcap read
# back with tcpdump, `unikit ps`/`unikit stop`, and supervision: killing the helper, the image or
# `unikit run` itself leaves no process, record or bound port behind.
#
#   usernet_test.sh TARGET CASE     (TARGET: unix | spt)
# Environment: UNIKIT (the unikit command), IMAGES (the image dir), UNIKIT_BUILD_DIR.
# Exit 77 = skipped.
set -u
target=$1
case_=$2
tmp=$(mktemp -d /tmp/usernet.XXXXXX)
chmod 777 "$tmp"
run_pids=()

if [ "$(id -u)" = 0 ]; then
  user_prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_RUNTIME_DIR="$tmp/rt" UNIKIT_BUILD_DIR="$UNIKIT_BUILD_DIR")
else
  user_prefix=(env XDG_RUNTIME_DIR="$tmp/rt")
fi
as_user() { "${user_prefix[@]}" "$@"; }

cleanup() {
  for p in "${run_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  # Anything left from this test's runtime dir (records name their processes).
  for r in "$tmp"/rt/unikit/*.run; do
    [ -f "$r" ] || continue
    for k in pid image_pid netd_pid; do
      p=$(sed -n "s/^$k=//p" "$r"); [ -n "$p" ] && [ "$p" != 0 ] && kill -9 "$p" 2>/dev/null
    done
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}
skip() { echo "SKIP: $*" >&2; exit 77; }

[ -x "$UNIKIT" ] || fail "UNIKIT not set"
img=$IMAGES/www.$target
echo_img=$IMAGES/echo.$target
[ "$case_" = echo_udp ] || [ -f "$img" ] || skip "no $img"
command -v curl >/dev/null || skip "curl missing"
mkdir -p "$tmp/rt" && chmod 700 "$tmp/rt"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$tmp/rt"
netd=$UNIKIT_BUILD_DIR/tools/netd/unikit-netd
[ -x "$netd" ] || skip "unikit-netd not built (libslirp-dev missing)"

# A port outside the kernel's ephemeral range (32768-60999 by default), so the outgoing
# connections of tests running in parallel cannot take it between our check and our use.
free_port() {
  local p i
  for i in $(seq 100); do
    p=$((20000 + RANDOM % 10000))
    if port_free "$p" && port_free "$p" udp; then echo "$p"; return 0; fi
  done
  echo "no free port in 20000-29999" >&2
  return 1
}
port_free() {  # port_free PORT [udp]: nothing holds it (re-bindable)
  python3 - "$1" "${2:-tcp}" <<'EOF'
import socket, sys
t = socket.SOCK_DGRAM if sys.argv[2] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, t)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    if t == socket.SOCK_STREAM: s.listen(1)
except OSError as e:
    print(e); sys.exit(1)
EOF
}
wait_for() {  # wait_for CMD...: retry for up to 10 s
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
# start LOG ARGS...: `unikit run` as the non-root user, in the background; sets run_pid.
start() {
  local log=$1; shift
  "${user_prefix[@]}" "$UNIKIT" run "$@" >"$log" 2>&1 &  # a simple command: $! is unikit's pid
  run_pid=$!
  run_pids+=("$run_pid")
}
record() { sed -n "s/^$2=//p" "$tmp/rt/unikit/$1.run" 2>/dev/null; }
ps_out() { as_user "$UNIKIT" ps; }
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' /proc/"$1"/status 2>/dev/null; }
# Nothing of instance NAME (pids given) remains, and PORT is free again.
assert_clean() {  # assert_clean PORT PID...
  local port=$1; shift
  for p in "$@"; do wait_for gone "$p" || fail "process $p ($(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)) was left behind"; done
  wait_for port_free "$port" || fail "port $port still bound: $(ss -ltnpH "sport = :$port")"
  ps_out | grep -q "^www\|^echo" && fail "unikit ps still lists: $(ps_out)"
  ls "$tmp"/rt/unikit/*.run >/dev/null 2>&1 && fail "records left: $(ls "$tmp"/rt/unikit)"
  wait_for bash -c "! pgrep -f '[u]nikit-netd.*:$port:' >/dev/null" || fail "a unikit-netd for port $port is left: $(pgrep -af unikit-netd)"
  return 0
}

p1=$(free_port); p2=$(free_port); while [ "$p2" = "$p1" ]; do p2=$(free_port); done
case $case_ in
www_curl)  # two forwards, ps, stop
  start "$tmp/run.log" "$img" --net user -p "$p1:80" -p "127.0.0.1:$p2:80" --name web --timeout 60
  wait_for curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$p1/" || fail "no answer on forward $p1"
  body=$(curl -fsS -m 5 "http://127.0.0.1:$p1/") || fail "curl $p1"
  grep -qi "<html" <<<"$body" || fail "page on $p1 is not HTML: ${body:0:200}"
  curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$p2/status" || fail "curl /status on second forward $p2"
  out=$(ps_out)
  grep -qE "^web +$target +$run_pid +user +10\.0\.2\.15 .*127\.0\.0\.1:$p1->80/tcp, 127\.0\.0\.1:$p2->80/tcp" <<<"$out" \
    || fail "unikit ps: $out"
  img_pid=$(record web image_pid); netd_pid=$(record web netd_pid)
  [ -n "$img_pid" ] && [ -n "$netd_pid" ] || fail "record lacks pids"
  as_user "$UNIKIT" stop web || fail "unikit stop web"
  wait_for gone "$run_pid" || fail "unikit run still running after stop"
  assert_clean "$p1" "$img_pid" "$netd_pid"
  port_free "$p2" || fail "port $p2 still bound"
  ;;
default_net)  # no --net: the image's one net device gets user-mode networking; -p just works
  start "$tmp/run.log" "$img" -p "$p1:80" --name dflt --timeout 60
  wait_for curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$p1/" || fail "no answer on forward $p1"
  grep -qE "^dflt +$target +$run_pid +user " <<<"$(ps_out)" || fail "unikit ps: $(ps_out)"
  img_pid=$(record dflt image_pid); netd_pid=$(record dflt netd_pid)
  as_user "$UNIKIT" stop dflt || fail "unikit stop dflt"
  wait_for gone "$run_pid" || fail "unikit run still running after stop"
  assert_clean "$p1" "$img_pid" "$netd_pid"
  ;;
echo_udp)  # UDP forward to apps/echo
  [ -f "$echo_img" ] || skip "no $echo_img"
  command -v socat >/dev/null || skip "socat missing"
  start "$tmp/run.log" "$echo_img" --net user -p "127.0.0.1:$p1:7/udp" -p "$p2:7" --timeout 60
  wait_for bash -c "[ \"\$(printf ping | timeout 2 socat -T1 - TCP:127.0.0.1:$p2)\" = ping ]" || fail "tcp echo via $p2"
  got=$(printf 'hello udp' | timeout 5 socat -T2 - "UDP:127.0.0.1:$p1")
  [ "$got" = "hello udp" ] || fail "udp echo answered '$got'"
  as_user "$UNIKIT" stop echo-1 || fail "stop"
  assert_clean "$p2" "$run_pid"
  port_free "$p1" udp || fail "udp port $p1 still bound"
  ;;
port_in_use)  # refused before the image starts, one clear line, exit 2
  # Hold p1 ourselves; if a parallel test took it first, the holder dies: pick another port.
  for _ in 1 2 3 4 5; do
    python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$p1)); s.listen(1); time.sleep(30)" &
    holder=$!; run_pids+=("$holder")
    wait_for bash -c "! python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1',$p1))\""
    kill -0 "$holder" 2>/dev/null && break
    p1=$(free_port)
  done
  kill -0 "$holder" 2>/dev/null || fail "could not hold a port for the test"
  # --timeout bounds the run if the refusal does not come (the test then fails on the status).
  as_user "$UNIKIT" run "$img" --net user -p "$p2:80" -p "$p1:80" --timeout 20 >"$tmp/out.log" 2>&1
  rc=$?
  [ "$rc" = 2 ] || fail "exit status $rc, expected 2"
  grep -q "host port 127.0.0.1:$p1/tcp is already in use" "$tmp/out.log" || fail "message: $(cat "$tmp/out.log")"
  [ "$(wc -l <"$tmp/out.log")" = 1 ] || fail "expected one line: $(cat "$tmp/out.log")"
  grep -q "serving" "$tmp/out.log" && fail "the image started"
  kill "$holder"
  assert_clean "$p2"
  ;;
pcap)  # the helper records the curl session
  start "$tmp/run.log" "$img" --net user -p "$p1:80" --pcap "$tmp/cap.pcap" --timeout 60
  wait_for curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$p1/" || fail "no answer on $p1"
  as_user "$UNIKIT" stop www-1 || fail "stop"
  wait_for gone "$run_pid"
  command -v tcpdump >/dev/null || skip "tcpdump missing (the pcap was written)"
  tcpdump -nr "$tmp/cap.pcap" >"$tmp/dump.log" 2>"$tmp/tcpdump.err" || fail "tcpdump -r: $(cat "$tmp/tcpdump.err")"
  grep -qE "> 10\.0\.2\.15\.80: Flags \[S\]" "$tmp/dump.log" || fail "no SYN to the guest"
  grep -qE "10\.0\.2\.15\.80 > .*Flags \[S\.\]" "$tmp/dump.log" || fail "no SYN-ACK from the guest"
  grep -q "HTTP/1.1 200" "$tmp/dump.log" || fail "no HTTP reply in the capture"
  grep -q "ARP" "$tmp/dump.log" || fail "no ARP in the capture"
  ;;
kill_helper|kill_image|kill_run)  # whichever dies, nothing is left behind
  start "$tmp/run.log" "$img" --net user -p "$p1:80" --timeout 60
  wait_for curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$p1/" || fail "no answer on $p1"
  img_pid=$(record www-1 image_pid); netd_pid=$(record www-1 netd_pid)
  case $case_ in
  kill_helper) kill -9 "$netd_pid" ;;
  kill_image) kill -9 "$img_pid" ;;
  kill_run) kill -9 "$run_pid" ;;
  esac
  wait_for gone "$run_pid" || fail "unikit run still running"
  assert_clean "$p1" "$img_pid" "$netd_pid"
  [ "$case_" = kill_helper ] && { grep -q "unikit-netd was killed by signal 9; stopping the image" "$tmp/run.log" || fail "no note about the helper"; }
  ;;
two_instances)  # ps lists both; stopping one leaves the other
  start "$tmp/a.log" "$img" --net user -p "$p1:80" --timeout 60; a=$run_pid
  start "$tmp/b.log" "$img" --net user -p "$p2:80" --timeout 60; b=$run_pid
  wait_for curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$p1/" || fail "a"
  wait_for curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$p2/" || fail "b"
  [ "$(ps_out | grep -c '^www-')" = 2 ] || fail "ps: $(ps_out)"
  name=$(ps_out | awk -v p="$a" '$3 == p {print $1}')
  as_user "$UNIKIT" stop "$name" || fail "stop $name"
  wait_for gone "$a" || fail "a still running"
  [ "$(ps_out | grep -c '^www-')" = 1 ] || fail "ps after stop: $(ps_out)"
  curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$p2/" || fail "b stopped answering"
  as_user "$UNIKIT" stop nope >"$tmp/nope.log" 2>&1 && fail "stop of an unknown name succeeded"
  grep -q "no running instance named 'nope'" "$tmp/nope.log" || fail "stop nope: $(cat "$tmp/nope.log")"
  ;;
tap_errors)  # clear messages for TAP trouble without root
  as_user "$UNIKIT" run "$img" --net tap:uknotap0 >"$tmp/o.log" 2>&1; rc=$?
  [ "$rc" = 2 ] && grep -q "TAP interface 'uknotap0' does not exist.*--net user" "$tmp/o.log" || fail "rc $rc: $(cat "$tmp/o.log")"
  as_user "$UNIKIT" net create-tap uk0 >"$tmp/o.log" 2>&1; rc=$?
  [ "$rc" = 2 ] && grep -q "needs root" "$tmp/o.log" || fail "net create-tap as non-root: rc $rc $(cat "$tmp/o.log")"
  as_user "$UNIKIT" run "$img" --net socket -p "$p1:80" >"$tmp/o.log" 2>&1; rc=$?
  [ "$rc" = 2 ] && grep -q "needs --net user" "$tmp/o.log" || fail "-p with socket: rc $rc $(cat "$tmp/o.log")"
  if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then
    ns=ukusr$$
    ip netns add "$ns" || skip "cannot create a netns"
    trap 'ip netns del '"$ns"' 2>/dev/null; cleanup' EXIT
    "$UNIKIT" net create-tap uk0 --netns "$ns" --address 10.9.0.1/24 --user 65534 >/dev/null || fail "net create-tap"
    ip -n "$ns" addr show uk0 | grep -q "10.9.0.1/24" || fail "no address on uk0"
    "$UNIKIT" net delete-tap uk0 --netns "$ns" || fail "net delete-tap"
    ip -n "$ns" link show uk0 >/dev/null 2>&1 && fail "uk0 still exists"
  fi
  ;;
pcap_tap)  # --pcap over TAP: unikit-netd relays image <-> TAP and records (root)
  [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] || skip "needs root and /dev/net/tun"
  ns=ukpcap$$
  ip netns add "$ns" || skip "cannot create a netns"
  trap 'ip netns del '"$ns"' 2>/dev/null; cleanup' EXIT
  ip -n "$ns" link set lo up
  "$UNIKIT" net create-tap uktap0 --netns "$ns" --address 10.77.0.1/24 >/dev/null || fail "net create-tap"
  ip netns exec "$ns" env XDG_RUNTIME_DIR="$tmp/rt" "$UNIKIT" run "$img" --net tap:uktap0 --ipv4 10.77.0.2/24 \
    --pcap "$tmp/tap.pcap" --name tapcap --timeout 60 >"$tmp/run.log" 2>&1 &
  run_pid=$!; run_pids+=("$run_pid")
  wait_for ip netns exec "$ns" curl -fsS -m 2 -o /dev/null http://10.77.0.2/ || fail "no answer over the relay"
  grep -q "^net=tap:uktap0" "$tmp/rt/unikit/tapcap.run" || fail "record: $(cat "$tmp"/rt/unikit/*.run)"
  netd_pid=$(record tapcap netd_pid)
  env XDG_RUNTIME_DIR="$tmp/rt" "$UNIKIT" stop tapcap || fail "stop"
  wait_for gone "$run_pid" || fail "still running"
  wait_for gone "$netd_pid" || fail "relay left behind"
  tcpdump -nr "$tmp/tap.pcap" >"$tmp/dump.log" 2>&1 || fail "tcpdump -r: $(cat "$tmp/dump.log")"
  grep -qE "10\.77\.0\.2\.80 > .*Flags \[S\.\]" "$tmp/dump.log" || fail "no SYN-ACK in the capture"
  grep -q "HTTP/1.1 200" "$tmp/dump.log" || fail "no HTTP reply in the capture"
  ip netns del "$ns"
  ;;
*) fail "unknown case $case_" ;;
esac
echo "PASS: usernet $target $case_"
