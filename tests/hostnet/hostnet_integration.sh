#!/usr/bin/env bash
# Host sockets end to end: apps/echo and apps/sink images started with `--net service=socket,...`
# (directly, and through `./unikit run`), talked to with socat and sinkclient over 127.0.0.1.
#
#   hostnet_integration.sh CASE
#
# Environment (tests/hostnet/CMakeLists.txt): IMAGES (image dir), UNIKIT_SRC, UNIKIT_BUILD_DIR,
# SINKCLIENT (optional: the sink case is skipped without it).
# Every wait is bounded; every image started here is killed on exit.
# Exit status: 0 pass, 77 skipped, anything else fail (message on stderr).
set -uo pipefail

: "${IMAGES:?}" "${UNIKIT_SRC:?}"
echo_img=$IMAGES/echo.unix
sink_img=$IMAGES/sink.unix
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}
skip() { echo "SKIP: $*" >&2; exit 77; }

command -v socat >/dev/null || skip "socat is not installed"
[ -x "$echo_img" ] || fail "missing $echo_img"

# A TCP port that is free on 127.0.0.1 now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start LOG CMD...: runs CMD in the background (stdout+stderr -> LOG), remembers its pid.
start() {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  last_pid=$!
}

# wait_for LOG PATTERN [SECONDS]: until LOG matches PATTERN (fails after SECONDS, default 20).
wait_for() {
  local log=$1 pattern=$2 secs=${3:-20}
  for ((i = 0; i < secs * 10; i++)); do
    grep -qE -- "$pattern" "$log" 2>/dev/null && return 0
    kill -0 "$last_pid" 2>/dev/null || fail "the image ended early (waiting for /$pattern/)"
    sleep 0.1
  done
  fail "timed out waiting for /$pattern/ in $log"
}

tcp_echo_check() {  # tcp_echo_check PORT
  local got
  got=$(printf 'hello over host sockets\n' | timeout 10 socat -t5 - TCP:127.0.0.1:"$1") || fail "socat tcp failed"
  [ "$got" = "hello over host sockets" ] || fail "tcp echo answered '$got'"
}

listen_addr() {  # listen_addr PORT: the local address of the TCP listener on PORT
  ss -ltnH "sport = :$1" | awk '{print $4}' | head -1
}

case "${1:?case}" in
echo_tcp_udp)
  port=$(free_port)
  start "$tmp/echo.log" timeout 60 "$echo_img" --net "service=socket,map=7:$port"
  wait_for "$tmp/echo.log" "listening on 127\.0\.0\.1:7 \(tcp, udp\)"
  tcp_echo_check "$port"
  # Default bind address: loopback only.
  [ "$(listen_addr "$port")" = "127.0.0.1:$port" ] || fail "listener bound to '$(listen_addr "$port")'"
  # 4 MB both ways through one connection (socat writes while reading: back-pressure both sides).
  head -c 4194304 /dev/urandom >"$tmp/big"
  timeout 30 socat -t10 -b 65536 TCP:127.0.0.1:"$port" OPEN:"$tmp/big",rdonly\!\!OPEN:"$tmp/big.back",creat,wronly \
    || fail "socat bulk failed"
  cmp -s "$tmp/big" "$tmp/big.back" || fail "4 MB echo differs ($(stat -c %s "$tmp/big.back") bytes back)"
  # UDP on the same (mapped) port.
  got=$(printf 'ping' | timeout 10 socat -T3 - UDP:127.0.0.1:"$port") || fail "socat udp failed"
  [ "$got" = "ping" ] || fail "udp echo answered '$got'"
  # Many connections at once.
  for i in $(seq 1 20); do
    (printf 'c%s\n' "$i" | timeout 10 socat -t5 - TCP:127.0.0.1:"$port" >"$tmp/c$i.out") &
  done
  for ((t = 0; t < 100; t++)); do
    n=$(cat "$tmp"/c*.out 2>/dev/null | wc -l)
    [ "$n" = 20 ] && break
    sleep 0.1
  done
  for i in $(seq 1 20); do
    [ "$(cat "$tmp/c$i.out")" = "c$i" ] || fail "client $i got '$(cat "$tmp/c$i.out")'"
  done
  # A client that resets its connection does not disturb the server.
  python3 - "$port" <<'EOF' || fail "reset client"
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"x" * 1000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
  tcp_echo_check "$port"
  kill -0 "$last_pid" 2>/dev/null || fail "echo died"
  ;;
bind_any_root_port)
  # As root, the app's own port works unmapped, and bind= chooses the host address.
  [ "$(id -u)" = 0 ] || skip "needs root"
  port=$(free_port)
  start "$tmp/echo.log" timeout 60 "$echo_img" --net "service=socket,bind=0.0.0.0" -- --port "$port"
  wait_for "$tmp/echo.log" "listening on 0\.0\.0\.0:$port"
  [ "$(listen_addr "$port")" = "0.0.0.0:$port" ] || fail "listener bound to '$(listen_addr "$port")'"
  tcp_echo_check "$port"
  # Port 7 as root (if nothing on the host uses it).
  if [ -z "$(listen_addr 7)" ]; then
    start "$tmp/echo7.log" timeout 60 "$echo_img" --net service=socket
    wait_for "$tmp/echo7.log" "listening on 127\.0\.0\.1:7 "
    tcp_echo_check 7
  fi
  ;;
nonroot_privileged_port)
  # Without root, port 7 cannot be bound: one clear line naming the fix, exit 1.
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)" -gt 7 ] || skip "anybody may bind port 7 here"
  cp "$echo_img" "$tmp/echo.unix" && chmod 755 "$tmp" "$tmp/echo.unix"
  out=$(cd / && timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/echo.unix" --net service=socket 2>&1)
  rc=$?
  [ "$rc" = 1 ] || fail "exit status $rc, expected 1 (output: $out)"
  grep -q "cannot listen on 127.0.0.1:7 (app port 7): Permission denied; ports below 1024 need root" <<<"$out" \
    || fail "no clear error: $out"
  grep -q "map=7:8007" <<<"$out" || fail "no hint about map=: $out"
  ;;
unikit_run)
  # The same through the unikit command (which passes the device options on to the image).
  export UNIKIT_BUILD_DIR=${UNIKIT_BUILD_DIR:?}
  port=$(free_port)
  start "$tmp/run.log" "$UNIKIT_SRC/unikit" run "$echo_img" --net "service=socket,map=7:$port" --timeout 60
  wait_for "$tmp/run.log" "listening on 127\.0\.0\.1:7 \(tcp, udp\)" 120
  tcp_echo_check "$port"
  # Refusals: options for another backend.
  out=$(timeout 20 "$UNIKIT_SRC/unikit" run "$echo_img" --net "service=socket,mac=02:00:00:00:00:01" 2>&1)
  [ $? = 2 ] || fail "mac= on socket accepted: $out"
  grep -q "'socket' takes no mac= option" <<<"$out" || fail "unexpected refusal: $out"
  ;;
sink_transfer)
  [ -n "${SINKCLIENT:-}" ] && [ -x "$SINKCLIENT" ] || skip "sinkclient not built"
  [ -x "$sink_img" ] || fail "missing $sink_img"
  port=$(free_port)
  start "$tmp/sink.log" timeout 60 "$sink_img" --net "service=socket,map=9:$port"
  wait_for "$tmp/sink.log" "listening on 127\.0\.0\.1:9"
  res=$(timeout 60 "$SINKCLIENT" send 127.0.0.1 "$port" 33554432 7) || fail "sink transfer: $res"
  echo "$res"
  ;;
*)
  fail "unknown case $1"
  ;;
esac
exit 0
