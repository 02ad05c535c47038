#!/usr/bin/env bash
# hvt benchmarks: image size and boot time of hello on hvt, beside spt and unix, in the same run.
#   ROW <metric> <value> <unit> <peer> <peer value>   (tab-separated, see bench/run)
# Boot time is measured from starting `unikit run IMAGE` to the image's first console line
# (bench/first-line, median of UNIKIT_BENCH_RUNS, default 50); hello runs with --sleep-ms 0.
# Run by bench/run, or alone: UNIKIT_BUILD_DIR=build bench/hvt.sh (after building that tree
# with hvt in UNIKIT_TARGETS). Prints nothing (and says why on stderr) when KVM is unusable.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${UNIKIT_BUILD_DIR:-$root/build}
runs=${UNIKIT_BENCH_RUNS:-50}
hvt_img=$build/images/hello.hvt
spt_img=$build/images/hello.spt
unix_img=$build/images/hello.unix
monitor=$build/tools/unikit-hvt
unikit=$build/tools/unikit/unikit
first_line=$build/bench/first-line
for f in "$hvt_img" "$monitor"; do  # a tree configured before hvt was a default target
  [ -e "$f" ] || { echo "bench/hvt: skipped: no $f (configure $build with hvt in UNIKIT_TARGETS)" >&2; exit 0; }
done
for f in "$spt_img" "$unix_img" "$unikit" "$first_line"; do
  [ -e "$f" ] || { echo "bench/hvt: missing $f (build $build first)" >&2; exit 1; }
done
if ! why=$("$monitor" --check-kvm 2>&1); then
  echo "bench/hvt: skipped: $why" >&2
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in hvt spt unix; do strip -o "$tmp/hello.$t" "$build/images/hello.$t"; done
kib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1024 }'; }
row() { printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
row "hello stripped image size (hvt)" "$(kib "$tmp/hello.hvt")" KiB "hello.spt stripped" "$(kib "$tmp/hello.spt")"
row "hello stripped image size (hvt)" "$(kib "$tmp/hello.hvt")" KiB "hello.unix stripped" "$(kib "$tmp/hello.unix")"

export UNIKIT_BUILD_DIR=$build
boot() { "$first_line" -n "$runs" -- "$unikit" run "$tmp/hello.$1" -- --sleep-ms 0; }
hvt_boot=$(boot hvt)
spt_boot=$(boot spt)
unix_boot=$(boot unix)
row "hello 'unikit run' to first line, median of $runs (hvt)" "${hvt_boot%% *}" us "hello.spt" "${spt_boot%% *}"
row "hello 'unikit run' to first line, median of $runs (hvt)" "${hvt_boot%% *}" us "hello.unix" "${unix_boot%% *}"
echo "bench/hvt: median/min/max/runs (us): hvt $hvt_boot; spt $spt_boot; unix $unix_boot" >&2
