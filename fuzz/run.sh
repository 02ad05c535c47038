#!/usr/bin/env bash
# Build and run the wire fuzzers (libFuzzer, ASan + UBSan).
#   fuzz/run.sh [--seconds N] [--build-dir DIR] [TARGET...]
# TARGET is a name like "dhcp" or "fuzz_dhcp" (default: every fuzz/fuzz_*.cpp). Each target runs
# for N seconds (default 10) on a corpus under the build dir, seeded from fuzz/corpus/<name>/.
# Fails on any crash, leak, timeout or sanitizer report; crashing inputs are kept under
# <build dir>/artifacts/<name>/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=10
build="${UNIKIT_FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --build-dir) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("${1#fuzz_}"); shift ;;
  esac
done
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$here"/fuzz_*.cpp; do n=$(basename "$f" .cpp); targets+=("${n#fuzz_}"); done
fi

cxx="${CXX_FUZZ:-$(command -v clang++ || true)}"
[[ -n "$cxx" ]] || { echo "fuzz/run.sh: clang++ not found" >&2; exit 2; }

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$here" -B "$build" "${gen[@]}" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
fi
names=()
for t in "${targets[@]}"; do names+=("fuzz_$t"); done
cmake --build "$build" -j2 --target "${names[@]}"

status=0
summary=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  dirs=("$corpus")
  [[ -d "$here/corpus/$t" ]] && dirs+=("$here/corpus/$t")
  log="$build/fuzz_$t.log"
  echo "== fuzz_$t: ${seconds}s"
  set +e
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}" \
    "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [[ $rc -ne 0 ]]; then
    echo "FAIL fuzz_$t (exit $rc); log: $log"
    grep -E 'ERROR|FUZZ_CHECK|runtime error|Test unit written' "$log" | head -20 || true
    status=1
    summary+=("fuzz_$t: FAIL")
  else
    summary+=("fuzz_$t: ok, ${execs:-?} execs in ${seconds}s, ${cov:-cov ?}, corpus $(ls "$corpus" | wc -l)")
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
