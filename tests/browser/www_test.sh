#!/usr/bin/env bash
# Runs the www unikernel and the browser test against it.
#
#   www_test.sh TARGET MODE OUTDIR      TARGET: unix | spt     MODE: socket | tap
#
#   socket  (unix only) host sockets: `--net service=socket,map=80:PORT` on a free localhost
#           port; no root needed.
#   tap     a private network namespace with a TAP device (Linux side 10.78.0.1/24, image
#           10.78.0.2/24 on its own TCP/IP stack); the browser runs inside the namespace.
#           Needs root and /dev/net/tun.
# Before the browser, curl checks /, /status (JSON counters), a 404 and a gzip variant. The
# screenshots and logs stay in OUTDIR. Exit 0 pass, 1 fail, 77 skip.
# Environment: UNIKIT (the unikit command), IMAGES (image directory), UNIKIT_BUILD_DIR.
set -u
target=${1:?target}
mode=${2:?mode}
out=${3:?outdir}
: "${UNIKIT:?}" "${IMAGES:?}"
here=$(cd "$(dirname "$0")" && pwd)

source "$here/../support/www.sh"
command -v curl >/dev/null || skip "missing curl"
command -v chromium >/dev/null && command -v chromedriver >/dev/null ||
    skip "chromium and chromedriver are needed (Debian: chromium chromium-driver)"

www_init "$out"
www_start "$target" "$mode" 10.78.0 www
base="http://$host:$port/"

# curl: the pages, /status, a 404, gzip.
c() { "${run[@]}" curl -sS --max-time 10 "$@"; }
code=$(c -o "$out/index.html" -w '%{http_code}' "$base") || fail "GET / failed"
[ "$code" = 200 ] || fail "GET /: status $code"
grep -q '<h1>' "$out/index.html" || fail "GET / is not the home page"
cmp -s "$out/index.html" "$here/../../apps/www/site/index.html" || fail "GET / differs from site/index.html"
echo "ok: GET / is site/index.html"
code=$(c -o "$out/status.json" -w '%{http_code} %{content_type}' "${base}status") || fail "GET /status failed"
[[ $code == "200 application/json"* ]] || fail "GET /status: $code"
grep -q '"requests"' "$out/status.json" || fail "/status has no request count: $(cat "$out/status.json")"
echo "ok: /status $(cat "$out/status.json")"
code=$(c -o /dev/null -w '%{http_code}' "${base}no-such-file") || fail "GET /no-such-file failed"
[ "$code" = 404 ] || fail "GET /no-such-file: status $code"
echo "ok: 404 for a missing file"
enc=$(c -o "$out/2048.js.gz" -D - -H 'Accept-Encoding: gzip' "${base}2048.js" | tr -d '\r' |
    sed -n 's/^[Cc]ontent-[Ee]ncoding: *//p')
[ "$enc" = gzip ] || fail "2048.js was not sent gzip-encoded (Content-Encoding: '$enc')"
gzip -dc "$out/2048.js.gz" | cmp -s - "$here/../../apps/www/site/2048.js" || fail "gzip 2048.js does not decode to site/2048.js"
echo "ok: gzip variant of 2048.js"

"${run[@]}" env BROWSER_TEST_EXPECT_STATUS=1 "$here/run_browser_test.sh" "$base" "$out"
rc=$?
[ $rc = 0 ] || { [ $rc = 77 ] && exit 77; fail "browser test (status $rc)"; }
kill -0 "$image_pid" 2>/dev/null || fail "the image ended during the test"
echo "PASS: www on $target ($mode); screenshots in $out"
