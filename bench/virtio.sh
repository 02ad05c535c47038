#!/usr/bin/env bash
# virtio benchmarks: hello's stripped image size, and the time from `unikit run IMAGE` to its
# first console line (bench/first-line, median of UNIKIT_BENCH_RUNS, default 50; hello runs with
# --sleep-ms 0) for virtio on q35 and on microvm (QEMU, TCG), beside unix, spt and hvt measured
# in the same run. Rows (tab-separated, see bench/run): ROW <metric> <value> <unit> <peer> <value>.
# Run by bench/run, or alone: UNIKIT_BUILD_DIR=build bench/virtio.sh (after building that tree
# with virtio in UNIKIT_TARGETS). Prints nothing (and says why on stderr) without QEMU.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
runs=${UNIKIT_BENCH_RUNS:-50}
unikit=$build/tools/unikit/unikit
first_line=$build/bench/first-line
img=$build/images/hello
[ -e "$img.virtio" ] || { echo "bench/virtio: skipped: no $img.virtio (configure $build with virtio in UNIKIT_TARGETS)" >&2; exit 0; }
for f in "$img.unix" "$unikit" "$first_line"; do
  [ -e "$f" ] || { echo "bench/virtio: missing $f (build $build first)" >&2; exit 1; }
done
if ! command -v "${UNIKIT_QEMU:-qemu-system-x86_64}" >/dev/null; then
  echo "bench/virtio: skipped: qemu-system-x86_64 is not installed (package qemu-system-x86)" >&2
  exit 0
fi

export UNIKIT_BUILD_DIR=$build
peers=(unix)
[ -e "$img.spt" ] && [ -e "$build/tools/unikit-spt" ] && peers+=(spt)
if [ -e "$img.hvt" ] && [ -e "$build/tools/unikit-hvt" ] && "$build/tools/unikit-hvt" --check-kvm >/dev/null 2>&1; then
  peers+=(hvt)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1024 }'; }
row() { printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
for t in virtio "${peers[@]}"; do strip -o "$tmp/hello.$t" "$img.$t"; done
for p in "${peers[@]}"; do
  row "hello stripped image size (virtio)" "$(kib "$tmp/hello.virtio")" KiB "hello.$p stripped" "$(kib "$tmp/hello.$p")"
done

boot() { "$first_line" -n "$runs" -- "$unikit" run "$tmp/hello.$1" "${@:2}" -- --sleep-ms 0; }
declare -A t
t[q35]=$(boot virtio --machine q35)
t[microvm]=$(boot virtio --machine microvm)
for p in "${peers[@]}"; do t[$p]=$(boot "$p"); done
for m in q35 microvm; do
  for p in "${peers[@]}"; do
    row "hello 'unikit run' to first line, median of $runs (virtio $m)" "${t[$m]%% *}" us "hello.$p" "${t[$p]%% *}"
  done
done
msg="bench/virtio: median/min/max/runs (us):"
for k in q35 microvm "${peers[@]}"; do msg+=" $k ${t[$k]};"; done
echo "$msg" >&2
