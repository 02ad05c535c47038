// hostile_client: raw-socket checks of a running www server (apps/www) against misbehaving
// clients. Each check prints "PASS <name> (<ms> ms)" or "FAIL <name>: <reason>"; the program
// exits 1 when any check failed, 2 on bad usage.
//
//   hostile_client --host A.B.C.D --port N --site DIR --header-timeout-ms MS --idle-timeout-ms MS
//                  --max-connections N [--slow-clients N] [--only NAME[,NAME...]]
//
// The timeouts and the connection limit must be those the server was started with (apps/www
// --header-timeout-ms ...). DIR is apps/www/site, for byte-for-byte comparisons. Every wait is
// bounded. Plain POSIX sockets, no threads: concurrent clients are driven by one poll() loop.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

struct Config {
    std::string host = "127.0.0.1";
    uint16_t port = 80;
    std::string site;
    int header_timeout_ms = 1500;
    int idle_timeout_ms = 2500;
    int max_connections = 16;
    int slow_clients = 8;
    std::vector<std::string> only;
} cfg;

int64_t ms_since(Clock::time_point t) { return std::chrono::duration_cast<ms>(Clock::now() - t).count(); }

struct CheckFailed {
    std::string why;
};

[[noreturn]] void fail(const std::string& why) { throw CheckFailed{why}; }

void require(bool ok, const std::string& why) {
    if (!ok) fail(why);
}

std::string printable(std::string_view s, size_t max = 120) {
    std::string out;
    for (char c : s.substr(0, max)) {
        if (c == '\r') out += "\\r";
        else if (c == '\n') out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) out += '.';
        else out += c;
    }
    if (s.size() > max) out += "...";
    return out;
}

std::string read_file(const std::string& name) {
    std::ifstream f(cfg.site + "/" + name, std::ios::binary);
    if (!f) fail("cannot read " + cfg.site + "/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// ---- sockets --------------------------------------------------------------------------------

class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Socket& operator=(Socket&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~Socket() { close(); }
    int fd() const { return fd_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    // Close with SO_LINGER {1, 0}: the kernel sends RST instead of FIN.
    void reset() {
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close();
    }

private:
    int fd_ = -1;
};

Socket connect_server(int timeout_ms = 3000) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    require(fd >= 0, std::string("socket: ") + strerror(errno));
    Socket s(fd);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(cfg.port);
    require(inet_pton(AF_INET, cfg.host.c_str(), &a.sin_addr) == 1, "bad host " + cfg.host);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        require(errno == EINPROGRESS, std::string("connect: ") + strerror(errno));
        pollfd p{fd, POLLOUT, 0};
        int n = ::poll(&p, 1, timeout_ms);
        require(n == 1, "connect: no answer within " + std::to_string(timeout_ms) + " ms");
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        require(err == 0, std::string("connect: ") + strerror(err));
    }
    return s;
}

void send_all(const Socket& s, std::string_view data, int timeout_ms = 3000) {
    auto start = Clock::now();
    while (!data.empty()) {
        ssize_t n = ::send(s.fd(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        require(n < 0 && (errno == EAGAIN || errno == EINTR), std::string("send: ") + strerror(errno));
        require(ms_since(start) < timeout_ms, "send: blocked for " + std::to_string(timeout_ms) + " ms");
        pollfd p{s.fd(), POLLOUT, 0};
        ::poll(&p, 1, 50);
    }
}

// Like send_all, but a peer that closed or reset (it answered and gave up on the rest) is fine.
void send_tolerant(const Socket& s, std::string_view data, int timeout_ms = 3000) {
    auto start = Clock::now();
    while (!data.empty() && ms_since(start) < timeout_ms) {
        ssize_t n = ::send(s.fd(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd p{s.fd(), POLLOUT, 0};
            ::poll(&p, 1, 50);
            continue;
        }
        return;  // EPIPE, ECONNRESET: the server stopped reading
    }
}

enum class ReadEnd { data, eof, reset, timeout };

// Reads what is available within `timeout_ms` (at least one byte or an end) and appends it.
ReadEnd read_some(const Socket& s, std::string& buf, int timeout_ms) {
    pollfd p{s.fd(), POLLIN, 0};
    int n = ::poll(&p, 1, std::max(timeout_ms, 0));
    if (n == 0) return ReadEnd::timeout;
    char tmp[16384];
    ssize_t r = ::recv(s.fd(), tmp, sizeof tmp, 0);
    if (r > 0) {
        buf.append(tmp, static_cast<size_t>(r));
        return ReadEnd::data;
    }
    if (r == 0) return ReadEnd::eof;
    if (errno == EAGAIN || errno == EINTR) return ReadEnd::data;
    return ReadEnd::reset;
}

// Reads until the peer closes (EOF or reset) or the deadline; returns how it ended.
ReadEnd read_to_end(const Socket& s, std::string& buf, int timeout_ms) {
    auto start = Clock::now();
    for (;;) {
        int left = timeout_ms - static_cast<int>(ms_since(start));
        if (left <= 0) return ReadEnd::timeout;
        ReadEnd e = read_some(s, buf, left);
        if (e != ReadEnd::data) return e;
    }
}

// ---- responses ------------------------------------------------------------------------------

struct Response {
    std::string status_line;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Parses one response from the front of `buf` when it is complete (head, and Content-Length
// bytes of body unless `head_only`); removes it from `buf`.
std::optional<Response> take_response(std::string& buf, bool head_only) {
    size_t end = buf.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    Response r;
    std::string head = buf.substr(0, end);
    size_t pos = head.find("\r\n");
    r.status_line = head.substr(0, pos);
    while (pos != std::string::npos) {
        size_t next = head.find("\r\n", pos + 2);
        std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string v = line.substr(colon + 1);
            while (!v.empty() && v.front() == ' ') v.erase(v.begin());
            r.headers[lower(line.substr(0, colon))] = v;
        }
        pos = next;
    }
    size_t len = 0;
    if (!head_only && r.status_line.find(" 304 ") == std::string::npos) {
        std::string cl = r.header("content-length");
        if (!cl.empty()) len = std::stoul(cl);
    }
    if (buf.size() < end + 4 + len) return std::nullopt;
    r.body = buf.substr(end + 4, len);
    buf.erase(0, end + 4 + len);
    return r;
}

// Reads one whole response within `timeout_ms`.
Response read_response(const Socket& s, std::string& buf, int timeout_ms = 5000, bool head_only = false) {
    auto start = Clock::now();
    for (;;) {
        if (auto r = take_response(buf, head_only)) return *r;
        int left = timeout_ms - static_cast<int>(ms_since(start));
        require(left > 0, "no complete response within " + std::to_string(timeout_ms) + " ms (got \"" +
                              printable(buf) + "\")");
        ReadEnd e = read_some(s, buf, left);
        require(e == ReadEnd::data || e == ReadEnd::timeout,
                std::string("connection ") + (e == ReadEnd::eof ? "closed" : "reset") +
                    " before a complete response (got \"" + printable(buf) + "\")");
    }
}

void expect_status(const Response& r, const std::string& line) {
    require(r.status_line == line, "status line \"" + printable(r.status_line) + "\", expected \"" + line + "\"");
}

void expect_header(const Response& r, const std::string& name, const std::string& value) {
    require(r.header(name) == value,
            name + ": \"" + printable(r.header(name)) + "\", expected \"" + value + "\"");
}

// After an error status the server closes (lingering close): the client sees EOF (or a reset
// once the linger ends) within a bounded time, and nothing after the response.
void expect_closed(const Socket& s, std::string& buf, int timeout_ms = 5000) {
    ReadEnd e = read_to_end(s, buf, timeout_ms);
    require(e == ReadEnd::eof || e == ReadEnd::reset,
            "the connection was not closed within " + std::to_string(timeout_ms) + " ms");
    require(buf.empty(), "unexpected bytes after the response: \"" + printable(buf) + "\"");
}

// Sends `request` on a new connection and expects exactly `status_line`, Connection: close,
// the body "<code> <reason>\n" and then the close.
Response error_case(std::string_view request, const std::string& status_line) {
    Socket s = connect_server();
    send_tolerant(s, request);
    std::string buf;
    Response r = read_response(s, buf);
    expect_status(r, status_line);
    expect_header(r, "connection", "close");
    expect_header(r, "content-type", "text/plain; charset=utf-8");
    require(r.body == status_line.substr(9) + "\n", "body \"" + printable(r.body) + "\"");
    expect_closed(s, buf);
    return r;
}

Response simple_get(const std::string& path, int timeout_ms = 5000) {
    Socket s = connect_server(timeout_ms);
    send_all(s, "GET " + path + " HTTP/1.1\r\nHost: www\r\nConnection: close\r\n\r\n");
    std::string buf;
    return read_response(s, buf, timeout_ms);
}

void expect_alive() {
    Response r = simple_get("/index.html");
    expect_status(r, "HTTP/1.1 200 OK");
    require(r.body == read_file("index.html"), "GET /index.html afterwards: wrong body");
}

// A JSON number field "name":N from /status (first occurrence).
long json_number(const std::string& json, const std::string& name) {
    size_t p = json.find("\"" + name + "\":");
    require(p != std::string::npos, "/status has no \"" + name + "\": " + printable(json, 400));
    return std::stol(json.substr(p + name.size() + 3));
}

std::string status_json() {
    Response r = simple_get("/status");
    expect_status(r, "HTTP/1.1 200 OK");
    expect_header(r, "content-type", "application/json");
    return r.body;
}

// Waits until the server has no connection but the /status one, so that a check starts from a
// known state (error connections linger for a while).
// Returns that /status.
std::string wait_quiet(int timeout_ms = 8000) {
    auto start = Clock::now();
    for (;;) {
        std::string j = status_json();
        long active = json_number(j, "active");
        if (active <= 1) return j;
        require(ms_since(start) < timeout_ms,
                "the server still has " + std::to_string(active) + " connections after " + std::to_string(timeout_ms) + " ms");
        std::this_thread::sleep_for(ms(100));
    }
}

// ---- checks ---------------------------------------------------------------------------------

// Three requests in one write, answered in order on one connection, which stays open.
void check_pipelined() {
    std::string index = read_file("index.html"), style = read_file("style.css"), icon = read_file("favicon.svg");
    Socket s = connect_server();
    send_all(s,
             "GET /index.html HTTP/1.1\r\nHost: www\r\n\r\n"
             "HEAD /style.css HTTP/1.1\r\nHost: www\r\n\r\n"
             "GET /favicon.svg HTTP/1.1\r\nHost: www\r\n\r\n");
    std::string buf;
    Response a = read_response(s, buf);
    expect_status(a, "HTTP/1.1 200 OK");
    require(a.body == index, "1st response is not index.html");
    Response b = read_response(s, buf, 5000, true);
    expect_status(b, "HTTP/1.1 200 OK");
    expect_header(b, "content-length", std::to_string(style.size()));
    expect_header(b, "content-type", "text/css; charset=utf-8");
    Response c = read_response(s, buf);
    expect_status(c, "HTTP/1.1 200 OK");
    require(c.body == icon, "3rd response is not favicon.svg");
    expect_header(c, "content-type", "image/svg+xml");
    require(buf.empty(), "bytes after the 3rd response: \"" + printable(buf) + "\"");
    // Still open: one more request on the same connection.
    send_all(s, "GET /site.js HTTP/1.1\r\nHost: www\r\nConnection: close\r\n\r\n");
    Response d = read_response(s, buf);
    expect_status(d, "HTTP/1.1 200 OK");
    require(d.body == read_file("site.js"), "4th response is not site.js");
    expect_header(d, "connection", "close");
    expect_closed(s, buf);
}

void check_bad_request_line() {
    error_case("GET /index.html  HTTP/1.1\r\nHost: www\r\n\r\n", "HTTP/1.1 400 Bad Request");
    error_case("NOT A REQUEST AT ALL\r\n\r\n", "HTTP/1.1 400 Bad Request");
    error_case("GET / HTTP/1.1\r\nHost: www\r\nBad Header\r\n\r\n", "HTTP/1.1 400 Bad Request");
    error_case("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request");  // HTTP/1.1 without Host
}

void check_uri_too_long() {
    error_case("GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: www\r\n\r\n", "HTTP/1.1 414 URI Too Long");
}

void check_too_many_headers() {
    std::string req = "GET / HTTP/1.1\r\nHost: www\r\n";
    for (int i = 0; i < 70; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
    error_case(req + "\r\n", "HTTP/1.1 431 Request Header Fields Too Large");
}

void check_headers_too_large() {
    error_case("GET / HTTP/1.1\r\nHost: www\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n",
               "HTTP/1.1 431 Request Header Fields Too Large");
}

void check_body_too_large() {
    // The head announces 1 MB; the server answers 413 without reading the body.
    error_case("POST /index.html HTTP/1.1\r\nHost: www\r\nContent-Length: 1048576\r\n\r\n" + std::string(4096, 'x'),
               "HTTP/1.1 413 Content Too Large");
}

void check_post_static() {
    Socket s = connect_server();
    send_all(s, "POST /index.html HTTP/1.1\r\nHost: www\r\nContent-Length: 5\r\n\r\nhello");
    std::string buf;
    Response r = read_response(s, buf);
    expect_status(r, "HTTP/1.1 405 Method Not Allowed");
    expect_header(r, "allow", "GET, HEAD");
    // 405 is not a framing error: the connection stays usable.
    send_all(s, "GET /favicon.svg HTTP/1.1\r\nHost: www\r\n\r\n");
    Response r2 = read_response(s, buf);
    expect_status(r2, "HTTP/1.1 200 OK");
}

// An unknown method with a well-framed request: 501, and the connection stays usable.
void check_unknown_method() {
    Socket s = connect_server();
    send_all(s, "BREW /index.html HTTP/1.1\r\nHost: www\r\n\r\n");
    std::string buf;
    Response r = read_response(s, buf);
    expect_status(r, "HTTP/1.1 501 Not Implemented");
    require(r.body == "501 Not Implemented\n", "body \"" + printable(r.body) + "\"");
    send_all(s, "GET /favicon.svg HTTP/1.1\r\nHost: www\r\n\r\n");
    expect_status(read_response(s, buf), "HTTP/1.1 200 OK");
}

void check_chunked() {
    error_case("POST /index.html HTTP/1.1\r\nHost: www\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
               "HTTP/1.1 501 Not Implemented");
}

void check_http2_version() {
    error_case("GET / HTTP/2.0\r\nHost: www\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported");
}

// N clients each send a request head one byte every 200 ms. Each must get 408 and a close
// about header_timeout after its first byte, and meanwhile normal GETs must be served quickly.
void check_slowloris() {
    struct Slow {
        Socket s;
        Clock::time_point first_byte;
        std::string in;
        bool answered = false, closed = false;
        int64_t answered_ms = 0;
    };
    const int n = cfg.slow_clients;
    std::vector<Slow> slow(static_cast<size_t>(n));
    const std::string head = "GET /index.html HTTP/1.1\r\nHost: www\r\nX-Slow: ";
    for (auto& c : slow) {
        c.s = connect_server();
        send_all(c.s, head.substr(0, 1));
        c.first_byte = Clock::now();
    }
    size_t sent = 1;
    auto start = Clock::now();
    auto next_drip = start + ms(200);
    int64_t worst_get = 0;  // microseconds
    int gets = 0;
    auto next_get = start + ms(300);
    const int limit_ms = cfg.header_timeout_ms + 5000;
    while (true) {
        bool all_done = std::all_of(slow.begin(), slow.end(), [](const Slow& c) { return c.closed; });
        if (all_done) break;
        require(ms_since(start) < limit_ms, "slow clients not all answered and closed within " +
                                               std::to_string(limit_ms) + " ms");
        // A normal client, every 150 ms until the slow ones are answered.
        bool any_waiting = std::any_of(slow.begin(), slow.end(), [](const Slow& c) { return !c.answered; });
        if (any_waiting && Clock::now() >= next_get) {
            auto t = Clock::now();
            Response r = simple_get("/index.html", 3000);
            expect_status(r, "HTTP/1.1 200 OK");
            worst_get = std::max(worst_get, std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
            ++gets;
            next_get = Clock::now() + ms(150);
        }
        if (Clock::now() >= next_drip) {
            char b = sent < head.size() ? head[sent] : 'z';
            ++sent;
            for (auto& c : slow)
                if (!c.answered) send_tolerant(c.s, std::string_view(&b, 1), 100);
            next_drip += ms(200);
        }
        std::vector<pollfd> fds;
        std::vector<Slow*> who;
        for (auto& c : slow)
            if (!c.closed) {
                fds.push_back({c.s.fd(), POLLIN, 0});
                who.push_back(&c);
            }
        ::poll(fds.data(), fds.size(), 20);
        for (size_t i = 0; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            Slow& c = *who[i];
            ReadEnd e = read_some(c.s, c.in, 0);
            if (!c.answered && c.in.find("\r\n\r\n") != std::string::npos) {
                c.answered = true;
                c.answered_ms = ms_since(c.first_byte);
            }
            if (e == ReadEnd::eof || e == ReadEnd::reset) {
                require(c.answered, "a slow client was closed without a response (got \"" + printable(c.in) + "\")");
                c.closed = true;
            }
        }
    }
    require(gets >= 3, "only " + std::to_string(gets) + " normal GETs during the attack");
    int64_t lo = INT64_MAX, hi = 0;
    for (auto& c : slow) {
        std::string buf = c.in;
        auto r = take_response(buf, false);
        require(r.has_value(), "slow client: incomplete response \"" + printable(c.in) + "\"");
        expect_status(*r, "HTTP/1.1 408 Request Timeout");
        expect_header(*r, "connection", "close");
        lo = std::min(lo, c.answered_ms);
        hi = std::max(hi, c.answered_ms);
    }
    // 408 at header_timeout after the first byte: not before it, and not much after it.
    require(lo >= cfg.header_timeout_ms - 50, "408 after " + std::to_string(lo) + " ms, before the header timeout");
    require(hi <= cfg.header_timeout_ms + 1500, "408 only after " + std::to_string(hi) + " ms");
    require(worst_get < 1000000, "a normal GET took " + std::to_string(worst_get / 1000) + " ms during the attack");
    std::printf("  %d slow clients: 408 after %lld..%lld ms (header timeout %d ms); %d normal GETs meanwhile, slowest %lld us\n",
                n, static_cast<long long>(lo), static_cast<long long>(hi), cfg.header_timeout_ms, gets,
                static_cast<long long>(worst_get));
}

// A client that connects and sends nothing is closed silently after the idle timeout.
void check_idle_client() {
    Socket s = connect_server();
    auto t = Clock::now();
    std::string buf;
    ReadEnd e = read_to_end(s, buf, cfg.idle_timeout_ms + 3000);
    int64_t after = ms_since(t);
    require(e == ReadEnd::eof || e == ReadEnd::reset, "not closed within idle timeout + 3 s");
    require(buf.empty(), "an idle client got bytes: \"" + printable(buf) + "\"");
    require(after >= cfg.idle_timeout_ms - 100, "closed after " + std::to_string(after) + " ms, before the idle timeout");
    std::printf("  closed after %lld ms (idle timeout %d ms)\n", static_cast<long long>(after), cfg.idle_timeout_ms);
}

// A header byte, then silence: 408 after the header timeout.
void check_stalled_head() {
    auto t = Clock::now();
    Response r = error_case("GET /index.html HTTP/1.1\r\nHost: w", "HTTP/1.1 408 Request Timeout");
    int64_t after = ms_since(t);
    require(after >= cfg.header_timeout_ms - 50, "408 after " + std::to_string(after) + " ms");
}

// max_connections holders; the next connection gets 503 with Retry-After; then, with the
// holders gone, service resumes.
void check_connection_limit() {
    wait_quiet();
    std::vector<Socket> holders;
    for (int i = 0; i < cfg.max_connections; ++i) {
        holders.push_back(connect_server());
        // A started request keeps the holder busy (header timeout) rather than idle.
        send_all(holders.back(), "GET /index.html HTTP/1.1\r\n");
    }
    // The server may not have accepted every holder yet (a loaded machine): until it has, the
    // extra connection is still under the limit and served. Retry it until the 503 comes,
    // which must happen within 3 s.
    Socket extra;
    std::string buf;
    Response r;
    for (auto t0 = Clock::now();;) {
        std::this_thread::sleep_for(ms(100));
        extra = connect_server();
        send_tolerant(extra, "GET /index.html HTTP/1.1\r\nHost: www\r\n\r\n");
        buf.clear();
        r = read_response(extra, buf);
        if (r.status_line != "HTTP/1.1 200 OK" || ms_since(t0) > 3000) break;
    }
    expect_status(r, "HTTP/1.1 503 Service Unavailable");
    expect_header(r, "retry-after", "1");
    expect_header(r, "connection", "close");
    std::string rest = r.body + buf;
    buf.clear();
    ReadEnd e = read_to_end(extra, rest, 3000);
    require(e == ReadEnd::eof || e == ReadEnd::reset, "the 503 connection was not closed within 3 s");
    require(rest == "503 Service Unavailable\n", "503 body \"" + printable(rest) + "\"");
    require(r.header("content-length") == std::to_string(rest.size()),
            "the 503 says Content-Length: " + r.header("content-length") + " but its body is " +
                std::to_string(rest.size()) + " bytes");
    // The holders' own connections still work.
    send_all(holders[0], "Host: www\r\n\r\n");
    std::string hb;
    Response h = read_response(holders[0], hb);
    expect_status(h, "HTTP/1.1 200 OK");
    holders.clear();
    auto t = Clock::now();
    for (;;) {
        Response ok = simple_get("/favicon.svg");
        if (ok.status_line == "HTTP/1.1 200 OK") break;
        expect_status(ok, "HTTP/1.1 503 Service Unavailable");
        require(ms_since(t) < 3000, "still 503 3 s after the holders closed");
        std::this_thread::sleep_for(ms(50));
    }
}

// Resets in the middle of a request head, of a body, and of a response being written.
void check_resets() {
    {
        Socket s = connect_server();
        send_all(s, "GET /index.html HTTP/1.1\r\nHost: ww");
        std::this_thread::sleep_for(ms(50));
        s.reset();
    }
    {
        Socket s = connect_server();
        send_all(s, "POST /index.html HTTP/1.1\r\nHost: www\r\nContent-Length: 1000\r\n\r\nabc");
        std::this_thread::sleep_for(ms(50));
        s.reset();
    }
    {
        // Many pipelined GETs of the largest file, and a reset without reading the answers.
        Socket s = connect_server();
        int small = 4096;
        ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        std::string req;
        for (int i = 0; i < 40; ++i) req += "GET /2048.js HTTP/1.1\r\nHost: www\r\n\r\n";
        send_all(s, req);
        std::this_thread::sleep_for(ms(100));
        s.reset();
    }
    std::this_thread::sleep_for(ms(100));
    expect_alive();
}

// Seeded random bytes, 8 clients at once. The parser validates a head once it is complete, so
// garbage without an empty line waits for the header timeout (408) unless its first "line" is
// over max_request_line (414); garbage ended by an empty line is 400 at once. Each is then
// closed, and the server lives on.
void check_garbage() {
    uint32_t x = 0x2048u;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return x;
    };
    auto junk = [&](size_t n) {
        std::string j(n, '\0');
        for (char& c : j) c = static_cast<char>(next() & 0xff);
        return j;
    };
    struct Round {
        Socket s;
        std::string sent, in;
        bool terminated;
    };
    std::vector<Round> rounds;
    for (int i = 0; i < 8; ++i) {
        Round r{connect_server(), junk(4096), {}, i % 2 == 1};
        if (r.terminated) r.sent += "\r\n\r\n";
        send_tolerant(r.s, r.sent);
        rounds.push_back(std::move(r));
    }
    auto start = Clock::now();
    int n400 = 0, n408 = 0, n414 = 0, closed_only = 0;
    for (size_t i = 0; i < rounds.size(); ++i) {
        Round& r = rounds[i];
        int left = cfg.header_timeout_ms + 4000 - static_cast<int>(ms_since(start));
        ReadEnd e = read_to_end(r.s, r.in, left);
        std::string what = "round " + std::to_string(i) + (r.terminated ? " (ended by an empty line)" : "");
        require(e != ReadEnd::timeout, what + ": not closed within header timeout + 4 s");
        if (r.in.empty()) {
            require(!r.terminated, what + ": closed without a response");
            ++closed_only;
            continue;
        }
        std::string buf = r.in;
        auto resp = take_response(buf, false);
        require(resp.has_value(), what + ": not a response: \"" + printable(r.in) + "\"");
        const std::string& st = resp->status_line;
        bool ok = st == "HTTP/1.1 400 Bad Request" ||
                  (!r.terminated && (st == "HTTP/1.1 408 Request Timeout" || st == "HTTP/1.1 414 URI Too Long"));
        require(ok, what + ": status line \"" + printable(st) + "\"; sent \"" + printable(r.sent, 200) + "\"");
        n400 += st.find(" 400 ") != std::string::npos;
        n408 += st.find(" 408 ") != std::string::npos;
        n414 += st.find(" 414 ") != std::string::npos;
    }
    require(n400 >= 4, "fewer than 4 rounds answered 400");
    std::printf("  8 x 4 KiB of random bytes: %d x 400, %d x 408, %d x 414, %d closed without a response\n", n400,
                n408, n414, closed_only);
    // Random bytes after a valid request: the valid one is answered first.
    {
        Socket s = connect_server();
        send_tolerant(s, "GET /favicon.svg HTTP/1.1\r\nHost: www\r\n\r\n" + junk(2048) + "\r\n\r\n");
        std::string buf;
        Response r = read_response(s, buf);
        expect_status(r, "HTTP/1.1 200 OK");
        require(r.body == read_file("favicon.svg"), "favicon.svg body");
        Response bad = read_response(s, buf);
        expect_status(bad, "HTTP/1.1 400 Bad Request");
    }
    expect_alive();
}

// After everything: /status answers with counters that reflect what happened.
void check_status_after() {
    std::string j = wait_quiet();
    std::printf("  /status: %s\n", printable(j, 600).c_str());
    require(json_number(j, "requests") > 20, "too few requests counted");
    require(json_number(j, "active") == 1, "active connections != 1");
    require(json_number(j, "header") >= cfg.slow_clients, "header timeouts < slow clients");
    require(json_number(j, "idle") >= 1, "no idle close counted");
    require(json_number(j, "rejected") >= 1, "no rejected connection counted");
    require(json_number(j, "bytes_out") > 50000, "bytes_out too small");
    long files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(cfg.site)) files += e.is_regular_file();
    require(json_number(j, "files") == files, "files != " + std::to_string(files) + " (the files in " + cfg.site + ")");
}

struct Check {
    const char* name;
    void (*fn)();
};

constexpr Check kChecks[] = {
    {"pipelined", check_pipelined},
    {"bad_request", check_bad_request_line},
    {"uri_too_long", check_uri_too_long},
    {"too_many_headers", check_too_many_headers},
    {"headers_too_large", check_headers_too_large},
    {"body_too_large", check_body_too_large},
    {"post_static", check_post_static},
    {"unknown_method", check_unknown_method},
    {"chunked", check_chunked},
    {"http2_version", check_http2_version},
    {"stalled_head", check_stalled_head},
    {"slowloris", check_slowloris},
    {"idle_client", check_idle_client},
    {"connection_limit", check_connection_limit},
    {"resets", check_resets},
    {"garbage", check_garbage},
    {"status_after", check_status_after},
};

int usage() {
    std::fprintf(stderr,
                 "usage: hostile_client --host A.B.C.D --port N --site DIR --header-timeout-ms MS "
                 "--idle-timeout-ms MS --max-connections N [--slow-clients N] [--only NAME,...]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        std::string v = argv[++i];
        try {
            if (a == "--host") cfg.host = v;
            else if (a == "--port") cfg.port = static_cast<uint16_t>(std::stoi(v));
            else if (a == "--site") cfg.site = v;
            else if (a == "--header-timeout-ms") cfg.header_timeout_ms = std::stoi(v);
            else if (a == "--idle-timeout-ms") cfg.idle_timeout_ms = std::stoi(v);
            else if (a == "--max-connections") cfg.max_connections = std::stoi(v);
            else if (a == "--slow-clients") cfg.slow_clients = std::stoi(v);
            else if (a == "--only") {
                std::stringstream ss(v);
                for (std::string n; std::getline(ss, n, ',');) cfg.only.push_back(n);
            } else return usage();
        } catch (const std::exception&) {
            return usage();
        }
    }
    if (cfg.site.empty()) return usage();
    int failed = 0;
    for (const Check& c : kChecks) {
        if (!cfg.only.empty() && std::find(cfg.only.begin(), cfg.only.end(), c.name) == cfg.only.end()) continue;
        auto t = Clock::now();
        try {
            c.fn();
            std::printf("PASS %s (%lld ms)\n", c.name, static_cast<long long>(ms_since(t)));
        } catch (const CheckFailed& e) {
            std::printf("FAIL %s: %s\n", c.name, e.why.c_str());
            ++failed;
        } catch (const std::exception& e) {
            std::printf("FAIL %s: exception %s\n", c.name, e.what());
            ++failed;
        }
        std::fflush(stdout);
    }
    std::printf("%s: %d check(s) failed\n", failed ? "FAIL" : "PASS", failed);
    return failed ? 1 : 0;
}
