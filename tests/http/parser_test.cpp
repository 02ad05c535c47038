// The request parser and the header-field parsers: valid requests, every limit with its status,
// requests split at every byte boundary, Range, Accept-Encoding, entity tags, IMF-fixdate.
#include <gtest/gtest.h>

#include <string>

#include <unikit/http.h>

using namespace unikit::http;

namespace {

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

struct Parsed {
    std::string text;  // the request views point into it
    ParseResult r;
    Request req;
    Header storage[kMaxHeaders];
};

// Parses `s` in one piece.
std::unique_ptr<Parsed> parse(const std::string& s, const Limits& lim = {}) {
    auto p = std::make_unique<Parsed>();
    p->text = s;
    RequestParser parser(lim, p->storage);
    p->r = parser.parse(bytes(p->text), p->req);
    return p;
}

int error_of(const std::string& s, const Limits& lim = {}) {
    auto p = parse(s, lim);
    return p->r.status == ParseResult::error ? p->r.error_status : 0;
}

}  // namespace

TEST(Parser, SimpleGet) {
    std::string s = "GET /index.html?x=1&y HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  test/1.0 \r\n\r\n";
    auto p = parse(s);
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_EQ(p->r.head_size, s.size());
    EXPECT_EQ(p->req.method, Method::GET);
    EXPECT_EQ(p->req.method_text, "GET");
    EXPECT_EQ(p->req.target, "/index.html?x=1&y");
    EXPECT_EQ(p->req.path, "/index.html");
    EXPECT_EQ(p->req.query, "x=1&y");
    EXPECT_EQ(p->req.version_minor, 1);
    ASSERT_EQ(p->req.headers.size(), 2u);
    EXPECT_EQ(p->req.header("host"), "example.com");
    EXPECT_EQ(p->req.header("USER-AGENT"), "test/1.0");
    EXPECT_EQ(p->req.header("missing"), "");
    EXPECT_TRUE(p->req.keep_alive);
    EXPECT_EQ(p->req.content_length, 0u);
}

TEST(Parser, BareLineFeedsAndLeadingEmptyLinesAreAccepted) {
    std::string s = "\r\n\nHEAD / HTTP/1.1\nHost: h\n\n";
    auto p = parse(s);
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_EQ(p->r.head_size, s.size());
    EXPECT_EQ(p->req.method, Method::HEAD);
}

TEST(Parser, IncompleteUntilTheEmptyLine) {
    for (std::string s : {"G", "GET / HTTP/1.1", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: h\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r"}) {
        auto p = parse(s);
        EXPECT_EQ(p->r.status, ParseResult::incomplete) << s;
    }
}

TEST(Parser, AbsoluteFormAndAsterisk) {
    auto p = parse("GET http://example.com:8080/a/b?q HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_EQ(p->req.path, "/a/b");
    EXPECT_EQ(p->req.query, "q");
    p = parse("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_EQ(p->req.path, "/");
    p = parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_EQ(p->req.path, "*");
    EXPECT_EQ(error_of("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(error_of("GET ftp://x/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(error_of("GET http:/// HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(error_of("CONNECT example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(Parser, MethodsAndUnknownMethods) {
    for (auto [text, m] : {std::pair{"POST", Method::POST}, {"PUT", Method::PUT}, {"DELETE", Method::DELETE},
                           {"OPTIONS", Method::OPTIONS}, {"PATCH", Method::PATCH}, {"TRACE", Method::TRACE},
                           {"BREW", Method::other}, {"get", Method::other}}) {
        auto p = parse(std::string(text) + " / HTTP/1.1\r\nHost: h\r\n\r\n");
        ASSERT_EQ(p->r.status, ParseResult::complete) << text;
        EXPECT_EQ(p->req.method, m) << text;
    }
}

TEST(Parser, MalformedRequestsAre400) {
    const char* bad[] = {
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",          // two spaces
        "GET /\r\nHost: h\r\n\r\n",                    // no version (HTTP/0.9)
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",          // trailing space
        "GET / http/1.1\r\nHost: h\r\n\r\n",           // version is case-sensitive
        "GET / HTTP/1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",           // not a token
        "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",      // control in target
        "GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n",       // non-ASCII in target
        "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET a HTTP/1.1\r\nHost: h\r\n\r\n",           // not origin-form
        "GET / HTTP/1.1\r\n\r\n",                      // 1.1 without Host
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",          // space before colon
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", // obs-fold
        "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",     // bare CR in a value
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
    };
    for (std::string s : bad) {
        EXPECT_EQ(error_of(s), 400) << s;
    }
    std::string nul = std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a") + '\0' + "b\r\n\r\n";
    EXPECT_EQ(error_of(nul), 400);
}

TEST(Parser, VersionAndFeatureErrors) {
    EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
    EXPECT_EQ(error_of("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), 505);
    auto p = parse("GET / HTTP/1.7\r\nHost: h\r\n\r\n");  // a later 1.x is answered as 1.1
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_EQ(p->req.version_minor, 1);
    EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
    EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n"), 417);
    p = parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n");
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_TRUE(p->req.expect_continue);
    EXPECT_EQ(p->req.content_length, 5u);
}

TEST(Parser, RequestLineLimitIs414) {
    Limits lim;
    lim.max_request_line = 64;
    std::string ok = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
    EXPECT_EQ(error_of(ok, lim), 0);
    std::string longer = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
    EXPECT_EQ(error_of(longer, lim), 414);
    // Detected before the line ends.
    EXPECT_EQ(error_of("GET /" + std::string(100, 'a'), lim), 414);
    EXPECT_EQ(error_of("GET /" + std::string(50, 'a'), lim), 0);
}

TEST(Parser, HeaderLimitsAre431) {
    Limits lim;
    lim.max_header_bytes = 256;
    lim.max_headers = 4;
    std::string four = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    EXPECT_EQ(error_of(four, lim), 0);
    std::string five = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    EXPECT_EQ(error_of(five, lim), 431);
    std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'x') + "\r\n\r\n";
    EXPECT_EQ(error_of(big, lim), 431);
    std::string unfinished = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'x');
    EXPECT_EQ(error_of(unfinished, lim), 431);
    // Exactly at the limit is fine.
    std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
    std::string exact = head + std::string(256 - head.size() - 4, 'x') + "\r\n\r\n";
    ASSERT_EQ(exact.size(), 256u);
    EXPECT_EQ(error_of(exact, lim), 0);
    EXPECT_EQ(error_of(exact.substr(0, 254) + "x\r\n\r\n", lim), 431);
}

TEST(Parser, ConnectionSemanticsByVersion) {
    auto p = parse("GET / HTTP/1.0\r\n\r\n");  // 1.0 needs no Host
    ASSERT_EQ(p->r.status, ParseResult::complete);
    EXPECT_EQ(p->req.version_minor, 0);
    EXPECT_FALSE(p->req.keep_alive);
    p = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    EXPECT_TRUE(p->req.keep_alive);
    p = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n");
    EXPECT_FALSE(p->req.keep_alive);
    p = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nConnection: close\r\n\r\n");
    EXPECT_FALSE(p->req.keep_alive);
    p = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n");
    EXPECT_TRUE(p->req.keep_alive);
    p = parse("GET / HTTP/1.0\r\nExpect: whatever\r\n\r\n");  // Expect is ignored for 1.0
    EXPECT_EQ(p->r.status, ParseResult::complete);
}

TEST(Parser, EveryByteBoundaryGivesTheSameResult) {
    const std::string reqs = "GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
                             "HEAD /c HTTP/1.0\r\n\r\n";
    const std::vector<std::string> paths = {"/a", "/b", "/c"};
    Limits lim;
    for (size_t split = 0; split <= reqs.size(); ++split) {
        // Feed the bytes in two pieces; consume requests (head + body) as they complete.
        std::string buf;
        std::vector<std::string> got;
        Header storage[kMaxHeaders];
        RequestParser parser(lim, storage);
        Request req;
        for (const std::string& piece : {reqs.substr(0, split), reqs.substr(split)}) {
            buf += piece;
            for (;;) {
                auto r = parser.parse(bytes(buf), req);
                ASSERT_NE(r.status, ParseResult::error) << split;
                if (r.status == ParseResult::incomplete) break;
                if (buf.size() < r.head_size + req.content_length) break;
                got.emplace_back(req.path);
                buf.erase(0, r.head_size + req.content_length);
                parser.reset();
            }
        }
        EXPECT_EQ(got, paths) << "split at " << split;
        EXPECT_TRUE(buf.empty());
    }
}

TEST(Parser, ByteAtATime) {
    const std::string s = "GET /slow HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(200, 'v') + "\r\n\r\n";
    Limits lim;
    Header storage[kMaxHeaders];
    RequestParser parser(lim, storage);
    Request req;
    for (size_t n = 1; n <= s.size(); ++n) {
        auto r = parser.parse(bytes(s).first(n), req);
        if (n < s.size()) ASSERT_EQ(r.status, ParseResult::incomplete) << n;
        else {
            ASSERT_EQ(r.status, ParseResult::complete);
            EXPECT_EQ(req.header("x-long").size(), 200u);
        }
    }
}

// ---- field parsers -------------------------------------------------------------------------

TEST(Range, Forms) {
    auto r = parse_range("bytes=0-99", 1000);
    EXPECT_EQ(r.kind, ByteRange::satisfiable);
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.last, 99u);
    r = parse_range("bytes=500-", 1000);
    EXPECT_EQ(r.kind, ByteRange::satisfiable);
    EXPECT_EQ(r.first, 500u);
    EXPECT_EQ(r.last, 999u);
    r = parse_range("bytes=-100", 1000);
    EXPECT_EQ(r.first, 900u);
    EXPECT_EQ(r.last, 999u);
    r = parse_range("bytes=-5000", 1000);  // longer suffix: the whole thing
    EXPECT_EQ(r.kind, ByteRange::satisfiable);
    EXPECT_EQ(r.first, 0u);
    r = parse_range("bytes=990-5000", 1000);  // clamped
    EXPECT_EQ(r.last, 999u);
    r = parse_range(" Bytes = 1 - 2 ", 1000);
    EXPECT_EQ(r.kind, ByteRange::satisfiable);
    EXPECT_EQ(r.first, 1u);
    EXPECT_EQ(r.last, 2u);
}

TEST(Range, UnsatisfiableAndIgnored) {
    EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, ByteRange::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=1000-2000", 1000).kind, ByteRange::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-0", 1000).kind, ByteRange::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=0-", 0).kind, ByteRange::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-1", 0).kind, ByteRange::unsatisfiable);
    for (const char* v : {"", "bytes", "bytes=", "bytes=-", "bytes=5-4", "bytes=a-b", "items=0-1", "bytes=0-1,3-4",
                          "bytes=1-2-3", "bytes=99999999999999999999-", "bytes 0-1"})
        EXPECT_EQ(parse_range(v, 1000).kind, ByteRange::none) << v;
}

TEST(AcceptEncoding, GzipAndWeights) {
    EXPECT_TRUE(accepts_gzip("gzip"));
    EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
    EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
    EXPECT_TRUE(accepts_gzip("x-gzip"));
    EXPECT_TRUE(accepts_gzip("*"));
    EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
    EXPECT_FALSE(accepts_gzip(""));
    EXPECT_FALSE(accepts_gzip("identity"));
    EXPECT_FALSE(accepts_gzip("br, deflate"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0"));
    EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
    EXPECT_FALSE(accepts_gzip("*;q=0"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));  // explicit refusal wins over the wildcard
    EXPECT_TRUE(accepts_gzip("*;q=0, gzip"));
    EXPECT_FALSE(accepts_gzip("gzip;q=2"));      // malformed weight: not used
    EXPECT_FALSE(accepts_gzip("gzip;q=0.5x"));
    EXPECT_FALSE(accepts_gzip("gzipx"));
}

TEST(Etag, ListMatching) {
    EXPECT_TRUE(etag_list_matches("\"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_list_matches("W/\"abc\"", "\"abc\""));  // weak comparison
    EXPECT_TRUE(etag_list_matches("\"x\", \"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_list_matches("\"a,b\" , \"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_list_matches(" * ", "\"abc\""));
    EXPECT_FALSE(etag_list_matches("\"abd\"", "\"abc\""));
    EXPECT_FALSE(etag_list_matches("abc", "\"abc\""));
    EXPECT_FALSE(etag_list_matches("\"abc", "\"abc\""));
    EXPECT_FALSE(etag_list_matches("", "\"abc\""));
}

TEST(Date, ImfFixdate) {
    char buf[kImfFixdateLength];
    auto fmt = [&](int64_t t) {
        format_imf_fixdate(t, std::span<char, kImfFixdateLength>(buf, kImfFixdateLength));
        return std::string(buf, kImfFixdateLength);
    };
    EXPECT_EQ(fmt(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(fmt(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
    EXPECT_EQ(fmt(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
    EXPECT_EQ(fmt(1700000000), "Tue, 14 Nov 2023 22:13:20 GMT");
    EXPECT_EQ(fmt(4107542399), "Sun, 28 Feb 2100 23:59:59 GMT");
    EXPECT_EQ(fmt(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");  // 2100 is not a leap year
    EXPECT_EQ(fmt(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    EXPECT_EQ(fmt(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(Misc, ReasonsAndTokens) {
    EXPECT_EQ(reason_phrase(404), "Not Found");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(299), "");
    EXPECT_TRUE(list_contains_token("a, B ,c", "b"));
    EXPECT_FALSE(list_contains_token("ab, c", "b"));
    EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
}

// A bad request line is answered as soon as it is complete (or, for a method byte no token
// allows, as soon as that byte arrives), without waiting for the end of the head.
TEST(Parser, BadRequestLineIsJudgedBeforeTheHeadEnds) {
    EXPECT_EQ(error_of("G\x01T / HTTP/1.1\r\n"), 400);
    EXPECT_EQ(error_of("\x16\x03\x01"), 400);  // a TLS ClientHello to a plain-HTTP port
    EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n"), 505);
    EXPECT_EQ(error_of("GET /a b HTTP/1.1\r\n"), 400);
    EXPECT_EQ(error_of("GET\r\n"), 400);
    // A good line with the head still open is simply incomplete.
    auto p = parse("GET / HTTP/1.1\r\nHost: h\r\n");
    EXPECT_EQ(p->r.status, ParseResult::incomplete);
    p = parse("GET / HT");
    EXPECT_EQ(p->r.status, ParseResult::incomplete);
    p = parse("GET / HTTP/1.1\r");
    EXPECT_EQ(p->r.status, ParseResult::incomplete);
}
