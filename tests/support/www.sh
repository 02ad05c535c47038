# Sourced by the tests that run the www unikernel (tests/browser/www_test.sh,
# tests/www/www_hostile.sh): the output directory, skip/fail, cleanup, and starting the image on
# host sockets or in a private network namespace with a TAP device, until it says it serves.
#
#   source tests/support/www.sh
#   www_init OUTDIR                       fresh OUTDIR; fail/skip/cleanup set up (trap on EXIT)
#   www_start TARGET MODE NET NSTAG [APP_ARGS...]
#       TARGET  unix | spt ...; the image is $IMAGES/www.TARGET
#       MODE    socket  (unix only) `--net service=socket,map=80:PORT` on a free localhost port
#               tap     namespace ukt-NSTAG-TARGET-PID, TAP uktap0 with NET.1/24 on the Linux
#                       side, the image at NET.2/24 on its own stack (root, /dev/net/tun)
#       NET     the first three octets of the tap subnet, e.g. 10.78.0
#   After www_start: image_pid, host, port (80 on tap), ready (the line's pattern), and run, a
#   command prefix (an array) for what must run where the image's network is.
# Exit statuses of the calling test: 0 pass, 1 fail, 77 skip. Environment: UNIKIT, IMAGES.

skip() { echo "SKIP: $*"; exit 77; }
fail() {
    echo "FAIL: $*"
    if [ -f "$out/image.log" ]; then echo "--- image log (last 30 lines)"; tail -n 30 "$out/image.log"; fi
    exit 1
}
www_cleanup() {
    if [ -n "$image_pid" ]; then
        kill "$image_pid" 2>/dev/null && { sleep 0.3; kill -9 "$image_pid" 2>/dev/null; }
        wait "$image_pid" 2>/dev/null
    fi
    [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
}

www_init() {
    out=${1:?outdir}
    image_pid=
    ns=
    run=()
    rm -rf "$out"
    mkdir -p "$out" || exit 1
    trap www_cleanup EXIT
    trap 'exit 1' INT TERM
}

www_start() {
    local target=${1:?target} mode=${2:?mode} net=${3:?net} nstag=${4:?nstag}
    shift 4
    local image=$IMAGES/www.$target
    [ -f "$image" ] || fail "no image $image"
    local app=()
    [ $# -gt 0 ] && app=(-- "$@")
    case $mode in
    socket)
        [ "$target" = unix ] || skip "host sockets are for the unix target only"
        port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
        for _ in 1 2 3 4 5 6 7 8; do
            port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
            port_in_use "$port" || break
        done
        timeout -k 2 300 "$UNIKIT" run "$image" --net "service=socket,map=80:$port" "${app[@]}" \
            >"$out/image.log" 2>&1 &
        image_pid=$!
        ready="serving [0-9]+ files on tcp port 80"
        host=127.0.0.1
        ;;
    tap)
        [ "$(id -u)" = 0 ] || skip "needs root (network namespace, TAP)"
        [ -c /dev/net/tun ] || skip "no /dev/net/tun"
        command -v ip >/dev/null || skip "missing ip"
        ns=ukt-$nstag-$target-$$
        local tap=uktap0
        ip netns add "$ns" || fail "cannot create namespace $ns"
        run=(ip netns exec "$ns")
        "${run[@]}" ip link set lo up
        "${run[@]}" ip tuntap add dev $tap mode tap || fail "cannot create TAP"
        "${run[@]}" ip addr add "$net.1/24" dev $tap
        "${run[@]}" ip link set $tap up
        "${run[@]}" timeout -k 2 300 "$UNIKIT" run "$image" --net service=tap:$tap --ipv4 "$net.2/24" \
            "${app[@]}" >"$out/image.log" 2>&1 &
        image_pid=$!
        ready="serving [0-9]+ files on http://${net//./\\.}\\.2:80/"
        host=$net.2
        port=80
        ;;
    *)
        echo "unknown mode $mode"
        exit 2
        ;;
    esac

    local i
    for ((i = 0; i < 150; i++)); do
        grep -Eq "$ready" "$out/image.log" 2>/dev/null && break
        if ! kill -0 "$image_pid" 2>/dev/null; then
            grep -q "not implemented" "$out/image.log" && skip "$(grep -m1 "not implemented" "$out/image.log")"
            fail "the image ended early"
        fi
        sleep 0.1
    done
    grep -Eq "$ready" "$out/image.log" || fail "no '$ready' from the image within 15 s"
    echo "ok: $(grep -Em1 "$ready" "$out/image.log")"
}
