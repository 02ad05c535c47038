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
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init usernet
secs=${UNIKIT_BENCH_SECONDS:-5}
conns=${UNIKIT_BENCH_CONNS:-8}
unikit=$build/tools/unikit/unikit
[ -x "$unikit" ] || unikit=$root/unikit
command -v wrk >/dev/null || { bench_say "wrk is needed (apt-get install wrk)"; exit 1; }
[ -x "$build/tools/netd/unikit-netd" ] || { bench_say "unikit-netd not built (libslirp-dev)"; exit 1; }

bench_netns ukunet ukutap0 10.79.0
[ $tap_ok = 1 ] || bench_say "no root or /dev/net/tun: measuring --net user only"

# start IMAGE NETNS|"" unikit-run-flags...: www, until its "serving" line.
start() {
  local img=$1 where=$2
  shift 2
  bench_start www.log serving "$where" timeout -k 2 600 "$unikit" run "$img" "$@"
}

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

for target in unix spt; do
  img=$build/images/www.$target
  [ -f "$img" ] || { bench_say "no $img, skipping $target"; continue; }
  port=$(bench_free_port)
  start "$img" "" --net user -p "$port:80"
  read -r u_rps u_lat < <(bench "http://127.0.0.1:$port/")
  bench_stop
  if [ $tap_ok = 1 ]; then
    start "$img" "$ns" --net tap:ukutap0 --ipv4 10.79.0.2/24
    read -r t_rps t_lat < <(bench "http://10.79.0.2/" "$ns")
    bench_stop
    bench_row "www GET / $target, $conns conns (--net user)" "$u_rps" req/s "--net tap" "$t_rps"
    bench_row "www GET / $target p50 latency (--net user)" "$u_lat" ms "--net tap" "$t_lat"
  else
    bench_row "www GET / $target, $conns conns (--net user)" "$u_rps" req/s
    bench_row "www GET / $target p50 latency (--net user)" "$u_lat" ms
  fi
done
