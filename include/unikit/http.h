// unikit::http - an HTTP/1.1 server library (RFC 9110, 9112): static files from a KvStore,
// dynamic handlers, keep-alive and pipelining, strict limits and timeouts.
//
//   unikit::http::Router router;
//   router.get("/status", [](const http::Request& req, http::Response& res) {
//       auto j = res.json();                  // Content-Type: application/json
//       j.field("ok", true);
//       j.end();
//   });
//   router.files(&unikit::kv::baked());       // everything else: GET/HEAD of baked files
//   unikit::http::Server server(router);
//   co_await unikit::http::serve_tcp(server, 80);   // or server.serve(listener): a coroutine
//                                                   // per connection
//
// The server is written against two small concepts, so it runs over anything with the same
// shape as net.h's TcpStream/TcpListener (tests use an in-memory stream and a virtual clock):
//   Stream:   read(span<uint8_t>, CancelToken) -> Task<Result<size_t>> (0 = end of input),
//             write_all(span<const uint8_t>, CancelToken) -> Task<Result<void>>,
//             shutdown() -> Task<Result<void>>, close() -> Task<Result<void>>, abort().
//   Listener: accept(CancelToken) -> Task<Result<Stream>>.
// All the protocol logic is in Connection, a sans-I/O state machine (bytes in, bytes out, time
// passed in); Server::serve_connection only moves bytes and arms timers.
//
// Freestanding: no std::string/vector/function; one allocation per connection (its buffers),
// none per request in this library. See docs/http.md for limits, status codes and defaults.
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include <unikit/cancel.h>
#include <unikit/error.h>
#include <unikit/format.h>
#include <unikit/kv.h>
#include <unikit/loop.h>
#include <unikit/task.h>
#include <unikit/time.h>

namespace unikit::http {

using namespace std::chrono_literals;

// ---- limits and defaults --------------------------------------------------------------------

struct Limits {
    size_t max_request_line = 4096;    // request line (method SP target SP version) -> 414
    size_t max_header_bytes = 8192;    // the whole head, request line included -> 431
    size_t max_headers = 64;           // header fields per request (<= kMaxHeaders) -> 431
    size_t max_body = 16384;           // Content-Length of a request body -> 413
    size_t response_buffer = 16384;    // room for a dynamic handler's body (overflow -> 500)
    size_t max_connections = 64;       // concurrent connections; more get 503 and are closed
    Duration header_timeout = 10s;     // first byte of a request -> end of its head; else 408
    Duration idle_timeout = 15s;       // keep-alive wait for the next request; then silent close
    Duration body_timeout = 30s;       // end of head -> end of body; else 408
    Duration write_timeout = 30s;      // each response write; else the connection is aborted
    Duration linger_timeout = 2s;      // draining input after an error response, before close
    std::string_view server_name = "unikit";                 // Server header ("" = none)
    std::string_view static_cache_control = "no-cache";      // for files ("" = none)
};

inline constexpr size_t kMaxHeaders = 128;
inline constexpr size_t kMaxRoutes = 32;

// ---- requests -------------------------------------------------------------------------------

enum class Method : uint8_t { GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT, TRACE, other };
std::string_view method_name(Method m) noexcept;

struct Header {
    std::string_view name;   // as received (compare case-insensitively)
    std::string_view value;  // leading/trailing whitespace removed
};

struct Request {
    Method method = Method::other;
    std::string_view method_text;  // as received ("GET", "FOO")
    std::string_view target;       // request-target as received
    std::string_view path;         // origin path ("/a/b"), from origin- or absolute-form
    std::string_view query;        // after '?', without it ("" if none)
    uint8_t version_minor = 1;     // HTTP/1.<minor>: 0 or 1
    std::span<const Header> headers;
    uint64_t content_length = 0;
    std::span<const uint8_t> body; // Content-Length bytes (when the handler runs)
    bool keep_alive = true;        // by version and Connection (before error handling)
    bool expect_continue = false;  // Expect: 100-continue

    // The first header with this name (case-insensitive), or "" if none.
    std::string_view header(std::string_view name) const noexcept;
    bool has_header(std::string_view name) const noexcept;
};

// Case-insensitive ASCII comparison; token lists ("a, b ,c").
bool iequals(std::string_view a, std::string_view b) noexcept;
bool list_contains_token(std::string_view list, std::string_view token) noexcept;

// ---- the request parser ---------------------------------------------------------------------

struct ParseResult {
    enum Status : uint8_t { incomplete, complete, error };
    Status status = incomplete;
    size_t head_size = 0;   // complete: bytes of the head (request line, headers, empty line)
    int error_status = 0;   // error: 400, 413, 414, 431, 501, 505
};

// An incremental parser for one request head in a buffer that grows between calls (bytes are
// appended; the start stays put). Pure: no allocation, no I/O; string_views point into the
// buffer. Call parse() with all the bytes buffered so far; it resumes the search for the end
// of the head where it stopped. reset() before the next request.
class RequestParser {
public:
    RequestParser(const Limits& limits, std::span<Header> storage) noexcept
        : limits_(&limits), storage_(storage) {}
    ParseResult parse(std::span<const uint8_t> buf, Request& out) noexcept;
    void reset() noexcept { scan_ = 0; }

private:
    const Limits* limits_;
    std::span<Header> storage_;
    size_t scan_ = 0;
};

// Parses a complete head (ending with the empty line); returns 0 or the error status.
int parse_head(std::span<const uint8_t> head, Request& out, std::span<Header> storage, const Limits& limits) noexcept;

// ---- header field parsers (pure, fuzzed) ----------------------------------------------------

struct ByteRange {
    enum Kind : uint8_t { none, satisfiable, unsatisfiable };
    Kind kind = none;        // none: no usable Range (absent, malformed, several ranges, other unit)
    uint64_t first = 0;      // satisfiable: inclusive bounds within [0, size)
    uint64_t last = 0;
};
// A Range header value ("bytes=0-99", "bytes=100-", "bytes=-100") against a representation of
// `size` bytes. Only a single range is honoured; anything else is ignored (RFC 9110 14.2 lets a
// server ignore Range), which answers with the whole representation.
ByteRange parse_range(std::string_view value, uint64_t size) noexcept;

// Whether an Accept-Encoding value allows gzip (gzip/x-gzip or "*" with q > 0; q=0 refuses).
bool accepts_gzip(std::string_view accept_encoding) noexcept;

// If-None-Match: whether the list matches the entity tag (weak comparison; "*" matches).
bool etag_list_matches(std::string_view list, std::string_view etag) noexcept;

// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", exactly 29 characters) for seconds since the
// epoch (0000-9999 years).
inline constexpr size_t kImfFixdateLength = 29;
void format_imf_fixdate(int64_t unix_seconds, std::span<char, kImfFixdateLength> out) noexcept;

// Reason phrase for a status code ("Not Found"; "" if unknown).
std::string_view reason_phrase(int status) noexcept;

// ---- responses ------------------------------------------------------------------------------

class Response;

// A JSON object writer into a Response body: `auto j = res.json(); j.field("a", 1); j.end();`
// Values: bool, integers, floating point is not supported, strings (escaped), nested objects
// with begin_object(name)/end_object(). Nesting is limited to 8 levels.
class JsonWriter {
public:
    explicit JsonWriter(Response& r) noexcept;
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;
    JsonWriter& field(std::string_view name, std::string_view value) noexcept;
    JsonWriter& field(std::string_view name, const char* value) noexcept { return field(name, std::string_view(value)); }
    JsonWriter& field(std::string_view name, bool value) noexcept;
    template <class I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
    JsonWriter& field(std::string_view name, I value) noexcept {
        key(name);
        raw_number(value);
        return *this;
    }
    JsonWriter& begin_object(std::string_view name) noexcept;
    JsonWriter& end_object() noexcept;
    // Closes every open object (the writer's destructor does it too).
    void end() noexcept;
    ~JsonWriter() { end(); }

private:
    void key(std::string_view name) noexcept;
    void string(std::string_view s) noexcept;
    template <class I>
    void raw_number(I v) noexcept;
    Response& r_;
    uint8_t depth_ = 1;
    bool first_[9] = {true, true, true, true, true, true, true, true, true};
};

// What a handler fills in. The body is either text written into the response's own buffer
// (write/print/json) or an external span (set_body) that must stay valid until it is sent
// (constant data such as baked files). Extra headers are copied into a fixed area.
class Response {
public:
    Response(std::span<char> headers_area, std::span<uint8_t> body_area) noexcept
        : hdr_(headers_area), body_buf_(body_area) {}

    void set_status(int status) noexcept { status_ = status; }
    int status() const noexcept { return status_; }
    void set_content_type(std::string_view t) noexcept { content_type_ = t; }  // literal or static
    std::string_view content_type() const noexcept { return content_type_; }
    // Adds "Name: value" (copied). Names the library writes itself (Date, Content-Length,
    // Connection, Server) must not be added.
    void add_header(std::string_view name, std::string_view value) noexcept;
    void write(std::string_view s) noexcept;
    void write(std::span<const uint8_t> s) noexcept;
    template <class... Args>
    void print(std::string_view fmt, const Args&... args) noexcept {
        std::span<char> room(reinterpret_cast<char*>(body_buf_.data()) + body_len_, body_buf_.size() - body_len_);
        size_t n = format_to(room, fmt, args...);
        if (n > room.size()) {
            overflow_ = true;
            n = room.size();
        }
        body_len_ += n;
    }
    JsonWriter json() noexcept {
        content_type_ = "application/json";
        return JsonWriter(*this);
    }
    // An external body (not copied).
    void set_body(std::span<const uint8_t> body) noexcept { external_ = body, has_external_ = true; }
    // Sends headers as for a body of this size but no body (HEAD).
    void omit_body() noexcept { omit_body_ = true; }
    // Connection: close after this response.
    void close_connection() noexcept { close_ = true; }

    // For the server:
    std::span<const uint8_t> body() const noexcept {
        return has_external_ ? external_ : std::span<const uint8_t>(body_buf_.data(), body_len_);
    }
    std::string_view extra_headers() const noexcept { return {hdr_.data(), hdr_len_}; }
    bool overflowed() const noexcept { return overflow_; }
    bool body_omitted() const noexcept { return omit_body_; }
    bool wants_close() const noexcept { return close_; }
    void clear() noexcept;

private:
    friend class JsonWriter;
    std::span<char> hdr_;
    size_t hdr_len_ = 0;
    std::span<uint8_t> body_buf_;
    size_t body_len_ = 0;
    std::span<const uint8_t> external_;
    std::string_view content_type_;
    int status_ = 200;
    bool has_external_ = false;
    bool overflow_ = false;
    bool omit_body_ = false;
    bool close_ = false;
};

template <class I>
void JsonWriter::raw_number(I v) noexcept {
    r_.print("{}", v);
}

// ---- routing --------------------------------------------------------------------------------

using Handler = void (*)(void* ctx, const Request& req, Response& res);
using SimpleHandler = void (*)(const Request& req, Response& res);

// Routes: exact paths ("/status") or prefixes ending in '*' ("/api/*"), checked in the order
// they were added; then static files from the KvStore given to files(). A route for GET also
// answers HEAD (the body is dropped).
class Router {
public:
    bool route(Method m, std::string_view path, Handler h, void* ctx = nullptr) noexcept;
    bool route(Method m, std::string_view path, SimpleHandler h) noexcept;
    template <class F>
        requires std::is_convertible_v<F, SimpleHandler>
    bool get(std::string_view path, F f) noexcept {
        return route(Method::GET, path, static_cast<SimpleHandler>(f));
    }
    bool get(std::string_view path, Handler h, void* ctx) noexcept { return route(Method::GET, path, h, ctx); }
    template <class F>
        requires std::is_convertible_v<F, SimpleHandler>
    bool post(std::string_view path, F f) noexcept {
        return route(Method::POST, path, static_cast<SimpleHandler>(f));
    }
    bool post(std::string_view path, Handler h, void* ctx) noexcept { return route(Method::POST, path, h, ctx); }
    // Static files: GET/HEAD for keys of `store` ("/" and "/dir/" serve ".../index.html").
    void files(const kv::KvStore* store) noexcept { files_ = store; }
    const kv::KvStore* files() const noexcept { return files_; }

    struct Route {
        Method method;
        std::string_view path;
        Handler handler;
        SimpleHandler simple;
        void* ctx;
    };
    // The route for (method, path); HEAD matches GET routes. `allow` gets the methods routed
    // for the path (bit per Method) so a miss can answer 405 with Allow.
    const Route* find(Method m, std::string_view path, unsigned& allow) const noexcept;

private:
    Route routes_[kMaxRoutes];
    size_t count_ = 0;
    const kv::KvStore* files_ = nullptr;
};

// ---- server statistics ----------------------------------------------------------------------

struct ServerStats {
    uint64_t requests = 0;             // responses sent to parsed requests
    uint64_t status_1xx_5xx[6] = {};   // by class (index 1..5)
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
    uint64_t connections_total = 0;    // accepted (rejected ones included)
    uint64_t connections_active = 0;   // being served now
    uint64_t connections_rejected = 0; // over the limit: 503
    uint64_t header_timeouts = 0;      // 408
    uint64_t idle_closes = 0;          // keep-alive timeouts
    uint64_t write_timeouts = 0;       // aborted writes
};

class Server;

// ---- one connection, sans I/O ---------------------------------------------------------------

// The protocol state of one connection: the I/O driver asks next() what to do, performs it
// and reports back (on_read / on_written / on_read_timeout / on_eof). Deterministic; no clock
// reads except through `now` arguments.
class Connection {
public:
    enum class Action : uint8_t {
        read,         // read into read_space(), with deadline read_deadline()
        write,        // write out_head() then out_body(), each within the write timeout
        close,        // graceful close (FIN)
        linger_close, // shutdown our side, drain input (linger_timeout), then close
    };

    // `memory` must be at least memory_size(limits) bytes, aligned for Header.
    Connection(Server& server, std::span<uint8_t> memory, TimePoint now) noexcept;
    static size_t memory_size(const Limits& limits) noexcept;

    Action next(TimePoint now) noexcept;
    std::span<uint8_t> read_space() noexcept;
    TimePoint read_deadline() const noexcept { return deadline_; }
    void on_read(size_t n, TimePoint now) noexcept;  // n == 0: end of input
    void on_read_timeout(TimePoint now) noexcept;
    std::span<const uint8_t> out_head() const noexcept { return {out_.data(), out_len_}; }
    std::span<const uint8_t> out_body() const noexcept { return out_body_; }
    void on_written(TimePoint now) noexcept;

private:
    enum class Phase : uint8_t { idle, head, body, respond, closing, lingering, done };
    void process(TimePoint now) noexcept;
    void respond_error(int status, TimePoint now) noexcept;
    void handle(TimePoint now) noexcept;
    void serve_file(const kv::KvStore& store, Response& res) noexcept;
    void emit(const Response& res, bool counted) noexcept;

    Server& srv_;
    const Limits& lim_;
    std::span<uint8_t> in_;        // receive buffer (head + body)
    size_t in_len_ = 0;
    std::span<Header> headers_;
    std::span<uint8_t> out_;       // status line + headers
    size_t out_len_ = 0;
    std::span<const uint8_t> out_body_;
    std::span<char> extra_hdr_;
    std::span<uint8_t> resp_body_;
    RequestParser parser_;
    Request req_;
    size_t head_size_ = 0;
    size_t consumed_ = 0;          // bytes of the current request (head + body) to drop after it
    Phase phase_ = Phase::idle;
    TimePoint deadline_ = kNever;
    bool close_after_ = false;
    bool error_close_ = false;     // close after an error: linger (drain input) first
    bool interim_ = false;         // out_ holds a 100 Continue
    bool sent_continue_ = false;
    bool eof_ = false;
    char path_buf_[512];
};

// ---- the server -----------------------------------------------------------------------------

template <class S>
concept Stream = requires(S& s, std::span<uint8_t> in, std::span<const uint8_t> out, CancelToken t) {
    { s.read(in, t) } -> std::same_as<Task<Result<size_t>>>;
    { s.write_all(out, t) } -> std::same_as<Task<Result<void>>>;
    { s.shutdown() } -> std::same_as<Task<Result<void>>>;
    { s.close() } -> std::same_as<Task<Result<void>>>;
    s.abort();
};

template <class L>
concept Listener = requires(L& l, CancelToken t) {
    { l.accept(t) };
};

class Server {
public:
    explicit Server(const Router& router, Limits limits = {}) noexcept : router_(router), limits_(limits) {
        if (limits_.max_headers > kMaxHeaders) limits_.max_headers = kMaxHeaders;
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Serves one connection until it closes. Counts against max_connections; a connection over
    // the limit is answered 503 and closed.
    template <Stream S>
    Task<void> serve_connection(S stream);

    // Accepts connections and serves each in its own detached task, until `stop` is cancelled
    // or accept fails (its error is returned; Error::cancelled after stop). Transient accept
    // errors (overflow, again, no_memory) are retried after 10 ms.
    template <Listener L>
    Task<Result<void>> serve(L& listener, CancelToken stop = {});

    const Limits& limits() const noexcept { return limits_; }
    const Router& router() const noexcept { return router_; }
    ServerStats& stats() noexcept { return stats_; }
    const ServerStats& stats() const noexcept { return stats_; }

    // Bytes of memory in use, for status pages (nullptr: unknown). The runtime can supply it.
    void set_memory_hook(size_t (*hook)()) noexcept { memory_hook_ = hook; }
    // Writes uptime_s, requests, bytes_in, bytes_out, connections {active,total,rejected},
    // timeouts and memory_bytes (when a hook is set) as fields of `j`.
    void status_fields(JsonWriter& j) const noexcept;

    // Date header value for now (cached per second).
    std::string_view date() noexcept;

private:
    friend class Connection;
    static void cancel_cb(void* src) noexcept { static_cast<CancelSource*>(src)->cancel(); }

    const Router& router_;
    Limits limits_;
    ServerStats stats_;
    size_t (*memory_hook_)() = nullptr;
    int64_t date_second_ = -1;
    char date_[kImfFixdateLength];
    size_t rejecting_ = 0;
};

// The 503 sent to connections over the limit (no Date: allowed for 5xx by RFC 9110 6.6.1).
inline constexpr std::string_view kServiceUnavailable =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n"
    "Retry-After: 1\r\nConnection: close\r\n\r\n503 Service Unavailable\n";
// The Content-Length above must match the body after the blank line.
static_assert(kServiceUnavailable.size() - (kServiceUnavailable.find("\r\n\r\n") + 4) == 24);

template <Stream S>
Task<void> Server::serve_connection(S s) {
    ++stats_.connections_total;
    if (stats_.connections_active >= limits_.max_connections) {
        ++stats_.connections_rejected;
        if (rejecting_ >= limits_.max_connections) {  // do not pile up rejecters either
            s.abort();
            co_return;
        }
        ++rejecting_;
        {
            CancelSource cs;
            Timer t(&Server::cancel_cb, &cs);
            t.arm_after(std::min<Duration>(limits_.write_timeout, 1s));
            auto data = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kServiceUnavailable.data()),
                                                 kServiceUnavailable.size());
            auto w = co_await s.write_all(data, cs.token());
            if (w) stats_.bytes_out += data.size();
            ++stats_.status_1xx_5xx[5];
        }
        (void)co_await s.close();
        --rejecting_;
        co_return;
    }
    ++stats_.connections_active;
    struct ActiveGuard {
        ServerStats& st;
        ~ActiveGuard() { --st.connections_active; }
    } guard{stats_};

    const size_t size = Connection::memory_size(limits_);
    void* mem = ::operator new(size, std::align_val_t(alignof(Header)), std::nothrow);
    if (!mem) {
        s.abort();
        co_return;
    }
    struct MemGuard {
        void* p;
        ~MemGuard() { ::operator delete(p, std::align_val_t(alignof(Header)), std::nothrow); }
    } mem_guard{mem};

    if constexpr (requires { s.set_nodelay(true); }) {
        (void)s.set_nodelay(true);  // responses are whole writes: do not hold them back (Nagle)
    }
    // The clock is read once after each wait (on spt every read is a system call), not per call.
    TimePoint at = now();
    Connection c(*this, std::span<uint8_t>(static_cast<uint8_t*>(mem), size), at);
    for (;;) {
        switch (c.next(at)) {
            case Connection::Action::read: {
                CancelSource cs;
                Timer t(&Server::cancel_cb, &cs);
                if (c.read_deadline() != kNever) t.arm_at(c.read_deadline());
                auto r = co_await s.read(c.read_space(), cs.token());
                t.cancel();
                at = now();
                if (r) {
                    stats_.bytes_in += *r;
                    c.on_read(*r, at);
                } else if (cs.cancelled()) {
                    c.on_read_timeout(at);
                } else {
                    s.abort();
                    co_return;
                }
                break;
            }
            case Connection::Action::write: {
                bool ok = true;
                for (auto part : {c.out_head(), c.out_body()}) {
                    if (part.empty()) continue;
                    CancelSource cs;
                    Timer t(&Server::cancel_cb, &cs);
                    t.arm_at(at + limits_.write_timeout);
                    auto w = co_await s.write_all(part, cs.token());
                    at = now();
                    if (!w) {
                        if (cs.cancelled()) ++stats_.write_timeouts;
                        ok = false;
                        break;
                    }
                    stats_.bytes_out += part.size();
                }
                if (!ok) {
                    s.abort();
                    co_return;
                }
                c.on_written(at);
                break;
            }
            case Connection::Action::close:
                (void)co_await s.close();
                co_return;
            case Connection::Action::linger_close: {
                (void)co_await s.shutdown();
                CancelSource cs;
                Timer t(&Server::cancel_cb, &cs);
                t.arm_after(limits_.linger_timeout);
                uint8_t sink[512];
                for (size_t drained = 0; drained < 65536;) {
                    auto r = co_await s.read(std::span<uint8_t>(sink, sizeof sink), cs.token());
                    if (!r || *r == 0) break;
                    drained += *r;
                }
                t.cancel();
                (void)co_await s.close();
                co_return;
            }
        }
    }
}

// Listens on a TCP port (net::TcpListener::bind) and serves it until `stop` (src/http/net.cpp;
// links the socket API).
Task<Result<void>> serve_tcp(Server& server, uint16_t port, CancelToken stop = {});

template <Listener L>
Task<Result<void>> Server::serve(L& listener, CancelToken stop) {
    for (;;) {
        auto s = co_await listener.accept(stop);
        if (s) {
            spawn(serve_connection(std::move(*s)));
            continue;
        }
        // Out of connection slots or memory for now: wait a little and accept again.
        if (s.error() != Error::overflow && s.error() != Error::again && s.error() != Error::no_memory)
            co_return fail(s.error());
        auto r = co_await sleep(10ms, stop);
        if (!r) co_return fail(r.error());
    }
}

}  // namespace unikit::http
