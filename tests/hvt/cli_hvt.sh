#!/usr/bin/env bash
# The `unikit` command with the hvt target, through the root ./unikit wrapper.
#   cli_hvt.sh CASE       (environment: UNIKIT_BUILD_DIR, UNIKIT_SRC; set by CMakeLists.txt)
# Exit status: 0 pass, 77 skipped (KVM not usable here), anything else fail.
set -uo pipefail
src=${UNIKIT_SRC:?}
build=${UNIKIT_BUILD_DIR:?}
unikit=$src/unikit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run_cmd() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

if ! why=$("$build/tools/unikit-hvt" --check-kvm 2>&1); then
  echo "SKIP: KVM not usable: $why" >&2
  exit 77
fi

case ${1:?case} in
hvt_targets)
  run_cmd "$unikit" targets
  [ "$rc" = 0 ] || fail "exit status $rc"
  grep -qE '^hvt +available ' "$tmp/out" || fail "hvt not available: $(cat "$tmp/out")"
  ;;
hvt_hello)
  # The same app source on the hvt target: the same lines as on unix, exit 0.
  cd "$src"
  run_cmd ./unikit run apps/hello --target hvt -- Bonjour Monde --sleep-ms 5
  [ "$rc" = 0 ] || fail "exit status $rc (stderr: $(cat "$tmp/err"))"
  expected=""
  for i in 1 2 3 4; do expected+="Bonjour"$'\n'"Monde"$'\n'; done
  [ "$(cat "$tmp/out")"$'\n' = "$expected" ] || fail "stdout: $(cat "$tmp/out")"
  ;;
hvt_abnormal_end)
  check=$build/images/hvtcheck.hvt
  [ -f "$check" ] || fail "$check was not built"
  run_cmd "$unikit" run "$check" -- write-code
  [ "$rc" = 139 ] || fail "write to code: exit status $rc, expected 139"
  grep -q "page fault at 0x.*write to code (W^X)" "$tmp/err" || fail "no monitor report: $(cat "$tmp/err")"
  grep -q "memory fault (SIGSEGV)" "$tmp/err" || fail "no unikit report: $(cat "$tmp/err")"
  run_cmd "$unikit" run "$check" -- panic
  [ "$rc" = 112 ] || fail "panic: exit status $rc, expected 112"
  run_cmd "$unikit" run --timeout 1 "$check" -- loop
  [ "$rc" = 124 ] || fail "loop under --timeout: exit status $rc, expected 124"
  run_cmd "$unikit" run "$check" -- exit 3
  [ "$rc" = 3 ] || fail "exit 3: exit status $rc"
  [ ! -s "$tmp/err" ] || fail "a normal non-zero exit needs no report: $(cat "$tmp/err")"
  ;;
*) fail "unknown case $1" ;;
esac
