#!/usr/bin/env bash
# www benchmark: the www unikernel on spt over TAP against nginx, side by side in the same run.
#   ROW <metric> <value> <unit> <peer> <peer value>   (tab-separated, see bench/run)
# Run by bench/run, or alone: UNIKIT_BUILD_DIR=build bench/www.sh (after building that tree).
#
# - The image is bench/wwwbench: apps/www's main.cpp with apps/www/site plus a generated 1 MiB
#   file (/1m.bin), built with `unikit build bench/wwwbench --target spt` (its own build dir
#   under <build>/ext/). nginx serves the very same directory.
# - A private network namespace holds a TAP device (Linux 10.80.0.1/24, image 10.80.0.2/24),
#   nginx (worker_processes 1, sendfile, keep-alive, no access log) on 127.0.0.1:8080, and wrk.
# - wrk: the same parameters for both servers (UNIKIT_BENCH_WRK, default "-t1 -c32 -d5s"),
#   requests/s and p99 latency for /index.html (7 KB), /favicon.svg (276 B) and /1m.bin;
#   BENCH_WWW_RUNS (default 3) runs of each, alternating the two servers, medians reported.
# - Then /index.html and /1m.bin once more with the TAP at MTU 9000 (a fresh image;
#   BENCH_WWW_JUMBO=0 skips it): how much of the gap is the per-frame cost of the TAP.
# Needs root, /dev/net/tun, wrk and nginx (Debian: wrk, nginx-light); otherwise it says why on
# stderr and prints only the image size row.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
export UNIKIT_BUILD_DIR=$build
wrk_args=${UNIKIT_BENCH_WRK:--t1 -c32 -d5s}
runs=${BENCH_WWW_RUNS:-3}
unikit=$build/tools/unikit/unikit
www_img=$build/images/www.spt
for f in "$unikit" "$www_img"; do
  [ -x "$f" ] || { echo "bench/www: missing $f (build $build first)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/ukb-www.XXXXXX)
ns=
image_pid=
nginx_pid=
# stop PID: SIGTERM (timeout passes it on to unikit, which stops the tender; nginx shuts
# down), then SIGKILL after 2 s.
stop() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 20); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  set +e
  [ -n "$image_pid" ] && stop "$image_pid"
  [ -n "$nginx_pid" ] && stop "$nginx_pid"
  [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
row() { printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

# Image size: www.spt stripped, next to www.unix stripped.
strip -o "$tmp/www.spt" "$www_img"
strip -o "$tmp/www.unix" "$build/images/www.unix" 2>/dev/null || : >"$tmp/www.unix"
row "www stripped image size (spt; goal < 300)" "$(kib "$(stat -c %s "$tmp/www.spt")")" KiB \
  "www.unix stripped" "$(kib "$(stat -c %s "$tmp/www.unix")")"

why=
[ "$(id -u)" = 0 ] || why="needs root (network namespace, TAP)"
[ -n "$why" ] || [ -c /dev/net/tun ] || why="no /dev/net/tun"
[ -n "$why" ] || command -v wrk >/dev/null || why="missing wrk (Debian: wrk)"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -n "$why" ] || [ -x "$nginx" ] || why="missing nginx (Debian: nginx-light)"
if [ -n "$why" ]; then
  echo "bench/www: skipping the HTTP benchmark: $why" >&2
  exit 0
fi

# The bench image (its site dir is in its build dir, next to the image).
bench_img=$("$unikit" build "$root/bench/wwwbench" --target spt)
site=$(cd "$(dirname "$bench_img")/../apps/wwwbench/site" && pwd)
[ -f "$site/1m.bin" ] || { echo "bench/www: no $site/1m.bin" >&2; exit 1; }

ns=ukb-www-$$
tap=ukbtap0
inns() { ip netns exec "$ns" "$@"; }
ip netns add "$ns"
inns ip link set lo up
inns ip tuntap add dev $tap mode tap
inns ip addr add 10.80.0.1/24 dev $tap
inns ip link set $tap up

ip netns exec "$ns" timeout -k 2 600 "$unikit" run "$bench_img" --net service=tap:$tap --ipv4 10.80.0.2/24 \
  >"$tmp/image.log" 2>&1 &
image_pid=$!

mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:8080;
    root $site;
  }
}
EOF
ip netns exec "$ns" "$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx/stderr" &
nginx_pid=$!

www=http://10.80.0.2
ngx=http://127.0.0.1:8080
for ((i = 0; i < 100; i++)); do
  grep -q "serving [0-9]* files on http://10.80.0.2:80/" "$tmp/image.log" 2>/dev/null &&
    inns curl -s -o /dev/null --max-time 2 $ngx/index.html && break
  kill -0 "$image_pid" 2>/dev/null || { cat "$tmp/image.log" >&2; echo "bench/www: the image ended" >&2; exit 1; }
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$tmp/nginx/stderr" "$tmp/nginx/error.log" >&2; echo "bench/www: nginx ended" >&2; exit 1; }
  sleep 0.1
done
for u in $www $ngx; do
  inns curl -sS --max-time 10 -o "$tmp/1m.check" $u/1m.bin
  cmp -s "$tmp/1m.check" "$site/1m.bin" || { echo "bench/www: $u/1m.bin differs" >&2; exit 1; }
done

# wrk URL -> "requests/s p99_ms"
measure() {
  local out
  out=$(inns wrk $wrk_args --latency "$1" 2>&1) || { echo "$out" >&2; return 1; }
  echo "$out" | sed 's/^/    /' >&2
  if echo "$out" | grep -q 'Non-2xx\|Socket errors'; then echo "bench/www: wrk reported errors for $1" >&2; fi
  echo "$out" | awk '
    /Requests\/sec:/ { rps = $2 }
    $1 == "99%" {
      v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v
    }
    END { printf "%.0f %.3f\n", rps, p99 }'
}

# median of the numbers on stdin
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

# bench_file FILE [LABEL]: the median rows for one file.
bench_file() {
  local f=$1 label=${2:-} i
  # Warm both (and let wrk's connections of the previous run go).
  inns curl -s -o /dev/null $www/$f
  inns curl -s -o /dev/null $ngx/$f
  : >"$tmp/w.txt"
  : >"$tmp/n.txt"
  # Alternate the two servers, so both see the same background load on a shared host.
  for ((i = 0; i < runs; i++)); do
    echo "bench/www: wrk $wrk_args $www/$f$label" >&2
    measure "$www/$f" >>"$tmp/w.txt"
    sleep 1
    echo "bench/www: wrk $wrk_args $ngx/$f" >&2
    measure "$ngx/$f" >>"$tmp/n.txt"
    sleep 1
  done
  w_rps=$(awk '{print $1}' "$tmp/w.txt" | median)
  w_p99=$(awk '{print $2}' "$tmp/w.txt" | median)
  n_rps=$(awk '{print $1}' "$tmp/n.txt" | median)
  n_p99=$(awk '{print $2}' "$tmp/n.txt" | median)
  size=$(stat -c %s "$site/$f")
  row "www.spt GET /$f ($size B)$label, wrk $wrk_args, median/$runs" "$w_rps" req/s "nginx (1 worker)" "$n_rps"
  row "www.spt GET /$f$label p99 latency, median/$runs" "$w_p99" ms "nginx (1 worker)" "$n_p99"
}

for f in index.html favicon.svg 1m.bin; do
  bench_file $f
done
kill -0 "$image_pid" 2>/dev/null || { echo "bench/www: the image ended during the benchmark" >&2; exit 1; }
status=$(inns curl -sS --max-time 5 $www/status || true)
echo "bench/www: www /status after the runs: $status" >&2

# index.html and the 1 MiB file again with the TAP at MTU 9000 (BENCH_WWW_JUMBO=0 skips it): a fresh image (the
# tender takes the TAP's MTU, the image's MSS follows). nginx stays on loopback, as above.
if [ "${BENCH_WWW_JUMBO:-1}" != 0 ]; then
  stop "$image_pid" || true
  image_pid=
  inns ip link set $tap mtu 9000
  : >"$tmp/image.log"
  ip netns exec "$ns" timeout -k 2 600 "$unikit" run "$bench_img" --net service=tap:$tap --ipv4 10.80.0.2/24 \
    >"$tmp/image.log" 2>&1 &
  image_pid=$!
  for ((i = 0; i < 100; i++)); do
    grep -q "serving [0-9]* files on http://10.80.0.2:80/" "$tmp/image.log" 2>/dev/null && break
    kill -0 "$image_pid" 2>/dev/null || { cat "$tmp/image.log" >&2; echo "bench/www: the image ended" >&2; exit 1; }
    sleep 0.1
  done
  inns curl -sS --max-time 10 -o "$tmp/1m.check" $www/1m.bin
  cmp -s "$tmp/1m.check" "$site/1m.bin" || { echo "bench/www: $www/1m.bin differs at MTU 9000" >&2; exit 1; }
  bench_file index.html ", TAP MTU 9000"
  bench_file 1m.bin ", TAP MTU 9000"
  kill -0 "$image_pid" 2>/dev/null || { echo "bench/www: the image ended during the benchmark" >&2; exit 1; }
fi
