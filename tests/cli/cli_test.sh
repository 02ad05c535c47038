#!/usr/bin/env bash
# Integration tests of the `unikit` command and of unix images, through the root ./unikit wrapper.
#
#   cli_test.sh CASE
#
# Environment (set by tests/cli/CMakeLists.txt): UNIKIT_BUILD_DIR = the CTest build dir (so the
# wrapper and `unikit run` reuse it instead of building another tree), UNIKIT_SRC = source root.
# Exit status: 0 pass, 77 skipped, anything else fail (with a message on stderr).
set -uo pipefail

src=${UNIKIT_SRC:?}
build=${UNIKIT_BUILD_DIR:?}
unikit=$src/unikit
hello=$build/images/hello.unix
probe=$build/images/devprobe.unix
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# run_cmd CMD...: runs CMD with stdout -> $tmp/out, stderr -> $tmp/err; sets $rc.
run_cmd() {
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

# expect_usage_error PATTERN: exit 2, nothing on stdout, exactly one line on stderr that starts
# with "unikit: error: " (or "IMAGE: error: ") and matches PATTERN.
expect_one_line_error() {
  local prefix=$1 pattern=$2
  [ "$rc" = 2 ] || fail "exit status $rc, expected 2 (stderr: $(cat "$tmp/err"))"
  [ ! -s "$tmp/out" ] || fail "unexpected stdout: $(cat "$tmp/out")"
  [ "$(wc -l <"$tmp/err")" = 1 ] || fail "expected one line on stderr, got: $(cat "$tmp/err")"
  grep -q "^$prefix: error: " "$tmp/err" || fail "stderr does not start with '$prefix: error: ': $(cat "$tmp/err")"
  grep -qE -- "$pattern" "$tmp/err" || fail "stderr does not match /$pattern/: $(cat "$tmp/err")"
}

expect_lines() {  # expect_lines WORD1 WORD2: stdout is WORD1/WORD2 alternating, 8 lines
  local expected=""
  for i in 1 2 3 4; do expected+="$1"$'\n'"$2"$'\n'; done
  [ "$(cat "$tmp/out"; echo x)" = "${expected}x" ] || fail "stdout was: $(cat "$tmp/out")"
}

case "${1:?case}" in
hello_default)
  # The real thing: 8 lines, a second apart (about 7 s), exit 0. Run from another directory.
  cd /
  start=$(date +%s%N)
  run_cmd "$unikit" run "$src/apps/hello" --target unix
  end=$(date +%s%N)
  [ "$rc" = 0 ] || fail "exit status $rc (stderr: $(cat "$tmp/err"))"
  expect_lines Hello World
  elapsed_ms=$(( (end - start) / 1000000 ))
  [ "$elapsed_ms" -ge 6900 ] || fail "finished in ${elapsed_ms} ms; expected about 7 s of sleeps"
  ;;
hello_args)
  cd "$src"
  run_cmd ./unikit run apps/hello -- Bonjour Monde --sleep-ms 5
  [ "$rc" = 0 ] || fail "exit status $rc (stderr: $(cat "$tmp/err"))"
  expect_lines Bonjour Monde
  # The image run directly, app args after --; and the first non-option also starts them.
  run_cmd "$hello" -- Hi There --sleep-ms 1
  [ "$rc" = 0 ] || fail "image: exit status $rc"
  expect_lines Hi There
  run_cmd "$hello" Hi --sleep-ms 1
  [ "$rc" = 0 ] || fail "image: exit status $rc"
  expect_lines Hi World
  # An image path given to `unikit run`.
  run_cmd "$unikit" run "$hello" -- --sleep-ms 1
  [ "$rc" = 0 ] || fail "run IMAGE: exit status $rc"
  expect_lines Hello World
  ;;
spt_hello)
  # The same app source on the spt target: the same lines, exit 0.
  cd "$src"
  run_cmd ./unikit run apps/hello --target spt -- Bonjour Monde --sleep-ms 5
  [ "$rc" = 0 ] || fail "exit status $rc (stderr: $(cat "$tmp/err"))"
  expect_lines Bonjour Monde
  ;;
spt_abnormal_end)
  # `unikit run` explains how an image ended when it did not end normally.
  check=$build/images/sptcheck.spt
  [ -f "$check" ] || fail "$check was not built"
  run_cmd "$unikit" run "$check" -- syscall
  [ "$rc" = 159 ] || fail "forbidden syscall: exit status $rc, expected 159 (128+SIGSYS)"
  grep -q "killed by the sandbox.*forbids (SIGSYS)" "$tmp/err" || fail "no sandbox report: $(cat "$tmp/err")"
  run_cmd "$unikit" run "$check" -- segv
  [ "$rc" = 139 ] || fail "write to code: exit status $rc, expected 139"
  grep -q "memory fault (SIGSEGV)" "$tmp/err" || fail "no fault report: $(cat "$tmp/err")"
  run_cmd "$unikit" run "$check" -- panic
  [ "$rc" = 112 ] || fail "panic: exit status $rc, expected 112"
  grep -q "^PANIC at .*sptcheck asked for a panic" "$tmp/out" "$tmp/err" || fail "no PANIC line"
  grep -q "ended abnormally (panic or abort, status 112" "$tmp/err" || fail "no abort report: $(cat "$tmp/err")"
  run_cmd "$unikit" run "$check" -- exit 3
  [ "$rc" = 3 ] || fail "exit 3: exit status $rc"
  [ ! -s "$tmp/err" ] || fail "a normal non-zero exit needs no report: $(cat "$tmp/err")"
  ;;
build_prints_image)
  run_cmd "$unikit" build "$src/apps/hello" --target unix
  [ "$rc" = 0 ] || fail "exit status $rc (stderr: $(cat "$tmp/err"))"
  [ "$(cat "$tmp/out")" = "$hello" ] || fail "stdout was '$(cat "$tmp/out")', expected '$hello'"
  ;;
missing_app)
  run_cmd "$unikit" run "$src/apps/nope"
  expect_one_line_error unikit "apps/nope"
  run_cmd "$unikit" build "$tmp"
  expect_one_line_error unikit "no CMakeLists.txt"
  ;;
unknown_target)
  run_cmd "$unikit" build "$src/apps/hello" --target mars
  expect_one_line_error unikit "unknown target 'mars'"
  run_cmd "$unikit" run "$src/apps/hello" --target mars
  expect_one_line_error unikit "unknown target 'mars'"
  run_cmd "$unikit" run "$hello" --target spt
  expect_one_line_error unikit "built for target unix, not spt"
  ;;
bad_flags)
  run_cmd "$unikit" run "$src/apps/hello" --frobnicate
  expect_one_line_error unikit "unknown option '--frobnicate'"
  run_cmd "$unikit" --frobnicate
  expect_one_line_error unikit "unknown option '--frobnicate'"
  run_cmd "$unikit" frobnicate
  expect_one_line_error unikit "unknown command 'frobnicate'"
  run_cmd "$unikit" build
  expect_one_line_error unikit "missing APP_DIR"
  run_cmd "$unikit" run "$src/apps/hello" --timeout soon
  expect_one_line_error unikit "--timeout 'soon'"
  run_cmd "$unikit" run "$src/apps/hello" --net
  expect_one_line_error unikit "--net needs a value"
  run_cmd "$unikit" run "$src/apps/hello" --net wifi:wlan0
  expect_one_line_error unikit "unknown network backend"
  run_cmd "$unikit"
  expect_one_line_error unikit "missing command"
  run_cmd "$hello" --frobnicate
  expect_one_line_error hello.unix "unknown option '--frobnicate'"
  ;;
devices_unexpected)
  run_cmd "$unikit" run "$src/apps/hello" --net service=tap:uk0
  expect_one_line_error unikit "unexpected device 'service'"
  run_cmd "$unikit" run "$hello" --block "$tmp/disk"
  expect_one_line_error unikit "unexpected block device"
  # The image checks by itself too.
  run_cmd "$hello" --block data="$tmp/disk"
  expect_one_line_error hello.unix "unexpected device 'data'"
  ;;
devices_missing)
  truncate -s 4096 "$tmp/disk"
  # (Through unikit, a missing net device defaults to --net user: tests/usernet default_net.)
  run_cmd "$unikit" run "$probe" --net service=tap:uk0
  expect_one_line_error unikit "missing device 'storage' \(block\)"
  run_cmd "$probe" --block "$tmp/disk"
  expect_one_line_error devprobe.unix "missing device 'service' \(net\)"
  run_cmd "$probe" --net tap:uk0
  expect_one_line_error devprobe.unix "missing device 'storage' \(block\)"
  run_cmd "$unikit" run "$probe" --net storage=tap:uk0 --block "$tmp/disk"
  expect_one_line_error unikit "device 'storage' is a block device"
  run_cmd "$unikit" run "$probe" --net service=tap:uk0 --block storage="$tmp/nonexistent" --net extra=tap:uk1
  expect_one_line_error unikit "unexpected device 'extra'"
  ;;
devices_attach)
  # Needs root for the TAP device; runs in a private network namespace.
  if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then echo "skip: needs root and /dev/net/tun" >&2; exit 77; fi
  unshare -n true 2>/dev/null || { echo "skip: cannot create a network namespace" >&2; exit 77; }
  truncate -s 1000 "$tmp/disk"
  run_cmd unshare -n "$unikit" run "$probe" --net tap:uk0,mac=02:00:00:00:00:2a --block "$tmp/disk"
  [ "$rc" = 0 ] || fail "exit status $rc (stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err"))"
  grep -qx "service: net mtu=1500 mac=02:00:00:00:00:2a" "$tmp/out" || fail "stdout: $(cat "$tmp/out")"
  grep -qx "storage: block size=512 capacity=512" "$tmp/out" || fail "stdout: $(cat "$tmp/out")"
  grep -qx "storage: ok" "$tmp/out" || fail "stdout: $(cat "$tmp/out")"
  [ "$(head -c 17 "$tmp/disk")" = "devprobe was here" ] || fail "the block write did not reach the file"
  # A block file that cannot be opened: exit 2, one line naming the device.
  run_cmd unshare -n "$probe" --net tap:uk0 --block "$tmp/nonexistent"
  expect_one_line_error devprobe.unix "device 'storage': cannot open"
  ;;
inspect)
  run_cmd "$unikit" inspect "$hello"
  [ "$rc" = 0 ] || fail "exit status $rc (stderr: $(cat "$tmp/err"))"
  grep -qx "target:   unix" "$tmp/out" || fail "no 'target: unix' in: $(cat "$tmp/out")"
  grep -qx "app:      hello" "$tmp/out" || fail "no 'app: hello' in: $(cat "$tmp/out")"
  grep -qx "devices:  none" "$tmp/out" || fail "no 'devices: none' in: $(cat "$tmp/out")"
  grep -q "^abi:      2" "$tmp/out" || fail "no abi line in: $(cat "$tmp/out")"
  grep -qE "^size:     [0-9]+ bytes \(file\), [0-9]+ bytes \(loaded\)" "$tmp/out" || fail "no size in: $(cat "$tmp/out")"
  run_cmd "$unikit" inspect "$probe"
  [ "$rc" = 0 ] || fail "exit status $rc"
  grep -qE "^  service +net " "$tmp/out" || fail "no service device in: $(cat "$tmp/out")"
  grep -qE "^  storage +block " "$tmp/out" || fail "no storage device in: $(cat "$tmp/out")"
  echo "not an image" >"$tmp/junk"
  run_cmd "$unikit" inspect "$tmp/junk"
  expect_one_line_error unikit "junk"
  run_cmd "$unikit" inspect "$tmp/missing"
  expect_one_line_error unikit "missing"
  ;;
help)
  run_cmd "$unikit" --help
  [ "$rc" = 0 ] || fail "--help: exit status $rc"
  for c in build run inspect targets help; do grep -qE "^  $c " "$tmp/out" || fail "--help does not list $c"; done
  run_cmd "$unikit" help run
  [ "$rc" = 0 ] || fail "help run: exit status $rc"
  for f in --target --net --block --timeout tap:IFNAME "\[NAME=\]FILE"; do
    grep -q -- "$f" "$tmp/out" || fail "help run does not describe $f"
  done
  run_cmd "$unikit" build --help
  [ "$rc" = 0 ] && grep -q -- "--target" "$tmp/out" || fail "build --help"
  run_cmd "$unikit" help nope
  expect_one_line_error unikit "unknown command 'nope'"
  run_cmd "$hello" --help
  [ "$rc" = 0 ] && grep -q -- "--block" "$tmp/out" || fail "image --help"
  ;;
targets)
  run_cmd "$unikit" targets
  [ "$rc" = 0 ] || fail "exit status $rc"
  grep -qE "^unix +available " "$tmp/out" || fail "unix not available: $(cat "$tmp/out")"
  for t in spt hvt virtio; do grep -qE "^$t " "$tmp/out" || fail "$t not listed"; done
  ;;
timeout)
  run_cmd "$unikit" run "$hello" --timeout 0.5
  [ "$rc" = 124 ] || fail "exit status $rc, expected 124"
  grep -q "timed out after 0.5 s" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
  [ "$(head -1 "$tmp/out")" = Hello ] || fail "stdout: $(cat "$tmp/out")"
  ;;
app_usage)
  run_cmd "$hello" -- a b c
  [ "$rc" = 2 ] || fail "exit status $rc"
  grep -q "^usage: hello" "$tmp/out" || fail "stdout: $(cat "$tmp/out")"
  ;;
*)
  fail "unknown case $1"
  ;;
esac
exit 0
