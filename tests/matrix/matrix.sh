#!/bin/bash
# The retargeting promise, checked: the same app image source on every target shows the same
# observable behaviour, through the same `unikit run` command line.
#
#   matrix.sh APP TARGET      APP: hello | echo | www;  TARGET: unix | spt | hvt | virtio
#
#   hello  `unikit run IMAGE -- --sleep-ms 10` prints exactly Hello/World x4 and exits 0;
#          with arguments `-- --sleep-ms 10 Bonjour Monde` it prints those words instead.
#   echo   `unikit run IMAGE --net user -p P:7 -p P:7/udp`: 256 KiB of random bytes over TCP come
#          back byte for byte, and a UDP datagram comes back.
#   www    `unikit run IMAGE --net user -p P:80`: curl fetches / and /2048.js byte for byte equal
#          to the site's files, a missing path is a 404 and a conditional GET with the ETag is a 304.
# Every target uses user-mode networking (unikit-netd for unix/spt/hvt, QEMU's NAT for virtio),
# so the test needs no root. Environment: UNIKIT (the unikit command), IMAGES, UNIKIT_BUILD_DIR,
# UNIKIT_SRC. Exit 77 = skipped (the target cannot run here), with the reason.
set -u
app=$1
target=$2
tmp=$(mktemp -d /tmp/matrix.XXXXXX)
run_pid=

cleanup() {
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL ($app on $target): $*" >&2
  [ -f "$tmp/run.log" ] && { echo "--- unikit run output (last 30 lines)" >&2; tail -30 "$tmp/run.log" >&2; }
  exit 1
}
skip() { echo "SKIP ($app on $target): $*" >&2; exit 77; }

img=$IMAGES/$app.$target
[ -f "$img" ] || fail "no image $img"
status=$("$UNIKIT" targets | awk -v t="$target" '$1 == t { print $2 }')
case $status in
  available) ;;
  "") fail "unikit targets does not list $target" ;;
  *) skip "$("$UNIKIT" targets | awk -v t="$target" '$1 == t' | tr -s ' ')" ;;
esac

# A port outside the kernel's ephemeral range, free for TCP and UDP.
port_free() { ! ss -Hln"${2:-t}" "sport = :$1" | grep -q .; }
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 10000))
    if port_free "$p" t && port_free "$p" u; then echo "$p"; return 0; fi
  done
  fail "no free port"
}

# start ARGS...: `unikit run IMAGE ARGS...` in the background, output in run.log.
start() {
  "$UNIKIT" run "$img" "$@" >"$tmp/run.log" 2>&1 &
  run_pid=$!
}
# wait_tcp PORT: until something accepts on 127.0.0.1:PORT and the image answers (bounded).
wait_up() {
  local i
  for i in $(seq 200); do
    kill -0 "$run_pid" 2>/dev/null || fail "unikit run ended early"
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "the image did not answer within 20 s"
}

case $app in
hello)
  printf 'Hello\nWorld\nHello\nWorld\nHello\nWorld\nHello\nWorld\n' >"$tmp/expected"
  timeout 60 "$UNIKIT" run "$img" -- --sleep-ms 10 >"$tmp/out" 2>"$tmp/run.log"
  rc=$?
  [ $rc = 0 ] || fail "exit status $rc, expected 0"
  cmp -s "$tmp/expected" "$tmp/out" || { diff "$tmp/expected" "$tmp/out" >&2; fail "console output differs"; }
  printf 'Bonjour\nMonde\nBonjour\nMonde\nBonjour\nMonde\nBonjour\nMonde\n' >"$tmp/expected"
  timeout 60 "$UNIKIT" run "$img" -- --sleep-ms 10 Bonjour Monde >"$tmp/out" 2>"$tmp/run.log"
  rc=$?
  [ $rc = 0 ] || fail "exit status $rc with arguments, expected 0"
  cmp -s "$tmp/expected" "$tmp/out" || { diff "$tmp/expected" "$tmp/out" >&2; fail "console output with arguments differs"; }
  ;;
echo)
  port=$(free_port)
  start --net user -p "$port:7" -p "$port:7/udp"
  head -c 262144 /dev/urandom >"$tmp/data"
  tcp_echo() {
    python3 - "$port" "$1" "$2" <<'PY'
import socket, sys
port, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(src, 'rb').read()
s = socket.create_connection(('127.0.0.1', port), timeout=30)
got = bytearray()
s.setblocking(True)
view = memoryview(data)
sent = 0
# Interleave sends and reads so neither side's buffers fill.
while sent < len(data) or len(got) < len(data):
    if sent < len(data):
        n = s.send(view[sent:sent + 16384])
        sent += n
        if sent == len(data):
            s.shutdown(socket.SHUT_WR)
    s.settimeout(0.05 if sent < len(data) else 30)
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    got += chunk
open(dst, 'wb').write(got)
PY
  }
  wait_up python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$port),timeout=2); s.sendall(b'x'); sys.exit(0 if s.recv(1)==b'x' else 1)"
  tcp_echo "$tmp/data" "$tmp/back" || fail "TCP echo client failed"
  cmp -s "$tmp/data" "$tmp/back" || fail "TCP echo: $(stat -c %s "$tmp/back") bytes came back, not the 262144 sent"
  python3 - "$port" <<'PY' || fail "UDP echo: no datagram came back in 5 tries"
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
msg = b'unikit matrix datagram'
for _ in range(5):
    s.sendto(msg, ('127.0.0.1', port))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    sys.exit(0 if data == msg else 1)
sys.exit(1)
PY
  ;;
www)
  command -v curl >/dev/null || skip "curl missing"
  site=$UNIKIT_SRC/apps/www/site
  port=$(free_port)
  start --net user -p "$port:80"
  base=http://127.0.0.1:$port
  wait_up curl -sf -m 2 -o /dev/null "$base/"
  curl -sf -m 20 -o "$tmp/index" "$base/" || fail "GET / failed"
  cmp -s "$site/index.html" "$tmp/index" || fail "GET / differs from site/index.html"
  curl -sf -m 20 -o "$tmp/js" "$base/2048.js" || fail "GET /2048.js failed"
  cmp -s "$site/2048.js" "$tmp/js" || fail "GET /2048.js differs from site/2048.js"
  code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' "$base/no-such-page") || fail "GET of a missing page failed"
  [ "$code" = 404 ] || fail "missing page answered $code, expected 404"
  etag=$(curl -sf -m 20 -D - -o /dev/null "$base/" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
  [ -n "$etag" ] || fail "GET / has no ETag"
  code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$base/")
  [ "$code" = 304 ] || fail "conditional GET answered $code, expected 304"
  ;;
*)
  fail "unknown app '$app'"
  ;;
esac
echo "ok: $app on $target"
