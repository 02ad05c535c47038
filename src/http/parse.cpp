// unikit::http - request parsing and header-field parsers (pure; fuzzed). RFC 9110, 9112.
#include <unikit/http.h>

#include <algorithm>

namespace unikit::http {

namespace {

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

// tchar (RFC 9110 5.6.2)
constexpr bool is_tchar(uint8_t c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
        case '-': case '.': case '^': case '_': case '`': case '|': case '~':
            return true;
        default:
            return false;
    }
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view as_sv(std::span<const uint8_t> b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// 1*DIGIT, at most 19 digits (fits in uint64_t).
bool parse_u64(std::string_view s, uint64_t& out) noexcept {
    if (s.empty() || s.size() > 19) return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + uint64_t(c - '0');
    }
    out = v;
    return true;
}

// Calls f(element) for each non-empty element of a comma-separated list.
template <class F>
void for_each_element(std::string_view list, F f) noexcept {
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view el = trim(list.substr(0, comma));
        if (!el.empty() && !f(el)) return;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

struct MethodName {
    std::string_view name;
    Method m;
};
constexpr MethodName kMethods[] = {
    {"GET", Method::GET},         {"HEAD", Method::HEAD},       {"POST", Method::POST},
    {"PUT", Method::PUT},         {"DELETE", Method::DELETE},   {"OPTIONS", Method::OPTIONS},
    {"PATCH", Method::PATCH},     {"CONNECT", Method::CONNECT}, {"TRACE", Method::TRACE},
};

}  // namespace

std::string_view method_name(Method m) noexcept {
    for (const auto& k : kMethods)
        if (k.m == m) return k.name;
    return "";
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool list_contains_token(std::string_view list, std::string_view token) noexcept {
    bool found = false;
    for_each_element(list, [&](std::string_view el) {
        if (iequals(el, token)) found = true;
        return !found;
    });
    return found;
}

std::string_view Request::header(std::string_view name) const noexcept {
    for (const Header& h : headers)
        if (iequals(h.name, name)) return h.value;
    return {};
}

bool Request::has_header(std::string_view name) const noexcept {
    for (const Header& h : headers)
        if (iequals(h.name, name)) return true;
    return false;
}

// ---- the head ------------------------------------------------------------------------------

namespace {

// Splits a request target into path and query; 0 or 400.
int split_target(Request& r) noexcept {
    std::string_view t = r.target;
    if (t == "*") {
        if (r.method != Method::OPTIONS) return 400;
        r.path = t;
        return 0;
    }
    if (t.front() != '/') {
        // absolute-form: scheme "://" authority [path-abempty] ["?" query]
        size_t colon = t.find("://");
        if (colon == std::string_view::npos || colon == 0) return 400;
        std::string_view scheme = t.substr(0, colon);
        if (!iequals(scheme, "http") && !iequals(scheme, "https")) return 400;
        std::string_view rest = t.substr(colon + 3);
        size_t end = rest.find_first_of("/?");
        if (end == 0 || rest.empty()) return 400;  // empty authority
        t = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
        if (t.front() == '?') {
            r.path = "/";
            r.query = t.substr(1);
            return 0;
        }
    }
    if (t.find('#') != std::string_view::npos) return 400;
    size_t q = t.find('?');
    r.path = t.substr(0, q);
    r.query = q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
    return 0;
}

int parse_request_line(std::string_view line, Request& r) noexcept {
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) return 400;
    std::string_view method = line.substr(0, sp1);
    for (char c : method)
        if (!is_tchar(uint8_t(c))) return 400;
    size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return 400;
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    for (char c : target)
        if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7f) return 400;
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9')
        return 400;
    if (version[5] != '1') return 505;
    r.version_minor = version[7] == '0' ? 0 : 1;  // 1.x with x > 1: answer as 1.1 (RFC 9110 6.2)
    r.method_text = method;
    r.method = Method::other;
    for (const auto& k : kMethods)
        if (k.name == method) r.method = k.m;
    r.target = target;
    return split_target(r);
}

}  // namespace

int parse_head(std::span<const uint8_t> head, Request& r, std::span<Header> storage, const Limits& limits) noexcept {
    r = Request{};
    std::string_view rest = as_sv(head);
    auto next_line = [&](std::string_view& line) -> bool {
        size_t lf = rest.find('\n');
        if (lf == std::string_view::npos) return false;
        line = rest.substr(0, lf);
        rest.remove_prefix(lf + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return true;
    };
    std::string_view line;
    if (!next_line(line)) return 400;
    if (line.find('\r') != std::string_view::npos) return 400;
    if (int e = parse_request_line(line, r)) return e;

    const size_t max_headers = std::min(limits.max_headers, storage.size());
    size_t n = 0;
    int hosts = 0;
    bool have_length = false;
    bool close = false, keep_alive = false;
    for (;;) {
        if (!next_line(line)) return 400;  // the head must end with an empty line
        if (line.empty()) break;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return 400;
        std::string_view name = line.substr(0, colon);
        for (char c : name)
            if (!is_tchar(uint8_t(c))) return 400;  // also catches obs-fold and "Name :"
        std::string_view value = trim(line.substr(colon + 1));
        for (char c : value) {
            uint8_t u = uint8_t(c);
            if ((u < 0x20 && u != '\t') || u == 0x7f) return 400;  // CTLs (CR, LF, NUL, ...)
        }
        if (n == max_headers) return 431;
        storage[n++] = Header{name, value};

        if (iequals(name, "host")) {
            ++hosts;
        } else if (iequals(name, "content-length")) {
            uint64_t len;
            if (!parse_u64(value, len)) return 400;
            if (have_length && len != r.content_length) return 400;
            have_length = true;
            r.content_length = len;
        } else if (iequals(name, "transfer-encoding")) {
            return 501;  // chunked (or any) request bodies are not implemented
        } else if (iequals(name, "connection")) {
            if (list_contains_token(value, "close")) close = true;
            if (list_contains_token(value, "keep-alive")) keep_alive = true;
        } else if (iequals(name, "expect") && r.version_minor == 1) {
            if (!iequals(value, "100-continue")) return 417;
            r.expect_continue = true;
        }
    }
    if (hosts > 1 || (hosts == 0 && r.version_minor == 1)) return 400;
    r.headers = std::span<const Header>(storage.data(), n);
    r.keep_alive = !close && (r.version_minor == 1 || keep_alive);
    return 0;
}

ParseResult RequestParser::parse(std::span<const uint8_t> buf, Request& out) noexcept {
    ParseResult res;
    // RFC 9112 2.2: ignore empty lines before the request line.
    size_t start = 0;
    while (start < buf.size() && (buf[start] == '\r' || buf[start] == '\n')) ++start;
    const size_t limit = std::min(buf.size(), limits_->max_header_bytes);

    // The request line must end within max_request_line bytes.
    size_t line_end = start;
    while (line_end < buf.size() && buf[line_end] != '\n') ++line_end;
    size_t line_len = line_end - start;
    if (line_len > 0 && buf[line_end - 1] == '\r') --line_len;  // CR of CRLF (or maybe, not yet)
    if (line_len > limits_->max_request_line) {
        res.status = ParseResult::error;
        res.error_status = 414;
        return res;
    }
    if (line_end == buf.size()) {
        // Even before the line ends, a method byte no token allows is already a bad request.
        for (size_t k = start; k < line_end && buf[k] != ' '; ++k) {
            if (!is_tchar(buf[k]) && !(buf[k] == '\r' && k + 1 == line_end)) {
                res.status = ParseResult::error;
                res.error_status = 400;
                return res;
            }
        }
        if (buf.size() >= limits_->max_header_bytes) {
            res.status = ParseResult::error;
            res.error_status = 431;
        }
        return res;
    }
    // The request line is complete: judge it now, not when the head ends, so a client sending
    // garbage is answered at once instead of holding the connection until the header timeout.
    {
        Request probe;
        if (int e = parse_request_line(as_sv(buf.subspan(start, line_len)), probe)) {
            res.status = ParseResult::error;
            res.error_status = e;
            return res;
        }
    }
    // The end of the head: a line feed that ends an empty line.
    size_t i = std::max(scan_, line_end + 1);
    for (; i < limit; ++i) {
        if (buf[i] != '\n') continue;
        bool empty_line = buf[i - 1] == '\n' || (buf[i - 1] == '\r' && i >= 2 && buf[i - 2] == '\n');
        if (!empty_line) continue;
        size_t end = i + 1;
        int e = parse_head(buf.subspan(start, end - start), out, storage_, *limits_);
        if (e) {
            res.status = ParseResult::error;
            res.error_status = e;
            return res;
        }
        res.status = ParseResult::complete;
        res.head_size = end;
        return res;
    }
    scan_ = i;
    if (buf.size() >= limits_->max_header_bytes) {
        res.status = ParseResult::error;
        res.error_status = 431;
    }
    return res;
}

// ---- field parsers ---------------------------------------------------------------------------

ByteRange parse_range(std::string_view value, uint64_t size) noexcept {
    ByteRange none;
    value = trim(value);
    size_t eq = value.find('=');
    if (eq == std::string_view::npos || !iequals(trim(value.substr(0, eq)), "bytes")) return none;
    std::string_view spec = trim(value.substr(eq + 1));
    if (spec.empty() || spec.find(',') != std::string_view::npos) return none;  // one range only
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return none;
    std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
    ByteRange r;
    if (a.empty()) {  // suffix: the last n bytes
        uint64_t n;
        if (!parse_u64(b, n)) return none;
        if (n == 0 || size == 0) {
            r.kind = ByteRange::unsatisfiable;
            return r;
        }
        r.kind = ByteRange::satisfiable;
        r.first = n >= size ? 0 : size - n;
        r.last = size - 1;
        return r;
    }
    uint64_t first, last = 0;
    if (!parse_u64(a, first)) return none;
    if (!b.empty()) {
        if (!parse_u64(b, last) || last < first) return none;
    }
    if (first >= size) {
        r.kind = ByteRange::unsatisfiable;
        return r;
    }
    r.kind = ByteRange::satisfiable;
    r.first = first;
    r.last = b.empty() || last >= size ? size - 1 : last;
    return r;
}

namespace {
// qvalue (RFC 9110 12.4.2) in thousandths; -1 if malformed.
int parse_qvalue(std::string_view q) noexcept {
    if (q.empty() || q.size() > 5) return -1;
    if (q[0] != '0' && q[0] != '1') return -1;
    int v = (q[0] - '0') * 1000;
    if (q.size() == 1) return v;
    if (q[1] != '.') return -1;
    int scale = 100;
    for (size_t i = 2; i < q.size(); ++i, scale /= 10) {
        if (q[i] < '0' || q[i] > '9') return -1;
        v += (q[i] - '0') * scale;
    }
    return v > 1000 ? -1 : v;
}
}  // namespace

bool accepts_gzip(std::string_view value) noexcept {
    int gzip_q = -2, star_q = -2;  // -2: not mentioned
    for_each_element(value, [&](std::string_view el) {
        size_t semi = el.find(';');
        std::string_view coding = trim(el.substr(0, semi));
        int q = 1000;
        while (semi != std::string_view::npos) {
            el.remove_prefix(semi + 1);
            semi = el.find(';');
            std::string_view param = trim(el.substr(0, semi));
            size_t eq = param.find('=');
            if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "q")) {
                q = parse_qvalue(trim(param.substr(eq + 1)));
                if (q < 0) q = 0;  // malformed weight: do not use this coding
            }
        }
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip_q = std::max(gzip_q, q);
        else if (coding == "*") star_q = std::max(star_q, q);
        return true;
    });
    if (gzip_q != -2) return gzip_q > 0;
    return star_q > 0;
}

bool etag_list_matches(std::string_view list, std::string_view etag) noexcept {
    auto opaque = [](std::string_view t) {
        if (t.size() >= 2 && t[0] == 'W' && t[1] == '/') t.remove_prefix(2);
        return t;
    };
    std::string_view want = opaque(etag);
    if (trim(list) == "*") return true;
    bool match = false;
    // Entity tags may contain commas inside quotes: walk quoted strings.
    size_t i = 0;
    while (i < list.size() && !match) {
        while (i < list.size() && (is_ows(list[i]) || list[i] == ',')) ++i;
        if (i >= list.size()) break;
        size_t start = i;
        if (list[i] == 'W' && i + 1 < list.size() && list[i + 1] == '/') i += 2;
        if (i >= list.size() || list[i] != '"') return false;  // malformed: no match
        size_t close = list.find('"', i + 1);
        if (close == std::string_view::npos) return false;
        std::string_view tag = list.substr(start, close + 1 - start);
        if (opaque(tag) == want) match = true;
        i = close + 1;
    }
    return match;
}

// ---- dates -----------------------------------------------------------------------------------

void format_imf_fixdate(int64_t t, std::span<char, kImfFixdateLength> out) noexcept {
    static constexpr char kDays[] = "ThuFriSatSunMonTueWed";  // 1970-01-01 was a Thursday
    static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    int wd = int(((days % 7) + 7) % 7);
    // Civil date from days since 1970-01-01 (proleptic Gregorian; eras of 400 years).
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                   // [0, 146096]
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
    int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11], March first
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    auto two = [](char* p, int64_t v) {
        p[0] = char('0' + v / 10);
        p[1] = char('0' + v % 10);
    };
    char* p = out.data();
    p[0] = kDays[wd * 3];
    p[1] = kDays[wd * 3 + 1];
    p[2] = kDays[wd * 3 + 2];
    p[3] = ',';
    p[4] = ' ';
    two(p + 5, d);
    p[7] = ' ';
    p[8] = kMonths[(m - 1) * 3];
    p[9] = kMonths[(m - 1) * 3 + 1];
    p[10] = kMonths[(m - 1) * 3 + 2];
    p[11] = ' ';
    two(p + 12, y / 100);
    two(p + 14, y % 100);
    p[16] = ' ';
    two(p + 17, secs / 3600);
    p[19] = ':';
    two(p + 20, secs / 60 % 60);
    p[22] = ':';
    two(p + 23, secs % 60);
    p[25] = ' ';
    p[26] = 'G';
    p[27] = 'M';
    p[28] = 'T';
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 416: return "Range Not Satisfiable";
        case 417: return "Expectation Failed";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "";
    }
}

}  // namespace unikit::http
