#!/usr/bin/env bash
# Hostile-client tests of the www unikernel (apps/www) on a real image.
#
#   www_hostile.sh TARGET MODE OUTDIR      TARGET: unix | spt     MODE: socket | tap
#
#   socket  (unix only) host sockets: `--net service=socket,map=80:PORT` on a free localhost
#           port; no root needed.
#   tap     a private network namespace with a TAP device (Linux side 10.79.0.1/24, image
#           10.79.0.2/24 on unikit's own TCP/IP stack); the clients run inside the namespace.
#           Needs root and /dev/net/tun.
# The image runs with short limits (app arguments --header-timeout-ms, --idle-timeout-ms,
# --linger-timeout-ms, --max-connections). First curl checks the well-behaved cases (GET/HEAD
# byte for byte with their headers, 304, gzip, 206, 416, 404), then `hostile_client` runs the
# hostile ones (see hostile_client.cpp), then the image must still be running.
# Exit 0 pass, 1 fail, 77 skip. Environment: UNIKIT, IMAGES, HOSTILE_CLIENT, UNIKIT_BUILD_DIR.
set -u
target=${1:?target}
mode=${2:?mode}
out=${3:?outdir}
: "${UNIKIT:?}" "${IMAGES:?}" "${HOSTILE_CLIENT:?}"
here=$(cd "$(dirname "$0")" && pwd)
site=$(cd "$here/../../apps/www/site" && pwd)

header_ms=1500
idle_ms=2500
linger_ms=1000
max_conn=16
slow=12

source "$here/../support/www.sh"
command -v curl >/dev/null || skip "missing curl"

www_init "$out"
www_start "$target" "$mode" 10.79.0 hostile --header-timeout-ms $header_ms --idle-timeout-ms $idle_ms \
    --linger-timeout-ms $linger_ms --max-connections $max_conn
base="http://$host:$port"

# ---- well-behaved clients (curl) -------------------------------------------------------------
start=$(date +%s%N)
# get NAME CURL_ARGS... : response head in $out/NAME.head (CRs removed), body in $out/NAME.body.
get() {
    local name=$1
    shift
    "${run[@]}" curl -sS --max-time 10 -D "$out/$name.head.raw" -o "$out/$name.body" "$@" ||
        fail "curl $name failed"
    tr -d '\r' <"$out/$name.head.raw" >"$out/$name.head"
}
status_is() { # NAME "HTTP/1.1 200 OK"
    local line
    line=$(head -n 1 "$out/$1.head")
    [ "$line" = "$2" ] || fail "$1: status line '$line', expected '$2'"
}
hdr() { sed -n "s/^$2: //Ip" "$out/$1.head" | head -n 1; }
hdr_is() { # NAME HEADER VALUE
    local v
    v=$(hdr "$1" "$2")
    [ "$v" = "$3" ] || fail "$1: $2 '$v', expected '$3'"
}
hdr_like() { # NAME HEADER ERE
    local v
    v=$(hdr "$1" "$2")
    [[ $v =~ $3 ]] || fail "$1: $2 '$v' does not match $3"
}
pass() { echo "PASS $*"; }

date_re='^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
etag_re='^"[0-9a-f]{16}"$'

for f in index.html 2048.html 2048.js 2048.css style.css site.js favicon.svg; do
    get "get-$f" "$base/$f"
    status_is "get-$f" "HTTP/1.1 200 OK"
    cmp -s "$out/get-$f.body" "$site/$f" || fail "GET /$f differs from site/$f"
    hdr_is "get-$f" Content-Length "$(stat -c %s "$site/$f")"
    hdr_like "get-$f" ETag "$etag_re"
    hdr_like "get-$f" Date "$date_re"
done
hdr_is get-index.html Content-Type "text/html; charset=utf-8"
hdr_is get-2048.js Content-Type "text/javascript; charset=utf-8"
hdr_is get-style.css Content-Type "text/css; charset=utf-8"
hdr_is get-favicon.svg Content-Type "image/svg+xml"
get get-root "$base/"
status_is get-root "HTTP/1.1 200 OK"
cmp -s "$out/get-root.body" "$site/index.html" || fail "GET / is not site/index.html"
pass "GET: 7 files and / byte for byte, Content-Length, ETag, Date, Content-Type"

get head-2048.js -I "$base/2048.js"
status_is head-2048.js "HTTP/1.1 200 OK"
hdr_is head-2048.js Content-Length "$(stat -c %s "$site/2048.js")"
hdr_is head-2048.js ETag "$(hdr get-2048.js ETag)"
hdr_like head-2048.js Date "$date_re"
hdr_is head-2048.js Content-Type "text/javascript; charset=utf-8"
cmp -s "$out/head-2048.js.body" "$out/head-2048.js.head.raw" || fail "HEAD /2048.js: more than the head"  # curl -I writes the head as the output
pass "HEAD: the GET's headers, no body"

etag=$(hdr get-style.css ETag)
get inm -H "If-None-Match: $etag" "$base/style.css"
status_is inm "HTTP/1.1 304 Not Modified"
hdr_is inm ETag "$etag"
[ -s "$out/inm.body" ] && fail "304 has a body"
get inm-other -H 'If-None-Match: "0000000000000000"' "$base/style.css"
status_is inm-other "HTTP/1.1 200 OK"
pass "If-None-Match: 304 for the ETag, 200 for another"

get gzip -H 'Accept-Encoding: gzip' "$base/2048.js"
status_is gzip "HTTP/1.1 200 OK"
hdr_is gzip Content-Encoding gzip
hdr_is gzip Vary Accept-Encoding
hdr_like gzip ETag '^"[0-9a-f]{16}-gz"$'
gzip -dc "$out/gzip.body" | cmp -s - "$site/2048.js" || fail "gzip 2048.js does not decode to site/2048.js"
[ "$(stat -c %s "$out/gzip.body")" -lt "$(stat -c %s "$site/2048.js")" ] || fail "gzip variant not smaller"
pass "gzip: Content-Encoding, -gz ETag, decodes to the file"

size=$(stat -c %s "$site/index.html")
get range -r 100-199 "$base/index.html"
status_is range "HTTP/1.1 206 Partial Content"
hdr_is range Content-Range "bytes 100-199/$size"
hdr_is range Content-Length 100
cmp -s "$out/range.body" <(tail -c +101 "$site/index.html" | head -c 100) || fail "206 body is not bytes 100-199"
get range416 -r "$((size + 10))-" "$base/index.html"
status_is range416 "HTTP/1.1 416 Range Not Satisfiable"
hdr_is range416 Content-Range "bytes */$size"
pass "Range: 206 with the bytes, 416 past the end"

get missing "$base/no-such-file"
status_is missing "HTTP/1.1 404 Not Found"
pass "404 for a missing file"
echo "curl checks: $((($(date +%s%N) - start) / 1000000)) ms"

# ---- hostile clients -------------------------------------------------------------------------
"${run[@]}" timeout -k 2 90 "$HOSTILE_CLIENT" --host $host --port "$port" --site "$site" \
    --header-timeout-ms $header_ms --idle-timeout-ms $idle_ms --max-connections $max_conn \
    --slow-clients $slow
rc=$?
[ $rc = 0 ] || fail "hostile_client (status $rc)"

kill -0 "$image_pid" 2>/dev/null || fail "the image ended during the test"
if grep -Eiq 'abort|panic|sanitizer|segmentation|seccomp' "$out/image.log"; then
    fail "the image log reports a crash"
fi
echo "PASS: www on $target ($mode) survived the hostile clients; logs in $out"
