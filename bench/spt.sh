#!/usr/bin/env bash
# spt benchmarks: image size and boot time of hello, spt against unix, in the same run.
#   ROW <metric> <value> <unit> <peer> <peer value>   (tab-separated, see bench/run)
# Run by bench/run, or alone: UNIKIT_BUILD_DIR=build bench/spt.sh (after building that tree).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
runs=${UNIKIT_BENCH_RUNS:-100}
spt_img=$build/images/hello.spt
unix_img=$build/images/hello.unix
tender=$build/tools/unikit-spt
first_line=$build/bench/first-line
for f in "$spt_img" "$unix_img" "$tender" "$first_line"; do
  [ -x "$f" ] || { echo "bench/spt: missing $f (build $build first)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
strip -o "$tmp/hello.spt" "$spt_img"
strip -o "$tmp/hello.unix" "$unix_img"
spt_size=$(stat -c %s "$tmp/hello.spt")
unix_size=$(stat -c %s "$tmp/hello.unix")
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "hello stripped image size (spt; goal < 64)" "$(kib "$spt_size")" KiB \
  "hello.unix stripped" "$(kib "$unix_size")"

# Boot: from starting the tender to the first console line (the image prints at once).
spt_boot=$("$first_line" -n "$runs" -- "$tender" "$tmp/hello.spt")
unix_boot=$("$first_line" -n "$runs" -- "$tmp/hello.unix")
printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "hello start to first line, median of $runs (spt)" "${spt_boot%% *}" us \
  "hello.unix" "${unix_boot%% *}"
echo "bench/spt: spt boot median/min/max/runs: $spt_boot; unix: $unix_boot" >&2
