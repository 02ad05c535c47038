#!/usr/bin/env bash
# Browser test of the www site: a real headless Chromium driven over the W3C WebDriver protocol
# with curl (no npm, no Selenium).
#
#   tests/browser/run_browser_test.sh BASE_URL OUTDIR
#
# BASE_URL is where the site is served (e.g. http://127.0.0.1:8080/). The test
#   1. loads the home page and checks its heading and the link to the game;
#   2. loads /2048.html?seed=N twice and checks the same seed gives the same two starting tiles;
#   3. presses arrow keys (WebDriver Actions) until one changes the board, and checks the result
#      against the rules: the board slid as 2048 says, plus exactly one new 2 or 4 on an empty cell;
#   4. swipes on the board with a touch pointer and checks that the board changed again;
#   5. starts from ?board= positions: 1024+1024 joined -> "won", "Keep going" (a real click) ->
#      "playing"; a move that fills the board with no pair left -> "over";
#   6. fails on any uncaught JavaScript error in the browser log.
# Screenshots (home.png, home-status.png when /status is there, 2048-start.png, 2048-moved.png, 2048-won.png, 2048-over.png), the
# browser log and chromedriver's log are written to OUTDIR.
#
# Exit status: 0 pass, 1 fail, 77 skip (chromium or chromedriver missing).
# Environment: CHROMIUM, CHROMEDRIVER (program paths), BROWSER_TEST_SEED (default 2048),
# BROWSER_TEST_WINDOW (window size, default 720,1000), BROWSER_TEST_EXPECT_STATUS=1 (fail unless
# the home page shows the server's /status counters, as it does when served by www).
set -u

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BASE_URL OUTDIR" >&2
    exit 2
fi
BASE=$1
OUT=$2
[[ $BASE == */ ]] || BASE="$BASE/"
SEED=${BROWSER_TEST_SEED:-2048}

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver || true)}
if [[ -z $CHROMIUM || ! -x $CHROMIUM || -z $CHROMEDRIVER || ! -x $CHROMEDRIVER ]]; then
    echo "SKIP: chromium and chromedriver are needed (Debian: apt-get install chromium chromium-driver)"
    exit 77
fi
command -v curl >/dev/null || { echo "SKIP: curl is needed"; exit 77; }

mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
PROFILE=$(mktemp -d /tmp/unikit-browser.XXXXXX) || exit 1
DRIVER_PID=""
DRIVER=""
SID=""

log() { echo "browser-test: $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cleanup() {
    if [[ -n $SID ]]; then
        curl -s --max-time 10 -X DELETE "$DRIVER/session/$SID" >/dev/null 2>&1
    fi
    if [[ -n $DRIVER_PID ]]; then
        # chromedriver was started in its own process group (setsid): end it and anything it
        # left behind, and only that.
        kill -TERM -- "-$DRIVER_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 -- "-$DRIVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL -- "-$DRIVER_PID" 2>/dev/null
    fi
    rm -rf "$PROFILE"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- chromedriver on a free port ---------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_driver() {
    local attempt port
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        port_in_use "$port" && continue
        setsid "$CHROMEDRIVER" --port="$port" --allowed-ips=127.0.0.1 \
            --log-path="$OUT/chromedriver.log" </dev/null >/dev/null 2>&1 &
        DRIVER_PID=$!
        DRIVER="http://127.0.0.1:$port"
        for _ in $(seq 50); do
            if curl -s --max-time 2 "$DRIVER/status" | grep -q '"ready":true'; then
                log "chromedriver on port $port (pid $DRIVER_PID)"
                return 0
            fi
            kill -0 "$DRIVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$DRIVER_PID" 2>/dev/null
        DRIVER_PID=""
    done
    fail "chromedriver did not start (see $OUT/chromedriver.log)"
}

# --- WebDriver calls ---------------------------------------------------------------------------
# wd METHOD PATH [JSON]: prints the response body; fails the test on a transport error or a
# WebDriver error object.
wd() {
    local method=$1 path=$2 body=${3:-}
    local resp
    if [[ -n $body ]]; then
        resp=$(curl -s --max-time 60 -X "$method" -H 'Content-Type: application/json' \
            --data-binary "$body" "$DRIVER$path") || fail "WebDriver $method $path: no answer"
    else
        resp=$(curl -s --max-time 60 -X "$method" "$DRIVER$path") || fail "WebDriver $method $path: no answer"
    fi
    if [[ $resp == *'"error":'* ]]; then
        fail "WebDriver $method $path: ${resp:0:600}"
    fi
    printf '%s' "$resp"
}

# JSON string literal of $1 (the scripts below use no control characters but newlines).
json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}

# js SCRIPT: runs SCRIPT (a function body) in the page and prints its result, which must be a
# string, number or boolean.
js() {
    local resp
    resp=$(wd POST "/session/$SID/execute/sync" "{\"script\":$(json_str "$1"),\"args\":[]}")
    resp=${resp#*\"value\":}
    resp=${resp%\}}
    resp=${resp#\"}
    resp=${resp%\"}
    printf '%s' "$resp"
}

navigate() { wd POST "/session/$SID/url" "{\"url\":$(json_str "$1")}" >/dev/null; }

screenshot() {
    local resp
    sleep 0.4  # let the tile and overlay animations finish
    resp=$(wd GET "/session/$SID/screenshot")
    resp=${resp#*\"value\":\"}
    resp=${resp%%\"*}
    printf '%s' "$resp" | base64 -d >"$OUT/$1" || fail "screenshot $1: bad base64"
    local magic
    magic=$(head -c 8 "$OUT/$1" | od -An -tx1 | tr -d ' \n')
    [[ $magic == 89504e470d0a1a0a ]] || fail "screenshot $1 is not a PNG"
    log "screenshot $OUT/$1 ($(stat -c %s "$OUT/$1") bytes)"
}

# find_element CSS: prints the element reference.
find_element() {
    local resp
    resp=$(wd POST "/session/$SID/element" "{\"using\":\"css selector\",\"value\":$(json_str "$1")}")
    resp=${resp#*\"element-6066-11e4-a52e-4f735466cecf\":\"}  # W3C element key
    printf '%s' "${resp%%\"*}"
}

# key NAME: presses and releases one key through the Actions API.
declare -A KEYCODE=([ArrowLeft]='\uE012' [ArrowUp]='\uE013' [ArrowRight]='\uE014' [ArrowDown]='\uE015')
key() {
    local k=${KEYCODE[$1]:-$1}
    wd POST "/session/$SID/actions" "{\"actions\":[{\"type\":\"key\",\"id\":\"keyboard\",\"actions\":[{\"type\":\"keyDown\",\"value\":\"$k\"},{\"type\":\"keyUp\",\"value\":\"$k\"}]}]}" >/dev/null
    wd DELETE "/session/$SID/actions" >/dev/null
}

# swipe ELEMENT DX DY: a touch pointer put down at the element's centre, moved by (DX, DY), lifted.
swipe() {
    local el=$1 dx=$2 dy=$3
    wd POST "/session/$SID/actions" "{\"actions\":[{\"type\":\"pointer\",\"id\":\"finger\",\"parameters\":{\"pointerType\":\"touch\"},\"actions\":[{\"type\":\"pointerMove\",\"duration\":0,\"origin\":{\"element-6066-11e4-a52e-4f735466cecf\":\"$el\"},\"x\":0,\"y\":0},{\"type\":\"pointerDown\",\"button\":0},{\"type\":\"pointerMove\",\"duration\":120,\"origin\":\"pointer\",\"x\":$((dx / 2)),\"y\":$((dy / 2))},{\"type\":\"pointerMove\",\"duration\":120,\"origin\":\"pointer\",\"x\":$((dx - dx / 2)),\"y\":$((dy - dy / 2))},{\"type\":\"pointerUp\",\"button\":0}]}]}" >/dev/null
    wd DELETE "/session/$SID/actions" >/dev/null
}

# --- the game's state, read from the DOM -------------------------------------------------------
board() { js "return Array.from(document.querySelectorAll('#board .cell'), c => c.dataset.value).join(',');"; }
state() { js "return document.getElementById('board').dataset.state || '';"; }

# wait_board: until the board has 16 cells and a state (the script ran).
wait_board() {
    local i
    for i in $(seq 100); do
        [[ $(js "const b = document.getElementById('board'); return !!b && b.querySelectorAll('.cell').length === 16 && b.dataset.state !== 'loading';") == true ]] && return 0
        sleep 0.1
    done
    fail "the 2048 board did not appear at $(js 'return location.href;')"
}

# slide_left A B C D: the line after a move towards A (the rules, written again for the test).
slide_line() {
    local -a in=() out=()
    local v i
    for v in "$@"; do ((v != 0)) && in+=("$v"); done
    for ((i = 0; i < ${#in[@]}; i++)); do
        if ((i + 1 < ${#in[@]} && in[i] == in[i + 1])); then
            out+=($((in[i] * 2)))
            ((i++))
        else
            out+=("${in[i]}")
        fi
    done
    while ((${#out[@]} < 4)); do out+=(0); done
    echo "${out[*]}"
}

# expected_slide DIR "v0,...,v15": the board (comma-separated) after sliding, before the new tile.
expected_slide() {
    local dir=$1
    local -a g res
    IFS=, read -r -a g <<<"$2"
    res=("${g[@]}")
    local k j
    for ((k = 0; k < 4; k++)); do
        local -a idx=() vals=() line
        for ((j = 0; j < 4; j++)); do
            case $dir in
            ArrowLeft) idx+=($((k * 4 + j))) ;;
            ArrowRight) idx+=($((k * 4 + 3 - j))) ;;
            ArrowUp) idx+=($((j * 4 + k))) ;;
            ArrowDown) idx+=($(((3 - j) * 4 + k))) ;;
            esac
        done
        for j in "${idx[@]}"; do vals+=("${g[j]}"); done
        read -r -a line <<<"$(slide_line "${vals[@]}")"
        for ((j = 0; j < 4; j++)); do res[idx[j]]=${line[j]}; done
    done
    local IFS=,
    echo "${res[*]}"
}

# check_move DIR BEFORE AFTER: AFTER is BEFORE slid towards DIR plus one new 2 or 4 on a cell
# the slide left empty.
check_move() {
    local dir=$1 before=$2 after=$3
    local slid
    slid=$(expected_slide "$dir" "$before")
    [[ $slid != "$before" ]] || fail "$dir cannot move $before, but the board changed to $after"
    local -a s a
    IFS=, read -r -a s <<<"$slid"
    IFS=, read -r -a a <<<"$after"
    local i diff=0
    for ((i = 0; i < 16; i++)); do
        if [[ ${s[i]} != "${a[i]}" ]]; then
            ((diff++))
            [[ ${s[i]} == 0 && (${a[i]} == 2 || ${a[i]} == 4) ]] ||
                fail "$dir: cell $i is ${a[i]}, expected ${s[i]} (before $before, slid $slid, after $after)"
        fi
    done
    ((diff == 1)) || fail "$dir: expected exactly one new tile, got $diff (slid $slid, after $after)"
}

count_tiles() {
    local -a g
    IFS=, read -r -a g <<<"$1"
    local n=0 v
    for v in "${g[@]}"; do ((v != 0)) && ((n++)); done
    echo "$n"
}

# --- the test ----------------------------------------------------------------------------------
start_driver

CAPS='{"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:loggingPrefs":{"browser":"ALL"},"goog:chromeOptions":{"binary":'$(json_str "$CHROMIUM")',"args":["--headless","--no-sandbox","--disable-gpu","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync","--disable-default-apps","--disable-extensions","--window-size='"${BROWSER_TEST_WINDOW:-720,1000}"'","--user-data-dir='"$PROFILE"'"]}}}}'
resp=$(wd POST /session "$CAPS")
SID=$(printf '%s' "$resp" | grep -o '"sessionId":"[^"]*"' | head -1 | cut -d'"' -f4)
[[ -n $SID ]] || fail "no WebDriver session: ${resp:0:400}"
log "session $SID"
wd POST "/session/$SID/timeouts" '{"pageLoad":30000,"script":10000,"implicit":0}' >/dev/null

# 1. Home page.
navigate "$BASE"
[[ $(js "return document.readyState;") == complete ]] || fail "home page did not finish loading"
h1=$(js "const h = document.querySelector('h1'); return h ? h.textContent : '';")
[[ -n $h1 ]] || fail "home page at $BASE has no <h1>"
[[ $(js "return !!document.querySelector('a[href=\"/2048.html\"]');") == true ]] || fail "home page has no link to /2048.html"
[[ $(js "return getComputedStyle(document.body).fontFamily.length > 0 && document.styleSheets.length > 0;") == true ]] || fail "home page has no stylesheet"
log "home page: \"$h1\""
screenshot home.png
# Served by www, the home page shows the /status counters (site.js); elsewhere it hides them.
shown=false
for _ in $(seq 30); do
    shown=$(js "const s = document.getElementById('live-status'); return !!s && !s.hidden && s.textContent.includes('requests');")
    [[ $shown == true ]] && break
    sleep 0.1
done
if [[ $shown == true ]]; then
    js "document.getElementById('live-status').scrollIntoView(); return true;" >/dev/null
    screenshot home-status.png
    log "home page shows /status"
elif [[ ${BROWSER_TEST_EXPECT_STATUS:-0} == 1 ]]; then
    fail "the home page does not show the /status counters"
fi

# 2. Seeded start, twice.
GAME="${BASE}2048.html"
navigate "$GAME?seed=$SEED"
wait_board
start=$(board)
[[ $(count_tiles "$start") == 2 ]] || fail "a new game should have 2 tiles: $start"
[[ $(js "return document.getElementById('board').dataset.seed;") == "$SEED" ]] || fail "?seed=$SEED was not used"
[[ $(state) == playing ]] || fail "a new game is not 'playing': $(state)"
navigate "$GAME?seed=$SEED"
wait_board
again=$(board)
[[ $again == "$start" ]] || fail "seed $SEED gave two different starts: $start / $again"
log "seed $SEED starts with $start"
screenshot 2048-start.png

# 3. Keys until the board changes.
before=$start
moved=""
for k in ArrowLeft ArrowUp ArrowRight ArrowDown; do
    key "$k"
    after=$(board)
    if [[ $after != "$before" ]]; then
        moved=$k
        break
    fi
    [[ $(expected_slide "$k" "$before") == "$before" ]] || fail "$k should have moved $before but nothing changed"
done
[[ -n $moved ]] || fail "no arrow key changed the board $before"
check_move "$moved" "$before" "$after"
[[ $(js "return document.getElementById('board').dataset.moves;") == 1 ]] || fail "data-moves should be 1"
log "$moved: $before -> $after"

# WASD too: the same move rules through the letter keys.
before=$after
for k in a w d s; do
    key "$k"
    after=$(board)
    if [[ $after != "$before" ]]; then
        case $k in a) d=ArrowLeft ;; w) d=ArrowUp ;; d) d=ArrowRight ;; s) d=ArrowDown ;; esac
        check_move "$d" "$before" "$after"
        log "key $k: $before -> $after"
        break
    fi
done
[[ $after != "$before" ]] || fail "no WASD key changed the board $before"
score=$(js "return document.getElementById('score').dataset.score;")
best=$(js "return localStorage.getItem('unikit-2048-best') || '0';")
((best >= score)) || fail "best score in localStorage ($best) is below the score ($score)"
screenshot 2048-moved.png

# 4. Touch swipes.
el=$(find_element '#board')
[[ -n $el ]] || fail "no #board element"
before=$(board)
swiped=""
for dxy in "-200 0" "0 -200" "200 0" "0 200"; do
    # shellcheck disable=SC2086
    swipe "$el" $dxy
    after=$(board)
    if [[ $after != "$before" ]]; then
        swiped=$dxy
        break
    fi
done
[[ -n $swiped ]] || fail "no touch swipe changed the board $before"
case $swiped in "-200 0") d=ArrowLeft ;; "0 -200") d=ArrowUp ;; "200 0") d=ArrowRight ;; *) d=ArrowDown ;; esac
check_move "$d" "$before" "$after"
log "swipe ($swiped): $before -> $after"

# 5. Win, keep going, game over.
navigate "$GAME?seed=$SEED&board=1024,1024,0,0,0,0,0,0,0,0,0,0,0,0,0,0"
wait_board
key ArrowLeft
b=$(board)
[[ ${b%%,*} == 2048 ]] || fail "1024+1024 should join into 2048: $b"
[[ $(state) == won ]] || fail "reaching 2048 should win, state is $(state)"
[[ $(js "const o = document.getElementById('overlay'); return getComputedStyle(o).display !== 'none' && o.textContent.includes('You win');") == true ]] || fail "no win message shown"
[[ $(js "return getComputedStyle(document.getElementById('keep-going')).display;") != none ]] || fail "no 'Keep going' button on a win"
[[ $(js "return document.getElementById('score').dataset.score;") == 2048 ]] || fail "score should be 2048"
screenshot 2048-won.png
wd POST "/session/$SID/element/$(find_element '#keep-going')/click" '{}' >/dev/null
[[ $(state) == playing ]] || fail "'Keep going' should resume the game, state is $(state)"
key ArrowRight
[[ $(js "return document.getElementById('board').dataset.moves;") == 2 ]] || fail "no move after 'Keep going'"
log "win / keep going: ok"

navigate "$GAME?seed=$SEED&board=2,4,2,4,4,2,4,2,32,4,2,4,8,16,8,0"
wait_board
[[ $(state) == playing ]] || fail "the game-over position should start 'playing'"
key ArrowRight
b=$(board)
[[ $(state) == over ]] || fail "no move is left after ArrowRight ($b) but the state is $(state)"
[[ $(js "return document.getElementById('overlay-text').textContent;") == "Game over" ]] || fail "no game-over message"
[[ $(js "return getComputedStyle(document.getElementById('keep-going')).display;") == none ]] || fail "'Keep going' is shown on game over"
screenshot 2048-over.png
log "game over: $b"

# 6. No uncaught script errors.
resp=$(curl -s --max-time 20 -X POST -H 'Content-Type: application/json' --data '{"type":"browser"}' \
    "$DRIVER/session/$SID/se/log")
printf '%s\n' "$resp" | sed 's/},{/},\n{/g' >"$OUT/browser.log"
if grep -q 'Uncaught' "$OUT/browser.log"; then
    grep 'Uncaught' "$OUT/browser.log" >&2
    fail "JavaScript errors in the browser log ($OUT/browser.log)"
fi

log "PASS"
exit 0
