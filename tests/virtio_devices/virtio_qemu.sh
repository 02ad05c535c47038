#!/usr/bin/env bash
# The virtio device drivers end to end in QEMU, through `unikit run --target virtio`:
#   virtio_qemu.sh CASE MACHINE     CASE: echo | www | blk | transports; MACHINE: q35 | pc | microvm
#   echo  apps/echo with --net user: a TCP round trip of 200 KB and a UDP datagram, byte-exact
#   www   apps/www with --net user: curl fetches index.html and 2048.js; the bytes match the site
#   blk   tests/virtio_devices/apps/vblk on a 4 MiB file: write + read back in one boot, the
#         host file holds the pattern, a second boot reads it back; a wrong seed is detected
# Environment: UNIKIT_BUILD_DIR (images/, tools/), UNIKIT_SRC; set by CMakeLists.txt.
# Exit status: 0 pass, 77 skipped (qemu-system-x86_64 absent), anything else fail.
set -uo pipefail
src=${UNIKIT_SRC:?}
build=${UNIKIT_BUILD_DIR:?}
case_=${1:?case}
machine=${2:?machine}
unikit=$src/unikit
images=$build/images
tmp=$(mktemp -d)
run_pid=
cleanup() {
    if [ -n "$run_pid" ]; then
        kill "$run_pid" 2>/dev/null
        for _ in $(seq 1 30); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$run_pid" 2>/dev/null
        wait "$run_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL ($case_ on $machine): $*" >&2
    [ -f "$tmp/run.log" ] && { echo "--- unikit run output (last 30 lines)" >&2; tail -n 30 "$tmp/run.log" >&2; }
    exit 1
}

qemu=${UNIKIT_QEMU:-$(command -v qemu-system-x86_64)}
if [ -n "${UNIKIT_QEMU:-}" ] && [ ! -x "$UNIKIT_QEMU" ]; then
    echo "FAIL: UNIKIT_QEMU=$UNIKIT_QEMU is not an executable" >&2
    exit 1
fi
if [ -z "$qemu" ]; then
    echo "SKIP: qemu-system-x86_64 is not installed (Debian package qemu-system-x86)" >&2
    exit 77
fi
export UNIKIT_BUILD_DIR=$build

# A free TCP+UDP port on 127.0.0.1 outside the ephemeral range (a parallel test's outgoing
# connection cannot take it).
free_port() {
    python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 30000)
    try:
        t = socket.socket(); t.bind(("127.0.0.1", p))
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
        t.close(); u.close(); print(p); break
    except OSError:
        pass
PY
}

# start IMAGE PATTERN ARGS...: `unikit run` in the background until its log shows PATTERN.
start() {
    local image=$1 pattern=$2
    shift 2
    [ -f "$image" ] || fail "$image was not built"
    : >"$tmp/run.log"
    "$unikit" run "$image" --machine "$machine" --timeout 300 "$@" >"$tmp/run.log" 2>&1 &
    run_pid=$!
    for _ in $(seq 1 600); do
        grep -q "$pattern" "$tmp/run.log" && return 0
        kill -0 "$run_pid" 2>/dev/null || fail "unikit run ended before '$pattern'"
        sleep 0.1
    done
    fail "no '$pattern' within 60 s"
}

# echo_check PORT: a TCP round trip of SIZE bytes and a UDP datagram through 127.0.0.1:PORT.
echo_check() {
    python3 - "$1" "${2:-204800}" <<'PY'
import os, socket, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
data = os.urandom(size)
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
if bytes(got) != data:
    sys.exit(f"tcp: sent {len(data)} bytes, got {len(got)} back (equal: {bytes(got) == data})")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
msg = os.urandom(1200)
for attempt in range(5):  # the first datagram may meet an unresolved ARP entry in QEMU's NAT
    u.sendto(msg, ("127.0.0.1", port))
    try:
        back, _ = u.recvfrom(4096)
    except socket.timeout:
        continue
    if back != msg:
        sys.exit("udp: the reply differs from the datagram")
    break
else:
    sys.exit("udp: no reply to 5 datagrams")
PY
}

# qemu_direct NAME PATTERN QEMU_ARGS...: QEMU in the background (console in $tmp/run.log) until
# the log shows PATTERN or QEMU ends (then the caller checks the log).
qemu_direct() {
    local name=$1 pattern=$2
    shift 2
    : >"$tmp/run.log"
    "$qemu" -accel tcg -cpu max -m 128M -smp 1 -nodefaults -no-user-config -display none -no-reboot \
        -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 "$@" >"$tmp/run.log" 2>&1 &
    run_pid=$!
    for _ in $(seq 1 600); do
        grep -q "$pattern" "$tmp/run.log" && return 0
        kill -0 "$run_pid" 2>/dev/null || { wait "$run_pid"; run_pid=; return 0; }
        sleep 0.1
    done
    fail "$name: no '$pattern' within 60 s"
}
stop_run() {
    kill "$run_pid" 2>/dev/null
    wait "$run_pid" 2>/dev/null
    run_pid=
}

case $case_ in
transports)
    for f in echo.virtio vblk.virtio; do [ -f "$images/$f" ] || fail "$images/$f was not built"; done
    variants=(
        "q35-legacy-pci|-M q35|virtio-net-pci,disable-modern=on|virtio-blk-pci,disable-modern=on"
        "q35-modern-intx|-M q35|virtio-net-pci,disable-legacy=on,vectors=0|virtio-blk-pci,disable-legacy=on,vectors=0"
        "q35-no-event-idx|-M q35|virtio-net-pci,event_idx=off|virtio-blk-pci,event_idx=off"
        "microvm-no-acpi|-M microvm,acpi=off|virtio-net-device|virtio-blk-device"
        "microvm-mmio-v2|-M microvm -global virtio-mmio.force-legacy=false|virtio-net-device,event_idx=off|virtio-blk-device"
    )
    for v in "${variants[@]}"; do
        IFS='|' read -r name machine_args netdev blkdev <<<"$v"
        # shellcheck disable=SC2086
        set -- $machine_args
        port=$(free_port)
        qemu_direct "$name echo" "listening on" "$@" -kernel "$images/echo.virtio" \
            -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:7,hostfwd=udp:127.0.0.1:$port-:7" \
            -device "$netdev,netdev=n0"
        grep -q "listening on" "$tmp/run.log" || fail "$name: echo did not start"
        echo_check "$port" 65536 || fail "$name: echo round trip"
        stop_run
        disk=$tmp/disk.img
        rm -f "$disk"
        truncate -s 4M "$disk"
        # The image ends QEMU through isa-debug-exit: status (0 << 1) | 1 = 1 when vblk returns 0.
        timeout 120 "$qemu" -accel tcg -cpu max -m 128M -smp 1 -nodefaults -no-user-config -display none \
            -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 "$@" \
            -kernel "$images/vblk.virtio" -append "rw 5" \
            -drive "file=$disk,if=none,id=d0,format=raw" -device "$blkdev,drive=d0" >"$tmp/run.log" 2>&1
        rc=$?
        [ "$rc" = 1 ] || fail "$name: vblk rw: QEMU exit status $rc, expected 1 (image status 0)"
        grep -q "vblk: capacity 4194304 block 512 rw ok" "$tmp/run.log" || fail "$name: vblk rw"
        echo "ok: $name"
    done
    ;;
echo)
    port=$(free_port)
    start "$images/echo.virtio" "listening on" --net user -p "127.0.0.1:$port:7" -p "127.0.0.1:$port:7/udp"
    echo_check "$port" || fail "echo round trip"
    ;;
www)
    port=$(free_port)
    start "$images/www.virtio" "serving" --net user -p "127.0.0.1:$port:80"
    for f in index.html 2048.js; do
        curl -sS --max-time 30 -o "$tmp/$f" "http://127.0.0.1:$port/$f" || fail "curl $f"
        cmp -s "$tmp/$f" "$src/apps/www/site/$f" || fail "$f differs from apps/www/site/$f"
    done
    ;;
blk)
    disk=$tmp/disk.img
    truncate -s 4M "$disk"
    "$unikit" run "$images/vblk.virtio" --machine "$machine" --timeout 120 --block "storage=$disk" -- rw 7 \
        >"$tmp/run.log" 2>&1 || fail "rw: exit status $?"
    grep -q "vblk: capacity 4194304 block 512 rw ok" "$tmp/run.log" || fail "rw: no success line"
    # The host file holds what the image wrote (block 1, 600 KiB from block 3, the last block).
    python3 - "$disk" <<'PY' || fail "the disk file does not hold the pattern"
import sys
d = open(sys.argv[1], "rb").read()
def pat(o): return (o * 131 + 7 + (o >> 9)) & 0xff
for off, n in ((512, 512), (3 * 512, 600 * 1024), (len(d) - 512, 512)):
    for o in range(off, off + n, 97):
        if d[o] != pat(o):
            sys.exit(f"byte at {o} is {d[o]}, expected {pat(o)}")
if any(d[0:512]) or any(d[1024:1536]):
    sys.exit("blocks 0 and 2 were written to")
PY
    "$unikit" run "$images/vblk.virtio" --machine "$machine" --timeout 120 --block "storage=$disk" -- check 7 \
        >"$tmp/run.log" 2>&1 || fail "check after reboot: exit status $?"
    "$unikit" run "$images/vblk.virtio" --machine "$machine" --timeout 120 --block "storage=$disk" -- check 8 \
        >"$tmp/run.log" 2>&1
    rc=$?
    [ "$rc" = 41 ] || fail "check with the wrong seed: exit status $rc, expected 41"
    ;;
*) fail "unknown case" ;;
esac
echo "PASS: $case_ on $machine"
