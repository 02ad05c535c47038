// The server over an in-memory stream on the fake platform (virtual clock): static files
// (GET/HEAD/304/gzip/Range), dynamic routes, pipelining, limits, timeouts, connection limit.
#include <gtest/gtest.h>

#include <map>

#include <unikit/http.h>
#include <unikit/loop.h>
#include <unikit/when.h>

#include "http/mem_stream.h"
#include "support/fake_platform.h"

using namespace unikit;
using namespace unikit::http;
using namespace std::chrono_literals;
using memstream::MemStream;
using memstream::State;

namespace {

std::span<const uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// A memory KvStore for the tests.
class TestStore final : public kv::KvStore {
public:
    struct File {
        std::string key, data, gzip, type, etag, gzip_etag;
    };
    TestStore() {
        std::string big;
        for (int i = 0; i < 10000; ++i) big += char('a' + i % 26);
        files_ = {
            {"/big.txt", big, "", "text/plain; charset=utf-8", "\"big\"", ""},
            {"/empty.txt", "", "", "text/plain; charset=utf-8", "\"empty\"", ""},
            {"/index.html", "<html>hello, unikit</html>\n", "GZIP-BYTES", "text/html; charset=utf-8", "\"idx\"", "\"idx-gz\""},
            {"/sp ace.txt", "space", "", "text/plain; charset=utf-8", "\"sp\"", ""},
            {"/sub/index.html", "<p>sub</p>", "", "text/html; charset=utf-8", "\"sub\"", ""},
        };
    }
    Result<kv::KvEntry> get(std::string_view key) const override {
        for (size_t i = 0; i < files_.size(); ++i)
            if (files_[i].key == key) return at(i);
        return fail(Error::not_found);
    }
    size_t size() const override { return files_.size(); }
    Result<kv::KvEntry> at(size_t i) const override {
        if (i >= files_.size()) return fail(Error::not_found);
        const File& f = files_[i];
        kv::KvEntry e;
        e.key = f.key;
        e.data = bytes_of(f.data);
        e.size = f.data.size();
        if (!f.gzip.empty()) {
            e.gzip_data = bytes_of(f.gzip);
            e.gzip_size = f.gzip.size();
            e.gzip_etag = f.gzip_etag;
        }
        e.content_type = f.type;
        e.etag = f.etag;
        e.modified = 784111777;
        return e;
    }
    const File& file(size_t i) const { return files_[i]; }

private:
    std::vector<File> files_;
};

struct Resp {
    std::string status;                          // "HTTP/1.1 200 OK"
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string h(const std::string& n) const {
        auto it = headers.find(n);
        return it == headers.end() ? "<none>" : it->second;
    }
};

// Splits captured output into responses; `no_body` marks responses to HEAD requests.
std::vector<Resp> split(std::string out, std::vector<bool> no_body = {}) {
    std::vector<Resp> v;
    while (!out.empty()) {
        size_t end = out.find("\r\n\r\n");
        if (end == std::string::npos) {
            ADD_FAILURE() << "unterminated response head: " << out;
            break;
        }
        Resp r;
        std::string head = out.substr(0, end);
        out.erase(0, end + 4);
        size_t eol = head.find("\r\n");
        r.status = head.substr(0, eol);
        while (eol != std::string::npos) {
            size_t start = eol + 2;
            eol = head.find("\r\n", start);
            std::string line = head.substr(start, eol == std::string::npos ? std::string::npos : eol - start);
            size_t colon = line.find(": ");
            std::string name = line.substr(0, colon);
            for (char& c : name) c = char(std::tolower(c));
            EXPECT_EQ(r.headers.count(name), 0u) << "duplicate header " << name;
            r.headers[name] = line.substr(colon + 2);
        }
        bool skip = v.size() < no_body.size() && no_body[v.size()];
        if (!skip && r.headers.count("content-length")) {
            size_t n = std::stoul(r.headers["content-length"]);
            r.body = out.substr(0, n);
            out.erase(0, n);
        }
        v.push_back(r);
    }
    return v;
}

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake::reset();
        router.files(&store);
    }
    // Serves one connection with the given input (all at once), to the end.
    std::shared_ptr<State> run(const std::string& input, Limits lim = {}) {
        auto st = std::make_shared<State>();
        if (!input.empty()) st->add(input);
        return run_state(st, lim);
    }
    std::shared_ptr<State> run_state(std::shared_ptr<State> st, Limits lim = {}) {
        server = std::make_unique<Server>(router, lim);
        Loop loop;
        loop.run(server->serve_connection(MemStream(st)));
        EXPECT_EQ(live_task_frames(), 0u);
        return st;
    }
    Resp one(const std::string& input, bool head = false) {
        auto st = run(input);
        auto v = split(st->output, {head});
        EXPECT_EQ(v.size(), 1u) << st->output;
        return v.empty() ? Resp{} : v[0];
    }

    TestStore store;
    Router router;
    std::unique_ptr<Server> server;
};

const std::string kGet = "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n";

}  // namespace

TEST_F(ServerTest, GetStaticFile) {
    Resp r = one(kGet);
    EXPECT_EQ(r.status, "HTTP/1.1 200 OK");
    EXPECT_EQ(r.h("date"), "Tue, 14 Nov 2023 22:13:21 GMT");  // the fake wall clock
    EXPECT_EQ(r.h("server"), "unikit");
    EXPECT_EQ(r.h("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.h("content-length"), "27");
    EXPECT_EQ(r.h("etag"), "\"idx\"");
    EXPECT_EQ(r.h("vary"), "Accept-Encoding");
    EXPECT_EQ(r.h("accept-ranges"), "bytes");
    EXPECT_EQ(r.h("last-modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(r.h("cache-control"), "no-cache");
    EXPECT_EQ(r.h("content-encoding"), "<none>");
    EXPECT_EQ(r.h("connection"), "<none>");
    EXPECT_EQ(r.body, "<html>hello, unikit</html>\n");
    EXPECT_EQ(server->stats().requests, 1u);
    EXPECT_EQ(server->stats().status_1xx_5xx[2], 1u);
}

TEST_F(ServerTest, ConnectionEndsGracefullyAtEndOfInput) {
    auto st = run(kGet);
    EXPECT_TRUE(st->closed);
    EXPECT_FALSE(st->aborted);
    EXPECT_EQ(server->stats().connections_active, 0u);
    EXPECT_EQ(server->stats().connections_total, 1u);
    EXPECT_EQ(server->stats().bytes_in, kGet.size());
    EXPECT_EQ(server->stats().bytes_out, st->output.size());
}

TEST_F(ServerTest, IndexFilesAndPercentDecoding) {
    EXPECT_EQ(one("GET / HTTP/1.1\r\nHost: h\r\n\r\n").body, "<html>hello, unikit</html>\n");
    EXPECT_EQ(one("GET /sub/ HTTP/1.1\r\nHost: h\r\n\r\n").body, "<p>sub</p>");
    EXPECT_EQ(one("GET /sp%20ace.txt HTTP/1.1\r\nHost: h\r\n\r\n").body, "space");
    EXPECT_EQ(one("GET /%69ndex.html?v=2 HTTP/1.1\r\nHost: h\r\n\r\n").status, "HTTP/1.1 200 OK");
    Resp dir = one("GET /sub HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(dir.status, "HTTP/1.1 301 Moved Permanently");
    EXPECT_EQ(dir.h("location"), "/sub/");
    EXPECT_EQ(one("GET /su HTTP/1.1\r\nHost: h\r\n\r\n").status, "HTTP/1.1 404 Not Found");
    EXPECT_EQ(one("GET /bad%zz HTTP/1.1\r\nHost: h\r\n\r\n").status, "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(one("GET /nul%00 HTTP/1.1\r\nHost: h\r\n\r\n").status, "HTTP/1.1 400 Bad Request");
}

TEST_F(ServerTest, BigBodyIsWrittenFromTheStoreSeparately) {
    auto st = run("GET /big.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    auto v = split(st->output);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].body, store.file(0).data);
    EXPECT_EQ(st->writes.size(), 2u);  // head, then the body straight from the store
}

TEST_F(ServerTest, SmallResponsesAreOneWrite) {
    auto st = run(kGet);
    EXPECT_EQ(st->writes.size(), 1u);
}

TEST_F(ServerTest, EmptyFile) {
    Resp r = one("GET /empty.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 200 OK");
    EXPECT_EQ(r.h("content-length"), "0");
    EXPECT_EQ(r.h("vary"), "<none>");
}

TEST_F(ServerTest, HeadSendsHeadersOnly) {
    auto st = run("HEAD /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
    auto v = split(st->output, {true});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].status, "HTTP/1.1 200 OK");
    EXPECT_EQ(v[0].h("content-length"), "27");
    EXPECT_EQ(st->output.size(), st->output.find("\r\n\r\n") + 4);
}

TEST_F(ServerTest, IfNoneMatchGives304) {
    for (std::string inm : {"\"idx\"", "W/\"idx\"", "\"x\", \"idx\"", "*"}) {
        Resp r = one("GET /index.html HTTP/1.1\r\nHost: h\r\nIf-None-Match: " + inm + "\r\n\r\n");
        EXPECT_EQ(r.status, "HTTP/1.1 304 Not Modified") << inm;
        EXPECT_EQ(r.h("etag"), "\"idx\"");
        EXPECT_EQ(r.h("content-length"), "<none>");
        EXPECT_EQ(r.h("content-type"), "<none>");
        EXPECT_EQ(r.h("vary"), "Accept-Encoding");
        EXPECT_EQ(r.body, "");
    }
    EXPECT_EQ(one("GET /index.html HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\"\r\n\r\n").status, "HTTP/1.1 200 OK");
    // The gzip representation has its own tag.
    Resp g = one("GET /index.html HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nIf-None-Match: \"idx-gz\"\r\n\r\n");
    EXPECT_EQ(g.status, "HTTP/1.1 304 Not Modified");
    EXPECT_EQ(g.h("etag"), "\"idx-gz\"");
    EXPECT_EQ(one("GET /index.html HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"idx-gz\"\r\n\r\n").status, "HTTP/1.1 200 OK");
    // If-Modified-Since (exact Last-Modified), only without If-None-Match.
    EXPECT_EQ(one("GET /index.html HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n").status,
              "HTTP/1.1 304 Not Modified");
    EXPECT_EQ(one("GET /index.html HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n").status,
              "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, GzipVariantWhenAccepted) {
    Resp r = one("GET /index.html HTTP/1.1\r\nHost: h\r\nAccept-Encoding: br, gzip\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 200 OK");
    EXPECT_EQ(r.h("content-encoding"), "gzip");
    EXPECT_EQ(r.h("content-length"), "10");
    EXPECT_EQ(r.h("etag"), "\"idx-gz\"");
    EXPECT_EQ(r.h("vary"), "Accept-Encoding");
    EXPECT_EQ(r.h("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.body, "GZIP-BYTES");
    Resp q0 = one("GET /index.html HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip;q=0, *\r\n\r\n");
    EXPECT_EQ(q0.h("content-encoding"), "<none>");
    EXPECT_EQ(q0.body, "<html>hello, unikit</html>\n");
    // Files without a gzip variant are identity whatever the client accepts.
    Resp big = one("GET /sub/index.html HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
    EXPECT_EQ(big.h("content-encoding"), "<none>");
    EXPECT_EQ(big.h("vary"), "<none>");
}

TEST_F(ServerTest, RangeGives206OfTheIdentityBytes) {
    Resp r = one("GET /big.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=10-19\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 206 Partial Content");
    EXPECT_EQ(r.h("content-range"), "bytes 10-19/10000");
    EXPECT_EQ(r.h("content-length"), "10");
    EXPECT_EQ(r.body, store.file(0).data.substr(10, 10));
    r = one("GET /big.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=-3\r\n\r\n");
    EXPECT_EQ(r.h("content-range"), "bytes 9997-9999/10000");
    EXPECT_EQ(r.body, store.file(0).data.substr(9997));
    // With gzip accepted, a range still addresses the identity representation.
    r = one("GET /index.html HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nRange: bytes=0-5\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 206 Partial Content");
    EXPECT_EQ(r.h("content-encoding"), "<none>");
    EXPECT_EQ(r.h("etag"), "\"idx\"");
    EXPECT_EQ(r.body, "<html>");
}

TEST_F(ServerTest, UnsatisfiableRangeGives416) {
    Resp r = one("GET /big.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=10000-\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 416 Range Not Satisfiable");
    EXPECT_EQ(r.h("content-range"), "bytes */10000");
    r = one("GET /empty.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-0\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 416 Range Not Satisfiable");
    EXPECT_EQ(r.h("content-range"), "bytes */0");
}

TEST_F(ServerTest, RangeIgnoredWhenMalformedMultipleStaleOrHead) {
    for (std::string range : {"bytes=5-1", "bytes=0-1,5-6", "lines=1-2"}) {
        Resp r = one("GET /big.txt HTTP/1.1\r\nHost: h\r\nRange: " + range + "\r\n\r\n");
        EXPECT_EQ(r.status, "HTTP/1.1 200 OK") << range;
        EXPECT_EQ(r.body.size(), 10000u);
    }
    Resp r = one("GET /big.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nIf-Range: \"old\"\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 200 OK");
    r = one("GET /big.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nIf-Range: \"big\"\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 206 Partial Content");
    r = one("GET /big.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 206 Partial Content");
    r = one("HEAD /big.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n", true);
    EXPECT_EQ(r.status, "HTTP/1.1 200 OK");
    EXPECT_EQ(r.h("content-length"), "10000");
}

TEST_F(ServerTest, NotFoundMethodNotAllowedNotImplemented) {
    Resp r = one("GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 404 Not Found");
    EXPECT_EQ(r.body, "404 Not Found\n");
    r = one("POST /index.html HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
    EXPECT_EQ(r.status, "HTTP/1.1 405 Method Not Allowed");
    EXPECT_EQ(r.h("allow"), "GET, HEAD");
    EXPECT_EQ(r.h("connection"), "<none>");  // the body was read: the connection stays usable
    r = one("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 405 Method Not Allowed");
    r = one("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 501 Not Implemented");
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
    std::string in = "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n"
                     "HEAD /big.txt HTTP/1.1\r\nHost: h\r\n\r\n"
                     "POST /index.html HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
                     "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n"
                     "GET /sub/ HTTP/1.1\r\nHost: h\r\n\r\n";
    auto st = run(in);
    auto v = split(st->output, {false, true});
    ASSERT_EQ(v.size(), 5u);
    EXPECT_EQ(v[0].body, "<html>hello, unikit</html>\n");
    EXPECT_EQ(v[1].h("content-length"), "10000");
    EXPECT_EQ(v[2].status, "HTTP/1.1 405 Method Not Allowed");
    EXPECT_EQ(v[3].status, "HTTP/1.1 404 Not Found");
    EXPECT_EQ(v[4].body, "<p>sub</p>");
    EXPECT_EQ(server->stats().requests, 5u);
}

TEST_F(ServerTest, PipelinedRequestsSplitAtEveryByteBoundary) {
    std::string in = "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n"
                     "POST /index.html HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
                     "GET /sub/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    std::string expected = run(in)->output;
    ASSERT_EQ(split(expected).size(), 3u);
    for (size_t cut = 1; cut < in.size(); ++cut) {
        auto st = std::make_shared<State>();
        st->add(in.substr(0, cut));
        st->add(in.substr(cut), 1ms);
        run_state(st);
        EXPECT_EQ(st->output, expected) << "cut at " << cut;
        EXPECT_TRUE(st->closed);
    }
    // And one byte per read.
    auto st = std::make_shared<State>();
    st->add(in);
    st->max_read = 1;
    run_state(st);
    EXPECT_EQ(st->output, expected);
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
    auto st = run("GET /index.html HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" + kGet);
    auto v = split(st->output);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].h("connection"), "close");
    EXPECT_TRUE(st->closed);
    EXPECT_TRUE(st->shut);  // the pipelined request was left unread: linger before closing
    st = run("GET /index.html HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(st->closed);
    EXPECT_FALSE(st->shut);  // nothing unread: a plain close
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAlive) {
    auto st = run("GET /index.html HTTP/1.0\r\n\r\n" + kGet);
    auto v = split(st->output);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].status, "HTTP/1.1 200 OK");
    EXPECT_EQ(v[0].h("connection"), "close");
    st = run("GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /sub/ HTTP/1.0\r\n\r\n");
    v = split(st->output);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].h("connection"), "keep-alive");
    EXPECT_EQ(v[1].h("connection"), "close");
}

TEST_F(ServerTest, LimitErrorsHaveExactStatusLinesAndClose) {
    Limits lim;
    lim.max_request_line = 100;
    lim.max_header_bytes = 512;
    lim.max_headers = 8;
    lim.max_body = 64;
    struct Case {
        std::string input, status;
    };
    std::string many;
    for (int i = 0; i < 9; ++i) many += "X" + std::to_string(i) + ": v\r\n";
    std::vector<Case> cases = {
        {"GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 414 URI Too Long"},
        {"GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(600, 'x') + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
        {"GET / HTTP/1.1\r\nHost: h\r\n" + many + "\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n" + std::string(65, 'b'), "HTTP/1.1 413 Content Too Large"},
        {"GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
        {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
        {"GET / HTTP/1.1\r\nHost: h\r\nExpect: tea\r\n\r\n", "HTTP/1.1 417 Expectation Failed"},
    };
    for (const Case& c : cases) {
        auto st = run(c.input + kGet, lim);  // the request after the bad one is never answered
        auto v = split(st->output);
        ASSERT_EQ(v.size(), 1u) << c.status << "\n" << st->output;
        EXPECT_EQ(v[0].status, c.status);
        EXPECT_EQ(v[0].h("connection"), "close");
        EXPECT_EQ(v[0].h("content-type"), "text/plain; charset=utf-8");
        EXPECT_EQ(v[0].body, c.status.substr(9) + "\n");
        EXPECT_TRUE(st->shut) << c.status;  // lingering close: FIN, drain, close
        EXPECT_TRUE(st->closed);
        EXPECT_FALSE(st->aborted);
    }
}

TEST_F(ServerTest, SlowlorisGets408AtTheHeaderDeadline) {
    Limits lim;
    lim.header_timeout = 10s;
    auto st = std::make_shared<State>();
    st->eof_at_end = false;
    std::string req = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + std::string(100, 'z');
    for (size_t i = 0; i < req.size(); ++i) st->add(std::string(1, req[i]), std::chrono::seconds(2 + i));
    TimePoint start = now();
    run_state(st, lim);
    auto v = split(st->output);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].status, "HTTP/1.1 408 Request Timeout");
    EXPECT_EQ(v[0].h("connection"), "close");
    ASSERT_EQ(st->writes.size(), 1u);
    EXPECT_EQ(st->writes[0].first - start, 12s);  // first byte at 2 s + 10 s
    EXPECT_TRUE(st->closed);
    EXPECT_EQ(server->stats().header_timeouts, 1u);
}

TEST_F(ServerTest, SlowBodyGets408) {
    Limits lim;
    lim.body_timeout = 5s;
    auto st = std::make_shared<State>();
    st->eof_at_end = false;
    st->add("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    TimePoint start = now();
    run_state(st, lim);
    auto v = split(st->output);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].status, "HTTP/1.1 408 Request Timeout");
    EXPECT_EQ(st->writes[0].first - start, 5s);
}

TEST_F(ServerTest, IdleKeepAliveConnectionClosesSilently) {
    Limits lim;
    lim.idle_timeout = 7s;
    auto st = std::make_shared<State>();
    st->eof_at_end = false;
    st->add(kGet, 1s);
    TimePoint start = now();
    run_state(st, lim);
    EXPECT_EQ(split(st->output).size(), 1u);
    EXPECT_TRUE(st->closed);
    EXPECT_FALSE(st->shut);
    EXPECT_EQ(st->closed_at - start, 8s);  // response at 1 s, then 7 s idle
    EXPECT_EQ(server->stats().idle_closes, 1u);
    // A connection that never sends anything is closed after the idle timeout too.
    auto quiet = std::make_shared<State>();
    quiet->eof_at_end = false;
    start = now();
    run_state(quiet, lim);
    EXPECT_EQ(quiet->output, "");
    EXPECT_EQ(quiet->closed_at - start, 7s);
}

TEST_F(ServerTest, StalledWriterIsAbortedAtTheWriteTimeout) {
    Limits lim;
    lim.write_timeout = 3s;
    auto st = std::make_shared<State>();
    st->stall_writes = true;
    st->add(kGet);
    TimePoint start = now();
    run_state(st, lim);
    EXPECT_TRUE(st->aborted);
    EXPECT_EQ(st->closed_at - start, 3s);
    EXPECT_EQ(server->stats().write_timeouts, 1u);
}

TEST_F(ServerTest, ConnectionLimitAnswers503) {
    Limits lim;
    lim.max_connections = 2;
    lim.idle_timeout = 10s;
    server = std::make_unique<Server>(router, lim);
    std::vector<std::shared_ptr<State>> states;
    for (int i = 0; i < 4; ++i) {
        states.push_back(std::make_shared<State>());
        states.back()->eof_at_end = false;
    }
    states[0]->add(kGet, 1s);
    states[3]->add(kGet, 1s);
    Loop loop;
    auto main = [&]() -> Task<void> {
        spawn(server->serve_connection(MemStream(states[0])));
        spawn(server->serve_connection(MemStream(states[1])));
        co_await sleep(2s);
        EXPECT_EQ(server->stats().connections_active, 2u);
        spawn(server->serve_connection(MemStream(states[2])));  // over the limit
        co_await sleep(20s);                                    // the first two time out
        EXPECT_EQ(server->stats().connections_active, 0u);
        spawn(server->serve_connection(MemStream(states[3])));  // room again
        co_await sleep(20s);
    };
    loop.run(main());
    EXPECT_EQ(states[2]->output, std::string(kServiceUnavailable));
    EXPECT_TRUE(states[2]->closed);
    EXPECT_EQ(split(states[0]->output).at(0).status, "HTTP/1.1 200 OK");
    EXPECT_EQ(split(states[3]->output).at(0).status, "HTTP/1.1 200 OK");
    EXPECT_EQ(server->stats().connections_rejected, 1u);
    EXPECT_EQ(server->stats().connections_total, 4u);
    EXPECT_EQ(live_task_frames(), 0u);
}

// ---- dynamic routes --------------------------------------------------------------------------

TEST_F(ServerTest, JsonStatusRoute) {
    static Server* srv = nullptr;
    router.get("/status", [](const Request&, Response& res) {
        auto j = res.json();
        j.field("name", "www \"2048\"\n");
        srv->status_fields(j);
    });
    server = std::make_unique<Server>(router);
    srv = server.get();
    server->set_memory_hook([]() -> size_t { return 12345; });
    auto st = std::make_shared<State>();
    st->add(kGet + "GET /status HTTP/1.1\r\nHost: h\r\n\r\n");
    Loop loop;
    loop.run(server->serve_connection(MemStream(st)));
    auto v = split(st->output);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1].h("content-type"), "application/json");
    EXPECT_EQ(v[1].body.rfind("{\"name\":\"www \\\"2048\\\"\\n\",\"uptime_s\":", 0), 0u) << v[1].body;
    EXPECT_NE(v[1].body.find("\"requests\":1,"), std::string::npos) << v[1].body;
    EXPECT_NE(v[1].body.find("\"connections\":{\"active\":1,\"total\":1,\"rejected\":0}"), std::string::npos) << v[1].body;
    EXPECT_NE(v[1].body.find("\"memory_bytes\":12345}"), std::string::npos) << v[1].body;
    EXPECT_EQ(v[1].body.back(), '}');
}

TEST_F(ServerTest, RoutesMethodsHeadAndPrefixes) {
    router.get("/api/*", [](const Request& req, Response& res) {
        res.set_content_type("text/plain");
        res.print("path={} query={}", req.path, req.query);
    });
    router.post("/echo", [](const Request& req, Response& res) {
        res.set_status(201);
        res.add_header("X-Len", "yes");
        res.write(req.body);
    });
    Resp r = one("GET /api/x/y?z=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.body, "path=/api/x/y query=z=1");
    r = one("HEAD /api/q HTTP/1.1\r\nHost: h\r\n\r\n", true);
    EXPECT_EQ(r.status, "HTTP/1.1 200 OK");
    EXPECT_EQ(r.h("content-length"), "18");
    r = one("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(r.status, "HTTP/1.1 201 Created");
    EXPECT_EQ(r.h("x-len"), "yes");
    EXPECT_EQ(r.body, "hello");
    r = one("GET /echo HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 405 Method Not Allowed");
    EXPECT_EQ(r.h("allow"), "POST");
    r = one("PUT /api/x HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.h("allow"), "GET, HEAD");
}

TEST_F(ServerTest, ExpectContinueBeforeTheBody) {
    router.post("/echo", [](const Request& req, Response& res) { res.write(req.body); });
    auto st = std::make_shared<State>();
    st->add("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    st->add("hello", 1s);
    run_state(st);
    ASSERT_EQ(st->output.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0), 0u) << st->output;
    auto v = split(st->output.substr(25));
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].body, "hello");
}

TEST_F(ServerTest, OverflowingHandlerGives500) {
    router.get("/big", [](const Request&, Response& res) {
        for (int i = 0; i < 2000; ++i) res.write("0123456789");
    });
    Resp r = one("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.status, "HTTP/1.1 500 Internal Server Error");
}

TEST_F(ServerTest, NoFilesStoreMeans404) {
    router.files(nullptr);
    EXPECT_EQ(one(kGet).status, "HTTP/1.1 404 Not Found");
    EXPECT_EQ(one("POST / HTTP/1.1\r\nHost: h\r\n\r\n").status, "HTTP/1.1 404 Not Found");
}

// ---- the accept loop -------------------------------------------------------------------------

namespace {
class FakeListener {
public:
    std::deque<std::shared_ptr<State>> pending;
    int transient_errors = 0;  // accept fails with Error::overflow this many times first
    Task<Result<MemStream>> accept(CancelToken token) {
        if (transient_errors > 0) {
            --transient_errors;
            co_return fail(Error::overflow);
        }
        while (pending.empty()) {
            auto r = co_await sleep(1s, token);
            if (!r) co_return fail(r.error());
        }
        auto st = pending.front();
        pending.pop_front();
        co_return MemStream(st);
    }
};
static_assert(Listener<FakeListener>);
}  // namespace

TEST_F(ServerTest, ServeAcceptsUntilStopped) {
    server = std::make_unique<Server>(router);
    FakeListener l;
    l.transient_errors = 3;  // retried, not fatal
    std::vector<std::shared_ptr<State>> states;
    for (int i = 0; i < 3; ++i) {
        states.push_back(std::make_shared<State>());
        states.back()->add(kGet);
        l.pending.push_back(states.back());
    }
    CancelSource stop;
    Result<void> result;
    Loop loop;
    auto main = [&]() -> Task<void> {
        auto stopper = [&]() -> Task<void> {
            co_await sleep(5s);
            stop.cancel();
        };
        spawn(stopper());
        result = co_await server->serve(l, stop.token());
    };
    loop.run(main());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), Error::cancelled);
    for (auto& st : states) EXPECT_EQ(split(st->output).at(0).status, "HTTP/1.1 200 OK");
    EXPECT_EQ(server->stats().connections_total, 3u);
}
