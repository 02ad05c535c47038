// unikit::http - Connection (the sans-I/O protocol state of one connection) and Server helpers.
#include <unikit/http.h>

#include <algorithm>

namespace unikit::http {

namespace {

constexpr size_t kOutHead = 4096;    // status line, headers, and small bodies copied in
constexpr size_t kExtraHeaders = 1024;

size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Appends to a fixed buffer; remembers overflow.
struct Out {
    std::span<uint8_t> buf;
    size_t len = 0;
    bool overflow = false;
    void put(std::string_view s) {
        if (len + s.size() > buf.size()) {
            overflow = true;
            return;
        }
        std::copy(s.begin(), s.end(), buf.data() + len);
        len += s.size();
    }
    void num(uint64_t v) {
        char tmp[20];
        size_t n = 0;
        do {
            tmp[n++] = char('0' + v % 10);
            v /= 10;
        } while (v);
        char rev[20];
        for (size_t i = 0; i < n; ++i) rev[i] = tmp[n - 1 - i];
        put(std::string_view(rev, n));
    }
    void header(std::string_view name, std::string_view value) {
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
};

}  // namespace

// ---- Server helpers --------------------------------------------------------------------------

std::string_view Server::date() noexcept {
    int64_t s = wall_now().time_since_epoch().count() / 1'000'000'000;
    if (s != date_second_) {
        format_imf_fixdate(s, std::span<char, kImfFixdateLength>(date_, kImfFixdateLength));
        date_second_ = s;
    }
    return {date_, kImfFixdateLength};
}

void Server::status_fields(JsonWriter& j) const noexcept {
    j.field("uptime_s", uint64_t(std::chrono::duration_cast<std::chrono::seconds>(uptime()).count()));
    j.field("requests", stats_.requests);
    j.field("bytes_in", stats_.bytes_in);
    j.field("bytes_out", stats_.bytes_out);
    j.begin_object("connections");
    j.field("active", stats_.connections_active);
    j.field("total", stats_.connections_total);
    j.field("rejected", stats_.connections_rejected);
    j.end_object();
    j.begin_object("timeouts");
    j.field("header", stats_.header_timeouts);
    j.field("idle", stats_.idle_closes);
    j.field("write", stats_.write_timeouts);
    j.end_object();
    if (memory_hook_) j.field("memory_bytes", uint64_t(memory_hook_()));
}

// ---- Connection ------------------------------------------------------------------------------

size_t Connection::memory_size(const Limits& l) noexcept {
    size_t headers = std::min(l.max_headers, kMaxHeaders) * sizeof(Header);
    return align_up(headers, 16) + align_up(l.max_header_bytes + l.max_body, 16) + kOutHead + kExtraHeaders +
           l.response_buffer;
}

Connection::Connection(Server& server, std::span<uint8_t> mem, TimePoint now) noexcept
    : srv_(server), lim_(server.limits_), parser_(server.limits_, {}) {
    size_t nh = std::min(lim_.max_headers, kMaxHeaders);
    headers_ = std::span<Header>(reinterpret_cast<Header*>(mem.data()), nh);
    for (Header& h : headers_) new (&h) Header{};
    size_t off = align_up(nh * sizeof(Header), 16);
    in_ = mem.subspan(off, lim_.max_header_bytes + lim_.max_body);
    off += align_up(in_.size(), 16);
    out_ = mem.subspan(off, kOutHead);
    off += kOutHead;
    extra_hdr_ = std::span<char>(reinterpret_cast<char*>(mem.data() + off), kExtraHeaders);
    off += kExtraHeaders;
    resp_body_ = mem.subspan(off, lim_.response_buffer);
    parser_ = RequestParser(lim_, headers_);
    deadline_ = now + lim_.idle_timeout;
}

Connection::Action Connection::next(TimePoint) noexcept {
    switch (phase_) {
        case Phase::idle:
        case Phase::head:
        case Phase::body:
            return eof_ ? Action::close : Action::read;
        case Phase::respond:
            return Action::write;
        case Phase::lingering:
            return Action::linger_close;
        case Phase::closing:
        case Phase::done:
            break;
    }
    return Action::close;
}

std::span<uint8_t> Connection::read_space() noexcept { return in_.subspan(in_len_); }

void Connection::on_read(size_t n, TimePoint now) noexcept {
    if (n == 0) {
        eof_ = true;  // a partial request is dropped: the client is gone
        return;
    }
    in_len_ += std::min(n, in_.size() - in_len_);
    process(now);
}

void Connection::on_read_timeout(TimePoint now) noexcept {
    if (phase_ == Phase::idle) {
        ++srv_.stats_.idle_closes;
        phase_ = Phase::done;
        return;
    }
    ++srv_.stats_.header_timeouts;
    respond_error(408, now);
}

void Connection::process(TimePoint now) noexcept {
    if (phase_ == Phase::idle) {
        if (in_len_ == 0) return;
        phase_ = Phase::head;
        deadline_ = now + lim_.header_timeout;  // the whole head must arrive by then
    }
    if (phase_ == Phase::head) {
        ParseResult r = parser_.parse(in_.first(in_len_), req_);
        if (r.status == ParseResult::incomplete) return;
        if (r.status == ParseResult::error) {
            respond_error(r.error_status, now);
            return;
        }
        head_size_ = r.head_size;
        if (req_.content_length > lim_.max_body) {
            respond_error(413, now);
            return;
        }
        phase_ = Phase::body;
        sent_continue_ = false;
        deadline_ = now + lim_.body_timeout;
    }
    if (phase_ == Phase::body) {
        size_t need = head_size_ + size_t(req_.content_length);
        if (in_len_ < need) {
            if (req_.expect_continue && !sent_continue_) {
                sent_continue_ = true;
                Out o{out_};
                o.put("HTTP/1.1 100 Continue\r\n\r\n");
                out_len_ = o.len;
                out_body_ = {};
                interim_ = true;
                phase_ = Phase::respond;
            }
            return;
        }
        req_.body = in_.subspan(head_size_, size_t(req_.content_length));
        consumed_ = need;
        handle(now);
    }
}

void Connection::on_written(TimePoint now) noexcept {
    if (interim_) {
        interim_ = false;
        phase_ = Phase::body;
        process(now);
        return;
    }
    if (close_after_) {
        // Unread input (an error, or requests pipelined after "Connection: close") would make
        // the peer's stack answer our close with a reset that can destroy the response in
        // flight: drain it first (RFC 9112 9.6).
        phase_ = error_close_ || in_len_ > consumed_ ? Phase::lingering : Phase::closing;
        return;
    }
    // Keep-alive: drop this request's bytes; a pipelined request may already be buffered.
    std::copy(in_.begin() + consumed_, in_.begin() + in_len_, in_.begin());
    in_len_ -= consumed_;
    consumed_ = 0;
    parser_.reset();
    phase_ = Phase::idle;
    deadline_ = now + lim_.idle_timeout;
    process(now);
}

void Connection::respond_error(int status, TimePoint now) noexcept {
    Response res(extra_hdr_, resp_body_);
    res.set_status(status);
    res.set_content_type("text/plain; charset=utf-8");
    res.print("{} {}\n", status, reason_phrase(status));
    close_after_ = true;
    error_close_ = true;
    emit(res, false);
}

void Connection::handle(TimePoint now) noexcept {
    Response res(extra_hdr_, resp_body_);
    const Router& router = srv_.router_;
    unsigned allow = 0;
    const Router::Route* route = router.find(req_.method, req_.path, allow);
    if (route) {
        if (route->simple) route->simple(req_, res);
        else route->handler(route->ctx, req_, res);
        if (res.overflowed()) {
            res.clear();
            res.set_status(500);
            res.set_content_type("text/plain; charset=utf-8");
            res.write("500 Internal Server Error\n");
        }
    } else if (allow) {
        res.set_status(405);
        char list[96];
        size_t n = 0;
        for (unsigned m = 0; m < unsigned(Method::other); ++m) {
            if (!(allow & (1u << m))) continue;
            std::string_view name = method_name(Method(m));
            if (n) list[n++] = ',', list[n++] = ' ';
            n += name.copy(list + n, name.size());
        }
        res.add_header("Allow", std::string_view(list, n));
        res.set_content_type("text/plain; charset=utf-8");
        res.write("405 Method Not Allowed\n");
    } else if (router.files() && req_.method != Method::other && req_.path.starts_with("/")) {
        if (req_.method != Method::GET && req_.method != Method::HEAD) {
            res.set_status(405);
            res.add_header("Allow", "GET, HEAD");
            res.set_content_type("text/plain; charset=utf-8");
            res.write("405 Method Not Allowed\n");
        } else {
            serve_file(*router.files(), res);
        }
    } else {
        int st = req_.method == Method::other ? 501 : 404;
        res.set_status(st);
        res.set_content_type("text/plain; charset=utf-8");
        res.print("{} {}\n", st, reason_phrase(st));
    }
    if (req_.method == Method::HEAD) res.omit_body();
    close_after_ = !req_.keep_alive || res.wants_close();
    error_close_ = false;
    emit(res, true);
}

void Connection::serve_file(const kv::KvStore& store, Response& res) noexcept {
    auto text = [&](int status) {
        res.set_status(status);
        res.set_content_type("text/plain; charset=utf-8");
        res.print("{} {}\n", status, reason_phrase(status));
    };
    // The key: the percent-decoded path, with "index.html" after a trailing slash.
    std::string_view p = req_.path;
    size_t n = 0;
    const size_t cap = sizeof(path_buf_) - 12;  // room for "/index.html"
    for (size_t i = 0; i < p.size(); ++i) {
        if (n >= cap) return text(404);
        char c = p[i];
        if (c == '%') {
            int hi = i + 2 < p.size() ? hex_value(p[i + 1]) : -1;
            int lo = i + 2 < p.size() ? hex_value(p[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return text(400);
            c = char(hi * 16 + lo);
            i += 2;
        }
        path_buf_[n++] = c;
    }
    if (n && path_buf_[n - 1] == '/') {
        std::string_view idx = "index.html";
        n += idx.copy(path_buf_ + n, idx.size());
    }
    auto found = store.get(std::string_view(path_buf_, n));
    if (!found && n && path_buf_[n - 1] != '/') {
        // A directory named without its slash: redirect to "/dir/" when it has an index.
        std::string_view idx = "/index.html";
        size_t m = n + idx.copy(path_buf_ + n, idx.size());
        if (req_.path.size() + 2 <= sizeof(path_buf_) && store.get(std::string_view(path_buf_, m))) {
            char loc[sizeof(path_buf_) + 2];
            size_t k = req_.path.copy(loc, sizeof(loc) - 2);
            loc[k++] = '/';
            res.add_header("Location", std::string_view(loc, k));
            return text(301);
        }
    }
    if (!found || !found->resident) return text(404);
    const kv::KvEntry& e = *found;

    char last_modified[kImfFixdateLength];
    format_imf_fixdate(e.modified, std::span<char, kImfFixdateLength>(last_modified, kImfFixdateLength));
    std::string_view lm(last_modified, kImfFixdateLength);

    // Range applies to the identity representation (GET only); If-Range must validate it.
    ByteRange range;
    std::string_view range_hdr = req_.header("range");
    if (req_.method == Method::GET && !range_hdr.empty()) {
        range = parse_range(range_hdr, e.size);
        std::string_view if_range = req_.header("if-range");
        if (range.kind != ByteRange::none && !if_range.empty()) {
            bool valid = if_range.starts_with("\"") ? if_range == e.etag : if_range == lm;
            if (!valid) range.kind = ByteRange::none;
        }
    }
    bool gzip = e.has_gzip() && range.kind == ByteRange::none && accepts_gzip(req_.header("accept-encoding"));
    std::string_view etag = gzip ? e.gzip_etag : e.etag;

    if (e.has_gzip()) res.add_header("Vary", "Accept-Encoding");
    res.add_header("ETag", etag);
    res.add_header("Last-Modified", lm);
    if (!lim_.static_cache_control.empty()) res.add_header("Cache-Control", lim_.static_cache_control);

    // Conditional requests (RFC 9110 13.2.2): If-None-Match, else If-Modified-Since (exact).
    std::string_view inm = req_.header("if-none-match");
    bool not_modified = !inm.empty() ? etag_list_matches(inm, etag) : req_.header("if-modified-since") == lm;
    if (not_modified) {
        res.set_status(304);
        return;
    }
    res.set_content_type(e.content_type);
    res.add_header("Accept-Ranges", "bytes");
    if (range.kind == ByteRange::unsatisfiable) {
        char cr[40];
        size_t k = format_to(std::span<char>(cr, sizeof cr), "bytes */{}", e.size);
        res.add_header("Content-Range", std::string_view(cr, std::min(k, sizeof cr)));
        res.set_content_type("text/plain; charset=utf-8");
        res.print("416 Range Not Satisfiable\n");
        res.set_status(416);
        return;
    }
    if (range.kind == ByteRange::satisfiable) {
        char cr[64];
        size_t k = format_to(std::span<char>(cr, sizeof cr), "bytes {}-{}/{}", range.first, range.last, e.size);
        res.add_header("Content-Range", std::string_view(cr, std::min(k, sizeof cr)));
        res.set_status(206);
        res.set_body(e.data.subspan(size_t(range.first), size_t(range.last - range.first + 1)));
        return;
    }
    if (gzip) res.add_header("Content-Encoding", "gzip");
    res.set_status(200);
    res.set_body(gzip ? e.gzip_data : e.data);
}

void Connection::emit(const Response& res, bool counted) noexcept {
    const int status = res.status();
    ServerStats& st = srv_.stats_;
    ++st.requests;
    if (status >= 100 && status < 600) ++st.status_1xx_5xx[status / 100];

    std::span<const uint8_t> body = res.body();
    const bool no_body_status = status == 204 || status == 304 || status < 200;
    Out o{out_};
    o.put("HTTP/1.1 ");
    o.num(uint64_t(status));
    o.put(" ");
    o.put(reason_phrase(status));
    o.put("\r\n");
    o.header("Date", srv_.date());
    if (!lim_.server_name.empty()) o.header("Server", lim_.server_name);
    if (!no_body_status) {
        if (!res.content_type().empty()) o.header("Content-Type", res.content_type());
        o.put("Content-Length: ");
        o.num(body.size());
        o.put("\r\n");
    }
    o.put(res.extra_headers());
    if (close_after_) o.put("Connection: close\r\n");
    else if (req_.version_minor == 0) o.put("Connection: keep-alive\r\n");
    o.put("\r\n");
    if (no_body_status || res.body_omitted()) body = {};
    if (o.overflow) {  // cannot happen with the fixed header sizes; answer 500 and close
        o = Out{out_};
        o.put("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        body = {};
        close_after_ = error_close_ = true;
    }
    // Small bodies travel with the head in one write.
    if (!body.empty() && body.size() <= out_.size() - o.len) {
        std::copy(body.begin(), body.end(), out_.data() + o.len);
        o.len += body.size();
        body = {};
    }
    out_len_ = o.len;
    out_body_ = body;
    phase_ = Phase::respond;
    (void)counted;
}

}  // namespace unikit::http
