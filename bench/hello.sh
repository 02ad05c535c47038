#!/usr/bin/env bash
# hello: image sizes and time from `unikit run IMAGE` (a built image) to its first console line,
# median of 50 runs, for every target this machine can run. The unix target is the peer.
# Run through bench/run (it builds the Release configuration first).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
unikit=$build/tools/unikit/unikit
first_line=$build/bench/first-line
runs=${BENCH_RUNS:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

targets=(unix)
"$unikit" targets | awk '$1=="spt" && $2=="available"{f=1} END{exit !f}' || "$unikit" build "$root/apps/hello" --target spt >/dev/null 2>&1 || true
for t in spt hvt virtio; do
  if "$unikit" targets | awk -v t="$t" '$1==t && $2=="available"{f=1} END{exit !f}'; then targets+=("$t"); fi
done

declare -A size boot
for t in "${targets[@]}"; do
  img=$("$unikit" build "$root/apps/hello" --target "$t" 2>/dev/null) || { echo "hello.sh: cannot build hello.$t" >&2; continue; }
  cp "$img" "$tmp/hello.$t" && strip "$tmp/hello.$t" 2>/dev/null || true
  size[$t]=$(stat -c %s "$tmp/hello.$t")
  boot[$t]=$("$first_line" -n "$runs" -- "$unikit" run "$img" | awk '{print $1}')
  if [ "$t" = virtio ]; then  # the default machine is q35; microvm too
    size[virtio-microvm]=${size[$t]}
    boot[virtio-microvm]=$("$first_line" -n "$runs" -- "$unikit" run "$img" --machine microvm | awk '{print $1}')
  fi
done
[ -n "${boot[virtio-microvm]:-}" ] && targets+=(virtio-microvm)

for t in "${targets[@]}"; do
  [ -n "${size[$t]:-}" ] || continue
  if [ "$t" = unix ]; then
    printf 'ROW\thello.%s stripped size\t%s\tbytes\n' "$t" "${size[$t]}"
    printf 'ROW\thello.%s unikit run -> first line (median/%s)\t%s\tus\n' "$t" "$runs" "${boot[$t]}"
  else
    printf 'ROW\thello.%s stripped size\t%s\tbytes\thello.unix\t%s\n' "$t" "${size[$t]}" "${size[unix]}"
    printf 'ROW\thello.%s unikit run -> first line (median/%s)\t%s\tus\thello.unix\t%s\n' "$t" "$runs" "${boot[$t]}" "${boot[unix]}"
  fi
done
